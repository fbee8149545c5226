"""Estimator base classes that speak scikit-learn.

With scikit-learn installed, segcore's estimators derive from its ``BaseEstimator`` and mixins,
so ``clone``, ``Pipeline``, ``GridSearchCV`` and the HTML repr work as for any scikit-learn
estimator. Without it, a small base gives the same ``get_params``/``set_params`` contract.
"""

from __future__ import annotations

import inspect
from typing import Any, Dict

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

        def set_params(self, **params: Any) -> "BaseEstimator":
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

        def fit_predict(self, X: Any, y: Any = None, **kwargs: Any) -> Any:
            self.fit(X, **kwargs)
            return self.labels_

    class TransformerMixin:  # type: ignore[no-redef]
        """Marker for transformers: ``fit_transform``."""

        def fit_transform(self, X: Any, y: Any = None, **kwargs: Any) -> Any:
            return self.fit(X, **kwargs).transform(X)


__all__ = ["BaseEstimator", "ClusterMixin", "TransformerMixin", "HAVE_SKLEARN"]
