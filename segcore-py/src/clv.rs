//! `segcore.clv`: the BG/NBD, Pareto/NBD and Gamma-Gamma fitted models, `clv_summary`, and the
//! segment tables `segment_value`, `cross_sell` and `migration_forecast`.
//! Arrays in, the core's numbers out; no formula lives here.

use crate::arrays::labels_of;
use crate::columns::Columns;
use crate::errors::{run_detached, to_py_err};
use crate::features::{IdsInput, TxInput, TxNames};
use ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use segcore::clv::{
    clv_summary as core_clv_summary, cross_sell as core_cross_sell,
    migration_forecast as core_migration_forecast, n_segments_of,
    segment_value as core_segment_value, segments_by_id, BetaGeo, BetaGeoCoefficients,
    BetaGeoParams, ClvOptions, GammaGamma, GammaGammaCoefficients, GammaGammaParams, ParetoNbd,
    ParetoNbdCoefficients, ParetoNbdParams, PurchaseHistory, PurchaseModel, SegmentValue, TimeUnit,
};
use segcore::data::{Date, OnInvalid};
use std::borrow::Cow;

/// A float64 vector from numpy, borrowed when contiguous.
fn slice<'a>(array: &'a PyReadonlyArray1<'_, f64>) -> Cow<'a, [f64]> {
    let view = array.as_array();
    match view.to_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(view.to_vec()),
    }
}

/// A horizon: one for all customers or one per customer.
#[derive(FromPyObject)]
pub enum Horizon<'py> {
    /// One horizon.
    Scalar(f64),
    /// One horizon per customer.
    Each(PyReadonlyArray1<'py, f64>),
}

fn predict_with<M: PurchaseModel>(
    py: Python<'_>,
    model: &M,
    t: Horizon<'_>,
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    age: PyReadonlyArray1<'_, f64>,
) -> PyResult<Vec<f64>> {
    let (f, r, a) = (slice(&frequency), slice(&recency), slice(&age));
    match t {
        Horizon::Scalar(t) => run_detached(py, || {
            model.predict_purchases(t, &PurchaseHistory::new(&f, &r, &a)?)
        }),
        Horizon::Each(t) => {
            let t = slice(&t);
            run_detached(py, || {
                model.predict_purchases_each(&t, &PurchaseHistory::new(&f, &r, &a)?)
            })
        }
    }
}

fn alive_with<M: PurchaseModel>(
    py: Python<'_>,
    model: &M,
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    age: PyReadonlyArray1<'_, f64>,
) -> PyResult<Vec<f64>> {
    let (f, r, a) = (slice(&frequency), slice(&recency), slice(&age));
    run_detached(py, || {
        Ok(model.probability_alive(&PurchaseHistory::new(&f, &r, &a)?))
    })
}

