//! `FeaturePipeline`: raw customer columns (firmographics, behaviour features) -> the clustering
//! matrix, fitted once and re-applied identically at predict time.
//!
//! A [`PipelineSpec`] says which columns and which steps (see [`spec`]); [`PipelineSpec::fit`]
//! learns every statistic (categories, quantiles, fills, scales, group factors) and returns a
//! [`FeaturePipeline`] that only applies them. The fitted pipeline saves to JSON with a format
//! version ([`FeaturePipeline::to_json`]); a pipeline saved from Python loads in Rust and gives the
//! same features, and vice versa.
//!
//! Per source column, outputs are: numeric/ordinal -> `<column>` and, with a missing indicator,
//! `<column>_missing`; one-hot -> `<column>_<category>`..., `<column>_missing` (if missing values
//! were frequent at fit), `<column>_other`. Columns constant at fit are dropped or kept at zero
//! ([`ConstantColumns`]); `<column>_other` is never dropped, since it is where unseen categories
//! land. Group weights then rescale whole groups ([`GroupWeight`] states the rule).

pub mod encoding;
mod fit;
mod input;
mod plan;
mod row;
mod saved;
pub mod spec;
pub mod transforms;

pub use encoding::{OneHotEncoder, OrdinalEncoder};
pub use input::{ColumnRef, FeatureInput, RowValue};
pub use spec::{
    ColumnSpec, ConstantColumns, Encoding, GroupWeight, Impute, MinFrequency, PipelineSpec, Scaling,
};
pub use transforms::NumericTransform;

use plan::{transform_column, ColumnPlan, TRANSFORM_ROWS_PER_TASK};

use crate::data::{CategoricalColumn, ColumnData, CustomerTable};
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use transforms::missing_without_impute;

/// Below this many rows, transform runs on the calling thread: handing a one-customer request
/// (the service path, `Segmenter::predict_record`) to the thread pool cost ~90 us against ~3 us
/// of work on a busy 2-core machine (`benches/predict.rs`). Every value is computed the same way
/// on either path, so results do not change.
const PARALLEL_MIN_ROWS: usize = 2048;

/// The fitted encoding of one source column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FittedColumn {
    Numeric(NumericTransform),
    Ordinal {
        encoder: OrdinalEncoder,
        numeric: NumericTransform,
    },
    OneHot(OneHotEncoder),
}

/// One output column: where its values come from and how they are finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OutputColumn {
    name: String,
    /// Index of the source column spec.
    source: usize,
    /// Column within the source's block of outputs.
    block_column: usize,
    /// Group weight factor (1 outside groups).
    factor: f64,
    /// Constant at fit and kept as zero.
    zero: bool,
}

/// What fitting found worth telling the user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Rows seen at fit.
    pub n_rows: usize,
    /// Output columns constant at fit (dropped, or kept at zero, per [`ConstantColumns`]).
    pub constant_columns: Vec<String>,
    /// Robust-scaled columns whose quantile spread was zero (scale 1: centred, not divided).
    pub zero_spread_columns: Vec<String>,
    /// Missing values imputed at fit, per source column (only columns that had some).
    pub imputed: Vec<(String, usize)>,
    /// Negative values floored at 0 by `log1p`, per source column (only columns that had some).
    pub log1p_floored: Vec<(String, usize)>,
    /// Categories grouped into `<column>_other` for being rare, per one-hot column.
    pub infrequent_categories: Vec<(String, Vec<String>)>,
    /// Per weight group: name, total variance before weighting, factor applied.
    pub groups: Vec<(String, f64, f64)>,
}

/// What a transform found worth telling the user (nothing here is an error).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransformReport {
    /// Rows whose category was never seen at fit (sent to `<column>_other`, or imputed for
    /// ordinal columns), per source column.
    pub unknown_categories: Vec<(String, usize)>,
    /// Missing values imputed, per source column.
    pub imputed: Vec<(String, usize)>,
}

