//! Cluster validity metrics, equal to scikit-learn's `sklearn.metrics` to ~1e-12.
//!
//! Internal metrics take the data and one label per row, `(x, labels)`, so choosing the number of
//! segments can call any of them the same way: [`silhouette_score`] (exact, or
//! [`silhouette_score_sampled`] for large `n`), [`calinski_harabasz_score`],
//! [`davies_bouldin_score`] and [`inertia`]. External metrics compare two labelings:
//! [`adjusted_rand_score`], [`normalized_mutual_info_score`] (arithmetic mean normaliser, as
//! scikit-learn's default), [`mutual_info_score`] and [`contingency_matrix`].
//!
//! Labels are arbitrary `usize` values (they need not be `0..k`); like scikit-learn's
//! `LabelEncoder`, only their distinct values matter. All arithmetic is f64, also for f32 data
//! (scikit-learn widens float32 distances too). Parallel work is split into fixed chunks and reduced
//! in a fixed order, so results do not depend on the thread count.

use crate::error::{Error, Result};
use crate::validation::check_matrix;
use crate::Float;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Rows per parallel work item (fixed, so reductions happen in the same order on any machine).
const CHUNK_ROWS: usize = 4096;
/// Samples per parallel work item in the silhouette: each one streams over all `n` samples.
const SILHOUETTE_CHUNK: usize = 64;
/// Distances computed side by side in the silhouette kernel (enough independent lanes to keep
/// the vector units and the square-root unit busy).
const LANES: usize = 8;

/// Distinct labels mapped to `0..n_labels` in increasing label order.
struct EncodedLabels {
    codes: Vec<usize>,
    counts: Vec<usize>,
}

impl EncodedLabels {
    fn n_labels(&self) -> usize {
        self.counts.len()
    }
}

fn encode_labels(labels: impl Iterator<Item = usize> + Clone) -> EncodedLabels {
    let mut distinct: Vec<usize> = labels.clone().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut counts = vec![0; distinct.len()];
    let codes = labels
        .map(|label| {
            let code = distinct
                .binary_search(&label)
                .expect("every label is among the distinct labels it was collected from");
            counts[code] += 1;
            code
        })
        .collect();
    EncodedLabels { codes, counts }
}

fn check_labels_length(n_labels: usize, n_samples: usize) -> Result<()> {
    if n_labels != n_samples {
        return Err(Error::ShapeMismatch {
            what: "labels (one label per sample of X)".into(),
            expected: n_samples,
            got: n_labels,
        });
    }
    Ok(())
}

/// scikit-learn's `check_number_of_labels`: internal metrics need `2 <= n_labels <= n_samples - 1`.
fn check_number_of_labels(n_labels: usize, n_samples: usize) -> Result<()> {
    if n_labels < 2 || n_labels + 1 > n_samples {
        return Err(Error::invalid_parameter(
            "labels",
            format!("{n_labels} distinct labels"),
            format!(
                "2 to n_samples - 1 = {} distinct labels (inclusive)",
                n_samples.saturating_sub(1)
            ),
        ));
    }
    Ok(())
}

/// Validates `(x, labels)` for an internal metric and encodes the labels.
fn prepare<F: Float>(x: ArrayView2<F>, labels: ArrayView1<usize>) -> Result<EncodedLabels> {
    check_matrix(x, "X")?;
    check_labels_length(labels.len(), x.nrows())?;
    let encoded = encode_labels(labels.iter().copied());
    check_number_of_labels(encoded.n_labels(), x.nrows())?;
    Ok(encoded)
}

fn to_f64<F: Float>(v: F) -> f64 {
    v.to_f64().expect("f32 and f64 always convert to f64")
}

