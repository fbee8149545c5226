"""The choice of k at scale gives the full-data evaluation's answer.

Above 20,000 customers the Segmenter computes every criterion of ``select_k`` on a random
sample of 20,000 (one k-means++ run per gap reference and stability subsample, gap references
of 5,000 rows, silhouette, Calinski-Harabasz and Davies-Bouldin as means over 4 disjoint parts
of the sample; a second sample of 40,000 when the criteria split) and fits the chosen k once on
every customer. These tests compare its k with the exhaustive evaluation:
``select_k`` on every row of the same model-space features, with the Segmenter's restarts and
the default 10 gap references and 10 stability subsamples. At or below 20,000 customers the
sample is the data, so there the tests guard the consistency of the rule (k = 5 on make_b2b at
every size, the true number of segments).

The exhaustive answers are kept in ``EXHAUSTIVE_K`` (a 50,000-customer case takes 10-12
minutes on 2 cores); ``SEGCORE_EXHAUSTIVE=1`` computes them again and checks the table. The
larger cases take minutes on 2 cores and run with ``SEGCORE_SLOW_TESTS=1``.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import segcore
from conftest import require_data

SLOW = os.environ.get("SEGCORE_SLOW_TESTS") == "1"
slow = pytest.mark.skipif(not SLOW, reason="minutes on 2 cores: set SEGCORE_SLOW_TESTS=1")
EXHAUSTIVE = os.environ.get("SEGCORE_EXHAUSTIVE") == "1"

# k of the exhaustive evaluation (``exhaustive_k``) per case, computed on every row with the
# features of 2026-12-07; make_b2b has 5 true segments. At or below 20,000 customers the
# Segmenter's evaluation is the exhaustive one (the same computation).
EXHAUSTIVE_K = {
    ("make_b2b", 20_000, 0): 5,
    ("make_b2b", 20_000, 1): 6,
    ("make_b2b", 20_000, 2): 5,
    ("make_b2b", 50_000, 0): 5,
    ("make_b2b", 50_000, 1): 5,
    ("make_b2b", 50_000, 2): 5,
    ("wholesale",): 4,
    ("online_retail",): 6,
}


def exhaustive_k(model: segcore.Segmenter, customers, transactions) -> segcore.SelectKResult:
    """select_k on every row of the model-space features the Segmenter chose k on: every
    customer but the extreme ones it set aside (``extreme_customers_``)."""
    x = model.transform(customers, transactions)
    extreme = set(model.extreme_customers_["customer"].astype(str))
    if extreme:
        ids = customers[model.customer_id].astype(str).to_numpy()
        x = x[~np.isin(ids, list(extreme))]
    return segcore.select_k(x, range(4, 9), n_init=4, random_state=0, progress=False)


def exhaustive_answer(case, model: segcore.Segmenter, customers, transactions) -> int:
    """The exhaustive evaluation's k: from ``EXHAUSTIVE_K``, or computed again (and checked
    against it) with ``SEGCORE_EXHAUSTIVE=1``."""
    if not EXHAUSTIVE:
        return EXHAUSTIVE_K[case]
    full = exhaustive_k(model, customers, transactions)
    assert full.recommended_k == EXHAUSTIVE_K[case], (case, full.reason)
    return full.recommended_k


def check_same_k(customers, transactions, case, expected=None, truth=None) -> None:
    model = segcore.Segmenter(progress=False).fit(customers, transactions)
    full_k = exhaustive_answer(case, model, customers, transactions)
    assert model.n_clusters_ == full_k, (model.select_k_.reason, full_k)
    if truth is not None:
        # The segments of the chosen k recover the generator's (the goal: ARI >= 0.85).
        assert segcore.metrics.adjusted_rand_score(truth, model.labels_) >= 0.85
    if expected is not None:
        assert model.n_clusters_ == expected, model.select_k_.reason
    if len(customers) > 20_000:
        # k is chosen on every customer but the extreme ones set aside (as exhaustive_k).
        chosen_on = len(customers) - len(set(model.extreme_customers_["customer"].astype(str)))
        # A split vote on the first sample is computed again on twice the rows.
        assert model.select_k_.sample in ((20_000, chosen_on), (40_000, chosen_on))
        if model.select_k_.sample[0] == 40_000:
            assert "On a first sample of 20000 rows" in model.select_k_.reason
        assert "silhouette_se" in model.selection_.columns
    else:
        assert model.select_k_.sample is None
    assert list(model.phase_times_) == ["behaviour", "features", "reduction", "select_k", "cluster", "profile"]


@pytest.mark.parametrize("seed", [0])
def test_make_b2b_20k_chooses_the_true_five(seed: int) -> None:
    customers, transactions, truth = segcore.datasets.make_b2b(20_000, random_state=seed)
    check_same_k(customers, transactions, ("make_b2b", 20_000, seed), expected=5, truth=truth)


@slow
@pytest.mark.parametrize(
    "n, seed",
    [
        # Open: every row gives 6 here (silhouette and Davies-Bouldin, 2 of 4 criteria; measured
        # 2026-12-07 with the current features); no sample, so the parts do not apply.
        pytest.param(20_000, 1, marks=pytest.mark.xfail(reason="k = 6 on every row, truth 5", strict=False)),
        (20_000, 2),
        (50_000, 0),
        (50_000, 1),
        # The sample's lowest-inertia 6-partition scores better than its 5 on silhouette and
        # Davies-Bouldin; on the parts of the sample k-means finds it on some and not others,
        # and the one-standard-error rules give 5 (docs/performance.md).
        (50_000, 2),
    ],
)
def test_make_b2b_sampled_choice_equals_the_exhaustive_one(n: int, seed: int) -> None:
    customers, transactions, truth = segcore.datasets.make_b2b(n, random_state=seed)
    check_same_k(customers, transactions, ("make_b2b", n, seed), expected=5, truth=truth)


def test_select_k_on_a_sample_reports_it() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(c, 0.5, size=(1500, 3)) for c in (0.0, 4.0, 8.0, 12.0)])
    whole = segcore.select_k(x, range(2, 7), random_state=0, gap_references=3, stability_resamples=3,
                             progress=False)
    sampled = segcore.select_k(x, range(2, 7), random_state=0, gap_references=3, stability_resamples=3,
                               sample_size=1000, progress=False)
    assert whole.sample is None and sampled.sample == (1000, 6000)
    assert sampled.recommended_k == whole.recommended_k == 4
    assert "1000 of the 6000 rows" in sampled.reason
    assert (sampled.table["silhouette_se"] > 0).all()
    # Sampled means are noisier: the standard error grows as the sample shrinks.
    assert sampled.table["silhouette_se"].iloc[2] > whole.table["silhouette_se"].iloc[2]
    with pytest.raises(segcore.SegcoreError, match="sample_size"):
        segcore.select_k(x, range(2, 7), sample_size=5, progress=False)


def test_criteria_on_parts_report_their_standard_errors() -> None:
    rng = np.random.default_rng(2)
    x = np.vstack([rng.normal(c, 0.5, size=(1500, 3)) for c in (0.0, 4.0, 8.0, 12.0)])
    kwargs = dict(random_state=0, gap_references=3, stability_resamples=3, sample_size=2000, progress=False)
    single = segcore.select_k(x, range(2, 7), **kwargs)
    parts = segcore.select_k(x, range(2, 7), criteria_parts=4, **kwargs)
    assert single.recommended_k == parts.recommended_k == 4
    assert "calinski_harabasz_se" not in single.table
    columns = ["silhouette_se", "calinski_harabasz_se", "davies_bouldin_se"]
    assert (parts.table[columns] >= 0).all().all()
    # Inertia, gap and stability stay those of the sample's own clustering.
    assert parts.sample == single.sample == (2000, 6000)
    with pytest.raises(segcore.SegcoreError, match="criteria_parts"):
        segcore.select_k(x, range(2, 7), criteria_parts=0, progress=False)


def test_gap_references_on_fewer_rows_keep_the_vote() -> None:
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(c, 0.5, size=(1500, 3)) for c in (0.0, 4.0, 8.0, 12.0)])
    kwargs = dict(random_state=0, gap_references=5, stability_resamples=0, progress=False)
    whole = segcore.select_k(x, range(2, 7), **kwargs)
    fewer = segcore.select_k(x, range(2, 7), gap_sample_size=1000, resample_n_init=1, **kwargs)
    assert fewer.recommended_k == whole.recommended_k == 4
    assert fewer.votes["gap"] == whole.votes["gap"] == 4
    # log W* of 1,000 rows shifted by log(6000 / 1000) stands for references of 6,000 rows.
    np.testing.assert_allclose(fewer.table["gap"], whole.table["gap"], atol=0.1)
    with pytest.raises(segcore.SegcoreError, match="gap_sample_size"):
        segcore.select_k(x, range(2, 7), gap_sample_size=2, progress=False)


def test_wholesale_customers_same_k_as_exhaustive() -> None:
    path = require_data("wholesale_customers/wholesale_customers.csv")
    frame = pd.read_csv(path)
    customers = frame.rename(columns=str.lower).reset_index().rename(columns={"index": "customer_id"})
    customers["channel"] = customers["channel"].astype(str)
    customers["region"] = customers["region"].astype(str)
    check_same_k(customers, None, ("wholesale",))


def online_retail():
    path = require_data("online_retail/online_retail_customers.csv.gz")
    lines = pd.read_csv(path, dtype={"InvoiceNo": str})
    transactions = pd.DataFrame(
        {
            "customer_id": lines["CustomerID"].astype(np.int64),
            "date": pd.to_datetime(lines["InvoiceDate"]).dt.normalize(),
            "amount": lines["Quantity"] * lines["UnitPrice"],
        }
    )
    customers = lines.groupby("CustomerID", as_index=False)["Country"].first().rename(
        columns={"CustomerID": "customer_id", "Country": "country"}
    )
    return customers, transactions


def test_online_retail_customers_same_k_as_exhaustive() -> None:
    customers, transactions = online_retail()
    check_same_k(customers, transactions, ("online_retail",))
