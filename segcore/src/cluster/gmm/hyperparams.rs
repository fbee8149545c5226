//! Gaussian mixture parameters: builder -> checked parameters.

use super::linalg::{cholesky_lower, Covariances};
use crate::error::{Error, Result};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// Shape of the components' covariance matrices (scikit-learn's `covariance_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CovarianceType {
    /// Each component has its own general covariance matrix.
    Full,
    /// All components share one general covariance matrix.
    Tied,
    /// Each component has its own diagonal covariance matrix.
    Diag,
    /// Each component has its own single variance.
    Spherical,
}

impl CovarianceType {
    /// All four types, in scikit-learn's order.
    pub const ALL: [CovarianceType; 4] = [
        CovarianceType::Full,
        CovarianceType::Tied,
        CovarianceType::Diag,
        CovarianceType::Spherical,
    ];

    /// scikit-learn's name of the type (`"full"`, `"tied"`, `"diag"`, `"spherical"`).
    pub fn name(self) -> &'static str {
        match self {
            CovarianceType::Full => "full",
            CovarianceType::Tied => "tied",
            CovarianceType::Diag => "diag",
            CovarianceType::Spherical => "spherical",
        }
    }

    /// Parses scikit-learn's name of the type.
    pub fn from_name(name: &str) -> Result<Self> {
        CovarianceType::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                Error::invalid_parameter(
                    "covariance_type",
                    format!("'{name}'"),
                    "one of 'full', 'tied', 'diag', 'spherical'",
                )
            })
    }

    /// Number of free covariance parameters for `k` components in `d` dimensions
    /// (scikit-learn's `_n_parameters`).
    pub fn n_covariance_parameters(self, k: usize, d: usize) -> usize {
        match self {
            CovarianceType::Full => k * d * (d + 1) / 2,
            CovarianceType::Tied => d * (d + 1) / 2,
            CovarianceType::Diag => k * d,
            CovarianceType::Spherical => k,
        }
    }
}

impl std::fmt::Display for CovarianceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How the responsibilities of the first EM iteration are obtained (scikit-learn's
/// `init_params`). User-given `weights_init` / `means_init` / `precisions_init` override the
/// matching part of the result; if all three are given, no initialisation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GaussianMixtureInit {
    /// One k-means run (k-means++ start, `n_init = 1`); each row belongs fully to its cluster.
    KMeans,
    /// k rows picked by greedy k-means++; each component starts from one row.
    KMeansPlusPlus,
    /// Uniform random responsibilities, normalised per row.
    Random,
    /// k distinct rows picked uniformly at random; each component starts from one row.
    RandomFromData,
}

impl GaussianMixtureInit {
    /// scikit-learn's name (`"kmeans"`, `"k-means++"`, `"random"`, `"random_from_data"`).
    pub fn name(self) -> &'static str {
        match self {
            GaussianMixtureInit::KMeans => "kmeans",
            GaussianMixtureInit::KMeansPlusPlus => "k-means++",
            GaussianMixtureInit::Random => "random",
            GaussianMixtureInit::RandomFromData => "random_from_data",
        }
    }

    /// Parses scikit-learn's name.
    pub fn from_name(name: &str) -> Result<Self> {
        [
            GaussianMixtureInit::KMeans,
            GaussianMixtureInit::KMeansPlusPlus,
            GaussianMixtureInit::Random,
            GaussianMixtureInit::RandomFromData,
        ]
        .into_iter()
        .find(|t| t.name() == name)
        .ok_or_else(|| {
            Error::invalid_parameter(
                "init_params",
                format!("'{name}'"),
                "one of 'kmeans', 'k-means++', 'random', 'random_from_data'",
            )
        })
    }
}

/// Checked Gaussian mixture parameters; obtained from [`GaussianMixtureParams::check`] (a
/// document is read through the check too).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GaussianMixtureValidParams {
    pub(crate) n_components: usize,
    pub(crate) covariance_type: CovarianceType,
    pub(crate) tol: f64,
    pub(crate) reg_covar: f64,
    pub(crate) max_iter: usize,
    pub(crate) n_init: usize,
    pub(crate) init: GaussianMixtureInit,
    pub(crate) weights_init: Option<Array1<f64>>,
    pub(crate) means_init: Option<Array2<f64>>,
    pub(crate) precisions_init: Option<Covariances<f64>>,
    pub(crate) random_state: u64,
}

