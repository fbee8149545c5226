"""Estimator base classes and the conventions that speak scikit-learn.

With scikit-learn installed, segcore's estimators derive from its ``BaseEstimator`` and mixins,
so ``clone``, ``Pipeline``, ``GridSearchCV`` and the HTML repr work as for any scikit-learn
estimator. Without it, a small base gives the same ``get_params``/``set_params`` contract.

:class:`CoreModelMixin` is what every estimator holding one fitted core model shares (fit,
input conversion, fitted attributes, ``feature_names_in_``, warnings); the parameter readers
below (``int_param``, ``float_param``, ``core_params``, ``seed_from``) are scikit-learn's
conventions only: every range check is the core's.
"""

from __future__ import annotations

import inspect
import numbers
import warnings
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import numpy as np

from ._frames import as_float_matrix, as_sample_weight, check_feature_names, feature_names_of
from ._typing import MatrixLike, SampleWeight
from .exceptions import ConvergenceWarning, DataError, InvalidParameterError, NotFittedError

try:
    from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin

    HAVE_SKLEARN = True
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    HAVE_SKLEARN = False

    class BaseEstimator:  # type: ignore[no-redef]
        """Parameters are the ``__init__`` arguments, stored unchanged (scikit-learn's contract)."""

        @classmethod
        def _get_param_names(cls) -> list:
            signature = inspect.signature(cls.__init__)
            return sorted(
                p.name
                for p in signature.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
            )

        def get_params(self, deep: bool = True) -> Dict[str, Any]:
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params: object) -> "BaseEstimator":
            valid = set(self._get_param_names())
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(
                        f"Invalid parameter {key!r} for estimator {self}. "
                        f"Valid parameters are: {sorted(valid)!r}."
                    )
                setattr(self, key, value)
            return self

        def __repr__(self) -> str:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{type(self).__name__}({args})"

    class ClusterMixin:  # type: ignore[no-redef]
        """Marker for clusterers: ``fit_predict``."""

        _estimator_type = "clusterer"

        def fit_predict(self, X: MatrixLike, y: object = None, **kwargs: object) -> np.ndarray:
            getattr(self, "fit")(X, **kwargs)
            return getattr(self, "labels_")

    class TransformerMixin:  # type: ignore[no-redef]
        """Marker for transformers: ``fit_transform``."""

        def fit_transform(self, X: MatrixLike, y: object = None, **kwargs: object) -> np.ndarray:
            return getattr(self, "fit")(X, **kwargs).transform(X)


def seed_from(random_state: object) -> int:
    """A 64-bit seed from scikit-learn's ``random_state`` conventions.

    ``None`` draws from numpy's global generator (so ``np.random.seed`` makes it reproducible,
    as in scikit-learn); an int is used as given; a ``RandomState``/``Generator`` is drawn from.
    """
    if random_state is None:
        return int(np.random.randint(0, 2**31 - 1))
    if isinstance(random_state, (numbers.Integral, np.integer)) and not isinstance(random_state, bool):
        if int(random_state) < 0 or int(random_state) >= 2**64:
            raise InvalidParameterError(
                f"invalid parameter `random_state` = {random_state}: expected an int in [0, 2**64 - 1], "
                "a numpy RandomState/Generator or None"
            )
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    raise InvalidParameterError(
        f"invalid parameter `random_state` = {random_state!r}: expected an int, a numpy "
        "RandomState/Generator or None"
    )


def check_is_fitted(estimator: object, attribute: str = "_model") -> None:
    """Raises :class:`NotFittedError` (scikit-learn's wording) if ``fit`` has not run."""
    if getattr(estimator, attribute, None) is None:
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )


