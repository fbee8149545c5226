//! `segcore.GaussianMixture`'s fitted model and `select_mixture`: the Rust side of the
//! scikit-learn-style Python class.

use crate::arrays::{non_negative, Matrix, Vector};
use crate::dispatch::ByDtype;
use crate::errors::{run_detached, segcore_exception, to_py_err, IntoPyResult};
use crate::{array_out, by_dtype, fit_by_dtype, labels_out, model_pymethods, with_matching_input};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList};
use segcore::cluster::gmm::{
    select_mixture as core_select_mixture, select_mixture_models, CovarianceChoice, CovarianceType,
    Covariances, GaussianMixture, GaussianMixtureInit, GaussianMixtureParams, MixtureModel,
    MixtureModelParams, MixturePrior,
};
use segcore::Float;

type FittedMixture = ByDtype<GaussianMixture<f64>, GaussianMixture<f32>>;

/// A fitted Gaussian mixture (wrapped by `segcore.GaussianMixture`).
#[pyclass(module = "segcore._segcore", name = "GaussianMixtureModel", frozen)]
pub struct PyGaussianMixtureModel {
    inner: FittedMixture,
}

/// Precisions given by the user, reshaped for the covariance type.
fn parse_precisions(
    kind: CovarianceType,
    precisions: PyReadonlyArrayDyn<'_, f64>,
) -> segcore::Result<Covariances<f64>> {
    let a = precisions.as_array().to_owned();
    let ndim = a.ndim();
    let bad = || {
        segcore::Error::invalid_parameter(
            "precisions_init",
            format!("an array with {ndim} dimensions"),
            match kind {
                CovarianceType::Full => "shape (n_components, n_features, n_features) for 'full'",
                CovarianceType::Tied => "shape (n_features, n_features) for 'tied'",
                CovarianceType::Diag => "shape (n_components, n_features) for 'diag'",
                CovarianceType::Spherical => "shape (n_components,) for 'spherical'",
            },
        )
    };
    Ok(match kind {
        CovarianceType::Full => Covariances::Full(a.into_dimensionality().map_err(|_| bad())?),
        CovarianceType::Tied => Covariances::Tied(a.into_dimensionality().map_err(|_| bad())?),
        CovarianceType::Diag => Covariances::Diag(a.into_dimensionality().map_err(|_| bad())?),
        CovarianceType::Spherical => {
            Covariances::Spherical(a.into_dimensionality().map_err(|_| bad())?)
        }
    })
}

/// scikit-learn's array layout of covariances / precisions for the covariance type.
fn covariances_to_py<'py, F: Float + numpy::Element>(
    py: Python<'py>,
    c: &Covariances<F>,
) -> Bound<'py, PyAny> {
    match c {
        Covariances::Full(a) => a.clone().into_pyarray(py).into_any(),
        Covariances::Tied(a) | Covariances::Diag(a) => a.clone().into_pyarray(py).into_any(),
        Covariances::Spherical(a) => a.clone().into_pyarray(py).into_any(),
    }
}

/// The settings shared by `fit` and `select_mixture`.
#[allow(clippy::too_many_arguments)]
fn base_params(
    n_components: i64,
    covariance_type: &str,
    tol: f64,
    reg_covar: f64,
    max_iter: i64,
    n_init: i64,
    init_params: &str,
    random_state: u64,
) -> segcore::Result<GaussianMixtureParams> {
    Ok(
        GaussianMixtureParams::new(non_negative("n_components", n_components)?)
            .covariance_type(CovarianceType::from_name(covariance_type)?)
            .tol(tol)
            .reg_covar(reg_covar)
            .max_iter(non_negative("max_iter", max_iter)?)
            .n_init(non_negative("n_init", n_init)?)
            .init(GaussianMixtureInit::from_name(init_params)?)
            .random_state(random_state),
    )
}

/// User-given initial weights, means and precisions (scikit-learn's layouts).
pub(crate) type InitialParameters<'py> = (
    Option<PyReadonlyArray1<'py, f64>>,
    Option<PyReadonlyArray2<'py, f64>>,
    Option<PyReadonlyArrayDyn<'py, f64>>,
);

