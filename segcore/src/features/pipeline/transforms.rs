//! The numeric chain of one column, fitted once: `log1p` -> winsorize -> impute -> scale.
//!
//! Everything is per value with statistics frozen at fit, so transforming one customer gives the
//! same numbers as transforming it among a million.

use super::spec::{ColumnSpec, Impute, Scaling};
use crate::error::{Error, Result};
use crate::preprocessing::{
    median_sorted, quantile_sorted, RobustScalerParams, StandardScalerParams,
};
use ndarray::{Array2, ArrayView1};
use serde::{Deserialize, Serialize};

/// The fitted numeric chain of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericTransform {
    /// Apply `ln(1 + max(x, 0))` first.
    pub log1p: bool,
    /// Clip bounds (winsorizing), in `log1p` units when `log1p` is set.
    pub clip: Option<(f64, f64)>,
    /// Value for missing entries, after `log1p` and clipping; `None`: missing is an error.
    pub fill: Option<f64>,
    /// Subtracted after imputation (mean, median, or 0).
    pub center: f64,
    /// Divisor after centring (standard deviation, quantile spread, or 1; never 0).
    pub scale: f64,
}

/// What fitting the chain saw, for the fit report.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct NumericFitStats {
    pub n_missing: usize,
    pub n_floored: usize,
    /// All values equal after imputation (or the standard scaler's near-constant rule).
    pub constant: bool,
    /// Robust scaling met a zero quantile spread (scale fell back to 1).
    pub zero_spread: bool,
}

impl NumericTransform {
    /// `log1p` and clip, without imputation or scaling (NaN stays NaN).
    #[inline]
    fn pre(&self, v: f64) -> f64 {
        let v = if self.log1p && !v.is_nan() {
            v.max(0.0).ln_1p()
        } else {
            v
        };
        match self.clip {
            Some((low, high)) if !v.is_nan() => v.clamp(low, high),
            _ => v,
        }
    }

    /// The output value of `v` (NaN = missing); `None` when missing and there is no fill.
    #[inline]
    pub fn apply(&self, v: f64) -> Option<f64> {
        let t = self.pre(v);
        let t = if t.is_nan() { self.fill? } else { t };
        Some((t - self.center) / self.scale)
    }

    /// Fits the chain of `spec` on `values` (NaN = missing; infinities rejected by the caller).
    pub(crate) fn fit(
        spec: &ColumnSpec,
        values: ArrayView1<f64>,
    ) -> Result<(NumericTransform, NumericFitStats)> {
        let name = &spec.column;
        let mut stats = NumericFitStats::default();
        let mut chain = NumericTransform {
            log1p: spec.log1p,
            clip: None,
            fill: None,
            center: 0.0,
            scale: 1.0,
        };
        let mut observed: Vec<f64> = Vec::with_capacity(values.len());
        let mut first_missing = None;
        for (row, &v) in values.iter().enumerate() {
            if v.is_nan() {
                stats.n_missing += 1;
                first_missing.get_or_insert(row);
            } else {
                if spec.log1p && v < 0.0 {
                    stats.n_floored += 1;
                }
                observed.push(chain.pre(v));
            }
        }
        if observed.is_empty() {
            return Err(super::encoding::all_missing(name));
        }
        if let (Some(row), None) = (first_missing, spec.impute) {
            return Err(missing_without_impute(name, row));
        }
        observed.sort_unstable_by(f64::total_cmp);
        if let Some((low, high)) = spec.winsorize {
            let bounds = (
                quantile_sorted(&observed, low),
                quantile_sorted(&observed, high),
            );
            chain.clip = Some(bounds);
            // Clipping keeps the order, so `observed` stays sorted.
            for v in &mut observed {
                *v = v.clamp(bounds.0, bounds.1);
            }
        }
        chain.fill = match spec.impute {
            None => None,
            Some(Impute::Median) => Some(median_sorted(&observed)),
            Some(Impute::MostFrequent) => Some(most_frequent_sorted(&observed)),
            // The user's fill value is in the column's own units: it goes through log1p/clip too.
            Some(Impute::Constant) => Some(
                chain.pre(
                    spec.fill_value
                        .expect("ColumnSpec::check guarantees fill_value with impute = constant"),
                ),
            ),
        };
        let filled: Vec<f64> = values
            .iter()
            .map(|&v| {
                let t = chain.pre(v);
                if t.is_nan() {
                    chain
                        .fill
                        .expect("missing values without fill were rejected above")
                } else {
                    t
                }
            })
            .collect();
        let (min, max) = filled
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        stats.constant = min == max;
        let matrix =
            Array2::from_shape_vec((filled.len(), 1), filled).expect("n x 1 shape of n values");
        match spec.effective_scaling() {
            Scaling::None => {}
            Scaling::Standard => {
                let scaler = StandardScalerParams::default().fit(matrix.view(), None)?;
                chain.center = scaler.mean()[0];
                chain.scale = scaler.scale()[0];
                stats.constant |= !scaler.constant_columns().is_empty();
            }
            Scaling::Robust => {
                let params = RobustScalerParams {
                    quantile_range: spec.quantile_range.unwrap_or((25.0, 75.0)),
                    ..RobustScalerParams::default()
                };
                let scaler = params.fit(matrix.view())?;
                chain.center = scaler.center()[0];
                chain.scale = scaler.scale()[0];
                stats.zero_spread = !scaler.zero_scale_columns().is_empty() && !stats.constant;
            }
        }
        Ok((chain, stats))
    }
}

