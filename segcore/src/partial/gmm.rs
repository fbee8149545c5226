//! Mergeable Gaussian-mixture statistics and the driver of a distributed EM fit.
//!
//! One EM iteration is one pass over the partitions: each computes the fused E-step/M-step sums
//! of the single-machine kernel ([`GmmStep`]: per component the total responsibility, the sums
//! of `x - m_c` and the second moments around `m_c`, plus the log-likelihood) under the
//! broadcast parameters; the driver adds them in partition order and runs the M-step of the
//! single-machine fit on the total. So from the same start a distributed fit follows the
//! single-machine iterations up to the rounding of the sums (~1e-12 relative), and for a fixed
//! partitioning it gives the same bits on any cluster. The k-means start runs
//! [`KMeansDriver`] (k-means||), then one hard-assignment pass gives the initial parameters.

use super::kmeans::partition_weights;
use super::moments::{check_block, check_same_features};
use super::{KMeansDriver, PartialStats, PartitionTask};
use crate::cluster::gmm::{
    covariances_of, em_scatter_len, em_sums, initial_from_sums, m_step_from_sums, user_start,
    CovarianceType, Covariances, EmSums, GaussianMixture, GaussianMixtureInit,
    GaussianMixtureValidParams,
};
use crate::cluster::kmeans::{KMeans, KMeansParams};
use crate::error::{Error, Result};
use crate::validation::check_n_features;
use crate::Float;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// The mixture every partition evaluates in one EM pass (f64, holding values of the data's
/// float type for float32 data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GmmBroadcast {
    weights: Vec<f64>,
    means: Array2<f64>,
    precisions_cholesky: Covariances<f64>,
}

impl GmmBroadcast {
    /// The fused EM sums of a partition under the broadcast mixture (each row weighted by its
    /// sample weight, if any).
    pub fn step<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
        partition: usize,
    ) -> Result<GmmStep> {
        let w = checked_partition(x.view(), sample_weight, self.means.ncols(), partition)?;
        let sums = em_sums(
            &x,
            w.as_deref(),
            &self.weights,
            &self.means,
            &self.precisions_cholesky,
        );
        Ok(GmmStep::from_sums(
            sums,
            self.means.ncols(),
            x.nrows(),
            total_of(w.as_deref()),
        ))
    }
}

/// The k-means centers of the hard-assignment pass that starts EM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GmmHardBroadcast {
    centers: Array2<f64>,
    covariance_type: CovarianceType,
}

impl GmmHardBroadcast {
    /// Every row counted (with its sample weight, if any) in its nearest center's cluster
    /// (ties: the lower index), with sums centred on the centers, in the layout of [`GmmStep`].
    pub fn step<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
        partition: usize,
    ) -> Result<GmmStep> {
        let (k, d) = self.centers.dim();
        let sample_weight = checked_partition(x.view(), sample_weight, d, partition)?;
        let m = em_scatter_len(self.covariance_type, d);
        let mut sums = EmSums {
            resp_sums: vec![0.0; k],
            shifted_sums: vec![0.0; k * d],
            shifted_scatter: vec![0.0; k * m],
            log_likelihood: 0.0,
        };
        let mut diff = vec![0.0; d];
        for (i, row) in x.outer_iter().enumerate() {
            let w = sample_weight
                .as_ref()
                .map_or(1.0, |s| s[i].to_f64().unwrap_or(f64::NAN));
            let mut best = (f64::INFINITY, 0);
            for (c, center) in self.centers.outer_iter().enumerate() {
                let dist: f64 = row
                    .iter()
                    .zip(center)
                    .map(|(&v, &m)| {
                        let t = v.to_f64().unwrap_or(f64::NAN) - m;
                        t * t
                    })
                    .sum();
                if dist < best.0 {
                    best = (dist, c);
                }
            }
            let c = best.1;
            for (f, t) in diff.iter_mut().enumerate() {
                *t = row[f].to_f64().unwrap_or(f64::NAN) - self.centers[[c, f]];
            }
            sums.resp_sums[c] += w;
            for (s, t) in sums.shifted_sums[c * d..(c + 1) * d].iter_mut().zip(&diff) {
                *s += w * t;
            }
            let out = &mut sums.shifted_scatter[c * m..(c + 1) * m];
            match self.covariance_type {
                CovarianceType::Full | CovarianceType::Tied => {
                    let mut idx = 0;
                    for a in 0..d {
                        for b in a..d {
                            out[idx] += w * diff[a] * diff[b];
                            idx += 1;
                        }
                    }
                }
                CovarianceType::Diag | CovarianceType::Spherical => {
                    for (o, t) in out.iter_mut().zip(&diff) {
                        *o += w * t * t;
                    }
                }
            }
        }
        Ok(GmmStep::from_sums(
            sums,
            d,
            x.nrows(),
            total_of(sample_weight.as_deref()),
        ))
    }
}

