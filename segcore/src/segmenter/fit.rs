//! The fit of a [`Segmenter`], phase by phase: behaviour features from the log, the feature
//! pipeline, the optional PCA, the choice of k, the clustering, the profile and the names (with
//! the optional value features of [`value`](super::value)).
//!
//! Each phase is one function of what the earlier ones produced, so a phase can be timed,
//! replaced or tested alone; [`SegmenterValidParams::fit_with_progress`] only strings them together,
//! timing them, reporting progress and checking the cancellation flag at every boundary
//! through [`Phases`](super::phases).
//!
//! At scale (more than [`SELECT_K_SAMPLE_ROWS`] customers) k is chosen on a sample and the
//! chosen k is fitted once on every row from the sample's segment means, so the fit costs one
//! pass over the log, a few linear passes over the customers and a fixed-size choice of k.

use super::dates;
use super::extreme::{ExtremeCustomer, ExtremeRule, Extremes};
use super::infer::{check_numeric_text, infer_spec};
use super::model::{make_unique, model_feature_names, FittedModel, Segmenter, Selection};
use super::native::{fit_native, NativeLayout};
use super::params::{
    SegmenterParams, SegmenterValidParams, DEFAULT_MARGIN_COLUMN, DEFAULT_REVENUE_COLUMN,
    SELECT_K_SAMPLE_ROWS,
};
use super::phases::Phases;
use super::value::{self, ValueColumns, ValueFeature};
use super::{Algorithm, NClusters, Reduction};
use crate::cluster::gmm::GaussianMixtureParams;
use crate::cluster::kmeans::{KMeansInit, KMeansParams};
use crate::cluster::ward::WardParams;
use crate::data::{CustomerTable, Date, TransactionLog};
use crate::error::{Error, Result};
use crate::features::behaviour::{behaviour_features, BehaviourFeature, BehaviourParams};
use crate::persist::SavedModel;
use crate::profile::{profile, ProfileParams, SegmentationProfile, DEFAULT_UNCERTAINTY_THRESHOLD};
use crate::reduce::{NComponents, Pca, PcaParams};
use crate::select::select_k::{
    SelectKParams, SelectKResult, SelectMethod, SELECT_K_CRITERIA_PARTS,
    SELECT_K_GAP_REFERENCE_ROWS,
};
use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// What the Segmenter needs to recompute behaviour features at predict time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BehaviourSetup {
    /// The behaviour features computed at fit (recomputed, in this order, at predict).
    pub features: Vec<BehaviourFeature>,
    /// The behaviour columns added to the table at fit.
    pub columns: Vec<String>,
    /// The as-of date used at fit.
    pub as_of_at_fit: Date,
}

impl Algorithm {
    /// The same algorithm as a method of `select_k` (`None` for k-prototypes and latent class,
    /// which choose k by their own criterion).
    pub(crate) fn select_method(self) -> Option<SelectMethod> {
        match self {
            Algorithm::KMeans => Some(SelectMethod::KMeans),
            Algorithm::Ward => Some(SelectMethod::Ward),
            Algorithm::GaussianMixture(c) => Some(SelectMethod::GaussianMixture(c)),
            Algorithm::KPrototypes | Algorithm::LatentClass => None,
        }
    }
}

/// What the clustering phases produced.
struct Clustered {
    model: FittedModel,
    selection: Option<Selection>,
    k_choice: Option<super::KChoice>,
    /// The model-space features the model was fitted on (for k-prototypes and latent class, one
    /// code column per categorical block).
    x: Array2<f64>,
    labels: Vec<usize>,
    extreme: Option<Extremes>,
}

/// A Gaussian mixture's soft membership in the profile: how sure each segment's customers are.
/// Other models have no probabilities: nothing to add.
fn add_soft_membership(
    model: &FittedModel,
    x: ArrayView2<f64>,
    labels: &[usize],
    profile: &mut SegmentationProfile,
) -> Result<()> {
    if let FittedModel::GaussianMixture(mixture) = model {
        let uncertainty = mixture.uncertainty(x)?;
        profile.add_membership(
            labels,
            uncertainty.as_slice().expect("a fresh array is contiguous"),
            DEFAULT_UNCERTAINTY_THRESHOLD,
        )?;
    }
    Ok(())
}

impl SegmenterParams {
    /// Checks the parameters ([`check`](Self::check)), then fits the whole chain on
    /// `customers` (and the behaviour of `transactions`, when given).
    pub fn fit(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
    ) -> Result<Segmenter> {
        self.check()?.fit(customers, transactions)
    }

