"""Clustering estimators with scikit-learn's interface, computed by segcore's Rust core."""

from __future__ import annotations

import copy
import warnings
from typing import Any, Dict, Optional, Union

import numpy as np

from . import _segcore
from ._base import (
    BaseEstimator,
    ClusterMixin,
    CoreModelMixin,
    TransformerMixin,
    adopt,
    check_is_fitted,
    core_method,
    core_params,
    int_param,
    seed_from,
    store_params,
)
from ._ward import Ward, ward_linkage
from ._typing import CentersLike, Ignored, KMeansInit, MatrixLike, RandomState, SampleWeight
from .exceptions import InvalidParameterError

__all__ = ["KMeans", "MiniBatchKMeans", "Ward", "align_labels", "ward_linkage"]


def _init_args(estimator: "KMeans | MiniBatchKMeans", X: np.ndarray, stacklevel: int = 5) -> Dict[str, Any]:
    """``init``, ``init_centers``, ``n_init`` (None = "auto", resolved by the core) and
    ``random_state`` for the core from scikit-learn's: a callable ``init`` is called; an explicit
    array runs once, with scikit-learn's warning when more runs were asked."""
    seed = seed_from(estimator.random_state)
    init = estimator.init
    if callable(init):
        init = init(X, estimator.n_clusters, np.random.RandomState(seed % (2**32)))
    n_init = core_params(estimator, auto="n_init")["n_init"]
    if isinstance(init, str):
        return dict(init=init, init_centers=None, n_init=n_init, random_state=seed)
    centers = _centers_of(init, "invalid parameter `init`: an explicit init")
    if n_init is not None and n_init != 1:
        warnings.warn(
            "Explicit initial center position passed: performing only one init in "
            f"{type(estimator).__name__} instead of n_init={n_init}.",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
    return dict(init="array", init_centers=centers, n_init=n_init, random_state=seed)


def _centers_of(reference: CentersLike, what: str = "reference centers") -> np.ndarray:
    """Centers of a fitted clustering estimator (``cluster_centers_``) or an array of centers."""
    centers = np.asarray(getattr(reference, "cluster_centers_", reference), dtype=np.float64)
    if centers.ndim != 2:
        raise InvalidParameterError(f"{what} must be 2D (n_clusters, n_features), got {centers.ndim}D")
    return np.ascontiguousarray(centers)


def align_labels(centers: CentersLike, reference_centers: CentersLike) -> np.ndarray:
    """Label mapping that makes a new clustering keep a previous clustering's segment numbers.

    Matches the rows of ``centers`` (a new model's ``cluster_centers_``, or the fitted model
    itself) to those of ``reference_centers`` (the previous model's, or the previous model)
    by minimum total squared distance (Hungarian algorithm). Returns ``mapping`` with
    ``mapping[j]`` = the label new cluster ``j`` should take, so ``mapping[new_model.labels_]``
    are the new labels in the reference's numbering. If the new model has more clusters, the
    unmatched ones get the next free labels ``k_reference, k_reference + 1, ...``.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> previous = np.array([[0.0, 0.0], [10.0, 10.0]])
    >>> new = np.array([[9.5, 10.2], [0.3, -0.1]])
    >>> segcore.align_labels(new, previous)
    array([1, 0])
    """
    return _segcore.align_labels(_centers_of(reference_centers), _centers_of(centers))


class _KMeansFamily(CoreModelMixin, ClusterMixin, TransformerMixin, BaseEstimator):
    """Prediction methods shared by KMeans and MiniBatchKMeans (both hold a Rust model)."""

    _fitted = "cluster_centers inertia n_iter n_features_in_=n_features labels?"

    def predict(self, X: MatrixLike, sample_weight: SampleWeight = None) -> np.ndarray:
        """Index of the closest cluster center for each row of ``X``."""
        return self._call("predict", X)

    def fit_predict(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> np.ndarray:
        """Fit and return the labels of the training rows."""
        fitted = self.fit(X, sample_weight=sample_weight)
        labels = getattr(fitted, "labels_", None)
        return labels if labels is not None else fitted.predict(X)

    transform = core_method("transform", "Euclidean distance of each row of ``X`` to every cluster center.")

    def fit_transform(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> np.ndarray:
        """Fit, then return distances of the training rows to the centers."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> float:
        """Opposite of the (weighted) inertia of ``X`` on the fitted centers (higher is better)."""
        return float(self._weighted("score", X, sample_weight))


class KMeans(_KMeansFamily):
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
        init: KMeansInit = "k-means++",
        n_init: Union[int, str] = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state: RandomState = None,
        copy_x: bool = True,
        algorithm: str = "lloyd",
    ) -> None:
        store_params(self, locals())

    def fit(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> "KMeans":
        """Compute k-means clustering of ``X`` (rows are customers)."""
        self._fit(X, sample_weight)
        return self

    def _fit_model(self, data: np.ndarray, weights: Optional[np.ndarray]) -> _segcore.KMeansModel:
        return _segcore.KMeansModel.fit(
            data, weights, **_init_args(self, data),
            **core_params(self, int="n_clusters max_iter", float="tol", name="algorithm"),
        )

    def align_to(self, reference: CentersLike) -> "KMeans":
        """A copy of this fitted model whose cluster numbers follow ``reference``.

        ``reference`` is a previous fitted model (anything with ``cluster_centers_``) or its
        centers, with the same number of clusters and features. Clusters are matched by minimum
        total squared distance between centers (Hungarian algorithm), so a refit on new data keeps
        the segment numbers that dashboards already show. See also :func:`align_labels`.
        """
        check_is_fitted(self)
        aligned = copy.copy(self)
        aligned._model = self._model.aligned_to(_centers_of(reference))
        adopt(aligned, aligned._model, "cluster_centers labels")
        return aligned

    @property
    def converged_(self) -> bool:
        """Whether the best run converged (segcore-only; scikit-learn does not expose it)."""
        check_is_fitted(self)
        return bool(self._model.converged)


class MiniBatchKMeans(_KMeansFamily):
    """Mini-batch k-means, a drop-in for ``sklearn.cluster.MiniBatchKMeans``, with
    ``partial_fit`` for customer bases that arrive in chunks or do not fit in memory.

    Parameters and their meaning are scikit-learn's: ``batch_size`` rows per step (drawn with
    probability proportional to ``sample_weight`` in ``fit``), ``reassignment_ratio`` moves
    clusters whose accumulated weight is below that fraction of the largest to random batch rows,
    ``max_no_improvement`` stops when the smoothed batch inertia stops improving, ``tol`` (relative
    to the mean feature variance, 0 disables it) stops on small center moves. ``n_init="auto"``
    runs 1 initialisation with ``"k-means++"`` or an array, 3 with ``"random"``, each on
    ``init_size`` sampled rows. Results match scikit-learn's statistically (the random draws
    differ), and are bit-identical for a given ``random_state`` on any number of threads.

    ``partial_fit(X)`` runs one step on all rows of ``X``; the first call initialises the centers
    from that batch. ``labels_`` and ``inertia_`` then describe the last batch.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> mbk = segcore.MiniBatchKMeans(n_clusters=2, batch_size=6, random_state=0).fit(X)
    >>> sorted(np.bincount(mbk.labels_).tolist())
    [3, 3]
    >>> stream = segcore.MiniBatchKMeans(n_clusters=2, random_state=0)
    >>> stream = stream.partial_fit(X[:3]).partial_fit(X[3:])
    >>> stream.n_steps_
    2
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: KMeansInit = "k-means++",
        max_iter: int = 100,
        batch_size: int = 1024,
        verbose: int = 0,
        compute_labels: bool = True,
        random_state: RandomState = None,
        tol: float = 0.0,
        max_no_improvement: Optional[int] = 10,
        init_size: Optional[int] = None,
        n_init: Union[int, str] = "auto",
        reassignment_ratio: float = 0.01,
    ) -> None:
        store_params(self, locals())

    _fitted = _KMeansFamily._fitted + " n_steps"

    def _fit_model(
        self, data: np.ndarray, weights: Optional[np.ndarray], start_stream: bool = False
    ) -> _segcore.MiniBatchKMeansModel:
        init_size = self.init_size
        if init_size is not None and int_param("init_size", init_size) < int(self.n_clusters):
            warnings.warn(
                f"init_size={init_size} should be larger than n_clusters={self.n_clusters}. "
                "Setting it to min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=4,
            )
        return _segcore.MiniBatchKMeansModel.fit(
            data, weights, **_init_args(self, data), compute_labels=bool(self.compute_labels),
            start_stream=start_stream, **core_params(self, int="n_clusters max_iter batch_size max_no_improvement? "
                                                     "init_size?", float="tol reassignment_ratio"),
        )

    def fit(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> "MiniBatchKMeans":
        """Compute the centers on ``X`` by mini-batches."""
        self._fit(X, sample_weight)
        return self

    def partial_fit(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> "MiniBatchKMeans":
        """Update the centers with one mini-batch step on all rows of ``X``.

        The first call (or the first after changing parameters with ``set_params`` and calling
        ``fit``) initialises the centers from ``X``; later calls need the same features.
        """
        if getattr(self, "_model", None) is None:
            data, weights, names = self._fit_input(X, sample_weight)
            model = self._fit_model(data, weights, start_stream=True)
        else:
            model, names = self._weighted("partial_fit", X, sample_weight), getattr(self, "feature_names_in_", None)
        self._warn(model, stacklevel=2)
        self._set_fitted(model, names)
        return self

    @property
    def counts_(self) -> np.ndarray:
        """Accumulated weight assigned to each center (segcore-only; scikit-learn keeps it private)."""
        check_is_fitted(self)
        return self._model.counts
