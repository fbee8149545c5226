//! Fitting: restarts, the Lloyd and Hamerly iterations, empty-cluster re-seeding, and the
//! fitted [`KMeans`] model.

use super::align::order_by_weight;
use super::hyperparams::{KMeansAlgorithm, KMeansInit, KMeansParams, KMeansValidParams};
use super::init::{kmeans_plusplus, random_rows};
use super::kernel::{
    add_row, add_weighted_row, assign_rows, labels_inertia_fused, lloyd_rows_fused,
    load_centered_row, sq_dist_lanes, visit_rows, Label, PartialSums, PreparedCenters, CHUNK_ROWS,
};
use crate::error::{Error, Result};
pub(crate) use crate::numeric::sq_dist;
use crate::simd::dispatch_simd;
pub(crate) use crate::validation::contiguous_weights;
use crate::validation::{
    check_finite, check_matrix, check_n_features, check_not_empty, check_sample_weight,
};
use crate::Float;
use ndarray::{s, Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A fitted k-means model.
///
/// Label order: clusters seeded by k-means++ or random rows are numbered by decreasing total
/// sample weight (cluster 0 is the largest segment; ties broken by the lexicographic order of the
/// centers). Clusters started from explicit centers keep the order of those centers, so label
/// `j` corresponds to row `j` of the `init` array (as in scikit-learn).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeans<F> {
    pub(crate) centers: Array2<F>,
    pub(crate) labels: Array1<usize>,
    pub(crate) inertia: F,
    pub(crate) n_iter: usize,
    pub(crate) converged: bool,
    pub(crate) warnings: Vec<String>,
}

/// Per-column mean and population variance, computed in fixed chunks merged in order (Chan et
/// al.), so they do not depend on the thread count. A non-finite value anywhere in a column
/// makes that column's mean non-finite (NaN and inf survive every sum), which is how
/// [`KMeansValidParams::fit`] skips a separate scan for them.
pub(crate) fn column_mean_var<F: Float>(x: &ArrayView2<F>) -> (Vec<F>, Vec<F>) {
    let (n, d) = x.dim();
    let parts: Vec<(F, Vec<F>, Vec<F>)> = (0..n.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map(|c| {
            let rows = x.slice(s![c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n), ..]);
            let count = F::cast(rows.nrows());
            let mut mean = vec![F::zero(); d];
            let mut m2 = vec![F::zero(); d];
            // Other memory orders copy the chunk (CHUNK_ROWS x d) into row-major order first, so
            // every layout sums in the same order and gives the same bits.
            let rows = rows.as_standard_layout();
            let values = rows.as_slice().expect("standard layout is contiguous");
            chunk_moments(values, d, count, &mut mean, &mut m2);
            (count, mean, m2)
        })
        .collect();
    let mut total = F::zero();
    let mut mean = vec![F::zero(); d];
    let mut m2 = vec![F::zero(); d];
    for (count, part_mean, part_m2) in parts {
        let new_total = total + count;
        for f in 0..d {
            let delta = part_mean[f] - mean[f];
            mean[f] += delta * count / new_total;
            m2[f] += part_m2[f] + delta * delta * total * count / new_total;
        }
        total = new_total;
    }
    let var = m2.into_iter().map(|s| s / total).collect();
    (mean, var)
}

// Mean and squared deviations of one C-ordered chunk (`values`: rows of `d`), four rows per
// step: `acc += (r0 + r1) + (r2 + r3)`. Why: with one row per step every row waits for the
// previous row's store to `acc` (the length is only known at run time, so `acc` lives in
// memory), and the loop ran at SSE2 width; perf put this function at ~2 k-means iterations'
// time on 1M x 16 (kmeans_bench, one thread). Four rows per step and AVX2 take it to ~0.5.
dispatch_simd!(chunk_moments<F: Float>(values: &[F], d: usize, count: F, mean: &mut [F], m2: &mut [F]) -> (), FMA => {
    let _ = FMA;
    let quads = values.chunks_exact(4 * d);
    let rest = quads.remainder();
    for quad in quads {
        let (r0, r1, r2, r3) = (&quad[..d], &quad[d..2 * d], &quad[2 * d..3 * d], &quad[3 * d..]);
        for ((((m, &a), &b), &c), &e) in mean.iter_mut().zip(r0).zip(r1).zip(r2).zip(r3) {
            *m += (a + b) + (c + e);
        }
    }
    for row in rest.chunks_exact(d) {
        add_row(mean, row);
    }
    mean.iter_mut().for_each(|m| *m /= count);
    let quads = values.chunks_exact(4 * d);
    for quad in quads {
        let (r0, r1, r2, r3) = (&quad[..d], &quad[d..2 * d], &quad[2 * d..3 * d], &quad[3 * d..]);
        let deviations = r0.iter().zip(r1).zip(r2).zip(r3).zip(mean.iter());
        for (s, ((((&a, &b), &c), &e), &m)) in m2.iter_mut().zip(deviations) {
            let (a, b, c, e) = (a - m, b - m, c - m, e - m);
            *s += (a * a + b * b) + (c * c + e * e);
        }
    }
    for row in rest.chunks_exact(d) {
        for ((s, &v), &m) in m2.iter_mut().zip(row).zip(mean.iter()) {
            *s += (v - m) * (v - m);
        }
    }
});

/// Per-chunk result of one assignment + accumulation pass.
struct ChunkSums<F> {
    sums: Vec<F>,
    weights: Vec<F>,
    changed: usize,
}

/// One pass: nearest center for every row of the chunk (written into `labels`), plus per-cluster
/// weighted sums of the centered rows. Lloyd's E and M steps fused so X is read once.
///
/// The sums are formed in [`PartialSums`]: row `r` of the chunk adds into copy
/// `r % rows_per_tile`, and the copies are merged in order. The AVX2 loop
/// ([`lloyd_rows_fused`]) and the portable tile loop add in exactly that order, so a C-ordered,
/// a Fortran-ordered and a strided X give bit-identical models.
#[inline(always)]
fn lloyd_chunk_impl<F: Float, const FMA: bool>(
    x: &ArrayView2<F>,
    start: usize,
    mean: &[F],
    weights: Option<&[F]>,
    pc: &PreparedCenters<F>,
    labels: &mut [Label],
) -> ChunkSums<F> {
    let mut partial = PartialSums::new(pc);
    let weights = weights.map(|w| &w[start..start + labels.len()]);
    if FMA {
        if let Some(changed) = lloyd_rows_fused(x, start, mean, weights, pc, labels, &mut partial) {
            return partial.merge(changed);
        }
    }
    let mut changed = 0;
    assign_rows::<F, FMA>(
        x,
        start,
        mean,
        pc,
        labels,
        #[inline(always)]
        |r, slot, label, row| {
            changed += usize::from(*slot as usize != label);
            *slot = label as Label;
            let (sum, weight) = partial.slot(r, label);
            add_weighted_row(sum, weight, weights.map(|w| w[r]), row);
        },
    );
    partial.merge(changed)
}

