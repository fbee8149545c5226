//! The customer table: one row per customer, columnar, numeric or dictionary-encoded categorical.

use super::ids::{CustomerIds, IdInterner};
use super::transactions::TransactionLog;
use crate::error::{Error, Result};
use ndarray::Array2;
use std::collections::HashMap;

/// A dictionary-encoded categorical column: one `u32` code per row pointing into `categories`.
///
/// A missing value has the code [`CategoricalColumn::MISSING`]. Built from values, the
/// categories are in order of first appearance, so the encoding is deterministic.
///
/// ```
/// use segcore::data::CategoricalColumn;
/// let col = CategoricalColumn::from_values(&[Some("EDI"), None, Some("web shop"), Some("EDI")]);
/// assert_eq!(col.categories, ["EDI", "web shop"]);
/// assert_eq!(col.codes, [0, CategoricalColumn::MISSING, 1, 0]);
/// assert_eq!(col.get(2), Some("web shop"));
/// assert_eq!(col.get(1), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CategoricalColumn {
    /// The distinct values, each once.
    pub categories: Vec<String>,
    /// One code per row: an index into `categories`, or [`CategoricalColumn::MISSING`].
    pub codes: Vec<u32>,
}

impl CategoricalColumn {
    /// The code of a missing value (`u32::MAX`, never a valid index).
    pub const MISSING: u32 = u32::MAX;

    /// Encodes values (`None` = missing), categories in order of first appearance.
    pub fn from_values(values: &[Option<&str>]) -> CategoricalColumn {
        let mut encoder = CategoryEncoder::default();
        let codes = values.iter().map(|v| encoder.encode(*v)).collect();
        CategoricalColumn {
            categories: encoder.into_categories(),
            codes,
        }
    }

    /// Wraps existing codes, checking that the categories are distinct and every code is either
    /// an index into `categories` or [`CategoricalColumn::MISSING`].
    pub fn from_codes(categories: Vec<String>, codes: Vec<u32>) -> Result<CategoricalColumn> {
        if categories.len() >= Self::MISSING as usize {
            return Err(Error::invalid_parameter(
                "categories",
                categories.len(),
                format!("fewer than {} categories", Self::MISSING),
            ));
        }
        let mut seen = HashMap::with_capacity(categories.len());
        for (i, c) in categories.iter().enumerate() {
            if let Some(first) = seen.insert(c.as_str(), i) {
                return Err(Error::invalid_parameter(
                    "categories",
                    format!("`{c}` at positions {first} and {i}"),
                    "distinct category names",
                ));
            }
        }
        let n = categories.len() as u32;
        if let Some((row, &code)) = codes
            .iter()
            .enumerate()
            .find(|&(_, &c)| c >= n && c != Self::MISSING)
        {
            return Err(Error::invalid_parameter(
                "codes",
                format!("{code} at row {row}"),
                format!(
                    "a code below {n} (the number of categories) or CategoricalColumn::MISSING"
                ),
            ));
        }
        Ok(CategoricalColumn { categories, codes })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// `true` when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Number of distinct categories.
    pub fn n_categories(&self) -> usize {
        self.categories.len()
    }

    /// The value at `row`, `None` when missing (or `row` is out of range).
    pub fn get(&self, row: usize) -> Option<&str> {
        let code = *self.codes.get(row)?;
        self.categories.get(code as usize).map(String::as_str)
    }

    /// `true` when the value at `row` is missing.
    pub fn is_missing(&self, row: usize) -> bool {
        self.codes.get(row) == Some(&Self::MISSING)
    }

    /// The code of a category name, if present.
    pub fn code_of(&self, category: &str) -> Option<u32> {
        self.categories
            .iter()
            .position(|c| c == category)
            .map(|i| i as u32)
    }

    /// Number of missing rows.
    pub fn n_missing(&self) -> usize {
        self.codes.iter().filter(|&&c| c == Self::MISSING).count()
    }
}

/// Incremental dictionary encoder shared by the constructors and the CSV reader.
///
/// Keeps each category once (the index stores positions, not a second copy of the strings), so
/// encoding a million customer ids does not hold two copies of them.
#[derive(Debug, Default)]
pub(crate) struct CategoryEncoder {
    interner: IdInterner,
}

impl CategoryEncoder {
    /// Code of `value`, adding it as a new category on first sight. `None` -> MISSING.
    pub(crate) fn encode(&mut self, value: Option<&str>) -> u32 {
        match value {
            None => CategoricalColumn::MISSING,
            Some(v) => self.interner.intern(v),
        }
    }

