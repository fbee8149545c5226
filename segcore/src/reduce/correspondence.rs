//! Correspondence analysis of a two-way table ([`Ca`]) and multiple correspondence analysis of
//! several categorical columns ([`Mca`]), with prince's definitions.
//!
//! CA: `P = N / sum(N)`, row and column masses `r`, `c`, standardised residuals
//! `S = D_r^-1/2 (P - r c^T) D_c^-1/2`; the eigenvalues (principal inertias) are the squared
//! singular values of `S`, obtained from the eigendecomposition of the smaller Gram matrix; row
//! principal coordinates are row profiles times `D_c^-1/2 V` and column principal coordinates
//! `D_c^-1/2 V diag(s)` (prince's formulas; signs: each component's largest-magnitude column
//! coordinate is positive, prince leaves signs to LAPACK).
//!
//! MCA is CA of the `n x J` indicator matrix, computed without building it: the `J x J` Gram
//! matrix of `S` is `D_c^-1/2 (B / (n K^2) - c c^T) D_c^-1/2` with `B` the Burt matrix, counted
//! from the category codes in one parallel pass (fixed chunks reduced in order). Memory is
//! `O(J^2)` whatever the number of rows. Benzecri and Greenacre corrections follow prince:
//! corrected eigenvalues `(K/(K-1) (l - 1/K))^2` for `l > 1/K`; Benzecri percentages are relative
//! to the kept components' corrected sum, Greenacre's to `K/(K-1) (sum l^2 - (J-K)/K^2)` over all
//! eigenvalues. Measured on 2 cores: MCA of 1M rows x 10 columns 1.1 s; 100,000 rows 30x
//! prince (docs/performance-categorical.md).

use crate::error::{Error, Result};
use crate::validation::check_sample_weight;
use crate::validation::MAX_CATEGORY_CODE;
use linfa_linalg::eigh::{EigSort, Eigh};
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Largest total number of categories (`J`) an MCA accepts: the Burt and Gram matrices are
/// `J x J` (128 MiB each at this bound) and their eigendecomposition is `O(J^3)`.
pub const MAX_MCA_CATEGORIES: usize = 4096;

/// Rows per Burt-matrix chunk (at most `MAX_BURT_CHUNKS` chunks; more rows per chunk beyond).
const BURT_CHUNK_ROWS: usize = 16_384;
const MAX_BURT_CHUNKS: usize = 32;

/// Eigenvalue correction for MCA (prince's `correction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InertiaCorrection {
    /// Benzecri (1979).
    Benzecri,
    /// Greenacre (1993): Benzecri's eigenvalues, percentages of Greenacre's adjusted inertia.
    Greenacre,
}

/// Parameters of correspondence analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaParams {
    /// Number of components to keep (>= 1; at most `min(rows, columns) - 1`).
    pub n_components: usize,
}

/// Parameters of multiple correspondence analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct McaParams {
    /// Number of components to keep (>= 1; at most `J - 1`, `J` the total number of categories).
    pub n_components: usize,
    /// Optional eigenvalue correction (needs at least two columns).
    pub correction: Option<InertiaCorrection>,
}

/// A fitted correspondence analysis of a two-way table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ca {
    row_masses: Array1<f64>,
    column_masses: Array1<f64>,
    eigenvalues: Array1<f64>,
    total_inertia: f64,
    /// `D_c^-1/2 V`, `J x m`: maps a row profile to its principal coordinates.
    row_projection: Array2<f64>,
    row_coordinates: Array2<f64>,
    column_coordinates: Array2<f64>,
}

/// A fitted multiple correspondence analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mca {
    n_categories: Vec<u32>,
    column_masses: Array1<f64>,
    eigenvalues: Array1<f64>,
    sum_squared_eigenvalues: f64,
    total_inertia: f64,
    correction: Option<InertiaCorrection>,
    /// `D_c^-1/2 V / K`, `J x m`: a row's coordinates are the sum of its categories' rows.
    row_projection: Array2<f64>,
    column_coordinates: Array2<f64>,
}

