"""mclust's 14 covariance models against R's mclust (the oracle), through Rscript.

The R side runs mclust's own default path for n <= 2000 (``mclustBIC``'s): ``hc(modelName =
"VVV", use = "SVD")`` once, cut with ``hclass`` for every k, ``me`` from the cut, BIC = 2 loglik
- df ln n. Tests skip with a reason when Rscript or mclust is absent (CI installs both).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import segcore
from segcore.exceptions import InvalidParameterError

MODELS = [
    "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE",
    "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV",
]  # fmt: skip
KS = list(range(2, 9))

ORACLE = r"""
suppressMessages(library(mclust))
args <- commandArgs(TRUE)
X <- as.matrix(read.csv(args[1], header = FALSE))
models <- strsplit(args[2], ",")[[1]]
G <- as.integer(strsplit(args[3], ",")[[1]])
n <- nrow(X); d <- ncol(X)
hcp <- hc(X, modelName = "VVV", use = "SVD")
cls <- hclass(hcp, G)
for (g in G) {
  z <- unmap(cls[, as.character(g)])
  for (m in models) {
    out <- me(data = X, modelName = m, z = z, warn = FALSE)
    ll <- out$loglik
    df <- nMclustParams(m, d, g)
    cat(m, g, format(ll, digits = 17), df, format(2 * ll - df * log(n), digits = 17), "\n")
  }
}
best <- mclustBIC(X, G = G, modelNames = models)
top <- summary(best, X)
cat("TOP", top$modelName, top$G, format(top$bic, digits = 17), "\n")
"""


@pytest.fixture(scope="module")
def mclust_table(wholesale_spending, mclust_oracle):
    """mclust's log-likelihood, df and BIC per (model, k) on the Wholesale spending table."""
    out = mclust_oracle(ORACLE, wholesale_spending, ",".join(MODELS), ",".join(map(str, KS)))
    table, top = {}, None
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == "TOP":
            top = (parts[1], int(parts[2]), float(parts[3]))
        elif len(parts) == 5:
            ll = None if parts[2] == "NA" else float(parts[2])
            bic = None if parts[4] == "NA" else float(parts[4])
            table[(parts[0], int(parts[1]))] = (ll, int(parts[3]), bic)
    assert len(table) == len(MODELS) * len(KS)
    return table, top


@pytest.fixture(scope="module")
def segcore_fits(wholesale_spending):
    fits = {}
    for model in MODELS:
        for k in KS:
            try:
                fits[(model, k)] = segcore.GaussianMixture(
                    k, covariance_type=model, max_iter=2000, random_state=0
                ).fit(wholesale_spending)
            except segcore.SegcoreError as error:  # singular cells, as mclust's NA
                fits[(model, k)] = error
    return fits


def test_parameter_counts_equal_mclusts_df(mclust_table, segcore_fits):
    table, _ = mclust_table
    for (model, k), (_, df, _) in table.items():
        fit = segcore_fits[(model, k)]
        if isinstance(fit, Exception):
            continue
        assert fit._n_parameters() == df, (model, k)


def test_best_fit_reaches_mclusts_log_likelihood_on_every_cell(mclust_table, segcore_fits):
    """For every model and k = 2..8: where mclust has a fit, ours reaches at least its
    log-likelihood (within 0.5); where mclust reports NA (singular), ours may fail too."""
    table, _ = mclust_table
    shortfalls, compared = [], 0
    for (model, k), (ll, _, _) in table.items():
        fit = segcore_fits[(model, k)]
        if ll is None:
            continue
        assert not isinstance(fit, Exception), f"{model} k={k}: mclust fits, segcore: {fit}"
        compared += 1
        if fit.log_likelihood_ < ll - 0.5:
            shortfalls.append((model, k, fit.log_likelihood_, ll))
    assert compared >= 80
    assert not shortfalls, shortfalls


def test_bic_equals_mclusts_where_both_reach_the_same_optimum(mclust_table, segcore_fits):
    """Our hierarchical start is mclust's start: where it ends at mclust's optimum, BIC (mclust's
    sign, 2 loglik - df ln n) agrees to 1e-6 relative. Most cells must take that path."""
    table, _ = mclust_table
    n = 440
    same, differ = 0, []
    for (model, k), (ll, df, bic) in table.items():
        fit = segcore_fits[(model, k)]
        if ll is None or isinstance(fit, Exception):
            continue
        hierarchical = [s for s in fit.starts_ if s["method"] == "hierarchical"][0]
        ours = hierarchical["log_likelihood"]
        if ours is not None and abs(ours - ll) <= 1e-3:
            same += 1
            assert 2 * ours - df * np.log(n) == pytest.approx(bic, rel=1e-6), (model, k)
            if abs(fit.log_likelihood_ - ll) < 1e-6:
                assert fit.mclust_bic_ == pytest.approx(bic, rel=1e-6), (model, k)
        else:
            differ.append((model, k, ours, ll))
    assert same >= 0.75 * (same + len(differ)), differ


