//! `segcore.PCA`'s fitted model: the Rust side of the scikit-learn-style Python class.

use crate::arrays::{non_negative, optional_count, Matrix, Vector};
use crate::dispatch::ByDtype;
use crate::errors::IntoPyResult;
use crate::{by_dtype, fit_by_dtype};
use pyo3::prelude::*;
use segcore::reduce::{NComponents, Pca, PcaParams, PcaSolver};

/// The pymethods of a fitted transformer whose core model has `transform` and
/// `inverse_transform` (PCA, the standard scaler): those two, in the model's dtype, then what
/// [`model_pymethods!`](crate::model_pymethods)`(dtype ...)` takes (the class's own methods,
/// arrays and values).
#[macro_export]
macro_rules! transformer_pymethods {
    ($class:ident { $($methods:tt)* } $($rest:tt)*) => {
        $crate::model_pymethods!(dtype $class {
            /// The transform of `x` (same dtype as at fit): component scores, scaled values.
            fn transform<'py>(
                &self,
                py: pyo3::Python<'py>,
                x: $crate::arrays::Matrix<'py>,
            ) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                $crate::array_out!(py, &self.inner, x, |m, view| m.transform(view))
            }

            /// Maps transformed values back to the input's space.
            fn inverse_transform<'py>(
                &self,
                py: pyo3::Python<'py>,
                z: $crate::arrays::Matrix<'py>,
            ) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                $crate::array_out!(py, &self.inner, z, |m, view| m.inverse_transform(view))
            }

            $($methods)*
        } $($rest)*);
    };
}

type FittedPca = ByDtype<Pca<f64>, Pca<f32>>;

/// A fitted PCA (wrapped by `segcore.PCA`).
#[pyclass(module = "segcore._segcore", name = "PcaModel", frozen)]
pub struct PyPcaModel {
    inner: FittedPca,
}

fn parse_solver(name: &str) -> segcore::Result<PcaSolver> {
    match name {
        "auto" => Ok(PcaSolver::Auto),
        "full" => Ok(PcaSolver::Full),
        "covariance_eigh" => Ok(PcaSolver::CovarianceEigh),
        "randomized" => Ok(PcaSolver::Randomized),
        other => Err(segcore::Error::invalid_parameter(
            "svd_solver",
            format!("'{other}'"),
            "one of 'auto', 'full', 'covariance_eigh', 'randomized'",
        )),
    }
}

transformer_pymethods!(PyPcaModel {
    /// Fits PCA. `n_components` is an int count, `variance_fraction` a float in (0, 1); both
    /// `None` keeps every component. Parameters are checked by the core before any work.
    /// `sample_weight` (X's dtype) weights the rows as frequency weights (the core's
    /// `PcaValidParams::fit_weighted`).
    #[staticmethod]
    #[pyo3(signature = (x, *, n_components, variance_fraction, whiten, svd_solver, random_state, n_oversamples, iterated_power, sample_weight=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: Matrix<'_>,
        n_components: Option<i64>,
        variance_fraction: Option<f64>,
        whiten: bool,
        svd_solver: &str,
        random_state: u64,
        n_oversamples: i64,
        iterated_power: Option<i64>,
        sample_weight: Option<Vector<'_>>,
    ) -> PyResult<Self> {
        let params = (|| {
            let wanted = match (n_components, variance_fraction) {
                (Some(k), _) => NComponents::Count(non_negative("n_components", k)?),
                (None, Some(f)) => NComponents::VarianceFraction(f),
                (None, None) => NComponents::All,
            };
            let params = PcaParams::new(wanted)
                .whiten(whiten)
                .solver(parse_solver(svd_solver)?)
                .random_state(random_state)
                .n_oversamples(non_negative("n_oversamples", n_oversamples)?)
                .iterated_power(optional_count("iterated_power", iterated_power)?);
            params.check()
        })()
        .into_py_result(py)?;
        let inner = fit_by_dtype!(py, x, sample_weight, |view, weights| params
            .fit_weighted(view, weights))?;
        Ok(PyPcaModel { inner })
    }

    /// The solver that ran ("full", "covariance_eigh" or "randomized"; "auto" resolved).
    #[getter]
    fn solver(&self) -> &'static str {
        match by_dtype!(&self.inner, m => m.solver()) {
            PcaSolver::Full => "full",
            PcaSolver::CovarianceEigh => "covariance_eigh",
            PcaSolver::Randomized => "randomized",
            PcaSolver::Auto => "auto",
        }
    }
} arrays |m| {
    /// Loadings, one row per component (`components_`).
    components = m.components();
    /// Variance along each component (`explained_variance_`).
    explained_variance = m.explained_variance();
    /// Share of the total variance along each component (`explained_variance_ratio_`).
    explained_variance_ratio = m.explained_variance_ratio();
    /// Singular values of the centred data (`singular_values_`).
    singular_values = m.singular_values();
    /// Column means used for centring (`mean_`).
    mean = m.mean();
} values |m| {
    /// Probabilistic PCA noise variance (`noise_variance_`).
    noise_variance: f64 = f64::from(m.noise_variance());
    /// Number of components kept.
    n_components: usize = m.n_components();
    /// Number of features seen at fit.
    n_features: usize = m.n_features();
    /// Number of samples seen at fit.
    n_samples: usize = m.n_samples();
});
