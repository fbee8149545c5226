//! `segcore.preprocessing`: the fitted standard scaler.

use crate::arrays::Matrix;
use crate::errors::run_detached;
use crate::persist::{from_document, to_document};
use numpy::{IntoPyArray, PyArray1};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use segcore::preprocessing::{StandardScaler, StandardScalerParams};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
enum FittedScaler {
    Float64(StandardScaler<f64>),
    Float32(StandardScaler<f32>),
}

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
        let inner = match x {
            Matrix::Float64(a) => {
                let view = a.as_array();
                FittedScaler::Float64(run_detached(py, || params.fit(view, None))?)
            }
            Matrix::Float32(a) => {
                let view = a.as_array();
                FittedScaler::Float32(run_detached(py, || params.fit(view, None))?)
            }
        };
        Ok(PyStandardScalerModel { inner })
    }

    /// Scales `x` (same dtype as at fit).
    fn transform<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
        match (&self.inner, x) {
            (FittedScaler::Float64(m), Matrix::Float64(a)) => {
                let view = a.as_array();
                Ok(run_detached(py, || m.transform(view))?
                    .into_pyarray(py)
                    .into_any())
            }
            (FittedScaler::Float32(m), Matrix::Float32(a)) => {
                let view = a.as_array();
                Ok(run_detached(py, || m.transform(view))?
                    .into_pyarray(py)
                    .into_any())
            }
            (_, x) => Err(dtype_error(self.dtype(), x.dtype_name())),
        }
    }

    /// Maps scaled values back to original units.
    fn inverse_transform<'py>(
        &self,
        py: Python<'py>,
        z: Matrix<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match (&self.inner, z) {
            (FittedScaler::Float64(m), Matrix::Float64(a)) => {
                let view = a.as_array();
                Ok(run_detached(py, || m.inverse_transform(view))?
                    .into_pyarray(py)
                    .into_any())
            }
            (FittedScaler::Float32(m), Matrix::Float32(a)) => {
                let view = a.as_array();
                Ok(run_detached(py, || m.inverse_transform(view))?
                    .into_pyarray(py)
                    .into_any())
            }
            (_, z) => Err(dtype_error(self.dtype(), z.dtype_name())),
        }
    }

    /// Column means (`mean_`).
    #[getter]
    fn mean<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match &self.inner {
            FittedScaler::Float64(m) => m.mean().to_owned().into_pyarray(py).into_any(),
            FittedScaler::Float32(m) => m.mean().to_owned().into_pyarray(py).into_any(),
        }
    }

    /// Column scales (`scale_`).
    #[getter]
    fn scale<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match &self.inner {
            FittedScaler::Float64(m) => m.scale().to_owned().into_pyarray(py).into_any(),
            FittedScaler::Float32(m) => m.scale().to_owned().into_pyarray(py).into_any(),
        }
    }

    /// Column variances (`var_`).
    #[getter]
    fn variance<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match &self.inner {
            FittedScaler::Float64(m) => m.variance().to_owned().into_pyarray(py).into_any(),
            FittedScaler::Float32(m) => m.variance().to_owned().into_pyarray(py).into_any(),
        }
    }

    /// Indices of constant columns.
    #[getter]
    fn constant_columns<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<usize>> {
        let cols = match &self.inner {
            FittedScaler::Float64(m) => m.constant_columns().to_vec(),
            FittedScaler::Float32(m) => m.constant_columns().to_vec(),
        };
        cols.into_pyarray(py)
    }

    /// "float32" or "float64".
    #[getter]
    fn dtype(&self) -> &'static str {
        match &self.inner {
            FittedScaler::Float64(_) => "float64",
            FittedScaler::Float32(_) => "float32",
        }
    }

    /// The fitted state as JSON (used for pickling).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        to_document(py, &self.inner)
    }

    /// Rebuilds a model from [`to_json`]'s output.
    #[staticmethod]
    fn from_json(py: Python<'_>, document: &str) -> PyResult<Self> {
        Ok(PyStandardScalerModel {
            inner: from_document(py, document)?,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let py = slf.py();
        let document = slf.get().to_json(py)?;
        Ok((slf.get_type().getattr("from_json")?, (document,)))
    }
}

/// A dtype mismatch between a fitted model and new input (the Python layer normally prevents it).
pub fn dtype_error(expected: &str, got: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "X has dtype {got} but the model was fitted on {expected}; convert X to {expected}"
    ))
}
