//! Principal component analysis with scikit-learn's numbers and conventions.
//!
//! Three solvers, chosen like scikit-learn's `svd_solver="auto"`:
//! - **covariance eigendecomposition** for tall data (the customer case, `n >= 10 d`): one parallel pass
//!   over the data builds the `d x d` scatter matrix, then a small symmetric eigendecomposition;
//! - **full SVD** of the centred data when `d` is large relative to `n`;
//! - **randomized SVD** (Halko et al.) for wide data when few components are wanted.
//!
//! Why our own instead of `linfa_reduction::Pca`: on 1M x 32 -> 8 (f64) linfa's iterative solver took
//! 3.57 s against scikit-learn's 0.139 s (`docs/performance.md`; re-measured in `benches/pca.rs`),
//! and its `explained_variance_ratio` is normalised over the kept components only. The small
//! eigendecomposition and SVD kernels of `linfa-linalg` are exact and are what we use.
//!
//! All solver arithmetic is done in f64 (float32 input is widened block by block), and the fitted
//! model is stored in the input's float type, as scikit-learn keeps float32 float32.
//!
//! Sample weights ([`PcaValidParams::fit_weighted`]; scikit-learn's PCA has none) are frequency
//! weights, as scikit-learn's `sample_weight` elsewhere: a weight of 2 counts the row twice. The
//! mean is the weighted mean `mu = sum w x / sum w`, the covariance
//! `C = sum w (x - mu)(x - mu)^T / (sum w - 1)` (numpy's `np.cov(X.T, fweights=w)` for integer
//! weights), the components its eigenvectors, `explained_variance_` its eigenvalues and
//! `singular_values_` those of the rows `sqrt(w) (x - mu)`; every solver decomposes those rows.
//! So integer weights give the fit of the repeated rows, and all-ones weights the bits of no
//! weights. `n_samples_` stays the row count. The weights must sum to more than 1.
//! The fit checks the cancellation flag ([`crate::cancel`]) between its passes over the data and
//! at every power iteration; the eigendecomposition and SVD kernels run to their end.

use crate::error::{Error, Result};
use crate::validation::{check_finite, check_matrix, check_n_features, check_sample_weight};
use crate::Float;
use linfa_linalg::eigh::{EigSort, Eigh};
use linfa_linalg::qr::QRInto;
use linfa_linalg::svd::{SVDInto, SvdSort};
use ndarray::linalg::general_mat_mul;
use ndarray::parallel::prelude::*;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// Rows per parallel work item. Fixed (never derived from the thread count) so that the reduction
/// order, and therefore every bit of the result, is the same on any number of threads.
const CHUNK_ROWS: usize = 8192;
/// Rows per cache-resident block inside a chunk: 1024 x 32 f64 = 256 KiB stays in L2 while it is
/// centred and multiplied.
const BLOCK_ROWS: usize = 1024;

/// How many components to keep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum NComponents {
    /// Keep `min(n_samples, n_features)` components (scikit-learn's `n_components=None`).
    All,
    /// Keep exactly this many components (at least 1, at most `min(n_samples, n_features)`).
    Count(usize),
    /// Keep the fewest components whose explained variance ratio sums to more than this fraction
    /// in (0, 1) (scikit-learn's `n_components=0.9`); exactly 1 keeps every component (all the
    /// variance), which scikit-learn only offers as `None`.
    VarianceFraction(f64),
}

/// Which decomposition computes the components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PcaSolver {
    /// scikit-learn's `"auto"` rule: covariance eigendecomposition when `n_features <= 1000` and
    /// `n_samples >= 10 n_features`; else full SVD when the data is small (`max(n, d) <= 500`) or
    /// a variance fraction is asked; else randomized SVD when fewer than `0.8 min(n, d)` components
    /// are wanted; else full SVD.
    Auto,
    /// Eigendecomposition of the covariance matrix built in one pass over the data.
    CovarianceEigh,
    /// Exact SVD of the centred data.
    Full,
    /// Randomized truncated SVD (seeded by `random_state`); needs a component count.
    Randomized,
}

/// PCA hyperparameters; [`PcaParams::check`] validates them, [`PcaParams::fit`] fits a [`Pca`].
///
/// ```
/// use ndarray::array;
/// use segcore::reduce::{NComponents, PcaParams};
///
/// let x = array![[1.0, 2.0, 0.5], [2.0, 4.1, 0.4], [3.0, 6.2, 0.6], [4.0, 7.9, 0.5]];
/// let pca = PcaParams::new(NComponents::Count(1)).fit(x.view())?;
/// assert_eq!(pca.components().dim(), (1, 3));
/// assert!(pca.explained_variance_ratio()[0] > 0.99);
/// let scores = pca.transform(x.view())?;
/// assert_eq!(scores.dim(), (4, 1));
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaParams {
    n_components: NComponents,
    whiten: bool,
    solver: PcaSolver,
    random_state: u64,
    n_oversamples: usize,
    iterated_power: Option<usize>,
}

/// PCA hyperparameters that passed [`PcaParams::check`] (a document is read through the check
/// too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PcaParams")]
pub struct PcaValidParams(PcaParams);

impl TryFrom<PcaParams> for PcaValidParams {
    type Error = Error;

    fn try_from(params: PcaParams) -> Result<Self> {
        params.check()
    }
}

impl PcaParams {
    /// Parameters keeping `n_components`, no whitening, `PcaSolver::Auto`, `random_state = 0`.
    pub fn new(n_components: NComponents) -> Self {
        PcaParams {
            n_components,
            whiten: false,
            solver: PcaSolver::Auto,
            random_state: 0,
            n_oversamples: 10,
            iterated_power: None,
        }
    }

    crate::validation::setters! {
        /// Scale the projected data to unit variance per component (scikit-learn's `whiten`).
        whiten => bool,
        /// Choose the solver (default [`PcaSolver::Auto`]).
        solver => PcaSolver,
        /// Seed of the randomized solver's random test matrix.
        random_state => u64,
        /// Extra random directions sampled by the randomized solver (default 10, as scikit-learn).
        n_oversamples => usize,
        /// Power iterations of the randomized solver; `None` (default) means scikit-learn's "auto":
        /// 7 when `n_components < 0.1 min(n, d)`, else 4.
        iterated_power => Option<usize>,
    }

