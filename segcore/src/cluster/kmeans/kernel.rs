//! The assignment kernel: nearest center for a tile of rows, without an n x k distance matrix.
//!
//! Why a hand-written kernel instead of linfa's: linfa-clustering measured 97.8 ms per Lloyd
//! iteration (1M x 16, k = 8) against scikit-learn's 26.9 ms; scikit-learn wins with a blocked
//! distance computation. We block at register size, the way a GEMM micro-kernel does: a block of
//! centers sits in the vector lanes (feature-major, so one load gives feature `f` of
//! [`PreparedCenters::block`] centers), and each row of a tile broadcasts its feature `f`
//! against it; 8 independent accumulators hide the FMA latency; the argmin over the lanes is
//! branch-free. The fused AVX2 pass ([`lloyd_rows_fused`]) centres a tile once, scores it while
//! the next tile is centred and the previous one (whose labels are known) is added into the
//! sums; per-row labels are u32 ([`Label`]); buffers start on cache lines ([`CacheAligned`]).
//!
//! Invariants: each (row, center) score is `0.5||c||^2` followed by `-x_f c_f` accumulated in
//! feature order on data centred by the column means (scikit-learn's expansion, so near-ties
//! break the same way), whatever the tile or block sizes: the fused and portable passes give the
//! same bits for C, Fortran and strided input. The pass stays exhaustive (no Hamerly/Elkan
//! bounds inside it: at k = 8 their bookkeeping costs what the skipped scoring saves).
//!
//! Current figure (1M x 16, k = 8, 2 threads, one iteration): f32 4.2 ms, 3.8x scikit-learn,
//! 2.0x the memory-bandwidth floor; f64 7.3 ms, 3.3x scikit-learn, 1.7x the floor. The history
//! of variants tried and dropped, with their A/B runs, is in `docs/performance.md`.

use crate::Float;
use ndarray::ArrayView2;

/// A row's cluster in the per-row label arrays of a fit. u32, not usize: the Lloyd pass reads
/// and writes every row's label, and at 1M x 16 f32 rows (64 bytes each) 8-byte labels were
/// a fifth of the memory traffic; 4-byte ones are a tenth. [`super::algorithm`] limits
/// `n_clusters` to fit, with `Label::MAX` kept free as "no label yet".
pub(crate) type Label = u32;

/// Rows per parallel work item. Fixed, never derived from the thread count, so partial sums are
/// always formed over the same rows and reduced in the same order: results are bit-identical on
/// any number of threads.
pub(crate) const CHUNK_ROWS: usize = 4096;

/// Values of `F` in one 256-bit register (4 for f64, 8 for f32).
#[inline(always)]
pub(crate) const fn register_lanes<F>() -> usize {
    32 / std::mem::size_of::<F>()
}

/// A buffer of `F` whose first element sits on a 64-byte (cache line) boundary: the AVX2
/// kernels read and write it in 32-byte registers, and with the allocator's 16-byte alignment
/// half of those accesses crossed a cache line. Aligning the tile buffers and the partial sums
/// cut the time per Lloyd iteration by 5-9% (alternating A/B, 1M x 16, f32 and f64); the
/// prepared centers and the padded mean use it too (no measurable change: read-only, and
/// loaded once per feature per tile).
pub(crate) struct CacheAligned<F> {
    storage: Vec<F>,
    start: usize,
    len: usize,
}

impl<F: Float> CacheAligned<F> {
    /// `len` copies of `value`.
    pub fn filled(len: usize, value: F) -> Self {
        let storage = vec![value; len + 64 / std::mem::size_of::<F>()];
        // `align_offset` may decline (usize::MAX); the buffer then stays merely unaligned.
        let start = storage.as_ptr().align_offset(64).min(storage.len() - len);
        CacheAligned {
            storage,
            start,
            len,
        }
    }
}

impl<F> std::ops::Deref for CacheAligned<F> {
    type Target = [F];
    fn deref(&self) -> &[F] {
        &self.storage[self.start..self.start + self.len]
    }
}

impl<F> std::ops::DerefMut for CacheAligned<F> {
    fn deref_mut(&mut self) -> &mut [F] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

impl<F: std::fmt::Debug> std::fmt::Debug for CacheAligned<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Centers prepared for the kernel: centered, negated, feature-major within blocks of
/// [`PreparedCenters::block`] centers, features padded with zeros to whole registers.
#[derive(Debug)]
pub(crate) struct PreparedCenters<F> {
    pub k: usize,
    pub d: usize,
    /// `d` rounded up to a whole number of registers ([`padded_features`]): the row stride of
    /// tiles and of the partial sums. The padding features are zero in centers and rows, so
    /// each adds exactly 0 to a score.
    pub dp: usize,
    /// Centers per block: one register of lanes when k fits in it, else two.
    pub block: usize,
    /// Number of blocks (k rounded up to a multiple of `block`, divided by `block`).
    pub n_blocks: usize,
    /// `blocked[(b * dp + f) * block + q]` = `-center[b * block + q][f]` (0 for `f >= d`).
    pub blocked: CacheAligned<F>,
    /// 0.5 * ||c_j||^2; padding centers hold +inf so they never win.
    pub half_sq_norms: CacheAligned<F>,
    /// The centers row-major, `k x dp`, padded with zeros: for direct distances to a row's
    /// own center (the final labels + inertia pass).
    pub rows: CacheAligned<F>,
}

/// `d` rounded up to a multiple of the register lanes of `F`.
#[inline(always)]
pub(crate) fn padded_features<F>(d: usize) -> usize {
    d.div_ceil(register_lanes::<F>()).max(1) * register_lanes::<F>()
}

impl<F: Float> PreparedCenters<F> {
    /// `centers` are already centered (k x d).
    pub fn new(centers: ArrayView2<F>) -> Self {
        let (k, d) = centers.dim();
        let dp = padded_features::<F>(d);
        let lanes = register_lanes::<F>();
        let block = if k <= lanes { lanes } else { 2 * lanes };
        let n_blocks = k.div_ceil(block);
        let k_padded = n_blocks * block;
        let mut blocked = CacheAligned::filled(dp * k_padded, F::zero());
        let mut half_sq_norms = CacheAligned::filled(k_padded, F::infinity());
        let mut rows = CacheAligned::filled(k * dp, F::zero());
        let half = F::cast(0.5);
        for (j, center) in centers.outer_iter().enumerate() {
            let (b, q) = (j / block, j % block);
            let mut sq = F::zero();
            for (f, &v) in center.iter().enumerate() {
                blocked[(b * dp + f) * block + q] = -v;
                rows[j * dp + f] = v;
                sq += v * v;
            }
            half_sq_norms[j] = half * sq;
        }
        PreparedCenters {
            k,
            d,
            dp,
            block,
            n_blocks,
            blocked,
            half_sq_norms,
            rows,
        }
    }
}

/// Rows per tile of the assignment kernels for these centers: 8 when a block of centers fits
/// in one register (k <= 4 for f64, k <= 8 for f32), else 4 (see [`assign_rows`]).
#[inline(always)]
pub(crate) fn tile_rows<F>(pc: &PreparedCenters<F>) -> usize {
    if pc.block == register_lanes::<F>() {
        8
    } else {
        4
    }
}

/// Per-cluster sums of one chunk's centered rows, in `copies` interleaved copies: row `r` of the
/// chunk adds into copy `r % copies`, one copy per row of a kernel tile.
///
/// Why copies: with one copy, two nearby rows of the same cluster chain through memory (the
/// second row's load of the sums waits for the first row's store, and its address is only
/// known once the kernel's argmin is done). Measured on 1M x 16, k = 8, f64, one thread, data in
/// L2 (`benches/programs/kmeans_bench.rs`): part of the drop from ~28 to ~20 ns per row of the fused
/// pass. Merged in a fixed order, so results do not depend on the thread count.
pub(crate) struct PartialSums<F> {
    pub k: usize,
    pub d: usize,
    /// Stride of one sum (`PreparedCenters::dp`); values past `d` stay 0.
    pub dp: usize,
    pub copies: usize,
    /// `copies x k x dp`, on a cache line ([`CacheAligned`]).
    pub sums: CacheAligned<F>,
    /// `copies x k`.
    pub weights: Vec<F>,
}

impl<F: Float> PartialSums<F> {
    pub fn new(pc: &PreparedCenters<F>) -> Self {
        let copies = tile_rows(pc);
        PartialSums {
            k: pc.k,
            d: pc.d,
            dp: pc.dp,
            copies,
            sums: CacheAligned::filled(copies * pc.k * pc.dp, F::zero()),
            weights: vec![F::zero(); copies * pc.k],
        }
    }

