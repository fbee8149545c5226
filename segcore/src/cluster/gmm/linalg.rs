//! Covariance containers and the small d x d linear algebra of the mixture: Cholesky factors,
//! precision Cholesky factors, log-determinants. Matrices are at most n_features x n_features, so
//! this is written out directly (in f64 whatever the data type, for accuracy).

use super::hyperparams::CovarianceType;
use crate::error::{Error, Result};
use crate::Float;
use ndarray::{Array1, Array2, Array3, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Covariances, precisions or precision Cholesky factors of the components, laid out as in
/// scikit-learn for each covariance type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Covariances<F> {
    /// One matrix per component: n_components x n_features x n_features.
    Full(Array3<F>),
    /// One matrix shared by all components: n_features x n_features.
    Tied(Array2<F>),
    /// One diagonal per component: n_components x n_features.
    Diag(Array2<F>),
    /// One variance (or precision) per component: n_components.
    Spherical(Array1<F>),
}

impl<F: Copy> Covariances<F> {
    /// The covariance type this layout belongs to.
    pub fn covariance_type(&self) -> CovarianceType {
        match self {
            Covariances::Full(_) => CovarianceType::Full,
            Covariances::Tied(_) => CovarianceType::Tied,
            Covariances::Diag(_) => CovarianceType::Diag,
            Covariances::Spherical(_) => CovarianceType::Spherical,
        }
    }

    /// The d x d matrices (one per component for full, one for tied; none otherwise).
    pub(crate) fn matrices(&self) -> Vec<ArrayView2<'_, F>> {
        match self {
            Covariances::Full(a) => a.outer_iter().collect(),
            Covariances::Tied(a) => vec![a.view()],
            _ => Vec::new(),
        }
    }

    /// Number of features, if the layout says it (spherical does not).
    pub(crate) fn n_features(&self) -> Option<usize> {
        match self {
            Covariances::Full(a) => Some(a.shape()[2]),
            Covariances::Tied(a) => Some(a.ncols()),
            Covariances::Diag(a) => Some(a.ncols()),
            Covariances::Spherical(_) => None,
        }
    }

    /// Element-wise conversion (e.g. to another float type), keeping the layout.
    pub fn map<G>(&self, f: impl Fn(F) -> G) -> Covariances<G> {
        match self {
            Covariances::Full(a) => Covariances::Full(a.mapv(&f)),
            Covariances::Tied(a) => Covariances::Tied(a.mapv(&f)),
            Covariances::Diag(a) => Covariances::Diag(a.mapv(&f)),
            Covariances::Spherical(a) => Covariances::Spherical(a.mapv(&f)),
        }
    }
}

/// Lower Cholesky factor of a symmetric matrix, or `None` if it is not (numerically) positive
/// definite. Reads the lower triangle only.
pub(crate) fn cholesky_lower(a: &Array2<f64>) -> Option<Array2<f64>> {
    let d = a.nrows();
    let mut l = Array2::<f64>::zeros((d, d));
    for j in 0..d {
        let mut diag = a[[j, j]];
        for p in 0..j {
            diag -= l[[j, p]] * l[[j, p]];
        }
        if !(diag.is_finite() && diag > 0.0) {
            return None;
        }
        let pivot = diag.sqrt();
        l[[j, j]] = pivot;
        for i in j + 1..d {
            let mut s = a[[i, j]];
            for p in 0..j {
                s -= l[[i, p]] * l[[j, p]];
            }
            l[[i, j]] = s / pivot;
        }
    }
    Some(l)
}

/// Inverse of a lower-triangular matrix with a positive diagonal (forward substitution).
pub(crate) fn lower_inverse(l: &Array2<f64>) -> Array2<f64> {
    let d = l.nrows();
    let mut inv = Array2::<f64>::zeros((d, d));
    for c in 0..d {
        inv[[c, c]] = 1.0 / l[[c, c]];
        for i in c + 1..d {
            let mut s = 0.0;
            for p in c..i {
                s -= l[[i, p]] * inv[[p, c]];
            }
            inv[[i, c]] = s / l[[i, i]];
        }
    }
    inv
}

/// The error of a covariance that is not positive definite, with what to try instead.
pub(crate) fn singular_covariance(
    kind: CovarianceType,
    component: Option<usize>,
    reg_covar: f64,
) -> Error {
    let which = match component {
        Some(c) => format!("component {c}"),
        None => "the shared covariance".to_string(),
    };
    Error::Numerical {
        reason: format!(
            "the covariance of {which} is not positive definite (covariance_type='{kind}', \
             reg_covar={reg_covar:e}); a component collapsed onto too few distinct points or a \
             column is constant. Increase reg_covar, use fewer components, scale the data, or \
             use covariance_type='diag' or 'spherical'"
        ),
    }
}

