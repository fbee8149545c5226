//! Checked mixed input in row-major buffers, prototypes, and the dissimilarity.

use crate::error::{Error, Result};
use crate::validation::{check_finite, check_sample_weight};
use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;
use std::collections::HashSet;

/// Rows per parallel work item; results are reduced chunk by chunk in row order.
pub(crate) const CHUNK_ROWS: usize = 8192;

pub use crate::validation::MAX_CATEGORY_CODE;

/// The rows of a fit or predict call: numeric part `n x p` and categorical codes `n x q`, both
/// row-major, and the weights (1 when not given).
pub(crate) struct MixedRows {
    pub n: usize,
    pub p: usize,
    pub q: usize,
    pub numeric: Vec<f64>,
    pub codes: Vec<u32>,
    pub weights: Vec<f64>,
}

impl MixedRows {
    /// Checks and copies the input (finite numbers, matching row counts, weights).
    pub fn new(
        numeric: ArrayView2<f64>,
        categorical: ArrayView2<u32>,
        sample_weight: Option<ArrayView1<f64>>,
    ) -> Result<Self> {
        let n = numeric.nrows();
        if categorical.nrows() != n {
            return Err(Error::ShapeMismatch {
                what: "categorical part (rows, one per row of the numeric part)".into(),
                expected: n,
                got: categorical.nrows(),
            });
        }
        let (p, q) = (numeric.ncols(), categorical.ncols());
        if n == 0 {
            return Err(Error::EmptyInput {
                what: "X has 0 samples".into(),
            });
        }
        if p + q == 0 {
            return Err(Error::EmptyInput {
                what: "X has 0 features (neither numeric nor categorical columns)".into(),
            });
        }
        if p > 0 {
            check_finite(numeric, "X (numeric columns)")?;
        }
        let weights = match sample_weight {
            Some(w) => {
                check_sample_weight(w, n)?;
                w.to_vec()
            }
            None => vec![1.0; n],
        };
        Ok(MixedRows {
            n,
            p,
            q,
            numeric: numeric.as_standard_layout().iter().copied().collect(),
            codes: categorical.as_standard_layout().iter().copied().collect(),
            weights,
        })
    }

    /// The rows `rows` (in that order), with their weights.
    pub fn subset(&self, rows: &[usize]) -> MixedRows {
        let mut numeric = Vec::with_capacity(rows.len() * self.p);
        let mut codes = Vec::with_capacity(rows.len() * self.q);
        for &i in rows {
            numeric.extend_from_slice(self.num_row(i));
            codes.extend_from_slice(self.cat_row(i));
        }
        MixedRows {
            n: rows.len(),
            p: self.p,
            q: self.q,
            numeric,
            codes,
            weights: rows.iter().map(|&i| self.weights[i]).collect(),
        }
    }

    pub fn num_row(&self, i: usize) -> &[f64] {
        &self.numeric[i * self.p..(i + 1) * self.p]
    }

    pub fn cat_row(&self, i: usize) -> &[u32] {
        &self.codes[i * self.q..(i + 1) * self.q]
    }

    /// Number of categories of each categorical column (largest code + 1), checking the bound.
    pub fn n_categories(&self) -> Result<Vec<u32>> {
        let mut n_categories = vec![0u32; self.q];
        for i in 0..self.n {
            for (j, &c) in self.cat_row(i).iter().enumerate() {
                if c >= MAX_CATEGORY_CODE {
                    return Err(Error::invalid_parameter(
                        "X",
                        format!("category code {c} at row {i}, categorical column {j}"),
                        format!("category codes 0..n_categories-1 below {MAX_CATEGORY_CODE}"),
                    ));
                }
                n_categories[j] = n_categories[j].max(c + 1);
            }
        }
        Ok(n_categories)
    }

    /// Number of distinct rows among those with a positive weight.
    pub fn n_distinct_rows(&self) -> usize {
        let mut seen = HashSet::new();
        for i in (0..self.n).filter(|&i| self.weights[i] > 0.0) {
            let key: (Vec<u64>, &[u32]) = (
                self.num_row(i)
                    .iter()
                    .map(|v| (v + 0.0).to_bits())
                    .collect(),
                self.cat_row(i),
            );
            seen.insert(key);
        }
        seen.len()
    }

