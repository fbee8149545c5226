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
  to the workers as its JSON document);
- :func:`read_parquet`: Parquet files as a dask array of rows, each block decoded on a worker
  by the core straight into the row-major floats the estimators compute on (the fast path for
  data that is re-read on every pass).

Fitted attributes are numpy arrays; ``labels_`` is a lazy dask array (scikit-learn's
conventions).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar, Union

import numpy as np
import numpy.typing as npt

from . import _engine, _segcore
from ._base import BaseEstimator, ClusterMixin, TransformerMixin, int_param, store_params
from ._engine import Distributed, Predictor
from ._typing import DateLike, Ignored, KMeansInit, RandomState
from .exceptions import ColumnError, DataError

try:  # pragma: no cover - exercised only without dask
    import dask
    import dask.array as da
    import dask.dataframe as dd
    from dask import delayed
except ImportError as error:  # pragma: no cover
    raise ImportError("segcore.dask needs dask: pip install 'dask[distributed,dataframe]'") from error

if TYPE_CHECKING:
    import datetime

    import pandas as pd
    from dask.delayed import Delayed
    from dask.typing import Key

    from .cluster import MiniBatchKMeans as LocalMiniBatchKMeans
    from .features import RfmRule

__all__ = [
    "KMeans", "MiniBatchKMeans", "GaussianMixture", "StandardScaler", "PCA", "behaviour_features", "rfm", "predict",
    "read_parquet",
]

#: What the estimators fit on: a dask array (rows x features) or a dask DataFrame.
Collection = Union[da.Array, dd.DataFrame]
#: Sample weights: a dask array (or what numpy reads as one) for an array X, a dask Series with
#: X's partitions for a DataFrame X.
DaskWeights = Union[da.Array, dd.Series, npt.ArrayLike, None]


# --- Moving partitions and partial statistics -----------------------------------------------------


@_engine.guarded("partition {index}")
def _frame_block(part: "pd.DataFrame", columns: List[str], index: int, dtype: _engine.FloatType) -> np.ndarray:
    """One DataFrame partition as a float matrix, after checking it has the expected columns."""
    got = [str(c) for c in part.columns]
    if got != columns:
        raise DataError(
            f"partition {index} has columns {got}, expected {columns} (the columns of the "
            "first partition / the DataFrame's metadata)"
        )
    return _engine.aligned(part.to_numpy(dtype=dtype), dtype)


