//! JSON documents of fitted models, used by pickling (`__reduce__`): loading never executes code.

use crate::errors::to_py_err;
use pyo3::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

/// Serialises a fitted model to its JSON document.
pub fn to_document<T: Serialize>(py: Python<'_>, model: &T) -> PyResult<String> {
    serde_json::to_string(model).map_err(|e| {
        to_py_err(
            py,
            segcore::Error::ModelFormat {
                reason: e.to_string(),
            },
        )
    })
}

/// Parses a JSON document back into a fitted model; a malformed one is a `ModelFormatError`.
pub fn from_document<T: DeserializeOwned>(py: Python<'_>, document: &str) -> PyResult<T> {
    serde_json::from_str(document).map_err(|e| {
        to_py_err(
            py,
            segcore::Error::ModelFormat {
                reason: e.to_string(),
            },
        )
    })
}