    /// Validates the parameters that do not depend on the data.
    pub fn check(&self) -> Result<PcaValidParams> {
        match self.n_components {
            NComponents::Count(0) => {
                return Err(Error::invalid_parameter(
                    "n_components",
                    0,
                    "an integer >= 1, a variance fraction in (0, 1], or all",
                ))
            }
            NComponents::VarianceFraction(f) if !(f > 0.0 && f <= 1.0) => {
                return Err(Error::invalid_parameter(
                    "n_components",
                    f,
                    "a variance fraction in (0, 1]",
                ))
            }
            NComponents::VarianceFraction(f) if self.solver == PcaSolver::Randomized => {
                return Err(Error::invalid_parameter(
                    "n_components",
                    f,
                    "an integer number of components with solver Randomized \
                     (a variance fraction needs Full, CovarianceEigh or Auto)",
                ))
            }
            _ => {}
        }
        Ok(PcaValidParams(self.clone()))
    }

    /// Checks the parameters, then fits PCA on `x` (rows are samples).
    pub fn fit<F: Float>(&self, x: ArrayView2<F>) -> Result<Pca<F>> {
        self.check()?.fit(x)
    }

    /// Checks the parameters, then fits PCA on `x` under sample weights (see
    /// [`PcaValidParams::fit_weighted`]).
    pub fn fit_weighted<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<Pca<F>> {
        self.check()?.fit_weighted(x, sample_weight)
    }
}

impl PcaValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &PcaParams {
        &self.0
    }

    /// Fits PCA on `x` (rows are samples): validation first, then one solver, then sign convention.
    pub fn fit<F: Float>(&self, x: ArrayView2<F>) -> Result<Pca<F>> {
        self.fit_weighted(x, None)
    }

    /// [`Self::fit`] with each row weighted by `sample_weight` (frequency weights, finite,
    /// non-negative and summing to more than 1; see the module docs for the definition):
    /// integer weights give the fit of the rows repeated, all-ones weights the bits of no
    /// weights.
    ///
    /// ```
    /// use ndarray::array;
    /// use segcore::reduce::{NComponents, PcaParams};
    ///
    /// let x = array![[1.0f64, 2.0], [2.0, 4.1], [3.0, 6.2], [4.0, 7.9]];
    /// let w = array![2.0f64, 1.0, 1.0, 3.0];
    /// let weighted = PcaParams::new(NComponents::All).fit_weighted(x.view(), Some(w.view()))?;
    /// let repeated = array![[1.0, 2.0], [1.0, 2.0], [2.0, 4.1], [3.0, 6.2], [4.0, 7.9], [4.0, 7.9], [4.0, 7.9]];
    /// let plain = PcaParams::new(NComponents::All).fit(repeated.view())?;
    /// for (a, b) in weighted.explained_variance().iter().zip(plain.explained_variance()) {
    ///     assert!((a - b).abs() < 1e-12 * b.abs().max(1.0));
    /// }
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn fit_weighted<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<Pca<F>> {
        let params = &self.0;
        check_matrix(x, "X")?;
        if let Some(w) = sample_weight {
            check_sample_weight(w, x.nrows())?;
            let total: f64 = w.iter().map(|&v| to_f64(v)).sum();
            if total <= 1.0 {
                return Err(Error::InvalidWeights {
                    reason: format!(
                        "the sample weights sum to {total}; PCA needs more than 1 (they count \
                         rows: a weight of 2 is the row twice)"
                    ),
                });
            }
        }
        // Squares of values beyond 1e150 overflow f64: the eigensolver would panic on the
        // infinite covariance and the SVD iterations never converge on such values.
        if let Some(v) = x
            .iter()
            .find(|v| v.to_f64().is_some_and(|v| v.abs() > 1e150))
        {
            return Err(Error::Numerical {
                reason: format!(
                    "X has values of magnitude {:e}, beyond 1e150, whose squares overflow f64; \
                     rescale the data (e.g. StandardScaler)",
                    v.to_f64().unwrap_or(f64::INFINITY)
                ),
            });
        }
        let (n_samples, n_features) = x.dim();
        if n_samples < 2 {
            return Err(Error::EmptyInput {
                what: format!(
                    "PCA needs at least 2 samples to estimate variance, X has \
                     n_samples = {n_samples}"
                ),
            });
        }
        let max_components = n_samples.min(n_features);
        if let NComponents::Count(k) = params.n_components {
            if k > max_components {
                return Err(Error::invalid_parameter(
                    "n_components",
                    k,
                    format!("at most min(n_samples, n_features) = {max_components}"),
                ));
            }
        }
        let wanted = match params.n_components {
            NComponents::All => max_components,
            NComponents::Count(k) => k,
            NComponents::VarianceFraction(_) => max_components,
        };
        let solver = match params.solver {
            PcaSolver::Auto => auto_solver(n_samples, n_features, params.n_components, wanted),
            chosen => chosen,
        };

        let spectrum = match solver {
            PcaSolver::CovarianceEigh => covariance_eigh(x, sample_weight)?,
            PcaSolver::Full => full_svd(x, sample_weight)?,
            PcaSolver::Randomized => {
                let iterated_power = params.iterated_power.unwrap_or(
                    if (wanted as f64) < 0.1 * max_components as f64 {
                        7
                    } else {
                        4
                    },
                );
                randomized_svd(
                    x,
                    sample_weight,
                    wanted,
                    params.n_oversamples,
                    iterated_power,
                    params.random_state,
                )?
            }
            PcaSolver::Auto => unreachable!("auto_solver never returns Auto"),
        };

        Ok(self.finish(spectrum, solver, n_samples, n_features))
    }

    /// PCA from a mean and centred scatter matrix `sum (x - mean)(x - mean)^T` of `n_samples`
    /// rows (e.g. merged over the partitions of a cluster, the `partial` module): the covariance
    /// solver without the pass over X. `n_components` as in [`Self::fit`].
    pub fn fit_scatter<F: Float>(
        &self,
        n_samples: usize,
        mean: ArrayView1<f64>,
        scatter: ArrayView2<f64>,
    ) -> Result<Pca<F>> {
        self.fit_weighted_scatter(n_samples, n_samples as f64, mean, scatter)
    }

    /// [`Self::fit_scatter`] of weighted rows: `weight` is the total sample weight, `mean` the
    /// weighted mean and `scatter` `sum w (x - mean)(x - mean)^T` (the covariance divides it by
    /// `weight - 1`, as [`Self::fit_weighted`]); `n_samples` is the row count.
    pub fn fit_weighted_scatter<F: Float>(
        &self,
        n_samples: usize,
        weight: f64,
        mean: ArrayView1<f64>,
        scatter: ArrayView2<f64>,
    ) -> Result<Pca<F>> {
        let n_features = mean.len();
        if n_samples < 2 {
            return Err(Error::EmptyInput {
                what: format!(
                    "PCA needs at least 2 samples to estimate variance, X has \
                     n_samples = {n_samples}"
                ),
            });
        }
        check_n_features(scatter, n_features, "scatter matrix")?;
        let max_components = n_samples.min(n_features);
        if let NComponents::Count(k) = self.0.n_components {
            if k > max_components {
                return Err(Error::invalid_parameter(
                    "n_components",
                    k,
                    format!("at most min(n_samples, n_features) = {max_components}"),
                ));
            }
        }
        if weight.is_nan() || weight <= 1.0 {
            return Err(Error::InvalidWeights {
                reason: format!(
                    "the sample weights sum to {weight}; PCA needs more than 1 (they count rows)"
                ),
            });
        }
        let moments = Moments {
            count: n_samples,
            weight,
            mean: mean.to_owned(),
            scatter: scatter.to_owned(),
        };
        let spectrum = spectrum_of_scatter(moments)?;
        Ok(self.finish(spectrum, PcaSolver::CovarianceEigh, n_samples, n_features))
    }

    /// The fitted model from a spectrum: number of components kept, noise variance, casts.
    fn finish<F: Float>(
        &self,
        spectrum: Spectrum,
        solver: PcaSolver,
        n_samples: usize,
        n_features: usize,
    ) -> Pca<F> {
        let params = &self.0;
        let max_components = n_samples.min(n_features);
        let ratio_all: Vec<f64> = spectrum
            .explained_variance
            .iter()
            .map(|&v| {
                if spectrum.total_variance > 0.0 {
                    v / spectrum.total_variance
                } else {
                    0.0
                }
            })
            .collect();
        let available = spectrum.explained_variance.len();
        let n_components = match params.n_components {
            NComponents::All => max_components.min(available),
            NComponents::Count(k) => k.min(available),
            // All the variance: every component (the cumulative sum may round below 1).
            NComponents::VarianceFraction(fraction) if fraction >= 1.0 => available,
            NComponents::VarianceFraction(fraction) => {
                // scikit-learn: searchsorted(cumsum, fraction, side="right") + 1, so the kept
                // variance is always strictly greater than the fraction.
                let mut cumulative = 0.0;
                let below = ratio_all
                    .iter()
                    .take_while(|&&r| {
                        cumulative += r;
                        cumulative <= fraction
                    })
                    .count();
                (below + 1).min(available)
            }
        };
        let noise_variance = if spectrum.noise_from_total {
            let rank = max_components;
            if n_components < rank {
                let kept: f64 = spectrum.explained_variance.iter().take(n_components).sum();
                (spectrum.total_variance - kept) / (rank - n_components) as f64
            } else {
                0.0
            }
        } else if n_components < max_components {
            let rest = spectrum.explained_variance.slice(s![n_components..]);
            rest.sum() / rest.len() as f64
        } else {
            0.0
        };

        let cast = |v: f64| F::from_f64(v).expect("every f64 converts to f32/f64");
        Pca {
            components: spectrum.components.slice(s![..n_components, ..]).mapv(cast),
            explained_variance: spectrum
                .explained_variance
                .slice(s![..n_components])
                .mapv(cast),
            explained_variance_ratio: ratio_all[..n_components].iter().map(|&v| cast(v)).collect(),
            singular_values: spectrum
                .singular_values
                .slice(s![..n_components])
                .mapv(cast),
            mean: spectrum.mean.mapv(cast),
            noise_variance: cast(noise_variance),
            n_samples,
            whiten: params.whiten,
            solver,
        }
    }
}

