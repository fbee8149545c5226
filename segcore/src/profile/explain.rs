//! Why is this customer in this segment? Distances to every segment centre, the features that
//! pull the customer towards its segment and away from the runner-up, and the margin.
//!
//! - [`explain`]: any model that assigns customers to the nearest of a set of centres in its
//!   feature space ([`CentroidModel`]: k-means, Ward's cluster means, a plain centre matrix).
//! - [`explain_mixture`]: Gaussian mixtures, where the segment is the most probable component:
//!   membership probabilities, the log-odds margin to the runner-up and the features' shares of
//!   it (see the function for the attribution).

use crate::cluster::gmm::{Covariances, GaussianMixture};
use crate::cluster::kmeans::KMeans;
use crate::error::{Error, Result};
use crate::Float;
use ndarray::{Array2, ArrayView1};
use serde::{Deserialize, Serialize};

/// A model whose segments are the nearest of a set of centres (in the model's feature space).
pub trait CentroidModel {
    /// The centres, one row per segment (label = row index), in f64.
    fn centroids(&self) -> Array2<f64>;
}

impl<F: Float> CentroidModel for KMeans<F> {
    fn centroids(&self) -> Array2<f64> {
        self.cluster_centers().mapv(|v| {
            v.to_f64()
                .expect("a finite float converts to f64 (centres are finite after fit)")
        })
    }
}

impl CentroidModel for Array2<f64> {
    fn centroids(&self) -> Array2<f64> {
        self.clone()
    }
}

/// One feature's part in the assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureContribution {
    /// Feature name.
    pub feature: String,
    /// The customer's value.
    pub value: f64,
    /// The assigned segment's centre on this feature.
    pub segment_center: f64,
    /// The runner-up's centre on this feature (NaN-free; equals `segment_center` with one segment).
    pub runner_up_center: f64,
    /// `(value - runner_up_center)^2 - (value - segment_center)^2`: positive pulls towards the
    /// assigned segment and away from the runner-up. The pulls sum to
    /// `distance(runner-up)^2 - distance(segment)^2`.
    pub pull: f64,
}

/// Explanation of one customer's assignment; see [`explain`] and [`explain_mixture`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Assigned segment (nearest centre; most probable component for mixtures).
    pub segment: usize,
    /// Second-nearest (second most probable) segment; `None` with a single segment.
    pub runner_up: Option<usize>,
    /// Distance to every segment centre, by label: Euclidean for centroid models, Mahalanobis
    /// (under each component's covariance) for mixtures.
    pub distances: Vec<f64>,
    /// How far the customer is from switching: `distance(runner-up) - distance(segment)` for
    /// centroid models; the log-odds `ln(p(segment) / p(runner-up))` (nats) for mixtures.
    pub margin: Option<f64>,
    /// Every feature, strongest pull towards the segment first.
    pub contributions: Vec<FeatureContribution>,
    /// Mixtures only: membership probability of every segment, by label (sums to 1).
    #[serde(default)]
    pub probabilities: Option<Vec<f64>>,
    /// Mixtures only: the log-odds of segment over runner-up at the midpoint of their two means,
    /// the part of the margin no feature explains (the components' weights and spreads). The
    /// pulls plus this sum to the margin.
    #[serde(default)]
    pub baseline_log_odds: Option<f64>,
}

