//! Fitting k-prototypes (batch and kmodes-style incremental updates) and the fitted model.

use super::data::{assign, nearest_to, MixedRows, Prototypes, CHUNK_ROWS};
use super::hyperparams::{
    KPrototypesInit, KPrototypesParams, KPrototypesUpdate, KPrototypesValidParams,
};
use super::init::{cao, huang, kmeans_plusplus};
use crate::error::{Error, Result};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A fitted k-prototypes model: numeric centroids, categorical modes, `gamma`, and the training
/// labels and cost of the best run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KPrototypes {
    numeric_centroids: Array2<f64>,
    categorical_modes: Array2<u32>,
    n_categories: Vec<u32>,
    gamma: f64,
    labels: Array1<usize>,
    cost: f64,
    n_iter: usize,
    converged: bool,
}

/// One run's result.
struct Run {
    protos: Prototypes,
    labels: Vec<usize>,
    cost: f64,
    n_iter: usize,
    converged: bool,
}

impl KPrototypesParams {
    /// Checks the parameters and fits (see [`KPrototypesValidParams::fit`]).
    ///
    /// # Example
    /// ```
    /// use ndarray::array;
    /// use segcore::cluster::kprototypes::KPrototypesParams;
    ///
    /// // Two numeric columns (revenue, employees, scaled) and two categorical (industry, region).
    /// let numeric = array![[0.1, 0.2], [0.0, 0.1], [0.2, 0.0], [5.0, 5.1], [5.2, 4.9], [4.9, 5.0]];
    /// let categorical = array![[0u32, 1], [0, 1], [0, 0], [2, 3], [2, 3], [1, 3]];
    /// let model = KPrototypesParams::new(2)
    ///     .random_state(7)
    ///     .fit(numeric.view(), categorical.view(), None)?;
    /// let labels = model.labels();
    /// assert_eq!(labels[0], labels[2]);
    /// assert_ne!(labels[0], labels[3]);
    /// let new = model.predict(array![[5.0, 5.0]].view(), array![[2u32, 3]].view())?;
    /// assert_eq!(new[0], labels[3]);
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn fit(
        &self,
        numeric: ArrayView2<f64>,
        categorical: ArrayView2<u32>,
        sample_weight: Option<ArrayView1<f64>>,
    ) -> Result<KPrototypes> {
        self.check()?.fit(numeric, categorical, sample_weight)
    }
}

impl KPrototypesValidParams {
    /// Fits k-prototypes on rows whose numeric columns are `numeric` (`n x p`, finite) and whose
    /// categorical columns are `categorical` (`n x q` category codes `0..n_categories`), optionally
    /// weighted (finite, >= 0, not all zero). `p` or `q` may be 0 (k-means or k-modes).
    ///
    /// Runs `effective_n_init()` initialisations one after another (each internally parallel) and
    /// keeps the lowest cost (the first on ties); on large data the random starts are screened on
    /// a sample first (see [`KPrototypesParams::n_init`]).
    pub fn fit(
        &self,
        numeric: ArrayView2<f64>,
        categorical: ArrayView2<u32>,
        sample_weight: Option<ArrayView1<f64>>,
    ) -> Result<KPrototypes> {
        let params = self.params();
        let k = params.n_clusters;
        let data = MixedRows::new(numeric, categorical, sample_weight)?;
        if k > data.n {
            return Err(Error::TooManyClusters {
                n_clusters: k,
                n_samples: data.n,
            });
        }
        let n_categories = data.n_categories()?;
        let gamma = params.gamma.unwrap_or_else(|| data.default_gamma());
        let mut seeds = Xoshiro256PlusPlus::seed_from_u64(params.random_state);
        let mut best: Option<Run> = self.screen(&data, &n_categories, gamma, &mut seeds)?;
        let full_runs = if best.is_some() {
            0
        } else {
            self.effective_n_init()
        };
        for _ in 0..full_runs {
            crate::cancel::check()?;
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds.r#gen());
            let protos = match &params.init {
                KPrototypesInit::KMeansPlusPlus => kmeans_plusplus(&data, k, gamma, &mut rng)?,
                KPrototypesInit::Cao => cao(&data, k, gamma, &n_categories)?,
                KPrototypesInit::Huang => huang(&data, k, gamma, &mut rng)?,
                KPrototypesInit::Given {
                    numeric,
                    categorical,
                } => given_prototypes(&data, numeric.view(), categorical.view())?,
            };
            let run = self.converge(&data, protos, &n_categories, gamma)?;
            if best.as_ref().is_none_or(|b| run.cost < b.cost) {
                best = Some(run);
            }
        }
        let run = best.expect("effective_n_init() >= 1 runs were made");
        Ok(KPrototypes {
            numeric_centroids: Array2::from_shape_vec((k, data.p), run.protos.numeric)
                .expect("k x p numeric centroids"),
            categorical_modes: Array2::from_shape_vec((k, data.q), run.protos.modes)
                .expect("k x q modes"),
            n_categories,
            gamma,
            labels: Array1::from(run.labels),
            cost: run.cost,
            n_iter: run.n_iter,
            converged: run.converged,
        })
    }
}

