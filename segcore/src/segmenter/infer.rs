//! [`infer_spec`]: a sensible column spec from the column types, and a readable display of a spec.

use crate::data::{ColumnData, CustomerTable};
use crate::features::pipeline::{
    ColumnSpec, ConstantColumns, Encoding, Impute, MinFrequency, PipelineSpec, Scaling,
};
use crate::profile::names::Role;
use std::fmt;

/// A category rarer than this share of customers goes to `<column>_other`.
pub const RARE_CATEGORY_SHARE: f64 = 0.02;
/// Total variance of each categorical column's group of one-hot columns: a whole categorical
/// column counts like half of one standard-scaled numeric feature, so twenty industry columns
/// cannot outweigh the behaviour features.
pub const CATEGORICAL_GROUP_WEIGHT: f64 = 0.5;
/// A categorical column with more distinct values than this (and more than half as many as
/// customers) is taken for an identifier and left out.
const MAX_CATEGORIES: usize = 100;
/// Sample skewness above which a non-negative numeric column is log1p-transformed.
const SKEWED: f64 = 1.0;

/// Whether a column name says it identifies something rather than describing it.
fn id_like_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "id"
        || ["_id", "_key", "_uuid", "_nr", "_number", "_no"]
            .iter()
            .any(|suffix| lower.ends_with(suffix))
        || lower.starts_with("id_")
}

fn skewness(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let m2 = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m3 = values.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
    if m2 > 0.0 {
        m3 / m2.powf(1.5)
    } else {
        0.0
    }
}

/// Largest share of negative values (returns exceeding purchases, credit notes) a skewed net
/// revenue column may have and still be log-transformed; `log1p` floors them at 0 and the
/// pipeline report counts them.
const MAX_NEGATIVE_SHARE_FOR_LOG: f64 = 0.05;

/// Whether the shape of a column's values asks for `log1p`: right-skewed (skewness > 1), more
/// than two distinct values (a 0/1 flag is a flag, never logged, however rare its 1s), and no
/// negative values, except in a net revenue total (`monetary`, `revenue`, `umsatz`, ...: the
/// names the profile reads as value), where up to 5 % of customers may be below zero after
/// returns (UCI Online Retail: net revenue is money, skewed, and negative for a few customers).
/// Other signed columns (revenue windows, trends) keep their scale: flooring them changes the
/// segments they draw (synthetic B2B base: k 5 -> 6 when the revenue windows were logged).
fn log_transform(name: &str, finite: &[f64]) -> bool {
    let mut distinct = finite.iter().copied().take(1).collect::<Vec<f64>>();
    for &v in finite {
        if !distinct.contains(&v) {
            distinct.push(v);
            if distinct.len() > 2 {
                break;
            }
        }
    }
    if distinct.len() <= 2 {
        return false;
    }
    let negative = finite.iter().filter(|&&v| v < 0.0).count();
    let allowed = if Role::of(name, None, None) == Some(Role::Value) {
        MAX_NEGATIVE_SHARE_FOR_LOG * finite.len() as f64
    } else {
        0.0
    };
    (negative as f64) <= allowed && skewness(finite) > SKEWED
}

/// The spec of one numeric column, or `None` when it should not be a clustering feature.
fn numeric_spec(name: &str, values: &[f64]) -> Option<ColumnSpec> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    // Distinct integers filling a whole range (1, 2, ..., n in any order) on every row look
    // like a running number, not a measurement.
    let integral = finite.iter().all(|v| v.fract() == 0.0);
    if integral && finite.len() == values.len() && values.len() > 20 {
        let mut sorted = finite.clone();
        sorted.sort_by(f64::total_cmp);
        sorted.dedup();
        let span = sorted[sorted.len() - 1] - sorted[0];
        if sorted.len() == finite.len() && span == (finite.len() - 1) as f64 {
            return None;
        }
    }
    let mut spec = ColumnSpec::numeric(name).impute(Impute::Median);
    if log_transform(name, &finite) {
        spec = spec.log1p();
    }
    Some(spec)
}

