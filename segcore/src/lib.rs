//! # segcore
//!
//! Customer segmentation for B2B analytics with one fast core: features from firmographics and
//! transactions, k-means / Ward / Gaussian mixtures, PCA and segment profiles.
//!
//! Data flows one way: `data` -> `preprocessing` -> `cluster` -> `profile`. A lower layer never
//! imports a higher one.
#![warn(missing_docs)]

pub mod error;
pub mod validation;

pub use error::{Error, Result};
pub use linfa::Float;
