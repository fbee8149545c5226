//! The single-row transform, the service path: one customer straight through the fitted
//! statistics, with the same arithmetic as the batch plan (bit-identical, tested).

use super::*;

impl FeaturePipeline {
    /// One customer: `values` in [`spec`](Self::spec) column order, written into `out`
    /// (length [`n_features_out`](Self::n_features_out)). Bit-identical to that customer's row of
    /// [`transform`](Self::transform), with the same errors (reported as row 0), but without
    /// building columns: the service path (`Segmenter::predict_record`), where assembling a
    /// one-row table cost more than the clustering model (`benches/predict.rs`).
    ///
    /// ```
    /// use segcore::data::CustomerTable;
    /// use segcore::features::pipeline::{ColumnSpec, Impute, PipelineSpec, RowValue};
    /// let mut table = CustomerTable::new(vec!["A".into(), "B".into(), "C".into()])?;
    /// table.add_numeric("revenue", vec![1.0, 5.0, f64::NAN])?;
    /// table.add_categorical("industry", &[Some("food"), Some("auto"), Some("food")])?;
    /// let pipeline = PipelineSpec::new(vec![
    ///     ColumnSpec::numeric("revenue").impute(Impute::Median),
    ///     ColumnSpec::one_hot("industry"),
    /// ])
    /// .fit_table(&table)?;
    /// let mut row = vec![0.0; pipeline.n_features_out()];
    /// pipeline.transform_row(&[RowValue::Number(f64::NAN), RowValue::Category(Some("food"))], &mut row)?;
    /// assert_eq!(row.as_slice(), pipeline.transform_table(&table)?.row(2).as_slice().unwrap());
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn transform_row(&self, values: &[RowValue<'_>], out: &mut [f64]) -> Result<()> {
        let n_sources = self.spec.columns.len();
        if values.len() != n_sources {
            return Err(Error::ShapeMismatch {
                what: "values of one customer (one per spec column)".into(),
                expected: n_sources,
                got: values.len(),
            });
        }
        if out.len() != self.outputs.len() {
            return Err(Error::ShapeMismatch {
                what: "output row of transform_row".into(),
                expected: self.outputs.len(),
                got: out.len(),
            });
        }
        // Per source, the block column that is hot (one-hot) or the value before its transform
        // (numeric, ordinal position): what the batch plan computes per row.
        let mut hot: Vec<usize> = vec![usize::MAX; n_sources];
        let mut raw: Vec<f64> = vec![f64::NAN; n_sources];
        for (i, ((spec, fitted), value)) in self
            .spec
            .columns
            .iter()
            .zip(&self.fitted)
            .zip(values)
            .enumerate()
        {
            let name = &spec.column;
            match (fitted, *value) {
                (FittedColumn::Numeric(t), RowValue::Number(v)) => {
                    if v.is_infinite() {
                        return Err(Error::NonFiniteValue {
                            what: format!("column `{name}`"),
                            row: 0,
                            column: 0,
                            value: v,
                        });
                    }
                    if v.is_nan() && t.fill.is_none() {
                        return Err(missing_without_impute(name, 0));
                    }
                    raw[i] = v;
                }
                (FittedColumn::OneHot(enc), RowValue::Category(category)) => {
                    hot[i] = match category {
                        None if enc.missing_column => enc.categories.len(),
                        None => enc.other_index(),
                        Some(c) => enc
                            .categories
                            .iter()
                            .position(|known| known == c)
                            .unwrap_or_else(|| enc.other_index()),
                    };
                }
                (FittedColumn::Ordinal { encoder, numeric }, RowValue::Category(category)) => {
                    let position =
                        category.and_then(|c| encoder.order.iter().position(|known| known == c));
                    if let (Some(c), None, None) = (category, position, numeric.fill) {
                        return Err(Error::UnknownCategory {
                            column: name.clone(),
                            value: c.to_string(),
                        });
                    }
                    let v = position.map_or(f64::NAN, |p| p as f64);
                    if v.is_nan() && numeric.fill.is_none() {
                        return Err(missing_without_impute(name, 0));
                    }
                    raw[i] = v;
                }
                (_, value) => {
                    let expected = match spec.encoding {
                        Encoding::Numeric => "numeric",
                        Encoding::OneHot | Encoding::Ordinal => "categorical",
                    };
                    let actual = match value {
                        RowValue::Number(_) => "numeric",
                        RowValue::Category(_) => "categorical",
                    };
                    return Err(Error::ColumnType {
                        name: name.clone(),
                        expected: format!("{expected} (spec encoding {:?})", spec.encoding),
                        actual: actual.into(),
                    });
                }
            }
        }
        for (o, output) in out.iter_mut().zip(&self.outputs) {
            let i = output.source;
            *o = if output.zero {
                0.0
            } else {
                match &self.fitted[i] {
                    FittedColumn::OneHot(_) => {
                        if hot[i] == output.block_column {
                            output.factor
                        } else {
                            0.0
                        }
                    }
                    FittedColumn::Numeric(t) | FittedColumn::Ordinal { numeric: t, .. } => {
                        let v = raw[i];
                        match output.block_column {
                            // Same expression as ColumnPlan::write, so the bits match.
                            0 => t.apply(v).unwrap_or(f64::NAN) * output.factor,
                            _ if v.is_nan() => output.factor,
                            _ => 0.0,
                        }
                    }
                }
            };
        }
        Ok(())
    }
}
