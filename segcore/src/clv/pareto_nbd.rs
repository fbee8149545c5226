//! Pareto/NBD purchase model (Schmittlein, Morrison and Colombo 1987), with the likelihood,
//! probability alive and conditional expectation of Fader and Hardie's note 009 "Deriving the
//! conditional PMF of the Pareto/NBD model" (equations 18-20, 36-37, 41), as lifetimes
//! implements them.
//!
//! While alive a customer buys as a Poisson process with rate `λ ~ Gamma(r, α)` and dies after
//! an exponential lifetime with rate `μ ~ Gamma(s, β)`. The likelihood needs two Gauss
//! hypergeometric functions per customer; the gradient is taken by central differences.

use super::optimize::{hessian_from_gradient, minimize, numerical_gradient};
use super::special::{ln_gamma, ln_hyp2f1, log_add_exp};
use super::{
    check_fit_settings, chunked_sum, standard_errors, FitReport, PurchaseHistory, PurchaseModel,
    ScaledHistory,
};
use crate::error::Result;
use crate::persist::{invalid, SavedModel};
use serde::{Deserialize, Serialize};

/// Pareto/NBD fit settings (lifetimes' `ParetoNBDFitter(penalizer_coef)`).
///
/// ```
/// use segcore::clv::{ParetoNbdParams, PurchaseHistory, PurchaseModel};
/// let frequency = [0.0, 2.0, 5.0, 1.0, 0.0, 3.0];
/// let recency = [0.0, 20.0, 30.0, 5.0, 0.0, 12.0];
/// let age = [38.0, 35.0, 36.0, 30.0, 25.0, 33.0];
/// let history = PurchaseHistory::new(&frequency, &recency, &age)?;
/// let model = ParetoNbdParams::new().penalizer_coef(0.01).fit(&history)?;
/// let alive = model.probability_alive(&history);
/// assert!(alive[2] > alive[3]); // recent regular vs. long-silent one-repeat buyer
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbdParams {
    /// L2 penalty `penalizer_coef * (r² + α² + s² + β²)` added to the total negative
    /// log-likelihood (lifetimes' form for this model), with α and β on lifetimes' time scale
    /// (the longest T is 1).
    pub penalizer_coef: f64,
    /// Gradient tolerance on the mean negative log-likelihood in log-parameters.
    pub tol: f64,
    /// Maximum quasi-Newton iterations.
    pub max_iter: usize,
}

impl ParetoNbdParams {
    /// Default gradient tolerance (looser than BG/NBD's: the gradient is numerical).
    pub const DEFAULT_TOL: f64 = 1e-7;

    /// Fits the model (checks first; see [`ParetoNbdValidParams::fit`]).
    pub fn fit(&self, history: &PurchaseHistory<'_>) -> Result<ParetoNbd> {
        self.check()?.fit(history)
    }
}

super::fit_settings!(ParetoNbdParams, ParetoNbdValidParams, "Pareto/NBD");

/// The four Pareto/NBD parameters, named as in lifetimes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbdCoefficients {
    /// Shape of the gamma distribution of purchase rates.
    pub r: f64,
    /// Scale of the gamma distribution of purchase rates, in the history's time unit.
    pub alpha: f64,
    /// Shape of the gamma distribution of drop-out rates.
    pub s: f64,
    /// Scale of the gamma distribution of drop-out rates, in the history's time unit.
    pub beta: f64,
}

impl ParetoNbdCoefficients {
    /// `[r, alpha, s, beta]`.
    pub fn to_array(self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }

    fn from_slice(v: &[f64]) -> Self {
        ParetoNbdCoefficients {
            r: v[0],
            alpha: v[1],
            s: v[2],
            beta: v[3],
        }
    }
}

/// A fitted Pareto/NBD model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParetoNbd {
    coefficients: ParetoNbdCoefficients,
    standard_errors: Option<ParetoNbdCoefficients>,
    report: FitReport,
}

