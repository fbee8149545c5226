//! Per-customer purchase histories (frequency, recency, T, monetary value) from a transaction
//! log, with the definitions of lifetimes' `summary_data_from_transaction_data`.

use super::TimeUnit;
use crate::data::{Date, TransactionLog};
use crate::error::{Error, Result};
use rayon::prelude::*;

/// The purchase history of every customer with a transaction on or before the observation end,
/// in the order the log first names them.
///
/// All times are whole periods of the summary's [`TimeUnit`]: a date belongs to its day,
/// Monday-to-Sunday week or calendar month.
#[derive(Clone, Debug, PartialEq)]
pub struct ClvSummary {
    /// Per row, the customer's index in the log's [`customer_ids`](TransactionLog::customer_ids).
    pub customer_index: Vec<u32>,
    /// Repeat purchase periods: periods with a transaction, minus the first.
    pub frequency: Vec<f64>,
    /// Periods from the first to the last period with a transaction.
    pub recency: Vec<f64>,
    /// Periods from the first period with a transaction to the observation end's (lifetimes'
    /// `T`).
    pub age: Vec<f64>,
    /// Mean over the repeat periods of the amount summed per period (the first period left
    /// out); 0 without repeat purchases.
    pub monetary_value: Vec<f64>,
    /// The observation end (inclusive: its whole period counts).
    pub observation_end: Date,
    /// Log lines dated in a period after the observation end's, left out.
    pub n_lines_after_end: usize,
}

/// Index of the period that holds `date`: consecutive periods have consecutive indices.
fn period_of(date: Date, unit: TimeUnit) -> Result<i32> {
    let days = date.days_since_epoch();
    match unit {
        TimeUnit::Day => Ok(days),
        // 1970-01-01 was a Thursday: shifting by 3 days starts weeks on Mondays (pandas' W-SUN).
        TimeUnit::Week => Ok((days + 3).div_euclid(7)),
        TimeUnit::Month => {
            let (year, month, _) = date.to_ymd();
            Ok(year * 12 + month as i32 - 1)
        }
        TimeUnit::Hour => Err(Error::invalid_parameter(
            "freq",
            "\"H\"",
            "\"D\", \"W\" or \"M\" (the log's dates have no time of day)",
        )),
    }
}

