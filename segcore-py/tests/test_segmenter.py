"""segcore.Segmenter: the one-liner on the synthetic B2B base against its ground truth
(scikit-learn's adjusted_rand_score), pandas/polars parity, predictions for new customers,
persistence (pickle, joblib, save/load, another process, the Rust service, the JSON Schema),
corrupted documents, and scikit-learn conventions (clone, Pipeline, GridSearchCV)."""

from __future__ import annotations

import html
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import segcore
from segcore.exceptions import ColumnError, InvalidParameterError, ModelFormatError, NotFittedError

REPO_ROOT = Path(__file__).resolve().parents[2]
THEMES = {
    "premium_partners": "Premium",
    "volume_customers": "Volume",
    "innovation_drivers": "Innovation",
    "occasional_buyers": "Occasional",
    "lapsed_customers": "Lapsed",
}


@pytest.fixture(scope="module")
def base():
    return segcore.datasets.make_b2b(2000, random_state=0)


@pytest.fixture(scope="module")
def one_liner(base):
    customers, transactions, _ = base
    return segcore.Segmenter(progress=False).fit(customers, transactions)


@pytest.fixture(scope="module")
def small():
    return segcore.datasets.make_b2b(400, random_state=3)


@pytest.fixture(scope="module")
def small_model(small):
    customers, transactions, _ = small
    return segcore.Segmenter(n_clusters=5, progress=False).fit(customers, transactions)


def to_polars(frame: pd.DataFrame):
    """The frame as polars without pyarrow: categoricals as strings (None = missing)."""
    pl = pytest.importorskip("polars")
    columns = {}
    for name in frame.columns:
        series = frame[name]
        if isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == object:
            columns[name] = pl.Series(name, [None if pd.isna(v) else str(v) for v in series], dtype=pl.Utf8)
        else:
            columns[name] = pl.Series(name, series.to_numpy())
    return pl.DataFrame(columns)


