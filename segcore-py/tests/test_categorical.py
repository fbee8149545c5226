"""segcore.KPrototypes / LatentClass / MCA / CA against kmodes, stepmix and prince on the same data."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import segcore
from conftest import require_data
from segcore.exceptions import DataError, InvalidParameterError, NotFittedError

NUMERIC = ["Income", "Recency", "MntWines", "MntMeatProducts", "NumWebPurchases", "NumStorePurchases"]
CATEGORICAL = ["Education", "Marital_Status", "Kidhome", "Teenhome"]
BINARY = ["AcceptedCmp1", "AcceptedCmp2", "AcceptedCmp3", "AcceptedCmp4", "AcceptedCmp5", "Response", "Complain"]


@pytest.fixture(scope="module")
def personality() -> pd.DataFrame:
    """Customer Personality Analysis (2,240 customers; the 24 without an income dropped)."""
    frame = pd.read_csv(require_data("customer_personality/marketing_campaign.csv"), sep="\t")
    return frame.dropna(subset=["Income"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def mixed(personality: pd.DataFrame) -> tuple:
    """(X as float array with category codes in columns 6..9, categorical indices)."""
    num = personality[NUMERIC].to_numpy(dtype=np.float64)
    num = (num - num.mean(axis=0)) / num.std(axis=0)
    cat = np.column_stack([pd.factorize(personality[c], sort=True)[0] for c in CATEGORICAL]).astype(np.float64)
    return np.hstack([num, cat]), [6, 7, 8, 9]


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    from sklearn.metrics import adjusted_rand_score

    return adjusted_rand_score(a, b) == 1.0


# ------------------------------------------------------------------------------ k-prototypes


def test_kprototypes_follows_kmodes_from_the_same_initial_prototypes(mixed: tuple) -> None:
    from kmodes.kprototypes import KPrototypes as KmodesKPrototypes

    X, categorical = mixed
    rows = [0, 300, 700, 1100, 1500]
    init_num, init_cat = X[rows][:, :6], X[rows][:, 6:]
    # kmodes updates the initial centroids in place: give it copies.
    theirs = KmodesKPrototypes(
        n_clusters=5, init=[init_num.copy(), init_cat.astype(np.uint16)], n_init=1, max_iter=100
    ).fit(X, categorical=categorical)
    ours = segcore.KPrototypes(
        n_clusters=5, init=(init_num, init_cat), update="incremental", gamma=theirs.gamma, max_iter=100
    ).fit(X, categorical=categorical)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.cost_, theirs.cost_, rtol=1e-10)
    np.testing.assert_allclose(ours.numeric_centroids_, theirs._enc_cluster_centroids[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(ours.categorical_modes_.astype(np.float64), theirs.cluster_centroids_[:, 6:].astype(np.float64))
    # gamma's default is kmodes' (0.5 x mean standard deviation of the numeric columns).
    default = segcore.KPrototypes(n_clusters=2, n_init=1, max_iter=1).fit(X, categorical=categorical)
    np.testing.assert_allclose(default.gamma_, 0.5 * X[:, :6].std(axis=0).mean(), rtol=1e-12)


def test_kprototypes_own_init_reaches_kmodes_best_cost(mixed: tuple) -> None:
    """Our k-means++ starts reach kmodes' best cost, with the defaults too.

    On these raw data (income outliers up to 26 standard deviations) k-means++ with scikit-learn's
    2 + ln k greedy candidates seeded outliers and the defaults ended 1.6% above kmodes' best at
    k=6; with 30 candidates per centroid the defaults (10 starts, batch update) reach it (with
    random_state=0; seeds 1 and 3 end 0.03% above). At k=3 the defaults end 0.002% above (a
    batch local optimum; the incremental update reaches kmodes' cost).
    """
    from kmodes.kprototypes import KPrototypes as KmodesKPrototypes

    X, categorical = mixed
    for k in (3, 6):
        theirs = KmodesKPrototypes(n_clusters=k, init="Cao", n_init=3, random_state=0).fit(X, categorical=categorical)
        ours = segcore.KPrototypes(n_clusters=k, n_init=50, update="incremental", random_state=0).fit(
            X, categorical=categorical
        )
        assert ours.cost_ <= theirs.cost_ * (1 + 1e-9), (k, ours.cost_, theirs.cost_)
        batch = segcore.KPrototypes(n_clusters=k, n_init=50, random_state=0).fit(X, categorical=categorical)
        assert batch.cost_ <= theirs.cost_ * (1 + 1e-4), (k, batch.cost_, theirs.cost_)
        default = segcore.KPrototypes(n_clusters=k, random_state=0).fit(X, categorical=categorical)
        # k=6 (the outlier case): no worse than kmodes. k=3: the batch optimum sits 0.002% above
        # kmodes' incremental one.
        assert default.cost_ <= theirs.cost_ * (1 + (1e-9 if k == 6 else 3e-5)), (k, default.cost_, theirs.cost_)
    clipped = X.copy()
    clipped[:, 0] = np.clip(clipped[:, 0], -3, 3)
    theirs = KmodesKPrototypes(n_clusters=6, init="Cao", n_init=3, random_state=0).fit(clipped, categorical=categorical)
    ours = segcore.KPrototypes(n_clusters=6, random_state=0).fit(clipped, categorical=categorical)
    assert ours.cost_ <= theirs.cost_ * (1 + 1e-9), (ours.cost_, theirs.cost_)


def test_kprototypes_initialises_with_many_clusters_and_few_category_combinations() -> None:
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=400), rng.integers(0, 2, 400), rng.integers(0, 2, 400)]).astype(float)
    for init in ("k-means++", "Cao", "Huang"):
        model = segcore.KPrototypes(n_clusters=12, init=init, n_init=2, random_state=1).fit(X, categorical=[1, 2])
        assert len(set(model.labels_.tolist())) == 12


def test_kprototypes_frames_arrays_pickle_and_sklearn_conventions(personality: pd.DataFrame) -> None:
    import polars as pl

    frame = personality[NUMERIC + CATEGORICAL].copy()
    frame[NUMERIC] = (frame[NUMERIC] - frame[NUMERIC].mean()) / frame[NUMERIC].std(ddof=0)
    frame["Education"] = frame["Education"].astype("category")
    frame["Kidhome"] = frame["Kidhome"].astype(str)
    frame["Teenhome"] = frame["Teenhome"].astype("string")
    model = segcore.KPrototypes(n_clusters=4, random_state=3, n_init=3).fit(frame)
    assert model.categorical_ == [6, 7, 8, 9]
    assert list(model.feature_names_in_) == NUMERIC + CATEGORICAL
    array = frame.astype(object).to_numpy()
    from_array = segcore.KPrototypes(n_clusters=4, random_state=3, n_init=3, categorical=[6, 7, 8, 9]).fit(array)
    np.testing.assert_array_equal(model.labels_, from_array.labels_)
    polars_frame = pl.DataFrame(
        {c: frame[c].astype(str).tolist() if c in CATEGORICAL else frame[c].to_numpy() for c in frame.columns}
    ).with_columns(pl.col("Education").cast(pl.Categorical))
    from_polars = segcore.KPrototypes(n_clusters=4, random_state=3, n_init=3).fit(polars_frame)
    np.testing.assert_array_equal(model.labels_, from_polars.labels_)
    np.testing.assert_array_equal(model.predict(frame), model.labels_)
    assert model.cluster_centroids_.shape == (4, 10)
    assert set(model.categorical_modes_[:, 0]) <= set(frame["Education"].astype(str))
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(frame), model.labels_)
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        segcore.KPrototypes().predict(frame)


def test_kprototypes_bad_input() -> None:
    X = np.array([[0.0, "a", "x"], [0.1, "a", "x"], [5.0, "b", "x"], [5.1, "b", "x"]], dtype=object)
    model = segcore.KPrototypes(n_clusters=2, random_state=0).fit(X, categorical=[1, 2])
    # A column with one category ("x") changes nothing.
    alone = segcore.KPrototypes(n_clusters=2, random_state=0).fit(X[:, :2], categorical=[1])
    np.testing.assert_array_equal(model.labels_, alone.labels_)
    # Unseen categories match no mode: the numeric part and the other columns decide.
    new = np.array([[5.05, "zzz", "x"]], dtype=object)
    assert model.predict(new)[0] == model.labels_[2]
    with pytest.raises(DataError, match="missing value"):
        segcore.KPrototypes(n_clusters=2).fit(np.array([[0.0, "a"], [1.0, None]], dtype=object), categorical=[1])
    with pytest.raises(InvalidParameterError, match="distinct rows"):
        segcore.KPrototypes(n_clusters=3).fit(np.array([[0.0, "a"], [0.0, "a"], [1.0, "b"]], dtype=object), categorical=[1])
    with pytest.raises(InvalidParameterError, match="categorical"):
        segcore.KPrototypes(n_clusters=2).fit(X)
    with pytest.raises(InvalidParameterError, match="gamma"):
        segcore.KPrototypes(n_clusters=2, gamma=-1.0).fit(X, categorical=[1, 2])


# ------------------------------------------------------------------------------ latent class


def stepmix_ll(X: np.ndarray, k: int, measurement: str) -> float:
    from stepmix.stepmix import StepMix

    # One start of at most 300 EM iterations on 800 rows keeps this test within seconds: stepmix
    # needs ~10-30 ms per iteration here. (Its defaults with n_init=5 on all 2,216 rows take
    # ~5 minutes; ours reached at least its log-likelihood there too.)
    model = StepMix(
        n_components=k, measurement=measurement, n_init=1, max_iter=300, random_state=0, progress_bar=0, verbose=0
    )
    model.fit(X)
    return float(model.score(X)) * X.shape[0]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind", ["binary", "multi", "multi_missing"])
def test_latent_class_reaches_stepmix_log_likelihood(personality: pd.DataFrame, kind: str) -> None:
    rows = personality.iloc[:800]
    if kind == "binary":
        X = rows[BINARY].to_numpy(dtype=np.float64)
    else:
        X = np.column_stack([pd.factorize(rows[c], sort=True)[0] for c in CATEGORICAL + ["Response"]]).astype(np.float64)
    measurement = "categorical"
    if kind == "multi_missing":
        rng = np.random.default_rng(5)
        X[rng.random(X.shape) < 0.05] = np.nan
        measurement = "categorical_nan"
    for k in (2, 3, 4):
        theirs = stepmix_ll(X, k, measurement)
        ours = segcore.LatentClass(n_components=k, random_state=0).fit(X)
        assert ours.log_likelihood_ >= theirs - 1e-6 * abs(theirs), (kind, k, ours.log_likelihood_, theirs)
        np.testing.assert_allclose(ours.score(X) * X.shape[0], ours.log_likelihood_, rtol=1e-10)


def test_latent_class_surface_and_bad_input() -> None:
    rng = np.random.default_rng(2)
    cls = rng.random(600) < 0.4
    X = np.where(rng.random((600, 4)) < 0.85, cls[:, None], ~cls[:, None]).astype(object)
    X = np.where(X, "yes", "no").astype(object)
    X[3, :] = None  # all answers missing
    X[5, 1] = None
    model = segcore.LatentClass(n_components=2, random_state=0).fit(X)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[3], model.weights_, atol=1e-9)
    assert model.n_parameters_ == 1 + 2 * 4
    n = X.shape[0]
    np.testing.assert_allclose(model.bic(X), -2 * model.log_likelihood_ + model.n_parameters_ * np.log(n), rtol=1e-9)
    np.testing.assert_allclose(model.aic(X), -2 * model.log_likelihood_ + 2 * model.n_parameters_, rtol=1e-9)
    assert [t.shape for t in model.item_probabilities_] == [(2, 2)] * 4
    table = segcore.latent_class_table(X, [1, 2, 3], n_init=3, random_state=0)
    assert int(table["n_components"][np.argmin(table["bic"])]) == 2
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(again.predict_proba(X), proba)
    with pytest.raises(DataError, match="unknown category `maybe`"):
        model.predict(np.array([["maybe", "yes", "no", "no"]], dtype=object))
    with pytest.raises(DataError):
        segcore.LatentClass(n_components=10).fit(X[:5])


# ------------------------------------------------------------------------------ correspondence analysis


def mca_frame(personality: pd.DataFrame) -> pd.DataFrame:
    # Z_CostContact is the same in every row: a column with a single category.
    columns = CATEGORICAL + BINARY + ["Z_CostContact"]
    return personality[columns].astype(str)


def assert_equal_up_to_sign(ours: np.ndarray, theirs: np.ndarray, atol: float) -> None:
    for comp in range(ours.shape[1]):
        sign = np.sign(np.dot(ours[:, comp], theirs[:, comp])) or 1.0
        np.testing.assert_allclose(ours[:, comp], sign * theirs[:, comp], atol=atol)


def test_mca_equals_prince(personality: pd.DataFrame) -> None:
    import prince

    frame = mca_frame(personality)
    n_categories = sum(frame[c].nunique() for c in frame.columns)
    m = 5
    theirs = prince.MCA(n_components=m, engine="scipy").fit(frame)
    ours = segcore.MCA(n_components=m).fit(frame)
    np.testing.assert_allclose(ours.eigenvalues_, theirs.eigenvalues_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.total_inertia_, theirs.total_inertia_, rtol=1e-10)
    np.testing.assert_allclose(ours.percentage_of_variance_, theirs.percentage_of_variance_, rtol=1e-8)
    assert ours.category_names_ == list(theirs.column_coordinates(frame).index)
    assert_equal_up_to_sign(ours.column_coordinates_, theirs.column_coordinates(frame).to_numpy(), 1e-8)
    assert_equal_up_to_sign(ours.transform(frame), theirs.row_coordinates(frame).to_numpy(), 1e-8)
    for correction in ("benzecri", "greenacre"):
        theirs = prince.MCA(n_components=m, engine="scipy", correction=correction).fit(frame)
        ours = segcore.MCA(n_components=m, correction=correction).fit(frame)
        np.testing.assert_allclose(ours.eigenvalues_, theirs.eigenvalues_, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(ours.percentage_of_variance_, theirs.percentage_of_variance_, rtol=1e-8)
    assert n_categories > m


def test_ca_equals_prince(personality: pd.DataFrame) -> None:
    import prince

    table = pd.crosstab(personality["Marital_Status"], personality["Education"])
    theirs = prince.CA(n_components=3, engine="scipy").fit(table)
    ours = segcore.CA(n_components=3).fit(table)
    np.testing.assert_allclose(ours.eigenvalues_, theirs.eigenvalues_, rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(ours.total_inertia_, theirs.total_inertia_, rtol=1e-10)
    assert_equal_up_to_sign(ours.row_coordinates_, theirs.row_coordinates(table).to_numpy(), 1e-8)
    assert_equal_up_to_sign(ours.column_coordinates_, theirs.column_coordinates(table).to_numpy(), 1e-8)
    assert_equal_up_to_sign(ours.transform(table), theirs.row_coordinates(table).to_numpy(), 1e-8)
    # The transposed table swaps rows and columns.
    transposed = segcore.CA(n_components=3).fit(table.T)
    np.testing.assert_allclose(transposed.eigenvalues_, ours.eigenvalues_, rtol=1e-10)


def test_mca_bad_input_and_pickle() -> None:
    X = pd.DataFrame({"industry": ["bank", "retail", "bank", "energy", "retail"], "size": ["S", "M", "L", "S", "M"]})
    mca = segcore.MCA(n_components=2).fit(X)
    again = pickle.loads(pickle.dumps(mca))
    np.testing.assert_allclose(again.transform(X), mca.transform(X))
    with pytest.raises(DataError, match="unknown category `farming`"):
        mca.transform(pd.DataFrame({"industry": ["farming"], "size": ["S"]}))
    with pytest.raises(DataError, match="missing value"):
        segcore.MCA().fit(pd.DataFrame({"industry": ["bank", None, "retail"], "size": ["S", "M", "L"]}))
    with pytest.raises(InvalidParameterError, match="n_components"):
        segcore.MCA(n_components=50).fit(X)
    with pytest.raises(InvalidParameterError, match="correction"):
        segcore.MCA(correction="other").fit(X)


def test_biplot_draws_ca_and_mca() -> None:
    import matplotlib

    matplotlib.use("Agg")
    table = np.array([[30, 5, 2], [4, 25, 6], [3, 7, 20], [10, 10, 10]])
    ax = segcore.plot.biplot(segcore.CA(n_components=2).fit(table))
    assert "inertia" in ax.get_xlabel()
    X = pd.DataFrame({"industry": ["bank", "retail", "bank", "energy", "retail"], "size": ["S", "M", "L", "S", "M"]})
    ax = segcore.plot.biplot(segcore.MCA(n_components=2).fit(X), X)
    assert len(ax.collections) == 2


# ------------------------------------------------------------------------------ Segmenter


@pytest.mark.parametrize("algorithm", ["kprototypes", "latent_class"])
def test_segmenter_takes_categories_natively_and_round_trips(algorithm: str, tmp_path) -> None:
    customers, transactions, _ = segcore.datasets.make_b2b(400, random_state=3)
    model = segcore.Segmenter(algorithm=algorithm, k_range=(2, 4), random_state=1, progress=False)
    model.fit(customers, transactions)
    names = list(model._model.feature_names_out)
    for column in ("industry", "employee_size_class", "region"):
        assert column in names  # one code column per categorical column, not its one-hot columns
    assert not any(n.startswith("industry_") for n in names)
    table = model.selection_
    assert model.select_k_ is None and table.attrs["recommended_k"] == model.n_clusters_
    criterion = "bic" if algorithm == "latent_class" else "silhouette"
    assert table.attrs["criterion"] == criterion and list(table["k"]) == [2, 3, 4]
    best = table[criterion].min() if criterion == "bic" else table[criterion].max()
    assert table.set_index("k").loc[model.n_clusters_, criterion] == best
    assert len(model.segment_names_) == model.n_clusters_
    expected = model.predict(customers, transactions)
    assert expected["segment"].to_numpy().tolist() == model.labels_.tolist()
    assert (algorithm == "latent_class") == (len(expected.columns) > 5)  # probability columns beside id, segment, name, reason, extreme
    model.save(tmp_path / "model.json")
    loaded = segcore.Segmenter.load(tmp_path / "model.json")
    assert loaded.algorithm == algorithm
    again = loaded.predict(customers, transactions)
    pd.testing.assert_frame_equal(again, expected)
    restored = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(restored.predict(customers, transactions), expected)
    assert loaded.to_json() == model.to_json()
    jsonschema = pytest.importorskip("jsonschema")
    from pathlib import Path
    import json

    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "segmenter-model.schema.json").read_text())
    jsonschema.validate(json.loads(model.to_json()), schema)


def test_segmenter_on_customer_personality_profiles_and_unseen_categories(personality: pd.DataFrame) -> None:
    frame = personality[["ID"] + NUMERIC + CATEGORICAL].rename(columns={"ID": "customer_id"}).copy()
    for c in CATEGORICAL:
        frame[c] = frame[c].astype(str).astype("category")
    model = segcore.Segmenter(n_clusters=4, algorithm="kprototypes", progress=False, random_state=0).fit(frame)
    assert set(CATEGORICAL) <= set(model._model.feature_names_out)
    assert model.n_clusters_ == 4 and len(set(model.segment_names_)) == 4
    profile = model.profile()
    assert len(profile.segments) == 4  # names and profiles read the k-prototypes segments
    assert "k-prototypes" in model.summary()
    new = frame.iloc[:3].copy()
    new["Education"] = new["Education"].cat.add_categories(["Doctorate of Magic"])
    new.loc[new.index[0], "Education"] = "Doctorate of Magic"
    assigned = model.predict(new)
    assert assigned["segment"].notna().all()  # an unseen category matches no segment's mode
    lca = segcore.Segmenter(n_clusters=3, algorithm="latent_class", progress=False, random_state=0).fit(frame)
    assert lca.predict(new)["segment"].notna().all()  # an unseen category is a missing answer
    with pytest.raises(InvalidParameterError, match="algorithm"):
        segcore.Segmenter(algorithm="kmodes", progress=False).fit(frame)
    with pytest.raises(InvalidParameterError, match="n_components|reduction"):
        segcore.Segmenter(algorithm="kprototypes", n_components=2, progress=False).fit(frame)