    /// The sum (`d` values) and weight that row `r` of the chunk (assigned to `label`) adds
    /// into.
    #[inline(always)]
    pub fn slot(&mut self, r: usize, label: usize) -> (&mut [F], &mut F) {
        let at = (r % self.copies) * self.k + label;
        (
            &mut self.sums[at * self.dp..at * self.dp + self.d],
            &mut self.weights[at],
        )
    }
}

/// A tile of `R` centered rows, row-major with stride `dp` (the features past `d` stay 0).
/// Rows past the end of the data are zero and must be ignored.
pub(crate) struct Tile<F, const R: usize> {
    /// R x dp, row-major, centered.
    pub rows: Vec<F>,
    /// Row stride (features padded to whole registers).
    pub dp: usize,
    /// Number of real rows in the tile (<= R).
    pub len: usize,
}

impl<F: Float, const R: usize> Tile<F, R> {
    pub fn new(dp: usize) -> Self {
        Tile {
            rows: vec![F::zero(); R * dp],
            dp,
            len: 0,
        }
    }

    /// Loads rows `first..first + count` (count <= R) of `x`, minus `mean`.
    #[inline(always)]
    pub fn load(&mut self, x: &ArrayView2<F>, first: usize, count: usize, mean: &[F]) {
        let (d, dp) = (mean.len(), self.dp);
        match x.as_slice() {
            // C-contiguous X (the usual case): one slice for the whole tile, and a prefetch of
            // the rows PREFETCH_TILES tiles ahead, so the page-crossing misses of the hardware
            // stream prefetcher are hidden behind the kernel's arithmetic.
            Some(all) => {
                let values = &all[first * d..(first + count) * d];
                prefetch(all, (first + PREFETCH_TILES * R) * d, R * d);
                for (out, row) in self.rows.chunks_exact_mut(dp).zip(values.chunks_exact(d)) {
                    for ((o, &v), &m) in out.iter_mut().zip(row).zip(mean) {
                        *o = v - m;
                    }
                }
            }
            None => {
                for (r, out) in self.rows.chunks_exact_mut(dp).take(count).enumerate() {
                    load_centered_row(x, first + r, mean, &mut out[..d]);
                }
            }
        }
        if count < R {
            self.rows[count * dp..].fill(F::zero());
        }
        self.len = count;
    }
}

/// Tiles ahead that [`Tile::load`] prefetches (R rows each; 8-16 KB ahead for d = 16).
const PREFETCH_TILES: usize = 16;

/// Asks the CPU to start loading `values[start..start + len]` into cache (no-op elsewhere or
/// past the end; a prefetch never faults and changes no result).
#[inline(always)]
fn prefetch<F>(values: &[F], start: usize, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let end = (start + len).min(values.len());
        let line = 64 / std::mem::size_of::<F>().max(1);
        let mut i = start;
        while i < end {
            // SAFETY: `i < values.len()`, so the address is inside the slice; prefetch only
            // hints the cache and reads nothing observable. (SSE is part of x86-64.)
            #[allow(unused_unsafe)]
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch::<_MM_HINT_T0>(values.as_ptr().add(i).cast::<i8>());
            }
            i += line;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (values, start, len);
}

/// `sum += row`, element by element. A separate function so the two slices arrive as
/// non-aliasing parameters: inlined into the row visitors, LLVM otherwise emits a run-time
/// overlap check before the vector loop, once per row.
#[inline(always)]
pub(crate) fn add_row<F: Float>(sum: &mut [F], row: &[F]) {
    for (s, &v) in sum.iter_mut().zip(row) {
        *s += v;
    }
}

/// Adds a row and its weight into a cluster's sum and weight; unweighted rows (`None`) skip
/// the multiply by 1 (same result, fewer operations per row).
#[inline(always)]
pub(crate) fn add_weighted_row<F: Float>(sum: &mut [F], weight: &mut F, w: Option<F>, row: &[F]) {
    match w {
        None => {
            *weight += F::one();
            add_row(sum, row);
        }
        Some(w) => {
            *weight += w;
            add_scaled_row(sum, w, row);
        }
    }
}

/// `sum += w * row`, element by element (see [`add_row`] for why a function).
#[inline(always)]
pub(crate) fn add_scaled_row<F: Float>(sum: &mut [F], w: F, row: &[F]) {
    for (s, &v) in sum.iter_mut().zip(row) {
        *s += w * v;
    }
}

#[inline(always)]
fn fmadd<F: Float, const FMA: bool>(a: F, b: F, c: F) -> F {
    if FMA {
        num_traits::Float::mul_add(a, b, c)
    } else {
        c + a * b
    }
}

/// Index and value of the smallest of `B` lanes (B a power of two); ties to the lower index,
/// like numpy's argmin. Branch-free: vector minimums, an equality mask, its lowest set bit.
// Index loops on purpose: fixed-size array indexing is what LLVM turns into vector code here.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn lane_argmin<F: Float, const B: usize>(v: &[F; B]) -> (usize, F) {
    let mut m = *v;
    let mut width = B;
    while width > 1 {
        width /= 2;
        for q in 0..width {
            m[q] = if m[q + width] < m[q] {
                m[q + width]
            } else {
                m[q]
            };
        }
    }
    let min = m[0];
    let mut mask = 0u32;
    for q in 0..B {
        mask |= u32::from(v[q] == min) << q;
    }
    (mask.trailing_zeros() as usize, min)
}