/// Top `m` eigenpairs of a symmetric positive semi-definite matrix (negatives from rounding
/// clipped to 0), with the sum of all eigenvalues and of their squares.
fn top_eigen(gram: Array2<f64>, m: usize) -> Result<(Array1<f64>, Array2<f64>)> {
    let (values, vectors) = gram
        .eigh()
        .map_err(|e| Error::Numerical {
            reason: format!("eigendecomposition in correspondence analysis failed ({e})"),
        })?
        .sort_eig_desc();
    Ok((
        values.slice(s![..m]).mapv(|v| v.max(0.0)),
        vectors.slice(s![.., ..m]).to_owned(),
    ))
}

/// Flips components so each one's largest-magnitude entry of `reference` is positive.
fn flip_signs(reference: &mut Array2<f64>, others: &mut [&mut Array2<f64>]) {
    for comp in 0..reference.ncols() {
        let col = reference.column(comp);
        let best = col
            .iter()
            .enumerate()
            .fold(0, |b, (i, v)| if v.abs() > col[b].abs() { i } else { b });
        if !col.is_empty() && col[best] < 0.0 {
            reference.column_mut(comp).mapv_inplace(|v| -v);
            for o in others.iter_mut() {
                o.column_mut(comp).mapv_inplace(|v| -v);
            }
        }
    }
}

fn check_components(n_components: usize, available: usize, what: &str) -> Result<()> {
    if n_components == 0 || n_components > available {
        return Err(Error::invalid_parameter(
            "n_components",
            n_components,
            format!("an integer in 1..={available} ({what})"),
        ));
    }
    Ok(())
}

impl CaParams {
    /// Parameters keeping `n_components` components.
    pub fn new(n_components: usize) -> Self {
        CaParams { n_components }
    }

    /// Fits CA on a contingency table (finite counts >= 0, every row and column sum > 0).
    ///
    /// # Example
    /// ```
    /// use ndarray::array;
    /// use segcore::reduce::correspondence::CaParams;
    ///
    /// // Industry (rows) x product line (columns) counts.
    /// let table = array![[30.0, 5.0, 2.0], [4.0, 25.0, 6.0], [3.0, 7.0, 20.0], [10.0, 10.0, 10.0]];
    /// let ca = CaParams::new(2).fit(table.view())?;
    /// let share: f64 = ca.percentage_of_variance().sum();
    /// assert!((share - 100.0).abs() < 1e-9); // a 4 x 3 table has 2 dimensions
    /// assert_eq!(ca.row_coordinates().dim(), (4, 2));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn fit(&self, table: ArrayView2<f64>) -> Result<Ca> {
        let (i_rows, j_cols) = table.dim();
        if i_rows < 2 || j_cols < 2 {
            return Err(Error::EmptyInput {
                what: format!(
                    "the table is {i_rows} x {j_cols}; CA needs at least 2 rows and 2 columns"
                ),
            });
        }
        check_components(
            self.n_components,
            i_rows.min(j_cols) - 1,
            "min(rows, columns) - 1",
        )?;
        for ((i, j), &v) in table.indexed_iter() {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::invalid_parameter(
                    "table",
                    format!("{v} at row {i}, column {j}"),
                    "finite counts >= 0",
                ));
            }
        }
        let total = table.sum();
        let p = table.mapv(|v| v / total);
        let r = p.sum_axis(Axis(1));
        let c = p.sum_axis(Axis(0));
        for (what, masses) in [("row", &r), ("column", &c)] {
            if let Some(i) = masses.iter().position(|&m| m <= 0.0) {
                return Err(Error::invalid_parameter(
                    "table",
                    format!("{what} {i} sums to 0"),
                    "every row and column with a positive total",
                ));
            }
        }
        let s_mat = Array2::from_shape_fn((i_rows, j_cols), |(i, j)| {
            (p[[i, j]] - r[i] * c[j]) / (r[i] * c[j]).sqrt()
        });
        let total_inertia = s_mat.iter().map(|v| v * v).sum();
        let m = self.n_components;
        // Column Gram S^T S when it is the smaller one, else row Gram S S^T and V = S^T U / s.
        let v = if j_cols <= i_rows {
            top_eigen(s_mat.t().dot(&s_mat), m)?
        } else {
            let (values, u) = top_eigen(s_mat.dot(&s_mat.t()), m)?;
            let mut v = s_mat.t().dot(&u);
            for (k, &l) in values.iter().enumerate() {
                let s = l.sqrt();
                v.column_mut(k)
                    .mapv_inplace(|x| if s > 0.0 { x / s } else { 0.0 });
            }
            (values, v)
        };
        let (eigenvalues, v) = v;
        let inv_sqrt_c = c.mapv(|x| 1.0 / x.sqrt());
        let mut row_projection = &v * &inv_sqrt_c.view().insert_axis(Axis(1));
        let mut column_coordinates =
            &row_projection * &eigenvalues.mapv(f64::sqrt).view().insert_axis(Axis(0));
        let profiles = &p / &r.view().insert_axis(Axis(1));
        let mut row_coordinates = profiles.dot(&row_projection);
        flip_signs(
            &mut column_coordinates,
            &mut [&mut row_projection, &mut row_coordinates],
        );
        Ok(Ca {
            row_masses: r,
            column_masses: c,
            eigenvalues,
            total_inertia,
            row_projection,
            row_coordinates,
            column_coordinates,
        })
    }
}

