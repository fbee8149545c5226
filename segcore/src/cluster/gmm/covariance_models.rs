//! mclust's 14 covariance parameterisations (Banfield & Raftery 1993, Celeux & Govaert 1995):
//! each component's covariance is `Sigma_k = lambda_k D_k A_k D_k^T` with volume `lambda_k`,
//! shape `A_k` (diagonal, det 1) and orientation `D_k` (orthogonal), each Equal across components,
//! Varying, or the Identity. The names read volume, shape, orientation: `VEV` is varying volume,
//! equal shape, varying orientation.
//!
//! The M-step of every model is a function of the component sizes `n_k` and scatter matrices
//! `W_k = sum_i z_ik (x_i - mu_k)(x_i - mu_k)^T` only, so one fused EM pass (`kernel.rs`) serves
//! them all; [`m_step`] turns the sums into the covariances. Closed forms where mclust has them
//! (EII, VII, EEI, VVI, EVI, EEE, EEV, EVV, VVV); the iterative ones follow mclust's Fortran
//! (`msvei`, `msvev`, `msvee`, `mseve`, `msvve`): alternating volume / shape updates for VEI,
//! VEV and VEE, and the MM algorithm of Browne & McNicholas (2014) for the common orientation of
//! EVE and VVE, warm-started across EM iterations as mclust does, with mclust's inner tolerance
//! `sqrt(machine epsilon)` on the relative change.

use super::hyperparams::CovarianceType;
use super::linalg::{cholesky_lower, Covariances};
use crate::error::{Error, Result};
use crate::Float;
use linfa_linalg::eigh::{EigSort, Eigh};
use linfa_linalg::svd::SVDInto;
use ndarray::{Array1, Array2, Array3, Axis};
use serde::{Deserialize, Serialize};

/// One of mclust's 14 Gaussian mixture covariance models (volume, shape, orientation; `E`
/// equal, `V` varying, `I` identity).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MixtureModel {
    /// Spherical, equal volume.
    EII,
    /// Spherical, varying volume.
    VII,
    /// Diagonal, equal volume and shape.
    EEI,
    /// Diagonal, varying volume, equal shape.
    VEI,
    /// Diagonal, equal volume, varying shape.
    EVI,
    /// Diagonal, varying volume and shape.
    VVI,
    /// Ellipsoidal, equal volume, shape and orientation (one shared covariance).
    EEE,
    /// Ellipsoidal, varying volume, equal shape and orientation.
    VEE,
    /// Ellipsoidal, equal volume and orientation, varying shape.
    EVE,
    /// Ellipsoidal, varying volume and shape, equal orientation.
    VVE,
    /// Ellipsoidal, equal volume and shape, varying orientation.
    EEV,
    /// Ellipsoidal, varying volume and orientation, equal shape.
    VEV,
    /// Ellipsoidal, equal volume, varying shape and orientation.
    EVV,
    /// Ellipsoidal, varying volume, shape and orientation (unconstrained).
    VVV,
}

impl MixtureModel {
    /// All 14 models in mclust's order (`mclust.options("emModelNames")`).
    pub const ALL: [MixtureModel; 14] = [
        MixtureModel::EII,
        MixtureModel::VII,
        MixtureModel::EEI,
        MixtureModel::VEI,
        MixtureModel::EVI,
        MixtureModel::VVI,
        MixtureModel::EEE,
        MixtureModel::VEE,
        MixtureModel::EVE,
        MixtureModel::VVE,
        MixtureModel::EEV,
        MixtureModel::VEV,
        MixtureModel::EVV,
        MixtureModel::VVV,
    ];

