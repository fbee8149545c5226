//! The passes over the data. EM runs one fused pass per iteration ([`em_pass`]): E-step
//! (log-densities, log-sum-exp) and every M-step sum in the same pass, with the rows laid out
//! once per fit in blocks ([`BlockedRows`]). The initialisations use the separate
//! first/second-moment passes over given responsibilities; scoring uses [`score_rows`].
//!
//! Why our own EM instead of linfa-clustering's `GaussianMixture`: linfa measured
//! 134 ms per EM iteration (100k x 8, k = 6, full) against scikit-learn's 110-178 ms, with full
//! covariance only, no lower bound, no user-given means and the model lost on non-convergence;
//! the arithmetic is ~60 M multiply-adds, so both are far from the floor. `benches/programs/gmm_bench.rs`
//! measures this kernel against linfa on the same workload (numbers in the module docs of `gmm`).
//!
//! What decided the shape of the EM pass (perf record/annotate of `benches/programs/gmm_bench`,
//! 100k x 8, k = 6, 1 thread; before this version the profile over all four covariance types,
//! f64 and f32, was E-step 49%, separate second-moment pass 27%, glibc exp/expf/log 20%):
//! - one pass instead of two: the second-moment pass re-read X, re-transposed each block,
//!   re-computed `x - mu` and re-read the n x k responsibilities; centring the sums on the
//!   current means (which the E-step subtracts anyway) and correcting to the new means
//!   afterwards (`estimate_from_pass` in `algorithm.rs`) removes all of that;
//! - exp/ln vectorised (`crate::simd::exp_f64`, `ln_f64`, < 1 ulp, tested against std);
//! - rows re-laid once per fit instead of transposed per block per pass;
//! - the M-step accumulation as its own function on separate slices, since LLVM scalarised it
//!   when it could not prove accumulators and differences apart.
//!
//! Layout: rows are processed in blocks of [`BLOCK`], feature-major inside the block
//! (`xb[f][r]`), so every inner loop runs over the rows of the block and vectorises (one 256-bit
//! register holds 4 f64 / 8 f32 rows; on CPUs with AVX-512 the EM pass is compiled a third time
//! and one 512-bit register holds a block's 8 f64 rows, with the same bits). Sums go to per-lane accumulators, reduced in a fixed order
//! at the end of a chunk and over chunks: results depend only on the data, never on the thread
//! count.

use super::hyperparams::CovarianceType;
use super::linalg::{log_det_cholesky, Covariances};
use crate::simd::{dispatch_simd, exp_f64, ln_f64};
use crate::Float;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// Rows per block (the vector lanes of the inner loops).
pub(crate) const BLOCK: usize = 8;
/// Rows per parallel work item. Fixed, never derived from the thread count, so partial sums are
/// formed over the same rows and reduced in the same order on any number of threads.
pub(crate) const CHUNK_ROWS: usize = 2048;

#[inline(always)]
fn fmadd<F: Float, const FMA: bool>(a: F, b: F, c: F) -> F {
    if FMA {
        num_traits::Float::mul_add(a, b, c)
    } else {
        a * b + c
    }
}

/// The current parameters in the form the kernel reads.
pub(crate) struct Prepared<F> {
    pub k: usize,
    pub d: usize,
    pub kind: CovarianceType,
    /// k x d, row-major.
    pub means: Vec<F>,
    /// Precision Cholesky factors: full k x d(d+1)/2, tied d(d+1)/2 (upper triangle packed
    /// column by column), diag k x d, spherical k.
    pub factors: Vec<F>,
    /// Per component: ln(weight) + ln det(factor) - d/2 ln(2 pi).
    pub offsets: Vec<F>,
}

impl<F: Float> Prepared<F> {
    pub(crate) fn new(weights: &[F], means: &Array2<F>, chol: &Covariances<F>) -> Self {
        let (k, d) = means.dim();
        let log_det = log_det_cholesky(chol, k, d);
        let half_log_2pi = 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln();
        let offsets = weights
            .iter()
            .zip(&log_det)
            .map(|(&w, &ld)| F::cast(w.to_f64().unwrap_or(f64::NAN).ln() + ld - half_log_2pi))
            .collect();
        // Upper triangular U packed column by column (U_0j..U_jj for j = 0..d): column j is what
        // y_j = sum_{i <= j} (x - mu)_i U_ij reads, contiguous and without bounds checks per term.
        let packed = |u: ndarray::ArrayView2<F>| {
            (0..d)
                .flat_map(|j| (0..=j).map(move |i| (i, j)))
                .map(|ij| u[ij])
                .collect::<Vec<F>>()
        };
        let factors = match chol {
            Covariances::Full(a) => a.outer_iter().flat_map(packed).collect(),
            Covariances::Tied(a) => packed(a.view()),
            Covariances::Diag(a) => a.iter().copied().collect(),
            Covariances::Spherical(a) => a.to_vec(),
        };
        Prepared {
            k,
            d,
            kind: chol.covariance_type(),
            means: means.iter().copied().collect(),
            factors,
            offsets,
        }
    }
}