/// The most frequent of sorted values; the smallest on ties (as scikit-learn's SimpleImputer).
fn most_frequent_sorted(sorted: &[f64]) -> f64 {
    let mut best = (sorted[0], 0usize);
    let mut start = 0;
    while start < sorted.len() {
        let value = sorted[start];
        let end = start + sorted[start..].iter().take_while(|&&v| v == value).count();
        // Strictly greater: an earlier (smaller) value keeps a tie.
        if end - start > best.1 {
            best = (value, end - start);
        }
        start = end;
    }
    best.0
}

pub(crate) fn missing_without_impute(name: &str, row: usize) -> Error {
    Error::NonFiniteValue {
        what: format!("column `{name}` (a missing value; set `impute` to fill missing values)"),
        row,
        column: 0,
        value: f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn chain_order_log_winsorize_impute_scale() {
        let spec = ColumnSpec::numeric("revenue")
            .log1p()
            .winsorize(0.0, 0.75)
            .impute(Impute::Median)
            .scaling(Scaling::None);
        let x = array![
            0.0,
            -5.0,
            (1.0f64).exp_m1(),
            f64::NAN,
            (3.0f64).exp_m1(),
            (9.0f64).exp_m1()
        ];
        let (t, stats) = NumericTransform::fit(&spec, x.view()).unwrap();
        assert_eq!(stats.n_missing, 1);
        assert_eq!(stats.n_floored, 1);
        // log values 0, 0, 1, 3, 9 -> q75 = 3 -> clipped 0, 0, 1, 3, 3 -> median 1.
        let (low, high) = t.clip.unwrap();
        assert_eq!(low, 0.0);
        assert!((high - 3.0).abs() < 1e-12);
        assert!((t.fill.unwrap() - 1.0).abs() < 1e-12);
        assert!((t.apply(1e9).unwrap() - 3.0).abs() < 1e-12);
        assert!((t.apply(f64::NAN).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn most_frequent_takes_smallest_on_ties() {
        assert_eq!(most_frequent_sorted(&[1.0, 2.0, 2.0, 3.0, 3.0]), 2.0);
        assert_eq!(most_frequent_sorted(&[5.0]), 5.0);
        let spec = ColumnSpec::numeric("x").impute(Impute::MostFrequent);
        let (t, _) = NumericTransform::fit(&spec, array![4.0, 4.0, 1.0, f64::NAN].view()).unwrap();
        assert!(t.apply(f64::NAN).unwrap() > 0.0); // 4 filled, above the mean 3
    }

    #[test]
    fn missing_without_impute_names_the_row_and_constant_is_flagged() {
        let spec = ColumnSpec::numeric("income");
        let err = NumericTransform::fit(&spec, array![1.0, f64::NAN].view()).unwrap_err();
        assert!(matches!(err, Error::NonFiniteValue { row: 1, .. }), "{err}");
        assert!(err.to_string().contains("income"));
        let (t, stats) = NumericTransform::fit(&spec, array![3.0, 3.0].view()).unwrap();
        assert!(stats.constant);
        assert_eq!(t.apply(3.0), Some(0.0));
        let all_missing = NumericTransform::fit(&spec, array![f64::NAN].view()).unwrap_err();
        assert!(matches!(all_missing, Error::EmptyInput { .. }));
    }

    #[test]
    fn robust_zero_spread_is_reported_not_divided() {
        let spec = ColumnSpec::numeric("complaints").robust_scaled(25.0, 75.0);
        let (t, stats) =
            NumericTransform::fit(&spec, array![0.0, 0.0, 0.0, 0.0, 1.0].view()).unwrap();
        assert!(stats.zero_spread && !stats.constant);
        assert_eq!(t.scale, 1.0);
        assert_eq!(t.apply(1.0), Some(1.0));
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<NumericTransform>();
    }
}
