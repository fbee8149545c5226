"""Clustering estimators with scikit-learn's interface, computed by segcore's Rust core."""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from . import _segcore
from ._base import BaseEstimator, ClusterMixin, TransformerMixin
from ._validation import (
    as_float_matrix,
    as_sample_weight,
    check_feature_names,
    check_is_fitted,
    feature_names_of,
    float_param,
    int_param,
    seed_from,
)
from ._ward import Ward, ward_linkage
from .exceptions import ConvergenceWarning, InvalidParameterError

__all__ = ["KMeans", "Ward", "ward_linkage"]


class KMeans(ClusterMixin, TransformerMixin, BaseEstimator):
    """K-means clustering (exact Lloyd / Elkan, greedy k-means++), a drop-in for
    ``sklearn.cluster.KMeans``.

    Parameters are those of scikit-learn and mean the same: ``tol`` is relative to the mean
    feature variance; ``n_init="auto"`` runs 1 initialisation with ``"k-means++"`` or an explicit
    array and 10 with ``"random"``. float32 input is clustered in float32. ``copy_x`` and
    ``verbose`` are accepted for compatibility: segcore never modifies ``X``.

    Labels are deterministic for a given ``random_state`` on any number of threads.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> km = segcore.KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(np.bincount(km.labels_).tolist())
    [3, 3]
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        n_init: Any = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state: Any = None,
        copy_x: bool = True,
        algorithm: str = "lloyd",
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm

    def _resolved_init(self, X: np.ndarray, seed: int) -> tuple:
        init = self.init
        if callable(init):
            init = init(X, self.n_clusters, np.random.RandomState(seed % (2**32)))
        if isinstance(init, str):
            return init, None
        centers = np.asarray(init, dtype=np.float64)
        if centers.ndim != 2:
            raise InvalidParameterError(
                f"invalid parameter `init`: an explicit init must be 2D (n_clusters, n_features), "
                f"got {centers.ndim}D"
            )
        return "array", np.ascontiguousarray(centers)

    def _resolved_n_init(self, init_name: str) -> int:
        if isinstance(self.n_init, str):
            if self.n_init != "auto":
                raise InvalidParameterError(
                    f"invalid parameter `n_init` = {self.n_init!r}: expected 'auto' or an integer >= 1"
                )
            return 10 if init_name == "random" else 1
        n_init = int_param("n_init", self.n_init)
        if init_name == "array" and n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in KMeans "
                f"instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            return 1
        return n_init

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "KMeans":
        """Compute k-means clustering of ``X`` (rows are customers)."""
        names = feature_names_of(X)
        data = as_float_matrix(X)
        weights = as_sample_weight(sample_weight, data.shape[0], data.dtype)
        seed = seed_from(self.random_state)
        init_name, centers = self._resolved_init(data, seed)
        model = _segcore.KMeansModel.fit(
            data,
            weights,
            n_clusters=int_param("n_clusters", self.n_clusters),
            init=init_name,
            init_centers=centers,
            n_init=self._resolved_n_init(init_name),
            max_iter=int_param("max_iter", self.max_iter),
            tol=float_param("tol", self.tol),
            random_state=seed,
            algorithm=self.algorithm if isinstance(self.algorithm, str) else repr(self.algorithm),
        )
        for message in model.warnings:
            warnings.warn(message, ConvergenceWarning, stacklevel=2)
        self._model = model
        self.cluster_centers_ = model.cluster_centers
        self.labels_ = model.labels
        self.inertia_ = model.inertia
        self.n_iter_ = model.n_iter
        self.n_features_in_ = model.n_features
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def _checked_input(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        check_feature_names(self, X)
        return as_float_matrix(X, dtype=self.cluster_centers_.dtype)

    def predict(self, X: Any, sample_weight: Any = None) -> np.ndarray:
        """Index of the closest cluster center for each row of ``X``."""
        data = self._checked_input(X)
        return self._model.predict(data)

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit and return the training labels."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distance of each row of ``X`` to every cluster center."""
        data = self._checked_input(X)
        return self._model.transform(data)

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return distances of the training rows to the centers."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the (weighted) inertia of ``X`` on the fitted centers (higher is better)."""
        data = self._checked_input(X)
        weights = as_sample_weight(sample_weight, data.shape[0], data.dtype)
        return float(self._model.score(data, weights))

    @property
    def converged_(self) -> bool:
        """Whether the best run converged (segcore-only; scikit-learn does not expose it)."""
        check_is_fitted(self)
        return bool(self._model.converged)
