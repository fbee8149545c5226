//! Column moments (StandardScaler, k-means' centring and tolerance) and mean + scatter matrix
//! (PCA) of a block of rows, merged with Chan et al.'s pairwise formulas.
//!
//! Sample weights are frequency weights (scikit-learn's convention: a weight of 2 counts the row
//! twice). The moments carry the row count and the total weight; means are weighted means, `m2`
//! and the scatter weighted sums of squared deviations, and the merge is Chan et al.'s with the
//! total weights in place of the counts. Without weights the total weight is the row count, and
//! all-ones weights give the bits of no weights.

use crate::error::{Error, Result};
use crate::Float;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Rows per block inside one partition: each block is centred on its own mean in f64, then the
/// blocks are merged in order (Chan et al.), so a partition's moments never depend on threads.
const BLOCK_ROWS: usize = 4096;

/// Row count, total weight, per-column (weighted) mean and sum of (weighted) squared deviations
/// (`m2`) of a set of rows, in f64.
///
/// Merging is Chan et al.'s update (`delta = mean_b - mean_a`,
/// `m2 = m2_a + m2_b + delta^2 w_a w_b / w`, `w` the total weights: the row counts without
/// sample weights), which never subtracts two large uncentred sums.
///
/// ```
/// use ndarray::array;
/// use segcore::partial::ColumnMoments;
///
/// let a = ColumnMoments::from_rows(array![[1.0f64], [3.0]].view(), 0)?;
/// let b = ColumnMoments::from_rows(array![[5.0f64]].view(), 1)?;
/// let all = a.merged(&b)?;
/// assert_eq!(all.count(), 3);
/// assert_eq!(all.mean(), &[3.0]);
/// assert!((all.variance()[0] - 8.0 / 3.0).abs() < 1e-15);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMoments {
    pub(crate) count: u64,
    pub(crate) weight: f64,
    pub(crate) mean: Vec<f64>,
    pub(crate) m2: Vec<f64>,
}

impl ColumnMoments {
    /// The moments of nothing, for `n_features` columns (the identity of [`Self::merged`]).
    pub fn empty(n_features: usize) -> Self {
        ColumnMoments {
            count: 0,
            weight: 0.0,
            mean: vec![0.0; n_features],
            m2: vec![0.0; n_features],
        }
    }

    /// The moments of the rows of `x`, block `partition` of a larger matrix (used to name it in
    /// errors: a non-finite value is reported with its partition, row and column).
    pub fn from_rows<F: Float>(x: ArrayView2<F>, partition: usize) -> Result<Self> {
        Self::from_weighted_rows(x, None, partition)
    }

    /// [`Self::from_rows`] under sample weights (one per row, finite, >= 0; a partition whose
    /// weights are all zero adds its rows to the count and nothing else): the weighted mean and
    /// `m2 = sum w (x - mean)^2`, as scikit-learn's `StandardScaler.fit(sample_weight=...)`.
    ///
    /// ```
    /// use ndarray::array;
    /// use segcore::partial::ColumnMoments;
    ///
    /// let x = array![[1.0f64], [3.0]];
    /// let m = ColumnMoments::from_weighted_rows(x.view(), Some(array![1.0, 3.0].view()), 0)?;
    /// assert_eq!((m.count(), m.weight()), (2, 4.0));
    /// assert_eq!(m.mean(), &[2.5]);
    /// assert_eq!(m.variance(), vec![0.75]); // (1 * 1.5^2 + 3 * 0.5^2) / 4
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn from_weighted_rows<F: Float>(
        x: ArrayView2<F>,
        weights: Option<ArrayView1<F>>,
        partition: usize,
    ) -> Result<Self> {
        check_block(x, partition)?;
        let weights = super::kmeans::partition_weights(weights, x.nrows(), partition)?;
        let d = x.ncols();
        let mut total = ColumnMoments::empty(d);
        if let Some(w) = weights {
            for (b, block) in x.axis_chunks_iter(Axis(0), BLOCK_ROWS).enumerate() {
                let w = &w[b * BLOCK_ROWS..b * BLOCK_ROWS + block.nrows()];
                let weight: f64 = w.iter().map(|&v| widen(v)).sum();
                let mut mean = vec![0.0; d];
                let mut m2 = vec![0.0; d];
                if weight > 0.0 {
                    for (row, &wi) in block.rows().into_iter().zip(w) {
                        let wi = widen(wi);
                        for (m, &v) in mean.iter_mut().zip(row) {
                            *m += wi * widen(v);
                        }
                    }
                    mean.iter_mut().for_each(|m| *m /= weight);
                    for (row, &wi) in block.rows().into_iter().zip(w) {
                        let wi = widen(wi);
                        for ((s, &v), &m) in m2.iter_mut().zip(row).zip(&mean) {
                            let t = widen(v) - m;
                            *s += wi * t * t;
                        }
                    }
                }
                total.merge(&ColumnMoments {
                    count: block.nrows() as u64,
                    weight,
                    mean,
                    m2,
                })?;
            }
            return Ok(total);
        }
        for block in x.axis_chunks_iter(Axis(0), BLOCK_ROWS) {
            let n = block.nrows() as f64;
            let mut mean = vec![0.0; d];
            for row in block.rows() {
                for (m, &v) in mean.iter_mut().zip(row) {
                    *m += widen(v);
                }
            }
            mean.iter_mut().for_each(|m| *m /= n);
            let mut m2 = vec![0.0; d];
            for row in block.rows() {
                for ((s, &v), &m) in m2.iter_mut().zip(row).zip(&mean) {
                    let t = widen(v) - m;
                    *s += t * t;
                }
            }
            total.merge(&ColumnMoments {
                count: block.nrows() as u64,
                weight: block.nrows() as f64,
                mean,
                m2,
            })?;
        }
        Ok(total)
    }

