"""segcore.metrics against sklearn.metrics: same numbers to 1e-10, same kinds of errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

import segcore
from segcore import metrics as ours
from segcore.exceptions import DataError, InvalidParameterError

INTERNAL = ["silhouette_score", "calinski_harabasz_score", "davies_bouldin_score"]
EXTERNAL = ["adjusted_rand_score", "normalized_mutual_info_score", "mutual_info_score"]


def _close(a, b, tol=1e-10):
    assert abs(a - b) <= tol * max(1.0, abs(b)), (a, b)


@pytest.fixture(scope="module")
def wholesale_labelings(wholesale_spending):
    """k-means labels for k = 2..8 (segcore's k-means: fast; the metrics compare on the same labels)."""
    return {
        k: segcore.KMeans(n_clusters=k, random_state=k).fit_predict(wholesale_spending)
        for k in range(2, 9)
    }


@pytest.mark.parametrize("name", INTERNAL)
def test_internal_metrics_on_wholesale_kmeans_labels(wholesale_spending, wholesale_labelings, name):
    for k, labels in wholesale_labelings.items():
        _close(getattr(ours, name)(wholesale_spending, labels), getattr(sk, name)(wholesale_spending, labels))


def test_silhouette_samples_and_random_labelings(wholesale_spending):
    rng = np.random.default_rng(0)
    for n_labels in (2, 3, 7, 40):
        labels = rng.integers(0, n_labels, size=len(wholesale_spending)) * 3 + 11  # arbitrary values
        np.testing.assert_allclose(
            ours.silhouette_samples(wholesale_spending, labels),
            sk.silhouette_samples(wholesale_spending, labels),
            rtol=0,
            atol=1e-10,
        )
        for name in INTERNAL:
            _close(getattr(ours, name)(wholesale_spending, labels), getattr(sk, name)(wholesale_spending, labels))


def test_string_labels_and_float32(wholesale_spending, wholesale_labelings):
    labels = np.array(["north", "south", "east"])[wholesale_labelings[3]]
    _close(ours.silhouette_score(wholesale_spending, labels), sk.silhouette_score(wholesale_spending, labels))
    x32 = wholesale_spending.astype(np.float32)
    # Both libraries widen float32 distances to float64; the data itself is float32.
    _close(ours.silhouette_score(x32, labels), sk.silhouette_score(x32, labels), tol=1e-6)
    _close(ours.davies_bouldin_score(x32, labels), sk.davies_bouldin_score(x32, labels), tol=1e-6)


def test_sampled_silhouette_is_seeded_and_close(blobs):
    labels = segcore.KMeans(6, random_state=0).fit_predict(blobs)
    exact = sk.silhouette_score(blobs, labels)
    a = ours.silhouette_score(blobs, labels, sample_size=1000, random_state=3)
    b = ours.silhouette_score(blobs, labels, sample_size=1000, random_state=3)
    c = ours.silhouette_score(blobs, labels, sample_size=1000, random_state=4)
    assert a == b and a != c
    assert abs(a - exact) < 0.05
    _close(ours.silhouette_score(blobs, labels, sample_size=10**6, random_state=0), exact)


@pytest.mark.parametrize("name", EXTERNAL)
def test_external_metrics(wholesale_labelings, name):
    rng = np.random.default_rng(1)
    pairs = [(wholesale_labelings[a], wholesale_labelings[b]) for a in range(2, 9) for b in range(2, 9)]
    pairs += [(rng.integers(0, 5, 440), rng.integers(0, 3, 440)) for _ in range(5)]
    pairs += [([0, 0, 1, 1], [1, 1, 0, 0]), ([0, 0, 0], [1, 2, 3]), ([1, 1, 1], [2, 2, 2])]
    if name != "mutual_info_score":  # scikit-learn's mutual_info_score fails on empty input
        pairs.append(([], []))
    for a, b in pairs:
        _close(getattr(ours, name)(a, b), getattr(sk, name)(a, b))


def test_contingency_matrix():
    a = ["x", "y", "x", "z", "y", "x"]
    b = [3, 3, 1, 1, 2, 2]
    np.testing.assert_array_equal(ours.contingency_matrix(a, b), sk.cluster.contingency_matrix(a, b))
    np.testing.assert_allclose(ours.contingency_matrix(a, b, eps=0.5), sk.cluster.contingency_matrix(a, b, eps=0.5))
    sparse = ours.contingency_matrix(a, b, sparse=True)
    np.testing.assert_array_equal(sparse.toarray(), sk.cluster.contingency_matrix(a, b))
    with pytest.raises(ValueError, match="eps"):
        ours.contingency_matrix(a, b, eps=1.0, sparse=True)


def test_bad_input(wholesale_spending):
    x = wholesale_spending[:10]
    # A single cluster: undefined, a ValueError as in scikit-learn (our message names the range).
    for name in INTERNAL:
        with pytest.raises(InvalidParameterError, match=r"2 to n_samples - 1 = 9") as info:
            getattr(ours, name)(x, np.zeros(10, dtype=int))
        assert isinstance(info.value, ValueError)
        with pytest.raises(ValueError):
            getattr(sk, name)(x, np.zeros(10, dtype=int))
        # One label per sample: also undefined.
        with pytest.raises(InvalidParameterError):
            getattr(ours, name)(x, np.arange(10))
        with pytest.raises(DataError, match="labels"):
            getattr(ours, name)(x, np.zeros(9, dtype=int))
    with pytest.raises(DataError, match="labels_pred"):
        ours.adjusted_rand_score([0, 1, 1], [0, 1])
    with pytest.raises(DataError, match="1D"):
        ours.adjusted_rand_score([[0, 1]], [[0, 1]])
    with pytest.raises(InvalidParameterError, match="metric"):
        ours.silhouette_score(x, np.arange(10) % 2, metric="manhattan")
    with pytest.raises(InvalidParameterError, match="average_method"):
        ours.normalized_mutual_info_score([0, 1], [0, 1], average_method="geometric")
    bad = x.copy()
    bad[2, 1] = np.inf
    with pytest.raises(DataError, match="row 2, column 1"):
        ours.calinski_harabasz_score(bad, np.arange(10) % 2)
