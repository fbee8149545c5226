//! `segcore.Segmenter`'s fitted model: the core's `segcore::segmenter::Segmenter` behind a frozen
//! pyclass. Customer frames arrive as converted columns (shared with `segcore.profile`, see
//! `profile::build_table_with_ids`) plus the customer ids; transaction logs as the factorized
//! columns `segcore.behaviour_features` sends (`features::TxInput`). Every core call runs with the
//! GIL released; saving and pickling go through the core's versioned document, so a model saved
//! here loads in a Rust service and the reverse.

use crate::arrays::non_negative;
use crate::arrays::ColumnInput;
use crate::clv::segment_value_columns;
use crate::errors::{run_detached, IntoPyResult};
use crate::features::{TxInput, TxNames, TxOwned};
use crate::model_pymethods;
use crate::persist::to_document;
use crate::profile::build_table_with_ids;
use crate::progress::PythonProgress;
use crate::select::select_result;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};
use segcore::data::{CustomerTable, Date, TransactionLog};
use segcore::segmenter::{Assignment, ReportContext, Segmenter, SegmenterParams};
use segcore::Error;
use std::collections::BTreeMap;

/// A transaction log as sent by the Python layer: the factorized columns and their user names.
type TxArgument<'py> = (TxInput<'py>, TxNames);

/// Customers and (optionally) their transactions, read out of Python and ready to leave the GIL.
struct Inputs {
    /// `None`: no customer table; it is derived from the log.
    table: Option<CustomerTable>,
    log: Option<TxOwned>,
}

impl Inputs {
    fn read(
        ids: Option<Vec<String>>,
        columns: Vec<(String, ColumnInput<'_>)>,
        tx: Option<TxArgument<'_>>,
    ) -> segcore::Result<Inputs> {
        let table = ids
            .map(|ids| build_table_with_ids(ids, columns))
            .transpose()?;
        let log = tx.map(|(input, names)| input.to_owned(names)).transpose()?;
        Ok(Inputs { table, log })
    }

    /// The core's transaction log (a row with a missing id, date or amount is an error naming
    /// its column and row, as in `segcore.behaviour_features`), and the customer table (derived
    /// from the log, `CustomerTable::from_transactions`, when there is none).
    fn into_parts(self) -> segcore::Result<(CustomerTable, Option<TransactionLog>)> {
        let log = match self.log {
            Some(owned) => Some(owned.into_log(segcore::data::OnInvalid::Raise)?.log),
            None => None,
        };
        let table = match (self.table, &log) {
            (Some(table), _) => table,
            (None, Some(log)) => CustomerTable::from_transactions(log),
            (None, None) => {
                return Err(Error::EmptyInput {
                    what: "neither customers nor transactions were given".into(),
                })
            }
        };
        Ok((table, log))
    }
}

/// Assignments as columns: segment (-1 = unassigned), name, probabilities and uncertainty
/// (mixtures; NaN where unassigned), reason, extreme (the core's note on a customer beyond the
/// fit's extreme rule, else None).
type AssignmentColumns<'py> = (
    Bound<'py, PyArray1<i64>>,
    Vec<Option<String>>,
    Option<Bound<'py, PyArray2<f64>>>,
    Option<Bound<'py, PyArray1<f64>>>,
    Vec<Option<String>>,
    Vec<Option<String>>,
);