/// Above this many rows the random starts are screened on a seeded sample of this many rows
/// (four parallel chunks): each start runs to convergence on the sample, and only the
/// [`FINAL_RUNS`] best continue on all rows.
pub(crate) const SCREEN_ROWS: usize = 4 * CHUNK_ROWS;
/// Screened starts that continue to convergence on all rows.
pub(crate) const FINAL_RUNS: usize = 2;

/// `size` distinct row indices of `0..n` in increasing order (partial Fisher-Yates).
fn sample_rows(n: usize, size: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n).collect();
    for i in 0..size {
        let j = rng.gen_range(i..n);
        indices.swap(i, j);
    }
    indices.truncate(size);
    indices.sort_unstable();
    indices
}

impl KPrototypesValidParams {
    /// Screening of the random starts on large data (more than [`SCREEN_ROWS`] rows, several
    /// k-means++ or Huang starts): every start is initialised and run to convergence (batch
    /// update) on one seeded sample of [`SCREEN_ROWS`] rows; the [`FINAL_RUNS`] lowest-cost
    /// sample solutions are run to convergence on all rows with the chosen update, and the
    /// lowest full cost wins. `None` when screening does not apply, or when the sample holds
    /// fewer than `n_clusters` distinct rows (the starts then run on all rows). Errors only when
    /// cancelled.
    fn screen(
        &self,
        data: &MixedRows,
        n_categories: &[u32],
        gamma: f64,
        seeds: &mut Xoshiro256PlusPlus,
    ) -> Result<Option<Run>> {
        let params = self.params();
        let random_init = matches!(
            params.init,
            KPrototypesInit::KMeansPlusPlus | KPrototypesInit::Huang
        );
        let n_starts = self.effective_n_init();
        if !random_init || n_starts <= FINAL_RUNS || data.n <= SCREEN_ROWS {
            return Ok(None);
        }
        let k = params.n_clusters;
        let mut sample_rng = Xoshiro256PlusPlus::seed_from_u64(seeds.r#gen());
        let sample = data.subset(&sample_rows(data.n, SCREEN_ROWS, &mut sample_rng));
        let mut candidates: Vec<(f64, Prototypes)> = Vec::with_capacity(n_starts);
        for _ in 0..n_starts {
            crate::cancel::check()?;
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds.r#gen());
            let protos = match &params.init {
                KPrototypesInit::Huang => huang(&sample, k, gamma, &mut rng),
                _ => kmeans_plusplus(&sample, k, gamma, &mut rng),
            };
            let Ok(protos) = protos else {
                return Ok(None);
            };
            let run = run_batch(&sample, protos, n_categories, gamma, params.max_iter)?;
            candidates.push((run.cost, run.protos));
        }
        // Stable: equal costs keep start order.
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut best: Option<Run> = None;
        for (_, protos) in candidates.into_iter().take(FINAL_RUNS) {
            let run = self.converge(data, protos, n_categories, gamma)?;
            if best.as_ref().is_none_or(|b| run.cost < b.cost) {
                best = Some(run);
            }
        }
        Ok(best)
    }

    /// One run from `protos` on all rows with the chosen update rule.
    fn converge(
        &self,
        data: &MixedRows,
        protos: Prototypes,
        n_categories: &[u32],
        gamma: f64,
    ) -> Result<Run> {
        let max_iter = self.params().max_iter;
        match self.params().update {
            KPrototypesUpdate::Batch => {
                let batch = run_batch(data, protos, n_categories, gamma, max_iter)?;
                polish(data, batch, n_categories, gamma, max_iter)
            }
            KPrototypesUpdate::Incremental => {
                run_incremental(data, protos, n_categories, gamma, max_iter)
            }
        }
    }
}

fn given_prototypes(
    data: &MixedRows,
    numeric: ArrayView2<f64>,
    categorical: ArrayView2<u32>,
) -> Result<Prototypes> {
    if numeric.ncols() != data.p || categorical.ncols() != data.q {
        return Err(Error::invalid_parameter(
            "init",
            format!(
                "centroids with {} numeric and {} categorical columns",
                numeric.ncols(),
                categorical.ncols()
            ),
            format!(
                "{} numeric and {} categorical columns, as X",
                data.p, data.q
            ),
        ));
    }
    Ok(Prototypes {
        k: numeric.nrows(),
        numeric: numeric.as_standard_layout().iter().copied().collect(),
        modes: categorical.as_standard_layout().iter().copied().collect(),
    })
}

/// Per-cluster statistics: weighted numeric sums (`k x p`), weights (`k`) and weighted category
/// counts (`k x L`, `L` the total number of categories, column `j` at `offsets[j]`).
struct ClusterStats {
    sums: Vec<f64>,
    weights: Vec<f64>,
    counts: Vec<f64>,
    offsets: Vec<usize>,
    n_levels: usize,
}

impl ClusterStats {
    fn new(k: usize, p: usize, n_categories: &[u32]) -> Self {
        let mut offsets = Vec::with_capacity(n_categories.len());
        let mut n_levels = 0;
        for &c in n_categories {
            offsets.push(n_levels);
            n_levels += c as usize;
        }
        ClusterStats {
            sums: vec![0.0; k * p],
            weights: vec![0.0; k],
            counts: vec![0.0; k * n_levels],
            offsets,
            n_levels,
        }
    }

