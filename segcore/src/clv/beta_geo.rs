//! BG/NBD (beta-geometric / negative binomial distribution) purchase model, Fader, Hardie and
//! Lee (2005), "Counting Your Customers the Easy Way", Marketing Science 24(2).
//!
//! While alive a customer buys as a Poisson process with rate `λ ~ Gamma(r, α)`; after each
//! purchase they drop out with probability `p ~ Beta(a, b)`. Fitted by maximum likelihood with
//! the analytic gradient (lifetimes differentiates the same objective with autograd).

use super::optimize::{hessian_forward, minimize, minimize_from};
use super::special::{digamma, ln_gamma, ln_hyp2f1};
use super::{
    check_fit_settings, chunked_sum, penalized, standard_errors, FitReport, PurchaseHistory,
    PurchaseModel, ScaledHistory,
};
use crate::error::Result;
use crate::persist::{invalid, SavedModel};
use serde::{Deserialize, Serialize};

/// A BFGS inverse-Hessian approximation (rows), carried from the warm start to the full fit.
type InverseHessian = Vec<Vec<f64>>;

/// BG/NBD fit settings (lifetimes' `BetaGeoFitter(penalizer_coef)`).
///
/// ```
/// use segcore::clv::{BetaGeoParams, PurchaseHistory, PurchaseModel};
/// let frequency = [0.0, 2.0, 5.0, 1.0, 0.0, 3.0];
/// let recency = [0.0, 20.0, 30.0, 5.0, 0.0, 12.0];
/// let age = [38.0, 35.0, 36.0, 30.0, 25.0, 33.0];
/// let history = PurchaseHistory::new(&frequency, &recency, &age)?;
/// let model = BetaGeoParams::new().penalizer_coef(0.001).fit(&history)?;
/// let alive = model.probability_alive(&history);
/// assert!(alive.iter().all(|p| (0.0..=1.0).contains(p)));
/// let next_year = model.predict_purchases(52.0, &history)?;
/// assert!(next_year[2] > next_year[3]); // the frequent, recent buyer buys more
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BetaGeoParams {
    /// L2 penalty `penalizer_coef * (r² + α² + a² + b²)` added to the mean negative
    /// log-likelihood, with α on lifetimes' time scale (the longest T is 1).
    pub penalizer_coef: f64,
    /// Gradient tolerance (see [`tol`](Self::tol)).
    pub tol: f64,
    /// Maximum quasi-Newton iterations.
    pub max_iter: usize,
}

impl BetaGeoParams {
    /// Default gradient tolerance.
    pub const DEFAULT_TOL: f64 = 1e-8;

    /// Fits the model to the customers' histories (checks first; see [`BetaGeoValidParams::fit`]).
    pub fn fit(&self, history: &PurchaseHistory<'_>) -> Result<BetaGeo> {
        self.check()?.fit(history)
    }
}

super::fit_settings!(BetaGeoParams, BetaGeoValidParams, "BG/NBD");

/// The four BG/NBD parameters, named as in the paper and lifetimes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BetaGeoCoefficients {
    /// Shape of the gamma distribution of purchase rates.
    pub r: f64,
    /// Scale of the gamma distribution of purchase rates, in the history's time unit.
    pub alpha: f64,
    /// First shape of the beta distribution of drop-out probabilities.
    pub a: f64,
    /// Second shape of the beta distribution of drop-out probabilities.
    pub b: f64,
}

impl BetaGeoCoefficients {
    /// `[r, alpha, a, b]`.
    pub fn to_array(self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    fn from_slice(v: &[f64]) -> Self {
        BetaGeoCoefficients {
            r: v[0],
            alpha: v[1],
            a: v[2],
            b: v[3],
        }
    }
}

/// A fitted BG/NBD model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BetaGeo {
    coefficients: BetaGeoCoefficients,
    standard_errors: Option<BetaGeoCoefficients>,
    report: FitReport,
}

/// Customers in the subsample that gives large fits their starting point.
const WARM_START_CUSTOMERS: usize = 50_000;

/// Parameter names in lifetimes' order.
const NAMES: [&str; 4] = ["r", "alpha", "a", "b"];

/// The fit's data on lifetimes' time scale (the longest T is 1) and the penalty.
struct Objective {
    history: ScaledHistory,
    penalizer_coef: f64,
}

