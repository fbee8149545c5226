"""mclust's BIC table (14 models x k) vs segcore's select_mixture, and EM per iteration vs
scikit-learn for the four shared covariance types, in one run.

1. Full BIC table: R's ``mclustBIC(X, G = 1:9)`` (all 14 models, its default hierarchical start
   on a 2000-row subset, one EM per cell) against ``segcore.select_mixture(X, range(1, 10),
   "mclust")``: once with segcore's defaults (hierarchical + 1 k-means + 1 random start per cell)
   and once with the hierarchical start only (mclust's work). Timed inside each library (R's
   ``system.time`` around ``mclustBIC``; Python's clock around the call), medians of
   ``--repeats`` runs. Prints the best cell of each and the ratio.
2. EM per iteration, scikit-learn vs segcore on the four shared types (``compare_gmm.py``'s
   measurement: same start, fixed iterations, set-up cancelled).

    python benches/compare_mixtures.py [--n 100000] [--d 8] [--kmax 9] [--repeats 1]
                                       [--skip-table] [--skip-iterations]

Needs Rscript with mclust, scikit-learn and a release build of the wheel. Machines are noisy:
compare ratios measured in one run; the load average is printed.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_gmm import data, per_iteration  # noqa: E402

R_TABLE = r"""
suppressMessages(library(mclust))
args <- commandArgs(TRUE)
X <- as.matrix(read.csv(args[1], header = FALSE))
kmax <- as.integer(args[2]); repeats <- as.integer(args[3])
times <- c()
for (r in 1:repeats) {
  set.seed(r)
  t <- system.time(b <- mclustBIC(X, G = 1:kmax, verbose = FALSE))[["elapsed"]]
  times <- c(times, t)
}
s <- summary(b, X)
cat("TIMES", times, "\n")
cat("BEST", s$modelName, s$G, format(s$bic, digits = 12), "\n")
cat("NA", sum(is.na(b)), "\n")
"""


def load():
    a = os.getloadavg()
    return f"load average {a[0]:.2f} {a[1]:.2f} {a[2]:.2f}"


def table(args):
    import segcore

    exe = shutil.which("Rscript")
    x = data(args.n, args.d, 6)
    print(f"== BIC table: n={args.n} d={args.d} k=1..{args.kmax}, 14 models; {load()}", flush=True)

    def ours(**kw):
        times, result = [], None
        for _ in range(args.repeats):
            t = time.perf_counter()
            result = segcore.select_mixture(
                x, n_components=range(1, args.kmax + 1), covariance_types="mclust",
                max_iter=5000, random_state=0, **kw,
            )
            times.append(time.perf_counter() - t)
        best = result.table[result.best_index]
        failed = sum(row["bic"] is None for row in result.table)
        return float(np.median(times)), best, failed

    seg_default, best, failed = ours()
    print(f"  segcore (hierarchical + k-means + random starts): {seg_default:.1f} s; best "
          f"{best['covariance_type']} k={best['n_components']} BIC {best['bic']:.3f}; "
          f"{failed} cells failed; {load()}", flush=True)
    seg_hc, best_hc, failed_hc = ours(n_init=0)
    print(f"  segcore (hierarchical start only, mclust's work): {seg_hc:.1f} s; best "
          f"{best_hc['covariance_type']} k={best_hc['n_components']} BIC {best_hc['bic']:.3f}; "
          f"{failed_hc} cells failed; {load()}", flush=True)
    if exe is None:
        print("  Rscript not found: mclust side skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        np.savetxt(path, x, delimiter=",", fmt="%.17g")
        script = Path(tmp) / "table.R"
        script.write_text(R_TABLE)
        out = subprocess.run([exe, str(script), str(path), str(args.kmax), str(args.repeats)],
                             capture_output=True, text=True, check=True).stdout
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    r_time = float(np.median([float(v) for v in lines["TIMES"]]))
    print(f"  mclust mclustBIC: {r_time:.1f} s; best {lines['BEST'][0]} k={lines['BEST'][1]} "
          f"BIC {float(lines['BEST'][2]):.3f}; {lines['NA'][0]} NA cells; {load()}")
    print(f"  speed-up: {r_time / seg_default:.1f}x with segcore's default starts, "
          f"{r_time / seg_hc:.1f}x with the hierarchical start only", flush=True)


def iterations(args):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture
    from threadpoolctl import threadpool_limits

    import segcore

    x = data(args.n, args.d, 6)
    print(f"== EM per iteration: n={args.n} d={args.d} k=6, 10 iterations, median of 3; {load()}")
    for kind in ["full", "tied", "diag", "spherical"]:
        with threadpool_limits(limits=2):
            sk, _ = per_iteration(SkGaussianMixture, x, 6, kind, 10)
        ours, _ = per_iteration(segcore.GaussianMixture, x, 6, kind, 10)
        print(f"  {kind}: sklearn {sk:.1f} ms/iter, segcore {ours:.2f} ms/iter, speed-up {sk / ours:.1f}x",
              flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=8)
    parser.add_argument("--kmax", type=int, default=9)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--skip-table", action="store_true")
    parser.add_argument("--skip-iterations", action="store_true")
    args = parser.parse_args()
    if not args.skip_iterations:
        iterations(args)
    if not args.skip_table:
        table(args)


if __name__ == "__main__":
    main()
