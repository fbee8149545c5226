//! Cluster validity metrics and choosing the number of segments.
//!
//! - [`metrics`]: silhouette, Calinski-Harabasz, Davies-Bouldin, inertia, ARI, NMI (scikit-learn's
//!   numbers).
//! - [`SelectKParams`]: evaluate a range of k with every criterion and recommend one, with the
//!   reason in words; built on [`elbow`], [`gap`] and [`stability`].

pub mod elbow;
pub mod gap;
pub mod metrics;
pub mod select_k;
pub mod stability;

pub use gap::GapReference;
pub use select_k::{
    Criterion, CriterionVote, KEvaluation, SelectKParams, SelectKResult, SelectKSample,
    SelectKValidParams, SelectMethod, AUTO_EXACT_SILHOUETTE_ROWS, SELECT_K_CRITERIA_PARTS,
    SELECT_K_GAP_REFERENCE_ROWS,
};