def assert_same_assignments(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    for column in a.columns:
        left, right = a[column].to_numpy(), b[column].to_numpy()
        if left.dtype.kind == "f":
            np.testing.assert_array_equal(left, right)  # bit-identical, NaN where both are NaN
        else:
            assert left.tolist() == right.tolist(), column


# --- the one-liner ---------------------------------------------------------------------------


def test_one_liner_recovers_the_truth_and_names_the_themes(base, one_liner):
    from sklearn.metrics import adjusted_rand_score

    customers, _, truth = base
    model = one_liner
    assert 4 <= model.n_clusters_ <= 8
    assert model.selection_ is not None and model.selection_.attrs["recommended_k"] == model.n_clusters_
    assert list(model.selection_.index) == [4, 5, 6, 7, 8]
    ari = adjusted_rand_score(truth.to_numpy(), model.labels_)
    assert ari >= 0.8, f"ARI {ari:.3f} with k = {model.n_clusters_}"
    assert len(model.labels_) == len(customers)
    assert len(set(model.segment_names_)) == model.n_clusters_
    # Each true segment's customers mostly land in a segment named after its theme.
    crosstab = pd.crosstab(truth.to_numpy(), model.labels_)
    for segment, theme in THEMES.items():
        dominant = int(crosstab.loc[segment].idxmax())
        assert theme in model.segment_names_[dominant], (segment, model.segment_names_)


def test_fitted_attributes_are_readable(one_liner):
    model = one_liner
    names_in = list(model.feature_names_in_)
    assert "recency_days" in names_in and "monetary" in names_in and "industry" in names_in
    assert "customer_id" not in names_in
    assert model.n_features_in_ == len(names_in)
    out = model.get_feature_names_out()
    assert model.cluster_centers_.shape == (model.n_clusters_, len(out))
    text = str(model.spec_)
    assert "recency_days" in text and "industry" in text
    assert [c["column"] for c in model.spec_.columns] == names_in
    assert isinstance(model.select_k_, segcore.SelectKResult)
    assert html.escape(model.select_k_.reason) in model._repr_html_()
    profile = model.profile()
    assert isinstance(profile, segcore.Profile)
    assert list(profile.segments["name"]) == model.segment_names_
    assert profile.segments["size"].sum() == len(model.labels_)
    assert "<html" in profile.to_html().lower()
    page = model._repr_html_()
    for name, size in zip(profile.segments["name"], profile.segments["size"]):
        assert f"<b>{name}</b>" in page.replace("&amp;", "&") and f"<td>{size}</td>" in page
    assert "column spec" in page
    summary = model.summary()
    assert summary.startswith(f"Segmenter: {model.n_clusters_} segments") and text in summary
    assert all(name in summary for name in model.segment_names_)
    bundle = model._repr_mimebundle_()
    assert bundle["text/html"] == page


def test_figures_of_a_fitted_segmenter(base, one_liner):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    customers, transactions, _ = base
    model = one_liner
    figure = segcore.plot.criteria(model)
    assert str(model.n_clusters_) in figure._suptitle.get_text()
    ax = segcore.plot.heatmap(model)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    # Labels, not column names (a channel's own name, e.g. "web_shop", may keep its underscore).
    assert "recency_days" not in ticks and "monetary" not in ticks, ticks
    assert segcore.feature_label("recency_days") in ticks and segcore.feature_label("monetary") in ticks
    x = model.transform(customers, transactions)
    assert x.shape == (len(customers), len(model.get_feature_names_out()))
    ax = segcore.plot.pca_scatter(x, model.labels_, centers=model.cluster_centers_, names=model.segment_names_)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == model.segment_names_ + ["centroids"]
    plt.close("all")
    fixed = segcore.Segmenter(n_clusters=3)
    with pytest.raises(ValueError, match="n_clusters=None"):
        segcore.plot.criteria(fixed)


# --- inputs and outputs ----------------------------------------------------------------------


def test_predict_on_training_data_gives_the_training_labels(small, small_model):
    customers, transactions, _ = small
    assigned = small_model.predict(customers, transactions)
    assert list(assigned.columns) == ["customer_id", "segment", "name", "reason", "extreme"]
    assert assigned.index.equals(customers.index)
    assert assigned["customer_id"].tolist() == customers["customer_id"].tolist()
    assert assigned["segment"].to_numpy(dtype=np.int64).tolist() == small_model.labels_.tolist()
    assert assigned["name"].tolist() == [small_model.segment_names_[s] for s in small_model.labels_]
    assert assigned["reason"].isna().all()


def as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """pandas Categoricals declare a category order that polars strings do not have: compare
    like with like (plain strings on both sides)."""
    return frame.assign(**{c: frame[c].astype(object).where(frame[c].notna(), None)
                           for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})


def test_pandas_and_polars_give_identical_results(small, small_model):
    customers, transactions, _ = small
    customers, transactions = as_strings(customers), as_strings(transactions)
    pandas_model = segcore.Segmenter(n_clusters=5, progress=False).fit(customers, transactions)
    assert pandas_model.labels_.tolist() == small_model.labels_.tolist()
    pl_customers, pl_transactions = to_polars(customers), to_polars(transactions)
    model = segcore.Segmenter(n_clusters=5, progress=False).fit(pl_customers, pl_transactions)
    assert model.labels_.tolist() == pandas_model.labels_.tolist()
    assert model.segment_names_ == pandas_model.segment_names_
    np.testing.assert_array_equal(model.cluster_centers_, pandas_model.cluster_centers_)
    assert model.to_json() == pandas_model.to_json()
    out = model.predict(pl_customers, pl_transactions)
    assert type(out).__module__.startswith("polars")
    expected = pandas_model.predict(customers, transactions)
    got = pd.DataFrame({c: out.get_column(c).to_list() for c in out.columns})
    assert list(got.columns) == list(expected.columns)
    assert got["segment"].tolist() == expected["segment"].astype(int).tolist()
    assert got["name"].tolist() == expected["name"].tolist()
    assert got["customer_id"].tolist() == expected["customer_id"].tolist()
    assert got["reason"].tolist() == expected["reason"].tolist()


def test_new_customers_get_one_row_each_with_reasons(small, small_model):
    customers, transactions, _ = segcore.datasets.make_b2b(150, random_state=11)
    customers = customers.copy()
    customers.index = pd.RangeIndex(1000, 1150)
    # A customer without a single order is still assigned (its behaviour is imputed).
    no_orders = customers["customer_id"].iloc[5]
    transactions = transactions[transactions["customer_id"] != no_orders]
    assigned = small_model.predict(customers, transactions)
    assert len(assigned) == len(customers)
    assert assigned.index.equals(customers.index)
    assert assigned["customer_id"].tolist() == customers["customer_id"].tolist()
    assert assigned.loc[1005, "segment"] is not pd.NA and assigned.loc[1005, "reason"] is None
    # A subset scored with the full log gets the same assignments as within the whole base.
    part = small_model.predict(customers.iloc[:20], transactions)
    assert_same_assignments(part, assigned.iloc[:20])
    # With a spec that does not impute annual revenue, a customer missing it cannot be assigned:
    # its row stays, with the reason.
    train_customers, train_transactions, _ = small
    spec = small_model.spec_.to_dict()
    for column in spec["columns"]:
        if column["column"] == "annual_revenue_eur":
            column["impute"] = None
    filled = train_customers.assign(annual_revenue_eur=train_customers["annual_revenue_eur"].fillna(1e6))
    strict = segcore.Segmenter(n_clusters=3, spec=spec, progress=False).fit(filled, train_transactions)
    assert strict.spec_.to_dict()["columns"] == spec["columns"]
    missing = customers["annual_revenue_eur"].isna().to_numpy()
    assert missing.any()
    out = strict.predict(customers, transactions)
    assert len(out) == len(customers)
    assert out["segment"].isna().to_numpy().tolist() == missing.tolist()
    assert out.loc[missing, "name"].isna().all()
    assert all("annual_revenue_eur" in r for r in out.loc[missing, "reason"])
    assert out.loc[~missing, "reason"].isna().all()
    # An infinite value is refused by the customer table itself: an error naming column and row.
    broken = customers.copy()
    broken.loc[1010, "annual_revenue_eur"] = np.inf
    with pytest.raises(segcore.exceptions.DataError, match=r"annual_revenue_eur.*\(inf\) at row 10"):
        small_model.predict(broken, transactions)


def test_one_customer_scored_alone_gets_its_segment_within_the_base(small, small_model):
    customers, transactions, truth = small
    whole = small_model.predict(customers, transactions)
    lapsed = np.flatnonzero(truth.to_numpy() == "lapsed_customers")[:5]
    alone = [small_model.predict(customers.iloc[[i]], transactions)["segment"].iloc[0] for i in lapsed]
    assert alone == whole["segment"].iloc[lapsed].tolist()


def test_predict_without_a_log_reads_behaviour_columns(small, small_model):
    customers, transactions, _ = small
    behaviour = segcore.behaviour_features(
        transactions, customers, margin="margin", product_category="product_category", channel="channel"
    )
    frame = customers.join(behaviour, on="customer_id")
    without_log = small_model.predict(frame)
    assert without_log["segment"].to_numpy(dtype=np.int64).tolist() == small_model.labels_.tolist()
    # The service path: one record, as a Rust service receives it.
    row = frame.iloc[17]
    record = {name: row[name] for name in small_model.feature_names_in_}
    result = small_model.predict_record(record)
    assert result["segment"] == small_model.labels_[17]
    assert result["name"] == small_model.segment_names_[result["segment"]]
    assert result["probabilities"] is None and result["reason"] is None


def test_mixture_probabilities_and_ward(small):
    customers, transactions, _ = small
    gmm = segcore.Segmenter(n_clusters=4, algorithm="gmm", covariance_type="diag", n_init=1,
                            progress=False).fit(customers, transactions)
    out = gmm.predict(customers, transactions)
    assert list(out.columns) == [
        "customer_id", "segment", "name", *gmm.segment_names_, "uncertainty", "reason", "extreme"
    ]
    probabilities = out[gmm.segment_names_].to_numpy()
    # Soft membership: 1 - max probability per customer, and the profile's count per segment.
    np.testing.assert_allclose(out["uncertainty"], 1 - probabilities.max(axis=1), atol=1e-12)
    membership = gmm.profile().membership
    assert membership is not None and len(membership) == 4
    assert membership.attrs["threshold"] == 0.2
    for segment, row in membership.iterrows():
        if not np.isnan(row["n_uncertain"]):
            mine = out["uncertainty"][out["segment"] == segment]
            assert row["n_uncertain"] == int((mine > 0.2).sum())
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)
    assert (probabilities.argmax(axis=1) == out["segment"].to_numpy(dtype=np.int64)).all()
    # The service path gives the same probabilities, bit for bit.
    behaviour = segcore.behaviour_features(
        transactions, customers, margin="margin", product_category="product_category", channel="channel"
    )
    row = customers.join(behaviour, on="customer_id").iloc[9]
    record = gmm.predict_record({name: row[name] for name in gmm.feature_names_in_})
    assert record["segment"] == out["segment"].iloc[9]
    assert record["probabilities"] == probabilities[9].tolist()
    assert record["uncertainty"] == out["uncertainty"].iloc[9]
    # explain follows the mixture's own rule: its probabilities and the log-odds margin.
    explanation = gmm.explain(customers["customer_id"].iloc[9], customers, transactions)
    assert explanation.segment == out["segment"].iloc[9]
    np.testing.assert_allclose(explanation.probabilities, probabilities[9], rtol=1e-9, atol=1e-12)
    pulls = explanation.contributions["pull"].sum()
    assert pulls + explanation.baseline_log_odds == pytest.approx(explanation.margin, abs=1e-6)
    ward = segcore.Segmenter(n_clusters=4, algorithm="ward", n_components=0.9, progress=False)
    ward.fit(customers, transactions)
    assert ward.get_feature_names_out()[0] == "pc1"
    assert ward.predict(customers, transactions)["segment"].notna().all()


