"""The one adapter between Python's tables and the core's inputs.

Every estimator and function converts its input here: numpy arrays and pandas/polars DataFrames
become float matrices (float32 stays float32), named columns (float64 with NaN for missing, or
dictionary-encoded categories with code -1 for missing), transaction logs (factorized ids, dates
as days, amounts) and label vectors. ``feature_names_in_`` follows scikit-learn: string column
names of a DataFrame, checked again at predict time; a repeated column name is an error. pandas
and polars are read natively (no pyarrow needed). Only conversions live here; every check of a
value's range and every number is the core's.
"""

from __future__ import annotations

import numbers
from collections import Counter
from typing import (
    TYPE_CHECKING,
    Callable,
    Dict,
    Hashable,
    List,
    Mapping,
    Optional,
    Sequence,
    Sized,
    Tuple,
    Union,
    cast,
)

import numpy as np
import numpy.typing as npt

from . import _segcore
from ._typing import ColumnLike, DateLike, MatrixLike, SampleWeight, Table
from .exceptions import ColumnError, ColumnTypeError, DataError, InvalidParameterError

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

__all__ = [
    "TRANSACTION_COLUMNS",
    "CustomerFrame",
    "as_float_matrix",
    "as_labels",
    "as_sample_weight",
    "check_feature_names",
    "column",
    "column_input",
    "column_names",
    "day",
    "factorize",
    "feature_names_of",
    "floats",
    "frame_columns",
    "ids",
    "is_pandas",
    "is_polars",
    "label_codes",
    "log_input",
    "raw_ids",
    "rows_of",
    "series_or_array",
    "shared_labels",
    "table_columns",
    "values",
]

_FLOAT_DTYPES: Tuple[type, ...] = (np.float64, np.float32)

#: A column for the core: float64 values (NaN = missing), or (categories, int64 codes with -1
#: for missing).
ColumnInput = Union[np.ndarray, Tuple[List[str], np.ndarray]]
#: Distinct ids for the core: int64 values, or their text.
IdValues = Union[np.ndarray, List[str]]
#: The distinct values of a factorized column, in their original form.
Uniques = Union["pd.Index", np.ndarray]
#: A column with an Arrow string stream (``__arrow_c_stream__``), read in place by the binding.
ArrowStream = Union["pl.Series", "pd.Series"]
#: A customer column left for the core to factorize: int64 ids or Arrow text.
RawIds = Union[np.ndarray, ArrowStream]
#: Dates for the core: int64 time units with the units per day, or text with 1.
DateInput = Tuple[Union[np.ndarray, List[str]], int]


# --- frames and columns ---------------------------------------------------------------------


def is_polars(data: object) -> bool:
    """Whether ``data`` is a polars object (checked by module, so polars need not be installed)."""
    return type(data).__module__.startswith("polars")


def is_pandas(data: object) -> bool:
    """Whether ``data`` is a pandas object (checked by module)."""
    return type(data).__module__.startswith("pandas")


def column_names(data: object) -> List[str]:
    """Column names of a DataFrame or dict of columns, as strings."""
    if isinstance(data, Mapping):
        return [str(c) for c in data.keys()]
    return [str(c) for c in getattr(data, "columns", [])]


def _unique(names: List[str]) -> List[str]:
    """``names``, or DataError naming the repeated ones (a repeated name would make its column
    ambiguous)."""
    repeated = sorted(n for n, count in Counter(names).items() if count > 1)
    if repeated:
        raise DataError(f"duplicate column names: {', '.join(repeated)}; rename them first")
    return names


def column(frame: Table, name: str) -> ColumnLike:
    """The column ``name`` of a pandas/polars frame or dict of columns, or ``ColumnError``
    listing the columns there are."""
    names = column_names(frame)
    if name not in names:
        raise ColumnError(f"unknown column `{name}`; available columns: {', '.join(names)}")
    _unique([n for n in names if n == name])
    return frame[name]


def values(column: ColumnLike) -> np.ndarray:
    """A column (pandas/polars Series, array, list) as a numpy array, without copying when it
    already is one."""
    to_numpy = getattr(column, "to_numpy", None)
    return np.asarray(to_numpy() if to_numpy is not None else column)


