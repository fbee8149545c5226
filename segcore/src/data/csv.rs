//! CSV reading for customer tables and transaction logs.
//!
//! Every malformed value is an [`Error::Parse`] naming the source, the 1-based line (the header is
//! line 1) and the column; a missing required column is an [`Error::MissingColumn`] naming the
//! source and listing its header. Fields are trimmed; CRLF and LF line ends both work. Files are
//! opened through [`open_input`](super::open_input): gzip and zstd are decompressed on the fly.
//! A Parquet file (recognised by its first bytes) is decoded into the same cells
//! ([`parquet`](super::parquet)), so everything after the reader is shared.

use super::date::parse_date;
use super::input::{input_format, open_input, InputFormat};
use super::parquet::{read_parquet_bytes, read_parquet_path, ParquetTable};
use super::table::{CategoricalColumn, CategoryEncoder, ColumnData, CustomerTable};
use super::transactions::TransactionLog;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// How to read a customer table from CSV (see [`CustomerTable::from_csv_reader`]).
///
/// ```
/// use segcore::data::CustomerCsvOptions;
/// let options = CustomerCsvOptions::default()
///     .with_id_column("customer_id")
///     .with_categorical(&["region_code"]);
/// assert_eq!(options.delimiter, b',');
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerCsvOptions {
    /// Column holding the unique customer id. `None`: ids are the 1-based data row numbers
    /// ("1", "2", ...), for files without an id such as UCI Wholesale customers.
    pub id_column: Option<String>,
    /// Field delimiter (default `,`).
    pub delimiter: u8,
    /// Columns read as categorical even when every value is a number (codes such as
    /// Wholesale's Channel and Region).
    pub categorical_columns: Vec<String>,
    /// Columns that must be numeric: a value that is not a number is a parse error naming its
    /// line, instead of silently turning the column categorical.
    pub numeric_columns: Vec<String>,
}

impl Default for CustomerCsvOptions {
    fn default() -> Self {
        CustomerCsvOptions {
            id_column: None,
            delimiter: b',',
            categorical_columns: Vec::new(),
            numeric_columns: Vec::new(),
        }
    }
}

impl CustomerCsvOptions {
    /// Sets [`id_column`](Self::id_column).
    pub fn with_id_column(mut self, name: &str) -> Self {
        self.id_column = Some(name.to_string());
        self
    }

    /// Sets [`delimiter`](Self::delimiter).
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Adds columns to [`categorical_columns`](Self::categorical_columns).
    pub fn with_categorical(mut self, names: &[&str]) -> Self {
        self.categorical_columns
            .extend(names.iter().map(|s| s.to_string()));
        self
    }

    /// Adds columns to [`numeric_columns`](Self::numeric_columns).
    pub fn with_numeric(mut self, names: &[&str]) -> Self {
        self.numeric_columns
            .extend(names.iter().map(|s| s.to_string()));
        self
    }
}

/// How to read a transaction log from CSV (see [`TransactionLog::from_csv_reader`]): which
/// header names hold which field.
///
/// The defaults (`customer_id`, `date`, `amount`) read the CDNOW CSV as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionCsvOptions {
    /// Customer id column (required; default `customer_id`).
    pub customer: String,
    /// Date column (required; default `date`; formats of [`Date::parse`](super::Date::parse)).
    pub date: String,
    /// Amount column (required unless [`unit_price`](Self::unit_price) is set; default `amount`;
    /// negative = return).
    pub amount: String,
    /// Unit price column: when set, the amount of a line is `quantity x unit price` (the
    /// [`quantity`](Self::quantity) column must be set too) and [`amount`](Self::amount) is not
    /// read. For exports such as UCI Online Retail that carry no line amount.
    pub unit_price: Option<String>,
    /// Optional gross margin column (currency units).
    pub margin: Option<String>,
    /// Optional quantity column.
    pub quantity: Option<String>,
    /// Optional product category column (empty cell = missing).
    pub product_category: Option<String>,
    /// Optional sales channel column (empty cell = missing).
    pub channel: Option<String>,
    /// Field delimiter (default `,`).
    pub delimiter: u8,
}

