//! The fitted [`Segmenter`]: predict, explain, names, and its saved document.

use super::dates::DateColumn;
use super::extreme::{extreme_note, ExtremeCustomer, Extremes};
use super::fit::BehaviourSetup;
use super::native::{mixed_silhouette, KChoice, LatentClassSegments, NativeLayout};
use super::params::SegmenterParams;
use super::phases::PhaseTime;
use super::value::{self, ValueColumns, ValueModel};
use super::{Algorithm, Assignment};
use crate::cluster::gmm::{uncertainty_of, GaussianMixture};
use crate::cluster::kmeans::KMeans;
use crate::cluster::kprototypes::KPrototypes;
use crate::cluster::ward::Ward;
use crate::cluster::{Assigned, FittedClusterer};
use crate::data::{CategoricalColumn, ColumnData, CustomerTable, Date, TransactionLog};
use crate::error::{Error, Result};
use crate::features::behaviour::{behaviour_features, BehaviourFeature, BehaviourParams};
use crate::features::pipeline::{
    ColumnRef, ColumnSpec, Encoding, FeatureInput, FeaturePipeline, PipelineSpec, RowValue,
};
use crate::persist::SavedModel;
use crate::profile::{explain, explain_mixture, Explanation, SegmentationProfile};
use crate::reduce::Pca;
use crate::select::metrics::{silhouette_score, silhouette_score_sampled};
use crate::select::select_k::SelectKResult;
use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Above this many assigned customers, [`Segmenter::score`] scores a seeded sample of them.
pub const SCORE_SAMPLE_SIZE: usize = 10_000;

/// The fitted clustering model (in the model space: pipeline output, then PCA scores).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FittedModel {
    KMeans(KMeans<f64>),
    Ward(Ward),
    GaussianMixture(GaussianMixture<f64>),
    #[serde(rename = "kprototypes")]
    KPrototypes(KPrototypes),
    LatentClass(LatentClassSegments),
}

impl FittedModel {
    /// The model through the face every fitted clusterer shares.
    pub(crate) fn clusterer(&self) -> &dyn FittedClusterer {
        match self {
            FittedModel::KMeans(m) => m,
            FittedModel::Ward(m) => m,
            FittedModel::GaussianMixture(m) => m,
            FittedModel::KPrototypes(m) => m,
            FittedModel::LatentClass(m) => m,
        }
    }

    /// Labels of the training rows: Ward's tree cut; for k-means and mixtures the same rule as
    /// predict, so `predict(training data) == labels()`.
    pub(crate) fn training_labels(&self, x: ArrayView2<f64>) -> Result<Vec<usize>> {
        match self {
            FittedModel::Ward(m) => Ok(m.labels().to_vec()),
            _ => Ok(self.clusterer().predict(x)?.to_vec()),
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        match self {
            FittedModel::KMeans(m) => m.validate(),
            FittedModel::Ward(m) => m.validate(),
            FittedModel::GaussianMixture(m) => m.validate(),
            FittedModel::KPrototypes(m) => m.validate(),
            FittedModel::LatentClass(m) => m.validate(),
        }
    }

    pub(crate) fn algorithm_matches(&self, algorithm: Algorithm) -> bool {
        matches!(
            (self, algorithm),
            (FittedModel::KMeans(_), Algorithm::KMeans)
                | (FittedModel::Ward(_), Algorithm::Ward)
                | (
                    FittedModel::GaussianMixture(_),
                    Algorithm::GaussianMixture(_)
                )
                | (FittedModel::KPrototypes(_), Algorithm::KPrototypes)
                | (FittedModel::LatentClass(_), Algorithm::LatentClass)
        )
    }

    /// Numeric model-space features the model reads before the category codes (k-prototypes,
    /// latent class); `None` for the numeric algorithms.
    pub(crate) fn n_numeric(&self) -> Option<usize> {
        match self {
            FittedModel::KPrototypes(m) => Some(m.numeric_centroids().ncols()),
            FittedModel::LatentClass(m) => Some(m.n_numeric()),
            _ => None,
        }
    }
}

/// `select_k`'s evidence, saved with NaN criteria (undefined for a degenerate clustering) as
/// JSON `null` and read back as NaN.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Selection(pub SelectKResult);

impl From<SelectKResult> for Selection {
    fn from(result: SelectKResult) -> Self {
        Selection(result)
    }
}

impl Serialize for Selection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Selection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        super::document::deserialize_selection(d).map(Selection)
    }
}

/// Everything a [`Segmenter`] holds (its saved form; see `docs/segmenter-model.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct State {
    pub params: SegmenterParams,
    pub feature_names_in: Vec<String>,
    pub behaviour: Option<BehaviourSetup>,
    pub pipeline: FeaturePipeline,
    pub pca: Option<Pca<f64>>,
    pub model: FittedModel,
    pub feature_names_out: Vec<String>,
    pub segment_names: Vec<String>,
    pub labels: Vec<usize>,
    pub selection: Option<Selection>,
    /// How k was chosen for k-prototypes / latent class (absent for the other algorithms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k_choice: Option<KChoice>,
    pub profile: SegmentationProfile,
    /// The fitted value models and table (with `params.value` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ValueModel>,
    /// The extreme-customer rule and the customers it set aside at fit (k-means, Ward and
    /// mixtures; absent for the native algorithms and in documents saved before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extreme: Option<Extremes>,
    /// Text columns of the input read as dates and turned into tenure in days (see
    /// [`dates`](super::dates)); absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub date_columns: Vec<DateColumn>,
}

/// A fitted segmentation: feature pipeline, optional PCA, clustering model, names and profile.
/// Built by [`SegmenterParams::fit`]; see the [module documentation](super) for an example.
///
/// `Clone + Send + Sync`: one loaded model serves predictions from many threads at once.
///
/// Equality compares the model (its saved document), not the [`phase_times`](Self::phase_times)
/// of the fit that made it.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Segmenter {
    pub(crate) state: State,
    /// Wall time of each phase of the fit (empty for a loaded model); never saved.
    #[serde(skip)]
    pub(crate) phase_times: Vec<PhaseTime>,
}

impl PartialEq for Segmenter {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
    }
}

/// The model-space feature names: `pc1, pc2, ...` after PCA; for k-prototypes and latent class
/// the numeric outputs, then the categorical column names; else the pipeline's outputs.
pub(crate) fn model_feature_names(
    params: &SegmenterParams,
    pipeline: &FeaturePipeline,
    pca: Option<&Pca<f64>>,
) -> Vec<String> {
    match pca {
        Some(pca) => (1..=pca.n_components()).map(|i| format!("pc{i}")).collect(),
        None if params.algorithm.takes_categories() => NativeLayout::of(pipeline).names().to_vec(),
        None => pipeline
            .feature_names_out()
            .into_iter()
            .map(String::from)
            .collect(),
    }
}