/// Nearest center of every row of a tile (`rows`: R x dp, row-major, centered), with `B` centers
/// per block (`B == pc.block`). Ties go to the lower center index, like numpy's argmin.
// Index loops on purpose: fixed-size array indexing is what LLVM turns into vector code here.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub(crate) fn nearest<F: Float, const R: usize, const B: usize, const FMA: bool>(
    rows: &[F],
    pc: &PreparedCenters<F>,
    labels: &mut [Label; R],
) {
    let d = pc.dp;
    assert!(
        rows.len() == R * d && pc.block == B && pc.blocked.len() == pc.n_blocks * B * d,
        "tile and center block shapes agree with the kernel's constants"
    );
    let rows: [&[F]; R] = std::array::from_fn(|r| &rows[r * d..(r + 1) * d]);
    let mut best_score = [F::infinity(); R];
    let mut best_label = [0 as Label; R];
    for b in 0..pc.n_blocks {
        let norms: &[F; B] = pc.half_sq_norms[b * B..(b + 1) * B]
            .try_into()
            .expect("half_sq_norms holds n_blocks * B values");
        let mut acc = [*norms; R];
        let block = &pc.blocked[b * d * B..(b + 1) * d * B];
        for f in 0..d {
            let c: &[F; B] = block[f * B..(f + 1) * B]
                .try_into()
                .expect("a block holds d * B values");
            for r in 0..R {
                let xv = rows[r][f];
                for q in 0..B {
                    acc[r][q] = fmadd::<F, FMA>(xv, c[q], acc[r][q]);
                }
            }
        }
        for r in 0..R {
            let (q, score) = lane_argmin(&acc[r]);
            // Strict: on a tie across blocks the earlier (lower-index) block keeps the row.
            if score < best_score[r] {
                best_score[r] = score;
                best_label[r] = (b * B + q) as Label;
            }
        }
    }
    *labels = best_label;
}

/// `s` as a slice of `T` when `F` is `T` (the kernels below are written per float type).
#[inline(always)]
fn same_type<F: 'static, T: 'static>(s: &[F]) -> Option<&[T]> {
    if std::any::TypeId::of::<F>() == std::any::TypeId::of::<T>() {
        // SAFETY: F and T are the same type, so the layout and validity are the same.
        Some(unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<T>(), s.len()) })
    } else {
        None
    }
}

/// Runs the hand-written AVX2+FMA kernel for this tile shape if the CPU has it and `F` is f32
/// or f64; returns false (nothing written) otherwise.
///
/// Why intrinsics: written as portable array loops (rows broadcast against centers in the
/// lanes), LLVM kept 128-bit vectors and scalar FMAs with the accumulators spilled to the stack:
/// 44 ms (f64) / 86 ms (f32) CPU per iteration (1M x 16, k = 8), slower than the transposing
/// kernel it was meant to replace. The intrinsics keep the 8 accumulators in registers.
#[inline(always)]
fn nearest_avx2<F: Float, const R: usize, const B: usize>(
    rows: &[F],
    pc: &PreparedCenters<F>,
    labels: &mut [Label; R],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if !crate::simd::has_avx2_fma() {
            return false;
        }
        let (dv, n) = (pc.dp / register_lanes::<F>(), pc.n_blocks);
        // The kernel of `F` = `$t` for its two tile shapes (one or two registers a block).
        macro_rules! typed {
            ($t:ty, $kernel:ident, $one:literal, $two:literal) => {
                if let (Some(x), Some(c), Some(h)) = (
                    same_type::<F, $t>(rows),
                    same_type::<F, $t>(&pc.blocked),
                    same_type::<F, $t>(&pc.half_sq_norms),
                ) {
                    // SAFETY: the CPU has AVX2 and FMA (checked above); the kernels check the lengths.
                    unsafe {
                        match B {
                            $one => avx2::$kernel::<R, 1, 0>(x, dv, c, h, n, labels),
                            $two => avx2::$kernel::<R, 2, 0>(x, dv, c, h, n, labels),
                            _ => return false,
                        }
                    }
                    return true;
                }
            };
        }
        typed!(f64, nearest_f64, 4, 8);
        typed!(f32, nearest_f32, 8, 16);
    }
    let _ = (rows, pc, labels);
    false
}

/// Calls `$kernel::<.., DV>(args)` (the first argument is `dv`) with `DV` the compile-time constant equal to `dv`
/// when it is one of the listed values (rows up to 32 features), else `DV = 0` (run time).
#[cfg(target_arch = "x86_64")]
macro_rules! by_registers {
    ($kernel:ident::$module:ident::<$r:tt, $nv:tt, $mode:tt>, $dv:expr_2021, [$($v:literal),*], $args:tt) => {
        match $dv {
            $($v => $kernel::$module::<$r, $nv, $mode, $v> $args,)*
            _ => $kernel::$module::<$r, $nv, $mode, 0> $args,
        }
    };
}

/// Rows ahead that [`lloyd_rows_fused`] prefetches (8 KB ahead for d = 16, f64).
const PREFETCH_ROWS: usize = 64;

/// `s` as a mutable slice of `T` when `F` is `T`.
#[inline(always)]
fn same_type_mut<F: 'static, T: 'static>(s: &mut [F]) -> Option<&mut [T]> {
    if std::any::TypeId::of::<F>() == std::any::TypeId::of::<T>() {
        // SAFETY: F and T are the same type, so the layout and validity are the same.
        Some(unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<T>(), s.len()) })
    } else {
        None
    }
}

/// One Lloyd pass over rows `start..start + labels.len()` of a C-contiguous `x` with the AVX2
/// kernels, E and M steps in one loop: each tile of rows is centered into a small buffer, its
/// nearest centers found, and the centered rows added into the cluster sums straight from that
/// buffer. Adds into `partial` (row `r` of a tile into copy `r`, as the portable loop) and
/// returns the number of changed labels; `None` (nothing written) when the CPU lacks AVX2/FMA, `F` is not f32/f64 or `x` is
/// not contiguous (the caller then runs the portable tile loop).
///
/// Why a dedicated loop instead of [`assign_rows`] with an accumulating visitor: measured on
/// 1M x 16, k = 8, f64 (`benches/programs/kmeans_bench.rs`, one thread, data in L2 to see the CPU
/// cost alone): the visitor loop spent ~28 ns per row, this one ~20 ns (see [`PartialSums`]
/// for the other part).
#[inline(always)]
pub(crate) fn lloyd_rows_fused<F: Float>(
    x: &ArrayView2<F>,
    start: usize,
    mean: &[F],
    weights: Option<&[F]>,
    pc: &PreparedCenters<F>,
    labels: &mut [Label],
    partial: &mut PartialSums<F>,
) -> Option<usize> {
    let (sums, cluster_weights) = (&mut partial.sums[..], &mut partial.weights);
    fused_rows::<F, false>(x, start, mean, weights, pc, labels, sums, cluster_weights)
        .map(|(changed, _)| changed)
}

/// The final pass of a fit with the AVX2 kernels: rows `start..start + labels.len()` of a
/// C-contiguous `x` assigned to their nearest centers (written into `labels`) and the weighted
/// inertia `sum w ||x - c||^2` computed directly from the centered tile, with the arithmetic
/// of [`sq_dist_lanes`] (the portable loop), so both give the same bits, against
/// [`PreparedCenters::rows`]. `None` (nothing written) as for [`lloyd_rows_fused`].
///
/// Why: the same pass through [`assign_rows`] with a scalar distance per row cost ~1.5 Lloyd
/// iterations (perf, kmeans_bench 1M x 16, k = 8, one thread), a fixed cost of every fit.
#[inline(always)]
pub(crate) fn labels_inertia_fused<F: Float>(
    x: &ArrayView2<F>,
    start: usize,
    mean: &[F],
    weights: Option<&[F]>,
    pc: &PreparedCenters<F>,
    labels: &mut [Label],
) -> Option<F> {
    fused_rows::<F, true>(x, start, mean, weights, pc, labels, &mut [], &mut [])
        .map(|(_, inertia)| inertia)
}

