"""Segment profiles: who is in each segment and how it differs from the whole base."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, Hashable, Iterable, List, Mapping, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from . import _segcore
from ._base import count_param, float_param
from ._frames import (
    as_float_matrix,
    as_labels,
    feature_names_of,
    floats,
    label_codes,
    label_list,
    shared_labels,
    table_columns,
)
from ._typing import Table
from .exceptions import DataError, InvalidParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Migration",
    "Profile",
    "SegmentProfile",
    "migration",
    "profile",
    "profile_segments",
    "pseudonymise",
    "segment_rules",
]


class SegmentProfile:
    """Size, share and per-feature means of each segment against the overall mean.

    ``str(profile)`` is a readable table (each mean followed by its index against the overall
    mean, 100 = average); :meth:`to_frame` gives a pandas DataFrame; :attr:`data` the raw dict.
    """

    def __init__(self, document: str, text: str) -> None:
        self.data: Dict[str, Any] = json.loads(document)
        self._text = text

    @property
    def feature_names(self) -> list:
        """Profiled feature names."""
        return list(self.data["feature_names"])

    @property
    def sizes(self) -> np.ndarray:
        """Customers per segment."""
        return np.asarray([s["size"] for s in self.data["segments"]])

    @property
    def means(self) -> np.ndarray:
        """Segment x feature matrix of means (NaN where a segment has no values)."""
        return np.asarray([s["mean"] for s in self.data["segments"]], dtype=float)

    @property
    def overall_mean(self) -> np.ndarray:
        """Per-feature mean over all customers."""
        return np.asarray(self.data["overall_mean"], dtype=float)

    def to_frame(self) -> pd.DataFrame:
        """One row per segment: size, share, then the mean of each feature (needs pandas)."""
        import pandas as pd

        frame = pd.DataFrame(self.means, columns=self.feature_names)
        frame.insert(0, "share", [s["share"] for s in self.data["segments"]])
        frame.insert(0, "size", self.sizes)
        frame.index.name = "segment"
        return frame

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"SegmentProfile(n_segments={len(self.data['segments'])}, n_customers={self.data['n_customers']})\n{self._text}"


def profile_segments(
    X: Union[npt.ArrayLike, Table],
    labels: npt.ArrayLike,
    feature_names: Optional[Sequence[str]] = None,
    n_segments: Optional[int] = None,
) -> SegmentProfile:
    """Profile the columns of ``X`` (NaN = missing) by segment ``labels``.

    ``X`` may hold columns that were not clustering inputs (revenue, margin in euros). Names come
    from ``feature_names``, else from DataFrame columns, else ``x0, x1, ...``.
    """
    names = feature_names if feature_names is not None else feature_names_of(X)
    document, text = _segcore.profile_segments(
        as_float_matrix(X, dtype=np.float64), None if names is None else [str(n) for n in names],
        np.asarray(labels, dtype=np.int64).ravel(), None if n_segments is None else int(n_segments))
    return SegmentProfile(document, text)


# --- The full profile (issue 8) -------------------------------------------------------------


def _table_frame(table: Dict[str, Any], label_values: np.ndarray, labelled: Sequence[str] = ("segment",),
                 index: Optional[str] = None) -> pd.DataFrame:
    """A DataFrame of one of the core's column tables, segment codes shown as the user's labels."""
    import pandas as pd

    for key in labelled:
        table[key] = label_list(label_values, table[key])
    frame = pd.DataFrame(table)
    return frame.set_index(index) if index is not None else frame


def _value_column(value: Union[str, npt.ArrayLike, None], name: str) -> Union[str, np.ndarray, None]:
    """A revenue/margin argument for the core: a column's name, or one value per customer (which
    the binding adds to the table as a column)."""
    return value if value is None or isinstance(value, str) else floats(value, name)


class Profile:
    """Profile of a segmentation (see :func:`profile`): pandas views of the core's figures.

    Suppressed figures (groups below ``min_group_size``) are missing (NaN / None), never numbers.
    """

    def __init__(self, report: _segcore.ProfileReport, label_values: np.ndarray) -> None:
        self._report = report
        self._label_values = np.asarray(label_values)

    @property
    def data(self) -> Dict[str, Any]:
        """The whole profile as the dict of its JSON document (:meth:`to_json`)."""
        return dict(json.loads(self._report.to_json()))

    def _frame(self, table: Dict[str, Any], index: Optional[str] = None) -> pd.DataFrame:
        return _table_frame(table, self._label_values, index=index)

    @property
    def warnings(self) -> List[str]:
        """Suppressed segments and fairness warnings."""
        return list(self._report.warnings)

    @property
    def names(self) -> Dict[Hashable, str]:
        """Speaking name of every segment."""
        table = self._report.segments_table()
        return dict(zip(label_list(self._label_values, table["segment"]), table["name"]))

    @property
    def segments(self) -> pd.DataFrame:
        """One row per segment: name, description, size, share, value figures (pandas)."""
        return self._frame(self._report.segments_table(), "segment")

    @property
    def membership(self) -> Optional[pd.DataFrame]:
        """Soft membership (mixture segmentations; None otherwise): one row per segment with
        ``mean_uncertainty`` and ``n_uncertain`` (customers whose ``1 - max probability``
        exceeds ``attrs["threshold"]``); suppressed figures are missing."""
        membership = self._report.membership_table()
        if membership is None:
            return None
        table, threshold, n_uncertain, mean_uncertainty = membership
        frame = self._frame(table, "segment")
        frame.attrs.update(threshold=threshold, n_uncertain=n_uncertain, mean_uncertainty=mean_uncertainty)
        return frame

    @property
    def numeric(self) -> pd.DataFrame:
        """Long table, one row per (segment, numeric column): count, mean, std, quartiles,
        effect size and the base mean and median."""
        return self._frame(self._report.numeric_table())

    @property
    def categorical(self) -> pd.DataFrame:
        """Long table, one row per (segment, column, category): count, share, lift, base share."""
        return self._frame(self._report.categorical_table())

    @property
    def fairness(self) -> pd.DataFrame:
        """One row per (sensitive column, segment): divergence from the base in bits, Cramér's V."""
        return self._frame(self._report.fairness_table())

    @property
    def behaviour(self) -> pd.DataFrame:
        """Behaviour mix: one row per (behaviour column, segment, category) for the RFM segment
        and lifecycle stage columns found in the data (``rfm_segment``, the ``segment`` column of
        :func:`segcore.rfm`, ``lifecycle_stage``): kind, share, base share and lift. Empty when
        there is no such column."""
        return self._frame(self._report.behaviour_table())

    def effect_sizes(self) -> pd.DataFrame:
        """Segments x numeric columns matrix of effect sizes (the heatmap's data)."""
        frame = self.numeric
        return frame.pivot_table(index="name", columns="column", values="effect_size", sort=False, dropna=False)

    def to_json(self) -> str:
        """The whole profile as JSON (suppressed figures are null)."""
        return self._report.to_json()

    def to_markdown(self) -> str:
        """A Markdown report."""
        return self._report.to_markdown()

    def to_html(self) -> str:
        """A self-contained HTML report (inline SVG charts, no scripts, no network resources)."""
        return self._report.to_html()

    def _repr_html_(self) -> str:
        return str(self.segments._repr_html_())

    def __repr__(self) -> str:
        names = ", ".join(self._report.segments_table()["name"])
        return f"Profile(n_customers={self._report.n_customers}, segments=[{names}])"

    def __getstate__(self) -> Dict[str, object]:
        return {"document": self.to_json(), "label_values": self._label_values.tolist()}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        Profile.__init__(
            self, _segcore.ProfileReport.from_json(state["document"]), np.asarray(state["label_values"], dtype=object)
        )