def floats(column: ColumnLike, name: str = "values") -> np.ndarray:
    """float64 values; text that is not a number is a DataError naming the column and the first
    offending row (numpy's own message names neither)."""
    array = values(column)
    try:
        return np.ascontiguousarray(array, dtype=np.float64)
    except (TypeError, ValueError):
        for row, value in enumerate(array.tolist()):
            try:
                float(value)
            except (TypeError, ValueError):
                raise DataError(f"column `{name}`, row {row}: {value!r} is not a number") from None
        raise


def series_or_array(data: ColumnLike) -> Tuple[np.ndarray, Optional["pd.Index"]]:
    """float64 values and the pandas index of a Series (None for anything else)."""
    import pandas as pd

    return floats(data), data.index if isinstance(data, pd.Series) else None


def factorize(column: ColumnLike, code_dtype: "npt.DTypeLike" = np.int32, as_objects: bool = False) -> Tuple[np.ndarray, Uniques]:
    """Codes (-1 = missing) and the distinct values in order of first appearance (pandas'
    factorize: no per-value Python work on pandas input).

    ``as_objects`` reads a non-pandas column value by value (polars integers with nulls stay
    integers instead of becoming floats). The core stores 4-byte codes: int32 saves 38 MiB per
    10 million rows held during the call."""
    import pandas as pd

    data: ColumnLike
    if isinstance(column, (pd.Series, pd.Categorical)):
        data = column
    elif as_objects:
        to_list = getattr(column, "to_list", None)
        data = pd.Series(to_list() if to_list is not None else list(np.asarray(column, dtype=object)), dtype=object)
    else:
        data = values(column)
    codes, uniques = pd.factorize(data, use_na_sentinel=True)
    if len(uniques) >= 2**31 - 1:
        raise DataError(f"too many distinct values ({len(uniques)}); at most 2**31 - 2")
    return codes.astype(code_dtype), uniques


def ids(uniques: Uniques) -> IdValues:
    """Distinct ids for the core: integers as an int64 array (the core formats them exactly as
    ``str`` does, without a million Python strings), anything else as ``str`` values."""
    ints = _int64(np.asarray(uniques)) if getattr(uniques, "dtype", None) is not None else None
    return ints if ints is not None else [str(v) for v in uniques]


def _int64(array: np.ndarray) -> Optional[np.ndarray]:
    """An integer array as int64 (None for other dtypes and uint64, which int64 cannot hold)."""
    kind = array.dtype.kind
    return np.ascontiguousarray(array, dtype=np.int64) if kind == "i" or (kind == "u" and array.dtype.itemsize < 8) else None


# --- numeric matrices (the estimators' X) ---------------------------------------------------


def feature_names_of(X: object) -> Optional[np.ndarray]:
    """Column names of a pandas/polars DataFrame when they are all strings (as scikit-learn)."""
    columns = None if isinstance(X, np.ndarray) else getattr(X, "columns", None)
    names = [] if columns is None else list(columns)
    return np.asarray(names, dtype=object) if names and all(isinstance(c, str) for c in names) else None


def check_feature_names(estimator: object, X: object) -> None:
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


def as_float_matrix(X: MatrixLike, dtype: Optional["npt.DTypeLike"] = None, name: str = "X") -> np.ndarray:
    """A 2-D float32/float64 array view of ``X`` without copying when it already is one.

    float32 stays float32 unless ``dtype`` forces one; anything else numeric becomes float64.
    Strided and Fortran-ordered arrays are passed through as they are (the core reads views).
    """
    frame = X
    if hasattr(X, "__array__") and not isinstance(X, np.ndarray) and hasattr(X, "to_numpy"):
        X = X.to_numpy()  # pandas / polars DataFrames
    _refuse_sparse(X, name)
    array = np.asarray(X)
    _refuse_complex(array, name)
    if array.dtype.kind not in "biuf":
        try:
            if array.dtype != object:
                raise TypeError(array.dtype)
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise _non_numeric_error(frame, array, name) from None
    _refuse_not_2d(array)
    target = dtype if dtype is not None else (array.dtype if array.dtype in _FLOAT_DTYPES else np.float64)
    return _aligned(array.astype(target, copy=False))


