//! Two-stage Ward for data beyond exact Ward's reach: k-means micro-clusters, then weighted Ward.
//!
//! The approximation: each micro-cluster enters Ward as one point at its (weighted) centroid with
//! its weight sum as size. Ward's merge cost between two groups depends only on their centroids and
//! sizes, so merges *between* micro-clusters are priced exactly; what is lost is the freedom to
//! split a micro-cluster, so a customer follows its micro-cluster into a segment. Heights are
//! those of the micro-cluster tree (they omit the within-micro-cluster sums of squares).

use super::linkage::WardInput;
use crate::error::Result;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;

/// Rows per parallel work item: fixed, and partial sums are reduced in chunk order, so the
/// micro-clusters are bit-identical on any number of threads.
const ROWS_PER_CHUNK: usize = 4096;

/// Micro-clusters found by k-means, in the form the chain takes as leaves.
pub(crate) struct MicroClusters {
    /// Row-major weighted centroids of the non-empty micro-clusters.
    pub(crate) centroids: Vec<f64>,
    /// Weight sum of each micro-cluster (the Ward size).
    pub(crate) weights: Vec<f64>,
    /// Number of rows in each micro-cluster (linkage column 3).
    pub(crate) counts: Vec<f64>,
    /// Micro-cluster (leaf) of every input row.
    pub(crate) leaf_of_row: Vec<usize>,
}

/// Assigns rows to at most `n_micro` micro-clusters with weighted k-means (k-means++ seeding,
/// then Lloyd iterations until no row moves or `max_iterations`).
///
/// A small private k-means rather than linfa's: linfa's k-means++ start recomputes every
/// distance for every new centre (O(n k^2 d)) and took 100 s for 20,000 x 8 into 1,000
/// micro-clusters (benches/compare_ward.py --two-stage); it is also unweighted. To be replaced by
/// segcore's own k-means once it lands.
pub(crate) fn micro_clusters(
    input: &WardInput,
    n_micro: usize,
    max_iterations: u64,
    seed: u64,
) -> Result<MicroClusters> {
    let d = input.n_features;
    let points = &input.points;
    let weights = &input.weights;
    let n = weights.len();
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);

    // k-means++ seeding with an incrementally kept distance to the nearest chosen centre.
    let mut centres: Vec<f64> = Vec::with_capacity(n_micro * d);
    let first = pick_weighted(weights.iter().copied(), weights.iter().sum(), &mut rng);
    centres.extend_from_slice(&points[first * d..(first + 1) * d]);
    let mut nearest_sq: Vec<f64> = vec![f64::INFINITY; n];
    update_nearest(points, d, &centres[..d], &mut nearest_sq);
    while centres.len() < n_micro * d {
        let mass: Vec<f64> = nearest_sq.iter().zip(weights).map(|(s, w)| s * w).collect();
        let total: f64 = mass.iter().sum();
        if total <= 0.0 {
            break; // fewer distinct rows than micro-clusters
        }
        let next = pick_weighted(mass.into_iter(), total, &mut rng);
        let start = centres.len();
        centres.extend_from_slice(&points[next * d..(next + 1) * d]);
        update_nearest(points, d, &centres[start..], &mut nearest_sq);
    }
    let k = centres.len() / d;

    let mut assignment = vec![usize::MAX; n];
    for _ in 0..max_iterations {
        let moved = assign(points, d, &centres, &mut assignment);
        let (sums, cluster_weights) = weighted_sums(points, weights, d, k, &assignment);
        for c in 0..k {
            // An emptied centre keeps its place; it is dropped below if it stays empty.
            if cluster_weights[c] > 0.0 {
                for j in 0..d {
                    centres[c * d + j] = sums[c * d + j] / cluster_weights[c];
                }
            }
        }
        if moved == 0 {
            break;
        }
    }
    assign(points, d, &centres, &mut assignment);

    // Weighted centroids of the final assignment; empty micro-clusters are dropped and the rest
    // keep their k-means order.
    let (sums, cluster_weights) = weighted_sums(points, weights, d, k, &assignment);
    let mut counts = vec![0.0; k];
    for &c in &assignment {
        counts[c] += 1.0;
    }
    let mut new_index = vec![usize::MAX; k];
    let mut out = MicroClusters {
        centroids: Vec::new(),
        weights: Vec::new(),
        counts: Vec::new(),
        leaf_of_row: Vec::with_capacity(n),
    };
    for c in 0..k {
        if counts[c] > 0.0 {
            new_index[c] = out.weights.len();
            out.weights.push(cluster_weights[c]);
            out.counts.push(counts[c]);
            out.centroids
                .extend((0..d).map(|j| sums[c * d + j] / cluster_weights[c]));
        }
    }
    out.leaf_of_row
        .extend(assignment.iter().map(|&c| new_index[c]));
    Ok(out)
}