/// Explains the assignment of `customer` (a row in the model's feature space: scaled, as the
/// model was fitted) by `model`. `feature_names` name the columns (empty = `x0, x1, ...`).
///
/// ```
/// use ndarray::array;
/// use segcore::profile::explain;
/// let centres = array![[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
/// let e = explain(&centres, array![7.0, 1.0].view(), &[])?;
/// assert_eq!(e.segment, 1);
/// assert_eq!(e.runner_up, Some(0));
/// assert_eq!(e.contributions[0].feature, "x0");
/// let total: f64 = e.contributions.iter().map(|c| c.pull).sum();
/// assert!((total - (e.distances[0].powi(2) - e.distances[1].powi(2))).abs() < 1e-9);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn explain(
    model: &impl CentroidModel,
    customer: ArrayView1<f64>,
    feature_names: &[String],
) -> Result<Explanation> {
    let centres = model.centroids();
    let d = centres.ncols();
    check_customer(customer, d, feature_names)?;
    if centres.nrows() == 0 {
        return Err(Error::EmptyInput {
            what: "the model has no segment centres".into(),
        });
    }
    let squared: Vec<f64> = centres
        .outer_iter()
        .map(|c| {
            c.iter()
                .zip(customer.iter())
                .map(|(a, b)| (a - b) * (a - b))
                .sum()
        })
        .collect();
    // Nearest first; ties go to the lower label, as predict does.
    let mut order: Vec<usize> = (0..squared.len()).collect();
    order.sort_by(|&a, &b| squared[a].total_cmp(&squared[b]).then(a.cmp(&b)));
    let segment = order[0];
    let runner_up = order.get(1).copied();
    let other = runner_up.unwrap_or(segment);
    let mut contributions: Vec<FeatureContribution> = (0..d)
        .map(|j| {
            let x = customer[j];
            let (cs, cr) = (centres[[segment, j]], centres[[other, j]]);
            FeatureContribution {
                feature: feature_names
                    .get(j)
                    .cloned()
                    .unwrap_or_else(|| format!("x{j}")),
                value: x,
                segment_center: cs,
                runner_up_center: cr,
                pull: (x - cr) * (x - cr) - (x - cs) * (x - cs),
            }
        })
        .collect();
    contributions.sort_by(|a, b| b.pull.total_cmp(&a.pull));
    let distances: Vec<f64> = squared.iter().map(|s| s.sqrt()).collect();
    Ok(Explanation {
        segment,
        runner_up,
        margin: runner_up.map(|r| distances[r] - distances[segment]),
        distances,
        contributions,
        probabilities: None,
        baseline_log_odds: None,
    })
}

/// The checks shared by both explanations: row length, names, finite values.
fn check_customer(customer: ArrayView1<f64>, d: usize, feature_names: &[String]) -> Result<()> {
    if customer.len() != d {
        return Err(Error::ShapeMismatch {
            what: "customer_row (one value per model feature)".into(),
            expected: d,
            got: customer.len(),
        });
    }
    if !feature_names.is_empty() && feature_names.len() != d {
        return Err(Error::ShapeMismatch {
            what: "feature_names (one name per model feature)".into(),
            expected: d,
            got: feature_names.len(),
        });
    }
    if let Some((column, &value)) = customer.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFiniteValue {
            what: "customer_row".into(),
            row: 0,
            column,
            value,
        });
    }
    Ok(())
}

/// One mixture component in f64, as a dense precision Cholesky factor.
struct Component {
    log_weight: f64,
    mean: Vec<f64>,
    /// Upper-triangular `U` (row-major, d x d) with precision `P = U U^T`, scikit-learn's
    /// `precisions_cholesky_` layout: `y = (x - mean) U`.
    factor: Vec<f64>,
    /// `ln det U` = half the log-determinant of the precision.
    log_det: f64,
}

impl Component {
    /// `y = U^T (x - mean)`: `|y|^2` is the squared Mahalanobis distance.
    fn whitened(&self, x: &[f64]) -> Vec<f64> {
        let d = x.len();
        (0..d)
            .map(|j| {
                x.iter()
                    .zip(&self.mean)
                    .take(j + 1)
                    .enumerate()
                    .map(|(i, (a, m))| (a - m) * self.factor[i * d + j])
                    .sum()
            })
            .collect()
    }

    /// `(ln(weight) + ln N(x; mean, covariance), squared Mahalanobis distance)`: the first is
    /// the unnormalised log-posterior.
    fn log_joint(&self, x: &[f64]) -> (f64, f64) {
        let d = x.len() as f64;
        let squared: f64 = self.whitened(x).iter().map(|y| y * y).sum();
        let log_density = -0.5 * (d * (2.0 * std::f64::consts::PI).ln() + squared) + self.log_det;
        (self.log_weight + log_density, squared)
    }

    /// `P (x - mean) = U U^T (x - mean)` (the negative gradient of the log-density at `x`).
    fn precision_times_offset(&self, x: &[f64]) -> Vec<f64> {
        let d = x.len();
        let y = self.whitened(x);
        (0..d)
            .map(|i| (i..d).map(|j| self.factor[i * d + j] * y[j]).sum())
            .collect()
    }
}

fn to_f64<F: Float>(v: F) -> f64 {
    v.to_f64()
        .expect("a fitted mixture's parameters are finite floats (checked at fit and load)")
}