impl Default for TransactionCsvOptions {
    fn default() -> Self {
        TransactionCsvOptions {
            customer: "customer_id".into(),
            date: "date".into(),
            amount: "amount".into(),
            unit_price: None,
            margin: None,
            quantity: None,
            product_category: None,
            channel: None,
            delimiter: b',',
        }
    }
}

/// Longest line a customer or transaction CSV may have (16 MiB). The CSV parser keeps a whole
/// field in memory before it can look at it, so a corrupt or hostile file with a gigabyte-long
/// field would be a gigabyte allocation; past this bound reading stops with an error naming the
/// line instead.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// A reader that fails once a line grows beyond [`MAX_LINE_BYTES`].
struct LineLimited<R> {
    inner: R,
    /// Bytes since the last newline.
    run: usize,
    /// Newlines seen (the current line is `line + 1`).
    line: usize,
}

impl<R: Read> Read for LineLimited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        match chunk.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                self.line += chunk.iter().filter(|&&b| b == b'\n').count();
                self.run = n - last - 1;
            }
            None => self.run += n,
        }
        if self.run > MAX_LINE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "line {} is longer than {MAX_LINE_BYTES} bytes: not a customer or \
                     transaction table (a corrupt file, or a field without its closing quote)",
                    self.line + 1
                ),
            ));
        }
        Ok(n)
    }
}

/// A CSV reader (header row, fields trimmed) whose lines are bounded by [`MAX_LINE_BYTES`]; every
/// CSV the crate reads goes through it.
pub(crate) fn csv_reader<R: Read>(reader: R, delimiter: u8) -> csv::Reader<impl Read> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(LineLimited {
            inner: reader,
            run: 0,
            line: 0,
        })
}

/// Maps a `csv` crate error to a typed error naming the source and line.
fn csv_error(err: csv::Error, source_name: &str) -> Error {
    let line = err.position().map_or(0, |p| p.line() as usize);
    let message = match err.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("expected {expected_len} fields like the header, found {len}")
        }
        csv::ErrorKind::Utf8 { .. } => "the line is not valid UTF-8".to_string(),
        csv::ErrorKind::Io(e) => {
            return Error::Io {
                path: source_name.to_string(),
                source: std::io::Error::new(e.kind(), e.to_string()),
            }
        }
        _ => err.to_string(),
    };
    Error::Parse {
        source_name: source_name.to_string(),
        line,
        column: "(whole line)".into(),
        message,
    }
}

fn header_names(reader: &mut csv::Reader<impl Read>, source_name: &str) -> Result<Vec<String>> {
    let headers = reader
        .headers()
        .map_err(|e| csv_error(e, source_name))?
        .iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    check_header(headers, source_name)
}

/// A header that names at least one column and none twice.
fn check_header(headers: Vec<String>, source_name: &str) -> Result<Vec<String>> {
    if headers.is_empty() || headers.iter().all(String::is_empty) {
        return Err(Error::EmptyInput {
            what: format!("{source_name} has no header line"),
        });
    }
    let mut seen = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if seen.insert(h.as_str(), i).is_some() {
            return Err(Error::Parse {
                source_name: source_name.to_string(),
                line: 1,
                column: h.clone(),
                message: "the header names this column twice".into(),
            });
        }
    }
    Ok(headers)
}

/// The index of column `name` (the `role` it plays, in words), or an error naming the source,
/// the column and the columns found.
fn find_column(headers: &[String], name: &str, source_name: &str, role: &str) -> Result<usize> {
    headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| Error::MissingColumn {
            source_name: source_name.to_string(),
            role: role.to_string(),
            expected: format!("`{name}`"),
            found: headers.join(", "),
        })
}

/// Where the amount of a transaction line comes from (column indices).
#[derive(Clone, Copy)]
enum AmountSource {
    /// An amount column.
    Column(usize),
    /// Quantity times unit price.
    Product(usize, usize),
}

/// Cells that mean "missing" in a numeric column.
fn is_missing_number(cell: &str) -> bool {
    cell.is_empty() || cell.eq_ignore_ascii_case("nan") || cell.eq_ignore_ascii_case("na")
}

