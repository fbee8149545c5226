"""Features from raw B2B data, computed by segcore's Rust core from pandas or polars DataFrames."""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from . import _segcore

__all__ = ["behaviour_features", "segmentation_features"]


def _column(frame: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(frame[name])
    except (KeyError, Exception) as err:  # pandas KeyError, polars ColumnNotFoundError
        if name in list(getattr(frame, "columns", [])):
            raise
        from .exceptions import ColumnError

        raise ColumnError(
            f"unknown column `{name}`; available columns: {', '.join(map(str, frame.columns))}"
        ) from err


def _dates(values: Any) -> Any:
    array = np.asarray(values)
    if array.dtype.kind == "M":
        if np.isnat(array).any():
            row = int(np.flatnonzero(np.isnat(array))[0])
            from .exceptions import DataError

            raise DataError(f"transactions contain a missing date (NaT) at row {row}")
        return array.astype("datetime64[D]").astype(np.int64)
    return [str(v) for v in array]


def _ids(values: Any) -> list:
    return [str(v) for v in np.asarray(values)]


def behaviour_features(
    transactions: Any,
    customers: Any = None,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    margin: Optional[str] = None,
    product_category: Optional[str] = None,
    as_of: Any = None,
) -> Any:
    """Per-customer behaviour features from a transaction log (pandas or polars DataFrame).

    Columns: ``recency_days``, ``frequency`` (distinct order days with a positive amount; returns
    never count as orders), ``monetary`` (net revenue after returns), ``margin`` (with a margin
    column), ``average_order_value``, ``tenure_days``, ``product_categories`` (with a category
    column), ``return_rate``; at ``as_of`` (default: the day after the last transaction).

    ``customers`` (a DataFrame with the ``customer`` column, or a sequence of ids) fixes the rows:
    every customer appears, those without transactions with frequency 0 and NaN recency;
    a transaction of a customer not in it is an error naming the id, never dropped. Without it,
    the customers are those of the log, in order of first appearance.

    Returns a pandas DataFrame indexed by customer id.
    """
    import pandas as pd

    tx_ids = _ids(_column(transactions, customer))
    if customers is None:
        customer_ids = list(dict.fromkeys(tx_ids))
    elif hasattr(customers, "columns"):
        customer_ids = _ids(_column(customers, customer))
    else:
        customer_ids = _ids(customers)
    amounts = np.ascontiguousarray(_column(transactions, amount), dtype=np.float64)
    margins = None if margin is None else np.ascontiguousarray(_column(transactions, margin), dtype=np.float64)
    categories = None
    if product_category is not None:
        categories = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                      for v in _column(transactions, product_category)]
    as_of_arg = None if as_of is None else _dates(np.asarray([np.datetime64(pd.Timestamp(as_of), "D")]))
    names, values, _ = _segcore.behaviour_features(
        customer_ids, tx_ids, _dates(_column(transactions, date)), amounts, margins, categories, as_of_arg
    )
    return pd.DataFrame(values, columns=names, index=pd.Index(customer_ids, name=customer))


def segmentation_features(
    customers: Any,
    transactions: Any,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    annual_revenue: Optional[str] = "annual_revenue_eur",
    product_category: Optional[str] = "product_category",
) -> Tuple[Any, np.ndarray]:
    """segcore's default clustering features of a customer base (the end-to-end recipe).

    Columns: ``monetary``, ``frequency``, ``recency_days``, ``average_order_value``,
    ``product_categories`` and ``annual_revenue_eur`` when those columns exist. Returns
    ``(raw, model_input)``: a DataFrame in original units (NaN where undefined, for profiles)
    and the clustering matrix (``ln(1 + x)`` for money and counts, medians for missing values),
    to be standardised and clustered. Every customer of ``customers`` has a row.
    """
    import pandas as pd

    columns = list(getattr(transactions, "columns", []))
    customer_ids = _ids(_column(customers, customer))
    revenue = None
    if annual_revenue is not None and annual_revenue in list(customers.columns):
        revenue = np.ascontiguousarray(_column(customers, annual_revenue), dtype=np.float64)
    categories = None
    if product_category is not None and product_category in columns:
        categories = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                      for v in _column(transactions, product_category)]
    names, raw, model_input = _segcore.segmentation_features(
        customer_ids,
        revenue,
        _ids(_column(transactions, customer)),
        _dates(_column(transactions, date)),
        np.ascontiguousarray(_column(transactions, amount), dtype=np.float64),
        categories,
    )
    raw_frame = pd.DataFrame(raw, columns=names, index=pd.Index(customer_ids, name=customer))
    return raw_frame, model_input
