//! mclust-style model selection: a BIC grid over the number of components and the covariance
//! type.

use super::algorithm::GaussianMixture;
use super::hyperparams::{CovarianceType, GaussianMixtureParams};
use crate::error::{Error, Result};
use crate::validation::check_matrix;
use crate::Float;
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// One cell of the BIC grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixtureCandidate {
    /// Number of components k.
    pub n_components: usize,
    /// Covariance structure.
    pub covariance_type: CovarianceType,
    /// Number of free parameters of the model.
    pub n_parameters: usize,
    /// BIC on the training data (lower is better); `None` if the fit failed.
    pub bic: Option<f64>,
    /// AIC on the training data (lower is better); `None` if the fit failed.
    pub aic: Option<f64>,
    /// Mean log-likelihood of the fit; `None` if it failed.
    pub lower_bound: Option<f64>,
    /// Whether EM converged.
    pub converged: bool,
    /// EM iterations of the kept run.
    pub n_iter: usize,
    /// Why the fit failed (e.g. a singular covariance, more components than rows).
    pub error: Option<String>,
}

/// Result of [`select_mixture`]: the full table and the model with the lowest BIC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixtureSelection<F> {
    /// One entry per (k, covariance type), k-major in the order given.
    pub candidates: Vec<MixtureCandidate>,
    /// Index into `candidates` of the best model (lowest BIC; first on ties).
    pub best_index: usize,
    /// The best fitted model.
    pub best: GaussianMixture<F>,
}

