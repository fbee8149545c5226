//! The first, minimal segment profile: size, share and per-feature mean against the overall mean.
//! Kept for its users; [`crate::profile::profile`] is the full profile (quartiles, effect sizes,
//! categories, value, names, privacy).

use super::groups::MAX_SEGMENT_LABEL;
use crate::error::{Error, Result};

/// Largest `(segments + 1) x features` table [`profile_segments`] builds (64M cells, 1 GB of
/// sums and counts).
pub const MAX_PROFILE_CELLS: usize = 1 << 26;
use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Profile of one segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentProfile {
    /// Segment label (0-based, as produced by the clustering).
    pub segment: usize,
    /// Number of customers in the segment.
    pub size: usize,
    /// Share of all customers, in [0, 1].
    pub share: f64,
    /// Mean of each feature over the segment's customers, ignoring missing (NaN) values;
    /// NaN when every value is missing.
    pub mean: Vec<f64>,
}

/// Profile of a whole segmentation: one [`SegmentProfile`] per segment, in label order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Names of the profiled features, in column order.
    pub feature_names: Vec<String>,
    /// Mean of each feature over all customers (ignoring NaN).
    pub overall_mean: Vec<f64>,
    /// Number of customers profiled.
    pub n_customers: usize,
    /// One entry per segment label `0..n_segments`, including empty segments (size 0).
    pub segments: Vec<SegmentProfile>,
}

/// Profiles `features` (rows = customers, NaN = missing) by segment `labels`.
///
/// Columns need not be the clustering inputs: profile revenue, margin or firmographics in their
/// original units. Every label must be below `n_segments`.
///
/// ```
/// use ndarray::array;
/// use segcore::profile::profile_segments;
///
/// let revenue = array![[100.0], [300.0], [5000.0], [7000.0]];
/// let labels = array![0, 0, 1, 1];
/// let p = profile_segments(revenue.view(), &["revenue".to_string()], labels.view(), 2).unwrap();
/// assert_eq!(p.segments[1].mean[0], 6000.0);
/// assert_eq!(p.segments[0].share, 0.5);
/// ```
pub fn profile_segments(
    features: ArrayView2<f64>,
    feature_names: &[String],
    labels: ArrayView1<usize>,
    n_segments: usize,
) -> Result<Profile> {
    if feature_names.len() != features.ncols() {
        return Err(Error::ShapeMismatch {
            what: "feature_names (one name per feature column)".into(),
            expected: features.ncols(),
            got: feature_names.len(),
        });
    }
    if labels.len() != features.nrows() {
        return Err(Error::ShapeMismatch {
            what: "labels (one label per customer row)".into(),
            expected: features.nrows(),
            got: labels.len(),
        });
    }
    if features.nrows() == 0 {
        return Err(Error::EmptyInput {
            what: "no customers to profile".into(),
        });
    }
    // Tables are sized by n_segments: bound it before allocating (a label of 10^9 must be an
    // error, not a 24 GB allocation).
    let cells = (n_segments + 1).saturating_mul(features.ncols().max(1));
    if n_segments > MAX_SEGMENT_LABEL + 1 || cells > MAX_PROFILE_CELLS {
        return Err(Error::invalid_parameter(
            "n_segments",
            n_segments,
            format!(
                "at most {} segments (labels 0..={MAX_SEGMENT_LABEL}) and at most \
                 {MAX_PROFILE_CELLS} segment x feature cells",
                MAX_SEGMENT_LABEL + 1
            ),
        ));
    }
    if let Some((row, &label)) = labels.iter().enumerate().find(|&(_, &l)| l >= n_segments) {
        return Err(Error::invalid_parameter(
            "labels",
            format!("{label} at row {row}"),
            format!("labels in 0..{n_segments}"),
        ));
    }
    let d = features.ncols();
    // Per segment: sum and count of non-missing values per feature (segment index n_segments = everyone).
    let mut sums = vec![vec![0.0; d]; n_segments + 1];
    let mut counts = vec![vec![0usize; d]; n_segments + 1];
    let mut sizes = vec![0usize; n_segments];
    for (row, &label) in features.outer_iter().zip(labels.iter()) {
        sizes[label] += 1;
        for (j, &value) in row.iter().enumerate() {
            if value.is_nan() {
                continue;
            }
            for group in [label, n_segments] {
                sums[group][j] += value;
                counts[group][j] += 1;
            }
        }
    }
    let means: Vec<Vec<f64>> = sums
        .iter()
        .zip(&counts)
        .map(|(s, c)| {
            s.iter()
                .zip(c)
                .map(|(&sum, &count)| {
                    if count == 0 {
                        f64::NAN
                    } else {
                        sum / count as f64
                    }
                })
                .collect()
        })
        .collect();
    let n = features.nrows();
    let segments = (0..n_segments)
        .map(|segment| SegmentProfile {
            segment,
            size: sizes[segment],
            share: sizes[segment] as f64 / n as f64,
            mean: means[segment].clone(),
        })
        .collect();
    Ok(Profile {
        feature_names: feature_names.to_vec(),
        overall_mean: means[n_segments].clone(),
        n_customers: n,
        segments,
    })
}