/// `(name, value)` pairs of a model's parameters (`names` in the core's order); Python reads
/// them as a dict.
fn named<T>(names: &[&'static str], values: impl IntoIterator<Item = T>) -> Vec<(&'static str, T)> {
    names.iter().copied().zip(values).collect()
}

/// A fitted CLV model pyclass with parameters `[$field, ...]`: the getters every model shares
/// (parameters, standard errors, the fit's report) and, through [`model_pymethods!`](crate::model_pymethods), its document
/// and pickling; `$methods` adds the model's own.
macro_rules! clv_model_pymethods {
    ($class:ident [$($field:ident),*] { $($methods:tt)* }) => {
        crate::model_pymethods!($class {
            /// The parameters by name, in lifetimes' order.
            #[getter]
            fn params(&self) -> Vec<(&'static str, f64)> {
                named(&[$(stringify!($field)),*], self.inner.coefficients().to_array())
            }

            /// Standard errors by name, or None.
            #[getter]
            fn standard_errors(&self) -> Option<Vec<(&'static str, f64)>> {
                let errors = self.inner.standard_errors()?;
                Some(named(&[$(stringify!($field)),*], errors.to_array()))
            }

            /// 95% intervals `(low, high)` by name, or None.
            #[getter]
            fn confidence_intervals(&self) -> Option<Vec<(&'static str, (f64, f64))>> {
                let intervals = self.inner.confidence_intervals()?;
                Some(named(&[$(stringify!($field)),*], intervals))
            }

            /// Total log-likelihood of the fitted customers.
            #[getter]
            fn log_likelihood(&self) -> f64 {
                self.inner.log_likelihood()
            }

            /// Whether the optimiser reached its tolerance.
            #[getter]
            fn converged(&self) -> bool {
                self.inner.converged()
            }

            /// Quasi-Newton iterations.
            #[getter]
            fn n_iter(&self) -> usize {
                self.inner.report().n_iter
            }

            /// Customers fitted.
            #[getter]
            fn n_customers(&self) -> usize {
                self.inner.report().n_customers
            }

            $($methods)*
        });
    };
}

/// The fitted-model class of one purchase model: fit, predictions, parameters, pickling.
macro_rules! purchase_model_class {
    ($class:ident, $name:literal, $model:ty, $params:ident, $coefficients:ident, [$($field:ident),*]) => {
        #[doc = concat!("A fitted ", $name, " purchase model (wrapped by `segcore.clv`).")]
        #[pyclass(module = "segcore._segcore", name = $name, frozen)]
        pub struct $class {
            pub(crate) inner: $model,
        }

        clv_model_pymethods!($class [$($field),*] {
            /// Fits the model (settings are checked by the core).
            #[staticmethod]
            #[pyo3(signature = (frequency, recency, t, *, penalizer_coef, tol, max_iter))]
            fn fit(
                py: Python<'_>,
                frequency: PyReadonlyArray1<'_, f64>,
                recency: PyReadonlyArray1<'_, f64>,
                t: PyReadonlyArray1<'_, f64>,
                penalizer_coef: f64,
                tol: Option<f64>,
                max_iter: usize,
            ) -> PyResult<Self> {
                let (f, r, a) = (slice(&frequency), slice(&recency), slice(&t));
                let tol = tol.unwrap_or($params::DEFAULT_TOL);
                let params = $params::new().penalizer_coef(penalizer_coef).tol(tol).max_iter(max_iter);
                let inner = run_detached(py, || params.fit(&PurchaseHistory::new(&f, &r, &a)?))?;
                Ok($class { inner })
            }

            /// A model with given parameters (prediction only).
            #[staticmethod]
            fn from_params(py: Python<'_>, $($field: f64),*) -> PyResult<Self> {
                let inner = <$model>::from_coefficients($coefficients { $($field),* })
                    .map_err(|e| to_py_err(py, e))?;
                Ok($class { inner })
            }

            /// Expected repeat purchases in the next `t` periods.
            fn predict_purchases<'py>(
                &self,
                py: Python<'py>,
                t: Horizon<'py>,
                frequency: PyReadonlyArray1<'py, f64>,
                recency: PyReadonlyArray1<'py, f64>,
                age: PyReadonlyArray1<'py, f64>,
            ) -> PyResult<Bound<'py, PyArray1<f64>>> {
                Ok(predict_with(py, &self.inner, t, frequency, recency, age)?.into_pyarray(py))
            }

            /// Probability of being alive.
            fn probability_alive<'py>(
                &self,
                py: Python<'py>,
                frequency: PyReadonlyArray1<'py, f64>,
                recency: PyReadonlyArray1<'py, f64>,
                age: PyReadonlyArray1<'py, f64>,
            ) -> PyResult<Bound<'py, PyArray1<f64>>> {
                Ok(alive_with(py, &self.inner, frequency, recency, age)?.into_pyarray(py))
            }
        });
    };
}

purchase_model_class!(
    PyBetaGeoModel,
    "BetaGeoModel",
    BetaGeo,
    BetaGeoParams,
    BetaGeoCoefficients,
    [r, alpha, a, b]
);
purchase_model_class!(
    PyParetoNbdModel,
    "ParetoNbdModel",
    ParetoNbd,
    ParetoNbdParams,
    ParetoNbdCoefficients,
    [r, alpha, s, beta]
);