def _non_numeric_error(frame: object, array: np.ndarray, name: str) -> ColumnTypeError:
    """The error for a matrix with a column that is not numbers, naming the first such column
    (by name for DataFrames, by position for arrays)."""
    names = column_names(frame) if hasattr(frame, "columns") else None
    if array.ndim == 2:
        for j in range(array.shape[1]):
            values = array[:, j]
            try:
                values.astype(np.float64)
            except (TypeError, ValueError) as err:
                label = repr(names[j]) if names is not None and j < len(names) else str(j)
                sample = next((v for v in values.tolist() if not isinstance(v, (int, float))), values[0])
                # numpy's reason too ("float() argument must be a string or a real number"),
                # which is what scikit-learn reports for a value that is neither.
                return ColumnTypeError(
                    f"{name} column {label} is not numeric (e.g. {sample!r}: {err}); encode it "
                    "first, e.g. with segcore.FeaturePipeline (one-hot, ordinal) or "
                    "segcore.Segmenter, which reads categorical columns"
                )
    return ColumnTypeError(f"{name} must be numeric, got dtype {array.dtype}")


def _refuse_sparse(X: object, name: str = "X") -> None:
    """TypeError for a scipy sparse matrix or array (scikit-learn's answer for estimators that
    take dense input only)."""
    if hasattr(X, "tocsr") or hasattr(X, "toarray"):
        raise TypeError(f"{name} is a sparse matrix; segcore needs a dense array (use X.toarray())")


def _refuse_complex(array: np.ndarray, name: str = "X") -> None:
    if array.dtype.kind == "c":
        raise DataError(f"Complex data not supported: {name} has dtype {array.dtype}")


def _refuse_not_2d(array: np.ndarray) -> None:
    """scikit-learn's message for a 1-D (or 0-D, 3-D) array where a 2-D one is needed."""
    if array.ndim != 2:
        raise DataError(
            f"Expected 2D array, got {array.ndim}D array instead. Reshape your data either using "
            "array.reshape(-1, 1) if it has a single feature or array.reshape(1, -1) if it "
            "contains a single sample"
        )


def _aligned(array: np.ndarray) -> np.ndarray:
    """The array itself, or an aligned copy: the core reads element by element through typed
    views, which an unaligned buffer (e.g. unpickled from a byte stream) cannot give."""
    return array if array.flags.aligned else np.require(array, requirements=["A"])


