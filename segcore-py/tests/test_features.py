"""Behaviour / RFM / value / lifecycle features: definitions, oracles (pandas groupby, pandas.qcut,
lifetimes on CDNOW), bad input."""

from __future__ import annotations

import datetime
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

import segcore
from conftest import require_data


def small_log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A", "A", "B", "B", "C"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-11", "2024-01-31", "2024-03-01", "2025-03-01", "2025-03-01", "2025-03-05", "2023-01-10"]
            ),
            "amount": [100.0, 100.0, 100.0, 50.0, 200.0, 10.0, -4.0, 30.0],
            "channel": ["EDI", "web", "EDI", None, "EDI", "web", "web", "EDI"],
        }
    )


def pandas_behaviour(tx: pd.DataFrame, as_of: pd.Timestamp, months: int = 12) -> pd.DataFrame:
    """The same definitions written as plain pandas groupby code (the benchmark's peer)."""
    orders = tx[tx.amount > 0]
    order_days = orders[["customer_id", "date"]].drop_duplicates().sort_values(["customer_id", "date"])
    gaps = order_days.groupby("customer_id").date.diff().dt.days
    g = orders.groupby("customer_id")
    per_order = pd.DataFrame(
        {
            "recency_days": (as_of - g.date.max()).dt.days.astype(float),
            "frequency": order_days.groupby("customer_id").size().astype(float),
            "tenure_days": (as_of - g.date.min()).dt.days.astype(float),
            "interpurchase_mean_days": gaps.groupby(order_days.customer_id).mean(),
            "interpurchase_std_days": gaps.groupby(order_days.customer_id).std(),
        }
    )
    # Every customer of the log, also those with returns only (frequency 0, no recency).
    out = tx.groupby("customer_id").amount.sum().rename("monetary").to_frame().join(per_order)
    out["frequency"] = out["frequency"].fillna(0.0)
    last_start = as_of - pd.DateOffset(months=months)
    prev_start = as_of - pd.DateOffset(months=2 * months)
    in_last = tx.date >= last_start
    in_prev = (tx.date >= prev_start) & ~in_last
    out["revenue_last_window"] = tx.amount.where(in_last, 0.0).groupby(tx.customer_id).sum()
    out["revenue_previous_window"] = tx.amount.where(in_prev, 0.0).groupby(tx.customer_id).sum()
    return out


def test_behaviour_definitions_and_pandas_polars_agree():
    tx = small_log()
    f = segcore.behaviour_features(tx, customers=["A", "B", "C", "D"], channel="channel", as_of="2025-03-31")
    assert f.attrs["as_of"] == "2025-03-31"
    assert f.loc["A", "frequency"] == 5 and f.loc["A", "recency_days"] == 30
    gaps = np.array([10.0, 20.0, 30.0, 365.0])
    assert f.loc["A", "interpurchase_mean_days"] == gaps.mean()
    assert f.loc["A", "interpurchase_std_days"] == pytest.approx(gaps.std(ddof=1), rel=1e-15)
    assert f.loc["A", "revenue_last_window"] == 200.0 and f.loc["A", "revenue_previous_window"] == 350.0
    assert f.loc["A", "revenue_trend"] == pytest.approx((200 - 350) / 550)
    assert f.loc["A", "channel_share_EDI"] == 400 / 550 and f.loc["A", "channel_share_web"] == 100 / 550
    # B: the -4 return reduces revenue but is not an order; D never bought and still has a row.
    assert f.loc["B", "frequency"] == 1 and f.loc["B", "monetary"] == 6.0
    assert f.loc["D", "frequency"] == 0 and np.isnan(f.loc["D", "recency_days"])
    assert f.loc["D", "revenue_trend"] == 0.0
    polars_tx = pl.from_dict(
        {
            "customer_id": tx.customer_id.tolist(),
            "date": [d.date() for d in tx.date],
            "amount": tx.amount.tolist(),
            "channel": [None if pd.isna(v) else v for v in tx.channel],
        }
    )
    from_polars = segcore.behaviour_features(polars_tx, customers=["A", "B", "C", "D"], channel="channel", as_of="2025-03-31")
    pd.testing.assert_frame_equal(f, from_polars)


