//! Cancellation of long work (Ctrl-C in Python, a deadline in a service).
//!
//! A caller that wants to stop a fit from outside creates a [`CancelFlag`], runs the work inside
//! [`with_flag`] on the thread that calls segcore, and raises the flag from another thread. Every
//! long loop of the crate (an iteration of k-means, EM, a Ward merge, a candidate k, a phase of
//! the Segmenter) calls [`check`] at its boundary, which returns [`Error::Cancelled`] once the flag
//! is up; the error travels out through the ordinary `Result`s, so nothing half-fitted is returned.
//!
//! Invariants: [`check`] costs one thread-local read and one relaxed atomic load; without a flag
//! (every Rust caller that does not ask for cancellation) it always succeeds, so results never
//! depend on it. The flag belongs to the calling thread: loops that run on rayon's workers check
//! it at their boundaries on the calling thread (or carry it over with [`current`] and
//! [`with_flag`]).

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

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<CancelFlag>();
    }
}
