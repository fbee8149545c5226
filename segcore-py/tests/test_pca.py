"""segcore.PCA against sklearn.decomposition.PCA: same numbers, same signs, same interface."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA as SkPCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler as SkStandardScaler

import segcore
from segcore.exceptions import DataError, InvalidParameterError, NotFittedError


def _compare(ours, theirs, tol=1e-10):
    assert ours.n_components_ == theirs.n_components_
    np.testing.assert_allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=0, atol=tol)
    np.testing.assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.singular_values_, theirs.singular_values_, rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=0, atol=tol)
    # Same signs, not only same absolute values.
    np.testing.assert_allclose(ours.components_, theirs.components_, rtol=0, atol=tol)
    np.testing.assert_allclose(ours.noise_variance_, theirs.noise_variance_, rtol=tol, atol=tol)


@pytest.mark.parametrize("solver", ["auto", "full", "covariance_eigh"])
@pytest.mark.parametrize("n_components", [None, 2, 5, 0.9, 0.5])
def test_wholesale_matches_sklearn(wholesale_spending, solver, n_components):
    ours = segcore.PCA(n_components=n_components, svd_solver=solver).fit(wholesale_spending)
    theirs = SkPCA(n_components=n_components, svd_solver=solver).fit(wholesale_spending)
    _compare(ours, theirs)
    np.testing.assert_allclose(
        ours.transform(wholesale_spending), theirs.transform(wholesale_spending), rtol=0, atol=1e-10
    )


def test_randomized_and_whiten_match_sklearn(wholesale_spending):
    ours = segcore.PCA(n_components=3, svd_solver="randomized", whiten=True, random_state=0)
    theirs = SkPCA(n_components=3, svd_solver="randomized", whiten=True, random_state=0)
    scores = ours.fit_transform(wholesale_spending)
    expected = theirs.fit_transform(wholesale_spending)
    _compare(ours, theirs)
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        ours.inverse_transform(scores), theirs.inverse_transform(expected), rtol=0, atol=1e-9
    )


def test_wide_data_and_constant_columns(blobs):
    rng = np.random.default_rng(3)
    wide = rng.normal(size=(40, 120))
    wide[:, 7] = 2.5  # a constant column has zero variance, not an error
    # 40 centred rows have rank 39: the 40th component spans a null space (any direction is
    # right), so compare the components that carry variance.
    for solver in ["full", "auto"]:
        _compare(segcore.PCA(35, svd_solver=solver).fit(wide), SkPCA(35, svd_solver=solver).fit(wide), tol=1e-9)
    full = segcore.PCA().fit(blobs)
    np.testing.assert_allclose(full.inverse_transform(full.transform(blobs)), blobs, atol=1e-9)


def test_float32_stays_float32(wholesale_spending):
    x32 = wholesale_spending.astype(np.float32)
    ours = segcore.PCA(n_components=2).fit(x32)
    theirs = SkPCA(n_components=2).fit(x32)
    assert ours.components_.dtype == np.float32
    assert ours.transform(x32).dtype == np.float32
    np.testing.assert_allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_, atol=1e-5)
    np.testing.assert_allclose(ours.components_, theirs.components_, atol=1e-4)


def test_interface_pickle_clone_pipeline_dataframe(wholesale_spending):
    import pandas as pd

    frame = pd.DataFrame(wholesale_spending, columns=[f"f{i}" for i in range(6)])
    pca = segcore.PCA(n_components=3, random_state=1).fit(frame)
    assert list(pca.feature_names_in_) == list(frame.columns)
    assert pca.n_features_in_ == 6 and pca.n_samples_ == 440
    assert list(pca.get_feature_names_out()) == ["pca0", "pca1", "pca2"]
    restored = pickle.loads(pickle.dumps(pca))
    np.testing.assert_array_equal(restored.transform(frame), pca.transform(frame))
    assert clone(pca).get_params() == pca.get_params()
    pipe = make_pipeline(SkStandardScaler(), segcore.PCA(n_components=2)).fit(wholesale_spending)
    assert pipe.transform(wholesale_spending).shape == (440, 2)
    with pytest.raises(NotFittedError):
        segcore.PCA().transform(wholesale_spending)
    with pytest.raises(DataError, match="feature names"):
        pca.transform(frame.rename(columns={"f0": "other"}))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_components": 7}, r"n_components.*at most min\(n_samples, n_features\) = 6"),
        ({"n_components": 0}, "n_components"),
        ({"n_components": 1.5}, r"variance fraction in \(0, 1\]"),
        ({"n_components": 0.0}, r"variance fraction in \(0, 1\]"),
        ({"n_components": -0.2}, r"variance fraction in \(0, 1\]"),
        ({"n_components": "mle"}, "n_components"),
        ({"svd_solver": "arpack"}, "svd_solver"),
        ({"n_components": 0.5, "svd_solver": "randomized"}, "(?i)randomized"),
    ],
)
def test_bad_parameters(wholesale_spending, params, match):
    with pytest.raises(InvalidParameterError, match=match) as info:
        segcore.PCA(**params).fit(wholesale_spending)
    assert isinstance(info.value, ValueError)


def test_bad_data(wholesale_spending):
    x = wholesale_spending.copy()
    x[5, 2] = np.nan
    with pytest.raises(DataError, match="row 5, column 2"):
        segcore.PCA().fit(x)
    with pytest.raises(DataError):
        segcore.PCA().fit(wholesale_spending[:1])
    fitted = segcore.PCA(n_components=2).fit(wholesale_spending)
    with pytest.raises(DataError, match="n_features|shape"):
        fitted.transform(wholesale_spending[:, :4])


def test_variance_fraction_one_keeps_every_component(wholesale_spending):
    every = segcore.PCA(n_components=None).fit(wholesale_spending)
    fraction_one = segcore.PCA(n_components=1.0).fit(wholesale_spending)
    assert fraction_one.n_components_ == every.n_components_ == 6
    np.testing.assert_array_equal(fraction_one.components_, every.components_)


def _weighted_covariance_spectrum(x: np.ndarray, w: np.ndarray) -> tuple:
    """numpy's weighted covariance with frequency weights, ``sum w (x - mean)(x - mean)^T /
    (sum w - 1)``, and its eigendecomposition (eigenvalues decreasing, eigenvectors as rows)."""
    total = w.sum()
    covariance = np.cov(x.T, aweights=w, ddof=0) * total / (total - 1)
    values, vectors = np.linalg.eigh(covariance)
    return values[::-1], vectors[:, ::-1].T


@pytest.mark.parametrize("solver", ["covariance_eigh", "full", "randomized"])
def test_sample_weight_is_numpys_weighted_covariance(solver):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3000, 5)) @ rng.normal(size=(5, 5)) * np.array([1.0, 10.0, 100.0, 1e3, 1e4]) + 50.0
    w = (np.arange(3000) * 7 % 5).astype(np.float64) * 0.75  # zeros among them
    values, vectors = _weighted_covariance_spectrum(x, w)
    pca = segcore.PCA(3, svd_solver=solver, random_state=0).fit(x, sample_weight=w)
    np.testing.assert_allclose(pca.mean_, np.average(x, axis=0, weights=w), rtol=1e-12)
    np.testing.assert_allclose(pca.explained_variance_, values[:3], rtol=1e-9)
    np.testing.assert_allclose(pca.explained_variance_ratio_, values[:3] / values.sum(), rtol=1e-9)
    signs = np.sign(np.sum(pca.components_ * vectors[:3], axis=1))[:, None]
    np.testing.assert_allclose(pca.components_, vectors[:3] * signs, rtol=0, atol=1e-9)
    # Integer weights are repeated rows; all-ones weights are no weights, bit for bit.
    counts = np.arange(3000) % 3
    repeated = segcore.PCA(3, svd_solver=solver, random_state=0).fit(np.repeat(x, counts, axis=0))
    weighted = segcore.PCA(3, svd_solver=solver, random_state=0).fit(x, sample_weight=counts.astype(float))
    np.testing.assert_allclose(weighted.explained_variance_, repeated.explained_variance_, rtol=1e-9)
    np.testing.assert_allclose(weighted.singular_values_, repeated.singular_values_, rtol=1e-9)
    plain = segcore.PCA(3, svd_solver=solver, random_state=0)
    ones = plain.fit(x, sample_weight=np.ones(3000)).components_.tobytes()
    assert ones == plain.fit(x).components_.tobytes()


def test_sample_weight_errors():
    x = np.random.default_rng(0).normal(size=(100, 3))
    with pytest.raises(segcore.SegcoreError, match="sum to"):
        segcore.PCA(2).fit(x, sample_weight=np.full(100, 1e-3))
    bad = np.ones(100)
    bad[7] = -1.0
    with pytest.raises(segcore.SegcoreError, match="row 7"):
        segcore.PCA(2).fit(x, sample_weight=bad)
    with pytest.raises(segcore.SegcoreError):
        segcore.PCA(2).fit(x, sample_weight=np.ones(99))