    /// Checks the parameters, then fits with progress (see
    /// [`SegmenterValidParams::fit_with_progress`]).
    pub fn fit_with_progress(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
        progress: &mut dyn FnMut(&str, f64),
    ) -> Result<Segmenter> {
        self.check()?
            .fit_with_progress(customers, transactions, progress)
    }
}

impl SegmenterValidParams {
    /// Fits the whole chain on `customers` (and the behaviour of `transactions`, when given).
    pub fn fit(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
    ) -> Result<Segmenter> {
        self.fit_with_progress(customers, transactions, &mut |_, _| {})
    }

    /// As [`fit`](Self::fit), calling `progress(stage, fraction)` as it goes (stages
    /// `behaviour`, `features`, `reduction`, `select_k`, `cluster`, `profile`; fraction of the
    /// whole fit done, in `[0, 1]`, weighted by each phase's expected cost so that elapsed time
    /// over fraction estimates the time left), for a progress bar. The cancellation flag
    /// ([`crate::cancel`]) is checked between phases and inside the long ones; a cancelled fit
    /// returns [`Error::Cancelled`] and no model. The phase times are kept in
    /// [`Segmenter::phase_times`].
    pub fn fit_with_progress(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
        progress: &mut dyn FnMut(&str, f64),
    ) -> Result<Segmenter> {
        self.params().fit_checked(customers, transactions, progress)
    }
}

impl SegmenterParams {
    /// The fit of checked parameters, phase by phase.
    fn fit_checked(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
        progress: &mut dyn FnMut(&str, f64),
    ) -> Result<Segmenter> {
        crate::data::check_not_transaction_log(customers, "the customer table")?;
        self.check_size(customers.n_customers())?;
        let choose_k = matches!(self.n_clusters, NClusters::Auto { .. });
        let mut phases = Phases::new(
            customers.n_customers(),
            transactions.map_or(0, TransactionLog::n_transactions),
            choose_k,
            SELECT_K_SAMPLE_ROWS,
            progress,
        );
        phases.begin("behaviour")?;
        let (table, behaviour) = self.with_behaviour(customers, transactions)?;
        // Text dates (an enrolment date) become tenure in days, measured to the as-of date.
        let date_columns = match &self.spec {
            Some(_) => Vec::new(),
            None => dates::detect(
                &table,
                self.as_of.or(behaviour.as_ref().map(|b| b.as_of_at_fit)),
            ),
        };
        let mut table = dates::apply(&table, &date_columns)?;
        let value = self.fit_value_features(customers, transactions, &behaviour, &mut table)?;
        phases.begin("features")?;
        let spec = match &self.spec {
            Some(spec) => spec.clone(),
            None => {
                check_numeric_text(&table)?;
                infer_spec(&table)
            }
        };
        let pipeline = spec.fit_table(&table)?;
        let features = pipeline.transform_table(&table)?;
        phases.begin("reduction")?;
        let (pca, x) = self.reduce(features)?;
        phases.begin("select_k")?;
        let Clustered {
            model,
            selection,
            k_choice,
            x,
            labels,
            extreme,
        } = if self.algorithm.takes_categories() {
            self.cluster_natively(&pipeline, x, &mut phases)?
        } else {
            let names = model_feature_names(self, &pipeline, pca.as_ref());
            self.cluster_without_extremes(x, table.ids(), &names, &mut phases)?
        };
        let k = model.clusterer().n_segments();
        phases.begin("profile")?;
        let profiled = match &value {
            Some((_, columns)) => self.with_profile_only_value_columns(&table, columns)?,
            None => std::borrow::Cow::Borrowed(&table),
        };
        let (mut segmentation_profile, mut segment_names) =
            self.profile_and_names(&profiled, &labels, k)?;
        // The optional add-ons of the profile phase, each a no-op when it does not apply.
        add_soft_membership(&model, x.view(), &labels, &mut segmentation_profile)?;
        let value = self.value_by_segment(
            value,
            &labels,
            k,
            &mut segment_names,
            &mut segmentation_profile,
        )?;
        // Assembled without the value part, which is attached (and the whole checked) after.
        let mut segmenter = Segmenter::assemble(
            SegmenterParams {
                value: None,
                ..self.clone()
            },
            behaviour,
            pipeline,
            pca,
            model,
            segment_names,
            labels,
            selection,
            k_choice,
            segmentation_profile,
        )?;
        if value.is_some() {
            segmenter.state.params.value.clone_from(&self.value);
            segmenter.state.value = value;
        }
        segmenter.state.extreme = extreme;
        segmenter.state.date_columns = date_columns;
        if segmenter.state.value.is_some()
            || segmenter.state.extreme.is_some()
            || !segmenter.state.date_columns.is_empty()
        {
            segmenter.validate()?;
        }
        segmenter.phase_times = phases.finish();
        Ok(segmenter)
    }

