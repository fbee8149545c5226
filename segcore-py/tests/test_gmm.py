"""segcore.GaussianMixture against scikit-learn's GaussianMixture (the oracle)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.mixture import GaussianMixture as SkGaussianMixture

import segcore
from segcore.exceptions import (
    ConvergenceWarning,
    DataError,
    InvalidParameterError,
    NumericalError,
    SegcoreError,
)

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


@pytest.fixture(autouse=True)
def _one_openmp_thread_for_scikit_learn():
    """scikit-learn's k-means start spins OpenMP threads: on a busy 2-core CI box that took 20 s
    per fit instead of 0.5 s. One thread keeps this file fast (segcore uses its own pool)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _starting_point(X: np.ndarray, k: int, covariance_type: str) -> dict:
    """A shared, non-trivial start: a 2-iteration scikit-learn fit's parameters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = SkGaussianMixture(
            k, covariance_type=covariance_type, max_iter=2, random_state=0
        ).fit(X)
    return dict(
        weights_init=start.weights_,
        means_init=start.means_,
        precisions_init=start.precisions_,
    )


def _assert_same_parameters(ours, theirs, rtol=1e-6):
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.converged_ == theirs.converged_
    scale = lambda a: np.abs(a).max()  # noqa: E731 - absolute floor relative to the array's size
    for name in ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]:
        a, b = getattr(ours, name), getattr(theirs, name)
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale(b), err_msg=name)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=rtol)


def _parity(X: np.ndarray, k: int, covariance_type: str) -> None:
    start = _starting_point(X, k, covariance_type)
    params = dict(n_components=k, covariance_type=covariance_type, tol=1e-8, max_iter=500, **start)
    theirs = SkGaussianMixture(**params).fit(X)
    ours = segcore.GaussianMixture(**params).fit(X)
    _assert_same_parameters(ours, theirs)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    assert (ours.predict(X) == theirs.predict(X)).mean() > 0.99


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_start_same_parameters_on_wholesale(wholesale_spending, covariance_type):
    _parity(wholesale_spending, 3, covariance_type)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_start_same_parameters_on_blobs(blobs, covariance_type):
    _parity(blobs[:1500], 4, covariance_type)


def _sklearn_with_parameters_of(ours: segcore.GaussianMixture) -> SkGaussianMixture:
    """A scikit-learn model carrying exactly segcore's fitted parameters."""
    sk = SkGaussianMixture(ours.weights_.shape[0], covariance_type=ours.covariance_type)
    for name in ["weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_"]:
        setattr(sk, name, getattr(ours, name))
    sk.n_features_in_ = ours.n_features_in_
    sk.converged_ = True
    return sk


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_scores_bic_aic_equal_for_identical_parameters(wholesale_spending, covariance_type):
    X = wholesale_spending
    ours = segcore.GaussianMixture(4, covariance_type=covariance_type, random_state=1).fit(X)
    sk = _sklearn_with_parameters_of(ours)
    assert ours.bic(X) == pytest.approx(sk.bic(X), rel=1e-9)
    assert ours.aic(X) == pytest.approx(sk.aic(X), rel=1e-9)
    assert ours.score(X) == pytest.approx(sk.score(X), rel=1e-9)
    np.testing.assert_allclose(ours.score_samples(X), sk.score_samples(X), rtol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-9)
    assert ours._n_parameters() == sk._n_parameters()


def test_default_kmeans_init_bic_close_to_scikit_learn(wholesale_spending):
    X = wholesale_spending
    for k in range(2, 7):
        ours = segcore.GaussianMixture(k, n_init=10, random_state=0).fit(X)
        theirs = SkGaussianMixture(k, n_init=10, random_state=0).fit(X)
        assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=5e-3), k


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_every_initialisation_fits_blobs(blobs, init_params):
    X = blobs[:1000]
    gm = segcore.GaussianMixture(6, init_params=init_params, n_init=2, random_state=3).fit(X)
    proba = gm.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(np.diff(gm.lower_bounds_) >= -1e-6 * np.abs(gm.lower_bounds_[:-1]))
    assert gm.lower_bound_ == gm.lower_bounds_[-1]
    uncertainty = gm.uncertainty(X)
    np.testing.assert_allclose(uncertainty, 1.0 - proba.max(axis=1))
    # Deterministic for a seed.
    again = segcore.GaussianMixture(6, init_params=init_params, n_init=2, random_state=3).fit(X)
    np.testing.assert_array_equal(gm.means_, again.means_)