/// A partition's rows checked (finite block of `n_features` columns) and its sample weights
/// (validated, `None` without weights), as every mixture task reads them.
fn checked_partition<'a, F: Float>(
    x: ArrayView2<F>,
    sample_weight: Option<ArrayView1<'a, F>>,
    n_features: usize,
    partition: usize,
) -> Result<Option<std::borrow::Cow<'a, [F]>>> {
    check_block(x.view(), partition)?;
    check_n_features(x.view(), n_features, &format!("partition {partition} of X"))?;
    partition_weights(sample_weight, x.nrows(), partition)
}

/// The total sample weight of a partition (`None` without weights: the row count stands in).
fn total_of<F: Float>(sample_weight: Option<&[F]>) -> Option<f64> {
    sample_weight.map(|w| w.iter().map(|&v| v.to_f64().unwrap_or(f64::NAN)).sum())
}

/// Sums of one EM pass over some partitions (see the module docs); merging adds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GmmStep {
    n_features: usize,
    n_rows: u64,
    resp_sums: Vec<f64>,
    shifted_sums: Vec<f64>,
    shifted_scatter: Vec<f64>,
    log_likelihood: f64,
    /// Total sample weight (absent without weights: every row weighs 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    total_weight: Option<f64>,
}

impl GmmStep {
    fn from_sums(
        sums: EmSums,
        n_features: usize,
        n_rows: usize,
        total_weight: Option<f64>,
    ) -> GmmStep {
        GmmStep {
            n_features,
            total_weight,
            n_rows: n_rows as u64,
            resp_sums: sums.resp_sums,
            shifted_sums: sums.shifted_sums,
            shifted_scatter: sums.shifted_scatter,
            log_likelihood: sums.log_likelihood,
        }
    }

    fn sums(&self) -> EmSums {
        EmSums {
            resp_sums: self.resp_sums.clone(),
            shifted_sums: self.shifted_sums.clone(),
            shifted_scatter: self.shifted_scatter.clone(),
            log_likelihood: self.log_likelihood,
        }
    }

    /// Adds `other` (its partitions after `self`'s).
    pub fn merge(&mut self, other: &GmmStep) -> Result<()> {
        check_same_features(self.n_features, other.n_features)?;
        if self.resp_sums.len() != other.resp_sums.len()
            || self.shifted_scatter.len() != other.shifted_scatter.len()
        {
            return Err(Error::ShapeMismatch {
                what: "Gaussian-mixture statistics of two partitions (number of components)".into(),
                expected: self.resp_sums.len(),
                got: other.resp_sums.len(),
            });
        }
        self.total_weight = match (self.total_weight, other.total_weight) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(self.n_rows as f64) + b.unwrap_or(other.n_rows as f64)),
        };
        self.n_rows += other.n_rows;
        let add = |a: &mut Vec<f64>, b: &[f64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.resp_sums, &other.resp_sums);
        add(&mut self.shifted_sums, &other.shifted_sums);
        add(&mut self.shifted_scatter, &other.shifted_scatter);
        self.log_likelihood += other.log_likelihood;
        Ok(())
    }

    /// Rows the statistics cover.
    pub fn n_rows(&self) -> u64 {
        self.n_rows
    }

    /// Their total sample weight (the row count without weights).
    pub fn total_weight(&self) -> f64 {
        self.total_weight.unwrap_or(self.n_rows as f64)
    }
}

