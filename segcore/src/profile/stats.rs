//! The statistics of a segment profile: size and share, numeric columns against the whole base
//! (quartiles, effect size), categorical composition with lift, and value (revenue / margin
//! shares, concentration inside each segment).
//!
//! Every published figure goes through the privacy rule of [`ProfileParams::min_group_size`]:
//! a figure describing fewer customers than that is `None` ("suppressed"), never a number.

use super::behaviour::{behaviour_mix, BehaviourKind, BehaviourMix};
use super::fairness::{fairness_check, FairnessCheck};
use super::groups::{table_columns, Groups};
use super::names::{speaking_names, Language};
use super::privacy::{hidden_cells, protect_table};
use super::types::*;
use crate::data::{CategoricalColumn, ColumnData, CustomerTable};
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Number of points of a Lorenz curve (0 %, 5 %, ..., 100 % of customers).
const LORENZ_POINTS: usize = 21;

/// Parameters of [`profile`].
///
/// ```
/// use segcore::profile::{ProfileParams, Language};
/// let params = ProfileParams::new()
///     .revenue("monetary")
///     .min_group_size(20)
///     .language(Language::German)
///     .name(0, "Key accounts");
/// assert!(params.check().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileParams {
    /// Numeric column holding each customer's revenue with us (value shares, concentration).
    pub revenue: Option<String>,
    /// Numeric column holding each customer's gross margin with us.
    pub margin: Option<String>,
    /// Categorical columns to check for fairness (distribution across segments).
    pub sensitive: Vec<String>,
    /// Smallest group whose statistics are published (default 10, at least 1): a segment or a
    /// category cell with fewer customers is suppressed.
    pub min_group_size: usize,
    /// Language of names, descriptions and reports (default English).
    pub language: Language,
    /// User-given names by segment label; they replace the generated ones.
    pub names: BTreeMap<usize, String>,
    /// Columns to profile, in this order; `None` = every column of the table.
    pub columns: Option<Vec<String>>,
    /// A category counts as over-represented in a segment from this lift on (default 1.25, > 1).
    pub min_lift: f64,
    /// Jensen-Shannon divergence (bits) of a sensitive column's distribution in a segment
    /// against the base above which the fairness check warns (default 0.05, in (0, 1]).
    pub fairness_threshold: f64,
    /// Categorical columns to show as behaviour mix besides those recognised by name (see
    /// [`crate::profile::behaviour`]), with their kind.
    #[serde(default)]
    pub behaviour: BTreeMap<String, BehaviourKind>,
    /// The user's labels of their columns (column -> label), used by names and descriptions
    /// instead of the column name; built-in features have labels of their own
    /// ([`labels`](super::labels)).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl Default for ProfileParams {
    fn default() -> Self {
        ProfileParams {
            revenue: None,
            margin: None,
            sensitive: Vec::new(),
            min_group_size: 10,
            language: Language::English,
            names: BTreeMap::new(),
            columns: None,
            min_lift: 1.25,
            fairness_threshold: 0.05,
            behaviour: BTreeMap::new(),
            labels: BTreeMap::new(),
        }
    }
}

impl ProfileParams {
    /// Default parameters.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets [`revenue`](Self::revenue).
    pub fn revenue(mut self, column: &str) -> Self {
        self.revenue = Some(column.to_string());
        self
    }
    /// Sets [`margin`](Self::margin).
    pub fn margin(mut self, column: &str) -> Self {
        self.margin = Some(column.to_string());
        self
    }
    /// Adds a column to [`sensitive`](Self::sensitive).
    pub fn sensitive(mut self, column: &str) -> Self {
        self.sensitive.push(column.to_string());
        self
    }
    /// Sets [`min_group_size`](Self::min_group_size).
    pub fn min_group_size(mut self, size: usize) -> Self {
        self.min_group_size = size;
        self
    }
    /// Sets [`language`](Self::language).
    pub fn language(mut self, language: Language) -> Self {
        self.language = language;
        self
    }
    /// Names segment `label` (overrides the generated name).
    pub fn name(mut self, label: usize, name: &str) -> Self {
        self.names.insert(label, name.to_string());
        self
    }
    /// Sets [`columns`](Self::columns).
    pub fn columns(mut self, columns: &[&str]) -> Self {
        self.columns = Some(columns.iter().map(|c| c.to_string()).collect());
        self
    }
    /// Sets [`min_lift`](Self::min_lift).
    pub fn min_lift(mut self, lift: f64) -> Self {
        self.min_lift = lift;
        self
    }
    /// Shows categorical `column` as behaviour mix of `kind` (columns produced by segcore's RFM
    /// and lifecycle functions are recognised without this).
    pub fn behaviour(mut self, column: &str, kind: BehaviourKind) -> Self {
        self.behaviour.insert(column.to_string(), kind);
        self
    }
    /// Sets [`fairness_threshold`](Self::fairness_threshold).
    pub fn fairness_threshold(mut self, threshold: f64) -> Self {
        self.fairness_threshold = threshold;
        self
    }

