//! RFM scoring: quantile scores for recency, frequency and monetary value, and named RFM
//! segments from a rule table the user can replace.
//!
//! **Scores.** Among the *scored* customers (those with at least one order: `frequency > 0`),
//! each of recency, frequency and monetary value is ranked, and the ranks are cut into
//! `n_scores` equal-count bins (default 5), score 1 = worst, `n_scores` = best (lowest recency,
//! highest frequency and monetary value). This is `pandas.qcut(x.rank(method="first"), q)`:
//! - **ties** are broken by table order (`rank(method="first")`): equal values can land on both
//!   sides of a score boundary, which keeps the bins equal-sized (frequency has many ties: most
//!   B2B customers order a few times). For recency, whose best score goes to the *smallest*
//!   value, the earlier row among equal recencies gets the better score;
//! - rank `r` of `n` gets the smallest score `s` with `r <= 1 + s (n - 1) / q`, computed exactly
//!   in integers (`q (r - 1) <= s (n - 1)`). pandas computes the same edges in floating point;
//!   for `q = 5` (and 2, 3, 4, 7 to 10) the two agree on every `n` up to 3000 (tested); for
//!   `q = 6` pandas' rounding moves a rank sitting exactly on an edge one score up;
//! - a single scored customer gets the middle score `(q + 1) / 2` rounded up (pandas refuses to
//!   cut one value);
//! - customers without orders get score 0 ("not scored") on all three and the
//!   [`no_orders`](RfmRules::no_orders) segment.
//!
//! **Segments.** A rule names a segment and an inclusive score range for each of R, F and M;
//! the first matching rule wins and a scored customer matching none gets the
//! [`unmatched`](RfmRules::unmatched) segment. The default table ([`RfmRules::default`]) is the
//! widely used R x F grid for 5 scores (M is scored but left to custom tables: in B2B it mostly
//! follows F), with `Lost` split off `Hibernating`:
//!
//! | R \ F | 1 | 2 | 3 | 4 | 5 |
//! |---|---|---|---|---|---|
//! | 5 | New | Potential loyalists | Potential loyalists | Champions | Champions |
//! | 4 | Promising | Potential loyalists | Potential loyalists | Loyal | Loyal |
//! | 3 | About to sleep | About to sleep | Need attention | Loyal | Loyal |
//! | 2 | Hibernating | Hibernating | At risk | At risk | Can't lose them |
//! | 1 | Lost | Lost | At risk | At risk | Can't lose them |

use crate::error::{Error, Result};

/// One row of an RFM rule table: a segment name and inclusive score ranges.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RfmRule {
    /// The segment's name.
    pub segment: String,
    /// Inclusive range of the recency score.
    pub recency: (u8, u8),
    /// Inclusive range of the frequency score.
    pub frequency: (u8, u8),
    /// Inclusive range of the monetary score.
    pub monetary: (u8, u8),
}

impl RfmRule {
    /// A rule for `segment` with inclusive `(min, max)` ranges of the R, F and M scores.
    pub fn new(
        segment: &str,
        recency: (u8, u8),
        frequency: (u8, u8),
        monetary: (u8, u8),
    ) -> RfmRule {
        RfmRule {
            segment: segment.to_string(),
            recency,
            frequency,
            monetary,
        }
    }

    fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        let within = |(lo, hi): (u8, u8), s: u8| lo <= s && s <= hi;
        within(self.recency, r) && within(self.frequency, f) && within(self.monetary, m)
    }
}

/// An ordered RFM rule table: the first matching rule names the segment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RfmRules {
    /// The rules, tried in order.
    pub rules: Vec<RfmRule>,
    /// Segment of a scored customer that no rule matches.
    pub unmatched: String,
    /// Segment of a customer without orders (not scored).
    pub no_orders: String,
}

impl Default for RfmRules {
    /// The 11-segment R x F grid of the [module documentation](self), for 5 scores.
    fn default() -> Self {
        let any = (1, 5);
        let rule = |name: &str, r: (u8, u8), f: (u8, u8)| RfmRule::new(name, r, f, any);
        RfmRules {
            rules: vec![
                rule("Champions", (5, 5), (4, 5)),
                rule("Loyal", (3, 4), (4, 5)),
                rule("Potential loyalists", (4, 5), (2, 3)),
                rule("New", (5, 5), (1, 1)),
                rule("Promising", (4, 4), (1, 1)),
                rule("Need attention", (3, 3), (3, 3)),
                rule("About to sleep", (3, 3), (1, 2)),
                rule("Can't lose them", (1, 2), (5, 5)),
                rule("At risk", (1, 2), (3, 4)),
                rule("Hibernating", (2, 2), (1, 2)),
                rule("Lost", (1, 1), (1, 2)),
            ],
            unmatched: "Other".into(),
            no_orders: "No orders".into(),
        }
    }
}