/// The mixture during EM (f64).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct MixtureState {
    weights: Vec<f64>,
    means: Array2<f64>,
    covariances: Option<Covariances<f64>>,
    precisions_cholesky: Covariances<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
enum GmmPhase {
    /// k-means|| and Lloyd iterations for the start.
    KMeans(Box<KMeansDriver>),
    /// One pass counting every row in its k-means cluster.
    Hard {
        centers: Array2<f64>,
    },
    /// EM iterations.
    Em,
    Done,
}

/// The distributed EM fit of a Gaussian mixture: `next_task` says what every partition computes,
/// `receive` takes the merged statistics, `model` gives the fitted [`GaussianMixture`]. The
/// iterations, stopping rule (`tol` on the change of the mean log-likelihood), `reg_covar` and
/// the warning of an unconverged fit are those of the single-machine fit, started from k-means
/// (run as k-means||) or from user-given weights, means and precisions. With `n_init` above 1
/// (k-means starts only; a user-given start runs once, every run would be the same) the whole
/// fit runs that many times from seeds derived from `random_state` (the first keeps it) and the
/// run with the highest lower bound wins (ties to the earlier run, as scikit-learn).
///
/// ```
/// use ndarray::{array, Array2};
/// use segcore::cluster::gmm::{Covariances, GaussianMixtureParams};
/// use segcore::partial::{fit_mixture_partitions, split_rows, GmmDriver};
///
/// let x = Array2::from_shape_fn((400, 2), |(i, f)| (i % 2) as f64 * 6.0 + ((i * 7 + f * 3) % 11) as f64 * 0.1);
/// let params = GaussianMixtureParams::new(2)
///     .weights_init(array![0.5, 0.5])
///     .means_init(array![[0.5, 0.5], [6.5, 6.5]])
///     .precisions_init(Covariances::Full(ndarray::Array3::from_shape_fn((2, 2, 2), |(_, a, b)| if a == b { 1.0 } else { 0.0 })))
///     .check()?;
/// let single = params.fit(x.view(), None)?;
/// let mut driver = GmmDriver::new(params, false)?;
/// let distributed = fit_mixture_partitions(&mut driver, &split_rows(x.view(), &[150, 280]))?;
/// assert!((&single.means() - &distributed.means()).iter().all(|d| d.abs() < 1e-9));
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GmmDriver {
    params: GaussianMixtureValidParams,
    float32: bool,
    /// Starts to run (`n_init`), the current one, and the best finished run so far.
    n_runs: usize,
    run: usize,
    best: Option<Box<GmmDriver>>,
    phase: GmmPhase,
    state: Option<MixtureState>,
    n_rows: u64,
    lower_bound: f64,
    lower_bounds: Vec<f64>,
    n_iter: usize,
    converged: bool,
    warnings: Vec<String>,
}

impl GmmDriver {
    /// A driver for `params` on float32 (`float32`) or float64 data.
    pub fn new(params: GaussianMixtureValidParams, float32: bool) -> Result<Self> {
        let warnings = Vec::new();
        let start = user_start(&params)?;
        let n_runs = if start.is_some() { 1 } else { params.n_init() };
        let phase = match &start {
            Some(_) => GmmPhase::Em,
            None => {
                if params.init() != GaussianMixtureInit::KMeans {
                    return Err(Error::invalid_parameter(
                        "init_params",
                        format!("'{}'", params.init().name()),
                        "'kmeans' (run as k-means||) or user-given weights_init, means_init \
                         and precisions_init for a distributed fit",
                    ));
                }
                kmeans_start(&params, float32, 0)?
            }
        };
        let state = start.map(|(weights, means, precisions_cholesky)| MixtureState {
            weights,
            means,
            covariances: None,
            precisions_cholesky,
        });
        let phase = if params.max_iter() == 0 && state.is_some() {
            GmmPhase::Done
        } else {
            phase
        };
        Ok(GmmDriver {
            params,
            float32,
            n_runs,
            run: 0,
            best: None,
            phase,
            state,
            n_rows: 0,
            lower_bound: f64::NEG_INFINITY,
            lower_bounds: Vec::new(),
            n_iter: 0,
            converged: false,
            warnings,
        })
    }

