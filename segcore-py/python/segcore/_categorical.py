"""Categorical and mixed data: k-prototypes, latent class analysis, (multiple) correspondence analysis.

The classes here only convert: columns are split into numeric and categorical ones (by dtype for
pandas/polars DataFrames, by ``categorical=[indices]`` for arrays) and handed over value by value;
the core orders the categories (as pandas sorts them, which kmodes, stepmix and prince encode
with), codes the values and computes everything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Hashable, List, Optional, Sequence, Tuple, Union, cast

import numpy as np
import numpy.typing as npt

from . import _segcore
from ._base import BaseEstimator, ClusterMixin, CoreModelMixin, TransformerMixin, adopt, check_is_fitted
from ._base import float_param, int_param, seed_from, store_params
from ._frames import _refuse_not_2d, _refuse_sparse, as_sample_weight, check_feature_names, feature_names_of, is_pandas, is_polars, values
from ._typing import ColumnLike, Ignored, MatrixLike, RandomState, SampleWeight
from .exceptions import DataError, InvalidParameterError

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

__all__ = ["KPrototypes", "LatentClass", "latent_class_table", "CA", "MCA"]

#: The categorical columns: indices or names, one of them, or None (by dtype).
CategoricalColumns = Union[None, int, np.integer, str, Sequence[Union[int, np.integer, str]], np.ndarray]
#: k-prototypes' start: a method's name, or (numeric centroids, categorical modes).
PrototypesInit = Union[str, Tuple[npt.ArrayLike, npt.ArrayLike], List[npt.ArrayLike]]


# ---------------------------------------------------------------------------------------------
# Columns and category codes


def _columns(X: MatrixLike) -> Tuple[List[ColumnLike], List[Hashable], bool, int]:
    """(columns, keys, whether ``X`` is a DataFrame, n_rows): a pandas/polars DataFrame's columns
    by name, or a 2-D array's by position."""
    if hasattr(X, "columns") and (is_pandas(X) or is_polars(X)):
        frame = cast("pd.DataFrame", X)
        keys = list(frame.columns)
        return [frame[k] for k in keys], keys, True, int(frame.shape[0])
    _refuse_sparse(X)
    array = np.asarray(X)
    _refuse_not_2d(array)
    return list(array.T), list(range(array.shape[1])), False, int(array.shape[0])


def _is_categorical(column: ColumnLike) -> bool:
    """By dtype: pandas' bool and non-numeric columns, polars' non-numeric ones."""
    dtype = getattr(column, "dtype")
    if is_polars(column):
        return not dtype.is_numeric()
    import pandas as pd

    return bool(pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype))


def _objects(column: ColumnLike) -> np.ndarray:
    """A categorical column's values as Python objects (polars' non-numeric ones as text)."""
    if is_polars(column) and not getattr(column, "dtype").is_numeric():
        import polars as pl

        column = cast("pl.Series", column).cast(pl.String)
    return np.asarray(values(column), dtype=object)


