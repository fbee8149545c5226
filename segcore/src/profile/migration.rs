//! Migration between two segmentations of the same customers (two dates, or an old and a new
//! model): who stayed, who moved where, and how much the two agree overall.

use super::privacy::{hidden_groups, protect_table};
use crate::error::{Error, Result};
use crate::select::metrics::adjusted_rand_score;
use serde::{Deserialize, Serialize};

/// Largest `segments before x segments after` table that [`migration_with`] protects against
/// recovery by subtraction (the protection works on the dense table): 4M cells, e.g. 2,000 x
/// 2,000 segments, far beyond any report.
pub const MAX_PROTECTED_CELLS: usize = 1 << 22;

/// Largest dense matrix [`Migration::counts`] builds; beyond it read [`Migration::transitions`].
pub const MAX_DENSE_CELLS: usize = 1 << 24;

/// One non-empty cell of the transition table: customers in `before` then in `after`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// Segment label before.
    pub before: usize,
    /// Segment label after.
    pub after: usize,
    /// Customers that moved (or stayed, when the labels are equal); `None` when suppressed.
    pub count: Option<usize>,
    /// `count` over the size of `before`: where the customers of a segment went; `None` when
    /// suppressed.
    pub share_of_before: Option<f64>,
}

/// Transitions from the segments `before` to the segments `after`; see [`migration`].
///
/// The table is kept sparse (only the cells that occur), so two labelings with many distinct
/// labels cost memory in proportion to the customers, not to the square of the labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    /// Customers compared.
    pub n_customers: usize,
    /// Minimum number of customers behind a published count (1: nothing suppressed).
    pub min_group_size: usize,
    /// Segment labels present before, ascending (rows of the table).
    pub before_segments: Vec<usize>,
    /// Segment labels present after, ascending (columns of the table).
    pub after_segments: Vec<usize>,
    /// Size of each segment before (`before_segments` order); `None` when suppressed.
    pub before_sizes: Vec<Option<usize>>,
    /// Size of each segment after (`after_segments` order); `None` when suppressed.
    pub after_sizes: Vec<Option<usize>>,
    /// The non-empty cells, ordered by `(before, after)`.
    pub transitions: Vec<Transition>,
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

/// Compares two labelings of the same customers, in the same order, publishing every count
/// (for analysis; use [`migration_with`] and a minimum group size for a report).
///
/// ```
/// use segcore::profile::migration;
/// let m = migration(&[0, 0, 1, 1], &[0, 1, 1, 1])?;
/// assert_eq!(m.counts()?, vec![vec![Some(1), Some(1)], vec![Some(0), Some(2)]]);
/// assert_eq!(m.stayed_share, 0.75);
/// assert_eq!(m.transitions[0].share_of_before, Some(0.5));
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn migration(labels_before: &[usize], labels_after: &[usize]) -> Result<Migration> {
    migration_with(labels_before, labels_after, 1)
}

