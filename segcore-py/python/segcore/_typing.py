"""Type aliases of segcore's public signatures (annotations only; nothing here runs code)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Callable, Mapping, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

#: A table of customers or order lines: a pandas or polars DataFrame, or a dict of columns.
Table = Union["pd.DataFrame", "pl.DataFrame", Mapping[str, Sequence[object]]]
#: What segcore returns for a table: pandas in, pandas out; polars in, polars out.
Frame = Union["pd.DataFrame", "pl.DataFrame"]
#: A date: ISO text, ``datetime.date`` / ``datetime.datetime``, numpy ``datetime64`` or a pandas
#: ``Timestamp``.
DateLike = Union[str, datetime.date, np.datetime64, "pd.Timestamp"]
#: scikit-learn's ``random_state``: None, a seed, or a numpy random generator.
RandomState = Union[None, int, np.integer, np.random.RandomState, np.random.Generator]
#: A progress setting: on, off, automatic (None) or a callback receiving (stage, fraction done).
Progress = Union[None, bool, Callable[[str, float], object]]
#: Smallest and largest k: ``(4, 8)`` or ``range(4, 9)``.
KRange = Union[Tuple[int, int], Sequence[int], range]
#: A matrix X: a numpy array (or what numpy reads as one, such as nested lists) or a pandas or
#: polars DataFrame.
MatrixLike = Union[npt.ArrayLike, "pd.DataFrame", "pl.DataFrame"]
#: One column: a pandas or polars Series, a pandas Index or Categorical, a numpy array or a
#: sequence of values.
ColumnLike = Union[npt.ArrayLike, "pd.Series", "pd.Index", "pd.Categorical", "pl.Series"]
#: Sample weights: None (all 1), one number for every row, or one per row.
SampleWeight = Union[None, float, npt.ArrayLike]
#: scikit-learn's ``y`` where an estimator ignores it (accepted for pipeline compatibility).
Ignored = object
#: mclust's conjugate prior of a Gaussian mixture: None/False (none), True or "mclust" (mclust's
#: ``defaultPrior``), or a dict overriding ``"shrinkage"`` and ``"dof"``.
MixturePriorLike = Union[None, bool, str, Mapping[str, float]]
#: k-means' ``init``: a method's name, the initial centers, or a callable
#: ``init(X, n_clusters, random_state)`` returning them (scikit-learn's).
KMeansInit = Union[str, npt.ArrayLike, Callable[[np.ndarray, int, np.random.RandomState], npt.ArrayLike]]
#: Cluster centers: an array (n_clusters, n_features) or a fitted model with ``cluster_centers_``.
CentersLike = Union[npt.ArrayLike, object]
#: The customers to report on: a DataFrame with the customer column, a sequence of ids, or None
#: (the customers of the log).
CustomersLike = Union[None, "pd.DataFrame", "pl.DataFrame", Sequence[object], np.ndarray]
