"""Ward hierarchical clustering with scikit-learn's interface and scipy's linkage format."""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from . import _segcore
from ._progress import progress_callback
from ._base import BaseEstimator, ClusterMixin, CoreModelMixin, check_is_fitted, core_method, core_params
from ._base import float_param, int_param, seed_from, store_params
from ._typing import Ignored, MatrixLike, Progress, RandomState, SampleWeight
from .exceptions import InvalidParameterError

__all__ = ["Ward", "ward_linkage"]


def ward_linkage(X: MatrixLike, sample_weight: SampleWeight = None, *, progress: Progress = None) -> np.ndarray:
    """Ward's merge tree of the rows of ``X`` in scipy's linkage format.

    Equal to ``scipy.cluster.hierarchy.linkage(X, method="ward")`` (heights to ~1e-12 relative,
    scipy's cluster numbering and tie rules), but computed by a nearest-neighbour chain over
    cluster centroids in O(n * d) memory instead of scipy's O(n^2) distance matrix, so 100,000+
    customers fit. The result works unchanged with ``scipy.cluster.hierarchy.dendrogram`` and
    ``fcluster``.

    With ``sample_weight`` a row stands for that many customers: Ward's sizes become weight sums
    (column 3 of the result stays the count of rows).

    ``progress``: ``None`` shows a progress bar only in an interactive session for 20,000+
    rows; ``True``/``False`` force it; a callable receives ``(merges_done, merges_total)``.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> Z = segcore.ward_linkage(np.array([[0.0], [1.0], [3.0], [7.0], [15.0]]))
    >>> Z.shape
    (4, 4)
    >>> Z[0].tolist()
    [0.0, 1.0, 1.0, 2.0]
    """
    data, weights, _ = CoreModelMixin._fit_input(X, sample_weight)
    callback, close = progress_callback(progress, "Ward tree", data.shape[0])
    try:
        return _segcore.ward_linkage(data, weights, progress=callback)
    finally:
        close()


