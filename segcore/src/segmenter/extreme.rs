//! Extreme customers: a handful of customers far beyond everyone else on some feature (a
//! wholesaler among shop customers, a data-entry error) would otherwise take a segment slot of
//! their own, a segment too small to publish, so k effectively drops by one.
//!
//! Rule: in the model space (the scaled features the clustering reads), a customer is extreme
//! when one of its features lies more than [`EXTREME_ROBUST_SDS`] robust standard deviations
//! from the feature's median (robust SD = 1.4826 x median absolute deviation). A feature whose
//! MAD is 0 (more than half the customers share one value: a 0/1 flag, a one-hot column) never
//! flags: its other values are a different kind, not an extreme amount. At most [`MAX_EXTREME_SHARE`] of the customers are flagged, the most
//! extreme first. Flagged customers are left out of the choice of k and of the clustering, then
//! assigned to the nearest segment: they are reported (which customer, which feature, how far),
//! never a segment of their own. `predict` flags new customers by the same saved medians and
//! scales.

use crate::error::{Error, Result};
use crate::profile::labels::display_label;
use crate::profile::Language;
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Robust standard deviations from the median beyond which a customer is extreme.
pub const EXTREME_ROBUST_SDS: f64 = 8.0;
/// Largest share of the customers flagged as extreme (the most extreme first).
pub const MAX_EXTREME_SHARE: f64 = 0.01;

/// Consistency constant of the MAD for a normal distribution.
const MAD_TO_SD: f64 = 1.482_6;

/// The saved rule: per model-space feature its median and robust SD (0 = never flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtremeRule {
    /// Median of each model-space feature at fit.
    pub median: Vec<f64>,
    /// Robust standard deviation of each feature at fit (0: the feature never flags).
    pub scale: Vec<f64>,
    /// Robust SDs beyond which a customer is extreme.
    pub threshold: f64,
}

/// The rule and the customers it flagged at fit (saved with the Segmenter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extremes {
    /// Medians and robust SDs of the model-space features.
    pub rule: ExtremeRule,
    /// The customers set aside at fit, in row order (at most 1 % of them).
    pub customers: Vec<ExtremeCustomer>,
}

/// A customer flagged as extreme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtremeCustomer {
    /// Row of the customer in the training table.
    pub row: usize,
    /// Its id.
    pub id: String,
    /// The model-space feature on which it is most extreme.
    pub feature: String,
    /// How far, in robust SDs from the median (signed).
    pub robust_sds: f64,
    /// The segment it was assigned to (the nearest).
    pub segment: usize,
}