impl<F: Float> PartialSums<F> {
    /// Adds the copies in order (copy 0 first) into the chunk's sums.
    fn merge(self, changed: usize) -> ChunkSums<F> {
        let (k, d) = (self.k, self.d);
        let mut out = ChunkSums {
            sums: vec![F::zero(); k * d],
            weights: vec![F::zero(); k],
            changed,
        };
        for (sums, weights) in self
            .sums
            .chunks_exact(k * self.dp)
            .zip(self.weights.chunks_exact(k))
        {
            for (out, sum) in out.sums.chunks_exact_mut(d).zip(sums.chunks_exact(self.dp)) {
                add_row(out, &sum[..d]);
            }
            add_row(&mut out.weights, weights);
        }
        out
    }
}

dispatch_simd!(lloyd_chunk<F: Float>(x: &ArrayView2<F>, start: usize, mean: &[F], weights: Option<&[F]>, pc: &PreparedCenters<F>, labels: &mut [Label]) -> ChunkSums<F>, FMA => {
    lloyd_chunk_impl::<F, FMA>(x, start, mean, weights, pc, labels)
});

/// Hamerly state of one row: distance bounds to its own center (upper) and to any other center
/// (lower). Kept as plain distances, not squared, so center shifts can be added.
#[derive(Clone, Copy)]
struct Bounds<F> {
    upper: F,
    lower: F,
}

/// Best and second-best squared distances of one centered row, by direct computation.
/// Used by Hamerly only for the rows whose bounds fail, so its cost is not on the hot path.
#[inline(always)]
fn two_nearest<F: Float>(row: &[F], centers: &[F], k: usize, d: usize) -> (usize, F, F) {
    let mut best = (0usize, F::infinity());
    let mut second = F::infinity();
    for j in 0..k {
        let dist = sq_dist(row, &centers[j * d..(j + 1) * d]);
        if dist < best.1 {
            second = best.1;
            best = (j, dist);
        } else if dist < second {
            second = dist;
        }
    }
    (best.0, best.1, second)
}

/// Per-iteration data Hamerly needs besides the centers.
struct HamerlyStep<'a, F> {
    /// Centered centers, row-major k x d.
    centers: &'a [F],
    /// Half the distance from each center to its nearest other center.
    half_gap: &'a [F],
    /// How far each center moved in the previous update (0 on the first iteration).
    shift: &'a [F],
    /// Largest and second-largest shift with the index of the largest, to lower the lower bound
    /// by the largest shift of any *other* center.
    max_shift: (F, usize, F),
    first: bool,
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn hamerly_chunk_impl<F: Float, const FMA: bool>(
    x: &ArrayView2<F>,
    start: usize,
    mean: &[F],
    weights: Option<&[F]>,
    step: &HamerlyStep<F>,
    k: usize,
    labels: &mut [Label],
    bounds: &mut [Bounds<F>],
) -> ChunkSums<F> {
    let d = mean.len();
    let mut out = ChunkSums {
        sums: vec![F::zero(); k * d],
        weights: vec![F::zero(); k],
        changed: 0,
    };
    let mut buf = vec![F::zero(); d];
    for (i, (label, bound)) in labels.iter_mut().zip(bounds.iter_mut()).enumerate() {
        load_centered_row(x, start + i, mean, &mut buf);
        let mut a = *label as usize;
        if step.first {
            let (j, best, second) = two_nearest(&buf, step.centers, k, d);
            a = j;
            bound.upper = best.sqrt();
            bound.lower = second.sqrt();
        } else {
            let (max1, arg1, max2) = step.max_shift;
            bound.upper += step.shift[a];
            bound.lower -= if a == arg1 { max2 } else { max1 };
            let limit = bound.lower.max(step.half_gap[a]);
            if bound.upper > limit {
                bound.upper = sq_dist(&buf, &step.centers[a * d..(a + 1) * d]).sqrt();
                if bound.upper > limit {
                    let (j, best, second) = two_nearest(&buf, step.centers, k, d);
                    a = j;
                    bound.upper = best.sqrt();
                    bound.lower = second.sqrt();
                }
            }
        }
        if *label as usize != a {
            out.changed += 1;
            *label = a as Label;
        }
        let w = weights.map_or(F::one(), |w| w[start + i]);
        out.weights[a] += w;
        for (s, &v) in out.sums[a * d..(a + 1) * d].iter_mut().zip(&buf) {
            *s += w * v;
        }
    }
    out
}

dispatch_simd!(hamerly_chunk<F: Float>(x: &ArrayView2<F>, start: usize, mean: &[F], weights: Option<&[F]>, step: &HamerlyStep<F>, k: usize, labels: &mut [Label], bounds: &mut [Bounds<F>]) -> ChunkSums<F>, FMA => hamerly_chunk_impl::<F, FMA>(x, start, mean, weights, step, k, labels, bounds));

/// Final pass: optionally re-assign labels with `centers`, and return the weighted inertia
/// computed directly as `sum w * ||x - c||^2` (no expansion, so it is accurate), summed in row
/// order with [`sq_dist_lanes`]'s arithmetic on every path (AVX2 or not, any memory order).
#[inline(always)]
fn labels_inertia_chunk_impl<F: Float, const FMA: bool>(
    x: &ArrayView2<F>,
    start: usize,
    mean: &[F],
    weights: Option<&[F]>,
    pc: &PreparedCenters<F>,
    labels: &mut [Label],
    reassign: bool,
) -> F {
    let dp = pc.dp;
    let chunk_weights = weights.map(|w| &w[start..start + labels.len()]);
    if FMA && reassign {
        if let Some(inertia) = labels_inertia_fused(x, start, mean, chunk_weights, pc, labels) {
            return inertia;
        }
    }
    let mut inertia = F::zero();
    let term = |r: usize, label: usize, row: &[F]| {
        let sq = sq_dist_lanes(row, &pc.rows[label * dp..label * dp + row.len()]);
        chunk_weights.map_or(sq, |w| w[r] * sq)
    };
    if reassign {
        assign_rows::<F, FMA>(
            x,
            start,
            mean,
            pc,
            labels,
            #[inline(always)]
            |r, slot, label, row| {
                *slot = label as Label;
                inertia += term(r, label, row);
            },
        );
    } else {
        visit_rows(x, start, mean, labels, |r, slot, row| {
            inertia += term(r, *slot as usize, row)
        });
    }
    inertia
}

dispatch_simd!(labels_inertia_chunk<F: Float>(x: &ArrayView2<F>, start: usize, mean: &[F], weights: Option<&[F]>, pc: &PreparedCenters<F>, labels: &mut [Label], reassign: bool) -> F, FMA => {
    labels_inertia_chunk_impl::<F, FMA>(x, start, mean, weights, pc, labels, reassign)
});

/// Labels (re-assigned if `reassign`) and inertia of `centers` (centered, k x d) on `x`.
pub(crate) fn labels_inertia<F: Float>(
    x: &ArrayView2<F>,
    mean: &[F],
    weights: Option<&[F]>,
    centers: &Array2<F>,
    labels: &mut [Label],
    reassign: bool,
) -> F {
    let pc = PreparedCenters::new(centers.view());
    labels_inertia_onto(F::zero(), x, mean, weights, &pc, labels, reassign)
}

/// [`labels_inertia`] added onto `total`, chunk by chunk in order: over consecutive blocks of
/// whole chunks it gives the bits of one call on all their rows.
pub(crate) fn labels_inertia_onto<F: Float>(
    total: F,
    x: &ArrayView2<F>,
    mean: &[F],
    weights: Option<&[F]>,
    pc: &PreparedCenters<F>,
    labels: &mut [Label],
    reassign: bool,
) -> F {
    let parts: Vec<F> = labels
        .par_chunks_mut(CHUNK_ROWS)
        .enumerate()
        .map(|(c, lab)| labels_inertia_chunk(x, c * CHUNK_ROWS, mean, weights, pc, lab, reassign))
        .collect();
    parts.into_iter().fold(total, |a, v| a + v)
}

