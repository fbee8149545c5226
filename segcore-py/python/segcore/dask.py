"""segcore on Dask: fit on dask arrays and DataFrames without gathering the rows to one process.

Every partition computes mergeable partial statistics in segcore's Rust core
(``segcore._segcore.partition_task_run``); they are merged in a fixed tree over the partition
order (``split_every`` at a time) and handed to the core's driver, which decides the next pass.
This module only moves those values: every number is computed by the core, so a fit gives the
same numbers as on a laptop (and, for a given partitioning, the same bits on any cluster).

- :class:`KMeans` (k-means|| or given initial centers, then Lloyd), :class:`MiniBatchKMeans`
  (``partial_fit`` over the partitions in order), :class:`GaussianMixture` (EM, one pass over
  the partitions per iteration), :class:`StandardScaler`, :class:`PCA`;
- :func:`behaviour_features` / :func:`rfm` on a Dask DataFrame transaction log (shuffled by
  customer, then the in-memory function per partition);
- :func:`predict`: any fitted segcore model scored partition by partition (the model travels
  to the workers as its JSON document).

Fitted attributes are numpy arrays; ``labels_`` is a lazy dask array (scikit-learn / dask-ml
conventions).
"""

from __future__ import annotations

import warnings
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
from ._base import BaseEstimator, ClusterMixin, TransformerMixin

from . import _segcore
from ._base import seed_from
from .exceptions import ConvergenceWarning, DataError

try:  # pragma: no cover - exercised only without dask
    import dask
    import dask.array as da
    import dask.dataframe as dd
    from dask import delayed
except ImportError as error:  # pragma: no cover
    raise ImportError("segcore.dask needs dask: pip install 'dask[distributed,dataframe]'") from error

__all__ = [
    "KMeans",
    "MiniBatchKMeans",
    "GaussianMixture",
    "StandardScaler",
    "PCA",
    "behaviour_features",
    "rfm",
    "predict",
]


# ---------------------------------------------------------------------------------------------
# Moving partitions and partial statistics
# ---------------------------------------------------------------------------------------------


def _frame_block(part: Any, columns: List[str], index: int, dtype: Any) -> np.ndarray:
    """One DataFrame partition as a float matrix, after checking it has the expected columns."""
    got = [str(c) for c in part.columns]
    if got != columns:
        raise DataError(
            f"partition {index} has columns {got}, expected {columns} (the columns of the "
            "first partition / the DataFrame's metadata)"
        )
    return _aligned(part.to_numpy(dtype=dtype), dtype)


def _aligned(block: Any, dtype: Any) -> np.ndarray:
    """C-contiguous and aligned: blocks unpickled on a worker can sit at unaligned addresses."""
    return np.require(block, dtype=dtype, requirements=["C", "A"])


def _run_task(task: str, block: Any, partition: int, weights: Any = None) -> str:
    """One partition task on a worker (the block in its own dtype, aligned; its sample weights
    in the same dtype)."""
    block = np.asarray(block)
    dtype = np.float32 if block.dtype == np.float32 else np.float64
    if weights is not None:
        weights = _aligned(np.asarray(weights, dtype=dtype).reshape(-1), dtype)
    return _segcore.partition_task_run(task, _aligned(block, dtype), partition, weights)


def _dtype_of(dtypes: Sequence[Any]) -> Any:
    return np.float32 if dtypes and all(np.dtype(d) == np.float32 for d in dtypes) else np.float64


