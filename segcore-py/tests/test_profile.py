"""segcore.profile / explain / migration / segment_rules / plot: figures against pandas and
scikit-learn on the same inputs, names on the synthetic base, the Wholesale structure, privacy,
bad input."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import polars as pl
import pytest
from conftest import require_data
from sklearn.metrics import adjusted_rand_score

import segcore
from segcore.exceptions import ColumnError, ColumnTypeError, DataError, InvalidParameterError


@pytest.fixture(scope="module")
def b2b():
    customers, transactions, truth = segcore.datasets.make_b2b(2000, random_state=0)
    _, model_input = segcore.segmentation_features(customers, transactions)
    x = segcore.StandardScaler().fit_transform(model_input)
    km = segcore.KMeans(n_clusters=5, n_init=10, random_state=0).fit(x)
    behaviour = segcore.behaviour_features(
        transactions, customers, margin="margin", product_category="product_category"
    )
    data = pd.concat(
        [customers.drop(columns="customer_id").reset_index(drop=True), behaviour.reset_index(drop=True)],
        axis=1,
    )
    return data, km, x, truth


@pytest.fixture(scope="module")
def b2b_profile(b2b):
    data, km, _, _ = b2b
    return segcore.profile(data, km.labels_, revenue="monetary", margin="margin")


def test_figures_match_pandas(b2b, b2b_profile):
    data, km, _, _ = b2b
    labels = pd.Series(km.labels_)
    numeric = b2b_profile.numeric.set_index(["segment", "column"])
    for column in ["monetary", "frequency", "annual_revenue_eur"]:
        grouped = data[column].groupby(labels)
        for segment, values in grouped:
            row = numeric.loc[(segment, column)]
            assert row["count"] == values.count()
            np.testing.assert_allclose(row["mean"], values.mean(), rtol=1e-12)
            np.testing.assert_allclose(row["std"], values.std(), rtol=1e-10)
            np.testing.assert_allclose(
                [row["q1"], row["median"], row["q3"]], values.quantile([0.25, 0.5, 0.75]).to_numpy(), rtol=1e-12
            )
            expected_d = (values.mean() - data[column].mean()) / data[column].std()
            np.testing.assert_allclose(row["effect_size"], expected_d, rtol=1e-9)
    segments = b2b_profile.segments
    np.testing.assert_array_equal(segments["size"].to_numpy(), np.bincount(km.labels_))
    revenue = data["monetary"].fillna(0.0)
    expected_share = revenue.groupby(labels).sum() / revenue.sum()
    np.testing.assert_allclose(segments["revenue_share"].to_numpy(), expected_share.to_numpy(), rtol=1e-12)
    categorical = b2b_profile.categorical.set_index(["segment", "column", "category"])
    # Shares are over all of a segment's customers (missing values included in the denominator).
    industry = data["industry"].groupby(labels).value_counts() / pd.Series(labels).value_counts()
    base = data["industry"].value_counts() / len(data)
    for (segment, category), share in industry.items():
        row = categorical.loc[(segment, "industry", category)]
        if row["count"] is None or pd.isna(row["count"]):
            continue  # suppressed (fewer than 10 customers, or a complement)
        np.testing.assert_allclose(row["share"], share, rtol=1e-12)
        np.testing.assert_allclose(row["lift"], share / base[category], rtol=1e-12)


def test_names_match_the_generator_themes(b2b, b2b_profile):
    _, km, _, truth = b2b
    words = {
        "premium_partners": "premium",
        "volume_customers": "volume",
        "innovation_drivers": "innovation",
        "occasional_buyers": "occasional",
        "lapsed_customers": "lapsed",
    }
    majority = pd.crosstab(km.labels_, truth).idxmax(axis=1)
    for segment, name in b2b_profile.names.items():
        assert words[majority[segment]] in name.lower(), (segment, name, majority[segment])
    assert len(set(b2b_profile.names.values())) == 5
    german = segcore.profile(b2b[0], km.labels_, revenue="monetary", lang="de")
    assert "Premium-Partner" in german.names.values()
    assert "Abgewanderte Kunden" in german.names.values()
    renamed = segcore.profile(b2b[0], km.labels_, names={int(km.labels_[0]): "Key accounts"})
    assert renamed.names[int(km.labels_[0])] == "Key accounts"


def test_reports_and_pickle(b2b_profile):
    document = json.loads(b2b_profile.to_json())
    assert document["min_group_size"] == 10
    assert b2b_profile.to_markdown().startswith("# Segment profile")
    html = b2b_profile.to_html()
    assert "<svg" in html and "http" not in html and "<script" not in html
    assert "<table" in b2b_profile._repr_html_()
    again = pickle.loads(pickle.dumps(b2b_profile))
    assert again.to_json() == b2b_profile.to_json()
    pd.testing.assert_frame_equal(again.segments, b2b_profile.segments)


def test_polars_and_string_labels_and_suppression():
    rng = np.random.default_rng(0)
    n = 300
    frame = pl.DataFrame(
        {
            "revenue": rng.lognormal(8, 1, n),
            "channel": rng.choice(["EDI", "web", "field"], n, p=[0.5, 0.47, 0.03]).tolist(),
            "orders": rng.integers(1, 50, n),
        }
    )
    labels = np.where(np.arange(n) < 150, "a", np.where(np.arange(n) < 295, "b", "tiny"))
    p = segcore.profile(frame, labels, revenue="revenue", min_group_size=10)
    segments = p.segments
    assert list(segments.index) == ["a", "b", "tiny"]
    assert segments.loc["tiny", "suppressed"] and pd.isna(segments.loc["tiny", "size"])
    cat = p.categorical
    counts = cat["count"].dropna()
    assert ((counts == 0) | (counts >= 10)).all(), "no published cell describes 1 to 9 customers"
    field = cat[(cat["segment"] == "a") & (cat["category"] == "field")]
    true_count = int(((labels == "a") & (frame["channel"].to_numpy() == "field")).sum())
    if 0 < true_count < 10:
        assert pd.isna(field["count"].iloc[0])
    # Complementary suppression: a printed segment never has exactly one hidden cell (its size
    # minus the printed cells would give it away).
    for label in ["a", "b"]:
        hidden = cat[(cat["segment"] == label)]["count"].isna().sum()
        assert hidden != 1, cat[cat["segment"] == label]
    assert any("tiny" in w or "2" in w for w in p.warnings)


def test_behaviour_mix_of_rfm_and_lifecycle_columns(b2b):
    customers, transactions, _ = segcore.datasets.make_b2b(2000, random_state=0)
    _, km, _, _ = b2b
    rfm = segcore.rfm(transactions, customers)
    stages = segcore.lifecycle_stages(transactions, customers)
    data = pd.DataFrame(
        {"segment": rfm["segment"].to_numpy(), "lifecycle_stage": stages.to_numpy(), "monetary": rfm["monetary"].to_numpy()}
    )
    p = segcore.profile(data, km.labels_, revenue="monetary")
    mix = p.behaviour
    assert set(mix["kind"]) == {"rfm", "lifecycle"}
    assert set(mix["column"]) == {"segment", "lifecycle_stage"}
    # Oracle: pandas crosstab shares (over all of a segment's customers) and lift vs the base.
    for column in ["segment", "lifecycle_stage"]:
        values = data[column].astype(str)
        shares = pd.crosstab(km.labels_, values, normalize="index")
        base = values.value_counts(normalize=True)
        rows = mix[(mix["column"] == column) & mix["share"].notna()]
        assert len(rows) > 0
        for _, row in rows.iterrows():
            expected = shares.loc[row["segment"], row["category"]]
            assert row["share"] == pytest.approx(expected, rel=1e-12)
            if pd.isna(row["base_share"]):  # the base count is hidden (a complement): no lift
                assert pd.isna(row["lift"])
            else:
                assert row["lift"] == pytest.approx(expected / base[row["category"]], rel=1e-12)
    assert mix.groupby(["column", "segment"])["dominant"].sum().le(1).all()
    assert "Behaviour mix" in p.to_markdown() and "Lifecycle stages" in p.to_html()
    assert "Verhaltensmix" in segcore.profile(data, km.labels_, lang="de").to_markdown()
    # Without such columns the section is empty (an empty frame with the columns).
    plain = segcore.profile(data[["monetary"]], km.labels_)
    assert plain.behaviour.empty and "share" in plain.behaviour.columns


def test_fairness_warns_on_skewed_sensitive_column():
    n = 400
    labels = np.repeat([0, 1], n // 2)
    legal_form = np.where(np.arange(n) < 180, "GmbH", "AG")
    frame = pd.DataFrame({"legal_form": legal_form, "x": np.arange(n, dtype=float)})
    p = segcore.profile(frame, labels, sensitive="legal_form")
    fairness = p.fairness
    assert fairness["warning"].any()
    assert any("legal_form" in w for w in p.warnings)
    with pytest.raises(InvalidParameterError, match="missing values"):
        segcore.profile(frame.assign(legal_form=frame["legal_form"].where(np.arange(n) != 5)), labels, sensitive="legal_form")


def test_wholesale_retail_over_represented_in_grocery_segment():
    path = require_data("wholesale_customers/wholesale_customers.csv")
    frame = pd.read_csv(path)
    frame["Channel"] = frame["Channel"].map({1: "Horeca", 2: "Retail"})
    frame["Region"] = frame["Region"].map({1: "Lisbon", 2: "Oporto", 3: "Other"})
    spending = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    x = segcore.StandardScaler().fit_transform(np.log1p(frame[spending].to_numpy(dtype=float)))
    # k = 4: with k = 3 the 3 Retail customers of the low-spend segment force complementary
    # suppression of the high-spend segment's Channel cells (see tests/profile.rs).
    km = segcore.KMeans(n_clusters=4, n_init=10, random_state=0).fit(x)
    p = segcore.profile(frame, km.labels_)
    effects = p.effect_sizes()
    high = (effects["Grocery"] + effects["Detergents_Paper"]).idxmax()
    cat = p.categorical
    retail = cat[(cat["name"] == high) & (cat["column"] == "Channel") & (cat["category"] == "Retail")]
    assert retail["lift"].iloc[0] > 1.5, retail


def test_explain_kmeans(b2b):
    _, km, x, _ = b2b
    row = x[7]
    e = segcore.explain(km, row)
    assert e.segment == km.predict(x[7:8])[0]
    distances = km.transform(x[7:8])[0]
    np.testing.assert_allclose(e.distances, distances, rtol=1e-12)
    assert e.margin == pytest.approx(np.sort(distances)[1] - np.sort(distances)[0])
    contributions = e.contributions
    assert contributions["pull"].sum() == pytest.approx(distances[e.runner_up] ** 2 - distances[e.segment] ** 2)
    assert list(contributions["pull"]) == sorted(contributions["pull"], reverse=True)
    with pytest.raises(DataError):
        segcore.explain(km, row[:3])
    with pytest.raises(segcore.exceptions.NotFittedError):
        segcore.explain(segcore.KMeans(n_clusters=2), row)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_explain_gaussian_mixture_against_scikit_learn(b2b, covariance_type):
    from sklearn.mixture import GaussianMixture as SkMixture

    _, _, x, _ = b2b
    x = x[:, :4]
    gm = segcore.GaussianMixture(n_components=3, covariance_type=covariance_type, random_state=0).fit(x)
    # The oracle: scikit-learn's predict_proba with the same parameters.
    sk = SkMixture(n_components=3, covariance_type=covariance_type)
    sk.weights_, sk.means_, sk.covariances_ = gm.weights_, gm.means_, gm.covariances_
    sk.precisions_cholesky_ = gm.precisions_cholesky_
    proba = sk.predict_proba(x)
    # A customer between two segments (both probabilities well inside (0, 1)).
    order = np.sort(proba, axis=1)
    i = int(np.argmax(np.minimum(order[:, -1], order[:, -2])))
    row = x[i]
    e = segcore.explain(gm, pd.Series(row, index=["a", "b", "c", "d"]))
    assert e.segment == int(np.argmax(proba[i])) == gm.predict(x[i : i + 1])[0]
    np.testing.assert_allclose(e.probabilities, proba[i], rtol=1e-9, atol=1e-12)
    s, r = e.segment, e.runner_up
    assert e.margin == pytest.approx(np.log(proba[i, s] / proba[i, r]), rel=1e-9)
    pulls = e.contributions["pull"]
    assert pulls.sum() + e.baseline_log_odds == pytest.approx(e.margin, rel=1e-9, abs=1e-9)
    # Finite differences of scikit-learn's log-odds along the path from the midpoint of the two
    # means to the customer give each feature's pull (integrated gradients).
    base = 0.5 * (gm.means_[s] + gm.means_[r])

    def log_odds(z):
        p = sk.predict_proba(z)
        return np.log(p[:, s]) - np.log(p[:, r])

    alphas = (np.arange(40) + 0.5) / 40
    path = base + alphas[:, None] * (row - base)
    for j, name in enumerate(["a", "b", "c", "d"]):
        step = np.zeros(4)
        step[j] = 1e-5
        gradient = (log_odds(path + step) - log_odds(path - step)) / 2e-5
        assert pulls[name] == pytest.approx((row[j] - base[j]) * gradient.mean(), rel=1e-4, abs=1e-6)
    assert "log-odds" in segcore.Explanation.__doc__
    with pytest.raises(segcore.exceptions.NotFittedError):
        segcore.explain(segcore.GaussianMixture(n_components=2), row)
    with pytest.raises(TypeError, match="segcore.GaussianMixture"):
        segcore.explain(sk, row)
    with pytest.raises(DataError):
        segcore.explain(gm, row[:3])


def test_migration():
    before = np.array(["premium", "premium", "volume", "lapsed", "volume", "premium"])
    same = segcore.migration(before, before)
    np.testing.assert_array_equal(same.shares.to_numpy(), np.eye(3))
    assert same.stayed_share == 1.0 and same.adjusted_rand_index == 1.0
    after = np.array(["premium", "at risk", "volume", "lapsed", "at risk", "at risk"])
    m = segcore.migration(before, after)
    assert m.counts.loc["premium", "at risk"] == 2
    assert m.stayed_share == pytest.approx(0.5)
    assert m.adjusted_rand_index == pytest.approx(adjusted_rand_score(before, after))
    ids = [f"C{i}" for i in range(6)]
    assert m.movers("premium", "at risk", ids=ids) == ["C1", "C5"]
    pseudonyms = m.movers("premium", "at risk", ids=ids, key=b"0123456789abcdef")
    assert pseudonyms == segcore.pseudonymise(["C1", "C5"], b"0123456789abcdef")
    assert len(pseudonyms[0]) == 32 and "C1" not in pseudonyms[0]
    with pytest.raises(InvalidParameterError, match="from_segment"):
        m.movers("nobody", "volume")
    with pytest.raises(DataError, match="shape mismatch"):
        segcore.migration([0, 1, 2], [0, 1])
    with pytest.raises(InvalidParameterError, match="16 bytes"):
        segcore.pseudonymise(["C1"], b"short")


def test_segment_rules(b2b):
    data, km, _, _ = b2b
    rules = segcore.segment_rules(data, km.labels_, random_state=1)
    assert len(rules) == 5
    assert (rules["precision"] > 0.8).all() and (rules["coverage"] > 0.5).all(), rules
    assert rules["rule"].str.contains(">=|<|=").all()
    pd.testing.assert_frame_equal(rules, segcore.segment_rules(data, km.labels_, random_state=1))


def test_bad_input():
    frame = pd.DataFrame({"x": np.arange(20.0), "c": ["a", "b"] * 10})
    with pytest.raises(DataError, match="shape mismatch"):
        segcore.profile(frame, np.zeros(19, dtype=int))
    with pytest.raises(ColumnError, match="nope"):
        segcore.profile(frame, np.zeros(20, dtype=int), revenue="nope")
    with pytest.raises(ColumnTypeError):
        segcore.profile(frame, np.zeros(20, dtype=int), revenue="c")
    with pytest.raises(InvalidParameterError, match="min_group_size"):
        segcore.profile(frame, np.zeros(20, dtype=int), min_group_size=0)
    with pytest.raises(InvalidParameterError, match="lang"):
        segcore.profile(frame, np.zeros(20, dtype=int), lang="fr")
    with pytest.raises(DataError, match="missing"):
        segcore.profile(frame, np.where(np.arange(20) < 10, 0.0, np.nan))
    with pytest.raises(TypeError):
        segcore.profile(np.ones((20, 2)), np.zeros(20, dtype=int))


def test_plot():
    plt = pytest.importorskip("matplotlib.pyplot")
    import matplotlib

    matplotlib.use("Agg")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"revenue": rng.lognormal(8, 1, 1000), "orders": rng.poisson(10, 1000).astype(float)})
    labels = (frame["revenue"] > frame["revenue"].median()).astype(int).to_numpy()
    p = segcore.profile(frame, labels, revenue="revenue")
    ax = segcore.plot.heatmap(p)
    assert ax.get_title()
    ax = segcore.plot.lorenz(p)
    assert len(ax.get_lines()) >= 2
    plt.close("all")


def test_plot_without_matplotlib(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        segcore.plot.heatmap(None)


def _differencing_attack(p, n_customers: int, min_group_size: int) -> None:
    """An attacker who combines every published additive figure with the base's: what the hidden
    segments hold together must describe at least `min_group_size` customers (or nobody)."""
    data = p.data
    published_sizes = [s["size"] for s in data["segments"] if s["size"] is not None]
    hidden_customers = n_customers - sum(published_sizes)
    assert hidden_customers == 0 or hidden_customers >= min_group_size, ("sizes", hidden_customers)
    for column in data["numeric"]:
        base = column["base"]
        if base is None:
            continue
        published = [c["summary"] for c in column["segments"] if c["summary"] is not None]
        hidden_count = base["count"] - sum(s["count"] for s in published)
        assert hidden_count == 0 or hidden_count >= min_group_size, (column["column"], hidden_count)
        if 0 < hidden_count:
            # What the attacker learns is the mean of a group, not of the small segment.
            hidden_sum = base["mean"] * base["count"] - sum(s["mean"] * s["count"] for s in published)
            assert np.isfinite(hidden_sum / hidden_count)
    values = [s["value"] for s in data["segments"] if s["value"] is not None]
    if data["revenue_column"] is not None and len(values) < len(data["segments"]):
        hidden_segments = [s for s in data["segments"] if s["value"] is None]
        assert len(hidden_segments) >= 2 or hidden_customers >= min_group_size


def test_hidden_segment_cannot_be_recovered_by_differencing():
    """Wholesale, min_group_size=10, 3 customers forming their own segment: their mean spending
    used to follow from the overall mean and the other segments' sizes and means."""
    frame = pd.read_csv(require_data("wholesale_customers/wholesale_customers.csv"))
    spend = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    labels = (frame["Region"].to_numpy() - 1).astype(np.int64)
    top3 = np.argsort(-frame["Fresh"].to_numpy())[:3]
    labels[top3] = 3
    frame["revenue"] = frame[spend].sum(axis=1).astype(float)
    p = segcore.profile(frame[spend + ["revenue"]], labels, revenue="revenue", min_group_size=10)
    segments = p.segments
    assert segments.loc[3, "suppressed"]
    # The smallest other segment is hidden with it, and says why.
    assert segments["suppressed"].sum() == 2, segments
    assert any("suppressed as well" in w for w in p.warnings), p.warnings
    _differencing_attack(p, len(frame), 10)
    # The exact mean of the 3 is no longer derivable: the attacker's figure is a group's mean.
    numeric = p.numeric
    fresh = numeric[numeric["column"] == "Fresh"]
    published = fresh.dropna(subset=["mean"])
    base_total = frame["Fresh"].sum()
    derived = (base_total - (published["mean"] * published["count"]).sum()) / (len(frame) - published["count"].sum())
    assert derived != pytest.approx(frame["Fresh"].to_numpy()[top3].mean(), rel=1e-9)


