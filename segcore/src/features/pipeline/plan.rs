//! The batch plan: each source column prepared once (category lookups, errors before any work),
//! then written chunk by chunk of fixed size, so results never depend on the thread count.

use super::*;

/// Rows per parallel task of [`FeaturePipeline::transform_with_report`]: fixed, so results
/// never depend on the thread count; 4096 rows x ~20 outputs stay in L2.
pub(super) const TRANSFORM_ROWS_PER_TASK: usize = 4096;

/// One source column ready to write its outputs for any chunk of rows: lookups per distinct
/// category done once, errors (missing without imputation, unknown ordinal classes) raised
/// before any work, naming the first offending row.
pub(super) struct ColumnPlan<'f, 's> {
    kind: PlanKind<'f, 's>,
    /// Block column -> `(output column, factor)`.
    targets: Vec<Option<(usize, f64)>>,
}

enum PlanKind<'f, 's> {
    OneHot {
        codes: &'s [u32],
        slots: Vec<encoding::Slot>,
        missing: encoding::Slot,
    },
    /// Numeric values (`positions` = None) or ordinal codes mapped through `positions`.
    Numeric {
        values: NumericSource<'s>,
        transform: &'f NumericTransform,
    },
}

enum NumericSource<'a> {
    Values(ArrayView1<'a, f64>),
    Ordinal {
        codes: &'a [u32],
        positions: Vec<Option<f64>>,
    },
}

impl NumericSource<'_> {
    #[inline]
    fn get(&self, row: usize) -> f64 {
        match self {
            NumericSource::Values(v) => v[row],
            NumericSource::Ordinal { codes, positions } => positions
                .get(codes[row] as usize)
                .copied()
                .flatten()
                .unwrap_or(f64::NAN),
        }
    }

    /// An ordinal class outside the fitted order (not a missing value).
    #[inline]
    fn is_unknown(&self, row: usize) -> bool {
        match self {
            NumericSource::Values(_) => false,
            NumericSource::Ordinal { codes, positions } => {
                codes[row] != CategoricalColumn::MISSING
                    && positions
                        .get(codes[row] as usize)
                        .copied()
                        .flatten()
                        .is_none()
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            NumericSource::Values(v) => v.len(),
            NumericSource::Ordinal { codes, .. } => codes.len(),
        }
    }
}

impl<'f, 's> ColumnPlan<'f, 's> {
    pub(super) fn new(
        spec: &ColumnSpec,
        fitted: &'f FittedColumn,
        source: ColumnRef<'s>,
        targets: Vec<Option<(usize, f64)>>,
    ) -> Result<ColumnPlan<'f, 's>> {
        let name = &spec.column;
        let kind = match (fitted, source) {
            (FittedColumn::OneHot(enc), ColumnRef::Categorical(values)) => {
                let (slots, missing) = enc.slots(values);
                PlanKind::OneHot {
                    codes: &values.codes,
                    slots,
                    missing,
                }
            }
            (FittedColumn::Numeric(t), ColumnRef::Numeric(values)) => PlanKind::Numeric {
                values: NumericSource::Values(values),
                transform: t,
            },
            (FittedColumn::Ordinal { encoder, numeric }, ColumnRef::Categorical(values)) => {
                let positions = encoder.positions(values);
                if numeric.fill.is_none() {
                    let unknown = values.codes.iter().position(|&c| {
                        c != CategoricalColumn::MISSING && positions[c as usize].is_none()
                    });
                    if let Some(row) = unknown {
                        return Err(Error::UnknownCategory {
                            column: name.clone(),
                            value: values.get(row).unwrap_or_default().to_string(),
                        });
                    }
                }
                PlanKind::Numeric {
                    values: NumericSource::Ordinal {
                        codes: &values.codes,
                        positions,
                    },
                    transform: numeric,
                }
            }
            _ => unreachable!("FeatureInput::source checked the column type against the encoding"),
        };
        if let PlanKind::Numeric { values, transform } = &kind {
            if transform.fill.is_none() {
                if let Some(row) = (0..values.len()).find(|&r| values.get(r).is_nan()) {
                    return Err(missing_without_impute(name, row));
                }
            }
        }
        Ok(ColumnPlan { kind, targets })
    }