impl Ca {
    /// Principal inertias (squared singular values) of the kept components.
    pub fn eigenvalues(&self) -> ArrayView1<'_, f64> {
        self.eigenvalues.view()
    }

    /// Total inertia (the table's chi-square statistic divided by its total).
    pub fn total_inertia(&self) -> f64 {
        self.total_inertia
    }

    /// Percentage of the total inertia explained by each kept component.
    pub fn percentage_of_variance(&self) -> Array1<f64> {
        self.eigenvalues.mapv(|l| 100.0 * l / self.total_inertia)
    }

    /// Running sum of [`percentage_of_variance`](Self::percentage_of_variance).
    pub fn cumulative_percentage_of_variance(&self) -> Array1<f64> {
        cumulative(self.percentage_of_variance())
    }

    /// Row masses (row totals / grand total).
    pub fn row_masses(&self) -> ArrayView1<'_, f64> {
        self.row_masses.view()
    }

    /// Column masses.
    pub fn column_masses(&self) -> ArrayView1<'_, f64> {
        self.column_masses.view()
    }

    /// Principal coordinates of the table's rows.
    pub fn row_coordinates(&self) -> ArrayView2<'_, f64> {
        self.row_coordinates.view()
    }

    /// Principal coordinates of the table's columns.
    pub fn column_coordinates(&self) -> ArrayView2<'_, f64> {
        self.column_coordinates.view()
    }

    /// Principal coordinates of new rows (supplementary rows: counts over the same columns,
    /// finite, >= 0, each row with a positive total).
    pub fn transform(&self, rows: ArrayView2<f64>) -> Result<Array2<f64>> {
        let j = self.column_masses.len();
        if rows.ncols() != j {
            return Err(Error::ShapeMismatch {
                what: "rows at transform (number of table columns)".into(),
                expected: j,
                got: rows.ncols(),
            });
        }
        let mut profiles = rows.to_owned();
        for (i, mut row) in profiles.rows_mut().into_iter().enumerate() {
            let total: f64 = row.sum();
            if row.iter().any(|v| !(v.is_finite() && *v >= 0.0)) || total <= 0.0 {
                return Err(Error::invalid_parameter(
                    "rows",
                    format!("row {i}"),
                    "finite counts >= 0 with a positive total",
                ));
            }
            row.mapv_inplace(|v| v / total);
        }
        Ok(profiles.dot(&self.row_projection))
    }
}

