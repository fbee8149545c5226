//! Stable labels: deterministic cluster order and alignment of a new model's labels to a
//! previous model's by optimal matching of centers (Hungarian algorithm).

use super::algorithm::KMeans;
use crate::error::{Error, Result};
use crate::validation::{check_matrix, check_n_features};
use crate::Float;
use ndarray::ArrayView2;
use std::cmp::Ordering;

/// Permutation (old label -> new label) that numbers clusters by decreasing total weight, ties by
/// the lexicographic order of the centers, then by old label.
pub(crate) fn order_by_weight<F: Float>(centers: ArrayView2<F>, weights: &[F]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        weights[b]
            .partial_cmp(&weights[a])
            .unwrap_or(Ordering::Equal)
            .then_with(|| {
                centers
                    .row(a)
                    .iter()
                    .zip(centers.row(b).iter())
                    .map(|(u, v)| u.partial_cmp(v).unwrap_or(Ordering::Equal))
                    .find(|o| *o != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            })
            .then(a.cmp(&b))
    });
    let mut permutation = vec![0; order.len()];
    for (new, &old) in order.iter().enumerate() {
        permutation[old] = new;
    }
    permutation
}

/// Minimum-cost assignment of each row to a distinct column (`rows <= cols`), O(rows^2 cols):
/// the shortest augmenting path form of the Hungarian algorithm with potentials.
/// Returns `assignment[row] = column`.
fn hungarian(cost: &[Vec<f64>]) -> Vec<usize> {
    let n = cost.len();
    let m = cost.first().map_or(0, Vec::len);
    debug_assert!(n <= m, "hungarian needs rows <= columns");
    // 1-based arrays with a virtual column 0, as in the classic formulation.
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    let mut row_of_col = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for row in 1..=n {
        row_of_col[0] = row;
        let mut col0 = 0;
        let mut min_to = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[col0] = true;
            let r = row_of_col[col0];
            let mut delta = f64::INFINITY;
            let mut col1 = 0;
            for col in 1..=m {
                if !used[col] {
                    let reduced = cost[r - 1][col - 1] - u[r] - v[col];
                    if reduced < min_to[col] {
                        min_to[col] = reduced;
                        way[col] = col0;
                    }
                    if min_to[col] < delta {
                        delta = min_to[col];
                        col1 = col;
                    }
                }
            }
            for col in 0..=m {
                if used[col] {
                    u[row_of_col[col]] += delta;
                    v[col] -= delta;
                } else {
                    min_to[col] -= delta;
                }
            }
            col0 = col1;
            if row_of_col[col0] == 0 {
                break;
            }
        }
        loop {
            let col1 = way[col0];
            row_of_col[col0] = row_of_col[col1];
            col0 = col1;
            if col0 == 0 {
                break;
            }
        }
    }
    let mut assignment = vec![0; n];
    for col in 1..=m {
        if row_of_col[col] != 0 {
            assignment[row_of_col[col] - 1] = col - 1;
        }
    }
    assignment
}

/// Aligns a new clustering to a previous one: returns `permutation` with `permutation[j]` = the
/// label that new cluster `j` should take so that matched clusters keep the previous label.
///
/// Matching minimises the total squared distance between matched centers (Hungarian algorithm).
/// When the new model has more clusters, the unmatched new clusters get the labels
/// `k_previous, k_previous + 1, ...` in the order of their current label; when it has fewer,
/// some previous labels are simply unused.
///
/// ```
/// use ndarray::array;
/// use segcore::cluster::kmeans::align_labels;
/// let previous = array![[0.0, 0.0], [10.0, 10.0]];
/// let new = array![[9.5, 10.2], [0.3, -0.1]];
/// assert_eq!(align_labels(previous.view(), new.view())?, vec![1, 0]);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn align_labels<F: Float>(
    previous_centers: ArrayView2<F>,
    new_centers: ArrayView2<F>,
) -> Result<Vec<usize>> {
    check_matrix(previous_centers, "previous centers")?;
    check_matrix(new_centers, "new centers")?;
    check_n_features(new_centers, previous_centers.ncols(), "new centers")?;
    let (k_prev, k_new) = (previous_centers.nrows(), new_centers.nrows());
    let sq = |a: ndarray::ArrayView1<F>, b: ndarray::ArrayView1<F>| -> f64 {
        a.iter()
            .zip(b.iter())
            .map(|(&u, &v)| {
                let t = (u - v).to_f64().unwrap_or(f64::INFINITY);
                t * t
            })
            .sum()
    };
    let mut permutation = vec![usize::MAX; k_new];
    if k_new <= k_prev {
        let cost: Vec<Vec<f64>> = new_centers
            .outer_iter()
            .map(|c| previous_centers.outer_iter().map(|p| sq(c, p)).collect())
            .collect();
        permutation = hungarian(&cost);
    } else {
        let cost: Vec<Vec<f64>> = previous_centers
            .outer_iter()
            .map(|p| new_centers.outer_iter().map(|c| sq(c, p)).collect())
            .collect();
        for (prev, new) in hungarian(&cost).into_iter().enumerate() {
            permutation[new] = prev;
        }
        let unmatched = permutation.iter_mut().filter(|p| **p == usize::MAX);
        for (next, p) in (k_prev..).zip(unmatched) {
            *p = next;
        }
    }
    Ok(permutation)
}

