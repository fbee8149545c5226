"""The main job end to end: ``segcore.Segmenter().fit(customers, transactions)`` against the
equivalent hand-written scikit-learn + pandas pipeline, on the same ``make_b2b`` data.

Per size (default 50k, 500k and 1M customers; about 37 log lines per customer) each side runs
in its own process (so the peak memory of one does not hide in the other's), two threads:

- segcore: the conversion of the frames (Python side), then the phases of the fit as the model
  publishes them (``phase_times_``: behaviour, features, reduction, select_k, cluster, profile),
  the chosen k (with the criteria on a 20,000-row sample above 20,000 customers) and the ARI
  against the generator's truth;
- scikit-learn + pandas, as a data scientist writes it: groupby features (recency, frequency,
  monetary, margin, tenure, lines, category and channel revenue shares), median imputation,
  ``log1p`` of the money and count columns, ``OneHotEncoder`` + ``StandardScaler`` in a
  ``ColumnTransformer``, ``KMeans`` for k = 4..8 (scikit-learn's defaults) and the k with the
  best silhouette on a 10,000-row sample.

Prints one table per size: the phases side by side, the totals and their ratio, k, ARI, and the
peak memory of the fit (VmHWM reset before it) next to the input frames' size. Also ``uptime``,
since the 2 cores are shared: quote the figures with the load.

    python benches/compare_segmenter.py                   # 50k, 500k, 1M
    python benches/compare_segmenter.py --sizes 50000     # one size
    python benches/compare_segmenter.py --only segcore    # skip the scikit-learn side

Measurements and their loads: docs/performance.md ("Segmenter end to end").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any, Dict

os.environ.setdefault("RAYON_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")


def _reset_peak() -> int:
    """Resets the process's peak RSS to its current RSS (Linux) and returns the RSS in bytes."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _status("VmRSS")


def _status(key: str) -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _frames_bytes(*frames: Any) -> int:
    return int(sum(f.memory_usage(index=True, deep=True).sum() for f in frames))


def run_segcore(n: int, seed: int) -> Dict[str, Any]:
    import segcore
    from sklearn.metrics import adjusted_rand_score

    customers, transactions, truth = segcore.datasets.make_b2b(n, random_state=seed)
    input_bytes = _frames_bytes(customers, transactions)
    rss_before = _reset_peak()
    model = segcore.Segmenter(progress=False, random_state=seed)
    started = time.perf_counter()
    frame, tx = model._inputs(customers, transactions)  # the conversion, timed on its own
    conversion = time.perf_counter() - started
    del frame, tx
    started = time.perf_counter()
    model.fit(customers, transactions)
    total = time.perf_counter() - started
    phases = dict(model.phase_times_)
    # The fit converts again: what the phases do not cover is the conversion, in Python (timed
    # alone above) and in the binding (building the core's table and log), and the assembly.
    binding = total - sum(phases.values()) - conversion
    phases = {"conv. Python": conversion, "conv. binding": binding, **phases}
    sample = model.select_k_.sample if model.select_k_ is not None else None
    return {
        "side": "segcore",
        "n": n,
        "lines": len(transactions),
        "phases": phases,
        "conversion_alone": conversion,
        "total": total,
        "k": int(model.n_clusters_),
        "ari": float(adjusted_rand_score(truth.cat.codes, model.labels_)),
        "sample": sample,
        "input_bytes": input_bytes,
        "peak_extra_bytes": _status("VmHWM") - rss_before,
    }


