//! The parameters of a [`Segmenter`](super::Segmenter) in the vocabulary of the Python keyword
//! arguments: the one form the Python binding passes to a fit and `Segmenter.get_params()` reads
//! back from a loaded model (`SegmenterParams`' own serde form, in model documents, stays as
//! documented in `docs/segmenter-model.md`).
//!
//! ```json
//! {"algorithm": "gmm", "covariance_type": "diag", "n_clusters": null, "k_range": [4, 8],
//!  "n_components": null, "variance_fraction": 0.9, "as_of": "2025-06-30", "revenue": null,
//!  "margin": null, "language": "de", "min_group_size": 10, "random_state": 0, "n_init": 4}
//! ```
//!
//! plus `spec`, `value` and `labels` when set. Every field may be left out (its default). Read,
//! `as_of` may also be days since 1970-01-01 and `spec` its JSON text.
//! [`SegmenterParams::from_form`] reads a form into checked parameters
//! ([`SegmenterValidParams`](super::SegmenterValidParams)) with errors that name its fields
//! (`k_range`, `n_components`, `spec`, `value`), as Python users wrote them;
//! [`SegmenterParams::to_form`] writes one.

use super::params::{SegmenterParams, SegmenterValidParams};
use super::value::ValueParams;
use super::{Algorithm, NClusters, Reduction};
use crate::data::Date;
use crate::error::{Error, Result};
use crate::features::pipeline::PipelineSpec;
use crate::profile::Language;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// See the module doc. Counts are read as signed integers so that a negative one is an error
/// naming its parameter.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ParamsForm {
    #[serde(skip_serializing_if = "Option::is_none")]
    spec: Option<Value>,
    algorithm: String,
    covariance_type: String,
    n_clusters: Option<i64>,
    k_range: Option<(i64, i64)>,
    n_components: Option<i64>,
    variance_fraction: Option<f64>,
    as_of: Option<Value>,
    revenue: Option<String>,
    margin: Option<String>,
    language: String,
    min_group_size: i64,
    random_state: u64,
    n_init: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
}

impl Default for ParamsForm {
    fn default() -> Self {
        ParamsForm::from(SegmenterParams::default())
    }
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
        let (n_clusters, k_range) = match p.n_clusters {
            NClusters::Fixed(k) => (Some(k as i64), None),
            NClusters::Auto { min, max } => (None, Some((min as i64, max as i64))),
        };
        let (n_components, variance_fraction) = match p.reduction {
            Reduction::None => (None, None),
            Reduction::Components(count) => (Some(count as i64), None),
            Reduction::VarianceFraction(fraction) => (None, Some(fraction)),
        };
        ParamsForm {
            // A spec serialises to an object; `Null` cannot happen for one that was read.
            spec: p
                .spec
                .as_ref()
                .map(|s| serde_json::to_value(s).unwrap_or(Value::Null)),
            algorithm: algorithm.into(),
            covariance_type: covariance_type.into(),
            n_clusters,
            k_range,
            n_components,
            variance_fraction,
            as_of: p.as_of.map(|d| Value::String(d.to_string())),
            revenue: p.revenue,
            margin: p.margin,
            language: match p.language {
                Language::English => "en",
                Language::German => "de",
            }
            .into(),
            min_group_size: p.min_group_size as i64,
            random_state: p.random_state,
            n_init: p.n_init as i64,
            value: p
                .value
                .as_ref()
                .map(|v| serde_json::to_value(v).unwrap_or(Value::Null)),
            labels: p.labels,
        }
    }
}

impl TryFrom<ParamsForm> for SegmenterParams {
    type Error = Error;

