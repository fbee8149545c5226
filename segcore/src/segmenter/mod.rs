//! The Segmenter: one fitted, saved, embeddable segmentation model from raw customer data to
//! named segments.
//!
//! [`SegmenterParams::fit`] takes a customer table (firmographics) and, optionally, a
//! transaction log, and runs the whole chain once:
//!
//! 1. behaviour features from the log ([`behaviour_features`](crate::features::behaviour)) are
//!    added to the table (`recency_days`, `frequency`, `monetary`, ...);
//! 2. a column spec ([`PipelineSpec`](crate::features::pipeline::PipelineSpec), given or
//!    inferred by [`infer_spec`] from the column types) is fitted as a
//!    [`FeaturePipeline`](crate::features::pipeline::FeaturePipeline);
//! 3. optional PCA ([`Reduction`]);
//! 4. the clustering algorithm ([`Algorithm`]) with a fixed k or k chosen by
//!    [`select_k`](crate::select::select_k) ([`NClusters`]); k-prototypes and latent class
//!    models take the categorical columns natively, one code column per one-hot block, and
//!    choose k by their own criterion ([`KChoice`]: mixed-distance silhouette, BIC);
//!    Extreme customers (beyond 8 robust SDs on a feature, at most 1 %) are set aside for the
//!    choice of k and the clustering, then assigned to the nearest segment and reported
//!    ([`extreme`], [`Segmenter::extreme_customers`]);
//! 5. the segment profile with speaking names ([`profile`](crate::profile::profile()));
//! 6. optionally ([`SegmenterParams::value`]), churn risk and value: P(alive), expected purchases
//!    and CLV from BG/NBD and Gamma-Gamma fitted on the log, as features, profile columns, a
//!    value table per segment and names such as "Volume customers: high value, at risk"
//!    ([`value`]).
//!
//! The fitted [`Segmenter`] holds everything needed to assign new or changed customers
//! ([`Segmenter::predict`], [`Segmenter::predict_record`] for one JSON record in a service) and
//! saves as one versioned document through [`persist`](crate::persist) (kind `"segmenter"`;
//! layout in `docs/segmenter-model.md` and `docs/segmenter-model.schema.json`).
//!
//! [`Segmenter::report_html`] writes the report a sales manager reads or prints ([`report`]:
//! data and period, segment shares of customers, revenue and margin, effect-size heatmap, the
//! evidence for k, the Lorenz curve), with the context the model does not know
//! ([`ReportContext`]).
//!
//! Every input row gets an [`Assignment`]: a row that cannot be assigned (a missing value the spec
//! does not impute, an infinite value, an ordinal category outside the declared order) gets
//! `segment: None` and the reason, never silently dropped. Structural problems (a missing column,
//! a column of the wrong type) are an error for the whole call.
//!
//! ```
//! use segcore::datasets::{make_b2b, B2bParams};
//! use segcore::segmenter::{NClusters, SegmenterParams};
//!
//! let data = make_b2b(&B2bParams { n_customers: 300, ..B2bParams::default() })?;
//! let model = SegmenterParams::new()
//!     .n_clusters(NClusters::Fixed(4))
//!     .fit(&data.customers, Some(&data.transactions))?;
//! assert_eq!(model.n_segments(), 4);
//! let assigned = model.predict(&data.customers, Some(&data.transactions))?;
//! assert_eq!(assigned.len(), 300);
//! assert_eq!(assigned[0].segment, Some(model.labels()[0]));
//! // One saved document; loading checks every shape and number.
//! let document = segcore::persist::to_json(&model)?;
//! let loaded: segcore::segmenter::Segmenter = segcore::persist::from_json(&document)?;
//! assert_eq!(loaded.predict(&data.customers, Some(&data.transactions))?, assigned);
//! # Ok::<(), segcore::Error>(())
//! ```

pub mod cli;
mod csv_job;
pub mod dates;
mod document;
pub mod extreme;
mod fit;
pub mod form;
mod infer;
mod model;
mod native;
mod params;
mod phases;
pub mod report;
mod summary;
pub mod value;

pub use csv_job::{segment_csv, CsvJob, CsvSegmentation, CUSTOMER_ID_COLUMNS};
pub use dates::DateColumn;
pub use extreme::{ExtremeCustomer, ExtremeRule, Extremes};
pub use infer::{check_numeric_text, infer_spec};
pub use model::{Segmenter, SCORE_SAMPLE_SIZE};
pub use native::{KChoice, KChoiceRow, NUMERIC_BINS};
pub use params::{SegmenterParams, SegmenterValidParams, SELECT_K_SAMPLE_ROWS};
pub use phases::PhaseTime;
pub use report::ReportContext;
pub use value::{ValueColumns, ValueFeature, ValueModel, ValueNames, ValueParams};

