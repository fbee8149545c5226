//! Feature labels and units (`segcore::profile::labels`): what a person reads instead of a
//! column name, in English or German.

use crate::errors::IntoPyResult;
use pyo3::prelude::*;
use segcore::profile::labels::{feature_label as core_feature_label, DEFAULT_CURRENCY};
use segcore::profile::Language;

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
