"""Segment profiles: who is in each segment and how it differs from the whole base."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Sequence

import numpy as np

from . import _segcore
from ._base import float_param
from ._frames import as_float_matrix, as_labels, feature_names_of, floats, shared_labels, table_columns, values
from .exceptions import DataError, InvalidParameterError

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
        return np.asarray(
            [[np.nan if v is None else v for v in s["mean"]] for s in self.data["segments"]],
            dtype=float,
        )

    @property
    def overall_mean(self) -> np.ndarray:
        """Per-feature mean over all customers."""
        return np.asarray([np.nan if v is None else v for v in self.data["overall_mean"]], dtype=float)

    def to_frame(self) -> Any:
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
    X: Any,
    labels: Any,
    feature_names: Optional[Sequence[str]] = None,
    n_segments: Optional[int] = None,
) -> SegmentProfile:
    """Profile the columns of ``X`` (NaN = missing) by segment ``labels``.

    ``X`` may hold columns that were not clustering inputs (revenue, margin in euros). Names come
    from ``feature_names``, else from DataFrame columns, else ``x0, x1, ...``.
    """
    names = feature_names if feature_names is not None else feature_names_of(X)
    data = as_float_matrix(X, dtype=np.float64)
    if names is None:
        names = [f"x{i}" for i in range(data.shape[1])]
    labels = np.asarray(labels, dtype=np.int64).ravel()
    if n_segments is None:
        n_segments = int(labels.max()) + 1 if labels.size else 0
    document, text = _segcore.profile_segments(data, [str(n) for n in names], labels, int(n_segments))
    return SegmentProfile(document, text)


# --- The full profile (issue 8) -------------------------------------------------------------


def _value_column(data_columns: list, value: Any, default_name: str, n_rows: int) -> Optional[str]:
    """A revenue/margin argument as a column name: a name in the data, or an array added as one."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    name = default_name
    taken = {n for n, _ in data_columns}
    while name in taken:
        name += "_"
    array = values(value).astype(np.float64)
    if array.ndim != 1:
        raise DataError(f"{default_name} must be one-dimensional, got {array.ndim}D")
    data_columns.append((name, np.ascontiguousarray(array)))
    return name