/// A column spec inferred from the column types of `table` (ids are the table's row keys and
/// never a feature):
///
/// - numeric columns: median imputation; `log1p` for right-skewed columns (skewness > 1: money
///   and counts) without negative values (a net revenue total may have up to 5 %, returns
///   exceeding purchases; floored at 0) and with more than two distinct values (0/1 flags are
///   never logged); standard scaling. Columns that look like identifiers (names such as
///   `id`, `*_id`, `*_key`, `*_nr`, or distinct integers filling a range on every row) and all-missing columns
///   are left out. Constant columns are dropped by the pipeline, which reports them.
/// - categorical columns: one-hot, categories rarer than 2 % grouped into `<column>_other`; each
///   column its own group of total variance 0.5 (`CATEGORICAL_GROUP_WEIGHT`), so firmographic
///   one-hots do not outweigh behaviour. Columns with fewer than 2 categories or identifier-like
///   (more than 100 distinct values and more than half of the rows, or an id-like name) are left
///   out.
///
/// The result prints readably (`{spec}`, see the `Display` impl of [`PipelineSpec`]) and as
/// JSON, so users can see, edit and pass it back with
/// [`SegmenterParams::spec`](super::SegmenterParams::spec).
///
/// ```
/// use segcore::data::CustomerTable;
/// use segcore::segmenter::infer_spec;
///
/// let mut table = CustomerTable::new((0..6).map(|i| format!("C{i}")).collect())?;
/// table.add_numeric("monetary", vec![10.0, 20.0, 15.0, 12.0, 9000.0, 11.0])?;
/// table.add_numeric("customer_id", vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?;
/// table.add_categorical("industry", &[Some("food"), Some("auto"), Some("food"),
///                                     Some("auto"), Some("food"), None])?;
/// let spec = infer_spec(&table);
/// let names: Vec<&str> = spec.columns.iter().map(|c| c.column.as_str()).collect();
/// assert_eq!(names, ["monetary", "industry"]);
/// assert!(spec.columns[0].log1p);
/// println!("{spec}");
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn infer_spec(table: &CustomerTable) -> PipelineSpec {
    let n = table.n_customers();
    let mut columns = Vec::new();
    let mut groups = Vec::new();
    for column in table.columns() {
        if id_like_name(&column.name) {
            continue;
        }
        match &column.data {
            ColumnData::Numeric(values) => columns.extend(numeric_spec(&column.name, values)),
            ColumnData::Categorical(values) => {
                let mut used = vec![false; values.n_categories()];
                for &code in &values.codes {
                    if let Some(u) = used.get_mut(code as usize) {
                        *u = true;
                    }
                }
                let distinct = used.iter().filter(|&&u| u).count();
                if distinct < 2 || (distinct > MAX_CATEGORIES && 2 * distinct > n) {
                    continue;
                }
                columns.push(
                    ColumnSpec::one_hot(&column.name)
                        .min_frequency(MinFrequency::Fraction(RARE_CATEGORY_SHARE))
                        .group(&column.name),
                );
                groups.push(column.name.clone());
            }
        }
    }
    let mut spec = PipelineSpec::new(columns).constant_columns(ConstantColumns::Drop);
    for g in groups {
        spec = spec.group_weight(&g, CATEGORICAL_GROUP_WEIGHT);
    }
    spec
}

