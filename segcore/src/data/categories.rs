//! The categories of categorical columns given value by value (k-prototypes, latent class
//! analysis, MCA): which categories a column has, their order, and the code of every value.
//!
//! Policy (pandas' `factorize(sort=True)`, which the kmodes, stepmix and prince oracles encode
//! with):
//! - a value is a number (bools, integers and floats compare by value: `True == 1 == 1.0`) or
//!   text; missing values are `None`;
//! - the categories are the distinct values present, sorted: numbers ascending, text by byte
//!   (code point) order; a column mixing numbers and text cannot be ordered and keeps the order
//!   of first appearance; a declared order (a pandas `Categorical`) wins over both;
//! - code `c` is the `c`-th category, so k-prototypes' ties (broken by the lowest code) follow
//!   that order;
//! - a missing value is an error naming the column and row, or the code [`MISSING`];
//! - at prediction a value not seen at fit is an error ([`Error::UnknownCategory`]) or the code
//!   `n_categories` (it matches no category).

use crate::error::{Error, Result};
use ndarray::Array2;
use std::collections::HashMap;

/// Code of a missing value (the latent class model's missing answer).
pub const MISSING: u32 = u32::MAX;

/// One categorical value.
#[derive(Debug, Clone, PartialEq)]
pub enum Category {
    /// A number (bools as 0 and 1); never NaN (a NaN is a missing value).
    Number(f64),
    /// Text.
    Text(String),
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Category::Number(x) => write!(f, "{x}"),
            Category::Text(s) => f.write_str(s),
        }
    }
}

/// A hashable key of a value: equal numbers (0.0 and -0.0 too) share one key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key<'a> {
    Number(u64),
    Text(&'a str),
}

fn key(value: &Category) -> Key<'_> {
    match value {
        Category::Number(x) => Key::Number(if *x == 0.0 { 0 } else { x.to_bits() }),
        Category::Text(s) => Key::Text(s),
    }
}

/// What a missing value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingCategories {
    /// An error naming the column and the row.
    Error,
    /// The code [`MISSING`].
    Code,
}

/// What a value not seen at fit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnseenCategories {
    /// [`Error::UnknownCategory`].
    Error,
    /// The code `n_categories` of its column (it matches no category).
    Mismatch,
}

/// One categorical column as read from the caller's table.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalValues {
    /// Column name (for the errors).
    pub name: String,
    /// Every row's value.
    pub values: Vec<Option<Category>>,
    /// A declared category order (a pandas `Categorical`'s categories), if any.
    pub declared: Option<Vec<Category>>,
}

/// The categories learnt from a column: for each category, in code order, the row of its first
/// appearance (so the caller shows the category as its own value there).
pub type CategoryRows = Vec<usize>;

fn missing_error(column: &str, row: usize) -> Error {
    Error::MissingCategory {
        column: column.to_string(),
        row,
    }
}

/// The categories of every column ([`CategoryRows`], see the module doc for their order) and the
/// codes of the rows (rows x columns).
pub fn fit_categories(
    columns: &[CategoricalValues],
    missing: MissingCategories,
) -> Result<(Vec<CategoryRows>, Array2<u32>)> {
    let mut learnt = Vec::with_capacity(columns.len());
    for column in columns {
        let mut first: HashMap<Key<'_>, usize> = HashMap::new();
        let mut rows: Vec<usize> = Vec::new();
        for (row, value) in column.values.iter().enumerate() {
            match value {
                None if missing == MissingCategories::Error => {
                    return Err(missing_error(&column.name, row))
                }
                None => {}
                Some(v) => {
                    first.entry(key(v)).or_insert_with(|| {
                        rows.push(row);
                        row
                    });
                }
            }
        }
        let value = |row: usize| column.values[row].as_ref().expect("rows hold values");
        if let Some(declared) = &column.declared {
            let position: HashMap<Key<'_>, usize> = declared
                .iter()
                .enumerate()
                .map(|(i, c)| (key(c), i))
                .collect();
            rows.sort_by_key(|&r| position.get(&key(value(r))).copied().unwrap_or(usize::MAX));
        } else if rows
            .iter()
            .all(|&r| matches!(value(r), Category::Number(_)))
        {
            rows.sort_by(|&a, &b| match (value(a), value(b)) {
                (Category::Number(x), Category::Number(y)) => x.total_cmp(y),
                _ => std::cmp::Ordering::Equal,
            });
        } else if rows.iter().all(|&r| matches!(value(r), Category::Text(_))) {
            rows.sort_by(|&a, &b| match (value(a), value(b)) {
                (Category::Text(x), Category::Text(y)) => x.cmp(y),
                _ => std::cmp::Ordering::Equal,
            });
        }
        learnt.push(rows);
    }
    let categories: Vec<Vec<Category>> = columns
        .iter()
        .zip(&learnt)
        .map(|(column, rows)| {
            rows.iter()
                .map(|&r| column.values[r].clone().expect("rows hold values"))
                .collect()
        })
        .collect();
    let codes = category_codes(columns, &categories, UnseenCategories::Error, missing)?;
    Ok((learnt, codes))
}

