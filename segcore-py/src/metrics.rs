//! `segcore.metrics`: cluster validity metrics. Labels arrive encoded as non-negative int64 codes
//! (the Python layer maps any label values with `np.unique(..., return_inverse=True)`).

use crate::arrays::{labels_of, Matrix};
use crate::errors::{run_detached, IntoPyResult};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use segcore::select::metrics;

/// Runs an internal metric `(x, labels) -> f64` on either dtype with the GIL released.
macro_rules! internal_metric {
    ($py:expr_2021, $x:expr_2021, $labels:expr_2021, |$view:ident, $l:ident| $body:expr_2021) => {{
        let labels = ndarray::Array1::from(labels_of(&$labels, "labels").into_py_result($py)?);
        let $l = labels.view();
        crate::with_input!($py, $x, |$view| $body)
    }};
}

/// Mean silhouette; `sample_size` rows drawn with `seed` when given.
#[pyfunction]
#[pyo3(signature = (x, labels, sample_size=None, seed=0))]
pub fn silhouette_score(
    py: Python<'_>,
    x: Matrix<'_>,
    labels: PyReadonlyArray1<'_, i64>,
    sample_size: Option<usize>,
    seed: u64,
) -> PyResult<f64> {
    internal_metric!(py, x, labels, |view, l| match sample_size {
        Some(s) => metrics::silhouette_score_sampled(view, l, s, seed),
        None => metrics::silhouette_score(view, l),
    })
}

/// Silhouette of every sample (float64).
#[pyfunction]
pub fn silhouette_samples<'py>(
    py: Python<'py>,
    x: Matrix<'py>,
    labels: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let samples = internal_metric!(py, x, labels, |view, l| metrics::silhouette_samples(
        view, l
    ))?;
    Ok(samples.into_pyarray(py))
}

/// Calinski-Harabasz score.
#[pyfunction]
pub fn calinski_harabasz_score(
    py: Python<'_>,
    x: Matrix<'_>,
    labels: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    internal_metric!(py, x, labels, |view, l| metrics::calinski_harabasz_score(
        view, l
    ))
}

/// Davies-Bouldin score.
#[pyfunction]
pub fn davies_bouldin_score(
    py: Python<'_>,
    x: Matrix<'_>,
    labels: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    internal_metric!(py, x, labels, |view, l| metrics::davies_bouldin_score(
        view, l
    ))
}

/// Within-cluster sum of squares around the cluster means.
#[pyfunction]
pub fn inertia(py: Python<'_>, x: Matrix<'_>, labels: PyReadonlyArray1<'_, i64>) -> PyResult<f64> {
    internal_metric!(py, x, labels, |view, l| metrics::inertia(view, l, None))
}

/// Runs an external metric on two code arrays with the GIL released.
fn external<T: Send>(
    py: Python<'_>,
    labels_true: PyReadonlyArray1<'_, i64>,
    labels_pred: PyReadonlyArray1<'_, i64>,
    metric: impl Send + FnOnce(&[usize], &[usize]) -> segcore::Result<T>,
) -> PyResult<T> {
    let a = labels_of(&labels_true, "labels_true").into_py_result(py)?;
    let b = labels_of(&labels_pred, "labels_pred").into_py_result(py)?;
    run_detached(py, || metric(&a, &b))
}

/// Adjusted Rand index.
#[pyfunction]
pub fn adjusted_rand_score(
    py: Python<'_>,
    labels_true: PyReadonlyArray1<'_, i64>,
    labels_pred: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    external(py, labels_true, labels_pred, metrics::adjusted_rand_score)
}

/// Normalised mutual information (arithmetic mean normaliser).
#[pyfunction]
pub fn normalized_mutual_info_score(
    py: Python<'_>,
    labels_true: PyReadonlyArray1<'_, i64>,
    labels_pred: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    external(
        py,
        labels_true,
        labels_pred,
        metrics::normalized_mutual_info_score,
    )
}

/// Mutual information in nats.
#[pyfunction]
pub fn mutual_info_score(
    py: Python<'_>,
    labels_true: PyReadonlyArray1<'_, i64>,
    labels_pred: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    external(py, labels_true, labels_pred, metrics::mutual_info_score)
}

/// Dense contingency table (int64).
#[pyfunction]
pub fn contingency_matrix<'py>(
    py: Python<'py>,
    labels_true: PyReadonlyArray1<'py, i64>,
    labels_pred: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    let table = external(py, labels_true, labels_pred, metrics::contingency_matrix)?;
    Ok(table.mapv(|c| c as i64).into_pyarray(py))
}

/// Registers the metric functions on the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(silhouette_score, m)?)?;
    m.add_function(wrap_pyfunction!(silhouette_samples, m)?)?;
    m.add_function(wrap_pyfunction!(calinski_harabasz_score, m)?)?;
    m.add_function(wrap_pyfunction!(davies_bouldin_score, m)?)?;
    m.add_function(wrap_pyfunction!(inertia, m)?)?;
    m.add_function(wrap_pyfunction!(adjusted_rand_score, m)?)?;
    m.add_function(wrap_pyfunction!(normalized_mutual_info_score, m)?)?;
    m.add_function(wrap_pyfunction!(mutual_info_score, m)?)?;
    m.add_function(wrap_pyfunction!(contingency_matrix, m)?)?;
    Ok(())
}