    /// What each partition must compute next, or `None` when the fit is done.
    pub fn next_task(&self) -> Option<PartitionTask> {
        match &self.phase {
            GmmPhase::KMeans(driver) => driver.next_task(),
            GmmPhase::Hard { centers } => Some(PartitionTask::GmmHard(GmmHardBroadcast {
                centers: centers.clone(),
                covariance_type: self.params.covariance_type(),
            })),
            GmmPhase::Em => {
                let state = self.state.as_ref()?;
                Some(PartitionTask::GmmEm(GmmBroadcast {
                    weights: state.weights.clone(),
                    means: state.means.clone(),
                    precisions_cholesky: state.precisions_cholesky.clone(),
                }))
            }
            GmmPhase::Done => None,
        }
    }

    fn gmm_step(&self, stats: PartialStats) -> Result<GmmStep> {
        match stats {
            PartialStats::GmmStep(s) => Ok(s),
            other => Err(Error::invalid_parameter(
                "partial statistics",
                other.kind(),
                "the statistics of the task asked for (gmm_step)",
            )),
        }
    }

    fn check_rows(&mut self, step: &GmmStep) -> Result<()> {
        let k = self.params.n_components();
        if (step.n_rows as usize) < k {
            return Err(Error::TooManyClusters {
                n_clusters: k,
                n_samples: step.n_rows as usize,
            });
        }
        self.n_rows = step.n_rows;
        Ok(())
    }

    /// Takes the statistics of the last task, merged over every partition, and moves on.
    pub fn receive(&mut self, stats: PartialStats) -> Result<()> {
        crate::cancel::check()?;
        match std::mem::replace(&mut self.phase, GmmPhase::Done) {
            GmmPhase::KMeans(mut driver) => {
                let received = driver.receive(stats);
                if let Err(e) = received {
                    self.phase = GmmPhase::KMeans(driver);
                    return Err(e);
                }
                self.phase = if driver.next_task().is_none() {
                    let kmeans: KMeans<f64> = driver.model()?;
                    GmmPhase::Hard {
                        centers: kmeans.cluster_centers().to_owned(),
                    }
                } else {
                    GmmPhase::KMeans(driver)
                };
            }
            GmmPhase::Hard { centers } => {
                let step = match self.gmm_step(stats) {
                    Ok(s) => s,
                    Err(e) => {
                        self.phase = GmmPhase::Hard { centers };
                        return Err(e);
                    }
                };
                self.check_rows(&step)?;
                let (weights, means, precisions_cholesky) =
                    initial_from_sums(&self.params, &step.sums(), &centers, step.total_weight())?;
                self.state = Some(MixtureState {
                    weights,
                    means,
                    covariances: None,
                    precisions_cholesky,
                });
                if self.params.max_iter() == 0 {
                    self.end_run()?;
                } else {
                    self.phase = GmmPhase::Em;
                }
            }
            GmmPhase::Em => {
                let step = match self.gmm_step(stats) {
                    Ok(s) => s,
                    Err(e) => {
                        self.phase = GmmPhase::Em;
                        return Err(e);
                    }
                };
                self.check_rows(&step)?;
                self.em_iteration(&step)?;
            }
            GmmPhase::Done => {
                return Err(Error::invalid_parameter(
                    "partial statistics",
                    stats.kind(),
                    "nothing: the distributed fit is done",
                ))
            }
        }
        Ok(())
    }

