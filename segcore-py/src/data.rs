//! Transaction frames as exports come: the columns recognised by role from English and German
//! header names, computed by the core (`segcore::data::roles`; line amounts as quantity x unit
//! price are `features::AmountsInput`).

use crate::errors::IntoPyResult;
use pyo3::prelude::*;
use pyo3::types::PyMapping;
use segcore::data::{frame_transaction_columns, TransactionRole};
use segcore::Error;
use std::collections::HashMap;

/// `{role: column or None}` of a transaction frame with columns `names`, as
/// `segcore::data::frame_transaction_columns` reads them: the `given` roles (a mapping of role to
/// column, or to None to turn one off; keys and columns read as their `str`), then the default names (`customer_id` for the customer), then the
/// recognised ones. Without an amount column but with quantity and unit price, `amount` is None
/// and the amount is quantity x unit price. A required role neither given nor found is a
/// `ColumnError` naming the columns found.
#[pyfunction]
#[pyo3(signature = (names, given, customer_id, source_name="transactions"))]
pub fn transaction_roles(
    py: Python<'_>,
    names: Vec<String>,
    given: Option<&Bound<'_, PyAny>>,
    customer_id: &str,
    source_name: &str,
) -> PyResult<HashMap<&'static str, Option<String>>> {
    let mut pairs = Vec::new();
    if let Some(given) = given.filter(|g| !g.is_none()) {
        let Ok(mapping) = given.cast::<PyMapping>() else {
            let expected = "a dict such as {'date': 'order_date', 'amount': 'net_eur'}";
            return Err(Error::invalid_parameter(
                "transaction_columns",
                given.repr()?,
                expected,
            ))
            .into_py_result(py);
        };
        for item in mapping.items()?.iter() {
            let (key, column) = item.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()?;
            let column = if column.is_none() {
                None
            } else {
                Some(column.str()?.to_string())
            };
            pairs.push((key.str()?.to_string(), column));
        }
    }
    let given = pairs
        .into_iter()
        .map(|(key, column)| match TransactionRole::from_key(&key) {
            Some(role) if role != TransactionRole::Invoice => Ok((role, column)),
            _ => Err(Error::invalid_parameter(
                "transaction_columns",
                format!("'{key}'"),
                "roles among customer, date, amount, quantity, unit_price, margin, \
                 product_category, channel",
            )),
        })
        .collect::<segcore::Result<Vec<_>>>()
        .into_py_result(py)?;
    let roles =
        frame_transaction_columns(&names, source_name, &given, customer_id).into_py_result(py)?;
    Ok(roles
        .into_iter()
        .map(|(role, column)| (role.key(), column))
        .collect())
}

/// The default column of each role of a transaction log (`TransactionRole::default_column`),
/// in the order the binding takes the roles: what the feature functions' `customer`, `date` and
/// `amount` parameters default to.
#[pyfunction]
pub fn default_transaction_columns() -> Vec<(&'static str, &'static str)> {
    use TransactionRole as R;
    [
        R::Customer,
        R::Date,
        R::Amount,
        R::Margin,
        R::ProductCategory,
        R::Channel,
    ]
    .into_iter()
    .filter_map(|role| Some((role.key(), role.default_column()?)))
    .collect()
}
