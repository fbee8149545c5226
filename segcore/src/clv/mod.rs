//! Customer lifetime value: who is still a customer, how much they will buy and what they are
//! worth, from each customer's purchase history.
//!
//! - [`clv_summary`]: a transaction log -> per customer `frequency` (repeat purchase periods),
//!   `recency`, `T` and `monetary_value`, with the definitions of lifetimes'
//!   `summary_data_from_transaction_data`;
//! - purchase models [`BetaGeoParams`] -> [`BetaGeo`] (BG/NBD, Fader, Hardie and Lee 2005) and
//!   [`ParetoNbdParams`] -> [`ParetoNbd`] (Schmittlein, Morrison and Colombo 1987): expected
//!   purchases in the next `t` periods and the probability that a customer is still alive;
//! - the spend model [`GammaGammaParams`] -> [`GammaGamma`] and its discounted
//!   [`customer_lifetime_value`](GammaGamma::customer_lifetime_value);
//! - for segments: [`segment_value`] (CLV per segment, share of the total, customers likely to
//!   lapse), [`cross_sell`] (category penetration per segment and what each customer's peers
//!   buy that they do not) and [`migration_forecast`] (transition matrix, segment mix `h`
//!   periods ahead, next-period probabilities), all under the profiles' privacy rules. These
//!   read `profile::privacy`, so `clv` sits at the top of the crate beside `profile`;
//! - inside a segmentation: [`SegmenterParams::value`](crate::segmenter::SegmenterParams::value)
//!   fits BG/NBD and Gamma-Gamma in the Segmenter's fit and uses P(alive), expected purchases
//!   and CLV as features, profile columns, names and lifecycle stages
//!   ([`segmenter::value`](crate::segmenter::value)).
//!
//! The three models share their scaffolding here: the fit settings (`fit_settings!`), the
//! fitted model's accessors and saved form (`fitted_model!`), lifetimes' penalised objective
//! (`penalized`) and the time scaling of the purchase models (`ScaledHistory`).
//!
//! Invariant: every model is the maximum-likelihood fit of lifetimes' objective (the same L2
//! `penalizer_coef`, applied on lifetimes' time scale), so parameters, probabilities and values
//! agree with lifetimes on the same inputs (tested on the CDNOW sample: BG/NBD parameters to
//! 1e-4 relative, per-customer predictions to 1e-6). A fit that does not converge keeps its
//! parameters and says so (`converged() == false`). Likelihood sums run over fixed chunks of
//! customers reduced in order, so results do not depend on the thread count.
//!
//! Current figure (docs/performance.md): BG/NBD fit on 1M customers 0.16 s, 51x
//! faster than lifetimes; `clv_summary` of 10M lines 0.9 s, 11x lifetimes, 5.4x a polars query.

mod beta_geo;
mod cross_sell;
mod forecast;
mod gamma_gamma;
mod optimize;
mod pareto_nbd;
mod segments;
mod special;
mod summary;

pub use beta_geo::{BetaGeo, BetaGeoCoefficients, BetaGeoParams, BetaGeoValidParams};
pub use cross_sell::{
    cross_sell, segments_by_id, CategoryPenetration, CrossSell, CrossSellSuggestion,
};
pub use forecast::{migration_forecast, MigrationForecast};
pub use gamma_gamma::{
    ClvOptions, GammaGamma, GammaGammaCoefficients, GammaGammaParams, GammaGammaValidParams,
};
pub use pareto_nbd::{ParetoNbd, ParetoNbdCoefficients, ParetoNbdParams, ParetoNbdValidParams};
pub use segments::{n_segments_of, segment_value, SegmentValue};
pub use summary::{clv_summary, ClvSummary};

use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The time unit of recency and T: the period lengths of [`clv_summary`] and the unit
/// [`GammaGamma::customer_lifetime_value`] converts months into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeUnit {
    /// Calendar days (`"D"`).
    Day,
    /// Weeks from Monday to Sunday (`"W"`, pandas' `W-SUN` periods).
    Week,
    /// Calendar months (`"M"`).
    Month,
    /// Hours (`"H"`; only for the lifetime value of histories measured in hours).
    Hour,
}