/// A finite number, or `None`.
fn parse_finite(cell: &str) -> Option<f64> {
    cell.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl CustomerTable {
    /// Reads a customer table from a CSV file; see [`from_csv_reader`](Self::from_csv_reader).
    pub fn from_csv_path(
        path: impl AsRef<Path>,
        options: &CustomerCsvOptions,
    ) -> Result<CustomerTable> {
        let path = path.as_ref();
        let source_name = path.display().to_string();
        if input_format(path)? == InputFormat::Parquet {
            let table =
                read_parquet_path(path, &mut |names: &[String]| Ok(vec![true; names.len()]))?;
            return CustomerTable::from_parquet_table(table, &source_name, options);
        }
        CustomerTable::from_csv_reader(open_input(path)?, &source_name, options)
    }

    /// Reads a customer table from the bytes of a Parquet file (see [`from_csv_reader`](Self::from_csv_reader)
    /// for the rules, [`parquet`](super::parquet) for the column types); `source_name` names the
    /// input in errors. Files on disk go through [`from_csv_path`](Self::from_csv_path), which
    /// recognises Parquet by its first bytes.
    pub fn from_parquet_bytes(
        bytes: Vec<u8>,
        source_name: &str,
        options: &CustomerCsvOptions,
    ) -> Result<CustomerTable> {
        let table = read_parquet_bytes(bytes, source_name, &mut |names: &[String]| {
            Ok(vec![true; names.len()])
        })?;
        CustomerTable::from_parquet_table(table, source_name, options)
    }

    fn from_parquet_table(
        table: ParquetTable,
        source_name: &str,
        options: &CustomerCsvOptions,
    ) -> Result<CustomerTable> {
        let headers = check_header(table.names.clone(), source_name)?;
        let mut cell = String::new();
        let mut records = Vec::with_capacity(table.n_rows);
        for row in 0..table.n_rows {
            let mut record = csv::StringRecord::new();
            table.fill_record(row, &mut cell, &mut record);
            records.push(record);
        }
        // Rows numbered as the lines of the same table in CSV (header = line 1).
        let lines = (2..table.n_rows + 2).collect();
        CustomerTable::from_records(headers, records, lines, source_name, options)
    }

    /// Reads a customer table from CSV with a header line; `source_name` names the input in errors.
    ///
    /// Column types are inferred: a column whose cells are all numbers or missing (empty, `NA`,
    /// `NaN`) is numeric with `NaN` for missing; any other column is categorical (empty cell =
    /// missing), unless [`CustomerCsvOptions`] forces it. Ids must be non-empty and unique.
    ///
    /// ```
    /// use segcore::data::{CustomerCsvOptions, CustomerTable};
    /// let text = "id,region,revenue\nA,Bavaria,1.5e6\nB,,\nC,Saxony,2e5\n";
    /// let options = CustomerCsvOptions::default().with_id_column("id");
    /// let table = CustomerTable::from_csv_reader(text.as_bytes(), "customers.csv", &options)?;
    /// assert_eq!(table.ids(), ["A", "B", "C"]);
    /// assert!(table.numeric("revenue")?[1].is_nan());
    /// assert_eq!(table.categorical("region")?.categories, ["Bavaria", "Saxony"]);
    ///
    /// let bad = "id,revenue\nA,1\nA,2\n";
    /// let err = CustomerTable::from_csv_reader(bad.as_bytes(), "customers.csv", &options).unwrap_err();
    /// assert!(err.to_string().starts_with("customers.csv, line 3, column `id`"));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn from_csv_reader<R: Read>(
        reader: R,
        source_name: &str,
        options: &CustomerCsvOptions,
    ) -> Result<CustomerTable> {
        let mut reader = csv_reader(reader, options.delimiter);
        let headers = header_names(&mut reader, source_name)?;
        // Customer tables are small next to transaction logs: keep the records, then infer the
        // type of each column from all its cells.
        let mut records = Vec::new();
        let mut lines = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(e, source_name))?;
            lines.push(record.position().map_or(0, |p| p.line() as usize));
            records.push(record);
        }
        CustomerTable::from_records(headers, records, lines, source_name, options)
    }

    /// The table of these records (the cells of a CSV or a decoded Parquet file) with their
    /// 1-based line numbers: column types inferred, ids checked.
    fn from_records(
        headers: Vec<String>,
        records: Vec<csv::StringRecord>,
        lines: Vec<usize>,
        source_name: &str,
        options: &CustomerCsvOptions,
    ) -> Result<CustomerTable> {
        let id_index = options
            .id_column
            .as_deref()
            .map(|name| find_column(&headers, name, source_name, "customer id"))
            .transpose()?;
        let forced_categorical = options
            .categorical_columns
            .iter()
            .map(|n| find_column(&headers, n, source_name, "categorical"))
            .collect::<Result<Vec<_>>>()?;
        let forced_numeric = options
            .numeric_columns
            .iter()
            .map(|n| find_column(&headers, n, source_name, "numeric"))
            .collect::<Result<Vec<_>>>()?;
        if let Some(&j) = forced_categorical
            .iter()
            .find(|j| forced_numeric.contains(j))
        {
            return Err(Error::invalid_parameter(
                "numeric_columns",
                format!("`{}`", headers[j]),
                "a column not also listed in categorical_columns",
            ));
        }

        let parse_error = |row: usize, column: usize, message: String| Error::Parse {
            source_name: source_name.to_string(),
            line: lines[row],
            column: headers[column].clone(),
            message,
        };

        let ids = match id_index {
            None => (1..=records.len())
                .map(|i| i.to_string())
                .collect::<Vec<_>>(),
            Some(j) => {
                let mut seen: HashMap<&str, usize> = HashMap::with_capacity(records.len());
                for (row, record) in records.iter().enumerate() {
                    let id = &record[j];
                    if id.is_empty() {
                        return Err(parse_error(row, j, "empty customer id".into()));
                    }
                    if let Some(first) = seen.insert(id, row) {
                        return Err(parse_error(
                            row,
                            j,
                            format!(
                                "customer id `{id}` already appeared on line {}",
                                lines[first]
                            ),
                        ));
                    }
                }
                records.iter().map(|r| r[j].to_string()).collect()
            }
        };
        let mut table = CustomerTable::new(ids)?;

        for (j, name) in headers.iter().enumerate() {
            if Some(j) == id_index {
                continue;
            }
            let cells = || records.iter().map(move |r| &r[j]);
            let numeric = !forced_categorical.contains(&j)
                && (forced_numeric.contains(&j)
                    || cells().all(|c| is_missing_number(c) || parse_finite(c).is_some()));
            let data = if numeric {
                let mut values = Vec::with_capacity(records.len());
                for (row, cell) in cells().enumerate() {
                    if is_missing_number(cell) {
                        values.push(f64::NAN);
                    } else {
                        match parse_finite(cell) {
                            Some(v) => values.push(v),
                            None => {
                                return Err(parse_error(
                                    row,
                                    j,
                                    format!("`{cell}` is not a finite number"),
                                ))
                            }
                        }
                    }
                }
                ColumnData::Numeric(values)
            } else {
                let mut encoder = CategoryEncoder::default();
                let codes = cells()
                    .map(|c| encoder.encode(if c.is_empty() { None } else { Some(c) }))
                    .collect();
                ColumnData::Categorical(CategoricalColumn {
                    categories: encoder.into_categories(),
                    codes,
                })
            };
            table.add_column(name, data)?;
        }
        Ok(table)
    }
}

