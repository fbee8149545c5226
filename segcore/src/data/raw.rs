//! Transaction rows as an export or a DataFrame gives them, and the one rule that turns them into
//! a [`TransactionLog`]: every row enters the log, or the first bad one is an error naming its
//! column and row ([`OnInvalid::Raise`]), or bad rows are dropped and counted
//! ([`OnInvalid::Skip`]). No row is lost without a count.
//!
//! A row is bad when its customer id is missing, its date is missing or unparseable, or its amount
//! or margin is not finite (checked in that order; the first problem of a row is the one named).

use super::{CategoricalColumn, Date, TransactionLog};
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The columns of a transaction log by role, with the names the API uses when none are given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransactionColumns {
    /// Customer id column (default `customer_id`).
    pub customer: String,
    /// Date column (default `date`).
    pub date: String,
    /// Amount column (default `amount`; negative = return).
    pub amount: String,
    /// Gross margin column (default `margin`; optional in the data).
    pub margin: String,
}

impl Default for TransactionColumns {
    fn default() -> Self {
        TransactionColumns {
            customer: "customer_id".into(),
            date: "date".into(),
            amount: "amount".into(),
            margin: "margin".into(),
        }
    }
}

/// What happens to transaction rows that cannot enter the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnInvalid {
    /// The first bad row is an error naming its column and row (default).
    #[default]
    Raise,
    /// Bad rows are dropped and counted ([`RawLog::skipped`]).
    Skip,
}

impl OnInvalid {
    /// Parses `"raise"` or `"skip"`.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "raise" => Ok(OnInvalid::Raise),
            "skip" => Ok(OnInvalid::Skip),
            other => Err(Error::invalid_parameter(
                "on_invalid",
                format!("'{other}'"),
                "'raise' or 'skip'",
            )),
        }
    }
}

/// Transaction rows before validation. Customer codes index `customer_ids`
/// ([`CategoricalColumn::MISSING`] = missing id); a row listed in `date_problems` has an unusable
/// date (its entry in `dates` is a placeholder).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawTransactions {
    /// Customer code of every row.
    pub codes: Vec<u32>,
    /// Distinct customer ids.
    pub customer_ids: Vec<String>,
    /// Date of every row (a placeholder where `date_problems` names the row).
    pub dates: Vec<Date>,
    /// Rows whose date is missing or unparseable and why, in row order.
    pub date_problems: Vec<(usize, String)>,
    /// Amount of every row.
    pub amounts: Vec<f64>,
    /// Optional margin of every row.
    pub margin: Option<Vec<f64>>,
    /// Optional product category: codes into categories.
    pub product_category: Option<(Vec<u32>, Vec<String>)>,
    /// Optional sales channel: codes into categories.
    pub channel: Option<(Vec<u32>, Vec<String>)>,
    /// The user's names of the columns, for messages.
    pub columns: TransactionColumns,
}

/// A validated log and what the validation dropped.
#[derive(Debug, Clone)]
pub struct RawLog {
    /// The log of the kept rows.
    pub log: TransactionLog,
    /// Rows dropped under [`OnInvalid::Skip`].
    pub skipped: usize,
    /// When rows were dropped: the input row of every log row, so later errors can name the
    /// user's row.
    pub kept_rows: Option<Vec<u32>>,
}

/// Dates, and the rows without a usable one with the reason (row order).
pub type DatesWithProblems = (Vec<Date>, Vec<(usize, String)>);

/// Dates from integer time units since 1970-01-01 (`units_per_day` of them a day, e.g. 1 for
/// days, 86 400 000 000 000 for nanoseconds; `i64::MIN` = missing, as pandas' NaT), floored to
/// the day, with the rows that have no usable date.
pub fn dates_from_units(units: &[i64], units_per_day: i64) -> Result<DatesWithProblems> {
    if units_per_day < 1 {
        return Err(Error::invalid_parameter(
            "date units per day",
            units_per_day,
            "at least 1",
        ));
    }
    let convert = |u: i64| -> Option<Date> {
        if u == i64::MIN {
            return None;
        }
        // Floor: a time of day before midnight of 1970-01-01 is still Dec 31.
        i32::try_from(u.div_euclid(units_per_day))
            .ok()
            .and_then(|d| Date::from_days_since_epoch(d).ok())
    };
    // A division per row: in parallel (a map, so the thread count changes nothing); the rows
    // left at the placeholder are looked at again for their problem.
    let dates: Vec<Date> = units
        .par_iter()
        .map(|&u| convert(u).unwrap_or(Date::EPOCH))
        .collect();
    let mut problems = Vec::new();
    for (row, (&u, &date)) in units.iter().zip(&dates).enumerate() {
        if date != Date::EPOCH || convert(u).is_some() {
            continue;
        }
        if u == i64::MIN {
            problems.push((row, "missing date (NaT)".to_string()));
        } else {
            let day = u.div_euclid(units_per_day);
            problems.push((
                row,
                format!("{day} days since 1970-01-01 is outside years 1..=9999"),
            ));
        }
    }
    Ok((dates, problems))
}