impl TimeUnit {
    /// Parses lifetimes' spelling: `"D"`, `"W"`, `"M"` or `"H"` (also lower case `"h"`).
    pub fn parse(text: &str) -> Result<TimeUnit> {
        match text {
            "D" => Ok(TimeUnit::Day),
            "W" => Ok(TimeUnit::Week),
            "M" => Ok(TimeUnit::Month),
            "H" | "h" => Ok(TimeUnit::Hour),
            other => Err(Error::invalid_parameter(
                "freq",
                format!("{other:?}"),
                "\"D\" (days), \"W\" (weeks), \"M\" (months) or \"H\" (hours)",
            )),
        }
    }

    /// lifetimes' number of these units in a month (30 days, 4.345 weeks, 720 hours).
    pub fn per_month(self) -> f64 {
        match self {
            TimeUnit::Day => 30.0,
            TimeUnit::Week => 4.345,
            TimeUnit::Month => 1.0,
            TimeUnit::Hour => 720.0,
        }
    }
}

/// Per customer: repeat purchase periods (`frequency`), time from the first to the last purchase
/// period (`recency`) and from the first purchase to the end of observation (`age`, lifetimes'
/// `T`), all in one time unit. Borrowed, checked once.
///
/// ```
/// use segcore::clv::PurchaseHistory;
/// let history = PurchaseHistory::new(&[0.0, 2.0], &[0.0, 30.0], &[38.0, 35.0])?;
/// assert_eq!(history.len(), 2);
/// assert!(PurchaseHistory::new(&[1.0], &[40.0], &[38.0]).is_err()); // recency > T
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct PurchaseHistory<'a> {
    frequency: &'a [f64],
    recency: &'a [f64],
    age: &'a [f64],
}

impl<'a> PurchaseHistory<'a> {
    /// Checks lengths (equal, not zero), finiteness and lifetimes' rules: frequency a whole
    /// number >= 0, `0 <= recency <= T`, recency 0 when frequency is 0. Errors name the row.
    pub fn new(frequency: &'a [f64], recency: &'a [f64], age: &'a [f64]) -> Result<Self> {
        let n = frequency.len();
        for (what, len) in [("recency", recency.len()), ("T", age.len())] {
            if len != n {
                return Err(Error::ShapeMismatch {
                    what: format!("{what} (one per customer, as frequency)"),
                    expected: n,
                    got: len,
                });
            }
        }
        if n == 0 {
            return Err(Error::EmptyInput {
                what: "the purchase history has no customers".into(),
            });
        }
        for (what, values) in [("frequency", frequency), ("recency", recency), ("T", age)] {
            crate::validation::check_finite_column(values, what)?;
        }
        for row in 0..n {
            let (x, t_x, t) = (frequency[row], recency[row], age[row]);
            let reason = if x < 0.0 {
                format!("frequency {x} is negative")
            } else if x.fract() != 0.0 {
                format!("frequency {x} is not a whole number of repeat purchases")
            } else if t_x < 0.0 {
                format!("recency {t_x} is negative")
            } else if t_x > t {
                format!("recency {t_x} is larger than T {t}")
            } else if x == 0.0 && t_x != 0.0 {
                format!("recency {t_x} is not 0 although frequency is 0")
            } else {
                continue;
            };
            return Err(Error::InvalidHistory { row, reason });
        }
        Ok(PurchaseHistory {
            frequency,
            recency,
            age,
        })
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.frequency.len()
    }

