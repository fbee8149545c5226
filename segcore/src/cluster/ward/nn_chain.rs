//! The nearest-neighbour chain over cluster centroids: Ward linkage in O(n * d) memory.
//!
//! Ward's distance between clusters `u` and `v` (scipy's convention) is
//! `sqrt(2 * w_u * w_v / (w_u + w_v)) * ||c_u - c_v||`, where `w` is the cluster's weight (its size
//! when unweighted) and `c` its (weighted) centroid. Ward's linkage is *reducible*, so the
//! nearest-neighbour chain finds the same dendrogram as the greedy O(n^3) algorithm while only
//! keeping the centroids and weights of the active clusters; the distances are recomputed from
//! the centroids on every scan instead of being kept in an n x n matrix.
//!
//! The chain replicates scipy's `nn_chain` (scipy/cluster/_hierarchy.pyx) step by step, so that
//! merges with exactly equal heights come out in the same order:
//! - a new chain starts at the active cluster with the smallest slot (original row) index;
//! - the nearest neighbour of the chain's top is the one with the smallest distance; on equal
//!   distances the previous chain element is preferred, then the smallest slot index;
//! - merging slots `x < y` keeps the new cluster in slot `y` and retires slot `x`.
//!
//! The merges are then stable-sorted by height and relabelled with a union-find (scipy's
//! `label`), giving scipy's numbering of new clusters (n + merge index).

use crate::numeric::sq_dist;
use rayon::prelude::*;

/// Below this many active values (clusters x features) a scan runs on the calling thread: the
/// rayon fork/join costs a few microseconds, more than a scan of this size.
const PARALLEL_MIN_VALUES: usize = 1 << 15;

/// Rows per parallel work item. Fixed, so the split never depends on the thread count (and the
/// reduction is a total order on `(distance, slot)`, so the result is bit-identical anyway).
const ROWS_PER_CHUNK: usize = 2048;

/// Marks a retired slot in `row_of_slot`.
const RETIRED: usize = usize::MAX;

/// The result of the chain, already sorted and relabelled in scipy's format.
pub(crate) struct ChainResult {
    /// (n_leaves - 1) x 4, row-major: cluster a, cluster b (a < b), height, observation count.
    pub(crate) linkage: Vec<[f64; 4]>,
    /// Centroid of every merged cluster, row-major, in linkage order (node `n_leaves + i` is row i).
    pub(crate) merged_centroids: Vec<f64>,
    /// Weight of every merged cluster, in linkage order.
    pub(crate) merged_weights: Vec<f64>,
}

/// The active clusters, stored compactly so each scan walks one contiguous block of memory.
struct ActiveClusters {
    n_features: usize,
    /// Row r holds the centroid of the cluster in slot `slot_of_row[r]`.
    centroids: Vec<f64>,
    weights: Vec<f64>,
    slot_of_row: Vec<usize>,
    row_of_slot: Vec<usize>,
}

impl ActiveClusters {
    fn len(&self) -> usize {
        self.weights.len()
    }

    fn centroid(&self, row: usize) -> &[f64] {
        &self.centroids[row * self.n_features..(row + 1) * self.n_features]
    }

    fn row(&self, slot: usize) -> usize {
        let row = self.row_of_slot[slot];
        debug_assert_ne!(row, RETIRED, "only active slots are looked up");
        row
    }

    /// Reducible Ward key between two active slots: `w_a w_b / (w_a + w_b) * ||c_a - c_b||^2`,
    /// i.e. half the squared merge height. Symmetric bit for bit (products and squared
    /// differences commute exactly), so the chain sees the same value from either side.
    fn key(&self, slot_a: usize, slot_b: usize) -> f64 {
        let (ra, rb) = (self.row(slot_a), self.row(slot_b));
        let (wa, wb) = (self.weights[ra], self.weights[rb]);
        let factor = wa * wb / (wa + wb);
        factor * sq_dist(self.centroid(ra), self.centroid(rb))
    }