/// Either fitted purchase model, as `customer_lifetime_value` receives it.
#[derive(FromPyObject)]
pub enum AnyPurchaseModel<'py> {
    /// BG/NBD.
    BetaGeo(PyRef<'py, PyBetaGeoModel>),
    /// Pareto/NBD.
    ParetoNbd(PyRef<'py, PyParetoNbdModel>),
}

/// A fitted Gamma-Gamma spend model (wrapped by `segcore.GammaGamma`).
#[pyclass(module = "segcore._segcore", name = "GammaGammaModel", frozen)]
pub struct PyGammaGammaModel {
    inner: GammaGamma,
}

clv_model_pymethods!(PyGammaGammaModel [p, q, v] {
    /// Fits the model (settings are checked by the core).
    #[staticmethod]
    #[pyo3(signature = (frequency, monetary_value, *, penalizer_coef, tol, max_iter, exclude_invalid))]
    fn fit(
        py: Python<'_>,
        frequency: PyReadonlyArray1<'_, f64>,
        monetary_value: PyReadonlyArray1<'_, f64>,
        penalizer_coef: f64,
        tol: Option<f64>,
        max_iter: usize,
        exclude_invalid: bool,
    ) -> PyResult<Self> {
        let (f, m) = (slice(&frequency), slice(&monetary_value));
        let params = GammaGammaParams::new()
            .penalizer_coef(penalizer_coef)
            .tol(tol.unwrap_or(GammaGammaParams::DEFAULT_TOL))
            .max_iter(max_iter)
            .exclude_invalid(exclude_invalid);
        let inner = run_detached(py, || params.fit(&f, &m))?;
        Ok(PyGammaGammaModel { inner })
    }

    /// A model with given parameters (prediction only).
    #[staticmethod]
    fn from_params(py: Python<'_>, p: f64, q: f64, v: f64) -> PyResult<Self> {
        let inner = GammaGamma::from_coefficients(GammaGammaCoefficients { p, q, v })
            .map_err(|e| to_py_err(py, e))?;
        Ok(PyGammaGammaModel { inner })
    }

    /// Customers left out by `exclude_invalid`.
    #[getter]
    fn n_excluded(&self) -> usize {
        self.inner.n_excluded()
    }

    /// Expected mean spend per transaction.
    fn conditional_expected_average_profit<'py>(
        &self,
        py: Python<'py>,
        frequency: PyReadonlyArray1<'py, f64>,
        monetary_value: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (f, m) = (slice(&frequency), slice(&monetary_value));
        let model = &self.inner;
        Ok(
            run_detached(py, || model.conditional_expected_average_profit(&f, &m))?
                .into_pyarray(py),
        )
    }

    /// Discounted lifetime value per customer.
    #[pyo3(signature = (purchase_model, frequency, recency, t, monetary_value, *, time, discount_rate, freq))]
    #[allow(clippy::too_many_arguments)]
    fn customer_lifetime_value<'py>(
        &self,
        py: Python<'py>,
        purchase_model: AnyPurchaseModel<'py>,
        frequency: PyReadonlyArray1<'py, f64>,
        recency: PyReadonlyArray1<'py, f64>,
        t: PyReadonlyArray1<'py, f64>,
        monetary_value: PyReadonlyArray1<'py, f64>,
        time: usize,
        discount_rate: f64,
        freq: &str,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (f, r, a, m) = (
            slice(&frequency),
            slice(&recency),
            slice(&t),
            slice(&monetary_value),
        );
        let time_unit = TimeUnit::parse(freq).map_err(|e| to_py_err(py, e))?;
        let options = ClvOptions {
            months: time,
            discount_rate,
            time_unit,
        };
        let purchase: &dyn PurchaseModel = match &purchase_model {
            AnyPurchaseModel::BetaGeo(m) => &m.inner,
            AnyPurchaseModel::ParetoNbd(m) => &m.inner,
        };
        let model = &self.inner;
        let values = run_detached(py, || {
            model.customer_lifetime_value(purchase, &PurchaseHistory::new(&f, &r, &a)?, &m, options)
        })?;
        Ok(values.into_pyarray(py))
    }
});

/// `(customer codes, columns, facts)` of [`clv_summary`].
type SummaryOut<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyDict>,
    Bound<'py, PyDict>,
);