    /// Always `false` (an empty history is refused by [`new`](Self::new)).
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }

    /// Repeat purchase periods per customer.
    pub fn frequency(&self) -> &'a [f64] {
        self.frequency
    }

    /// First to last purchase period per customer.
    pub fn recency(&self) -> &'a [f64] {
        self.recency
    }

    /// First purchase to the end of observation per customer (lifetimes' `T`).
    pub fn age(&self) -> &'a [f64] {
        self.age
    }

    /// The checks a purchase model's fit adds: two customers or more, some repeat purchase, a
    /// positive longest T.
    fn check_fittable(&self, model: &str) -> Result<()> {
        if self.len() < 2 {
            return Err(Error::EmptyInput {
                what: format!(
                    "{model} needs the histories of two customers or more to estimate its \
                     population parameters, got one"
                ),
            });
        }
        if self.frequency.iter().all(|&x| x == 0.0) {
            return Err(Error::EmptyInput {
                what: format!(
                    "no customer has a repeat purchase (every frequency is 0): {model} cannot \
                     tell how fast customers buy or drop out"
                ),
            });
        }
        if self.max_age() <= 0.0 {
            return Err(Error::EmptyInput {
                what: "every T is 0: no time was observed after the first purchases".into(),
            });
        }
        Ok(())
    }

    fn max_age(&self) -> f64 {
        self.age.iter().fold(0.0f64, |m, &t| m.max(t))
    }
}

/// A purchase model: expected purchases and the probability of being alive per customer.
pub trait PurchaseModel: Sync {
    /// Expected repeat purchases of one customer in the next `t` periods given their history
    /// (lifetimes' `conditional_expected_number_of_purchases_up_to_time`).
    fn expected_purchases(&self, t: f64, frequency: f64, recency: f64, age: f64) -> f64;

    /// Probability that one customer is still alive (lifetimes'
    /// `conditional_probability_alive`).
    fn alive_probability(&self, frequency: f64, recency: f64, age: f64) -> f64;

    /// [`expected_purchases`](Self::expected_purchases) for every customer of `history`
    /// (parallel).
    fn predict_purchases(&self, t: f64, history: &PurchaseHistory<'_>) -> Result<Vec<f64>> {
        check_horizon(t)?;
        Ok(par_map(history.len(), |i| {
            self.expected_purchases(t, history.frequency[i], history.recency[i], history.age[i])
        }))
    }

    /// [`expected_purchases`](Self::expected_purchases) with one horizon per customer.
    fn predict_purchases_each(&self, t: &[f64], history: &PurchaseHistory<'_>) -> Result<Vec<f64>> {
        if t.len() != history.len() {
            return Err(Error::ShapeMismatch {
                what: "t (one horizon per customer)".into(),
                expected: history.len(),
                got: t.len(),
            });
        }
        for &ti in t {
            check_horizon(ti)?;
        }
        Ok(par_map(history.len(), |i| {
            self.expected_purchases(
                t[i],
                history.frequency[i],
                history.recency[i],
                history.age[i],
            )
        }))
    }

    /// [`alive_probability`](Self::alive_probability) for every customer (parallel).
    fn probability_alive(&self, history: &PurchaseHistory<'_>) -> Vec<f64> {
        par_map(history.len(), |i| {
            self.alive_probability(history.frequency[i], history.recency[i], history.age[i])
        })
    }
}

fn check_horizon(t: f64) -> Result<()> {
    if !(t.is_finite() && t >= 0.0) {
        return Err(Error::invalid_parameter(
            "t",
            t,
            "a finite number of periods >= 0",
        ));
    }
    Ok(())
}

/// Customers per chunk of a likelihood sum: the chunks, not the threads, fix the order of the
/// floating-point additions.
const CHUNK: usize = 4096;

/// `Σ f(chunk)` over fixed chunks of `0..n`, computed in parallel and added in chunk order.
fn chunked_sum<const K: usize, F>(n: usize, f: F) -> [f64; K]
where
    F: Fn(Range<usize>) -> [f64; K] + Sync + Send,
{
    let partials: Vec<[f64; K]> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| f(c * CHUNK..((c + 1) * CHUNK).min(n)))
        .collect();
    let mut total = [0.0; K];
    for partial in partials {
        for (t, p) in total.iter_mut().zip(partial) {
            *t += p;
        }
    }
    total
}

