//! # segcore
//!
//! Customer segmentation for B2B analytics with one fast core: features from firmographics and
//! transactions, k-means / Ward / Gaussian mixtures, PCA and segment profiles.
//!
//! Data flows one way: `data` -> `features` / `preprocessing` -> `reduce` -> `cluster` ->
//! `select` / `profile`. A lower layer never imports a higher one.
#![warn(missing_docs)]

pub mod cluster;
pub mod clv;
pub mod data;
pub mod datasets;
pub mod error;
pub mod features;
mod numeric;
pub mod partial;
pub mod persist;
pub mod preprocessing;
pub mod profile;
pub mod reduce;
pub mod segmenter;
pub mod select;
pub mod serve;
mod simd;
pub mod validation;

pub use error::{Error, Result};
pub use linfa::Float;
pub use segmenter::{Segmenter, SegmenterParams};
