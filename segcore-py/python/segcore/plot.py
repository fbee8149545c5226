"""Plots of segmentations (matplotlib and scipy are optional dependencies, imported on use)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

__all__ = ["dendrogram", "heatmap", "lorenz"]


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


def heatmap(profile: Any, ax: Optional[Any] = None, limit: float = 2.0) -> Any:
    """Segments x numeric columns heatmap of effect sizes (diverging colours, clipped at
    +-``limit``; suppressed cells blank). Returns the matplotlib Axes."""
    plt = _require("matplotlib.pyplot", "segcore.plot")
    matrix = profile.effect_sizes()
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.9 * matrix.shape[1], 1.0 + 0.5 * matrix.shape[0]))
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(values.shape[1]), [str(c) for c in matrix.columns], rotation=45, ha="right")
    ax.set_yticks(range(values.shape[0]), [str(i) for i in matrix.index])
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:+.1f}", ha="center", va="center", fontsize=8)
    ax.figure.colorbar(image, ax=ax, label="effect size")
    ax.set_title("Segment profile: effect size vs. all customers")
    return ax


def lorenz(profile: Any, ax: Optional[Any] = None, segments: bool = True) -> Any:
    """Lorenz curve of revenue over all customers (and per segment where published): the
    share of revenue held by the poorest x % of customers. Needs a profile with ``revenue``."""
    plt = _require("matplotlib.pyplot", "segcore.plot")
    data = profile.data
    if data.get("revenue_column") is None:
        raise ValueError("the profile has no revenue column: call segcore.profile(..., revenue=...)")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=1, label="equal")
    if data.get("lorenz"):
        x, y = zip(*data["lorenz"])
        gini = data.get("revenue_gini")
        ax.plot(x, y, color="black", linewidth=2, label=f"all (Gini {gini:.2f})")
    if segments:
        for s in data["segments"]:
            curve = (s.get("value") or {}).get("lorenz")
            if curve:
                x, y = zip(*curve)
                ax.plot(x, y, linewidth=1, label=f"{s['name']} (Gini {s['value']['revenue_gini']:.2f})")
    ax.set_xlabel("share of customers (lowest revenue first)")
    ax.set_ylabel("share of revenue")
    ax.set_title("Revenue concentration")
    ax.legend(fontsize=8)
    return ax