    pub(crate) fn into_categories(self) -> Vec<String> {
        self.interner.into_vec()
    }

    /// The categories as interned customer ids (no copy, the index is reused).
    pub(crate) fn into_interned(self) -> CustomerIds {
        self.interner.into_ids()
    }
}

/// The values of one column.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ColumnData {
    /// Numbers; `NaN` marks a missing value.
    Numeric(Vec<f64>),
    /// Dictionary-encoded categories.
    Categorical(CategoricalColumn),
}

impl ColumnData {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical(c) => c.len(),
        }
    }

    /// `true` when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// "numeric" or "categorical", as error messages spell it.
    pub fn kind(&self) -> &'static str {
        match self {
            ColumnData::Numeric(_) => "numeric",
            ColumnData::Categorical(_) => "categorical",
        }
    }
}

/// A named column of a [`CustomerTable`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Column {
    /// Column name, unique within its table.
    pub name: String,
    /// The values, one per customer in table order.
    pub data: ColumnData,
}

/// Customers and their attributes (firmographics, features): one row per customer, stored by column.
///
/// Customer ids are unique; numeric columns use `NaN` for missing values; categorical columns are
/// dictionary-encoded ([`CategoricalColumn`]). Column order is insertion order.
///
/// ```
/// use segcore::data::CustomerTable;
/// let mut table = CustomerTable::new(vec!["C1".into(), "C2".into(), "C3".into()])?;
/// table.add_numeric("annual_revenue_eur", vec![2.0e6, f64::NAN, 5.5e7])?;
/// table.add_categorical("industry", &[Some("automotive"), Some("food"), None])?;
/// assert_eq!(table.n_customers(), 3);
/// assert_eq!(table.index_of_id("C2"), Some(1));
/// assert!(table.numeric("annual_revenue_eur")?[1].is_nan());
/// assert_eq!(table.categorical("industry")?.get(0), Some("automotive"));
/// let x = table.numeric_matrix(&["annual_revenue_eur"])?;
/// assert_eq!(x.dim(), (3, 1));
/// assert!(table.numeric("revenue").is_err()); // unknown column, the error lists the names
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CustomerTable {
    /// Interned once; shared with the transaction log when built by
    /// [`CustomerTable::from_log_customers`].
    ids: CustomerIds,
    columns: Vec<Column>,
}

impl CustomerTable {
    /// A table of customers with the given ids (unique; a duplicate is an error naming the id
    /// and both rows) and no columns yet.
    pub fn new(ids: Vec<String>) -> Result<CustomerTable> {
        if ids.len() >= u32::MAX as usize {
            return Err(Error::invalid_parameter(
                "ids",
                format!("{} customers", ids.len()),
                format!("fewer than {} customers", u32::MAX),
            ));
        }
        // An empty id is a missing one (a blank cell of the id column): it cannot link the
        // customer to transactions or to a CRM record, and two of them would merge customers.
        if let Some(row) = ids.iter().position(|id| id.trim().is_empty()) {
            let missing = ids.iter().filter(|id| id.trim().is_empty()).count();
            return Err(Error::invalid_parameter(
                "ids",
                format!("{missing} missing (empty) customer ids, the first at row {row}"),
                "an id for every customer (drop or fill those rows)",
            ));
        }
        let ids = CustomerIds::new(ids).map_err(|duplicate| {
            Error::invalid_parameter(
                "ids",
                format!(
                    "`{}` at rows {} and {}",
                    duplicate.id, duplicate.first, duplicate.second
                ),
                "unique customer ids",
            )
        })?;
        Ok(CustomerTable {
            ids,
            columns: Vec::new(),
        })
    }

