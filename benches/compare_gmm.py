"""Gaussian mixture per-EM-iteration time: scikit-learn vs the segcore wheel, in one process.

Same data, same start (weights/means/precisions given, so no k-means), a fixed number of EM
iterations (tol=0). Per-iteration time = (time of iters + 1 iterations - time of 1) / iters, so
set-up costs cancel. For each thread count (default 1 and 2) one child process runs both
libraries with that many threads (RAYON_NUM_THREADS for segcore, threadpoolctl for
scikit-learn's BLAS/OpenMP) and prints medians, the ratio, the load average and a parity line
(lower bound after the same iterations).

    python benches/compare_gmm.py [--n 100000] [--d 8] [--k 6] [--iters 10] [--types full,diag]
                                  [--threads 1,2]

Build the wheel in release mode first (`maturin develop --release -m segcore-py/Cargo.toml`).
linfa-clustering's time is printed by `cargo run --release --example gmm_bench -- --linfa`.
Machines are noisy: compare ratios measured in one run.
"""

import argparse
import os
import subprocess
import sys
import time
import warnings

import numpy as np


def data(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-2.0, 2.0, size=(k, d))
    return np.ascontiguousarray(centers[np.arange(n) % k] + rng.uniform(-1, 1, size=(n, d, 4)).sum(axis=2))


def start(x, k, covariance_type):
    d = x.shape[1]
    precisions = {
        "full": np.tile(np.eye(d), (k, 1, 1)),
        "tied": np.eye(d),
        "diag": np.ones((k, d)),
        "spherical": np.ones(k),
    }[covariance_type]
    return dict(weights_init=np.full(k, 1.0 / k), means_init=x[:k].copy(), precisions_init=precisions)


def per_iteration(cls, x, k, covariance_type, iters, repeats=3):
    def run(max_iter):
        model = cls(k, covariance_type=covariance_type, tol=0.0, max_iter=max_iter, **start(x, k, covariance_type))
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x)
        return time.perf_counter() - t, model

    times, model = [], None
    for _ in range(repeats):
        long, model = run(iters + 1)
        short, _ = run(1)
        times.append((long - short) / iters * 1e3)
    return float(np.median(times)), model


def measure(args, threads):
    """Both libraries in this process, `threads` threads each (RAYON_NUM_THREADS set by the parent)."""
    from sklearn.mixture import GaussianMixture as SkGaussianMixture
    from threadpoolctl import threadpool_limits

    import segcore

    x = data(args.n, args.d, args.k)
    load = os.getloadavg()
    print(f"threads={threads} n={args.n} d={args.d} k={args.k} iters={args.iters} "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    for covariance_type in args.types.split(","):
        with threadpool_limits(limits=threads):
            sk, sk_model = per_iteration(SkGaussianMixture, x, args.k, covariance_type, args.iters)
        ours, our_model = per_iteration(segcore.GaussianMixture, x, args.k, covariance_type, args.iters)
        print(
            f"  {covariance_type}: sklearn {sk:.1f} ms/iter, segcore {ours:.2f} ms/iter, "
            f"speed-up {sk / ours:.1f}x"
        )
        print(
            f"    parity: lower_bound sklearn {sk_model.lower_bound_:.12f} segcore {our_model.lower_bound_:.12f} "
            f"max |means diff| {np.abs(sk_model.means_ - our_model.means_).max():.2e}",
            flush=True,
        )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--k", type=int, default=6)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--types", default="full,diag")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        measure(args, args.child)
        return
    for threads in [int(t) for t in args.threads.split(",")]:
        # The thread count of segcore's pool is fixed when it starts: one process per count.
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
        cmd = [sys.executable, __file__, "--child", str(threads)]
        for name in ("n", "d", "k", "iters", "types"):
            cmd += [f"--{name}", str(getattr(args, name))]
        subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()
