//! Value segmentation: ABC (Pareto) classes by cumulative share of revenue or margin, and
//! concentration figures: Lorenz curve points, Gini coefficient, "the top x% of customers bring
//! y%".
//!
//! Definitions, for one value per customer (net revenue, margin, ...):
//! - a customer's value counts as `max(value, 0)`: a customer who returned more than it bought
//!   brings nothing, and negative values would push the Lorenz curve below zero and the Gini
//!   coefficient above 1. Non-finite values are an error naming the row;
//! - **ABC**: customers sorted by value, largest first (equal values by position); a customer is
//!   `A` while the share of the total brought by the customers *before* it is below `a_share`
//!   (default 0.80), `B` while it is below `a_share + b_share` (default 0.80 + 0.15), `C`
//!   otherwise. So the customer that crosses 80% is still `A` and the `A` class always brings at
//!   least `a_share` of the total (shares within 1e-12 of a threshold count as reaching it).
//!   Customers with value <= 0 are always `C`; with a total of 0 everyone is `C`;
//! - **Lorenz curve**: customers sorted by value, smallest first; the point after `k` customers is
//!   `(k / n, share of the total brought by those k)`, from `(0, 0)` to `(1, 1)`;
//! - **Gini**: `1 - 2 x` the area under the Lorenz curve (trapezoids between the `n + 1`
//!   points), i.e. `sum_i (2i - n - 1) x_(i) / (n sum x)` with `x` sorted ascending; 0 = everyone
//!   brings the same, `(n - 1) / n` = one customer brings everything; `NaN` when the total is 0;
//! - **top share**: the share of the total brought by the `ceil(fraction n)` customers of
//!   largest value; [`Concentration::customers_for_share`] answers the reverse question.

use crate::error::{Error, Result};

/// An ABC class.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum AbcClass {
    /// The few customers bringing the first `a_share` of value.
    A,
    /// The customers bringing the next `b_share`.
    B,
    /// The rest.
    C,
}

impl AbcClass {
    /// `"A"`, `"B"` or `"C"`.
    pub fn name(self) -> &'static str {
        match self {
            AbcClass::A => "A",
            AbcClass::B => "B",
            AbcClass::C => "C",
        }
    }
}

/// Parameters of [`abc_classes`]: the value shares of classes A and B (C gets the rest).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AbcParams {
    /// Share of total value brought by class A (default 0.80).
    pub a_share: f64,
    /// Share of total value brought by class B (default 0.15; C gets the remaining 0.05).
    pub b_share: f64,
}

impl Default for AbcParams {
    fn default() -> Self {
        AbcParams {
            a_share: 0.80,
            b_share: 0.15,
        }
    }
}

impl AbcParams {
    /// Checks `a_share > 0`, `b_share >= 0` and `a_share + b_share <= 1`.
    pub fn check(&self) -> Result<()> {
        if !(self.a_share > 0.0 && self.a_share <= 1.0) {
            return Err(Error::invalid_parameter(
                "a_share",
                self.a_share,
                "a share in (0, 1] (default 0.80)",
            ));
        }
        if !(self.b_share >= 0.0 && self.a_share + self.b_share <= 1.0) {
            return Err(Error::invalid_parameter(
                "b_share",
                self.b_share,
                format!(
                    "a share in [0, {}] so that a_share + b_share <= 1 (default 0.15)",
                    1.0 - self.a_share
                ),
            ));
        }
        Ok(())
    }
}

/// ABC classes per customer (input order) with per-class summaries.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AbcClassification {
    /// The class of each customer.
    pub classes: Vec<AbcClass>,
    /// Number of customers in A, B, C.
    pub counts: [usize; 3],
    /// Share of the total value brought by A, B, C (`NaN` when the total is 0).
    pub value_shares: [f64; 3],
}

fn clamped_values(values: &[f64]) -> Result<Vec<f64>> {
    crate::validation::check_finite_column(values, "customer values")?;
    Ok(values.iter().map(|&v| v.max(0.0)).collect())
}

/// ABC (Pareto) classes of customers by their value (revenue or margin).
///
/// ```
/// use segcore::features::value::{abc_classes, AbcClass, AbcParams};
/// let revenue = [500.0, 20.0, 300.0, 100.0, 50.0, 30.0];
/// let abc = abc_classes(&revenue, &AbcParams::default())?;
/// // 500 + 300 = 800 of 1000: the customer reaching 80% is still A.
/// assert_eq!(abc.classes[..4], [AbcClass::A, AbcClass::C, AbcClass::A, AbcClass::B]);
/// assert_eq!(abc.counts, [2, 2, 2]);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn abc_classes(values: &[f64], params: &AbcParams) -> Result<AbcClassification> {
    params.check()?;
    let clamped = clamped_values(values)?;
    let mut order: Vec<usize> = (0..clamped.len()).collect();
    order.sort_by(|&a, &b| clamped[b].total_cmp(&clamped[a]).then(a.cmp(&b)));
    let total: f64 = order.iter().map(|&i| clamped[i]).sum();
    let mut classes = vec![AbcClass::C; clamped.len()];
    let mut counts = [0usize; 3];
    let mut sums = [0.0f64; 3];
    // A share equal to a threshold up to rounding counts as reached (0.80 + 0.15 is
    // 0.9500000000000001 in floating point; 950 of 1000 must still reach it).
    let slack = 1e-12 * total;
    let a_limit = params.a_share * total - slack;
    let b_limit = (params.a_share + params.b_share) * total - slack;
    let mut before = 0.0;
    for &i in &order {
        let class = if clamped[i] <= 0.0 {
            AbcClass::C
        } else if before < a_limit {
            AbcClass::A
        } else if before < b_limit {
            AbcClass::B
        } else {
            AbcClass::C
        };
        before += clamped[i];
        classes[i] = class;
        counts[class as usize] += 1;
        sums[class as usize] += clamped[i];
    }
    let value_shares = sums.map(|s| if total > 0.0 { s / total } else { f64::NAN });
    Ok(AbcClassification {
        classes,
        counts,
        value_shares,
    })
}

