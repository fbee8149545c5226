"""Why is this customer in this segment? Distances (or, for Gaussian mixtures, probabilities) of
every segment, the features that pull it in, and the margin to the runner-up (see :func:`explain`)."""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from . import _segcore
from ._base import check_is_fitted
from .exceptions import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Explanation", "explain"]


def _explainer(model: object) -> Callable[[np.ndarray, List[str]], str]:
    """The core's explanation of a row by ``model``, as JSON: by the model document of a fitted
    :class:`segcore.GaussianMixture`, else by the centres of a centroid model
    (``cluster_centers_`` for k-means, ``means_``)."""
    from .mixture import GaussianMixture

    if isinstance(model, GaussianMixture):
        check_is_fitted(model)
        return partial(_segcore.explain_mixture_document, str(model._model.to_json()))
    if hasattr(model, "precisions_cholesky_") and hasattr(model, "predict_proba"):
        # A mixture's segment is not the nearest mean: a Euclidean explanation would be wrong.
        raise TypeError(
            f"explain supports Gaussian mixtures fitted with segcore.GaussianMixture (same "
            f"parameters as scikit-learn's), got {type(model).__module__}.{type(model).__name__}"
        )
    for attribute in ("cluster_centers_", "means_"):
        centres = getattr(model, attribute, None)
        if centres is not None:
            return partial(_segcore.explain_centroids, np.ascontiguousarray(np.asarray(centres, dtype=np.float64)))
    if hasattr(model, "fit"):
        check_is_fitted(model, "cluster_centers_")  # an estimator without centres is not fitted
    raise TypeError(
        f"explain needs a fitted centroid model (with cluster_centers_ or means_), got {type(model).__name__}"
    )


class Explanation:
    """One customer's assignment: ``segment``, ``runner_up``, ``margin``, ``distances`` to every
    centre, and ``contributions`` (pandas, strongest pull towards the segment first).

    Centroid models (k-means, Ward): ``distances`` are Euclidean, ``margin`` is the distance to
    the runner-up minus the distance to the segment, and the pulls sum to
    ``distance(runner_up)**2 - distance(segment)**2``.

    Gaussian mixtures: ``probabilities`` of every segment, Mahalanobis ``distances``, ``margin``
    is the log-odds ``ln(p(segment) / p(runner_up))`` and the pulls plus ``baseline_log_odds``
    (the log-odds at the midpoint of the two means: weights and spreads) sum to it.
    """

    def __init__(self, document: str) -> None:
        self.data: Dict[str, Any] = json.loads(document)

    @property
    def segment(self) -> int:
        return int(self.data["segment"])

    @property
    def runner_up(self) -> Optional[int]:
        return self.data["runner_up"]

    @property
    def margin(self) -> Optional[float]:
        return self.data["margin"]

    @property
    def distances(self) -> np.ndarray:
        return np.asarray(self.data["distances"], dtype=float)

    @property
    def probabilities(self) -> Optional[np.ndarray]:
        """Membership probability of every segment (mixtures only, else None)."""
        p = self.data.get("probabilities")
        return None if p is None else np.asarray(p, dtype=float)

    @property
    def baseline_log_odds(self) -> Optional[float]:
        """Log-odds of segment over runner-up at the midpoint of their means (mixtures only)."""
        return self.data.get("baseline_log_odds")

    @property
    def contributions(self) -> "pd.DataFrame":
        import pandas as pd

        return pd.DataFrame(self.data["contributions"]).set_index("feature")

    def __repr__(self) -> str:
        top = ", ".join(f"{c['feature']} {c['pull']:+.2f}" for c in self.data["contributions"][:3])
        return (
            f"Explanation(segment={self.segment}, runner_up={self.runner_up}, "
            f"margin={self.margin if self.margin is None else round(self.margin, 4)}, top pulls: {top})"
        )


def explain(
    model: object,
    customer_row: Union[npt.ArrayLike, "pd.Series", "pd.DataFrame"],
    feature_names: Optional[Sequence[str]] = None,
) -> Explanation:
    """Explain why ``model`` puts ``customer_row`` in its segment: a fitted
    :class:`segcore.KMeans` (or any model with ``cluster_centers_``) by distances, a fitted
    :class:`segcore.GaussianMixture` by membership probabilities and log-odds.

    ``customer_row`` is one row in the model's feature space (as it was fitted: scaled), a 1-D
    array, a pandas Series or a one-row DataFrame. Names come from ``feature_names``, the
    model's ``feature_names_in_``, the row's index/columns, else ``x0, x1, ...``.
    """
    explainer = _explainer(model)
    names = feature_names if feature_names is not None else getattr(model, "feature_names_in_", None)
    if names is None and hasattr(customer_row, "columns"):
        names = [str(c) for c in customer_row.columns]
    if names is None and hasattr(customer_row, "index") and hasattr(customer_row, "to_numpy"):
        index = list(getattr(customer_row, "index"))
        if all(isinstance(i, str) for i in index):
            names = index
    row = customer_row.to_numpy() if hasattr(customer_row, "to_numpy") else customer_row
    try:
        row = np.asarray(row, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"customer_row must be numeric: {err}") from None
    if row.ndim == 2 and row.shape[0] == 1:
        row = row[0]
    if row.ndim != 1:
        raise DataError(f"customer_row must be one customer (1-D or one row), got shape {row.shape}")
    return Explanation(explainer(np.ascontiguousarray(row), [str(n) for n in names] if names is not None else []))
