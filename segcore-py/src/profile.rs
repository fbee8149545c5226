//! `segcore.profile`, `segcore.explain`, `segcore.migration`, `segcore.segment_rules` and the
//! legacy `segcore.profile_segments`: DataFrame columns in, the core's profile documents out.

use crate::arrays::{labels_of, non_negative, optional_count, ColumnInput};
use crate::columns::Columns;
use crate::errors::{run_detached, IntoPyResult};
use crate::model_pymethods;
use crate::persist::to_document;
use ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use segcore::cluster::gmm::GaussianMixture;
use segcore::data::CustomerTable;
use segcore::profile::{
    explain, explain_mixture, learn_rules, migration_with as core_migration_with, profile,
    BehaviourKind, BehaviourMix, BehaviourSegment, CategoryCell, FairnessCheck, FairnessSegment,
    Language, Migration, NumericCell, NumericColumnProfile, NumericSummary, ProfileParams,
    Pseudonymiser, RuleParams, SegmentValue, SegmentationProfile, MAX_DENSE_CELLS,
};
use segcore::serve::AnyModel;
use std::collections::BTreeMap;

/// Profiles `features` by `labels`; returns `(json_document, text_table)`. Without names the
/// columns are `x0, x1, ...`; without `n_segments` there are as many as the largest label + 1.
#[pyfunction]
#[pyo3(signature = (features, feature_names, labels, n_segments))]
pub fn profile_segments(
    py: Python<'_>,
    features: PyReadonlyArray2<'_, f64>,
    feature_names: Option<Vec<String>>,
    labels: PyReadonlyArray1<'_, i64>,
    n_segments: Option<i64>,
) -> PyResult<(String, String)> {
    let n_segments = optional_count("n_segments", n_segments).into_py_result(py)?;
    let labels = labels_of(&labels, "labels").into_py_result(py)?;
    let n_segments = n_segments.unwrap_or_else(|| labels.iter().max().map_or(0, |&m| m + 1));
    let view = features.as_array();
    let feature_names =
        feature_names.unwrap_or_else(|| (0..view.ncols()).map(|i| format!("x{i}")).collect());
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

    /// Number of customers profiled.
    #[getter]
    fn n_customers(&self) -> usize {
        self.inner.n_customers
    }

    /// Suppressed segments and fairness warnings.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }

    /// One row per segment: `segment` (code), `name`, `description`, `size`, `share`, the value
    /// figures the profile has (none without a revenue column, no margin ones without a margin
    /// column), `suppressed`.
    fn segments_table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = &self.inner.segments;
        let value = |figure: fn(&SegmentValue) -> Option<f64>| {
            s.iter().map(move |x| x.value.as_ref().and_then(figure))
        };
        let revenue = self.inner.revenue_column.is_some();
        let margin = revenue && self.inner.margin_column.is_some();
        type Figure = (&'static str, bool, fn(&SegmentValue) -> Option<f64>);
        let figures: [Figure; 6] = [
            ("revenue_share", revenue, |v| Some(v.revenue_share)),
            ("margin_share", margin, |v| v.margin_share),
            ("revenue_per_customer", revenue, |v| Some(v.revenue_per_customer)),
            ("margin_per_customer", margin, |v| v.margin_per_customer),
            ("revenue_gini", revenue, |v| Some(v.revenue_gini)),
            ("top20_revenue_share", revenue, |v| Some(v.top20_revenue_share)),
        ];
        let mut table = Columns::new(py)
            .ints("segment", s.iter().map(|x| x.segment))?
            .texts("name", s.iter().map(|x| x.name.as_str()))?
            .texts("description", s.iter().map(|x| x.description.as_str()))?
            .counts("size", s.iter().map(|x| x.size))?
            .floats("share", s.iter().map(|x| x.share))?;
        for (name, present, figure) in figures {
            if present {
                table = table.floats(name, value(figure))?;
            }
        }
        table
            .flags("suppressed", s.iter().map(|x| x.suppressed))
            .map(Columns::finish)
    }

    /// Long table, one row per (numeric column, segment): `segment` (code), `name`, `column`,
    /// the summary, `effect_size`, `base_mean`, `base_median`.
    fn numeric_table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let names = self.segment_names();
        let rows: Vec<(&NumericColumnProfile, &str, &NumericCell)> = self
            .inner
            .numeric
            .iter()
            .flat_map(|col| {
                names
                    .iter()
                    .zip(&col.segments)
                    .map(move |(name, cell)| (col, name.as_str(), cell))
            })
            .collect();
        let summary = |figure: fn(&NumericSummary) -> f64| {
            rows.iter()
                .map(move |(_, _, cell)| cell.summary.as_ref().map(figure))
        };
        let base = |figure: fn(&NumericSummary) -> f64| {
            rows.iter().map(move |(col, _, _)| col.base.as_ref().map(figure))
        };
        Columns::new(py)
            .ints("segment", rows.iter().map(|(_, _, cell)| cell.segment))?
            .texts("name", rows.iter().map(|(_, name, _)| *name))?
            .texts("column", rows.iter().map(|(col, _, _)| col.column.as_str()))?
            .counts(
                "count",
                rows.iter()
                    .map(|(_, _, cell)| cell.summary.as_ref().map(|s| s.count)),
            )?
            .floats("mean", summary(|s| s.mean))?
            .floats("std", summary(|s| s.std))?
            .floats("q1", summary(|s| s.q1))?
            .floats("median", summary(|s| s.median))?
            .floats("q3", summary(|s| s.q3))?
            .floats("effect_size", rows.iter().map(|(_, _, cell)| cell.effect_size))?
            .floats("base_mean", base(|s| s.mean))?
            .floats("base_median", base(|s| s.median))
            .map(Columns::finish)
    }

    /// Long table, one row per (categorical column, segment, category): `segment` (code),
    /// `name`, `column`, `category`, `count`, `share`, `lift`, `base_share`.
    fn categorical_table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let names = self.segment_names();
        let rows: Vec<(&str, &str, Option<usize>, &CategoryCell, &CategoryCell)> = self
            .inner
            .categorical
            .iter()
            .flat_map(|col| {
                names.iter().zip(&col.segments).flat_map(move |(name, comp)| {
                    col.base.cells.iter().zip(&comp.cells).map(move |(base, cell)| {
                        (col.column.as_str(), name.as_str(), comp.segment, base, cell)
                    })
                })
            })
            .collect();
        Columns::new(py)
            .ints("segment", rows.iter().map(|r| r.2.unwrap_or_default()))?
            .texts("name", rows.iter().map(|r| r.1))?
            .texts("column", rows.iter().map(|r| r.0))?
            .texts("category", rows.iter().map(|r| r.4.category.as_str()))?
            .counts("count", rows.iter().map(|r| r.4.count))?
            .floats("share", rows.iter().map(|r| r.4.share))?
            .floats("lift", rows.iter().map(|r| r.4.lift))?
            .floats("base_share", rows.iter().map(|r| r.3.share))
            .map(Columns::finish)
    }

    /// One row per (sensitive column, segment): `column`, `segment` (code), `name`,
    /// `divergence`, `cramers_v`, `warning`.
    fn fairness_table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let names = self.segment_names();
        let rows: Vec<(&FairnessCheck, &str, &FairnessSegment)> = self
            .inner
            .fairness
            .iter()
            .flat_map(|check| {
                names
                    .iter()
                    .zip(&check.segments)
                    .map(move |(name, seg)| (check, name.as_str(), seg))
            })
            .collect();
        Columns::new(py)
            .texts("column", rows.iter().map(|r| r.0.column.as_str()))?
            .ints("segment", rows.iter().map(|r| r.2.segment))?
            .texts("name", rows.iter().map(|r| r.1))?
            .floats("divergence", rows.iter().map(|r| r.2.divergence))?
            .floats("cramers_v", rows.iter().map(|r| Some(r.0.cramers_v)))?
            .flags("warning", rows.iter().map(|r| r.2.above_threshold))
            .map(Columns::finish)
    }

    /// Behaviour mix, one row per (behaviour column, segment, category): `kind`, `column`,
    /// `segment` (code), `name`, `category`, `share`, `base_share`, `lift`, `dominant`.
    fn behaviour_table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let names = self.segment_names();
        let rows: Vec<(&BehaviourMix, &str, &BehaviourSegment, usize)> = self
            .inner
            .behaviour
            .iter()
            .flat_map(|mix| {
                names.iter().zip(&mix.segments).flat_map(move |(name, seg)| {
                    (0..mix.categories.len().min(seg.shares.len()).min(seg.lifts.len()))
                        .map(move |c| (mix, name.as_str(), seg, c))
                })
            })
            .collect();
        let kind = |mix: &BehaviourMix| match mix.kind {
            BehaviourKind::Rfm => "rfm",
            BehaviourKind::Lifecycle => "lifecycle",
        };
        Columns::new(py)
            .texts("kind", rows.iter().map(|r| kind(r.0)))?
            .texts("column", rows.iter().map(|r| r.0.column.as_str()))?
            .ints("segment", rows.iter().map(|r| r.2.segment))?
            .texts("name", rows.iter().map(|r| r.1))?
            .texts("category", rows.iter().map(|r| r.0.categories[r.3].as_str()))?
            .floats("share", rows.iter().map(|r| r.2.shares[r.3]))?
            .floats(
                "base_share",
                rows.iter().map(|r| r.0.base_shares.get(r.3).copied().flatten()),
            )?
            .floats("lift", rows.iter().map(|r| r.2.lifts[r.3]))?
            .flags(
                "dominant",
                rows.iter()
                    .map(|r| r.2.dominant.as_deref() == Some(r.0.categories[r.3].as_str())),
            )
            .map(Columns::finish)
    }

    /// Soft membership (segmentations with probabilities), None otherwise: `(table, threshold,
    /// n_uncertain, mean_uncertainty)`; the table has one row per segment: `segment` (code),
    /// `mean_uncertainty`, `n_uncertain`.
    #[allow(clippy::type_complexity)]
    fn membership_table<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Option<(Bound<'py, PyDict>, f64, Option<usize>, Option<f64>)>> {
        let Some(m) = &self.inner.membership else {
            return Ok(None);
        };
        let s = &m.segments;
        let table = Columns::new(py)
            .ints("segment", s.iter().map(|x| x.segment))?
            .floats("mean_uncertainty", s.iter().map(|x| x.mean_uncertainty))?
            .counts("n_uncertain", s.iter().map(|x| x.n_uncertain))?
            .finish();
        Ok(Some((table, m.threshold, m.n_uncertain, m.mean_uncertainty)))
    }
});