    /// The active cluster nearest to `slot` (excluding itself): smallest key, ties to the
    /// smallest slot index.
    fn nearest(&self, slot: usize) -> (f64, usize) {
        let row = self.row(slot);
        let center = self.centroid(row);
        let weight = self.weights[row];
        let d = self.n_features;
        let rows = self.len();
        if rows * d < PARALLEL_MIN_VALUES {
            return self.scan_rows(0, rows, center, weight, slot);
        }
        let n_chunks = rows.div_ceil(ROWS_PER_CHUNK);
        (0..n_chunks)
            .into_par_iter()
            .map(|chunk| {
                let start = chunk * ROWS_PER_CHUNK;
                let end = (start + ROWS_PER_CHUNK).min(rows);
                self.scan_rows(start, end, center, weight, slot)
            })
            .reduce(|| (f64::INFINITY, usize::MAX), better)
    }

    fn scan_rows(
        &self,
        start: usize,
        end: usize,
        center: &[f64],
        weight: f64,
        skip_slot: usize,
    ) -> (f64, usize) {
        // Monomorphised for common customer-feature counts: with the width known at compile
        // time the distance loop is unrolled and vectorised (about 2x on 8 features).
        macro_rules! fixed {
            ($($d:literal)*) => {
                match self.n_features {
                    $($d => scan_block::<$d>(
                        &self.centroids[start * $d..end * $d],
                        &self.weights[start..end],
                        &self.slot_of_row[start..end],
                        center,
                        weight,
                        skip_slot,
                    ),)*
                    _ => scan_block_dyn(
                        self.n_features,
                        &self.centroids[start * self.n_features..end * self.n_features],
                        &self.weights[start..end],
                        &self.slot_of_row[start..end],
                        center,
                        weight,
                        skip_slot,
                    ),
                }
            };
        }
        fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    }

    /// Merges slots `low < high` into slot `high`; returns the new centroid's row.
    fn merge(&mut self, low: usize, high: usize) -> usize {
        let d = self.n_features;
        let (r_low, r_high) = (self.row(low), self.row(high));
        let (w_low, w_high) = (self.weights[r_low], self.weights[r_high]);
        let total = w_low + w_high;
        // Weighted mean as a step from one centroid towards the other: merging identical
        // centroids gives exactly the same centroid (a convex combination `a/3 + 2a/3` can be off
        // by an ulp, and then duplicates no longer tie at distance 0 as they do in scipy).
        let step = w_high / total;
        for j in 0..d {
            let low_value = self.centroids[r_low * d + j];
            let high_value = self.centroids[r_high * d + j];
            self.centroids[r_high * d + j] = low_value + (high_value - low_value) * step;
        }
        self.weights[r_high] = total;
        self.retire(low);
        self.row(high)
    }

    /// Swap-removes a slot's row. Row order does not matter: ties are broken by slot index.
    fn retire(&mut self, slot: usize) {
        let d = self.n_features;
        let row = self.row(slot);
        let last = self.len() - 1;
        if row != last {
            let (head, tail) = self.centroids.split_at_mut(last * d);
            head[row * d..(row + 1) * d].copy_from_slice(&tail[..d]);
            self.weights[row] = self.weights[last];
            let moved_slot = self.slot_of_row[last];
            self.slot_of_row[row] = moved_slot;
            self.row_of_slot[moved_slot] = row;
        }
        self.centroids.truncate(last * d);
        self.weights.truncate(last);
        self.slot_of_row.truncate(last);
        self.row_of_slot[slot] = RETIRED;
    }
}

/// Lexicographic minimum of `(key, slot)`: a total order, so any split and reduction order gives
/// the same answer.
fn better(a: (f64, usize), b: (f64, usize)) -> (f64, usize) {
    if b.0 < a.0 || (b.0 == a.0 && b.1 < a.1) {
        b
    } else {
        a
    }
}

