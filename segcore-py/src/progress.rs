//! Progress from the core (which runs with the GIL released) forwarded to a Python callable.
//!
//! Invariant: a callback's first exception is kept, later reports are skipped, and the exception
//! is raised once the core returns (the core itself never sees Python errors).

use pyo3::call::PyCallArgs;
use pyo3::prelude::*;

/// An optional Python progress callback and the first exception it raised.
pub struct PythonProgress {
    callback: Option<Py<PyAny>>,
    error: Option<PyErr>,
}

impl PythonProgress {
    /// Forwards to `callback` (None: reports are dropped).
    pub fn new(callback: Option<Py<PyAny>>) -> Self {
        PythonProgress {
            callback,
            error: None,
        }
    }

    /// Calls the callback with `args` (re-acquiring the GIL), unless an earlier call failed.
    pub fn report<A: for<'py> PyCallArgs<'py>>(&mut self, args: A) {
        if let (Some(callback), None) = (&self.callback, &self.error) {
            if let Err(err) = Python::attach(|py| callback.call1(py, args).map(drop)) {
                self.error = Some(err);
            }
        }
    }

    /// The core's result, or the callback's exception if it raised one.
    pub fn finish<T>(self, result: PyResult<T>) -> PyResult<T> {
        match self.error {
            Some(err) => Err(err),
            None => result,
        }
    }
}