    /// Checks the ranges that do not depend on the data.
    pub fn check(&self) -> Result<()> {
        if self.min_group_size == 0 {
            return Err(Error::invalid_parameter(
                "min_group_size",
                0,
                "an integer >= 1",
            ));
        }
        if !(self.min_lift > 1.0 && self.min_lift.is_finite()) {
            return Err(Error::invalid_parameter(
                "min_lift",
                self.min_lift,
                "a finite number > 1",
            ));
        }
        if !(self.fairness_threshold > 0.0 && self.fairness_threshold <= 1.0) {
            return Err(Error::invalid_parameter(
                "fairness_threshold",
                self.fairness_threshold,
                "a number in (0, 1] (bits of Jensen-Shannon divergence)",
            ));
        }
        let mut seen = BTreeMap::new();
        for (&label, name) in &self.names {
            if name.trim().is_empty() {
                return Err(Error::invalid_parameter(
                    "names",
                    format!("an empty name for segment {label}"),
                    "non-empty names",
                ));
            }
            if let Some(other) = seen.insert(name.as_str(), label) {
                return Err(Error::invalid_parameter(
                    "names",
                    format!("`{name}` for segments {other} and {label}"),
                    "a different name for every segment",
                ));
            }
        }
        Ok(())
    }
}

/// Order-statistic position of quantile `p` among `n` values: the lower index and the
/// interpolation fraction (numpy's default "linear" method).
fn position(n: usize, p: f64) -> (usize, f64) {
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    (lo, h - lo as f64)
}

