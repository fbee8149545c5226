"""segcore.plot's figures: each is rendered to PNG (Agg backend, in memory) and its axes content
checked (labels, artists, plotted coordinates against scikit-learn), never pixels."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest

import segcore

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def render(figure) -> bytes:
    """The figure as PNG bytes (proves it draws end to end)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=50)
    data = buffer.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


@pytest.fixture(scope="module")
def three_groups():
    rng = np.random.default_rng(3)
    centres = np.array([[0, 0, 0, 0], [6, 0, 1, 0], [0, 6, 0, 2]], dtype=float)
    x = np.vstack([rng.normal(c, 0.7, size=(120, 4)) for c in centres])
    return x


def test_criteria_marks_recommended_k_and_votes(three_groups):
    result = segcore.select_k(three_groups, range(2, 6), random_state=0, gap_references=2,
                              stability_resamples=2, progress=False)
    figure = segcore.plot.criteria(result)
    render(figure)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    # inertia, silhouette, CH, DB, gap, stability: six panels (no BIC for k-means).
    assert len(visible) == 6
    assert str(result.recommended_k) in figure._suptitle.get_text()
    for ax in visible:
        assert ax.get_xlabel() == "k (number of segments)"
        dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert [line.get_xdata()[0] for line in dashed] == [result.recommended_k]
    stars = [line for ax in visible for line in ax.get_lines() if line.get_marker() == "*"]
    voted = [k for name, k in result.votes.items() if k is not None]
    assert sorted(int(s.get_xdata()[0]) for s in stars) == sorted(voted)
    titles = [ax.get_title() for ax in visible]
    assert any(t.startswith("silhouette") for t in titles)


def test_criteria_on_given_axes_and_bad_input(three_groups):
    result = segcore.select_k(three_groups, [2, 3, 4], random_state=0, gap_references=0,
                              stability_resamples=0, progress=False)
    _, axes = plt.subplots(1, 4)
    figure = segcore.plot.criteria(result, ax=axes)
    assert figure is axes[0].figure
    assert all(ax.get_visible() for ax in axes)
    _, too_few = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="expected 4 Axes"):
        segcore.plot.criteria(result, ax=too_few)
    with pytest.raises(ValueError, match="SelectKResult"):
        segcore.plot.criteria(object())


def test_pca_scatter_projects_like_sklearn_and_marks_centroids(three_groups):
    from sklearn.decomposition import PCA

    model = segcore.KMeans(3, random_state=0, n_init=3).fit(three_groups)
    names = ["north", "east", "west"]
    ax = segcore.plot.pca_scatter(three_groups, model.labels_, centers=model.cluster_centers_, names=names)
    render(ax.figure)
    collections = ax.collections
    assert len(collections) == 4  # one per segment + the centroids
    reference = PCA(2).fit(three_groups)
    expected = reference.transform(three_groups)
    drawn = np.vstack([c.get_offsets() for c in collections[:3]])
    rows = np.concatenate([np.flatnonzero(model.labels_ == s) for s in range(3)])
    for j in range(2):  # principal axes are defined up to sign
        sign = np.sign(np.dot(drawn[:, j], expected[rows, j]))
        np.testing.assert_allclose(sign * drawn[:, j], expected[rows, j], atol=1e-8)
    centres = collections[3].get_offsets()
    assert centres.shape == (3, 2)
    expected_centres = reference.transform(model.cluster_centers_)
    for j in range(2):
        np.testing.assert_allclose(np.abs(centres[:, j]), np.abs(expected_centres[:, j]), atol=1e-8)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == names + ["centroids"]
    ratio = reference.explained_variance_ratio_
    assert ax.get_xlabel() == f"PC1 ({100 * ratio[0]:.0f}% of variance)"
    assert ax.get_ylabel().startswith("PC2 (")


def test_pca_scatter_two_columns_names_and_sampling():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"recency_days": rng.normal(size=500), "NumWebPurchases": rng.normal(size=500)})
    frame.iloc[7, 0] = np.nan  # an incomplete row is left out, not an error
    labels = np.where(frame["recency_days"] > 0, "big", "small")
    ax = segcore.plot.pca_scatter(frame, labels, names={"big": "Big spenders"}, max_points=100)
    render(ax.figure)
    # Axes are labelled as a person reads them (the core's labels), never in snake case.
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("days since last order", "num web purchases")
    points = sum(len(c.get_offsets()) for c in ax.collections[:2])
    assert points == 100
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Big spenders", "small", "segment means"]
    ax = segcore.plot.pca_scatter(frame, labels, max_points=None)
    assert sum(len(c.get_offsets()) for c in ax.collections[:2]) == 499


def test_pca_scatter_bad_input(three_groups):
    with pytest.raises(ValueError, match="labels has 3 entries"):
        segcore.plot.pca_scatter(three_groups, [0, 1, 2])
    with pytest.raises(ValueError, match="at least 2 columns"):
        segcore.plot.pca_scatter(three_groups[:, :1], np.zeros(len(three_groups)))
    with pytest.raises(ValueError, match="centers has 2 columns"):
        segcore.plot.pca_scatter(three_groups, np.zeros(len(three_groups)), centers=np.zeros((1, 2)))


def test_migration_heatmap_counts_and_shares():
    before = ["premium"] * 6 + ["volume"] * 4
    after = ["premium"] * 4 + ["at risk"] * 2 + ["volume"] * 3 + ["premium"]
    result = segcore.migration(before, after)
    ax = segcore.plot.migration(result)
    render(ax.figure)
    counts = result.counts
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(i) for i in counts.index]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(c) for c in counts.columns]
    cells = {t.get_text() for t in ax.texts}
    assert len(ax.texts) == counts.size
    assert "4\n67%" in cells  # 4 of 6 premium customers stayed
    assert "1\n25%" in cells  # 1 of 4 volume customers became premium
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("after", "before")
    assert "70% stayed" in ax.get_title()
    image = ax.get_images()[0].get_array()
    np.testing.assert_allclose(image.sum(axis=1), 1.0)
    ax = segcore.plot.migration(result, shares=False)
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), counts.to_numpy())
    with pytest.raises(ValueError, match="segcore.Migration"):
        segcore.plot.migration(np.eye(2))


@pytest.mark.parametrize("name", ["criteria", "pca_scatter", "migration"])
def test_missing_matplotlib_is_a_clear_import_error(monkeypatch, name):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    function = getattr(segcore.plot, name)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        function(None, None) if name == "pca_scatter" else function(None)


def test_heatmap_shows_labels_not_column_names():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "monetary": rng.lognormal(8, 1, 400),
        "interpurchase_std_days": rng.gamma(2.0, 10.0, 400),
        "AcceptedCmp5": rng.integers(0, 2, 400).astype(float),
    })
    labels = (frame["monetary"] > frame["monetary"].median()).astype(int).to_numpy()
    german = segcore.profile(frame, labels, lang="de")
    ax = segcore.plot.heatmap(german, labels={"AcceptedCmp5": "Kampagne 5 angenommen"})
    render(ax.figure)
    ticks = {t.get_text() for t in ax.get_xticklabels()}
    assert ticks == {"Nettoumsatz", "Tage zwischen Bestellungen (Streuung)", "Kampagne 5 angenommen"}
    english = segcore.plot.heatmap(segcore.profile(frame, labels))
    ticks = {t.get_text() for t in english.get_xticklabels()}
    assert ticks == {"net revenue", "days between orders (spread)", "accepted cmp 5"}
    assert not any("_" in t for t in ticks)
