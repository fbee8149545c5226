//! Migration forecast: where segments move next, from labelled snapshots of the same customers.
//!
//! The transitions between consecutive snapshots are pooled into one first-order Markov matrix
//! (row shares of the counts); the segment mix `h` periods ahead is the current mix times the
//! matrix to the power `h`, and a customer's probabilities for next period are the row of
//! their current segment.

use crate::error::{Error, Result};
use crate::profile::migration::MAX_PROTECTED_CELLS;
use crate::profile::privacy::protect_table;
use serde::{Deserialize, Serialize};

/// Transition counts and shares between segments and the forecast mix; see
/// [`migration_forecast`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MigrationForecast {
    /// Number of segments (labels `0..n_segments`).
    pub n_segments: usize,
    /// Pooled transitions `[from][to]`, `None` where the privacy rules hide the count (groups
    /// below the minimum size and the complements that would give them away).
    pub published_counts: Vec<Vec<Option<usize>>>,
    /// `published_counts` as shares of each row, `None` where the count is hidden.
    pub published_shares: Vec<Vec<Option<f64>>>,
    /// `mix[h]`: expected share of the customers in each segment `h` periods after the last
    /// snapshot (`mix[0]` is the last snapshot's mix).
    pub mix: Vec<Vec<f64>>,
    /// The Markov matrix (row shares of all counts; a segment nobody left from keeps its
    /// customers). Internal: with the segment sizes it reveals small counts, so reports print
    /// `published_shares`.
    transition: Vec<Vec<f64>>,
}

/// Longest forecast horizon (periods).
const MAX_HORIZON: usize = 10_000;

/// Pools the transitions of consecutive `snapshots` (each one label per customer, the same
/// customers in the same order) into a Markov matrix and forecasts the segment mix up to
/// `horizon` periods after the last snapshot. Counts below `min_group_size` (and their
/// complements, [`protect_table`]) are hidden in the published table.
///
/// ```
/// use segcore::clv::migration_forecast;
/// let before = [0, 0, 0, 0, 1, 1, 1, 1];
/// let after = [0, 0, 0, 1, 1, 1, 1, 1];
/// let f = migration_forecast(&[&before, &after], 2, 3, 1)?;
/// assert_eq!(f.published_counts[0], vec![Some(3), Some(1)]);
/// assert_eq!(f.mix[0], vec![0.375, 0.625]);
/// assert!((f.mix[1][0] - 0.375 * 0.75).abs() < 1e-12);
/// assert_eq!(f.next_probabilities(&[0])?, vec![vec![0.75, 0.25]]);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn migration_forecast(
    snapshots: &[&[usize]],
    n_segments: usize,
    horizon: usize,
    min_group_size: usize,
) -> Result<MigrationForecast> {
    if snapshots.len() < 2 {
        return Err(Error::invalid_parameter(
            "snapshots",
            snapshots.len(),
            "two labelled snapshots or more",
        ));
    }
    if horizon > MAX_HORIZON {
        return Err(Error::invalid_parameter(
            "horizon",
            horizon,
            format!("at most {MAX_HORIZON} periods"),
        ));
    }
    if n_segments == 0 {
        return Err(Error::invalid_parameter("n_segments", 0, "at least 1"));
    }
    // The transition matrix is dense (n_segments^2): bound it before allocating.
    if n_segments.saturating_mul(n_segments) > MAX_PROTECTED_CELLS {
        return Err(Error::invalid_parameter(
            "n_segments",
            n_segments,
            format!(
                "at most {MAX_PROTECTED_CELLS} cells in the transition matrix (2,048 segments)"
            ),
        ));
    }
    let n = snapshots[0].len();
    if n == 0 {
        return Err(Error::EmptyInput {
            what: "the snapshots have no customers".into(),
        });
    }
    for (k, labels) in snapshots.iter().enumerate() {
        if labels.len() != n {
            return Err(Error::ShapeMismatch {
                what: format!("snapshot {k} (one label per customer of snapshot 0)"),
                expected: n,
                got: labels.len(),
            });
        }
        if let Some(row) = labels.iter().position(|&l| l >= n_segments) {
            return Err(Error::invalid_parameter(
                "snapshots",
                format!("label {} in snapshot {k}, row {row}", labels[row]),
                format!("labels below n_segments = {n_segments}"),
            ));
        }
    }
    let mut counts = vec![0usize; n_segments * n_segments];
    for pair in snapshots.windows(2) {
        for (&from, &to) in pair[0].iter().zip(pair[1]) {
            counts[from * n_segments + to] += 1;
        }
    }
    let transition: Vec<Vec<f64>> = (0..n_segments)
        .map(|i| {
            let row = &counts[i * n_segments..(i + 1) * n_segments];
            let total: usize = row.iter().sum();
            if total == 0 {
                (0..n_segments)
                    .map(|j| f64::from(u8::from(i == j)))
                    .collect()
            } else {
                row.iter().map(|&c| c as f64 / total as f64).collect()
            }
        })
        .collect();
    let (hidden, _) = protect_table(
        &counts,
        n_segments,
        n_segments,
        min_group_size,
        &vec![false; n_segments],
    );
    let published_counts: Vec<Vec<Option<usize>>> = (0..n_segments)
        .map(|i| {
            (0..n_segments)
                .map(|j| (!hidden[i * n_segments + j]).then_some(counts[i * n_segments + j]))
                .collect()
        })
        .collect();
    let published_shares = (0..n_segments)
        .map(|i| {
            (0..n_segments)
                .map(|j| published_counts[i][j].map(|_| transition[i][j]))
                .collect()
        })
        .collect();
    let last = snapshots[snapshots.len() - 1];
    let mut current = vec![0.0; n_segments];
    for &l in last {
        current[l] += 1.0 / n as f64;
    }
    let mut mix = Vec::with_capacity(horizon + 1);
    mix.push(current);
    for _ in 0..horizon {
        let previous = mix.last().expect("mix starts with the last snapshot");
        let next = (0..n_segments)
            .map(|j| {
                (0..n_segments)
                    .map(|i| previous[i] * transition[i][j])
                    .sum()
            })
            .collect();
        mix.push(next);
    }
    Ok(MigrationForecast {
        n_segments,
        published_counts,
        published_shares,
        mix,
        transition,
    })
}

