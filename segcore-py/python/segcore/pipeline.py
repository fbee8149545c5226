"""``FeaturePipeline``: a raw customer table (pandas or polars) -> the clustering matrix.

Every statistic is learnt and applied by segcore's Rust core; this class converts columns and
speaks scikit-learn's transformer interface.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _segcore
from ._base import BaseEstimator, CoreModelMixin, TransformerMixin, check_is_fitted, store_params
from ._frames import column, column_input, frame_columns
from ._typing import Ignored, MatrixLike
from .exceptions import DataError, InvalidParameterError

__all__ = ["FeaturePipeline"]

ColumnSpecLike = Union[str, Mapping[str, Any]]
_CATEGORICAL_ENCODINGS = ("one_hot", "ordinal")


def _column_spec(item: ColumnSpecLike) -> Dict[str, Any]:
    if isinstance(item, str):
        return {"column": item}
    if isinstance(item, Mapping):
        spec = dict(item)
        for key in ("winsorize", "quantile_range"):
            if spec.get(key) is not None:
                spec[key] = [float(v) for v in spec[key]]
        if spec.get("order") is not None:
            spec["order"] = [str(v) for v in spec["order"]]
        return spec
    raise InvalidParameterError(
        f"invalid parameter `columns` = {item!r}: expected a column name or a dict with a 'column' key"
    )


def _spec_document(columns: object, groups: object, constant_columns: object) -> Tuple[str, List[Dict[str, Any]]]:
    if isinstance(columns, (str, Mapping)) or not isinstance(columns, Sequence):
        raise InvalidParameterError(
            f"invalid parameter `columns` = {columns!r}: expected a list of column names or dicts"
        )
    specs = [_column_spec(c) for c in columns]
    if groups is None:
        group_list: List[Dict[str, Any]] = []
    elif isinstance(groups, Mapping):
        group_list = [{"name": str(k), "weight": float(v)} for k, v in groups.items()]
    else:
        raise InvalidParameterError(
            f"invalid parameter `groups` = {groups!r}: expected a dict of group name -> weight"
        )
    if constant_columns not in ("drop", "keep_as_zero"):
        raise InvalidParameterError(
            f"invalid parameter `constant_columns` = {constant_columns!r}: expected 'drop' or 'keep_as_zero'"
        )
    document = {"columns": specs, "groups": group_list, "constant_columns": constant_columns}
    try:
        return json.dumps(document, allow_nan=False), specs
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(f"invalid parameter `columns`: {err}") from None


def _inputs(specs: List[Dict[str, Any]], frame: Dict[str, Any]) -> List[Tuple[str, Any]]:
    out = []
    for spec in specs:
        name = spec.get("column")
        if not isinstance(name, str):
            raise InvalidParameterError(
                f"invalid parameter `columns`: each spec needs a 'column' name, got {spec!r}"
            )
        categorical = spec.get("encoding") in _CATEGORICAL_ENCODINGS
        out.append((name, column_input(column(frame, name), categorical)))
    return out


TransformReport = Dict[str, Dict[str, int]]


class FeaturePipeline(CoreModelMixin, TransformerMixin, BaseEstimator):
    """Turns a customer table into clustering features, fitted once and re-applied identically.

    Parameters
    ----------
    columns : list of str or dict, default ()
        One entry per source column, in output order; empty (the default): every column of
        ``X``, numbers standard-scaled and anything else one-hot encoded (what scikit-learn's
        transformers do with a plain array). A string is a numeric column,
        standard-scaled. A dict has a ``"column"`` key and optionally:
        ``"encoding"`` (``"numeric"``, ``"one_hot"``, ``"ordinal"``), ``"min_frequency"``
        (one-hot: int count or float fraction; rarer categories go to ``<column>_other``),
        ``"order"`` (ordinal: categories lowest first), ``"impute"`` (``"median"``,
        ``"most_frequent"``, ``"constant"`` with ``"fill_value"``), ``"missing_indicator"``,
        ``"log1p"`` (``ln(1 + max(x, 0))``), ``"winsorize"`` (``(low, high)`` quantiles),
        ``"scaling"`` (``"standard"`` (default), ``"robust"``, ``"none"``), ``"quantile_range"``
        (robust percentiles, default ``(25, 75)``), ``"group"`` (a key of ``groups``).
        Numeric steps run as log1p -> winsorize -> impute -> scale.
    groups : dict of str -> float, optional
        Group weights: each group's output columns are rescaled together so the group's total
        variance at fit equals its weight (30 one-hot industry columns in a group of weight 1
        count like one standardised feature).
    constant_columns : {"drop", "keep_as_zero"}
        Columns constant at fit carry no information: dropped, or kept as all-zero columns.

    Notes
    -----
    Categories never seen at fit go to ``<column>_other`` (one-hot) or are imputed (ordinal),
    never an error; :meth:`transform_with_report` counts them. One-hot and ordinal columns read any
    dtype as categories. At transform only the spec's columns are needed (extra columns are
    ignored). The fitted pipeline is saved as segcore's versioned JSON (``to_json``), which the
    Rust ``FeaturePipeline::from_json`` loads with identical results; pickling uses it too.

    Examples
    --------
    >>> import pandas as pd, segcore
    >>> customers = pd.DataFrame({"revenue": [1e6, 4e6, None, 2e6],
    ...                           "industry": ["food", "auto", "food", "pharma"]})
    >>> pipe = segcore.FeaturePipeline([
    ...     {"column": "revenue", "log1p": True, "impute": "median"},
    ...     {"column": "industry", "encoding": "one_hot", "min_frequency": 2},
    ... ])
    >>> pipe.fit_transform(customers).shape
    (4, 3)
    >>> pipe.get_feature_names_out().tolist()
    ['revenue', 'industry_food', 'industry_other']
    """

    def __init__(
        self,
        columns: Sequence[ColumnSpecLike] = (),
        *,
        groups: Optional[Mapping[str, float]] = None,
        constant_columns: str = "drop",
    ) -> None:
        store_params(self, locals())

    def fit(self, X: MatrixLike, y: Ignored = None) -> "FeaturePipeline":
        """Learn categories, fills, quantiles, scales and group factors from ``X``."""
        document, specs = _spec_document(self.columns, self.groups, self.constant_columns)
        n_rows, frame, names = frame_columns(X)
        # Without column specs, every column typed by its values (numbers numeric, anything else
        # categories); the core then writes one spec per column (``FeatureInput::spec_of_every_column``).
        inputs = _inputs(specs, frame) if specs else [(name, column_input(data)) for name, data in frame.items()]
        self._set_fitted(_segcore.FeaturePipelineModel.fit(document, n_rows, inputs), names)
        self.n_features_in_ = len(frame)
        return self

    def _set_fitted(self, model: _segcore.FeaturePipelineModel, names: Optional[np.ndarray]) -> None:
        super()._set_fitted(model, names)
        # The fitted spec: the given one, or one column spec per input column.
        self._specs = json.loads(model.spec_json)["columns"]
        self.report_ = json.loads(model.report_json)

    def transform(self, X: MatrixLike) -> np.ndarray:
        """The clustering matrix of ``X`` (float64, one row per customer)."""
        return self.transform_with_report(X)[0]

    def transform_with_report(self, X: MatrixLike) -> Tuple[np.ndarray, TransformReport]:
        """The clustering matrix of ``X`` and what was done to it: per source column, the
        number of categories never seen at fit (``"unknown_categories"``, sent to
        ``<column>_other`` or imputed) and of values imputed (``"imputed"``).

        >>> import pandas as pd, segcore
        >>> pipe = segcore.FeaturePipeline([{"column": "industry", "encoding": "one_hot"}])
        >>> _ = pipe.fit(pd.DataFrame({"industry": ["food", "auto", "food"]}))
        >>> x, report = pipe.transform_with_report(pd.DataFrame({"industry": ["food", "pharma"]}))
        >>> report["unknown_categories"]
        {'industry': 1}
        """
        check_is_fitted(self)
        n_rows, frame, names = frame_columns(X)
        expected = getattr(self, "n_features_in_", None)  # None when loaded from a document
        if names is None and expected is not None and len(frame) != expected:
            # A plain array: its columns are matched by position (x0, x1, ...).
            raise DataError(
                f"X has {len(frame)} features, but {type(self).__name__} is expecting "
                f"{expected} features as input."
            )
        x, unknown, imputed = self._model.transform(n_rows, _inputs(self._specs, frame))
        return x, {"unknown_categories": dict(unknown), "imputed": dict(imputed)}

    def get_feature_names_out(self, input_features: Optional[Iterable[object]] = None) -> np.ndarray:
        """Output column names (``<column>``, ``<column>_missing``, ``<column>_<category>``, ``<column>_other``).

        ``input_features`` (scikit-learn's argument) is checked against the columns seen at fit;
        the names come from the fitted pipeline."""
        check_is_fitted(self)
        if input_features is not None:
            seen = getattr(self, "feature_names_in_", None)
            given = [str(f) for f in input_features]
            if seen is not None and given != [str(f) for f in seen]:
                raise DataError("input_features is not equal to feature_names_in_")
            expected = getattr(self, "n_features_in_", len(given))
            if len(given) != expected:
                raise DataError(
                    f"input_features should have length equal to number of features "
                    f"({expected}), got {len(given)}"
                )
        return np.asarray(self._model.feature_names_out, dtype=object)

    def to_json(self) -> str:
        """The fitted pipeline as segcore's versioned JSON document (loadable from Rust)."""
        check_is_fitted(self)
        return self._model.to_json()

    @classmethod
    def from_json(cls, document: str) -> "FeaturePipeline":
        """A fitted pipeline from a document written by :meth:`to_json` or by Rust."""
        model = _segcore.FeaturePipelineModel.from_json(document)
        spec = json.loads(model.spec_json)
        groups = {g["name"]: g["weight"] for g in spec["groups"]} or None
        pipe = cls(spec["columns"], groups=groups, constant_columns=spec["constant_columns"])
        pipe._set_fitted(model, None)
        return pipe