/// `||a - b||^2` summed the way the AVX2 final pass sums it: squared differences added per
/// register lane (feature `f` into lane `f % lanes`, in feature order), then the lanes halved
/// pairwise (lane `q` plus lane `q + width/2`) down to one. Multiply then add, never fused.
// Index loops on purpose: fixed-size array indexing is what LLVM turns into vector code here.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub(crate) fn sq_dist_lanes<F: Float>(a: &[F], b: &[F]) -> F {
    let mut acc = [F::zero(); 8];
    let lanes = register_lanes::<F>();
    for (f, (&u, &v)) in a.iter().zip(b).enumerate() {
        let diff = u - v;
        acc[f % lanes] += diff * diff;
    }
    let mut width = lanes;
    while width > 1 {
        width /= 2;
        for q in 0..width {
            acc[q] += acc[q + width];
        }
    }
    acc[0]
}

/// [`lloyd_rows_fused`] (`INERTIA` false: `sums`, `cluster_weights` of the [`PartialSums`]) or
/// [`labels_inertia_fused`] (`INERTIA` true: `centers`): returns (changed labels, inertia).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fused_rows<F: Float, const INERTIA: bool>(
    x: &ArrayView2<F>,
    start: usize,
    mean: &[F],
    weights: Option<&[F]>,
    pc: &PreparedCenters<F>,
    labels: &mut [Label],
    sums: &mut [F],
    cluster_weights: &mut [F],
) -> Option<(usize, F)> {
    #[cfg(target_arch = "x86_64")]
    {
        if !crate::simd::has_avx2_fma() {
            return None;
        }
        let (d, dp) = (pc.d, pc.dp);
        let dv = dp / register_lanes::<F>();
        let all = x.as_slice()?;
        let rows = &all[start * d..(start + labels.len()) * d];
        let mut padded_mean = CacheAligned::filled(dp, F::zero());
        padded_mean[..mean.len()].copy_from_slice(mean);
        let n = pc.n_blocks;
        // The kernel of `F` = `$t` for its two tile shapes (`$one`: one register of centers a
        // block, `$two`: two) and the register counts it is compiled for.
        macro_rules! typed {
            ($t:ty, $kernel:ident, $one:literal, $two:literal, $registers:tt) => {
                if let (Some(x), Some(m), Some(c), Some(h), Some(s), Some(p)) = (
                    same_type::<F, $t>(rows),
                    same_type::<F, $t>(&padded_mean),
                    same_type::<F, $t>(&pc.blocked),
                    same_type::<F, $t>(&pc.half_sq_norms),
                    same_type_mut::<F, $t>(sums),
                    same_type::<F, $t>(&pc.rows),
                ) {
                    let w = weights.map(|w| same_type::<F, $t>(w).expect("weights have the type of x"));
                    let cw = same_type_mut::<F, $t>(cluster_weights).expect("same type as sums");
                    // SAFETY: the CPU has AVX2 and FMA (checked above); the kernels check the lengths.
                    let (changed, inertia) = unsafe {
                        match pc.block {
                            $one => by_registers!(
                                avx2::$kernel::<8, 1, INERTIA>,
                                dv,
                                $registers,
                                (dv, d, x, m, w, c, h, n, labels, s, cw, p)
                            ),
                            $two => by_registers!(
                                avx2::$kernel::<4, 2, INERTIA>,
                                dv,
                                $registers,
                                (dv, d, x, m, w, c, h, n, labels, s, cw, p)
                            ),
                            _ => return None,
                        }
                    };
                    return Some((changed, F::cast(inertia)));
                }
            };
        }
        typed!(f64, lloyd_rows_f64, 4, 8, [1, 2, 3, 4, 5, 6, 7, 8]);
        typed!(f32, lloyd_rows_f32, 8, 16, [1, 2, 3, 4]);
    }
    let _ = (x, start, mean, weights, pc, labels, sums, cluster_weights);
    None
}