fn assignment_columns(
    py: Python<'_>,
    assigned: Vec<Assignment>,
    k: usize,
) -> AssignmentColumns<'_> {
    let n = assigned.len();
    let mixture = assigned.iter().any(|a| a.probabilities.is_some());
    let mut segments = Vec::with_capacity(n);
    let mut names = Vec::with_capacity(n);
    let mut reasons = Vec::with_capacity(n);
    let mut extremes = Vec::with_capacity(n);
    let mut probabilities = if mixture {
        Some(ndarray::Array2::from_elem((n, k), f64::NAN))
    } else {
        None
    };
    let mut uncertainty = mixture.then(|| vec![f64::NAN; n]);
    for (row, a) in assigned.into_iter().enumerate() {
        segments.push(a.segment.map_or(-1, |s| s as i64));
        if let (Some(column), Some(u)) = (uncertainty.as_mut(), a.uncertainty) {
            column[row] = u;
        }
        names.push(a.name);
        reasons.push(a.reason);
        extremes.push(a.extreme);
        if let (Some(table), Some(p)) = (probabilities.as_mut(), a.probabilities) {
            for (j, value) in p.into_iter().enumerate().take(k) {
                table[[row, j]] = value;
            }
        }
    }
    (
        segments.into_pyarray(py),
        names,
        probabilities.map(|p| p.into_pyarray(py)),
        uncertainty.map(|u| u.into_pyarray(py)),
        reasons,
        extremes,
    )
}

/// One value of a record as the core reads it (JSON): None, NaN and pandas' NA/NaT are null,
/// numpy scalars their Python value, numbers, text and booleans themselves, anything else its
/// text. An infinite number is an error (a record is a JSON object).
fn record_value(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    use serde_json::Value;
    let value = if value.is_instance(&py.import("numpy")?.getattr("generic")?)? {
        value.call_method0("item")?
    } else {
        value.clone()
    };
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(number) = value.extract::<i64>() {
            return Ok(Value::from(number));
        }
    }
    if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
        let number: f64 = value.extract()?;
        if number.is_nan() {
            return Ok(Value::Null);
        }
        return serde_json::Number::from_f64(number)
            .map(Value::Number)
            .ok_or_else(|| Error::invalid_parameter("record", number, "finite numbers"))
            .into_py_result(py);
    }
    if value.is_instance_of::<PyString>() {
        return Ok(Value::String(value.extract()?));
    }
    let type_name = value.get_type().name()?.to_string();
    if type_name == "NAType" || type_name == "NaTType" {
        return Ok(Value::Null);
    }
    Ok(Value::String(value.str()?.to_string()))
}

/// A fitted Segmenter (wrapped by `segcore.Segmenter`).
#[pyclass(module = "segcore._segcore", name = "SegmenterModel", frozen)]
pub struct PySegmenterModel {
    inner: Segmenter,
}

