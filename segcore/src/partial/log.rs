//! A transaction log scored in pieces: what makes a Segmenter's `predict` with a log run on the
//! partitions of a Dask or Spark log.
//!
//! Invariant: every partition holds all lines of its customers (the engine shuffles the log and
//! the customer table by customer, so a customer's row and lines land in one partition), and
//! every partition is measured at one date, [`Segmenter::default_as_of`] of the log's last date
//! over all partitions (the maximum of [`last_date`] per partition; a maximum, so the merge order
//! does not matter). Then [`Segmenter::predict_at`] on each partition gives every customer the
//! assignment [`Segmenter::predict`] gives on the whole log: behaviour features are per
//! customer, and a customer's lines keep their log order when the engine sorts each partition
//! by the original line position.
//!
//! [`Segmenter::default_as_of`]: crate::segmenter::Segmenter::default_as_of
//! [`Segmenter::predict_at`]: crate::segmenter::Segmenter::predict_at
//! [`Segmenter::predict`]: crate::segmenter::Segmenter::predict

use crate::data::{Date, DatesWithProblems};

/// The last date of one partition's transaction dates as [`crate::data::dates_from_units`] /
/// [`crate::data::dates_from_text`] read them (`None`: no usable date). Rows without a usable
/// date are left out here; the scoring pass reports them with their row, as the in-memory
/// predict does.
///
/// ```
/// use segcore::data::{dates_from_text, Date};
/// use segcore::partial::last_date;
///
/// let dates = dates_from_text(&["2025-03-01", "not a date", "2025-01-31"]);
/// assert_eq!(last_date(&dates), Some(Date::parse("2025-03-01")?));
/// assert_eq!(last_date(&dates_from_text::<&str>(&[])), None);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn last_date(dates: &DatesWithProblems) -> Option<Date> {
    let (values, problems) = dates;
    let mut bad = problems.iter().map(|(row, _)| *row).peekable();
    let mut last: Option<Date> = None;
    for (row, &date) in values.iter().enumerate() {
        if bad.peek() == Some(&row) {
            bad.next();
            continue;
        }
        last = Some(last.map_or(date, |l| l.max(date)));
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{dates_from_units, CustomerTable, TransactionLog};
    use crate::datasets::{make_b2b, B2bParams};
    use crate::segmenter::{NClusters, SegmenterParams};

    #[test]
    fn missing_dates_are_left_out() {
        let dates = dates_from_units(&[i64::MIN, 3, 1, i64::MIN], 1).unwrap();
        assert_eq!(last_date(&dates), Date::from_days_since_epoch(3).ok());
        let none = dates_from_units(&[i64::MIN], 1).unwrap();
        assert_eq!(last_date(&none), None);
    }

    /// The rows of `table` whose id satisfies `keep`.
    fn customers_where(table: &CustomerTable, keep: impl Fn(usize) -> bool) -> CustomerTable {
        use crate::data::ColumnData;
        let rows: Vec<usize> = (0..table.n_customers()).filter(|&r| keep(r)).collect();
        let mut part =
            CustomerTable::new(rows.iter().map(|&r| table.ids()[r].clone()).collect()).unwrap();
        for column in table.columns() {
            match &column.data {
                ColumnData::Numeric(v) => part
                    .add_numeric(&column.name, rows.iter().map(|&r| v[r]).collect())
                    .unwrap(),
                ColumnData::Categorical(c) => {
                    let values: Vec<Option<&str>> = rows.iter().map(|&r| c.get(r)).collect();
                    part.add_categorical(&column.name, &values).unwrap()
                }
            }
        }
        part
    }

    /// The lines of `log` whose customer satisfies `keep`, in log order.
    fn lines_where(log: &TransactionLog, keep: impl Fn(&str) -> bool) -> TransactionLog {
        let rows: Vec<usize> = (0..log.n_transactions())
            .filter(|&r| keep(log.customer_id(r)))
            .collect();
        let ids: Vec<&str> = rows.iter().map(|&r| log.customer_id(r)).collect();
        TransactionLog::from_ids(
            &ids,
            rows.iter().map(|&r| log.dates()[r]).collect(),
            rows.iter().map(|&r| log.amounts()[r]).collect(),
        )
        .unwrap()
    }

    #[test]
    fn scoring_by_customer_partitions_equals_scoring_the_whole_log() {
        let data = make_b2b(&B2bParams {
            n_customers: 400,
            ..B2bParams::default()
        })
        .unwrap();
        let log = lines_where(&data.transactions, |_| true);
        let model = SegmenterParams::new()
            .n_clusters(NClusters::Fixed(4))
            .fit(&data.customers, Some(&log))
            .unwrap();
        assert!(model.reads_transactions());
        let whole = model.predict(&data.customers, Some(&log)).unwrap();
        let part_of = |id: &str| id.bytes().map(usize::from).sum::<usize>() % 3;
        let pieces: Vec<(CustomerTable, TransactionLog)> = (0..3)
            .map(|p| {
                (
                    customers_where(&data.customers, |r| part_of(&data.customers.ids()[r]) == p),
                    lines_where(&log, |id| part_of(id) == p),
                )
            })
            .collect();
        let last = pieces
            .iter()
            .filter_map(|(_, piece)| last_date(&(piece.dates().to_vec(), Vec::new())))
            .max();
        let as_of = model.default_as_of(last).unwrap();
        let mut checked = 0;
        for (customers, piece) in &pieces {
            let assigned = model.predict_at(customers, Some(piece), as_of).unwrap();
            for (id, a) in customers.ids().iter().zip(&assigned) {
                let row = data.customers.index_of_id(id).unwrap();
                assert_eq!(a, &whole[row], "customer {id}");
                checked += 1;
            }
        }
        assert_eq!(checked, data.customers.n_customers());
        // An empty piece of log is fine with an explicit date: its customers have no orders.
        let empty = lines_where(&log, |_| false);
        let alone = model.predict_at(&pieces[0].0, Some(&empty), as_of).unwrap();
        assert_eq!(alone.len(), pieces[0].0.n_customers());
    }
}
