"""Plots of segmentations (matplotlib and scipy are optional dependencies, imported on use)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

__all__ = ["dendrogram"]


def _require(module: str, purpose: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise ImportError(
            f"{purpose} needs the optional dependency '{module.split('.')[0]}': "
            f"pip install {module.split('.')[0]}"
        ) from None


def dendrogram(
    model: Any,
    *,
    p: int = 30,
    n_clusters: Optional[int] = None,
    ax: Any = None,
    **kwargs: Any,
) -> dict:
    """Ward dendrogram truncated to the last ``p`` merges, coloured by segment.

    ``model`` is a fitted :class:`segcore.Ward` or a scipy-format linkage matrix (e.g. from
    :func:`segcore.ward_linkage`). Links below the cut into ``n_clusters`` segments (default: the
    model's own cut) take one colour per segment; the dashed line marks the cut. Extra keyword
    arguments go to ``scipy.cluster.hierarchy.dendrogram``, whose result is returned.
    """
    hierarchy = _require("scipy.cluster.hierarchy", "segcore.plot.dendrogram")
    pyplot = _require("matplotlib.pyplot", "segcore.plot.dendrogram")
    linkage = getattr(model, "linkage_", model)
    linkage = np.asarray(linkage, dtype=np.float64)
    if linkage.ndim != 2 or linkage.shape[1] != 4:
        raise ValueError(
            f"expected a fitted segcore.Ward or a linkage matrix of shape (n - 1, 4), got shape "
            f"{linkage.shape}"
        )
    k = n_clusters if n_clusters is not None else getattr(model, "n_clusters_", None)
    heights = linkage[:, 2]
    cut = None
    if k is not None and 2 <= k <= len(heights):
        # Halfway between the last merge inside a segment and the first merge joining two.
        cut = 0.5 * (heights[-k] + heights[-(k - 1)])
    if ax is None:
        ax = pyplot.gca()
    options = dict(truncate_mode="lastp", p=p, show_contracted=True, ax=ax)
    if cut is not None:
        options["color_threshold"] = cut
        options["above_threshold_color"] = "grey"
    options.update(kwargs)
    result = hierarchy.dendrogram(linkage, **options)
    if cut is not None:
        ax.axhline(cut, linestyle="--", color="black", linewidth=0.8)
    ax.set_ylabel("Ward merge height")
    return result