    /// Statistics of a labelling: numeric sums in parallel fixed chunks reduced in order,
    /// category counts one column per task in row order (deterministic on any thread count).
    fn of_labels(data: &MixedRows, labels: &[usize], k: usize, n_categories: &[u32]) -> Self {
        let mut stats = ClusterStats::new(k, data.p, n_categories);
        let p = data.p;
        let partials: Vec<(Vec<f64>, Vec<f64>)> = labels
            .par_chunks(CHUNK_ROWS)
            .enumerate()
            .map(|(c, lab)| {
                let mut sums = vec![0.0; k * p];
                let mut weights = vec![0.0; k];
                for (o, &l) in lab.iter().enumerate() {
                    let i = c * CHUNK_ROWS + o;
                    let w = data.weights[i];
                    weights[l] += w;
                    for (s, x) in sums[l * p..(l + 1) * p].iter_mut().zip(data.num_row(i)) {
                        *s += x * w;
                    }
                }
                (sums, weights)
            })
            .collect();
        for (sums, weights) in partials {
            stats.sums.iter_mut().zip(&sums).for_each(|(a, b)| *a += b);
            stats
                .weights
                .iter_mut()
                .zip(&weights)
                .for_each(|(a, b)| *a += b);
        }
        let q = data.q;
        let per_column: Vec<Vec<f64>> = (0..q)
            .into_par_iter()
            .map(|j| {
                let levels = n_categories[j] as usize;
                let mut counts = vec![0.0; k * levels];
                for (i, &l) in labels.iter().enumerate() {
                    counts[l * levels + data.codes[i * q + j] as usize] += data.weights[i];
                }
                counts
            })
            .collect();
        for (j, counts) in per_column.iter().enumerate() {
            let levels = n_categories[j] as usize;
            for c in 0..k {
                let dst = c * stats.n_levels + stats.offsets[j];
                stats.counts[dst..dst + levels]
                    .copy_from_slice(&counts[c * levels..(c + 1) * levels]);
            }
        }
        stats
    }

    fn column_counts(&self, c: usize, j: usize, n_categories: &[u32]) -> &[f64] {
        let start = c * self.n_levels + self.offsets[j];
        &self.counts[start..start + n_categories[j] as usize]
    }

    fn column_counts_mut(&mut self, c: usize, j: usize, n_categories: &[u32]) -> &mut [f64] {
        let start = c * self.n_levels + self.offsets[j];
        &mut self.counts[start..start + n_categories[j] as usize]
    }
}

/// The most frequent category (lowest code among ties, as kmodes).
fn mode_of(counts: &[f64]) -> u32 {
    let mut best = 0;
    for (code, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = code;
        }
    }
    best as u32
}

