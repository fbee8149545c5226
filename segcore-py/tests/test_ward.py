"""segcore.Ward / segcore.ward_linkage against scipy and scikit-learn on the same data."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy.cluster import hierarchy
from sklearn.base import clone
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score

import segcore
from segcore.exceptions import DataError, InvalidParameterError, NotFittedError


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Labels equal up to renaming."""
    return adjusted_rand_score(a, b) == 1.0 and len(set(a)) == len(set(b))


def assert_same_tree(ours: np.ndarray, scipys: np.ndarray) -> None:
    assert ours.shape == scipys.shape
    np.testing.assert_allclose(ours[:, 2], scipys[:, 2], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours[:, [0, 1, 3]], scipys[:, [0, 1, 3]])


@pytest.fixture(scope="module")
def small_blobs() -> np.ndarray:
    from sklearn.datasets import make_blobs

    x, _ = make_blobs(n_samples=600, n_features=4, centers=5, cluster_std=1.2, random_state=3)
    return x


def test_linkage_equals_scipy_on_wholesale(wholesale_spending: np.ndarray) -> None:
    assert_same_tree(
        segcore.ward_linkage(wholesale_spending),
        hierarchy.linkage(wholesale_spending, method="ward"),
    )


def test_linkage_equals_scipy_on_blobs_and_float32(small_blobs: np.ndarray) -> None:
    reference = hierarchy.linkage(small_blobs, method="ward")
    assert_same_tree(segcore.ward_linkage(small_blobs), reference)
    z32 = segcore.ward_linkage(small_blobs.astype(np.float32))
    assert z32.dtype == np.float64
    scipy32 = hierarchy.linkage(small_blobs.astype(np.float32).astype(np.float64), method="ward")
    assert_same_tree(z32, scipy32)


def test_linkage_equals_scipy_on_5000_random_rows() -> None:
    x = np.random.default_rng(5).normal(size=(5000, 6))
    z = segcore.ward_linkage(x)
    reference = hierarchy.linkage(x, method="ward")
    assert_same_tree(z, reference)
    for k in range(2, 9):
        assert same_partition(
            hierarchy.fcluster(z, k, criterion="maxclust"),
            hierarchy.fcluster(reference, k, criterion="maxclust"),
        )


def test_progress_callback_sees_every_merge(small_blobs: np.ndarray) -> None:
    seen = []
    z = segcore.ward_linkage(small_blobs, progress=lambda done, total: seen.append((done, total)))
    np.testing.assert_array_equal(z, segcore.ward_linkage(small_blobs, progress=False))
    assert seen[-1] == (599, 599) and len(seen) >= 100
    model = segcore.Ward(n_clusters=3, progress=lambda d, t: seen.append((d, t))).fit(small_blobs)
    assert model.n_clusters_ == 3

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        segcore.ward_linkage(small_blobs, progress=interrupt)


def test_scipy_accepts_our_linkage(wholesale_spending: np.ndarray) -> None:
    z = segcore.ward_linkage(wholesale_spending)
    assert hierarchy.is_valid_linkage(z)
    assert hierarchy.is_monotonic(z)
    tree = hierarchy.dendrogram(z, no_plot=True, truncate_mode="lastp", p=12)
    assert len(tree["leaves"]) == 12


@pytest.mark.parametrize("k", range(2, 9))
def test_cut_by_count_equals_fcluster_and_sklearn(wholesale_spending: np.ndarray, k: int) -> None:
    model = segcore.Ward(n_clusters=k).fit(wholesale_spending)
    z = hierarchy.linkage(wholesale_spending, method="ward")
    assert model.n_clusters_ == k
    assert same_partition(model.labels_, hierarchy.fcluster(z, k, criterion="maxclust"))
    sk = AgglomerativeClustering(n_clusters=k, linkage="ward", compute_distances=True)
    assert same_partition(model.labels_, sk.fit_predict(wholesale_spending))
    np.testing.assert_allclose(model.distances_, sk.distances_, rtol=1e-9)


def test_cut_by_height_equals_fcluster_distance(wholesale_spending: np.ndarray) -> None:
    z = hierarchy.linkage(wholesale_spending, method="ward")
    for t in [3.0, 8.0, 15.0, 25.0]:
        model = segcore.Ward(distance_threshold=t).fit(wholesale_spending)
        expected = hierarchy.fcluster(z, t, criterion="distance")
        assert model.n_clusters_ == len(set(expected))
        assert same_partition(model.labels_, expected)
        sk = AgglomerativeClustering(n_clusters=None, distance_threshold=t, linkage="ward")
        assert same_partition(model.labels_, sk.fit_predict(wholesale_spending))


def test_recut_split_and_counts_by_height(wholesale_spending: np.ndarray) -> None:
    model = segcore.Ward(n_clusters=3).fit(wholesale_spending)
    five = model.cut(5)
    assert five.n_clusters_ == 5
    assert same_partition(five.labels_, segcore.Ward(n_clusters=5).fit(wholesale_spending).labels_)
    np.testing.assert_array_equal(five.linkage_, model.linkage_)
    by_height = model.cut(distance_threshold=10.0)
    assert same_partition(
        by_height.labels_, segcore.Ward(distance_threshold=10.0).fit(wholesale_spending).labels_
    )
    # Splitting one segment refines it and leaves the others untouched.
    biggest = int(np.bincount(model.labels_).argmax())
    split = model.split_segment(biggest, 2)
    assert split.n_clusters_ == 4
    others = model.labels_ != biggest
    np.testing.assert_array_equal(split.labels_[others], model.labels_[others])
    assert set(split.labels_[~others]) == {biggest, 3}
    heights, counts = model.n_clusters_by_height()
    assert np.all(np.diff(heights) > 0) and np.all(np.diff(counts) < 0)
    assert counts[-1] == 1
    # A cut just above a listed height gives the listed number of segments.
    for h, c in zip(heights[-6:], counts[-6:]):
        assert model.cut(distance_threshold=float(np.nextafter(h, np.inf))).n_clusters_ == c


