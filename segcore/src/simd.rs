//! Runtime SIMD dispatch shared by the hot kernels (k-means assignment, mixture E-step).
//!
//! Rust builds for the x86-64 baseline (SSE2) by default. The kernels are written so LLVM
//! vectorises them; compiling the hot function a second time with AVX2+FMA enabled and choosing
//! at run time doubles the vector width where the CPU has it, without `target-cpu=native`.

/// Whether the CPU has the AVX-512 subsets our 512-bit kernels are compiled for (F, DQ, VL) and
/// AVX2 + FMA (checked once per call site; the check itself is cached by std).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_avx512() -> bool {
    std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512dq")
        && std::is_x86_feature_detected!("avx512vl")
        && has_avx2_fma()
}

/// Whether the CPU has AVX2 and FMA (checked once per call site; the check itself is cached by std).
#[inline]
pub(crate) fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Runs `$body` (an expression generic in a `const FMA: bool` named by `$fma`) compiled either
/// with AVX2+FMA enabled (when the CPU has them) or for the baseline target. Rust compiles for
/// x86-64 baseline (SSE2) by default; the kernels are written so that LLVM vectorises them, and
/// enabling AVX2 in the hot function doubles the vector width. The first measurements (docs/performance.md) found `target-cpu=native`
/// gave nothing for a naive loop; for this register-blocked kernel it is what makes it fast.
macro_rules! dispatch_simd {
    ($name:ident < $($g:ident : $b:path),* > ($($arg:ident : $ty:ty),*) -> $ret:ty, $fma:ident => $body:expr_2021) => {
        #[allow(clippy::too_many_arguments)]
        fn $name<$($g: $b),*>($($arg: $ty),*) -> $ret {
            #[inline(always)]
            fn generic<$($g: $b,)* const $fma: bool>($($arg: $ty),*) -> $ret {
                $body
            }
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn with_avx2<$($g: $b),*>($($arg: $ty),*) -> $ret {
                    generic::<$($g,)* true>($($arg),*)
                }
                if $crate::simd::has_avx2_fma() {
                    // SAFETY: the CPU supports avx2 and fma, checked just above.
                    return unsafe { with_avx2($($arg),*) };
                }
            }
            generic::<$($g,)* false>($($arg),*)
        }
    };
}
pub(crate) use dispatch_simd;

// ---------------------------------------------------------------------------------------------
// Branch-free exp and ln for f64, written so that a loop over lanes vectorises.
//
// Why: `perf` on `benches/programs/gmm_bench` (100k x 8, k = 6, 1 thread) put glibc's scalar `exp`,
// `expf` and `log` at 16% of the Gaussian-mixture EM time, and a scalar libm call in the middle
// of a row loop also stops LLVM from vectorising the log-sum-exp around it. These are fdlibm's
// algorithms (the ones behind most libms, error < 1 ulp; constants given by their fdlibm bit
// patterns) with the branches turned into selects
// and the float <-> integer conversions done with the 1.5 * 2^52 trick (AVX2 has no f64 <-> i64
// conversion), so `for i in 0..N { out[i] = exp_f64(x[i]) }` compiles to 256-bit code inside a
// `dispatch_simd!` kernel. Accuracy is checked against std over the whole range in the tests.
// ---------------------------------------------------------------------------------------------

/// 1.5 * 2^52: adding it rounds an f64 of magnitude < 2^51 to an integer held in the low mantissa bits.
const ROUNDING_MAGIC: f64 = 6_755_399_441_055_744.0;
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `2^n` for an integer-valued `n` in [-1022, 1023], built from the exponent bits.
#[inline(always)]
fn pow2_f64(n: f64) -> f64 {
    // (n + 1023 + magic) holds n + 1023 (0..2047) in its low bits; shifting by 52 moves it into
    // the exponent field and drops the magic's own bits.
    f64::from_bits((n + (1023.0 + ROUNDING_MAGIC)).to_bits() << 52)
}

/// e^x, error < 1 ulp over the whole f64 range (subnormal results included); exp(-inf) = 0,
/// exp(inf) = inf, NaN stays NaN. Branch-free (see the section comment).
#[inline(always)]
pub(crate) fn exp_f64(x: f64) -> f64 {
    const P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e);
    const P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93);
    const P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c);
    const P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1);
    const P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0);
    // Beyond +-1000 the result is 0 or inf anyway; clamping keeps the exponent arithmetic in range
    // (and maps -inf to 0, inf to inf).
    let xc = x.clamp(-1000.0, 1000.0);
    // k = round(x / ln 2), r = x - k ln 2 in [-ln2/2, ln2/2] (hi/lo split keeps r exact).
    let k = (xc * std::f64::consts::LOG2_E + ROUNDING_MAGIC) - ROUNDING_MAGIC;
    let hi = xc - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo;
    let t = r * r;
    let c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    // 2^k as two factors, so results in the subnormal range (k down to -1075) and up to the
    // overflow threshold (k = 1024) are formed with a single rounding.
    let k1 = (k * 0.5).floor();
    let k2 = k - k1;
    let result = y * pow2_f64(k1) * pow2_f64(k2);
    if x.is_nan() {
        x
    } else {
        result
    }
}