class _Blocks:
    """The row blocks of a dask array or DataFrame, in partition order, as delayed numpy arrays
    (:class:`segcore._engine.Partitions`)."""

    def __init__(self, X: Collection, persist: bool, sample_weight: DaskWeights = None, split_every: int = 8) -> None:
        self.names: Optional[npt.NDArray[np.object_]] = None
        self.weights: Optional[List[Delayed]] = None
        self.split_every = int_param("split_every", split_every)
        self.weighted = sample_weight is not None
        if isinstance(X, dd.DataFrame):
            self.names = np.asarray([str(c) for c in X.columns], dtype=object)
            self.float32 = bool(len(X.dtypes)) and all(np.dtype(d) == np.float32 for d in X.dtypes)
            X = X.persist() if persist else X
            columns = list(self.names)
            dtype = np.float32 if self.float32 else np.float64
            self.blocks: Sequence[object] = [
                delayed(_frame_block, pure=True)(part, columns, i, dtype) for i, part in enumerate(X.to_delayed())
            ]
            self.n_features = len(columns)
        elif isinstance(X, da.Array):
            if X.ndim != 2:
                raise DataError(f"X must be 2-D (rows x features), got {X.ndim}-D")
            self.float32 = X.dtype == np.float32
            X = X.astype(np.float32 if self.float32 else np.float64)
            X = X.rechunk({1: -1}) if X.numblocks[1] != 1 else X
            X = X.persist() if persist else X
            # A read_parquet array read as it is (not persisted): each task decodes its file
            # where it runs, and a k-means pass streams it through the kernel without holding
            # the block (the same statistics, bit for bit).
            self.blocks = (None if persist else _parquet_blocks(X)) or list(X.to_delayed()[:, 0])
            self.n_features = int(X.shape[1])
        else:
            raise TypeError(
                f"expected a dask array or dask DataFrame, got {type(X).__name__}; use the "
                "estimators of segcore for in-memory data"
            )
        self.X = X
        if sample_weight is not None:
            self.weights = self._weight_blocks(X, sample_weight, persist)

    def _weight_blocks(self, X: Collection, sample_weight: DaskWeights, persist: bool) -> List[Delayed]:
        """The sample weights in X's row blocks: a dask array (rechunked to X's row chunks) for
        an array X, a dask Series with X's partitions for a DataFrame X."""
        weights: Union[da.Array, dd.Series]
        if isinstance(X, da.Array):
            array = sample_weight if isinstance(sample_weight, da.Array) else da.from_array(
                np.asarray(sample_weight, dtype=np.float64), chunks=(X.chunks[0],)
            )
            if array.ndim != 1 or array.shape[0] != X.shape[0]:
                raise DataError(
                    f"sample_weight must have one weight per row of X ({X.shape[0]}), got shape {array.shape}"
                )
            weights = array.rechunk((X.chunks[0],))
        elif not isinstance(sample_weight, (dd.Series, dd.DataFrame)):
            raise TypeError(
                "sample_weight for a dask DataFrame must be a dask Series with the DataFrame's "
                f"partitions (e.g. a column of it), got {type(sample_weight).__name__}"
            )
        elif sample_weight.npartitions != X.npartitions:
            raise DataError(
                f"sample_weight has {sample_weight.npartitions} partitions, X has {X.npartitions}; "
                "give it X's partitions (e.g. a column of the same DataFrame)"
            )
        else:
            weights = sample_weight  # type: ignore[assignment] # a one-column DataFrame reads alike
        # Kept: the persisted blocks stay alive for the passes.
        self.weight_collection = weights.persist() if persist else weights
        return list(self.weight_collection.to_delayed())

    def run(self, task: str, split_every: Optional[int] = None) -> str:
        """Runs ``task`` on every partition and merges the results in a fixed tree (partition
        order, ``split_every`` at a time), computing only the merged statistics on the client."""
        step = self.split_every if split_every is None else split_every
        weights: Sequence[Optional[Delayed]] = self.weights or [None] * len(self.blocks)
        parts = [delayed(_engine.run_task, pure=True)(task, b, i, w) for i, (b, w) in enumerate(zip(self.blocks, weights))]
        if not parts:
            raise DataError("X has no partitions")
        while len(parts) > 1:
            parts = [delayed(_merge, pure=True)(parts[i : i + step]) for i in range(0, len(parts), step)]
        return str(parts[0].compute())

    def drive(self, driver: _engine.Driver) -> None:
        """Runs ``driver`` to its end, one pass over the partitions per task."""
        _engine.drive(driver, self.run)


@_engine.guarded("merging the statistics of partitions")
def _merge(parts: List[str]) -> str:
    return _segcore.partial_merge(parts)


class _Apply:
    """A picklable ``rows -> model.method(rows)`` (the model pickles as its JSON document)."""

    def __init__(self, model: object, method: str, dtype: _engine.FloatType) -> None:
        self.model, self.method, self.dtype = model, method, dtype

    @_engine.guarded("block {block_id}")
    def __call__(self, block: np.ndarray, block_id: Optional[Tuple[int, ...]] = None) -> np.ndarray:
        return np.asarray(getattr(self.model, self.method)(_engine.aligned(block, self.dtype)))


def _mapped(method: str, doc: str, out: Optional[type] = None, width: Optional[str] = None) -> Callable[[Any, Collection], da.Array]:
    """An estimator's method mapping its fitted model's ``method`` over the rows of ``X`` (in the
    fitted float type), partition by partition: a lazy dask array of ``out`` (default: the
    fitted float type), one value per row, or as many as the attribute ``width`` says (partition
    sizes are computed for a DataFrame)."""

    def apply(self: Any, X: Collection) -> da.Array:
        model = getattr(self, "_local", self)._model
        if isinstance(X, dd.DataFrame):
            X = X.to_dask_array(lengths=True)
        if not isinstance(X, da.Array):
            raise TypeError(f"expected a dask array or dask DataFrame, got {type(X).__name__}")
        X = X.rechunk({1: -1}) if X.numblocks[1] != 1 else X
        function = _Apply(model, method, np.dtype(model.dtype).type)
        dtype = out or np.dtype(model.dtype).type
        if width is None:
            return da.map_blocks(function, X, drop_axis=1, dtype=dtype)
        return da.map_blocks(function, X, chunks=(X.chunks[0], (int(getattr(self, width)),)), dtype=dtype)

    apply.__name__, apply.__doc__ = method, doc
    return apply


