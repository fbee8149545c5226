//! Runtime SIMD dispatch shared by the hot kernels (k-means assignment, mixture E-step).
//!
//! Rust builds for the x86-64 baseline (SSE2) by default. The kernels are written so LLVM
//! vectorises them; compiling the hot function a second time with AVX2+FMA enabled and choosing
//! at run time doubles the vector width where the CPU has it, without `target-cpu=native`.

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
/// enabling AVX2 in the hot function doubles the vector width. ANCHORS noted `target-cpu=native`
/// gave nothing for a naive loop; for this register-blocked kernel it is what makes it fast.
macro_rules! dispatch_simd {
    ($name:ident < $($g:ident : $b:path),* > ($($arg:ident : $ty:ty),*) -> $ret:ty, $fma:ident => $body:expr) => {
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
