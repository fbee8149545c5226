//! Gap statistic (Tibshirani, Walther and Hastie 2001): how much tighter the clusters of the data
//! are than those of structure-free reference data of the same shape.
//!
//! `Gap(k) = mean_b log W*_kb - log W_k`, with `W_k` the pooled within-cluster sum of squares
//! (k-means' inertia) of the data and `W*_kb` that of reference data set `b` clustered the same
//! way. `s_k = sd_b(log W*_kb) * sqrt(1 + 1/B)` (sd with divisor `B`, as in the paper). The
//! recommended k is the smallest k with `Gap(k) >= Gap(k+1) - s(k+1)` ([`gap_rule`]).
//!
//! Reference data ([`GapReference`]) is drawn uniformly, seeded, from the bounding box of the
//! columns, or from the box aligned with the principal components (the paper's option (b), which
//! follows the shape of correlated data).
//!
//! References may have fewer rows `m` than the data's `n` (`SelectKParams::gap_sample_size`):
//! `W*` is a sum over rows, so `log W*(n) = log W*(m) + log(n/m)` up to the fit's optimism on
//! fewer rows. The spread is kept as measured on the `m`-row references: it is wider than for
//! `n` rows (a smaller reference varies more), which tends to make the rule stop at a smaller k.
//! Current figure (make_b2b 50k, the Segmenter's 20,000-row sample, 46 columns, 10 references,
//! one k-means++ run each): 5,000-row references move the gap by at most 0.0024 at k = 4..=8,
//! widen `s_k` from 0.0013-0.0061 to 0.0042-0.0072, leave the vote unchanged, and cost 14.9 s
//! instead of 42.6 s (load ~17; docs/performance.md).

use crate::error::Result;
use crate::reduce::{NComponents, PcaParams};
use crate::Float;
use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Where the structure-free reference data of the gap statistic comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GapReference {
    /// Uniform over the range of every column (the paper's option (a)).
    BoundingBox,
    /// Uniform over the range of every principal-component score, rotated back to feature space
    /// (the paper's option (b)); follows correlated data more closely.
    PcaBox,
}

/// One reference data set of `rows` rows and the columns of `x`, drawn with `rng` (see
/// [`GapReference`]).
pub(crate) fn reference_sample<F: Float, R: Rng>(
    x: ArrayView2<F>,
    rows: usize,
    reference: GapReference,
    rng: &mut R,
) -> Result<Array2<F>> {
    let uniform_in_box = |scores: ArrayView2<F>, rng: &mut R| -> Array2<F> {
        let lows: Vec<F> = scores
            .axis_iter(Axis(1))
            .map(|c| c.iter().copied().fold(F::infinity(), F::min))
            .collect();
        let highs: Vec<F> = scores
            .axis_iter(Axis(1))
            .map(|c| c.iter().copied().fold(F::neg_infinity(), F::max))
            .collect();
        // Row by row, column by column: the draw order (and so the data) is fixed by the seed.
        Array2::from_shape_fn((rows, scores.ncols()), |(_, j)| {
            let u: f64 = rng.r#gen();
            lows[j] + (highs[j] - lows[j]) * F::cast(u)
        })
    };
    match reference {
        GapReference::BoundingBox => Ok(uniform_in_box(x, rng)),
        GapReference::PcaBox => {
            let pca = PcaParams::new(NComponents::All).fit(x)?;
            let scores = pca.transform(x)?;
            let reference_scores = uniform_in_box(scores.view(), rng);
            pca.inverse_transform(reference_scores.view())
        }
    }
}

/// `(Gap(k), s_k)` from the data's `W_k` and the references' `W*_kb` (all > 0).
pub fn gap_and_spread(within: f64, reference_within: &[f64]) -> (f64, f64) {
    let b = reference_within.len() as f64;
    let logs: Vec<f64> = reference_within.iter().map(|w| w.ln()).collect();
    let mean = logs.iter().sum::<f64>() / b;
    let variance = logs.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / b;
    (mean - within.ln(), variance.sqrt() * (1.0 + 1.0 / b).sqrt())
}

/// Index of the smallest k satisfying Tibshirani's rule `Gap(k) >= Gap(k+1) - s(k+1)`, where
/// "k+1" is the next entry of the (sorted) k list. `None` when no k before the last satisfies it
/// (the gap keeps growing: more segments than the range covers, or none at all); a non-finite
/// gap never satisfies it.
///
/// ```
/// use segcore::select::gap::gap_rule;
///
/// let gap = [0.20, 0.45, 0.50, 0.52];
/// let spread = [0.03, 0.03, 0.03, 0.03];
/// // k index 1 fails (0.45 < 0.50 - 0.03), index 2 holds (0.50 >= 0.52 - 0.03).
/// assert_eq!(gap_rule(&gap, &spread), Some(2));
/// ```
pub fn gap_rule(gap: &[f64], spread: &[f64]) -> Option<usize> {
    (0..gap.len().saturating_sub(1)).find(|&i| {
        gap[i].is_finite() && gap[i + 1].is_finite() && gap[i] >= gap[i + 1] - spread[i + 1]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn rule_picks_the_smallest_k_within_one_spread() {
        assert_eq!(gap_rule(&[0.1, 0.5, 0.52, 0.53], &[0.05; 4]), Some(1));
        assert_eq!(gap_rule(&[0.1, 0.2, 0.3, 0.4], &[0.01; 4]), None);
        assert_eq!(gap_rule(&[0.9, 0.2], &[0.01; 2]), Some(0));
        assert_eq!(gap_rule(&[], &[]), None);
        assert_eq!(gap_rule(&[f64::NAN, 0.2, 0.1], &[0.0; 3]), Some(1));
    }

    #[test]
    fn gap_and_spread_match_the_formulas() {
        let (gap, spread) = gap_and_spread(1.0, &[std::f64::consts::E, std::f64::consts::E]);
        assert!((gap - 1.0).abs() < 1e-15);
        assert_eq!(spread, 0.0);
        let refs = [1.0f64.exp(), 3.0f64.exp()];
        let (gap, spread) = gap_and_spread(1.0f64.exp(), &refs);
        assert!((gap - 1.0).abs() < 1e-12);
        // sd of {1, 3} with divisor B is 1; times sqrt(1 + 1/2).
        assert!((spread - 1.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn references_stay_in_the_box_and_are_seeded() {
        let x = ndarray::array![[0.0, 10.0], [1.0, 12.0], [2.0, 11.0], [0.5, 10.5]];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let r = reference_sample(x.view(), 4, GapReference::BoundingBox, &mut rng).unwrap();
        assert_eq!(r.dim(), (4, 2));
        assert!(r.column(0).iter().all(|&v| (0.0..=2.0).contains(&v)));
        assert!(r.column(1).iter().all(|&v| (10.0..=12.0).contains(&v)));
        let mut again = Xoshiro256PlusPlus::seed_from_u64(3);
        let r2 = reference_sample(x.view(), 4, GapReference::BoundingBox, &mut again).unwrap();
        assert_eq!(r, r2);
        let p = reference_sample(x.view(), 4, GapReference::PcaBox, &mut rng).unwrap();
        assert_eq!(p.dim(), (4, 2));
        let fewer = reference_sample(x.view(), 3, GapReference::PcaBox, &mut rng).unwrap();
        assert_eq!(fewer.dim(), (3, 2));
        assert!(p.iter().all(|v: &f64| v.is_finite()));
    }
}
