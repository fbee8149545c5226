//! The declarative column spec of a [`FeaturePipeline`](super::FeaturePipeline): which columns,
//! how each is encoded, which transforms, and how much each group of columns weighs.
//!
//! The spec is plain data (serde, flat JSON objects), so Python builds it from dicts and a saved
//! pipeline carries it unchanged.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// How a source column becomes numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// A numeric column, used as it is (then imputed, transformed, scaled as the spec says).
    #[default]
    Numeric,
    /// A categorical column as one 0/1 column per frequent category, plus `<column>_missing`
    /// when missing values were frequent at fit, plus `<column>_other` for rare categories
    /// (fewer rows than `min_frequency` at fit, missing values included) and for categories
    /// never seen at fit.
    OneHot,
    /// An ordered categorical column (company size classes) as the position of its value in
    /// the user's `order` (0, 1, 2...), then treated as a numeric column.
    Ordinal,
}

/// The serde name (`numeric`, `one_hot`, `ordinal`), as users write it in a spec.
impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Numeric => "numeric",
            Encoding::OneHot => "one_hot",
            Encoding::Ordinal => "ordinal",
        })
    }
}

/// Rare-category threshold of a one-hot column, as scikit-learn's `min_frequency`: a category
/// with fewer rows than this at fit is grouped into `<column>_other`.
///
/// In JSON an integer is a count and a real number a fraction of the rows (`5` vs `0.05`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MinFrequency {
    /// At least this many rows.
    Count(u64),
    /// At least this fraction of the rows, in `(0, 1]`.
    Fraction(f64),
}

impl Default for MinFrequency {
    fn default() -> Self {
        MinFrequency::Count(1)
    }
}

impl MinFrequency {
    /// The threshold in rows for `n_rows` rows: a category is frequent when its count >= this.
    pub(crate) fn threshold(self, n_rows: usize) -> f64 {
        match self {
            MinFrequency::Count(c) => c as f64,
            MinFrequency::Fraction(f) => f * n_rows as f64,
        }
    }
}

/// How missing values of a numeric or ordinal column are filled (computed on the observed
/// values after `log1p` and winsorizing, so the fill is in the same units as the column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impute {
    /// The median (mean of the two middle values for an even count), as scikit-learn's
    /// `SimpleImputer(strategy="median")`.
    Median,
    /// The most frequent value, the smallest one on ties, as `SimpleImputer(strategy="most_frequent")`.
    MostFrequent,
    /// The spec's `fill_value`.
    Constant,
}

/// Scaling of a numeric or ordinal column after imputation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// Leave the values as they are.
    None,
    /// Subtract the mean, divide by the (population) standard deviation.
    Standard,
    /// Subtract the median, divide by the spread between the percentiles of `quantile_range`
    /// (default 25-75: the interquartile range).
    Robust,
}

/// What happens to a column that is constant at fit (it carries no information).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstantColumns {
    /// Leave it out of the output (default).
    #[default]
    Drop,
    /// Keep it in the output, always 0, so the output schema is the spec's full schema.
    KeepAsZero,
}

