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

import io
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, TypeVar, Union, cast

import numpy as np
import numpy.typing as npt

from . import _engine, _segcore
from ._base import store_params
from ._engine import Distributed, Predictor
from ._typing import DateLike, KMeansInit, RandomState
from .exceptions import DataError, InvalidParameterError

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType

    from .cluster import MiniBatchKMeans as LocalMiniBatchKMeans
    from .features import RfmRule

__all__ = ["KMeans", "MiniBatchKMeans", "GaussianMixture", "StandardScaler", "PCA", "behaviour_features", "rfm", "predict"]

#: ``barrier``: "auto" (barrier tasks where the session allows them), True or False.
Barrier = Union[bool, str]


def _columns_of(df: DataFrame, columns: Optional[Sequence[str]]) -> List[str]:
    names = list(df.columns) if columns is None else [str(c) for c in columns]
    unknown = [c for c in names if c not in df.columns]
    if unknown:
        raise DataError(f"unknown columns {unknown}; available columns: {list(df.columns)}")
    return names


class _Frame:
    """The selected columns of a DataFrame, for the passes of a fit
    (:class:`segcore._engine.Partitions`)."""

    def __init__(
        self, df: DataFrame, columns: Optional[Sequence[str]], weight: Optional[str] = None,
        barrier: Barrier = False, cache: bool = False,
    ) -> None:
        from pyspark.sql.types import BooleanType, FloatType, NumericType

        if barrier not in ("auto", True, False):
            raise InvalidParameterError(f"invalid parameter `barrier` = {barrier!r}: expected 'auto', True or False")
        if weight is not None:
            _columns_of(df, [weight])
            if columns is None:
                columns = [c for c in df.columns if c != weight]
        self.columns = _columns_of(df, columns)
        types = {f.name: f.dataType for f in df.schema.fields}
        numeric = (NumericType, BooleanType)
        wrong = [f"{c} ({types[c].simpleString()})" for c in self.columns if not isinstance(types[c], numeric)]
        if wrong:
            raise DataError(f"columns {', '.join(wrong)} are not numeric; give the numeric feature columns")
        self.float32 = all(isinstance(types[c], FloatType) for c in self.columns)
        self.n_features = len(self.columns)
        self.names: Optional[npt.NDArray[np.object_]] = np.asarray(self.columns, dtype=object)
        self.weight, self.barrier, self.cache = weight, barrier, cache
        self.weighted = weight is not None
        self.df = df.select(*self.columns, *([weight] if weight is not None else []))

    def run(self, task: str, data: Optional[DataFrame] = None) -> str:
        """One ``mapInPandas`` job over ``data`` (default: the selected columns): every
        partition's statistics, merged in partition order."""
        from pyspark.sql import functions as F

        from ._spark_barrier import PARTITION, answer, held, merged

        columns, float32, weight = self.columns, self.float32, self.weight

        def partition(batches: Iterator["pd.DataFrame"]) -> Iterator["pd.DataFrame"]:
            import pandas as pd

            yield pd.DataFrame({"reply": [answer(task, held(batches, columns, float32, weight))]})

        tagged = (self.df if data is None else data).withColumn(PARTITION, F.spark_partition_id())
        return merged(r["reply"] for r in tagged.mapInPandas(partition, schema="reply string").collect())

    def drive(self, driver: _engine.Driver) -> None:
        """Runs a core driver to its end: in one job of barrier tasks that keep the rows in
        memory (``barrier``: "auto", True or False), else one job per pass over the data
        (cached for the passes if ``cache``)."""
        from . import _spark_barrier

        if _spark_barrier.usable(self.df.sparkSession) if self.barrier == "auto" else bool(self.barrier):
            _spark_barrier.fit(self.df, self.columns, self.float32, self.weight, driver)
            return
        data = self.df.cache() if self.cache else self.df
        try:
            _engine.drive(driver, lambda task: self.run(task, data))
        finally:
            if self.cache:
                data.unpersist()


Fitted = TypeVar("Fitted", bound="_OnSpark")


