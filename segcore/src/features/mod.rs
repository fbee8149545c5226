//! Features from raw B2B data (behaviour from transactions, value, lifecycle, firmographics).
//!
//! - [`behaviour`]: recency, frequency, monetary value and related per-customer features from a
//!   [`TransactionLog`](crate::data::TransactionLog).
//! - [`rfm`]: RFM quantile scores and named RFM segments from a replaceable rule table.
//! - [`value`]: ABC/Pareto classes and concentration figures (Lorenz curve, Gini, top x% share).
//! - [`lifecycle`]: lifecycle stages (new, active, at risk, lapsed, churned).
//! - [`segmentation`]: the default clustering features (behaviour + firmographic size) of the
//!   end-to-end path.

pub mod behaviour;

pub use behaviour::{behaviour_features, BehaviourFeature, BehaviourFeatures, BehaviourParams};
pub mod lifecycle;
pub mod rfm;
pub mod segmentation;
pub mod value;
pub use segmentation::{segmentation_features, SegmentationFeatures};
pub mod pipeline;