impl fmt::Display for Profile {
    /// A plain-text table: one row per segment with size, share and each feature's mean,
    /// followed by the overall row; each mean is followed by its index against the overall mean
    /// (100 = average) so over- and under-representation reads at a glance.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .feature_names
            .iter()
            .map(|name| name.len().max(16))
            .collect::<Vec<_>>();
        write!(f, "{:<10}{:>8}{:>8}", "segment", "size", "share")?;
        for (name, w) in self.feature_names.iter().zip(&width) {
            write!(f, "  {name:>w$}")?;
        }
        writeln!(f)?;
        let cell = |mean: f64, overall: f64| -> String {
            if mean.is_nan() {
                return "n/a".to_string();
            }
            let index = if overall != 0.0 && overall.is_finite() {
                format!(" ({:>3.0})", 100.0 * mean / overall)
            } else {
                String::new()
            };
            format!("{}{}", format_number(mean), index)
        };
        for s in &self.segments {
            write!(f, "{:<10}{:>8}{:>7.1}%", s.segment, s.size, 100.0 * s.share)?;
            for ((&m, &o), w) in s.mean.iter().zip(&self.overall_mean).zip(&width) {
                write!(f, "  {:>w$}", cell(m, o))?;
            }
            writeln!(f)?;
        }
        write!(f, "{:<10}{:>8}{:>7.1}%", "all", self.n_customers, 100.0)?;
        for (&o, w) in self.overall_mean.iter().zip(&width) {
            write!(f, "  {:>w$}", format_number(o))?;
        }
        writeln!(f)
    }
}

/// Numbers in a width that suits both day counts and euro revenues.
fn format_number(value: f64) -> String {
    if value.is_nan() {
        "n/a".into()
    } else {
        super::report::number(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_label_is_an_error_not_an_allocation() {
        let x = ndarray::array![[1.0], [2.0]];
        let labels = ndarray::array![0usize, 1_000_000_000];
        let err = profile_segments(x.view(), &["a".to_string()], labels.view(), 1_000_000_001)
            .unwrap_err();
        assert!(err.to_string().contains("n_segments"), "{err}");
    }
    use ndarray::array;

    #[test]
    fn sizes_shares_and_nan_aware_means() {
        let x = array![
            [1.0, f64::NAN],
            [3.0, 4.0],
            [10.0, f64::NAN],
            [20.0, 8.0],
            [30.0, 9.0]
        ];
        let labels = array![0, 0, 2, 2, 2];
        let names = vec!["a".to_string(), "b".to_string()];
        let p = profile_segments(x.view(), &names, labels.view(), 3).unwrap();
        assert_eq!(p.segments.len(), 3);
        assert_eq!(p.segments[0].size, 2);
        assert_eq!(p.segments[1].size, 0);
        assert!(p.segments[1].mean[0].is_nan());
        assert_eq!(p.segments[0].mean, vec![2.0, 4.0]);
        assert_eq!(p.segments[2].mean, vec![20.0, 8.5]);
        assert!((p.segments[2].share - 0.6).abs() < 1e-15);
        assert_eq!(p.overall_mean, vec![12.8, 7.0]);
        let text = p.to_string();
        assert!(text.contains("all"), "{text}");
        assert!(text.lines().count() == 5, "{text}");
    }

    #[test]
    fn rejects_mismatched_inputs() {
        let x = array![[1.0], [2.0]];
        let names = vec!["a".to_string()];
        assert!(matches!(
            profile_segments(x.view(), &names, array![0].view(), 1),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            profile_segments(x.view(), &names, array![0, 5].view(), 2),
            Err(Error::InvalidParameter { name: "labels", .. })
        ));
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Profile>();
    }
}