impl TransactionLog {
    /// Reads a transaction log from a file: CSV (plain, gzip or zstd; see
    /// [`from_csv_reader`](Self::from_csv_reader)) or Parquet, recognised by its first bytes
    /// (the same rules on the cells of the columns the options name; see
    /// [`parquet`](super::parquet) for the column types).
    pub fn from_csv_path(
        path: impl AsRef<Path>,
        options: &TransactionCsvOptions,
    ) -> Result<TransactionLog> {
        let path = path.as_ref();
        let source_name = path.display().to_string();
        if input_format(path)? == InputFormat::Parquet {
            let mut builder = None;
            let table = read_parquet_path(path, &mut |names: &[String]| {
                let b = LogBuilder::new(names.to_vec(), &source_name, options)?;
                let wanted = b.wanted();
                builder = Some(b);
                Ok(wanted)
            })?;
            let mut builder = builder.expect("the reader passes the header before the rows");
            let mut cell = String::new();
            let mut record = csv::StringRecord::new();
            for row in 0..table.n_rows {
                table.fill_record(row, &mut cell, &mut record);
                // Rows numbered as the lines of the same table in CSV (header = line 1).
                builder.push(&record, row + 2)?;
            }
            return builder.finish();
        }
        TransactionLog::from_csv_reader(open_input(path)?, &source_name, options)
    }

