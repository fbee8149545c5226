//! Mergeable partial statistics: what makes a fit distributable over the partitions of a Dask
//! array or a Spark DataFrame. An engine only moves values: it runs a [`PartitionTask`] on every
//! partition (giving [`PartialStats`]), merges them, and hands the merged value to a driver
//! ([`KMeansDriver`], [`GmmDriver`]) or to a model constructor (StandardScaler from [`ColumnMoments`], PCA from
//! [`CovarianceMoments`]).
//!
//! Invariant (determinism): merging is associative up to rounding, and for a fixed partitioning
//! merged in a fixed order (a left fold or a fixed tree over the partition order) the result has
//! the same bits whatever the number of workers, threads or the scheduling; k-means|| draws come
//! from a generator per (seed, round, partition). Merges that select rows (farthest rows,
//! candidates, the uniform first pick) order them by a total key, so they do not depend on the
//! merge order at all. Another partitioning changes only the rounding of sums (~1e-15 relative)
//! and which rows k-means|| samples. Moments merge with Chan et al.'s pairwise update in f64,
//! on the total sample weights when the rows are weighted (frequency weights, as on one machine:
//! a weighted StandardScaler or PCA from the merged moments equals the single-machine fit).
//!
//! Per-customer behaviour features (RFM) are not partial statistics: the engines shuffle the
//! transaction log by customer and run the in-memory function per partition, then score
//! recency / frequency / monetary with global ranks (see `docs/scaling-out.md`). A Segmenter
//! scores a log the same way, at one date for all partitions ([`last_date`], see [`log`]'s
//! invariant).
//!
//! Figure: one k-means pass runs the single-machine Lloyd kernel ([`crate::cluster::kmeans`])
//! on each partition; the statistics are k x d + k floats per partition. Current figures, k = 8,
//! per iteration: 50M x 16 f32, segcore.spark 98x Spark MLlib; segcore.dask on
//! `read_parquet` 3.8-4.1x dask-ml, the files streamed through the kernel
//! ([`PartitionTask::run_parquet`]; runs and loads in docs/performance.md).

mod gmm;
mod kmeans;
pub mod log;
mod moments;

pub use gmm::{fit_mixture_partitions, GmmBroadcast, GmmDriver, GmmHardBroadcast, GmmStep};
pub use kmeans::{
    fit_partitions, Candidates, FarthestRows, KMeansBroadcast, KMeansCost, KMeansDriver,
    KMeansStep, RankedRow, UniformPick,
};
pub use log::last_date;
pub use moments::{split_rows, ColumnMoments, CovarianceMoments};

use crate::data::parquet::{read_parquet_rows, RowBlock};
use crate::error::{Error, Result};
use crate::Float;
use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;

/// A partition stored as Parquet: the rows of row groups `row_groups` (all when `None`) of the
/// file at `path`, the values of `columns` in that order, as 32-bit floats when `float32` (else
/// 64-bit), as [`read_parquet_rows`] reads them.
#[derive(Debug, Clone)]
pub struct ParquetPartition<'a> {
    /// The file.
    pub path: &'a Path,
    /// The columns read, in the order of a row's values.
    pub columns: &'a [String],
    /// The row groups read (all when `None`).
    pub row_groups: Option<Range<usize>>,
    /// Read as `f32` (else `f64`).
    pub float32: bool,
}

/// A distributed fit's driver, as the in-memory reference loop ([`drive`]) sees it.
pub(crate) trait Driver {
    fn next_task(&self) -> Option<PartitionTask>;
    fn receive(&mut self, stats: PartialStats) -> Result<()>;
}