/// Checked parameters of a mixture with one of scikit-learn's covariance types (the local fit
/// and the distributed driver).
#[allow(clippy::too_many_arguments)]
pub(crate) fn scikit_learn_params(
    n_components: i64,
    covariance_type: &str,
    tol: f64,
    reg_covar: f64,
    max_iter: i64,
    n_init: i64,
    init_params: &str,
    random_state: u64,
    (weights_init, means_init, precisions_init): InitialParameters<'_>,
) -> segcore::Result<GaussianMixtureParams> {
    let mut params = base_params(
        n_components,
        covariance_type,
        tol,
        reg_covar,
        max_iter,
        n_init,
        init_params,
        random_state,
    )?;
    if let Some(w) = weights_init {
        params = params.weights_init(w.as_array().to_owned());
    }
    if let Some(m) = means_init {
        params = params.means_init(m.as_array().to_owned());
    }
    if let Some(p) = precisions_init {
        let kind = CovarianceType::from_name(covariance_type)?;
        params = params.precisions_init(parse_precisions(kind, p)?);
    }
    params.check()?;
    Ok(params)
}

/// mclust's prior applies to mclust's models only.
fn no_prior(covariance_type: &str) -> segcore::Error {
    segcore::Error::invalid_parameter(
        "prior",
        format!("a prior with covariance_type '{covariance_type}'"),
        "prior=None with scikit-learn's types (use reg_covar), or one of mclust's models",
    )
}

/// mclust's prior as Python gives it (`prior=`): None or False for none, True or `"mclust"`
/// for mclust's `defaultPrior` (`MixturePrior::default()`), a dict overriding its `"shrinkage"`
/// and `"dof"` (a dof of None is mclust's `d + 2`).
fn parse_prior(py: Python<'_>, prior: Option<&Bound<'_, PyAny>>) -> PyResult<Option<MixturePrior>> {
    let Some(prior) = prior.filter(|p| !p.is_none()) else {
        return Ok(None);
    };
    if let Ok(flag) = prior.cast::<PyBool>() {
        return Ok(flag.is_true().then(MixturePrior::default));
    }
    let wrong = |name: &'static str, value: &Bound<'_, PyAny>, expected: &str| -> PyResult<PyErr> {
        Ok(to_py_err(
            py,
            segcore::Error::invalid_parameter(name, value.repr()?, expected),
        ))
    };
    let Ok(keys) = prior.cast::<PyDict>() else {
        if prior.extract::<String>().is_ok_and(|name| name == "mclust") {
            return Ok(Some(MixturePrior::default()));
        }
        let expected = "None, True, 'mclust' or a dict with 'shrinkage' and/or 'dof'";
        return Err(wrong("prior", prior, expected)?);
    };
    let unknown = PyList::empty(py);
    for key in keys.keys() {
        if !matches!(key.extract::<String>().as_deref(), Ok("shrinkage" | "dof")) {
            unknown.append(key)?;
        }
    }
    if !unknown.is_empty() {
        unknown.sort()?;
        let message = format!(
            "invalid parameter `prior` = {}: unknown key(s) {}; expected 'shrinkage' and/or 'dof'",
            prior.repr()?,
            unknown.repr()?
        );
        return Err(segcore_exception(py, "InvalidParameterError", message));
    }
    let number = |name: &'static str, value: Bound<'_, PyAny>| -> PyResult<f64> {
        match value.extract::<f64>() {
            Ok(number) if !value.is_instance_of::<PyBool>() => Ok(number),
            _ => Err(wrong(name, &value, "a number")?),
        }
    };
    let mut out = MixturePrior::default();
    if let Some(shrinkage) = keys.get_item("shrinkage")? {
        out.shrinkage = number("prior['shrinkage']", shrinkage)?;
    }
    out.dof = match keys.get_item("dof")? {
        Some(dof) if !dof.is_none() => Some(number("prior['dof']", dof)?),
        _ => None,
    };
    Ok(Some(out))
}

/// The settings of a model-based (mclust-model) fit: `n_init` k-means and `n_init` random
/// starts beside the hierarchical one (0: the hierarchical start alone, as mclust); mclust's
/// tolerance.
fn model_params(
    n_components: i64,
    model: MixtureModel,
    max_iter: i64,
    n_init: i64,
    random_state: u64,
    prior: Option<MixturePrior>,
) -> segcore::Result<MixtureModelParams> {
    // n_init = 0: mclust's single hierarchical start.
    let n_init = non_negative("n_init", n_init)?;
    let params = MixtureModelParams::new(non_negative("n_components", n_components)?, model)
        .max_iter(non_negative("max_iter", max_iter)?)
        .n_kmeans_starts(n_init)
        .n_random_starts(n_init)
        .random_state(random_state)
        .prior(prior);
    params.check()?;
    Ok(params)
}