/// Sets the prototype of every non-empty cluster to its weighted mean and mode.
fn update_prototypes(
    protos: &mut Prototypes,
    stats: &ClusterStats,
    p: usize,
    q: usize,
    n_categories: &[u32],
) {
    for c in 0..protos.k {
        let w = stats.weights[c];
        if w <= 0.0 {
            continue;
        }
        for f in 0..p {
            protos.numeric[c * p + f] = stats.sums[c * p + f] / w;
        }
        for j in 0..q {
            protos.modes[c * q + j] = mode_of(stats.column_counts(c, j, n_categories));
        }
    }
}

/// Lloyd-style run: assign all rows, recompute means and modes, until no row changes cluster.
/// A cluster left empty restarts at the row farthest from its prototype (not yet used for
/// another empty cluster; lowest index on ties), as scikit-learn's k-means does. Each iteration
/// checks the cancellation flag.
fn run_batch(
    data: &MixedRows,
    mut protos: Prototypes,
    n_categories: &[u32],
    gamma: f64,
    max_iter: usize,
) -> Result<Run> {
    let k = protos.k;
    let (mut labels, mut dists, mut cost) = assign(data, &protos, gamma);
    let mut n_iter = 0;
    let mut converged = false;
    while n_iter < max_iter {
        crate::cancel::check()?;
        n_iter += 1;
        let stats = ClusterStats::of_labels(data, &labels, k, n_categories);
        update_prototypes(&mut protos, &stats, data.p, data.q, n_categories);
        let empty: Vec<usize> = (0..k).filter(|&c| stats.weights[c] <= 0.0).collect();
        if !empty.is_empty() {
            let mut order: Vec<usize> = (0..data.n).filter(|&i| data.weights[i] > 0.0).collect();
            order.sort_by(|&a, &b| dists[b].total_cmp(&dists[a]).then(a.cmp(&b)));
            for (&c, &row) in empty.iter().zip(&order) {
                if dists[row] <= 0.0 {
                    break;
                }
                protos.numeric[c * data.p..(c + 1) * data.p].copy_from_slice(data.num_row(row));
                protos.modes[c * data.q..(c + 1) * data.q].copy_from_slice(data.cat_row(row));
            }
        }
        let (new_labels, new_dists, new_cost) = assign(data, &protos, gamma);
        let unchanged = new_labels == labels;
        labels = new_labels;
        dists = new_dists;
        cost = new_cost;
        if unchanged {
            converged = true;
            break;
        }
    }
    Ok(Run {
        protos,
        labels,
        cost,
        n_iter,
        converged,
    })
}

/// Batch iterations stop in a state where no row is nearer another prototype, but moving rows
/// one at a time (each move updating both prototypes) can still lower the cost a little; on the
/// customer-personality data the batch optimum was 0.002% above kmodes' incremental one. So a
/// converged batch run continues with incremental iterations (usually one or two sequential
/// passes) and keeps whichever of the two states has the lower cost.
fn polish(
    data: &MixedRows,
    batch: Run,
    n_categories: &[u32],
    gamma: f64,
    max_iter: usize,
) -> Result<Run> {
    if batch.n_iter >= max_iter {
        return Ok(batch);
    }
    let refined = run_incremental(
        data,
        batch.protos.clone(),
        n_categories,
        gamma,
        max_iter - batch.n_iter,
    )?;
    Ok(if refined.cost < batch.cost {
        Run {
            n_iter: batch.n_iter + refined.n_iter,
            converged: refined.converged,
            ..refined
        }
    } else {
        batch
    })
}