/// Runs `driver` to its end on in-memory partitions (with their sample weights, if any):
/// every task on the partitions in order, merged left to right (what an engine does, without
/// the engine).
pub(crate) fn drive<F: Float>(
    driver: &mut impl Driver,
    partitions: &[ArrayView2<F>],
    weights: Option<&[ArrayView1<F>]>,
) -> Result<()> {
    while let Some(task) = driver.next_task() {
        let mut merged: Option<PartialStats> = None;
        for (p, block) in partitions.iter().enumerate() {
            let w = weights.and_then(|w| w.get(p)).map(|w| w.view());
            let stats = task.run_weighted(block.view(), w, p)?;
            merged = Some(match merged {
                None => stats,
                Some(m) => m.merge(stats)?,
            });
        }
        driver.receive(merged.ok_or_else(|| Error::EmptyInput {
            what: "no partitions".into(),
        })?)?;
    }
    Ok(())
}

/// Statistics of one partition (or of several, merged), tagged by kind so an engine can move
/// them as one JSON document and merge any two of the same kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartialStats {
    /// Per-column count, mean, squared deviations.
    ColumnMoments(ColumnMoments),
    /// Count, mean and scatter matrix.
    CovarianceMoments(CovarianceMoments),
    /// One Lloyd pass: per-center sums and counts.
    KMeansStep(KMeansStep),
    /// Inertia against fixed centers.
    KMeansCost(KMeansCost),
    /// The rows farthest from their centers.
    FarthestRows(FarthestRows),
    /// k-means|| candidates.
    Candidates(Candidates),
    /// A uniformly drawn row.
    UniformPick(UniformPick),
    /// One EM pass of a Gaussian mixture (or its hard-assignment start).
    GmmStep(GmmStep),
}

impl PartialStats {
    /// The kind's name (the JSON tag).
    pub fn kind(&self) -> &'static str {
        match self {
            PartialStats::ColumnMoments(_) => "column_moments",
            PartialStats::CovarianceMoments(_) => "covariance_moments",
            PartialStats::KMeansStep(_) => "k_means_step",
            PartialStats::KMeansCost(_) => "k_means_cost",
            PartialStats::FarthestRows(_) => "farthest_rows",
            PartialStats::Candidates(_) => "candidates",
            PartialStats::UniformPick(_) => "uniform_pick",
            PartialStats::GmmStep(_) => "gmm_step",
        }
    }

    /// `self` merged with `other` (`self` first); an error for different kinds or shapes.
    pub fn merge(self, other: PartialStats) -> Result<PartialStats> {
        use PartialStats as P;
        Ok(match (self, other) {
            (P::ColumnMoments(mut a), P::ColumnMoments(b)) => {
                a.merge(&b)?;
                P::ColumnMoments(a)
            }
            (P::CovarianceMoments(mut a), P::CovarianceMoments(b)) => {
                a.merge(&b)?;
                P::CovarianceMoments(a)
            }
            (P::KMeansStep(mut a), P::KMeansStep(b)) => {
                a.merge(&b)?;
                P::KMeansStep(a)
            }
            (P::KMeansCost(mut a), P::KMeansCost(b)) => {
                a.merge(&b);
                P::KMeansCost(a)
            }
            (P::FarthestRows(mut a), P::FarthestRows(b)) => {
                a.merge(&b);
                P::FarthestRows(a)
            }
            (P::Candidates(mut a), P::Candidates(b)) => {
                a.merge(&b);
                P::Candidates(a)
            }
            (P::UniformPick(mut a), P::UniformPick(b)) => {
                a.merge(&b);
                P::UniformPick(a)
            }
            (P::GmmStep(mut a), P::GmmStep(b)) => {
                a.merge(&b)?;
                P::GmmStep(a)
            }
            (a, b) => {
                return Err(Error::invalid_parameter(
                    "partial statistics",
                    b.kind(),
                    format!("statistics of the same kind as the first ({})", a.kind()),
                ))
            }
        })
    }

    /// Left fold of `parts` in their order (the canonical order: partition index).
    pub fn merge_all(parts: impl IntoIterator<Item = PartialStats>) -> Result<PartialStats> {
        let mut parts = parts.into_iter();
        let first = parts.next().ok_or_else(|| Error::EmptyInput {
            what: "no partial statistics to merge".into(),
        })?;
        parts.try_fold(first, PartialStats::merge)
    }

    /// Merges the statistics of every partition, each tagged by its partition index, in
    /// partition order whatever order they arrive in: the left fold of [`Self::merge_all`]
    /// over the partitions sorted by index. An engine task may hold several partitions (a
    /// Spark barrier task after a coalesce) and tasks answer in any order, so the bits depend
    /// only on the partitioning, not on which task computed what. A partition reported twice
    /// is an error.
    ///
    /// ```
    /// use ndarray::array;
    /// use segcore::partial::{PartialStats, PartitionTask};
    ///
    /// let x = array![[1.0], [2.0], [4.0]];
    /// let task = PartitionTask::ColumnMoments;
    /// let a = task.run(x.slice(ndarray::s![..1, ..]), 0)?;
    /// let b = task.run(x.slice(ndarray::s![1.., ..]), 1)?;
    /// let in_order = PartialStats::merge_all([a.clone(), b.clone()])?;
    /// assert_eq!(PartialStats::merge_partitions(vec![(1, b.clone()), (0, a.clone())])?, in_order);
    /// assert!(PartialStats::merge_partitions(vec![(0, a.clone()), (0, a)]).is_err());
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn merge_partitions(mut parts: Vec<(u64, PartialStats)>) -> Result<PartialStats> {
        parts.sort_by_key(|(partition, _)| *partition);
        if let Some(twice) = parts.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::invalid_parameter(
                "partial statistics",
                format!("partition {} reported twice", twice[0].0),
                "one set of statistics per partition",
            ));
        }
        Self::merge_all(parts.into_iter().map(|(_, stats)| stats))
    }

    /// As a JSON document (what engines move between processes).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::ModelFormat {
            reason: format!("partial statistics do not serialise: {e}"),
        })
    }

    /// From [`Self::to_json`]'s document.
    pub fn from_json(document: &str) -> Result<PartialStats> {
        crate::persist::check_document_memory(document, "the partial statistics")?;
        serde_json::from_str(document).map_err(|e| Error::ModelFormat {
            reason: format!("not partial statistics: {e}"),
        })
    }
}

