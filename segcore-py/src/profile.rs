//! `segcore.profile`, `segcore.explain`, `segcore.migration`, `segcore.segment_rules` and the
//! legacy `segcore.profile_segments`: DataFrame columns in, the core's profile documents out.

use crate::arrays::{labels_of, non_negative, ColumnInput};
use crate::errors::{run_detached, IntoPyResult};
use crate::model_pymethods;
use crate::persist::to_document;
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use segcore::cluster::gmm::GaussianMixture;
use segcore::data::CustomerTable;
use segcore::profile::{
    explain, explain_mixture, learn_rules, migration_with as core_migration_with, profile,
    Language, Migration, ProfileParams, Pseudonymiser, RuleParams, SegmentationProfile,
};
use segcore::serve::AnyModel;
use std::collections::BTreeMap;

/// Profiles `features` by `labels`; returns `(json_document, text_table)`.
#[pyfunction]
#[pyo3(signature = (features, feature_names, labels, n_segments))]
pub fn profile_segments(
    py: Python<'_>,
    features: PyReadonlyArray2<'_, f64>,
    feature_names: Vec<String>,
    labels: PyReadonlyArray1<'_, i64>,
    n_segments: i64,
) -> PyResult<(String, String)> {
    let n_segments = non_negative("n_segments", n_segments).into_py_result(py)?;
    let labels = labels_of(&labels, "labels").into_py_result(py)?;
    let view = features.as_array();
    let profile = run_detached(py, || {
        segcore::profile::profile_segments(
            view,
            &feature_names,
            ndarray::ArrayView1::from(&labels),
            n_segments,
        )
    })?;
    Ok((to_document(py, &profile)?, profile.to_string()))
}