/// Rows per inner block of a scan: keys are computed for a whole block first (straight-line,
/// vectorisable arithmetic), then the block's minimum is located. Testing `key < best` per row
/// instead kept the loop scalar and branchy: 1.6x slower on 20k x 8 (benches/compare_ward.py).
const BLOCK_ROWS: usize = 64;

#[inline(always)]
fn scan_block<const D: usize>(
    centroids: &[f64],
    weights: &[f64],
    slots: &[usize],
    center: &[f64],
    weight: f64,
    skip_slot: usize,
) -> (f64, usize) {
    let center: &[f64; D] = center.try_into().expect("center has n_features values");
    let mut best = (f64::INFINITY, usize::MAX);
    let mut keys = [0.0f64; BLOCK_ROWS];
    for ((rows, ws), ss) in centroids
        .chunks(BLOCK_ROWS * D)
        .zip(weights.chunks(BLOCK_ROWS))
        .zip(slots.chunks(BLOCK_ROWS))
    {
        let keys = &mut keys[..ws.len()];
        for ((key, row), &w) in keys.iter_mut().zip(rows.chunks_exact(D)).zip(ws) {
            let mut sq = 0.0;
            for j in 0..D {
                let diff = row[j] - center[j];
                sq += diff * diff;
            }
            *key = weight * w / (weight + w) * sq;
        }
        fold_block(keys, ss, skip_slot, &mut best);
    }
    best
}

fn scan_block_dyn(
    d: usize,
    centroids: &[f64],
    weights: &[f64],
    slots: &[usize],
    center: &[f64],
    weight: f64,
    skip_slot: usize,
) -> (f64, usize) {
    let mut best = (f64::INFINITY, usize::MAX);
    let mut keys = [0.0f64; BLOCK_ROWS];
    for ((rows, ws), ss) in centroids
        .chunks(BLOCK_ROWS * d)
        .zip(weights.chunks(BLOCK_ROWS))
        .zip(slots.chunks(BLOCK_ROWS))
    {
        let keys = &mut keys[..ws.len()];
        for ((key, row), &w) in keys.iter_mut().zip(rows.chunks_exact(d)).zip(ws) {
            *key = weight * w / (weight + w) * sq_dist(row, center);
        }
        fold_block(keys, ss, skip_slot, &mut best);
    }
    best
}

/// Folds one block of keys into `best` with the `(key, slot)` order, skipping the chain's top.
#[inline(always)]
fn fold_block(keys: &[f64], slots: &[usize], skip_slot: usize, best: &mut (f64, usize)) {
    // The block minimum first (branch-free); only a block that can win is searched row by row.
    let block_min = keys
        .iter()
        .fold(f64::INFINITY, |m, &k| if k < m { k } else { m });
    if block_min > best.0 {
        return;
    }
    for (&key, &slot) in keys.iter().zip(slots) {
        if (key < best.0 || (key == best.0 && slot < best.1)) && slot != skip_slot {
            *best = (key, slot);
        }
    }
}