/// scikit-learn 1.9's `svd_solver="auto"` rule for dense input.
fn auto_solver(
    n_samples: usize,
    n_features: usize,
    n_components: NComponents,
    wanted: usize,
) -> PcaSolver {
    let smaller = n_samples.min(n_features) as f64;
    if n_features <= 1000 && n_samples >= 10 * n_features {
        PcaSolver::CovarianceEigh
    } else if n_samples.max(n_features) <= 500 {
        PcaSolver::Full
    } else if matches!(n_components, NComponents::Count(_)) && (wanted as f64) < 0.8 * smaller {
        PcaSolver::Randomized
    } else {
        PcaSolver::Full
    }
}

/// A fitted PCA: loadings, variances and the centring mean, in the input's float type.
///
/// Signs follow scikit-learn >= 1.5 (`svd_flip(u_based_decision=False)`): in each row of
/// `components`, the entry largest in absolute value (the first one on ties) is positive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca<F> {
    components: Array2<F>,
    explained_variance: Array1<F>,
    explained_variance_ratio: Array1<F>,
    singular_values: Array1<F>,
    mean: Array1<F>,
    noise_variance: F,
    n_samples: usize,
    whiten: bool,
    solver: PcaSolver,
}

impl<F: Float> Pca<F> {
    /// Principal axes, one per row, shape `(n_components, n_features)` (scikit-learn's `components_`).
    pub fn components(&self) -> ArrayView2<'_, F> {
        self.components.view()
    }

    /// Variance of the data along each component (eigenvalues of the covariance, `ddof = 1`).
    pub fn explained_variance(&self) -> ArrayView1<'_, F> {
        self.explained_variance.view()
    }

    /// Share of the total variance (over all components, kept or not) explained by each component.
    pub fn explained_variance_ratio(&self) -> ArrayView1<'_, F> {
        self.explained_variance_ratio.view()
    }

    /// Singular values of the centred data for the kept components.
    pub fn singular_values(&self) -> ArrayView1<'_, F> {
        self.singular_values.view()
    }

    /// Per-feature mean of the training data.
    pub fn mean(&self) -> ArrayView1<'_, F> {
        self.mean.view()
    }

    /// Number of kept components.
    pub fn n_components(&self) -> usize {
        self.components.nrows()
    }

    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.components.ncols()
    }

    /// Number of samples seen at fit.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Probabilistic-PCA noise variance (scikit-learn's `noise_variance_`): the mean variance of
    /// the discarded directions, 0 when every direction is kept.
    pub fn noise_variance(&self) -> F {
        self.noise_variance
    }

    /// Whether `transform` whitens.
    pub fn whiten(&self) -> bool {
        self.whiten
    }

    /// The solver that actually ran (the resolved choice when the parameters said `Auto`).
    pub fn solver(&self) -> PcaSolver {
        self.solver
    }

    /// Per-component scale applied by whitening; tiny variances are floored at machine epsilon,
    /// as scikit-learn does, so constant directions do not divide by zero.
    fn whitening_scale(&self) -> Array1<F> {
        self.explained_variance.mapv(|v| v.sqrt().max(F::epsilon()))
    }

    /// Projects `x` onto the components: `(x - mean) @ components.T`, divided by
    /// `sqrt(explained_variance)` when whitening.
    pub fn transform(&self, x: ArrayView2<F>) -> Result<Array2<F>> {
        check_n_features(x, self.n_features(), "X at transform")?;
        check_finite(x, "X")?;
        let components_t = self.components.t();
        let mut out = Array2::<F>::zeros((x.nrows(), self.n_components()));
        out.axis_chunks_iter_mut(Axis(0), CHUNK_ROWS)
            .into_par_iter()
            .zip(x.axis_chunks_iter(Axis(0), CHUNK_ROWS).into_par_iter())
            .for_each(|(mut out_chunk, x_chunk)| {
                let centred = &x_chunk - &self.mean;
                general_mat_mul(F::one(), &centred, &components_t, F::zero(), &mut out_chunk);
            });
        if self.whiten {
            let scale = self.whitening_scale();
            out /= &scale;
        }
        Ok(out)
    }

    /// Maps component scores back to feature space: `z @ components + mean` (undoing whitening
    /// first when it was applied). With all components kept this reproduces the training data.
    pub fn inverse_transform(&self, z: ArrayView2<F>) -> Result<Array2<F>> {
        check_n_features(z, self.n_components(), "scores at inverse_transform")?;
        check_finite(z, "scores")?;
        let loadings = if self.whiten {
            let scale = self.whitening_scale();
            &self.components * &scale.insert_axis(Axis(1))
        } else {
            self.components.clone()
        };
        let mut out = Array2::<F>::zeros((z.nrows(), self.n_features()));
        out.axis_chunks_iter_mut(Axis(0), CHUNK_ROWS)
            .into_par_iter()
            .zip(z.axis_chunks_iter(Axis(0), CHUNK_ROWS).into_par_iter())
            .for_each(|(mut out_chunk, z_chunk)| {
                out_chunk.assign(&self.mean);
                general_mat_mul(F::one(), &z_chunk, &loadings, F::one(), &mut out_chunk);
            });
        Ok(out)
    }
}