def run_sklearn(n: int, seed: int) -> Dict[str, Any]:
    import numpy as np
    import pandas as pd
    import segcore
    from sklearn.cluster import KMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.pipeline import make_pipeline
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    customers, transactions, truth = segcore.datasets.make_b2b(n, random_state=seed)
    input_bytes = _frames_bytes(customers, transactions)
    rss_before = _reset_peak()
    phases: Dict[str, float] = {}
    started = time.perf_counter()

    t = time.perf_counter()
    tx = transactions
    as_of = tx["date"].max() + pd.Timedelta(days=1)
    grouped = tx.groupby("customer_id", observed=True)
    features = grouped.agg(
        last=("date", "max"),
        first=("date", "min"),
        frequency=("date", "nunique"),
        monetary=("amount", "sum"),
        margin=("margin", "sum"),
        lines=("amount", "size"),
    )
    features["recency_days"] = (as_of - features.pop("last")).dt.days
    features["tenure_days"] = (as_of - features.pop("first")).dt.days
    for column in ("product_category", "channel"):
        revenue = tx.groupby(["customer_id", column], observed=True)["amount"].sum().unstack(fill_value=0.0)
        shares = revenue.div(revenue.sum(axis=1).where(lambda s: s != 0), axis=0).fillna(0.0)
        features = features.join(shares.add_prefix(f"{column}_share_"))
    table = customers.set_index("customer_id").join(features)
    phases["behaviour"] = time.perf_counter() - t

    t = time.perf_counter()
    categorical = ["industry", "employee_size_class", "region"]
    skewed = ["annual_revenue_eur", "frequency", "monetary", "lines"]
    numeric = [c for c in table.columns if c not in categorical]
    table[skewed] = table[skewed].clip(lower=0)
    transformer = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
            (
                "skewed",
                make_pipeline(SimpleImputer(strategy="median"), FunctionTransformer(np.log1p), StandardScaler()),
                skewed,
            ),
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                [c for c in numeric if c not in skewed],
            ),
        ]
    )
    X = transformer.fit_transform(table[categorical + numeric].astype({c: object for c in categorical}))
    phases["features"] = time.perf_counter() - t

    t = time.perf_counter()
    best = None
    for k in range(4, 9):
        labels = KMeans(n_clusters=k, random_state=seed).fit_predict(X)
        score = silhouette_score(X, labels, sample_size=min(10_000, len(X)), random_state=seed)
        if best is None or score > best[0]:
            best = (score, k, labels)
    phases["select_k"] = time.perf_counter() - t
    assert best is not None
    total = time.perf_counter() - started
    return {
        "side": "scikit-learn + pandas",
        "n": n,
        "lines": len(transactions),
        "phases": phases,
        "total": total,
        "k": best[1],
        "ari": float(adjusted_rand_score(truth.cat.codes, best[2])),
        "input_bytes": input_bytes,
        "peak_extra_bytes": _status("VmHWM") - rss_before,
    }


def _child(side: str, n: int, seed: int) -> Dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", side, "--sizes", str(n), "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _uptime() -> str:
    try:
        with open("/proc/loadavg") as f:
            return "load average " + " ".join(f.read().split()[:3])
    except OSError:
        return "load average unknown"


def _report(results: Dict[str, Dict[str, Any]]) -> None:
    ours = results.get("segcore")
    theirs = results.get("scikit-learn + pandas")
    any_result = ours or theirs
    assert any_result is not None
    mib = 1024 * 1024
    print(
        f"\n{any_result['n']:,} customers, {any_result['lines']:,} log lines "
        f"(input frames {any_result['input_bytes'] / mib:,.0f} MiB)"
    )
    names = list(dict.fromkeys([*(ours or {}).get("phases", {}), *(theirs or {}).get("phases", {})]))
    print(f"  {'phase':<12} {'segcore s':>10} {'sklearn+pandas s':>17}")
    for name in names:
        a = (ours or {}).get("phases", {}).get(name)
        b = (theirs or {}).get("phases", {}).get(name)
        print(f"  {name:<12} {'' if a is None else f'{a:10.2f}':>10} {'' if b is None else f'{b:17.2f}':>17}")
    for label, r in (("segcore", ours), ("sklearn+pandas", theirs)):
        if r is None:
            continue
        print(
            f"  {label:<15} total {r['total']:7.2f} s, k = {r['k']}, ARI {r['ari']:.3f}, "
            f"peak extra memory {r['peak_extra_bytes'] / mib:,.0f} MiB "
            f"({r['peak_extra_bytes'] / max(r['input_bytes'], 1):.2f}x the input frames)"
            + (f", k chosen on {r['sample'][0]:,} of {r['sample'][1]:,} rows" if r.get("sample") else "")
        )
    if ours and theirs:
        print(f"  segcore / sklearn+pandas time: {ours['total'] / theirs['total']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000,500000,1000000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["segcore", "sklearn"], default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child is not None:
        run = run_segcore if args.child == "segcore" else run_sklearn
        print(json.dumps(run(sizes[0], args.seed)))
        return
    print(f"{_uptime()} at start; RAYON_NUM_THREADS={os.environ['RAYON_NUM_THREADS']}")
    for n in sizes:
        results = {}
        if args.only in (None, "segcore"):
            results["segcore"] = _child("segcore", n, args.seed)
        if args.only in (None, "sklearn"):
            results["scikit-learn + pandas"] = _child("sklearn", n, args.seed)
        _report(results)
        print(f"  ({_uptime()} after)")


if __name__ == "__main__":
    main()