/// Appends the segment label to any name used twice, so names identify segments.
pub(crate) fn make_unique(names: &mut [String]) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for n in names.iter() {
        *count.entry(n.clone()).or_default() += 1;
    }
    for (label, n) in names.iter_mut().enumerate() {
        if count[n.as_str()] > 1 {
            *n = format!("{n} ({label})");
        }
    }
}

/// The transaction log restricted to the customers of `table` (so a full log can be used to
/// predict a subset of customers); `None` when every log customer is in the table.
pub(super) fn restrict_log(
    log: &TransactionLog,
    table: &CustomerTable,
) -> Result<Option<TransactionLog>> {
    let known: Vec<bool> = log
        .customer_ids()
        .iter()
        .map(|id| table.index_of_id(id).is_some())
        .collect();
    if known.iter().all(|&k| k) {
        return Ok(None);
    }
    let keep: Vec<usize> = (0..log.n_transactions())
        .filter(|&row| known[log.customer_codes()[row] as usize])
        .collect();
    let pick = |values: &[f64]| keep.iter().map(|&r| values[r]).collect::<Vec<f64>>();
    let pick_categories = |column: &CategoricalColumn| {
        CategoricalColumn::from_codes(
            column.categories.clone(),
            keep.iter().map(|&r| column.codes[r]).collect(),
        )
    };
    let mut restricted = TransactionLog::new(
        log.customer_ids().to_vec(),
        keep.iter().map(|&r| log.customer_codes()[r]).collect(),
        keep.iter().map(|&r| log.dates()[r]).collect(),
        pick(log.amounts()),
    )?;
    if let Some(m) = log.margin() {
        restricted = restricted.with_margin(pick(m))?;
    }
    if let Some(q) = log.quantity() {
        restricted = restricted.with_quantity(pick(q))?;
    }
    if let Some(c) = log.product_category() {
        restricted = restricted.with_product_category(pick_categories(c)?)?;
    }
    if let Some(c) = log.channel() {
        restricted = restricted.with_channel(pick_categories(c)?)?;
    }
    Ok(Some(restricted))
}

/// A numeric or categorical column patched so the pipeline can run on every row; the patched
/// rows are reported as not assignable.
enum Patched {
    Numeric(Vec<f64>),
    Categorical(CategoricalColumn),
}