impl GaussianMixtureValidParams {
    /// Number of mixture components k.
    pub fn n_components(&self) -> usize {
        self.n_components
    }
    /// Covariance structure.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariance_type
    }
    /// EM stops when the per-sample lower bound changes by less than `tol`.
    pub fn tol(&self) -> f64 {
        self.tol
    }
    /// Non-negative value added to the diagonal of every covariance.
    pub fn reg_covar(&self) -> f64 {
        self.reg_covar
    }
    /// Maximum EM iterations per initialisation (0 evaluates the initial parameters only).
    pub fn max_iter(&self) -> usize {
        self.max_iter
    }
    /// Number of initialisations; the one with the highest lower bound is kept.
    pub fn n_init(&self) -> usize {
        self.n_init
    }
    /// Initialisation method.
    pub fn init(&self) -> GaussianMixtureInit {
        self.init
    }
    /// Seed of the random number generator.
    pub fn random_state(&self) -> u64 {
        self.random_state
    }
    /// User-given initial weights.
    pub fn weights_init(&self) -> Option<&Array1<f64>> {
        self.weights_init.as_ref()
    }
    /// User-given initial means.
    pub fn means_init(&self) -> Option<&Array2<f64>> {
        self.means_init.as_ref()
    }
    /// User-given initial precisions (inverse covariances).
    pub fn precisions_init(&self) -> Option<&Covariances<f64>> {
        self.precisions_init.as_ref()
    }
    /// Whether weights, means and precisions are all given, so no initialisation runs.
    pub(crate) fn fully_initialised(&self) -> bool {
        self.weights_init.is_some() && self.means_init.is_some() && self.precisions_init.is_some()
    }
}

/// Gaussian mixture parameters with scikit-learn's defaults; build with the methods, then `fit`.
///
/// ```
/// use ndarray::array;
/// use segcore::cluster::gmm::{CovarianceType, GaussianMixtureParams};
///
/// let x: ndarray::Array2<f64> = array![[0.0, 0.1], [0.2, 0.0], [0.1, 0.2], [5.0, 5.1], [5.2, 5.0], [5.1, 5.2]];
/// let model = GaussianMixtureParams::new(2)
///     .covariance_type(CovarianceType::Diag)
///     .random_state(3)
///     .fit(x.view(), None)?;
/// let labels = model.predict(x.view())?;
/// assert_eq!(labels[0], labels[1]);
/// assert_ne!(labels[0], labels[3]);
/// let proba = model.predict_proba(x.view())?;
/// assert!((proba.row(0).sum() - 1.0).abs() < 1e-12);
/// assert!(model.converged());
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GaussianMixtureParams(pub(crate) GaussianMixtureValidParams);

/// The fields of [`GaussianMixtureValidParams`] as a document holds them, before the check.
#[derive(Deserialize)]
#[serde(remote = "GaussianMixtureValidParams")]
struct UncheckedMixture {
    n_components: usize,
    covariance_type: CovarianceType,
    tol: f64,
    reg_covar: f64,
    max_iter: usize,
    n_init: usize,
    init: GaussianMixtureInit,
    weights_init: Option<Array1<f64>>,
    means_init: Option<Array2<f64>>,
    precisions_init: Option<Covariances<f64>>,
    random_state: u64,
}

crate::validation::deserialize_through_check!(
    GaussianMixtureValidParams,
    GaussianMixtureParams,
    UncheckedMixture
);

impl GaussianMixtureParams {
    /// `n_components` components; scikit-learn's defaults: full covariance, `tol = 1e-3`,
    /// `reg_covar = 1e-6`, `max_iter = 100`, `n_init = 1`, k-means initialisation,
    /// `random_state = 0`.
    pub fn new(n_components: usize) -> Self {
        GaussianMixtureParams(GaussianMixtureValidParams {
            n_components,
            covariance_type: CovarianceType::Full,
            tol: 1e-3,
            reg_covar: 1e-6,
            max_iter: 100,
            n_init: 1,
            init: GaussianMixtureInit::KMeans,
            weights_init: None,
            means_init: None,
            precisions_init: None,
            random_state: 0,
        })
    }
    crate::validation::setters! { inner:
        /// Covariance structure.
        covariance_type => CovarianceType,
        /// Convergence threshold on the change of the per-sample lower bound.
        tol => f64,
        /// Value added to covariance diagonals; keeps collapsed components and constant columns
        /// positive definite.
        reg_covar => f64,
        /// Maximum EM iterations per initialisation.
        max_iter => usize,
        /// Number of initialisations.
        n_init => usize,
        /// Initialisation method.
        init => GaussianMixtureInit,
    }
    /// Initial mixing weights (k values in [0, 1] summing to 1).
    pub fn weights_init(mut self, weights: Array1<f64>) -> Self {
        self.0.weights_init = Some(weights);
        self
    }
    /// Initial means (k x n_features).
    pub fn means_init(mut self, means: Array2<f64>) -> Self {
        self.0.means_init = Some(means);
        self
    }
    /// Initial precisions (inverse covariances), shaped for the covariance type.
    pub fn precisions_init(mut self, precisions: Covariances<f64>) -> Self {
        self.0.precisions_init = Some(precisions);
        self
    }
    /// Seed: the same seed and data give bit-identical results on any thread count.
    pub fn random_state(mut self, random_state: u64) -> Self {
        self.0.random_state = random_state;
        self
    }