impl Objective {
    /// Total log-likelihood and its gradient in `(r, α, a, b)`.
    fn log_likelihood(&self, params: &[f64]) -> (f64, [f64; 4]) {
        let (r, alpha, a, b) = (params[0], params[1], params[2], params[3]);
        let values = &self.history.table.values;
        // Terms that depend on the frequency only, once per distinct frequency.
        let lg_r: Vec<f64> = values
            .iter()
            .map(|&x| ln_gamma(r + x) - ln_gamma(r))
            .collect();
        let lg_ab: Vec<f64> = values
            .iter()
            .map(|&x| ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x))
            .collect();
        let dg_r: Vec<f64> = values
            .iter()
            .map(|&x| digamma(r + x) - digamma(r))
            .collect();
        let dg_a: Vec<f64> = values
            .iter()
            .map(|&x| digamma(a + b) - digamma(a + b + x))
            .collect();
        let dg_b: Vec<f64> = values
            .iter()
            .map(|&x| digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x))
            .collect();
        let ln_b1: Vec<f64> = values
            .iter()
            .map(|&x| if x > 0.0 { (b + x - 1.0).ln() } else { 0.0 })
            .collect();
        let ln_a = a.ln();
        let n = self.history.frequency.len();
        let sums = chunked_sum::<5, _>(n, |range| {
            let mut s = [0.0; 5];
            for i in range {
                let k = self.history.table.index[i] as usize;
                let x = self.history.frequency[i];
                let age = self.history.age[i];
                let ln_age = (alpha + age).ln();
                let a3 = -(r + x) * ln_age;
                let mut tail = a3;
                let mut d_r = dg_r[k] - ln_age;
                let mut d_alpha = -(r + x) / (alpha + age);
                let mut d_a = dg_a[k];
                let mut d_b = dg_b[k];
                if x > 0.0 {
                    let rec = self.history.recency[i];
                    let ln_rec = (alpha + rec).ln();
                    let a4 = ln_a - ln_b1[k] - (r + x) * ln_rec;
                    let m = a3.max(a4);
                    let (e3, e4) = ((a3 - m).exp(), (a4 - m).exp());
                    let total = e3 + e4;
                    let (w3, w4) = (e3 / total, e4 / total);
                    tail = m + total.ln();
                    d_r = dg_r[k] - w3 * ln_age - w4 * ln_rec;
                    d_alpha = -(r + x) * (w3 / (alpha + age) + w4 / (alpha + rec));
                    d_a += w4 / a;
                    d_b -= w4 / (b + x - 1.0);
                }
                s[0] += lg_r[k] + lg_ab[k] + tail;
                s[1] += d_r;
                s[2] += d_alpha;
                s[3] += d_a;
                s[4] += d_b;
            }
            s
        });
        let nf = n as f64;
        let ln_alpha = alpha.ln();
        (
            sums[0] + nf * r * ln_alpha,
            [
                sums[1] + nf * ln_alpha,
                sums[2] + nf * r / alpha,
                sums[3],
                sums[4],
            ],
        )
    }

    /// Where to start the full fit: lifetimes' start (all log-parameters 0.1) for up to
    /// [`WARM_START_CUSTOMERS`] customers; beyond, the maximum of a fixed-stride subsample of
    /// about that many customers (the full fit then needs a few iterations instead of ~20, each
    /// a pass over every customer). Deterministic; the result is the full data's maximum
    /// either way. Errors only when cancelled.
    fn warm_start(&self, max_iter: usize) -> Result<(Vec<f64>, Option<InverseHessian>)> {
        let lifetimes_start = vec![0.1; 4];
        let n = self.history.frequency.len();
        if n <= 2 * WARM_START_CUSTOMERS {
            return Ok((lifetimes_start, None));
        }
        let sample = Objective {
            history: self.history.every(n / WARM_START_CUSTOMERS),
            penalizer_coef: self.penalizer_coef,
        };
        let minimum = minimize(
            |theta| sample.evaluate(theta),
            &lifetimes_start,
            1e-6,
            max_iter,
        )?;
        // The objective is a mean over customers, so the subsample's curvature carries over.
        Ok(
            if minimum.value.is_finite() && minimum.x.iter().all(|v| v.is_finite()) {
                (minimum.x, Some(minimum.inverse_hessian))
            } else {
                (lifetimes_start, None)
            },
        )
    }

    /// lifetimes' objective in log-parameters: mean negative log-likelihood plus the penalty,
    /// and its gradient.
    fn evaluate(&self, log_params: &[f64]) -> (f64, Vec<f64>) {
        let params: Vec<f64> = log_params.iter().map(|v| v.exp()).collect();
        let (ll, grad) = self.log_likelihood(&params);
        let n = self.history.frequency.len() as f64;
        penalized(ll, &grad, &params, n, self.penalizer_coef)
    }
}