/// Per-cluster sums of the centered rows of `x` (weighted by `weights`, one per row) and
/// per-cluster row counts (weight totals), for `centers` (centered, k x d): one assignment pass
/// of the same kernel as a fit, in the same fixed chunks, with the chunk results widened to f64
/// and added in chunk order. The building block of the mergeable k-means statistics in the
/// `partial` module.
pub(crate) fn assignment_sums<F: Float>(
    x: &ArrayView2<F>,
    mean: &[F],
    weights: Option<&[F]>,
    centers: &Array2<F>,
) -> (Vec<f64>, Vec<f64>) {
    let mut sums = AssignmentSums::new(centers);
    sums.add(x, mean, weights);
    sums.finish()
}

/// [`assignment_sums`] over rows that come a block at a time: every block but the last a whole
/// number of the kernel's chunks ([`CHUNK_ROWS`]), so the chunks, and the bits of the sums, are
/// those of one call on all the rows.
pub(crate) struct AssignmentSums<F> {
    pc: PreparedCenters<F>,
    labels: Vec<Label>,
    sums: Vec<f64>,
    counts: Vec<f64>,
}

impl<F: Float> AssignmentSums<F> {
    /// Empty sums for `centers` (centered, k x d).
    pub(crate) fn new(centers: &Array2<F>) -> Self {
        let (k, d) = centers.dim();
        AssignmentSums {
            pc: PreparedCenters::new(centers.view()),
            labels: Vec::new(),
            sums: vec![0.0; k * d],
            counts: vec![0.0; k],
        }
    }

    /// Adds the rows `x` (centered by `mean`, weighted by `weights`, one per row).
    pub(crate) fn add(&mut self, x: &ArrayView2<F>, mean: &[F], weights: Option<&[F]>) {
        let AssignmentSums {
            pc,
            labels,
            sums,
            counts,
        } = self;
        labels.clear();
        labels.resize(x.nrows(), Label::MAX);
        let parts: Vec<ChunkSums<F>> = labels
            .par_chunks_mut(CHUNK_ROWS)
            .enumerate()
            .map(|(c, lab)| lloyd_chunk(x, c * CHUNK_ROWS, mean, weights, pc, lab))
            .collect();
        for part in parts {
            for (t, v) in sums.iter_mut().zip(&part.sums) {
                *t += v.to_f64().expect("a float widens to f64");
            }
            for (t, v) in counts.iter_mut().zip(&part.weights) {
                *t += v.to_f64().expect("a float widens to f64");
            }
        }
    }

    /// The per-cluster sums (k x d, row-major) and counts.
    pub(crate) fn finish(self) -> (Vec<f64>, Vec<f64>) {
        (self.sums, self.counts)
    }
}

fn reduce_chunks<F: Float>(parts: Vec<ChunkSums<F>>, k: usize, d: usize) -> ChunkSums<F> {
    let mut total = ChunkSums {
        sums: vec![F::zero(); k * d],
        weights: vec![F::zero(); k],
        changed: 0,
    };
    for part in parts {
        for (t, v) in total.sums.iter_mut().zip(&part.sums) {
            *t += *v;
        }
        for (t, v) in total.weights.iter_mut().zip(&part.weights) {
            *t += *v;
        }
        total.changed += part.changed;
    }
    total
}

/// scikit-learn's `_relocate_empty_clusters_dense`: each empty cluster takes the row farthest
/// from its current center (farthest first; ties to the lower row index), that row's weight
/// is moved out of its old cluster's sums. Labels are left as they are; the next assignment
/// fixes them. Deterministic: per-chunk candidates merged in chunk order.
fn relocate_empty_clusters<F: Float>(
    x: &ArrayView2<F>,
    mean: &[F],
    weights: Option<&[F]>,
    old_centers: &[F],
    labels: &[Label],
    totals: &mut ChunkSums<F>,
    d: usize,
) {
    let empty: Vec<usize> = (0..totals.weights.len())
        .filter(|&j| totals.weights[j] == F::zero())
        .collect();
    if empty.is_empty() {
        return;
    }
    let m = empty.len();
    let rank = |a: &(F, usize), b: &(F, usize)| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.cmp(&b.1))
    };
    let per_chunk: Vec<Vec<(F, usize)>> = labels
        .par_chunks(CHUNK_ROWS)
        .enumerate()
        .map(|(c, lab)| {
            let mut buf = vec![F::zero(); d];
            let mut top: Vec<(F, usize)> = Vec::with_capacity(m + 1);
            for (r, &label) in lab.iter().enumerate() {
                let (i, label) = (c * CHUNK_ROWS + r, label as usize);
                load_centered_row(x, i, mean, &mut buf);
                let dist = sq_dist(&buf, &old_centers[label * d..(label + 1) * d]);
                top.push((dist, i));
                if top.len() > m {
                    top.sort_by(rank);
                    top.truncate(m);
                }
            }
            top
        })
        .collect();
    let mut far: Vec<(F, usize)> = per_chunk.into_iter().flatten().collect();
    far.sort_by(rank);
    let mut buf = vec![F::zero(); d];
    for (&new_cluster, &(_, i)) in empty.iter().zip(&far) {
        load_centered_row(x, i, mean, &mut buf);
        let w = weights.map_or(F::one(), |w| w[i]);
        let old_cluster = labels[i] as usize;
        for (f, &v) in buf.iter().enumerate() {
            totals.sums[old_cluster * d + f] -= w * v;
            totals.sums[new_cluster * d + f] = w * v;
        }
        totals.weights[new_cluster] = w;
        totals.weights[old_cluster] -= w;
    }
}

/// Result of one restart (centers centered).
struct RunResult<F> {
    centers: Array2<F>,
    labels: Vec<Label>,
    inertia: F,
    n_iter: usize,
    converged: bool,
}

