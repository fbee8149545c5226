"""The one input adapter (segcore._frames): what every estimator and function gets from pandas,
polars and numpy input."""

import numpy as np
import pandas as pd
import pytest

import segcore
from segcore import _frames
from segcore.exceptions import ColumnError, DataError


def test_pandas_and_polars_columns_convert_alike():
    pl = pytest.importorskip("polars")
    data = {"revenue": [1.0, None, 3.0], "channel": ["web", None, "field"]}
    pandas_columns, pandas_rows = _frames.table_columns(pd.DataFrame(data))
    polars_columns, polars_rows = _frames.table_columns(pl.DataFrame(data))
    assert pandas_rows == polars_rows == 3
    for (name_a, a), (name_b, b) in zip(pandas_columns, polars_columns):
        assert name_a == name_b
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a[0] == b[0] == ["web", "field"]
            assert a[1].tolist() == b[1].tolist() == [0, -1, 1]


def test_pandas_categorical_keeps_its_declared_order():
    frame = pd.DataFrame({"size": pd.Categorical(["L", "S", "L"], categories=["S", "M", "L"])})
    [(_, (categories, codes))], _ = _frames.table_columns(frame)
    assert categories == ["S", "M", "L"]
    assert codes.tolist() == [2, 0, 2]


def test_duplicate_column_names_are_a_clear_error():
    frame = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["a", "a"])
    with pytest.raises(DataError, match="duplicate column names: a"):
        segcore.profile(frame, [0, 1])
    with pytest.raises(DataError, match="duplicate column names: a"):
        segcore.FeaturePipeline(["a"]).fit(frame)


def test_unknown_column_names_the_available_ones():
    with pytest.raises(ColumnError, match="unknown column `x`; available columns: a, b"):
        _frames.column(pd.DataFrame({"a": [1], "b": [2]}), "x")


def test_datetime_units_and_text_dates_give_the_same_day():
    days = pd.to_datetime(["2025-01-05", "2025-03-01"])
    tx = pd.DataFrame({"customer_id": ["A", "A"], "amount": [10.0, 20.0], "date": days})
    expected = segcore.behaviour_features(tx, as_of="2025-03-02")
    for dates in (days.astype("datetime64[s]"), days.astype("datetime64[ms]"), ["2025-01-05", "2025-03-01"]):
        got = segcore.behaviour_features(tx.assign(date=dates), as_of="2025-03-02")
        pd.testing.assert_frame_equal(got, expected)


def test_feature_names_follow_the_last_fit():
    frame = pd.DataFrame({"a": [0.0, 2.0], "b": [1.0, 3.0]})
    for estimator in (segcore.StandardScaler(), segcore.PCA(n_components=1), segcore.KMeans(2, random_state=0)):
        estimator.fit(frame)
        assert estimator.feature_names_in_.tolist() == ["a", "b"]
        estimator.fit(frame.to_numpy())
        assert not hasattr(estimator, "feature_names_in_")


def test_unaligned_buffers_are_read_through_an_aligned_copy():
    """An array over an unaligned buffer (as unpickled on a worker) is copied, not read through a
    misaligned pointer (which aborted the call)."""
    rng = np.random.default_rng(0)
    data = rng.normal(size=(50, 3))
    raw = np.empty(data.nbytes + 1, dtype=np.uint8)
    unaligned = np.frombuffer(raw[1:].data, dtype=np.float64).reshape(50, 3)
    unaligned[:] = data
    assert not unaligned.flags.aligned
    model = segcore.KMeans(n_clusters=2, random_state=0).fit(unaligned)
    np.testing.assert_array_equal(model.labels_, segcore.KMeans(n_clusters=2, random_state=0).fit(data).labels_)


def test_duplicate_column_names_in_a_transaction_log_are_a_clear_error():
    import pandas as pd
    from segcore.exceptions import DataError

    log = pd.DataFrame([["C1", "2024-01-02", 10.0, 3.0]], columns=["customer_id", "date", "amount", "amount"])
    with pytest.raises(DataError, match="duplicate column names: amount"):
        segcore.rfm(log)