/// Per-cluster means (rows) from fixed-chunk partial sums reduced in order.
fn cluster_means<F: Float>(x: ArrayView2<F>, encoded: &EncodedLabels) -> Array2<f64> {
    let (n_samples, n_features) = x.dim();
    let k = encoded.n_labels();
    let partial: Vec<Array2<f64>> = (0..n_samples.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map(|chunk| {
            let mut sums = Array2::<f64>::zeros((k, n_features));
            let rows = chunk * CHUNK_ROWS..((chunk + 1) * CHUNK_ROWS).min(n_samples);
            for i in rows {
                let mut target = sums.row_mut(encoded.codes[i]);
                for (t, &v) in target.iter_mut().zip(x.row(i).iter()) {
                    *t += to_f64(v);
                }
            }
            sums
        })
        .collect();
    let mut means = Array2::<f64>::zeros((k, n_features));
    for sums in &partial {
        means += sums;
    }
    for (mut row, &count) in means.rows_mut().into_iter().zip(&encoded.counts) {
        row /= count as f64;
    }
    means
}

/// Sum over fixed row chunks (in order) of `per_row(i)`.
fn chunked_sum(n_samples: usize, per_row: impl Fn(usize) -> f64 + Sync) -> f64 {
    let partial: Vec<f64> = (0..n_samples.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map(|chunk| {
            (chunk * CHUNK_ROWS..((chunk + 1) * CHUNK_ROWS).min(n_samples))
                .map(&per_row)
                .sum()
        })
        .collect();
    partial.iter().sum()
}

fn squared_distance<F: Float>(row: ArrayView1<F>, center: ArrayView1<f64>) -> f64 {
    row.iter()
        .zip(center.iter())
        .map(|(&v, &c)| {
            let t = to_f64(v) - c;
            t * t
        })
        .sum()
}

/// Mean silhouette coefficient over all samples (scikit-learn's `silhouette_score`, Euclidean).
///
/// Exact: every pairwise distance is computed (`O(n^2 d)` time, in parallel), but never stored;
/// memory is `O(n d)` for one reordered copy of `x`. Needs `2 <= n_labels <= n_samples - 1`.
///
/// ```
/// use ndarray::array;
/// use segcore::select::metrics::silhouette_score;
///
/// let x = array![[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]];
/// let labels = array![0usize, 0, 1, 1];
/// let score = silhouette_score(x.view(), labels.view())?;
/// assert!(score > 0.9);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn silhouette_score<F: Float>(x: ArrayView2<F>, labels: ArrayView1<usize>) -> Result<f64> {
    let samples = silhouette_samples(x, labels)?;
    Ok(samples.sum() / samples.len() as f64)
}

/// Silhouette coefficient of each sample: `(b - a) / max(a, b)` with `a` the mean distance to the
/// other members of its cluster and `b` the smallest mean distance to another cluster; 0 for
/// samples alone in their cluster (scikit-learn's `silhouette_samples`, Euclidean).
pub fn silhouette_samples<F: Float>(
    x: ArrayView2<F>,
    labels: ArrayView1<usize>,
) -> Result<Array1<f64>> {
    let encoded = prepare(x, labels)?;
    let (n_samples, n_features) = x.dim();
    let k = encoded.n_labels();

    // Reorder samples by cluster so each cluster is one contiguous run: then the per-cluster
    // distance sums are plain vectorisable reductions instead of a scatter-add by label.
    let mut offsets = vec![0usize; k + 1];
    for (c, &count) in encoded.counts.iter().enumerate() {
        offsets[c + 1] = offsets[c] + count;
    }
    let mut next = offsets.clone();
    let mut order = vec![0usize; n_samples];
    for (i, &code) in encoded.codes.iter().enumerate() {
        order[next[code]] = i;
        next[code] += 1;
    }
    // Feature-major copy: feature f of sorted sample p lives at `by_feature[f * n + p]`.
    let mut by_feature = vec![0.0f64; n_features * n_samples];
    for (p, &i) in order.iter().enumerate() {
        for (f, &v) in x.row(i).iter().enumerate() {
            by_feature[f * n_samples + p] = to_f64(v);
        }
    }

    // O(n^2 d): every chunk of samples checks the caller's cancellation flag first.
    let flag = crate::cancel::current();
    let sorted_chunks: Vec<Vec<f64>> = (0..n_samples.div_ceil(SILHOUETTE_CHUNK))
        .into_par_iter()
        .map(|chunk| {
            crate::cancel::check_carried(flag.as_ref())?;
            let positions =
                chunk * SILHOUETTE_CHUNK..((chunk + 1) * SILHOUETTE_CHUNK).min(n_samples);
            let by_feature = &by_feature;
            let offsets = &offsets;
            let counts = &encoded.counts;
            let mut point = vec![0.0f64; n_features];
            Ok(positions
                .map(move |p| {
                    for (f, value) in point.iter_mut().enumerate() {
                        *value = by_feature[f * n_samples + p];
                    }
                    let own = offsets.partition_point(|&o| o <= p) - 1;
                    let mut intra = 0.0;
                    let mut inter = f64::INFINITY;
                    for c in 0..k {
                        let sum =
                            distance_sum(by_feature, n_samples, &point, offsets[c], offsets[c + 1]);
                        if c == own {
                            intra = sum;
                        } else {
                            inter = inter.min(sum / counts[c] as f64);
                        }
                    }
                    silhouette_value(intra, counts[own], inter)
                })
                .collect())
        })
        .collect::<Result<_>>()?;

    let mut scores = Array1::<f64>::zeros(n_samples);
    for (&i, &score) in order.iter().zip(sorted_chunks.iter().flatten()) {
        scores[i] = score;
    }
    Ok(scores)
}

/// Silhouette coefficients of the same rows under several labelings at once (as
/// [`silhouette_samples`] for each labeling, up to the order of the additions).
///
/// Every pairwise distance is computed once and added to the cluster sums of each labeling, so
/// scoring the five labelings of a choice of k costs little more than scoring one: the distance
/// (`d` subtractions and multiplications) dominates, the extra labelings add one addition each.
/// Memory: one feature-major copy of `x` plus one row of `n` distances per worker. Every
/// labeling needs `2 <= n_labels <= n_samples - 1`.
///
/// ```
/// use ndarray::array;
/// use segcore::select::metrics::{silhouette_samples, silhouette_samples_shared};
///
/// let x = array![[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0], [5.0, 5.0]];
/// let two = array![0usize, 0, 1, 1, 1];
/// let three = array![0usize, 0, 1, 1, 2];
/// let shared = silhouette_samples_shared(x.view(), &[two.view(), three.view()])?;
/// let alone = silhouette_samples(x.view(), three.view())?;
/// assert!((&shared[1] - &alone).iter().all(|d| d.abs() < 1e-12));
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn silhouette_samples_shared<F: Float>(
    x: ArrayView2<F>,
    labelings: &[ArrayView1<usize>],
) -> Result<Vec<Array1<f64>>> {
    check_matrix(x, "X")?;
    let (n_samples, n_features) = x.dim();
    let encoded = labelings
        .iter()
        .map(|labels| {
            check_labels_length(labels.len(), n_samples)?;
            let encoded = encode_labels(labels.iter().copied());
            check_number_of_labels(encoded.n_labels(), n_samples)?;
            Ok(encoded)
        })
        .collect::<Result<Vec<_>>>()?;
    if encoded.is_empty() {
        return Ok(Vec::new());
    }
    // Feature-major copy: feature f of sample q lives at `by_feature[f * n + q]`.
    let mut by_feature = vec![0.0f64; n_features * n_samples];
    for (q, row) in x.rows().into_iter().enumerate() {
        for (f, &v) in row.iter().enumerate() {
            by_feature[f * n_samples + q] = to_f64(v);
        }
    }
    let per_sample: Vec<Vec<f64>> = (0..n_samples.div_ceil(SILHOUETTE_CHUNK))
        .into_par_iter()
        .flat_map_iter(|chunk| {
            let positions =
                chunk * SILHOUETTE_CHUNK..((chunk + 1) * SILHOUETTE_CHUNK).min(n_samples);
            let by_feature = &by_feature;
            let encoded = &encoded;
            let mut point = vec![0.0f64; n_features];
            let mut distances = vec![0.0f64; n_samples];
            let mut sums: Vec<Vec<f64>> = encoded.iter().map(|e| vec![0.0; e.n_labels()]).collect();
            positions.map(move |p| {
                for (f, value) in point.iter_mut().enumerate() {
                    *value = by_feature[f * n_samples + p];
                }
                distance_row(by_feature, n_samples, &point, &mut distances);
                encoded
                    .iter()
                    .zip(sums.iter_mut())
                    .map(|(labels, sums)| {
                        sums.fill(0.0);
                        for (&code, &distance) in labels.codes.iter().zip(distances.iter()) {
                            sums[code] += distance;
                        }
                        let own = labels.codes[p];
                        let inter = (0..labels.n_labels())
                            .filter(|&c| c != own)
                            .map(|c| sums[c] / labels.counts[c] as f64)
                            .fold(f64::INFINITY, f64::min);
                        silhouette_value(sums[own], labels.counts[own], inter)
                    })
                    .collect()
            })
        })
        .collect();
    Ok((0..encoded.len())
        .map(|j| per_sample.iter().map(|scores| scores[j]).collect())
        .collect())
}

/// Euclidean distances from `point` to every sample (feature-major `by_feature`) into `out`, on
/// 4-wide AVX registers when the CPU has them (same IEEE operations, so the same bits, as the
/// portable build; see [`distance_sum`]).
fn distance_row(by_feature: &[f64], n_samples: usize, point: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the running CPU supports AVX, checked on the line above.
            unsafe { distance_row_avx(by_feature, n_samples, point, out) };
            return;
        }
    }
    distance_row_portable(by_feature, n_samples, point, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn distance_row_avx(by_feature: &[f64], n_samples: usize, point: &[f64], out: &mut [f64]) {
    distance_row_portable(by_feature, n_samples, point, out)
}

#[inline(always)]
fn distance_row_portable(by_feature: &[f64], n_samples: usize, point: &[f64], out: &mut [f64]) {
    let mut j = 0;
    while j + LANES <= n_samples {
        let squared = squared_lanes(by_feature, n_samples, point, j);
        for l in 0..LANES {
            out[j + l] = squared[l].sqrt();
        }
        j += LANES;
    }
    while j < n_samples {
        let squared = squared_one(by_feature, n_samples, point, j);
        out[j] = squared.sqrt();
        j += 1;
    }
}

/// Squared distances from `point` to samples `j..j + LANES` (feature-major `by_feature`),
/// summed over the features in order.
#[inline(always)]
fn squared_lanes(by_feature: &[f64], n_samples: usize, point: &[f64], j: usize) -> [f64; LANES] {
    let mut squared = [0.0f64; LANES];
    for (f, &coordinate) in point.iter().enumerate() {
        let base = f * n_samples + j;
        let column: &[f64; LANES] = by_feature[base..base + LANES]
            .try_into()
            .expect("slice of LANES elements");
        for l in 0..LANES {
            let t = column[l] - coordinate;
            squared[l] += t * t;
        }
    }
    squared
}

/// Squared distance from `point` to sample `j`, summed over the features in order.
#[inline(always)]
fn squared_one(by_feature: &[f64], n_samples: usize, point: &[f64], j: usize) -> f64 {
    let mut squared = 0.0;
    for (f, &coordinate) in point.iter().enumerate() {
        let t = by_feature[f * n_samples + j] - coordinate;
        squared += t * t;
    }
    squared
}

/// One sample's silhouette from its summed intra-cluster distance, with scikit-learn's
/// `nan_to_num` outcome (0) for singleton clusters and for `a = b = 0`.
fn silhouette_value(intra_sum: f64, own_count: usize, inter_mean: f64) -> f64 {
    if own_count < 2 {
        return 0.0;
    }
    let intra = intra_sum / (own_count - 1) as f64;
    let denominator = intra.max(inter_mean);
    if denominator > 0.0 {
        (inter_mean - intra) / denominator
    } else {
        0.0
    }
}

/// Sum of Euclidean distances from `point` to sorted samples `start..end` (see
/// [`distance_sum_portable`]), on 4-wide AVX registers when the CPU has them.
///
/// Only AVX, not FMA: every lane performs the same IEEE operations as the SSE2 baseline build, so
/// the result is bit-identical on every x86-64 CPU; the wider vectors only make it faster.
fn distance_sum(
    by_feature: &[f64],
    n_samples: usize,
    point: &[f64],
    start: usize,
    end: usize,
) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the running CPU supports AVX, checked on the line above.
            return unsafe { distance_sum_avx(by_feature, n_samples, point, start, end) };
        }
    }
    distance_sum_portable(by_feature, n_samples, point, start, end)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn distance_sum_avx(
    by_feature: &[f64],
    n_samples: usize,
    point: &[f64],
    start: usize,
    end: usize,
) -> f64 {
    distance_sum_portable(by_feature, n_samples, point, start, end)
}