def int_param(name: str, value: object) -> int:
    """An integer parameter (numpy ints accepted); the core checks its range."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise InvalidParameterError(f"invalid parameter `{name}` = {value!r}: expected an integer")
    return int(value)


def count_param(name: str, value: object, expected: str) -> int:
    """A count the core takes unsigned: an integer >= 0, else InvalidParameterError saying what
    the core expects (``expected``; the core checks the rest of the range)."""
    number = int_param(name, value)
    if number < 0:
        raise InvalidParameterError(f"invalid parameter `{name}` = {value}: expected {expected}")
    return number


def optional_count(name: str, value: object, expected: str) -> Optional[int]:
    """``None`` or a count (:func:`count_param`)."""
    return None if value is None else count_param(name, value, expected)


def adopt(target: object, model: object, names: str, **renamed: str) -> None:
    """The fitted attributes scikit-learn users read, as the core model gives them:
    ``target.<name>_ = model.<name>`` for each of the space-separated ``names``, and
    ``target.<key> = model.<value>`` for each ``renamed`` pair."""
    for name in names.split():
        setattr(target, name + "_", getattr(model, name))
    for key, name in renamed.items():
        setattr(target, key, getattr(model, name))


def store_params(estimator: object, arguments: Dict[str, object]) -> None:
    """Stores the ``__init__`` arguments unchanged as attributes, scikit-learn's contract (every
    check waits for ``fit``): ``store_params(self, locals())`` is an estimator's whole
    ``__init__`` body."""
    for name in inspect.signature(type(estimator).__init__).parameters:
        if name != "self":
            setattr(estimator, name, arguments[name])


def auto_or_int(name: str, value: object, expected: str = "an integer >= 1") -> Optional[int]:
    """A parameter that is ``"auto"`` (None: the rule that resolves it is applied later) or an
    integer (the core checks its range)."""
    if isinstance(value, str):
        if value != "auto":
            raise InvalidParameterError(f"invalid parameter `{name}` = {value!r}: expected 'auto' or {expected}")
        return None
    return int_param(name, value)


def float_param(name: str, value: object) -> float:
    """A real parameter; the core checks its range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"invalid parameter `{name}` = {value!r}: expected a number")
    return float(value)


def name_param(name: str, value: object) -> str:
    """A parameter naming a choice ('lloyd', 'full'...): passed to the core, which owns the list
    of names and reports a wrong one (a non-string is passed as its repr for that message)."""
    return value if isinstance(value, str) else repr(value)


_READERS: Dict[str, Callable[[str, object], object]] = {
    "int": int_param, "float": float_param, "name": name_param, "auto": auto_or_int,
}


def core_params(source: object, **kinds: str) -> Dict[str, Any]:
    """``{parameter: value as the core takes it}`` for the space-separated parameter names of
    each kind (``int``, ``float``, ``name``, ``auto``: :func:`int_param`, :func:`float_param`,
    :func:`name_param`, :func:`auto_or_int`), read from ``source`` (an estimator, or a mapping
    of the arguments); a name ending in ``?`` may also be None."""
    get = source.get if isinstance(source, Mapping) else lambda name: getattr(source, name)
    params: Dict[str, Any] = {}
    for kind, names in kinds.items():
        for name in names.split():
            key = name.rstrip("?")
            value = get(key)
            params[key] = None if value is None and key != name else _READERS[kind](key, value)
    return params


def n_components_arg(value: object, extra: str = "") -> Tuple[Optional[int], Optional[float]]:
    """scikit-learn's ``n_components`` of PCA as (count, variance fraction): an int keeps that
    many components, a float in (0, 1] the fewest explaining more than that share, None all."""
    expected = "expected an int >= 1, a float in (0, 1] or None"
    if isinstance(value, bool):
        raise InvalidParameterError(f"invalid parameter `n_components` = {value!r}: {expected}")
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value), None
    if isinstance(value, numbers.Real):
        return None, float(value)
    if value is not None:
        raise InvalidParameterError(f"invalid parameter `n_components` = {value!r}: {expected}{extra}")
    return None, None


def core_method(name: str, doc: str, check_names: bool = True) -> Callable[..., Any]:
    """A public method that applies the fitted core model's ``name`` to new input ``X``
    (:meth:`CoreModelMixin._call`), documented by ``doc``."""

    def method(self: "CoreModelMixin", X: MatrixLike) -> Any:
        return self._call(name, X, check_names)

    method.__name__ = name
    method.__doc__ = doc
    return method