/// Builds the core's customer table (ids = row numbers) from converted columns.
fn build_table(
    columns: Vec<(String, ColumnInput<'_>)>,
    n_rows: usize,
) -> segcore::Result<CustomerTable> {
    build_table_with_ids((0..n_rows).map(|i| i.to_string()).collect(), columns)
}

/// Builds the core's customer table with the given customer ids (unique; one per row) from
/// converted columns (shared with the Segmenter binding, whose ids link to transaction logs).
pub(crate) fn build_table_with_ids(
    ids: Vec<String>,
    columns: Vec<(String, ColumnInput<'_>)>,
) -> segcore::Result<CustomerTable> {
    let mut table = CustomerTable::new(ids)?;
    for (name, column) in columns {
        match column {
            ColumnInput::Numeric(values) => {
                table.add_numeric(&name, values.as_array().iter().copied().collect())?
            }
            ColumnInput::Categorical(categories, codes) => table.add_categorical_column(
                &name,
                crate::arrays::categorical_column(categories, &codes)?,
            )?,
        }
    }
    Ok(table)
}

/// A computed segment profile (wrapped by `segcore.profile.Profile`).
#[pyclass(module = "segcore._segcore", name = "ProfileReport", frozen)]
pub struct PyProfileReport {
    inner: SegmentationProfile,
}

model_pymethods!(PyProfileReport {
    /// The Markdown report.
    fn to_markdown(&self) -> String {
        self.inner.to_markdown()
    }
    /// The self-contained HTML report.
    fn to_html(&self) -> String {
        self.inner.to_html()
    }
});

/// Profiles a segmentation of the customers described by `columns`.
#[pyfunction]
#[pyo3(signature = (columns, n_rows, labels, *, revenue, margin, sensitive, min_group_size, lang, names, uncertainty=None, uncertainty_threshold=0.2))]
#[allow(clippy::too_many_arguments)]
pub fn build_profile(
    py: Python<'_>,
    columns: Vec<(String, ColumnInput<'_>)>,
    n_rows: i64,
    labels: PyReadonlyArray1<'_, i64>,
    revenue: Option<String>,
    margin: Option<String>,
    sensitive: Vec<String>,
    min_group_size: i64,
    lang: &str,
    names: BTreeMap<i64, String>,
    uncertainty: Option<PyReadonlyArray1<'_, f64>>,
    uncertainty_threshold: f64,
) -> PyResult<PyProfileReport> {
    let uncertainty = uncertainty.map(|u| u.as_array().to_vec());
    let (table, labels, params) = (|| {
        let mut params = ProfileParams::new()
            .min_group_size(non_negative("min_group_size", min_group_size)?)
            .language(Language::parse(lang)?);
        params.revenue = revenue;
        params.margin = margin;
        params.sensitive = sensitive;
        for (label, name) in names {
            params.names.insert(non_negative("names", label)?, name);
        }
        params.check()?;
        let table = build_table(columns, non_negative("n_rows", n_rows)?)?;
        Ok::<_, segcore::Error>((table, labels_of(&labels, "labels")?, params))
    })()
    .into_py_result(py)?;
    let inner = run_detached(py, || {
        let mut p = profile(&table, &labels, &params)?;
        if let Some(u) = &uncertainty {
            p.add_membership(&labels, u, uncertainty_threshold)?;
        }
        Ok(p)
    })?;
    Ok(PyProfileReport { inner })
}

/// Explains one customer's assignment to the nearest of `centroids`; returns the JSON document.
#[pyfunction]
pub fn explain_centroids(
    py: Python<'_>,
    centroids: PyReadonlyArray2<'_, f64>,
    customer: PyReadonlyArray1<'_, f64>,
    feature_names: Vec<String>,
) -> PyResult<String> {
    let centres = centroids.as_array().to_owned();
    let row = customer.as_array();
    let explanation = run_detached(py, || explain(&centres, row, &feature_names))?;
    to_document(py, &explanation)
}

/// Explains one customer's assignment by a Gaussian mixture given as its segcore model document
/// (`GaussianMixtureModel.to_json()`); returns the JSON document of the explanation.
#[pyfunction]
pub fn explain_mixture_document(
    py: Python<'_>,
    model_document: &str,
    customer: PyReadonlyArray1<'_, f64>,
    feature_names: Vec<String>,
) -> PyResult<String> {
    let row = customer.as_array();
    let explanation = run_detached(py, || {
        let model = AnyModel::from_json(model_document)?;
        if let Some(m) = model.downcast_ref::<GaussianMixture<f64>>() {
            return explain_mixture(m, row, &feature_names);
        }
        if let Some(m) = model.downcast_ref::<GaussianMixture<f32>>() {
            return explain_mixture(m, row, &feature_names);
        }
        Err(segcore::Error::invalid_parameter(
            "model",
            "a model document of another kind",
            "a Gaussian mixture document",
        ))
    })?;
    to_document(py, &explanation)
}

/// Compares two labelings under a minimum group size; returns the JSON document of the migration.
#[pyfunction]
#[pyo3(signature = (labels_before, labels_after, min_group_size = 1))]
pub fn migration(
    py: Python<'_>,
    labels_before: PyReadonlyArray1<'_, i64>,
    labels_after: PyReadonlyArray1<'_, i64>,
    min_group_size: usize,
) -> PyResult<String> {
    let before = labels_of(&labels_before, "labels_before").into_py_result(py)?;
    let after = labels_of(&labels_after, "labels_after").into_py_result(py)?;
    let m = run_detached(py, || core_migration_with(&before, &after, min_group_size))?;
    to_document(py, &m)
}

/// Rows that moved from segment `from` to segment `to`.
#[pyfunction]
pub fn movers(
    py: Python<'_>,
    labels_before: PyReadonlyArray1<'_, i64>,
    labels_after: PyReadonlyArray1<'_, i64>,
    from_segment: i64,
    to_segment: i64,
) -> PyResult<Vec<usize>> {
    let before = labels_of(&labels_before, "labels_before").into_py_result(py)?;
    let after = labels_of(&labels_after, "labels_after").into_py_result(py)?;
    let (from, to) = (|| {
        Ok::<_, segcore::Error>((
            non_negative("from_segment", from_segment)?,
            non_negative("to_segment", to_segment)?,
        ))
    })()
    .into_py_result(py)?;
    run_detached(py, || Migration::movers(&before, &after, from, to))
}

/// One learnt rule as Python receives it: (segment, rule text, matched rows, coverage, precision).
type RuleRow = (usize, String, usize, f64, f64);

/// Learns readable rules per segment; returns the JSON document (a list of rules).
#[pyfunction]
#[pyo3(signature = (columns, n_rows, labels, *, max_conditions, min_group_size, sample_size, random_state))]
#[allow(clippy::too_many_arguments)]
pub fn segment_rules(
    py: Python<'_>,
    columns: Vec<(String, ColumnInput<'_>)>,
    n_rows: i64,
    labels: PyReadonlyArray1<'_, i64>,
    max_conditions: i64,
    min_group_size: i64,
    sample_size: i64,
    random_state: u64,
) -> PyResult<Vec<RuleRow>> {
    let (table, labels, params) = (|| {
        let params = RuleParams {
            max_conditions: non_negative("max_conditions", max_conditions)?,
            min_group_size: non_negative("min_group_size", min_group_size)?,
            sample_size: non_negative("sample_size", sample_size)?,
            random_state,
            columns: None,
        };
        params.check()?;
        let table = build_table(columns, non_negative("n_rows", n_rows)?)?;
        Ok::<_, segcore::Error>((table, labels_of(&labels, "labels")?, params))
    })()
    .into_py_result(py)?;
    let rules = run_detached(py, || learn_rules(&table, &labels, &params))?;
    Ok(rules
        .into_iter()
        .map(|r| (r.segment, r.to_string(), r.support, r.coverage, r.precision))
        .collect())
}

/// Keyed-hash pseudonyms (HMAC-SHA-256, 32 hex digits) of `ids`.
#[pyfunction]
pub fn pseudonymise(py: Python<'_>, ids: Vec<String>, key: &[u8]) -> PyResult<Vec<String>> {
    let p = Pseudonymiser::new(key).into_py_result(py)?;
    run_detached(py, || Ok(p.pseudonymise(&ids)))
}
