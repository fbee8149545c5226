//! Column roles recognised from header names, in English and German: which column of an ERP or
//! shop export holds the customer, the date, the amount (or quantity and unit price), the invoice.
//!
//! A header name is compared after lower-casing and dropping everything but letters and digits
//! (`Customer ID`, `customer_id` and `CustomerID` are one name; `Stückpreis` keeps its `ü`).
//! The first name of a role's list found in the header wins, so the more specific names
//! (`InvoiceDate` before `Date`) come first. Recognition only proposes: a role the user names
//! explicitly always wins.
//!
//! The same names tell a transaction log from a customer table
//! ([`check_not_transaction_log`]): an invoice column, a date column and a customer column whose
//! ids repeat.

use super::csv::TransactionCsvOptions;
use super::table::{ColumnData, CustomerTable};
use crate::error::{Error, Result};

/// A column role of a transaction log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionRole {
    /// Customer id.
    Customer,
    /// Date of the line.
    Date,
    /// Amount of the line (negative = return).
    Amount,
    /// Quantity of the line.
    Quantity,
    /// Unit price (amount = quantity x unit price when there is no amount column).
    UnitPrice,
    /// Invoice or order number (recognised, not read).
    Invoice,
    /// Gross margin of the line.
    Margin,
    /// Product category.
    ProductCategory,
    /// Sales channel.
    Channel,
}

impl TransactionRole {
    /// Every role, in the order they are recognised.
    pub const ALL: [TransactionRole; 9] = [
        TransactionRole::Customer,
        TransactionRole::Invoice,
        TransactionRole::Date,
        TransactionRole::Amount,
        TransactionRole::Quantity,
        TransactionRole::UnitPrice,
        TransactionRole::Margin,
        TransactionRole::ProductCategory,
        TransactionRole::Channel,
    ];

    /// The role's key in the Python API (`customer`, `date`, `amount`, `quantity`, `unit_price`,
    /// `invoice`, `margin`, `product_category`, `channel`).
    pub fn key(self) -> &'static str {
        match self {
            TransactionRole::Customer => "customer",
            TransactionRole::Date => "date",
            TransactionRole::Amount => "amount",
            TransactionRole::Quantity => "quantity",
            TransactionRole::UnitPrice => "unit_price",
            TransactionRole::Invoice => "invoice",
            TransactionRole::Margin => "margin",
            TransactionRole::ProductCategory => "product_category",
            TransactionRole::Channel => "channel",
        }
    }

    /// The role of a Python API key ([`TransactionRole::key`]), if it names one.
    pub fn from_key(key: &str) -> Option<TransactionRole> {
        TransactionRole::ALL
            .into_iter()
            .find(|role| role.key() == key)
    }

    /// The column the Python API and the feature functions read for the role when the user
    /// names none: `customer_id`, `date`, `amount`, `margin`, `product_category`, `channel`
    /// (None for quantity, unit price and invoice, which are only recognised).
    pub fn default_column(self) -> Option<&'static str> {
        match self {
            TransactionRole::Customer => Some("customer_id"),
            TransactionRole::Date => Some("date"),
            TransactionRole::Amount => Some("amount"),
            TransactionRole::Margin => Some("margin"),
            TransactionRole::ProductCategory => Some("product_category"),
            TransactionRole::Channel => Some("channel"),
            TransactionRole::Quantity | TransactionRole::UnitPrice | TransactionRole::Invoice => {
                None
            }
        }
    }

    /// The role in words, as messages say it.
    pub fn describe(self) -> &'static str {
        match self {
            TransactionRole::Customer => "customer id",
            TransactionRole::Date => "date",
            TransactionRole::Amount => "amount",
            TransactionRole::Quantity => "quantity",
            TransactionRole::UnitPrice => "unit price",
            TransactionRole::Invoice => "invoice number",
            TransactionRole::Margin => "margin",
            TransactionRole::ProductCategory => "product category",
            TransactionRole::Channel => "sales channel",
        }
    }

    /// The header names recognised for the role (normalised: lower case, letters and digits
    /// only), most specific first.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            TransactionRole::Customer => &[
                "customerid",
                "customerno",
                "customernumber",
                "customernr",
                "customer",
                "clientid",
                "client",
                "accountid",
                "kundennummer",
                "kundennr",
                "kundenid",
                "kunde",
                "debitorennummer",
                "debitornr",
                "debitor",
            ],
            TransactionRole::Invoice => &[
                "invoiceno",
                "invoicenumber",
                "invoiceid",
                "invoice",
                "orderid",
                "orderno",
                "ordernumber",
                "rechnungsnummer",
                "rechnungsnr",
                "rechnung",
                "belegnummer",
                "belegnr",
                "auftragsnummer",
                "auftragsnr",
                "bestellnummer",
            ],
            TransactionRole::Date => &[
                "invoicedate",
                "orderdate",
                "transactiondate",
                "purchasedate",
                "date",
                "rechnungsdatum",
                "belegdatum",
                "bestelldatum",
                "auftragsdatum",
                "datum",
            ],
            TransactionRole::Amount => &[
                "amount",
                "netamount",
                "lineamount",
                "linetotal",
                "revenue",
                "netrevenue",
                "sales",
                "total",
                "value",
                "umsatz",
                "nettoumsatz",
                "betrag",
                "nettobetrag",
                "gesamtpreis",
                "positionswert",
            ],
            TransactionRole::Quantity => &["quantity", "qty", "units", "menge", "anzahl", "stück"],
            TransactionRole::UnitPrice => &[
                "unitprice",
                "priceeach",
                "price",
                "einzelpreis",
                "stückpreis",
                "stueckpreis",
                "preis",
            ],
            TransactionRole::Margin => &[
                "margin",
                "grossmargin",
                "marge",
                "deckungsbeitrag",
                "rohertrag",
            ],
            TransactionRole::ProductCategory => &[
                "productcategory",
                "category",
                "productgroup",
                "warengruppe",
                "produktkategorie",
                "kategorie",
                "artikelgruppe",
            ],
            TransactionRole::Channel => &[
                "channel",
                "saleschannel",
                "vertriebsweg",
                "vertriebskanal",
                "kanal",
            ],
        }
    }
}