impl PyProfileReport {
    /// Segment names in segment order (the long tables name each row's segment).
    fn segment_names(&self) -> Vec<String> {
        self.inner.segments.iter().map(|s| s.name.clone()).collect()
    }
}

/// A revenue or margin argument: the name of a numeric column, or one value per customer.
#[derive(FromPyObject)]
pub enum ValueColumn<'py> {
    /// A column of the table.
    Name(String),
    /// Values, added to the table as a column.
    Values(PyReadonlyArray1<'py, f64>),
}

/// The column name of a value argument; given values are added to `columns` as the column
/// `default` (with `_` appended while a column has that name).
fn value_column<'py>(
    columns: &mut Vec<(String, ColumnInput<'py>)>,
    value: Option<ValueColumn<'py>>,
    default: &str,
) -> Option<String> {
    match value? {
        ValueColumn::Name(name) => Some(name),
        ValueColumn::Values(values) => {
            let mut name = default.to_owned();
            while columns.iter().any(|(taken, _)| *taken == name) {
                name.push('_');
            }
            columns.push((name.clone(), ColumnInput::Numeric(values)));
            Some(name)
        }
    }
}

/// Profiles a segmentation of the customers described by `columns`.
#[pyfunction]
#[pyo3(signature = (columns, n_rows, labels, *, revenue, margin, sensitive, min_group_size, lang, names, uncertainty=None, uncertainty_threshold=0.2))]
#[allow(clippy::too_many_arguments)]
pub fn build_profile<'py>(
    py: Python<'py>,
    mut columns: Vec<(String, ColumnInput<'py>)>,
    n_rows: i64,
    labels: PyReadonlyArray1<'_, i64>,
    revenue: Option<ValueColumn<'py>>,
    margin: Option<ValueColumn<'py>>,
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
        params.revenue = value_column(&mut columns, revenue, "revenue");
        params.margin = value_column(&mut columns, margin, "margin");
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

/// Transitions between two labelings (wrapped by `segcore.profile.Migration`).
#[pyclass(module = "segcore._segcore", name = "MigrationReport", frozen)]
pub struct PyMigrationReport {
    inner: Migration,
}

#[pymethods]
impl PyMigrationReport {
    /// The non-empty cells, one row each: `before`, `after` (codes), `count`,
    /// `share_of_before` (missing where suppressed).
    fn transitions_table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let t = &self.inner.transitions;
        Columns::new(py)
            .ints("before", t.iter().map(|x| x.before))?
            .ints("after", t.iter().map(|x| x.after))?
            .counts("count", t.iter().map(|x| x.count))?
            .floats("share_of_before", t.iter().map(|x| x.share_of_before))
            .map(Columns::finish)
    }
    /// The dense tables (rows: `before_segments`, columns: `after_segments`): counts (0 where
    /// suppressed), whether each count is suppressed, and the shares of each segment before
    /// (`Migration::shares`, NaN where suppressed). Beyond `MAX_DENSE_CELLS` cells a DataError.
    #[allow(clippy::type_complexity)]
    fn dense<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(
        Bound<'py, PyArray2<i64>>,
        Bound<'py, PyArray2<bool>>,
        Bound<'py, PyArray2<f64>>,
    )> {
        let m = &self.inner;
        let shape = (m.before_segments.len(), m.after_segments.len());
        if shape.0.saturating_mul(shape.1) > MAX_DENSE_CELLS {
            return Err(segcore::Error::UnsupportedInput {
                source_name: format!(
                    "a dense table of {} x {} segments is too large",
                    shape.0, shape.1
                ),
                reason: "read `transitions` instead".into(),
            })
            .into_py_result(py);
        }
        let (counts, shares) = (m.counts(), m.shares());
        let (counts, shares) = (counts.into_py_result(py)?, shares.into_py_result(py)?);
        let cell = |r: usize, c: usize| counts[r][c];
        Ok((
            Array2::from_shape_fn(shape, |(r, c)| cell(r, c).unwrap_or(0) as i64).into_pyarray(py),
            Array2::from_shape_fn(shape, |(r, c)| cell(r, c).is_none()).into_pyarray(py),
            Array2::from_shape_fn(shape, |(r, c)| shares[r][c].unwrap_or(f64::NAN))
                .into_pyarray(py),
        ))
    }
    /// Segment codes present before, ascending.
    #[getter]
    fn before_segments(&self) -> Vec<usize> {
        self.inner.before_segments.clone()
    }
    /// Segment codes present after, ascending.
    #[getter]
    fn after_segments(&self) -> Vec<usize> {
        self.inner.after_segments.clone()
    }
    /// Customers compared.
    #[getter]
    fn n_customers(&self) -> usize {
        self.inner.n_customers
    }
    /// Share of customers with the same label before and after.
    #[getter]
    fn stayed_share(&self) -> f64 {
        self.inner.stayed_share
    }
    /// Adjusted Rand index of the two labelings.
    #[getter]
    fn adjusted_rand_index(&self) -> f64 {
        self.inner.adjusted_rand_index
    }
    /// The whole migration as its JSON document.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        to_document(py, &self.inner)
    }
}

