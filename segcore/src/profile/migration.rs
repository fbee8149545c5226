//! Migration between two segmentations of the same customers (two dates, or an old and a new
//! model): who stayed, who moved where, and how much the two agree overall.

use crate::error::{Error, Result};
use crate::select::metrics::adjusted_rand_score;
use serde::{Deserialize, Serialize};

/// Transitions from the segments `before` to the segments `after`; see [`migration`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    /// Customers compared.
    pub n_customers: usize,
    /// Segment labels present before, ascending (rows of the matrices).
    pub before_segments: Vec<usize>,
    /// Segment labels present after, ascending (columns of the matrices).
    pub after_segments: Vec<usize>,
    /// `counts[i][j]`: customers in `before_segments[i]` then in `after_segments[j]`.
    pub counts: Vec<Vec<usize>>,
    /// `counts` divided by each row's total: where the customers of a segment went.
    pub row_shares: Vec<Vec<f64>>,
    /// Share of customers whose label is the same before and after (labels are compared as
    /// given: align the labelings first when they come from different models, e.g. with
    /// `segcore::cluster::kmeans::align_labels`).
    pub stayed_share: f64,
    /// Adjusted Rand index of the two labelings (label names do not matter for it).
    pub adjusted_rand_index: f64,
}

fn present(labels: &[usize]) -> Vec<usize> {
    let mut distinct = labels.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    distinct
}

fn check_pair(before: &[usize], after: &[usize]) -> Result<()> {
    if before.len() != after.len() {
        return Err(Error::ShapeMismatch {
            what: "labels_after (one label per customer of labels_before)".into(),
            expected: before.len(),
            got: after.len(),
        });
    }
    if before.is_empty() {
        return Err(Error::EmptyInput {
            what: "no customers to compare (labels_before is empty)".into(),
        });
    }
    Ok(())
}

/// Compares two labelings of the same customers, in the same order.
///
/// ```
/// use segcore::profile::migration;
/// let m = migration(&[0, 0, 1, 1], &[0, 1, 1, 1])?;
/// assert_eq!(m.counts, vec![vec![1, 1], vec![0, 2]]);
/// assert_eq!(m.stayed_share, 0.75);
/// assert_eq!(m.row_shares[0], vec![0.5, 0.5]);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn migration(labels_before: &[usize], labels_after: &[usize]) -> Result<Migration> {
    check_pair(labels_before, labels_after)?;
    let before_segments = present(labels_before);
    let after_segments = present(labels_after);
    let row = |l: usize| {
        before_segments
            .binary_search(&l)
            .expect("label from the list of present labels")
    };
    let column = |l: usize| {
        after_segments
            .binary_search(&l)
            .expect("label from the list of present labels")
    };
    let mut counts = vec![vec![0usize; after_segments.len()]; before_segments.len()];
    let mut stayed = 0usize;
    for (&b, &a) in labels_before.iter().zip(labels_after) {
        counts[row(b)][column(a)] += 1;
        stayed += usize::from(a == b);
    }
    let row_shares = counts
        .iter()
        .map(|r| {
            let total: usize = r.iter().sum();
            r.iter().map(|&c| c as f64 / total as f64).collect()
        })
        .collect();
    let n = labels_before.len();
    Ok(Migration {
        n_customers: n,
        before_segments,
        after_segments,
        counts,
        row_shares,
        stayed_share: stayed as f64 / n as f64,
        adjusted_rand_index: adjusted_rand_score(labels_before, labels_after)?,
    })
}

impl Migration {
    /// Rows (customer positions) that were in segment `from` before and are in `to` after, in
    /// order: the CRM list behind one cell of the matrix (map rows to ids, or to pseudonyms with
    /// [`crate::profile::Pseudonymiser`], for the export).
    pub fn movers(
        labels_before: &[usize],
        labels_after: &[usize],
        from: usize,
        to: usize,
    ) -> Result<Vec<usize>> {
        check_pair(labels_before, labels_after)?;
        Ok(labels_before
            .iter()
            .zip(labels_after)
            .enumerate()
            .filter(|(_, (&b, &a))| b == from && a == to)
            .map(|(row, _)| row)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_labelings_give_the_identity() {
        let labels = [2, 0, 1, 2, 2, 0];
        let m = migration(&labels, &labels).unwrap();
        assert_eq!(m.before_segments, [0, 1, 2]);
        for (i, row) in m.row_shares.iter().enumerate() {
            for (j, &share) in row.iter().enumerate() {
                assert_eq!(share, if i == j { 1.0 } else { 0.0 });
            }
        }
        assert_eq!(m.counts, vec![vec![2, 0, 0], vec![0, 1, 0], vec![0, 0, 3]]);
        assert_eq!(m.stayed_share, 1.0);
        assert_eq!(m.adjusted_rand_index, 1.0);
    }

    #[test]
    fn movers_and_new_segments() {
        let before = [0, 0, 1, 1, 1];
        let after = [0, 3, 3, 1, 3];
        let m = migration(&before, &after).unwrap();
        assert_eq!(m.after_segments, [0, 1, 3]);
        assert_eq!(m.counts, vec![vec![1, 0, 1], vec![0, 1, 2]]);
        assert_eq!(Migration::movers(&before, &after, 1, 3).unwrap(), [2, 4]);
        assert!((m.stayed_share - 0.4).abs() < 1e-15);
    }

    #[test]
    fn bad_input() {
        assert!(matches!(
            migration(&[0, 1], &[0]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(migration(&[], &[]), Err(Error::EmptyInput { .. })));
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Migration>();
    }
}
