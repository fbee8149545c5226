//! Clustering algorithms, one folder per family, and the face they share.
//!
//! Every fitted model implements [`FittedClusterer`] (features in, segments out, centroids,
//! optional probabilities), so the Segmenter and the model loader treat them alike.

mod fitted;
pub mod gmm;
pub mod kmeans;
pub mod kprototypes;
pub mod latent_class;
pub mod ward;

pub use fitted::{Assigned, FittedClusterer, ModelFloat};
