"""Gaussian mixture models with scikit-learn's interface, computed by segcore's Rust core."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

from . import _segcore
from ._base import BaseEstimator, CoreModelMixin, check_is_fitted, core_method, core_params, int_param
from ._base import seed_from, store_params
from ._frames import as_float_matrix, feature_names_of
from ._typing import Ignored, MatrixLike, MixturePriorLike, RandomState, SampleWeight

if TYPE_CHECKING:
    import pandas as pd
from .exceptions import InvalidParameterError

__all__ = ["GaussianMixture", "MixtureSelection", "select_mixture"]


def _optional_f64(value: Optional[npt.ArrayLike]) -> Optional[np.ndarray]:
    """A user-given initial array as contiguous float64 (the core checks shapes and values)."""
    if value is None:
        return None
    return np.ascontiguousarray(np.asarray(value, dtype=np.float64))


def em_settings(estimator: Any) -> Dict[str, Any]:
    """The EM settings of a mixture estimator (this module's or an engine's) as the core takes
    them: checked and converted once for the local fit and the distributed drivers."""
    return dict(
        core_params(estimator, int="n_components max_iter n_init", float="tol reg_covar",
                    name="covariance_type init_params"),
        **{name: _optional_f64(getattr(estimator, name)) for name in ("weights_init", "means_init", "precisions_init")},
        random_state=seed_from(estimator.random_state),
    )


def adopt_mixture(estimator: Any, document: str, names: Optional[np.ndarray]) -> None:
    """Sets a distributed mixture estimator's fitted state from the model document its driver
    gave: ``estimator._local`` (a fitted :class:`GaussianMixture` with the same parameters, whose
    convergence warning is raised here) and the fitted attributes, which are the local model's."""
    keep = "n_components covariance_type tol reg_covar max_iter n_init init_params weights_init means_init " \
        "precisions_init random_state"
    local = GaussianMixture(**{name: getattr(estimator, name) for name in keep.split()})
    model = _segcore.GaussianMixtureModel.from_json(document)
    local._warn(model, stacklevel=3)
    local._set_fitted(model, names)
    estimator._local = local
    estimator.__dict__.update({k: v for k, v in vars(local).items() if k.endswith("_") and not k.startswith("_")})