model_pymethods!(dtype PyGaussianMixtureModel {
    /// Fits the mixture; parameters are validated by the core before any work.
    #[staticmethod]
    #[pyo3(signature = (x, sample_weight, *, n_components, covariance_type, tol, reg_covar, max_iter, n_init, init_params, weights_init, means_init, precisions_init, random_state, prior=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: Matrix<'_>,
        sample_weight: Option<Vector<'_>>,
        n_components: i64,
        covariance_type: &str,
        tol: f64,
        reg_covar: f64,
        max_iter: i64,
        n_init: i64,
        init_params: &str,
        weights_init: Option<PyReadonlyArray1<'_, f64>>,
        means_init: Option<PyReadonlyArray2<'_, f64>>,
        precisions_init: Option<PyReadonlyArrayDyn<'_, f64>>,
        random_state: u64,
        prior: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let prior = parse_prior(py, prior)?;
        let choice = CovarianceChoice::from_name(covariance_type).into_py_result(py)?;
        if let CovarianceChoice::Mclust(model) = choice {
            let params = (|| {
                if weights_init.is_some() || means_init.is_some() || precisions_init.is_some() {
                    return Err(segcore::Error::invalid_parameter(
                        "means_init",
                        "user-given initial weights / means / precisions",
                        format!(
                            "none with mclust's model '{model}' (its starts are the hierarchical \
                             agglomeration, k-means and random responsibilities)"
                        ),
                    ));
                }
                model_params(n_components, model, max_iter, n_init, random_state, prior)
            })()
            .into_py_result(py)?;
            let inner = fit_by_dtype!(py, x, sample_weight, |view, weights| params
                .fit(view, weights))?;
            return Ok(PyGaussianMixtureModel { inner });
        }
        let params = (|| {
            if prior.is_some() {
                return Err(no_prior(covariance_type));
            }
            scikit_learn_params(
                n_components,
                covariance_type,
                tol,
                reg_covar,
                max_iter,
                n_init,
                init_params,
                random_state,
                (weights_init, means_init, precisions_init),
            )
        })()
        .into_py_result(py)?;
        let inner = fit_by_dtype!(py, x, sample_weight, |view, weights| params
            .fit(view, weights))?;
        Ok(PyGaussianMixtureModel { inner })
    }

    /// Most probable component of each row of `x`.
    fn predict<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyArray1<i64>>> {
        labels_out!(py, &self.inner, x, i64, |m, view| m.predict(view))
    }

    /// Membership probabilities (n_samples, n_components).
    fn predict_proba<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
        array_out!(py, &self.inner, x, |m, view| m.predict_proba(view))
    }

    /// `1 - max probability` per row.
    fn uncertainty<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
        array_out!(py, &self.inner, x, |m, view| m.uncertainty(view))
    }

    /// Log-density of each row.
    fn score_samples<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
        array_out!(py, &self.inner, x, |m, view| m.score_samples(view))
    }

    /// Mean log-density of the rows.
    fn score(&self, py: Python<'_>, x: Matrix<'_>) -> PyResult<f64> {
        with_matching_input!(&self.inner, x, |m, view| run_detached(py, || m.score(view))
            .map(f64::from))
    }

    /// Bayesian information criterion on `x`.
    fn bic(&self, py: Python<'_>, x: Matrix<'_>) -> PyResult<f64> {
        with_matching_input!(&self.inner, x, |m, view| run_detached(py, || m.bic(view)))
    }

    /// Akaike information criterion on `x`.
    fn aic(&self, py: Python<'_>, x: Matrix<'_>) -> PyResult<f64> {
        with_matching_input!(&self.inner, x, |m, view| run_detached(py, || m.aic(view)))
    }

    /// `n_samples` new points and their component labels.
    fn sample<'py>(
        &self,
        py: Python<'py>,
        n_samples: i64,
        seed: u64,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyArray1<i64>>)> {
        let n = non_negative("n_samples", n_samples).into_py_result(py)?;
        by_dtype!(&self.inner, m => {
            let (x, y) = run_detached(py, || m.sample(n, seed))?;
            Ok((x.into_pyarray(py).into_any(), y.mapv(|l| l as i64).into_pyarray(py)))
        })
    }

    /// Covariances in scikit-learn's layout for the covariance type.
    #[getter]
    fn covariances<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => covariances_to_py(py, m.covariances()))
    }

    /// Precisions in scikit-learn's layout.
    #[getter]
    fn precisions<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => covariances_to_py(py, &m.precisions()))
    }

    /// Cholesky factors of the precisions in scikit-learn's layout.
    #[getter]
    fn precisions_cholesky<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => covariances_to_py(py, m.precisions_cholesky()))
    }
    /// The starts of a model-based fit as dicts (method, log_likelihood, n_iter, converged,
    /// error); empty for scikit-learn types.
    fn starts<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let outcomes =
            by_dtype!(&self.inner, m => m.starts().map(|s| s.starts.clone())).unwrap_or_default();
        outcomes
            .iter()
            .map(|o| {
                let row = PyDict::new(py);
                row.set_item("method", o.method.name())?;
                row.set_item("log_likelihood", o.log_likelihood)?;
                row.set_item("n_iter", o.n_iter)?;
                row.set_item("converged", o.converged)?;
                row.set_item("error", o.error.clone())?;
                Ok(row)
            })
            .collect()
    }
} arrays |m| {
    /// Mixing weights.
    weights = m.weights();
    /// Component means.
    means = m.means();
} values |m| {
    /// Lower bound (mean log-likelihood) of the best run.
    lower_bound: f64 = f64::from(m.lower_bound());
    /// Lower bound after every EM iteration of the best run.
    lower_bounds: Vec<f64> = m.lower_bounds().iter().map(|&v| f64::from(v)).collect();
    /// EM iterations of the best run.
    n_iter: usize = m.n_iter();
    /// Whether the best run converged.
    converged: bool = m.converged();
    /// Warnings raised during fit (re-emitted by Python as `ConvergenceWarning`).
    warnings: Vec<String> = m.warnings().to_vec();
    /// Number of features seen at fit.
    n_features: usize = m.n_features();
    /// Number of free parameters.
    n_parameters: usize = m.n_parameters();
    /// mclust's model name of a model-based fit, else None.
    model_name: Option<&'static str> = m.model().map(MixtureModel::name);
    /// Log-likelihood (sum over rows) of a model-based fit, else None.
    log_likelihood: Option<f64> = m.starts().map(|s| s.log_likelihood);
    /// mclust's BIC (`2 loglik - df ln n`, higher is better) of a model-based fit, else None.
    mclust_bic: Option<f64> = m.mclust_bic();
    /// Number of starts within reach of the best log-likelihood (model-based fits), else None.
    n_starts_at_best: Option<usize> = m.starts().map(|s| s.n_at_best);
    /// Covariance type name.
    covariance_type: &'static str = m.covariance_type().name();
});