def test_behaviour_matches_pandas_groupby_on_synthetic_b2b():
    _, tx, _ = segcore.datasets.make_b2b(400, random_state=3)
    tx = tx[["customer_id", "date", "amount"]].copy()
    tx["date"] = pd.to_datetime(tx["date"])
    as_of = tx.date.max() + pd.Timedelta(days=1)
    ours = segcore.behaviour_features(tx)
    ref = pandas_behaviour(tx, as_of).reindex(ours.index)
    for column in ref.columns:
        np.testing.assert_allclose(ours[column], ref[column], rtol=1e-12, atol=1e-9, err_msg=column)


def test_rfm_agrees_with_lifetimes_on_cdnow():
    """lifetimes' summary_data_from_transaction_data vs segcore on the full CDNOW log.

    Where the definitions coincide they agree exactly:
    - lifetimes `frequency` counts *repeat* purchase days: ours - 1;
    - lifetimes `recency` is first-to-last purchase: our tenure_days - recency_days;
    - lifetimes `T` is first purchase to the observation end: our tenure_days with
      observation_period_end = our as_of (1998-07-01; no transaction on that day, so lifetimes'
      "<= end" and our "< as_of" see the same rows);
    - lifetimes `monetary_value` is the mean of the *repeat* days' totals (first day excluded):
      frequency x monetary_value + first-day revenue = our monetary.
    Where they differ, and why: lifetimes counts a day whose lines are all 0.00 as a purchase;
    segcore counts only days with a positive amount as orders (a zero or negative line is no
    order). CDNOW has 80 such rows, all on days without another line: those customers are
    checked separately.
    """
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    path = require_data("cdnow/cdnow_transactions.csv")
    tx = pd.read_csv(path, parse_dates=["date"])
    lt = lifetimes_utils.summary_data_from_transaction_data(
        tx, "customer_id", "date", monetary_value_col="amount", observation_period_end="1998-07-01"
    )
    ours = segcore.rfm(tx)
    assert ours.attrs["as_of"] == "1998-07-01"
    assert len(ours) == len(lt) == 23570
    ours = ours.loc[lt.index]
    daily = tx.groupby(["customer_id", "date"]).amount.sum()
    zero_days = daily[daily <= 0].groupby(level="customer_id").size()
    same = ~lt.index.isin(zero_days.index)
    assert same.sum() == 23570 - 80
    o, l = ours[same], lt[same]
    assert (l.frequency == o.frequency - 1).all()
    assert (l.recency == o.tenure_days - o.recency_days).all()
    assert (l["T"] == o.tenure_days).all()
    first_day = daily.groupby(level="customer_id").first().loc[l.index]
    np.testing.assert_allclose(l.frequency * l.monetary_value + first_day, o.monetary, rtol=1e-12)
    # The differing customers: lifetimes counts their zero-amount day, segcore does not.
    o, l = ours[~same], lt[~same]
    assert (l.frequency == o.frequency - 1 + zero_days.loc[l.index]).all()
    assert (o.frequency == 0).sum() == 68  # only zero-amount lines: no order, segment "No orders"
    assert (ours.segment[ours.frequency == 0] == "No orders").all()


def qcut_scores(values: pd.Series, q: int, higher_is_better: bool) -> np.ndarray:
    labels = list(range(1, q + 1)) if higher_is_better else list(range(q, 0, -1))
    return pd.qcut(values.rank(method="first"), q, labels=labels).astype(int).to_numpy()


@pytest.mark.parametrize("q", [3, 4, 5, 10])
def test_rfm_scores_match_pandas_qcut_on_ranks(q):
    rng = np.random.default_rng(q)
    for n in [2, 3, 7, 11, 64, 499, 1000]:
        recency = pd.Series(rng.integers(1, 30, n).astype(float))  # many ties
        frequency = pd.Series(rng.integers(1, 6, n).astype(float))
        monetary = pd.Series(rng.lognormal(5, 1, n).round(0))
        s = segcore.rfm_scores(recency, frequency, monetary, n_scores=q, rules=[("all", (1, q), (1, q), (1, q))])
        np.testing.assert_array_equal(s.r_score, qcut_scores(recency, q, False), err_msg=f"R n={n}")
        np.testing.assert_array_equal(s.f_score, qcut_scores(frequency, q, True), err_msg=f"F n={n}")
        np.testing.assert_array_equal(s.m_score, qcut_scores(monetary, q, True), err_msg=f"M n={n}")


