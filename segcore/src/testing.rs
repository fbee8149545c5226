//! Helpers shared by the unit tests (compiled for tests only).

/// Runs `f` on a fresh rayon pool of `threads` threads.
pub(crate) fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool of a few threads builds")
        .install(f)
}

/// Runs `fit` on pools of `a` and of `b` threads, asserts that both give the same result and
/// returns it: the determinism tests (same data + seed = same bits on any thread count).
pub(crate) fn same_on_threads<T: Send + PartialEq + std::fmt::Debug>(
    a: usize,
    b: usize,
    fit: impl Fn() -> T + Sync,
) -> T {
    let first = on_threads(a, &fit);
    assert_eq!(first, on_threads(b, &fit), "{a} and {b} threads differ");
    first
}