/// Huang's incremental run, step for step as kmodes' `_k_prototypes_single`: assign every row
/// to the initial prototypes, set them to the means and modes; then per iteration visit the rows
/// in order and move a row whose nearest prototype is not its cluster's, updating both clusters'
/// sums, counts, means and modes at once (the receiving mode changes only when another
/// category's count strictly exceeds it; the giving cluster's mode is recomputed with the lowest
/// code on ties); end the iteration with a full assignment; stop when no row moved or the cost
/// did not decrease. Differences from kmodes: cluster weights move by the row's weight (kmodes
/// moves them by 1, the same when unweighted), and a cluster emptied by a move takes the row of
/// the largest cluster farthest from that cluster's prototype (kmodes takes a random row of it).
/// Each iteration checks the cancellation flag.
fn run_incremental(
    data: &MixedRows,
    mut protos: Prototypes,
    n_categories: &[u32],
    gamma: f64,
    max_iter: usize,
) -> Result<Run> {
    let (k, p, q) = (protos.k, data.p, data.q);
    let (mut membership, _, _) = assign(data, &protos, gamma);
    let mut stats = ClusterStats::of_labels(data, &membership, k, n_categories);
    update_prototypes(&mut protos, &stats, p, q, n_categories);
    let (mut labels, _, mut cost) = assign(data, &protos, gamma);
    let mut n_iter = 0;
    let mut converged = false;
    while n_iter < max_iter && !converged {
        crate::cancel::check()?;
        n_iter += 1;
        let mut moves = 0usize;
        for i in 0..data.n {
            let (to, _) = nearest_to(data.num_row(i), data.cat_row(i), &protos, p, q, gamma);
            if to == membership[i] {
                continue;
            }
            moves += 1;
            let from = membership[i];
            move_row(
                data,
                i,
                to,
                from,
                &mut membership,
                &mut stats,
                &mut protos,
                n_categories,
            );
            if stats.weights[from] <= 0.0 {
                // Refill the emptied cluster from the largest one.
                let largest = (0..k).fold(0, |b, c| {
                    if stats.weights[c] > stats.weights[b] {
                        c
                    } else {
                        b
                    }
                });
                let mut far = None;
                let mut far_dist = -1.0;
                for r in (0..data.n).filter(|&r| membership[r] == largest) {
                    let d = super::data::dissimilarity(
                        data.num_row(r),
                        data.cat_row(r),
                        &protos.numeric[largest * p..(largest + 1) * p],
                        &protos.modes[largest * q..(largest + 1) * q],
                        gamma,
                    );
                    if d > far_dist {
                        far_dist = d;
                        far = Some(r);
                    }
                }
                if let Some(r) = far {
                    move_row(
                        data,
                        r,
                        from,
                        largest,
                        &mut membership,
                        &mut stats,
                        &mut protos,
                        n_categories,
                    );
                }
            }
        }
        let (new_labels, _, new_cost) = assign(data, &protos, gamma);
        converged = moves == 0 || new_cost >= cost;
        labels = new_labels;
        cost = new_cost;
    }
    Ok(Run {
        protos,
        labels,
        cost,
        n_iter,
        converged,
    })
}

/// Moves row `i` from cluster `from` to `to`, updating sums, counts, means and modes.
#[allow(clippy::too_many_arguments)]
fn move_row(
    data: &MixedRows,
    i: usize,
    to: usize,
    from: usize,
    membership: &mut [usize],
    stats: &mut ClusterStats,
    protos: &mut Prototypes,
    n_categories: &[u32],
) {
    let (p, q) = (data.p, data.q);
    let w = data.weights[i];
    membership[i] = to;
    for (f, &x) in data.num_row(i).iter().enumerate() {
        stats.sums[to * p + f] += x * w;
        stats.sums[from * p + f] -= x * w;
    }
    stats.weights[to] += w;
    stats.weights[from] -= w;
    for (j, &code) in data.cat_row(i).iter().enumerate() {
        let to_counts = stats.column_counts_mut(to, j, n_categories);
        to_counts[code as usize] += w;
        let current = protos.modes[to * q + j] as usize;
        if to_counts[current] < to_counts[code as usize] {
            protos.modes[to * q + j] = code;
        }
        let from_counts = stats.column_counts_mut(from, j, n_categories);
        from_counts[code as usize] -= w;
        if protos.modes[from * q + j] == code {
            protos.modes[from * q + j] = mode_of(from_counts);
        }
    }
    for c in [to, from] {
        let wc = stats.weights[c];
        for f in 0..p {
            protos.numeric[c * p + f] = if wc != 0.0 {
                stats.sums[c * p + f] / wc
            } else {
                0.0
            };
        }
    }
}

