//! Choosing the number of segments: evaluate every k of a range with several validity criteria,
//! and recommend one k with the evidence behind it, in words.
//!
//! # What is computed per k
//! One clustering of the data per k ([`SelectMethod::KMeans`]: one k-means fit per k;
//! [`SelectMethod::Ward`]: one Ward tree cut at every k, never refitted), then
//! - inertia (within-cluster sum of squares around the cluster means),
//! - silhouette (exact up to [`AUTO_EXACT_SILHOUETTE_ROWS`] rows, else on a seeded random sample
//!   of that many rows; set it with [`SelectKParams::silhouette_sample_size`]) and its standard
//!   error; the same rows for every k, each distance computed once for all k,
//! - Calinski-Harabasz and Davies-Bouldin,
//! - the gap statistic and its spread `s_k` (see [`super::gap`]) over `gap_references` seeded
//!   reference data sets clustered the same way,
//! - stability: mean and standard deviation of the adjusted Rand index between the clustering of
//!   all rows and that of `stability_resamples` random subsamples of `stability_fraction` of the
//!   rows, compared on the rows they share (see [`super::stability`]).
//!
//! With [`SelectKParams::criteria_parts`] `m > 1`, silhouette, Calinski-Harabasz and
//! Davies-Bouldin are instead the mean over `m` disjoint random parts of the rows, each part
//! clustered on its own (the same method and restarts), with the standard error of that mean;
//! and k-means on all rows runs once from each part's answer (the parts as refined starting
//! points, Bradley and Fayyad 1998) instead of `n_init` k-means++ runs. Inertia, gap,
//! stability and the cluster means are those of the clustering of all rows. The parts' spread
//! holds what one clustering cannot show: how much a criterion moves with the rows k-means sees
//! and the local optimum it lands in. The parts' silhouettes together cost what one silhouette
//! does (each on at most `rows / sqrt(m)` rows).
//!
//! With [`SelectKParams::sample_size`], all of this is computed on a seeded random sample of the
//! rows (the choice of k at scale: its cost stops growing with n; the result says so in
//! [`SelectKResult::sample`] and in the reason), and the gap references and stability
//! subsamples can be fitted with fewer restarts ([`SelectKParams::resample_n_init`]) and the gap
//! references drawn with fewer rows ([`SelectKParams::gap_sample_size`]).
//!
//! Where a sample and every row can disagree: not in the criteria's sampling noise for a given
//! partition (a standard error of the mean silhouette is ~0.001), but in which partition k-means
//! finds. On make_b2b (5 true segments) k = 6 has near-tied k-means optima (inertias within
//! 0.2 %) whose silhouettes differ by 0.01 and Davies-Bouldin by 0.2, more than the whole gap
//! between k = 5 and 6, and k = 5 has a poor optimum that 4 restarts sometimes all land in; which
//! 6-partition has the lower inertia flips from one 20,000-row sample to the next. A sample where
//! that happens mostly splits the vote (no k with a majority), so with
//! [`SelectKParams::max_sample_size`] a split vote is computed again on a larger sample (the
//! Segmenter doubles it). Invariant: without a split the larger sample is never drawn, and the
//! result is that of the first sample. That alone did not settle a sample whose lowest-inertia
//! 6-partition is the better-scoring one (make_b2b 50k seed 2: 6 with 3 of 4 criteria on the
//! sample, 5 on every row): on the sample's parts (the Segmenter: 4 of 5,000 rows) k-means finds
//! that partition on some parts and not on others, so the parts' mean silhouette and
//! Davies-Bouldin at 6 carry a standard error that covers k = 5, and the one-standard-error rule
//! takes the simpler k. Current figure: the Segmenter's samples of make_b2b 50k, seeds 0-2, give
//! 5 as every row does (seed 0 after the second sample: a part's k = 5 fit in a poor optimum
//! split the first vote); silhouette at 6 0.2589 +- 0.0042 against 0.2691 +- 0.0010 at 5 on
//! seed 2 (docs/performance.md).
//!
//! # How one k is recommended
//! Five criteria vote: silhouette (the smallest k within one standard error of the highest: a
//! difference below the sampling noise of the mean does not justify more segments),
//! Calinski-Harabasz (highest) and Davies-Bouldin (lowest), both by the same one-standard-error
//! rule when computed on parts (without parts they have no standard error: the best), the
//! elbow of inertia (Kneedle rule, see [`super::elbow`]) and the gap statistic (smallest k
//! with `Gap(k) >= Gap(k+1) - s(k+1)`). The elbow and gap rules may abstain. The k with most
//! votes wins. Ties are broken, in this order, by (1) higher mean stability ARI (by
//! more than one standard error of the mean over the subsamples),
//! (2) lying in 4..=8 (practitioners' experience that 4 to 8 segments are manageable: a
//! tie-breaker only, never a vote), (3) the smaller k. With [`SelectMethod::GaussianMixture`],
//! BIC (lowest) is a sixth vote. The reason names every criterion's choice,
//! says when they disagree and which tie-breaker decided, and reports the stability of the
//! recommended k.
//!
//! Every random choice is seeded from `random_state`, and the underlying algorithms are
//! deterministic on any thread count, so the same data and seed give the same table.

use super::elbow::knee_index;
use super::gap::{gap_and_spread, gap_rule, reference_sample, GapReference};
use super::metrics::{
    adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, inertia,
    silhouette_samples_shared,
};
use super::stability::{check_fraction, mean_and_sd, subsample_indices, subsample_size};
use crate::cluster::gmm::{CovarianceType, GaussianMixtureParams};
use crate::cluster::kmeans::{KMeansInit, KMeansParams};
use crate::cluster::ward::ward_linkage;
use crate::error::{Error, Result};
use crate::validation::check_matrix;
use crate::Float;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// Up to this many rows the silhouette is exact; above, a seeded sample of this many rows is
/// used (exact silhouette is O(n^2 d): 10,000 rows take well under a second per k).
pub const AUTO_EXACT_SILHOUETTE_ROWS: usize = 10_000;

/// Rows of each gap reference when the Segmenter chooses k on a sample
/// ([`SelectKParams::gap_sample_size`]): a quarter of its 20,000-row sample.
pub const SELECT_K_GAP_REFERENCE_ROWS: usize = 5_000;

/// Disjoint parts of its sample on which the Segmenter computes silhouette, Calinski-Harabasz
/// and Davies-Bouldin ([`SelectKParams::criteria_parts`]): 4 parts of 5,000 rows.
pub const SELECT_K_CRITERIA_PARTS: usize = 4;

/// Seed streams: every random draw has its own stream so adding one never shifts another.
const GAP_DATA_STREAM: u64 = 1;
const STABILITY_ROWS_STREAM: u64 = 2;
const STABILITY_FIT_STREAM: u64 = 3;
const SILHOUETTE_STREAM: u64 = 4;
const SAMPLE_STREAM: u64 = 5;
const PARTS_ROWS_STREAM: u64 = 6;
const PARTS_FIT_STREAM: u64 = 7;

/// The clustering algorithm whose k is chosen.
///
/// Gaussian mixtures add BIC (lowest wins) as a sixth criterion, in the table's `bic` column;
/// their segments for the other criteria are the hard assignments (`predict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SelectMethod {
    /// k-means (k-means++ start, scikit-learn's defaults), one fit per k.
    KMeans,
    /// Ward hierarchical clustering: one tree, cut at every k.
    Ward,
    /// Gaussian mixture of the given covariance type (k-means start), one fit per k.
    GaussianMixture(CovarianceType),
}

impl SelectMethod {
    /// Parses the method names the Python API uses (`"kmeans"`, `"ward"`, `"gmm"` or
    /// `"gaussian_mixture"` with scikit-learn's `covariance_type`); `parameter` names the
    /// argument in the error (`"method"`, `"algorithm"`).
    pub fn from_names(name: &str, covariance_type: &str, parameter: &'static str) -> Result<Self> {
        match name {
            "kmeans" => Ok(SelectMethod::KMeans),
            "ward" => Ok(SelectMethod::Ward),
            "gmm" | "gaussian_mixture" => Ok(SelectMethod::GaussianMixture(
                CovarianceType::from_name(covariance_type)?,
            )),
            other => Err(Error::invalid_parameter(
                parameter,
                format!("'{other}'"),
                "one of 'kmeans', 'ward', 'gmm'",
            )),
        }
    }

    /// The method's name in the reason text.
    pub fn name(&self) -> &'static str {
        match self {
            SelectMethod::KMeans => "k-means",
            SelectMethod::Ward => "Ward",
            SelectMethod::GaussianMixture(_) => "Gaussian mixture",
        }
    }
}

/// A criterion that votes for a k.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Criterion {
    /// Highest mean silhouette.
    Silhouette,
    /// Highest Calinski-Harabasz score.
    CalinskiHarabasz,
    /// Lowest Davies-Bouldin score.
    DaviesBouldin,
    /// Elbow of the inertia curve (Kneedle rule).
    Elbow,
    /// Tibshirani's gap rule.
    Gap,
    /// Lowest Bayesian information criterion (Gaussian mixtures only).
    Bic,
}

impl Criterion {
    /// The criterion's name in the reason text.
    pub fn name(&self) -> &'static str {
        match self {
            Criterion::Silhouette => "silhouette",
            Criterion::CalinskiHarabasz => "Calinski-Harabasz",
            Criterion::DaviesBouldin => "Davies-Bouldin",
            Criterion::Elbow => "elbow of inertia",
            Criterion::Gap => "gap statistic",
            Criterion::Bic => "BIC",
        }
    }
}