def as_sample_weight(sample_weight: SampleWeight, n_samples: int, dtype: "npt.DTypeLike") -> Optional[np.ndarray]:
    """``sample_weight`` as a 1-D array of X's dtype (None stays None; a scalar is broadcast)."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        return np.full(n_samples, sample_weight, dtype=dtype)
    weights = np.asarray(sample_weight, dtype=dtype)
    if weights.ndim != 1:
        raise DataError(f"sample_weight must be 1D, got {weights.ndim}D")
    return _aligned(weights)


# --- customer tables (profiles, the Segmenter) ----------------------------------------------


def column_input(data: ColumnLike, categorical: bool = False) -> ColumnInput:
    """One column for the core, the policy of every table adapter: float64 values (NaN =
    missing) when the column is numeric, booleans included (as 0/1, as scikit-learn reads
    them), and not asked for as categories; else ``(categories, int64 codes)`` with -1 for
    missing. Categories are the values as text in order of first appearance; a pandas
    Categorical (or polars Enum) keeps its declared order, unused categories included.

    A non-numeric column asked for as numbers goes as categories, so that the core's
    ColumnTypeError names the column."""
    import pandas as pd

    if is_polars(data):
        import polars as pl

        series = cast("pl.Series", data)
        if isinstance(series.dtype, pl.Enum):
            codes = series.to_physical().cast(pl.Int64).fill_null(-1).to_numpy()
            return [str(c) for c in series.dtype.categories.to_list()], np.ascontiguousarray(codes)
        if not categorical and (series.dtype.is_numeric() or series.dtype == pl.Boolean):
            return np.ascontiguousarray(series.cast(pl.Float64).fill_null(float("nan")).to_numpy(), dtype=np.float64)
    elif is_pandas(data):
        dtype = getattr(data, "dtype", None)
        if isinstance(dtype, pd.CategoricalDtype):
            codes = data.cat.codes if isinstance(data, pd.Series) else cast("pd.Categorical", data).codes
            return [str(c) for c in dtype.categories], np.asarray(codes, dtype=np.int64)
        if not categorical and (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            return np.ascontiguousarray(cast("pd.Series", data).to_numpy(dtype=np.float64, na_value=np.nan))
    else:
        data = np.asarray(data)
        if data.ndim != 1:
            raise DataError(f"each column must be one-dimensional, got {data.ndim}D")
        if not categorical and data.dtype.kind in "biuf":
            return np.ascontiguousarray(data, dtype=np.float64)
    codes, uniques = factorize(data, np.int64, as_objects=True)
    # 1 and "1" read alike: one category.
    text_codes, texts = pd.factorize(np.asarray([str(u) for u in uniques], dtype=object))
    return texts.tolist(), np.append(text_codes, -1).astype(np.int64)[codes]


def table_columns(data: Table, skip: Optional[str] = None) -> Tuple[List[Tuple[str, ColumnInput]], int]:
    """``[(name, column input), ...]`` and the row count of a pandas/polars DataFrame or dict,
    without the column named ``skip`` (the customer ids, which go their own way); each column
    as :func:`column_input` converts it."""
    if not isinstance(data, dict):
        if not (is_polars(data) or is_pandas(data)):
            raise TypeError(
                f"data must be a pandas or polars DataFrame or a dict of columns, got {type(data).__name__}"
            )
        n_rows, frame = _frame_columns(data)
        return [(name, column_input(c)) for name, c in frame.items() if name != skip], n_rows
    columns = [(str(name), column_input(c)) for name, c in data.items() if str(name) != skip]
    lengths = {len(c) if isinstance(c, np.ndarray) else len(c[1]) for _, c in columns}
    if len(lengths) > 1:
        raise DataError(f"columns of different lengths: {sorted(lengths)}")
    return columns, lengths.pop() if lengths else 0


class CustomerFrame:
    """A customer frame converted for the core: ids, columns (without the id column), and what
    the output needs to look like the input (index, id values, frame kind)."""

    def __init__(self, customers: Table, id_column: str, need_ids: bool) -> None:
        if not (is_polars(customers) or is_pandas(customers) or isinstance(customers, Mapping)):
            raise TypeError(
                "customers must be a pandas or polars DataFrame (or a dict of columns), got "
                f"{type(customers).__name__}"
            )
        # The id column is not converted as a column: a per-value text encoding of 500,000 ids
        # took 1.9 s and was thrown away.
        self.columns, self.n_rows = table_columns(customers, skip=id_column)
        self.polars, self.id_column, names = is_polars(customers), id_column, column_names(customers)
        self.index = None if self.polars else getattr(customers, "index", None)
        self.id_values: Optional[np.ndarray] = None
        if id_column in names:
            self.id_values = values(customers[id_column])
        elif self.index is not None and getattr(self.index, "name", None) == id_column:
            self.id_values = self.index.to_numpy()
        elif need_ids:
            raise ColumnError(
                f"unknown column `{id_column}` in customers (the id linking customers to their "
                f"transactions); available columns: {', '.join(names)}; set customer_id= to the "
                "id column's name"
            )
        self.ids = [str(i) for i in range(self.n_rows)] if self.id_values is None else _id_texts(self.id_values)

    def output(self, columns: Dict[str, object]) -> "pd.DataFrame | pl.DataFrame":
        """A result table of these customers: the id column (when there is one), then
        ``columns``; polars in, polars out, pandas indexed like the input."""
        data: Dict[str, object] = {} if self.id_values is None else {self.id_column: self.id_values}
        data.update(columns)
        if self.polars:
            import polars as pl

            return pl.DataFrame(data)
        import pandas as pd

        return pd.DataFrame(data, index=self.index)


def _id_texts(id_values: np.ndarray) -> List[str]:
    """Customer ids as ``str`` gives them. Text ids without a missing one (the usual case) pass
    through as they are, checked in one pandas call (a per-value Python loop took 1.5 s for
    500,000 ids). Missing ids (None, NaN, NA, NaT) become empty ids, which the core refuses with
    the row; never the text "None" or "nan"."""
    import pandas as pd

    array = np.asarray(id_values)
    if array.dtype.kind == "O" and pd.api.types.infer_dtype(array, skipna=False) == "string":
        return array.tolist()
    return ["" if missing else str(v) for v, missing in zip(array.tolist(), pd.isna(array).tolist())]


# --- feature pipeline columns ---------------------------------------------------------------


def frame_columns(X: MatrixLike) -> Tuple[int, Dict[str, ColumnLike], Optional[np.ndarray]]:
    """(n_rows, name -> column, feature names) of a pandas/polars DataFrame or a 2-D array
    (whose columns are named ``x0, x1, ...``).

    As scikit-learn: a sparse matrix is a TypeError, complex numbers and 1-D input a DataError
    (a ValueError), and an object array's columns are numbers when every value converts to one,
    text columns when a value is text, and a TypeError when a value is neither (a dict)."""
    names = feature_names_of(X)
    if names is not None:
        return *_frame_columns(cast(Table, X)), names
    _refuse_sparse(X)
    array = np.asarray(X)
    _refuse_complex(array)
    _refuse_not_2d(array)
    columns = {f"x{j}": array[:, j] for j in range(array.shape[1])}
    if array.dtype == object:
        columns = {name: _object_column(name, data) for name, data in columns.items()}
    return array.shape[0], cast(Dict[str, ColumnLike], columns), None


def _frame_columns(data: Table) -> Tuple[int, Dict[str, ColumnLike]]:
    """(n_rows, name -> column) of a pandas/polars DataFrame: the one reader of DataFrame columns
    (a repeated name is a DataError)."""
    frame = cast("pd.DataFrame", data)
    return int(frame.shape[0]), dict(zip(_unique(column_names(frame)), (frame[c] for c in frame.columns)))


def _object_column(name: str, data: np.ndarray) -> np.ndarray:
    """An object column as float64 when its values are numbers (None, NaN, NA and NaT missing),
    unchanged when one is text (categories), TypeError (numpy's "argument must be a string or a
    real number") when a value is neither."""
    import pandas as pd

    try:
        return np.where(pd.isna(data), np.nan, data).astype(np.float64)
    except ValueError:
        return data
    except TypeError as err:
        raise TypeError(f"column `{name}`: {err}") from None


# --- transaction logs -----------------------------------------------------------------------

#: The core's column of each transaction role when the user names none, in the order the binding
#: takes the roles (the feature functions' ``customer``/``date``/``amount`` defaults and the
#: Segmenter's ``transaction_columns``); the first three are required, the others used when present.
TRANSACTION_COLUMNS: Dict[str, str] = dict(_segcore.default_transaction_columns())

_UNITS_PER_DAY = {"D": 1, "h": 24, "m": 1440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def dates(data: ColumnLike) -> DateInput:
    """(values, units per day): the int64 view of a datetime column (NaT = int64 min; no copy),
    or the values as strings for the core to parse (ISO, YYYYMMDD, DD.MM.YYYY)."""
    array = values(data)
    if array.dtype.kind == "M":
        unit, count = np.datetime_data(array.dtype)
        if unit not in _UNITS_PER_DAY or _UNITS_PER_DAY[unit] % count:
            array, unit, count = array.astype("datetime64[D]"), "D", 1
        return np.ascontiguousarray(array).view(np.int64), _UNITS_PER_DAY[unit] // count
    return [str(v) for v in array], 1


def day(value: DateLike, name: str) -> int:
    """A date parameter (anything pandas reads as a timestamp) as days since 1970-01-01."""
    import pandas as pd

    try:
        stamp = pd.Timestamp(value)
        if stamp is pd.NaT:
            raise ValueError("missing")
    except (ValueError, TypeError) as err:
        raise InvalidParameterError(f"invalid parameter `{name}` = {value!r}: expected a date ({err})") from err
    return int(np.datetime64(stamp.to_datetime64(), "D").astype(np.int64))


def raw_ids(column: ColumnLike) -> Optional[RawIds]:
    """A customer column in a form the core factorizes itself: an int64 array (integer ids
    without missing values) or the column itself when it is Arrow text (polars strings, pandas'
    Arrow-backed strings), whose buffers the binding reads in place; None for anything else
    (factorized by pandas instead)."""
    dtype = getattr(column, "dtype", None)
    arrow_text = str(dtype) == "String" if is_polars(column) else (
        str(dtype) in ("str", "string") and getattr(dtype, "storage", None) == "pyarrow")
    if arrow_text and hasattr(column, "__arrow_c_stream__"):
        return cast("ArrowStream", column)
    return _int64(values(column))


def rows_of(column: ColumnLike, rows: np.ndarray) -> ColumnLike:
    """The values of ``column`` at ``rows``, in original form, for a pandas index."""
    if is_polars(column):
        return cast("pl.Series", column).gather(rows).to_numpy()
    if is_pandas(column):
        return cast("pd.Series", column).array.take(rows)
    return values(column)[rows]


def log_input(
    transactions: Table,
    customer: str,
    date: str,
    amount: Optional[str],
    margin: Optional[str] = None,
    product_category: Optional[str] = None,
    channel: Optional[str] = None,
    core_ids: bool = True,
) -> Tuple[tuple, tuple, Callable[[Optional[np.ndarray]], Optional[ColumnLike]]]:
    """``(the log as the binding's tuple, column names, uniques)``, where ``uniques(first_rows)``
    gives the log's distinct customer ids in original form. The core factorizes the customer
    column when it can (integers, Arrow strings) and the binding gives the first row of each id;
    otherwise (or with ``core_ids=False``) pandas factorizes it here and ``uniques(None)`` gives
    them. ``amount=None`` reads every row as an amount of 1 (touchpoints)."""
    ids_column = column(transactions, customer)
    raw = raw_ids(ids_column) if core_ids else None
    customers: Union[Tuple[np.ndarray, IdValues], RawIds]
    if raw is None:
        codes, uniques = factorize(ids_column)
        customers, uniques_of = (codes, ids(uniques)), (lambda first_rows: uniques)
    else:
        customers, uniques_of = raw, (lambda first_rows: None if first_rows is None else rows_of(ids_column, first_rows))

    def categories(name: Optional[str]) -> Optional[Tuple[np.ndarray, List[str]]]:
        if name is None:
            return None
        c, u = factorize(column(transactions, name))
        return (c, [str(v) for v in u])

    tx = (
        customers,
        dates(column(transactions, date)),
        np.ones(len(cast(Sized, ids_column)), dtype=np.float64) if amount is None else floats(column(transactions, amount), amount),
        None if margin is None else floats(column(transactions, margin), margin),
        categories(product_category),
        categories(channel),
    )
    return tx, (customer, date, "touchpoint" if amount is None else amount, margin or "margin"), uniques_of


def customer_index(
    customers: Union[None, Table, Sequence[Hashable]], customer: str
) -> Tuple[Optional[IdValues], Callable[..., "pd.Index"]]:
    """(the ids for the core or None, ``index(uniques, first_rows)``: the result's pandas index)
    of an optional customer list: a DataFrame with the ``customer`` column, a sequence of ids, or
    None (the log's ids: ``uniques(first_rows)`` of :func:`log_input`)."""
    import pandas as pd

    if customers is None:
        return None, lambda uniques, first_rows: pd.Index(uniques(first_rows), name=customer)
    given = values(column(cast(Table, customers), customer)) if hasattr(customers, "columns") else np.asarray(list(customers))
    return ids(given), lambda uniques, first_rows: pd.Index(given, name=customer)


# --- labels ---------------------------------------------------------------------------------


def as_labels(labels: ColumnLike, name: str = "labels", dense: bool = False,
              segments_only: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """The one label encoding (the core's): non-negative int64 codes for the core and the
    original label of each code.

    Integer labels in 0..=65535 are kept as they are (segment 3 stays 3); anything else (strings,
    negative numbers), and every label when ``dense``, is mapped to 0, 1, ... in sorted order.
    ``segments_only`` refuses a label that is not kept (DataError naming its row) instead of
    mapping it. Labels are 1-D; a missing label (None, NaN) is a DataError naming its row."""
    array = values(labels)
    if array.ndim != 1:
        raise DataError(f"{name} must be 1D (one-dimensional), got {array.ndim}D")
    codes, rows, count = _segcore.encode_labels(array, name, dense, segments_only)
    return codes, np.arange(count) if rows is None else array[rows]


def label_list(label_values: np.ndarray, codes: "npt.ArrayLike") -> List[Hashable]:
    """The original label (a Python value) of each code of :func:`as_labels`; a code beyond the
    labels stays itself."""
    labels = [v.item() if isinstance(v, np.generic) else v for v in np.asarray(label_values).tolist()]
    return [labels[c] if c < len(labels) else c for c in np.asarray(codes, dtype=np.int64).tolist()]


def label_codes(label_values: np.ndarray) -> Dict[Hashable, int]:
    """The code of each original label of :func:`as_labels` (the inverse of :func:`label_list`)."""
    return {label: code for code, label in enumerate(label_list(label_values, np.arange(len(label_values))))}


def shared_labels(before: ColumnLike, after: ColumnLike) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of two labelings over one shared vocabulary (so equal labels get equal codes)."""
    b, a = (values(x) for x in (before, after))
    as_labels(b, "labels_before"), as_labels(a, "labels_after")  # each one's shape and missing labels
    both = np.concatenate([b.astype(object), a.astype(object)]) if b.dtype != a.dtype else np.concatenate([b, a])
    codes, uniques = as_labels(both, dense=True)
    return codes[: len(b)], codes[len(b):], uniques