fn components<F: Float>(model: &GaussianMixture<F>) -> Vec<Component> {
    let (k, d) = model.means().dim();
    let dense = |c: usize| -> Vec<f64> {
        let mut u = vec![0.0; d * d];
        match model.precisions_cholesky() {
            Covariances::Full(a) => {
                for i in 0..d {
                    for j in i..d {
                        u[i * d + j] = to_f64(a[[c, i, j]]);
                    }
                }
            }
            Covariances::Tied(a) => {
                for i in 0..d {
                    for j in i..d {
                        u[i * d + j] = to_f64(a[[i, j]]);
                    }
                }
            }
            Covariances::Diag(a) => {
                for i in 0..d {
                    u[i * d + i] = to_f64(a[[c, i]]);
                }
            }
            Covariances::Spherical(a) => {
                for i in 0..d {
                    u[i * d + i] = to_f64(a[c]);
                }
            }
        }
        u
    };
    (0..k)
        .map(|c| {
            let factor = dense(c);
            Component {
                log_weight: to_f64(model.weights()[c]).ln(),
                mean: model.means().row(c).iter().map(|&v| to_f64(v)).collect(),
                log_det: (0..d).map(|i| factor[i * d + i].ln()).sum(),
                factor,
            }
        })
        .collect()
}

