//! Readable rules per segment ("monetary >= 120k and frequency >= 24"), found by a small seeded
//! rule learner, with their coverage and precision on the whole table.
//!
//! Learner (per segment, one-vs-rest): candidate conditions are `column >= t` and `column < t`
//! for the 5 %, 10 %, ..., 95 % quantiles `t` of each numeric column (rounded to two significant digits, so the rule
//! reads well and says exactly what was evaluated) and `column = category` for each category;
//! conditions are added greedily, each time the one that most improves the F1 score of
//! "rule => segment", until `max_conditions` or no improvement. Candidates and the search use a
//! seeded sample of at most `sample_size` customers; the reported coverage and precision are
//! computed on every customer. A rule never matches fewer than `min_group_size` customers.

use super::groups::{table_columns, Groups};
use crate::data::{CategoricalColumn, ColumnData, CustomerTable};
use crate::error::{Error, Result};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Parameters of [`learn_rules`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleParams {
    /// Most conditions per rule, 1..=5 (default 3).
    pub max_conditions: usize,
    /// Smallest number of customers a rule may match, >= 1 (default 10).
    pub min_group_size: usize,
    /// Customers sampled for the search, >= 100 (default 20,000).
    pub sample_size: usize,
    /// Seed of the sample.
    pub random_state: u64,
    /// Columns the rules may use; `None` = every column.
    pub columns: Option<Vec<String>>,
}

impl Default for RuleParams {
    fn default() -> Self {
        RuleParams {
            max_conditions: 3,
            min_group_size: 10,
            sample_size: 20_000,
            random_state: 0,
            columns: None,
        }
    }
}

impl RuleParams {
    /// Checks every parameter against its allowed range.
    pub fn check(&self) -> Result<()> {
        if !(1..=5).contains(&self.max_conditions) {
            return Err(Error::invalid_parameter(
                "max_conditions",
                self.max_conditions,
                "an integer in 1..=5",
            ));
        }
        if self.min_group_size == 0 {
            return Err(Error::invalid_parameter(
                "min_group_size",
                0,
                "an integer >= 1",
            ));
        }
        if self.sample_size < 100 {
            return Err(Error::invalid_parameter(
                "sample_size",
                self.sample_size,
                "an integer >= 100",
            ));
        }
        Ok(())
    }
}

/// One condition of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    /// `column >= threshold`.
    AtLeast {
        /// Numeric column.
        column: String,
        /// Threshold (two significant digits).
        threshold: f64,
    },
    /// `column < threshold`.
    Below {
        /// Numeric column.
        column: String,
        /// Threshold (two significant digits).
        threshold: f64,
    },
    /// `column = category`.
    Is {
        /// Categorical column.
        column: String,
        /// The category.
        category: String,
    },
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::AtLeast { column, threshold } => {
                write!(f, "{column} >= {}", readable(*threshold))
            }
            Condition::Below { column, threshold } => {
                write!(f, "{column} < {}", readable(*threshold))
            }
            Condition::Is { column, category } => write!(f, "{column} = {category}"),
        }
    }
}

/// A readable rule for one segment and how well it describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRule {
    /// Segment label.
    pub segment: usize,
    /// Conditions, all of which must hold (empty: no rule beat "everyone").
    pub conditions: Vec<Condition>,
    /// Customers matching the rule.
    pub support: usize,
    /// Share of the segment's customers that match the rule (recall).
    pub coverage: f64,
    /// Share of the matching customers that are in the segment.
    pub precision: f64,
}

impl fmt::Display for SegmentRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.conditions.is_empty() {
            return write!(f, "(no rule)");
        }
        let parts: Vec<String> = self.conditions.iter().map(|c| c.to_string()).collect();
        write!(f, "{}", parts.join(" and "))
    }
}

/// `x` rounded to two significant digits.
fn two_digits(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powf(x.abs().log10().floor() - 1.0);
    (x / scale).round() * scale
}

/// A short form of a two-significant-digit number: 1.2M, 15k, 24, 0.35.
pub(crate) fn readable(x: f64) -> String {
    let (value, suffix) = if x.abs() >= 1e6 {
        (x / 1e6, "M")
    } else if x.abs() >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    let decimals = if value == 0.0 || value.fract() == 0.0 {
        0
    } else {
        (1 - value.abs().log10().floor() as i32).max(0) as usize
    };
    format!("{value:.decimals$}{suffix}")
}

