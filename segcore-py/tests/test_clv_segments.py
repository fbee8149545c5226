"""Churn risk and value in segmentation: segment_value, cross_sell, migration_forecast and the
Segmenter's value features. Oracles: plain pandas on the same data, counting by hand."""

import pickle

import numpy as np
import pandas as pd
import pytest

import segcore
from segcore import clv
from segcore.exceptions import SegcoreError


@pytest.fixture(scope="module")
def b2b():
    return segcore.datasets.make_b2b(400, random_state=3)


def _value_oracle(labels, values, alive, threshold):
    frame = pd.DataFrame({"segment": labels, "clv": values, "alive": alive})
    g = frame.groupby("segment")
    return pd.DataFrame({
        "n_customers": g.size(),
        "total_clv": g["clv"].sum(),
        "mean_clv": g["clv"].mean(),
        "share_of_total_clv": g["clv"].sum() / frame["clv"].sum(),
        "mean_probability_alive": g["alive"].mean(),
        "n_likely_to_lapse": g["alive"].apply(lambda a: int((a < threshold).sum())),
    })


def test_segment_value_equals_pandas_and_hides_small_groups():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2, 3], [60, 45, 30, 4])
    values = rng.gamma(2.0, 50.0, len(labels))
    alive = rng.uniform(0, 1, len(labels))
    table = clv.segment_value(labels, values, alive, min_group_size=10)
    oracle = _value_oracle(labels, values, alive, 0.5)
    for s in range(3):
        for key in ("n_customers", "total_clv", "mean_clv", "share_of_total_clv", "mean_probability_alive"):
            assert table.loc[s, key] == pytest.approx(oracle.loc[s, key], rel=1e-12), (s, key)
        lapse = table.loc[s, "n_likely_to_lapse"]
        if not pd.isna(lapse):
            assert lapse == oracle.loc[s, "n_likely_to_lapse"]
            # A published lapse count never describes a group below the threshold.
            assert lapse == 0 or lapse >= 10
            assert oracle.loc[s, "n_customers"] - lapse == 0 or oracle.loc[s, "n_customers"] - lapse >= 10
    # The 4-customer segment shows nothing.
    assert table.loc[3].isna().all()
    # polars in, polars out, same numbers.
    pl = pytest.importorskip("polars")
    out = clv.segment_value(pl.Series(labels), pl.Series(values), pl.Series(alive), min_group_size=10)
    assert isinstance(out, pl.DataFrame)
    assert out["total_clv"].to_list()[:3] == pytest.approx(table["total_clv"].tolist()[:3], rel=1e-12)
    assert out["total_clv"].to_list()[3] is None


def test_segment_value_bad_input():
    with pytest.raises(SegcoreError, match="clv"):
        clv.segment_value([0, 1], [1.0], [0.5, 0.5], min_group_size=1)
    with pytest.raises(SegcoreError, match="lapse_threshold"):
        clv.segment_value([0, 1], [1.0, 2.0], [0.5, 0.5], lapse_threshold=2.0, min_group_size=1)
    with pytest.raises(SegcoreError, match="labels"):
        clv.segment_value([0, -1], [1.0, 2.0], [0.5, 0.5], min_group_size=1)
    with pytest.raises(SegcoreError, match="row 1"):
        clv.segment_value([0, np.nan], [1.0, 2.0], [0.5, 0.5], min_group_size=1)


def _log():
    rng = np.random.default_rng(1)
    rows = []
    categories = ["tools", "paint", "safety", "garden"]
    for c in range(90):
        segment = c % 3
        for k, category in enumerate(categories):
            # Segment s buys category k with a segment-dependent propensity.
            if rng.uniform() < [0.9, 0.6, 0.2, 0.7][(k + segment) % 4]:
                for _ in range(rng.integers(1, 4)):
                    rows.append((f"C{c}", "2025-03-01", category, float(rng.gamma(2.0, 40.0))))
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "product_category", "amount"])
    segments = pd.Series({f"C{c}": c % 3 for c in range(90)})
    alive = pd.Series({f"C{c}": 0.2 + 0.8 * ((c * 7) % 10) / 10 for c in range(90)})
    return tx, segments, alive