fn to_f64<F: Float>(a: ArrayView2<F>) -> Array2<f64> {
    a.mapv(|v| v.to_f64().unwrap_or(f64::NAN))
}

fn from_f64<F: Float>(a: Array2<f64>) -> Array2<F> {
    a.mapv(F::cast)
}

/// Precision Cholesky factors (scikit-learn's `_compute_precision_cholesky`): for a covariance
/// `C = L L^T`, the upper-triangular `U = L^{-T}` with `U U^T = C^{-1}`; `1 / sqrt(var)` for diag
/// and spherical.
pub(crate) fn precision_cholesky_from_covariances<F: Float>(
    covariances: &Covariances<F>,
    reg_covar: f64,
) -> Result<Covariances<F>> {
    let kind = covariances.covariance_type();
    let factor = |m: ArrayView2<F>, component: Option<usize>| -> Result<Array2<F>> {
        let l = cholesky_lower(&to_f64(m))
            .ok_or_else(|| singular_covariance(kind, component, reg_covar))?;
        Ok(from_f64(lower_inverse(&l).reversed_axes()))
    };
    let positive_root = |v: F, component: usize| -> Result<F> {
        if v.is_finite() && v > F::zero() {
            Ok(F::one() / v.sqrt())
        } else {
            Err(singular_covariance(kind, Some(component), reg_covar))
        }
    };
    Ok(match covariances {
        Covariances::Full(a) => {
            let mut out = Array3::<F>::zeros(a.dim());
            for (c, m) in a.outer_iter().enumerate() {
                out.index_axis_mut(Axis(0), c).assign(&factor(m, Some(c))?);
            }
            Covariances::Full(out)
        }
        Covariances::Tied(a) => Covariances::Tied(factor(a.view(), None)?),
        Covariances::Diag(a) => {
            let mut out = a.clone();
            for ((c, _), v) in out.indexed_iter_mut() {
                *v = positive_root(*v, c)?;
            }
            Covariances::Diag(out)
        }
        Covariances::Spherical(a) => {
            let mut out = a.clone();
            for (c, v) in out.iter_mut().enumerate() {
                *v = positive_root(*v, c)?;
            }
            Covariances::Spherical(out)
        }
    })
}

/// Precision Cholesky factors from precisions (scikit-learn's
/// `_compute_precision_cholesky_from_precisions`): the upper-triangular `U` with `U U^T = P`,
/// obtained as the Cholesky factor of P with rows and columns reversed; `sqrt` for diag and
/// spherical. `precisions` must have been checked positive definite.
pub(crate) fn precision_cholesky_from_precisions<F: Float>(
    precisions: &Covariances<f64>,
) -> Result<Covariances<F>> {
    let factor = |m: ArrayView2<f64>| -> Result<Array2<F>> {
        let d = m.nrows();
        let flipped = Array2::from_shape_fn((d, d), |(i, j)| m[[d - 1 - i, d - 1 - j]]);
        let l = cholesky_lower(&flipped).ok_or_else(|| {
            Error::invalid_parameter(
                "precisions_init",
                "a matrix that is not positive definite",
                "symmetric positive-definite matrices",
            )
        })?;
        Ok(Array2::from_shape_fn((d, d), |(i, j)| {
            F::cast(l[[d - 1 - i, d - 1 - j]])
        }))
    };
    Ok(match precisions {
        Covariances::Full(a) => {
            let mut out = Array3::<F>::zeros(a.dim());
            for (c, m) in a.outer_iter().enumerate() {
                out.index_axis_mut(Axis(0), c).assign(&factor(m)?);
            }
            Covariances::Full(out)
        }
        Covariances::Tied(a) => Covariances::Tied(factor(a.view())?),
        Covariances::Diag(a) => Covariances::Diag(a.mapv(|v| F::cast(v.sqrt()))),
        Covariances::Spherical(a) => Covariances::Spherical(a.mapv(|v| F::cast(v.sqrt()))),
    })
}

/// Precisions `U U^T` from their Cholesky factors (scikit-learn's `precisions_`).
pub(crate) fn precisions_from_cholesky<F: Float>(chol: &Covariances<F>) -> Covariances<F> {
    let product = |u: ArrayView2<F>| {
        from_f64::<F>({
            let u = to_f64(u);
            u.dot(&u.t())
        })
    };
    match chol {
        Covariances::Full(a) => {
            let mut out = a.clone();
            for (c, m) in a.outer_iter().enumerate() {
                out.index_axis_mut(Axis(0), c).assign(&product(m));
            }
            Covariances::Full(out)
        }
        Covariances::Tied(a) => Covariances::Tied(product(a.view())),
        Covariances::Diag(a) => Covariances::Diag(a.mapv(|v| v * v)),
        Covariances::Spherical(a) => Covariances::Spherical(a.mapv(|v| v * v)),
    }
}

