//! Model-based clustering with mclust's 14 covariance models ([`MixtureModel`]):
//! [`MixtureModelParams`] -> [`MixtureModelValidParams`] -> [`GaussianMixture`].
//!
//! mclust's semantics: no covariance regularisation, EM from a hard partition (M-step first),
//! stopping when the log-likelihood changes by less than `tol * (1 + |loglik|)` (mclust's
//! `emControl(tol = 1e-5)`), a cell that turns singular fails with a clear error (mclust's NA).
//! Several starts, the best log-likelihood kept: the model-based hierarchical agglomeration
//! (`hc.rs`, mclust's default start, built once per data set and cut at each k), k-means starts
//! (k-means++ seeding, one Lloyd run each) and random-responsibility starts; the fitted model
//! reports every start's log-likelihood and how many reached the best ([`MixtureStarts`]).
//!
//! The E-step and the M-step sums are the fused pass of `kernel.rs` (full layout for the
//! ellipsoidal models, tied for EEE, diagonal / spherical for the others); only the d x d
//! M-step of [`covariance_models`](super::covariance_models) differs per model.

use super::algorithm::scatter_around;
use super::covariance_models::{m_step, to_layout, MStepState, MixtureModel, RTEPS};
use super::hc::{model_based_hierarchy, Hierarchy, MAX_HIERARCHY_ROWS};
use super::hyperparams::{check_components_and_tol, CovarianceType};
use super::kernel::{
    em_pass, first_moments, first_moments_hard, second_moments, second_moments_hard, BlockedRows,
    EmWorkspace, HardStart, PassSums, Prepared,
};
use super::linalg::precision_cholesky_from_covariances;
use super::prior::{DataMoments, MixturePrior, PriorTerms};
use super::GaussianMixture;
use crate::cluster::kmeans::KMeansParams;
use crate::error::{Error, Result};
use crate::validation::{check_matrix, check_sample_weight};
use crate::Float;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// How an EM start was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartMethod {
    /// Cut of the model-based hierarchical agglomeration (mclust's `hc`).
    Hierarchical,
    /// One k-means run from a k-means++ seeding.
    KMeans,
    /// Uniform random responsibilities, normalised per row.
    Random,
}

impl StartMethod {
    /// Short name (`"hierarchical"`, `"kmeans"`, `"random"`).
    pub fn name(self) -> &'static str {
        match self {
            StartMethod::Hierarchical => "hierarchical",
            StartMethod::KMeans => "kmeans",
            StartMethod::Random => "random",
        }
    }
}

/// The outcome of one EM start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartOutcome {
    /// How the start was obtained.
    pub method: StartMethod,
    /// Log-likelihood (sum over rows, sample-weighted) where EM stopped; `None` if it failed.
    pub log_likelihood: Option<f64>,
    /// EM iterations.
    pub n_iter: usize,
    /// Whether EM met `tol` before `max_iter`.
    pub converged: bool,
    /// Why the start failed (a singular covariance, an emptied component).
    pub error: Option<String>,
}

/// Every start of a fit and how robust its optimum is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixtureStarts {
    /// One entry per start, in the order run (hierarchical, k-means, random).
    pub starts: Vec<StartOutcome>,
    /// Index of the kept start (highest log-likelihood; first on ties).
    pub best: usize,
    /// Number of starts whose log-likelihood is within `10 tol (1 + |best|)` of the best: 1
    /// says the optimum was found once, a warning sign that it is fragile.
    pub n_at_best: usize,
    /// Log-likelihood of the kept start.
    pub log_likelihood: f64,
    /// Number of training rows (total sample weight): the `n` of the BIC.
    pub n_samples: f64,
}