/// One k-means run from `centers` (centered), scikit-learn's `_kmeans_single_lloyd` semantics:
/// stop when no label changed (strict convergence) or the summed squared center shift is
/// `<= tol`; if stopped otherwise, re-assign labels to the final centers; inertia of the final
/// centers and labels.
fn run_single<F: Float>(
    x: &ArrayView2<F>,
    mean: &[F],
    weights: Option<&[F]>,
    mut centers: Array2<F>,
    algorithm: KMeansAlgorithm,
    max_iter: usize,
    tol: F,
) -> Result<RunResult<F>> {
    let (n, d) = x.dim();
    let k = centers.nrows();
    // Label::MAX: the first iteration counts every row as changed, like sklearn's labels_old = -1.
    let mut labels = vec![Label::MAX; n];
    let mut bounds = if algorithm == KMeansAlgorithm::Hamerly {
        vec![
            Bounds {
                upper: F::zero(),
                lower: F::zero(),
            };
            n
        ]
    } else {
        Vec::new()
    };
    let mut shift = vec![F::zero(); k];
    let mut strict = false;
    let mut converged = false;
    let mut n_iter = 0;
    for iteration in 0..max_iter {
        crate::cancel::check()?;
        n_iter = iteration + 1;
        let flat = centers
            .as_slice()
            .expect("centers are created contiguous (standard layout)")
            .to_vec();
        let mut totals = match algorithm {
            KMeansAlgorithm::Hamerly => {
                let half_gap: Vec<F> = (0..k)
                    .map(|j| {
                        let nearest_other = (0..k)
                            .filter(|&o| o != j)
                            .map(|o| sq_dist(&flat[j * d..(j + 1) * d], &flat[o * d..(o + 1) * d]))
                            .fold(F::infinity(), F::min);
                        F::cast(0.5) * nearest_other.sqrt()
                    })
                    .collect();
                let mut max_shift = (F::zero(), 0usize, F::zero());
                for (j, &s) in shift.iter().enumerate() {
                    if s > max_shift.0 {
                        max_shift = (s, j, max_shift.0);
                    } else if s > max_shift.2 {
                        max_shift.2 = s;
                    }
                }
                let step = HamerlyStep {
                    centers: &flat,
                    half_gap: &half_gap,
                    shift: &shift,
                    max_shift,
                    first: iteration == 0,
                };
                let parts: Vec<ChunkSums<F>> = labels
                    .par_chunks_mut(CHUNK_ROWS)
                    .zip(bounds.par_chunks_mut(CHUNK_ROWS))
                    .enumerate()
                    .map(|(c, (lab, bnd))| {
                        hamerly_chunk(x, c * CHUNK_ROWS, mean, weights, &step, k, lab, bnd)
                    })
                    .collect();
                reduce_chunks(parts, k, d)
            }
            _ => {
                let pc = PreparedCenters::new(centers.view());
                let parts: Vec<ChunkSums<F>> = labels
                    .par_chunks_mut(CHUNK_ROWS)
                    .enumerate()
                    .map(|(c, lab)| lloyd_chunk(x, c * CHUNK_ROWS, mean, weights, &pc, lab))
                    .collect();
                reduce_chunks(parts, k, d)
            }
        };
        relocate_empty_clusters(x, mean, weights, &flat, &labels, &mut totals, d);
        let mut total_shift = F::zero();
        for j in 0..k {
            let w = totals.weights[j];
            let mut moved = F::zero();
            if w > F::zero() {
                for f in 0..d {
                    let new = totals.sums[j * d + f] / w;
                    let delta = new - centers[[j, f]];
                    moved += delta * delta;
                    centers[[j, f]] = new;
                }
            }
            // A cluster left with zero weight (only zero-weight rows) keeps its center.
            shift[j] = moved.sqrt();
            total_shift += moved;
        }
        if totals.changed == 0 {
            strict = true;
            converged = true;
            break;
        }
        if total_shift <= tol {
            converged = true;
            break;
        }
    }
    let inertia = labels_inertia(x, mean, weights, &centers, &mut labels, !strict);
    Ok(RunResult {
        centers,
        labels,
        inertia,
        n_iter,
        converged,
    })
}

/// The per-row labels of a fit as the model's `usize` labels. In parallel, in fixed chunks:
/// single-threaded, the conversion and the page faults of the new array cost about one Lloyd
/// iteration at 1M rows (perf, kmeans_bench).
pub(crate) fn widen_labels(labels: &[Label]) -> Vec<usize> {
    widen_labels_with(labels, |l| l as usize)
}

/// [`widen_labels`] with every label `l` replaced by `permutation[l]` on the way (the model's
/// cluster order), so relabelling costs no extra pass.
fn widen_labels_mapped(labels: &[Label], permutation: &[usize]) -> Vec<usize> {
    widen_labels_with(labels, |l| permutation[l as usize])
}

/// The parallel widening behind [`widen_labels`] and [`widen_labels_mapped`].
fn widen_labels_with(labels: &[Label], map: impl Fn(Label) -> usize + Sync) -> Vec<usize> {
    let mut out = vec![0usize; labels.len()];
    out.par_chunks_mut(CHUNK_ROWS)
        .zip(labels.par_chunks(CHUNK_ROWS))
        .for_each(|(o, l)| o.iter_mut().zip(l).for_each(|(o, &l)| *o = map(l)));
    out
}

/// Common input checks of every entry point that takes X (and optional weights).
pub(crate) fn check_input<F: Float>(
    x: &ArrayView2<F>,
    sample_weight: Option<&ArrayView1<F>>,
) -> Result<()> {
    check_matrix(x.view(), "X")?;
    if let Some(w) = sample_weight {
        check_sample_weight(w.view(), x.nrows())?;
    }
    Ok(())
}

/// The checks of [`check_input`] and the column mean and variance a fit needs, in one pass over
/// X instead of two: NaN and inf survive every sum, so all-finite means and variances prove X
/// finite, and only otherwise is X scanned cell by cell, to name the first bad one. (Finite
/// values whose squares overflow pass that scan and go on, as they would without the shortcut.)
pub(crate) fn checked_mean_var<F: Float>(
    x: &ArrayView2<F>,
    sample_weight: Option<&ArrayView1<F>>,
) -> Result<(Vec<F>, Vec<F>)> {
    check_not_empty(x.view(), "X")?;
    if let Some(w) = sample_weight {
        check_sample_weight(w.view(), x.nrows())?;
    }
    let (mean, var) = column_mean_var(x);
    if mean.iter().chain(&var).any(|v| !v.is_finite()) {
        check_finite(x.view(), "X")?;
    }
    Ok((mean, var))
}

/// The assignment kernel carries labels in the data's float type (a same-width vector blend), so
/// labels must be exact integers in `F`: k <= 2^24 for f32; and the per-row labels are
/// [`Label`]s (u32) with `Label::MAX` reserved: k < 2^32 for f64.
pub(crate) fn check_labels_exact<F: Float>(n_clusters: usize) -> Result<()> {
    let limit = if std::mem::size_of::<F>() == 4 {
        1usize << 24
    } else {
        Label::MAX as usize
    };
    if n_clusters > limit {
        return Err(Error::invalid_parameter(
            "n_clusters",
            n_clusters,
            format!("at most {limit} for this float type"),
        ));
    }
    Ok(())
}

/// Centered copy of the explicit init centers in the data's float type.
pub(crate) fn centered_init<F: Float>(centers: &Array2<f64>, mean: &[F]) -> Array2<F> {
    Array2::from_shape_fn(centers.dim(), |(j, f)| F::cast(centers[[j, f]]) - mean[f])
}

