//! [`Linkage`]: the merge tree in scipy's format, and its cuts into flat segments.

use super::nn_chain::{ward_chain, ChainResult};
use crate::error::{Error, Result};
use crate::validation::{check_matrix, check_sample_weight};
use crate::Float;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// Marks "no flat cluster yet" while cutting.
const UNASSIGNED: usize = usize::MAX;

/// A hierarchical merge tree in scipy's linkage format.
///
/// Row `i` of the (n - 1) x 4 matrix is merge `i`: the two clusters joined (smaller id first),
/// the merge height and the number of original observations in the new cluster, which gets id
/// `n + i`; ids below `n` are the leaves (rows of the data). Rows are sorted by height, so
/// `scipy.cluster.hierarchy.dendrogram`, `fcluster`, `cophenet` etc. accept the matrix as is.
///
/// With `sample_weight`, Ward's formula uses the weight sums as cluster sizes but column 3 still
/// counts observations (rows), as scipy's tools expect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Linkage {
    matrix: Array2<f64>,
}

/// One step of [`Linkage::n_clusters_by_height`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterCountStep {
    /// A merge height of the tree.
    pub height: f64,
    /// Number of flat clusters when cutting at any height from `height` up to (not including)
    /// the next step's height (scipy `fcluster(criterion='distance')`).
    pub n_clusters: usize,
}

/// Ward linkage of the rows of `x`, as `scipy.cluster.hierarchy.linkage(x, method='ward')`.
///
/// Memory is O(n * d) (no distance matrix): a nearest-neighbour chain over cluster centroids.
/// Time is O(n^2 * d) (measured figure in the module documentation). The heights equal scipy's
/// within 1e-12 relative (measured: at most 3e-15 on blobs, noise and the Wholesale data)
/// (they come from centroids rather than scipy's Lance-Williams updates, so the last bits can
/// differ); merges are found with scipy's own rules, so with exactly tied distances the tree
/// is scipy's (see the module documentation).
///
/// `sample_weight` (finite, > 0) makes a row stand for that many customers: the Ward sizes are
/// weight sums, so integer weights give the same merge heights as repeating rows (minus the zero-
/// height merges of the repeats).
///
/// # Example
/// ```
/// use ndarray::array;
/// use segcore::cluster::ward::ward_linkage;
///
/// let x = array![[0.0], [1.0], [3.0], [7.0], [15.0]];
/// let tree = ward_linkage(x.view(), None).unwrap();
/// let z = tree.as_scipy_matrix();
/// assert_eq!((z[[0, 0]], z[[0, 1]], z[[0, 2]], z[[0, 3]]), (0.0, 1.0, 1.0, 2.0));
/// assert_eq!(tree.cut_n_clusters(2).unwrap().to_vec(), vec![0, 0, 0, 0, 1]);
/// ```
pub fn ward_linkage<F: Float>(
    x: ArrayView2<F>,
    sample_weight: Option<ArrayView1<F>>,
) -> Result<Linkage> {
    ward_linkage_with_progress(x, sample_weight, &mut |_, _| {})
}

