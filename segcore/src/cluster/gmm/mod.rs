//! Gaussian mixture models: probabilistic segment membership.
//!
//! - [`GaussianMixtureParams`] -> [`GaussianMixtureValidParams`] -> [`GaussianMixture`]: EM with
//!   scikit-learn's semantics for the four covariance types ([`CovarianceType`]), its
//!   initialisations ([`GaussianMixtureInit`], user-given weights / means / precisions),
//!   `reg_covar`, `tol` on the change of the mean log-likelihood, `n_init`; Cholesky factors of the
//!   precisions and log-sum-exp throughout, so no step forms an inverse or overflows.
//! - [`select_mixture`]: mclust-style BIC grid over k x covariance type, returning the table and
//!   the best model; [`GaussianMixture::uncertainty`] gives each customer's `1 - max p`.
//!
//! Deterministic: the same data and `random_state` give bit-identical results on any number of
//! threads (rows are processed in fixed chunks whose sums are reduced in a fixed order). `f32`
//! input is computed in `f32` (the d x d factorisations in `f64`). Extra memory is the n x k
//! responsibility matrix.
//!
//! Measured (`benches/compare_gmm.py`, 100k x 8, k = 6, same start, 5 fixed EM iterations, one
//! run on a shared 2-core box at load ~8, so ratios only): full 55.9 ms/iteration against
//! scikit-learn's 238 ms (1 BLAS thread) / 586 ms (2 threads); diag 39.2 ms against 121 / 290 ms;
//! lower bounds equal to 12 digits. `examples/gmm_bench.rs` in one run: full 109 ms against
//! linfa-clustering's 835 ms (load ~17). Diag costing 70% of full shows the per-row work
//! (exp/log-sum-exp, two passes) dominates, not the triangular products: a vectorised `exp` is
//! the next step.

mod algorithm;
mod hyperparams;
mod kernel;
mod linalg;
mod select;

pub use algorithm::GaussianMixture;
pub use hyperparams::{
    CovarianceType, GaussianMixtureInit, GaussianMixtureParams, GaussianMixtureValidParams,
};
pub use linalg::Covariances;
pub use select::{select_mixture, MixtureCandidate, MixtureSelection};
