//! Behaviour, RFM, value and lifecycle features: DataFrame columns in (already factorized by the
//! Python layer), the core's numbers out.

use crate::arrow::ArrowText;
use crate::errors::{run_detached, IntoPyResult};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use segcore::data::{
    dates_from_text, dates_from_units, factorize_integers, factorize_text, line_amounts,
    CategoricalColumn, CustomerTable, Date, OnInvalid, RawTransactions, TransactionColumns,
};
use segcore::features::behaviour::{behaviour_features_of_raw, BehaviourFeature, BehaviourParams};
use segcore::features::lifecycle::{
    lifecycle_of_logs, LifecycleOfLogs, LifecycleParams, LifecycleStage,
};
use segcore::features::rfm::{rfm_scores as core_rfm_scores, RfmParams, RfmRule, RfmRules};
use segcore::features::segmentation::{
    segmentation_features as core_segmentation_features, ANNUAL_REVENUE_COLUMN,
};
use segcore::features::value::{abc_classes as core_abc_classes, AbcParams, Concentration};
use segcore::Error;

/// Transaction dates: either days since 1970-01-01 (from datetime64 columns; `i64::MIN` is NaT)
/// or strings that the core parses (ISO, YYYYMMDD, DD.MM.YYYY).
#[derive(FromPyObject)]
pub enum DatesInput<'py> {
    /// Days since the epoch.
    Days(PyReadonlyArray1<'py, i64>),
    /// Date strings.
    Text(Vec<String>),
}

/// A factorized column: per-row codes (-1 = missing) into `uniques`. Codes are int32 (half the
/// memory of pandas' int64 codes at 10 million rows).
type Factorized<'py> = (PyReadonlyArray1<'py, i32>, Vec<String>);

/// Distinct customer ids: integer ids as a numpy array (formatted here, as Python's `str` would;
/// a million Python `str` objects cost ~60 MiB), anything else as strings.
#[derive(FromPyObject)]
pub enum IdsInput<'py> {
    /// Integer ids.
    Integers(PyReadonlyArray1<'py, i64>),
    /// Ids as text.
    Text(Vec<String>),
}

impl IdsInput<'_> {
    pub(crate) fn to_strings(&self) -> Vec<String> {
        match self {
            IdsInput::Integers(values) => values.as_array().iter().map(i64::to_string).collect(),
            IdsInput::Text(texts) => texts.clone(),
        }
    }
}

/// The customer column: raw (the core factorizes it) or already factorized by pandas.
#[derive(FromPyObject)]
pub enum CustomerInput<'py> {
    /// Integer ids (int64, no missing values).
    Integers(PyReadonlyArray1<'py, i64>),
    /// Codes (-1 = missing) and the distinct ids.
    Factorized((PyReadonlyArray1<'py, i32>, IdsInput<'py>)),
    /// Text ids: a column with an Arrow string stream, read in place.
    Text(ArrowText),
}

/// `(codes, distinct ids, first row of each id)`; the first rows only when the core factorized
/// the column (the Python layer takes the index from them).
type FactorizedIds = (Vec<u32>, Vec<String>, Option<Vec<u32>>);

impl CustomerInput<'_> {
    /// The customer column's codes and distinct ids ([`FactorizedIds`]).
    fn factorize(&self) -> segcore::Result<FactorizedIds> {
        match self {
            CustomerInput::Factorized((codes, ids)) => {
                Ok((codes_u32(codes), ids.to_strings(), None))
            }
            CustomerInput::Integers(values) => {
                let values = values.as_array();
                let owned;
                let slice = match values.as_slice() {
                    Some(s) => s,
                    None => {
                        owned = values.to_vec();
                        &owned
                    }
                };
                let f = Python::attach(|py| py.detach(|| factorize_integers(slice)))?;
                let ids = f
                    .first_rows
                    .iter()
                    .map(|&r| slice[r as usize].to_string())
                    .collect();
                Ok((f.codes, ids, Some(f.first_rows)))
            }
            CustomerInput::Text(text) => {
                let parts = text.chunks()?;
                let (f, ids) = Python::attach(|py| py.detach(|| factorize_text(&parts)))?;
                Ok((f.codes, ids, Some(f.first_rows)))
            }
        }
    }
}