/// Concentration of value over customers: Lorenz curve, Gini, top-x% shares.
///
/// ```
/// use segcore::features::value::Concentration;
/// let c = Concentration::new(&[0.0, 0.0, 0.0, 100.0])?;
/// assert_eq!(c.gini(), 0.75); // (n - 1) / n: one customer brings everything
/// assert_eq!(c.top_share(0.25)?, 1.0);
/// assert_eq!(c.lorenz_curve(5)?, [(0.0, 0.0), (0.25, 0.0), (0.5, 0.0), (0.75, 0.0), (1.0, 1.0)]);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Concentration {
    /// `cumulative[k]` = sum of the `k` smallest (clamped) values; `cumulative[0] = 0`.
    cumulative: Vec<f64>,
}

impl Concentration {
    /// Sorts the (clamped) values once; fails on an empty input or a non-finite value.
    pub fn new(values: &[f64]) -> Result<Concentration> {
        if values.is_empty() {
            return Err(Error::EmptyInput {
                what: "customer values for concentration figures".into(),
            });
        }
        let mut sorted = clamped_values(values)?;
        sorted.sort_by(f64::total_cmp);
        let mut cumulative = Vec::with_capacity(sorted.len() + 1);
        let mut running = 0.0;
        cumulative.push(0.0);
        for v in sorted {
            running += v;
            cumulative.push(running);
        }
        Ok(Concentration { cumulative })
    }

    /// Number of customers.
    pub fn n_customers(&self) -> usize {
        self.cumulative.len() - 1
    }

    /// Total (clamped) value.
    pub fn total(&self) -> f64 {
        self.cumulative[self.n_customers()]
    }

    /// Gini coefficient (see the [module documentation](self)); `NaN` when the total is 0.
    pub fn gini(&self) -> f64 {
        let n = self.n_customers();
        let total = self.total();
        if total <= 0.0 {
            return f64::NAN;
        }
        // Area under the Lorenz curve by trapezoids, each of width 1/n.
        let twice_area: f64 = self
            .cumulative
            .windows(2)
            .map(|w| (w[0] + w[1]) / total)
            .sum::<f64>()
            / n as f64;
        1.0 - twice_area
    }

    /// `n_points` points of the Lorenz curve at evenly spaced customer counts
    /// `k = round(j n / (n_points - 1))`, `j = 0..n_points`; each point is exact (no
    /// interpolation). With `n_points >= n + 1` every customer step is returned.
    pub fn lorenz_curve(&self, n_points: usize) -> Result<Vec<(f64, f64)>> {
        if n_points < 2 {
            return Err(Error::invalid_parameter(
                "n_points",
                n_points,
                "at least 2 (the curve's two ends)",
            ));
        }
        let n = self.n_customers();
        let total = self.total();
        let steps = n_points.min(n + 1) - 1;
        Ok((0..=steps)
            .map(|j| {
                // Rounded integer division: exact for any n (no float noise in the count).
                let k = (2 * j * n + steps) / (2 * steps);
                let share = if total > 0.0 {
                    self.cumulative[k] / total
                } else {
                    f64::NAN
                };
                (k as f64 / n as f64, share)
            })
            .collect())
    }

