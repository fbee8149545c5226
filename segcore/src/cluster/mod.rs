//! Clustering algorithms, one folder per family.

pub mod gmm;
pub mod kmeans;
pub mod ward;
