//! numpy <-> ndarray conversion. Inputs are borrowed as (possibly strided, C- or F-ordered) views:
//! no copy is made here; the Python layer has already picked float32 or float64.

use numpy::ndarray::Dimension;
use numpy::{
    Element, PyReadonlyArray, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};
use pyo3::Borrowed;
use segcore::data::CategoricalColumn;

/// A 2-D float matrix from numpy, in the dtype the caller gave (float32 stays float32).
pub enum Matrix<'py> {
    /// float64 input.
    Float64(PyReadonlyArray2<'py, f64>),
    /// float32 input.
    Float32(PyReadonlyArray2<'py, f32>),
}

/// A 1-D float vector from numpy (sample weights).
pub enum Vector<'py> {
    /// float64 input.
    Float64(PyReadonlyArray1<'py, f64>),
    /// float32 input.
    Float32(PyReadonlyArray1<'py, f32>),
}

/// `obj` as a numpy array of `T` (None if it is not one), refused with a `TypeError` when its
/// buffer is unaligned (say a block unpickled from a byte stream): the core reads typed views,
/// which such a buffer cannot give (a view of it panics).
fn aligned<'py, T: Element, D: Dimension>(
    obj: &Borrowed<'_, 'py, PyAny>,
) -> PyResult<Option<PyReadonlyArray<'py, T, D>>> {
    match obj.extract::<PyReadonlyArray<'py, T, D>>() {
        Ok(array) if !array.is_aligned() => Err(PyTypeError::new_err(format!(
            "a {}-D {} array at an unaligned address cannot be read; pass an aligned copy \
             (numpy.require(x, requirements='A'))",
            D::NDIM.unwrap_or(0),
            array.dtype()
        ))),
        Ok(array) => Ok(Some(array)),
        Err(_) => Ok(None),
    }
}

/// `FromPyObject` for a float32 / float64 array enum: float64 first, unaligned arrays refused.
macro_rules! float_array {
    ($name:ident, $what:literal) => {
        impl<'a, 'py> FromPyObject<'a, 'py> for $name<'py> {
            type Error = PyErr;

            fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
                if let Some(array) = aligned(&obj)? {
                    return Ok($name::Float64(array));
                }
                if let Some(array) = aligned(&obj)? {
                    return Ok($name::Float32(array));
                }
                let got = match obj.cast::<PyUntypedArray>() {
                    Ok(a) => format!("a {}-D {} array", a.ndim(), a.dtype()),
                    Err(_) => obj.get_type().name()?.to_string(),
                };
                Err(PyTypeError::new_err(format!(
                    concat!(
                        "expected a ",
                        $what,
                        " float64 or float32 numpy array, got {}"
                    ),
                    got
                )))
            }
        }
    };
}

float_array!(Matrix, "2-D");
float_array!(Vector, "1-D");

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

/// An optional Python int parameter as an optional count (see [`non_negative`]).
pub fn optional_count(name: &'static str, value: Option<i64>) -> segcore::Result<Option<usize>> {
    value.map(|v| non_negative(name, v)).transpose()
}

/// One DataFrame column converted by the Python layer (`segcore._frames`): float64 values
/// (NaN = missing), or `(categories, codes)` with code -1 = missing (pandas.factorize's
/// convention).
#[derive(FromPyObject)]
pub enum ColumnInput<'py> {
    /// Numeric values.
    Numeric(PyReadonlyArray1<'py, f64>),
    /// Dictionary-encoded categories.
    Categorical(Vec<String>, PyReadonlyArray1<'py, i64>),
}

/// The core's categorical column from Python's `(categories, codes)`: code -1 is missing; a code
/// beyond the categories is reported by the core.
pub fn categorical_column(
    categories: Vec<String>,
    codes: &PyReadonlyArray1<'_, i64>,
) -> segcore::Result<CategoricalColumn> {
    let codes = codes
        .as_array()
        .iter()
        .map(|&c| {
            if c < 0 {
                CategoricalColumn::MISSING
            } else {
                u32::try_from(c).unwrap_or(CategoricalColumn::MISSING - 1)
            }
        })
        .collect();
    CategoricalColumn::from_codes(categories, codes)
}

/// Segment labels from Python as the core's `usize` codes; a negative label is an error naming
/// the argument, the value and its row.
pub fn labels_of(
    labels: &PyReadonlyArray1<'_, i64>,
    name: &'static str,
) -> segcore::Result<Vec<usize>> {
    labels
        .as_array()
        .iter()
        .enumerate()
        .map(|(row, &l)| {
            usize::try_from(l).map_err(|_| {
                segcore::Error::invalid_parameter(
                    name,
                    format!("{l} at row {row}"),
                    "non-negative segment labels",
                )
            })
        })
        .collect()
}

/// A cell as Python gives it, read for the core: a number or a text.
pub enum Cell {
    /// An integer or float (numpy's too; a bool where it counts as a number).
    Number(f64),
    /// A str, or the `str()` of anything else.
    Text(String),
}

/// One value as Python gives it: None, NaN, pandas' NA and NaT are missing (`None`); integers
/// and floats (numpy's too, and bools when `bool_is_number`) are numbers; a str is text,
/// anything else its `str()`.
pub fn cell(value: &Bound<'_, PyAny>, bool_is_number: bool) -> PyResult<Option<Cell>> {
    if value.is_none() {
        return Ok(None);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Some(Cell::Text(text.to_cow()?.into_owned())));
    }
    let kind = value.get_type().name()?.to_string();
    if kind == "NAType" || kind == "NaTType" {
        return Ok(None);
    }
    let boolean = value.is_instance_of::<PyBool>() || kind == "bool";
    let number = if boolean {
        bool_is_number
    } else {
        value.is_instance_of::<PyInt>()
            || value.is_instance_of::<PyFloat>()
            || kind.starts_with("int")
            || kind.starts_with("uint")
            || kind.starts_with("float")
    };
    match value.extract::<f64>() {
        Ok(x) if number => Ok((!x.is_nan()).then_some(Cell::Number(x))),
        _ => Ok(Some(Cell::Text(value.str()?.to_cow()?.into_owned()))),
    }
}
