//! What every fitted-model pyclass shares: its `#[pymethods]` block, saving, and dtype dispatch.
//!
//! Invariant: a model pyclass is a struct with one field `inner` (the core's fitted model, or a
//! [`ByDtype`] pair) and one [`model_pymethods!`](crate::model_pymethods) block, in which every
//! method is a one-liner through the helpers below; `to_json`, `from_json`, `__reduce__` (and
//! `dtype`) are written once, here, on the [`SavedState`] trait.
//!
//! The core is generic over `f32`/`f64`; Python decides the dtype at `fit` (float32 stays
//! float32). These macros replace the two-armed `match` every method would otherwise repeat:
//!
//! - [`fit_by_dtype!`](crate::fit_by_dtype): fit on a [`Matrix`](crate::arrays::Matrix) with the
//!   GIL released, giving a `ByDtype` model of the input's dtype;
//! - [`by_dtype!`](crate::by_dtype): read something from the model whatever its dtype;
//! - [`with_matching_input!`](crate::with_matching_input): apply the model to new input of the
//!   same dtype, or raise the dtype `TypeError`; [`array_out!`](crate::array_out) and
//!   [`labels_out!`](crate::labels_out) return the result to numpy,
//!   [`map_matching_input!`](crate::map_matching_input) keeps a new model in its dtype;
//! - [`with_input!`](crate::with_input): run a core function on input of either dtype.
//!
//! [`weights_for`] converts an optional sample-weight vector to the model's dtype.

use crate::arrays::Vector;
use numpy::PyReadonlyArray1;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use segcore::persist::{self, SavedModel};
use serde::{Deserialize, Serialize};

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

/// A fitted state that travels as one JSON document: `to_json`, `from_json` and pickling of
/// every model pyclass go through this trait (see [`model_pymethods!`](crate::model_pymethods)).
pub trait SavedState: Sized + Send + Sync {
    /// The state as its document (for saved models, the same JSON a Rust service loads with
    /// `segcore::persist::from_json`).
    fn to_document(&self) -> segcore::Result<String>;
    /// Reads a document written by [`to_document`](SavedState::to_document) here or in Rust;
    /// anything malformed, of another kind or inconsistent is an error (never executes code).
    fn from_document(document: &str) -> segcore::Result<Self>;
}

impl<M64: SavedModel + Send + Sync, M32: SavedModel + Send + Sync> SavedState
    for ByDtype<M64, M32>
{
    fn to_document(&self) -> segcore::Result<String> {
        match self {
            ByDtype::Float64(m) => persist::to_json(m),
            ByDtype::Float32(m) => persist::to_json(m),
        }
    }

    fn from_document(document: &str) -> segcore::Result<Self> {
        if persist::document_kind(document)? == M32::kind() {
            persist::from_json(document).map(ByDtype::Float32)
        } else {
            persist::from_json(document).map(ByDtype::Float64)
        }
    }
}

/// [`SavedState`] through `segcore::persist` for models without a dtype parameter.
macro_rules! saved_via_persist {
    ($($model:ty),*) => {$(
        impl SavedState for $model {
            fn to_document(&self) -> segcore::Result<String> {
                persist::to_json(self)
            }
            fn from_document(document: &str) -> segcore::Result<Self> {
                persist::from_json(document)
            }
        }
    )*};
}

saved_via_persist!(
    segcore::cluster::ward::Ward,
    segcore::segmenter::Segmenter,
    segcore::clv::BetaGeo,
    segcore::clv::ParetoNbd,
    segcore::clv::GammaGamma,
    segcore::cluster::kprototypes::KPrototypes,
    segcore::cluster::latent_class::LatentClass,
    segcore::reduce::correspondence::Mca,
    segcore::reduce::correspondence::Ca
);

