//! `segcore.KMeans`'s fitted model: the Rust side of the scikit-learn-style Python class.

use crate::arrays::{non_negative, Matrix, Vector};
use crate::dispatch::{reduce_via_json, ByDtype};
use crate::errors::run_detached;
use crate::{by_dtype, fit_by_dtype, with_matching_input};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use segcore::cluster::kmeans::{KMeans, KMeansAlgorithm, KMeansInit, KMeansParams};

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

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        reduce_via_json(slf, slf.get().to_json(slf.py())?)
    }
}