/// Parameters of [`SelectKParams::fit`]; see the module docs for what is computed.
///
/// ```
/// use ndarray::Array2;
/// use segcore::select::{SelectKParams, SelectMethod};
///
/// // Three well separated groups of 20 points on a line.
/// let x = Array2::from_shape_fn((60, 2), |(i, j)| (i / 20) as f64 * 10.0 + ((i * 7 + j) % 5) as f64 * 0.1);
/// let result = SelectKParams::new(2..=6)
///     .method(SelectMethod::KMeans)
///     .gap_references(5)
///     .stability_resamples(5)
///     .random_state(0)
///     .fit(x.view())?;
/// assert_eq!(result.recommended_k, 3);
/// assert_eq!(result.table.len(), 5);
/// println!("{}", result.reason);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectKParams {
    k_values: Vec<usize>,
    method: SelectMethod,
    n_init: Option<usize>,
    random_state: u64,
    silhouette_sample_size: Option<usize>,
    gap_references: usize,
    gap_reference: GapReference,
    stability_resamples: usize,
    stability_fraction: f64,
    #[serde(default)]
    sample_size: Option<usize>,
    #[serde(default)]
    resample_n_init: Option<usize>,
    #[serde(default)]
    gap_sample_size: Option<usize>,
    #[serde(default)]
    max_sample_size: Option<usize>,
    #[serde(default = "one_part")]
    criteria_parts: usize,
}

fn one_part() -> usize {
    1
}

/// [`SelectKParams`] that passed [`SelectKParams::check`], with the k values sorted and
/// distinct; `fit` runs the evaluation.
///
/// ```
/// use segcore::select::SelectKParams;
///
/// let valid = SelectKParams::new([5, 3, 3, 4]).check()?;
/// assert_eq!(valid.k_values(), [3, 4, 5]);
/// assert!(SelectKParams::new(1..=3).check().is_err());
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedSelectK")]
pub struct SelectKValidParams {
    params: SelectKParams,
    k_values: Vec<usize>,
}

/// [`SelectKValidParams`] as a document holds them: read through [`SelectKParams::check`],
/// whose sorted, distinct k values must be the document's.
#[derive(Deserialize)]
struct UncheckedSelectK {
    params: SelectKParams,
    k_values: Vec<usize>,
}

impl TryFrom<UncheckedSelectK> for SelectKValidParams {
    type Error = Error;

    fn try_from(unchecked: UncheckedSelectK) -> Result<Self> {
        let valid = unchecked.params.check()?;
        if valid.k_values != unchecked.k_values {
            return Err(Error::invalid_parameter(
                "k_values",
                format_ks(&unchecked.k_values),
                format!(
                    "the sorted, distinct k of k_range ({})",
                    format_ks(&valid.k_values)
                ),
            ));
        }
        Ok(valid)
    }
}

impl SelectKParams {
    /// Evaluate these k values (any order; duplicates are ignored), with k-means, 10 gap
    /// references in the bounding box, 10 stability subsamples of 80% and `random_state = 0`.
    pub fn new(k_values: impl IntoIterator<Item = usize>) -> Self {
        SelectKParams {
            k_values: k_values.into_iter().collect(),
            method: SelectMethod::KMeans,
            n_init: None,
            random_state: 0,
            silhouette_sample_size: None,
            gap_references: 10,
            gap_reference: GapReference::BoundingBox,
            stability_resamples: 10,
            stability_fraction: 0.8,
            sample_size: None,
            resample_n_init: None,
            gap_sample_size: None,
            max_sample_size: None,
            criteria_parts: 1,
        }
    }

    /// Compute silhouette, Calinski-Harabasz and Davies-Bouldin on this many disjoint random
    /// parts of the evaluated rows (the sample, or every row), each part clustered on its own,
    /// and vote with their mean and its standard error (default 1: the evaluated rows'
    /// clustering, with the silhouette's standard error over its scored rows). The parts measure
    /// what one clustering cannot: how much a criterion moves with the rows k-means sees and
    /// the optimum it lands in. Inertia, the gap statistic, stability and the cluster means stay
    /// those of the evaluated rows' clustering. Each part needs more rows than the largest k.
    pub fn criteria_parts(mut self, parts: usize) -> Self {
        self.criteria_parts = parts;
        self
    }

    /// With [`sample_size`](Self::sample_size): when no k has a majority of the criteria that
    /// voted on the sample, compute every criterion again on a larger sample of this many rows
    /// (every row when the data has no more), and recommend from that one. `None` (default):
    /// never. The close cases are where the partition k-means finds on a sample, not the data,
    /// decides the vote; the clear ones cost nothing more.
    pub fn max_sample_size(mut self, rows: Option<usize>) -> Self {
        self.max_sample_size = rows;
        self
    }

    /// Rows of each gap reference: `None` (default) as many as the evaluated rows; `Some(m)`
    /// at most `m`, with `log W*` shifted by `log(n/m)` to stand for a reference of the data's
    /// `n` rows (see [`super::gap`]). The references are the gap statistic's main cost (k-means
    /// on structure-free data converges slowly), and it grows with their rows.
    pub fn gap_sample_size(mut self, rows: Option<usize>) -> Self {
        self.gap_sample_size = rows;
        self
    }

    /// Rows the criteria are computed on: `None` (default) every row; `Some(s)` a seeded random
    /// sample of `s` rows when the data has more (the clusterings, the silhouette, the gap
    /// references and the stability subsamples are all of the sample; the result reports it in
    /// [`SelectKResult::sample`] and the silhouette's standard error in the table).
    pub fn sample_size(mut self, sample_size: Option<usize>) -> Self {
        self.sample_size = sample_size;
        self
    }

    /// Restarts of the k-means / mixture fits on the gap references and the stability
    /// subsamples (`None`, the default: as [`n_init`](Self::n_init)). One run is enough there:
    /// a reference has no structure to miss, and a subsample fit that lands elsewhere is what
    /// stability measures.
    pub fn resample_n_init(mut self, n_init: Option<usize>) -> Self {
        self.resample_n_init = n_init;
        self
    }

    /// The clustering algorithm (default k-means).
    pub fn method(mut self, method: SelectMethod) -> Self {
        self.method = method;
        self
    }

    /// k-means restarts per fit (`None`, the default: scikit-learn's "auto", one k-means++ run).
    pub fn n_init(mut self, n_init: Option<usize>) -> Self {
        self.n_init = n_init;
        self
    }

    /// Seed of every random choice (k-means starts, references, subsamples, silhouette sample).
    pub fn random_state(mut self, seed: u64) -> Self {
        self.random_state = seed;
        self
    }

    /// Rows used by the silhouette: `None` (default) is exact up to
    /// [`AUTO_EXACT_SILHOUETTE_ROWS`] rows and a sample of that size above; `Some(s)` samples
    /// `s` rows whenever the data has more.
    pub fn silhouette_sample_size(mut self, sample_size: Option<usize>) -> Self {
        self.silhouette_sample_size = sample_size;
        self
    }

    /// Reference data sets of the gap statistic (default 10; 0 skips the gap statistic).
    pub fn gap_references(mut self, references: usize) -> Self {
        self.gap_references = references;
        self
    }

    /// Distribution of the gap references (default the bounding box of the columns).
    pub fn gap_reference(mut self, reference: GapReference) -> Self {
        self.gap_reference = reference;
        self
    }

    /// Subsamples of the stability check (default 10; 0 skips it).
    pub fn stability_resamples(mut self, resamples: usize) -> Self {
        self.stability_resamples = resamples;
        self
    }

    /// Fraction of the rows in each stability subsample, in (0, 1] (default 0.8).
    pub fn stability_fraction(mut self, fraction: f64) -> Self {
        self.stability_fraction = fraction;
        self
    }

    /// Validates the parameters that do not depend on the data (data-dependent checks, such as
    /// k below the number of rows, happen in `fit`).
    pub fn check(&self) -> Result<SelectKValidParams> {
        let mut ks = self.k_values.clone();
        ks.sort_unstable();
        ks.dedup();
        if ks.is_empty() {
            return Err(Error::invalid_parameter(
                "k_range",
                "an empty range",
                "at least one number of segments k >= 2",
            ));
        }
        if ks[0] < 2 {
            return Err(Error::invalid_parameter(
                "k_range",
                format_ks(&ks),
                "numbers of segments k >= 2 (the criteria compare at least two segments)",
            ));
        }
        if self.n_init == Some(0) {
            return Err(Error::invalid_parameter("n_init", 0, "an integer >= 1"));
        }
        if self.criteria_parts == 0 {
            return Err(Error::invalid_parameter(
                "criteria_parts",
                0,
                "an integer >= 1 (1: the evaluated rows' own clustering)",
            ));
        }
        if self.resample_n_init == Some(0) {
            return Err(Error::invalid_parameter(
                "resample_n_init",
                0,
                "an integer >= 1",
            ));
        }
        if let Some(s) = self.sample_size {
            if s < 3 {
                return Err(Error::invalid_parameter(
                    "sample_size",
                    s,
                    "an integer >= 3 (more rows than the largest k)",
                ));
            }
        }
        if let Some(s) = self.gap_sample_size {
            if s < 3 {
                return Err(Error::invalid_parameter(
                    "gap_sample_size",
                    s,
                    "an integer >= 3 (more rows than the largest k)",
                ));
            }
        }
        if let Some(s) = self.silhouette_sample_size {
            if s < 2 {
                return Err(Error::invalid_parameter(
                    "silhouette_sample_size",
                    s,
                    "an integer >= 2",
                ));
            }
        }
        check_fraction(self.stability_fraction)?;
        Ok(SelectKValidParams {
            params: self.clone(),
            k_values: ks,
        })
    }

