//! Clustering algorithms, one folder per family.

pub mod kmeans;
pub mod ward;
