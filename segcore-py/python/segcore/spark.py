"""segcore on Spark: fit on PySpark DataFrames through mergeable partial statistics.

Every pass of a fit runs a task of segcore's Rust core on every partition, which emits its
partial statistics (a small JSON document: k x d sums for k-means, d x d moments for PCA); they
are merged in partition order and handed to the core's driver, which decides the next pass.
:class:`KMeans` and :class:`GaussianMixture` run all their passes in one Spark job of barrier
tasks (``barrier="auto"``): each task converts its partitions to numpy blocks once, keeps them
in memory and answers the driver's tasks over a connection to the driver, so an iteration costs
the core's pass over the rows, not a Spark job and an Arrow transfer of every row
(``barrier=False``: one ``mapInPandas`` job per pass over the cached data, the same statistics
and the same bits). Scoring runs the fitted model in ``mapInPandas`` (the model travels to the
executors as its JSON document). Every number is computed by the core, so a fit gives the same
numbers as on a laptop, and the same bits on any cluster for a given partitioning.

- :class:`KMeans`, :class:`GaussianMixture`, :class:`StandardScaler`, :class:`PCA` fitted on numeric columns of a
  DataFrame (``fit(df, columns=None)``: all columns by default); :class:`MiniBatchKMeans`
  (``partial_fit`` over the partitions in order, on the executors);
- :func:`rfm` / :func:`behaviour_features` of a Spark transaction log (repartitioned by customer,
  then the in-memory function per partition);
- :func:`predict`: any fitted segcore model scored on a Spark DataFrame.
"""

from __future__ import annotations

from typing import Any, Iterator, List, Optional, Sequence

import numpy as np

from . import _segcore
from ._base import seed_from
from .exceptions import DataError, InvalidParameterError

__all__ = ["KMeans", "MiniBatchKMeans", "GaussianMixture", "StandardScaler", "PCA", "behaviour_features", "rfm", "predict"]


def _columns_of(df: Any, columns: Optional[Sequence[str]]) -> List[str]:
    names = list(df.columns) if columns is None else [str(c) for c in columns]
    unknown = [c for c in names if c not in df.columns]
    if unknown:
        raise DataError(f"unknown columns {unknown}; available columns: {list(df.columns)}")
    return names


def _float32(df: Any, columns: List[str]) -> bool:
    from pyspark.sql.types import FloatType

    types = {f.name: f.dataType for f in df.schema.fields}
    return all(isinstance(types[c], FloatType) for c in columns)


class _Task:
    """The per-partition function of ``mapInPandas``: one partition's rows -> its statistics."""

    def __init__(self, task: str, columns: List[str], float32: bool, weight: Optional[str] = None) -> None:
        self.task, self.columns, self.float32, self.weight = task, columns, float32, weight

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd
        from pyspark import TaskContext

        context = TaskContext.get()
        assert context is not None, "runs inside a Spark task"
        partition = context.partitionId()
        dtype = np.float32 if self.float32 else np.float64
        frames = list(batches)
        parts = [b[self.columns].to_numpy(dtype=dtype) for b in frames]
        rows = np.concatenate(parts) if parts else np.zeros((0, len(self.columns)), dtype=dtype)
        weights = None
        if self.weight is not None:
            pieces = [b[self.weight].to_numpy(dtype=dtype) for b in frames]
            weights = np.concatenate(pieces) if pieces else np.zeros(0, dtype=dtype)
            weights = np.require(weights, dtype=dtype, requirements=["C", "A"])
        stats = _segcore.partition_task_run(
            self.task, np.require(rows, dtype=dtype, requirements=["C", "A"]), partition, weights
        )
        yield pd.DataFrame({"partition": [partition], "stats": [stats]})