def test_explain_by_id_and_by_row(small, small_model):
    customers, transactions, _ = small
    customer_id = customers["customer_id"].iloc[3]
    explanation = small_model.explain(customer_id, customers, transactions)
    assert isinstance(explanation, segcore.Explanation)
    assert explanation.segment == small_model.labels_[3]
    assert set(explanation.contributions.index) <= set(small_model.get_feature_names_out())
    behaviour = segcore.behaviour_features(
        transactions, customers, margin="margin", product_category="product_category", channel="channel"
    )
    row = customers.join(behaviour, on="customer_id").iloc[3]
    assert small_model.explain(row).data == explanation.data
    with pytest.raises(InvalidParameterError, match="customer"):
        small_model.explain("no-such-id", customers, transactions)


def test_rename_segment_travels_with_the_model(small_model, tmp_path):
    model = pickle.loads(pickle.dumps(small_model))
    old = model.segment_names_[0]
    model.rename_segment(old, "Key accounts")
    assert model.segment_names_[0] == "Key accounts"
    assert model.profile().names[0] == "Key accounts"
    model.save(tmp_path / "renamed.json")
    assert segcore.Segmenter.load(tmp_path / "renamed.json").segment_names_[0] == "Key accounts"
    with pytest.raises(InvalidParameterError, match="name"):
        model.rename_segment(1, "Key accounts")
    assert small_model.segment_names_[0] == old


