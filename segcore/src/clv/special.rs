//! Special functions the purchase and spend models need: log-gamma, digamma and the Gauss
//! hypergeometric function 2F1 on `0 <= z < 1` (in logarithms, so large frequencies do not
//! overflow).

/// `ln Γ(x)` for `x > 0` (musl's algorithm through `libm`, < 1 ulp on the positive axis).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// The digamma function `ψ(x) = d/dx ln Γ(x)` for `x > 0`.
///
/// Recurrence `ψ(x) = ψ(x + 1) - 1/x` up to `x >= 10`, then the asymptotic series to the
/// `x^-12` term (the next term is below 1e-15 there).
pub(crate) fn digamma(x: f64) -> f64 {
    let mut x = x;
    let mut result = 0.0;
    while x < 10.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    let series = f
        * (1.0 / 12.0
            - f * (1.0 / 120.0
                - f * (1.0 / 252.0 - f * (1.0 / 240.0 - f * (1.0 / 132.0 - f * 691.0 / 32760.0)))));
    result + x.ln() - 0.5 / x - series
}

/// Terms summed at most per hypergeometric series: each term shrinks by about `z`, so this
/// covers `z` up to about `1 - 4e-4` at full precision; beyond, the result is NaN (never a
/// silently truncated sum).
const MAX_SERIES_TERMS: usize = 100_000;

/// The power series `Σ (a)_n (b)_n / ((c)_n n!) z^n`, or NaN when it does not settle within
/// [`MAX_SERIES_TERMS`] terms.
fn series(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut small = 0;
    for n in 0..MAX_SERIES_TERMS {
        let k = n as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() <= 1e-17 * sum.abs() {
            // Two consecutive negligible terms: the ratio has settled below 1.
            small += 1;
            if small == 2 {
                return sum;
            }
        } else {
            small = 0;
        }
        if term == 0.0 {
            return sum;
        }
    }
    f64::NAN
}

/// `ln 2F1(a, b; c; z)` for `0 <= z < 1` and a positive value of the function (all uses here
/// have `a, b, c > 0`, or come from such a function by Euler's transformation).
///
/// When `c - a - b < 0` the direct series grows like `(1 - z)^(c - a - b)`; Euler's
/// transformation `2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z)` moves that
/// factor into a logarithm (lifetimes falls back to the same identity when scipy overflows).
/// NaN when the series does not converge or the sum is not positive.
pub(crate) fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    if z == 0.0 {
        return 0.0;
    }
    if !(0.0..1.0).contains(&z) {
        return f64::NAN;
    }
    let excess = c - a - b;
    if excess >= 0.0 {
        series(a, b, c, z).ln()
    } else {
        series(c - a, c - b, c, z).ln() + excess * (-z).ln_1p()
    }
}

/// `ln(e^x + e^y)` without overflow.
pub(crate) fn log_add_exp(x: f64, y: f64) -> f64 {
    let m = x.max(y);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((x - m).exp() + (y - m).exp()).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn digamma_matches_known_values() {
        // ψ(1) = -γ, ψ(1/2) = -γ - 2 ln 2, ψ(10.5) from scipy.special.digamma.
        let euler = 0.577_215_664_901_532_9;
        assert!(close(digamma(1.0), -euler, 1e-14));
        assert!(close(digamma(0.5), -euler - 2.0 * 2f64.ln(), 1e-14));
        assert!(close(digamma(10.5), 2.303_001_034_297_686_5, 1e-14));
        assert!(close(digamma(1234.5), 7.118_016_231_827_998_5, 1e-14));
        // The recurrence ψ(x + 1) = ψ(x) + 1/x.
        for x in [0.01, 0.3, 2.7, 9.9, 55.0] {
            assert!(close(digamma(x + 1.0), digamma(x) + 1.0 / x, 1e-13), "{x}");
        }
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z
        for z in [0.1f64, 0.5, 0.9, 0.99] {
            let exact = (-(-z).ln_1p() / z).ln();
            assert!(close(ln_hyp2f1(1.0, 1.0, 2.0, z), exact, 1e-13), "{z}");
        }
        // 2F1(a, b; b; z) = (1 - z)^-a: c - a - b = -a < 0 takes Euler's branch.
        for (a, z) in [(3.5, 0.7f64), (250.0, 0.9), (0.2, 0.3)] {
            let exact = -a * (1.0 - z).ln();
            assert!(close(ln_hyp2f1(a, 2.0, 2.0, z), exact, 1e-12), "{a} {z}");
        }
        // scipy.special.hyp2f1(0.5, 1.5, 4.2, 0.6)
        assert!(close(
            ln_hyp2f1(0.5, 1.5, 4.2, 0.6),
            1.140_312_022_751_277_7f64.ln(),
            1e-13
        ));
        assert_eq!(ln_hyp2f1(2.0, 3.0, 4.0, 0.0), 0.0);
        assert!(ln_hyp2f1(2.0, 3.0, 4.0, 1.0).is_nan());
    }

    #[test]
    fn log_add_exp_is_stable() {
        assert!(close(
            log_add_exp(1000.0, 1000.0),
            1000.0 + 2f64.ln(),
            1e-15
        ));
        assert_eq!(log_add_exp(f64::NEG_INFINITY, 3.0), 3.0);
        assert_eq!(
            log_add_exp(f64::NEG_INFINITY, f64::NEG_INFINITY),
            f64::NEG_INFINITY
        );
    }
}