/// Explains a Gaussian mixture's assignment of `customer` (a row in the model's feature space).
///
/// - `segment` is the most probable component (lowest label on ties, as `predict`),
///   `probabilities` every component's membership probability, `distances` the Mahalanobis
///   distances to the component means;
/// - `margin` is the log-odds `g(x) = ln p(segment | x) - ln p(runner-up | x)` (nats, >= 0);
/// - the pulls split `g` over the features by integrated gradients from `b`, the midpoint of the
///   two means: `pull_j = (x_j - b_j) * dg/dx_j((x + b) / 2)`. `g` is quadratic in `x`, so this
///   is exact: the pulls sum to `g(x) - g(b)`, and `baseline_log_odds = g(b)` holds what no
///   feature explains (weights and spreads). A positive pull: moving this feature from the
///   midpoint to the customer's value made the segment more likely than the runner-up. With
///   equal spherical unit covariances and weights it is half the k-means pull of [`explain`].
///
/// Computed in f64 from the model's parameters (an f32 model's near-ties may differ from its
/// f32 `predict`).
///
/// ```
/// use ndarray::array;
/// use segcore::cluster::gmm::GaussianMixtureParams;
/// use segcore::profile::explain_mixture;
/// let x = array![[0.0, 0.0], [0.3, 0.1], [0.1, 0.4], [5.0, 5.0], [5.2, 4.8], [4.9, 5.3]];
/// let model = GaussianMixtureParams::new(2).random_state(0).fit(x.view(), None)?;
/// let e = explain_mixture(&model, array![4.0, 4.5].view(), &[])?;
/// let p = e.probabilities.as_ref().unwrap();
/// assert!(p[e.segment] > 0.99);
/// let pulls: f64 = e.contributions.iter().map(|c| c.pull).sum();
/// assert!((pulls + e.baseline_log_odds.unwrap() - e.margin.unwrap()).abs() < 1e-6);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn explain_mixture<F: Float>(
    model: &GaussianMixture<F>,
    customer: ArrayView1<f64>,
    feature_names: &[String],
) -> Result<Explanation> {
    let d = model.n_features();
    check_customer(customer, d, feature_names)?;
    let components = components(model);
    let x: Vec<f64> = customer.to_vec();
    let (log_joint, squared): (Vec<f64>, Vec<f64>) =
        components.iter().map(|c| c.log_joint(&x)).unzip();
    // Normalise with log-sum-exp: a far customer's densities underflow, its posteriors do not.
    let top = log_joint.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let log_norm = top + log_joint.iter().map(|l| (l - top).exp()).sum::<f64>().ln();
    let probabilities: Vec<f64> = log_joint.iter().map(|l| (l - log_norm).exp()).collect();
    let mut order: Vec<usize> = (0..components.len()).collect();
    order.sort_by(|&a, &b| log_joint[b].total_cmp(&log_joint[a]).then(a.cmp(&b)));
    let segment = order[0];
    let runner_up = order.get(1).copied();
    let other = runner_up.unwrap_or(segment);
    let (s, r) = (&components[segment], &components[other]);
    let baseline: Vec<f64> = s
        .mean
        .iter()
        .zip(&r.mean)
        .map(|(a, b)| 0.5 * (a + b))
        .collect();
    let midpoint: Vec<f64> = x
        .iter()
        .zip(&baseline)
        .map(|(a, b)| 0.5 * (a + b))
        .collect();
    // dg/dx = -P_s (z - mean_s) + P_r (z - mean_r) at the midpoint z of baseline and customer.
    let (ps, pr) = (
        s.precision_times_offset(&midpoint),
        r.precision_times_offset(&midpoint),
    );
    let mut contributions: Vec<FeatureContribution> = (0..d)
        .map(|j| FeatureContribution {
            feature: feature_names
                .get(j)
                .cloned()
                .unwrap_or_else(|| format!("x{j}")),
            value: x[j],
            segment_center: s.mean[j],
            runner_up_center: r.mean[j],
            pull: if runner_up.is_some() {
                (x[j] - baseline[j]) * (pr[j] - ps[j])
            } else {
                0.0
            },
        })
        .collect();
    contributions.sort_by(|a, b| b.pull.total_cmp(&a.pull));
    let baseline_log_odds = runner_up.map(|_| s.log_joint(&baseline).0 - r.log_joint(&baseline).0);
    Ok(Explanation {
        segment,
        runner_up,
        distances: squared.iter().map(|q| q.sqrt()).collect(),
        margin: runner_up.map(|r| log_joint[segment] - log_joint[r]),
        contributions,
        probabilities: Some(probabilities),
        baseline_log_odds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::kmeans::KMeansParams;
    use ndarray::array;

    #[test]
    fn agrees_with_kmeans_predict() {
        let x = array![
            [0.0, 0.1],
            [0.2, 0.0],
            [5.0, 5.1],
            [5.2, 4.9],
            [0.0, 9.0],
            [0.1, 9.2]
        ];
        let model = KMeansParams::new(3)
            .random_state(1)
            .fit(x.view(), None)
            .unwrap();
        let labels = model.predict(x.view()).unwrap();
        let names = vec!["a".to_string(), "b".to_string()];
        for (row, &label) in x.outer_iter().zip(labels.iter()) {
            let e = explain(&model, row, &names).unwrap();
            assert_eq!(e.segment, label);
            assert!(e.margin.unwrap() >= 0.0);
            let r = e.runner_up.unwrap();
            let total: f64 = e.contributions.iter().map(|c| c.pull).sum();
            let expected = e.distances[r].powi(2) - e.distances[e.segment].powi(2);
            assert!((total - expected).abs() < 1e-9);
        }
    }

    #[test]
    fn bad_input() {
        let centres = array![[0.0, 0.0]];
        assert!(matches!(
            explain(&centres, array![1.0].view(), &[]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            explain(&centres, array![1.0, f64::NAN].view(), &[]),
            Err(Error::NonFiniteValue { column: 1, .. })
        ));
        let single = explain(&centres, array![1.0, 1.0].view(), &[]).unwrap();
        assert_eq!(single.runner_up, None);
        assert_eq!(single.margin, None);
    }

    /// Three elongated, correlated groups in 3-D, so full and tied covariances matter.
    fn mixture_data() -> Array2<f64> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let centres = [[0.0, 0.0, 0.0], [4.0, 1.0, -1.0], [1.0, 5.0, 2.0]];
        let mut x = Array2::zeros((90, 3));
        for (i, mut row) in x.outer_iter_mut().enumerate() {
            let c = centres[i % 3];
            let (a, b, e): (f64, f64, f64) = (rng.r#gen(), rng.r#gen(), rng.r#gen());
            row[0] = c[0] + 2.0 * a - 1.0;
            row[1] = c[1] + (2.0 * a - 1.0) * 0.8 + (b - 0.5) * (1.0 + (i % 3) as f64);
            row[2] = c[2] + e - 0.5;
        }
        x
    }

    /// `ln p(s | x) - ln p(r | x)` from the model's own `predict_proba` (the oracle).
    fn log_odds(model: &GaussianMixture<f64>, x: &[f64], s: usize, r: usize) -> f64 {
        let row = Array2::from_shape_vec((1, x.len()), x.to_vec()).unwrap();
        let p = model.predict_proba(row.view()).unwrap();
        p[[0, s]].ln() - p[[0, r]].ln()
    }

    #[test]
    fn mixture_attribution_matches_log_odds_and_finite_differences() {
        use crate::cluster::gmm::{CovarianceType, GaussianMixtureParams};
        let x = mixture_data();
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        for kind in CovarianceType::ALL {
            let model = GaussianMixtureParams::new(3)
                .covariance_type(kind)
                .random_state(7)
                .fit(x.view(), None)
                .unwrap();
            let labels = model.predict(x.view()).unwrap();
            let proba = model.predict_proba(x.view()).unwrap();
            // Customers between groups, where both posteriors are far from 0 and 1.
            let probes = [[2.0, 0.5, -0.5], [0.6, 2.4, 1.0], [2.4, 3.0, 0.5]];
            for (i, row) in x.outer_iter().enumerate().take(12) {
                let e = explain_mixture(&model, row, &names).unwrap();
                assert_eq!(e.segment, labels[i], "{kind:?} row {i}");
                let p = e.probabilities.as_ref().unwrap();
                for (c, &v) in p.iter().enumerate() {
                    assert!((v - proba[[i, c]]).abs() < 1e-9, "{kind:?}");
                }
            }
            for probe in probes {
                let e =
                    explain_mixture(&model, array![probe[0], probe[1], probe[2]].view(), &names)
                        .unwrap();
                let (s, r) = (e.segment, e.runner_up.unwrap());
                let margin = e.margin.unwrap();
                // Log-likelihood-ratio oracle: the margin is the posterior log-odds.
                let oracle = log_odds(&model, &probe, s, r);
                assert!(
                    (margin - oracle).abs() < 1e-7,
                    "{kind:?}: {margin} vs {oracle}"
                );
                assert!(margin >= 0.0);
                let pulls: f64 = e.contributions.iter().map(|c| c.pull).sum();
                let baseline = e.baseline_log_odds.unwrap();
                assert!((pulls + baseline - margin).abs() < 1e-7, "{kind:?}");
                // Finite-difference oracle: integrate dg/dx_j along the straight path from the
                // midpoint of the two means to the customer (midpoint rule, central differences
                // of predict_proba's log-odds).
                let centre = |c: usize, j: usize| model.means()[[c, j]];
                let b: Vec<f64> = (0..3)
                    .map(|j| 0.5 * (centre(s, j) + centre(r, j)))
                    .collect();
                assert!(
                    (log_odds(&model, &b, s, r) - baseline).abs() < 1e-7,
                    "{kind:?}"
                );
                let steps = 50;
                let h = 1e-5;
                for (j, name) in names.iter().enumerate() {
                    let mut integral = 0.0;
                    for t in 0..steps {
                        let alpha = (t as f64 + 0.5) / steps as f64;
                        let mut z: Vec<f64> =
                            (0..3).map(|i| b[i] + alpha * (probe[i] - b[i])).collect();
                        z[j] += h;
                        let up = log_odds(&model, &z, s, r);
                        z[j] -= 2.0 * h;
                        let down = log_odds(&model, &z, s, r);
                        integral += (up - down) / (2.0 * h) / steps as f64;
                    }
                    let expected = (probe[j] - b[j]) * integral;
                    let pull = e
                        .contributions
                        .iter()
                        .find(|c| &c.feature == name)
                        .unwrap()
                        .pull;
                    assert!(
                        (pull - expected).abs() < 1e-4 * (1.0 + expected.abs()),
                        "{kind:?} feature {name}: pull {pull} vs finite differences {expected}"
                    );
                }
            }
        }
    }

    #[test]
    fn mixture_single_component_and_bad_input() {
        use crate::cluster::gmm::GaussianMixtureParams;
        let x = mixture_data();
        let one = GaussianMixtureParams::new(1).fit(x.view(), None).unwrap();
        let e = explain_mixture(&one, array![1.0, 1.0, 1.0].view(), &[]).unwrap();
        assert_eq!((e.segment, e.runner_up, e.margin), (0, None, None));
        assert_eq!(e.probabilities, Some(vec![1.0]));
        assert!(e.contributions.iter().all(|c| c.pull == 0.0));
        assert!(matches!(
            explain_mixture(&one, array![1.0, 1.0].view(), &[]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            explain_mixture(&one, array![1.0, f64::INFINITY, 0.0].view(), &[]),
            Err(Error::NonFiniteValue { column: 1, .. })
        ));
        // A customer far from every component: densities underflow, posteriors stay finite.
        let two = GaussianMixtureParams::new(2)
            .random_state(0)
            .fit(x.mapv(|v| v as f32).view(), None)
            .unwrap();
        let far = explain_mixture(&two, array![1e4, -1e4, 1e4].view(), &[]).unwrap();
        let p = far.probabilities.unwrap();
        assert!(p.iter().all(|v| v.is_finite()) && (p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(far.margin.unwrap().is_finite());
    }

    #[test]
    fn explanations_without_mixture_fields_still_load() {
        let old =
            r#"{"segment":1,"runner_up":0,"distances":[2.0,1.0],"margin":1.0,"contributions":[]}"#;
        let e: Explanation = serde_json::from_str(old).unwrap();
        assert_eq!((e.probabilities, e.baseline_log_odds), (None, None));
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Explanation>();
    }
}