    /// mclust's three-letter name.
    pub fn name(self) -> &'static str {
        match self {
            MixtureModel::EII => "EII",
            MixtureModel::VII => "VII",
            MixtureModel::EEI => "EEI",
            MixtureModel::VEI => "VEI",
            MixtureModel::EVI => "EVI",
            MixtureModel::VVI => "VVI",
            MixtureModel::EEE => "EEE",
            MixtureModel::VEE => "VEE",
            MixtureModel::EVE => "EVE",
            MixtureModel::VVE => "VVE",
            MixtureModel::EEV => "EEV",
            MixtureModel::VEV => "VEV",
            MixtureModel::EVV => "EVV",
            MixtureModel::VVV => "VVV",
        }
    }

    /// Parses mclust's name (exact, upper case).
    pub fn from_name(name: &str) -> Result<Self> {
        MixtureModel::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                Error::invalid_parameter(
                    "covariance_type",
                    format!("'{name}'"),
                    "one of mclust's models 'EII', 'VII', 'EEI', 'VEI', 'EVI', 'VVI', 'EEE', \
                     'VEE', 'EVE', 'VVE', 'EEV', 'VEV', 'EVV', 'VVV'",
                )
            })
    }

    /// Free covariance parameters for `k` components in `d` dimensions (mclust's
    /// `nVarParams`).
    pub fn n_covariance_parameters(self, k: usize, d: usize) -> usize {
        let rotation = d * d.saturating_sub(1) / 2;
        let shape = d.saturating_sub(1);
        match self {
            MixtureModel::EII => 1,
            MixtureModel::VII => k,
            MixtureModel::EEI => d,
            MixtureModel::VEI => k + shape,
            MixtureModel::EVI => 1 + k * shape,
            MixtureModel::VVI => k * d,
            MixtureModel::EEE => d * (d + 1) / 2,
            MixtureModel::VEE => k + shape + rotation,
            MixtureModel::EVE => 1 + k * shape + rotation,
            MixtureModel::VVE => k + k * shape + rotation,
            MixtureModel::EEV => 1 + shape + k * rotation,
            MixtureModel::VEV => k + shape + k * rotation,
            MixtureModel::EVV => 1 + k * (d * (d + 1) / 2 - 1),
            MixtureModel::VVV => k * d * (d + 1) / 2,
        }
    }

    /// Free parameters of the mixture (mclust's `nMclustParams`, unequal proportions):
    /// covariance + `k d` means + `k - 1` proportions.
    pub fn n_parameters(self, k: usize, d: usize) -> usize {
        self.n_covariance_parameters(k, d) + k * d + k - 1
    }

    /// The storage layout of the fitted covariances (and the EM kernel that serves the model):
    /// spherical for EII/VII, diagonal for the `..I` models, tied for EEE, full otherwise.
    pub fn layout(self) -> CovarianceType {
        match self {
            MixtureModel::EII | MixtureModel::VII => CovarianceType::Spherical,
            MixtureModel::EEI | MixtureModel::VEI | MixtureModel::EVI | MixtureModel::VVI => {
                CovarianceType::Diag
            }
            MixtureModel::EEE => CovarianceType::Tied,
            _ => CovarianceType::Full,
        }
    }
}

impl std::fmt::Display for MixtureModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A `covariance_type` name: one of scikit-learn's four types (scikit-learn's EM semantics, with
/// `reg_covar`) or one of mclust's 14 models (mclust's semantics, see
/// [`super::MixtureModelParams`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CovarianceChoice {
    /// `"full"`, `"tied"`, `"diag"` or `"spherical"`.
    ScikitLearn(CovarianceType),
    /// `"EII"` ... `"VVV"`.
    Mclust(MixtureModel),
}

impl CovarianceChoice {
    /// Parses either family's name; the error lists both.
    pub fn from_name(name: &str) -> Result<Self> {
        if let Ok(t) = CovarianceType::from_name(name) {
            return Ok(CovarianceChoice::ScikitLearn(t));
        }
        MixtureModel::from_name(name)
            .map(CovarianceChoice::Mclust)
            .map_err(|_| {
                Error::invalid_parameter(
                    "covariance_type",
                    format!("'{name}'"),
                    "one of 'full', 'tied', 'diag', 'spherical' or one of mclust's models 'EII', \
                     'VII', 'EEI', 'VEI', 'EVI', 'VVI', 'EEE', 'VEE', 'EVE', 'VVE', 'EEV', 'VEV', \
                     'EVV', 'VVV'",
                )
            })
    }