/// A header name as roles compare it: lower case, letters and digits only.
pub fn normalise_header(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The column of `headers` that has `role`, if any: the first of the role's names present.
pub fn find_role(headers: &[String], role: TransactionRole) -> Option<&str> {
    let normalised: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    role.names().iter().find_map(|want| {
        normalised
            .iter()
            .position(|h| h == want)
            .map(|i| headers[i].as_str())
    })
}

/// An explicit choice of columns (the user's) over the recognised ones; `None` fields are
/// recognised from the header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnChoice {
    /// Customer id column.
    pub customer: Option<String>,
    /// Date column.
    pub date: Option<String>,
    /// Amount column.
    pub amount: Option<String>,
    /// Quantity column.
    pub quantity: Option<String>,
    /// Unit price column.
    pub unit_price: Option<String>,
    /// Margin column.
    pub margin: Option<String>,
    /// Product category column.
    pub product_category: Option<String>,
    /// Sales channel column.
    pub channel: Option<String>,
}

impl ColumnChoice {
    /// The column chosen for `role` (the invoice is only recognised, never chosen).
    pub fn get(&self, role: TransactionRole) -> Option<&str> {
        match role {
            TransactionRole::Customer => self.customer.as_deref(),
            TransactionRole::Date => self.date.as_deref(),
            TransactionRole::Amount => self.amount.as_deref(),
            TransactionRole::Quantity => self.quantity.as_deref(),
            TransactionRole::UnitPrice => self.unit_price.as_deref(),
            TransactionRole::Margin => self.margin.as_deref(),
            TransactionRole::ProductCategory => self.product_category.as_deref(),
            TransactionRole::Channel => self.channel.as_deref(),
            TransactionRole::Invoice => None,
        }
    }

    /// Chooses `column` for `role` (ignored for the invoice, which is only recognised).
    pub fn set(&mut self, role: TransactionRole, column: String) {
        let slot = match role {
            TransactionRole::Customer => &mut self.customer,
            TransactionRole::Date => &mut self.date,
            TransactionRole::Amount => &mut self.amount,
            TransactionRole::Quantity => &mut self.quantity,
            TransactionRole::UnitPrice => &mut self.unit_price,
            TransactionRole::Margin => &mut self.margin,
            TransactionRole::ProductCategory => &mut self.product_category,
            TransactionRole::Channel => &mut self.channel,
            TransactionRole::Invoice => return,
        };
        *slot = Some(column);
    }
}

fn missing(source_name: &str, headers: &[String], role: TransactionRole, extra: &str) -> Error {
    Error::MissingColumn {
        source_name: source_name.to_string(),
        role: role.describe().to_string(),
        expected: format!("{}{extra}", role.names().join(", ")),
        found: headers.join(", "),
    }
}