/// Runs Ward's nearest-neighbour chain.
///
/// `points` is row-major `n_leaves x n_features` (finite), `weights` are > 0 (the Ward sizes) and
/// `counts` the number of original observations per leaf (column 3 of the output). Requires
/// `n_leaves >= 1`. `progress(done, total)` is called about every 1% of the merges and once at
/// the end (`total = n_leaves - 1`).
pub(crate) fn ward_chain(
    points: Vec<f64>,
    n_features: usize,
    weights: Vec<f64>,
    counts: &[f64],
    progress: &mut dyn FnMut(usize, usize),
) -> crate::error::Result<ChainResult> {
    let n = weights.len();
    assert_eq!(
        points.len(),
        n * n_features,
        "points hold n_leaves x n_features values"
    );
    assert_eq!(counts.len(), n, "one observation count per leaf");
    let mut active = ActiveClusters {
        n_features,
        centroids: points,
        weights,
        slot_of_row: (0..n).collect(),
        row_of_slot: (0..n).collect(),
    };
    // Height of the last merge that formed each slot's cluster: Ward heights never decrease
    // along the tree in exact arithmetic; clamping keeps that true in floating point (a change
    // of an ulp at most), so the sorted merges always form a valid monotone dendrogram.
    let mut formed_at = vec![0.0f64; n];
    let mut chain_merges: Vec<(usize, usize, f64)> = Vec::with_capacity(n.saturating_sub(1));
    let mut chain_centroids: Vec<f64> = Vec::with_capacity(n.saturating_sub(1) * n_features);
    let mut chain_weights: Vec<f64> = Vec::with_capacity(n.saturating_sub(1));
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    let mut first_active = 0usize;

    let total = n.saturating_sub(1);
    let report_every = (total / 100).max(1);
    for done in 1..n {
        crate::cancel::check()?;
        if chain.is_empty() {
            while active.row_of_slot[first_active] == RETIRED {
                first_active += 1;
            }
            chain.push(first_active);
        }
        let (low, high, key) = loop {
            let top = chain[chain.len() - 1];
            let previous = (chain.len() > 1).then(|| chain[chain.len() - 2]);
            let (best_key, best_slot) = active.nearest(top);
            let (key, next) = match previous {
                Some(prev) => {
                    let prev_key = active.key(top, prev);
                    if prev_key <= best_key {
                        (prev_key, prev)
                    } else {
                        (best_key, best_slot)
                    }
                }
                None => (best_key, best_slot),
            };
            if Some(next) == previous {
                break (top.min(next), top.max(next), key);
            }
            chain.push(next);
        };
        chain.truncate(chain.len() - 2);
        let height = (2.0 * key).sqrt().max(formed_at[low]).max(formed_at[high]);
        formed_at[high] = height;
        let row = active.merge(low, high);
        chain_centroids.extend_from_slice(active.centroid(row));
        chain_weights.push(active.weights[row]);
        chain_merges.push((low, high, height));
        if done % report_every == 0 || done == total {
            progress(done, total);
        }
    }

    // scipy: stable sort by height (mergesort), then union-find relabelling.
    let mut order: Vec<usize> = (0..chain_merges.len()).collect();
    order.sort_by(|&a, &b| chain_merges[a].2.total_cmp(&chain_merges[b].2));
    let mut union_find = LinkageUnionFind::new(n, counts);
    let mut linkage = Vec::with_capacity(order.len());
    let mut merged_centroids = Vec::with_capacity(chain_centroids.len());
    let mut merged_weights = Vec::with_capacity(order.len());
    for &i in &order {
        let (a, b, height) = chain_merges[i];
        let (ra, rb) = (union_find.find(a), union_find.find(b));
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        let count = union_find.merge(ra, rb);
        linkage.push([lo as f64, hi as f64, height, count]);
        merged_centroids.extend_from_slice(&chain_centroids[i * n_features..(i + 1) * n_features]);
        merged_weights.push(chain_weights[i]);
    }
    Ok(ChainResult {
        linkage,
        merged_centroids,
        merged_weights,
    })
}

/// scipy's `LinkageUnionFind`: node ids follow scipy's numbering (leaves 0..n, merge i is n + i).
struct LinkageUnionFind {
    parent: Vec<usize>,
    count: Vec<f64>,
    next_label: usize,
}

impl LinkageUnionFind {
    fn new(n: usize, counts: &[f64]) -> Self {
        let nodes = 2 * n - 1;
        let mut count = vec![0.0; nodes];
        count[..n].copy_from_slice(counts);
        LinkageUnionFind {
            parent: (0..nodes).collect(),
            count,
            next_label: n,
        }
    }

    fn merge(&mut self, a: usize, b: usize) -> f64 {
        self.parent[a] = self.next_label;
        self.parent[b] = self.next_label;
        let count = self.count[a] + self.count[b];
        self.count[self.next_label] = count;
        self.next_label += 1;
        count
    }

    fn find(&mut self, mut x: usize) -> usize {
        let mut root = x;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        while self.parent[x] != root {
            let next = self.parent[x];
            self.parent[x] = root;
            x = next;
        }
        root
    }
}