    /// Reads a transaction log from CSV with a header line, streaming (one record buffer reused).
    ///
    /// Customer, date and amount are required in every row; margin and quantity, when mapped,
    /// too. Category and channel cells may be empty (missing). A bad date, a non-number or an
    /// empty required cell is an [`Error::Parse`] naming `source_name`, the line and the column.
    ///
    /// ```
    /// use segcore::data::{TransactionCsvOptions, TransactionLog};
    /// let text = "customer_id,date,quantity,amount\n1,1997-01-01,1,11.77\n2,1997-01-12,1,12.00\n";
    /// let log = TransactionLog::from_csv_reader(text.as_bytes(), "cdnow.csv", &TransactionCsvOptions::default())?;
    /// assert_eq!(log.n_transactions(), 2);
    ///
    /// let bad = "customer_id,date,quantity,amount\n1,1997-02-30,1,11.77\n";
    /// let err = TransactionLog::from_csv_reader(bad.as_bytes(), "cdnow.csv", &TransactionCsvOptions::default())
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("cdnow.csv, line 2, column `date`"));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn from_csv_reader<R: Read>(
        reader: R,
        source_name: &str,
        options: &TransactionCsvOptions,
    ) -> Result<TransactionLog> {
        let mut reader = csv_reader(reader, options.delimiter);
        let headers = header_names(&mut reader, source_name)?;
        let mut builder = LogBuilder::new(headers, source_name, options)?;
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_error(e, source_name)),
            }
            let line = record.position().map_or(0, |p| p.line() as usize);
            builder.push(&record, line)?;
        }
        builder.finish()
    }
}

/// A transaction log built one record (a CSV line or a Parquet row) at a time: the columns the
/// options name, found once in the header, and the cells of every row checked and encoded.
struct LogBuilder<'a> {
    headers: Vec<String>,
    source_name: &'a str,
    customer_j: usize,
    date_j: usize,
    amount_source: AmountSource,
    margin_j: Option<usize>,
    quantity_j: Option<usize>,
    category_j: Option<usize>,
    channel_j: Option<usize>,
    customers: CategoryEncoder,
    categories: CategoryEncoder,
    channels: CategoryEncoder,
    customer_codes: Vec<u32>,
    dates: Vec<super::Date>,
    amounts: Vec<f64>,
    margin: Vec<f64>,
    quantity: Vec<f64>,
    category_codes: Vec<u32>,
    channel_codes: Vec<u32>,
}