/// One source column and what to do with it. Build with [`ColumnSpec::numeric`],
/// [`ColumnSpec::one_hot`] or [`ColumnSpec::ordinal`] and the builder methods.
///
/// Numeric (and ordinal) steps run in this order: encode (ordinal) -> `log1p` -> winsorize ->
/// impute -> scale. Statistics for each step are computed at fit on the values the step sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ColumnSpec {
    /// Name of the source column (in the customer table or the extra columns).
    pub column: String,
    /// How the column becomes numbers.
    pub encoding: Encoding,
    /// One-hot only: rare-category threshold (default: count 1, no grouping).
    pub min_frequency: Option<MinFrequency>,
    /// Ordinal only: the categories from lowest to highest.
    pub order: Option<Vec<String>>,
    /// Numeric/ordinal: how to fill missing values; `None`: a missing value is an error naming
    /// the column and row.
    pub impute: Option<Impute>,
    /// The value for [`Impute::Constant`].
    pub fill_value: Option<f64>,
    /// Numeric/ordinal: add a 0/1 column `<column>_missing` (needs `impute`).
    pub missing_indicator: bool,
    /// Numeric/ordinal: `ln(1 + max(x, 0))`, for skewed non-negative money and counts. Negative
    /// values (net revenue after returns) are floored at 0 and counted in the fit report.
    pub log1p: bool,
    /// Numeric/ordinal: clip to these quantiles of the observed values at fit, `0 <= low < high <= 1`.
    pub winsorize: Option<(f64, f64)>,
    /// Numeric/ordinal: scaling; `None` means [`Scaling::Standard`]. One-hot columns are never scaled.
    pub scaling: Option<Scaling>,
    /// Percentiles of [`Scaling::Robust`], default `(25, 75)`.
    pub quantile_range: Option<(f64, f64)>,
    /// Weight group of the column's outputs (declared in [`PipelineSpec::groups`]); `None`: the
    /// outputs keep their scale.
    pub group: Option<String>,
}

impl Default for ColumnSpec {
    fn default() -> Self {
        ColumnSpec {
            column: String::new(),
            encoding: Encoding::Numeric,
            min_frequency: None,
            order: None,
            impute: None,
            fill_value: None,
            missing_indicator: false,
            log1p: false,
            winsorize: None,
            scaling: None,
            quantile_range: None,
            group: None,
        }
    }
}

impl ColumnSpec {
    /// A numeric column, standard-scaled unless told otherwise.
    pub fn numeric(column: &str) -> Self {
        ColumnSpec {
            column: column.to_string(),
            ..ColumnSpec::default()
        }
    }

    /// A categorical column, one-hot encoded.
    pub fn one_hot(column: &str) -> Self {
        ColumnSpec {
            column: column.to_string(),
            encoding: Encoding::OneHot,
            ..ColumnSpec::default()
        }
    }

    /// An ordered categorical column encoded as the position in `order` (lowest first),
    /// standard-scaled unless told otherwise.
    pub fn ordinal(column: &str, order: &[&str]) -> Self {
        ColumnSpec {
            column: column.to_string(),
            encoding: Encoding::Ordinal,
            order: Some(order.iter().map(|s| s.to_string()).collect()),
            ..ColumnSpec::default()
        }
    }

    /// Sets the rare-category threshold (one-hot).
    pub fn min_frequency(mut self, min_frequency: MinFrequency) -> Self {
        self.min_frequency = Some(min_frequency);
        self
    }

    /// Fills missing values with the given strategy.
    pub fn impute(mut self, strategy: Impute) -> Self {
        self.impute = Some(strategy);
        self
    }

    /// Fills missing values with `value`.
    pub fn impute_constant(mut self, value: f64) -> Self {
        self.impute = Some(Impute::Constant);
        self.fill_value = Some(value);
        self
    }

    /// Adds the `<column>_missing` indicator.
    pub fn missing_indicator(mut self) -> Self {
        self.missing_indicator = true;
        self
    }

    /// Applies `ln(1 + max(x, 0))`.
    pub fn log1p(mut self) -> Self {
        self.log1p = true;
        self
    }

    /// Clips to the `low` and `high` quantiles (in `[0, 1]`) seen at fit.
    pub fn winsorize(mut self, low: f64, high: f64) -> Self {
        self.winsorize = Some((low, high));
        self
    }

    /// Sets the scaling.
    pub fn scaling(mut self, scaling: Scaling) -> Self {
        self.scaling = Some(scaling);
        self
    }

    /// Robust scaling between the given percentiles (`(25.0, 75.0)` is the interquartile range).
    pub fn robust_scaled(mut self, low_percentile: f64, high_percentile: f64) -> Self {
        self.scaling = Some(Scaling::Robust);
        self.quantile_range = Some((low_percentile, high_percentile));
        self
    }

    /// Puts the column's outputs in weight group `group`.
    pub fn group(mut self, group: &str) -> Self {
        self.group = Some(group.to_string());
        self
    }

