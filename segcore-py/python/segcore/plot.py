"""Plots of segmentations (matplotlib and scipy are optional dependencies, imported on use).

- :func:`criteria`: the criteria of :func:`segcore.select_k` against k, each criterion's vote and
  the recommended k marked;
- :func:`dendrogram`: a Ward tree cut into segments;
- :func:`pca_scatter`: customers on the first two principal components, coloured by segment,
  centroids marked;
- :func:`heatmap`: a profile's effect sizes, segments x columns;
- :func:`lorenz`: revenue concentration over all customers and per segment;
- :func:`migration`: where the customers of each segment went between two segmentations;
- :func:`biplot`: a correspondence analysis's categories (and rows) on two axes.

Feature names are shown by their labels (:func:`segcore.feature_label`), never in snake case.
Every function draws on ``ax`` when given (else on a new figure) and returns the matplotlib Axes
(or the Figure when it draws several panels), so figures can be saved or restyled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from ._frames import as_float_matrix, feature_names_of, values as column_values
from ._typing import MatrixLike
from .decomposition import PCA
from .labels import feature_label

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ._categorical import CA, MCA
    from ._ward import Ward
    from .profile import Migration, Profile
    from .segmenter import Segmenter
    from .select import SelectKResult

#: Display names of segments: a mapping, a sequence indexed by segment number, or None.
SegmentNames = Union[None, Mapping[object, str], Sequence[str]]

__all__ = ["biplot", "criteria", "dendrogram", "heatmap", "lorenz", "migration", "pca_scatter"]


def _require(module: str, purpose: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        package = module.split(".")[0]
        raise ImportError(f"{purpose} needs the optional dependency '{package}': pip install {package}") from None


def dendrogram(model: Union["Ward", npt.ArrayLike], *, p: int = 30, n_clusters: Optional[int] = None,
               ax: Optional["Axes"] = None, **kwargs: object) -> Dict[str, object]:
    """Ward dendrogram truncated to the last ``p`` merges, coloured by segment.

    ``model`` is a fitted :class:`segcore.Ward` or a scipy-format linkage matrix (e.g. from
    :func:`segcore.ward_linkage`). Links below the cut into ``n_clusters`` segments (default: the
    model's own cut) take one colour per segment; the dashed line marks the cut. Extra keyword
    arguments go to ``scipy.cluster.hierarchy.dendrogram``, whose result is returned.
    """
    hierarchy = _require("scipy.cluster.hierarchy", "segcore.plot.dendrogram")
    pyplot = _require("matplotlib.pyplot", "segcore.plot.dendrogram")
    linkage = np.asarray(getattr(model, "linkage_", model), dtype=np.float64)
    if linkage.ndim != 2 or linkage.shape[1] != 4:
        raise ValueError(f"expected a fitted segcore.Ward or a linkage matrix of shape (n - 1, 4), got shape {linkage.shape}")
    k = n_clusters if n_clusters is not None else getattr(model, "n_clusters_", None)
    heights = linkage[:, 2]
    # Halfway between the last merge inside a segment and the first merge joining two.
    cut = 0.5 * (heights[-k] + heights[-(k - 1)]) if k is not None and 2 <= k <= len(heights) else None
    ax = ax if ax is not None else pyplot.gca()
    options: Dict[str, Any] = dict(truncate_mode="lastp", p=p, show_contracted=True, ax=ax)
    if cut is not None:
        options.update(color_threshold=cut, above_threshold_color="grey")
    result = hierarchy.dendrogram(linkage, **{**options, **kwargs})
    if cut is not None:
        ax.axhline(cut, linestyle="--", color="black", linewidth=0.8)
    ax.set_ylabel("Ward merge height")
    return result


def _feature_label(name: object, language: str = "en", labels: Optional[Mapping[str, str]] = None) -> str:
    """What a person reads for column ``name``: the user's label, else the core's
    (:func:`segcore.feature_label`: built-in label, else the name made readable)."""
    return str(labels[str(name)]) if labels and str(name) in labels else feature_label(str(name), language)


def heatmap(profile: Union["Profile", "Segmenter"], ax: Optional["Axes"] = None, limit: float = 2.0,
            labels: Optional[Mapping[str, str]] = None) -> "Axes":
    """Segments x numeric columns heatmap of effect sizes (diverging colours, clipped at
    +-``limit``; suppressed cells blank). ``profile`` is a :class:`segcore.Profile` or a fitted
    :class:`segcore.Segmenter` (its profile and its ``labels``). Columns are shown by their
    labels (:func:`segcore.feature_label` in the profile's language; ``labels`` maps a column to
    your own). Returns the matplotlib Axes."""
    plt = _require("matplotlib.pyplot", "segcore.plot")
    if hasattr(profile, "segment_names_") and callable(getattr(profile, "profile", None)):
        labels = {**(getattr(profile, "labels", None) or {}), **(labels or {})}
        profile = getattr(profile, "profile")()
    data = getattr(profile, "data", None)  # its language, English when it does not say
    language = str(data.get("language") or "en") if isinstance(data, dict) else "en"
    matrix = profile.effect_sizes()
    values = matrix.to_numpy(dtype=float)
    columns = [_feature_label(c, language, labels) for c in matrix.columns]
    ax = _image(plt, ax, np.ma.masked_invalid(values), matrix.index, columns, (1.0, 1.0, 0.5), "effect size",
                cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:+.1f}", ha="center", va="center", fontsize=8)
    ax.set_title("Segment profile: effect size vs. all customers")
    return ax


def _image(plt: Any, ax: Optional["Axes"], shown: np.ndarray, rows: Sequence[object], columns: Sequence[str],
           size: Tuple[float, float, float], label: str, **style: Any) -> "Axes":
    """``shown`` (rows x columns) as an image on ``ax`` (else on a new figure ``size[0] + 0.9`` in a
    column wide and ``size[1] + size[2]`` in a row high), ticked with the ``rows`` and ``columns``
    names, with a colour bar saying ``label``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(size[0] + 0.9 * shown.shape[1], size[1] + size[2] * shown.shape[0]))
    image = ax.imshow(shown, aspect="auto", **style)
    ax.set_xticks(range(shown.shape[1]), columns, rotation=45, ha="right")
    ax.set_yticks(range(shown.shape[0]), [str(i) for i in rows])
    ax.figure.colorbar(image, ax=ax, label=label)
    return ax


