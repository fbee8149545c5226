"""The first end-to-end path in Python: make_b2b -> features -> StandardScaler -> KMeans -> profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

import segcore


@pytest.fixture(scope="module")
def base():
    return segcore.datasets.make_b2b(random_state=0)


def test_generator_is_deterministic_and_messy(base):
    customers, transactions, truth = base
    again = segcore.datasets.make_b2b(random_state=0)
    pd.testing.assert_frame_equal(customers, again[0])
    assert len(customers) == 2000 and truth.nunique() == 5
    assert (transactions["amount"] < 0).any(), "returns/credit notes as negative amounts"
    assert customers["annual_revenue_eur"].isna().any(), "missing firmographics"
    assert customers["industry"].isna().any()
    other = segcore.datasets.make_b2b(random_state=1)[0]
    assert not customers["annual_revenue_eur"].equals(other["annual_revenue_eur"])


def test_kmeans_recovers_the_true_segments(base):
    customers, transactions, truth = base
    raw, model_input = segcore.segmentation_features(customers, transactions)
    assert len(raw) == len(customers), "every customer gets a row"
    x = segcore.StandardScaler().fit_transform(model_input)
    km = segcore.KMeans(n_clusters=5, n_init=10, random_state=0).fit(x)
    assert adjusted_rand_score(truth.cat.codes, km.labels_) >= 0.9
    profile = segcore.profile_segments(raw, km.labels_)
    assert profile.sizes.sum() == len(customers)
    assert "monetary" in profile.to_frame().columns


def test_behaviour_features_from_pandas_and_polars_agree():
    tx = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B", "A"],
            "date": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-02-01", "2025-02-15"]),
            "amount": [100.0, 50.0, 80.0, -20.0],
        }
    )
    features = segcore.behaviour_features(tx, customers=["A", "B", "C"])
    assert list(features.index) == ["A", "B", "C"]
    assert features.loc["A", "frequency"] == 2  # the return is not an order
    assert features.loc["A", "monetary"] == 130.0
    assert features.loc["C", "frequency"] == 0 and np.isnan(features.loc["C", "recency_days"])
    import datetime

    polars_tx = pl.DataFrame(
        {
            "customer_id": ["A", "A", "B", "A"],
            "date": [datetime.date(2025, 1, 1), datetime.date(2025, 2, 1), datetime.date(2025, 2, 1), datetime.date(2025, 2, 15)],
            "amount": [100.0, 50.0, 80.0, -20.0],
        }
    )
    from_polars = segcore.behaviour_features(polars_tx, customers=["A", "B", "C"])
    pd.testing.assert_frame_equal(features, from_polars)


def test_transactions_of_unknown_customers_are_an_error_not_dropped():
    tx = pd.DataFrame({"customer_id": ["A", "Z"], "date": ["2025-01-01", "2025-01-02"], "amount": [1.0, 2.0]})
    with pytest.raises(ValueError, match="Z"):
        segcore.behaviour_features(tx, customers=["A"])


def test_malformed_date_names_the_row():
    tx = pd.DataFrame({"customer_id": ["A", "A"], "date": ["2025-01-01", "2025-13-01"], "amount": [1.0, 2.0]})
    with pytest.raises(segcore.exceptions.ParseError, match="row 1"):
        segcore.behaviour_features(tx)
