//! Customer data model: customer table, transaction log, CSV reading.
//!
//! - [`Date`]: calendar dates as days since 1970-01-01.
//! - [`CustomerTable`]: one row per customer, numeric (`NaN` = missing) and dictionary-encoded
//!   categorical columns ([`CategoricalColumn`], missing = [`CategoricalColumn::MISSING`]).
//! - [`factorize_integers`] / [`factorize_text`]: dense codes of an id column (integers, Arrow
//!   strings) in order of first appearance.
//! - [`fit_categories`] / [`category_codes`]: the sorted categories and codes of categorical
//!   columns given value by value (k-prototypes, latent class analysis, MCA).
//! - [`TransactionLog`]: order lines (customer, date, amount, optional margin, quantity, product
//!   category, channel).
//! - [`RawTransactions`]: rows as an export gives them, validated into a log under
//!   [`OnInvalid`] (raise on the first bad row, or skip and count).
//! - CSV: [`CustomerTable::from_csv_path`] with [`CustomerCsvOptions`] and
//!   [`TransactionLog::from_csv_path`] with [`TransactionCsvOptions`]; plain, gzip or zstd
//!   ([`open_input`]), columns recognised from English and German header names
//!   ([`TransactionCsvOptions::recognise`], [`TransactionRole`]); Parquet files through the
//!   same readers ([`parquet`]: column types mapped onto the CSV reader's cells).
//! - [`CustomerTable::from_transactions`]: the customer table of a shop without a customer
//!   master; [`check_not_transaction_log`] refuses a log given as the customer table.

mod categories;
mod csv;
mod date;
mod factorize;
mod ids;
mod input;
pub mod parquet;
mod raw;
mod roles;
mod table;
mod transactions;

pub use self::categories::{
    category_codes, fit_categories, select_columns, CategoricalValues, Category, CategoryRows,
    ColumnRef, MissingCategories, UnseenCategories, MISSING as CATEGORY_MISSING,
};
pub use self::csv::{CustomerCsvOptions, TransactionCsvOptions};
pub use self::date::Date;
pub use self::factorize::{
    factorize_integers, factorize_text, Factorized, TextChunk, Validity,
    MISSING as FACTORIZED_MISSING,
};
pub use self::input::{input_format, open_input, read_header, sniff_delimiter, InputFormat};
pub use self::raw::{
    dates_from_text, dates_from_units, DatesWithProblems, OnInvalid, RawLog, RawTransactions,
    TransactionColumns,
};
pub use self::roles::{
    check_not_transaction_log, find_role, frame_transaction_columns, line_amounts,
    normalise_header, recognise_transaction_columns, ColumnChoice, TransactionRole,
};
pub use self::table::{CategoricalColumn, Column, ColumnData, CustomerTable};
pub use self::transactions::TransactionLog;
