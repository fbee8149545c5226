//! Dimensionality reduction (PCA).
