"""Plots of segmentations (matplotlib and scipy are optional dependencies, imported on use).

- :func:`criteria`: the criteria of :func:`segcore.select_k` against k, each criterion's vote and
  the recommended k marked;
- :func:`dendrogram`: a Ward tree cut into segments;
- :func:`pca_scatter`: customers on the first two principal components, coloured by segment,
  centroids marked;
- :func:`heatmap`: a profile's effect sizes, segments x columns;

Feature names are shown by their labels (:func:`segcore.feature_label`), never in snake case.
- :func:`lorenz`: revenue concentration over all customers and per segment;
- :func:`migration`: where the customers of each segment went between two segmentations.

Every function draws on ``ax`` when given (else on a new figure) and returns the matplotlib Axes
(or the Figure when it draws several panels), so figures can be saved or restyled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from ._typing import MatrixLike

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
        raise ImportError(
            f"{purpose} needs the optional dependency '{module.split('.')[0]}': "
            f"pip install {module.split('.')[0]}"
        ) from None


def dendrogram(
    model: Union["Ward", npt.ArrayLike],
    *,
    p: int = 30,
    n_clusters: Optional[int] = None,
    ax: Optional["Axes"] = None,
    **kwargs: object,
) -> Dict[str, object]:
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


def _language(profile: "Profile") -> str:
    """The profile's language as ``feature_label`` takes it (English when it does not say)."""
    data = getattr(profile, "data", None)
    language = data.get("language") if isinstance(data, dict) else None
    return str(language) if language else "en"


def _feature_label(name: object, language: str = "en", labels: Optional[Mapping[str, str]] = None) -> str:
    """What a person reads for column ``name``: the user's label, else the core's
    (:func:`segcore.feature_label`: built-in label, else the name made readable)."""
    from .labels import feature_label

    if labels and str(name) in labels:
        return str(labels[str(name)])
    return feature_label(str(name), language)


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
    language = _language(profile)
    matrix = profile.effect_sizes()
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.9 * matrix.shape[1], 1.0 + 0.5 * matrix.shape[0]))
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(values.shape[1]), [_feature_label(c, language, labels) for c in matrix.columns],
                  rotation=45, ha="right")
    ax.set_yticks(range(values.shape[0]), [str(i) for i in matrix.index])
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:+.1f}", ha="center", va="center", fontsize=8)
    ax.figure.colorbar(image, ax=ax, label="effect size")
    ax.set_title("Segment profile: effect size vs. all customers")
    return ax


def lorenz(profile: "Profile", ax: Optional["Axes"] = None, segments: bool = True) -> "Axes":
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


# Criteria of select_k: (table column, panel title, which votes it carries, direction).
_CRITERIA_PANELS = [
    ("inertia", "inertia (elbow)", "elbow", "lower, look for the bend"),
    ("silhouette", "silhouette", "silhouette", "higher is better"),
    ("calinski_harabasz", "Calinski-Harabasz", "calinski_harabasz", "higher is better"),
    ("davies_bouldin", "Davies-Bouldin", "davies_bouldin", "lower is better"),
    ("gap", "gap statistic", "gap", "first k within one sd of the next"),
    ("stability_ari_mean", "stability (ARI)", None, "higher is more reproducible"),
    ("bic", "BIC", "bic", "lower is better"),
]


