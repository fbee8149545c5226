"""Cluster validity metrics with scikit-learn's signatures, computed by segcore's Rust core.

Equal to ``sklearn.metrics`` to ~1e-12. The silhouette is computed in blocks without a
pairwise-distance matrix, so it runs on tens of thousands of rows in O(n) memory (scikit-learn's
needs O(n * chunk) and tens of GB on large inputs). Labels may be any hashable values (ints,
strings...): only which samples share a label matters.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import _segcore
from ._base import optional_count, seed_from
from ._frames import as_float_matrix, as_labels
from ._typing import MatrixLike, RandomState
from .exceptions import InvalidParameterError

__all__ = [
    "silhouette_score",
    "silhouette_samples",
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "adjusted_rand_score",
    "normalized_mutual_info_score",
    "mutual_info_score",
    "contingency_matrix",
]


def _codes(labels: npt.ArrayLike, name: str = "labels") -> np.ndarray:
    """Labels as dense codes 0, 1, ... (only which samples share a label matters)."""
    return as_labels(labels, name, dense=True)[0]


def _only(name: str, value: object, computed: str, why: str) -> None:
    """InvalidParameterError unless ``value`` is ``computed``, the one choice segcore computes."""
    if value != computed:
        raise InvalidParameterError(f"invalid parameter `{name}` = {value!r}: expected {computed!r} ({why})")


def _check_metric(metric: object) -> None:
    _only("metric", metric, "euclidean", "the only distance segcore computes; use sklearn.metrics for other metrics")


def silhouette_score(
    X: MatrixLike,
    labels: npt.ArrayLike,
    *,
    metric: str = "euclidean",
    sample_size: Optional[int] = None,
    random_state: RandomState = None,
    **kwds: object,
) -> float:
    """Mean silhouette coefficient of all samples (Euclidean); higher is better, in [-1, 1].

    With ``sample_size`` the score is computed on a random subset of that many rows drawn with
    ``random_state`` (the subset differs from scikit-learn's for the same seed).
    """
    _check_metric(metric)
    size = optional_count("sample_size", sample_size, "an integer >= 2 or None")
    seed = seed_from(random_state) if size is not None else 0
    return float(_segcore.silhouette_score(as_float_matrix(X), _codes(labels), size, seed))


def silhouette_samples(
    X: MatrixLike, labels: npt.ArrayLike, *, metric: str = "euclidean", **kwds: object
) -> np.ndarray:
    """Silhouette coefficient of every sample (Euclidean); 0 for samples alone in their cluster."""
    _check_metric(metric)
    return _segcore.silhouette_samples(as_float_matrix(X), _codes(labels))


def calinski_harabasz_score(X: MatrixLike, labels: npt.ArrayLike) -> float:
    """Calinski-Harabasz score (variance ratio criterion); higher is better."""
    return float(_segcore.calinski_harabasz_score(as_float_matrix(X), _codes(labels)))


def davies_bouldin_score(X: MatrixLike, labels: npt.ArrayLike) -> float:
    """Davies-Bouldin score; lower is better, 0 is the minimum."""
    return float(_segcore.davies_bouldin_score(as_float_matrix(X), _codes(labels)))


def _pair(labels_true: npt.ArrayLike, labels_pred: npt.ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
    return _codes(labels_true, "labels_true"), _codes(labels_pred, "labels_pred")


def adjusted_rand_score(labels_true: npt.ArrayLike, labels_pred: npt.ArrayLike) -> float:
    """Adjusted Rand index: 1 for identical partitions, about 0 for random ones."""
    return float(_segcore.adjusted_rand_score(*_pair(labels_true, labels_pred)))


def normalized_mutual_info_score(
    labels_true: npt.ArrayLike, labels_pred: npt.ArrayLike, *, average_method: str = "arithmetic"
) -> float:
    """Normalised mutual information (arithmetic mean of the entropies as normaliser)."""
    _only("average_method", average_method, "arithmetic", "the only normaliser segcore computes")
    return float(_segcore.normalized_mutual_info_score(*_pair(labels_true, labels_pred)))


def mutual_info_score(labels_true: npt.ArrayLike, labels_pred: npt.ArrayLike, *, contingency: None = None) -> float:
    """Mutual information between two labelings, in nats."""
    if contingency is not None:
        raise InvalidParameterError("invalid parameter `contingency`: expected None (segcore builds the table itself)")
    return float(_segcore.mutual_info_score(*_pair(labels_true, labels_pred)))


def contingency_matrix(
    labels_true: npt.ArrayLike,
    labels_pred: npt.ArrayLike,
    *,
    eps: Optional[float] = None,
    sparse: bool = False,
    dtype: npt.DTypeLike = np.int64,
) -> Union[np.ndarray, Any]:  # Any: scipy.sparse.csr_matrix (scipy has no types)
    """Contingency table: row i, column j counts samples with the i-th smallest true label and
    the j-th smallest predicted label. ``eps`` is added to every cell (float result);
    ``sparse=True`` returns a ``scipy.sparse.csr_matrix``."""
    if eps is not None and sparse:
        raise InvalidParameterError("Cannot set 'eps' when sparse=True")
    table = _segcore.contingency_matrix(*_pair(labels_true, labels_pred))
    if sparse:
        from scipy.sparse import csr_matrix

        return csr_matrix(table.astype(dtype, copy=False))
    if eps is not None:
        return table.astype(np.float64) + eps
    return table.astype(dtype, copy=False)
