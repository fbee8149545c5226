//! mclust's conjugate prior (`priorControl()` with `defaultPrior`, Fraley & Raftery 2007): a
//! normal prior on each mean and an inverse-gamma / inverse-Wishart prior on the covariances,
//! whose posterior mode replaces the maximum-likelihood M-step. It keeps small segments and
//! near-singular covariances away from the degenerate optima the plain M-step runs into.
//!
//! Hyperparameters as mclust's `defaultPrior(data, G, modelName)`, for `k` components in `d`
//! dimensions: shrinkage `kappa = 0.01`, prior mean the column means, `dof = d + 2`, and the
//! scale `var(X) / k^(2/d)` (R's `var`, denominator `n - 1`): the full matrix for the ellipsoidal
//! models (its diagonal when `n <= d`), `trace(var(X)) / d / k^(2/d)` for the diagonal and
//! spherical ones.
//!
//! The M-step follows mclust's Fortran (`me*p`) model by model, including its particular
//! denominators, so a fit reproduces `me(..., prior = priorControl())`: with `n_k` the component
//! size, `xbar_k` its mean, `W_k` its scatter, `c_k = kappa n_k / (n_k + kappa)`, `delta_k =
//! xbar_k - mean` and `B_k = W_k + c_k delta_k delta_k^T`, each model's covariances are its
//! maximum-likelihood form of `scale + B_k` over a count inflated by the prior's degrees of
//! freedom, and the means are shrunk, `(n_k xbar_k + kappa mean) / (n_k + kappa)` (mclust leaves
//! the EEI means unshrunk, and so do we). mclust has no prior for VEE, EVE, VVE and EVV with
//! more than one component; those are refused with a clear error (mclust's NA). With one
//! component every model is mclust's `mvn` with the prior (`mvnXII`, `mvnXXI`, `mvnXXX`).
//!
//! The reported log-likelihood stays the data's (mclust's `loglik`), and so does the BIC.

use super::covariance_models::{check_covariances, m_step, MStepState, MixtureModel};
use super::hyperparams::CovarianceType;
use crate::error::{Error, Result};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// mclust's conjugate prior (`priorControl()`); [`MixturePrior::default`] is mclust's
/// `defaultPrior`: shrinkage 0.01, prior mean the column means, `dof = d + 2`, scale
/// `var(X) / k^(2/d)`.
///
/// ```
/// use ndarray::Array2;
/// use segcore::cluster::gmm::{MixtureModel, MixtureModelParams, MixturePrior};
///
/// // Six customers in three dimensions: no segment of a two-segment fit has the four rows a
/// // 3 x 3 covariance needs, so VVV without a prior is singular.
/// let x = Array2::from_shape_vec((6, 3), vec![
///     0.0, 0.0, 0.0, 1.0, 0.5, 0.0, 0.0, 1.0, 0.5, 10.0, 0.0, 0.0, 11.0, 1.0, 0.5, 10.0, 1.0, 1.0,
/// ])?;
/// assert!(MixtureModelParams::new(2, MixtureModel::VVV).fit(x.view(), None).is_err());
/// let fit = MixtureModelParams::new(2, MixtureModel::VVV)
///     .prior(Some(MixturePrior::default()))
///     .fit(x.view(), None)?;
/// assert_eq!(fit.n_components(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MixturePrior {
    /// Shrinkage `kappa` of the means towards the prior mean (mclust's `shrinkage`; 0 leaves
    /// the means unshrunk).
    pub shrinkage: f64,
    /// Degrees of freedom of the covariance prior; `None` is mclust's `d + 2`.
    pub dof: Option<f64>,
}

impl Default for MixturePrior {
    fn default() -> Self {
        MixturePrior {
            shrinkage: 0.01,
            dof: None,
        }
    }
}