impl Segmenter {
    /// Wall time of each phase of the fit that made this model (`behaviour`, `features`,
    /// `reduction`, `select_k`, `cluster`, `profile`); empty for a loaded model. A measurement
    /// for the user, never part of the saved document.
    pub fn phase_times(&self) -> &[PhaseTime] {
        &self.phase_times
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn assemble(
        params: SegmenterParams,
        behaviour: Option<BehaviourSetup>,
        pipeline: FeaturePipeline,
        pca: Option<Pca<f64>>,
        model: FittedModel,
        segment_names: Vec<String>,
        labels: Vec<usize>,
        selection: Option<Selection>,
        k_choice: Option<KChoice>,
        profile: SegmentationProfile,
    ) -> Result<Segmenter> {
        let feature_names_in = pipeline
            .spec()
            .columns
            .iter()
            .map(|c| c.column.clone())
            .collect();
        let feature_names_out = model_feature_names(&params, &pipeline, pca.as_ref());
        let segmenter = Segmenter {
            phase_times: Vec::new(),
            state: State {
                params,
                feature_names_in,
                behaviour,
                pipeline,
                pca,
                model,
                feature_names_out,
                segment_names,
                labels,
                selection,
                k_choice,
                profile,
                value: None,
                extreme: None,
                date_columns: Vec::new(),
            },
        };
        segmenter.validate()?;
        Ok(segmenter)
    }

    /// The customers set aside as extreme at fit (beyond 8 robust SDs on a feature, at most 1 %
    /// of them), each assigned to its nearest segment; empty when there were none (see
    /// [`extreme`](super::extreme)).
    pub fn extreme_customers(&self) -> &[ExtremeCustomer] {
        self.state
            .extreme
            .as_ref()
            .map_or(&[], |e| e.customers.as_slice())
    }

    /// Text columns of the input read as dates and clustered as tenure in days
    /// (`<column>_tenure_days`), with the day the tenure is measured to.
    pub fn date_columns(&self) -> &[DateColumn] {
        &self.state.date_columns
    }

    /// Training assignment: one segment label per row of the table given to fit.
    pub fn labels(&self) -> &[usize] {
        &self.state.labels
    }

    /// Number of segments.
    pub fn n_segments(&self) -> usize {
        self.state.segment_names.len()
    }

    /// Segment names, by label (unique).
    pub fn segment_names(&self) -> &[String] {
        &self.state.segment_names
    }

    /// Renames `segment` (names stay unique: a name another segment has is refused). The
    /// profile's segment summary is renamed too.
    pub fn set_segment_name(&mut self, segment: usize, name: &str) -> Result<()> {
        let k = self.n_segments();
        if segment >= k {
            return Err(Error::invalid_parameter(
                "segment",
                segment,
                format!("a segment label below {k}"),
            ));
        }
        if name.trim().is_empty() {
            return Err(Error::invalid_parameter("name", "\"\"", "a non-empty name"));
        }
        if let Some(other) = self
            .state
            .segment_names
            .iter()
            .position(|n| n == name)
            .filter(|&o| o != segment)
        {
            return Err(Error::invalid_parameter(
                "name",
                format!("`{name}`"),
                format!("a name no other segment has (segment {other} is called so)"),
            ));
        }
        self.state.segment_names[segment] = name.to_string();
        for s in &mut self.state.profile.segments {
            if s.segment == segment {
                s.name = name.to_string();
            }
        }
        Ok(())
    }

    /// The input table columns the model reads (firmographics and behaviour feature names).
    pub fn feature_names_in(&self) -> &[String] {
        &self.state.feature_names_in
    }

    /// The model's features: the pipeline's output columns, or `pc1, pc2, ...` after PCA.
    pub fn feature_names_out(&self) -> Vec<&str> {
        self.state
            .feature_names_out
            .iter()
            .map(String::as_str)
            .collect()
    }

    /// The column spec the pipeline was fitted from (inferred or given).
    pub fn spec(&self) -> &PipelineSpec {
        self.state.pipeline.spec()
    }

    /// The fitted feature pipeline (its report lists dropped constant columns, imputations, rare
    /// categories and group factors).
    pub fn pipeline(&self) -> &FeaturePipeline {
        &self.state.pipeline
    }

    /// The fitted PCA, if any.
    pub fn pca(&self) -> Option<&Pca<f64>> {
        self.state.pca.as_ref()
    }

    /// The parameters the model was fitted with.
    pub fn params(&self) -> &SegmenterParams {
        &self.state.params
    }

    /// `select_k`'s evidence when k was chosen ([`NClusters::Auto`](super::NClusters::Auto)).
    pub fn selection(&self) -> Option<&SelectKResult> {
        self.state.selection.as_ref().map(|s| &s.0)
    }

    /// How k was chosen for k-prototypes (mixed-distance silhouette) and latent class (BIC)
    /// when it was chosen ([`NClusters::Auto`](super::NClusters::Auto)).
    pub fn k_choice(&self) -> Option<&KChoice> {
        self.state.k_choice.as_ref()
    }

    /// Model-space rows of pipeline outputs (PCA scores, or one code column per categorical
    /// column for k-prototypes and latent class).
    fn model_space(&self, features: Array2<f64>) -> Result<Array2<f64>> {
        Ok(match &self.state.pca {
            Some(pca) => pca.transform(features.view())?,
            None if self.state.params.algorithm.takes_categories() => {
                NativeLayout::of(&self.state.pipeline).compress(features.view())
            }
            None => features,
        })
    }

    /// The profile of the training segmentation (names, sizes, value, distinguishing features).
    pub fn profile(&self) -> &SegmentationProfile {
        &self.state.profile
    }

    /// Segment centres in the model space (rows = segments): k-means centres, Ward segment
    /// centroids, mixture means.
    pub fn centroids(&self) -> Array2<f64> {
        self.state.model.clusterer().centroids()
    }

    /// The fitted value models and the value table of the training segments (with
    /// [`SegmenterParams::value`](super::SegmenterParams::value) only).
    pub fn value(&self) -> Option<&ValueModel> {
        self.state.value.as_ref()
    }

    /// P(alive), expected purchases and CLV of every row of `customers` from the saved value
    /// models, measured on `transactions` as predict measures behaviour (as-of date from the
    /// parameters or the day after the log's last line; NaN for customers without a purchase).
    /// An error for a model fitted without value features or without a log.
    pub fn customer_value(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
    ) -> Result<ValueColumns> {
        let Some(log) = transactions else {
            return Err(Error::invalid_parameter(
                "transactions",
                "None",
                "the transaction log the value columns are measured on",
            ));
        };
        let as_of = self.default_as_of(log.date_range().map(|(_, last)| last));
        let restricted = restrict_log(log, customers)?;
        let log = restricted.as_ref().unwrap_or(log);
        self.value_columns_of(customers, log, as_of)?
            .ok_or_else(|| {
                Error::invalid_parameter(
                    "value",
                    "None",
                    "a Segmenter fitted with value features (SegmenterParams::value)",
                )
            })
    }

    /// The value columns of `customers` on `log` (already restricted to them), `None` for a
    /// model without value features.
    fn value_columns_of(
        &self,
        customers: &CustomerTable,
        log: &TransactionLog,
        as_of: Option<Date>,
    ) -> Result<Option<ValueColumns>> {
        let (Some(settings), Some(model)) = (&self.state.params.value, &self.state.value) else {
            return Ok(None);
        };
        let Some(as_of) = as_of else {
            return Err(Error::EmptyInput {
                what: "the transaction log has no lines".into(),
            });
        };
        value::predict_value(settings, model, customers, log, as_of).map(Some)
    }

    /// Whether [`predict`](Self::predict) reads a transaction log: the model was fitted with
    /// behaviour features (recomputed from the log at scoring time).
    pub fn reads_transactions(&self) -> bool {
        self.state.behaviour.is_some()
    }

    /// The date behaviour is measured at when scoring a log whose last line is dated
    /// `last_transaction`: the `as_of` the model was fitted with, else the day after that line
    /// (`None` for an empty log and no fitted `as_of`). [`predict`](Self::predict) applies it to
    /// the whole log it is given; scoring a log in pieces (the partitions of a cluster), take the
    /// last date over all pieces and pass this date to [`predict_at`](Self::predict_at), so that
    /// every piece is measured at the same date.
    ///
    /// ```
    /// use segcore::datasets::{make_b2b, B2bParams};
    /// use segcore::segmenter::{NClusters, SegmenterParams};
    ///
    /// let data = make_b2b(&B2bParams { n_customers: 200, ..B2bParams::default() })?;
    /// let model = SegmenterParams::new().n_clusters(NClusters::Fixed(3))
    ///     .fit(&data.customers, Some(&data.transactions))?;
    /// let (_, last) = data.transactions.date_range().expect("a log with lines");
    /// let as_of = model.default_as_of(Some(last)).expect("a date");
    /// assert_eq!(as_of, last.checked_add_days(1).unwrap());
    /// assert_eq!(
    ///     model.predict_at(&data.customers, Some(&data.transactions), as_of)?,
    ///     model.predict(&data.customers, Some(&data.transactions))?,
    /// );
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn default_as_of(&self, last_transaction: Option<Date>) -> Option<Date> {
        self.state
            .params
            .as_of
            .or_else(|| last_transaction.and_then(|last| last.checked_add_days(1)))
    }

    /// The table with the behaviour features the model reads added from `transactions`,
    /// measured at `as_of` (`None`: [`default_as_of`](Self::default_as_of) of the log given).
    fn with_behaviour<'a>(
        &self,
        customers: &'a CustomerTable,
        transactions: Option<&TransactionLog>,
        as_of: Option<Date>,
    ) -> Result<Cow<'a, CustomerTable>> {
        let (Some(log), Some(setup)) = (transactions, &self.state.behaviour) else {
            // Without a log the table must hold the behaviour columns itself (the service path);
            // a model fitted without behaviour has no use for a log.
            return Ok(Cow::Borrowed(customers));
        };
        // The default as-of (the day after the last transaction) comes from the whole log given:
        // taken after narrowing, a lapsed customer scored alone would be measured from their own
        // last order and look active. An empty log keeps `None`, so behaviour_features reports it.
        let as_of = as_of.or_else(|| self.default_as_of(log.date_range().map(|(_, last)| last)));
        let restricted = restrict_log(log, customers)?;
        let log = restricted.as_ref().unwrap_or(log);
        let value_columns = self.value_columns_of(customers, log, as_of)?;
        let features = behaviour_features(
            customers,
            log,
            &BehaviourParams {
                as_of,
                features: Some(setup.features.clone()),
                ..BehaviourParams::default()
            },
        )?;
        let mut table = customers.clone();
        let read: HashSet<&str> = self
            .state
            .feature_names_in
            .iter()
            .map(String::as_str)
            .collect();
        let channel_prefix = format!("{}_", BehaviourFeature::ChannelMix.name());
        for (j, name) in features.names.iter().enumerate() {
            if read.contains(name.as_str()) {
                table.add_numeric(name, features.values.column(j).to_vec())?;
            }
        }
        if let (Some(columns), Some(settings)) = (&value_columns, &self.state.params.value) {
            let read_features: Vec<_> = settings
                .features
                .iter()
                .copied()
                .filter(|f| read.contains(f.name()))
                .collect();
            columns.add_to(&mut table, &read_features)?;
        }
        // A channel seen at fit but absent from this log: its share is 0 for customers with
        // orders through other channels, undefined (NaN) for customers without orders.
        let shares: Vec<usize> = (0..features.names.len())
            .filter(|&j| features.names[j].starts_with(&channel_prefix))
            .collect();
        for name in &setup.columns {
            if name.starts_with(&channel_prefix)
                && read.contains(name.as_str())
                && !features.names.contains(name)
            {
                let values = (0..customers.n_customers())
                    .map(|row| {
                        if shares
                            .iter()
                            .any(|&j| features.values[[row, j]].is_finite())
                        {
                            0.0
                        } else {
                            f64::NAN
                        }
                    })
                    .collect();
                table.add_numeric(name, values)?;
            }
        }
        Ok(Cow::Owned(table))
    }

    /// Model-space rows of `table` and, per row, why it cannot be assigned (`None` = it can).
    /// Rows that cannot be assigned are computed on patched values and must be discarded.
    fn model_rows(&self, table: &CustomerTable) -> Result<(Array2<f64>, Vec<Option<String>>)> {
        // Text dates of the input become tenures measured to the day used at fit.
        let dated;
        let table = if self.state.date_columns.is_empty() {
            table
        } else {
            dated = super::dates::apply(table, &self.state.date_columns)?;
            &dated
        };
        let n = table.n_customers();
        let spec = self.spec();
        let mut reasons: Vec<Option<String>> = vec![None; n];
        let mut patched: Vec<Option<Patched>> = Vec::with_capacity(spec.columns.len());
        for c in &spec.columns {
            let column = table.column(&c.column)?;
            let mismatch = |expected: &str| Error::ColumnType {
                name: c.column.clone(),
                expected: format!("{expected} (spec encoding {:?})", c.encoding),
                actual: column.data.kind().into(),
            };
            let patch = match (c.encoding, &column.data) {
                (Encoding::Numeric, ColumnData::Numeric(values)) => {
                    let bad = |v: f64| v.is_infinite() || (v.is_nan() && c.impute.is_none());
                    if values.iter().any(|&v| bad(v)) {
                        let mut fixed = values.clone();
                        for (row, v) in fixed.iter_mut().enumerate() {
                            if bad(*v) {
                                let why = if v.is_nan() {
                                    format!(
                                        "`{}` is missing and the model does not impute it",
                                        c.column
                                    )
                                } else {
                                    format!("`{}` is {}", c.column, v)
                                };
                                reasons[row].get_or_insert(why);
                                *v = 0.0;
                            }
                        }
                        Some(Patched::Numeric(fixed))
                    } else {
                        None
                    }
                }
                (Encoding::Ordinal, ColumnData::Categorical(values)) if c.impute.is_none() => {
                    let order = c.order.as_deref().unwrap_or_default();
                    let allowed: Vec<bool> = values
                        .categories
                        .iter()
                        .map(|cat| order.contains(cat))
                        .collect();
                    let ok = |code: u32| allowed.get(code as usize).copied().unwrap_or(false);
                    if values.codes.iter().all(|&code| ok(code)) || order.is_empty() {
                        None
                    } else {
                        let first = values
                            .code_of(&order[0])
                            .unwrap_or(values.categories.len() as u32);
                        let mut categories = values.categories.clone();
                        if first as usize == categories.len() {
                            categories.push(order[0].clone());
                        }
                        let codes = values
                            .codes
                            .iter()
                            .enumerate()
                            .map(|(row, &code)| {
                                if ok(code) {
                                    code
                                } else {
                                    let why = match values.get(row) {
                                        Some(v) => format!(
                                            "`{}` = `{v}` is not one of the model's categories",
                                            c.column
                                        ),
                                        None => format!(
                                            "`{}` is missing and the model does not impute it",
                                            c.column
                                        ),
                                    };
                                    reasons[row].get_or_insert(why);
                                    first
                                }
                            })
                            .collect();
                        Some(Patched::Categorical(CategoricalColumn::from_codes(
                            categories, codes,
                        )?))
                    }
                }
                (Encoding::Numeric, _) => return Err(mismatch("numeric")),
                (Encoding::OneHot | Encoding::Ordinal, ColumnData::Categorical(_)) => None,
                (Encoding::OneHot | Encoding::Ordinal, _) => return Err(mismatch("categorical")),
            };
            patched.push(patch);
        }
        let mut input = FeatureInput::new(n);
        for (c, patch) in spec.columns.iter().zip(&patched) {
            let column = match patch {
                Some(Patched::Numeric(v)) => ColumnRef::Numeric(ArrayView1::from(v.as_slice())),
                Some(Patched::Categorical(v)) => ColumnRef::Categorical(v),
                None => match &table.column(&c.column)?.data {
                    ColumnData::Numeric(v) => ColumnRef::Numeric(ArrayView1::from(v.as_slice())),
                    ColumnData::Categorical(v) => ColumnRef::Categorical(v),
                },
            };
            input = input.with_column(&c.column, column)?;
        }
        let features = self.state.pipeline.transform(&input)?;
        Ok((self.model_space(features)?, reasons))
    }

    fn assignments(
        &self,
        x: ArrayView2<f64>,
        reasons: Vec<Option<String>>,
    ) -> Result<Vec<Assignment>> {
        let Assigned {
            labels,
            probabilities: proba,
        } = self.state.model.clusterer().assign(x)?;
        let extreme_flags = match &self.state.extreme {
            Some(extremes) => extremes.rule.flag(x)?,
            None => vec![None; x.nrows()],
        };
        let language = self.state.params.language;
        let uncertainty = proba.as_ref().map(|p| uncertainty_of(p.view()));
        Ok(labels
            .into_iter()
            .zip(reasons)
            .enumerate()
            .map(|(row, (label, reason))| match reason {
                Some(reason) => Assignment::unassigned(reason),
                // A customer so far from every component that all its densities underflow to 0
                // has undefined (NaN) probabilities: say so instead of guessing segment 0.
                None if proba
                    .as_ref()
                    .is_some_and(|p| p.row(row).iter().any(|v| !v.is_finite())) =>
                {
                    Assignment::unassigned(
                        "its features are so far from every segment that the mixture's densities \
                         underflow to zero (probabilities undefined); check the input's units"
                            .to_string(),
                    )
                }
                None => Assignment {
                    segment: Some(label),
                    name: self.state.segment_names.get(label).cloned(),
                    probabilities: proba.as_ref().map(|p| p.row(row).to_vec()),
                    uncertainty: uncertainty.as_ref().map(|u| u[row]),
                    reason: None,
                    extreme: extreme_flags[row].map(|(feature, robust_sds)| {
                        extreme_note(
                            &self.state.feature_names_out[feature],
                            robust_sds,
                            language,
                            &self.state.params.labels,
                        )
                    }),
                },
            })
            .collect())
    }

    /// Assigns every customer of `customers` (behaviour recomputed from `transactions` when the
    /// model uses behaviour features; without a log the table must hold those columns). One
    /// [`Assignment`] per row, in table order; rows that cannot be assigned say why. Log rows of
    /// customers not in the table are ignored, so a full log can score a few customers.
    pub fn predict(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
    ) -> Result<Vec<Assignment>> {
        self.predict_measured(customers, transactions, None)
    }

    /// [`predict`](Self::predict) with behaviour measured at `as_of` rather than at
    /// [`default_as_of`](Self::default_as_of) of `transactions`: what scoring a log in pieces
    /// needs (each piece holds all lines of its customers, the date comes from the whole log).
    /// An empty `transactions` is fine here (its customers have no orders).
    pub fn predict_at(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
        as_of: Date,
    ) -> Result<Vec<Assignment>> {
        self.predict_measured(customers, transactions, Some(as_of))
    }

    fn predict_measured(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
        as_of: Option<Date>,
    ) -> Result<Vec<Assignment>> {
        if customers.n_customers() == 0 {
            return Ok(Vec::new());
        }
        let table = self.with_behaviour(customers, transactions, as_of)?;
        let (x, reasons) = self.model_rows(&table)?;
        self.assignments(x.view(), reasons)
    }

    /// Assigns one customer given as the columns of the model's input table (see
    /// [`feature_names_in`](Self::feature_names_in)): numbers (or `null` = missing) for numeric
    /// columns, strings (or `null`) for categorical ones; other keys are ignored. The service
    /// path: no log, the behaviour columns come with the record.
    ///
    /// ```
    /// use segcore::datasets::{make_b2b, B2bParams};
    /// use segcore::segmenter::{NClusters, SegmenterParams};
    ///
    /// let data = make_b2b(&B2bParams { n_customers: 200, ..B2bParams::default() })?;
    /// let model = SegmenterParams::new().n_clusters(NClusters::Fixed(3))
    ///     .fit(&data.customers, Some(&data.transactions))?;
    /// let mut record = serde_json::Map::new();
    /// for name in model.feature_names_in() {
    ///     let value = if name == "industry" { serde_json::json!("retail") }
    ///                 else if ["employee_size_class", "region"].contains(&name.as_str()) { serde_json::Value::Null }
    ///                 else { serde_json::json!(12.0) };
    ///     record.insert(name.clone(), value);
    /// }
    /// let assigned = model.predict_record(&record)?;
    /// assert!(assigned.segment.is_some());
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn predict_record(
        &self,
        record: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Assignment> {
        // One row straight through FeaturePipeline::transform_row: building a one-row table and
        // running the batch pipeline took ~30 us of a ~32 us call (benches/predict.rs). The
        // reasons and errors are those of `model_rows` on the one-row table (`record_table`),
        // the first column's reason winning as there.
        let spec = self.spec();
        let mut values: Vec<RowValue<'_>> = Vec::with_capacity(spec.columns.len());
        let mut reason: Option<String> = None;
        for c in &spec.columns {
            let value = record_value(c, record)?;
            if reason.is_none() {
                reason = unassignable(c, &value);
            }
            values.push(value);
        }
        if let Some(reason) = reason {
            return Ok(Assignment::unassigned(reason));
        }
        let mut features = vec![0.0; self.state.pipeline.n_features_out()];
        self.state.pipeline.transform_row(&values, &mut features)?;
        let row = Array2::from_shape_vec((1, features.len()), features)
            .expect("transform_row fills exactly n_features_out values");
        let x = self.model_space(row)?;
        let mut assigned = self.assignments(x.view(), vec![None])?;
        Ok(assigned.pop().expect("one row gives one assignment"))
    }

    /// A one-row table from a JSON record, typed by the spec: the batch path `predict_record`
    /// must agree with.
    #[cfg(test)]
    fn record_table(
        &self,
        record: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<CustomerTable> {
        let mut table = CustomerTable::new(vec!["record".to_string()])?;
        for c in &self.spec().columns {
            match record_value(c, record)? {
                RowValue::Number(number) => table.add_numeric(&c.column, vec![number])?,
                RowValue::Category(category) => table.add_categorical(&c.column, &[category])?,
            }
        }
        Ok(table)
    }

    /// The model-space features of every customer (rows = customers, columns =
    /// [`feature_names_out`](Self::feature_names_out)); rows that cannot be assigned are NaN.
    pub fn transform(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
    ) -> Result<Array2<f64>> {
        let table = self.with_behaviour(customers, transactions, None)?;
        let (mut x, reasons) = self.model_rows(&table)?;
        for (mut row, reason) in x.axis_iter_mut(Axis(0)).zip(&reasons) {
            if reason.is_some() {
                row.fill(f64::NAN);
            }
        }
        Ok(x)
    }

    /// Mean silhouette of the assigned customers in the model space (higher is better, in
    /// [-1, 1]): what a grid search maximises to compare k and algorithms for one spec and
    /// reduction. Above [`SCORE_SAMPLE_SIZE`] assigned customers it is computed on a seeded
    /// sample of that many (seed 0), so the figure is the same in Rust and Python. Customers that
    /// cannot be assigned are left out.
    pub fn score(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
    ) -> Result<f64> {
        let table = self.with_behaviour(customers, transactions, None)?;
        let (x, reasons) = self.model_rows(&table)?;
        let assigned = self.assignments(x.view(), reasons)?;
        let (rows, segments): (Vec<usize>, Vec<usize>) = assigned
            .iter()
            .enumerate()
            .filter_map(|(row, a)| a.segment.map(|s| (row, s)))
            .unzip();
        // Dense codes in ascending segment order, as the metrics expect.
        let mut present: Vec<usize> = segments.clone();
        present.sort_unstable();
        present.dedup();
        if present.len() < 2 {
            return Err(Error::EmptyInput {
                what: "score needs customers assigned to at least 2 segments".into(),
            });
        }
        let codes: ndarray::Array1<usize> = segments
            .iter()
            .map(|s| present.binary_search(s).expect("every segment is present"))
            .collect();
        let x = x.select(Axis(0), &rows);
        match &self.state.model {
            FittedModel::KPrototypes(m) => {
                let p = m.numeric_centroids().ncols();
                return mixed_silhouette(x.view(), p, m.gamma(), codes.as_slice().unwrap_or(&[]))?
                    .ok_or_else(|| Error::EmptyInput {
                        what: "score needs customers assigned to at least 2 segments".into(),
                    });
            }
            FittedModel::LatentClass(_) => {
                return Err(Error::invalid_parameter(
                    "algorithm",
                    "latent_class",
                    "a distance-based segmentation for score (a silhouette); compare latent \
                     class models by BIC (k_choice)",
                ))
            }
            _ => {}
        }
        if rows.len() > SCORE_SAMPLE_SIZE {
            silhouette_score_sampled(x.view(), codes.view(), SCORE_SAMPLE_SIZE, 0)
        } else {
            silhouette_score(x.view(), codes.view())
        }
    }

    /// Why customer `row` of `customers` is in its segment: distances to every segment centre
    /// and the features pulling it in (model space). For Gaussian mixtures it is
    /// [`explain_mixture`]: membership probabilities, the log-odds margin over the runner-up and
    /// each feature's share of it; for Ward it is on the segment centroids it is assigned by.
    pub fn explain(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
        row: usize,
    ) -> Result<Explanation> {
        let n = customers.n_customers();
        if row >= n {
            return Err(Error::invalid_parameter(
                "row",
                row,
                format!("a row below {n} (the number of customers)"),
            ));
        }
        let table = self.with_behaviour(customers, transactions, None)?;
        let (x, reasons) = self.model_rows(&table)?;
        if let Some(reason) = &reasons[row] {
            return Err(Error::invalid_parameter(
                "row",
                row,
                format!("an assignable customer ({reason})"),
            ));
        }
        let names = &self.state.feature_names_out;
        match &self.state.model {
            // A mixture assigns by posterior probability, not by the nearest mean: explain that
            // rule (probabilities, log-odds margin over the runner-up), or the "nearest mean" story
            // can name a segment the customer is not in.
            FittedModel::GaussianMixture(m) => explain_mixture(m, x.row(row), names),
            FittedModel::KMeans(_) | FittedModel::Ward(_) => {
                explain(&self.state.model.clusterer().centroids(), x.row(row), names)
            }
            FittedModel::KPrototypes(_) | FittedModel::LatentClass(_) => {
                Err(Error::invalid_parameter(
                    "algorithm",
                    format!("{:?}", self.state.params.algorithm),
                    "k-means, Ward or a Gaussian mixture for explain (distances to numeric \
                     segment centres); k-prototypes and latent class segments are described by \
                     their profile",
                ))
            }
        }
    }
}

/// One column of a JSON record, typed by its spec: a number (`null` = NaN) for a numeric
/// column, a category (`null` = missing) for a categorical one; a wrong JSON type is an error
/// naming the column.
fn record_value<'r>(
    c: &ColumnSpec,
    record: &'r serde_json::Map<String, serde_json::Value>,
) -> Result<RowValue<'r>> {
    use serde_json::Value;
    let value = record.get(&c.column).ok_or_else(|| Error::UnknownColumn {
        name: c.column.clone(),
        available: record.keys().cloned().collect::<Vec<_>>().join(", "),
    })?;
    let wrong = |expected: &str| Error::ColumnType {
        name: c.column.clone(),
        expected: expected.to_string(),
        actual: format!("the JSON value {value}"),
    };
    match c.encoding {
        Encoding::Numeric => match value {
            Value::Number(x) => Ok(RowValue::Number(
                x.as_f64().ok_or_else(|| wrong("a number or null"))?,
            )),
            Value::Null => Ok(RowValue::Number(f64::NAN)),
            _ => Err(wrong("a number or null")),
        },
        Encoding::OneHot | Encoding::Ordinal => match value {
            Value::String(s) => Ok(RowValue::Category(Some(s.as_str()))),
            Value::Null => Ok(RowValue::Category(None)),
            _ => Err(wrong("a string or null")),
        },
    }
}

