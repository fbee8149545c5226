//! Soft membership in a profile: how sure each segment's assignments are, for segmentations that
//! give every customer a probability of each segment (Gaussian mixtures).
//!
//! A customer's uncertainty is `1 - max_j p(j | x)`: 0 when one segment holds it surely, up to
//! `1 - 1/k` when it sits exactly between all `k`. A customer is counted as *uncertain* when its
//! uncertainty exceeds the threshold ([`DEFAULT_UNCERTAINTY_THRESHOLD`] = 0.2: its most probable
//! segment has less than 80 % probability); sales should not treat such an account as a clear
//! member of its segment.
//!
//! Privacy: the counts of uncertain and certain customers per segment form a segments x 2 count
//! table protected like any category table ([`protect_table`]): a count of 1 to
//! `min_group_size - 1` customers is hidden, and so is any count that the printed ones would give
//! away; a suppressed segment shows nothing.

use super::privacy::{protect_table, publishable};
use super::types::SegmentationProfile;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Default uncertainty above which a customer's segment counts as uncertain: the most probable
/// segment has less than 80 % probability.
pub const DEFAULT_UNCERTAINTY_THRESHOLD: f64 = 0.2;

/// How sure the assignments of one segment are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentMembership {
    /// Segment label.
    pub segment: usize,
    /// Mean uncertainty of the segment's customers; `None` when the segment is suppressed.
    pub mean_uncertainty: Option<f64>,
    /// Customers of the segment whose uncertainty exceeds the threshold; `None` when suppressed.
    pub n_uncertain: Option<usize>,
}

/// Soft membership of a segmentation (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// Uncertainty above which a customer counts as uncertain.
    pub threshold: f64,
    /// Mean uncertainty over all customers (`None` below `min_group_size` customers).
    pub mean_uncertainty: Option<f64>,
    /// Uncertain customers over all segments; `None` when suppressed.
    pub n_uncertain: Option<usize>,
    /// One entry per segment, in the profile's segment order.
    pub segments: Vec<SegmentMembership>,
}

