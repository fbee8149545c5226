//! dtype dispatch shared by every fitted-model wrapper.
//!
//! The core is generic over `f32`/`f64`; Python decides the dtype at `fit` (float32 stays
//! float32). A wrapper keeps its model as [`ByDtype`] and uses these macros instead of
//! repeating the same two-armed `match` in every method:
//!
//! - [`fit_by_dtype!`](crate::fit_by_dtype): fit on a [`Matrix`](crate::arrays::Matrix) with the
//!   GIL released, giving a `ByDtype` model of the input's dtype;
//! - [`by_dtype!`](crate::by_dtype): read something from the model whatever its dtype;
//! - [`with_matching_input!`](crate::with_matching_input): apply the model to new input of the
//!   same dtype, or raise the dtype `TypeError`.
//!
//! [`weights_for`] converts an optional sample-weight vector to the model's dtype.

use crate::arrays::Vector;
use crate::persist::{from_document, to_document};
use numpy::PyReadonlyArray1;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// A fitted model in the dtype it was fitted on. Serialised as `{"Float64": ...}` or
/// `{"Float32": ...}` (the layout pickles and saved documents rely on).
#[derive(Clone, Serialize, Deserialize)]
pub enum ByDtype<M64, M32> {
    /// Fitted on float64 input.
    Float64(M64),
    /// Fitted on float32 input.
    Float32(M32),
}

impl<M64, M32> ByDtype<M64, M32> {
    /// "float64" or "float32".
    pub fn dtype(&self) -> &'static str {
        match self {
            ByDtype::Float64(_) => "float64",
            ByDtype::Float32(_) => "float32",
        }
    }
}

impl<M64: Serialize + DeserializeOwned, M32: Serialize + DeserializeOwned> ByDtype<M64, M32> {
    /// The model as its JSON document (pickling, `to_json`).
    pub fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        to_document(py, self)
    }

    /// Parses a document written by [`ByDtype::to_json`]; malformed input is a `ModelFormatError`.
    pub fn from_json(py: Python<'_>, document: &str) -> PyResult<Self> {
        from_document(py, document)
    }
}

/// `__reduce__` for a wrapper class with a static `from_json(document)`: pickles as that call.
pub fn reduce_via_json<'py, T: pyo3::PyClass>(
    slf: &Bound<'py, T>,
    document: String,
) -> PyResult<(Bound<'py, PyAny>, (String,))> {
    Ok((slf.as_any().get_type().getattr("from_json")?, (document,)))
}

/// A dtype mismatch between a fitted model and new input (the Python layer normally converts
/// input first, so this is a guard for direct use of the extension classes).
pub fn dtype_error(expected: &str, got: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "X has dtype {got} but the model was fitted on {expected}; convert X to {expected}"
    ))
}

/// A float dtype a core model can be fitted on.
pub trait Dtype: numpy::Element + Sized {
    /// numpy's name of the dtype.
    const NAME: &'static str;
    /// The vector's array if it has this dtype.
    fn from_vector<'py>(v: Vector<'py>) -> Option<PyReadonlyArray1<'py, Self>>;
}

impl Dtype for f64 {
    const NAME: &'static str = "float64";
    fn from_vector<'py>(v: Vector<'py>) -> Option<PyReadonlyArray1<'py, f64>> {
        match v {
            Vector::Float64(a) => Some(a),
            Vector::Float32(_) => None,
        }
    }
}

impl Dtype for f32 {
    const NAME: &'static str = "float32";
    fn from_vector<'py>(v: Vector<'py>) -> Option<PyReadonlyArray1<'py, f32>> {
        match v {
            Vector::Float32(a) => Some(a),
            Vector::Float64(_) => None,
        }
    }
}

/// Sample weights in dtype `T` (that of X), or a `TypeError` naming both dtypes.
pub fn weights_for<'py, T: Dtype>(
    weights: Option<Vector<'py>>,
) -> PyResult<Option<PyReadonlyArray1<'py, T>>> {
    match weights {
        None => Ok(None),
        Some(v) => T::from_vector(v).map(Some).ok_or_else(|| {
            PyTypeError::new_err(format!(
                "sample_weight must have the dtype of X ({})",
                T::NAME
            ))
        }),
    }
}