/// Compares two labelings under a minimum group size.
#[pyfunction]
#[pyo3(signature = (labels_before, labels_after, min_group_size = 1))]
pub fn migration(
    py: Python<'_>,
    labels_before: PyReadonlyArray1<'_, i64>,
    labels_after: PyReadonlyArray1<'_, i64>,
    min_group_size: usize,
) -> PyResult<PyMigrationReport> {
    let before = labels_of(&labels_before, "labels_before").into_py_result(py)?;
    let after = labels_of(&labels_after, "labels_after").into_py_result(py)?;
    let inner = run_detached(py, || core_migration_with(&before, &after, min_group_size))?;
    Ok(PyMigrationReport { inner })
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

/// Learns readable rules per segment; returns them as columns: `segment` (code), `rule`,
/// `support` (matched rows), `coverage`, `precision`.
#[pyfunction]
#[pyo3(signature = (columns, n_rows, labels, *, max_conditions, min_group_size, sample_size, random_state))]
#[allow(clippy::too_many_arguments)]
pub fn segment_rules<'py>(
    py: Python<'py>,
    columns: Vec<(String, ColumnInput<'_>)>,
    n_rows: i64,
    labels: PyReadonlyArray1<'_, i64>,
    max_conditions: i64,
    min_group_size: i64,
    sample_size: i64,
    random_state: u64,
) -> PyResult<Bound<'py, PyDict>> {
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
    Columns::new(py)
        .ints("segment", rules.iter().map(|r| r.segment))?
        .texts("rule", rules.iter().map(ToString::to_string))?
        .ints("support", rules.iter().map(|r| r.support))?
        .floats("coverage", rules.iter().map(|r| Some(r.coverage)))?
        .floats("precision", rules.iter().map(|r| Some(r.precision)))
        .map(Columns::finish)
}

/// Keyed-hash pseudonyms (HMAC-SHA-256, 32 hex digits) of `ids`.
#[pyfunction]
pub fn pseudonymise(py: Python<'_>, ids: Vec<String>, key: &[u8]) -> PyResult<Vec<String>> {
    let p = Pseudonymiser::new(key).into_py_result(py)?;
    run_detached(py, || Ok(p.pseudonymise(&ids)))
}