/// Parameters of [`rfm_scores`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RfmParams {
    /// Number of score levels (default 5: quintiles), 2 to 10.
    pub n_scores: u8,
    /// The segment rule table (default: [`RfmRules::default`]).
    pub rules: RfmRules,
}

impl Default for RfmParams {
    fn default() -> Self {
        RfmParams {
            n_scores: 5,
            rules: RfmRules::default(),
        }
    }
}

impl RfmParams {
    /// Sets [`n_scores`](Self::n_scores) from any integer (e.g. a caller's 64-bit value): an
    /// error naming the value given when it is outside 2..=10, never a truncated one.
    pub fn score_levels(mut self, n_scores: u64) -> Result<Self> {
        self.n_scores = score_levels(n_scores)?;
        Ok(self)
    }

    /// Sets [`n_scores`](Self::n_scores).
    pub fn n_scores(mut self, n_scores: u8) -> Self {
        self.n_scores = n_scores;
        self
    }

    /// Sets [`rules`](Self::rules).
    pub fn rules(mut self, rules: RfmRules) -> Self {
        self.rules = rules;
        self
    }

    /// Checks: `n_scores` in 2..=10; at least one rule; every rule named, with ranges
    /// `1 <= min <= max <= n_scores` (the default table needs `n_scores = 5`).
    pub fn check(&self) -> Result<()> {
        score_levels(u64::from(self.n_scores))?;
        if self.rules.rules.is_empty() {
            return Err(Error::invalid_parameter(
                "rules",
                "an empty rule table",
                "at least one rule",
            ));
        }
        let q = self.n_scores;
        for (i, rule) in self.rules.rules.iter().enumerate() {
            if rule.segment.is_empty() {
                return Err(Error::invalid_parameter(
                    "rules",
                    format!("rule {i} without a segment name"),
                    "a non-empty segment name per rule",
                ));
            }
            for (axis, (lo, hi)) in [
                ("recency", rule.recency),
                ("frequency", rule.frequency),
                ("monetary", rule.monetary),
            ] {
                if !(1 <= lo && lo <= hi && hi <= q) {
                    return Err(Error::invalid_parameter(
                        "rules",
                        format!("rule {i} (`{}`): {axis} range {lo}..={hi}", rule.segment),
                        format!("1 <= min <= max <= n_scores ({q})"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// RFM scores and segments per customer, in input order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RfmScores {
    /// Recency score (`n_scores` = most recent; 0 = not scored).
    pub recency_score: Vec<u8>,
    /// Frequency score (`n_scores` = most frequent; 0 = not scored).
    pub frequency_score: Vec<u8>,
    /// Monetary score (`n_scores` = highest value; 0 = not scored).
    pub monetary_score: Vec<u8>,
    /// Segment per customer, an index into [`segment_names`](Self::segment_names).
    pub segment: Vec<u16>,
    /// The rules' segment names (each once, in rule order), then `unmatched`, then `no_orders`.
    pub segment_names: Vec<String>,
}

impl RfmScores {
    /// The segment name of customer `i`.
    ///
    /// # Panics
    /// If `i` is out of range.
    pub fn segment_name(&self, i: usize) -> &str {
        &self.segment_names[self.segment[i] as usize]
    }

    /// The RFM cell of every customer as text, the three scores written one after the other
    /// (`"545"`; `"000"` for a customer without orders), dictionary-encoded: `cells[codes[i]]`
    /// is customer `i`'s cell, the distinct cells in order of first appearance.
    ///
    /// ```
    /// use segcore::features::rfm::{rfm_scores, RfmParams};
    /// let s = rfm_scores(&[5.0, 50.0, f64::NAN], &[4.0, 1.0, 0.0], &[900.0, 10.0, 0.0],
    ///                    &RfmParams::default())?;
    /// let (codes, cells) = s.cells();
    /// assert_eq!(codes, [0, 1, 2]);
    /// assert_eq!(cells[2], "000"); // no orders
    /// // The recent, frequent, big customer scores higher on every letter.
    /// assert!(cells[0].bytes().zip(cells[1].bytes()).all(|(a, b)| a > b), "{cells:?}");
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn cells(&self) -> (Vec<u32>, Vec<String>) {
        // Scores are at most 10: a direct table of 11^3 keys.
        const LEVELS: usize = 11;
        const KEYS: usize = LEVELS * LEVELS * LEVELS;
        let mut table = vec![u32::MAX; KEYS];
        let mut cells = Vec::new();
        let codes = self
            .recency_score
            .iter()
            .zip(&self.frequency_score)
            .zip(&self.monetary_score)
            .map(|((&r, &f), &m)| {
                let key = (usize::from(r) * LEVELS + usize::from(f)) * LEVELS + usize::from(m);
                let slot = &mut table[key.min(KEYS - 1)];
                if *slot == u32::MAX {
                    *slot = cells.len() as u32;
                    cells.push(format!("{r}{f}{m}"));
                }
                *slot
            })
            .collect();
        (codes, cells)
    }
}

/// `n_scores` checked: 2..=10 score levels.
fn score_levels(n_scores: u64) -> Result<u8> {
    match u8::try_from(n_scores) {
        Ok(n) if (2..=10).contains(&n) => Ok(n),
        _ => Err(Error::invalid_parameter(
            "n_scores",
            n_scores,
            "2..=10 score levels",
        )),
    }
}

/// Equal-count quantile scores `1..=n_scores` of `values` ranked with ties broken by position
/// (`pandas.qcut(x.rank(method="first"), n_scores, labels=False) + 1`); `None` entries get 0.
///
/// With `higher_is_better = false` the scores are reversed (`n_scores + 1 - score`, pandas'
/// `labels=[5, 4, 3, 2, 1]`): the smallest value gets the best score, and among equal values
/// the earlier one (lower rank) gets the better score.
///
/// ```
/// use segcore::features::rfm::quantile_scores;
/// let scores = quantile_scores(&[Some(10.0), Some(3.0), None, Some(3.0), Some(50.0)], 2, true)?;
/// assert_eq!(scores, [2, 1, 0, 1, 2]);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn quantile_scores(
    values: &[Option<f64>],
    n_scores: u8,
    higher_is_better: bool,
) -> Result<Vec<u8>> {
    score_levels(u64::from(n_scores))?;
    if let Some(row) = values
        .iter()
        .position(|v| v.is_some_and(|x| !x.is_finite()))
    {
        return Err(Error::NonFiniteValue {
            what: "values to score".into(),
            row,
            column: 0,
            value: values[row].unwrap_or(f64::NAN),
        });
    }
    let mut order: Vec<(f64, usize)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|x| (x, i)))
        .collect();
    // Ascending, equal values by position: rank(method="first").
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut scores = vec![0u8; values.len()];
    let n = order.len() as u64;
    let q = u64::from(n_scores);
    for (rank0, &(_, i)) in order.iter().enumerate() {
        scores[i] = if n == 1 {
            n_scores.div_ceil(2).max(1)
        } else {
            // Smallest s >= 1 with q (r - 1) <= s (n - 1), r = rank0 + 1.
            let s = (q * rank0 as u64).div_ceil(n - 1).max(1);
            let s = u8::try_from(s).expect("a score is at most n_scores <= 10");
            if higher_is_better {
                s
            } else {
                n_scores + 1 - s
            }
        };
    }
    Ok(scores)
}

/// Scores and segments customers from their recency (days), frequency (orders) and monetary
/// value, as produced by [`behaviour_features`](crate::features::behaviour_features).
///
/// Customers with `frequency == 0` are not scored (score 0, segment `no_orders`); their recency
/// may be `NaN`. A scored customer needs finite values (the error names the row and column).
///
/// ```
/// use segcore::features::rfm::{rfm_scores, RfmParams};
/// let recency = [5.0, 200.0, 30.0, f64::NAN, 400.0];
/// let frequency = [12.0, 1.0, 4.0, 0.0, 9.0];
/// let monetary = [9e4, 500.0, 2e4, 0.0, 5e4];
/// let rfm = rfm_scores(&recency, &frequency, &monetary, &RfmParams::default().n_scores(5))?;
/// assert_eq!(rfm.recency_score, [5, 2, 4, 0, 1]);
/// assert_eq!(rfm.segment_name(0), "Champions");
/// assert_eq!(rfm.segment_name(3), "No orders");
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn rfm_scores(
    recency_days: &[f64],
    frequency: &[f64],
    monetary: &[f64],
    params: &RfmParams,
) -> Result<RfmScores> {
    params.check()?;
    let n = frequency.len();
    for (what, len) in [
        ("recency_days", recency_days.len()),
        ("monetary", monetary.len()),
    ] {
        if len != n {
            return Err(Error::ShapeMismatch {
                what: format!("`{what}` (one value per customer, as `frequency`)"),
                expected: n,
                got: len,
            });
        }
    }
    if let Some(row) = frequency.iter().position(|f| !f.is_finite() || *f < 0.0) {
        return Err(Error::NonFiniteValue {
            what: "frequency (must be a finite count >= 0)".into(),
            row,
            column: 1,
            value: frequency[row],
        });
    }
    let scored = |values: &[f64], column: usize, what: &str| -> Result<Vec<Option<f64>>> {
        values
            .iter()
            .zip(frequency)
            .enumerate()
            .map(|(row, (&v, &f))| {
                if f == 0.0 {
                    Ok(None)
                } else if v.is_finite() {
                    Ok(Some(v))
                } else {
                    Err(Error::NonFiniteValue {
                        what: format!("{what} of a customer with orders"),
                        row,
                        column,
                        value: v,
                    })
                }
            })
            .collect()
    };
    let q = params.n_scores;
    let recency_score = quantile_scores(&scored(recency_days, 0, "recency_days")?, q, false)?;
    let frequency_score = quantile_scores(&scored(frequency, 1, "frequency")?, q, true)?;
    let monetary_score = quantile_scores(&scored(monetary, 2, "monetary")?, q, true)?;

    let rules = &params.rules;
    let mut segment_names: Vec<String> = Vec::new();
    let rule_segment: Vec<u16> = rules
        .rules
        .iter()
        .map(|rule| intern(&mut segment_names, &rule.segment))
        .collect();
    let unmatched = intern(&mut segment_names, &rules.unmatched);
    let no_orders = intern(&mut segment_names, &rules.no_orders);
    let segment = (0..n)
        .map(|i| {
            let (r, f, m) = (recency_score[i], frequency_score[i], monetary_score[i]);
            if f == 0 {
                return no_orders;
            }
            rules
                .rules
                .iter()
                .position(|rule| rule.matches(r, f, m))
                .map_or(unmatched, |k| rule_segment[k])
        })
        .collect();
    Ok(RfmScores {
        recency_score,
        frequency_score,
        monetary_score,
        segment,
        segment_names,
    })
}

/// Index of `name` in `names`, appending it when new (rule tables are short: a scan is enough).
fn intern(names: &mut Vec<String>, name: &str) -> u16 {
    let index = names.iter().position(|n| n == name).unwrap_or_else(|| {
        names.push(name.to_string());
        names.len() - 1
    });
    u16::try_from(index).expect("rule tables are checked to hold far fewer than 65536 names")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_spell_the_three_scores() {
        let scores = RfmScores {
            recency_score: vec![5, 1, 5, 10, 0],
            frequency_score: vec![4, 1, 4, 10, 0],
            monetary_score: vec![3, 2, 3, 1, 0],
            segment: vec![0; 5],
            segment_names: vec!["x".into()],
        };
        let (codes, cells) = scores.cells();
        assert_eq!(codes, [0, 1, 0, 2, 3]);
        assert_eq!(cells, ["543", "112", "10101", "000"]);
    }

    #[test]
    fn scores_follow_the_exact_rank_edges() {
        // 10 distinct values, 5 scores: two per score.
        let values: Vec<Option<f64>> = (0..10).map(|i| Some(f64::from(i))).collect();
        assert_eq!(
            quantile_scores(&values, 5, true).unwrap(),
            [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
        assert_eq!(
            quantile_scores(&values, 5, false).unwrap(),
            [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
        );
        // 7 values, q = 5: edges at ranks 1, 2.2, 3.4, 4.6, 5.8, 7 (pandas.qcut gives the same).
        let seven: Vec<Option<f64>> = (0..7).map(|i| Some(f64::from(i))).collect();
        assert_eq!(
            quantile_scores(&seven, 5, true).unwrap(),
            [1, 1, 2, 3, 4, 5, 5]
        );
    }

    #[test]
    fn ties_are_broken_by_position_and_missing_values_score_zero() {
        let v = [Some(1.0), Some(1.0), None, Some(1.0), Some(1.0)];
        assert_eq!(quantile_scores(&v, 2, true).unwrap(), [1, 1, 0, 2, 2]);
        // Lower is better: the earlier of equal values still ranks first (gets the best score).
        assert_eq!(quantile_scores(&v, 2, false).unwrap(), [2, 2, 0, 1, 1]);
        assert_eq!(quantile_scores(&[Some(3.0)], 5, true).unwrap(), [3]);
        assert_eq!(quantile_scores(&[None, None], 5, true).unwrap(), [0, 0]);
        assert!(quantile_scores(&[Some(f64::NAN)], 5, true).is_err());
        assert!(quantile_scores(&v, 1, true).is_err());
    }

    #[test]
    fn default_rules_cover_every_score_combination() {
        let params = RfmParams::default();
        params.check().unwrap();
        for r in 1..=5 {
            for f in 1..=5 {
                let hits: Vec<&str> = params
                    .rules
                    .rules
                    .iter()
                    .filter(|rule| rule.matches(r, f, 3))
                    .map(|rule| rule.segment.as_str())
                    .collect();
                assert_eq!(hits.len(), 1, "R{r} F{f}: {hits:?}");
            }
        }
        let names: Vec<&str> = params
            .rules
            .rules
            .iter()
            .map(|r| r.segment.as_str())
            .collect();
        assert_eq!(names.len(), 11);
        assert!(names.contains(&"Lost") && names.contains(&"Can't lose them"));
    }

    #[test]
    fn segments_from_scores_and_custom_rules() {
        // 10 customers with orders + one without; recency and frequency make the grid corners.
        let recency: Vec<f64> = (0..10)
            .map(|i| f64::from(i) * 10.0 + 1.0)
            .chain([f64::NAN])
            .collect();
        let frequency: Vec<f64> = (0..10).map(|i| f64::from(10 - i)).chain([0.0]).collect();
        let monetary: Vec<f64> = (0..10).map(f64::from).chain([-5.0]).collect();
        let rfm = rfm_scores(&recency, &frequency, &monetary, &RfmParams::default()).unwrap();
        assert_eq!(rfm.recency_score[..10], [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        assert_eq!(rfm.frequency_score[..10], [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        assert_eq!(rfm.monetary_score[..10], [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(rfm.segment_name(0), "Champions");
        assert_eq!(rfm.segment_name(2), "Loyal");
        assert_eq!(rfm.segment_name(4), "Need attention");
        assert_eq!(rfm.segment_name(6), "Hibernating");
        assert_eq!(rfm.segment_name(9), "Lost");
        assert_eq!(rfm.segment_name(10), "No orders");
        assert_eq!(
            (
                rfm.recency_score[10],
                rfm.frequency_score[10],
                rfm.monetary_score[10]
            ),
            (0, 0, 0)
        );
        // A custom table using M, with a fallback.
        let rules = RfmRules {
            rules: vec![RfmRule::new("Big spenders", (1, 3), (1, 3), (3, 3))],
            unmatched: "Everyone else".into(),
            no_orders: "Prospects".into(),
        };
        let params = RfmParams::default().n_scores(3).rules(rules);
        let rfm = rfm_scores(&recency, &frequency, &monetary, &params).unwrap();
        assert_eq!(rfm.segment_name(9), "Big spenders");
        assert_eq!(rfm.segment_name(0), "Everyone else");
        assert_eq!(rfm.segment_name(10), "Prospects");
        assert_eq!(
            rfm.segment_names,
            ["Big spenders", "Everyone else", "Prospects"]
        );
    }

    #[test]
    fn bad_parameters_and_inputs_are_named() {
        let err = RfmParams::default()
            .n_scores(3)
            .check()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Champions") && err.contains("n_scores (3)"),
            "{err}"
        );
        assert!(RfmParams::default().n_scores(11).check().is_err());
        // A large value is reported as given, not truncated to 8 bits.
        let err = RfmParams::default()
            .score_levels(1000)
            .unwrap_err()
            .to_string();
        assert!(err.contains("1000"), "{err}");
        let empty = RfmRules {
            rules: vec![],
            ..RfmRules::default()
        };
        assert!(RfmParams::default().rules(empty).check().is_err());
        let err = rfm_scores(
            &[1.0, f64::NAN],
            &[1.0, 2.0],
            &[1.0, 1.0],
            &RfmParams::default(),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::NonFiniteValue {
                    row: 1,
                    column: 0,
                    ..
                }
            ),
            "{err}"
        );
        assert!(matches!(
            rfm_scores(&[1.0], &[1.0, 2.0], &[1.0, 1.0], &RfmParams::default()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(rfm_scores(&[1.0], &[-1.0], &[1.0], &RfmParams::default()).is_err());
    }

    #[test]
    fn types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<RfmParams>();
        assert_send_sync::<RfmScores>();
    }
}
