//! Clustering algorithms, one folder per family.

pub mod gmm;
pub mod kmeans;
pub mod kprototypes;
pub mod latent_class;
pub mod ward;