/// Sum of Euclidean distances from `point` to sorted samples `start..end`, `LANES` at a time.
/// The distance is computed from differences (not `|x|^2 - 2 x.y + |y|^2`), so it is exact to
/// rounding even for near-duplicate points.
#[inline(always)]
fn distance_sum_portable(
    by_feature: &[f64],
    n_samples: usize,
    point: &[f64],
    start: usize,
    end: usize,
) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let mut j = start;
    while j + LANES <= end {
        let squared = squared_lanes(by_feature, n_samples, point, j);
        for l in 0..LANES {
            lanes[l] += squared[l].sqrt();
        }
        j += LANES;
    }
    let mut tail = 0.0;
    while j < end {
        let squared = squared_one(by_feature, n_samples, point, j);
        tail += squared.sqrt();
        j += 1;
    }
    lanes.iter().sum::<f64>() + tail
}

/// Silhouette score of a seeded random subset of `sample_size` rows (scikit-learn's
/// `silhouette_score(..., sample_size=, random_state=)`; the subset itself differs from numpy's).
///
/// `sample_size >= n_samples` uses every row. The subset must still hold 2 to `sample_size - 1`
/// distinct labels.
pub fn silhouette_score_sampled<F: Float>(
    x: ArrayView2<F>,
    labels: ArrayView1<usize>,
    sample_size: usize,
    seed: u64,
) -> Result<f64> {
    if sample_size < 2 {
        return Err(Error::invalid_parameter(
            "sample_size",
            sample_size,
            "an integer >= 2",
        ));
    }
    check_matrix(x, "X")?;
    check_labels_length(labels.len(), x.nrows())?;
    let n_samples = x.nrows();
    if sample_size >= n_samples {
        return silhouette_score(x, labels);
    }
    // Partial Fisher-Yates: the first `sample_size` entries become a uniform random subset.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut indices: Vec<usize> = (0..n_samples).collect();
    for i in 0..sample_size {
        let j = rng.gen_range(i..n_samples);
        indices.swap(i, j);
    }
    indices.truncate(sample_size);
    let subset = x.select(Axis(0), &indices);
    let subset_labels: Array1<usize> = indices.iter().map(|&i| labels[i]).collect();
    silhouette_score(subset.view(), subset_labels.view())
}