/// The full decomposition in f64 before the components are cut to `n_components`.
struct Spectrum {
    mean: Array1<f64>,
    /// Rows are principal axes, sorted by decreasing variance, signs already flipped.
    components: Array2<f64>,
    explained_variance: Array1<f64>,
    singular_values: Array1<f64>,
    /// Denominator of `explained_variance_ratio`: the variance over *all* directions.
    total_variance: f64,
    /// True when `explained_variance` holds only the computed leading directions (randomized), so
    /// the noise variance is derived from `total_variance` as scikit-learn does.
    noise_from_total: bool,
}

fn to_f64<F: Float>(v: F) -> f64 {
    v.to_f64().expect("f32 and f64 always convert to f64")
}

fn linalg_error(step: &str, error: linfa_linalg::LinalgError) -> Error {
    Error::Numerical {
        reason: format!("{step} failed ({error}); try another PCA solver"),
    }
}

/// Count, total weight (the count without sample weights), mean and centred scatter matrix
/// `sum w (x - mean)(x - mean)^T` of a set of rows.
struct Moments {
    count: usize,
    weight: f64,
    mean: Array1<f64>,
    scatter: Array2<f64>,
}

impl Moments {
    fn empty(n_features: usize) -> Self {
        Moments {
            count: 0,
            weight: 0.0,
            mean: Array1::zeros(n_features),
            scatter: Array2::zeros((n_features, n_features)),
        }
    }

    /// Adds another set's count, total weight, mean and scatter with Chan et al.'s pairwise
    /// update (the total weights in place of the counts), which never subtracts two large
    /// uncentred sums (the `X^T X - n m m^T` cancellation).
    fn merge_parts(
        &mut self,
        count: usize,
        weight: f64,
        mean: ArrayView1<f64>,
        scatter: Option<&Array2<f64>>,
    ) {
        self.count += count;
        if weight <= 0.0 {
            return;
        }
        if let Some(scatter) = scatter {
            self.scatter += scatter;
        }
        if self.weight <= 0.0 {
            self.weight = weight;
            self.mean.assign(&mean);
            return;
        }
        let total = self.weight + weight;
        let delta = &mean - &self.mean;
        let between = self.weight * weight / total;
        let n = delta.len();
        for i in 0..n {
            let di = delta[i] * between;
            for j in 0..n {
                self.scatter[[i, j]] += di * delta[j];
            }
        }
        self.mean.scaled_add(weight / total, &delta);
        self.weight = total;
    }
}

/// One parallel pass over `x`: fixed row chunks, each split into cache-sized blocks that are
/// widened to f64, centred on their own (weighted) mean, scaled by `sqrt(w)` row by row under
/// sample weights, and multiplied (`B^T B`), then merged in order.
fn moments<F: Float>(x: ArrayView2<F>, weights: Option<ArrayView1<F>>) -> Moments {
    let n_features = x.ncols();
    let weight_chunks: Vec<Option<ArrayView1<F>>> = match &weights {
        Some(w) => w.axis_chunks_iter(Axis(0), CHUNK_ROWS).map(Some).collect(),
        None => vec![None; x.nrows().div_ceil(CHUNK_ROWS)],
    };
    let per_chunk: Vec<Moments> = x
        .axis_chunks_iter(Axis(0), CHUNK_ROWS)
        .into_par_iter()
        .zip(weight_chunks.into_par_iter())
        .map(|(chunk, chunk_weights)| {
            let mut acc = Moments::empty(n_features);
            let mut buffer = Array2::<f64>::zeros((BLOCK_ROWS, n_features));
            let mut block_mean = Array1::<f64>::zeros(n_features);
            for (b, block) in chunk.axis_chunks_iter(Axis(0), BLOCK_ROWS).enumerate() {
                let rows = block.nrows();
                let mut centred = buffer.slice_mut(s![..rows, ..]);
                Zip::from(&mut centred)
                    .and(&block)
                    .for_each(|out, &v| *out = to_f64(v));
                block_mean.fill(0.0);
                let Some(w) = chunk_weights else {
                    for row in centred.rows() {
                        block_mean += &row;
                    }
                    block_mean /= rows as f64;
                    centred -= &block_mean;
                    // The block's scatter goes straight into the accumulator (beta = 1); the
                    // merge below then only adds the between-means correction.
                    add_upper_scatter(centred.view(), &mut acc.scatter);
                    acc.merge_parts(rows, rows as f64, block_mean.view(), None);
                    continue;
                };
                let w = w.slice(s![b * BLOCK_ROWS..b * BLOCK_ROWS + rows]);
                let weight: f64 = w.iter().map(|&v| to_f64(v)).sum();
                if weight <= 0.0 {
                    acc.merge_parts(rows, 0.0, block_mean.view(), None);
                    continue;
                }
                for (row, &wi) in centred.rows().into_iter().zip(w) {
                    block_mean.scaled_add(to_f64(wi), &row);
                }
                block_mean /= weight;
                centred -= &block_mean;
                for (mut row, &wi) in centred.rows_mut().into_iter().zip(w) {
                    row *= to_f64(wi).sqrt();
                }
                add_upper_scatter(centred.view(), &mut acc.scatter);
                acc.merge_parts(rows, weight, block_mean.view(), None);
            }
            acc
        })
        .collect();
    let mut total = Moments::empty(n_features);
    for part in &per_chunk {
        total.merge_parts(
            part.count,
            part.weight,
            part.mean.view(),
            Some(&part.scatter),
        );
    }
    symmetrize(&mut total.scatter);
    total
}

