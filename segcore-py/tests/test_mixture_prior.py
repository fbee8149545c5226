"""mclust's conjugate prior (``priorControl()``) against R's mclust (the oracle), through Rscript.

Both sides run mclust's path from the same start: the model-based hierarchical agglomeration
(``hc(modelName = "VVV", use = "SVD")``) cut for every k, then EM (mclust's ``me`` with
``prior = priorControl()``); ``n_init=0`` keeps segcore to that single start. For k = 1 the R
side is ``mclustBIC`` (mclust's ``mvn`` with the prior). Tests skip with a reason when Rscript
or mclust is absent (CI installs both).
"""

from __future__ import annotations


import numpy as np
import pytest

import segcore
from segcore.exceptions import InvalidParameterError

# mclust has a prior for these ten models with k > 1 (none for VEE, EVE, VVE, EVV).
WITH_PRIOR = ["EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "EEV", "VEV", "VVV"]
ALL = WITH_PRIOR[:7] + ["VEE", "EVE", "VVE"] + WITH_PRIOR[7:9] + ["EVV", "VVV"]
KS = list(range(2, 9))

ORACLE = r"""
suppressMessages(library(mclust))
args <- commandArgs(TRUE)
X <- as.matrix(read.csv(args[1], header = FALSE))
models <- strsplit(args[2], ",")[[1]]
G <- as.integer(strsplit(args[3], ",")[[1]])
all_models <- strsplit(args[4], ",")[[1]]
n <- nrow(X); d <- ncol(X)
hcp <- hc(X, modelName = "VVV", use = "SVD")
cls <- hclass(hcp, G)
num <- function(v) paste(sprintf("%.17g", as.vector(v)), collapse = ",")
for (g in G) {
  z <- unmap(cls[, as.character(g)])
  for (m in models) {
    out <- me(data = X, modelName = m, z = z, prior = priorControl(), warn = FALSE)
    ll <- out$loglik
    cat("CELL", m, g, format(ll, digits = 17), nMclustParams(m, d, g), "\n")
    if (!is.na(ll)) {
      cat("PRO", num(out$parameters$pro), "\n")
      cat("MEAN", num(out$parameters$mean), "\n")
      cat("SIGMA", num(out$parameters$variance$sigma), "\n")
    }
  }
}
bic <- mclustBIC(X, G = c(1, G), modelNames = all_models, prior = priorControl(), warn = FALSE)
for (m in all_models) for (g in c(1, G)) {
  value <- if (m %in% colnames(bic)) bic[as.character(g), m] else NA
  cat("BIC", m, g, sprintf("%.17g", value), "\n")
}
"""


@pytest.fixture(scope="module")
def mclust_prior(wholesale_spending, mclust_oracle):
    """mclust's fits with ``prior = priorControl()`` per (model, k), and its ``mclustBIC``."""
    out = mclust_oracle(ORACLE, wholesale_spending, ",".join(WITH_PRIOR), ",".join(map(str, KS)), ",".join(ALL))
    cells, bic, current = {}, {}, None
    d = wholesale_spending.shape[1]
    for line in out.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "CELL":
            current = (parts[1], int(parts[2]))
            ll = None if parts[3] == "NA" else float(parts[3])
            cells[current] = {"ll": ll, "df": int(parts[4])}
        elif parts[0] in ("PRO", "MEAN", "SIGMA"):
            values = np.array([float(v) for v in parts[1].split(",")])
            k = current[1]
            if parts[0] == "MEAN":
                values = values.reshape(k, d)  # R's p x G, column-major
            elif parts[0] == "SIGMA":
                values = values.reshape(k, d, d)
            cells[current][parts[0].lower()] = values
        elif parts[0] == "BIC":
            bic[(parts[1], int(parts[2]))] = None if parts[3] == "NA" else float(parts[3])
    assert len(cells) == len(WITH_PRIOR) * len(KS)
    return cells, bic


def _full(gm) -> np.ndarray:
    """The fitted covariances as k x d x d."""
    cov, k, d = gm.covariances_, gm.n_components, gm.means_.shape[1]
    if gm._model.covariance_type == "spherical":
        return np.stack([np.eye(d) * v for v in cov])
    if gm._model.covariance_type == "diag":
        return np.stack([np.diag(v) for v in cov])
    if gm._model.covariance_type == "tied":
        return np.stack([cov] * k)
    return cov


def _fit(x, model, k):
    try:
        return segcore.GaussianMixture(
            k, covariance_type=model, n_init=0, max_iter=5000, prior=True
        ).fit(x)
    except segcore.SegcoreError as error:  # singular cells, as mclust's NA
        return error


def test_prior_fits_equal_mclusts_from_the_same_start(wholesale_spending, mclust_prior):
    """Where both sides reach the same optimum from the hierarchical start (log-likelihoods
    within 1e-3), the log-likelihood agrees to 1e-7 relative, the BIC to 1e-6 and the
    proportions, means and covariances to 1e-6; most cells must take that path."""
    cells, _ = mclust_prior
    n = wholesale_spending.shape[0]
    same, differ = 0, []
    for (model, k), cell in cells.items():
        if cell["ll"] is None:
            continue
        fit = _fit(wholesale_spending, model, k)
        assert not isinstance(fit, Exception), f"{model} k={k}: mclust fits, segcore: {fit}"
        assert fit._n_parameters() == cell["df"]
        if abs(fit.log_likelihood_ - cell["ll"]) > 1e-3:
            differ.append((model, k, fit.log_likelihood_, cell["ll"]))
            continue
        same += 1
        assert fit.log_likelihood_ == pytest.approx(cell["ll"], rel=1e-7), (model, k)
        bic = 2 * cell["ll"] - cell["df"] * np.log(n)
        assert fit.mclust_bic_ == pytest.approx(bic, rel=1e-6), (model, k)
        # Components in mclust's order: nearest mean.
        order = [int(np.argmin(((fit.means_ - m) ** 2).sum(axis=1))) for m in cell["mean"]]
        assert sorted(order) == list(range(k)), (model, k)
        np.testing.assert_allclose(fit.weights_[order], cell["pro"], atol=1e-6, err_msg=model)
        np.testing.assert_allclose(fit.means_[order], cell["mean"], atol=1e-6, err_msg=model)
        np.testing.assert_allclose(_full(fit)[order], cell["sigma"], atol=1e-6, err_msg=model)
    assert same >= 0.75 * (same + len(differ)), differ
    print(f"prior: {same} cells at mclust's optimum, {len(differ)} elsewhere: {differ}")


def test_one_component_equals_mclusts_mvn_with_the_prior(wholesale_spending, mclust_prior):
    """k = 1 is mclust's mvn with the prior (mclustBIC leaves out the four models without one)."""
    _, bic = mclust_prior
    for model in WITH_PRIOR:
        fit = segcore.GaussianMixture(1, covariance_type=model, n_init=0, prior=True).fit(
            wholesale_spending
        )
        assert fit.mclust_bic_ == pytest.approx(bic[(model, 1)], rel=1e-9), model


def test_select_mixture_with_the_prior_reaches_mclusts_table(wholesale_spending, mclust_prior):
    _, bic = mclust_prior
    result = segcore.select_mixture(
        wholesale_spending, n_components=KS, covariance_types="mclust", max_iter=2000,
        random_state=0, prior=True,
    )  # fmt: skip
    assert len(result.table) == len(ALL) * len(KS)
    for row in result.table:
        theirs = bic[(row["covariance_type"], row["n_components"])]
        if row["covariance_type"] not in WITH_PRIOR:
            assert row["bic"] is None and "prior" in row["error"], row
            assert theirs is None
        elif theirs is not None and row["bic"] is not None:
            assert row["bic"] >= theirs - 1.0, row
    assert result.best_estimator.prior is True


def test_the_prior_keeps_small_segments_finite():
    """Six customers in three dimensions: every two-segment VVV fit is singular without a prior
    (no segment has the four rows a 3 x 3 covariance needs); with it, a fit."""
    x = np.array(
        [[0, 0, 0], [1, 0.5, 0], [0, 1, 0.5], [10, 0, 0], [11, 1, 0.5], [10, 1, 1]], dtype=float
    )
    with pytest.raises(segcore.SegcoreError):
        segcore.GaussianMixture(2, covariance_type="VVV").fit(x)
    gm = segcore.GaussianMixture(2, covariance_type="VVV", prior=True).fit(x)
    assert np.all(np.linalg.eigvalsh(gm.covariances_) > 0)
    assert gm.weights_.sum() == pytest.approx(1.0)
    assert np.isfinite(gm.mclust_bic_)


def test_bad_priors_are_clear_errors(wholesale_spending):
    x = wholesale_spending
    with pytest.raises(InvalidParameterError, match="prior"):
        segcore.GaussianMixture(2, covariance_type="EVE", prior=True).fit(x)
    with pytest.raises(InvalidParameterError, match="prior"):
        segcore.GaussianMixture(2, covariance_type="full", prior=True).fit(x)
    with pytest.raises(InvalidParameterError, match="shrinkage"):
        segcore.GaussianMixture(2, covariance_type="VVV", prior={"shrinkage": -1}).fit(x)
    with pytest.raises(InvalidParameterError, match="unknown key"):
        segcore.GaussianMixture(2, covariance_type="VVV", prior={"scale": 1}).fit(x)
    with pytest.raises(InvalidParameterError, match="dof"):
        segcore.GaussianMixture(2, covariance_type="VVV", prior={"dof": 0}).fit(x)
    gm = segcore.GaussianMixture(2, covariance_type="VVV", prior={"shrinkage": 0.05, "dof": 9})
    assert gm.fit(x).model_name_ == "VVV"