fn par_map<F: Fn(usize) -> f64 + Sync + Send>(n: usize, f: F) -> Vec<f64> {
    (0..n).into_par_iter().with_min_len(1024).map(f).collect()
}

/// The distinct frequencies of a history and, per customer, the index of theirs: the
/// gamma-function terms of the likelihoods depend on the frequency only, so they are computed
/// once per distinct value (a few hundred) instead of once per customer.
struct FrequencyTable {
    values: Vec<f64>,
    index: Vec<u32>,
}

impl FrequencyTable {
    fn new(frequency: &[f64]) -> FrequencyTable {
        let mut values = frequency.to_vec();
        values.sort_by(f64::total_cmp);
        values.dedup();
        let index = frequency
            .iter()
            .map(|x| {
                values
                    .binary_search_by(|v| v.total_cmp(x))
                    .expect("every frequency is among the distinct values") as u32
            })
            .collect();
        FrequencyTable { values, index }
    }
}

/// How a fit went, shared by the models' documentation and accessors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Total log-likelihood over the customers (without the penalty), in the caller's time
    /// unit.
    pub log_likelihood: f64,
    /// Customers fitted.
    pub n_customers: usize,
    /// Quasi-Newton iterations.
    pub n_iter: usize,
    /// `false` when the optimiser stopped before its tolerance: the parameters are the best
    /// found, use them with care (try a `penalizer_coef` > 0).
    pub converged: bool,
    /// The L2 penalty the model was fitted with.
    pub penalizer_coef: f64,
}

/// The builder methods and check of a model's fit settings (`penalizer_coef`, `tol`,
/// `max_iter`), the same for the three models.
macro_rules! fit_settings {
    ($params:ident, $valid:ident, $what:literal $(, $extra:ident: $value:expr_2021)*) => {
        impl $params {
            #[doc = concat!("Default settings: no penalty, tolerance ", stringify!($params), "::DEFAULT_TOL, 1000 iterations.")]
            pub fn new() -> Self {
                Self::default()
            }

            /// L2 penalty on the parameters, as lifetimes' `penalizer_coef` (0 = plain maximum
            /// likelihood).
            pub fn penalizer_coef(mut self, penalizer_coef: f64) -> Self {
                self.penalizer_coef = penalizer_coef;
                self
            }

            /// Convergence tolerance on the largest gradient component of the mean negative
            /// log-likelihood in log-parameters.
            pub fn tol(mut self, tol: f64) -> Self {
                self.tol = tol;
                self
            }

            /// Maximum quasi-Newton iterations.
            pub fn max_iter(mut self, max_iter: usize) -> Self {
                self.max_iter = max_iter;
                self
            }

            /// Checks the settings (penalty finite >= 0, tolerance > 0, iterations >= 1).
            pub fn check(&self) -> Result<$valid> {
                check_fit_settings(self.penalizer_coef, self.tol, self.max_iter)?;
                Ok($valid(self.clone()))
            }
        }

        impl Default for $params {
            fn default() -> Self {
                $params {
                    penalizer_coef: 0.0,
                    tol: $params::DEFAULT_TOL,
                    max_iter: 1000,
                    $($extra: $value,)*
                }
            }
        }

        #[doc = concat!("Checked ", $what, " settings (from [`", stringify!($params), "::check`]).")]
        #[derive(Clone, Debug, PartialEq)]
        pub struct $valid($params);

        impl $valid {
            /// The settings.
            pub fn params(&self) -> &$params {
                &self.0
            }
        }
    };
}
pub(crate) use fit_settings;