/// Summarises a transaction log into one purchase history per customer, exactly as lifetimes'
/// `summary_data_from_transaction_data(transactions, customer, date, amount,
/// observation_period_end, freq)`:
///
/// - dates are mapped to their period (day, week starting Monday, calendar month); lines in a
///   period after the observation end's are left out (counted in
///   [`n_lines_after_end`](ClvSummary::n_lines_after_end)); the observation end defaults to the
///   last date of the log;
/// - `frequency` = number of distinct periods with a line - 1; `recency` = last - first period;
///   `T` = observation end's period - first period;
/// - `monetary_value` = mean of the per-period amount sums over the periods after the first
///   (returns and zero amounts included as lifetimes includes them), 0 for one-period
///   customers.
///
/// Linear in the log (a counting sort by customer, then each customer's lines sorted by period
/// and amount, in parallel), so the result does not depend on the order of the lines.
///
/// ```
/// use segcore::clv::{clv_summary, TimeUnit};
/// use segcore::data::{Date, TransactionLog};
/// let d = |s| Date::parse(s).unwrap();
/// let log = TransactionLog::from_ids(
///     &["A", "A", "A", "B"],
///     vec![d("2025-01-03"), d("2025-01-03"), d("2025-03-09"), d("2025-02-01")],
///     vec![10.0, 5.0, 30.0, 8.0],
/// )?;
/// let s = clv_summary(&log, Some(d("2025-03-10")), TimeUnit::Day)?;
/// assert_eq!(s.frequency, [1.0, 0.0]);
/// assert_eq!(s.recency, [65.0, 0.0]);
/// assert_eq!(s.age, [66.0, 37.0]);
/// assert_eq!(s.monetary_value, [30.0, 0.0]);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn clv_summary(
    log: &TransactionLog,
    observation_end: Option<Date>,
    unit: TimeUnit,
) -> Result<ClvSummary> {
    let Some((_, last)) = log.date_range() else {
        return Err(Error::EmptyInput {
            what: "the transaction log has no lines".into(),
        });
    };
    let observation_end = observation_end.unwrap_or(last);
    let end_period = period_of(observation_end, unit)?;
    let n_customers = log.customer_ids().len();
    let codes = log.customer_codes();
    let dates = log.dates();
    let amounts = log.amounts();

    // Periods of every line (in parallel), then a counting sort of the kept lines by customer.
    let periods: Vec<i32> = dates
        .par_iter()
        .with_min_len(1 << 14)
        .map(|&d| period_of(d, unit))
        .collect::<Result<_>>()?;
    let mut offsets = vec![0usize; n_customers + 1];
    let mut n_lines_after_end = 0;
    for (&code, &period) in codes.iter().zip(&periods) {
        if period > end_period {
            n_lines_after_end += 1;
        } else {
            offsets[code as usize + 1] += 1;
        }
    }
    for c in 0..n_customers {
        offsets[c + 1] += offsets[c];
    }
    let kept = offsets[n_customers];
    let mut lines = vec![(0i32, 0.0f64); kept];
    let mut cursor = offsets.clone();
    for ((&code, &period), &amount) in codes.iter().zip(&periods).zip(amounts) {
        if period <= end_period {
            let slot = &mut cursor[code as usize];
            lines[*slot] = (period, amount);
            *slot += 1;
        }
    }
    drop(periods);

    // One mutable slice of lines per customer, then each customer in parallel.
    let mut slices: Vec<(u32, &mut [(i32, f64)])> = Vec::with_capacity(n_customers);
    let mut rest: &mut [(i32, f64)] = &mut lines;
    for c in 0..n_customers {
        let (mine, tail) = rest.split_at_mut(offsets[c + 1] - offsets[c]);
        rest = tail;
        if !mine.is_empty() {
            slices.push((c as u32, mine));
        }
    }
    if slices.is_empty() {
        return Err(Error::EmptyInput {
            what: format!("no transaction on or before the observation end {observation_end}"),
        });
    }
    let rows: Vec<(u32, [f64; 4])> = slices
        .into_par_iter()
        .with_min_len(256)
        .map(|(code, lines)| (code, summarise(lines, end_period)))
        .collect();
    let mut summary = ClvSummary {
        customer_index: Vec::with_capacity(rows.len()),
        frequency: Vec::with_capacity(rows.len()),
        recency: Vec::with_capacity(rows.len()),
        age: Vec::with_capacity(rows.len()),
        monetary_value: Vec::with_capacity(rows.len()),
        observation_end,
        n_lines_after_end,
    };
    for (code, [frequency, recency, age, monetary]) in rows {
        summary.customer_index.push(code);
        summary.frequency.push(frequency);
        summary.recency.push(recency);
        summary.age.push(age);
        summary.monetary_value.push(monetary);
    }
    Ok(summary)
}