/// Per-customer frequency, recency, T and (with `monetary`) monetary value of a transaction log
/// (lifetimes' `summary_data_from_transaction_data`) as `(customer codes, columns, facts)`: the
/// codes index the log's distinct ids; the facts are `observation_end` (an ISO date),
/// `n_lines_after_end` and `skipped_rows`.
#[pyfunction]
#[pyo3(signature = (tx, names, observation_end=None, freq="D", on_invalid="raise", *, monetary=true))]
#[allow(clippy::too_many_arguments)]
pub fn clv_summary<'py>(
    py: Python<'py>,
    tx: TxInput<'py>,
    names: TxNames,
    observation_end: Option<i64>,
    freq: &str,
    on_invalid: &str,
    monetary: bool,
) -> PyResult<SummaryOut<'py>> {
    let owned = tx.to_owned(names).map_err(|e| to_py_err(py, e))?;
    let freq = freq.to_string();
    let (summary, skipped) = run_detached(py, move || {
        let unit = TimeUnit::parse(&freq)?;
        let end = observation_end
            .map(|d| Date::parameter("observation_end", d))
            .transpose()?;
        let raw = owned.into_log(OnInvalid::from_name(on_invalid)?)?;
        let (log, skipped) = (raw.log, raw.skipped);
        Ok((core_clv_summary(&log, end, unit)?, skipped))
    })?;
    let codes: Vec<i64> = summary
        .customer_index
        .iter()
        .map(|&c| i64::from(c))
        .collect();
    let columns = PyDict::new(py);
    columns.set_item("frequency", summary.frequency.into_pyarray(py))?;
    columns.set_item("recency", summary.recency.into_pyarray(py))?;
    columns.set_item("T", summary.age.into_pyarray(py))?;
    if monetary {
        columns.set_item("monetary_value", summary.monetary_value.into_pyarray(py))?;
    }
    let facts = PyDict::new(py);
    facts.set_item("observation_end", summary.observation_end.to_string())?;
    facts.set_item("n_lines_after_end", summary.n_lines_after_end)?;
    facts.set_item("skipped_rows", skipped)?;
    Ok((codes.into_pyarray(py), columns, facts))
}

/// The per-segment value table as columns (shared with the Segmenter's `value_table`).
pub(crate) fn segment_value_columns<'py>(
    py: Python<'py>,
    table: &[SegmentValue],
) -> PyResult<Bound<'py, PyDict>> {
    Columns::new(py)
        .ints("segment", table.iter().map(|s| s.segment))?
        .counts("n_customers", table.iter().map(|s| s.n_customers))?
        .floats("total_clv", table.iter().map(|s| s.total_clv))?
        .floats("mean_clv", table.iter().map(|s| s.mean_clv))?
        .floats(
            "share_of_total_clv",
            table.iter().map(|s| s.share_of_total_clv),
        )?
        .floats(
            "mean_probability_alive",
            table.iter().map(|s| s.mean_probability_alive),
        )?
        .counts(
            "n_likely_to_lapse",
            table.iter().map(|s| s.n_likely_to_lapse),
        )
        .map(Columns::finish)
}

/// Per-segment value and churn figures (`segcore::clv::segment_value`) as columns.
#[pyfunction]
#[pyo3(signature = (labels, n_segments, clv, probability_alive, *, lapse_threshold, min_group_size))]
pub fn segment_value<'py>(
    py: Python<'py>,
    labels: PyReadonlyArray1<'_, i64>,
    n_segments: Option<usize>,
    clv: PyReadonlyArray1<'_, f64>,
    probability_alive: PyReadonlyArray1<'_, f64>,
    lapse_threshold: f64,
    min_group_size: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let labels = labels_of(&labels, "labels").map_err(|e| to_py_err(py, e))?;
    let n_segments = n_segments.unwrap_or_else(|| n_segments_of(labels.iter().copied()));
    let (clv, alive) = (slice(&clv), slice(&probability_alive));
    let table = run_detached(py, || {
        core_segment_value(
            &labels,
            n_segments,
            &clv,
            &alive,
            lapse_threshold,
            min_group_size,
        )
    })?;
    segment_value_columns(py, &table)
}