enum Source<'a> {
    Numeric(&'a [f64]),
    Categorical(&'a CategoricalColumn),
}

struct Candidate {
    condition: Condition,
    source: usize,
    /// Numeric: threshold; categorical: code.
    threshold: f64,
    code: u32,
}

fn holds(candidate: &Candidate, sources: &[Source<'_>], row: usize) -> bool {
    match (&candidate.condition, &sources[candidate.source]) {
        (Condition::AtLeast { .. }, Source::Numeric(v)) => v[row] >= candidate.threshold,
        (Condition::Below { .. }, Source::Numeric(v)) => v[row] < candidate.threshold,
        (Condition::Is { .. }, Source::Categorical(c)) => c.codes[row] == candidate.code,
        _ => false,
    }
}

/// Learns one rule per segment of at least `min_group_size` customers (smaller segments get
/// none), in ascending label order. See the [module docs](self).
///
/// ```
/// use segcore::data::CustomerTable;
/// use segcore::profile::{learn_rules, RuleParams};
/// let ids = (0..100).map(|i| format!("C{i}")).collect();
/// let mut t = CustomerTable::new(ids)?;
/// // 70 small customers, 30 big ones
/// t.add_numeric("monetary", (0..100).map(|i| if i < 70 { i as f64 * 10.0 } else { 1e5 }).collect())?;
/// let labels: Vec<usize> = (0..100).map(|i| usize::from(i >= 70)).collect();
/// let rules = learn_rules(&t, &labels, &RuleParams::default())?;
/// assert_eq!(rules[1].to_string(), "monetary >= 100k");
/// assert_eq!((rules[1].coverage, rules[1].precision), (1.0, 1.0));
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn learn_rules(
    table: &CustomerTable,
    labels: &[usize],
    params: &RuleParams,
) -> Result<Vec<SegmentRule>> {
    params.check()?;
    let groups = Groups::of_table(table, labels)?;
    let columns = table_columns(table, params.columns.as_deref())?;
    let n = labels.len();
    let m = params.min_group_size;
    let mut rows: Vec<usize> = if n <= params.sample_size {
        (0..n).collect()
    } else {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.random_state);
        sample(&mut rng, n, params.sample_size).into_vec()
    };
    rows.sort_unstable();

    let sources: Vec<Source<'_>> = columns
        .iter()
        .map(|c| match &c.data {
            ColumnData::Numeric(v) => Source::Numeric(v),
            ColumnData::Categorical(c) => Source::Categorical(c),
        })
        .collect();
    let mut candidates = Vec::new();
    for (index, (column, source)) in columns.iter().zip(&sources).enumerate() {
        match source {
            Source::Numeric(values) => {
                let mut v: Vec<f64> = rows
                    .iter()
                    .map(|&r| values[r])
                    .filter(|x| !x.is_nan())
                    .collect();
                if v.is_empty() {
                    continue;
                }
                v.sort_unstable_by(f64::total_cmp);
                let mut thresholds: Vec<f64> = (1..20)
                    .map(|i| two_digits(v[(v.len() - 1) * i / 20]))
                    .collect();
                thresholds.dedup();
                for t in thresholds {
                    for at_least in [true, false] {
                        let name = column.name.clone();
                        candidates.push(Candidate {
                            condition: if at_least {
                                Condition::AtLeast {
                                    column: name,
                                    threshold: t,
                                }
                            } else {
                                Condition::Below {
                                    column: name,
                                    threshold: t,
                                }
                            },
                            source: index,
                            threshold: t,
                            code: 0,
                        });
                    }
                }
            }
            Source::Categorical(c) => {
                for (code, category) in c.categories.iter().enumerate() {
                    candidates.push(Candidate {
                        condition: Condition::Is {
                            column: column.name.clone(),
                            category: category.clone(),
                        },
                        source: index,
                        threshold: 0.0,
                        code: code as u32,
                    });
                }
            }
        }
    }
    // One bit per (candidate, sampled row), computed once for every segment.
    let masks: Vec<Vec<bool>> = candidates
        .par_iter()
        .map(|c| rows.iter().map(|&r| holds(c, &sources, r)).collect())
        .collect();
    let in_sample: Vec<u32> = rows.iter().map(|&r| groups.index[r]).collect();

    let rules = (0..groups.n_segments())
        .into_par_iter()
        .filter(|&s| groups.size(s) >= m)
        .map(|s| {
            let target = s as u32;
            let positives = in_sample.iter().filter(|&&x| x == target).count();
            let f1 = |tp: usize, fp: usize| 2.0 * tp as f64 / (2 * tp + fp + positives - tp) as f64;
            let mut covered = vec![true; rows.len()];
            let mut current = f1(positives, rows.len() - positives);
            let mut chosen: Vec<usize> = Vec::new();
            for _ in 0..params.max_conditions {
                let mut best: Option<(f64, usize)> = None;
                for (c, mask) in masks.iter().enumerate() {
                    if chosen.contains(&c) {
                        continue;
                    }
                    let (mut tp, mut fp) = (0usize, 0usize);
                    for ((&cov, &hit), &seg) in covered.iter().zip(mask).zip(&in_sample) {
                        if cov && hit {
                            if seg == target {
                                tp += 1;
                            } else {
                                fp += 1;
                            }
                        }
                    }
                    if tp + fp < m || tp == 0 {
                        continue;
                    }
                    let score = f1(tp, fp);
                    if best.is_none_or(|(b, _)| score > b) {
                        best = Some((score, c));
                    }
                }
                match best {
                    Some((score, c)) if score > current + 1e-3 => {
                        current = score;
                        chosen.push(c);
                        for (cov, &hit) in covered.iter_mut().zip(&masks[c]) {
                            *cov &= hit;
                        }
                    }
                    _ => break,
                }
            }
            let size = groups.size(s);
            let (mut support, mut tp) = (0usize, 0usize);
            for row in 0..n {
                if chosen.iter().all(|&c| holds(&candidates[c], &sources, row)) {
                    support += 1;
                    tp += usize::from(groups.index[row] == target);
                }
            }
            SegmentRule {
                segment: groups.labels[s],
                conditions: chosen
                    .iter()
                    .map(|&c| candidates[c].condition.clone())
                    .collect(),
                support,
                coverage: tp as f64 / size as f64,
                precision: if support == 0 {
                    0.0
                } else {
                    tp as f64 / support as f64
                },
            }
        })
        .collect();
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_numbers() {
        assert_eq!(two_digits(1_234_567.0), 1_200_000.0);
        assert_eq!(readable(two_digits(1_234_567.0)), "1.2M");
        assert_eq!(readable(two_digits(15_321.0)), "15k");
        assert_eq!(readable(two_digits(24.4)), "24");
        assert_eq!(readable(two_digits(0.3512)), "0.35");
        assert_eq!(readable(0.0), "0");
    }

    #[test]
    fn finds_an_interval_and_a_category_and_is_seeded() {
        let n = 1_000;
        let ids = (0..n).map(|i| format!("C{i}")).collect();
        let mut t = CustomerTable::new(ids).unwrap();
        let x: Vec<f64> = (0..n).map(|i| (i % 100) as f64).collect();
        let channel: Vec<Option<&str>> = (0..n)
            .map(|i| Some(if i % 2 == 0 { "EDI" } else { "web" }))
            .collect();
        t.add_numeric("orders", x).unwrap();
        t.add_categorical("channel", &channel).unwrap();
        // segment 1: orders >= 50 and channel EDI
        let labels: Vec<usize> = (0..n)
            .map(|i| usize::from(i % 100 >= 50 && i % 2 == 0))
            .collect();
        let params = RuleParams {
            sample_size: 300,
            random_state: 3,
            ..RuleParams::default()
        };
        let rules = learn_rules(&t, &labels, &params).unwrap();
        let rule = &rules[1];
        // thresholds come from sample quantiles: exact up to the 5 % grid
        assert_eq!(rule.precision, 1.0, "{rule}");
        assert!(rule.coverage >= 0.9, "{rule}: {}", rule.coverage);
        let text = rule.to_string();
        assert!(
            text.contains("orders >= ") && text.contains("channel = EDI"),
            "{text}"
        );
        assert_eq!(learn_rules(&t, &labels, &params).unwrap(), rules);
        assert!(learn_rules(&t, &labels[1..], &params).is_err());
        assert!(RuleParams {
            max_conditions: 0,
            ..RuleParams::default()
        }
        .check()
        .is_err());
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<RuleParams>();
        is::<SegmentRule>();
    }
}