/// What the three fitted models share: [`from_coefficients`] (a model with given, e.g.
/// published, parameters for prediction only), the accessors of the fit and the saved form
/// (kind and the checks of loading: parameters finite and > 0, standard errors finite >= 0).
macro_rules! fitted_model {
    ($model:ident, $coefficients:ident, $name:literal, $kind:literal, $names:expr_2021
     $(, $extra:ident: $value:expr_2021)*) => {
        impl $model {
            /// A model with given parameters (e.g. published ones), for prediction only.
            pub fn from_coefficients(coefficients: $coefficients) -> Result<$model> {
                super::check_positive($name, &coefficients.to_array(), &$names)?;
                Ok($model {
                    coefficients,
                    standard_errors: None,
                    report: FitReport::prediction_only(),
                    $($extra: $value,)*
                })
            }

            /// The fitted parameters, named as in lifetimes.
            pub fn coefficients(&self) -> $coefficients {
                self.coefficients
            }

            /// Standard errors of the coefficients (delta method on the numerical Hessian, as
            /// lifetimes' `standard_errors_` where it reports them); `None` when the Hessian is
            /// not positive definite.
            pub fn standard_errors(&self) -> Option<$coefficients> {
                self.standard_errors
            }

            /// 95% intervals `coefficient -/+ 1.96 standard errors` (lifetimes'
            /// `confidence_intervals_`), in the coefficients' order; `None` without standard
            /// errors.
            pub fn confidence_intervals(&self) -> Option<Vec<(f64, f64)>> {
                let errors = self.standard_errors?.to_array();
                let values = self.coefficients.to_array();
                Some(values.iter().zip(errors).map(|(&v, se)| (v - 1.96 * se, v + 1.96 * se)).collect())
            }

            /// Total log-likelihood, customers, iterations, convergence and penalty of the fit.
            pub fn report(&self) -> &FitReport {
                &self.report
            }

            /// Total log-likelihood of the fitted customers (without the penalty).
            pub fn log_likelihood(&self) -> f64 {
                self.report.log_likelihood
            }

            /// `false` when the optimiser stopped before its tolerance (the parameters are kept).
            pub fn converged(&self) -> bool {
                self.report.converged
            }
        }

        impl SavedModel for $model {
            fn kind() -> String {
                $kind.into()
            }

            fn validate(&self) -> Result<()> {
                super::check_positive($name, &self.coefficients.to_array(), &$names)
                    .map_err(|e| invalid($kind, e))?;
                if let Some(se) = self.standard_errors {
                    if se.to_array().iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                        return Err(invalid($kind, "a standard error is negative"));
                    }
                }
                Ok(())
            }
        }
    };
}
pub(crate) use fitted_model;

/// Every value finite and > 0 (a model's parameters), or an error naming the first that is not.
fn check_positive(model: &str, values: &[f64], names: &[&str]) -> Result<()> {
    for (v, name) in values.iter().zip(names) {
        if !(v.is_finite() && *v > 0.0) {
            return Err(Error::Numerical {
                reason: format!("{model} parameter {name} = {v} must be a finite number > 0"),
            });
        }
    }
    Ok(())
}

/// The objective every fit minimises, lifetimes' form: the mean negative log-likelihood plus
/// the L2 penalty `weight * Σ p²`, with its gradient in log-parameters (`∂/∂ln p = p ∂/∂p`),
/// from the total log-likelihood `ll` over `n` customers and its gradient in the parameters.
fn penalized(ll: f64, grad: &[f64], params: &[f64], n: f64, weight: f64) -> (f64, Vec<f64>) {
    let penalty: f64 = params.iter().map(|p| p * p).sum();
    let value = -ll / n + weight * penalty;
    let gradient = params
        .iter()
        .zip(grad)
        .map(|(p, g)| -g * p / n + 2.0 * weight * p * p)
        .collect();
    (value, gradient)
}

/// A purchase history with recency and T divided by the longest T: the purchase models fit on
/// lifetimes' time scale, where their parameters start near 1.
struct ScaledHistory {
    frequency: Vec<f64>,
    recency: Vec<f64>,
    age: Vec<f64>,
    table: FrequencyTable,
    /// `1 / max T`.
    scale: f64,
}