class _Blocks:
    """The row blocks of a dask array or DataFrame, in partition order, as delayed numpy arrays."""

    def __init__(self, X: Any, persist: bool = True, sample_weight: Any = None) -> None:
        self.names: Optional[np.ndarray] = None
        self.weights: Optional[List[Any]] = None
        if isinstance(X, dd.DataFrame):
            self.names = np.asarray([str(c) for c in X.columns], dtype=object)
            self.dtype = _dtype_of(list(X.dtypes))
            if persist:
                X = X.persist()
            columns = list(self.names)
            self.blocks = [
                delayed(_frame_block, pure=True)(part, columns, i, self.dtype)
                for i, part in enumerate(X.to_delayed())
            ]
            self.n_features = len(columns)
        elif isinstance(X, da.Array):
            if X.ndim != 2:
                raise DataError(f"X must be 2-D (rows x features), got {X.ndim}-D")
            self.dtype = np.float32 if X.dtype == np.float32 else np.float64
            X = X.astype(self.dtype)
            if X.numblocks[1] != 1:
                X = X.rechunk({1: -1})
            if persist:
                X = X.persist()
            self.blocks = list(X.to_delayed()[:, 0])
            self.n_features = X.shape[1]
        else:
            raise TypeError(
                f"expected a dask array or dask DataFrame, got {type(X).__name__}; use the "
                "estimators of segcore for in-memory data"
            )
        self.X = X
        if sample_weight is not None:
            self.weights = self._weight_blocks(X, sample_weight, persist)

    def _weight_blocks(self, X: Any, sample_weight: Any, persist: bool) -> List[Any]:
        """The sample weights in X's row blocks: a dask array (rechunked to X's row chunks) for
        an array X, a dask Series with X's partitions for a DataFrame X."""
        if isinstance(X, da.Array):
            if not isinstance(sample_weight, da.Array):
                sample_weight = da.from_array(np.asarray(sample_weight, dtype=np.float64), chunks=(X.chunks[0],))
            if sample_weight.ndim != 1 or sample_weight.shape[0] != X.shape[0]:
                raise DataError(
                    f"sample_weight must have one weight per row of X ({X.shape[0]}), got shape "
                    f"{sample_weight.shape}"
                )
            weights = sample_weight.rechunk((X.chunks[0],))
            if persist:
                weights = weights.persist()
            self.weight_collection = weights  # keeps persisted blocks alive for the passes
            return list(weights.to_delayed())
        if not isinstance(sample_weight, (dd.Series, dd.DataFrame)):
            raise TypeError(
                "sample_weight for a dask DataFrame must be a dask Series with the DataFrame's "
                f"partitions (e.g. a column of it), got {type(sample_weight).__name__}"
            )
        if sample_weight.npartitions != X.npartitions:
            raise DataError(
                f"sample_weight has {sample_weight.npartitions} partitions, X has {X.npartitions}; "
                "give it X's partitions (e.g. a column of the same DataFrame)"
            )
        if persist:
            sample_weight = sample_weight.persist()
        self.weight_collection = sample_weight  # keeps persisted partitions alive for the passes
        return list(sample_weight.to_delayed())

    @property
    def float32(self) -> bool:
        return self.dtype == np.float32

    def run(self, task: str, split_every: int = 8) -> str:
        """Runs ``task`` on every partition and merges the results in a fixed tree (partition
        order), computing only the merged statistics on the client."""
        weights = self.weights or [None] * len(self.blocks)
        parts = [
            delayed(_run_task, pure=True)(task, block, i, w)
            for i, (block, w) in enumerate(zip(self.blocks, weights))
        ]
        if not parts:
            raise DataError("X has no partitions")
        while len(parts) > 1:
            parts = [
                delayed(_segcore.partial_merge, pure=True)(parts[i : i + split_every])
                for i in range(0, len(parts), split_every)
            ]
        return parts[0].compute()


def _map_rows(X: Any, function: Any, dtype: Any, width: Optional[int]) -> Any:
    """``function`` (numpy rows -> numpy) applied partition by partition: a dask array for a dask
    array or DataFrame (partition sizes are computed for a DataFrame)."""
    if isinstance(X, dd.DataFrame):
        X = X.to_dask_array(lengths=True)
    if isinstance(X, da.Array):
        X = X.rechunk({1: -1}) if X.numblocks[1] != 1 else X
        if width is None:
            return X.map_blocks(function, drop_axis=1, dtype=dtype)
        return X.map_blocks(function, chunks=(X.chunks[0], (width,)), dtype=dtype)
    raise TypeError(f"expected a dask array or dask DataFrame, got {type(X).__name__}")