impl KMeansValidParams {
    /// Fits k-means to `x` (n_samples x n_features, any memory order) with optional non-negative
    /// `sample_weight` (one per row). See [`KMeansParams`] for an example.
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<KMeans<F>> {
        let (mean, var) = checked_mean_var(&x, sample_weight.as_ref())?;
        let (n, d) = x.dim();
        if self.n_clusters > n {
            return Err(Error::TooManyClusters {
                n_clusters: self.n_clusters,
                n_samples: n,
            });
        }
        if let KMeansInit::Centers(c) = &self.init {
            check_n_features(c.view(), d, "init centers")?;
        }
        check_labels_exact::<F>(self.n_clusters)?;
        let weights = contiguous_weights(sample_weight);
        let weights = weights.as_deref();
        let k = self.n_clusters;
        let mean_var = var.iter().fold(F::zero(), |a, &v| a + v) / F::cast(d);
        let tol = F::cast(self.tol) * mean_var;
        let algorithm = self.algorithm.resolve(d, k);
        let mut warnings = Vec::new();
        if let (KMeansInit::Centers(_), Some(n_init)) = (&self.init, self.n_init) {
            if n_init != 1 {
                warnings.push(format!(
                    "explicit initial centers given: performing only one init instead of n_init={n_init}"
                ));
            }
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.random_state);
        let mut best: Option<RunResult<F>> = None;
        for _ in 0..self.effective_n_init() {
            crate::cancel::check()?;
            let start = match &self.init {
                KMeansInit::KMeansPlusPlus => kmeans_plusplus(&x, &mean, weights, k, &mut rng)?,
                KMeansInit::Random => random_rows(&x, &mean, weights, k, &mut rng),
                KMeansInit::Centers(c) => centered_init(c, &mean),
            };
            let run = run_single(&x, &mean, weights, start, algorithm, self.max_iter, tol)?;
            if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
                best = Some(run);
            }
        }
        let best = best.expect("n_init >= 1 is checked, so at least one run happened");
        let (counts, cluster_weights) = cluster_totals(&best.labels, weights, k);
        let n_distinct = counts.iter().filter(|&&c| c > 0).count();
        if n_distinct < k {
            warnings.push(format!(
                "Number of distinct clusters ({n_distinct}) found smaller than n_clusters ({k}). \
                 Possibly due to duplicate points in X."
            ));
        }
        let mut centers = best.centers;
        for mut center in centers.outer_iter_mut() {
            for (c, &m) in center.iter_mut().zip(&mean) {
                *c += m;
            }
        }
        // Explicit initial centers keep their order; seeded clusters are ordered by weight.
        let permutation: Vec<usize> = if matches!(self.init, KMeansInit::Centers(_)) {
            (0..k).collect()
        } else {
            order_by_weight(centers.view(), &cluster_weights)
        };
        Ok(KMeans {
            centers: permuted_rows(&centers, &permutation),
            labels: Array1::from(widen_labels_mapped(&best.labels, &permutation)),
            inertia: best.inertia,
            n_iter: best.n_iter,
            converged: best.converged,
            warnings,
        })
    }
}

/// `centers` with row `j` moved to row `permutation[j]` (cluster `j` becomes `permutation[j]`).
fn permuted_rows<F: Float>(centers: &Array2<F>, permutation: &[usize]) -> Array2<F> {
    let mut out = centers.clone();
    for (j, &p) in permutation.iter().enumerate() {
        out.row_mut(p).assign(&centers.row(j));
    }
    out
}

/// Rows per cluster and total weight per cluster (the row count when unweighted) of a fit's
/// labels. In parallel over fixed chunks reduced in chunk order, so the weights have the same
/// bits on any thread count; one pass over the u32 labels instead of two serial passes over
/// the model's usize labels (~0.3 Lloyd iterations at 1M rows, perf).
fn cluster_totals<F: Float>(
    labels: &[Label],
    weights: Option<&[F]>,
    k: usize,
) -> (Vec<usize>, Vec<F>) {
    let parts: Vec<(Vec<usize>, Vec<F>)> = labels
        .par_chunks(CHUNK_ROWS)
        .enumerate()
        .map(|(c, chunk)| {
            let mut counts = vec![0usize; k];
            let mut totals = vec![F::zero(); k];
            for (i, &l) in chunk.iter().enumerate() {
                counts[l as usize] += 1;
                if let Some(w) = weights {
                    totals[l as usize] += w[c * CHUNK_ROWS + i];
                }
            }
            (counts, totals)
        })
        .collect();
    let mut counts = vec![0usize; k];
    let mut totals = vec![F::zero(); k];
    for (c, t) in parts {
        counts.iter_mut().zip(&c).for_each(|(a, &b)| *a += b);
        add_row(&mut totals, &t);
    }
    if weights.is_none() {
        totals = counts.iter().map(|&c| F::cast(c)).collect();
    }
    (counts, totals)
}

impl KMeansParams {
    /// Checks the parameters, then fits (see [`KMeansValidParams::fit`]).
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<KMeans<F>> {
        self.check_ref()?.fit(x, sample_weight)
    }
}

impl<F: Float> KMeans<F> {
    /// Cluster centers, one row per cluster (n_clusters x n_features).
    pub fn cluster_centers(&self) -> ArrayView2<'_, F> {
        self.centers.view()
    }
    /// Label of every training row.
    pub fn labels(&self) -> ArrayView1<'_, usize> {
        self.labels.view()
    }
    /// Weighted sum of squared distances of the training rows to their centers.
    pub fn inertia(&self) -> F {
        self.inertia
    }
    /// Iterations run by the winning restart.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }
    /// Whether the winning restart stopped on the tolerance or on unchanged labels before
    /// `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }
    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.centers.ncols()
    }
    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.centers.nrows()
    }
    /// Warnings recorded during fit (e.g. fewer distinct clusters than requested); the Python
    /// binding re-emits them as `ConvergenceWarning`.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Applies `permutation` (old label -> new label) to centers and labels.
    pub(crate) fn relabel(&mut self, permutation: &[usize]) {
        self.centers = permuted_rows(&self.centers, permutation);
        self.labels.mapv_inplace(|l| permutation[l]);
    }

    /// Centers relative to their own mean: the offset the kernel subtracts for accuracy.
    fn centered_centers(&self) -> (Vec<F>, Array2<F>) {
        let k = F::cast(self.n_clusters());
        let mean: Vec<F> = self
            .centers
            .columns()
            .into_iter()
            .map(|c| c.iter().fold(F::zero(), |a, &v| a + v) / k)
            .collect();
        let centered =
            Array2::from_shape_fn(self.centers.dim(), |(j, f)| self.centers[[j, f]] - mean[f]);
        (mean, centered)
    }

    fn labels_and_inertia(
        &self,
        x: &ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<(Vec<usize>, F)> {
        check_input(x, sample_weight.as_ref())?;
        check_n_features(x.view(), self.n_features(), "X")?;
        let weights = contiguous_weights(sample_weight);
        let (mean, centered) = self.centered_centers();
        let mut labels = vec![0; x.nrows()];
        let inertia = labels_inertia(x, &mean, weights.as_deref(), &centered, &mut labels, true);
        Ok((widen_labels(&labels), inertia))
    }

    /// Index of the nearest center for every row of `x`.
    pub fn predict(&self, x: ArrayView2<F>) -> Result<Array1<usize>> {
        Ok(Array1::from(self.labels_and_inertia(&x, None)?.0))
    }

    /// Euclidean distance of every row of `x` to every center (n_samples x n_clusters), as
    /// scikit-learn's `transform`. This one materialises n x k by definition.
    pub fn transform(&self, x: ArrayView2<F>) -> Result<Array2<F>> {
        check_matrix(x.view(), "X")?;
        check_n_features(x.view(), self.n_features(), "X")?;
        let k = self.n_clusters();
        let mut out = Array2::<F>::zeros((x.nrows(), k));
        out.axis_chunks_iter_mut(ndarray::Axis(0), CHUNK_ROWS)
            .into_par_iter()
            .enumerate()
            .for_each(|(c, mut block)| {
                for (r, mut row) in block.outer_iter_mut().enumerate() {
                    let xi = x.row(c * CHUNK_ROWS + r);
                    for (j, center) in self.centers.outer_iter().enumerate() {
                        let sq = xi.iter().zip(center.iter()).fold(F::zero(), |a, (&u, &v)| {
                            let t = u - v;
                            a + t * t
                        });
                        row[j] = sq.sqrt();
                    }
                }
            });
        Ok(out)
    }

    /// Negative weighted inertia of `x` under this model (higher is better), as scikit-learn's
    /// `score`.
    pub fn score(&self, x: ArrayView2<F>, sample_weight: Option<ArrayView1<F>>) -> Result<F> {
        Ok(-self.labels_and_inertia(&x, sample_weight)?.1)
    }
}