/// Checked model-based clustering parameters; from [`MixtureModelParams::check`] (a document is
/// read through the check too).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixtureModelValidParams {
    pub(crate) n_components: usize,
    pub(crate) model: MixtureModel,
    pub(crate) tol: f64,
    pub(crate) max_iter: usize,
    pub(crate) hierarchical_start: bool,
    pub(crate) n_kmeans_starts: usize,
    pub(crate) n_random_starts: usize,
    pub(crate) hierarchy_rows: usize,
    pub(crate) random_state: u64,
    /// mclust's conjugate prior (`None`: maximum likelihood, mclust's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) prior: Option<MixturePrior>,
}

/// Model-based clustering parameters (mclust's `Mclust` for one model and k); build with the
/// methods, then `fit`.
///
/// ```
/// use ndarray::Array2;
/// use rand::{Rng, SeedableRng};
/// use segcore::cluster::gmm::{MixtureModel, MixtureModelParams};
///
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let x = Array2::from_shape_fn((200, 2), |(i, f)| {
///     let noise: f64 = (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum();
///     (if i < 100 { 0.0 } else { 8.0 }) + noise * (1.0 + f as f64)
/// });
/// let model = MixtureModelParams::new(2, MixtureModel::VEV).random_state(0).fit(x.view(), None)?;
/// assert_eq!(model.model(), Some(MixtureModel::VEV));
/// let starts = model.starts().expect("model-based fits report their starts");
/// assert!(starts.n_at_best >= 1);
/// // mclust's sign convention: BIC = 2 loglik - df ln n (higher is better).
/// assert_eq!(model.n_parameters(), 10); // VEV, k = 2, d = 2: mclust's nMclustParams
/// let bic = 2.0 * starts.log_likelihood - 10.0 * 200f64.ln();
/// assert!((model.mclust_bic().unwrap() - bic).abs() < 1e-9);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixtureModelParams(pub(crate) MixtureModelValidParams);

/// The fields of [`MixtureModelValidParams`] as a document holds them, before the check.
#[derive(Deserialize)]
#[serde(remote = "MixtureModelValidParams")]
struct UncheckedMixtureModel {
    n_components: usize,
    model: MixtureModel,
    tol: f64,
    max_iter: usize,
    hierarchical_start: bool,
    n_kmeans_starts: usize,
    n_random_starts: usize,
    hierarchy_rows: usize,
    random_state: u64,
    #[serde(default)]
    prior: Option<MixturePrior>,
}

crate::validation::deserialize_through_check!(
    MixtureModelValidParams,
    MixtureModelParams,
    UncheckedMixtureModel
);

impl MixtureModelParams {
    /// `n_components` components of covariance model `model`; mclust's defaults: `tol = 1e-5`,
    /// the hierarchical start on at most 2000 rows; plus one k-means and one random start;
    /// `max_iter = 1000`, `random_state = 0`.
    pub fn new(n_components: usize, model: MixtureModel) -> Self {
        MixtureModelParams(MixtureModelValidParams {
            n_components,
            model,
            tol: 1e-5,
            max_iter: 1000,
            hierarchical_start: true,
            n_kmeans_starts: 1,
            n_random_starts: 1,
            hierarchy_rows: 2000,
            random_state: 0,
            prior: None,
        })
    }
    crate::validation::setters! { inner:
        /// mclust's conjugate prior (`priorControl()`): `Some(MixturePrior::default())` is mclust's
        /// `defaultPrior`; `None` (the default) fits by maximum likelihood. See [`MixturePrior`].
        prior => Option<MixturePrior>,
        /// Covariance model.
        model => MixtureModel,
        /// Number of components.
        n_components => usize,
        /// EM stops when `|loglik - previous| / (1 + |loglik|) < tol` (mclust's criterion).
        tol => f64,
        /// Maximum EM iterations per start.
        max_iter => usize,
        /// Whether to start from the hierarchical agglomeration (mclust's start).
        hierarchical_start => bool,
        /// Number of k-means starts.
        n_kmeans_starts => usize,
        /// Number of random-responsibility starts.
        n_random_starts => usize,
        /// Rows in the hierarchical agglomeration: past this many, a random subset of this size
        /// (mclust's `mclust.options("subset")`, 2000).
        hierarchy_rows => usize,
        /// Seed of the k-means and random starts and of the hierarchy's row subset.
        random_state => u64,
    }

    /// Validates the parameters on their own.
    pub fn check(&self) -> Result<MixtureModelValidParams> {
        self.check_ref().cloned()
    }

    pub(crate) fn check_ref(&self) -> Result<&MixtureModelValidParams> {
        let p = &self.0;
        check_components_and_tol(p.n_components, p.tol)?;
        if !p.hierarchical_start && p.n_kmeans_starts + p.n_random_starts == 0 {
            return Err(Error::invalid_parameter(
                "n_init",
                0,
                "at least one start (hierarchical, k-means or random)",
            ));
        }
        if let Some(prior) = &p.prior {
            prior.check()?;
            PriorTerms::check_supported(p.model, p.n_components)?;
        }
        if !(2..=MAX_HIERARCHY_ROWS).contains(&p.hierarchy_rows) {
            return Err(Error::invalid_parameter(
                "hierarchy_rows",
                p.hierarchy_rows,
                format!("an integer in [2, {MAX_HIERARCHY_ROWS}]"),
            ));
        }
        Ok(p)
    }

    /// Checks the parameters, then fits (see [`MixtureModelValidParams::fit`]).
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<GaussianMixture<F>> {
        self.check_ref()?.fit(x, sample_weight)
    }
}

/// The responsibilities of a start: dense (n x k, row-major, sample-weighted) for the k-means and
/// random starts; for the hierarchical cut, the label and weight of each of the tree's rows
/// (every other row has none), so its first M-step reads only those rows.
enum StartSums<'a, F> {
    Dense(Vec<F>),
    Hard(HardStart<'a, F>),
}

/// Parameters during EM.
struct Params<F> {
    weights: Vec<F>,
    means: Array2<F>,
    covariances: crate::cluster::gmm::Covariances<F>,
    chol: crate::cluster::gmm::Covariances<F>,
}

struct Run<F> {
    params: Params<F>,
    log_likelihood: f64,
    log_likelihoods: Vec<f64>,
    n_iter: usize,
    converged: bool,
}

/// The data of a fit, prepared once and shared by every start and (in model selection) every
/// cell: blocked rows and the hierarchy.
pub(crate) struct PreparedData<'a, F> {
    pub x: ArrayView2<'a, F>,
    pub weights: Option<Vec<F>>,
    pub rows: BlockedRows<F>,
    pub total_weight: f64,
    pub hierarchy: Option<Hierarchy>,
    /// Column means and covariance, when a prior needs them.
    pub moments: Option<DataMoments>,
}

/// Checks the data and lays it out; builds the hierarchy when asked.
pub(crate) fn prepare<'a, F: Float>(
    x: ArrayView2<'a, F>,
    sample_weight: Option<ArrayView1<F>>,
    hierarchy_rows: Option<usize>,
    random_state: u64,
    with_moments: bool,
) -> Result<PreparedData<'a, F>> {
    check_matrix(x.view(), "X")?;
    if let Some(w) = &sample_weight {
        check_sample_weight(w.view(), x.nrows())?;
    }
    let weights: Option<Vec<F>> = sample_weight.map(|w| w.to_vec());
    let rows = BlockedRows::new(&x, weights.as_deref());
    let total_weight = weights.as_ref().map_or(x.nrows() as f64, |w| {
        w.iter().map(|v| v.to_f64().unwrap_or(0.0)).sum()
    });
    let hierarchy = match hierarchy_rows {
        Some(limit) if x.ncols() >= 1 => {
            let positive: Vec<usize> = (0..x.nrows())
                .filter(|&i| weights.as_ref().is_none_or(|w| w[i] > F::zero()))
                .collect();
            let chosen = if positive.len() > limit {
                // mclust draws `sample(n, subset)`; ours comes from the fit's own generator.
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(random_state ^ 0x6863_6873);
                let mut picked: Vec<usize> =
                    rand::seq::index::sample(&mut rng, positive.len(), limit)
                        .into_iter()
                        .map(|j| positive[j])
                        .collect();
                picked.sort_unstable();
                picked
            } else {
                positive
            };
            if chosen.len() >= 2 {
                Some(model_based_hierarchy(&x, chosen)?)
            } else {
                None
            }
        }
        _ => None,
    };
    let moments = with_moments.then(|| data_moments(&x, weights.as_deref(), total_weight));
    Ok(PreparedData {
        x,
        weights,
        rows,
        total_weight,
        hierarchy,
        moments,
    })
}