def test_progress_callable_sees_the_stages(small):
    customers, transactions, _ = small
    seen = []
    segcore.Segmenter(n_clusters=3, progress=lambda stage, fraction: seen.append((stage, fraction))).fit(
        customers, transactions
    )
    stages = [s for s, _ in seen]
    assert "cluster" in stages and "profile" in stages
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and 0.0 <= fractions[0] and fractions[-1] <= 1.0


def test_progress_bar_on_request(small, capsys, monkeypatch):
    customers, transactions, _ = small
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the plain stderr bar, whatever is installed
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    segcore.Segmenter(n_clusters=3, progress=True).fit(customers, transactions)
    assert "Segmenter: 100%" in capsys.readouterr().err
    segcore.Segmenter(n_clusters=3).fit(customers, transactions)  # automatic: quiet in tests
    assert capsys.readouterr().err == ""


def test_predictions_from_many_threads_equal_sequential_ones(small, small_model):
    from concurrent.futures import ThreadPoolExecutor

    customers, transactions, _ = small
    parts = [customers.iloc[i::8] for i in range(8)]
    sequential = [small_model.predict(p, transactions) for p in parts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda p: small_model.predict(p, transactions), parts))
    for a, b in zip(parallel, sequential):
        assert_same_assignments(a, b)


# --- persistence ------------------------------------------------------------------------------


def test_pickle_joblib_and_save_load_round_trips(small, small_model, tmp_path):
    customers, transactions, _ = small
    expected = small_model.predict(customers, transactions)
    state = small_model.__getstate__()
    assert set(state) == {"params", "document"} and isinstance(state["document"], str)
    restored = pickle.loads(pickle.dumps(small_model))
    assert_same_assignments(restored.predict(customers, transactions), expected)
    assert restored.get_params() == small_model.get_params()
    joblib = pytest.importorskip("joblib")
    joblib.dump(small_model, tmp_path / "model.joblib")
    assert_same_assignments(joblib.load(tmp_path / "model.joblib").predict(customers, transactions), expected)
    small_model.save(tmp_path / "model.json")
    loaded = segcore.Segmenter.load(tmp_path / "model.json")
    assert_same_assignments(loaded.predict(customers, transactions), expected)
    assert loaded.n_clusters == 5 and loaded.algorithm == "kmeans"
    assert loaded.to_json() == small_model.to_json()
    unfitted = pickle.loads(pickle.dumps(segcore.Segmenter(n_clusters=3)))
    assert unfitted.n_clusters == 3 and not hasattr(unfitted, "labels_")