impl TransformReport {
    /// Counts a source column's unknown categories and imputed values (columns with none are
    /// not listed).
    fn add(&mut self, column: &str, n_unknown: usize, n_imputed: usize) {
        if n_unknown > 0 {
            self.unknown_categories
                .push((column.to_string(), n_unknown));
        }
        if n_imputed > 0 {
            self.imputed.push((column.to_string(), n_imputed));
        }
    }
}

/// A fitted feature pipeline; see the [module documentation](self).
///
/// ```
/// use segcore::data::CustomerTable;
/// use segcore::features::pipeline::{ColumnSpec, Impute, MinFrequency, PipelineSpec};
///
/// let mut table = CustomerTable::new((0..6).map(|i| format!("C{i}")).collect())?;
/// table.add_numeric("annual_revenue_eur", vec![2e6, 5e7, f64::NAN, 1e6, 3e6, 8e5])?;
/// table.add_categorical("industry", &[Some("food"), Some("food"), Some("auto"),
///                                     Some("auto"), Some("food"), Some("pharma")])?;
/// let spec = PipelineSpec::new(vec![
///     ColumnSpec::numeric("annual_revenue_eur").log1p().impute(Impute::Median),
///     ColumnSpec::one_hot("industry").min_frequency(MinFrequency::Count(2)).group("industry"),
/// ])
/// .group_weight("industry", 1.0);
/// let pipeline = spec.fit_table(&table)?;
/// assert_eq!(
///     pipeline.feature_names_out(),
///     ["annual_revenue_eur", "industry_auto", "industry_food", "industry_other"]
/// );
/// let x = pipeline.transform_table(&table)?;
/// assert_eq!(x.dim(), (6, 4));
/// // Saved and loaded, it gives the same numbers.
/// let loaded = segcore::features::pipeline::FeaturePipeline::from_json(&pipeline.to_json()?)?;
/// assert_eq!(loaded.transform_table(&table)?, x);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeaturePipeline {
    spec: PipelineSpec,
    fitted: Vec<FittedColumn>,
    outputs: Vec<OutputColumn>,
    report: FitReport,
}

impl FeaturePipeline {
    /// The output column names, in output order.
    pub fn feature_names_out(&self) -> Vec<&str> {
        self.outputs.iter().map(|o| o.name.as_str()).collect()
    }

    /// Number of output columns.
    pub fn n_features_out(&self) -> usize {
        self.outputs.len()
    }

    /// For every output column, in output order, the index (in [`spec`](Self::spec)`.columns`)
    /// of the column it comes from: the output block of a one-hot column, for instance.
    pub fn output_sources(&self) -> Vec<usize> {
        self.outputs.iter().map(|o| o.source).collect()
    }

    /// The spec this pipeline was fitted from.
    pub fn spec(&self) -> &PipelineSpec {
        &self.spec
    }

    /// What fitting found: constant columns, imputations, rare categories, group factors.
    pub fn report(&self) -> &FitReport {
        &self.report
    }

    /// The fitted one-hot encoder of `column`, if it is a one-hot column.
    pub fn one_hot_encoder(&self, column: &str) -> Option<&OneHotEncoder> {
        let i = self.spec.columns.iter().position(|c| c.column == column)?;
        match &self.fitted[i] {
            FittedColumn::OneHot(e) => Some(e),
            _ => None,
        }
    }

    /// The fitted numeric chain of `column`, if it is a numeric or ordinal column.
    pub fn numeric_transform(&self, column: &str) -> Option<&NumericTransform> {
        let i = self.spec.columns.iter().position(|c| c.column == column)?;
        match &self.fitted[i] {
            FittedColumn::Numeric(t) | FittedColumn::Ordinal { numeric: t, .. } => Some(t),
            FittedColumn::OneHot(_) => None,
        }
    }

    /// The clustering matrix of `input` (rows = customers, columns = [`feature_names_out`](Self::feature_names_out)).
    pub fn transform(&self, input: &FeatureInput<'_>) -> Result<Array2<f64>> {
        Ok(self.transform_with_report(input)?.0)
    }

