//! Mini-batch k-means (scikit-learn's `MiniBatchKMeans`): centers updated from small random
//! batches, for bases too large to iterate over in full, and `partial_fit` for data that arrives
//! in chunks.
//!
//! Semantics follow scikit-learn 1.x (`sklearn/cluster/_kmeans.py`):
//! - each step assigns the batch to the current centers and moves every center to the weighted
//!   mean of all rows it has ever been assigned (per-center learning rate `1 / count`);
//! - `fit` draws `batch_size` rows with replacement, with probability proportional to the sample
//!   weight (the drawn rows then count with weight 1), for `max_iter * n / batch_size` steps;
//! - clusters whose accumulated weight is below `reassignment_ratio * max(counts)` are moved to
//!   random rows of the batch (at most half a batch of them), whenever a cluster is empty or
//!   `10 * n_clusters` rows were processed since the last reassignment;
//! - early stop when the summed squared center move is `<= tol * mean(var(X))` (if `tol > 0`)
//!   or when the exponentially weighted average of the per-row batch inertia has not improved
//!   for `max_no_improvement` steps;
//! - initialisation: `n_init` candidate sets of centers, each from k-means++ (or random rows) on
//!   `init_size` rows drawn with replacement; the one with the lowest inertia on a separate
//!   validation draw of `init_size` rows wins.
//!
//! Random draws come from our own generator, so results match scikit-learn statistically (final
//! inertia within a few percent), not bit for bit. Deterministic: same data + `random_state` give
//! bit-identical models on any thread count.

use super::algorithm::{
    centered_init, check_input, check_labels_exact, checked_mean_var, contiguous_weights,
    labels_inertia, sq_dist, widen_labels,
};
use super::hyperparams::KMeansInit;
use super::init::{kmeans_plusplus, random_rows};
use super::kernel::{add_scaled_row, assign_rows, Label, PreparedCenters, CHUNK_ROWS};
use super::minibatch_hyperparams::MiniBatchKMeansValidParams;
use crate::error::{Error, Result};
use crate::simd::dispatch_simd;
use crate::validation::check_n_features;
use crate::Float;
use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A fitted mini-batch k-means model; keeps what `partial_fit` needs to continue.
///
/// Label order: cluster `j` is the one started from the `j`-th initial center (k-means++ order,
/// or row `j` of explicit centers), as in scikit-learn; a streaming model must not renumber its
/// clusters between calls. Use [`align_labels`](super::align_labels) to match a previous model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MiniBatchKMeans<F> {
    pub(super) params: MiniBatchKMeansValidParams,
    pub(super) centers: Array2<F>,
    /// Accumulated weight of the rows assigned to each center (scikit-learn's `_counts`).
    pub(super) counts: Vec<F>,
    /// Fixed offset subtracted from rows and centers before distance computations (column means
    /// of the training data, or of the first `partial_fit` batch), for accuracy on data far from
    /// the origin.
    pub(super) offset: Vec<F>,
    pub(super) labels: Option<Array1<usize>>,
    pub(super) inertia: F,
    n_iter: usize,
    n_steps: usize,
    /// Rows counted towards the next reassignment check, in units of the effective batch size.
    n_since_last_reassign: usize,
    /// `min(batch_size, rows of the first data seen)`, as scikit-learn's `_batch_size`.
    effective_batch_size: usize,
    warnings: Vec<String>,
}

/// Per-chunk result of assigning rows and summing them per cluster.
struct BatchSums<F> {
    sums: Vec<F>,
    weights: Vec<F>,
    inertia: F,
}

#[inline(always)]
fn batch_chunk_impl<F: Float, const FMA: bool>(
    x: &ArrayView2<F>,
    start: usize,
    offset: &[F],
    weights: Option<&[F]>,
    pc: &PreparedCenters<F>,
    labels: &mut [Label],
) -> BatchSums<F> {
    let (k, d, dp) = (pc.k, pc.d, pc.dp);
    let mut out = BatchSums {
        sums: vec![F::zero(); k * d],
        weights: vec![F::zero(); k],
        inertia: F::zero(),
    };
    assign_rows::<F, FMA>(
        x,
        start,
        offset,
        pc,
        labels,
        #[inline(always)]
        |r, slot, label, row| {
            *slot = label as Label;
            let w = weights.map_or(F::one(), |w| w[start + r]);
            // Direct distance (not the expansion) so the batch inertia is accurate.
            out.inertia += w * sq_dist(row, &pc.rows[label * dp..label * dp + d]);
            out.weights[label] += w;
            add_scaled_row(&mut out.sums[label * d..(label + 1) * d], w, row);
        },
    );
    out
}

dispatch_simd!(batch_chunk<F: Float>(x: &ArrayView2<F>, start: usize, offset: &[F], weights: Option<&[F]>, pc: &PreparedCenters<F>, labels: &mut [Label]) -> BatchSums<F>, FMA => {
    batch_chunk_impl::<F, FMA>(x, start, offset, weights, pc, labels)
});