def test_a_model_saved_by_another_process_predicts_identically(tmp_path):
    customers, transactions, _ = segcore.datasets.make_b2b(200, random_state=3)
    script = f"""
import json, sys, segcore
customers, transactions, _ = segcore.datasets.make_b2b(200, random_state=3)
model = segcore.Segmenter(n_clusters=4, random_state=5, progress=False).fit(customers, transactions)
model.save(sys.argv[1])
out = model.predict(customers, transactions)
json.dump({{"segment": [int(s) for s in out["segment"]], "name": list(out["name"])}}, open(sys.argv[2], "w"))
"""
    model_path, result_path = tmp_path / "other.json", tmp_path / "other-result.json"
    subprocess.run([sys.executable, "-c", script, str(model_path), str(result_path)], check=True, timeout=120)
    theirs = json.loads(result_path.read_text())
    ours = segcore.Segmenter.load(model_path).predict(customers, transactions)
    assert [int(s) for s in ours["segment"]] == theirs["segment"]
    assert list(ours["name"]) == theirs["name"]


def test_saved_document_matches_the_schema(request, small, small_model):
    schema_path = REPO_ROOT / "docs" / "segmenter-model.schema.json"
    if not schema_path.exists():
        pytest.skip(f"{schema_path} not in this checkout (written by the Rust Segmenter work)")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_path.read_text())
    one_liner = request.getfixturevalue("one_liner")
    customers, transactions, _ = small
    mixture = segcore.Segmenter(n_clusters=3, algorithm="gmm", covariance_type="diag", n_init=1,
                                n_components=4, progress=False).fit(customers, transactions)
    for model in (one_liner, mixture):  # k chosen with its evidence; a mixture after PCA
        jsonschema.validate(json.loads(model.to_json()), schema)
    document = json.loads(small_model.to_json())
    jsonschema.validate(document, schema)
    document["unexpected_field"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_corrupted_documents_raise_model_format_error(small_model):
    document = small_model.to_json()
    for cut in (0, 1, len(document) // 3, len(document) // 2, len(document) - 1):
        with pytest.raises(ModelFormatError):
            segcore.Segmenter.from_json(document[:cut])
    with pytest.raises(ModelFormatError):
        segcore.Segmenter.from_json("not json at all")
    kmeans = segcore.KMeans(2, random_state=0, n_init=1).fit(np.random.default_rng(0).normal(size=(20, 2)))
    with pytest.raises(ModelFormatError):
        segcore.Segmenter.from_json(kmeans._model.to_json())
    parsed = json.loads(document)
    parsed["surprise"] = True
    with pytest.raises(ModelFormatError):
        segcore.Segmenter.from_json(json.dumps(parsed))
    assert issubclass(ModelFormatError, ValueError)


def test_python_and_the_rust_service_assign_identically(small, small_model, tmp_path):
    binary = REPO_ROOT / "target" / "debug" / "examples" / ("assign_service" + (".exe" if os.name == "nt" else ""))
    if not binary.exists():
        pytest.skip(f"{binary} not built (scripts/test-all builds it with `cargo test` before pytest)")
    customers, transactions, _ = small
    behaviour = segcore.behaviour_features(
        transactions, customers, margin="margin", product_category="product_category", channel="channel"
    )
    frame = customers.join(behaviour, on="customer_id")
    model_path = tmp_path / "model.json"
    small_model.save(model_path)
    lines = []
    for _, row in frame.iterrows():
        record = {"id": row["customer_id"]}
        for name in small_model.feature_names_in_:
            value = row[name]
            record[name] = None if pd.isna(value) else (value if isinstance(value, str) else float(value))
        lines.append(json.dumps(record))
    run = subprocess.run([str(binary), str(model_path)], input="\n".join(lines) + "\n", capture_output=True,
                         text=True, timeout=120)
    if run.returncode != 0 and "cannot assign customers" in run.stderr and "segmenter" in run.stderr:
        pytest.skip(f"{binary} predates Segmenter documents (AnyModel without the segmenter kind): rebuild it")
    assert run.returncode == 0, run.stderr
    outputs = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert len(outputs) == len(frame)
    expected = small_model.predict(frame)
    for out, (_, row) in zip(outputs, expected.iterrows()):
        assert out["id"] == row["customer_id"]
        assert out.get("segment") == int(row["segment"]), out
        assert out.get("name") == row["name"]


# --- scikit-learn conventions ----------------------------------------------------------------


def test_clone_params_pipeline_and_grid_search(small):
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    customers, transactions, _ = small
    model = segcore.Segmenter(n_clusters=3, language="de", k_range=range(3, 6))
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    copy.set_params(n_clusters=4)
    assert copy.n_clusters == 4 and model.n_clusters == 3
    pipe = Pipeline([("segments", segcore.Segmenter(n_clusters=3, progress=False))])
    pipe.fit(customers, segments__transactions=transactions)
    assert pipe.named_steps["segments"].n_clusters_ == 3
    # GridSearchCV scores held-out customers by silhouette in the model space (no log needed when
    # the frame holds the behaviour columns).
    behaviour = segcore.behaviour_features(
        transactions, customers, margin="margin", product_category="product_category", channel="channel"
    )
    frame = customers.join(behaviour, on="customer_id")
    search = GridSearchCV(segcore.Segmenter(progress=False), {"n_clusters": [3, 5]}, cv=2)
    search.fit(frame)
    assert search.best_params_["n_clusters"] in (3, 5)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    score = search.best_estimator_.score(frame)
    assert -1.0 <= score <= 1.0


def test_bad_parameters_and_inputs_are_clear_errors(small):
    customers, transactions, _ = small
    cases = [
        (dict(algorithm="dbscan"), "algorithm"),
        (dict(k_range=(8, 4)), r"k_range.*8\.\.=4"),
        (dict(k_range=5), "k_range"),
        (dict(n_components=0), "n_components"),
        (dict(language="fr"), "lang"),
        (dict(n_clusters=-2), "n_clusters"),
        (dict(covariance_type="round", algorithm="gmm"), "covariance_type"),
        (dict(spec=42), "spec"),
        (dict(transaction_columns={"when": "date"}), "transaction_columns"),
    ]
    for params, name in cases:
        with pytest.raises(InvalidParameterError, match=name):
            segcore.Segmenter(progress=False, **params).fit(customers, transactions)
    with pytest.raises(ColumnError, match="customer_id"):
        segcore.Segmenter(customer_id="account").fit(customers, transactions)
    with pytest.raises(TypeError, match="DataFrame"):
        segcore.Segmenter().fit(customers.to_numpy(), transactions)
    with pytest.raises(NotFittedError):
        segcore.Segmenter().predict(customers, transactions)
    renamed = transactions.rename(columns={"amount": "net"})
    with pytest.raises(ColumnError, match="amount"):
        segcore.Segmenter(n_clusters=3, progress=False).fit(customers, renamed)
    model = segcore.Segmenter(n_clusters=3, transaction_columns={"amount": "net"}, progress=False)
    assert model.fit(customers, renamed).n_clusters_ == 3


def test_html_of_a_model_with_a_suppressed_segment(small):
    # Segments below min_group_size have no size or share to show: the summary says so
    # instead of failing on the missing figures.
    customers, transactions, _ = small
    model = segcore.Segmenter(n_clusters=5, min_group_size=100, progress=False).fit(customers, transactions)
    rows = model.profile().data["segments"]
    sizes = [s["size"] for s in rows]
    assert None in sizes, sizes
    page = model._repr_html_()
    assert "suppressed" in page
    for row in rows:
        assert row["name"] in page


def test_a_text_cell_in_a_numeric_column_is_a_clear_error_not_a_silent_drop():
    """ERP exports write "n/a" into numeric columns: pandas reads the column as text."""
    customers, transactions, _ = segcore.datasets.make_b2b(n_customers=300, random_state=3)
    column = "annual_revenue_eur"
    values = customers[column].astype(object)
    values.iloc[17] = "n/a"
    customers[column] = values
    with pytest.raises(segcore.exceptions.ColumnTypeError, match=rf"{column}.*n/a"):
        segcore.Segmenter(random_state=0).fit(customers, transactions)


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_missing_customer_ids_are_an_error_not_the_text_none(missing):
    customers, transactions, _ = segcore.datasets.make_b2b(n_customers=200, random_state=4)
    ids = customers["customer_id"].astype(object)
    ids.iloc[5] = missing
    customers["customer_id"] = ids
    with pytest.raises(segcore.exceptions.InvalidParameterError, match="missing .*customer ids.*row 5"):
        segcore.Segmenter(random_state=0).fit(customers, transactions)
