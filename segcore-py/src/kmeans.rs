//! The fitted models behind `segcore.KMeans` and `segcore.MiniBatchKMeans` (the Rust side of the
//! scikit-learn-style Python classes), and `align_labels`.

use crate::arrays::{non_negative, Matrix, Vector};
use crate::dispatch::{reduce_via_json, ByDtype};
use crate::errors::run_detached;
use crate::{by_dtype, fit_by_dtype, with_matching_input};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use segcore::cluster::kmeans::{
    align_labels as core_align_labels, KMeans, KMeansAlgorithm, KMeansInit, KMeansParams,
    MiniBatchKMeans, MiniBatchKMeansParams,
};

type FittedKMeans = ByDtype<KMeans<f64>, KMeans<f32>>;

/// A fitted k-means model (wrapped by `segcore.KMeans`).
#[pyclass(module = "segcore._segcore", name = "KMeansModel", frozen)]
pub struct PyKMeansModel {
    inner: FittedKMeans,
}

fn parse_algorithm(name: &str) -> segcore::Result<KMeansAlgorithm> {
    match name {
        "lloyd" => Ok(KMeansAlgorithm::Lloyd),
        // Hamerly fills scikit-learn's "elkan" role (bounds that skip distance work) in O(n) memory.
        "elkan" | "hamerly" => Ok(KMeansAlgorithm::Hamerly),
        "auto" => Ok(KMeansAlgorithm::Auto),
        other => Err(segcore::Error::invalid_parameter(
            "algorithm",
            format!("'{other}'"),
            "one of 'lloyd', 'elkan', 'hamerly', 'auto'",
        )),
    }
}

fn parse_init(
    name: &str,
    centers: Option<PyReadonlyArray2<'_, f64>>,
) -> segcore::Result<KMeansInit> {
    match (name, centers) {
        (_, Some(c)) => Ok(KMeansInit::Centers(c.as_array().to_owned())),
        ("k-means++", None) => Ok(KMeansInit::KMeansPlusPlus),
        ("random", None) => Ok(KMeansInit::Random),
        (other, None) => Err(segcore::Error::invalid_parameter(
            "init",
            format!("'{other}'"),
            "'k-means++', 'random' or an array of shape (n_clusters, n_features)",
        )),
    }
}

#[pymethods]
impl PyKMeansModel {
    /// Fits k-means; parameters are validated by the core before any work.
    #[staticmethod]
    #[pyo3(signature = (x, sample_weight, *, n_clusters, init, init_centers, n_init, max_iter, tol, random_state, algorithm))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: Matrix<'_>,
        sample_weight: Option<Vector<'_>>,
        n_clusters: i64,
        init: &str,
        init_centers: Option<PyReadonlyArray2<'_, f64>>,
        n_init: i64,
        max_iter: i64,
        tol: f64,
        random_state: u64,
        algorithm: &str,
    ) -> PyResult<Self> {
        let params = (|| {
            Ok::<_, segcore::Error>(
                KMeansParams::new(non_negative("n_clusters", n_clusters)?)
                    .init(parse_init(init, init_centers)?)
                    .n_init(non_negative("n_init", n_init)?)
                    .max_iter(non_negative("max_iter", max_iter)?)
                    .tol(tol)
                    .random_state(random_state)
                    .algorithm(parse_algorithm(algorithm)?),
            )
        })()
        .map_err(|e| crate::errors::to_py_err(py, e))?;
        let inner = fit_by_dtype!(py, x, sample_weight, |view, weights| params
            .fit(view, weights))?;
        Ok(PyKMeansModel { inner })
    }

    /// Index of the nearest center for each row of `x`.
    fn predict<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyArray1<i32>>> {
        let labels = with_matching_input!(&self.inner, x, |m, view| run_detached(py, || m
            .predict(view)))?;
        Ok(labels.mapv(|l| l as i32).into_pyarray(py))
    }

    /// Euclidean distances of each row of `x` to every center.
    fn transform<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
        with_matching_input!(&self.inner, x, |m, view| Ok(run_detached(py, || m
            .transform(view))?
        .into_pyarray(py)
        .into_any()))
    }

    /// Negative (weighted) inertia of `x` against the fitted centers.
    #[pyo3(signature = (x, sample_weight=None))]
    fn score(
        &self,
        py: Python<'_>,
        x: Matrix<'_>,
        sample_weight: Option<Vector<'_>>,
    ) -> PyResult<f64> {
        with_matching_input!(&self.inner, x, sample_weight, |m, view, weights| {
            run_detached(py, || m.score(view, weights)).map(f64::from)
        })
    }

    /// Fitted centers, shape (n_clusters, n_features), in the input dtype.
    #[getter]
    fn cluster_centers<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.cluster_centers().to_owned().into_pyarray(py).into_any())
    }

    /// Training labels.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i32>> {
        by_dtype!(&self.inner, m => m.labels().mapv(|l| l as i32).into_pyarray(py))
    }

    /// Final (weighted) inertia on the training data.
    #[getter]
    fn inertia(&self) -> f64 {
        by_dtype!(&self.inner, m => f64::from(m.inertia()))
    }

    /// Lloyd iterations run by the best initialisation.
    #[getter]
    fn n_iter(&self) -> usize {
        by_dtype!(&self.inner, m => m.n_iter())
    }

    /// Whether the best run converged within `tol` before `max_iter`.
    #[getter]
    fn converged(&self) -> bool {
        by_dtype!(&self.inner, m => m.converged())
    }

    /// Warnings raised during fit (re-emitted by Python as `ConvergenceWarning`).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        by_dtype!(&self.inner, m => m.warnings().to_vec())
    }

    /// Number of features seen at fit.
    #[getter]
    fn n_features(&self) -> usize {
        by_dtype!(&self.inner, m => m.n_features())
    }

    /// "float32" or "float64".
    #[getter]
    fn dtype(&self) -> &'static str {
        self.inner.dtype()
    }

    /// The fitted state as JSON (used for pickling).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.to_json(py)
    }

    /// Rebuilds a model from `to_json`'s output.
    #[staticmethod]
    fn from_json(py: Python<'_>, document: &str) -> PyResult<Self> {
        Ok(PyKMeansModel {
            inner: FittedKMeans::from_json(py, document)?,
        })
    }

    /// This model with labels renumbered to match `previous_centers` (same k and features,
    /// float64) by optimal matching of centers.
    fn aligned_to(
        &self,
        py: Python<'_>,
        previous_centers: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<Self> {
        let previous = previous_centers.as_array();
        let inner = match &self.inner {
            ByDtype::Float64(m) => ByDtype::Float64(run_detached(py, || m.aligned_to(previous))?),
            ByDtype::Float32(m) => {
                let previous = previous.mapv(|v| v as f32);
                ByDtype::Float32(run_detached(py, || m.aligned_to(previous.view()))?)
            }
        };
        Ok(PyKMeansModel { inner })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        reduce_via_json(slf, slf.get().to_json(slf.py())?)
    }
}

