"""Behaviour features: segcore vs the equivalent pandas groupby code, side by side in one process.

A synthetic log of 10 million lines for 1 million customers (numpy; 5% returns as negative
amounts, three years of dates), the same eight features on both sides: recency, frequency
(distinct order days), monetary, tenure, inter-purchase mean and std, revenue in the last 12
months and in the 12 before. Prints the median time of each side, the ratio, the peak extra
memory of each side (VmHWM, reset before each run) against the input columns, and checks the
two results agree.

    VIRTUAL_ENV=... maturin develop --release -m segcore-py/Cargo.toml
    python benches/compare_features.py            # 10M lines / 1M customers
    python benches/compare_features.py --quick    # 1M lines / 100k customers
    python benches/compare_features.py --only pipeline   # FeaturePipeline vs ColumnTransformer, 1M rows

Also prints, for 10M lines of 1M customers with integer ids and again with text ids (pandas'
Arrow-backed strings), segcore on the pandas and on the polars frame next to pandas and polars
(`group_by().agg()`, POLARS_MAX_THREADS=2), in one run. The figures, with the load of each run,
and the history of the memory work are in docs/performance.md ("Behaviour features").
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Callable, Dict, Tuple

os.environ.setdefault("RAYON_NUM_THREADS", "2")
os.environ.setdefault("POLARS_MAX_THREADS", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import segcore  # noqa: E402

FEATURES = [
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "interpurchase_mean_days",
    "interpurchase_std_days",
    "revenue_last_window",
    "revenue_previous_window",
]


def make_log(n_lines: int, n_customers: int, seed: int = 0, text_ids: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, n_customers, n_lines, dtype=np.int64)
    if text_ids:
        # pandas' default string dtype (Arrow-backed with pyarrow installed), ids like "C0012345".
        names = pd.array([f"C{i:07d}" for i in range(n_customers)], dtype="str")
        customer = pd.Series(names).take(customer).reset_index(drop=True)
    start = np.datetime64("2022-01-01", "ns").astype(np.int64)
    day = 86_400 * 10**9
    dates = (start + rng.integers(0, 3 * 365, n_lines) * day).view("datetime64[ns]")
    amount = rng.lognormal(6.0, 1.0, n_lines).round(2)
    amount[rng.random(n_lines) < 0.05] *= -0.3
    return pd.DataFrame({"customer_id": customer, "date": dates, "amount": amount})


def pandas_behaviour(tx: pd.DataFrame, as_of: pd.Timestamp, months: int = 12) -> pd.DataFrame:
    """The same definitions as segcore, written as idiomatic pandas groupby code."""
    orders = tx[tx.amount > 0]
    order_days = orders[["customer_id", "date"]].drop_duplicates().sort_values(["customer_id", "date"])
    gaps = order_days.groupby("customer_id").date.diff().dt.days
    by_order_day = order_days.groupby("customer_id")
    g = orders.groupby("customer_id")
    per_order = pd.DataFrame(
        {
            "recency_days": (as_of - g.date.max()).dt.days.astype(float),
            "frequency": by_order_day.size().astype(float),
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
    return out[FEATURES]


def polars_behaviour(tx, as_of: pd.Timestamp, months: int = 12):
    """The same definitions with polars' lazy `group_by().agg()` (POLARS_MAX_THREADS=2)."""
    import polars as pl

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
    return out.select("customer_id", *FEATURES).collect()


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def peak_extra_mib(fn: Callable[[], object]) -> Tuple[float, object]:
    """Peak resident memory above the current level while `fn` runs (Linux: VmHWM reset)."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets VmHWM to the current RSS
    before = _status_kib("VmRSS")
    result = fn()
    return (_status_kib("VmHWM") - before) / 1024, result


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_customers(n: int, seed: int = 0) -> pd.DataFrame:
    """A customer master: revenue (10% missing), employees, 30 skewed industries, size class."""
    rng = np.random.default_rng(seed)
    revenue = np.exp(14.0 + 1.5 * (rng.random(n) - 0.5) * 3.4)
    revenue[rng.random(n) < 0.1] = np.nan
    industry = np.array([f"ind{i:02}" for i in range(30)], dtype=object)[np.minimum(rng.geometric(0.2, n) - 1, 29)]
    size = np.array(SIZES, dtype=object)[rng.integers(0, 4, n)]
    employees = rng.integers(1, 5000, n).astype(float)
    return pd.DataFrame({"revenue": revenue, "employees": employees, "industry": industry, "size": size})


SIZES = ["S", "M", "L", "XL"]


def compare_pipeline(n: int, repeats: int) -> None:
    """FeaturePipeline.transform vs the equivalent scikit-learn ColumnTransformer.transform."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import (
        FunctionTransformer,
        OneHotEncoder,
        OrdinalEncoder,
        RobustScaler,
        StandardScaler,
    )

    customers = make_customers(n)
    ours = segcore.FeaturePipeline(
        [
            {"column": "revenue", "log1p": True, "impute": "median"},
            {"column": "employees", "scaling": "robust"},
            {"column": "industry", "encoding": "one_hot", "min_frequency": 0.01},
            {"column": "size", "encoding": "ordinal", "order": SIZES},
        ]
    ).fit(customers)
    log1p = FunctionTransformer(np.log1p, feature_names_out="one-to-one")
    peer = ColumnTransformer(
        [
            ("revenue", make_pipeline(log1p, SimpleImputer(strategy="median"), StandardScaler()), ["revenue"]),
            ("employees", RobustScaler(), ["employees"]),
            (
                "industry",
                OneHotEncoder(min_frequency=0.01, handle_unknown="infrequent_if_exist", sparse_output=False),
                ["industry"],
            ),
            ("size", make_pipeline(OrdinalEncoder(categories=[SIZES]), StandardScaler()), ["size"]),
        ]
    ).fit(customers)
    x_ours, x_peer = ours.transform(customers), peer.transform(customers)
    peer_names = [
        name.split("__", 1)[1].replace("infrequent_sklearn", "other") for name in peer.get_feature_names_out()
    ]
    assert list(ours.get_feature_names_out()) == peer_names, (list(ours.get_feature_names_out()), peer_names)
    np.testing.assert_allclose(x_ours, x_peer, rtol=1e-9, atol=1e-12)
    del x_ours, x_peer
    t_ours = median_seconds(lambda: ours.transform(customers), repeats)
    t_peer = median_seconds(lambda: peer.transform(customers), repeats)
    print(f"pipeline transform, {n:,} customers (log1p+median+standard, robust, 30-industry one-hot, ordinal)")
    print(f"{'segcore':10} {t_ours:9.3f}")
    print(f"{'sklearn':10} {t_peer:9.3f}")
    print(f"speed-up segcore vs scikit-learn ColumnTransformer: {t_peer / t_ours:.1f}x (results agree)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["behaviour", "pipeline"], default=None)
    parser.add_argument("--ids", choices=["int", "text", "both"], default="both")
    args = parser.parse_args()
    if args.only != "behaviour":
        compare_pipeline(100_000 if args.quick else 1_000_000, args.repeats)
        if args.only == "pipeline":
            return
    n_lines, n_customers = (1_000_000, 100_000) if args.quick else (10_000_000, 1_000_000)
    for text_ids in {"int": [False], "text": [True], "both": [False, True]}[args.ids]:
        compare_behaviour(n_lines, n_customers, text_ids, args.repeats)


def compare_behaviour(n_lines: int, n_customers: int, text_ids: bool, repeats: int) -> None:
    import polars as pl

    tx = make_log(n_lines, n_customers, text_ids=text_ids)
    tx_polars = pl.from_pandas(tx)
    as_of = tx.date.max() + pd.Timedelta(days=1)
    input_mib = sum(tx[c].array.nbytes for c in tx.columns) / 2**20

    runs: Dict[str, Callable[[], object]] = {
        "segcore": lambda: segcore.behaviour_features(tx, features=FEATURES),
        "segcore/pl": lambda: segcore.behaviour_features(tx_polars, features=FEATURES),
        "pandas": lambda: pandas_behaviour(tx, as_of),
        "polars": lambda: polars_behaviour(tx_polars, as_of),
    }
    # Memory first (one cold run each, before the timing runs warm the allocators).
    peaks, results = {}, {}
    for name, run in runs.items():
        peaks[name], results[name] = peak_extra_mib(run)
    ours = results["segcore"]
    expected = {
        "segcore/pl": results["segcore/pl"],
        "pandas": results["pandas"].reindex(ours.index),
        "polars": results["polars"].to_pandas().set_index("customer_id").reindex(ours.index),
    }
    for name, frame in expected.items():
        assert list(frame.index) == list(ours.index) or name != "segcore/pl", name
        for column in FEATURES:
            np.testing.assert_allclose(
                ours[column].to_numpy(), frame[column].to_numpy(dtype=float), rtol=1e-9, atol=1e-6, err_msg=f"{name} {column}"
            )
    del ours, expected, results
    times = {name: median_seconds(run, repeats) for name, run in runs.items()}
    kind = "text ids (Arrow strings)" if text_ids else "integer ids"
    print(f"behaviour features, {n_lines:,} lines / {n_customers:,} customers, {kind}, 8 features, 2 threads")
    print(f"input columns: {input_mib:.0f} MiB; load average {os.getloadavg()[0]:.1f}")
    print(f"{'':11} {'median s':>9} {'peak extra MiB':>15} {'x input':>8} {'segcore faster':>15}")
    for name in runs:
        print(
            f"{name:11} {times[name]:9.3f} {peaks[name]:15.0f} {peaks[name] / input_mib:8.2f} "
            f"{times[name] / times['segcore']:14.1f}x"
        )
    print("results agree (segcore on the pandas and the polars frame, pandas, polars)")


if __name__ == "__main__":
    main()
