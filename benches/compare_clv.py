"""Customer lifetime value: segcore vs lifetimes (and polars for the summary), in one process.

1. BG/NBD fit on N customers (default 1,000,000) simulated from the model itself
   (r 0.25, alpha 4, a 0.8, b 2.5; T uniform in 1..78 weeks): segcore.BetaGeo().fit vs
   lifetimes.BetaGeoFitter().fit on the same arrays; parameters compared.
2. clv_summary on a synthetic log of L lines (default 10,000,000; 1,000,000 customers, three
   years of daily dates): segcore.clv_summary vs lifetimes.utils.summary_data_from_transaction_data
   vs the same definitions as a polars query; results compared.

Prints `uptime` (the load of the shared machine), the median of the repeats of each side and
the ratios. lifetimes is slow at these sizes, so it runs once (`--lifetimes-repeats`), or at a
smaller size with `--lifetimes-customers` / `--lifetimes-lines` (the ratio is then per customer
or per line, and the script says so).

    python benches/compare_clv.py
    python benches/compare_clv.py --quick      # 100k customers, 1M lines

Measured 2026-12-02 on 2 cores at load ~1: BG/NBD 1M customers 0.163 s vs 8.38 s (51.5x,
parameters equal to 2e-7); clv_summary 10M lines 0.89 s vs lifetimes 9.98 s (11.2x) and polars
4.82 s (5.4x), results equal. Under a load of 9-13 the ratios were 13x and 9x; see
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from typing import Callable, List, Tuple

os.environ.setdefault("RAYON_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import segcore  # noqa: E402


def simulate_bgnbd(n: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """frequency, recency, T of n customers drawn from BG/NBD (vectorised over customers)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(1.0, 78.0, n)
    rate = rng.gamma(0.25, 1.0 / 4.0, n)
    p = rng.beta(0.8, 2.5, n)
    t = np.zeros(n)
    x = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        nxt = t[idx] + rng.exponential(1.0, idx.size) / np.maximum(rate[idx], 1e-300)
        buys = nxt <= T[idx]
        active[idx[~buys]] = False
        bought = idx[buys]
        t[bought] = nxt[buys]
        x[bought] += 1
        dies = rng.random(bought.size) < p[bought]
        active[bought[dies]] = False
    recency = np.where(x > 0, t, 0.0)
    # lifetimes' summaries count whole periods; keep the arrays continuous like a model input.
    return x, recency, T


def make_log(n_lines: int, n_customers: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, n_customers, n_lines, dtype=np.int64)
    start = np.datetime64("2022-01-01", "ns").astype(np.int64)
    day = 86_400 * 10**9
    dates = (start + rng.integers(0, 3 * 365, n_lines) * day).view("datetime64[ns]")
    amount = rng.lognormal(4.0, 1.0, n_lines).round(2)
    return pd.DataFrame({"customer_id": customer, "date": dates, "amount": amount})


def polars_summary(tx, end: str):
    """lifetimes' daily definitions as a polars query."""
    import polars as pl

    end_date = pl.lit(pd.Timestamp(end)).cast(pl.Date)
    days = (
        tx.lazy()
        .with_columns(pl.col("date").cast(pl.Date))
        .filter(pl.col("date") <= end_date)
        .group_by("customer_id", "date")
        .agg(pl.col("amount").sum())
        .sort("customer_id", "date")
    )
    return (
        days.group_by("customer_id")
        .agg(
            (pl.len() - 1).cast(pl.Float64).alias("frequency"),
            (pl.col("date").max() - pl.col("date").min()).dt.total_days().cast(pl.Float64).alias("recency"),
            (end_date - pl.col("date").min()).dt.total_days().cast(pl.Float64).alias("T"),
            pl.col("amount").slice(1).mean().fill_null(0.0).alias("monetary_value"),
        )
        .collect()
    )