/// AVX2+FMA micro-kernels: `R` rows x `NV` registers of centers per block, 8 accumulators.
/// Same arithmetic as [`nearest`] with FMA (score starts at 0.5||c||^2, then one FMA per
/// feature in feature order, padding features included), so both give bit-identical labels.
///
/// `DV` is the number of registers per (padded) row when known at compile time, 0 when it is
/// only known at run time (`dv`). Why: with the feature count a constant the feature loops
/// unroll completely and the row loads, centring and accumulation become straight-line vector
/// code. Measured on 1M x 16, k = 8, one thread (`benches/programs/kmeans_bench.rs`): a stand-alone
/// prototype of the fused pass ran 17.2 ns per row with d known at compile time and 20-22 ns
/// with d opaque; in production the f32 pass spent ~2/3 of its time in 128-bit centring and
/// accumulation loops that LLVM emitted for the run-time d.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Registers per padded row: the compile-time `DV`, or `dv` when `DV` is 0.
    #[inline(always)]
    const fn registers<const DV: usize>(dv: usize) -> usize {
        if DV == 0 {
            dv
        } else {
            DV
        }
    }

    /// The scores of `R` rows (at `$xp`, stride `$dp`) against block `$b` of centers (`$width`
    /// lanes in NV registers): 0.5||c||^2, then one FMA per feature in feature order, R x NV
    /// accumulators. One macro for both float types (the intrinsics differ by name only).
    macro_rules! block_scores {
        ($b:expr_2021, $zero:ident, $load:ident, $broadcast:ident, $fmadd:ident, $xp:expr_2021,
         $blocked:expr_2021, $half_sq_norms:expr_2021, $dp:expr_2021, $width:expr_2021) => {{
            let cp = $blocked.as_ptr().add($b * $dp * $width);
            let np = $half_sq_norms.as_ptr().add($b * $width);
            let mut acc = [[$zero(); NV]; R];
            for r in 0..R {
                for v in 0..NV {
                    acc[r][v] = $load(np.add(v * LANES));
                }
            }
            for f in 0..$dp {
                let mut c = [$zero(); NV];
                for v in 0..NV {
                    c[v] = $load(cp.add(f * $width + v * LANES));
                }
                for r in 0..R {
                    let x = $broadcast(&*$xp.add(r * $dp + f));
                    for v in 0..NV {
                        acc[r][v] = $fmadd(x, c[v], acc[r][v]);
                    }
                }
            }
            acc
        }};
    }

    /// Nearest center of each of `R` (4 or 8) centered rows (row-major, stride `4 * dv`), f64.
    /// Instead of a horizontal minimum per row (shuffles and a mask per row), each group of 4
    /// rows' accumulators is transposed (4 x 4, in registers) so that one register holds one
    /// center's scores for 4 rows, and a running minimum with the winning index (compare,
    /// two blends) runs down the centers, in order and strictly, so ties keep the lower index.
    /// Measured in a stand-alone prototype of the fused pass (labels only, 4096 x 16, k = 8,
    /// one thread): 17.6 -> 15.9 ns per row.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    unsafe fn nearest_f64_body<const R: usize, const NV: usize, const DV: usize>(
        rows: &[f64],
        dv: usize,
        blocked: &[f64],
        half_sq_norms: &[f64],
        n_blocks: usize,
        labels: &mut [super::Label; R],
    ) {
        unsafe {
            const LANES: usize = 4;
            let dp = registers::<DV>(dv) * LANES;
            let width = NV * LANES;
            assert!(
                (R == 4 || R == 8)
                    && rows.len() >= R * dp
                    && blocked.len() >= n_blocks * dp * width
                    && half_sq_norms.len() >= n_blocks * width,
                "tile and center block shapes agree with the kernel's constants"
            );
            let groups = R / 4;
            let mut best = [_mm256_set1_pd(f64::INFINITY); 2];
            let mut best_label = [_mm256_setzero_pd(); 2];
            let xp = rows.as_ptr();
            for b in 0..n_blocks {
                let acc = block_scores!(
                    b,
                    _mm256_setzero_pd,
                    _mm256_loadu_pd,
                    _mm256_broadcast_sd,
                    _mm256_fmadd_pd,
                    xp,
                    blocked,
                    half_sq_norms,
                    dp,
                    width
                );
                for g in 0..groups {
                    for v in 0..NV {
                        let [a0, a1, a2, a3] = [
                            acc[4 * g][v],
                            acc[4 * g + 1][v],
                            acc[4 * g + 2][v],
                            acc[4 * g + 3][v],
                        ];
                        let (t0, t1) = (_mm256_unpacklo_pd(a0, a1), _mm256_unpackhi_pd(a0, a1));
                        let (t2, t3) = (_mm256_unpacklo_pd(a2, a3), _mm256_unpackhi_pd(a2, a3));
                        // columns[q]: center b * width + v * 4 + q, rows 4g..4g+4 in the lanes.
                        let columns = [
                            _mm256_permute2f128_pd::<0x20>(t0, t2),
                            _mm256_permute2f128_pd::<0x20>(t1, t3),
                            _mm256_permute2f128_pd::<0x31>(t0, t2),
                            _mm256_permute2f128_pd::<0x31>(t1, t3),
                        ];
                        for (q, column) in columns.into_iter().enumerate() {
                            // The label as an integer bit pattern in the lanes: a blend only
                            // selects bits, and an integer broadcast is cheaper than converting
                            // a usize to a float (perf: ~5% of the f32 pass went to those).
                            let center = _mm256_castsi256_pd(_mm256_set1_epi64x(
                                (b * width + v * LANES + q) as i64,
                            ));
                            let less = _mm256_cmp_pd::<_CMP_LT_OQ>(column, best[g]);
                            best[g] = _mm256_blendv_pd(best[g], column, less);
                            best_label[g] = _mm256_blendv_pd(best_label[g], center, less);
                        }
                    }
                }
            }
            for g in 0..groups {
                let mut four = [0i64; 4];
                _mm256_storeu_si256(
                    four.as_mut_ptr().cast::<__m256i>(),
                    _mm256_castpd_si256(best_label[g]),
                );
                for (q, &label) in four.iter().enumerate() {
                    labels[4 * g + q] = label as super::Label;
                }
            }
        }
    }

    /// Nearest center of each of `R` (4 or 8) centered rows (row-major, stride `8 * dv`), f32.
    /// With 8 rows and one register of centers per block (k <= 8), the 8 x 8 block of scores is
    /// transposed in registers and a running minimum runs down the centers, as in
    /// [`nearest_f64_body`]; with 4 rows x 16 centers, a horizontal minimum per row (a tree of
    /// vector minimums, an equality mask and its lowest set bit). Ties keep the lower index.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    unsafe fn nearest_f32_body<const R: usize, const NV: usize, const DV: usize>(
        rows: &[f32],
        dv: usize,
        blocked: &[f32],
        half_sq_norms: &[f32],
        n_blocks: usize,
        labels: &mut [super::Label; R],
    ) {
        unsafe {
            const LANES: usize = 8;
            let dp = registers::<DV>(dv) * LANES;
            let width = NV * LANES;
            assert!(
                (R == 4 || R == 8)
                    && rows.len() >= R * dp
                    && blocked.len() >= n_blocks * dp * width
                    && half_sq_norms.len() >= n_blocks * width,
                "tile and center block shapes agree with the kernel's constants"
            );
            let transpose = R == 8 && NV == 1;
            let mut best = _mm256_set1_ps(f32::INFINITY);
            let mut best_label = _mm256_setzero_ps();
            let mut best_score = [f32::INFINITY; R];
            let mut best_index = [0 as super::Label; R];
            let xp = rows.as_ptr();
            for b in 0..n_blocks {
                let acc = block_scores!(
                    b,
                    _mm256_setzero_ps,
                    _mm256_loadu_ps,
                    _mm256_broadcast_ss,
                    _mm256_fmadd_ps,
                    xp,
                    blocked,
                    half_sq_norms,
                    dp,
                    width
                );
                if transpose {
                    let a: [__m256; 8] = std::array::from_fn(|r| acc[r.min(R - 1)][0]);
                    let t: [__m256; 8] = std::array::from_fn(|i| {
                        let (p, q) = (a[2 * (i / 2)], a[2 * (i / 2) + 1]);
                        if i % 2 == 0 {
                            _mm256_unpacklo_ps(p, q)
                        } else {
                            _mm256_unpackhi_ps(p, q)
                        }
                    });
                    // u[4h + j]: centers j and j + 4 of rows 4h..4h+4 (low and high 128 bits).
                    let u = [
                        _mm256_shuffle_ps::<0x44>(t[0], t[2]),
                        _mm256_shuffle_ps::<0xEE>(t[0], t[2]),
                        _mm256_shuffle_ps::<0x44>(t[1], t[3]),
                        _mm256_shuffle_ps::<0xEE>(t[1], t[3]),
                        _mm256_shuffle_ps::<0x44>(t[4], t[6]),
                        _mm256_shuffle_ps::<0xEE>(t[4], t[6]),
                        _mm256_shuffle_ps::<0x44>(t[5], t[7]),
                        _mm256_shuffle_ps::<0xEE>(t[5], t[7]),
                    ];
                    // columns[q]: center b * 8 + q, rows 0..8 in the lanes.
                    let columns = [
                        _mm256_permute2f128_ps::<0x20>(u[0], u[4]),
                        _mm256_permute2f128_ps::<0x20>(u[1], u[5]),
                        _mm256_permute2f128_ps::<0x20>(u[2], u[6]),
                        _mm256_permute2f128_ps::<0x20>(u[3], u[7]),
                        _mm256_permute2f128_ps::<0x31>(u[0], u[4]),
                        _mm256_permute2f128_ps::<0x31>(u[1], u[5]),
                        _mm256_permute2f128_ps::<0x31>(u[2], u[6]),
                        _mm256_permute2f128_ps::<0x31>(u[3], u[7]),
                    ];
                    for (q, column) in columns.into_iter().enumerate() {
                        // The label as an integer bit pattern (see nearest_f64_body).
                        let center = _mm256_castsi256_ps(_mm256_set1_epi32((b * width + q) as i32));
                        let less = _mm256_cmp_ps::<_CMP_LT_OQ>(column, best);
                        best = _mm256_blendv_ps(best, column, less);
                        best_label = _mm256_blendv_ps(best_label, center, less);
                    }
                } else {
                    for r in 0..R {
                        let mut m = acc[r][0];
                        for v in 1..NV {
                            m = _mm256_min_ps(m, acc[r][v]);
                        }
                        // Minimum broadcast to every lane.
                        let m = _mm256_min_ps(m, _mm256_permute2f128_ps::<1>(m, m));
                        let m = _mm256_min_ps(m, _mm256_permute_ps::<0b0100_1110>(m));
                        let m = _mm256_min_ps(m, _mm256_permute_ps::<0b1011_0001>(m));
                        let mut mask = 0u32;
                        for v in 0..NV {
                            let equal = _mm256_cmp_ps::<_CMP_EQ_OQ>(acc[r][v], m);
                            mask |= (_mm256_movemask_ps(equal) as u32) << (v * LANES);
                        }
                        let score = _mm256_cvtss_f32(m);
                        // Strict: on a tie across blocks the earlier block keeps the row.
                        if score < best_score[r] && mask != 0 {
                            best_score[r] = score;
                            best_index[r] =
                                (b * width + mask.trailing_zeros() as usize) as super::Label;
                        }
                    }
                }
            }
            if transpose {
                // R == 8 (`transpose`): the 8 labels (u32 bit patterns, see above) are stored as
                // one vector; `labels` is `[Label; 8]`, exactly the 32 bytes written.
                assert!(R == 8 && std::mem::size_of::<super::Label>() == 4);
                _mm256_storeu_si256(
                    labels.as_mut_ptr().cast::<__m256i>(),
                    _mm256_castps_si256(best_label),
                );
            } else {
                *labels = best_index;
            }
        }
    }

    /// `target_feature` entry points to the nearest-center bodies for the visitor loops
    /// ([`super::nearest_avx2`]); the fused pass inlines the bodies itself. Why the split: the
    /// bodies are `#[inline(always)]` without `target_feature` (always inlined into AVX2
    /// functions, where their intrinsics inline too), because LLVM declined to inline the f32
    /// `#[target_feature]` function into the fused pass (perf: 26% of the pass in a separate
    /// `nearest_f32`, the tile labels going through memory).
    macro_rules! nearest_entry {
        ($name:ident, $body:ident, $t:ty) => {
            #[target_feature(enable = "avx2,fma")]
            #[inline]
            pub(super) unsafe fn $name<const R: usize, const NV: usize, const DV: usize>(
                rows: &[$t],
                dv: usize,
                blocked: &[$t],
                half_sq_norms: &[$t],
                n_blocks: usize,
                labels: &mut [super::Label; R],
            ) {
                unsafe { $body::<R, NV, DV>(rows, dv, blocked, half_sq_norms, n_blocks, labels) }
            }
        };
    }
    nearest_entry!(nearest_f64, nearest_f64_body, f64);
    nearest_entry!(nearest_f32, nearest_f32_body, f32);

    /// Sum of the 4 lanes as ((l0 + l2) + (l1 + l3)), the order of [`super::sq_dist_lanes`].
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn hsum_f64(v: __m256d) -> f64 {
        let half = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
        _mm_cvtsd_f64(_mm_add_sd(half, _mm_unpackhi_pd(half, half)))
    }

    /// Sum of the 8 lanes, halved pairwise as in [`super::sq_dist_lanes`]: lanes q and q + 4,
    /// then q and q + 2, then 0 and 1.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn hsum_f32(v: __m256) -> f32 {
        let four = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let two = _mm_add_ps(four, _mm_movehl_ps(four, four));
        _mm_cvtss_f32(_mm_add_ss(two, _mm_shuffle_ps::<1>(two, two)))
    }

    macro_rules! lloyd_rows {
        ($name:ident, $t:ty, $lanes:expr_2021, $nearest:ident, $vec:ty, $loadu:ident, $storeu:ident,
         $sub:ident, $add:ident, $mul:ident, $splat:ident, $maskload:ident, $hsum:ident,
         $tail:ident => $tail_mask:expr_2021) => {
            /// One fused Lloyd pass over `labels.len()` contiguous rows (`x`, row-major, `d`
            /// features): each tile of `R` rows is centered into a buffer padded to `dv`
            /// registers per row, its nearest centers found (written into `labels`, counting
            /// the changes), and the centered rows added into the per-cluster sums and weights,
            /// row `r` of each tile into copy `r` of `sums` (R x k x dp) and `cluster_weights`
            /// (R x k). `mean` is padded with zeros to dp. See [`super::lloyd_rows_fused`].
            /// With `INERTIA`, instead of the sums: adds `w ||row - c||^2` (`centers`: k x dp,
            /// see [`super::labels_inertia_fused`]) into the returned inertia, row by row.
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
            pub(super) unsafe fn $name<
                const R: usize,
                const NV: usize,
                const INERTIA: bool,
                const DV: usize,
            >(
                dv: usize,
                d: usize,
                x: &[$t],
                mean: &[$t],
                weights: Option<&[$t]>,
                blocked: &[$t],
                half_sq_norms: &[$t],
                n_blocks: usize,
                labels: &mut [super::Label],
                sums: &mut [$t],
                cluster_weights: &mut [$t],
                centers: &[$t],
            ) -> (usize, $t) {
                unsafe {
                    const LANES: usize = $lanes;
                    let dv = registers::<DV>(dv);
                    let dp = dv * LANES;
                    let n = labels.len();
                    let k = if INERTIA {
                        centers.len() / dp
                    } else {
                        cluster_weights.len() / R
                    };
                    assert!(
                        dv >= 1
                            && d > (dv - 1) * LANES
                            && d <= dp
                            && x.len() == n * d
                            && mean.len() == dp
                            && (INERTIA || sums.len() == R * k * dp)
                            && (INERTIA || cluster_weights.len() == R * k)
                            && (!INERTIA || centers.len() == k * dp)
                            && weights.is_none_or(|w| w.len() == n),
                        "fused pass: slice lengths agree"
                    );
                    // The last register of a row holds `tail` real features; the masked load reads
                    // only those (never past the end of `x`) and zeroes the padding lanes.
                    let $tail = d - (dv - 1) * LANES;
                    let mask: __m256i = $tail_mask;
                    let last = (dv - 1) * LANES;
                    // Three tile buffers, used in turn: while tile t is scored, tile t + 1 is
                    // centered into the next buffer and tile t - 1 (whose labels are known by then)
                    // is added into the sums from the previous one. See the module docs for why.
                    // On a cache line, so each row's 32-byte loads and stores stay within one line
                    // (a row of d = 16 f32 is exactly one line).
                    let mut tiles = super::CacheAligned::filled(3 * R * dp, 0.0 as $t);
                    let tp = tiles.as_mut_ptr();
                    let (xp, mp, sp) = (x.as_ptr(), mean.as_ptr(), sums.as_mut_ptr());
                    // Centers rows `first..first + count` of `x` into buffer `buffer`, zero rows
                    // after them.
                    let center_tile = |buffer: usize, first: usize, count: usize| {
                        let dst = tp.add(buffer * R * dp);
                        for r in 0..count {
                            let src = xp.add((first + r) * d);
                            let dst = dst.add(r * dp);
                            for v in 0..dv - 1 {
                                let value = $loadu(src.add(v * LANES));
                                $storeu(dst.add(v * LANES), $sub(value, $loadu(mp.add(v * LANES))));
                            }
                            // A plain load when the last register is full (d a multiple of the
                            // lanes, as in the benchmark's d = 16), the masked one otherwise.
                            let value = if d == dp {
                                $loadu(src.add(last))
                            } else {
                                $maskload(src.add(last), mask)
                            };
                            $storeu(dst.add(last), $sub(value, $loadu(mp.add(last))));
                        }
                        for r in count..R {
                            for v in 0..dv {
                                $storeu(dst.add(r * dp + v * LANES), $splat(0.0));
                            }
                        }
                    };
                    let mut tile_labels = [0 as super::Label; R];
                    // The previous tile: its labels, first row and number of rows (0: none yet).
                    let mut prev_labels = [0 as super::Label; R];
                    let (mut prev_first, mut prev_count) = (0, 0);
                    let mut changed = 0;
                    let mut inertia: $t = 0.0;
                    let mut first = 0;
                    let mut buffer = 0;
                    if n > 0 {
                        center_tile(0, 0, n.min(R));
                    }
                    loop {
                        // 0 once every tile is scored: then only the last one is left to add.
                        let count = (n - first).min(R);
                        if count > 0 {
                            let ahead = (first + super::PREFETCH_ROWS) * d;
                            if ahead + R * dp <= x.len() && d == dp {
                                // The usual case, a whole tile ahead inside `x` and no padding:
                                // one prefetch per cache line, a count known at compile time
                                // (when DV is), no bounds check per line. Kept beside
                                // `super::prefetch` on purpose: folding this fast path into it
                                // (same condition, constant length) measured 1.02-1.06x slower.
                                let line = 64 / std::mem::size_of::<$t>();
                                for i in 0..R * dp / line {
                                    // SAFETY: ahead + i * line < ahead + R * dp <= x.len(), so the
                                    // address is inside `x`; a prefetch reads nothing observable.
                                    _mm_prefetch::<_MM_HINT_T0>(
                                        xp.add(ahead + i * line).cast::<i8>(),
                                    );
                                }
                            } else {
                                super::prefetch(x, ahead, R * d);
                            }
                            // SAFETY: buffer < 3, so the R x dp values are inside `tiles`; nothing
                            // writes this buffer while the slice lives.
                            let tile = std::slice::from_raw_parts(tp.add(buffer * R * dp), R * dp);
                            super::avx2::$nearest::<R, NV, DV>(
                                tile,
                                dv,
                                blocked,
                                half_sq_norms,
                                n_blocks,
                                &mut tile_labels,
                            );
                            let next = first + count;
                            if next < n {
                                center_tile((buffer + 1) % 3, next, (n - next).min(R));
                            }
                        }
                        // Adds row r of the previous tile (buffer `(buffer + 2) % 3`) into the sums
                        // of its cluster, or its distance into the inertia.
                        let prev_rows = tp.add((buffer + 2) % 3 * R * dp);
                        let mut add_prev_row = |r: usize, inertia: &mut $t| {
                            let label = prev_labels[r] as usize;
                            let row = prev_rows.add(r * dp);
                            let w = weights.map(|w| w[prev_first + r]);
                            if INERTIA {
                                // SAFETY: label < k (checked when it was written), so the center's
                                // dp values are inside `centers` (k x dp); row r is inside `tiles`.
                                let center = centers.as_ptr().add(label * dp);
                                let mut acc: $vec = $splat(0.0);
                                for v in 0..dv {
                                    let diff = $sub(
                                        $loadu(row.add(v * LANES)),
                                        $loadu(center.add(v * LANES)),
                                    );
                                    acc = $add(acc, $mul(diff, diff));
                                }
                                let sq = $hsum(acc);
                                *inertia += match w {
                                    None => sq,
                                    Some(w) => w * sq,
                                };
                                return;
                            }
                            // SAFETY: r < R and label < k, so the sum's dp values at (r * k + label)
                            // * dp are inside `sums` (R x k x dp), and its weight is inside
                            // `cluster_weights` (R x k).
                            let sum = sp.add((r * k + label) * dp);
                            *cluster_weights.get_unchecked_mut(r * k + label) += w.unwrap_or(1.0);
                            match w {
                                None => {
                                    for v in 0..dv {
                                        let s: $vec = $loadu(sum.add(v * LANES));
                                        let add = $add(s, $loadu(row.add(v * LANES)));
                                        $storeu(sum.add(v * LANES), add);
                                    }
                                }
                                Some(w) => {
                                    // `sum += w * row`, multiply then add, as the portable loop.
                                    let wv = $splat(w);
                                    for v in 0..dv {
                                        let s: $vec = $loadu(sum.add(v * LANES));
                                        let add = $add(s, $mul(wv, $loadu(row.add(v * LANES))));
                                        $storeu(sum.add(v * LANES), add);
                                    }
                                }
                            }
                        };
                        // A full previous tile (the usual case) runs as R straight-line copies of
                        // the row body, without a check of the row count between them.
                        if prev_count == R {
                            for r in 0..R {
                                add_prev_row(r, &mut inertia);
                            }
                        } else {
                            for r in 0..prev_count {
                                add_prev_row(r, &mut inertia);
                            }
                        }
                        if count == 0 {
                            break;
                        }
                        // Padding centers score +inf and never win; checked once per tile because
                        // the accesses above are unchecked. Then the tile's labels are compared
                        // with the old ones and stored as one block of R u32 (branch-free, in
                        // vector registers): per row, this bookkeeping was ~12% of the pass (perf,
                        // f32, 1 thread, data in L3), most of it spilled scalar code.
                        let top = tile_labels.iter().fold(0, |m, &l| m.max(l));
                        assert!((top as usize) < k, "the kernel returns a real center");
                        if count == R {
                            // A fixed-size array, so the copy is one vector store, not a memcpy call.
                            let slots: &mut [super::Label; R] = (&mut labels[first..first + R])
                                .try_into()
                                .expect("a full tile has R rows");
                            let mut same = 0;
                            for r in 0..R {
                                same += usize::from(slots[r] == tile_labels[r]);
                            }
                            changed += R - same;
                            *slots = tile_labels;
                        } else {
                            let slots = &mut labels[first..first + count];
                            for (slot, &label) in slots.iter_mut().zip(&tile_labels) {
                                changed += usize::from(*slot != label);
                                *slot = label;
                            }
                        }
                        prev_labels = tile_labels;
                        (prev_first, prev_count) = (first, count);
                        first += count;
                        buffer = (buffer + 1) % 3;
                    }
                    (changed, inertia)
                }
            }
        };
    }

    lloyd_rows!(
        lloyd_rows_f64, f64, 4, nearest_f64_body, __m256d, _mm256_loadu_pd, _mm256_storeu_pd,
        _mm256_sub_pd, _mm256_add_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_maskload_pd, hsum_f64,
        tail => _mm256_cmpgt_epi64(
            _mm256_set1_epi64x(tail as i64),
            _mm256_setr_epi64x(0, 1, 2, 3)
        )
    );
    lloyd_rows!(
        lloyd_rows_f32, f32, 8, nearest_f32_body, __m256, _mm256_loadu_ps, _mm256_storeu_ps,
        _mm256_sub_ps, _mm256_add_ps, _mm256_mul_ps, _mm256_set1_ps, _mm256_maskload_ps, hsum_f32,
        tail => _mm256_cmpgt_epi32(
            _mm256_set1_epi32(tail as i32),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
        )
    );
}

