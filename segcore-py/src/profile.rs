//! `segcore.profile_segments`: the core's profile, handed to Python as its JSON document and text.

use crate::arrays::non_negative;
use crate::errors::{run_detached, to_py_err};
use crate::persist::to_document;
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

/// Profiles `features` by `labels`; returns `(json_document, text_table)`.
#[pyfunction]
#[pyo3(signature = (features, feature_names, labels, n_segments))]
pub fn profile_segments(
    py: Python<'_>,
    features: PyReadonlyArray2<'_, f64>,
    feature_names: Vec<String>,
    labels: PyReadonlyArray1<'_, i64>,
    n_segments: i64,
) -> PyResult<(String, String)> {
    let n_segments = non_negative("n_segments", n_segments).map_err(|e| to_py_err(py, e))?;
    let labels = labels
        .as_array()
        .iter()
        .enumerate()
        .map(|(row, &l)| {
            usize::try_from(l).map_err(|_| {
                segcore::Error::invalid_parameter(
                    "labels",
                    format!("{l} at row {row}"),
                    "non-negative segment labels",
                )
            })
        })
        .collect::<segcore::Result<Vec<usize>>>()
        .map_err(|e| to_py_err(py, e))?;
    let view = features.as_array();
    let profile = run_detached(py, || {
        segcore::profile::profile_segments(
            view,
            &feature_names,
            ndarray::ArrayView1::from(&labels),
            n_segments,
        )
    })?;
    Ok((to_document(py, &profile)?, profile.to_string()))
}
