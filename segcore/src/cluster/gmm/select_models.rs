//! mclust's `mclustBIC`: the BIC table over k x covariance model, the recommended model and the
//! runner-up.
//!
//! Sign convention: mclust's, `BIC = 2 loglik - df ln n`, higher is better (the negative of
//! [`GaussianMixture::bic`], scikit-learn's convention). The data are laid out and the
//! hierarchical agglomeration built once, then cut for every k and reused by every model.

use super::covariance_models::MixtureModel;
use super::model_based::{prepare, MixtureModelParams, MixtureModelValidParams, PreparedData};
use super::prior::PriorTerms;
use super::GaussianMixture;
use crate::error::{Error, Result};
use crate::Float;
use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// One cell of the BIC table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCandidate {
    /// Number of components k.
    pub n_components: usize,
    /// Covariance model.
    pub model: MixtureModel,
    /// Free parameters (mclust's `nMclustParams`, the `df` of the BIC).
    pub n_parameters: usize,
    /// Log-likelihood of the best start; `None` if every start failed.
    pub log_likelihood: Option<f64>,
    /// `2 loglik - n_parameters ln n` (mclust's sign: higher is better); `None` if the fit failed
    /// (mclust's NA).
    pub bic: Option<f64>,
    /// Whether EM of the best start converged.
    pub converged: bool,
    /// EM iterations of the best start.
    pub n_iter: usize,
    /// Number of starts run, and how many reached the best log-likelihood.
    pub n_starts: usize,
    /// See [`super::MixtureStarts::n_at_best`].
    pub n_starts_at_best: usize,
    /// Why the fit failed.
    pub error: Option<String>,
}

/// Result of [`select_mixture_models`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSelection<F> {
    /// One entry per (k, model), k-major in the order given.
    pub candidates: Vec<ModelCandidate>,
    /// Index of the recommended cell (highest BIC; first on ties).
    pub best_index: usize,
    /// Index of the second-highest BIC, if another cell was fitted.
    pub runner_up_index: Option<usize>,
    /// BIC of the best minus BIC of the runner-up (>= 0; mclust reads a difference under 2 as
    /// weak evidence, over 10 as strong).
    pub bic_difference: Option<f64>,
    /// The recommended fitted model.
    pub best: GaussianMixture<F>,
}

