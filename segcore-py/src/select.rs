//! `segcore.select_k`: evaluate a range of k and recommend one. The result crosses as the core's
//! serde JSON document; the Python layer turns its table into a pandas DataFrame.

use crate::arrays::Matrix;
use crate::errors::IntoPyResult;
use crate::persist::to_document;
use crate::progress::PythonProgress;
use crate::with_input;
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
#[pyo3(signature = (x, *, k_values, method, covariance_type, n_init, random_state, silhouette_sample_size, gap_references, gap_reference, stability_resamples, stability_fraction, sample_size=None, resample_n_init=None, gap_sample_size=None, progress=None))]
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
    sample_size: Option<usize>,
    resample_n_init: Option<usize>,
    gap_sample_size: Option<usize>,
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
                .stability_fraction(stability_fraction)
                .sample_size(sample_size)
                .resample_n_init(resample_n_init)
                .gap_sample_size(gap_sample_size),
        )
    })()
    .into_py_result(py)?;
    let mut reporter = PythonProgress::new(progress);
    let result = with_input!(py, x, |view| params
        .fit_with_progress(view, |done, total| reporter.report((done, total))));
    let result = reporter.finish(result)?;
    to_document(py, &result)
}
