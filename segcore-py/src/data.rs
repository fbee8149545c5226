//! Transaction frames as exports come: the columns recognised by role from English and German
//! header names, and line amounts as quantity x unit price, both computed by the core
//! (`segcore::data::roles`).

use crate::errors::IntoPyResult;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use segcore::data::{line_amounts as core_line_amounts, ColumnChoice, TransactionRole};
use std::collections::HashMap;

/// `{role: column or None}` of a transaction frame with columns `names`: the `given` columns
/// (role -> column, checked to exist) over the recognised ones. Without an amount column but
/// with quantity and unit price, `amount` is None and the amount is quantity x unit price. A
/// required role neither given nor recognised is a `ColumnError` naming the columns found.
#[pyfunction]
#[pyo3(signature = (names, given, source_name="transactions"))]
pub fn recognise_transaction_columns(
    py: Python<'_>,
    names: Vec<String>,
    given: HashMap<String, String>,
    source_name: &str,
) -> PyResult<HashMap<&'static str, Option<String>>> {
    let mut choice = ColumnChoice::default();
    for (role, column) in given {
        let slot = match role.as_str() {
            "customer" => &mut choice.customer,
            "date" => &mut choice.date,
            "amount" => &mut choice.amount,
            "quantity" => &mut choice.quantity,
            "unit_price" => &mut choice.unit_price,
            "margin" => &mut choice.margin,
            "product_category" => &mut choice.product_category,
            "channel" => &mut choice.channel,
            other => {
                return Err(segcore::Error::invalid_parameter(
                    "transaction_columns",
                    format!("'{other}'"),
                    "roles among customer, date, amount, quantity, unit_price, margin, \
                     product_category, channel",
                ))
                .into_py_result(py)
            }
        };
        *slot = Some(column);
    }
    let roles = segcore::data::recognise_transaction_columns(&names, source_name, &choice)
        .into_py_result(py)?;
    Ok(roles
        .into_iter()
        .map(|(role, column): (TransactionRole, Option<String>)| (role.key(), column))
        .collect())
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