def lorenz(profile: "Profile", ax: Optional["Axes"] = None, segments: bool = True) -> "Axes":
    """Lorenz curve of revenue over all customers (and per segment where published): the
    share of revenue held by the poorest x % of customers. Needs a profile with ``revenue``."""
    plt = _require("matplotlib.pyplot", "segcore.plot")
    data = profile.data
    if data.get("revenue_column") is None:
        raise ValueError("the profile has no revenue column: call segcore.profile(..., revenue=...)")
    ax = ax if ax is not None else plt.subplots(figsize=(5, 5))[1]
    ax.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=1, label="equal")
    curves: List[Tuple[str, Dict[str, Any], Dict[str, Any]]] = [("all", data, {"color": "black", "linewidth": 2})]
    curves += [(s["name"], s.get("value") or {}, {"linewidth": 1}) for s in (data["segments"] if segments else [])]
    for name, figures, style in curves:
        if figures.get("lorenz"):
            x, y = zip(*figures["lorenz"])
            ax.plot(x, y, label=f"{name} (Gini {figures.get('revenue_gini'):.2f})", **style)
    ax.set(xlabel="share of customers (lowest revenue first)", ylabel="share of revenue", title="Revenue concentration")
    ax.legend(fontsize=8)
    return ax


# Criteria of select_k: (table column, panel title, which votes it carries, direction, error bar column).
_CRITERIA_PANELS = [
    ("inertia", "inertia (elbow)", "elbow", "lower, look for the bend", None),
    ("silhouette", "silhouette", "silhouette", "higher is better", None),
    ("calinski_harabasz", "Calinski-Harabasz", "calinski_harabasz", "higher is better", None),
    ("davies_bouldin", "Davies-Bouldin", "davies_bouldin", "lower is better", None),
    ("gap", "gap statistic", "gap", "first k within one sd of the next", "gap_sd"),
    ("stability_ari_mean", "stability (ARI)", None, "higher is more reproducible", "stability_ari_sd"),
    ("bic", "BIC", "bic", "lower is better", None),
]