/// Fits one mixture per `n_components` x `covariance_types` cell (k-major order) with the other
/// settings of `base` (tol, reg_covar, max_iter, n_init, init, random_state), and returns the BIC
/// table and the lowest-BIC model, as mclust's `Mclust`. A cell whose fit fails numerically (or
/// has more components than rows) is recorded with its error and skipped; the call fails only if
/// every cell does (with the first cell's error), or on invalid input or parameters.
///
/// `base` must not carry `weights_init` / `means_init` / `precisions_init` (their shapes depend
/// on k).
///
/// ```
/// use ndarray::Array2;
/// use segcore::cluster::gmm::{select_mixture, CovarianceType, GaussianMixtureParams};
///
/// use rand::{Rng, SeedableRng};
///
/// // Two separated groups with bell-shaped noise (sums of uniforms).
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let x = Array2::from_shape_fn((60, 2), |(i, _)| {
///     let noise: f64 = (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum();
///     (if i < 30 { 0.0 } else { 8.0 }) + noise
/// });
/// let table = select_mixture(
///     x.view(),
///     &[1, 2, 3],
///     &[CovarianceType::Diag, CovarianceType::Spherical],
///     &GaussianMixtureParams::new(1).random_state(0),
/// )?;
/// assert_eq!(table.candidates.len(), 6);
/// assert_eq!(table.best.n_components(), 2);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn select_mixture<F: Float>(
    x: ArrayView2<F>,
    n_components: &[usize],
    covariance_types: &[CovarianceType],
    base: &GaussianMixtureParams,
) -> Result<MixtureSelection<F>> {
    if n_components.is_empty() {
        return Err(Error::invalid_parameter(
            "n_components",
            "[]",
            "at least one number of components",
        ));
    }
    if covariance_types.is_empty() {
        return Err(Error::invalid_parameter(
            "covariance_types",
            "[]",
            "at least one covariance type",
        ));
    }
    let base = base.check()?;
    let base = &base;
    if base.weights_init().is_some()
        || base.means_init().is_some()
        || base.precisions_init().is_some()
    {
        return Err(Error::invalid_parameter(
            "base",
            "parameters with weights_init, means_init or precisions_init",
            "parameters without user-given initial values (their shapes depend on k)",
        ));
    }
    // Parameter and data errors are the caller's to fix: report them before any fitting.
    let grid: Vec<GaussianMixtureParams> = n_components
        .iter()
        .flat_map(|&k| {
            covariance_types.iter().map(move |&t| {
                let mut params = GaussianMixtureParams(base.clone());
                params.0.n_components = k;
                params.0.covariance_type = t;
                params
            })
        })
        .collect();
    for params in &grid {
        params.check_ref()?;
    }
    check_matrix(x.view(), "X")?;

    let mut candidates = Vec::with_capacity(grid.len());
    let mut best: Option<(f64, usize, GaussianMixture<F>)> = None;
    let mut first_error: Option<Error> = None;
    for (index, params) in grid.iter().enumerate() {
        let (k, kind) = (params.0.n_components, params.0.covariance_type);
        let n_parameters = kind.n_covariance_parameters(k, x.ncols()) + k * x.ncols() + k - 1;
        let mut candidate = MixtureCandidate {
            n_components: k,
            covariance_type: kind,
            n_parameters,
            bic: None,
            aic: None,
            lower_bound: None,
            converged: false,
            n_iter: 0,
            error: None,
        };
        match params.fit(x.view(), None).and_then(|m| {
            let bic = m.bic(x.view())?;
            let aic = m.aic(x.view())?;
            Ok((m, bic, aic))
        }) {
            Ok((model, bic, aic)) => {
                candidate.bic = Some(bic);
                candidate.aic = Some(aic);
                candidate.lower_bound = model.lower_bound().to_f64();
                candidate.converged = model.converged();
                candidate.n_iter = model.n_iter();
                if best.as_ref().is_none_or(|b| bic < b.0) {
                    best = Some((bic, index, model));
                }
            }
            Err(e @ (Error::Numerical { .. } | Error::TooManyClusters { .. })) => {
                candidate.error = Some(e.to_string());
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
        candidates.push(candidate);
    }
    match best {
        Some((_, best_index, best)) => Ok(MixtureSelection {
            candidates,
            best_index,
            best,
        }),
        None => Err(first_error.expect("every cell failed, so an error was recorded")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn three_blobs() -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        Array2::from_shape_fn((300, 2), |(i, f)| {
            let center = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]][i % 3][f];
            center + (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum::<f64>()
        })
    }

    #[test]
    fn bic_grid_finds_the_three_segments() {
        let x = three_blobs();
        let result = select_mixture(
            x.view(),
            &[1, 2, 3, 4, 5],
            &CovarianceType::ALL,
            &GaussianMixtureParams::new(1),
        )
        .unwrap();
        assert_eq!(result.candidates.len(), 20);
        assert_eq!(result.best.n_components(), 3);
        let best = &result.candidates[result.best_index];
        assert_eq!(best.bic, Some(result.best.bic(x.view()).unwrap()));
        assert!(result
            .candidates
            .iter()
            .all(|c| c.bic.unwrap() >= best.bic.unwrap()));
        // The table's parameter counts follow scikit-learn's formula.
        assert_eq!(result.candidates[0].n_parameters, 3 + 2);
    }

    #[test]
    fn failing_cells_are_recorded_not_fatal() {
        let x = three_blobs();
        let small = x.slice(ndarray::s![..4, ..]);
        let result = select_mixture(
            small,
            &[1, 5],
            &[CovarianceType::Diag],
            &GaussianMixtureParams::new(1),
        )
        .unwrap();
        assert!(result.candidates[1].error.is_some());
        assert_eq!(result.best_index, 0);
        assert!(matches!(
            select_mixture(
                small,
                &[9],
                &[CovarianceType::Diag],
                &GaussianMixtureParams::new(1)
            ),
            Err(Error::TooManyClusters { .. })
        ));
        assert!(select_mixture::<f64>(
            x.view(),
            &[],
            &[CovarianceType::Full],
            &GaussianMixtureParams::new(1)
        )
        .is_err());
        assert!(matches!(
            select_mixture(
                x.view(),
                &[0],
                &[CovarianceType::Full],
                &GaussianMixtureParams::new(1)
            ),
            Err(Error::InvalidParameter {
                name: "n_components",
                ..
            })
        ));
    }

    #[test]
    fn selection_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MixtureSelection<f64>>();
        assert_send_sync::<MixtureCandidate>();
    }
}