def test_rfm_segments_default_and_custom_rules():
    rules = segcore.default_rfm_rules()
    assert len(rules) == 11 and rules[-1][0] == "Lost"
    recency = pd.Series([1.0, 5.0, 100.0, 200.0, 300.0, np.nan], index=list("abcdef"))
    frequency = pd.Series([20.0, 1.0, 3.0, 9.0, 1.0, 0.0], index=list("abcdef"))
    monetary = pd.Series([9e3, 50.0, 400.0, 5e3, 20.0, 0.0], index=list("abcdef"))
    s = segcore.rfm_scores(recency, frequency, monetary)
    assert list(s.index) == list("abcdef")
    assert s.loc["a", "segment"] == "Champions" and s.loc["a", "rfm_cell"] == "555"
    assert s.loc["f", "segment"] == "No orders" and s.loc["f", "rfm_cell"] == "000"
    assert s.loc["e", "segment"] == "Lost"
    custom = [("Whales", (1, 5), (1, 5), (5, 5))]
    c = segcore.rfm_scores(recency, frequency, monetary, rules=custom, unmatched="Rest", no_orders="Prospects")
    assert c.segment.tolist() == ["Whales", "Rest", "Rest", "Rest", "Rest", "Prospects"]
    with pytest.raises(segcore.exceptions.InvalidParameterError, match="n_scores"):
        segcore.rfm_scores(recency, frequency, monetary, n_scores=3)  # default table is for 5


def test_abc_and_concentration_against_numpy():
    rng = np.random.default_rng(0)
    values = rng.pareto(1.5, 2000) * 100
    abc = segcore.abc_classes(pd.Series(values))
    order = np.argsort(-values, kind="stable")
    before = np.concatenate([[0.0], np.cumsum(values[order])[:-1]]) / values.sum()
    expected = np.where(before < 0.8, "A", np.where(before < 0.95, "B", "C"))
    assert (abc.to_numpy()[order] == expected).all()
    assert values[abc == "A"].sum() / values.sum() >= 0.8
    c = segcore.concentration(values, top=[0.2], shares=[0.8], n_points=2001)
    x = np.sort(values)
    n = len(x)
    gini = np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / (n * x.sum())
    assert c.gini == pytest.approx(gini, rel=1e-10)
    assert c.top_shares[0.2] == pytest.approx(x[-400:].sum() / x.sum(), rel=1e-12)
    assert c.lorenz.shape == (2001, 2)
    np.testing.assert_allclose(c.lorenz.value_share, np.concatenate([[0], np.cumsum(x)]) / x.sum(), rtol=1e-12)
    k = c.customers_for_share[0.8] * n
    assert x[-int(round(k)):].sum() >= 0.8 * x.sum() > x[-int(round(k)) + 1:].sum()
    assert "Gini" in str(c)
    assert segcore.abc_classes([5.0, -1.0, 0.0], a_share=0.5, b_share=0.5).tolist() == ["A", "C", "C"]


def test_lifecycle_stages_with_touchpoints():
    tx = pd.DataFrame(
        {
            "customer_id": ["new", "act", "risk", "lapsed", "gone"],
            "date": ["2025-06-01", "2025-05-01", "2025-02-01", "2024-09-01", "2023-01-01"],
            "amount": [1.0] * 5,
        }
    )
    first = pd.DataFrame({"customer_id": ["act", "risk", "lapsed", "gone"], "date": ["2024-01-01"] * 4, "amount": [1.0] * 4})
    tx = pd.concat([tx, first], ignore_index=True)
    tx.loc[tx.customer_id == "gone", "date"] = "2023-01-01"
    customers = ["new", "act", "risk", "lapsed", "gone", "prospect"]
    stages = segcore.lifecycle_stages(tx, customers=customers, as_of="2025-06-30")
    assert stages.tolist() == ["new", "active", "at risk", "lapsed", "churned", "prospect"]
    assert stages.cat.ordered
    touch = pd.DataFrame({"customer_id": ["lapsed", "prospect"], "date": ["2025-06-20", "2025-06-20"]})
    stages = segcore.lifecycle_stages(tx, customers=customers, as_of="2025-06-30", touchpoints=touch)
    assert stages["lapsed"] == "active" and stages["prospect"] == "prospect"
    short = segcore.lifecycle_stages(tx, customers=customers, as_of="2025-06-30", active_days=30, at_risk_days=60, lapsed_days=1000)
    assert short["act"] == "at risk" and short["gone"] == "lapsed"
    with pytest.raises(segcore.exceptions.InvalidParameterError, match="lapsed_days"):
        segcore.lifecycle_stages(tx, lapsed_days=100)