/// Label mapping that aligns `new_centers` to `previous_centers`: `mapping[j]` is the label new
/// cluster `j` should take (Hungarian matching on squared center distances).
#[pyfunction]
pub fn align_labels<'py>(
    py: Python<'py>,
    previous_centers: PyReadonlyArray2<'py, f64>,
    new_centers: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let (previous, new) = (previous_centers.as_array(), new_centers.as_array());
    let mapping = run_detached(py, || core_align_labels(previous, new))?;
    Ok(mapping
        .into_iter()
        .map(|l| l as i64)
        .collect::<Vec<_>>()
        .into_pyarray(py))
}

type FittedMiniBatch = ByDtype<MiniBatchKMeans<f64>, MiniBatchKMeans<f32>>;

/// A fitted mini-batch k-means model (wrapped by `segcore.MiniBatchKMeans`). Immutable:
/// `partial_fit` returns the updated model.
#[pyclass(module = "segcore._segcore", name = "MiniBatchKMeansModel", frozen)]
pub struct PyMiniBatchKMeansModel {
    inner: FittedMiniBatch,
}

#[allow(clippy::too_many_arguments)]
fn minibatch_params(
    n_clusters: i64,
    init: &str,
    init_centers: Option<PyReadonlyArray2<'_, f64>>,
    n_init: i64,
    max_iter: i64,
    batch_size: i64,
    tol: f64,
    max_no_improvement: Option<i64>,
    init_size: Option<i64>,
    reassignment_ratio: f64,
    random_state: u64,
    compute_labels: bool,
) -> segcore::Result<MiniBatchKMeansParams> {
    Ok(
        MiniBatchKMeansParams::new(non_negative("n_clusters", n_clusters)?)
            .init(parse_init(init, init_centers)?)
            .n_init(non_negative("n_init", n_init)?)
            .max_iter(non_negative("max_iter", max_iter)?)
            .batch_size(non_negative("batch_size", batch_size)?)
            .tol(tol)
            .max_no_improvement(
                max_no_improvement
                    .map(|v| non_negative("max_no_improvement", v))
                    .transpose()?,
            )
            .init_size(
                init_size
                    .map(|v| non_negative("init_size", v))
                    .transpose()?,
            )
            .reassignment_ratio(reassignment_ratio)
            .random_state(random_state)
            .compute_labels(compute_labels),
    )
}