    /// Adds `other` (Chan et al.); an error if the column counts differ.
    pub fn merge(&mut self, other: &ColumnMoments) -> Result<()> {
        check_same_features(self.mean.len(), other.mean.len())?;
        if other.weight <= 0.0 {
            self.count += other.count;
            return Ok(());
        }
        if self.weight <= 0.0 {
            let count = self.count;
            *self = other.clone();
            self.count += count;
            return Ok(());
        }
        let (na, nb) = (self.weight, other.weight);
        let n = na + nb;
        for f in 0..self.mean.len() {
            let delta = other.mean[f] - self.mean[f];
            self.mean[f] += delta * nb / n;
            self.m2[f] += other.m2[f] + delta * delta * na * nb / n;
        }
        self.count += other.count;
        self.weight = n;
        Ok(())
    }

    /// `self` and `other` merged.
    pub fn merged(&self, other: &ColumnMoments) -> Result<ColumnMoments> {
        let mut out = self.clone();
        out.merge(other)?;
        Ok(out)
    }

    /// Number of rows.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Total sample weight (the row count without weights; scikit-learn's `n_samples_seen_`).
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// Number of columns.
    pub fn n_features(&self) -> usize {
        self.mean.len()
    }

    /// Per-column mean.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Per-column population variance (ddof = 0, as scikit-learn's StandardScaler; weighted:
    /// `sum w (x - mean)^2 / sum w`); 0 for no rows.
    pub fn variance(&self) -> Vec<f64> {
        let n = if self.weight > 0.0 { self.weight } else { 1.0 };
        self.m2.iter().map(|s| s / n).collect()
    }
}

/// Row count, total weight, mean and centred scatter matrix `sum w (x - mean)(x - mean)^T` of a
/// set of rows (`w` = 1 without sample weights), in f64: what PCA's covariance solver needs.
/// Merged with Chan et al.'s matrix update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovarianceMoments {
    pub(crate) count: u64,
    pub(crate) weight: f64,
    pub(crate) mean: Array1<f64>,
    pub(crate) scatter: Array2<f64>,
}

impl CovarianceMoments {
    /// The moments of nothing, for `n_features` columns.
    pub fn empty(n_features: usize) -> Self {
        CovarianceMoments {
            count: 0,
            weight: 0.0,
            mean: Array1::zeros(n_features),
            scatter: Array2::zeros((n_features, n_features)),
        }
    }

    /// The moments of the rows of `x` (block `partition` of a larger matrix, named in errors).
    pub fn from_rows<F: Float>(x: ArrayView2<F>, partition: usize) -> Result<Self> {
        Self::from_weighted_rows(x, None, partition)
    }