/// Assigns `x` to `centered` centers and sums per cluster; chunks reduced in a fixed order.
fn assign_and_sum<F: Float>(
    x: &ArrayView2<F>,
    offset: &[F],
    weights: Option<&[F]>,
    centered: &Array2<F>,
) -> (Vec<usize>, BatchSums<F>) {
    let (k, d) = centered.dim();
    let pc = PreparedCenters::new(centered.view());
    let mut labels: Vec<Label> = vec![0; x.nrows()];
    let parts: Vec<BatchSums<F>> = labels
        .par_chunks_mut(CHUNK_ROWS)
        .enumerate()
        .map(|(c, lab)| batch_chunk(x, c * CHUNK_ROWS, offset, weights, &pc, lab))
        .collect();
    let mut total = BatchSums {
        sums: vec![F::zero(); k * d],
        weights: vec![F::zero(); k],
        inertia: F::zero(),
    };
    for part in parts {
        total
            .sums
            .iter_mut()
            .zip(&part.sums)
            .for_each(|(t, v)| *t += *v);
        total
            .weights
            .iter_mut()
            .zip(&part.weights)
            .for_each(|(t, v)| *t += *v);
        total.inertia += part.inertia;
    }
    (widen_labels(&labels), total)
}

/// Seeded generator for step `step` of a stream, so `partial_fit` needs no generator state in
/// the saved model (SplitMix64-style mixing of seed and step).
fn step_rng(random_state: u64, step: usize) -> Xoshiro256PlusPlus {
    let mut z = random_state ^ (step as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Xoshiro256PlusPlus::seed_from_u64(z ^ (z >> 31))
}

/// Rows `indices` of `x` as an owned standard-layout matrix.
fn gather<F: Float>(x: &ArrayView2<F>, indices: &[usize]) -> Array2<F> {
    let d = x.ncols();
    let mut out = Array2::<F>::zeros((indices.len(), d));
    for (mut row, &i) in out.outer_iter_mut().zip(indices) {
        row.assign(&x.row(i));
    }
    out
}

impl MiniBatchKMeansValidParams {
    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }
    /// Rows per mini-batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    fn effective_n_init(&self) -> usize {
        self.init.resolved_n_init(self.n_init, 3)
    }

    /// scikit-learn's `_init_size`: 3 x batch (at least 3 x k), at most n.
    fn effective_init_size(&self, batch: usize, n: usize) -> usize {
        let size = match self.init_size {
            Some(s) if s >= self.n_clusters => s,
            _ => (3 * batch).max(3 * self.n_clusters),
        };
        size.min(n)
    }

    /// Checks the data and returns its column mean and variance (one pass over X, see
    /// [`checked_mean_var`]).
    fn check_data<F: Float>(
        &self,
        x: &ArrayView2<F>,
        w: Option<&ArrayView1<F>>,
    ) -> Result<(Vec<F>, Vec<F>)> {
        let stats = checked_mean_var(x, w)?;
        if self.n_clusters > x.nrows() {
            return Err(Error::TooManyClusters {
                n_clusters: self.n_clusters,
                n_samples: x.nrows(),
            });
        }
        if let KMeansInit::Centers(c) = &self.init {
            check_n_features(c.view(), x.ncols(), "init centers")?;
        }
        check_labels_exact::<F>(self.n_clusters)?;
        Ok(stats)
    }

    /// Initial centers (centered by `offset`) from `init_size` rows drawn from `x`.
    fn initial_centers<F: Float>(
        &self,
        x: &ArrayView2<F>,
        weights: Option<&[F]>,
        offset: &[F],
        init_size: usize,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Array2<F>> {
        let n = x.nrows();
        if let KMeansInit::Centers(c) = &self.init {
            return Ok(centered_init(c, offset));
        }
        let (subset, sub_weights) = if init_size < n {
            let idx: Vec<usize> = (0..init_size).map(|_| rng.gen_range(0..n)).collect();
            let w = weights.map(|w| idx.iter().map(|&i| w[i]).collect::<Vec<F>>());
            (gather(x, &idx), w)
        } else {
            (x.to_owned(), weights.map(<[F]>::to_vec))
        };
        // A draw where every row has weight 0 cannot seed anything: fall back to unit weights.
        let sub_weights = sub_weights.filter(|w| w.iter().any(|&v| v > F::zero()));
        let view = subset.view();
        match self.init {
            KMeansInit::Random => Ok(random_rows(
                &view,
                offset,
                sub_weights.as_deref(),
                self.n_clusters,
                rng,
            )),
            _ => kmeans_plusplus(&view, offset, sub_weights.as_deref(), self.n_clusters, rng),
        }
    }

    /// Fits on `x` (n_samples x n_features, any memory order) by mini-batches, with optional
    /// non-negative `sample_weight`. See [`MiniBatchKMeansParams`](super::MiniBatchKMeansParams) for an example.
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<MiniBatchKMeans<F>> {
        let (offset, var) = self.check_data(&x, sample_weight.as_ref())?;
        let (n, d) = x.dim();
        let k = self.n_clusters;
        let weights = contiguous_weights(sample_weight);
        let weights = weights.as_deref();
        let tol = F::cast(self.tol) * var.iter().fold(F::zero(), |a, &v| a + v) / F::cast(d);
        let batch = self.batch_size.min(n);
        let init_size = self.effective_init_size(batch, n);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.random_state);
        let mut warnings = Vec::new();
        if let (KMeansInit::Centers(_), Some(n_init)) = (&self.init, self.n_init) {
            if n_init != 1 {
                warnings.push(format!(
                    "explicit initial centers given: performing only one init instead of n_init={n_init}"
                ));
            }
        }

        // Candidate initialisations scored on one validation draw.
        let valid_idx: Vec<usize> = (0..init_size).map(|_| rng.gen_range(0..n)).collect();
        let x_valid = gather(&x, &valid_idx);
        let w_valid = weights.map(|w| valid_idx.iter().map(|&i| w[i]).collect::<Vec<F>>());
        let mut best: Option<(F, Array2<F>)> = None;
        for _ in 0..self.effective_n_init() {
            crate::cancel::check()?;
            let centers = self.initial_centers(&x, weights, &offset, init_size, &mut rng)?;
            let mut scratch = vec![0; init_size];
            let inertia = labels_inertia(
                &x_valid.view(),
                &offset,
                w_valid.as_deref(),
                &centers,
                &mut scratch,
                true,
            );
            if best.as_ref().is_none_or(|(b, _)| inertia < *b) {
                best = Some((inertia, centers));
            }
        }
        let (_, mut centered) = best.expect("n_init >= 1 is checked, so one init ran");

        // Weighted sampling of batch rows: cumulative weights, searched per draw.
        let cumulative: Option<Vec<f64>> = weights.map(|w| {
            let mut run = 0.0;
            w.iter()
                .map(|&v| {
                    run += v.to_f64().unwrap_or(0.0);
                    run
                })
                .collect()
        });
        let mut state = StreamState {
            counts: vec![F::zero(); k],
            n_since_last_reassign: 0,
            batch,
        };
        let n_steps = (self.max_iter * n / batch).max(1);
        let mut ewa: Option<F> = None;
        let mut ewa_min: Option<F> = None;
        let mut no_improvement = 0usize;
        let mut last_batch_inertia = F::zero();
        let mut steps_done = 0;
        let mut indices = vec![0usize; batch];
        for step in 0..n_steps {
            crate::cancel::check()?;
            for slot in indices.iter_mut() {
                *slot = match &cumulative {
                    None => rng.gen_range(0..n),
                    Some(cum) => {
                        let total = cum[n - 1];
                        let target = rng.r#gen::<f64>() * total;
                        // First row whose running sum exceeds the target (never a 0-weight row).
                        cum.partition_point(|&c| c <= target).min(n - 1)
                    }
                };
            }
            let x_batch = gather(&x, &indices);
            let (batch_inertia, squared_move) = self.step(
                &x_batch.view(),
                None,
                &offset,
                &mut centered,
                &mut state,
                &mut rng,
            );
            steps_done = step + 1;
            let batch_inertia = batch_inertia / F::cast(batch);
            last_batch_inertia = batch_inertia;
            // The first step's inertia measures the initialisation, not progress.
            if step == 0 {
                continue;
            }
            let alpha = F::cast((batch as f64 * 2.0 / (n as f64 + 1.0)).min(1.0));
            let smoothed = match ewa {
                None => batch_inertia,
                Some(e) => e * (F::one() - alpha) + batch_inertia * alpha,
            };
            ewa = Some(smoothed);
            if tol > F::zero() && squared_move <= tol {
                break;
            }
            if ewa_min.is_none_or(|m| smoothed < m) {
                no_improvement = 0;
                ewa_min = Some(smoothed);
            } else {
                no_improvement += 1;
            }
            if self
                .max_no_improvement
                .is_some_and(|limit| no_improvement >= limit)
            {
                break;
            }
        }

        let total_weight = weights.map_or(F::cast(n), |w| w.iter().fold(F::zero(), |a, &v| a + v));
        let (labels, inertia) = if self.compute_labels {
            let mut labels = vec![0; n];
            let inertia = labels_inertia(&x, &offset, weights, &centered, &mut labels, true);
            (Some(Array1::from(widen_labels(&labels))), inertia)
        } else {
            (None, ewa.unwrap_or(last_batch_inertia) * total_weight)
        };
        Ok(MiniBatchKMeans {
            params: self.clone(),
            centers: uncenter(&centered, &offset),
            counts: state.counts,
            offset,
            labels,
            inertia,
            n_iter: (steps_done * batch).div_ceil(n),
            n_steps: steps_done,
            n_since_last_reassign: state.n_since_last_reassign,
            effective_batch_size: batch,
            warnings,
        })
    }

    /// Starts a stream: initialises the centers from this first batch (`init_size` rows of it)
    /// and applies one mini-batch step, as scikit-learn's first `partial_fit` call.
    pub fn partial_fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<MiniBatchKMeans<F>> {
        let (offset, _) = self.check_data(&x, sample_weight.as_ref())?;
        let n = x.nrows();
        let k = self.n_clusters;
        let weights = contiguous_weights(sample_weight);
        let weights = weights.as_deref();
        let batch = self.batch_size.min(n);
        let init_size = self.effective_init_size(batch, n);
        let mut rng = step_rng(self.random_state, 0);
        let centered = self.initial_centers(&x, weights, &offset, init_size, &mut rng)?;
        let mut model = MiniBatchKMeans {
            params: self.clone(),
            centers: uncenter(&centered, &offset),
            counts: vec![F::zero(); k],
            offset,
            labels: None,
            inertia: F::zero(),
            n_iter: 0,
            n_steps: 0,
            n_since_last_reassign: 0,
            effective_batch_size: batch,
            warnings: Vec::new(),
        };
        model.step_on(x, weights, rng)?;
        Ok(model)
    }

    /// One mini-batch step on `x` (already checked): assignment with the current centers, center
    /// update with per-center learning rate, then random reassignment of tiny clusters if due.
    /// Returns the batch inertia (before the update) and the summed squared center move.
    fn step<F: Float>(
        &self,
        x: &ArrayView2<F>,
        weights: Option<&[F]>,
        offset: &[F],
        centered: &mut Array2<F>,
        state: &mut StreamState<F>,
        rng: &mut Xoshiro256PlusPlus,
    ) -> (F, F) {
        let (k, d) = centered.dim();
        // Decided before the update, from the counts so far (scikit-learn's `_random_reassign`).
        state.n_since_last_reassign += state.batch;
        let reassign = if state.counts.iter().any(|&c| c == F::zero())
            || state.n_since_last_reassign >= 10 * k
        {
            state.n_since_last_reassign = 0;
            true
        } else {
            false
        };
        let (_, sums) = assign_and_sum(x, offset, weights, centered);
        let old = centered.clone();
        for j in 0..k {
            let w = sums.weights[j];
            if w > F::zero() {
                let count = state.counts[j];
                let new_count = count + w;
                for f in 0..d {
                    centered[[j, f]] = (old[[j, f]] * count + sums.sums[j * d + f]) / new_count;
                }
                state.counts[j] = new_count;
            }
        }
        if reassign && self.reassignment_ratio > 0.0 {
            self.reassign_small_clusters(x, offset, centered, &mut state.counts, rng);
        }
        let squared_move = centered
            .iter()
            .zip(old.iter())
            .fold(F::zero(), |a, (&u, &v)| a + (u - v) * (u - v));
        (sums.inertia, squared_move)
    }

    /// Clusters with `count < reassignment_ratio * max(count)` move to distinct random rows of
    /// the batch (the smallest ones first, at most half a batch), and get the smallest remaining
    /// count so they are not reassigned again at once.
    fn reassign_small_clusters<F: Float>(
        &self,
        x: &ArrayView2<F>,
        offset: &[F],
        centered: &mut Array2<F>,
        counts: &mut [F],
        rng: &mut Xoshiro256PlusPlus,
    ) {
        let max = counts.iter().fold(F::zero(), |a, &c| a.max(c));
        let threshold = F::cast(self.reassignment_ratio) * max;
        let mut small: Vec<usize> = (0..counts.len())
            .filter(|&j| counts[j] < threshold)
            .collect();
        let cap = x.nrows() / 2;
        if small.len() > cap {
            // Keep the `cap` lowest counts (ties to the lower index).
            small.sort_by(|&a, &b| counts[a].total_cmp_f(counts[b]).then(a.cmp(&b)));
            small.truncate(cap);
            small.sort_unstable();
        }
        if small.is_empty() {
            return;
        }
        let remaining_min = (0..counts.len())
            .filter(|j| !small.contains(j))
            .map(|j| counts[j])
            .fold(F::infinity(), F::min);
        let rows = rand::seq::index::sample(rng, x.nrows(), small.len());
        for (&j, i) in small.iter().zip(rows.iter()) {
            for (f, (&v, &m)) in x.row(i).iter().zip(offset).enumerate() {
                centered[[j, f]] = v - m;
            }
            counts[j] = remaining_min;
        }
    }
}

