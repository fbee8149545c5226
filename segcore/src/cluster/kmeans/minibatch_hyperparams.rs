//! Parameters of mini-batch k-means: [`MiniBatchKMeansParams`] (scikit-learn's defaults, a
//! builder) -> [`MiniBatchKMeansValidParams`] (checked, naming the first parameter out of range)
//! -> [`MiniBatchKMeans`](super::MiniBatchKMeans) (`fit` and `partial_fit` in `minibatch.rs`).

use super::hyperparams::KMeansInit;
use super::minibatch::MiniBatchKMeans;
use crate::error::{Error, Result};
use crate::Float;
use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// Checked mini-batch k-means parameters; from [`MiniBatchKMeansParams::check`] (a document,
/// such as a saved model's, is read through the check too).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MiniBatchKMeansValidParams {
    pub(super) n_clusters: usize,
    pub(super) init: KMeansInit,
    pub(super) n_init: Option<usize>,
    pub(super) max_iter: usize,
    pub(super) batch_size: usize,
    pub(super) tol: f64,
    pub(super) max_no_improvement: Option<usize>,
    pub(super) init_size: Option<usize>,
    pub(super) reassignment_ratio: f64,
    pub(super) random_state: u64,
    pub(super) compute_labels: bool,
}

/// Mini-batch k-means parameters with scikit-learn's defaults; build, then `fit` or
/// `partial_fit`.
///
/// ```
/// use ndarray::Array2;
/// use segcore::cluster::kmeans::MiniBatchKMeansParams;
///
/// // Two well separated groups of 500 rows.
/// let x = Array2::from_shape_fn((1000, 2), |(i, f)| {
///     (i % 2) as f64 * 10.0 + ((i * 7 + f * 3) % 11) as f64 * 0.01
/// });
/// let model = MiniBatchKMeansParams::new(2).batch_size(256).random_state(3).fit(x.view(), None)?;
/// assert_ne!(model.predict(x.view())?[0], model.predict(x.view())?[1]);
///
/// // Streaming: one call per chunk; the first call initialises the centers.
/// let params = MiniBatchKMeansParams::new(2).random_state(3).check()?;
/// let mut stream = params.partial_fit(x.slice(ndarray::s![0..500, ..]), None)?;
/// stream.partial_fit(x.slice(ndarray::s![500..1000, ..]), None)?;
/// assert_eq!(stream.n_steps(), 2);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MiniBatchKMeansParams(pub(super) MiniBatchKMeansValidParams);

/// The fields of [`MiniBatchKMeansValidParams`] as a document holds them, before the check.
#[derive(Deserialize)]
#[serde(remote = "MiniBatchKMeansValidParams")]
struct UncheckedMiniBatch {
    n_clusters: usize,
    init: KMeansInit,
    n_init: Option<usize>,
    max_iter: usize,
    batch_size: usize,
    tol: f64,
    max_no_improvement: Option<usize>,
    init_size: Option<usize>,
    reassignment_ratio: f64,
    random_state: u64,
    compute_labels: bool,
}

crate::validation::deserialize_through_check!(
    MiniBatchKMeansValidParams,
    MiniBatchKMeansParams,
    UncheckedMiniBatch
);

