//! Two-stage Ward for data beyond exact Ward's reach: k-means micro-clusters, then weighted Ward.
//!
//! The approximation: each micro-cluster enters Ward as one point at its (weighted) centroid with
//! its weight sum as size. Ward's merge cost between two groups depends only on their centroids and
//! sizes, so merges *between* micro-clusters are priced exactly; what is lost is the freedom to
//! split a micro-cluster, so a customer follows its micro-cluster into a segment. Heights are
//! those of the micro-cluster tree (they omit the within-micro-cluster sums of squares).

use super::linkage::WardInput;
use crate::error::{Error, Result};
use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::{Array2, ArrayView2};
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

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

/// Assigns rows to `n_micro` micro-clusters with k-means.
///
/// For now linfa's KMeans (one run, k-means++ start); it is unweighted, so the sample weights only
/// enter through the micro-cluster centroids and sizes computed here. To be replaced by segcore's
/// own k-means (faster, weighted) once it lands.
pub(crate) fn micro_clusters(
    input: &WardInput,
    n_micro: usize,
    max_iterations: u64,
    seed: u64,
) -> Result<MicroClusters> {
    let d = input.n_features;
    let n = input.weights.len();
    let x = ArrayView2::from_shape((n, d), &input.points)
        .expect("WardInput holds n x n_features values");
    let dataset = DatasetBase::from(x.to_owned());
    let model = KMeans::params_with_rng(n_micro, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(1)
        .max_n_iterations(max_iterations)
        .tolerance(1e-4)
        .fit(&dataset)
        .map_err(|e| Error::Numerical {
            reason: format!("two-stage k-means failed: {e}"),
        })?;
    let assignment = model.predict(&x);

    // Weighted centroids of the final assignment; empty micro-clusters are dropped and the rest
    // renumbered in order of their k-means index, so the leaves are deterministic.
    let mut sums = Array2::<f64>::zeros((n_micro, d));
    let mut weights = vec![0.0; n_micro];
    let mut counts = vec![0.0; n_micro];
    for (row, &c) in assignment.iter().enumerate() {
        let w = input.weights[row];
        weights[c] += w;
        counts[c] += 1.0;
        let mut s = sums.row_mut(c);
        for (j, v) in s.iter_mut().enumerate() {
            *v += w * input.points[row * d + j];
        }
    }
    let mut new_index = vec![usize::MAX; n_micro];
    let mut out = MicroClusters {
        centroids: Vec::new(),
        weights: Vec::new(),
        counts: Vec::new(),
        leaf_of_row: Vec::with_capacity(n),
    };
    for c in 0..n_micro {
        if counts[c] > 0.0 {
            new_index[c] = out.weights.len();
            out.weights.push(weights[c]);
            out.counts.push(counts[c]);
            out.centroids
                .extend(sums.row(c).iter().map(|&s| s / weights[c]));
        }
    }
    out.leaf_of_row
        .extend(assignment.iter().map(|&c| new_index[c]));
    Ok(out)
}