impl BetaGeoValidParams {
    /// Fits BG/NBD by maximum likelihood, starting where lifetimes starts (all log-parameters
    /// 0.1 on its time scale).
    ///
    /// Errors on invalid histories (see [`PurchaseHistory::new`]), a single customer, or no
    /// repeat purchase at all. A fit that stops before the tolerance is returned with
    /// [`converged`](BetaGeo::converged) `false`.
    pub fn fit(&self, history: &PurchaseHistory<'_>) -> Result<BetaGeo> {
        history.check_fittable("BG/NBD")?;
        let settings = &self.0;
        let objective = Objective {
            history: ScaledHistory::new(history),
            penalizer_coef: settings.penalizer_coef,
        };
        let (start, curvature) = objective.warm_start(settings.max_iter)?;
        let minimum = minimize_from(
            |theta| objective.evaluate(theta),
            &start,
            curvature,
            settings.tol,
            settings.max_iter,
        )?;
        let scaled: Vec<f64> = minimum.x.iter().map(|v| v.exp()).collect();
        let penalty: f64 = scaled.iter().map(|p| p * p).sum();
        let n = history.len();
        // The minimiser's value is -ll / n + penalty: no extra pass over the customers.
        let ll_scaled = -(minimum.value - settings.penalizer_coef * penalty) * n as f64;
        let mut params = scaled;
        params[1] /= objective.history.scale;
        let hessian = hessian_forward(
            &|theta: &[f64]| objective.evaluate(theta).1,
            &minimum.x,
            &minimum.gradient,
            1e-5,
        );
        let errors = standard_errors(&params, &hessian, n as f64)
            .map(|v| BetaGeoCoefficients::from_slice(&v));
        Ok(BetaGeo {
            coefficients: BetaGeoCoefficients::from_slice(&params),
            standard_errors: errors,
            report: FitReport::of_fit(
                &minimum,
                objective.history.unscaled_log_likelihood(ll_scaled),
                n,
                settings.penalizer_coef,
            ),
        })
    }
}

super::fitted_model!(
    BetaGeo,
    BetaGeoCoefficients,
    "BG/NBD",
    "clv-beta-geo",
    NAMES
);

impl PurchaseModel for BetaGeo {
    /// lifetimes' `BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time`
    /// (equation 10 of the paper).
    fn expected_purchases(&self, t: f64, frequency: f64, recency: f64, age: f64) -> f64 {
        let BetaGeoCoefficients { r, alpha, a, b } = self.coefficients;
        let x = frequency;
        let c = a + b + x - 1.0;
        let z = t / (alpha + age + t);
        let ln_hyp = ln_hyp2f1(r + x, b + x, c, z);
        let first = (a + b + x - 1.0) / (a - 1.0);
        let second = 1.0 - (ln_hyp + (r + x) * ((alpha + age) / (alpha + t + age)).ln()).exp();
        let denominator = if x > 0.0 {
            1.0 + a / (b + x - 1.0) * ((alpha + age) / (alpha + recency)).powf(r + x)
        } else {
            1.0
        };
        first * second / denominator
    }

