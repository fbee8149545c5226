"""Customer lifetime value: lifetimes (and the published CDNOW values) as the oracle."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

import segcore
from conftest import require_data

lifetimes = pytest.importorskip("lifetimes")
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter  # noqa: E402
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value  # noqa: E402
from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The CDNOW sample of 2,357 customers (weeks), as shipped with lifetimes."""
    return load_cdnow_summary_data_with_monetary_value()


@pytest.fixture(scope="module")
def lifetimes_bg(cdnow):
    return BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def ours_bg(cdnow):
    return segcore.BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


def history(frame):
    return frame["frequency"], frame["recency"], frame["T"]


def test_beta_geo_matches_the_paper_and_lifetimes(cdnow, ours_bg, lifetimes_bg):
    # Fader, Hardie and Lee (2005), table 1: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426.
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert round(ours_bg.params_[name], 3) == value, (name, ours_bg.params_)
        np.testing.assert_allclose(ours_bg.params_[name], lifetimes_bg.params_[name], rtol=1e-4, err_msg=name)
    assert ours_bg.converged_ and ours_bg.n_customers_ == 2357
    # Total log-likelihood in weeks: lifetimes' objective on the unscaled data, times n.
    log_params = np.log([ours_bg.params_[k] for k in ("r", "alpha", "a", "b")])
    f, r, t = (np.asarray(v, dtype=float) for v in history(cdnow))
    mean_nll = BetaGeoFitter._negative_log_likelihood(log_params, f, r, t, np.ones_like(f), 0.0)
    np.testing.assert_allclose(ours_bg.log_likelihood_, -mean_nll * len(f), rtol=1e-10)
    assert round(ours_bg.log_likelihood_, 1) == -9582.4  # the paper reports LL = -9582.4
    for name in published:
        np.testing.assert_allclose(
            ours_bg.standard_errors_[name], lifetimes_bg.standard_errors_[name], rtol=2e-3, err_msg=name
        )
    lower, upper = ours_bg.confidence_intervals_["r"]
    assert lower < ours_bg.params_["r"] < upper


def with_params(fitter, params):
    """A lifetimes fitter holding the given parameters (as its fit would leave it)."""
    fitter.params_ = pd.Series(params)
    if hasattr(fitter, "conditional_expected_number_of_purchases_up_to_time"):
        fitter.predict = fitter.conditional_expected_number_of_purchases_up_to_time
    return fitter


def test_purchase_predictions_equal_lifetimes_given_the_same_parameters(cdnow, ours_bg):
    ref = with_params(BetaGeoFitter(), ours_bg.params_)
    f, r, t = history(cdnow)
    for horizon in (1.0, 10.0, 39.0, 104.0):
        np.testing.assert_allclose(
            ours_bg.predict_purchases(horizon, f, r, t),
            ref.conditional_expected_number_of_purchases_up_to_time(horizon, f, r, t),
            rtol=1e-6,
        )
    np.testing.assert_allclose(
        ours_bg.probability_alive(f, r, t), ref.conditional_probability_alive(f, r, t), rtol=1e-6
    )
    # One horizon per customer, and lifetimes' method names.
    horizons = np.linspace(1, 50, len(f))
    np.testing.assert_allclose(
        ours_bg.conditional_expected_number_of_purchases_up_to_time(horizons, f, r, t),
        ref.conditional_expected_number_of_purchases_up_to_time(horizons, f, r, t),
        rtol=1e-6,
    )


@pytest.fixture(scope="module")
def returning(cdnow):
    return cdnow[cdnow["frequency"] > 0]


