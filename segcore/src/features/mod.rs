//! Features from raw B2B data (behaviour from transactions, value, lifecycle, firmographics).
//!
//! - [`behaviour`]: recency, frequency, monetary value and related per-customer features from a
//!   [`TransactionLog`](crate::data::TransactionLog).
//! - [`segmentation`]: the default clustering features (behaviour + firmographic size) of the
//!   end-to-end path.

pub mod behaviour;

pub use behaviour::{behaviour_features, BehaviourFeature, BehaviourFeatures, BehaviourParams};
pub mod segmentation;
pub use segmentation::{segmentation_features, SegmentationFeatures};
pub mod pipeline;