class _Layout:
    """Which columns are numeric and which categorical, and the fitted categories."""

    def __init__(self, X: MatrixLike, categorical: CategoricalColumns, all_categorical: bool) -> None:
        columns, keys, self.frame, _ = _columns(X)
        self.labels = [str(k) for k in keys]
        n = self.n_features = len(keys)
        if all_categorical:
            cat = list(range(n))
        elif categorical is not None:
            given = [categorical] if isinstance(categorical, (int, np.integer, str)) else list(cast(Sequence, categorical))
            names = [k if isinstance(k, str) else None for k in keys] if self.frame else None
            cat = _segcore.categorical_columns(repr(categorical), given, names, n)
        elif not self.frame:
            dtype = np.asarray(X).dtype
            if dtype.kind not in "biuf":
                raise InvalidParameterError(
                    f"invalid parameter `categorical` = None: X is an array of {dtype} values; pass "
                    "categorical=[column indices] (or a DataFrame whose categorical columns have a "
                    "category/string dtype)"
                )
            cat = []
        else:
            cat = [j for j, column in enumerate(columns) if _is_categorical(column)]
        self.categorical = cat
        self.numeric = [j for j in range(n) if j not in set(cat)]
        self.categories: List[np.ndarray] = []

    def names(self, indices: Sequence[int], keys: Optional[Sequence[Hashable]] = None) -> List[str]:
        """The columns' names in errors (``column 2`` for an array's)."""
        shown = self.labels if keys is None else keys
        return [str(shown[j]) if self.frame else f"column {shown[j]}" for j in indices]

    def numeric_part(self, X: MatrixLike) -> np.ndarray:
        columns, keys, _, n_rows = _columns(X)
        out = np.empty((n_rows, len(self.numeric)), dtype=np.float64)
        for col, (j, name) in enumerate(zip(self.numeric, self.names(self.numeric, keys))):
            try:
                column = columns[j]
                out[:, col] = (cast("pd.Series", column).to_numpy(dtype=np.float64, na_value=np.nan)
                               if is_pandas(column) else np.asarray(values(column), dtype=np.float64))
            except (TypeError, ValueError) as err:
                raise TypeError(f"column {name} is treated as numeric but is not ({err}); list it in `categorical`") from None
        return out

    def _inputs(self, X: MatrixLike) -> Tuple[List[Tuple[str, list, Optional[list]]], List[np.ndarray], int]:
        """The categorical columns for the core: (name, values, a pandas Categorical's declared
        order or None); the core orders the categories and codes the values."""
        columns, keys, _, n_rows = _columns(X)
        if len(keys) != self.n_features:
            raise DataError(f"shape mismatch in X (number of features): expected {self.n_features}, got {len(keys)}")
        objects = [_objects(columns[j]) for j in self.categorical]
        declared = [getattr(getattr(columns[j], "dtype", None), "categories", None) if is_pandas(columns[j]) else None
                    for j in self.categorical]
        inputs = [(name, o.tolist(), None if d is None else list(d))
                  for name, o, d in zip(self.names(self.categorical, keys), objects, declared)]
        return inputs, objects, n_rows

    def fit_codes(self, X: MatrixLike, missing: str) -> np.ndarray:
        """Learns the categories of the categorical columns (each shown as its value at its
        first row) and returns their codes at fit; ``missing``: 'error' or 'code'."""
        inputs, objects, n_rows = self._inputs(X)
        rows, codes = _segcore.fit_categories(inputs, n_rows, missing_code=missing == "code")
        self.categories = [o[np.asarray(r, dtype=np.intp)] for o, r in zip(objects, rows)]
        return codes

    @classmethod
    def of_answers(cls, X: MatrixLike, sample_weight: SampleWeight, missing: str) -> Tuple["_Layout", np.ndarray, Optional[np.ndarray]]:
        """The layout of ``X`` as categorical columns only, their codes at fit and the weights."""
        layout = cls(X, None, True)
        codes = layout.fit_codes(X, missing)
        return layout, codes, as_sample_weight(sample_weight, codes.shape[0], np.dtype(np.float64))

    def adopt(self, estimator: Any, model: Any, X: MatrixLike, attributes: str) -> None:
        """Stores this layout, the fitted ``model`` and its ``attributes`` on ``estimator``, with
        ``categories_``, ``n_features_in_`` and the feature names of ``X``."""
        estimator._layout, estimator._model = self, model
        adopt(estimator, model, attributes)
        estimator.categories_ = list(self.categories)
        estimator.n_features_in_ = self.n_features
        estimator._set_feature_names(feature_names_of(X))

    def codes(self, X: MatrixLike, unseen: str, missing: str) -> np.ndarray:
        """Codes at predict. ``unseen``: 'error' or 'mismatch' (code = number of categories);
        ``missing``: 'error' or 'code'."""
        inputs, _, n_rows = self._inputs(X)
        return _segcore.category_codes(
            inputs, [c.tolist() for c in self.categories], n_rows,
            unseen_mismatch=unseen == "mismatch", missing_code=missing == "code",
        )


# ---------------------------------------------------------------------------------------------
# k-prototypes


