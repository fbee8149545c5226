//! Segmentation of files as exports come ([`CsvJob`], the `segment_csv` command line): a
//! customer table, a transaction log or both, plain or compressed, comma-, semicolon- or
//! tab-separated CSV or Parquet, with columns recognised from English and German header names.
//!
//! Rules, in order:
//! - a customers file whose header has an invoice, a date and a customer column is a
//!   transaction log: without a transactions file it is read as one (and a note says so); with
//!   one it is an error ([`Error::TransactionLogAsCustomers`]);
//! - without a customer table, the table is derived from the log
//!   ([`CustomerTable::from_transactions`]): one row per customer, behaviour features only;
//! - every error names the file; a missing column names the columns the file has.

use super::{Segmenter, SegmenterParams};
use crate::data::{
    check_not_transaction_log, find_role, read_header, ColumnChoice, CustomerCsvOptions,
    CustomerTable, TransactionCsvOptions, TransactionLog, TransactionRole,
};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Customer id column names recognised in a customer CSV besides the customer role's names
/// ([`TransactionRole::Customer`]: `CustomerID`, `Kundennummer`, ...), in order of preference.
pub const CUSTOMER_ID_COLUMNS: [&str; 3] = ["customer_id", "id", "customer"];

/// What to segment: the files, the columns the user named, the parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsvJob {
    /// Customer table (one row per customer); `None`: derived from the transactions.
    pub customers: Option<PathBuf>,
    /// Transaction log (order or invoice lines).
    pub transactions: Option<PathBuf>,
    /// Id column of the customer table; `None`: recognised from the header (`customer_id`,
    /// `CustomerID`, `Kundennummer`, `ID`, ...), else the row number.
    pub id_column: Option<String>,
    /// Columns of the log the user named; the others are recognised from the header.
    pub columns: ColumnChoice,
    /// The Segmenter's parameters.
    pub params: SegmenterParams,
}

/// What [`CsvJob::run`] read and fitted.
#[derive(Debug, Clone)]
pub struct CsvSegmentation {
    /// The customer table as read (or derived from the log).
    pub customers: CustomerTable,
    /// The transaction log as read, if there was one.
    pub transactions: Option<TransactionLog>,
    /// The fitted model.
    pub model: Segmenter,
    /// What was decided on the user's behalf, in sentences (a log read as the transactions, the
    /// columns recognised, the derived customer table), for the user to check.
    pub notes: Vec<String>,
}

/// The header names of `path` contain an invoice, a date and a customer column.
fn header_of_a_log(names: &[String]) -> Option<String> {
    let invoice = find_role(names, TransactionRole::Invoice)?;
    let date = find_role(names, TransactionRole::Date)?;
    let customer = find_role(names, TransactionRole::Customer)?;
    Some(format!(
        "invoice `{invoice}`, date `{date}` and customer `{customer}` columns"
    ))
}

/// The id column of a customer table with this header, if one is recognised.
fn recognised_id_column(names: &[String]) -> Option<String> {
    find_role(names, TransactionRole::Customer)
        .map(str::to_string)
        .or_else(|| {
            CUSTOMER_ID_COLUMNS
                .iter()
                .find_map(|want| names.iter().find(|n| n.eq_ignore_ascii_case(want)).cloned())
        })
}

impl CsvJob {
    /// A job on a customer table (and optionally a log) with the default parameters.
    pub fn new(customers: Option<PathBuf>, transactions: Option<PathBuf>) -> CsvJob {
        CsvJob {
            customers,
            transactions,
            ..CsvJob::default()
        }
    }