/// Adds `B^T B` to `scatter` in its upper block triangle only: the columns are split in two halves
/// and the lower-left block product is skipped (25% fewer flops); [`symmetrize`] fills it in at
/// the end.
fn add_upper_scatter(block: ArrayView2<f64>, scatter: &mut Array2<f64>) {
    let n_features = block.ncols();
    if n_features < 8 {
        general_mat_mul(1.0, &block.t(), &block, 1.0, scatter);
        return;
    }
    let half = n_features / 2;
    let (left, right) = (block.slice(s![.., ..half]), block.slice(s![.., half..]));
    general_mat_mul(
        1.0,
        &left.t(),
        &left,
        1.0,
        &mut scatter.slice_mut(s![..half, ..half]),
    );
    general_mat_mul(
        1.0,
        &left.t(),
        &right,
        1.0,
        &mut scatter.slice_mut(s![..half, half..]),
    );
    general_mat_mul(
        1.0,
        &right.t(),
        &right,
        1.0,
        &mut scatter.slice_mut(s![half.., half..]),
    );
}

/// Copies the upper triangle onto the lower one.
fn symmetrize(matrix: &mut Array2<f64>) {
    for i in 0..matrix.nrows() {
        for j in 0..i {
            matrix[[i, j]] = matrix[[j, i]];
        }
    }
}

/// Flips each row so that its entry of largest magnitude (first on ties) is positive:
/// scikit-learn's `svd_flip(u, vt, u_based_decision=False)`.
fn flip_signs(components: &mut Array2<f64>) {
    for mut row in components.rows_mut() {
        let mut best = 0;
        for (j, &v) in row.iter().enumerate() {
            if v.abs() > row[best].abs() {
                best = j;
            }
        }
        if row[best] < 0.0 {
            row.mapv_inplace(|v| -v);
        }
    }
}

fn covariance_eigh<F: Float>(x: ArrayView2<F>, weights: Option<ArrayView1<F>>) -> Result<Spectrum> {
    let moments = moments(x, weights);
    crate::cancel::check()?;
    spectrum_of_scatter(moments)
}

/// Eigendecomposition of the covariance `scatter / (weight - 1)` (`count - 1` without weights).
fn spectrum_of_scatter(moments: Moments) -> Result<Spectrum> {
    let dof = moments.weight - 1.0;
    let mut covariance = moments.scatter;
    covariance /= dof;
    // The eigensolver cannot take infinities (it panics on them). A clear error, as
    // scikit-learn's LinAlgError, instead of an abort.
    if let Some(((i, j), _)) = covariance.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::Numerical {
            reason: format!(
                "the covariance of features {i} and {j} overflows f64; rescale the data \
                 (e.g. StandardScaler)"
            ),
        });
    }
    let (values, vectors) = covariance
        .eigh()
        .map_err(|e| linalg_error("covariance eigendecomposition", e))?
        .sort_eig_desc();
    // The covariance is positive semi-definite; rounding can make tiny eigenvalues negative.
    let explained_variance = values.mapv(|v| v.max(0.0));
    let singular_values = explained_variance.mapv(|v| (v * dof).sqrt());
    let mut components = vectors.reversed_axes().as_standard_layout().to_owned();
    flip_signs(&mut components);
    let total_variance = explained_variance.sum();
    Ok(Spectrum {
        mean: moments.mean,
        components,
        explained_variance,
        singular_values,
        total_variance,
        noise_from_total: false,
    })
}

/// Centred f64 copy of `x` (the SVD solvers need the centred matrix itself; under sample
/// weights its rows are scaled by `sqrt(w)`), the mean and the degrees of freedom of the
/// covariance (`sum w - 1`, `n - 1` without weights); checks the cancellation flag after each of
/// its two passes.
fn centred_copy<F: Float>(
    x: ArrayView2<F>,
    weights: Option<ArrayView1<F>>,
) -> Result<(Array2<f64>, Array1<f64>, f64)> {
    let Moments { mean, weight, .. } = moments(x, weights);
    crate::cancel::check()?;
    let mut centred = x.mapv(to_f64);
    centred
        .axis_chunks_iter_mut(Axis(0), CHUNK_ROWS)
        .into_par_iter()
        .for_each(|mut chunk| chunk -= &mean);
    if let Some(w) = weights {
        Zip::from(centred.rows_mut())
            .and(&w)
            .par_for_each(|mut row, &wi| row *= to_f64(wi).sqrt());
    }
    crate::cancel::check()?;
    Ok((centred, mean, weight - 1.0))
}

fn full_svd<F: Float>(x: ArrayView2<F>, weights: Option<ArrayView1<F>>) -> Result<Spectrum> {
    let (centred, mean, dof) = centred_copy(x, weights)?;
    let (_, singular_values, vt) = centred
        .svd_into(false, true)
        .map_err(|e| linalg_error("SVD", e))?
        .sort_svd_desc();
    let mut components = vt.expect("svd_into(_, true) returns Vt");
    flip_signs(&mut components);
    let explained_variance = singular_values.mapv(|s| s * s / dof);
    let total_variance = explained_variance.sum();
    Ok(Spectrum {
        mean,
        components,
        explained_variance,
        singular_values,
        total_variance,
        noise_from_total: false,
    })
}

