//! Fitting (initialisation, EM restarts) and the fitted [`GaussianMixture`] model.

use super::covariance_models::MixtureModel;
use super::hyperparams::{
    CovarianceType, GaussianMixtureInit, GaussianMixtureParams, GaussianMixtureValidParams,
};
use super::kernel::{
    em_pass, first_moments, score_rows, second_moment_len, second_moments, BlockedRows,
    EmWorkspace, FirstMoments, PassSums, Prepared,
};
use super::linalg::{
    cholesky_lower, covariances_from_precision_cholesky, precision_cholesky_from_covariances,
    precision_cholesky_from_precisions, precisions_from_cholesky, Covariances,
};
use super::model_based::MixtureStarts;
use crate::cluster::kmeans::KMeansParams;
use crate::error::{Error, Result};
use crate::numeric::box_muller;
use crate::validation::{check_matrix, check_n_features, check_sample_weight, contiguous_weights};
use crate::Float;
use ndarray::{Array1, Array2, Array3, ArrayBase, ArrayView1, ArrayView2, Data, Ix2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// A fitted Gaussian mixture.
///
/// Component `j` of a model started from user-given means is the one started from row `j`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixture<F> {
    pub(crate) weights: Array1<F>,
    pub(crate) means: Array2<F>,
    pub(crate) covariances: Covariances<F>,
    pub(crate) precisions_cholesky: Covariances<F>,
    pub(crate) lower_bound: F,
    pub(crate) lower_bounds: Vec<F>,
    pub(crate) n_iter: usize,
    pub(crate) converged: bool,
    pub(crate) warnings: Vec<String>,
    /// mclust's covariance model of a model-based fit (`None` for scikit-learn's types; absent
    /// from documents saved before the field existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) model: Option<MixtureModel>,
    /// The starts of a model-based fit and how many reached the kept optimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) starts: Option<MixtureStarts>,
}

/// Parameters during EM.
struct State<F> {
    weights: Vec<F>,
    means: Array2<F>,
    covariances: Option<Covariances<F>>,
    precisions_cholesky: Covariances<F>,
}

/// Result of one initialisation + EM run.
struct Run<F> {
    state: State<F>,
    lower_bound: F,
    lower_bounds: Vec<F>,
    n_iter: usize,
    converged: bool,
}

/// Covariances from the scatter sums of [`second_moments`] (scikit-learn's
/// `_estimate_gaussian_covariances_*`, `reg_covar` added to the diagonal).
fn covariances_from_moments<F: Float>(
    moments: &[F],
    resp_sums: &[F],
    kind: CovarianceType,
    d: usize,
    reg_covar: F,
) -> Covariances<F> {
    let k = resp_sums.len();
    let scatter = |c: usize| {
        let m = d * (d + 1) / 2;
        let mut out = Array2::<F>::zeros((d, d));
        let mut idx = 0;
        for a in 0..d {
            for b in a..d {
                out[[a, b]] = moments[c * m + idx];
                out[[b, a]] = moments[c * m + idx];
                idx += 1;
            }
        }
        out
    };
    match kind {
        CovarianceType::Full => {
            let mut out = Array3::<F>::zeros((k, d, d));
            for (c, &size) in resp_sums.iter().enumerate() {
                let mut cov = scatter(c);
                cov.mapv_inplace(|v| v / size);
                for f in 0..d {
                    cov[[f, f]] += reg_covar;
                }
                out.index_axis_mut(ndarray::Axis(0), c).assign(&cov);
            }
            Covariances::Full(out)
        }
        CovarianceType::Tied => {
            let mut cov = Array2::<F>::zeros((d, d));
            for c in 0..k {
                cov = cov + scatter(c);
            }
            let total = resp_sums.iter().fold(F::zero(), |a, &v| a + v);
            cov.mapv_inplace(|v| v / total);
            for f in 0..d {
                cov[[f, f]] += reg_covar;
            }
            Covariances::Tied(cov)
        }
        CovarianceType::Diag => Covariances::Diag(Array2::from_shape_fn((k, d), |(c, f)| {
            moments[c * d + f] / resp_sums[c] + reg_covar
        })),
        CovarianceType::Spherical => Covariances::Spherical(Array1::from_shape_fn(k, |c| {
            let sum = (0..d).fold(F::zero(), |a, f| {
                a + (moments[c * d + f] / resp_sums[c] + reg_covar)
            });
            sum / F::cast(d)
        })),
    }
}

/// M-step (scikit-learn's `_estimate_gaussian_parameters`): component sizes (+ 10 eps, so an
/// empty component gives finite means), means and covariances from weighted responsibilities.
fn estimate_parameters<F: Float>(
    x: &ArrayView2<F>,
    resp: &[F],
    first: FirstMoments<F>,
    kind: CovarianceType,
    reg_covar: F,
) -> (Vec<F>, Array2<F>, Covariances<F>) {
    let d = x.ncols();
    let k = first.resp_sums.len();
    let tiny = F::cast(10.0) * F::epsilon();
    let sizes: Vec<F> = first.resp_sums.iter().map(|&s| s + tiny).collect();
    let means = Array2::from_shape_fn((k, d), |(c, f)| first.weighted_sums[c * d + f] / sizes[c]);
    let flat = means
        .as_slice()
        .expect("from_shape_fn builds a standard-layout array");
    let moments = second_moments(x, resp, flat, kind);
    let covariances = covariances_from_moments(&moments, &sizes, kind, d, reg_covar);
    (sizes, means, covariances)
}

/// M-step from the sums of a fused EM pass, centred on the means `old_means` the E-step used
/// (see [`PassSums`]): the same sizes, means and covariances as [`estimate_parameters`]
/// computes from stored responsibilities. With `N` the total responsibility, `s` and `S` the
/// shifted first and second sums and `delta = mu_new - m_old`, the scatter around the new mean
/// is `S - s delta^T - delta s^T + N delta delta^T`, exact algebra; as `delta` is one EM step
/// it loses no digits that matter (parity with scikit-learn stays at 1e-6 and below).
fn estimate_from_pass<F: Float>(
    pass: &PassSums<F>,
    old_means: &Array2<F>,
    kind: CovarianceType,
    reg_covar: F,
) -> (Vec<F>, Array2<F>, Covariances<F>) {
    let (k, d) = old_means.dim();
    let tiny = F::cast(10.0) * F::epsilon();
    let sizes: Vec<F> = pass.resp_sums.iter().map(|&s| s + tiny).collect();
    // sum r x = N m_old + s, so an empty component gets mean 0 as in scikit-learn.
    let means = Array2::from_shape_fn((k, d), |(c, f)| {
        (pass.resp_sums[c] * old_means[[c, f]] + pass.shifted_sums[c * d + f]) / sizes[c]
    });
    let centred = scatter_around(pass, old_means, &means, kind);
    let covariances = covariances_from_moments(&centred, &sizes, kind, d, reg_covar);
    (sizes, means, covariances)
}

/// The scatter of a fused pass moved from the E-step's means `old_means` to `means`: per
/// component `S - s delta^T - delta s^T + N delta delta^T` with `delta = means - old_means` (see
/// [`estimate_from_pass`]), laid out as [`second_moments`] for `kind`.
pub(super) fn scatter_around<F: Float>(
    pass: &PassSums<F>,
    old_means: &Array2<F>,
    means: &Array2<F>,
    kind: CovarianceType,
) -> Vec<F> {
    let (k, d) = old_means.dim();
    let m = second_moment_len(kind, d);
    let mut centred = pass.shifted_scatter.clone();
    for c in 0..k {
        let n_c = pass.resp_sums[c];
        let delta: Vec<F> = (0..d).map(|f| means[[c, f]] - old_means[[c, f]]).collect();
        let s = &pass.shifted_sums[c * d..(c + 1) * d];
        let out = &mut centred[c * m..(c + 1) * m];
        match kind {
            CovarianceType::Full | CovarianceType::Tied => {
                let mut idx = 0;
                for a in 0..d {
                    for b in a..d {
                        out[idx] += delta[a] * (n_c * delta[b] - s[b]) - s[a] * delta[b];
                        idx += 1;
                    }
                }
            }
            CovarianceType::Diag | CovarianceType::Spherical => {
                for f in 0..d {
                    out[f] += delta[f] * (n_c * delta[f] - s[f]) - s[f] * delta[f];
                }
            }
        }
    }
    centred
}