/// Calinski-Harabasz score (variance ratio criterion): between-cluster dispersion over
/// within-cluster dispersion, scaled by `(n - k) / (k - 1)`; 1 when every cluster is a single point
/// value (zero within-cluster dispersion), as scikit-learn.
pub fn calinski_harabasz_score<F: Float>(
    x: ArrayView2<F>,
    labels: ArrayView1<usize>,
) -> Result<f64> {
    let encoded = prepare(x, labels)?;
    let n_samples = x.nrows();
    let k = encoded.n_labels();
    let means = cluster_means(x, &encoded);
    let mut overall = Array1::<f64>::zeros(x.ncols());
    for (row, &count) in means.rows().into_iter().zip(&encoded.counts) {
        overall.scaled_add(count as f64, &row);
    }
    overall /= n_samples as f64;
    let between: f64 = means
        .rows()
        .into_iter()
        .zip(&encoded.counts)
        .map(|(row, &count)| count as f64 * squared_distance(row, overall.view()))
        .sum();
    let within = chunked_sum(n_samples, |i| {
        squared_distance(x.row(i), means.row(encoded.codes[i]))
    });
    Ok(if within == 0.0 {
        1.0
    } else {
        between * (n_samples - k) as f64 / (within * (k - 1) as f64)
    })
}