/// Assigns rows `start..start + labels.len()` of `x` to their nearest centers, tile by tile,
/// with the tile shape fixed at compile time (`R` rows, `B` centers per block), and calls
/// `visit(row offset in the chunk, label slot, new label, centered row)` for each row in order.
#[inline(always)]
fn assign_rows_shaped<F: Float, const R: usize, const B: usize, const FMA: bool>(
    x: &ArrayView2<F>,
    start: usize,
    mean: &[F],
    pc: &PreparedCenters<F>,
    labels: &mut [Label],
    mut visit: impl FnMut(usize, &mut Label, usize, &[F]),
) {
    let (d, dp) = (pc.d, pc.dp);
    let mut tile = Tile::<F, R>::new(dp);
    let mut tile_labels = [0 as Label; R];
    for (t, chunk_labels) in labels.chunks_mut(R).enumerate() {
        let first = t * R;
        tile.load(x, start + first, chunk_labels.len(), mean);
        if !(FMA && nearest_avx2::<F, R, B>(&tile.rows, pc, &mut tile_labels)) {
            nearest::<F, R, B, FMA>(&tile.rows, pc, &mut tile_labels);
        }
        for (r, ((slot, &label), row)) in chunk_labels
            .iter_mut()
            .zip(&tile_labels)
            .zip(tile.rows.chunks_exact(dp))
            .enumerate()
        {
            visit(first + r, slot, label as usize, &row[..d]);
        }
    }
}

