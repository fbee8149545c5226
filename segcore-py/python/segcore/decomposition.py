"""Principal component analysis with scikit-learn's interface, computed by segcore's Rust core."""

from __future__ import annotations

from typing import Optional, Union

import numpy as np
import numpy.typing as npt

from . import _segcore
from ._base import BaseEstimator, CoreModelMixin, TransformerMixin, check_is_fitted, core_method, core_params
from ._base import auto_or_int, n_components_arg, seed_from, store_params
from ._typing import Ignored, MatrixLike, RandomState, SampleWeight

__all__ = ["PCA"]


class PCA(CoreModelMixin, TransformerMixin, BaseEstimator):
    """Principal component analysis, a drop-in for ``sklearn.decomposition.PCA`` on dense data.

    ``svd_solver="auto"`` follows scikit-learn's rule: a covariance eigendecomposition built in
    one parallel pass for tall data (``n_samples >= 10 n_features``, the usual customer table),
    an exact SVD for small or square data, a seeded randomized SVD for wide data. Components
    carry scikit-learn's sign convention (the largest loading of each component is positive),
    so ``components_`` and ``transform`` agree with scikit-learn's in sign too.

    ``n_components`` is an int, a float in (0, 1) (keep the fewest components explaining more
    than that share of the variance; 1.0 keeps them all) or None (all). float32 input is kept
    float32. ``copy`` is accepted for compatibility: segcore never modifies ``X``.

    ``fit(X, sample_weight=w)`` (scikit-learn's PCA has no weights) treats ``w`` as frequency
    weights, as scikit-learn's ``sample_weight`` elsewhere: the weighted mean, the covariance
    ``sum w (x - mean)(x - mean)^T / (sum w - 1)`` (numpy's ``np.cov(X.T, fweights=w)`` for
    integer weights), so a weight of 2 is the row twice; the weights must sum to more than 1.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> X = np.array([[1.0, 2.0], [2.0, 4.1], [3.0, 6.0], [4.0, 8.2]])
    >>> pca = segcore.PCA(n_components=1).fit(X)
    >>> bool(pca.explained_variance_ratio_[0] > 0.99)
    True
    """

    _fitted = ("components explained_variance explained_variance_ratio singular_values mean noise_variance "
               "n_components n_samples n_features_in_=n_features")

    def __init__(
        self,
        n_components: Union[int, float, None] = None,
        *,
        copy: bool = True,
        whiten: bool = False,
        svd_solver: str = "auto",
        iterated_power: Union[int, str] = "auto",
        n_oversamples: int = 10,
        random_state: RandomState = None,
    ) -> None:
        store_params(self, locals())

    def fit(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> "PCA":
        """Fit the components on ``X`` (rows are samples), each row weighted by
        ``sample_weight`` (frequency weights) if given."""
        self._fit(X, sample_weight)
        return self

    def _fit_model(self, data: np.ndarray, weights: Optional[np.ndarray]) -> _segcore.PcaModel:
        count, fraction = n_components_arg(self.n_components, " ('mle' is not supported)")
        return _segcore.PcaModel.fit(
            data, n_components=count, variance_fraction=fraction, whiten=bool(self.whiten),
            random_state=seed_from(self.random_state), sample_weight=weights,
            iterated_power=auto_or_int("iterated_power", self.iterated_power, "an integer >= 0"),
            **core_params(self, name="svd_solver", int="n_oversamples"),
        )

    transform = core_method(
        "transform", "Project ``X`` on the components (``(X - mean_) @ components_.T``, whitened if asked)."
    )

    def fit_transform(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> np.ndarray:
        """Fit on ``X`` and return its projection."""
        data = self._fit(X, sample_weight)
        return self._model.transform(data)

    inverse_transform = core_method("inverse_transform", "Map component scores back to feature space.", False)

    def get_feature_names_out(self, input_features: Optional[npt.ArrayLike] = None) -> np.ndarray:
        """Output feature names ``pca0``, ``pca1``, ... (scikit-learn's convention)."""
        check_is_fitted(self)
        return np.asarray([f"pca{i}" for i in range(self.n_components_)], dtype=object)