impl<'a> LogBuilder<'a> {
    fn new(
        headers: Vec<String>,
        source_name: &'a str,
        options: &TransactionCsvOptions,
    ) -> Result<LogBuilder<'a>> {
        let headers = check_header(headers, source_name)?;
        let find = |name: &str, role: &str| find_column(&headers, name, source_name, role);
        let customer_j = find(&options.customer, "customer id")?;
        let date_j = find(&options.date, "date")?;
        let optional =
            |name: &Option<String>, role: &str| name.as_deref().map(|n| find(n, role)).transpose();
        let margin_j = optional(&options.margin, "margin")?;
        let quantity_j = optional(&options.quantity, "quantity")?;
        let category_j = optional(&options.product_category, "product category")?;
        let channel_j = optional(&options.channel, "sales channel")?;
        // Either an amount column, or quantity x unit price.
        let amount_source = match (&options.unit_price, quantity_j) {
            (None, _) => AmountSource::Column(find(&options.amount, "amount")?),
            (Some(price), Some(q)) => AmountSource::Product(q, find(price, "unit price")?),
            (Some(_), None) => {
                return Err(Error::invalid_parameter(
                    "unit_price",
                    "set without a quantity column",
                    "a quantity column too (amount = quantity x unit price)",
                ))
            }
        };
        Ok(LogBuilder {
            headers,
            source_name,
            customer_j,
            date_j,
            amount_source,
            margin_j,
            quantity_j,
            category_j,
            channel_j,
            customers: CategoryEncoder::default(),
            categories: CategoryEncoder::default(),
            channels: CategoryEncoder::default(),
            customer_codes: Vec::new(),
            dates: Vec::new(),
            amounts: Vec::new(),
            margin: Vec::new(),
            quantity: Vec::new(),
            category_codes: Vec::new(),
            channel_codes: Vec::new(),
        })
    }

    /// Which columns of the header the log reads.
    fn wanted(&self) -> Vec<bool> {
        let mut used = vec![self.customer_j, self.date_j];
        match self.amount_source {
            AmountSource::Column(j) => used.push(j),
            AmountSource::Product(q, p) => used.extend([q, p]),
        }
        used.extend(
            [
                self.margin_j,
                self.quantity_j,
                self.category_j,
                self.channel_j,
            ]
            .into_iter()
            .flatten(),
        );
        (0..self.headers.len()).map(|j| used.contains(&j)).collect()
    }

    /// Checks and encodes one record (`line`: its 1-based line, for errors).
    fn push(&mut self, record: &csv::StringRecord, line: usize) -> Result<()> {
        let headers = &self.headers;
        let source_name = self.source_name;
        let parse_error = |j: usize, message: String| Error::Parse {
            source_name: source_name.to_string(),
            line,
            column: headers[j].clone(),
            message,
        };
        let number = |j: usize| -> Result<f64> {
            let cell = &record[j];
            if cell.is_empty() {
                return Err(parse_error(
                    j,
                    "empty cell where a number is required".into(),
                ));
            }
            parse_finite(cell)
                .ok_or_else(|| parse_error(j, format!("`{cell}` is not a finite number")))
        };

        let customer = &record[self.customer_j];
        if customer.is_empty() {
            return Err(parse_error(self.customer_j, "empty customer id".into()));
        }
        let date = parse_date(&record[self.date_j]).map_err(|m| parse_error(self.date_j, m))?;
        let amount = match self.amount_source {
            AmountSource::Column(j) => number(j)?,
            AmountSource::Product(q, p) => {
                let amount = number(q)? * number(p)?;
                if !amount.is_finite() {
                    return Err(parse_error(
                        p,
                        format!("quantity x unit price = {amount} is not a finite amount"),
                    ));
                }
                amount
            }
        };
        let margin = self.margin_j.map(number).transpose()?;
        let quantity = self.quantity_j.map(number).transpose()?;
        self.customer_codes
            .push(self.customers.encode(Some(customer)));
        self.dates.push(date);
        self.amounts.push(amount);
        self.margin.extend(margin);
        self.quantity.extend(quantity);
        let optional_category = |j: usize| {
            let cell = &record[j];
            (!cell.is_empty()).then_some(cell)
        };
        if let Some(j) = self.category_j {
            self.category_codes
                .push(self.categories.encode(optional_category(j)));
        }
        if let Some(j) = self.channel_j {
            self.channel_codes
                .push(self.channels.encode(optional_category(j)));
        }
        Ok(())
    }

    fn finish(self) -> Result<TransactionLog> {
        let mut log = TransactionLog::from_interned(
            self.customers.into_interned(),
            self.customer_codes,
            self.dates,
            self.amounts,
        )?;
        if self.margin_j.is_some() {
            log = log.with_margin(self.margin)?;
        }
        if self.quantity_j.is_some() {
            log = log.with_quantity(self.quantity)?;
        }
        if self.category_j.is_some() {
            log = log.with_product_category(CategoricalColumn {
                categories: self.categories.into_categories(),
                codes: self.category_codes,
            })?;
        }
        if self.channel_j.is_some() {
            log = log.with_channel(CategoricalColumn {
                categories: self.channels.into_categories(),
                codes: self.channel_codes,
            })?;
        }
        Ok(log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Date;

    fn read_customers(text: &str, options: &CustomerCsvOptions) -> Result<CustomerTable> {
        CustomerTable::from_csv_reader(text.as_bytes(), "c.csv", options)
    }

    fn read_log(text: &str, options: &TransactionCsvOptions) -> Result<TransactionLog> {
        TransactionLog::from_csv_reader(text.as_bytes(), "t.csv", options)
    }

    #[test]
    fn infers_column_types_and_missing_values() {
        let text = "Channel;Region;Fresh;Note\r\n2;3;12669;x\r\n1;3;;\r\n2;1;NaN;y\r\n";
        let options = CustomerCsvOptions::default()
            .with_delimiter(b';')
            .with_categorical(&["Channel"]);
        let t = read_customers(text, &options).unwrap();
        assert_eq!(t.ids(), ["1", "2", "3"]);
        assert_eq!(t.categorical("Channel").unwrap().categories, ["2", "1"]);
        assert_eq!(t.numeric("Region").unwrap(), [3.0, 3.0, 1.0]);
        let fresh = t.numeric("Fresh").unwrap();
        assert_eq!(fresh[0], 12669.0);
        assert!(fresh[1].is_nan() && fresh[2].is_nan());
        let note = t.categorical("Note").unwrap();
        assert_eq!(note.get(1), None);
        assert_eq!(note.get(2), Some("y"));
    }

    #[test]
    fn customer_csv_errors_name_line_and_column() {
        let options = CustomerCsvOptions::default()
            .with_id_column("id")
            .with_numeric(&["revenue"]);
        let err = read_customers("id,revenue\nA,1\nB,lots\n", &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.csv, line 3, column `revenue`: `lots` is not a finite number"
        );
        let err = read_customers("id,revenue\nA,1\n,2\n", &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.csv, line 3, column `id`: empty customer id"
        );
        let err = read_customers("id,revenue\nA,1\nB,2\nA,3\n", &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.csv, line 4, column `id`: customer id `A` already appeared on line 2"
        );
        let err = read_customers("id,revenue\nA,1\nB,2,3\n", &options).unwrap_err();
        assert!(matches!(&err, Error::Parse { line: 3, .. }), "{err}");
        let err = read_customers("customer,revenue\nA,1\n", &options).unwrap_err();
        assert!(
            matches!(&err, Error::MissingColumn { source_name, expected, found, .. } if source_name == "c.csv" && expected == "`id`" && found == "customer, revenue"),
            "{err}"
        );
        let err = read_customers("id,x,x\nA,1,2\n", &CustomerCsvOptions::default()).unwrap_err();
        assert!(
            matches!(&err, Error::Parse { line: 1, column, .. } if column == "x"),
            "{err}"
        );
        let err = read_customers("", &CustomerCsvOptions::default()).unwrap_err();
        assert!(matches!(err, Error::EmptyInput { .. }), "{err}");
        let err = CustomerTable::from_csv_path("/nonexistent/customers.csv", &options).unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
    }

    #[test]
    fn a_gigantic_field_is_an_error_not_an_allocation() {
        let header: &[u8] = b"customer_id,industry\nC1,";
        let endless = std::io::Read::take(std::io::repeat(b'x'), (MAX_LINE_BYTES + 10) as u64);
        let err = CustomerTable::from_csv_reader(
            std::io::Read::chain(header, endless),
            "huge.csv",
            &CustomerCsvOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 2 is longer than"), "{err}");
    }

    #[test]
    fn reads_transactions_with_optional_columns() {
        let text = "cust,day,value,gm,qty,cat,chan\n\
                    A,2025-01-02,100.5,30,2,sensors,EDI\n\
                    B,20250103,-10,-3,-1,,web shop\n\
                    A,03.01.2025 10:00,5,1,1,tools,\n";
        let options = TransactionCsvOptions {
            customer: "cust".into(),
            date: "day".into(),
            amount: "value".into(),
            margin: Some("gm".into()),
            quantity: Some("qty".into()),
            product_category: Some("cat".into()),
            channel: Some("chan".into()),
            ..Default::default()
        };
        let log = read_log(text, &options).unwrap();
        assert_eq!(log.customer_ids(), ["A", "B"]);
        assert_eq!(log.customer_codes(), [0, 1, 0]);
        assert_eq!(log.dates()[2], Date::from_ymd(2025, 1, 3).unwrap());
        assert_eq!(log.amounts(), [100.5, -10.0, 5.0]);
        assert_eq!(log.margin().unwrap(), [30.0, -3.0, 1.0]);
        assert_eq!(log.quantity().unwrap(), [2.0, -1.0, 1.0]);
        let cat = log.product_category().unwrap();
        assert_eq!(cat.categories, ["sensors", "tools"]);
        assert!(cat.is_missing(1));
        assert_eq!(log.channel().unwrap().get(2), None);
    }

    #[test]
    fn transaction_errors_name_line_and_column() {
        let o = TransactionCsvOptions::default();
        let cases = [
            (
                "customer_id,date,amount\n1,2025-01-01,1\n2,2025-13-01,1\n",
                3,
                "date",
            ),
            ("customer_id,date,amount\n1,2025-01-01,abc\n", 2, "amount"),
            (
                "customer_id,date,amount\n1,2025-01-01,1\n1,2025-01-01,\n",
                3,
                "amount",
            ),
            ("customer_id,date,amount\n1,2025-01-01,NaN\n", 2, "amount"),
            ("customer_id,date,amount\n,2025-01-01,1\n", 2, "customer_id"),
            (
                "customer_id,date,amount\n1,\"2025-01-01\nx\",1\n2,x,1\n",
                2,
                "date",
            ),
        ];
        for (text, line, column) in cases {
            match read_log(text, &o) {
                Err(Error::Parse {
                    source_name,
                    line: l,
                    column: c,
                    ..
                }) => {
                    assert_eq!(
                        (source_name.as_str(), l, c.as_str()),
                        ("t.csv", line, column),
                        "{text}"
                    );
                }
                other => panic!("{text}: expected a parse error, got {other:?}"),
            }
        }
        let err = read_log(
            "customer_id,date,quantity,amount\n1,2025-01-01,1,2\n",
            &TransactionCsvOptions {
                margin: Some("margin".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::MissingColumn { source_name, role, found, .. } if source_name == "t.csv" && role == "margin" && found == "customer_id, date, quantity, amount"),
            "{err}"
        );
        let err = read_log(
            "customer_id,date,amount\n1,2025-01-01,2\n",
            &TransactionCsvOptions {
                quantity: Some("qty".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(err, Error::MissingColumn { .. }));
        let err = read_log("customer_id,date,amount\n1,2025-02-29,2\n", &o).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv, line 2, column `date`: `2025-02-29` is not a calendar date: day 29 does not exist in 2025-02 (1..=28)"
        );
    }

    #[test]
    fn amount_is_quantity_times_unit_price_without_an_amount_column() {
        let text = "InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n\
                    536365,17850,2010-12-01T08:26:00,6,2.55\n\
                    C536379,17850,2010-12-01T09:41:00,-1,27.5\n";
        let header: Vec<String> = [
            "InvoiceNo",
            "CustomerID",
            "InvoiceDate",
            "Quantity",
            "UnitPrice",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let options = TransactionCsvOptions::recognise(
            &header,
            "retail.csv",
            &crate::data::ColumnChoice::default(),
        )
        .unwrap();
        let log = read_log(text, &options).unwrap();
        assert_eq!(log.amounts(), [6.0 * 2.55, -27.5]);
        assert_eq!(log.quantity().unwrap(), [6.0, -1.0]);
        let no_quantity = TransactionCsvOptions {
            quantity: None,
            ..options
        };
        assert!(matches!(
            read_log(text, &no_quantity),
            Err(Error::InvalidParameter {
                name: "unit_price",
                ..
            })
        ));
    }

    #[test]
    fn options_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<CustomerCsvOptions>();
        assert_send_sync::<TransactionCsvOptions>();
    }
}
