//! Feature labels and units (`segcore::profile::labels`): what a person reads instead of a
//! column name, in English or German; and segment labels as codes
//! (`segcore::profile::encode_labels`).

use crate::arrays::{cell, Cell};
use crate::errors::IntoPyResult;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PySlice;
use segcore::profile::labels::{feature_label as core_feature_label, DEFAULT_CURRENCY};
use segcore::profile::Language;
use segcore::profile::{Label, LabelCodes, LabelPolicy};

/// `(label, unit)` of a feature: the built-in label and unit (`"days between orders (spread)"`,
/// `"days"`), or the name made readable and no unit.
#[pyfunction]
#[pyo3(signature = (name, language="en", currency=None))]
pub fn feature_label(
    py: Python<'_>,
    name: &str,
    language: &str,
    currency: Option<&str>,
) -> PyResult<(String, Option<String>)> {
    let language = Language::parse(language).into_py_result(py)?;
    let label = core_feature_label(name, language);
    let unit = label
        .unit
        .map(|u| u.text(language, currency.unwrap_or(DEFAULT_CURRENCY)));
    Ok((label.label, unit))
}

/// One label as Python gives it ([`cell`]: bools are not numbers here, they are text).
fn label(value: &Bound<'_, PyAny>) -> PyResult<Option<Label>> {
    Ok(cell(value, false)?.map(|c| match c {
        Cell::Number(x) => Label::Number(x),
        Cell::Text(t) => Label::Text(t),
    }))
}

/// `(codes, rows or None, count)` as [`encode_labels`] hands them over.
type Encoded<'py> = (
    Bound<'py, PyArray1<i64>>,
    Option<Bound<'py, PyArray1<i64>>>,
    usize,
);

/// `(codes, rows, count)` of a 1-D numpy array of segment labels under
/// `segcore::profile::encode_labels`: int64 codes, and either the rows of each dense code's
/// label (`count` None) or None and the count of kept labels (code c is label c).
#[pyfunction]
#[pyo3(signature = (labels, name="labels", dense=false, segments_only=false))]
pub fn encode_labels<'py>(
    py: Python<'py>,
    labels: &Bound<'py, PyAny>,
    name: &str,
    dense: bool,
    segments_only: bool,
) -> PyResult<Encoded<'py>> {
    let kind: String = labels.getattr("dtype")?.getattr("kind")?.extract()?;
    let values: Vec<Option<Label>> = if matches!(kind.as_str(), "i" | "u" | "f") {
        let floats: PyReadonlyArray1<'_, f64> =
            labels.call_method1("astype", ("float64",))?.extract()?;
        let floats = floats.as_array();
        floats
            .iter()
            .map(|&x| (!x.is_nan()).then_some(Label::Number(x)))
            .collect()
    } else {
        let list = labels.call_method0("tolist")?;
        list.try_iter()?
            .map(|v| label(&v?))
            .collect::<PyResult<_>>()?
    };
    let shown = |row: usize| -> String {
        let value = labels
            .get_item(PySlice::new(py, row as isize, row as isize + 1, 1))
            .and_then(|one| one.call_method0("tolist")?.get_item(0)?.repr());
        value.map_or_else(|_| "?".into(), |v| v.to_string())
    };
    let policy = LabelPolicy {
        dense,
        segments_only,
    };
    let (codes, meaning) =
        segcore::profile::encode_labels(&values, name, policy, shown).into_py_result(py)?;
    let codes = codes
        .into_iter()
        .map(|c| c as i64)
        .collect::<Vec<_>>()
        .into_pyarray(py);
    Ok(match meaning {
        LabelCodes::Kept(count) => (codes, None, count),
        LabelCodes::Rows(rows) => {
            let count = rows.len();
            let rows = rows.into_iter().map(|r| r as i64).collect::<Vec<_>>();
            (codes, Some(rows.into_pyarray(py)), count)
        }
    })
}
