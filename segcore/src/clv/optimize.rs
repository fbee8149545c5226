//! A small BFGS minimiser for the handful of log-parameters of the CLV models, and numerical
//! Hessians for their standard errors.
//!
//! The models have 3 or 4 parameters, so a dense inverse-Hessian approximation costs nothing;
//! all the time is in the objective (a sum over customers). The line search backtracks from the
//! full quasi-Newton step until Armijo's sufficient decrease holds; a non-finite objective
//! counts as "too far" (log-parameters far out make the likelihood overflow). Each iteration
//! checks the cancellation flag ([`crate::cancel`]): one objective evaluation is a pass over
//! every customer, so a fit on millions of customers stops within one iteration.

use crate::error::Result;

/// Why and where the minimiser stopped.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// The objective there.
    pub value: f64,
    /// The gradient there.
    pub gradient: Vec<f64>,
    /// Largest absolute gradient component there.
    pub gradient_max: f64,
    /// Quasi-Newton iterations done.
    pub n_iter: usize,
    /// The final inverse-Hessian approximation (to warm-start a related minimisation).
    pub inverse_hessian: Vec<Vec<f64>>,
    /// `true` when the gradient fell below the tolerance (or to the noise floor of the
    /// objective, see [`minimize`]).
    pub converged: bool,
}

/// Below this largest gradient component a failed line search still counts as converged: the
/// objective's rounding noise stops further progress, not a bad model.
const NOISE_FLOOR_GRADIENT: f64 = 1e-5;

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, g| m.max(g.abs()))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimises `objective` (value and gradient) from `x0` with BFGS.
///
/// Stops when the largest gradient component is `<= tol` (converged), when the line search
/// cannot decrease the objective any more (converged if the gradient is below the noise floor
/// 1e-5, otherwise not), or after `max_iter` iterations (not converged). The point returned is
/// always the best one found, so a fit that did not converge keeps its result.
///
/// Errors only with [`crate::Error::Cancelled`] when the cancellation flag is raised.
pub(crate) fn minimize<F>(objective: F, x0: &[f64], tol: f64, max_iter: usize) -> Result<Minimum>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>),
{
    minimize_from(objective, x0, None, tol, max_iter)
}

/// [`minimize`] starting from a known inverse-Hessian approximation (e.g. of the same
/// objective on a subsample), which saves the iterations BFGS spends learning the curvature.
pub(crate) fn minimize_from<F>(
    objective: F,
    x0: &[f64],
    inverse_hessian: Option<Vec<Vec<f64>>>,
    tol: f64,
    max_iter: usize,
) -> Result<Minimum>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>),
{
    let n = x0.len();
    let mut x = x0.to_vec();
    let (mut f, mut g) = objective(&x);
    // Inverse Hessian approximation, identity until the first step sets its scale.
    let mut first_step = inverse_hessian.is_none();
    let mut h = inverse_hessian.unwrap_or_else(|| identity(n));
    let mut n_iter = 0;
    if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Ok(Minimum {
            gradient: g,
            inverse_hessian: h,
            gradient_max: f64::INFINITY,
            x,
            value: f,
            n_iter,
            converged: false,
        });
    }
    while n_iter < max_iter {
        crate::cancel::check()?;
        if max_abs(&g) <= tol {
            return Ok(Minimum {
                gradient_max: max_abs(&g),
                gradient: g,
                inverse_hessian: h,
                x,
                value: f,
                n_iter,
                converged: true,
            });
        }
        n_iter += 1;
        let mut direction: Vec<f64> = (0..n).map(|i| -dot(&h[i], &g)).collect();
        let mut slope = dot(&direction, &g);
        if slope >= 0.0 {
            // Lost positive definiteness (rounding): restart from steepest descent.
            h = identity(n);
            direction = g.iter().map(|v| -v).collect();
            slope = dot(&direction, &g);
        }
        // On the very first step the identity has no scale: limit the step to length 1.
        let mut step = if first_step {
            (1.0 / max_abs(&direction)).min(1.0)
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..60 {
            let trial: Vec<f64> = x
                .iter()
                .zip(&direction)
                .map(|(xi, d)| xi + step * d)
                .collect();
            let (ft, gt) = objective(&trial);
            if ft.is_finite() && gt.iter().all(|v| v.is_finite()) && ft <= f + 1e-4 * step * slope {
                accepted = Some((trial, ft, gt));
                break;
            }
            step *= 0.5;
        }
        let Some((x_new, f_new, g_new)) = accepted else {
            let gradient_max = max_abs(&g);
            return Ok(Minimum {
                converged: gradient_max <= NOISE_FLOOR_GRADIENT,
                gradient_max,
                gradient: g,
                inverse_hessian: h,
                x,
                value: f,
                n_iter,
            });
        };
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-300 {
            if first_step {
                let scale = sy / dot(&y, &y);
                h = identity(n);
                for (i, row) in h.iter_mut().enumerate() {
                    row[i] = scale;
                }
                first_step = false;
            }
            // H <- (I - rho s y') H (I - rho y s') + rho s s'
            let rho = 1.0 / sy;
            let hy: Vec<f64> = (0..n).map(|i| dot(&h[i], &y)).collect();
            let yhy = dot(&y, &hy);
            for i in 0..n {
                for j in 0..n {
                    h[i][j] += -rho * (hy[i] * s[j] + s[i] * hy[j])
                        + (rho * rho * yhy + rho) * s[i] * s[j];
                }
            }
        }
        x = x_new;
        f = f_new;
        g = g_new;
    }
    let gradient_max = max_abs(&g);
    Ok(Minimum {
        converged: gradient_max <= tol,
        gradient_max,
        gradient: g,
        inverse_hessian: h,
        x,
        value: f,
        n_iter,
    })
}