    /// The scaling that applies (one-hot: none).
    pub(crate) fn effective_scaling(&self) -> Scaling {
        match self.encoding {
            Encoding::OneHot => Scaling::None,
            _ => self.scaling.unwrap_or(Scaling::Standard),
        }
    }

    /// Checks the spec of one column (data-independent).
    pub fn check(&self) -> Result<()> {
        let name = &self.column;
        if name.is_empty() {
            return Err(Error::invalid_parameter("column", "\"\"", "a column name"));
        }
        let numeric_only = |field: &'static str, set: bool| -> Result<()> {
            if set && self.encoding == Encoding::OneHot {
                return Err(Error::invalid_parameter(
                    field,
                    format!("set on one-hot column `{name}`"),
                    "numeric steps only on numeric and ordinal columns",
                ));
            }
            Ok(())
        };
        numeric_only("impute", self.impute.is_some())?;
        numeric_only("fill_value", self.fill_value.is_some())?;
        numeric_only("missing_indicator", self.missing_indicator)?;
        numeric_only("log1p", self.log1p)?;
        numeric_only("winsorize", self.winsorize.is_some())?;
        numeric_only("scaling", self.scaling.is_some())?;
        numeric_only("quantile_range", self.quantile_range.is_some())?;
        if self.encoding != Encoding::OneHot && self.min_frequency.is_some() {
            return Err(Error::invalid_parameter(
                "min_frequency",
                format!("set on {} column `{name}`", self.encoding),
                "min_frequency only on one-hot columns",
            ));
        }
        match (self.encoding, &self.order) {
            (Encoding::Ordinal, None) => {
                return Err(Error::invalid_parameter(
                    "order",
                    format!("missing for ordinal column `{name}`"),
                    "the categories from lowest to highest",
                ))
            }
            (Encoding::Ordinal, Some(order)) => {
                if order.is_empty() {
                    return Err(Error::invalid_parameter(
                        "order",
                        format!("[] for column `{name}`"),
                        "at least one category",
                    ));
                }
                let mut seen = HashSet::new();
                if let Some(dup) = order.iter().find(|c| !seen.insert(c.as_str())) {
                    return Err(Error::invalid_parameter(
                        "order",
                        format!("`{dup}` twice for column `{name}`"),
                        "distinct categories",
                    ));
                }
            }
            (_, Some(_)) => {
                return Err(Error::invalid_parameter(
                    "order",
                    format!("set on {} column `{name}`", self.encoding),
                    "order only on ordinal columns",
                ))
            }
            (_, None) => {}
        }
        if let Some(MinFrequency::Fraction(f)) = self.min_frequency {
            if !(f > 0.0 && f <= 1.0) {
                return Err(Error::invalid_parameter(
                    "min_frequency",
                    format!("{f} for column `{name}`"),
                    "an integer count >= 1 or a fraction in (0, 1]",
                ));
            }
        }
        match (self.impute, self.fill_value) {
            (Some(Impute::Constant), None) => {
                return Err(Error::invalid_parameter(
                    "fill_value",
                    format!("missing for column `{name}` with impute = constant"),
                    "a finite number",
                ))
            }
            (Some(Impute::Constant), Some(v)) if !v.is_finite() => {
                return Err(Error::invalid_parameter(
                    "fill_value",
                    format!("{v} for column `{name}`"),
                    "a finite number",
                ))
            }
            (Some(Impute::Constant), Some(_)) | (_, None) => {}
            (_, Some(v)) => {
                return Err(Error::invalid_parameter(
                    "fill_value",
                    format!("{v} for column `{name}`"),
                    "fill_value only with impute = constant",
                ))
            }
        }
        if self.missing_indicator && self.impute.is_none() {
            return Err(Error::invalid_parameter(
                "missing_indicator",
                format!("true for column `{name}` without impute"),
                "an impute strategy (without one a missing value is an error)",
            ));
        }
        if let Some((low, high)) = self.winsorize {
            if !(low.is_finite() && high.is_finite() && 0.0 <= low && low < high && high <= 1.0) {
                return Err(Error::invalid_parameter(
                    "winsorize",
                    format!("({low}, {high}) for column `{name}`"),
                    "two quantiles with 0 <= low < high <= 1",
                ));
            }
        }
        if let Some(range) = self.quantile_range {
            if self.effective_scaling() != Scaling::Robust {
                return Err(Error::invalid_parameter(
                    "quantile_range",
                    format!("set for column `{name}` without robust scaling"),
                    "quantile_range only with scaling = robust",
                ));
            }
            crate::preprocessing::RobustScalerParams {
                quantile_range: range,
                ..Default::default()
            }
            .check()?;
        }
        Ok(())
    }
}