impl PySegmenterModel {
    /// `work` on the model and the customers (and their log) read from Python, with the GIL
    /// released.
    fn on_customers<T: Send>(
        &self,
        py: Python<'_>,
        ids: Vec<String>,
        columns: Vec<(String, ColumnInput<'_>)>,
        tx: Option<TxArgument<'_>>,
        work: impl Send
            + FnOnce(&Segmenter, &CustomerTable, Option<&TransactionLog>) -> segcore::Result<T>,
    ) -> PyResult<T> {
        let inputs = Inputs::read(Some(ids), columns, tx).into_py_result(py)?;
        let model = &self.inner;
        run_detached(py, move || {
            let (table, log) = inputs.into_parts()?;
            work(model, &table, log.as_ref())
        })
    }
}

model_pymethods!(PySegmenterModel {
    /// Fits the whole chain. `params` is the JSON of the parameters in their serde form (the
    /// Python keyword arguments, `segcore::segmenter::form`). `progress(stage, fraction)` is
    /// called (with the GIL re-acquired) as the fit goes; an exception it raises is re-raised
    /// once the fit ends.
    #[staticmethod]
    #[pyo3(signature = (params, ids, columns, tx=None, progress=None))]
    fn fit(
        py: Python<'_>,
        params: &str,
        ids: Option<Vec<String>>,
        columns: Vec<(String, ColumnInput<'_>)>,
        tx: Option<TxArgument<'_>>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let params = SegmenterParams::from_form(params).into_py_result(py)?;
        let inputs = Inputs::read(ids, columns, tx).into_py_result(py)?;
        let mut reporter = PythonProgress::new(progress);
        let result = run_detached(py, || {
            let (table, log) = inputs.into_parts()?;
            params.fit_with_progress(&table, log.as_ref(), &mut |stage: &str, fraction: f64| {
                reporter.report((stage, fraction))
            })
        });
        let inner = reporter.finish(result)?;
        Ok(PySegmenterModel { inner })
    }

    /// Assigns customers: `(segment, name, probabilities, uncertainty, reason)` columns, one row
    /// per input row. `as_of` (days since 1970-01-01): the date behaviour is measured at
    /// (`Segmenter::predict_at`); None = the model's default for the log given.
    #[pyo3(signature = (ids, columns, tx=None, as_of=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        ids: Vec<String>,
        columns: Vec<(String, ColumnInput<'py>)>,
        tx: Option<TxArgument<'py>>,
        as_of: Option<i64>,
    ) -> PyResult<AssignmentColumns<'py>> {
        let as_of = as_of.map(|d| Date::parameter("as_of", d)).transpose().into_py_result(py)?;
        let assigned = self.on_customers(py, ids, columns, tx, |model, table, log| match as_of {
            Some(date) => model.predict_at(table, log, date),
            None => model.predict(table, log),
        })?;
        Ok(assignment_columns(py, assigned, self.inner.n_segments()))
    }

    /// Assigns one customer given as a dict of the input columns (the service path,
    /// `Segmenter::predict_record`): `{"segment" (None when unassigned), "name",
    /// "probabilities", "reason"}`, plus `"uncertainty"` for mixtures and `"extreme"` for a
    /// customer beyond the fit's extreme rule.
    fn predict_record<'py>(
        &self,
        py: Python<'py>,
        record: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut columns = serde_json::Map::new();
        for (key, value) in record.iter() {
            columns.insert(key.str()?.to_string(), record_value(py, &value)?);
        }
        let model = &self.inner;
        let a = run_detached(py, move || model.predict_record(&columns))?;
        let out = PyDict::new(py);
        out.set_item("segment", a.segment)?;
        out.set_item("name", a.name)?;
        out.set_item("probabilities", a.probabilities)?;
        out.set_item("reason", a.reason)?;
        if let Some(uncertainty) = a.uncertainty {
            out.set_item("uncertainty", uncertainty)?;
        }
        if let Some(extreme) = a.extreme {
            out.set_item("extreme", extreme)?;
        }
        Ok(out)
    }

    /// Model-space features (NaN rows where a customer cannot be assigned).
    #[pyo3(signature = (ids, columns, tx=None))]
    fn transform<'py>(
        &self,
        py: Python<'py>,
        ids: Vec<String>,
        columns: Vec<(String, ColumnInput<'py>)>,
        tx: Option<TxArgument<'py>>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let x = self.on_customers(py, ids, columns, tx, |m, table, log| m.transform(table, log))?;
        Ok(x.into_pyarray(py))
    }

    /// Mean silhouette of the assigned customers in the model space (`Segmenter::score`).
    fn score(
        &self,
        py: Python<'_>,
        ids: Vec<String>,
        columns: Vec<(String, ColumnInput<'_>)>,
        tx: Option<TxArgument<'_>>,
    ) -> PyResult<f64> {
        self.on_customers(py, ids, columns, tx, |m, table, log| m.score(table, log))
    }

    /// Why customer `row` is in its segment; the explanation as JSON.
    #[pyo3(signature = (ids, columns, tx, row))]
    fn explain(
        &self,
        py: Python<'_>,
        ids: Vec<String>,
        columns: Vec<(String, ColumnInput<'_>)>,
        tx: Option<TxArgument<'_>>,
        row: i64,
    ) -> PyResult<String> {
        let row = non_negative("row", row).into_py_result(py)?;
        let explanation =
            self.on_customers(py, ids, columns, tx, |m, table, log| m.explain(table, log, row))?;
        to_document(py, &explanation)
    }

    /// A copy with segment `segment` (its label, or its current name) renamed (names stay
    /// unique). A wrong segment is an error showing the value and the names as Python prints them.
    fn renamed(&self, py: Python<'_>, segment: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        let names = self.inner.segment_names();
        let wrong = |expected: String| -> PyResult<Error> {
            Ok(Error::invalid_parameter("segment", segment.repr()?, expected))
        };
        let label = if segment.is_instance_of::<PyString>() {
            let current: String = segment.extract()?;
            match names.iter().position(|n| *n == current) {
                Some(label) => Ok(label),
                None => {
                    let listed = pyo3::types::PyList::new(py, names)?.repr()?;
                    Err(wrong(format!("a label or one of {listed}"))?)
                }
            }
        } else {
            // An int or a numpy integer (`__index__`), not a bool.
            match segment.extract::<i64>() {
                Ok(label) if !segment.is_instance_of::<PyBool>() => non_negative("segment", label),
                _ => Err(wrong("an integer".into())?),
            }
        };
        let mut inner = self.inner.clone();
        label
            .and_then(|s| inner.set_segment_name(s, name))
            .into_py_result(py)?;
        Ok(PySegmenterModel { inner })
    }

    /// The plain fitted attributes of `segcore.Segmenter` under their Python names: `labels_`,
    /// `n_clusters_`, `phase_times_` (`{phase: seconds}`, in order), `segment_names_`,
    /// `feature_names_in_` (an object array), `n_features_in_`, `cluster_centers_` and
    /// `pipeline_report_`.
    #[getter]
    fn fitted_attributes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let m = &self.inner;
        let out = PyDict::new(py);
        let phases = PyDict::new(py);
        for t in m.phase_times() {
            phases.set_item(&t.phase, t.seconds)?;
        }
        let names = m.feature_names_in();
        let numpy = py.import("numpy")?;
        let report = to_document(py, m.pipeline().report())?;
        let labels: Vec<i64> = m.labels().iter().map(|&l| l as i64).collect();
        out.set_item("labels_", labels.into_pyarray(py))?;
        out.set_item("n_clusters_", m.n_segments())?;
        out.set_item("phase_times_", phases)?;
        out.set_item("segment_names_", m.segment_names())?;
        out.set_item("feature_names_in_", numpy.call_method1("array", (names, "object"))?)?;
        out.set_item("n_features_in_", names.len())?;
        out.set_item("cluster_centers_", m.centroids().into_pyarray(py))?;
        out.set_item("pipeline_report_", py.import("json")?.call_method1("loads", (report,))?)?;
        Ok(out)
    }

    /// Model features (pipeline outputs, or `pc1`... after PCA).
    #[getter]
    fn feature_names_out(&self) -> Vec<String> {
        self.inner
            .feature_names_out()
            .into_iter()
            .map(String::from)
            .collect()
    }

    /// The column spec as JSON (pass it back as `spec=`).
    #[getter]
    fn spec_json(&self, py: Python<'_>) -> PyResult<String> {
        to_document(py, self.inner.spec())
    }

    /// The text summary the Rust examples print: spec, features, k with its evidence, segments.
    #[getter]
    fn summary(&self) -> String {
        self.inner.to_string()
    }

    /// The HTML block a notebook shows (`Segmenter::repr_html`).
    #[getter]
    fn repr_html(&self) -> String {
        self.inner.repr_html()
    }

    /// The column spec in readable form.
    #[getter]
    fn spec_text(&self) -> String {
        self.inner.spec().to_string()
    }

    /// The parameters the model was fitted with, as the JSON of the Python constructor's
    /// keyword arguments (`segcore::segmenter::form`, the form `fit` takes).
    #[getter]
    fn params_form(&self) -> String {
        self.inner.params().to_form()
    }

    /// `select_k`'s evidence (`select::select_result`), when k was chosen.
    #[getter]
    fn selection<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.inner
            .selection()
            .map(|s| select_result(py, s))
            .transpose()
    }

    /// The customers set aside as extreme at fit, as columns: `customer` and `feature`
    /// (model space) as lists, `robust_sds` and `segment` as arrays.
    #[getter]
    fn extreme_customers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let extreme = self.inner.extreme_customers();
        let out = PyDict::new(py);
        let ids: Vec<&str> = extreme.iter().map(|c| c.id.as_str()).collect();
        let features: Vec<&str> = extreme.iter().map(|c| c.feature.as_str()).collect();
        let robust_sds: Vec<f64> = extreme.iter().map(|c| c.robust_sds).collect();
        let segments: Vec<i64> = extreme.iter().map(|c| c.segment as i64).collect();
        out.set_item("customer", ids)?;
        out.set_item("feature", features)?;
        out.set_item("robust_sds", robust_sds.into_pyarray(py))?;
        out.set_item("segment", segments.into_pyarray(py))?;
        Ok(out)
    }