def profile(
    data: Table,
    labels: npt.ArrayLike,
    revenue: Union[str, npt.ArrayLike, None] = None,
    margin: Union[str, npt.ArrayLike, None] = None,
    sensitive: Union[str, Sequence[str], None] = None,
    min_group_size: int = 10,
    lang: str = "en",
    names: Optional[Mapping[Hashable, str]] = None,
    uncertainty: Optional[npt.ArrayLike] = None,
    uncertainty_threshold: float = 0.2,
) -> Profile:
    """Profile a segmentation: who is in each segment, what sets it apart, what it is worth.

    ``data`` is a pandas or polars DataFrame (or dict of columns) with one row per customer;
    numeric columns get quartiles and effect sizes, other columns composition and lift (a column
    with any non-numeric value is profiled as categorical; naming such a column as ``revenue`` or
    ``margin`` raises ``ColumnTypeError``). Segments are the distinct labels present, so there is
    never an empty segment; integer labels 0..65535 keep their values, others (strings, negative
    numbers) are listed in sorted order.
    ``revenue`` / ``margin`` name a numeric column (or give the values) for value shares and
    concentration; ``sensitive`` names categorical columns for the fairness check (missing values
    there are an error); figures about fewer than ``min_group_size`` customers are suppressed.
    ``lang`` is ``"en"`` or ``"de"``; ``names`` maps labels to user-given segment names.
    RFM segment and lifecycle stage columns (``rfm_segment``, the ``segment`` column of
    :func:`segcore.rfm`, ``lifecycle_stage``) also get the behaviour-mix section (``.behaviour``).
    Small category cells are suppressed together with complementary cells, so no hidden count
    can be recovered by subtraction from the printed ones; shares are over all of a group's
    customers (missing values included).
    ``uncertainty`` (one value per customer, ``1 - max probability``, e.g. a mixture's
    ``uncertainty(X)``) adds the soft-membership section (``.membership``): mean uncertainty and
    the customers whose uncertainty exceeds ``uncertainty_threshold`` per segment, suppressed like
    any count.

    Examples
    --------
    >>> import numpy as np, pandas as pd, segcore
    >>> data = pd.DataFrame({
    ...     "monetary": [500.0] * 30 + [90_000.0] * 20,
    ...     "average_order_value": [100.0] * 30 + [9_000.0] * 20,
    ...     "channel": ["web"] * 30 + ["field_sales"] * 20,
    ... })
    >>> labels = np.repeat([0, 1], [30, 20])
    >>> p = segcore.profile(data, labels, revenue="monetary")
    >>> p.names[1]
    'Premium partners'
    >>> round(float(p.segments.loc[1, "revenue_share"]), 3)
    0.992
    >>> segcore.profile(data, labels, revenue="monetary", lang="de").names[1]
    'Premium-Partner'
    """
    columns, n_rows = table_columns(data)
    codes, label_values = as_labels(labels)
    code_of = label_codes(label_values)
    unknown = [label for label in names or {} if label not in code_of]
    if unknown:
        raise InvalidParameterError(f"invalid parameter `names` = {unknown[0]!r}: expected labels of segments present in labels")
    report = _segcore.build_profile(
        columns,
        n_rows,
        codes,
        revenue=_value_column(revenue, "revenue"),
        margin=_value_column(margin, "margin"),
        sensitive=[str(s) for s in ([sensitive] if isinstance(sensitive, str) else sensitive or [])],
        min_group_size=int(min_group_size),
        lang=str(lang),
        names={code_of[label]: str(name) for label, name in (names or {}).items()},
        uncertainty=None if uncertainty is None else floats(uncertainty, "uncertainty"),
        uncertainty_threshold=float_param("uncertainty_threshold", uncertainty_threshold),
    )
    return Profile(report, label_values)