impl<F: Float, D: Data<Elem = F>, T> linfa::traits::Fit<ArrayBase<D, Ix2>, T, Error>
    for KMeansValidParams
{
    type Object = KMeans<F>;

    /// Fits on the dataset's records; its weights (if any) are the sample weights.
    fn fit(&self, dataset: &linfa::DatasetBase<ArrayBase<D, Ix2>, T>) -> Result<KMeans<F>> {
        let weights: Option<Array1<F>> = dataset
            .weights()
            .map(|w| w.iter().map(|&v| F::cast(v)).collect());
        KMeansValidParams::fit(
            self,
            dataset.records().view(),
            weights.as_ref().map(|w| w.view()),
        )
    }
}

impl<F: Float, D: Data<Elem = F>> linfa::traits::PredictInplace<ArrayBase<D, Ix2>, Array1<usize>>
    for KMeans<F>
{
    /// # Panics
    /// linfa's trait has no error path: panics if `x` has the wrong number of features or a
    /// non-finite value. Use the inherent [`KMeans::predict`] for a `Result`.
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<usize>) {
        let labels = KMeans::predict(self, x.view())
            .unwrap_or_else(|e| panic!("KMeans::predict_inplace: {e}"));
        y.assign(&labels);
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2, ShapeBuilder};
    use rand::Rng;

    #[test]
    fn cluster_totals_match_a_serial_count_across_chunks() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let n = 3 * CHUNK_ROWS + 17;
        // Cluster 3 of 5 stays empty.
        let labels: Vec<Label> = (0..n).map(|_| [0, 1, 2, 4][rng.gen_range(0..4)]).collect();
        let weights: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..5u8))).collect();
        let (counts, totals) = cluster_totals(&labels, Some(&weights), 5);
        let (unweighted_counts, unweighted) = cluster_totals::<f64>(&labels, None, 5);
        for j in 0..5 {
            let rows: Vec<usize> = (0..n).filter(|&i| labels[i] as usize == j).collect();
            assert_eq!(counts[j], rows.len());
            assert_eq!(unweighted_counts[j], rows.len());
            assert_eq!(unweighted[j], rows.len() as f64);
            // Integer weights: every order of summation gives the same exact total.
            assert_eq!(totals[j], rows.iter().map(|&i| weights[i]).sum::<f64>());
        }
        assert_eq!(counts[3], 0);
    }

    #[test]
    fn widen_labels_mapped_applies_the_permutation() {
        let labels: Vec<Label> = (0..CHUNK_ROWS as u32 + 9).map(|i| i % 3).collect();
        let widened = widen_labels_mapped(&labels, &[2, 0, 1]);
        for (&l, &w) in labels.iter().zip(&widened) {
            assert_eq!(w, [2, 0, 1][l as usize]);
        }
    }

    /// Gaussian-ish blobs from a fixed seed (sum of uniforms; no extra dependency).
    pub(crate) fn blobs(n: usize, d: usize, k: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let centers = Array2::from_shape_fn((k, d), |_| rng.gen_range(-10.0..10.0));
        Array2::from_shape_fn((n, d), |(i, f)| {
            let noise: f64 = (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum();
            centers[[i % k, f]] + noise
        })
    }

    /// Textbook Lloyd with scikit-learn's stopping rules, no tricks: the reference.
    fn reference_lloyd(
        x: &Array2<f64>,
        w: &[f64],
        init: &Array2<f64>,
        max_iter: usize,
        tol_rel: f64,
    ) -> (Vec<usize>, Array2<f64>, f64, usize) {
        let (n, d) = x.dim();
        let k = init.nrows();
        let var_mean = x.var_axis(ndarray::Axis(0), 0.0).mean().unwrap();
        let tol = tol_rel * var_mean;
        let mut centers = init.clone();
        let mut labels = vec![usize::MAX; n];
        let dist = |a: ArrayView1<f64>, b: ArrayView1<f64>| -> f64 {
            a.iter().zip(b.iter()).map(|(u, v)| (u - v) * (u - v)).sum()
        };
        let assign = |centers: &Array2<f64>| -> Vec<usize> {
            (0..n)
                .map(|i| {
                    let mut best = (f64::INFINITY, 0);
                    for j in 0..k {
                        let dd = dist(x.row(i), centers.row(j));
                        if dd < best.0 {
                            best = (dd, j);
                        }
                    }
                    best.1
                })
                .collect()
        };
        let mut n_iter = 0;
        let mut strict = false;
        for it in 0..max_iter {
            n_iter = it + 1;
            let new_labels = assign(&centers);
            let mut sums = Array2::<f64>::zeros((k, d));
            let mut ws = vec![0.0; k];
            for i in 0..n {
                let l = new_labels[i];
                ws[l] += w[i];
                for f in 0..d {
                    sums[[l, f]] += w[i] * x[[i, f]];
                }
            }
            let mut shift = 0.0;
            for j in 0..k {
                assert!(ws[j] > 0.0, "reference does not handle empty clusters");
                for f in 0..d {
                    let c = sums[[j, f]] / ws[j];
                    shift += (c - centers[[j, f]]).powi(2);
                    centers[[j, f]] = c;
                }
            }
            let same = new_labels == labels;
            labels = new_labels;
            if same {
                strict = true;
                break;
            }
            if shift <= tol {
                break;
            }
        }
        if !strict {
            labels = assign(&centers);
        }
        let inertia = (0..n)
            .map(|i| w[i] * dist(x.row(i), centers.row(labels[i])))
            .sum();
        (labels, centers, inertia, n_iter)
    }

    fn assert_close(a: f64, b: f64, rel: f64, what: &str) {
        assert!(
            (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300),
            "{what}: {a} vs {b}"
        );
    }

    #[test]
    fn lloyd_and_hamerly_match_the_reference_from_explicit_centers() {
        let x = blobs(3000, 5, 6, 1);
        let w: Vec<f64> = (0..3000).map(|i| 1.0 + (i % 3) as f64).collect();
        // Start from poor centers (rows of a single blob) so several iterations are needed.
        let init = x.slice(s![0..36;6, ..]).to_owned();
        for weighted in [false, true] {
            let ww = if weighted { w.clone() } else { vec![1.0; 3000] };
            let (labels, centers, inertia, n_iter) = reference_lloyd(&x, &ww, &init, 300, 1e-4);
            for algorithm in [KMeansAlgorithm::Lloyd, KMeansAlgorithm::Hamerly] {
                let wv = Array1::from(ww.clone());
                let model = KMeansParams::new(6)
                    .init(KMeansInit::Centers(init.clone()))
                    .algorithm(algorithm)
                    .fit(x.view(), weighted.then(|| wv.view()))
                    .unwrap();
                assert_eq!(model.labels().to_vec(), labels, "{algorithm:?}");
                assert_eq!(model.n_iter(), n_iter, "{algorithm:?}");
                assert!(model.converged());
                assert_close(model.inertia(), inertia, 1e-12, "inertia");
                for (a, b) in model.cluster_centers().iter().zip(centers.iter()) {
                    assert_close(*a, *b, 1e-12, "center");
                }
            }
        }
    }

    #[test]
    fn max_iter_stops_unconverged_and_relabels_to_final_centers() {
        let x = blobs(2000, 3, 4, 2);
        let init = x.slice(s![0..4, ..]).to_owned();
        let (labels, _, inertia, _) = reference_lloyd(&x, &[1.0; 2000], &init, 1, 1e-4);
        let model = KMeansParams::new(4)
            .init(KMeansInit::Centers(init))
            .max_iter(1)
            .fit(x.view(), None)
            .unwrap();
        assert!(!model.converged());
        assert_eq!(model.n_iter(), 1);
        assert_eq!(model.labels().to_vec(), labels);
        assert_close(model.inertia(), inertia, 1e-12, "inertia");
    }

    #[test]
    fn same_seed_is_bit_identical_on_one_and_two_threads() {
        let x = blobs(20_000, 4, 5, 3);
        let fit = |threads: usize, algorithm| {
            crate::testing::on_threads(threads, || {
                KMeansParams::new(5)
                    .n_init(3)
                    .random_state(11)
                    .algorithm(algorithm)
                    .fit(x.view(), None)
                    .unwrap()
            })
        };
        for algorithm in [KMeansAlgorithm::Lloyd, KMeansAlgorithm::Hamerly] {
            let one = fit(1, algorithm);
            let two = fit(2, algorithm);
            assert_eq!(one, two);
            assert_eq!(one.inertia().to_bits(), two.inertia().to_bits());
        }
    }

    #[test]
    fn integer_weights_equal_repeated_rows() {
        let x = blobs(500, 3, 3, 4);
        let counts: Vec<usize> = (0..500).map(|i| 1 + i % 4).collect();
        let mut rows = Vec::new();
        for (i, &c) in counts.iter().enumerate() {
            for _ in 0..c {
                rows.extend(x.row(i).iter().copied());
            }
        }
        let repeated = Array2::from_shape_vec((rows.len() / 3, 3), rows).unwrap();
        let w = Array1::from(counts.iter().map(|&c| c as f64).collect::<Vec<_>>());
        let init = KMeansInit::Centers(x.slice(s![0..3, ..]).to_owned());
        let weighted = KMeansParams::new(3)
            .init(init.clone())
            .fit(x.view(), Some(w.view()))
            .unwrap();
        let plain = KMeansParams::new(3)
            .init(init)
            .fit(repeated.view(), None)
            .unwrap();
        assert_close(weighted.inertia(), plain.inertia(), 1e-10, "inertia");
        for (a, b) in weighted
            .cluster_centers()
            .iter()
            .zip(plain.cluster_centers().iter())
        {
            assert_close(*a, *b, 1e-10, "center");
        }
        assert_eq!(weighted.n_iter(), plain.n_iter());
    }

    #[test]
    fn fortran_and_strided_views_give_the_same_model() {
        let x = blobs(1000, 4, 3, 5);
        let fortran = {
            let mut f = Array2::<f64>::zeros((1000, 4).f());
            f.assign(&x);
            f
        };
        let wide = ndarray::concatenate![ndarray::Axis(1), x, x];
        let strided = wide.slice(s![.., 0..8;2]);
        let params = KMeansParams::new(3).random_state(1);
        let a = params.fit(x.view(), None).unwrap();
        let b = params.fit(fortran.view(), None).unwrap();
        assert_eq!(a, b);
        let wide_model = params.fit(strided, None).unwrap();
        // Columns 0,2 of x then 0,2 of x again: a different data set, but it must run and be sane.
        assert_eq!(wide_model.n_features(), 4);
    }

    /// One pass of the fused AVX2 loop (C-ordered X) against the portable tile loop (the same
    /// X Fortran-ordered): identical labels, bit-identical sums and weights, for feature counts
    /// below, at and above a whole register (and past the 32 features with a compile-time
    /// kernel), every center-block shape, f64 and f32, with and without weights, starting
    /// mid-array with a partial last tile.
    fn fused_matches_portable<F: Float>() {
        for d in [1, 3, 4, 5, 8, 13, 16, 17, 32, 33, 41] {
            for k in [1, 3, 4, 5, 8, 9, 16, 17] {
                let data = blobs(211, d, k.max(2), (d * 100 + k) as u64).mapv(F::cast);
                let fortran = {
                    let mut f = Array2::<F>::zeros((211, d).f());
                    f.assign(&data);
                    f
                };
                let mean: Vec<F> = (0..d).map(|f| F::cast(0.25 * f as f64)).collect();
                let centers = Array2::from_shape_fn((k, d), |(j, f)| {
                    data[[7 * j + 1, f]] - mean[f] + F::cast(0.01)
                });
                let pc = PreparedCenters::new(centers.view());
                let weights: Vec<F> = (0..211).map(|i| F::cast(0.5 + (i % 7) as f64)).collect();
                for w in [None, Some(&weights[..])] {
                    let mut fused = vec![Label::MAX; 198];
                    let mut portable = vec![Label::MAX; 198];
                    let a = lloyd_chunk(&data.view(), 13, &mean, w, &pc, &mut fused);
                    let b = lloyd_chunk(&fortran.view(), 13, &mean, w, &pc, &mut portable);
                    let what = format!("d = {d}, k = {k}, weighted = {}", w.is_some());
                    assert_eq!(fused, portable, "labels, {what}");
                    assert_eq!(a.changed, 198, "{what}");
                    assert_eq!(a.sums, b.sums, "sums, {what}");
                    assert_eq!(a.weights, b.weights, "weights, {what}");
                    // The final pass: same labels, and the same inertia bits on the AVX2 and
                    // the portable path, re-assigning or not.
                    let mut final_fused = vec![Label::MAX; 198];
                    let mut final_portable = vec![Label::MAX; 198];
                    let (c_view, f_view) = (data.view(), fortran.view());
                    let inertia_fused =
                        labels_inertia_chunk(&c_view, 13, &mean, w, &pc, &mut final_fused, true);
                    let inertia_portable =
                        labels_inertia_chunk(&f_view, 13, &mean, w, &pc, &mut final_portable, true);
                    let inertia_kept =
                        labels_inertia_chunk(&c_view, 13, &mean, w, &pc, &mut fused, false);
                    assert_eq!(final_fused, fused, "final labels, {what}");
                    assert_eq!(final_portable, fused, "final labels, {what}");
                    assert_eq!(inertia_fused, inertia_portable, "inertia, {what}");
                    assert_eq!(inertia_fused, inertia_kept, "inertia, {what}");
                    let naive: f64 = fused
                        .iter()
                        .enumerate()
                        .map(|(r, &label)| {
                            let row: Vec<F> = (0..d).map(|f| data[[13 + r, f]] - mean[f]).collect();
                            let wr = w.map_or(1.0, |w| w[13 + r].to_f64().unwrap());
                            let center = centers.row(label as usize);
                            wr * sq_dist(&row, center.as_slice().unwrap()).to_f64().unwrap()
                        })
                        .sum();
                    let got = inertia_fused.to_f64().unwrap();
                    assert!(
                        (got - naive).abs() <= 1e-4 * naive,
                        "{what}: {got} vs {naive}"
                    );
                    // And the labels are the nearest centers.
                    for (r, &label) in fused.iter().enumerate() {
                        let row: Vec<F> = (0..d).map(|f| data[[13 + r, f]] - mean[f]).collect();
                        let dist = |j: usize| {
                            sq_dist(&row, centers.row(j).as_slice().unwrap())
                                .to_f64()
                                .unwrap()
                        };
                        let best = (0..k).map(dist).fold(f64::INFINITY, f64::min);
                        assert!(dist(label as usize) <= best * (1.0 + 1e-4) + 1e-6, "{what}");
                    }
                }
            }
        }
    }

    #[test]
    fn fused_pass_matches_portable_pass_for_every_shape() {
        fused_matches_portable::<f64>();
        fused_matches_portable::<f32>();
    }

    #[test]
    fn float32_stays_float32() {
        let x = blobs(2000, 3, 3, 6).mapv(|v| v as f32);
        let model: KMeans<f32> = KMeansParams::new(3).fit(x.view(), None).unwrap();
        let x64 = x.mapv(|v| v as f64);
        let model64 = KMeansParams::new(3).fit(x64.view(), None).unwrap();
        assert_eq!(model.labels(), model64.labels());
        assert!((model.inertia() as f64 - model64.inertia()).abs() / model64.inertia() < 1e-4);
    }

    #[test]
    fn bad_input_gives_typed_errors() {
        let x = array![[0.0, 1.0], [1.0, f64::NAN], [2.0, 2.0]];
        match KMeansParams::new(2).fit(x.view(), None) {
            Err(Error::NonFiniteValue { row, column, .. }) => assert_eq!((row, column), (1, 1)),
            other => panic!("{other:?}"),
        }
        // The finite check rides on the column statistics: +inf and -inf in one column (their
        // sum is NaN), a lone inf deep in a large input, in C and Fortran order.
        let mut big = blobs(3 * CHUNK_ROWS, 5, 3, 9);
        big[[2 * CHUNK_ROWS + 17, 3]] = f64::INFINITY;
        big[[2 * CHUNK_ROWS + 40, 3]] = f64::NEG_INFINITY;
        let mut fortran = Array2::<f64>::zeros(big.dim().f());
        fortran.assign(&big);
        for view in [big.view(), fortran.view()] {
            match KMeansParams::new(3).fit(view, None) {
                Err(Error::NonFiniteValue { row, column, .. }) => {
                    assert_eq!((row, column), (2 * CHUNK_ROWS + 17, 3))
                }
                other => panic!("{other:?}"),
            }
        }
        big[[2 * CHUNK_ROWS + 17, 3]] = 0.0;
        assert!(matches!(
            KMeansParams::new(3).fit(big.view(), None),
            Err(Error::NonFiniteValue { column: 3, .. })
        ));
        let x = array![[0.0, 1.0], [1.0, 2.0], [2.0, 2.0]];
        assert!(matches!(
            KMeansParams::new(4).fit(x.view(), None),
            Err(Error::TooManyClusters {
                n_clusters: 4,
                n_samples: 3
            })
        ));
        assert!(matches!(
            KMeansParams::new(0).fit(x.view(), None),
            Err(Error::InvalidParameter {
                name: "n_clusters",
                ..
            })
        ));
        for w in [
            array![1.0, -1.0, 1.0],
            array![0.0, 0.0, 0.0],
            array![1.0, f64::NAN, 1.0],
        ] {
            assert!(matches!(
                KMeansParams::new(2).fit(x.view(), Some(w.view())),
                Err(Error::InvalidWeights { .. })
            ));
        }
        let init = KMeansInit::Centers(array![[0.0], [1.0]]);
        assert!(matches!(
            KMeansParams::new(2).init(init).fit(x.view(), None),
            Err(Error::ShapeMismatch { .. })
        ));
        let model = KMeansParams::new(2).fit(x.view(), None).unwrap();
        assert!(matches!(
            model.predict(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(model.predict(Array2::<f64>::zeros((0, 2)).view()).is_err());
    }

    #[test]
    fn duplicate_points_fit_with_a_warning() {
        let x = array![[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [5.0, 5.0]];
        let model = KMeansParams::new(3).fit(x.view(), None).unwrap();
        assert!(
            model.warnings()[0].contains("distinct clusters (2)"),
            "{:?}",
            model.warnings()
        );
        assert_eq!(model.inertia(), 0.0);
    }

    #[test]
    fn empty_cluster_is_reseeded_with_the_farthest_row() {
        let x = array![[0.0], [0.1], [0.2], [10.0], [10.2]];
        // Center 2 is far from everything: empty after the first assignment.
        let init = KMeansInit::Centers(array![[0.0], [10.0], [1000.0]]);
        let model = KMeansParams::new(3).init(init).fit(x.view(), None).unwrap();
        let mut distinct: Vec<usize> = model.labels().to_vec();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 3);
        assert!(model.inertia() < 0.05);
    }

    #[test]
    fn predict_transform_score_agree_with_fit() {
        let x = blobs(1500, 3, 4, 7);
        let model = KMeansParams::new(4).fit(x.view(), None).unwrap();
        assert_eq!(model.predict(x.view()).unwrap(), model.labels());
        let score = model.score(x.view(), None).unwrap();
        assert_close(-score, model.inertia(), 1e-10, "score");
        let dist = model.transform(x.view()).unwrap();
        assert_eq!(dist.dim(), (1500, 4));
        for (row, &l) in dist.outer_iter().zip(model.labels()) {
            let argmin = (0..4).min_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
            assert_eq!(argmin, l);
        }
        let w = Array1::from_elem(1500, 2.0);
        assert_close(
            model.score(x.view(), Some(w.view())).unwrap(),
            2.0 * score,
            1e-12,
            "w",
        );
    }

    #[test]
    fn labels_are_ordered_by_cluster_size() {
        let mut x = blobs(600, 2, 3, 8);
        x.slice_mut(s![0..300, ..])
            .mapv_inplace(|v| v * 0.01 + 40.0); // a big tight group
        let model = KMeansParams::new(3).fit(x.view(), None).unwrap();
        let mut sizes = [0usize; 3];
        model.labels().iter().for_each(|&l| sizes[l] += 1);
        assert!(sizes[0] >= sizes[1] && sizes[1] >= sizes[2], "{sizes:?}");
    }

    #[test]
    fn linfa_traits_and_serde_work() {
        use linfa::traits::{Fit, Predict};
        let x = blobs(300, 2, 2, 9);
        let dataset = linfa::DatasetBase::from(x.clone());
        let params = KMeansParams::new(2).check().unwrap();
        let model: KMeans<f64> = Fit::fit(&params, &dataset).unwrap();
        let labels: Array1<usize> = Predict::predict(&model, &x);
        assert_eq!(labels, model.labels());
        let json = serde_json::to_string(&model).unwrap();
        let back: KMeans<f64> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, model);
    }

    #[test]
    fn models_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KMeans<f64>>();
        assert_send_sync::<KMeans<f32>>();
    }
}