class _OnSpark:
    """``fit`` of this module's estimators (the engine-neutral fit is ``_fit_partitions``, from
    :mod:`segcore._engine`)."""

    cache: bool = False
    barrier: Barrier = False

    def _fit_partitions(self, data: _engine.Partitions) -> None: ...

    def fit(self: Fitted, df: DataFrame, columns: Optional[Sequence[str]] = None, sample_weight: Optional[str] = None) -> Fitted:
        """Fit on the ``columns`` (default: all but the weight column) of the Spark DataFrame
        ``df``, each row weighted by its value in the column ``sample_weight`` if given."""
        self._fit_partitions(_Frame(df, columns, sample_weight, self.barrier, bool(self.cache)))
        return self


class _Segments:
    """``predict`` of this module's clusterers."""

    def predict(self, df: DataFrame) -> DataFrame:
        """``df`` with a ``segment`` column (int): the segment of every row (:func:`predict`)."""
        return predict(cast(Distributed, self), df)


class KMeans(_engine.KMeansFit, _Segments, _OnSpark):
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
        self, n_clusters: int = 8, *, init: KMeansInit = "k-means||", n_init: Union[int, str, None] = 1,
        max_iter: int = 300, tol: float = 1e-4, random_state: RandomState = None,
        oversampling_factor: Optional[float] = None, init_max_iter: int = 5, cache: bool = True,
        barrier: Barrier = "auto",
    ) -> None:
        store_params(self, locals())


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _from_npy(document: bytes) -> np.ndarray:
    return np.load(io.BytesIO(document), allow_pickle=False)


class MiniBatchKMeans(_engine.MiniBatchFit, _Segments, _OnSpark):
    """Mini-batch k-means streamed over the partitions in order: ``partial_fit`` of
    :class:`segcore.MiniBatchKMeans` on each partition in turn, on the executor that holds it
    (one Spark job per partition; the estimator travels as its JSON document, the rows stay
    where they are), as :class:`segcore.dask.MiniBatchKMeans` does on Dask. ``fit(df, columns,
    sample_weight)`` (``sample_weight``: a weight column's name; one pass of ``partial_fit`` from a
    new model) returns self with numpy ``cluster_centers_``; ``predict(df)`` adds a ``segment``
    column."""

    def __init__(
        self, n_clusters: int = 8, *, batch_size: int = 1024, random_state: RandomState = None, cache: bool = True,
    ) -> None:
        store_params(self, locals())

    def partial_fit(
        self, df: DataFrame, columns: Optional[Sequence[str]] = None, sample_weight: Optional[str] = None
    ) -> "MiniBatchKMeans":
        """Update the model with every partition of ``df``, in partition order (each row
        weighted by the column ``sample_weight`` if given)."""
        self._fit_partitions(_Frame(df, columns, sample_weight), restart=False)
        return self

    def _stream(self, data: _engine.Partitions) -> "LocalMiniBatchKMeans":
        assert isinstance(data, _Frame)
        columns, weight, dtype = data.columns, data.weight, np.float32 if data.float32 else np.float64

        def documents(batches: Iterator["pd.DataFrame"]) -> Iterator["pd.DataFrame"]:
            """Every batch as ``.npy`` documents of its rows and its weights (empty without):
            the rows stay on the executors, a partition's documents are what its fit reads."""
            import pandas as pd

            for batch in batches:
                w = b"" if weight is None else _npy(batch[weight].to_numpy(dtype=dtype))
                yield pd.DataFrame({"rows": [_npy(batch[columns].to_numpy(dtype=dtype))], "weights": [w]})

        def fit_on(estimator: "LocalMiniBatchKMeans", partition: int) -> Callable[[Iterator[Tuple[bytes, bytes]]], Iterator["LocalMiniBatchKMeans"]]:
            """One partition's ``partial_fit`` on its executor: the estimator travels as its JSON
            document, reads the partition's documents and goes back updated."""

            def run(rows: Iterator[Tuple[bytes, bytes]]) -> Iterator["LocalMiniBatchKMeans"]:
                pairs = [(_from_npy(x), _from_npy(w) if w else None) for x, w in rows]
                if pairs:
                    weights = None if weight is None else np.concatenate([w for _, w in pairs if w is not None])
                    _engine.partial_fit(estimator, np.concatenate([x for x, _ in pairs]), partition, weights)
                yield estimator

            return run

        rows = data.df.cache() if self.cache else data.df
        local = self._local
        try:
            blocks = rows.mapInPandas(documents, "rows binary, weights binary").rdd
            for partition in range(blocks.getNumPartitions()):
                [local] = rows.sparkSession.sparkContext.runJob(blocks, fit_on(local, partition), [partition])  # type: ignore[arg-type]
        finally:
            if self.cache:
                rows.unpersist()
        return local