def test_bad_input_names_column_and_row():
    tx = small_log()
    bad = tx.assign(date=tx.date.dt.strftime("%Y-%m-%d"))
    bad.loc[3, "date"] = "2024-02-30"
    with pytest.raises(segcore.exceptions.ParseError, match=r"column `date`.*row 3"):
        segcore.behaviour_features(bad)
    missing = tx.astype({"customer_id": object})
    missing.loc[2, "customer_id"] = None
    with pytest.raises(segcore.exceptions.ParseError, match=r"column `customer_id`.*missing customer id.*row 2"):
        segcore.rfm(missing)
    nan = tx.copy()
    nan.loc[5, "amount"] = np.nan
    with pytest.raises(segcore.exceptions.DataError, match=r"column `amount`.*row 5"):
        segcore.behaviour_features(nan)
    nat = tx.copy()
    nat.loc[1, "date"] = pd.NaT
    with pytest.raises(segcore.exceptions.ParseError, match=r"NaT.*row 1"):
        segcore.behaviour_features(nat)
    with pytest.raises(segcore.exceptions.InvalidParameterError, match=r"as_of.*2023-01-10, row 7"):
        segcore.behaviour_features(tx, as_of="2022-12-31")
    with pytest.raises(segcore.exceptions.ColumnError, match="unknown column `revenue`.*customer_id"):
        segcore.behaviour_features(tx, amount="revenue")
    with pytest.raises(segcore.exceptions.InvalidParameterError, match="as_of"):
        segcore.rfm(tx, as_of="not a date")
    with pytest.raises(segcore.exceptions.InvalidParameterError, match="features"):
        segcore.behaviour_features(tx, features=["recency"])
    with pytest.raises(ValueError, match="`C`"):
        segcore.behaviour_features(tx, customers=["A", "B"])


def test_skipping_invalid_rows_is_opt_in_and_counted():
    tx = small_log()
    tx = tx.astype({"customer_id": object})
    tx.loc[0, "amount"] = np.nan
    tx.loc[2, "customer_id"] = None
    tx.loc[4, "date"] = pd.NaT
    with pytest.warns(UserWarning, match="skipped 3 invalid transaction rows"):
        f = segcore.behaviour_features(tx, on_invalid="skip")
    assert f.attrs["skipped_rows"] == 3
    assert f.loc["A", "frequency"] == 2  # 01-11 and 03-01 remain
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert segcore.behaviour_features(small_log()).attrs["skipped_rows"] == 0
    with pytest.raises(segcore.exceptions.InvalidParameterError, match="on_invalid"):
        segcore.behaviour_features(tx, on_invalid="ignore")


def test_dates_as_text_and_python_dates():
    tx = pd.DataFrame({"customer_id": [1, 1], "date": ["20250101", "15.01.2025"], "amount": [1.0, 2.0]})
    f = segcore.rfm(tx, as_of=datetime.date(2025, 2, 1))
    assert f.loc[1, "recency_days"] == 17 and f.loc[1, "tenure_days"] == 31


def test_text_amounts_and_unknown_customers_name_column_and_row():
    tx = small_log().astype({"amount": object})
    tx.loc[6, "amount"] = "n/a"
    with pytest.raises(segcore.exceptions.DataError, match=r"column `amount`, row 6: 'n/a' is not a number"):
        segcore.behaviour_features(tx)
    with pytest.raises(ValueError, match=r"`C`.*row 7|row 7.*`C`"):
        segcore.behaviour_features(small_log(), customers=["A", "B"])