impl SegmentationProfile {
    /// Adds the soft-membership section: `labels` are the profiled customers' segments (as given
    /// to [`profile`](super::profile())), `uncertainty` each one's `1 - max probability`, and a
    /// customer is uncertain when its uncertainty exceeds `threshold` (in (0, 1);
    /// [`DEFAULT_UNCERTAINTY_THRESHOLD`]). Figures follow the profile's `min_group_size`.
    ///
    /// ```
    /// use segcore::data::CustomerTable;
    /// use segcore::profile::{profile, ProfileParams, DEFAULT_UNCERTAINTY_THRESHOLD};
    ///
    /// let mut table = CustomerTable::new((0..40).map(|i| format!("C{i}")).collect())?;
    /// table.add_numeric("revenue", (0..40).map(|i| i as f64).collect())?;
    /// let labels: Vec<usize> = (0..40).map(|i| usize::from(i >= 20)).collect();
    /// let uncertainty: Vec<f64> = (0..40).map(|i| if i % 2 == 0 { 0.4 } else { 0.01 }).collect();
    /// let mut p = profile(&table, &labels, &ProfileParams::new())?;
    /// p.add_membership(&labels, &uncertainty, DEFAULT_UNCERTAINTY_THRESHOLD)?;
    /// let m = p.membership.as_ref().unwrap();
    /// assert_eq!(m.segments[0].n_uncertain, Some(10));
    /// assert_eq!(m.n_uncertain, Some(20));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn add_membership(
        &mut self,
        labels: &[usize],
        uncertainty: &[f64],
        threshold: f64,
    ) -> Result<()> {
        if !(threshold.is_finite() && threshold > 0.0 && threshold < 1.0) {
            return Err(Error::invalid_parameter(
                "uncertainty_threshold",
                threshold,
                "a number in (0, 1)",
            ));
        }
        if labels.len() != self.n_customers || uncertainty.len() != labels.len() {
            return Err(Error::ShapeMismatch {
                what: "labels and uncertainty (one per profiled customer)".into(),
                expected: self.n_customers,
                got: if labels.len() != self.n_customers {
                    labels.len()
                } else {
                    uncertainty.len()
                },
            });
        }
        if let Some((row, &u)) = uncertainty
            .iter()
            .enumerate()
            .find(|(_, u)| !(u.is_finite() && (0.0..=1.0).contains(*u)))
        {
            return Err(Error::invalid_parameter(
                "uncertainty",
                format!("{u} at row {row}"),
                "values in [0, 1] (1 - the largest segment probability)",
            ));
        }
        let k = self.segments.len();
        let mut index = std::collections::HashMap::with_capacity(k);
        for (i, s) in self.segments.iter().enumerate() {
            index.insert(s.segment, i);
        }
        let mut counts = vec![0usize; k * 2];
        let mut sums = vec![0.0f64; k];
        for (row, (&label, &u)) in labels.iter().zip(uncertainty).enumerate() {
            let &i = index.get(&label).ok_or_else(|| {
                Error::invalid_parameter(
                    "labels",
                    format!("{label} at row {row}"),
                    "the segment labels the profile was made from",
                )
            })?;
            counts[i * 2 + usize::from(u <= threshold)] += 1;
            sums[i] += u;
        }
        let m = self.min_group_size;
        let suppressed: Vec<bool> = self.segments.iter().map(|s| s.suppressed).collect();
        let (hidden, hidden_totals) = protect_table(&counts, k, 2, m, &suppressed);
        let segments = self
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let size = counts[i * 2] + counts[i * 2 + 1];
                let shown = !s.suppressed && publishable(size, m);
                SegmentMembership {
                    segment: s.segment,
                    mean_uncertainty: shown.then(|| sums[i] / size as f64),
                    n_uncertain: (shown && !hidden[i * 2]).then_some(counts[i * 2]),
                }
            })
            .collect();
        let n = labels.len();
        let total_uncertain: usize = (0..k).map(|i| counts[i * 2]).sum();
        self.membership = Some(Membership {
            threshold,
            mean_uncertainty: publishable(n, m).then(|| sums.iter().sum::<f64>() / n as f64),
            n_uncertain: (!hidden_totals[0]).then_some(total_uncertain),
            segments,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CustomerTable;
    use crate::profile::{profile, ProfileParams};

    fn profiled(labels: &[usize]) -> SegmentationProfile {
        let mut table =
            CustomerTable::new((0..labels.len()).map(|i| format!("C{i}")).collect()).unwrap();
        table
            .add_numeric("x", (0..labels.len()).map(|i| i as f64).collect())
            .unwrap();
        profile(&table, labels, &ProfileParams::new().min_group_size(5)).unwrap()
    }

    #[test]
    fn counts_follow_the_threshold_and_small_counts_are_hidden() {
        // Segment 0: 20 customers, 8 uncertain; segment 1: 20, 2 uncertain (hidden, and its
        // complement too); segment 2: 3 customers (suppressed) and segment 3: 15 customers
        // (suppressed with it, so the 3's figures do not follow from the totals).
        let labels: Vec<usize> = (0..58)
            .map(|i| {
                [0, 1, 2, 3][usize::from(i >= 20) + usize::from(i >= 40) + usize::from(i >= 43)]
            })
            .collect();
        let uncertainty: Vec<f64> = (0..58)
            .map(|i| match i {
                0..=7 | 20..=21 => 0.3,
                _ => 0.05,
            })
            .collect();
        let mut p = profiled(&labels);
        p.add_membership(&labels, &uncertainty, DEFAULT_UNCERTAINTY_THRESHOLD)
            .unwrap();
        let m = p.membership.as_ref().unwrap();
        assert_eq!(m.threshold, 0.2);
        assert_eq!(m.segments[1].n_uncertain, None);
        assert_eq!(m.segments[2].n_uncertain, None);
        assert_eq!(m.segments[2].mean_uncertainty, None);
        assert!(
            (m.segments[1].mean_uncertainty.unwrap() - (0.6 + 18.0 * 0.05) / 20.0).abs() < 1e-12
        );
        // The base's 10 stays printed: with segments 2 and 3 suppressed it does not give the 2 away
        // (protect_table's rule, as for category tables).
        assert_eq!(m.segments[0].n_uncertain, Some(8));
        assert_eq!(m.n_uncertain, Some(10));
        // Round trip through the profile's JSON.
        let back = SegmentationProfile::from_json(&p.to_json().unwrap()).unwrap();
        assert_eq!(back.membership, p.membership);
    }

    #[test]
    fn bad_input_is_an_error() {
        let labels = vec![0usize; 10];
        let mut p = profiled(&labels);
        assert!(p.add_membership(&labels, &[0.1; 9], 0.2).is_err());
        assert!(p.add_membership(&labels, &[1.5; 10], 0.2).is_err());
        assert!(p.add_membership(&labels, &[0.1; 10], 1.0).is_err());
        assert!(p.add_membership(&[1usize; 10], &[0.1; 10], 0.2).is_err());
        assert!(p.add_membership(&labels, &[0.1; 10], 0.2).is_ok());
        assert_eq!(p.membership.unwrap().segments[0].n_uncertain, Some(0));
    }
}
