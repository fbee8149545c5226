//! The default clustering features of a B2B customer base: behaviour from the transaction log
//! plus firmographic size, in a form k-means can use.
//!
//! This is the first, fixed recipe of the end-to-end path (the feature-pipeline issue makes it
//! configurable): for every customer of the table,
//! `monetary`, `frequency`, `recency_days`, `average_order_value`, `product_categories` (when the
//! log has categories) and `annual_revenue_eur` (when the table has it). Skewed, non-negative
//! money and count columns go through `ln(1 + max(x, 0))` (net revenue after returns can be
//! negative; it is floored at 0 for the transform only); missing values (customers without
//! orders, missing firmographics) are imputed with the column median of the customers that have
//! one. The untransformed values are kept for profiling in original units.

use crate::data::{CustomerTable, TransactionLog};
use crate::error::{Error, Result};
use crate::features::behaviour::{behaviour_features, BehaviourParams};
use ndarray::{Array2, ArrayView1};

/// Name of the firmographic revenue column used when present.
pub const ANNUAL_REVENUE_COLUMN: &str = "annual_revenue_eur";

/// Clustering-ready features with their original-unit twins.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SegmentationFeatures {
    /// Column names, shared by `raw` and `model_input`.
    pub names: Vec<String>,
    /// Values in original units (days, euros, counts), NaN where undefined: for profiles.
    pub raw: Array2<f64>,
    /// log1p-transformed, median-imputed values, finite everywhere: scale, then cluster.
    pub model_input: Array2<f64>,
    /// The median used to impute each column of `model_input` (in transformed units).
    pub imputed_with: Vec<f64>,
}

/// Whether a column is transformed with `ln(1 + max(x, 0))` before clustering.
fn is_log_scaled(name: &str) -> bool {
    name != "recency_days"
}

/// Builds [`SegmentationFeatures`] for every customer of `customers` from `transactions`.
///
/// ```
/// use segcore::datasets::{make_b2b, B2bParams};
/// use segcore::features::segmentation::segmentation_features;
///
/// let data = make_b2b(&B2bParams { n_customers: 200, ..B2bParams::default() })?;
/// let f = segmentation_features(&data.customers, &data.transactions)?;
/// assert_eq!(f.model_input.nrows(), 200);
/// assert!(f.model_input.iter().all(|v| v.is_finite()));
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn segmentation_features(
    customers: &CustomerTable,
    transactions: &TransactionLog,
) -> Result<SegmentationFeatures> {
    let behaviour = behaviour_features(customers, transactions, &BehaviourParams::default())?;
    let mut wanted = vec![
        "monetary",
        "frequency",
        "recency_days",
        "average_order_value",
    ];
    if transactions.product_category().is_some() {
        wanted.push("product_categories");
    }
    let mut names: Vec<String> = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for name in wanted {
        names.push(name.to_string());
        columns.push(behaviour.column(name)?.to_vec());
    }
    if let Ok(revenue) = customers.numeric(ANNUAL_REVENUE_COLUMN) {
        names.push(ANNUAL_REVENUE_COLUMN.to_string());
        columns.push(revenue.to_vec());
    }
    let n = customers.n_customers();
    let mut raw = Array2::<f64>::zeros((n, names.len()));
    let mut model_input = Array2::<f64>::zeros((n, names.len()));
    let mut imputed_with = Vec::with_capacity(names.len());
    for (j, (name, values)) in names.iter().zip(&columns).enumerate() {
        raw.column_mut(j).assign(&ArrayView1::from(values));
        let transformed: Vec<f64> = values
            .iter()
            .map(|&v| {
                if is_log_scaled(name) && !v.is_nan() {
                    v.max(0.0).ln_1p()
                } else {
                    v
                }
            })
            .collect();
        let median = median_ignoring_nan(&transformed).ok_or_else(|| Error::EmptyInput {
            what: format!("feature `{name}` has no defined value for any customer"),
        })?;
        imputed_with.push(median);
        for (row, v) in transformed.into_iter().enumerate() {
            model_input[[row, j]] = if v.is_nan() { median } else { v };
        }
    }
    Ok(SegmentationFeatures {
        names,
        raw,
        model_input,
        imputed_with,
    })
}

fn median_ignoring_nan(values: &[f64]) -> Option<f64> {
    let mut defined: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if defined.is_empty() {
        return None;
    }
    defined.sort_by(f64::total_cmp);
    let mid = defined.len() / 2;
    Some(if defined.len() % 2 == 1 {
        defined[mid]
    } else {
        (defined[mid - 1] + defined[mid]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Date;

    #[test]
    fn every_customer_gets_finite_features_and_raw_nan_is_kept() {
        let d = |s| Date::parse(s).unwrap();
        let mut customers = CustomerTable::new(vec!["A".into(), "B".into(), "C".into()]).unwrap();
        customers
            .add_numeric(ANNUAL_REVENUE_COLUMN, vec![1e6, f64::NAN, 3e6])
            .unwrap();
        let log = TransactionLog::from_ids(
            &["A", "A", "B"],
            vec![d("2025-01-01"), d("2025-02-01"), d("2025-03-01")],
            vec![100.0, -20.0, 50.0],
        )
        .unwrap();
        let f = segmentation_features(&customers, &log).unwrap();
        assert_eq!(f.model_input.nrows(), 3);
        assert!(f.model_input.iter().all(|v| v.is_finite()));
        let recency = f.names.iter().position(|n| n == "recency_days").unwrap();
        assert!(
            f.raw[[2, recency]].is_nan(),
            "C never ordered: undefined in raw"
        );
        let revenue = f
            .names
            .iter()
            .position(|n| n == ANNUAL_REVENUE_COLUMN)
            .unwrap();
        // B's missing revenue is imputed with the median of ln(1 + revenue) over A and C.
        let expected = ((1e6f64).ln_1p() + (3e6f64).ln_1p()) / 2.0;
        assert!((f.model_input[[1, revenue]] - expected).abs() < 1e-12);
        let monetary = f.names.iter().position(|n| n == "monetary").unwrap();
        assert_eq!(f.raw[[0, monetary]], 80.0);
    }
}