use crate::cluster::gmm::CovarianceType;
use serde::{Deserialize, Serialize};

/// The clustering algorithm of a [`Segmenter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// k-means (k-means++ starts, `n_init` restarts): compact, similar-size segments.
    #[default]
    KMeans,
    /// Ward hierarchical clustering; new customers go to the nearest segment centroid.
    Ward,
    /// Gaussian mixture of the given covariance type; also gives segment probabilities.
    GaussianMixture(CovarianceType),
    /// k-prototypes (Huang): numeric features by squared distance, categorical columns natively
    /// by mismatch count (not one-hot); k chosen by the mixed-distance silhouette (see
    /// [`KChoice`]).
    #[serde(rename = "kprototypes")]
    KPrototypes,
    /// Latent class model: categorical columns natively as indicators, numeric features cut at
    /// their quintiles; k chosen by BIC (see [`KChoice`]); also gives segment probabilities.
    LatentClass,
}

impl Algorithm {
    /// Parses the names the Python API uses (`"kmeans"`, `"ward"`, `"gmm"` with
    /// `covariance_type`, `"kprototypes"`, `"latent_class"`), as
    /// [`SelectMethod::from_names`](crate::select::SelectMethod::from_names) for the first three.
    pub fn from_names(name: &str, covariance_type: &str) -> crate::Result<Self> {
        use crate::select::SelectMethod;
        Ok(match name {
            "kprototypes" => Algorithm::KPrototypes,
            "latent_class" => Algorithm::LatentClass,
            "kmeans" | "ward" | "gmm" | "gaussian_mixture" => {
                match SelectMethod::from_names(name, covariance_type, "algorithm")? {
                    SelectMethod::Ward => Algorithm::Ward,
                    SelectMethod::GaussianMixture(covariance) => {
                        Algorithm::GaussianMixture(covariance)
                    }
                    SelectMethod::KMeans => Algorithm::KMeans,
                }
            }
            other => {
                return Err(crate::Error::invalid_parameter(
                    "algorithm",
                    format!("'{other}'"),
                    "one of 'kmeans', 'ward', 'gmm', 'kprototypes', 'latent_class'",
                ))
            }
        })
    }

    /// Whether the algorithm takes categorical columns natively (k-prototypes, latent class)
    /// instead of their one-hot columns.
    pub fn takes_categories(self) -> bool {
        matches!(self, Algorithm::KPrototypes | Algorithm::LatentClass)
    }
}

/// How many segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NClusters {
    /// Exactly this many segments.
    Fixed(usize),
    /// Chosen by [`select_k`](crate::select::select_k) among `min..=max` (the criteria's vote;
    /// the evidence is kept in [`Segmenter::selection`]).
    Auto {
        /// Fewest segments considered (at least 2).
        min: usize,
        /// Most segments considered.
        max: usize,
    },
}

/// In the user's words: `4`, or `auto in 4..=8` (messages never show Rust's debug form).
impl std::fmt::Display for NClusters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NClusters::Fixed(k) => write!(f, "{k}"),
            NClusters::Auto { min, max } => write!(f, "auto in {min}..={max}"),
        }
    }
}

impl Default for NClusters {
    fn default() -> Self {
        NClusters::Auto { min: 4, max: 8 }
    }
}

/// Optional PCA between the feature pipeline and the clustering.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduction {
    /// No PCA: cluster the pipeline's features.
    #[default]
    None,
    /// Keep this many principal components.
    Components(usize),
    /// Keep the fewest components explaining more than this fraction of the variance, in (0, 1].
    VarianceFraction(f64),
}

/// The segment of one input row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// Segment label (`0..n_segments`), `None` when the row cannot be assigned.
    pub segment: Option<usize>,
    /// The segment's name, `None` when the row cannot be assigned.
    pub name: Option<String>,
    /// Probability of every segment (Gaussian mixtures only).
    pub probabilities: Option<Vec<f64>>,
    /// `1 - max probability` (Gaussian mixtures only): 0 for a sure member, towards `1 - 1/k`
    /// for a customer between segments; see [`crate::profile::membership`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<f64>,
    /// Why the row could not be assigned (`None` when it was).
    pub reason: Option<String>,
    /// Set when the customer is extreme by the rule of fit (see [`extreme`]): how far, on which
    /// feature. It is still assigned to its nearest segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extreme: Option<String>,
}

impl Assignment {
    pub(crate) fn unassigned(reason: String) -> Assignment {
        Assignment {
            segment: None,
            name: None,
            probabilities: None,
            uncertainty: None,
            reason: Some(reason),
            extreme: None,
        }
    }
}
