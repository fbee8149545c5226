//! Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV: Using Iso-Value Curves
//! for Customer Base Analysis"; Fader and Hardie's note 025) and lifetimes' discounted
//! customer lifetime value.
//!
//! The value of a customer's transactions is gamma with shape `p` and a per-customer scale
//! `ν ~ Gamma(q, v)`; a customer's mean spend over `x` repeat purchases is then shrunk towards
//! the population mean `p v / (q - 1)` by their number of purchases.

use super::optimize::{hessian_from_gradient, minimize};
use super::special::{digamma, ln_gamma};
use super::{
    check_fit_settings, chunked_sum, par_map, penalized, standard_errors, FitReport,
    FrequencyTable, PurchaseHistory, PurchaseModel, TimeUnit,
};
use crate::error::{Error, Result};
use crate::persist::{invalid, SavedModel};
use serde::{Deserialize, Serialize};

/// Gamma-Gamma fit settings (lifetimes' `GammaGammaFitter(penalizer_coef)`).
///
/// ```
/// use segcore::clv::GammaGammaParams;
/// let frequency = [1.0, 3.0, 2.0, 6.0, 1.0, 4.0, 0.0];
/// let spend = [20.0, 35.5, 18.0, 41.0, 90.0, 27.0, 0.0];
/// // The last customer has no repeat purchase: an error unless excluded on request.
/// assert!(GammaGammaParams::new().fit(&frequency, &spend).is_err());
/// let model = GammaGammaParams::new().exclude_invalid(true).fit(&frequency, &spend)?;
/// assert_eq!(model.n_excluded(), 1);
/// let expected = model.conditional_expected_average_profit(&frequency, &spend)?;
/// assert!(expected[3] < 41.0 && expected[3] > 30.0); // shrunk towards the population mean
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaParams {
    /// L2 penalty `penalizer_coef * (p² + q² + v²)` added to the mean negative
    /// log-likelihood (lifetimes' form).
    pub penalizer_coef: f64,
    /// Gradient tolerance on the mean negative log-likelihood in log-parameters.
    pub tol: f64,
    /// Maximum quasi-Newton iterations.
    pub max_iter: usize,
    /// Leave out customers without repeat purchases or with non-positive mean spend (counted in
    /// [`GammaGamma::n_excluded`]) instead of refusing them.
    pub exclude_invalid: bool,
}

impl GammaGammaParams {
    /// Default gradient tolerance.
    pub const DEFAULT_TOL: f64 = 1e-8;

    /// Leaves out invalid customers instead of refusing them (see the field).
    pub fn exclude_invalid(mut self, exclude: bool) -> Self {
        self.exclude_invalid = exclude;
        self
    }

    /// Fits the model (checks first; see [`GammaGammaValidParams::fit`]).
    pub fn fit(&self, frequency: &[f64], monetary_value: &[f64]) -> Result<GammaGamma> {
        self.check()?.fit(frequency, monetary_value)
    }
}

super::fit_settings!(
    GammaGammaParams,
    GammaGammaValidParams,
    "Gamma-Gamma",
    exclude_invalid: false
);

/// The three Gamma-Gamma parameters, named as in lifetimes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaCoefficients {
    /// Shape of the gamma distribution of one transaction's value.
    pub p: f64,
    /// Shape of the gamma distribution of the customers' scales.
    pub q: f64,
    /// Scale of the gamma distribution of the customers' scales (currency units).
    pub v: f64,
}

impl GammaGammaCoefficients {
    /// `[p, q, v]`.
    pub fn to_array(self) -> [f64; 3] {
        [self.p, self.q, self.v]
    }

    fn from_slice(v: &[f64]) -> Self {
        GammaGammaCoefficients {
            p: v[0],
            q: v[1],
            v: v[2],
        }
    }
}

/// A fitted Gamma-Gamma spend model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GammaGamma {
    coefficients: GammaGammaCoefficients,
    standard_errors: Option<GammaGammaCoefficients>,
    report: FitReport,
    n_excluded: usize,
}

/// How a customer's lifetime value is discounted and over which horizon (lifetimes'
/// `customer_lifetime_value(time, discount_rate, freq)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClvOptions {
    /// Horizon in months (lifetimes' `time`, default 12).
    pub months: usize,
    /// Monthly discount rate (default 0.01).
    pub discount_rate: f64,
    /// The unit of recency and T (default weeks): a month is 30 days, 4.345 weeks or 720 hours.
    pub time_unit: TimeUnit,
}