def criteria(
    result: Union["SelectKResult", "Segmenter", "pd.DataFrame"],
    ax: Union["Axes", Sequence["Axes"], None] = None,
) -> "Figure":
    """Every criterion of :func:`segcore.select_k` against k, one small panel each.

    ``result`` is a :class:`segcore.SelectKResult`, a fitted :class:`segcore.Segmenter` that
    chose its k, or its ``selection_`` table (k-prototypes and latent class models included). The dashed line marks the recommended k; a star marks the
    k each criterion voted for (gap and stability show their error bars). ``ax`` may be a
    sequence of Axes, one per panel. Returns the matplotlib Figure.
    """
    plt = _require("matplotlib.pyplot", "segcore.plot.criteria")
    selection: Any = getattr(result, "select_k_", None) or getattr(result, "selection_", result)
    if _is_selection_frame(selection):
        # A Segmenter's selection_: the criteria table, the choice in its attrs.
        attrs = selection.attrs
        table = selection.set_index("k") if "k" in selection.columns else selection
        votes = dict(attrs.get("votes", {}) or {})
        if "criterion" in attrs and attrs["criterion"] not in votes:
            votes[attrs["criterion"]] = int(attrs["recommended_k"])
        recommended = int(attrs["recommended_k"])
        method = ""
    elif selection is not None and hasattr(selection, "table") and hasattr(selection, "recommended_k"):
        table = selection.table
        votes = getattr(selection, "votes", {}) or {}
        recommended = int(selection.recommended_k)
        method = getattr(selection, "method", "")
    else:
        raise ValueError(
            "expected a segcore.SelectKResult, a Segmenter's selection_ or a Segmenter fitted with "
            f"n_clusters=None (which keeps its select_k_), got {type(result).__name__}"
        )
    panels = [p for p in _CRITERIA_PANELS if p[0] in table and table[p[0]].notna().any()]
    if not panels:
        raise ValueError("the selection has no criteria to plot")
    if ax is None:
        n_cols = min(3, len(panels))
        n_rows = -(-len(panels) // n_cols)
        figure, axes = plt.subplots(n_rows, n_cols, figsize=(4 * n_cols, 3 * n_rows), squeeze=False)
        axes = list(axes.ravel())
    else:
        axes = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(axes) < len(panels):
            raise ValueError(f"expected {len(panels)} Axes (one per criterion), got {len(axes)}")
        figure = axes[0].figure
    ks = table.index.to_numpy()
    for axis, (column, title, vote, direction) in zip(axes, panels):
        values = table[column].to_numpy(dtype=float)
        error = None
        if column == "gap" and "gap_sd" in table:
            error = table["gap_sd"].to_numpy(dtype=float)
        if column == "stability_ari_mean" and "stability_ari_sd" in table:
            error = table["stability_ari_sd"].to_numpy(dtype=float)
        axis.errorbar(ks, values, yerr=error, marker="o", color="#1f77b4", label=column)
        axis.axvline(recommended, color="grey", linestyle="--", linewidth=1, label=f"recommended k = {recommended}")
        chosen = votes.get(vote) if vote is not None else None
        if chosen is not None and chosen in set(ks.tolist()):
            y = values[list(ks).index(chosen)]
            axis.plot([chosen], [y], marker="*", markersize=14, color="#d62728", linestyle="none",
                      label=f"vote: k = {chosen}")
        axis.set_title(f"{title}\n({direction})", fontsize=9)
        axis.set_xlabel("k (number of segments)")
        axis.set_xticks(ks)
    for axis in axes[len(panels):]:
        axis.set_visible(False)
    figure.suptitle(f"Choosing k{f' ({method})' if method else ''}: recommended k = {recommended}")
    figure.tight_layout()
    return figure


def _is_selection_frame(value: object) -> bool:
    attrs = getattr(value, "attrs", None)
    return hasattr(value, "columns") and isinstance(attrs, dict) and "recommended_k" in attrs


def _segment_names(names: SegmentNames, segments: list) -> List[str]:
    """Display name of each segment value: ``names`` as a mapping, a sequence indexed by
    segment number, or None (the segment value itself)."""
    if names is None:
        return [str(s) for s in segments]
    if isinstance(names, dict):
        return [str(names.get(s, s)) for s in segments]
    listed = [name for name in names]
    out = []
    for s in segments:
        if isinstance(s, (int, np.integer)) and 0 <= int(s) < len(listed):
            out.append(str(listed[int(s)]))
        else:
            out.append(str(s))
    return out


def pca_scatter(
    X: MatrixLike,
    labels: npt.ArrayLike,
    centers: Optional[MatrixLike] = None,
    names: SegmentNames = None,
    *,
    ax: Optional["Axes"] = None,
    max_points: Optional[int] = 20_000,
    random_state: int = 0,
) -> "Axes":
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
    from ._frames import as_float_matrix, feature_names_of

    column_names = feature_names_of(X)
    data = as_float_matrix(X, dtype=np.float64)
    labels = np.asarray(labels.to_numpy() if hasattr(labels, "to_numpy") else labels).ravel()
    if labels.shape[0] != data.shape[0]:
        raise ValueError(f"labels has {labels.shape[0]} entries but X has {data.shape[0]} rows")
    if data.shape[1] < 2:
        raise ValueError(f"X needs at least 2 columns for a scatter plot, got {data.shape[1]}")
    valid = ~(np.isnan(data).any(axis=1))
    if labels.dtype == object:
        valid &= np.asarray([v is not None and v == v for v in labels.tolist()])
    elif labels.dtype.kind == "f":
        valid &= ~np.isnan(labels)
    if data.shape[1] == 2:
        scores = data
        if column_names is not None:
            axis_labels = [_feature_label(c) for c in column_names]
        else:
            axis_labels = ["PC1", "PC2"]
        project = None
    else:
        from .decomposition import PCA

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
        rng = np.random.default_rng(random_state)
        rows = np.sort(rng.choice(rows, size=int(max_points), replace=False))
    segments = sorted(set(labels[valid].tolist()), key=lambda v: (str(type(v)), v))
    display = _segment_names(names, segments)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5.5))
    colours = plt.get_cmap("tab10" if len(segments) <= 10 else "tab20")
    for i, segment in enumerate(segments):
        chosen = rows[labels[rows] == segment]
        ax.scatter(scores[chosen, 0], scores[chosen, 1], s=8, alpha=0.5, color=colours(i % colours.N),
                   label=display[i], rasterized=True)
    if centers is not None:
        centres = as_float_matrix(centers, dtype=np.float64, name="centers")
        if centres.shape[1] != data.shape[1]:
            raise ValueError(f"centers has {centres.shape[1]} columns but X has {data.shape[1]}")
        centre_scores = project(centres) if project is not None else centres
        ax.scatter(centre_scores[:, 0], centre_scores[:, 1], marker="X", s=160, color="black",
                   edgecolor="white", linewidth=1.5, label="centroids", zorder=3)
    else:
        means = np.asarray([scores[valid & (labels == s)].mean(axis=0) for s in segments])
        ax.scatter(means[:, 0], means[:, 1], marker="X", s=160, color="black", edgecolor="white",
                   linewidth=1.5, label="segment means", zorder=3)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title(f"{len(segments)} segments on the first two principal components")
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
    if ax is None:
        _, ax = plt.subplots(figsize=(1.5 + 0.9 * values.shape[1], 1.2 + 0.6 * values.shape[0]))
    shown = row_shares if shares else values
    largest = max(float(np.nanmax(values)) if np.isfinite(values).any() else 1.0, 1.0)
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if shares else largest, aspect="auto")
    ax.set_xticks(range(values.shape[1]), [str(c) for c in counts.columns], rotation=45, ha="right")
    ax.set_yticks(range(values.shape[0]), [str(i) for i in counts.index])
    threshold = 0.6 * (1 if shares else largest)
    for (i, j), count in np.ndenumerate(values):
        if np.isnan(count):
            # Suppressed under the minimum group size.
            ax.text(j, i, "suppressed", ha="center", va="center", fontsize=7, color="grey")
            continue
        colour = "white" if shown[i, j] > threshold else "black"
        ax.text(j, i, f"{int(count)}\n{100 * row_shares[i, j]:.0f}%", ha="center", va="center", fontsize=8, color=colour)
    ax.set_xlabel("after")
    ax.set_ylabel("before")
    ax.figure.colorbar(image, ax=ax, label="share of the segment before" if shares else "customers")
    ax.set_title(
        f"Segment migration: {100 * result.stayed_share:.0f}% stayed, ARI {result.adjusted_rand_index:.2f}"
    )
    return ax


