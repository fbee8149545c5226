//! `segcore.PCA`'s fitted model: the Rust side of the scikit-learn-style Python class.

use crate::arrays::{non_negative, Matrix};
use crate::errors::run_detached;
use crate::persist::{from_document, to_document};
use crate::preprocessing::dtype_error;
use numpy::IntoPyArray;
use pyo3::prelude::*;
use segcore::reduce::{NComponents, Pca, PcaParams, PcaSolver};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
enum FittedPca {
    Float64(Pca<f64>),
    Float32(Pca<f32>),
}

/// Dispatches `$body` on the fitted model's dtype with `$m` bound to the typed model.
macro_rules! with_model {
    ($inner:expr, $m:ident => $body:expr) => {
        match $inner {
            FittedPca::Float64($m) => $body,
            FittedPca::Float32($m) => $body,
        }
    };
}

/// A fitted PCA (wrapped by `segcore.PCA`).
#[pyclass(module = "segcore._segcore", name = "PcaModel", frozen)]
pub struct PyPcaModel {
    inner: FittedPca,
}

fn parse_solver(name: &str) -> segcore::Result<PcaSolver> {
    match name {
        "auto" => Ok(PcaSolver::Auto),
        "full" => Ok(PcaSolver::Full),
        "covariance_eigh" => Ok(PcaSolver::CovarianceEigh),
        "randomized" => Ok(PcaSolver::Randomized),
        other => Err(segcore::Error::invalid_parameter(
            "svd_solver",
            format!("'{other}'"),
            "one of 'auto', 'full', 'covariance_eigh', 'randomized'",
        )),
    }
}

/// Applies `$body` (an expression over the borrowed typed array `$view`) to a `Matrix` that must
/// have the model's dtype, wrapping the result as a numpy array.
macro_rules! map_matrix {
    ($self:expr, $py:expr, $x:expr, $m:ident, $view:ident => $body:expr) => {
        match (&$self.inner, $x) {
            (FittedPca::Float64($m), Matrix::Float64(a)) => {
                let $view = a.as_array();
                Ok(run_detached($py, || $body)?.into_pyarray($py).into_any())
            }
            (FittedPca::Float32($m), Matrix::Float32(a)) => {
                let $view = a.as_array();
                Ok(run_detached($py, || $body)?.into_pyarray($py).into_any())
            }
            (_, x) => Err(dtype_error($self.dtype(), x.dtype_name())),
        }
    };
}

#[pymethods]
impl PyPcaModel {
    /// Fits PCA. `n_components` is an int count, `variance_fraction` a float in (0, 1); both
    /// `None` keeps every component. Parameters are checked by the core before any work.
    #[staticmethod]
    #[pyo3(signature = (x, *, n_components, variance_fraction, whiten, svd_solver, random_state, n_oversamples, iterated_power))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: Matrix<'_>,
        n_components: Option<i64>,
        variance_fraction: Option<f64>,
        whiten: bool,
        svd_solver: &str,
        random_state: u64,
        n_oversamples: i64,
        iterated_power: Option<i64>,
    ) -> PyResult<Self> {
        let params = (|| {
            let wanted = match (n_components, variance_fraction) {
                (Some(k), _) => NComponents::Count(non_negative("n_components", k)?),
                (None, Some(f)) => NComponents::VarianceFraction(f),
                (None, None) => NComponents::All,
            };
            let iterated_power = match iterated_power {
                Some(p) => Some(non_negative("iterated_power", p)?),
                None => None,
            };
            let params = PcaParams::new(wanted)
                .whiten(whiten)
                .solver(parse_solver(svd_solver)?)
                .random_state(random_state)
                .n_oversamples(non_negative("n_oversamples", n_oversamples)?)
                .iterated_power(iterated_power);
            params.check()
        })()
        .map_err(|e| crate::errors::to_py_err(py, e))?;
        let inner = match x {
            Matrix::Float64(a) => {
                let view = a.as_array();
                FittedPca::Float64(run_detached(py, || params.fit(view))?)
            }
            Matrix::Float32(a) => {
                let view = a.as_array();
                FittedPca::Float32(run_detached(py, || params.fit(view))?)
            }
        };
        Ok(PyPcaModel { inner })
    }

    /// Component scores of `x` (same dtype as at fit).
    fn transform<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
        map_matrix!(self, py, x, m, view => m.transform(view))
    }

    /// Maps component scores back to feature space.
    fn inverse_transform<'py>(
        &self,
        py: Python<'py>,
        z: Matrix<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        map_matrix!(self, py, z, m, view => m.inverse_transform(view))
    }

    /// Loadings, one row per component (`components_`).
    #[getter]
    fn components<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        with_model!(&self.inner, m => m.components().to_owned().into_pyarray(py).into_any())
    }

    /// Variance along each component (`explained_variance_`).
    #[getter]
    fn explained_variance<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        with_model!(&self.inner, m => m.explained_variance().to_owned().into_pyarray(py).into_any())
    }

    /// Share of the total variance along each component (`explained_variance_ratio_`).
    #[getter]
    fn explained_variance_ratio<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        with_model!(&self.inner, m => m.explained_variance_ratio().to_owned().into_pyarray(py).into_any())
    }

    /// Singular values of the centred data (`singular_values_`).
    #[getter]
    fn singular_values<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        with_model!(&self.inner, m => m.singular_values().to_owned().into_pyarray(py).into_any())
    }

    /// Column means used for centring (`mean_`).
    #[getter]
    fn mean<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        with_model!(&self.inner, m => m.mean().to_owned().into_pyarray(py).into_any())
    }

    /// Probabilistic PCA noise variance (`noise_variance_`).
    #[getter]
    fn noise_variance(&self) -> f64 {
        match &self.inner {
            FittedPca::Float64(m) => m.noise_variance(),
            FittedPca::Float32(m) => f64::from(m.noise_variance()),
        }
    }

    /// Number of components kept.
    #[getter]
    fn n_components(&self) -> usize {
        with_model!(&self.inner, m => m.n_components())
    }

    /// Number of features seen at fit.
    #[getter]
    fn n_features(&self) -> usize {
        with_model!(&self.inner, m => m.n_features())
    }

    /// Number of samples seen at fit.
    #[getter]
    fn n_samples(&self) -> usize {
        with_model!(&self.inner, m => m.n_samples())
    }

    /// The solver that ran ("full", "covariance_eigh" or "randomized"; "auto" resolved).
    #[getter]
    fn solver(&self) -> &'static str {
        match with_model!(&self.inner, m => m.solver()) {
            PcaSolver::Full => "full",
            PcaSolver::CovarianceEigh => "covariance_eigh",
            PcaSolver::Randomized => "randomized",
            PcaSolver::Auto => "auto",
        }
    }

    /// "float32" or "float64".
    #[getter]
    fn dtype(&self) -> &'static str {
        match &self.inner {
            FittedPca::Float64(_) => "float64",
            FittedPca::Float32(_) => "float32",
        }
    }

    /// The fitted state as JSON (used for pickling).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        to_document(py, &self.inner)
    }

    /// Rebuilds a model from `to_json`'s output.
    #[staticmethod]
    fn from_json(py: Python<'_>, document: &str) -> PyResult<Self> {
        Ok(PyPcaModel {
            inner: from_document(py, document)?,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let document = slf.get().to_json(slf.py())?;
        Ok((slf.get_type().getattr("from_json")?, (document,)))
    }
}