    /// k-prototypes / latent class: categorical columns natively, one code column per one-hot
    /// block; k chosen by the algorithm's own criterion.
    fn cluster_natively(
        &self,
        pipeline: &crate::features::pipeline::FeaturePipeline,
        x: Array2<f64>,
        phases: &mut Phases<'_>,
    ) -> Result<Clustered> {
        let layout = NativeLayout::of(pipeline);
        let x = layout.compress(x.view());
        let (model, k_choice) = fit_native(self, x.view(), layout.n_numeric(), &mut |done| {
            phases.within(done)
        })?;
        let labels = model.training_labels(x.view())?;
        Ok(Clustered {
            model,
            selection: None,
            k_choice,
            x,
            labels,
            extreme: None,
        })
    }

    /// The centroid and mixture algorithms: extreme customers (see [`extreme`](super::extreme))
    /// are left out of the choice of k and the clustering, then assigned to the nearest segment.
    /// `ids` are the customers' ids, `names` the model features'.
    fn cluster_without_extremes(
        &self,
        x: Array2<f64>,
        ids: &[String],
        names: &[String],
        phases: &mut Phases<'_>,
    ) -> Result<Clustered> {
        let rule = ExtremeRule::fit(x.view());
        let flags = rule.flag(x.view())?;
        let set_aside = ExtremeRule::select(&flags);
        let inliers: Vec<usize> = if set_aside.is_empty() {
            Vec::new()
        } else {
            let mut aside = set_aside.iter().peekable();
            (0..x.nrows())
                .filter(|r| {
                    if aside.peek() == Some(&r) {
                        aside.next();
                        false
                    } else {
                        true
                    }
                })
                .collect()
        };
        let x_fit = if set_aside.is_empty() {
            std::borrow::Cow::Borrowed(&x)
        } else {
            std::borrow::Cow::Owned(x.select(Axis(0), &inliers))
        };
        let (k, selection, start) = self.choose_k(x_fit.view(), &mut |done| phases.within(done))?;
        phases.begin("cluster")?;
        let model = self.cluster(k, x_fit.view(), start)?;
        let fit_labels = model.training_labels(x_fit.view())?;
        drop(x_fit);
        let labels = if set_aside.is_empty() {
            fit_labels
        } else {
            let nearest = model
                .clusterer()
                .predict(x.select(Axis(0), &set_aside).view())?;
            let mut labels = vec![0; x.nrows()];
            for (&row, &label) in inliers.iter().zip(&fit_labels) {
                labels[row] = label;
            }
            for (&row, &label) in set_aside.iter().zip(nearest.iter()) {
                labels[row] = label;
            }
            labels
        };
        let customers = set_aside
            .iter()
            .map(|&row| {
                let (feature, robust_sds) = flags[row].expect("set-aside rows are flagged rows");
                ExtremeCustomer {
                    row,
                    id: ids[row].clone(),
                    feature: names[feature].clone(),
                    robust_sds,
                    segment: labels[row],
                }
            })
            .collect();
        Ok(Clustered {
            model,
            selection: selection.map(Selection::from),
            k_choice: None,
            x,
            labels,
            extreme: Some(Extremes { rule, customers }),
        })
    }

    /// With [`value`](Self::value): the fitted value models with the value table of the
    /// segments, and the segment names qualified by value and churn risk ("High value, at
    /// risk"); `None` without.
    fn value_by_segment(
        &self,
        value: Option<(value::FittedValue, ValueColumns)>,
        labels: &[usize],
        k: usize,
        segment_names: &mut [String],
        profile: &mut SegmentationProfile,
    ) -> Result<Option<value::ValueModel>> {
        let (Some((fitted, columns)), Some(settings)) = (value, &self.value) else {
            return Ok(None);
        };
        let model = fitted.with_segments(
            &columns,
            labels,
            k,
            settings.lapse_threshold,
            self.min_group_size,
        )?;
        value::qualify_names(settings, &model, self.language, segment_names, profile);
        Ok(Some(model))
    }

