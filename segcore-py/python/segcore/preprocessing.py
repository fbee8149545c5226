"""Preprocessing with scikit-learn's interface, computed by segcore's Rust core."""

from __future__ import annotations

from typing import Optional

import numpy as np
import numpy.typing as npt

from . import _segcore
from ._typing import Ignored, MatrixLike, SampleWeight
from ._base import BaseEstimator, CoreModelMixin, TransformerMixin, check_is_fitted, store_params

__all__ = ["StandardScaler"]


class StandardScaler(CoreModelMixin, TransformerMixin, BaseEstimator):
    """Standardise columns to zero mean and unit variance, as ``sklearn.preprocessing.StandardScaler``.

    Constant columns get ``scale_ = 1`` (they become 0), as in scikit-learn. Unlike scikit-learn,
    NaN is rejected with an error naming the row and column (impute first): segcore never drops
    or silently ignores a customer's value.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> segcore.StandardScaler().fit_transform(np.array([[0.0], [2.0]])).ravel().tolist()
    [-1.0, 1.0]
    """

    def __init__(self, *, copy: bool = True, with_mean: bool = True, with_std: bool = True) -> None:
        store_params(self, locals())

    def fit(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> "StandardScaler":
        """Learn per-column mean and standard deviation (weighted by ``sample_weight`` if given,
        as scikit-learn: ``var_ = sum w (x - mean_)^2 / sum w``)."""
        data, weights, names = self._fit_input(X, sample_weight)
        model = _segcore.StandardScalerModel.fit(data, bool(self.with_mean), bool(self.with_std), weights)
        self._set_fitted(model, names)
        self.mean_ = model.mean if self.with_mean else None
        self.scale_ = model.scale if self.with_std else None
        self.var_ = model.variance if self.with_std else None
        self.n_features_in_ = data.shape[1]
        self.n_samples_seen_ = data.shape[0] if weights is None else float(weights.sum())
        return self

    def transform(self, X: MatrixLike, copy: Optional[bool] = None) -> np.ndarray:
        """Standardise ``X`` with the fitted statistics."""
        return self._call("transform", X)

    def inverse_transform(self, X: MatrixLike, copy: Optional[bool] = None) -> np.ndarray:
        """Map standardised values back to the original units."""
        return self._call("inverse_transform", X, check_names=False)

    def get_feature_names_out(self, input_features: Optional[npt.ArrayLike] = None) -> np.ndarray:
        """Output feature names (the input names: scaling keeps columns)."""
        check_is_fitted(self)
        if input_features is not None:
            return np.asarray(input_features, dtype=object)
        return getattr(self, "feature_names_in_", np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object))