/// Index drawn with probability proportional to `mass` (sequential, so seeded draws repeat).
fn pick_weighted(mass: impl Iterator<Item = f64>, total: f64, rng: &mut Xoshiro256Plus) -> usize {
    let target = rng.gen::<f64>() * total;
    let mut cumulative = 0.0;
    let mut last_positive = 0;
    for (i, m) in mass.enumerate() {
        if m > 0.0 {
            cumulative += m;
            last_positive = i;
            if cumulative > target {
                return i;
            }
        }
    }
    last_positive
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn update_nearest(points: &[f64], d: usize, centre: &[f64], nearest_sq: &mut [f64]) {
    nearest_sq
        .par_chunks_mut(ROWS_PER_CHUNK)
        .zip(points.par_chunks(ROWS_PER_CHUNK * d))
        .for_each(|(best, rows)| {
            for (b, row) in best.iter_mut().zip(rows.chunks_exact(d)) {
                *b = b.min(squared_distance(row, centre));
            }
        });
}

/// Nearest centre of every row (ties to the lower centre); returns how many rows moved.
fn assign(points: &[f64], d: usize, centres: &[f64], assignment: &mut [usize]) -> usize {
    assignment
        .par_chunks_mut(ROWS_PER_CHUNK)
        .zip(points.par_chunks(ROWS_PER_CHUNK * d))
        .map(|(labels, rows)| {
            let mut moved = 0;
            for (label, row) in labels.iter_mut().zip(rows.chunks_exact(d)) {
                let mut best = (f64::INFINITY, 0);
                for (c, centre) in centres.chunks_exact(d).enumerate() {
                    let sq = squared_distance(row, centre);
                    if sq < best.0 {
                        best = (sq, c);
                    }
                }
                if *label != best.1 {
                    *label = best.1;
                    moved += 1;
                }
            }
            moved
        })
        .sum()
}

/// Per-cluster weighted coordinate sums and weight sums, reduced in chunk order.
fn weighted_sums(
    points: &[f64],
    weights: &[f64],
    d: usize,
    k: usize,
    assignment: &[usize],
) -> (Vec<f64>, Vec<f64>) {
    let partials: Vec<(Vec<f64>, Vec<f64>)> = points
        .par_chunks(ROWS_PER_CHUNK * d)
        .zip(weights.par_chunks(ROWS_PER_CHUNK))
        .zip(assignment.par_chunks(ROWS_PER_CHUNK))
        .map(|((rows, ws), labels)| {
            let mut sums = vec![0.0; k * d];
            let mut totals = vec![0.0; k];
            for ((row, &w), &c) in rows.chunks_exact(d).zip(ws).zip(labels) {
                totals[c] += w;
                for j in 0..d {
                    sums[c * d + j] += w * row[j];
                }
            }
            (sums, totals)
        })
        .collect();
    let mut sums = vec![0.0; k * d];
    let mut totals = vec![0.0; k];
    for (s, t) in partials {
        sums.iter_mut().zip(&s).for_each(|(a, b)| *a += b);
        totals.iter_mut().zip(&t).for_each(|(a, b)| *a += b);
    }
    (sums, totals)
}