    /// [`transform`](Self::transform) on all columns of `table`.
    pub fn transform_table(&self, table: &CustomerTable) -> Result<Array2<f64>> {
        self.transform(&FeatureInput::from_table(table))
    }

    /// [`transform`](Self::transform), also counting unseen categories and imputed values.
    pub fn transform_with_report(
        &self,
        input: &FeatureInput<'_>,
    ) -> Result<(Array2<f64>, TransformReport)> {
        let sources = self
            .spec
            .columns
            .iter()
            .map(|c| input.source(c))
            .collect::<Result<Vec<_>>>()?;
        let plans = self
            .spec
            .columns
            .iter()
            .zip(&self.fitted)
            .zip(&sources)
            .enumerate()
            .map(|(i, ((spec, fitted), source))| {
                ColumnPlan::new(spec, fitted, *source, self.targets_of(i))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut out = Array2::<f64>::zeros((input.n_rows(), self.outputs.len()));
        // Straight into the output, row chunks in parallel, every source per chunk: the former
        // per-source blocks (a 1M x 16 one-hot block, then a copy into the output) made
        // transform only as fast as scikit-learn's ColumnTransformer at 1M customers. Values
        // are independent per row and the counts are integer sums, so the chunking cannot
        // change a result.
        // Below PARALLEL_MIN_ROWS on the calling thread: handing one customer to the thread
        // pool cost ~90 us of a single-customer predict (benches/predict.rs).
        let write_chunk = |(task, mut chunk): (usize, ndarray::ArrayViewMut2<f64>)| {
            let first_row = task * TRANSFORM_ROWS_PER_TASK;
            plans
                .iter()
                .map(|plan| plan.write(first_row, chunk.view_mut()))
                .collect::<Vec<(usize, usize)>>()
        };
        let counts: Vec<Vec<(usize, usize)>> = if input.n_rows() < PARALLEL_MIN_ROWS {
            out.axis_chunks_iter_mut(Axis(0), TRANSFORM_ROWS_PER_TASK)
                .enumerate()
                .map(write_chunk)
                .collect()
        } else {
            out.axis_chunks_iter_mut(Axis(0), TRANSFORM_ROWS_PER_TASK)
                .into_par_iter()
                .enumerate()
                .map(write_chunk)
                .collect()
        };
        let mut report = TransformReport::default();
        for (i, spec) in self.spec.columns.iter().enumerate() {
            let (n_unknown, n_imputed) = counts
                .iter()
                .fold((0, 0), |(u, m), task| (u + task[i].0, m + task[i].1));
            report.add(&spec.column, n_unknown, n_imputed);
        }
        Ok((out, report))
    }

    /// Where each block column of source `i` lands: `(output column, group factor)`, `None` when
    /// dropped or kept at zero.
    fn targets_of(&self, i: usize) -> Vec<Option<(usize, f64)>> {
        let mut targets = vec![None; self.block_names(i).len()];
        for (j, output) in self.outputs.iter().enumerate() {
            if output.source == i && !output.zero {
                if let Some(t) = targets.get_mut(output.block_column) {
                    *t = Some((j, output.factor));
                }
            }
        }
        targets
    }

    /// Names of the block of outputs of source `i`, before dropping constant columns.
    fn block_names(&self, i: usize) -> Vec<String> {
        let spec = &self.spec.columns[i];
        match &self.fitted[i] {
            FittedColumn::OneHot(enc) => enc.output_names(&spec.column),
            _ => {
                let mut names = vec![spec.column.clone()];
                if spec.missing_indicator {
                    names.push(format!("{}_{}", spec.column, encoding::MISSING_SUFFIX));
                }
                names
            }
        }
    }

    /// Every source's block of outputs (before weighting and dropping), computed in parallel
    /// per source and returned in spec order.
    fn blocks(&self, sources: &[ColumnRef<'_>]) -> Result<(Vec<Array2<f64>>, TransformReport)> {
        let n_rows = sources.first().map_or(0, ColumnRef::len);
        let results = if n_rows < PARALLEL_MIN_ROWS {
            self.spec
                .columns
                .iter()
                .zip(&self.fitted)
                .zip(sources)
                .map(|((spec, fitted), source)| transform_column(spec, fitted, *source))
                .collect::<Result<Vec<_>>>()?
        } else {
            self.spec
                .columns
                .par_iter()
                .zip(self.fitted.par_iter())
                .zip(sources.par_iter())
                .map(|((spec, fitted), source)| transform_column(spec, fitted, *source))
                .collect::<Result<Vec<_>>>()?
        };
        let mut report = TransformReport::default();
        let mut blocks = Vec::with_capacity(results.len());
        for (spec, (block, n_unknown, n_imputed)) in self.spec.columns.iter().zip(results) {
            report.add(&spec.column, n_unknown, n_imputed);
            blocks.push(block);
        }
        Ok((blocks, report))
    }
}

#[cfg(test)]
mod tests {
    use super::fit::population_variance;
    use super::*;

    fn table() -> CustomerTable {
        let mut t = CustomerTable::new((0..8).map(|i| format!("C{i}")).collect()).unwrap();
        t.add_numeric("revenue", vec![1e6, 2e6, f64::NAN, 4e6, 8e6, 1e7, 3e5, 5e6])
            .unwrap();
        t.add_numeric(
            "employees",
            vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0],
        )
        .unwrap();
        t.add_numeric("country_code", vec![49.0; 8]).unwrap();
        t.add_categorical(
            "industry",
            &[
                Some("food"),
                Some("auto"),
                Some("food"),
                Some("auto"),
                Some("pharma"),
                Some("food"),
                None,
                Some("auto"),
            ],
        )
        .unwrap();
        t.add_categorical(
            "size",
            &[
                Some("S"),
                Some("M"),
                Some("L"),
                Some("S"),
                None,
                Some("L"),
                Some("M"),
                Some("S"),
            ],
        )
        .unwrap();
        t
    }

    /// The per-source blocks times the group factors: the definition `transform` must match.
    fn transform_via_blocks(pipeline: &FeaturePipeline, table: &CustomerTable) -> Array2<f64> {
        let input = FeatureInput::from_table(table);
        let sources = pipeline
            .spec
            .columns
            .iter()
            .map(|c| input.source(c))
            .collect::<Result<Vec<_>>>()
            .unwrap();
        let (blocks, _) = pipeline.blocks(&sources).unwrap();
        let mut out = Array2::zeros((table.n_customers(), pipeline.outputs.len()));
        for (j, output) in pipeline.outputs.iter().enumerate() {
            if !output.zero {
                for row in 0..table.n_customers() {
                    out[[row, j]] =
                        blocks[output.source][[row, output.block_column]] * output.factor;
                }
            }
        }
        out
    }

    #[test]
    fn direct_transform_equals_the_blocks_over_several_chunks() {
        // Fit on the small table, transform a big one (3 chunks) with unknown categories,
        // missing values and a constant column kept at zero.
        for policy in [ConstantColumns::Drop, ConstantColumns::KeepAsZero] {
            let pipeline = spec().constant_columns(policy).fit_table(&table()).unwrap();
            let n = 2 * TRANSFORM_ROWS_PER_TASK + 7;
            let mut big = CustomerTable::new((0..n).map(|i| format!("B{i}")).collect()).unwrap();
            let numbers = |m: usize| -> Vec<f64> {
                (0..n)
                    .map(|i| {
                        if i % m == 3 {
                            f64::NAN
                        } else {
                            (i * 37 % 1000) as f64 * 1e4
                        }
                    })
                    .collect()
            };
            big.add_numeric("revenue", numbers(11)).unwrap();
            big.add_numeric("employees", (0..n).map(|i| (i % 90) as f64).collect())
                .unwrap();
            big.add_numeric("country_code", vec![49.0; n]).unwrap();
            let industries = [
                Some("food"),
                Some("auto"),
                None,
                Some("pharma"),
                Some("new"),
            ];
            let sizes = [Some("S"), Some("XL"), None, Some("L"), Some("M")];
            let pick = |v: &[Option<&'static str>], k: usize| -> Vec<Option<&'static str>> {
                (0..n).map(|i| v[(i * k) % v.len()]).collect()
            };
            big.add_categorical("industry", &pick(&industries, 3))
                .unwrap();
            big.add_categorical("size", &pick(&sizes, 7)).unwrap();
            let (x, report) = pipeline
                .transform_with_report(&FeatureInput::from_table(&big))
                .unwrap();
            let expected = transform_via_blocks(&pipeline, &big);
            assert_eq!(x.dim(), expected.dim());
            for (a, b) in x.iter().zip(expected.iter()) {
                assert_eq!(a.to_bits(), b.to_bits());
            }
            let unknown_industry = (0..n).filter(|i| (i * 3) % 5 == 4).count();
            let unknown_size = (0..n).filter(|i| (i * 7) % 5 == 1).count();
            let missing_size = (0..n).filter(|i| (i * 7) % 5 == 2).count();
            assert!(report
                .unknown_categories
                .contains(&("industry".to_string(), unknown_industry)));
            assert!(report
                .unknown_categories
                .contains(&("size".to_string(), unknown_size)));
            assert!(report
                .imputed
                .contains(&("size".to_string(), unknown_size + missing_size)));
            assert!(report.imputed.contains(&(
                "revenue".to_string(),
                (0..n).filter(|i| i % 11 == 3).count()
            )));
        }
    }

    fn spec() -> PipelineSpec {
        PipelineSpec::new(vec![
            ColumnSpec::numeric("revenue")
                .log1p()
                .impute(Impute::Median)
                .missing_indicator(),
            ColumnSpec::numeric("employees").robust_scaled(25.0, 75.0),
            ColumnSpec::numeric("country_code"),
            ColumnSpec::one_hot("industry")
                .min_frequency(MinFrequency::Count(2))
                .group("industry"),
            ColumnSpec::ordinal("size", &["S", "M", "L"]).impute(Impute::MostFrequent),
        ])
        .group_weight("industry", 1.0)
    }

    #[test]
    fn outputs_names_and_values() {
        let t = table();
        let p = spec().fit_table(&t).unwrap();
        assert_eq!(
            p.feature_names_out(),
            [
                "revenue",
                "revenue_missing",
                "employees",
                "industry_auto",
                "industry_food",
                "industry_other",
                "size"
            ]
        );
        assert_eq!(p.report().constant_columns, ["country_code"]);
        assert_eq!(
            p.report().imputed,
            [("revenue".to_string(), 1), ("size".to_string(), 1)]
        );
        assert_eq!(
            p.report().infrequent_categories,
            [("industry".to_string(), vec!["pharma".to_string()])]
        );
        let x = p.transform_table(&t).unwrap();
        // Standard-scaled log revenue: mean 0, variance 1; the missing row got the median.
        let revenue = x.column(0);
        assert!(revenue.sum().abs() < 1e-12);
        assert!((population_variance(revenue) - 1.0).abs() < 1e-12);
        assert_eq!(
            x.column(1).to_vec(),
            [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        );
        // Robust: (employees - median 45) / IQR (62.5 - 27.5 = 35).
        assert!((x[[0, 2]] - (10.0 - 45.0) / 35.0).abs() < 1e-12);
        // The industry group has total variance exactly its weight 1.
        let group_variance: f64 = (3..6).map(|j| population_variance(x.column(j))).sum();
        assert!((group_variance - 1.0).abs() < 1e-12);
        // Pharma and the one missing industry are rare (1 row < 2): both land in `other`.
        assert!(x[[4, 5]] > 0.0 && x[[6, 5]] > 0.0 && x[[0, 5]] == 0.0);
        // Ordinal: missing size filled with the most frequent position (S = 0).
        let size = p.numeric_transform("size").unwrap();
        assert_eq!(size.fill, Some(0.0));
    }

    #[test]
    fn fitted_once_applies_identically_to_any_rows() {
        let t = table();
        let p = spec().fit_table(&t).unwrap();
        let full = p.transform_table(&t).unwrap();
        // Customers 5 and 2 alone, in another order, with another dictionary order.
        let mut sub = CustomerTable::new(vec!["C5".into(), "C2".into()]).unwrap();
        sub.add_numeric("revenue", vec![1e7, f64::NAN]).unwrap();
        sub.add_numeric("employees", vec![60.0, 30.0]).unwrap();
        sub.add_numeric("country_code", vec![1.0, 2.0]).unwrap();
        sub.add_categorical("industry", &[Some("food"), Some("food")])
            .unwrap();
        sub.add_categorical("size", &[Some("L"), Some("L")])
            .unwrap();
        let x = p.transform_table(&sub).unwrap();
        assert_eq!(x.row(0), full.row(5));
        assert_eq!(x.row(1), full.row(2));
    }

    /// Row `row` of `table` as [`RowValue`]s in spec order.
    fn row_values<'a>(
        p: &FeaturePipeline,
        table: &'a CustomerTable,
        row: usize,
    ) -> Vec<RowValue<'a>> {
        p.spec()
            .columns
            .iter()
            .map(|c| match &table.column(&c.column).unwrap().data {
                crate::data::ColumnData::Numeric(v) => RowValue::Number(v[row]),
                crate::data::ColumnData::Categorical(v) => RowValue::Category(v.get(row)),
            })
            .collect()
    }

    #[test]
    fn transform_row_is_bit_identical_to_transform() {
        let t = table();
        let p = spec().fit_table(&t).unwrap();
        // A new customer with an unseen industry and a missing size and revenue, too.
        let mut new = CustomerTable::new(vec!["N".into()]).unwrap();
        new.add_numeric("revenue", vec![f64::NAN]).unwrap();
        new.add_numeric("employees", vec![-3.0]).unwrap();
        new.add_numeric("country_code", vec![7.0]).unwrap();
        new.add_categorical("industry", &[Some("mining")]).unwrap();
        new.add_categorical("size", &[None]).unwrap();
        for table in [&t, &new] {
            let full = p.transform_table(table).unwrap();
            for row in 0..table.n_customers() {
                let mut out = vec![f64::NAN; p.n_features_out()];
                p.transform_row(&row_values(&p, table, row), &mut out)
                    .unwrap();
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&out),
                    bits(full.row(row).as_slice().unwrap()),
                    "row {row}"
                );
            }
        }
        // Bad input: the same error kinds as the batch path.
        let mut out = vec![0.0; p.n_features_out()];
        let mut values = row_values(&p, &t, 0);
        assert!(matches!(
            p.transform_row(&values[1..], &mut out),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            p.transform_row(&values, &mut out[1..]),
            Err(Error::ShapeMismatch { .. })
        ));
        let numeric = p
            .spec()
            .columns
            .iter()
            .position(|c| c.encoding == Encoding::Numeric)
            .unwrap();
        values[numeric] = RowValue::Number(f64::INFINITY);
        assert!(matches!(
            p.transform_row(&values, &mut out),
            Err(Error::NonFiniteValue { .. })
        ));
        values[numeric] = RowValue::Category(Some("x"));
        assert!(matches!(
            p.transform_row(&values, &mut out),
            Err(Error::ColumnType { .. })
        ));
        // Without imputation: missing values and classes outside the order are errors.
        let mut complete = CustomerTable::new(vec!["A".into(), "B".into()]).unwrap();
        complete.add_numeric("employees", vec![1.0, 2.0]).unwrap();
        complete
            .add_categorical("size", &[Some("S"), Some("L")])
            .unwrap();
        let strict = PipelineSpec::new(vec![
            ColumnSpec::numeric("employees"),
            ColumnSpec::ordinal("size", &["S", "M", "L"]),
        ])
        .fit_table(&complete)
        .unwrap();
        {
            let mut out = vec![0.0; strict.n_features_out()];
            let missing = [RowValue::Number(f64::NAN), RowValue::Category(Some("S"))];
            assert!(matches!(
                strict.transform_row(&missing, &mut out),
                Err(Error::NonFiniteValue { .. })
            ));
            let unknown = [RowValue::Number(1.0), RowValue::Category(Some("XL"))];
            assert!(matches!(
                strict.transform_row(&unknown, &mut out),
                Err(Error::UnknownCategory { .. })
            ));
        }
    }

