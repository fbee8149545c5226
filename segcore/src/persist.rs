//! Saved models: one versioned JSON document per fitted model, the same in Rust and Python.
//!
//! A document is an envelope around the model's serde form:
//!
//! ```json
//! {"format": "segcore-model", "format_version": 1, "segcore_version": "0.1.0",
//!  "kind": "kmeans-f64", "model": { ... }}
//! ```
//!
//! Loading never executes code (unlike pickle) and checks, in order: the size (at most
//! [`MAX_DOCUMENT_BYTES`]), that the text is JSON with exactly these fields, the format name, the
//! format version (documents from a newer segcore are refused with a message saying so), the
//! kind (a Ward document does not load as k-means), the model's serde form (unknown or missing
//! fields, wrong types; JSON has no NaN or infinity, so non-finite numbers cannot be smuggled in),
//! and finally the model's own invariants ([`SavedModel::validate`]: shapes that agree, labels in
//! range, finite values). Every failure is [`Error::ModelFormat`] saying which check failed.
//!
//! Python's pickling of segcore models goes through the same documents, so a model pickled in a
//! notebook, saved with `model.save(path)` or written by a Rust service loads identically
//! everywhere.

use crate::error::{Error, Result};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `format` field of every segcore model document.
pub const FORMAT: &str = "segcore-model";

/// The document layout version this segcore writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Documents larger than this (1 GiB) are refused before parsing: a 1,000,000-customer Ward
/// model is about 0.5 GB; anything bigger is more likely hostile or corrupt than a model.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 30;

/// A fitted model that can be saved as a segcore model document.
pub trait SavedModel: Serialize + DeserializeOwned {
    /// The document's `kind`, e.g. `"kmeans-f64"`: names the model type (and its float type).
    fn kind() -> String;

    /// Checks the invariants serde cannot (shapes agree, labels in range, values finite), so a
    /// loaded model can never panic or mislead later. Called by [`from_json`] after parsing.
    fn validate(&self) -> Result<()>;
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    format: &'static str,
    format_version: u32,
    segcore_version: &'static str,
    kind: String,
    model: &'a T,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeIn<T> {
    format: String,
    format_version: u32,
    segcore_version: String,
    kind: String,
    model: T,
}

fn format_error(reason: impl Into<String>) -> Error {
    Error::ModelFormat {
        reason: reason.into(),
    }
}

/// The model as a segcore model document (JSON text).
///
/// ```
/// use ndarray::array;
/// use segcore::cluster::ward::{Ward, WardParams};
/// use segcore::persist;
///
/// let x = array![[0.0, 0.0], [0.2, 0.0], [5.0, 5.0], [5.2, 5.0]];
/// let model = WardParams::new(2).fit(x.view(), None)?;
/// let document = persist::to_json(&model)?;
/// assert!(document.starts_with(r#"{"format":"segcore-model","format_version":1"#));
/// let loaded: Ward = persist::from_json(&document)?;
/// assert_eq!(loaded, model);
/// // A document of another kind is refused with a clear error.
/// assert!(persist::from_json::<segcore::cluster::kmeans::KMeans<f64>>(&document).is_err());
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn to_json<T: SavedModel>(model: &T) -> Result<String> {
    serde_json::to_string(&EnvelopeOut {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        segcore_version: env!("CARGO_PKG_VERSION"),
        kind: T::kind(),
        model,
    })
    .map_err(|e| format_error(format!("cannot serialise the model: {e}")))
}

/// The `kind` of a document, checked for size, format and version but without parsing the model
/// (to choose the type to load, e.g. float32 or float64).
pub fn document_kind(document: &str) -> Result<String> {
    Ok(parse_header(document)?.kind)
}

fn parse_header(document: &str) -> Result<EnvelopeIn<IgnoredAny>> {
    parse_header_with_limit(document, MAX_DOCUMENT_BYTES)
}

