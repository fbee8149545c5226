//! `segcore.preprocessing`: the fitted standard scaler.

use crate::arrays::{Matrix, Vector};
use crate::dispatch::ByDtype;
use crate::{by_dtype, fit_by_dtype, transformer_pymethods};
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use segcore::preprocessing::{StandardScaler, StandardScalerParams};

type FittedScaler = ByDtype<StandardScaler<f64>, StandardScaler<f32>>;

/// A fitted standard scaler (wrapped by `segcore.StandardScaler`).
#[pyclass(module = "segcore._segcore", name = "StandardScalerModel", frozen)]
pub struct PyStandardScalerModel {
    inner: FittedScaler,
}

transformer_pymethods!(PyStandardScalerModel {
    /// Fits on `x` (float32 or float64; the model keeps that dtype), each row weighted by
    /// `sample_weight` (X's dtype) if given, as scikit-learn's `StandardScaler.fit`.
    #[staticmethod]
    #[pyo3(signature = (x, with_mean, with_std, sample_weight=None))]
    fn fit(
        py: Python<'_>,
        x: Matrix<'_>,
        with_mean: bool,
        with_std: bool,
        sample_weight: Option<Vector<'_>>,
    ) -> PyResult<Self> {
        let params = StandardScalerParams::new()
            .with_mean(with_mean)
            .with_std(with_std);
        let inner = fit_by_dtype!(py, x, sample_weight, |view, weights| params
            .check()
            .and_then(|checked| checked.fit(view, weights)))?;
        Ok(PyStandardScalerModel { inner })
    }

    /// Indices of constant columns.
    #[getter]
    fn constant_columns<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<usize>> {
        by_dtype!(&self.inner, m => m.constant_columns().to_vec()).into_pyarray(py)
    }
} arrays |m| {
    /// Column means (`mean_`).
    mean = m.mean();
    /// Column scales (`scale_`).
    scale = m.scale();
    /// Column variances (`var_`).
    variance = m.variance();
});
