//! Transaction frames as exports come: the columns recognised by role from English and German
//! header names, and line amounts as quantity x unit price, both computed by the core
//! (`segcore::data::roles`).

use crate::errors::IntoPyResult;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use segcore::data::{
    frame_transaction_columns, line_amounts as core_line_amounts, TransactionRole,
};
use std::collections::HashMap;

/// `{role: column or None}` of a transaction frame with columns `names`, as
/// `segcore::data::frame_transaction_columns` reads them: the `given` roles (a column, or None
/// to turn one off), then the default names (`customer_id` for the customer), then the
/// recognised ones. Without an amount column but with quantity and unit price, `amount` is None
/// and the amount is quantity x unit price. A required role neither given nor found is a
/// `ColumnError` naming the columns found.
#[pyfunction]
#[pyo3(signature = (names, given, customer_id, source_name="transactions"))]
pub fn transaction_roles(
    py: Python<'_>,
    names: Vec<String>,
    given: HashMap<String, Option<String>>,
    customer_id: &str,
    source_name: &str,
) -> PyResult<HashMap<&'static str, Option<String>>> {
    let given = given
        .into_iter()
        .map(|(key, column)| match TransactionRole::from_key(&key) {
            Some(role) if role != TransactionRole::Invoice => Ok((role, column)),
            _ => Err(segcore::Error::invalid_parameter(
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

/// Line amounts `quantity x unit_price` (float64; a non-finite input names its row).
#[pyfunction]
pub fn line_amounts<'py>(
    py: Python<'py>,
    quantity: PyReadonlyArray1<'py, f64>,
    unit_price: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let q = quantity.as_array();
    let p = unit_price.as_array();
    let (q, p): (Vec<f64>, Vec<f64>) = (q.iter().copied().collect(), p.iter().copied().collect());
    let amounts = core_line_amounts(&q, &p).into_py_result(py)?;
    Ok(amounts.into_pyarray(py))
}