# --- Reading Parquet into row blocks --------------------------------------------------------------

#: A file, a folder of Parquet files, a glob pattern, or a list of files.
ParquetPath = Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]]


#: The name prefix of :func:`read_parquet`'s arrays.
_READ_PARQUET = "segcore-read-parquet-"


def _parquet_blocks(X: object) -> Optional[List[_segcore.ParquetRows]]:
    """The blocks of ``X`` if it is a :func:`read_parquet` array as read (one task per block,
    nothing persisted or applied since), else None."""
    if not isinstance(X, da.Array) or not X.name.startswith(_READ_PARQUET):
        return None
    layer = getattr(X.__dask_graph__(), "layers", {}).get(X.name) or {}
    tasks = [layer.get((X.name, i, 0)) for i in range(X.numblocks[0])]
    blocks = [t[0] if isinstance(t, tuple) and len(t) == 1 else getattr(t, "func", None) for t in tasks]
    return blocks if all(isinstance(b, _segcore.ParquetRows) for b in blocks) else None  # type: ignore[return-value]


def read_parquet(
    path: ParquetPath, columns: Optional[Sequence[str]] = None, dtype: Optional[npt.DTypeLike] = None,
    split_row_groups: bool = False,
) -> da.Array:
    """Parquet files as a lazy dask array of rows (rows x columns), each block decoded on a
    worker by segcore's core straight into row-major floats: no pandas frame, no conversion.

    ``path``: a file, a folder, a glob pattern, or a list of files, read in natural order of
    their paths as ``dd.read_parquet`` reads them; the workers must see the same paths (a shared
    or local disk). ``columns``: the columns read, in that order (default: all of the first file's, which
    every file must then hold, in the same order). ``dtype``: ``float32`` or ``float64``
    (default: float32 when every column read is stored as 32-bit floats, else float64, as
    :class:`KMeans` picks for a DataFrame). One block per file, or per row group with
    ``split_row_groups=True``.

    Only the files' footers are read here (for the block sizes and the column checks); the rows
    are decoded when a block is computed, on every pass of a fit that does not ``persist``
    them. Columns are 32/64-bit floats or integers; a column of another type, a null, a NaN or
    an infinity is an error naming the file, row group, column (and row); so is a file whose
    columns differ from the first's. Every estimator of this module takes the array::

        X = segcore.dask.read_parquet("customers/")
        model = segcore.dask.KMeans(8, persist=False).fit(X)
    """
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    if isinstance(columns, str):
        raise TypeError("columns must be a list of column names, not a string")
    kind = None if dtype is None else np.dtype(dtype)
    if kind is not None and kind not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {kind}")
    blocks, files, names, float32 = _segcore.parquet_rows_plan(
        path, None if columns is None else list(columns), None if kind is None else kind == np.float32, split_row_groups
    )
    stamps = [(f, os.stat(f).st_mtime_ns, os.stat(f).st_size) for f in files]
    name = _READ_PARQUET + tokenize(stamps, names, float32, split_row_groups)
    graph: Dict[Key, object] = {(name, i, 0): (block,) for i, block in enumerate(blocks)}
    return da.Array(
        HighLevelGraph.from_collections(name, graph, dependencies=()), name,
        (tuple(b.rows for b in blocks), (len(names),)), dtype=np.float32 if float32 else np.float64,
    )


# --- Estimators -----------------------------------------------------------------------------------

Fitted = TypeVar("Fitted", bound="_OnDask")


