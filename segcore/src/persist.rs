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
    let malformed =
        |e: serde_json::Error| format_error(format!("the {expected} model is malformed: {e}"));
    let mut unknown = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_str(document);
    let envelope: EnvelopeIn<T> =
        serde_ignored::deserialize(&mut deserializer, |path| unknown.push(path.to_string()))
            .map_err(malformed)?;
    deserializer.end().map_err(malformed)?;
    if !unknown.is_empty() {
        unknown.truncate(5);
        return Err(format_error(format!(
            "the {expected} model has unknown fields: {}",
            unknown.join(", ")
        )));
    }
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
        // Inside "model", at any depth, unknown fields are refused too.
        let inner = document.replacen("\"model\":{", "\"model\":{\"exec\":1,", 1);
        assert_ne!(inner, document);
        assert!(reason(from_json(&inner)).contains("unknown fields: model.exec"));
        let nested = document.replacen("\"labels\":{", "\"labels\":{\"extra\":[1],", 1);
        assert_ne!(nested, document);
        assert!(reason(from_json(&nested)).contains("unknown field"));
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
    fn oversized_documents_are_refused_before_parsing() {
        let document = to_json(&ward()).unwrap();
        let err = parse_header_with_limit(&document, document.len() - 1)
            .err()
            .expect("over the limit");
        assert!(err.to_string().contains("more than the limit"), "{err}");
        assert!(parse_header_with_limit(&document, document.len()).is_ok());
    }
}
