"""segcore.select_k: the table's numbers are scikit-learn's metrics on the same clusterings,
the recommendation is right where the answer is known, and bad input fails early and clearly."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk
from sklearn.cluster import AgglomerativeClustering

import segcore
from segcore.exceptions import DataError, InvalidParameterError

FAST = dict(gap_references=3, stability_resamples=3, progress=False)


def _inertia(x, labels):
    return sum(((x[labels == c] - x[labels == c].mean(axis=0)) ** 2).sum() for c in np.unique(labels))


def test_wholesale_kmeans_table_equals_sklearn_metrics(wholesale_spending):
    result = segcore.select_k(wholesale_spending, range(2, 9), "kmeans", random_state=5, **FAST)
    table = result.table
    assert list(table.index) == list(range(2, 9))
    assert {"inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "gap", "gap_sd",
            "stability_ari_mean", "stability_ari_sd"} <= set(table.columns)
    for k in table.index:
        labels = segcore.KMeans(n_clusters=k, random_state=5).fit_predict(wholesale_spending)
        row = table.loc[k]
        assert abs(row.silhouette - sk.silhouette_score(wholesale_spending, labels)) < 1e-10
        assert abs(row.calinski_harabasz - sk.calinski_harabasz_score(wholesale_spending, labels)) < 1e-8
        assert abs(row.davies_bouldin - sk.davies_bouldin_score(wholesale_spending, labels)) < 1e-10
        assert abs(row.inertia - _inertia(wholesale_spending, labels)) < 1e-8
        assert 0.0 <= row.stability_ari_sd and -1.0 <= row.stability_ari_mean <= 1.0
    assert result.recommended_k in table.index
    assert f"Recommended k = {result.recommended_k}" in result.reason
    assert set(result.votes) == {"silhouette", "calinski_harabasz", "davies_bouldin", "elbow", "gap"}
    # The silhouette's vote is the table's best silhouette.
    assert result.votes["silhouette"] == int(table.silhouette.idxmax())
    if not result.criteria_agree:
        assert "disagree" in result.reason


def test_ward_cuts_one_tree_like_sklearn(wholesale_spending):
    result = segcore.select_k(wholesale_spending, [2, 4, 6], "ward", gap_references=0,
                              stability_resamples=0, progress=False)
    assert "gap" not in result.table and "stability_ari_mean" not in result.table
    for k in (2, 4, 6):
        labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(wholesale_spending)
        assert abs(result.table.loc[k, "silhouette"] - sk.silhouette_score(wholesale_spending, labels)) < 1e-10
    assert result.method == "ward"


def test_finds_the_number_of_blobs_deterministically(blobs):
    x = blobs[:1500]  # make_blobs shuffles: any prefix holds all 6 blobs
    a = segcore.select_k(x, range(2, 10), random_state=0, **FAST)
    b = segcore.select_k(x, range(2, 10), random_state=0, **FAST)
    assert a.recommended_k == 6, a.reason
    assert a.table.equals(b.table) and a.reason == b.reason
    assert a.table.loc[6, "stability_ari_mean"] > 0.95


def test_gaussian_mixture_adds_a_bic_vote(blobs):
    x = blobs[:900]
    result = segcore.select_k(x, range(3, 9), "gmm", covariance_type="diag", random_state=0, **FAST)
    assert result.method == "gmm"
    assert result.table.bic.notna().all() and "bic" in result.votes
    for k in (4, 6):
        mixture = segcore.GaussianMixture(n_components=k, covariance_type="diag", random_state=0).fit(x)
        assert result.table.loc[k, "bic"] == pytest.approx(mixture.bic(x), rel=1e-9)
    assert result.votes["bic"] == int(result.table.bic.idxmin())
    assert result.recommended_k == 6, result.reason
    with pytest.raises(InvalidParameterError, match="covariance_type"):
        segcore.select_k(x, range(2, 4), "gmm", covariance_type="diagonal", **FAST)


def test_pca_box_reference_and_float32(blobs):
    result = segcore.select_k(blobs[:600].astype(np.float32), range(2, 8), gap_reference="pca",
                              random_state=1, **FAST)
    assert result.table.gap.notna().all()
    assert result.recommended_k in range(2, 8)


def test_progress_line_without_tqdm(blobs, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm in this test")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    segcore.select_k(blobs[:300], [2, 3], gap_references=1, stability_resamples=1, progress=True)
    err = capsys.readouterr().err
    assert "select_k: 100% (6/6)" in err
    segcore.select_k(blobs[:300], [2, 3], gap_references=1, stability_resamples=1, progress=False)
    assert capsys.readouterr().err == ""
    calls = []
    segcore.select_k(blobs[:300], [2, 3], gap_references=1, stability_resamples=1,
                     progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 6) for i in range(1, 7)]


def test_plot_needs_matplotlib_or_draws(blobs):
    result = segcore.select_k(blobs[:300], [2, 3, 4], gap_references=1, stability_resamples=1,
                              progress=False)
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        with pytest.raises(ImportError, match="pip install matplotlib"):
            result.plot()
        return
    figure = result.plot()
    assert len([ax for ax in figure.axes if ax.get_visible()]) == 6


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"k_range": range(2, 500)}, InvalidParameterError, r"k_range.*n_samples - 1 = 439"),
        ({"k_range": [1, 2, 3]}, InvalidParameterError, "k_range"),
        ({"k_range": []}, InvalidParameterError, "k_range"),
        ({"k_range": 5}, InvalidParameterError, "k_range"),
        ({"method": "spectral"}, InvalidParameterError, "method"),
        ({"gap_reference": "sphere"}, InvalidParameterError, "gap_reference"),
        ({"stability_fraction": 1.5}, InvalidParameterError, "stability_fraction"),
        ({"n_init": 0}, InvalidParameterError, "n_init"),
        ({"gap_references": -1}, InvalidParameterError, "gap_references"),
    ],
)
def test_bad_input(wholesale_spending, kwargs, error, match):
    with pytest.raises(error, match=match) as info:
        segcore.select_k(wholesale_spending, **{"progress": False, **kwargs})
    assert isinstance(info.value, ValueError)


def test_bad_data(wholesale_spending):
    x = wholesale_spending.copy()
    x[3, 4] = np.nan
    with pytest.raises(DataError, match="row 3, column 4"):
        segcore.select_k(x, progress=False)
