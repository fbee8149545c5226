//! Column transforms fitted on data (standard scaling, robust scaling).

mod robust;
mod scaler;

pub(crate) use robust::{median_sorted, quantile_sorted};
pub use robust::{RobustScaler, RobustScalerParams};
pub use scaler::{StandardScaler, StandardScalerParams, StandardScalerValidParams};
