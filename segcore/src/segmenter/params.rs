//! [`SegmenterParams`]: the builder, its checks and the fit.

use super::infer::infer_spec;
use super::model::{FittedModel, Segmenter, Selection};
use super::{Algorithm, NClusters, Reduction};
use crate::cluster::gmm::GaussianMixtureParams;
use crate::cluster::kmeans::KMeansParams;
use crate::cluster::ward::WardParams;
use crate::data::{CustomerTable, Date, TransactionLog};
use crate::error::{Error, Result};
use crate::features::behaviour::{behaviour_features, BehaviourFeature, BehaviourParams};
use crate::features::pipeline::PipelineSpec;
use crate::profile::{profile, Language, ProfileParams};
use crate::reduce::{NComponents, PcaParams};
use crate::select::select_k::{SelectKParams, SelectMethod};
use serde::{Deserialize, Serialize};

/// Default revenue column of the profile (the behaviour feature `monetary`), used when present.
pub const DEFAULT_REVENUE_COLUMN: &str = "monetary";
/// Default margin column of the profile (the behaviour feature `margin`), used when present.
pub const DEFAULT_MARGIN_COLUMN: &str = "margin";
/// Largest k of [`NClusters::Auto`]: beyond it a segmentation stops being readable.
const MAX_AUTO_K: usize = 50;

/// Parameters of a [`Segmenter`]: a builder whose defaults give a sensible model in one line.
///
/// ```
/// use segcore::datasets::{make_b2b, B2bParams};
/// use segcore::segmenter::{Algorithm, NClusters, Reduction, SegmenterParams};
///
/// let data = make_b2b(&B2bParams { n_customers: 200, ..B2bParams::default() })?;
/// let params = SegmenterParams::new()
///     .algorithm(Algorithm::Ward)
///     .n_clusters(NClusters::Fixed(3))
///     .reduction(Reduction::VarianceFraction(0.9))
///     .random_state(7);
/// params.check()?;
/// let model = params.fit(&data.customers, Some(&data.transactions))?;
/// assert_eq!(model.segment_names().len(), 3);
/// assert!(model.feature_names_out()[0].starts_with("pc"));
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SegmenterParams {
    /// The column spec; `None` (default): inferred from the column types by [`infer_spec`].
    pub spec: Option<PipelineSpec>,
    /// Clustering algorithm (default k-means).
    pub algorithm: Algorithm,
    /// Number of segments (default: chosen among 4..=8).
    pub n_clusters: NClusters,
    /// Optional PCA (default none).
    pub reduction: Reduction,
    /// As-of date of the behaviour features, used at fit and at predict. `None` (default): the
    /// day after the last transaction of the log given to each call.
    pub as_of: Option<Date>,
    /// Revenue column of the profile; `None`: `monetary` when the table (with behaviour) has it.
    pub revenue: Option<String>,
    /// Margin column of the profile; `None`: `margin` when the table (with behaviour) has it.
    pub margin: Option<String>,
    /// Language of segment names and reports (default English).
    pub language: Language,
    /// Smallest group whose profile figures are published (default 10).
    pub min_group_size: usize,
    /// Seed of every random choice (default 0): same data + seed = same model.
    pub random_state: u64,
    /// Restarts of k-means / Gaussian mixtures, in the final fit and in each fit of `select_k`
    /// (default 4; the best is kept).
    pub n_init: usize,
}

impl Default for SegmenterParams {
    fn default() -> Self {
        SegmenterParams {
            spec: None,
            algorithm: Algorithm::KMeans,
            n_clusters: NClusters::default(),
            reduction: Reduction::None,
            as_of: None,
            revenue: None,
            margin: None,
            language: Language::English,
            min_group_size: 10,
            random_state: 0,
            n_init: 4,
        }
    }
}