def test_predict_is_nearest_centroid(small_blobs: np.ndarray) -> None:
    model = segcore.Ward(n_clusters=5).fit(small_blobs)
    for label in range(5):
        np.testing.assert_allclose(
            model.cluster_centers_[label], small_blobs[model.labels_ == label].mean(axis=0)
        )
    rng = np.random.default_rng(0)
    new = rng.normal(scale=6.0, size=(200, 4))
    distances = ((new[:, None, :] - model.cluster_centers_[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(model.predict(new), distances.argmin(axis=1))
    np.testing.assert_array_equal(model.predict(new.astype(np.float32)), distances.argmin(axis=1))


def test_sample_weight_equals_repeated_rows(small_blobs: np.ndarray) -> None:
    x = small_blobs[:120]
    counts = np.random.default_rng(1).integers(1, 4, size=len(x))
    weighted = segcore.ward_linkage(x, sample_weight=counts.astype(float))
    repeated = hierarchy.linkage(np.repeat(x, counts, axis=0), method="ward")
    # Repeated rows first merge with their copies at height 0; the remaining merges are the
    # weighted tree's.
    np.testing.assert_allclose(weighted[:, 2], repeated[-(len(x) - 1):, 2], rtol=1e-9)
    labels_w = segcore.Ward(n_clusters=4).fit(x, sample_weight=counts).labels_
    labels_r = hierarchy.fcluster(repeated, 4, criterion="maxclust")
    assert same_partition(np.repeat(labels_w, counts), labels_r)


def test_two_stage_approximates_exact_ward(blobs: np.ndarray) -> None:
    exact = segcore.Ward(n_clusters=6).fit(blobs)
    approx = segcore.Ward(n_clusters=6, micro_clusters=300, random_state=0).fit(blobs)
    assert approx.n_leaves_ == 300
    assert approx.micro_cluster_labels_.shape == (len(blobs),)
    assert adjusted_rand_score(exact.labels_, approx.labels_) > 0.9
    again = segcore.Ward(n_clusters=6, micro_clusters=300, random_state=0).fit(blobs)
    np.testing.assert_array_equal(approx.labels_, again.labels_)


def test_sklearn_conventions(small_blobs: np.ndarray) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(small_blobs, columns=["revenue", "orders", "recency", "tenure"])
    model = segcore.Ward(n_clusters=4).fit(frame)
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns.to_numpy())
    assert model.n_features_in_ == 4
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.linkage_, model.linkage_)
    np.testing.assert_array_equal(restored.predict(frame), model.predict(frame))
    cloned = clone(model)
    assert cloned.get_params() == model.get_params() and not hasattr(cloned, "labels_")
    np.testing.assert_array_equal(
        segcore.Ward(n_clusters=4).fit_predict(small_blobs), model.labels_
    )
    renamed = frame.rename(columns={"orders": "order_count"})
    with pytest.raises(ValueError, match="feature names"):
        model.predict(renamed)


def test_bad_input_gives_clear_errors(small_blobs: np.ndarray) -> None:
    with pytest.raises(InvalidParameterError, match="distance_threshold"):
        segcore.Ward(n_clusters=3, distance_threshold=2.0).fit(small_blobs)
    with pytest.raises(InvalidParameterError, match="n_clusters"):
        segcore.Ward(n_clusters=0).fit(small_blobs)
    with pytest.raises(InvalidParameterError, match="set one of them"):
        segcore.Ward().fit(small_blobs)
    with pytest.raises(DataError, match="at least 2"):
        segcore.ward_linkage(small_blobs[:1])
    with pytest.raises(ValueError, match="n_clusters"):
        segcore.Ward(n_clusters=10).fit(small_blobs[:5])
    bad = small_blobs.copy()
    bad[7, 2] = np.nan
    with pytest.raises(DataError, match="NaN"):
        segcore.ward_linkage(bad)
    with pytest.raises(ValueError, match="sample_weight|weight"):
        segcore.ward_linkage(small_blobs, sample_weight=-np.ones(len(small_blobs)))
    with pytest.raises(ValueError):
        segcore.ward_linkage(np.empty((0, 3)))
    with pytest.raises(NotFittedError):
        segcore.Ward(n_clusters=2).predict(small_blobs)
    model = segcore.Ward(n_clusters=3).fit(small_blobs)
    with pytest.raises(ValueError, match="features"):
        model.predict(small_blobs[:, :3])
    with pytest.raises(InvalidParameterError):
        model.cut()
    with pytest.raises(ValueError, match="label"):
        model.split_segment(7, 2)


def test_dendrogram_plot(wholesale_spending: np.ndarray) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = segcore.Ward(n_clusters=4).fit(wholesale_spending)
    fig, ax = plt.subplots()
    tree = segcore.plot.dendrogram(model, p=20, ax=ax)
    assert len(tree["leaves"]) == 20
    # One colour per segment below the cut.
    assert len(set(c for c in tree["color_list"] if c != "grey")) == 4
    plt.close(fig)
