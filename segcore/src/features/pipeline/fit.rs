//! Fitting: [`PipelineSpec::fit`] learns every statistic (categories, quantiles, fills, scales,
//! group factors) column by column, in parallel, collected in spec order. Each column's fit and
//! each phase (column statistics, the fitted blocks, the output columns) start with a
//! cancellation check ([`crate::cancel`]); a cancelled fit returns no pipeline.

use super::*;

impl PipelineSpec {
    /// Fits the pipeline on `input`: checks the spec, then the columns (unknown names, types,
    /// infinities, all-missing columns, missing values without imputation), then learns every
    /// statistic.
    pub fn fit(&self, input: &FeatureInput<'_>) -> Result<FeaturePipeline> {
        self.check()?;
        if input.n_rows() == 0 {
            return Err(Error::EmptyInput {
                what: "the feature input has 0 customers".into(),
            });
        }
        let sources = self
            .columns
            .iter()
            .map(|c| input.source(c))
            .collect::<Result<Vec<_>>>()?;
        let mut report = FitReport {
            n_rows: input.n_rows(),
            ..FitReport::default()
        };
        // Columns are independent: fit them in parallel, collected in spec order.
        let flag = crate::cancel::current();
        let fits = self
            .columns
            .par_iter()
            .zip(sources.par_iter())
            .map(|(spec, source)| {
                crate::cancel::check_carried(flag.as_ref())?;
                fit_column(spec, *source)
            })
            .collect::<Result<Vec<_>>>()?;
        crate::cancel::check()?;
        let mut fitted = Vec::with_capacity(fits.len());
        let mut column_stats = Vec::with_capacity(fits.len());
        for (spec, (column, stats)) in self.columns.iter().zip(fits) {
            if stats.n_missing > 0 && spec.impute.is_some() {
                report.imputed.push((spec.column.clone(), stats.n_missing));
            }
            if stats.n_floored > 0 {
                report
                    .log1p_floored
                    .push((spec.column.clone(), stats.n_floored));
            }
            if stats.zero_spread {
                report.zero_spread_columns.push(spec.column.clone());
            }
            if let FittedColumn::OneHot(enc) = &column {
                if !enc.infrequent.is_empty() {
                    report
                        .infrequent_categories
                        .push((spec.column.clone(), enc.infrequent.clone()));
                }
            }
            fitted.push(column);
            column_stats.push(stats);
        }
        let mut pipeline = FeaturePipeline {
            spec: self.clone(),
            fitted,
            outputs: Vec::new(),
            report,
        };
        // The blocks at fit come from the very code transform uses, so fit and transform agree.
        let (blocks, _) = pipeline.blocks(&sources)?;
        crate::cancel::check()?;
        let mut candidates: Vec<(OutputColumn, bool, f64)> = Vec::new();
        for (source, (block, stats)) in blocks.iter().zip(&column_stats).enumerate() {
            let names = pipeline.block_names(source);
            let other = match &pipeline.fitted[source] {
                FittedColumn::OneHot(enc) => Some(enc.other_index()),
                _ => None,
            };
            for (j, (name, column)) in names.into_iter().zip(block.axis_iter(Axis(1))).enumerate() {
                let constant = if j == 0 && other.is_none() {
                    stats.constant
                } else {
                    Some(j) != other && is_constant(column)
                };
                candidates.push((
                    OutputColumn {
                        name,
                        source,
                        block_column: j,
                        factor: 1.0,
                        zero: false,
                    },
                    constant,
                    population_variance(column),
                ));
            }
        }
        for group in &self.groups {
            let members = |c: &&(OutputColumn, bool, f64)| {
                self.columns[c.0.source].group.as_deref() == Some(group.name.as_str()) && !c.1
            };
            let variance: f64 = candidates.iter().filter(members).map(|c| c.2).sum();
            // A group with no variance cannot be brought to its weight: factor 1, reported.
            let factor = if variance > 0.0 {
                (group.weight / variance).sqrt()
            } else {
                1.0
            };
            pipeline
                .report
                .groups
                .push((group.name.clone(), variance, factor));
            for c in candidates.iter_mut() {
                if self.columns[c.0.source].group.as_deref() == Some(group.name.as_str()) {
                    c.0.factor = factor;
                }
            }
        }
        let mut seen = HashSet::new();
        for (mut output, constant, _) in candidates {
            if !seen.insert(output.name.clone()) {
                return Err(Error::invalid_parameter(
                    "columns",
                    format!("output column `{}` produced twice", output.name),
                    "distinct output names (rename a category or column)",
                ));
            }
            if constant {
                pipeline.report.constant_columns.push(output.name.clone());
                match self.constant_columns {
                    ConstantColumns::Drop => continue,
                    ConstantColumns::KeepAsZero => output.zero = true,
                }
            }
            pipeline.outputs.push(output);
        }
        Ok(pipeline)
    }

    /// [`fit`](Self::fit) on all columns of `table`.
    pub fn fit_table(&self, table: &CustomerTable) -> Result<FeaturePipeline> {
        self.fit(&FeatureInput::from_table(table))
    }
}

struct ColumnStats {
    n_missing: usize,
    n_floored: usize,
    constant: bool,
    zero_spread: bool,
}

fn fit_column(spec: &ColumnSpec, source: ColumnRef<'_>) -> Result<(FittedColumn, ColumnStats)> {
    let numeric = |values: ArrayView1<f64>| -> Result<(NumericTransform, ColumnStats)> {
        let (t, s) = NumericTransform::fit(spec, values)?;
        Ok((
            t,
            ColumnStats {
                n_missing: s.n_missing,
                n_floored: s.n_floored,
                constant: s.constant,
                zero_spread: s.zero_spread,
            },
        ))
    };
    match (spec.encoding, source) {
        (Encoding::Numeric, ColumnRef::Numeric(values)) => {
            let (t, stats) = numeric(values)?;
            Ok((FittedColumn::Numeric(t), stats))
        }
        (Encoding::Ordinal, ColumnRef::Categorical(values)) => {
            let order = spec
                .order
                .as_deref()
                .expect("ColumnSpec::check guarantees an order for ordinal columns");
            let encoder = OrdinalEncoder::fit(&spec.column, values, order)?;
            let (positions, _) = encoder.encode(values);
            let (t, stats) = numeric(ArrayView1::from(&positions))?;
            Ok((
                FittedColumn::Ordinal {
                    encoder,
                    numeric: t,
                },
                stats,
            ))
        }
        (Encoding::OneHot, ColumnRef::Categorical(values)) => {
            let encoder =
                OneHotEncoder::fit(&spec.column, values, spec.min_frequency.unwrap_or_default())?;
            let stats = ColumnStats {
                n_missing: values.n_missing(),
                n_floored: 0,
                constant: false,
                zero_spread: false,
            };
            Ok((FittedColumn::OneHot(encoder), stats))
        }
        _ => unreachable!("FeatureInput::source checked the column type against the encoding"),
    }
}

fn is_constant(column: ArrayView1<f64>) -> bool {
    column.iter().all(|&v| v == column[0])
}

pub(super) fn population_variance(column: ArrayView1<f64>) -> f64 {
    let n = column.len() as f64;
    let mean = column.sum() / n;
    column.iter().map(|&v| (v - mean) * (v - mean)).sum::<f64>() / n
}