class _Frame:
    """The selected columns of a DataFrame, for the passes of a fit."""

    def __init__(self, df: Any, columns: Optional[Sequence[str]], weight: Optional[str] = None) -> None:
        if weight is not None:
            _columns_of(df, [weight])
            if columns is None:
                columns = [c for c in df.columns if c != weight]
        self.columns = _columns_of(df, columns)
        self.float32 = _float32(df, self.columns)
        self.weight = weight
        self.df = df.select(*self.columns, *([weight] if weight is not None else []))

    def run(self, task: str, data: Any = None) -> str:
        """One ``mapInPandas`` job over ``data`` (default: the selected columns): every
        partition's statistics, merged in partition order."""
        rows = (self.df if data is None else data).mapInPandas(
            _Task(task, self.columns, self.float32, self.weight), schema="partition long, stats string"
        ).collect()
        if not rows:
            raise DataError("X has no partitions")
        return _segcore.partial_merge_partitions([(int(r["partition"]), r["stats"]) for r in rows])

    def drive(self, driver: Any, barrier: Any, cache: bool) -> None:
        """Runs a core driver to its end: in one job of barrier tasks that keep the rows in
        memory (``barrier``: "auto", True or False), else one job per pass over the data
        (cached for the passes if ``cache``)."""
        if barrier not in ("auto", True, False):
            raise InvalidParameterError(
                f"invalid parameter `barrier` = {barrier!r}: expected 'auto', True or False"
            )
        from . import _spark_barrier

        if _spark_barrier.usable(self.df.sparkSession) if barrier == "auto" else bool(barrier):
            _spark_barrier.fit(self.df, self.columns, self.float32, self.weight, driver)
            return
        data = self.df.cache() if cache else self.df
        try:
            while (task := driver.next_task()) is not None:
                driver.receive(self.run(task, data))
        finally:
            if cache:
                data.unpersist()


class KMeans:
    """Exact k-means on Spark (k-means|| or given initial centers, then the Lloyd iterations of
    :class:`segcore.KMeans`; see :class:`segcore.dask.KMeans`; ``n_init`` k-means|| starts, the
    lowest inertia kept). ``fit(df, columns, sample_weight)`` (``sample_weight``: the name of a
    weight column, as Spark MLlib's ``weightCol``) returns self with numpy ``cluster_centers_``,
    ``inertia_``, ``n_iter_``; ``predict(df)`` adds a ``segment`` column.

    ``barrier``: ``"auto"`` (default) runs the whole fit in one job of barrier tasks that keep
    their rows in memory (a classic session on Spark >= 3.5 without dynamic allocation; a
    DataFrame with more partitions than free slots is coalesced and stored once, each row
    keeping its partition's index, so the statistics are unchanged); ``True`` forces it;
    ``False`` runs one ``mapInPandas`` job per pass (over the data cached if ``cache``). Both
    give the same bits. The executors must reach the driver on ``spark.driver.host``."""

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
        cache: bool = True,
        barrier: Any = "auto",
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.oversampling_factor = oversampling_factor
        self.init_max_iter = init_max_iter
        self.cache = cache
        self.barrier = barrier

    def fit(
        self, df: Any, columns: Optional[Sequence[str]] = None, sample_weight: Optional[str] = None
    ) -> "KMeans":
        """Fit on the ``columns`` (default: all but the weight column) of the Spark DataFrame
        ``df``, each row weighted by its value in the column ``sample_weight``."""
        frame = _Frame(df, columns, sample_weight)
        centers = None
        if not isinstance(self.init, str):
            centers = np.asarray(self.init, dtype=np.float64)
        elif self.init not in ("k-means||", "k-means++"):
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
            float32=frame.float32,
            oversampling_factor=self.oversampling_factor,
            init_rounds=int(self.init_max_iter),
        )
        frame.drive(driver, self.barrier, bool(self.cache))
        self._model = _segcore.KMeansModel.from_json(driver.model_json())
        self.cluster_centers_ = self._model.cluster_centers
        self.inertia_ = self._model.inertia
        self.n_iter_ = self._model.n_iter
        self.n_features_in_ = len(frame.columns)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self

    def to_local(self) -> Any:
        """The fitted model as a :class:`segcore.KMeans`."""
        from .cluster import KMeans as LocalKMeans

        local = LocalKMeans(n_clusters=self.n_clusters, random_state=self.random_state)
        local._set_fitted(self._model, self.feature_names_in_)
        local.labels_ = np.zeros(0, dtype=np.int32)
        return local

    def predict(self, df: Any) -> Any:
        """``df`` with a ``segment`` column (int) from the nearest center."""
        return predict(self, df)