/// Copies rows `start..start + rows` of `x` feature-major into `xb` (zero padding).
#[inline(always)]
fn load_block<F: Float>(x: &ArrayView2<F>, start: usize, rows: usize, xb: &mut [F]) {
    let d = x.ncols();
    for r in 0..BLOCK {
        if r < rows {
            let row = x.row(start + r);
            for f in 0..d {
                xb[f * BLOCK + r] = row[f];
            }
        } else {
            for f in 0..d {
                xb[f * BLOCK + r] = F::zero();
            }
        }
    }
}

/// Sums of one pass: per component the total responsibility and the responsibility-weighted
/// sum of rows, and the weighted sum of per-row log-likelihoods.
pub(crate) struct FirstMoments<F> {
    /// k values.
    pub resp_sums: Vec<F>,
    /// k x d, row-major.
    pub weighted_sums: Vec<F>,
    pub log_likelihood: F,
}

impl<F: Float> FirstMoments<F> {
    fn zeros(k: usize, d: usize) -> Self {
        FirstMoments {
            resp_sums: vec![F::zero(); k],
            weighted_sums: vec![F::zero(); k * d],
            log_likelihood: F::zero(),
        }
    }

    fn add(&mut self, other: &FirstMoments<F>) {
        for (a, b) in self.resp_sums.iter_mut().zip(&other.resp_sums) {
            *a += *b;
        }
        for (a, b) in self.weighted_sums.iter_mut().zip(&other.weighted_sums) {
            *a += *b;
        }
        self.log_likelihood += other.log_likelihood;
    }
}

/// Per-lane accumulators of the first moments of one chunk.
struct FirstLanes<F> {
    resp: Vec<F>,
    sums: Vec<F>,
}

impl<F: Float> FirstLanes<F> {
    fn new(k: usize, d: usize) -> Self {
        FirstLanes {
            resp: vec![F::zero(); k * BLOCK],
            sums: vec![F::zero(); k * d * BLOCK],
        }
    }

    /// Adds a block whose (weighted) responsibilities are `rb[c * BLOCK + r]`.
    #[inline(always)]
    fn add_block<const FMA: bool>(&mut self, xb: &[F], rb: &[F], k: usize, d: usize) {
        for c in 0..k {
            let rc = &rb[c * BLOCK..(c + 1) * BLOCK];
            let lanes = &mut self.resp[c * BLOCK..(c + 1) * BLOCK];
            for r in 0..BLOCK {
                lanes[r] += rc[r];
            }
            for f in 0..d {
                let lanes = &mut self.sums[(c * d + f) * BLOCK..(c * d + f + 1) * BLOCK];
                let xf = &xb[f * BLOCK..(f + 1) * BLOCK];
                for r in 0..BLOCK {
                    lanes[r] = fmadd::<F, FMA>(rc[r], xf[r], lanes[r]);
                }
            }
        }
    }

    fn finish(self, k: usize, d: usize, log_likelihood: F) -> FirstMoments<F> {
        let lane_sum = |s: &[F]| s.iter().fold(F::zero(), |a, &v| a + v);
        FirstMoments {
            resp_sums: (0..k)
                .map(|c| lane_sum(&self.resp[c * BLOCK..(c + 1) * BLOCK]))
                .collect(),
            weighted_sums: (0..k * d)
                .map(|i| lane_sum(&self.sums[i * BLOCK..(i + 1) * BLOCK]))
                .collect(),
            log_likelihood,
        }
    }
}

#[inline(always)]
fn first_moments_chunk_impl<F: Float, const FMA: bool>(
    x: &ArrayView2<F>,
    start: usize,
    resp: &[F],
    k: usize,
) -> FirstMoments<F> {
    let d = x.ncols();
    let n = resp.len() / k;
    let mut xb = vec![F::zero(); d * BLOCK];
    let mut rb = vec![F::zero(); k * BLOCK];
    let mut lanes = FirstLanes::new(k, d);
    let mut r0 = 0;
    while r0 < n {
        let rows = (n - r0).min(BLOCK);
        load_block(x, start + r0, rows, &mut xb);
        load_resp_block(resp, r0, rows, k, &mut rb);
        lanes.add_block::<FMA>(&xb, &rb, k, d);
        r0 += rows;
    }
    lanes.finish(k, d, F::zero())
}

dispatch_simd!(first_moments_chunk<F: Float>(x: &ArrayView2<F>, start: usize, resp: &[F], k: usize) -> FirstMoments<F>, FMA => first_moments_chunk_impl::<F, FMA>(x, start, resp, k));

/// First moments of given (weighted) responsibilities: used by the initialisations.
pub(crate) fn first_moments<F: Float>(x: &ArrayView2<F>, resp: &[F], k: usize) -> FirstMoments<F> {
    let parts: Vec<FirstMoments<F>> = resp
        .par_chunks(CHUNK_ROWS * k)
        .enumerate()
        .map(|(c, rc)| first_moments_chunk(x, c * CHUNK_ROWS, rc, k))
        .collect();
    let mut total = FirstMoments::zeros(k, x.ncols());
    parts.iter().for_each(|part| total.add(part));
    total
}

#[inline(always)]
fn load_resp_block<F: Float>(resp: &[F], r0: usize, rows: usize, k: usize, rb: &mut [F]) {
    for r in 0..BLOCK {
        for c in 0..k {
            rb[c * BLOCK + r] = if r < rows {
                resp[(r0 + r) * k + c]
            } else {
                F::zero()
            };
        }
    }
}