/// Dates parsed from text ([`Date::parse`]'s formats), with the rows that do not parse.
pub fn dates_from_text<S: AsRef<str>>(texts: &[S]) -> DatesWithProblems {
    let mut problems = Vec::new();
    let dates = texts
        .iter()
        .enumerate()
        .map(|(row, text)| match Date::parse(text.as_ref()) {
            Ok(date) => date,
            Err(e) => {
                let message = match e {
                    Error::Parse { message, .. } => message,
                    other => other.to_string(),
                };
                problems.push((row, message));
                Date::EPOCH
            }
        })
        .collect();
    (dates, problems)
}

/// Keeps the entries whose row is kept (a no-op move when nothing is dropped).
fn kept<T>(values: Vec<T>, keep: Option<&[bool]>) -> Vec<T> {
    match keep {
        None => values,
        Some(keep) => values
            .into_iter()
            .zip(keep)
            .filter(|&(_, &k)| k)
            .map(|(v, _)| v)
            .collect(),
    }
}

fn non_finite(column: &str, row: usize, value: f64) -> Error {
    Error::NonFiniteValue {
        what: format!("transactions column `{column}`"),
        row,
        column: 0,
        value,
    }
}

impl RawTransactions {
    /// The first problem of `row`, if any: missing id, then date, amount, margin.
    fn row_problem(&self, row: usize, date_problem: Option<&(usize, String)>) -> Option<Error> {
        let columns = &self.columns;
        let parse_error = |column: &str, message: String| Error::Parse {
            source_name: "transactions".into(),
            line: row,
            column: column.to_string(),
            message,
        };
        if self.codes[row] == CategoricalColumn::MISSING {
            return Some(parse_error(
                &columns.customer,
                format!("missing customer id (row {row} of the DataFrame)"),
            ));
        }
        if let Some((_, message)) = date_problem.filter(|(r, _)| *r == row) {
            return Some(parse_error(
                &columns.date,
                format!("{message} (row {row} of the DataFrame)"),
            ));
        }
        if !self.amounts[row].is_finite() {
            return Some(non_finite(&columns.amount, row, self.amounts[row]));
        }
        self.margin
            .as_ref()
            .filter(|m| !m[row].is_finite())
            .map(|m| non_finite(&columns.margin, row, m[row]))
    }