/// The sums of one fused EM pass over some rows, widened to f64: what one partition of a
/// distributed fit contributes (`crate::partial::gmm`). Sums of disjoint row sets add up to the
/// sums of their union.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EmSums {
    /// Per component: total responsibility.
    pub resp_sums: Vec<f64>,
    /// k x d: responsibility-weighted sums of `x - m_c` (the means the pass was centred on).
    pub shifted_sums: Vec<f64>,
    /// Second-moment sums around `m_c`, laid out as the single-machine pass lays them out.
    pub shifted_scatter: Vec<f64>,
    /// Sum over rows of `ln p(x)`.
    pub log_likelihood: f64,
}

/// Number of second-moment sums per component for `kind` (full/tied: the upper triangle row
/// by row; diag/spherical: the diagonal).
pub(crate) fn em_scatter_len(kind: CovarianceType, d: usize) -> usize {
    second_moment_len(kind, d)
}

/// Weights, means and precision Cholesky factors of a mixture in f64 (a start or an M-step).
pub(crate) type MixtureParts = (Vec<f64>, Array2<f64>, Covariances<f64>);

/// One fused EM pass (E-step and M-step sums) over the rows `x` under the mixture `weights`,
/// `means`, `precisions_cholesky` (given in f64, computed in `F` as the single-machine fit
/// computes in `F`).
pub(crate) fn em_sums<F: Float>(
    x: &ArrayView2<F>,
    sample_weight: Option<&[F]>,
    weights: &[f64],
    means: &Array2<f64>,
    precisions_cholesky: &Covariances<f64>,
) -> EmSums {
    let k = means.nrows();
    let weights: Vec<F> = weights.iter().map(|&w| F::cast(w)).collect();
    let means_f = means.mapv(F::cast);
    let chol = precisions_cholesky.map(F::cast);
    let prepared = Prepared::new(&weights, &means_f, &chol);
    let rows = BlockedRows::new(x, sample_weight);
    let mut workspace = EmWorkspace::new(&rows, k, chol.covariance_type());
    let pass = em_pass(&rows, &prepared, &mut workspace);
    let widen = |v: &[F]| v.iter().map(|&a| a.to_f64().unwrap_or(f64::NAN)).collect();
    EmSums {
        resp_sums: widen(&pass.resp_sums),
        shifted_sums: widen(&pass.shifted_sums),
        shifted_scatter: widen(&pass.shifted_scatter),
        log_likelihood: pass.log_likelihood.to_f64().unwrap_or(f64::NAN),
    }
}

/// The M-step from merged [`EmSums`] centred on `old_means` (exactly the single-machine
/// M-step of a fused pass): weights (sizes over their total), means, covariances and the
/// precision Cholesky factors, and the covariances.
pub(crate) fn m_step_from_sums(
    sums: &EmSums,
    old_means: &Array2<f64>,
    kind: CovarianceType,
    reg_covar: f64,
) -> Result<(MixtureParts, Covariances<f64>)> {
    let pass = PassSums {
        resp_sums: sums.resp_sums.clone(),
        shifted_sums: sums.shifted_sums.clone(),
        shifted_scatter: sums.shifted_scatter.clone(),
        log_likelihood: sums.log_likelihood,
    };
    let (sizes, means, covariances) = estimate_from_pass(&pass, old_means, kind, reg_covar);
    let chol = precision_cholesky_from_covariances(&covariances, reg_covar)?;
    let total: f64 = sizes.iter().sum();
    Ok((
        (sizes.iter().map(|&s| s / total).collect(), means, chol),
        covariances,
    ))
}

/// Initial parameters from hard-assignment sums (every row counted in its k-means cluster,
/// centred on the cluster centers): scikit-learn's `_initialize` from k-means labels, each
/// parameter replaced by its user-given value as in the single-machine fit. `n_rows` is the
/// number of rows (the weights are sizes over it, not renormalised, as scikit-learn does).
pub(crate) fn initial_from_sums(
    params: &GaussianMixtureValidParams,
    sums: &EmSums,
    centers: &Array2<f64>,
    n_rows: f64,
) -> Result<MixtureParts> {
    let pass = PassSums {
        resp_sums: sums.resp_sums.clone(),
        shifted_sums: sums.shifted_sums.clone(),
        shifted_scatter: sums.shifted_scatter.clone(),
        log_likelihood: 0.0,
    };
    let (sizes, means, covariances) =
        estimate_from_pass(&pass, centers, params.covariance_type, params.reg_covar);
    let weights = match &params.weights_init {
        Some(w) => w.to_vec(),
        None => sizes.iter().map(|&s| s / n_rows).collect(),
    };
    let means = params.means_init.clone().unwrap_or(means);
    let chol = match &params.precisions_init {
        Some(p) => precision_cholesky_from_precisions(p)?,
        None => precision_cholesky_from_covariances(&covariances, params.reg_covar)?,
    };
    Ok((weights, means, chol))
}

/// The fully user-given start (weights, means, precision factors) of `params`, if it is one.
pub(crate) fn user_start(params: &GaussianMixtureValidParams) -> Result<Option<MixtureParts>> {
    if !params.fully_initialised() {
        return Ok(None);
    }
    let (Some(w), Some(m), Some(p)) = (
        &params.weights_init,
        &params.means_init,
        &params.precisions_init,
    ) else {
        return Ok(None);
    };
    Ok(Some((
        w.to_vec(),
        m.clone(),
        precision_cholesky_from_precisions(p)?,
    )))
}

/// Covariances recovered from precision Cholesky factors (a start that was never updated).
pub(crate) fn covariances_of(chol: &Covariances<f64>) -> Covariances<f64> {
    covariances_from_precision_cholesky(chol)
}

