//! segcore's integration tests, one module per subject, built as one test binary: each further
//! binary costs a compile and a link against segcore and its dependencies (docs/performance.md,
//! the test command's fourth pass).

mod common;

mod architecture;
mod data_real;
mod end_to_end;
mod pipeline_json;
mod profile;
mod properties;
mod segmenter;