    /// The grid of a model selection: all names of one family (`"mclust"` alone stands for
    /// mclust's 14 models); mixing the families is an error, as their BICs use different
    /// estimators.
    pub fn grid(
        names: &[String],
    ) -> Result<std::result::Result<Vec<CovarianceType>, Vec<MixtureModel>>> {
        if names.len() == 1 && names[0] == "mclust" {
            return Ok(Err(MixtureModel::ALL.to_vec()));
        }
        let parsed = names
            .iter()
            .map(|n| CovarianceChoice::from_name(n))
            .collect::<Result<Vec<_>>>()?;
        let sklearn: Vec<CovarianceType> = parsed
            .iter()
            .filter_map(|c| match c {
                CovarianceChoice::ScikitLearn(t) => Some(*t),
                CovarianceChoice::Mclust(_) => None,
            })
            .collect();
        let mclust: Vec<MixtureModel> = parsed
            .iter()
            .filter_map(|c| match c {
                CovarianceChoice::Mclust(m) => Some(*m),
                CovarianceChoice::ScikitLearn(_) => None,
            })
            .collect();
        match (sklearn.is_empty(), mclust.is_empty()) {
            (_, true) => Ok(Ok(sklearn)),
            (true, false) => Ok(Err(mclust)),
            (false, false) => Err(Error::invalid_parameter(
                "covariance_types",
                format!("{names:?}"),
                "names of one family: scikit-learn's ('full', 'tied', 'diag', 'spherical') or \
                 mclust's ('EII' ... 'VVV', or 'mclust' for all 14)",
            )),
        }
    }
}

/// mclust's `sqrt(.Machine$double.eps)`: inner tolerance and singularity threshold.
pub(crate) const RTEPS: f64 = 1.490_116_119_384_765_6e-8;
/// Cap on the inner iterations of one iterative M-step (mclust's is unbounded; warm starts make
/// later M-steps take a handful).
const MAX_INNER: usize = 10_000;

/// Warm-start state of the iterative M-steps, kept across the EM iterations of one run (as
/// mclust keeps shape, scale and orientation between its M-steps).
#[derive(Debug, Clone, Default)]
pub(crate) struct MStepState {
    /// VEE: the volumes of the previous M-step.
    scale: Vec<f64>,
    /// VEI: the common shape of the previous M-step.
    shape: Vec<f64>,
    /// EVE/VVE: per component shape (k x d), and the common orientation transposed (`O = D^T`).
    shapes: Option<Array2<f64>>,
    orientation: Option<Array2<f64>>,
}

fn singular(model: MixtureModel, what: impl std::fmt::Display) -> Error {
    Error::Numerical {
        reason: format!(
            "the {model} mixture is singular: {what} (mclust reports such a cell as NA); \
             use fewer components, a more constrained model, or scale the data"
        ),
    }
}