# --- one column policy for every table adapter (profiles, the Segmenter, the feature pipeline) --


def _flag_frames(values):
    """A boolean column (None = missing) as a pandas (nullable boolean) and, when polars is
    installed, a polars DataFrame."""
    frames = [pd.DataFrame({"flag": pd.array(values, dtype="boolean")})]
    try:
        import polars as pl
    except ImportError:
        return frames
    return frames + [pl.DataFrame({"flag": pl.Series("flag", values, dtype=pl.Boolean)})]


def test_booleans_are_numbers_zero_and_one():
    for frame in _flag_frames([True, False, None, True]):
        [(_, customer_table)], _ = _frames.table_columns(frame)
        np.testing.assert_array_equal(customer_table, [1.0, 0.0, np.nan, 1.0])
        np.testing.assert_array_equal(_frames.column_input(frame["flag"]), [1.0, 0.0, np.nan, 1.0])
        # As categories only where the spec asks for them.
        assert _frames.column_input(frame["flag"], categorical=True)[1].tolist() == [0, 1, -1, 0]
    numpy_flags = _frames.column_input(np.array([True, False]))
    assert numpy_flags.dtype == np.float64 and numpy_flags.tolist() == [1.0, 0.0]
    # A profile reads a flag as a number (its mean is the share of True), as the pipeline does.
    frame = pd.DataFrame({"flag": [True, False] * 10})
    report = segcore.profile(frame, [0] * 10 + [1] * 10, min_group_size=1)
    assert report.numeric["column"].unique().tolist() == ["flag"] and report.categorical.empty
    assert segcore.FeaturePipeline().fit(frame).get_feature_names_out().tolist() == ["flag"]


def test_categoricals_keep_their_declared_order_in_every_adapter():
    declared = ["S", "M", "L"]
    values = ["L", "S", None, "L"]
    columns = [pd.Series(pd.Categorical(values, categories=declared)), pd.Categorical(values, categories=declared)]
    try:
        import polars as pl

        columns.append(pl.Series("size", values, dtype=pl.Enum(declared)))
    except ImportError:
        pass
    for data in columns:
        for categorical in (False, True):
            categories, codes = _frames.column_input(data, categorical)
            assert categories == declared
            assert codes.tolist() == [2, 0, -1, 2]
    # The profile lists the categories in that order.
    frame = pd.DataFrame({"size": pd.Categorical(["L", "M", "S", "L"] * 5, categories=declared)})
    report = segcore.profile(frame, [0, 1] * 10, min_group_size=1)
    assert report.categorical["category"].unique().tolist() == declared


def test_text_categories_in_order_of_first_appearance_and_equal_text_is_one_category():
    for data in (pd.Series(["b", "a", None, "b"]), np.array(["b", "a", None, "b"], dtype=object)):
        categories, codes = _frames.column_input(data)
        assert categories == ["b", "a"] and codes.tolist() == [0, 1, -1, 0]
    categories, codes = _frames.column_input(np.array([1, "1", 2], dtype=object))
    assert categories == ["1", "2"] and codes.tolist() == [0, 0, 1]


def test_one_label_encoding_for_profiles_metrics_and_clv():
    codes, kept = _frames.as_labels([3, 1, 3])
    assert codes.tolist() == [3, 1, 3] and kept.tolist() == [0, 1, 2, 3]
    codes, named = _frames.as_labels(["b", "a", "b"])
    assert codes.tolist() == [1, 0, 1] and named.tolist() == ["a", "b"]
    assert _frames.as_labels([5, 0, 5], dense=True)[0].tolist() == [1, 0, 1]
    with pytest.raises(DataError, match=r"labels, row 1: 'x' is not a segment label"):
        _frames.as_labels([0, "x"], segments_only=True)
    for bad in ([0.0, np.nan], [0, None]):
        with pytest.raises(DataError, match="missing values .* at row 1"):
            _frames.as_labels(bad)
    # The metrics read labels by the same encoding: names or numbers, one partition.
    assert segcore.metrics.adjusted_rand_score(["b", "a", "b"], [7, 0, 7]) == 1.0
