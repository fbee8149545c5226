//! Mergeable k-means statistics (one Lloyd step, the cost, the farthest rows for empty clusters,
//! k-means|| candidates) and the drivers that turn merged statistics into the next step and
//! finally into a [`KMeans`] model.

use super::moments::{check_block, check_same_features, widen};
use super::{ParquetPartition, PartialStats, PartitionTask};
use crate::cluster::kmeans::{
    assignment_sums, labels_inertia, labels_inertia_onto, load_centered_row, sq_dist,
    AssignmentSums, KMeans, KMeansInit, KMeansParams, KMeansValidParams, Label, PreparedCenters,
    CHUNK_ROWS,
};
use crate::data::parquet::{stream_parquet_rows, RowValue, ROW_BATCH};
use crate::error::{Error, Result};
use crate::validation::check_n_features;
use crate::Float;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

// A Parquet partition streams through the kernel in batches of whole chunks, so its sums are
// added chunk by chunk as over its block (the same bits).
const _: () = assert!(ROW_BATCH % CHUNK_ROWS == 0);

/// What every partition needs for one k-means pass: the column mean the data is centred by
/// (as the single-machine fit does, for accuracy) and the centered centers (k x d), in f64
/// holding values of the data's float type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansBroadcast {
    pub(crate) mean: Vec<f64>,
    pub(crate) centers: Array2<f64>,
}

/// A partition's sample weights checked (one per row, finite, >= 0; a partition whose weights
/// are all zero is fine), as a contiguous slice; the error names the partition and the row.
pub(crate) fn partition_weights<'a, F: Float>(
    weights: Option<ArrayView1<'a, F>>,
    n_rows: usize,
    partition: usize,
) -> Result<Option<std::borrow::Cow<'a, [F]>>> {
    let Some(w) = weights else {
        return Ok(None);
    };
    if w.len() != n_rows {
        return Err(Error::ShapeMismatch {
            what: format!("sample_weight of partition {partition} (one weight per row)"),
            expected: n_rows,
            got: w.len(),
        });
    }
    if let Some((row, &bad)) = w
        .iter()
        .enumerate()
        .find(|&(_, &v)| !v.is_finite() || v < F::zero())
    {
        return Err(Error::InvalidWeights {
            reason: format!(
                "partition {partition}: weight at row {row} is {}; weights must be finite and >= 0",
                bad.to_f64().unwrap_or(f64::NAN)
            ),
        });
    }
    Ok(crate::validation::contiguous_weights(Some(w)))
}

fn one() -> f64 {
    1.0
}

impl KMeansBroadcast {
    fn typed<F: Float>(&self, x: &ArrayView2<F>, partition: usize) -> Result<(Vec<F>, Array2<F>)> {
        check_block(x.view(), partition)?;
        check_n_features(
            x.view(),
            self.centers.ncols(),
            &format!("partition {partition} of X"),
        )?;
        let mean = self.mean.iter().map(|&m| F::cast(m)).collect();
        Ok((mean, self.centers.mapv(F::cast)))
    }

    /// One Lloyd pass over a partition: per-center sums of the centered rows (weighted by
    /// `weights`) and row counts (weight totals).
    pub fn step<F: Float>(
        &self,
        x: ArrayView2<F>,
        weights: Option<ArrayView1<F>>,
        partition: usize,
    ) -> Result<KMeansStep> {
        let (mean, centers) = self.typed(&x, partition)?;
        let weights = partition_weights(weights, x.nrows(), partition)?;
        let (sums, counts) = assignment_sums(&x, &mean, weights.as_deref(), &centers);
        Ok(KMeansStep {
            n_features: centers.ncols(),
            sums,
            counts,
        })
    }

    /// [`step`](Self::step) on a partition stored as Parquet, decoded a batch at a time into
    /// the kernel: the same bits as `step` on the partition's block, without the block.
    pub(crate) fn step_parquet<F: Float + RowValue>(
        &self,
        source: &ParquetPartition<'_>,
        partition: usize,
    ) -> Result<KMeansStep> {
        let (mean, centers) = self.typed_columns::<F>(source.columns.len(), partition)?;
        let mut sums = AssignmentSums::new(&centers);
        stream_parquet_rows::<F>(
            source.path,
            source.columns,
            source.row_groups.clone(),
            |_, batch| {
                sums.add(&batch, &mean, None);
                Ok(())
            },
        )?;
        let (sums, counts) = sums.finish();
        Ok(KMeansStep {
            n_features: centers.ncols(),
            sums,
            counts,
        })
    }

    /// [`cost`](Self::cost) on a partition stored as Parquet, a batch at a time (the same bits).
    pub(crate) fn cost_parquet<F: Float + RowValue>(
        &self,
        source: &ParquetPartition<'_>,
        partition: usize,
    ) -> Result<KMeansCost> {
        let (mean, centers) = self.typed_columns::<F>(source.columns.len(), partition)?;
        let pc = PreparedCenters::new(centers.view());
        let mut labels = Vec::new();
        let mut inertia = F::zero();
        let n_rows = stream_parquet_rows::<F>(
            source.path,
            source.columns,
            source.row_groups.clone(),
            |_, batch| {
                labels.clear();
                labels.resize(batch.nrows(), Label::MAX);
                inertia = labels_inertia_onto(inertia, &batch, &mean, None, &pc, &mut labels, true);
                Ok(())
            },
        )?;
        Ok(KMeansCost {
            inertia: widen(inertia),
            n_rows: n_rows as u64,
        })
    }

