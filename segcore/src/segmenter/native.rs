//! Categorical columns taken natively: the model space of the k-prototypes and latent class
//! Segmenters, their fits, and how they choose k.
//!
//! The feature pipeline runs as for every algorithm (imputation, log and scaling of numeric
//! columns; rare categories grouped into `<column>_other`, frequent missing values into
//! `<column>_missing`), so fit, predict and `predict_record` share one code path. Then each
//! one-hot block becomes **one** model-space column holding the row's category code: the
//! position of its output column within the block (`0..L`), or `L` when the row is in none of
//! the block's kept outputs (a category never seen at fit whose `<column>_other` was constant at
//! fit and dropped). The model space is the numeric outputs, then one code per categorical
//! column ([`NativeLayout`]); the names are the numeric output names, then the column names.
//! PCA does not apply (it is refused for these algorithms).
//!
//! - **k-prototypes** ([`Algorithm::KPrototypes`](super::Algorithm::KPrototypes)): squared
//!   distance over the scaled numeric features plus `gamma` x categorical mismatches (`gamma`:
//!   kmodes' default, half the mean standard deviation of the numeric features). A category never
//!   seen at fit matches no segment's mode, so it costs `gamma` everywhere and the other columns
//!   decide (kmodes' rule). k is chosen by the highest mean silhouette in the mixed dissimilarity
//!   (the silhouette of `sqrt(squared numeric distance + gamma x mismatches)`, which is the
//!   Euclidean silhouette of the rows with each category one-hot coded at `sqrt(gamma / 2)`), on
//!   a seeded sample of [`SCORE_SAMPLE_SIZE`] rows; the cost only falls as k grows, so it cannot
//!   choose k alone.
//! - **latent class** ([`Algorithm::LatentClass`](super::Algorithm::LatentClass)): categorical
//!   columns are indicators; each numeric feature is cut at its training quintiles into a
//!   5-level indicator ([`NUMERIC_BINS`]; cut points saved with the model). A category never seen
//!   at fit is a missing answer (left out of the likelihood, missing at random), so the other
//!   answers decide. k is chosen by the lowest BIC (`-2 LL + parameters x ln n`). Predictions
//!   carry each segment's posterior probability.

use super::model::FittedModel;
use super::params::SegmenterParams;
use super::{Algorithm, NClusters, SCORE_SAMPLE_SIZE};
use crate::cluster::kprototypes::{split_mixed_rows, KPrototypesParams};
use crate::cluster::latent_class::{LatentClass, LatentClassParams, MISSING};
use crate::cluster::{Assigned, FittedClusterer};
use crate::error::{Error, Result};
use crate::features::pipeline::{Encoding, FeaturePipeline};
use crate::persist::SavedModel;
use crate::select::metrics::silhouette_score_sampled;
use crate::select::select_k::Criterion;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Levels of the indicator a numeric feature becomes in a latent class Segmenter (quintiles).
pub const NUMERIC_BINS: usize = 5;

/// Where the model-space columns of a k-prototypes or latent class Segmenter come from: numeric
/// pipeline outputs, then one code column per one-hot block. Derived from the fitted pipeline
/// (never saved).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NativeLayout {
    /// Pipeline output index of each numeric model-space column.
    numeric: Vec<usize>,
    /// Pipeline output indices of each categorical column's block (in output order).
    categorical: Vec<Vec<usize>>,
    /// Model-space column names.
    names: Vec<String>,
}

impl NativeLayout {
    /// The layout of `pipeline`'s outputs.
    pub(crate) fn of(pipeline: &FeaturePipeline) -> NativeLayout {
        let spec = pipeline.spec();
        let outputs = pipeline.feature_names_out();
        let mut numeric = Vec::new();
        let mut names = Vec::new();
        let mut blocks: Vec<(usize, Vec<usize>)> = Vec::new();
        for (o, &source) in pipeline.output_sources().iter().enumerate() {
            if spec.columns[source].encoding == Encoding::OneHot {
                match blocks.iter_mut().find(|(s, _)| *s == source) {
                    Some((_, block)) => block.push(o),
                    None => blocks.push((source, vec![o])),
                }
            } else {
                numeric.push(o);
                names.push(outputs[o].to_string());
            }
        }
        names.extend(blocks.iter().map(|(s, _)| spec.columns[*s].column.clone()));
        NativeLayout {
            numeric,
            categorical: blocks.into_iter().map(|(_, block)| block).collect(),
            names,
        }
    }

