//! Serving: load any saved model and assign customers, whatever algorithm produced it.
//!
//! This is the top of the crate: it names every model type that can assign customers, so no
//! lower module has to. The document envelope itself (format, version, kind, size limit) is
//! [`crate::persist`], at the bottom. A model type becomes loadable here by one line in
//! its table of loaders; everything else goes through [`FittedClusterer`], the face every fitted
//! clustering model (and the [`Segmenter`]) shares.

use crate::cluster::gmm::GaussianMixture;
use crate::cluster::kmeans::{KMeans, MiniBatchKMeans};
use crate::cluster::ward::Ward;
use crate::cluster::FittedClusterer;
use crate::error::{Error, Result};
use crate::persist::{self, SavedModel};
use crate::segmenter::{Assignment, Segmenter};
use std::path::Path;

type Loader = fn(&str) -> Result<Box<dyn FittedClusterer>>;
/// A model kind (`SavedModel::kind`) and the loader of its documents.
type KindLoader = (fn() -> String, Loader);

fn loader<T: SavedModel + FittedClusterer>(document: &str) -> Result<Box<dyn FittedClusterer>> {
    Ok(Box::new(persist::from_json::<T>(document)?))
}

/// Every model kind that can assign customers, with its loader.
const LOADERS: &[KindLoader] = &[
    (KMeans::<f64>::kind, loader::<KMeans<f64>>),
    (KMeans::<f32>::kind, loader::<KMeans<f32>>),
    (Ward::kind, loader::<Ward>),
    (MiniBatchKMeans::<f64>::kind, loader::<MiniBatchKMeans<f64>>),
    (MiniBatchKMeans::<f32>::kind, loader::<MiniBatchKMeans<f32>>),
    (GaussianMixture::<f64>::kind, loader::<GaussianMixture<f64>>),
    (GaussianMixture::<f32>::kind, loader::<GaussianMixture<f32>>),
    (Segmenter::kind, loader::<Segmenter>),
];

/// Any saved clustering model, loaded by its document's `kind`: what a service that assigns
/// customers needs when it should not care which algorithm produced the segmentation.
///
/// ```
/// use ndarray::array;
/// use segcore::cluster::kmeans::KMeansParams;
/// use segcore::persist;
/// use segcore::serve::AnyModel;
///
/// let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
/// let document = persist::to_json(&KMeansParams::new(2).random_state(0).fit(x.view(), None)?)?;
/// let model = AnyModel::from_json(&document)?;
/// assert_eq!((model.n_features(), model.n_segments()), (2, 2));
/// let segment = model.predict_one(&[5.0, 4.9])?;
/// assert_eq!(segment, model.predict_one(&[5.1, 5.0])?);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug)]
pub struct AnyModel {
    kind: String,
    model: Box<dyn FittedClusterer>,
}

impl AnyModel {
    /// Loads any supported model document (see [`persist::from_json`] for the checks).
    pub fn from_json(document: &str) -> Result<AnyModel> {
        let kind = persist::document_kind(document)?;
        let Some((_, load)) = LOADERS.iter().find(|(kind_of, _)| kind_of() == kind) else {
            return Err(Error::ModelFormat {
                reason: format!(
                    "model kind {kind:?} cannot assign customers (expected a segmenter, k-means, \
                     mini-batch k-means, Ward or Gaussian mixture document)"
                ),
            });
        };
        Ok(AnyModel {
            model: load(document)?,
            kind,
        })
    }

    /// Reads a model file written by [`persist::save`] or from Python.
    pub fn load(path: impl AsRef<Path>) -> Result<AnyModel> {
        AnyModel::from_json(&persist::read_document(path)?)
    }

    /// The document's kind, e.g. `"kmeans-f64"` or `"segmenter"`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The loaded model through the face every clusterer shares.
    pub fn clusterer(&self) -> &dyn FittedClusterer {
        self.model.as_ref()
    }

    /// The loaded model as its own type, when it is a `T` (e.g. `GaussianMixture<f64>`).
    pub fn downcast_ref<T: FittedClusterer>(&self) -> Option<&T> {
        self.model.as_any().downcast_ref()
    }

    /// The loaded model when it is a whole [`Segmenter`].
    pub fn as_segmenter(&self) -> Option<&Segmenter> {
        self.downcast_ref()
    }

