"""The Segmenter: raw customer data in, named segments out, as one fitted, saved model.

``segcore.Segmenter().fit(customers, transactions)`` runs segcore's whole chain in the Rust core
(behaviour features from the transactions, a column spec inferred from the column types or
given, the feature pipeline, optional PCA, k-means / Ward / Gaussian mixture with k fixed or
chosen by :func:`segcore.select_k`, and a profile with speaking names). The fitted model is the
core's ``segcore::segmenter::Segmenter``: saved as one versioned JSON document that a Rust service
loads with identical assignments, and pickled through that same document.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np

from . import _segcore
from ._base import BaseEstimator, ClusterMixin, CoreModelMixin, check_is_fitted, seed_from, store_params
from ._frames import (
    TRANSACTION_COLUMNS,
    CustomerFrame,
    column,
    column_names,
    day,
    floats,
    log_input,
)
from ._progress import progress_callback
from ._typing import DateLike, Frame, KRange, Progress, RandomState, Table
from .exceptions import DataError, InvalidParameterError

if TYPE_CHECKING:
    import pandas as pd

    from .explain import Explanation
    from .profile import Profile

__all__ = ["Segmenter", "SegmenterSpec", "SegmenterSummary"]

#: The parameters only the Python face reads (not in the core's form).
_PYTHON_ONLY = ("customer_id", "transaction_columns", "progress")

#: A transaction log as the binding takes it: (the columns, their names).
LogInput = Tuple[tuple, tuple]


class SegmenterSpec:
    """The column spec of a fitted :class:`Segmenter`, readable (``print(spec)``) and reusable:
    pass it (or its :meth:`to_dict`, edited) back as ``Segmenter(spec=...)``."""

    def __init__(self, document: str, text: str) -> None:
        self._document = document
        self._text = text

    @property
    def columns(self) -> List[Dict[str, Any]]:
        """One dict per input column: encoding, imputation, log1p, scaling, group..."""
        return list(self.to_dict()["columns"])

    def to_dict(self) -> Dict[str, Any]:
        """The spec as the core's JSON structure (a fresh dict; edit and pass it back)."""
        return json.loads(self._document)

    def to_json(self) -> str:
        """The spec as JSON."""
        return self._document

    def __str__(self) -> str:
        return self._text

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self._text)}</pre>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SegmenterSpec) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self._document)


