//! Fairness check: how a sensitive attribute (e.g. legal form, region, a founder's gender) is
//! distributed across segments, so a segmentation that sorts customers by it is noticed before
//! it drives offers or prices.
//!
//! Per segment: the attribute's composition and its Jensen-Shannon divergence (in bits, 0 = same
//! as the base, 1 = disjoint) from the base composition; overall: Cramér's V of segment x
//! attribute. A segment above the threshold produces a warning. Compositions follow the privacy
//! rule (cells below `min_group_size` are suppressed); the divergence is an aggregate over the
//! whole segment and is published for every segment that is itself large enough.

use super::groups::Groups;
use super::privacy::protect_table;
use crate::data::CategoricalColumn;
use serde::{Deserialize, Serialize};

/// A sensitive column in one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessSegment {
    /// Segment label.
    pub segment: usize,
    /// Share of each category (column order); `None` where the cell is suppressed.
    pub shares: Vec<Option<f64>>,
    /// Jensen-Shannon divergence from the base composition, in bits; `None` when the segment is
    /// suppressed.
    pub divergence: Option<f64>,
    /// The divergence exceeds the check's threshold (the segment is named in its warning).
    /// Documents written before this field read it as `false`.
    #[serde(default)]
    pub above_threshold: bool,
}

/// Distribution of one sensitive column across the segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessCheck {
    /// Column name.
    pub column: String,
    /// Categories, in column order.
    pub categories: Vec<String>,
    /// Share of each category in the whole base (`None` where suppressed).
    pub base_shares: Vec<Option<f64>>,
    /// One entry per segment, in segment order.
    pub segments: Vec<FairnessSegment>,
    /// Cramér's V of segment x category (0 = independent, 1 = the segment determines it).
    pub cramers_v: f64,
    /// The warning threshold on the divergence.
    pub threshold: f64,
    /// Largest published divergence.
    pub max_divergence: Option<f64>,
    /// Set when a segment's divergence exceeds the threshold.
    pub warning: Option<String>,
}

/// Kullback-Leibler term `p log2(p / q)` with 0 log 0 = 0.
fn kl_term(p: f64, q: f64) -> f64 {
    if p > 0.0 {
        p * (p / q).log2()
    } else {
        0.0
    }
}

/// Jensen-Shannon divergence in bits of two distributions given as counts.
pub(crate) fn jensen_shannon(a: &[usize], b: &[usize]) -> f64 {
    let ta = a.iter().sum::<usize>() as f64;
    let tb = b.iter().sum::<usize>() as f64;
    if ta == 0.0 || tb == 0.0 {
        return 0.0;
    }
    let mut divergence = 0.0;
    for (&x, &y) in a.iter().zip(b) {
        let (p, q) = (x as f64 / ta, y as f64 / tb);
        let m = 0.5 * (p + q);
        divergence += 0.5 * kl_term(p, m) + 0.5 * kl_term(q, m);
    }
    divergence.clamp(0.0, 1.0)
}

/// Cramér's V of a segments x categories count table.
fn cramers_v(counts: &[Vec<usize>], base: &[usize], n: usize) -> f64 {
    let rows = counts.len();
    let cols = base.iter().filter(|&&c| c > 0).count();
    let k = rows.min(cols);
    if k < 2 || n == 0 {
        return 0.0;
    }
    let mut chi2 = 0.0;
    for row in counts {
        let size: usize = row.iter().sum();
        for (&observed, &column_total) in row.iter().zip(base) {
            if column_total == 0 || size == 0 {
                continue;
            }
            let expected = size as f64 * column_total as f64 / n as f64;
            chi2 += (observed as f64 - expected).powi(2) / expected;
        }
    }
    (chi2 / (n as f64 * (k - 1) as f64)).sqrt().min(1.0)
}

