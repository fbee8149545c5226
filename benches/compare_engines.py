"""k-means on a cluster: segcore.dask vs dask-ml's KMeans vs Spark MLlib's KMeans, per iteration.

Writes N x D float32 rows (weakly separated blobs) as Parquet files on disk once, then fits
k-means on them with each engine from the same initial centers (the first k rows) for a fixed
number of Lloyd iterations (tol = 0): segcore.dask and dask-ml on a dask.distributed
LocalCluster (2 worker processes, 1 thread each, `--worker-memory` each), Spark MLlib (RDD API,
which takes an initial model) on `local[2]`. Per-iteration time is the difference between a fit
of 1 + `--iters` iterations and a fit of 1 iteration, divided by `--iters` (so loading, the
initial passes and the final pass cancel out). Peak memory: the workers' max RSS (dask) and the
Spark JVM's VmHWM plus its Python workers. Prints `uptime` first; one run.

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


def run_spark(path: str, init: np.ndarray, iters: int, memory: str) -> dict:
    if shutil.which("java") is None:
        print("no Java runtime: Spark skipped")
        return {}
    from pyspark.mllib.clustering import KMeans as MLlibKMeans
    from pyspark.mllib.clustering import KMeansModel
    from pyspark.mllib.linalg import Vectors
    from pyspark.sql import SparkSession

    # Spark's Python workers must run this interpreter.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]").appName("compare_engines")
        .config("spark.driver.memory", memory.replace("GB", "g"))
        .config("spark.ui.enabled", "false").getOrCreate()
    )
    results = {}
    try:
        df = spark.read.parquet(path)
        rdd = df.rdd.map(lambda row: Vectors.dense(list(row))).cache()
        rdd.count()
        initial = KMeansModel([Vectors.dense(c) for c in init])

        def fit(n):
            return MLlibKMeans.train(rdd, len(init), maxIterations=n, initialModel=initial, epsilon=0.0)

        fit(1)  # warm-up
        one = timed(lambda: fit(1))
        many = timed(lambda: fit(1 + iters))
        pid = spark.sparkContext._gateway.proc.pid
        hwm = 0
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM"):
                    hwm = int(line.split()[1]) / 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        results["spark-mllib"] = {
            "per_iter": (many - one) / iters, "fit_1": one,
            "peak_mb": hwm, "python_workers_peak_mb": children,
        }
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
    parser.add_argument("--skip", default="", help="comma list of segcore, dask-ml, spark")
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
            results.update(run_spark(args.path, init, args.iters, args.worker_memory))
        except Exception as error:  # noqa: BLE001 - report and keep the dask figures
            print(f"Spark MLlib failed: {error!r}"[:500])
    for name, r in results.items():
        extra = {k: v for k, v in r.items() if k not in ("per_iter",)}
        print(f"{name:12s} {r['per_iter'] * 1000:9.1f} ms per iteration   {extra}")
    if "segcore" in results:
        base = results["segcore"]["per_iter"]
        for name, r in results.items():
            if name != "segcore":
                print(f"segcore is {r['per_iter'] / base:.2f}x faster per iteration than {name}")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    sys.exit(main())
