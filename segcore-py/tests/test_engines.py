"""segcore.dask and segcore.spark on real engines: a dask.distributed LocalCluster with 2 worker
processes and a local[2] Spark session, each started once for the module. Oracles: the
single-machine segcore fits (themselves tested against scikit-learn) and scikit-learn."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import segcore

dask = pytest.importorskip("dask", reason="dask is not installed")
pytest.importorskip("dask.dataframe", reason="dask[dataframe] is not installed")
distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")

import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402

import segcore.dask as sdask  # noqa: E402


def _blobs(n: int = 6000, d: int = 5, seed: int = 0) -> np.ndarray:
    from sklearn.datasets import make_blobs

    x, _ = make_blobs(n_samples=n, n_features=d, centers=4, cluster_std=2.0, random_state=seed)
    return x


def _log(n_customers: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2024-01-01")
    for c in range(n_customers):
        for _ in range(int(rng.integers(1, 12))):
            rows.append((f"C{c:04d}", start + pd.Timedelta(days=int(rng.integers(0, 500))),
                         float(np.round(rng.gamma(2.0, 150.0) * (1 if rng.random() > 0.05 else -0.5), 2))))
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


# ------------------------------------------------------------------------------------- Dask


def test_dask_kmeans_equals_single_machine_from_the_same_centers(client):
    x = _blobs()
    init = x[[0, 1500, 3000, 4500]]
    single = segcore.KMeans(4, init=init, n_init=1, tol=0.0).fit(x)
    X = da.from_array(x, chunks=(1700, 5))
    dist = sdask.KMeans(4, init=init, tol=0.0).fit(X)
    np.testing.assert_allclose(dist.cluster_centers_, single.cluster_centers_, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(dist.labels_.compute(), single.labels_)
    assert dist.n_iter_ == single.n_iter_
    assert dist.inertia_ == pytest.approx(single.inertia_, rel=1e-12)
    assert isinstance(dist.cluster_centers_, np.ndarray)
    assert isinstance(dist.labels_, da.Array)


def test_dask_kmeans_same_bits_for_the_same_partitioning_and_default_fit_within_1pct(client):
    x = _blobs(seed=3)
    X = da.from_array(x, chunks=(1000, 5))
    a = sdask.KMeans(4, random_state=7).fit(X)
    b = sdask.KMeans(4, random_state=7).fit(X)
    assert a.cluster_centers_.tobytes() == b.cluster_centers_.tobytes()
    single = segcore.KMeans(4, random_state=0).fit(x)
    assert a.inertia_ <= single.inertia_ * 1.01
    # float32 stays float32
    X32 = da.from_array(x.astype(np.float32), chunks=(2000, 5))
    m32 = sdask.KMeans(4, random_state=7).fit(X32)
    assert m32.cluster_centers_.dtype == np.float32


def test_dask_dataframe_kmeans_scaler_pca_and_predict(client):
    x = _blobs(seed=4) * np.array([1.0, 10.0, 100.0, 1000.0, 1e4])
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)])
    ddf = dd.from_pandas(frame, npartitions=3)
    scaler = sdask.StandardScaler().fit(ddf)
    local = segcore.StandardScaler().fit(frame)
    np.testing.assert_allclose(scaler.mean_, local.mean_, rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, local.scale_, rtol=1e-12)
    list(scaler.feature_names_in_) == list(frame.columns)
    np.testing.assert_allclose(scaler.transform(ddf).compute(), local.transform(frame), atol=1e-9)

    from sklearn.decomposition import PCA as SkPCA

    pca = sdask.PCA(3).fit(ddf)
    sk = SkPCA(3, svd_solver="covariance_eigh").fit(x)
    np.testing.assert_allclose(pca.explained_variance_, sk.explained_variance_, rtol=1e-9)
    np.testing.assert_allclose(np.abs(pca.components_), np.abs(sk.components_), atol=1e-9)

    init = x[[0, 1, 2, 3]]
    km = sdask.KMeans(4, init=init).fit(ddf)
    single = segcore.KMeans(4, init=init, n_init=1).fit(frame)
    np.testing.assert_allclose(km.cluster_centers_, single.cluster_centers_, atol=1e-9 * 1e4)
    scored = sdask.predict(km, ddf).compute()
    np.testing.assert_array_equal(scored.to_numpy(), single.predict(frame))
    # any saved single-machine model scores a Dask DataFrame customer by customer
    scored = sdask.predict(single, ddf).compute()
    np.testing.assert_array_equal(scored.to_numpy(), single.labels_)


def test_dask_minibatch_streams_over_partitions(client):
    x = _blobs(seed=5)
    X = da.from_array(x, chunks=(1500, 5))
    model = sdask.MiniBatchKMeans(4, batch_size=256, random_state=0).fit(X)
    local = segcore.MiniBatchKMeans(4, batch_size=256, random_state=0)
    for start in range(0, len(x), 1500):
        local.partial_fit(x[start : start + 1500])
    np.testing.assert_allclose(model.cluster_centers_, local.cluster_centers_, atol=1e-12)
    assert model.labels_.compute().shape == (len(x),)


def test_dask_several_starts_keep_the_best(client):
    x = _blobs(n=3000, seed=8)
    X = da.from_array(x, chunks=(1000, 5))
    one = sdask.KMeans(7, random_state=4).fit(X)
    three = sdask.KMeans(7, n_init=3, random_state=4).fit(X)
    again = sdask.KMeans(7, n_init=3, random_state=4).fit(X)
    assert three.inertia_ <= one.inertia_
    assert three.cluster_centers_.tobytes() == again.cluster_centers_.tobytes()
    mixture = sdask.GaussianMixture(5, covariance_type="diag", n_init=2, random_state=1).fit(X)
    single_start = sdask.GaussianMixture(5, covariance_type="diag", random_state=1).fit(X)
    assert mixture.lower_bound_ >= single_start.lower_bound_


def test_dask_sample_weights_as_on_one_machine(client):
    x = _blobs(n=3000, seed=9)
    w = (np.arange(3000) * 7 % 5).astype(np.float64)
    init = x[[0, 1000, 2000, 2999]]
    X = da.from_array(x, chunks=(1100, 5))
    single = segcore.KMeans(4, init=init, n_init=1, tol=0.0).fit(x, sample_weight=w)
    dist = sdask.KMeans(4, init=init, tol=0.0).fit(X, sample_weight=da.from_array(w, chunks=700))
    np.testing.assert_allclose(dist.cluster_centers_, single.cluster_centers_, rtol=0, atol=1e-9)
    assert dist.n_iter_ == single.n_iter_
    # All-ones weights change no bit, the default k-means|| start included.
    ones = np.ones(3000)
    a = sdask.KMeans(4, random_state=2).fit(X, sample_weight=da.from_array(ones, chunks=1100))
    b = sdask.KMeans(4, random_state=2).fit(X)
    assert a.cluster_centers_.tobytes() == b.cluster_centers_.tobytes() and a.inertia_ == b.inertia_
    # A mixture from the same start, weighted, and a DataFrame with its weight column.
    means = x[[0, 1000, 2000, 2999]]
    start = dict(covariance_type="diag", weights_init=np.full(4, 0.25), means_init=means, precisions_init=np.ones((4, 5)))
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)]).assign(w=w)
    ddf = dd.from_pandas(frame, npartitions=3)
    single = segcore.GaussianMixture(4, **start).fit(x, sample_weight=w)
    dist = sdask.GaussianMixture(4, **start).fit(ddf[[f"f{i}" for i in range(5)]], sample_weight=ddf["w"])
    assert dist.n_iter_ == single.n_iter_
    np.testing.assert_allclose(dist.means_, single.means_, rtol=1e-9, atol=1e-9)
    assert dist.lower_bound_ == pytest.approx(single.lower_bound_, rel=1e-10)
    bad = w.copy()
    bad[2500] = -1.0
    with pytest.raises(segcore.SegcoreError, match=r"partition 2: weight at row 300"):
        sdask.KMeans(4, init=init).fit(X, sample_weight=da.from_array(bad, chunks=1100))


def _weights(n: int) -> np.ndarray:
    """Real-valued sample weights with zeros among them."""
    return (np.arange(n) * 7 % 5).astype(np.float64) * 0.75


def _weighted_pca_reference(x: np.ndarray, w: np.ndarray) -> tuple:
    """numpy's weighted covariance (frequency weights: sum w (x - mean)(x - mean)^T / (sum w - 1))
    and its eigendecomposition, eigenvalues in decreasing order."""
    total = w.sum()
    covariance = np.cov(x.T, aweights=w, ddof=0) * total / (total - 1)
    values, vectors = np.linalg.eigh(covariance)
    return values[::-1], vectors[:, ::-1].T


def _assert_same_components(got: np.ndarray, expected: np.ndarray, atol: float) -> None:
    signs = np.sign(np.sum(got * expected, axis=1))[:, None]
    np.testing.assert_allclose(got, expected * signs, rtol=0, atol=atol)


def test_dask_weighted_scaler_pca_and_minibatch_as_on_one_machine(client):
    x = _blobs(n=3000, seed=12) * np.array([1.0, 10.0, 100.0, 1000.0, 1e4])
    w = _weights(3000)
    X = da.from_array(x, chunks=(1100, 5))
    W = da.from_array(w, chunks=700)
    scaler = sdask.StandardScaler().fit(X, sample_weight=W)
    local = segcore.StandardScaler().fit(x, sample_weight=w)
    np.testing.assert_allclose(scaler.mean_, local.mean_, rtol=1e-12)
    np.testing.assert_allclose(scaler.var_, local.var_, rtol=1e-9)
    np.testing.assert_allclose(scaler.scale_, local.scale_, rtol=1e-9)
    # The core counts the rows and their total weight with the moments.
    assert scaler.n_samples_seen_ == pytest.approx(local.n_samples_seen_, rel=1e-12)
    assert sdask.StandardScaler().fit(X).n_samples_seen_ == 3000

    columns = [f"f{i}" for i in range(5)]
    ddf = dd.from_pandas(pd.DataFrame(x, columns=columns).assign(w=w), npartitions=4)
    for pca in [sdask.PCA(3).fit(X, sample_weight=W), sdask.PCA(3).fit(ddf[columns], sample_weight=ddf["w"])]:
        single = segcore.PCA(3, svd_solver="covariance_eigh").fit(x, sample_weight=w)
        np.testing.assert_allclose(pca.mean_, single.mean_, rtol=1e-12)
        np.testing.assert_allclose(pca.explained_variance_, single.explained_variance_, rtol=1e-9)
        np.testing.assert_allclose(pca.singular_values_, single.singular_values_, rtol=1e-9)
        np.testing.assert_allclose(pca.components_, single.components_, rtol=0, atol=1e-9)
    values, vectors = _weighted_pca_reference(x, w)
    np.testing.assert_allclose(pca.explained_variance_, values[:3], rtol=1e-9)
    _assert_same_components(pca.components_, vectors[:3], atol=1e-9)
    # All-ones weights: the bits of no weights.
    ones = sdask.PCA(3).fit(X, sample_weight=da.from_array(np.ones(3000), chunks=1100))
    assert ones.components_.tobytes() == sdask.PCA(3).fit(X).components_.tobytes()

    model = sdask.MiniBatchKMeans(4, batch_size=256, random_state=0).fit(X, sample_weight=W)
    local = segcore.MiniBatchKMeans(4, batch_size=256, random_state=0)
    for start in range(0, len(x), 1100):
        local.partial_fit(x[start : start + 1100], sample_weight=w[start : start + 1100])
    np.testing.assert_allclose(model.cluster_centers_, local.cluster_centers_, rtol=0, atol=1e-9)
    bad = w.copy()
    bad[2500] = -1.0
    with pytest.raises(segcore.SegcoreError, match=r"partition 2: weight at row 300"):
        sdask.PCA(2).fit(X, sample_weight=da.from_array(bad, chunks=1100))


def _mixture_start(x: np.ndarray, kind: str) -> dict:
    d = x.shape[1]
    precisions = {
        "full": np.stack([np.eye(d)] * 4),
        "tied": np.eye(d),
        "diag": np.ones((4, d)),
        "spherical": np.ones(4),
    }[kind]
    return dict(
        covariance_type=kind, weights_init=np.full(4, 0.25), means_init=x[[0, 1500, 3000, 4500]],
        precisions_init=precisions,
    )


@pytest.mark.parametrize("kind", ["full", "tied", "diag", "spherical"])
def test_dask_gaussian_mixture_equals_single_machine_from_the_same_start(client, kind):
    x = _blobs(seed=4)
    start = _mixture_start(x, kind)
    single = segcore.GaussianMixture(4, **start).fit(x)
    dist = sdask.GaussianMixture(4, **start).fit(da.from_array(x, chunks=(1700, 5)))
    assert dist.n_iter_ == single.n_iter_
    np.testing.assert_allclose(dist.means_, single.means_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dist.weights_, single.weights_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(dist.covariances_, single.covariances_, rtol=1e-7, atol=1e-9)
    assert dist.lower_bound_ == pytest.approx(single.lower_bound_, rel=1e-10)
    proba = dist.predict_proba(da.from_array(x, chunks=(2000, 5))).compute()
    np.testing.assert_allclose(proba, single.predict_proba(x), atol=1e-8)
    np.testing.assert_array_equal(dist.predict(da.from_array(x, chunks=(2000, 5))).compute(), single.predict(x))


def test_dask_gaussian_mixture_default_fit_deterministic_and_as_good_as_single_machine(client):
    x = _blobs(seed=5)
    frame = dd.from_pandas(pd.DataFrame(x, columns=[f"f{i}" for i in range(5)]), npartitions=3)
    a = sdask.GaussianMixture(4, covariance_type="diag", random_state=3).fit(frame)
    b = sdask.GaussianMixture(4, covariance_type="diag", random_state=3).fit(frame)
    assert a.means_.tobytes() == b.means_.tobytes()
    single = segcore.GaussianMixture(4, covariance_type="diag", random_state=0).fit(x)
    assert a.lower_bound_ >= single.lower_bound_ - 1e-3 * abs(single.lower_bound_)
    assert list(a.feature_names_in_) == [f"f{i}" for i in range(5)]
    local = a.to_local()
    assert isinstance(local, segcore.GaussianMixture)
    np.testing.assert_array_equal(local.predict(x), a.predict(frame).compute())
    scored = sdask.predict(a, frame).compute()
    np.testing.assert_array_equal(scored.to_numpy(), local.predict(x))
    with pytest.raises(segcore.SegcoreError, match="init_params"):
        sdask.GaussianMixture(4, init_params="random").fit(frame)


def test_dask_bad_input(client):
    x = _blobs(n=2000)
    x[1234, 2] = np.nan
    X = da.from_array(x, chunks=(1000, 5))
    with pytest.raises(segcore.SegcoreError, match=r"partition 1 of X .*row 234, column 2"):
        sdask.KMeans(3).fit(X)
    # an empty partition is fine
    y = _blobs(n=2000)
    parts = [y[:1000], y[:0], y[1000:]]
    X = da.concatenate([da.from_array(p, chunks=(1000, 5)) for p in parts])
    init = y[[0, 500, 1500]]
    model = sdask.KMeans(3, init=init).fit(X)
    single = segcore.KMeans(3, init=init, n_init=1).fit(y)
    np.testing.assert_allclose(model.cluster_centers_, single.cluster_centers_, atol=1e-9)
    # partitions whose columns disagree
    a = pd.DataFrame(y[:1000, :2], columns=["a", "b"])
    b = pd.DataFrame(y[1000:, :2], columns=["a", "c"])
    ddf = dd.from_delayed([dask.delayed(a), dask.delayed(b)], meta=a.iloc[:0], verify_meta=False)
    with pytest.raises(segcore.SegcoreError, match=r"partition 1 has columns \['a', 'c'\]"):
        sdask.StandardScaler().fit(ddf)


def test_dask_dataframe_bad_input(client):
    columns = [f"f{i}" for i in range(5)]
    x = _blobs(n=2000)
    x[1500, 3] = np.inf
    ddf = dd.from_pandas(pd.DataFrame(x, columns=columns), npartitions=2, sort=False)
    with pytest.raises(segcore.exceptions.DataError, match=r"partition 1 of X .*row 500, column 3"):
        sdask.KMeans(3).fit(ddf)
    with pytest.raises(segcore.exceptions.DataError, match=r"partition 1 of X .*row 500, column 3"):
        sdask.PCA(2).fit(ddf)
    # An empty partition in a DataFrame is fine, in every kind of fit.
    y = _blobs(n=6000)
    parts = [pd.DataFrame(p, columns=columns) for p in (y[:2500], y[:0], y[2500:])]
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=parts[0].iloc[:0])
    init = y[[0, 500, 1500]]
    np.testing.assert_allclose(
        sdask.KMeans(3, init=init).fit(ddf).cluster_centers_,
        segcore.KMeans(3, init=init, n_init=1).fit(y).cluster_centers_,
        rtol=0,
        atol=1e-9,
    )
    scaler = sdask.StandardScaler().fit(ddf)
    np.testing.assert_allclose(scaler.mean_, y.mean(axis=0), rtol=1e-12)
    assert scaler.n_samples_seen_ == 6000
    np.testing.assert_allclose(
        sdask.PCA(2).fit(ddf).explained_variance_,
        segcore.PCA(2, svd_solver="covariance_eigh").fit(y).explained_variance_,
        rtol=1e-9,
    )
    start = _mixture_start(y, "diag")
    np.testing.assert_allclose(
        sdask.GaussianMixture(4, **start).fit(ddf).means_,
        segcore.GaussianMixture(4, **start).fit(y).means_,
        rtol=1e-9,
        atol=1e-9,
    )
    stream = sdask.MiniBatchKMeans(3, batch_size=256, random_state=0).fit(ddf)
    local = segcore.MiniBatchKMeans(3, batch_size=256, random_state=0)
    for part in (y[:2500], y[2500:]):
        local.partial_fit(part)
    np.testing.assert_allclose(stream.cluster_centers_, local.cluster_centers_, rtol=0, atol=1e-12)
    # Partitions whose columns disagree, in any fit, name the partition and both lists.
    other = parts[2].rename(columns={"f4": "g4"})
    mixed = dd.from_delayed([dask.delayed(parts[0]), dask.delayed(other)], meta=parts[0].iloc[:0], verify_meta=False)
    for estimator in (sdask.KMeans(3, init=init), sdask.PCA(2), sdask.GaussianMixture(3)):
        with pytest.raises(segcore.exceptions.DataError, match=r"partition 1 has columns \[.*'g4'\], expected \[.*'f4'\]"):
            estimator.fit(mixed)


class _Panic(BaseException):
    """What a Rust panic raises in Python (pyo3's PanicException): a BaseException, not an Exception."""


def _raising(partition: int, error: BaseException) -> None:
    raise error


def _unaligned_weights_task() -> str:
    """The binding called with sample weights at an odd address (as a block unpickled from a byte
    stream can sit): numpy's view of them used to panic."""
    x = np.ones((10, 2))
    w = np.frombuffer(np.zeros(81, dtype=np.uint8), dtype=np.float64, offset=1, count=10)
    return segcore._segcore.partition_task_run('{"task":"weighted_column_moments"}', x, 0, w)


def test_dask_a_panic_in_a_task_is_an_error_not_a_hang(client):
    from segcore import _engine

    # dask.distributed loses a BaseException that is not an Exception: the compute waited forever
    # (here: a timeout). An engine task turns it into a SegcoreError naming the partition.
    task = _engine.guarded("partition {partition}")(_raising)
    with pytest.raises(segcore.SegcoreError, match=r"internal error .*: partition 3: _Panic: the pointer must be aligned"):
        client.submit(task, 3, _Panic("the pointer must be aligned"), pure=False).result(timeout=60)
    # The binding refuses an unaligned array instead of panicking.
    with pytest.raises(TypeError, match=r"1-D float64 array at an unaligned address"):
        client.submit(_unaligned_weights_task, pure=False).result(timeout=60)
    # KeyboardInterrupt and SystemExit pass through (here, on the client).
    for stop in (KeyboardInterrupt, SystemExit):
        with pytest.raises(stop):
            task(0, stop())


def test_dask_rfm_equals_in_memory(client):
    log = _log()
    ddf = dd.from_pandas(log, npartitions=4)
    dist = sdask.rfm(ddf)
    local = segcore.rfm(log).sort_index()
    assert list(dist.index) == list(local.index)
    for column in ["recency_days", "frequency", "monetary", "tenure_days", "r_score", "f_score", "m_score"]:
        np.testing.assert_allclose(dist[column].to_numpy(float), local[column].to_numpy(float), rtol=1e-12)
    assert (dist["segment"].astype(str) == local["segment"].astype(str)).all()


def _text_dated_log(seed: int) -> pd.DataFrame:
    """A log whose dates are DD.MM.YYYY text: its last date is not its largest text."""
    log = _log(seed=seed)
    text = log.assign(date=log["date"].dt.strftime("%d.%m.%Y"))
    assert text["date"].max() != log["date"].max().strftime("%d.%m.%Y")
    return text


def test_dask_default_as_of_reads_text_dates_as_dates(client):
    log = _text_dated_log(seed=3)
    dist = sdask.rfm(dd.from_pandas(log, npartitions=4))
    local = segcore.rfm(log).sort_index()
    assert list(dist.index) == list(local.index)
    np.testing.assert_array_equal(dist["recency_days"].to_numpy(float), local["recency_days"].to_numpy(float))


def _segmenter_case(algorithm: str = "kmeans"):
    """A Segmenter fitted with behaviour features (channels, categories, margin, returns) on a
    synthetic B2B base with lapsed customers, whose recency depends on the log's last date."""
    customers, transactions, _ = segcore.datasets.make_b2b(300, random_state=5)
    model = segcore.Segmenter(n_clusters=4, algorithm=algorithm, random_state=0).fit(customers, transactions)
    assert model._model.reads_transactions
    return model, customers, transactions


def _assert_same_assignments(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal customer by customer: segment, name, reason (and any other column) exactly, floats
    (probabilities, uncertainty) to 1e-12."""
    got = got.set_index("customer_id").sort_index()
    expected = expected.set_index("customer_id").sort_index()
    assert list(got.columns) == list(expected.columns)
    assert list(got.index) == list(expected.index)
    assert got["segment"].notna().sum() > 0
    for c in expected.columns:
        if expected[c].dtype.kind == "f":
            np.testing.assert_allclose(got[c].to_numpy(float), expected[c].to_numpy(float), rtol=1e-12, atol=1e-15)
        else:
            # Dask stores text as its string dtype (missing = NA), pandas as objects (None).
            plain = lambda values: [None if pd.isna(v) else v for v in values.astype(object).tolist()]  # noqa: E731
            assert plain(got[c]) == plain(expected[c]), c


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm"])
def test_dask_segmenter_scores_a_log_as_in_memory(client, algorithm):
    model, customers, transactions = _segmenter_case(algorithm)
    log = dd.from_pandas(transactions, npartitions=4)
    scored = sdask.predict(model, dd.from_pandas(customers, npartitions=3), log).compute()
    _assert_same_assignments(scored, model.predict(customers, transactions))
    # A few customers scored against the whole log: measured at the whole log's last date.
    few = customers.iloc[::7]
    scored = sdask.predict(model, dd.from_pandas(few, npartitions=2), log, npartitions=5).compute()
    _assert_same_assignments(scored, model.predict(few, transactions))
    assert set(scored.index) == set(few.index)


def test_dask_segmenter_log_text_dates_as_of_and_bad_lines(client):
    model, customers, transactions = _segmenter_case()
    text = transactions.assign(date=transactions["date"].dt.strftime("%d.%m.%Y"))
    scored = sdask.predict(model, dd.from_pandas(customers, npartitions=2), dd.from_pandas(text, npartitions=3))
    _assert_same_assignments(scored.compute(), model.predict(customers, transactions))
    # A Segmenter fitted with as_of measures at that date, whatever the log's last line.
    dated = segcore.Segmenter(n_clusters=4, random_state=0, as_of="2026-01-01").fit(customers, transactions)
    scored = sdask.predict(dated, dd.from_pandas(customers, npartitions=2), dd.from_pandas(transactions, npartitions=3))
    _assert_same_assignments(scored.compute(), dated.predict(customers, transactions))
    # A line without a date: the error names the partition and the column.
    broken = text.copy()
    broken.loc[broken.index[5], "date"] = "not a date"
    with pytest.raises(segcore.SegcoreError, match=r"partition \d+ \(after the shuffle by customer\).*date"):
        sdask.predict(
            model, dd.from_pandas(customers, npartitions=2), dd.from_pandas(broken, npartitions=3)
        ).compute()
    with pytest.raises(TypeError, match="only a segcore.Segmenter reads a transaction log"):
        sdask.predict(segcore.KMeans(2), dd.from_pandas(customers, npartitions=2), dd.from_pandas(text, npartitions=1))


def _as_dask_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text or category column as Dask's string dtype (``string[pyarrow]``, missing = NA)."""
    text = [c for c in frame.columns if frame[c].dtype.kind in "OUT" or str(frame[c].dtype) in ("str", "category")]
    return frame.astype({c: "string[pyarrow]" for c in text})


def test_dask_predict_takes_dask_string_columns(client):
    model, customers, transactions = _segmenter_case()
    strings, log = _as_dask_strings(customers), _as_dask_strings(transactions)
    assert (strings.dtypes == "string").sum() >= 3 and str(log["customer_id"].dtype) == "string"
    with dask.config.set({"dataframe.convert-string": True}):
        scored = sdask.predict(
            model, dd.from_pandas(strings, npartitions=3), dd.from_pandas(log, npartitions=4)
        ).compute()
    _assert_same_assignments(scored, model.predict(customers, transactions))
    # A Segmenter without behaviour features, scored column by column.
    plain = segcore.Segmenter(n_clusters=3, random_state=0).fit(customers)
    with dask.config.set({"dataframe.convert-string": True}):
        scored = sdask.predict(plain, dd.from_pandas(strings, npartitions=3)).compute()
    _assert_same_assignments(scored, plain.predict(customers))


def test_dask_predict_pairs_differently_partitioned_customers_and_log(client):
    model, customers, transactions = _segmenter_case("gmm")
    expected = model.predict(customers, transactions)
    # Customers indexed by their id, in reverse order, 3 partitions; the log sorted by date in 7
    # partitions (each customer's lines spread over several), 5 pieces.
    by_id = customers.iloc[::-1].set_index("customer_id", drop=False).rename_axis("id")
    log = transactions.sort_values("date", kind="stable")
    for customer_parts, log_parts, pieces in [(3, 7, 5), (1, 5, 2), (6, 1, 9)]:
        scored = sdask.predict(
            model,
            dd.from_pandas(by_id, npartitions=customer_parts, sort=False),
            dd.from_pandas(log, npartitions=log_parts, sort=False),
            npartitions=pieces,
        ).compute()
        assert scored.index.name == "id"
        assert sorted(scored.index) == sorted(by_id.index)
        _assert_same_assignments(scored.reset_index(drop=True), expected)
    # Every partition of the shuffle by customer holds its own piece only, in both frames.
    from segcore import _log_scoring

    keyed = dd.from_pandas(log, npartitions=4).map_partitions(
        sdask._keyed, "customer_id", 6, True,
        meta=log.iloc[:0].assign(**{_log_scoring.KEY: np.int64(0), _log_scoring.LINE: np.int64(0)}),
    )
    pieces = sdask._by_piece(keyed, 6)
    assert pieces.npartitions == 6
    for i, part in enumerate(dask.compute(*pieces.to_delayed())):
        assert set(np.asarray(part.index)) <= {i}


# ------------------------------------------------------------------------------------ Spark


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    pytest.importorskip("pyarrow", reason="pyarrow is not installed (Spark's mapInPandas needs it)")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: PySpark needs one (apt-get install openjdk-17-jre-headless)")
    import os
    import sys

    from pyspark.sql import SparkSession

    # Spark's Python workers must run this interpreter (the one segcore is installed in).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("segcore-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_kmeans_equals_single_machine_and_scores(spark):
    import segcore.spark as sspark

    # The fit runs in barrier tasks (3 partitions on 2 slots: coalesced, each row keeping its
    # partition); test_spark_barrier_fit_has_the_bits_of_one_job_per_pass checks the other path.
    x = _blobs(n=3000, seed=6)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)])
    df = spark.createDataFrame(frame).repartition(3)
    init = x[[0, 1, 2, 3]]
    dist = sspark.KMeans(4, init=init).fit(df)
    single = segcore.KMeans(4, init=init, n_init=1).fit(frame)
    np.testing.assert_allclose(dist.cluster_centers_, single.cluster_centers_, rtol=0, atol=1e-9)
    assert dist.n_iter_ == single.n_iter_
    scored = sspark.predict(dist, df).toPandas()
    expected = single.predict(scored[list(frame.columns)])
    np.testing.assert_array_equal(scored["segment"].to_numpy(), expected)
    # The default (k-means||) fit runs the same core driver as segcore.dask's, checked there and
    # in test_spark_barrier_fit_has_the_bits_of_one_job_per_pass.

    scaler = sspark.StandardScaler().fit(df)
    np.testing.assert_allclose(scaler.mean_, x.mean(axis=0), rtol=1e-12)
    pca = sspark.PCA(2).fit(df)
    local = segcore.PCA(2, svd_solver="covariance_eigh").fit(x)
    np.testing.assert_allclose(pca.explained_variance_, local.explained_variance_, rtol=1e-9)