class _OnDask:
    """``fit`` of this module's estimators (the engine-neutral fit is ``_fit_partitions``, from
    :mod:`segcore._engine`); the rows are persisted in worker memory for the passes if
    ``persist`` (the one-pass fits never persist)."""

    persist: bool = False
    split_every: int = 8

    def _fit_partitions(self, data: _engine.Partitions) -> None: ...

    def fit(self: Fitted, X: Collection, y: Ignored = None, sample_weight: DaskWeights = None) -> Fitted:
        """Fit on ``X`` (a dask array or DataFrame, rows are customers), each row weighted by
        ``sample_weight`` if given (a dask array for an array X, a dask Series with X's
        partitions for a DataFrame X)."""
        blocks = _Blocks(X, bool(self.persist), sample_weight, self.split_every)
        self._fit_partitions(blocks)
        self._fitted(blocks)
        return self

    def _fitted(self, blocks: _Blocks) -> None:
        """After a fit: nothing (the clusterers set their lazy ``labels_``)."""


class KMeans(_engine.KMeansFit, _OnDask, ClusterMixin, TransformerMixin, BaseEstimator):
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
        self, n_clusters: int = 8, *, init: KMeansInit = "k-means||", n_init: Union[int, str, None] = 1,
        max_iter: int = 300, tol: float = 1e-4, random_state: RandomState = None,
        oversampling_factor: Optional[float] = None, init_max_iter: int = 5, persist: bool = True,
        split_every: int = 8,
    ) -> None:
        store_params(self, locals())

    def _fitted(self, blocks: _Blocks) -> None:
        self.labels_ = self.predict(blocks.X)

    predict = _mapped("predict", "Closest cluster of every row, as a lazy dask array of int32.", np.int32)
    transform = _mapped("transform", "Distances of every row to every center, as a lazy dask array.", width="n_clusters")


class MiniBatchKMeans(_engine.MiniBatchFit, KMeans):
    """Mini-batch k-means streamed over the partitions in order: ``partial_fit`` of
    :class:`segcore.MiniBatchKMeans` on each partition in turn, on the workers (the estimator
    moves from one partition's worker to the next); ``fit`` is one pass of ``partial_fit`` from a
    new model."""

    def __init__(
        self, n_clusters: int = 8, *, batch_size: int = 1024, random_state: RandomState = None,
        persist: bool = False,
    ) -> None:
        store_params(self, locals())

    def partial_fit(self, X: Collection, y: Ignored = None, sample_weight: DaskWeights = None) -> "MiniBatchKMeans":
        """Update the model with every partition of ``X``, in partition order (each row
        weighted by ``sample_weight`` if given)."""
        blocks = _Blocks(X, bool(self.persist), sample_weight)
        self._fit_partitions(blocks, restart=False)
        self._fitted(blocks)
        return self

    def _stream(self, data: _engine.Partitions) -> "LocalMiniBatchKMeans":
        assert isinstance(data, _Blocks)
        estimator: Union[LocalMiniBatchKMeans, Delayed] = delayed(self._local)
        weights: Sequence[Optional[Delayed]] = data.weights or [None] * len(data.blocks)
        for i, (block, w) in enumerate(zip(data.blocks, weights)):
            estimator = delayed(_engine.partial_fit, pure=True)(estimator, block, i, w)
        return estimator.compute()


class GaussianMixture(_engine.MixtureFit, _OnDask, ClusterMixin, BaseEstimator):
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

    def __init__(
        self, n_components: int = 1, *, covariance_type: str = "full", tol: float = 1e-3,
        reg_covar: float = 1e-6, max_iter: int = 100, n_init: int = 1, init_params: str = "kmeans",
        weights_init: Optional[npt.ArrayLike] = None, means_init: Optional[npt.ArrayLike] = None,
        precisions_init: Optional[npt.ArrayLike] = None, random_state: RandomState = None,
        persist: bool = True, split_every: int = 8,
    ) -> None:
        store_params(self, locals())

    predict = _mapped("predict", "Most probable component of every row, as a lazy dask array of int64.", np.int64)
    predict_proba = _mapped(
        "predict_proba", "Membership probabilities of every row, as a lazy dask array.", width="n_components"
    )


class StandardScaler(_engine.ScalerFit, _OnDask, TransformerMixin, BaseEstimator):
    """Column standardisation fitted from per-partition moments (Chan et al.'s merge); with
    ``sample_weight``, the weighted mean and variance of scikit-learn's
    ``StandardScaler.fit(sample_weight=...)``. ``n_samples_seen_`` is the row count (the
    total weight with ``sample_weight``), counted by the core with the moments."""

    def __init__(self, *, with_mean: bool = True, with_std: bool = True, split_every: int = 8) -> None:
        store_params(self, locals())

    transform = _mapped("transform", "Scaled rows, as a lazy dask array.", width="n_features_in_")