    /// Numeric model-space columns (they come first).
    pub(crate) fn n_numeric(&self) -> usize {
        self.numeric.len()
    }

    /// Model-space width: numeric columns plus categorical columns.
    pub(crate) fn width(&self) -> usize {
        self.numeric.len() + self.categorical.len()
    }

    /// Model-space column names.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Model-space rows of pipeline outputs: the numeric outputs, then per categorical column the
    /// position of the row's nonzero output in the block (the block's length when none).
    pub(crate) fn compress(&self, features: ArrayView2<f64>) -> Array2<f64> {
        let p = self.numeric.len();
        let mut x = Array2::zeros((features.nrows(), self.width()));
        for (mut out, row) in x.axis_iter_mut(Axis(0)).zip(features.axis_iter(Axis(0))) {
            for (j, &o) in self.numeric.iter().enumerate() {
                out[j] = row[o];
            }
            for (j, block) in self.categorical.iter().enumerate() {
                let code = block
                    .iter()
                    .position(|&o| row[o] != 0.0)
                    .unwrap_or(block.len());
                out[p + j] = code as f64;
            }
        }
        x
    }
}

/// How k was chosen for a k-prototypes or latent class Segmenter (the counterpart of
/// [`SelectKResult`](crate::select::select_k::SelectKResult), which describes the numeric
/// algorithms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KChoice {
    /// [`Criterion::Silhouette`] (k-prototypes, highest wins) or [`Criterion::Bic`] (latent
    /// class, lowest wins).
    pub criterion: Criterion,
    /// One row per k, in increasing k.
    pub table: Vec<KChoiceRow>,
    /// The chosen number of segments.
    pub recommended_k: usize,
}

/// One k of a [`KChoice`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KChoiceRow {
    /// Number of segments.
    pub k: usize,
    /// The criterion's value (`None` when undefined, e.g. a silhouette with one segment found).
    pub value: Option<f64>,
    /// k-prototypes: the cost (sum of dissimilarities); latent class: `-log-likelihood`.
    pub cost: f64,
}

/// A latent class model of the Segmenter's model space: numeric features cut into quintile
/// indicators, categorical codes as indicators (a code never seen at fit = missing answer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LatentClassSegments {
    model: LatentClass,
    /// Cut points of each numeric feature (strictly increasing): its level is the number of cut
    /// points at or below the value.
    cuts: Vec<Vec<f64>>,
    /// Segment centres in the model space: the posterior-weighted mean of the training rows'
    /// numeric features, then each class's most probable category code.
    centres: Array2<f64>,
}

/// The cut points of `values`: its quintiles (distinct, above the minimum, so no level is
/// empty; the second-smallest value when they all fall on the minimum), or every distinct value
/// above the minimum when it has at most [`NUMERIC_BINS`].
fn quantile_cuts(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return Vec::new();
    }
    sorted.sort_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    if distinct.len() <= NUMERIC_BINS {
        return distinct[1..].to_vec();
    }
    let last = sorted.len() - 1;
    let mut cuts: Vec<f64> = (1..NUMERIC_BINS)
        .map(|b| sorted[b * last / NUMERIC_BINS])
        .filter(|&c| c > sorted[0])
        .collect();
    cuts.dedup();
    if cuts.is_empty() {
        // Mostly one value (e.g. 90 % zeros): that value against the rest.
        cuts.push(distinct[1]);
    }
    cuts
}

/// The level of a numeric value: the number of cut points at or below it (missing for NaN).
fn level(cuts: &[f64], v: f64) -> u32 {
    if v.is_nan() {
        MISSING
    } else {
        cuts.partition_point(|&c| c <= v) as u32
    }
}

impl LatentClassSegments {
    /// Numeric features (cut into levels) before the categorical codes.
    pub(crate) fn n_numeric(&self) -> usize {
        self.cuts.len()
    }

