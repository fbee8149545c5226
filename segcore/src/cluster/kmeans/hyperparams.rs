//! k-means parameters: builder -> checked parameters.

use crate::error::{Error, Result};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// How the first centers are chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KMeansInit {
    /// Greedy k-means++ (scikit-learn's `"k-means++"`): each new center is the best of
    /// `2 + ln(k)` candidates drawn with probability proportional to weight x squared distance.
    KMeansPlusPlus,
    /// k distinct rows drawn at random, with probability proportional to their weight.
    Random,
    /// Explicit starting centers, one row per cluster (`n_clusters` x `n_features`). Cluster `j`
    /// of the fitted model is the one started from row `j`.
    Centers(Array2<f64>),
}

impl KMeansInit {
    /// Parses scikit-learn's name of a drawn start (`"k-means++"`, `"random"`); explicit centers
    /// are [`KMeansInit::Centers`].
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "k-means++" => Ok(KMeansInit::KMeansPlusPlus),
            "random" => Ok(KMeansInit::Random),
            other => Err(Error::invalid_parameter(
                "init",
                format!("'{other}'"),
                "'k-means++', 'random' or an array of shape (n_clusters, n_features)",
            )),
        }
    }

    /// Explicit centers: one finite row per cluster.
    pub(super) fn check(&self, n_clusters: usize) -> Result<()> {
        if let KMeansInit::Centers(centers) = self {
            if centers.nrows() != n_clusters {
                return Err(Error::ShapeMismatch {
                    what: "init centers (one row per cluster, n_clusters)".into(),
                    expected: n_clusters,
                    got: centers.nrows(),
                });
            }
            crate::validation::check_matrix(centers.view(), "init centers")?;
        }
        Ok(())
    }

    /// scikit-learn's `n_init` rule, written once: the requested count, or for `"auto"`
    /// (`None`) one run of k-means++ and `random_runs` runs of random rows (10 for k-means, 3
    /// for mini-batch k-means). Explicit centers always run once.
    pub fn resolved_n_init(&self, n_init: Option<usize>, random_runs: usize) -> usize {
        match (self, n_init) {
            (KMeansInit::Centers(_), _) => 1,
            (_, Some(n)) => n,
            (KMeansInit::KMeansPlusPlus, None) => 1,
            (KMeansInit::Random, None) => random_runs,
        }
    }
}

/// Which exact k-means iteration to run. All give the same result up to floating-point
/// rounding in near-ties; they differ in speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KMeansAlgorithm {
    /// Plain Lloyd: every iteration computes the distance of every row to every center
    /// (scikit-learn's `"lloyd"`).
    Lloyd,
    /// Hamerly's bounds (one upper and one lower bound per row, O(n) memory): rows whose bounds
    /// prove the label cannot change skip the distance computation. Fills the role of
    /// scikit-learn's `"elkan"` (which keeps n x k bounds) within O(n) extra memory, so the
    /// binding maps `"elkan"` to it.
    #[serde(alias = "elkan")]
    Hamerly,
    /// Pick by problem size (see [`KMeansAlgorithm::resolve`]).
    Auto,
}

impl KMeansAlgorithm {
    /// Parses scikit-learn's name (`"lloyd"`, `"elkan"`), ours (`"hamerly"`) or `"auto"`.
    /// Hamerly fills scikit-learn's `"elkan"` role (bounds that skip distance work) in O(n)
    /// memory.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "lloyd" => Ok(KMeansAlgorithm::Lloyd),
            "elkan" | "hamerly" => Ok(KMeansAlgorithm::Hamerly),
            "auto" => Ok(KMeansAlgorithm::Auto),
            other => Err(Error::invalid_parameter(
                "algorithm",
                format!("'{other}'"),
                "one of 'lloyd', 'elkan', 'hamerly', 'auto'",
            )),
        }
    }

    /// The concrete algorithm `Auto` stands for: currently always Lloyd.
    ///
    /// Measured with `benches/compare_kmeans.py` (1M x 16, k = 8, 20 iterations, 2 threads,
    /// overlapping clusters, alternating pairs on a shared machine at load average ~11): Lloyd's
    /// register-blocked kernel 84 ms/iteration (31 ms CPU), Hamerly 327 ms (128 ms CPU) and 2.8x
    /// the extra memory (two bounds per row). Most bounds fail on overlapping data, and a row
    /// whose bounds fail costs Hamerly a full pass over the k centers outside the blocked kernel,
    /// while Lloyd's pass is already within ~3x of the memory-bandwidth floor. Hamerly only wins
    /// on well separated segments after the first iterations, which `Auto` cannot know in
    /// advance; ask for it explicitly there.
    pub fn resolve(self, _n_features: usize, _n_clusters: usize) -> KMeansAlgorithm {
        match self {
            KMeansAlgorithm::Auto => KMeansAlgorithm::Lloyd,
            other => other,
        }
    }
}