class PCA(_engine.PcaFit, _OnDask, TransformerMixin, BaseEstimator):
    """PCA from the covariance merged over partitions (scikit-learn's ``covariance_eigh``); with
    ``sample_weight``, the weighted PCA of :class:`segcore.PCA` (frequency weights)."""

    def __init__(self, n_components: Union[int, float, None] = None, *, whiten: bool = False, split_every: int = 8) -> None:
        store_params(self, locals())

    transform = _mapped("transform", "Component scores, as a lazy dask array.", width="n_components_")


# --- Transaction logs and scoring -----------------------------------------------------------------


def behaviour_features(
    transactions: dd.DataFrame, *, customer: str = "customer_id", date: str = "date", amount: str = "amount",
    as_of: Optional[DateLike] = None, **kwargs: object,
) -> dd.DataFrame:
    """:func:`segcore.behaviour_features` of a Dask DataFrame log: the log is shuffled so each
    customer's lines sit in one partition, then the in-memory function runs per partition with
    one global ``as_of`` (default: the day after the last transaction of the whole log).
    Returns a Dask DataFrame indexed by customer, like the in-memory result."""
    from . import features

    if as_of is None:
        as_of = _engine.day_after(_last_days(transactions, date))
    options: Dict[str, object] = dict(customer=customer, date=date, amount=amount, as_of=as_of, **kwargs)
    meta = features.behaviour_features(_head(transactions, 1000), **options).iloc[:0]  # type: ignore[arg-type]
    return transactions.shuffle(on=customer).map_partitions(_behaviour, meta=meta, **options)


@_engine.guarded("partition {partition_info[number]}")
def _behaviour(part: "pd.DataFrame", partition_info: Optional[Dict[str, int]] = None, **options: object) -> "pd.DataFrame":
    from . import features

    return features.behaviour_features(part, **options)  # type: ignore[arg-type]


def rfm(
    transactions: dd.DataFrame, *, customer: str = "customer_id", date: str = "date", amount: str = "amount",
    as_of: Optional[DateLike] = None, n_scores: int = 5, rules: Optional[Sequence[RfmRule]] = None,
) -> "pd.DataFrame":
    """:func:`segcore.rfm` of a Dask DataFrame log. Recency, frequency, monetary and tenure are
    computed per partition after a shuffle by customer; the scores are quantiles over all
    customers, so recency, frequency and monetary (three numbers per customer, not the log) are
    gathered and scored by :func:`segcore.rfm_scores`. Returns a pandas DataFrame indexed by
    customer (sorted), equal to the in-memory result customer by customer."""
    base = behaviour_features(
        transactions, customer=customer, date=date, amount=amount, as_of=as_of, features=list(_engine.RFM_FEATURES)
    ).compute()
    return _engine.rfm_of(base, n_scores, rules)


def _last_days(transactions: dd.DataFrame, date: str) -> Tuple[Optional[int], ...]:
    """The last day of every partition of the log, as the core reads its dates (None if empty)."""
    from ._log_scoring import LastDay

    return dask.compute(*[delayed(LastDay(date))(p) for p in transactions.to_delayed()])


def _head(frame: dd.DataFrame, n: int) -> "pd.DataFrame":
    """The first ``n`` rows of ``frame`` (from its first partition when it has them)."""
    sample = frame.get_partition(0).head(n, compute=True) if frame.npartitions else None
    return frame.head(n, npartitions=-1) if sample is None or len(sample) == 0 else sample


#: Column holding the customers' own index while the shuffle by customer indexes them by piece.
_INDEX = "__segcore_index"


@_engine.guarded("partition {partition_info[number]}")
def _keyed(
    part: "pd.DataFrame", id_column: str, n: int, lines: bool, partition_info: Optional[Dict[str, int]] = None
) -> "pd.DataFrame":
    """``part`` with the piece of each row's customer (``_log_scoring.KEY``) and, for a log, each
    line's position in the log (``_log_scoring.LINE``: partition number, then row); for the
    customers, their index as a column (``_INDEX``: the shuffle indexes them by piece)."""
    from . import _log_scoring as log_scoring

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