pub(crate) fn fairness_check(
    name: &str,
    column: &CategoricalColumn,
    groups: &Groups,
    min_group_size: usize,
    threshold: f64,
) -> FairnessCheck {
    let k = column.n_categories();
    let mut counts = vec![vec![0usize; k]; groups.n_segments()];
    for (&code, &s) in column.codes.iter().zip(&groups.index) {
        // Missing values were rejected before: every code is a category.
        if code != CategoricalColumn::MISSING {
            counts[s as usize][code as usize] += 1;
        }
    }
    let mut base = vec![0usize; k];
    for row in &counts {
        for (b, &c) in base.iter_mut().zip(row) {
            *b += c;
        }
    }
    let n: usize = base.iter().sum();
    // Complementary suppression, so a hidden share is not 1 minus the printed ones.
    let flat: Vec<usize> = counts.iter().flatten().copied().collect();
    let suppressed = groups.hidden(min_group_size);
    let (hidden, base_hidden) = protect_table(&flat, counts.len(), k, min_group_size, &suppressed);
    let shares = |row: &[usize], hidden: &[bool]| -> Vec<Option<f64>> {
        let total: usize = row.iter().sum();
        row.iter()
            .zip(hidden)
            .map(|(&c, &h)| (!h && total > 0).then(|| c as f64 / total as f64))
            .collect()
    };
    let mut segments: Vec<FairnessSegment> = counts
        .iter()
        .enumerate()
        .map(|(s, row)| FairnessSegment {
            segment: groups.labels[s],
            shares: shares(row, &hidden[s * k..(s + 1) * k]),
            divergence: (!suppressed[s]).then(|| jensen_shannon(row, &base)),
            above_threshold: false,
        })
        .collect();
    let max_divergence = segments
        .iter()
        .filter_map(|s| s.divergence)
        .fold(None, |acc: Option<f64>, d| {
            Some(acc.map_or(d, |a| a.max(d)))
        });
    for s in &mut segments {
        s.above_threshold = s.divergence.is_some_and(|d| d > threshold);
    }
    let flagged: Vec<String> = segments
        .iter()
        .filter(|s| s.above_threshold)
        .map(|s| s.segment.to_string())
        .collect();
    let warning = (!flagged.is_empty()).then(|| {
        format!(
            "sensitive column `{name}` is distributed unevenly: segment(s) {} differ from the \
             base by more than {threshold} bits (Jensen-Shannon); check that offers or prices \
             per segment do not discriminate by it",
            flagged.join(", ")
        )
    });
    FairnessCheck {
        column: name.to_string(),
        categories: column.categories.clone(),
        base_shares: shares(&base, &base_hidden),
        segments,
        cramers_v: cramers_v(&counts, &base, n),
        threshold,
        max_divergence,
        warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divergence_values() {
        assert_eq!(jensen_shannon(&[5, 5], &[5, 5]), 0.0);
        assert!((jensen_shannon(&[10, 0], &[0, 10]) - 1.0).abs() < 1e-12);
        // scipy.spatial.distance.jensenshannon([.5, .5], [.8, .2], base=2) ** 2 = 0.073104007...
        let d = jensen_shannon(&[50, 50], &[80, 20]);
        assert!((d - 0.073_104_007_931_809_9).abs() < 1e-12, "{d}");
    }

    #[test]
    fn uneven_distribution_warns_and_even_does_not() {
        let labels: Vec<usize> = (0..200).map(|i| usize::from(i >= 100)).collect();
        let groups = Groups::new(&labels).unwrap();
        let skewed: Vec<Option<&str>> = (0..200)
            .map(|i| Some(if !(90..190).contains(&i) { "a" } else { "b" }))
            .collect();
        let check = fairness_check(
            "legal_form",
            &CategoricalColumn::from_values(&skewed),
            &groups,
            10,
            0.05,
        );
        assert!(check.warning.is_some());
        assert!(check.cramers_v > 0.7, "{}", check.cramers_v);
        let even: Vec<Option<&str>> = (0..200)
            .map(|i| Some(if i % 2 == 0 { "a" } else { "b" }))
            .collect();
        let check = fairness_check(
            "legal_form",
            &CategoricalColumn::from_values(&even),
            &groups,
            10,
            0.05,
        );
        assert!(check.warning.is_none());
        assert_eq!(check.max_divergence, Some(0.0));
        assert!(check.cramers_v < 1e-12);
    }
}
