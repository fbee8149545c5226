"""Segment profiles: who is in each segment and how it differs from the whole base."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Sequence

import numpy as np

from . import _segcore
from ._validation import as_float_matrix, feature_names_of

__all__ = ["SegmentProfile", "profile_segments"]


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