def test_differencing_attack_on_random_partitions():
    rng = np.random.default_rng(7)
    for trial in range(30):
        n = int(rng.integers(20, 300))
        k = int(rng.integers(2, 7))
        labels = rng.integers(0, k, size=n)
        # One to three tiny segments.
        for tiny in range(int(rng.integers(1, 4))):
            labels[rng.choice(n, size=int(rng.integers(1, 9)), replace=False)] = k + tiny
        x = rng.normal(size=(n, 2))
        x[rng.random(size=(n, 2)) < 0.1] = np.nan
        frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "revenue": rng.gamma(2.0, 10.0, size=n)})
        m = int(rng.integers(5, 15))
        p = segcore.profile(frame, labels, revenue="revenue", min_group_size=m)
        _differencing_attack(p, n, m)


def test_migration_counts_under_a_minimum_group_size():
    before = np.array([0] * 33 + [1] * 40 + [2] * 50)
    after = np.array([0] * 30 + [1] * 3 + [1] * 40 + [2] * 50)
    m = segcore.migration(before, after, min_group_size=10)
    counts = m.counts
    assert pd.isna(counts.loc[0, 1])
    assert counts.loc[2, 2] == 50
    transitions = m.transitions
    assert list(transitions.columns) == ["before", "after", "count", "share_of_before"]
    assert transitions["count"].isna().sum() >= 2
    # Unprotected analysis keeps every count.
    assert segcore.migration(before, after).counts.loc[0, 1] == 3
    with pytest.raises(InvalidParameterError, match="min_group_size"):
        segcore.migration(before, after, min_group_size=0)