/// The weight of a group of output columns.
///
/// Rule: after scaling, every output column of the group is multiplied by the same factor
/// `sqrt(weight / V)`, where `V` is the sum of the group's column variances at fit; the group
/// then has total variance `weight`. Thirty one-hot industry columns in a group of weight 1
/// count as much in a Euclidean distance as one standard-scaled feature, and four behaviour
/// features in a group of weight 4 count four times as much. A group whose columns are all
/// constant keeps factor 1 (reported).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupWeight {
    /// Group name, used by [`ColumnSpec::group`].
    pub name: String,
    /// Total variance of the group at fit; finite and > 0.
    pub weight: f64,
}

/// The whole spec: columns in output order, group weights and the constant-column policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineSpec {
    /// Source columns, in output order.
    pub columns: Vec<ColumnSpec>,
    /// Group weights; every group named by a column must be declared here.
    pub groups: Vec<GroupWeight>,
    /// What happens to columns that are constant at fit.
    pub constant_columns: ConstantColumns,
}

impl Default for PipelineSpec {
    fn default() -> Self {
        PipelineSpec {
            columns: Vec::new(),
            groups: Vec::new(),
            constant_columns: ConstantColumns::Drop,
        }
    }
}

impl PipelineSpec {
    /// A spec with these columns, no groups, constant columns dropped.
    pub fn new(columns: Vec<ColumnSpec>) -> Self {
        PipelineSpec {
            columns,
            ..PipelineSpec::default()
        }
    }

    /// Declares group `name` with total variance `weight`.
    pub fn group_weight(mut self, name: &str, weight: f64) -> Self {
        self.groups.push(GroupWeight {
            name: name.to_string(),
            weight,
        });
        self
    }

    /// Sets the constant-column policy.
    pub fn constant_columns(mut self, policy: ConstantColumns) -> Self {
        self.constant_columns = policy;
        self
    }

