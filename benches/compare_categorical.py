"""Categorical and mixed data: segcore vs kmodes (k-prototypes), stepmix (latent class), prince (MCA).

Runs both sides in this process on the same arrays and prints medians over `--repeats` runs and
their ratio, plus the machine load (`uptime`) before and after. Threads: segcore uses 2 rayon
threads (RAYON_NUM_THREADS=2, set below unless already set); numpy BLAS is limited to 2.

    python benches/compare_categorical.py [--repeats 3] [--quick]

Workloads (synthetic, 6 numeric + 4 categorical columns of 5-12 categories, seeded):
  1. k-prototypes, 20,000 rows, k=8, from the same initial prototypes: kmodes vs segcore
     (update="incremental", the same iterations as kmodes) and segcore's default batch update.
  2. k-prototypes, 1,000,000 rows, k=8: segcore (n_init=1 and the default n_init=10).
  3. MCA of 10 categorical columns: 100,000 rows vs prince (engine="scipy", dense one-hot) and
     1,000,000 rows for segcore alone (prince's dense indicator matrix would need ~0.5 GB more).
  4. Latent class, 20,000 rows x 8 indicators, k=3, 200 EM iterations (tol=0) from one start,
     stepmix vs segcore.
"""

import argparse
import os
import statistics
import subprocess
import time

os.environ.setdefault("RAYON_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import segcore  # noqa: E402


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def mixed_data(n, seed=0, k=8):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, k, n)
    centers = rng.normal(0, 1.5, size=(k, 6))
    num = centers[group] + rng.normal(size=(n, 6))
    levels = [5, 7, 9, 12]
    cat = np.empty((n, 4), dtype=np.int64)
    for j, L in enumerate(levels):
        favourite = rng.integers(0, L, k)
        keep = rng.random(n) < 0.6
        cat[:, j] = np.where(keep, favourite[group], rng.integers(0, L, n))
    return num, cat


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def median_runs(fn, repeats):
    times, last = [], None
    for _ in range(repeats):
        t, last = timed(fn)
        times.append(t)
    return statistics.median(times), last


