//! Small numeric helpers that several algorithms share, so each is written (and tested) once.

use crate::Float;

/// Squared Euclidean distance of two equally long slices, summed in index order (the order is
/// part of the result's bits; the k-means kernel's lane-wise variant is a separate function).
#[inline(always)]
pub(crate) fn sq_dist<F: Float>(a: &[F], b: &[F]) -> F {
    a.iter().zip(b).fold(F::zero(), |acc, (&u, &v)| {
        let t = u - v;
        acc + t * t
    })
}

/// Two independent standard normal draws from two uniforms by the Box-Muller transform
/// (`rand_distr` is not a dependency). `u1` must lie in (0, 1] so its logarithm is finite
/// (draw it as `1 - u`); returns `(r cos 2 pi u2, r sin 2 pi u2)`.
pub(crate) fn box_muller(u1: f64, u2: f64) -> (f64, f64) {
    let radius = (-2.0 * u1.ln()).sqrt();
    let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
    (radius * cos, radius * sin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_normals() {
        assert_eq!(sq_dist(&[1.0, 2.0], &[4.0, 6.0]), 25.0);
        assert_eq!(sq_dist::<f32>(&[], &[]), 0.0);
        let (a, b) = box_muller(1.0, 0.3);
        assert_eq!((a, b), (0.0, 0.0));
        let (c, s) = box_muller((-0.5f64).exp(), 0.0);
        assert!((c - 1.0).abs() < 1e-15 && s == 0.0);
    }
}
