"""segcore.FeaturePipeline: parity with scikit-learn's encoders, imputer and scalers, the
constant-column and group-weight rules, pandas/polars input, pickling, bad input, and the JSON
document shared with Rust (tests/fixtures/feature_pipeline_v1.json, read by tests/pipeline_json.rs)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import segcore
from segcore.exceptions import ColumnError, ColumnTypeError, DataError, InvalidParameterError, ModelFormatError
from conftest import REPO_ROOT, require_data

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "feature_pipeline_v1.json"


@pytest.fixture(scope="module")
def marketing() -> pd.DataFrame:
    """Kaggle customer personality table: 24 missing incomes, rare marital statuses, constant columns."""
    path = require_data("customer_personality/marketing_campaign.csv")
    return pd.read_csv(path, sep="\t")


def synthetic(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    revenue = rng.lognormal(14, 1.5, n)
    revenue[rng.random(n) < 0.1] = np.nan
    industries = np.array(["food", "auto", "pharma", "retail", "chemicals", "biotech", "mining"])
    industry = industries[np.minimum(rng.geometric(0.45, n) - 1, len(industries) - 1)].astype(object)
    industry[rng.random(n) < 0.05] = None
    size = np.array(["S", "M", "L", "XL"], dtype=object)[rng.integers(0, 4, n)]
    size[rng.random(n) < 0.05] = None
    return pd.DataFrame(
        {
            "annual_revenue_eur": revenue,
            "employees": rng.integers(1, 5000, n).astype(float),
            "industry": industry,
            "size_class": size,
            "country": ["DE"] * n,
            "orders": rng.poisson(3, n).astype(float),
        }
    )


def fit(columns, frame, **kwargs):
    pipe = segcore.FeaturePipeline(columns, **kwargs)
    return pipe, pipe.fit_transform(frame)


# --- parity with scikit-learn -------------------------------------------------------------


@pytest.mark.parametrize("min_frequency", [1, 5, 40, 0.02, 0.1])
def test_one_hot_matches_sklearn_infrequent_if_exist(min_frequency):
    from sklearn.preprocessing import OneHotEncoder

    train, test = synthetic(400, 1), synthetic(100, 2)
    test.loc[:4, "industry"] = "never seen"
    ours, _ = fit([{"column": "industry", "encoding": "one_hot", "min_frequency": min_frequency}], train)
    sk = OneHotEncoder(min_frequency=min_frequency, handle_unknown="infrequent_if_exist", sparse_output=False)
    sk.fit(train[["industry"]])
    for frame in (train, test):
        got = ours.transform(frame)
        expected = sk.transform(frame[["industry"]])
        names = [str(n).replace("infrequent_sklearn", "other").replace("_nan", "_missing")
                 for n in sk.get_feature_names_out()]
        ours_names = list(ours.get_feature_names_out())
        if not names[-1].endswith("_other"):
            # scikit-learn has no infrequent column without rare categories; ours always has
            # one (unseen categories land there instead of in all zeros).
            assert ours_names[-1] == "industry_other"
            if frame is train:
                assert np.all(got[:, -1] == 0)
            else:
                assert np.all(got[:5, -1] == 1) and np.all(expected[:5] == 0)
                expected = expected.copy()
            got = got[:, :-1]
            ours_names = ours_names[:-1]
        assert ours_names == names
        if names[-1].endswith("_other") or frame is train:
            np.testing.assert_array_equal(got, expected)
        else:
            np.testing.assert_array_equal(got[5:], expected[5:])
    unknown = ours.transform_with_report(test)[1]["unknown_categories"]
    assert unknown == {"industry": 5}


def test_one_hot_on_real_rare_categories(marketing):
    from sklearn.preprocessing import OneHotEncoder

    ours, got = fit([{"column": "Marital_Status", "encoding": "one_hot", "min_frequency": 10}], marketing)
    sk = OneHotEncoder(min_frequency=10, handle_unknown="infrequent_if_exist", sparse_output=False)
    expected = sk.fit_transform(marketing[["Marital_Status"]])
    np.testing.assert_array_equal(got, expected)
    assert ours.report_["infrequent_categories"] == [["Marital_Status", ["Absurd", "Alone", "YOLO"]]]
    assert ours.get_feature_names_out()[-1] == "Marital_Status_other"


@pytest.mark.parametrize("strategy", ["median", "most_frequent"])
def test_imputer_with_indicator_matches_simple_imputer(marketing, strategy):
    from sklearn.impute import SimpleImputer

    columns = ["Income", "Recency", "MntWines"]
    specs = [{"column": c, "impute": strategy, "missing_indicator": True, "scaling": "none"} for c in columns]
    ours, got = fit(specs, marketing)
    sk = SimpleImputer(strategy=strategy, add_indicator=True)
    expected = sk.fit_transform(marketing[columns])
    # scikit-learn puts the indicators (only for columns with missing values) after all columns.
    assert list(ours.get_feature_names_out()) == ["Income", "Income_missing", "Recency", "MntWines"]
    np.testing.assert_allclose(got[:, [0, 2, 3]], expected[:, :3], rtol=1e-12, atol=0)
    np.testing.assert_array_equal(got[:, 1], expected[:, 3])
    assert ours.report_["imputed"] == [["Income", 24]]


@pytest.mark.parametrize("quantile_range", [(25.0, 75.0), (10.0, 90.0)])
def test_robust_scaling_matches_sklearn(marketing, quantile_range):
    from sklearn.preprocessing import RobustScaler

    columns = ["MntWines", "MntFruits", "Recency", "Year_Birth", "Complain", "NumWebVisitsMonth"]
    specs = [{"column": c, "scaling": "robust", "quantile_range": quantile_range} for c in columns]
    ours, got = fit(specs, marketing)
    expected = RobustScaler(quantile_range=quantile_range).fit_transform(marketing[columns].astype(float))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    if quantile_range == (25.0, 75.0):
        assert "Complain" in ours.report_["zero_spread_columns"]


def test_standard_scaling_and_log_chain_match_sklearn(marketing):
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    money = ["Income", "MntWines", "MntMeatProducts", "MntGoldProds"]
    specs = [{"column": c, "log1p": True, "impute": "median"} for c in money]
    _, got = fit(specs, marketing)
    sk = make_pipeline(FunctionTransformer(np.log1p), SimpleImputer(strategy="median"), StandardScaler())
    expected = sk.fit_transform(marketing[money].astype(float))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_ordinal_and_winsorizing_match_numpy_and_sklearn(marketing):
    from sklearn.preprocessing import OrdinalEncoder

    order = ["Basic", "2n Cycle", "Graduation", "Master", "PhD"]
    specs = [
        {"column": "Education", "encoding": "ordinal", "order": order, "scaling": "none"},
        {"column": "Income", "impute": "median", "winsorize": (0.01, 0.99), "scaling": "none"},
    ]
    _, got = fit(specs, marketing)
    expected = OrdinalEncoder(categories=[order]).fit_transform(marketing[["Education"]])
    np.testing.assert_array_equal(got[:, 0], expected[:, 0])
    income = marketing["Income"].to_numpy(dtype=float)
    low, high = np.nanquantile(income, [0.01, 0.99])
    clipped = np.clip(income, low, high)
    clipped[np.isnan(clipped)] = np.nanmedian(clipped)
    np.testing.assert_allclose(got[:, 1], clipped, rtol=1e-12)
    assert got[:, 1].max() < 666666  # the outlier is clipped


# --- constant columns, group weights --------------------------------------------------------


def test_constant_columns_dropped_or_kept_at_zero(marketing):
    specs = ["Z_CostContact", "Z_Revenue", "Recency"]
    dropped, got = fit(specs, marketing)
    assert list(dropped.get_feature_names_out()) == ["Recency"]
    assert dropped.report_["constant_columns"] == ["Z_CostContact", "Z_Revenue"]
    kept, got = fit(specs, marketing, constant_columns="keep_as_zero")
    assert got.shape[1] == 3 and np.all(got[:, :2] == 0) and np.isfinite(got).all()


def test_group_weights_give_each_group_its_total_variance():
    frame = synthetic(500, 3)
    specs = [
        {"column": "annual_revenue_eur", "log1p": True, "impute": "median", "group": "behaviour"},
        {"column": "employees", "group": "behaviour"},
        {"column": "orders", "group": "behaviour"},
        {"column": "industry", "encoding": "one_hot", "group": "industry"},
    ]
    pipe, got = fit(specs, frame, groups={"behaviour": 3.0, "industry": 1.0})
    names = list(pipe.get_feature_names_out())
    industry = [i for i, n in enumerate(names) if n.startswith("industry_")]
    assert np.isclose(got[:, :3].var(axis=0).sum(), 3.0, rtol=1e-12)
    assert np.isclose(got[:, industry].var(axis=0).sum(), 1.0, rtol=1e-12)
    assert [g[0] for g in pipe.report_["groups"]] == ["behaviour", "industry"]


# --- input types, scikit-learn integration, persistence ------------------------------------


def test_polars_and_numpy_inputs_match_pandas():
    pl = pytest.importorskip("polars")
    frame = synthetic(200, 4)
    specs = [
        {"column": "annual_revenue_eur", "log1p": True, "impute": "median", "missing_indicator": True},
        {"column": "industry", "encoding": "one_hot", "min_frequency": 5},
        {"column": "size_class", "encoding": "ordinal", "order": ["S", "M", "L", "XL"], "impute": "most_frequent"},
    ]
    _, from_pandas = fit(specs, frame)
    def values(column):
        if not pd.api.types.is_numeric_dtype(frame[column]):  # pandas stores missing strings as NaN
            return [None if isinstance(v, float) else v for v in frame[column]]
        return frame[column].tolist()

    polars_frame = pl.DataFrame({c: values(c) for c in frame.columns})
    assert polars_frame["industry"].null_count() > 0
    _, from_polars = fit(specs, polars_frame)
    np.testing.assert_array_equal(from_pandas, from_polars)
    numeric = frame[["employees", "orders"]].to_numpy()
    _, from_numpy = fit(["x0", "x1"], numeric)
    _, named = fit(["employees", "orders"], frame)
    np.testing.assert_array_equal(from_numpy, named)


def test_sklearn_clone_pipeline_and_pickle():
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

    frame = synthetic(300, 5)
    specs = [
        {"column": "annual_revenue_eur", "log1p": True, "impute": "median"},
        {"column": "industry", "encoding": "one_hot", "min_frequency": 0.05, "group": "industry"},
    ]
    pipe = segcore.FeaturePipeline(specs, groups={"industry": 1.0})
    assert clone(pipe).get_params()["groups"] == {"industry": 1.0}
    model = make_pipeline(pipe, segcore.KMeans(n_clusters=3, random_state=0)).fit(frame)
    labels = model.predict(frame)
    assert labels.shape == (300,)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(frame), labels)
    fitted = model[0]
    again = segcore.FeaturePipeline.from_json(fitted.to_json())
    np.testing.assert_array_equal(again.transform(frame), fitted.transform(frame))
    assert list(again.get_feature_names_out()) == list(fitted.get_feature_names_out())


def test_json_fixture_shared_with_rust():
    """The committed fixture holds what this Python build fits, and it transforms identically.

    tests/pipeline_json.rs loads the same document in Rust and must give `expected` bit for bit.
    """
    document = json.loads(FIXTURE.read_text())
    frame = pd.DataFrame(document["input"]["numeric"])
    for name, values in document["input"]["categorical"].items():
        frame[name] = pd.Series(values, dtype=object)
    refit = segcore.FeaturePipeline(**document["params"]).fit(frame)
    # The fixture predates the shared model envelope: its pipeline carries the former header
    # fields, the refit one sits in the envelope's "model". The statistics must be the same.
    saved = dict(document["pipeline"])
    assert saved.pop("format") == "segcore.FeaturePipeline"
    assert saved.pop("format_version") == 1
    written = json.loads(refit.to_json())
    assert written["kind"] == "feature-pipeline"
    assert written["model"] == saved
    loaded = segcore.FeaturePipeline.from_json(json.dumps(document["pipeline"]))
    np.testing.assert_array_equal(loaded.transform(frame), np.asarray(document["expected"]))


# --- bad input ------------------------------------------------------------------------------


def test_bad_input_raises_the_core_message():
    frame = synthetic(50, 6)
    with pytest.raises(ColumnError, match="unknown column `turnover`"):
        segcore.FeaturePipeline(["turnover"]).fit(frame)
    with pytest.raises(ColumnTypeError, match="column `industry` is categorical, expected numeric"):
        segcore.FeaturePipeline(["industry"]).fit(frame)
    with pytest.raises(DataError, match=r"column `annual_revenue_eur` \(a missing value"):
        segcore.FeaturePipeline(["annual_revenue_eur"]).fit(frame)
    empty = frame.assign(blank=np.nan)
    with pytest.raises(DataError, match="column `blank` has no non-missing value at fit"):
        segcore.FeaturePipeline([{"column": "blank", "impute": "median"}]).fit(empty)
    with pytest.raises(InvalidParameterError, match="`winsorize`"):
        segcore.FeaturePipeline([{"column": "orders", "winsorize": (0.9, 0.1)}]).fit(frame)
    with pytest.raises(InvalidParameterError, match="colum"):
        segcore.FeaturePipeline([{"colum": "orders"}]).fit(frame)
    with pytest.raises(InvalidParameterError, match="`log1p`"):
        segcore.FeaturePipeline([{"column": "industry", "encoding": "one_hot", "log1p": True}]).fit(frame)
    pipe = segcore.FeaturePipeline(["orders"]).fit(frame)
    with pytest.raises(DataError, match="at row 3"):
        pipe.transform(frame.assign(orders=[1.0, 2.0, 3.0, np.nan] + [1.0] * 46))
    with pytest.raises(ModelFormatError):
        segcore.FeaturePipeline.from_json('{"format": "segcore.FeaturePipeline", "format_version": 99}')
    with pytest.raises(segcore.exceptions.NotFittedError):
        segcore.FeaturePipeline(["orders"]).transform(frame)


# --- without column specs (scikit-learn's default constructor) --------------------------------


def test_default_pipeline_reads_every_column_as_scikit_learn_would():
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 4)) * [1.0, 10.0, 1e3, 0.1]
    np.testing.assert_allclose(segcore.FeaturePipeline().fit_transform(x), StandardScaler().fit_transform(x), rtol=1e-12, atol=1e-12)
    # A DataFrame: numbers scaled, text one-hot encoded, in column order.
    frame = synthetic(80, 4)[["orders", "industry"]]
    pipe = segcore.FeaturePipeline().fit(frame)
    assert [spec["column"] for spec in pipe._specs] == ["orders", "industry"]
    expected_onehot = OneHotEncoder(sparse_output=False).fit_transform(frame[["industry"]])
    got = pipe.transform(frame)
    np.testing.assert_allclose(got[:, 0], StandardScaler().fit_transform(frame[["orders"]])[:, 0], atol=1e-12)
    np.testing.assert_array_equal(got[:, 1 : 1 + expected_onehot.shape[1]], expected_onehot)
    # An object array: numeric columns stay numbers, a text column becomes categories.
    mixed = np.array([[1.0, "a"], [2.0, "b"], [4.0, "a"]], dtype=object)
    assert segcore.FeaturePipeline().fit(mixed).get_feature_names_out().tolist() == ["x0", "x1_a", "x1_b", "x1_other"]


def test_transform_leaves_the_pipeline_unchanged_and_reports_separately():
    train, test = synthetic(200, 1), synthetic(50, 2)
    test.loc[:2, "industry"] = "never seen"
    pipe = segcore.FeaturePipeline([{"column": "industry", "encoding": "one_hot"}]).fit(train)
    before = dict(vars(pipe))
    x, report = pipe.transform_with_report(test)
    assert vars(pipe) == before
    assert report == {"unknown_categories": {"industry": 3}, "imputed": {}}
    np.testing.assert_array_equal(x, pipe.transform(test))


def test_plain_array_input_errors_speak_scikit_learn():
    import scipy.sparse

    x = np.random.default_rng(0).normal(size=(20, 3))
    pipe = segcore.FeaturePipeline().fit(x)
    with pytest.raises(DataError, match="X has 2 features, but FeaturePipeline is expecting 3 features as input"):
        pipe.transform(x[:, :2])
    with pytest.raises(DataError, match="Reshape your data"):
        pipe.transform(x[0])
    with pytest.raises(TypeError, match="sparse"):
        segcore.FeaturePipeline().fit(scipy.sparse.csr_matrix(x))
    with pytest.raises(DataError, match="Complex data not supported"):
        segcore.FeaturePipeline().fit(x + 1j)
    with pytest.raises(DataError, match=r"0 feature\(s\) \(shape=\(20, 0\)\)"):
        segcore.FeaturePipeline().fit(x[:, :0])
    bad = x.astype(object)
    bad[0, 0] = {"not": "a number"}
    with pytest.raises(TypeError, match="argument must be a string.* number"):
        segcore.FeaturePipeline().fit(bad)
    with pytest.raises(DataError, match="input_features should have length equal"):
        pipe.get_feature_names_out(["a", "b"])