    /// The mean and centers in `F`, for a partition of `n_columns` columns.
    fn typed_columns<F: Float>(
        &self,
        n_columns: usize,
        partition: usize,
    ) -> Result<(Vec<F>, Array2<F>)> {
        if n_columns != self.centers.ncols() {
            return Err(Error::ShapeMismatch {
                what: format!("partition {partition} of X (number of features)"),
                expected: self.centers.ncols(),
                got: n_columns,
            });
        }
        let mean = self.mean.iter().map(|&m| F::cast(m)).collect();
        Ok((mean, self.centers.mapv(F::cast)))
    }

    /// Inertia (sum of the weighted squared distances to the nearest center) and row count of a
    /// partition.
    pub fn cost<F: Float>(
        &self,
        x: ArrayView2<F>,
        weights: Option<ArrayView1<F>>,
        partition: usize,
    ) -> Result<KMeansCost> {
        let (mean, centers) = self.typed(&x, partition)?;
        let weights = partition_weights(weights, x.nrows(), partition)?;
        let mut labels = vec![Label::MAX; x.nrows()];
        let inertia = labels_inertia(&x, &mean, weights.as_deref(), &centers, &mut labels, true);
        Ok(KMeansCost {
            inertia: widen(inertia),
            n_rows: x.nrows() as u64,
        })
    }

    /// Nearest center and squared distance of every row (centered rows in `visit`).
    fn nearest<F: Float>(
        &self,
        x: &ArrayView2<F>,
        partition: usize,
        mut visit: impl FnMut(usize, usize, F, &[F]),
    ) -> Result<()> {
        let (mean, centers) = self.typed(x, partition)?;
        let mut labels = vec![Label::MAX; x.nrows()];
        labels_inertia(x, &mean, None, &centers, &mut labels, true);
        let d = centers.ncols();
        let flat = centers.as_standard_layout();
        let flat = flat.as_slice().expect("standard layout is contiguous");
        let mut row = vec![F::zero(); d];
        for (i, &label) in labels.iter().enumerate() {
            load_centered_row(x, i, &mean, &mut row);
            let label = label as usize;
            let dist = sq_dist(&row, &flat[label * d..(label + 1) * d]);
            visit(i, label, dist, &row);
        }
        Ok(())
    }

    /// The `count` rows of a partition farthest from their nearest center (scikit-learn's
    /// candidates for re-seeding empty clusters: by distance, whatever their weight), farthest
    /// first, ties to the lower row; each carries its weight.
    pub fn farthest<F: Float>(
        &self,
        x: ArrayView2<F>,
        weights: Option<ArrayView1<F>>,
        partition: usize,
        count: usize,
    ) -> Result<FarthestRows> {
        let weights = partition_weights(weights, x.nrows(), partition)?;
        let mut rows = Vec::new();
        self.nearest(&x, partition, |i, label, dist, row| {
            rows.push(RankedRow {
                distance: widen(dist),
                partition: partition as u64,
                row: i as u64,
                label,
                values: row.iter().map(|&v| widen(v)).collect(),
                weight: weights.as_ref().map_or(1.0, |w| widen(w[i])),
            });
            if rows.len() > 2 * count.max(1) {
                sort_farthest(&mut rows);
                rows.truncate(count);
            }
        })?;
        sort_farthest(&mut rows);
        rows.truncate(count);
        Ok(FarthestRows { count, rows })
    }
}

/// Per-center sums of centered rows (k x d, row-major) and row counts of one Lloyd pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansStep {
    pub(crate) n_features: usize,
    pub(crate) sums: Vec<f64>,
    pub(crate) counts: Vec<f64>,
}

impl KMeansStep {
    /// Adds `other` (same centers): plain f64 sums, so merging in a fixed order gives fixed bits.
    pub fn merge(&mut self, other: &KMeansStep) -> Result<()> {
        check_same_features(self.n_features, other.n_features)?;
        check_same_features(self.counts.len(), other.counts.len())?;
        self.sums
            .iter_mut()
            .zip(&other.sums)
            .for_each(|(a, b)| *a += b);
        self.counts
            .iter_mut()
            .zip(&other.counts)
            .for_each(|(a, b)| *a += b);
        Ok(())
    }

    /// Rows assigned to each center.
    pub fn counts(&self) -> &[f64] {
        &self.counts
    }
}

/// Inertia and row count of a set of rows against fixed centers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansCost {
    pub(crate) inertia: f64,
    pub(crate) n_rows: u64,
}

impl KMeansCost {
    /// Adds `other`.
    pub fn merge(&mut self, other: &KMeansCost) {
        self.inertia += other.inertia;
        self.n_rows += other.n_rows;
    }

    /// Sum of squared distances to the nearest center.
    pub fn inertia(&self) -> f64 {
        self.inertia
    }
}

/// A row picked out of a partition, with where it came from and its centered values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedRow {
    /// Squared distance to its nearest center (or the random key of a uniform pick).
    pub distance: f64,
    /// Partition index.
    pub partition: u64,
    /// Row within the partition.
    pub row: u64,
    /// Its nearest center.
    pub label: usize,
    /// The centered row.
    pub values: Vec<f64>,
    /// Its sample weight.
    #[serde(default = "one")]
    pub weight: f64,
}

