//! numpy <-> ndarray conversion. Inputs are borrowed as (possibly strided, C- or F-ordered) views:
//! no copy is made here; the Python layer has already picked float32 or float64.

use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

/// A 2-D float matrix from numpy, in the dtype the caller gave (float32 stays float32).
#[derive(FromPyObject)]
pub enum Matrix<'py> {
    /// float64 input.
    Float64(PyReadonlyArray2<'py, f64>),
    /// float32 input.
    Float32(PyReadonlyArray2<'py, f32>),
}

/// A 1-D float vector from numpy (sample weights).
#[derive(FromPyObject)]
pub enum Vector<'py> {
    /// float64 input.
    Float64(PyReadonlyArray1<'py, f64>),
    /// float32 input.
    Float32(PyReadonlyArray1<'py, f32>),
}

impl Matrix<'_> {
    /// "float32" or "float64".
    pub fn dtype_name(&self) -> &'static str {
        match self {
            Matrix::Float64(_) => "float64",
            Matrix::Float32(_) => "float32",
        }
    }
}

/// Converts a Python int parameter to `usize`, reporting a negative value as the core does for
/// any out-of-range parameter (the range itself is checked by the core's params).
pub fn non_negative(name: &'static str, value: i64) -> segcore::Result<usize> {
    usize::try_from(value)
        .map_err(|_| segcore::Error::invalid_parameter(name, value, "a non-negative integer"))
}
