//! Dimensionality reduction (PCA).

pub mod pca;

pub use pca::{NComponents, Pca, PcaParams, PcaSolver, PcaValidParams};