impl MixturePrior {
    /// Checks the hyperparameters on their own.
    pub fn check(&self) -> Result<()> {
        if !(self.shrinkage.is_finite() && self.shrinkage >= 0.0) {
            return Err(Error::invalid_parameter(
                "prior.shrinkage",
                self.shrinkage,
                "a finite number >= 0",
            ));
        }
        if let Some(dof) = self.dof {
            if !(dof.is_finite() && dof > 0.0) {
                return Err(Error::invalid_parameter(
                    "prior.dof",
                    dof,
                    "a finite number > 0",
                ));
            }
        }
        Ok(())
    }

    /// Whether mclust defines this prior for `model` with `k` components.
    pub fn supports(model: MixtureModel, k: usize) -> bool {
        k == 1
            || !matches!(
                model,
                MixtureModel::VEE | MixtureModel::EVE | MixtureModel::VVE | MixtureModel::EVV
            )
    }
}

/// Column means and covariance of the data (sample-weighted; denominator `n - 1` as R's
/// `var`), from which the prior's mean and scale are set.
#[derive(Debug, Clone)]
pub(crate) struct DataMoments {
    pub mean: Vec<f64>,
    pub covariance: Array2<f64>,
    pub n: f64,
}

/// The prior's hyperparameters for one (model, k) cell.
#[derive(Debug, Clone)]
pub(crate) struct PriorTerms {
    shrinkage: f64,
    mean: Vec<f64>,
    dof: f64,
    /// `trace(var) / d / k^(2/d)` (diagonal and spherical models).
    scale: f64,
    /// `var / k^(2/d)` (ellipsoidal models).
    scale_matrix: Array2<f64>,
}

impl PriorTerms {
    /// The error for a (model, k) without mclust's prior.
    pub(crate) fn check_supported(model: MixtureModel, k: usize) -> Result<()> {
        if MixturePrior::supports(model, k) {
            return Ok(());
        }
        Err(Error::invalid_parameter(
            "prior",
            format!("a prior with the {model} model and {k} components"),
            "no prior with VEE, EVE, VVE or EVV for more than one component (mclust defines \
             none): use prior=None or another model",
        ))
    }

    /// mclust's `defaultPrior(data, G = k, modelName = model)` with the user's overrides.
    pub(crate) fn new(
        prior: &MixturePrior,
        model: MixtureModel,
        k: usize,
        moments: &DataMoments,
    ) -> Result<Self> {
        Self::check_supported(model, k)?;
        let d = moments.mean.len();
        let p = d as f64;
        let factor = (1.0 / k as f64).powf(2.0 / p);
        let variances = moments.covariance.diag().to_vec();
        let scale = factor * variances.iter().sum::<f64>() / p;
        let scale_matrix = if moments.n > p {
            &moments.covariance * factor
        } else {
            Array2::from_diag(&Array1::from(variances)) * factor
        };
        Ok(PriorTerms {
            shrinkage: prior.shrinkage,
            mean: moments.mean.clone(),
            dof: prior.dof.unwrap_or(p + 2.0),
            scale,
            scale_matrix,
        })
    }

    /// Posterior means: `(n_k xbar_k + kappa mean) / (n_k + kappa)` (the EEI means with more
    /// than one component stay `xbar_k`, as in mclust).
    pub(crate) fn shrink_means(&self, model: MixtureModel, sizes: &[f64], xbar: &mut Array2<f64>) {
        if model == MixtureModel::EEI && sizes.len() > 1 {
            return;
        }
        let kappa = self.shrinkage;
        for (c, &nk) in sizes.iter().enumerate() {
            for (f, m) in self.mean.iter().enumerate() {
                xbar[[c, f]] = (nk * xbar[[c, f]] + kappa * m) / (nk + kappa);
            }
        }
    }

