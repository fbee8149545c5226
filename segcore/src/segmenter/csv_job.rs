//! [`segment_csv`]: the Segmenter on CSV files the user names (the `segment_csv` example).

use super::{Segmenter, SegmenterParams};
use crate::data::{CustomerCsvOptions, CustomerTable, TransactionCsvOptions, TransactionLog};
use crate::error::{Error, Result};
use std::path::Path;

/// Customer id column names recognised in a customer CSV, in order of preference.
pub const CUSTOMER_ID_COLUMNS: [&str; 3] = ["customer_id", "id", "customer"];

/// What [`segment_csv`] read and fitted.
#[derive(Debug, Clone)]
pub struct CsvSegmentation {
    /// The customer table as read.
    pub customers: CustomerTable,
    /// The transaction log as read, if one was named.
    pub transactions: Option<TransactionLog>,
    /// The fitted model.
    pub model: Segmenter,
}

/// The header names of a CSV file (delimiter `,`), naming the file in errors; the header line is
/// bounded like every line the crate reads (16 MiB), so a gigabyte field there is an
/// error, not a gigabyte buffer.
fn header(path: &Path) -> Result<Vec<String>> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut reader = crate::data::csv_reader(std::io::BufReader::new(file), b',');
    let headers = reader.headers().map_err(|e| Error::Parse {
        source_name: path.display().to_string(),
        line: 1,
        column: String::new(),
        message: format!("cannot read the header: {e}"),
    })?;
    Ok(headers.iter().map(|h| h.trim().to_string()).collect())
}

/// Reads `customers_csv` (one row per customer; the id column is the first of
/// [`CUSTOMER_ID_COLUMNS`] in the header, else the row number) and, when given,
/// `transactions_csv` (columns `customer_id`, `date`, `amount`, and when present `margin`,
/// `quantity`, `product_category`, `channel`), then fits `params`. Errors name the file, the line
/// and the column.
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
    let customers_csv = customers_csv.as_ref();
    let names = header(customers_csv)?;
    let mut options = CustomerCsvOptions::default();
    if let Some(id) = CUSTOMER_ID_COLUMNS
        .iter()
        .find(|id| names.iter().any(|n| n == *id))
    {
        options = options.with_id_column(id);
    }
    let customers = CustomerTable::from_csv_path(customers_csv, &options)?;
    let transactions = match transactions_csv {
        Some(path) => {
            let path = path.as_ref();
            let names = header(path)?;
            let optional = |name: &str| names.iter().any(|n| n == name).then(|| name.to_string());
            let options = TransactionCsvOptions {
                margin: optional("margin"),
                quantity: optional("quantity"),
                product_category: optional("product_category"),
                channel: optional("channel"),
                ..TransactionCsvOptions::default()
            };
            Some(TransactionLog::from_csv_path(path, &options)?)
        }
        None => None,
    };
    let model = params.fit(&customers, transactions.as_ref())?;
    Ok(CsvSegmentation {
        customers,
        transactions,
        model,
    })
}