fn parse_header_with_limit(document: &str, limit: usize) -> Result<EnvelopeIn<IgnoredAny>> {
    if document.len() > limit {
        return Err(format_error(format!(
            "the document has {} bytes, more than the limit of {limit}",
            document.len()
        )));
    }
    let header: EnvelopeIn<IgnoredAny> = serde_json::from_str(document).map_err(|e| {
        format_error(format!(
            "not a segcore model document (expected JSON with the fields format, \
             format_version, segcore_version, kind, model): {e}"
        ))
    })?;
    if header.format != FORMAT {
        return Err(format_error(format!(
            "format is {:?}, expected {FORMAT:?}",
            header.format
        )));
    }
    if header.format_version == 0 || header.format_version > FORMAT_VERSION {
        return Err(format_error(format!(
            "format_version {} was written by segcore {}; this segcore ({}) reads versions 1 to \
             {FORMAT_VERSION}: upgrade segcore to load it",
            header.format_version,
            header.segcore_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(header)
}

/// Loads a model from a segcore model document, checking everything listed in the
/// [module documentation](self).
pub fn from_json<T: SavedModel>(document: &str) -> Result<T> {
    let header = parse_header(document)?;
    let expected = T::kind();
    if header.kind != expected {
        return Err(format_error(format!(
            "the document holds a {:?} model, not {expected:?}",
            header.kind
        )));
    }
    let envelope: EnvelopeIn<T> = serde_json::from_str(document)
        .map_err(|e| format_error(format!("the {expected} model is malformed: {e}")))?;
    envelope.model.validate()?;
    Ok(envelope.model)
}

/// Writes the model's document to `path`.
pub fn save<T: SavedModel>(model: &T, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    std::fs::write(path, to_json(model)?).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Reads a model saved with [`save`] (or from Python).
pub fn load<T: SavedModel>(path: impl AsRef<Path>) -> Result<T> {
    let path = path.as_ref();
    let io_error = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io_error)?.len();
    if size > MAX_DOCUMENT_BYTES as u64 {
        return Err(format_error(format!(
            "{} has {size} bytes, more than the limit of {MAX_DOCUMENT_BYTES}",
            path.display()
        )));
    }
    from_json(&std::fs::read_to_string(path).map_err(io_error)?)
}

/// Any saved clustering model, loaded by its document's `kind`: what a service that assigns
/// customers needs when it should not care which algorithm produced the segmentation.
///
/// ```
/// use ndarray::array;
/// use segcore::cluster::kmeans::KMeansParams;
/// use segcore::persist::{self, AnyModel};
///
/// let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
/// let document = persist::to_json(&KMeansParams::new(2).random_state(0).fit(x.view(), None)?)?;
/// let model = AnyModel::from_json(&document)?;
/// assert_eq!((model.n_features(), model.n_segments()), (2, 2));
/// let segment = model.predict_one(&[5.0, 4.9])?;
/// assert_eq!(segment, model.predict_one(&[5.1, 5.0])?);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyModel {
    /// k-means fitted on float64.
    KMeansF64(crate::cluster::kmeans::KMeans<f64>),
    /// k-means fitted on float32 (features are rounded to float32 before assignment).
    KMeansF32(crate::cluster::kmeans::KMeans<f32>),
    /// Ward: new customers go to the nearest segment centroid.
    Ward(crate::cluster::ward::Ward),
    /// Mini-batch k-means fitted on float64.
    MiniBatchKMeansF64(crate::cluster::kmeans::MiniBatchKMeans<f64>),
    /// Mini-batch k-means fitted on float32.
    MiniBatchKMeansF32(crate::cluster::kmeans::MiniBatchKMeans<f32>),
    /// Gaussian mixture fitted on float64: the most probable component.
    GaussianMixtureF64(crate::cluster::gmm::GaussianMixture<f64>),
    /// Gaussian mixture fitted on float32.
    GaussianMixtureF32(crate::cluster::gmm::GaussianMixture<f32>),
    /// A whole [`Segmenter`](crate::segmenter::Segmenter) (feature pipeline, PCA, clustering
    /// model, names): [`predict_record`](Self::predict_record) takes raw input columns;
    /// [`predict`](Self::predict) takes rows already in its model space
    /// ([`feature_names_out`](crate::segmenter::Segmenter::feature_names_out)).
    Segmenter(Box<crate::segmenter::Segmenter>),
}

impl AnyModel {
    /// Loads any supported model document (see [`from_json`] for the checks).
    pub fn from_json(document: &str) -> Result<AnyModel> {
        use crate::cluster::gmm::GaussianMixture;
        use crate::cluster::kmeans::{KMeans, MiniBatchKMeans};
        use crate::cluster::ward::Ward;
        use crate::segmenter::Segmenter;
        let kind = document_kind(document)?;
        if kind == KMeans::<f64>::kind() {
            from_json(document).map(AnyModel::KMeansF64)
        } else if kind == KMeans::<f32>::kind() {
            from_json(document).map(AnyModel::KMeansF32)
        } else if kind == Ward::kind() {
            from_json(document).map(AnyModel::Ward)
        } else if kind == MiniBatchKMeans::<f64>::kind() {
            from_json(document).map(AnyModel::MiniBatchKMeansF64)
        } else if kind == MiniBatchKMeans::<f32>::kind() {
            from_json(document).map(AnyModel::MiniBatchKMeansF32)
        } else if kind == GaussianMixture::<f64>::kind() {
            from_json(document).map(AnyModel::GaussianMixtureF64)
        } else if kind == GaussianMixture::<f32>::kind() {
            from_json(document).map(AnyModel::GaussianMixtureF32)
        } else if kind == Segmenter::kind() {
            from_json(document).map(|m| AnyModel::Segmenter(Box::new(m)))
        } else {
            Err(format_error(format!(
                "model kind {kind:?} cannot assign customers (expected a segmenter, k-means, \
                 mini-batch k-means, Ward or Gaussian mixture document)"
            )))
        }
    }

    /// Reads a model file written by [`save`] or from Python.
    pub fn load(path: impl AsRef<Path>) -> Result<AnyModel> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        AnyModel::from_json(&text)
    }

    /// Number of features a customer must have in [`predict`](Self::predict) (for a Segmenter:
    /// its model space; [`predict_record`](Self::predict_record) takes its input columns).
    pub fn n_features(&self) -> usize {
        match self {
            AnyModel::KMeansF64(m) => m.n_features(),
            AnyModel::KMeansF32(m) => m.n_features(),
            AnyModel::Ward(m) => m.n_features(),
            AnyModel::MiniBatchKMeansF64(m) => m.n_features(),
            AnyModel::MiniBatchKMeansF32(m) => m.n_features(),
            AnyModel::GaussianMixtureF64(m) => m.n_features(),
            AnyModel::GaussianMixtureF32(m) => m.n_features(),
            AnyModel::Segmenter(m) => m.state.model.n_features(),
        }
    }

    /// Number of segments.
    pub fn n_segments(&self) -> usize {
        match self {
            AnyModel::KMeansF64(m) => m.n_clusters(),
            AnyModel::KMeansF32(m) => m.n_clusters(),
            AnyModel::Ward(m) => m.n_clusters(),
            AnyModel::MiniBatchKMeansF64(m) => m.n_clusters(),
            AnyModel::MiniBatchKMeansF32(m) => m.n_clusters(),
            AnyModel::GaussianMixtureF64(m) => m.n_components(),
            AnyModel::GaussianMixtureF32(m) => m.n_components(),
            AnyModel::Segmenter(m) => m.n_segments(),
        }
    }

    /// Segment of every row of `x` (the fitted model's `predict`).
    pub fn predict(&self, x: ndarray::ArrayView2<f64>) -> Result<ndarray::Array1<usize>> {
        match self {
            AnyModel::KMeansF64(m) => m.predict(x),
            AnyModel::KMeansF32(m) => m.predict(x.mapv(|v| v as f32).view()),
            AnyModel::Ward(m) => m.predict(x),
            AnyModel::MiniBatchKMeansF64(m) => m.predict(x),
            AnyModel::MiniBatchKMeansF32(m) => m.predict(x.mapv(|v| v as f32).view()),
            AnyModel::GaussianMixtureF64(m) => m.predict(x),
            AnyModel::GaussianMixtureF32(m) => m.predict(x.mapv(|v| v as f32).view()),
            AnyModel::Segmenter(m) => Ok(ndarray::Array1::from(m.state.model.assign(x)?.0)),
        }
    }

    /// Segment of one customer's feature vector (checked for length and finiteness).
    pub fn predict_one(&self, features: &[f64]) -> Result<usize> {
        let row = ndarray::ArrayView2::from_shape((1, features.len()), features)
            .expect("a slice is one contiguous row");
        Ok(self.predict(row)?[0])
    }

    /// One customer as a service receives it: for a Segmenter the columns of its input table
    /// ([`Segmenter::predict_record`](crate::segmenter::Segmenter::predict_record): segment, name,
    /// mixture probabilities, or the reason it cannot be assigned); for the other models
    /// `"features"`, an array of [`n_features`](Self::n_features) numbers in the model's order
    /// (segment only). Other keys are ignored.
    ///
    /// ```
    /// use ndarray::array;
    /// use segcore::cluster::kmeans::KMeansParams;
    /// use segcore::persist::{self, AnyModel};
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
    ) -> Result<crate::segmenter::Assignment> {
        if let AnyModel::Segmenter(m) = self {
            return m.predict_record(record);
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
        Ok(crate::segmenter::Assignment {
            segment: Some(self.predict_one(&features)?),
            name: None,
            probabilities: None,
            reason: None,
        })
    }
}

/// Shorthand for model validation errors.
pub(crate) fn invalid(kind: &str, reason: impl std::fmt::Display) -> Error {
    format_error(format!("the {kind} model is inconsistent: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ward::{Ward, WardParams};
    use ndarray::array;

    fn ward() -> Ward {
        let x = array![[0.0, 0.0], [0.2, 0.0], [5.0, 5.0], [5.2, 5.0], [9.0, 0.0]];
        WardParams::new(2).fit(x.view(), None).unwrap()
    }

    fn reason(result: Result<Ward>) -> String {
        match result {
            Err(Error::ModelFormat { reason }) => reason,
            other => panic!("expected a ModelFormat error, got {other:?}"),
        }
    }

    #[test]
    fn roundtrip_is_exact_and_files_work() {
        let model = ward();
        let document = to_json(&model).unwrap();
        assert_eq!(from_json::<Ward>(&document).unwrap(), model);
        assert_eq!(document_kind(&document).unwrap(), "ward");
        let dir = std::env::temp_dir().join(format!("segcore-persist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ward.json");
        save(&model, &path).unwrap();
        assert_eq!(load::<Ward>(&path).unwrap(), model);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(
            load::<Ward>(dir.join("missing.json")),
            Err(Error::Io { .. })
        ));
    }

    #[test]
    fn every_bad_document_is_a_clear_error() {
        let document = to_json(&ward()).unwrap();
        assert!(reason(from_json("")).contains("not a segcore model document"));
        assert!(reason(from_json("[1, 2")).contains("not a segcore model document"));
        let truncated = &document[..document.len() / 2];
        assert!(reason(from_json(truncated)).contains("not a segcore model document"));
        let other_format = document.replace("segcore-model", "pickle");
        assert!(reason(from_json(&other_format)).contains("format is \"pickle\""));
        let newer = document.replace("\"format_version\":1", "\"format_version\":7");
        assert!(reason(from_json(&newer)).contains("upgrade segcore"));
        let extra = document.replacen('{', "{\"exec\":\"rm -rf\",", 1);
        assert!(reason(from_json(&extra)).contains("unknown field"));
        let other_kind = document.replace("\"kind\":\"ward\"", "\"kind\":\"kmeans-f64\"");
        assert!(reason(from_json(&other_kind)).contains("not \"ward\""));
        // JSON has no NaN: a non-finite number cannot be written into a document.
        let nan = document.replacen("\"data\":[0.0", "\"data\":[NaN", 1);
        assert_ne!(nan, document);
        assert!(reason(from_json(&nan)).contains("not a segcore model document"));
        // A model whose parts disagree is refused by its own validation.
        let bad_label = document.replacen(
            "\"labels\":{\"v\":1,\"dim\":[5],\"data\":[0",
            "\"labels\":{\"v\":1,\"dim\":[5],\"data\":[9",
            1,
        );
        assert_ne!(bad_label, document);
        assert!(reason(from_json(&bad_label)).contains("a label is not a segment"));
    }

    #[test]
    fn any_model_assigns_like_the_model_it_loads() {
        use crate::cluster::gmm::GaussianMixtureParams;
        use crate::cluster::kmeans::{KMeansParams, MiniBatchKMeansParams};
        let x = array![
            [0.0, 0.1],
            [0.2, 0.0],
            [0.1, 0.3],
            [5.0, 5.1],
            [5.2, 5.0],
            [4.9, 5.3],
            [9.0, 0.2],
            [9.1, 0.0],
            [8.8, 0.1]
        ];
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
        use crate::datasets::{make_b2b, B2bParams};
        use crate::segmenter::{NClusters, SegmenterParams};
        let data = make_b2b(&B2bParams {
            n_customers: 200,
            ..B2bParams::default()
        })
        .unwrap();
        let fitted = SegmenterParams::new()
            .n_clusters(NClusters::Fixed(3))
            .fit(&data.customers, Some(&data.transactions))
            .unwrap();
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
    fn oversized_documents_are_refused_before_parsing() {
        let document = to_json(&ward()).unwrap();
        let err = parse_header_with_limit(&document, document.len() - 1)
            .err()
            .expect("over the limit");
        assert!(err.to_string().contains("more than the limit"), "{err}");
        assert!(parse_header_with_limit(&document, document.len()).is_ok());
    }
}