/// Davies-Bouldin score: mean over clusters of the worst ratio `(s_i + s_j) / d(c_i, c_j)`, with
/// `s_i` the mean distance of cluster `i`'s points to its centroid. Lower is better; 0 when all
/// spreads or all centroid distances are ~0 (scikit-learn's `isclose(.., 0)` guard).
pub fn davies_bouldin_score<F: Float>(x: ArrayView2<F>, labels: ArrayView1<usize>) -> Result<f64> {
    let encoded = prepare(x, labels)?;
    let n_samples = x.nrows();
    let k = encoded.n_labels();
    let centroids = cluster_means(x, &encoded);
    let partial: Vec<Vec<f64>> = (0..n_samples.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map(|chunk| {
            let mut sums = vec![0.0; k];
            for i in chunk * CHUNK_ROWS..((chunk + 1) * CHUNK_ROWS).min(n_samples) {
                let code = encoded.codes[i];
                sums[code] += squared_distance(x.row(i), centroids.row(code)).sqrt();
            }
            sums
        })
        .collect();
    let mut spread = vec![0.0; k];
    for sums in &partial {
        for (s, v) in spread.iter_mut().zip(sums) {
            *s += v;
        }
    }
    for (s, &count) in spread.iter_mut().zip(&encoded.counts) {
        *s /= count as f64;
    }
    let centroid_distance =
        |a: usize, b: usize| squared_distance(centroids.row(a), centroids.row(b)).sqrt();
    // numpy's isclose(v, 0) with default tolerances: |v| <= 1e-8.
    let near_zero = |v: f64| v.abs() <= 1e-8;
    let all_distances_zero = (0..k).all(|a| (0..k).all(|b| near_zero(centroid_distance(a, b))));
    if spread.iter().all(|&s| near_zero(s)) || all_distances_zero {
        return Ok(0.0);
    }
    let mut total = 0.0;
    for a in 0..k {
        let mut worst = 0.0f64;
        for b in 0..k {
            let distance = centroid_distance(a, b);
            // scikit-learn replaces zero centroid distances (the diagonal) by infinity: ratio 0.
            if distance != 0.0 {
                worst = worst.max((spread[a] + spread[b]) / distance);
            }
        }
        total += worst;
    }
    Ok(total / k as f64)
}

/// Sum of squared distances of each row to its cluster's center (k-means' objective).
///
/// With `centers = None` the centers are the cluster means and labels may be any values; with
/// `Some(centers)` label `l` refers to row `l` of `centers`. Needs no minimum number of labels.
pub fn inertia<F: Float>(
    x: ArrayView2<F>,
    labels: ArrayView1<usize>,
    centers: Option<ArrayView2<F>>,
) -> Result<f64> {
    check_matrix(x, "X")?;
    check_labels_length(labels.len(), x.nrows())?;
    let n_samples = x.nrows();
    match centers {
        Some(centers) => {
            check_matrix(centers, "centers")?;
            if centers.ncols() != x.ncols() {
                return Err(Error::ShapeMismatch {
                    what: "centers (number of features of X)".into(),
                    expected: x.ncols(),
                    got: centers.ncols(),
                });
            }
            if let Some(&label) = labels.iter().find(|&&l| l >= centers.nrows()) {
                return Err(Error::invalid_parameter(
                    "labels",
                    label,
                    format!("a row index of centers, < {}", centers.nrows()),
                ));
            }
            let centers = centers.mapv(to_f64);
            Ok(chunked_sum(n_samples, |i| {
                squared_distance(x.row(i), centers.row(labels[i]))
            }))
        }
        None => {
            let encoded = encode_labels(labels.iter().copied());
            let means = cluster_means(x, &encoded);
            Ok(chunked_sum(n_samples, |i| {
                squared_distance(x.row(i), means.row(encoded.codes[i]))
            }))
        }
    }
}

/// Non-zero cells of the contingency table: `(row code, column code, count)` sorted by row then
/// column, plus the encodings. Sparse so that labelings with many distinct values stay cheap.
struct Contingency {
    cells: Vec<(usize, usize, u64)>,
    row_counts: Vec<usize>,
    column_counts: Vec<usize>,
}

fn contingency(labels_true: &[usize], labels_pred: &[usize]) -> Result<Contingency> {
    if labels_true.len() != labels_pred.len() {
        return Err(Error::ShapeMismatch {
            what: "labels_pred (same length as labels_true)".into(),
            expected: labels_true.len(),
            got: labels_pred.len(),
        });
    }
    let rows = encode_labels(labels_true.iter().copied());
    let columns = encode_labels(labels_pred.iter().copied());
    let mut pairs: Vec<(usize, usize)> = rows
        .codes
        .iter()
        .copied()
        .zip(columns.codes.iter().copied())
        .collect();
    pairs.sort_unstable();
    let mut cells: Vec<(usize, usize, u64)> = Vec::new();
    for pair in pairs {
        match cells.last_mut() {
            Some(last) if (last.0, last.1) == pair => last.2 += 1,
            _ => cells.push((pair.0, pair.1, 1)),
        }
    }
    Ok(Contingency {
        cells,
        row_counts: rows.counts,
        column_counts: columns.counts,
    })
}

/// Contingency table: entry `(i, j)` counts samples with the `i`-th smallest true label and the
/// `j`-th smallest predicted label (scikit-learn's dense `contingency_matrix`).
pub fn contingency_matrix(labels_true: &[usize], labels_pred: &[usize]) -> Result<Array2<usize>> {
    let table = contingency(labels_true, labels_pred)?;
    let mut dense = Array2::zeros((table.row_counts.len(), table.column_counts.len()));
    for &(i, j, count) in &table.cells {
        dense[[i, j]] = count as usize;
    }
    Ok(dense)
}

/// Adjusted Rand index: pair-counting agreement corrected for chance; 1 for identical labelings
/// (up to renaming), about 0 for independent ones, and 1 for empty input, as scikit-learn.
///
/// ```
/// use segcore::select::metrics::adjusted_rand_score;
///
/// assert_eq!(adjusted_rand_score(&[0, 0, 1, 1], &[5, 5, 3, 3])?, 1.0);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn adjusted_rand_score(labels_true: &[usize], labels_pred: &[usize]) -> Result<f64> {
    let table = contingency(labels_true, labels_pred)?;
    let n = labels_true.len() as i128;
    // scikit-learn's pair confusion matrix, in exact integers (it converts to Python ints too).
    let mut sum_squares: i128 = 0;
    let mut weighted_by_column: i128 = 0;
    let mut weighted_by_row: i128 = 0;
    for &(i, j, count) in &table.cells {
        let count = count as i128;
        sum_squares += count * count;
        weighted_by_column += count * table.column_counts[j] as i128;
        weighted_by_row += count * table.row_counts[i] as i128;
    }
    let tp = sum_squares - n;
    let fp = weighted_by_column - sum_squares;
    let fn_ = weighted_by_row - sum_squares;
    let tn = n * n - fp - fn_ - sum_squares;
    if fn_ == 0 && fp == 0 {
        return Ok(1.0);
    }
    // Same rounding as Python's `2.0 * int / int`: each exact integer rounds once to f64.
    let numerator = 2.0 * (tp * tn - fn_ * fp) as f64;
    let denominator = ((tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn)) as f64;
    Ok(numerator / denominator)
}