def test_spark_gaussian_mixture_equals_single_machine_and_scores(spark):
    import segcore.spark as sspark

    x = _blobs(seed=4)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)])
    df = spark.createDataFrame(frame).repartition(3)
    start = _mixture_start(x, "full")
    dist = sspark.GaussianMixture(4, **start).fit(df)
    single = segcore.GaussianMixture(4, **start).fit(frame)
    assert dist.n_iter_ == single.n_iter_
    np.testing.assert_allclose(dist.means_, single.means_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dist.covariances_, single.covariances_, rtol=1e-7, atol=1e-9)
    scored = sspark.predict(dist, df).toPandas()
    expected = single.predict(scored[list(frame.columns)])
    np.testing.assert_array_equal(scored["segment"].to_numpy(), expected)


def test_spark_bad_input_and_rfm(spark):
    import segcore.spark as sspark

    x = _blobs(n=1000)
    x[10, 1] = np.nan
    df = spark.createDataFrame(pd.DataFrame(x, columns=[f"f{i}" for i in range(5)])).coalesce(1)
    with pytest.raises(Exception, match=r"partition 0 of X .*row 10, column 1"):
        sspark.KMeans(3).fit(df)

    log = _log(seed=2)
    dist = sspark.rfm(spark.createDataFrame(log))
    local = segcore.rfm(log).sort_index()
    assert list(dist.index) == list(local.index)
    for column in ["recency_days", "frequency", "monetary", "r_score", "f_score", "m_score"]:
        np.testing.assert_allclose(dist[column].to_numpy(float), local[column].to_numpy(float), rtol=1e-12)


