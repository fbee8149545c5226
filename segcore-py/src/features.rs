//! `segcore.behaviour_features`: DataFrame columns in, the core's behaviour features out.

use crate::errors::{run_detached, to_py_err};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use segcore::data::{CategoricalColumn, CustomerTable, Date, TransactionLog};
use segcore::features::behaviour::{
    behaviour_features as core_behaviour_features, BehaviourParams,
};
use segcore::features::segmentation::{
    segmentation_features as core_segmentation_features, ANNUAL_REVENUE_COLUMN,
};

/// Transaction dates: either days since 1970-01-01 (from datetime64 columns) or strings that the
/// core parses (ISO, YYYYMMDD, DD.MM.YYYY), with errors naming the row.
#[derive(FromPyObject)]
pub enum DatesInput<'py> {
    /// Days since the epoch.
    Days(PyReadonlyArray1<'py, i64>),
    /// Date strings.
    Text(Vec<String>),
}

fn to_dates(dates: DatesInput<'_>) -> segcore::Result<Vec<Date>> {
    match dates {
        DatesInput::Days(days) => days
            .as_array()
            .iter()
            .enumerate()
            .map(|(row, &d)| {
                i32::try_from(d)
                    .map_err(|_| {
                        segcore::Error::invalid_parameter(
                            "date",
                            format!("{d} days at row {row}"),
                            "a date between years -5 million and 5 million",
                        )
                    })
                    .and_then(Date::from_days_since_epoch)
            })
            .collect(),
        DatesInput::Text(texts) => texts
            .iter()
            .enumerate()
            .map(|(row, text)| {
                Date::parse(text).map_err(|e| match e {
                    segcore::Error::Parse {
                        message, column, ..
                    } => segcore::Error::Parse {
                        source_name: "transactions".into(),
                        line: row,
                        column,
                        message: format!("{message} (row {row} of the DataFrame)"),
                    },
                    other => other,
                })
            })
            .collect(),
    }
}

/// Builds the core's customer table and transaction log from converted DataFrame columns.
#[allow(clippy::too_many_arguments)]
fn build_inputs(
    customer_ids: Vec<String>,
    annual_revenue: Option<Vec<f64>>,
    tx_customer_ids: &[String],
    dates: Vec<Date>,
    amounts: Vec<f64>,
    margin: Option<Vec<f64>>,
    product_category: Option<Vec<Option<String>>>,
) -> segcore::Result<(CustomerTable, TransactionLog)> {
    let mut customers = CustomerTable::new(customer_ids)?;
    if let Some(revenue) = annual_revenue {
        customers.add_numeric(ANNUAL_REVENUE_COLUMN, revenue)?;
    }
    let ids: Vec<&str> = tx_customer_ids.iter().map(String::as_str).collect();
    let mut log = TransactionLog::from_ids(&ids, dates, amounts)?;
    if let Some(margin) = margin {
        log = log.with_margin(margin)?;
    }
    if let Some(categories) = product_category {
        let values: Vec<Option<&str>> = categories.iter().map(|c| c.as_deref()).collect();
        log = log.with_product_category(CategoricalColumn::from_values(&values))?;
    }
    Ok((customers, log))
}

/// Computes behaviour features; returns `(feature_names, values, as_of_days_since_epoch)`.
#[pyfunction]
#[pyo3(signature = (customer_ids, tx_customer_ids, tx_dates, tx_amounts, tx_margin=None, tx_product_category=None, as_of=None))]
#[allow(clippy::too_many_arguments)]
pub fn behaviour_features<'py>(
    py: Python<'py>,
    customer_ids: Vec<String>,
    tx_customer_ids: Vec<String>,
    tx_dates: DatesInput<'py>,
    tx_amounts: PyReadonlyArray1<'py, f64>,
    tx_margin: Option<PyReadonlyArray1<'py, f64>>,
    tx_product_category: Option<Vec<Option<String>>>,
    as_of: Option<DatesInput<'py>>,
) -> PyResult<(Vec<String>, Bound<'py, PyArray2<f64>>, i32)> {
    let dates = to_dates(tx_dates).map_err(|e| to_py_err(py, e))?;
    let as_of = match as_of {
        None => None,
        Some(d) => to_dates(d).map_err(|e| to_py_err(py, e))?.pop(),
    };
    let amounts = tx_amounts.as_array().to_vec();
    let margin = tx_margin.map(|m| m.as_array().to_vec());
    let result = run_detached(py, move || {
        let (customers, log) = build_inputs(
            customer_ids,
            None,
            &tx_customer_ids,
            dates,
            amounts,
            margin,
            tx_product_category,
        )?;
        let params = BehaviourParams {
            as_of,
            ..BehaviourParams::default()
        };
        core_behaviour_features(&customers, &log, &params)
    })?;
    let names = result
        .feature_names()
        .into_iter()
        .map(String::from)
        .collect();
    let as_of_days = result.as_of.days_since_epoch();
    Ok((names, result.values.into_pyarray(py), as_of_days))
}

/// The default clustering features; returns `(names, raw_values, model_input)`.
#[pyfunction]
#[pyo3(signature = (customer_ids, annual_revenue, tx_customer_ids, tx_dates, tx_amounts, tx_product_category=None))]
#[allow(clippy::type_complexity)]
pub fn segmentation_features<'py>(
    py: Python<'py>,
    customer_ids: Vec<String>,
    annual_revenue: Option<PyReadonlyArray1<'py, f64>>,
    tx_customer_ids: Vec<String>,
    tx_dates: DatesInput<'py>,
    tx_amounts: PyReadonlyArray1<'py, f64>,
    tx_product_category: Option<Vec<Option<String>>>,
) -> PyResult<(
    Vec<String>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
)> {
    let dates = to_dates(tx_dates).map_err(|e| to_py_err(py, e))?;
    let amounts = tx_amounts.as_array().to_vec();
    let revenue = annual_revenue.map(|r| r.as_array().to_vec());
    let result = run_detached(py, move || {
        let (customers, log) = build_inputs(
            customer_ids,
            revenue,
            &tx_customer_ids,
            dates,
            amounts,
            None,
            tx_product_category,
        )?;
        core_segmentation_features(&customers, &log)
    })?;
    Ok((
        result.names,
        result.raw.into_pyarray(py),
        result.model_input.into_pyarray(py),
    ))
}
