//! Fitting Ward and the fitted model [`Ward`]: segments, centroids, prediction, re-cuts, splits.

use super::hyperparams::{WardParams, WardValidParams};
use super::linkage::{to_f64, Linkage, WardInput};
use super::nn_chain::ward_chain;
use super::two_stage::micro_clusters;
use crate::error::{Error, Result};
use crate::validation::{check_matrix, check_n_features};
use crate::Float;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows per parallel work item in [`Ward::predict`].
const PREDICT_ROWS_PER_CHUNK: usize = 4096;

/// A fitted Ward segmentation: the merge tree, the current cut into segments, and the centroid
/// of every tree node so segments can be re-cut or split without touching the data again.
///
/// Labels are `0..n_clusters()`, numbered in order of first appearance along the rows of the
/// training data. New customers are assigned to the nearest segment centroid (Euclidean), the
/// natural reading of Ward's criterion for a point that was not in the tree; ties go to the
/// smaller label.
///
/// The model keeps one centroid per tree node ((2 n_leaves - 1) x n_features f64s), so its
/// memory and serialised size are O(n * d) like the fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ward {
    linkage: Linkage,
    /// Centroid of every tree node in scipy's numbering: leaves first, then merge i at n + i.
    node_centroids: Array2<f64>,
    /// Weight (Ward size) of every tree node, same numbering.
    node_weights: Array1<f64>,
    /// Two-stage mode only: the micro-cluster (leaf) of every training row.
    leaf_of_row: Option<Array1<usize>>,
    /// Segment of every training row.
    labels: Array1<usize>,
    /// Tree node of every segment.
    segment_nodes: Vec<usize>,
    /// Centroid of every segment (rows of `node_centroids`, kept for fast prediction).
    centroids: Array2<f64>,
}

impl WardParams {
    /// Checks the parameters and fits Ward on the rows of `x` (see [`WardValidParams::fit`]).
    ///
    /// # Example
    /// ```
    /// use ndarray::array;
    /// use segcore::cluster::ward::WardParams;
    ///
    /// let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0], [5.0, 5.2]];
    /// let model = WardParams::new(2).fit(x.view(), None).unwrap();
    /// assert_eq!(model.labels().to_vec(), vec![0, 0, 1, 1, 1]);
    /// assert_eq!(model.predict(array![[4.0, 4.5]].view()).unwrap().to_vec(), vec![1]);
    /// // Split segment 1 into two sub-segments without recomputing the tree.
    /// let finer = model.split_segment(1, 2).unwrap();
    /// assert_eq!(finer.n_clusters(), 3);
    /// ```
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<Ward> {
        self.check()?.fit(x, sample_weight)
    }
}

impl WardValidParams {
    /// Fits Ward on the rows of `x`, optionally weighted (weights finite and > 0; the Ward sizes
    /// become weight sums).
    ///
    /// Exact Ward unless `micro_clusters` is set and smaller than the number of rows; see
    /// [`ward_linkage`](super::ward_linkage) for the cost and the tie rules.
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<Ward> {
        self.fit_with_progress(x, sample_weight, &mut |_, _| {})
    }