/// Number of second-moment sums per component.
pub(crate) fn second_moment_len(kind: CovarianceType, d: usize) -> usize {
    match kind {
        CovarianceType::Full | CovarianceType::Tied => d * (d + 1) / 2,
        CovarianceType::Diag | CovarianceType::Spherical => d,
    }
}

#[inline(always)]
fn second_moments_chunk_impl<F: Float, const FMA: bool>(
    x: &ArrayView2<F>,
    start: usize,
    resp: &[F],
    means: &[F],
    kind: CovarianceType,
) -> Vec<F> {
    let d = x.ncols();
    let k = means.len() / d;
    let n = resp.len() / k;
    let m = second_moment_len(kind, d);
    let mut lanes = vec![F::zero(); k * m * BLOCK];
    let mut xb = vec![F::zero(); d * BLOCK];
    let mut rb = vec![F::zero(); k * BLOCK];
    let mut diff = vec![F::zero(); d * BLOCK];
    let mut weighted = vec![F::zero(); d * BLOCK];
    let mut r0 = 0;
    while r0 < n {
        let rows = (n - r0).min(BLOCK);
        load_block(x, start + r0, rows, &mut xb);
        load_resp_block(resp, r0, rows, k, &mut rb);
        for c in 0..k {
            let mu = &means[c * d..(c + 1) * d];
            let rc = &rb[c * BLOCK..(c + 1) * BLOCK];
            for f in 0..d {
                for r in 0..BLOCK {
                    let t = xb[f * BLOCK + r] - mu[f];
                    diff[f * BLOCK + r] = t;
                    weighted[f * BLOCK + r] = rc[r] * t;
                }
            }
            let acc = &mut lanes[c * m * BLOCK..(c + 1) * m * BLOCK];
            match kind {
                CovarianceType::Full | CovarianceType::Tied => {
                    let mut idx = 0;
                    for a in 0..d {
                        let wa = &weighted[a * BLOCK..(a + 1) * BLOCK];
                        for b in a..d {
                            let db = &diff[b * BLOCK..(b + 1) * BLOCK];
                            let out = &mut acc[idx * BLOCK..(idx + 1) * BLOCK];
                            for r in 0..BLOCK {
                                out[r] = fmadd::<F, FMA>(wa[r], db[r], out[r]);
                            }
                            idx += 1;
                        }
                    }
                }
                CovarianceType::Diag | CovarianceType::Spherical => {
                    for f in 0..d {
                        let out = &mut acc[f * BLOCK..(f + 1) * BLOCK];
                        for r in 0..BLOCK {
                            out[r] = fmadd::<F, FMA>(
                                weighted[f * BLOCK + r],
                                diff[f * BLOCK + r],
                                out[r],
                            );
                        }
                    }
                }
            }
        }
        r0 += rows;
    }
    block_sums(&lanes)
}

dispatch_simd!(second_moments_chunk<F: Float>(x: &ArrayView2<F>, start: usize, resp: &[F], means: &[F], kind: CovarianceType) -> Vec<F>, FMA => second_moments_chunk_impl::<F, FMA>(x, start, resp, means, kind));

/// Responsibility-weighted scatter around the new means: per component, the upper triangle
/// (row by row) of `sum_i r_ic (x_i - mu_c)(x_i - mu_c)^T` for full/tied, its diagonal for
/// diag/spherical. Centered on the means (not `E[x x^T] - mu mu^T`, which loses digits when a
/// segment sits far from the origin).
pub(crate) fn second_moments<F: Float>(
    x: &ArrayView2<F>,
    resp: &[F],
    means: &[F],
    kind: CovarianceType,
) -> Vec<F> {
    let d = x.ncols();
    let k = means.len() / d;
    let parts: Vec<Vec<F>> = resp
        .par_chunks(CHUNK_ROWS * k)
        .enumerate()
        .map(|(c, rc)| second_moments_chunk(x, c * CHUNK_ROWS, rc, means, kind))
        .collect();
    let mut total = vec![F::zero(); k * second_moment_len(kind, d)];
    for part in parts {
        for (t, v) in total.iter_mut().zip(part) {
            *t += v;
        }
    }
    total
}

/// A hard start on some of the rows: row `rows[j]` (increasing) belongs to component `labels[j]`
/// with weight `weights[j]`, every other row to none (the cut of the hierarchical
/// agglomeration, built on at most a few thousand rows).
pub(crate) struct HardStart<'a, F> {
    pub rows: &'a [usize],
    pub labels: Vec<usize>,
    pub weights: Vec<F>,
}

impl<F: Float> HardStart<'_, F> {
    /// The entries of each [`CHUNK_ROWS`] chunk that holds any, chunk by chunk.
    fn chunks(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let mut j = 0;
        std::iter::from_fn(move || {
            let start = j;
            let chunk = *self.rows.get(start)? / CHUNK_ROWS;
            while j < self.rows.len() && self.rows[j] / CHUNK_ROWS == chunk {
                j += 1;
            }
            Some(start..j)
        })
    }
}