/// Orthonormal basis of the columns of `y` (thin Householder QR).
fn orthonormal_basis(y: Array2<f64>) -> Result<Array2<f64>> {
    Ok(y.qr_into()
        .map_err(|e| linalg_error("QR in the randomized range finder", e))?
        .generate_q())
}

/// Randomized truncated SVD of the centred data (Halko, Martinsson & Tropp 2011, algorithm 4.4),
/// re-orthonormalising with QR after every product for stability.
fn randomized_svd<F: Float>(
    x: ArrayView2<F>,
    weights: Option<ArrayView1<F>>,
    n_components: usize,
    n_oversamples: usize,
    iterated_power: usize,
    seed: u64,
) -> Result<Spectrum> {
    let (n_samples, n_features) = x.dim();
    let (centred, mean, dof) = centred_copy(x, weights)?;
    let sketch = (n_components + n_oversamples).min(n_samples.min(n_features));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let test_matrix =
        Array2::from_shape_simple_fn((n_features, sketch), || standard_normal(&mut rng));
    let mut basis = orthonormal_basis(centred.dot(&test_matrix))?;
    for _ in 0..iterated_power {
        // Each power iteration is two passes over the data.
        crate::cancel::check()?;
        let row_basis = orthonormal_basis(centred.t().dot(&basis))?;
        basis = orthonormal_basis(centred.dot(&row_basis))?;
    }
    crate::cancel::check()?;
    let projected = basis.t().dot(&centred);
    let (_, singular_values, vt) = projected
        .svd_into(false, true)
        .map_err(|e| linalg_error("SVD of the randomized sketch", e))?
        .sort_svd_desc();
    let vt = vt.expect("svd_into(_, true) returns Vt");
    let mut components = vt.slice(s![..n_components, ..]).to_owned();
    flip_signs(&mut components);
    let singular_values = singular_values.slice(s![..n_components]).to_owned();
    let explained_variance = singular_values.mapv(|s| s * s / dof);
    let total_variance = centred.iter().map(|v| v * v).sum::<f64>() / dof;
    Ok(Spectrum {
        mean,
        components,
        explained_variance,
        singular_values,
        total_variance,
        noise_from_total: true,
    })
}

/// One standard normal draw (the first of a Box-Muller pair).
fn standard_normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    let u1: f64 = 1.0 - rng.r#gen::<f64>(); // in (0, 1], so the log is finite
    let u2: f64 = rng.r#gen::<f64>();
    crate::numeric::box_muller(u1, u2).0
}

impl<F: Float + Serialize + serde::de::DeserializeOwned> crate::persist::SavedModel for Pca<F> {
    /// `"pca-f64"` or `"pca-f32"`.
    fn kind() -> String {
        format!("pca-{}", std::any::type_name::<F>())
    }

    fn validate(&self) -> Result<()> {
        use crate::persist::invalid;
        let (k, d) = self.components.dim();
        if k == 0 || d == 0 || self.mean.len() != d {
            return Err(invalid("PCA", "components and mean do not agree"));
        }
        if [
            self.explained_variance.len(),
            self.explained_variance_ratio.len(),
            self.singular_values.len(),
        ]
        .iter()
        .any(|&len| len != k)
        {
            return Err(invalid(
                "PCA",
                "one variance and singular value per component expected",
            ));
        }
        let values = self
            .components
            .iter()
            .chain(&self.explained_variance)
            .chain(&self.explained_variance_ratio)
            .chain(&self.singular_values)
            .chain(&self.mean);
        if !values.into_iter().all(|v| v.is_finite()) || !self.noise_variance.is_finite() {
            return Err(invalid("PCA", "a value is not finite"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_out_of_range_is_refused_with_the_check_error() {
        crate::testing::refused_out_of_range(
            &PcaParams::new(NComponents::Count(2)).check().unwrap(),
            "{\"Count\":2}",
            "{\"Count\":0}",
            PcaParams::new(NComponents::Count(0)).check(),
        );
    }
    use ndarray::{array, Array2};

    /// Correlated test data: a fixed rank-3 structure plus small noise, not centred.
    fn sample_data(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let factors = Array2::from_shape_simple_fn((n, 3), || standard_normal(&mut rng));
        let loadings = Array2::from_shape_simple_fn((3, d), || standard_normal(&mut rng));
        let noise = Array2::from_shape_simple_fn((n, d), || 0.1 * standard_normal(&mut rng));
        let offset = Array1::from_shape_fn(d, |j| 5.0 + j as f64);
        factors.dot(&loadings) * Array1::from_shape_fn(d, |j| 1.0 + j as f64 * 0.3) + noise + offset
    }

    /// Brute-force covariance (two passes, textbook formula).
    fn covariance_reference(x: &Array2<f64>) -> Array2<f64> {
        let mean = x.mean_axis(Axis(0)).unwrap();
        let c = x - &mean;
        c.t().dot(&c) / (x.nrows() - 1) as f64
    }

    fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
        assert!((a - b).abs() <= tol * (1.0 + b.abs()), "{what}: {a} vs {b}");
    }

    /// [`assert_close`] entry by entry.
    fn assert_all_close(a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>, tol: f64, what: &str) {
        assert_eq!(a.len(), b.len(), "{what}");
        for (&a, &b) in a.iter().zip(&b) {
            assert_close(a, b, tol, what);
        }
    }

    #[test]
    fn one_pass_moments_match_two_pass_covariance_across_chunks() {
        // 20_000 rows span three parallel chunks and many blocks with a ragged tail.
        let x = sample_data(20_003, 5, 1);
        let m = moments(x.view(), None);
        let reference = covariance_reference(&x);
        let cov = m.scatter / (x.nrows() - 1) as f64;
        for (a, b) in cov.iter().zip(reference.iter()) {
            assert_close(*a, *b, 1e-11, "covariance");
        }
        let mean = x.mean_axis(Axis(0)).unwrap();
        for (a, b) in m.mean.iter().zip(mean.iter()) {
            assert_close(*a, *b, 1e-12, "mean");
        }
    }

    #[test]
    fn integer_weights_equal_repeated_rows_on_every_solver() {
        let x = sample_data(600, 5, 12);
        let w = Array1::from_shape_fn(600, |i| (i % 4) as f64); // zeros included
        let repeated = Array2::from_shape_vec(
            (w.sum() as usize, 5),
            x.rows()
                .into_iter()
                .zip(&w)
                .flat_map(|(row, &wi)| std::iter::repeat_n(row.to_vec(), wi as usize).flatten())
                .collect(),
        )
        .unwrap();
        for solver in [
            PcaSolver::CovarianceEigh,
            PcaSolver::Full,
            PcaSolver::Randomized,
        ] {
            let params = PcaParams::new(NComponents::Count(3)).solver(solver);
            let weighted = params.fit_weighted(x.view(), Some(w.view())).unwrap();
            let plain = params.fit(repeated.view()).unwrap();
            for (a, b) in weighted.mean().iter().zip(plain.mean()) {
                assert_close(*a, *b, 1e-12, "weighted mean");
            }
            for (a, b) in weighted
                .explained_variance()
                .iter()
                .zip(plain.explained_variance())
            {
                assert_close(*a, *b, 1e-9, "weighted variance");
            }
            for (a, b) in weighted
                .singular_values()
                .iter()
                .zip(plain.singular_values())
            {
                assert_close(*a, *b, 1e-9, "weighted singular value");
            }
            for (a, b) in weighted.components().iter().zip(plain.components()) {
                assert_close(*a, *b, 1e-7, "weighted loading");
            }
            assert_close(
                weighted.noise_variance(),
                plain.noise_variance(),
                1e-8,
                "noise",
            );
            assert_eq!(weighted.n_samples(), 600);
            // All-ones weights: the bits of no weights.
            let ones = Array1::<f64>::ones(600);
            assert_eq!(
                params.fit_weighted(x.view(), Some(ones.view())).unwrap(),
                params.fit(x.view()).unwrap()
            );
        }
        // The weights must count more than one row, and be valid weights.
        let tiny = Array1::from_elem(600, 1e-4);
        let err = PcaParams::new(NComponents::All)
            .fit_weighted(x.view(), Some(tiny.view()))
            .unwrap_err();
        assert!(matches!(err, Error::InvalidWeights { .. }), "{err}");
        let mut negative = Array1::<f64>::ones(600);
        negative[7] = -1.0;
        let err = PcaParams::new(NComponents::All)
            .fit_weighted(x.view(), Some(negative.view()))
            .unwrap_err();
        assert!(err.to_string().contains("row 7"), "{err}");
    }

    #[test]
    fn weighted_fit_does_not_depend_on_thread_count() {
        let x = sample_data(30_000, 6, 13);
        let w = Array1::from_shape_fn(30_000, |i| 0.5 + (i % 7) as f64 * 0.25);
        let fit_with = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    PcaParams::new(NComponents::Count(3))
                        .fit_weighted(x.view(), Some(w.view()))
                        .unwrap()
                })
        };
        assert_eq!(fit_with(1), fit_with(3));
    }