    /// lifetimes' `BetaGeoFitter.conditional_probability_alive`: 1 without repeat purchases.
    fn alive_probability(&self, frequency: f64, recency: f64, age: f64) -> f64 {
        if frequency == 0.0 {
            return 1.0;
        }
        let BetaGeoCoefficients { r, alpha, a, b } = self.coefficients;
        let log_div = (r + frequency) * ((alpha + age) / (alpha + recency)).ln()
            + (a / (b + frequency - 1.0)).ln();
        1.0 / (1.0 + log_div.exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::optimize::numerical_gradient;

    fn sample() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        crate::clv::simulated_history(2000, 7)
    }

    #[test]
    fn analytic_gradient_matches_finite_differences() {
        let (f, r, t) = sample();
        let objective = Objective {
            history: ScaledHistory::new(&PurchaseHistory::new(&f, &r, &t).unwrap()),
            penalizer_coef: 0.01,
        };
        let theta = [0.3, -0.2, 0.5, 1.1];
        let (_, g) = objective.evaluate(&theta);
        let numeric = numerical_gradient(&|th: &[f64]| objective.evaluate(th).0, &theta, 1e-6);
        for (a, b) in g.iter().zip(&numeric) {
            assert!((a - b).abs() < 1e-7, "{g:?} vs {numeric:?}");
        }
    }

    #[test]
    fn fits_and_predicts_sensibly() {
        let (f, r, t) = sample();
        let history = PurchaseHistory::new(&f, &r, &t).unwrap();
        let model = BetaGeoParams::new().fit(&history).unwrap();
        assert!(model.converged(), "{:?}", model.report());
        let c = model.coefficients();
        // Near the simulated r 0.5, α 5, a 0.8, b 2.5 (2,000 customers).
        assert!(
            (0.35..0.7).contains(&c.r) && (3.0..8.0).contains(&c.alpha),
            "{c:?}"
        );
        assert!(
            (0.4..1.6).contains(&c.a) && (1.2..5.0).contains(&c.b),
            "{c:?}"
        );
        assert!(model.standard_errors().is_some());
        // The maximum: moving any parameter lowers the likelihood.
        let scaled_ll = model.log_likelihood();
        assert!(scaled_ll.is_finite() && scaled_ll < 0.0);
        let alive = model.probability_alive(&history);
        assert!(alive.iter().all(|p| (0.0..=1.0).contains(p)));
        let purchases = model.predict_purchases(10.0, &history).unwrap();
        assert!(purchases.iter().all(|p| p.is_finite() && *p >= 0.0));
        assert!(model.predict_purchases(-1.0, &history).is_err());
        let zero = model.predict_purchases(0.0, &history).unwrap();
        assert!(zero.iter().all(|p| p.abs() < 1e-12));
        // Saved and loaded exactly.
        let document = crate::persist::to_json(&model).unwrap();
        let loaded: BetaGeo = crate::persist::from_json(&document).unwrap();
        assert_eq!(loaded, model);
        let bad = document.replace(&format!("\"r\":{}", c.r), "\"r\":-1.0");
        assert!(crate::persist::from_json::<BetaGeo>(&bad).is_err());
    }

    #[test]
    fn warm_start_reaches_the_same_maximum() {
        let (f, r, t) = crate::clv::simulated_history(2 * WARM_START_CUSTOMERS + 5_000, 11);
        let history = PurchaseHistory::new(&f, &r, &t).unwrap();
        let model = BetaGeoParams::new().fit(&history).unwrap();
        assert!(model.converged());
        let objective = Objective {
            history: ScaledHistory::new(&history),
            penalizer_coef: 0.0,
        };
        let scale = objective.history.scale;
        let cold = minimize(|th| objective.evaluate(th), &[0.1; 4], 1e-8, 1000).unwrap();
        let c = model.coefficients().to_array();
        for (k, (fitted, theta)) in c.iter().zip(&cold.x).enumerate() {
            let cold_k = theta.exp() / if k == 1 { scale } else { 1.0 };
            assert!(
                (fitted / cold_k - 1.0).abs() < 1e-6,
                "{k}: {fitted} vs {cold_k}"
            );
        }
        assert!(model.report().n_iter < cold.n_iter);
    }

    #[test]
    fn settings_are_checked() {
        assert!(BetaGeoParams::new().penalizer_coef(-1.0).check().is_err());
        assert!(BetaGeoParams::new().tol(0.0).check().is_err());
        assert!(BetaGeoParams::new().max_iter(0).check().is_err());
        let (f, r, t) = sample();
        let history = PurchaseHistory::new(&f, &r, &t).unwrap();
        let short = BetaGeoParams::new().max_iter(2).fit(&history).unwrap();
        assert!(!short.converged());
        assert!(short.coefficients().r > 0.0);
    }

    #[test]
    fn is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<BetaGeoParams>();
        assert_send_sync::<BetaGeoValidParams>();
        assert_send_sync::<BetaGeo>();
    }
}
