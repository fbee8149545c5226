//! Cluster validity metrics and choosing the number of segments.

pub mod metrics;
