//! `segcore.preprocessing`: the fitted standard scaler.

use crate::arrays::Matrix;
use crate::dispatch::{reduce_via_json, ByDtype};
use crate::errors::run_detached;
use crate::{by_dtype, fit_by_dtype, with_matching_input};
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use segcore::preprocessing::{StandardScaler, StandardScalerParams};

type FittedScaler = ByDtype<StandardScaler<f64>, StandardScaler<f32>>;

/// A fitted standard scaler (wrapped by `segcore.StandardScaler`).
#[pyclass(module = "segcore._segcore", name = "StandardScalerModel", frozen)]
pub struct PyStandardScalerModel {
    inner: FittedScaler,
}

#[pymethods]
impl PyStandardScalerModel {
    /// Fits on `x` (float32 or float64; the model keeps that dtype).
    #[staticmethod]
    #[pyo3(signature = (x, with_mean, with_std))]
    fn fit(py: Python<'_>, x: Matrix<'_>, with_mean: bool, with_std: bool) -> PyResult<Self> {
        let params = StandardScalerParams {
            with_mean,
            with_std,
        };
        let inner = fit_by_dtype!(py, x, |view| params.fit(view, None))?;
        Ok(PyStandardScalerModel { inner })
    }

    /// Scales `x` (same dtype as at fit).
    fn transform<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
        with_matching_input!(&self.inner, x, |m, view| Ok(run_detached(py, || m
            .transform(view))?
        .into_pyarray(py)
        .into_any()))
    }

    /// Maps scaled values back to original units.
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

    /// Column means (`mean_`).
    #[getter]
    fn mean<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.mean().to_owned().into_pyarray(py).into_any())
    }

    /// Column scales (`scale_`).
    #[getter]
    fn scale<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.scale().to_owned().into_pyarray(py).into_any())
    }

    /// Column variances (`var_`).
    #[getter]
    fn variance<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.variance().to_owned().into_pyarray(py).into_any())
    }

    /// Indices of constant columns.
    #[getter]
    fn constant_columns<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<usize>> {
        by_dtype!(&self.inner, m => m.constant_columns().to_vec()).into_pyarray(py)
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

    /// Rebuilds a model from [`to_json`]'s output.
    #[staticmethod]
    fn from_json(py: Python<'_>, document: &str) -> PyResult<Self> {
        Ok(PyStandardScalerModel {
            inner: FittedScaler::from_json(py, document)?,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        reduce_via_json(slf, slf.get().to_json(slf.py())?)
    }
}