/// Burt matrix `sum_i w_i z_i z_i^T` (J x J) from the codes, in fixed row chunks reduced in order.
fn burt_matrix(
    codes: &[u32],
    q: usize,
    offsets: &[usize],
    j_total: usize,
    weights: &[f64],
) -> Array2<f64> {
    let n = weights.len();
    let chunk = BURT_CHUNK_ROWS.max(n.div_ceil(MAX_BURT_CHUNKS));
    let partials: Vec<Vec<f64>> = (0..n.div_ceil(chunk))
        .into_par_iter()
        .map(|ci| {
            let mut b = vec![0.0; j_total * j_total];
            let mut idx = vec![0usize; q];
            for i in ci * chunk..((ci + 1) * chunk).min(n) {
                let w = weights[i];
                for (a, slot) in idx.iter_mut().enumerate() {
                    *slot = offsets[a] + codes[i * q + a] as usize;
                }
                // Upper triangle only (idx is increasing: offsets grow with the column).
                for (a, &ia) in idx.iter().enumerate() {
                    let row = &mut b[ia * j_total..(ia + 1) * j_total];
                    for &ib in &idx[a..] {
                        row[ib] += w;
                    }
                }
            }
            b
        })
        .collect();
    let mut burt = Array2::zeros((j_total, j_total));
    for part in partials {
        burt.as_slice_mut()
            .expect("owned array is contiguous")
            .iter_mut()
            .zip(&part)
            .for_each(|(a, b)| *a += b);
    }
    for a in 0..j_total {
        for b in 0..a {
            burt[[a, b]] = burt[[b, a]];
        }
    }
    burt
}

impl McaParams {
    /// Parameters keeping `n_components` components, without correction.
    pub fn new(n_components: usize) -> Self {
        McaParams {
            n_components,
            correction: None,
        }
    }

    /// Sets the eigenvalue correction.
    pub fn correction(mut self, correction: Option<InertiaCorrection>) -> Self {
        self.correction = correction;
        self
    }

    /// Fits MCA on `codes` (`n x K` category codes `0..n_categories`, every code of a column
    /// present), optionally weighting the rows. A column with a single category adds no inertia
    /// but counts in `K`, as in prince.
    ///
    /// # Example
    /// ```
    /// use ndarray::array;
    /// use segcore::reduce::correspondence::McaParams;
    ///
    /// // Industry, size class, channel of six customers, as category codes.
    /// let codes = array![[0u32, 0, 1], [0, 0, 1], [1, 1, 0], [1, 1, 0], [2, 1, 0], [2, 0, 1]];
    /// let mca = McaParams::new(2).fit(codes.view(), None)?;
    /// assert_eq!(mca.eigenvalues().len(), 2);
    /// let coords = mca.transform(codes.view())?;
    /// assert!((coords[[0, 0]] - coords[[1, 0]]).abs() < 1e-12); // same answers, same point
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn fit(
        &self,
        codes: ArrayView2<u32>,
        sample_weight: Option<ArrayView1<f64>>,
    ) -> Result<Mca> {
        let (n, q) = codes.dim();
        if n == 0 || q == 0 {
            return Err(Error::EmptyInput {
                what: format!("X is {n} x {q}; MCA needs rows and categorical columns"),
            });
        }
        if self.correction.is_some() && q < 2 {
            return Err(Error::invalid_parameter(
                "correction",
                match self.correction {
                    Some(InertiaCorrection::Benzecri) => "benzecri",
                    Some(InertiaCorrection::Greenacre) => "greenacre",
                    None => "none",
                },
                "None with a single column (the corrections divide by K - 1)",
            ));
        }
        let weights = match sample_weight {
            Some(w) => {
                check_sample_weight(w, n)?;
                w.to_vec()
            }
            None => vec![1.0; n],
        };
        let mut n_categories = vec![0u32; q];
        for ((i, j), &c) in codes.indexed_iter() {
            if c >= MAX_CATEGORY_CODE {
                return Err(Error::invalid_parameter(
                    "X",
                    format!("category code {c} at row {i}, column {j}"),
                    "category codes 0..n_categories-1 (encode a missing answer as its own category)",
                ));
            }
            n_categories[j] = n_categories[j].max(c + 1);
        }
        let j_total: usize = n_categories.iter().map(|&c| c as usize).sum();
        if j_total > MAX_MCA_CATEGORIES {
            return Err(Error::invalid_parameter(
                "X",
                format!("{j_total} categories in total"),
                format!("at most {MAX_MCA_CATEGORIES} categories over all columns"),
            ));
        }
        check_components(
            self.n_components,
            j_total.saturating_sub(1).min(n.saturating_sub(1)),
            "J - 1",
        )?;
        let mut offsets = Vec::with_capacity(q);
        let mut acc = 0;
        for &c in &n_categories {
            offsets.push(acc);
            acc += c as usize;
        }
        let flat: Vec<u32> = codes.as_standard_layout().iter().copied().collect();
        let burt = burt_matrix(&flat, q, &offsets, j_total, &weights);
        let total_weight: f64 = weights.iter().sum();
        let k = q as f64;
        let c: Array1<f64> = burt.diag().mapv(|d| d / (total_weight * k));
        for (col, (&off, &levels)) in offsets.iter().zip(&n_categories).enumerate() {
            if let Some(code) = (0..levels as usize).find(|&l| c[off + l] <= 0.0) {
                return Err(Error::invalid_parameter(
                    "X",
                    format!("category code {code} of column {col} never occurs (with a positive weight)"),
                    "dense category codes: every code below the column's largest occurs",
                ));
            }
        }
        let inv_sqrt_c = c.mapv(|x| 1.0 / x.sqrt());
        let scale = 1.0 / (total_weight * k * k);
        let gram = Array2::from_shape_fn((j_total, j_total), |(a, b)| {
            (burt[[a, b]] * scale - c[a] * c[b]) * inv_sqrt_c[a] * inv_sqrt_c[b]
        });
        let total_inertia = gram.diag().sum();
        let sum_squared_eigenvalues = gram.iter().map(|v| v * v).sum();
        let (eigenvalues, v) = top_eigen(gram, self.n_components)?;
        let mut column_coordinates = &(&v * &inv_sqrt_c.view().insert_axis(Axis(1)))
            * &eigenvalues.mapv(f64::sqrt).view().insert_axis(Axis(0));
        let mut row_projection = &v * &inv_sqrt_c.mapv(|x| x / k).view().insert_axis(Axis(1));
        flip_signs(&mut column_coordinates, &mut [&mut row_projection]);
        Ok(Mca {
            n_categories,
            column_masses: c,
            eigenvalues,
            sum_squared_eigenvalues,
            total_inertia,
            correction: self.correction,
            row_projection,
            column_coordinates,
        })
    }
}