def test_pickle_clone_and_pipeline(wholesale_spending):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = wholesale_spending
    gm = segcore.GaussianMixture(3, covariance_type="diag", random_state=0).fit(X)
    back = pickle.loads(pickle.dumps(gm))
    np.testing.assert_array_equal(back.predict_proba(X), gm.predict_proba(X))
    assert back.get_params() == gm.get_params()
    fresh = clone(gm)
    assert not hasattr(fresh, "means_")
    assert fresh.get_params()["covariance_type"] == "diag"
    pipe = make_pipeline(StandardScaler(), segcore.GaussianMixture(3, random_state=0)).fit(X)
    assert pipe.predict(X).shape == (X.shape[0],)


def test_float32_stays_float32_and_dataframe_names(wholesale_spending):
    import pandas as pd

    X32 = wholesale_spending.astype(np.float32)
    gm = segcore.GaussianMixture(2, random_state=0).fit(X32)
    assert gm.means_.dtype == np.float32 and gm.predict_proba(X32).dtype == np.float32
    frame = pd.DataFrame(wholesale_spending, columns=list("abcdef"))
    gm = segcore.GaussianMixture(2, random_state=0).fit(frame)
    assert list(gm.feature_names_in_) == list("abcdef")


def test_sample_and_sample_weight(blobs):
    X = blobs[:600]
    gm = segcore.GaussianMixture(3, random_state=0).fit(X)
    samples, labels = gm.sample(500)
    assert samples.shape == (500, X.shape[1]) and labels.shape == (500,)
    assert np.all(np.diff(labels) >= 0)
    # Integer weights are repeated rows.
    counts = np.arange(X.shape[0]) % 3
    start = _starting_point(X, 3, "full")
    a = segcore.GaussianMixture(3, **start).fit(X, sample_weight=counts.astype(float))
    b = segcore.GaussianMixture(3, **start).fit(np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-10)
    assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=1e-10)


def test_select_mixture_table_and_best(blobs):
    X = blobs[:1200]
    result = segcore.select_mixture(
        X, n_components=[2, 4, 6, 8], covariance_types=["spherical", "diag"], random_state=0
    )
    assert len(result.table) == 8
    bics = [row["bic"] for row in result.table]
    assert result.best_index == int(np.argmin(bics))
    best = result.best_estimator
    assert best.n_components == result.table[result.best_index]["n_components"]
    assert best.bic(X) == pytest.approx(bics[result.best_index], rel=1e-12)
    assert best.n_components == 6
    assert list(result.to_frame().columns)[:3] == ["n_components", "covariance_type", "n_parameters"]


def test_bad_input_gives_core_messages():
    X = np.random.default_rng(0).normal(size=(20, 2))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(DataError, match="row 3, column 1") as info:
        segcore.GaussianMixture(2).fit(bad)
    assert isinstance(info.value, ValueError)
    with pytest.raises(SegcoreError, match="must be <= the number of samples"):
        segcore.GaussianMixture(30).fit(X)
    with pytest.raises(InvalidParameterError, match="covariance_type"):
        segcore.GaussianMixture(2, covariance_type="banana").fit(X)
    with pytest.raises(InvalidParameterError, match="precisions_init"):
        segcore.GaussianMixture(2, covariance_type="diag", precisions_init=np.ones(2)).fit(X)
    with pytest.raises(InvalidParameterError, match="weights_init"):
        segcore.GaussianMixture(2, weights_init=[0.2, 0.2]).fit(X)
    with pytest.raises(InvalidParameterError, match="warm_start"):
        segcore.GaussianMixture(2, warm_start=True).fit(X)
    constant = np.column_stack([X[:, 0], np.zeros(20)])
    with pytest.raises(NumericalError, match="Increase reg_covar") as info:
        segcore.GaussianMixture(2, reg_covar=0.0).fit(constant)
    assert isinstance(info.value, ValueError)
    # With the default reg_covar a constant column is regularised, not an error.
    assert np.isfinite(segcore.GaussianMixture(2).fit(constant).lower_bound_)
    with pytest.warns(ConvergenceWarning):
        segcore.GaussianMixture(2, max_iter=1, random_state=0).fit(X)
