//! Cancellation of long work (Ctrl-C in Python, a deadline in a service).
//!
//! A caller that wants to stop a fit from outside creates a [`CancelFlag`], runs the work inside
//! [`with_flag`] on the thread that calls segcore, and raises the flag from another thread. Every
//! long loop of the crate (an iteration of k-means, k-prototypes, EM or the CLV optimiser, a
//! k-means++ center, a Ward or model-based merge, a PCA pass or power iteration, a block of
//! silhouette rows, a column and phase of the feature pipeline, a candidate k, a phase of the
//! Segmenter) calls [`check`] at its boundary, which returns [`Error::Cancelled`] once the flag
//! is up; the error travels out through the ordinary `Result`s, so nothing half-fitted is returned.
//!
//! Invariants: [`check`] costs one thread-local read and one relaxed atomic load; without a flag
//! (every Rust caller that does not ask for cancellation) it always succeeds, so results never
//! depend on it. The flag belongs to the calling thread: loops that run on rayon's workers check
//! it at their boundaries on the calling thread (or carry it over with [`current`] and
//! [`check_carried`]).

use crate::error::{Error, Result};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A shared "stop now" switch; clones share the same switch.
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A flag that is down.
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the flag: the work running under it stops at its next [`check`].
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// `true` once [`CancelFlag::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

thread_local! {
    static CURRENT: RefCell<Option<CancelFlag>> = const { RefCell::new(None) };
}

/// Runs `work` on this thread with `flag` as its cancellation flag (restoring the previous one
/// afterwards, so calls nest).
///
/// ```
/// use segcore::cancel::{check, with_flag, CancelFlag};
/// let flag = CancelFlag::new();
/// assert!(with_flag(&flag, check).is_ok());
/// flag.cancel();
/// assert!(matches!(with_flag(&flag, check), Err(segcore::Error::Cancelled)));
/// assert!(check().is_ok()); // outside the scope: no flag
/// ```
pub fn with_flag<R>(flag: &CancelFlag, work: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|c| c.replace(Some(flag.clone())));
    struct Restore(Option<CancelFlag>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = previous);
        }
    }
    let _restore = Restore(previous);
    work()
}

/// The flag of this thread, if any (to carry it into work on other threads).
pub fn current() -> Option<CancelFlag> {
    CURRENT.with(|c| c.borrow().clone())
}

/// [`check`] for work on another thread (a rayon worker has no flag of its own): `flag` is the
/// calling thread's, taken with [`current`] before the parallel section.
///
/// ```
/// use segcore::cancel::{check_carried, current, with_flag, CancelFlag};
/// let flag = CancelFlag::new();
/// flag.cancel();
/// let carried = with_flag(&flag, current);
/// let stopped = std::thread::spawn(move || check_carried(carried.as_ref())).join().unwrap();
/// assert!(matches!(stopped, Err(segcore::Error::Cancelled)));
/// assert!(check_carried(None).is_ok());
/// ```
#[inline]
pub fn check_carried(flag: Option<&CancelFlag>) -> Result<()> {
    if flag.is_some_and(CancelFlag::is_cancelled) {
        Err(Error::Cancelled)
    } else {
        Ok(())
    }
}

/// `Err(Error::Cancelled)` when this thread's flag is up; `Ok(())` otherwise.
#[inline]
pub fn check() -> Result<()> {
    let cancelled = CURRENT.with(|c| c.borrow().as_ref().is_some_and(CancelFlag::is_cancelled));
    if cancelled {
        Err(Error::Cancelled)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nests_and_restores() {
        let outer = CancelFlag::new();
        let inner = CancelFlag::new();
        inner.cancel();
        with_flag(&outer, || {
            assert!(with_flag(&inner, check).is_err());
            assert!(check().is_ok(), "the outer flag is back");
        });
        assert!(current().is_none());
    }

    /// Every long fit stops at its first boundary under a raised flag, returning no model.
    #[test]
    fn long_fits_stop_on_a_raised_flag() {
        use crate::cluster::gmm::{MixtureModel, MixtureModelParams};
        use crate::cluster::kmeans::KMeansParams;
        use crate::cluster::kprototypes::KPrototypesParams;
        use crate::cluster::latent_class::LatentClassParams;
        use crate::clv::{BetaGeoParams, GammaGammaParams, ParetoNbdParams, PurchaseHistory};
        use crate::datasets::{make_b2b, B2bParams};
        use crate::features::pipeline::{ColumnSpec, FeatureInput, PipelineSpec};
        use crate::segmenter::SegmenterParams;
        use crate::select::metrics::silhouette_score;
        use ndarray::Array2;

        let x = Array2::from_shape_fn((300, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
        let labels = ndarray::Array1::from_shape_fn(300, |i| i % 3);
        let codes = Array2::from_shape_fn((300, 2), |(i, j)| ((i + j) % 3) as u32);
        let frequency: Vec<f64> = (0..300).map(|i| (i % 5) as f64).collect();
        let age: Vec<f64> = (0..300).map(|i| 20.0 + (i % 13) as f64).collect();
        let recency: Vec<f64> = frequency
            .iter()
            .zip(&age)
            .map(|(&f, &t)| if f > 0.0 { t / 2.0 } else { 0.0 })
            .collect();
        let spend: Vec<f64> = (0..300).map(|i| 10.0 + (i % 7) as f64).collect();
        let names = ["a".to_string(), "b".to_string(), "c".to_string()];
        let data = make_b2b(&B2bParams {
            n_customers: 100,
            years: 1,
            ..B2bParams::default()
        })
        .unwrap();

        let flag = CancelFlag::new();
        flag.cancel();
        let cancelled = |outcome: Result<()>| matches!(outcome, Err(Error::Cancelled));
        with_flag(&flag, || {
            assert!(cancelled(
                KMeansParams::new(50)
                    .n_init(1)
                    .fit(x.view(), None)
                    .map(drop)
            ));
            assert!(cancelled(
                MixtureModelParams::new(2, MixtureModel::VVV)
                    .fit(x.view(), None)
                    .map(drop)
            ));
            assert!(cancelled(
                KPrototypesParams::new(2)
                    .fit(x.view(), codes.view(), None)
                    .map(drop)
            ));
            assert!(cancelled(
                LatentClassParams::new(2).fit(codes.view(), None).map(drop)
            ));
            assert!(cancelled(
                silhouette_score(x.view(), labels.view()).map(drop)
            ));
            let history = PurchaseHistory::new(&frequency, &recency, &age).unwrap();
            assert!(cancelled(BetaGeoParams::new().fit(&history).map(drop)));
            assert!(cancelled(ParetoNbdParams::new().fit(&history).map(drop)));
            assert!(cancelled(
                GammaGammaParams::new()
                    .exclude_invalid(true)
                    .fit(&frequency, &spend)
                    .map(drop)
            ));
            let input = FeatureInput::new(300)
                .with_matrix(&names, x.view())
                .unwrap();
            let spec = PipelineSpec::new(vec![ColumnSpec::numeric("a"), ColumnSpec::numeric("b")]);
            assert!(cancelled(spec.fit(&input).map(drop)));
            assert!(cancelled(
                SegmenterParams::new()
                    .fit(&data.customers, Some(&data.transactions))
                    .map(drop)
            ));
        });
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<CancelFlag>();
    }
}