/// Covariances `(U U^T)^{-1} = W W^T` with `W = (U^T)^{-1}` from precision Cholesky factors.
pub(crate) fn covariances_from_precision_cholesky<F: Float>(
    chol: &Covariances<F>,
) -> Covariances<F> {
    let inverse = |u: ArrayView2<F>| {
        let w = lower_inverse(&to_f64(u).reversed_axes());
        from_f64::<F>(w.dot(&w.t()))
    };
    match chol {
        Covariances::Full(a) => {
            let mut out = a.clone();
            for (c, m) in a.outer_iter().enumerate() {
                out.index_axis_mut(Axis(0), c).assign(&inverse(m));
            }
            Covariances::Full(out)
        }
        Covariances::Tied(a) => Covariances::Tied(inverse(a.view())),
        Covariances::Diag(a) => Covariances::Diag(a.mapv(|v| F::one() / (v * v))),
        Covariances::Spherical(a) => Covariances::Spherical(a.mapv(|v| F::one() / (v * v))),
    }
}

/// Log-determinant of each component's precision Cholesky factor (scikit-learn's
/// `_compute_log_det_cholesky`), i.e. half the log-determinant of its precision.
pub(crate) fn log_det_cholesky<F: Float>(chol: &Covariances<F>, k: usize, d: usize) -> Vec<f64> {
    let ln = |v: F| v.to_f64().unwrap_or(f64::NAN).ln();
    match chol {
        Covariances::Full(a) => a
            .outer_iter()
            .map(|m| (0..d).map(|i| ln(m[[i, i]])).sum())
            .collect(),
        Covariances::Tied(a) => vec![(0..d).map(|i| ln(a[[i, i]])).sum::<f64>(); k],
        Covariances::Diag(a) => a
            .outer_iter()
            .map(|r| r.iter().map(|&v| ln(v)).sum())
            .collect(),
        Covariances::Spherical(a) => a.iter().map(|&v| d as f64 * ln(v)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cholesky_and_inverse_are_exact_on_a_known_matrix() {
        let a = array![[4.0, 2.0, 0.4], [2.0, 5.0, 1.0], [0.4, 1.0, 3.0]];
        let l = cholesky_lower(&a).unwrap();
        let back = l.dot(&l.t());
        assert!(back
            .iter()
            .zip(a.iter())
            .all(|(x, y)| (x - y).abs() < 1e-12));
        let inv = lower_inverse(&l);
        let eye = l.dot(&inv);
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((eye[[i, j]] - want).abs() < 1e-12);
            }
        }
        assert!(cholesky_lower(&array![[1.0, 2.0], [2.0, 1.0]]).is_none());
    }

    #[test]
    fn precision_factors_round_trip() {
        let cov: Array2<f64> = array![[2.0, 0.3], [0.3, 1.0]];
        let full = Covariances::Full(cov.clone().insert_axis(Axis(0)));
        let chol = precision_cholesky_from_covariances(&full, 0.0).unwrap();
        // U is upper triangular and U U^T is the inverse covariance.
        let Covariances::Full(u) = &chol else {
            unreachable!()
        };
        assert_eq!(u[[0, 1, 0]], 0.0);
        let prec = precisions_from_cholesky(&chol);
        let Covariances::Full(p) = &prec else {
            unreachable!()
        };
        let eye = p.index_axis(Axis(0), 0).dot(&cov);
        assert!((eye[[0, 0]] - 1.0).abs() < 1e-12 && eye[[0, 1]].abs() < 1e-12);
        // From precisions back to the same upper factor, and to the covariance.
        let chol2: Covariances<f64> = precision_cholesky_from_precisions(&prec).unwrap();
        let Covariances::Full(u2) = &chol2 else {
            unreachable!()
        };
        assert!(u.iter().zip(u2.iter()).all(|(a, b)| (a - b).abs() < 1e-12));
        let Covariances::Full(c) = covariances_from_precision_cholesky(&chol2) else {
            unreachable!()
        };
        assert!(c.iter().zip(cov.iter()).all(|(a, b)| (a - b).abs() < 1e-12));
        // log det of U = -0.5 log det C.
        let ld = log_det_cholesky(&chol, 1, 2);
        assert!((ld[0] + 0.5 * (2.0f64 - 0.09).ln()).abs() < 1e-12);
    }

    #[test]
    fn non_positive_variance_names_the_component_and_the_fix() {
        let diag = Covariances::Diag(array![[1.0, 1.0], [1.0, 0.0]]);
        let err = precision_cholesky_from_covariances(&diag, 0.0).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Numerical { .. }));
        assert!(
            text.contains("component 1") && text.contains("reg_covar"),
            "{text}"
        );
    }
}