fn sort_farthest(rows: &mut [RankedRow]) {
    rows.sort_by(|a, b| {
        b.distance
            .partial_cmp(&a.distance)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then((a.partition, a.row).cmp(&(b.partition, b.row)))
    });
}

/// The rows farthest from their centers over all partitions seen (at most `count`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FarthestRows {
    pub(crate) count: usize,
    pub(crate) rows: Vec<RankedRow>,
}

impl FarthestRows {
    /// Keeps the `count` farthest of both (the order of the result does not depend on the merge
    /// order: distance, then partition, then row).
    pub fn merge(&mut self, other: &FarthestRows) {
        self.rows.extend(other.rows.iter().cloned());
        sort_farthest(&mut self.rows);
        self.rows.truncate(self.count);
    }
}

/// k-means|| candidates sampled from partitions, kept in (partition, row) order so the merged
/// set does not depend on the merge order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidates {
    pub(crate) rows: Vec<RankedRow>,
}

impl Candidates {
    /// Union of both, in (partition, row) order.
    pub fn merge(&mut self, other: &Candidates) {
        self.rows.extend(other.rows.iter().cloned());
        self.rows.sort_by_key(|r| (r.partition, r.row));
    }
}

/// The row with the smallest random key: a uniform pick over all rows, whatever the partition
/// sizes (every row's key is an independent uniform draw).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UniformPick {
    pub(crate) row: Option<RankedRow>,
}

impl UniformPick {
    /// Keeps the smaller key (ties to the lower partition, row).
    pub fn merge(&mut self, other: &UniformPick) {
        if let Some(b) = &other.row {
            let replace = match &self.row {
                None => true,
                Some(a) => (b.distance, b.partition, b.row) < (a.distance, a.partition, a.row),
            };
            if replace {
                self.row = Some(b.clone());
            }
        }
    }
}