    /// Indicator codes of model-space rows.
    fn codes(&self, x: ArrayView2<f64>) -> Result<Array2<u32>> {
        let p = self.n_numeric();
        let n_categories = self.model.n_categories();
        let (numeric, categorical) = split_mixed_rows(x, p, n_categories.len() - p)?;
        let mut codes = Array2::zeros((x.nrows(), n_categories.len()));
        for ((row, j), &v) in numeric.indexed_iter() {
            codes[[row, j]] = level(&self.cuts[j], v);
        }
        for ((row, j), &code) in categorical.indexed_iter() {
            codes[[row, p + j]] = if code < n_categories[p + j] {
                code
            } else {
                MISSING
            };
        }
        Ok(codes)
    }

    /// Fits `k` classes on the model-space rows `x` (numeric features first, `p` of them).
    fn fit(x: ArrayView2<f64>, p: usize, k: usize, params: &SegmenterParams) -> Result<Self> {
        let cuts: Vec<Vec<f64>> = (0..p)
            .map(|j| quantile_cuts(&x.column(j).to_vec()))
            .collect();
        // At fit every code is one the model will know (no category is unseen).
        let mut codes = Array2::zeros((x.nrows(), x.ncols()));
        for ((row, j), &v) in x.indexed_iter() {
            codes[[row, j]] = if j < p { level(&cuts[j], v) } else { v as u32 };
        }
        let model = LatentClassParams::new(k)
            .n_init(params.n_init)
            .random_state(params.random_state)
            .fit(codes.view(), None)?;
        let proba = model.predict_proba(codes.view())?;
        let mut centres = Array2::zeros((k, x.ncols()));
        for c in 0..k {
            let mass: f64 = proba.column(c).sum();
            for j in 0..p {
                let total: f64 = proba
                    .column(c)
                    .iter()
                    .zip(x.column(j))
                    .map(|(w, v)| w * v)
                    .sum();
                centres[[c, j]] = if mass > 0.0 { total / mass } else { 0.0 };
            }
            for (j, table) in model.item_probabilities().iter().enumerate().skip(p) {
                let row = table.row(c);
                let mode = (0..row.len()).fold(0, |b, l| if row[l] > row[b] { l } else { b });
                centres[[c, j]] = mode as f64;
            }
        }
        Ok(LatentClassSegments {
            model,
            cuts,
            centres,
        })
    }

    /// The fitted latent class model of the indicators.
    pub(crate) fn model(&self) -> &LatentClass {
        &self.model
    }

    pub(crate) fn validate(&self) -> Result<()> {
        self.model.validate()?;
        let bad = |reason: &str| {
            Err(Error::ModelFormat {
                reason: format!("latent class segments: {reason}"),
            })
        };
        if self.cuts.len() > self.model.n_categories().len() {
            return bad("more numeric features than indicators");
        }
        for cuts in &self.cuts {
            if cuts.iter().any(|c| !c.is_finite()) || cuts.windows(2).any(|w| w[0] >= w[1]) {
                return bad("cut points must be finite and strictly increasing");
            }
        }
        let shape = (self.model.n_components(), self.model.n_categories().len());
        if self.centres.dim() != shape || self.centres.iter().any(|v| !v.is_finite()) {
            return bad("segment centres have the wrong shape or a non-finite value");
        }
        Ok(())
    }
}

impl FittedClusterer for LatentClassSegments {
    fn n_features(&self) -> usize {
        self.model.n_categories().len()
    }

    fn n_segments(&self) -> usize {
        self.model.n_components()
    }

    fn centroids(&self) -> Array2<f64> {
        self.centres.clone()
    }

