"""k-means on a cluster: segcore.dask vs dask-ml's KMeans, segcore.spark vs Spark MLlib's KMeans,
per iteration.

Writes N x D float32 rows (weakly separated blobs) as Parquet files on disk once, then fits
k-means on them with each engine from the same initial centers (the first k rows) for a fixed
number of Lloyd iterations (tol = 0): segcore.dask and dask-ml on a dask.distributed
LocalCluster (2 worker processes, 1 thread each, `--worker-memory` each); on one `local[2]`
Spark session Spark MLlib (RDD API, which takes an initial model; its RDD cached first) and
segcore.spark (barrier tasks, the default, and one job per pass, `barrier=False`), in
alternating runs. Per-iteration time is the difference between a fit of 1 + `--iters`
iterations and a fit of 1 iteration, divided by `--iters` (so loading, the initial passes and the
final pass cancel out); Spark figures are medians of `--repeats` runs. Peak memory: the workers'
max RSS (dask), the Spark JVM's VmHWM and the largest VmHWM of its Python workers (over the whole
session). Prints `uptime` first and last.

    python benches/compare_engines.py --rows 50000000      # the issue's size (needs ~3.2 GB on disk)
    python benches/compare_engines.py --rows 4000000       # what fits a shared 2-core machine
    python benches/compare_engines.py --skip dask-ml,spark  # only some engines

Needs: dask[distributed,dataframe], pyarrow, dask-ml (optional), pyspark + Java (optional).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_parquet(path: str, rows: int, d: int, k: int, files: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    marker = os.path.join(path, f"_done_{rows}_{d}_{k}_{files}")
    if os.path.exists(marker):
        return
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    rng = np.random.default_rng(0)
    centers = rng.uniform(-0.5, 0.5, size=(k, d))
    per_file = -(-rows // files)
    for f in range(files):
        n = min(per_file, rows - f * per_file)
        if n <= 0:
            break
        labels = (np.arange(n) + f * per_file) % k
        x = (centers[labels] + rng.uniform(-1.0, 1.0, size=(n, d))).astype(np.float32)
        table = pa.table({f"f{j}": x[:, j] for j in range(d)})
        pq.write_table(table, os.path.join(path, f"part-{f:05d}.parquet"), row_group_size=1 << 20)
    open(marker, "w").close()


def first_rows(path: str, k: int) -> np.ndarray:
    import pyarrow.parquet as pq

    first = sorted(p for p in os.listdir(path) if p.endswith(".parquet"))[0]
    return pq.read_table(os.path.join(path, first)).slice(0, k).to_pandas().to_numpy(np.float64)


def timed(fit) -> float:
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start


def worker_peak_mb(client) -> float:
    peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return max(peaks.values()) / 1024


def run_dask(path: str, init: np.ndarray, iters: int, memory: str, skip: set) -> dict:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    results = {}
    for name in ("segcore", "dask-ml"):
        if name in skip:
            continue
        # A fresh cluster per library, so the peak memory is that library's.
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, memory_limit=memory,
            dashboard_address=None,
        )
        client = Client(cluster)
        try:
            def data():
                return dd.read_parquet(path).to_dask_array(lengths=True)

            if name == "segcore":
                import segcore.dask as sdask

                def fit(n):
                    return sdask.KMeans(len(init), init=init, max_iter=n, tol=0.0).fit(data())
            else:
                try:
                    from dask_ml.cluster import KMeans as DaskMLKMeans
                except ImportError:
                    print("dask-ml is not installed: skipped")
                    continue

                def fit(n):
                    return DaskMLKMeans(
                        n_clusters=len(init), init=init, max_iter=n, tol=0.0
                    ).fit(data())

            fit(1)  # warm-up: worker imports, first Parquet read
            one = timed(lambda: fit(1))
            models = []
            many = timed(lambda: models.append(fit(1 + iters)))
            results[name] = {
                "per_iter": (many - one) / iters,
                "fit_1": one,
                "peak_mb": worker_peak_mb(client),
                "inertia": float(models[0].inertia_),
            }
        finally:
            client.close()
            cluster.close()
    return results


def _vm_hwm_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> list:
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def run_spark(path: str, init: np.ndarray, iters: int, memory: str, skip: set, repeats: int) -> dict:
    """Spark MLlib and segcore.spark (barrier tasks; per-pass jobs) on one local[2] session, in
    alternating runs; per-iteration medians over `repeats` runs."""
    if shutil.which("java") is None:
        print("no Java runtime: Spark skipped")
        return {}
    from pyspark.mllib.clustering import KMeans as MLlibKMeans
    from pyspark.mllib.clustering import KMeansModel
    from pyspark.mllib.linalg import Vectors
    from pyspark.sql import SparkSession

    import segcore.spark as sspark

    # Spark's Python workers must run this interpreter.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]").appName("compare_engines")
        .config("spark.driver.memory", memory.replace("GB", "g"))
        .config("spark.ui.enabled", "false").getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    fits = {}
    try:
        df = spark.read.parquet(path)
        print(f"Spark: {df.rdd.getNumPartitions()} partitions of the Parquet data, "
              f"{spark.sparkContext.defaultParallelism} slots", flush=True)
        if "spark-mllib" not in skip:
            rdd = df.rdd.map(lambda row: Vectors.dense(list(row))).cache()
            rdd.count()
            initial = KMeansModel([Vectors.dense(c) for c in init])

            def mllib(n):
                return MLlibKMeans.train(rdd, len(init), maxIterations=n, initialModel=initial, epsilon=0.0)

            fits["spark-mllib"] = mllib
        if "segcore-spark" not in skip:
            def barrier(n):
                return sspark.KMeans(len(init), init=init, max_iter=n, tol=0.0, barrier=True).fit(df)

            fits["segcore-spark"] = barrier
        if "segcore-spark-passes" not in skip:
            def passes(n):
                return sspark.KMeans(len(init), init=init, max_iter=n, tol=0.0, barrier=False).fit(df)

            fits["segcore-spark-passes"] = passes
        for fit in fits.values():
            fit(1)  # warm-up
        # In-fit pass times of the barrier fit: the interval between two merges of the tasks'
        # statistics is one pass (task out, the core's pass over the rows, statistics back).
        from segcore import _spark_barrier

        merges = []
        core = _spark_barrier._segcore
        merge = core.partial_merge_partitions

        class Timed:
            def __getattr__(self, name):
                return getattr(core, name)

            @staticmethod
            def partial_merge_partitions(parts):
                merges.append(time.perf_counter())
                return merge(parts)

        _spark_barrier._segcore = Timed()
        pass_times = []
        runs = {name: [] for name in fits}
        for repeat in range(repeats):
            for name, fit in fits.items():
                one = timed(lambda: fit(1))
                merges.clear()
                many = timed(lambda: fit(1 + iters))
                if name == "segcore-spark":
                    # passes: moments, 1 + iters Lloyd steps, final cost; keep the Lloyd steps
                    pass_times.extend(np.diff(merges)[1:-1].tolist())
                runs[name].append(((many - one) / iters, one))
                print(f"  run {repeat + 1} {name}: {runs[name][-1][0] * 1000:.1f} ms per iteration, "
                      f"fit(1) {one:.2f} s", flush=True)
        pid = spark.sparkContext._gateway.proc.pid
        hwm = _vm_hwm_mb(pid)
        workers = max([_vm_hwm_mb(p) for p in _descendants(pid)] or [0.0])
        _spark_barrier._segcore = core
        if pass_times:
            print(f"segcore-spark in-fit Lloyd pass: median {np.median(pass_times) * 1000:.1f} ms "
                  f"over {len(pass_times)} passes (min {min(pass_times) * 1000:.1f} ms)", flush=True)
        results = {}
        for name, values in runs.items():
            per_iter = sorted(v[0] for v in values)
            results[name] = {
                "per_iter": per_iter[len(per_iter) // 2],
                "runs_ms": [round(v[0] * 1000, 1) for v in values],
                "fit_1": sorted(v[1] for v in values)[len(values) // 2],
                "jvm_peak_mb": hwm, "python_workers_peak_mb": workers,
            }
        if pass_times and "segcore-spark" in results:
            results["segcore-spark"]["in_fit_pass_ms"] = round(float(np.median(pass_times)) * 1000, 1)
    finally:
        spark.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--files", type=int, default=0, help="Parquet files (default: 1 per 1M rows)")
    parser.add_argument("--worker-memory", default="2GB")
    parser.add_argument("--path", default=os.path.join(ROOT, "target", "engines-bench"))
    parser.add_argument("--skip", default="", help="comma list of segcore, dask-ml, spark (all of "
                        "Spark), spark-mllib, segcore-spark, segcore-spark-passes")
    parser.add_argument("--repeats", type=int, default=3, help="alternating Spark runs (median)")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    files = args.files or max(2, args.rows // 1_000_000)
    write_parquet(args.path, args.rows, args.d, args.k, files)
    init = first_rows(args.path, args.k)
    print(f"{args.rows} x {args.d} float32 in {files} Parquet files, k={args.k}, {args.iters} "
          f"iterations from the first {args.k} rows, 2 workers x {args.worker_memory}")
    results = run_dask(args.path, init, args.iters, args.worker_memory, skip)
    print("dask:", results, flush=True)
    if "spark" not in skip:
        try:
            results.update(run_spark(args.path, init, args.iters, args.worker_memory, skip, args.repeats))
        except Exception as error:  # noqa: BLE001 - report and keep the dask figures
            print(f"Spark MLlib failed: {error!r}"[:500])
    for name, r in results.items():
        extra = {k: v for k, v in r.items() if k not in ("per_iter",)}
        print(f"{name:12s} {r['per_iter'] * 1000:9.1f} ms per iteration   {extra}")
    for ours, theirs in (("segcore", "dask-ml"), ("segcore-spark", "spark-mllib"),
                         ("segcore-spark-passes", "spark-mllib"), ("segcore", "spark-mllib")):
        if ours in results and theirs in results:
            ratio = results[theirs]["per_iter"] / results[ours]["per_iter"]
            print(f"{ours} is {ratio:.2f}x faster per iteration than {theirs}")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    sys.exit(main())
