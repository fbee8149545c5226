"""segcore.dask.read_parquet on a real dask.distributed LocalCluster (2 worker processes): the
core decodes each file (or row group) straight into row blocks on the workers; the blocks hold
the rows dd.read_parquet gives, and fits on them equal the single-machine fit."""

from __future__ import annotations

import numpy as np
import pytest

import segcore
from segcore.exceptions import ColumnTypeError, DataError

pytest.importorskip("dask", reason="dask is not installed")
pytest.importorskip("dask.dataframe", reason="dask[dataframe] is not installed")
pytest.importorskip("distributed", reason="dask.distributed is not installed")
pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed (it writes the test files)")

import dask.dataframe as dd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import segcore.dask as sdask  # noqa: E402

COLUMNS = [f"f{j}" for j in range(5)]


def _blobs(n: int, d: int = 5, seed: int = 0) -> np.ndarray:
    from sklearn.datasets import make_blobs

    x, _ = make_blobs(n_samples=n, n_features=d, centers=4, cluster_std=2.0, random_state=seed)
    return x


def _write(folder, parts, dtype=np.float64, row_group_size=None) -> None:
    """One Parquet file per part (part-0.parquet, part-1.parquet, ..., part-10.parquet: natural
    order differs from the text order past 10 files)."""
    folder.mkdir(exist_ok=True)
    for i, x in enumerate(parts):
        x = np.asarray(x, dtype=dtype)
        # Arrow arrays from numpy keep a NaN as NaN (from a pandas frame it would become a null)
        table = pa.table({c: x[:, j] for j, c in enumerate(COLUMNS[: x.shape[1]])})
        pq.write_table(table, folder / f"part-{i}.parquet", row_group_size=row_group_size)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_read_parquet_gives_the_rows_of_dd_read_parquet(client, tmp_path, dtype):
    x = _blobs(4000)
    # 12 files (natural order: part-2 before part-10), one of them empty, several row groups each
    parts = np.array_split(x, 11)
    parts.insert(3, x[:0])
    _write(tmp_path, parts, dtype, row_group_size=150)
    expected = dd.read_parquet(str(tmp_path)).compute().to_numpy()
    assert expected.dtype == dtype
    for split in (False, True):
        X = sdask.read_parquet(tmp_path, split_row_groups=split)
        assert X.dtype == dtype and X.shape == expected.shape
        got = X.compute()
        assert got.dtype == dtype and got.flags.c_contiguous
        np.testing.assert_array_equal(got, expected)
    assert sdask.read_parquet(tmp_path).numblocks == (12, 1)
    assert sdask.read_parquet(tmp_path, split_row_groups=True).numblocks[0] > 12
    # columns chosen and reordered; dtype asked for; a glob and a list of files
    X = sdask.read_parquet(str(tmp_path / "part-*.parquet"), columns=["f3", "f0"], dtype="float64")
    np.testing.assert_array_equal(X.compute(), expected[:, [3, 0]].astype(np.float64))
    files = [tmp_path / "part-10.parquet", tmp_path / "part-2.parquet", tmp_path / "part-1.parquet"]
    np.testing.assert_array_equal(sdask.read_parquet(files).compute(),
                                  dd.read_parquet([str(f) for f in files]).compute().to_numpy())


def test_fits_on_read_parquet_equal_the_single_machine_fit(client, tmp_path):
    x = _blobs(6000)
    _write(tmp_path, np.array_split(x, 4), np.float64, row_group_size=400)
    init = x[[0, 1500, 3000, 4500]]
    single = segcore.KMeans(4, init=init, n_init=1, tol=0.0).fit(x)
    for split in (False, True):
        X = sdask.read_parquet(tmp_path, split_row_groups=split)
        for persist in (False, True):
            dist = sdask.KMeans(4, init=init, tol=0.0, persist=persist).fit(X)
            np.testing.assert_allclose(dist.cluster_centers_, single.cluster_centers_, rtol=0, atol=1e-9)
            np.testing.assert_array_equal(dist.labels_.compute(), single.labels_)
            assert dist.n_iter_ == single.n_iter_
    scaler = sdask.StandardScaler().fit(sdask.read_parquet(tmp_path))
    np.testing.assert_allclose(scaler.mean_, x.mean(axis=0), rtol=1e-12)
    # float32 files fit in float32, as a float32 DataFrame does
    _write(tmp_path / "f32", np.array_split(x, 3), np.float32)
    X32 = sdask.read_parquet(tmp_path / "f32")
    from_frame = sdask.KMeans(4, init=init, tol=0.0, persist=False).fit(dd.read_parquet(str(tmp_path / "f32")))
    from_reader = sdask.KMeans(4, init=init, tol=0.0, persist=False).fit(X32)
    assert from_reader.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(from_reader.cluster_centers_, from_frame.cluster_centers_)


