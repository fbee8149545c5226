//! k-means: exact accelerated Lloyd, k-means++ initialisation, mini-batch streaming.
//!
//! - [`KMeansParams`] -> [`KMeansValidParams`] -> [`KMeans`]: exact k-means with scikit-learn's
//!   semantics (greedy k-means++, `n_init`, `tol` relative to the mean feature variance,
//!   sample weights, empty clusters re-seeded with the farthest rows).
//! - [`MiniBatchKMeansParams`] -> [`MiniBatchKMeansValidParams`] -> [`MiniBatchKMeans`]:
//!   scikit-learn's mini-batch k-means, with `partial_fit` for data arriving in chunks.
//! - [`align_labels`] / [`KMeans::aligned_to`]: keep labels stable across refits.
//!
//! Every result is deterministic: the same data and `random_state` give bit-identical results on
//! any number of threads (work is split in fixed chunks reduced in a fixed order). `f32` input is
//! computed in `f32` and `f64` in `f64`. Peak extra memory is O(n + k d): labels (and for Hamerly
//! two bounds) per row, never an n x k distance matrix.

mod algorithm;
mod align;
mod hyperparams;
mod init;
mod kernel;
mod minibatch;
mod minibatch_hyperparams;
mod saved;

pub use algorithm::KMeans;
pub(crate) use algorithm::{
    assignment_sums, labels_inertia, labels_inertia_onto, sq_dist, AssignmentSums,
};
pub use align::align_labels;
pub use hyperparams::{KMeansAlgorithm, KMeansInit, KMeansParams, KMeansValidParams};
pub(crate) use kernel::{load_centered_row, Label};
pub(crate) use kernel::{PreparedCenters, CHUNK_ROWS};
pub use minibatch::MiniBatchKMeans;
pub use minibatch_hyperparams::{MiniBatchKMeansParams, MiniBatchKMeansValidParams};