/// Checked k-means parameters; obtained from [`KMeansParams::check`], consumed by `fit`; a
/// document is read through the check too.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KMeansValidParams {
    pub(crate) n_clusters: usize,
    pub(crate) init: KMeansInit,
    pub(crate) n_init: Option<usize>,
    pub(crate) max_iter: usize,
    pub(crate) tol: f64,
    pub(crate) random_state: u64,
    pub(crate) algorithm: KMeansAlgorithm,
}

impl KMeansValidParams {
    /// Number of clusters k.
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }
    /// Initialisation method.
    pub fn init(&self) -> &KMeansInit {
        &self.init
    }
    /// Number of restarts actually run: the explicit value, or scikit-learn's `"auto"`
    /// (1 for k-means++ and explicit centers, 10 for random). Explicit centers always run once.
    pub fn effective_n_init(&self) -> usize {
        self.init.resolved_n_init(self.n_init, 10)
    }
    /// Requested number of restarts (`None` = `"auto"`).
    pub fn n_init(&self) -> Option<usize> {
        self.n_init
    }
    /// Maximum Lloyd iterations per restart.
    pub fn max_iter(&self) -> usize {
        self.max_iter
    }
    /// Relative tolerance: iterations stop once the summed squared center shift is
    /// `<= tol * mean(var(X, axis=0))`, as in scikit-learn.
    pub fn tol(&self) -> f64 {
        self.tol
    }
    /// Seed of the random number generator.
    pub fn random_state(&self) -> u64 {
        self.random_state
    }
    /// Iteration algorithm (possibly `Auto`).
    pub fn algorithm(&self) -> KMeansAlgorithm {
        self.algorithm
    }
}

/// k-means parameters with scikit-learn's defaults; build with the methods, then `fit`.
///
/// Bad input, checked before any work: `n_clusters = 0` and other out-of-range parameters give
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the parameter; more
/// clusters than rows gives [`Error::TooManyClusters`](crate::Error::TooManyClusters); NaN/inf
/// gives [`Error::NonFiniteValue`](crate::Error::NonFiniteValue) with its row and column;
/// negative, NaN or all-zero weights give [`Error::InvalidWeights`](crate::Error::InvalidWeights).
/// More clusters than *distinct* rows is not an error (as in scikit-learn): the fit succeeds,
/// some clusters stay empty or share a point, and [`KMeans::warnings`](super::KMeans::warnings)
/// records "Number of distinct clusters (m) found smaller than n_clusters (k)" (a
/// `ConvergenceWarning` in Python). Fortran-ordered and strided views are read in place, row by
/// row, without a copy (only non-contiguous weights are copied, O(n)).
///
/// ```
/// use ndarray::array;
/// use segcore::cluster::kmeans::{KMeansParams, KMeansInit};
///
/// let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
/// let model = KMeansParams::new(2).random_state(7).fit(x.view(), None)?;
/// assert_eq!(model.labels()[0], model.labels()[1]);
/// assert_ne!(model.labels()[0], model.labels()[2]);
/// assert!(model.inertia() < 0.02);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KMeansParams(pub(crate) KMeansValidParams);

/// The fields of [`KMeansValidParams`] as a document holds them, before the check.
#[derive(Deserialize)]
#[serde(remote = "KMeansValidParams")]
struct UncheckedKMeans {
    n_clusters: usize,
    init: KMeansInit,
    n_init: Option<usize>,
    max_iter: usize,
    tol: f64,
    random_state: u64,
    algorithm: KMeansAlgorithm,
}

crate::validation::deserialize_through_check!(KMeansValidParams, KMeansParams, UncheckedKMeans);