fn geometric_mean(v: &[f64]) -> f64 {
    (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp()
}

fn diagonal(a: &Array2<f64>) -> Vec<f64> {
    a.diag().to_vec()
}

/// Eigenvalues (descending) and eigenvectors (columns) of a symmetric matrix.
fn eigh_desc(model: MixtureModel, a: &Array2<f64>) -> Result<(Array1<f64>, Array2<f64>)> {
    a.eigh()
        .map(|e| e.sort_eig_desc())
        .map_err(|e| singular(model, format!("eigendecomposition failed ({e})")))
}

/// `P R^T` of the SVD `F = P S R^T` of a square matrix (the orthogonal factor closest to F).
fn polar_factor(model: MixtureModel, f: Array2<f64>) -> Result<Array2<f64>> {
    let (u, _, vt) = f
        .svd_into(true, true)
        .map_err(|e| singular(model, format!("SVD failed ({e})")))?;
    let (u, vt) = (
        u.expect("svd_into(true, _) returns U"),
        vt.expect("svd_into(_, true) returns Vt"),
    );
    Ok(u.dot(&vt))
}

/// `O^T diag(a) O` (a covariance from orientation rows and a diagonal).
fn rotate(o: &Array2<f64>, a: &[f64]) -> Array2<f64> {
    let d = a.len();
    let scaled = Array2::from_shape_fn((d, d), |(j, c)| o[[j, c]] * a[j]);
    o.t().dot(&scaled)
}

/// The covariances (one d x d matrix per component) that maximise the expected complete-data
/// log-likelihood of `model` given the component sizes `n_k` and scatter matrices `W_k` (only the
/// diagonal of `W_k` is read for the diagonal and spherical models).
pub(crate) fn m_step(
    model: MixtureModel,
    sizes: &[f64],
    scatter: &[Array2<f64>],
    state: &mut MStepState,
) -> Result<Vec<Array2<f64>>> {
    let k = sizes.len();
    let d = scatter[0].nrows();
    let p = d as f64;
    let n: f64 = sizes.iter().sum();
    if let Some(c) = sizes.iter().position(|&s| s.is_nan() || s <= RTEPS) {
        return Err(singular(model, format!("component {c} became empty")));
    }
    let total = || scatter.iter().fold(Array2::zeros((d, d)), |a, w| a + w);
    let from_diag = |v: &[f64]| Array2::from_diag(&Array1::from(v.to_vec()));
    let positive = |v: &[f64], what: &str| -> Result<()> {
        if v.iter().all(|&x| x.is_finite() && x > 0.0) {
            Ok(())
        } else {
            Err(singular(model, format!("a {what} is zero")))
        }
    };
    let out: Vec<Array2<f64>> = match model {
        MixtureModel::EII => {
            let lambda = scatter.iter().map(|w| w.diag().sum()).sum::<f64>() / (n * p);
            vec![Array2::eye(d) * lambda; k]
        }
        MixtureModel::VII => scatter
            .iter()
            .zip(sizes)
            .map(|(w, &nk)| Array2::eye(d) * (w.diag().sum() / (nk * p)))
            .collect(),
        MixtureModel::EEI => {
            let b: Vec<f64> = diagonal(&total()).iter().map(|v| v / n).collect();
            vec![from_diag(&b); k]
        }
        MixtureModel::VVI => scatter
            .iter()
            .zip(sizes)
            .map(|(w, &nk)| from_diag(&w.diag().mapv(|v| v / nk).to_vec()))
            .collect(),
        MixtureModel::EVI => {
            let diags: Vec<Vec<f64>> = scatter.iter().map(diagonal).collect();
            for b in &diags {
                positive(b, "within-component variance")?;
            }
            let roots: Vec<f64> = diags.iter().map(|b| geometric_mean(b)).collect();
            let lambda = roots.iter().sum::<f64>() / n;
            diags
                .iter()
                .zip(&roots)
                .map(|(b, g)| from_diag(&b.iter().map(|v| lambda * v / g).collect::<Vec<_>>()))
                .collect()
        }
        MixtureModel::VEI => {
            let w: Vec<Vec<f64>> = scatter.iter().map(diagonal).collect();
            for b in &w {
                positive(b, "within-component variance")?;
            }
            let mut shape = if state.shape.len() == d {
                state.shape.clone()
            } else {
                vec![1.0; d]
            };
            let mut scale = vec![1.0; k];
            for _ in 0..MAX_INNER {
                let (old_scale, old_shape) = (scale.clone(), shape.clone());
                for c in 0..k {
                    scale[c] = (0..d).map(|j| w[c][j] / shape[j]).sum::<f64>() / (sizes[c] * p);
                }
                for j in 0..d {
                    shape[j] = (0..k).map(|c| w[c][j] / scale[c]).sum();
                }
                positive(&shape, "shape value")?;
                let g = geometric_mean(&shape);
                shape.iter_mut().for_each(|s| *s /= g);
                let err = old_scale
                    .iter()
                    .zip(&scale)
                    .chain(old_shape.iter().zip(&shape))
                    .map(|(o, v)| (o - v).abs() / (1.0 + v))
                    .fold(0.0, f64::max);
                if err <= RTEPS {
                    break;
                }
            }
            state.shape = shape.clone();
            scale
                .iter()
                .map(|&s| from_diag(&shape.iter().map(|a| s * a).collect::<Vec<_>>()))
                .collect()
        }
        MixtureModel::EEE => vec![total() / n; k],
        MixtureModel::VVV => scatter.iter().zip(sizes).map(|(w, &nk)| w / nk).collect(),
        MixtureModel::EEV | MixtureModel::VEV => {
            let mut values = Vec::with_capacity(k);
            let mut vectors = Vec::with_capacity(k);
            for w in scatter {
                let (vals, vecs) = eigh_desc(model, w)?;
                values.push(vals.to_vec());
                vectors.push(vecs);
            }
            let sum: Vec<f64> = (0..d).map(|j| values.iter().map(|v| v[j]).sum()).collect();
            positive(&sum, "pooled eigenvalue")?;
            if model == MixtureModel::EEV {
                let a: Vec<f64> = sum.iter().map(|v| v / n).collect();
                vectors
                    .iter()
                    .map(|dk| rotate(&dk.t().to_owned(), &a))
                    .collect()
            } else {
                let g = geometric_mean(&sum);
                let mut shape: Vec<f64> = sum.iter().map(|v| v / g).collect();
                let mut scale: Vec<f64> = sizes.iter().map(|nk| g / nk).collect();
                for _ in 0..MAX_INNER {
                    let (old_scale, old_shape) = (scale.clone(), shape.clone());
                    for c in 0..k {
                        scale[c] = (0..d).map(|j| values[c][j] / old_shape[j]).sum::<f64>()
                            / (sizes[c] * p);
                    }
                    positive(&scale, "volume")?;
                    for j in 0..d {
                        shape[j] = (0..k).map(|c| values[c][j] / scale[c]).sum();
                    }
                    positive(&shape, "shape value")?;
                    let g = geometric_mean(&shape);
                    shape.iter_mut().for_each(|s| *s /= g);
                    let err = old_shape
                        .iter()
                        .zip(&shape)
                        .chain(old_scale.iter().zip(&scale))
                        .map(|(o, v)| (o - v).abs() / (1.0 + v))
                        .fold(0.0, f64::max);
                    if err < RTEPS {
                        break;
                    }
                }
                vectors
                    .iter()
                    .zip(&scale)
                    .map(|(dk, &s)| {
                        let a: Vec<f64> = shape.iter().map(|v| v * s).collect();
                        rotate(&dk.t().to_owned(), &a)
                    })
                    .collect()
            }
        }
        MixtureModel::EVV => {
            let mut roots = Vec::with_capacity(k);
            for (c, w) in scatter.iter().enumerate() {
                let l = cholesky_lower(w)
                    .ok_or_else(|| singular(model, format!("the scatter of component {c}")))?;
                let log_det: f64 = (0..d).map(|i| 2.0 * l[[i, i]].ln()).sum();
                roots.push((log_det / p).exp());
            }
            let lambda = roots.iter().sum::<f64>() / n;
            scatter
                .iter()
                .zip(&roots)
                .map(|(w, g)| w * (lambda / g))
                .collect()
        }
        MixtureModel::VEE => {
            if state.scale.len() != k {
                state.scale = vec![1.0; k];
            }
            let mut scale = state.scale.clone();
            let mut c_matrix = Array2::<f64>::eye(d);
            let mut previous = f64::MAX / 2.0;
            for _ in 0..MAX_INNER {
                let mut cm = Array2::<f64>::zeros((d, d));
                for (w, s) in scatter.iter().zip(&scale) {
                    cm = cm + w / *s;
                }
                let l = cholesky_lower(&cm)
                    .ok_or_else(|| singular(model, "the common shape matrix"))?;
                let log_det: f64 = (0..d).map(|i| 2.0 * l[[i, i]].ln()).sum();
                cm /= (log_det / p).exp();
                let l = cholesky_lower(&cm)
                    .ok_or_else(|| singular(model, "the common shape matrix"))?;
                let li = super::linalg::lower_inverse(&l);
                let inverse = li.t().dot(&li);
                for c in 0..k {
                    scale[c] = (&scatter[c] * &inverse).sum() / (p * sizes[c]);
                }
                positive(&scale, "volume")?;
                c_matrix = cm;
                let target = n * p
                    + p * scale
                        .iter()
                        .zip(sizes)
                        .map(|(s, nk)| s.ln() * nk)
                        .sum::<f64>();
                let err = (target - previous).abs() / (1.0 + target.abs());
                previous = target;
                if err <= RTEPS {
                    break;
                }
            }
            state.scale = scale.clone();
            scale.iter().map(|&s| &c_matrix * s).collect()
        }
        MixtureModel::EVE | MixtureModel::VVE => {
            let mut omega = Vec::with_capacity(k);
            for w in scatter {
                let (vals, _) = eigh_desc(model, w)?;
                if vals[d - 1] < RTEPS {
                    return Err(singular(model, "a component's scatter matrix"));
                }
                omega.push(vals[0]);
            }
            let mut o = state.orientation.take().unwrap_or_else(|| Array2::eye(d));
            let mut shapes = state
                .shapes
                .take()
                .filter(|s| s.dim() == (k, d))
                .unwrap_or_else(|| Array2::ones((k, d)));
            let mut scale = vec![1.0; k];
            let mut previous = f64::MAX / 2.0;
            for _ in 0..MAX_INNER {
                // MM 1: the rows of O given the shapes.
                let mut f = Array2::<f64>::zeros((d, d));
                for c in 0..k {
                    let t1 = Array2::from_shape_fn((d, d), |(j, l)| o[[j, l]] / shapes[[c, j]]);
                    f = f + t1.dot(&scatter[c]) - &t1 * omega[c];
                }
                // The SVD gives D^T; MM 2 works on D.
                let dmat = polar_factor(model, f)?.reversed_axes();
                let mut f = Array2::<f64>::zeros((d, d));
                for c in 0..k {
                    let wd = scatter[c].dot(&dmat);
                    let inv_max = shapes.row(c).iter().map(|a| 1.0 / a).fold(0.0, f64::max);
                    let scaled =
                        Array2::from_shape_fn((d, d), |(i, j)| wd[[i, j]] / shapes[[c, j]]);
                    f = f + scaled - &wd * inv_max;
                }
                o = polar_factor(model, f)?.reversed_axes();
                let mut target = 0.0;
                for c in 0..k {
                    let projected = o.dot(&scatter[c]);
                    let mut a: Vec<f64> = (0..d).map(|j| projected.row(j).dot(&o.row(j))).collect();
                    if model == MixtureModel::VVE {
                        a.iter_mut().for_each(|v| *v /= sizes[c]);
                    }
                    positive(&a, "shape value")?;
                    let g = geometric_mean(&a);
                    if model == MixtureModel::VVE {
                        scale[c] = g;
                    }
                    a.iter_mut().for_each(|v| *v /= g);
                    if a.iter().any(|&v| v < RTEPS) {
                        return Err(singular(model, "a shape value"));
                    }
                    target += (0..d)
                        .map(|j| projected.row(j).dot(&o.row(j)) / a[j])
                        .sum::<f64>();
                    shapes.row_mut(c).assign(&Array1::from(a));
                }
                let err = (target - previous).abs() / (1.0 + target.abs());
                previous = target;
                if err <= RTEPS {
                    break;
                }
            }
            if model == MixtureModel::EVE {
                scale = vec![previous / (n * p); k];
            }
            let out = (0..k)
                .map(|c| {
                    let a: Vec<f64> = shapes.row(c).iter().map(|v| v * scale[c]).collect();
                    rotate(&o, &a)
                })
                .collect();
            state.orientation = Some(o);
            state.shapes = Some(shapes);
            out
        }
    };
    check_covariances(model, out)
}

/// mclust's singularity test on each covariance's Cholesky factor: the smallest pivot relative
/// to one plus the largest must exceed `sqrt(machine epsilon)`.
pub(crate) fn check_covariances(
    model: MixtureModel,
    out: Vec<Array2<f64>>,
) -> Result<Vec<Array2<f64>>> {
    for (c, sigma) in out.iter().enumerate() {
        let l = cholesky_lower(sigma)
            .ok_or_else(|| singular(model, format!("the covariance of component {c}")))?;
        let pivots = l.diag();
        let (lo, hi) = pivots
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let ratio = lo / (1.0 + hi);
        if ratio.is_nan() || ratio <= RTEPS {
            return Err(singular(
                model,
                format!("the covariance of component {c} is near singular"),
            ));
        }
    }
    Ok(out)
}

/// The covariances in the storage layout of `model` (see [`MixtureModel::layout`]).
pub(crate) fn to_layout<F: Float>(model: MixtureModel, sigmas: &[Array2<f64>]) -> Covariances<F> {
    let k = sigmas.len();
    let d = sigmas[0].nrows();
    match model.layout() {
        CovarianceType::Spherical => {
            Covariances::Spherical(sigmas.iter().map(|s| F::cast(s[[0, 0]])).collect())
        }
        CovarianceType::Diag => Covariances::Diag(Array2::from_shape_fn((k, d), |(c, j)| {
            F::cast(sigmas[c][[j, j]])
        })),
        CovarianceType::Tied => Covariances::Tied(sigmas[0].mapv(F::cast)),
        CovarianceType::Full => {
            let mut out = Array3::<F>::zeros((k, d, d));
            for (c, s) in sigmas.iter().enumerate() {
                out.index_axis_mut(Axis(0), c).assign(&s.mapv(F::cast));
            }
            Covariances::Full(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn scatters() -> (Vec<f64>, Vec<Array2<f64>>) {
        let w1 = array![[4.0, 1.0, 0.2], [1.0, 3.0, 0.5], [0.2, 0.5, 2.0]] * 10.0;
        let w2 = array![[2.0, -0.4, 0.1], [-0.4, 5.0, 0.3], [0.1, 0.3, 1.0]] * 20.0;
        (vec![10.0, 20.0], vec![w1, w2])
    }

    /// The M-step objective `sum_k n_k ln det Sigma_k + tr(W_k Sigma_k^{-1})` (lower is better).
    fn objective(sizes: &[f64], w: &[Array2<f64>], sigmas: &[Array2<f64>]) -> f64 {
        sizes
            .iter()
            .zip(w)
            .zip(sigmas)
            .map(|((nk, wk), s)| {
                let l = cholesky_lower(s).unwrap();
                let li = super::super::linalg::lower_inverse(&l);
                let inv = li.t().dot(&li);
                let log_det: f64 = (0..s.nrows()).map(|i| 2.0 * l[[i, i]].ln()).sum();
                nk * log_det + (wk * &inv).sum()
            })
            .sum()
    }

    #[test]
    fn parameter_counts_are_mclusts() {
        // mclust: nVarParams(model, d = 6, G = 3), checked by hand against its table.
        let expected = [
            ("EII", 1),
            ("VII", 3),
            ("EEI", 6),
            ("VEI", 8),
            ("EVI", 16),
            ("VVI", 18),
            ("EEE", 21),
            ("VEE", 23),
            ("EVE", 31),
            ("VVE", 33),
            ("EEV", 51),
            ("VEV", 53),
            ("EVV", 61),
            ("VVV", 63),
        ];
        for (name, count) in expected {
            let m = MixtureModel::from_name(name).unwrap();
            assert_eq!(m.n_covariance_parameters(3, 6), count, "{name}");
            assert_eq!(m.n_parameters(3, 6), count + 18 + 2);
            assert_eq!(m.to_string(), name);
        }
        assert!(MixtureModel::from_name("vvv").is_err());
    }

    #[test]
    fn every_m_step_beats_its_nested_models_and_keeps_its_constraints() {
        let (sizes, w) = scatters();
        let mut fits = std::collections::HashMap::new();
        for model in MixtureModel::ALL {
            let sig = m_step(model, &sizes, &w, &mut MStepState::default()).unwrap();
            fits.insert(model.name(), objective(&sizes, &w, &sig));
            let det = |s: &Array2<f64>| {
                let l = cholesky_lower(s).unwrap();
                (0..3).map(|i| l[[i, i]].powi(2)).product::<f64>()
            };
            let name = model.name().as_bytes();
            if name[0] == b'E' {
                assert!((det(&sig[0]) / det(&sig[1]) - 1.0).abs() < 1e-6, "{model}");
            }
            if name[2] == b'I' {
                assert!(sig.iter().all(|s| s[[0, 1]] == 0.0), "{model}");
            }
        }
        // A model that relaxes a constraint fits at least as well (within the inner tolerance).
        let nested = [
            ("EII", "VII"),
            ("EII", "EEI"),
            ("EEI", "VEI"),
            ("EEI", "EVI"),
            ("VEI", "VVI"),
            ("EVI", "VVI"),
            ("EEI", "EEE"),
            ("EEE", "VEE"),
            ("EEE", "EVE"),
            ("VEE", "VVE"),
            ("EVE", "VVE"),
            ("EEE", "EEV"),
            ("EEV", "VEV"),
            ("EEV", "EVV"),
            ("VEV", "VVV"),
            ("EVV", "VVV"),
            ("VVE", "VVV"),
            ("VVI", "VVV"),
        ];
        for (a, b) in nested {
            assert!(
                fits[b] <= fits[a] + 1e-6,
                "{b} {} vs {a} {}",
                fits[b],
                fits[a]
            );
        }
    }

    #[test]
    fn closed_forms_on_a_known_case() {
        let (sizes, w) = scatters();
        let vvv = m_step(MixtureModel::VVV, &sizes, &w, &mut MStepState::default()).unwrap();
        assert!((vvv[0][[0, 1]] - 1.0).abs() < 1e-12 && (vvv[1][[1, 1]] - 5.0).abs() < 1e-12);
        let eee = m_step(MixtureModel::EEE, &sizes, &w, &mut MStepState::default()).unwrap();
        assert!((eee[0][[0, 0]] - (40.0 + 40.0) / 30.0).abs() < 1e-12);
        let eii = m_step(MixtureModel::EII, &sizes, &w, &mut MStepState::default()).unwrap();
        assert!((eii[1][[2, 2]] - (90.0 + 160.0) / 90.0).abs() < 1e-12);
    }

    #[test]
    fn empty_components_and_singular_scatter_are_errors() {
        let (_, w) = scatters();
        let err = m_step(
            MixtureModel::VVV,
            &[10.0, 0.0],
            &w,
            &mut MStepState::default(),
        );
        assert!(matches!(err, Err(Error::Numerical { .. })));
        let flat = vec![Array2::<f64>::zeros((3, 3)); 2];
        for model in MixtureModel::ALL {
            assert!(
                m_step(model, &[5.0, 5.0], &flat, &mut MStepState::default()).is_err(),
                "{model}"
            );
        }
    }

    #[test]
    fn names_of_both_families_parse() {
        assert_eq!(
            CovarianceChoice::from_name("tied").unwrap(),
            CovarianceChoice::ScikitLearn(CovarianceType::Tied)
        );
        assert_eq!(
            CovarianceChoice::from_name("VEV").unwrap(),
            CovarianceChoice::Mclust(MixtureModel::VEV)
        );
        let err = CovarianceChoice::from_name("banana")
            .unwrap_err()
            .to_string();
        assert!(err.contains("'full'") && err.contains("'VVV'"), "{err}");
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            CovarianceChoice::grid(&names(&["mclust"])).unwrap(),
            Err(MixtureModel::ALL.to_vec())
        );
        assert_eq!(
            CovarianceChoice::grid(&names(&["full", "diag"])).unwrap(),
            Ok(vec![CovarianceType::Full, CovarianceType::Diag])
        );
        assert!(CovarianceChoice::grid(&names(&["full", "VVV"])).is_err());
    }

    #[test]
    fn models_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MixtureModel>();
        assert_send_sync::<MStepState>();
    }
}