    fn assign(&self, x: ArrayView2<f64>) -> Result<Assigned> {
        let proba = self.model.predict_proba(self.codes(x)?.view())?;
        // The most probable class, lowest on ties (LatentClass::predict's rule).
        let labels: Array1<usize> = proba
            .rows()
            .into_iter()
            .map(|r| (0..r.len()).fold(0, |b, c| if r[c] > r[b] { c } else { b }))
            .collect();
        Ok(Assigned {
            labels,
            probabilities: Some(proba),
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The rows with each categorical code one-hot coded at `sqrt(gamma / 2)`: their Euclidean
/// distance is `sqrt(squared numeric distance + gamma x mismatches)`, k-prototypes'
/// dissimilarity, so the Euclidean silhouette of these rows is the mixed silhouette.
pub(crate) fn mixed_embedding(x: ArrayView2<f64>, p: usize, gamma: f64) -> Array2<f64> {
    let levels: Vec<usize> = (p..x.ncols())
        .map(|j| x.column(j).iter().fold(0.0f64, |m, &v| m.max(v)) as usize + 1)
        .collect();
    let width = p + levels.iter().sum::<usize>();
    let scale = (gamma / 2.0).sqrt();
    let mut out = Array2::zeros((x.nrows(), width));
    for (mut o, row) in out.axis_iter_mut(Axis(0)).zip(x.axis_iter(Axis(0))) {
        for j in 0..p {
            o[j] = row[j];
        }
        let mut offset = p;
        for (j, &l) in levels.iter().enumerate() {
            o[offset + row[p + j] as usize] = scale;
            offset += l;
        }
    }
    out
}

/// Mean silhouette of `labels` in the mixed dissimilarity (seeded sample of
/// [`SCORE_SAMPLE_SIZE`] rows); `None` when fewer than two segments are present.
pub(crate) fn mixed_silhouette(
    x: ArrayView2<f64>,
    p: usize,
    gamma: f64,
    labels: &[usize],
) -> Result<Option<f64>> {
    let mut present: Vec<usize> = labels.to_vec();
    present.sort_unstable();
    present.dedup();
    if present.len() < 2 || present.len() >= labels.len() {
        return Ok(None);
    }
    let codes: Array1<usize> = labels
        .iter()
        .map(|l| present.binary_search(l).expect("every label is present"))
        .collect();
    let embedded = mixed_embedding(x, p, gamma);
    silhouette_score_sampled(embedded.view(), codes.view(), SCORE_SAMPLE_SIZE, 0).map(Some)
}

/// Fits one model with `k` segments.
fn fit_one(
    params: &SegmenterParams,
    x: ArrayView2<f64>,
    p: usize,
    k: usize,
) -> Result<FittedModel> {
    Ok(match params.algorithm {
        Algorithm::KPrototypes => {
            let (numeric, codes) = split_mixed_rows(x, p, x.ncols() - p)?;
            FittedModel::KPrototypes(
                KPrototypesParams::new(k)
                    .n_init(params.n_init)
                    .random_state(params.random_state)
                    .fit(numeric.view(), codes.view(), None)?,
            )
        }
        Algorithm::LatentClass => {
            FittedModel::LatentClass(LatentClassSegments::fit(x, p, k, params)?)
        }
        other => {
            return Err(Error::invalid_parameter(
                "algorithm",
                format!("{other:?}"),
                "k-prototypes or latent class (categorical columns taken natively)",
            ))
        }
    })
}

/// The criterion value and cost of one fitted model (see the module documentation).
fn evaluate(model: &FittedModel, x: ArrayView2<f64>, p: usize) -> Result<KChoiceRow> {
    match model {
        FittedModel::KPrototypes(m) => Ok(KChoiceRow {
            k: m.n_clusters(),
            value: mixed_silhouette(x, p, m.gamma(), &m.labels().to_vec())?,
            cost: m.cost(),
        }),
        FittedModel::LatentClass(m) => {
            let ll = m.model().log_likelihood();
            let n_parameters = m.model().n_parameters() as f64;
            Ok(KChoiceRow {
                k: m.model().n_components(),
                value: Some(-2.0 * ll + n_parameters * (x.nrows() as f64).ln()),
                cost: -ll,
            })
        }
        _ => unreachable!("only k-prototypes and latent class models are evaluated here"),
    }
}

/// The model of a k-prototypes or latent class Segmenter on model-space rows `x` (`p` numeric
/// features first): the fixed k, or the best k of the range by the algorithm's criterion.
pub(crate) fn fit_native(
    params: &SegmenterParams,
    x: ArrayView2<f64>,
    p: usize,
    progress: &mut dyn FnMut(f64),
) -> Result<(FittedModel, Option<KChoice>)> {
    let (min, max) = match params.n_clusters {
        NClusters::Fixed(k) => return Ok((fit_one(params, x, p, k)?, None)),
        NClusters::Auto { min, max } => (min, max),
    };
    let criterion = match params.algorithm {
        Algorithm::LatentClass => Criterion::Bic,
        _ => Criterion::Silhouette,
    };
    let better = |a: f64, b: f64| match criterion {
        Criterion::Bic => a < b,
        _ => a > b,
    };
    let mut table = Vec::with_capacity(max - min + 1);
    let mut best: Option<(f64, FittedModel)> = None;
    for k in min..=max {
        let model = fit_one(params, x, p, k)?;
        let row = evaluate(&model, x, p)?;
        if let Some(v) = row.value {
            if best.as_ref().is_none_or(|(b, _)| better(v, *b)) {
                best = Some((v, model));
            }
        }
        table.push(row);
        progress((k - min + 1) as f64 / (max - min + 1) as f64);
    }
    let Some((_, model)) = best else {
        return Err(Error::invalid_parameter(
            "n_clusters",
            format!("auto {min}..={max}"),
            "a fixed number of segments: no k of the range found two segments",
        ));
    };
    let recommended_k = model.clusterer().n_segments();
    Ok((
        model,
        Some(KChoice {
            criterion,
            table,
            recommended_k,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CustomerTable;
    use crate::datasets::{make_b2b, B2bParams};
    use crate::segmenter::{Assignment, Segmenter};
    use ndarray::array;

    fn native(algorithm: Algorithm, n_clusters: NClusters) -> SegmenterParams {
        SegmenterParams::new()
            .algorithm(algorithm)
            .n_clusters(n_clusters)
            .random_state(3)
    }

    /// Fit, predict = training labels, predict_record = predict, and the loaded document
    /// predicts bit for bit the same.
    fn round_trip(model: &Segmenter, table: &CustomerTable) -> Vec<Assignment> {
        let assigned = model.predict(table, None).unwrap();
        let segments: Vec<usize> = assigned.iter().map(|a| a.segment.unwrap()).collect();
        assert_eq!(segments, model.labels());
        let document = crate::persist::to_json(model).unwrap();
        let loaded: Segmenter = crate::persist::from_json(&document).unwrap();
        assert_eq!(&loaded, model);
        assert_eq!(loaded.predict(table, None).unwrap(), assigned);
        assert_eq!(crate::persist::to_json(&loaded).unwrap(), document);
        for row in [0, 7, 19] {
            let mut record = serde_json::Map::new();
            for name in model.feature_names_in() {
                let value = match &table.column(name).unwrap().data {
                    crate::data::ColumnData::Numeric(v) => serde_json::json!(v[row]),
                    crate::data::ColumnData::Categorical(v) => serde_json::json!(v.get(row)),
                };
                record.insert(name.clone(), value);
            }
            assert_eq!(model.predict_record(&record).unwrap(), assigned[row]);
        }
        assigned
    }

    #[test]
    fn categorical_columns_go_natively_and_models_round_trip() {
        let data = make_b2b(&B2bParams {
            n_customers: 400,
            ..B2bParams::default()
        })
        .unwrap();
        let log = Some(&data.transactions);
        for algorithm in [Algorithm::KPrototypes, Algorithm::LatentClass] {
            let model = native(algorithm, NClusters::Fixed(4))
                .fit(&data.customers, log)
                .unwrap();
            assert_eq!(model.n_segments(), 4);
            let names = model.feature_names_out();
            // One model column per categorical column, not its one-hot columns.
            for column in ["industry", "employee_size_class", "region"] {
                assert!(names.contains(&column), "{algorithm:?}: {names:?}");
            }
            assert!(!names.iter().any(|n| n.starts_with("industry_")));
            assert!(names.contains(&"recency_days"));
            assert_eq!(model.profile().segments.len(), 4);
            let table = {
                let mut t = data.customers.clone();
                let behaviour = crate::features::behaviour::behaviour_features(
                    &data.customers,
                    &data.transactions,
                    &Default::default(),
                )
                .unwrap();
                behaviour.add_to_table(&mut t).unwrap();
                t
            };
            let assigned = round_trip(&model, &table);
            assert_eq!(
                assigned[0].probabilities.is_some(),
                algorithm == Algorithm::LatentClass
            );
            assert_eq!(
                model.predict(&data.customers, log).unwrap(),
                assigned,
                "the log path gives the same segments"
            );
            let summary = model.to_string();
            assert!(summary.contains("natively"), "{summary}");
        }
    }

    #[test]
    fn k_is_chosen_by_silhouette_or_bic() {
        let data = make_b2b(&B2bParams {
            n_customers: 300,
            ..B2bParams::default()
        })
        .unwrap();
        for (algorithm, criterion) in [
            (Algorithm::KPrototypes, Criterion::Silhouette),
            (Algorithm::LatentClass, Criterion::Bic),
        ] {
            let model = native(algorithm, NClusters::Auto { min: 2, max: 4 })
                .fit(&data.customers, Some(&data.transactions))
                .unwrap();
            let choice = model.k_choice().expect("k was chosen");
            assert!(model.selection().is_none());
            assert_eq!(choice.criterion, criterion);
            assert_eq!(choice.table.len(), 3);
            assert_eq!(choice.recommended_k, model.n_segments());
            let values: Vec<f64> = choice.table.iter().map(|r| r.value.unwrap()).collect();
            let chosen = values[choice.recommended_k - 2];
            for v in values {
                match criterion {
                    Criterion::Bic => assert!(chosen <= v),
                    _ => assert!(chosen >= v),
                }
            }
            let document = crate::persist::to_json(&model).unwrap();
            let loaded: Segmenter = crate::persist::from_json(&document).unwrap();
            assert_eq!(loaded.k_choice(), Some(choice));
        }
    }

    /// A small table: numeric `x`, categorical `kind` (3 categories) and `tier` (2).
    fn small(n: usize) -> CustomerTable {
        let mut t = CustomerTable::new((0..n).map(|i| format!("C{i}")).collect()).unwrap();
        t.add_numeric(
            "x",
            (0..n)
                .map(|i| (i % 2) as f64 * 10.0 + (i % 7) as f64 * 0.1)
                .collect(),
        )
        .unwrap();
        let kind: Vec<Option<&str>> = (0..n).map(|i| Some(["a", "b", "c"][i % 3])).collect();
        t.add_categorical("kind", &kind).unwrap();
        let tier: Vec<Option<&str>> = (0..n).map(|i| Some(["gold", "basic"][i % 2])).collect();
        t.add_categorical("tier", &tier).unwrap();
        t
    }

    #[test]
    fn unseen_categories_have_a_documented_mapping() {
        let t = small(60);
        for algorithm in [Algorithm::KPrototypes, Algorithm::LatentClass] {
            let model = native(algorithm, NClusters::Fixed(2))
                .fit(&t, None)
                .unwrap();
            let mut new = CustomerTable::new(vec!["N1".into(), "N2".into()]).unwrap();
            new.add_numeric("x", vec![10.0, 0.0]).unwrap();
            new.add_categorical("kind", &[Some("never seen"), None])
                .unwrap();
            new.add_categorical("tier", &[Some("basic"), Some("gold")])
                .unwrap();
            let assigned = model.predict(&new, None).unwrap();
            // The unseen category (and the missing one, never seen at fit) matches no segment
            // (k-prototypes) or is a missing answer (latent class): the other columns decide.
            assert_eq!(
                assigned[0].segment,
                Some(model.labels()[1]),
                "{algorithm:?}"
            );
            assert_eq!(
                assigned[1].segment,
                Some(model.labels()[0]),
                "{algorithm:?}"
            );
        }
    }

    #[test]
    fn a_column_with_one_category_is_left_out() {
        // A column with one category carries nothing: the inferred spec leaves it out.
        let mut t = small(60);
        t.add_categorical("country", &vec![Some("DE"); 60]).unwrap();
        let model = native(Algorithm::KPrototypes, NClusters::Fixed(2))
            .fit(&t, None)
            .unwrap();
        assert!(!model.feature_names_out().contains(&"country"));
        let s = model.score(&t, None).unwrap();
        assert!((-1.0..=1.0).contains(&s));
    }

    #[test]
    fn all_missing_rows_are_assigned() {
        // Every column missing on every tenth row: imputed numbers, missing categories as their
        // own level; every row gets a segment.
        let mut holes = CustomerTable::new((0..60).map(|i| format!("C{i}")).collect()).unwrap();
        let small = small(60);
        let x: Vec<f64> = small.numeric("x").unwrap().to_vec();
        let hole = |i: usize| i % 10 == 0;
        holes
            .add_numeric(
                "x",
                x.iter()
                    .enumerate()
                    .map(|(i, &v)| if hole(i) { f64::NAN } else { v })
                    .collect(),
            )
            .unwrap();
        for column in ["kind", "tier"] {
            let values = match &small.column(column).unwrap().data {
                crate::data::ColumnData::Categorical(v) => v.clone(),
                _ => unreachable!(),
            };
            let with_holes: Vec<Option<&str>> = (0..60)
                .map(|i| if hole(i) { None } else { values.get(i) })
                .collect();
            holes.add_categorical(column, &with_holes).unwrap();
        }
        for algorithm in [Algorithm::KPrototypes, Algorithm::LatentClass] {
            let model = native(algorithm, NClusters::Fixed(2))
                .fit(&holes, None)
                .unwrap();
            let assigned = model.predict(&holes, None).unwrap();
            assert!(
                assigned.iter().all(|a| a.segment.is_some()),
                "{algorithm:?}"
            );
        }
    }

    #[test]
    fn more_segments_than_distinct_customers_is_a_clear_error() {
        let mut few = CustomerTable::new((0..12).map(|i| format!("C{i}")).collect()).unwrap();
        few.add_numeric("x", (0..12).map(|i| (i % 2) as f64).collect())
            .unwrap();
        let kind: Vec<Option<&str>> = (0..12).map(|i| Some(["a", "b"][i % 2])).collect();
        few.add_categorical("kind", &kind).unwrap();
        let err = native(Algorithm::KPrototypes, NClusters::Fixed(3))
            .fit(&few, None)
            .unwrap_err();
        assert!(err.to_string().contains("distinct rows"), "{err}");
        assert!(err.to_string().contains("(2)"), "{err}");
    }

    #[test]
    fn pca_explain_and_score_say_what_they_need() {
        let t = small(60);
        let err = native(Algorithm::LatentClass, NClusters::Fixed(2))
            .reduction(super::super::Reduction::Components(1))
            .fit(&t, None)
            .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter {
                name: "reduction",
                ..
            }
        ));
        // explain and score say what they need.
        let lca = native(Algorithm::LatentClass, NClusters::Fixed(2))
            .fit(&t, None)
            .unwrap();
        assert!(lca.explain(&t, None, 0).is_err());
        assert!(lca.score(&t, None).is_err());
    }

    #[test]
    fn algorithm_names_parse() {
        assert_eq!(
            Algorithm::from_names("kprototypes", "full").unwrap(),
            Algorithm::KPrototypes
        );
        assert_eq!(
            Algorithm::from_names("latent_class", "full").unwrap(),
            Algorithm::LatentClass
        );
        let err = Algorithm::from_names("kmodes", "full").unwrap_err();
        assert!(err.to_string().contains("'kprototypes'"), "{err}");
        assert_eq!(
            serde_json::to_string(&Algorithm::KPrototypes).unwrap(),
            "\"kprototypes\""
        );
    }

    #[test]
    fn mixed_embedding_distance_is_the_kprototypes_dissimilarity() {
        let x = array![
            [0.0, 1.0, 0.0, 2.0],
            [3.0, 5.0, 1.0, 2.0],
            [0.5, 0.0, 2.0, 0.0]
        ];
        let gamma = 0.7;
        let e = mixed_embedding(x.view(), 2, gamma);
        for a in 0..3 {
            for b in 0..3 {
                let euclid: f64 = (&e.row(a) - &e.row(b)).mapv(|v| v * v).sum();
                let num: f64 = (0..2).map(|j| (x[[a, j]] - x[[b, j]]).powi(2)).sum();
                let mismatches = (2..4).filter(|&j| x[[a, j]] != x[[b, j]]).count();
                assert!((euclid - (num + gamma * mismatches as f64)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn quintile_cuts_leave_no_level_empty() {
        let values: Vec<f64> = (0..100).map(|i| i as f64).collect();
        assert_eq!(quantile_cuts(&values), [19.0, 39.0, 59.0, 79.0]);
        // Few distinct values: one level each (a 90/10 flag keeps its two levels).
        let flag: Vec<f64> = (0..100).map(|i| if i < 90 { 0.0 } else { 1.0 }).collect();
        assert_eq!(quantile_cuts(&flag), [1.0]);
        let skewed: Vec<f64> = (0..100)
            .map(|i| if i < 90 { 0.0 } else { i as f64 })
            .collect();
        assert_eq!(quantile_cuts(&skewed), [90.0]);
        assert_eq!(level(&[1.0, 2.0], 1.0), 1);
        assert_eq!(level(&[1.0, 2.0], f64::NAN), MISSING);
    }
}
