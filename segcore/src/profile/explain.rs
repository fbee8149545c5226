//! Why is this customer in this segment? Distances to every segment centre, the features that
//! pull the customer towards its segment and away from the runner-up, and the margin.
//!
//! Works for any model that assigns customers to the nearest of a set of centres in its feature
//! space ([`CentroidModel`]: k-means now; Ward's cluster means and mixture means plug in the same
//! way, with probabilities for mixtures to come).

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

/// Explanation of one customer's assignment; see [`explain`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Assigned (nearest) segment.
    pub segment: usize,
    /// Second-nearest segment (`None` with a single segment).
    pub runner_up: Option<usize>,
    /// Euclidean distance to every segment centre, by label.
    pub distances: Vec<f64>,
    /// `distance(runner-up) - distance(segment)`: how far the customer is from switching.
    pub margin: Option<f64>,
    /// Every feature, strongest pull towards the segment first.
    pub contributions: Vec<FeatureContribution>,
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

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Explanation>();
    }
}