impl TransactionCsvOptions {
    /// Options for a log with this header: every role the user did not choose is recognised
    /// from the header names (English and German, see the [module docs](self)). Without an
    /// amount column but with quantity and unit price, the amount of a line is quantity x unit
    /// price. A required role that is neither chosen nor recognised, or a chosen column that is
    /// not in the header, is an [`Error::MissingColumn`] naming the file and the columns found.
    ///
    /// ```
    /// use segcore::data::{ColumnChoice, TransactionCsvOptions};
    /// let header: Vec<String> = ["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    ///     .iter().map(|s| s.to_string()).collect();
    /// let options = TransactionCsvOptions::recognise(&header, "retail.csv.gz", &ColumnChoice::default())?;
    /// assert_eq!((options.customer.as_str(), options.date.as_str()), ("CustomerID", "InvoiceDate"));
    /// assert_eq!(options.unit_price.as_deref(), Some("UnitPrice")); // amount = Quantity x UnitPrice
    ///
    /// let german: Vec<String> = ["Kundennummer", "Datum", "Menge", "Einzelpreis"]
    ///     .iter().map(|s| s.to_string()).collect();
    /// let options = TransactionCsvOptions::recognise(&german, "export.csv", &ColumnChoice::default())?;
    /// assert_eq!(options.quantity.as_deref(), Some("Menge"));
    ///
    /// let err = TransactionCsvOptions::recognise(&german[..2].to_vec(), "export.csv", &ColumnChoice::default())
    ///     .unwrap_err().to_string();
    /// assert!(err.starts_with("export.csv: no amount column") && err.contains("Kundennummer, Datum"), "{err}");
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn recognise(
        headers: &[String],
        source_name: &str,
        choice: &ColumnChoice,
    ) -> Result<TransactionCsvOptions> {
        let pick = |chosen: &Option<String>, role: TransactionRole| -> Result<Option<String>> {
            match chosen {
                Some(name) if headers.iter().any(|h| h == name) => Ok(Some(name.clone())),
                Some(name) => Err(Error::MissingColumn {
                    source_name: source_name.to_string(),
                    role: role.describe().to_string(),
                    expected: format!("`{name}`, as given"),
                    found: headers.join(", "),
                }),
                None => Ok(find_role(headers, role).map(str::to_string)),
            }
        };
        let customer = pick(&choice.customer, TransactionRole::Customer)?
            .ok_or_else(|| missing(source_name, headers, TransactionRole::Customer, ""))?;
        let date = pick(&choice.date, TransactionRole::Date)?
            .ok_or_else(|| missing(source_name, headers, TransactionRole::Date, ""))?;
        let amount = pick(&choice.amount, TransactionRole::Amount)?;
        let quantity = pick(&choice.quantity, TransactionRole::Quantity)?;
        let unit_price = pick(&choice.unit_price, TransactionRole::UnitPrice)?;
        let (amount, unit_price) = match (amount, &quantity, unit_price) {
            (Some(amount), _, _) => (amount, None),
            (None, Some(_), Some(price)) => (String::new(), Some(price)),
            (None, _, _) => {
                return Err(missing(
                    source_name,
                    headers,
                    TransactionRole::Amount,
                    "; or a quantity and a unit price column to multiply",
                ))
            }
        };
        Ok(TransactionCsvOptions {
            customer,
            date,
            amount,
            unit_price,
            margin: pick(&choice.margin, TransactionRole::Margin)?,
            quantity,
            product_category: pick(&choice.product_category, TransactionRole::ProductCategory)?,
            channel: pick(&choice.channel, TransactionRole::Channel)?,
            ..TransactionCsvOptions::default()
        })
    }
}

/// The amount of every line of a log without an amount column: quantity x unit price. Both
/// must be finite on every row (negative quantities are returns); the error names the row and
/// the column.
///
/// ```
/// let amounts = segcore::data::line_amounts(&[6.0, -1.0], &[2.55, 27.5])?;
/// assert_eq!(amounts, [6.0 * 2.55, -27.5]);
/// assert!(segcore::data::line_amounts(&[1.0], &[f64::NAN]).is_err());
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn line_amounts(quantity: &[f64], unit_price: &[f64]) -> Result<Vec<f64>> {
    if quantity.len() != unit_price.len() {
        return Err(Error::ShapeMismatch {
            what: "unit prices (one per quantity)".into(),
            expected: quantity.len(),
            got: unit_price.len(),
        });
    }
    quantity
        .iter()
        .zip(unit_price)
        .enumerate()
        .map(|(row, (&q, &p))| {
            let amount = q * p;
            if amount.is_finite() && q.is_finite() && p.is_finite() {
                Ok(amount)
            } else {
                let (what, value) = if q.is_finite() {
                    ("transactions column unit price", p)
                } else {
                    ("transactions column quantity", q)
                };
                Err(Error::NonFiniteValue {
                    what: what.into(),
                    row,
                    column: 0,
                    value: if value.is_finite() { amount } else { value },
                })
            }
        })
        .collect()
}