/// Sample-weighted column means and covariance (denominator `n - 1`, R's `var`).
fn data_moments<F: Float>(x: &ArrayView2<F>, weights: Option<&[F]>, total: f64) -> DataMoments {
    let d = x.ncols();
    let w = |i: usize| weights.map_or(1.0, |w| w[i].to_f64().unwrap_or(0.0));
    let mut mean = vec![0.0; d];
    for (i, row) in x.outer_iter().enumerate() {
        let wi = w(i);
        for (m, v) in mean.iter_mut().zip(row) {
            *m += wi * v.to_f64().unwrap_or(f64::NAN);
        }
    }
    mean.iter_mut().for_each(|m| *m /= total);
    let mut covariance = Array2::<f64>::zeros((d, d));
    let mut centred = vec![0.0; d];
    for (i, row) in x.outer_iter().enumerate() {
        let wi = w(i);
        for (c, (v, m)) in centred.iter_mut().zip(row.iter().zip(&mean)) {
            *c = v.to_f64().unwrap_or(f64::NAN) - m;
        }
        for a in 0..d {
            for b in 0..=a {
                covariance[[a, b]] += wi * centred[a] * centred[b];
            }
        }
    }
    let denominator = (total - 1.0).max(f64::MIN_POSITIVE);
    for a in 0..d {
        for b in 0..=a {
            covariance[[a, b]] /= denominator;
            covariance[[b, a]] = covariance[[a, b]];
        }
    }
    DataMoments {
        mean,
        covariance,
        n: total,
    }
}