def test_gamma_gamma_matches_the_paper_and_lifetimes(cdnow, returning, ours_bg):
    ours = segcore.GammaGamma().fit(returning["frequency"], returning["monetary_value"])
    ref = GammaGammaFitter().fit(returning["frequency"], returning["monetary_value"])
    # Fader, Hardie and Lee (2005), "RFM and CLV": p = 6.25, q = 3.74, v = 15.44; the maximum
    # of this likelihood on lifetimes' copy of the data is v = 15.448 (lifetimes agrees).
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert abs(ours.params_[name] - value) < 0.01, (name, ours.params_)
        np.testing.assert_allclose(ours.params_[name], ref.params_[name], rtol=1e-4, err_msg=name)
        np.testing.assert_allclose(
            ours.standard_errors_[name], ref.standard_errors_[name], rtol=2e-3, err_msg=name
        )
    assert ours.n_excluded_ == 0 and ours.n_customers_ == len(returning)
    # Expected spend and 12-month CLV per customer, from the same parameters.
    gg = with_params(GammaGammaFitter(), ours.params_)
    bg = with_params(BetaGeoFitter(), ours_bg.params_)
    np.testing.assert_allclose(
        ours.conditional_expected_average_profit(cdnow["frequency"], cdnow["monetary_value"]),
        gg.conditional_expected_average_profit(cdnow["frequency"], cdnow["monetary_value"]),
        rtol=1e-6,
    )
    f, r, t = history(cdnow)
    m = cdnow["monetary_value"]
    for kwargs in ({}, {"time": 6, "discount_rate": 0.02}):
        np.testing.assert_allclose(
            ours.customer_lifetime_value(ours_bg, f, r, t, m, freq="W", **kwargs),
            gg.customer_lifetime_value(bg, f, r, t, m, freq="W", **kwargs),
            rtol=1e-6,
        )


def test_pareto_nbd_matches_lifetimes(cdnow):
    f, r, t = history(cdnow)
    ours = segcore.ParetoNBD().fit(f, r, t)
    np.random.seed(0)
    ref = ParetoNBDFitter().fit(f, r, t)
    assert ours.converged_
    # lifetimes runs Nelder-Mead with tol 1e-4 from a random start: equal within that, and our
    # maximum is at least as high.
    for name in ("r", "alpha", "s", "beta"):
        np.testing.assert_allclose(ours.params_[name], ref.params_[name], rtol=2e-3, err_msg=name)
    ours_nll = -ours.log_likelihood_
    ref_params = np.array([ref.params_[k] for k in ("r", "alpha", "s", "beta")])
    fa, ra, ta = (np.asarray(v, dtype=float) for v in (f, r, t))
    ref_nll = ParetoNBDFitter._negative_log_likelihood(ref_params, fa, ra, ta, np.ones_like(fa), 0.0)
    ours_params = np.array([ours.params_[k] for k in ("r", "alpha", "s", "beta")])
    np.testing.assert_allclose(
        ours_nll, ParetoNBDFitter._negative_log_likelihood(ours_params, fa, ra, ta, np.ones_like(fa), 0.0),
        rtol=1e-10,
    )
    assert ours_nll <= ref_nll + 1e-6
    # Predictions from the same parameters equal lifetimes'.
    same = with_params(ParetoNBDFitter(), ours.params_)
    np.testing.assert_allclose(
        ours.probability_alive(f, r, t), same.conditional_probability_alive(f, r, t), rtol=1e-6
    )
    np.testing.assert_allclose(
        ours.predict_purchases(39.0, f, r, t),
        same.conditional_expected_number_of_purchases_up_to_time(39.0, f, r, t),
        rtol=1e-6,
    )
    gg = segcore.GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
    ref_gg = with_params(GammaGammaFitter(), {"p": 6.25, "q": 3.74, "v": 15.44})
    m = cdnow["monetary_value"]
    np.testing.assert_allclose(
        gg.customer_lifetime_value(ours, f, r, t, m), ref_gg.customer_lifetime_value(same, f, r, t, m, freq="W"),
        rtol=1e-6,
    )


def test_penalizer_matches_lifetimes(cdnow):
    f, r, t = history(cdnow)
    ours = segcore.BetaGeo(penalizer_coef=0.01).fit(f, r, t)
    ref = BetaGeoFitter(penalizer_coef=0.01).fit(f, r, t)
    for name in ("r", "alpha", "a", "b"):
        np.testing.assert_allclose(ours.params_[name], ref.params_[name], rtol=1e-4, err_msg=name)


@pytest.fixture(scope="module")
def cdnow_log() -> pd.DataFrame:
    return pd.read_csv(require_data("cdnow/cdnow_transactions.csv"), parse_dates=["date"])


