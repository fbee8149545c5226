"""Customer lifetime value: who is still a customer, what they will buy and what they are worth.

- :func:`clv_summary`: a transaction log -> per customer ``frequency``, ``recency``, ``T`` and
  ``monetary_value`` (lifetimes' ``summary_data_from_transaction_data``);
- :class:`BetaGeo` (BG/NBD) and :class:`ParetoNBD`: purchase models with
  ``predict_purchases`` and ``probability_alive``;
- :class:`GammaGamma`: the spend model and its discounted ``customer_lifetime_value``;
- for segments: :func:`segment_value` (CLV per segment, share of the total, customers likely to
  lapse), :func:`cross_sell` (category penetration per segment and each customer's white space)
  and :func:`migration_forecast` (transition matrix, segment mix ahead, next-period
  probabilities), all under the profiles' privacy threshold ``min_group_size``.

Parameter names, formulas and the penalty follow lifetimes, so results agree with it on the
same inputs; every number is computed by segcore's Rust core.
"""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, TypeVar, Union

import numpy as np
import numpy.typing as npt

from . import _segcore
from ._base import BaseEstimator, adopt, check_is_fitted, core_params, count_param, float_param, optional_count, store_params
from .exceptions import ConvergenceWarning, DataError, InvalidParameterError
from ._frames import as_labels, column, column_names, day as _day, floats, ids, is_pandas, is_polars, log_input, values
from ._typing import DateLike, Frame, Table

if TYPE_CHECKING:
    import pandas as pd

    from ._frames import IdValues

#: A value per customer id: a dict, a pandas Series indexed by id, or a DataFrame with the id
#: column and the value column.
PerCustomer = Union[Mapping[object, object], "pd.Series", Frame]

__all__ = ["clv_summary", "BetaGeo", "ParetoNBD", "GammaGamma", "segment_value", "cross_sell", "CrossSell",
           "migration_forecast", "MigrationForecast"]


def clv_summary(
    transactions: Frame,
    customer: str = "customer_id",
    date: str = "date",
    amount: Optional[str] = "amount",
    observation_end: Optional[DateLike] = None,
    freq: str = "D",
    on_invalid: str = "raise",
) -> Frame:
    """Per-customer purchase history of a transaction log (pandas or polars DataFrame).

    The same definitions as lifetimes'
    ``summary_data_from_transaction_data(transactions, customer, date, amount,
    observation_period_end=observation_end, freq=freq)``: dates fall into periods (``"D"`` days,
    ``"W"`` weeks from Monday to Sunday, ``"M"`` calendar months); lines in a period after the
    observation end's are left out (the observation end defaults to the last date and is
    inclusive); per customer

    - ``frequency``: periods with a purchase, minus the first (repeat purchase periods);
    - ``recency``: periods from the first to the last purchase;
    - ``T``: periods from the first purchase to the observation end;
    - ``monetary_value`` (with ``amount``): mean of the per-period amount sums over the repeat
      periods, 0 without repeat purchases.

    Returns a pandas DataFrame of float64 columns indexed by customer, in order of first
    appearance in the log (lifetimes sorts by customer id). ``attrs`` hold
    ``observation_end``, ``n_lines_after_end`` and ``skipped_rows`` (rows with a missing id,
    date or amount dropped by ``on_invalid="skip"``; by default they are an error).

    >>> import pandas as pd, segcore
    >>> tx = pd.DataFrame({"customer_id": ["A", "A", "A", "B"],
    ...                    "date": ["2025-01-03", "2025-01-03", "2025-03-09", "2025-02-01"],
    ...                    "amount": [10.0, 5.0, 30.0, 8.0]})
    >>> s = segcore.clv_summary(tx, observation_end="2025-03-10")
    >>> s.loc["A"].tolist()
    [1.0, 65.0, 66.0, 30.0]
    """
    import pandas as pd

    if not isinstance(freq, str):
        raise InvalidParameterError(f"invalid parameter `freq` = {freq!r}: expected \"D\", \"W\" or \"M\"")
    # Without an amount every line counts 1: amounts change neither frequency, recency nor T.
    tx, names, log_ids = log_input(transactions, customer, date, amount, core_ids=False)
    uniques = np.asarray(log_ids(None))
    end = None if observation_end is None else _day(observation_end, "observation_end")
    codes, columns, facts = _segcore.clv_summary(tx, names, end, freq, on_invalid, monetary=amount is not None)
    index = pd.Index(uniques[codes] if len(codes) else uniques[:0], name=customer)
    frame = pd.DataFrame(columns, index=index, copy=False)
    frame.attrs.update(facts)
    if facts["skipped_rows"]:
        warnings.warn(f"skipped {facts['skipped_rows']} invalid transaction rows (on_invalid='skip')", stacklevel=2)
    return frame