class GaussianMixture(_engine.MixtureFit, _Segments, _OnSpark):
    """Gaussian mixture (EM) on Spark: one pass per iteration (see
    :class:`segcore.dask.GaussianMixture`; scikit-learn's four covariance types, where Spark
    MLlib offers full covariances only), all in one job of barrier tasks or one ``mapInPandas``
    job per pass (``barrier``, as :class:`KMeans`). ``fit(df, columns)`` returns self with numpy
    ``weights_``, ``means_``, ``covariances_``; ``predict(df)`` adds a ``segment`` column."""

    def __init__(
        self, n_components: int = 1, *, covariance_type: str = "full", tol: float = 1e-3,
        reg_covar: float = 1e-6, max_iter: int = 100, n_init: int = 1, init_params: str = "kmeans",
        weights_init: Optional[npt.ArrayLike] = None, means_init: Optional[npt.ArrayLike] = None,
        precisions_init: Optional[npt.ArrayLike] = None, random_state: RandomState = None, cache: bool = True,
        barrier: Barrier = "auto",
    ) -> None:
        store_params(self, locals())


class StandardScaler(_engine.ScalerFit, _OnSpark):
    """Column standardisation from moments merged over the partitions (Chan et al.); with a
    ``sample_weight`` column, the weighted mean and variance of scikit-learn's
    ``StandardScaler.fit(sample_weight=...)``. ``n_samples_seen_`` is the row count (the total
    weight with ``sample_weight``), counted by the core with the moments."""

    def __init__(self, *, with_mean: bool = True, with_std: bool = True) -> None:
        store_params(self, locals())


class PCA(_engine.PcaFit, _OnSpark):
    """PCA from the covariance merged over the partitions (scikit-learn's ``covariance_eigh``);
    with a ``sample_weight`` column, the weighted PCA of :class:`segcore.PCA` (frequency
    weights)."""

    def __init__(self, n_components: Union[int, float, None] = None, *, whiten: bool = False) -> None:
        store_params(self, locals())


def predict(
    model: Union[Predictor, Distributed], customers: DataFrame, transactions: Optional[DataFrame] = None, *,
    output: str = "segment", n_pieces: Optional[int] = None,
) -> DataFrame:
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

    local = _engine.local_model(model)
    if log_scoring.reads_log(local, transactions):
        assert transactions is not None
        return _predict_with_log(local, customers, transactions, n_pieces)
    names = getattr(local, "feature_names_in_", None)
    columns = [str(c) for c in names] if names is not None else list(customers.columns)

    def score(batches: Iterator["pd.DataFrame"]) -> Iterator["pd.DataFrame"]:
        for batch in batches:  # every batch with an ``output`` column from ``model.predict``
            yield batch.assign(**{output: _engine.labels_of(local, batch, columns)})

    schema = StructType(customers.schema.fields + [StructField(output, LongType(), False)])
    return customers.mapInPandas(score, schema=schema)


def _spark_type(dtype: object) -> DataType:
    from pyspark.sql.types import BooleanType, DoubleType, LongType, StringType

    try:
        kind = np.dtype(getattr(dtype, "numpy_dtype", dtype)).kind  # type: ignore[call-overload]
    except TypeError:  # pandas' string and other extension dtypes
        kind = "O"
    types: Dict[str, DataType] = {"i": LongType(), "u": LongType(), "f": DoubleType(), "b": BooleanType()}
    return types.get(kind, StringType())