    /// `gamma`'s default: half the mean population standard deviation of the numeric columns
    /// (unweighted, as kmodes), or 1 without numeric columns.
    pub fn default_gamma(&self) -> f64 {
        if self.p == 0 {
            return 1.0;
        }
        let n = self.n as f64;
        let mut total = 0.0;
        for j in 0..self.p {
            let mean = (0..self.n)
                .map(|i| self.numeric[i * self.p + j])
                .sum::<f64>()
                / n;
            let var = (0..self.n)
                .map(|i| {
                    let d = self.numeric[i * self.p + j] - mean;
                    d * d
                })
                .sum::<f64>()
                / n;
            total += var.sqrt();
        }
        0.5 * total / self.p as f64
    }

    /// Error for more clusters than distinct rows.
    pub fn too_few_distinct(&self, n_clusters: usize) -> Error {
        Error::invalid_parameter(
            "n_clusters",
            n_clusters,
            format!(
                "an integer <= the number of distinct rows with a positive weight ({}): every \
                 prototype starts from a different row",
                self.n_distinct_rows()
            ),
        )
    }
}

/// Prototypes: `k x p` numeric means and `k x q` categorical modes, row-major.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Prototypes {
    pub k: usize,
    pub numeric: Vec<f64>,
    pub modes: Vec<u32>,
}

impl Prototypes {
    pub fn from_rows(data: &MixedRows, rows: &[usize]) -> Self {
        let mut numeric = Vec::with_capacity(rows.len() * data.p);
        let mut modes = Vec::with_capacity(rows.len() * data.q);
        for &i in rows {
            numeric.extend_from_slice(data.num_row(i));
            modes.extend_from_slice(data.cat_row(i));
        }
        Prototypes {
            k: rows.len(),
            numeric,
            modes,
        }
    }
}

/// Mixed dissimilarity: squared Euclidean over the numeric part (summed left to right) plus
/// `gamma` x the number of categorical mismatches.
#[inline]
pub(crate) fn dissimilarity(
    a_num: &[f64],
    a_cat: &[u32],
    b_num: &[f64],
    b_cat: &[u32],
    gamma: f64,
) -> f64 {
    let mut num = 0.0;
    for (x, y) in a_num.iter().zip(b_num) {
        let d = x - y;
        num += d * d;
    }
    let mismatches = a_cat.iter().zip(b_cat).filter(|(x, y)| x != y).count();
    num + gamma * mismatches as f64
}

/// Nearest prototype of row `i` and its dissimilarity; ties go to the lower cluster number.
#[inline]
pub(crate) fn nearest(data: &MixedRows, i: usize, protos: &Prototypes, gamma: f64) -> (usize, f64) {
    nearest_to(
        data.num_row(i),
        data.cat_row(i),
        protos,
        data.p,
        data.q,
        gamma,
    )
}

#[inline]
pub(crate) fn nearest_to(
    num: &[f64],
    cat: &[u32],
    protos: &Prototypes,
    p: usize,
    q: usize,
    gamma: f64,
) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for c in 0..protos.k {
        let d = dissimilarity(
            num,
            cat,
            &protos.numeric[c * p..(c + 1) * p],
            &protos.modes[c * q..(c + 1) * q],
            gamma,
        );
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// Assigns every row to its nearest prototype in parallel fixed chunks: labels, the
/// dissimilarity of each row to its prototype, and the weighted cost (summed chunk by chunk in
/// row order, so the same on any thread count).
pub(crate) fn assign(
    data: &MixedRows,
    protos: &Prototypes,
    gamma: f64,
) -> (Vec<usize>, Vec<f64>, f64) {
    let mut labels = vec![0usize; data.n];
    let mut dists = vec![0.0f64; data.n];
    let chunk_costs: Vec<f64> = labels
        .par_chunks_mut(CHUNK_ROWS)
        .zip(dists.par_chunks_mut(CHUNK_ROWS))
        .enumerate()
        .map(|(c, (lab, dis))| {
            let start = c * CHUNK_ROWS;
            let mut cost = 0.0;
            for (o, (l, d)) in lab.iter_mut().zip(dis.iter_mut()).enumerate() {
                let i = start + o;
                let (best, dist) = nearest(data, i, protos, gamma);
                *l = best;
                *d = dist;
                cost += data.weights[i] * dist;
            }
            cost
        })
        .collect();
    (labels, dists, chunk_costs.iter().sum())
}