    /// [`Self::from_rows`] under sample weights (frequency weights, one per row, finite, >= 0):
    /// the weighted mean and `sum w (x - mean)(x - mean)^T`, computed as `B^T B` of the centred
    /// rows scaled by `sqrt(w)` (what [`crate::reduce::PcaValidParams::fit_weighted`] does on
    /// one machine).
    pub fn from_weighted_rows<F: Float>(
        x: ArrayView2<F>,
        weights: Option<ArrayView1<F>>,
        partition: usize,
    ) -> Result<Self> {
        check_block(x, partition)?;
        let weights = super::kmeans::partition_weights(weights, x.nrows(), partition)?;
        let d = x.ncols();
        let mut total = CovarianceMoments::empty(d);
        for (b, block) in x.axis_chunks_iter(Axis(0), BLOCK_ROWS).enumerate() {
            let mut centred = block.mapv(widen);
            let rows = block.nrows();
            let (mean, weight) = match &weights {
                None => (
                    centred.mean_axis(Axis(0)).expect("blocks are never empty"),
                    rows as f64,
                ),
                Some(w) => {
                    let w: Array1<f64> = w[b * BLOCK_ROWS..b * BLOCK_ROWS + rows]
                        .iter()
                        .map(|&v| widen(v))
                        .collect();
                    let weight = w.sum();
                    if weight <= 0.0 {
                        total.count += rows as u64;
                        continue;
                    }
                    let mean = w.dot(&centred) / weight;
                    centred -= &mean;
                    for (mut row, &wi) in centred.rows_mut().into_iter().zip(&w) {
                        row *= wi.sqrt();
                    }
                    let scatter = centred.t().dot(&centred);
                    total.merge(&CovarianceMoments {
                        count: rows as u64,
                        weight,
                        mean,
                        scatter,
                    })?;
                    continue;
                }
            };
            centred -= &mean;
            let scatter = centred.t().dot(&centred);
            total.merge(&CovarianceMoments {
                count: rows as u64,
                weight,
                mean,
                scatter,
            })?;
        }
        Ok(total)
    }

    /// Adds `other` (Chan et al.); an error if the column counts differ.
    pub fn merge(&mut self, other: &CovarianceMoments) -> Result<()> {
        check_same_features(self.mean.len(), other.mean.len())?;
        if other.weight <= 0.0 {
            self.count += other.count;
            return Ok(());
        }
        if self.weight <= 0.0 {
            let count = self.count;
            *self = other.clone();
            self.count += count;
            return Ok(());
        }
        let (na, nb) = (self.weight, other.weight);
        let n = na + nb;
        let delta = &other.mean - &self.mean;
        let weight = na * nb / n;
        self.scatter += &other.scatter;
        let d = delta.len();
        for i in 0..d {
            for j in 0..d {
                self.scatter[[i, j]] += weight * delta[i] * delta[j];
            }
        }
        self.mean.scaled_add(nb / n, &delta);
        self.count += other.count;
        self.weight = n;
        Ok(())
    }

    /// Number of rows.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Total sample weight (the row count without weights).
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// Per-column mean.
    pub fn mean(&self) -> &Array1<f64> {
        &self.mean
    }

    /// The centred scatter matrix (divide by `weight - 1` for the sample covariance: `count - 1`
    /// without sample weights).
    pub fn scatter(&self) -> &Array2<f64> {
        &self.scatter
    }

    /// The per-column moments contained in these (the scatter's diagonal).
    pub fn columns(&self) -> ColumnMoments {
        ColumnMoments {
            count: self.count,
            weight: self.weight,
            mean: self.mean.to_vec(),
            m2: self.scatter.diag().to_vec(),
        }
    }
}

pub(crate) fn widen<F: Float>(v: F) -> f64 {
    v.to_f64().expect("a float widens to f64")
}

/// Partitions must agree on the number of columns.
pub(crate) fn check_same_features(expected: usize, got: usize) -> Result<()> {
    if expected != got {
        return Err(Error::ShapeMismatch {
            what: "partial statistics of two partitions (number of features)".into(),
            expected,
            got,
        });
    }
    Ok(())
}

/// A partition may be empty (zero rows) but needs columns and finite values; a bad value is
/// named with its partition, row (within the partition) and column.
pub(crate) fn check_block<F: Float>(x: ArrayView2<F>, partition: usize) -> Result<()> {
    if x.ncols() == 0 {
        return Err(Error::EmptyInput {
            what: format!("partition {partition} of X has no columns"),
        });
    }
    crate::validation::check_finite(x, &format!("partition {partition} of X"))
}

/// Rows `rows` of `x` (helper for tests and callers that split a matrix into partitions).
pub fn split_rows<'a, F: Float>(x: ArrayView2<'a, F>, bounds: &[usize]) -> Vec<ArrayView2<'a, F>> {
    let mut out = Vec::with_capacity(bounds.len() + 1);
    let mut start = 0;
    for &end in bounds.iter().chain(std::iter::once(&x.nrows())) {
        out.push(x.slice_move(s![start..end, ..]));
        start = end;
    }
    out
}
