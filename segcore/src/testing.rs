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

/// Asserts that checked parameters `valid` round-trip through their JSON document, and that
/// the document with `from` replaced by `to` is refused with the error `check` gives (the
/// checked constructor's typed error, whose message the format's error carries).
pub(crate) fn refused_out_of_range<T>(valid: &T, from: &str, to: &str, check: crate::Result<T>)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let document = serde_json::to_string(valid).expect("parameters serialise");
    let back: T = serde_json::from_str(&document).expect("a valid document reads back");
    assert_eq!(&back, valid);
    assert!(document.contains(from), "{from} not in {document}");
    let expected = check.expect_err("the check refuses the value");
    assert!(
        matches!(expected, crate::Error::InvalidParameter { .. }),
        "{expected:?}"
    );
    let refused = serde_json::from_str::<T>(&document.replacen(from, to, 1))
        .expect_err("an out-of-range document is refused");
    assert!(
        refused.to_string().starts_with(&expected.to_string()),
        "{refused} does not carry {expected}"
    );
}

/// Nine points in three tight, well separated groups of three (rows 0-2, 3-5, 6-8).
pub(crate) fn three_groups() -> ndarray::Array2<f64> {
    ndarray::array![
        [0.0, 0.1],
        [0.2, 0.0],
        [0.1, 0.3],
        [5.0, 5.1],
        [5.2, 5.0],
        [4.9, 5.3],
        [9.0, 0.2],
        [9.1, 0.0],
        [8.8, 0.1]
    ]
}