class Profile:
    """Profile of a segmentation (see :func:`profile`): pandas views of the core's figures.

    Suppressed figures (groups below ``min_group_size``) are missing (NaN / None), never numbers.
    """

    def __init__(self, report: Any, label_values: np.ndarray) -> None:
        self._report = report
        self._label_values = np.asarray(label_values)
        self.data: Dict[str, Any] = json.loads(report.to_json())

    def _label(self, code: int) -> Any:
        value = self._label_values[code] if code < len(self._label_values) else code
        return value.item() if hasattr(value, "item") else value

    @property
    def warnings(self) -> list:
        """Suppressed segments and fairness warnings."""
        return list(self.data["warnings"])

    @property
    def names(self) -> Dict[Any, str]:
        """Speaking name of every segment."""
        return {self._label(s["segment"]): s["name"] for s in self.data["segments"]}

    @property
    def segments(self) -> Any:
        """One row per segment: name, description, size, share, value figures (pandas)."""
        import pandas as pd

        rows = []
        for s in self.data["segments"]:
            value = s["value"] or {}
            rows.append(
                {
                    "segment": self._label(s["segment"]),
                    "name": s["name"],
                    "description": s["description"],
                    "size": s["size"],
                    "share": s["share"],
                    "revenue_share": value.get("revenue_share"),
                    "margin_share": value.get("margin_share"),
                    "revenue_per_customer": value.get("revenue_per_customer"),
                    "margin_per_customer": value.get("margin_per_customer"),
                    "revenue_gini": value.get("revenue_gini"),
                    "top20_revenue_share": value.get("top20_revenue_share"),
                    "suppressed": s["suppressed"],
                }
            )
        frame = pd.DataFrame(rows).set_index("segment")
        if self.data["revenue_column"] is None:
            frame = frame.drop(columns=[c for c in frame.columns if "revenue" in c or "margin" in c or c == "top20_revenue_share"])
        elif self.data["margin_column"] is None:
            frame = frame.drop(columns=["margin_share", "margin_per_customer"])
        return frame

    @property
    def membership(self) -> Any:
        """Soft membership (mixture segmentations; None otherwise): one row per segment with
        ``mean_uncertainty`` and ``n_uncertain`` (customers whose ``1 - max probability``
        exceeds ``attrs["threshold"]``); suppressed figures are missing."""
        import pandas as pd

        m = self.data.get("membership")
        if m is None:
            return None
        frame = pd.DataFrame(
            [
                {
                    "segment": self._label(s["segment"]),
                    "mean_uncertainty": s["mean_uncertainty"],
                    "n_uncertain": s["n_uncertain"],
                }
                for s in m["segments"]
            ]
        ).set_index("segment")
        frame.attrs["threshold"] = m["threshold"]
        frame.attrs["n_uncertain"] = m["n_uncertain"]
        frame.attrs["mean_uncertainty"] = m["mean_uncertainty"]
        return frame

    @property
    def numeric(self) -> Any:
        """Long table, one row per (segment, numeric column): count, mean, std, quartiles,
        effect size and the base mean and median."""
        import pandas as pd

        names = [s["name"] for s in self.data["segments"]]
        rows = []
        for col in self.data["numeric"]:
            base = col["base"] or {}
            for name, cell in zip(names, col["segments"]):
                summary = cell["summary"] or {}
                rows.append(
                    {
                        "segment": self._label(cell["segment"]),
                        "name": name,
                        "column": col["column"],
                        "count": summary.get("count"),
                        "mean": summary.get("mean"),
                        "std": summary.get("std"),
                        "q1": summary.get("q1"),
                        "median": summary.get("median"),
                        "q3": summary.get("q3"),
                        "effect_size": cell["effect_size"],
                        "base_mean": base.get("mean"),
                        "base_median": base.get("median"),
                    }
                )
        return pd.DataFrame(rows)

    @property
    def categorical(self) -> Any:
        """Long table, one row per (segment, column, category): count, share, lift, base share."""
        import pandas as pd

        names = [s["name"] for s in self.data["segments"]]
        rows = []
        for col in self.data["categorical"]:
            base = col["base"]["cells"]
            for name, comp in zip(names, col["segments"]):
                for base_cell, cell in zip(base, comp["cells"]):
                    rows.append(
                        {
                            "segment": self._label(comp["segment"]),
                            "name": name,
                            "column": col["column"],
                            "category": cell["category"],
                            "count": cell["count"],
                            "share": cell["share"],
                            "lift": cell["lift"],
                            "base_share": base_cell["share"],
                        }
                    )
        return pd.DataFrame(rows)

    @property
    def fairness(self) -> Any:
        """One row per (sensitive column, segment): divergence from the base in bits, Cramér's V."""
        import pandas as pd

        names = [s["name"] for s in self.data["segments"]]
        rows = []
        for check in self.data["fairness"]:
            for name, seg in zip(names, check["segments"]):
                rows.append(
                    {
                        "column": check["column"],
                        "segment": self._label(seg["segment"]),
                        "name": name,
                        "divergence": seg["divergence"],
                        "cramers_v": check["cramers_v"],
                        "warning": seg["above_threshold"],
                    }
                )
        return pd.DataFrame(rows)

    @property
    def behaviour(self) -> Any:
        """Behaviour mix: one row per (behaviour column, segment, category) for the RFM segment
        and lifecycle stage columns found in the data (``rfm_segment``, the ``segment`` column of
        :func:`segcore.rfm`, ``lifecycle_stage``): kind, share, base share and lift. Empty when
        there is no such column."""
        import pandas as pd

        names = [s["name"] for s in self.data["segments"]]
        rows = []
        for mix in self.data.get("behaviour", []):
            for name, seg in zip(names, mix["segments"]):
                for category, base_share, share, lift in zip(
                    mix["categories"], mix["base_shares"], seg["shares"], seg["lifts"]
                ):
                    rows.append(
                        {
                            "kind": mix["kind"],
                            "column": mix["column"],
                            "segment": self._label(seg["segment"]),
                            "name": name,
                            "category": category,
                            "share": share,
                            "base_share": base_share,
                            "lift": lift,
                            "dominant": category == seg["dominant"],
                        }
                    )
        columns = ["kind", "column", "segment", "name", "category", "share", "base_share", "lift", "dominant"]
        return pd.DataFrame(rows, columns=columns)

    def effect_sizes(self) -> Any:
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
        return self.segments._repr_html_()

    def __repr__(self) -> str:
        names = ", ".join(s["name"] for s in self.data["segments"])
        return f"Profile(n_customers={self.data['n_customers']}, segments=[{names}])"

    def __getstate__(self) -> Dict[str, Any]:
        return {"document": self.to_json(), "label_values": self._label_values.tolist()}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        Profile.__init__(
            self, _segcore.ProfileReport.from_json(state["document"]), np.asarray(state["label_values"], dtype=object)
        )