/// [`migration`] under the privacy rules of the profiles: segments of fewer than
/// `min_group_size` customers are suppressed with their complements
/// ([`crate::profile::privacy::hidden_groups`]), and so is every count of 1 to
/// `min_group_size - 1` customers together with the cells that would give it away from the
/// printed segment sizes ([`protect_table`]). Protection needs the dense table: more than
/// [`MAX_PROTECTED_CELLS`] cells is an error (no report has that many segments).
///
/// ```
/// use segcore::profile::migration_with;
/// // 30 customers stay in 0, 3 move to 1, 20 stay in 1: the 3 cannot be printed, and neither
/// // can the 30 (33 - 30 would give it away from the printed size of segment 0).
/// let before: Vec<usize> = [vec![0; 33], vec![1; 20]].concat();
/// let after: Vec<usize> = [vec![0; 30], vec![1; 23]].concat();
/// let m = migration_with(&before, &after, 10)?;
/// let count = |from, to| m.transitions.iter().find(|t| (t.before, t.after) == (from, to)).unwrap().count;
/// assert_eq!((count(0, 1), count(0, 0)), (None, None));
/// assert_eq!(m.before_sizes, [Some(33), Some(20)]);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn migration_with(
    labels_before: &[usize],
    labels_after: &[usize],
    min_group_size: usize,
) -> Result<Migration> {
    check_pair(labels_before, labels_after)?;
    if min_group_size == 0 {
        return Err(Error::invalid_parameter(
            "min_group_size",
            0,
            "at least 1 (1 publishes every count)",
        ));
    }
    let before_segments = present(labels_before);
    let after_segments = present(labels_after);
    let position = |segments: &[usize], l: usize| {
        segments
            .binary_search(&l)
            .expect("label from the list of present labels")
    };
    // Sparse counting: sort the (row, column) pairs; memory in proportion to the customers.
    let mut pairs: Vec<(u32, u32)> = labels_before
        .iter()
        .zip(labels_after)
        .map(|(&b, &a)| {
            (
                position(&before_segments, b) as u32,
                position(&after_segments, a) as u32,
            )
        })
        .collect();
    pairs.sort_unstable();
    let mut cells: Vec<(usize, usize, usize)> = Vec::new();
    for &(r, c) in &pairs {
        match cells.last_mut() {
            Some((lr, lc, count)) if *lr == r as usize && *lc == c as usize => *count += 1,
            _ => cells.push((r as usize, c as usize, 1)),
        }
    }
    drop(pairs);
    let mut before_sizes = vec![0usize; before_segments.len()];
    let mut after_sizes = vec![0usize; after_segments.len()];
    for &(r, c, count) in &cells {
        before_sizes[r] += count;
        after_sizes[c] += count;
    }
    let stayed: usize = cells
        .iter()
        .filter(|&&(r, c, _)| before_segments[r] == after_segments[c])
        .map(|&(_, _, count)| count)
        .sum();
    let (cell_hidden, before_hidden, after_hidden) = if min_group_size == 1 {
        (
            vec![false; cells.len()],
            vec![false; before_sizes.len()],
            vec![false; after_sizes.len()],
        )
    } else {
        let (rows, columns) = (before_segments.len(), after_segments.len());
        if rows.saturating_mul(columns) > MAX_PROTECTED_CELLS {
            return Err(Error::invalid_parameter(
                "labels",
                format!("{rows} segments before x {columns} after"),
                format!(
                    "at most {MAX_PROTECTED_CELLS} cells for a table protected by \
                     min_group_size (or min_group_size = 1 for an unprotected analysis)"
                ),
            ));
        }
        let mut dense = vec![0usize; rows * columns];
        for &(r, c, count) in &cells {
            dense[r * columns + c] = count;
        }
        let before_hidden = hidden_groups(&before_sizes, min_group_size);
        let (hidden, after_hidden) =
            protect_table(&dense, rows, columns, min_group_size, &before_hidden);
        let cell_hidden = cells
            .iter()
            .map(|&(r, c, _)| hidden[r * columns + c])
            .collect();
        (cell_hidden, before_hidden, after_hidden)
    };
    let transitions = cells
        .iter()
        .zip(&cell_hidden)
        .map(|(&(r, c, count), &hidden)| Transition {
            before: before_segments[r],
            after: after_segments[c],
            count: (!hidden).then_some(count),
            share_of_before: (!hidden).then(|| count as f64 / before_sizes[r] as f64),
        })
        .collect();
    let published = |sizes: &[usize], hidden: &[bool]| -> Vec<Option<usize>> {
        sizes
            .iter()
            .zip(hidden)
            .map(|(&s, &h)| (!h).then_some(s))
            .collect()
    };
    let n = labels_before.len();
    Ok(Migration {
        n_customers: n,
        min_group_size,
        before_sizes: published(&before_sizes, &before_hidden),
        after_sizes: published(&after_sizes, &after_hidden),
        before_segments,
        after_segments,
        transitions,
        stayed_share: stayed as f64 / n as f64,
        adjusted_rand_index: adjusted_rand_score(labels_before, labels_after)?,
    })
}

impl Migration {
    /// The dense table of counts (rows: `before_segments`, columns: `after_segments`; 0 where
    /// nobody moved, `None` where suppressed). More than [`MAX_DENSE_CELLS`] cells is an error:
    /// read [`Migration::transitions`] instead.
    pub fn counts(&self) -> Result<Vec<Vec<Option<usize>>>> {
        let (rows, columns) = (self.before_segments.len(), self.after_segments.len());
        if rows.saturating_mul(columns) > MAX_DENSE_CELLS {
            return Err(Error::invalid_parameter(
                "counts",
                format!("a dense table of {rows} x {columns} segments"),
                format!("at most {MAX_DENSE_CELLS} cells: read the transitions instead"),
            ));
        }
        let mut dense = vec![vec![Some(0); columns]; rows];
        for t in &self.transitions {
            let r = self
                .before_segments
                .binary_search(&t.before)
                .expect("present label");
            let c = self
                .after_segments
                .binary_search(&t.after)
                .expect("present label");
            dense[r][c] = t.count;
        }
        Ok(dense)
    }

