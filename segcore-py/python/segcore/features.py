"""Features from raw B2B data, computed by segcore's Rust core from pandas or polars DataFrames.

- :func:`behaviour_features`: recency, frequency, monetary value, margin, order value, tenure,
  inter-purchase interval, revenue trend, product categories, channel mix, return rate;
- :func:`rfm`: recency/frequency/monetary with quantile scores and named RFM segments
  (:func:`rfm_scores` scores columns you already have, :func:`default_rfm_rules` is the table);
- :func:`abc_classes` and :func:`concentration`: ABC/Pareto classes, Lorenz curve, Gini,
  "the top x% of customers bring y%";
- :func:`lifecycle_stages`: prospect / new / active / at risk / lapsed / churned.

The exact definitions are in the Rust documentation of ``segcore::features``; the docstrings
below repeat what a user needs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple, TypeVar

import numpy as np

from . import _segcore
from ._base import count_param
from ._frames import (
    TRANSACTION_COLUMNS,
    column,
    column_names,
    customer_index,
    day,
    floats,
    log_input,
    series_or_array,
)
from ._typing import ColumnLike, CustomersLike, DateLike, Table
from .exceptions import InvalidParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "behaviour_features",
    "segmentation_features",
    "rfm",
    "rfm_scores",
    "default_rfm_rules",
    "abc_classes",
    "concentration",
    "Concentration",
    "lifecycle_stages",
]

RfmRule = Tuple[str, Tuple[int, int], Tuple[int, int], Tuple[int, int]]
R = TypeVar("R", "pd.DataFrame", "pd.Series")


def behaviour_features(
    transactions: Table,
    customers: CustomersLike = None,
    *,
    customer: str = TRANSACTION_COLUMNS["customer"],
    date: str = TRANSACTION_COLUMNS["date"],
    amount: str = TRANSACTION_COLUMNS["amount"],
    margin: Optional[str] = None,
    product_category: Optional[str] = None,
    channel: Optional[str] = None,
    as_of: Optional[DateLike] = None,
    features: Optional[Sequence[str]] = None,
    trend_window_months: int = 12,
    on_invalid: str = "raise",
) -> "pd.DataFrame":
    """Per-customer behaviour features from a transaction log (pandas or polars DataFrame).

    At ``as_of`` (default: the day after the last transaction; later lines are ignored):

    - ``recency_days`` / ``tenure_days``: days since the last / first order;
    - ``frequency``: number of orders = distinct days with a positive amount (returns and credit
      notes, i.e. negative amounts, never count as orders);
    - ``monetary``: net revenue after returns; ``margin`` (with a margin column);
      ``average_order_value`` = monetary / frequency; ``return_rate``;
    - ``product_categories`` (with a category column): distinct categories ordered;
    - ``interpurchase_mean_days`` / ``interpurchase_std_days``: mean and sample std of the days
      between consecutive orders (need 2 and 3 orders);
    - ``revenue_last_window`` / ``revenue_previous_window`` / ``revenue_trend``: net revenue in the
      last ``trend_window_months`` and the same span before, and ``(last - prev) / (|last| +
      |prev|)`` in [-1, 1];
    - ``channel_share_<channel>`` (with a channel column): share of gross ordered amount.

    ``customers`` (a DataFrame with the ``customer`` column, or a sequence of ids) fixes the rows:
    every customer appears, those without orders with frequency 0 and NaN where undefined; a
    transaction of a customer not in it is an error naming the id. Without it, the customers are
    those of the log, in order of first appearance.

    A missing customer id, a missing or unparseable date, or a NaN amount is an error naming the
    column and the row; with ``on_invalid="skip"`` such rows are dropped, a warning gives their
    count and ``result.attrs["skipped_rows"]`` holds it.

    Returns a pandas DataFrame indexed by customer id.

    >>> import pandas as pd, segcore
    >>> tx = pd.DataFrame({"customer_id": ["A", "A", "B"],
    ...                    "date": ["2025-01-01", "2025-03-01", "2025-02-01"],
    ...                    "amount": [100.0, 50.0, 80.0]})
    >>> f = segcore.behaviour_features(tx)
    >>> f.loc["A", ["recency_days", "frequency", "monetary"]].tolist()
    [1.0, 2.0, 150.0]
    """
    import pandas as pd

    tx, names, uniques = log_input(transactions, customer, date, amount, margin, product_category, channel)
    customer_ids, index = customer_index(customers, customer)
    feature_list = None if features is None else [str(f) for f in features]
    names_out, values, as_of_days, skipped, first_rows = _segcore.behaviour_features(
        customer_ids, tx, names, None if as_of is None else day(as_of, "as_of"), feature_list,
        count_param("trend_window_months", trend_window_months, "1..=1200 calendar months"), on_invalid
    )
    # copy=False: the array is ours; pandas 3 would otherwise copy the whole result once more.
    frame = pd.DataFrame(values, columns=names_out, index=index(uniques, first_rows), copy=False)
    return _stamped(frame, as_of_days, skipped_rows=skipped)


def _stamped(result: R, as_of_days: int, **skipped: int) -> R:
    """``result`` with ``attrs["as_of"]`` and the counts of skipped rows, each warned about."""
    result.attrs["as_of"] = str(np.datetime64(int(as_of_days), "D"))
    for key, count in skipped.items():
        if count:
            what = "touchpoint" if "touchpoint" in key else "transaction"
            warnings.warn(f"skipped {count} invalid {what} rows (on_invalid='skip')", stacklevel=3)
        result.attrs[key] = int(count)
    return result


def segmentation_features(
    customers: CustomersLike,
    transactions: Table,
    *,
    customer: str = TRANSACTION_COLUMNS["customer"],
    date: str = TRANSACTION_COLUMNS["date"],
    amount: str = TRANSACTION_COLUMNS["amount"],
    annual_revenue: Optional[str] = "annual_revenue_eur",
    product_category: Optional[str] = "product_category",
) -> Tuple["pd.DataFrame", np.ndarray]:
    """segcore's default clustering features of a customer base (the end-to-end recipe).

    Columns: ``monetary``, ``frequency``, ``recency_days``, ``average_order_value``,
    ``product_categories`` and ``annual_revenue_eur`` when those columns exist. Returns
    ``(raw, model_input)``: a DataFrame in original units (NaN where undefined, for profiles)
    and the clustering matrix (``ln(1 + x)`` for money and counts, medians for missing values),
    to be standardised and clustered. Every customer of ``customers`` has a row.
    """
    import pandas as pd

    columns = column_names(transactions)
    customer_ids, index = customer_index(customers, customer)
    if customer_ids is None:
        raise TypeError("segmentation_features needs the customers (a DataFrame or a sequence of ids), got None")
    revenue = None
    if annual_revenue is not None and annual_revenue in column_names(customers):
        revenue = floats(column(customers, annual_revenue))
    category = product_category if product_category is not None and product_category in columns else None
    tx, names, _ = log_input(transactions, customer, date, amount, None, category, None)
    names_out, raw, model_input = _segcore.segmentation_features(customer_ids, revenue, tx, names)
    raw_frame = pd.DataFrame(raw, columns=names_out, index=index(None, None))
    return raw_frame, model_input


def _score_range(value: Sequence[int]) -> Tuple[int, int]:
    """One ``(min, max)`` score range of an RFM rule."""
    pair = tuple(value)
    if len(pair) != 2:
        raise InvalidParameterError(f"invalid parameter `rules`: score range {value!r} is not (min, max)")
    return int(pair[0]), int(pair[1])


def default_rfm_rules() -> List[RfmRule]:
    """The default RFM rule table: ``(segment, (r_min, r_max), (f_min, f_max), (m_min, m_max))``
    rows for 5 scores, first match wins (the classic R x F grid, 11 segments).

    Copy and edit it to make your own table for :func:`rfm` / :func:`rfm_scores`.

    >>> import segcore
    >>> segcore.default_rfm_rules()[0]
    ('Champions', (5, 5), (4, 5), (1, 5))
    """
    return list(_segcore.default_rfm_rules())


def rfm_scores(
    recency_days: ColumnLike,
    frequency: ColumnLike,
    monetary: ColumnLike,
    *,
    n_scores: int = 5,
    rules: Optional[Sequence[RfmRule]] = None,
    unmatched: str = "Other",
    no_orders: str = "No orders",
) -> "pd.DataFrame":
    """RFM quantile scores and segments from recency (days), frequency and monetary columns.

    Scores are ``pandas.qcut(x.rank(method="first"), n_scores)`` among customers with orders
    (``frequency > 0``): equal-count bins, ties broken by row order, ``n_scores`` = best (most
    recent, most frequent, highest value). Customers without orders get score 0 and the
    ``no_orders`` segment. Segments come from ``rules`` (default :func:`default_rfm_rules`),
    first match wins; a scored customer matching none gets ``unmatched``.

    Returns a DataFrame with ``r_score``, ``f_score``, ``m_score``, ``rfm_cell`` (e.g. ``"545"``)
    and ``segment`` (categorical), on the index of ``recency_days`` when it has one.
    """
    import pandas as pd

    r, index = series_or_array(recency_days)
    table = None if rules is None else [(str(s), _score_range(a), _score_range(b), _score_range(c)) for s, a, b, c in rules]
    n = count_param("n_scores", n_scores, "2..=10 score levels")
    rs, fs, ms, segment, segment_names, cell_codes, cells = _segcore.rfm_scores(
        r, floats(frequency), floats(monetary), n, table, str(unmatched), str(no_orders))
    frame = pd.DataFrame({"r_score": rs, "f_score": fs, "m_score": ms}, index=index)
    frame["rfm_cell"] = np.asarray(cells, dtype=object)[cell_codes]
    frame["segment"] = pd.Categorical.from_codes(segment.astype(np.int64), categories=segment_names)
    return frame


def rfm(
    transactions: Table,
    customers: CustomersLike = None,
    *,
    customer: str = TRANSACTION_COLUMNS["customer"],
    date: str = TRANSACTION_COLUMNS["date"],
    amount: str = TRANSACTION_COLUMNS["amount"],
    as_of: Optional[DateLike] = None,
    n_scores: int = 5,
    rules: Optional[Sequence[RfmRule]] = None,
    on_invalid: str = "raise",
) -> "pd.DataFrame":
    """Recency, frequency, monetary value (and tenure) per customer, with RFM scores and segments.

    ``recency_days``, ``frequency`` (distinct order days), ``monetary`` (net revenue after
    returns) and ``tenure_days`` as in :func:`behaviour_features`, then the columns of
    :func:`rfm_scores` (``r_score``, ``f_score``, ``m_score``, ``rfm_cell``, ``segment``).

    >>> import pandas as pd, segcore
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 3], "amount": [10.0, 20.0, 5.0, 7.0],
    ...                    "date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-02-01", "2025-01-20"])})
    >>> segcore.rfm(tx, as_of="2025-03-02")[["recency_days", "frequency", "monetary"]].loc[1].tolist()
    [1.0, 2.0, 30.0]
    """
    values = behaviour_features(transactions, customers, customer=customer, date=date, amount=amount, as_of=as_of,
                                features=["recency_days", "frequency", "monetary", "tenure_days"], on_invalid=on_invalid)
    out = values.join(rfm_scores(values["recency_days"], values["frequency"], values["monetary"], n_scores=n_scores, rules=rules))
    out.attrs = dict(values.attrs)
    return out


def abc_classes(values: ColumnLike, *, a_share: float = 0.80, b_share: float = 0.15) -> "pd.Series":
    """ABC (Pareto) class per customer from its value (net revenue or margin).

    Largest values first, a customer is ``A`` while the customers before it bring less than
    ``a_share`` of the total (so the customer crossing 80% is still A), ``B`` while they bring
    less than ``a_share + b_share``, else ``C``; values <= 0 count as 0 and are always ``C``.
    Returns a categorical pandas Series (on the input's index when it has one).

    >>> import segcore
    >>> segcore.abc_classes([500.0, 20.0, 300.0, 100.0, 50.0, 30.0]).tolist()
    ['A', 'C', 'A', 'B', 'B', 'C']
    """
    array, index = series_or_array(values)
    codes, _, _ = _segcore.abc_classes(array, float(a_share), float(b_share))
    return _ordered(codes, ["A", "B", "C"], index, "abc_class")


def _ordered(codes: np.ndarray, categories: Sequence[str], index: object, name: str) -> "pd.Series":
    """The core's class codes as an ordered categorical Series."""
    import pandas as pd

    return pd.Series(pd.Categorical.from_codes(codes.astype(np.int64), categories=categories, ordered=True),
                     index=index, name=name)


@dataclass(frozen=True)
class Concentration:
    """How concentrated value is over customers (see :func:`concentration`)."""

    gini: float
    """Gini coefficient: 0 = equal, close to 1 = one customer brings everything."""
    total: float
    """Total value (negative values counted as 0)."""
    lorenz: "pd.DataFrame"
    """Lorenz curve points: DataFrame ``customer_share`` (smallest first), ``value_share``."""
    top_shares: Dict[float, float]
    """For each fraction x of customers (largest first), the share of value they bring."""
    customers_for_share: Dict[float, float]
    """For each share y of value, the smallest fraction of customers that brings it."""

    def __str__(self) -> str:
        parts = [f"Gini {self.gini:.3f}"]
        parts += [f"top {x:.0%} of customers bring {y:.1%}" for x, y in self.top_shares.items()]
        return "; ".join(parts)


def concentration(
    values: ColumnLike,
    *,
    top: Sequence[float] = (0.01, 0.05, 0.1, 0.2),
    shares: Sequence[float] = (0.5, 0.8),
    n_points: int = 101,
) -> Concentration:
    """Concentration of value (revenue, margin) over customers: Gini, Lorenz curve, top-x% shares.

    Negative values count as 0. ``top``: fractions of customers (largest first) whose value share
    is reported; ``shares``: value shares for which the smallest fraction of customers is
    reported; ``n_points``: Lorenz curve points at evenly spaced customer counts.

    >>> import segcore
    >>> c = segcore.concentration([0.0, 0.0, 0.0, 100.0], top=[0.25])
    >>> c.gini, c.top_shares
    (0.75, {0.25: 1.0})
    """
    import pandas as pd

    array, _ = series_or_array(values)
    top_list = [float(x) for x in top]
    share_list = [float(y) for y in shares]
    gini, total, lx, ly, top_shares, needed = _segcore.concentration(
        array, count_param("n_points", n_points, "at least 2"), top_list, share_list
    )
    return Concentration(gini=gini, total=total, lorenz=pd.DataFrame({"customer_share": lx, "value_share": ly}),
                         top_shares=dict(zip(top_list, top_shares)), customers_for_share=dict(zip(share_list, needed)))


def lifecycle_stages(
    transactions: Table,
    customers: CustomersLike = None,
    *,
    customer: str = TRANSACTION_COLUMNS["customer"],
    date: str = TRANSACTION_COLUMNS["date"],
    amount: str = TRANSACTION_COLUMNS["amount"],
    as_of: Optional[DateLike] = None,
    touchpoints: Optional[Table] = None,
    touchpoint_date: str = TRANSACTION_COLUMNS["date"],
    new_days: int = 90,
    active_days: int = 90,
    at_risk_days: int = 180,
    lapsed_days: int = 365,
    on_invalid: str = "raise",
) -> "pd.Series":
    """Lifecycle stage per customer at ``as_of``: ``prospect`` (never purchased), ``new`` (first
    purchase within ``new_days``), then by days since the last purchase or touchpoint (the later):
    ``active`` (<= ``active_days``), ``at risk`` (<= ``at_risk_days``), ``lapsed``
    (<= ``lapsed_days``), ``churned``.

    ``touchpoints``: an optional DataFrame of customer contacts (visits, calls, quotes) with the
    ``customer`` column and a ``touchpoint_date`` column; a touchpoint keeps a buying customer
    active but never turns a prospect into a customer. Returns an ordered categorical Series;
    with ``on_invalid="skip"``, ``attrs["skipped_rows"]`` and ``attrs["skipped_touchpoint_rows"]``
    count the dropped transaction and touchpoint rows (each also warned about).

    >>> import pandas as pd, segcore
    >>> tx = pd.DataFrame({"customer_id": ["A", "B", "B"], "amount": [10.0, 5.0, 5.0],
    ...                    "date": ["2025-06-01", "2024-01-10", "2024-09-01"]})
    >>> segcore.lifecycle_stages(tx, customers=["A", "B", "C"], as_of="2025-06-30").tolist()
    ['new', 'lapsed', 'prospect']
    """
    tx, names, uniques = log_input(transactions, customer, date, amount)
    customer_ids, index = customer_index(customers, customer)
    touch = None if touchpoints is None else log_input(touchpoints, customer, touchpoint_date, None)[:2]
    codes, stage_names, as_of_days, skipped, skipped_touchpoints, first_rows = _segcore.lifecycle_stages(
        customer_ids, tx, names, touch, None if as_of is None else day(as_of, "as_of"), on_invalid,
        count_param("new_days", new_days, "at least 1 day"),
        count_param("active_days", active_days, "at least 1 day"),
        count_param("at_risk_days", at_risk_days, "more than active_days"),
        count_param("lapsed_days", lapsed_days, "more than at_risk_days"),
    )
    stages = _ordered(codes, stage_names, index(uniques, first_rows), "lifecycle_stage")
    return _stamped(stages, as_of_days, skipped_rows=skipped, skipped_touchpoint_rows=skipped_touchpoints)