/// Why a customer counts as extreme, in words: "12.3 robust SDs above the median on net
/// revenue (scaled)".
pub(crate) fn extreme_note(
    feature: &str,
    robust_sds: f64,
    language: Language,
    labels: &BTreeMap<String, String>,
) -> String {
    let label = display_label(feature, language, labels);
    let size = format!("{:.1}", robust_sds.abs());
    match (language, robust_sds > 0.0) {
        (Language::English, above) => format!(
            "{size} robust SDs {} the median on {label} (as clustered)",
            if above { "above" } else { "below" }
        ),
        (Language::German, above) => format!(
            "{} robuste Standardabweichungen {} dem Median bei {label} (wie geclustert)",
            size.replace('.', ","),
            if above { "über" } else { "unter" }
        ),
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

impl ExtremeRule {
    /// Medians and robust SDs of the columns of `x` (finite values only).
    pub fn fit(x: ArrayView2<f64>) -> ExtremeRule {
        let mut medians = Vec::with_capacity(x.ncols());
        let mut scales = Vec::with_capacity(x.ncols());
        for column in x.columns() {
            let mut values: Vec<f64> = column.iter().copied().filter(|v| v.is_finite()).collect();
            if values.is_empty() {
                medians.push(0.0);
                scales.push(0.0);
                continue;
            }
            values.sort_by(f64::total_cmp);
            let m = median(&values);
            let mut deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
            deviations.sort_by(f64::total_cmp);
            let mad = median(&deviations);
            let scale = MAD_TO_SD * mad;
            medians.push(m);
            scales.push(if scale.is_finite() { scale } else { 0.0 });
        }
        ExtremeRule {
            median: medians,
            scale: scales,
            threshold: EXTREME_ROBUST_SDS,
        }
    }

    /// Per row, the feature on which it is beyond the threshold (the farthest) and how far, or
    /// `None`.
    pub fn flag(&self, x: ArrayView2<f64>) -> Result<Vec<Option<(usize, f64)>>> {
        if x.ncols() != self.median.len() {
            return Err(Error::ShapeMismatch {
                what: "model-space features of the extreme-customer rule".into(),
                expected: self.median.len(),
                got: x.ncols(),
            });
        }
        Ok(x.rows()
            .into_iter()
            .map(|row| {
                let mut worst: Option<(usize, f64)> = None;
                for (j, &v) in row.iter().enumerate() {
                    let scale = self.scale[j];
                    if scale <= 0.0 || !v.is_finite() {
                        continue;
                    }
                    let z = (v - self.median[j]) / scale;
                    if z.abs() > self.threshold && worst.is_none_or(|(_, w)| z.abs() > w.abs()) {
                        worst = Some((j, z));
                    }
                }
                worst
            })
            .collect())
    }

    /// The rows to set aside at fit: flagged rows, at most `MAX_EXTREME_SHARE` of them, the most
    /// extreme first (ties by row), returned in row order.
    pub fn select(flags: &[Option<(usize, f64)>]) -> Vec<usize> {
        let cap = (MAX_EXTREME_SHARE * flags.len() as f64).floor() as usize;
        let mut flagged: Vec<(usize, f64)> = flags
            .iter()
            .enumerate()
            .filter_map(|(row, f)| f.map(|(_, z)| (row, z.abs())))
            .collect();
        flagged.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        flagged.truncate(cap);
        let mut rows: Vec<usize> = flagged.into_iter().map(|(row, _)| row).collect();
        rows.sort_unstable();
        rows
    }

    /// Checks a loaded rule.
    pub(crate) fn validate(&self, width: usize) -> Result<()> {
        let bad = |reason: String| Error::ModelFormat { reason };
        if self.median.len() != width || self.scale.len() != width {
            return Err(bad(format!(
                "extreme rule: {} medians and {} scales for {width} model-space features",
                self.median.len(),
                self.scale.len()
            )));
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0)
            || self.median.iter().any(|m| !m.is_finite())
            || self.scale.iter().any(|s| !(s.is_finite() && *s >= 0.0))
        {
            return Err(bad(
                "extreme rule: threshold, medians and scales must be finite (scales >= 0)".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn flags_at_most_one_percent_the_farthest_first() {
        let n = 300;
        let mut x = Array2::from_shape_fn((n, 2), |(i, j)| ((i * 7 + j * 3) % 10) as f64);
        x[[5, 0]] = 1e4;
        x[[9, 1]] = -5e3;
        x[[200, 0]] = 2e4;
        x[[250, 1]] = 3e4;
        let rule = ExtremeRule::fit(x.view());
        let flags = rule.flag(x.view()).unwrap();
        assert_eq!(flags.iter().filter(|f| f.is_some()).count(), 4);
        assert_eq!(flags[9].unwrap().0, 1);
        assert!(flags[9].unwrap().1 < 0.0);
        // 1 % of 300 = 3: the three farthest, in row order.
        assert_eq!(ExtremeRule::select(&flags), [5, 200, 250]);
        rule.validate(2).unwrap();
        assert!(rule.validate(3).is_err());
        assert!(rule.flag(x.view().slice(ndarray::s![.., ..1])).is_err());
    }

    #[test]
    fn a_rare_flag_never_makes_a_customer_extreme() {
        // 0/1 flag set in 2 of 200 rows: MAD 0, never flags.
        let x = Array2::from_shape_fn((200, 1), |(i, _)| if i < 2 { 1.0 } else { 0.0 });
        let rule = ExtremeRule::fit(x.view());
        assert!(rule.flag(x.view()).unwrap().iter().all(Option::is_none));
        let constant = Array2::from_elem((50, 1), 3.0);
        let rule = ExtremeRule::fit(constant.view());
        assert_eq!(rule.scale, [0.0]);
        assert!(rule
            .flag(constant.view())
            .unwrap()
            .iter()
            .all(Option::is_none));
    }
}
