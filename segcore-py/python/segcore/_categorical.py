"""Categorical and mixed data: k-prototypes, latent class analysis, (multiple) correspondence analysis.

The classes here only hand over: the binding reads the columns (numeric and categorical ones by
dtype for pandas/polars DataFrames, by ``categorical=[indices]`` for arrays); the core orders the
categories (as pandas sorts them, which kmodes, stepmix and prince encode with), codes the values
and computes everything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Union, cast

import numpy as np
import numpy.typing as npt

from . import _segcore
from ._base import BaseEstimator, ClusterMixin, CoreModelMixin, TransformerMixin, check_is_fitted, core_method
from ._base import core_params, int_param, seed_from, store_params
from ._frames import _refuse_not_2d, _refuse_sparse, as_sample_weight, check_feature_names, feature_names_of, is_pandas, is_polars
from ._typing import Ignored, MatrixLike, RandomState, SampleWeight
from .exceptions import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["KPrototypes", "LatentClass", "latent_class_table", "CA", "MCA"]

#: The categorical columns: indices or names, one of them, or None (by dtype).
CategoricalColumns = Union[None, int, np.integer, str, Sequence[Union[int, np.integer, str]], np.ndarray]
#: k-prototypes' start: a method's name, or (numeric centroids, categorical modes).
PrototypesInit = Union[str, Tuple[npt.ArrayLike, npt.ArrayLike], List[npt.ArrayLike]]


# ---------------------------------------------------------------------------------------------
# Columns and category codes


def _read(X: MatrixLike, categorical: Any, **options: Any) -> Tuple[List[str], List[int], List[np.ndarray], np.ndarray, np.ndarray]:
    """``X`` (a pandas/polars DataFrame, else a 2-D array) read by ``_segcore.read_mixed``:
    (the columns' names in errors, the categorical columns, their categories, the numeric part,
    the category codes)."""
    if not (hasattr(X, "columns") and (is_pandas(X) or is_polars(X))):
        _refuse_sparse(X)
        X = np.asarray(X)
        _refuse_not_2d(X)
    return _segcore.read_mixed(X, categorical, **options)


class _CategoricalModel(CoreModelMixin):
    """What the estimators of categorical columns share: their columns read by :func:`_read`
    with the class's policies (every column categorical: ``_all``; a missing value coded:
    ``_missing_code``, else an error; an unseen category at predict a mismatch with every
    category: ``_unseen_mismatch``, else an error)."""

    _all = True
    _missing_code = False
    _unseen_mismatch = False
    categories_: List[np.ndarray]
    n_features_in_: int

    @classmethod
    def _read_fit(cls, X: MatrixLike, sample_weight: SampleWeight, categorical: Any = None) -> Tuple[Any, ...]:
        """:func:`_read` at fit (the categories learnt), and the sample weights."""
        read = _read(X, categorical, all_categorical=cls._all, missing_code=cls._missing_code)
        return read + (as_sample_weight(sample_weight, read[4].shape[0], np.dtype(np.float64)),)

    def _adopt(self, model: Any, X: MatrixLike, names: List[str], categories: List[np.ndarray]) -> None:
        """The fitted ``model``, its attributes (``_fitted``), ``categories_``, ``n_features_in_``
        and the feature names of ``X``."""
        self._set_fitted(model, feature_names_of(X))
        self.categories_, self.n_features_in_ = categories, len(names)

    def _read_new(self, X: MatrixLike) -> Tuple[np.ndarray, np.ndarray]:
        """(numeric part, codes) of new rows in the fitted columns and categories."""
        check_is_fitted(self)
        check_feature_names(self, X)
        _, _, _, numeric, codes = _read(
            X, getattr(self, "categorical_", None), fitted=self.categories_, n_features=self.n_features_in_,
            all_categorical=self._all, unseen_mismatch=self._unseen_mismatch, missing_code=self._missing_code,
        )
        return numeric, codes

    def _checked_input(self, X: MatrixLike, check_names: bool = True) -> np.ndarray:
        return self._read_new(X)[1]


# ---------------------------------------------------------------------------------------------
# k-prototypes


class KPrototypes(_CategoricalModel, ClusterMixin, BaseEstimator):
    """k-prototypes clustering (Huang) of rows with numeric and categorical columns.

    The dissimilarity of a row to a prototype is the squared Euclidean distance over the numeric
    columns plus ``gamma`` times the number of categorical columns whose category differs from
    the prototype's mode; prototypes are (weighted) means and modes. Same model as the kmodes
    package's ``KPrototypes``, computed in parallel in Rust.

    Parameters
    ----------
    n_clusters : int
    gamma : float or None
        Weight of one categorical mismatch. ``None``: half the mean standard deviation of the
        numeric columns (kmodes' default); 1.0 without numeric columns.
    init : {'k-means++', 'Cao', 'Huang'} or (numeric_centroids, categorical_modes)
        Initial prototypes. The named methods pick distinct rows, so initialisation never fails
        while the data has ``n_clusters`` distinct rows (a clear error otherwise). Given
        centroids use the original category values.
    n_init : int
        Runs from different initial prototypes (lowest cost wins; 'Cao' and given centroids
        run once).
    max_iter : int
    categorical : list of int or str, or None
        Categorical columns. ``None``: by dtype for DataFrames (pandas category/object/string/
        bool, polars Categorical/Enum/String/Boolean); all numeric for numeric arrays.
    update : {'batch', 'incremental'}
        'batch' (parallel Lloyd-style); 'incremental' moves rows one at a time as kmodes does
        (sequential; the same labels as kmodes from the same initial prototypes).
    random_state : int, RandomState, Generator or None

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    cost_ : float
        Weighted sum of the dissimilarities of the rows to their prototypes.
    cluster_centroids_ : ndarray of object, shape (n_clusters, n_features_in_)
        Prototypes in the columns' order: numeric means and categorical modes.
    numeric_centroids_ : ndarray of shape (n_clusters, n_numeric)
    categorical_modes_ : ndarray of object, shape (n_clusters, n_categorical)
    categorical_ : list of int
        Indices of the categorical columns.
    categories_ : list of ndarray
        Categories of each categorical column, sorted (code order).
    gamma_ : float
    n_iter_ : int
    converged_ : bool
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    Notes
    -----
    At ``predict``, a category not seen at fit matches no prototype's mode (it counts as a
    mismatch with every prototype), as in kmodes; a missing category is an error.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> X = np.array([[0.1, "retail"], [0.0, "retail"], [5.0, "bank"], [5.2, "bank"]], dtype=object)
    >>> model = segcore.KPrototypes(n_clusters=2, categorical=[1], random_state=0).fit(X)
    >>> bool(model.labels_[0] == model.labels_[1]), bool(model.labels_[0] != model.labels_[2])
    (True, True)
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        gamma: Optional[float] = None,
        init: PrototypesInit = "k-means++",
        n_init: int = 10,
        max_iter: int = 100,
        categorical: CategoricalColumns = None,
        update: str = "batch",
        random_state: RandomState = None,
    ) -> None:
        store_params(self, locals())

    _all = False
    _unseen_mismatch = True
    _fitted = "labels cost gamma n_iter converged numeric_centroids"

    def fit(
        self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None, categorical: CategoricalColumns = None
    ) -> "KPrototypes":
        """Fit on ``X``; ``categorical`` (as kmodes' ``fit``) overrides the parameter."""
        names, cat, categories, numeric, codes, weights = self._read_fit(
            X, sample_weight, categorical if categorical is not None else self.categorical
        )
        model = _segcore.KPrototypesModel.fit(
            numeric, codes, weights, init=self.init, categories=categories, names=[names[j] for j in cat],
            update=self.update, random_state=seed_from(self.random_state),
            **core_params(self, int="n_clusters n_init max_iter", float="gamma?"),
        )
        self._adopt(model, X, names, categories)
        modes = model.categorical_modes
        self.categorical_modes_ = np.empty(modes.shape, dtype=object)
        for col, values in enumerate(categories):
            self.categorical_modes_[:, col] = values[modes[:, col]]
        is_categorical = np.isin(np.arange(len(names)), cat)
        self.cluster_centroids_ = np.empty((modes.shape[0], len(names)), dtype=object)
        self.cluster_centroids_[:, ~is_categorical] = self.numeric_centroids_
        self.cluster_centroids_[:, is_categorical] = self.categorical_modes_
        self.categorical_ = cat
        return self

    def predict(self, X: MatrixLike) -> np.ndarray:
        """Nearest prototype of each row."""
        numeric, codes = self._read_new(X)
        return self._model.predict(numeric, codes)

    def fit_predict(
        self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None, categorical: CategoricalColumns = None
    ) -> np.ndarray:
        """Fit and return ``labels_``."""
        return self.fit(X, sample_weight=sample_weight, categorical=categorical).labels_