    /// Validates the parameters on their own (data-dependent checks happen in `fit`).
    pub fn check(&self) -> Result<GaussianMixtureValidParams> {
        self.check_ref().cloned()
    }

    pub(crate) fn check_ref(&self) -> Result<&GaussianMixtureValidParams> {
        let p = &self.0;
        let k = p.n_components;
        check_components_and_tol(k, p.tol)?;
        if !(p.reg_covar.is_finite() && p.reg_covar >= 0.0) {
            return Err(Error::invalid_parameter(
                "reg_covar",
                p.reg_covar,
                "a finite number >= 0",
            ));
        }
        if p.n_init == 0 {
            return Err(Error::invalid_parameter("n_init", 0, "an integer >= 1"));
        }
        if let Some(w) = &p.weights_init {
            check_weights_init(w, k)?;
        }
        if let Some(m) = &p.means_init {
            if m.nrows() != k {
                return Err(Error::ShapeMismatch {
                    what: "means_init (one row per component, n_components)".into(),
                    expected: k,
                    got: m.nrows(),
                });
            }
            crate::validation::check_matrix(m.view(), "means_init")?;
        }
        if let Some(prec) = &p.precisions_init {
            check_precisions_init(prec, p.covariance_type, k)?;
        }
        Ok(p)
    }
}

fn check_weights_init(w: &Array1<f64>, k: usize) -> Result<()> {
    if w.len() != k {
        return Err(Error::ShapeMismatch {
            what: "weights_init (one weight per component, n_components)".into(),
            expected: k,
            got: w.len(),
        });
    }
    if let Some(bad) = w
        .iter()
        .find(|v| !(v.is_finite() && (0.0..=1.0).contains(*v)))
    {
        return Err(Error::invalid_parameter(
            "weights_init",
            format!("an array containing {bad}"),
            "values in [0, 1]",
        ));
    }
    let sum: f64 = w.sum();
    // scikit-learn's tolerance for float32 weights; float64 ones are held to it too.
    if (1.0 - sum).abs() > 1e-6 {
        return Err(Error::invalid_parameter(
            "weights_init",
            format!("an array with sum {sum}"),
            "weights that sum to 1",
        ));
    }
    Ok(())
}

fn check_precisions_init(prec: &Covariances<f64>, kind: CovarianceType, k: usize) -> Result<()> {
    let expected = match kind {
        CovarianceType::Full => "an array of shape (n_components, n_features, n_features)",
        CovarianceType::Tied => "an array of shape (n_features, n_features)",
        CovarianceType::Diag => "an array of shape (n_components, n_features)",
        CovarianceType::Spherical => "an array of shape (n_components,)",
    };
    let shape_error = || {
        Error::invalid_parameter(
            "precisions_init",
            format!("{} array", prec.covariance_type()),
            format!("for covariance_type='{kind}': {expected}"),
        )
    };
    if prec.covariance_type() != kind {
        return Err(shape_error());
    }
    let n_components = match prec {
        Covariances::Full(a) => a.shape()[0],
        Covariances::Tied(_) => k,
        Covariances::Diag(a) => a.nrows(),
        Covariances::Spherical(a) => a.len(),
    };
    if n_components != k {
        return Err(Error::ShapeMismatch {
            what: "precisions_init (one per component, n_components)".into(),
            expected: k,
            got: n_components,
        });
    }
    let not_pd = || {
        Error::invalid_parameter(
            "precisions_init",
            format!("a {kind} precision that is not positive definite"),
            if matches!(kind, CovarianceType::Full | CovarianceType::Tied) {
                "symmetric positive-definite matrices"
            } else {
                "positive values"
            },
        )
    };
    match prec {
        Covariances::Full(_) | Covariances::Tied(_) => {
            for m in prec.matrices() {
                let d = m.nrows();
                if m.ncols() != d {
                    return Err(shape_error());
                }
                for i in 0..d {
                    for j in 0..d {
                        let (a, b) = (m[[i, j]], m[[j, i]]);
                        // numpy.isclose's default tolerances, as scikit-learn's check.
                        if !(a.is_finite() && (a - b).abs() <= 1e-8 + 1e-5 * b.abs()) {
                            return Err(not_pd());
                        }
                    }
                }
                if cholesky_lower(&m.to_owned()).is_none() {
                    return Err(not_pd());
                }
            }
        }
        Covariances::Diag(a) => {
            if a.iter().any(|&v| !(v.is_finite() && v > 0.0)) {
                return Err(not_pd());
            }
        }
        Covariances::Spherical(a) => {
            if a.iter().any(|&v| !(v.is_finite() && v > 0.0)) {
                return Err(not_pd());
            }
        }
    }
    Ok(())
}

