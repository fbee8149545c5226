//! # segcore
//!
//! Customer segmentation for B2B analytics with one fast core: features from firmographics and
//! transactions, k-means / Ward / Gaussian mixtures / k-prototypes / latent classes, PCA and
//! correspondence analysis, segment profiles, lifetime value, and mergeable statistics for
//! cluster engines.
//!
//! Data flows one way, lowest layer first: `persist` (the model document envelope), `cancel`
//! (stopping long work from outside) and
//! `validation` -> `data` -> `preprocessing` -> `features` / `datasets` -> `reduce` -> `cluster`
//! (every fitted model implements [`cluster::FittedClusterer`]) -> `select` / `partial` ->
//! `profile` -> `clv` -> `segmenter` -> `serve` (load any saved model and assign customers).
//! A lower layer never imports a higher one; `tests/architecture.rs` holds the order and
//! checks it.
#![warn(missing_docs)]

pub mod cancel;
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
#[cfg(test)]
mod testing;
pub mod validation;

pub use error::{Error, Result};
pub use linfa::Float;
/// The ndarray version segcore's arrays use: `segcore::ndarray::array![...]` builds inputs that
/// type-check without pinning ndarray in your own `Cargo.toml`.
pub use ndarray;
pub use segmenter::{Segmenter, SegmenterParams};
