//! Column transforms fitted on data (standard scaling, ...).

mod scaler;

pub use scaler::{StandardScaler, StandardScalerParams};