impl KMeansParams {
    /// `n_clusters` clusters; k-means++, `n_init = "auto"`, `max_iter = 300`, `tol = 1e-4`,
    /// `random_state = 0`, `algorithm = Auto`.
    pub fn new(n_clusters: usize) -> Self {
        KMeansParams(KMeansValidParams {
            n_clusters,
            init: KMeansInit::KMeansPlusPlus,
            n_init: None,
            max_iter: 300,
            tol: 1e-4,
            random_state: 0,
            algorithm: KMeansAlgorithm::Auto,
        })
    }
    /// Number of restarts with different seeds; the lowest inertia wins. `None` is
    /// scikit-learn's `"auto"` ([`KMeansInit::resolved_n_init`](super::KMeansInit::resolved_n_init)).
    pub fn n_init(mut self, n_init: impl Into<Option<usize>>) -> Self {
        self.0.n_init = n_init.into();
        self
    }
    crate::validation::setters! { inner:
        /// Maximum iterations per restart.
        max_iter => usize,
        /// Relative tolerance (see [`KMeansValidParams::tol`]).
        tol => f64,
        /// Seed: the same seed and data give bit-identical results on any thread count.
        random_state => u64,
        /// Initialisation method.
        init => KMeansInit,
        /// Iteration algorithm.
        algorithm => KMeansAlgorithm,
    }

    /// Validates the parameters on their own (data-dependent checks happen in `fit`).
    pub fn check(&self) -> Result<KMeansValidParams> {
        self.check_ref().cloned()
    }

    pub(crate) fn check_ref(&self) -> Result<&KMeansValidParams> {
        let p = &self.0;
        if p.n_clusters == 0 {
            return Err(Error::invalid_parameter("n_clusters", 0, "an integer >= 1"));
        }
        if let Some(n) = p.n_init {
            if n == 0 {
                return Err(Error::invalid_parameter("n_init", 0, "an integer >= 1"));
            }
        }
        if p.max_iter == 0 {
            return Err(Error::invalid_parameter("max_iter", 0, "an integer >= 1"));
        }
        check_tol(p.tol)?;
        p.init.check(p.n_clusters)?;
        Ok(p)
    }
}

/// The convergence tolerance of both k-means: finite and >= 0.
pub(super) fn check_tol(tol: f64) -> Result<()> {
    if tol.is_finite() && tol >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid_parameter("tol", tol, "a finite number >= 0"))
    }
}

crate::validation::param_guard!(KMeansParams, KMeansValidParams);

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_document_out_of_range_is_refused_with_the_check_error() {
        crate::testing::refused_out_of_range(
            &KMeansParams::new(3).check().unwrap(),
            "\"n_clusters\":3",
            "\"n_clusters\":0",
            KMeansParams::new(0).check(),
        );
        // The builder reads any values; its check refuses them.
        let unchecked: KMeansParams =
            serde_json::from_str(&serde_json::to_string(&KMeansParams::new(0)).unwrap()).unwrap();
        assert_eq!(unchecked, KMeansParams::new(0));
    }

    #[test]
    fn defaults_follow_scikit_learn() {
        let p = KMeansParams::new(3).check().unwrap();
        assert_eq!(p.max_iter(), 300);
        assert_eq!(p.tol(), 1e-4);
        assert_eq!(p.effective_n_init(), 1);
        let p = KMeansParams::new(3)
            .init(KMeansInit::Random)
            .check()
            .unwrap();
        assert_eq!(p.effective_n_init(), 10);
    }

    #[test]
    fn bad_parameters_are_named() {
        let cases = [
            (KMeansParams::new(0), "n_clusters"),
            (KMeansParams::new(2).n_init(0), "n_init"),
            (KMeansParams::new(2).max_iter(0), "max_iter"),
            (KMeansParams::new(2).tol(-1.0), "tol"),
            (KMeansParams::new(2).tol(f64::NAN), "tol"),
        ];
        for (params, expected) in cases {
            match params.check() {
                Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, expected),
                other => panic!("expected InvalidParameter({expected}), got {other:?}"),
            }
        }
        let wrong_rows = KMeansParams::new(3).init(KMeansInit::Centers(array![[0.0, 1.0]]));
        assert!(matches!(
            wrong_rows.check(),
            Err(Error::ShapeMismatch { .. })
        ));
        let nan = KMeansParams::new(1).init(KMeansInit::Centers(array![[f64::NAN, 1.0]]));
        assert!(matches!(nan.check(), Err(Error::NonFiniteValue { .. })));
    }

    #[test]
    fn serde_round_trip_and_elkan_alias() {
        let p = KMeansParams::new(4).init(KMeansInit::Centers(array![[1.0], [2.0], [3.0], [4.0]]));
        let json = serde_json::to_string(&p).unwrap();
        let back: KMeansParams = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        let a: KMeansAlgorithm = serde_json::from_str("\"elkan\"").unwrap();
        assert_eq!(a, KMeansAlgorithm::Hamerly);
        let a: KMeansAlgorithm = serde_json::from_str("\"lloyd\"").unwrap();
        assert_eq!(a, KMeansAlgorithm::Lloyd);
    }

    #[test]
    fn params_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KMeansParams>();
        assert_send_sync::<KMeansValidParams>();
    }
}
