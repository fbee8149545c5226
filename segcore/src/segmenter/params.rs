//! [`SegmenterParams`]: the builder and its checks, giving the [`SegmenterValidParams`] a fit
//! takes.

use super::value::ValueParams;
use super::{Algorithm, NClusters, Reduction};
use crate::data::Date;
use crate::error::{Error, Result};
use crate::features::pipeline::PipelineSpec;
use crate::profile::Language;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default revenue column of the profile (the behaviour feature `monetary`), used when present.
pub const DEFAULT_REVENUE_COLUMN: &str = "monetary";
/// Default margin column of the profile (the behaviour feature `margin`), used when present.
pub const DEFAULT_MARGIN_COLUMN: &str = "margin";
/// Above this many customers, [`NClusters::Auto`] chooses k on a seeded random sample of this
/// many (every criterion, the gap references and stability subsamples included), then fits the
/// chosen k once on every customer, warm-started from the sample's segments; the cost of choosing
/// stops growing with n; a sample whose criteria split (no k with a majority) is evaluated again
/// on twice the rows. The recommendation equals the one computed on every row on make_b2b at
/// 20k and 50k customers, seeds 0-2, Wholesale and the Online Retail customers
/// (`test_select_k_scale.py`).
pub const SELECT_K_SAMPLE_ROWS: usize = 20_000;
/// Largest k of [`NClusters::Auto`]: beyond it a segmentation stops being readable.
const MAX_AUTO_K: usize = 50;

/// Parameters of a [`Segmenter`](super::Segmenter): a builder whose defaults give a sensible model in one line.
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
/// let checked = params.check()?;
/// let model = checked.fit(&data.customers, Some(&data.transactions))?;
/// assert_eq!(model.segment_names().len(), 3);
/// assert!(model.feature_names_out()[0].starts_with("pc"));
/// # Ok::<(), segcore::Error>(())
/// ```
///
/// Besides its serde form in model documents, the parameters have a form in the vocabulary of
/// the Python keyword arguments (`n_clusters`, `k_range`, `n_components`, `language: "en"`...):
/// see [`form`](super::form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SegmenterParams {
    /// The column spec; `None` (default): inferred from the column types by
    /// [`infer_spec`](super::infer_spec).
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
    /// Churn risk and value (P(alive), expected purchases, CLV from BG/NBD and Gamma-Gamma fitted
    /// on the log) as behaviour features, profile columns and name qualifiers; `None` (default):
    /// off. Needs a transaction log. See [`value`](super::value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<ValueParams>,
    /// The user's labels of their columns (column -> label), read by segment names and
    /// descriptions instead of the column name (default none; built-in features have labels of
    /// their own, see [`labels`](crate::profile::labels)).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
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
            value: None,
            labels: BTreeMap::new(),
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

    /// Gives column `column` the label `label` in names and descriptions.
    pub fn label(mut self, column: &str, label: &str) -> Self {
        self.labels.insert(column.to_string(), label.to_string());
        self
    }

    /// Turns on the value features (see [`value`](super::value)).
    pub fn value(mut self, value: ValueParams) -> Self {
        self.value = Some(value);
        self
    }

    /// Checks every parameter that does not depend on the data, naming the parameter and the
    /// allowed range; the checked parameters fit ([`SegmenterValidParams::fit`]).
    pub fn check(&self) -> Result<SegmenterValidParams> {
        self.check_ref()?;
        Ok(SegmenterValidParams(self.clone()))
    }

    fn check_ref(&self) -> Result<()> {
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
        if self.algorithm.takes_categories() && self.reduction != Reduction::None {
            return Err(Error::invalid_parameter(
                "reduction",
                format!("{:?} with algorithm {:?}", self.reduction, self.algorithm),
                "no PCA: k-prototypes and latent class take categorical columns natively, and \
                 PCA mixes them into numeric components",
            ));
        }
        for (name, column) in [("revenue", &self.revenue), ("margin", &self.margin)] {
            if column.as_deref() == Some("") {
                return Err(Error::invalid_parameter(name, "\"\"", "a column name"));
            }
        }
        if let Some((column, _)) = self
            .labels
            .iter()
            .find(|(c, l)| c.is_empty() || l.trim().is_empty())
        {
            return Err(Error::invalid_parameter(
                "labels",
                format!("an empty column or label (column `{column}`)"),
                "a column name and a non-empty label",
            ));
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
        if let Some(value) = &self.value {
            value.check()?;
        }
        Ok(())
    }
}

/// Segmenter parameters that passed [`SegmenterParams::check`] (or were read by
/// [`SegmenterParams::from_form`]): what a fit takes.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmenterValidParams(SegmenterParams);

impl SegmenterValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &SegmenterParams {
        &self.0
    }

    /// The checked parameters, to build on (they are checked again at the next fit).
    pub fn into_params(self) -> SegmenterParams {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CustomerTable;

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
            (
                SegmenterParams::new()
                    .algorithm(Algorithm::KPrototypes)
                    .reduction(Reduction::Components(2)),
                "reduction",
            ),
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
    fn a_fit_times_its_phases_and_reports_growing_progress() {
        let data = crate::datasets::make_b2b(&crate::datasets::B2bParams {
            n_customers: 120,
            ..crate::datasets::B2bParams::default()
        })
        .unwrap();
        let mut seen: Vec<(String, f64)> = Vec::new();
        let model = SegmenterParams::new()
            .fit_with_progress(&data.customers, Some(&data.transactions), &mut |s, f| {
                seen.push((s.to_string(), f))
            })
            .unwrap();
        let phases: Vec<&str> = model
            .phase_times()
            .iter()
            .map(|t| t.phase.as_str())
            .collect();
        assert_eq!(
            phases,
            [
                "behaviour",
                "features",
                "reduction",
                "select_k",
                "cluster",
                "profile"
            ]
        );
        assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1));
        assert_eq!(seen.last().map(|s| s.1), Some(1.0));
        // Below the sample size every row is evaluated; the times are not part of the model.
        assert!(model.state.selection.as_ref().unwrap().0.sample.is_none());
        let again = SegmenterParams::new()
            .fit(&data.customers, Some(&data.transactions))
            .unwrap();
        assert_eq!(model, again);
    }

    #[test]
    fn checked_params_are_the_params() {
        let params = SegmenterParams::new()
            .n_clusters(NClusters::Fixed(3))
            .label("monetary", "Umsatz");
        let checked = params.check().unwrap();
        assert_eq!(checked.params(), &params);
        assert_eq!(checked.into_params(), params);
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<SegmenterParams>();
        is::<SegmenterValidParams>();
        is::<Algorithm>();
        is::<NClusters>();
        is::<Reduction>();
    }
}
