//! `segcore.select_k`: evaluate a range of k and recommend one. The result crosses as the core's
//! serde JSON document; the Python layer turns its table into a pandas DataFrame.

use crate::arrays::Matrix;
use crate::errors::run_detached;
use crate::persist::to_document;
use pyo3::prelude::*;
use segcore::select::{GapReference, SelectKParams, SelectMethod};

fn parse_reference(name: &str) -> segcore::Result<GapReference> {
    match name {
        "box" => Ok(GapReference::BoundingBox),
        "pca" => Ok(GapReference::PcaBox),
        other => Err(segcore::Error::invalid_parameter(
            "gap_reference",
            format!("'{other}'"),
            "'box' (bounding box of the columns) or 'pca' (box aligned with the principal components)",
        )),
    }
}

/// Evaluates every k and returns the result as a JSON document. `progress(done, total)` is
/// called (with the GIL re-acquired) after each clustering; an exception it raises is re-raised
/// once the run ends.
#[pyfunction]
#[pyo3(signature = (x, *, k_values, method, covariance_type, n_init, random_state, silhouette_sample_size, gap_references, gap_reference, stability_resamples, stability_fraction, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn select_k(
    py: Python<'_>,
    x: Matrix<'_>,
    k_values: Vec<usize>,
    method: &str,
    covariance_type: &str,
    n_init: Option<usize>,
    random_state: u64,
    silhouette_sample_size: Option<usize>,
    gap_references: usize,
    gap_reference: &str,
    stability_resamples: usize,
    stability_fraction: f64,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let params = (|| {
        Ok::<_, segcore::Error>(
            SelectKParams::new(k_values)
                .method(SelectMethod::from_names(method, covariance_type, "method")?)
                .n_init(n_init)
                .random_state(random_state)
                .silhouette_sample_size(silhouette_sample_size)
                .gap_references(gap_references)
                .gap_reference(parse_reference(gap_reference)?)
                .stability_resamples(stability_resamples)
                .stability_fraction(stability_fraction),
        )
    })()
    .map_err(|e| crate::errors::to_py_err(py, e))?;
    let mut callback_error: Option<PyErr> = None;
    let report = |done: usize, total: usize, error: &mut Option<PyErr>| {
        if let (Some(callback), None) = (&progress, &error) {
            Python::attach(|py| {
                if let Err(e) = callback.call1(py, (done, total)) {
                    *error = Some(e);
                }
            });
        }
    };
    let result = match x {
        Matrix::Float64(a) => {
            let view = a.as_array();
            run_detached(py, || {
                params.fit_with_progress(view, |d, t| report(d, t, &mut callback_error))
            })?
        }
        Matrix::Float32(a) => {
            let view = a.as_array();
            run_detached(py, || {
                params.fit_with_progress(view, |d, t| report(d, t, &mut callback_error))
            })?
        }
    };
    if let Some(error) = callback_error {
        return Err(error);
    }
    to_document(py, &result)
}