def test_integer_ids_give_the_same_features_as_their_text():
    tx = small_log()
    as_int = tx.assign(customer_id=tx.customer_id.map({"A": -5, "B": 7, "C": 123456789012}))
    as_text = as_int.assign(customer_id=as_int.customer_id.astype(str))
    f_int = segcore.behaviour_features(as_int, customers=[7, -5, 123456789012, 8])
    f_text = segcore.behaviour_features(as_text, customers=["7", "-5", "123456789012", "8"])
    np.testing.assert_array_equal(f_int.to_numpy(), f_text.to_numpy())
    assert f_int.index.tolist() == [7, -5, 123456789012, 8]
    small = as_int.astype({"customer_id": np.int64}).assign(customer_id=lambda d: (d.customer_id % 200).astype(np.uint8))
    f_small = segcore.behaviour_features(small)
    assert f_small.index.tolist() == sorted(set(small.customer_id.tolist()), key=small.customer_id.tolist().index)
    assert f_small["monetary"].sum() == pytest.approx(tx.amount.sum())


def test_lifecycle_reports_skipped_transactions_and_touchpoints():
    tx = small_log().astype({"customer_id": object})
    tx.loc[2, "customer_id"] = None
    touch = pd.DataFrame({"customer_id": ["A", "B"], "date": pd.to_datetime(["2025-03-01", None])})
    with pytest.warns(UserWarning, match="skipped 1 invalid touchpoint rows"):
        stages = segcore.lifecycle_stages(tx, touchpoints=touch, on_invalid="skip")
    assert stages.attrs["skipped_rows"] == 1
    assert stages.attrs["skipped_touchpoint_rows"] == 1
    with pytest.raises(segcore.exceptions.ParseError, match=r"NaT.*row 1"):
        segcore.lifecycle_stages(small_log(), touchpoints=touch)


def test_errors_after_skipping_still_name_the_dataframe_row():
    tx = small_log().astype({"customer_id": object})
    tx.loc[0, "amount"] = np.nan  # skipped: the log's first remaining row is DataFrame row 1
    with pytest.raises(segcore.exceptions.InvalidParameterError, match=r"2023-01-10, row 7 of the DataFrame"):
        segcore.behaviour_features(tx, as_of="2023-01-01", on_invalid="skip")
    with pytest.raises(ValueError, match=r"`C`.*DataFrame row 7"):
        segcore.behaviour_features(tx, customers=["A", "B"], on_invalid="skip")


FEATURES_8 = [
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "interpurchase_mean_days",
    "interpurchase_std_days",
    "revenue_last_window",
    "revenue_previous_window",
]


def polars_behaviour(tx: pl.DataFrame, as_of: pd.Timestamp, months: int = 12) -> pd.DataFrame:
    """The same definitions as polars `group_by().agg()` code (the benchmark's other peer)."""
    as_of_day = as_of.date()
    last_start = (as_of - pd.DateOffset(months=months)).date()
    prev_start = (as_of - pd.DateOffset(months=2 * months)).date()
    lazy = tx.lazy().with_columns(day=pl.col("date").dt.date())
    # Distinct order days sorted once, gaps by one diff (first day of each customer: no gap);
    # 1.8x faster than sorting inside the aggregation.
    order_days = (
        lazy.filter(pl.col("amount") > 0)
        .select("customer_id", "day")
        .unique()
        .sort("customer_id", "day")
        .with_columns(
            gap=pl.when(pl.col("customer_id").is_first_distinct())
            .then(None)
            .otherwise(pl.col("day").diff().dt.total_days())
        )
    )
    per_order = order_days.group_by("customer_id").agg(
        recency_days=(pl.lit(as_of_day) - pl.col("day").max()).dt.total_days().cast(pl.Float64),
        frequency=pl.len().cast(pl.Float64),
        tenure_days=(pl.lit(as_of_day) - pl.col("day").min()).dt.total_days().cast(pl.Float64),
        interpurchase_mean_days=pl.col("gap").mean(),
        interpurchase_std_days=pl.col("gap").std(),
    )
    in_last = pl.col("day") >= pl.lit(last_start)
    in_prev = (pl.col("day") >= pl.lit(prev_start)) & ~in_last
    money = lazy.group_by("customer_id").agg(
        monetary=pl.col("amount").sum(),
        revenue_last_window=pl.col("amount").filter(in_last).sum(),
        revenue_previous_window=pl.col("amount").filter(in_prev).sum(),
    )
    out = money.join(per_order, on="customer_id", how="left").with_columns(pl.col("frequency").fill_null(0.0))
    return out.select("customer_id", *FEATURES_8).collect().to_pandas().set_index("customer_id")