class CoreModelMixin:
    """What every estimator holding one fitted core model (``_model``) shares: :meth:`_fit` fits
    ``_fit_model(data, weights)`` and adopts the attributes ``_fitted`` names (``name``:
    ``name_ = model.name``, ``key=name``: ``key = model.name``; with ``?``, removed when None)."""

    _model: Any
    _fitted = ""
    _fit_model: Callable[[np.ndarray, Optional[np.ndarray]], Any]

    def _fit(self, X: MatrixLike, sample_weight: SampleWeight = None) -> np.ndarray:
        """Fits and adopts the model (warnings at the caller of ``fit``); returns ``X`` converted."""
        data, weights, names = self._fit_input(X, sample_weight)
        model = self._fit_model(data, weights)
        self._warn(model, stacklevel=3)
        self._set_fitted(model, names)
        return data

    def _set_fitted(self, model: Any, names: Optional[np.ndarray]) -> None:
        """Holds ``model``, adopts the attributes ``_fitted`` names and the feature ``names``."""
        self._model = model
        for item in self._fitted.split():
            key, _, source = item.partition("=")
            attribute = key if source else key.rstrip("?") + "_"
            value = getattr(model, (source or key).rstrip("?"))
            if value is None and item.endswith("?"):
                self.__dict__.pop(attribute, None)
            else:
                setattr(self, attribute, value)
        self._set_feature_names(names)

    @staticmethod
    def _fit_input(
        X: MatrixLike, sample_weight: SampleWeight = None
    ) -> Tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray]]:
        """(X as a float matrix, sample weights in its dtype or None, feature names or None)."""
        names = feature_names_of(X)
        data = as_float_matrix(X)
        return data, as_sample_weight(sample_weight, data.shape[0], data.dtype), names

    def _set_feature_names(self, names: Optional[np.ndarray]) -> None:
        """``feature_names_in_`` from fit's DataFrame; removed after a fit on an array."""
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def _input_dtype(self) -> Optional[np.dtype]:
        """The dtype new input is converted to: the fitted model's (float32 stays float32)."""
        return np.dtype(self._model.dtype)

    def _checked_input(self, X: MatrixLike, check_names: bool = True) -> np.ndarray:
        """New input for the fitted model: fitted, same column names and number of features
        (``check_names``: input in the fitted feature space), the model's dtype."""
        check_is_fitted(self)
        if check_names:
            check_feature_names(self, X)
        data = as_float_matrix(X, dtype=self._input_dtype())
        expected = getattr(self, "n_features_in_", None)
        # Input in the fitted feature space (not, e.g., PCA scores given to inverse_transform).
        if check_names and expected is not None and data.shape[1] != expected:
            # scikit-learn's wording, which its tools and users look for, then the core's.
            raise DataError(
                f"X has {data.shape[1]} features, but {type(self).__name__} is expecting "
                f"{expected} features as input (n_features: expected {expected}, got "
                f"{data.shape[1]})."
            )
        return data

    def _call(self, method: str, X: MatrixLike, check_names: bool = True) -> Any:
        """The fitted model's ``method`` on new input, converted by :meth:`_checked_input`."""
        data = self._checked_input(X, check_names)
        return getattr(self._model, method)(data)

    def _weighted(self, method: str, X: MatrixLike, sample_weight: SampleWeight) -> Any:
        """The fitted model's ``method`` on new input and its sample weights."""
        data = self._checked_input(X)
        return getattr(self._model, method)(data, as_sample_weight(sample_weight, data.shape[0], data.dtype))

    @staticmethod
    def _warn(model: Any, stacklevel: int = 2) -> None:
        """Re-emits the core's fit warnings as ``ConvergenceWarning`` at the user's call
        (``stacklevel`` counted from the caller of this method)."""
        for message in getattr(model, "warnings", ()):
            warnings.warn(message, ConvergenceWarning, stacklevel=stacklevel + 1)


__all__ = [
    "BaseEstimator",
    "adopt",
    "auto_or_int",
    "ClusterMixin",
    "CoreModelMixin",
    "HAVE_SKLEARN",
    "TransformerMixin",
    "check_is_fitted",
    "core_method",
    "core_params",
    "count_param",
    "float_param",
    "int_param",
    "n_components_arg",
    "name_param",
    "optional_count",
    "seed_from",
    "store_params",
]