def test_cross_sell_equals_pandas():
    tx, segments, alive = _log()
    result = clv.cross_sell(tx, segments, probability_alive=alive, min_group_size=1, top_k=2)
    spend = tx.groupby(["customer_id", "product_category"])["amount"].sum().unstack(fill_value=0.0)
    seg = segments.reindex(spend.index)
    size = seg.value_counts()
    buys = spend > 0
    for _, row in result.penetration.iterrows():
        members = seg[seg == row["segment"]].index
        buyers = buys.loc[members, row["category"]]
        assert row["n_buyers"] == int(buyers.sum())
        assert row["penetration"] == pytest.approx(buyers.sum() / size[row["segment"]], rel=1e-12)
        assert row["mean_spend_per_buyer"] == pytest.approx(spend.loc[members[buyers], row["category"]].mean(), rel=1e-12)
    # Suggestions by hand: categories >= 50 % of the segment buys and the customer does not,
    # ranked by peers' mean spend x P(alive).
    pen = result.penetration.set_index(["segment", "category"])
    expected = []
    for customer in spend.index:
        s = seg[customer]
        options = []
        for category in spend.columns:
            cell = pen.loc[(s, category)]
            if cell["penetration"] >= 0.5 and not buys.loc[customer, category]:
                options.append((-(cell["mean_spend_per_buyer"] * alive[customer]), category))
        for rank, (neg, category) in enumerate(sorted(options)[:2], start=1):
            expected.append((customer, category, -neg, rank))
    # The core lists customers in log order; compare by (customer, rank).
    got = sorted(result.suggestions.itertuples(index=False, name=None), key=lambda t: (t[0], t[3]))
    expected.sort(key=lambda t: (t[0], t[3]))
    assert len(got) > 20
    assert [(c, k, r) for c, k, _, r in got] == [(c, k, r) for c, k, _, r in expected]
    assert [v for _, _, v, _ in got] == pytest.approx([v for _, _, v, _ in expected], rel=1e-12)


def test_cross_sell_privacy_and_polars():
    tx, segments, _ = _log()
    segments = segments.copy()
    segments.iloc[:3] = 3  # a segment of three customers
    result = clv.cross_sell(tx, segments, min_group_size=10)
    small = result.penetration[result.penetration["segment"] == 3]
    assert small["n_buyers"].isna().all() and small["penetration"].isna().all()
    published = result.penetration.dropna(subset=["n_buyers"])
    assert ((published["n_buyers"] == 0) | (published["n_buyers"] >= 10)).all()
    assert not result.suggestions["customer_id"].isin(segments.index[:3]).any()
    pl = pytest.importorskip("polars")
    out = clv.cross_sell(pl.from_pandas(tx), segments, min_group_size=10)
    assert isinstance(out.penetration, pl.DataFrame)
    assert out.suggestions.height == len(result.suggestions)
    with pytest.raises(SegcoreError, match="product_category"):
        clv.cross_sell(tx.drop(columns="product_category"), segments)