    /// [`Migration::counts`] as shares of each segment before: where its customers went
    /// (`None` where the count or the segment's size is suppressed).
    pub fn shares(&self) -> Result<Vec<Vec<Option<f64>>>> {
        Ok(self
            .counts()?
            .into_iter()
            .zip(&self.before_sizes)
            .map(|(row, size)| {
                row.into_iter()
                    .map(|count| Some(count? as f64 / (*size)? as f64))
                    .collect()
            })
            .collect())
    }

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
            .filter(|&(_, (&b, &a))| b == from && a == to)
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
        for t in &m.transitions {
            assert_eq!(t.before, t.after);
            assert_eq!(t.share_of_before, Some(1.0));
        }
        let counts = m.counts().unwrap();
        let expected = [[2, 0, 0], [0, 1, 0], [0, 0, 3]];
        for (row, want) in counts.iter().zip(expected) {
            assert_eq!(*row, want.map(Some));
        }
        assert_eq!(m.stayed_share, 1.0);
        assert_eq!(m.adjusted_rand_index, 1.0);
    }

    #[test]
    fn movers_and_new_segments() {
        let before = [0, 0, 1, 1, 1];
        let after = [0, 3, 3, 1, 3];
        let m = migration(&before, &after).unwrap();
        assert_eq!(m.after_segments, [0, 1, 3]);
        assert_eq!(
            m.counts().unwrap(),
            vec![
                vec![Some(1), Some(0), Some(1)],
                vec![Some(0), Some(1), Some(2)]
            ]
        );
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
    fn many_distinct_labels_cost_memory_by_customers_not_labels() {
        // 200,000 distinct labels on each side: a dense table would hold 4e10 cells.
        let before: Vec<usize> = (0..200_000).collect();
        let after: Vec<usize> = (0..200_000).map(|i| (i * 7919) % 200_000).collect();
        let m = migration(&before, &after).unwrap();
        assert_eq!(m.transitions.len(), 200_000);
        assert!(matches!(m.counts(), Err(Error::InvalidParameter { .. })));
        assert!(matches!(
            migration_with(&before, &after, 10),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn protected_counts_cannot_be_recovered_from_the_sizes() {
        // 3 customers move from 0 to 1; every printed figure together must not give them away.
        let before: Vec<usize> = [vec![0; 33], vec![1; 40], vec![2; 50]].concat();
        let after: Vec<usize> = [vec![0; 30], vec![1; 3], vec![1; 40], vec![2; 50]].concat();
        let m = migration_with(&before, &after, 10).unwrap();
        let hidden: Vec<&Transition> = m.transitions.iter().filter(|t| t.count.is_none()).collect();
        assert!(hidden.iter().any(|t| (t.before, t.after) == (0, 1)));
        // Attacker: a row with exactly one hidden cell and a printed size recovers that cell.
        for (i, &segment) in m.before_segments.iter().enumerate() {
            let row: Vec<&Transition> = m
                .transitions
                .iter()
                .filter(|t| t.before == segment)
                .collect();
            let hidden_in_row = row.iter().filter(|t| t.count.is_none()).count();
            assert!(
                hidden_in_row != 1 || m.before_sizes[i].is_none(),
                "row {segment}"
            );
        }
        for (j, &segment) in m.after_segments.iter().enumerate() {
            let column: Vec<&Transition> = m
                .transitions
                .iter()
                .filter(|t| t.after == segment)
                .collect();
            let hidden_in_column = column.iter().filter(|t| t.count.is_none()).count();
            assert!(
                hidden_in_column != 1 || m.after_sizes[j].is_none(),
                "column {segment}"
            );
        }
        // The 50 who stayed in 2 describe a group and stay printed.
        assert!(m
            .transitions
            .iter()
            .any(|t| (t.before, t.after, t.count) == (2, 2, Some(50))));
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Migration>();
    }
}