    fn em_iteration(&mut self, step: &GmmStep) -> Result<()> {
        let state = self
            .state
            .as_ref()
            .expect("EM runs only once the start is known");
        let kind = self.params.covariance_type();
        self.n_iter += 1;
        let previous = self.lower_bound;
        self.lower_bound = step.log_likelihood / step.total_weight();
        if !self.lower_bound.is_finite() {
            return Err(Error::Numerical {
                reason: format!(
                    "the log-likelihood became {} at EM iteration {} (covariance_type='{kind}', \
                     reg_covar={:e}); scale the data or increase reg_covar",
                    self.lower_bound,
                    self.n_iter,
                    self.params.reg_covar()
                ),
            });
        }
        let ((weights, means, precisions_cholesky), covariances) =
            m_step_from_sums(&step.sums(), &state.means, kind, self.params.reg_covar())?;
        self.state = Some(MixtureState {
            weights,
            means,
            covariances: Some(covariances),
            precisions_cholesky,
        });
        self.lower_bounds.push(self.lower_bound);
        if (self.lower_bound - previous).abs() < self.params.tol() {
            self.converged = true;
            self.end_run()?;
        } else if self.n_iter >= self.params.max_iter() {
            self.warnings.push(
                "Best performing initialization did not converge. Try different init parameters, \
                 or increase max_iter, tol, or check for degenerate data."
                    .to_string(),
            );
            self.end_run()?;
        } else {
            self.phase = GmmPhase::Em;
        }
        Ok(())
    }

    /// Keeps the finished run if its lower bound is the best so far; starts the next run or
    /// ends the fit with the best one.
    fn end_run(&mut self) -> Result<()> {
        self.phase = GmmPhase::Done;
        if self.n_runs <= 1 {
            return Ok(());
        }
        let better = self.best.as_ref().is_none_or(|best| {
            self.lower_bound > best.lower_bound || best.lower_bound == f64::NEG_INFINITY
        });
        self.run += 1;
        let finished = GmmDriver {
            best: None,
            ..self.clone()
        };
        let best = match self.best.take() {
            Some(best) if !better => best,
            _ => Box::new(finished),
        };
        if self.run < self.n_runs {
            self.best = Some(best);
            self.phase = kmeans_start(&self.params, self.float32, self.run)?;
            self.state = None;
            self.lower_bound = f64::NEG_INFINITY;
            self.lower_bounds.clear();
            self.n_iter = 0;
            self.converged = false;
            self.warnings.clear();
        } else {
            let run = self.run;
            *self = GmmDriver { run, ..*best };
        }
        Ok(())
    }

    /// Rows seen (after the first EM or start pass).
    pub fn n_rows(&self) -> u64 {
        self.n_rows
    }

    /// EM iterations so far.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The fitted mixture once [`Self::next_task`] is `None` (an error before).
    pub fn model<F: Float>(&self) -> Result<GaussianMixture<F>> {
        let (GmmPhase::Done, Some(state)) = (&self.phase, &self.state) else {
            return Err(Error::invalid_parameter(
                "distributed Gaussian mixture",
                "unfinished",
                "a driver whose next_task() is None",
            ));
        };
        let covariances = state
            .covariances
            .clone()
            .unwrap_or_else(|| covariances_of(&state.precisions_cholesky));
        Ok(GaussianMixture {
            weights: Array1::from(
                state
                    .weights
                    .iter()
                    .map(|&w| F::cast(w))
                    .collect::<Vec<_>>(),
            ),
            means: state.means.mapv(F::cast),
            covariances: covariances.map(F::cast),
            precisions_cholesky: state.precisions_cholesky.map(F::cast),
            lower_bound: F::cast(self.lower_bound),
            lower_bounds: self.lower_bounds.iter().map(|&v| F::cast(v)).collect(),
            n_iter: self.n_iter,
            converged: self.converged,
            warnings: self.warnings.clone(),
            model: None,
            starts: None,
        })
    }
}

/// The k-means|| start of run `run` (its seed derived from the mixture's `random_state`).
fn kmeans_start(
    params: &GaussianMixtureValidParams,
    float32: bool,
    run: usize,
) -> Result<GmmPhase> {
    let kmeans = KMeansParams::new(params.n_components())
        .n_init(1)
        .random_state(super::kmeans::run_seed(params.random_state(), run))
        .check()?;
    Ok(GmmPhase::KMeans(Box::new(KMeansDriver::new(
        kmeans, float32,
    )?)))
}

/// Fits a mixture on in-memory partitions with the driver an engine uses (partitions in order,
/// merged left to right): the reference for tests and for engines that hand over row blocks.
pub fn fit_mixture_partitions<F: Float>(
    driver: &mut GmmDriver,
    partitions: &[ArrayView2<F>],
) -> Result<GaussianMixture<F>> {
    super::drive(driver, partitions, None)?;
    driver.model()
}