fn identity(n: usize) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect()
}

/// Central-difference gradient of `f` at `x` with step `h` (for objectives without an
/// analytic gradient).
pub(crate) fn numerical_gradient<F: Fn(&[f64]) -> f64>(f: &F, x: &[f64], h: f64) -> Vec<f64> {
    let mut point = x.to_vec();
    (0..x.len())
        .map(|i| {
            point[i] = x[i] + h;
            let up = f(&point);
            point[i] = x[i] - h;
            let down = f(&point);
            point[i] = x[i];
            (up - down) / (2.0 * h)
        })
        .collect()
}

/// Symmetric Hessian at `x` by central differences of the gradient, step `h`.
pub(crate) fn hessian_from_gradient<G: Fn(&[f64]) -> Vec<f64>>(
    gradient: &G,
    x: &[f64],
    h: f64,
) -> Vec<Vec<f64>> {
    symmetrized(x, |j, point| {
        point[j] = x[j] + h;
        let up = gradient(point);
        point[j] = x[j] - h;
        let down = gradient(point);
        up.iter()
            .zip(&down)
            .map(|(u, d)| (u - d) / (2.0 * h))
            .collect()
    })
}

/// Symmetric Hessian at `x` by forward differences of the gradient (`gradient_at_x` is the
/// gradient at `x`, already known at a minimum): half the gradient evaluations of central
/// differences, accurate to about `h` relative, plenty for standard errors.
pub(crate) fn hessian_forward<G: Fn(&[f64]) -> Vec<f64>>(
    gradient: &G,
    x: &[f64],
    gradient_at_x: &[f64],
    h: f64,
) -> Vec<Vec<f64>> {
    symmetrized(x, |j, point| {
        point[j] = x[j] + h;
        let up = gradient(point);
        up.iter()
            .zip(gradient_at_x)
            .map(|(u, g)| (u - g) / h)
            .collect()
    })
}

/// `(H + Hᵀ) / 2` of the Hessian whose column `j` is `column(j, point)`, where `point` is `x`
/// for the column to move (coordinate `j` is put back to `x[j]` after each column).
fn symmetrized(x: &[f64], mut column: impl FnMut(usize, &mut [f64]) -> Vec<f64>) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut point = x.to_vec();
    let columns: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            let values = column(j, &mut point);
            point[j] = x[j];
            values
        })
        .collect();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| 0.5 * (columns[j][i] + columns[i][j]))
                .collect()
        })
        .collect()
}