class SegmenterSummary(str):
    """The model in words (what :meth:`Segmenter.summary` returns): a ``str``, so it prints,
    compares and searches as text, that also displays as a block in Jupyter (``_repr_html_``)
    and as itself, not as a quoted string with ``\\n``, at the prompt (``__repr__``)."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f"<pre class='segcore-summary'>{html.escape(str(self))}</pre>"


def _split_args(method: str, args: tuple, transactions: Optional[Table]) -> Optional[Table]:
    """``transactions`` given positionally or by name; a positional ``y`` (None or labels, as
    scikit-learn's Pipeline and GridSearchCV pass it) is accepted and ignored."""
    if len(args) > 2:
        raise TypeError(f"{method}() takes customers, transactions and y, got {1 + len(args)} positional arguments")
    for value in args:
        if value is not None and (hasattr(value, "columns") or isinstance(value, Mapping)):
            if transactions is not None:
                raise TypeError(f"{method}() got transactions twice (positionally and by name)")
            transactions = value
    return transactions


class Segmenter(ClusterMixin, BaseEstimator):
    """Customer segmentation in one step: raw customers (and transactions) in, named segments out.

    ``Segmenter().fit(customers, transactions)`` adds behaviour features computed from the
    transactions (recency, frequency, monetary, margin, order value, tenure, product categories,
    channel mix...) to the customer table, infers a column spec from the column types (log1p for
    skewed money and counts, median imputation, scaling, one-hot with rare categories grouped and
    firmographics weighted so they do not outweigh behaviour; ``print(model.spec_)`` shows it),
    optionally reduces with PCA, clusters, and names the segments from their profile.

    Parameters
    ----------
    n_clusters : int or None
        Number of segments; None (default) chooses it with :func:`segcore.select_k` among
        ``k_range`` (the evidence is in ``selection_`` and ``select_k_``).
    algorithm : {"kmeans", "ward", "gmm", "kprototypes", "latent_class"}
        k-means, Ward (new customers go to the nearest segment centroid) or a Gaussian mixture
        (``covariance_type``; predictions also give each segment's probability) on the scaled
        numeric and one-hot features; or k-prototypes / a latent class model, which take the
        categorical columns natively (one category code per column, not one-hot; numeric columns
        through the usual transforms; latent class cuts them at their quintiles and gives
        probabilities). For these two, k is chosen by the mixed-distance silhouette
        (k-prototypes) or the lowest BIC (latent class), PCA is refused, and a category never
        seen at fit matches no segment (k-prototypes) or is a missing answer (latent class).
    covariance_type : {"full", "tied", "diag", "spherical"}
        Covariance of the Gaussian mixture (``algorithm="gmm"`` only).
    n_components : int, float or None
        Optional PCA before clustering: an int keeps that many components, a float in (0, 1]
        the fewest explaining more than that share of the variance; None: no PCA.
    spec : SegmenterSpec, dict, JSON str or None
        The column spec; None infers it from the column types.
    k_range : (int, int) or range
        Smallest and largest k considered when ``n_clusters`` is None (inclusive; a ``range``
        is read as Python ranges are: ``range(4, 9)`` is 4..8).
    language : {"en", "de"}
        Language of the segment names and reports.
    min_group_size : int
        Profile figures about fewer customers are suppressed.
    revenue, margin : str or None
        Columns of the profile's value figures; None: ``monetary`` / ``margin`` when present.
    as_of : date-like or None
        Date of the behaviour features (at fit and predict); None: the day after the last
        transaction of the log given to each call.
    n_init : int or None
        Restarts of k-means / mixtures in the final fit and in each fit of the choice of k
        (None: the core's default, 4). Above 20,000 customers k is chosen on a random sample of
        20,000 and the final k-means fit starts once from the sample's segment means.
    random_state : int
        Seed of every random choice: same data and seed give the same model, on any machine.
    customer_id : str
        The column identifying customers in both frames (the customers' index is used when it
        has this name; without transactions, rows are numbered when there is no such column).
    transaction_columns : dict or None
        Columns of the log by role: ``customer``, ``date``, ``amount`` (required),
        ``quantity`` and ``unit_price`` (amount = quantity x unit price when there is no
        amount column), ``margin``, ``product_category``, ``channel`` (used when present; None
        turns one off). Roles not given are the default names (``customer_id``, ``date``,
        ``amount``, ...) when present, else recognised from English and German export headers
        (``CustomerID``/``Kundennummer``, ``InvoiceDate``/``Datum``, ``Amount``/``Umsatz``,
        ``Quantity``/``Menge``, ``UnitPrice``/``Einzelpreis``...).
    labels : dict or None
        Your labels of your columns (``{"AcceptedCmp5": "accepted campaign 5"}``), used by the
        segment names and descriptions; built-in features have labels of their own
        (:func:`segcore.feature_label`).
    progress : bool, callable or None
        ``True`` shows a progress bar (tqdm when installed), ``False`` hides it, a callable
        receives ``(stage, fraction_done)``; None shows it in interactive sessions for large
        customer bases.
    value : None, bool or dict
        Churn risk and value (needs transactions). ``True`` or a dict turns it on: the fit
        summarises the log (:func:`segcore.clv_summary`), fits BG/NBD and Gamma-Gamma on it and
        adds per customer ``probability_alive``, ``expected_purchases`` (over ``horizon``
        periods) and ``clv`` (lifetimes' discounted value over ``months`` months); the models
        are saved with the Segmenter, so ``predict`` recomputes the columns for new customers.
        Dict keys (all optional): ``features`` (the value columns the clustering reads, default
        all three; ``[]``: profile and names only), ``freq`` (``"D"``, ``"W"`` (default),
        ``"M"``), ``horizon`` (52), ``months`` (12), ``discount_rate`` (0.01 a month),
        ``lapse_threshold`` (0.5: customers with P(alive) below it are likely to lapse, a
        segment whose mean P(alive) is below it is "at risk"), ``penalizer_coef`` (0),
        ``names`` (``"qualify"``: "Volume customers: high value, at risk"; ``"replace"``:
        "High value, at risk"; ``"keep"``). The profile also gets a ``lifecycle_stage`` column by
        churn risk instead of day thresholds: new (first purchase within ``new_periods``, 13),
        then active (P(alive) >= ``active_alive``, 0.75), at risk (>= ``lapse_threshold``),
        lapsed (>= ``lapsed_alive``, 0.25), churned; prospect without a purchase. The
        per-segment table is ``segment_value_``.

    Attributes
    ----------
    labels_ : ndarray of int
        Training segment of every customer.
    n_clusters_ : int
    segment_names_ : list of str
        Speaking name of every segment (unique), by label.
    feature_names_in_ : ndarray of str
        Input columns the model reads (customer columns and behaviour features).
    spec_ : SegmenterSpec
    selection_ : pandas.DataFrame or None
        The criteria of :func:`segcore.select_k` per k (when k was chosen); ``attrs`` hold
        ``recommended_k`` and ``reason``. ``select_k_`` is the full :class:`SelectKResult`.
        For k-prototypes and latent class: columns ``k``, ``silhouette`` or ``bic``, ``cost``;
        ``attrs`` hold ``recommended_k`` and ``criterion`` (``select_k_`` is None).
    cluster_centers_ : ndarray
        Segment centres in the model space (see :meth:`transform`).
    phase_times_ : dict
        Wall time in seconds of each phase of the fit, in order: ``behaviour`` (features from
        the log), ``features`` (the column spec and its pipeline), ``reduction``, ``select_k``,
        ``cluster`` (the final fit), ``profile`` (profile and names); empty for a loaded model.
        Above 20,000 customers k is chosen on a random sample of 20,000 (``select_k_.sample``)
        and the chosen k fitted once on every customer.
    extreme_customers_ : pandas.DataFrame
        Customers beyond 8 robust standard deviations on a feature (at most 1 % of them), set
        aside for the choice of k and the clustering and then assigned to their nearest segment:
        ``customer``, ``feature`` (model space), ``robust_sds``, ``segment``. Empty when none.
    segment_value_ : pandas.DataFrame or None
        With ``value``: per segment ``name``, ``n_customers``, ``total_clv``, ``mean_clv``,
        ``share_of_total_clv``, ``mean_probability_alive`` and ``n_likely_to_lapse`` (missing
        where the privacy rules hide a figure: segments below ``min_group_size``, lapse counts
        that would reveal a small group); ``attrs`` hold the BG/NBD and Gamma-Gamma parameters
        and the customers with and without a purchase history.

    Examples
    --------
    >>> import segcore
    >>> customers, transactions, truth = segcore.datasets.make_b2b(300, random_state=0)
    >>> model = segcore.Segmenter(n_clusters=5, progress=False).fit(customers, transactions)
    >>> model.n_clusters_
    5
    >>> assigned = model.predict(customers, transactions)
    >>> list(assigned.columns)
    ['customer_id', 'segment', 'name', 'reason', 'extreme']
    >>> bool((assigned["segment"].to_numpy() == model.labels_).all())
    True
    """

    def __init__(
        self,
        n_clusters: Optional[int] = None,
        *,
        algorithm: str = "kmeans",
        covariance_type: str = "full",
        n_components: Union[int, float, None] = None,
        spec: Union["SegmenterSpec", Mapping[str, object], str, None] = None,
        k_range: KRange = (4, 8),
        language: str = "en",
        min_group_size: int = 10,
        revenue: Optional[str] = None,
        margin: Optional[str] = None,
        as_of: Optional[DateLike] = None,
        n_init: Optional[int] = None,
        random_state: RandomState = 0,
        customer_id: str = TRANSACTION_COLUMNS["customer"],
        transaction_columns: Optional[Mapping[str, str]] = None,
        progress: Progress = None,
        value: Union[None, bool, Mapping[str, object]] = None,
        labels: Optional[Mapping[str, str]] = None,
    ) -> None:
        store_params(self, locals())

    # --- parameters -------------------------------------------------------------------------

    def _core_params(self) -> str:
        """The parameters as JSON in the core's form of these keyword arguments
        (``segcore::segmenter::form``), which reads and checks each and names it in its errors."""
        params = {k: v for k, v in self.get_params(deep=False).items() if k not in _PYTHON_ONLY}
        k_range = self.k_range
        if isinstance(k_range, range):
            if k_range.step != 1 or len(k_range) == 0:
                raise InvalidParameterError(
                    f"invalid parameter `k_range` = {k_range!r}: expected consecutive k such as range(4, 9)"
                )
            params["k_range"] = (k_range.start, k_range.stop - 1)
        params.update(
            spec=self.spec.to_dict() if isinstance(self.spec, SegmenterSpec) else self.spec,
            as_of=None if self.as_of is None else day(self.as_of, "as_of"),
            random_state=seed_from(self.random_state),
        )
        # numpy scalars as their values, mappings as dicts, anything else as its repr (for the error).
        return json.dumps(params, default=lambda v: v.item() if isinstance(v, np.generic) else
                          dict(v) if isinstance(v, Mapping) else repr(v))

    # --- fit / predict ----------------------------------------------------------------------

    def _inputs(self, customers: Table, transactions: Optional[Table]) -> Tuple[CustomerFrame, Optional[LogInput]]:
        tx, customer_id = (None, str(self.customer_id)) if transactions is None else self._log(transactions)
        return CustomerFrame(customers, customer_id, need_ids=transactions is not None), tx

    def _apply(self, method: str, customers: Table, args: tuple, transactions: Optional[Table],
               *extra: object) -> Tuple[CustomerFrame, Any]:
        """``(customers' frame, the fitted model's method on them and their log)`` for the public
        method called with ``(customers, *args, transactions=...)``."""
        transactions = _split_args(method, args, transactions)
        check_is_fitted(self)
        frame, tx = self._inputs(customers, transactions)
        return frame, getattr(self._model, method)(frame.ids, frame.columns, tx, *extra)

    def _log(self, transactions: Table) -> Tuple[LogInput, str]:
        """The log as the binding takes it (factorized ids, dates, amounts...; quantity and unit
        price, multiplied by the core, when the log has no amount column), and the customers' id
        column that matches it (``customer_id``, else the log's customer column). The columns by
        role are the core's reading of ``transaction_columns`` and the log's header names."""
        customer_id, names = str(self.customer_id), column_names(transactions)
        roles = _segcore.transaction_roles(names, self.transaction_columns, customer_id)
        if isinstance(transactions, np.ndarray) or getattr(transactions, "ndim", 2) == 1:
            raise TypeError(
                "transactions must be a DataFrame of order lines (customer, date, amount...); "
                "in a scikit-learn Pipeline pass it as fit parameter `<step>__transactions`"
            )
        customer, date = roles["customer"], roles["date"]
        if customer is None or date is None:
            raise InvalidParameterError("transaction_columns: the customer and date columns cannot be None")
        price = roles["unit_price"] if roles["amount"] is None else None
        tx, tx_names, _ = log_input(
            transactions, customer, date, roles["amount"] if price is None else str(roles["quantity"]),
            roles["margin"], roles["product_category"], roles["channel"], core_ids=False,  # fit(None, log) counts its ids
        )
        if price is not None:  # the core multiplies quantity by unit price
            tx = (*tx[:2], (tx[2], floats(column(transactions, price), price)), *tx[3:])
        return (tx, tx_names), customer_id if customer_id in names else customer

    def fit(self, customers: Optional[Table], *args: object, transactions: Optional[Table] = None, y: object = None) -> "Segmenter":
        """Fit the whole chain on ``customers`` (one row per customer, pandas or polars) and,
        when given, their ``transactions`` (order lines; returns as negative amounts), given as
        the second argument or by name (in a Pipeline: ``fit(X, <step>__transactions=log)``).
        Without a customer table, ``fit(None, transactions)`` derives it from the log (one row
        per customer, behaviour features only); a log passed as ``customers`` is refused with
        a message saying so.
        ``y`` is ignored (segmentation is unsupervised)."""
        transactions = _split_args("fit", args, transactions)
        params = self._core_params()
        tx: Optional[LogInput]
        if customers is None:
            # A shop without a customer master: the core derives the customer table from the log
            # (one row per customer, behaviour features only).
            if transactions is None:
                raise DataError(
                    "fit() needs customers, transactions or both: pass the transaction log as "
                    "fit(None, transactions) when there is no customer table"
                )
            tx = self._log(transactions)[0]
            ids, columns, n_rows = None, [], len(tx[0][0][1])
        else:
            frame, tx = self._inputs(customers, transactions)
            ids, columns, n_rows = frame.ids, frame.columns, frame.n_rows
        report, close = progress_callback(self.progress, "Segmenter", n_rows, stages=True)
        try:
            model = _segcore.SegmenterModel.fit(params, ids, columns, tx, report)
        finally:
            close()
        self._set_fitted(model)
        CoreModelMixin._warn(model)
        return self

    def _set_fitted(self, model: _segcore.SegmenterModel) -> None:
        self._model = model
        self.__dict__.update(model.fitted_attributes)  # labels_, n_clusters_, segment_names_...
        self.spec_ = SegmenterSpec(model.spec_json, model.spec_text)
        import pandas as pd

        from .select import SelectKResult

        k_choice, selection = model.k_choice, model.selection
        self.select_k_ = SelectKResult(selection) if selection is not None and k_choice is None else None
        self.selection_ = None
        if k_choice is not None:
            criterion, recommended, ks, criterion_values, costs = k_choice
            self.selection_ = pd.DataFrame({"k": ks, criterion: criterion_values, "cost": costs})
            self.selection_.attrs.update(recommended_k=recommended, criterion=criterion)
        elif self.select_k_ is not None:
            self.selection_ = self.select_k_.table.copy()
            self.selection_.attrs.update(recommended_k=self.select_k_.recommended_k, reason=self.select_k_.reason,
                                         votes=dict(self.select_k_.votes))
        # Text columns as objects, so an empty table keeps its dtypes.
        self.extreme_customers_ = pd.DataFrame(
            {key: pd.array(v, dtype=object) if isinstance(v, list) else v for key, v in model.extreme_customers.items()}
        )
        # segment_value_: the core's value table (hidden figures as missing values).
        value, self.segment_value_ = model.value_table(), None
        if value is not None:
            from .clv import value_columns

            columns, index = value_columns(value[0])
            self.segment_value_ = pd.DataFrame({"name": [self.segment_names_[s] for s in index], **columns}, index=index)
            self.segment_value_.attrs.update(value[1])

    def predict(self, customers: Table, *args: object, transactions: Optional[Table] = None,
                as_of: Optional[DateLike] = None) -> Frame:
        """Segment of every customer: a DataFrame with one row per row of ``customers``, indexed
        like it (polars in, polars out), with the customer id column (when there is one),
        ``segment`` (nullable int), ``name``, one probability column per segment name and
        ``uncertainty`` (``1 - max probability``, NaN where unassigned) for Gaussian mixtures,
        ``reason`` (why a row could not be assigned, else None) and ``extreme`` (for a customer
        beyond the extreme rule of fit, which feature and how far, as in ``extreme_customers_``;
        else None; such a customer still gets its nearest segment). A mixture's profile also
        counts the customers with an uncertain segment (``profile().membership``).

        Behaviour features are recomputed from ``transactions`` (log lines of customers not in
        ``customers`` are ignored, so a full log can score a few customers); without a log the
        customer frame must hold the behaviour columns the model reads (``feature_names_in_``).
        They are measured at ``as_of`` when given, else at the ``as_of`` the model was fitted
        with, else on the day after the log's last line (scoring a log in pieces, as
        :func:`segcore.dask.predict` does, passes the date of the whole log).
        """
        day_of = None if as_of is None else day(as_of, "as_of")
        frame, assigned = self._apply("predict", customers, args, transactions, day_of)
        return self._frame(frame, *assigned)

    def customer_value(self, customers: Table, *args: object, transactions: Optional[Table] = None) -> Frame:
        """P(alive), expected purchases and CLV of every customer row, from the value models
        saved with the Segmenter (``value`` must have been set) measured on ``transactions``
        (as-of date as in :meth:`predict`): a DataFrame indexed like ``customers`` (polars in,
        polars out) with the customer id, ``probability_alive``, ``expected_purchases`` and
        ``clv`` (NaN for customers without a purchase)."""
        frame, (alive, purchases, clv) = self._apply("customer_value", customers, args, transactions)
        return frame.output({"probability_alive": alive, "expected_purchases": purchases, "clv": clv})

    def fit_predict(self, customers: Table, *args: object, transactions: Optional[Table] = None, y: object = None) -> Frame:
        """``fit(customers, transactions).predict(customers, transactions)``: the assignment
        DataFrame of the training customers (``labels_`` holds the training labels; for Ward
        those are the tree's cut, while predictions go to the nearest segment centroid)."""
        transactions = _split_args("fit_predict", args, transactions)
        return self.fit(customers, transactions=transactions).predict(customers, transactions=transactions)

    def _frame(self, frame: CustomerFrame, segments: np.ndarray, names: List[Optional[str]],
               probabilities: Optional[np.ndarray], uncertainty: Optional[np.ndarray],
               reasons: List[Optional[str]], extremes: List[Optional[str]]) -> Frame:
        assigned = segments >= 0
        if frame.polars:
            import polars as pl

            def text(name: str, values: List[Optional[str]]) -> object:
                return pl.Series(name, values, dtype=pl.Utf8)

            segment: object = pl.Series("segment", segments, dtype=pl.Int64).scatter(np.flatnonzero(~assigned), None)
        else:
            import pandas as pd

            def text(name: str, values: List[Optional[str]]) -> object:
                return values

            segment = pd.arrays.IntegerArray(np.where(assigned, segments, 0).astype(np.int64), ~assigned)
        columns = {"segment": segment, "name": text("name", names)}
        if probabilities is not None:
            reserved = ("segment", "name", "reason", "extreme", frame.id_column)
            for j, segment_name in enumerate(self.segment_names_):
                columns[f"p_{segment_name}" if segment_name in reserved else segment_name] = probabilities[:, j]
        if uncertainty is not None:
            columns["uncertainty"] = uncertainty
        columns.update(reason=text("reason", reasons), extreme=text("extreme", extremes))
        return frame.output(columns)

    def predict_record(self, record: Mapping[str, object]) -> Dict[str, object]:
        """Segment of one customer given as a dict of the model's input columns
        (``feature_names_in_``: numbers or None for numeric columns, strings or None for
        categories; behaviour features included) — what a service receives. Returns
        ``{"segment", "name", "probabilities", "reason"}`` (plus ``"uncertainty"`` for mixtures
        and ``"extreme"`` for a customer beyond the extreme rule of fit) exactly as the Rust
        service does."""
        check_is_fitted(self)
        if not isinstance(record, Mapping):
            raise TypeError(f"record must be a dict of columns, got {type(record).__name__}")
        return dict(self._model.predict_record(dict(record)))

    def transform(self, customers: Table, *args: object, transactions: Optional[Table] = None) -> np.ndarray:
        """The model-space features of every customer (columns ``get_feature_names_out()``;
        NaN rows for customers that cannot be assigned): what the clustering saw."""
        return self._apply("transform", customers, args, transactions)[1]

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the model-space features (pipeline outputs, or ``pc1``... after PCA)."""
        check_is_fitted(self)
        return np.asarray(self._model.feature_names_out, dtype=object)

    def score(self, customers: Table, *args: object, transactions: Optional[Table] = None, y: object = None) -> float:
        """Mean silhouette of the assigned customers in the model space (higher is better, in
        [-1, 1]; on a seeded sample of 10,000 rows for larger bases).

        This is what ``GridSearchCV`` maximises without ``scoring=``: it compares k and
        algorithms for one spec and reduction; scores of different specs or PCA settings are
        measured in different spaces and are not comparable.
        """
        return float(self._apply("score", customers, args, transactions)[1])

    # --- reading the model ------------------------------------------------------------------

    def summary(self) -> SegmenterSummary:
        """The model in words, as the Rust examples print it: the column spec, the model
        features, k with the evidence for it, and the named segments (a ``str`` that displays
        as a text block in Jupyter)."""
        check_is_fitted(self)
        return SegmenterSummary(self._model.summary)

    def report_html(
        self,
        *,
        title: Optional[str] = None,
        source: Optional[str] = None,
        currency: Optional[str] = None,
        date_range: Optional[Tuple[DateLike, DateLike]] = None,
        transactions: Optional[Table] = None,
        units: Optional[Mapping[str, str]] = None,
        labels: Optional[Mapping[str, str]] = None,
    ) -> str:
        """The segmentation report as one self-contained HTML page (no script, no network
        resource; prints on A4): the data's source, period and currency, the segments' shares of
        customers, revenue and margin side by side, a heatmap of what sets each segment apart
        explained in words, the evidence for k and the Lorenz curve of revenue.

        ``date_range`` is ``(first, last)`` (date-likes); without it, the first and last day of
        ``transactions`` when given. ``units`` and ``labels`` map column names to their unit
        (e.g. ``{"recency_days": "days"}``) and to the words a reader sees.
        """
        check_is_fitted(self)
        days = None
        if date_range is not None:
            if not isinstance(date_range, (tuple, list)) or len(date_range) != 2:
                raise InvalidParameterError(
                    f"invalid parameter `date_range` = {date_range!r}: expected (first, last) dates"
                )
            days = (day(date_range[0], "date_range"), day(date_range[1], "date_range"))
        tx = self._log(transactions)[0] if transactions is not None and days is None else None
        return str(self._model.report_html(title, source, currency, units, labels, date_range=days, tx=tx))

    def save_report(self, path: Union[str, "os.PathLike[str]"], **options: Any) -> Path:
        """Write :meth:`report_html` (same keyword arguments) to ``path`` as UTF-8 and return
        the path. Open it in a browser, or print it to PDF (A4)."""
        target = Path(path)
        target.write_text(self.report_html(**options), encoding="utf-8")
        return target

    def profile(self) -> "Profile":
        """The profile of the training segmentation (:class:`segcore.Profile`: ``segments``,
        ``numeric``, ``categorical``, ``to_html()``, ``to_markdown()``)."""
        from .profile import Profile

        check_is_fitted(self)
        report = _segcore.ProfileReport.from_json(self._model.profile_json)
        return Profile(report, np.arange(self.n_clusters_))

    def explain(self, customer: Union[str, int, Table, "pd.Series", Mapping[str, object]],
                customers: Optional[Table] = None, transactions: Optional[Table] = None) -> "Explanation":
        """Why a customer is in its segment (:class:`segcore.Explanation`: distances to every
        segment centre and the model features pulling it in, in the model space).

        ``customer`` is a customer id found in ``customers`` (with ``transactions`` when the model
        uses behaviour features), or the customer itself: a one-row DataFrame, a pandas Series
        or a dict of the model's input columns (behaviour columns included).
        """
        from .explain import Explanation

        check_is_fitted(self)
        if customers is None:
            import pandas as pd

            if isinstance(customer, (Mapping, pd.Series)):
                row = pd.DataFrame([dict(customer)])
            elif hasattr(customer, "columns"):
                row = customer
            else:
                raise InvalidParameterError(
                    f"invalid parameter `customer` = {customer!r}: an id needs `customers` (the frame "
                    "holding that customer); or pass the customer's row (DataFrame, Series or dict)"
                )
            frame = CustomerFrame(row, str(self.customer_id), need_ids=False)
            if frame.n_rows != 1:
                raise DataError(f"expected one customer row, got {frame.n_rows}")
            return Explanation(self._model.explain(frame.ids, frame.columns, None, 0))
        frame, tx = self._inputs(customers, transactions)
        key = str(customer)
        try:
            row = frame.ids.index(key)
        except ValueError:
            raise InvalidParameterError(
                f"invalid parameter `customer` = {customer!r}: expected a customer id of `{self.customer_id}` in customers"
            ) from None
        return Explanation(self._model.explain(frame.ids, frame.columns, tx, row))

    def rename_segment(self, segment: Union[int, str], name: str) -> "Segmenter":
        """Give a segment (its label or current name) a new name; names stay unique. The
        renamed model saves, pickles and predicts with the new name."""
        check_is_fitted(self)
        self._set_fitted(self._model.renamed(segment, str(name)))
        return self

    # --- persistence ------------------------------------------------------------------------

    def to_json(self) -> str:
        """The fitted model as segcore's versioned document (``docs/segmenter-model.md``): what
        a Rust service loads with ``segcore::persist::from_json`` / ``load``."""
        check_is_fitted(self)
        return self._model.to_json()

    @classmethod
    def from_json(cls, document: Union[str, bytes], **params: object) -> "Segmenter":
        """A fitted Segmenter from a document written by :meth:`to_json`, :meth:`save` or Rust
        (validated: a malformed, truncated or inconsistent document raises
        ``ModelFormatError``). ``params`` set the Python-side parameters the document does not
        hold (``customer_id``, ``transaction_columns``, ``progress``)."""
        if isinstance(document, bytes):
            document = document.decode("utf-8")
        if not isinstance(document, str):
            raise TypeError(f"document must be a JSON string, got {type(document).__name__}")
        model = _segcore.SegmenterModel.from_json(document)
        # The core writes the parameters in the form of the constructor's keyword arguments.
        constructor: Dict[str, Any] = json.loads(model.params_form)
        constructor["k_range"] = tuple(constructor["k_range"])
        if constructor.pop("spec", None) is not None:
            constructor["spec"] = SegmenterSpec(model.spec_json, model.spec_text)
        estimator = cls(**{**constructor, **params})
        estimator._set_fitted(model)
        return estimator

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write :meth:`to_json` to ``path`` (UTF-8)."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"], **params: object) -> "Segmenter":
        """Read a model saved by :meth:`save` (or by Rust's ``segcore::persist::save``); loading
        validates the document and never executes code."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"), **params)

    def __getstate__(self) -> Dict[str, Any]:
        # The fitted state travels as the core's document only (never pickled Rust memory).
        model = getattr(self, "_model", None)
        return {
            "params": self.get_params(deep=False),
            "document": None if model is None else model.to_json(),
        }

    def __setstate__(self, state: Dict[str, Any]) -> None:
        for key, value in state["params"].items():
            setattr(self, key, value)
        if state.get("document") is not None:
            self._set_fitted(_segcore.SegmenterModel.from_json(state["document"]))

    # --- display ----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: object) -> Dict[str, str]:
        # Jupyter asks for the bundle first (scikit-learn defines one): give ours.
        return {"text/plain": repr(self), "text/html": self._repr_html_()}

    def _repr_html_(self) -> str:
        if getattr(self, "_model", None) is None:
            return f"<pre>{html.escape(repr(self))} (not fitted)</pre>"
        return str(self._model.repr_html)