    /// Share of the total brought by the `ceil(fraction n)` customers of largest value
    /// (`fraction` in `(0, 1]`); `NaN` when the total is 0.
    pub fn top_share(&self, fraction: f64) -> Result<f64> {
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(Error::invalid_parameter(
                "fraction",
                fraction,
                "a fraction of customers in (0, 1]",
            ));
        }
        let n = self.n_customers();
        // A tolerance so that 0.07 x 100 (7.000000000000001 in floating point) means 7.
        let k = ((fraction * n as f64) - 1e-9).ceil().clamp(1.0, n as f64) as usize;
        let total = self.total();
        if total <= 0.0 {
            return Ok(f64::NAN);
        }
        Ok((total - self.cumulative[n - k]) / total)
    }

    /// The smallest fraction of customers (largest values first) that brings at least `share`
    /// of the total (`share` in `(0, 1]`); `NaN` when the total is 0.
    pub fn customers_for_share(&self, share: f64) -> Result<f64> {
        if !(share > 0.0 && share <= 1.0) {
            return Err(Error::invalid_parameter(
                "share",
                share,
                "a share of value in (0, 1]",
            ));
        }
        let n = self.n_customers();
        let total = self.total();
        if total <= 0.0 {
            return Ok(f64::NAN);
        }
        // The top k bring total - cumulative[n - k], increasing in k: binary search the
        // smallest k reaching the target.
        // Compared as top_share computes it, so customers_for_share(top_share(x)) == x.
        let (mut lo, mut hi) = (1usize, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if (total - self.cumulative[n - mid]) / total >= share {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(lo as f64 / n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abc_thresholds_are_configurable_and_negative_values_are_c() {
        let values = [10.0, -5.0, 40.0, 30.0, 0.0, 20.0];
        let abc = abc_classes(&values, &AbcParams::default()).unwrap();
        // Descending: 40, 30, 20, 10 of 100. Before: 0, 40, 70 (< 80: A), 90 (< 95: B).
        use AbcClass::*;
        assert_eq!(abc.classes, [B, C, A, A, C, A]);
        assert_eq!(abc.counts, [3, 1, 2]);
        assert_eq!(abc.value_shares, [0.9, 0.1, 0.0]);
        let half = AbcParams {
            a_share: 0.5,
            b_share: 0.5,
        };
        let abc = abc_classes(&values, &half).unwrap();
        assert_eq!(abc.classes, [B, C, A, A, C, B]);
        // Ties by position; all-zero input: everyone C.
        let abc = abc_classes(&[5.0, 5.0, 5.0, 5.0], &AbcParams::default()).unwrap();
        assert_eq!(abc.classes, [A, A, A, A]); // before = 0, 5, 10, 15 of 20: all < 16
        let abc = abc_classes(&[0.0, 0.0], &AbcParams::default()).unwrap();
        assert_eq!(abc.classes, [C, C]);
        assert!(abc.value_shares[0].is_nan());
    }

    #[test]
    fn gini_matches_the_closed_form() {
        let values = [3.0, 1.0, 7.0, 0.0, 12.0, 5.0, 5.0];
        let c = Concentration::new(&values).unwrap();
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len() as f64;
        let closed: f64 = sorted
            .iter()
            .enumerate()
            .map(|(i, x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x)
            .sum::<f64>()
            / (n * sorted.iter().sum::<f64>());
        assert!(
            (c.gini() - closed).abs() < 1e-12,
            "{} vs {closed}",
            c.gini()
        );
        assert_eq!(Concentration::new(&[4.0; 5]).unwrap().gini(), 0.0);
        assert!(Concentration::new(&[0.0, -1.0]).unwrap().gini().is_nan());
    }

    #[test]
    fn lorenz_and_top_shares() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect(); // total 55
        let c = Concentration::new(&values).unwrap();
        let curve = c.lorenz_curve(3).unwrap();
        assert_eq!(curve, [(0.0, 0.0), (0.5, 15.0 / 55.0), (1.0, 1.0)]);
        assert_eq!(c.lorenz_curve(100).unwrap().len(), 11);
        assert_eq!(c.top_share(0.2).unwrap(), 19.0 / 55.0); // 10 + 9
        assert_eq!(c.top_share(0.21).unwrap(), 27.0 / 55.0); // ceil(2.1) = 3 customers
        assert_eq!(c.top_share(1.0).unwrap(), 1.0);
        assert_eq!(c.customers_for_share(19.0 / 55.0).unwrap(), 0.2);
        assert_eq!(c.customers_for_share(0.35).unwrap(), 0.3);
        assert_eq!(c.customers_for_share(1.0).unwrap(), 1.0);
        let hundred = Concentration::new(&[1.0; 100]).unwrap();
        assert_eq!(hundred.top_share(0.07).unwrap(), 0.07); // 7 customers, not 8
    }

    #[test]
    fn bad_input_is_named() {
        assert!(matches!(
            Concentration::new(&[1.0, f64::NAN]),
            Err(Error::NonFiniteValue { row: 1, .. })
        ));
        assert!(matches!(
            Concentration::new(&[]),
            Err(Error::EmptyInput { .. })
        ));
        let c = Concentration::new(&[1.0]).unwrap();
        assert!(c.top_share(0.0).is_err() && c.top_share(1.5).is_err());
        assert!(c.customers_for_share(0.0).is_err());
        assert!(c.lorenz_curve(1).is_err());
        let bad = AbcParams {
            a_share: 0.9,
            b_share: 0.2,
        };
        assert!(bad.check().unwrap_err().to_string().contains("b_share"));
        assert!(AbcParams {
            a_share: 0.0,
            b_share: 0.1
        }
        .check()
        .is_err());
        assert!(abc_classes(&[f64::INFINITY], &AbcParams::default()).is_err());
    }

    #[test]
    fn types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<AbcParams>();
        assert_send_sync::<AbcClassification>();
        assert_send_sync::<Concentration>();
    }
}