@pytest.mark.parametrize("freq", ["D", "W"])
def test_clv_summary_equals_lifetimes_on_the_cdnow_log(cdnow_log, freq):
    ref = summary_data_from_transaction_data(
        cdnow_log, "customer_id", "date", monetary_value_col="amount", observation_period_end="1998-06-30", freq=freq
    )
    ours = segcore.clv_summary(cdnow_log, amount="amount", observation_end="1998-06-30", freq=freq)
    assert len(ours) == len(ref) == 23570
    assert list(ours.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert ours.index.name == "customer_id"
    ours = ours.loc[ref.index]
    for column in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(ours[column].to_numpy(), ref[column].to_numpy(), err_msg=column)
    np.testing.assert_allclose(ours["monetary_value"], ref["monetary_value"], rtol=1e-12, atol=1e-12)
    assert ours.attrs["observation_end"] == "1998-06-30" and ours.attrs["n_lines_after_end"] == 0
    # polars in, the same frame out; the default end is the last date.
    from_polars = segcore.clv_summary(pl.from_pandas(cdnow_log), amount="amount", freq=freq)
    pd.testing.assert_frame_equal(from_polars.loc[ref.index], ours)


def test_clv_summary_observation_end_and_no_amount(cdnow_log):
    ref = summary_data_from_transaction_data(cdnow_log, "customer_id", "date", observation_period_end="1997-06-30")
    ours = segcore.clv_summary(cdnow_log, amount=None, observation_end="1997-06-30")
    assert list(ours.columns) == ["frequency", "recency", "T"]
    pd.testing.assert_frame_equal(ours.loc[ref.index], ref, check_names=False)
    assert ours.attrs["n_lines_after_end"] == int((cdnow_log["date"] > "1997-06-30").sum())


def test_bad_histories_are_clear_errors():
    with pytest.raises(segcore.exceptions.DataError, match="recency 5 is larger than T 4 at|row 1: recency 5 is larger than T 4"):
        segcore.BetaGeo().fit([1, 2], [1, 5], [3, 4])
    with pytest.raises(ValueError, match="frequency -1 is negative"):
        segcore.ParetoNBD().fit([1, -1], [1, 0], [3, 4])
    with pytest.raises(segcore.SegcoreError, match="one"):
        segcore.BetaGeo().fit([2], [1], [3])
    with pytest.raises(segcore.exceptions.DataError, match="no customer has a repeat purchase"):
        segcore.BetaGeo().fit([0, 0, 0], [0, 0, 0], [3, 4, 5])
    with pytest.raises(segcore.exceptions.DataError, match="monetary_value -2 is not positive"):
        segcore.GammaGamma().fit([1, 2, 3], [10.0, -2.0, 5.0])
    with warnings.catch_warnings():  # three customers left: the maximum may sit on a boundary
        warnings.simplefilter("ignore", segcore.exceptions.ConvergenceWarning)
        gg = segcore.GammaGamma(on_invalid="exclude").fit([1, 2, 3, 0, 4], [10.0, -2.0, 5.0, 0.0, 7.5])
    assert gg.n_excluded_ == 2 and gg.n_customers_ == 3
    with pytest.raises(segcore.exceptions.InvalidParameterError, match="penalizer_coef"):
        segcore.BetaGeo(penalizer_coef=-1.0).fit([1, 2], [1, 2], [3, 4])
    with pytest.raises(segcore.exceptions.NotFittedError):
        segcore.BetaGeo().probability_alive([1], [1], [2])


def test_non_convergence_keeps_the_model_and_warns(cdnow):
    with pytest.warns(segcore.exceptions.ConvergenceWarning, match="did not converge"):
        model = segcore.BetaGeo(max_iter=2).fit(*history(cdnow))
    assert model.converged_ is False and model.n_iter_ == 2
    assert all(v > 0 for v in model.params_.values())
    assert model.probability_alive(*history(cdnow)).shape == (2357,)


def test_models_pickle_and_clone(cdnow, ours_bg):
    from sklearn.base import clone

    loaded = pickle.loads(pickle.dumps(ours_bg))
    assert loaded.params_ == ours_bg.params_
    f, r, t = history(cdnow)
    np.testing.assert_array_equal(loaded.probability_alive(f, r, t), ours_bg.probability_alive(f, r, t))
    fresh = clone(segcore.BetaGeo(penalizer_coef=0.1))
    assert fresh.get_params()["penalizer_coef"] == 0.1 and not hasattr(fresh, "params_")
    gg = segcore.GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
    assert pickle.loads(pickle.dumps(gg)).params_ == gg.params_
    document = ours_bg._model.to_json()
    assert '"kind":"clv-beta-geo"' in document
