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

//!
//! # The scan
//! Almost all of the time goes into finding the nearest neighbour of the chain's top among the
//! active clusters. Their centroids are kept in tiles of [`LANES`] clusters, feature-major inside
//! a tile, compacted as clusters retire, so a scan reads only active clusters, one contiguous
//! block, eight candidates per vector. Ward's key needs a division per candidate, which costs
//! more than the distance itself; the scan therefore first tests, without dividing, whether a
//! candidate can beat (or tie) the best key so far, and computes the exact key only for the
//! (rare) tiles where one can. The test is conservative by a margin far above the rounding
//! error, so the exact keys compared, and hence the tree, are bit-for-bit those of the plain
//! scan (see [`scan_kernel`]).

use rayon::prelude::*;

/// Candidates per vector, and clusters per tile of the centroid layout.
const LANES: usize = 8;

/// Below this many active values (clusters x features) a scan runs on the calling thread. A
/// scan of 20,000 x 8 takes about 10 us, about what handing half of it to a second thread costs
/// (and more when the machine is loaded). The unit tests lower it so that the parallel path is
/// exercised (and shown bit-identical) at test sizes.
#[cfg(not(test))]
const PARALLEL_MIN_VALUES: usize = 1 << 20;
#[cfg(test)]
const PARALLEL_MIN_VALUES: usize = 1 << 15;

/// Rows per parallel work item (a multiple of [`LANES`]). Fixed, so the split never depends on
/// the thread count (and the reduction is a total order on `(key, slot)`, so the result is
/// bit-identical anyway).
const ROWS_PER_CHUNK: usize = 2048;

/// Marks a retired slot in `row_of_slot`.
const RETIRED: usize = usize::MAX;

/// The division-free test lets a candidate through when `w_t w_c |c_t - c_c|^2` is at most
/// `best * FILTER_MARGIN * (w_t + w_c)`. The rounding error of either side is below
/// `(d + 8) * 2^-52` relative (at most ~2e-12 for `FILTER_MAX_FEATURES`), so a candidate that
/// fails the test has an exact key strictly above `best`.
const FILTER_MARGIN: f64 = 1.0 + 1e-9;
/// Candidates whose division-free product is below this always get the exact key: far from
/// the subnormal range, the relative error bounds above hold (given the weight range below).
const FILTER_TINY: f64 = 1e-200;
/// The test is used only when every weight and the weights' total lie in this range (always for
/// counts of customers), so that no intermediate of the exact key leaves the normal range.
const FILTER_WEIGHT_RANGE: (f64, f64) = (1e-30, 1e30);
/// Beyond this many features the rounding bound above no longer fits the margin: exact keys only.
const FILTER_MAX_FEATURES: usize = 10_000;

/// The result of the chain, already sorted and relabelled in scipy's format.
pub(crate) struct ChainResult {
    /// (n_leaves - 1) x 4, row-major: cluster a, cluster b (a < b), height, observation count.
    pub(crate) linkage: Vec<[f64; 4]>,
    /// Centroid of every merged cluster, row-major, in linkage order (node `n_leaves + i` is row i).
    pub(crate) merged_centroids: Vec<f64>,
    /// Weight of every merged cluster, in linkage order.
    pub(crate) merged_weights: Vec<f64>,
}

/// The active clusters, compacted (a retiring cluster's row is filled with the last row), so each
/// scan walks one contiguous block of memory.
struct ActiveClusters {
    n_features: usize,
    /// Row r's centroid coordinate j is at `(r / LANES) * LANES * d + j * LANES + r % LANES`:
    /// tiles of LANES rows, feature-major inside a tile. Padded to whole tiles; lanes past the
    /// active rows hold stale finite values that a scan never reports.
    tiles: Vec<f64>,
    /// Weight of row r, padded like `tiles`.
    weights: Vec<f64>,
    /// Slot of each active row (its length is the number of active rows).
    slot_of_row: Vec<usize>,
    row_of_slot: Vec<usize>,
    /// Whether the division-free test is sound for these weights and widths.
    filter: bool,
    /// Scratch: the centroid being scanned for.
    center: Vec<f64>,
}

/// The arguments of one scan over a tile-aligned range of active rows.
struct Scan<'a> {
    /// Whole tiles covering the range.
    tiles: &'a [f64],
    /// Weights of the range, padded to whole tiles.
    weights: &'a [f64],
    /// Slots of the range's active rows (shorter than `weights` in a partial last tile).
    slots: &'a [usize],
    center: &'a [f64],
    weight: f64,
    skip_slot: usize,
    filter: bool,
}