/// Fits every `n_components` x `models` cell with the other settings of `base` (starts, tol,
/// max_iter, random_state) and returns mclust's BIC table, the highest-BIC model and the
/// runner-up. A cell that fails (singular, emptied component, more components than rows) is kept
/// with its error, as mclust's NA; the call fails only on invalid input or if every cell fails.
///
/// ```
/// use ndarray::Array2;
/// use rand::{Rng, SeedableRng};
/// use segcore::cluster::gmm::{select_mixture_models, MixtureModel, MixtureModelParams};
///
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(2);
/// let x = Array2::from_shape_fn((120, 2), |(i, _)| {
///     (if i < 60 { 0.0 } else { 7.0 }) + (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum::<f64>()
/// });
/// let table = select_mixture_models(
///     x.view(),
///     None,
///     &[1, 2, 3],
///     &[MixtureModel::EII, MixtureModel::VVV],
///     &MixtureModelParams::new(1, MixtureModel::VVV),
/// )?;
/// assert_eq!(table.candidates.len(), 6);
/// assert_eq!(table.best.n_components(), 2);
/// assert!(table.bic_difference.unwrap() >= 0.0);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn select_mixture_models<F: Float>(
    x: ArrayView2<F>,
    sample_weight: Option<ArrayView1<F>>,
    n_components: &[usize],
    models: &[MixtureModel],
    base: &MixtureModelParams,
) -> Result<ModelSelection<F>> {
    if n_components.is_empty() {
        return Err(Error::invalid_parameter(
            "n_components",
            "[]",
            "at least one number of components",
        ));
    }
    let base_prior = base.0.prior;
    if models.is_empty() {
        return Err(Error::invalid_parameter(
            "covariance_types",
            "[]",
            "at least one covariance model",
        ));
    }
    // The prior is checked alone: its support depends on the cell (mclust's NA otherwise).
    if let Some(prior) = &base.0.prior {
        prior.check()?;
    }
    let base = base.clone().prior(None).check()?;
    for &k in n_components {
        MixtureModelParams(base.clone()).n_components(k).check()?;
    }
    let base = MixtureModelValidParams {
        prior: base_prior,
        ..base
    };
    let hierarchy_rows = base.hierarchical_start.then_some(base.hierarchy_rows);
    let data = prepare(
        x,
        sample_weight,
        hierarchy_rows,
        base.random_state,
        base.prior.is_some(),
    )?;
    // Cells are independent given the prepared data: fitted in parallel (each one's EM pass is
    // itself chunked), collected in table order, so the result never depends on the threads.
    let cells: Vec<(usize, MixtureModel)> = n_components
        .iter()
        .flat_map(|&k| models.iter().map(move |&model| (k, model)))
        .collect();
    // The caller's cancellation flag goes with each cell onto the worker threads.
    let flag = crate::cancel::current();
    let fits: Vec<(ModelCandidate, Result<Option<GaussianMixture<F>>>)> = cells
        .par_iter()
        .with_max_len(1)
        .map(|&(k, model)| {
            let fit = || fit_cell(&data, &base, k, model, x.ncols());
            match &flag {
                Some(flag) => crate::cancel::with_flag(flag, fit),
                None => fit(),
            }
        })
        .collect();
    let mut candidates = Vec::with_capacity(fits.len());
    let mut best: Option<(f64, usize, GaussianMixture<F>)> = None;
    let mut first_error: Option<Error> = None;
    for (mut cell, fitted) in fits {
        match fitted {
            Ok(Some(fitted)) => {
                let bic = cell.bic.expect("a fitted cell has its BIC");
                let index = candidates.len();
                if best.as_ref().is_none_or(|b| bic > b.0) {
                    best = Some((bic, index, fitted));
                }
            }
            Ok(None) => {}
            Err(e @ (Error::Numerical { .. } | Error::TooManyClusters { .. })) => {
                cell.error = Some(e.to_string());
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
        candidates.push(cell);
    }
    let Some((best_bic, best_index, best)) = best else {
        return Err(first_error.expect("every cell failed, so one recorded its error"));
    };
    let runner_up_index = candidates
        .iter()
        .enumerate()
        .filter(|(i, c)| *i != best_index && c.bic.is_some())
        .fold(None::<(usize, f64)>, |acc, (i, c)| {
            let b = c.bic.expect("filtered on Some");
            match acc {
                Some((_, ab)) if ab >= b => acc,
                _ => Some((i, b)),
            }
        });
    Ok(ModelSelection {
        candidates,
        best_index,
        runner_up_index: runner_up_index.map(|(i, _)| i),
        bic_difference: runner_up_index.map(|(_, b)| best_bic - b),
        best,
    })
}

/// One cell of the table: its row, and the fitted model (`None` where the prior does not support
/// the model, mclust's NA with the reason in the row).
fn fit_cell<F: Float>(
    data: &PreparedData<'_, F>,
    base: &MixtureModelValidParams,
    k: usize,
    model: MixtureModel,
    d: usize,
) -> (ModelCandidate, Result<Option<GaussianMixture<F>>>) {
    let mut cell = ModelCandidate {
        n_components: k,
        model,
        n_parameters: model.n_parameters(k, d),
        log_likelihood: None,
        bic: None,
        converged: false,
        n_iter: 0,
        n_starts: 0,
        n_starts_at_best: 0,
        error: None,
    };
    if base.prior.is_some() {
        if let Err(e) = PriorTerms::check_supported(model, k) {
            cell.error = Some(e.to_string());
            return (cell, Ok(None));
        }
    }
    let params = MixtureModelParams(base.clone())
        .n_components(k)
        .model(model);
    let fitted = params.0.fit_prepared(data).map(|fitted| {
        let starts = fitted.starts().expect("model-based fits report starts");
        cell.log_likelihood = Some(starts.log_likelihood);
        cell.bic = Some(fitted.mclust_bic().expect("model-based fits have a BIC"));
        cell.converged = fitted.converged();
        cell.n_iter = fitted.n_iter();
        cell.n_starts = starts.starts.len();
        cell.n_starts_at_best = starts.n_at_best;
        Some(fitted)
    });
    (cell, fitted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn the_table_covers_the_grid_and_ranks_by_bic() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let x = Array2::from_shape_fn((240, 3), |(i, f)| {
            let c = [[0.0, 0.0, 0.0], [6.0, 0.0, 2.0], [0.0, 7.0, -2.0]][i % 3][f];
            c + (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum::<f64>()
        });
        let s = select_mixture_models(
            x.view(),
            None,
            &[1, 2, 3, 4],
            &MixtureModel::ALL,
            &MixtureModelParams::new(1, MixtureModel::VVV),
        )
        .unwrap();
        assert_eq!(s.candidates.len(), 56);
        assert_eq!(s.best.n_components(), 3);
        let best = s.candidates[s.best_index].bic.unwrap();
        let runner = s.candidates[s.runner_up_index.unwrap()].bic.unwrap();
        assert!((s.bic_difference.unwrap() - (best - runner)).abs() < 1e-12);
        for c in &s.candidates {
            if let Some(b) = c.bic {
                assert!(b <= best);
                assert!(c.error.is_none());
                assert_eq!(c.n_parameters, c.model.n_parameters(c.n_components, 3));
            }
        }
        assert!(matches!(
            select_mixture_models::<f64>(
                x.view(),
                None,
                &[],
                &MixtureModel::ALL,
                &MixtureModelParams::new(1, MixtureModel::VVV)
            ),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn selection_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ModelSelection<f64>>();
        assert_send_sync::<ModelCandidate>();
    }
}