/// Greedy k-means++ (scikit-learn's `kmeans_plusplus`): the indices of the chosen rows. The first
/// is drawn with probability proportional to its weight; each further one is the best (lowest
/// potential) of `2 + floor(ln k)` candidates drawn with probability proportional to weight x
/// squared distance to the nearest chosen row.
fn kmeans_plusplus_rows<F: Float>(
    x: &ArrayView2<F>,
    weights: Option<&[F]>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<usize> {
    let n = x.nrows();
    let weight = |i: usize| weights.map_or(1.0, |w| w[i].to_f64().unwrap_or(0.0));
    let sq_dist = |i: usize, j: usize| {
        x.row(i)
            .iter()
            .zip(x.row(j).iter())
            .map(|(&a, &b)| {
                let t = (a - b).to_f64().unwrap_or(f64::NAN);
                t * t
            })
            .sum::<f64>()
    };
    // Index of the first row where the running sum of `terms` reaches `target`.
    let draw = |terms: &[f64], rng: &mut Xoshiro256PlusPlus| {
        let total: f64 = terms.iter().sum();
        let target = rng.r#gen::<f64>() * total;
        let mut running = 0.0;
        for (i, &t) in terms.iter().enumerate() {
            running += t;
            if running >= target && t > 0.0 {
                return i;
            }
        }
        // Rounding: the last row with a positive term.
        terms.iter().rposition(|&t| t > 0.0).unwrap_or(n - 1)
    };
    let n_trials = 2 + (k as f64).ln().floor() as usize;
    let row_weights: Vec<f64> = (0..n).map(weight).collect();
    let first = draw(&row_weights, rng);
    let mut chosen = vec![first];
    let mut closest: Vec<f64> = (0..n).map(|i| sq_dist(i, first)).collect();
    while chosen.len() < k {
        let terms: Vec<f64> = (0..n).map(|i| row_weights[i] * closest[i]).collect();
        if terms.iter().all(|&t| t <= 0.0) {
            // Fewer distinct positive-weight rows than k: take the next unused row.
            let next = (0..n)
                .find(|i| !chosen.contains(i) && row_weights[*i] > 0.0)
                .or_else(|| (0..n).find(|i| !chosen.contains(i)))
                .expect("k <= n is checked before initialisation");
            chosen.push(next);
            continue;
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..n_trials {
            let candidate = draw(&terms, rng);
            let updated: Vec<f64> = (0..n)
                .map(|i| closest[i].min(sq_dist(i, candidate)))
                .collect();
            let potential: f64 = updated.iter().zip(&row_weights).map(|(d, w)| d * w).sum();
            if best.as_ref().is_none_or(|b| potential < b.0) {
                best = Some((potential, candidate, updated));
            }
        }
        let (_, candidate, updated) = best.expect("n_trials >= 2");
        chosen.push(candidate);
        closest = updated;
    }
    chosen
}

impl GaussianMixtureValidParams {
    /// Initial responsibilities (sample-weighted, n x k) for the configured method.
    fn initial_resp<F: Float>(
        &self,
        x: &ArrayView2<F>,
        weights: Option<&[F]>,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Vec<F>> {
        let (n, k) = (x.nrows(), self.n_components);
        let w = |i: usize| weights.map_or(F::one(), |w| w[i]);
        let mut resp = vec![F::zero(); n * k];
        let one_hot_rows = |rows: &[usize], resp: &mut Vec<F>| {
            for (c, &i) in rows.iter().enumerate() {
                resp[i * k + c] = w(i);
            }
        };
        match self.init {
            GaussianMixtureInit::KMeans => {
                let kmeans = KMeansParams::new(k)
                    .n_init(1)
                    .random_state(rng.r#gen::<u64>())
                    .fit(x.view(), weights.map(ArrayView1::from))?;
                for (i, &label) in kmeans.labels().iter().enumerate() {
                    resp[i * k + label] = w(i);
                }
            }
            GaussianMixtureInit::Random => {
                for i in 0..n {
                    let row = &mut resp[i * k..(i + 1) * k];
                    let mut sum = 0.0;
                    let draws: Vec<f64> = (0..k).map(|_| rng.r#gen::<f64>()).collect();
                    draws.iter().for_each(|v| sum += v);
                    for (r, v) in row.iter_mut().zip(&draws) {
                        *r = F::cast(v / sum) * w(i);
                    }
                }
            }
            GaussianMixtureInit::RandomFromData => {
                let candidates: Vec<usize> = (0..n).filter(|&i| w(i) > F::zero()).collect();
                if candidates.len() < k {
                    return Err(Error::TooManyClusters {
                        n_clusters: k,
                        n_samples: candidates.len(),
                    });
                }
                let picked: Vec<usize> = rand::seq::index::sample(rng, candidates.len(), k)
                    .into_iter()
                    .map(|j| candidates[j])
                    .collect();
                one_hot_rows(&picked, &mut resp);
            }
            GaussianMixtureInit::KMeansPlusPlus => {
                let positive = (0..n).filter(|&i| w(i) > F::zero()).count();
                if positive < k {
                    return Err(Error::TooManyClusters {
                        n_clusters: k,
                        n_samples: positive,
                    });
                }
                let picked = kmeans_plusplus_rows(x, weights, k, rng);
                one_hot_rows(&picked, &mut resp);
            }
        }
        Ok(resp)
    }

    /// scikit-learn's `_initialize_parameters` + `_initialize`: parameters estimated from the
    /// initial responsibilities, each overridden by its user-given value.
    fn initial_state<F: Float>(
        &self,
        x: &ArrayView2<F>,
        weights: Option<&[F]>,
        total_weight: F,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<State<F>> {
        let kind = self.covariance_type;
        let reg = F::cast(self.reg_covar);
        let estimated = if self.fully_initialised() {
            None
        } else {
            let resp = self.initial_resp(x, weights, rng)?;
            let first = first_moments(x, &resp, self.n_components);
            Some(estimate_parameters(x, &resp, first, kind, reg))
        };
        let (sizes, means, covariances) = match estimated {
            Some((s, m, c)) => (Some(s), Some(m), Some(c)),
            None => (None, None, None),
        };
        let weights = match (&self.weights_init, sizes) {
            (Some(w), _) => w.iter().map(|&v| F::cast(v)).collect(),
            // As scikit-learn: divided by the number (here total weight) of samples, not renormalised.
            (None, Some(s)) => s.iter().map(|&v| v / total_weight).collect(),
            (None, None) => unreachable!("weights are estimated unless weights_init is given"),
        };
        let means = match (&self.means_init, means) {
            (Some(m), _) => m.mapv(F::cast),
            (None, Some(m)) => m,
            (None, None) => unreachable!("means are estimated unless means_init is given"),
        };
        let (covariances, precisions_cholesky) = match (&self.precisions_init, covariances) {
            (Some(p), _) => (None, precision_cholesky_from_precisions(p)?),
            (None, Some(c)) => {
                let chol = precision_cholesky_from_covariances(&c, self.reg_covar)?;
                (Some(c), chol)
            }
            (None, None) => {
                unreachable!("covariances are estimated unless precisions_init is given")
            }
        };
        Ok(State {
            weights,
            means,
            covariances,
            precisions_cholesky,
        })
    }

    /// EM from `state` (scikit-learn's loop: E-step under the current parameters, M-step, lower
    /// bound = mean log-likelihood of the E-step, stop when it changes by less than `tol`).
    fn run_em<F: Float>(
        &self,
        rows: &BlockedRows<F>,
        workspace: &mut EmWorkspace<F>,
        total_weight: F,
        mut state: State<F>,
    ) -> Result<Run<F>> {
        let kind = self.covariance_type;
        let reg = F::cast(self.reg_covar);
        let tol = F::cast(self.tol);
        let mut lower_bound = F::neg_infinity();
        let mut lower_bounds = Vec::new();
        let mut converged = false;
        let mut n_iter = 0;
        for iteration in 1..=self.max_iter {
            crate::cancel::check()?;
            n_iter = iteration;
            let previous = lower_bound;
            let prepared = Prepared::new(&state.weights, &state.means, &state.precisions_cholesky);
            let pass = em_pass(rows, &prepared, workspace);
            lower_bound = pass.log_likelihood / total_weight;
            if !lower_bound.is_finite() {
                return Err(Error::Numerical {
                    reason: format!(
                        "the log-likelihood became {} at EM iteration {iteration} \
                         (covariance_type='{kind}', reg_covar={:e}); scale the data or increase reg_covar",
                        lower_bound.to_f64().unwrap_or(f64::NAN),
                        self.reg_covar
                    ),
                });
            }
            let (sizes, means, covariances) = estimate_from_pass(&pass, &state.means, kind, reg);
            let chol = precision_cholesky_from_covariances(&covariances, self.reg_covar)?;
            let total = sizes.iter().fold(F::zero(), |a, &v| a + v);
            state = State {
                weights: sizes.iter().map(|&s| s / total).collect(),
                means,
                covariances: Some(covariances),
                precisions_cholesky: chol,
            };
            lower_bounds.push(lower_bound);
            if (lower_bound - previous).abs() < tol {
                converged = true;
                break;
            }
        }
        Ok(Run {
            state,
            lower_bound,
            lower_bounds,
            n_iter,
            converged,
        })
    }

    /// Fits the mixture to `x` (n_samples x n_features, any memory order). Optional
    /// `sample_weight` (one non-negative weight per row) weights each row's contribution exactly
    /// as if it were repeated that many times (an extension: scikit-learn has none).
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<GaussianMixture<F>> {
        check_matrix(x.view(), "X")?;
        if let Some(w) = &sample_weight {
            check_sample_weight(w.view(), x.nrows())?;
        }
        let (n, d) = x.dim();
        let k = self.n_components;
        if k > n {
            return Err(Error::TooManyClusters {
                n_clusters: k,
                n_samples: n,
            });
        }
        if let Some(m) = &self.means_init {
            check_n_features(m.view(), d, "means_init")?;
        }
        if let Some(w) = &self.precisions_init {
            if let Some(got) = w.n_features() {
                if got != d {
                    return Err(Error::ShapeMismatch {
                        what: "precisions_init (number of features)".into(),
                        expected: d,
                        got,
                    });
                }
            }
        }
        let weights = contiguous_weights(sample_weight);
        let weights = weights.as_deref();
        let total_weight = weights.map_or(F::cast(n), |w| w.iter().fold(F::zero(), |a, &v| a + v));
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.random_state);
        // With every parameter given, all restarts would be identical: run one.
        let runs = if self.fully_initialised() {
            1
        } else {
            self.n_init
        };
        // Laid out once for all restarts and iterations (and the workspace allocated once: no
        // allocation proportional to n inside the EM loop).
        let rows = BlockedRows::new(&x, weights);
        let mut workspace = EmWorkspace::new(&rows, k, self.covariance_type);
        let mut best: Option<Run<F>> = None;
        for _ in 0..runs {
            let start = self.initial_state(&x, weights, total_weight, &mut rng)?;
            let run = self.run_em(&rows, &mut workspace, total_weight, start)?;
            let better = best.as_ref().is_none_or(|b| {
                run.lower_bound > b.lower_bound || b.lower_bound == F::neg_infinity()
            });
            if better {
                best = Some(run);
            }
        }
        let best = best.expect("n_init >= 1 is checked, so at least one run happened");
        let mut warnings = Vec::new();
        if !best.converged && self.max_iter > 0 {
            warnings.push(
                "Best performing initialization did not converge. Try different init parameters, \
                 or increase max_iter, tol, or check for degenerate data."
                    .to_string(),
            );
        }
        let state = best.state;
        let covariances = state
            .covariances
            .unwrap_or_else(|| covariances_from_precision_cholesky(&state.precisions_cholesky));
        Ok(GaussianMixture {
            weights: Array1::from(state.weights),
            means: state.means,
            covariances,
            precisions_cholesky: state.precisions_cholesky,
            lower_bound: best.lower_bound,
            lower_bounds: best.lower_bounds,
            n_iter: best.n_iter,
            converged: best.converged,
            warnings,
            model: None,
            starts: None,
        })
    }
}

impl GaussianMixtureParams {
    /// Checks the parameters, then fits (see [`GaussianMixtureValidParams::fit`]).
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<GaussianMixture<F>> {
        self.check_ref()?.fit(x, sample_weight)
    }
}

/// Standard normal draws by the Box-Muller transform (two per pair of uniforms).
fn standard_normals(rng: &mut Xoshiro256PlusPlus, count: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(count + 1);
    while out.len() < count {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let u1: f64 = 1.0 - rng.r#gen::<f64>();
        let (a, b) = box_muller(u1, rng.r#gen::<f64>());
        out.push(a);
        out.push(b);
    }
    out.truncate(count);
    out
}

impl<F: Float> GaussianMixture<F> {
    /// Mixing weights, one per component (sum to 1 after EM).
    pub fn weights(&self) -> ArrayView1<'_, F> {
        self.weights.view()
    }
    /// Component means (n_components x n_features).
    pub fn means(&self) -> ArrayView2<'_, F> {
        self.means.view()
    }
    /// Component covariances, shaped by the covariance type as scikit-learn's `covariances_`.
    pub fn covariances(&self) -> &Covariances<F> {
        &self.covariances
    }
    /// Cholesky factors of the precisions (upper triangular for full/tied, `1/sqrt(var)` for
    /// diag/spherical), as scikit-learn's `precisions_cholesky_`.
    pub fn precisions_cholesky(&self) -> &Covariances<F> {
        &self.precisions_cholesky
    }
    /// Precisions (inverse covariances), as scikit-learn's `precisions_`.
    pub fn precisions(&self) -> Covariances<F> {
        precisions_from_cholesky(&self.precisions_cholesky)
    }
    /// Covariance structure.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariances.covariance_type()
    }
    /// Mean log-likelihood of the training data at the last E-step of the best run
    /// (`-inf` when `max_iter = 0`).
    pub fn lower_bound(&self) -> F {
        self.lower_bound
    }
    /// Lower bound after every EM iteration of the best run.
    pub fn lower_bounds(&self) -> &[F] {
        &self.lower_bounds
    }
    /// EM iterations of the best run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }
    /// Whether the best run met `tol` before `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }
    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.means.nrows()
    }
    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.means.ncols()
    }
    /// Warnings recorded during fit (the Python binding re-emits them as `ConvergenceWarning`).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
    /// Number of free parameters (scikit-learn's `_n_parameters`): covariance + mean + k - 1
    /// weight parameters.
    ///
    /// For a model-based fit, mclust's `nMclustParams` of its [`MixtureModel`].
    pub fn n_parameters(&self) -> usize {
        let (k, d) = self.means.dim();
        match self.model {
            Some(model) => model.n_parameters(k, d),
            None => self.covariance_type().n_covariance_parameters(k, d) + k * d + k - 1,
        }
    }

    /// mclust's covariance model of a model-based fit ([`super::MixtureModelParams`]); `None`
    /// for scikit-learn's covariance types.
    pub fn model(&self) -> Option<MixtureModel> {
        self.model
    }

    /// The starts of a model-based fit: each one's log-likelihood and how many reached the best.
    pub fn starts(&self) -> Option<&MixtureStarts> {
        self.starts.as_ref()
    }

    /// BIC of a model-based fit on its training data in mclust's sign convention,
    /// `2 loglik - n_parameters ln n` (higher is better; `n` the total sample weight), from the
    /// log-likelihood EM stopped at. `None` for scikit-learn-type fits (use [`Self::bic`]).
    pub fn mclust_bic(&self) -> Option<f64> {
        let starts = self.starts.as_ref()?;
        Some(2.0 * starts.log_likelihood - self.n_parameters() as f64 * starts.n_samples.ln())
    }

    fn scored(&self, x: &ArrayView2<F>) -> Result<(Vec<F>, Vec<F>)> {
        check_matrix(x.view(), "X")?;
        check_n_features(x.view(), self.n_features(), "X")?;
        let prepared = Prepared::new(
            self.weights
                .as_slice()
                .expect("weights are a contiguous 1-d array"),
            &self.means,
            &self.precisions_cholesky,
        );
        Ok(score_rows(x, &prepared))
    }

    /// Membership probabilities of every row of `x` (n_samples x n_components; rows sum to 1).
    pub fn predict_proba(&self, x: ArrayView2<F>) -> Result<Array2<F>> {
        let (_, resp) = self.scored(&x)?;
        Ok(
            Array2::from_shape_vec((x.nrows(), self.n_components()), resp)
                .expect("score_rows returns n x k responsibilities"),
        )
    }

    /// Most probable component of every row of `x` (first on ties).
    pub fn predict(&self, x: ArrayView2<F>) -> Result<Array1<usize>> {
        Ok(most_probable(self.predict_proba(x)?.view()))
    }

    /// Membership uncertainty of every row: `1 - max_j p(j | x)`. 0 for a customer clearly in
    /// one segment, up to `1 - 1/k` for one exactly between all of them.
    pub fn uncertainty(&self, x: ArrayView2<F>) -> Result<Array1<F>> {
        Ok(uncertainty_of(self.predict_proba(x)?.view()))
    }

    /// Log-density `ln p(x)` of every row of `x` under the mixture.
    pub fn score_samples(&self, x: ArrayView2<F>) -> Result<Array1<F>> {
        Ok(Array1::from(self.scored(&x)?.0))
    }

    /// Mean log-density of the rows of `x`.
    pub fn score(&self, x: ArrayView2<F>) -> Result<F> {
        let log_density = self.score_samples(x)?;
        Ok(log_density.iter().fold(F::zero(), |a, &v| a + v) / F::cast(log_density.len()))
    }

    /// Bayesian information criterion on `x` (lower is better):
    /// `-2 * score(x) * n + n_parameters * ln(n)`.
    pub fn bic(&self, x: ArrayView2<F>) -> Result<f64> {
        let n = x.nrows() as f64;
        let score = self.score(x)?.to_f64().unwrap_or(f64::NAN);
        Ok(-2.0 * score * n + self.n_parameters() as f64 * n.ln())
    }

    /// Akaike information criterion on `x` (lower is better):
    /// `-2 * score(x) * n + 2 * n_parameters`.
    pub fn aic(&self, x: ArrayView2<F>) -> Result<f64> {
        let n = x.nrows() as f64;
        let score = self.score(x)?.to_f64().unwrap_or(f64::NAN);
        Ok(-2.0 * score * n + 2.0 * self.n_parameters() as f64)
    }

    /// Draws `n_samples` new points from the mixture (synthetic customer profiles) with their
    /// component labels, grouped by component as scikit-learn's `sample`. Deterministic for a
    /// given `seed` (scikit-learn's numpy stream cannot be reproduced, so draws differ from its).
    pub fn sample(&self, n_samples: usize, seed: u64) -> Result<(Array2<F>, Array1<usize>)> {
        if n_samples == 0 {
            return Err(Error::invalid_parameter("n_samples", 0, "an integer >= 1"));
        }
        let (k, d) = self.means.dim();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let weights: Vec<f64> = self
            .weights
            .iter()
            .map(|w| w.to_f64().unwrap_or(0.0))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut counts = vec![0usize; k];
        for _ in 0..n_samples {
            let target = rng.r#gen::<f64>() * total;
            let mut running = 0.0;
            let mut pick = k - 1;
            for (c, &w) in weights.iter().enumerate() {
                running += w;
                if running > target {
                    pick = c;
                    break;
                }
            }
            counts[pick] += 1;
        }
        let to64 = |v: F| v.to_f64().unwrap_or(f64::NAN);
        // Per component: a lower-triangular L with L L^T = covariance.
        let factor = |c: usize| -> Result<Array2<f64>> {
            let cov = match &self.covariances {
                Covariances::Full(a) => a.index_axis(ndarray::Axis(0), c).mapv(to64),
                Covariances::Tied(a) => a.mapv(to64),
                Covariances::Diag(a) => Array2::from_diag(&a.row(c).mapv(to64)),
                Covariances::Spherical(a) => Array2::eye(d) * to64(a[c]),
            };
            cholesky_lower(&cov).ok_or_else(|| {
                super::linalg::singular_covariance(self.covariance_type(), Some(c), 0.0)
            })
        };
        let mut out = Array2::<F>::zeros((n_samples, d));
        let mut labels = Array1::<usize>::zeros(n_samples);
        let mut row = 0;
        for (c, &count) in counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let l = factor(c)?;
            for _ in 0..count {
                let z = standard_normals(&mut rng, d);
                for a in 0..d {
                    let mut v = to64(self.means[[c, a]]);
                    for (b, &zb) in z.iter().enumerate().take(a + 1) {
                        v += l[[a, b]] * zb;
                    }
                    out[[row, a]] = F::cast(v);
                }
                labels[row] = c;
                row += 1;
            }
        }
        Ok((out, labels))
    }
}

