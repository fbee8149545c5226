"""Input conversion shared by the estimators: the Python conventions around the Rust core.

Only conversions and scikit-learn conventions live here; every range check and every number is
the core's.
"""

from __future__ import annotations

import numbers
from typing import Any, Optional, Tuple

import numpy as np

from .exceptions import DataError, InvalidParameterError, NotFittedError

_FLOAT_DTYPES = (np.float64, np.float32)


def feature_names_of(X: Any) -> Optional[np.ndarray]:
    """Column names of a pandas/polars DataFrame when they are all strings (as scikit-learn)."""
    columns = getattr(X, "columns", None)
    if columns is None or isinstance(X, np.ndarray):
        return None
    names = [c for c in list(columns)]
    if names and all(isinstance(c, str) for c in names):
        return np.asarray(names, dtype=object)
    return None


def as_float_matrix(X: Any, dtype: Optional[np.dtype] = None, name: str = "X") -> np.ndarray:
    """A 2-D float32/float64 array view of ``X`` without copying when it already is one.

    float32 stays float32 unless ``dtype`` forces one; anything else numeric becomes float64.
    Strided and Fortran-ordered arrays are passed through as they are (the core reads views).
    """
    if hasattr(X, "__array__") and not isinstance(X, np.ndarray) and hasattr(X, "to_numpy"):
        X = X.to_numpy()  # pandas / polars DataFrames
    if hasattr(X, "tocsr") or hasattr(X, "toarray"):
        raise TypeError(f"{name} is a sparse matrix; segcore needs a dense array (use X.toarray())")
    array = np.asarray(X)
    if array.dtype.kind not in "biuf":
        if array.dtype == object:
            try:
                array = array.astype(np.float64)
            except (TypeError, ValueError) as err:
                raise TypeError(f"{name} must be numeric; could not convert it to float: {err}") from None
        else:
            raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    if array.ndim != 2:
        raise DataError(
            f"Expected 2D array, got {array.ndim}D array instead: reshape your data with "
            f"array.reshape(-1, 1) if it has a single feature or array.reshape(1, -1) if it "
            f"contains a single sample"
        )
    target = np.dtype(dtype) if dtype is not None else (
        array.dtype if array.dtype in _FLOAT_DTYPES else np.dtype(np.float64)
    )
    if array.dtype != target:
        array = array.astype(target)
    return array


def as_sample_weight(sample_weight: Any, n_samples: int, dtype: np.dtype) -> Optional[np.ndarray]:
    """``sample_weight`` as a 1-D array of X's dtype (None stays None; a scalar is broadcast)."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        return np.full(n_samples, sample_weight, dtype=dtype)
    weights = np.asarray(sample_weight, dtype=dtype)
    if weights.ndim != 1:
        raise DataError(f"sample_weight must be 1D, got {weights.ndim}D")
    return weights


def seed_from(random_state: Any) -> int:
    """A 64-bit seed from scikit-learn's ``random_state`` conventions.

    ``None`` draws from numpy's global generator (so ``np.random.seed`` makes it reproducible,
    as in scikit-learn); an int is used as given; a ``RandomState``/``Generator`` is drawn from.
    """
    if random_state is None:
        return int(np.random.randint(0, 2**31 - 1))
    if isinstance(random_state, (numbers.Integral, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0 or random_state >= 2**64:
            raise InvalidParameterError(
                f"invalid parameter `random_state` = {random_state}: expected an int in [0, 2**64 - 1], "
                "a numpy RandomState/Generator or None"
            )
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    raise InvalidParameterError(
        f"invalid parameter `random_state` = {random_state!r}: expected an int, a numpy "
        "RandomState/Generator or None"
    )


def check_is_fitted(estimator: Any, attribute: str = "_model") -> None:
    """Raises :class:`NotFittedError` (scikit-learn's wording) if ``fit`` has not run."""
    if getattr(estimator, attribute, None) is None:
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )


def check_feature_names(estimator: Any, X: Any) -> None:
    """Rejects a DataFrame whose column names differ from those seen at fit (as scikit-learn)."""
    fitted = getattr(estimator, "feature_names_in_", None)
    given = feature_names_of(X)
    if fitted is None or given is None:
        return
    if len(fitted) != len(given) or any(a != b for a, b in zip(fitted, given)):
        raise DataError(
            "The feature names should match those that were passed during fit; "
            f"fit saw {list(fitted)}, got {list(given)}"
        )


def int_param(name: str, value: Any) -> int:
    """An integer parameter (numpy ints accepted); the core checks its range."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise InvalidParameterError(
            f"invalid parameter `{name}` = {value!r}: expected an integer"
        )
    return int(value)


def float_param(name: str, value: Any) -> float:
    """A real parameter; the core checks its range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"invalid parameter `{name}` = {value!r}: expected a number")
    return float(value)


def dims(X: np.ndarray) -> Tuple[int, int]:
    """(n_samples, n_features)."""
    return int(X.shape[0]), int(X.shape[1])