    /// The log of these rows under `on_invalid`: the first bad row is an error naming its column
    /// and row ([`OnInvalid::Raise`]), or bad rows are dropped and counted ([`OnInvalid::Skip`]).
    /// A row is bad when its id or date is missing or unusable or its amount or margin is not
    /// finite.
    ///
    /// ```
    /// use segcore::data::{CategoricalColumn, Date, OnInvalid, RawTransactions};
    ///
    /// let raw = RawTransactions {
    ///     codes: vec![0, CategoricalColumn::MISSING, 1],
    ///     customer_ids: vec!["A".into(), "B".into()],
    ///     dates: vec![Date::from_ymd(2025, 1, 2)?; 3],
    ///     amounts: vec![10.0, 5.0, f64::NAN],
    ///     ..RawTransactions::default()
    /// };
    /// assert!(raw.clone().into_log(OnInvalid::Raise).is_err());
    /// let kept = raw.into_log(OnInvalid::Skip)?;
    /// assert_eq!((kept.log.n_transactions(), kept.skipped), (1, 2));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn into_log(self, on_invalid: OnInvalid) -> Result<RawLog> {
        let n = self.codes.len();
        for (name, len) in [
            ("dates", self.dates.len()),
            ("amounts", self.amounts.len()),
            ("margin", self.margin.as_ref().map_or(n, Vec::len)),
        ] {
            if len != n {
                return Err(Error::invalid_parameter(
                    name,
                    format!("{len} values"),
                    format!("one per transaction row ({n})"),
                ));
            }
        }
        let mut keep: Option<Vec<bool>> = None;
        let mut skipped = 0;
        let mut date_problems = self.date_problems.iter().peekable();
        // The usual clean log: no row to look at one by one.
        let clean = self.date_problems.is_empty()
            && !self
                .codes
                .par_iter()
                .any(|&c| c == CategoricalColumn::MISSING)
            && self.amounts.par_iter().all(|a| a.is_finite())
            && self
                .margin
                .as_ref()
                .is_none_or(|m| m.par_iter().all(|a| a.is_finite()));
        for row in if clean { 0..0 } else { 0..n } {
            let problem = self.row_problem(row, date_problems.peek().copied());
            while date_problems.peek().is_some_and(|(r, _)| *r <= row) {
                date_problems.next();
            }
            if let Some(error) = problem {
                if on_invalid == OnInvalid::Raise {
                    return Err(error);
                }
                keep.get_or_insert_with(|| vec![true; n])[row] = false;
                skipped += 1;
            }
        }
        let kept_rows = keep.as_ref().map(|keep| {
            (0..n as u32)
                .filter(|&row| keep[row as usize])
                .collect::<Vec<u32>>()
        });
        let keep = keep.as_deref();
        let mut log = TransactionLog::new(
            self.customer_ids,
            kept(self.codes, keep),
            kept(self.dates, keep),
            kept(self.amounts, keep),
        )?;
        if let Some(margin) = self.margin {
            log = log.with_margin(kept(margin, keep))?;
        }
        if let Some((codes, categories)) = self.product_category {
            log = log.with_product_category(CategoricalColumn::from_codes(
                categories,
                kept(codes, keep),
            )?)?;
        }
        if let Some((codes, categories)) = self.channel {
            log = log.with_channel(CategoricalColumn::from_codes(
                categories,
                kept(codes, keep),
            )?)?;
        }
        Ok(RawLog {
            log,
            skipped,
            kept_rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawTransactions {
        let (dates, date_problems) =
            dates_from_text(&["2025-01-02", "not a date", "2025-02-03", "2025-02-04"]);
        RawTransactions {
            codes: vec![0, 0, CategoricalColumn::MISSING, 1],
            customer_ids: vec!["A".into(), "B".into()],
            dates,
            date_problems,
            amounts: vec![1.0, 2.0, 3.0, f64::INFINITY],
            margin: None,
            product_category: None,
            channel: None,
            columns: TransactionColumns::default(),
        }
    }

    #[test]
    fn raise_names_the_first_bad_row_and_column() {
        let err = raw().into_log(OnInvalid::Raise).unwrap_err().to_string();
        assert!(err.contains("date") && err.contains("row 1"), "{err}");
    }

    #[test]
    fn skip_drops_and_counts_every_bad_row() {
        let kept = raw().into_log(OnInvalid::Skip).unwrap();
        assert_eq!(kept.skipped, 3);
        assert_eq!(kept.log.n_transactions(), 1);
        assert_eq!(kept.kept_rows.as_deref(), Some(&[0u32][..]));
        let clean = RawTransactions {
            codes: vec![0],
            customer_ids: vec!["A".into()],
            dates: vec![Date::EPOCH],
            amounts: vec![1.0],
            ..RawTransactions::default()
        };
        let all = clean.into_log(OnInvalid::Skip).unwrap();
        assert_eq!((all.skipped, all.kept_rows), (0, None));
    }

    #[test]
    fn dates_from_units_floor_and_flag_missing() {
        let ns_per_day = 86_400_000_000_000;
        let (dates, problems) =
            dates_from_units(&[0, -1, i64::MIN, ns_per_day * 3], ns_per_day).unwrap();
        assert_eq!(dates[0], Date::EPOCH);
        assert_eq!(dates[1], Date::from_days_since_epoch(-1).unwrap());
        assert_eq!(dates[3], Date::from_days_since_epoch(3).unwrap());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, 2);
        assert!(dates_from_units(&[0], 0).is_err());
        assert_eq!(OnInvalid::from_name("skip").unwrap(), OnInvalid::Skip);
        assert!(OnInvalid::from_name("ignore").is_err());
    }

    #[test]
    fn lengths_must_agree() {
        let mut r = raw();
        r.amounts.pop();
        assert!(r.into_log(OnInvalid::Skip).is_err());
    }
}
