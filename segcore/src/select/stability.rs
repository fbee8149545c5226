//! Stability of a clustering under resampling: cluster random subsamples again and compare with
//! the clustering of all the data by the adjusted Rand index (ARI) on the rows they share.
//!
//! A segmentation worth acting on should not change much when 20% of the customers are left out:
//! high mean ARI (close to 1) with a small spread means the segments are a property of the data,
//! not of one random start or of a few customers.

use crate::error::{Error, Result};
use rand::Rng;

/// `size` distinct row indices of `0..n_samples`, uniformly at random (partial Fisher-Yates),
/// returned in increasing order so subsample rows keep the data's order.
pub(crate) fn subsample_indices<R: Rng>(n_samples: usize, size: usize, rng: &mut R) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n_samples).collect();
    for i in 0..size.min(n_samples) {
        let j = rng.gen_range(i..n_samples);
        indices.swap(i, j);
    }
    indices.truncate(size);
    indices.sort_unstable();
    indices
}

/// Rows in a subsample of `fraction` of `n_samples` (rounded, at least 1).
pub(crate) fn subsample_size(n_samples: usize, fraction: f64) -> usize {
    ((n_samples as f64 * fraction).round() as usize).clamp(1, n_samples)
}

/// Checks a subsample fraction: in `(0, 1]`.
pub(crate) fn check_fraction(fraction: f64) -> Result<()> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(Error::invalid_parameter(
            "stability_fraction",
            fraction,
            "a fraction of the rows in (0, 1]",
        ));
    }
    Ok(())
}

/// Mean and sample standard deviation (divisor `len - 1`; 0 for a single value). `(NaN, NaN)`
/// for no values.
pub fn mean_and_sd(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() == 1 {
        return (mean, 0.0);
    }
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (mean, variance.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn subsamples_are_distinct_sorted_and_seeded() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let a = subsample_indices(100, 80, &mut rng);
        assert_eq!(a.len(), 80);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert!(a.iter().all(|&i| i < 100));
        let mut again = Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(a, subsample_indices(100, 80, &mut again));
        assert_eq!(subsample_size(440, 0.8), 352);
        assert_eq!(subsample_size(3, 0.01), 1);
    }

    #[test]
    fn fraction_and_summary() {
        assert!(check_fraction(0.8).is_ok());
        assert!(check_fraction(1.0).is_ok());
        for bad in [0.0, -0.5, 1.01, f64::NAN] {
            let message = check_fraction(bad).unwrap_err().to_string();
            assert!(message.contains("stability_fraction"), "{message}");
        }
        let (mean, sd) = mean_and_sd(&[1.0, 3.0]);
        assert_eq!(mean, 2.0);
        assert!((sd - 2f64.sqrt()).abs() < 1e-15);
        assert_eq!(mean_and_sd(&[0.5]), (0.5, 0.0));
        assert!(mean_and_sd(&[]).0.is_nan());
    }
}
