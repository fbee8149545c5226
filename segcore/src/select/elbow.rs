//! The elbow of a decreasing curve (inertia against k), by the Kneedle rule.
//!
//! Rule (Satopää et al. 2011, "Kneedle", offline form): scale `k` and the values to `[0, 1]`
//! (first k -> 0, last k -> 1; largest value -> 1, smallest -> 0), then pick the k whose scaled
//! value lies farthest *below* the straight line from the first point to the last one, i.e. the
//! largest `(1 - k_scaled) - value_scaled`. If no point lies below that line (a straight or
//! concave curve) there is no elbow and the rule abstains. Ties go to the smaller k.
//!
//! Why Kneedle and not "maximum second difference": the second difference depends on the spacing
//! of the k values and on the first/last point, which then never can be the elbow; Kneedle works
//! on any sorted k list and is the rule most plotting tools (kneed, yellowbrick) show to users.

/// Index into `ks` of the elbow of the decreasing curve `values` (see the module docs), or
/// `None` when fewer than 3 points are given, a value is not finite, the curve is flat, or no
/// point lies below the chord.
///
/// ```
/// use segcore::select::elbow::knee_index;
///
/// let ks = [1, 2, 3, 4, 5, 6];
/// let inertia = [100.0, 40.0, 15.0, 12.0, 10.0, 9.0];
/// assert_eq!(knee_index(&ks, &inertia), Some(2)); // k = 3
/// ```
pub fn knee_index(ks: &[usize], values: &[f64]) -> Option<usize> {
    if ks.len() != values.len() || ks.len() < 3 || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let (k_first, k_last) = (ks[0] as f64, ks[ks.len() - 1] as f64);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    if k_last <= k_first || high <= low {
        return None;
    }
    let mut best: Option<(usize, f64)> = None;
    for (i, (&k, &v)) in ks.iter().zip(values).enumerate() {
        let k_scaled = (k as f64 - k_first) / (k_last - k_first);
        let value_scaled = (v - low) / (high - low);
        let below_chord = (1.0 - k_scaled) - value_scaled;
        // Strictly greater: ties keep the smaller k.
        if below_chord > 1e-12 && best.is_none_or(|(_, b)| below_chord > b) {
            best = Some((i, below_chord));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_bend_of_a_convex_curve() {
        let ks: Vec<usize> = (2..=10).collect();
        // 1/k-like decay with a sharp bend at k = 4.
        let values = [90.0, 60.0, 20.0, 17.0, 15.0, 13.5, 12.5, 11.8, 11.2];
        assert_eq!(knee_index(&ks, &values).map(|i| ks[i]), Some(4));
    }

    #[test]
    fn abstains_on_straight_or_concave_curves() {
        let ks = [2, 3, 4, 5];
        assert_eq!(knee_index(&ks, &[4.0, 3.0, 2.0, 1.0]), None);
        assert_eq!(knee_index(&ks, &[10.0, 9.5, 8.0, 1.0]), None);
        assert_eq!(knee_index(&ks, &[1.0, 1.0, 1.0, 1.0]), None);
        assert_eq!(knee_index(&ks[..2], &[3.0, 1.0]), None);
        assert_eq!(knee_index(&ks, &[3.0, f64::NAN, 1.0, 0.5]), None);
    }

    #[test]
    fn uneven_k_spacing_is_respected() {
        // On k = 2, 3, 10 the middle point is far below the chord only because of the spacing.
        assert_eq!(knee_index(&[2, 3, 10], &[10.0, 5.0, 1.0]), Some(1));
    }
}