    #[test]
    fn unseen_categories_are_never_an_error() {
        let t = table();
        let p = spec().fit_table(&t).unwrap();
        let mut new = CustomerTable::new(vec!["N1".into()]).unwrap();
        new.add_numeric("revenue", vec![1e6]).unwrap();
        new.add_numeric("employees", vec![5.0]).unwrap();
        new.add_numeric("country_code", vec![49.0]).unwrap();
        new.add_categorical("industry", &[Some("biotech")]).unwrap();
        new.add_categorical("size", &[Some("XL")]).unwrap();
        let (x, report) = p
            .transform_with_report(&FeatureInput::from_table(&new))
            .unwrap();
        let other = p
            .feature_names_out()
            .iter()
            .position(|n| *n == "industry_other")
            .unwrap();
        assert!(x[[0, other]] > 0.0);
        assert_eq!(
            report.unknown_categories,
            [("industry".to_string(), 1), ("size".to_string(), 1)]
        );
        // Without an imputer an ordinal column cannot place an unseen class: a clear error.
        let strict = PipelineSpec::new(vec![ColumnSpec::ordinal("size", &["S", "M", "L"])]);
        let mut complete = table();
        complete = {
            let mut c = CustomerTable::new(complete.ids().to_vec()).unwrap();
            c.add_categorical(
                "size",
                &[Some("S"), Some("M"), Some("L"), Some("S")].repeat(2),
            )
            .unwrap();
            c
        };
        let fitted = strict.fit_table(&complete).unwrap();
        let err = fitted.transform_table(&new).unwrap_err();
        assert!(
            matches!(&err, Error::UnknownCategory { column, value } if column == "size" && value == "XL"),
            "{err}"
        );
    }