impl Default for ClvOptions {
    fn default() -> Self {
        ClvOptions {
            months: 12,
            discount_rate: 0.01,
            time_unit: TimeUnit::Week,
        }
    }
}

/// Longest lifetime-value horizon (months): 1,000 years.
const MAX_MONTHS: usize = 12_000;

struct Objective {
    frequency: Vec<f64>,
    /// `ln m` per customer.
    ln_spend: Vec<f64>,
    /// `x m` per customer.
    total_spend: Vec<f64>,
    table: FrequencyTable,
    penalizer_coef: f64,
}

impl Objective {
    /// Total log-likelihood (note 025, equation 1a) and its gradient in `(p, q, v)`.
    fn log_likelihood(&self, params: &[f64]) -> (f64, [f64; 3]) {
        let (p, q, v) = (params[0], params[1], params[2]);
        let values = &self.table.values;
        let lg: Vec<f64> = values
            .iter()
            .map(|&x| ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q))
            .collect();
        let dg_pq: Vec<f64> = values.iter().map(|&x| digamma(p * x + q)).collect();
        let dg_p: Vec<f64> = values.iter().map(|&x| digamma(p * x)).collect();
        let (ln_v, dg_q) = (v.ln(), digamma(q));
        let sums = chunked_sum::<4, _>(self.frequency.len(), |range| {
            let mut s = [0.0; 4];
            for i in range {
                let k = self.table.index[i] as usize;
                let x = self.frequency[i];
                let xm = self.total_spend[i];
                let ln_xm = xm.ln();
                let ln_xmv = (xm + v).ln();
                let ln_m = self.ln_spend[i];
                // (px - 1) ln m + px ln x = px ln(xm) - ln m
                s[0] += lg[k] + q * ln_v + p * x * ln_xm - ln_m - (p * x + q) * ln_xmv;
                s[1] += x * (dg_pq[k] - dg_p[k] + ln_xm - ln_xmv);
                s[2] += dg_pq[k] - dg_q + ln_v - ln_xmv;
                s[3] += q / v - (p * x + q) / (xm + v);
            }
            s
        });
        (sums[0], [sums[1], sums[2], sums[3]])
    }

    fn evaluate(&self, log_params: &[f64]) -> (f64, Vec<f64>) {
        let params: Vec<f64> = log_params.iter().map(|v| v.exp()).collect();
        let (ll, grad) = self.log_likelihood(&params);
        let n = self.frequency.len() as f64;
        penalized(ll, &grad, &params, n, self.penalizer_coef)
    }
}

fn check_spend_inputs(frequency: &[f64], monetary_value: &[f64]) -> Result<()> {
    if monetary_value.len() != frequency.len() {
        return Err(Error::ShapeMismatch {
            what: "monetary_value (one per customer, as frequency)".into(),
            expected: frequency.len(),
            got: monetary_value.len(),
        });
    }
    for (what, values) in [("frequency", frequency), ("monetary_value", monetary_value)] {
        crate::validation::check_finite_column(values, what)?;
    }
    if let Some(row) = frequency.iter().position(|x| *x < 0.0 || x.fract() != 0.0) {
        return Err(Error::InvalidHistory {
            row,
            reason: format!(
                "frequency {} is not a whole number of repeat purchases >= 0",
                frequency[row]
            ),
        });
    }
    Ok(())
}