    /// The posterior-mode covariances of `model` given the component sizes, the unshrunk means
    /// `xbar` and the scatter matrices around them (only their diagonals are read for the
    /// diagonal and spherical models), following mclust's `me*p` / `mnx**p`.
    pub(crate) fn m_step(
        &self,
        model: MixtureModel,
        sizes: &[f64],
        xbar: &Array2<f64>,
        scatter: &[Array2<f64>],
        state: &mut MStepState,
    ) -> Result<Vec<Array2<f64>>> {
        let k = sizes.len();
        let d = xbar.ncols();
        let p = d as f64;
        let (kappa, nu) = (self.shrinkage, self.dof);
        let delta = if kappa > 0.0 { 1.0 } else { 0.0 };
        let n: f64 = sizes.iter().sum();
        // B_k = W_k + c_k (xbar_k - mean)(xbar_k - mean)^T.
        let b: Vec<Array2<f64>> = scatter
            .iter()
            .enumerate()
            .map(|(c, w)| {
                let ck = kappa * sizes[c] / (sizes[c] + kappa);
                let dv: Vec<f64> = (0..d).map(|f| xbar[[c, f]] - self.mean[f]).collect();
                Array2::from_shape_fn((d, d), |(i, j)| w[[i, j]] + ck * dv[i] * dv[j])
            })
            .collect();
        let diag = |m: &Array2<f64>| m.diag().to_vec();
        let from_diag = |v: Vec<f64>| Array2::from_diag(&Array1::from(v));
        let s = self.scale;
        let layout = model.layout();
        let out: Vec<Array2<f64>> = if k == 1 {
            // mclust's mvn with the prior: XII, XXI or XXX.
            match layout {
                CovarianceType::Spherical => {
                    let v = (s + b[0].diag().sum()) / (nu + n * p + 2.0 + delta * p);
                    vec![Array2::eye(d) * v]
                }
                CovarianceType::Diag => {
                    let den = nu + n + 2.0 + delta;
                    vec![from_diag(
                        diag(&b[0]).iter().map(|v| (s + v) / den).collect(),
                    )]
                }
                _ => vec![(&self.scale_matrix + &b[0]) / (nu + n + p + 1.0 + delta)],
            }
        } else {
            match model {
                MixtureModel::EII => {
                    let v = b.iter().map(|m| m.diag().sum()).sum::<f64>()
                        / (nu + (n + k as f64) * p + 2.0);
                    vec![Array2::eye(d) * v; k]
                }
                MixtureModel::VII => b
                    .iter()
                    .zip(sizes)
                    .map(|(m, &nk)| {
                        Array2::eye(d) * ((s + m.diag().sum()) / (nu + nk * p + 2.0 + delta * p))
                    })
                    .collect(),
                MixtureModel::EEI => {
                    let den = nu + 1.0 + delta + n;
                    let v: Vec<f64> = (0..d)
                        .map(|j| (s + b.iter().map(|m| m[[j, j]]).sum::<f64>()) / den)
                        .collect();
                    vec![from_diag(v); k]
                }
                MixtureModel::VVI => b
                    .iter()
                    .zip(sizes)
                    .map(|(m, &nk)| {
                        let den = nk + nu + 2.0 + delta;
                        from_diag(diag(m).iter().map(|v| (s + v) / den).collect())
                    })
                    .collect(),
                MixtureModel::EVI => {
                    let shapes: Vec<Vec<f64>> = b
                        .iter()
                        .map(|m| diag(m).iter().map(|v| s + v).collect())
                        .collect();
                    let roots: Vec<f64> = shapes
                        .iter()
                        .map(|v| (v.iter().map(|x| x.ln()).sum::<f64>() / p).exp())
                        .collect();
                    let lambda = roots.iter().sum::<f64>() / (nu + 1.0 + delta + n);
                    shapes
                        .into_iter()
                        .zip(&roots)
                        .map(|(v, g)| from_diag(v.iter().map(|x| lambda * x / g).collect()))
                        .collect()
                }
                MixtureModel::VEI => {
                    // mclust's VEI inner loop with the volume denominators n_k d + nu + 2 + delta:
                    // the plain M-step on `s + B_k` with sizes (n_k d + nu + 2 + delta) / d.
                    let shifted: Vec<Array2<f64>> = b
                        .iter()
                        .map(|m| from_diag(diag(m).iter().map(|v| s + v).collect()))
                        .collect();
                    let counts: Vec<f64> = sizes
                        .iter()
                        .map(|nk| (nk * p + nu + 2.0 + delta) / p)
                        .collect();
                    return m_step(model, &counts, &shifted, state);
                }
                MixtureModel::EEE => {
                    let total = b.iter().fold(self.scale_matrix.clone(), |a, m| a + m);
                    vec![total / (nu + p + 1.0 + delta * k as f64 + n); k]
                }
                MixtureModel::VVV => b
                    .iter()
                    .zip(sizes)
                    .map(|(m, &nk)| (&self.scale_matrix + m) / (nu + nk + p + 2.0))
                    .collect(),
                MixtureModel::EEV => {
                    // The plain EEV M-step divides the pooled eigenvalues by n; mclust's prior
                    // divides by n + nu + d + 1 + delta.
                    let shifted: Vec<Array2<f64>> =
                        b.iter().map(|m| &self.scale_matrix + m).collect();
                    let factor = n / (nu + p + 1.0 + delta + n);
                    return m_step(model, sizes, &shifted, state)
                        .map(|v| v.into_iter().map(|m| m * factor).collect());
                }
                MixtureModel::VEV => {
                    let shifted: Vec<Array2<f64>> =
                        b.iter().map(|m| &self.scale_matrix + m).collect();
                    return m_step(model, sizes, &shifted, state);
                }
                MixtureModel::VEE | MixtureModel::EVE | MixtureModel::VVE | MixtureModel::EVV => {
                    unreachable!("refused by PriorTerms::new")
                }
            }
        };
        check_covariances(model, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn moments() -> DataMoments {
        DataMoments {
            mean: vec![1.0, 2.0],
            covariance: array![[4.0, 1.0], [1.0, 9.0]],
            n: 50.0,
        }
    }

    #[test]
    fn default_hyperparameters_are_mclusts() {
        let t =
            PriorTerms::new(&MixturePrior::default(), MixtureModel::VVV, 4, &moments()).unwrap();
        // (1/4)^(2/2) = 1/4.
        assert_eq!(t.scale_matrix, array![[1.0, 0.25], [0.25, 2.25]]);
        assert!((t.scale - 13.0 / 2.0 / 4.0).abs() < 1e-15);
        assert_eq!(t.dof, 4.0);
        assert_eq!(t.shrinkage, 0.01);
        assert!(
            PriorTerms::new(&MixturePrior::default(), MixtureModel::EVE, 2, &moments()).is_err()
        );
        assert!(
            PriorTerms::new(&MixturePrior::default(), MixtureModel::EVE, 1, &moments()).is_ok()
        );
        assert!(MixturePrior {
            shrinkage: -1.0,
            dof: None
        }
        .check()
        .is_err());
        assert!(MixturePrior {
            shrinkage: 0.0,
            dof: Some(0.0)
        }
        .check()
        .is_err());
    }

    #[test]
    fn posterior_covariance_of_vvv_and_the_shrunk_means() {
        let t =
            PriorTerms::new(&MixturePrior::default(), MixtureModel::VVV, 2, &moments()).unwrap();
        let sizes = [10.0, 40.0];
        let mut xbar = array![[0.0, 0.0], [2.0, 3.0]];
        let w = vec![
            array![[5.0, 0.0], [0.0, 5.0]],
            array![[20.0, 2.0], [2.0, 30.0]],
        ];
        let sig = t
            .m_step(
                MixtureModel::VVV,
                &sizes,
                &xbar,
                &w,
                &mut MStepState::default(),
            )
            .unwrap();
        let c0 = 0.01 * 10.0 / 10.01;
        let expected00 = (4.0 / 2.0 + 5.0 + c0 * 1.0) / (4.0 + 10.0 + 2.0 + 2.0);
        assert!((sig[0][[0, 0]] - expected00).abs() < 1e-12);
        t.shrink_means(MixtureModel::VVV, &sizes, &mut xbar);
        assert!((xbar[[0, 1]] - 0.01 * 2.0 / 10.01).abs() < 1e-15);
    }
}