    /// The value part, None without value features: `(table, facts)`, the per-segment value
    /// table as columns (`clv.segment_value`'s) and a dict of the fitted models' facts
    /// (`beta_geo` and `gamma_gamma` parameters, their convergence, `n_with_history`,
    /// `n_without_history`, `n_excluded`).
    #[allow(clippy::type_complexity)]
    fn value_table<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Option<(Bound<'py, PyDict>, Bound<'py, PyDict>)>> {
        let Some(value) = self.inner.value() else {
            return Ok(None);
        };
        let table = segment_value_columns(py, value.segments())?;
        let bg = value.beta_geo().coefficients();
        let gg = value.gamma_gamma().coefficients();
        let facts = PyDict::new(py);
        let beta_geo = PyDict::new(py);
        for (name, v) in [("r", bg.r), ("alpha", bg.alpha), ("a", bg.a), ("b", bg.b)] {
            beta_geo.set_item(name, v)?;
        }
        let gamma_gamma = PyDict::new(py);
        for (name, v) in [("p", gg.p), ("q", gg.q), ("v", gg.v)] {
            gamma_gamma.set_item(name, v)?;
        }
        facts.set_item("beta_geo", beta_geo)?;
        facts.set_item("gamma_gamma", gamma_gamma)?;
        facts.set_item("beta_geo_converged", value.beta_geo().converged())?;
        facts.set_item("gamma_gamma_converged", value.gamma_gamma().converged())?;
        facts.set_item("n_with_history", value.n_with_history())?;
        facts.set_item("n_without_history", value.n_without_history())?;
        facts.set_item("n_excluded", value.gamma_gamma().n_excluded())?;
        Ok(Some((table, facts)))
    }