/// Line amounts: a column, or the quantity and unit price columns (amount = quantity x unit
/// price, computed by the core: `segcore::data::line_amounts`).
#[derive(FromPyObject)]
pub enum AmountsInput<'py> {
    /// The amount column.
    Column(PyReadonlyArray1<'py, f64>),
    /// Quantity and unit price.
    Product((PyReadonlyArray1<'py, f64>, PyReadonlyArray1<'py, f64>)),
}

impl AmountsInput<'_> {
    fn to_vec(&self) -> segcore::Result<Vec<f64>> {
        match self {
            AmountsInput::Column(amounts) => Ok(amounts.as_array().to_vec()),
            AmountsInput::Product((quantity, price)) => {
                let (q, p) = (quantity.as_array().to_vec(), price.as_array().to_vec());
                line_amounts(&q, &p)
            }
        }
    }
}

/// A transaction log as the Python layer sends it: `(customer, (date, date units per day),
/// amounts, margin, product_category, channel)` columns. Datetime columns arrive as their int64
/// view (no conversion copy in Python) with the number of units per day (1 for
/// `datetime64[D]`, 86 400 000 000 000 for `datetime64[ns]`).
#[derive(FromPyObject)]
pub struct TxInput<'py>(
    CustomerInput<'py>,
    (DatesInput<'py>, i64),
    AmountsInput<'py>,
    Option<PyReadonlyArray1<'py, f64>>,
    Option<Factorized<'py>>,
    Option<Factorized<'py>>,
);

/// The user's names of the customer, date, amount and margin columns, for error messages.
#[derive(FromPyObject, Clone)]
pub struct TxNames(String, String, String, String);

/// A transaction log read out of Python, ready to leave the GIL: the core's raw rows, validated
/// into a log by the core's rule (`RawTransactions::into_log`).
pub(crate) type TxOwned = RawTransactions;

fn codes_u32(codes: &PyReadonlyArray1<'_, i32>) -> Vec<u32> {
    codes
        .as_array()
        .iter()
        .map(|&c| u32::try_from(c).unwrap_or(CategoricalColumn::MISSING))
        .collect()
}

impl TxInput<'_> {
    pub(crate) fn to_owned(&self, names: TxNames) -> segcore::Result<TxOwned> {
        Ok(self.to_owned_with_first_rows(names)?.0)
    }

    /// [`to_owned`](Self::to_owned), with the first row of each distinct customer when the core
    /// factorized the customer column.
    pub(crate) fn to_owned_with_first_rows(
        &self,
        names: TxNames,
    ) -> segcore::Result<(TxOwned, Option<Vec<u32>>)> {
        let amounts = self.2.to_vec()?;
        let (codes, customer_ids, first_rows) = self.0.factorize()?;
        let (dates_input, per_day) = &self.1;
        let (dates, date_problems) = match dates_input {
            DatesInput::Days(units) => {
                let units = units.as_array();
                match units.as_slice() {
                    Some(slice) => dates_from_units(slice, *per_day)?,
                    None => dates_from_units(&units.to_vec(), *per_day)?,
                }
            }
            DatesInput::Text(texts) => dates_from_text(texts),
        };
        let factorized = |f: &Factorized<'_>| (codes_u32(&f.0), f.1.clone());
        let raw = RawTransactions {
            codes,
            customer_ids,
            dates,
            date_problems,
            amounts,
            margin: self.3.as_ref().map(|m| m.as_array().to_vec()),
            product_category: self.4.as_ref().map(factorized),
            channel: self.5.as_ref().map(factorized),
            columns: TransactionColumns {
                customer: names.0,
                date: names.1,
                amount: names.2,
                margin: names.3,
            },
        };
        Ok((raw, first_rows))
    }
}