    /// Evaluates every k on `x` (rows are customers) and recommends one (checks first; see
    /// [`SelectKValidParams::fit`]).
    pub fn fit<F: Float>(&self, x: ArrayView2<F>) -> Result<SelectKResult> {
        self.check()?.fit(x)
    }

    /// As [`fit`](Self::fit), calling `progress(done, total)` after each clustering (see
    /// [`SelectKValidParams::fit_with_progress`]).
    pub fn fit_with_progress<F: Float>(
        &self,
        x: ArrayView2<F>,
        progress: impl FnMut(usize, usize),
    ) -> Result<SelectKResult> {
        self.check()?.fit_with_progress(x, progress)
    }

    /// As [`fit_with_progress`](Self::fit_with_progress), also returning the cluster means per k
    /// (see [`SelectKValidParams::fit_with_centers`]).
    pub(crate) fn fit_with_centers<F: Float>(
        &self,
        x: ArrayView2<F>,
        progress: impl FnMut(usize, usize),
    ) -> Result<(SelectKResult, Vec<Array2<f64>>)> {
        self.check()?.fit_with_centers(x, progress)
    }
}

impl SelectKValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &SelectKParams {
        &self.params
    }

    /// The k values to evaluate, sorted and distinct.
    pub fn k_values(&self) -> &[usize] {
        &self.k_values
    }

    /// Evaluates every k on `x` (rows are customers) and recommends one.
    pub fn fit<F: Float>(&self, x: ArrayView2<F>) -> Result<SelectKResult> {
        self.fit_with_progress(x, |_, _| {})
    }

    /// As [`fit`](Self::fit), calling `progress(done, total)` after each clustering (one per k
    /// and data set: the data, each gap reference, each stability subsample), so long runs can
    /// show a progress bar.
    pub fn fit_with_progress<F: Float>(
        &self,
        x: ArrayView2<F>,
        progress: impl FnMut(usize, usize),
    ) -> Result<SelectKResult> {
        Ok(self.fit_with_centers(x, progress)?.0)
    }

    /// As [`fit_with_progress`](Self::fit_with_progress), also returning, per k (in increasing
    /// k), the cluster means of the evaluated rows: the warm start of a final fit on all rows.
    pub(crate) fn fit_with_centers<F: Float>(
        &self,
        x: ArrayView2<F>,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<(SelectKResult, Vec<Array2<f64>>)> {
        let ks = self.k_values.clone();
        check_matrix(x, "X")?;
        let n_rows = x.nrows();
        let k_max = ks[ks.len() - 1];
        if k_max >= n_rows {
            return Err(Error::invalid_parameter(
                "k_range",
                format_ks(&ks),
                format!(
                    "numbers of segments k <= n_samples - 1 = {} (X has {n_rows} rows)",
                    n_rows.saturating_sub(1)
                ),
            ));
        }
        // Every criterion is computed on the sample when there is one (see the module docs).
        let draw = |size: usize, index: u64| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(
                self.params.random_state,
                SAMPLE_STREAM,
                index,
            ));
            x.select(Axis(0), &subsample_indices(n_rows, size, &mut rng))
        };
        let size = match self.params.sample_size {
            Some(size) if size < n_rows => size,
            _ => return self.evaluate(x, n_rows, &mut progress),
        };
        if size <= k_max {
            return Err(Error::invalid_parameter(
                "sample_size",
                size,
                format!("more rows than the largest k = {k_max}"),
            ));
        }
        let first = self.evaluate(draw(size, 0).view(), n_rows, &mut progress)?;
        // A split vote on the sample: no k has a majority of the criteria that voted. Where the
        // evidence is that close, which partition k-means finds on the sample decides it (see
        // the module docs), so the criteria are computed again on more rows.
        let larger = match self.params.max_sample_size {
            Some(max) if !has_majority(&first.0) && max > size => max.min(n_rows),
            _ => return Ok(first),
        };
        let (mut result, centers) = if larger < n_rows {
            self.evaluate(draw(larger, 1).view(), n_rows, &mut progress)?
        } else {
            self.evaluate(x, n_rows, &mut progress)?
        };
        let first_votes: Vec<String> = first
            .0
            .votes
            .iter()
            .filter_map(|v| v.k.map(|k| format!("{} {k}", v.criterion.name())))
            .collect();
        result.reason.push_str(&format!(
            " On a first sample of {size} rows no k had a majority of the criteria ({}), so they \
             were computed again on {}.",
            join_words(&first_votes),
            if larger < n_rows {
                format!("{larger} rows")
            } else {
                "every row".to_string()
            }
        ));
        Ok((result, centers))
    }

    /// Every criterion of every k on the rows `x` (the data or a sample of its `n_rows` rows),
    /// and the recommendation; with the cluster means per k.
    fn evaluate<F: Float>(
        &self,
        x: ArrayView2<F>,
        n_rows: usize,
        progress: &mut impl FnMut(usize, usize),
    ) -> Result<(SelectKResult, Vec<Array2<f64>>)> {
        let ks: &[usize] = &self.k_values;
        let k_max = ks[ks.len() - 1];
        let n_samples = x.nrows();
        let subsample_rows = subsample_size(n_samples, self.params.stability_fraction);
        if self.params.stability_resamples > 0 && k_max >= subsample_rows {
            return Err(Error::invalid_parameter(
                "stability_fraction",
                self.params.stability_fraction,
                format!(
                    "a fraction leaving more than k = {k_max} rows per subsample (it leaves \
                     {subsample_rows} of {n_samples})"
                ),
            ));
        }

        let reference_rows = self
            .params
            .gap_sample_size
            .map_or(n_samples, |m| m.min(n_samples));
        if self.params.gap_references > 0 && k_max >= reference_rows {
            return Err(Error::invalid_parameter(
                "gap_sample_size",
                reference_rows,
                format!("more rows than the largest k = {k_max}"),
            ));
        }
        let parts = self.params.criteria_parts;
        if parts > 1 && k_max >= n_samples / parts {
            return Err(Error::invalid_parameter(
                "criteria_parts",
                parts,
                format!(
                    "parts of more rows than the largest k = {k_max} ({n_samples} rows make parts \
                     of {} rows)",
                    n_samples / parts
                ),
            ));
        }
        let part_fits = if parts > 1 { parts } else { 0 };
        let total = ks.len()
            * (1 + part_fits + self.params.gap_references + self.params.stability_resamples);
        let mut done = 0;
        let mut tick = || {
            done += 1;
            progress(done, total);
        };

        let on_parts = if parts > 1 {
            Some(self.criteria_on_parts(x, &mut tick)?)
        } else {
            None
        };
        let (labels, bics) = match (&on_parts, self.params.method) {
            // k-means from each part's answer (see `refine_every_k`).
            (Some(on_parts), SelectMethod::KMeans) => (
                self.refine_every_k(x, ks, &on_parts.starts, &mut tick)?,
                vec![None; ks.len()],
            ),
            _ => self.cluster_every_k(
                x,
                ks,
                self.params.random_state,
                self.params.n_init,
                &mut tick,
            )?,
        };
        // With parts, the silhouette, CH and DB of the table are the parts' (below).
        let silhouettes = if parts > 1 {
            vec![(f64::NAN, None); ks.len()]
        } else {
            self.silhouettes(x, &labels, self.silhouette_rows())?
        };
        let mut table = Vec::with_capacity(ks.len());
        let mut centers = Vec::with_capacity(ks.len());
        for (((&k, labels), bic), (silhouette, silhouette_se)) in
            ks.iter().zip(&labels).zip(&bics).zip(silhouettes)
        {
            crate::cancel::check()?;
            let found = n_distinct(labels);
            // Metrics need 2..=n-1 distinct labels; ties in the data can leave fewer.
            let defined = found >= 2 && found < n_samples;
            let metric = |value: fn(ArrayView2<F>, ArrayView1<usize>) -> Result<f64>| {
                if defined {
                    value(x, labels.view())
                } else {
                    Ok(f64::NAN)
                }
            };
            table.push(KEvaluation {
                k,
                n_clusters_found: found,
                inertia: inertia(x, labels.view(), None)?,
                silhouette,
                silhouette_se,
                calinski_harabasz: if parts > 1 {
                    f64::NAN
                } else {
                    metric(calinski_harabasz_score)?
                },
                calinski_harabasz_se: None,
                davies_bouldin: if parts > 1 {
                    f64::NAN
                } else {
                    metric(davies_bouldin_score)?
                },
                davies_bouldin_se: None,
                gap: None,
                gap_spread: None,
                stability_mean: None,
                stability_sd: None,
                bic: *bic,
            });
            centers.push(label_means(x, labels, k));
        }
        if let Some(on_parts) = on_parts {
            for (row, [silhouette, ch, db]) in table.iter_mut().zip(on_parts.criteria) {
                (row.silhouette, row.silhouette_se) = silhouette;
                (row.calinski_harabasz, row.calinski_harabasz_se) = ch;
                (row.davies_bouldin, row.davies_bouldin_se) = db;
            }
        }

        if self.params.gap_references > 0 {
            let mut reference_within =
                vec![Vec::with_capacity(self.params.gap_references); ks.len()];
            for b in 0..self.params.gap_references {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(
                    self.params.random_state,
                    GAP_DATA_STREAM,
                    b as u64,
                ));
                let reference =
                    reference_sample(x, reference_rows, self.params.gap_reference, &mut rng)?;
                let (reference_labels, _) = self.cluster_every_k(
                    reference.view(),
                    ks,
                    self.params.random_state,
                    self.params.resample_n_init.or(self.params.n_init),
                    &mut tick,
                )?;
                // W* of a reference of the data's rows (see the gap module).
                let rows_ratio = n_samples as f64 / reference_rows as f64;
                for (within, labels) in reference_within.iter_mut().zip(&reference_labels) {
                    within.push(inertia(reference.view(), labels.view(), None)? * rows_ratio);
                }
            }
            for (row, within) in table.iter_mut().zip(&reference_within) {
                let (gap, spread) = gap_and_spread(row.inertia, within);
                row.gap = Some(gap);
                row.gap_spread = Some(spread);
            }
        }

        if self.params.stability_resamples > 0 {
            let mut agreement = vec![Vec::with_capacity(self.params.stability_resamples); ks.len()];
            for b in 0..self.params.stability_resamples {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(
                    self.params.random_state,
                    STABILITY_ROWS_STREAM,
                    b as u64,
                ));
                let rows = subsample_indices(n_samples, subsample_rows, &mut rng);
                let subsample = x.select(Axis(0), &rows);
                let fit_seed =
                    derive_seed(self.params.random_state, STABILITY_FIT_STREAM, b as u64);
                let (sub_labels, _) = self.cluster_every_k(
                    subsample.view(),
                    ks,
                    fit_seed,
                    self.params.resample_n_init.or(self.params.n_init),
                    &mut tick,
                )?;
                for ((scores, full), sub) in agreement.iter_mut().zip(&labels).zip(&sub_labels) {
                    let full_on_rows: Vec<usize> = rows.iter().map(|&i| full[i]).collect();
                    let sub = sub.as_slice().expect("labels are a fresh contiguous array");
                    scores.push(adjusted_rand_score(&full_on_rows, sub)?);
                }
            }
            for (row, scores) in table.iter_mut().zip(&agreement) {
                let (mean, sd) = mean_and_sd(scores);
                row.stability_mean = Some(mean);
                row.stability_sd = Some(sd);
            }
        }

        let sample = (n_samples < n_rows).then_some(SelectKSample {
            rows: n_samples,
            of: n_rows,
        });
        Ok((
            recommend(
                self.params.method,
                table,
                self.params.stability_resamples,
                self.params.stability_fraction,
                sample,
            ),
            centers,
        ))
    }

    /// Silhouette, Calinski-Harabasz and Davies-Bouldin of every k as the mean over
    /// `criteria_parts` disjoint random parts of `x`, each clustered on its own, with the
    /// standard error of that mean (sd over the parts / sqrt(parts)). Row `i` of a seeded
    /// permutation goes to part `i % parts`, so no row is left out and the parts differ in size
    /// by at most one row.
    fn criteria_on_parts<F: Float>(
        &self,
        x: ArrayView2<F>,
        tick: &mut impl FnMut(),
    ) -> Result<PartCriteria> {
        let parts = self.params.criteria_parts;
        let ks: &[usize] = &self.k_values;
        let n_samples = x.nrows();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(
            self.params.random_state,
            PARTS_ROWS_STREAM,
            0,
        ));
        let mut order: Vec<usize> = (0..n_samples).collect();
        for i in 0..n_samples {
            let j = rng.gen_range(i..n_samples);
            order.swap(i, j);
        }
        // The parts' silhouettes together cost what one of `silhouette_rows` rows does (the pairs
        // grow as the square of the rows): exact on the Segmenter's parts of 5,000 rows.
        let part_silhouette_rows =
            ((self.silhouette_rows() as f64 / (parts as f64).sqrt()).ceil() as usize).max(2);
        // Per k: the parts' silhouettes, CH and DB, and their cluster means.
        let mut values = vec![<[Vec<f64>; 3]>::default(); ks.len()];
        let mut starts = vec![Vec::with_capacity(parts); ks.len()];
        for part in 0..parts {
            let mut rows: Vec<usize> = order.iter().skip(part).step_by(parts).copied().collect();
            rows.sort_unstable();
            let x_part = x.select(Axis(0), &rows);
            let seed = derive_seed(self.params.random_state, PARTS_FIT_STREAM, part as u64);
            let (labels, _) =
                self.cluster_every_k(x_part.view(), ks, seed, self.params.n_init, tick)?;
            let silhouettes = self.silhouettes(x_part.view(), &labels, part_silhouette_rows)?;
            for (((per_k, starts), (&k, labels)), (silhouette, _)) in values
                .iter_mut()
                .zip(starts.iter_mut())
                .zip(ks.iter().zip(&labels))
                .zip(silhouettes)
            {
                starts.push(label_means(x_part.view(), labels, k));
                crate::cancel::check()?;
                let found = n_distinct(labels);
                let defined = found >= 2 && found < rows.len();
                let (ch, db) = if defined {
                    (
                        calinski_harabasz_score(x_part.view(), labels.view())?,
                        davies_bouldin_score(x_part.view(), labels.view())?,
                    )
                } else {
                    (f64::NAN, f64::NAN)
                };
                per_k[0].push(silhouette);
                per_k[1].push(ch);
                per_k[2].push(db);
            }
        }
        let summary = |v: &[f64]| {
            let (mean, sd) = mean_and_sd(v);
            let se = sd / (v.len() as f64).sqrt();
            (mean, se.is_finite().then_some(se))
        };
        Ok(PartCriteria {
            criteria: values
                .iter()
                .map(|[s, ch, db]| [summary(s), summary(ch), summary(db)])
                .collect(),
            starts,
        })
    }

    /// k-means on `x` for every k, one run from each part's cluster means (`starts[i]` for
    /// `ks[i]`), keeping the lowest inertia (the first part's on a tie): the parts' answers as
    /// refined starting points (Bradley and Fayyad, 1998), in place of `n_init` k-means++ runs
    /// on all of `x`. A part's answer is near a local optimum of `x`, so each run needs few
    /// iterations, and the parts' optima are the candidates the criteria were computed on.
    fn refine_every_k<F: Float>(
        &self,
        x: ArrayView2<F>,
        ks: &[usize],
        starts: &[Vec<Array2<f64>>],
        tick: &mut impl FnMut(),
    ) -> Result<Vec<Array1<usize>>> {
        let mut out = Vec::with_capacity(ks.len());
        for (&k, starts) in ks.iter().zip(starts) {
            let mut best: Option<(f64, Array1<usize>)> = None;
            for start in starts {
                crate::cancel::check()?;
                let model = KMeansParams::new(k)
                    .init(KMeansInit::Centers(start.clone()))
                    .random_state(self.params.random_state)
                    .fit(x, None)?;
                let within = model.inertia().to_f64().unwrap_or(f64::NAN);
                if best.as_ref().is_none_or(|(b, _)| within < *b) {
                    best = Some((within, model.labels().to_owned()));
                }
            }
            let (_, labels) = best.expect("criteria_parts >= 2 gives every k starts");
            out.push(labels);
            tick();
        }
        Ok(out)
    }

    /// Rows the silhouette is computed on (at most; see the module docs).
    fn silhouette_rows(&self) -> usize {
        self.params
            .silhouette_sample_size
            .unwrap_or(AUTO_EXACT_SILHOUETTE_ROWS)
    }

    /// Mean silhouette and its standard error for every k's labels, on the same rows for every
    /// k (all rows up to `rows`, else a seeded sample of that many), with
    /// every pairwise distance computed once for all k ([`silhouette_samples_shared`]).
    fn silhouettes<F: Float>(
        &self,
        x: ArrayView2<F>,
        labels: &[Array1<usize>],
        rows: usize,
    ) -> Result<Vec<(f64, Option<f64>)>> {
        let n_samples = x.nrows();
        let subset = (n_samples > rows).then(|| {
            // The rows silhouette_score_sampled draws with this seed.
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(
                self.params.random_state,
                SILHOUETTE_STREAM,
                0,
            ));
            let mut indices: Vec<usize> = (0..n_samples).collect();
            for i in 0..rows {
                let j = rng.gen_range(i..n_samples);
                indices.swap(i, j);
            }
            indices.truncate(rows);
            indices
        });
        let (selected, row_labels): (Option<Array2<F>>, Vec<Array1<usize>>) = match &subset {
            Some(indices) => (
                Some(x.select(Axis(0), indices)),
                labels
                    .iter()
                    .map(|l| indices.iter().map(|&i| l[i]).collect())
                    .collect(),
            ),
            None => (None, labels.to_vec()),
        };
        let x_rows = match &selected {
            Some(s) => s.view(),
            None => x.view(),
        };
        let m = x_rows.nrows();
        // Metrics need 2..=m-1 distinct labels among the scored rows.
        let defined: Vec<usize> = (0..row_labels.len())
            .filter(|&j| {
                let found = n_distinct(&row_labels[j]);
                found >= 2 && found < m
            })
            .collect();
        let views: Vec<ArrayView1<usize>> = defined.iter().map(|&j| row_labels[j].view()).collect();
        let scores = silhouette_samples_shared(x_rows, &views)?;
        let mut out = vec![(f64::NAN, None); labels.len()];
        for (&j, samples) in defined.iter().zip(&scores) {
            let (mean, sd) = mean_and_sd(samples.as_slice().expect("a fresh array is contiguous"));
            out[j] = (mean, Some(sd / (m as f64).sqrt()));
        }
        Ok(out)
    }

    /// Labels for every k in `ks` on `x` (k-means or mixture fits per k, or one Ward tree cut per
    /// k), and for mixtures the BIC of each fit on `x`.
    fn cluster_every_k<F: Float>(
        &self,
        x: ArrayView2<F>,
        ks: &[usize],
        seed: u64,
        n_init: Option<usize>,
        tick: &mut impl FnMut(),
    ) -> Result<Clusterings> {
        let mut out = Vec::with_capacity(ks.len());
        let mut bics = vec![None; ks.len()];
        match self.params.method {
            SelectMethod::KMeans => {
                let mut models = Vec::with_capacity(ks.len());
                for &k in ks {
                    crate::cancel::check()?;
                    let mut params = KMeansParams::new(k).random_state(seed);
                    if let Some(n_init) = n_init {
                        params = params.n_init(n_init);
                    }
                    models.push(params.fit(x, None)?);
                    tick();
                }
                out.extend(models.iter().map(|m| m.labels().to_owned()));
            }
            SelectMethod::Ward => {
                let tree = ward_linkage(x, None)?;
                for &k in ks {
                    out.push(tree.cut_n_clusters(k)?);
                    tick();
                }
            }
            SelectMethod::GaussianMixture(covariance_type) => {
                for (&k, bic) in ks.iter().zip(bics.iter_mut()) {
                    crate::cancel::check()?;
                    let mut params = GaussianMixtureParams::new(k)
                        .covariance_type(covariance_type)
                        .random_state(seed);
                    if let Some(n_init) = n_init {
                        params = params.n_init(n_init);
                    }
                    let model = params.fit(x, None)?;
                    *bic = Some(model.bic(x)?);
                    out.push(model.predict(x)?);
                    tick();
                }
            }
        }
        Ok((out, bics))
    }
}