impl Mca {
    /// Principal inertias of the kept components (uncorrected).
    pub fn eigenvalues(&self) -> ArrayView1<'_, f64> {
        self.eigenvalues.view()
    }

    /// prince's `eigenvalues_`: the corrected eigenvalues when a correction is set, else the
    /// principal inertias.
    pub fn corrected_eigenvalues(&self) -> Array1<f64> {
        match self.correction {
            None => self.eigenvalues.clone(),
            Some(_) => {
                let k = self.n_categories.len() as f64;
                self.eigenvalues.mapv(|l| {
                    if l > 1.0 / k {
                        (k / (k - 1.0) * (l - 1.0 / k)).powi(2)
                    } else {
                        0.0
                    }
                })
            }
        }
    }

    /// Running sum of [`percentage_of_variance`](Self::percentage_of_variance).
    pub fn cumulative_percentage_of_variance(&self) -> Array1<f64> {
        cumulative(self.percentage_of_variance())
    }

    /// prince's `percentage_of_variance_` (see the module documentation for the corrections).
    pub fn percentage_of_variance(&self) -> Array1<f64> {
        let corrected = self.corrected_eigenvalues();
        match self.correction {
            None => self.eigenvalues.mapv(|l| 100.0 * l / self.total_inertia),
            Some(InertiaCorrection::Benzecri) => {
                let sum = corrected.sum();
                corrected.mapv(|l| if sum > 0.0 { 100.0 * l / sum } else { 0.0 })
            }
            Some(InertiaCorrection::Greenacre) => {
                let k = self.n_categories.len() as f64;
                let j = self.column_masses.len() as f64;
                let average = k / (k - 1.0) * (self.sum_squared_eigenvalues - (j - k) / (k * k));
                corrected.mapv(|l| 100.0 * l / average)
            }
        }
    }

    /// Total inertia, `(J - K) / K` for `J` categories in `K` columns.
    pub fn total_inertia(&self) -> f64 {
        self.total_inertia
    }

    /// Categories per column seen at fit.
    pub fn n_categories(&self) -> &[u32] {
        &self.n_categories
    }

    /// Category masses (`J`, columns' categories one after another).
    pub fn column_masses(&self) -> ArrayView1<'_, f64> {
        self.column_masses.view()
    }

    /// Principal coordinates of every category (`J x m`, in column order then code order).
    pub fn column_coordinates(&self) -> ArrayView2<'_, f64> {
        self.column_coordinates.view()
    }

    /// Row principal coordinates of `codes` (training or new rows; an unseen code is
    /// [`Error::UnknownCategory`]). Parallel over fixed row chunks.
    pub fn transform(&self, codes: ArrayView2<u32>) -> Result<Array2<f64>> {
        let q = self.n_categories.len();
        if codes.ncols() != q {
            return Err(Error::ShapeMismatch {
                what: "X at transform (number of categorical columns)".into(),
                expected: q,
                got: codes.ncols(),
            });
        }
        for ((i, j), &c) in codes.indexed_iter() {
            if c >= self.n_categories[j] {
                return Err(Error::UnknownCategory {
                    column: format!("column {j}"),
                    value: format!(
                        "code {c} at row {i} (the fit saw {} categories)",
                        self.n_categories[j]
                    ),
                });
            }
        }
        let mut offsets = Vec::with_capacity(q);
        let mut acc = 0;
        for &c in &self.n_categories {
            offsets.push(acc);
            acc += c as usize;
        }
        let m = self.eigenvalues.len();
        let n = codes.nrows();
        let mut out = Array2::zeros((n, m));
        out.axis_chunks_iter_mut(Axis(0), 8192)
            .into_par_iter()
            .zip(codes.axis_chunks_iter(Axis(0), 8192).into_par_iter())
            .for_each(|(mut out_chunk, code_chunk)| {
                for (mut out_row, code_row) in
                    out_chunk.rows_mut().into_iter().zip(code_chunk.rows())
                {
                    for (j, &c) in code_row.iter().enumerate() {
                        out_row += &self.row_projection.row(offsets[j] + c as usize);
                    }
                }
            });
        Ok(out)
    }
}

