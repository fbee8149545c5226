"""A Segmenter scoring a transaction log in pieces (the engines' side of ``segcore::partial::log``).

Both engines bring every customer's row and all of their log lines into one piece (a Dask
partition, a Spark cogroup bucket) and score each piece with :meth:`segcore.Segmenter.predict`
at one date for all pieces: :meth:`default_as_of` of the whole log's last date, the maximum of
the pieces' last dates as the core reads them (:func:`segcore._segcore.log_last_day`). Each
piece's lines are put back in their log order first (``_LINE``), so every sum runs as in memory.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

from . import _segcore
from ._engine import guarded
from ._frames import column, dates
from .exceptions import SegcoreError

#: Column the engines add to both frames: the piece a customer goes to.
KEY = "__segcore_piece"
#: Column the engines add to the log: the line's position in the log (sorts each piece back).
LINE = "__segcore_line"


def reads_log(model: Any, transactions: Any) -> bool:
    """Whether scoring ``model`` needs ``transactions`` (a Segmenter with behaviour features);
    a log given to any other model is an error."""
    from .segmenter import Segmenter

    if transactions is None:
        return False
    if not isinstance(model, Segmenter):
        raise TypeError(
            f"only a segcore.Segmenter reads a transaction log, got {type(model).__name__}: join "
            "behaviour_features(transactions) to the customers and score them without a log"
        )
    return bool(model._model.reads_transactions)


def log_columns(model: Any, columns: List[str]) -> Tuple[str, str, str]:
    """(the log's customer column, the customers' id column, the log's date column) of a log with
    these columns, as :meth:`segcore.Segmenter.predict` reads them."""
    customer_id = str(model.customer_id)
    roles = _segcore.transaction_roles([str(c) for c in columns], model.transaction_columns, customer_id)
    customer = str(roles["customer"])
    return customer, customer_id if customer_id in columns else customer, str(roles["date"])


class LastDay:
    """One piece of a log -> the day (since 1970-01-01) of its last line as the core reads the
    dates, or None."""

    def __init__(self, date: str) -> None:
        self.date = date

    @guarded("the dates of a partition of the log")
    def __call__(self, part: Any) -> Optional[int]:
        return _segcore.log_last_day(dates(column(part, self.date))) if len(part) else None


def as_of_of(model: Any, last_days: List[Optional[int]]) -> Optional[int]:
    """The date every piece is measured at (days since 1970-01-01; the core's rule)."""
    known = [int(d) for d in last_days if d is not None]
    return model._model.default_as_of(max(known) if known else None)


class Score:
    """Picklable scoring of one piece: ``model.predict(customers, transactions=lines, as_of=...)``
    with the engines' helper columns dropped and the lines in log order; the result has the
    columns of ``meta`` (a piece without an assigned customer has no probability columns of its
    own). An error names the piece."""

    def __init__(self, model: Any, as_of: Optional[int], meta: Any = None) -> None:
        self.model, self.as_of, self.meta = model, as_of, meta

    def __call__(self, customers: Any, lines: Any, piece: str) -> Any:
        customers = customers.drop(columns=[KEY], errors="ignore")
        if LINE in lines.columns:
            lines = lines.sort_values(LINE, kind="stable")
        lines = lines.drop(columns=[KEY, LINE], errors="ignore")
        if self.meta is not None and len(customers) == 0:
            return self.meta.iloc[:0].copy()
        as_of = None if self.as_of is None else np.datetime64(int(self.as_of), "D")
        try:
            scored = self.model.predict(customers, transactions=lines, as_of=as_of)
        except SegcoreError as err:
            raise type(err)(f"{piece}: {err}") from err
        if self.meta is None:
            return scored
        return scored.reindex(columns=self.meta.columns).astype(self.meta.dtypes.to_dict())


def meta_of(model: Any, sample: Any, empty_log: Any, as_of: Optional[int]) -> Any:
    """The empty result frame (columns and dtypes): ``sample`` customers scored with no lines."""
    return Score(model, as_of)(sample, empty_log, "the first customers").iloc[:0]


def bucket_of(ids: Any, n: int) -> np.ndarray:
    """The piece (0..n) of every customer id, from the id as text (as the core matches ids)."""
    import pandas as pd

    texts = pd.Series(np.asarray(ids, dtype=object)).astype(str)
    hashed = pd.util.hash_pandas_object(texts, index=False).to_numpy()
    return (hashed % np.uint64(n)).astype(np.int64)