impl GammaGammaValidParams {
    /// Fits Gamma-Gamma by maximum likelihood on the customers with repeat purchases
    /// (`frequency >= 1`) and their mean repeat spend (`monetary_value > 0`), starting where
    /// lifetimes starts (log-parameters 0.1).
    ///
    /// A customer with frequency 0 or non-positive spend is an error naming the row, unless
    /// [`exclude_invalid`](GammaGammaParams::exclude_invalid) is set (then counted). Fewer than
    /// two customers left is an error. A fit that stops before the tolerance is kept with
    /// [`converged`](GammaGamma::converged) `false`.
    pub fn fit(&self, frequency: &[f64], monetary_value: &[f64]) -> Result<GammaGamma> {
        check_spend_inputs(frequency, monetary_value)?;
        let settings = &self.0;
        let mut kept_frequency = Vec::with_capacity(frequency.len());
        let mut kept_spend = Vec::with_capacity(frequency.len());
        for (row, (&x, &m)) in frequency.iter().zip(monetary_value).enumerate() {
            if x >= 1.0 && m > 0.0 {
                kept_frequency.push(x);
                kept_spend.push(m);
            } else if !settings.exclude_invalid {
                let reason = if x < 1.0 {
                    "frequency 0: Gamma-Gamma models the spend of repeat purchases; fit it on \
                     customers with frequency > 0 or set exclude_invalid"
                        .to_string()
                } else {
                    format!(
                        "monetary_value {m} is not positive: Gamma-Gamma needs a positive mean \
                         spend; set exclude_invalid to leave such customers out"
                    )
                };
                return Err(Error::InvalidHistory { row, reason });
            }
        }
        let n = kept_frequency.len();
        let n_excluded = frequency.len() - n;
        if n < 2 {
            return Err(Error::EmptyInput {
                what: format!(
                    "Gamma-Gamma needs two customers or more with repeat purchases and positive \
                     spend, got {n} ({n_excluded} excluded)"
                ),
            });
        }
        let objective = Objective {
            table: FrequencyTable::new(&kept_frequency),
            ln_spend: kept_spend.iter().map(|m| m.ln()).collect(),
            total_spend: kept_frequency
                .iter()
                .zip(&kept_spend)
                .map(|(x, m)| x * m)
                .collect(),
            frequency: kept_frequency,
            penalizer_coef: settings.penalizer_coef,
        };
        let minimum = minimize(
            |theta| objective.evaluate(theta),
            &[0.1; 3],
            settings.tol,
            settings.max_iter,
        )?;
        let params: Vec<f64> = minimum.x.iter().map(|v| v.exp()).collect();
        let (ll, _) = objective.log_likelihood(&params);
        let hessian = hessian_from_gradient(
            &|theta: &[f64]| objective.evaluate(theta).1,
            &minimum.x,
            1e-4,
        );
        let errors = standard_errors(&params, &hessian, n as f64)
            .map(|v| GammaGammaCoefficients::from_slice(&v));
        Ok(GammaGamma {
            coefficients: GammaGammaCoefficients::from_slice(&params),
            standard_errors: errors,
            report: FitReport::of_fit(&minimum, ll, n, settings.penalizer_coef),
            n_excluded,
        })
    }
}

super::fitted_model!(
    GammaGamma,
    GammaGammaCoefficients,
    "Gamma-Gamma",
    "clv-gamma-gamma",
    NAMES,
    n_excluded: 0
);

impl GammaGamma {
    /// Customers left out of the fit by `exclude_invalid`.
    pub fn n_excluded(&self) -> usize {
        self.n_excluded
    }

    /// Expected mean spend per transaction of each customer (lifetimes'
    /// `conditional_expected_average_profit`, note 025 equation 5): the customer's mean spend
    /// weighted `p x / (p x + q - 1)` against the population mean `p v / (q - 1)`.
    pub fn conditional_expected_average_profit(
        &self,
        frequency: &[f64],
        monetary_value: &[f64],
    ) -> Result<Vec<f64>> {
        check_spend_inputs(frequency, monetary_value)?;
        Ok(par_map(frequency.len(), |i| {
            self.expected_spend(frequency[i], monetary_value[i])
        }))
    }

    fn expected_spend(&self, x: f64, m: f64) -> f64 {
        let GammaGammaCoefficients { p, q, v } = self.coefficients;
        let weight = p * x / (p * x + q - 1.0);
        let population_mean = v * p / (q - 1.0);
        (1.0 - weight) * population_mean + weight * m
    }

    /// Discounted value of each customer over `options.months` months (lifetimes'
    /// `GammaGammaFitter.customer_lifetime_value`): for each month `k`, the purchases the
    /// purchase model expects between months `k - 1` and `k` times the expected spend, divided
    /// by `(1 + discount_rate)^k`.
    ///
    /// ```
    /// use segcore::clv::*;
    /// let bg = BetaGeo::from_coefficients(BetaGeoCoefficients { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 })?;
    /// let gg = GammaGamma::from_coefficients(GammaGammaCoefficients { p: 6.25, q: 3.74, v: 15.44 })?;
    /// let history = PurchaseHistory::new(&[2.0, 0.0], &[30.43, 0.0], &[38.86, 38.86])?;
    /// let value = gg.customer_lifetime_value(&bg, &history, &[22.35, 0.0], ClvOptions::default())?;
    /// assert!(value[0] > value[1] && value[1] > 0.0);
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn customer_lifetime_value(
        &self,
        purchase_model: &dyn PurchaseModel,
        history: &PurchaseHistory<'_>,
        monetary_value: &[f64],
        options: ClvOptions,
    ) -> Result<Vec<f64>> {
        check_spend_inputs(history.frequency(), monetary_value)?;
        if options.months > MAX_MONTHS {
            return Err(Error::invalid_parameter(
                "time",
                options.months,
                format!("at most {MAX_MONTHS} months"),
            ));
        }
        let d = options.discount_rate;
        if !(d.is_finite() && d > -1.0) {
            return Err(Error::invalid_parameter(
                "discount_rate",
                d,
                "a finite monthly rate > -1",
            ));
        }
        let factor = options.time_unit.per_month();
        let (frequency, recency, age) = (history.frequency(), history.recency(), history.age());
        Ok(par_map(history.len(), |i| {
            let spend = self.expected_spend(frequency[i], monetary_value[i]);
            let mut value = 0.0;
            for k in 1..=options.months {
                // lifetimes: i = k * factor; predict(i) - predict(i - factor); discount (1+d)^(i/factor)
                let t = k as f64 * factor;
                let now = purchase_model.expected_purchases(t, frequency[i], recency[i], age[i]);
                let before =
                    purchase_model.expected_purchases(t - factor, frequency[i], recency[i], age[i]);
                value += spend * (now - before) / (1.0 + d).powf(t / factor);
            }
            value
        }))
    }
}