class KPrototypes(CoreModelMixin, ClusterMixin, BaseEstimator):
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

    def fit(
        self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None, categorical: CategoricalColumns = None
    ) -> "KPrototypes":
        """Fit on ``X``; ``categorical`` (as kmodes' ``fit``) overrides the parameter."""
        layout = _Layout(X, categorical if categorical is not None else self.categorical, False)
        numeric = layout.numeric_part(X)
        codes = layout.fit_codes(X, missing="error")
        weights = as_sample_weight(sample_weight, numeric.shape[0], np.dtype(np.float64))
        init_name, init_num, init_cat = self._init_arrays(layout)
        model = _segcore.KPrototypesModel.fit(
            numeric,
            codes,
            weights,
            n_clusters=int_param("n_clusters", self.n_clusters),
            gamma=None if self.gamma is None else float_param("gamma", self.gamma),
            init=init_name,
            init_numeric=init_num,
            init_categorical=init_cat,
            n_init=int_param("n_init", self.n_init),
            max_iter=int_param("max_iter", self.max_iter),
            random_state=seed_from(self.random_state),
            update=str(self.update).lower() if isinstance(self.update, str) else repr(self.update),
        )
        layout.adopt(self, model, X, "labels cost gamma n_iter converged numeric_centroids")
        modes = model.categorical_modes
        decoded = np.empty(modes.shape, dtype=object)
        for col, cats in enumerate(layout.categories):
            decoded[:, col] = cats[modes[:, col].astype(np.int64)]
        self.categorical_modes_ = decoded
        centroids = np.empty((modes.shape[0], layout.n_features), dtype=object)
        centroids[:, layout.numeric] = self.numeric_centroids_
        centroids[:, layout.categorical] = decoded
        self.cluster_centroids_ = centroids
        self.categorical_ = list(layout.categorical)
        return self

    def _init_arrays(self, layout: _Layout) -> Tuple[str, Optional[np.ndarray], Optional[np.ndarray]]:
        init = self.init
        if isinstance(init, str) and init.lower() in ("k-means++", "cao", "huang"):
            return init.lower(), None, None
        if not isinstance(init, (tuple, list)) or len(init) != 2:
            raise InvalidParameterError(
                f"invalid parameter `init` = {init!r}: expected 'k-means++', 'Cao', 'Huang' or "
                "(numeric centroids, categorical modes)"
            )
        numeric = np.asarray(init[0], dtype=np.float64).reshape(-1, len(layout.numeric))
        raw = np.asarray(init[1], dtype=object).reshape(numeric.shape[0], len(layout.categorical))
        names = layout.names(layout.categorical)
        try:
            codes = _segcore.category_codes(
                [(name, raw[:, col].tolist(), None) for col, name in enumerate(names)],
                [c.tolist() for c in layout.categories], raw.shape[0], unseen_mismatch=False, missing_code=False,
            )
        except DataError as err:
            raise InvalidParameterError(f"invalid parameter `init`: categorical mode: {err}") from None
        return "given", np.ascontiguousarray(numeric), codes

    def predict(self, X: MatrixLike) -> np.ndarray:
        """Nearest prototype of each row."""
        check_is_fitted(self)
        check_feature_names(self, X)
        layout = self._layout
        codes = layout.codes(X, unseen="mismatch", missing="error")
        return self._model.predict(layout.numeric_part(X), codes)

    def fit_predict(
        self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None, categorical: CategoricalColumns = None
    ) -> np.ndarray:
        """Fit and return ``labels_``."""
        return self.fit(X, sample_weight=sample_weight, categorical=categorical).labels_


# ---------------------------------------------------------------------------------------------
# Latent class analysis