def segment_rules(
    data: Table,
    labels: npt.ArrayLike,
    max_conditions: int = 3,
    min_group_size: int = 10,
    sample_size: int = 20_000,
    random_state: int = 0,
) -> pd.DataFrame:
    """Readable rules per segment ("monetary >= 120k and frequency >= 24") from a small seeded
    rule learner, with support (customers matching), coverage (share of the segment matched)
    and precision (share of the matched in the segment). Returns a pandas DataFrame."""
    columns, n_rows = table_columns(data)
    codes, label_values = as_labels(labels)
    rules = _segcore.segment_rules(
        columns,
        n_rows,
        codes,
        max_conditions=int(max_conditions),
        min_group_size=int(min_group_size),
        sample_size=int(sample_size),
        random_state=int(random_state),
    )
    return _table_frame(rules, label_values, index="segment")


def pseudonymise(ids: Iterable[object], key: Union[str, bytes]) -> List[str]:
    """Keyed-hash pseudonyms (HMAC-SHA-256, 32 hex digits) of customer ids for exports.

    The same key gives the same pseudonym for the same id; keep the key (>= 16 bytes) secret.
    """
    if isinstance(key, str):
        key = key.encode("utf-8")
    return _segcore.pseudonymise([str(i) for i in ids], bytes(key))


