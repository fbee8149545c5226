"""Gaussian mixture per-EM-iteration time: scikit-learn vs the segcore wheel, in one process.

Same data, same start (weights/means/precisions given, so no k-means), a fixed number of EM
iterations (tol=0). Per-iteration time = (time of iters + 1 iterations - time of 1) / iters, so
set-up costs cancel. scikit-learn runs with 2 BLAS threads (threadpoolctl) and with 1. Prints
medians, the ratio, and a parity line (lower bound after the same iterations).

    python benches/compare_gmm.py [--n 100000] [--d 8] [--k 6] [--iters 10] [--types full,diag]

Build the wheel in release mode first (`maturin develop --release -m segcore-py/Cargo.toml`).
linfa-clustering's time is printed by `cargo run --release --example gmm_bench -- --linfa`.
Machines are noisy: compare ratios measured in one run.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from threadpoolctl import threadpool_limits

import segcore


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--k", type=int, default=6)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--types", default="full,diag")
    args = ap.parse_args()
    x = data(args.n, args.d, args.k)
    print(f"n={args.n} d={args.d} k={args.k} iters={args.iters}")
    for covariance_type in args.types.split(","):
        with threadpool_limits(limits=2):
            sk2, sk_model = per_iteration(SkGaussianMixture, x, args.k, covariance_type, args.iters)
        with threadpool_limits(limits=1):
            sk1, _ = per_iteration(SkGaussianMixture, x, args.k, covariance_type, args.iters)
        ours, our_model = per_iteration(segcore.GaussianMixture, x, args.k, covariance_type, args.iters)
        print(
            f"{covariance_type}: sklearn {sk2:.1f} ms/iter (2 threads), {sk1:.1f} (1 thread); "
            f"segcore {ours:.2f} ms/iter; speed-up {min(sk1, sk2) / ours:.1f}x"
        )
        print(
            f"  parity: lower_bound sklearn {sk_model.lower_bound_:.12f} segcore {our_model.lower_bound_:.12f} "
            f"max |means diff| {np.abs(sk_model.means_ - our_model.means_).max():.2e}"
        )


if __name__ == "__main__":
    main()