impl MiniBatchKMeansParams {
    /// `n_clusters` clusters; k-means++, `n_init = "auto"` (1, or 3 for random init),
    /// `max_iter = 100`, `batch_size = 1024`, `tol = 0`, `max_no_improvement = Some(10)`,
    /// `init_size = None` (3 x batch size), `reassignment_ratio = 0.01`, `random_state = 0`,
    /// `compute_labels = true`.
    pub fn new(n_clusters: usize) -> Self {
        MiniBatchKMeansParams(MiniBatchKMeansValidParams {
            n_clusters,
            init: KMeansInit::KMeansPlusPlus,
            n_init: None,
            max_iter: 100,
            batch_size: 1024,
            tol: 0.0,
            max_no_improvement: Some(10),
            init_size: None,
            reassignment_ratio: 0.01,
            random_state: 0,
            compute_labels: true,
        })
    }
    /// Initialisation method.
    pub fn init(mut self, init: KMeansInit) -> Self {
        self.0.init = init;
        self
    }
    /// Number of candidate initialisations (the best on a validation draw is kept). `None` is
    /// scikit-learn's `"auto"` ([`KMeansInit::resolved_n_init`](super::KMeansInit::resolved_n_init)).
    pub fn n_init(mut self, n_init: impl Into<Option<usize>>) -> Self {
        self.0.n_init = n_init.into();
        self
    }
    crate::validation::setters! { inner:
        /// Maximum passes over the data (in batches: `max_iter * n / batch_size` steps).
        max_iter => usize,
        /// Rows per mini-batch.
        batch_size => usize,
        /// Relative tolerance on the squared center move per step (0 disables it).
        tol => f64,
        /// Steps without improvement of the smoothed batch inertia before stopping (`None`: never).
        max_no_improvement => Option<usize>,
        /// Rows drawn for each initialisation (`None`: 3 x batch size, at least 3 x n_clusters).
        init_size => Option<usize>,
        /// Fraction of the largest cluster count below which a cluster is moved to a random row.
        reassignment_ratio => f64,
        /// Seed: the same seed and data give bit-identical results on any thread count.
        random_state => u64,
        /// Whether `fit` labels every row at the end (one more pass) and `partial_fit` its batch.
        compute_labels => bool,
    }

    /// Validates the parameters on their own (data-dependent checks happen in `fit`).
    pub fn check(&self) -> Result<MiniBatchKMeansValidParams> {
        self.check_ref().cloned()
    }

    fn check_ref(&self) -> Result<&MiniBatchKMeansValidParams> {
        let p = &self.0;
        let positive = |name: &'static str, v: usize| {
            if v == 0 {
                Err(Error::invalid_parameter(name, 0, "an integer >= 1"))
            } else {
                Ok(())
            }
        };
        positive("n_clusters", p.n_clusters)?;
        positive("max_iter", p.max_iter)?;
        positive("batch_size", p.batch_size)?;
        if let Some(n) = p.n_init {
            positive("n_init", n)?;
        }
        if let Some(n) = p.init_size {
            positive("init_size", n)?;
        }
        super::hyperparams::check_tol(p.tol)?;
        if !(p.reassignment_ratio.is_finite() && p.reassignment_ratio >= 0.0) {
            return Err(Error::invalid_parameter(
                "reassignment_ratio",
                p.reassignment_ratio,
                "a finite number >= 0",
            ));
        }
        p.init.check(p.n_clusters)?;
        Ok(p)
    }

    /// Checks the parameters, then fits (see [`MiniBatchKMeansValidParams::fit`]).
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<MiniBatchKMeans<F>> {
        self.check_ref()?.fit(x, sample_weight)
    }
}

crate::validation::param_guard!(MiniBatchKMeansParams, MiniBatchKMeansValidParams);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_out_of_range_is_refused_with_the_check_error() {
        crate::testing::refused_out_of_range(
            &MiniBatchKMeansParams::new(3).check().unwrap(),
            "\"batch_size\":1024",
            "\"batch_size\":0",
            MiniBatchKMeansParams::new(3).batch_size(0).check(),
        );
        // A saved model holds its parameters: one out of range is refused when loaded.
        let x = ndarray::Array2::from_shape_fn((40, 2), |(i, f)| ((i * 7 + f) % 10) as f64);
        let model = MiniBatchKMeansParams::new(2).fit(x.view(), None).unwrap();
        let document = crate::persist::to_json(&model).unwrap();
        let tampered = document.replacen("\"batch_size\":1024", "\"batch_size\":0", 1);
        assert_ne!(tampered, document);
        match crate::persist::from_json::<MiniBatchKMeans<f64>>(&tampered) {
            Err(Error::ModelFormat { reason }) => {
                assert!(reason.contains("batch_size"), "{reason}")
            }
            other => panic!("expected a ModelFormat error, got {other:?}"),
        }
    }
}