crate::validation::param_guard!(GaussianMixtureParams, GaussianMixtureValidParams);

/// The range checks every mixture's parameters share (scikit-learn's semantics here and
/// mclust's in `model_based.rs`): at least one component, a finite `tol >= 0`.
pub(crate) fn check_components_and_tol(n_components: usize, tol: f64) -> Result<()> {
    if n_components == 0 {
        return Err(Error::invalid_parameter(
            "n_components",
            0,
            "an integer >= 1",
        ));
    }
    if !(tol.is_finite() && tol >= 0.0) {
        return Err(Error::invalid_parameter("tol", tol, "a finite number >= 0"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array3};

    #[test]
    fn a_document_out_of_range_is_refused_with_the_check_error() {
        crate::testing::refused_out_of_range(
            &GaussianMixtureParams::new(2).check().unwrap(),
            "\"n_components\":2",
            "\"n_components\":0",
            GaussianMixtureParams::new(0).check(),
        );
    }

    #[test]
    fn defaults_follow_scikit_learn() {
        let p = GaussianMixtureParams::new(3).check().unwrap();
        assert_eq!(p.covariance_type(), CovarianceType::Full);
        assert_eq!(p.tol(), 1e-3);
        assert_eq!(p.reg_covar(), 1e-6);
        assert_eq!(p.max_iter(), 100);
        assert_eq!(p.n_init(), 1);
        assert_eq!(p.init(), GaussianMixtureInit::KMeans);
    }

    #[test]
    fn bad_parameters_are_named() {
        let cases = [
            (GaussianMixtureParams::new(0), "n_components"),
            (GaussianMixtureParams::new(2).tol(-1.0), "tol"),
            (
                GaussianMixtureParams::new(2).reg_covar(f64::NAN),
                "reg_covar",
            ),
            (GaussianMixtureParams::new(2).n_init(0), "n_init"),
            (
                GaussianMixtureParams::new(2).weights_init(array![0.5, 0.6]),
                "weights_init",
            ),
            (
                GaussianMixtureParams::new(2).weights_init(array![1.5, -0.5]),
                "weights_init",
            ),
            (
                GaussianMixtureParams::new(2)
                    .covariance_type(CovarianceType::Diag)
                    .precisions_init(Covariances::Spherical(array![1.0, 1.0])),
                "precisions_init",
            ),
            (
                GaussianMixtureParams::new(2)
                    .covariance_type(CovarianceType::Spherical)
                    .precisions_init(Covariances::Spherical(array![1.0, 0.0])),
                "precisions_init",
            ),
            (
                GaussianMixtureParams::new(1).precisions_init(Covariances::Full(
                    Array3::from_shape_vec((1, 2, 2), vec![1.0, 2.0, 2.0, 1.0]).unwrap(),
                )),
                "precisions_init",
            ),
            (
                GaussianMixtureParams::new(1).precisions_init(Covariances::Full(
                    Array3::from_shape_vec((1, 2, 2), vec![1.0, 0.5, 0.0, 1.0]).unwrap(),
                )),
                "precisions_init",
            ),
        ];
        for (params, expected) in cases {
            match params.check() {
                Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, expected),
                other => panic!("expected InvalidParameter({expected}), got {other:?}"),
            }
        }
        let wrong_rows = GaussianMixtureParams::new(3).means_init(array![[0.0, 1.0]]);
        assert!(matches!(
            wrong_rows.check(),
            Err(Error::ShapeMismatch { .. })
        ));
        let nan = GaussianMixtureParams::new(1).means_init(array![[f64::NAN, 1.0]]);
        assert!(matches!(nan.check(), Err(Error::NonFiniteValue { .. })));
    }

    #[test]
    fn names_round_trip() {
        for t in CovarianceType::ALL {
            assert_eq!(CovarianceType::from_name(t.name()).unwrap(), t);
        }
        assert!(CovarianceType::from_name("banana").is_err());
        assert_eq!(
            GaussianMixtureInit::from_name("k-means++").unwrap(),
            GaussianMixtureInit::KMeansPlusPlus
        );
        assert!(GaussianMixtureInit::from_name("kmeans++").is_err());
    }

    #[test]
    fn params_are_send_sync_and_serde() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<GaussianMixtureParams>();
        assert_send_sync::<GaussianMixtureValidParams>();
        let p = GaussianMixtureParams::new(2)
            .covariance_type(CovarianceType::Tied)
            .means_init(array![[1.0], [2.0]]);
        let back: GaussianMixtureParams =
            serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
