//! The one error bridge: every `segcore::Error` becomes an exception of `segcore.exceptions`
//! (all subclasses of `SegcoreError`, and of `ValueError`/`TypeError`/`OSError` as fits), with the
//! same message; and the one helper that runs core work with the GIL released and no panic escaping.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use segcore::cancel::{with_flag, CancelFlag};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

/// Name of the exception class in `segcore.exceptions` that stands for this error.
fn exception_class_name(error: &segcore::Error) -> &'static str {
    use segcore::Error as E;
    match error {
        E::InvalidParameter { .. } => "InvalidParameterError",
        E::EmptyInput { .. }
        | E::NonFiniteValue { .. }
        | E::ShapeMismatch { .. }
        | E::TooManyClusters { .. }
        | E::InvalidWeights { .. }
        | E::UnknownCategory { .. }
        | E::MissingCategory { .. }
        | E::MissingLabel { .. }
        | E::NotSegmentLabel { .. }
        | E::InvalidHistory { .. }
        | E::TransactionLogAsCustomers { .. }
        | E::UnsupportedInput { .. } => "DataError",
        E::UnknownColumn { .. } | E::MissingColumn { .. } => "ColumnError",
        E::Usage { .. } => "InvalidParameterError",
        E::ColumnType { .. } => "ColumnTypeError",
        E::Parse { .. } => "ParseError",
        E::Io { .. } => "SegcoreIOError",
        E::ModelFormat { .. } => "ModelFormatError",
        E::Numerical { .. } => "NumericalError",
        _ => "SegcoreError",
    }
}

/// Converts a core error into the matching Python exception carrying the same message.
pub fn to_py_err(py: Python<'_>, error: segcore::Error) -> PyErr {
    segcore_exception(py, exception_class_name(&error), error.to_string())
}

/// The exception `class` of `segcore.exceptions` carrying `message`: the one place a binding
/// error becomes a Python exception (a message that is no core error's, such as a parameter
/// check naming unknown dict keys, comes here too).
pub fn segcore_exception(py: Python<'_>, class: &str, message: String) -> PyErr {
    let class = py
        .import("segcore.exceptions")
        .and_then(|module| module.getattr(class));
    match class {
        Ok(class) => match class.call1((PyString::new(py, &message),)) {
            Ok(instance) => PyErr::from_value(instance),
            Err(e) => e,
        },
        // The package is always importable when the extension is; keep the message regardless.
        Err(_) => PyRuntimeError::new_err(message),
    }
}

/// Extension to turn `segcore::Result` into `PyResult` where a `Python` token is at hand.
pub trait IntoPyResult<T> {
    /// Maps the error through [`to_py_err`].
    fn into_py_result(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for segcore::Result<T> {
    fn into_py_result(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, e))
    }
}

/// Stack of the thread that runs core work (the main thread's usual 8 MiB).
const WORK_STACK_BYTES: usize = 8 << 20;

/// How often the waiting thread looks for Ctrl-C while core work runs.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Runs heavy core work with the GIL released; a core error becomes its exception and a panic
/// becomes `segcore.exceptions.SegcoreError` ("internal error") instead of crossing into Python.
///
/// Ctrl-C: the work runs on its own thread under a [`CancelFlag`] while this thread waits
/// without the GIL and looks for signals every 50 ms; on KeyboardInterrupt (or any exception a
/// signal handler raises) the flag goes up, the core stops at its next loop boundary with
/// nothing fitted, and the interrupt is raised here. Outside the main thread signals are never
/// seen, so the work simply runs to its end.
pub fn run_detached<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    F: Send + FnOnce() -> segcore::Result<T>,
    T: Send,
{
    let flag = CancelFlag::new();
    let mut interrupt: Option<PyErr> = None;
    let outcome = std::thread::scope(|scope| {
        let (done, finished) = mpsc::channel::<()>();
        let finished = Mutex::new(finished);
        let worker_flag = flag.clone();
        let spawned = std::thread::Builder::new()
            .name("segcore-work".into())
            .stack_size(WORK_STACK_BYTES)
            .spawn_scoped(scope, move || {
                let result = catch_unwind(AssertUnwindSafe(|| with_flag(&worker_flag, work)));
                let _ = done.send(());
                result
            });
        let handle = match spawned {
            Ok(handle) => handle,
            Err(error) => {
                return Ok(Err(segcore::Error::Io {
                    path: "(a thread for the work)".into(),
                    source: error,
                }))
            }
        };
        loop {
            let wait = || {
                // Only this thread locks it; the mutex makes the receiver shareable with detach.
                let receiver = finished
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                receiver.recv_timeout(SIGNAL_POLL)
            };
            match py.detach(wait) {
                Err(RecvTimeoutError::Timeout) => {
                    if interrupt.is_none() {
                        if let Err(raised) = py.check_signals() {
                            flag.cancel();
                            interrupt = Some(raised);
                        }
                    }
                }
                Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        handle.join().unwrap_or_else(Err)
    });
    if let Some(raised) = interrupt {
        return Err(raised);
    }
    match outcome {
        Ok(result) => result.into_py_result(py),
        Err(payload) => Err(internal_error(py, panic_message(&payload))),
    }
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// A `SegcoreError` for a bug on our side (a caught panic), asking the user to report it.
pub fn internal_error(py: Python<'_>, detail: String) -> PyErr {
    let message = format!("internal error in segcore (please report it): {detail}");
    match py
        .import("segcore.exceptions")
        .and_then(|m| m.getattr("SegcoreError"))
        .and_then(|class| class.call1((message.clone(),)))
    {
        Ok(instance) => PyErr::from_value(instance),
        Err(_) => PyRuntimeError::new_err(message),
    }
}
