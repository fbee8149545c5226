//! The package of segcore's criterion benches and benchmark programs; the code is in its
//! bench and example targets.