def test_migration_forecast_equals_counting_by_hand():
    rng = np.random.default_rng(2)
    n, k = 300, 3
    s0 = rng.integers(0, k, n)
    stay = rng.uniform(size=n) < 0.7
    s1 = np.where(stay, s0, rng.integers(0, k, n))
    s2 = np.where(rng.uniform(size=n) < 0.7, s1, rng.integers(0, k, n))
    frame = pd.DataFrame({"q1": s0, "q2": s1, "q3": s2}, index=[f"C{i}" for i in range(n)])
    f = clv.migration_forecast(frame, horizon=3, min_group_size=5)
    counts = pd.crosstab(np.r_[s0, s1], np.r_[s1, s2]).reindex(index=range(k), columns=range(k), fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    assert (f.counts.to_numpy(dtype=np.int64) == counts.to_numpy()).all()
    np.testing.assert_allclose(f.shares.to_numpy(dtype=np.float64), shares.to_numpy(), rtol=1e-12)
    mix0 = np.bincount(s2, minlength=k) / n
    np.testing.assert_allclose(f.mix.loc[0], mix0, rtol=1e-12)
    np.testing.assert_allclose(f.mix.loc[3], mix0 @ np.linalg.matrix_power(shares.to_numpy(), 3), rtol=1e-9)
    np.testing.assert_allclose(f.next_probabilities.to_numpy(), shares.to_numpy()[s2], rtol=1e-12)
    assert list(f.next_probabilities.index[:2]) == ["C0", "C1"]
    # polars columns and a list of arrays give the same forecast.
    pl = pytest.importorskip("polars")
    g = clv.migration_forecast(pl.from_pandas(frame), horizon=3, min_group_size=5)
    h = clv.migration_forecast([s0, s1, s2], horizon=3, min_group_size=5)
    for other in (g, h):
        pd.testing.assert_frame_equal(other.counts, f.counts)
        np.testing.assert_array_equal(other.mix.to_numpy(), f.mix.to_numpy())


def test_migration_forecast_hides_small_counts():
    before = np.array([0] * 40 + [1] * 40)
    after = before.copy()
    after[:3] = 1  # three customers move 0 -> 1
    f = clv.migration_forecast([before, after], min_group_size=10)
    assert pd.isna(f.counts.loc[0, 1]) and pd.isna(f.shares.loc[0, 1])
    # Its complement would give it away (40 - 37): hidden too.
    assert pd.isna(f.counts.loc[0, 0])
    # Customers' own probabilities still use the full matrix.
    assert f.next_probabilities.iloc[3].tolist() == pytest.approx([37 / 40, 3 / 40])
    assert f.next_probabilities.iloc[0].tolist() == pytest.approx([0.0, 1.0])
    with pytest.raises(SegcoreError, match="snapshots"):
        clv.migration_forecast([before], min_group_size=1)


# --- the Segmenter's value features ------------------------------------------------------------


@pytest.fixture(scope="module")
def value_model(b2b):
    customers, transactions, _ = b2b
    model = segcore.Segmenter(4, value=True, min_group_size=5, progress=False)
    return model.fit(customers, transactions)


def test_segmenter_value_features_match_the_clv_models(b2b, value_model):
    customers, transactions, _ = b2b
    model = value_model
    for column in ("probability_alive", "expected_purchases", "clv"):
        assert column in model.feature_names_in_
    table = model.segment_value_
    assert list(table.index) == [0, 1, 2, 3]
    # The core's models equal fitting segcore.clv on clv_summary by hand (weeks, observation end
    # = the last transaction day).
    summary = clv.clv_summary(transactions, freq="W")
    bg = clv.BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])
    for key, value in bg.params_.items():
        assert table.attrs["beta_geo"][key] == pytest.approx(value, rel=1e-8)
    per_customer = model.customer_value(customers, transactions).set_index("customer_id")
    alive = bg.probability_alive(summary["frequency"], summary["recency"], summary["T"])
    np.testing.assert_allclose(per_customer.loc[summary.index, "probability_alive"], alive, rtol=1e-8)
    # The segment table equals segment_value on the per-customer values and the labels.
    has = per_customer["clv"].notna().to_numpy()
    again = clv.segment_value(model.labels_[has], per_customer["clv"].to_numpy()[has],
                              per_customer["probability_alive"].to_numpy()[has], n_segments=4,
                              min_group_size=5)
    pd.testing.assert_frame_equal(table.drop(columns="name"), again, check_dtype=False)
    oracle = _value_oracle(model.labels_[has], per_customer["clv"].to_numpy()[has],
                           per_customer["probability_alive"].to_numpy()[has], 0.5)
    for s in range(4):
        if not pd.isna(table.loc[s, "total_clv"]):
            assert table.loc[s, "total_clv"] == pytest.approx(oracle.loc[s, "total_clv"], rel=1e-9)
    # Names say value and risk; the summary prints the section.
    assert all(" value, " in name for name in model.segment_names_)
    assert "Value and churn risk" in model.summary()
    import json

    profile = json.loads(model._model.profile_json)
    assert "clv" in [c["column"] for c in profile["numeric"]]
    # The profile's lifecycle mix uses the stages by P(alive).
    mix = [b for b in profile["behaviour"] if b["column"] == "lifecycle_stage"]
    assert mix and set(mix[0]["categories"]) <= {"prospect", "new", "active", "at risk", "lapsed", "churned"}


