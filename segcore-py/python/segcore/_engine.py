"""What :mod:`segcore.dask` and :mod:`segcore.spark` share: everything but moving values (an
engine runs a task on every partition and merges the statistics, :class:`Partitions`, streams a
model over the partitions and maps one over them): parameter checks, the driver loop, models and
fitted attributes from the core's documents, the per-partition work, scoring and RFM scores.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Optional, Protocol, Sequence, TypeVar, Union

import numpy as np
import numpy.typing as npt

from . import _segcore
from ._base import adopt, auto_or_int, float_param, int_param, n_components_arg, seed_from
from ._typing import KMeansInit, RandomState
from .exceptions import ConvergenceWarning, DataError, InvalidParameterError, SegcoreError

if TYPE_CHECKING:
    import pandas as pd

    from .cluster import KMeans as LocalKMeans
    from .cluster import MiniBatchKMeans as LocalMiniBatchKMeans
    from .features import RfmRule
    from .mixture import GaussianMixture as LocalGaussianMixture

#: A float block as the core reads it (float32 stays float32, anything else is float64).
Block = npt.NDArray[np.floating]
FloatType = Union[type[np.float32], type[np.float64]]


class Driver(Protocol):
    """A distributed fit of the core (``KMeansDriver``, ``GmmDriver``): the task every partition
    runs next (None when done), then the merged statistics it receives."""

    def next_task(self) -> Optional[str]: ...

    def receive(self, stats: str) -> None: ...

    def model_json(self) -> str: ...


class Partitions(Protocol):
    """The rows of a fit on an engine: all columns float32 (the fit then is), the number of
    columns, their names (None for a dask array), weighted or not; ``run(task)`` runs a task on
    every partition (the statistics merged in partition order), ``drive(driver)`` a fit."""

    float32: bool
    n_features: int
    names: Optional[npt.NDArray[np.object_]]
    weighted: bool

    def run(self, task: str) -> str: ...

    def drive(self, driver: Driver) -> None: ...


class Predictor(Protocol):
    """A fitted model that scores a pandas frame (an estimator of :mod:`segcore`, a Segmenter)."""

    def predict(self, X: "pd.DataFrame") -> object: ...


class Distributed(Protocol):
    """A fitted estimator of an engine module: scored as its single-machine model."""

    def to_local(self) -> Predictor: ...


# --- Per-partition work (runs on the workers / executors) -----------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def guarded(where: str) -> Callable[[F], F]:
    """Decorates a function run on a worker or executor: a ``BaseException`` that is not an
    ``Exception`` (a Rust panic arrives as one) becomes a :class:`SegcoreError` naming ``where``
    (formatted with the call's arguments) and the original; a Dask cluster loses such an
    exception and the compute waits forever. Ctrl-C and ``SystemExit`` pass through."""

    def wrap(function: F) -> F:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except (Exception, KeyboardInterrupt, SystemExit):
                raise
            except BaseException as error:  # noqa: BLE001 - the point: a panic is an error
                try:
                    place = where.format(**inspect.signature(function).bind(*args, **kwargs).arguments)
                except Exception:  # noqa: BLE001 - say where as written
                    place = where
                raise SegcoreError(
                    f"internal error in segcore (please report it): {place}: {type(error).__name__}: {error}"
                ) from error

        return run  # type: ignore[return-value]

    return wrap


def dtype_of(block: np.ndarray) -> FloatType:
    """The float type the core computes ``block`` in."""
    return np.float32 if block.dtype == np.float32 else np.float64


def aligned(block: npt.ArrayLike, dtype: FloatType) -> Block:
    """C-contiguous and aligned: blocks unpickled on a worker can sit at unaligned addresses."""
    return np.require(block, dtype=dtype, requirements=["C", "A"])


def _weights(weights: Optional[npt.ArrayLike], dtype: FloatType) -> Optional[Block]:
    return None if weights is None else aligned(np.asarray(weights, dtype=dtype).reshape(-1), dtype)


@guarded("partition {partition}")
def run_task(task: str, rows: "npt.ArrayLike | _segcore.ParquetRows", partition: int, weights: Optional[npt.ArrayLike] = None) -> str:
    """One partition task: the rows in their own float type, their sample weights in the same
    (or a :func:`segcore.dask.read_parquet` block decoded where it runs, float64 weights)."""
    if isinstance(rows, _segcore.ParquetRows):
        return rows.run(task, partition, _weights(weights, np.float64))
    block = np.asarray(rows)
    dtype = dtype_of(block)
    return _segcore.partition_task_run(task, aligned(block, dtype), partition, _weights(weights, dtype))


@guarded("partition {partition}")
def partial_fit(
    estimator: "LocalMiniBatchKMeans", rows: "npt.ArrayLike | _segcore.ParquetRows", partition: int, weights: Optional[npt.ArrayLike] = None
) -> "LocalMiniBatchKMeans":
    """``estimator.partial_fit`` on one partition (nothing for an empty one)."""
    block = rows() if isinstance(rows, _segcore.ParquetRows) else np.asarray(rows)
    if block.shape[0] == 0:
        return estimator
    dtype = dtype_of(block)
    return estimator.partial_fit(aligned(block, dtype), sample_weight=_weights(weights, dtype))


def moments_task(kind: str, weighted: bool) -> str:
    """The task of ``kind`` (``column_moments``, ``covariance_moments``), weighted or not."""
    return f'{{"task":"{"weighted_" if weighted else ""}{kind}"}}'


def drive(driver: Driver, run: Callable[[str], str]) -> None:
    """One ``run`` (every partition, merged) per task of ``driver``, until it is done."""
    while (task := driver.next_task()) is not None:
        driver.receive(run(task))


# --- Estimators: parameters, fits from partial statistics, fitted attributes ----------------------


def _adopt_columns(estimator: object, data: Partitions) -> None:
    setattr(estimator, "n_features_in_", data.n_features)
    if data.names is not None:
        setattr(estimator, "feature_names_in_", data.names)


class KMeansFit:
    """Exact k-means from the core's ``KMeansDriver``: k-means|| or given centers, then Lloyd."""

    n_clusters: int
    init: KMeansInit
    n_init: Union[int, str, None]
    max_iter: int
    tol: float
    random_state: RandomState
    oversampling_factor: Optional[float]
    init_max_iter: int
    _model: _segcore.KMeansModel

    def _fit_partitions(self, data: Partitions) -> None:
        centers = None
        if not isinstance(self.init, str):
            centers = np.asarray(self.init, dtype=np.float64)
        elif self.init not in ("k-means||", "k-means++"):
            raise InvalidParameterError(
                f"invalid parameter `init` = {self.init!r}: expected 'k-means||' or an array of "
                "shape (n_clusters, n_features)"
            )
        factor = self.oversampling_factor
        driver = _segcore.KMeansDriver(
            n_clusters=int_param("n_clusters", self.n_clusters),
            init_centers=centers,
            max_iter=int_param("max_iter", self.max_iter),
            tol=float_param("tol", self.tol),
            random_state=seed_from(self.random_state),
            n_init=None if self.n_init is None else auto_or_int("n_init", self.n_init),
            float32=data.float32,
            oversampling_factor=None if factor is None else float_param("oversampling_factor", factor),
            init_rounds=int_param("init_max_iter", self.init_max_iter),
        )
        data.drive(driver)
        model = _segcore.KMeansModel.from_json(driver.model_json())
        for message in model.warnings:  # at the caller of the engine's fit
            warnings.warn(message, ConvergenceWarning, stacklevel=3)
        self._model = model
        adopt(self, model, "cluster_centers inertia n_iter")
        _adopt_columns(self, data)

    def to_local(self) -> "LocalKMeans":
        """The fitted model as a :class:`segcore.KMeans` (save it, profile it, serve it)."""
        from .cluster import KMeans as LocalKMeans

        local = LocalKMeans(n_clusters=self.n_clusters, random_state=self.random_state)
        local._set_fitted(self._model, getattr(self, "feature_names_in_", None))
        local.labels_ = np.zeros(0, dtype=np.int32)
        return local


class MiniBatchFit:
    """Mini-batch k-means streamed over the partitions in order (the engine's ``_stream`` moves
    the :class:`segcore.MiniBatchKMeans` from one partition to the next)."""

    n_clusters: int
    batch_size: int
    random_state: RandomState
    _local: "LocalMiniBatchKMeans"

    def _stream(self, data: Partitions) -> "LocalMiniBatchKMeans":
        raise NotImplementedError  # the engine's: partial_fit of self._local over the partitions

    def _fit_partitions(self, data: Partitions, restart: bool = True) -> None:
        """``partial_fit`` over every partition, from a new model if ``restart`` (or unfitted)."""
        from .cluster import MiniBatchKMeans as LocalMiniBatchKMeans

        if restart or not hasattr(self, "_local"):
            self._local = LocalMiniBatchKMeans(self.n_clusters, batch_size=self.batch_size, random_state=self.random_state)
        local = self._stream(data)
        if getattr(local, "_model", None) is None:
            raise DataError("X has no rows in any partition")
        self._local, self._model, self.cluster_centers_ = local, local._model, local.cluster_centers_
        _adopt_columns(self, data)

    def to_local(self) -> "LocalMiniBatchKMeans":
        """The fitted :class:`segcore.MiniBatchKMeans`."""
        return self._local


class MixtureFit:
    """Gaussian mixture (EM) from the core's ``GmmDriver``: one pass per iteration."""

    _local: "LocalGaussianMixture"  # the fitted segcore.GaussianMixture (set by fit)

    def _fit_partitions(self, data: Partitions) -> None:
        from .mixture import adopt_mixture, em_settings

        driver = _segcore.GmmDriver(**em_settings(self), float32=data.float32)
        data.drive(driver)
        adopt_mixture(self, driver.model_json(), data.names)

    def to_local(self) -> "LocalGaussianMixture":
        """The fitted model as a :class:`segcore.GaussianMixture` (save it, profile it, serve it)."""
        return self._local


class ScalerFit:
    """Column standardisation from moments merged over the partitions (Chan et al.); weighted,
    scikit-learn's ``StandardScaler.fit(sample_weight=...)``."""

    with_mean: bool
    with_std: bool
    _model: _segcore.StandardScalerModel

    def _fit_partitions(self, data: Partitions) -> None:
        stats = data.run(moments_task("column_moments", data.weighted))
        document, rows, weight = _segcore.scaler_from_moments(
            stats, bool(self.with_mean), bool(self.with_std), data.float32
        )
        self._model = _segcore.StandardScalerModel.from_json(document)
        adopt(self, self._model, "mean scale", var_="variance")
        # scikit-learn's count: the rows, or their total weight under sample weights.
        self.n_samples_seen_: Union[int, float] = weight if data.weighted else rows
        _adopt_columns(self, data)


class PcaFit:
    """PCA from the covariance merged over the partitions (scikit-learn's ``covariance_eigh``);
    weighted, the frequency-weighted PCA of :class:`segcore.PCA`."""

    n_components: Union[int, float, None]
    whiten: bool
    _model: _segcore.PcaModel

    def _fit_partitions(self, data: Partitions) -> None:
        stats = data.run(moments_task("covariance_moments", data.weighted))
        count, fraction = n_components_arg(self.n_components)
        document = _segcore.pca_from_moments(
            stats, n_components=count, variance_fraction=fraction, whiten=bool(self.whiten), float32=data.float32
        )
        self._model = _segcore.PcaModel.from_json(document)
        names = "components explained_variance explained_variance_ratio singular_values mean noise_variance"
        adopt(self, self._model, names, n_components_="n_components", n_samples_="n_samples")
        _adopt_columns(self, data)


# --- Scoring and transaction logs -----------------------------------------------------------------


def local_model(model: Union[Predictor, Distributed]) -> Predictor:
    """The single-machine model that scores: an engine estimator's :meth:`to_local`."""
    to_local = getattr(model, "to_local", None)
    return to_local() if to_local is not None else model  # type: ignore[return-value]


def fitted_columns(model: Predictor) -> Optional[List[str]]:
    """The columns ``model`` was fitted on (None for a Segmenter, which reads its own)."""
    from .segmenter import Segmenter

    names = getattr(model, "feature_names_in_", None)
    return None if names is None or isinstance(model, Segmenter) else [str(c) for c in names]


def labels_of(model: Predictor, part: "pd.DataFrame", columns: Optional[List[str]]) -> "np.ndarray | pd.DataFrame":
    """``model.predict`` on one partition (its ``columns``): int64 labels, or the assignment
    frame of a Segmenter."""
    import pandas as pd

    if len(part) == 0:
        return np.zeros(0, dtype=np.int64)
    # A deep copy: the blocks of a partition unpickled on a worker can sit at unaligned
    # addresses, and the core reads aligned arrays only.
    frame = (part if columns is None else part[columns]).copy(deep=True)
    labels = model.predict(frame)
    return labels if isinstance(labels, pd.DataFrame) else np.asarray(labels, dtype=np.int64)


def day_after(last_days: Iterable[Optional[int]]) -> datetime.date:
    """The default ``as_of`` of a log from its pieces' last days (days since 1970-01-01 as the core
    reads the dates, None for an empty piece): the day after the latest. Text dates are compared
    as dates, not as text ("31.01.2024" is before "01.02.2024")."""
    known = [int(day) for day in last_days if day is not None]
    if not known:
        raise DataError("the transaction log is empty")
    return datetime.date(1970, 1, 1) + datetime.timedelta(days=max(known) + 1)


RFM_FEATURES = ("recency_days", "frequency", "monetary", "tenure_days")


def rfm_of(base: "pd.DataFrame", n_scores: int, rules: "Optional[Sequence[RfmRule]]") -> "pd.DataFrame":
    """The gathered per-customer RFM features (indexed by customer) with their quantile scores
    over all customers (:func:`segcore.rfm_scores`), sorted by customer."""
    from . import features

    base = base.sort_index()
    scores = features.rfm_scores(
        base["recency_days"], base["frequency"], base["monetary"], n_scores=n_scores, rules=rules
    )
    return base.join(scores)

