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
//! kind (a Ward document does not load as k-means), that the memory the parsed model would take
//! can be had ([`check_document_memory`]: a byte scan counts the array elements, so a document of
//! half a billion labels is an error under a memory limit, not an aborted process), the
//! model's serde form (unknown or missing
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

/// Bytes a parsed JSON array element may take: a number in a `Vec` of `f64`/`usize` (8); a
/// string, array or object element (its container header, 24 bytes, rounded up).
const SCALAR_ELEMENT_BYTES: u64 = 8;
const COMPOSITE_ELEMENT_BYTES: u64 = 32;
/// Nesting the scan follows; serde_json refuses documents nested deeper than 128 anyway.
const MAX_SCAN_DEPTH: usize = 256;

/// An upper estimate of the memory parsing `document` takes, from one pass over its bytes:
/// every array element costs [`SCALAR_ELEMENT_BYTES`] (numbers, literals) or
/// [`COMPOSITE_ELEMENT_BYTES`] (strings, arrays, objects), doubled because a `Vec` grown element
/// by element can hold twice its length; every object member costs a composite element (maps
/// keyed by strings); strings and keys cost at most the document's length once more.
fn implied_bytes(document: &[u8]) -> u64 {
    // For each open container: `true` for an array. Elements are counted where they start.
    let mut open: Vec<bool> = Vec::new();
    let mut elements = 0u64;
    let mut members = 0u64;
    let mut array_element_start = false;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in document {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        if byte.is_ascii_whitespace() {
            continue;
        }
        if array_element_start && byte != b']' {
            elements += match byte {
                b'"' | b'[' | b'{' => COMPOSITE_ELEMENT_BYTES,
                _ => SCALAR_ELEMENT_BYTES,
            };
        }
        array_element_start = false;
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                if open.len() == MAX_SCAN_DEPTH {
                    // Too deep for serde_json, which refuses it with its own error.
                    break;
                }
                open.push(byte == b'[');
                array_element_start = byte == b'[';
            }
            b']' | b'}' => {
                open.pop();
            }
            b',' => array_element_start = open.last() == Some(&true),
            b':' => members += 1,
            _ => {}
        }
    }
    (document.len() as u64)
        .saturating_add(elements.saturating_mul(2))
        .saturating_add(members.saturating_mul(COMPOSITE_ELEMENT_BYTES))
}

/// Refuses, before parsing, a document whose parsed form needs more memory than can be
/// allocated now: the estimate of [`implied_bytes`] is reserved once with
/// [`Vec::try_reserve_exact`] and released. Without this a document of half a billion labels
/// (1 GB of text, 4 GB parsed) aborts the process on allocation failure under a memory limit
/// instead of returning an error. `what` names the document in the error.
///
/// ```
/// segcore::persist::check_document_memory(r#"{"labels": [0, 1, 1, 0]}"#, "a model")?;
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn check_document_memory(document: &str, what: &str) -> Result<()> {
    check_memory_with(document, what, |bytes| {
        usize::try_from(bytes)
            .ok()
            .is_some_and(|bytes| Vec::<u8>::new().try_reserve_exact(bytes).is_ok())
    })
}

/// [`check_document_memory`] with the allocation test given (for tests).
fn check_memory_with(
    document: &str,
    what: &str,
    can_allocate: impl FnOnce(u64) -> bool,
) -> Result<()> {
    let needed = implied_bytes(document.as_bytes());
    if can_allocate(needed) {
        Ok(())
    } else {
        Err(format_error(format!(
            "{what} would need about {:.1} GiB of memory once parsed ({} bytes of JSON), more \
             than can be allocated now",
            needed as f64 / (1u64 << 30) as f64,
            document.len()
        )))
    }
}

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
    check_document_memory(document, &format!("the {expected} model"))?;
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
    from_json(&read_document(path)?)
}

/// The text of a document file, refused by its size (more than [`MAX_DOCUMENT_BYTES`]) before it
/// is read.
pub fn read_document(path: impl AsRef<Path>) -> Result<String> {
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
    std::fs::read_to_string(path).map_err(io_error)
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
    fn the_scan_counts_array_elements_outside_strings() {
        let base = implied_bytes(b"{}");
        assert_eq!(base, 2);
        // Three numbers (8 bytes each, doubled) and one member.
        assert_eq!(
            implied_bytes(br#"{"a":[1, 2,3]}"#),
            14 + 2 * 3 * SCALAR_ELEMENT_BYTES + COMPOSITE_ELEMENT_BYTES
        );
        // Brackets, commas and colons inside strings are text; empty arrays have no element.
        let text = br#"["[1,2]:\"x,"]"#;
        assert_eq!(
            implied_bytes(text),
            text.len() as u64 + 2 * COMPOSITE_ELEMENT_BYTES
        );
        assert_eq!(implied_bytes(b"[ ]"), 3);
        assert_eq!(
            implied_bytes(b"[[1],[]]"),
            8 + 2 * (2 * COMPOSITE_ELEMENT_BYTES + SCALAR_ELEMENT_BYTES)
        );
        // Nesting beyond serde_json's limit stops the scan instead of growing its stack.
        let deep = "[".repeat(100_000);
        assert!(implied_bytes(deep.as_bytes()) < 100_000 + 2 * 300 * COMPOSITE_ELEMENT_BYTES);
    }

    #[test]
    fn a_document_too_large_for_memory_is_an_error_before_parsing() {
        let document = to_json(&ward()).unwrap();
        let mut asked = 0;
        let refused = check_memory_with(&document, "the ward model", |bytes| {
            asked = bytes;
            false
        })
        .unwrap_err()
        .to_string();
        assert!(refused.contains("than can be allocated"), "{refused}");
        assert!(asked > document.len() as u64);
        assert!(check_document_memory(&document, "the ward model").is_ok());
        // Half a billion labels would need > 8 GB: the scan says so without allocating them.
        let labels = "0,".repeat(1 << 20);
        let huge = format!("{{\"labels\":[{labels}0]}}");
        assert!(implied_bytes(huge.as_bytes()) > 16 * (1 << 20));
        // An allocation no machine grants (far beyond any address space) is refused, not an abort.
        assert!(check_memory_with(&huge, "x", |_| Vec::<u8>::new()
            .try_reserve_exact(usize::MAX / 2)
            .is_ok())
        .is_err());
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
