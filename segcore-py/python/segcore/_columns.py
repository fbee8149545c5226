"""DataFrame columns -> the core's column inputs (float64 arrays or dictionary-encoded categories).

pandas and polars are read natively (no pyarrow needed); a dict of arrays works too. Numeric
columns (not bool) become float64 with NaN for missing; everything else becomes categories in
order of first appearance, code -1 for missing.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from .exceptions import DataError

ColumnInput = Any  # np.ndarray (float64) or (categories, codes)


def _missing(value: Any) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    # pandas.NA / NaT without importing pandas
    return type(value).__name__ in ("NAType", "NaTType")


def _encode(values: Sequence[Any]) -> Tuple[List[str], np.ndarray]:
    index: Dict[Any, int] = {}
    categories: List[str] = []
    codes = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        if _missing(value):
            codes[row] = -1
            continue
        key = str(value)
        code = index.get(key)
        if code is None:
            code = index[key] = len(categories)
            categories.append(key)
        codes[row] = code
    return categories, codes


def _numeric_or_categorical(values: Any) -> ColumnInput:
    array = np.asarray(values)
    if array.ndim != 1:
        raise DataError(f"each column must be one-dimensional, got {array.ndim}D")
    if array.dtype.kind in "iuf":
        return np.ascontiguousarray(array, dtype=np.float64)
    return _encode(array.tolist())


def _pandas_column(series: Any) -> ColumnInput:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        if isinstance(series.dtype, pd.CategoricalDtype):
            codes = series.cat.codes.to_numpy(dtype=np.int64)
            return [str(c) for c in series.cat.categories], codes
        return _encode(series.astype(object).tolist())
    return np.ascontiguousarray(series.to_numpy(dtype=np.float64, na_value=np.nan))


def _polars_column(series: Any) -> ColumnInput:
    import polars as pl

    if series.dtype.is_numeric():
        return np.ascontiguousarray(
            series.cast(pl.Float64).fill_null(float("nan")).to_numpy(), dtype=np.float64
        )
    return _encode(series.cast(pl.Utf8).to_list())


def table_columns(data: Any) -> Tuple[List[Tuple[str, ColumnInput]], int]:
    """``[(name, column input), ...]`` and the row count of a pandas/polars DataFrame or dict."""
    module = type(data).__module__
    if module.startswith("polars"):
        columns = [(str(name), _polars_column(data.get_column(name))) for name in data.columns]
        return columns, data.height
    if module.startswith("pandas"):
        columns = [(str(name), _pandas_column(data[name])) for name in data.columns]
        return columns, len(data)
    if isinstance(data, dict):
        columns = [(str(name), _numeric_or_categorical(v)) for name, v in data.items()]
        lengths = {len(c) if isinstance(c, np.ndarray) else len(c[1]) for _, c in columns}
        if len(lengths) > 1:
            raise DataError(f"columns of different lengths: {sorted(lengths)}")
        return columns, lengths.pop() if lengths else 0
    raise TypeError(
        f"data must be a pandas or polars DataFrame or a dict of columns, got {type(data).__name__}"
    )


def as_labels(labels: Any, name: str = "labels") -> Tuple[np.ndarray, np.ndarray]:
    """Non-negative int64 codes for the core and the original label of each code.

    Integer labels in 0..=65535 are kept as they are (segment 3 stays 3); anything else (strings,
    negative numbers) is mapped to 0, 1, ... in sorted order.
    """
    if hasattr(labels, "to_numpy"):
        labels = labels.to_numpy()
    array = np.asarray(labels)
    if array.ndim != 1:
        raise DataError(f"{name} must be one-dimensional, got {array.ndim}D")
    if array.dtype.kind == "f" and np.isnan(array).any():
        raise DataError(f"{name} contains missing values (NaN) at row {int(np.flatnonzero(np.isnan(array))[0])}")
    if array.dtype.kind in "iu" or (array.dtype.kind == "f" and np.all(array == np.round(array))):
        ints = array.astype(np.int64)
        if ints.size == 0 or (ints.min() >= 0 and ints.max() <= 65535):
            return ints, np.arange(int(ints.max()) + 1 if ints.size else 0)
    if array.dtype == object and any(v is None for v in array.tolist()):
        raise DataError(f"{name} contains missing values (None)")
    uniques, codes = np.unique(array, return_inverse=True)
    return codes.astype(np.int64).ravel(), uniques


def shared_labels(before: Any, after: Any) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of two labelings over one shared vocabulary (so equal labels get equal codes)."""
    b = np.asarray(before.to_numpy() if hasattr(before, "to_numpy") else before)
    a = np.asarray(after.to_numpy() if hasattr(after, "to_numpy") else after)
    for name, array in (("labels_before", b), ("labels_after", a)):
        if array.ndim != 1:
            raise DataError(f"{name} must be one-dimensional, got {array.ndim}D")
        if array.dtype == object and any(v is None for v in array.tolist()):
            raise DataError(f"{name} contains missing values (None)")
        if array.dtype.kind == "f" and np.isnan(array).any():
            raise DataError(f"{name} contains missing values (NaN)")
    both = np.concatenate([b.astype(object), a.astype(object)]) if b.dtype != a.dtype else np.concatenate([b, a])
    uniques, codes = np.unique(both, return_inverse=True)
    codes = codes.astype(np.int64).ravel()
    return codes[: len(b)], codes[len(b):], uniques