/// d x d scatter matrices from the packed sums of `second_moments` / `scatter_around`.
fn scatter_matrices<F: Float>(
    packed: &[F],
    k: usize,
    d: usize,
    layout: CovarianceType,
) -> Vec<Array2<f64>> {
    let to64 = |v: F| v.to_f64().unwrap_or(f64::NAN);
    (0..k)
        .map(|c| {
            let mut w = Array2::<f64>::zeros((d, d));
            match layout {
                CovarianceType::Full | CovarianceType::Tied => {
                    let m = d * (d + 1) / 2;
                    let mut idx = c * m;
                    for a in 0..d {
                        for b in a..d {
                            w[[a, b]] = to64(packed[idx]);
                            w[[b, a]] = w[[a, b]];
                            idx += 1;
                        }
                    }
                }
                CovarianceType::Diag | CovarianceType::Spherical => {
                    for a in 0..d {
                        w[[a, a]] = to64(packed[c * d + a]);
                    }
                }
            }
            w
        })
        .collect()
}

impl MixtureModelValidParams {
    /// Fits the model to `x` (n_samples x n_features). Optional `sample_weight` weights each
    /// row's contribution as if it were repeated (the hierarchical start uses the rows with a
    /// positive weight, unweighted).
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<GaussianMixture<F>> {
        let hierarchy_rows = self.hierarchical_start.then_some(self.hierarchy_rows);
        let data = prepare(
            x,
            sample_weight,
            hierarchy_rows,
            self.random_state,
            self.prior.is_some(),
        )?;
        self.fit_prepared(&data)
    }