fn parse_features(names: Option<Vec<String>>) -> segcore::Result<Option<Vec<BehaviourFeature>>> {
    let Some(names) = names else {
        return Ok(None);
    };
    let allowed = || {
        BehaviourFeature::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    names
        .iter()
        .map(|name| {
            BehaviourFeature::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .ok_or_else(|| {
                    Error::invalid_parameter(
                        "features",
                        format!("`{name}`"),
                        format!("names among {}", allowed()),
                    )
                })
        })
        .collect::<segcore::Result<Vec<_>>>()
        .map(Some)
}

/// A count of days or months as the core's `u32` (a Python int beyond it is an error).
fn count_u32(name: &'static str, value: u64) -> segcore::Result<u32> {
    u32::try_from(value).map_err(|_| Error::invalid_parameter(name, value, "an integer < 2**32"))
}

/// Computes behaviour features; returns `(feature_names, values, as_of_days_since_epoch,
/// skipped_rows, first_rows)`. Without `customer_ids`, the customers are the log's, in code
/// order; `first_rows` (when the core factorized the customer column) gives the row of each
/// one's first transaction, from which the Python layer takes the index.
#[pyfunction]
#[pyo3(signature = (customer_ids, tx, names, as_of=None, features=None, trend_window_months=12, on_invalid="raise"))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn behaviour_features<'py>(
    py: Python<'py>,
    customer_ids: Option<IdsInput<'py>>,
    tx: TxInput<'py>,
    names: TxNames,
    as_of: Option<i64>,
    features: Option<Vec<String>>,
    trend_window_months: u64,
    on_invalid: &str,
) -> PyResult<BehaviourOut<'py>> {
    let trend_window_months =
        count_u32("trend_window_months", trend_window_months).into_py_result(py)?;
    let on_invalid =
        OnInvalid::from_name(on_invalid).map_err(|e| crate::errors::to_py_err(py, e))?;
    let (owned, first_rows) = tx
        .to_owned_with_first_rows(names)
        .map_err(|e| crate::errors::to_py_err(py, e))?;
    let customer_ids = customer_ids.as_ref().map(IdsInput::to_strings);
    let result = run_detached(py, move || {
        let as_of = as_of.map(|d| Date::parameter("as_of", d)).transpose()?;
        let params = BehaviourParams {
            as_of,
            features: parse_features(features)?,
            trend_window_months,
        };
        let raw = owned.into_log(on_invalid)?;
        let (f, skipped, _) = behaviour_features_of_raw(raw, customer_ids, &params)?;
        Ok((f, skipped))
    })?;
    let (f, skipped) = result;
    let as_of_days = f.as_of.days_since_epoch();
    Ok((
        f.names,
        f.values.into_pyarray(py),
        as_of_days,
        skipped,
        first_rows.map(|r| r.into_pyarray(py)),
    ))
}

/// `(feature_names, values, as_of_days_since_epoch, skipped_rows, first_rows)`.
type BehaviourOut<'py> = (
    Vec<String>,
    Bound<'py, PyArray2<f64>>,
    i32,
    usize,
    Option<Bound<'py, PyArray1<u32>>>,
);

/// The default clustering features; returns `(names, raw_values, model_input)`.
#[pyfunction]
#[pyo3(signature = (customer_ids, annual_revenue, tx, names))]
#[allow(clippy::type_complexity)]
pub fn segmentation_features<'py>(
    py: Python<'py>,
    customer_ids: IdsInput<'py>,
    annual_revenue: Option<PyReadonlyArray1<'py, f64>>,
    tx: TxInput<'py>,
    names: TxNames,
) -> PyResult<(
    Vec<String>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
)> {
    let owned = tx
        .to_owned(names)
        .map_err(|e| crate::errors::to_py_err(py, e))?;
    let revenue = annual_revenue.map(|r| r.as_array().to_vec());
    let customer_ids = customer_ids.to_strings();
    let result = run_detached(py, move || {
        let log = owned.into_log(OnInvalid::Raise)?.log;
        let mut customers = CustomerTable::new(customer_ids)?;
        if let Some(revenue) = revenue {
            customers.add_numeric(ANNUAL_REVENUE_COLUMN, revenue)?;
        }
        core_segmentation_features(&customers, &log)
    })?;
    Ok((
        result.names,
        result.raw.into_pyarray(py),
        result.model_input.into_pyarray(py),
    ))
}