class Ward(CoreModelMixin, ClusterMixin, BaseEstimator):
    """Ward hierarchical clustering: the merge tree (dendrogram) plus a cut into segments.

    Builds Ward's tree exactly as scipy (``linkage(X, method="ward")``) and scikit-learn
    (``AgglomerativeClustering(linkage="ward")``) do, in O(n * d) memory, then cuts it into
    ``n_clusters`` segments or at ``distance_threshold`` (set exactly one; for the tree alone
    use :func:`ward_linkage`). The tree is kept, so :meth:`cut` re-cuts it without refitting.

    Unlike scikit-learn's estimator, a fitted ``Ward`` can ``predict`` new customers: each goes
    to the nearest segment centroid (Euclidean), the natural reading of Ward's criterion for a
    point that is not in the tree. It can be re-cut (:meth:`cut`) or have one segment split into
    sub-segments (:meth:`split_segment`) without recomputing the tree.

    Parameters
    ----------
    n_clusters : int or None
        Number of segments (scipy ``fcluster(criterion="maxclust")``; fewer when merge heights
        tie exactly at the cut).
    distance_threshold : float or None
        Cut height: rows whose clusters merge strictly below it share a segment (scikit-learn's
        meaning).
    micro_clusters : int or None
        Two-stage mode for millions of rows: k-means into this many weighted micro-clusters,
        then exact weighted Ward on their centroids (an approximation; exact when the data has
        no more rows than this). ``None`` (default) is exact Ward. The route beyond ~50,000
        rows: exact Ward's scans grow with the square of the rows (20,000 x 8 takes seconds,
        1,000,000 would take hours), the two-stage fit grows linearly.
    micro_max_iter : int
        k-means iterations of the two-stage mode.
    random_state : int, RandomState, Generator or None
        Seed of the two-stage k-means (exact Ward uses no randomness).
    progress : None, bool or callable
        ``None`` shows a progress bar only in an interactive session for 20,000+ rows;
        ``True``/``False`` force it; a callable receives ``(merges_done, merges_total)``.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Segment of every training row, numbered by first appearance.
    linkage_ : ndarray of shape (n_leaves - 1, 4)
        The merge tree in scipy's linkage format.
    children_ : ndarray of shape (n_leaves - 1, 2)
        The merged clusters (scikit-learn's ``children_``; same numbering as scipy).
    distances_ : ndarray of shape (n_leaves - 1,)
        Merge heights (scikit-learn's ``distances_``).
    n_clusters_ : int
    n_leaves_ : int
        Rows, or micro-clusters in the two-stage mode.
    cluster_centers_ : ndarray of shape (n_clusters_, n_features_in_)
        Segment centroids (weighted means of their rows), used by ``predict``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0], [5.0, 5.2]])
    >>> model = segcore.Ward(n_clusters=2).fit(X)
    >>> model.labels_.tolist()
    [0, 0, 1, 1, 1]
    >>> model.predict(np.array([[4.0, 4.5]])).tolist()
    [1]
    """

    _fitted = ("labels linkage n_clusters n_leaves n_features_in_=n_features cluster_centers_=centroids "
               "micro_cluster_labels?")

    def __init__(
        self,
        n_clusters: Optional[int] = None,
        *,
        distance_threshold: Optional[float] = None,
        micro_clusters: Optional[int] = None,
        micro_max_iter: int = 20,
        random_state: RandomState = None,
        progress: Progress = None,
    ) -> None:
        store_params(self, locals())

    def fit(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> "Ward":
        """Build the tree of the rows of ``X`` and cut it."""
        self._fit(X, sample_weight)
        return self

    def _fit_model(self, data: np.ndarray, weights: Optional[np.ndarray]) -> _segcore.WardModel:
        callback, close = progress_callback(self.progress, "Ward tree", data.shape[0])
        try:
            return _segcore.WardModel.fit(
                data, weights, **core_params(self, int="n_clusters? micro_clusters? micro_max_iter",
                                             float="distance_threshold?"),
                # Exact Ward is deterministic: draw a seed only when the two-stage mode needs one.
                random_state=0 if self.micro_clusters is None else seed_from(self.random_state),
                progress=callback,
            )
        finally:
            close()

    def _set_fitted(self, model: _segcore.WardModel, names: Optional[np.ndarray]) -> None:
        super()._set_fitted(model, names)
        self.children_ = self.linkage_[:, :2].astype(np.intp)
        self.distances_ = self.linkage_[:, 2].copy()

    def _input_dtype(self) -> None:
        return None  # the Ward model reads either float type

    def _derived(self, model: _segcore.WardModel) -> "Ward":
        """A fitted copy of this estimator holding ``model`` (same tree, another cut)."""
        other = type(self)(**{**self.get_params(), "n_clusters": model.n_clusters, "distance_threshold": None})
        other._set_fitted(model, getattr(self, "feature_names_in_", None))
        return other

    predict = core_method("predict", "Nearest segment centroid (Euclidean) of each row of ``X``.")

    def fit_predict(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> np.ndarray:
        """Fit and return the training labels."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def cut(
        self, n_clusters: Optional[int] = None, *, distance_threshold: Optional[float] = None
    ) -> "Ward":
        """The same tree cut into ``n_clusters`` segments or at ``distance_threshold``
        (exactly one), as a new fitted ``Ward``; the data is not touched again."""
        check_is_fitted(self)
        if (n_clusters is None) == (distance_threshold is None):
            raise InvalidParameterError("invalid parameter `n_clusters`: set exactly one of n_clusters and distance_threshold")
        if n_clusters is not None:
            model = self._model.recut_n_clusters(int_param("n_clusters", n_clusters))
        else:
            model = self._model.recut_height(float_param("distance_threshold", distance_threshold))
        return self._derived(model)

    def split_segment(self, label: int, n_sub_segments: int) -> "Ward":
        """Segment ``label`` split into ``n_sub_segments`` along the tree, as a new fitted
        ``Ward``: other segments keep their labels, the first sub-segment keeps ``label`` and
        the others get new labels ``n_clusters_, n_clusters_ + 1, ...``."""
        check_is_fitted(self)
        return self._derived(self._model.split_segment(int_param("label", label), int_param("n_sub_segments", n_sub_segments)))

    def n_clusters_by_height(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(heights, n_clusters)``: the number of segments a cut just above each distinct
        merge height gives (for choosing k from the dendrogram)."""
        check_is_fitted(self)
        return self._model.n_clusters_by_height()

    @property
    def segment_weights_(self) -> np.ndarray:
        """Rows (or sample-weight sum) per segment (segcore-only)."""
        check_is_fitted(self)
        return self._model.segment_weights