/// Membership uncertainty `1 - max_j p_j` of every row of membership probabilities, shared by
/// [`GaussianMixture::uncertainty`] and every caller that already holds the probabilities.
pub fn uncertainty_of<F: Float>(probabilities: ArrayView2<F>) -> Array1<F> {
    probabilities
        .outer_iter()
        .map(|row| F::one() - row.iter().fold(F::zero(), |a, &v| a.max(v)))
        .collect()
}

/// The most probable component of every row of membership probabilities (first on ties): the
/// mixture's assignment rule, shared by `predict` and every caller that already holds the
/// probabilities.
pub fn most_probable<F: Float>(probabilities: ArrayView2<F>) -> Array1<usize> {
    probabilities
        .outer_iter()
        .map(|row| {
            let mut best = 0;
            for (c, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = c;
                }
            }
            best
        })
        .collect()
}

impl<F: Float, D: Data<Elem = F>, T> linfa::traits::Fit<ArrayBase<D, Ix2>, T, Error>
    for GaussianMixtureValidParams
{
    type Object = GaussianMixture<F>;

    /// Fits on the dataset's records; its weights (if any) are the sample weights.
    fn fit(
        &self,
        dataset: &linfa::DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<GaussianMixture<F>> {
        let weights: Option<Array1<F>> = dataset
            .weights()
            .map(|w| w.iter().map(|&v| F::cast(v)).collect());
        GaussianMixtureValidParams::fit(
            self,
            dataset.records().view(),
            weights.as_ref().map(|w| w.view()),
        )
    }
}

impl<F: Float, D: Data<Elem = F>> linfa::traits::PredictInplace<ArrayBase<D, Ix2>, Array1<usize>>
    for GaussianMixture<F>
{
    /// # Panics
    /// linfa's trait has no error path: panics if `x` has the wrong number of features or a
    /// non-finite value. Use the inherent [`GaussianMixture::predict`] for a `Result`.
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<usize>) {
        let labels = GaussianMixture::predict(self, x.view())
            .unwrap_or_else(|e| panic!("GaussianMixture::predict_inplace: {e}"));
        y.assign(&labels);
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}

impl<F: Float + Serialize + serde::de::DeserializeOwned> crate::persist::SavedModel
    for GaussianMixture<F>
{
    /// `"gaussian-mixture-f64"` or `"gaussian-mixture-f32"`.
    fn kind() -> String {
        format!("gaussian-mixture-{}", std::any::type_name::<F>())
    }

    fn validate(&self) -> Result<()> {
        use crate::persist::invalid;
        let (k, d) = self.means.dim();
        if k == 0 || d == 0 || self.weights.len() != k {
            return Err(invalid(
                "Gaussian mixture",
                "weights and means do not agree",
            ));
        }
        let shape_ok = |c: &Covariances<F>| match c {
            Covariances::Full(a) => a.dim() == (k, d, d),
            Covariances::Tied(a) => a.dim() == (d, d),
            Covariances::Diag(a) => a.dim() == (k, d),
            Covariances::Spherical(a) => a.len() == k,
        };
        let values = |c: &Covariances<F>| -> Vec<F> {
            match c {
                Covariances::Full(a) => a.iter().copied().collect(),
                Covariances::Tied(a) | Covariances::Diag(a) => a.iter().copied().collect(),
                Covariances::Spherical(a) => a.to_vec(),
            }
        };
        let same_type = std::mem::discriminant(&self.covariances)
            == std::mem::discriminant(&self.precisions_cholesky);
        if !same_type || !shape_ok(&self.covariances) || !shape_ok(&self.precisions_cholesky) {
            return Err(invalid(
                "Gaussian mixture",
                "covariances and precisions do not match the covariance type and sizes",
            ));
        }
        let finite = self
            .weights
            .iter()
            .chain(&self.means)
            .copied()
            .chain(values(&self.covariances))
            .chain(values(&self.precisions_cholesky))
            .all(|v| v.is_finite());
        if !finite || !self.lower_bound.is_finite() {
            return Err(invalid("Gaussian mixture", "a parameter is not finite"));
        }
        let total = self.weights.iter().fold(F::zero(), |a, &w| a + w);
        if self.weights.iter().any(|&w| w < F::zero()) || (total - F::one()).abs() > F::cast(1e-4) {
            return Err(invalid(
                "Gaussian mixture",
                "weights must be >= 0 and sum to 1",
            ));
        }
        // A model-based fit's name fixes the layout of its covariances (and EII / EEI share one
        // covariance across components).
        if let Some(model) = self.model {
            let (expected, found) = (model.layout(), self.covariances.covariance_type());
            if expected != found {
                return Err(invalid(
                    "Gaussian mixture",
                    format!(
                        "model '{model}' needs {} covariances, the document has {}",
                        expected.name(),
                        found.name()
                    ),
                ));
            }
            let shared = match (&self.covariances, model) {
                (Covariances::Spherical(a), MixtureModel::EII) => a
                    .iter()
                    .all(|&v| (v - a[0]).abs() <= F::cast(1e-9) * a[0].abs()),
                (Covariances::Diag(a), MixtureModel::EEI) => a.outer_iter().all(|row| {
                    row.iter()
                        .zip(a.row(0))
                        .all(|(&v, &w)| (v - w).abs() <= F::cast(1e-9) * w.abs())
                }),
                _ => true,
            };
            if !shared {
                return Err(invalid(
                    "Gaussian mixture",
                    format!("model '{model}' needs one covariance shared by every component"),
                ));
            }
        }
        // The log-density uses log(diag(precisions_cholesky)): every diagonal entry must be > 0.
        let diagonal_positive = match &self.precisions_cholesky {
            Covariances::Full(a) => (0..k).all(|c| (0..d).all(|j| a[[c, j, j]] > F::zero())),
            Covariances::Tied(a) => (0..d).all(|j| a[[j, j]] > F::zero()),
            Covariances::Diag(a) => a.iter().all(|&v| v > F::zero()),
            Covariances::Spherical(a) => a.iter().all(|&v| v > F::zero()),
        };
        if !diagonal_positive {
            return Err(invalid(
                "Gaussian mixture",
                "precision Cholesky factors need a positive diagonal",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Axis};

    /// Gaussian-ish blobs from a fixed seed (sum of uniforms; no extra dependency).
    pub(crate) fn blobs(n: usize, d: usize, k: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let centers = Array2::from_shape_fn((k, d), |_| rng.gen_range(-6.0..6.0));
        Array2::from_shape_fn((n, d), |(i, f)| {
            let noise: f64 = (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum();
            centers[[i % k, f]] + noise * (1.0 + f as f64 * 0.3)
        })
    }

    fn full_matrices(c: &Covariances<f64>, k: usize, d: usize) -> Vec<Array2<f64>> {
        (0..k)
            .map(|j| match c {
                Covariances::Full(a) => a.index_axis(Axis(0), j).to_owned(),
                Covariances::Tied(a) => a.clone(),
                Covariances::Diag(a) => Array2::from_diag(&a.row(j)),
                Covariances::Spherical(a) => Array2::eye(d) * a[j],
            })
            .collect()
    }

    /// Textbook EM on dense matrices (explicit inverse and determinant of each covariance),
    /// scikit-learn's order of steps: the reference the kernel must reproduce.
    fn reference_em(
        x: &Array2<f64>,
        kind: CovarianceType,
        mut weights: Vec<f64>,
        mut means: Array2<f64>,
        mut covs: Vec<Array2<f64>>,
        iterations: usize,
        reg: f64,
    ) -> (Vec<f64>, Array2<f64>, Vec<Array2<f64>>, f64) {
        let (n, d) = x.dim();
        let k = weights.len();
        let mut lower_bound = 0.0;
        for _ in 0..iterations {
            let mut resp = Array2::<f64>::zeros((n, k));
            let mut total = 0.0;
            for i in 0..n {
                let mut lp = vec![0.0; k];
                for c in 0..k {
                    let l = cholesky_lower(&covs[c]).unwrap();
                    let linv = super::super::linalg::lower_inverse(&l);
                    let inv = linv.t().dot(&linv);
                    let log_det: f64 = (0..d).map(|f| 2.0 * l[[f, f]].ln()).sum();
                    let diff = &x.row(i) - &means.row(c);
                    let maha = diff.dot(&inv.dot(&diff));
                    lp[c] = weights[c].ln()
                        - 0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + log_det + maha);
                }
                let max = lp.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let lse = max + lp.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                total += lse;
                for c in 0..k {
                    resp[[i, c]] = (lp[c] - lse).exp();
                }
            }
            lower_bound = total / n as f64;
            let nk: Vec<f64> = (0..k)
                .map(|c| resp.column(c).sum() + 10.0 * f64::EPSILON)
                .collect();
            means = Array2::from_shape_fn((k, d), |(c, f)| {
                (0..n).map(|i| resp[[i, c]] * x[[i, f]]).sum::<f64>() / nk[c]
            });
            let scatter: Vec<Array2<f64>> = (0..k)
                .map(|c| {
                    Array2::from_shape_fn((d, d), |(a, b)| {
                        (0..n)
                            .map(|i| {
                                resp[[i, c]]
                                    * (x[[i, a]] - means[[c, a]])
                                    * (x[[i, b]] - means[[c, b]])
                            })
                            .sum::<f64>()
                    })
                })
                .collect();
            let eye = Array2::<f64>::eye(d);
            covs = match kind {
                CovarianceType::Full => (0..k).map(|c| &scatter[c] / nk[c] + &eye * reg).collect(),
                CovarianceType::Tied => {
                    let sum = scatter.iter().fold(Array2::zeros((d, d)), |a, s| a + s);
                    let cov = sum / nk.iter().sum::<f64>() + &eye * reg;
                    vec![cov; k]
                }
                CovarianceType::Diag => (0..k)
                    .map(|c| Array2::from_diag(&(scatter[c].diag().to_owned() / nk[c] + reg)))
                    .collect(),
                CovarianceType::Spherical => (0..k)
                    .map(|c| {
                        let v = (scatter[c].diag().to_owned() / nk[c] + reg).mean().unwrap();
                        &eye * v
                    })
                    .collect(),
            };
            let total_nk: f64 = nk.iter().sum();
            weights = nk.iter().map(|v| v / total_nk).collect();
        }
        (weights, means, covs, lower_bound)
    }

    fn initial_precisions(kind: CovarianceType, k: usize, d: usize) -> Covariances<f64> {
        match kind {
            CovarianceType::Full => {
                Covariances::Full(Array3::from_shape_fn((k, d, d), |(c, a, b)| {
                    if a == b {
                        0.5 + 0.1 * c as f64
                    } else {
                        0.05
                    }
                }))
            }
            CovarianceType::Tied => Covariances::Tied(Array2::from_shape_fn((d, d), |(a, b)| {
                if a == b {
                    0.6
                } else {
                    0.05
                }
            })),
            CovarianceType::Diag => Covariances::Diag(Array2::from_shape_fn((k, d), |(c, f)| {
                0.4 + 0.1 * (c + f) as f64
            })),
            CovarianceType::Spherical => {
                Covariances::Spherical(Array1::from_shape_fn(k, |c| 0.5 + 0.1 * c as f64))
            }
        }
    }

    fn user_initialised(kind: CovarianceType, x: &Array2<f64>, k: usize) -> GaussianMixtureParams {
        let d = x.ncols();
        let means = Array2::from_shape_fn((k, d), |(c, f)| x[[c * 7 % x.nrows(), f]]);
        GaussianMixtureParams::new(k)
            .covariance_type(kind)
            .weights_init(Array1::from_elem(k, 1.0 / k as f64))
            .means_init(means)
            .precisions_init(initial_precisions(kind, k, d))
    }

    #[test]
    fn em_matches_a_textbook_reference_for_every_covariance_type() {
        let x = blobs(90, 3, 3, 1);
        let (k, d) = (3, 3);
        for kind in CovarianceType::ALL {
            let params = user_initialised(kind, &x, k).max_iter(6).tol(0.0);
            let model = params.fit(x.view(), None).unwrap();
            assert_eq!(model.n_iter(), 6);
            assert!(!model.converged());
            let p = params.check().unwrap();
            let start_chol: Covariances<f64> =
                precision_cholesky_from_precisions(p.precisions_init().unwrap()).unwrap();
            let start_cov = full_matrices(&covariances_from_precision_cholesky(&start_chol), k, d);
            let (w, m, c, lb) = reference_em(
                &x,
                kind,
                p.weights_init().unwrap().to_vec(),
                p.means_init().unwrap().clone(),
                start_cov,
                6,
                1e-6,
            );
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
            assert!(
                w.iter().zip(model.weights()).all(|(a, b)| close(*b, *a)),
                "{kind}"
            );
            assert!(
                m.iter().zip(model.means()).all(|(a, b)| close(*b, *a)),
                "{kind}"
            );
            let got = full_matrices(model.covariances(), k, d);
            for (a, b) in got.iter().zip(&c) {
                assert!(a.iter().zip(b).all(|(u, v)| close(*u, *v)), "{kind}");
            }
            assert!(
                close(model.lower_bound(), lb),
                "{kind}: {} vs {lb}",
                model.lower_bound()
            );
        }
    }

    #[test]
    fn one_component_is_the_sample_gaussian() {
        // Hand-computed: k = 1 converges to the sample mean and the population covariance, whose
        // mean log-likelihood is -d/2 (ln 2 pi + 1) - 1/2 ln det(cov).
        let x: Array2<f64> = array![[0.0, 1.0], [2.0, 1.0], [1.0, 3.0], [1.0, -1.0]];
        let model = GaussianMixtureParams::new(1)
            .reg_covar(0.0)
            .fit(x.view(), None)
            .unwrap();
        assert!((model.means()[[0, 0]] - 1.0).abs() < 1e-12);
        assert!((model.means()[[0, 1]] - 1.0).abs() < 1e-12);
        let Covariances::Full(cov) = model.covariances() else {
            panic!("full by default")
        };
        // Var(x0) = 0.5, Var(x1) = 2, Cov = 0.
        assert!((cov[[0, 0, 0]] - 0.5).abs() < 1e-12 && (cov[[0, 1, 1]] - 2.0).abs() < 1e-12);
        assert!(cov[[0, 0, 1]].abs() < 1e-12);
        let expected = -(2.0f64 * std::f64::consts::PI).ln() - 1.0 - 0.5 * 1.0f64.ln();
        assert!(
            (model.lower_bound() - expected).abs() < 1e-12,
            "{}",
            model.lower_bound()
        );
        assert!((model.score(x.view()).unwrap() - expected).abs() < 1e-12);
        // bic = -2 n score + p ln n with p = 3 + 2 + 0.
        let bic = model.bic(x.view()).unwrap();
        assert!((bic - (-8.0 * expected + 5.0 * 4f64.ln())).abs() < 1e-10);
        let aic = model.aic(x.view()).unwrap();
        assert!((aic - (-8.0 * expected + 10.0)).abs() < 1e-10);
    }

    #[test]
    fn probabilities_sum_to_one_and_the_lower_bound_never_decreases() {
        let x = blobs(600, 4, 3, 2);
        for kind in CovarianceType::ALL {
            for init in [
                GaussianMixtureInit::KMeans,
                GaussianMixtureInit::KMeansPlusPlus,
                GaussianMixtureInit::Random,
                GaussianMixtureInit::RandomFromData,
            ] {
                // Starting from single rows needs reg_covar (their covariance is 0); with it EM
                // is only approximately monotone, hence the looser tolerance there.
                let from_rows = matches!(
                    init,
                    GaussianMixtureInit::KMeansPlusPlus | GaussianMixtureInit::RandomFromData
                );
                let (reg, slack) = if from_rows {
                    (1e-6, 1e-6)
                } else {
                    (0.0, 1e-12)
                };
                let model = GaussianMixtureParams::new(3)
                    .covariance_type(kind)
                    .init(init)
                    .reg_covar(reg)
                    .tol(1e-10)
                    .random_state(5)
                    .fit(x.view(), None)
                    .unwrap();
                let bounds = model.lower_bounds();
                assert_eq!(bounds.len(), model.n_iter());
                for pair in bounds.windows(2) {
                    assert!(
                        pair[1] >= pair[0] - slack * pair[0].abs(),
                        "{kind} {init:?}"
                    );
                }
                let proba = model.predict_proba(x.view()).unwrap();
                for row in proba.outer_iter() {
                    assert!((row.sum() - 1.0).abs() < 1e-12);
                }
                let labels = model.predict(x.view()).unwrap();
                let uncertainty = model.uncertainty(x.view()).unwrap();
                for ((row, &l), &u) in proba.outer_iter().zip(&labels).zip(&uncertainty) {
                    assert_eq!(u, 1.0 - row[l]);
                    assert!((0.0..=1.0 - 1.0 / 3.0 + 1e-12).contains(&u));
                }
                assert!((model.weights().sum() - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn fused_pass_m_step_equals_the_m_step_from_stored_responsibilities() {
        // The EM loop never stores responsibilities: it centres on the current means and
        // corrects to the new ones (`estimate_from_pass`). Compare with the direct M-step on the
        // responsibilities of the same parameters, on data far from the origin (where a
        // non-centred E[x x^T] - mu mu^T would lose digits), with weights and a row count that
        // leaves a padded block, for every covariance type.
        let (n, d, k) = (3001, 4, 3);
        let x = blobs(n, d, k, 21).mapv(|v| v + 1e4);
        let weights: Vec<f64> = (0..n).map(|i| 0.5 + (i % 3) as f64).collect();
        for kind in CovarianceType::ALL {
            // Means a few units off the segments, so one EM step moves them.
            let means = Array2::from_shape_fn((k, d), |(c, f)| x[[c, f]] + 0.7);
            let chol = precision_cholesky_from_precisions(&initial_precisions(kind, k, d))
                .expect("test precisions are positive definite");
            let mixing = vec![0.2, 0.3, 0.5];
            let prepared = Prepared::new(&mixing, &means, &chol);
            let rows = BlockedRows::new(&x.view(), Some(&weights));
            let mut workspace = EmWorkspace::new(&rows, k, kind);
            let pass = em_pass(&rows, &prepared, &mut workspace);
            let (fused_sizes, fused_means, fused_cov) =
                estimate_from_pass(&pass, &means, kind, 1e-6);

            let (log_density, prob) = score_rows(&x.view(), &prepared);
            let resp: Vec<f64> = (0..n * k).map(|i| prob[i] * weights[i / k]).collect();
            let first = first_moments(&x.view(), &resp, k);
            let log_likelihood: f64 = log_density.iter().zip(&weights).map(|(l, w)| l * w).sum();
            let (sizes, direct_means, direct_cov) =
                estimate_parameters(&x.view(), &resp, first, kind, 1e-6);

            let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol * b.abs().max(1.0);
            assert!(close(pass.log_likelihood, log_likelihood, 1e-12), "{kind}");
            for (a, b) in fused_sizes.iter().zip(&sizes) {
                assert!(close(*a, *b, 1e-12), "{kind}: sizes {a} vs {b}");
            }
            for (a, b) in fused_means.iter().zip(direct_means.iter()) {
                assert!(close(*a, *b, 1e-12), "{kind}: means {a} vs {b}");
            }
            let (fc, dc) = (
                full_matrices(&fused_cov, k, d),
                full_matrices(&direct_cov, k, d),
            );
            for (a, b) in fc.iter().zip(&dc) {
                for (u, v) in a.iter().zip(b.iter()) {
                    assert!(close(*u, *v, 1e-9), "{kind}: covariances {u} vs {v}");
                }
            }
        }
    }

    #[test]
    fn bit_identical_on_one_and_two_threads() {
        // More rows than one chunk, so the parallel reduction is exercised.
        let x = blobs(5000, 3, 4, 3);
        let fit = || {
            GaussianMixtureParams::new(4)
                .n_init(2)
                .random_state(11)
                .fit(x.view(), None)
                .unwrap()
        };
        let one = crate::testing::same_on_threads(1, 2, fit);
        assert_eq!(fit(), one);
    }

    #[test]
    fn integer_sample_weights_equal_repeated_rows() {
        let x = blobs(60, 2, 2, 4);
        let counts: Vec<usize> = (0..60).map(|i| i % 3).collect();
        let repeated_rows: Vec<usize> = (0..60).flat_map(|i| vec![i; counts[i]]).collect();
        let repeated = x.select(Axis(0), &repeated_rows);
        let w = Array1::from_iter(counts.iter().map(|&c| c as f64));
        for kind in CovarianceType::ALL {
            let params = user_initialised(kind, &x, 2).max_iter(20);
            let a = params.fit(x.view(), Some(w.view())).unwrap();
            let b = params.fit(repeated.view(), None).unwrap();
            assert_eq!(a.n_iter(), b.n_iter());
            let close = |u: f64, v: f64| (u - v).abs() <= 1e-10 * (1.0 + v.abs());
            assert!(close(a.lower_bound(), b.lower_bound()));
            assert!(a.means().iter().zip(b.means()).all(|(u, v)| close(*u, *v)));
            assert!(a
                .weights()
                .iter()
                .zip(b.weights())
                .all(|(u, v)| close(*u, *v)));
        }
    }

    #[test]
    fn float32_input_is_computed_in_float32() {
        let x = blobs(300, 3, 2, 6);
        let x32 = x.mapv(|v| v as f32);
        let a = GaussianMixtureParams::new(2).fit(x.view(), None).unwrap();
        let b = GaussianMixtureParams::new(2).fit(x32.view(), None).unwrap();
        assert!((a.lower_bound() - b.lower_bound() as f64).abs() < 1e-3);
    }

    #[test]
    fn bad_input_gives_errors_not_panics() {
        let x = array![[0.0, 1.0], [f64::NAN, 2.0], [1.0, 1.0]];
        assert!(matches!(
            GaussianMixtureParams::new(1).fit(x.view(), None),
            Err(Error::NonFiniteValue { row: 1, .. })
        ));
        let x = array![[0.0, 1.0], [1.0, 2.0]];
        assert!(matches!(
            GaussianMixtureParams::new(3).fit(x.view(), None),
            Err(Error::TooManyClusters { .. })
        ));
        let empty = Array2::<f64>::zeros((0, 2));
        assert!(matches!(
            GaussianMixtureParams::new(1).fit(empty.view(), None),
            Err(Error::EmptyInput { .. })
        ));
        let wrong = GaussianMixtureParams::new(1).means_init(array![[0.0, 0.0, 0.0]]);
        assert!(matches!(
            wrong.fit(x.view(), None),
            Err(Error::ShapeMismatch { .. })
        ));
        // A constant column is regularised by reg_covar; without it the covariance is singular
        // and the error says what to do.
        let constant = Array2::from_shape_fn((50, 2), |(i, f)| if f == 0 { i as f64 } else { 0.0 });
        let model = GaussianMixtureParams::new(2)
            .fit(constant.view(), None)
            .unwrap();
        assert!(model.lower_bound().is_finite());
        for kind in CovarianceType::ALL {
            let err = GaussianMixtureParams::new(2)
                .covariance_type(kind)
                .reg_covar(0.0)
                .fit(constant.view(), None);
            if kind == CovarianceType::Spherical {
                // Averaged over features, the variance stays positive.
                assert!(err.is_ok());
                continue;
            }
            let err = err.unwrap_err();
            assert!(matches!(err, Error::Numerical { .. }), "{kind}: {err:?}");
            assert!(err.to_string().contains("Increase reg_covar"), "{err}");
        }
        // Duplicate points and more components than distinct rows collapse onto reg_covar.
        let dup = Array2::<f64>::from_elem((10, 2), 1.5);
        for init in [
            GaussianMixtureInit::KMeans,
            GaussianMixtureInit::KMeansPlusPlus,
            GaussianMixtureInit::Random,
            GaussianMixtureInit::RandomFromData,
        ] {
            let m = GaussianMixtureParams::new(3)
                .init(init)
                .fit(dup.view(), None)
                .unwrap();
            assert!(m.lower_bound().is_finite());
            assert!(m
                .predict_proba(dup.view())
                .unwrap()
                .iter()
                .all(|v| v.is_finite()));
        }
        assert!(matches!(
            model.predict(array![[1.0, 2.0, 3.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            model.sample(0, 1),
            Err(Error::InvalidParameter {
                name: "n_samples",
                ..
            })
        ));
        let zero_weights = Array1::from_elem(50, 0.0);
        assert!(matches!(
            GaussianMixtureParams::new(2).fit(constant.view(), Some(zero_weights.view())),
            Err(Error::InvalidWeights { .. })
        ));
    }

    #[test]
    fn max_iter_zero_evaluates_the_initial_parameters() {
        let x = blobs(50, 2, 2, 7);
        let params = user_initialised(CovarianceType::Full, &x, 2).max_iter(0);
        let model = params.fit(x.view(), None).unwrap();
        assert_eq!(model.n_iter(), 0);
        assert_eq!(model.lower_bound(), f64::NEG_INFINITY);
        assert!(model.warnings().is_empty());
        assert_eq!(model.means(), params.check().unwrap().means_init().unwrap());
        let Covariances::Full(p) = model.precisions() else {
            panic!("full")
        };
        assert!((p[[1, 0, 0]] - 0.6).abs() < 1e-12 && (p[[1, 0, 1]] - 0.05).abs() < 1e-12);
    }

    #[test]
    fn samples_follow_the_mixture() {
        let x = blobs(2000, 2, 2, 8);
        let model = GaussianMixtureParams::new(2)
            .covariance_type(CovarianceType::Full)
            .fit(x.view(), None)
            .unwrap();
        let (s, labels) = model.sample(20000, 3).unwrap();
        assert_eq!(s.dim(), (20000, 2));
        assert!(labels.windows(2).into_iter().all(|w| w[0] <= w[1]));
        for c in 0..2 {
            let rows: Vec<usize> = (0..20000).filter(|&i| labels[i] == c).collect();
            let share = rows.len() as f64 / 20000.0;
            assert!((share - model.weights()[c]).abs() < 0.02);
            let mean = s.select(Axis(0), &rows).mean_axis(Axis(0)).unwrap();
            for f in 0..2 {
                assert!((mean[f] - model.means()[[c, f]]).abs() < 0.1);
            }
        }
        assert_eq!(model.sample(50, 9).unwrap(), model.sample(50, 9).unwrap());
    }

    #[test]
    fn model_round_trips_through_serde_and_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<GaussianMixture<f64>>();
        assert_send_sync::<GaussianMixture<f32>>();
        let x = blobs(200, 3, 2, 9);
        for kind in CovarianceType::ALL {
            let model = GaussianMixtureParams::new(2)
                .covariance_type(kind)
                .fit(x.view(), None)
                .unwrap();
            let json = serde_json::to_string(&model).unwrap();
            let back: GaussianMixture<f64> = serde_json::from_str(&json).unwrap();
            assert_eq!(back, model);
        }
    }

    #[test]
    fn linfa_traits_fit_and_predict() {
        let x = blobs(100, 2, 2, 10);
        let dataset = linfa::DatasetBase::from(x.clone());
        let params = GaussianMixtureParams::new(2).check().unwrap();
        let model: GaussianMixture<f64> = linfa::traits::Fit::fit(&params, &dataset).unwrap();
        let labels: Array1<usize> = linfa::traits::Predict::predict(&model, &x);
        assert_eq!(labels, GaussianMixture::predict(&model, x.view()).unwrap());
    }
}
