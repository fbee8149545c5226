//! JSON of results that are not saved models (e.g. profiles). Fitted models use
//! `segcore::persist` documents (see `dispatch.rs`), so Python and Rust read the same files.

use crate::errors::to_py_err;
use pyo3::prelude::*;
use serde::Serialize;

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