impl crate::persist::SavedModel for Ca {
    fn kind() -> String {
        "correspondence-analysis".into()
    }

    fn validate(&self) -> Result<()> {
        let (j, m) = self.row_projection.dim();
        let ok = self.column_masses.len() == j
            && self.eigenvalues.len() == m
            && self.column_coordinates.dim() == (j, m)
            && self.row_coordinates.dim() == (self.row_masses.len(), m)
            && self.row_projection.iter().all(|v| v.is_finite());
        if !ok {
            return Err(Error::ModelFormat {
                reason: "correspondence analysis: shapes disagree or a value is not finite".into(),
            });
        }
        Ok(())
    }
}

impl crate::persist::SavedModel for Mca {
    fn kind() -> String {
        "multiple-correspondence-analysis".into()
    }

    fn validate(&self) -> Result<()> {
        let (j, m) = self.row_projection.dim();
        let j_total: usize = self.n_categories.iter().map(|&c| c as usize).sum();
        let ok = j == j_total
            && self.column_masses.len() == j
            && self.eigenvalues.len() == m
            && self.column_coordinates.dim() == (j, m)
            && self.row_projection.iter().all(|v| v.is_finite());
        if !ok {
            return Err(Error::ModelFormat {
                reason:
                    "multiple correspondence analysis: shapes disagree or a value is not finite"
                        .into(),
            });
        }
        Ok(())
    }
}