    /// [`fit`](Self::fit) reporting the tree's progress: `progress(merges_done, merges_total)`
    /// about every 1% of the merges, from the calling thread.
    pub fn fit_with_progress<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Ward> {
        let params = self.params();
        let input = WardInput::new(x, sample_weight)?;
        let n_rows = input.weights.len();
        if let Some(k) = params.n_clusters {
            if k > n_rows {
                return Err(Error::TooManyClusters {
                    n_clusters: k,
                    n_samples: n_rows,
                });
            }
        }
        let d = input.n_features;
        let (leaf_points, leaf_weights, leaf_counts, leaf_of_row) = match params.micro_clusters {
            Some(m) if m < n_rows => {
                let micro =
                    micro_clusters(&input, m, params.micro_max_iterations, params.random_state)?;
                (
                    micro.centroids,
                    micro.weights,
                    micro.counts,
                    Some(Array1::from(micro.leaf_of_row)),
                )
            }
            _ => (input.points, input.weights, vec![1.0; n_rows], None),
        };
        let n_leaves = leaf_weights.len();
        let mut node_centroids = leaf_points.clone();
        let mut node_weights = leaf_weights.clone();
        let chain = ward_chain(leaf_points, d, leaf_weights, &leaf_counts, progress)?;
        let linkage = Linkage::from_chain(&chain)?;
        node_centroids.extend_from_slice(&chain.merged_centroids);
        node_weights.extend_from_slice(&chain.merged_weights);
        let node_centroids = Array2::from_shape_vec((2 * n_leaves - 1, d), node_centroids)
            .expect("one centroid per leaf and per merge");

        let merges = match (params.n_clusters, params.distance_threshold) {
            (Some(k), _) => linkage.merges_for_n_clusters(k)?,
            (None, Some(t)) => linkage.merges_below(t),
            (None, None) => n_leaves - 1,
        };
        let mut model = Ward {
            linkage,
            node_centroids,
            node_weights: Array1::from(node_weights),
            leaf_of_row,
            labels: Array1::zeros(0),
            segment_nodes: Vec::new(),
            centroids: Array2::zeros((0, d)),
        };
        model.apply_cut(merges);
        Ok(model)
    }
}

