//! Shared by the integration tests: finding the real datasets of `shared/data`.

use std::path::PathBuf;

/// `relative` inside `$SEGCORE_DATA` or `<repo>/../shared/data`, or `None` after printing why
/// the calling test skips (the files are never copied into the repo; CI always has them).
pub fn data_file(relative: &str) -> Option<PathBuf> {
    let root = std::env::var_os("SEGCORE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    let path = root.join(relative);
    if path.is_file() {
        Some(path)
    } else {
        println!(
            "SKIPPED: {} not found (set SEGCORE_DATA to the shared data folder)",
            path.display()
        );
        None
    }
}