/// Labels for every k, and the BIC of every k (Gaussian mixtures only).
type Clusterings = (Vec<Array1<usize>>, Vec<Option<f64>>);

/// Per k, the criteria of [`SelectKValidParams::criteria_on_parts`] (silhouette,
/// Calinski-Harabasz, Davies-Bouldin: mean and standard error) and each part's cluster means.
struct PartCriteria {
    criteria: Vec<[(f64, Option<f64>); 3]>,
    starts: Vec<Vec<Array2<f64>>>,
}

/// The criteria of one k (one row of the table). Criteria that were not computed are `None`;
/// criteria undefined for the clustering found (fewer than 2 distinct segments) are NaN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KEvaluation {
    /// Number of segments asked for.
    pub k: usize,
    /// Distinct segments actually found (less than `k` only with duplicate rows or tied merges).
    pub n_clusters_found: usize,
    /// Within-cluster sum of squares around the cluster means (lower is tighter).
    pub inertia: f64,
    /// Mean silhouette (higher is better; exact or sampled, see the module docs).
    pub silhouette: f64,
    /// Standard error of that mean (sd of the scored rows' silhouettes over the square root of
    /// their number): its sampling uncertainty, used by the one-standard-error rule.
    #[serde(default)]
    pub silhouette_se: Option<f64>,
    /// Calinski-Harabasz score (higher is better).
    pub calinski_harabasz: f64,
    /// Standard error of the Calinski-Harabasz score over the
    /// [`criteria_parts`](SelectKParams::criteria_parts) (`None` without parts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calinski_harabasz_se: Option<f64>,
    /// Davies-Bouldin score (lower is better).
    pub davies_bouldin: f64,
    /// Standard error of the Davies-Bouldin score over the parts (`None` without parts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub davies_bouldin_se: Option<f64>,
    /// Gap statistic, when computed.
    pub gap: Option<f64>,
    /// The gap's spread `s_k = sd * sqrt(1 + 1/B)`, when computed.
    pub gap_spread: Option<f64>,
    /// Mean adjusted Rand index between the full clustering and the subsample clusterings.
    pub stability_mean: Option<f64>,
    /// Standard deviation of those adjusted Rand indices.
    pub stability_sd: Option<f64>,
    /// Bayesian information criterion, for Gaussian mixtures (not computed yet: `None`).
    pub bic: Option<f64>,
}