/// `ln A_0` of note 009 (equations 19-20): the part of the likelihood from death between the
/// last purchase and T.
fn log_a0(p: &[f64; 4], x: f64, recency: f64, age: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    let (min, max, t) = if alpha < beta {
        (alpha, beta, r + x)
    } else {
        (beta, alpha, s + 1.0)
    };
    let spread = max - min;
    let rsf = r + s + x;
    let q1 = max + recency;
    let q2 = max + age;
    let u = ln_hyp2f1(rsf, t, rsf + 1.0, spread / q1) - rsf * q1.ln();
    let v = ln_hyp2f1(rsf, t, rsf + 1.0, spread / q2) - rsf * q2.ln();
    if v >= u {
        // recency == T (or rounding at it): no time left to die in.
        return f64::NEG_INFINITY;
    }
    u + (-(v - u).exp_m1()).ln()
}

/// Log-likelihood of one customer (equation 18); `lg_r` is `ln Γ(r + x) - ln Γ(r)`.
fn log_likelihood_one(p: &[f64; 4], lg_r: f64, x: f64, recency: f64, age: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    let a1 = lg_r + r * alpha.ln() + s * beta.ln();
    let a2 = log_add_exp(
        -(r + x) * (alpha + age).ln() - s * (beta + age).ln(),
        s.ln() + log_a0(p, x, recency, age) - (r + s + x).ln(),
    );
    a1 + a2
}

struct Objective {
    history: ScaledHistory,
    penalizer_coef: f64,
}

impl Objective {
    fn log_likelihood(&self, p: &[f64; 4]) -> f64 {
        let lg_r: Vec<f64> = self
            .history
            .table
            .values
            .iter()
            .map(|&x| ln_gamma(p[0] + x) - ln_gamma(p[0]))
            .collect();
        chunked_sum::<1, _>(self.history.frequency.len(), |range| {
            let mut s = 0.0;
            for i in range {
                let k = self.history.table.index[i] as usize;
                s += log_likelihood_one(
                    p,
                    lg_r[k],
                    self.history.frequency[i],
                    self.history.recency[i],
                    self.history.age[i],
                );
            }
            [s]
        })[0]
    }

    /// lifetimes' objective divided by the number of customers (same minimum): mean negative
    /// log-likelihood plus `penalizer_coef * Σ p² / n`; +inf where the likelihood breaks down.
    fn value(&self, log_params: &[f64]) -> f64 {
        let p = [
            log_params[0].exp(),
            log_params[1].exp(),
            log_params[2].exp(),
            log_params[3].exp(),
        ];
        let n = self.history.frequency.len() as f64;
        let penalty: f64 = p.iter().map(|v| v * v).sum();
        let value = -self.log_likelihood(&p) / n + self.penalizer_coef * penalty / n;
        if value.is_finite() {
            value
        } else {
            f64::INFINITY
        }
    }
}

/// Central-difference step in log-parameters.
const GRADIENT_STEP: f64 = 1e-6;