def criteria(result: Union["SelectKResult", "Segmenter", "pd.DataFrame"],
             ax: Union["Axes", Sequence["Axes"], None] = None) -> "Figure":
    """Every criterion of :func:`segcore.select_k` against k, one small panel each.

    ``result`` is a :class:`segcore.SelectKResult`, a fitted :class:`segcore.Segmenter` that
    chose its k, or its ``selection_`` table (k-prototypes and latent class models included).
    The dashed line marks the recommended k; a star marks the k each criterion voted for (gap
    and stability show their error bars). ``ax`` may be a sequence of Axes, one per panel.
    Returns the matplotlib Figure.
    """
    plt = _require("matplotlib.pyplot", "segcore.plot.criteria")
    selection: Any = getattr(result, "select_k_", None) or getattr(result, "selection_", result)
    attrs = getattr(selection, "attrs", None)
    if hasattr(selection, "columns") and isinstance(attrs, dict) and "recommended_k" in attrs:
        # A Segmenter's selection_: the criteria table, the choice in its attrs.
        table = selection.set_index("k") if "k" in selection.columns else selection
        recommended, method = int(attrs["recommended_k"]), ""
        votes = {**({attrs["criterion"]: recommended} if "criterion" in attrs else {}), **(attrs.get("votes") or {})}
    elif selection is not None and hasattr(selection, "table") and hasattr(selection, "recommended_k"):
        table, votes = selection.table, getattr(selection, "votes", {}) or {}
        recommended, method = int(selection.recommended_k), getattr(selection, "method", "")
    else:
        raise ValueError("expected a segcore.SelectKResult, a Segmenter's selection_ or a Segmenter fitted with "
                         f"n_clusters=None (which keeps its select_k_), got {type(result).__name__}")
    panels = [p for p in _CRITERIA_PANELS if p[0] in table and table[p[0]].notna().any()]
    if not panels:
        raise ValueError("the selection has no criteria to plot")
    if ax is None:
        n_cols, n_rows = min(3, len(panels)), -(-len(panels) // 3)
        figure, axes = plt.subplots(n_rows, n_cols, figsize=(4 * n_cols, 3 * n_rows), squeeze=False)
        axes = list(axes.ravel())
    else:
        axes = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(axes) < len(panels):
            raise ValueError(f"expected {len(panels)} Axes (one per criterion), got {len(axes)}")
        figure = axes[0].figure
    ks = table.index.to_numpy().tolist()
    for axis, (column, title, vote, direction, sd) in zip(axes, panels):
        values = table[column].to_numpy(dtype=float)
        error = table[sd].to_numpy(dtype=float) if sd is not None and sd in table else None
        axis.errorbar(ks, values, yerr=error, marker="o", color="#1f77b4", label=column)
        axis.axvline(recommended, color="grey", linestyle="--", linewidth=1, label=f"recommended k = {recommended}")
        chosen = votes.get(vote) if vote is not None else None
        if chosen is not None and chosen in ks:
            axis.plot([chosen], [values[ks.index(chosen)]], marker="*", markersize=14, color="#d62728",
                      linestyle="none", label=f"vote: k = {chosen}")
        axis.set_title(f"{title}\n({direction})", fontsize=9)
        axis.set(xlabel="k (number of segments)", xticks=ks)
    for axis in axes[len(panels):]:
        axis.set_visible(False)
    figure.suptitle(f"Choosing k{f' ({method})' if method else ''}: recommended k = {recommended}")
    figure.tight_layout()
    return figure


def _segment_names(names: SegmentNames, segments: list) -> List[str]:
    """Display name of each segment value: ``names`` as a mapping, a sequence indexed by
    segment number, or None (the segment value itself)."""
    if isinstance(names, dict):
        return [str(names.get(s, s)) for s in segments]
    listed = [] if names is None else list(names)
    return [str(listed[int(s)] if isinstance(s, (int, np.integer)) and 0 <= int(s) < len(listed) else s)
            for s in segments]


def pca_scatter(X: MatrixLike, labels: npt.ArrayLike, centers: Optional[MatrixLike] = None, names: SegmentNames = None,
                *, ax: Optional["Axes"] = None, max_points: Optional[int] = 20_000, random_state: int = 0) -> "Axes":
    """Customers on the first two principal components, coloured by segment, centroids marked.

    ``X`` is the clustering input (rows = customers; a DataFrame or array). With exactly two
    columns it is drawn as it is (e.g. PCA scores you already have); with more it is projected
    on its first two principal components by :class:`segcore.PCA` (axis labels give the share of
    variance each explains). ``labels`` gives each row's segment; ``centers`` (segments x
    columns of ``X``, e.g. ``KMeans.cluster_centers_``) are projected the same way and drawn as
    crosses; without them the mean of each segment's points is marked. ``names`` maps segment
    labels to display names (a dict, or a list indexed by segment number). At most
    ``max_points`` rows (a seeded sample) are drawn, so large bases stay quick; None draws all.
    Returns the matplotlib Axes.
    """
    plt = _require("matplotlib.pyplot", "segcore.plot.pca_scatter")
    column_names = feature_names_of(X)
    data = as_float_matrix(X, dtype=np.float64)
    labels = column_values(labels).ravel()
    if labels.shape[0] != data.shape[0]:
        raise ValueError(f"labels has {labels.shape[0]} entries but X has {data.shape[0]} rows")
    if data.shape[1] < 2:
        raise ValueError(f"X needs at least 2 columns for a scatter plot, got {data.shape[1]}")
    import pandas as pd

    valid = ~np.isnan(data).any(axis=1) & ~pd.isna(labels)
    if data.shape[1] == 2:
        scores, project = data, None
        axis_labels = ["PC1", "PC2"] if column_names is None else [_feature_label(c) for c in column_names]
    else:
        if not valid.any():
            raise ValueError("no row of X is complete (every row has a NaN): nothing to project")
        pca = PCA(n_components=2, random_state=random_state).fit(data[valid])
        scores = np.full((data.shape[0], 2), np.nan)
        scores[valid] = pca.transform(data[valid])
        ratio = pca.explained_variance_ratio_
        axis_labels = [f"PC{i + 1} ({100 * ratio[i]:.0f}% of variance)" for i in range(2)]
        project = pca.transform
    rows = np.flatnonzero(valid)
    if max_points is not None and rows.size > max_points:
        rows = np.sort(np.random.default_rng(random_state).choice(rows, size=int(max_points), replace=False))
    segments = sorted(set(labels[valid].tolist()), key=lambda v: (str(type(v)), v))
    ax = ax if ax is not None else plt.subplots(figsize=(7, 5.5))[1]
    colours = plt.get_cmap("tab10" if len(segments) <= 10 else "tab20")
    for i, (segment, name) in enumerate(zip(segments, _segment_names(names, segments))):
        chosen = rows[labels[rows] == segment]
        ax.scatter(scores[chosen, 0], scores[chosen, 1], s=8, alpha=0.5, color=colours(i % colours.N), label=name,
                   rasterized=True)
    if centers is not None:
        centres = as_float_matrix(centers, dtype=np.float64, name="centers")
        if centres.shape[1] != data.shape[1]:
            raise ValueError(f"centers has {centres.shape[1]} columns but X has {data.shape[1]}")
        marks, marked = (centres if project is None else project(centres)), "centroids"
    else:
        marks = np.asarray([scores[valid & (labels == s)].mean(axis=0) for s in segments])
        marked = "segment means"
    ax.scatter(marks[:, 0], marks[:, 1], marker="X", s=160, color="black", edgecolor="white", linewidth=1.5,
               label=marked, zorder=3)
    ax.set(xlabel=axis_labels[0], ylabel=axis_labels[1],
           title=f"{len(segments)} segments on the first two principal components")
    ax.legend(fontsize=8, markerscale=1.5, loc="best")
    return ax


def migration(result: "Migration", ax: Optional["Axes"] = None, shares: bool = True) -> "Axes":
    """Heatmap of a transition matrix: where the customers of each segment went.

    ``result`` is a :class:`segcore.Migration` (from :func:`segcore.migration`). Rows are the
    segments before, columns after; colours are row shares (``shares=True``: the share of each
    segment's customers that moved to each segment) or counts, and every cell is annotated with
    both count and share. The title gives the stayed share and the adjusted Rand index.
    Returns the matplotlib Axes.
    """
    plt = _require("matplotlib.pyplot", "segcore.plot.migration")
    if not hasattr(result, "counts") or not hasattr(result, "stayed_share"):
        raise ValueError(f"expected a segcore.Migration (segcore.migration(...)), got {type(result).__name__}")
    counts = result.counts
    values = counts.to_numpy(dtype=float, na_value=np.nan)
    row_shares = result.shares.to_numpy(dtype=float)
    shown = row_shares if shares else values
    top = 1.0 if shares else float(np.nanmax(values, initial=1.0))  # the colour scale's end
    ax = _image(plt, ax, shown, counts.index, [str(c) for c in counts.columns], (1.5, 1.2, 0.6),
                "share of the segment before" if shares else "customers", cmap="Blues", vmin=0, vmax=top)
    for (i, j), count in np.ndenumerate(values):
        if np.isnan(count):  # suppressed under the minimum group size
            ax.text(j, i, "suppressed", ha="center", va="center", fontsize=7, color="grey")
        else:
            ax.text(j, i, f"{int(count)}\n{100 * row_shares[i, j]:.0f}%", ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > 0.6 * top else "black")
    ax.set(xlabel="after", ylabel="before",
           title=f"Segment migration: {100 * result.stayed_share:.0f}% stayed, ARI {result.adjusted_rand_index:.2f}")
    return ax


def biplot(model: Union["CA", "MCA"], X: Optional[MatrixLike] = None, *, ax: Optional["Axes"] = None,
           components: Tuple[int, int] = (0, 1), labels: bool = True) -> "Axes":
    """Correspondence-analysis map: categories (MCA) or table rows and columns (CA) on two axes.

    ``model`` is a fitted :class:`segcore.CA` (its rows as circles, columns as triangles) or
    :class:`segcore.MCA` (categories as triangles; with ``X``, the rows of ``X`` as small grey
    points). Axis labels give each component's share of inertia. Returns the matplotlib Axes.
    """
    plt = _require("matplotlib.pyplot", "segcore.plot.biplot")
    ax = ax if ax is not None else plt.subplots(figsize=(7, 6))[1]
    a, b = components
    share = np.asarray(model.percentage_of_variance_)
    if max(a, b) >= share.shape[0]:
        raise ValueError(f"components {components} need a model with more than {max(a, b)} components")
    groups: List[Tuple[Any, Any, Dict[str, Any]]]  # (coordinates, names, style) of each kind of point
    if hasattr(model, "row_coordinates_"):  # CA: its rows and columns
        groups = [(model.row_coordinates_, model.row_names_, {"marker": "o", "label": "rows"}),
                  (model.column_coordinates_, model.column_names_, {"marker": "^", "label": "columns"})]
    else:  # MCA: its categories, and the rows of X as small grey points
        if X is not None:
            coords = model.transform(X)
            ax.scatter(coords[:, a], coords[:, b], s=4, color="0.75", label="rows")
        groups = [(model.column_coordinates_, model.category_names_, {"marker": "^", "label": "categories"})]
    for coords, names, style in groups:
        ax.scatter(coords[:, a], coords[:, b], **style)
        for name, (x, y) in zip(names if labels else [], coords[:, [a, b]]):
            ax.annotate(str(name), (x, y), fontsize=8)
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.set(xlabel=f"component {a + 1} ({share[a]:.1f}% of inertia)",
           ylabel=f"component {b + 1} ({share[b]:.1f}% of inertia)")
    ax.legend(loc="best")
    return ax