/// `total_cmp` for the generic float (NaN never occurs in counts; treated as equal).
trait TotalCmpF {
    fn total_cmp_f(self, other: Self) -> std::cmp::Ordering;
}
impl<F: Float> TotalCmpF for F {
    fn total_cmp_f(self, other: Self) -> std::cmp::Ordering {
        self.partial_cmp(&other)
            .unwrap_or(std::cmp::Ordering::Equal)
    }
}

/// Counters that carry over from one mini-batch step to the next.
struct StreamState<F> {
    counts: Vec<F>,
    n_since_last_reassign: usize,
    batch: usize,
}

fn uncenter<F: Float>(centered: &Array2<F>, offset: &[F]) -> Array2<F> {
    Array2::from_shape_fn(centered.dim(), |(j, f)| centered[[j, f]] + offset[f])
}

fn recenter<F: Float>(centers: &Array2<F>, offset: &[F]) -> Array2<F> {
    Array2::from_shape_fn(centers.dim(), |(j, f)| centers[[j, f]] - offset[f])
}

impl<F: Float> MiniBatchKMeans<F> {
    /// Updates the model with one more batch (scikit-learn's `partial_fit` after the first call):
    /// one mini-batch step on all rows of `x`, weighted by `sample_weight`. Labels and inertia
    /// then describe this batch (if `compute_labels`).
    pub fn partial_fit(
        &mut self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<()> {
        check_input(&x, sample_weight.as_ref())?;
        check_n_features(x.view(), self.n_features(), "X")?;
        let weights = contiguous_weights(sample_weight);
        let rng = step_rng(self.params.random_state, self.n_steps);
        self.step_on(x, weights.as_deref(), rng)
    }

    fn step_on(
        &mut self,
        x: ArrayView2<F>,
        weights: Option<&[F]>,
        mut rng: Xoshiro256PlusPlus,
    ) -> Result<()> {
        let mut centered = recenter(&self.centers, &self.offset);
        let mut state = StreamState {
            counts: std::mem::take(&mut self.counts),
            n_since_last_reassign: self.n_since_last_reassign,
            batch: self.effective_batch_size,
        };
        let params = self.params.clone();
        params.step(
            &x,
            weights,
            &self.offset,
            &mut centered,
            &mut state,
            &mut rng,
        );
        self.counts = state.counts;
        self.n_since_last_reassign = state.n_since_last_reassign;
        self.centers = uncenter(&centered, &self.offset);
        self.n_steps += 1;
        if params.compute_labels {
            let mut labels = vec![0; x.nrows()];
            self.inertia = labels_inertia(&x, &self.offset, weights, &centered, &mut labels, true);
            self.labels = Some(Array1::from(widen_labels(&labels)));
        } else {
            self.labels = None;
        }
        Ok(())
    }

    /// Cluster centers, one row per cluster (n_clusters x n_features).
    pub fn cluster_centers(&self) -> ArrayView2<'_, F> {
        self.centers.view()
    }
    /// Labels of the training rows (`fit`) or of the last batch (`partial_fit`); `None` when
    /// `compute_labels` is off.
    pub fn labels(&self) -> Option<ArrayView1<'_, usize>> {
        self.labels.as_ref().map(|l| l.view())
    }
    /// Weighted inertia of the training rows (`fit`; estimated from the smoothed batch inertia
    /// when `compute_labels` is off) or of the last batch (`partial_fit`).
    pub fn inertia(&self) -> F {
        self.inertia
    }
    /// Passes over the data: `ceil(n_steps * batch_size / n_samples)` (`fit` only; 0 after
    /// `partial_fit`).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }
    /// Mini-batch steps run (by `fit`, or one per `partial_fit` call).
    pub fn n_steps(&self) -> usize {
        self.n_steps
    }
    /// Accumulated weight assigned to each center so far (its inverse is the learning rate).
    pub fn counts(&self) -> &[F] {
        &self.counts
    }
    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.centers.ncols()
    }
    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.centers.nrows()
    }
    /// Warnings recorded during fit (the Python binding re-emits them).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
    /// The parameters this model was fitted with.
    pub fn params(&self) -> &MiniBatchKMeansValidParams {
        &self.params
    }

    fn labels_and_inertia(
        &self,
        x: &ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<(Vec<usize>, F)> {
        check_input(x, sample_weight.as_ref())?;
        check_n_features(x.view(), self.n_features(), "X")?;
        let weights = contiguous_weights(sample_weight);
        let centered = recenter(&self.centers, &self.offset);
        let mut labels = vec![0; x.nrows()];
        let inertia = labels_inertia(
            x,
            &self.offset,
            weights.as_deref(),
            &centered,
            &mut labels,
            true,
        );
        Ok((widen_labels(&labels), inertia))
    }

    /// Index of the nearest center for every row of `x`.
    pub fn predict(&self, x: ArrayView2<F>) -> Result<Array1<usize>> {
        Ok(Array1::from(self.labels_and_inertia(&x, None)?.0))
    }

    /// Negative weighted inertia of `x` under this model, as scikit-learn's `score`.
    pub fn score(&self, x: ArrayView2<F>, sample_weight: Option<ArrayView1<F>>) -> Result<F> {
        Ok(-self.labels_and_inertia(&x, sample_weight)?.1)
    }

    /// Euclidean distance of every row of `x` to every center (n_samples x n_clusters).
    pub fn transform(&self, x: ArrayView2<F>) -> Result<Array2<F>> {
        crate::validation::check_matrix(x.view(), "X")?;
        check_n_features(x.view(), self.n_features(), "X")?;
        let d = self.n_features();
        let centers: Vec<F> = self.centers.iter().copied().collect();
        let mut out = Array2::<F>::zeros((x.nrows(), self.n_clusters()));
        out.axis_chunks_iter_mut(ndarray::Axis(0), CHUNK_ROWS)
            .into_par_iter()
            .enumerate()
            .for_each(|(c, mut block)| {
                let mut buf = vec![F::zero(); d];
                for (r, mut row) in block.outer_iter_mut().enumerate() {
                    for (b, &v) in buf.iter_mut().zip(x.row(c * CHUNK_ROWS + r).iter()) {
                        *b = v;
                    }
                    for (j, slot) in row.iter_mut().enumerate() {
                        *slot = sq_dist(&buf, &centers[j * d..(j + 1) * d]).sqrt();
                    }
                }
            });
        Ok(out)
    }
}