def timed(fn: Callable[[], object], repeats: int) -> Tuple[float, List[float], object]:
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def compare_fit(n: int, n_lifetimes: int, repeats: int, lifetimes_repeats: int) -> None:
    from lifetimes import BetaGeoFitter

    f, r, T = simulate_bgnbd(n)
    print(f"\n== BG/NBD fit: {n:,} customers (mean frequency {f.mean():.2f}, {np.mean(f > 0):.0%} repeat) ==")
    print("load:", uptime())
    ours_s, ours_all, ours = timed(lambda: segcore.BetaGeo().fit(f, r, T), repeats)
    print(f"segcore   median {ours_s:8.3f} s  runs {[round(v, 3) for v in ours_all]}  "
          f"iterations {ours.n_iter_}  params {({k: round(v, 4) for k, v in ours.params_.items()})}")
    fl, rl, Tl = f[:n_lifetimes], r[:n_lifetimes], T[:n_lifetimes]
    ref_s, ref_all, ref = timed(lambda: BetaGeoFitter().fit(fl, rl, Tl), lifetimes_repeats)
    print(f"lifetimes median {ref_s:8.3f} s  runs {[round(v, 3) for v in ref_all]}  on {n_lifetimes:,} customers  "
          f"params {({k: round(v, 4) for k, v in ref.params_.items()})}")
    if n_lifetimes == n:
        rel = max(abs(ours.params_[k] / ref.params_[k] - 1) for k in ours.params_)
        print(f"largest relative parameter difference {rel:.1e}")
        print(f"ratio lifetimes / segcore: {ref_s / ours_s:.1f}x")
    else:
        small_s, _, _ = timed(lambda: segcore.BetaGeo().fit(fl, rl, Tl), repeats)
        print(f"segcore on the same {n_lifetimes:,}: {small_s:.3f} s -> ratio {ref_s / small_s:.1f}x; "
              f"per customer, lifetimes at {n_lifetimes:,} vs segcore at {n:,}: "
              f"{(ref_s / n_lifetimes) / (ours_s / n):.1f}x")
    print("load:", uptime())


def compare_summary(n_lines: int, n_customers: int, n_lifetimes: int, repeats: int, lifetimes_repeats: int) -> None:
    import polars as pl
    from lifetimes.utils import summary_data_from_transaction_data

    tx = make_log(n_lines, n_customers)
    end = "2024-12-30"
    print(f"\n== clv_summary: {n_lines:,} lines, {n_customers:,} customers, freq D ==")
    print("load:", uptime())
    ours_s, ours_all, ours = timed(
        lambda: segcore.clv_summary(tx, amount="amount", observation_end=end), repeats
    )
    print(f"segcore   median {ours_s:8.3f} s  runs {[round(v, 3) for v in ours_all]}")
    ptx = pl.from_pandas(tx)
    pol_s, pol_all, pol = timed(lambda: polars_summary(ptx, end), repeats)
    print(f"polars    median {pol_s:8.3f} s  runs {[round(v, 3) for v in pol_all]}")
    small = tx.iloc[:n_lifetimes]
    ref_s, ref_all, ref = timed(
        lambda: summary_data_from_transaction_data(
            small, "customer_id", "date", monetary_value_col="amount", observation_period_end=end
        ),
        lifetimes_repeats,
    )
    print(f"lifetimes median {ref_s:8.3f} s  runs {[round(v, 3) for v in ref_all]}  on {n_lifetimes:,} lines")
    # (polars' to_pandas needs pyarrow; the columns go through numpy instead)
    pol = pd.DataFrame({c: pol.get_column(c).to_numpy() for c in pol.columns}).set_index("customer_id").loc[ours.index]
    assert np.allclose(pol.to_numpy(), ours.to_numpy(), rtol=1e-9), "polars and segcore differ"
    if n_lifetimes == n_lines:
        assert np.allclose(ref.loc[ours.index].to_numpy(), ours.to_numpy(), rtol=1e-9), "lifetimes and segcore differ"
        print(f"results equal; ratio lifetimes / segcore: {ref_s / ours_s:.1f}x, polars / segcore: {pol_s / ours_s:.1f}x")
    else:
        print(f"per line, lifetimes at {n_lifetimes:,} vs segcore at {n_lines:,}: "
              f"{(ref_s / n_lifetimes) / (ours_s / n_lines):.1f}x; polars / segcore: {pol_s / ours_s:.1f}x")
    print("load:", uptime())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--lifetimes-customers", type=int, default=None)
    parser.add_argument("--lifetimes-lines", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lifetimes-repeats", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["fit", "summary"], default=None)
    args = parser.parse_args()
    if args.quick:
        args.customers, args.lines = 100_000, 1_000_000
    if args.only in (None, "fit"):
        compare_fit(args.customers, args.lifetimes_customers or args.customers, args.repeats, args.lifetimes_repeats)
    if args.only in (None, "summary"):
        compare_summary(
            args.lines, args.lines // 10, args.lifetimes_lines or args.lines, args.repeats, args.lifetimes_repeats
        )


if __name__ == "__main__":
    main()