def biplot(model: Union["CA", "MCA"], X: Optional[MatrixLike] = None, *, ax: Optional["Axes"] = None,
           components: Tuple[int, int] = (0, 1), labels: bool = True) -> "Axes":
    """Correspondence-analysis map: categories (MCA) or table rows and columns (CA) on two axes.

    ``model`` is a fitted :class:`segcore.CA` (its rows as circles, columns as triangles) or
    :class:`segcore.MCA` (categories as triangles; with ``X``, the rows of ``X`` as small grey
    points). Axis labels give each component's share of inertia. Returns the matplotlib Axes.
    """
    plt = _require("matplotlib.pyplot", "segcore.plot.biplot")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    a, b = components
    share = np.asarray(model.percentage_of_variance_)
    if max(a, b) >= share.shape[0]:
        raise ValueError(f"components {components} need a model with more than {max(a, b)} components")
    if hasattr(model, "row_coordinates_"):  # CA
        rows, cols = model.row_coordinates_, model.column_coordinates_
        ax.scatter(rows[:, a], rows[:, b], marker="o", label="rows")
        ax.scatter(cols[:, a], cols[:, b], marker="^", label="columns")
        if labels:
            for name, (x, y) in zip(model.row_names_, rows[:, [a, b]]):
                ax.annotate(str(name), (x, y), fontsize=8)
            for name, (x, y) in zip(model.column_names_, cols[:, [a, b]]):
                ax.annotate(str(name), (x, y), fontsize=8)
    else:  # MCA
        if X is not None:
            coords = model.transform(X)
            ax.scatter(coords[:, a], coords[:, b], s=4, color="0.75", label="rows")
        cols = model.column_coordinates_
        ax.scatter(cols[:, a], cols[:, b], marker="^", label="categories")
        if labels:
            for name, (x, y) in zip(model.category_names_, cols[:, [a, b]]):
                ax.annotate(str(name), (x, y), fontsize=8)
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.set_xlabel(f"component {a + 1} ({share[a]:.1f}% of inertia)")
    ax.set_ylabel(f"component {b + 1} ({share[b]:.1f}% of inertia)")
    ax.legend(loc="best")
    return ax