impl<F: Float, D: Data<Elem = F>, T> linfa::traits::Fit<ArrayBase<D, Ix2>, T, Error>
    for MiniBatchKMeansValidParams
{
    type Object = MiniBatchKMeans<F>;

    /// Fits on the dataset's records; its weights (if any) are the sample weights.
    fn fit(
        &self,
        dataset: &linfa::DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<MiniBatchKMeans<F>> {
        let weights: Option<Array1<F>> = dataset
            .weights()
            .map(|w| w.iter().map(|&v| F::cast(v)).collect());
        MiniBatchKMeansValidParams::fit(
            self,
            dataset.records().view(),
            weights.as_ref().map(|w| w.view()),
        )
    }
}

impl<'a, F: Float, D: Data<Elem = F> + 'a, T: 'a>
    linfa::traits::FitWith<'a, ArrayBase<D, Ix2>, T, Error> for MiniBatchKMeansValidParams
{
    type ObjectIn = Option<MiniBatchKMeans<F>>;
    type ObjectOut = MiniBatchKMeans<F>;

    /// Incremental fit (linfa's streaming interface): `None` starts a stream on this batch,
    /// `Some(model)` continues it, as [`MiniBatchKMeansValidParams::partial_fit`] and
    /// [`MiniBatchKMeans::partial_fit`].
    fn fit_with(
        &self,
        model: Option<MiniBatchKMeans<F>>,
        dataset: &'a linfa::DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<MiniBatchKMeans<F>> {
        let weights: Option<Array1<F>> = dataset
            .weights()
            .map(|w| w.iter().map(|&v| F::cast(v)).collect());
        let w = weights.as_ref().map(|w| w.view());
        match model {
            None => self.partial_fit(dataset.records().view(), w),
            Some(mut m) => {
                m.partial_fit(dataset.records().view(), w)?;
                Ok(m)
            }
        }
    }
}

impl<F: Float, D: Data<Elem = F>> linfa::traits::PredictInplace<ArrayBase<D, Ix2>, Array1<usize>>
    for MiniBatchKMeans<F>
{
    /// # Panics
    /// linfa's trait has no error path: panics if `x` has the wrong number of features or a
    /// non-finite value. Use the inherent [`MiniBatchKMeans::predict`] for a `Result`.
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<usize>) {
        let labels = MiniBatchKMeans::predict(self, x.view())
            .unwrap_or_else(|e| panic!("MiniBatchKMeans::predict_inplace: {e}"));
        y.assign(&labels);
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}

#[cfg(test)]
mod tests {
    use super::super::MiniBatchKMeansParams;
    use super::*;
    use crate::cluster::kmeans::KMeansParams;
    use ndarray::{array, s};

    fn blobs(n: usize, d: usize, k: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let centers = Array2::from_shape_fn((k, d), |_| rng.gen_range(-10.0..10.0));
        Array2::from_shape_fn((n, d), |(i, f)| {
            let noise: f64 = (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum();
            centers[[i % k, f]] + noise
        })
    }

    #[test]
    fn fit_finds_blobs_close_to_full_kmeans() {
        let x = blobs(6000, 4, 5, 1);
        let full = KMeansParams::new(5).n_init(3).fit(x.view(), None).unwrap();
        for seed in 0..3 {
            let mb = MiniBatchKMeansParams::new(5)
                .batch_size(256)
                .n_init(3)
                .random_state(seed)
                .fit(x.view(), None)
                .unwrap();
            let ratio = mb.inertia() / full.inertia();
            assert!((0.999..1.05).contains(&ratio), "seed {seed}: ratio {ratio}");
            assert_eq!(mb.labels().unwrap(), mb.predict(x.view()).unwrap());
            assert!(mb.n_steps() >= 2 && mb.n_iter() >= 1);
            let counted: f64 = mb.counts().iter().sum();
            assert_eq!(counted, (mb.n_steps() * 256) as f64);
        }
    }

    #[test]
    fn same_seed_is_bit_identical_on_one_and_two_threads() {
        let x = blobs(20_000, 3, 4, 2);
        let w = Array1::from_shape_fn(20_000, |i| 1.0 + (i % 5) as f64);
        let fit = |threads: usize| {
            crate::testing::on_threads(threads, || {
                MiniBatchKMeansParams::new(4)
                    .batch_size(5000)
                    .max_iter(3)
                    .random_state(9)
                    .fit(x.view(), Some(w.view()))
                    .unwrap()
            })
        };
        let (one, two) = (fit(1), fit(2));
        assert_eq!(one, two);
        assert_eq!(one.inertia().to_bits(), two.inertia().to_bits());
    }

    /// partial_fit: each center is the running weighted mean of every row ever assigned to it
    /// (its starting position carries no weight), counts are the assigned weights.
    #[test]
    fn partial_fit_keeps_running_means() {
        let x = blobs(300, 2, 3, 3);
        let w = Array1::from_shape_fn(300, |i| 0.5 + (i % 3) as f64);
        let init = x.slice(s![0..3, ..]).to_owned();
        let params = MiniBatchKMeansParams::new(3)
            .init(KMeansInit::Centers(init.clone()))
            .reassignment_ratio(0.0)
            .check()
            .unwrap();
        let mut model = params
            .partial_fit(x.slice(s![0..100, ..]), Some(w.slice(s![0..100])))
            .unwrap();
        let mut sums = Array2::<f64>::zeros((3, 2));
        let mut counts = [0.0; 3];
        let mut centers = init;
        for (step, range) in [(0..100), (100..200), (200..300)].into_iter().enumerate() {
            if step > 0 {
                model
                    .partial_fit(
                        x.slice(s![range.clone(), ..]),
                        Some(w.slice(s![range.clone()])),
                    )
                    .unwrap();
            }
            // Reference: assign with the centers before the step, then running means.
            for i in range {
                let row = x.row(i);
                let label = (0..3)
                    .min_by(|&a, &b| {
                        let da = (&row - &centers.row(a)).mapv(|v| v * v).sum();
                        let db = (&row - &centers.row(b)).mapv(|v| v * v).sum();
                        da.total_cmp(&db)
                    })
                    .unwrap();
                counts[label] += w[i];
                sums.row_mut(label).scaled_add(w[i], &row);
            }
            for (j, &count) in counts.iter().enumerate() {
                if count > 0.0 {
                    centers.row_mut(j).assign(&(&sums.row(j) / count));
                }
            }
            for (a, b) in model.cluster_centers().iter().zip(centers.iter()) {
                assert!((a - b).abs() < 1e-9, "step {step}: {a} vs {b}");
            }
            for (a, b) in model.counts().iter().zip(&counts) {
                assert!((a - b).abs() < 1e-9);
            }
            assert_eq!(model.n_steps(), step + 1);
            assert_eq!(model.labels().unwrap().len(), 100);
        }
    }

    #[test]
    fn tiny_clusters_are_reassigned_to_batch_rows() {
        let x = blobs(2000, 2, 2, 4);
        // Center 2 starts far away: it never wins a row, so it must be moved onto the data.
        let init = array![[x[[0, 0]], x[[0, 1]]], [x[[1, 0]], x[[1, 1]]], [1e6, 1e6]];
        let model = MiniBatchKMeansParams::new(3)
            .init(KMeansInit::Centers(init))
            .batch_size(200)
            .fit(x.view(), None)
            .unwrap();
        let far = model
            .cluster_centers()
            .row(2)
            .iter()
            .map(|v| v.abs())
            .fold(0.0, f64::max);
        assert!(far < 100.0, "center 2 still at {far}");
        let no_reassign = MiniBatchKMeansParams::new(3)
            .init(KMeansInit::Centers(array![
                [0.0, 0.0],
                [1.0, 1.0],
                [1e6, 1e6]
            ]))
            .reassignment_ratio(0.0)
            .batch_size(200)
            .fit(x.view(), None)
            .unwrap();
        assert_eq!(no_reassign.cluster_centers()[[2, 0]], 1e6);
    }

    #[test]
    fn stops_early_without_improvement() {
        let x = blobs(4000, 2, 3, 5);
        let model = MiniBatchKMeansParams::new(3)
            .batch_size(100)
            .max_iter(50)
            .fit(x.view(), None)
            .unwrap();
        assert!(model.n_steps() < 50 * 4000 / 100, "{}", model.n_steps());
        let unlimited = MiniBatchKMeansParams::new(3)
            .batch_size(1000)
            .max_iter(2)
            .max_no_improvement(None)
            .compute_labels(false)
            .fit(x.view(), None)
            .unwrap();
        assert_eq!(unlimited.n_steps(), 8);
        assert_eq!(unlimited.n_iter(), 2);
        assert!(unlimited.labels().is_none());
        assert!(unlimited.inertia() > 0.0);
    }

    #[test]
    fn float32_stays_float32() {
        let x = blobs(3000, 3, 3, 6).mapv(|v| v as f32);
        let model: MiniBatchKMeans<f32> = MiniBatchKMeansParams::new(3)
            .batch_size(300)
            .fit(x.view(), None)
            .unwrap();
        let dist = model.transform(x.view()).unwrap();
        assert_eq!(dist.dim(), (3000, 3));
        assert!(
            (-model.score(x.view(), None).unwrap() - model.inertia()).abs() / model.inertia()
                < 1e-4
        );
    }

    #[test]
    fn bad_parameters_and_input_are_named() {
        let cases = [
            (MiniBatchKMeansParams::new(0), "n_clusters"),
            (MiniBatchKMeansParams::new(2).batch_size(0), "batch_size"),
            (MiniBatchKMeansParams::new(2).max_iter(0), "max_iter"),
            (MiniBatchKMeansParams::new(2).n_init(0), "n_init"),
            (
                MiniBatchKMeansParams::new(2).init_size(Some(0)),
                "init_size",
            ),
            (MiniBatchKMeansParams::new(2).tol(-1.0), "tol"),
            (
                MiniBatchKMeansParams::new(2).reassignment_ratio(f64::NAN),
                "reassignment_ratio",
            ),
        ];
        for (params, expected) in cases {
            match params.check() {
                Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, expected),
                other => panic!("expected InvalidParameter({expected}), got {other:?}"),
            }
        }
        let x = array![[0.0, 1.0], [1.0, f64::INFINITY], [2.0, 2.0]];
        match MiniBatchKMeansParams::new(2).fit(x.view(), None) {
            Err(Error::NonFiniteValue { row, column, .. }) => assert_eq!((row, column), (1, 1)),
            other => panic!("{other:?}"),
        }
        let x = array![[0.0, 1.0], [1.0, 2.0], [2.0, 2.0]];
        assert!(matches!(
            MiniBatchKMeansParams::new(4).fit(x.view(), None),
            Err(Error::TooManyClusters { .. })
        ));
        let zeros = array![0.0, 0.0, 0.0];
        assert!(matches!(
            MiniBatchKMeansParams::new(2).fit(x.view(), Some(zeros.view())),
            Err(Error::InvalidWeights { .. })
        ));
        let mut model = MiniBatchKMeansParams::new(2).fit(x.view(), None).unwrap();
        assert!(matches!(
            model.partial_fit(array![[1.0]].view(), None),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn linfa_traits_and_serde_work() {
        use linfa::traits::{Fit, FitWith, Predict};
        let x = blobs(600, 2, 2, 7);
        let params = MiniBatchKMeansParams::new(2)
            .batch_size(100)
            .check()
            .unwrap();
        let model: MiniBatchKMeans<f64> =
            Fit::fit(&params, &linfa::DatasetBase::from(x.clone())).unwrap();
        let labels: Array1<usize> = Predict::predict(&model, &x);
        assert_eq!(labels.view(), model.labels().unwrap());
        let first = linfa::DatasetBase::from(x.slice(s![0..300, ..]).to_owned());
        let second = linfa::DatasetBase::from(x.slice(s![300..600, ..]).to_owned());
        let stream = params.fit_with(None, &first).unwrap();
        let stream = params.fit_with(Some(stream), &second).unwrap();
        assert_eq!(stream.n_steps(), 2);
        let json = serde_json::to_string(&stream).unwrap();
        let mut back: MiniBatchKMeans<f64> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, stream);
        // A reloaded stream continues exactly as the original would.
        let mut original = stream.clone();
        original.partial_fit(x.view(), None).unwrap();
        back.partial_fit(x.view(), None).unwrap();
        assert_eq!(back, original);
    }

    #[test]
    fn params_and_models_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MiniBatchKMeansParams>();
        assert_send_sync::<MiniBatchKMeansValidParams>();
        assert_send_sync::<MiniBatchKMeans<f64>>();
        assert_send_sync::<MiniBatchKMeans<f32>>();
    }
}