/// What every partition computes in one pass, tagged so it travels as one JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum PartitionTask {
    /// [`ColumnMoments::from_rows`].
    ColumnMoments,
    /// [`CovarianceMoments::from_rows`].
    CovarianceMoments,
    /// [`ColumnMoments::from_weighted_rows`]: the moments under the partition's sample weights
    /// (a weighted StandardScaler).
    WeightedColumnMoments,
    /// [`CovarianceMoments::from_weighted_rows`] (a weighted PCA).
    WeightedCovarianceMoments,
    /// [`KMeansBroadcast::step`].
    KMeansStep(KMeansBroadcast),
    /// [`KMeansBroadcast::cost`].
    KMeansCost(KMeansBroadcast),
    /// [`KMeansBroadcast::farthest`].
    FarthestRows {
        /// Current centers.
        centers: KMeansBroadcast,
        /// How many rows.
        count: usize,
    },
    /// One k-means|| sampling round.
    SampleCandidates {
        /// Candidates so far.
        centers: KMeansBroadcast,
        /// Their cost (sum of squared distances) over all rows.
        cost: f64,
        /// Expected rows kept per round.
        oversampling: f64,
        /// Random seed.
        seed: u64,
        /// Round number.
        round: usize,
    },
    /// A uniformly random row (centered by `mean`).
    UniformPick {
        /// Random seed.
        seed: u64,
        /// Column mean.
        mean: Vec<f64>,
    },
    /// One EM pass of a Gaussian mixture under the broadcast parameters.
    GmmEm(GmmBroadcast),
    /// The hard-assignment pass that starts a Gaussian mixture from k-means centers.
    GmmHard(GmmHardBroadcast),
}