def _by_piece(keyed: dd.DataFrame, n: int) -> dd.DataFrame:
    """``keyed`` (with ``_log_scoring.KEY`` in 0..n) in ``n`` partitions, partition ``i`` holding
    exactly the rows of piece ``i``: ``set_index`` on the piece with the divisions 0, 1, ..., n,
    whose contract (partition ``i`` holds the index values in ``[i, i + 1)``, the last one
    ``[n - 1, n]``) pairs the customers' and the log's partitions, however each was partitioned."""
    from . import _log_scoring as log_scoring

    return keyed.set_index(log_scoring.KEY, divisions=list(range(n + 1)))


class _Pair:
    """Partition ``i`` of the customers and of the log (both indexed by piece) scored together:
    checks that both hold piece ``i`` only, gives the customers their own index back and scores
    them (``_log_scoring.Score``)."""

    def __init__(self, score: Callable[["pd.DataFrame", "pd.DataFrame", str], "pd.DataFrame"], index_name: object) -> None:
        self.score, self.index_name = score, index_name

    @_engine.guarded("partition {piece} (after the shuffle by customer)")
    def __call__(self, customers: "pd.DataFrame", lines: "pd.DataFrame", piece: int) -> "pd.DataFrame":
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


def _predict_with_log(
    model: Predictor, customers: dd.DataFrame, transactions: dd.DataFrame, npartitions: Optional[int]
) -> dd.DataFrame:
    """A Segmenter with behaviour features on a Dask customer frame and log: one date for all
    partitions, then both frames shuffled by customer and scored partition by partition."""
    from . import _log_scoring as log_scoring

    customer, id_column, date = log_scoring.log_columns(model, [str(c) for c in transactions.columns])
    as_of = log_scoring.as_of_of(model, list(_last_days(transactions, date)))
    n = int(npartitions or max(customers.npartitions, transactions.npartitions))
    meta = log_scoring.meta_of(model, _head(customers, 5), transactions._meta, as_of)
    key_meta = {log_scoring.KEY: np.int64(0)}
    keyed_customers = customers.map_partitions(
        _keyed, id_column, n, False,
        meta=customers._meta.assign(**key_meta, **{_INDEX: customers._meta.index}),
    )
    keyed_log = transactions.map_partitions(
        _keyed, customer, n, True,
        meta=transactions._meta.assign(**key_meta, **{log_scoring.LINE: np.int64(0)}),
    )
    left, right = _by_piece(keyed_customers, n).to_delayed(), _by_piece(keyed_log, n).to_delayed()
    if len(left) != n or len(right) != n:
        raise RuntimeError(f"the shuffle by customer gave {len(left)} and {len(right)} partitions, not {n}")
    pair = _Pair(log_scoring.Score(model, as_of, meta), customers._meta.index.name)
    parts = [delayed(pair, pure=True)(c, lines, i) for i, (c, lines) in enumerate(zip(left, right))]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def predict(
    model: Union[Predictor, Distributed], customers: dd.DataFrame, transactions: Optional[dd.DataFrame] = None,
    *, npartitions: Optional[int] = None,
) -> "dd.Series | dd.DataFrame":
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
    from . import _log_scoring as log_scoring

    local = _engine.local_model(model)
    if log_scoring.reads_log(local, transactions):
        assert transactions is not None
        return _predict_with_log(local, customers, transactions, npartitions)
    import pandas as pd

    columns = _engine.fitted_columns(local)

    @_engine.guarded("partition {partition_info[number]}")
    def score(part: pd.DataFrame, partition_info: Optional[Dict[str, int]] = None) -> "pd.Series | pd.DataFrame":
        labels = _engine.labels_of(local, part, columns)
        return labels if isinstance(labels, pd.DataFrame) else pd.Series(labels, index=part.index, name="segment")

    try:
        meta = score(customers.head(5, npartitions=-1)).iloc[:0]
    except Exception:  # noqa: BLE001 - fall back to the plain label Series
        meta_frame = customers._meta if columns is None else customers._meta[columns]
        meta = pd.Series(np.zeros(0, dtype=np.int64), index=meta_frame.index, name="segment")
    return customers.map_partitions(score, meta=meta)