const NAMES: [&str; 3] = ["p", "q", "v"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::optimize::numerical_gradient;

    fn sample() -> (Vec<f64>, Vec<f64>) {
        let f: Vec<f64> = (0..150).map(|i| (1 + (i * 7) % 9) as f64).collect();
        let m: Vec<f64> = (0..150)
            .map(|i| 10.0 + ((i * 37) % 23) as f64 * 1.7 + (i % 5) as f64)
            .collect();
        (f, m)
    }

    #[test]
    fn analytic_gradient_matches_finite_differences() {
        let (f, m) = sample();
        let objective = Objective {
            table: FrequencyTable::new(&f),
            ln_spend: m.iter().map(|v| v.ln()).collect(),
            total_spend: f.iter().zip(&m).map(|(x, v)| x * v).collect(),
            frequency: f,
            penalizer_coef: 0.01,
        };
        let theta = [1.2, 0.8, 2.5];
        let (_, g) = objective.evaluate(&theta);
        let numeric = numerical_gradient(&|th: &[f64]| objective.evaluate(th).0, &theta, 1e-6);
        for (a, b) in g.iter().zip(&numeric) {
            assert!((a - b).abs() < 1e-6, "{g:?} vs {numeric:?}");
        }
    }

    #[test]
    fn fits_refuses_bad_spend_and_values_customers() {
        let (f, m) = sample();
        let model = GammaGammaParams::new().fit(&f, &m).unwrap();
        assert!(model.converged(), "{:?}", model.report());
        assert_eq!(model.n_excluded(), 0);
        let mut bad = m.clone();
        bad[7] = -3.0;
        let err = GammaGammaParams::new().fit(&f, &bad).unwrap_err();
        assert!(matches!(err, Error::InvalidHistory { row: 7, .. }), "{err}");
        assert!(err.to_string().contains("not positive"));
        let excluded = GammaGammaParams::new()
            .exclude_invalid(true)
            .fit(&f, &bad)
            .unwrap();
        assert_eq!(excluded.n_excluded(), 1);
        assert!(GammaGammaParams::new()
            .exclude_invalid(true)
            .fit(&[0.0, 0.0, 2.0], &[0.0, 0.0, 5.0])
            .is_err());
        let document = crate::persist::to_json(&model).unwrap();
        assert_eq!(
            crate::persist::from_json::<GammaGamma>(&document).unwrap(),
            model
        );
        // Lifetime value: zero horizon is zero, value grows with the horizon.
        let bg = crate::clv::BetaGeo::from_coefficients(crate::clv::BetaGeoCoefficients {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        })
        .unwrap();
        let history = PurchaseHistory::new(&[2.0, 0.0], &[30.0, 0.0], &[38.0, 38.0]).unwrap();
        let options = ClvOptions::default();
        let year = model
            .customer_lifetime_value(&bg, &history, &[20.0, 0.0], options)
            .unwrap();
        let none = model
            .customer_lifetime_value(
                &bg,
                &history,
                &[20.0, 0.0],
                ClvOptions {
                    months: 0,
                    ..options
                },
            )
            .unwrap();
        assert_eq!(none, [0.0, 0.0]);
        assert!(year[0] > year[1] && year[1] > 0.0);
        assert!(model
            .customer_lifetime_value(&bg, &history, &[20.0], options)
            .is_err());
    }

    #[test]
    fn is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<GammaGammaParams>();
        assert_send_sync::<GammaGamma>();
        assert_send_sync::<ClvOptions>();
    }
}