impl ParetoNbdValidParams {
    /// Fits Pareto/NBD by maximum likelihood from all parameters 1 on lifetimes' time scale
    /// (lifetimes starts from random values near 1 and runs Nelder-Mead).
    ///
    /// Errors on invalid histories, a single customer or no repeat purchase at all; a fit that
    /// stops before the tolerance is kept with [`converged`](ParetoNbd::converged) `false`.
    pub fn fit(&self, history: &PurchaseHistory<'_>) -> Result<ParetoNbd> {
        history.check_fittable("Pareto/NBD")?;
        let settings = &self.0;
        let objective = Objective {
            history: ScaledHistory::new(history),
            penalizer_coef: settings.penalizer_coef,
        };
        let value = |theta: &[f64]| objective.value(theta);
        let gradient = |theta: &[f64]| numerical_gradient(&value, theta, GRADIENT_STEP);
        let minimum = minimize(
            |theta| (value(theta), gradient(theta)),
            &[0.0; 4],
            settings.tol,
            settings.max_iter,
        )?;
        let scaled: Vec<f64> = minimum.x.iter().map(|v| v.exp()).collect();
        let ll_scaled = objective.log_likelihood(&[scaled[0], scaled[1], scaled[2], scaled[3]]);
        let mut params = scaled;
        params[1] /= objective.history.scale;
        params[3] /= objective.history.scale;
        let hessian = hessian_from_gradient(&gradient, &minimum.x, 1e-3);
        let n = history.len();
        let errors = standard_errors(&params, &hessian, n as f64)
            .map(|v| ParetoNbdCoefficients::from_slice(&v));
        Ok(ParetoNbd {
            coefficients: ParetoNbdCoefficients::from_slice(&params),
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
    ParetoNbd,
    ParetoNbdCoefficients,
    "Pareto/NBD",
    "clv-pareto-nbd",
    NAMES
);

const NAMES: [&str; 4] = ["r", "alpha", "s", "beta"];

impl PurchaseModel for ParetoNbd {
    /// lifetimes' `ParetoNBDFitter.conditional_expected_number_of_purchases_up_to_time`
    /// (equation 41 of note 009).
    fn expected_purchases(&self, t: f64, frequency: f64, recency: f64, age: f64) -> f64 {
        let p = self.coefficients.to_array();
        let [r, alpha, s, beta] = p;
        let x = frequency;
        let lg_r = ln_gamma(r + x) - ln_gamma(r);
        let likelihood = log_likelihood_one(&p, lg_r, x, recency, age);
        let first = lg_r + r * alpha.ln() + s * beta.ln()
            - (r + x) * (alpha + age).ln()
            - s * (beta + age).ln();
        let second = (r + x).ln() + (beta + age).ln() - (alpha + age).ln();
        let ratio_ln = ((beta + age) / (beta + age + t)).ln();
        // (1 - ratio^(s-1)) / (s-1), continuous through s = 1 (where it is -ln(ratio)).
        let third = if s == 1.0 {
            (-ratio_ln).ln()
        } else {
            (-((s - 1.0) * ratio_ln).exp_m1() / (s - 1.0)).ln()
        };
        (first + second + third - likelihood).exp()
    }

    /// lifetimes' `ParetoNBDFitter.conditional_probability_alive` (equations 36-37).
    fn alive_probability(&self, frequency: f64, recency: f64, age: f64) -> f64 {
        let p = self.coefficients.to_array();
        let [r, alpha, s, beta] = p;
        let x = frequency;
        let a0 = log_a0(&p, x, recency, age);
        1.0 / (1.0
            + (s.ln() - (r + s + x).ln()
                + (r + x) * (alpha + age).ln()
                + s * (beta + age).ln()
                + a0)
                .exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_predicts_and_saves() {
        let (f, r, t) = crate::clv::simulated_history(1000, 3);
        let history = PurchaseHistory::new(&f, &r, &t).unwrap();
        let model = ParetoNbdParams::new().fit(&history).unwrap();
        assert!(model.converged(), "{:?}", model.report());
        let alive = model.probability_alive(&history);
        assert!(alive.iter().all(|p| (0.0..=1.0).contains(p)), "{alive:?}");
        // recency == T: alive for sure.
        assert!((model.alive_probability(3.0, 10.0, 10.0) - 1.0).abs() < 1e-12);
        let purchases = model.predict_purchases(10.0, &history).unwrap();
        assert!(purchases.iter().all(|p| p.is_finite() && *p >= 0.0));
        let document = crate::persist::to_json(&model).unwrap();
        assert_eq!(
            crate::persist::from_json::<ParetoNbd>(&document).unwrap(),
            model
        );
        // s = 1 exactly takes the limit of (1 - q^(s-1)) / (s-1).
        let mut c = model.coefficients();
        c.s = 1.0;
        let at_one = ParetoNbd::from_coefficients(c).unwrap();
        c.s = 1.0 + 1e-9;
        let near_one = ParetoNbd::from_coefficients(c).unwrap();
        let (a, b) = (
            at_one.expected_purchases(5.0, 2.0, 8.0, 20.0),
            near_one.expected_purchases(5.0, 2.0, 8.0, 20.0),
        );
        assert!((a - b).abs() < 1e-7 * a, "{a} {b}");
    }

    #[test]
    fn is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ParetoNbdParams>();
        assert_send_sync::<ParetoNbd>();
    }
}
