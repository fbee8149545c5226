"""Choosing the number of segments: one table of criteria per k and one recommendation in words."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, Optional

import numpy as np

from . import _segcore
from ._progress import progress_callback
from ._base import auto_or_int, float_param, int_param, name_param, seed_from
from ._frames import as_float_matrix
from .exceptions import InvalidParameterError

__all__ = ["select_k", "SelectKResult"]

# Table columns in display order: (core field, DataFrame column).
_COLUMNS = [
    ("inertia", "inertia"),
    ("silhouette", "silhouette"),
    ("silhouette_se", "silhouette_se"),
    ("calinski_harabasz", "calinski_harabasz"),
    ("davies_bouldin", "davies_bouldin"),
    ("gap", "gap"),
    ("gap_spread", "gap_sd"),
    ("stability_mean", "stability_ari_mean"),
    ("stability_sd", "stability_ari_sd"),
    ("bic", "bic"),
    ("n_clusters_found", "n_clusters_found"),
]

_CRITERION_NAMES = {
    "Silhouette": "silhouette",
    "CalinskiHarabasz": "calinski_harabasz",
    "DaviesBouldin": "davies_bouldin",
    "Elbow": "elbow",
    "Gap": "gap",
    "Bic": "bic",
}


def _method_name(method: Any) -> str:
    """The core's serde form of the method as the ``method=`` string that selects it."""
    if isinstance(method, dict) and "GaussianMixture" in method:
        return "gmm"
    return {"KMeans": "kmeans", "Ward": "ward"}.get(method, str(method))


class SelectKResult:
    """The outcome of :func:`select_k`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per k (the index), one column per criterion: ``inertia``, ``silhouette``,
        ``silhouette_se`` (its standard error), ``calinski_harabasz``, ``davies_bouldin``,
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

    def __init__(self, document: Dict[str, Any]) -> None:
        import pandas as pd

        rows = document["table"]
        data = {}
        for field, column in _COLUMNS:
            values = [row.get(field) for row in rows]
            if all(v is None for v in values):
                continue
            data[column] = [np.nan if v is None else v for v in values]
        self.table = pd.DataFrame(data, index=pd.Index([row["k"] for row in rows], name="k"))
        if "n_clusters_found" in self.table:
            self.table["n_clusters_found"] = self.table["n_clusters_found"].astype(int)
        self.recommended_k = int(document["recommended_k"])
        self.reason = str(document["reason"])
        self.criteria_agree = bool(document["criteria_agree"])
        self.votes = {
            _CRITERION_NAMES.get(v["criterion"], str(v["criterion"]).lower()): v["k"]
            for v in document["votes"]
        }
        self.method = _method_name(document["method"])
        sample = document.get("sample")
        self.sample = None if sample is None else (int(sample["rows"]), int(sample["of"]))

    def __repr__(self) -> str:
        return (
            f"SelectKResult(method={self.method!r}, recommended_k={self.recommended_k}, "
            f"k={list(self.table.index)})"
        )

    def plot(self, ax: Any = None) -> Any:
        """Plot every criterion against k, one small panel each, the recommended k marked (the
        figure of :func:`segcore.plot.criteria`).

        Needs matplotlib (``pip install matplotlib``). Returns the matplotlib Figure.
        """
        from .plot import criteria

        return criteria(self, ax)


def select_k(
    X: Any,
    k_range: Iterable[int] = range(2, 11),
    method: str = "kmeans",
    *,
    covariance_type: str = "full",
    n_init: Any = "auto",
    random_state: Any = None,
    silhouette_sample_size: Any = None,
    gap_references: int = 10,
    gap_reference: str = "box",
    stability_resamples: int = 10,
    stability_fraction: float = 0.8,
    sample_size: Any = None,
    resample_n_init: Any = None,
    gap_sample_size: Any = None,
    progress: Any = None,
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

    Silhouette (the smallest k within one standard error of the highest mean silhouette),
    Calinski-Harabasz, Davies-Bouldin, the elbow of inertia (Kneedle rule) and the gap rule
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
    n_init_value = auto_or_int("n_init", n_init)
    if n_init_value is not None and n_init_value < 0:
        raise InvalidParameterError(f"invalid parameter `n_init` = {n_init_value}: expected an integer >= 1")
    silhouette_rows = None
    if silhouette_sample_size is not None:
        silhouette_rows = int_param("silhouette_sample_size", silhouette_sample_size)
        if silhouette_rows < 0:
            raise InvalidParameterError(
                f"invalid parameter `silhouette_sample_size` = {silhouette_rows}: expected an integer >= 2"
            )
    counts = {}
    for name, value in (("gap_references", gap_references), ("stability_resamples", stability_resamples)):
        counts[name] = int_param(name, value)
        if counts[name] < 0:
            raise InvalidParameterError(
                f"invalid parameter `{name}` = {counts[name]}: expected an integer >= 0 (0 skips it)"
            )
    rows = None
    if sample_size is not None:
        rows = int_param("sample_size", sample_size)
        if rows < 0:
            raise InvalidParameterError(
                f"invalid parameter `sample_size` = {rows}: expected an integer >= 3 or None"
            )
    optional_counts: Dict[str, Optional[int]] = {}
    for name, value in (("resample_n_init", resample_n_init), ("gap_sample_size", gap_sample_size)):
        checked = None if value is None else int_param(name, value)
        if checked is not None and checked < 0:
            raise InvalidParameterError(f"invalid parameter `{name}` = {value}: expected a positive integer or None")
        optional_counts[name] = checked
    clusterings = len(set(k_values)) * (1 + counts["gap_references"] + counts["stability_resamples"])
    report, close = progress_callback(progress, "select_k", data.shape[0] * clusterings)
    try:
        document = _segcore.select_k(
            data,
            k_values=k_values,
            method=name_param("method", method),
            covariance_type=name_param("covariance_type", covariance_type),
            n_init=n_init_value,
            random_state=seed_from(random_state),
            silhouette_sample_size=silhouette_rows,
            gap_references=counts["gap_references"],
            gap_reference=name_param("gap_reference", gap_reference),
            stability_resamples=counts["stability_resamples"],
            stability_fraction=float_param("stability_fraction", stability_fraction),
            sample_size=rows,
            resample_n_init=optional_counts["resample_n_init"],
            gap_sample_size=optional_counts["gap_sample_size"],
            progress=report,
        )
    finally:
        close()
    return SelectKResult(json.loads(document))