/// The result of `select_mixture`: table rows, best index, runner-up index, BIC difference, the
/// BIC sign convention ("scikit-learn": lower is better; "mclust": higher is better), best model.
type Selection<'py> = (
    Vec<Bound<'py, PyDict>>,
    usize,
    Option<usize>,
    Option<f64>,
    &'static str,
    PyGaussianMixtureModel,
);

/// BIC grid over `n_components` x `covariance_types`. scikit-learn's type names give the
/// scikit-learn-semantics grid (BIC lower is better); mclust's model names (or "mclust" for all
/// 14) give mclust's `mclustBIC` table (BIC = 2 loglik - df ln n, higher is better) with the
/// runner-up.
#[pyfunction]
#[pyo3(signature = (x, n_components, covariance_types, *, tol, reg_covar, max_iter, n_init, init_params, random_state, prior=None))]
#[allow(clippy::too_many_arguments)]
pub fn select_mixture<'py>(
    py: Python<'py>,
    x: Matrix<'py>,
    n_components: Vec<i64>,
    covariance_types: Vec<String>,
    tol: f64,
    reg_covar: f64,
    max_iter: i64,
    n_init: i64,
    init_params: &str,
    random_state: u64,
    prior: Option<&Bound<'py, PyAny>>,
) -> PyResult<Selection<'py>> {
    let prior = parse_prior(py, prior)?;
    let (ks, grid) = (|| {
        let ks = n_components
            .iter()
            .map(|&k| non_negative("n_components", k))
            .collect::<segcore::Result<Vec<usize>>>()?;
        Ok::<_, segcore::Error>((ks, CovarianceChoice::grid(&covariance_types)?))
    })()
    .into_py_result(py)?;
    let models = match grid {
        Ok(kinds) => {
            if prior.is_some() {
                return Err(no_prior("full")).into_py_result(py);
            }
            let base = base_params(
                1,
                "full",
                tol,
                reg_covar,
                max_iter,
                n_init,
                init_params,
                random_state,
            )
            .into_py_result(py)?;
            return select_scikit_learn(py, x, &ks, &kinds, &base);
        }
        Err(models) => models,
    };
    let base = model_params(1, MixtureModel::VVV, max_iter, n_init, random_state, prior)
        .into_py_result(py)?;
    let selection = fit_by_dtype!(py, x, |view| select_mixture_models(
        view, None, &ks, &models, &base
    ))?;
    let (s, inner) = match selection {
        ByDtype::Float64(s) => strip(s, ByDtype::Float64),
        ByDtype::Float32(s) => strip(s, ByDtype::Float32),
    };
    let rows =
        s.0.iter()
            .map(|c| {
                let row = PyDict::new(py);
                row.set_item("n_components", c.n_components)?;
                row.set_item("covariance_type", c.model.name())?;
                row.set_item("n_parameters", c.n_parameters)?;
                row.set_item("bic", c.bic)?;
                row.set_item("log_likelihood", c.log_likelihood)?;
                row.set_item("converged", c.converged)?;
                row.set_item("n_iter", c.n_iter)?;
                row.set_item("n_starts", c.n_starts)?;
                row.set_item("n_starts_at_best", c.n_starts_at_best)?;
                row.set_item("error", c.error.clone())?;
                Ok(row)
            })
            .collect::<PyResult<Vec<_>>>()?;
    Ok((
        rows,
        s.1,
        s.2,
        s.3,
        "mclust",
        PyGaussianMixtureModel { inner },
    ))
}