class GaussianMixture(CoreModelMixin, BaseEstimator):
    """Gaussian mixture model fitted by EM, a drop-in for ``sklearn.mixture.GaussianMixture``.

    Each customer gets a probability of belonging to every segment (``predict_proba``), which
    suits B2B accounts that sit between segments; ``uncertainty`` gives ``1 - max probability``.
    Parameters and fitted attributes are scikit-learn's and mean the same. Given the same
    ``weights_init``, ``means_init`` and ``precisions_init``, the fitted parameters equal
    scikit-learn's; random initialisations use segcore's own generator, so they differ from
    scikit-learn's draws for the same ``random_state`` (but are deterministic on any number of
    threads). float32 input is fitted in float32. ``warm_start`` is not supported;
    ``verbose`` and ``verbose_interval`` are accepted and ignored.

    ``fit`` also accepts ``sample_weight`` (segcore extension): an integer weight counts a row as
    that many repeated rows, exactly.

    ``covariance_type`` also accepts R mclust's 14 model names (``"EII"``, ``"VII"``, ``"EEI"``,
    ``"VEI"``, ``"EVI"``, ``"VVI"``, ``"EEE"``, ``"VEE"``, ``"EVE"``, ``"VVE"``, ``"EEV"``,
    ``"VEV"``, ``"EVV"``, ``"VVV"``: volume, shape and orientation Equal, Varying or Identity),
    fitted with mclust's semantics: no ``reg_covar``, mclust's stopping rule (relative change of
    the log-likelihood below 1e-5; ``tol`` and ``init_params`` are not used), and several starts
    with the best kept: mclust's model-based hierarchical agglomeration plus ``n_init`` k-means
    and ``n_init`` random-responsibility starts (``n_init=0``: the hierarchical start alone, as
    mclust). Such a fit also sets ``model_name_``,
    ``log_likelihood_``, ``mclust_bic_`` (``2 loglik - df ln n``), ``starts_`` (one dict per
    start) and ``n_starts_at_best_`` (how many starts reached the kept optimum; 1 means it is
    fragile). ``covariances_`` then has the layout of the nearest scikit-learn type (spherical
    for EII/VII, diag for the ``..I`` models, tied for EEE, full otherwise). The scikit-learn
    names keep scikit-learn's semantics (``"full"`` is VVV with ``reg_covar``, and so on).

    ``prior`` (mclust models only) adds mclust's conjugate prior, ``priorControl()``: ``True``
    or ``"mclust"`` is its ``defaultPrior`` (shrinkage 0.01 of the means towards the column
    means, ``dof = d + 2``, scale ``var(X) / k^(2/d)``), a dict overrides ``"shrinkage"`` and
    ``"dof"``. The M-step then gives the posterior mode, which keeps small segments and
    near-singular covariances finite; ``log_likelihood_`` and ``mclust_bic_`` stay the data's,
    as in mclust. mclust defines no prior for VEE, EVE, VVE and EVV with more than one
    component: those are refused.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> gm = segcore.GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> labels = gm.predict(X)
    >>> bool(labels[0] == labels[1] == labels[2] != labels[3])
    True
    >>> gm.predict_proba(X).sum(axis=1).round(6).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """

    _fitted = ("weights means covariances precisions precisions_cholesky converged n_iter lower_bound lower_bounds "
               "model_name log_likelihood mclust_bic n_starts_at_best n_features_in_=n_features")
    _estimator_type = "DensityEstimator"

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
        weights_init: Optional[npt.ArrayLike] = None,
        means_init: Optional[npt.ArrayLike] = None,
        precisions_init: Optional[npt.ArrayLike] = None,
        random_state: RandomState = None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        prior: MixturePriorLike = None,
    ) -> None:
        store_params(self, locals())

    def fit(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> "GaussianMixture":
        """Estimate the model parameters with EM (``n_init`` runs, best lower bound kept)."""
        if self.warm_start:
            raise InvalidParameterError(
                "invalid parameter `warm_start` = True: expected False (not supported by segcore)"
            )
        self._fit(X, sample_weight)
        return self

    def _fit_model(self, data: np.ndarray, weights: Optional[np.ndarray]) -> _segcore.GaussianMixtureModel:
        return _segcore.GaussianMixtureModel.fit(data, weights, **em_settings(self), prior=self.prior)

    def _set_fitted(self, model: _segcore.GaussianMixtureModel, names: Optional[np.ndarray]) -> None:
        super()._set_fitted(model, names)
        self.starts_ = model.starts()

    def fit_predict(self, X: MatrixLike, y: Ignored = None, sample_weight: SampleWeight = None) -> np.ndarray:
        """Fit, then return the most probable component of each training row."""
        return self.fit(X, sample_weight=sample_weight).predict(X)

    predict = core_method("predict", "Most probable component of each row of ``X``.")
    predict_proba = core_method("predict_proba", "Membership probability of each row in each component (rows sum to 1).")
    uncertainty = core_method("uncertainty", "``1 - max probability`` per row: who sits between segments (segcore extension).")
    score_samples = core_method("score_samples", "Log-density of each row of ``X`` under the mixture.")
    bic = core_method("bic", "Bayesian information criterion on ``X`` (lower is better).")
    aic = core_method("aic", "Akaike information criterion on ``X`` (lower is better).")

    def score(self, X: MatrixLike, y: Ignored = None) -> float:
        """Mean log-density of the rows of ``X``."""
        return float(self._call("score", X))

    def sample(self, n_samples: int = 1) -> Tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` points and their component labels (grouped by component).

        Seeded by ``random_state`` as in scikit-learn, with segcore's generator.
        """
        check_is_fitted(self)
        return self._model.sample(int_param("n_samples", n_samples), seed_from(self.random_state))

    def _n_parameters(self) -> int:
        check_is_fitted(self)
        return int(self._model.n_parameters)

    def __sklearn_tags__(self):  # pragma: no cover - only with scikit-learn
        tags = super().__sklearn_tags__()
        tags.estimator_type = "density_estimator"
        return tags


@dataclass
class MixtureSelection:
    """Result of :func:`select_mixture`: the BIC table and the best fitted model."""

    table: List[Dict[str, Any]]
    """One row per (n_components, covariance_type): bic, n_parameters, converged, n_iter and
    error (the message when that fit failed, else None); aic and lower_bound for scikit-learn's
    types; log_likelihood, n_starts and n_starts_at_best for mclust's models."""
    best_index: int
    """Row of ``table`` with the best BIC."""
    best_estimator: GaussianMixture
    """The fitted model of that row."""
    runner_up_index: Optional[int] = None
    """Row with the second-best BIC (mclust's models)."""
    bic_difference: Optional[float] = None
    """BIC of the best minus that of the runner-up (mclust's models; >= 0)."""
    bic_convention: str = "scikit-learn"
    """``"scikit-learn"``: ``bic = -2 loglik + df ln n``, lower is better; ``"mclust"``:
    ``bic = 2 loglik - df ln n`` (R mclust's ``mclustBIC``), higher is better."""

    def to_frame(self) -> "pd.DataFrame":
        """The table as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.table)


def select_mixture(
    X: MatrixLike,
    n_components: Sequence[int] = range(1, 10),
    covariance_types: Sequence[str] = ("spherical", "tied", "diag", "full"),
    *,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
    max_iter: int = 100,
    n_init: int = 1,
    init_params: str = "kmeans",
    random_state: RandomState = None,
    prior: MixturePriorLike = None,
) -> MixtureSelection:
    """Fit a Gaussian mixture for every ``n_components`` x ``covariance_types`` cell and pick
    the best BIC, as R's mclust. A cell whose fit fails (singular covariance, more components
    than rows) is kept in the table with its error instead of aborting the grid.

    ``covariance_types`` are scikit-learn's types (BIC lower is better) or mclust's model names
    (``"mclust"`` for all 14): then the table is mclust's ``mclustBIC`` (``bic = 2 loglik - df
    ln n``, higher is better, see ``bic_convention``), the hierarchical agglomeration is computed
    once and cut for every k, and the result names the runner-up and the BIC difference.
    ``prior`` is :class:`GaussianMixture`'s (mclust's ``priorControl()``; the cells of VEE, EVE,
    VVE and EVV with k > 1 then fail, as mclust's NA).

    Examples
    --------
    >>> import numpy as np, segcore
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(8, 1, (100, 2))])
    >>> result = segcore.select_mixture(X, n_components=[1, 2, 3], covariance_types=["diag"], random_state=0)
    >>> result.best_estimator.n_components
    2
    """
    settings = core_params(locals(), int="max_iter n_init", float="tol reg_covar", name="init_params")
    if isinstance(covariance_types, str):
        covariance_types = [covariance_types]
    rows, best_index, runner_up, difference, convention, model = _segcore.select_mixture(
        as_float_matrix(X), [int_param("n_components", k) for k in n_components], [str(t) for t in covariance_types],
        **settings, random_state=seed_from(random_state), prior=prior,
    )
    best = rows[best_index]
    estimator = GaussianMixture(
        int(best["n_components"]), covariance_type=str(best["covariance_type"]), tol=tol, reg_covar=reg_covar,
        max_iter=max_iter, n_init=n_init, init_params=init_params, random_state=random_state, prior=prior,
    )
    estimator._set_fitted(model, feature_names_of(X))
    return MixtureSelection(
        table=[dict(row) for row in rows],
        best_index=best_index,
        best_estimator=estimator,
        runner_up_index=runner_up,
        bic_difference=difference,
        bic_convention=convention,
    )
