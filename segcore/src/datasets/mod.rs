//! Deterministic synthetic B2B customer bases with ground-truth segments.
//!
//! - [`make_b2b`]: firmographics, a multi-year order-line log and five segments of an industrial
//!   supplier, seeded and bit-identical on any thread count.

pub mod b2b;

pub use b2b::{make_b2b, B2bDataset, B2bParams};