fn min_of(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Summary of `values` (no NaN, at least one); reorders `values`.
///
/// Quartiles by selection instead of sorting (O(n)); the median is selected first, then Q1 only
/// in the part below it and Q3 only in the part above it, which halves the selection work (the
/// 1M x 30 profile benchmark spends most of its time here).
fn summarise(values: &mut [f64]) -> NumericSummary {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let std = if n > 1 {
        (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let (m, m_frac) = position(n, 0.5);
    values.select_nth_unstable_by(m, f64::total_cmp);
    let (below, rest) = values.split_at_mut(m);
    let (at, above) = rest.split_first_mut().expect("m < n");
    let at = *at;
    // Everything in `below` is <= at <= everything in `above`.
    let median = if m_frac == 0.0 || above.is_empty() {
        at
    } else {
        at + m_frac * (min_of(above) - at)
    };
    let (q1_lo, q1_frac) = position(n, 0.25);
    let q1 = if q1_lo == m {
        if q1_frac == 0.0 || above.is_empty() {
            at
        } else {
            at + q1_frac * (min_of(above) - at)
        }
    } else {
        let (_, &mut a, right) = below.select_nth_unstable_by(q1_lo, f64::total_cmp);
        if q1_frac == 0.0 {
            a
        } else {
            a + q1_frac * (min_of(right).min(at) - a)
        }
    };
    let (q3_lo, q3_frac) = position(n, 0.75);
    let q3 = if q3_lo == m {
        if q3_frac == 0.0 || above.is_empty() {
            at
        } else {
            at + q3_frac * (min_of(above) - at)
        }
    } else {
        let (_, &mut a, right) = above.select_nth_unstable_by(q3_lo - m - 1, f64::total_cmp);
        if q3_frac == 0.0 || right.is_empty() {
            a
        } else {
            a + q3_frac * (min_of(right) - a)
        }
    };
    NumericSummary {
        count: n,
        mean,
        std,
        q1,
        median,
        q3,
    }
}

fn numeric_column(
    name: &str,
    values: &[f64],
    groups: &Groups,
    hidden_segments: &[bool],
    min_group_size: usize,
) -> NumericColumnProfile {
    let mut buffer: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let base =
        (buffer.len() >= min_group_size && !buffer.is_empty()).then(|| summarise(&mut buffer));
    // The base's mean and count are published: a lone hidden cell would be their difference.
    let present: Vec<usize> = (0..groups.n_segments())
        .map(|s| {
            groups
                .rows_of(s)
                .iter()
                .filter(|&&r| !values[r as usize].is_nan())
                .count()
        })
        .collect();
    let hidden = hidden_cells(&present, hidden_segments, min_group_size);
    let segments = (0..groups.n_segments())
        .map(|s| {
            buffer.clear();
            buffer.extend(
                groups
                    .rows_of(s)
                    .iter()
                    .map(|&r| values[r as usize])
                    .filter(|v| !v.is_nan()),
            );
            let summary = (!hidden[s] && !buffer.is_empty()).then(|| summarise(&mut buffer));
            let effect_size = match (&summary, &base) {
                (Some(seg), Some(all)) if all.std > 0.0 => Some((seg.mean - all.mean) / all.std),
                _ => None,
            };
            NumericCell {
                segment: groups.labels[s],
                summary,
                effect_size,
            }
        })
        .collect();
    NumericColumnProfile {
        column: name.to_string(),
        base,
        segments,
    }
}

/// One group's composition. `counts` holds the categories then the missing values;
/// `hidden[c]` says which of them are suppressed (below the minimum size, or hidden so the others
/// cannot give them away). Shares are over the whole group, missing values included, so a share
/// says no more than its count: the group's size is printed next to it.
fn composition(
    segment: Option<usize>,
    counts: &[usize],
    hidden: &[bool],
    categories: &[String],
    base_shares: Option<&[Option<f64>]>,
) -> CategoryComposition {
    let total: usize = counts.iter().sum();
    let k = categories.len();
    let cells = counts[..k]
        .iter()
        .zip(categories)
        .enumerate()
        .map(|(c, (&count, category))| {
            let published = !hidden[c];
            let share = (published && total > 0).then(|| count as f64 / total as f64);
            let lift = match (share, base_shares.and_then(|b| b[c])) {
                (Some(s), Some(b)) if b > 0.0 => Some(s / b),
                _ => None,
            };
            CategoryCell {
                category: category.clone(),
                count: published.then_some(count),
                share,
                lift,
            }
        })
        .collect();
    CategoryComposition {
        segment,
        missing: (!hidden[k]).then_some(counts[k]),
        cells,
    }
}

fn categorical_column(
    name: &str,
    column: &CategoricalColumn,
    groups: &Groups,
    hidden_segments: &[bool],
    min_group_size: usize,
) -> CategoricalColumnProfile {
    let k = column.n_categories();
    // counts[s * (k + 1) + c]; the last slot of each segment counts missing values.
    let mut counts = vec![0usize; groups.n_segments() * (k + 1)];
    for (&code, &s) in column.codes.iter().zip(&groups.index) {
        let c = if code == CategoricalColumn::MISSING {
            k
        } else {
            code as usize
        };
        counts[s as usize * (k + 1) + c] += 1;
    }
    let mut base_counts = vec![0usize; k + 1];
    for segment in counts.chunks(k + 1) {
        for (total, &c) in base_counts.iter_mut().zip(segment) {
            *total += c;
        }
    }
    let (hidden, base_hidden) = protect_table(
        &counts,
        groups.n_segments(),
        k + 1,
        min_group_size,
        hidden_segments,
    );
    let base = composition(None, &base_counts, &base_hidden, &column.categories, None);
    let base_shares: Vec<Option<f64>> = base.cells.iter().map(|c| c.share).collect();
    let segments = counts
        .chunks(k + 1)
        .zip(hidden.chunks(k + 1))
        .enumerate()
        .map(|(s, (segment, hidden))| {
            composition(
                Some(groups.labels[s]),
                segment,
                hidden,
                &column.categories,
                Some(&base_shares),
            )
        })
        .collect();
    CategoricalColumnProfile {
        column: name.to_string(),
        base,
        segments,
    }
}

/// Gini coefficient, top-20 % share and Lorenz curve of non-negative `values` (sorted here).
fn concentration(values: &mut [f64], min_group_size: usize) -> (f64, f64, Option<Vec<(f64, f64)>>) {
    values.sort_unstable_by(f64::total_cmp);
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total <= 0.0 {
        return (0.0, 0.0, None);
    }
    // G = sum_i (2i - n - 1) x_(i) / (n * total), i = 1..n ascending.
    let weighted: f64 = values
        .iter()
        .enumerate()
        .map(|(i, &x)| (2.0 * (i + 1) as f64 - n as f64 - 1.0) * x)
        .sum();
    let gini = weighted / (n as f64 * total);
    let top = (n as f64 * 0.2).ceil() as usize;
    let top20 = values[n - top..].iter().sum::<f64>() / total;
    // Each step of the curve aggregates n/20 customers: publish only when that is a group.
    let lorenz = (n / (LORENZ_POINTS - 1) >= min_group_size).then(|| {
        let mut cumulative = 0.0;
        let mut next = 0usize;
        let mut points = Vec::with_capacity(LORENZ_POINTS);
        for step in 0..LORENZ_POINTS {
            let upto = n * step / (LORENZ_POINTS - 1);
            while next < upto {
                cumulative += values[next];
                next += 1;
            }
            points.push((step as f64 / (LORENZ_POINTS - 1) as f64, cumulative / total));
        }
        points
    });
    (gini, top20, lorenz)
}

/// Profiles a segmentation: `labels[i]` is the segment of the table's `i`-th customer.
///
/// Segments are the distinct labels present, in ascending order (a label nobody has is simply not
/// a segment: there is nothing to profile). Numeric columns: count, mean, std, quartiles per
/// segment and for the base, and the effect size. Categorical columns: composition and lift.
/// With a revenue column: revenue share, revenue per customer, concentration (Gini, top-20 %
/// share, Lorenz curve) and, with a margin column, margin share. Every segment gets a speaking
/// name (see [`crate::profile::names`]); sensitive columns get a fairness check.
///
/// Privacy: no figure describes fewer than `min_group_size` customers; the profile never holds
/// a customer-level row.
///
/// ```
/// use segcore::data::CustomerTable;
/// use segcore::profile::{profile, ProfileParams};
///
/// let ids = (0..40).map(|i| format!("C{i}")).collect();
/// let mut table = CustomerTable::new(ids)?;
/// let revenue: Vec<f64> = (0..40).map(|i| if i < 20 { 1_000.0 + i as f64 } else { 90_000.0 }).collect();
/// table.add_numeric("monetary", revenue)?;
/// let labels: Vec<usize> = (0..40).map(|i| usize::from(i >= 20)).collect();
/// let p = profile(&table, &labels, &ProfileParams::new().revenue("monetary"))?;
/// assert_eq!(p.segments.len(), 2);
/// assert_eq!(p.segments[1].size, Some(20));
/// assert!(p.segments[1].value.as_ref().unwrap().revenue_share > 0.9);
/// assert_ne!(p.segments[0].name, p.segments[1].name);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn profile(
    table: &CustomerTable,
    labels: &[usize],
    params: &ProfileParams,
) -> Result<SegmentationProfile> {
    params.check()?;
    let groups = Groups::of_table(table, labels)?;
    let m = params.min_group_size;
    let columns = table_columns(table, params.columns.as_deref())?;
    let revenue = params
        .revenue
        .as_deref()
        .map(|name| table.numeric(name))
        .transpose()?;
    let margin = params
        .margin
        .as_deref()
        .map(|name| table.numeric(name))
        .transpose()?;
    if margin.is_some() && revenue.is_none() {
        return Err(Error::invalid_parameter(
            "margin",
            format!(
                "`{}` without a revenue column",
                params.margin.as_deref().unwrap_or("")
            ),
            "a revenue column as well (margin shares are read next to revenue shares)",
        ));
    }
    let sensitive = params
        .sensitive
        .iter()
        .map(|name| {
            let column = table.categorical(name)?;
            if let Some(row) = column
                .codes
                .iter()
                .position(|&c| c == CategoricalColumn::MISSING)
            {
                return Err(Error::invalid_parameter(
                    "sensitive",
                    format!(
                        "column `{name}` with {} missing values (first at row {row})",
                        column.n_missing()
                    ),
                    "a sensitive column without missing values: fill them with an explicit \
                     category such as \"unknown\" so the check covers every customer",
                ));
            }
            Ok((name.as_str(), column))
        })
        .collect::<Result<Vec<_>>>()?;
    // Segments hidden in every table: the small ones and their complements.
    let hidden = groups.hidden(m);

    // Columns are independent: one task each, each computed sequentially, so the result does not
    // depend on the thread count.
    enum Profiled {
        Numeric(NumericColumnProfile),
        Categorical(CategoricalColumnProfile),
    }
    let profiled: Vec<Profiled> = columns
        .par_iter()
        .map(|column| match &column.data {
            ColumnData::Numeric(values) => {
                Profiled::Numeric(numeric_column(&column.name, values, &groups, &hidden, m))
            }
            ColumnData::Categorical(c) => {
                Profiled::Categorical(categorical_column(&column.name, c, &groups, &hidden, m))
            }
        })
        .collect();
    for name in params.behaviour.keys() {
        // Must be a categorical column of the table (and profiled).
        table.categorical(name)?;
        if !columns.iter().any(|c| &c.name == name) {
            return Err(Error::invalid_parameter(
                "behaviour",
                format!("`{name}`, which is not among the profiled columns"),
                "a column listed in `columns` (or no `columns` list)",
            ));
        }
    }
    let mut numeric = Vec::new();
    let mut categorical = Vec::new();
    for p in profiled {
        match p {
            Profiled::Numeric(p) => numeric.push(p),
            Profiled::Categorical(p) => categorical.push(p),
        }
    }

    let n = labels.len();
    let mut warnings = Vec::new();
    let (values, base_lorenz, base_gini) = match revenue {
        Some(revenue) => {
            let (values, lorenz, gini) = segment_values(revenue, margin, &groups, &hidden, m);
            (values, lorenz, Some(gini))
        }
        None => (vec![None; groups.n_segments()], None, None),
    };
    let mut segments: Vec<SegmentSummary> = (0..groups.n_segments())
        .map(|s| {
            let size = groups.size(s);
            let suppressed = hidden[s];
            let label = groups.labels[s];
            let mut features: Vec<DistinguishingFeature> = numeric
                .iter()
                .filter_map(|col| {
                    let effect = col.segments[s].effect_size?;
                    (effect.abs() >= 0.2).then(|| DistinguishingFeature {
                        column: col.column.clone(),
                        effect_size: effect,
                    })
                })
                .collect();
            // Stable sort: ties keep column order, so the ordering is deterministic.
            features.sort_by(|a, b| b.effect_size.abs().total_cmp(&a.effect_size.abs()));
            features.truncate(5);
            let mut over: Vec<OverRepresentedCategory> = categorical
                .iter()
                .flat_map(|col| {
                    col.segments[s].cells.iter().filter_map(move |cell| {
                        let lift = cell.lift?;
                        (lift >= params.min_lift).then(|| OverRepresentedCategory {
                            column: col.column.clone(),
                            category: cell.category.clone(),
                            share: cell.share.unwrap_or(0.0),
                            lift,
                        })
                    })
                })
                .collect();
            over.sort_by(|a, b| b.lift.total_cmp(&a.lift));
            over.truncate(5);
            if suppressed && size < m {
                warnings.push(format!(
                    "segment {label} has fewer than {m} customers: its figures are suppressed"
                ));
            } else if suppressed {
                warnings.push(format!(
                    "segment {label} is suppressed as well, so the figures of the smaller \
                     suppressed segments cannot be derived from the totals"
                ));
            }
            SegmentSummary {
                segment: label,
                name: String::new(),
                description: String::new(),
                suppressed,
                size: (!suppressed).then_some(size),
                share: (!suppressed).then(|| size as f64 / n as f64),
                distinguishing_features: if suppressed { Vec::new() } else { features },
                over_represented: if suppressed { Vec::new() } else { over },
                value: if suppressed { None } else { values[s].clone() },
            }
        })
        .collect();

    let behaviour: Vec<BehaviourMix> = categorical
        .iter()
        .filter_map(|col| {
            let categories: Vec<String> =
                col.base.cells.iter().map(|c| c.category.clone()).collect();
            let kind = params
                .behaviour
                .get(&col.column)
                .copied()
                .or_else(|| BehaviourKind::detect(&col.column, &categories))?;
            Some(behaviour_mix(col, kind))
        })
        .collect();

    let fairness: Vec<FairnessCheck> = sensitive
        .iter()
        .map(|(name, column)| fairness_check(name, column, &groups, m, params.fairness_threshold))
        .collect();
    for check in &fairness {
        warnings.extend(check.warning.iter().cloned());
    }

    let names = speaking_names(
        &segments,
        &numeric,
        params.revenue.as_deref(),
        params.margin.as_deref(),
        params.language,
        &params.names,
        &params.labels,
    )?;
    for (segment, (name, description)) in segments.iter_mut().zip(names) {
        segment.name = name;
        segment.description = description;
    }
    Ok(SegmentationProfile {
        version: 1,
        n_customers: n,
        min_group_size: m,
        language: params.language,
        revenue_column: params.revenue.clone(),
        margin_column: params.margin.clone(),
        segments,
        numeric,
        categorical,
        lorenz: base_lorenz,
        revenue_gini: base_gini,
        fairness,
        behaviour,
        membership: None,
        warnings,
    })
}

type ValueColumns = (Vec<Option<SegmentValue>>, Option<Vec<(f64, f64)>>, f64);

fn segment_values(
    revenue: &[f64],
    margin: Option<&[f64]>,
    groups: &Groups,
    hidden_segments: &[bool],
    min_group_size: usize,
) -> ValueColumns {
    // Missing revenue or margin counts as 0: a customer without orders brought nothing.
    let value = |values: &[f64], r: u32| {
        let v = values[r as usize];
        if v.is_nan() {
            0.0
        } else {
            v
        }
    };
    let total_revenue: f64 = revenue.iter().filter(|v| !v.is_nan()).sum();
    let total_margin: Option<f64> = margin.map(|m| m.iter().filter(|v| !v.is_nan()).sum());
    let per_segment = (0..groups.n_segments())
        .into_par_iter()
        .map(|s| {
            let rows = groups.rows_of(s);
            let size = rows.len();
            if hidden_segments[s] {
                return None;
            }
            let mut values: Vec<f64> = rows.iter().map(|&r| value(revenue, r)).collect();
            let segment_revenue: f64 = values.iter().sum();
            for v in values.iter_mut() {
                *v = v.max(0.0);
            }
            let (gini, top20, lorenz) = concentration(&mut values, min_group_size);
            let segment_margin = margin.map(|m| rows.iter().map(|&r| value(m, r)).sum::<f64>());
            Some(SegmentValue {
                revenue_share: share(segment_revenue, total_revenue),
                revenue_per_customer: segment_revenue / size as f64,
                revenue_gini: gini,
                top20_revenue_share: top20,
                margin_share: segment_margin
                    .zip(total_margin)
                    .map(|(sm, tm)| share(sm, tm)),
                margin_per_customer: segment_margin.map(|sm| sm / size as f64),
                lorenz,
            })
        })
        .collect();
    let mut all: Vec<f64> = revenue
        .iter()
        .map(|v| if v.is_nan() { 0.0 } else { v.max(0.0) })
        .collect();
    let (gini, _, lorenz) = concentration(&mut all, min_group_size);
    (per_segment, lorenz, gini)
}

/// `part / total`, 0 when the total is 0 (nothing to share).
fn share(part: f64, total: f64) -> f64 {
    if total == 0.0 {
        0.0
    } else {
        part / total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::groups::MAX_SEGMENT_LABEL;

    fn table(n: usize) -> CustomerTable {
        let ids = (0..n).map(|i| format!("C{i}")).collect();
        CustomerTable::new(ids).unwrap()
    }

    #[test]
    fn quantiles_match_numpy_linear_interpolation() {
        // numpy.quantile([1, 2, 3, 4, 10], [0.25, 0.5, 0.75]) = [2, 3, 4]
        let mut v = vec![10.0, 2.0, 4.0, 1.0, 3.0];
        let s = summarise(&mut v);
        assert_eq!((s.q1, s.median, s.q3), (2.0, 3.0, 4.0));
        // numpy.quantile([1, 2, 3, 4], [0.25, 0.5, 0.75]) = [1.75, 2.5, 3.25]
        let mut v = vec![4.0, 3.0, 2.0, 1.0];
        let s = summarise(&mut v);
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
        assert_eq!(s.mean, 2.5);
        // numpy.std([1, 2, 3, 4], ddof=1)
        assert!((s.std - 1.2909944487358056).abs() < 1e-15);
    }

    #[test]
    fn quartiles_by_selection_equal_quartiles_by_sorting() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        for n in 1..60 {
            for _ in 0..5 {
                let v: Vec<f64> = (0..n)
                    .map(|_| (rng.r#gen::<f64>() * 20.0).round())
                    .collect();
                let mut sorted = v.clone();
                sorted.sort_by(f64::total_cmp);
                let by_sorting = |p: f64| {
                    let (lo, frac) = position(n, p);
                    if frac == 0.0 {
                        sorted[lo]
                    } else {
                        sorted[lo] + frac * (sorted[lo + 1] - sorted[lo])
                    }
                };
                let mut work = v.clone();
                let s = summarise(&mut work);
                assert_eq!(s.q1, by_sorting(0.25), "n = {n}: {v:?}");
                assert_eq!(s.median, by_sorting(0.5), "n = {n}: {v:?}");
                assert_eq!(s.q3, by_sorting(0.75), "n = {n}: {v:?}");
            }
        }
    }

    #[test]
    fn numeric_and_categorical_figures() {
        let n = 90;
        let mut t = table(n);
        let x: Vec<f64> = (0..n).map(|i| [1.0, 3.0, 2.0][i / 30]).collect();
        t.add_numeric("x", x).unwrap();
        // Each segment: 20 of one channel, 5 and 5 of the other two (a Latin square, so every
        // small cell has small partners in its row and column: no complement is needed).
        let channels = [
            ["web", "field", "phone"],
            ["field", "web", "phone"],
            ["phone", "web", "field"],
        ];
        let channel: Vec<Option<&str>> = (0..n)
            .map(|i| {
                let j = i % 30;
                Some(
                    channels[i / 30][if j < 20 {
                        0
                    } else if j < 25 {
                        1
                    } else {
                        2
                    }],
                )
            })
            .collect();
        t.add_categorical("channel", &channel).unwrap();
        let labels: Vec<usize> = (0..n).map(|i| i / 30).collect();
        let p = profile(&t, &labels, &ProfileParams::new()).unwrap();
        let x = &p.numeric[0];
        assert_eq!(x.base.as_ref().unwrap().mean, 2.0);
        let std = x.base.as_ref().unwrap().std;
        assert!((x.segments[1].effect_size.unwrap() - 1.0 / std).abs() < 1e-12);
        let channel = &p.categorical[0];
        // segment 1: 20 field, 5 web, 5 phone -> the 5s are suppressed, field has lift
        // (20/30) / (30/90) = 2
        let seg1 = &channel.segments[1];
        assert_eq!(seg1.cells[0].category, "web");
        assert_eq!(seg1.cells[0].count, None);
        assert_eq!(seg1.cells[0].share, None);
        assert_eq!(seg1.cells[1].count, Some(20));
        assert!((seg1.cells[1].lift.unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(seg1.missing, Some(0), "a zero describes nobody: printed");
        assert_eq!(channel.base.cells[2].count, Some(30));
        assert_eq!(p.segments[1].over_represented[0].category, "field");
        assert_eq!(p.segments[1].distinguishing_features[0].column, "x");
    }

    #[test]
    fn a_lone_small_cell_gets_a_complement() {
        // Two segments x two channels, one small cell: 25 - 20 would give the 5 away, so the
        // whole table is hidden (the base counts stay printed).
        let n = 60;
        let mut t = table(n);
        let channel: Vec<Option<&str>> = (0..n)
            .map(|i| {
                Some(if (25..55).contains(&i) {
                    "field"
                } else {
                    "web"
                })
            })
            .collect();
        t.add_categorical("channel", &channel).unwrap();
        let labels: Vec<usize> = (0..n).map(|i| usize::from(i >= 30)).collect();
        let p = profile(&t, &labels, &ProfileParams::new()).unwrap();
        let channel = &p.categorical[0];
        for comp in &channel.segments {
            assert!(comp
                .cells
                .iter()
                .all(|c| c.count.is_none() && c.share.is_none()));
        }
        assert_eq!(channel.base.cells[0].count, Some(30));
    }

    #[test]
    fn value_shares_and_concentration() {
        let n = 40;
        let mut t = table(n);
        // segment 0: 20 customers with 10 each; segment 1: one customer with 1000, others 0
        let revenue: Vec<f64> = (0..n)
            .map(|i| match i {
                0..=19 => 10.0,
                20 => 1000.0,
                _ => 0.0,
            })
            .collect();
        let margin: Vec<f64> = revenue.iter().map(|r| r * 0.5).collect();
        t.add_numeric("revenue", revenue).unwrap();
        t.add_numeric("margin", margin).unwrap();
        let labels: Vec<usize> = (0..n).map(|i| usize::from(i >= 20)).collect();
        let p = profile(
            &t,
            &labels,
            &ProfileParams::new().revenue("revenue").margin("margin"),
        )
        .unwrap();
        let v0 = p.segments[0].value.as_ref().unwrap();
        let v1 = p.segments[1].value.as_ref().unwrap();
        assert!((v0.revenue_share - 200.0 / 1200.0).abs() < 1e-12);
        assert!((v1.margin_share.unwrap() - 1000.0 / 1200.0).abs() < 1e-12);
        assert_eq!(v0.revenue_gini, 0.0);
        assert!((v1.revenue_gini - 0.95).abs() < 1e-12); // (n - 1) / n for one carrier
        assert_eq!(v1.top20_revenue_share, 1.0);
        assert_eq!(v0.revenue_per_customer, 10.0);
        // 20 customers / 20 steps = 1 per step < 10: the Lorenz curve would show individuals
        assert!(v0.lorenz.is_none());
    }

    #[test]
    fn lorenz_curve_when_steps_are_groups() {
        let mut v: Vec<f64> = (1..=400).map(f64::from).collect();
        let (gini, _, lorenz) = concentration(&mut v, 10);
        let lorenz = lorenz.unwrap();
        assert_eq!(lorenz.len(), 21);
        assert_eq!(lorenz[0], (0.0, 0.0));
        assert_eq!(lorenz[20], (1.0, 1.0));
        assert!(lorenz.windows(2).all(|w| w[1].1 >= w[0].1));
        // Gini of 1..=n is (n - 1) / (3n)
        assert!((gini - 399.0 / 1200.0).abs() < 1e-12);
    }

    #[test]
    fn bad_input_is_rejected() {
        let mut t = table(20);
        t.add_numeric("x", vec![1.0; 20]).unwrap();
        t.add_categorical("gender", &[Some("f"); 20]).unwrap();
        let labels = vec![0usize; 20];
        assert!(matches!(
            profile(&t, &labels[..19], &ProfileParams::new()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            profile(&t, &labels, &ProfileParams::new().min_group_size(0)),
            Err(Error::InvalidParameter {
                name: "min_group_size",
                ..
            })
        ));
        assert!(matches!(
            profile(&t, &labels, &ProfileParams::new().revenue("nope")),
            Err(Error::UnknownColumn { .. })
        ));
        assert!(matches!(
            profile(&t, &labels, &ProfileParams::new().revenue("gender")),
            Err(Error::ColumnType { .. })
        ));
        assert!(matches!(
            profile(&t, &labels, &ProfileParams::new().sensitive("x")),
            Err(Error::ColumnType { .. })
        ));
        let mut with_missing = table(20);
        let mut g = vec![Some("f"); 20];
        g[3] = None;
        with_missing.add_categorical("gender", &g).unwrap();
        let err = profile(
            &with_missing,
            &labels,
            &ProfileParams::new().sensitive("gender"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("first at row 3"), "{err}");
        let err = ProfileParams::new()
            .name(0, "A")
            .name(1, "A")
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("segments 0 and 1"), "{err}");
        let mut big = labels.clone();
        big[0] = MAX_SEGMENT_LABEL + 1;
        assert!(profile(&t, &big, &ProfileParams::new()).is_err());
    }

    #[test]
    fn segments_are_present_labels_and_small_ones_are_suppressed() {
        let n = 25;
        let mut t = table(n);
        t.add_numeric("x", (0..n).map(|i| i as f64).collect())
            .unwrap();
        // labels 2 (20 customers) and 7 (5 customers): 0, 1, 3.. are absent, not empty segments
        let labels: Vec<usize> = (0..n).map(|i| if i < 20 { 2 } else { 7 }).collect();
        let p = profile(&t, &labels, &ProfileParams::new()).unwrap();
        assert_eq!(
            p.segments.iter().map(|s| s.segment).collect::<Vec<_>>(),
            [2, 7]
        );
        assert!(p.segments[1].suppressed);
        assert_eq!(p.segments[1].size, None);
        assert!(p.numeric[0].segments[1].summary.is_none());
        assert!(p.warnings.iter().any(|w| w.contains("segment 7")));
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<ProfileParams>();
        is::<SegmentationProfile>();
    }
}