def test_segmenter_value_survives_save_pickle_and_predicts_new_customers(b2b, value_model, tmp_path):
    customers, transactions, _ = b2b
    model = value_model
    path = tmp_path / "model.json"
    model.save(path)
    loaded = segcore.Segmenter.load(path)
    assert loaded.value["features"] == ["probability_alive", "expected_purchases", "clv"]
    assert loaded.value["freq"] == "W" and loaded.value["names"] == "qualify"
    assert loaded.segment_names_ == model.segment_names_
    pd.testing.assert_frame_equal(loaded.segment_value_, model.segment_value_)
    jsonschema = pytest.importorskip("jsonschema")
    import json
    from pathlib import Path

    schema_path = Path(__file__).resolve().parents[2] / "docs" / "segmenter-model.schema.json"
    jsonschema.validate(json.loads(model.to_json()), json.loads(schema_path.read_text()))
    clone = pickle.loads(pickle.dumps(model))
    a = model.predict(customers, transactions)
    for other in (loaded, clone):
        pd.testing.assert_frame_equal(other.predict(customers, transactions), a)
    # A few customers scored alone with the whole log: the same segments and values.
    few = customers.iloc[:7]
    assert (model.predict(few, transactions)["segment"].to_numpy() == a["segment"].to_numpy()[:7]).all()
    np.testing.assert_array_equal(
        model.customer_value(few, transactions)["clv"].to_numpy(),
        model.customer_value(customers, transactions)["clv"].to_numpy()[:7],
    )


def test_segmenter_value_options_and_bad_settings(b2b):
    customers, transactions, _ = b2b
    model = segcore.Segmenter(
        3, value={"features": [], "names": "replace", "freq": "D", "horizon": 90}, progress=False
    ).fit(customers, transactions)
    assert "clv" not in model.feature_names_in_
    assert all(n.split(" (")[0] in {f"{t} value, {r}" for t in ("High", "Mid", "Low") for r in ("at risk", "active")}
               for n in model.segment_names_), model.segment_names_
    with pytest.raises(SegcoreError, match="transaction log"):
        segcore.Segmenter(3, value=True, progress=False).fit(customers)
    with pytest.raises(SegcoreError, match="horizn"):
        segcore.Segmenter(3, value={"horizn": 3}, progress=False).fit(customers, transactions)
    with pytest.raises(SegcoreError, match="value.lapse_threshold"):
        segcore.Segmenter(3, value={"lapse_threshold": 2}, progress=False).fit(customers, transactions)
    with pytest.raises(SegcoreError, match="value"):
        segcore.Segmenter(3, value={"features": ["nope"]}, progress=False).fit(customers, transactions)
    plain = segcore.Segmenter(3, progress=False).fit(customers, transactions)
    assert plain.segment_value_ is None
    with pytest.raises(SegcoreError, match="value features"):
        plain.customer_value(customers, transactions)


def test_segmenter_value_with_all_customers_without_repeat_purchases_is_a_clear_error(b2b):
    customers, transactions, _ = b2b
    first = transactions.sort_values("date").groupby("customer_id", as_index=False).head(1)
    first = first.assign(date=first["date"].min())
    with pytest.raises(SegcoreError, match="no customer has a repeat purchase"):
        segcore.Segmenter(3, value=True, progress=False).fit(customers, first)


# --- bad input (the list), for every model ---------------------------------------------


@pytest.mark.parametrize("model", [clv.BetaGeo, clv.ParetoNBD])
def test_purchase_models_refuse_bad_histories_with_clear_messages(model):
    with pytest.raises(segcore.exceptions.DataError, match="recency 5 is larger than T 4"):
        model().fit([1, 2], [1, 5], [3, 4])
    with pytest.raises(segcore.exceptions.DataError, match="frequency -1 is negative"):
        model().fit([1, -1], [1, 0], [3, 4])
    with pytest.raises(SegcoreError, match="two customers or more"):
        model().fit([2], [1], [3])
    with pytest.raises(segcore.exceptions.DataError, match="no customer has a repeat purchase"):
        model().fit([0, 0, 0], [0, 0, 0], [3, 4, 5])


def test_gamma_gamma_spend_errors_and_exclusion_count():
    with pytest.raises(segcore.exceptions.DataError, match="monetary_value 0 is not positive"):
        clv.GammaGamma().fit([1, 2, 3], [10.0, 0.0, 5.0])
    with pytest.raises(segcore.exceptions.DataError, match="frequency 0"):
        clv.GammaGamma().fit([1, 0, 3], [10.0, 0.0, 5.0])
    # Exclusion on request leaves one customer: an error that says how many were excluded.
    with pytest.raises(SegcoreError, match=r"got 1 \(2 excluded\)"):
        clv.GammaGamma(on_invalid="exclude").fit([1, 0, 2], [10.0, 0.0, -3.0])