/// The seed of start number `run` of a fit seeded with `seed` (`run` 0 keeps `seed`, so one
/// start gives the bits it always gave).
pub(crate) fn run_seed(seed: u64, run: usize) -> u64 {
    if run == 0 {
        return seed;
    }
    let mut z = seed ^ (run as u64).wrapping_mul(0xA076_1D64_78BD_642F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A generator for one (seed, round, partition): each partition samples independently and
/// reproducibly, whatever runs where.
fn partition_rng(seed: u64, round: usize, partition: usize) -> Xoshiro256PlusPlus {
    let mut z = seed
        ^ (round as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (partition as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Xoshiro256PlusPlus::seed_from_u64(z ^ (z >> 31))
}

/// One row of a partition with a random key (the first k-means|| center): the smallest key
/// over all partitions is a uniform pick, or with sample weights a pick with probability
/// proportional to the weight (the key `-ln(1 - u) / w`, an exponential draw with rate `w`,
/// ordered as `u` itself when every weight is 1, so all-ones weights pick the unweighted row;
/// zero-weight rows are never picked).
pub(crate) fn uniform_pick<F: Float>(
    x: ArrayView2<F>,
    weights: Option<ArrayView1<F>>,
    partition: usize,
    seed: u64,
    mean: &[f64],
) -> Result<UniformPick> {
    check_block(x.view(), partition)?;
    check_n_features(x.view(), mean.len(), &format!("partition {partition} of X"))?;
    let weights = partition_weights(weights, x.nrows(), partition)?;
    let mut rng = partition_rng(seed, usize::MAX, partition);
    let mut best: Option<(f64, usize)> = None;
    for i in 0..x.nrows() {
        let u: f64 = rng.r#gen();
        let key = match &weights {
            None => u,
            Some(w) => {
                let w = widen(w[i]);
                if w <= 0.0 {
                    continue;
                }
                -(-u).ln_1p() / w
            }
        };
        if best.is_none_or(|(k, _)| key < k) {
            best = Some((key, i));
        }
    }
    Ok(UniformPick {
        row: best.map(|(key, i)| RankedRow {
            distance: key,
            partition: partition as u64,
            row: i as u64,
            label: 0,
            values: x
                .row(i)
                .iter()
                .zip(mean)
                .map(|(&v, &m)| widen(v) - m)
                .collect(),
            weight: weights.as_ref().map_or(1.0, |w| widen(w[i])),
        }),
    })
}

/// The k-means|| sampling pass of one partition: each row is kept with probability
/// `min(1, oversampling * w d^2 / cost)` (d: distance to the nearest candidate so far, w: the
/// row's sample weight, 1 without weights; cost: the weighted total).
#[allow(clippy::too_many_arguments)]
pub(crate) fn sample_candidates<F: Float>(
    centers: &KMeansBroadcast,
    x: ArrayView2<F>,
    weights: Option<ArrayView1<F>>,
    partition: usize,
    cost: f64,
    oversampling: f64,
    seed: u64,
    round: usize,
) -> Result<Candidates> {
    let weights = partition_weights(weights, x.nrows(), partition)?;
    let mut rng = partition_rng(seed, round, partition);
    let mut rows = Vec::new();
    centers.nearest(&x, partition, |i, label, dist, row| {
        let draw: f64 = rng.r#gen();
        let dist = widen(dist);
        let weight = weights.as_ref().map_or(1.0, |w| widen(w[i]));
        if cost > 0.0 && dist > 0.0 && draw < oversampling * (weight * dist) / cost {
            rows.push(RankedRow {
                distance: dist,
                partition: partition as u64,
                row: i as u64,
                label,
                values: row.iter().map(|&v| widen(v)).collect(),
                weight,
            });
        }
    })?;
    Ok(Candidates { rows })
}

/// Rounds an f64 to the model's float type (values the partitions will see exactly).
fn to_dtype(v: f64, float32: bool) -> f64 {
    if float32 {
        v as f32 as f64
    } else {
        v
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Phase {
    Moments,
    FirstCenter,
    ParallelCost,
    ParallelSample { cost: f64 },
    CandidateWeights,
    Lloyd,
    Farthest { step: KMeansStep },
    FinalCost,
    Done { inertia: f64 },
}

/// The distributed k-means fit as a state machine: [`Self::next_task`] says what every
/// partition must compute, [`Self::receive`] takes the statistics merged over all partitions,
/// until [`Self::model`] gives the fitted [`KMeans`] (same document format as a single-machine
/// fit; its labels are empty: the rows stay where they are, and an engine computes labels with
/// `predict`).
///
/// The iteration is the single-machine one (scikit-learn's Lloyd): data centred by the column
/// mean, `tol` relative to the mean column variance, an empty cluster re-seeded with the
/// farthest row from its center (farthest first, ties to the earlier row), stop when the summed
/// squared center shift is `<= tol` (unchanged labels give a zero shift, so the single-machine
/// fit's "no label changed" stop happens at the same iteration), then the inertia of the final
/// centers. Initial centers: given, or k-means|| (Bahmani et al.): a uniform first row, `rounds`
/// passes that each keep every row with probability `oversampling * d^2 / cost`, the candidates
/// weighted by the number of rows nearest to them, then weighted k-means++ and Lloyd on the
/// candidates (the single-machine fit with `sample_weight`, best of 10 starts). With `n_init`
/// above 1 (k-means|| only; explicit centers run once, as on one machine) the whole fit runs
/// that many times from seeds derived from `random_state` (the first start keeps it) and the
/// run with the lowest final inertia wins (ties to the earlier run); `n_iter` is the winner's.
///
/// Determinism: for a fixed partitioning (the same rows in the same partitions) the model has
/// the same bits whatever the number of workers, threads or scheduling, provided the engine
/// merges in a fixed tree over the partition order (as `segcore.dask` and `segcore.spark` do).
/// Another partitioning changes only the rounding of the sums (and the k-means|| draws).
///
/// ```
/// use ndarray::array;
/// use segcore::cluster::kmeans::{KMeansInit, KMeansParams};
/// use segcore::partial::{split_rows, KMeansDriver, PartialStats};
///
/// let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0], [0.0, 0.2]];
/// let init = array![[0.0, 0.0], [5.0, 5.0]];
/// let params = KMeansParams::new(2).init(KMeansInit::Centers(init)).check()?;
/// let mut driver = KMeansDriver::new(params, false)?;
/// let parts = split_rows(x.view(), &[2, 2, 4]); // one empty partition
/// while let Some(task) = driver.next_task() {
///     let mut merged: Option<PartialStats> = None;
///     for (p, block) in parts.iter().enumerate() {
///         let stats = task.run(block.view(), p)?;
///         merged = Some(match merged { None => stats, Some(m) => m.merge(stats)? });
///     }
///     driver.receive(merged.expect("at least one partition"))?;
/// }
/// let model = driver.model::<f64>()?;
/// assert!((model.cluster_centers()[[1, 0]] - 5.05).abs() < 1e-12);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KMeansDriver {
    params: KMeansValidParams,
    /// Starts to run (`n_init`) and the current one.
    n_runs: usize,
    run: usize,
    /// The best finished start so far: (inertia, centers, n_iter, converged).
    best: Option<(f64, Array2<f64>, usize, bool)>,
    float32: bool,
    oversampling: f64,
    rounds: usize,
    phase: Phase,
    mean: Vec<f64>,
    tol: f64,
    n_rows: u64,
    candidates: Vec<Vec<f64>>,
    round: usize,
    centers: Array2<f64>,
    n_iter: usize,
    converged: bool,
    warnings: Vec<String>,
}

impl KMeansDriver {
    /// A driver for `params` (`init`: explicit centers or k-means++, which becomes k-means||
    /// with oversampling `2 k` and 5 rounds; `n_init` k-means|| starts, the best kept), for
    /// data of float32 (`float32`) or float64.
    pub fn new(params: KMeansValidParams, float32: bool) -> Result<Self> {
        let k = params.n_clusters();
        let warnings = Vec::new();
        let n_runs = params.effective_n_init();
        if matches!(params.init(), KMeansInit::Random) {
            return Err(Error::invalid_parameter(
                "init",
                "'random'",
                "'k-means++' (run as k-means||) or an array of centers for a distributed fit",
            ));
        }
        Ok(KMeansDriver {
            params,
            n_runs,
            run: 0,
            best: None,
            float32,
            oversampling: 2.0 * k as f64,
            rounds: 5,
            phase: Phase::Moments,
            mean: Vec::new(),
            tol: 0.0,
            n_rows: 0,
            candidates: Vec::new(),
            round: 0,
            centers: Array2::zeros((0, 0)),
            n_iter: 0,
            converged: false,
            warnings,
        })
    }

    /// k-means|| oversampling factor (rows kept per round, on average; default `2 k`) and number
    /// of rounds (default 5).
    pub fn with_parallel_init(mut self, oversampling: f64, rounds: usize) -> Result<Self> {
        if !(oversampling.is_finite() && oversampling > 0.0) {
            return Err(Error::invalid_parameter(
                "oversampling_factor",
                oversampling,
                "a finite number > 0",
            ));
        }
        self.oversampling = oversampling;
        self.rounds = rounds;
        Ok(self)
    }

    fn broadcast(&self, centers: Array2<f64>) -> KMeansBroadcast {
        KMeansBroadcast {
            mean: self.mean.clone(),
            centers,
        }
    }

    fn candidate_matrix(&self) -> Array2<f64> {
        let d = self.mean.len();
        let flat: Vec<f64> = self.candidates.iter().flatten().copied().collect();
        Array2::from_shape_vec((self.candidates.len(), d), flat)
            .expect("every candidate has d values")
    }

    /// The seed of the current start.
    fn seed(&self) -> u64 {
        run_seed(self.params.random_state(), self.run)
    }

    /// What each partition must compute next, or `None` when the fit is done.
    pub fn next_task(&self) -> Option<PartitionTask> {
        let seed = self.seed();
        Some(match &self.phase {
            Phase::Moments => PartitionTask::ColumnMoments,
            Phase::FirstCenter => PartitionTask::UniformPick {
                seed,
                mean: self.mean.clone(),
            },
            Phase::ParallelCost => {
                PartitionTask::KMeansCost(self.broadcast(self.candidate_matrix()))
            }
            Phase::ParallelSample { cost } => PartitionTask::SampleCandidates {
                centers: self.broadcast(self.candidate_matrix()),
                cost: *cost,
                oversampling: self.oversampling,
                seed,
                round: self.round,
            },
            Phase::CandidateWeights => {
                PartitionTask::KMeansStep(self.broadcast(self.candidate_matrix()))
            }
            Phase::Lloyd => PartitionTask::KMeansStep(self.broadcast(self.centers.clone())),
            Phase::Farthest { step } => PartitionTask::FarthestRows {
                centers: self.broadcast(self.centers.clone()),
                count: step.counts.iter().filter(|&&c| c == 0.0).count(),
            },
            Phase::FinalCost => PartitionTask::KMeansCost(self.broadcast(self.centers.clone())),
            Phase::Done { .. } => return None,
        })
    }

    fn unexpected(&self, got: &PartialStats) -> Error {
        Error::invalid_parameter(
            "partial statistics",
            got.kind(),
            format!(
                "the statistics of the task asked for ({:?})",
                self.next_task().map(|t| t.kind())
            ),
        )
    }

    /// Takes the statistics of the last task, merged over every partition, and moves on.
    pub fn receive(&mut self, stats: PartialStats) -> Result<()> {
        let k = self.params.n_clusters();
        match (std::mem::replace(&mut self.phase, Phase::Moments), stats) {
            (Phase::Moments, PartialStats::ColumnMoments(m)) => {
                if (m.count as usize) < k {
                    return Err(Error::TooManyClusters {
                        n_clusters: k,
                        n_samples: m.count as usize,
                    });
                }
                let d = m.n_features();
                self.mean = m.mean.iter().map(|&v| to_dtype(v, self.float32)).collect();
                let mean_var = m.variance().iter().sum::<f64>() / d as f64;
                self.tol = self.params.tol() * to_dtype(mean_var, self.float32);
                self.n_rows = m.count;
                self.phase = match self.params.init() {
                    KMeansInit::Centers(c) => {
                        check_n_features(c.view(), d, "init centers")?;
                        self.centers = Array2::from_shape_fn(c.dim(), |(j, f)| {
                            to_dtype(
                                to_dtype(c[[j, f]], self.float32) - self.mean[f],
                                self.float32,
                            )
                        });
                        Phase::Lloyd
                    }
                    _ => Phase::FirstCenter,
                };
            }
            (Phase::FirstCenter, PartialStats::UniformPick(pick)) => {
                let row = pick.row.ok_or_else(|| Error::EmptyInput {
                    what: "X has no rows (with a positive sample weight) in any partition".into(),
                })?;
                self.candidates = vec![row.values];
                self.phase = Phase::ParallelCost;
            }
            (Phase::ParallelCost, PartialStats::KMeansCost(cost)) => {
                self.phase = if self.round < self.rounds && cost.inertia > 0.0 {
                    Phase::ParallelSample { cost: cost.inertia }
                } else {
                    Phase::CandidateWeights
                };
            }
            (Phase::ParallelSample { .. }, PartialStats::Candidates(c)) => {
                self.candidates.extend(c.rows.into_iter().map(|r| r.values));
                self.round += 1;
                self.phase = if self.round < self.rounds {
                    Phase::ParallelCost
                } else {
                    Phase::CandidateWeights
                };
            }
            (Phase::CandidateWeights, PartialStats::KMeansStep(step)) => {
                self.centers = self.weighted_init(&step)?;
                self.phase = Phase::Lloyd;
            }
            (Phase::Lloyd, PartialStats::KMeansStep(step)) => {
                if step.counts.iter().all(|&c| c == 0.0) {
                    self.phase = Phase::Lloyd;
                    return Err(Error::InvalidWeights {
                        reason: "all weights are zero; at least one sample needs a positive \
                                 weight"
                            .into(),
                    });
                }
                if step.counts.contains(&0.0) {
                    self.phase = Phase::Farthest { step };
                } else {
                    self.update(step, None);
                }
            }
            (Phase::Farthest { step }, PartialStats::FarthestRows(far)) => {
                self.update(step, Some(far));
            }
            (Phase::FinalCost, PartialStats::KMeansCost(cost)) => {
                self.end_run(cost.inertia);
            }
            (phase, other) => {
                self.phase = phase;
                return Err(self.unexpected(&other));
            }
        }
        Ok(())
    }

    /// Keeps the finished start if it is the best so far; starts the next one or ends the fit
    /// with the best.
    fn end_run(&mut self, inertia: f64) {
        if self.best.as_ref().is_none_or(|(best, ..)| inertia < *best) {
            self.best = Some((inertia, self.centers.clone(), self.n_iter, self.converged));
        }
        self.run += 1;
        if self.run < self.n_runs {
            self.candidates.clear();
            self.round = 0;
            self.n_iter = 0;
            self.converged = false;
            self.phase = Phase::FirstCenter;
            return;
        }
        let (inertia, centers, n_iter, converged) = self
            .best
            .take()
            .expect("a finished start was just recorded");
        self.centers = centers;
        self.n_iter = n_iter;
        self.converged = converged;
        self.phase = Phase::Done { inertia };
    }

    /// Weighted k-means++ and Lloyd on the k-means|| candidates (the single-machine fit).
    fn weighted_init(&self, step: &KMeansStep) -> Result<Array2<f64>> {
        let k = self.params.n_clusters();
        let candidates = self.candidate_matrix();
        if candidates.nrows() < k {
            return Err(Error::Numerical {
                reason: format!(
                    "k-means|| found {} distinct candidates for {k} clusters; X has fewer \
                     distinct rows than n_clusters or raise oversampling_factor",
                    candidates.nrows()
                ),
            });
        }
        let weights = Array1::from(step.counts.clone());
        // Ten k-means++ starts on the weighted candidates (a few hundred rows at most) cost
        // nothing next to one pass over X and keep a poor start from deciding the fit.
        let local = KMeansParams::new(k)
            .n_init(10)
            .random_state(self.seed())
            .fit(candidates.view(), Some(weights.view()))?;
        Ok(local.cluster_centers().mapv(|v| to_dtype(v, self.float32)))
    }

    /// New centers from the merged sums (single-machine `run_single`, one iteration).
    fn update(&mut self, mut step: KMeansStep, far: Option<FarthestRows>) {
        let (k, d) = self.centers.dim();
        if let Some(far) = far {
            let empty: Vec<usize> = (0..k).filter(|&j| step.counts[j] == 0.0).collect();
            for (&new_cluster, row) in empty.iter().zip(&far.rows) {
                let (old, w) = (row.label, row.weight);
                for (f, &v) in row.values.iter().enumerate() {
                    step.sums[old * d + f] -= w * v;
                    step.sums[new_cluster * d + f] = w * v;
                }
                step.counts[new_cluster] = w;
                step.counts[old] -= w;
            }
        }
        let mut total_shift = 0.0;
        for j in 0..k {
            let w = step.counts[j];
            if w > 0.0 {
                for f in 0..d {
                    let new = to_dtype(step.sums[j * d + f] / w, self.float32);
                    let delta = new - self.centers[[j, f]];
                    total_shift += delta * delta;
                    self.centers[[j, f]] = new;
                }
            }
        }
        self.n_iter += 1;
        if total_shift <= self.tol {
            self.converged = true;
            self.phase = Phase::FinalCost;
        } else if self.n_iter >= self.params.max_iter() {
            self.phase = Phase::FinalCost;
        } else {
            self.phase = Phase::Lloyd;
        }
    }

    /// Rows seen (after the first task).
    pub fn n_rows(&self) -> u64 {
        self.n_rows
    }

    /// Lloyd iterations so far.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The fitted model once [`Self::next_task`] is `None` (an error before). Clusters keep the
    /// order of explicit initial centers; k-means|| clusters keep the order of the weighted fit
    /// on the candidates (decreasing candidate weight, which approximates the cluster size).
    pub fn model<F: Float>(&self) -> Result<KMeans<F>> {
        let Phase::Done { inertia } = self.phase else {
            return Err(Error::invalid_parameter(
                "distributed k-means",
                "unfinished",
                "a driver whose next_task() is None",
            ));
        };
        let centers = Array2::from_shape_fn(self.centers.dim(), |(j, f)| {
            F::cast(self.centers[[j, f]]) + F::cast(self.mean[f])
        });
        Ok(KMeans {
            centers,
            labels: Array1::zeros(0),
            inertia: F::cast(inertia),
            n_iter: self.n_iter,
            converged: self.converged,
            warnings: self.warnings.clone(),
        })
    }
}

/// Fits k-means on in-memory partitions with the same driver an engine uses (a reference for
/// tests and for engines that hand over row blocks): partitions in order, merged left to right.
pub fn fit_partitions<F: Float>(
    driver: &mut KMeansDriver,
    partitions: &[ArrayView2<F>],
) -> Result<KMeans<F>> {
    super::drive(driver, partitions, None)?;
    driver.model()
}

impl super::Driver for KMeansDriver {
    fn next_task(&self) -> Option<PartitionTask> {
        KMeansDriver::next_task(self)
    }

    fn receive(&mut self, stats: PartialStats) -> Result<()> {
        KMeansDriver::receive(self, stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partial::split_rows;
    use ndarray::{array, Array1, Array2, ArrayView1};

    fn blobs(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        Array2::from_shape_fn((n, d), |(i, f)| {
            ((i % 4) as f64) * 3.0 + (f as f64) * 0.1 + rng.r#gen::<f64>()
        })
    }

    #[test]
    fn same_centers_as_single_machine_from_the_same_init() {
        let x = blobs(10_000, 5, 1);
        let init = x.slice(ndarray::s![0..4, ..]).to_owned();
        let params = KMeansParams::new(4)
            .init(KMeansInit::Centers(init))
            .tol(0.0);
        let single = params.fit(x.view(), None).unwrap();
        for bounds in [vec![], vec![3000, 3000, 7001], vec![1, 4096, 9999]] {
            let parts = split_rows(x.view(), &bounds);
            let mut driver = KMeansDriver::new(params.check().unwrap(), false).unwrap();
            let model = fit_partitions(&mut driver, &parts).unwrap();
            let diff = (&model.centers - &single.centers).mapv(f64::abs);
            assert!(diff.iter().all(|&v| v < 1e-9), "{diff:?}");
            assert_eq!(model.predict(x.view()).unwrap(), single.labels);
            assert_eq!(model.n_iter, single.n_iter);
            assert!((model.inertia - single.inertia).abs() <= 1e-9 * single.inertia);
        }
    }

    #[test]
    fn same_bits_for_the_same_partitioning() {
        let x = blobs(5_000, 3, 2);
        let params = KMeansParams::new(3).random_state(7).check().unwrap();
        let parts = split_rows(x.view(), &[1000, 2500, 2500]);
        let a = fit_partitions(
            &mut KMeansDriver::new(params.clone(), false).unwrap(),
            &parts,
        );
        let b = fit_partitions(&mut KMeansDriver::new(params, false).unwrap(), &parts);
        assert_eq!(a.unwrap(), b.unwrap());
    }

    #[test]
    fn kmeans_parallel_reaches_the_single_machine_inertia() {
        let x = blobs(8_000, 4, 3);
        let single = KMeansParams::new(4)
            .random_state(0)
            .fit(x.view(), None)
            .unwrap();
        let parts = split_rows(x.view(), &[2000, 4000, 6000]);
        let params = KMeansParams::new(4).random_state(0).check().unwrap();
        let model = fit_partitions(&mut KMeansDriver::new(params, false).unwrap(), &parts).unwrap();
        assert!(
            model.inertia <= single.inertia * 1.01,
            "{} vs {}",
            model.inertia,
            single.inertia
        );
    }

    #[test]
    fn several_starts_keep_the_best_and_one_start_keeps_its_bits() {
        // Overlapping blobs in many clusters: starts differ.
        let x = blobs(3_000, 2, 8);
        let parts = split_rows(x.view(), &[1000, 2000]);
        let fit = |n_init: usize| {
            let params = KMeansParams::new(9)
                .n_init(n_init)
                .random_state(11)
                .check()
                .unwrap();
            fit_partitions(&mut KMeansDriver::new(params, false).unwrap(), &parts).unwrap()
        };
        let one = fit(1);
        let again = fit(1);
        assert_eq!(one, again);
        let runs: Vec<KMeans<f64>> = (1..=4).map(fit).collect();
        assert_eq!(runs[0], one);
        for pair in runs.windows(2) {
            assert!(pair[1].inertia <= pair[0].inertia);
        }
        assert_eq!(fit(4), runs[3], "deterministic");
        assert!(runs[3].warnings.is_empty());
    }

    /// Partitions of `x` and of its weights at `bounds`.
    fn weighted_parts<'a>(
        x: &'a Array2<f64>,
        w: &'a Array1<f64>,
        bounds: &[usize],
    ) -> (Vec<ArrayView2<'a, f64>>, Vec<ArrayView1<'a, f64>>) {
        let parts = split_rows(x.view(), bounds);
        let mut start = 0;
        let weights = parts
            .iter()
            .map(|p| {
                let view = w.slice(ndarray::s![start..start + p.nrows()]);
                start += p.nrows();
                view
            })
            .collect();
        (parts, weights)
    }

    fn fit_weighted(
        params: KMeansValidParams,
        parts: &[ArrayView2<f64>],
        weights: &[ArrayView1<f64>],
    ) -> Result<KMeans<f64>> {
        let mut driver = KMeansDriver::new(params, false)?;
        crate::partial::drive(&mut driver, parts, Some(weights))?;
        driver.model()
    }

    #[test]
    fn sample_weights_as_on_one_machine_and_ones_change_no_bit() {
        let x = blobs(6_000, 3, 9);
        let w = Array1::from_shape_fn(6_000, |i| ((i * 7) % 5) as f64);
        let init = x.slice(ndarray::s![0..4, ..]).to_owned();
        let params = KMeansParams::new(4)
            .init(KMeansInit::Centers(init))
            .tol(0.0);
        let single = params.fit(x.view(), Some(w.view())).unwrap();
        let (parts, weights) = weighted_parts(&x, &w, &[2000, 2000, 4500]);
        let model = fit_weighted(params.check().unwrap(), &parts, &weights).unwrap();
        let diff = (&model.centers - &single.centers).mapv(f64::abs);
        assert!(diff.iter().all(|&v| v < 1e-9), "{diff:?}");
        assert_eq!(model.n_iter, single.n_iter);
        assert!((model.inertia - single.inertia).abs() <= 1e-9 * single.inertia);

        // All-ones weights: the bits of the unweighted fit, k-means|| and several starts included.
        let ones = Array1::from_elem(6_000, 1.0);
        let (parts, weights) = weighted_parts(&x, &ones, &[1000, 3500]);
        let params = KMeansParams::new(5)
            .n_init(2)
            .random_state(3)
            .check()
            .unwrap();
        let weighted = fit_weighted(params.clone(), &parts, &weights).unwrap();
        let plain = fit_partitions(
            &mut KMeansDriver::new(params.clone(), false).unwrap(),
            &parts,
        )
        .unwrap();
        assert_eq!(weighted, plain);

        // Zero weights: those rows never become a center; all zero is an error; negative, too.
        let zero_far = {
            let mut y = x.clone();
            y.row_mut(0).fill(1e6);
            y
        };
        let mut w0 = Array1::from_elem(6_000, 1.0);
        w0[0] = 0.0;
        let (parts, weights) = weighted_parts(&zero_far, &w0, &[3000]);
        let model = fit_weighted(params.clone(), &parts, &weights).unwrap();
        assert!(
            model.centers.iter().all(|v| v.abs() < 1e3),
            "{:?}",
            model.centers
        );
        let zeros = Array1::zeros(6_000);
        let (parts, weights) = weighted_parts(&x, &zeros, &[3000]);
        assert!(fit_weighted(params.clone(), &parts, &weights).is_err());
        let mut negative = Array1::from_elem(6_000, 1.0);
        negative[4000] = -1.0;
        let (parts, weights) = weighted_parts(&x, &negative, &[3000]);
        let err = fit_weighted(params, &parts, &weights)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("partition 1") && err.contains("row 1000"),
            "{err}"
        );
    }

    #[test]
    fn candidates_are_weighted_by_the_rows_nearest_to_them() {
        // 1 far row and 99 rows at one spot: with weights, the 2 centers are the two spots.
        let mut x = Array2::zeros((100, 1));
        x[[99, 0]] = 10.0;
        let params = KMeansParams::new(2).random_state(1).check().unwrap();
        let model = fit_partitions(
            &mut KMeansDriver::new(params, false).unwrap(),
            &split_rows(x.view(), &[50]),
        )
        .unwrap();
        let mut c: Vec<f64> = model.centers.iter().copied().collect();
        c.sort_by(f64::total_cmp);
        assert!(c[0].abs() < 1e-12 && (c[1] - 10.0).abs() < 1e-12, "{c:?}");
    }

    #[test]
    fn empty_clusters_are_reseeded_like_the_single_machine_fit() {
        let x = array![[0.0], [0.1], [0.2], [10.0], [10.1], [30.0]];
        let init = array![[0.0], [10.0], [100.0]];
        let params = KMeansParams::new(3).init(KMeansInit::Centers(init));
        let single = params.fit(x.view(), None).unwrap();
        let parts = split_rows(x.view(), &[2, 4]);
        let model = fit_partitions(
            &mut KMeansDriver::new(params.check().unwrap(), false).unwrap(),
            &parts,
        )
        .unwrap();
        assert!((&model.centers - &single.centers)
            .iter()
            .all(|v: &f64| v.abs() < 1e-12));
    }

    #[test]
    fn bad_partitions_are_named() {
        let mut x = blobs(100, 2, 4);
        x[[60, 1]] = f64::NAN;
        let parts = split_rows(x.view(), &[50]);
        let params = KMeansParams::new(2).check().unwrap();
        let err = fit_partitions(
            &mut KMeansDriver::new(params.clone(), false).unwrap(),
            &parts,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("partition 1") && err.contains("row 10"),
            "{err}"
        );
        let y = blobs(50, 3, 5);
        let parts = vec![x.slice(ndarray::s![..50, ..]), y.view()];
        let err = fit_partitions(&mut KMeansDriver::new(params, false).unwrap(), &parts)
            .unwrap_err()
            .to_string();
        assert!(err.contains("number of features"), "{err}");
    }

    #[test]
    fn float32_matches_single_machine() {
        let x = blobs(4_000, 4, 6).mapv(|v| v as f32);
        let init = x.slice(ndarray::s![0..4, ..]).mapv(f64::from);
        let params = KMeansParams::new(4).init(KMeansInit::Centers(init));
        let single = params.fit(x.view(), None).unwrap();
        let parts = split_rows(x.view(), &[1500]);
        let model = fit_partitions(
            &mut KMeansDriver::new(params.check().unwrap(), true).unwrap(),
            &parts,
        )
        .unwrap();
        assert_eq!(model.predict(x.view()).unwrap(), single.labels);
        assert!((&model.centers - &single.centers)
            .iter()
            .all(|v: &f32| v.abs() < 1e-4));
    }

    #[test]
    fn send_sync() {
        fn check<T: Send + Sync>() {}
        check::<KMeansDriver>();
        check::<PartialStats>();
        check::<PartitionTask>();
    }
}