/// The columns of a transaction frame (Python, a service) by role: the user's choice over the
/// recognised names, `amount` empty when the amount is quantity x unit price; errors as
/// [`TransactionCsvOptions::recognise`] with `source_name`.
pub fn recognise_transaction_columns(
    headers: &[String],
    source_name: &str,
    choice: &ColumnChoice,
) -> Result<Vec<(TransactionRole, Option<String>)>> {
    let o = TransactionCsvOptions::recognise(headers, source_name, choice)?;
    Ok(vec![
        (TransactionRole::Customer, Some(o.customer)),
        (TransactionRole::Date, Some(o.date)),
        (
            TransactionRole::Amount,
            (o.unit_price.is_none()).then_some(o.amount),
        ),
        (TransactionRole::Quantity, o.quantity),
        (TransactionRole::UnitPrice, o.unit_price),
        (TransactionRole::Margin, o.margin),
        (TransactionRole::ProductCategory, o.product_category),
        (TransactionRole::Channel, o.channel),
    ])
}

/// The columns of a transaction frame by role as the Python API reads them: the roles `given`
/// (a column, or `None` to turn a role off), then the columns named as the role's
/// [default](TransactionRole::default_column) (`customer_id` is the customer's; another one must
/// exist), then [the recognised ones](recognise_transaction_columns).
///
/// ```
/// use segcore::data::{frame_transaction_columns, TransactionRole};
/// let header: Vec<String> = ["CustomerID", "date", "InvoiceDate", "Umsatz", "channel"]
///     .iter().map(|s| s.to_string()).collect();
/// let off = [(TransactionRole::Channel, None)];
/// let roles = frame_transaction_columns(&header, "transactions", &off, "customer_id")?;
/// assert_eq!(roles[0], (TransactionRole::Customer, Some("CustomerID".to_string())));
/// assert_eq!(roles[1], (TransactionRole::Date, Some("date".to_string()))); // the default name first
/// assert_eq!(roles[7], (TransactionRole::Channel, None)); // turned off
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn frame_transaction_columns(
    headers: &[String],
    source_name: &str,
    given: &[(TransactionRole, Option<String>)],
    customer_id: &str,
) -> Result<Vec<(TransactionRole, Option<String>)>> {
    let mut choice = ColumnChoice::default();
    let mentioned = |role: TransactionRole| given.iter().any(|(r, _)| *r == role);
    for (role, column) in given {
        if let Some(column) = column {
            choice.set(*role, column.clone());
        }
    }
    let customer = TransactionRole::Customer;
    if Some(customer_id) != customer.default_column() && choice.get(customer).is_none() {
        choice.set(customer, customer_id.to_string()); // the user's choice, checked to exist
    }
    for role in TransactionRole::ALL {
        let name = match role {
            TransactionRole::Customer => Some(customer_id),
            other => other.default_column(),
        };
        if let Some(name) = name {
            if choice.get(role).is_none() && !mentioned(role) && headers.iter().any(|h| h == name) {
                choice.set(role, name.to_string());
            }
        }
    }
    let mut roles = recognise_transaction_columns(headers, source_name, &choice)?;
    for (role, column) in &mut roles {
        if given.iter().any(|(r, c)| r == role && c.is_none()) {
            *column = None;
        }
    }
    Ok(roles)
}