def test_migration_with_many_distinct_labels_is_sparse():
    # 100,000 distinct labels each side: a dense matrix would need 80 GB.
    before = np.arange(100_000)
    after = (before * 7919) % 100_000
    m = segcore.migration(before, after)
    assert len(m.transitions) == 100_000
    with pytest.raises(DataError, match="transitions"):
        m.counts


def test_profile_segments_with_a_huge_label_raises_instead_of_allocating():
    x = np.array([[1.0], [2.0]])
    with pytest.raises(InvalidParameterError, match="n_segments"):
        segcore.profile_segments(x, np.array([0, 10**9]))


def test_revenue_and_margin_given_as_values_are_added_as_columns():
    frame = pd.DataFrame({"revenue": np.arange(20.0), "c": ["a", "b"] * 10})
    labels = [0, 1] * 10
    given = segcore.profile(frame, labels, revenue=np.arange(20.0) * 2, margin=[1.0] * 20, min_group_size=1)
    # A name in use gets '_' appended; the values are profiled as that column.
    assert given.numeric["column"].unique().tolist() == ["revenue", "revenue_", "margin"]
    named = segcore.profile(frame.assign(revenue_=np.arange(20.0) * 2, margin=1.0), labels, revenue="revenue_",
                            margin="margin", min_group_size=1)
    pd.testing.assert_series_equal(given.segments["revenue_share"], named.segments["revenue_share"])
    pd.testing.assert_series_equal(given.segments["margin_share"], named.segments["margin_share"])