    /// Writes this source's outputs for rows `first_row..` into `chunk` (zero-filled); returns
    /// `(unknown categories, imputed values)` in the chunk.
    pub(super) fn write(
        &self,
        first_row: usize,
        mut chunk: ArrayViewMut2<'_, f64>,
    ) -> (usize, usize) {
        let (mut n_unknown, mut n_imputed) = (0, 0);
        match &self.kind {
            PlanKind::OneHot {
                codes,
                slots,
                missing,
            } => {
                for (i, mut out) in chunk.rows_mut().into_iter().enumerate() {
                    let code = codes[first_row + i];
                    let j = match slots.get(code as usize).copied().unwrap_or(*missing) {
                        encoding::Slot::Column(j) => j,
                        encoding::Slot::Unknown(j) => {
                            n_unknown += 1;
                            j
                        }
                    };
                    if let Some((target, factor)) = self.targets[j] {
                        out[target] = factor;
                    }
                }
            }
            PlanKind::Numeric { values, transform } => {
                let value_target = self.targets[0];
                let indicator_target = self.targets.get(1).copied().flatten();
                for (i, mut out) in chunk.rows_mut().into_iter().enumerate() {
                    let v = values.get(first_row + i);
                    if let Some((target, factor)) = value_target {
                        // `new` checked that a missing value has a fill when there is none.
                        out[target] = transform.apply(v).unwrap_or(f64::NAN) * factor;
                    }
                    if v.is_nan() {
                        n_imputed += 1;
                        n_unknown += usize::from(values.is_unknown(first_row + i));
                        if let Some((target, factor)) = indicator_target {
                            out[target] = factor;
                        }
                    }
                }
            }
        }
        (n_unknown, n_imputed)
    }
}

/// One source's block of outputs, the count of unseen categories and of imputed values.
pub(super) fn transform_column(
    spec: &ColumnSpec,
    fitted: &FittedColumn,
    source: ColumnRef<'_>,
) -> Result<(Array2<f64>, usize, usize)> {
    let name = &spec.column;
    match (fitted, source) {
        (FittedColumn::OneHot(enc), ColumnRef::Categorical(values)) => {
            let mut block = Array2::zeros((values.len(), enc.n_outputs()));
            let n_unknown = enc.encode(values, block.view_mut());
            Ok((block, n_unknown, 0))
        }
        (FittedColumn::Numeric(t), ColumnRef::Numeric(values)) => {
            let (block, n_imputed) = numeric_block(name, t, spec.missing_indicator, values)?;
            Ok((block, 0, n_imputed))
        }
        (FittedColumn::Ordinal { encoder, numeric }, ColumnRef::Categorical(values)) => {
            let (positions, unknown) = encoder.encode(values);
            if let (Some((row, _)), None) = (unknown, numeric.fill) {
                return Err(Error::UnknownCategory {
                    column: name.clone(),
                    value: values.get(row).unwrap_or_default().to_string(),
                });
            }
            let (block, n_imputed) = numeric_block(
                name,
                numeric,
                spec.missing_indicator,
                ArrayView1::from(&positions),
            )?;
            Ok((block, unknown.map_or(0, |(_, n)| n), n_imputed))
        }
        _ => unreachable!("FeatureInput::source checked the column type against the encoding"),
    }
}

fn numeric_block(
    name: &str,
    t: &NumericTransform,
    indicator: bool,
    values: ArrayView1<f64>,
) -> Result<(Array2<f64>, usize)> {
    let mut block = Array2::zeros((values.len(), 1 + usize::from(indicator)));
    let mut n_imputed = 0;
    for (row, (&v, mut out)) in values.iter().zip(block.rows_mut()).enumerate() {
        out[0] = t
            .apply(v)
            .ok_or_else(|| missing_without_impute(name, row))?;
        if v.is_nan() {
            n_imputed += 1;
            if indicator {
                out[1] = 1.0;
            }
        }
    }
    Ok((block, n_imputed))
}
