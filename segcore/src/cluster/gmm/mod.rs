//! Gaussian mixture models: probabilistic segment membership.
//!
//! - [`GaussianMixtureParams`] -> [`GaussianMixtureValidParams`] -> [`GaussianMixture`]: EM with
//!   scikit-learn's semantics for the four covariance types ([`CovarianceType`]), its
//!   initialisations ([`GaussianMixtureInit`], user-given weights / means / precisions),
//!   `reg_covar`, `tol` on the change of the mean log-likelihood, `n_init`; Cholesky factors of the
//!   precisions and log-sum-exp throughout, so no step forms an inverse or overflows.
//! - [`select_mixture`]: mclust-style BIC grid over k x covariance type, returning the table and
//!   the best model; [`GaussianMixture::uncertainty`] gives each customer's `1 - max p`.
//! - [`MixtureModelParams`] -> [`GaussianMixture`] with R mclust's 14 covariance models
//!   ([`MixtureModel`], M-steps in `covariance_models.rs`), mclust's stopping rule and no
//!   regularisation; the starts are mclust's model-based hierarchical agglomeration (`hc.rs`,
//!   built once per data set, cut for every k) plus k-means and random-responsibility starts,
//!   the best log-likelihood kept and [`MixtureStarts`] saying how many starts reached it.
//!   [`select_mixture_models`] is mclust's `mclustBIC` table (BIC = 2 loglik - df ln n) with the
//!   recommended model and the runner-up. [`MixturePrior`] is mclust's optional conjugate prior
//!   (`priorControl()`, for EII ... VVI, EEE, EEV, VEV, VVV; `prior.rs`): on Wholesale, every
//!   k = 2..8 cell of those ten models equals mclust's `me(..., prior = priorControl())` from the
//!   same start (log-likelihood 1e-7, parameters 1e-6; `segcore-py/tests/test_mixture_prior.py`). On the Wholesale table (440 x 6, every model, k = 2..8)
//!   the best fit reaches at least mclust's log-likelihood and df equals mclust's
//!   (`segcore-py/tests/test_mixture_models.py`). Current figure: the 14 x 9 BIC table on
//!   100k x 8 is 21.5x mclust's `mclustBIC` (quiet 2-core machine; docs/performance.md).
//!
//! Deterministic: the same data and `random_state` give bit-identical results on any number of
//! threads (rows are processed in fixed chunks whose sums are reduced in a fixed order). `f32`
//! input is computed in `f32` (the d x d factorisations and the exp/ln of the log-sum-exp in
//! `f64`). Extra memory during EM is one re-laid copy of the data (n x d, plus n weights); the
//! n x k responsibilities exist only while an initialisation estimates its start.
//!
//! Current figure (`benches/compare_gmm.py`, 100k x 8, k = 6, 2 threads each): full EM 38.7x
//! scikit-learn per iteration; one EM iteration is one fused pass over the data (`kernel.rs`).
//! Runs by date and load are in docs/performance.md.

mod algorithm;
mod covariance_models;
mod hc;
mod hyperparams;
mod kernel;
mod linalg;
mod model_based;
mod prior;
mod select;
mod select_models;

pub use algorithm::{most_probable, uncertainty_of, GaussianMixture};
// The fused EM pass and M-step, for the distributed fit (`crate::partial::gmm`).
pub(crate) use algorithm::{
    covariances_of, em_scatter_len, em_sums, initial_from_sums, m_step_from_sums, user_start,
    EmSums,
};
pub use covariance_models::{CovarianceChoice, MixtureModel};
pub use hc::MAX_HIERARCHY_ROWS;
pub use hyperparams::{
    CovarianceType, GaussianMixtureInit, GaussianMixtureParams, GaussianMixtureValidParams,
};
pub use linalg::Covariances;
pub use model_based::{
    MixtureModelParams, MixtureModelValidParams, MixtureStarts, StartMethod, StartOutcome,
};
pub use prior::MixturePrior;
pub use select::{select_mixture, MixtureCandidate, MixtureSelection};
pub use select_models::{select_mixture_models, ModelCandidate, ModelSelection};