    fn try_from(form: ParamsForm) -> Result<Self> {
        let algorithm = Algorithm::from_names(&form.algorithm, &form.covariance_type)?;
        let n_clusters = match form.n_clusters {
            Some(k) => NClusters::Fixed(count("n_clusters", k)?),
            None => {
                let (min, max) = form.k_range.unwrap_or((4, 8));
                NClusters::Auto {
                    min: count("k_range", min)?,
                    max: count("k_range", max)?,
                }
            }
        };
        let reduction = match (form.n_components, form.variance_fraction) {
            (Some(n), _) => Reduction::Components(count("n_components", n)?),
            (None, Some(fraction)) => Reduction::VarianceFraction(fraction),
            (None, None) => Reduction::None,
        };
        let spec = match form.spec {
            None | Some(Value::Null) => None,
            Some(spec) => {
                let parsed = match spec {
                    Value::String(text) => serde_json::from_str::<PipelineSpec>(&text),
                    other => serde_json::from_value::<PipelineSpec>(other),
                };
                Some(parsed.map_err(|e| {
                    Error::invalid_parameter(
                        "spec",
                        e,
                        "a column spec as printed by Segmenter.spec_",
                    )
                })?)
            }
        };
        let as_of = match form.as_of {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(Date::parse(&text).map_err(|_| {
                Error::invalid_parameter("as_of", format!("'{text}'"), "a date in years 1..=9999")
            })?),
            Some(days) => {
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
            None | Some(Value::Null) => None,
            Some(value) => Some(serde_json::from_value::<ValueParams>(value).map_err(|e| {
                Error::invalid_parameter(
                    "value",
                    e,
                    "True or a dict of features, freq, horizon, months, discount_rate, \
                     lapse_threshold, penalizer_coef, names",
                )
            })?),
        };
        Ok(SegmenterParams {
            spec,
            algorithm,
            n_clusters,
            reduction,
            as_of,
            revenue: form.revenue,
            margin: form.margin,
            language: Language::parse(&form.language)?,
            min_group_size: count("min_group_size", form.min_group_size)?,
            random_state: form.random_state,
            n_init: count("n_init", form.n_init)?,
            value,
            labels: form.labels,
        })
    }
}

/// A count given as an integer: a negative one is an error naming the parameter.
fn count(name: &'static str, value: i64) -> Result<usize> {
    usize::try_from(value)
        .map_err(|_| Error::invalid_parameter(name, value, "a non-negative integer"))
}

impl SegmenterParams {
    /// Reads and checks parameters given in their serde form (see the [module doc](self)), with
    /// errors that name the form's fields: `k_range` for a bad range of k, `n_components` for a
    /// bad PCA setting (the builder's [`check`](SegmenterParams::check) names `n_clusters` and
    /// `reduction`).
    ///
    /// ```
    /// use segcore::segmenter::{NClusters, SegmenterParams};
    ///
    /// let params = SegmenterParams::from_form(r#"{"n_clusters": null, "k_range": [3, 6]}"#)?;
    /// assert_eq!(params.params().n_clusters, NClusters::Auto { min: 3, max: 6 });
    /// let err = SegmenterParams::from_form(r#"{"k_range": [1, 6]}"#).unwrap_err();
    /// assert!(err.to_string().contains("k_range"));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn from_form(text: &str) -> Result<SegmenterValidParams> {
        let form: ParamsForm = serde_json::from_str(text)
            .map_err(|e| Error::invalid_parameter("params", e, "the Segmenter's parameters"))?;
        let fixed = form.n_clusters.is_some();
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
        assert_eq!(json["k_range"], serde_json::json!([4, 8]));
        assert_eq!(json["variance_fraction"], 0.8);
        assert_eq!(json["language"], "de");
        assert_eq!(json["as_of"], "2025-06-30");
        assert_eq!(
            SegmenterParams::from_form(&text).unwrap().into_params(),
            params
        );
        let days = r#"{"as_of": 20269, "n_clusters": 3}"#;
        let read = SegmenterParams::from_form(days).unwrap().into_params();
        assert_eq!(read.as_of, Date::from_ymd(2025, 6, 30).ok());
        assert_eq!(read.n_clusters, NClusters::Fixed(3));
    }

    #[test]
    fn form_errors_name_the_python_parameters() {
        let name = |text: &str| match SegmenterParams::from_form(text).unwrap_err() {
            Error::InvalidParameter { name, .. } => name,
            other => panic!("expected InvalidParameter, got {other:?}"),
        };
        assert_eq!(name(r#"{"k_range": [6, 4]}"#), "k_range");
        assert_eq!(name(r#"{"n_clusters": 0}"#), "n_clusters");
        assert_eq!(name(r#"{"n_clusters": -2}"#), "n_clusters");
        assert_eq!(name(r#"{"n_components": 0}"#), "n_components");
        assert_eq!(name(r#"{"algorithm": "dbscan"}"#), "algorithm");
        assert_eq!(name(r#"{"as_of": 99999999}"#), "as_of");
        assert_eq!(name(r#"{"value": {"freq": "Y"}}"#), "value");
        assert_eq!(name(r#"{"spec": "not json"}"#), "spec");
        assert_eq!(name(r#"{"n_clusterz": 3}"#), "params");
    }
}
