//! `segcore.KMeans`'s fitted model: the Rust side of the scikit-learn-style Python class.

use crate::arrays::{non_negative, Matrix, Vector};
use crate::errors::run_detached;
use crate::persist::{from_document, to_document};
use crate::preprocessing::dtype_error;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use segcore::cluster::kmeans::{KMeans, KMeansAlgorithm, KMeansInit, KMeansParams};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
enum FittedKMeans {
    Float64(KMeans<f64>),
    Float32(KMeans<f32>),
}

/// Dispatches `$body` on the fitted model's dtype with `$m` bound to the typed model.
macro_rules! with_model {
    ($inner:expr, $m:ident => $body:expr) => {
        match $inner {
            FittedKMeans::Float64($m) => $body,
            FittedKMeans::Float32($m) => $body,
        }
    };
}

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
        let inner = match (x, sample_weight) {
            (Matrix::Float64(a), w) => {
                let w = match w {
                    None => None,
                    Some(Vector::Float64(w)) => Some(w),
                    Some(Vector::Float32(_)) => return Err(weight_dtype_error("float64")),
                };
                let (view, wv) = (a.as_array(), w.as_ref().map(|w| w.as_array()));
                FittedKMeans::Float64(run_detached(py, || params.fit(view, wv))?)
            }
            (Matrix::Float32(a), w) => {
                let w = match w {
                    None => None,
                    Some(Vector::Float32(w)) => Some(w),
                    Some(Vector::Float64(_)) => return Err(weight_dtype_error("float32")),
                };
                let (view, wv) = (a.as_array(), w.as_ref().map(|w| w.as_array()));
                FittedKMeans::Float32(run_detached(py, || params.fit(view, wv))?)
            }
        };
        Ok(PyKMeansModel { inner })
    }

    /// Index of the nearest center for each row of `x`.
    fn predict<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyArray1<i32>>> {
        let labels = match (&self.inner, x) {
            (FittedKMeans::Float64(m), Matrix::Float64(a)) => {
                let view = a.as_array();
                run_detached(py, || m.predict(view))?
            }
            (FittedKMeans::Float32(m), Matrix::Float32(a)) => {
                let view = a.as_array();
                run_detached(py, || m.predict(view))?
            }
            (_, x) => return Err(dtype_error(self.dtype(), x.dtype_name())),
        };
        Ok(labels.mapv(|l| l as i32).into_pyarray(py))
    }

    /// Euclidean distances of each row of `x` to every center.
    fn transform<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
        match (&self.inner, x) {
            (FittedKMeans::Float64(m), Matrix::Float64(a)) => {
                let view = a.as_array();
                Ok(run_detached(py, || m.transform(view))?
                    .into_pyarray(py)
                    .into_any())
            }
            (FittedKMeans::Float32(m), Matrix::Float32(a)) => {
                let view = a.as_array();
                Ok(run_detached(py, || m.transform(view))?
                    .into_pyarray(py)
                    .into_any())
            }
            (_, x) => Err(dtype_error(self.dtype(), x.dtype_name())),
        }
    }

    /// Negative (weighted) inertia of `x` against the fitted centers.
    #[pyo3(signature = (x, sample_weight=None))]
    fn score(
        &self,
        py: Python<'_>,
        x: Matrix<'_>,
        sample_weight: Option<Vector<'_>>,
    ) -> PyResult<f64> {
        match (&self.inner, x, sample_weight) {
            (FittedKMeans::Float64(m), Matrix::Float64(a), w) => {
                let w = match w {
                    None => None,
                    Some(Vector::Float64(w)) => Some(w),
                    Some(Vector::Float32(_)) => return Err(weight_dtype_error("float64")),
                };
                let (view, wv) = (a.as_array(), w.as_ref().map(|w| w.as_array()));
                run_detached(py, || m.score(view, wv))
            }
            (FittedKMeans::Float32(m), Matrix::Float32(a), w) => {
                let w = match w {
                    None => None,
                    Some(Vector::Float32(w)) => Some(w),
                    Some(Vector::Float64(_)) => return Err(weight_dtype_error("float32")),
                };
                let (view, wv) = (a.as_array(), w.as_ref().map(|w| w.as_array()));
                Ok(run_detached(py, || m.score(view, wv))? as f64)
            }
            (_, x, _) => Err(dtype_error(self.dtype(), x.dtype_name())),
        }
    }

    /// Fitted centers, shape (n_clusters, n_features), in the input dtype.
    #[getter]
    fn cluster_centers<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        with_model!(&self.inner, m => m.cluster_centers().to_owned().into_pyarray(py).into_any())
    }

    /// Training labels.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i32>> {
        with_model!(&self.inner, m => m.labels().mapv(|l| l as i32).into_pyarray(py))
    }

    /// Final (weighted) inertia on the training data.
    #[getter]
    fn inertia(&self) -> f64 {
        match &self.inner {
            FittedKMeans::Float64(m) => m.inertia(),
            FittedKMeans::Float32(m) => f64::from(m.inertia()),
        }
    }

    /// Lloyd iterations run by the best initialisation.
    #[getter]
    fn n_iter(&self) -> usize {
        with_model!(&self.inner, m => m.n_iter())
    }

    /// Whether the best run converged within `tol` before `max_iter`.
    #[getter]
    fn converged(&self) -> bool {
        with_model!(&self.inner, m => m.converged())
    }

    /// Warnings raised during fit (re-emitted by Python as `ConvergenceWarning`).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        with_model!(&self.inner, m => m.warnings().to_vec())
    }

    /// Number of features seen at fit.
    #[getter]
    fn n_features(&self) -> usize {
        with_model!(&self.inner, m => m.n_features())
    }

    /// "float32" or "float64".
    #[getter]
    fn dtype(&self) -> &'static str {
        match &self.inner {
            FittedKMeans::Float64(_) => "float64",
            FittedKMeans::Float32(_) => "float32",
        }
    }

    /// The fitted state as JSON (used for pickling).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        to_document(py, &self.inner)
    }

    /// Rebuilds a model from `to_json`'s output.
    #[staticmethod]
    fn from_json(py: Python<'_>, document: &str) -> PyResult<Self> {
        Ok(PyKMeansModel {
            inner: from_document(py, document)?,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let document = slf.get().to_json(slf.py())?;
        Ok((slf.get_type().getattr("from_json")?, (document,)))
    }
}

fn weight_dtype_error(expected: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "sample_weight must have the dtype of X ({expected})"
    ))
}