def test_spark_default_as_of_reads_text_dates_as_dates(spark):
    import segcore.spark as sspark

    log = _text_dated_log(seed=4)
    dist = sspark.rfm(spark.createDataFrame(log))
    local = segcore.rfm(log).sort_index()
    assert list(dist.index) == list(local.index)
    np.testing.assert_array_equal(dist["recency_days"].to_numpy(float), local["recency_days"].to_numpy(float))


def test_spark_bad_input_on_both_paths(spark):
    import segcore.spark as sspark
    from pyspark.sql import functions as F

    columns = [f"f{i}" for i in range(5)]
    x = _blobs(n=2000, seed=8)
    # An empty partition (the middle one of three) is fine, with barrier tasks or without.
    df = spark.createDataFrame(pd.DataFrame(x, columns=columns)).repartition(3)
    df = df.where(F.spark_partition_id() != 1).cache()
    parts = df.withColumn("pid", F.spark_partition_id()).toPandas()
    assert set(parts["pid"]) == {0, 2} and df.rdd.getNumPartitions() == 3
    y = parts[columns].to_numpy()
    init = y[[0, 1, 2]]
    single = segcore.KMeans(3, init=init, n_init=1).fit(y)
    for barrier in (True, False):
        dist = sspark.KMeans(3, init=init, barrier=barrier).fit(df)
        np.testing.assert_allclose(dist.cluster_centers_, single.cluster_centers_, rtol=0, atol=1e-9)
    scaler = sspark.StandardScaler().fit(df)
    np.testing.assert_allclose(scaler.mean_, y.mean(axis=0), rtol=1e-12)
    assert scaler.n_samples_seen_ == len(y)
    model = sspark.MiniBatchKMeans(3, batch_size=256, random_state=0).fit(df)
    local = segcore.MiniBatchKMeans(3, batch_size=256, random_state=0)
    for _, block in parts.groupby("pid", sort=True):
        local.partial_fit(block[columns].to_numpy())
    np.testing.assert_allclose(model.cluster_centers_, local.cluster_centers_, rtol=0, atol=1e-12)
    df.unpersist()
    # A NaN names the partition and the row, raised with the core's class on both paths.
    x[1700, 4] = np.nan
    bad = spark.createDataFrame(pd.DataFrame(x, columns=columns)).coalesce(1)
    for barrier in (True, False):
        with pytest.raises(segcore.exceptions.DataError, match=r"partition 0 of X .*row 1700, column 4"):
            sspark.KMeans(3, init=init, barrier=barrier).fit(bad)
    with pytest.raises(segcore.exceptions.DataError, match=r"partition 0 of X .*row 1700, column 4"):
        sspark.PCA(2).fit(bad)
    # One schema for all partitions: a missing or non-numeric column is refused before any job.
    text = bad.withColumn("f2", F.col("f2").cast("string"))
    with pytest.raises(segcore.exceptions.DataError, match=r"columns f2 \(string\) are not numeric"):
        sspark.KMeans(3).fit(text)
    with pytest.raises(segcore.exceptions.DataError, match=r"unknown columns \['g'\]"):
        sspark.StandardScaler().fit(bad, columns=["f0", "g"])