class LatentClass(CoreModelMixin, ClusterMixin, BaseEstimator):
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

    def fit(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> "LatentClass":
        """Fit the model on the answers ``X``."""
        layout, codes, weights = _Layout.of_answers(X, sample_weight, missing="code")
        model = _segcore.LatentClassModel.fit(
            codes,
            weights,
            n_components=int_param("n_components", self.n_components),
            n_init=int_param("n_init", self.n_init),
            max_iter=int_param("max_iter", self.max_iter),
            tol=float_param("tol", self.tol),
            random_state=seed_from(self.random_state),
        )
        layout.adopt(self, model, X, "weights item_probabilities log_likelihood n_parameters n_iter converged")
        self.labels_ = model.predict(codes)
        return self

    def _codes(self, X: MatrixLike) -> np.ndarray:
        check_is_fitted(self)
        check_feature_names(self, X)
        return self._layout.codes(X, unseen="error", missing="code")

    def predict_proba(self, X: MatrixLike) -> np.ndarray:
        """Posterior class probabilities, shape (n_samples, n_components)."""
        return self._model.predict_proba(self._codes(X))

    def predict(self, X: MatrixLike) -> np.ndarray:
        """Most probable class of each row."""
        return self._model.predict(self._codes(X))

    def score_samples(self, X: MatrixLike) -> np.ndarray:
        """Log-likelihood of each row."""
        return self._model.score_samples(self._codes(X))

    def score(self, X: MatrixLike, y: Ignored = None) -> float:
        """Mean log-likelihood per row (scikit-learn's mixture convention)."""
        return self._model.score(self._codes(X))

    def bic(self, X: MatrixLike) -> float:
        """Bayesian information criterion: ``-2 LL + n_parameters ln(n_samples)``."""
        return self._model.bic(self._codes(X))

    def aic(self, X: MatrixLike) -> float:
        """Akaike information criterion: ``-2 LL + 2 n_parameters``."""
        return self._model.aic(self._codes(X))


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
    _, codes, weights = _Layout.of_answers(X, sample_weight, missing="code")
    rows = _segcore.latent_class_table(
        codes,
        weights,
        [int_param("n_components", k) for k in n_components],
        n_init=int_param("n_init", n_init),
        max_iter=int_param("max_iter", max_iter),
        tol=float_param("tol", tol),
        random_state=seed_from(random_state),
    )
    return dict(rows)


# ---------------------------------------------------------------------------------------------
# Correspondence analysis


class MCA(CoreModelMixin, TransformerMixin, BaseEstimator):
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

    def fit(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> "MCA":
        """Fit on the categorical columns ``X`` (missing values are an error)."""
        layout, codes, weights = _Layout.of_answers(X, sample_weight, missing="error")
        model = _segcore.McaModel.fit(
            codes, weights, n_components=int_param("n_components", self.n_components), correction=self.correction
        )
        layout.adopt(self, model, X, "eigenvalues principal_inertias percentage_of_variance "
                     "cumulative_percentage_of_variance total_inertia column_coordinates")
        self.category_names_ = [
            f"{name}__{value}" for name, cats in zip(layout.labels, layout.categories) for value in cats
        ]
        return self

    def transform(self, X: MatrixLike) -> np.ndarray:
        """Row principal coordinates (an unseen category is an error)."""
        check_is_fitted(self)
        check_feature_names(self, X)
        return self._model.transform(self._layout.codes(X, unseen="error", missing="error"))

    def fit_transform(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> np.ndarray:
        """Fit, then the training rows' coordinates."""
        return self.fit(X, sample_weight=sample_weight).transform(X)


class CA(TransformerMixin, BaseEstimator):
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

    def fit(self, X: MatrixLike, y: Ignored = None) -> "CA":
        """Fit on the contingency table ``X``."""
        table = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
        if table.ndim != 2:
            raise DataError(f"the contingency table must be 2D, got {table.ndim}D")
        model = _segcore.CaModel.fit(table, n_components=int_param("n_components", self.n_components))
        self._model = model
        adopt(self, model, "eigenvalues percentage_of_variance cumulative_percentage_of_variance total_inertia "
              "row_coordinates column_coordinates row_masses column_masses")
        frame = hasattr(X, "columns") and (is_pandas(X) or is_polars(X))
        self.row_names_ = list(cast("pd.DataFrame", X).index) if frame and is_pandas(X) else list(range(table.shape[0]))
        self.column_names_ = list(cast("pd.DataFrame", X).columns) if frame else list(range(table.shape[1]))
        return self

    def transform(self, X: MatrixLike) -> np.ndarray:
        """Principal coordinates of rows of counts over the table's columns."""
        check_is_fitted(self)
        rows = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
        if rows.ndim == 1:
            rows = rows.reshape(1, -1)
        return self._model.transform(rows)

    def fit_transform(self, X: MatrixLike, y: Ignored = None) -> np.ndarray:
        """Fit, then the table rows' coordinates."""
        return self.fit(X).row_coordinates_