// The hard-start sums below visit only the rows with a label, yet give the bits of
// `first_moments` / `second_moments` on the dense n x k responsibilities that are zero
// elsewhere: each row lands in the same lane (`row % BLOCK`, chunks start at multiples of
// BLOCK) in the same order, a zero responsibility adds an exact zero there, and lanes and chunks
// are reduced in the same order. Perf of the BIC table had the two dense passes of every
// hierarchical start at two full reads of the data per cell for 2000 labelled rows.

#[inline(always)]
fn first_moments_hard_impl<F: Float, const FMA: bool>(
    x: &ArrayView2<F>,
    start: &HardStart<'_, F>,
    entries: std::ops::Range<usize>,
    k: usize,
) -> FirstMoments<F> {
    let d = x.ncols();
    let mut lanes = FirstLanes::new(k, d);
    for j in entries {
        let (i, c, w) = (start.rows[j], start.labels[j], start.weights[j]);
        let r = i % BLOCK;
        lanes.resp[c * BLOCK + r] += w;
        let row = x.row(i);
        for f in 0..d {
            let lane = &mut lanes.sums[(c * d + f) * BLOCK + r];
            *lane = fmadd::<F, FMA>(w, row[f], *lane);
        }
    }
    lanes.finish(k, d, F::zero())
}

