"""segcore.MiniBatchKMeans against scikit-learn's MiniBatchKMeans (statistical oracle: the random
batches differ, so results are compared over seeds, not bit for bit)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans
from sklearn.cluster import MiniBatchKMeans as SkMiniBatchKMeans

import segcore

SEEDS = range(8)


@pytest.mark.parametrize("dataset,k,batch_size", [("wholesale_spending", 4, 64), ("blobs", 6, 256)])
def test_quality_matches_sklearn_over_seeds(request, dataset, k, batch_size):
    x = request.getfixturevalue(dataset)
    ours = [
        segcore.MiniBatchKMeans(n_clusters=k, batch_size=batch_size, random_state=s).fit(x).inertia_
        for s in SEEDS
    ]
    ref = [
        SkMiniBatchKMeans(n_clusters=k, batch_size=batch_size, random_state=s, n_init="auto").fit(x).inertia_
        for s in SEEDS
    ]
    # Mini-batch noise: allow a few percent on the mean over seeds.
    assert np.mean(ours) <= np.mean(ref) * 1.03, (np.mean(ours), np.mean(ref))
    full = SkKMeans(n_clusters=k, n_init=10, random_state=0).fit(x).inertia_
    assert np.mean(ours) <= full * 1.10


def test_weighted_fit_matches_sklearn_over_seeds(wholesale_spending):
    x = wholesale_spending
    w = np.random.RandomState(0).randint(1, 5, size=x.shape[0]).astype(np.float64)
    ours = np.mean([
        segcore.MiniBatchKMeans(n_clusters=3, batch_size=64, random_state=s).fit(x, sample_weight=w).inertia_
        for s in SEEDS
    ])
    ref = np.mean([
        SkMiniBatchKMeans(n_clusters=3, batch_size=64, random_state=s).fit(x, sample_weight=w).inertia_
        for s in SEEDS
    ])
    assert ours <= ref * 1.03


def test_partial_fit_over_chunks_is_running_means(blobs):
    """Documented semantics: each center is the running weighted mean of every row ever assigned
    to it (the starting position carries no weight); one step per call, on all rows given."""
    init = blobs[:6].copy()
    mbk = segcore.MiniBatchKMeans(n_clusters=6, init=init, reassignment_ratio=0.0)
    centers = init.copy()
    sums = np.zeros_like(init)
    counts = np.zeros(6)
    for step, chunk in enumerate(np.array_split(blobs, 5)):
        mbk.partial_fit(chunk)
        labels = np.argmin(((chunk[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)
        np.add.at(sums, labels, chunk)
        counts += np.bincount(labels, minlength=6)
        seen = counts > 0
        centers[seen] = sums[seen] / counts[seen, None]
        np.testing.assert_allclose(mbk.cluster_centers_, centers, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(mbk.counts_, counts)
        assert mbk.n_steps_ == step + 1
        np.testing.assert_array_equal(mbk.labels_, mbk.predict(chunk))
        assert mbk.inertia_ == pytest.approx(-mbk.score(chunk), rel=1e-9)
    # The same chunks through scikit-learn (same init, no reassignment) give the same centers.
    ref = SkMiniBatchKMeans(n_clusters=6, init=init, reassignment_ratio=0.0, n_init=1)
    for chunk in np.array_split(blobs, 5):
        ref.partial_fit(chunk)
    np.testing.assert_allclose(mbk.cluster_centers_, ref.cluster_centers_, rtol=1e-9, atol=1e-12)


def test_streaming_reaches_full_fit_quality(blobs):
    mbk = segcore.MiniBatchKMeans(n_clusters=6, random_state=0)
    for _ in range(3):
        for chunk in np.array_split(blobs, 10):
            mbk.partial_fit(chunk)
    full = segcore.KMeans(n_clusters=6, random_state=0).fit(blobs)
    assert -mbk.score(blobs) <= full.inertia_ * 1.05


def test_attributes_float32_and_determinism(blobs):
    x32 = blobs.astype(np.float32)
    mbk = segcore.MiniBatchKMeans(n_clusters=5, batch_size=300, random_state=3).fit(x32)
    assert mbk.cluster_centers_.dtype == np.float32
    assert mbk.transform(x32).dtype == np.float32
    assert mbk.labels_.shape == (blobs.shape[0],) and mbk.n_features_in_ == 5
    assert mbk.n_iter_ >= 1 and mbk.n_steps_ >= 1
    again = segcore.MiniBatchKMeans(n_clusters=5, batch_size=300, random_state=3).fit(x32)
    np.testing.assert_array_equal(again.cluster_centers_, mbk.cluster_centers_)
    no_labels = segcore.MiniBatchKMeans(n_clusters=5, compute_labels=False, random_state=3).fit(blobs)
    assert not hasattr(no_labels, "labels_") and no_labels.inertia_ > 0
    np.testing.assert_array_equal(no_labels.fit_predict(blobs), no_labels.predict(blobs))


def test_pickle_clone_pipeline(blobs):
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

    mbk = segcore.MiniBatchKMeans(n_clusters=4, random_state=0).partial_fit(blobs[:1000])
    again = pickle.loads(pickle.dumps(mbk))
    np.testing.assert_array_equal(again.cluster_centers_, mbk.cluster_centers_)
    # A reloaded stream continues exactly like the original.
    mbk.partial_fit(blobs[1000:2000])
    again.partial_fit(blobs[1000:2000])
    np.testing.assert_array_equal(again.cluster_centers_, mbk.cluster_centers_)
    twin = clone(mbk)
    assert twin.get_params() == mbk.get_params() and not hasattr(twin, "cluster_centers_")
    pipe = make_pipeline(segcore.StandardScaler(), segcore.MiniBatchKMeans(n_clusters=6, random_state=0))
    assert pipe.fit_predict(blobs).shape == (blobs.shape[0],)


def test_bad_input_is_a_value_error(blobs):
    with pytest.raises(ValueError, match="batch_size"):
        segcore.MiniBatchKMeans(n_clusters=2, batch_size=0).fit(blobs)
    with pytest.raises(ValueError, match="reassignment_ratio"):
        segcore.MiniBatchKMeans(n_clusters=2, reassignment_ratio=-1.0).fit(blobs)
    bad = blobs.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="row 3"):
        segcore.MiniBatchKMeans(n_clusters=2).fit(bad)
    with pytest.raises(ValueError):
        segcore.MiniBatchKMeans(n_clusters=2).fit(blobs, sample_weight=np.zeros(len(blobs)))
    mbk = segcore.MiniBatchKMeans(n_clusters=2).partial_fit(blobs[:100])
    with pytest.raises(ValueError):
        mbk.partial_fit(blobs[:100, :2])
    with pytest.raises(segcore.exceptions.NotFittedError):
        segcore.MiniBatchKMeans().predict(blobs)