/// The choice of one criterion: a k, or an abstention with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionVote {
    /// Which criterion.
    pub criterion: Criterion,
    /// The k it points to, or `None` when it abstains.
    pub k: Option<usize>,
}

/// Outcome of [`SelectKParams::fit`]: the table, every criterion's choice, the recommended k and
/// the reason in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectKResult {
    /// The clustering algorithm evaluated.
    pub method: SelectMethod,
    /// One row per k, in increasing k.
    pub table: Vec<KEvaluation>,
    /// Each criterion's choice (in the order silhouette, Calinski-Harabasz, Davies-Bouldin,
    /// elbow, gap).
    pub votes: Vec<CriterionVote>,
    /// The recommended number of segments.
    pub recommended_k: usize,
    /// Whether every criterion that did not abstain chose the same k.
    pub criteria_agree: bool,
    /// Why this k, in words: who voted for what, disagreements, tie-breakers, stability.
    pub reason: String,
    /// The sample the criteria were computed on (`None`: every row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<SelectKSample>,
}

/// The random sample [`SelectKParams::sample_size`] evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectKSample {
    /// Rows in the sample.
    pub rows: usize,
    /// Rows of the data it was drawn from.
    pub of: usize,
}

/// Mean of the rows of each label `0..k` (a label without rows keeps a zero row).
fn label_means<F: Float>(x: ArrayView2<F>, labels: &Array1<usize>, k: usize) -> Array2<f64> {
    let mut sums = Array2::<f64>::zeros((k, x.ncols()));
    let mut counts = vec![0usize; k];
    for (row, &label) in x.rows().into_iter().zip(labels.iter()) {
        if label < k {
            counts[label] += 1;
            for (s, &v) in sums.row_mut(label).iter_mut().zip(row.iter()) {
                *s += v.to_f64().expect("f32 and f64 convert to f64");
            }
        }
    }
    for (mut row, &count) in sums.rows_mut().into_iter().zip(&counts) {
        if count > 0 {
            row /= count as f64;
        }
    }
    sums
}