/// Assigns rows `start..start + labels.len()` of `x` (centered by `mean`) to their nearest
/// center and calls `visit(row offset in the chunk, label slot, new label, centered row)` for
/// each row in order; the visitor decides what to do with the old label in the slot. Inlined
/// into the caller so it runs under the caller's SIMD dispatch.
#[inline(always)]
pub(crate) fn assign_rows<F: Float, const FMA: bool>(
    x: &ArrayView2<F>,
    start: usize,
    mean: &[F],
    pc: &PreparedCenters<F>,
    labels: &mut [Label],
    visit: impl FnMut(usize, &mut Label, usize, &[F]),
) {
    let lanes = register_lanes::<F>();
    // Four shapes, each with 8 accumulator registers: (f64) 8 rows x 4 centers or 4 rows x 8
    // centers; (f32) 8 rows x 8 centers or 4 rows x 16 centers.
    match (lanes, pc.block == lanes) {
        (8, true) => assign_rows_shaped::<F, 8, 8, FMA>(x, start, mean, pc, labels, visit),
        (8, false) => assign_rows_shaped::<F, 4, 16, FMA>(x, start, mean, pc, labels, visit),
        (_, true) => assign_rows_shaped::<F, 8, 4, FMA>(x, start, mean, pc, labels, visit),
        (_, false) => assign_rows_shaped::<F, 4, 8, FMA>(x, start, mean, pc, labels, visit),
    }
}

