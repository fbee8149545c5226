//! One face for every fitted clustering model: features in, segments out.
//!
//! [`FittedClusterer`] is what the Segmenter, the model loader (`serve::AnyModel`) and
//! the Python binding need from a fitted model whatever its algorithm and float type: its input
//! width, its number of segments, its segment centres, and the segment (plus, for soft models,
//! the membership probabilities) of new rows given as `f64`. A model fitted on `f32` rounds the
//! rows to `f32` first, exactly as its own `predict` would see them.
//!
//! Invariant: [`FittedClusterer::assign`] gives the labels of the model's own `predict`, so a
//! caller may use either without changing a segment.

use super::gmm::GaussianMixture;
use super::kmeans::{KMeans, MiniBatchKMeans};
use super::ward::Ward;
use crate::error::Result;
use linfa::Float;
use ndarray::{Array1, Array2, ArrayView2};
use std::any::Any;

/// Segments (and, for soft models, membership probabilities) of a batch of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Assigned {
    /// Segment of every row.
    pub labels: Array1<usize>,
    /// Membership probabilities (rows x segments) for models that have them.
    pub probabilities: Option<Array2<f64>>,
}

/// A fitted clustering model seen through its common face.
///
/// ```
/// use ndarray::array;
/// use segcore::cluster::kmeans::KMeansParams;
/// use segcore::cluster::FittedClusterer;
///
/// let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
/// let model = KMeansParams::new(2).random_state(0).fit(x.view(), None)?;
/// let clusterer: &dyn FittedClusterer = &model;
/// assert_eq!((clusterer.n_features(), clusterer.n_segments()), (2, 2));
/// assert_eq!(clusterer.predict(x.view())?, model.predict(x.view())?);
/// # Ok::<(), segcore::Error>(())
/// ```
pub trait FittedClusterer: std::fmt::Debug + Send + Sync + Any {
    /// Number of features a row must have.
    fn n_features(&self) -> usize;

    /// Number of segments.
    fn n_segments(&self) -> usize;

    /// Segment centres (k-means centres, Ward segment centroids, mixture means), segments x
    /// features.
    fn centroids(&self) -> Array2<f64>;

    /// Segment of every row, with membership probabilities for soft models, in one pass.
    fn assign(&self, x: ArrayView2<f64>) -> Result<Assigned>;

    /// Segment of every row of `x` (the model's own `predict`).
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array1<usize>> {
        Ok(self.assign(x)?.labels)
    }

    /// The model itself, for callers that need its own type (e.g. a mixture's explanation).
    fn as_any(&self) -> &dyn Any;
}

/// The float types a model is fitted on: rows arrive as `f64` and are seen as the model's type
/// (borrowed for `f64`, rounded for `f32`).
pub trait ModelFloat: Float {
    /// Runs `f` on `x` in this float type.
    fn with_rows<T>(x: ArrayView2<'_, f64>, f: impl FnOnce(ArrayView2<'_, Self>) -> T) -> T;
}

impl ModelFloat for f64 {
    fn with_rows<T>(x: ArrayView2<'_, f64>, f: impl FnOnce(ArrayView2<'_, f64>) -> T) -> T {
        f(x)
    }
}

impl ModelFloat for f32 {
    fn with_rows<T>(x: ArrayView2<'_, f64>, f: impl FnOnce(ArrayView2<'_, f32>) -> T) -> T {
        f(x.mapv(|v| v as f32).view())
    }
}

fn to_f64<F: Float>(a: ArrayView2<'_, F>) -> Array2<f64> {
    a.mapv(|v| v.to_f64().expect("every float converts to f64"))
}

macro_rules! hard_clusterer {
    ($model:ty, $segments:ident, $centroids:ident, $float:ty $(, $generic:ident)?) => {
        impl$(<$generic: ModelFloat>)? FittedClusterer for $model {
            fn n_features(&self) -> usize {
                self.n_features()
            }
            fn n_segments(&self) -> usize {
                self.$segments()
            }
            fn centroids(&self) -> Array2<f64> {
                to_f64(self.$centroids())
            }
            fn assign(&self, x: ArrayView2<f64>) -> Result<Assigned> {
                let labels = <$float as ModelFloat>::with_rows(x, |rows| self.predict(rows))?;
                Ok(Assigned { labels, probabilities: None })
            }
            fn as_any(&self) -> &dyn Any {
                self
            }
        }
    };
}

hard_clusterer!(KMeans<F>, n_clusters, cluster_centers, F, F);
hard_clusterer!(MiniBatchKMeans<F>, n_clusters, cluster_centers, F, F);
hard_clusterer!(Ward, n_clusters, centroids, f64);

impl<F: ModelFloat> FittedClusterer for GaussianMixture<F> {
    fn n_features(&self) -> usize {
        self.n_features()
    }
    fn n_segments(&self) -> usize {
        self.n_components()
    }
    fn centroids(&self) -> Array2<f64> {
        to_f64(self.means())
    }
    /// One scoring pass: the label is the mixture's own rule (most probable, first on ties)
    /// applied to these probabilities, not a second `predict` pass.
    fn assign(&self, x: ArrayView2<f64>) -> Result<Assigned> {
        let probabilities = F::with_rows(x, |rows| self.predict_proba(rows))?;
        Ok(Assigned {
            labels: super::gmm::most_probable(probabilities.view()),
            probabilities: Some(to_f64(probabilities.view())),
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::gmm::GaussianMixtureParams;
    use crate::cluster::kmeans::{KMeansParams, MiniBatchKMeansParams};
    use crate::cluster::ward::WardParams;

    #[test]
    fn every_model_assigns_like_its_own_predict() {
        let x = crate::testing::three_groups();
        let x32 = x.mapv(|v| v as f32);
        let kmeans = KMeansParams::new(3).random_state(0);
        let models: Vec<(Box<dyn FittedClusterer>, Array1<usize>)> = vec![
            {
                let m = kmeans.fit(x.view(), None).unwrap();
                let own = m.predict(x.view()).unwrap();
                (Box::new(m), own)
            },
            {
                let m = kmeans.fit(x32.view(), None).unwrap();
                let own = m.predict(x32.view()).unwrap();
                (Box::new(m), own)
            },
            {
                let m = MiniBatchKMeansParams::new(3)
                    .random_state(0)
                    .fit(x.view(), None)
                    .unwrap();
                let own = m.predict(x.view()).unwrap();
                (Box::new(m), own)
            },
            {
                let m = WardParams::new(3).fit(x.view(), None).unwrap();
                let own = m.predict(x.view()).unwrap();
                (Box::new(m), own)
            },
            {
                let m = GaussianMixtureParams::new(3)
                    .random_state(0)
                    .fit(x.view(), None)
                    .unwrap();
                let own = m.predict(x.view()).unwrap();
                (Box::new(m), own)
            },
        ];
        for (model, own) in models {
            assert_eq!((model.n_features(), model.n_segments()), (2, 3));
            assert_eq!(model.centroids().dim(), (3, 2));
            let assigned = model.assign(x.view()).unwrap();
            assert_eq!(assigned.labels, own, "{model:?}");
            assert_eq!(model.predict(x.view()).unwrap(), own);
            if let Some(p) = assigned.probabilities {
                assert_eq!(p.dim(), (9, 3));
            }
            assert!(model
                .predict(x.column(0).insert_axis(ndarray::Axis(1)))
                .is_err());
        }
    }

    #[test]
    fn the_trait_object_is_send_and_sync() {
        fn check<T: Send + Sync + ?Sized>() {}
        check::<dyn FittedClusterer>();
        check::<Assigned>();
    }
}