    /// Checks the spec without data: at least one column, each column once, every column
    /// spec valid, groups declared once with a finite positive weight, used and existing.
    pub fn check(&self) -> Result<()> {
        if self.columns.is_empty() {
            return Err(Error::invalid_parameter(
                "columns",
                "[]",
                "at least one column spec",
            ));
        }
        let mut seen = HashSet::new();
        for c in &self.columns {
            c.check()?;
            if !seen.insert(c.column.as_str()) {
                return Err(Error::invalid_parameter(
                    "columns",
                    format!("`{}` twice", c.column),
                    "each source column once",
                ));
            }
        }
        let mut groups = HashSet::new();
        for g in &self.groups {
            if !(g.weight.is_finite() && g.weight > 0.0) {
                return Err(Error::invalid_parameter(
                    "groups",
                    format!("weight {} for group `{}`", g.weight, g.name),
                    "a finite weight > 0",
                ));
            }
            if !groups.insert(g.name.as_str()) {
                return Err(Error::invalid_parameter(
                    "groups",
                    format!("`{}` twice", g.name),
                    "each group once",
                ));
            }
            if !self
                .columns
                .iter()
                .any(|c| c.group.as_deref() == Some(g.name.as_str()))
            {
                return Err(Error::invalid_parameter(
                    "groups",
                    format!("`{}` has no column", g.name),
                    "every declared group used by at least one column",
                ));
            }
        }
        for c in &self.columns {
            if let Some(g) = &c.group {
                if !groups.contains(g.as_str()) {
                    return Err(Error::invalid_parameter(
                        "group",
                        format!("`{g}` for column `{}`", c.column),
                        format!(
                            "a group declared in groups ({})",
                            self.groups
                                .iter()
                                .map(|g| g.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param_name(err: Error) -> &'static str {
        match err {
            Error::InvalidParameter { name, .. } => name,
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }

    #[test]
    fn bad_specs_name_the_parameter() {
        let cases: Vec<(ColumnSpec, &str)> = vec![
            (ColumnSpec::one_hot("industry").log1p(), "log1p"),
            (
                ColumnSpec::numeric("x").min_frequency(MinFrequency::Count(3)),
                "min_frequency",
            ),
            (
                ColumnSpec::one_hot("x").min_frequency(MinFrequency::Fraction(1.5)),
                "min_frequency",
            ),
            (ColumnSpec::ordinal("size", &[]), "order"),
            (ColumnSpec::ordinal("size", &["S", "S"]), "order"),
            (
                ColumnSpec::numeric("x").missing_indicator(),
                "missing_indicator",
            ),
            (ColumnSpec::numeric("x").winsorize(0.9, 0.1), "winsorize"),
            (
                ColumnSpec::numeric("x").impute_constant(f64::NAN),
                "fill_value",
            ),
            (
                ColumnSpec::numeric("x").robust_scaled(80.0, 20.0),
                "quantile_range",
            ),
            (ColumnSpec::numeric(""), "column"),
        ];
        for (spec, expected) in cases {
            assert_eq!(param_name(spec.check().unwrap_err()), expected, "{spec:?}");
        }
        let twice = PipelineSpec::new(vec![ColumnSpec::numeric("x"), ColumnSpec::numeric("x")]);
        assert_eq!(param_name(twice.check().unwrap_err()), "columns");
        let undeclared = PipelineSpec::new(vec![ColumnSpec::numeric("x").group("money")]);
        assert_eq!(param_name(undeclared.check().unwrap_err()), "group");
        let unused = PipelineSpec::new(vec![ColumnSpec::numeric("x")]).group_weight("g", 1.0);
        assert_eq!(param_name(unused.check().unwrap_err()), "groups");
        let zero =
            PipelineSpec::new(vec![ColumnSpec::numeric("x").group("g")]).group_weight("g", 0.0);
        assert_eq!(param_name(zero.check().unwrap_err()), "groups");
        assert_eq!(
            param_name(PipelineSpec::default().check().unwrap_err()),
            "columns"
        );
    }

    #[test]
    fn flat_json_round_trip_and_unknown_fields() {
        let spec = PipelineSpec::new(vec![
            ColumnSpec::numeric("revenue")
                .log1p()
                .impute(Impute::Median)
                .missing_indicator(),
            ColumnSpec::one_hot("industry")
                .min_frequency(MinFrequency::Count(5))
                .group("firmographics"),
            ColumnSpec::ordinal("size", &["S", "M", "L"]),
        ])
        .group_weight("firmographics", 1.0);
        spec.check().unwrap();
        let json = serde_json::to_string(&spec).unwrap();
        let back: PipelineSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec);
        let from_python: PipelineSpec = serde_json::from_str(
            r#"{"columns": [{"column": "industry", "encoding": "one_hot", "min_frequency": 0.05},
                            {"column": "x", "scaling": "robust", "impute": "most_frequent"}]}"#,
        )
        .unwrap();
        assert_eq!(
            from_python.columns[0].min_frequency,
            Some(MinFrequency::Fraction(0.05))
        );
        assert_eq!(from_python.columns[1].effective_scaling(), Scaling::Robust);
        let typo = serde_json::from_str::<PipelineSpec>(r#"{"columns": [{"colum": "x"}]}"#);
        assert!(typo.unwrap_err().to_string().contains("colum"));
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<PipelineSpec>();
        is::<ColumnSpec>();
    }
}