/// Calls `visit(row offset in the chunk, label slot, centered row)` for rows
/// `start..start + labels.len()` of `x`, without assigning them.
#[inline(always)]
pub(crate) fn visit_rows<F: Float>(
    x: &ArrayView2<F>,
    start: usize,
    mean: &[F],
    labels: &mut [Label],
    mut visit: impl FnMut(usize, &mut Label, &[F]),
) {
    let mut row = vec![F::zero(); mean.len()];
    for (r, slot) in labels.iter_mut().enumerate() {
        load_centered_row(x, start + r, mean, &mut row);
        visit(r, slot, &row);
    }
}

/// Copies row `i` of `x` minus `mean` into `out` (length d). Works for any strides.
#[inline(always)]
pub(crate) fn load_centered_row<F: Float>(x: &ArrayView2<F>, i: usize, mean: &[F], out: &mut [F]) {
    let row = x.row(i);
    match row.as_slice() {
        Some(values) => {
            for ((o, &v), &m) in out.iter_mut().zip(values).zip(mean) {
                *o = v - m;
            }
        }
        None => {
            for ((o, &v), &m) in out.iter_mut().zip(row.iter()).zip(mean) {
                *o = v - m;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    fn brute(rows: &Array2<f64>, centers: &Array2<f64>) -> Vec<usize> {
        rows.outer_iter()
            .map(|x| {
                let mut best = (f64::INFINITY, 0);
                for (j, c) in centers.outer_iter().enumerate() {
                    let d: f64 = x.iter().zip(c.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
                    if d < best.0 {
                        best = (d, j);
                    }
                }
                best.1
            })
            .collect()
    }

    fn assign(rows: &Array2<f64>, centers: &Array2<f64>) -> Vec<usize> {
        let pc = PreparedCenters::new(centers.view());
        let mut labels = vec![Label::MAX; rows.nrows()];
        let mut seen = Vec::new();
        let mean = vec![0.0; rows.ncols()];
        assign_rows::<f64, true>(
            &rows.view(),
            0,
            &mean,
            &pc,
            &mut labels,
            |r, slot, label, _| {
                seen.push(r);
                *slot = label as Label;
            },
        );
        assert_eq!(seen, (0..rows.nrows()).collect::<Vec<_>>());
        let mut plain = vec![Label::MAX; rows.nrows()];
        assign_rows::<f64, false>(
            &rows.view(),
            0,
            &mean,
            &pc,
            &mut plain,
            |_, slot, label, _| {
                *slot = label as Label;
            },
        );
        assert_eq!(labels, plain);
        labels.into_iter().map(|l| l as usize).collect()
    }

    #[test]
    fn nearest_matches_brute_force_for_every_block_shape() {
        // k = 3 (one narrow block), 7 (one wide block), 11 and 21 (several padded wide blocks);
        // 13 rows: full tiles and a partial one padded with zeros.
        for k in [3, 7, 11, 21] {
            let centers = Array2::from_shape_fn((k, 3), |(j, f)| {
                ((j * 7 + f * 3) % 11) as f64 - 5.0 + 0.01 * j as f64
            });
            let rows = Array2::from_shape_fn((13, 3), |(i, f)| ((i * 5 + f * 2) % 9) as f64 - 4.0);
            assert_eq!(assign(&rows, &centers), brute(&rows, &centers), "k = {k}");
            let rows32 = rows.mapv(|v| v as f32);
            let pc32 = PreparedCenters::new(centers.mapv(|v| v as f32).view());
            let mut labels = vec![0; 13];
            assign_rows::<f32, true>(
                &rows32.view(),
                0,
                &[0.0; 3],
                &pc32,
                &mut labels,
                |_, s, l, _| *s = l as Label,
            );
            let labels: Vec<usize> = labels.into_iter().map(|l| l as usize).collect();
            assert_eq!(labels, brute(&rows, &centers), "f32, k = {k}");
        }
    }

    #[test]
    fn ties_go_to_the_lower_center_index() {
        let centers = array![[1.0, 0.0], [-1.0, 0.0], [0.0, 5.0], [1.0, 0.0], [9.0, 9.0]];
        let rows = array![[0.0, 0.0], [1.0, 0.0]];
        // Row 0 is equidistant from centers 0 and 1; row 1 coincides with centers 0 and 3.
        assert_eq!(assign(&rows, &centers), vec![0, 0]);
        // Across blocks: 12 centers (f64: blocks of 8), center 9 repeats center 1.
        let mut many = Array2::from_shape_fn((12, 2), |(j, f)| 100.0 + (j * 2 + f) as f64);
        many.row_mut(1).assign(&array![0.5, 0.5]);
        many.row_mut(9).assign(&array![0.5, 0.5]);
        assert_eq!(assign(&array![[0.5, 0.4]], &many), vec![1]);
        assert_eq!(PreparedCenters::new(many.view()).n_blocks, 2);
    }

    #[test]
    fn lane_argmin_takes_the_first_minimum() {
        assert_eq!(lane_argmin(&[3.0, 1.0, 2.0, 1.0]), (1, 1.0));
        let mut v = [5.0f32; 16];
        v[13] = -1.0;
        v[9] = -1.0;
        assert_eq!(lane_argmin(&v), (9, -1.0));
        assert_eq!(lane_argmin(&[f64::INFINITY; 8]).0, 0);
    }

    #[test]
    fn strided_rows_load_like_contiguous_ones() {
        let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let fortran = x.t().as_standard_layout().into_owned().reversed_axes();
        let mut a = [0.0; 3];
        let mut b = [0.0; 3];
        load_centered_row(&x.view(), 1, &[1.0, 1.0, 1.0], &mut a);
        load_centered_row(&fortran.view(), 1, &[1.0, 1.0, 1.0], &mut b);
        assert_eq!(a, [3.0, 4.0, 5.0]);
        assert_eq!(a, b);
    }
}