#[pymethods]
impl PyMiniBatchKMeansModel {
    /// Fits by mini-batches (`start_stream=False`) or starts a stream with the first
    /// `partial_fit` batch (`start_stream=True`); parameters are validated by the core first.
    #[staticmethod]
    #[pyo3(signature = (x, sample_weight, *, n_clusters, init, init_centers, n_init, max_iter, batch_size, tol, max_no_improvement, init_size, reassignment_ratio, random_state, compute_labels, start_stream))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: Matrix<'_>,
        sample_weight: Option<Vector<'_>>,
        n_clusters: i64,
        init: &str,
        init_centers: Option<PyReadonlyArray2<'_, f64>>,
        n_init: i64,
        max_iter: i64,
        batch_size: i64,
        tol: f64,
        max_no_improvement: Option<i64>,
        init_size: Option<i64>,
        reassignment_ratio: f64,
        random_state: u64,
        compute_labels: bool,
        start_stream: bool,
    ) -> PyResult<Self> {
        let params = minibatch_params(
            n_clusters,
            init,
            init_centers,
            n_init,
            max_iter,
            batch_size,
            tol,
            max_no_improvement,
            init_size,
            reassignment_ratio,
            random_state,
            compute_labels,
        )
        .and_then(|p| p.check())
        .map_err(|e| crate::errors::to_py_err(py, e))?;
        let inner = fit_by_dtype!(py, x, sample_weight, |view, weights| if start_stream {
            params.partial_fit(view, weights)
        } else {
            params.fit(view, weights)
        })?;
        Ok(PyMiniBatchKMeansModel { inner })
    }

    /// The model updated with one more batch (one mini-batch step on all rows of `x`).
    #[pyo3(signature = (x, sample_weight=None))]
    fn partial_fit(
        &self,
        py: Python<'_>,
        x: Matrix<'_>,
        sample_weight: Option<Vector<'_>>,
    ) -> PyResult<Self> {
        // Explicit match: the result keeps the model's dtype, which the shared macro cannot name.
        let inner = match (&self.inner, x) {
            (ByDtype::Float64(m), Matrix::Float64(a)) => {
                let weights = crate::dispatch::weights_for::<f64>(sample_weight)?;
                let (view, w) = (a.as_array(), weights.as_ref().map(|w| w.as_array()));
                let mut next = m.clone();
                run_detached(py, || next.partial_fit(view, w))?;
                ByDtype::Float64(next)
            }
            (ByDtype::Float32(m), Matrix::Float32(a)) => {
                let weights = crate::dispatch::weights_for::<f32>(sample_weight)?;
                let (view, w) = (a.as_array(), weights.as_ref().map(|w| w.as_array()));
                let mut next = m.clone();
                run_detached(py, || next.partial_fit(view, w))?;
                ByDtype::Float32(next)
            }
            (model, x) => return Err(crate::dispatch::dtype_error(model.dtype(), x.dtype_name())),
        };
        Ok(PyMiniBatchKMeansModel { inner })
    }

    /// Index of the nearest center for each row of `x`.
    fn predict<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyArray1<i32>>> {
        let labels = with_matching_input!(&self.inner, x, |m, view| run_detached(py, || m
            .predict(view)))?;
        Ok(labels.mapv(|l| l as i32).into_pyarray(py))
    }

    /// Euclidean distances of each row of `x` to every center.
    fn transform<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
        with_matching_input!(&self.inner, x, |m, view| Ok(run_detached(py, || m
            .transform(view))?
        .into_pyarray(py)
        .into_any()))
    }

    /// Negative (weighted) inertia of `x` against the fitted centers.
    #[pyo3(signature = (x, sample_weight=None))]
    fn score(
        &self,
        py: Python<'_>,
        x: Matrix<'_>,
        sample_weight: Option<Vector<'_>>,
    ) -> PyResult<f64> {
        with_matching_input!(&self.inner, x, sample_weight, |m, view, weights| {
            run_detached(py, || m.score(view, weights)).map(f64::from)
        })
    }

    /// Centers, shape (n_clusters, n_features), in the input dtype.
    #[getter]
    fn cluster_centers<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.cluster_centers().to_owned().into_pyarray(py).into_any())
    }

    /// Labels of the training rows (fit) or of the last batch (partial_fit); None if not computed.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<i32>>> {
        by_dtype!(&self.inner, m => m.labels().map(|l| l.mapv(|v| v as i32).into_pyarray(py)))
    }

    /// Inertia of the training rows (fit) or of the last batch (partial_fit).
    #[getter]
    fn inertia(&self) -> f64 {
        by_dtype!(&self.inner, m => f64::from(m.inertia()))
    }

    /// Passes over the data run by fit.
    #[getter]
    fn n_iter(&self) -> usize {
        by_dtype!(&self.inner, m => m.n_iter())
    }

    /// Mini-batch steps run so far.
    #[getter]
    fn n_steps(&self) -> usize {
        by_dtype!(&self.inner, m => m.n_steps())
    }

    /// Accumulated weight per center.
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.counts().to_vec().into_pyarray(py).into_any())
    }

    /// Warnings raised during fit.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        by_dtype!(&self.inner, m => m.warnings().to_vec())
    }

    /// Number of features seen at fit.
    #[getter]
    fn n_features(&self) -> usize {
        by_dtype!(&self.inner, m => m.n_features())
    }

    /// "float32" or "float64".
    #[getter]
    fn dtype(&self) -> &'static str {
        self.inner.dtype()
    }

    /// The fitted state as JSON (used for pickling).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.to_json(py)
    }

    /// Rebuilds a model from `to_json`'s output.
    #[staticmethod]
    fn from_json(py: Python<'_>, document: &str) -> PyResult<Self> {
        Ok(PyMiniBatchKMeansModel {
            inner: FittedMiniBatch::from_json(py, document)?,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        reduce_via_json(slf, slf.get().to_json(slf.py())?)
    }
}