impl Ward {
    /// Segment of every training row, `0..n_clusters()`.
    pub fn labels(&self) -> ArrayView1<'_, usize> {
        self.labels.view()
    }

    /// The merge tree in scipy's format. In the two-stage mode its leaves are the
    /// micro-clusters (see [`Ward::micro_cluster_labels`]).
    pub fn linkage(&self) -> &Linkage {
        &self.linkage
    }

    /// Number of segments.
    pub fn n_clusters(&self) -> usize {
        self.segment_nodes.len()
    }

    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.node_centroids.ncols()
    }

    /// Segment centroids (weighted means of their members), `n_clusters() x n_features()`.
    pub fn centroids(&self) -> ArrayView2<'_, f64> {
        self.centroids.view()
    }

    /// Weight of each segment (its number of rows when unweighted).
    pub fn segment_weights(&self) -> Array1<f64> {
        self.segment_nodes
            .iter()
            .map(|&node| self.node_weights[node])
            .collect()
    }

    /// Two-stage mode: the micro-cluster (linkage leaf) of every training row; `None` for exact
    /// Ward, where the leaves are the rows themselves.
    pub fn micro_cluster_labels(&self) -> Option<ArrayView1<'_, usize>> {
        self.leaf_of_row.as_ref().map(|a| a.view())
    }

    /// Assigns each row of `x` to the nearest segment centroid (Euclidean; ties to the smaller
    /// label).
    pub fn predict<F: Float>(&self, x: ArrayView2<F>) -> Result<Array1<usize>> {
        check_matrix(x, "X")?;
        check_n_features(x, self.n_features(), "X at predict")?;
        let n = x.nrows();
        let n_chunks = n.div_ceil(PREDICT_ROWS_PER_CHUNK);
        let chunks: Vec<Vec<usize>> = (0..n_chunks)
            .into_par_iter()
            .map(|chunk| {
                let start = chunk * PREDICT_ROWS_PER_CHUNK;
                let end = (start + PREDICT_ROWS_PER_CHUNK).min(n);
                (start..end)
                    .map(|i| self.nearest_segment(x.row(i)))
                    .collect()
            })
            .collect();
        Ok(chunks.into_iter().flatten().collect())
    }

    fn nearest_segment<F: Float>(&self, row: ArrayView1<F>) -> usize {
        let mut best = (f64::INFINITY, 0);
        for (label, centroid) in self.centroids.outer_iter().enumerate() {
            let sq: f64 = centroid
                .iter()
                .zip(row.iter())
                .map(|(&c, &v)| {
                    let diff = to_f64(v) - c;
                    diff * diff
                })
                .sum();
            if sq < best.0 {
                best = (sq, label);
            }
        }
        best.1
    }

    /// The same tree cut into `n_clusters` segments (scipy `maxclust` rule, see
    /// [`Linkage::cut_n_clusters`]); no recomputation.
    pub fn recut_n_clusters(&self, n_clusters: usize) -> Result<Ward> {
        let n_rows = self.labels.len();
        if n_clusters > n_rows {
            return Err(Error::TooManyClusters {
                n_clusters,
                n_samples: n_rows,
            });
        }
        let merges = self.linkage.merges_for_n_clusters(n_clusters)?;
        let mut model = self.clone();
        model.apply_cut(merges);
        Ok(model)
    }

    /// The same tree cut at `height` (scikit-learn's `distance_threshold`: clusters merged
    /// strictly below `height` share a segment); no recomputation.
    pub fn recut_height(&self, height: f64) -> Result<Ward> {
        if !(height.is_finite() && height >= 0.0) {
            return Err(Error::invalid_parameter(
                "distance_threshold",
                height,
                "a finite number >= 0",
            ));
        }
        let merges = self.linkage.merges_below(height);
        let mut model = self.clone();
        model.apply_cut(merges);
        Ok(model)
    }

    /// Splits segment `label` into `n_sub_segments` by undoing its highest merges (the tree below
    /// that segment, cut as `cut_n_clusters` would), leaving every other segment unchanged.
    ///
    /// The first sub-segment (in order of first appearance along the rows) keeps `label`; the
    /// others get the labels `n_clusters()..`. Tied merge heights are undone latest merge first.
    pub fn split_segment(&self, label: usize, n_sub_segments: usize) -> Result<Ward> {
        let k = self.n_clusters();
        if label >= k {
            return Err(Error::invalid_parameter(
                "label",
                label,
                format!("an existing segment label in 0..{k}"),
            ));
        }
        if n_sub_segments == 0 {
            return Err(Error::invalid_parameter(
                "n_sub_segments",
                0,
                "an integer >= 1",
            ));
        }
        let n_leaves = self.linkage.n_leaves();
        let segment_node = self.segment_nodes[label];
        // Undo the highest merge (largest node id) among the current parts, k - 1 times.
        let mut parts = vec![segment_node];
        for _ in 1..n_sub_segments {
            let (at, &node) = parts
                .iter()
                .enumerate()
                .max_by_key(|&(_, &node)| node)
                .expect("parts is never empty");
            if node < n_leaves {
                return Err(Error::TooManyClusters {
                    n_clusters: n_sub_segments,
                    n_samples: self.linkage.leaves_of(segment_node).len(),
                });
            }
            let (a, b) = self.linkage.children(node - n_leaves);
            parts[at] = a;
            parts.push(b);
        }
        let mut part_of_leaf = vec![usize::MAX; n_leaves];
        for (p, &node) in parts.iter().enumerate() {
            for leaf in self.linkage.leaves_of(node) {
                part_of_leaf[leaf] = p;
            }
        }
        let mut model = self.clone();
        let mut label_of_part = vec![usize::MAX; parts.len()];
        let mut first = true;
        for row in 0..self.labels.len() {
            if self.labels[row] != label {
                continue;
            }
            let p = part_of_leaf[self.leaf(row)];
            if label_of_part[p] == usize::MAX {
                label_of_part[p] = if first {
                    model.segment_nodes[label] = parts[p];
                    label
                } else {
                    model.segment_nodes.push(parts[p]);
                    model.segment_nodes.len() - 1
                };
                first = false;
            }
            model.labels[row] = label_of_part[p];
        }
        model.refresh_centroids();
        Ok(model)
    }

    fn leaf(&self, row: usize) -> usize {
        match &self.leaf_of_row {
            Some(leaves) => leaves[row],
            None => row,
        }
    }

    /// Sets labels and segments to the flat clusters after the first `merges` sorted merges,
    /// numbered by first appearance along the training rows.
    fn apply_cut(&mut self, merges: usize) {
        let (leaf_labels, leaf_segment_nodes) = self.linkage.flat_clusters(merges);
        let n_rows = match &self.leaf_of_row {
            Some(leaves) => leaves.len(),
            None => leaf_labels.len(),
        };
        let mut label_of_leaf_label = vec![usize::MAX; leaf_segment_nodes.len()];
        let mut segment_nodes = Vec::with_capacity(leaf_segment_nodes.len());
        let labels: Array1<usize> = (0..n_rows)
            .map(|row| {
                let leaf_label = leaf_labels[self.leaf(row)];
                if label_of_leaf_label[leaf_label] == usize::MAX {
                    label_of_leaf_label[leaf_label] = segment_nodes.len();
                    segment_nodes.push(leaf_segment_nodes[leaf_label]);
                }
                label_of_leaf_label[leaf_label]
            })
            .collect();
        self.labels = labels;
        self.segment_nodes = segment_nodes;
        self.refresh_centroids();
    }

    fn refresh_centroids(&mut self) {
        let d = self.n_features();
        let mut centroids = Array2::zeros((self.segment_nodes.len(), d));
        for (mut row, &node) in centroids.outer_iter_mut().zip(&self.segment_nodes) {
            row.assign(&self.node_centroids.row(node));
        }
        self.centroids = centroids;
    }
}