impl super::Driver for GmmDriver {
    fn next_task(&self) -> Option<PartitionTask> {
        GmmDriver::next_task(self)
    }

    fn receive(&mut self, stats: PartialStats) -> Result<()> {
        GmmDriver::receive(self, stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::gmm::GaussianMixtureParams;
    use crate::partial::split_rows;
    use ndarray::{array, Array3};
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn blobs(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        Array2::from_shape_fn((n, d), |(i, f)| {
            1e3 + ((i % 3) as f64) * 4.0 * (f as f64 + 1.0) + rng.r#gen::<f64>() * (1.0 + f as f64)
        })
    }

    fn user_params(kind: CovarianceType, x: &Array2<f64>) -> GaussianMixtureParams {
        let d = x.ncols();
        let means = x.slice(ndarray::s![0..3, ..]).to_owned();
        let eye = |_: usize| Array2::<f64>::eye(d);
        let precisions = match kind {
            CovarianceType::Full => {
                Covariances::Full(Array3::from_shape_fn((3, d, d), |(_, a, b)| eye(0)[[a, b]]))
            }
            CovarianceType::Tied => Covariances::Tied(eye(0)),
            CovarianceType::Diag => Covariances::Diag(Array2::ones((3, d))),
            CovarianceType::Spherical => Covariances::Spherical(Array1::ones(3)),
        };
        GaussianMixtureParams::new(3)
            .covariance_type(kind)
            .weights_init(array![0.3, 0.3, 0.4])
            .means_init(means)
            .precisions_init(precisions)
    }

    #[test]
    fn same_fit_as_single_machine_from_the_same_start_for_every_covariance_type() {
        let x = blobs(3000, 3, 7);
        for kind in [
            CovarianceType::Full,
            CovarianceType::Tied,
            CovarianceType::Diag,
            CovarianceType::Spherical,
        ] {
            let params = user_params(kind, &x).check().unwrap();
            let single = params.fit(x.view(), None).unwrap();
            let mut driver = GmmDriver::new(params, false).unwrap();
            let parts = split_rows(x.view(), &[0, 1000, 1001, 2500]);
            let dist = fit_mixture_partitions(&mut driver, &parts).unwrap();
            assert_eq!(single.n_iter(), dist.n_iter(), "{kind}");
            assert_eq!(single.converged(), dist.converged());
            for (a, b) in single.means().iter().zip(dist.means()) {
                assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{kind}: {a} {b}");
            }
            for (a, b) in single.weights().iter().zip(dist.weights()) {
                assert!((a - b).abs() <= 1e-9, "{kind}: {a} {b}");
            }
            assert!((single.lower_bound() - dist.lower_bound()).abs() <= 1e-9);
            let (sa, sb) = (single.precisions(), dist.precisions());
            for (a, b) in sa.matrices().iter().zip(sb.matrices()) {
                for (u, v) in a.iter().zip(b.iter()) {
                    assert!((u - v).abs() <= 1e-6 * u.abs().max(1.0), "{kind}: {u} {v}");
                }
            }
        }
    }

    #[test]
    fn kmeans_start_reaches_the_single_machine_likelihood_and_is_deterministic() {
        let x = blobs(4000, 2, 3);
        let params = GaussianMixtureParams::new(3)
            .random_state(5)
            .check()
            .unwrap();
        let single = params.fit(x.view(), None).unwrap();
        let parts = split_rows(x.view(), &[1500, 3000]);
        let fit = || {
            let mut driver = GmmDriver::new(params.clone(), false).unwrap();
            fit_mixture_partitions(&mut driver, &parts).unwrap()
        };
        let (a, b) = (fit(), fit());
        assert_eq!(a, b);
        assert!(a.converged());
        let gap = (single.lower_bound() - a.lower_bound()).abs();
        assert!(gap <= 1e-3 * single.lower_bound().abs(), "{gap}");
    }

    #[test]
    fn sample_weights_as_on_one_machine_and_ones_change_no_bit() {
        let x = blobs(3000, 2, 5);
        let w = Array1::from_shape_fn(3000, |i| ((i * 3) % 4) as f64 * 0.5);
        let bounds = [1000, 2200];
        let parts = split_rows(x.view(), &bounds);
        let cut = |w: &Array1<f64>| -> Vec<Array1<f64>> {
            vec![
                w.slice(ndarray::s![..1000]).to_owned(),
                w.slice(ndarray::s![1000..2200]).to_owned(),
                w.slice(ndarray::s![2200..]).to_owned(),
            ]
        };
        let fit = |params: GaussianMixtureValidParams, w: Option<&[Array1<f64>]>| {
            let views: Option<Vec<ArrayView1<f64>>> =
                w.map(|w| w.iter().map(|a| a.view()).collect());
            let mut driver = GmmDriver::new(params, false).unwrap();
            crate::partial::drive(&mut driver, &parts, views.as_deref()).unwrap();
            driver.model::<f64>().unwrap()
        };
        for kind in [CovarianceType::Full, CovarianceType::Diag] {
            let params = user_params(kind, &x).check().unwrap();
            let single = params.fit(x.view(), Some(w.view())).unwrap();
            let dist = fit(params, Some(&cut(&w)));
            assert_eq!(single.n_iter(), dist.n_iter(), "{kind}");
            for (a, b) in single.means().iter().zip(dist.means()) {
                assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{kind}: {a} {b}");
            }
            assert!((single.lower_bound() - dist.lower_bound()).abs() <= 1e-9);
        }
        // All-ones weights: the bits of no weights, from the k-means|| start too.
        let params = GaussianMixtureParams::new(3)
            .covariance_type(CovarianceType::Diag)
            .random_state(4)
            .check()
            .unwrap();
        let ones = Array1::from_elem(3000, 1.0);
        assert_eq!(fit(params.clone(), Some(&cut(&ones))), fit(params, None));
    }

    #[test]
    fn several_starts_keep_the_highest_lower_bound() {
        let x = blobs(3000, 2, 4);
        let parts = split_rows(x.view(), &[1000, 2000]);
        let fit = |n_init: usize| {
            let params = GaussianMixtureParams::new(6)
                .covariance_type(CovarianceType::Diag)
                .n_init(n_init)
                .random_state(2)
                .check()
                .unwrap();
            let mut driver = GmmDriver::new(params, false).unwrap();
            fit_mixture_partitions(&mut driver, &parts).unwrap()
        };
        let runs: Vec<GaussianMixture<f64>> = (1..=3).map(fit).collect();
        for pair in runs.windows(2) {
            assert!(pair[1].lower_bound() >= pair[0].lower_bound());
        }
        assert_eq!(fit(3), runs[2], "deterministic");
    }

    #[test]
    fn bad_partitions_and_settings_are_errors() {
        let x = blobs(200, 2, 1);
        let params = GaussianMixtureParams::new(3)
            .random_state(0)
            .check()
            .unwrap();
        let mut bad = x.clone();
        bad[[150, 1]] = f64::NAN;
        let mut driver = GmmDriver::new(params.clone(), false).unwrap();
        let err = fit_mixture_partitions(&mut driver, &split_rows(bad.view(), &[100]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("partition 1"), "{err}");
        let random = GaussianMixtureParams::new(3)
            .init(GaussianMixtureInit::Random)
            .check()
            .unwrap();
        assert!(GmmDriver::new(random, false).is_err());
        let few = x.slice(ndarray::s![0..2, ..]).to_owned();
        let mut driver = GmmDriver::new(params, false).unwrap();
        assert!(fit_mixture_partitions(&mut driver, &[few.view()]).is_err());
        let f32_x = x.mapv(|v| v as f32);
        let params = user_params(CovarianceType::Diag, &x).check().unwrap();
        let mut driver = GmmDriver::new(params, true).unwrap();
        let model: GaussianMixture<f32> =
            fit_mixture_partitions(&mut driver, &split_rows(f32_x.view(), &[77])).unwrap();
        assert_eq!(model.n_components(), 3);
    }
}