    /// A table of the customers of `log` (its distinct ids, in the log's id order) and no
    /// columns yet. The ids and their index are shared with the log, not copied: at a million
    /// customers this saves ~60 MiB against `CustomerTable::new(log.customer_ids().to_vec())`.
    ///
    /// ```
    /// use segcore::data::{CustomerTable, Date, TransactionLog};
    /// let day = Date::parse("2025-01-10")?;
    /// let log = TransactionLog::from_ids(&["B", "A", "B"], vec![day; 3], vec![1.0, 2.0, 3.0])?;
    /// let table = CustomerTable::from_log_customers(&log);
    /// assert_eq!(table.ids(), ["B", "A"]);
    /// assert_eq!(table.index_of_id("A"), Some(1));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn from_log_customers(log: &TransactionLog) -> CustomerTable {
        CustomerTable {
            ids: log.interned_customer_ids().clone(),
            columns: Vec::new(),
        }
    }

    /// The customer table of a shop without a customer master: one row per customer of the log
    /// (in order of first appearance), no columns; the segmentation then rests on the behaviour
    /// features computed from the log. The same as
    /// [`from_log_customers`](Self::from_log_customers), under the name users look for.
    ///
    /// ```
    /// use segcore::data::{CustomerTable, Date, TransactionLog};
    /// let day = Date::parse("02.01.2025")?;
    /// let log = TransactionLog::from_ids(&["K7", "K2", "K7"], vec![day; 3], vec![10.0, 5.0, -2.0])?;
    /// let customers = CustomerTable::from_transactions(&log);
    /// assert_eq!(customers.ids(), ["K7", "K2"]);
    /// assert!(customers.columns().is_empty());
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn from_transactions(log: &TransactionLog) -> CustomerTable {
        Self::from_log_customers(log)
    }

    /// The interned ids (shared with a log for tables built by `from_log_customers`).
    pub(crate) fn interned_ids(&self) -> &CustomerIds {
        &self.ids
    }

    /// Number of customers (rows).
    pub fn n_customers(&self) -> usize {
        self.ids.len()
    }

    /// Customer ids in table order.
    pub fn ids(&self) -> &[String] {
        self.ids.as_slice()
    }

    /// Row of a customer id, if present.
    pub fn index_of_id(&self, id: &str) -> Option<usize> {
        self.ids.position(id)
    }

    /// All columns in insertion order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Column names in insertion order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Names of the numeric columns in insertion order.
    pub fn numeric_column_names(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| matches!(c.data, ColumnData::Numeric(_)))
            .map(|c| c.name.as_str())
            .collect()
    }

    /// Names of the categorical columns in insertion order.
    pub fn categorical_column_names(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| matches!(c.data, ColumnData::Categorical(_)))
            .map(|c| c.name.as_str())
            .collect()
    }

    /// Adds a column (any type); the name must be new and the length equal to
    /// [`n_customers`](Self::n_customers).
    pub fn add_column(&mut self, name: &str, data: ColumnData) -> Result<()> {
        if self.columns.iter().any(|c| c.name == name) {
            return Err(Error::invalid_parameter(
                "name",
                format!("`{name}`"),
                "a column name not already in the table",
            ));
        }
        if data.len() != self.n_customers() {
            return Err(Error::ShapeMismatch {
                what: format!("column `{name}` (one value per customer)"),
                expected: self.n_customers(),
                got: data.len(),
            });
        }
        self.columns.push(Column {
            name: name.to_string(),
            data,
        });
        Ok(())
    }

    /// Replaces column `name` by `data` under `new_name`, in the same position (a text date
    /// column by its tenure, say).
    pub(crate) fn replace_column(
        &mut self,
        name: &str,
        new_name: &str,
        data: ColumnData,
    ) -> Result<()> {
        let position = self
            .columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| self.unknown_column(name))?;
        if new_name != name && self.columns.iter().any(|c| c.name == new_name) {
            return Err(Error::invalid_parameter(
                "name",
                format!("`{new_name}`"),
                "a column name not already in the table",
            ));
        }
        if data.len() != self.n_customers() {
            return Err(Error::ShapeMismatch {
                what: format!("column `{new_name}` (one value per customer)"),
                expected: self.n_customers(),
                got: data.len(),
            });
        }
        self.columns[position] = Column {
            name: new_name.to_string(),
            data,
        };
        Ok(())
    }

    /// Adds a numeric column (`NaN` = missing; infinities are rejected, naming the row).
    pub fn add_numeric(&mut self, name: &str, values: Vec<f64>) -> Result<()> {
        if let Some(row) = values.iter().position(|v| v.is_infinite()) {
            return Err(Error::NonFiniteValue {
                what: format!("column `{name}`"),
                row,
                column: 0,
                value: values[row],
            });
        }
        self.add_column(name, ColumnData::Numeric(values))
    }

    /// Adds a categorical column from values (`None` = missing), categories in order of first
    /// appearance.
    pub fn add_categorical(&mut self, name: &str, values: &[Option<&str>]) -> Result<()> {
        self.add_column(
            name,
            ColumnData::Categorical(CategoricalColumn::from_values(values)),
        )
    }

    /// Adds an already encoded categorical column (see [`CategoricalColumn::from_codes`]).
    pub fn add_categorical_column(&mut self, name: &str, column: CategoricalColumn) -> Result<()> {
        self.add_column(name, ColumnData::Categorical(column))
    }

    fn unknown_column(&self, name: &str) -> Error {
        Error::UnknownColumn {
            name: name.to_string(),
            available: self.column_names().join(", "),
        }
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Result<&Column> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| self.unknown_column(name))
    }

    /// The values of numeric column `name` (`NaN` = missing).
    pub fn numeric(&self, name: &str) -> Result<&[f64]> {
        match &self.column(name)?.data {
            ColumnData::Numeric(v) => Ok(v),
            other => Err(Error::ColumnType {
                name: name.to_string(),
                expected: "numeric".into(),
                actual: other.kind().into(),
            }),
        }
    }

    /// Categorical column `name`.
    pub fn categorical(&self, name: &str) -> Result<&CategoricalColumn> {
        match &self.column(name)?.data {
            ColumnData::Categorical(c) => Ok(c),
            other => Err(Error::ColumnType {
                name: name.to_string(),
                expected: "categorical".into(),
                actual: other.kind().into(),
            }),
        }
    }

    /// Numeric columns side by side as an `n_customers x names.len()` matrix in table order.
    ///
    /// Missing values stay `NaN`: impute before clustering.
    pub fn numeric_matrix(&self, names: &[&str]) -> Result<Array2<f64>> {
        let columns = names
            .iter()
            .map(|n| self.numeric(n))
            .collect::<Result<Vec<_>>>()?;
        let mut x = Array2::zeros((self.n_customers(), names.len()));
        for (j, values) in columns.iter().enumerate() {
            for (dst, &v) in x.column_mut(j).iter_mut().zip(values.iter()) {
                *dst = v;
            }
        }
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> CustomerTable {
        let mut t = CustomerTable::new(vec!["a".into(), "b".into()]).unwrap();
        t.add_numeric("x", vec![1.0, f64::NAN]).unwrap();
        t.add_categorical("c", &[None, Some("p")]).unwrap();
        t.add_numeric("y", vec![3.0, 4.0]).unwrap();
        t
    }

    #[test]
    fn duplicate_ids_name_the_id_and_rows() {
        let err = CustomerTable::new(vec!["a".into(), "b".into(), "a".into()]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`a` at rows 0 and 2"), "{msg}");
    }

    #[test]
    fn columns_are_checked() {
        let mut t = table();
        assert!(matches!(
            t.add_numeric("z", vec![1.0]),
            Err(Error::ShapeMismatch {
                expected: 2,
                got: 1,
                ..
            })
        ));
        assert!(matches!(
            t.add_numeric("x", vec![1.0, 2.0]),
            Err(Error::InvalidParameter { name: "name", .. })
        ));
        assert!(matches!(
            t.add_numeric("inf", vec![1.0, f64::INFINITY]),
            Err(Error::NonFiniteValue { row: 1, .. })
        ));
        match t.numeric("nope") {
            Err(Error::UnknownColumn { name, available }) => {
                assert_eq!(name, "nope");
                assert_eq!(available, "x, c, y");
            }
            other => panic!("expected UnknownColumn, got {other:?}"),
        }
        assert!(matches!(t.numeric("c"), Err(Error::ColumnType { .. })));
        assert!(matches!(t.categorical("x"), Err(Error::ColumnType { .. })));
        assert_eq!(t.column_names(), ["x", "c", "y"]);
        assert_eq!(t.numeric_column_names(), ["x", "y"]);
        assert_eq!(t.categorical_column_names(), ["c"]);
    }

    #[test]
    fn numeric_matrix_in_requested_order() {
        let t = table();
        let x = t.numeric_matrix(&["y", "x"]).unwrap();
        assert_eq!(x[[0, 0]], 3.0);
        assert_eq!(x[[1, 0]], 4.0);
        assert_eq!(x[[0, 1]], 1.0);
        assert!(x[[1, 1]].is_nan());
        assert!(t.numeric_matrix(&["x", "c"]).is_err());
    }

    #[test]
    fn categorical_encoding() {
        let c = CategoricalColumn::from_values(&[Some("b"), Some("a"), None, Some("b")]);
        assert_eq!(c.categories, ["b", "a"]);
        assert_eq!(c.codes, [0, 1, CategoricalColumn::MISSING, 0]);
        assert_eq!(c.n_missing(), 1);
        assert!(c.is_missing(2));
        assert_eq!(c.code_of("a"), Some(1));
        assert!(CategoricalColumn::from_codes(vec!["a".into()], vec![0, 1]).is_err());
        assert!(CategoricalColumn::from_codes(vec!["a".into(), "a".into()], vec![0]).is_err());
        let ok = CategoricalColumn::from_codes(
            vec!["a".into(), "b".into()],
            vec![1, CategoricalColumn::MISSING],
        )
        .unwrap();
        assert_eq!(ok.get(0), Some("b"));
        assert_eq!(ok.get(1), None);
    }

    #[test]
    fn table_of_log_customers_shares_the_ids() {
        let day = crate::data::Date::parse("2025-01-01").unwrap();
        let log = TransactionLog::from_ids(&["b", "a", "b"], vec![day; 3], vec![1.0; 3]).unwrap();
        let t = CustomerTable::from_log_customers(&log);
        assert!(t.interned_ids().is_shared_with(log.interned_customer_ids()));
        assert_eq!(t.ids(), ["b", "a"]);
        assert_eq!(t.index_of_id("a"), Some(1));
        assert_eq!(t.index_of_id("c"), None);
        // A copy built from the same ids is equal but not shared.
        let copy = CustomerTable::new(log.customer_ids().to_vec()).unwrap();
        assert!(!copy
            .interned_ids()
            .is_shared_with(log.interned_customer_ids()));
        assert_eq!(copy.ids(), t.ids());
    }

    #[test]
    fn types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<CustomerTable>();
        assert_send_sync::<CategoricalColumn>();
        assert_send_sync::<Column>();
    }
}
