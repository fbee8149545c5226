//! The EM passes over the data: E-step (log-densities, log-sum-exp, responsibilities) fused with
//! the first moments of the M-step, and the second-moment pass.
//!
//! Why our own EM instead of linfa-clustering's `GaussianMixture`: ANCHORS.md measured linfa at
//! 134 ms per EM iteration (100k x 8, k = 6, full) against scikit-learn's 110-178 ms, with full
//! covariance only, no lower bound, no user-given means and the model lost on non-convergence;
//! the arithmetic is ~60 M multiply-adds, so both are far from the floor. `examples/gmm_bench.rs`
//! measures this kernel on the same workload: 109 ms against linfa's 835 ms in one run (numbers in
//! the module docs of `gmm`).
//!
//! Layout: rows are processed in blocks of [`BLOCK`], copied feature-major (`xb[f * BLOCK + r]`)
//! so every inner loop runs over the rows of the block and vectorises (one 256-bit register
//! holds 4 f64 / 8 f32 rows). Per-block sums go to per-lane accumulators, summed in a fixed order
//! at the end of a chunk: results depend only on the data, never on the thread count.

use super::hyperparams::CovarianceType;
use super::linalg::{log_det_cholesky, Covariances};
use crate::simd::dispatch_simd;
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
    /// Precision Cholesky factors: full k x d x d, tied d x d (upper triangular, row-major),
    /// diag k x d, spherical k.
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
        let factors = match chol {
            Covariances::Full(a) => a.iter().copied().collect(),
            Covariances::Tied(a) => a.iter().copied().collect(),
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

/// Weighted log-density `ln w_c + ln N(x | mu_c, Sigma_c)` of the block's rows under every
/// component, into `lp[c * BLOCK + r]`.
#[inline(always)]
fn log_prob_block<F: Float, const FMA: bool>(
    xb: &[F],
    p: &Prepared<F>,
    diff: &mut [F],
    lp: &mut [F],
) {
    let d = p.d;
    let half = F::cast(0.5);
    for c in 0..p.k {
        let mu = &p.means[c * d..(c + 1) * d];
        for f in 0..d {
            for r in 0..BLOCK {
                diff[f * BLOCK + r] = xb[f * BLOCK + r] - mu[f];
            }
        }
        let mut sq = [F::zero(); BLOCK];
        match p.kind {
            CovarianceType::Full | CovarianceType::Tied => {
                let u = if p.kind == CovarianceType::Full {
                    &p.factors[c * d * d..(c + 1) * d * d]
                } else {
                    &p.factors[..d * d]
                };
                // y = (x - mu) U with U upper triangular: y_j = sum_{i <= j} diff_i U_ij.
                for j in 0..d {
                    let mut acc = [F::zero(); BLOCK];
                    for i in 0..=j {
                        let uij = u[i * d + j];
                        let di = &diff[i * BLOCK..(i + 1) * BLOCK];
                        for r in 0..BLOCK {
                            acc[r] = fmadd::<F, FMA>(di[r], uij, acc[r]);
                        }
                    }
                    for r in 0..BLOCK {
                        sq[r] = fmadd::<F, FMA>(acc[r], acc[r], sq[r]);
                    }
                }
            }
            CovarianceType::Diag => {
                let prec = &p.factors[c * d..(c + 1) * d];
                for f in 0..d {
                    for r in 0..BLOCK {
                        let y = diff[f * BLOCK + r] * prec[f];
                        sq[r] = fmadd::<F, FMA>(y, y, sq[r]);
                    }
                }
            }
            CovarianceType::Spherical => {
                let prec = p.factors[c];
                for f in 0..d {
                    for r in 0..BLOCK {
                        let y = diff[f * BLOCK + r] * prec;
                        sq[r] = fmadd::<F, FMA>(y, y, sq[r]);
                    }
                }
            }
        }
        for r in 0..BLOCK {
            lp[c * BLOCK + r] = p.offsets[c] - half * sq[r];
        }
    }
}

/// Log-sum-exp of row `r` of a block (`ln p(x_r)`), writing the normalised responsibilities
/// `exp(lp - lse)` of the row into `resp` (one per component).
#[inline(always)]
fn normalise_row<F: Float>(lp: &[F], r: usize, k: usize, resp: &mut [F]) -> F {
    let mut max = F::neg_infinity();
    for c in 0..k {
        max = max.max(lp[c * BLOCK + r]);
    }
    if max == F::neg_infinity() {
        // Every component has zero weight or density here: no responsibility can be formed.
        resp.iter_mut().for_each(|v| *v = F::nan());
        return F::neg_infinity();
    }
    let mut sum = F::zero();
    for c in 0..k {
        let e = (lp[c * BLOCK + r] - max).exp();
        resp[c] = e;
        sum += e;
    }
    let inv = F::one() / sum;
    resp.iter_mut().for_each(|v| *v *= inv);
    max + sum.ln()
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
fn e_step_chunk_impl<F: Float, const FMA: bool>(
    x: &ArrayView2<F>,
    start: usize,
    weights: Option<&[F]>,
    p: &Prepared<F>,
    resp: &mut [F],
) -> FirstMoments<F> {
    let (k, d) = (p.k, p.d);
    let n = resp.len() / k;
    let mut xb = vec![F::zero(); d * BLOCK];
    let mut diff = vec![F::zero(); d * BLOCK];
    let mut lp = vec![F::zero(); k * BLOCK];
    let mut rb = vec![F::zero(); k * BLOCK];
    let mut lanes = FirstLanes::new(k, d);
    let mut log_likelihood = F::zero();
    let mut row_resp = vec![F::zero(); k];
    let mut r0 = 0;
    while r0 < n {
        let rows = (n - r0).min(BLOCK);
        load_block(x, start + r0, rows, &mut xb);
        log_prob_block::<F, FMA>(&xb, p, &mut diff, &mut lp);
        rb.iter_mut().for_each(|v| *v = F::zero());
        for r in 0..rows {
            let w = weights.map_or(F::one(), |w| w[start + r0 + r]);
            let lse = normalise_row(&lp, r, k, &mut row_resp);
            log_likelihood += w * lse;
            let out = &mut resp[(r0 + r) * k..(r0 + r + 1) * k];
            for c in 0..k {
                let v = w * row_resp[c];
                out[c] = v;
                rb[c * BLOCK + r] = v;
            }
        }
        lanes.add_block::<FMA>(&xb, &rb, k, d);
        r0 += rows;
    }
    lanes.finish(k, d, log_likelihood)
}

dispatch_simd!(e_step_chunk<F: Float>(x: &ArrayView2<F>, start: usize, weights: Option<&[F]>, p: &Prepared<F>, resp: &mut [F]) -> FirstMoments<F>, FMA => e_step_chunk_impl::<F, FMA>(x, start, weights, p, resp));

/// E-step under `p`: writes the sample-weighted responsibilities (n x k, row-major) into `resp`
/// and returns their first moments and the weighted log-likelihood sum.
pub(crate) fn e_step<F: Float>(
    x: &ArrayView2<F>,
    weights: Option<&[F]>,
    p: &Prepared<F>,
    resp: &mut [F],
) -> FirstMoments<F> {
    let k = p.k;
    let parts: Vec<FirstMoments<F>> = resp
        .par_chunks_mut(CHUNK_ROWS * k)
        .enumerate()
        .map(|(c, rc)| e_step_chunk(x, c * CHUNK_ROWS, weights, p, rc))
        .collect();
    let mut total = FirstMoments::zeros(k, p.d);
    parts.iter().for_each(|part| total.add(part));
    total
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
    (0..k * m)
        .map(|i| {
            lanes[i * BLOCK..(i + 1) * BLOCK]
                .iter()
                .fold(F::zero(), |a, &v| a + v)
        })
        .collect()
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
    let mut diff = vec![F::zero(); d * BLOCK];
    let mut lp = vec![F::zero(); k * BLOCK];
    let mut r0 = 0;
    while r0 < n {
        let rows = (n - r0).min(BLOCK);
        load_block(x, start + r0, rows, &mut xb);
        log_prob_block::<F, FMA>(&xb, p, &mut diff, &mut lp);
        for r in 0..rows {
            let i = r0 + r;
            log_density[i] = normalise_row(&lp, r, k, &mut resp[i * k..(i + 1) * k]);
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