/// Fits on a [`Matrix`](crate::arrays::Matrix) with the GIL released, giving a
/// `PyResult<ByDtype<_, _>>` of the input's dtype:
/// `fit_by_dtype!(py, x, |view| params.fit(view))`, or with optional sample weights (converted to
/// X's dtype first, a `TypeError` otherwise):
/// `fit_by_dtype!(py, x, sample_weight, |view, weights| params.fit(view, weights))`, where
/// `weights` is an `Option<ArrayView1<_>>`.
#[macro_export]
macro_rules! fit_by_dtype {
    ($py:expr, $x:expr, |$view:ident| $fit:expr) => {
        match $x {
            $crate::arrays::Matrix::Float64(array) => {
                let $view = array.as_array();
                $crate::errors::run_detached($py, || $fit).map($crate::dispatch::ByDtype::Float64)
            }
            $crate::arrays::Matrix::Float32(array) => {
                let $view = array.as_array();
                $crate::errors::run_detached($py, || $fit).map($crate::dispatch::ByDtype::Float32)
            }
        }
    };
    ($py:expr, $x:expr, $weights:expr, |$view:ident, $w:ident| $fit:expr) => {
        match $x {
            $crate::arrays::Matrix::Float64(array) => {
                let weights = $crate::dispatch::weights_for::<f64>($weights)?;
                let $w = weights.as_ref().map(|w| w.as_array());
                let $view = array.as_array();
                $crate::errors::run_detached($py, || $fit).map($crate::dispatch::ByDtype::Float64)
            }
            $crate::arrays::Matrix::Float32(array) => {
                let weights = $crate::dispatch::weights_for::<f32>($weights)?;
                let $w = weights.as_ref().map(|w| w.as_array());
                let $view = array.as_array();
                $crate::errors::run_detached($py, || $fit).map($crate::dispatch::ByDtype::Float32)
            }
        }
    };
}

/// Evaluates `$body` with `$m` bound to the model, whatever its dtype: `by_dtype!(&self.inner,
/// m => m.n_iter())`. Both arms must have the same type (convert `f32` results with `f64::from`
/// or to Python objects inside the body).
#[macro_export]
macro_rules! by_dtype {
    ($inner:expr, $m:ident => $body:expr) => {
        match $inner {
            $crate::dispatch::ByDtype::Float64($m) => {
                // The body converts f32 results to f64; on the f64 arm that is the identity.
                #[allow(clippy::useless_conversion)]
                let value = $body;
                value
            }
            $crate::dispatch::ByDtype::Float32($m) => $body,
        }
    };
}

/// Applies the model to input of the same dtype, evaluating `body` (a `PyResult`; release the
/// GIL inside it with `run_detached` for heavy work) with `m` the typed model and `view` the
/// input's `ArrayView2`: `with_matching_input!(&self.inner, x, |m, view| body)`, or with optional
/// sample weights converted to the model's dtype: `with_matching_input!(&self.inner, x,
/// sample_weight, |m, view, weights| body)`. A dtype mismatch is the `TypeError` of
/// [`dtype_error`](crate::dispatch::dtype_error).
#[macro_export]
macro_rules! with_matching_input {
    ($inner:expr, $x:expr, |$m:ident, $view:ident| $body:expr) => {
        match ($inner, $x) {
            ($crate::dispatch::ByDtype::Float64($m), $crate::arrays::Matrix::Float64(array)) => {
                let $view = array.as_array();
                // The body may convert f32 results to f64; on the f64 arm that is the identity.
                #[allow(clippy::useless_conversion)]
                let value = $body;
                value
            }
            ($crate::dispatch::ByDtype::Float32($m), $crate::arrays::Matrix::Float32(array)) => {
                let $view = array.as_array();
                $body
            }
            (model, x) => Err($crate::dispatch::dtype_error(model.dtype(), x.dtype_name())),
        }
    };
    ($inner:expr, $x:expr, $weights:expr, |$m:ident, $view:ident, $w:ident| $body:expr) => {
        match ($inner, $x) {
            ($crate::dispatch::ByDtype::Float64($m), $crate::arrays::Matrix::Float64(array)) => {
                let weights = $crate::dispatch::weights_for::<f64>($weights)?;
                let $w = weights.as_ref().map(|w| w.as_array());
                let $view = array.as_array();
                // The body may convert f32 results to f64; on the f64 arm that is the identity.
                #[allow(clippy::useless_conversion)]
                let value = $body;
                value
            }
            ($crate::dispatch::ByDtype::Float32($m), $crate::arrays::Matrix::Float32(array)) => {
                let weights = $crate::dispatch::weights_for::<f32>($weights)?;
                let $w = weights.as_ref().map(|w| w.as_array());
                let $view = array.as_array();
                $body
            }
            (model, x) => Err($crate::dispatch::dtype_error(model.dtype(), x.dtype_name())),
        }
    };
}