def _predict_with_log(
    model: Predictor, customers: DataFrame, transactions: DataFrame, n_pieces: Optional[int]
) -> DataFrame:
    from pyspark.sql import Column
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructField, StructType

    from . import _log_scoring as log_scoring

    customer, id_column, date = log_scoring.log_columns(model, list(transactions.columns))
    if id_column not in customers.columns:
        raise DataError(
            f"unknown column `{id_column}` in customers; available columns: {list(customers.columns)}"
        )

    as_of = log_scoring.as_of_of(model, _last_days(transactions, date))
    n = int(n_pieces or int(customers.sparkSession.conf.get("spark.sql.shuffle.partitions") or 200))

    def piece(name: str) -> Column:
        return F.pmod(F.hash(F.col(name).cast("string")), F.lit(n))

    meta = log_scoring.meta_of(model, customers.limit(5).toPandas(), transactions.limit(0).toPandas(), as_of)
    id_type = customers.schema[id_column].dataType
    schema = StructType(
        [StructField(str(c), id_type if str(c) == id_column else _spark_type(meta[c].dtype), True) for c in meta.columns]
    )
    keyed_customers = customers.withColumn(log_scoring.KEY, piece(id_column))
    keyed_log = transactions.withColumn(log_scoring.LINE, F.monotonically_increasing_id()).withColumn(
        log_scoring.KEY, piece(customer)
    )
    scored = log_scoring.Score(model, as_of, meta)

    def score(key: Tuple[object, ...], customers: "pd.DataFrame", lines: "pd.DataFrame") -> "pd.DataFrame":
        """Cogrouped ``applyInPandas``: one bucket's customers and lines -> their assignments."""
        bucket = key[0] if len(key) else "?"
        return scored(customers, lines, f"bucket {bucket} of the customers").reset_index(drop=True)

    return (
        keyed_customers.groupBy(log_scoring.KEY)
        .cogroup(keyed_log.groupBy(log_scoring.KEY))
        .applyInPandas(score, schema=schema)
    )


# --- Transaction logs -----------------------------------------------------------------------------


def _last_days(transactions: DataFrame, date: str) -> List[Optional[int]]:
    """The last day of every partition of the log, as the core reads its dates (None if empty)."""
    from ._log_scoring import LastDay

    last_day = LastDay(date)

    def partition(batches: Iterator["pd.DataFrame"]) -> Iterator["pd.DataFrame"]:
        import pandas as pd

        known = [day for day in map(last_day, batches) if day is not None]
        yield pd.DataFrame({"last_day": pd.array([max(known)] if known else [None], dtype="Int64")})

    return [row["last_day"] for row in transactions.select(date).mapInPandas(partition, schema="last_day long").collect()]


def behaviour_features(
    transactions: DataFrame, *, customer: str = "customer_id", date: str = "date", amount: str = "amount",
    as_of: Optional[DateLike] = None, features: Sequence[str] = _engine.RFM_FEATURES,
) -> DataFrame:
    """Per-customer behaviour features of a Spark log (numeric features only, as doubles): the
    log is repartitioned by customer, then :func:`segcore.behaviour_features` runs per partition
    with one global ``as_of`` (default: the day after the last transaction)."""
    from pyspark.sql.types import DoubleType, StructField, StructType

    if as_of is None:
        as_of = _engine.day_after(_last_days(transactions, date))
    columns = list(features)
    options: Dict[str, object] = dict(customer=customer, date=date, amount=amount, as_of=as_of, features=columns)
    key_type = transactions.schema[customer].dataType
    schema = StructType(
        [StructField(customer, key_type, False)] + [StructField(c, DoubleType(), True) for c in columns]
    )

    def partition(batches: Iterator["pd.DataFrame"]) -> Iterator["pd.DataFrame"]:
        """One partition of the log repartitioned by customer -> its customers' features."""
        import pandas as pd

        from . import features

        frames = [f for f in batches if len(f)]
        if frames:
            table = features.behaviour_features(pd.concat(frames, ignore_index=True), **options).reset_index()  # type: ignore[arg-type]
            yield table.rename(columns={table.columns[0]: customer})[[customer] + columns]

    return transactions.repartition(customer).mapInPandas(partition, schema=schema)


def rfm(
    transactions: DataFrame, *, customer: str = "customer_id", date: str = "date", amount: str = "amount",
    as_of: Optional[DateLike] = None, n_scores: int = 5, rules: Optional[Sequence[RfmRule]] = None,
) -> "pd.DataFrame":
    """:func:`segcore.rfm` of a Spark log: recency, frequency, monetary and tenure per customer on
    the executors (see :func:`behaviour_features`), then quantile scores over all customers by
    :func:`segcore.rfm_scores` on the driver (three numbers per customer are collected, not the
    log). Returns a pandas DataFrame indexed by customer (sorted), equal to the in-memory result
    customer by customer."""
    table: pd.DataFrame = behaviour_features(transactions, customer=customer, date=date, amount=amount, as_of=as_of).toPandas()
    return _engine.rfm_of(table.set_index(customer), n_scores, rules)