class _Apply:
    """A picklable ``rows -> model.method(rows)`` (the model pickles as its JSON document)."""

    def __init__(self, model: Any, method: str, dtype: Any) -> None:
        self.model, self.method, self.dtype = model, method, dtype

    def __call__(self, block: np.ndarray) -> np.ndarray:
        rows = _aligned(block, self.dtype)
        return np.asarray(getattr(self.model, self.method)(rows))


# ---------------------------------------------------------------------------------------------
# Estimators
# ---------------------------------------------------------------------------------------------


class KMeans(ClusterMixin, TransformerMixin, BaseEstimator):
    """Exact k-means (Lloyd) on a dask array or DataFrame, dask-ml style.

    ``init="k-means||"`` (also accepted as ``"k-means++"``) runs the scalable k-means++ of
    Bahmani et al. with the candidates weighted by the rows nearest to them; an array of shape
    (n_clusters, n_features) starts from those centers. The iterations are those of
    :class:`segcore.KMeans` (``tol`` relative to the mean feature variance, empty clusters
    re-seeded with the farthest row), so from the same initial centers the centers and labels
    equal the single-machine fit's. ``n_init`` k-means|| starts (seeds derived from
    ``random_state``; the first keeps it) each run to the end, and the lowest inertia wins.
    ``sample_weight`` weights the rows as :class:`segcore.KMeans` does (all ones: the bits of no
    weights).

    The data is persisted in worker memory for the iterations (``persist=False`` re-reads it on
    every pass). ``cluster_centers_`` is numpy; ``labels_`` is a lazy dask array.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means||",
        n_init: Any = 1,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: Any = None,
        oversampling_factor: Optional[float] = None,
        init_max_iter: int = 5,
        persist: bool = True,
        split_every: int = 8,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.oversampling_factor = oversampling_factor
        self.init_max_iter = init_max_iter
        self.persist = persist
        self.split_every = split_every

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "KMeans":
        """Fit on ``X`` (a dask array or DataFrame, rows are customers), each row weighted by
        ``sample_weight`` (a dask array for an array X, a dask Series with X's partitions for a
        DataFrame X)."""
        blocks = _Blocks(X, persist=bool(self.persist), sample_weight=sample_weight)
        centers = None
        if not isinstance(self.init, str):
            centers = np.asarray(self.init, dtype=np.float64)
        elif self.init not in ("k-means||", "k-means++"):
            from .exceptions import InvalidParameterError

            raise InvalidParameterError(
                f"invalid parameter `init` = {self.init!r}: expected 'k-means||' or an array of "
                "shape (n_clusters, n_features)"
            )
        driver = _segcore.KMeansDriver(
            n_clusters=int(self.n_clusters),
            init_centers=centers,
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            random_state=seed_from(self.random_state),
            n_init=None if self.n_init in (None, "auto") else int(self.n_init),
            float32=blocks.float32,
            oversampling_factor=self.oversampling_factor,
            init_rounds=int(self.init_max_iter),
        )
        while (task := driver.next_task()) is not None:
            driver.receive(blocks.run(task, int(self.split_every)))
        model = _segcore.KMeansModel.from_json(driver.model_json())
        for message in model.warnings:
            warnings.warn(message, ConvergenceWarning, stacklevel=2)
        self._model = model
        self.cluster_centers_ = model.cluster_centers
        self.inertia_ = model.inertia
        self.n_iter_ = model.n_iter
        self.n_features_in_ = blocks.n_features
        if blocks.names is not None:
            self.feature_names_in_ = blocks.names
        self.labels_ = self.predict(blocks.X)
        return self

    def predict(self, X: Any) -> Any:
        """Closest cluster of every row, as a lazy dask array of int32."""
        return _map_rows(X, _Apply(self._model, "predict", self.cluster_centers_.dtype), np.int32, None)

    def transform(self, X: Any) -> Any:
        """Distances of every row to every center, as a lazy dask array."""
        dtype = self.cluster_centers_.dtype
        return _map_rows(X, _Apply(self._model, "transform", dtype), dtype, self.n_clusters)

    def to_local(self) -> Any:
        """The fitted model as a :class:`segcore.KMeans` (save it, profile it, serve it)."""
        from .cluster import KMeans as LocalKMeans

        local = LocalKMeans(n_clusters=self.n_clusters, random_state=self.random_state)
        local._set_fitted(self._model, getattr(self, "feature_names_in_", None))
        local.labels_ = np.zeros(0, dtype=np.int32)
        return local


def _partial_fit(estimator: Any, block: np.ndarray, weights: Any = None) -> Any:
    if block.shape[0] == 0:
        return estimator
    block = np.asarray(block)
    dtype = np.float32 if block.dtype == np.float32 else np.float64
    if weights is not None:
        weights = _aligned(np.asarray(weights, dtype=dtype).reshape(-1), dtype)
    return estimator.partial_fit(_aligned(block, dtype), sample_weight=weights)


class MiniBatchKMeans(KMeans):
    """Mini-batch k-means streamed over the partitions in order: ``partial_fit`` of
    :class:`segcore.MiniBatchKMeans` on each partition in turn, on the workers (the estimator
    moves from one partition's worker to the next, as dask-ml's ``Incremental``)."""

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        batch_size: int = 1024,
        random_state: Any = None,
        persist: bool = False,
    ) -> None:
        self.n_clusters = n_clusters
        self.batch_size = batch_size
        self.random_state = random_state
        self.persist = persist

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "MiniBatchKMeans":
        """One pass of ``partial_fit`` over the partitions of ``X`` in order, each row weighted
        by ``sample_weight`` (as in :meth:`KMeans.fit`) if given."""
        from .cluster import MiniBatchKMeans as LocalMiniBatch

        self._local = LocalMiniBatch(
            n_clusters=self.n_clusters, batch_size=self.batch_size, random_state=self.random_state
        )
        return self.partial_fit(X, sample_weight=sample_weight)

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "MiniBatchKMeans":
        """Update the model with every partition of ``X``, in partition order (each row
        weighted by ``sample_weight`` if given)."""
        if not hasattr(self, "_local"):
            return self.fit(X, sample_weight=sample_weight)
        blocks = _Blocks(X, persist=bool(self.persist), sample_weight=sample_weight)
        estimator: Any = delayed(self._local)
        weights = blocks.weights or [None] * len(blocks.blocks)
        for block, w in zip(blocks.blocks, weights):
            estimator = delayed(_partial_fit, pure=True)(estimator, block, w)
        self._local = estimator.compute()
        self._model = self._local._model
        self.cluster_centers_ = self._local.cluster_centers_
        self.n_features_in_ = blocks.n_features
        self.n_clusters = self._local.n_clusters
        if blocks.names is not None:
            self.feature_names_in_ = blocks.names
        self.labels_ = self.predict(blocks.X)
        return self

    def to_local(self) -> Any:
        """The fitted :class:`segcore.MiniBatchKMeans`."""
        return self._local


class GaussianMixture(ClusterMixin, BaseEstimator):
    """Gaussian mixture (EM) on a dask array or DataFrame, with the parameters of
    :class:`segcore.GaussianMixture` for scikit-learn's four covariance types.

    Every EM iteration is one pass over the partitions: each computes the fused E-step/M-step
    sums of the core, the client merges them in a fixed tree and runs the M-step. From the same
    start (``weights_init``, ``means_init`` and ``precisions_init``) the fit follows the
    single-machine iterations to rounding; ``init_params="kmeans"`` starts from a distributed
    k-means (k-means||) and one hard-assignment pass; with ``n_init`` above 1 that many starts
    run to the end and the highest lower bound wins. ``predict`` / ``predict_proba`` are lazy
    dask arrays; :meth:`to_local` gives the
    fitted :class:`segcore.GaussianMixture`.
    """

    _estimator_type = "DensityEstimator"
    _local: Any  # the fitted segcore.GaussianMixture (set by fit)

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init: Any = None,
        means_init: Any = None,
        precisions_init: Any = None,
        random_state: Any = None,
        persist: bool = True,
        split_every: int = 8,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.persist = persist
        self.split_every = split_every

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "GaussianMixture":
        """Fit on ``X`` (a dask array or DataFrame, rows are customers), each row weighted by
        ``sample_weight`` as in :meth:`KMeans.fit`."""
        from .mixture import adopt_mixture, em_settings

        blocks = _Blocks(X, persist=bool(self.persist), sample_weight=sample_weight)
        driver = _segcore.GmmDriver(**em_settings(self), float32=blocks.float32)
        while (task := driver.next_task()) is not None:
            driver.receive(blocks.run(task, int(self.split_every)))
        adopt_mixture(self, driver.model_json(), blocks.names)
        return self

    def predict(self, X: Any) -> Any:
        """Most probable component of every row, as a lazy dask array of int64."""
        return _map_rows(X, _Apply(self._local._model, "predict", self.means_.dtype), np.int64, None)

    def predict_proba(self, X: Any) -> Any:
        """Membership probabilities of every row, as a lazy dask array."""
        dtype = self.means_.dtype
        return _map_rows(X, _Apply(self._local._model, "predict_proba", dtype), dtype, self.n_components)

    def to_local(self) -> Any:
        """The fitted model as a :class:`segcore.GaussianMixture` (save it, profile it, serve it)."""
        return self._local


def _moments_task(kind: str, weighted: bool) -> str:
    return f'{{"task":"{"weighted_" if weighted else ""}{kind}"}}'


class StandardScaler(TransformerMixin, BaseEstimator):
    """Column standardisation fitted from per-partition moments (Chan et al.'s merge); with
    ``sample_weight``, the weighted mean and variance of scikit-learn's
    ``StandardScaler.fit(sample_weight=...)``."""

    def __init__(self, *, with_mean: bool = True, with_std: bool = True, split_every: int = 8) -> None:
        self.with_mean = with_mean
        self.with_std = with_std
        self.split_every = split_every

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "StandardScaler":
        """Fit on ``X`` (a dask array or DataFrame), each row weighted by ``sample_weight`` (as
        in :meth:`KMeans.fit`) if given."""
        blocks = _Blocks(X, persist=False, sample_weight=sample_weight)
        stats = blocks.run(_moments_task("column_moments", sample_weight is not None), int(self.split_every))
        document = _segcore.scaler_from_moments(
            stats, bool(self.with_mean), bool(self.with_std), blocks.float32
        )
        model = _segcore.StandardScalerModel.from_json(document)
        self._model = model
        self.mean_ = model.mean
        self.scale_ = model.scale
        self.var_ = model.variance
        self.n_features_in_ = blocks.n_features
        if blocks.names is not None:
            self.feature_names_in_ = blocks.names
        return self

    def transform(self, X: Any) -> Any:
        """Scaled rows, as a lazy dask array."""
        dtype = self.mean_.dtype
        return _map_rows(X, _Apply(self._model, "transform", dtype), dtype, self.n_features_in_)


class PCA(TransformerMixin, BaseEstimator):
    """PCA from the covariance merged over partitions (scikit-learn's ``covariance_eigh``); with
    ``sample_weight``, the weighted PCA of :class:`segcore.PCA` (frequency weights)."""

    def __init__(self, n_components: Any = None, *, whiten: bool = False, split_every: int = 8) -> None:
        self.n_components = n_components
        self.whiten = whiten
        self.split_every = split_every

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "PCA":
        """Fit on ``X`` (a dask array or DataFrame), each row weighted by ``sample_weight`` (as
        in :meth:`KMeans.fit`) if given."""
        blocks = _Blocks(X, persist=False, sample_weight=sample_weight)
        stats = blocks.run(_moments_task("covariance_moments", sample_weight is not None), int(self.split_every))
        count, fraction = None, None
        if isinstance(self.n_components, float) and 0 < self.n_components < 1:
            fraction = float(self.n_components)
        elif self.n_components is not None:
            count = int(self.n_components)
        document = _segcore.pca_from_moments(
            stats,
            n_components=count,
            variance_fraction=fraction,
            whiten=bool(self.whiten),
            float32=blocks.float32,
        )
        model = _segcore.PcaModel.from_json(document)
        self._model = model
        self.components_ = model.components
        self.explained_variance_ = model.explained_variance
        self.explained_variance_ratio_ = model.explained_variance_ratio
        self.singular_values_ = model.singular_values
        self.mean_ = model.mean
        self.noise_variance_ = model.noise_variance
        self.n_components_ = model.n_components
        self.n_samples_ = model.n_samples
        self.n_features_in_ = blocks.n_features
        if blocks.names is not None:
            self.feature_names_in_ = blocks.names
        return self

    def transform(self, X: Any) -> Any:
        """Component scores, as a lazy dask array."""
        dtype = self.components_.dtype
        return _map_rows(X, _Apply(self._model, "transform", dtype), dtype, self.n_components_)


# ---------------------------------------------------------------------------------------------
# Transaction logs and scoring
# ---------------------------------------------------------------------------------------------


def _default_as_of(transactions: Any, date: str) -> Any:
    import pandas as pd

    last = pd.Timestamp(transactions[date].max().compute())
    return (last.normalize() + pd.Timedelta(days=1)).date()


def _meta_of(function: Any, transactions: Any, kwargs: dict) -> Any:
    sample = transactions.get_partition(0).head(1000, compute=True) if transactions.npartitions else None
    if sample is None or len(sample) == 0:
        sample = transactions.head(1000, npartitions=-1)
    return function(sample, **kwargs).iloc[:0]


def behaviour_features(
    transactions: Any,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    as_of: Any = None,
    **kwargs: Any,
) -> Any:
    """:func:`segcore.behaviour_features` of a Dask DataFrame log: the log is shuffled so each
    customer's lines sit in one partition, then the in-memory function runs per partition with
    one global ``as_of`` (default: the day after the last transaction of the whole log).
    Returns a Dask DataFrame indexed by customer, like the in-memory result."""
    from . import features

    if as_of is None:
        as_of = _default_as_of(transactions, date)
    options = dict(customer=customer, date=date, amount=amount, as_of=as_of, **kwargs)
    meta = _meta_of(features.behaviour_features, transactions, options)
    shuffled = transactions.shuffle(on=customer)
    return shuffled.map_partitions(features.behaviour_features, meta=meta, **options)


def rfm(
    transactions: Any,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    as_of: Any = None,
    n_scores: int = 5,
    rules: Any = None,
) -> Any:
    """:func:`segcore.rfm` of a Dask DataFrame log. Recency, frequency, monetary and tenure are
    computed per partition after a shuffle by customer; the scores are quantiles over all
    customers, so recency, frequency and monetary (three numbers per customer, not the log) are
    gathered and scored by :func:`segcore.rfm_scores`. Returns a pandas DataFrame indexed by
    customer (sorted), equal to the in-memory result customer by customer."""
    from . import features

    base = behaviour_features(
        transactions,
        customer=customer,
        date=date,
        amount=amount,
        as_of=as_of,
        features=["recency_days", "frequency", "monetary", "tenure_days"],
    ).compute()
    base = base.sort_index()
    scores = features.rfm_scores(
        base["recency_days"], base["frequency"], base["monetary"], n_scores=n_scores, rules=rules
    )
    return base.join(scores)


class _Score:
    """Picklable per-partition scoring: ``model.predict(partition)`` as a Series."""

    def __init__(self, model: Any, columns: Optional[List[str]]) -> None:
        self.model, self.columns = model, columns

    def __call__(self, part: Any) -> Any:
        import pandas as pd

        # A deep copy: the blocks of a partition unpickled on a worker can sit at unaligned
        # addresses, and the core reads aligned arrays only.
        frame = (part if self.columns is None else part[self.columns]).copy(deep=True)
        if len(frame) == 0:
            return pd.Series(np.zeros(0, dtype=np.int64), index=part.index, name="segment")
        labels = self.model.predict(frame)
        if isinstance(labels, pd.DataFrame):
            return labels
        return pd.Series(np.asarray(labels, dtype=np.int64), index=part.index, name="segment")


#: Column holding the customers' own index while the shuffle by customer indexes them by piece.
_INDEX = "__segcore_index"


def _keyed(part: Any, id_column: str, n: int, lines: bool, partition_info: Any = None) -> Any:
    """``part`` with the piece of each row's customer (``_log_scoring.KEY``) and, for a log, each
    line's position in the log (``_log_scoring.LINE``: partition number, then row); for the
    customers, their index as a column (``_INDEX``: the shuffle indexes them by piece)."""
    from . import _log_scoring as log_scoring
    from .exceptions import ColumnError

    if id_column in part.columns:
        ids = part[id_column].to_numpy()
    elif getattr(part.index, "name", None) == id_column:
        ids = part.index.to_numpy()
    else:
        raise ColumnError(
            f"unknown column `{id_column}`; available columns: {', '.join(map(str, part.columns))}"
        )
    out = part.assign(**{log_scoring.KEY: log_scoring.bucket_of(ids, n)})
    if lines:
        number = 0 if partition_info is None else int(partition_info["number"])
        out[log_scoring.LINE] = (np.int64(number) << np.int64(40)) + np.arange(len(part), dtype=np.int64)
    else:
        out[_INDEX] = part.index
    return out


def _by_piece(keyed: Any, n: int) -> Any:
    """``keyed`` (with ``_log_scoring.KEY`` in 0..n) in ``n`` partitions, partition ``i`` holding
    exactly the rows of piece ``i``: ``set_index`` on the piece with the divisions 0, 1, ..., n,
    whose contract (partition ``i`` holds the index values in ``[i, i + 1)``, the last one
    ``[n - 1, n]``) is what pairs the customers' and the log's partitions, however each was
    partitioned before."""
    from . import _log_scoring as log_scoring

    return keyed.set_index(log_scoring.KEY, divisions=list(range(n + 1)))


class _Pair:
    """Partition ``i`` of the customers and of the log (both indexed by piece) scored together:
    checks that both hold piece ``i`` only, gives the customers their own index back and scores
    them (``_log_scoring.Score``)."""

    def __init__(self, score: Any, index_name: Any) -> None:
        self.score, self.index_name = score, index_name

    def __call__(self, customers: Any, lines: Any, piece: int) -> Any:
        for what, part in (("customers", customers), ("transaction lines", lines)):
            keys = np.asarray(part.index)
            if len(keys) and bool((keys != piece).any()):
                raise RuntimeError(
                    f"partition {piece} of the {what} holds piece {keys[keys != piece][0]} after "
                    "the shuffle by customer (the pieces are not co-partitioned)"
                )
        customers = customers.set_index(_INDEX)
        customers.index.name = self.index_name
        lines = lines.reset_index(drop=True)
        return self.score(customers, lines, f"partition {piece} (after the shuffle by customer)")


def _predict_with_log(model: Any, customers: Any, transactions: Any, npartitions: Optional[int]) -> Any:
    """A Segmenter with behaviour features on a Dask customer frame and log: one date for all
    partitions, then both frames shuffled by customer and scored partition by partition."""
    from . import _log_scoring as log_scoring

    customer, id_column, date = log_scoring.log_columns(model, [str(c) for c in transactions.columns])
    last_days = dask.compute(*[delayed(log_scoring.LastDay(date))(p) for p in transactions.to_delayed()])
    as_of = log_scoring.as_of_of(model, list(last_days))
    n = int(npartitions or max(customers.npartitions, transactions.npartitions))
    sample = customers.get_partition(0).head(5, compute=True)
    if len(sample) == 0:
        sample = customers.head(5, npartitions=-1)
    meta = log_scoring.meta_of(model, sample, transactions._meta, as_of)
    key_meta = {log_scoring.KEY: np.int64(0)}
    keyed_customers = customers.map_partitions(
        _keyed, id_column, n, False,
        meta=customers._meta.assign(**key_meta, **{_INDEX: customers._meta.index}),
    )
    keyed_log = transactions.map_partitions(
        _keyed, customer, n, True,
        meta=transactions._meta.assign(**key_meta, **{log_scoring.LINE: np.int64(0)}),
    )
    left = _by_piece(keyed_customers, n).to_delayed()
    right = _by_piece(keyed_log, n).to_delayed()
    if len(left) != n or len(right) != n:
        raise RuntimeError(f"the shuffle by customer gave {len(left)} and {len(right)} partitions, not {n}")
    pair = _Pair(log_scoring.Score(model, as_of, meta), customers._meta.index.name)
    parts = [delayed(pair, pure=True)(c, lines, i) for i, (c, lines) in enumerate(zip(left, right))]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def predict(model: Any, customers: Any, transactions: Any = None, *, npartitions: Optional[int] = None) -> Any:
    """Scores ``customers`` (a Dask DataFrame) partition by partition with any fitted segcore
    model (an estimator of :mod:`segcore`, a :class:`segcore.Segmenter`, or one of this module's
    estimators). The model reaches the workers as its JSON document (pickling goes through it).
    Returns a Dask Series ``segment`` (or a DataFrame for a Segmenter), indexed like
    ``customers``.

    ``transactions`` (a Dask DataFrame log, for a Segmenter fitted with behaviour features): the
    behaviour is measured at one date for the whole log (the Segmenter's ``as_of``, else the day
    after the log's last line, found in one pass over the date column); then the customers and
    the log are shuffled by customer into ``npartitions`` partitions (default: the larger
    partition count), so every customer's row and lines meet in one partition, and each partition
    is scored as :meth:`segcore.Segmenter.predict` scores the whole log. The pairing is explicit:
    each row's piece is a hash of its customer id, and both frames are ``set_index`` on the piece
    with the same divisions ``0, 1, ..., npartitions``, so partition ``i`` of both holds piece
    ``i`` whatever the input partitionings (checked when scored). The result equals the
    in-memory predict customer by customer; its rows come in the shuffled order, indexed like
    ``customers``."""
    if hasattr(model, "to_local"):
        model = model.to_local()
    from . import _log_scoring as log_scoring

    if log_scoring.reads_log(model, transactions):
        return _predict_with_log(model, customers, transactions, npartitions)
    from .segmenter import Segmenter

    names = getattr(model, "feature_names_in_", None)
    # A Segmenter reads its own columns (and reports the customer id, as in memory).
    columns = [str(c) for c in names] if names is not None and not isinstance(model, Segmenter) else None
    score = _Score(model, columns)
    meta_frame = customers._meta if columns is None else customers._meta[columns]
    try:
        meta = score(customers.head(5, npartitions=-1)).iloc[:0]
    except Exception:  # noqa: BLE001 - fall back to the plain label Series
        import pandas as pd

        meta = pd.Series(np.zeros(0, dtype=np.int64), index=meta_frame.index, name="segment")
    return customers.map_partitions(score, meta=meta)
