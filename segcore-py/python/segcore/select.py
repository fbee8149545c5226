"""Choosing the number of segments: one table of criteria per k and one recommendation in words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, Optional, Sequence, Tuple, Union

import numpy as np

from . import _segcore
from ._progress import progress_callback
from ._base import auto_or_int, core_params, count_param, int_param, optional_count, seed_from
from ._frames import as_float_matrix
from ._typing import MatrixLike, Progress, RandomState
from .exceptions import InvalidParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["select_k", "SelectKResult"]

#: The counts :func:`select_k` passes to the core, and what each must be.
_COUNTS = {"gap_references": "an integer >= 0 (0 skips it)", "stability_resamples": "an integer >= 0 (0 skips it)",
           "criteria_parts": "an integer >= 1"}
_OPTIONAL_COUNTS = {
    "n_init": "an integer >= 1", "silhouette_sample_size": "an integer >= 2", "sample_size": "an integer >= 3 or None",
    "resample_n_init": "a positive integer or None", "gap_sample_size": "a positive integer or None",
    "max_sample_size": "a positive integer or None",
}

class SelectKResult:
    """The outcome of :func:`select_k`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per k (the index), one column per criterion: ``inertia``, ``silhouette``,
        ``silhouette_se`` (its standard error), ``calinski_harabasz``, ``davies_bouldin`` (with
        ``calinski_harabasz_se`` and ``davies_bouldin_se`` when computed on ``criteria_parts``),
        ``gap`` and ``gap_sd`` (the gap's ``s_k``),
        ``stability_ari_mean`` / ``stability_ari_sd``, ``n_clusters_found``. Criteria that were
        not computed are left out.
    recommended_k : int
        The recommended number of segments.
    reason : str
        Why, in words: which criteria chose which k, disagreements, tie-breakers, stability.
    votes : dict
        Each criterion's chosen k (None when it abstains).
    criteria_agree : bool
        Whether every criterion that voted chose ``recommended_k``.
    method : str
        The clustering algorithm evaluated.
    sample : (int, int) or None
        ``(rows, of)`` when the criteria were computed on a random sample of ``rows`` of the
        ``of`` rows (``sample_size``), else None.
    """

    def __init__(self, result: Dict[str, Any]) -> None:
        import pandas as pd

        # The binding's typed result (``select_result``): columns under these names already.
        self.table = pd.DataFrame(result["table"], index=pd.Index(result["k"], name="k"))
        self.recommended_k = int(result["recommended_k"])
        self.reason = str(result["reason"])
        self.criteria_agree = bool(result["criteria_agree"])
        self.votes: Dict[str, Optional[int]] = dict(result["votes"])
        self.method = str(result["method"])
        self.sample: Optional[Tuple[int, int]] = result["sample"]

    def __repr__(self) -> str:
        return (
            f"SelectKResult(method={self.method!r}, recommended_k={self.recommended_k}, "
            f"k={list(self.table.index)})"
        )

    def plot(self, ax: Union["Axes", Sequence["Axes"], None] = None) -> "Figure":
        """Plot every criterion against k, one small panel each, the recommended k marked (the
        figure of :func:`segcore.plot.criteria`).

        Needs matplotlib (``pip install matplotlib``). Returns the matplotlib Figure.
        """
        from .plot import criteria

        return criteria(self, ax)


def select_k(
    X: MatrixLike,
    k_range: Iterable[int] = range(2, 11),
    method: str = "kmeans",
    *,
    covariance_type: str = "full",
    n_init: Union[int, str] = "auto",
    random_state: RandomState = None,
    silhouette_sample_size: Optional[int] = None,
    gap_references: int = 10,
    gap_reference: str = "box",
    stability_resamples: int = 10,
    stability_fraction: float = 0.8,
    sample_size: Optional[int] = None,
    resample_n_init: Optional[int] = None,
    gap_sample_size: Optional[int] = None,
    max_sample_size: Optional[int] = None,
    criteria_parts: int = 1,
    progress: Progress = None,
) -> SelectKResult:
    """Evaluate every k in ``k_range`` and recommend one, with the evidence.

    For each k the data is clustered once (``method="kmeans"``: one k-means fit per k;
    ``"ward"``: one Ward tree cut at every k; ``"gmm"``: one Gaussian mixture of
    ``covariance_type`` per k, whose hard assignments are scored and whose BIC is a sixth vote)
    and scored by inertia, silhouette (exact up to
    10,000 rows, else on a seeded sample of ``silhouette_sample_size`` rows, default 10,000),
    Calinski-Harabasz, Davies-Bouldin, the gap statistic (``gap_references`` seeded reference
    data sets, uniform in the bounding box ``"box"`` or the principal-component box ``"pca"``)
    and stability (mean and sd of the adjusted Rand index against ``stability_resamples``
    subsamples of ``stability_fraction`` of the rows). Set ``gap_references=0`` or
    ``stability_resamples=0`` to skip those: with k-means each costs one fit per k; with Ward
    each builds one more tree (O(n^2 d) time: 21 trees on 20,000 rows took ~3 minutes on
    2 busy cores), so lower them for large n.

    ``sample_size``: compute every criterion (clusterings, silhouette, gap references,
    stability subsamples) on a seeded random sample of that many rows when ``X`` has more; the
    cost then stops growing with n. ``result.sample`` and the reason say so, and the table's
    ``silhouette_se`` (the standard error of the mean silhouette) shows the sampling
    uncertainty. :class:`segcore.Segmenter` does this above 20,000 customers.

    ``resample_n_init``: k-means / mixture restarts of the gap references and stability
    subsamples (default: as ``n_init``). ``gap_sample_size``: rows of each gap reference
    (default: as many as the evaluated rows); fewer make the gap statistic cheaper, its
    ``log W*`` shifted by ``log(n/m)`` to stand for a reference of the data's size.
    ``max_sample_size``: when no k has a majority of the criteria on the sample, compute them
    again on a sample of this many rows (every row when ``X`` has no more); default never.

    ``criteria_parts``: compute silhouette, Calinski-Harabasz and Davies-Bouldin on this many
    disjoint random parts of the evaluated rows, each clustered on its own, and report their
    mean and standard error (``*_se`` columns); each criterion then votes for the smallest k
    within one standard error of its best, and k-means on all evaluated rows starts from the
    parts' answers. The parts show how much a criterion moves with the rows k-means sees and
    the optimum it lands in. Default 1 (no parts).

    Silhouette (the smallest k within one standard error of the highest mean silhouette),
    Calinski-Harabasz and Davies-Bouldin (the same rule where they have a standard error),
    the elbow of inertia (Kneedle rule) and the gap rule
    (smallest k with ``Gap(k) >= Gap(k+1) - s(k+1)``) vote; the most voted k wins. Ties go to
    the more stable k (by more than one standard error of its mean ARI), then to a k in 4..=8
    (a tie-breaker only), then to the smaller k.
    ``result.reason`` says all of this for the data at hand, including disagreements.

    ``progress``: ``True`` shows a progress bar (tqdm if installed, else a line on stderr),
    ``False`` hides it, a callable ``progress(done, total)`` receives the counts; the default
    (None) shows it in interactive sessions for large jobs.

    Examples
    --------
    >>> import numpy as np, segcore
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.3, size=(30, 2)) for c in (0, 5, 10)])
    >>> result = segcore.select_k(X, range(2, 6), random_state=0, progress=False)
    >>> result.recommended_k
    3
    """
    arguments = dict(locals(), n_init=auto_or_int("n_init", n_init))
    data = as_float_matrix(X)
    if isinstance(k_range, (int, np.integer)):
        raise InvalidParameterError(
            f"invalid parameter `k_range` = {k_range!r}: expected an iterable of ints such as range(2, 11)"
        )
    k_values = [int_param("k_range", k) for k in k_range]
    if any(k < 0 for k in k_values):
        raise InvalidParameterError(
            f"invalid parameter `k_range` = {k_values}: expected numbers of segments k >= 2"
        )
    counts: Dict[str, Any] = {name: count_param(name, arguments[name], text) for name, text in _COUNTS.items()}
    counts.update({name: optional_count(name, arguments[name], text) for name, text in _OPTIONAL_COUNTS.items()})
    parts = counts["criteria_parts"]
    fits = 1 + (parts if parts > 1 else 0) + counts["gap_references"] + counts["stability_resamples"]
    report, close = progress_callback(progress, "select_k", data.shape[0] * len(set(k_values)) * fits)
    try:
        result = _segcore.select_k(
            data, k_values=k_values, random_state=seed_from(random_state), progress=report, **counts,
            **core_params(arguments, name="method covariance_type gap_reference", float="stability_fraction"),
        )
    finally:
        close()
    return SelectKResult(result)