def test_spark_segmenter_scores_a_log_as_in_memory(spark):
    import segcore.spark as sspark

    model, customers, transactions = _segmenter_case("gmm")
    log = spark.createDataFrame(transactions).repartition(3)
    scored = sspark.predict(model, spark.createDataFrame(customers), log).toPandas()
    _assert_same_assignments(scored, model.predict(customers, transactions).reset_index(drop=True))
    few = customers.iloc[::7]
    scored = sspark.predict(model, spark.createDataFrame(few), log, n_pieces=3).toPandas()
    _assert_same_assignments(scored, model.predict(few, transactions).reset_index(drop=True))


def test_spark_minibatch_streams_over_partitions(spark):
    import segcore.spark as sspark
    from pyspark.sql import functions as F

    x = _blobs(n=3000, seed=5)
    columns = [f"f{i}" for i in range(5)]
    df = spark.createDataFrame(pd.DataFrame(x, columns=columns)).repartition(3).cache()
    parts = df.withColumn("pid", F.spark_partition_id()).toPandas()
    model = sspark.MiniBatchKMeans(4, batch_size=256, random_state=0).fit(df)
    local = segcore.MiniBatchKMeans(4, batch_size=256, random_state=0)
    for _, block in parts.groupby("pid", sort=True):
        local.partial_fit(block[columns].to_numpy())
    np.testing.assert_allclose(model.cluster_centers_, local.cluster_centers_, rtol=0, atol=1e-12)
    scored = sspark.predict(model, df).toPandas()
    np.testing.assert_array_equal(scored["segment"].to_numpy(), local.predict(scored[columns].to_numpy()))
    df.unpersist()