fn entropy(counts: &[usize]) -> f64 {
    if counts.len() <= 1 {
        return 0.0;
    }
    let total = counts.iter().sum::<usize>() as f64;
    let log_total = total.ln();
    -counts
        .iter()
        .map(|&c| (c as f64 / total) * ((c as f64).ln() - log_total))
        .sum::<f64>()
}

fn mutual_info_from(table: &Contingency) -> f64 {
    if table.row_counts.len() <= 1 || table.column_counts.len() <= 1 {
        return 0.0;
    }
    let total = table.cells.iter().map(|c| c.2).sum::<u64>() as f64;
    let log_total = total.ln();
    let sum: f64 = table
        .cells
        .iter()
        .map(|&(i, j, count)| {
            let share = count as f64 / total;
            let outer = (table.row_counts[i] as u128 * table.column_counts[j] as u128) as f64;
            let log_outer = -outer.ln() + log_total + log_total;
            let term = share * ((count as f64).ln() - log_total) + share * log_outer;
            // scikit-learn zeroes terms below machine epsilon before summing.
            if term.abs() < f64::EPSILON {
                0.0
            } else {
                term
            }
        })
        .sum();
    sum.max(0.0)
}

/// Mutual information between two labelings, in nats (scikit-learn's `mutual_info_score`).
pub fn mutual_info_score(labels_true: &[usize], labels_pred: &[usize]) -> Result<f64> {
    Ok(mutual_info_from(&contingency(labels_true, labels_pred)?))
}