dispatch_simd!(first_moments_hard_chunk<F: Float>(x: &ArrayView2<F>, start: &HardStart<'_, F>, entries: std::ops::Range<usize>, k: usize) -> FirstMoments<F>, FMA => first_moments_hard_impl::<F, FMA>(x, start, entries, k));

/// [`first_moments`] of a hard start, reading only its rows.
pub(crate) fn first_moments_hard<F: Float>(
    x: &ArrayView2<F>,
    start: &HardStart<'_, F>,
    k: usize,
) -> FirstMoments<F> {
    let mut total = FirstMoments::zeros(k, x.ncols());
    for entries in start.chunks() {
        total.add(&first_moments_hard_chunk(x, start, entries, k));
    }
    total
}

#[inline(always)]
fn second_moments_hard_impl<F: Float, const FMA: bool>(
    x: &ArrayView2<F>,
    start: &HardStart<'_, F>,
    entries: std::ops::Range<usize>,
    means: &[F],
    kind: CovarianceType,
) -> Vec<F> {
    let d = x.ncols();
    let k = means.len() / d;
    let m = second_moment_len(kind, d);
    let mut lanes = vec![F::zero(); k * m * BLOCK];
    let mut diff = vec![F::zero(); d];
    let mut weighted = vec![F::zero(); d];
    for j in entries {
        let (i, c, w) = (start.rows[j], start.labels[j], start.weights[j]);
        let r = i % BLOCK;
        let row = x.row(i);
        let mu = &means[c * d..(c + 1) * d];
        for f in 0..d {
            diff[f] = row[f] - mu[f];
            weighted[f] = w * diff[f];
        }
        let acc = &mut lanes[c * m * BLOCK..(c + 1) * m * BLOCK];
        let mut idx = 0;
        for (a, &weighted_a) in weighted.iter().enumerate() {
            let (from, to) = match kind {
                CovarianceType::Full | CovarianceType::Tied => (a, d),
                CovarianceType::Diag | CovarianceType::Spherical => (a, a + 1),
            };
            for &diff_b in &diff[from..to] {
                let lane = &mut acc[idx * BLOCK + r];
                *lane = fmadd::<F, FMA>(weighted_a, diff_b, *lane);
                idx += 1;
            }
        }
    }
    block_sums(&lanes)
}

dispatch_simd!(second_moments_hard_chunk<F: Float>(x: &ArrayView2<F>, start: &HardStart<'_, F>, entries: std::ops::Range<usize>, means: &[F], kind: CovarianceType) -> Vec<F>, FMA => second_moments_hard_impl::<F, FMA>(x, start, entries, means, kind));

/// [`second_moments`] of a hard start, reading only its rows.
pub(crate) fn second_moments_hard<F: Float>(
    x: &ArrayView2<F>,
    start: &HardStart<'_, F>,
    means: &[F],
    kind: CovarianceType,
) -> Vec<F> {
    let k = means.len() / x.ncols();
    let mut total = vec![F::zero(); k * second_moment_len(kind, x.ncols())];
    for entries in start.chunks() {
        let part = second_moments_hard_chunk(x, start, entries, means, kind);
        for (t, v) in total.iter_mut().zip(part) {
            *t += v;
        }
    }
    total
}

/// One value per row of a block (the vector lanes of the kernels).
type Lanes<F> = [F; BLOCK];

/// Blocks per parallel work item of the fused EM pass.
const CHUNK_BLOCKS: usize = CHUNK_ROWS / BLOCK;

#[inline(always)]
fn lane_sum<F: Float>(lanes: &Lanes<F>) -> F {
    lanes.iter().fold(F::zero(), |a, &v| a + v)
}

/// The sum of every `BLOCK` consecutive lanes (each accumulator's lanes, left to right).
fn block_sums<F: Float>(lanes: &[F]) -> Vec<F> {
    lanes
        .chunks_exact(BLOCK)
        .map(|block| block.iter().fold(F::zero(), |a, &v| a + v))
        .collect()
}

#[inline(always)]
fn to_f64<F: Float>(v: F) -> f64 {
    // Float -> f64 is always `Some` (num-traits casts float to float unchecked).
    v.to_f64().unwrap_or(f64::NAN)
}

/// The rows of `x` and their sample weights re-laid once per fit, block by block and
/// feature-major inside a block (`values[b * d + f][r]` is feature `f` of row `b * BLOCK + r`), so
/// every EM iteration streams them with plain vector loads: no per-iteration transposition, and
/// any input memory order (numpy C or Fortran) costs the same.
pub(crate) struct BlockedRows<F> {
    d: usize,
    values: Vec<Lanes<F>>,
    /// One lane per row: its sample weight (1 without weights); 0 in the padding of the last
    /// block, which is what keeps padded rows out of every sum.
    weights: Vec<Lanes<F>>,
}

impl<F: Float> BlockedRows<F> {
    pub(crate) fn new(x: &ArrayView2<F>, sample_weight: Option<&[F]>) -> Self {
        let (n, d) = x.dim();
        let n_blocks = n.div_ceil(BLOCK);
        let mut values = vec![[F::zero(); BLOCK]; n_blocks * d];
        let mut weights = vec![[F::zero(); BLOCK]; n_blocks];
        values
            .par_chunks_mut(d.max(1))
            .zip(weights.par_iter_mut())
            .enumerate()
            .for_each(|(b, (block, w))| {
                for r in 0..BLOCK.min(n - b * BLOCK) {
                    let i = b * BLOCK + r;
                    for (f, lanes) in block.iter_mut().enumerate() {
                        lanes[r] = x[[i, f]];
                    }
                    w[r] = sample_weight.map_or(F::one(), |sw| sw[i]);
                }
            });
        BlockedRows { d, values, weights }
    }

    fn n_chunks(&self) -> usize {
        self.weights.len().div_ceil(CHUNK_BLOCKS)
    }
}

/// Sums of one fused EM pass, with every row centred on the *current* means `m_c` (the E-step
/// computes `x - m_c` anyway): per component `N_c = sum r`, `s_c = sum r (x - m_c)` and
/// `S_c = sum r (x - m_c)(x - m_c)^T` (upper triangle row by row for full/tied, diagonal for
/// diag/spherical), plus `sum w ln p(x)`. The M-step turns them into the new means and the
/// scatter around them exactly (`shifted_to_centred`), so E-step and M-step share one pass over
/// the data and the n x k responsibilities are never stored.
pub(crate) struct PassSums<F> {
    pub resp_sums: Vec<F>,
    pub shifted_sums: Vec<F>,
    pub shifted_scatter: Vec<F>,
    pub log_likelihood: F,
}

/// Per-chunk lane accumulators and scratch, allocated once per fit and reused by every EM
/// iteration.
struct ChunkLanes<F> {
    resp: Vec<Lanes<F>>,
    first: Vec<Lanes<F>>,
    second: Vec<Lanes<F>>,
    log_likelihood: Lanes<F>,
    /// GROUP x k x d: the blocks' rows minus each component's mean.
    diff: Vec<Lanes<F>>,
    /// GROUP x k: log-densities, then membership probabilities.
    prob: Vec<Lanes<F>>,
}

/// Workspace of [`em_pass`]: one accumulator set per fixed chunk of rows.
pub(crate) struct EmWorkspace<F> {
    chunks: Vec<ChunkLanes<F>>,
    k: usize,
    d: usize,
    kind: CovarianceType,
}

impl<F: Float> EmWorkspace<F> {
    pub(crate) fn new(rows: &BlockedRows<F>, k: usize, kind: CovarianceType) -> Self {
        let d = rows.d;
        let m = second_moment_len(kind, d);
        let zero = [F::zero(); BLOCK];
        let chunks = (0..rows.n_chunks())
            .map(|_| ChunkLanes {
                resp: vec![zero; k],
                first: vec![zero; k * d],
                second: vec![zero; k * m],
                log_likelihood: zero,
                diff: vec![zero; GROUP * k * d],
                prob: vec![zero; GROUP * k],
            })
            .collect();
        EmWorkspace { chunks, k, d, kind }
    }
}

/// Weighted log-densities `ln w_c + ln N(x | mu_c, Sigma_c)` of a block's rows under every
/// component into `logp[c]`, keeping `x - mu_c` in `diff[c * d + f]` for the M-step sums.
#[inline(always)]
fn log_prob_lanes<F: Float, const FMA: bool>(
    xb: &[Lanes<F>],
    p: &Prepared<F>,
    diff: &mut [Lanes<F>],
    logp: &mut [Lanes<F>],
) {
    let d = p.d;
    let half = F::cast(0.5);
    for (c, lp) in logp.iter_mut().enumerate().take(p.k) {
        let mu = &p.means[c * d..(c + 1) * d];
        let dc = &mut diff[c * d..(c + 1) * d];
        for f in 0..d {
            for r in 0..BLOCK {
                dc[f][r] = xb[f][r] - mu[f];
            }
        }
        let mut sq = [F::zero(); BLOCK];
        match p.kind {
            CovarianceType::Full | CovarianceType::Tied => {
                let t = d * (d + 1) / 2;
                let u = if p.kind == CovarianceType::Full {
                    &p.factors[c * t..(c + 1) * t]
                } else {
                    &p.factors[..t]
                };
                // y = (x - mu) U with U upper triangular: y_j = sum_{i <= j} diff_i U_ij.
                let mut start = 0;
                for j in 0..d {
                    let column = &u[start..start + j + 1];
                    start += j + 1;
                    let mut acc = [F::zero(); BLOCK];
                    for (di, &uij) in dc.iter().zip(column) {
                        for r in 0..BLOCK {
                            acc[r] = fmadd::<F, FMA>(di[r], uij, acc[r]);
                        }
                    }
                    sq = lanes_fma::<F, FMA>(acc, acc, sq);
                }
            }
            CovarianceType::Diag | CovarianceType::Spherical => {
                for (f, df) in dc.iter().enumerate() {
                    let prec = if p.kind == CovarianceType::Diag {
                        p.factors[c * d + f]
                    } else {
                        p.factors[c]
                    };
                    for r in 0..BLOCK {
                        let y = df[r] * prec;
                        sq[r] = fmadd::<F, FMA>(y, y, sq[r]);
                    }
                }
            }
        }
        for r in 0..BLOCK {
            lp[r] = p.offsets[c] - half * sq[r];
        }
    }
}

/// Log-sum-exp over the components, lane by lane: turns the log-densities in `prob` into
/// membership probabilities in place and returns `ln p(x)` per lane. exp and ln are the
/// vectorised ones of `simd` (in f64 whatever `F` is): perf showed glibc's scalar calls here at
/// 16% of an EM iteration. A row where every component has density zero gets NaN
/// probabilities and ln p = -inf (the EM loop turns that into a clear error).
#[inline(always)]
fn normalise_lanes<F: Float>(prob: &mut [Lanes<F>]) -> Lanes<F> {
    let mut max = [F::neg_infinity(); BLOCK];
    for lp in prob.iter() {
        for r in 0..BLOCK {
            max[r] = if lp[r] > max[r] { lp[r] } else { max[r] };
        }
    }
    let mut sum = [0.0f64; BLOCK];
    for lp in prob.iter_mut() {
        for r in 0..BLOCK {
            let e = exp_f64(to_f64(lp[r] - max[r]));
            sum[r] += e;
            lp[r] = F::cast(e);
        }
    }
    let mut inv = [F::zero(); BLOCK];
    let mut lse = [F::zero(); BLOCK];
    for r in 0..BLOCK {
        inv[r] = F::cast(1.0 / sum[r]);
        lse[r] = max[r] + F::cast(ln_f64(sum[r]));
    }
    for lp in prob.iter_mut() {
        for r in 0..BLOCK {
            lp[r] *= inv[r];
        }
    }
    lse
}

#[inline(always)]
fn lanes_mul<F: Float>(a: Lanes<F>, b: Lanes<F>) -> Lanes<F> {
    let mut out = a;
    for r in 0..BLOCK {
        out[r] = a[r] * b[r];
    }
    out
}

#[inline(always)]
fn lanes_add<F: Float>(a: Lanes<F>, b: Lanes<F>) -> Lanes<F> {
    let mut out = a;
    for r in 0..BLOCK {
        out[r] = a[r] + b[r];
    }
    out
}

#[inline(always)]
fn lanes_fma<F: Float, const FMA: bool>(a: Lanes<F>, b: Lanes<F>, c: Lanes<F>) -> Lanes<F> {
    let mut out = c;
    for r in 0..BLOCK {
        out[r] = fmadd::<F, FMA>(a[r], b[r], c[r]);
    }
    out
}

/// Blocks whose M-step contributions are added together: each accumulator is loaded and stored
/// once per `GROUP` blocks instead of once per block. Perf annotate of `gmm_bench` (full,
/// 100k x 8, k = 6, 1 thread) had the load-FMA-store scatter update at ~29% of the iteration;
/// grouping by 4 measured equal within the noise of the shared machine (A/B of CPU time per
/// iteration, 10.5 vs 10.5 ms), so the update is not store-bound there; kept because it does
/// not cost and quarters the accumulator traffic on machines where it is.
const GROUP: usize = 4;

/// Adds `G` blocks to the shifted M-step sums of a chunk (`prob[t * k + c]`,
/// `diff[(t * k + c) * d + f]` for block `t`). A function of its own, with separate slices and
/// whole-lane loads before stores, because the first version, written on the fields of one
/// `&mut` struct, compiled to scalar code: LLVM could not prove the accumulators and the
/// differences apart (perf annotate, same workload).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn accumulate_blocks<F: Float, const FMA: bool, const G: usize>(
    kind: CovarianceType,
    k: usize,
    d: usize,
    w: &[Lanes<F>; G],
    prob: &[Lanes<F>],
    diff: &[Lanes<F>],
    resp: &mut [Lanes<F>],
    first: &mut [Lanes<F>],
    second: &mut [Lanes<F>],
) {
    let m = second_moment_len(kind, d);
    let zero = [F::zero(); BLOCK];
    for c in 0..k {
        let mut rc = [zero; G];
        for t in 0..G {
            rc[t] = lanes_mul(w[t], prob[t * k + c]);
            resp[c] = lanes_add(resp[c], rc[t]);
        }
        let dc = |t: usize| &diff[(t * k + c) * d..(t * k + c + 1) * d];
        let fc = &mut first[c * d..(c + 1) * d];
        let sc = &mut second[c * m..(c + 1) * m];
        let mut idx = 0;
        for (a, fa) in fc.iter_mut().enumerate() {
            let mut wa = [zero; G];
            for (t, wat) in wa.iter_mut().enumerate() {
                *wat = lanes_mul(rc[t], dc(t)[a]);
                *fa = lanes_add(*fa, *wat);
            }
            let (from, to) = match kind {
                CovarianceType::Full | CovarianceType::Tied => (a, d),
                CovarianceType::Diag | CovarianceType::Spherical => (a, a + 1),
            };
            for b in from..to {
                let mut acc = sc[idx];
                for (t, &wat) in wa.iter().enumerate() {
                    acc = lanes_fma::<F, FMA>(wat, dc(t)[b], acc);
                }
                sc[idx] = acc;
                idx += 1;
            }
        }
    }
}

/// The fused pass over one chunk: E-step of `GROUP` blocks, then their contribution to the
/// shifted M-step sums while their differences are still in L1. The sums stay per lane until
/// [`em_pass`] reduces them in a fixed order.
#[inline(always)]
fn em_chunk_impl<F: Float, const FMA: bool>(
    values: &[Lanes<F>],
    weights: &[Lanes<F>],
    p: &Prepared<F>,
    lanes: &mut ChunkLanes<F>,
) {
    let (k, d) = (p.k, p.d);
    let zero = [F::zero(); BLOCK];
    let ChunkLanes {
        resp,
        first,
        second,
        log_likelihood,
        diff,
        prob,
    } = lanes;
    resp.fill(zero);
    first.fill(zero);
    second.fill(zero);
    let mut ll = zero;
    // E-step of block `b` into slot `t` of the scratch.
    #[inline(always)]
    fn e_step<F: Float, const FMA: bool>(
        xb: &[Lanes<F>],
        w: Lanes<F>,
        p: &Prepared<F>,
        diff: &mut [Lanes<F>],
        prob: &mut [Lanes<F>],
        ll: Lanes<F>,
    ) -> Lanes<F> {
        log_prob_lanes::<F, FMA>(xb, p, diff, prob);
        let lse = normalise_lanes(prob);
        // Padded rows have weight 0 and a finite ln p: they add exactly nothing.
        lanes_fma::<F, FMA>(w, lse, ll)
    }
    let block = |b: usize| &values[b * d..(b + 1) * d];
    let grouped = weights.len() / GROUP * GROUP;
    for b0 in (0..grouped).step_by(GROUP) {
        let w: &[Lanes<F>; GROUP] = weights[b0..b0 + GROUP]
            .try_into()
            .expect("the slice has GROUP elements");
        for (t, &wt) in w.iter().enumerate() {
            let (dt, pt) = (t * k * d, t * k);
            ll = e_step::<F, FMA>(
                block(b0 + t),
                wt,
                p,
                &mut diff[dt..dt + k * d],
                &mut prob[pt..pt + k],
                ll,
            );
        }
        accumulate_blocks::<F, FMA, GROUP>(p.kind, k, d, w, prob, diff, resp, first, second);
    }
    for (b, &wb) in weights.iter().enumerate().skip(grouped) {
        ll = e_step::<F, FMA>(block(b), wb, p, &mut diff[..k * d], &mut prob[..k], ll);
        let w = [wb];
        accumulate_blocks::<F, FMA, 1>(p.kind, k, d, &w, prob, diff, resp, first, second);
    }
    *log_likelihood = ll;
}

dispatch_simd!(em_chunk_avx2<F: Float>(values: &[Lanes<F>], weights: &[Lanes<F>], p: &Prepared<F>, lanes: &mut ChunkLanes<F>) -> (), FMA => em_chunk_impl::<F, FMA>(values, weights, p, lanes));

/// The fused EM pass over one chunk, compiled a third time with AVX-512 where the CPU has it: a
/// block's 8 f64 lanes are one 512-bit register instead of two 256-bit ones. Every lane runs
/// the same IEEE operations (the same fused multiply-adds, no reassociation), so the sums are
/// bit-for-bit those of the AVX2 build.
fn em_chunk<F: Float>(
    values: &[Lanes<F>],
    weights: &[Lanes<F>],
    p: &Prepared<F>,
    lanes: &mut ChunkLanes<F>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
        unsafe fn with_avx512<F: Float>(
            values: &[Lanes<F>],
            weights: &[Lanes<F>],
            p: &Prepared<F>,
            lanes: &mut ChunkLanes<F>,
        ) {
            em_chunk_impl::<F, true>(values, weights, p, lanes)
        }
        if crate::simd::has_avx512() {
            // SAFETY: the CPU has these features, checked just above.
            return unsafe { with_avx512(values, weights, p, lanes) };
        }
    }
    em_chunk_avx2(values, weights, p, lanes)
}

/// One EM pass under `p` (E-step fused with the M-step sums, see [`PassSums`]). Chunks are fixed
/// row ranges and are reduced in chunk order, so the result never depends on the thread count.
pub(crate) fn em_pass<F: Float>(
    rows: &BlockedRows<F>,
    p: &Prepared<F>,
    ws: &mut EmWorkspace<F>,
) -> PassSums<F> {
    let d = rows.d;
    debug_assert!(ws.k == p.k && ws.d == d && ws.kind == p.kind);
    ws.chunks
        .par_iter_mut()
        .enumerate()
        .for_each(|(chunk, lanes)| {
            let b0 = chunk * CHUNK_BLOCKS;
            let b1 = (b0 + CHUNK_BLOCKS).min(rows.weights.len());
            em_chunk(
                &rows.values[b0 * d..b1 * d],
                &rows.weights[b0..b1],
                p,
                lanes,
            );
        });
    let (k, m) = (p.k, second_moment_len(p.kind, d));
    let mut total = PassSums {
        resp_sums: vec![F::zero(); k],
        shifted_sums: vec![F::zero(); k * d],
        shifted_scatter: vec![F::zero(); k * m],
        log_likelihood: F::zero(),
    };
    for lanes in &ws.chunks {
        for (t, l) in total.resp_sums.iter_mut().zip(&lanes.resp) {
            *t += lane_sum(l);
        }
        for (t, l) in total.shifted_sums.iter_mut().zip(&lanes.first) {
            *t += lane_sum(l);
        }
        for (t, l) in total.shifted_scatter.iter_mut().zip(&lanes.second) {
            *t += lane_sum(l);
        }
        total.log_likelihood += lane_sum(&lanes.log_likelihood);
    }
    total
}

#[inline(always)]
fn score_chunk_impl<F: Float, const FMA: bool>(
    x: &ArrayView2<F>,
    start: usize,
    p: &Prepared<F>,
    log_density: &mut [F],
    resp: &mut [F],
) {
    let (k, d) = (p.k, p.d);
    let n = log_density.len();
    let mut xb = vec![F::zero(); d * BLOCK];
    let mut block = vec![[F::zero(); BLOCK]; d];
    let mut diff = vec![[F::zero(); BLOCK]; k * d];
    let mut prob = vec![[F::zero(); BLOCK]; k];
    let mut r0 = 0;
    while r0 < n {
        let rows = (n - r0).min(BLOCK);
        load_block(x, start + r0, rows, &mut xb);
        for (f, lanes) in block.iter_mut().enumerate() {
            lanes.copy_from_slice(&xb[f * BLOCK..(f + 1) * BLOCK]);
        }
        log_prob_lanes::<F, FMA>(&block, p, &mut diff, &mut prob);
        let lse = normalise_lanes(&mut prob);
        for r in 0..rows {
            let i = r0 + r;
            log_density[i] = lse[r];
            for c in 0..k {
                resp[i * k + c] = prob[c][r];
            }
        }
        r0 += rows;
    }
}

dispatch_simd!(score_chunk<F: Float>(x: &ArrayView2<F>, start: usize, p: &Prepared<F>, log_density: &mut [F], resp: &mut [F]) -> (), FMA => score_chunk_impl::<F, FMA>(x, start, p, log_density, resp));

/// Per-row log-density `ln p(x)` and membership probabilities (n x k, row-major) under `p`.
pub(crate) fn score_rows<F: Float>(x: &ArrayView2<F>, p: &Prepared<F>) -> (Vec<F>, Vec<F>) {
    let n = x.nrows();
    let mut log_density = vec![F::zero(); n];
    let mut resp = vec![F::zero(); n * p.k];
    log_density
        .par_chunks_mut(CHUNK_ROWS)
        .zip(resp.par_chunks_mut(CHUNK_ROWS * p.k))
        .enumerate()
        .for_each(|(c, (ld, rc))| score_chunk(x, c * CHUNK_ROWS, p, ld, rc));
    (log_density, resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn hard_start_sums_are_the_dense_sums_bit_for_bit() {
        let (n, d, k) = (5003, 3, 4);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let x = Array2::from_shape_fn((n, d), |_| rng.gen_range(-5.0..5.0));
        let mut rows: Vec<usize> = (0..n).filter(|_| rng.gen_bool(0.3)).collect();
        rows.dedup();
        let labels: Vec<usize> = rows.iter().map(|_| rng.gen_range(0..k)).collect();
        let weights: Vec<f64> = rows.iter().map(|_| rng.gen_range(0.5..2.0)).collect();
        let mut resp = vec![0.0; n * k];
        for ((&i, &c), &w) in rows.iter().zip(&labels).zip(&weights) {
            resp[i * k + c] = w;
        }
        let hard = HardStart {
            rows: &rows,
            labels: labels.clone(),
            weights: weights.clone(),
        };
        let (dense, sparse) = (
            first_moments(&x.view(), &resp, k),
            first_moments_hard(&x.view(), &hard, k),
        );
        assert_eq!(dense.resp_sums, sparse.resp_sums);
        assert_eq!(dense.weighted_sums, sparse.weighted_sums);
        let means: Vec<f64> = (0..k * d)
            .map(|i| dense.weighted_sums[i] / dense.resp_sums[i / d])
            .collect();
        for kind in CovarianceType::ALL {
            assert_eq!(
                second_moments(&x.view(), &resp, &means, kind),
                second_moments_hard(&x.view(), &hard, &means, kind),
                "{kind}"
            );
        }
    }
}