/// The codes (rows x columns) of `columns` in the fitted `categories` of each column.
pub fn category_codes(
    columns: &[CategoricalValues],
    categories: &[Vec<Category>],
    unseen: UnseenCategories,
    missing: MissingCategories,
) -> Result<Array2<u32>> {
    if columns.len() != categories.len() {
        return Err(Error::ShapeMismatch {
            what: "categorical columns".into(),
            expected: categories.len(),
            got: columns.len(),
        });
    }
    let n_rows = columns.first().map_or(0, |c| c.values.len());
    let mut codes = Array2::<u32>::zeros((n_rows, columns.len()));
    for (j, (column, cats)) in columns.iter().zip(categories).enumerate() {
        if column.values.len() != n_rows {
            return Err(Error::ShapeMismatch {
                what: format!("column {} (rows)", column.name),
                expected: n_rows,
                got: column.values.len(),
            });
        }
        let index: HashMap<Key<'_>, u32> = cats
            .iter()
            .enumerate()
            .map(|(c, v)| (key(v), c as u32))
            .collect();
        for (row, value) in column.values.iter().enumerate() {
            codes[[row, j]] = match value {
                None => match missing {
                    MissingCategories::Error => return Err(missing_error(&column.name, row)),
                    MissingCategories::Code => MISSING,
                },
                Some(v) => match (index.get(&key(v)), unseen) {
                    (Some(&c), _) => c,
                    (None, UnseenCategories::Mismatch) => cats.len() as u32,
                    (None, UnseenCategories::Error) => {
                        return Err(Error::UnknownCategory {
                            column: column.name.clone(),
                            value: v.to_string(),
                        })
                    }
                },
            };
        }
    }
    Ok(codes)
}

/// A column as a caller names it: by position (negative counts from the end) or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    /// A position.
    Index(i64),
    /// A name.
    Name(String),
    /// Anything else (a bool, a float...): always an error.
    Invalid,
}

/// The sorted distinct positions of the columns `given` for `parameter` among `n_columns`
/// columns: `names` holds the columns' names (None for an array, whose columns have positions
/// only; None for a column whose label is not text); `shown` is the parameter as the caller
/// wrote it, for the errors.
pub fn select_columns(
    parameter: &'static str,
    shown: &str,
    given: &[ColumnRef],
    names: Option<&[Option<String>]>,
    n_columns: usize,
) -> Result<Vec<usize>> {
    let n = n_columns as i64;
    let mut out = Vec::with_capacity(given.len());
    for column in given {
        let position = match (column, names) {
            (ColumnRef::Name(name), Some(names)) => names
                .iter()
                .position(|n| n.as_deref() == Some(name.as_str()))
                .ok_or_else(|| {
                    Error::invalid_parameter(
                        parameter,
                        shown,
                        format!("column names of X; column '{name}' is not in X"),
                    )
                })?,
            (ColumnRef::Index(i), _) if (-n..n).contains(i) => i.rem_euclid(n) as usize,
            _ => {
                return Err(Error::invalid_parameter(
                    parameter,
                    shown,
                    format!("column indices in [0, {n_columns}) or column names"),
                ))
            }
        };
        out.push(position);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: Vec<Option<Category>>) -> CategoricalValues {
        CategoricalValues {
            name: "c".into(),
            values,
            declared: None,
        }
    }
    fn text(s: &str) -> Option<Category> {
        Some(Category::Text(s.into()))
    }
    fn num(x: f64) -> Option<Category> {
        Some(Category::Number(x))
    }

    #[test]
    fn categories_sort_as_pandas_and_mixed_columns_keep_first_appearance() {
        let columns = [
            column(vec![text("b"), text("a"), text("b"), None]),
            column(vec![num(2.0), num(1.0), num(-0.0), num(0.0)]),
            column(vec![text("z"), num(1.0), text("a"), num(1.0)]),
        ];
        let (rows, codes) = fit_categories(&columns, MissingCategories::Code).unwrap();
        assert_eq!(rows, vec![vec![1, 0], vec![2, 1, 0], vec![0, 1, 2]]);
        assert_eq!(codes.column(0).to_vec(), vec![1, 0, 1, MISSING]);
        assert_eq!(codes.column(1).to_vec(), vec![2, 1, 0, 0]);
        assert_eq!(codes.column(2).to_vec(), vec![0, 1, 2, 1]);
        let err = fit_categories(&columns, MissingCategories::Error).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("missing value in categorical column c at row 3"));
    }

    #[test]
    fn a_declared_order_wins_and_unseen_values_follow_the_policy() {
        let mut declared = column(vec![text("S"), text("L"), text("M")]);
        declared.declared = Some(
            ["M", "L", "S", "XL"]
                .map(|s| Category::Text(s.into()))
                .to_vec(),
        );
        let (rows, _) = fit_categories(&[declared], MissingCategories::Error).unwrap();
        assert_eq!(rows, vec![vec![2, 1, 0]]);
        let cats = vec![vec![Category::Text("a".into())]];
        let new = [column(vec![text("a"), text("q")])];
        let codes = category_codes(
            &new,
            &cats,
            UnseenCategories::Mismatch,
            MissingCategories::Error,
        );
        assert_eq!(codes.unwrap().column(0).to_vec(), vec![0, 1]);
        let err = category_codes(
            &new,
            &cats,
            UnseenCategories::Error,
            MissingCategories::Error,
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "unknown category `q` in column `c`"
        );
    }

    #[test]
    fn columns_are_selected_by_position_or_name() {
        let names = [Some("a".to_string()), None, Some("c".to_string())];
        let given = [
            ColumnRef::Name("c".into()),
            ColumnRef::Index(-3),
            ColumnRef::Index(0),
        ];
        let chosen = select_columns("categorical", "x", &given, Some(&names), 3).unwrap();
        assert_eq!(chosen, vec![0, 2]);
        let err = select_columns(
            "categorical",
            "['z']",
            &[ColumnRef::Name("z".into())],
            Some(&names),
            3,
        );
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("column 'z' is not in X"));
        for bad in [
            ColumnRef::Index(3),
            ColumnRef::Invalid,
            ColumnRef::Name("a".into()),
        ] {
            let err = select_columns("categorical", "[3]", &[bad], None, 3).unwrap_err();
            assert!(err
                .to_string()
                .ends_with("expected column indices in [0, 3) or column names"));
        }
    }
}