impl ScaledHistory {
    fn new(history: &PurchaseHistory<'_>) -> ScaledHistory {
        let scale = 1.0 / history.max_age();
        ScaledHistory {
            frequency: history.frequency().to_vec(),
            recency: history.recency().iter().map(|v| v * scale).collect(),
            age: history.age().iter().map(|v| v * scale).collect(),
            table: FrequencyTable::new(history.frequency()),
            scale,
        }
    }

    /// Every `stride`-th customer (same scale): a subsample for a warm start.
    fn every(&self, stride: usize) -> ScaledHistory {
        let pick = |v: &[f64]| v.iter().step_by(stride).copied().collect::<Vec<f64>>();
        let frequency = pick(&self.frequency);
        ScaledHistory {
            table: FrequencyTable::new(&frequency),
            frequency,
            recency: pick(&self.recency),
            age: pick(&self.age),
            scale: self.scale,
        }
    }

    /// The log-likelihood in the caller's time unit from the one on the scaled time: the
    /// likelihood of `x` purchases in time rescaled by `scale` differs by `x ln(scale)`.
    fn unscaled_log_likelihood(&self, scaled: f64) -> f64 {
        let total_frequency: f64 = self.frequency.iter().sum();
        scaled + total_frequency * self.scale.ln()
    }
}

impl FitReport {
    /// The report of a model given its parameters (no fit).
    fn prediction_only() -> FitReport {
        FitReport {
            log_likelihood: 0.0,
            n_customers: 0,
            n_iter: 0,
            converged: true,
            penalizer_coef: 0.0,
        }
    }

    /// The report of a fit that ended at `minimum`.
    fn of_fit(
        minimum: &optimize::Minimum,
        log_likelihood: f64,
        n_customers: usize,
        penalizer_coef: f64,
    ) -> FitReport {
        FitReport {
            log_likelihood,
            n_customers,
            n_iter: minimum.n_iter,
            converged: minimum.converged,
            penalizer_coef,
        }
    }
}

/// Shared parameter checks of the three models.
fn check_fit_settings(penalizer_coef: f64, tol: f64, max_iter: usize) -> Result<()> {
    if !(penalizer_coef.is_finite() && penalizer_coef >= 0.0) {
        return Err(Error::invalid_parameter(
            "penalizer_coef",
            penalizer_coef,
            "a finite number >= 0",
        ));
    }
    if !(tol.is_finite() && tol > 0.0) {
        return Err(Error::invalid_parameter("tol", tol, "a finite number > 0"));
    }
    if max_iter == 0 {
        return Err(Error::invalid_parameter("max_iter", max_iter, "at least 1"));
    }
    Ok(())
}

/// Standard errors of parameters fitted on log scale: the delta method on the inverse Hessian
/// of the objective, as lifetimes computes them (`p_i * sqrt((H^-1)_ii / n)` for an objective
/// that is a mean over `n` customers). `None` when the Hessian is not positive definite.
fn standard_errors(params: &[f64], hessian: &[Vec<f64>], n: f64) -> Option<Vec<f64>> {
    let inverse = optimize::invert(hessian)?;
    params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let v = inverse[i][i] / n;
            (v.is_finite() && v > 0.0).then(|| p * v.sqrt())
        })
        .collect()
}

