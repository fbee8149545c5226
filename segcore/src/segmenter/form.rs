//! The parameters of a [`Segmenter`](super::Segmenter) in the vocabulary of the Python keyword
//! arguments: the one form the Python binding passes to a fit and `Segmenter.get_params()` reads
//! back from a loaded model (`SegmenterParams`' own serde form, in model documents, stays as
//! documented in `docs/segmenter-model.md`).
//!
//! ```json
//! {"algorithm": "gmm", "covariance_type": "diag", "n_clusters": null, "k_range": [4, 8],
//!  "n_components": 0.9, "as_of": "2025-06-30", "revenue": null, "margin": null,
//!  "language": "de", "min_group_size": 10, "random_state": 0, "n_init": 4}
//! ```
//!
//! plus `spec`, `value` and `labels` when set. Every field may be left out or null (its
//! default). Read, the values are those a Python user passes: `n_components` an int (that many
//! components) or a float (the variance fraction); `spec` a column spec or its JSON text; `value`
//! `true`/`false` or a dict whose `features` may be one name; `as_of` also days since
//! 1970-01-01; names that are not text read as their text. [`SegmenterParams::from_form`] reads a
//! form into checked parameters ([`SegmenterValidParams`](super::SegmenterValidParams)) with
//! errors that name its fields and show the value as Python prints it;
//! [`SegmenterParams::to_form`] writes one.

use super::params::{SegmenterParams, SegmenterValidParams};
use super::value::ValueParams;
use super::{Algorithm, NClusters, Reduction};
use crate::data::Date;
use crate::error::{Error, Result};
use crate::features::pipeline::PipelineSpec;
use crate::profile::Language;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// See the module doc: every field as given, read and checked by [`SegmenterParams::try_from`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ParamsForm {
    #[serde(skip_serializing_if = "Value::is_null")]
    spec: Value,
    #[serde(deserialize_with = "given")]
    algorithm: Option<Value>,
    #[serde(deserialize_with = "given")]
    covariance_type: Option<Value>,
    n_clusters: Value,
    k_range: Value,
    n_components: Value,
    as_of: Value,
    revenue: Value,
    margin: Value,
    #[serde(deserialize_with = "given")]
    language: Option<Value>,
    min_group_size: Value,
    random_state: u64,
    n_init: Value,
    #[serde(skip_serializing_if = "Value::is_null")]
    value: Value,
    #[serde(skip_serializing_if = "Value::is_null")]
    labels: Value,
}

impl From<SegmenterParams> for ParamsForm {
    fn from(p: SegmenterParams) -> Self {
        let (algorithm, covariance_type) = match p.algorithm {
            Algorithm::KMeans => ("kmeans", "full"),
            Algorithm::Ward => ("ward", "full"),
            Algorithm::GaussianMixture(c) => ("gmm", c.name()),
            Algorithm::KPrototypes => ("kprototypes", "full"),
            Algorithm::LatentClass => ("latent_class", "full"),
        };
        // A fixed k keeps the default range, as the Python constructor's.
        let (n_clusters, (min, max)) = match p.n_clusters {
            NClusters::Fixed(k) => (json!(k), (4, 8)),
            NClusters::Auto { min, max } => (Value::Null, (min, max)),
        };
        let n_components = match p.reduction {
            Reduction::None => Value::Null,
            Reduction::Components(count) => json!(count),
            Reduction::VarianceFraction(fraction) => json!(fraction),
        };
        let language = match p.language {
            Language::English => "en",
            Language::German => "de",
        };
        // A spec or value settings serialise to an object.
        let to_value = |v: Option<Value>| v.unwrap_or(Value::Null);
        ParamsForm {
            spec: to_value(p.spec.as_ref().and_then(|s| serde_json::to_value(s).ok())),
            algorithm: Some(json!(algorithm)),
            covariance_type: Some(json!(covariance_type)),
            n_clusters,
            k_range: json!([min, max]),
            n_components,
            as_of: p.as_of.map_or(Value::Null, |d| json!(d.to_string())),
            revenue: json!(p.revenue),
            margin: json!(p.margin),
            language: Some(json!(language)),
            min_group_size: json!(p.min_group_size),
            random_state: p.random_state,
            n_init: json!(p.n_init),
            value: to_value(p.value.as_ref().and_then(|v| serde_json::to_value(v).ok())),
            labels: if p.labels.is_empty() {
                Value::Null
            } else {
                json!(p.labels)
            },
        }
    }
}