    /// Number of features a customer must have in [`predict`](Self::predict) (for a Segmenter:
    /// its model space; [`predict_record`](Self::predict_record) takes its input columns).
    pub fn n_features(&self) -> usize {
        self.model.n_features()
    }

    /// Number of segments.
    pub fn n_segments(&self) -> usize {
        self.model.n_segments()
    }

    /// Segment of every row of `x` (the fitted model's `predict`; for a Segmenter, rows already
    /// in its model space, [`feature_names_out`](Segmenter::feature_names_out)).
    pub fn predict(&self, x: ndarray::ArrayView2<f64>) -> Result<ndarray::Array1<usize>> {
        self.model.predict(x)
    }

    /// Segment of one customer's feature vector (checked for length and finiteness).
    pub fn predict_one(&self, features: &[f64]) -> Result<usize> {
        let row = ndarray::ArrayView2::from_shape((1, features.len()), features)
            .expect("a slice is one contiguous row");
        Ok(self.predict(row)?[0])
    }

    /// One customer as a service receives it: for a Segmenter the columns of its input table
    /// ([`Segmenter::predict_record`]: segment, name, mixture probabilities, or the reason it
    /// cannot be assigned); for the other models `"features"`, an array of
    /// [`n_features`](Self::n_features) numbers in the model's order (segment only). Other keys
    /// are ignored.
    ///
    /// ```
    /// use ndarray::array;
    /// use segcore::cluster::kmeans::KMeansParams;
    /// use segcore::persist;
    /// use segcore::serve::AnyModel;
    ///
    /// let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
    /// let document = persist::to_json(&KMeansParams::new(2).random_state(0).fit(x.view(), None)?)?;
    /// let model = AnyModel::from_json(&document)?;
    /// let record = serde_json::json!({"id": "C1", "features": [5.0, 4.9]});
    /// let assigned = model.predict_record(record.as_object().unwrap())?;
    /// assert_eq!(assigned.segment, Some(model.predict_one(&[5.1, 5.0])?));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn predict_record(
        &self,
        record: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Assignment> {
        if let Some(segmenter) = self.as_segmenter() {
            return segmenter.predict_record(record);
        }
        let features: Option<Vec<f64>> = record
            .get("features")
            .and_then(serde_json::Value::as_array)
            .and_then(|values| values.iter().map(serde_json::Value::as_f64).collect());
        let Some(features) = features else {
            return Err(Error::ColumnType {
                name: "features".into(),
                expected: "an array of numbers".into(),
                actual: record
                    .get("features")
                    .map_or("nothing".into(), |v| format!("the JSON value {v}")),
            });
        };
        Ok(Assignment {
            segment: Some(self.predict_one(&features)?),
            name: None,
            probabilities: None,
            uncertainty: None,
            reason: None,
            extreme: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ward::WardParams;
    use crate::persist::to_json;
    use ndarray::array;

    fn ward() -> Ward {
        let x = array![[0.0, 0.0], [0.2, 0.0], [5.0, 5.0], [5.2, 5.0], [9.0, 0.0]];
        WardParams::new(2).fit(x.view(), None).unwrap()
    }

    /// A Segmenter of 3 segments fitted on `n_customers` generated B2B customers, and their data.
    fn segmenter_of(
        n_customers: usize,
    ) -> (crate::datasets::B2bDataset, crate::segmenter::Segmenter) {
        use crate::datasets::{make_b2b, B2bParams};
        use crate::segmenter::{NClusters, SegmenterParams};
        let data = make_b2b(&B2bParams {
            n_customers,
            ..B2bParams::default()
        })
        .unwrap();
        let fitted = SegmenterParams::new()
            .n_clusters(NClusters::Fixed(3))
            .fit(&data.customers, Some(&data.transactions))
            .unwrap();
        (data, fitted)
    }

    #[test]
    fn every_loadable_kind_is_listed_once() {
        let mut kinds: Vec<String> = LOADERS.iter().map(|(kind, _)| kind()).collect();
        let n = kinds.len();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), n);
    }