fn n_distinct(labels: &Array1<usize>) -> usize {
    let mut seen: Vec<usize> = labels.to_vec();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// SplitMix64 of (seed, stream, index): independent, reproducible seeds per random draw.
fn derive_seed(seed: u64, stream: u64, index: u64) -> u64 {
    let mut z = seed
        ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn format_ks(ks: &[usize]) -> String {
    let consecutive = ks.windows(2).all(|w| w[1] == w[0] + 1);
    match ks {
        [] => "[]".into(),
        [only] => only.to_string(),
        [first, .., last] if consecutive => format!("{first}..={last}"),
        _ => format!(
            "[{}]",
            ks.iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Index of the best finite value (`higher` or lower is better); ties keep the smaller k.
fn best_index(values: impl Iterator<Item = f64>, higher: bool) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in values.enumerate() {
        if !v.is_finite() {
            continue;
        }
        let better = match best {
            None => true,
            Some((_, b)) => {
                if higher {
                    v > b
                } else {
                    v < b
                }
            }
        };
        if better {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A criterion voted by the one-standard-error rule: its values per k, their standard errors,
/// and whether higher is better.
type ScoredCriterion = (Criterion, Vec<f64>, Vec<Option<f64>>, bool);

/// The votes, the winner and the reason (see the module docs for the rule).
fn recommend(
    method: SelectMethod,
    table: Vec<KEvaluation>,
    stability_resamples: usize,
    stability_fraction: f64,
    sample: Option<SelectKSample>,
) -> SelectKResult {
    let ks: Vec<usize> = table.iter().map(|r| r.k).collect();
    let inertias: Vec<f64> = table.iter().map(|r| r.inertia).collect();
    // (criterion, values, standard errors, higher is better)
    let scored: [ScoredCriterion; 3] = [
        (
            Criterion::Silhouette,
            table.iter().map(|r| r.silhouette).collect(),
            table.iter().map(|r| r.silhouette_se).collect(),
            true,
        ),
        (
            Criterion::CalinskiHarabasz,
            table.iter().map(|r| r.calinski_harabasz).collect(),
            table.iter().map(|r| r.calinski_harabasz_se).collect(),
            true,
        ),
        (
            Criterion::DaviesBouldin,
            table.iter().map(|r| r.davies_bouldin).collect(),
            table.iter().map(|r| r.davies_bouldin_se).collect(),
            false,
        ),
    ];
    // Per scored criterion: (criterion, best index, voted index, the best's standard error).
    let one_se: Vec<(Criterion, Option<usize>, Option<usize>, f64)> = scored
        .iter()
        .map(|(criterion, values, ses, higher)| {
            let best = best_index(values.iter().copied(), *higher);
            let se = best.and_then(|b| ses[b]).unwrap_or(0.0);
            (
                *criterion,
                best,
                one_standard_error(values, best, se, *higher),
                se,
            )
        })
        .collect();
    let mut votes: Vec<CriterionVote> = one_se
        .iter()
        .map(|&(criterion, _, voted, _)| CriterionVote {
            criterion,
            k: voted.map(|i| ks[i]),
        })
        .collect();
    votes.extend([CriterionVote {
        criterion: Criterion::Elbow,
        k: knee_index(&ks, &inertias).map(|i| ks[i]),
    }]);
    if table.iter().all(|r| r.bic.is_some()) {
        votes.push(CriterionVote {
            criterion: Criterion::Bic,
            k: best_index(table.iter().map(|r| r.bic.unwrap_or(f64::NAN)), false).map(|i| ks[i]),
        });
    }
    let gap_computed = table.iter().all(|r| r.gap.is_some());
    if gap_computed {
        let gaps: Vec<f64> = table.iter().map(|r| r.gap.unwrap_or(f64::NAN)).collect();
        let spreads: Vec<f64> = table
            .iter()
            .map(|r| r.gap_spread.unwrap_or(f64::NAN))
            .collect();
        votes.push(CriterionVote {
            criterion: Criterion::Gap,
            k: gap_rule(&gaps, &spreads).map(|i| ks[i]),
        });
    }

    let count = |k: usize| votes.iter().filter(|v| v.k == Some(k)).count();
    let top_votes = ks.iter().map(|&k| count(k)).max().unwrap_or(0);
    let tied: Vec<usize> = ks
        .iter()
        .copied()
        .filter(|&k| count(k) == top_votes)
        .collect();
    let stability_of = |k: usize| {
        table
            .iter()
            .find(|r| r.k == k)
            .and_then(|r| r.stability_mean)
            .filter(|m| m.is_finite())
    };

    let mut sentences = Vec::new();
    let (recommended_k, tie_note) = if tied.len() == 1 {
        (tied[0], None)
    } else {
        let tied_words = join_words(&tied.iter().map(|k| k.to_string()).collect::<Vec<_>>());
        let tie_head = if top_votes == 0 {
            format!("No criterion chose a k among {tied_words}")
        } else {
            format!(
                "k = {tied_words} tie with {top_votes} vote{} each",
                if top_votes == 1 { "" } else { "s" }
            )
        };
        // Tie-breaker 1: stability, when computed and not itself tied.
        let most_stable = tied
            .iter()
            .filter_map(|&k| stability_of(k).map(|m| (k, m)))
            .fold(None::<(usize, f64)>, |best, (k, m)| match best {
                Some((_, b)) if b >= m => best,
                _ => Some((k, m)),
            });
        // Noise-aware: the most stable k wins only when every other tied k is more than one
        // standard error of its mean ARI below it (closer is a tie the resampling cannot break).
        let stability_se = |k: usize| {
            table
                .iter()
                .find(|r| r.k == k)
                .and_then(|r| r.stability_sd)
                .filter(|sd| sd.is_finite())
                .map_or(0.0, |sd| sd / (stability_resamples.max(1) as f64).sqrt())
        };
        let stable_unique = most_stable.filter(|&(k, m)| {
            let margin = stability_se(k).max(1e-12);
            tied.iter()
                .all(|&other| other == k || stability_of(other).is_none_or(|o| o < m - margin))
        });
        if let Some((k, m)) = stable_unique {
            (
                k,
                Some(format!(
                    "{tie_head}; {k} is the most stable of them (mean ARI {m:.3})."
                )),
            )
        } else {
            let preferred: Vec<usize> = tied
                .iter()
                .copied()
                .filter(|k| (4..=8).contains(k))
                .collect();
            match preferred.first() {
                Some(&k) => (
                    k,
                    Some(format!(
                        "{tie_head}; {k} is {} in the 4..=8 range preferred as a tie-breaker \
                         (segment counts practitioners can act on).",
                        if preferred.len() == 1 {
                            "the only one"
                        } else {
                            "the smallest"
                        }
                    )),
                ),
                None => (
                    tied[0],
                    Some(format!("{tie_head}; the smallest k is taken.")),
                ),
            }
        }
    };

    let supporters: Vec<String> = votes
        .iter()
        .filter(|v| v.k == Some(recommended_k))
        .map(|v| v.criterion.name().to_string())
        .collect();
    let voting = votes.iter().filter(|v| v.k.is_some()).count();
    let head = format!(
        "Recommended k = {recommended_k} for {} over k = {}",
        method.name(),
        format_ks(&ks)
    );
    if supporters.is_empty() {
        sentences.push(format!("{head}: no criterion singled out a k."));
    } else {
        sentences.push(format!(
            "{head}: {} point{} to {recommended_k} ({} of {voting} criteria).",
            join_words(&supporters),
            if supporters.len() == 1 { "s" } else { "" },
            supporters.len()
        ));
    }
    let dissent: Vec<String> = votes
        .iter()
        .filter_map(|v| match v.k {
            Some(k) if k != recommended_k => Some(format!("{} prefers {k}", v.criterion.name())),
            _ => None,
        })
        .collect();
    let criteria_agree = dissent.is_empty();
    if !criteria_agree {
        sentences.push(format!("The criteria disagree: {}.", join_words(&dissent)));
    }
    for &(criterion, best, voted, se) in &one_se {
        if let (Some(best), Some(voted)) = (best, voted) {
            if best != voted {
                let (name, extreme) = match criterion {
                    Criterion::Silhouette => ("The silhouette", "highest"),
                    Criterion::DaviesBouldin => ("Davies-Bouldin", "lowest"),
                    _ => ("Calinski-Harabasz", "highest"),
                };
                sentences.push(format!(
                    "{name} is {extreme} at k = {}, but k = {} is within one standard error \
                     ({se:.4}) of it and simpler.",
                    ks[best], ks[voted],
                ));
            }
        }
    }
    if let Some(sample) = sample {
        sentences.push(format!(
            "The criteria were computed on a random sample of {} of the {} rows.",
            sample.rows, sample.of
        ));
    }
    if let Some(note) = tie_note {
        sentences.push(note);
    }
    for vote in &votes {
        if vote.k.is_none() {
            sentences.push(match vote.criterion {
                Criterion::Elbow => "The inertia curve has no clear elbow.".to_string(),
                Criterion::Gap => format!(
                    "The gap statistic keeps growing up to k = {}: no k satisfies \
                     Gap(k) >= Gap(k+1) - s(k+1) (the data may hold more segments than the range, \
                     or no clear structure).",
                    ks[ks.len() - 1]
                ),
                other => format!("{} is undefined for every k.", other.name()),
            });
        }
    }
    if let Some(row) = table.iter().find(|r| r.k == recommended_k) {
        if let (Some(mean), Some(sd)) = (row.stability_mean, row.stability_sd) {
            let verdict = if mean >= 0.9 {
                "stable"
            } else if mean >= 0.75 {
                "fairly stable"
            } else {
                "unstable: treat these segments with care"
            };
            sentences.push(format!(
                "At k = {recommended_k} the segments are {verdict} (mean adjusted Rand index \
                 {mean:.3}, sd {sd:.3}, over {stability_resamples} subsamples of {:.0}% of the \
                 rows).",
                stability_fraction * 100.0
            ));
        }
        if row.n_clusters_found < row.k {
            sentences.push(format!(
                "Only {} distinct segments were found for k = {} (duplicate rows or tied merges).",
                row.n_clusters_found, row.k
            ));
        }
    }
    SelectKResult {
        method,
        table,
        votes,
        recommended_k,
        criteria_agree,
        reason: sentences.join(" "),
        sample,
    }
}

/// Whether the recommended k has more than half of the votes of the criteria that voted.
fn has_majority(result: &SelectKResult) -> bool {
    let voting = result.votes.iter().filter(|v| v.k.is_some()).count();
    let support = result
        .votes
        .iter()
        .filter(|v| v.k == Some(result.recommended_k))
        .count();
    2 * support > voting
}

/// A criterion's vote by the one-standard-error rule: the smallest k whose value is within one
/// standard error `se` of the best (`best`; the highest when `higher`, else the lowest).
/// Differences smaller than the sampling noise of the best value do not justify more segments;
/// without a standard error (`se = 0`), the best.
fn one_standard_error(values: &[f64], best: Option<usize>, se: f64, higher: bool) -> Option<usize> {
    let best = best?;
    let bound = values[best];
    values
        .iter()
        .position(|&v| {
            v.is_finite()
                && if higher {
                    v >= bound - se
                } else {
                    v <= bound + se
                }
        })
        .or(Some(best))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::metrics::silhouette_score;

    #[test]
    fn a_document_out_of_range_is_refused_with_the_check_error() {
        let valid = SelectKParams::new([2, 3, 4]).check().unwrap();
        crate::testing::refused_out_of_range(
            &valid,
            "\"k_values\":[2,3,4]",
            "\"k_values\":[1,2,3]",
            SelectKParams::new([1, 2, 3]).check(),
        );
        // The checked k values must be those of the parameters.
        let document = serde_json::to_string(&valid).unwrap();
        let tampered = format!("{}[2,3]}}", document.rsplit_once("[2,3,4]").unwrap().0);
        let error = serde_json::from_str::<SelectKValidParams>(&tampered).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("invalid parameter `k_values`"),
            "{error}"
        );
    }

    /// `groups` well separated blobs of `per_group` points in 3-D.
    fn blobs(groups: usize, per_group: usize, spread: f64, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        Array2::from_shape_fn((groups * per_group, 3), |(i, j)| {
            let g = i / per_group;
            let center = if j == g % 3 {
                10.0 * (1 + g / 3) as f64
            } else {
                0.0
            };
            center + spread * (rng.r#gen::<f64>() - 0.5)
        })
    }

    fn row(k: usize, silhouette: f64, ch: f64, db: f64, inertia: f64) -> KEvaluation {
        KEvaluation {
            k,
            n_clusters_found: k,
            inertia,
            silhouette,
            silhouette_se: None,
            calinski_harabasz: ch,
            calinski_harabasz_se: None,
            davies_bouldin: db,
            davies_bouldin_se: None,
            gap: None,
            gap_spread: None,
            stability_mean: None,
            stability_sd: None,
            bic: None,
        }
    }

    #[test]
    fn finds_four_blobs_with_both_methods_and_all_criteria_agree() {
        let x = blobs(4, 30, 2.0, 1);
        for method in [
            SelectMethod::KMeans,
            SelectMethod::Ward,
            SelectMethod::GaussianMixture(CovarianceType::Full),
        ] {
            let result = SelectKParams::new(2..=7)
                .method(method)
                .gap_references(5)
                .stability_resamples(4)
                .random_state(3)
                .fit(x.view())
                .unwrap();
            assert_eq!(
                result.recommended_k,
                4,
                "{}: {}",
                method.name(),
                result.reason
            );
            assert_eq!(result.table.len(), 6);
            let at_4 = &result.table[2];
            assert!(at_4.stability_mean.unwrap() > 0.99, "{at_4:?}");
            assert!(at_4.gap.unwrap() > result.table[0].gap.unwrap());
            assert!(
                result.reason.contains("Recommended k = 4"),
                "{}",
                result.reason
            );
            assert!(result.votes.iter().any(|v| v.criterion == Criterion::Gap));
            let silhouette_vote = &result.votes[0];
            assert_eq!(silhouette_vote.k, Some(4));
            let bic_vote = result.votes.iter().find(|v| v.criterion == Criterion::Bic);
            match method {
                SelectMethod::GaussianMixture(_) => {
                    assert_eq!(bic_vote.and_then(|v| v.k), Some(4));
                    assert!(result
                        .table
                        .iter()
                        .all(|r| r.bic.is_some_and(f64::is_finite)));
                }
                _ => assert!(bic_vote.is_none() && result.table.iter().all(|r| r.bic.is_none())),
            }
        }
    }

    #[test]
    fn table_matches_the_metrics_on_the_same_labels() {
        let x = blobs(3, 20, 3.0, 2);
        let result = SelectKParams::new([4, 2, 3, 3])
            .gap_references(0)
            .stability_resamples(0)
            .random_state(5)
            .fit(x.view())
            .unwrap();
        assert_eq!(
            result.table.iter().map(|r| r.k).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        for row in &result.table {
            let labels = KMeansParams::new(row.k)
                .random_state(5)
                .fit(x.view(), None)
                .unwrap()
                .labels()
                .to_owned();
            // Same rows and distances, summed in another order.
            let exact = silhouette_score(x.view(), labels.view()).unwrap();
            assert!((row.silhouette - exact).abs() < 1e-12, "{row:?} vs {exact}");
            assert!(row.silhouette_se.unwrap() > 0.0);
            assert_eq!(
                row.calinski_harabasz,
                calinski_harabasz_score(x.view(), labels.view()).unwrap()
            );
            assert_eq!(row.inertia, inertia(x.view(), labels.view(), None).unwrap());
            assert!(row.gap.is_none() && row.stability_mean.is_none());
        }
        assert!(!result.votes.iter().any(|v| v.criterion == Criterion::Gap));
    }

    #[test]
    fn same_seed_same_result_and_progress_counts_every_clustering() {
        let x = blobs(3, 15, 4.0, 9);
        let params = SelectKParams::new(2..=5)
            .gap_references(3)
            .stability_resamples(2)
            .random_state(11);
        let mut calls = Vec::new();
        let a = params
            .fit_with_progress(x.view(), |done, total| calls.push((done, total)))
            .unwrap();
        let b = params.fit(x.view()).unwrap();
        assert_eq!(a, b);
        assert_eq!(calls.len(), 4 * (1 + 3 + 2));
        assert_eq!(*calls.last().unwrap(), (24, 24));
        assert!(calls.windows(2).all(|w| w[1].0 == w[0].0 + 1));
        let one_thread = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let c = one_thread.install(|| params.fit(x.view()).unwrap());
        assert_eq!(a, c);
    }

    #[test]
    fn disagreement_and_tie_breakers_are_reported() {
        // Silhouette and CH say 3, DB says 6, elbow says 5: k = 3 wins 2 votes to 1.
        let table = vec![
            row(2, 0.40, 100.0, 0.9, 100.0),
            row(3, 0.60, 300.0, 0.8, 60.0),
            row(4, 0.50, 200.0, 0.7, 40.0),
            row(5, 0.45, 150.0, 0.6, 15.0),
            row(6, 0.30, 120.0, 0.5, 12.0),
            row(7, 0.20, 110.0, 0.55, 10.0),
        ];
        let result = recommend(SelectMethod::KMeans, table, 0, 0.8, None);
        assert_eq!(result.recommended_k, 3);
        assert!(!result.criteria_agree);
        assert!(result.reason.contains("disagree"), "{}", result.reason);
        assert!(
            result.reason.contains("Davies-Bouldin prefers 6"),
            "{}",
            result.reason
        );

        // Silhouette 2, CH 5, DB 9, no elbow (straight line): one vote each -> 5 is in 4..=8.
        let straight = |k: usize| 100.0 - 10.0 * k as f64;
        let table = vec![
            row(2, 0.9, 1.0, 0.9, straight(2)),
            row(5, 0.1, 9.0, 0.8, straight(5)),
            row(9, 0.1, 1.0, 0.1, straight(9)),
        ];
        let result = recommend(SelectMethod::Ward, table, 0, 0.8, None);
        assert_eq!(result.recommended_k, 5, "{}", result.reason);
        assert!(result.reason.contains("4..=8"), "{}", result.reason);
        assert!(
            result.reason.contains("no clear elbow"),
            "{}",
            result.reason
        );

        // Same tie, but stability was measured and favours 9.
        let mut table = vec![
            row(2, 0.9, 1.0, 0.9, straight(2)),
            row(5, 0.1, 9.0, 0.8, straight(5)),
            row(9, 0.1, 1.0, 0.1, straight(9)),
        ];
        for (r, m) in table.iter_mut().zip([0.5, 0.7, 0.95]) {
            r.stability_mean = Some(m);
            r.stability_sd = Some(0.01);
        }
        let result = recommend(SelectMethod::Ward, table, 5, 0.8, None);
        assert_eq!(result.recommended_k, 9, "{}", result.reason);
        assert!(result.reason.contains("most stable"), "{}", result.reason);
    }

    #[test]
    fn bad_input_is_rejected_before_work() {
        let x = blobs(2, 5, 1.0, 0);
        let message = |p: SelectKParams| p.fit(x.view()).unwrap_err().to_string();
        assert!(message(SelectKParams::new(2..=10)).contains("n_samples - 1 = 9"));
        assert!(message(SelectKParams::new(1..=3)).contains("k_range"));
        assert!(message(SelectKParams::new(Vec::new())).contains("k_range"));
        assert!(message(SelectKParams::new(2..=3).n_init(Some(0))).contains("n_init"));
        assert!(message(SelectKParams::new(2..=3).stability_fraction(0.0))
            .contains("stability_fraction"));
        assert!(message(SelectKParams::new(2..=8).stability_fraction(0.5))
            .contains("stability_fraction"));
        assert!(
            message(SelectKParams::new(2..=3).silhouette_sample_size(Some(1)))
                .contains("silhouette_sample_size")
        );
        let mut with_nan = x.clone();
        with_nan[[3, 1]] = f64::NAN;
        assert!(SelectKParams::new(2..=3).fit(with_nan.view()).is_err());
    }

    #[test]
    fn float32_and_sampled_silhouette() {
        let x = blobs(3, 20, 2.0, 4).mapv(|v| v as f32);
        let result = SelectKParams::new(2..=4)
            .silhouette_sample_size(Some(30))
            .gap_references(2)
            .stability_resamples(2)
            .fit(x.view())
            .unwrap();
        assert_eq!(result.recommended_k, 3, "{}", result.reason);
    }

    #[test]
    fn one_standard_error_rule_prefers_the_simpler_k() {
        // Silhouette 0.300 at 5 and 0.301 at 7 with a standard error of 0.002: 5.
        let mut table = vec![
            row(4, 0.250, 1.0, 0.9, 100.0),
            row(5, 0.300, 1.0, 0.9, 60.0),
            row(6, 0.290, 1.0, 0.9, 50.0),
            row(7, 0.301, 1.0, 0.9, 45.0),
        ];
        for r in &mut table {
            r.silhouette_se = Some(0.002);
        }
        let result = recommend(SelectMethod::KMeans, table.clone(), 0, 0.8, None);
        assert_eq!(result.votes[0].k, Some(5), "{}", result.reason);
        assert!(result.reason.contains("within one standard error"));
        // A difference larger than the standard error keeps the highest.
        for r in &mut table {
            r.silhouette_se = Some(0.0001);
        }
        let result = recommend(SelectMethod::KMeans, table, 0, 0.8, None);
        assert_eq!(result.votes[0].k, Some(7), "{}", result.reason);
    }

    #[test]
    fn stability_within_its_noise_does_not_break_a_tie() {
        let straight = |k: usize| 100.0 - 10.0 * k as f64;
        let mut table = vec![
            row(2, 0.9, 1.0, 0.9, straight(2)),
            row(5, 0.1, 9.0, 0.8, straight(5)),
            row(9, 0.1, 1.0, 0.1, straight(9)),
        ];
        // 9 is the most stable, but 5 is within one standard error (0.1 / sqrt(4)) of it.
        for (r, m) in table.iter_mut().zip([0.5, 0.90, 0.93]) {
            r.stability_mean = Some(m);
            r.stability_sd = Some(0.1);
        }
        let result = recommend(SelectMethod::Ward, table, 4, 0.8, None);
        assert_eq!(result.recommended_k, 5, "{}", result.reason);
        assert!(result.reason.contains("4..=8"), "{}", result.reason);
    }

    #[test]
    fn a_sample_is_evaluated_reported_and_seeded() {
        let x = blobs(4, 300, 2.0, 6);
        let params = SelectKParams::new(2..=6)
            .gap_references(3)
            .stability_resamples(3)
            .resample_n_init(Some(1))
            .sample_size(Some(400))
            .random_state(2);
        let (result, centers) = params.fit_with_centers(x.view(), |_, _| {}).unwrap();
        assert_eq!(result.recommended_k, 4, "{}", result.reason);
        assert_eq!(
            result.sample,
            Some(SelectKSample {
                rows: 400,
                of: 1200
            })
        );
        assert!(
            result.reason.contains("400 of the 1200 rows"),
            "{}",
            result.reason
        );
        assert_eq!(centers.len(), 5);
        assert_eq!(centers[2].dim(), (4, 3));
        assert_eq!(result, params.fit(x.view()).unwrap());
        // A sample as large as the data is no sample.
        let whole = params
            .clone()
            .sample_size(Some(5000))
            .fit(x.view())
            .unwrap();
        assert_eq!(whole.sample, None);
        let message = |p: SelectKParams| p.fit(x.view()).unwrap_err().to_string();
        assert!(message(params.clone().sample_size(Some(5))).contains("sample_size"));
        assert!(message(params.clone().sample_size(Some(2))).contains("sample_size"));
        assert!(message(params.resample_n_init(Some(0))).contains("resample_n_init"));
    }

    #[test]
    fn smaller_gap_references_stand_for_references_of_the_data_size() {
        let x = blobs(4, 150, 2.0, 8);
        let params = SelectKParams::new(2..=6)
            .gap_references(6)
            .stability_resamples(0)
            .random_state(4);
        let full = params.fit(x.view()).unwrap();
        let smaller = params
            .clone()
            .gap_sample_size(Some(200))
            .fit(x.view())
            .unwrap();
        let gap_vote = |r: &SelectKResult| {
            r.votes
                .iter()
                .find(|v| v.criterion == Criterion::Gap)
                .and_then(|v| v.k)
        };
        assert_eq!(gap_vote(&smaller), gap_vote(&full), "{}", smaller.reason);
        assert_eq!(smaller.recommended_k, full.recommended_k);
        for (a, b) in full.table.iter().zip(&smaller.table) {
            // log W* of 200 rows + log(600 / 200) is log W* of 600 rows up to the fits' noise.
            assert!(
                (a.gap.unwrap() - b.gap.unwrap()).abs() < 0.1,
                "{a:?} vs {b:?}"
            );
            assert_eq!(a.silhouette, b.silhouette);
        }
        // As many rows as the data (or more) is the default.
        assert_eq!(
            params
                .clone()
                .gap_sample_size(Some(600))
                .fit(x.view())
                .unwrap(),
            full
        );
        let message = |p: SelectKParams| p.fit(x.view()).unwrap_err().to_string();
        assert!(message(params.clone().gap_sample_size(Some(2))).contains("gap_sample_size"));
        assert!(message(params.gap_sample_size(Some(6))).contains("gap_sample_size"));
    }

    #[test]
    fn a_split_vote_on_a_sample_is_computed_again_on_more_rows() {
        // Structure-free data in 6 dimensions: the criteria split on about half the samples.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
        let x = Array2::from_shape_fn((900, 6), |_| rng.r#gen::<f64>());
        let mut split = 0;
        for seed in 0..10 {
            let base = SelectKParams::new(2..=6)
                .gap_references(2)
                .stability_resamples(0)
                .sample_size(Some(300))
                .random_state(seed);
            let first = base.fit(x.view()).unwrap();
            let settled = base
                .clone()
                .max_sample_size(Some(600))
                .fit(x.view())
                .unwrap();
            if has_majority(&first) {
                assert_eq!(settled, first);
                continue;
            }
            split += 1;
            assert_eq!(settled.sample, Some(SelectKSample { rows: 600, of: 900 }));
            assert!(
                settled.reason.contains("first sample of 300 rows"),
                "{}",
                settled.reason
            );
            let every_row = base.max_sample_size(Some(5000)).fit(x.view()).unwrap();
            assert_eq!(every_row.sample, None);
            assert!(
                every_row.reason.contains("every row"),
                "{}",
                every_row.reason
            );
        }
        assert!(
            split > 0,
            "no split vote among the seeds: the test checks nothing"
        );
    }

    #[test]
    fn one_standard_error_rules_for_every_criterion_with_parts() {
        // The parts' means (make_b2b-like): silhouette and Davies-Bouldin are best at 6, but 5 is
        // within one standard error of either; Calinski-Harabasz is highest at 4, the elbow 5.
        let inertias = [200.0, 160.0, 150.0, 142.0, 136.0];
        let silhouettes = [0.250, 0.271, 0.276, 0.262, 0.255];
        let dbs = [1.50, 1.40, 1.364, 1.45, 1.52];
        let chs = [900.0, 880.0, 800.0, 760.0, 700.0];
        let table: Vec<KEvaluation> = (0..5)
            .map(|i| row(4 + i, silhouettes[i], chs[i], dbs[i], inertias[i]))
            .collect();
        // Without standard errors every criterion votes for its best: 6 has 2 of 4, 5 and 4 one.
        let old = recommend(SelectMethod::KMeans, table.clone(), 0, 0.8, None);
        assert_eq!(old.recommended_k, 6, "{}", old.reason);
        assert!(!has_majority(&old));
        let mut with_se = table;
        for r in &mut with_se {
            r.silhouette_se = Some(0.006);
            r.davies_bouldin_se = Some(0.05);
            r.calinski_harabasz_se = Some(15.0);
        }
        let new = recommend(SelectMethod::KMeans, with_se, 0, 0.8, None);
        assert_eq!(new.recommended_k, 5, "{}", new.reason);
        assert!(has_majority(&new));
        let vote = |c: Criterion| new.votes.iter().find(|v| v.criterion == c).unwrap().k;
        assert_eq!(vote(Criterion::Silhouette), Some(5));
        assert_eq!(vote(Criterion::DaviesBouldin), Some(5));
        // 880 is more than one standard error (15) below 900: CH keeps 4.
        assert_eq!(vote(Criterion::CalinskiHarabasz), Some(4));
        assert!(
            new.reason
                .contains("Davies-Bouldin is lowest at k = 6, but k = 5 is within one standard"),
            "{}",
            new.reason
        );
    }

    #[test]
    fn criteria_on_parts_are_means_with_standard_errors() {
        let x = blobs(4, 150, 2.0, 6);
        let params = SelectKParams::new(2..=6)
            .gap_references(2)
            .stability_resamples(2)
            .criteria_parts(3)
            .random_state(1);
        let mut calls = Vec::new();
        let result = params
            .fit_with_progress(x.view(), |done, total| calls.push((done, total)))
            .unwrap();
        assert_eq!(result.recommended_k, 4, "{}", result.reason);
        // One clustering per k of the rows, of each part, of each reference and subsample.
        assert_eq!(*calls.last().unwrap(), (5 * 8, 5 * 8));
        for r in &result.table {
            for se in [r.silhouette_se, r.calinski_harabasz_se, r.davies_bouldin_se] {
                assert!(se.is_some_and(|se| se.is_finite() && se >= 0.0), "{r:?}");
            }
        }
        // Means of 200-row parts: CH grows with the rows, so it is below the 600 rows' own.
        let whole = params.clone().criteria_parts(1).fit(x.view()).unwrap();
        assert!(whole.table.iter().all(|r| r.calinski_harabasz_se.is_none()));
        assert_eq!(whole.table[0].inertia, result.table[0].inertia);
        assert!(result.table[2].calinski_harabasz < whole.table[2].calinski_harabasz);
        assert!((result.table[2].silhouette - whole.table[2].silhouette).abs() < 0.05);
        let one_thread = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(one_thread.install(|| params.fit(x.view()).unwrap()), result);
        let message = |p: SelectKParams| p.fit(x.view()).unwrap_err().to_string();
        assert!(message(params.clone().criteria_parts(0)).contains("criteria_parts"));
        // 600 rows in 120 parts of 5 rows: not more than k = 6.
        assert!(message(params.criteria_parts(120)).contains("criteria_parts"));
    }

    #[test]
    fn checked_params_hold_the_sorted_distinct_k_values() {
        let params = SelectKParams::new([6, 2, 4, 2]).random_state(3);
        let valid = params.check().unwrap();
        assert_eq!(valid.k_values(), [2, 4, 6]);
        assert_eq!(valid.params(), &params);
        let x = blobs(3, 10, 1.0, 5);
        assert_eq!(valid.fit(x.view()).unwrap(), params.fit(x.view()).unwrap());
        match SelectKParams::new(2..=4).n_init(Some(0)).check() {
            Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "n_init"),
            other => panic!("expected InvalidParameter(n_init), got {other:?}"),
        }
    }

    #[test]
    fn params_and_results_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SelectKParams>();
        assert_send_sync::<SelectKValidParams>();
        assert_send_sync::<SelectKResult>();
        assert_send_sync::<KEvaluation>();
    }
}
