//! Customer data model: customer table, transaction log, CSV reading.
//!
//! - [`Date`]: calendar dates as days since 1970-01-01.
//! - [`CustomerTable`]: one row per customer, numeric (`NaN` = missing) and dictionary-encoded
//!   categorical columns ([`CategoricalColumn`], missing = [`CategoricalColumn::MISSING`]).
//! - [`factorize_integers`] / [`factorize_text`]: dense codes of an id column (integers, Arrow
//!   strings) in order of first appearance.
//! - [`TransactionLog`]: order lines (customer, date, amount, optional margin, quantity, product
//!   category, channel).
//! - [`RawTransactions`]: rows as an export gives them, validated into a log under
//!   [`OnInvalid`] (raise on the first bad row, or skip and count).
//! - CSV: [`CustomerTable::from_csv_path`] with [`CustomerCsvOptions`] and
//!   [`TransactionLog::from_csv_path`] with [`TransactionCsvOptions`].

mod csv;
pub(crate) use csv::csv_reader;
mod date;
mod factorize;
mod ids;
mod raw;
mod table;
mod transactions;

pub use self::csv::{CustomerCsvOptions, TransactionCsvOptions};
pub use self::date::Date;
pub use self::factorize::{
    factorize_integers, factorize_text, Factorized, TextChunk, Validity,
    MISSING as FACTORIZED_MISSING,
};
pub use self::raw::{
    dates_from_text, dates_from_units, DatesWithProblems, OnInvalid, RawLog, RawTransactions,
    TransactionColumns,
};
pub use self::table::{CategoricalColumn, Column, ColumnData, CustomerTable};
pub use self::transactions::TransactionLog;