    #[test]
    fn constant_columns_kept_as_zero() {
        let t = table();
        let p = spec()
            .constant_columns(ConstantColumns::KeepAsZero)
            .fit_table(&t)
            .unwrap();
        let names = p.feature_names_out();
        let j = names.iter().position(|n| *n == "country_code").unwrap();
        let x = p.transform_table(&t).unwrap();
        assert!(x.column(j).iter().all(|&v| v == 0.0));
        assert!(x.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let t = table();
        let unknown = PipelineSpec::new(vec![ColumnSpec::numeric("turnover")]);
        match unknown.fit_table(&t) {
            Err(Error::UnknownColumn { name, available }) => {
                assert_eq!(name, "turnover");
                assert!(available.contains("revenue, employees"), "{available}");
            }
            other => panic!("expected UnknownColumn, got {other:?}"),
        }
        let wrong_type = PipelineSpec::new(vec![ColumnSpec::numeric("industry")]);
        assert!(matches!(
            wrong_type.fit_table(&t),
            Err(Error::ColumnType { .. })
        ));
        let wrong_type = PipelineSpec::new(vec![ColumnSpec::one_hot("revenue")]);
        assert!(matches!(
            wrong_type.fit_table(&t),
            Err(Error::ColumnType { .. })
        ));
        let nan = PipelineSpec::new(vec![ColumnSpec::numeric("revenue")]);
        assert!(matches!(
            nan.fit_table(&t),
            Err(Error::NonFiniteValue { row: 2, .. })
        ));
        let mut empty = CustomerTable::new(vec!["a".into(), "b".into()]).unwrap();
        empty.add_numeric("x", vec![f64::NAN, f64::NAN]).unwrap();
        let all_missing = PipelineSpec::new(vec![ColumnSpec::numeric("x").impute(Impute::Median)]);
        assert!(matches!(
            all_missing.fit_table(&empty),
            Err(Error::EmptyInput { .. })
        ));
        // NaN at transform time without an imputer names the row.
        let p = PipelineSpec::new(vec![ColumnSpec::numeric("employees")])
            .fit_table(&t)
            .unwrap();
        let values = ndarray::array![[1.0], [f64::NAN]];
        let names = ["employees".to_string()];
        let input = FeatureInput::new(2)
            .with_matrix(&names, values.view())
            .unwrap();
        assert!(matches!(
            p.transform(&input),
            Err(Error::NonFiniteValue { row: 1, .. })
        ));
        let inf = ndarray::array![[1.0], [f64::INFINITY]];
        let input = FeatureInput::new(2)
            .with_matrix(&names, inf.view())
            .unwrap();
        assert!(matches!(
            p.transform(&input),
            Err(Error::NonFiniteValue { row: 1, .. })
        ));
    }

    #[test]
    fn extra_matrix_columns_join_the_table() {
        let t = table();
        let behaviour = ndarray::Array2::from_shape_fn((8, 2), |(i, j)| (i * (j + 1)) as f64);
        let names = ["frequency".to_string(), "monetary".to_string()];
        let input = FeatureInput::from_table(&t)
            .with_matrix(&names, behaviour.view())
            .unwrap();
        let spec = PipelineSpec::new(vec![
            ColumnSpec::numeric("frequency").group("behaviour"),
            ColumnSpec::numeric("monetary").log1p().group("behaviour"),
            ColumnSpec::one_hot("industry").group("industry"),
        ])
        .group_weight("behaviour", 2.0)
        .group_weight("industry", 1.0);
        let p = spec.fit(&input).unwrap();
        let x = p.transform(&input).unwrap();
        let var = |r: std::ops::Range<usize>| -> f64 {
            r.map(|j| population_variance(x.column(j))).sum()
        };
        assert!((var(0..2) - 2.0).abs() < 1e-12);
        assert!((var(2..x.ncols()) - 1.0).abs() < 1e-12);
        let clash_names = ["revenue".to_string()];
        let clash = FeatureInput::from_table(&t)
            .with_matrix(&clash_names, behaviour.slice(ndarray::s![.., ..1]));
        assert!(clash.is_err());
    }

    #[test]
    fn json_round_trip_versions_and_damage() {
        let t = table();
        let p = spec().fit_table(&t).unwrap();
        let json = p.to_json().unwrap();
        let back = FeaturePipeline::from_json(&json).unwrap();
        assert_eq!(back, p);
        assert_eq!(
            back.transform_table(&t).unwrap(),
            p.transform_table(&t).unwrap()
        );
        let newer = json.replace("\"format_version\":1", "\"format_version\":2");
        let err = FeaturePipeline::from_json(&newer).unwrap_err();
        assert!(err.to_string().contains("format_version"), "{err}");
        let damaged = json.replacen("\"block_column\":0", "\"block_column\":99", 1);
        assert!(matches!(
            FeaturePipeline::from_json(&damaged),
            Err(Error::ModelFormat { .. })
        ));
        let zero_scale = json.replacen("\"scale\":", "\"scale\":0.0,\"x\":", 1);
        assert!(FeaturePipeline::from_json(&zero_scale).is_err());
        assert!(FeaturePipeline::from_json("{\"format\": \"other\"}").is_err());
    }

    #[test]
    fn thread_count_never_changes_a_result() {
        let t = table();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| spec().fit_table(&t).unwrap().transform_table(&t).unwrap())
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<FeaturePipeline>();
        is::<FeatureInput<'static>>();
    }
}