    /// Reads the files and fits the Segmenter; see the [module docs](self) for the rules.
    ///
    /// ```
    /// use segcore::segmenter::{CsvJob, NClusters, SegmenterParams};
    /// let dir = std::env::temp_dir().join(format!("segcore-doc-job-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// // A shop export without a customer master: German headers, semicolons, no amount column.
    /// let mut text = String::from("Rechnungsnummer;Kundennummer;Datum;Menge;Einzelpreis\n");
    /// for i in 0..60 {
    ///     let (customer, price) = (i % 20, if i % 20 < 10 { 2.5 } else { 400.0 });
    ///     text.push_str(&format!("R{i};K{customer};{:02}.03.2025;{};{price}\n", 1 + i % 28, 1 + i % 3));
    /// }
    /// std::fs::write(dir.join("export.csv"), text)?;
    /// let mut job = CsvJob::new(None, Some(dir.join("export.csv")));
    /// job.params = SegmenterParams::new().n_clusters(NClusters::Fixed(2));
    /// let done = job.run()?;
    /// assert_eq!(done.customers.n_customers(), 20);
    /// assert!(done.notes.iter().any(|n| n.contains("Menge x Einzelpreis")), "{:?}", done.notes);
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run(&self) -> Result<CsvSegmentation> {
        let mut notes = Vec::new();
        let mut customers_path = self.customers.clone();
        let mut transactions_path = self.transactions.clone();
        let mut customer_header = None;
        if let Some(path) = &self.customers {
            let (delimiter, names) = read_header(path)?;
            if let Some(evidence) = header_of_a_log(&names) {
                if transactions_path.is_some() {
                    return Err(Error::TransactionLogAsCustomers {
                        source_name: path.display().to_string(),
                        evidence: format!("it has {evidence}"),
                        advice: "pass the customer master (one row per customer) as the \
                                 customers, or leave the customers out to derive them from the \
                                 transactions"
                            .into(),
                    });
                }
                notes.push(format!(
                    "{} has {evidence}: read as the transactions, not as customers",
                    path.display()
                ));
                transactions_path = customers_path.take();
            } else {
                customer_header = Some((delimiter, names));
            }
        }
        let transactions = match &transactions_path {
            Some(path) => Some(self.read_transactions(path, &mut notes)?),
            None => None,
        };
        let customers = match (&customers_path, &transactions) {
            (Some(path), _) => {
                let (delimiter, names) =
                    customer_header.expect("read above for every customers file");
                self.read_customers(path, delimiter, &names, &mut notes)?
            }
            (None, Some(log)) => {
                notes.push(format!(
                    "no customer table: {} customers derived from the transactions (behaviour \
                     features only)",
                    log.customer_ids().len()
                ));
                CustomerTable::from_transactions(log)
            }
            (None, None) => {
                return Err(Error::Usage {
                    problem: "nothing to segment: name a customers file (--customers FILE), a \
                              transactions file (--transactions FILE) or both"
                        .into(),
                })
            }
        };
        let model = self.params.fit(&customers, transactions.as_ref())?;
        Ok(CsvSegmentation {
            customers,
            transactions,
            model,
            notes,
        })
    }

    fn read_transactions(&self, path: &Path, notes: &mut Vec<String>) -> Result<TransactionLog> {
        let (delimiter, names) = read_header(path)?;
        let source = path.display().to_string();
        let mut options = TransactionCsvOptions::recognise(&names, &source, &self.columns)?;
        options.delimiter = delimiter;
        let amount = match (&options.unit_price, &options.quantity) {
            (Some(price), Some(quantity)) => format!("{quantity} x {price}"),
            _ => options.amount.clone(),
        };
        notes.push(format!(
            "{source}: customer `{}`, date `{}`, amount {amount}{}",
            options.customer,
            options.date,
            [
                ("margin", &options.margin),
                ("product category", &options.product_category),
                ("channel", &options.channel),
            ]
            .iter()
            .filter_map(|(role, c)| c.as_ref().map(|c| format!(", {role} `{c}`")))
            .collect::<String>()
        ));
        TransactionLog::from_csv_path(path, &options)
    }

    fn read_customers(
        &self,
        path: &Path,
        delimiter: u8,
        names: &[String],
        notes: &mut Vec<String>,
    ) -> Result<CustomerTable> {
        let source = path.display().to_string();
        let mut options = CustomerCsvOptions::default().with_delimiter(delimiter);
        let id = match &self.id_column {
            Some(id) => Some(id.clone()),
            None => recognised_id_column(names),
        };
        match &id {
            Some(id) => options = options.with_id_column(id),
            None => notes.push(format!(
                "{source}: no customer id column recognised; customers are numbered by row \
                 (name the id column to link them to the transactions)"
            )),
        }
        let table = CustomerTable::from_csv_path(path, &options)?;
        check_not_transaction_log(&table, &source)?;
        Ok(table)
    }
}

/// Reads `customers_csv` (one row per customer; the id column is recognised from the header,
/// else the row number) and, when given, `transactions_csv` (columns recognised from English
/// and German header names; amount = quantity x unit price when there is no amount column),
/// then fits `params`: a [`CsvJob`] with these files. Errors name the file, the line and the
/// column.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("segcore-doc-csv-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let mut text = String::from("customer_id,revenue,region\n");
/// for i in 0..40 {
///     let (revenue, region) = if i % 2 == 0 { (1.0e4 + i as f64, "north") } else { (9.0e6 + i as f64, "south") };
///     text.push_str(&format!("C{i},{revenue},{region}\n"));
/// }
/// std::fs::write(dir.join("customers.csv"), text)?;
/// let params = segcore::segmenter::SegmenterParams::new()
///     .n_clusters(segcore::segmenter::NClusters::Fixed(2));
/// let done = segcore::segmenter::segment_csv(dir.join("customers.csv"), None::<&str>, &params)?;
/// assert_eq!(done.model.n_segments(), 2);
/// assert_ne!(done.model.labels()[0], done.model.labels()[1]);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn segment_csv(
    customers_csv: impl AsRef<Path>,
    transactions_csv: Option<impl AsRef<Path>>,
    params: &SegmenterParams,
) -> Result<CsvSegmentation> {
    CsvJob {
        customers: Some(customers_csv.as_ref().to_path_buf()),
        transactions: transactions_csv.map(|p| p.as_ref().to_path_buf()),
        params: params.clone(),
        ..CsvJob::default()
    }
    .run()
}