/// The running sum of `values` (in order).
fn cumulative(mut values: Array1<f64>) -> Array1<f64> {
    values.accumulate_axis_inplace(ndarray::Axis(0), |&prev, cur| *cur += prev);
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Indicator matrix of the codes, for checking against a dense CA.
    fn indicator(codes: &Array2<u32>) -> Array2<f64> {
        let n_cat: Vec<usize> = (0..codes.ncols())
            .map(|j| codes.column(j).iter().max().map_or(0, |&m| m as usize + 1))
            .collect();
        let j_total: usize = n_cat.iter().sum();
        let mut z = Array2::zeros((codes.nrows(), j_total));
        for i in 0..codes.nrows() {
            let mut off = 0;
            for (j, &l) in n_cat.iter().enumerate() {
                z[[i, off + codes[[i, j]] as usize]] = 1.0;
                off += l;
            }
        }
        z
    }

    fn sample_codes() -> Array2<u32> {
        Array2::from_shape_fn((200, 4), |(i, j)| {
            ((i * (j + 3) + i / 7 + j) % (2 + j)) as u32
        })
    }

    #[test]
    fn mca_equals_ca_of_the_indicator_matrix() {
        let codes = sample_codes();
        let mca = McaParams::new(3).fit(codes.view(), None).unwrap();
        let ca = CaParams::new(3).fit(indicator(&codes).view()).unwrap();
        for k in 0..3 {
            assert!((mca.eigenvalues()[k] - ca.eigenvalues()[k]).abs() < 1e-12);
        }
        assert!((mca.total_inertia() - (14.0 - 4.0) / 4.0).abs() < 1e-12);
        let rows = mca.transform(codes.view()).unwrap();
        for k in 0..3 {
            // Same up to sign; the sign rule may pick differently only on exact ties.
            let sign = if (rows[[0, k]] * ca.row_coordinates()[[0, k]]) < 0.0 {
                -1.0
            } else {
                1.0
            };
            for i in 0..codes.nrows() {
                assert!((rows[[i, k]] - sign * ca.row_coordinates()[[i, k]]).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn ca_of_a_table_and_its_transpose_agree() {
        let t = array![
            [30.0, 5.0, 2.0, 1.0],
            [4.0, 25.0, 6.0, 3.0],
            [3.0, 7.0, 20.0, 9.0]
        ];
        let a = CaParams::new(2).fit(t.view()).unwrap();
        let b = CaParams::new(2).fit(t.t()).unwrap();
        for k in 0..2 {
            assert!((a.eigenvalues()[k] - b.eigenvalues()[k]).abs() < 1e-12);
            for i in 0..3 {
                assert!(
                    (a.row_coordinates()[[i, k]].abs() - b.column_coordinates()[[i, k]].abs())
                        .abs()
                        < 1e-9
                );
            }
        }
        assert!((a.percentage_of_variance().sum() - 100.0).abs() < 1e-9);
        let sup = a.transform(t.slice(s![0..1, ..])).unwrap();
        assert!((sup[[0, 0]] - a.row_coordinates()[[0, 0]]).abs() < 1e-12);
    }

    #[test]
    fn deterministic_and_weights_act_as_repeats() {
        let codes = Array2::from_shape_fn((50_000, 5), |(i, j)| {
            ((i * 31 + j * 7 + i / 13) % (3 + j)) as u32
        });
        let fit = || McaParams::new(2).fit(codes.view(), None).unwrap();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(fit);
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .install(fit);
        assert_eq!(one, two);
        let small = sample_codes();
        let w: Array1<f64> = (0..200).map(|i| (i % 2 + 1) as f64).collect();
        let rep: Vec<usize> = (0..200)
            .flat_map(|i| std::iter::repeat_n(i, i % 2 + 1))
            .collect();
        let a = McaParams::new(2).fit(small.view(), Some(w.view())).unwrap();
        let b = McaParams::new(2)
            .fit(small.select(Axis(0), &rep).view(), None)
            .unwrap();
        assert!(a.eigenvalues().abs_diff_eq(&b.eigenvalues(), 1e-12));
    }

    #[test]
    fn bad_input_and_corrections() {
        let codes = sample_codes();
        assert!(McaParams::new(0).fit(codes.view(), None).is_err());
        let gap = array![[0u32, 0], [2, 1], [0, 1]];
        assert!(McaParams::new(1)
            .fit(gap.view(), None)
            .unwrap_err()
            .to_string()
            .contains("never occurs"));
        let m = McaParams::new(2).fit(codes.view(), None).unwrap();
        assert!(matches!(
            m.transform(array![[9u32, 0, 0, 0]].view()),
            Err(Error::UnknownCategory { .. })
        ));
        let b = McaParams::new(2)
            .correction(Some(InertiaCorrection::Benzecri))
            .fit(codes.view(), None)
            .unwrap();
        assert!((b.percentage_of_variance().sum() - 100.0).abs() < 1e-9);
        assert!(CaParams::new(1)
            .fit(array![[1.0, 0.0], [0.0, 0.0]].view())
            .is_err());
        let saved = crate::persist::to_json(&m).unwrap();
        let back: Mca = crate::persist::from_json(&saved).unwrap();
        assert_eq!(back, m);
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Mca>();
        assert_send_sync::<Ca>();
        assert_send_sync::<McaParams>();
    }
}