impl ActiveClusters {
    fn new(points: &[f64], n_features: usize, weights: &[f64]) -> Self {
        let n = weights.len();
        let d = n_features;
        let padded = n.div_ceil(LANES) * LANES;
        let mut tiles = vec![0.0; padded * d];
        for (r, point) in points.chunks_exact(d.max(1)).enumerate().take(n) {
            for (j, &v) in point.iter().enumerate() {
                tiles[tile_index(d, r, j)] = v;
            }
        }
        let mut padded_weights = vec![1.0; padded];
        padded_weights[..n].copy_from_slice(weights);
        let (low, high) = FILTER_WEIGHT_RANGE;
        let total: f64 = weights.iter().sum();
        let filter = d <= FILTER_MAX_FEATURES
            && total <= high
            && weights.iter().all(|&w| (low..=high).contains(&w));
        ActiveClusters {
            n_features,
            tiles,
            weights: padded_weights,
            slot_of_row: (0..n).collect(),
            row_of_slot: (0..n).collect(),
            filter,
            center: vec![0.0; d],
        }
    }

    fn len(&self) -> usize {
        self.slot_of_row.len()
    }

    fn at(&self, row: usize, j: usize) -> usize {
        tile_index(self.n_features, row, j)
    }

    /// Appends the centroid of `row` to `out`.
    fn push_centroid(&self, row: usize, out: &mut Vec<f64>) {
        out.extend((0..self.n_features).map(|j| self.tiles[self.at(row, j)]));
    }

    fn row(&self, slot: usize) -> usize {
        let row = self.row_of_slot[slot];
        debug_assert_ne!(row, RETIRED, "only active slots are looked up");
        row
    }

    /// Reducible Ward key between two active slots: `w_a w_b / (w_a + w_b) * ||c_a - c_b||^2`,
    /// i.e. half the squared merge height. Symmetric bit for bit (products and squared
    /// differences commute exactly), so the chain sees the same value from either side, and
    /// the same arithmetic as the scan's exact keys.
    fn key(&self, slot_a: usize, slot_b: usize) -> f64 {
        let (ra, rb) = (self.row(slot_a), self.row(slot_b));
        let (wa, wb) = (self.weights[ra], self.weights[rb]);
        let factor = wa * wb / (wa + wb);
        let mut sq = 0.0;
        for j in 0..self.n_features {
            let diff = self.tiles[self.at(ra, j)] - self.tiles[self.at(rb, j)];
            sq += diff * diff;
        }
        factor * sq
    }

    /// The active cluster nearest to `slot` (excluding itself): smallest key, ties to the
    /// smallest slot index.
    fn nearest(&mut self, slot: usize) -> (f64, usize) {
        let row = self.row(slot);
        let mut center = std::mem::take(&mut self.center);
        center.clear();
        self.push_centroid(row, &mut center);
        let best = self.nearest_to(&center, self.weights[row], slot);
        self.center = center;
        best
    }

    fn nearest_to(&self, center: &[f64], weight: f64, skip_slot: usize) -> (f64, usize) {
        let d = self.n_features;
        let rows = self.len();
        let scan = |start: usize, end: usize| {
            let tiles_end = end.div_ceil(LANES) * LANES;
            scan(
                d,
                &Scan {
                    tiles: &self.tiles[start * d..tiles_end * d],
                    weights: &self.weights[start..tiles_end],
                    slots: &self.slot_of_row[start..end],
                    center,
                    weight,
                    skip_slot,
                    filter: self.filter,
                },
            )
        };
        if rows * d < PARALLEL_MIN_VALUES {
            return scan(0, rows);
        }
        let n_chunks = rows.div_ceil(ROWS_PER_CHUNK);
        (0..n_chunks)
            .into_par_iter()
            .map(|chunk| {
                let start = chunk * ROWS_PER_CHUNK;
                scan(start, (start + ROWS_PER_CHUNK).min(rows))
            })
            .reduce(|| (f64::INFINITY, usize::MAX), better)
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
            let low_value = self.tiles[self.at(r_low, j)];
            let high_index = self.at(r_high, j);
            let high_value = self.tiles[high_index];
            self.tiles[high_index] = low_value + (high_value - low_value) * step;
        }
        self.weights[r_high] = total;
        self.retire(low);
        self.row(high)
    }

    /// Moves the last active row into a retiring slot's row. Row order does not matter: ties
    /// are broken by slot index.
    fn retire(&mut self, slot: usize) {
        let row = self.row(slot);
        let last = self.len() - 1;
        if row != last {
            for j in 0..self.n_features {
                let (to, from) = (self.at(row, j), self.at(last, j));
                self.tiles[to] = self.tiles[from];
            }
            self.weights[row] = self.weights[last];
            let moved_slot = self.slot_of_row[last];
            self.slot_of_row[row] = moved_slot;
            self.row_of_slot[moved_slot] = row;
        }
        self.slot_of_row.truncate(last);
        self.row_of_slot[slot] = RETIRED;
    }
}

