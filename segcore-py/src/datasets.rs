//! `segcore.datasets.make_b2b`: the core's synthetic customer base, handed over column by column
//! (numbers as numpy arrays without per-value conversion, categories as codes + labels).

use crate::arrays::non_negative;
use crate::errors::{run_detached, to_py_err};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use segcore::data::{CategoricalColumn, ColumnData};
use segcore::datasets::{make_b2b as core_make_b2b, B2bParams};

/// Codes as i64 with -1 for missing (pandas' `Categorical.from_codes` convention).
fn categorical<'py>(py: Python<'py>, column: &CategoricalColumn) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let codes: Vec<i64> = column
        .codes
        .iter()
        .map(|&c| {
            if c == CategoricalColumn::MISSING {
                -1
            } else {
                i64::from(c)
            }
        })
        .collect();
    dict.set_item("codes", codes.into_pyarray(py))?;
    dict.set_item("categories", PyList::new(py, &column.categories)?)?;
    Ok(dict)
}

/// Generates the synthetic base; returns a dict of `customers`, `transactions` (each a dict of
/// columns), `true_segment` and `segment_names`.
#[pyfunction]
#[pyo3(signature = (n_customers, years, random_state))]
pub fn make_b2b(
    py: Python<'_>,
    n_customers: i64,
    years: i64,
    random_state: u64,
) -> PyResult<Bound<'_, PyDict>> {
    let params = (|| {
        Ok::<_, segcore::Error>(B2bParams {
            n_customers: non_negative("n_customers", n_customers)?,
            years: u32::try_from(years).map_err(|_| {
                segcore::Error::invalid_parameter("years", years, "an integer in 1..=20")
            })?,
            random_state,
            ..B2bParams::default()
        })
    })()
    .map_err(|e| to_py_err(py, e))?;
    let data = run_detached(py, move || core_make_b2b(&params))?;

    let customers = PyDict::new(py);
    customers.set_item("customer_id", PyList::new(py, data.customers.ids())?)?;
    for column in data.customers.columns() {
        match &column.data {
            ColumnData::Numeric(values) => {
                customers.set_item(&column.name, values.clone().into_pyarray(py))?
            }
            ColumnData::Categorical(c) => customers.set_item(&column.name, categorical(py, c)?)?,
        }
    }

    let log = &data.transactions;
    let transactions = PyDict::new(py);
    let customer = PyDict::new(py);
    customer.set_item(
        "codes",
        log.customer_codes()
            .iter()
            .map(|&c| i64::from(c))
            .collect::<Vec<_>>()
            .into_pyarray(py),
    )?;
    customer.set_item("categories", PyList::new(py, log.customer_ids())?)?;
    transactions.set_item("customer_id", customer)?;
    let days: Vec<i64> = log
        .dates()
        .iter()
        .map(|d| i64::from(d.days_since_epoch()))
        .collect();
    transactions.set_item("date", days.into_pyarray(py))?;
    transactions.set_item("amount", log.amounts().to_vec().into_pyarray(py))?;
    if let Some(margin) = log.margin() {
        transactions.set_item("margin", margin.to_vec().into_pyarray(py))?;
    }
    if let Some(quantity) = log.quantity() {
        transactions.set_item("quantity", quantity.to_vec().into_pyarray(py))?;
    }
    if let Some(c) = log.product_category() {
        transactions.set_item("product_category", categorical(py, c)?)?;
    }
    if let Some(c) = log.channel() {
        transactions.set_item("channel", categorical(py, c)?)?;
    }

    let result = PyDict::new(py);
    result.set_item("customers", customers)?;
    result.set_item("transactions", transactions)?;
    result.set_item("true_segment", data.true_segment.clone().into_pyarray(py))?;
    result.set_item("segment_names", PyList::new(py, &data.segment_names)?)?;
    Ok(result)
}
