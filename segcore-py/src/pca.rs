//! `segcore.PCA`'s fitted model: the Rust side of the scikit-learn-style Python class.

use crate::arrays::{non_negative, Matrix};
use crate::dispatch::{reduce_via_json, ByDtype};
use crate::errors::run_detached;
use crate::{by_dtype, fit_by_dtype, with_matching_input};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use segcore::reduce::{NComponents, Pca, PcaParams, PcaSolver};

type FittedPca = ByDtype<Pca<f64>, Pca<f32>>;

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
        let inner = fit_by_dtype!(py, x, |view| params.fit(view))?;
        Ok(PyPcaModel { inner })
    }

    /// Component scores of `x` (same dtype as at fit).
    fn transform<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
        with_matching_input!(&self.inner, x, |m, view| Ok(run_detached(py, || m
            .transform(view))?
        .into_pyarray(py)
        .into_any()))
    }

    /// Maps component scores back to feature space.
    fn inverse_transform<'py>(
        &self,
        py: Python<'py>,
        z: Matrix<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        with_matching_input!(&self.inner, z, |m, view| Ok(run_detached(py, || m
            .inverse_transform(view))?
        .into_pyarray(py)
        .into_any()))
    }

    /// Loadings, one row per component (`components_`).
    #[getter]
    fn components<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.components().to_owned().into_pyarray(py).into_any())
    }

    /// Variance along each component (`explained_variance_`).
    #[getter]
    fn explained_variance<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.explained_variance().to_owned().into_pyarray(py).into_any())
    }

    /// Share of the total variance along each component (`explained_variance_ratio_`).
    #[getter]
    fn explained_variance_ratio<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.explained_variance_ratio().to_owned().into_pyarray(py).into_any())
    }

    /// Singular values of the centred data (`singular_values_`).
    #[getter]
    fn singular_values<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.singular_values().to_owned().into_pyarray(py).into_any())
    }

    /// Column means used for centring (`mean_`).
    #[getter]
    fn mean<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.mean().to_owned().into_pyarray(py).into_any())
    }

    /// Probabilistic PCA noise variance (`noise_variance_`).
    #[getter]
    fn noise_variance(&self) -> f64 {
        by_dtype!(&self.inner, m => f64::from(m.noise_variance()))
    }

    /// Number of components kept.
    #[getter]
    fn n_components(&self) -> usize {
        by_dtype!(&self.inner, m => m.n_components())
    }

    /// Number of features seen at fit.
    #[getter]
    fn n_features(&self) -> usize {
        by_dtype!(&self.inner, m => m.n_features())
    }

    /// Number of samples seen at fit.
    #[getter]
    fn n_samples(&self) -> usize {
        by_dtype!(&self.inner, m => m.n_samples())
    }

    /// The solver that ran ("full", "covariance_eigh" or "randomized"; "auto" resolved).
    #[getter]
    fn solver(&self) -> &'static str {
        match by_dtype!(&self.inner, m => m.solver()) {
            PcaSolver::Full => "full",
            PcaSolver::CovarianceEigh => "covariance_eigh",
            PcaSolver::Randomized => "randomized",
            PcaSolver::Auto => "auto",
        }
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
        Ok(PyPcaModel {
            inner: FittedPca::from_json(py, document)?,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        reduce_via_json(slf, slf.get().to_json(slf.py())?)
    }
}
