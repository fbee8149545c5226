//! Churn risk and value per segment: the columns a segment profile needs to read "High value,
//! at risk" (total and mean lifetime value, share of the base's value, mean probability alive,
//! customers likely to lapse), under the profiles' privacy rules.
//!
//! This file joins CLV outputs to segment labels, so `clv` sits at the top of the crate beside
//! `profile` (it reads `profile::privacy`; nothing below imports `clv`).

use crate::error::{Error, Result};
use crate::profile::privacy::{protect_table, publishable};
use serde::{Deserialize, Serialize};

/// Value and churn figures of one segment; `None` where the privacy rules hide a figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentValue {
    /// Segment label.
    pub segment: usize,
    /// Customers in the segment (`None` below the minimum group size).
    pub n_customers: Option<usize>,
    /// Sum of the customers' lifetime values.
    pub total_clv: Option<f64>,
    /// Mean lifetime value.
    pub mean_clv: Option<f64>,
    /// Share of the whole base's lifetime value, in [0, 1] when all values are >= 0.
    pub share_of_total_clv: Option<f64>,
    /// Mean probability of being alive.
    pub mean_probability_alive: Option<f64>,
    /// Customers whose probability of being alive is below the lapse threshold (hidden when
    /// the count, or the rest of the segment, could identify fewer than the minimum group).
    pub n_likely_to_lapse: Option<usize>,
}

/// The number of segments when the caller gives none: the largest label plus one (0 without
/// labels), so every label present has its row in [`segment_value`], [`cross_sell`](super::cross_sell)
/// and [`migration_forecast`](super::migration_forecast).
///
/// ```
/// assert_eq!(segcore::clv::n_segments_of([2, 0, 5]), 6);
/// assert_eq!(segcore::clv::n_segments_of([]), 0);
/// ```
pub fn n_segments_of(labels: impl IntoIterator<Item = usize>) -> usize {
    labels.into_iter().max().map_or(0, |largest| largest + 1)
}

/// Per-segment value and churn figures from per-customer lifetime values and probabilities
/// alive (from [`GammaGamma::customer_lifetime_value`](super::GammaGamma::customer_lifetime_value)
/// and a purchase model's `probability_alive`).
///
/// A segment with fewer than `min_group_size` customers shows no figure; the counts of likely
/// lapsers (`P(alive) < lapse_threshold`, lifetimes' and the issue's 0.5 by default) and of
/// the rest of each segment form a table protected by [`protect_table`], so no hidden count can
/// be recovered by subtraction from the segment sizes.
///
/// ```
/// use segcore::clv::segment_value;
/// let labels = [0, 0, 0, 1, 1, 1];
/// let clv = [100.0, 50.0, 50.0, 10.0, 5.0, 5.0];
/// let alive = [0.9, 0.8, 0.2, 0.3, 0.1, 0.2];
/// let table = segment_value(&labels, 2, &clv, &alive, 0.5, 1)?;
/// assert_eq!(table[0].total_clv, Some(200.0));
/// assert!((table[0].share_of_total_clv.unwrap() - 200.0 / 220.0).abs() < 1e-12);
/// assert_eq!(table[1].n_likely_to_lapse, Some(3));
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn segment_value(
    labels: &[usize],
    n_segments: usize,
    clv: &[f64],
    probability_alive: &[f64],
    lapse_threshold: f64,
    min_group_size: usize,
) -> Result<Vec<SegmentValue>> {
    let n = labels.len();
    for (what, len) in [
        ("clv", clv.len()),
        ("probability_alive", probability_alive.len()),
    ] {
        if len != n {
            return Err(Error::ShapeMismatch {
                what: format!("{what} (one per customer, as labels)"),
                expected: n,
                got: len,
            });
        }
    }
    if let Some(row) = labels.iter().position(|&l| l >= n_segments) {
        return Err(Error::invalid_parameter(
            "labels",
            format!("{} at row {row}", labels[row]),
            format!("a segment below n_segments = {n_segments}"),
        ));
    }
    for (what, values) in [("clv", clv), ("probability_alive", probability_alive)] {
        crate::validation::check_finite_column(values, what)?;
    }
    if !(0.0..=1.0).contains(&lapse_threshold) {
        return Err(Error::invalid_parameter(
            "lapse_threshold",
            lapse_threshold,
            "a probability in [0, 1]",
        ));
    }
    let mut size = vec![0usize; n_segments];
    let mut total = vec![0.0; n_segments];
    let mut alive = vec![0.0; n_segments];
    let mut lapse = vec![0usize; n_segments];
    for i in 0..n {
        let s = labels[i];
        size[s] += 1;
        total[s] += clv[i];
        alive[s] += probability_alive[i];
        lapse[s] += usize::from(probability_alive[i] < lapse_threshold);
    }
    let grand: f64 = total.iter().sum();
    let shown: Vec<bool> = size
        .iter()
        .map(|&c| publishable(c, min_group_size))
        .collect();
    let counts: Vec<usize> = (0..n_segments)
        .flat_map(|s| [lapse[s], size[s] - lapse[s]])
        .collect();
    let suppressed: Vec<bool> = shown.iter().map(|s| !s).collect();
    let (hidden, _) = protect_table(&counts, n_segments, 2, min_group_size, &suppressed);
    Ok((0..n_segments)
        .map(|s| {
            let show = shown[s];
            let count = size[s] as f64;
            SegmentValue {
                segment: s,
                n_customers: show.then_some(size[s]),
                total_clv: show.then_some(total[s]),
                mean_clv: show.then(|| total[s] / count),
                share_of_total_clv: (show && grand != 0.0).then(|| total[s] / grand),
                mean_probability_alive: show.then(|| alive[s] / count),
                n_likely_to_lapse: (show && !hidden[2 * s]).then_some(lapse[s]),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_groups_are_hidden() {
        // Segment 0: 12 customers, 2 likely to lapse (hidden: 2 < 5, and then its complement
        // 10 as well); segment 1: 3 customers (hidden entirely); segment 2: 10 with 5 lapsing.
        let mut labels = vec![0; 12];
        labels.extend([1; 3]);
        labels.extend([2; 10]);
        let n = labels.len();
        let clv = vec![10.0; n];
        let mut alive = vec![0.9; n];
        alive[0] = 0.1;
        alive[1] = 0.4;
        for a in alive.iter_mut().skip(15).take(5) {
            *a = 0.2;
        }
        let table = segment_value(&labels, 3, &clv, &alive, 0.5, 5).unwrap();
        assert_eq!(table[0].n_customers, Some(12));
        assert_eq!(table[0].n_likely_to_lapse, None);
        assert_eq!(table[1].n_customers, None);
        assert_eq!(table[1].total_clv, None);
        assert_eq!(table[2].n_customers, Some(10));
        assert!((table[2].share_of_total_clv.unwrap() - 100.0 / 250.0).abs() < 1e-12);
        assert!(segment_value(&labels, 2, &clv, &alive, 0.5, 5).is_err());
        assert!(segment_value(&labels, 3, &clv[1..], &alive, 0.5, 5).is_err());
        assert!(segment_value(&labels, 3, &clv, &alive, 1.5, 5).is_err());
    }

    #[test]
    fn is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SegmentValue>();
    }
}
