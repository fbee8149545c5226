//! The transaction log: one row per order line (or invoice), stored by column.

use super::date::Date;
use super::ids::CustomerIds;
use super::table::{CategoricalColumn, CategoryEncoder};
use crate::error::{Error, Result};
use crate::validation::check_finite_column;

/// Order lines of many customers: customer, date, amount and optional margin, quantity,
/// product category and sales channel, stored by column.
///
/// Customers are dictionary-encoded (`customer_ids[customer_codes[row]]` is the customer of
/// `row`) so a line costs 4 bytes for its customer whatever the id length. Amounts are net of
/// nothing: a negative amount is a return or credit note. `margin` is the gross margin of the
/// line in the same currency as `amount` (not a rate). Every number is finite: a `NaN` amount is
/// an error naming its row, never a silent zero.
///
/// ```
/// use segcore::data::{Date, TransactionLog};
/// let d = |s| Date::parse(s).unwrap();
/// let log = TransactionLog::from_ids(
///     &["C1", "C2", "C1"],
///     vec![d("2025-01-10"), d("2025-02-01"), d("2025-03-05")],
///     vec![1200.0, 80.0, -100.0],
/// )?
/// .with_margin(vec![300.0, 20.0, -25.0])?;
/// assert_eq!(log.n_transactions(), 3);
/// assert_eq!(log.customer_id(2), "C1");
/// assert_eq!(log.date_range(), Some((d("2025-01-10"), d("2025-03-05"))));
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransactionLog {
    /// Interned once, shared with [`CustomerTable::from_log_customers`](super::CustomerTable::from_log_customers).
    customer_ids: CustomerIds,
    customer_codes: Vec<u32>,
    dates: Vec<Date>,
    amounts: Vec<f64>,
    margin: Option<Vec<f64>>,
    quantity: Option<Vec<f64>>,
    product_category: Option<CategoricalColumn>,
    channel: Option<CategoricalColumn>,
}

impl TransactionLog {
    /// Builds a log from dictionary-encoded customers, dates and amounts.
    ///
    /// Checks: `customer_ids` distinct, every code indexes `customer_ids`, all lengths equal,
    /// all amounts finite (the error names the first bad row).
    pub fn new(
        customer_ids: Vec<String>,
        customer_codes: Vec<u32>,
        dates: Vec<Date>,
        amounts: Vec<f64>,
    ) -> Result<TransactionLog> {
        if customer_ids.len() >= u32::MAX as usize {
            return Err(Error::invalid_parameter(
                "customer_ids",
                format!("{} ids", customer_ids.len()),
                format!("fewer than {} customer ids", u32::MAX),
            ));
        }
        let customer_ids = CustomerIds::new(customer_ids).map_err(|d| {
            Error::invalid_parameter(
                "customer_ids",
                format!("`{}` at positions {} and {}", d.id, d.first, d.second),
                "distinct customer ids (the dictionary of the customer codes)",
            )
        })?;
        Self::from_interned(customer_ids, customer_codes, dates, amounts)
    }

    /// [`new`](Self::new) for ids already interned (distinct by construction).
    pub(crate) fn from_interned(
        customer_ids: CustomerIds,
        customer_codes: Vec<u32>,
        dates: Vec<Date>,
        amounts: Vec<f64>,
    ) -> Result<TransactionLog> {
        let n = customer_codes.len();
        for (what, len) in [("dates", dates.len()), ("amounts", amounts.len())] {
            if len != n {
                return Err(Error::ShapeMismatch {
                    what: format!("transaction log `{what}` (one per customer code)"),
                    expected: n,
                    got: len,
                });
            }
        }
        let n_ids = customer_ids.len();
        if let Some(row) = customer_codes.iter().position(|&c| c as usize >= n_ids) {
            return Err(Error::invalid_parameter(
                "customer_codes",
                format!("{} at row {row}", customer_codes[row]),
                format!("a code below {n_ids} (the number of customer ids)"),
            ));
        }
        check_finite_column(&amounts, "amounts")?;
        Ok(TransactionLog {
            customer_ids,
            customer_codes,
            dates,
            amounts,
            margin: None,
            quantity: None,
            product_category: None,
            channel: None,
        })
    }

    /// Builds a log from one customer id per row (encoded here in order of first appearance).
    pub fn from_ids(
        customers: &[&str],
        dates: Vec<Date>,
        amounts: Vec<f64>,
    ) -> Result<TransactionLog> {
        let mut encoder = CategoryEncoder::default();
        let codes = customers.iter().map(|c| encoder.encode(Some(c))).collect();
        TransactionLog::from_interned(encoder.into_interned(), codes, dates, amounts)
    }

    fn check_len(&self, what: &str, len: usize) -> Result<()> {
        if len != self.n_transactions() {
            return Err(Error::ShapeMismatch {
                what: format!("transaction log `{what}` (one per transaction)"),
                expected: self.n_transactions(),
                got: len,
            });
        }
        Ok(())
    }

    /// Adds the gross margin per line (currency units, finite, negative on returns).
    pub fn with_margin(mut self, margin: Vec<f64>) -> Result<TransactionLog> {
        self.check_len("margin", margin.len())?;
        check_finite_column(&margin, "margin")?;
        self.margin = Some(margin);
        Ok(self)
    }

    /// Adds the quantity per line (finite, negative on returns).
    pub fn with_quantity(mut self, quantity: Vec<f64>) -> Result<TransactionLog> {
        self.check_len("quantity", quantity.len())?;
        check_finite_column(&quantity, "quantity")?;
        self.quantity = Some(quantity);
        Ok(self)
    }