/// `[frequency, recency, T, monetary_value]` of one customer's (non-empty) lines.
fn summarise(lines: &mut [(i32, f64)], end_period: i32) -> [f64; 4] {
    lines.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let first = lines[0].0;
    let last = lines[lines.len() - 1].0;
    let mut periods = 0usize;
    let mut repeat_total = 0.0;
    let mut i = 0;
    while i < lines.len() {
        let period = lines[i].0;
        let mut sum = 0.0;
        while i < lines.len() && lines[i].0 == period {
            sum += lines[i].1;
            i += 1;
        }
        if periods > 0 {
            repeat_total += sum;
        }
        periods += 1;
    }
    let frequency = (periods - 1) as f64;
    let monetary = if periods > 1 {
        repeat_total / frequency
    } else {
        0.0
    };
    [
        frequency,
        f64::from(last - first),
        f64::from(end_period - first),
        monetary,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_end_is_inclusive() {
        // 2025-01-03 (Fri) and 2025-01-05 (Sun) share the week of Mon 2024-12-30.
        let log = TransactionLog::from_ids(
            &["1", "1", "1", "2", "2", "2"],
            vec![
                d("2025-01-03"),
                d("2025-01-05"),
                d("2025-03-09"),
                d("2025-01-06"),
                d("2025-02-28"),
                d("2025-03-11"),
            ],
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 100.0],
        )
        .unwrap();
        // Same numbers as lifetimes' summary with observation_period_end="2025-03-10".
        let weeks = clv_summary(&log, Some(d("2025-03-10")), TimeUnit::Week).unwrap();
        assert_eq!(weeks.frequency, [1.0, 2.0]);
        assert_eq!(weeks.recency, [9.0, 9.0]);
        assert_eq!(weeks.age, [10.0, 9.0]);
        assert_eq!(weeks.monetary_value, [3.0, 52.5]);
        // 2025-03-11 is in the observation end's week (Mon 03-10 .. Sun 03-16): kept.
        assert_eq!(weeks.n_lines_after_end, 0);
        let days = clv_summary(&log, Some(d("2025-03-10")), TimeUnit::Day).unwrap();
        assert_eq!(days.frequency, [2.0, 1.0]);
        assert_eq!(days.recency, [65.0, 53.0]);
        assert_eq!(days.age, [66.0, 63.0]);
        assert_eq!(days.monetary_value, [2.5, 5.0]);
        assert_eq!(days.n_lines_after_end, 1);
        let months = clv_summary(&log, None, TimeUnit::Month).unwrap();
        assert_eq!(months.frequency, [1.0, 2.0]);
        assert_eq!(months.age, [2.0, 2.0]);
        assert_eq!(months.monetary_value, [3.0, 52.5]);
        assert!(clv_summary(&log, None, TimeUnit::Hour).is_err());
        assert!(clv_summary(&log, Some(d("2020-01-01")), TimeUnit::Day).is_err());
        let empty = TransactionLog::from_ids(&[], vec![], vec![]).unwrap();
        assert!(clv_summary(&empty, None, TimeUnit::Day).is_err());
    }

    #[test]
    fn line_order_does_not_matter() {
        let ids = ["a", "b", "a", "a", "b", "c"];
        let dates = [
            "2024-05-01",
            "2024-05-02",
            "2024-06-01",
            "2024-05-01",
            "2024-07-09",
            "2024-07-01",
        ];
        let amounts = [3.0, 1.0, 2.5, -1.0, 0.0, 9.0];
        let forward =
            TransactionLog::from_ids(&ids, dates.iter().map(|s| d(s)).collect(), amounts.to_vec())
                .unwrap();
        let mut order: Vec<usize> = (0..6).collect();
        order.reverse();
        let backward = TransactionLog::from_ids(
            &order.iter().map(|&i| ids[i]).collect::<Vec<_>>(),
            order.iter().map(|&i| d(dates[i])).collect(),
            order.iter().map(|&i| amounts[i]).collect(),
        )
        .unwrap();
        let a = clv_summary(&forward, None, TimeUnit::Day).unwrap();
        let b = clv_summary(&backward, None, TimeUnit::Day).unwrap();
        // Customers come in order of first appearance; compare by id.
        for (i, &code) in a.customer_index.iter().enumerate() {
            let id = &forward.customer_ids()[code as usize];
            let j = b
                .customer_index
                .iter()
                .position(|&c| &backward.customer_ids()[c as usize] == id)
                .unwrap();
            assert_eq!(
                (a.frequency[i], a.recency[i], a.age[i], a.monetary_value[i]),
                (b.frequency[j], b.recency[j], b.age[j], b.monetary_value[j])
            );
        }
        assert_eq!(a.monetary_value[0], 2.5);
    }
}