impl PartitionTask {
    /// The task's name (the JSON tag).
    pub fn kind(&self) -> &'static str {
        match self {
            PartitionTask::ColumnMoments => "column_moments",
            PartitionTask::CovarianceMoments => "covariance_moments",
            PartitionTask::WeightedColumnMoments => "weighted_column_moments",
            PartitionTask::WeightedCovarianceMoments => "weighted_covariance_moments",
            PartitionTask::KMeansStep(_) => "k_means_step",
            PartitionTask::KMeansCost(_) => "k_means_cost",
            PartitionTask::FarthestRows { .. } => "farthest_rows",
            PartitionTask::SampleCandidates { .. } => "sample_candidates",
            PartitionTask::UniformPick { .. } => "uniform_pick",
            PartitionTask::GmmEm(_) => "gmm_em",
            PartitionTask::GmmHard(_) => "gmm_hard",
        }
    }

    /// Runs the task on partition number `partition` (its rows `x`; zero rows is fine).
    pub fn run<F: Float>(&self, x: ArrayView2<F>, partition: usize) -> Result<PartialStats> {
        self.run_weighted(x, None, partition)
    }

    /// [`run`](Self::run) with the partition's sample weights (one per row, finite, >= 0), for
    /// a weighted k-means, mixture, scaler or PCA fit: an engine sends them with every task.
    /// `ColumnMoments` and `CovarianceMoments` ignore them (k-means centres the data and scales
    /// `tol` by the unweighted moments, as on one machine); `WeightedColumnMoments` and
    /// `WeightedCovarianceMoments` use them. All-ones weights give the bits of no weights.
    pub fn run_weighted<F: Float>(
        &self,
        x: ArrayView2<F>,
        weights: Option<ArrayView1<F>>,
        partition: usize,
    ) -> Result<PartialStats> {
        Ok(match self {
            PartitionTask::ColumnMoments => {
                PartialStats::ColumnMoments(ColumnMoments::from_rows(x, partition)?)
            }
            PartitionTask::CovarianceMoments => {
                PartialStats::CovarianceMoments(CovarianceMoments::from_rows(x, partition)?)
            }
            PartitionTask::WeightedColumnMoments => PartialStats::ColumnMoments(
                ColumnMoments::from_weighted_rows(x, weights, partition)?,
            ),
            PartitionTask::WeightedCovarianceMoments => PartialStats::CovarianceMoments(
                CovarianceMoments::from_weighted_rows(x, weights, partition)?,
            ),
            PartitionTask::KMeansStep(b) => {
                PartialStats::KMeansStep(b.step(x, weights, partition)?)
            }
            PartitionTask::KMeansCost(b) => {
                PartialStats::KMeansCost(b.cost(x, weights, partition)?)
            }
            PartitionTask::FarthestRows { centers, count } => {
                PartialStats::FarthestRows(centers.farthest(x, weights, partition, *count)?)
            }
            PartitionTask::SampleCandidates {
                centers,
                cost,
                oversampling,
                seed,
                round,
            } => PartialStats::Candidates(kmeans::sample_candidates(
                centers,
                x,
                weights,
                partition,
                *cost,
                *oversampling,
                *seed,
                *round,
            )?),
            PartitionTask::UniformPick { seed, mean } => {
                PartialStats::UniformPick(kmeans::uniform_pick(x, weights, partition, *seed, mean)?)
            }
            PartitionTask::GmmEm(b) => PartialStats::GmmStep(b.step(x, weights, partition)?),
            PartitionTask::GmmHard(b) => PartialStats::GmmStep(b.step(x, weights, partition)?),
        })
    }

    /// [`run_weighted`](Self::run_weighted) on a partition stored as Parquet, decoded by the
    /// core where it runs (`weights` in f64, converted to the rows' float type as numpy's
    /// `astype` converts). A k-means step or cost without weights streams the rows through the
    /// kernel a batch at a time, never holding the partition whole; every other task decodes
    /// the partition's block first. Either way the statistics have the bits of `run_weighted`
    /// on [`read_parquet_rows`]' block.
    ///
    /// ```
    /// # use segcore::partial::{ParquetPartition, PartitionTask};
    /// let task = PartitionTask::ColumnMoments;
    /// let columns = ["a".to_string()];
    /// let missing = ParquetPartition {
    ///     path: std::path::Path::new("no-such-file.parquet"),
    ///     columns: &columns,
    ///     row_groups: None,
    ///     float32: true,
    /// };
    /// assert!(task.run_parquet(&missing, None, 0).is_err());
    /// ```
    pub fn run_parquet(
        &self,
        source: &ParquetPartition<'_>,
        weights: Option<ArrayView1<f64>>,
        partition: usize,
    ) -> Result<PartialStats> {
        match (self, weights.is_none(), source.float32) {
            (PartitionTask::KMeansStep(b), true, true) => Ok(PartialStats::KMeansStep(
                b.step_parquet::<f32>(source, partition)?,
            )),
            (PartitionTask::KMeansStep(b), true, false) => Ok(PartialStats::KMeansStep(
                b.step_parquet::<f64>(source, partition)?,
            )),
            (PartitionTask::KMeansCost(b), true, true) => Ok(PartialStats::KMeansCost(
                b.cost_parquet::<f32>(source, partition)?,
            )),
            (PartitionTask::KMeansCost(b), true, false) => Ok(PartialStats::KMeansCost(
                b.cost_parquet::<f64>(source, partition)?,
            )),
            _ => {
                let block = read_parquet_rows(
                    source.path,
                    source.columns,
                    source.row_groups.clone(),
                    source.float32,
                )?;
                match block {
                    RowBlock::Float32(x) => {
                        let w: Option<Array1<f32>> = weights.map(|w| w.mapv(|v| v as f32));
                        self.run_weighted(x.view(), w.as_ref().map(|w| w.view()), partition)
                    }
                    RowBlock::Float64(x) => self.run_weighted(x.view(), weights, partition),
                }
            }
        }
    }

    /// As a JSON document.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::ModelFormat {
            reason: format!("a partition task does not serialise: {e}"),
        })
    }

    /// From [`Self::to_json`]'s document.
    pub fn from_json(document: &str) -> Result<PartitionTask> {
        crate::persist::check_document_memory(document, "the partition task")?;
        serde_json::from_str(document).map_err(|e| Error::ModelFormat {
            reason: format!("not a partition task: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocessing::StandardScalerParams;
    use crate::reduce::{NComponents, PcaParams};
    use ndarray::{Array2, Axis};

    fn data() -> Array2<f64> {
        Array2::from_shape_fn((3000, 4), |(i, f)| {
            1e6 + ((i * 7 + f * 13) % 101) as f64 * (f + 1) as f64 + (i as f64).sin()
        })
    }

    fn merged(task: &PartitionTask, x: &Array2<f64>, bounds: &[usize]) -> PartialStats {
        PartialStats::merge_all(
            split_rows(x.view(), bounds)
                .iter()
                .enumerate()
                .map(|(p, b)| task.run(b.view(), p).unwrap()),
        )
        .unwrap()
    }

    #[test]
    fn moments_match_the_in_memory_scaler_and_pca() {
        let x = data();
        let PartialStats::ColumnMoments(m) =
            merged(&PartitionTask::ColumnMoments, &x, &[10, 10, 2000])
        else {
            panic!("column moments expected")
        };
        let scaler = StandardScalerParams::default().fit(x.view(), None).unwrap();
        let merged_scaler: crate::preprocessing::StandardScaler<f64> =
            StandardScalerParams::default()
                .fit_moments(m.mean(), &m.variance())
                .unwrap();
        for (a, b) in scaler.mean().iter().zip(merged_scaler.mean()) {
            assert!((a - b).abs() <= 1e-12 * a.abs(), "{a} {b}");
        }
        for (a, b) in scaler.variance().iter().zip(merged_scaler.variance()) {
            assert!((a - b).abs() <= 1e-10 * a.abs(), "{a} {b}");
        }
        let PartialStats::CovarianceMoments(c) =
            merged(&PartitionTask::CovarianceMoments, &x, &[1, 1500])
        else {
            panic!("covariance expected")
        };
        let params = PcaParams::new(NComponents::Count(2)).check().unwrap();
        let pca = params.fit(x.view()).unwrap();
        let merged_pca: crate::reduce::Pca<f64> = params
            .fit_scatter(c.count() as usize, c.mean().view(), c.scatter().view())
            .unwrap();
        let diff = (&pca.components() - &merged_pca.components()).mapv(f64::abs);
        assert!(diff.iter().all(|&v| v < 1e-9), "{diff:?}");
        let ev = (&pca.explained_variance() - &merged_pca.explained_variance()).mapv(f64::abs);
        assert!(ev
            .iter()
            .zip(pca.explained_variance())
            .all(|(d, v)| *d <= 1e-9 * v));
        let _ = x.mean_axis(Axis(0));
    }

    #[test]
    fn merging_is_associative_up_to_rounding_and_exact_for_a_fixed_tree() {
        let x = data();
        let parts: Vec<PartialStats> = split_rows(x.view(), &[700, 1400, 2100])
            .iter()
            .enumerate()
            .map(|(p, b)| PartitionTask::CovarianceMoments.run(b.view(), p).unwrap())
            .collect();
        let left = PartialStats::merge_all(parts.clone()).unwrap();
        let again = PartialStats::merge_all(parts.clone()).unwrap();
        assert_eq!(left, again);
        let tree = parts[0]
            .clone()
            .merge(parts[1].clone())
            .unwrap()
            .merge(parts[2].clone().merge(parts[3].clone()).unwrap())
            .unwrap();
        let (PartialStats::CovarianceMoments(a), PartialStats::CovarianceMoments(b)) = (left, tree)
        else {
            panic!("covariance expected")
        };
        assert!((&a.scatter - &b.scatter)
            .iter()
            .all(|v: &f64| v.abs() <= 1e-6));
        let doc = PartialStats::CovarianceMoments(a.clone())
            .to_json()
            .unwrap();
        assert_eq!(
            PartialStats::from_json(&doc).unwrap(),
            PartialStats::CovarianceMoments(a)
        );
    }

    #[test]
    fn merging_by_partition_index_ignores_the_arrival_order() {
        let x = data();
        let task = PartitionTask::ColumnMoments;
        let parts: Vec<PartialStats> = split_rows(x.view(), &[700, 700, 2100])
            .iter()
            .enumerate()
            .map(|(p, b)| task.run(b.view(), p).unwrap())
            .collect();
        let in_order = PartialStats::merge_all(parts.clone()).unwrap();
        let shuffled: Vec<(u64, PartialStats)> = [3usize, 1, 0, 2]
            .iter()
            .map(|&p| (p as u64, parts[p].clone()))
            .collect();
        assert_eq!(PartialStats::merge_partitions(shuffled).unwrap(), in_order);
        assert!(PartialStats::merge_partitions(Vec::new()).is_err());
        let twice = vec![(2, parts[0].clone()), (2, parts[1].clone())];
        let err = PartialStats::merge_partitions(twice)
            .unwrap_err()
            .to_string();
        assert!(err.contains("partition 2 reported twice"), "{err}");
    }

    #[test]
    fn weighted_moments_match_the_weighted_scaler_and_pca() {
        let x = data();
        let w = ndarray::Array1::from_shape_fn(x.nrows(), |i| (i % 5) as f64 * 0.75);
        let bounds = [10, 10, 2000];
        let merged_weighted =
            |task: &PartitionTask| {
                let rows = split_rows(x.view(), &bounds);
                let weights = split_rows(w.view().insert_axis(Axis(1)), &bounds);
                PartialStats::merge_all(rows.iter().zip(&weights).enumerate().map(
                    |(p, (b, wb))| task.run_weighted(b.view(), Some(wb.column(0)), p).unwrap(),
                ))
                .unwrap()
            };
        let PartialStats::ColumnMoments(m) = merged_weighted(&PartitionTask::WeightedColumnMoments)
        else {
            panic!("column moments expected")
        };
        assert_eq!(m.count(), 3000);
        assert!((m.weight() - w.sum()).abs() < 1e-9);
        let scaler = StandardScalerParams::default()
            .fit(x.view(), Some(w.view()))
            .unwrap();
        for (a, b) in scaler.mean().iter().zip(m.mean()) {
            assert!((a - b).abs() <= 1e-12 * a.abs(), "{a} {b}");
        }
        for (a, b) in scaler.variance().iter().zip(m.variance()) {
            assert!((a - b).abs() <= 1e-9 * a.abs(), "{a} {b}");
        }
        let PartialStats::CovarianceMoments(c) =
            merged_weighted(&PartitionTask::WeightedCovarianceMoments)
        else {
            panic!("covariance expected")
        };
        let params = PcaParams::new(NComponents::Count(2)).check().unwrap();
        let pca = params.fit_weighted(x.view(), Some(w.view())).unwrap();
        let merged_pca: crate::reduce::Pca<f64> = params
            .fit_weighted_scatter(
                c.count() as usize,
                c.weight(),
                c.mean().view(),
                c.scatter().view(),
            )
            .unwrap();
        let diff = (&pca.components() - &merged_pca.components()).mapv(f64::abs);
        assert!(diff.iter().all(|&v| v < 1e-9), "{diff:?}");
        for (a, b) in pca
            .explained_variance()
            .iter()
            .zip(merged_pca.explained_variance())
        {
            assert!((a - b).abs() <= 1e-9 * a, "{a} {b}");
        }
        // All-ones weights: the bits of the unweighted statistics.
        let ones = ndarray::Array1::<f64>::ones(x.nrows());
        for (weighted, plain) in [
            (
                PartitionTask::WeightedColumnMoments,
                PartitionTask::ColumnMoments,
            ),
            (
                PartitionTask::WeightedCovarianceMoments,
                PartitionTask::CovarianceMoments,
            ),
        ] {
            assert_eq!(
                weighted
                    .run_weighted(x.view(), Some(ones.view()), 0)
                    .unwrap(),
                plain.run(x.view(), 0).unwrap()
            );
        }
        // A negative weight names its partition and row; a partition of zero weights only
        // counts its rows.
        let mut bad = ones.clone();
        bad[4] = -2.0;
        let err = PartitionTask::WeightedCovarianceMoments
            .run_weighted(x.view(), Some(bad.view()), 3)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("partition 3") && err.contains("row 4"),
            "{err}"
        );
        let zeros = ndarray::Array1::<f64>::zeros(x.nrows());
        let PartialStats::ColumnMoments(z) = PartitionTask::WeightedColumnMoments
            .run_weighted(x.view(), Some(zeros.view()), 0)
            .unwrap()
        else {
            panic!("column moments expected")
        };
        assert_eq!((z.count(), z.weight()), (3000, 0.0));
        let mut both = z.clone();
        both.merge(&m).unwrap();
        assert_eq!(both.mean(), m.mean());
        assert_eq!(both.count(), 6000);
    }

    #[test]
    fn kinds_do_not_mix_and_empty_partitions_are_fine() {
        let x = data();
        let empty = x.slice(ndarray::s![0..0, ..]);
        let e = PartitionTask::ColumnMoments.run(empty, 0).unwrap();
        let c = PartitionTask::CovarianceMoments.run(x.view(), 1).unwrap();
        assert!(e.clone().merge(c).is_err());
        let full = PartitionTask::ColumnMoments.run(x.view(), 1).unwrap();
        assert_eq!(e.merge(full.clone()).unwrap(), full);
    }
}