fn tile_index(d: usize, row: usize, j: usize) -> usize {
    (row / LANES) * LANES * d + j * LANES + row % LANES
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

/// The scan, compiled for AVX-512, AVX2+FMA or the baseline target, chosen at run time. All
/// three report the same `(key, slot)`: exact keys use the same operations in every build
/// (no fused multiply-adds; only the division-free test fuses).
fn scan(d: usize, s: &Scan) -> (f64, usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::simd::has_avx512() {
            // SAFETY: the CPU has these features, checked just above.
            return unsafe { scan_avx512(d, s) };
        }
        if crate::simd::has_avx2_fma() {
            // SAFETY: the CPU has avx2 and fma, checked just above.
            return unsafe { scan_avx2(d, s) };
        }
    }
    scan_fixed::<false>(d, s)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
unsafe fn scan_avx512(d: usize, s: &Scan) -> (f64, usize) {
    scan_fixed::<true>(d, s)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn scan_avx2(d: usize, s: &Scan) -> (f64, usize) {
    scan_fixed::<true>(d, s)
}

/// Monomorphised for common customer-feature counts: with the width known at compile time the
/// feature loop unrolls and a tile's accumulators stay in registers.
#[inline(always)]
fn scan_fixed<const FMA: bool>(d: usize, s: &Scan) -> (f64, usize) {
    macro_rules! fixed {
        ($($n:literal)*) => {
            match d {
                $($n => scan_kernel::<FMA>($n, s),)*
                _ => scan_kernel::<FMA>(d, s),
            }
        };
    }
    fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// Nearest neighbour of `s.center` over the scan's rows by `(key, slot)`, skipping
/// `s.skip_slot`; `(inf, usize::MAX)` when no row qualifies.
///
/// Per tile of LANES candidates: squared distances (fused multiply-adds when `FMA`), then the
/// division-free test `w_t w_c sq <= bound (w_t + w_c)` with `bound = best * FILTER_MARGIN`.
/// Only when a lane passes are that tile's exact keys formed, with the unfused arithmetic of
/// [`ActiveClusters::key`] (`w_t w_c / (w_t + w_c) * sq`, `sq` summed in feature order), and
/// folded in. A lane that fails has an exact key strictly above `best` (see `FILTER_MARGIN`),
/// so skipping it changes nothing. NaN products pass the test (and, as NaN keys, never win).
#[inline(always)]
fn scan_kernel<const FMA: bool>(d: usize, s: &Scan) -> (f64, usize) {
    let mut best = (f64::INFINITY, usize::MAX);
    let (mut bound, tiny) = if s.filter {
        (f64::INFINITY, FILTER_TINY)
    } else {
        (f64::INFINITY, f64::INFINITY)
    };
    let weight = s.weight;
    let center = &s.center[..d];
    for (t, (tile, ws)) in s
        .tiles
        .chunks_exact(LANES * d)
        .zip(s.weights.chunks_exact(LANES))
        .enumerate()
    {
        let ws: &[f64; LANES] = ws.try_into().expect("whole tiles");
        let mut acc = [0.0f64; LANES];
        for (column, &c) in tile.chunks_exact(LANES).zip(center) {
            let column: &[f64; LANES] = column.try_into().expect("whole tiles");
            for l in 0..LANES {
                let diff = column[l] - c;
                acc[l] = if FMA {
                    diff.mul_add(diff, acc[l])
                } else {
                    acc[l] + diff * diff
                };
            }
        }
        let mut pass = false;
        for l in 0..LANES {
            let product = weight * ws[l] * acc[l];
            let limit = bound * (weight + ws[l]);
            pass |= !(product > limit && product >= tiny);
        }
        if !pass {
            continue;
        }
        let first = t * LANES;
        let valid = s.slots.len().saturating_sub(first).min(LANES);
        for l in 0..valid {
            let sq = if FMA {
                let mut sq = 0.0;
                for (j, &c) in center.iter().enumerate() {
                    let diff = tile[j * LANES + l] - c;
                    sq += diff * diff;
                }
                sq
            } else {
                acc[l]
            };
            let w = ws[l];
            let key = weight * w / (weight + w) * sq;
            let slot = s.slots[first + l];
            if (key < best.0 || (key == best.0 && slot < best.1)) && slot != s.skip_slot {
                best = (key, slot);
            }
        }
        if s.filter {
            bound = best.0 * FILTER_MARGIN;
        }
    }
    best
}

/// Runs Ward's nearest-neighbour chain.
///
/// `points` is row-major `n_leaves x n_features` (finite), `weights` are > 0 (the Ward sizes) and
/// `counts` the number of original observations per leaf (column 3 of the output). Requires
/// `n_leaves >= 1` and `n_features >= 1`. `progress(done, total)` is called about every 1% of the merges and once at
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
    assert!(
        n_features > 0,
        "the input checks reject data without features"
    );
    let mut active = ActiveClusters::new(&points, n_features, &weights);
    drop((points, weights));
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
        active.push_centroid(row, &mut chain_centroids);
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    /// The plain scan: every exact key, folded by `(key, slot)`.
    fn reference(active: &ActiveClusters, slot: usize) -> (f64, usize) {
        let mut best = (f64::INFINITY, usize::MAX);
        for &other in &active.slot_of_row {
            if other != slot {
                best = better(best, (active.key(slot, other), other));
            }
        }
        best
    }

    /// Every build of the scan the CPU can run, on the whole active range.
    fn all_builds(active: &ActiveClusters, slot: usize) -> Vec<(f64, usize)> {
        let d = active.n_features;
        let row = active.row(slot);
        let mut center = Vec::new();
        active.push_centroid(row, &mut center);
        let rows = active.len();
        let tiles_end = rows.div_ceil(LANES) * LANES;
        let s = Scan {
            tiles: &active.tiles[..tiles_end * d],
            weights: &active.weights[..tiles_end],
            slots: &active.slot_of_row,
            center: &center,
            weight: active.weights[row],
            skip_slot: slot,
            filter: active.filter,
        };
        let mut found = vec![
            scan_fixed::<false>(d, &s),
            active.nearest_to(&center, active.weights[row], slot),
        ];
        #[cfg(target_arch = "x86_64")]
        {
            if crate::simd::has_avx2_fma() {
                // SAFETY: checked just above.
                found.push(unsafe { scan_avx2(d, &s) });
            }
            if crate::simd::has_avx512() {
                // SAFETY: checked just above.
                found.push(unsafe { scan_avx512(d, &s) });
            }
        }
        found
    }

    /// Merges random pairs (so rows are compacted and tiles hold stale lanes), checking after
    /// each merge that every build finds the reference's nearest neighbour, bit for bit.
    fn check_scans(points: &[f64], d: usize, weights: &[f64], rng: &mut Xoshiro256Plus) {
        let mut active = ActiveClusters::new(points, d, weights);
        while active.len() > 1 {
            for _ in 0..3 {
                let slot = active.slot_of_row[rng.gen_range(0..active.len())];
                let want = reference(&active, slot);
                for got in all_builds(&active, slot) {
                    assert_eq!(
                        (got.0.to_bits(), got.1),
                        (want.0.to_bits(), want.1),
                        "d = {d}, {} active",
                        active.len()
                    );
                }
            }
            let a = active.slot_of_row[rng.gen_range(0..active.len())];
            let b = loop {
                let b = active.slot_of_row[rng.gen_range(0..active.len())];
                if b != a {
                    break b;
                }
            };
            active.merge(a.min(b), a.max(b));
        }
    }

    #[test]
    fn every_build_of_the_scan_matches_the_plain_scan() {
        let mut rng = Xoshiro256Plus::seed_from_u64(5);
        for d in [1, 3, 8, 16, 17, 40] {
            let n = 150;
            let points: Vec<f64> = (0..n * d).map(|_| rng.gen_range(-5.0..5.0)).collect();
            let weights: Vec<f64> = (0..n).map(|_| rng.gen_range(0.5..5.0)).collect();
            check_scans(&points, d, &weights, &mut rng);
            // Integer grids: many exactly tied keys, decided by slot.
            let grid: Vec<f64> = (0..n * d).map(|_| rng.gen_range(0..3) as f64).collect();
            check_scans(&grid, d, &vec![1.0; n], &mut rng);
        }
        // Weights outside the range where the division-free test is sound: exact keys only.
        let points: Vec<f64> = (0..90 * 4).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let weights: Vec<f64> = (0..90).map(|_| rng.gen_range(1.0..2.0) * 1e-40).collect();
        assert!(!ActiveClusters::new(&points, 4, &weights).filter);
        check_scans(&points, 4, &weights, &mut rng);
    }
}