/// One rule as Python sees it: `(segment, (r_min, r_max), (f_min, f_max), (m_min, m_max))`.
type PyRule = (String, (u8, u8), (u8, u8), (u8, u8));

/// The default RFM rule table.
#[pyfunction]
pub fn default_rfm_rules() -> Vec<PyRule> {
    RfmRules::default()
        .rules
        .into_iter()
        .map(|r| (r.segment, r.recency, r.frequency, r.monetary))
        .collect()
}

/// RFM scores and segments by `rules` (default: the default table) with the `unmatched` and
/// `no_orders` segment names (default: the default table's); returns `(r, f, m, segment_codes,
/// segment_names, cell_codes, cells)` (`cells[cell_codes[i]]` is customer `i`'s cell, e.g.
/// `"545"`).
#[pyfunction]
#[pyo3(signature = (recency_days, frequency, monetary, n_scores=5, rules=None, unmatched=None, no_orders=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn rfm_scores<'py>(
    py: Python<'py>,
    recency_days: PyReadonlyArray1<'py, f64>,
    frequency: PyReadonlyArray1<'py, f64>,
    monetary: PyReadonlyArray1<'py, f64>,
    n_scores: u64,
    rules: Option<Vec<PyRule>>,
    unmatched: Option<String>,
    no_orders: Option<String>,
) -> PyResult<(
    Bound<'py, PyArray1<u8>>,
    Bound<'py, PyArray1<u8>>,
    Bound<'py, PyArray1<u8>>,
    Bound<'py, PyArray1<u16>>,
    Vec<String>,
    Bound<'py, PyArray1<u32>>,
    Vec<String>,
)> {
    let (r, f, m) = (
        recency_days.as_array().to_vec(),
        frequency.as_array().to_vec(),
        monetary.as_array().to_vec(),
    );
    let default = RfmRules::default();
    let rules = RfmRules {
        rules: match rules {
            None => default.rules,
            Some(rules) => rules
                .into_iter()
                .map(|(segment, r, f, m)| RfmRule::new(&segment, r, f, m))
                .collect(),
        },
        unmatched: unmatched.unwrap_or(default.unmatched),
        no_orders: no_orders.unwrap_or(default.no_orders),
    };
    let params = RfmParams {
        rules,
        ..RfmParams::default()
    }
    .score_levels(n_scores)
    .into_py_result(py)?;
    let (s, (cell_codes, cells)) = run_detached(py, move || {
        let s = core_rfm_scores(&r, &f, &m, &params)?;
        let cells = s.cells();
        Ok((s, cells))
    })?;
    Ok((
        s.recency_score.into_pyarray(py),
        s.frequency_score.into_pyarray(py),
        s.monetary_score.into_pyarray(py),
        s.segment.into_pyarray(py),
        s.segment_names,
        cell_codes.into_pyarray(py),
        cells,
    ))
}

/// ABC classes; returns `(classes as 0/1/2, counts, value_shares)`.
#[pyfunction]
#[pyo3(signature = (values, a_share=0.8, b_share=0.15))]
#[allow(clippy::type_complexity)]
pub fn abc_classes<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    a_share: f64,
    b_share: f64,
) -> PyResult<(Bound<'py, PyArray1<u8>>, [usize; 3], [f64; 3])> {
    let values = values.as_array().to_vec();
    let abc = run_detached(py, move || {
        core_abc_classes(&values, &AbcParams { a_share, b_share })
    })?;
    let classes: Vec<u8> = abc.classes.iter().map(|&c| c as u8).collect();
    Ok((classes.into_pyarray(py), abc.counts, abc.value_shares))
}