    /// Parameters from the initial responsibilities (sample-weighted): mclust's first M-step.
    fn initial_params<F: Float>(
        &self,
        data: &PreparedData<'_, F>,
        start: &StartSums<'_, F>,
        prior: Option<&PriorTerms>,
        state: &mut MStepState,
    ) -> Result<Params<F>> {
        let (k, d) = (self.n_components, data.x.ncols());
        let layout = self.model.layout();
        let first = match start {
            StartSums::Dense(resp) => first_moments(&data.x, resp, k),
            StartSums::Hard(hard) => first_moments_hard(&data.x, hard, k),
        };
        let sizes: Vec<f64> = first
            .resp_sums
            .iter()
            .map(|v| v.to_f64().unwrap_or(f64::NAN))
            .collect();
        if let Some(c) = sizes.iter().position(|&s| s.is_nan() || s <= RTEPS) {
            return Err(Error::Numerical {
                reason: format!("component {c} of the start has no rows"),
            });
        }
        let means = Array2::from_shape_fn((k, d), |(c, f)| {
            first.weighted_sums[c * d + f] / first.resp_sums[c]
        });
        let flat = means
            .as_slice()
            .expect("from_shape_fn builds a standard-layout array");
        let packed = match start {
            StartSums::Dense(resp) => second_moments(&data.x, resp, flat, layout),
            StartSums::Hard(hard) => second_moments_hard(&data.x, hard, flat, layout),
        };
        let scatter = scatter_matrices(&packed, k, d, layout);
        self.params_from(&sizes, means, &scatter, prior, state)
    }

    fn params_from<F: Float>(
        &self,
        sizes: &[f64],
        means: Array2<F>,
        scatter: &[Array2<f64>],
        prior: Option<&PriorTerms>,
        state: &mut MStepState,
    ) -> Result<Params<F>> {
        let (sigmas, means) = match prior {
            None => (m_step(self.model, sizes, scatter, state)?, means),
            Some(terms) => {
                let mut xbar = means.mapv(|v| v.to_f64().unwrap_or(f64::NAN));
                let sigmas = terms.m_step(self.model, sizes, &xbar, scatter, state)?;
                terms.shrink_means(self.model, sizes, &mut xbar);
                (sigmas, xbar.mapv(F::cast))
            }
        };
        let covariances = to_layout::<F>(self.model, &sigmas);
        let chol = precision_cholesky_from_covariances(&covariances, 0.0)?;
        let total: f64 = sizes.iter().sum();
        Ok(Params {
            weights: sizes.iter().map(|&s| F::cast(s / total)).collect(),
            means,
            covariances,
            chol,
        })
    }

    /// EM from `params` with mclust's stopping rule.
    fn run_em<F: Float>(
        &self,
        data: &PreparedData<'_, F>,
        workspace: &mut EmWorkspace<F>,
        mut params: Params<F>,
        prior: Option<&PriorTerms>,
        state: &mut MStepState,
    ) -> Result<Run<F>> {
        let (k, d) = (self.n_components, data.x.ncols());
        let layout = self.model.layout();
        let mut previous = f64::MAX / 2.0;
        let mut log_likelihoods = Vec::new();
        let mut converged = false;
        let mut n_iter = 0;
        let mut log_likelihood = f64::NEG_INFINITY;
        for iteration in 1..=self.max_iter.max(1) {
            crate::cancel::check()?;
            n_iter = iteration;
            let prepared = Prepared::new(&params.weights, &params.means, &params.chol);
            let pass: PassSums<F> = em_pass(&data.rows, &prepared, workspace);
            log_likelihood = pass.log_likelihood.to_f64().unwrap_or(f64::NAN);
            if !log_likelihood.is_finite() {
                return Err(Error::Numerical {
                    reason: format!(
                        "the log-likelihood became {log_likelihood} at EM iteration {iteration} \
                         ({} model); scale the data or use a more constrained model",
                        self.model
                    ),
                });
            }
            log_likelihoods.push(log_likelihood);
            let change = (log_likelihood - previous).abs() / (1.0 + log_likelihood.abs());
            previous = log_likelihood;
            if change < self.tol {
                converged = true;
                break;
            }
            if iteration >= self.max_iter {
                break;
            }
            let sizes: Vec<f64> = pass
                .resp_sums
                .iter()
                .map(|v| v.to_f64().unwrap_or(f64::NAN))
                .collect();
            if let Some(c) = sizes.iter().position(|&s| s.is_nan() || s <= RTEPS) {
                return Err(Error::Numerical {
                    reason: format!("component {c} became empty ({} model)", self.model),
                });
            }
            let means = Array2::from_shape_fn((k, d), |(c, f)| {
                (pass.resp_sums[c] * params.means[[c, f]] + pass.shifted_sums[c * d + f])
                    / pass.resp_sums[c]
            });
            let packed = scatter_around(&pass, &params.means, &means, layout);
            let scatter = scatter_matrices(&packed, k, d, layout);
            params = self.params_from(&sizes, means, &scatter, prior, state)?;
        }
        Ok(Run {
            params,
            log_likelihood,
            log_likelihoods,
            n_iter,
            converged,
        })
    }