def _vector(values: npt.ArrayLike, name: str) -> np.ndarray:
    """A contiguous float64 vector (pandas/polars series, lists, arrays; a number is one value)."""
    array = floats(values, name)
    if array.ndim != 1:
        raise DataError(f"{name} must be one-dimensional, got {array.ndim}D")
    return array


def _history(frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _vector(frequency, "frequency"), _vector(recency, "recency"), _vector(T, "T")


_Model = TypeVar("_Model", bound="_FitSettings")


class _FitSettings(BaseEstimator):
    """Shared parameters and fitted attributes of the three models."""

    _param_names: Tuple[str, ...] = ()
    _adopted = "log_likelihood converged n_iter n_customers"

    def __init__(self, penalizer_coef: float = 0.0, tol: Optional[float] = None, max_iter: int = 1000):
        store_params(self, locals())

    def _settings(self) -> Dict[str, Any]:  # tol None: the core's default
        return dict(core_params(self, float="penalizer_coef tol?"), max_iter=_non_negative("max_iter", self.max_iter))

    def _set_model(self: _Model, model: Any) -> _Model:
        self._model = model
        self.params_ = dict(model.params)
        self.standard_errors_ = None if model.standard_errors is None else dict(model.standard_errors)
        adopt(self, model, self._adopted)
        if not model.converged:
            warnings.warn(f"{type(self).__name__} did not converge in {model.n_iter} iterations; the parameters are the "
                          "best found (try a penalizer_coef > 0)", ConvergenceWarning, stacklevel=3)
        return self

    @property
    def confidence_intervals_(self) -> Optional[Dict[str, Tuple[float, float]]]:
        """95% intervals ``params_ -/+ 1.96 * standard_errors_`` (lifetimes' definition)."""
        check_is_fitted(self)
        return None if self._model.confidence_intervals is None else dict(self._model.confidence_intervals)


#: A count the core takes (it checks the rest of the range).
_non_negative = functools.partial(count_param, expected="at least 1")


class _PurchaseModel(_FitSettings):
    _core: Any = None

    def fit(self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike) -> "_PurchaseModel":
        """Fits the model by maximum likelihood to the customers' histories.

        ``frequency``, ``recency`` and ``T`` are as :func:`clv_summary` returns them (any one
        time unit). A history with recency > T, a negative or fractional frequency, a single
        customer or no repeat purchase at all is a :class:`~segcore.exceptions.DataError`. A fit
        that does not reach the tolerance keeps its parameters, sets ``converged_ = False`` and
        warns (:class:`~segcore.exceptions.ConvergenceWarning`).
        """
        return self._set_model(self._core.fit(*_history(frequency, recency, T), **self._settings()))

    def predict_purchases(self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike) -> np.ndarray:
        """Expected repeat purchases of each customer in the next ``t`` periods (a number or
        one per customer), lifetimes' ``conditional_expected_number_of_purchases_up_to_time``."""
        check_is_fitted(self)
        horizon = float_param("t", t) if np.ndim(t) == 0 else _vector(t, "t")
        return self._model.predict_purchases(horizon, *_history(frequency, recency, T))

    def probability_alive(self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike) -> np.ndarray:
        """Probability that each customer is still alive (lifetimes'
        ``conditional_probability_alive``)."""
        check_is_fitted(self)
        return self._model.probability_alive(*_history(frequency, recency, T))

    # lifetimes' names, so code written for lifetimes runs unchanged.
    conditional_expected_number_of_purchases_up_to_time = predict_purchases
    conditional_probability_alive = probability_alive

    @classmethod
    def from_params(cls, **params: float) -> "_PurchaseModel":
        """A model with given parameters (e.g. published ones), for prediction only."""
        if set(params) != set(cls._param_names):
            raise InvalidParameterError(f"invalid parameters {sorted(params)}: expected exactly {list(cls._param_names)}")
        return cls()._set_model(cls._core.from_params(*(float_param(n, params[n]) for n in cls._param_names)))


class BetaGeo(_PurchaseModel):
    """BG/NBD purchase model (Fader, Hardie and Lee 2005), lifetimes' ``BetaGeoFitter``.

    Parameters
    ----------
    penalizer_coef : float
        L2 penalty on the parameters, as lifetimes' (on its time scale, where the longest T is 1).
    tol : float or None
        Gradient tolerance of the optimiser (default 1e-8).
    max_iter : int
        Maximum quasi-Newton iterations.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha``, ``a``, ``b``.
    standard_errors_ : dict or None
        Delta-method standard errors from the numerical Hessian (lifetimes' definition).
    log_likelihood_ : float
        Total log-likelihood over the customers.
    converged_, n_iter_, n_customers_

    >>> import segcore
    >>> bg = segcore.BetaGeo().fit([0, 2, 5, 1, 0, 3], [0, 20, 30, 5, 0, 12], [38, 35, 36, 30, 25, 33])
    >>> sorted(bg.params_)
    ['a', 'alpha', 'b', 'r']
    """

    _param_names = ("r", "alpha", "a", "b")
    _core = _segcore.BetaGeoModel


class ParetoNBD(_PurchaseModel):
    """Pareto/NBD purchase model, lifetimes' ``ParetoNBDFitter``.

    Parameters as :class:`BetaGeo` (default ``tol`` 1e-7: the gradient is numerical);
    ``params_`` holds ``r``, ``alpha``, ``s``, ``beta``. lifetimes fits it with Nelder-Mead
    from a random start; segcore runs BFGS from all parameters 1 and reaches the same maximum
    (within lifetimes' tolerance), deterministically.
    """

    _param_names = ("r", "alpha", "s", "beta")
    _core = _segcore.ParetoNbdModel


class GammaGamma(_FitSettings):
    """Gamma-Gamma spend model, lifetimes' ``GammaGammaFitter``, and the discounted CLV.

    Parameters
    ----------
    penalizer_coef, tol, max_iter
        As :class:`BetaGeo`.
    on_invalid : {"raise", "exclude"}
        A customer without repeat purchases or with non-positive ``monetary_value`` is an error
        (default), or left out of the fit and counted in ``n_excluded_``.

    Attributes
    ----------
    params_ : dict
        ``p``, ``q``, ``v``.
    standard_errors_, log_likelihood_, converged_, n_iter_, n_customers_, n_excluded_
    """

    _adopted = _FitSettings._adopted + " n_excluded"

    def __init__(self, penalizer_coef: float = 0.0, tol: Optional[float] = None, max_iter: int = 1000,
                 on_invalid: str = "raise"):
        store_params(self, locals())

    def fit(self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> "GammaGamma":
        """Fits the model to the customers' repeat-purchase counts and mean repeat spend."""
        if self.on_invalid not in ("raise", "exclude"):
            raise InvalidParameterError(f"invalid parameter `on_invalid` = {self.on_invalid!r}: expected 'raise' or 'exclude'")
        return self._set_model(_segcore.GammaGammaModel.fit(
            *self._spend(frequency, monetary_value), exclude_invalid=self.on_invalid == "exclude", **self._settings()))

    @classmethod
    def from_params(cls, p: float, q: float, v: float) -> "GammaGamma":
        """A model with given parameters, for prediction only."""
        return cls()._set_model(_segcore.GammaGammaModel.from_params(float(p), float(q), float(v)))

    def conditional_expected_average_profit(self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> np.ndarray:
        """Expected mean spend per transaction of each customer (lifetimes' name)."""
        check_is_fitted(self)
        return self._model.conditional_expected_average_profit(*self._spend(frequency, monetary_value))

    @staticmethod
    def _spend(frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
        return _vector(frequency, "frequency"), _vector(monetary_value, "monetary_value")

    def customer_lifetime_value(
        self,
        purchase_model: "BetaGeo | ParetoNBD",
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        monetary_value: npt.ArrayLike,
        time: int = 12,
        discount_rate: float = 0.01,
        freq: str = "W",
    ) -> np.ndarray:
        """Discounted value of each customer over ``time`` months (lifetimes' formula).

        For each month k = 1..time: the purchases ``purchase_model`` (a fitted :class:`BetaGeo`
        or :class:`ParetoNBD`) expects between months k - 1 and k, times the expected spend,
        divided by ``(1 + discount_rate) ** k``. ``freq`` is the unit of recency and T (``"W"``
        weeks, ``"D"`` days, ``"M"`` months, ``"H"`` hours; a month is 4.345 weeks, 30 days,
        720 hours).
        """
        check_is_fitted(self)
        if not isinstance(purchase_model, _PurchaseModel):
            raise TypeError(f"purchase_model must be a fitted segcore BetaGeo or ParetoNBD, got {type(purchase_model).__name__}")
        check_is_fitted(purchase_model)
        return self._model.customer_lifetime_value(
            purchase_model._model, *_history(frequency, recency, T), _vector(monetary_value, "monetary_value"),
            time=_non_negative("time", time), discount_rate=float_param("discount_rate", discount_rate), freq=str(freq),
        )


# --- segment tables ----------------------------------------------------------------------------


def _frame_out(columns: Dict[str, Any], index: Any, polars: bool) -> Any:
    """A pandas DataFrame (with ``index``), or a polars one with the index as first column
    (missing figures as nulls)."""
    import pandas as pd

    if not polars:
        return pd.DataFrame(columns, index=index)
    import polars as pl

    data = {} if index is None else {index.name: index.to_list()}
    for key, value in columns.items():
        data[key] = [None if pd.isna(v) else v for v in (value.tolist() if hasattr(value, "tolist") else value)]
    return pl.DataFrame(data)


def segment_value(labels: npt.ArrayLike, clv: npt.ArrayLike, probability_alive: npt.ArrayLike, *,
                  n_segments: Optional[int] = None, lapse_threshold: float = 0.5, min_group_size: int = 10) -> Frame:
    """Value and churn risk per segment: customers, total and mean CLV, share of the base's CLV,
    mean P(alive) and customers likely to lapse (``P(alive) < lapse_threshold``).

    ``labels``, ``clv`` and ``probability_alive`` hold one value per customer (arrays, lists,
    pandas or polars Series; e.g. :meth:`GammaGamma.customer_lifetime_value` and
    :meth:`BetaGeo.probability_alive`). A segment with fewer than ``min_group_size`` customers
    shows no figure, and a lapse count that would reveal a group below that size (or its
    complement) is hidden too: hidden figures are missing values. Returns a DataFrame indexed by
    ``segment`` (polars in, polars out). :class:`segcore.Segmenter` with ``value=True`` computes
    the same table as ``segment_value_``.

    >>> import segcore
    >>> t = segcore.clv.segment_value([0, 0, 0, 1, 1, 1], [100.0, 50, 50, 10, 5, 5],
    ...                               [0.9, 0.8, 0.2, 0.3, 0.1, 0.2], min_group_size=1)
    >>> t["total_clv"].tolist(), t["n_likely_to_lapse"].tolist()
    ([200.0, 20.0], [1, 3])
    """
    polars = any(is_polars(v) for v in (labels, clv, probability_alive))
    codes, _ = as_labels(labels, segments_only=True)
    table = _segcore.segment_value(
        codes, optional_count("n_segments", n_segments, "at least 1"), _vector(clv, "clv"),
        _vector(probability_alive, "probability_alive"), lapse_threshold=float_param("lapse_threshold", lapse_threshold),
        min_group_size=_non_negative("min_group_size", min_group_size))
    return _frame_out(*value_columns(table), polars)


def value_columns(table: Dict[str, np.ndarray]) -> Tuple[Dict[str, Any], pd.Index]:
    """The core's per-segment value table as nullable pandas columns (hidden figures missing)
    and its ``segment`` index (shared with ``Segmenter.segment_value_``)."""
    import pandas as pd

    index = pd.Index(table.pop("segment"), name="segment")
    return _nullable(table, *table), index


def _nullable(table: Dict[str, Any], *keys: str) -> Dict[str, Any]:
    """``table`` with its columns ``keys`` as nullable pandas arrays: counts (``n_...``) Int64, the
    others Float64 (a figure the privacy rules hide is missing)."""
    import pandas as pd

    return {k: pd.array(v, dtype="Int64" if k.startswith("n_") else "Float64") if k in keys else v for k, v in table.items()}


class CrossSell(NamedTuple):
    """The two tables of :func:`cross_sell`."""

    penetration: Frame
    """Per segment and product category: ``n_buyers``, ``penetration`` (buyers / segment
    customers) and ``mean_spend_per_buyer`` (missing where the privacy rules hide them)."""
    suggestions: Frame
    """Per customer, up to ``top_k`` categories most of their segment buys and they do not,
    best first: ``category``, ``expected_revenue`` (peers' mean spend x P(alive)), ``rank``."""


def _per_customer(mapping: PerCustomer, name: str, customer: str, value_column: str) -> Tuple["IdValues", np.ndarray]:
    """``(ids, values)`` of ``mapping`` (a dict, a pandas Series indexed by id, or a frame with
    ``customer`` and ``value_column`` columns) for the core, which reads them by customer id."""
    import pandas as pd

    if hasattr(mapping, "columns"):
        keys, vals = values(column(mapping, customer)), values(column(mapping, value_column))
    elif isinstance(mapping, pd.Series):
        keys, vals = mapping.index.to_numpy(), mapping.to_numpy()
    elif isinstance(mapping, dict):
        keys, vals = np.asarray(list(mapping.keys())), np.asarray(list(mapping.values()), dtype=object)
    else:
        raise InvalidParameterError(f"invalid parameter `{name}`: expected a dict, a pandas Series indexed by customer "
                                    f"id, or a DataFrame with `{customer}` and `{value_column}` columns; got {type(mapping).__name__}")
    numbers = pd.array(vals, dtype="Float64")
    return ids(keys), np.ascontiguousarray(numbers.to_numpy(dtype=np.float64, na_value=np.nan))


def cross_sell(
    transactions: Table,
    segments: PerCustomer,
    *,
    probability_alive: Optional[PerCustomer] = None,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    category: str = "product_category",
    n_segments: Optional[int] = None,
    min_penetration: float = 0.5,
    top_k: int = 3,
    min_group_size: int = 10,
) -> CrossSell:
    """Cross-sell white space: per segment the penetration and spend of each product category,
    and per customer the categories most of their segment buys and they do not, ranked by the
    expected revenue (peers' mean spend in the category x the customer's P(alive)).

    ``transactions`` is the order log (pandas or polars, with ``customer``, ``date``, ``amount``
    and ``category`` columns). ``segments`` gives each customer's segment (a dict, a pandas
    Series indexed by customer id, or a DataFrame with ``customer`` and ``segment`` columns such
    as :meth:`Segmenter.predict` returns); log customers without a segment are left out.
    ``probability_alive`` in the same forms (column ``probability_alive``), default 1 (plain
    white space). A customer buys a category when their net spend in it is positive. A cell is
    published when its buyers and non-buyers pass the privacy rule under ``min_group_size``;
    suggestions come only from published cells with ``penetration >= min_penetration``.
    Returns :class:`CrossSell` (``penetration``, ``suggestions``): DataFrames, polars in, polars
    out.
    """
    tx, names, log_ids = log_input(transactions, customer, date, amount, product_category=category, core_ids=False)
    alive = None if probability_alive is None else _per_customer(
        probability_alive, "probability_alive", customer, "probability_alive")
    penetration, suggestions = _segcore.cross_sell(
        tx, names, _per_customer(segments, "segments", customer, "segment"), optional_count("n_segments", n_segments, "at least 1"),
        alive, min_penetration=float_param("min_penetration", min_penetration), top_k=_non_negative("top_k", top_k),
        min_group_size=_non_negative("min_group_size", min_group_size))
    polars = is_polars(transactions)
    penetration = _nullable(penetration, "n_buyers", "penetration", "mean_spend_per_buyer")
    codes, categories = suggestions.pop("category")
    suggestions = {customer: np.asarray(log_ids(None))[suggestions.pop("customer")],
                   "category": np.asarray(categories, dtype=object)[codes], **suggestions}
    return CrossSell(_frame_out(penetration, None, polars), _frame_out(suggestions, None, polars))


class MigrationForecast:
    """Where segments move next (:func:`migration_forecast`).

    Attributes
    ----------
    counts : pandas.DataFrame
        Pooled transitions between consecutive snapshots, rows = from, columns = to (nullable
        integers: missing where the privacy rules hide a count).
    shares : pandas.DataFrame
        ``counts`` as shares of each row (missing where the count is hidden).
    mix : pandas.DataFrame
        Expected share of customers in each segment ``h`` periods after the last snapshot, one
        row per ``h`` in ``0..horizon`` (``h = 0``: the last snapshot's mix).
    next_probabilities : pandas.DataFrame
        Each customer's probabilities of being in each segment next period (one row per customer
        of the last snapshot, indexed like the snapshots when they came as a DataFrame).
    """

    def __init__(self, counts: np.ndarray, shares: np.ndarray, mix: np.ndarray, next_probabilities: np.ndarray,
                 index: Optional["pd.Index"]) -> None:
        import pandas as pd

        k = self.n_segments = counts.shape[1]

        def axis(name: str, n: int = k) -> pd.Index:
            return pd.Index(range(n), name=name)

        self.counts = pd.DataFrame(counts, index=axis("from"), columns=axis("to")).astype("Int64")
        self.shares = pd.DataFrame(shares, index=axis("from"), columns=axis("to")).astype("Float64")
        self.mix = pd.DataFrame(mix, index=axis("h", len(mix)), columns=axis("segment"))
        self.next_probabilities = pd.DataFrame(next_probabilities, index=index, columns=axis("segment"))

    def __repr__(self) -> str:
        return f"MigrationForecast(n_segments={self.n_segments}, horizon={len(self.mix) - 1})"


def migration_forecast(snapshots: Union[Sequence[npt.ArrayLike], Frame], *, n_segments: Optional[int] = None,
                       horizon: int = 1, min_group_size: int = 10) -> MigrationForecast:
    """Transition matrix between segments, the segment mix ``horizon`` periods ahead and each
    customer's probabilities for next period, from two or more labelled snapshots of the same
    customers in the same order.

    ``snapshots`` is a list of label arrays/Series (oldest first) or a DataFrame (pandas or
    polars) whose columns are the snapshots in order. Transitions of consecutive snapshots are
    pooled into one first-order Markov matrix; published counts below ``min_group_size`` (and
    the complements that would give them away) are hidden. Returns :class:`MigrationForecast`.

    >>> import segcore
    >>> f = segcore.clv.migration_forecast([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1]],
    ...                                    min_group_size=1)
    >>> f.counts.loc[0].tolist(), f.next_probabilities.iloc[0].tolist()
    ([3, 1], [0.75, 0.25])
    """
    # The customers' index: the frame's, or the last snapshot's when it is a pandas Series.
    if hasattr(snapshots, "columns"):
        index = getattr(snapshots, "index") if is_pandas(snapshots) else None
        named = [(column(snapshots, name), f"snapshot `{name}`") for name in column_names(snapshots)]
    elif isinstance(snapshots, (list, tuple)):
        index = getattr(snapshots[-1], "index", None) if snapshots and is_pandas(snapshots[-1]) else None
        named = [(s, f"snapshot {i}") for i, s in enumerate(snapshots)]
    else:
        raise InvalidParameterError("invalid parameter `snapshots`: expected a list of label arrays or a DataFrame of "
                                    f"snapshot columns, got {type(snapshots).__name__}")
    arrays = [as_labels(labels, name, segments_only=True)[0] for labels, name in named]
    return MigrationForecast(*_segcore.migration_forecast(
        arrays, optional_count("n_segments", n_segments, "at least 1"), horizon=_non_negative("horizon", horizon),
        min_group_size=_non_negative("min_group_size", min_group_size)), index)