/// One line per column: name, encoding and steps, then the group weights.
impl fmt::Display for PipelineSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .columns
            .iter()
            .map(|c| c.column.len())
            .max()
            .unwrap_or(0);
        for c in &self.columns {
            let mut steps: Vec<String> = Vec::new();
            match c.encoding {
                Encoding::Numeric => steps.push("numeric".into()),
                Encoding::Ordinal => steps.push(format!(
                    "ordinal [{}]",
                    c.order.as_deref().unwrap_or_default().join(" < ")
                )),
                Encoding::OneHot => steps.push("one-hot".into()),
            }
            match c.min_frequency {
                Some(MinFrequency::Count(k)) => {
                    steps.push(format!("rare (< {k} customers) -> other"))
                }
                Some(MinFrequency::Fraction(s)) => {
                    steps.push(format!("rare (< {:.1} %) -> other", 100.0 * s))
                }
                None => {}
            }
            match (c.impute, c.fill_value) {
                (Some(Impute::Median), _) => steps.push("impute median".into()),
                (Some(Impute::MostFrequent), _) => steps.push("impute most frequent".into()),
                (Some(Impute::Constant), v) => {
                    steps.push(format!("impute {}", v.unwrap_or(f64::NAN)))
                }
                (None, _) if c.encoding != Encoding::OneHot => {
                    steps.push("missing = not assignable".into())
                }
                (None, _) => {}
            }
            if c.missing_indicator {
                steps.push("missing indicator".into());
            }
            if c.log1p {
                steps.push("log1p".into());
            }
            if let Some((low, high)) = c.winsorize {
                steps.push(format!("winsorize [{low}, {high}]"));
            }
            if c.encoding != Encoding::OneHot {
                steps.push(
                    match c.scaling.unwrap_or(Scaling::Standard) {
                        Scaling::None => "not scaled",
                        Scaling::Standard => "standard scaled",
                        Scaling::Robust => "robust scaled",
                    }
                    .into(),
                );
            }
            if let Some(g) = &c.group {
                steps.push(format!("group {g}"));
            }
            writeln!(f, "  {:<width$}  {}", c.column, steps.join(", "))?;
        }
        for g in &self.groups {
            writeln!(f, "  group {}: total variance {}", g.name, g.weight)?;
        }
        write!(
            f,
            "  constant columns: {}",
            match self.constant_columns {
                ConstantColumns::Drop => "dropped",
                ConstantColumns::KeepAsZero => "kept as zero",
            }
        )
    }
}

/// Share of a text column's values that must read as numbers for the column to be taken for a
/// numeric column with a few text cells ("n/a", "-", "unknown") rather than a categorical one.
const NUMERIC_TEXT_SHARE: f64 = 0.9;