/// A field given, even as null (`Some(Value::Null)`); a field left out is `None`.
fn given<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// A value as Python prints it in an error message (`repr`): text quoted, `None`, `True`,
/// `[1, 'a']`, `{'a': 1}` (a tuple arrives as a list and shows as one).
fn repr(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{text}'"),
        Value::Null => "None".into(),
        Value::Bool(flag) => (if *flag { "True" } else { "False" }).into(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(key, item)| format!("'{key}': {}", repr(item)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Number(number) => number.to_string(),
    }
}

/// An integer parameter (a float or anything else is an error naming it).
fn integer(name: &'static str, value: &Value) -> Result<i64> {
    value
        .as_i64()
        .ok_or_else(|| Error::invalid_parameter(name, repr(value), "an integer"))
}

/// A count given as an integer: a negative one is an error naming the parameter.
fn count(name: &'static str, value: &Value) -> Result<usize> {
    let number = integer(name, value)?;
    usize::try_from(number)
        .map_err(|_| Error::invalid_parameter(name, number, "a non-negative integer"))
}

/// A name or text parameter: text as given, anything else as its text (so that the check of
/// the name reports it).
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => repr(other),
    }
}

/// An optional column name (`None` for null; a number names the column of its text).
fn optional_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// Reads `value` (the field `name` of the form, non-null) as `T`, or the error naming it.
fn read<T: serde::de::DeserializeOwned>(
    name: &'static str,
    value: Value,
    expected: &str,
) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::invalid_parameter(name, e, expected))
}

impl TryFrom<ParamsForm> for SegmenterParams {
    type Error = Error;

    fn try_from(form: ParamsForm) -> Result<Self> {
        let defaults = SegmenterParams::default();
        // A name left out is the default; None given is a wrong name (`'None'`).
        let or_default =
            |value: &Option<Value>, default: &str| value.as_ref().map_or(default.to_string(), text);
        let algorithm = Algorithm::from_names(
            &or_default(&form.algorithm, "kmeans"),
            &or_default(&form.covariance_type, "full"),
        )?;
        let n_clusters = match (&form.n_clusters, &form.k_range) {
            (Value::Null, Value::Null) => NClusters::Auto { min: 4, max: 8 },
            (Value::Null, Value::Array(range)) if range.len() == 2 => NClusters::Auto {
                min: count("k_range", &range[0])?,
                max: count("k_range", &range[1])?,
            },
            (Value::Null, other) => {
                return Err(Error::invalid_parameter(
                    "k_range",
                    repr(other),
                    "(min_k, max_k), e.g. (4, 8)",
                ))
            }
            (k, _) => NClusters::Fixed(count("n_clusters", k)?),
        };
        let reduction = match &form.n_components {
            Value::Null => Reduction::None,
            Value::Number(n) if n.is_f64() => {
                Reduction::VarianceFraction(n.as_f64().unwrap_or(0.0))
            }
            Value::Number(n) if n.as_i64().is_some() => {
                Reduction::Components(count("n_components", &form.n_components)?)
            }
            other => {
                return Err(Error::invalid_parameter(
                    "n_components",
                    repr(other),
                    "an int >= 1, a float in (0, 1] or None",
                ))
            }
        };
        let spec =
            match form.spec {
                Value::Null => None,
                Value::String(text) => {
                    Some(serde_json::from_str::<PipelineSpec>(&text).map_err(|e| {
                        Error::invalid_parameter(
                            "spec",
                            e,
                            "a column spec as printed by Segmenter.spec_",
                        )
                    })?)
                }
                Value::Object(spec) => Some(read(
                    "spec",
                    Value::Object(spec),
                    "a column spec as printed by Segmenter.spec_",
                )?),
                other => return Err(Error::invalid_parameter(
                    "spec",
                    repr(&other),
                    "None (inferred), a SegmenterSpec (e.g. another model's spec_), its to_dict() \
                     or its JSON",
                )),
            };
        let as_of = match form.as_of {
            Value::Null => None,
            Value::String(text) => Some(Date::parse(&text).map_err(|_| {
                Error::invalid_parameter("as_of", format!("'{text}'"), "a date in years 1..=9999")
            })?),
            days => {
                let date = days
                    .as_i64()
                    .and_then(|d| i32::try_from(d).ok())
                    .and_then(|d| Date::from_days_since_epoch(d).ok());
                Some(date.ok_or_else(|| {
                    Error::invalid_parameter("as_of", days, "a date in years 1..=9999")
                })?)
            }
        };
        let value = match form.value {
            Value::Null | Value::Bool(false) => None,
            Value::Bool(true) => Some(ValueParams::default()),
            Value::Object(mut settings) => {
                if let Some(Value::String(feature)) = settings.get("features") {
                    let features = json!([feature]);
                    settings.insert("features".into(), features);
                }
                Some(read(
                    "value",
                    Value::Object(settings),
                    "True or a dict of features, freq, horizon, months, discount_rate, \
                     lapse_threshold, penalizer_coef, names",
                )?)
            }
            other => {
                return Err(Error::invalid_parameter(
                    "value",
                    repr(&other),
                    "None, True or a dict of settings",
                ))
            }
        };
        let labels: BTreeMap<String, String> = match form.labels {
            Value::Null => BTreeMap::new(),
            Value::Object(labels) => labels.into_iter().map(|(k, v)| (k, text(&v))).collect(),
            other => {
                return Err(Error::invalid_parameter(
                    "labels",
                    repr(&other),
                    "a dict of column -> label, e.g. {'AcceptedCmp5': 'accepted campaign 5'}",
                ))
            }
        };
        Ok(SegmenterParams {
            spec,
            algorithm,
            n_clusters,
            reduction,
            as_of,
            revenue: optional_text(&form.revenue),
            margin: optional_text(&form.margin),
            language: Language::parse(&or_default(&form.language, "en"))?,
            min_group_size: match &form.min_group_size {
                Value::Null => defaults.min_group_size,
                size => count("min_group_size", size)?,
            },
            random_state: form.random_state,
            n_init: match &form.n_init {
                Value::Null => defaults.n_init,
                n => count("n_init", n)?,
            },
            value,
            labels,
        })
    }
}

