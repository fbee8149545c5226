//! Rows grouped by segment label, in O(n) and deterministically: the one grouping every
//! profile table, fairness check and rule learner works on.

use crate::data::{Column, CustomerTable};
use crate::error::{Error, Result};

/// Largest segment label accepted: a segmentation into more groups than this is not a
/// segmentation a team can read, and the dense label maps stay small.
pub const MAX_SEGMENT_LABEL: usize = 65_535;

/// Rows grouped by segment: `rows[offsets[s]..offsets[s + 1]]` are segment `s`'s rows in table
/// order (a counting sort, so grouping is O(n) and deterministic).
pub(crate) struct Groups {
    /// Labels of the segments present, ascending.
    pub labels: Vec<usize>,
    /// Segment index of every row.
    pub index: Vec<u32>,
    pub offsets: Vec<usize>,
    pub rows: Vec<u32>,
}

impl Groups {
    /// Groups `labels` (checked: below [`MAX_SEGMENT_LABEL`], rows fit in `u32`).
    pub(crate) fn new(labels: &[usize]) -> Result<Groups> {
        if labels.is_empty() {
            return Err(Error::EmptyInput {
                what: "no customers to profile (labels is empty)".into(),
            });
        }
        if labels.len() > u32::MAX as usize {
            return Err(Error::invalid_parameter(
                "labels",
                labels.len(),
                format!("at most {} customers", u32::MAX),
            ));
        }
        if let Some((row, &label)) = labels
            .iter()
            .enumerate()
            .find(|&(_, &l)| l > MAX_SEGMENT_LABEL)
        {
            return Err(Error::invalid_parameter(
                "labels",
                format!("{label} at row {row}"),
                format!("segment labels in 0..={MAX_SEGMENT_LABEL}"),
            ));
        }
        let max = labels.iter().copied().max().unwrap_or(0);
        let mut counts = vec![0usize; max + 1];
        for &l in labels {
            counts[l] += 1;
        }
        let present: Vec<usize> = (0..=max).filter(|&l| counts[l] > 0).collect();
        let mut dense = vec![u32::MAX; max + 1];
        for (i, &l) in present.iter().enumerate() {
            dense[l] = i as u32;
        }
        let index: Vec<u32> = labels.iter().map(|&l| dense[l]).collect();
        let mut offsets = vec![0usize; present.len() + 1];
        for (i, &l) in present.iter().enumerate() {
            offsets[i + 1] = offsets[i] + counts[l];
        }
        let mut next = offsets.clone();
        let mut rows = vec![0u32; labels.len()];
        for (row, &s) in index.iter().enumerate() {
            rows[next[s as usize]] = row as u32;
            next[s as usize] += 1;
        }
        Ok(Groups {
            labels: present,
            index,
            offsets,
            rows,
        })
    }

    /// Groups the customers of `table` by `labels`, one label a customer (checked as
    /// [`Groups::new`]).
    pub(crate) fn of_table(table: &CustomerTable, labels: &[usize]) -> Result<Groups> {
        if labels.len() != table.n_customers() {
            return Err(Error::ShapeMismatch {
                what: "labels (one segment label per customer of the table)".into(),
                expected: table.n_customers(),
                got: labels.len(),
            });
        }
        Groups::new(labels)
    }

    pub(crate) fn n_segments(&self) -> usize {
        self.labels.len()
    }

    pub(crate) fn rows_of(&self, segment: usize) -> &[u32] {
        &self.rows[self.offsets[segment]..self.offsets[segment + 1]]
    }

    pub(crate) fn size(&self, segment: usize) -> usize {
        self.offsets[segment + 1] - self.offsets[segment]
    }

    /// Segments whose figures are suppressed under `min_group_size`, complements included
    /// ([`super::privacy::hidden_groups`]).
    pub(crate) fn hidden(&self, min_group_size: usize) -> Vec<bool> {
        let sizes: Vec<usize> = (0..self.n_segments()).map(|s| self.size(s)).collect();
        super::privacy::hidden_groups(&sizes, min_group_size)
    }
}

/// The columns of `table` a profile or the rule learner reads: those `names` (each must be one
/// of the table's), else all of them.
pub(crate) fn table_columns<'t>(
    table: &'t CustomerTable,
    names: Option<&[String]>,
) -> Result<Vec<&'t Column>> {
    match names {
        Some(names) => names.iter().map(|n| table.column(n)).collect(),
        None => Ok(table.columns().iter().collect()),
    }
}