    /// With [`value`](Self::value) set: BG/NBD and Gamma-Gamma fitted on the log, the value
    /// columns the clustering reads added to `table`, and all three columns for the profile.
    fn fit_value_features(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
        behaviour: &Option<BehaviourSetup>,
        table: &mut CustomerTable,
    ) -> Result<Option<(value::FittedValue, ValueColumns)>> {
        let Some(settings) = &self.value else {
            return Ok(None);
        };
        let (Some(log), Some(setup)) = (transactions, behaviour) else {
            return Err(Error::invalid_parameter(
                "value",
                "set without transactions",
                "a transaction log to fit P(alive), expected purchases and CLV on",
            ));
        };
        let (fitted, columns) = value::fit_value(settings, customers, log, setup.as_of_at_fit)?;
        columns.add_to(table, &settings.features)?;
        Ok(Some((fitted, columns)))
    }

    /// `table` with, for the profile, the value columns the clustering does not read and the
    /// lifecycle stage by churn risk (unless the table has its own `lifecycle_stage`).
    fn with_profile_only_value_columns<'t>(
        &self,
        table: &'t CustomerTable,
        columns: &ValueColumns,
    ) -> Result<std::borrow::Cow<'t, CustomerTable>> {
        let Some(settings) = &self.value else {
            return Ok(std::borrow::Cow::Borrowed(table));
        };
        let rest: Vec<ValueFeature> = ValueFeature::ALL
            .into_iter()
            .filter(|f| !settings.features.contains(f))
            .collect();
        let mut profiled = table.clone();
        columns.add_to(&mut profiled, &rest)?;
        if profiled.column(value::LIFECYCLE_COLUMN).is_err() {
            value::add_lifecycle_stage(&mut profiled, columns, settings)?;
        }
        Ok(std::borrow::Cow::Owned(profiled))
    }

    /// Enough customers for the requested number of segments.
    fn check_size(&self, n: usize) -> Result<()> {
        if n == 0 {
            return Err(Error::EmptyInput {
                what: "the customer table has 0 customers".into(),
            });
        }
        let min_rows = match self.n_clusters {
            NClusters::Fixed(k) => k,
            NClusters::Auto { max, .. } => max + 1,
        };
        if n < min_rows {
            return Err(Error::invalid_parameter(
                "n_clusters",
                self.n_clusters.to_string(),
                format!(
                    "at most {} segments for {n} customers",
                    n.saturating_sub(1).max(1)
                ),
            ));
        }
        Ok(())
    }

    /// The customer table with the behaviour features of `transactions` added, and what
    /// predict needs to recompute them.
    fn with_behaviour(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
    ) -> Result<(CustomerTable, Option<BehaviourSetup>)> {
        let Some(log) = transactions else {
            return Ok((customers.clone(), None));
        };
        let features = behaviour_features(
            customers,
            log,
            &BehaviourParams {
                as_of: self.as_of,
                ..BehaviourParams::default()
            },
        )?;
        let mut table = customers.clone();
        features.add_to_table(&mut table)?;
        let mut kinds: Vec<BehaviourFeature> = Vec::new();
        for f in &features.features {
            if !kinds.contains(f) {
                kinds.push(*f);
            }
        }
        let setup = BehaviourSetup {
            features: kinds,
            columns: features.names.clone(),
            as_of_at_fit: features.as_of,
        };
        Ok((table, Some(setup)))
    }

    /// The optional PCA and the model-space rows.
    fn reduce(&self, features: Array2<f64>) -> Result<(Option<Pca<f64>>, Array2<f64>)> {
        let components = match self.reduction {
            Reduction::None => return Ok((None, features)),
            Reduction::Components(c) => NComponents::Count(c),
            Reduction::VarianceFraction(f) => NComponents::VarianceFraction(f),
        };
        let pca = PcaParams::new(components)
            .random_state(self.random_state)
            .fit(features.view())?;
        let x = pca.transform(features.view())?;
        Ok((Some(pca), x))
    }

    /// The number of segments: the fixed one, or `select_k`'s recommendation with its evidence
    /// and, for k-means, the chosen k's segment means as the warm start of the final fit.
    ///
    /// Above [`SELECT_K_SAMPLE_ROWS`] customers every criterion is computed on a seeded sample
    /// of that many, with one k-means++ run per gap reference and stability subsample (the
    /// restarts matter for the data's own clustering, not for structure-free references), gap
    /// references of [`SELECT_K_GAP_REFERENCE_ROWS`] rows, silhouette, Calinski-Harabasz and
    /// Davies-Bouldin as the mean over [`SELECT_K_CRITERIA_PARTS`] disjoint parts of the sample
    /// (voted by the one-standard-error rule), and a second sample of twice the rows when the
    /// criteria are split on the first (no k with a majority).
    fn choose_k(
        &self,
        x: ArrayView2<f64>,
        progress: &mut dyn FnMut(f64),
    ) -> Result<(usize, Option<SelectKResult>, Option<Array2<f64>>)> {
        let NClusters::Auto { min, max } = self.n_clusters else {
            let NClusters::Fixed(k) = self.n_clusters else {
                unreachable!("NClusters has two variants")
            };
            return Ok((k, None, None));
        };
        // The restarts matter here too: one k-means++ run per k lands in a poor local optimum
        // often enough to flip the vote (make_b2b, 5,000 customers: k = 8 with one run, the
        // true 5 with four).
        let method = self.algorithm.select_method().ok_or_else(|| {
            Error::invalid_parameter(
                "algorithm",
                format!("{:?}", self.algorithm),
                "k-means, Ward or a Gaussian mixture for select_k",
            )
        })?;
        let sampled = x.nrows() > SELECT_K_SAMPLE_ROWS;
        let mut params = SelectKParams::new(min..=max)
            .method(method)
            .n_init(Some(self.n_init))
            .random_state(self.random_state)
            .sample_size(Some(SELECT_K_SAMPLE_ROWS));
        if sampled {
            params = params
                .resample_n_init(Some(1))
                .max_sample_size(Some(2 * SELECT_K_SAMPLE_ROWS))
                .gap_sample_size(Some(SELECT_K_GAP_REFERENCE_ROWS))
                .criteria_parts(SELECT_K_CRITERIA_PARTS);
        }
        let (result, mut centers) = params
            .fit_with_centers(x, |done, total| progress(done as f64 / total.max(1) as f64))?;
        let position = result
            .table
            .iter()
            .position(|r| r.k == result.recommended_k)
            .expect("the recommended k is a row of the table");
        let start =
            (sampled && method == SelectMethod::KMeans).then(|| centers.swap_remove(position));
        Ok((result.recommended_k, Some(result), start))
    }

    /// The clustering model with `k` segments; k-means starts from `start` (one run) when
    /// given, else from `n_init` k-means++ runs.
    fn cluster(
        &self,
        k: usize,
        x: ArrayView2<f64>,
        start: Option<Array2<f64>>,
    ) -> Result<FittedModel> {
        Ok(match self.algorithm {
            Algorithm::KMeans => FittedModel::KMeans(match start {
                Some(centers) => KMeansParams::new(k)
                    .init(KMeansInit::Centers(centers))
                    .random_state(self.random_state)
                    .fit(x, None)?,
                None => KMeansParams::new(k)
                    .n_init(self.n_init)
                    .random_state(self.random_state)
                    .fit(x, None)?,
            }),
            Algorithm::Ward => FittedModel::Ward(
                WardParams::new(k)
                    .random_state(self.random_state)
                    .fit(x, None)?,
            ),
            Algorithm::GaussianMixture(covariance) => FittedModel::GaussianMixture(
                GaussianMixtureParams::new(k)
                    .covariance_type(covariance)
                    .n_init(self.n_init)
                    .random_state(self.random_state)
                    .fit(x, None)?,
            ),
            Algorithm::KPrototypes | Algorithm::LatentClass => {
                return Err(Error::invalid_parameter(
                    "algorithm",
                    format!("{:?}", self.algorithm),
                    "k-means, Ward or a Gaussian mixture on the one-hot model space",
                ))
            }
        })
    }

    /// The profile of the segments and their speaking names (unique; "Segment s" where the
    /// profile has none, e.g. for a suppressed segment).
    fn profile_and_names(
        &self,
        table: &CustomerTable,
        labels: &[usize],
        k: usize,
    ) -> Result<(SegmentationProfile, Vec<String>)> {
        let has = |name: &str| table.numeric(name).is_ok();
        let revenue = self
            .revenue
            .clone()
            .or_else(|| has(DEFAULT_REVENUE_COLUMN).then(|| DEFAULT_REVENUE_COLUMN.to_string()));
        // A margin share only makes sense next to a revenue share (profile refuses it alone).
        let margin = self.margin.clone().or_else(|| {
            (revenue.is_some() && has(DEFAULT_MARGIN_COLUMN))
                .then(|| DEFAULT_MARGIN_COLUMN.to_string())
        });
        let profile_params = ProfileParams {
            revenue,
            margin,
            language: self.language,
            min_group_size: self.min_group_size,
            labels: self.labels.clone(),
            ..ProfileParams::default()
        };
        let segmentation_profile = profile(table, labels, &profile_params)?;
        let mut segment_names: Vec<String> = (0..k).map(|s| format!("Segment {s}")).collect();
        for s in &segmentation_profile.segments {
            if let Some(slot) = segment_names.get_mut(s.segment) {
                slot.clone_from(&s.name);
            }
        }
        make_unique(&mut segment_names);
        Ok((segmentation_profile, segment_names))
    }
}