# ---------------------------------------------------------------------------------------------
# Latent class analysis


class LatentClass(_CategoricalModel, ClusterMixin, BaseEstimator):
    """Latent class analysis: unobserved classes behind categorical answers, fitted by EM.

    Every column of ``X`` is a categorical indicator (any values; missing answers as
    None/NaN/null are skipped in the likelihood: missing at random, as stepmix and poLCA).
    Answers are independent given the class. Several random starts; the best log-likelihood
    wins.

    Parameters
    ----------
    n_components : int
    n_init : int
    max_iter : int
    tol : float
        A start stops when the mean log-likelihood per row rises by less than this.
    random_state : int, RandomState, Generator or None

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    item_probabilities_ : list of ndarray, one (n_components, n_categories) per column
        P(answer | class), categories in the order of ``categories_``.
    categories_ : list of ndarray
    log_likelihood_ : float
        Total log-likelihood of the training rows.
    n_parameters_ : int
    labels_ : ndarray of shape (n_samples,)
    n_iter_ : int
    converged_ : bool
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Notes
    -----
    A row with every answer missing contributes 0 to the log-likelihood and its class
    probabilities are ``weights_``. An answer not seen at fit is an error at predict.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> X = np.array([["yes", "yes", "no"]] * 30 + [["no", "no", "yes"]] * 20, dtype=object)
    >>> model = segcore.LatentClass(n_components=2, random_state=0).fit(X)
    >>> sorted(np.round(model.weights_, 2).tolist())
    [0.4, 0.6]
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        n_init: int = 10,
        max_iter: int = 1000,
        tol: float = 1e-8,
        random_state: RandomState = None,
    ) -> None:
        store_params(self, locals())

    _missing_code = True
    _fitted = "weights item_probabilities log_likelihood n_parameters n_iter converged"

    def fit(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> "LatentClass":
        """Fit the model on the answers ``X``."""
        names, _, categories, _, codes, weights = self._read_fit(X, sample_weight)
        params = core_params(self, int="n_components n_init max_iter", float="tol")
        model = _segcore.LatentClassModel.fit(codes, weights, **params, random_state=seed_from(self.random_state))
        self._adopt(model, X, names, categories)
        self.labels_ = model.predict(codes)
        return self

    predict_proba = core_method("predict_proba", "Posterior class probabilities, shape (n_samples, n_components).")
    predict = core_method("predict", "Most probable class of each row.")
    score_samples = core_method("score_samples", "Log-likelihood of each row.")
    bic = core_method("bic", "Bayesian information criterion: ``-2 LL + n_parameters ln(n_samples)``.")
    aic = core_method("aic", "Akaike information criterion: ``-2 LL + 2 n_parameters``.")

    def score(self, X: MatrixLike, y: Ignored = None) -> float:
        """Mean log-likelihood per row (scikit-learn's mixture convention)."""
        return self._call("score", X)


def latent_class_table(
    X: MatrixLike,
    n_components: Sequence[int] = (1, 2, 3, 4, 5, 6),
    *,
    n_init: int = 10,
    max_iter: int = 1000,
    tol: float = 1e-8,
    random_state: RandomState = None,
    sample_weight: SampleWeight = None,
) -> Dict[str, np.ndarray]:
    """Fit a latent class model for each number of classes and tabulate the fit.

    Returns a dict of arrays (``pandas.DataFrame(result)`` makes it a table): ``n_components``,
    ``log_likelihood``, ``n_parameters``, ``bic``, ``aic``, ``converged``. The lowest BIC is the
    usual choice.
    """
    codes, weights = LatentClass._read_fit(X, sample_weight)[4:]
    params = core_params(locals(), int="n_init max_iter", float="tol")
    n_components = [int_param("n_components", k) for k in n_components]
    rows = _segcore.latent_class_table(codes, weights, n_components, **params, random_state=seed_from(random_state))
    return dict(rows)


# ---------------------------------------------------------------------------------------------
# Correspondence analysis


class MCA(_CategoricalModel, TransformerMixin, BaseEstimator):
    """Multiple correspondence analysis of categorical columns (prince's definitions).

    Computed from the Burt matrix without building the indicator matrix, so memory does not grow
    with the number of rows. Eigenvalues equal prince's ``MCA`` (to rounding); coordinates equal
    prince's up to the sign of each component (here each component's largest category
    coordinate is positive).

    Parameters
    ----------
    n_components : int
    correction : {None, 'benzecri', 'greenacre'}
        Eigenvalue correction, as prince.

    Attributes
    ----------
    eigenvalues_ : ndarray
        Corrected eigenvalues when ``correction`` is set, else the principal inertias (prince).
    principal_inertias_ : ndarray
        Uncorrected eigenvalues.
    percentage_of_variance_ : ndarray
    cumulative_percentage_of_variance_ : ndarray
    total_inertia_ : float
    column_coordinates_ : ndarray of shape (n_categories_total, n_components)
        Category principal coordinates, columns then categories in ``categories_`` order.
    category_names_ : list of str
        ``"column__category"`` for each row of ``column_coordinates_`` (prince's names).
    categories_ : list of ndarray
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np, segcore
    >>> X = np.array([["a", "x"], ["a", "x"], ["b", "y"], ["b", "x"], ["c", "y"]], dtype=object)
    >>> mca = segcore.MCA(n_components=2).fit(X)
    >>> mca.transform(X).shape
    (5, 2)
    """

    def __init__(self, n_components: int = 2, *, correction: Optional[str] = None) -> None:
        store_params(self, locals())

    _fitted = ("eigenvalues principal_inertias percentage_of_variance cumulative_percentage_of_variance "
               "total_inertia column_coordinates")

    def fit(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> "MCA":
        """Fit on the categorical columns ``X`` (missing values are an error)."""
        names, _, categories, _, codes, weights = self._read_fit(X, sample_weight)
        n_components = int_param("n_components", self.n_components)
        model = _segcore.McaModel.fit(codes, weights, n_components=n_components, correction=self.correction)
        self._adopt(model, X, names, categories)
        labels = getattr(X, "columns", range(len(names)))
        self.category_names_ = [f"{name}__{value}" for name, cats in zip(labels, categories) for value in cats]
        return self

    transform = core_method("transform", "Row principal coordinates (an unseen category is an error).")

    def fit_transform(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> np.ndarray:
        """Fit, then the training rows' coordinates."""
        return self.fit(X, sample_weight=sample_weight).transform(X)


class CA(CoreModelMixin, TransformerMixin, BaseEstimator):
    """Correspondence analysis of a two-way contingency table (prince's definitions).

    ``X`` is the table itself (counts, rows x columns), e.g. ``pandas.crosstab(industry,
    product)``. Eigenvalues equal prince's ``CA``; coordinates equal up to the sign of each
    component.

    Attributes
    ----------
    eigenvalues_, percentage_of_variance_, cumulative_percentage_of_variance_ : ndarray
    total_inertia_ : float
    row_coordinates_ : ndarray of shape (n_rows, n_components)
    column_coordinates_ : ndarray of shape (n_columns, n_components)
    row_masses_, column_masses_ : ndarray
    row_names_, column_names_ : list
        The table's index and columns when it is a DataFrame, else positions.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> table = np.array([[30, 5, 2], [4, 25, 6], [3, 7, 20], [10, 10, 10]])
    >>> ca = segcore.CA(n_components=2).fit(table)
    >>> round(float(ca.percentage_of_variance_.sum()), 6)
    100.0
    """

    def __init__(self, n_components: int = 2) -> None:
        store_params(self, locals())

    _fitted = ("eigenvalues percentage_of_variance cumulative_percentage_of_variance total_inertia "
               "row_coordinates column_coordinates row_masses column_masses")

    def fit(self, X: MatrixLike, y: Ignored = None) -> "CA":
        """Fit on the contingency table ``X``."""
        table = np.asarray(X, dtype=np.float64)
        if table.ndim != 2:
            raise DataError(f"the contingency table must be 2D, got {table.ndim}D")
        self._set_fitted(_segcore.CaModel.fit(table, n_components=int_param("n_components", self.n_components)), None)
        frame = cast("pd.DataFrame", X)
        self.row_names_ = list(frame.index if is_pandas(X) else range(table.shape[0]))
        self.column_names_ = list(frame.columns if is_pandas(X) or is_polars(X) else range(table.shape[1]))
        return self

    def _checked_input(self, X: MatrixLike, check_names: bool = True) -> np.ndarray:
        check_is_fitted(self)
        return np.atleast_2d(np.asarray(X, dtype=np.float64))

    transform = core_method("transform", "Principal coordinates of rows of counts over the table's columns.")

    def fit_transform(self, X: MatrixLike, y: Ignored = None) -> np.ndarray:
        """Fit, then the table rows' coordinates."""
        return self.fit(X).row_coordinates_