/// Customers simulated from BG/NBD (r 0.5, α 5, a 0.8, b 2.5; T uniform in 20..40), the
/// model's own assumptions, so its likelihood has an interior maximum near those values.
#[cfg(test)]
pub(crate) fn simulated_history(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    fn gamma(rng: &mut impl Rng, shape: f64) -> f64 {
        // Marsaglia and Tsang; shapes below 1 through Gamma(k + 1) * U^(1/k).
        if shape < 1.0 {
            let u: f64 = rng.r#gen::<f64>().max(1e-300);
            return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let (u1, u2): (f64, f64) = (rng.r#gen::<f64>().max(1e-300), rng.r#gen());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            let v = (1.0 + c * z).powi(3);
            if v > 0.0 && rng.r#gen::<f64>().max(1e-300).ln() < 0.5 * z * z + d - d * v + d * v.ln()
            {
                return d * v;
            }
        }
    }
    let (mut frequency, mut recency, mut age) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let t_end = 20.0 + 20.0 * rng.r#gen::<f64>();
        let rate = gamma(&mut rng, 0.5) / 5.0;
        let (ga, gb) = (gamma(&mut rng, 0.8), gamma(&mut rng, 2.5));
        let p = ga / (ga + gb);
        let (mut t, mut x) = (0.0, 0.0);
        loop {
            let next = t - rng.r#gen::<f64>().max(1e-300).ln() / rate;
            if next > t_end {
                break;
            }
            t = next;
            x += 1.0;
            if rng.r#gen::<f64>() < p {
                break;
            }
        }
        frequency.push(x);
        recency.push(t);
        age.push(t_end);
    }
    (frequency, recency, age)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_checks_name_the_row() {
        let ok = PurchaseHistory::new(&[0.0, 3.0], &[0.0, 5.0], &[10.0, 5.0]).unwrap();
        assert_eq!((ok.len(), ok.is_empty()), (2, false));
        let reason = |f: &[f64], r: &[f64], t: &[f64]| match PurchaseHistory::new(f, r, t) {
            Err(Error::InvalidHistory { row, reason }) => (row, reason),
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(&[1.0, 1.0], &[1.0, 6.0], &[2.0, 5.0]).0, 1);
        assert!(reason(&[1.0], &[6.0], &[5.0]).1.contains("larger than T"));
        assert!(reason(&[-1.0], &[0.0], &[5.0]).1.contains("negative"));
        assert!(reason(&[1.5], &[1.0], &[5.0]).1.contains("whole number"));
        assert!(reason(&[0.0], &[1.0], &[5.0]).1.contains("frequency is 0"));
        assert!(matches!(
            PurchaseHistory::new(&[], &[], &[]),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            PurchaseHistory::new(&[1.0], &[1.0, 2.0], &[3.0]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            PurchaseHistory::new(&[1.0], &[f64::NAN], &[3.0]),
            Err(Error::NonFiniteValue { .. })
        ));
        let single = PurchaseHistory::new(&[1.0], &[1.0], &[3.0]).unwrap();
        assert!(single.check_fittable("BG/NBD").is_err());
        let no_repeat = PurchaseHistory::new(&[0.0, 0.0], &[0.0, 0.0], &[3.0, 4.0]).unwrap();
        let message = no_repeat.check_fittable("BG/NBD").unwrap_err().to_string();
        assert!(
            message.contains("no customer has a repeat purchase"),
            "{message}"
        );
    }

    #[test]
    fn chunked_sums_do_not_depend_on_threads() {
        let values: Vec<f64> = (0..50_000).map(|i| (i as f64 * 0.37).sin() * 1e3).collect();
        let sum = |pool: rayon::ThreadPool| {
            pool.install(|| chunked_sum::<1, _>(values.len(), |r| [values[r].iter().sum()]))
        };
        let one = sum(rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap());
        let three = sum(rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap());
        assert_eq!(one[0].to_bits(), three[0].to_bits());
    }

    #[test]
    fn frequency_table_indexes_distinct_values() {
        let table = FrequencyTable::new(&[3.0, 0.0, 3.0, 1.0]);
        assert_eq!(table.values, [0.0, 1.0, 3.0]);
        assert_eq!(table.index, [2, 0, 2, 1]);
        assert_eq!(TimeUnit::parse("W").unwrap().per_month(), 4.345);
        assert!(TimeUnit::parse("Y").is_err());
    }

    #[test]
    fn types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PurchaseHistory<'static>>();
        assert_send_sync::<TimeUnit>();
        assert_send_sync::<FitReport>();
    }
}
