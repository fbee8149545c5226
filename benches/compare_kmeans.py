"""k-means per-iteration time: scikit-learn vs segcore vs linfa-clustering on the same bytes.

Generates the data once in numpy, saves it as .npy, runs scikit-learn (2 threads via
threadpoolctl) in this process and segcore/linfa through `examples/kmeans_bench.rs` on the same
file, with the same initial centers (the first k rows) and the same fixed number of iterations
(tol=0). Prints medians, ratios, the memory-bandwidth floor and a parity line (n_iter, inertia).

    python benches/compare_kmeans.py [--n 1000000] [--d 16] [--k 8] [--iters 20] [--dtype f64]
    python benches/compare_kmeans.py --wholesale   # parity on log1p + standardised Wholesale data

Until the Python binding exists, segcore is timed via the Rust example (build it with
`cargo build --release --example kmeans_bench`). Machines are noisy: compare ratios in one run.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def overlapping_blobs(n, d, k, dtype, seed=0):
    """Weakly separated clusters, so Lloyd keeps moving for every iteration."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-0.5, 0.5, size=(k, d))
    x = centers[np.arange(n) % k] + rng.uniform(-1.0, 1.0, size=(n, d))
    return np.ascontiguousarray(x, dtype=dtype)


def wholesale(dtype):
    data = os.environ.get("SEGCORE_DATA", os.path.join(ROOT, "..", "shared", "data"))
    path = os.path.join(data, "wholesale_customers", "wholesale_customers.csv")
    if not os.path.exists(path):
        sys.exit(f"SKIP: {path} not found (set SEGCORE_DATA)")
    raw = np.loadtxt(path, delimiter=",", skiprows=1)[:, 2:]
    x = np.log1p(raw)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return np.ascontiguousarray(x, dtype=dtype)


def sklearn_per_iter(x, k, iters, repeats):
    times, model = [], None
    with threadpool_limits(limits=2):
        for _ in range(repeats):
            model = KMeans(k, init=x[:k], n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd")
            t = time.perf_counter()
            model.fit(x)
            times.append((time.perf_counter() - t) / model.n_iter_ * 1e3)
    return float(np.median(times)), model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=16)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dtype", default="f64", choices=["f64", "f32"])
    ap.add_argument("--wholesale", action="store_true")
    ap.add_argument("--no-linfa", action="store_true")
    args = ap.parse_args()
    dtype = np.float64 if args.dtype == "f64" else np.float32

    if args.wholesale:
        x = wholesale(dtype)
        args.iters = 300
    else:
        x = overlapping_blobs(args.n, args.d, args.k, dtype)
    exe = os.path.join(ROOT, "target", "release", "examples", "kmeans_bench")
    if not os.path.exists(exe):
        sys.exit("build first: cargo build --release --example kmeans_bench")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "x.npy")
        np.save(path, x)
        sk_ms, sk = sklearn_per_iter(x, args.k, args.iters, args.repeats)
        cmd = [exe, "--npy", path, "--k", str(args.k), "--iters", str(args.iters),
               "--repeats", str(args.repeats)]
        if not args.no_linfa and not args.wholesale:
            cmd.append("--linfa")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                             env={**os.environ, "RAYON_NUM_THREADS": "2"}).stdout
    r = dict(line.split("=", 1) for line in out.split() if "=" in line)

    print(f"data {x.shape[0]} x {x.shape[1]} {args.dtype}, k={args.k}, "
          f"{args.iters} iterations max, 2 threads, bandwidth {r['bandwidth_gbs']} GB/s")
    print(f"{'implementation':<20}{'ms/iter':>10}{'sklearn/x':>11}{'x/floor':>9}{'n_iter':>8}"
          f"{'inertia':>22}")
    floor = float(r["floor_ms_per_iter"])
    rows = [("scikit-learn", sk_ms, sk.n_iter_, sk.inertia_)]
    for name in ("lloyd", "hamerly"):
        rows.append((f"segcore {name}", float(r[f"segcore_{name}_ms_per_iter"]),
                     int(r[f"segcore_{name}_n_iter"]), float(r[f"segcore_{name}_inertia"])))
    if "linfa_ms_per_iter" in r:
        rows.append(("linfa-clustering", float(r["linfa_ms_per_iter"]), args.iters, float("nan")))
    for name, ms, n_iter, inertia in rows:
        print(f"{name:<20}{ms:>10.2f}{sk_ms / max(ms, 1e-9):>11.2f}{ms / max(floor, 1e-9):>9.2f}{n_iter:>8}"
              f"{inertia:>22.12e}")
    print(f"{'bandwidth floor':<20}{floor:>10.2f}")
    print(f"segcore peak extra memory: lloyd {r['segcore_lloyd_peak_extra_mb']} MB, "
          f"hamerly {r['segcore_hamerly_peak_extra_mb']} MB (X is {x.nbytes / 2**20:.0f} MB)")
    rel = abs(float(r["segcore_lloyd_inertia"]) - sk.inertia_) / sk.inertia_
    print(f"parity (same init, Lloyd): n_iter sklearn {sk.n_iter_} / segcore "
          f"{r['segcore_lloyd_n_iter']}, inertia relative difference {rel:.2e}")


if __name__ == "__main__":
    main()
