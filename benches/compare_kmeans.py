"""k-means per-iteration time: scikit-learn vs segcore vs linfa-clustering on the same bytes.

Generates the data once in numpy, saves it as .npy, and alternates, `--repeats` times, one
scikit-learn fit in this process (2 threads via threadpoolctl) with one run of
`benches/programs/kmeans_bench.rs` on the same file (segcore's Lloyd and Hamerly, 2 rayon threads), all
from the same initial centers (the first k rows) for the same fixed number of iterations (tol=0).
Each pair gives a ratio measured seconds apart, so load changes on a shared machine move both
sides; the script prints the median ratio and its spread over the pairs, the memory-bandwidth
floor (bytes of X / a parallel read of X, measured in the same run), CPU time per iteration
(what the work costs when the machine is oversubscribed) and a parity line (n_iter, inertia).

    python benches/compare_kmeans.py [--n 1000000] [--d 16] [--k 8] [--iters 20] [--dtype f64]
    python benches/compare_kmeans.py --wholesale   # parity on log1p + standardised Wholesale data

Build the example first: `cargo build --release --example kmeans_bench`.
"""

import argparse
import os
import resource
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


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sklearn_once(x, k, iters):
    with threadpool_limits(limits=2):
        model = KMeans(k, init=x[:k], n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd")
        cpu, t = cpu_seconds(), time.perf_counter()
        model.fit(x)
        wall, cpu = time.perf_counter() - t, cpu_seconds() - cpu
    return wall / model.n_iter_ * 1e3, cpu / model.n_iter_ * 1e3, model


def spread(values):
    return f"{np.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})"


def ratio(a, b):
    """a / b, NaN when b rounds to 0 (a tiny data set such as Wholesale's 440 rows)."""
    return a / b if b > 0 else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=16)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--dtype", default="f64", choices=["f64", "f32"])
    ap.add_argument("--wholesale", action="store_true")
    ap.add_argument("--no-linfa", action="store_true")
    ap.add_argument("--no-hamerly", action="store_true")
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

    pairs = []  # (sklearn ms, sklearn cpu ms, segcore parsed output)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "x.npy")
        np.save(path, x)
        for rep in range(args.repeats):
            sk_ms, sk_cpu, sk_model = sklearn_once(x, args.k, args.iters)
            cmd = [exe, "--npy", path, "--k", str(args.k), "--iters", str(args.iters), "--repeats", "1"]
            if args.no_hamerly:
                cmd.append("--lloyd-only")
            if rep == 0 and not args.no_linfa and not args.wholesale:
                cmd.append("--linfa")
            out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                                 env={**os.environ, "RAYON_NUM_THREADS": "2"}).stdout
            pairs.append((sk_ms, sk_cpu, dict(line.split("=", 1) for line in out.split() if "=" in line)))

    first = pairs[0][2]
    floors = [float(r["floor_ms_per_iter"]) for _, _, r in pairs]
    print(f"data {x.shape[0]} x {x.shape[1]} {args.dtype}, k={args.k}, {args.iters} iterations max, "
          f"2 threads, {args.repeats} alternating pairs; bandwidth {spread([float(r['bandwidth_gbs']) for _, _, r in pairs])} GB/s")
    print(f"{'implementation':<18}{'ms/iter (median, min-max over pairs)':>40}{'cpu ms/iter':>13}"
          f"{'sklearn/x per pair':>36}{'x/floor per pair':>36}")
    sk_ms = [p[0] for p in pairs]
    print(f"{'scikit-learn':<18}{spread(sk_ms):>40}{np.median([p[1] for p in pairs]):>13.2f}{'1.00':>36}"
          f"{spread([ratio(s, f) for s, f in zip(sk_ms, floors)]):>36}")
    for name in ("lloyd",) + (() if args.no_hamerly else ("hamerly",)):
        ours = [float(r[f"segcore_{name}_ms_per_iter"]) for _, _, r in pairs]
        cpu = np.median([float(r[f"segcore_{name}_cpu_ms_per_iter"]) for _, _, r in pairs])
        print(f"{'segcore ' + name:<18}{spread(ours):>40}{cpu:>13.2f}"
              f"{spread([ratio(s, o) for s, o in zip(sk_ms, ours)]):>36}{spread([ratio(o, f) for o, f in zip(ours, floors)]):>36}")
    if "linfa_ms_per_iter" in first:
        linfa = float(first["linfa_ms_per_iter"])
        print(f"{'linfa-clustering':<18}{linfa:>40.2f}{'':>13}{ratio(pairs[0][0], linfa):>36.2f}{ratio(linfa, floors[0]):>36.2f}"
              "   (first pair only)")
    print(f"{'bandwidth floor':<18}{spread(floors):>40}")
    print(f"segcore peak extra memory: lloyd {first['segcore_lloyd_peak_extra_mb']} MB"
          + ("" if args.no_hamerly else f", hamerly {first['segcore_hamerly_peak_extra_mb']} MB")
          + f" (X is {x.nbytes / 2**20:.0f} MB)")
    if not args.wholesale:
        ours = [float(r["segcore_lloyd_ms_per_iter"]) for _, _, r in pairs]
        vs_sklearn = np.median([ratio(s, o) for s, o in zip(sk_ms, ours)])
        vs_floor = np.median([ratio(o, f) for o, f in zip(ours, floors)])
        verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
        print(f"goals (segcore lloyd, medians over the pairs): at least 3x faster than scikit-learn: "
              f"{vs_sklearn:.2f}x, {verdict(vs_sklearn >= 3.0)}; within 2x of the bandwidth floor: "
              f"{vs_floor:.2f}x, {verdict(vs_floor <= 2.0)}")
    sk_inertia, sk_iter = sk_model.inertia_, sk_model.n_iter_
    rel = abs(float(first["segcore_lloyd_inertia"]) - sk_inertia) / sk_inertia
    print(f"parity (same init, Lloyd): n_iter sklearn {sk_iter} / segcore {first['segcore_lloyd_n_iter']}, "
          f"inertia relative difference {rel:.2e}")


if __name__ == "__main__":
    main()