impl SegmenterParams {
    /// Reads and checks parameters given in their form (see the [module doc](self)), with
    /// errors that name the form's fields: `k_range` for a bad range of k, `n_components` for a
    /// bad PCA setting (the builder's [`check`](SegmenterParams::check) names `n_clusters` and
    /// `reduction`).
    ///
    /// ```
    /// use segcore::segmenter::{NClusters, Reduction, SegmenterParams};
    ///
    /// let params = SegmenterParams::from_form(r#"{"n_clusters": null, "k_range": [3, 6]}"#)?;
    /// assert_eq!(params.params().n_clusters, NClusters::Auto { min: 3, max: 6 });
    /// let params = SegmenterParams::from_form(r#"{"n_components": 0.9}"#)?;
    /// assert_eq!(params.params().reduction, Reduction::VarianceFraction(0.9));
    /// let err = SegmenterParams::from_form(r#"{"k_range": [1, 6]}"#).unwrap_err();
    /// assert!(err.to_string().contains("k_range"));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn from_form(text: &str) -> Result<SegmenterValidParams> {
        let form: ParamsForm = serde_json::from_str(text)
            .map_err(|e| Error::invalid_parameter("params", e, "the Segmenter's parameters"))?;
        let fixed = !form.n_clusters.is_null();
        let params = SegmenterParams::try_from(form)?;
        params.check().map_err(|error| match error {
            Error::InvalidParameter {
                name,
                value,
                expected,
            } => Error::InvalidParameter {
                name: match name {
                    "reduction" => "n_components",
                    "n_clusters" if !fixed => "k_range",
                    other => other,
                },
                value,
                expected,
            },
            other => other,
        })
    }

    /// The parameters in the form of the [module doc](self), as JSON.
    pub fn to_form(&self) -> String {
        serde_json::to_string(&ParamsForm::from(self.clone()))
            .expect("the form holds strings, numbers, dates and serde values only")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::gmm::CovarianceType;

    #[test]
    fn values_in_errors_are_shown_as_python_prints_them() {
        let value = json!([1, "a", null, true, 2.5, {"k": [false]}]);
        assert_eq!(repr(&value), "[1, 'a', None, True, 2.5, {'k': [False]}]");
    }

    #[test]
    fn the_form_round_trips_in_python_names() {
        let params = SegmenterParams::new()
            .algorithm(Algorithm::GaussianMixture(CovarianceType::Diag))
            .reduction(Reduction::VarianceFraction(0.8))
            .language(Language::German)
            .as_of(Date::from_ymd(2025, 6, 30).unwrap());
        let text = params.to_form();
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["algorithm"], "gmm");
        assert_eq!(json["covariance_type"], "diag");
        assert_eq!(json["n_clusters"], Value::Null);
        assert_eq!(json["k_range"], json!([4, 8]));
        assert_eq!(json["n_components"], 0.8);
        assert_eq!(json["language"], "de");
        assert_eq!(json["as_of"], "2025-06-30");
        assert_eq!(
            SegmenterParams::from_form(&text).unwrap().into_params(),
            params
        );
        let days = r#"{"as_of": 20269, "n_clusters": 3, "n_components": 2}"#;
        let read = SegmenterParams::from_form(days).unwrap().into_params();
        assert_eq!(read.as_of, Date::from_ymd(2025, 6, 30).ok());
        assert_eq!(read.n_clusters, NClusters::Fixed(3));
        assert_eq!(read.reduction, Reduction::Components(2));
        let fixed: Value = serde_json::from_str(&read.to_form()).unwrap();
        assert_eq!(
            (fixed["n_clusters"].clone(), fixed["k_range"].clone()),
            (json!(3), json!([4, 8]))
        );
    }

    #[test]
    fn the_form_reads_python_values() {
        let read = |text: &str| SegmenterParams::from_form(text).unwrap().into_params();
        assert_eq!(read(r#"{"value": false}"#).value, None);
        assert_eq!(
            read(r#"{"value": true}"#).value,
            Some(ValueParams::default())
        );
        let one = read(r#"{"value": {"features": "clv"}}"#).value.unwrap();
        assert_eq!(one.features.len(), 1);
        let labels = read(r#"{"labels": {"a": "label a", "b": 5}}"#).labels;
        assert_eq!(labels["b"], "5");
        assert_eq!(
            read(r#"{"revenue": "net", "margin": null}"#)
                .revenue
                .as_deref(),
            Some("net")
        );
        let spec =
            r#"{"columns": [{"column": "revenue"}], "groups": [], "constant_columns": "drop"}"#;
        let as_object = format!(r#"{{"spec": {spec}}}"#);
        let as_text = serde_json::to_string(&json!({ "spec": spec })).unwrap();
        assert_eq!(read(&as_object).spec, read(&as_text).spec);
        assert!(read(&as_object).spec.is_some());
    }

    #[test]
    fn form_errors_name_the_python_parameters() {
        let error = |text: &str| match SegmenterParams::from_form(text).unwrap_err() {
            Error::InvalidParameter { name, value, .. } => (name, value),
            other => panic!("expected InvalidParameter, got {other:?}"),
        };
        let name = |text: &str| error(text).0;
        assert_eq!(name(r#"{"k_range": [6, 4]}"#), "k_range");
        assert_eq!(name(r#"{"k_range": 5}"#), "k_range");
        assert_eq!(name(r#"{"n_clusters": 0}"#), "n_clusters");
        assert_eq!(name(r#"{"n_clusters": -2}"#), "n_clusters");
        assert_eq!(
            error(r#"{"n_clusters": 2.5}"#),
            ("n_clusters", "2.5".to_string())
        );
        assert_eq!(name(r#"{"n_components": 0}"#), "n_components");
        assert_eq!(
            error(r#"{"n_components": "mle"}"#),
            ("n_components", "'mle'".to_string())
        );
        assert_eq!(name(r#"{"algorithm": "dbscan"}"#), "algorithm");
        assert_eq!(
            error(r#"{"algorithm": null}"#),
            ("algorithm", "'None'".to_string())
        );
        assert_eq!(name(r#"{"as_of": 99999999}"#), "as_of");
        assert_eq!(name(r#"{"value": {"freq": "Y"}}"#), "value");
        assert_eq!(error(r#"{"value": "yes"}"#), ("value", "'yes'".to_string()));
        assert_eq!(name(r#"{"spec": "not json"}"#), "spec");
        assert_eq!(error(r#"{"spec": 42}"#), ("spec", "42".to_string()));
        assert_eq!(error(r#"{"labels": ["a"]}"#).0, "labels");
        assert_eq!(
            error(r#"{"min_group_size": true}"#),
            ("min_group_size", "True".to_string())
        );
        assert_eq!(name(r#"{"n_clusterz": 3}"#), "params");
    }
}