impl MigrationForecast {
    /// Each customer's probabilities of being in each segment next period, given their
    /// current segment (a customer-level output: export it as the CRM lists are exported).
    pub fn next_probabilities(&self, current: &[usize]) -> Result<Vec<Vec<f64>>> {
        current
            .iter()
            .enumerate()
            .map(|(row, &l)| {
                self.transition.get(l).cloned().ok_or_else(|| {
                    Error::invalid_parameter(
                        "labels",
                        format!("{l} at row {row}"),
                        format!("a segment below n_segments = {}", self.n_segments),
                    )
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_number_of_segments_is_an_error_not_an_allocation() {
        let labels = [0usize, 1];
        let err = migration_forecast(&[&labels, &labels], 1_000_000, 1, 1).unwrap_err();
        assert!(err.to_string().contains("n_segments"), "{err}");
    }

    #[test]
    fn pools_snapshots_hides_small_cells_and_forecasts() {
        let a: Vec<usize> = (0..40).map(|i| usize::from(i >= 20)).collect();
        let mut b = a.clone();
        b[0] = 1; // one mover 0 -> 1
        let mut c = b.clone();
        c[39] = 0; // one mover 1 -> 0
        let f = migration_forecast(&[&a, &b, &c], 2, 50, 5).unwrap();
        // Pooled: 0->0 19+19, 0->1 1+0, 1->1 20+20-1, 1->0 0+1; the 1s are hidden, and so are
        // their complements (a 2 x 2 table leaks them through row totals otherwise).
        assert_eq!(f.published_counts[0][1], None);
        assert_eq!(f.published_counts[1][0], None);
        let sum: f64 = f.mix[50].iter().sum();
        assert!((sum - 1.0).abs() < 1e-12);
        // The chain is symmetric enough to settle near half and half.
        assert!((f.mix[50][0] - 0.5).abs() < 0.1, "{:?}", f.mix[50]);
        assert!(f.next_probabilities(&[2]).is_err());
        assert!(migration_forecast(&[&a], 2, 1, 5).is_err());
        assert!(migration_forecast(&[&a, &b[1..]], 2, 1, 5).is_err());
        assert!(migration_forecast(&[&a, &b], 1, 1, 5).is_err());
    }

    #[test]
    fn is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MigrationForecast>();
    }
}