impl crate::persist::SavedModel for Ward {
    fn kind() -> String {
        "ward".into()
    }

    fn validate(&self) -> Result<()> {
        use crate::persist::invalid;
        Linkage::from_scipy_matrix(self.linkage.as_scipy_matrix().to_owned())?;
        let n_leaves = self.linkage.n_leaves();
        let n_nodes = 2 * n_leaves - 1;
        let d = self.node_centroids.ncols();
        let k = self.segment_nodes.len();
        if self.node_centroids.nrows() != n_nodes || self.node_weights.len() != n_nodes {
            return Err(invalid(
                "ward",
                "one centroid and weight per tree node expected",
            ));
        }
        if self.centroids.dim() != (k, d) || k == 0 {
            return Err(invalid(
                "ward",
                "segment centroids do not match the segments",
            ));
        }
        if !self
            .node_centroids
            .iter()
            .chain(&self.centroids)
            .all(|v| v.is_finite())
            || !self.node_weights.iter().all(|w| w.is_finite() && *w > 0.0)
        {
            return Err(invalid(
                "ward",
                "centroids and weights must be finite (weights > 0)",
            ));
        }
        if self.segment_nodes.iter().any(|&node| node >= n_nodes) {
            return Err(invalid("ward", "a segment refers to a missing tree node"));
        }
        if self.labels.iter().any(|&label| label >= k) {
            return Err(invalid("ward", "a label is not a segment"));
        }
        match &self.leaf_of_row {
            Some(leaves) if leaves.len() != self.labels.len() => Err(invalid(
                "ward",
                "one micro-cluster per training row expected",
            )),
            Some(leaves) if leaves.iter().any(|&leaf| leaf >= n_leaves) => {
                Err(invalid("ward", "a micro-cluster is not a leaf of the tree"))
            }
            None if self.labels.len() != n_leaves => {
                Err(invalid("ward", "one label per leaf expected"))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Axis};
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    /// `per_blob` points around each of the given well-separated centres, seeded.
    fn blobs(centres: &[[f64; 2]], per_blob: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        Array2::from_shape_fn((centres.len() * per_blob, 2), |(i, j)| {
            centres[i % centres.len()][j] + rng.gen_range(-0.5..0.5)
        })
    }

    const CENTRES: [[f64; 2]; 4] = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [30.0, 30.0]];

    #[test]
    fn segments_centroids_and_predict() {
        let x = blobs(&CENTRES, 25, 1);
        let model = WardParams::new(4).fit(x.view(), None).unwrap();
        assert_eq!(model.n_clusters(), 4);
        // Points are interleaved by blob, so first appearance numbers blob b as label b.
        let expected: Vec<usize> = (0..100).map(|i| i % 4).collect();
        assert_eq!(model.labels().to_vec(), expected);
        for (label, centre) in CENTRES.iter().enumerate() {
            let members: Vec<usize> = (0..100).filter(|i| i % 4 == label).collect();
            let mean = x.select(Axis(0), &members).mean_axis(Axis(0)).unwrap();
            for j in 0..2 {
                assert!((model.centroids()[[label, j]] - mean[j]).abs() < 1e-12);
                assert!((mean[j] - centre[j]).abs() < 0.5);
            }
        }
        assert_eq!(model.segment_weights().to_vec(), vec![25.0; 4]);
        assert_eq!(model.predict(x.view()).unwrap(), model.labels());
        let new = array![[29.0, 31.0], [0.2, 9.0], [9.0, 1.0]];
        assert_eq!(model.predict(new.view()).unwrap().to_vec(), vec![3, 2, 1]);
        assert!(matches!(
            model.predict(array![[1.0, 2.0, 3.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            model.predict(array![[f64::INFINITY, 2.0]].view()),
            Err(Error::NonFiniteValue { .. })
        ));
    }

    #[test]
    fn distance_threshold_is_strict_like_scikit_learn() {
        let x = array![[0.0], [1.0], [3.0], [7.0], [15.0]];
        // Heights: 1.0, 2.89, 6.94, 15.5.
        let at_one = WardParams::default()
            .distance_threshold(1.0)
            .fit(x.view(), None)
            .unwrap();
        assert_eq!(at_one.n_clusters(), 5);
        let above = WardParams::default()
            .distance_threshold(3.0)
            .fit(x.view(), None)
            .unwrap();
        assert_eq!(above.labels().to_vec(), vec![0, 0, 0, 1, 2]);
        assert_eq!(above.recut_height(1.0).unwrap().n_clusters(), 5);
        assert!(above.recut_height(-1.0).is_err());
        let tree_only = WardParams::new(1).fit(x.view(), None).unwrap();
        assert_eq!(tree_only.n_clusters(), 1);
        assert_eq!(tree_only.recut_n_clusters(3).unwrap(), above);
    }

    #[test]
    fn split_segment_refines_one_segment_only() {
        let x = blobs(&CENTRES, 25, 2);
        let coarse = WardParams::new(3).fit(x.view(), None).unwrap();
        let fine = WardParams::new(4).fit(x.view(), None).unwrap();
        // At k = 3 the two close blobs (labels 0 and 1 at k = 4 ...) share a segment: split the
        // segment whose subtree holds the last merge below the cut.
        let merged_label = (0..3)
            .find(|&l| coarse.labels().iter().filter(|&&v| v == l).count() == 50)
            .unwrap();
        let split = coarse.split_segment(merged_label, 2).unwrap();
        assert_eq!(split.n_clusters(), 4);
        assert!(same_partition(
            split.labels().as_slice().unwrap(),
            fine.labels().as_slice().unwrap()
        ));
        // Other segments keep their labels.
        for (row, &l) in coarse.labels().iter().enumerate() {
            if l != merged_label {
                assert_eq!(split.labels()[row], l);
            } else {
                assert!(split.labels()[row] == merged_label || split.labels()[row] == 3);
            }
        }
        assert_eq!(split.predict(x.view()).unwrap(), split.labels());
        assert_eq!(coarse.split_segment(0, 1).unwrap(), coarse);
        assert!(matches!(
            coarse.split_segment(3, 2),
            Err(Error::InvalidParameter { name: "label", .. })
        ));
        assert!(matches!(
            coarse.split_segment(0, 0),
            Err(Error::InvalidParameter { .. })
        ));
        let singletons = WardParams::new(100).fit(x.view(), None).unwrap();
        assert!(matches!(
            singletons.split_segment(0, 2),
            Err(Error::TooManyClusters { .. })
        ));
        assert!(matches!(
            coarse.split_segment(0, 1000),
            Err(Error::TooManyClusters { .. })
        ));
    }

    fn same_partition(a: &[usize], b: &[usize]) -> bool {
        let mut forward = std::collections::HashMap::new();
        let mut backward = std::collections::HashMap::new();
        a.iter().zip(b).all(|(&p, &q)| {
            *forward.entry(p).or_insert(q) == q && *backward.entry(q).or_insert(p) == p
        })
    }

    #[test]
    fn weighted_fit_uses_weighted_centroids() {
        let x = array![[0.0], [1.0], [10.0], [12.0]];
        let w = array![3.0, 1.0, 1.0, 1.0];
        let model = WardParams::new(2).fit(x.view(), Some(w.view())).unwrap();
        assert_eq!(model.labels().to_vec(), vec![0, 0, 1, 1]);
        assert!((model.centroids()[[0, 0]] - 0.25).abs() < 1e-15);
        assert_eq!(model.segment_weights().to_vec(), vec![4.0, 2.0]);
    }

    #[test]
    fn errors_before_any_work() {
        let x = array![[0.0], [1.0]];
        assert!(matches!(
            WardParams::new(3).fit(x.view(), None),
            Err(Error::TooManyClusters {
                n_clusters: 3,
                n_samples: 2
            })
        ));
        assert!(matches!(
            WardParams::new(0).fit(x.view(), None),
            Err(Error::InvalidParameter {
                name: "n_clusters",
                ..
            })
        ));
        let model = WardParams::new(1).fit(x.view(), None).unwrap();
        assert!(matches!(
            model.recut_n_clusters(5),
            Err(Error::TooManyClusters { .. })
        ));
    }

    #[test]
    fn two_stage_recovers_separated_segments() {
        let x = blobs(&CENTRES, 150, 3);
        let exact = WardParams::new(4).fit(x.view(), None).unwrap();
        let params = WardParams::new(4).micro_clusters(40).random_state(7);
        let approx = params.fit(x.view(), None).unwrap();
        assert_eq!(approx.labels(), exact.labels());
        let leaves = approx.micro_cluster_labels().unwrap();
        assert_eq!(leaves.len(), 600);
        let n_leaves = approx.linkage().n_leaves();
        assert!(n_leaves <= 40 && leaves.iter().all(|&l| l < n_leaves));
        // Column 3 counts customers, so the root holds all 600.
        assert_eq!(approx.linkage().as_scipy_matrix()[[n_leaves - 2, 3]], 600.0);
        assert_eq!(approx.predict(x.view()).unwrap(), approx.labels());
        // Same seed, same model; more micro-clusters than rows falls back to exact Ward.
        assert_eq!(params.fit(x.view(), None).unwrap(), approx);
        let fallback = WardParams::new(4)
            .micro_clusters(10_000)
            .fit(x.view(), None)
            .unwrap();
        assert_eq!(fallback, exact);
        let split = approx.split_segment(0, 3).unwrap();
        assert_eq!(split.n_clusters(), 6);
    }

    #[test]
    fn two_stage_is_bit_identical_on_one_and_two_threads() {
        let mut rng = Xoshiro256Plus::seed_from_u64(5);
        let x = Array2::from_shape_fn((9000, 3), |_| rng.gen_range(-1.0..1.0));
        let params = WardParams::new(5).micro_clusters(60).random_state(3);
        let run =
            |threads| crate::testing::on_threads(threads, || params.fit(x.view(), None).unwrap());
        let (one, two) = (run(1), run(2));
        let bits = |m: &Ward| {
            m.linkage()
                .as_scipy_matrix()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&one), bits(&two));
        assert_eq!(one.labels(), two.labels());
    }

    #[test]
    fn serde_round_trip_is_exact() {
        let x = blobs(&CENTRES, 10, 4);
        let model = WardParams::new(4).fit(x.view(), None).unwrap();
        let json = serde_json::to_string(&model).unwrap();
        let back: Ward = serde_json::from_str(&json).unwrap();
        assert_eq!(back, model);
        assert_eq!(back.predict(x.view()).unwrap(), model.labels());
    }

    #[test]
    fn model_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Ward>();
    }
}