/// The inverse of a small symmetric matrix by Gauss-Jordan elimination with partial pivoting;
/// `None` when it is singular (a pivot below 1e-14 of the largest entry) or has a non-finite
/// entry.
pub(crate) fn invert(matrix: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = matrix.len();
    let scale = matrix.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    if !scale.is_finite() || scale == 0.0 {
        return None;
    }
    let mut a: Vec<Vec<f64>> = matrix.to_vec();
    let mut inv = identity(n);
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() <= 1e-14 * scale {
            return None;
        }
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let p = a[col][col];
        for j in 0..n {
            a[col][j] /= p;
            inv[col][j] /= p;
        }
        for i in 0..n {
            if i != col {
                let factor = a[i][col];
                for j in 0..n {
                    a[i][j] -= factor * a[col][j];
                    inv[i][j] -= factor * inv[col][j];
                }
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rosenbrock(x: &[f64]) -> (f64, Vec<f64>) {
        let (a, b) = (x[0], x[1]);
        let f = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
        let g = vec![
            -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
            200.0 * (b - a * a),
        ];
        (f, g)
    }

    #[test]
    fn bfgs_finds_the_rosenbrock_minimum() {
        let m = minimize(rosenbrock, &[-1.2, 1.0], 1e-10, 500).unwrap();
        assert!(m.converged, "{m:?}");
        assert!(
            (m.x[0] - 1.0).abs() < 1e-8 && (m.x[1] - 1.0).abs() < 1e-8,
            "{m:?}"
        );
        // Too few iterations: flagged, but the best point so far is kept.
        let short = minimize(rosenbrock, &[-1.2, 1.0], 1e-10, 3).unwrap();
        assert!(!short.converged);
        assert_eq!(short.n_iter, 3);
        assert!(short.value < rosenbrock(&[-1.2, 1.0]).0);
    }

    #[test]
    fn a_raised_cancellation_flag_stops_the_minimiser() {
        use crate::cancel::{with_flag, CancelFlag};
        let flag = CancelFlag::new();
        flag.cancel();
        let stopped = with_flag(&flag, || minimize(rosenbrock, &[-1.2, 1.0], 1e-10, 500));
        assert!(
            matches!(stopped, Err(crate::Error::Cancelled)),
            "{stopped:?}"
        );
        // Raised mid-way (by the objective itself, as another thread would): stops at the next
        // iteration instead of running to max_iter.
        let flag = CancelFlag::new();
        let calls = std::cell::Cell::new(0usize);
        let stopped = with_flag(&flag, || {
            minimize(
                |x: &[f64]| {
                    calls.set(calls.get() + 1);
                    if calls.get() == 5 {
                        flag.cancel();
                    }
                    rosenbrock(x)
                },
                &[-1.2, 1.0],
                1e-10,
                500,
            )
        });
        assert!(matches!(stopped, Err(crate::Error::Cancelled)));
        assert!(
            calls.get() < 70,
            "stopped within one iteration ({} calls)",
            calls.get()
        );
    }

    #[test]
    fn numerical_derivatives_and_inverse() {
        let f = |x: &[f64]| rosenbrock(x).0;
        let g = numerical_gradient(&f, &[0.5, 0.7], 1e-6);
        let exact = rosenbrock(&[0.5, 0.7]).1;
        assert!((g[0] - exact[0]).abs() < 1e-6 && (g[1] - exact[1]).abs() < 1e-6);
        let h = hessian_from_gradient(&|x: &[f64]| rosenbrock(x).1, &[1.0, 1.0], 1e-5);
        let forward = hessian_forward(&|x: &[f64]| rosenbrock(x).1, &[1.0, 1.0], &[0.0, 0.0], 1e-7);
        assert!((forward[0][0] - 802.0).abs() < 1e-3 && (forward[1][0] + 400.0).abs() < 1e-3);
        // Exact Hessian at (1, 1): [[802, -400], [-400, 200]].
        assert!((h[0][0] - 802.0).abs() < 1e-5 && (h[0][1] + 400.0).abs() < 1e-5);
        let inv = invert(&h).unwrap();
        assert!((inv[0][0] - 0.5).abs() < 1e-6 && (inv[1][1] - 2.005).abs() < 1e-6);
        assert!(invert(&[vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
        assert!(invert(&[vec![f64::NAN]]).is_none());
    }
}