def _npy(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _from_npy(document: bytes) -> np.ndarray:
    import io

    return np.load(io.BytesIO(document), allow_pickle=False)


class _RowBlocks:
    """``mapInPandas``: every batch of a partition as one ``.npy`` document of its rows and one
    of its sample weights (empty without a weight column); the rows stay on the executors, a
    partition's documents are what its ``partial_fit`` reads."""

    def __init__(self, columns: List[str], float32: bool, weight: Optional[str] = None) -> None:
        self.columns, self.float32, self.weight = columns, float32, weight

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        dtype = np.float32 if self.float32 else np.float64
        for batch in batches:
            weights = b"" if self.weight is None else _npy(batch[self.weight].to_numpy(dtype=dtype))
            yield pd.DataFrame(
                {"rows": [_npy(batch[self.columns].to_numpy(dtype=dtype))], "weights": [weights]}
            )


class _PartialFit:
    """One partition's ``partial_fit`` on an executor: the estimator arrives pickled (as its JSON
    document), reads the partition's rows (and sample weights) and goes back updated."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def __call__(self, rows: Iterator[Any]) -> Iterator[Any]:
        pairs = [(_from_npy(row[0]), _from_npy(row[1]) if row[1] else None) for row in rows]
        if pairs and sum(len(block) for block, _ in pairs):
            block = np.concatenate([b for b, _ in pairs])
            dtype = np.float32 if block.dtype == np.float32 else np.float64
            weights = None
            if pairs[0][1] is not None:
                weights = np.require(np.concatenate([w for _, w in pairs]), dtype=dtype, requirements=["C", "A"])
            self.estimator.partial_fit(
                np.require(block, dtype=dtype, requirements=["C", "A"]), sample_weight=weights
            )
        yield self.estimator


class MiniBatchKMeans:
    """Mini-batch k-means streamed over the partitions in order: ``partial_fit`` of
    :class:`segcore.MiniBatchKMeans` on each partition in turn, on the executor that holds it
    (one Spark job per partition; the estimator travels as its JSON document, the rows stay
    where they are), as :class:`segcore.dask.MiniBatchKMeans` does on Dask. ``fit(df, columns,
    sample_weight)`` (``sample_weight``: a weight column's name) returns self with numpy
    ``cluster_centers_``; ``predict(df)`` adds a ``segment`` column."""

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        batch_size: int = 1024,
        random_state: Any = None,
        cache: bool = True,
    ) -> None:
        self.n_clusters = n_clusters
        self.batch_size = batch_size
        self.random_state = random_state
        self.cache = cache

    def fit(
        self, df: Any, columns: Optional[Sequence[str]] = None, sample_weight: Optional[str] = None
    ) -> "MiniBatchKMeans":
        """One pass of ``partial_fit`` over the partitions of ``df`` in order, each row weighted
        by its value in the column ``sample_weight`` if given."""
        from .cluster import MiniBatchKMeans as LocalMiniBatch

        self._local = LocalMiniBatch(
            n_clusters=self.n_clusters, batch_size=self.batch_size, random_state=self.random_state
        )
        return self.partial_fit(df, columns, sample_weight)

    def partial_fit(
        self, df: Any, columns: Optional[Sequence[str]] = None, sample_weight: Optional[str] = None
    ) -> "MiniBatchKMeans":
        """Update the model with every partition of ``df``, in partition order (each row
        weighted by the column ``sample_weight`` if given)."""
        if not hasattr(self, "_local"):
            return self.fit(df, columns, sample_weight)
        frame = _Frame(df, columns, sample_weight)
        data = frame.df.cache() if self.cache else frame.df
        try:
            blocks = data.mapInPandas(
                _RowBlocks(frame.columns, frame.float32, frame.weight),
                schema="rows binary, weights binary",
            ).rdd
            context = df.sparkSession.sparkContext
            for partition in range(blocks.getNumPartitions()):
                [self._local] = context.runJob(blocks, _PartialFit(self._local), [partition])
        finally:
            if self.cache:
                data.unpersist()
        if not hasattr(self._local, "cluster_centers_"):
            raise DataError("X has no rows in any partition")
        self._model = self._local._model
        self.cluster_centers_ = self._local.cluster_centers_
        self.n_features_in_ = len(frame.columns)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self

    def to_local(self) -> Any:
        """The fitted :class:`segcore.MiniBatchKMeans`."""
        return self._local

    def predict(self, df: Any) -> Any:
        """``df`` with a ``segment`` column (int) from the nearest center."""
        return predict(self, df)


class GaussianMixture:
    """Gaussian mixture (EM) on Spark: one pass per iteration (see
    :class:`segcore.dask.GaussianMixture`; scikit-learn's four covariance types, where Spark
    MLlib offers full covariances only), all in one job of barrier tasks or one ``mapInPandas``
    job per pass (``barrier``, as :class:`KMeans`). ``fit(df, columns)`` returns self with numpy
    ``weights_``, ``means_``, ``covariances_``; ``predict(df)`` adds a ``segment`` column."""

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
        cache: bool = True,
        barrier: Any = "auto",
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
        self.cache = cache
        self.barrier = barrier

    def fit(
        self, df: Any, columns: Optional[Sequence[str]] = None, sample_weight: Optional[str] = None
    ) -> "GaussianMixture":
        """Fit on the ``columns`` (default: all but the weight column) of the Spark DataFrame
        ``df``, each row weighted by its value in the column ``sample_weight``."""
        from .mixture import adopt_mixture, em_settings

        frame = _Frame(df, columns, sample_weight)
        driver = _segcore.GmmDriver(**em_settings(self), float32=frame.float32)
        frame.drive(driver, self.barrier, bool(self.cache))
        adopt_mixture(self, driver.model_json(), np.asarray(frame.columns, dtype=object))
        return self

    def to_local(self) -> Any:
        """The fitted model as a :class:`segcore.GaussianMixture`."""
        return self._local

    def predict(self, df: Any) -> Any:
        """``df`` with a ``segment`` column (int): the most probable component."""
        return predict(self, df)


def _moments_task(kind: str, weight: Optional[str]) -> str:
    return f'{{"task":"{"weighted_" if weight is not None else ""}{kind}"}}'


class StandardScaler:
    """Column standardisation from moments merged over the partitions (Chan et al.); with a
    ``sample_weight`` column, the weighted mean and variance of scikit-learn's
    ``StandardScaler.fit(sample_weight=...)``."""

    def __init__(self, *, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(
        self, df: Any, columns: Optional[Sequence[str]] = None, sample_weight: Optional[str] = None
    ) -> "StandardScaler":
        """Fit on the ``columns`` (default: all but the weight column) of ``df``, each row
        weighted by its value in the column ``sample_weight`` if given."""
        frame = _Frame(df, columns, sample_weight)
        stats = frame.run(_moments_task("column_moments", sample_weight))
        model = _segcore.StandardScalerModel.from_json(
            _segcore.scaler_from_moments(stats, bool(self.with_mean), bool(self.with_std), frame.float32)
        )
        self._model = model
        self.mean_, self.scale_, self.var_ = model.mean, model.scale, model.variance
        self.n_features_in_ = len(frame.columns)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self


class PCA:
    """PCA from the covariance merged over the partitions (scikit-learn's ``covariance_eigh``);
    with a ``sample_weight`` column, the weighted PCA of :class:`segcore.PCA` (frequency
    weights)."""

    def __init__(self, n_components: Any = None, *, whiten: bool = False) -> None:
        self.n_components = n_components
        self.whiten = whiten

    def fit(
        self, df: Any, columns: Optional[Sequence[str]] = None, sample_weight: Optional[str] = None
    ) -> "PCA":
        """Fit on the ``columns`` (default: all but the weight column) of ``df``, each row
        weighted by its value in the column ``sample_weight`` if given."""
        frame = _Frame(df, columns, sample_weight)
        stats = frame.run(_moments_task("covariance_moments", sample_weight))
        count, fraction = None, None
        if isinstance(self.n_components, float) and 0 < self.n_components < 1:
            fraction = float(self.n_components)
        elif self.n_components is not None:
            count = int(self.n_components)
        model = _segcore.PcaModel.from_json(
            _segcore.pca_from_moments(
                stats,
                n_components=count,
                variance_fraction=fraction,
                whiten=bool(self.whiten),
                float32=frame.float32,
            )
        )
        self._model = model
        self.components_ = model.components
        self.explained_variance_ = model.explained_variance
        self.explained_variance_ratio_ = model.explained_variance_ratio
        self.singular_values_ = model.singular_values
        self.mean_ = model.mean
        self.noise_variance_ = model.noise_variance
        self.n_components_ = model.n_components
        self.n_samples_ = model.n_samples
        self.n_features_in_ = len(frame.columns)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self


class _Score:
    """``mapInPandas`` scoring: every batch gets a ``segment`` column from ``model.predict``."""

    def __init__(self, model: Any, columns: List[str], output: str) -> None:
        self.model, self.columns, self.output = model, columns, output

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            out = batch.copy()
            if len(batch) == 0:
                out[self.output] = np.zeros(0, dtype=np.int64)
            else:
                rows = batch[self.columns].copy(deep=True)  # aligned blocks for the core
                out[self.output] = np.asarray(self.model.predict(rows), dtype=np.int64)
            yield out


def predict(
    model: Any,
    customers: Any,
    transactions: Any = None,
    *,
    output: str = "segment",
    n_pieces: Optional[int] = None,
) -> Any:
    """``customers`` (a Spark DataFrame) with an ``output`` column: the segment of every row
    from any fitted segcore model that predicts from columns (k-means, Gaussian mixture, Ward,
    a pipeline, or this module's estimators). The model reaches the executors pickled as its JSON
    document.

    ``transactions`` (a Spark log, for a :class:`segcore.Segmenter` fitted with behaviour
    features): the behaviour is measured at one date for the whole log (the Segmenter's
    ``as_of``, else the day after the log's last line, found in one pass over the date column);
    customers and lines are grouped by customer into ``n_pieces`` buckets (default:
    ``spark.sql.shuffle.partitions``) and each bucket is scored by
    :meth:`segcore.Segmenter.predict` in a cogrouped ``applyInPandas``. Returns the Segmenter's
    assignment columns (customer id, ``segment``, ``name``, ...) for every customer, equal to the
    in-memory predict customer by customer."""
    from pyspark.sql.types import LongType, StructField, StructType

    from . import _log_scoring as log_scoring

    if hasattr(model, "to_local"):
        model = model.to_local()
    if log_scoring.reads_log(model, transactions):
        return _predict_with_log(model, customers, transactions, n_pieces)
    names = getattr(model, "feature_names_in_", None)
    columns = [str(c) for c in names] if names is not None else list(customers.columns)
    schema = StructType(customers.schema.fields + [StructField(output, LongType(), False)])
    return customers.mapInPandas(_Score(model, columns, output), schema=schema)


class _LastDays:
    """``mapInPandas``: the last day of every batch of a log's date column."""

    def __init__(self, date: str) -> None:
        self.date = date

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        from . import _log_scoring as log_scoring

        last = log_scoring.LastDay(self.date)
        days = [last(batch) for batch in batches]
        known = [d for d in days if d is not None]
        yield pd.DataFrame({"last_day": pd.array([max(known)] if known else [None], dtype="Int64")})


def _co_score(score: Any) -> Any:
    """Cogrouped ``applyInPandas`` (a plain function: Spark reads its arguments): one bucket's
    customers and lines -> their assignments."""

    def run(key: Any, customers: Any, lines: Any) -> Any:
        bucket = key[0] if len(key) else "?"
        return score(customers, lines, f"bucket {bucket} of the customers").reset_index(drop=True)

    return run


def _spark_type(dtype: Any) -> Any:
    from pyspark.sql.types import BooleanType, DoubleType, LongType, StringType

    try:
        kind = np.dtype(getattr(dtype, "numpy_dtype", dtype)).kind
    except TypeError:  # pandas' string and other extension dtypes
        kind = "O"
    return {"i": LongType(), "u": LongType(), "f": DoubleType(), "b": BooleanType()}.get(kind, StringType())


def _predict_with_log(model: Any, customers: Any, transactions: Any, n_pieces: Optional[int]) -> Any:
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructField, StructType

    from . import _log_scoring as log_scoring

    customer, id_column, date = log_scoring.log_columns(model, list(transactions.columns))
    if id_column not in customers.columns:
        raise DataError(
            f"unknown column `{id_column}` in customers; available columns: {list(customers.columns)}"
        )
    rows = transactions.select(date).mapInPandas(_LastDays(date), schema="last_day long").collect()
    as_of = log_scoring.as_of_of(model, [r["last_day"] for r in rows])
    session = customers.sparkSession
    n = int(n_pieces or int(session.conf.get("spark.sql.shuffle.partitions")))

    def piece(name: str) -> Any:
        return F.pmod(F.hash(F.col(name).cast("string")), F.lit(n))

    meta = log_scoring.meta_of(model, customers.limit(5).toPandas(), transactions.limit(0).toPandas(), as_of)
    id_type = customers.schema[id_column].dataType
    schema = StructType(
        [
            StructField(str(c), id_type if str(c) == id_column else _spark_type(meta[c].dtype), True)
            for c in meta.columns
        ]
    )
    keyed_customers = customers.withColumn(log_scoring.KEY, piece(id_column))
    keyed_log = transactions.withColumn(log_scoring.LINE, F.monotonically_increasing_id()).withColumn(
        log_scoring.KEY, piece(customer)
    )
    score = _co_score(log_scoring.Score(model, as_of, meta))
    return (
        keyed_customers.groupBy(log_scoring.KEY)
        .cogroup(keyed_log.groupBy(log_scoring.KEY))
        .applyInPandas(score, schema=schema)
    )


# ---------------------------------------------------------------------------------------------
# Transaction logs
# ---------------------------------------------------------------------------------------------


class _Behaviour:
    """One partition of a log repartitioned by customer -> its customers' behaviour features."""

    def __init__(self, options: dict, columns: List[str], customer: str) -> None:
        self.options, self.columns, self.customer = options, columns, customer

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        from . import features

        frames = list(batches)
        if not frames or sum(len(f) for f in frames) == 0:
            return
        log = pd.concat(frames, ignore_index=True)
        table = features.behaviour_features(log, **self.options)
        table = table.reset_index()
        table = table.rename(columns={table.columns[0]: self.customer})
        yield table[[self.customer] + self.columns]


def behaviour_features(
    transactions: Any,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    as_of: Any = None,
    features: Sequence[str] = ("recency_days", "frequency", "monetary", "tenure_days"),
) -> Any:
    """Per-customer behaviour features of a Spark log (numeric features only, as doubles): the
    log is repartitioned by customer, then :func:`segcore.behaviour_features` runs per partition
    with one global ``as_of`` (default: the day after the last transaction)."""
    import datetime as dt

    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, StructField, StructType

    if as_of is None:
        last = transactions.agg(F.max(date)).collect()[0][0]
        if last is None:
            raise DataError("the transaction log is empty")
        last_day = last.date() if isinstance(last, dt.datetime) else last
        as_of = last_day + dt.timedelta(days=1)
    columns = list(features)
    options = dict(customer=customer, date=date, amount=amount, as_of=as_of, features=columns)
    key_type = transactions.schema[customer].dataType
    schema = StructType(
        [StructField(customer, key_type, False)] + [StructField(c, DoubleType(), True) for c in columns]
    )
    return transactions.repartition(customer).mapInPandas(
        _Behaviour(options, columns, customer), schema=schema
    )


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
    """:func:`segcore.rfm` of a Spark log: recency, frequency, monetary and tenure per customer on
    the executors (see :func:`behaviour_features`), then quantile scores over all customers by
    :func:`segcore.rfm_scores` on the driver (three numbers per customer are collected, not the
    log). Returns a pandas DataFrame indexed by customer (sorted), equal to the in-memory result
    customer by customer."""
    from . import features

    table = behaviour_features(
        transactions, customer=customer, date=date, amount=amount, as_of=as_of
    ).toPandas()
    table = table.set_index(customer).sort_index()
    scores = features.rfm_scores(
        table["recency_days"], table["frequency"], table["monetary"], n_scores=n_scores, rules=rules
    )
    return table.join(scores)