def _random_log(n: int, n_customers: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2022-01-01", "ns").astype(np.int64)
    dates = (start + rng.integers(0, 3 * 365, n) * 86_400 * 10**9).view("datetime64[ns]")
    amount = rng.lognormal(5.0, 1.0, n).round(2)
    amount[rng.random(n) < 0.05] *= -0.3
    return pd.DataFrame({"customer_id": rng.integers(0, n_customers, n), "date": dates, "amount": amount})


@pytest.mark.parametrize("layout", ["int64", "uint8", "arrow_str", "object_str", "chunked_arrow", "polars_str", "polars_int"])
def test_ids_factorized_in_the_core_match_pandas_and_polars(layout):
    import pyarrow as pa

    tx = _random_log(30_000, 250 if layout == "uint8" else 4000, seed=11)
    codes = tx.customer_id.to_numpy()
    # Short ids (inline in Arrow views) and long ones (in the data buffers).
    text = np.array([f"C{i}" if i % 3 else f"customer-number-{i:09d}" for i in range(4000)], dtype=object)[codes % 4000]
    frame: object
    if layout == "int64":
        frame = tx
    elif layout == "uint8":
        frame = tx.assign(customer_id=codes.astype(np.uint8))
    elif layout == "arrow_str":
        frame = tx.assign(customer_id=pd.array(text, dtype="str"))
    elif layout == "object_str":
        frame = tx.assign(customer_id=pd.Series(text, dtype=object))
    elif layout == "chunked_arrow":
        whole = pa.array(text.tolist(), type=pa.large_string())
        chunked = pa.chunked_array([whole.slice(0, 7001), whole.slice(7001, 9000), whole.slice(16001)])
        frame = tx.assign(customer_id=pd.Series(pd.arrays.ArrowStringArray(chunked)))
    elif layout == "polars_str":
        frame = pl.from_pandas(tx.assign(customer_id=text))
    else:
        frame = pl.from_pandas(tx)
    as_pandas = frame.to_pandas() if isinstance(frame, pl.DataFrame) else frame
    ours = segcore.behaviour_features(frame, features=FEATURES_8)
    # Index: the log's ids in order of first appearance, in their own type.
    assert ours.index.tolist() == list(dict.fromkeys(as_pandas.customer_id.tolist()))
    as_of = as_pandas.date.max() + pd.Timedelta(days=1)
    by_pandas = pandas_behaviour(as_pandas, as_of).reindex(ours.index)
    by_polars = polars_behaviour(pl.from_pandas(as_pandas.astype({"customer_id": str})), as_of).reindex(
        ours.index.astype(str)
    )
    for column in FEATURES_8:
        np.testing.assert_allclose(ours[column], by_pandas[column], rtol=1e-12, atol=1e-9, err_msg=column)
        np.testing.assert_allclose(ours[column], by_polars[column].to_numpy(float), rtol=1e-12, atol=1e-9, err_msg=column)


def test_missing_text_ids_from_arrow_buffers_name_the_row_or_are_skipped():
    tx = small_log()
    ids = tx.customer_id.tolist()
    ids[3] = None
    for frame in (tx.assign(customer_id=pd.array(ids, dtype="str")), pl.from_pandas(tx).with_columns(customer_id=pl.Series(ids))):
        with pytest.raises(segcore.SegcoreError, match="row 3"):
            segcore.behaviour_features(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            skipped = segcore.behaviour_features(frame, on_invalid="skip")
        assert skipped.attrs["skipped_rows"] == 1
        assert skipped.index.tolist() == ["A", "B", "C"]
        assert skipped.loc["A", "monetary"] == 100.0 + 100.0 + 100.0 + 200.0


def test_rfm_cells_come_from_the_core():
    tx = _random_log(5000, 700, seed=2)
    r = segcore.rfm(tx)
    expected = [f"{a}{b}{c}" for a, b, c in zip(r.r_score, r.f_score, r.m_score)]
    assert r["rfm_cell"].tolist() == expected