/// Refuses a text column that is really numeric but for a few text cells, as ERP exports write
/// them ("n/a" in a revenue column): inferred as categorical, it would be one-hot encoded on
/// hundreds of "categories" or left out as an identifier, silently. The error names the
/// column, how many cells are not numbers and the first of them, so the user can clean them or
/// read the column as numeric with those cells missing.
///
/// ```
/// use segcore::data::CustomerTable;
/// use segcore::segmenter::check_numeric_text;
///
/// let mut table = CustomerTable::new((0..20).map(|i| format!("C{i}")).collect())?;
/// let revenue: Vec<String> = (0..20).map(|i| if i == 7 { "n/a".into() } else { format!("{}", i * 10) }).collect();
/// let cells: Vec<Option<&str>> = revenue.iter().map(|s| Some(s.as_str())).collect();
/// table.add_categorical("revenue", &cells)?;
/// let err = check_numeric_text(&table).unwrap_err().to_string();
/// assert!(err.contains("revenue") && err.contains("n/a") && err.contains("C7"), "{err}");
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn check_numeric_text(table: &CustomerTable) -> crate::error::Result<()> {
    for column in table.columns() {
        let ColumnData::Categorical(values) = &column.data else {
            continue;
        };
        let numeric: Vec<bool> = values
            .categories
            .iter()
            .map(|c| c.trim().parse::<f64>().is_ok_and(f64::is_finite))
            .collect();
        let (mut number_rows, mut text_rows) = (0usize, Vec::new());
        for (row, &code) in values.codes.iter().enumerate() {
            match numeric.get(code as usize) {
                Some(true) => number_rows += 1,
                Some(false) => text_rows.push(row),
                None => {} // missing
            }
        }
        let present = number_rows + text_rows.len();
        // Two distinct numbers at least: a column of "0"/"1" flags next to "yes" is categorical.
        let distinct_numbers = numeric.iter().filter(|&&n| n).count();
        if text_rows.is_empty()
            || distinct_numbers < 3
            || (number_rows as f64) < NUMERIC_TEXT_SHARE * present as f64
        {
            continue;
        }
        let examples: Vec<String> = text_rows
            .iter()
            .take(3)
            .map(|&row| {
                format!(
                    "{:?} for customer {}",
                    values.categories[values.codes[row] as usize],
                    table.ids()[row]
                )
            })
            .collect();
        return Err(crate::error::Error::ColumnType {
            name: column.name.clone(),
            expected: "numbers in every non-empty cell".into(),
            actual: format!(
                "text in {} of {present} cells ({}; make them empty to mark them missing, or \
                 fix them: as text the whole column would be read as categories)",
                text_rows.len(),
                examples.join(", ")
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_types_skips_ids_and_prints() {
        let n = 40;
        let mut table = CustomerTable::new((0..n).map(|i| format!("C{i}")).collect()).unwrap();
        let skewed: Vec<f64> = (0..n)
            .map(|i| if i == 0 { 1e6 } else { i as f64 })
            .collect();
        let symmetric: Vec<f64> = (0..n).map(|i| ((i % 7) as f64) - 3.0).collect();
        let running: Vec<f64> = (0..n).map(|i| 1000.0 + i as f64).collect();
        table.add_numeric("monetary", skewed).unwrap();
        table.add_numeric("trend", symmetric).unwrap();
        table.add_numeric("erp_number", vec![1.0; n]).unwrap();
        table.add_numeric("sequence", running).unwrap();
        table.add_numeric("empty", vec![f64::NAN; n]).unwrap();
        let industry: Vec<Option<&str>> = (0..n).map(|i| Some(["a", "b", "c"][i % 3])).collect();
        table.add_categorical("industry", &industry).unwrap();
        let unique: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
        let unique_refs: Vec<Option<&str>> = unique.iter().map(|s| Some(s.as_str())).collect();
        table.add_categorical("vat", &unique_refs).unwrap();
        table
            .add_categorical("single", &vec![Some("x"); n])
            .unwrap();
        let spec = infer_spec(&table);
        let names: Vec<&str> = spec.columns.iter().map(|c| c.column.as_str()).collect();
        // `vat` has 40 distinct values of 40 rows but fewer than MAX_CATEGORIES: kept, grouped.
        assert_eq!(names, ["monetary", "trend", "industry", "vat"]);
        assert!(spec.columns[0].log1p);
        assert!(!spec.columns[1].log1p, "negative values: no log1p");
        let flag = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        assert!(!log_transform("Complain", &flag));
        let mut net: Vec<f64> = (1..=100)
            .map(|i| if i > 95 { 1e4 } else { i as f64 })
            .collect();
        net[0] = -50.0; // one customer with more returns than purchases
        assert!(log_transform("monetary", &net));
        assert!(
            !log_transform("revenue_last_window", &net),
            "signed, not net revenue"
        );
        net[1..10].iter_mut().for_each(|v| *v = -1.0);
        assert!(
            !log_transform("monetary", &net),
            "10 % negative: not a log scale"
        );
        assert_eq!(spec.groups.len(), 2);
        spec.check().unwrap();
        let text = spec.to_string();
        assert!(
            text.contains("monetary") && text.contains("log1p"),
            "{text}"
        );
        assert!(
            text.contains("group industry: total variance 0.5"),
            "{text}"
        );
        // The inferred spec fits on its own table.
        let pipeline = spec.fit_table(&table).unwrap();
        assert!(pipeline.n_features_out() >= 4);
    }

    #[test]
    fn id_like_names() {
        for name in ["id", "customer_id", "ID_old", "account_nr", "erp_key"] {
            assert!(id_like_name(name), "{name}");
        }
        for name in ["industry", "monetary", "paid", "video"] {
            assert!(!id_like_name(name), "{name}");
        }
    }
}