/// Why one record value keeps the customer from being assigned (the reasons of `model_rows`):
/// an infinity, a missing value the model does not impute, an unknown category of an ordinal
/// column without imputation.
fn unassignable(c: &ColumnSpec, value: &RowValue<'_>) -> Option<String> {
    let missing = || format!("`{}` is missing and the model does not impute it", c.column);
    match *value {
        RowValue::Number(number) if number.is_infinite() => {
            Some(format!("`{}` is {}", c.column, number))
        }
        RowValue::Number(number) if number.is_nan() && c.impute.is_none() => Some(missing()),
        RowValue::Number(_) => None,
        RowValue::Category(category) => {
            let order = c.order.as_deref().unwrap_or_default();
            if c.encoding != Encoding::Ordinal || c.impute.is_some() || order.is_empty() {
                return None;
            }
            match category {
                None => Some(missing()),
                Some(v) if !order.iter().any(|o| o == v) => Some(format!(
                    "`{}` = `{v}` is not one of the model's categories",
                    c.column
                )),
                Some(_) => None,
            }
        }
    }
}

/// A Segmenter seen as a clustering model of its model space (pipeline output, then PCA
/// scores): what [`AnyModel::predict`](crate::serve::AnyModel::predict) uses. Raw customers go
/// through [`Segmenter::predict`] or [`Segmenter::predict_record`].
impl FittedClusterer for Segmenter {
    fn n_features(&self) -> usize {
        self.state.model.clusterer().n_features()
    }
    fn n_segments(&self) -> usize {
        self.state.model.clusterer().n_segments()
    }
    fn centroids(&self) -> Array2<f64> {
        self.state.model.clusterer().centroids()
    }
    fn assign(&self, x: ArrayView2<f64>) -> Result<Assigned> {
        self.state.model.clusterer().assign(x)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl SavedModel for Segmenter {
    fn kind() -> String {
        "segmenter".to_string()
    }

    fn validate(&self) -> Result<()> {
        super::document::validate(&self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::pipeline::{ColumnSpec, Impute};
    use crate::segmenter::{NClusters, Reduction};

    /// Two obvious groups on two numeric columns plus a categorical one.
    fn table(n: usize) -> CustomerTable {
        let mut t = CustomerTable::new((0..n).map(|i| format!("C{i}")).collect()).unwrap();
        let x: Vec<f64> = (0..n)
            .map(|i| if i % 2 == 0 { 1.0 } else { 10.0 } + (i % 5) as f64 * 0.1)
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| if i % 2 == 0 { 0.0 } else { 5.0 } + (i % 3) as f64 * 0.1)
            .collect();
        t.add_numeric("x", x).unwrap();
        t.add_numeric("y", y).unwrap();
        let kind: Vec<Option<&str>> = (0..n).map(|i| Some(["a", "b"][i % 2])).collect();
        t.add_categorical("kind", &kind).unwrap();
        t
    }

    fn fixed(k: usize) -> SegmenterParams {
        SegmenterParams::new().n_clusters(NClusters::Fixed(k))
    }

    #[test]
    fn fits_predicts_and_explains_every_algorithm() {
        let t = table(40);
        for algorithm in [
            Algorithm::KMeans,
            Algorithm::Ward,
            Algorithm::GaussianMixture(crate::cluster::gmm::CovarianceType::Diag),
        ] {
            let model = fixed(2).algorithm(algorithm).fit(&t, None).unwrap();
            let assigned = model.predict(&t, None).unwrap();
            let segments: Vec<usize> = assigned.iter().map(|a| a.segment.unwrap()).collect();
            assert_eq!(segments, model.labels(), "{algorithm:?}");
            assert_ne!(segments[0], segments[1]);
            let mixture = matches!(algorithm, Algorithm::GaussianMixture(_));
            assert_eq!(assigned[0].probabilities.is_some(), mixture);
            // Soft membership: each assignment's uncertainty and the profile's section.
            for a in &assigned {
                assert_eq!(
                    a.uncertainty,
                    a.probabilities
                        .as_ref()
                        .map(|p| 1.0 - p.iter().fold(0.0f64, |m, &v| m.max(v)))
                );
            }
            let membership = model.profile().membership.as_ref();
            assert_eq!(membership.is_some(), mixture);
            if let Some(m) = membership {
                assert_eq!(m.segments.len(), 2);
                assert_eq!(m.threshold, crate::profile::DEFAULT_UNCERTAINTY_THRESHOLD);
            }
            let e = model.explain(&t, None, 1).unwrap();
            assert_eq!(e.segment, segments[1]);
            if matches!(algorithm, Algorithm::GaussianMixture(_)) {
                // The mixture's own rule: its probabilities, and pulls + baseline = log-odds margin.
                let p = e
                    .probabilities
                    .as_ref()
                    .expect("mixtures explain with probabilities");
                let predicted = assigned[1].probabilities.as_ref().unwrap();
                assert_eq!(p.len(), predicted.len());
                for (a, b) in p.iter().zip(predicted) {
                    assert!((a - b).abs() < 1e-9, "{p:?} vs {predicted:?}");
                }
                let pulls: f64 = e.contributions.iter().map(|c| c.pull).sum();
                let margin = e.margin.expect("two segments give a runner-up");
                assert!((pulls + e.baseline_log_odds.unwrap() - margin).abs() < 1e-6);
                let runner_up = e.runner_up.unwrap();
                assert!(margin >= 0.0 && p[e.segment] >= p[runner_up]);
                if p[runner_up] > 1e-12 {
                    // Not saturated: the margin is the log of the probability ratio.
                    assert!((margin - (p[e.segment] / p[runner_up]).ln()).abs() < 1e-6);
                }
            } else {
                assert!(e.probabilities.is_none());
            }
            assert_eq!(
                model.transform(&t, None).unwrap().ncols(),
                model.feature_names_out().len()
            );
        }
    }

    #[test]
    fn a_customer_beyond_every_mixture_component_gets_a_reason() {
        let t = table(40);
        let model = fixed(2)
            .algorithm(Algorithm::GaussianMixture(
                crate::cluster::gmm::CovarianceType::Diag,
            ))
            .fit(&t, None)
            .unwrap();
        let mut new = CustomerTable::new(vec!["far".into(), "near".into()]).unwrap();
        new.add_numeric("x", vec![1e300, 10.0]).unwrap();
        new.add_numeric("y", vec![0.0, 5.0]).unwrap();
        new.add_categorical("kind", &[Some("a"), Some("b")])
            .unwrap();
        let assigned = model.predict(&new, None).unwrap();
        assert_eq!(assigned[0].segment, None);
        assert!(assigned[0].reason.as_deref().unwrap().contains("underflow"));
        assert_eq!(assigned[1].segment, Some(model.labels()[1]));
        let record: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"x": 1e300, "y": 0.0, "kind": "a"}"#).unwrap();
        assert_eq!(model.predict_record(&record).unwrap(), assigned[0]);
    }

    #[test]
    fn rows_that_cannot_be_assigned_say_why() {
        let t = table(40);
        let spec = PipelineSpec::new(vec![
            ColumnSpec::numeric("x"),
            ColumnSpec::numeric("y").impute(Impute::Median),
        ]);
        let model = fixed(2).spec(spec).fit(&t, None).unwrap();
        let mut new = CustomerTable::new(vec!["N1".into(), "N2".into(), "N3".into()]).unwrap();
        new.add_numeric("x", vec![f64::NAN, 10.0, 1.0]).unwrap();
        new.add_numeric("y", vec![0.0, f64::NAN, 0.0]).unwrap();
        let assigned = model.predict(&new, None).unwrap();
        assert_eq!(assigned.len(), 3);
        assert_eq!(assigned[0].segment, None);
        assert!(assigned[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("`x` is missing"));
        assert_eq!(assigned[1].segment, Some(model.labels()[1]), "y is imputed");
        assert_eq!(assigned[2].segment, Some(model.labels()[0]));
        assert_eq!(assigned[2].reason, None);
        assert!(model.transform(&new, None).unwrap().row(0)[0].is_nan());
        assert!(model.explain(&new, None, 0).is_err());
        // Structural problems are an error for the whole call.
        let mut wrong = CustomerTable::new(vec!["N1".into()]).unwrap();
        wrong.add_categorical("x", &[Some("a")]).unwrap();
        wrong.add_numeric("y", vec![1.0]).unwrap();
        assert!(matches!(
            model.predict(&wrong, None),
            Err(Error::ColumnType { .. })
        ));
        let missing = CustomerTable::new(vec!["N1".into()]).unwrap();
        assert!(matches!(
            model.predict(&missing, None),
            Err(Error::UnknownColumn { .. })
        ));
    }

    #[test]
    fn predict_record_matches_predict() {
        let t = table(40);
        let model = fixed(2).fit(&t, None).unwrap();
        let record: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"x": 10.2, "y": 5.1, "kind": "b", "extra": [1]}"#).unwrap();
        let one = model.predict_record(&record).unwrap();
        assert_eq!(one.segment, Some(model.labels()[1]));
        assert_eq!(
            one.name.as_deref(),
            Some(model.segment_names()[model.labels()[1]].as_str())
        );
        let unseen: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"x": 1.0, "y": null, "kind": "never seen"}"#).unwrap();
        assert_eq!(
            model.predict_record(&unseen).unwrap().segment,
            Some(model.labels()[0])
        );
        let wrong: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"x": "ten", "y": 1.0, "kind": "a"}"#).unwrap();
        assert!(matches!(
            model.predict_record(&wrong),
            Err(Error::ColumnType { .. })
        ));
        let short: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"x": 1.0}"#).unwrap();
        assert!(matches!(
            model.predict_record(&short),
            Err(Error::UnknownColumn { .. })
        ));
    }

    #[test]
    fn predict_record_is_bit_identical_to_predict_on_a_one_row_table() {
        let t = table(40);
        let strict_ordinal = PipelineSpec::new(vec![
            ColumnSpec::numeric("x"),
            ColumnSpec::numeric("y").impute(Impute::Median),
            ColumnSpec::ordinal("kind", &["a", "b"]),
        ]);
        let models = [
            fixed(2).fit(&t, None).unwrap(),
            fixed(2)
                .algorithm(Algorithm::GaussianMixture(
                    crate::cluster::gmm::CovarianceType::Full,
                ))
                .fit(&t, None)
                .unwrap(),
            fixed(2)
                .reduction(Reduction::Components(2))
                .fit(&t, None)
                .unwrap(),
            fixed(2).spec(strict_ordinal).fit(&t, None).unwrap(),
        ];
        let records = [
            r#"{"x": 10.2, "y": 5.1, "kind": "b"}"#,
            r#"{"x": 1.0, "y": null, "kind": "never seen"}"#,
            r#"{"x": null, "y": 0.3, "kind": "a"}"#,
            r#"{"x": 3.5, "y": 2.5, "kind": null}"#,
            r#"{"x": -7, "y": 1e300, "kind": "a"}"#,
        ];
        let mut n_assigned = 0;
        for (m, model) in models.iter().enumerate() {
            for text in records {
                let record: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(text).unwrap();
                let fast = model.predict_record(&record);
                let table = model.record_table(&record).unwrap();
                let batch = model.predict(&table, None);
                match (fast, batch) {
                    (Ok(fast), Ok(mut batch)) => {
                        let batch = batch.pop().unwrap();
                        assert_eq!(
                            (&fast.segment, &fast.name, &fast.reason),
                            (&batch.segment, &batch.name, &batch.reason),
                            "model {m}, {text}"
                        );
                        // Probabilities compared bit for bit (NaN included).
                        let bits = |v: &Option<Vec<f64>>| {
                            v.as_ref()
                                .map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
                        };
                        assert_eq!(bits(&fast.probabilities), bits(&batch.probabilities));
                        n_assigned += usize::from(fast.segment.is_some());
                    }
                    (fast, batch) => panic!("model {m}, {text}: {fast:?} vs {batch:?}"),
                }
            }
        }
        assert!(n_assigned >= 10, "most records are assignable");
        // The strict ordinal model says why it cannot assign an unknown or missing kind.
        let strict = &models[3];
        for (text, why) in [
            (
                r#"{"x": 1.0, "y": 1.0, "kind": "c"}"#,
                "is not one of the model's categories",
            ),
            (r#"{"x": 1.0, "y": 1.0, "kind": null}"#, "is missing"),
            (r#"{"x": null, "y": 1.0, "kind": "c"}"#, "`x` is missing"),
        ] {
            let record = serde_json::from_str(text).unwrap();
            let a = strict.predict_record(&record).unwrap();
            assert_eq!(a.segment, None);
            assert!(a.reason.as_deref().unwrap().contains(why), "{a:?}");
        }
    }

    #[test]
    fn names_are_unique_and_renamable() {
        let t = table(40);
        let mut model = fixed(2).fit(&t, None).unwrap();
        assert_ne!(model.segment_names()[0], model.segment_names()[1]);
        let other = model.segment_names()[1].clone();
        assert!(model.set_segment_name(0, &other).is_err());
        assert!(model.set_segment_name(2, "x").is_err());
        assert!(model.set_segment_name(0, " ").is_err());
        model.set_segment_name(0, "Key accounts").unwrap();
        assert_eq!(model.segment_names()[0], "Key accounts");
        assert_eq!(model.profile().segments[0].name, "Key accounts");
        let mut names = vec!["A".to_string(), "B".into(), "A".into()];
        make_unique(&mut names);
        assert_eq!(names, ["A (0)", "B", "A (2)"]);
    }

    #[test]
    fn pca_names_and_selection() {
        let t = table(60);
        let model = SegmenterParams::new()
            .n_clusters(NClusters::Auto { min: 2, max: 4 })
            .reduction(Reduction::Components(2))
            .fit(&t, None)
            .unwrap();
        assert_eq!(model.feature_names_out(), ["pc1", "pc2"]);
        let selection = model.selection().unwrap();
        assert_eq!(selection.recommended_k, model.n_segments());
        assert_eq!(selection.table.len(), 3);
    }

    /// Row `row` of `table` as a one-customer table.
    fn one_row(table: &CustomerTable, row: usize) -> CustomerTable {
        let mut one = CustomerTable::new(vec![table.ids()[row].clone()]).unwrap();
        for c in table.columns() {
            match &c.data {
                ColumnData::Numeric(v) => one.add_numeric(&c.name, vec![v[row]]).unwrap(),
                ColumnData::Categorical(v) => one.add_categorical(&c.name, &[v.get(row)]).unwrap(),
            }
        }
        one
    }

    #[test]
    fn a_customer_scored_alone_is_measured_from_the_whole_log() {
        use crate::datasets::{make_b2b, B2bParams};
        let data = make_b2b(&B2bParams {
            n_customers: 200,
            ..B2bParams::default()
        })
        .unwrap();
        let model = fixed(4)
            .fit(&data.customers, Some(&data.transactions))
            .unwrap();
        let whole = model
            .transform(&data.customers, Some(&data.transactions))
            .unwrap();
        let all = model
            .predict(&data.customers, Some(&data.transactions))
            .unwrap();
        let lapsed = data
            .segment_names
            .iter()
            .position(|n| n.contains("lapsed"))
            .expect("make_b2b has a lapsed segment");
        let rows: Vec<usize> = (0..data.customers.n_customers())
            .filter(|&r| data.true_segment[r] == lapsed)
            .take(5)
            .collect();
        assert!(!rows.is_empty());
        for row in rows {
            let alone = one_row(&data.customers, row);
            let x = model.transform(&alone, Some(&data.transactions)).unwrap();
            let (a, b) = (x.row(0), whole.row(row));
            // NaN rows (not assignable) compare equal as NaN.
            assert!(
                a.iter()
                    .zip(b.iter())
                    .all(|(p, q)| p.to_bits() == q.to_bits()),
                "row {row}: {a} vs {b}"
            );
            let one = model.predict(&alone, Some(&data.transactions)).unwrap();
            assert_eq!(one[0].segment, all[row].segment, "row {row}");
        }
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Segmenter>();
        is::<Assignment>();
    }
}