    #[test]
    fn solvers_agree_and_components_are_orthonormal() {
        let x = sample_data(400, 6, 2);
        let eigh = PcaParams::new(NComponents::All)
            .solver(PcaSolver::CovarianceEigh)
            .fit(x.view())
            .unwrap();
        let full = PcaParams::new(NComponents::All)
            .solver(PcaSolver::Full)
            .fit(x.view())
            .unwrap();
        assert_eq!(eigh.n_components(), 6);
        let gram = full.components().dot(&full.components().t());
        for i in 0..6 {
            for j in 0..6 {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!(
                    (gram[[i, j]] - expected).abs() < 1e-12,
                    "gram[{i},{j}] = {}",
                    gram[[i, j]]
                );
            }
        }
        assert_all_close(
            eigh.explained_variance(),
            full.explained_variance(),
            1e-9,
            "variance",
        );
        assert_all_close(
            eigh.singular_values(),
            full.singular_values(),
            1e-9,
            "singular",
        );
        // Leading (well separated) components agree including sign, thanks to the sign convention.
        for i in 0..3 {
            for j in 0..6 {
                assert_close(
                    eigh.components()[[i, j]],
                    full.components()[[i, j]],
                    1e-8,
                    "loading",
                );
            }
        }
        let ratio_sum: f64 = full.explained_variance_ratio().sum();
        assert!((ratio_sum - 1.0).abs() < 1e-12);
        // Variances equal the eigenvalues of the brute-force covariance: their sum is its trace.
        let trace: f64 = covariance_reference(&x).diag().sum();
        assert_close(full.explained_variance().sum(), trace, 1e-12, "trace");
    }

    #[test]
    fn sign_convention_makes_largest_loading_positive() {
        let x = sample_data(300, 5, 3);
        for solver in [
            PcaSolver::CovarianceEigh,
            PcaSolver::Full,
            PcaSolver::Randomized,
        ] {
            let pca = PcaParams::new(NComponents::Count(3))
                .solver(solver)
                .fit(x.view())
                .unwrap();
            for row in pca.components().rows() {
                let largest =
                    row.iter()
                        .cloned()
                        .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
                assert!(largest > 0.0, "{solver:?}: {row}");
            }
        }
    }

    #[test]
    fn reconstruction_with_all_components_is_exact() {
        let x = sample_data(200, 7, 4);
        for whiten in [false, true] {
            for solver in [PcaSolver::CovarianceEigh, PcaSolver::Full] {
                let pca = PcaParams::new(NComponents::All)
                    .solver(solver)
                    .whiten(whiten)
                    .fit(x.view())
                    .unwrap();
                let back = pca
                    .inverse_transform(pca.transform(x.view()).unwrap().view())
                    .unwrap();
                for (a, b) in back.iter().zip(x.iter()) {
                    assert_close(*a, *b, 1e-10, "reconstruction");
                }
            }
        }
    }

    #[test]
    fn whitened_scores_have_unit_variance() {
        let x = sample_data(500, 4, 5);
        let pca = PcaParams::new(NComponents::Count(3))
            .whiten(true)
            .fit(x.view())
            .unwrap();
        let z = pca.transform(x.view()).unwrap();
        for column in z.columns() {
            let mean = column.sum() / 500.0;
            let variance = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 499.0;
            assert!(mean.abs() < 1e-10);
            assert_close(variance, 1.0, 1e-10, "whitened variance");
        }
    }

