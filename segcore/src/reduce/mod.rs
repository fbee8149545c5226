//! Dimensionality reduction (PCA, correspondence analysis).

pub mod pca;

pub use pca::{NComponents, Pca, PcaParams, PcaSolver, PcaValidParams};
pub mod correspondence;

pub use correspondence::{Ca, CaParams, InertiaCorrection, Mca, McaParams};