/// [`ward_linkage`] reporting progress: `progress(merges_done, merges_total)` is called about
/// every 1% of the merges (from the calling thread), e.g. to drive a progress bar.
pub fn ward_linkage_with_progress<F: Float>(
    x: ArrayView2<F>,
    sample_weight: Option<ArrayView1<F>>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Linkage> {
    let input = WardInput::new(x, sample_weight)?;
    let counts = vec![1.0; input.weights.len()];
    let result = ward_chain(
        input.points,
        input.n_features,
        input.weights,
        &counts,
        progress,
    )?;
    Linkage::from_chain(&result)
}

/// Validated input converted to the f64 row-major block the chain works on.
pub(crate) struct WardInput {
    pub(crate) points: Vec<f64>,
    pub(crate) weights: Vec<f64>,
    pub(crate) n_features: usize,
}

impl WardInput {
    pub(crate) fn new<F: Float>(
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<Self> {
        check_matrix(x, "X")?;
        let n = x.nrows();
        if n < 2 {
            // As scipy: a tree needs two observations to merge.
            return Err(Error::EmptyInput {
                what: format!("X has n_samples = {n}; Ward clustering needs at least 2"),
            });
        }
        let weights = match sample_weight {
            None => vec![1.0; n],
            Some(w) => {
                check_sample_weight(w, n)?;
                let weights: Vec<f64> = w.iter().map(|&v| to_f64(v)).collect();
                if let Some(row) = weights.iter().position(|&v| v <= 0.0) {
                    // A zero weight has no size in Ward's formula (0/0 distances): the row has no
                    // place in the tree, so the caller should drop it.
                    return Err(Error::InvalidWeights {
                        reason: format!(
                            "weight at row {row} is 0; Ward needs every weight > 0 (drop \
                             zero-weight rows before fitting)"
                        ),
                    });
                }
                weights
            }
        };
        let points: Vec<f64> = x.iter().map(|&v| to_f64(v)).collect();
        if points.iter().any(|v| v.abs() > 1e150) {
            // Squared distances of such values overflow to infinity.
            return Err(Error::Numerical {
                reason: "X has values above 1e150 in magnitude, whose squared distances \
                         overflow; rescale the features"
                    .into(),
            });
        }
        // Ward's merge cost is (w_a w_b / (w_a + w_b)) |c_a - c_b|^2 and the weights add up the
        // tree: the total weight times the largest squared distance must stay finite, or the
        // costs become inf - inf = NaN and no merge is the smallest.
        let total_weight: f64 = weights.iter().sum();
        let largest = points.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let reach = (2.0 * largest).powi(2) * x.ncols() as f64;
        if !total_weight.is_finite() || !(total_weight * reach.max(1.0)).is_finite() {
            return Err(Error::InvalidWeights {
                reason: format!(
                    "the weights sum to {total_weight:e}, which times the squared distances \
                     of this data overflows f64; divide every weight by the same factor \
                     (Ward's merges do not change when all weights are scaled alike)"
                ),
            });
        }
        Ok(WardInput {
            points,
            weights,
            n_features: x.ncols(),
        })
    }
}

pub(crate) fn to_f64<F: Float>(v: F) -> f64 {
    v.to_f64()
        .expect("segcore::Float (f32 or f64) always converts to f64")
}

impl Linkage {
    pub(crate) fn from_chain(result: &ChainResult) -> Result<Self> {
        let rows = result.linkage.len();
        let flat: Vec<f64> = result.linkage.iter().flatten().copied().collect();
        if let Some(h) = flat.chunks_exact(4).map(|r| r[2]).find(|h| !h.is_finite()) {
            return Err(Error::Numerical {
                reason: format!("a Ward merge height is {h}; rescale the features"),
            });
        }
        let matrix =
            Array2::from_shape_vec((rows, 4), flat).expect("the chain returns 4 values per merge");
        Ok(Linkage { matrix })
    }

    /// Checks and wraps a scipy linkage matrix (e.g. one computed by scipy or loaded from disk):
    /// (n - 1) x 4, children are earlier nodes used once, heights finite and sorted.
    pub fn from_scipy_matrix(matrix: Array2<f64>) -> Result<Self> {
        if matrix.ncols() != 4 {
            return Err(Error::ShapeMismatch {
                what: "linkage matrix (columns)".into(),
                expected: 4,
                got: matrix.ncols(),
            });
        }
        let n = matrix.nrows() + 1;
        let mut used = vec![false; 2 * n - 1];
        let mut previous = f64::NEG_INFINITY;
        let bad = |row: usize, why: &str| Error::ModelFormat {
            reason: format!("linkage row {row}: {why}"),
        };
        for (i, row) in matrix.outer_iter().enumerate() {
            let (a, b, h, c) = (row[0], row[1], row[2], row[3]);
            for child in [a, b] {
                if !(child >= 0.0 && child.fract() == 0.0 && child < (n + i) as f64) {
                    return Err(bad(i, "a child id is not an earlier node"));
                }
                if std::mem::replace(&mut used[child as usize], true) {
                    return Err(bad(i, "a child is merged twice"));
                }
            }
            if !(h.is_finite() && h >= previous) {
                return Err(bad(i, "heights must be finite and sorted ascending"));
            }
            if !(c.is_finite() && c > 0.0) {
                return Err(bad(i, "the observation count must be > 0"));
            }
            previous = h;
        }
        Ok(Linkage { matrix })
    }

    /// The (n - 1) x 4 matrix in scipy's format.
    pub fn as_scipy_matrix(&self) -> ArrayView2<'_, f64> {
        self.matrix.view()
    }

    /// Unwraps the (n - 1) x 4 matrix in scipy's format.
    pub fn into_scipy_matrix(self) -> Array2<f64> {
        self.matrix
    }

    /// Number of leaves (rows of the data, or micro-clusters in the two-stage mode).
    pub fn n_leaves(&self) -> usize {
        self.matrix.nrows() + 1
    }

    /// Merge heights, ascending (column 2).
    pub fn heights(&self) -> ArrayView1<'_, f64> {
        self.matrix.column(2)
    }

    /// The two children of merge `i` (node `n_leaves + i`).
    pub(crate) fn children(&self, merge: usize) -> (usize, usize) {
        (
            self.matrix[[merge, 0]] as usize,
            self.matrix[[merge, 1]] as usize,
        )
    }

    /// Flat cluster labels for `k` clusters, as scipy `fcluster(Z, k, criterion='maxclust')` up
    /// to renaming: the lowest cut height giving at most `k` clusters. Fewer than `k` clusters
    /// come out only when merge heights tie exactly at the cut; `k >= n_leaves` keeps every leaf
    /// apart. Labels are 0.. in order of first appearance along the leaves.
    pub fn cut_n_clusters(&self, k: usize) -> Result<Array1<usize>> {
        let merges = self.merges_for_n_clusters(k)?;
        Ok(self.flat_clusters(merges).0)
    }

    /// Flat cluster labels when cutting at `height`, as scipy
    /// `fcluster(Z, height, criterion='distance')` up to renaming: clusters merged at a height
    /// `<= height` share a label. Labels are 0.. in order of first appearance along the leaves.
    pub fn cut_height(&self, height: f64) -> Result<Array1<usize>> {
        let merges = self.merges_up_to_height(height)?;
        Ok(self.flat_clusters(merges).0)
    }

    /// Number of flat clusters against cut height, one step per distinct merge height,
    /// ascending: the curve analysts read to choose k (look for a long step). Cutting below the
    /// first step keeps every leaf apart.
    pub fn n_clusters_by_height(&self) -> Vec<ClusterCountStep> {
        let n = self.n_leaves();
        let heights = self.heights();
        let mut steps: Vec<ClusterCountStep> = Vec::new();
        for (i, &height) in heights.iter().enumerate() {
            let step = ClusterCountStep {
                height,
                n_clusters: n - (i + 1),
            };
            match steps.last_mut() {
                Some(last) if last.height == height => *last = step,
                _ => steps.push(step),
            }
        }
        steps
    }

    /// How many of the sorted merges `cut_n_clusters(k)` applies.
    pub(crate) fn merges_for_n_clusters(&self, k: usize) -> Result<usize> {
        if k == 0 {
            return Err(Error::invalid_parameter("n_clusters", k, "an integer >= 1"));
        }
        let n = self.n_leaves();
        if k >= n {
            return Ok(0);
        }
        // The (n - k)-th merge's height, and every merge tied with it (scipy's threshold search).
        let threshold = self.matrix[[n - k - 1, 2]];
        Ok(self
            .heights()
            .iter()
            .take_while(|&&h| h <= threshold)
            .count())
    }

    /// How many of the sorted merges have a height `<= height`.
    pub(crate) fn merges_up_to_height(&self, height: f64) -> Result<usize> {
        if height.is_nan() {
            return Err(Error::invalid_parameter(
                "height",
                height,
                "a number (not NaN)",
            ));
        }
        Ok(self.heights().iter().take_while(|&&h| h <= height).count())
    }

    /// How many of the sorted merges have a height strictly below `threshold`
    /// (scikit-learn's `distance_threshold`).
    pub(crate) fn merges_below(&self, threshold: f64) -> usize {
        self.heights()
            .iter()
            .take_while(|&&h| h < threshold)
            .count()
    }

    /// Applies the first `merges` merges: per leaf its flat-cluster label (0.. by first
    /// appearance) and per label the tree node it is.
    pub(crate) fn flat_clusters(&self, merges: usize) -> (Array1<usize>, Vec<usize>) {
        let n = self.n_leaves();
        let root = 2 * n - 2;
        // Top-down: a node's flat cluster is its highest applied ancestor (or itself when
        // applied, or a leaf under an unapplied merge). Children always have smaller ids.
        let mut cluster_of = vec![UNASSIGNED; 2 * n - 1];
        cluster_of[root] = if merges == n - 1 { root } else { UNASSIGNED };
        if n == 1 {
            cluster_of[0] = 0;
        }
        for merge in (0..n - 1).rev() {
            let node = n + merge;
            let (a, b) = self.children(merge);
            for child in [a, b] {
                cluster_of[child] = if merge < merges {
                    cluster_of[node]
                } else if child < n || child - n < merges {
                    child
                } else {
                    UNASSIGNED
                };
            }
        }
        let mut label_of_node = vec![UNASSIGNED; 2 * n - 1];
        let mut segment_nodes = Vec::new();
        let labels = (0..n)
            .map(|leaf| {
                let node = cluster_of[leaf];
                debug_assert_ne!(node, UNASSIGNED, "every leaf has a flat cluster");
                if label_of_node[node] == UNASSIGNED {
                    label_of_node[node] = segment_nodes.len();
                    segment_nodes.push(node);
                }
                label_of_node[node]
            })
            .collect();
        (labels, segment_nodes)
    }

    /// Leaves under `node`, ascending.
    pub(crate) fn leaves_of(&self, node: usize) -> Vec<usize> {
        let n = self.n_leaves();
        let mut leaves = Vec::new();
        let mut stack = vec![node];
        while let Some(v) = stack.pop() {
            if v < n {
                leaves.push(v);
            } else {
                let (a, b) = self.children(v - n);
                stack.push(a);
                stack.push(b);
            }
        }
        leaves.sort_unstable();
        leaves
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    #[test]
    fn overflowing_weights_are_an_error_not_a_panic() {
        let x = random_points(30, 3, 4);
        let w = ndarray::Array1::from_elem(30, 1e308);
        let result = ward_linkage(x.view(), Some(w.view()));
        assert!(
            matches!(result, Err(Error::InvalidWeights { .. })),
            "{result:?}"
        );
        // The same data with weights scaled alike merges the same way.
        let small = ndarray::Array1::from_elem(30, 2.0);
        assert!(ward_linkage(x.view(), Some(small.view())).is_ok());
    }

    fn random_points(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        Array2::from_shape_fn((n, d), |_| rng.gen_range(-5.0..5.0))
    }

    /// Textbook greedy Ward, O(n^3): merge the pair with the smallest increase of the weighted
    /// within-cluster sum of squares, recomputed from the members each time. Returns the merge
    /// heights and the partition (cluster id per point) after each merge.
    fn brute_force_ward(x: &Array2<f64>, w: &[f64]) -> (Vec<f64>, Vec<Vec<usize>>) {
        let n = x.nrows();
        let mut clusters: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
        let centroid = |members: &[usize]| {
            let total: f64 = members.iter().map(|&i| w[i]).sum();
            let mut c = vec![0.0; x.ncols()];
            for &i in members {
                for (j, v) in c.iter_mut().enumerate() {
                    *v += w[i] * x[[i, j]] / total;
                }
            }
            (c, total)
        };
        let mut heights = Vec::new();
        let mut partitions = Vec::new();
        while clusters.len() > 1 {
            let mut best = (f64::INFINITY, 0, 0);
            for a in 0..clusters.len() {
                for b in a + 1..clusters.len() {
                    let (ca, wa) = centroid(&clusters[a]);
                    let (cb, wb) = centroid(&clusters[b]);
                    let sq: f64 = ca.iter().zip(&cb).map(|(p, q)| (p - q) * (p - q)).sum();
                    let h = (2.0 * wa * wb / (wa + wb) * sq).sqrt();
                    if h < best.0 {
                        best = (h, a, b);
                    }
                }
            }
            let merged = clusters.remove(best.2);
            clusters[best.1].extend(merged);
            heights.push(best.0);
            let mut partition = vec![0; n];
            for (id, members) in clusters.iter().enumerate() {
                for &i in members {
                    partition[i] = id;
                }
            }
            partitions.push(partition);
        }
        (heights, partitions)
    }

    fn same_partition(a: &[usize], b: &[usize]) -> bool {
        let mut forward = std::collections::HashMap::new();
        let mut backward = std::collections::HashMap::new();
        a.iter().zip(b).all(|(&p, &q)| {
            *forward.entry(p).or_insert(q) == q && *backward.entry(q).or_insert(p) == p
        })
    }

    fn assert_matches_brute_force(x: &Array2<f64>, w: Option<&[f64]>) {
        let n = x.nrows();
        let ones = vec![1.0; n];
        let weights = w.unwrap_or(&ones);
        let weight_view = w.map(ArrayView1::from);
        let tree = ward_linkage(x.view(), weight_view).unwrap();
        let (heights, partitions) = brute_force_ward(x, weights);
        for (i, (&h, &expected)) in tree.heights().iter().zip(&heights).enumerate() {
            assert!(
                (h - expected).abs() <= 1e-10 * expected,
                "merge {i}: height {h} vs brute force {expected}"
            );
        }
        for k in 1..n {
            let labels = tree.cut_n_clusters(k).unwrap();
            assert!(
                same_partition(labels.as_slice().unwrap(), &partitions[n - 1 - k]),
                "k = {k}"
            );
        }
    }

    #[test]
    fn matches_brute_force_ward() {
        for seed in 0..4 {
            assert_matches_brute_force(&random_points(25, 3, seed), None);
        }
        assert_matches_brute_force(&random_points(12, 1, 9), None);
    }

    #[test]
    fn weighted_matches_brute_force_ward() {
        let mut rng = Xoshiro256Plus::seed_from_u64(11);
        for seed in 0..3 {
            let w: Vec<f64> = (0..20).map(|_| rng.gen_range(0.2..4.0)).collect();
            assert_matches_brute_force(&random_points(20, 2, 100 + seed), Some(&w));
        }
    }

    #[test]
    fn integer_weights_equal_repeated_rows() {
        let x = random_points(30, 3, 5);
        let w: Vec<f64> = (0..30).map(|i| (1 + i % 3) as f64).collect();
        let weighted = ward_linkage(x.view(), Some(ArrayView1::from(&w))).unwrap();
        let rows: Vec<usize> = (0..30)
            .flat_map(|i| std::iter::repeat_n(i, w[i] as usize))
            .collect();
        let repeated = x.select(ndarray::Axis(0), &rows);
        let plain = ward_linkage(repeated.view(), None).unwrap();
        let extra = rows.len() - 30;
        // The repeats first merge at height 0, then the trees coincide.
        assert!(plain.heights().iter().take(extra).all(|&h| h == 0.0));
        for (a, b) in weighted
            .heights()
            .iter()
            .zip(plain.heights().iter().skip(extra))
        {
            assert!((a - b).abs() <= 1e-10 * b, "{a} vs {b}");
        }
        for k in 1..=30 {
            let by_weight = weighted.cut_n_clusters(k).unwrap();
            let by_repeat = plain.cut_n_clusters(k).unwrap();
            let expanded: Vec<usize> = rows.iter().map(|&i| by_weight[i]).collect();
            assert!(
                same_partition(&expanded, by_repeat.as_slice().unwrap()),
                "k = {k}"
            );
        }
        // Column 3 counts rows, not weights.
        assert_eq!(weighted.as_scipy_matrix()[[28, 3]], 30.0);
    }

    #[test]
    fn tree_is_valid_monotone_and_counts_observations() {
        let x = random_points(300, 4, 3);
        let tree = ward_linkage(x.view(), None).unwrap();
        let z = tree.as_scipy_matrix();
        assert_eq!(z.dim(), (299, 4));
        assert!(tree.heights().windows(2).into_iter().all(|h| h[0] <= h[1]));
        for i in 0..299 {
            let (a, b) = tree.children(i);
            let count = |node: usize| if node < 300 { 1.0 } else { z[[node - 300, 3]] };
            assert!(a < b);
            assert_eq!(z[[i, 3]], count(a) + count(b));
        }
        assert_eq!(z[[298, 3]], 300.0);
        // A valid scipy matrix round-trips through the checked constructor.
        assert_eq!(Linkage::from_scipy_matrix(z.to_owned()).unwrap(), tree);
    }

    #[test]
    fn scipy_numbers_and_cuts() {
        // scipy.cluster.hierarchy.linkage(x, 'ward') and fcluster, computed with scipy 1.17.1.
        let x = array![[0.0], [1.0], [3.0], [7.0], [15.0]];
        let tree = ward_linkage(x.view(), None).unwrap();
        let expected = [
            [0.0, 1.0, 1.0, 2.0],
            [2.0, 5.0, 2.886_751_35, 3.0],
            [3.0, 6.0, 6.940_220_94, 4.0],
            [4.0, 7.0, 15.495_160_53, 5.0],
        ];
        for (row, want) in tree.as_scipy_matrix().outer_iter().zip(expected) {
            for j in 0..4 {
                assert!((row[j] - want[j]).abs() < 1e-8, "{row} vs {want:?}");
            }
        }
        assert_eq!(
            tree.cut_n_clusters(3).unwrap().to_vec(),
            vec![0, 0, 0, 1, 2]
        );
        assert_eq!(
            tree.cut_n_clusters(9).unwrap().to_vec(),
            vec![0, 1, 2, 3, 4]
        );
        // fcluster 'distance': merges at heights <= t are applied.
        assert_eq!(tree.cut_height(1.0).unwrap().to_vec(), vec![0, 0, 1, 2, 3]);
        assert_eq!(tree.cut_height(0.5).unwrap().to_vec(), vec![0, 1, 2, 3, 4]);
        assert!(tree.cut_height(f64::NAN).is_err());
        assert!(tree.cut_n_clusters(0).is_err());

        // Tied heights: scipy's maxclust gives 3 clusters for k = 3, 4, 5 and 6 for k = 6.
        let x = array![[0.0], [1.0], [10.0], [11.0], [20.0], [21.0]];
        let tree = ward_linkage(x.view(), None).unwrap();
        let z = tree.as_scipy_matrix();
        assert_eq!(
            (
                z[[0, 0]],
                z[[0, 1]],
                z[[1, 0]],
                z[[1, 1]],
                z[[2, 0]],
                z[[2, 1]]
            ),
            (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)
        );
        assert_eq!(
            (z[[3, 0]], z[[3, 1]], z[[4, 0]], z[[4, 1]]),
            (6.0, 7.0, 8.0, 9.0)
        );
        for k in 3..=5 {
            assert_eq!(
                tree.cut_n_clusters(k).unwrap().to_vec(),
                vec![0, 0, 1, 1, 2, 2]
            );
        }
        assert_eq!(
            tree.cut_n_clusters(6).unwrap().to_vec(),
            vec![0, 1, 2, 3, 4, 5]
        );
        let steps = tree.n_clusters_by_height();
        assert_eq!(steps.len(), 3);
        assert_eq!((steps[0].height, steps[0].n_clusters), (1.0, 3));
        assert_eq!(steps[2].n_clusters, 1);
    }

    #[test]
    fn duplicates_merge_at_zero_height_like_scipy() {
        // scipy: [[0, 1, 0, 2], [2, 3, 5.77350269, 3]].
        let x = array![[0.0], [0.0], [5.0]];
        let tree = ward_linkage(x.view(), None).unwrap();
        let z = tree.as_scipy_matrix();
        assert_eq!((z[[0, 0]], z[[0, 1]], z[[0, 2]]), (0.0, 1.0, 0.0));
        assert!((z[[1, 2]] - 5.773_502_69).abs() < 1e-8);
        assert_eq!(tree.cut_height(0.0).unwrap().to_vec(), vec![0, 0, 1]);
        // Three identical rows with weights 1 and 2 still tie at exactly 0.
        let x = array![[0.3, 0.7], [0.3, 0.7], [0.3, 0.7], [1.0, 1.0]];
        let tree = ward_linkage(x.view(), None).unwrap();
        assert_eq!(tree.heights()[1], 0.0);
    }

    #[test]
    fn progress_reaches_every_merge_in_order() {
        let x = random_points(250, 3, 4);
        let mut seen = Vec::new();
        let with_progress =
            ward_linkage_with_progress(x.view(), None, &mut |done, total| seen.push((done, total)))
                .unwrap();
        assert_eq!(with_progress, ward_linkage(x.view(), None).unwrap());
        assert_eq!(seen.last(), Some(&(249, 249)));
        assert!(
            seen.len() >= 100 && seen.len() <= 250,
            "{} reports",
            seen.len()
        );
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn bit_identical_on_one_and_two_threads() {
        // Large enough that the scans of the first ~950 merges run in parallel on two chunks of
        // rows (2,048 rows x 16 features reach the test threshold of 2^15 values).
        let x = random_points(3000, 16, 21);
        let run =
            |threads| crate::testing::on_threads(threads, || ward_linkage(x.view(), None).unwrap());
        let (one, two) = (run(1), run(2));
        let bits = |t: &Linkage| {
            t.as_scipy_matrix()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&one), bits(&two));
    }

    #[test]
    fn f32_input_and_single_row() {
        let x = random_points(40, 2, 8).mapv(|v| v as f32);
        let tree32 = ward_linkage(x.view(), None).unwrap();
        let tree64 = ward_linkage(x.mapv(f64::from).view(), None).unwrap();
        assert_eq!(tree32, tree64);
        let one = ward_linkage(array![[1.0, 2.0]].view(), None);
        assert!(matches!(one, Err(Error::EmptyInput { .. })), "{one:?}");
        let two = ward_linkage(array![[1.0, 2.0], [1.0, 2.0]].view(), None).unwrap();
        assert_eq!(two.n_leaves(), 2);
        assert_eq!(two.cut_n_clusters(1).unwrap().to_vec(), vec![0, 0]);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let x = array![[1.0, f64::NAN], [0.0, 0.0]];
        assert!(matches!(
            ward_linkage(x.view(), None),
            Err(Error::NonFiniteValue { .. })
        ));
        let x = array![[1.0, 2.0], [0.0, 0.0]];
        let w = array![1.0, 0.0];
        assert!(matches!(
            ward_linkage(x.view(), Some(w.view())),
            Err(Error::InvalidWeights { .. })
        ));
        let empty = Array2::<f64>::zeros((0, 2));
        assert!(matches!(
            ward_linkage(empty.view(), None),
            Err(Error::EmptyInput { .. })
        ));
        let huge = array![[1e200], [0.0]];
        assert!(matches!(
            ward_linkage(huge.view(), None),
            Err(Error::Numerical { .. })
        ));
        let mut z = ward_linkage(array![[0.0], [1.0], [3.0]].view(), None)
            .unwrap()
            .into_scipy_matrix();
        z[[1, 1]] = 7.0;
        assert!(matches!(
            Linkage::from_scipy_matrix(z),
            Err(Error::ModelFormat { .. })
        ));
    }

    #[test]
    fn linkage_is_send_sync_and_serde() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Linkage>();
        let tree = ward_linkage(random_points(10, 2, 1).view(), None).unwrap();
        let json = serde_json::to_string(&tree).unwrap();
        assert_eq!(serde_json::from_str::<Linkage>(&json).unwrap(), tree);
    }
}