impl KPrototypes {
    /// Cluster of every training row (`0..n_clusters()`), from the final prototypes.
    pub fn labels(&self) -> ArrayView1<'_, usize> {
        self.labels.view()
    }

    /// Weighted sum over the training rows of the dissimilarity to their prototype.
    pub fn cost(&self) -> f64 {
        self.cost
    }

    /// The weight of one categorical mismatch (given, or the data-based default).
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// Iterations run by the best run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the best run stopped before `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.numeric_centroids.nrows()
    }

    /// Numeric centroids (weighted means), `n_clusters x n_numeric`.
    pub fn numeric_centroids(&self) -> ArrayView2<'_, f64> {
        self.numeric_centroids.view()
    }

    /// Categorical modes (codes), `n_clusters x n_categorical`.
    pub fn categorical_modes(&self) -> ArrayView2<'_, u32> {
        self.categorical_modes.view()
    }

    /// Number of categories seen at fit in each categorical column (largest code + 1).
    pub fn n_categories(&self) -> &[u32] {
        &self.n_categories
    }

    /// Nearest prototype of each row (ties to the lower cluster). A category code not seen at fit
    /// (`>= n_categories()[j]`) matches no mode: it counts as a mismatch with every prototype,
    /// as in kmodes.
    pub fn predict(
        &self,
        numeric: ArrayView2<f64>,
        categorical: ArrayView2<u32>,
    ) -> Result<Array1<usize>> {
        let (p, q) = (
            self.numeric_centroids.ncols(),
            self.categorical_modes.ncols(),
        );
        if numeric.ncols() != p || categorical.ncols() != q {
            return Err(Error::ShapeMismatch {
                what: format!(
                    "X at predict (numeric + categorical columns; fit had {p} numeric and {q} categorical)"
                ),
                expected: p + q,
                got: numeric.ncols() + categorical.ncols(),
            });
        }
        let data = MixedRows::new(numeric, categorical, None)?;
        let protos = Prototypes {
            k: self.n_clusters(),
            numeric: self.numeric_centroids.iter().copied().collect(),
            modes: self.categorical_modes.iter().copied().collect(),
        };
        let (labels, _, _) = assign(&data, &protos, self.gamma);
        Ok(Array1::from(labels))
    }
}

/// Rows given as `f64` (the numeric columns, then each categorical column's code as a whole
/// number) split into the numeric part and the codes; a code that is not a whole number in
/// `0..MAX_CATEGORY_CODE` is an error naming its row and column.
pub(crate) fn split_mixed_rows(
    x: ArrayView2<f64>,
    p: usize,
    q: usize,
) -> Result<(Array2<f64>, Array2<u32>)> {
    if x.ncols() != p + q {
        return Err(Error::ShapeMismatch {
            what: format!("X columns ({p} numeric, then {q} categorical codes, as the fit had)"),
            expected: p + q,
            got: x.ncols(),
        });
    }
    let numeric = x.slice(ndarray::s![.., ..p]).to_owned();
    let mut codes = Array2::zeros((x.nrows(), q));
    for ((row, j), &v) in x.slice(ndarray::s![.., p..]).indexed_iter() {
        if !(v >= 0.0 && v < super::data::MAX_CATEGORY_CODE as f64 && v.fract() == 0.0) {
            return Err(Error::invalid_parameter(
                "X",
                format!("{v} at row {row}, categorical column {j}"),
                format!(
                    "category codes: whole numbers in 0..{}",
                    super::data::MAX_CATEGORY_CODE
                ),
            ));
        }
        codes[[row, j]] = v as u32;
    }
    Ok((numeric, codes))
}

/// k-prototypes seen through the common face: rows are the numeric columns followed by the
/// category codes (as whole numbers); centroids likewise (means, then modes).
impl crate::cluster::FittedClusterer for KPrototypes {
    fn n_features(&self) -> usize {
        self.numeric_centroids.ncols() + self.categorical_modes.ncols()
    }

    fn n_segments(&self) -> usize {
        self.n_clusters()
    }

    fn centroids(&self) -> Array2<f64> {
        let modes = self.categorical_modes.mapv(f64::from);
        ndarray::concatenate(
            ndarray::Axis(1),
            &[self.numeric_centroids.view(), modes.view()],
        )
        .expect("numeric and categorical prototypes have k rows each")
    }

