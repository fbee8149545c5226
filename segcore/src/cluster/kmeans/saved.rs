//! k-means and mini-batch k-means models as segcore model documents ([`crate::persist`]).

use super::{KMeans, MiniBatchKMeans, MiniBatchKMeansParams};
use crate::error::Result;
use crate::persist::{invalid, SavedModel};
use crate::Float;

impl<F: Float + serde::Serialize + serde::de::DeserializeOwned> SavedModel for KMeans<F> {
    /// `"kmeans-f64"` or `"kmeans-f32"`: the float type is part of the model.
    fn kind() -> String {
        format!("kmeans-{}", std::any::type_name::<F>())
    }

    fn validate(&self) -> Result<()> {
        let k = self.centers.nrows();
        if k == 0 || self.centers.ncols() == 0 {
            return Err(invalid("k-means", "it has no centers"));
        }
        if !self.centers.iter().all(|v| v.is_finite()) {
            return Err(invalid("k-means", "a center is not finite"));
        }
        if !(self.inertia.is_finite() && self.inertia >= F::zero()) {
            return Err(invalid(
                "k-means",
                "the inertia is not a finite number >= 0",
            ));
        }
        if self.labels.iter().any(|&label| label >= k) {
            return Err(invalid("k-means", "a label is not a cluster"));
        }
        Ok(())
    }
}

impl<F: Float + serde::Serialize + serde::de::DeserializeOwned> SavedModel for MiniBatchKMeans<F> {
    /// `"minibatch-kmeans-f64"` or `"minibatch-kmeans-f32"`.
    fn kind() -> String {
        format!("minibatch-kmeans-{}", std::any::type_name::<F>())
    }

    fn validate(&self) -> Result<()> {
        MiniBatchKMeansParams(self.params.clone()).check()?;
        let (k, d) = self.centers.dim();
        if k == 0 || d == 0 || k != self.params.n_clusters {
            return Err(invalid(
                "mini-batch k-means",
                "the centers do not match n_clusters",
            ));
        }
        if self.counts.len() != k || self.offset.len() != d {
            return Err(invalid(
                "mini-batch k-means",
                "counts or offset have the wrong length",
            ));
        }
        let finite = self
            .centers
            .iter()
            .chain(&self.counts)
            .chain(&self.offset)
            .all(|v| v.is_finite());
        if !finite || !self.inertia.is_finite() || self.counts.iter().any(|&c| c < F::zero()) {
            return Err(invalid(
                "mini-batch k-means",
                "a value is not finite (or a count < 0)",
            ));
        }
        if let Some(labels) = &self.labels {
            if labels.iter().any(|&l| l >= k) {
                return Err(invalid("mini-batch k-means", "a label is not a cluster"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::cluster::kmeans::{KMeans, KMeansParams};
    use crate::persist;
    use ndarray::array;

    #[test]
    fn roundtrip_keeps_predictions_and_dtype() {
        let x = array![[0.0f32, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
        let model = KMeansParams::new(2)
            .random_state(3)
            .fit(x.view(), None)
            .unwrap();
        let document = persist::to_json(&model).unwrap();
        assert_eq!(persist::document_kind(&document).unwrap(), "kmeans-f32");
        let loaded: KMeans<f32> = persist::from_json(&document).unwrap();
        assert_eq!(loaded, model);
        assert_eq!(
            loaded.predict(x.view()).unwrap(),
            model.predict(x.view()).unwrap()
        );
        assert!(persist::from_json::<KMeans<f64>>(&document).is_err());
    }

    #[test]
    fn inconsistent_models_are_refused() {
        let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
        let model = KMeansParams::new(2)
            .random_state(3)
            .fit(x.view(), None)
            .unwrap();
        let mut bad = model.clone();
        bad.labels[0] = 7;
        let document = persist::to_json(&bad).unwrap();
        let err = persist::from_json::<KMeans<f64>>(&document).unwrap_err();
        assert!(
            err.to_string().contains("a label is not a cluster"),
            "{err}"
        );
        let mut bad = model;
        bad.centers = ndarray::Array2::zeros((0, 2));
        let document = persist::to_json(&bad).unwrap();
        assert!(persist::from_json::<KMeans<f64>>(&document).is_err());
    }
}