/// Normalised mutual information with the arithmetic mean of the two entropies as normaliser
/// (scikit-learn's default `average_method="arithmetic"`). 1 when both labelings have a single
/// cluster or are empty; 0 when the mutual information is 0.
pub fn normalized_mutual_info_score(labels_true: &[usize], labels_pred: &[usize]) -> Result<f64> {
    let table = contingency(labels_true, labels_pred)?;
    let (n_rows, n_columns) = (table.row_counts.len(), table.column_counts.len());
    if n_rows == n_columns && n_rows <= 1 {
        return Ok(1.0);
    }
    let mi = mutual_info_from(&table);
    if mi == 0.0 {
        return Ok(0.0);
    }
    let normaliser = (entropy(&table.row_counts) + entropy(&table.column_counts)) / 2.0;
    Ok(mi / normaliser)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn blobs(
        n_per: usize,
        centers: &[[f64; 3]],
        spread: f64,
        seed: u64,
    ) -> (Array2<f64>, Array1<usize>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let n = n_per * centers.len();
        let mut x = Array2::zeros((n, 3));
        let mut labels = Array1::zeros(n);
        for (c, center) in centers.iter().enumerate() {
            for r in 0..n_per {
                let i = c * n_per + r;
                labels[i] = c * 7 + 3; // non-contiguous label values on purpose
                for f in 0..3 {
                    x[[i, f]] = center[f] + spread * (rng.r#gen::<f64>() - 0.5);
                }
            }
        }
        (x, labels)
    }

    fn distance(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
        a.iter()
            .zip(b.iter())
            .map(|(p, q)| (p - q) * (p - q))
            .sum::<f64>()
            .sqrt()
    }

    /// Textbook silhouette straight from the definition.
    fn silhouette_reference(x: &Array2<f64>, labels: &[usize]) -> Vec<f64> {
        let n = x.nrows();
        let mut distinct = labels.to_vec();
        distinct.sort();
        distinct.dedup();
        (0..n)
            .map(|i| {
                let members = |l: usize| (0..n).filter(move |&j| labels[j] == l);
                let own: Vec<usize> = members(labels[i]).filter(|&j| j != i).collect();
                if own.is_empty() {
                    return 0.0;
                }
                let a = own
                    .iter()
                    .map(|&j| distance(x.row(i), x.row(j)))
                    .sum::<f64>()
                    / own.len() as f64;
                let b = distinct
                    .iter()
                    .filter(|&&l| l != labels[i])
                    .map(|&l| {
                        let m: Vec<usize> = members(l).collect();
                        m.iter().map(|&j| distance(x.row(i), x.row(j))).sum::<f64>()
                            / m.len() as f64
                    })
                    .fold(f64::INFINITY, f64::min);
                if a.max(b) == 0.0 {
                    0.0
                } else {
                    (b - a) / a.max(b)
                }
            })
            .collect()
    }

    #[test]
    fn silhouette_of_textbook_example() {
        // Points on a line: {0, 1} and {4}, {5}: hand-computed values.
        let x = array![[0.0], [1.0], [4.0], [5.0]];
        let labels = array![0usize, 0, 1, 1];
        let s = silhouette_samples(x.view(), labels.view()).unwrap();
        // Sample 0: a = 1, b = (4 + 5) / 2 = 4.5 -> 3.5 / 4.5.
        assert!((s[0] - 3.5 / 4.5).abs() < 1e-15);
        // Sample 1: a = 1, b = (3 + 4) / 2 = 3.5 -> 2.5 / 3.5.
        assert!((s[1] - 2.5 / 3.5).abs() < 1e-15);
        assert!((s[2] - 2.5 / 3.5).abs() < 1e-15);
        assert!((s[3] - 3.5 / 4.5).abs() < 1e-15);
    }

    #[test]
    fn silhouette_matches_brute_force_with_singletons_and_tails() {
        // 3 clusters of uneven sizes (tails not multiple of LANES) plus a singleton cluster.
        let (mut x, mut labels) = blobs(
            13,
            &[[0.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.5, 3.0, 1.0]],
            2.0,
            1,
        );
        x.push_row(array![9.0, 9.0, 9.0].view()).unwrap();
        labels.append(Axis(0), array![1000usize].view()).unwrap();
        let fast = silhouette_samples(x.view(), labels.view()).unwrap();
        let slow = silhouette_reference(&x, labels.as_slice().unwrap());
        assert_eq!(fast[x.nrows() - 1], 0.0);
        for (a, b) in fast.iter().zip(&slow) {
            assert!((a - b).abs() < 1e-13, "{a} vs {b}");
        }
        let score = silhouette_score(x.view(), labels.view()).unwrap();
        assert!((score - slow.iter().sum::<f64>() / slow.len() as f64).abs() < 1e-13);
        // f32 input gives the same (widened) result on f32-representable data.
        let x32 = x.mapv(|v| v as f32);
        let s32 = silhouette_score(x32.view(), labels.view()).unwrap();
        let s64 = silhouette_score(x32.mapv(|v| v as f64).view(), labels.view()).unwrap();
        assert_eq!(s32, s64);
    }

    #[test]
    fn silhouette_is_thread_count_independent_and_sampling_is_seeded() {
        let (x, labels) = blobs(
            300,
            &[[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 2.0, 1.0]],
            1.5,
            2,
        );
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| silhouette_score(x.view(), labels.view()).unwrap())
        };
        assert_eq!(run(1), run(3));
        let a = silhouette_score_sampled(x.view(), labels.view(), 200, 7).unwrap();
        let b = silhouette_score_sampled(x.view(), labels.view(), 200, 7).unwrap();
        let c = silhouette_score_sampled(x.view(), labels.view(), 200, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!((a - run(1)).abs() < 0.1);
        assert_eq!(
            silhouette_score_sampled(x.view(), labels.view(), 10_000, 7).unwrap(),
            run(1)
        );
    }

    #[test]
    fn internal_metrics_reject_bad_label_counts() {
        let x = array![[0.0], [1.0], [2.0]];
        let is_labels_error =
            |r: Result<f64>| matches!(r, Err(Error::InvalidParameter { name: "labels", .. }));
        for labels in [array![0usize, 0, 0], array![0usize, 1, 2]] {
            assert!(is_labels_error(silhouette_score(x.view(), labels.view())));
            assert!(is_labels_error(calinski_harabasz_score(
                x.view(),
                labels.view()
            )));
            assert!(is_labels_error(davies_bouldin_score(
                x.view(),
                labels.view()
            )));
        }
        assert!(matches!(
            silhouette_score(x.view(), array![0usize, 1].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            silhouette_score_sampled(x.view(), array![0usize, 1, 1].view(), 1, 0),
            Err(Error::InvalidParameter {
                name: "sample_size",
                ..
            })
        ));
        let bad = array![[0.0], [f64::NAN], [2.0]];
        assert!(matches!(
            silhouette_score(bad.view(), array![0usize, 1, 1].view()),
            Err(Error::NonFiniteValue { row: 1, .. })
        ));
    }

    #[test]
    fn calinski_harabasz_and_davies_bouldin_match_definitions() {
        let (x, labels) = blobs(
            20,
            &[[0.0, 0.0, 0.0], [3.0, 1.0, 0.0], [0.5, 4.0, 1.0]],
            2.0,
            3,
        );
        let groups: Vec<Vec<usize>> = [3usize, 10, 17]
            .iter()
            .map(|&l| (0..x.nrows()).filter(|&i| labels[i] == l).collect())
            .collect();
        let mean_of = |rows: &[usize]| x.select(Axis(0), rows).mean_axis(Axis(0)).unwrap();
        let overall = x.mean_axis(Axis(0)).unwrap();
        let centroids: Vec<Array1<f64>> = groups.iter().map(|g| mean_of(g)).collect();
        let mut between = 0.0;
        let mut within = 0.0;
        for (g, c) in groups.iter().zip(&centroids) {
            between += g.len() as f64 * distance(c.view(), overall.view()).powi(2);
            within += g
                .iter()
                .map(|&i| distance(x.row(i), c.view()).powi(2))
                .sum::<f64>();
        }
        let ch = between * (60.0 - 3.0) / (within * 2.0);
        assert!(
            (calinski_harabasz_score(x.view(), labels.view()).unwrap() - ch).abs() < 1e-10 * ch
        );
        assert!((inertia(x.view(), labels.view(), None).unwrap() - within).abs() < 1e-10 * within);

        let spread: Vec<f64> = groups
            .iter()
            .zip(&centroids)
            .map(|(g, c)| {
                g.iter().map(|&i| distance(x.row(i), c.view())).sum::<f64>() / g.len() as f64
            })
            .collect();
        let db = (0..3)
            .map(|a| {
                (0..3)
                    .filter(|&b| b != a)
                    .map(|b| {
                        (spread[a] + spread[b]) / distance(centroids[a].view(), centroids[b].view())
                    })
                    .fold(0.0, f64::max)
            })
            .sum::<f64>()
            / 3.0;
        assert!((davies_bouldin_score(x.view(), labels.view()).unwrap() - db).abs() < 1e-12);

        // Explicit centers: label l is row l of centers.
        let centers = array![[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]];
        let xs = array![[1.0, 0.0, 0.0], [1.0, 1.0, 3.0]];
        assert_eq!(
            inertia(xs.view(), array![0usize, 1].view(), Some(centers.view())).unwrap(),
            5.0
        );
        assert!(matches!(
            inertia(xs.view(), array![0usize, 2].view(), Some(centers.view())),
            Err(Error::InvalidParameter { name: "labels", .. })
        ));
    }

    #[test]
    fn degenerate_cases_follow_scikit_learn() {
        // Two clusters, each of identical points: zero within-dispersion.
        let x = array![[1.0, 1.0], [1.0, 1.0], [3.0, 3.0]];
        let labels = array![0usize, 0, 1];
        assert_eq!(
            calinski_harabasz_score(x.view(), labels.view()).unwrap(),
            1.0
        );
        assert_eq!(davies_bouldin_score(x.view(), labels.view()).unwrap(), 0.0);
    }

    /// Brute-force pair counting: pairs together in both, apart in both, etc.
    fn ari_reference(a: &[usize], b: &[usize]) -> f64 {
        let n = a.len();
        let (mut tp, mut fp, mut fn_, mut tn) = (0i128, 0i128, 0i128, 0i128);
        for i in 0..n {
            for j in 0..n {
                if i == j {
                    continue;
                }
                match (a[i] == a[j], b[i] == b[j]) {
                    (true, true) => tp += 1,
                    (false, true) => fp += 1,
                    (true, false) => fn_ += 1,
                    (false, false) => tn += 1,
                }
            }
        }
        if fp == 0 && fn_ == 0 {
            return 1.0;
        }
        2.0 * (tp * tn - fn_ * fp) as f64 / ((tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn)) as f64
    }

    #[test]
    fn adjusted_rand_matches_pair_counting() {
        let a = [0usize, 0, 0, 1, 1, 1, 2, 2, 2, 2, 5];
        let b = [1usize, 1, 0, 0, 3, 3, 2, 2, 2, 9, 9];
        assert!((adjusted_rand_score(&a, &b).unwrap() - ari_reference(&a, &b)).abs() < 1e-15);
        assert_eq!(adjusted_rand_score(&a, &a).unwrap(), 1.0);
        let renamed: Vec<usize> = a.iter().map(|&l| 100 - l).collect();
        assert_eq!(adjusted_rand_score(&a, &renamed).unwrap(), 1.0);
        assert_eq!(adjusted_rand_score(&[], &[]).unwrap(), 1.0);
        // Known value from scikit-learn's documentation.
        assert!(
            (adjusted_rand_score(&[0, 0, 1, 2], &[0, 0, 1, 1]).unwrap() - 0.5714285714285715).abs()
                < 1e-15
        );
        assert!(matches!(
            adjusted_rand_score(&[0, 1], &[0]),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn mutual_information_matches_definition() {
        let a = [0usize, 0, 0, 1, 1, 1, 2, 2, 2, 2, 5];
        let b = [1usize, 1, 0, 0, 3, 3, 2, 2, 2, 9, 9];
        let table = contingency_matrix(&a, &b).unwrap();
        assert_eq!(table.sum(), a.len());
        assert_eq!(table.dim(), (4, 5));
        assert_eq!(table[[0, 1]], 2); // label 0 with label 1
        let n = a.len() as f64;
        let rows = table.sum_axis(Axis(1));
        let cols = table.sum_axis(Axis(0));
        let mut mi = 0.0;
        for ((i, j), &c) in table.indexed_iter() {
            if c > 0 {
                let p = c as f64 / n;
                mi += p * (p / (rows[i] as f64 / n * cols[j] as f64 / n)).ln();
            }
        }
        let h = |v: &Array1<usize>| {
            -v.iter()
                .map(|&c| c as f64 / n * (c as f64 / n).ln())
                .sum::<f64>()
        };
        assert!((mutual_info_score(&a, &b).unwrap() - mi).abs() < 1e-14);
        let nmi = mi / ((h(&rows) + h(&cols)) / 2.0);
        assert!((normalized_mutual_info_score(&a, &b).unwrap() - nmi).abs() < 1e-14);
        assert!((normalized_mutual_info_score(&a, &a).unwrap() - 1.0).abs() < 1e-15);
        assert_eq!(
            normalized_mutual_info_score(&[1, 1, 1], &[4, 4, 4]).unwrap(),
            1.0
        );
        assert_eq!(
            normalized_mutual_info_score(&[1, 1, 1], &[0, 1, 2]).unwrap(),
            0.0
        );
    }
}