    fn assign(&self, x: ArrayView2<f64>) -> Result<crate::cluster::Assigned> {
        let (numeric, codes) = split_mixed_rows(
            x,
            self.numeric_centroids.ncols(),
            self.categorical_modes.ncols(),
        )?;
        Ok(crate::cluster::Assigned {
            labels: self.predict(numeric.view(), codes.view())?,
            probabilities: None,
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl crate::persist::SavedModel for KPrototypes {
    fn kind() -> String {
        "kprototypes".into()
    }

    fn validate(&self) -> Result<()> {
        let invalid = |reason: String| Err(Error::ModelFormat { reason });
        let k = self.numeric_centroids.nrows();
        if k == 0 || self.categorical_modes.nrows() != k {
            return invalid(
                "k-prototypes: numeric and categorical prototypes disagree on n_clusters".into(),
            );
        }
        if self.n_categories.len() != self.categorical_modes.ncols() {
            return invalid(
                "k-prototypes: one category count per categorical column expected".into(),
            );
        }
        if self.numeric_centroids.iter().any(|v| !v.is_finite())
            || !(self.gamma.is_finite() && self.gamma >= 0.0)
        {
            return invalid("k-prototypes: centroids and gamma must be finite".into());
        }
        for row in self.categorical_modes.rows() {
            if row.iter().zip(&self.n_categories).any(|(&m, &n)| m >= n) {
                return invalid("k-prototypes: a mode is outside its column's categories".into());
            }
        }
        if self.labels.iter().any(|&l| l >= k) {
            return invalid("k-prototypes: a label is out of range".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Axis};

    /// Three groups: numeric around 0 / 5 / 10, categorical codes mostly 0 / 1 / 2.
    pub(crate) fn mixed(n_per: usize, seed: u64) -> (Array2<f64>, Array2<u32>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let n = 3 * n_per;
        let mut num = Array2::zeros((n, 2));
        let mut cat = Array2::zeros((n, 3));
        for i in 0..n {
            let g = i % 3;
            for f in 0..2 {
                num[[i, f]] = 5.0 * g as f64 + rng.r#gen::<f64>() - 0.5;
            }
            for j in 0..3 {
                cat[[i, j]] = if rng.r#gen::<f64>() < 0.8 {
                    g as u32
                } else {
                    rng.gen_range(0..4)
                };
            }
        }
        (num, cat)
    }

    #[test]
    fn recovers_groups_with_every_init_and_update() {
        let (num, cat) = mixed(200, 1);
        for init in [
            KPrototypesInit::KMeansPlusPlus,
            KPrototypesInit::Cao,
            KPrototypesInit::Huang,
        ] {
            for update in [KPrototypesUpdate::Batch, KPrototypesUpdate::Incremental] {
                let m = KPrototypesParams::new(3)
                    .init(init.clone())
                    .update(update)
                    .n_init(3)
                    .fit(num.view(), cat.view(), None)
                    .unwrap();
                let l = m.labels();
                for i in 0..num.nrows() {
                    assert_eq!(l[i], l[i % 3], "{init:?} {update:?} row {i}");
                }
                assert!(m.converged());
            }
        }
    }

    #[test]
    fn screened_starts_on_large_data_are_deterministic_and_recover_groups() {
        let (num, cat) = mixed(SCREEN_ROWS / 3 + 100, 6);
        assert!(num.nrows() > SCREEN_ROWS);
        let fit = || {
            KPrototypesParams::new(3)
                .n_init(4)
                .random_state(2)
                .fit(num.view(), cat.view(), None)
                .unwrap()
        };
        let one = crate::testing::same_on_threads(1, 3, fit);
        let l = one.labels();
        assert!((0..num.nrows()).all(|i| l[i] == l[i % 3]));
        // Screening keeps the cost of running every start on all rows.
        let all = KPrototypesParams::new(3)
            .n_init(2)
            .random_state(2)
            .fit(num.view(), cat.view(), None)
            .unwrap();
        assert!(one.cost() <= all.cost() * (1.0 + 1e-9));
        assert_eq!(
            sample_rows(10, 10, &mut Xoshiro256PlusPlus::seed_from_u64(0)).len(),
            10
        );
    }

    #[test]
    fn default_gamma_is_half_the_mean_std() {
        let num = array![[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]];
        let cat = array![[0u32], [1], [0]];
        let m = KPrototypesParams::new(1)
            .fit(num.view(), cat.view(), None)
            .unwrap();
        let std0 = (8.0f64 / 3.0).sqrt();
        assert!((m.gamma() - 0.5 * (std0 + 0.0) / 2.0).abs() < 1e-15);
        assert_eq!(m.categorical_modes()[[0, 0]], 0);
        assert!((m.numeric_centroids()[[0, 0]] - 2.0).abs() < 1e-15);
    }

    #[test]
    fn deterministic_on_any_thread_count_and_weights_act_as_repeats() {
        let (num, cat) = mixed(3000, 2);
        let fit = || {
            KPrototypesParams::new(4)
                .n_init(2)
                .fit(num.view(), cat.view(), None)
                .unwrap()
        };
        crate::testing::same_on_threads(1, 3, fit);
        // Integer weights equal repeated rows: same prototypes from the same given init.
        let (num, cat) = mixed(30, 3);
        let w: Array1<f64> = (0..num.nrows()).map(|i| (i % 3 + 1) as f64).collect();
        let rep: Vec<usize> = (0..num.nrows())
            .flat_map(|i| std::iter::repeat_n(i, i % 3 + 1))
            .collect();
        let init = KPrototypesInit::Given {
            numeric: num.select(Axis(0), &[0, 1, 2]),
            categorical: cat.select(Axis(0), &[0, 1, 2]),
        };
        let p = KPrototypesParams::new(3).init(init).gamma(Some(0.7));
        let a = p.fit(num.view(), cat.view(), Some(w.view())).unwrap();
        let b = p
            .fit(
                num.select(Axis(0), &rep).view(),
                cat.select(Axis(0), &rep).view(),
                None,
            )
            .unwrap();
        assert!((a.cost() - b.cost()).abs() < 1e-9);
        assert_eq!(a.categorical_modes(), b.categorical_modes());
        assert!(a
            .numeric_centroids()
            .abs_diff_eq(&b.numeric_centroids(), 1e-12));
    }

    #[test]
    fn bad_input_gives_clear_errors() {
        let num = array![[0.0], [0.0], [1.0]];
        let cat = array![[0u32], [0], [1]];
        // Two distinct rows, three clusters.
        let err = KPrototypesParams::new(3)
            .fit(num.view(), cat.view(), None)
            .unwrap_err();
        assert!(err.to_string().contains("distinct rows"), "{err}");
        for init in [KPrototypesInit::Cao, KPrototypesInit::Huang] {
            let err = KPrototypesParams::new(3)
                .init(init)
                .fit(num.view(), cat.view(), None)
                .unwrap_err();
            assert!(err.to_string().contains("positive weight (2)"), "{err}");
        }
        assert!(matches!(
            KPrototypesParams::new(4).fit(num.view(), cat.view(), None),
            Err(Error::TooManyClusters { .. })
        ));
        let nan = array![[0.0], [f64::NAN], [1.0]];
        assert!(matches!(
            KPrototypesParams::new(2).fit(nan.view(), cat.view(), None),
            Err(Error::NonFiniteValue { row: 1, .. })
        ));
        let huge = array![[0u32], [MAX_CODE], [1]];
        assert!(KPrototypesParams::new(2)
            .fit(num.view(), huge.view(), None)
            .is_err());
        let m = KPrototypesParams::new(2)
            .fit(num.view(), cat.view(), None)
            .unwrap();
        assert!(matches!(
            m.predict(array![[0.0, 1.0]].view(), array![[0u32]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        // An unseen category matches no mode: the numeric part decides.
        assert_eq!(
            m.predict(array![[1.0]].view(), array![[9u32]].view())
                .unwrap()[0],
            m.labels()[2]
        );
    }
    use super::super::data::MAX_CATEGORY_CODE as MAX_CODE;

    #[test]
    fn constant_column_changes_nothing() {
        let (num, cat) = mixed(100, 4);
        let with_const = ndarray::concatenate(
            Axis(1),
            &[cat.view(), Array2::zeros((cat.nrows(), 1)).view()],
        )
        .unwrap();
        let p = KPrototypesParams::new(3).n_init(2);
        let a = p.fit(num.view(), cat.view(), None).unwrap();
        let b = p.fit(num.view(), with_const.view(), None).unwrap();
        assert_eq!(a.labels(), b.labels());
        assert!((a.cost() - b.cost()).abs() < 1e-9);
    }

    #[test]
    fn saved_model_round_trips_and_models_are_send_sync() {
        let (num, cat) = mixed(20, 5);
        let m = KPrototypesParams::new(3)
            .fit(num.view(), cat.view(), None)
            .unwrap();
        let doc = crate::persist::to_json(&m).unwrap();
        let back: KPrototypes = crate::persist::from_json(&doc).unwrap();
        assert_eq!(m, back);
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KPrototypes>();
    }
}