    /// Fits on prepared data (shared across cells by model selection).
    pub(crate) fn fit_prepared<F: Float>(
        &self,
        data: &PreparedData<'_, F>,
    ) -> Result<GaussianMixture<F>> {
        let (n, d) = data.x.dim();
        let k = self.n_components;
        let positive = data
            .weights
            .as_ref()
            .map_or(n, |w| w.iter().filter(|&&v| v > F::zero()).count());
        if k > positive {
            return Err(Error::TooManyClusters {
                n_clusters: k,
                n_samples: positive,
            });
        }
        let prior = match (&self.prior, &data.moments) {
            (Some(prior), Some(moments)) => Some(PriorTerms::new(prior, self.model, k, moments)?),
            (Some(_), None) => {
                let moments = data_moments(&data.x, data.weights.as_deref(), data.total_weight);
                let prior = self.prior.as_ref().expect("matched Some");
                Some(PriorTerms::new(prior, self.model, k, &moments)?)
            }
            (None, _) => None,
        };
        let w = |i: usize| data.weights.as_ref().map_or(F::one(), |w| w[i]);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.random_state);
        let mut plan: Vec<StartMethod> = Vec::new();
        if self.hierarchical_start && data.hierarchy.is_some() {
            plan.push(StartMethod::Hierarchical);
        }
        if k > 1 || plan.is_empty() {
            plan.extend(std::iter::repeat_n(
                StartMethod::KMeans,
                self.n_kmeans_starts,
            ));
            plan.extend(std::iter::repeat_n(
                StartMethod::Random,
                self.n_random_starts,
            ));
        }
        if k == 1 {
            // Every start is the whole data set: one is enough.
            plan.truncate(1);
        }
        if plan.is_empty() {
            plan.push(StartMethod::KMeans);
        }
        let mut workspace = EmWorkspace::new(&data.rows, k, self.model.layout());
        let mut outcomes = Vec::with_capacity(plan.len());
        let mut best: Option<(usize, Run<F>)> = None;
        let mut first_error: Option<Error> = None;
        for (s, &method) in plan.iter().enumerate() {
            let seed = rng.r#gen::<u64>();
            let start = (|| -> Result<StartSums<'_, F>> {
                match method {
                    StartMethod::Hierarchical => {
                        let tree = data.hierarchy.as_ref().expect("planned only with a tree");
                        let labels = tree.partition(k).ok_or(Error::TooManyClusters {
                            n_clusters: k,
                            n_samples: tree.n_groups(),
                        })?;
                        let weights = tree.rows.iter().map(|&i| w(i)).collect();
                        Ok(StartSums::Hard(HardStart {
                            rows: &tree.rows,
                            labels,
                            weights,
                        }))
                    }
                    StartMethod::KMeans => {
                        let mut resp = vec![F::zero(); n * k];
                        let weights = data.weights.as_deref().map(ArrayView1::from);
                        let fitted = KMeansParams::new(k)
                            .n_init(1)
                            .random_state(seed)
                            .fit(data.x.view(), weights)?;
                        for (i, &l) in fitted.labels().iter().enumerate() {
                            resp[i * k + l] = w(i);
                        }
                        Ok(StartSums::Dense(resp))
                    }
                    StartMethod::Random => {
                        let mut resp = vec![F::zero(); n * k];
                        let mut r = Xoshiro256PlusPlus::seed_from_u64(seed);
                        for i in 0..n {
                            let draws: Vec<f64> = (0..k).map(|_| r.r#gen::<f64>()).collect();
                            let sum: f64 = draws.iter().sum();
                            for c in 0..k {
                                resp[i * k + c] = F::cast(draws[c] / sum) * w(i);
                            }
                        }
                        Ok(StartSums::Dense(resp))
                    }
                }
            })();
            let mut state = MStepState::default();
            let run = start
                .and_then(|start| self.initial_params(data, &start, prior.as_ref(), &mut state))
                .and_then(|start| {
                    self.run_em(data, &mut workspace, start, prior.as_ref(), &mut state)
                });
            match run {
                Ok(run) => {
                    outcomes.push(StartOutcome {
                        method,
                        log_likelihood: Some(run.log_likelihood),
                        n_iter: run.n_iter,
                        converged: run.converged,
                        error: None,
                    });
                    if best
                        .as_ref()
                        .is_none_or(|(_, b)| run.log_likelihood > b.log_likelihood)
                    {
                        best = Some((s, run));
                    }
                }
                Err(e @ (Error::Numerical { .. } | Error::TooManyClusters { .. })) => {
                    outcomes.push(StartOutcome {
                        method,
                        log_likelihood: None,
                        n_iter: 0,
                        converged: false,
                        error: Some(e.to_string()),
                    });
                    first_error.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        let Some((best_index, run)) = best else {
            return Err(first_error.expect("every start failed, so one recorded its error"));
        };
        let reach = 10.0 * self.tol * (1.0 + run.log_likelihood.abs());
        let n_at_best = outcomes
            .iter()
            .filter(|o| {
                o.log_likelihood
                    .is_some_and(|l| l >= run.log_likelihood - reach)
            })
            .count();
        let mut warnings = Vec::new();
        if !run.converged {
            warnings.push(format!(
                "EM of the best start did not converge within max_iter={} ({} model, k={k}); \
                 increase max_iter",
                self.max_iter, self.model
            ));
        }
        let total = data.total_weight;
        let _ = d;
        Ok(GaussianMixture {
            weights: Array1::from(run.params.weights),
            means: run.params.means,
            covariances: run.params.covariances,
            precisions_cholesky: run.params.chol,
            lower_bound: F::cast(run.log_likelihood / total),
            lower_bounds: run
                .log_likelihoods
                .iter()
                .map(|l| F::cast(l / total))
                .collect(),
            n_iter: run.n_iter,
            converged: run.converged,
            warnings,
            model: Some(self.model),
            starts: Some(MixtureStarts {
                starts: outcomes,
                best: best_index,
                n_at_best,
                log_likelihood: run.log_likelihood,
                n_samples: total,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn a_document_out_of_range_is_refused_with_the_check_error() {
        crate::testing::refused_out_of_range(
            &MixtureModelParams::new(2, MixtureModel::VEV)
                .check()
                .unwrap(),
            "\"n_components\":2",
            "\"n_components\":0",
            MixtureModelParams::new(0, MixtureModel::VEV).check(),
        );
    }

    /// Three elongated, differently oriented groups.
    fn groups(n: usize) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        Array2::from_shape_fn((n, 3), |(i, f)| {
            let g = i % 3;
            let noise: f64 = (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum();
            let centre = [[0.0, 0.0, 0.0], [8.0, 1.0, 0.0], [0.0, 9.0, 3.0]][g][f];
            centre + noise * (1.0 + ((g + f) % 3) as f64 * 0.7)
        })
    }

    #[test]
    fn every_model_fits_and_the_log_likelihood_never_decreases() {
        let x = groups(300);
        for model in MixtureModel::ALL {
            let m = MixtureModelParams::new(3, model)
                .fit(x.view(), None)
                .unwrap_or_else(|e| panic!("{model}: {e}"));
            assert_eq!(m.model(), Some(model));
            assert_eq!(m.n_parameters(), model.n_parameters(3, 3));
            assert_eq!(m.covariance_type(), model.layout());
            assert!(m.converged(), "{model}");
            let starts = m.starts().unwrap();
            assert_eq!(starts.starts.len(), 3);
            assert!(starts.n_at_best >= 1);
            let lls = m.lower_bounds();
            for pair in lls.windows(2) {
                assert!(
                    pair[1] >= pair[0] - 1e-9 * pair[0].abs(),
                    "{model}: {pair:?}"
                );
            }
            // The stored log-likelihood is the data's under the returned parameters.
            let score = m.score(x.view()).unwrap() * 300.0;
            assert!(
                (score - starts.log_likelihood).abs() < 1e-8 * score.abs(),
                "{model}"
            );
            let bic = 2.0 * starts.log_likelihood - m.n_parameters() as f64 * 300f64.ln();
            assert!((m.mclust_bic().unwrap() - bic).abs() < 1e-9);
            assert!((m.bic(x.view()).unwrap() + bic).abs() < 1e-6);
        }
    }

    #[test]
    fn bad_parameters_and_data_are_errors() {
        let x = groups(30);
        assert!(matches!(
            MixtureModelParams::new(0, MixtureModel::VVV).check(),
            Err(Error::InvalidParameter {
                name: "n_components",
                ..
            })
        ));
        assert!(MixtureModelParams::new(2, MixtureModel::VVV)
            .hierarchical_start(false)
            .n_kmeans_starts(0)
            .n_random_starts(0)
            .check()
            .is_err());
        assert!(MixtureModelParams::new(2, MixtureModel::VVV)
            .hierarchy_rows(1)
            .check()
            .is_err());
        assert!(matches!(
            MixtureModelParams::new(31, MixtureModel::EII).fit(x.view(), None),
            Err(Error::TooManyClusters { .. })
        ));
        // Ten components of three parameters each on 30 rows: VVV turns singular.
        let err = MixtureModelParams::new(10, MixtureModel::VVV).fit(x.view(), None);
        assert!(matches!(err, Err(Error::Numerical { .. })), "{err:?}");
    }

    #[test]
    fn a_saved_model_name_must_match_its_covariances() {
        let x = groups(300);
        let vei = MixtureModelParams::new(3, MixtureModel::VEI)
            .fit(x.view(), None)
            .unwrap();
        let document = crate::persist::to_json(&vei).unwrap();
        assert!(crate::persist::from_json::<GaussianMixture<f64>>(&document).is_ok());
        // A "VEV" document with diagonal covariances is refused, with the reason.
        let err = crate::persist::from_json::<GaussianMixture<f64>>(
            &document.replace("\"VEI\"", "\"VEV\""),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("'VEV' needs full covariances"), "{err}");
        // EEI claims one covariance for every component.
        let err = crate::persist::from_json::<GaussianMixture<f64>>(
            &document.replace("\"VEI\"", "\"EEI\""),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("shared by every component"), "{err}");
    }

    #[test]
    fn deterministic_across_threads_and_serde_round_trip() {
        let x = groups(5000);
        let fit = || {
            MixtureModelParams::new(3, MixtureModel::VVE)
                .random_state(4)
                .fit(x.view(), None)
                .unwrap()
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(fit);
        let two = fit();
        assert_eq!(one, two);
        let json = serde_json::to_string(&two).unwrap();
        let back: GaussianMixture<f64> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, two);
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MixtureModelParams>();
        assert_send_sync::<MixtureStarts>();
    }
}