/// Refuses a transaction log given where a customer table belongs: a table with a recognised
/// invoice column and date column whose customer column (recognised by name) repeats ids is a
/// log, and segmenting its lines as customers would be silently wrong. The error names the
/// source, the evidence and what to do (pass it as the transactions; the customer table can be
/// derived from it with [`CustomerTable::from_transactions`]).
///
/// ```
/// use segcore::data::{check_not_transaction_log, CustomerTable};
/// let mut lines = CustomerTable::new((0..4).map(|i| i.to_string()).collect())?;
/// lines.add_categorical("InvoiceNo", &[Some("536365"), Some("536365"), Some("536366"), Some("536367")])?;
/// lines.add_categorical("InvoiceDate", &[Some("2010-12-01T08:26:00"); 4])?;
/// lines.add_numeric("CustomerID", vec![17850.0, 17850.0, 17850.0, 13047.0])?;
/// let err = check_not_transaction_log(&lines, "online_retail.csv").unwrap_err().to_string();
/// assert!(err.contains("transaction log") && err.contains("CustomerID"), "{err}");
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn check_not_transaction_log(table: &CustomerTable, source_name: &str) -> Result<()> {
    let names: Vec<String> = table.column_names().iter().map(|s| s.to_string()).collect();
    let (Some(invoice), Some(date), Some(customer)) = (
        find_role(&names, TransactionRole::Invoice),
        find_role(&names, TransactionRole::Date),
        find_role(&names, TransactionRole::Customer),
    ) else {
        return Ok(());
    };
    let column = table.column(customer)?;
    let (distinct, rows) = match &column.data {
        ColumnData::Numeric(values) => {
            let mut v: Vec<u64> = values
                .iter()
                .filter(|x| x.is_finite())
                .map(|x| x.to_bits())
                .collect();
            let rows = v.len();
            v.sort_unstable();
            v.dedup();
            (v.len(), rows)
        }
        ColumnData::Categorical(c) => {
            let mut used = vec![false; c.n_categories()];
            let mut rows = 0;
            for &code in &c.codes {
                if let Some(u) = used.get_mut(code as usize) {
                    *u = true;
                    rows += 1;
                }
            }
            (used.iter().filter(|&&u| u).count(), rows)
        }
    };
    if distinct == rows {
        return Ok(());
    }
    Err(Error::TransactionLogAsCustomers {
        source_name: source_name.to_string(),
        evidence: format!(
            "{rows} rows but {distinct} distinct `{customer}` values, with an invoice column \
             (`{invoice}`) and a date column (`{date}`)"
        ),
        advice: "pass it as the transactions (CLI: --transactions FILE; Python: \
                 Segmenter().fit(None, transactions)); the customer table is then derived from \
                 it, one row per customer"
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recognises_english_and_german_exports() {
        let none = ColumnChoice::default();
        let h = header(&[
            "Rechnungsnummer",
            "Kundennummer",
            "Rechnungsdatum",
            "Umsatz",
            "Warengruppe",
        ]);
        let o = TransactionCsvOptions::recognise(&h, "x.csv", &none).unwrap();
        assert_eq!(
            (o.customer.as_str(), o.date.as_str(), o.amount.as_str()),
            ("Kundennummer", "Rechnungsdatum", "Umsatz")
        );
        assert_eq!(o.product_category.as_deref(), Some("Warengruppe"));
        assert_eq!(o.unit_price, None);
        let h = header(&["Customer ID", "Order Date", "Qty", "Price", "Sales Channel"]);
        let o = TransactionCsvOptions::recognise(&h, "x.csv", &none).unwrap();
        assert_eq!(o.customer, "Customer ID");
        assert_eq!(o.date, "Order Date");
        assert_eq!(o.quantity.as_deref(), Some("Qty"));
        assert_eq!(o.unit_price.as_deref(), Some("Price"));
        assert_eq!(o.channel.as_deref(), Some("Sales Channel"));
        // the user's choice wins, and a chosen column must exist
        let choice = ColumnChoice {
            amount: Some("Price".into()),
            ..ColumnChoice::default()
        };
        let o = TransactionCsvOptions::recognise(&h, "x.csv", &choice).unwrap();
        assert_eq!((o.amount.as_str(), o.unit_price), ("Price", None));
        let choice = ColumnChoice {
            date: Some("when".into()),
            ..ColumnChoice::default()
        };
        let err = TransactionCsvOptions::recognise(&h, "x.csv", &choice).unwrap_err();
        assert!(
            matches!(&err, Error::MissingColumn { source_name, role, .. } if source_name == "x.csv" && role == "date"),
            "{err}"
        );
        let err = TransactionCsvOptions::recognise(&header(&["a", "b"]), "y.csv", &none)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("y.csv: no customer id column"), "{err}");
        assert!(err.contains("the columns found are: a, b"), "{err}");
    }

    #[test]
    fn normalises_names() {
        assert_eq!(normalise_header("Stück-Preis"), "stückpreis");
        assert_eq!(normalise_header(" Customer_ID "), "customerid");
    }

    #[test]
    fn a_customer_table_is_not_a_log() {
        let mut t = CustomerTable::new(header(&["1", "2"])).unwrap();
        t.add_numeric("CustomerID", vec![1.0, 2.0]).unwrap();
        t.add_categorical("InvoiceNo", &[Some("a"), Some("b")])
            .unwrap();
        t.add_categorical("Datum", &[Some("x"), Some("y")]).unwrap();
        check_not_transaction_log(&t, "c.csv").unwrap();
    }
}