def test_select_mixture_recommends_at_least_mclusts_best(wholesale_spending, mclust_table):
    table, top = mclust_table
    result = segcore.select_mixture(
        wholesale_spending, n_components=KS, covariance_types="mclust", max_iter=2000, random_state=0
    )
    assert result.bic_convention == "mclust"
    assert len(result.table) == len(MODELS) * len(KS)
    best = result.table[result.best_index]
    assert best["bic"] >= top[2] - 1.0
    runner = result.table[result.runner_up_index]
    assert result.bic_difference == pytest.approx(best["bic"] - runner["bic"])
    for row in result.table:
        ll, df, bic = table[(row["covariance_type"], row["n_components"])]
        assert row["n_parameters"] == df
        if bic is not None and row["bic"] is not None:
            assert row["bic"] >= bic - 1.0, row
    est = result.best_estimator
    assert est.model_name_ == best["covariance_type"]
    assert est.mclust_bic_ == pytest.approx(best["bic"])


def test_model_names_are_accepted_and_saved(wholesale_spending):
    gm = segcore.GaussianMixture(3, covariance_type="VEV", random_state=1).fit(wholesale_spending)
    assert gm.model_name_ == "VEV"
    assert gm.covariances_.shape == (3, 6, 6)
    assert 1 <= gm.n_starts_at_best_ <= len(gm.starts_) == 3
    assert [s["method"] for s in gm.starts_] == ["hierarchical", "kmeans", "random"]
    proba = gm.predict_proba(wholesale_spending)
    np.testing.assert_allclose(gm.uncertainty(wholesale_spending), 1 - proba.max(axis=1))
    assert gm.bic(wholesale_spending) == pytest.approx(-gm.mclust_bic_, rel=1e-9)
    back = pickle.loads(pickle.dumps(gm))
    assert back.model_name_ == "VEV"
    np.testing.assert_array_equal(back.predict_proba(wholesale_spending), proba)
    assert '"model":"VEV"' in gm._model.to_json()
    # scikit-learn's names keep scikit-learn's documents (no model field).
    sk = segcore.GaussianMixture(2, covariance_type="full", random_state=0).fit(wholesale_spending)
    assert sk.model_name_ is None and '"model":"' not in sk._model.to_json()
    for layout, model in [("spherical", "EII"), ("diag", "VEI"), ("tied", "EEE")]:
        gm = segcore.GaussianMixture(2, covariance_type=model).fit(wholesale_spending)
        assert gm._model.covariance_type == layout


def test_bad_names_and_options_are_clear_errors(wholesale_spending):
    with pytest.raises(InvalidParameterError, match="'VVV'"):
        segcore.GaussianMixture(2, covariance_type="vvv").fit(wholesale_spending)
    with pytest.raises(InvalidParameterError, match="means_init"):
        segcore.GaussianMixture(
            2, covariance_type="VVV", means_init=wholesale_spending[:2]
        ).fit(wholesale_spending)
    with pytest.raises(InvalidParameterError, match="one family"):
        segcore.select_mixture(wholesale_spending, [2], ["full", "VVV"])


def test_profile_counts_customers_with_an_uncertain_segment(wholesale_spending):
    """Soft membership in a profile: the mixture's 1 - max probability per customer, the mean
    per segment and the customers above the threshold, small counts suppressed."""
    gm = segcore.GaussianMixture(3, covariance_type="VVV", random_state=0).fit(wholesale_spending)
    labels = gm.predict(wholesale_spending)
    uncertainty = gm.uncertainty(wholesale_spending)
    data = {f"x{j}": wholesale_spending[:, j] for j in range(wholesale_spending.shape[1])}
    p = segcore.profile(data, labels, uncertainty=uncertainty, uncertainty_threshold=0.1)
    m = p.membership
    assert m.attrs["threshold"] == 0.1
    for segment, row in m.iterrows():
        mine = uncertainty[labels == segment]
        assert row["mean_uncertainty"] == pytest.approx(mine.mean(), rel=1e-12)
        count = int((mine > 0.1).sum())
        if count >= 10 and len(mine) - count >= 10:
            assert row["n_uncertain"] == count
        elif 0 < count < 10:
            assert np.isnan(row["n_uncertain"])
    assert segcore.profile(data, labels).membership is None
    with pytest.raises(InvalidParameterError, match="uncertainty"):
        segcore.profile(data, labels, uncertainty=uncertainty + 2)
