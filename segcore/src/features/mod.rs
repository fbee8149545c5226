//! Features from raw B2B data (behaviour from transactions, value, lifecycle, firmographics).
//!
//! - [`behaviour`]: recency, frequency, monetary value and related per-customer features from a
//!   [`TransactionLog`](crate::data::TransactionLog).

pub mod behaviour;

pub use behaviour::{behaviour_features, BehaviourFeature, BehaviourFeatures, BehaviourParams};