impl<F: Float> KMeans<F> {
    /// This model with its labels renumbered to match `previous_centers` (same number of
    /// clusters and features) as closely as possible; see [`align_labels`].
    pub fn aligned_to(&self, previous_centers: ArrayView2<F>) -> Result<KMeans<F>> {
        if previous_centers.nrows() != self.n_clusters() {
            return Err(Error::ShapeMismatch {
                what: "previous centers (number of clusters)".into(),
                expected: self.n_clusters(),
                got: previous_centers.nrows(),
            });
        }
        let permutation = align_labels(previous_centers, self.cluster_centers())?;
        let mut model = self.clone();
        model.relabel(&permutation);
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn brute_force(cost: &[Vec<f64>]) -> f64 {
        fn go(cost: &[Vec<f64>], row: usize, used: &mut Vec<bool>) -> f64 {
            if row == cost.len() {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for c in 0..cost[0].len() {
                if !used[c] {
                    used[c] = true;
                    best = best.min(cost[row][c] + go(cost, row + 1, used));
                    used[c] = false;
                }
            }
            best
        }
        go(cost, 0, &mut vec![false; cost[0].len()])
    }

    #[test]
    fn hungarian_is_optimal_on_small_matrices() {
        let mut state = 12345u64;
        for trial in 0..50 {
            let rows = 1 + trial % 5;
            let cols = rows + trial % 3;
            let cost: Vec<Vec<f64>> = (0..rows)
                .map(|_| {
                    (0..cols)
                        .map(|_| {
                            state = state
                                .wrapping_mul(6364136223846793005)
                                .wrapping_add(1442695040888963407);
                            ((state >> 33) % 100) as f64
                        })
                        .collect()
                })
                .collect();
            let assignment = hungarian(&cost);
            let mut seen = vec![false; cols];
            for &c in &assignment {
                assert!(!seen[c], "column used twice");
                seen[c] = true;
            }
            let total: f64 = assignment
                .iter()
                .enumerate()
                .map(|(r, &c)| cost[r][c])
                .sum();
            assert_eq!(total, brute_force(&cost));
        }
    }

    #[test]
    fn align_handles_permutations_and_extra_clusters() {
        let previous = array![[0.0], [10.0], [20.0]];
        let new = array![[19.0], [1.0], [11.0]];
        assert_eq!(
            align_labels(previous.view(), new.view()).unwrap(),
            vec![2, 0, 1]
        );
        let more = array![[50.0], [19.0], [1.0], [11.0]];
        assert_eq!(
            align_labels(previous.view(), more.view()).unwrap(),
            vec![3, 2, 0, 1]
        );
        let fewer = array![[12.0], [-1.0]];
        assert_eq!(
            align_labels(previous.view(), fewer.view()).unwrap(),
            vec![1, 0]
        );
        let wrong = array![[1.0, 2.0]];
        assert!(matches!(
            align_labels(previous.view(), wrong.view()),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn order_by_weight_puts_largest_first() {
        let centers = array![[5.0], [1.0], [3.0]];
        let perm = order_by_weight(centers.view(), &[2.0, 7.0, 2.0]);
        // Cluster 1 is the heaviest; 0 and 2 tie on weight, so the smaller center (3.0) first.
        assert_eq!(perm, vec![2, 0, 1]);
    }
}