def bench_kprototypes(repeats, quick):
    from kmodes.kprototypes import KPrototypes as KmodesKPrototypes

    n = 5_000 if quick else 20_000
    num, cat = mixed_data(n)
    X = np.hstack([num, cat.astype(np.float64)])
    categorical = [6, 7, 8, 9]
    rows = np.arange(8) * (n // 8)
    init_num, init_cat = num[rows], cat[rows].astype(np.float64)
    gamma = 0.5 * num.std(axis=0).mean()

    def kmodes_fit():
        return KmodesKPrototypes(
            n_clusters=8, init=[init_num.copy(), init_cat.astype(np.uint16)], n_init=1, gamma=gamma
        ).fit(X, categorical=categorical)

    def ours(update):
        return lambda: segcore.KPrototypes(
            n_clusters=8, init=(init_num, init_cat), n_init=1, gamma=gamma, update=update
        ).fit(X, categorical=categorical)

    t_kmodes, theirs = median_runs(kmodes_fit, 1)  # about a minute per run
    t_inc, inc = median_runs(ours("incremental"), repeats)
    t_batch, batch = median_runs(ours("batch"), repeats)
    same = np.array_equal(inc.labels_, theirs.labels_)
    print(f"k-prototypes {n:,} rows x (6 num + 4 cat), k=8, same initial prototypes:")
    print(f"  kmodes            {t_kmodes:8.3f} s  cost {theirs.cost_:.6g}  iterations {theirs.n_iter_}")
    print(f"  segcore increm.   {t_inc:8.3f} s  cost {inc.cost_:.6g}  iterations {inc.n_iter_}  "
          f"labels equal kmodes: {same}  ratio {t_kmodes / t_inc:,.0f}x")
    print(f"  segcore batch     {t_batch:8.3f} s  cost {batch.cost_:.6g}  iterations {batch.n_iter_}  "
          f"ratio {t_kmodes / t_batch:,.0f}x")

    n_big = 100_000 if quick else 1_000_000
    num, cat = mixed_data(n_big, seed=1)
    frame = pd.DataFrame(num, columns=[f"x{i}" for i in range(6)])
    for j in range(4):
        frame[f"c{j}"] = pd.Categorical(cat[:, j])
    for n_init in (1, 10):
        t, model = median_runs(
            lambda: segcore.KPrototypes(n_clusters=8, n_init=n_init, random_state=0).fit(frame),
            1 if n_init > 1 else repeats,
        )
        print(f"k-prototypes {n_big:,} rows (pandas frame, 4 category columns), k=8, n_init={n_init}: "
              f"{t:.2f} s  (iterations of the best run {model.n_iter_})")


def bench_mca(repeats, quick):
    import prince

    def codes(n, seed):
        rng = np.random.default_rng(seed)
        levels = [3, 4, 5, 6, 8, 4, 5, 7, 3, 10]
        latent = rng.integers(0, 4, n)
        cols = {}
        for j, L in enumerate(levels):
            fav = rng.integers(0, L, 4)
            cols[f"q{j}"] = np.where(rng.random(n) < 0.5, fav[latent], rng.integers(0, L, n))
        return pd.DataFrame(cols)

    n = 20_000 if quick else 100_000
    frame = codes(n, 0).astype(str)
    with threadpool_limits(limits=2):
        t_prince, theirs = median_runs(lambda: prince.MCA(n_components=5, engine="scipy").fit(frame), repeats)
    t_ours, ours = median_runs(lambda: segcore.MCA(n_components=5).fit(frame), repeats)
    diff = np.max(np.abs(ours.eigenvalues_ - theirs.eigenvalues_))
    print(f"MCA {n:,} rows x 10 categorical (string columns), 5 components:")
    print(f"  prince (scipy)    {t_prince:8.3f} s")
    print(f"  segcore           {t_ours:8.3f} s  ratio {t_prince / t_ours:,.0f}x  max |eigenvalue diff| {diff:.1e}")
    n_big = 100_000 if quick else 1_000_000
    big = codes(n_big, 1)
    cat_frame = big.astype("category")
    t_big, _ = median_runs(lambda: segcore.MCA(n_components=5).fit(cat_frame), repeats)
    t_tr, _ = median_runs(lambda: segcore.MCA(n_components=5).fit_transform(cat_frame), 1)
    print(f"MCA {n_big:,} rows x 10 categorical (category dtype): fit {t_big:.2f} s, "
          f"fit + row coordinates {t_tr:.2f} s")


def bench_latent_class(repeats, quick):
    from stepmix.stepmix import StepMix

    n = 5_000 if quick else 20_000
    rng = np.random.default_rng(3)
    latent = rng.integers(0, 3, n)
    X = np.empty((n, 8))
    for j in range(8):
        fav = rng.integers(0, 3, 3)
        X[:, j] = np.where(rng.random(n) < 0.7, fav[latent], rng.integers(0, 3, n))
    iters = 200

    def stepmix_fit():
        with threadpool_limits(limits=2):
            return StepMix(n_components=3, measurement="categorical", n_init=1, max_iter=iters, abs_tol=0.0,
                           rel_tol=0.0, random_state=0, progress_bar=0, verbose=0).fit(X)

    def ours():
        return segcore.LatentClass(n_components=3, n_init=1, max_iter=iters, tol=0.0, random_state=0).fit(X)

    t_theirs, theirs = median_runs(stepmix_fit, 1)  # ~1 minute per run
    t_ours, model = median_runs(ours, repeats)
    ll_theirs = theirs.score(X) * n
    print(f"latent class {n:,} rows x 8 indicators (3 categories), k=3, {iters} EM iterations, one start:")
    print(f"  stepmix           {t_theirs:8.3f} s  log-likelihood {ll_theirs:.3f}")
    print(f"  segcore           {t_ours:8.3f} s  log-likelihood {model.log_likelihood_:.3f}  "
          f"ratio {t_theirs / t_ours:,.0f}x")
    t_default, model = median_runs(lambda: segcore.LatentClass(n_components=3, random_state=0).fit(X), 1)
    print(f"  segcore defaults (n_init=10, tol=1e-8): {t_default:.3f} s, log-likelihood {model.log_likelihood_:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--only", choices=["kprototypes", "mca", "latent_class"])
    args = parser.parse_args()
    print(f"load before: {uptime()}")
    print(f"segcore {segcore.__version__}, RAYON_NUM_THREADS={os.environ['RAYON_NUM_THREADS']}, "
          f"medians of {args.repeats} runs")
    for name, fn in [("kprototypes", bench_kprototypes), ("mca", bench_mca), ("latent_class", bench_latent_class)]:
        if args.only in (None, name):
            fn(args.repeats, args.quick)
    print(f"load after: {uptime()}")


if __name__ == "__main__":
    main()