class Migration:
    """Transitions between two segmentations of the same customers (see :func:`migration`)."""

    def __init__(self, report: _segcore.MigrationReport, before: np.ndarray, after: np.ndarray, label_values: np.ndarray) -> None:
        self._report = report
        self._before = before
        self._after = after
        self._label_values = label_values

    @property
    def data(self) -> Dict[str, Any]:
        """The whole migration as the dict of its JSON document."""
        return dict(json.loads(self._report.to_json()))

    @property
    def transitions(self) -> pd.DataFrame:
        """The non-empty cells, one row each (pandas): ``before``, ``after``, ``count`` and
        ``share_of_before``; suppressed figures are missing (``<NA>``/NaN)."""
        import pandas as pd

        table = self._report.transitions_table()
        table["count"] = pd.array(table["count"], dtype="Int64")
        return _table_frame(table, self._label_values, ("before", "after"))

    def _dense(self, table: np.ndarray) -> pd.DataFrame:
        import pandas as pd

        before = pd.Index(label_list(self._label_values, self._report.before_segments), name="before")
        after = pd.Index(label_list(self._label_values, self._report.after_segments), name="after")
        return pd.DataFrame(table, index=before, columns=after)

    @property
    def counts(self) -> pd.DataFrame:
        """Transition matrix of counts (rows: before, columns: after), pandas; suppressed cells
        are ``<NA>``. Raises :class:`DataError` beyond 16M cells: read :attr:`transitions`."""
        counts, hidden, _ = self._report.dense()
        return self._dense(counts).astype("Int64").mask(hidden)

    @property
    def shares(self) -> pd.DataFrame:
        """Row shares: where the customers of each segment went (suppressed cells NaN)."""
        return self._dense(self._report.dense()[2])

    @property
    def stayed_share(self) -> float:
        """Share of customers with the same label before and after."""
        return float(self._report.stayed_share)

    @property
    def adjusted_rand_index(self) -> float:
        """Adjusted Rand index of the two labelings."""
        return float(self._report.adjusted_rand_index)

    def movers(
        self,
        from_segment: object,
        to_segment: object,
        ids: Union[None, Sequence[object], np.ndarray, "pd.Series"] = None,
        key: Union[str, bytes, None] = None,
    ) -> list:
        """Customers that moved from ``from_segment`` to ``to_segment``: row positions, or
        ``ids[row]``, or keyed-hash pseudonyms of those ids when ``key`` is given (for the CRM)."""
        codes = label_codes(self._label_values)
        for name, value in (("from_segment", from_segment), ("to_segment", to_segment)):
            if value not in codes:
                raise InvalidParameterError(
                    f"invalid parameter `{name}` = {value!r}: expected one of {sorted(codes, key=str)}"
                )
        rows = _segcore.movers(self._before, self._after, codes[from_segment], codes[to_segment])
        if ids is None:
            if key is not None:
                raise InvalidParameterError("invalid parameter `key`: expected `ids` as well (pseudonyms are of ids)")
            return list(rows)
        ids = list(ids.to_numpy() if hasattr(ids, "to_numpy") else ids)
        if len(ids) != len(self._before):
            raise DataError(f"shape mismatch in ids (one id per customer): expected {len(self._before)}, got {len(ids)}")
        chosen = [ids[r] for r in rows]
        return pseudonymise(chosen, key) if key is not None else chosen

    def __repr__(self) -> str:
        return (
            f"Migration(n_customers={self._report.n_customers}, stayed_share={self.stayed_share:.3f}, "
            f"adjusted_rand_index={self.adjusted_rand_index:.3f})"
        )


def migration(labels_before: npt.ArrayLike, labels_after: npt.ArrayLike, min_group_size: int = 1) -> Migration:
    """Compare two segmentations of the same customers (same order): transition matrix, stayed
    share, adjusted Rand index, and :meth:`Migration.movers` for the CRM. Labels may be ints or
    segment names; equal labels mean the same segment.

    For a report, pass the profiles' ``min_group_size``: counts of fewer customers are
    suppressed, with the cells and segment sizes that would give them away by subtraction.

    Examples
    --------
    >>> import segcore
    >>> m = segcore.migration(["premium", "premium", "volume"], ["premium", "at risk", "volume"])
    >>> m.stayed_share
    0.6666666666666666
    >>> m.movers("premium", "at risk", ids=["C1", "C2", "C3"])
    ['C2']
    """
    before, after, label_values = shared_labels(labels_before, labels_after)
    report = _segcore.migration(before, after, count_param("min_group_size", min_group_size, "an integer >= 1"))
    return Migration(report, before, after, label_values)