def profile(
    data: Any,
    labels: Any,
    revenue: Any = None,
    margin: Any = None,
    sensitive: Any = None,
    min_group_size: int = 10,
    lang: str = "en",
    names: Optional[Dict[Any, str]] = None,
    uncertainty: Any = None,
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
    revenue_name = _value_column(columns, revenue, "revenue", n_rows)
    margin_name = _value_column(columns, margin, "margin", n_rows)
    if sensitive is None:
        sensitive = []
    elif isinstance(sensitive, str):
        sensitive = [sensitive]
    name_codes: Dict[int, str] = {}
    for label, name in (names or {}).items():
        matches = np.flatnonzero(np.asarray(label_values, dtype=object) == label)
        if matches.size == 0:
            raise InvalidParameterError(f"invalid parameter `names` = {label!r}: expected labels of segments present in labels")
        name_codes[int(matches[0])] = str(name)
    report = _segcore.build_profile(
        columns,
        n_rows,
        codes,
        revenue=revenue_name,
        margin=margin_name,
        sensitive=[str(s) for s in sensitive],
        min_group_size=int(min_group_size),
        lang=str(lang),
        names=name_codes,
        uncertainty=None if uncertainty is None else floats(uncertainty, "uncertainty"),
        uncertainty_threshold=float_param("uncertainty_threshold", uncertainty_threshold),
    )
    return Profile(report, label_values)


def segment_rules(
    data: Any,
    labels: Any,
    max_conditions: int = 3,
    min_group_size: int = 10,
    sample_size: int = 20_000,
    random_state: int = 0,
) -> Any:
    """Readable rules per segment ("monetary >= 120k and frequency >= 24") from a small seeded
    rule learner, with support (customers matching), coverage (share of the segment matched)
    and precision (share of the matched in the segment). Returns a pandas DataFrame."""
    import pandas as pd

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
    frame = pd.DataFrame(rules, columns=["segment", "rule", "support", "coverage", "precision"])
    frame["segment"] = [label_values[s].item() if hasattr(label_values[s], "item") else label_values[s] for s in frame["segment"]]
    return frame.set_index("segment")


def pseudonymise(ids: Any, key: Any) -> list:
    """Keyed-hash pseudonyms (HMAC-SHA-256, 32 hex digits) of customer ids for exports.

    The same key gives the same pseudonym for the same id; keep the key (>= 16 bytes) secret.
    """
    if isinstance(key, str):
        key = key.encode("utf-8")
    return _segcore.pseudonymise([str(i) for i in ids], bytes(key))


class Migration:
    """Transitions between two segmentations of the same customers (see :func:`migration`)."""

    def __init__(self, document: str, before: np.ndarray, after: np.ndarray, label_values: np.ndarray) -> None:
        self.data: Dict[str, Any] = json.loads(document)
        self._before = before
        self._after = after
        self._label_values = label_values

    def _label(self, code: int) -> Any:
        value = self._label_values[code]
        return value.item() if hasattr(value, "item") else value

    @property
    def transitions(self) -> Any:
        """The non-empty cells, one row each (pandas): ``before``, ``after``, ``count`` and
        ``share_of_before``; suppressed figures are missing (``<NA>``/NaN)."""
        import pandas as pd

        rows = self.data["transitions"]
        return pd.DataFrame(
            {
                "before": [self._label(t["before"]) for t in rows],
                "after": [self._label(t["after"]) for t in rows],
                "count": pd.array([t["count"] for t in rows], dtype="Int64"),
                "share_of_before": [np.nan if t["share_of_before"] is None else t["share_of_before"] for t in rows],
            }
        )

    @property
    def counts(self) -> Any:
        """Transition matrix of counts (rows: before, columns: after), pandas; suppressed cells
        are ``<NA>``. Raises :class:`DataError` beyond 16M cells: read :attr:`transitions`."""
        import pandas as pd

        before, after = self.data["before_segments"], self.data["after_segments"]
        if len(before) * len(after) > 1 << 24:
            raise DataError(
                f"a dense table of {len(before)} x {len(after)} segments is too large: read `transitions` instead"
            )
        position = {label: j for j, label in enumerate(after)}
        row_of = {label: i for i, label in enumerate(before)}
        table = np.zeros((len(before), len(after)), dtype=np.int64)
        hidden = np.zeros_like(table, dtype=bool)
        for t in self.data["transitions"]:
            i, j = row_of[t["before"]], position[t["after"]]
            if t["count"] is None:
                hidden[i, j] = True
            else:
                table[i, j] = t["count"]
        frame = pd.DataFrame(
            table,
            index=pd.Index([self._label(c) for c in before], name="before"),
            columns=pd.Index([self._label(c) for c in after], name="after"),
        ).astype("Int64")
        return frame.mask(hidden)

    @property
    def shares(self) -> Any:
        """Row shares: where the customers of each segment went (suppressed cells NaN)."""
        import pandas as pd

        counts = self.counts
        sizes = np.asarray([np.nan if s is None else s for s in self.data["before_sizes"]], dtype=float)
        values = counts.to_numpy(dtype=float, na_value=np.nan)
        return pd.DataFrame(values / sizes[:, None], index=counts.index, columns=counts.columns)

    @property
    def stayed_share(self) -> float:
        """Share of customers with the same label before and after."""
        return float(self.data["stayed_share"])

    @property
    def adjusted_rand_index(self) -> float:
        """Adjusted Rand index of the two labelings."""
        return float(self.data["adjusted_rand_index"])

    def movers(self, from_segment: Any, to_segment: Any, ids: Any = None, key: Any = None) -> list:
        """Customers that moved from ``from_segment`` to ``to_segment``: row positions, or
        ``ids[row]``, or keyed-hash pseudonyms of those ids when ``key`` is given (for the CRM)."""
        codes = {self._label(c): c for c in range(len(self._label_values))}
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
            f"Migration(n_customers={self.data['n_customers']}, stayed_share={self.stayed_share:.3f}, "
            f"adjusted_rand_index={self.adjusted_rand_index:.3f})"
        )


def migration(labels_before: Any, labels_after: Any, min_group_size: int = 1) -> Migration:
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
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, (int, np.integer)) or min_group_size < 0:
        raise InvalidParameterError(
            f"invalid parameter `min_group_size` = {min_group_size!r}: expected an integer >= 1"
        )
    document = _segcore.migration(before, after, int(min_group_size))
    return Migration(document, before, after, label_values)