/// Cross-sell white space (`segcore::clv::cross_sell`) as two column tables, `(penetration,
/// suggestions)`: the suggestions' `customer` is the index into the log's distinct customers and
/// their `category` is `(codes, categories)`, so a million suggestions cost no Python object
/// each. `segments` and `probability_alive` are `(customer ids, values)`, read by
/// `segcore::clv::segments_by_id`.
#[pyfunction]
#[pyo3(signature = (tx, names, segments, n_segments, probability_alive, *, min_penetration, top_k, min_group_size))]
#[allow(clippy::too_many_arguments)]
pub fn cross_sell<'py>(
    py: Python<'py>,
    tx: TxInput<'py>,
    names: TxNames,
    segments: (IdsInput<'py>, PyReadonlyArray1<'py, f64>),
    n_segments: Option<usize>,
    probability_alive: Option<(IdsInput<'py>, PyReadonlyArray1<'py, f64>)>,
    min_penetration: f64,
    top_k: usize,
    min_group_size: usize,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let owned = tx.to_owned(names).map_err(|e| to_py_err(py, e))?;
    let by_id = |(ids, values): (IdsInput<'py>, PyReadonlyArray1<'py, f64>)| {
        (ids.to_strings(), slice(&values).into_owned())
    };
    let segments = by_id(segments);
    let probability_alive = probability_alive.map(by_id);
    let result = run_detached(py, move || {
        let log = owned.into_log(OnInvalid::Raise)?.log;
        let alive_by_id = probability_alive.as_ref().map(|(i, v)| (&i[..], &v[..]));
        let (segment, alive) =
            segments_by_id(&log, (&segments.0[..], &segments.1[..]), alive_by_id)?;
        let n_segments =
            n_segments.unwrap_or_else(|| n_segments_of(segment.iter().flatten().copied()));
        core_cross_sell(
            &log,
            &segment,
            n_segments,
            &alive,
            min_penetration,
            top_k,
            min_group_size,
        )
    })?;
    let cells = &result.penetration;
    let penetration = Columns::new(py)
        .ints("segment", cells.iter().map(|c| c.segment))?
        .texts("category", cells.iter().map(|c| c.category.as_str()))?
        .counts("n_buyers", cells.iter().map(|c| c.n_buyers))?
        .floats("penetration", cells.iter().map(|c| c.penetration))?
        .floats(
            "mean_spend_per_buyer",
            cells.iter().map(|c| c.mean_spend_per_buyer),
        )?
        .finish();
    let s = &result.suggestions;
    let suggestions = Columns::new(py)
        .ints("customer", s.iter().map(|x| x.customer))?
        .coded_texts("category", s.iter().map(|x| x.category.as_str()))?
        .floats(
            "expected_revenue",
            s.iter().map(|x| Some(x.expected_revenue)),
        )?
        .ints("rank", s.iter().map(|x| x.rank))?
        .finish();
    Ok((penetration, suggestions))
}

/// Migration forecast (`segcore::clv::migration_forecast`) as matrices: the published counts
/// and shares (NaN where hidden), the mix per period ahead, and the next-period probabilities of
/// the last snapshot's customers. `n_segments` None: `n_segments_of` the labels.
#[pyfunction]
#[pyo3(signature = (snapshots, n_segments, *, horizon, min_group_size))]
#[allow(clippy::type_complexity)]
pub fn migration_forecast<'py>(
    py: Python<'py>,
    snapshots: Vec<PyReadonlyArray1<'py, i64>>,
    n_segments: Option<usize>,
    horizon: usize,
    min_group_size: usize,
) -> PyResult<(
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
)> {
    let snapshots: Vec<Vec<usize>> = snapshots
        .iter()
        .map(|snapshot| labels_of(snapshot, "snapshots"))
        .collect::<segcore::Result<_>>()
        .map_err(|e| to_py_err(py, e))?;
    let n_segments =
        n_segments.unwrap_or_else(|| n_segments_of(snapshots.iter().flatten().copied()));
    let (forecast, next) = run_detached(py, || {
        let views: Vec<&[usize]> = snapshots.iter().map(Vec::as_slice).collect();
        let forecast = core_migration_forecast(&views, n_segments, horizon, min_group_size)?;
        let next = forecast.next_probabilities(views.last().copied().unwrap_or(&[]))?;
        Ok((forecast, next))
    })?;
    // Rows of `width` values each as a matrix, a hidden value as NaN (the internal transition
    // matrix stays unpublished).
    fn matrix<T: Copy>(rows: &[Vec<T>], width: usize, value: impl Fn(T) -> f64) -> Array2<f64> {
        Array2::from_shape_fn((rows.len(), width), |(r, c)| {
            rows[r].get(c).map_or(0.0, |&v| value(v))
        })
    }
    let k = forecast.n_segments;
    let counts = matrix(&forecast.published_counts, k, |c| {
        c.map_or(f64::NAN, |c| c as f64)
    });
    let shares = matrix(&forecast.published_shares, k, |s| s.unwrap_or(f64::NAN));
    Ok((
        counts.into_pyarray(py),
        shares.into_pyarray(py),
        matrix(&forecast.mix, k, |m| m).into_pyarray(py),
        matrix(&next, n_segments, |p| p).into_pyarray(py),
    ))
}