    /// Adds the product category per line.
    pub fn with_product_category(mut self, column: CategoricalColumn) -> Result<TransactionLog> {
        self.check_len("product_category", column.len())?;
        self.product_category = Some(column);
        Ok(self)
    }

    /// Adds the sales channel per line.
    pub fn with_channel(mut self, column: CategoricalColumn) -> Result<TransactionLog> {
        self.check_len("channel", column.len())?;
        self.channel = Some(column);
        Ok(self)
    }

    /// Number of transaction rows.
    pub fn n_transactions(&self) -> usize {
        self.customer_codes.len()
    }

    /// `true` when the log has no rows.
    pub fn is_empty(&self) -> bool {
        self.customer_codes.is_empty()
    }

    /// The distinct customer ids (the dictionary of [`customer_codes`](Self::customer_codes)).
    pub fn customer_ids(&self) -> &[String] {
        self.customer_ids.as_slice()
    }

    /// The interned ids, to share with a customer table.
    pub(crate) fn interned_customer_ids(&self) -> &CustomerIds {
        &self.customer_ids
    }

    /// Per row, the index of its customer in [`customer_ids`](Self::customer_ids).
    pub fn customer_codes(&self) -> &[u32] {
        &self.customer_codes
    }

    /// The customer id of `row`.
    ///
    /// # Panics
    /// If `row >= n_transactions()`.
    pub fn customer_id(&self, row: usize) -> &str {
        &self.customer_ids.as_slice()[self.customer_codes[row] as usize]
    }

    /// Dates per row.
    pub fn dates(&self) -> &[Date] {
        &self.dates
    }

    /// Amounts per row (negative = return / credit note).
    pub fn amounts(&self) -> &[f64] {
        &self.amounts
    }

    /// Gross margin per row, if the log has one.
    pub fn margin(&self) -> Option<&[f64]> {
        self.margin.as_deref()
    }

    /// Quantity per row, if the log has one.
    pub fn quantity(&self) -> Option<&[f64]> {
        self.quantity.as_deref()
    }

    /// Product category per row, if the log has one.
    pub fn product_category(&self) -> Option<&CategoricalColumn> {
        self.product_category.as_ref()
    }

    /// Sales channel per row, if the log has one.
    pub fn channel(&self) -> Option<&CategoricalColumn> {
        self.channel.as_ref()
    }

    /// First and last date, `None` for an empty log.
    pub fn date_range(&self) -> Option<(Date, Date)> {
        let first = *self.dates.iter().min()?;
        let last = *self.dates.iter().max()?;
        Some((first, last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn checks_lengths_codes_and_finiteness() {
        let ok = TransactionLog::new(
            vec!["a".into()],
            vec![0, 0],
            vec![d("2025-01-01"); 2],
            vec![1.0, 2.0],
        );
        assert!(ok.is_ok());
        assert!(matches!(
            TransactionLog::new(
                vec!["a".into()],
                vec![0, 0],
                vec![d("2025-01-01")],
                vec![1.0, 2.0]
            ),
            Err(Error::ShapeMismatch {
                expected: 2,
                got: 1,
                ..
            })
        ));
        assert!(matches!(
            TransactionLog::new(
                vec!["a".into()],
                vec![0, 1],
                vec![d("2025-01-01"); 2],
                vec![1.0, 2.0]
            ),
            Err(Error::InvalidParameter {
                name: "customer_codes",
                ..
            })
        ));
        assert!(matches!(
            TransactionLog::new(
                vec!["a".into(), "a".into()],
                vec![0],
                vec![d("2025-01-01")],
                vec![1.0]
            ),
            Err(Error::InvalidParameter {
                name: "customer_ids",
                ..
            })
        ));
        let err = TransactionLog::from_ids(
            &["a", "b", "a"],
            vec![d("2025-01-01"); 3],
            vec![1.0, 2.0, f64::NAN],
        )
        .unwrap_err();
        assert!(matches!(err, Error::NonFiniteValue { row: 2, .. }), "{err}");
        assert!(err.to_string().contains("amounts"));
        let log = ok.unwrap();
        assert!(log.clone().with_margin(vec![1.0]).is_err());
        assert!(log.clone().with_quantity(vec![1.0, f64::INFINITY]).is_err());
        assert!(log
            .clone()
            .with_channel(CategoricalColumn::from_values(&[Some("EDI")]))
            .is_err());
        let full = log
            .with_margin(vec![0.5, 0.5])
            .unwrap()
            .with_quantity(vec![1.0, 1.0])
            .unwrap()
            .with_product_category(CategoricalColumn::from_values(&[Some("x"), None]))
            .unwrap();
        assert_eq!(full.margin(), Some(&[0.5, 0.5][..]));
        assert_eq!(full.product_category().unwrap().get(0), Some("x"));
        assert!(full.channel().is_none());
    }

    #[test]
    fn encodes_ids_in_order_of_appearance() {
        let log = TransactionLog::from_ids(
            &["b", "a", "b"],
            vec![d("2025-01-02"), d("2025-01-01"), d("2025-01-03")],
            vec![1.0; 3],
        )
        .unwrap();
        assert_eq!(log.customer_ids(), ["b", "a"]);
        assert_eq!(log.customer_codes(), [0, 1, 0]);
        assert_eq!(log.customer_id(1), "a");
        assert_eq!(log.date_range(), Some((d("2025-01-01"), d("2025-01-03"))));
        let empty = TransactionLog::from_ids(&[], vec![], vec![]).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.date_range(), None);
    }

    #[test]
    fn is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<TransactionLog>();
    }
}