    #[test]
    fn wide_data_full_and_randomized_agree_on_leading_components() {
        // 60 samples x 700 features: Auto picks randomized for 3 components.
        let x = sample_data(60, 700, 6);
        let auto = PcaParams::new(NComponents::Count(3)).fit(x.view()).unwrap();
        assert_eq!(auto.solver(), PcaSolver::Randomized);
        let full = PcaParams::new(NComponents::Count(3))
            .solver(PcaSolver::Full)
            .fit(x.view())
            .unwrap();
        assert_all_close(
            auto.explained_variance(),
            full.explained_variance(),
            1e-8,
            "variance",
        );
        assert_all_close(
            auto.explained_variance_ratio(),
            full.explained_variance_ratio(),
            1e-8,
            "ratio",
        );
        for i in 0..3 {
            for j in 0..700 {
                assert!((auto.components()[[i, j]] - full.components()[[i, j]]).abs() < 1e-6);
            }
        }
        assert_close(
            auto.noise_variance(),
            full.noise_variance(),
            1e-6,
            "noise variance",
        );
        // Same seed, same bits.
        let again = PcaParams::new(NComponents::Count(3)).fit(x.view()).unwrap();
        assert_eq!(auto, again);
    }

    #[test]
    fn variance_fraction_keeps_fewest_components_above_it() {
        let x = sample_data(300, 6, 7);
        let all = PcaParams::new(NComponents::All).fit(x.view()).unwrap();
        let ratio = all.explained_variance_ratio();
        let fraction = 0.5 * (ratio[0] + ratio[0] + ratio[1]); // between cumsum[0] and cumsum[1]
        let pca = PcaParams::new(NComponents::VarianceFraction(fraction))
            .fit(x.view())
            .unwrap();
        assert_eq!(pca.n_components(), 2);
        // Exactly the cumulative value: "right" side, so one more component is kept.
        let pca = PcaParams::new(NComponents::VarianceFraction(ratio[0]))
            .fit(x.view())
            .unwrap();
        assert_eq!(pca.n_components(), 2);
    }

    #[test]
    fn float32_input_gives_float32_model_close_to_float64() {
        let x = sample_data(1000, 5, 8);
        let x32 = x.mapv(|v| v as f32);
        let p64 = PcaParams::new(NComponents::Count(2))
            .fit(x32.mapv(|v| v as f64).view())
            .unwrap();
        let p32: Pca<f32> = PcaParams::new(NComponents::Count(2))
            .fit(x32.view())
            .unwrap();
        for (a, b) in p32
            .explained_variance()
            .iter()
            .zip(p64.explained_variance().iter())
        {
            assert_close(*a as f64, *b, 1e-6, "f32 variance");
        }
        assert_eq!(p32.transform(x32.view()).unwrap().dim(), (1000, 2));
    }

    #[test]
    fn overflowing_values_are_an_error_not_a_panic() {
        let x = sample_data(200, 4, 9).mapv(|v| v * 1e160);
        for solver in [PcaSolver::Auto, PcaSolver::Full, PcaSolver::Randomized] {
            let fitted = PcaParams::new(NComponents::Count(2))
                .solver(solver)
                .fit(x.view());
            assert!(matches!(fitted, Err(Error::Numerical { .. })), "{fitted:?}");
        }
    }

    #[test]
    fn rejects_bad_parameters_and_inputs() {
        let x = sample_data(20, 4, 9);
        let name = |r: Result<Pca<f64>>| match r {
            Err(Error::InvalidParameter { name, .. }) => name,
            other => panic!("expected InvalidParameter, got {other:?}"),
        };
        assert_eq!(
            name(PcaParams::new(NComponents::Count(0)).fit(x.view())),
            "n_components"
        );
        assert_eq!(
            name(PcaParams::new(NComponents::Count(5)).fit(x.view())),
            "n_components"
        );
        assert_eq!(
            name(PcaParams::new(NComponents::VarianceFraction(1.5)).fit(x.view())),
            "n_components"
        );
        let all = PcaParams::new(NComponents::VarianceFraction(1.0))
            .fit(x.view())
            .unwrap();
        assert_eq!(
            all.components().nrows(),
            PcaParams::new(NComponents::All)
                .fit(x.view())
                .unwrap()
                .components()
                .nrows()
        );
        assert_eq!(
            name(PcaParams::new(NComponents::VarianceFraction(f64::NAN)).fit(x.view())),
            "n_components"
        );
        assert_eq!(
            name(
                PcaParams::new(NComponents::VarianceFraction(0.9))
                    .solver(PcaSolver::Randomized)
                    .fit(x.view())
            ),
            "n_components"
        );
        let one_row = array![[1.0, 2.0]];
        assert!(matches!(
            PcaParams::new(NComponents::All).fit(one_row.view()),
            Err(Error::EmptyInput { .. })
        ));
        let mut bad = x.clone();
        bad[[3, 2]] = f64::NAN;
        assert!(matches!(
            PcaParams::new(NComponents::All).fit(bad.view()),
            Err(Error::NonFiniteValue {
                row: 3,
                column: 2,
                ..
            })
        ));
        let pca = PcaParams::new(NComponents::Count(2)).fit(x.view()).unwrap();
        assert!(matches!(
            pca.transform(array![[1.0, 2.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            pca.inverse_transform(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn a_raised_cancellation_flag_stops_every_solver() {
        use crate::cancel::{with_flag, CancelFlag};
        let x = sample_data(200, 6, 3);
        let flag = CancelFlag::new();
        flag.cancel();
        for solver in [
            PcaSolver::CovarianceEigh,
            PcaSolver::Full,
            PcaSolver::Randomized,
        ] {
            let fitted = with_flag(&flag, || {
                PcaParams::new(NComponents::Count(2))
                    .solver(solver)
                    .fit(x.view())
            });
            assert!(matches!(fitted, Err(Error::Cancelled)), "{solver:?}");
        }
    }

    #[test]
    fn result_does_not_depend_on_thread_count() {
        let x = sample_data(30_000, 6, 10);
        let fit_with = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| PcaParams::new(NComponents::Count(3)).fit(x.view()).unwrap())
        };
        assert_eq!(fit_with(1), fit_with(3));
    }

    #[test]
    fn model_round_trips_through_serde() {
        let x = sample_data(50, 3, 11);
        let pca = PcaParams::new(NComponents::Count(2))
            .whiten(true)
            .fit(x.view())
            .unwrap();
        let json = serde_json::to_string(&pca).unwrap();
        let back: Pca<f64> = serde_json::from_str(&json).unwrap();
        assert_eq!(pca, back);
    }

    #[test]
    fn params_and_models_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PcaParams>();
        assert_send_sync::<PcaValidParams>();
        assert_send_sync::<Pca<f32>>();
        assert_send_sync::<Pca<f64>>();
    }
}