/// Natural logarithm, error < 1 ulp for every positive f64 (subnormals included); ln(0) = -inf,
/// ln(inf) = inf, negative or NaN input gives NaN. Branch-free (see the section comment).
#[inline(always)]
pub(crate) fn ln_f64(x: f64) -> f64 {
    const TWO54: f64 = 18_014_398_509_481_984.0;
    const TWO52: f64 = 4_503_599_627_370_496.0;
    const LG1: f64 = f64::from_bits(0x3fe5_5555_5555_5593);
    const LG2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04);
    const LG3: f64 = f64::from_bits(0x3fd2_4924_9422_9359);
    const LG4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af);
    const LG5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de);
    const LG6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f);
    const LG7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244);
    // Subnormals: scale into the normal range first.
    let subnormal = x < f64::MIN_POSITIVE;
    let scaled = if subnormal { x * TWO54 } else { x };
    let bits = scaled.to_bits();
    // Biased exponent as f64 without an int -> float conversion (AVX2 has none for 64-bit ints).
    let biased = f64::from_bits(((bits >> 52) & 0x7ff) | TWO52.to_bits()) - TWO52;
    // Mantissa in [1, 2), then folded into [sqrt(2)/2, sqrt(2)) so |f| <= 0.4142.
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let high = m > std::f64::consts::SQRT_2;
    let m = if high { m * 0.5 } else { m };
    let dk = biased - if subnormal { 1023.0 + 54.0 } else { 1023.0 } + if high { 1.0 } else { 0.0 };
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let result = dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f);
    if x > 0.0 && x < f64::INFINITY {
        result
    } else if x == 0.0 {
        f64::NEG_INFINITY
    } else if x == f64::INFINITY {
        x
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::{exp_f64, ln_f64};
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Distance in units in the last place between two non-negative finite f64 (or equal specials).
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b || (a.is_nan() && b.is_nan()) {
            return 0;
        }
        assert!(a >= 0.0 && b >= 0.0, "ulp distance of {a} and {b}");
        a.to_bits().abs_diff(b.to_bits())
    }

    fn signed_ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0;
        }
        assert_eq!(a.is_sign_negative(), b.is_sign_negative(), "{a} vs {b}");
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn exp_is_within_one_ulp_of_std_over_the_whole_range() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut worst = (0u64, 0.0f64);
        let mut check = |x: f64| {
            let e = ulps(exp_f64(x), x.exp());
            if e > worst.0 {
                worst = (e, x);
            }
        };
        // Uniform over [-745.2, 709.8] (subnormal results below -708.4), plus small |x| where
        // log-sum-exp spends most of its time, plus both ends exactly.
        for _ in 0..400_000 {
            check(rng.gen_range(-745.2..709.8));
            check(rng.gen_range(-40.0..0.0));
            check(rng.gen_range(-1e-6..1e-6));
        }
        for x in [
            -745.2, -745.13, -745.0, -744.5, -708.4, -708.3, 709.78, 709.7, 0.0, -0.0,
        ] {
            check(x);
        }
        assert!(
            worst.0 <= 1,
            "exp is {} ulp off at x = {:e}",
            worst.0,
            worst.1
        );
        assert_eq!(exp_f64(0.0), 1.0);
        assert_eq!(exp_f64(-746.0), 0.0);
        assert_eq!(exp_f64(-1e300), 0.0);
        assert_eq!(exp_f64(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_f64(709.79), f64::INFINITY);
        assert_eq!(exp_f64(f64::INFINITY), f64::INFINITY);
        assert!(exp_f64(f64::NAN).is_nan());
        // Subnormal results really are subnormal and not flushed to zero.
        let tiny = exp_f64(-740.0);
        assert!(tiny > 0.0 && tiny < f64::MIN_POSITIVE);
    }

    #[test]
    fn ln_is_within_one_ulp_of_std_for_every_positive_magnitude() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let mut worst = (0u64, 0.0f64);
        let mut check = |x: f64| {
            let e = signed_ulps(ln_f64(x), x.ln());
            if e > worst.0 {
                worst = (e, x);
            }
        };
        for _ in 0..400_000 {
            // Random bit patterns: every exponent equally likely, subnormals included.
            check(f64::from_bits(rng.gen_range(1..f64::INFINITY.to_bits())));
            // Near 1 (ln close to 0) and over [1, 6] (the log-sum-exp's sums of k <= 6 terms).
            check(rng.gen_range(0.9..1.1));
            check(rng.gen_range(1.0..6.0));
        }
        for x in [
            f64::MIN_POSITIVE,
            5e-324,
            1e-310,
            f64::MAX,
            2.0,
            0.5,
            std::f64::consts::SQRT_2,
        ] {
            check(x);
        }
        assert!(
            worst.0 <= 1,
            "ln is {} ulp off at x = {:e}",
            worst.0,
            worst.1
        );
        assert_eq!(ln_f64(1.0), 0.0);
        assert_eq!(ln_f64(0.0), f64::NEG_INFINITY);
        assert_eq!(ln_f64(-0.0), f64::NEG_INFINITY);
        assert_eq!(ln_f64(f64::INFINITY), f64::INFINITY);
        assert!(ln_f64(-1.0).is_nan());
        assert!(ln_f64(f64::NAN).is_nan());
    }
}
