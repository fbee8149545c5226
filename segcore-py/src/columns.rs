//! Typed results as columns: a table of the core's result structs handed to Python as
//! `{column: numpy array (numbers, flags) or list (text)}`, one entry per column. Python builds
//! its DataFrames from these columns: no per-row Python objects for numbers, and no JSON whose
//! field names Python would spell a second time.
//!
//! Missing figures (the core's `None`: suppressed by the privacy rules, or not applicable) are
//! NaN in float columns; a count column is int64 when every count is published, else float64 with
//! NaN (what pandas infers from the same values), so Python may turn it into a nullable `Int64`.

use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Builder of one column table (see the module doc).
pub(crate) struct Columns<'py> {
    py: Python<'py>,
    dict: Bound<'py, PyDict>,
}

impl<'py> Columns<'py> {
    /// An empty table.
    pub(crate) fn new(py: Python<'py>) -> Self {
        Columns {
            py,
            dict: PyDict::new(py),
        }
    }

    fn put(self, name: &str, value: impl IntoPyObject<'py>) -> PyResult<Self> {
        self.dict.set_item(name, value)?;
        Ok(self)
    }

    /// A float column; `None` becomes NaN.
    pub(crate) fn floats(
        self,
        name: &str,
        values: impl IntoIterator<Item = Option<f64>>,
    ) -> PyResult<Self> {
        let values: Vec<f64> = values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect();
        let array = values.into_pyarray(self.py);
        self.put(name, array)
    }

    /// A count column: int64 when every count is present, else float64 with NaN where missing.
    pub(crate) fn counts(
        self,
        name: &str,
        values: impl IntoIterator<Item = Option<usize>>,
    ) -> PyResult<Self> {
        let values: Vec<Option<usize>> = values.into_iter().collect();
        if values.iter().all(Option::is_some) {
            self.ints(name, values.into_iter().flatten())
        } else {
            self.floats(name, values.into_iter().map(|v| v.map(|c| c as f64)))
        }
    }

    /// An int64 column (labels, codes, ranks).
    pub(crate) fn ints(
        self,
        name: &str,
        values: impl IntoIterator<Item = usize>,
    ) -> PyResult<Self> {
        let values: Vec<i64> = values.into_iter().map(|v| v as i64).collect();
        let array = values.into_pyarray(self.py);
        self.put(name, array)
    }

    /// A bool column.
    pub(crate) fn flags(
        self,
        name: &str,
        values: impl IntoIterator<Item = bool>,
    ) -> PyResult<Self> {
        let values: Vec<bool> = values.into_iter().collect();
        let array = values.into_pyarray(self.py);
        self.put(name, array)
    }

    /// A text column: a list of str (None where absent).
    pub(crate) fn texts<T: IntoPyObject<'py>>(
        self,
        name: &str,
        values: impl IntoIterator<Item = T>,
    ) -> PyResult<Self> {
        let values: Vec<T> = values.into_iter().collect();
        self.put(name, values)
    }

    /// A text column with few distinct values over many rows: int64 codes into `categories`,
    /// handed over as `(codes, categories)` so that Python gathers them in one array operation.
    pub(crate) fn coded_texts<'a>(
        self,
        name: &str,
        values: impl IntoIterator<Item = &'a str>,
    ) -> PyResult<Self> {
        let mut categories: Vec<&str> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let codes: Vec<i64> = values
            .into_iter()
            .map(|v| {
                *index.entry(v).or_insert_with(|| {
                    categories.push(v);
                    categories.len() as i64 - 1
                })
            })
            .collect();
        let codes = codes.into_pyarray(self.py);
        self.put(name, (codes, categories))
    }

    /// The table.
    pub(crate) fn finish(self) -> Bound<'py, PyDict> {
        self.dict
    }
}