    /// P(alive), expected purchases and CLV of every customer row (NaN without a purchase).
    #[pyo3(signature = (ids, columns, tx=None))]
    #[allow(clippy::type_complexity)]
    fn customer_value<'py>(
        &self,
        py: Python<'py>,
        ids: Vec<String>,
        columns: Vec<(String, ColumnInput<'py>)>,
        tx: Option<TxArgument<'py>>,
    ) -> PyResult<(
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
    )> {
        let v = self.on_customers(py, ids, columns, tx, |m, table, log| m.customer_value(table, log))?;
        Ok((
            v.probability_alive.into_pyarray(py),
            v.expected_purchases.into_pyarray(py),
            v.clv.into_pyarray(py),
        ))
    }

    /// The fit's warnings (`ValueModel::warnings`: value models that did not converge).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.value().map(|v| v.warnings()).unwrap_or_default()
    }

    /// Whether predict reads a transaction log (the model has behaviour features).
    #[getter]
    fn reads_transactions(&self) -> bool {
        self.inner.reads_transactions()
    }

    /// The date (days since 1970-01-01) behaviour is measured at for a log whose last line is
    /// on `last_day` (`Segmenter::default_as_of`; None for no line and no fitted as_of).
    fn default_as_of(&self, py: Python<'_>, last_day: Option<i64>) -> PyResult<Option<i64>> {
        let last = last_day
            .map(|d| Date::parameter("last_day", d))
            .transpose()
            .into_py_result(py)?;
        Ok(self
            .inner
            .default_as_of(last)
            .map(|d| i64::from(d.days_since_epoch())))
    }

    /// How k was chosen for k-prototypes / latent class, when it was chosen: `(criterion in
    /// lower case, recommended k, ks, the criterion's values (NaN where undefined), costs)`.
    #[getter]
    #[allow(clippy::type_complexity)]
    fn k_choice(&self) -> Option<(String, usize, Vec<usize>, Vec<f64>, Vec<f64>)> {
        let choice = self.inner.k_choice()?;
        let rows = &choice.table;
        Some((
            format!("{:?}", choice.criterion).to_lowercase(),
            choice.recommended_k,
            rows.iter().map(|r| r.k).collect(),
            rows.iter().map(|r| r.value.unwrap_or(f64::NAN)).collect(),
            rows.iter().map(|r| r.cost).collect(),
        ))
    }

    /// The segmentation report as one self-contained HTML page (`Segmenter::report_html`).
    /// `title`, `source`, `currency` and the `units` and `labels` mappings are read as their
    /// `str` (None: none). `date_range` is `(first, last)` in days since 1970-01-01; without it the range of the
    /// transaction log `tx` is used when one is given.
    #[pyo3(signature = (title=None, source=None, currency=None, units=None, labels=None, date_range=None, tx=None))]
    #[allow(clippy::too_many_arguments)]
    fn report_html(
        &self,
        py: Python<'_>,
        title: Option<&Bound<'_, PyAny>>,
        source: Option<&Bound<'_, PyAny>>,
        currency: Option<&Bound<'_, PyAny>>,
        units: Option<&Bound<'_, PyAny>>,
        labels: Option<&Bound<'_, PyAny>>,
        date_range: Option<(i64, i64)>,
        tx: Option<TxArgument<'_>>,
    ) -> PyResult<String> {
        let text = |value: Option<&Bound<'_, PyAny>>| -> PyResult<Option<String>> {
            value
                .filter(|v| !v.is_none())
                .map(|v| Ok(v.str()?.to_string()))
                .transpose()
        };
        let words = |value: Option<&Bound<'_, PyAny>>| -> PyResult<BTreeMap<String, String>> {
            let mut out = BTreeMap::new();
            if let Some(mapping) = value.filter(|v| !v.is_none()) {
                for item in mapping.call_method0("items")?.try_iter()? {
                    let (key, word) = item?.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()?;
                    out.insert(key.str()?.to_string(), word.str()?.to_string());
                }
            }
            Ok(out)
        };
        let (title, source, currency) = (text(title)?, text(source)?, text(currency)?);
        let (units, labels) = (words(units)?, words(labels)?);
        let day = |days: i64| {
            i32::try_from(days)
                .ok()
                .and_then(|d| Date::from_days_since_epoch(d).ok())
                .ok_or_else(|| Error::invalid_parameter("date_range", days, "dates in years 1..=9999"))
        };
        let range = date_range
            .map(|(first, last)| Ok::<_, Error>((day(first)?, day(last)?)))
            .transpose()
            .into_py_result(py)?;
        let log = tx
            .map(|(input, names)| input.to_owned(names))
            .transpose()
            .into_py_result(py)?;
        let model = &self.inner;
        run_detached(py, move || {
            let mut context = ReportContext {
                title,
                source,
                currency,
                units,
                labels,
                date_range: None,
            };
            if let Some((first, last)) = range {
                context = context.date_range(first, last);
            } else if let Some(owned) = log {
                let log = owned.into_log(segcore::data::OnInvalid::Raise)?.log;
                context = context.date_range_of(&log);
            }
            Ok(model.report_html(&context))
        })
    }

    /// The training profile as JSON (`segcore.profile.Profile` reads it).
    #[getter]
    fn profile_json(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.profile().to_json().into_py_result(py)
    }
});