/// [`SavedState`] through a type's own `to_json`/`from_json` (documents outside the
/// `segcore::persist` envelope).
macro_rules! saved_via_own_json {
    ($($model:ty),*) => {$(
        impl SavedState for $model {
            fn to_document(&self) -> segcore::Result<String> {
                self.to_json()
            }
            fn from_document(document: &str) -> segcore::Result<Self> {
                <$model>::from_json(document)
            }
        }
    )*};
}

saved_via_own_json!(
    segcore::features::pipeline::FeaturePipeline,
    segcore::profile::SegmentationProfile
);

/// `__reduce__` for a wrapper class with a static `from_json(document)`: pickles as that call.
pub fn reduce_via_json<'py, T: pyo3::PyClass>(
    slf: &Bound<'py, T>,
    document: String,
) -> PyResult<(Bound<'py, PyAny>, (String,))> {
    Ok((slf.as_any().get_type().getattr("from_json")?, (document,)))
}

/// The `#[pymethods]` block of a pyclass holding its fitted state in a field `inner:`
/// [`SavedState`]: the methods given, then `to_json`, `from_json` and `__reduce__` (pickling as
/// `from_json(document)`). With `dtype` first (a [`ByDtype`] state), also the `dtype` getter and
/// one getter per line of the optional `arrays` (fitted arrays, returned in the model's dtype)
/// and `values` (anything else, the same type for both dtypes) lists. Every method of the block
/// stays a one-liner through the helpers of this module:
///
/// ```ignore
/// model_pymethods!(dtype PyPcaModel {
///     /// Component scores of `x`.
///     fn transform<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
///         array_out!(py, &self.inner, x, |m, view| m.transform(view))
///     }
/// } arrays |m| {
///     /// Loadings, one row per component.
///     components = m.components();
/// } values |m| {
///     /// Number of components kept.
///     n_components: usize = m.n_components();
/// });
/// ```
#[macro_export]
macro_rules! model_pymethods {
    (dtype $class:ident { $($methods:tt)* }
        $(arrays |$a:ident| { $( $(#[$adoc:meta])* $array:ident = $avalue:expr_2021; )* })?
        $(values |$v:ident| { $( $(#[$vdoc:meta])* $value:ident: $vty:ty = $vvalue:expr_2021; )* })?
    ) => {
        $crate::model_pymethods!($class {
            $($methods)*

            $($(
                $(#[$adoc])*
                #[getter]
                fn $array<'py>(&self, py: pyo3::Python<'py>) -> pyo3::Bound<'py, pyo3::PyAny> {
                    $crate::array_getter!(py, &self.inner, |$a| $avalue)
                }
            )*)?

            $($(
                $(#[$vdoc])*
                #[getter]
                fn $value(&self) -> $vty {
                    $crate::by_dtype!(&self.inner, $v => $vvalue)
                }
            )*)?

            /// "float32" or "float64".
            #[getter]
            fn dtype(&self) -> &'static str {
                self.inner.dtype()
            }
        });
    };
    ($class:ident { $($methods:tt)* }) => {
        #[pyo3::pymethods]
        impl $class {
            $($methods)*

            /// The fitted state as its document (JSON; used for pickling; saved models load in
            /// Rust with `segcore::persist::from_json`).
            fn to_json(&self, py: pyo3::Python<'_>) -> pyo3::PyResult<String> {
                let inner = &self.inner;
                $crate::errors::run_detached(py, move || {
                    $crate::dispatch::SavedState::to_document(inner)
                })
            }

            /// Rebuilds the object from `to_json`'s output (validated; never executes code).
            #[staticmethod]
            fn from_json(py: pyo3::Python<'_>, document: &str) -> pyo3::PyResult<Self> {
                let inner = $crate::errors::run_detached(py, move || {
                    $crate::dispatch::SavedState::from_document(document)
                })?;
                Ok(Self { inner })
            }

            fn __reduce__<'py>(
                slf: &pyo3::Bound<'py, Self>,
            ) -> pyo3::PyResult<(pyo3::Bound<'py, pyo3::PyAny>, (String,))> {
                let document = slf.get().to_json(slf.py())?;
                $crate::dispatch::reduce_via_json(slf, document)
            }
        }
    };
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

/// Binds `$view` to the input's view and `$w` to its optional sample weights converted to `$t`
/// (a `TypeError` otherwise): the first lines of every dtype arm of the macros below.
#[doc(hidden)]
#[macro_export]
macro_rules! bind_input {
    ($t:ty, $array:ident, $weights:expr_2021, $view:ident, $w:ident) => {
        let weights = $crate::dispatch::weights_for::<$t>($weights)?;
        let $w = weights.as_ref().map(|w| w.as_array());
        let $view = $array.as_array();
    };
}

/// Fits on a [`Matrix`](crate::arrays::Matrix) with the GIL released, giving a
/// `PyResult<ByDtype<_, _>>` of the input's dtype:
/// `fit_by_dtype!(py, x, |view| params.fit(view))`, or with optional sample weights (converted to
/// X's dtype first, a `TypeError` otherwise):
/// `fit_by_dtype!(py, x, sample_weight, |view, weights| params.fit(view, weights))`, where
/// `weights` is an `Option<ArrayView1<_>>`.
#[macro_export]
macro_rules! fit_by_dtype {
    ($py:expr_2021, $x:expr_2021, |$view:ident| $fit:expr_2021) => {
        $crate::fit_by_dtype!($py, $x, None, |$view, _weights| $fit)
    };
    ($py:expr_2021, $x:expr_2021, $weights:expr_2021, |$view:ident, $w:ident| $fit:expr_2021) => {
        match $x {
            $crate::arrays::Matrix::Float64(array) => {
                $crate::bind_input!(f64, array, $weights, $view, $w);
                $crate::errors::run_detached($py, || $fit).map($crate::dispatch::ByDtype::Float64)
            }
            $crate::arrays::Matrix::Float32(array) => {
                $crate::bind_input!(f32, array, $weights, $view, $w);
                $crate::errors::run_detached($py, || $fit).map($crate::dispatch::ByDtype::Float32)
            }
        }
    };
}

/// Runs `$body` (a `segcore::Result`) with the GIL released on input of either dtype, for core
/// functions generic over the float type whose result does not depend on it:
/// `with_input!(py, x, |view| f(view))` or, with optional sample weights converted to X's dtype,
/// `with_input!(py, x, sample_weight, |view, weights| f(view, weights))`.
#[macro_export]
macro_rules! with_input {
    ($py:expr_2021, $x:expr_2021, |$view:ident| $body:expr_2021) => {
        $crate::with_input!($py, $x, None, |$view, _weights| $body)
    };
    ($py:expr_2021, $x:expr_2021, $weights:expr_2021, |$view:ident, $w:ident| $body:expr_2021) => {
        match $x {
            $crate::arrays::Matrix::Float64(array) => {
                $crate::bind_input!(f64, array, $weights, $view, $w);
                $crate::errors::run_detached($py, || $body)
            }
            $crate::arrays::Matrix::Float32(array) => {
                $crate::bind_input!(f32, array, $weights, $view, $w);
                $crate::errors::run_detached($py, || $body)
            }
        }
    };
}

/// Evaluates `$body` with `$m` bound to the model, whatever its dtype: `by_dtype!(&self.inner,
/// m => m.n_iter())`. Both arms must have the same type (convert `f32` results with `f64::from`
/// or to Python objects inside the body).
#[macro_export]
macro_rules! by_dtype {
    ($inner:expr_2021, $m:ident => $body:expr_2021) => {
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
    ($inner:expr_2021, $x:expr_2021, |$m:ident, $view:ident| $body:expr_2021) => {
        $crate::with_matching_input!(@arms $inner, $x, None, |$m, $view, _weights| $body)
    };
    ($inner:expr_2021, $x:expr_2021, $weights:expr_2021, |$m:ident, $view:ident, $w:ident| $body:expr_2021) => {
        $crate::with_matching_input!(@arms $inner, $x, $weights, |$m, $view, $w| $body)
    };
    // The arms; with `$wrap64, $wrap32` the body's `Ok` value is wrapped per dtype.
    (@arms $inner:expr_2021, $x:expr_2021, $weights:expr_2021, |$m:ident, $view:ident, $w:ident| $body:expr_2021
        $(, $wrap64:path, $wrap32:path)?) => {
        match ($inner, $x) {
            ($crate::dispatch::ByDtype::Float64($m), $crate::arrays::Matrix::Float64(array)) => {
                $crate::bind_input!(f64, array, $weights, $view, $w);
                // The body may convert f32 results to f64; on the f64 arm that is the identity.
                #[allow(clippy::useless_conversion)]
                let value = $body;
                value $(.map($wrap64))?
            }
            ($crate::dispatch::ByDtype::Float32($m), $crate::arrays::Matrix::Float32(array)) => {
                $crate::bind_input!(f32, array, $weights, $view, $w);
                $body $(.map($wrap32))?
            }
            (model, x) => Err($crate::dispatch::dtype_error(model.dtype(), x.dtype_name())),
        }
    };
}

/// Like [`with_matching_input!`](crate::with_matching_input) with sample weights, for a body
/// that gives a new model of the same dtype (`PyResult<M>`): the result is the `ByDtype` of that
/// dtype. `map_matching_input!(&self.inner, x, sample_weight, |m, view, weights| body)`.
#[macro_export]
macro_rules! map_matching_input {
    ($inner:expr_2021, $x:expr_2021, $weights:expr_2021, |$m:ident, $view:ident, $w:ident| $body:expr_2021) => {
        $crate::with_matching_input!(@arms $inner, $x, $weights, |$m, $view, $w| $body,
            $crate::dispatch::ByDtype::Float64, $crate::dispatch::ByDtype::Float32)
    };
}

/// Applies the model to input of its dtype with the GIL released and returns the resulting
/// array (in the model's dtype) to Python: `array_out!(py, &self.inner, x, |m, view|
/// m.transform(view))`. A dtype mismatch is the `TypeError` of [`dtype_error`].
#[macro_export]
macro_rules! array_out {
    ($py:expr_2021, $inner:expr_2021, $x:expr_2021, |$m:ident, $view:ident| $call:expr_2021) => {
        $crate::with_matching_input!($inner, $x, |$m, $view| Ok(
            numpy::IntoPyArray::into_pyarray($crate::errors::run_detached($py, || $call)?, $py)
                .into_any()
        ))
    };
}

/// Like [`array_out!`](crate::array_out) for label arrays (`usize` in the core), returned as
/// numpy integers of type `$int`: `labels_out!(py, &self.inner, x, i64, |m, view|
/// m.predict(view))`.
#[macro_export]
macro_rules! labels_out {
    ($py:expr_2021, $inner:expr_2021, $x:expr_2021, $int:ty, |$m:ident, $view:ident| $call:expr_2021) => {
        $crate::with_matching_input!($inner, $x, |$m, $view| Ok(
            numpy::IntoPyArray::into_pyarray(
                $crate::errors::run_detached($py, || $call)?.mapv(|l| l as $int),
                $py
            )
        ))
    };
}

/// A fitted array of the model (whatever its dtype) copied to a numpy array of that dtype:
/// `array_getter!(py, &self.inner, |m| m.cluster_centers())`.
#[macro_export]
macro_rules! array_getter {
    ($py:expr_2021, $inner:expr_2021, |$m:ident| $array:expr_2021) => {
        $crate::by_dtype!($inner, $m => numpy::IntoPyArray::into_pyarray($array.to_owned(), $py).into_any())
    };
}