type Stripped = (
    Vec<segcore::cluster::gmm::ModelCandidate>,
    usize,
    Option<usize>,
    Option<f64>,
);

/// The selection's table and indices, and its best model wrapped by `wrap`.
fn strip<F, M>(
    s: segcore::cluster::gmm::ModelSelection<F>,
    wrap: impl FnOnce(GaussianMixture<F>) -> M,
) -> (Stripped, M) {
    let table = (
        s.candidates,
        s.best_index,
        s.runner_up_index,
        s.bic_difference,
    );
    (table, wrap(s.best))
}

fn select_scikit_learn<'py>(
    py: Python<'py>,
    x: Matrix<'py>,
    ks: &[usize],
    kinds: &[CovarianceType],
    base: &GaussianMixtureParams,
) -> PyResult<Selection<'py>> {
    let (candidates, best_index, inner) =
        match fit_by_dtype!(py, x, |view| core_select_mixture(view, ks, kinds, base))? {
            ByDtype::Float64(s) => (s.candidates, s.best_index, ByDtype::Float64(s.best)),
            ByDtype::Float32(s) => (s.candidates, s.best_index, ByDtype::Float32(s.best)),
        };
    let rows = candidates
        .iter()
        .map(|c| {
            let row = PyDict::new(py);
            row.set_item("n_components", c.n_components)?;
            row.set_item("covariance_type", c.covariance_type.name())?;
            row.set_item("n_parameters", c.n_parameters)?;
            row.set_item("bic", c.bic)?;
            row.set_item("aic", c.aic)?;
            row.set_item("lower_bound", c.lower_bound)?;
            row.set_item("converged", c.converged)?;
            row.set_item("n_iter", c.n_iter)?;
            row.set_item("error", c.error.clone())?;
            Ok(row)
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok((
        rows,
        best_index,
        None,
        None,
        "scikit-learn",
        PyGaussianMixtureModel { inner },
    ))
}