def test_spark_sample_weights_as_on_one_machine(spark):
    import segcore.spark as sspark

    x = _blobs(n=2000, seed=9)
    w = (np.arange(2000) * 7 % 5).astype(np.float64)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)]).assign(w=w)
    df = spark.createDataFrame(frame).repartition(3)
    init = x[[0, 500, 1000, 1999]]
    single = segcore.KMeans(4, init=init, n_init=1).fit(x, sample_weight=w)
    dist = sspark.KMeans(4, init=init).fit(df, sample_weight="w")
    np.testing.assert_allclose(dist.cluster_centers_, single.cluster_centers_, rtol=0, atol=1e-9)
    assert dist.n_iter_ == single.n_iter_
    assert list(dist.feature_names_in_) == [f"f{i}" for i in range(5)]


def test_spark_weighted_scaler_pca_and_minibatch_as_on_one_machine(spark):
    import segcore.spark as sspark
    from pyspark.sql import functions as F

    x = _blobs(n=2000, seed=13) * np.array([1.0, 10.0, 100.0, 1000.0, 1e4])
    w = _weights(2000)
    columns = [f"f{i}" for i in range(5)]
    df = spark.createDataFrame(pd.DataFrame(x, columns=columns).assign(w=w)).repartition(3).cache()
    scaler = sspark.StandardScaler().fit(df, sample_weight="w")
    local = segcore.StandardScaler().fit(x, sample_weight=w)
    np.testing.assert_allclose(scaler.mean_, local.mean_, rtol=1e-12)
    np.testing.assert_allclose(scaler.var_, local.var_, rtol=1e-9)
    assert scaler.n_samples_seen_ == pytest.approx(local.n_samples_seen_, rel=1e-12)
    assert list(scaler.feature_names_in_) == columns
    pca = sspark.PCA(3).fit(df, sample_weight="w")
    single = segcore.PCA(3, svd_solver="covariance_eigh").fit(x, sample_weight=w)
    np.testing.assert_allclose(pca.explained_variance_, single.explained_variance_, rtol=1e-9)
    np.testing.assert_allclose(pca.components_, single.components_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(pca.mean_, single.mean_, rtol=1e-12)

    parts = df.withColumn("pid", F.spark_partition_id()).toPandas()
    model = sspark.MiniBatchKMeans(4, batch_size=256, random_state=0).fit(df, sample_weight="w")
    local = segcore.MiniBatchKMeans(4, batch_size=256, random_state=0)
    for _, block in parts.groupby("pid", sort=True):
        local.partial_fit(block[columns].to_numpy(), sample_weight=block["w"].to_numpy())
    np.testing.assert_allclose(model.cluster_centers_, local.cluster_centers_, rtol=0, atol=1e-9)
    df.unpersist()


def test_spark_barrier_fit_has_the_bits_of_one_job_per_pass(spark):
    import segcore.spark as sspark

    x = _blobs(n=6000, seed=3)
    columns = [f"f{i}" for i in range(5)]
    frame = pd.DataFrame(x, columns=columns)
    single = segcore.KMeans(4, init=x[[0, 1, 2, 3]], n_init=1).fit(frame)
    # 3 partitions on 2 slots (coalesced and stored), 2 (as they are), and a union (Spark refuses
    # its plan in a barrier stage: stored first): the statistics are those of the partitions.
    cases = {
        "repartition(3)": spark.createDataFrame(frame).repartition(3),
        "repartition(2)": spark.createDataFrame(frame).repartition(2),
        "union": spark.createDataFrame(frame.iloc[:2500])
        .repartition(1)
        .union(spark.createDataFrame(frame.iloc[2500:]).repartition(1)),
    }
    for name, df in cases.items():
        # Few k-means|| rounds: each pass of barrier=False is a Spark job.
        settings = dict(random_state=0, init_max_iter=2, max_iter=6)
        barrier = sspark.KMeans(4, barrier=True, **settings).fit(df)
        passes = sspark.KMeans(4, barrier=False, **settings).fit(df)
        np.testing.assert_array_equal(barrier.cluster_centers_, passes.cluster_centers_, err_msg=name)
        assert barrier.inertia_ == passes.inertia_ and barrier.n_iter_ == passes.n_iter_, name
        exact = sspark.KMeans(4, init=x[[0, 1, 2, 3]]).fit(df)
        np.testing.assert_allclose(exact.cluster_centers_, single.cluster_centers_, rtol=0, atol=1e-9)
    df = cases["repartition(3)"]
    start = _mixture_start(x, "diag")
    barrier = sspark.GaussianMixture(4, **start).fit(df)
    passes = sspark.GaussianMixture(4, **start, barrier=False).fit(df)
    np.testing.assert_array_equal(barrier.means_, passes.means_)
    np.testing.assert_array_equal(barrier.covariances_, passes.covariances_)
    assert barrier.n_iter_ == passes.n_iter_
    with pytest.raises(segcore.SegcoreError, match="barrier"):
        sspark.KMeans(4, barrier="always").fit(df)
    # An error in a task (a NaN) arrives as the core's error, naming the partition and row.
    broken = x.copy()
    broken[4500, 2] = np.nan
    bad = spark.createDataFrame(pd.DataFrame(broken, columns=columns)).repartition(2)
    with pytest.raises(segcore.exceptions.DataError, match=r"partition \d+ of X .*row \d+, column 2"):
        sspark.KMeans(4, init=x[[0, 1, 2, 3]], barrier=True).fit(bad)


def test_spark_a_panic_in_a_task_is_an_error(spark):
    from segcore import _engine

    class Panic(BaseException):  # local: the executors receive it by value
        pass

    def panicking(partition: int) -> None:
        raise Panic("boom")

    # Spark's Python workers report any BaseException as the task's failure; an engine task
    # (partition tasks, partial fits) turns it into a SegcoreError naming the partition.
    rdd = spark.sparkContext.parallelize([0, 1], 2)
    with pytest.raises(Exception, match="Panic: boom"):
        rdd.map(panicking).collect()
    with pytest.raises(Exception, match=r"SegcoreError: internal error .*: partition \d: Panic: boom"):
        rdd.map(_engine.guarded("partition {partition}")(panicking)).collect()
