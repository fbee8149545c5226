"""Exceptions raised by segcore.

Every error from the Rust core arrives as a subclass of :class:`SegcoreError` that is also a
standard Python exception (``ValueError``, ``TypeError`` or ``OSError``), so both
``except segcore.SegcoreError`` and the usual ``except ValueError`` catch it. The message is the
core's message, naming the parameter, row, column or file line at fault.
"""

from __future__ import annotations

__all__ = [
    "SegcoreError",
    "InvalidParameterError",
    "DataError",
    "ColumnError",
    "ColumnTypeError",
    "ParseError",
    "SegcoreIOError",
    "ModelFormatError",
    "NumericalError",
    "NotFittedError",
    "ConvergenceWarning",
]


class SegcoreError(Exception):
    """Base class of every segcore error."""


class InvalidParameterError(SegcoreError, ValueError, TypeError):
    """A parameter is outside its allowed range or of the wrong type (as scikit-learn's
    ``InvalidParameterError``, it is both a ``ValueError`` and a ``TypeError``)."""


class DataError(SegcoreError, ValueError):
    """Unusable input data: empty, NaN/inf, wrong shape, bad weights, too few samples."""


class ColumnError(SegcoreError, ValueError):
    """A named column does not exist."""


class ColumnTypeError(SegcoreError, TypeError):
    """A column exists but has the wrong type for its use."""


class ParseError(SegcoreError, ValueError):
    """A malformed value in a file (the message names the file, line and column)."""


class SegcoreIOError(SegcoreError, OSError):
    """A file could not be read or written."""


class ModelFormatError(SegcoreError, ValueError):
    """A saved model document is malformed, truncated or of an unknown version."""


class NumericalError(SegcoreError, ValueError):
    """A numerical breakdown that a parameter can fix (the message says which)."""


try:  # scikit-learn's own class, so its tools (check_is_fitted, check_estimator) recognise ours
    from sklearn.exceptions import NotFittedError as _NotFittedBase
except ImportError:  # pragma: no cover - scikit-learn is optional

    class _NotFittedBase(ValueError, AttributeError):  # type: ignore[no-redef]
        pass


class NotFittedError(SegcoreError, _NotFittedBase):
    """The estimator is used before ``fit`` (a subclass of scikit-learn's ``NotFittedError``
    when scikit-learn is installed; ``ValueError`` and ``AttributeError`` either way)."""


try:  # Let scikit-learn users filter our convergence warnings with their usual class.
    from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    _SklearnConvergenceWarning = UserWarning


class ConvergenceWarning(_SklearnConvergenceWarning):  # type: ignore[misc, valid-type]
    """Fit finished but not as asked (e.g. fewer distinct points than clusters)."""