def test_passes_over_unpersisted_files_stream_them_with_the_bits_of_the_blocks(client, tmp_path):
    """Not persisted, a read_parquet array's tasks decode their file on the worker (a k-means
    pass streams it through the kernel): the fit has the bits of the fit on the persisted blocks,
    with k-means|| or given centers, with and without sample weights."""
    import dask.array as da

    x = _blobs(9000)
    # Row groups of 700 rows: the kernel's batches span them.
    _write(tmp_path, np.array_split(x, 3), np.float32, row_group_size=700)
    X = sdask.read_parquet(tmp_path)
    def streamed_from_files(X: "da.Array", persist: bool) -> bool:
        return all(isinstance(b, segcore._segcore.ParquetRows) for b in sdask._Blocks(X, persist=persist).blocks)

    assert streamed_from_files(X, persist=False)
    assert not streamed_from_files(X, persist=True)
    assert not streamed_from_files(X.persist(), persist=False)
    assert not streamed_from_files(X + 0, persist=False)
    weights = da.from_array(np.linspace(0.5, 2.0, len(x)), chunks=X.chunks[0])
    init = x[[0, 3000, 6000, 8000]]
    for options, sample_weight in (({"init": init}, None), ({"random_state": 3}, None), ({"init": init}, weights)):
        streamed = sdask.KMeans(4, tol=0.0, max_iter=5, persist=False, **options).fit(X, sample_weight=sample_weight)
        held = sdask.KMeans(4, tol=0.0, max_iter=5, persist=True, **options).fit(X, sample_weight=sample_weight)
        np.testing.assert_array_equal(streamed.cluster_centers_, held.cluster_centers_)
        assert streamed.inertia_ == held.inertia_ and streamed.n_iter_ == held.n_iter_
        np.testing.assert_array_equal(streamed.labels_.compute(), held.labels_.compute())
    # An error in a streamed pass names the file.
    bad = x[:50].astype(np.float32).copy()
    bad[7, 2] = np.inf
    _write(tmp_path / "bad", [x[:60], bad], np.float32)
    with pytest.raises(segcore.SegcoreError, match=r"part-1\.parquet"):
        sdask.KMeans(2, init=x[:2], tol=0.0, persist=False).fit(sdask.read_parquet(tmp_path / "bad"))


def test_read_parquet_bad_input_names_the_file(client, tmp_path):
    x = _blobs(600)
    bad = x.copy()
    bad[423, 2] = np.nan
    _write(tmp_path, [x[:300], bad[300:]])
    X = sdask.read_parquet(tmp_path)
    with pytest.raises(DataError, match=r"part-1\.parquet \(row group 0, column `f2`\) .*NaN.* at row 123, column 2"):
        sdask.KMeans(3, persist=False).fit(X)
    # a null
    nulls = tmp_path / "nulls"
    nulls.mkdir()
    with_null = [None if i == 7 else float(v) for i, v in enumerate(x[:10, 4])]
    table = pa.table({c: (with_null if c == "f4" else x[:10, j]) for j, c in enumerate(COLUMNS)})
    pq.write_table(table, nulls / "a.parquet")
    with pytest.raises(DataError, match=r"a\.parquet: row group 0, column `f4`: a null .* at row 7"):
        sdask.read_parquet(nulls).compute()
    # a file whose columns differ from the first's; a column missing in one file
    other = tmp_path / "other"
    _write(other, [x[:100], x[100:200, :4]])
    with pytest.raises(DataError, match=r"part-1\.parquet: has the columns f0, f1, f2, f3, the first file"):
        sdask.read_parquet(other)
    with pytest.raises(DataError, match=r"part-1\.parquet: no column `f4`"):
        sdask.read_parquet(other, columns=["f0", "f4"])
    np.testing.assert_array_equal(sdask.read_parquet(other, columns=["f1"]).compute()[:, 0], x[:200, 1])
    # a text column
    text = tmp_path / "text"
    text.mkdir()
    pq.write_table(pa.table({"f0": [1.0, 2.0], "name": ["a", "b"]}), text / "t.parquet")
    with pytest.raises(ColumnTypeError, match=r"column `name` is text or binary in .*t\.parquet"):
        sdask.read_parquet(text)
    with pytest.raises(TypeError, match="float32 or float64"):
        sdask.read_parquet(tmp_path / "part-0.parquet", dtype=np.int64)
    with pytest.raises(DataError, match="no Parquet files"):
        sdask.read_parquet(str(tmp_path / "nothing-*.parquet"))
    # integer columns read as numbers; an empty file is fine
    ints = tmp_path / "ints"
    ints.mkdir()
    pq.write_table(pa.table({"a": pa.array([1, 2, 3], pa.int64()), "b": pa.array([4, 5, 6], pa.uint32())}), ints / "0.parquet")
    pq.write_table(pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.uint32())}), ints / "1.parquet")
    got = sdask.read_parquet(ints).compute()
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [[1, 4], [2, 5], [3, 6]])
