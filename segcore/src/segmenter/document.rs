//! The saved document of a [`Segmenter`]: loading (with unknown fields rejected at every depth)
//! and the checks of every shape and number.

use super::model::{model_feature_names, Segmenter, State};
use super::native::NativeLayout;
use crate::error::{Error, Result};
use crate::persist::SavedModel;
use crate::select::select_k::{
    CriterionVote, KEvaluation, SelectKResult, SelectKSample, SelectMethod,
};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::collections::HashSet;

fn bad(reason: impl Into<String>) -> Error {
    Error::ModelFormat {
        reason: format!("segmenter: {}", reason.into()),
    }
}

/// The first key of `document` that the model's own serialisation does not have (a `null`
/// value counts as absent): an unknown field, at any depth. Nested types of other modules do not
/// all deny unknown fields in serde, so the whole document is checked here once.
fn unknown_field(document: &Value, known: &Value, path: &str) -> Option<String> {
    match (document, known) {
        (Value::Object(doc), Value::Object(known)) => doc.iter().find_map(|(key, value)| {
            let here = format!("{path}.{key}");
            match known.get(key) {
                Some(k) => unknown_field(value, k, &here),
                None if value.is_null() => None,
                None => Some(here),
            }
        }),
        (Value::Array(doc), Value::Array(known)) => doc
            .iter()
            .zip(known)
            .enumerate()
            .find_map(|(i, (d, k))| unknown_field(d, k, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// Documents written before the feature pipeline moved onto the shared envelope carry the
/// pipeline's former header (`"format": "segcore.FeaturePipeline", "format_version": 1`); it says
/// nothing the envelope does not, so it is dropped (any other value stays and is refused).
fn forget_legacy_pipeline_header(document: &mut Value) {
    let Some(pipeline) = document.get_mut("pipeline").and_then(Value::as_object_mut) else {
        return;
    };
    if pipeline.get("format") == Some(&Value::from("segcore.FeaturePipeline"))
        && pipeline.get("format_version") == Some(&Value::from(1))
    {
        pipeline.remove("format");
        pipeline.remove("format_version");
    }
}

impl<'de> Deserialize<'de> for Segmenter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut document = Value::deserialize(d)?;
        forget_legacy_pipeline_header(&mut document);
        let state = State::deserialize(&document).map_err(D::Error::custom)?;
        let known = serde_json::to_value(&state).map_err(D::Error::custom)?;
        if let Some(field) = unknown_field(&document, &known, "model") {
            return Err(D::Error::custom(format!("unknown field `{field}`")));
        }
        Ok(Segmenter {
            state,
            phase_times: Vec::new(),
        })
    }
}

/// `f64` saved by serde_json as `null` when it was NaN.
fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KEvaluationDocument {
    k: usize,
    n_clusters_found: usize,
    #[serde(deserialize_with = "nan_if_null")]
    inertia: f64,
    #[serde(deserialize_with = "nan_if_null")]
    silhouette: f64,
    #[serde(default)]
    silhouette_se: Option<f64>,
    #[serde(deserialize_with = "nan_if_null")]
    calinski_harabasz: f64,
    #[serde(default)]
    calinski_harabasz_se: Option<f64>,
    #[serde(deserialize_with = "nan_if_null")]
    davies_bouldin: f64,
    #[serde(default)]
    davies_bouldin_se: Option<f64>,
    gap: Option<f64>,
    gap_spread: Option<f64>,
    stability_mean: Option<f64>,
    stability_sd: Option<f64>,
    bic: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectionDocument {
    method: SelectMethod,
    table: Vec<KEvaluationDocument>,
    votes: Vec<CriterionVote>,
    recommended_k: usize,
    criteria_agree: bool,
    reason: String,
    #[serde(default)]
    sample: Option<SelectKSample>,
}

/// Reads `select_k`'s result, NaN criteria (saved as `null`) included.
pub(crate) fn deserialize_selection<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<SelectKResult, D::Error> {
    let doc = SelectionDocument::deserialize(d)?;
    Ok(SelectKResult {
        method: doc.method,
        table: doc
            .table
            .into_iter()
            .map(|e| KEvaluation {
                k: e.k,
                n_clusters_found: e.n_clusters_found,
                inertia: e.inertia,
                silhouette: e.silhouette,
                silhouette_se: e.silhouette_se,
                calinski_harabasz: e.calinski_harabasz,
                calinski_harabasz_se: e.calinski_harabasz_se,
                davies_bouldin: e.davies_bouldin,
                davies_bouldin_se: e.davies_bouldin_se,
                gap: e.gap,
                gap_spread: e.gap_spread,
                stability_mean: e.stability_mean,
                stability_sd: e.stability_sd,
                bic: e.bic,
            })
            .collect(),
        votes: doc.votes,
        recommended_k: doc.recommended_k,
        criteria_agree: doc.criteria_agree,
        reason: doc.reason,
        sample: doc.sample,
    })
}

/// Every invariant a [`Segmenter`] relies on to predict without panicking or misleading.
pub(crate) fn validate(state: &State) -> Result<()> {
    state
        .params
        .check()
        .map_err(|e| bad(format!("invalid params: {e}")))?;
    // The pipeline's own loader checks its format, version and internal consistency.
    let pipeline_json = state.pipeline.to_json()?;
    crate::features::pipeline::FeaturePipeline::from_json(&pipeline_json)
        .map_err(|e| bad(format!("pipeline: {e}")))?;
    let spec_columns: Vec<&str> = state
        .pipeline
        .spec()
        .columns
        .iter()
        .map(|c| c.column.as_str())
        .collect();
    if state.feature_names_in != spec_columns {
        return Err(bad(format!(
            "feature_names_in {:?} differ from the spec's columns {spec_columns:?}",
            state.feature_names_in
        )));
    }
    let mut width = state.pipeline.n_features_out();
    if width == 0 {
        return Err(bad("the pipeline has no output columns"));
    }
    if let Some(pca) = &state.pca {
        pca.validate().map_err(|e| bad(format!("pca: {e}")))?;
        if pca.n_features() != width {
            return Err(bad(format!(
                "the PCA reads {} features, the pipeline gives {width}",
                pca.n_features()
            )));
        }
        width = pca.n_components();
    }
    if state.params.algorithm.takes_categories() {
        let layout = NativeLayout::of(&state.pipeline);
        width = layout.width();
        if state.model.n_numeric() != Some(layout.n_numeric()) {
            return Err(bad(format!(
                "the model reads {:?} numeric features, the pipeline gives {}",
                state.model.n_numeric(),
                layout.n_numeric()
            )));
        }
    }
    let expected_out = model_feature_names(&state.params, &state.pipeline, state.pca.as_ref());
    if state.feature_names_out != expected_out {
        return Err(bad(
            "feature_names_out do not match the pipeline / PCA outputs",
        ));
    }
    state
        .model
        .validate()
        .map_err(|e| bad(format!("model: {e}")))?;
    if !state.model.algorithm_matches(state.params.algorithm) {
        return Err(bad(format!(
            "the model does not match params.algorithm {:?}",
            state.params.algorithm
        )));
    }
    if state.model.clusterer().n_features() != width {
        return Err(bad(format!(
            "the model reads {} features, the pipeline/PCA gives {width}",
            state.model.clusterer().n_features()
        )));
    }
    let k = state.model.clusterer().n_segments();
    if state.segment_names.len() != k {
        return Err(bad(format!(
            "{} segment names for {k} segments",
            state.segment_names.len()
        )));
    }
    let mut seen = HashSet::new();
    for name in &state.segment_names {
        if name.trim().is_empty() || !seen.insert(name.as_str()) {
            return Err(bad(format!("segment name `{name}` is empty or used twice")));
        }
    }
    if let Some(super::NClusters::Fixed(fixed)) = Some(state.params.n_clusters) {
        if fixed != k {
            return Err(bad(format!(
                "params.n_clusters is {fixed}, the model has {k}"
            )));
        }
    }
    if let Some(&label) = state.labels.iter().find(|&&l| l >= k) {
        return Err(bad(format!("training label {label} >= {k} segments")));
    }
    if let Some(extremes) = &state.extreme {
        if state.params.algorithm.takes_categories() {
            return Err(bad("an extreme-customer rule with a native algorithm"));
        }
        extremes.rule.validate(width)?;
        let n = state.labels.len();
        let mut previous = None;
        for c in &extremes.customers {
            if c.row >= n
                || previous.is_some_and(|p| p >= c.row)
                || c.segment >= k
                || state.labels[c.row] != c.segment
                || !state.feature_names_out.contains(&c.feature)
                || !c.robust_sds.is_finite()
            {
                return Err(bad(format!(
                    "extreme customer at row {} does not fit the model (rows in order below {n}, \
                     its training segment, a model-space feature)",
                    c.row
                )));
            }
            previous = Some(c.row);
        }
    }
    if state.labels.len() != state.profile.n_customers {
        return Err(bad(format!(
            "{} training labels for a profile of {} customers",
            state.labels.len(),
            state.profile.n_customers
        )));
    }
    if let Some(s) = state.profile.segments.iter().find(|s| s.segment >= k) {
        return Err(bad(format!("the profile has segment {} of {k}", s.segment)));
    }
    if let Some(choice) = &state.k_choice {
        if state.selection.is_some() || choice.recommended_k != k {
            return Err(bad(format!(
                "k_choice recommended {} segments (the model has {k}), or came with a selection",
                choice.recommended_k
            )));
        }
    }
    if let Some(selection) = &state.selection {
        if selection.0.recommended_k != k {
            return Err(bad(format!(
                "select_k recommended {} segments, the model has {k}",
                selection.0.recommended_k
            )));
        }
    }
    if let Some(setup) = &state.behaviour {
        if setup.features.is_empty() || setup.columns.is_empty() {
            return Err(bad("behaviour features listed without columns"));
        }
    }
    match (&state.params.value, &state.value) {
        (None, None) => {}
        (Some(_), Some(value)) => {
            if state.behaviour.is_none() {
                return Err(bad("value features without behaviour features"));
            }
            value.validate(k).map_err(|e| bad(format!("value: {e}")))?;
        }
        (Some(_), None) => return Err(bad("params.value is set but the value models are missing")),
        (None, Some(_)) => return Err(bad("value models saved without params.value")),
    }
    Ok(())
}