/// Concentration figures; returns `(gini, total, lorenz_x, lorenz_y, top_shares,
/// customers_for_shares)`.
#[pyfunction]
#[pyo3(signature = (values, n_points, top_fractions, shares))]
#[allow(clippy::type_complexity)]
pub fn concentration<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    n_points: usize,
    top_fractions: Vec<f64>,
    shares: Vec<f64>,
) -> PyResult<(f64, f64, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>)> {
    let values = values.as_array().to_vec();
    run_detached(py, move || {
        let c = Concentration::new(&values)?;
        let curve = c.lorenz_curve(n_points)?;
        let top = top_fractions
            .iter()
            .map(|&f| c.top_share(f))
            .collect::<segcore::Result<Vec<_>>>()?;
        let needed = shares
            .iter()
            .map(|&s| c.customers_for_share(s))
            .collect::<segcore::Result<Vec<_>>>()?;
        Ok((
            c.gini(),
            c.total(),
            curve.iter().map(|p| p.0).collect(),
            curve.iter().map(|p| p.1).collect(),
            top,
            needed,
        ))
    })
}

/// `(codes into stage_names, stage_names, as_of_days_since_epoch, skipped_rows,
/// skipped_touchpoint_rows, first_rows)`.
type LifecycleOut<'py> = (
    Bound<'py, PyArray1<u8>>,
    Vec<&'static str>,
    i32,
    usize,
    usize,
    Option<Bound<'py, PyArray1<u32>>>,
);

/// Lifecycle stages of the customers of a log (or of `customer_ids`) at `as_of`, with optional
/// touchpoints: `segcore::features::lifecycle::lifecycle_of_logs`. `first_rows` as in
/// `behaviour_features`.
#[pyfunction]
#[pyo3(signature = (customer_ids, tx, names, touchpoints=None, as_of=None, on_invalid="raise", new_days=90, active_days=90, at_risk_days=180, lapsed_days=365))]
#[allow(clippy::too_many_arguments)]
pub fn lifecycle_stages<'py>(
    py: Python<'py>,
    customer_ids: Option<IdsInput<'py>>,
    tx: TxInput<'py>,
    names: TxNames,
    touchpoints: Option<(TxInput<'py>, TxNames)>,
    as_of: Option<i64>,
    on_invalid: &str,
    new_days: u64,
    active_days: u64,
    at_risk_days: u64,
    lapsed_days: u64,
) -> PyResult<LifecycleOut<'py>> {
    let on_invalid = OnInvalid::from_name(on_invalid).into_py_result(py)?;
    let (owned, first_rows) = tx.to_owned_with_first_rows(names).into_py_result(py)?;
    let touchpoints = touchpoints
        .map(|(input, names)| input.to_owned(names))
        .transpose()
        .into_py_result(py)?;
    let customer_ids = customer_ids.as_ref().map(IdsInput::to_strings);
    let lifecycle = (|| {
        Ok::<_, Error>(LifecycleParams {
            new_days: count_u32("new_days", new_days)?,
            active_days: count_u32("active_days", active_days)?,
            at_risk_days: count_u32("at_risk_days", at_risk_days)?,
            lapsed_days: count_u32("lapsed_days", lapsed_days)?,
        })
    })()
    .into_py_result(py)?;
    let LifecycleOfLogs {
        stages,
        as_of,
        skipped,
        skipped_touchpoints,
    } = run_detached(py, move || {
        let as_of = as_of.map(|d| Date::parameter("as_of", d)).transpose()?;
        let purchases = owned.into_log(on_invalid)?;
        let touchpoints = touchpoints
            .map(|log| log.into_log(on_invalid))
            .transpose()?;
        lifecycle_of_logs(purchases, touchpoints, customer_ids, as_of, &lifecycle)
    })?;
    let codes: Vec<u8> = stages.iter().map(|&s| s as u8).collect();
    let stage_names = LifecycleStage::ALL.iter().map(|s| s.name()).collect();
    Ok((
        codes.into_pyarray(py),
        stage_names,
        as_of.days_since_epoch(),
        skipped,
        skipped_touchpoints,
        first_rows.map(|r| r.into_pyarray(py)),
    ))
}