    #[test]
    fn any_model_assigns_like_the_model_it_loads() {
        use crate::cluster::gmm::GaussianMixtureParams;
        use crate::cluster::kmeans::{KMeansParams, MiniBatchKMeansParams};
        let x = crate::testing::three_groups();
        let x32 = x.mapv(|v| v as f32);
        let documents = [
            to_json(
                &KMeansParams::new(3)
                    .random_state(0)
                    .fit(x.view(), None)
                    .unwrap(),
            ),
            to_json(
                &KMeansParams::new(3)
                    .random_state(0)
                    .fit(x32.view(), None)
                    .unwrap(),
            ),
            to_json(&WardParams::new(3).fit(x.view(), None).unwrap()),
            to_json(
                &MiniBatchKMeansParams::new(3)
                    .random_state(0)
                    .fit(x.view(), None)
                    .unwrap(),
            ),
            to_json(
                &GaussianMixtureParams::new(3)
                    .random_state(0)
                    .fit(x.view(), None)
                    .unwrap(),
            ),
        ];
        for document in documents {
            let document = document.unwrap();
            let model = AnyModel::from_json(&document).unwrap();
            assert_eq!((model.n_features(), model.n_segments()), (2, 3));
            let labels = model.predict(x.view()).unwrap();
            // Three well-separated groups of three: each group gets one segment of its own.
            for group in labels.as_slice().unwrap().chunks(3) {
                assert!(
                    group.iter().all(|&l| l == group[0]),
                    "{document:.40}: {labels}"
                );
            }
            assert_eq!(model.predict_one(&[5.0, 5.0]).unwrap(), labels[3]);
            assert!(model.predict_one(&[5.0]).is_err());
        }
        let scaler = crate::preprocessing::StandardScalerParams::default()
            .fit(x.view(), None)
            .unwrap();
        let err = AnyModel::from_json(&to_json(&scaler).unwrap()).unwrap_err();
        assert!(err.to_string().contains("cannot assign customers"), "{err}");
    }

    #[test]
    fn any_model_loads_segmenter_documents() {
        let (data, fitted) = segmenter_of(200);
        let model = AnyModel::from_json(&to_json(&fitted).unwrap()).unwrap();
        assert_eq!(model.n_segments(), 3);
        assert_eq!(model.n_features(), fitted.feature_names_out().len());
        // predict takes model-space rows: the training rows give the training labels.
        let x = fitted
            .transform(&data.customers, Some(&data.transactions))
            .unwrap();
        let assignable: Vec<usize> = (0..x.nrows())
            .filter(|&r| x.row(r).iter().all(|v| v.is_finite()))
            .collect();
        assert!(assignable.len() > 150);
        let rows = x.select(ndarray::Axis(0), &assignable);
        let labels = model.predict(rows.view()).unwrap();
        for (i, &r) in assignable.iter().enumerate() {
            assert_eq!(labels[i], fitted.labels()[r], "row {r}");
        }
        // predict_record takes raw columns, as the Segmenter itself.
        let mut record = serde_json::Map::new();
        for name in fitted.feature_names_in() {
            let value = if name == "industry" {
                serde_json::json!("retail")
            } else if ["employee_size_class", "region"].contains(&name.as_str()) {
                serde_json::Value::Null
            } else {
                serde_json::json!(12.0)
            };
            record.insert(name.clone(), value);
        }
        assert_eq!(
            model.predict_record(&record).unwrap(),
            fitted.predict_record(&record).unwrap()
        );
        // Plain models read "features".
        let ward = AnyModel::from_json(&to_json(&ward()).unwrap()).unwrap();
        let record = serde_json::json!({"id": 1, "features": [5.1, 5.0]});
        let a = ward.predict_record(record.as_object().unwrap()).unwrap();
        assert_eq!(a.segment, Some(ward.predict_one(&[5.1, 5.0]).unwrap()));
        let bad = serde_json::json!({"features": ["x"]});
        assert!(matches!(
            ward.predict_record(bad.as_object().unwrap()),
            Err(Error::ColumnType { .. })
        ));
    }

    #[test]
    fn segmenter_documents_from_before_the_shared_pipeline_envelope_load() {
        let (_, fitted) = segmenter_of(120);
        let mut document: serde_json::Value =
            serde_json::from_str(&to_json(&fitted).unwrap()).unwrap();
        let pipeline = document["model"]["pipeline"].as_object_mut().unwrap();
        pipeline.insert("format".into(), "segcore.FeaturePipeline".into());
        pipeline.insert("format_version".into(), 1.into());
        let old = document.to_string();
        let loaded = AnyModel::from_json(&old).unwrap();
        assert_eq!(loaded.as_segmenter(), Some(&fitted));
        // Any other value there is an unknown field, as before.
        document["model"]["pipeline"]["format_version"] = 2.into();
        let err = AnyModel::from_json(&document.to_string()).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}