impl SegmenterParams {
    /// The defaults: inferred spec, k-means, k chosen among 4..=8, no PCA.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the column spec (instead of inferring one).
    pub fn spec(mut self, spec: PipelineSpec) -> Self {
        self.spec = Some(spec);
        self
    }
    /// Sets the clustering algorithm.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }
    /// Sets the number of segments (fixed or chosen).
    pub fn n_clusters(mut self, n_clusters: NClusters) -> Self {
        self.n_clusters = n_clusters;
        self
    }
    /// Sets the optional PCA.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }
    /// Sets the as-of date of the behaviour features.
    pub fn as_of(mut self, date: Date) -> Self {
        self.as_of = Some(date);
        self
    }
    /// Sets the profile's revenue column.
    pub fn revenue(mut self, column: &str) -> Self {
        self.revenue = Some(column.to_string());
        self
    }
    /// Sets the profile's margin column.
    pub fn margin(mut self, column: &str) -> Self {
        self.margin = Some(column.to_string());
        self
    }
    /// Sets the language of names and reports.
    pub fn language(mut self, language: Language) -> Self {
        self.language = language;
        self
    }
    /// Sets the smallest published group size of the profile.
    pub fn min_group_size(mut self, size: usize) -> Self {
        self.min_group_size = size;
        self
    }
    /// Sets the seed.
    pub fn random_state(mut self, seed: u64) -> Self {
        self.random_state = seed;
        self
    }
    /// Sets the restarts of the final k-means / mixture fit.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Checks every parameter that does not depend on the data, naming the parameter and the
    /// allowed range.
    pub fn check(&self) -> Result<()> {
        if let Some(spec) = &self.spec {
            spec.check()?;
        }
        match self.n_clusters {
            NClusters::Fixed(0) => {
                return Err(Error::invalid_parameter(
                    "n_clusters",
                    0,
                    "a number of segments >= 1",
                ))
            }
            NClusters::Auto { min, max } if !(2 <= min && min <= max && max <= MAX_AUTO_K) => {
                return Err(Error::invalid_parameter(
                    "n_clusters",
                    format!("auto {min}..={max}"),
                    format!("a range min..=max with 2 <= min <= max <= {MAX_AUTO_K}"),
                ))
            }
            _ => {}
        }
        match self.reduction {
            Reduction::Components(0) => {
                return Err(Error::invalid_parameter(
                    "reduction",
                    "0 components",
                    "at least 1 component",
                ))
            }
            Reduction::VarianceFraction(f) if !(f > 0.0 && f <= 1.0) => {
                return Err(Error::invalid_parameter(
                    "reduction",
                    format!("variance fraction {f}"),
                    "a fraction in (0, 1]",
                ))
            }
            _ => {}
        }
        for (name, column) in [("revenue", &self.revenue), ("margin", &self.margin)] {
            if column.as_deref() == Some("") {
                return Err(Error::invalid_parameter(name, "\"\"", "a column name"));
            }
        }
        if self.min_group_size == 0 {
            return Err(Error::invalid_parameter(
                "min_group_size",
                0,
                "an integer >= 1",
            ));
        }
        if self.n_init == 0 {
            return Err(Error::invalid_parameter("n_init", 0, "an integer >= 1"));
        }
        Ok(())
    }

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
    /// whole fit done, in `[0, 1]`), for a progress bar.
    pub fn fit_with_progress(
        &self,
        customers: &CustomerTable,
        transactions: Option<&TransactionLog>,
        progress: &mut dyn FnMut(&str, f64),
    ) -> Result<Segmenter> {
        self.check()?;
        let n = customers.n_customers();
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
                format!("{:?}", self.n_clusters),
                format!(
                    "at most {} segments for {n} customers",
                    n.saturating_sub(1).max(1)
                ),
            ));
        }
        progress("behaviour", 0.0);
        let (table, behaviour) = match transactions {
            Some(log) => {
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
                (table, Some(setup))
            }
            None => (customers.clone(), None),
        };
        progress("features", 0.05);
        let spec = match &self.spec {
            Some(spec) => spec.clone(),
            None => infer_spec(&table),
        };
        let pipeline = spec.fit_table(&table)?;
        let features = pipeline.transform_table(&table)?;
        progress("reduction", 0.1);
        let pca = match self.reduction {
            Reduction::None => None,
            Reduction::Components(c) => Some(
                PcaParams::new(NComponents::Count(c))
                    .random_state(self.random_state)
                    .fit(features.view())?,
            ),
            Reduction::VarianceFraction(f) => Some(
                PcaParams::new(NComponents::VarianceFraction(f))
                    .random_state(self.random_state)
                    .fit(features.view())?,
            ),
        };
        let x = match &pca {
            Some(pca) => pca.transform(features.view())?,
            None => features,
        };
        progress("select_k", 0.15);
        let (k, selection) = match self.n_clusters {
            NClusters::Fixed(k) => (k, None),
            NClusters::Auto { min, max } => {
                let method = match self.algorithm {
                    Algorithm::KMeans => SelectMethod::KMeans,
                    Algorithm::Ward => SelectMethod::Ward,
                    Algorithm::GaussianMixture(c) => SelectMethod::GaussianMixture(c),
                };
                // The restarts matter here too: one k-means++ run per k lands in a poor local
                // optimum often enough to flip the vote (make_b2b, 5,000 customers: k = 8
                // with one run, the true 5 with four).
                let result = SelectKParams::new(min..=max)
                    .method(method)
                    .n_init(Some(self.n_init))
                    .random_state(self.random_state)
                    .fit_with_progress(x.view(), |done, total| {
                        progress("select_k", 0.15 + 0.6 * done as f64 / total.max(1) as f64)
                    })?;
                (result.recommended_k, Some(result))
            }
        };
        progress("cluster", 0.75);
        let model = match self.algorithm {
            Algorithm::KMeans => FittedModel::KMeans(
                KMeansParams::new(k)
                    .n_init(self.n_init)
                    .random_state(self.random_state)
                    .fit(x.view(), None)?,
            ),
            Algorithm::Ward => FittedModel::Ward(
                WardParams::new(k)
                    .seed(self.random_state)
                    .fit(x.view(), None)?,
            ),
            Algorithm::GaussianMixture(covariance) => FittedModel::GaussianMixture(
                GaussianMixtureParams::new(k)
                    .covariance_type(covariance)
                    .n_init(self.n_init)
                    .random_state(self.random_state)
                    .fit(x.view(), None)?,
            ),
        };
        let labels = model.training_labels(x.view())?;
        progress("profile", 0.9);
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
            ..ProfileParams::default()
        };
        let segmentation_profile = profile(&table, &labels, &profile_params)?;
        let mut segment_names: Vec<String> = (0..k).map(|s| format!("Segment {s}")).collect();
        for s in &segmentation_profile.segments {
            if let Some(slot) = segment_names.get_mut(s.segment) {
                slot.clone_from(&s.name);
            }
        }
        super::model::make_unique(&mut segment_names);
        progress("profile", 1.0);
        Segmenter::assemble(
            self.clone(),
            behaviour,
            pipeline,
            pca,
            model,
            segment_names,
            labels,
            selection.map(Selection::from),
            segmentation_profile,
        )
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn name(err: Error) -> &'static str {
        match err {
            Error::InvalidParameter { name, .. } => name,
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let cases = [
            (
                SegmenterParams::new().n_clusters(NClusters::Fixed(0)),
                "n_clusters",
            ),
            (
                SegmenterParams::new().n_clusters(NClusters::Auto { min: 1, max: 4 }),
                "n_clusters",
            ),
            (
                SegmenterParams::new().n_clusters(NClusters::Auto { min: 6, max: 4 }),
                "n_clusters",
            ),
            (
                SegmenterParams::new().reduction(Reduction::Components(0)),
                "reduction",
            ),
            (
                SegmenterParams::new().reduction(Reduction::VarianceFraction(1.5)),
                "reduction",
            ),
            (
                SegmenterParams::new().reduction(Reduction::VarianceFraction(f64::NAN)),
                "reduction",
            ),
            (SegmenterParams::new().min_group_size(0), "min_group_size"),
            (SegmenterParams::new().n_init(0), "n_init"),
            (SegmenterParams::new().revenue(""), "revenue"),
            (
                SegmenterParams::new().spec(PipelineSpec::default()),
                "columns",
            ),
        ];
        for (params, expected) in cases {
            assert_eq!(name(params.check().unwrap_err()), expected, "{params:?}");
        }
        assert!(SegmenterParams::new().check().is_ok());
    }

    #[test]
    fn params_json_round_trip_and_unknown_fields() {
        let params = SegmenterParams::new()
            .algorithm(Algorithm::GaussianMixture(
                crate::cluster::gmm::CovarianceType::Diag,
            ))
            .n_clusters(NClusters::Fixed(5))
            .reduction(Reduction::VarianceFraction(0.8))
            .as_of(Date::from_ymd(2025, 6, 30).unwrap());
        let json = serde_json::to_string(&params).unwrap();
        assert_eq!(
            serde_json::from_str::<SegmenterParams>(&json).unwrap(),
            params
        );
        assert!(serde_json::from_str::<SegmenterParams>(r#"{"n_clusterz": 3}"#).is_err());
        let partial: SegmenterParams = serde_json::from_str(r#"{"n_init": 2}"#).unwrap();
        assert_eq!(partial.n_init, 2);
        assert_eq!(partial.n_clusters, NClusters::Auto { min: 4, max: 8 });
    }

    #[test]
    fn too_few_customers_is_an_error_naming_n_clusters() {
        let mut table = CustomerTable::new((0..5).map(|i| format!("C{i}")).collect()).unwrap();
        table
            .add_numeric("x", vec![1.0, 2.0, 3.0, 4.0, 5.0])
            .unwrap();
        let err = SegmenterParams::new().fit(&table, None).unwrap_err();
        assert_eq!(name(err), "n_clusters");
        let empty = CustomerTable::new(Vec::new()).unwrap();
        assert!(matches!(
            SegmenterParams::new().fit(&empty, None),
            Err(Error::EmptyInput { .. })
        ));
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<SegmenterParams>();
        is::<Algorithm>();
        is::<NClusters>();
        is::<Reduction>();
    }
}
