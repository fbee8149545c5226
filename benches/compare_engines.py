"""k-means on a cluster: segcore.dask vs dask-ml's KMeans, segcore.spark vs Spark MLlib's KMeans,
per iteration.

Writes N x D float32 rows (weakly separated blobs) as Parquet files on disk once, a file of
`--rows-per-file` rows at a time (so 50M rows never sit in memory), then fits k-means on them
with each engine from the same initial centers (the first k rows) for a fixed number of Lloyd
iterations (tol = 0): segcore.dask and dask-ml on a dask.distributed LocalCluster (2 worker
processes, 1 thread each, `--worker-memory` each), each library on its users' path: segcore
reads the files with `segcore.dask.read_parquet` (the core decodes each file on a worker straight
into float32 rows), dask-ml with `dd.read_parquet(...).to_dask_array(lengths=True)`; segcore fed by
that same `dd.read_parquet` array is timed too (`segcore-dd`), for transparency; on one
`local[2]` Spark session Spark MLlib's
RDD API (`spark-mllib`, which takes an initial model but needs every row converted in Python
first: too slow past a few million rows), its DataFrame API (`spark-ml`: VectorAssembler and
`pyspark.ml.clustering.KMeans`, which reads the Parquet files in the JVM but takes no initial
centers, so random init, seed 0) and segcore.spark (barrier tasks, the default, and one job per
pass, `barrier=False`), in alternating runs.

Per-iteration time, two ways:
- in the fit (`--method infit`, the default for dask and segcore.spark): every Lloyd pass is
  timed inside one fit of 1 + `--iters` iterations (segcore.dask: each pass over the
  partitions; dask-ml: its own "Lloyd loop" timer; segcore.spark: the interval between two merges
  of the barrier tasks' statistics), median over the passes;
- by difference (`--method difference`, always for the Spark MLlib fits and the per-pass
  segcore.spark fit): (fit of 1 + `--iters` iterations - fit of 1 iteration) / `--iters`, so
  loading, caching and the initial and final passes cancel; noisy on a loaded machine, and it
  costs a second fit. For the Spark MLlib fits the script also reads the jobs of the long fit
  from the Spark UI's REST API and prints them; where one call site ran once per Lloyd pass,
  the median of those jobs is the in-fit figure (`lloyd_job_ms`).
Spark figures are medians of `--repeats` runs. Peak memory: the workers' max RSS (dask, one
fresh cluster per library), the Spark JVM's VmHWM and the largest VmHWM of its Python workers.

The rows are persisted in the dask workers' memory, for every library, only when they take
under a third of it (`--persist auto`); at 50M x 16 (3.2 GB against 2 x 2 GB) the dask libraries
read the Parquet files on every pass.

Each segcore fit is checked against dask-ml's after the timing: the centers (same start, same
iterations: equal up to float32 rounding) and one inertia computed the same way for both (sum
of squared distances to the final centers, float64). dask-ml's own `inertia_` is not that: when
its loop ends without converging (always with tol = 0 and a fixed number of iterations) it
recomputes the distances to the previous iteration's centers without `squared=True`, so it sums
Euclidean distances, not their squares (about 2.3x smaller on this data).

    python benches/compare_engines.py --rows 50000000 --iters 3 --repeats 1   # the issue's size
    python benches/compare_engines.py --rows 4000000       # what fits a shared 2-core machine
    python benches/compare_engines.py --skip dask-ml,spark  # only some engines
    python benches/compare_engines.py --rows 50000000 --files 50 --iters 3 --skip spark   # Dask at 50M
    python benches/compare_engines.py --skip segcore,dask-ml,spark-mllib,segcore-spark-passes  # Spark at 50M

Needs: dask[distributed,dataframe], pyarrow, dask-ml (optional), pyspark + Java (optional).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_parquet(path: str, rows: int, d: int, k: int, files: int) -> None:
    """The rows as `files` Parquet files, written one file at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    marker = os.path.join(path, f"_done_{rows}_{d}_{k}_{files}")
    if os.path.exists(marker):
        return
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    need = rows * d * 4 * 1.1
    free = shutil.disk_usage(path).free
    if free < need:
        raise SystemExit(f"{need / 1e9:.1f} GB needed on disk for the Parquet files, {free / 1e9:.1f} GB free")
    start = time.perf_counter()
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
        del x, table
    open(marker, "w").close()
    print(f"wrote {rows} rows in {files} Parquet files in {time.perf_counter() - start:.0f} s", flush=True)


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


class _LloydLoops(logging.Handler):
    """dask-ml's own per-iteration timer ("Finished Lloyd loop  i. in 0:00:01.23")."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds: list = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.msg.startswith("Finished") and len(args) == 2 and str(args[0]).startswith("Lloyd loop"):
            self.seconds.append(args[1].total_seconds())


def _squared_inertia(X, centers: np.ndarray) -> float:
    """Sum over the rows of the squared distance to the nearest center, in float64 (one dask pass;
    the same computation for every library)."""
    import dask.array as da

    c = np.asarray(centers, dtype=np.float64)

    def block(x):
        x = x.astype(np.float64)
        d2 = (x * x).sum(1)[:, None] - 2 * x @ c.T + (c * c).sum(1)[None, :]
        return np.array([np.maximum(d2.min(1), 0).sum()])

    return float(X.map_blocks(block, drop_axis=1, chunks=((1,) * X.numblocks[0],), dtype=np.float64).sum().compute())


def run_dask(path: str, init: np.ndarray, iters: int, memory: str, skip: set, persist: bool,
             method: str) -> dict:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    results = {}
    centers = {}
    # segcore on its documented path (segcore.dask.read_parquet: the core decodes the files on
    # the workers), segcore fed by dd.read_parquet (for transparency), dask-ml on its users' path
    # (dd.read_parquet(...).to_dask_array).
    for name in ("segcore", "segcore-dd", "dask-ml"):
        if name in skip:
            continue
        # A fresh cluster per library, so the peak memory is that library's.
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, memory_limit=memory,
            dashboard_address=None,
        )
        client = Client(cluster)
        try:
            first = sorted(p for p in os.listdir(path) if p.endswith(".parquet"))[0]

            def read(files=path):
                return dd.read_parquet(files).to_dask_array(lengths=True)

            persisted = None
            if persist and name != "segcore":
                # Every library gets the rows in worker memory (dask-ml's advice for its fit);
                # segcore persists the blocks of its own reader (below).
                from distributed import wait

                persisted = read().persist()
                wait(persisted)

            def data(files=None):
                if files is not None or persisted is None:
                    return read(files or path)
                return persisted

            passes: list = []
            kept: list = []  # segcore's persisted blocks (when the rows fit)
            if name.startswith("segcore"):
                import segcore.dask as sdask

                run = sdask._Blocks.run

                def timed_run(self, task, split_every=None):
                    begin = time.perf_counter()
                    out = run(self, task, split_every)
                    passes.append((json.loads(task)["task"], time.perf_counter() - begin))
                    return out

                sdask._Blocks.run = timed_run

                def own(files=None):
                    if name == "segcore-dd":
                        return data(files)
                    # The core's reader; persisted like the others' rows when they fit.
                    if persist and files is None:
                        if not kept:
                            kept.append(sdask.read_parquet(path).persist())
                        return kept[0]
                    return sdask.read_parquet(files or path)

                def fit(n, X=None):
                    return sdask.KMeans(len(init), init=init, max_iter=n, tol=0.0, persist=False).fit(
                        own() if X is None else X
                    )

                def lloyd():
                    return [t for kind, t in passes if kind == "k_means_step"]
            else:
                try:
                    from dask_ml.cluster import KMeans as DaskMLKMeans
                except ImportError:
                    print("dask-ml is not installed: skipped")
                    continue
                loops = _LloydLoops()
                logging.getLogger("dask_ml.cluster.k_means").addHandler(loops)
                logging.getLogger("dask_ml.cluster.k_means").setLevel(logging.INFO)

                def fit(n, X=None):
                    return DaskMLKMeans(n_clusters=len(init), init=init, max_iter=n, tol=0.0).fit(
                        data() if X is None else X
                    )

                def lloyd():
                    return loops.seconds

            one_file = os.path.join(path, first)
            fit(2, own(one_file) if name.startswith("segcore") else data(one_file))  # warm-up: worker imports
            passes.clear()
            if name == "dask-ml":
                loops.seconds.clear()
            models = []
            many = timed(lambda: models.append(fit(1 + iters)))
            in_fit = lloyd()
            result = {
                "fit_total_s": round(many, 1),
                "in_fit_pass_ms": [round(t * 1000) for t in in_fit],
                "persisted": persist,
            }
            if in_fit:
                result["per_iter"] = float(np.median(in_fit))
            if method == "difference" or not in_fit:
                one = timed(lambda: fit(1))
                result["by_difference"] = (many - one) / iters
                result.setdefault("per_iter", result["by_difference"])
            result["peak_mb"] = worker_peak_mb(client)
            model = models[0]
            centers[name] = np.asarray(model.cluster_centers_, dtype=np.float64)
            result["inertia_reported"] = float(model.inertia_)
            result["inertia_squared"] = _squared_inertia(data(), centers[name])
            results[name] = result
            print(f"{name}: {result}", flush=True)
        finally:
            if name.startswith("segcore"):
                sdask._Blocks.run = run
            client.close()
            cluster.close()
    for ours in ("segcore", "segcore-dd"):
        if ours in centers and "dask-ml" in centers:
            diff = float(np.abs(centers[ours] - centers["dask-ml"]).max())
            print(f"{ours} vs dask-ml: centers differ by {diff:.3g} at most (same start, same "
                  f"iterations); inertia (squared distances, the same computation for both) "
                  f"{results[ours]['inertia_squared']:.6g} vs {results['dask-ml']['inertia_squared']:.6g}; "
                  f"dask-ml's own inertia_ {results['dask-ml']['inertia_reported']:.6g} sums unsquared distances")
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


def _spark_job_times(spark, group: str) -> list:
    """(name, seconds) of the finished jobs of a job group, in submission order, from the Spark
    UI's REST API (empty when the UI is off or unreachable)."""
    import datetime
    import urllib.request

    sc = spark.sparkContext
    if not sc.uiWebUrl:
        return []

    def when(text: str) -> float:
        return datetime.datetime.strptime(text.replace("GMT", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()

    try:
        with urllib.request.urlopen(f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/jobs") as reply:
            jobs = json.load(reply)
    except OSError:
        return []
    jobs = [j for j in jobs if j.get("jobGroup") == group and j.get("completionTime")]
    jobs.sort(key=lambda j: j["jobId"])
    return [(j["name"], when(j["completionTime"]) - when(j["submissionTime"])) for j in jobs]


def _lloyd_jobs_seconds(jobs: list, passes: int) -> float:
    """Median duration of the jobs that ran once per Lloyd pass: the call site seen exactly
    `passes` times in the fit, KMeans' own first (nan when none is)."""
    from collections import Counter

    counts = Counter(name for name, _ in jobs)
    # The fit's own call sites (KMeans.scala) before the thread that runs the whole fit.
    once_per_pass = sorted((name for name, count in counts.items() if count == passes),
                           key=lambda name: "KMeans" not in name)
    if not once_per_pass:
        return float("nan")
    return float(np.median([s for n, s in jobs if n == once_per_pass[0]]))


def run_spark(path: str, init: np.ndarray, iters: int, memory: str, skip: set, repeats: int,
              method: str) -> dict:
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
        .config("spark.ui.showConsoleProgress", "false").getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    fits = {}
    try:
        df = spark.read.parquet(path)
        first = sorted(p for p in os.listdir(path) if p.endswith(".parquet"))[0]
        small = spark.read.parquet(os.path.join(path, first))
        print(f"Spark: {df.rdd.getNumPartitions()} partitions of the Parquet data, "
              f"{spark.sparkContext.defaultParallelism} slots", flush=True)
        if "spark-mllib" not in skip:
            def vectors(frame):
                return frame.rdd.map(lambda row: Vectors.dense(list(row)))

            # Persisted in memory and on disk (MEMORY_ONLY ran the 2 GB driver out of heap at 10M
            # rows). MLlib converts and persists its own copy once per fit, which cancels out of
            # the per-iteration figure.
            from pyspark import StorageLevel

            rdd = vectors(df).persist(StorageLevel.MEMORY_AND_DISK)
            rdd.count()
            initial = KMeansModel([Vectors.dense(c) for c in init])

            def mllib(n, data=None):
                data = rdd if data is None else vectors(data)
                return MLlibKMeans.train(data, len(init), maxIterations=n, initialModel=initial, epsilon=0.0)

            fits["spark-mllib"] = mllib
        if "spark-ml" not in skip:
            from pyspark.ml.clustering import KMeans as MLKMeans
            from pyspark.ml.feature import VectorAssembler

            assembler = VectorAssembler(inputCols=df.columns, outputCol="features")

            def ml(n, data=None):
                # The DataFrame API takes no initial centers: random init (seed 0), which costs
                # one sample, not a pass; the Lloyd passes cost the same whatever the start.
                # It persists its own copy of the vectors once per fit (cancels by difference).
                frame = assembler.transform(df if data is None else data).select("features")
                return MLKMeans(k=len(init), maxIter=n, tol=0.0, initMode="random", seed=0).fit(frame)

            fits["spark-ml"] = ml
        if "segcore-spark" not in skip:
            def barrier(n, data=None):
                return sspark.KMeans(len(init), init=init, max_iter=n, tol=0.0, barrier=True).fit(
                    df if data is None else data)

            fits["segcore-spark"] = barrier
        if "segcore-spark-passes" not in skip:
            def passes(n, data=None):
                return sspark.KMeans(len(init), init=init, max_iter=n, tol=0.0, barrier=False).fit(
                    df if data is None else data)

            fits["segcore-spark-passes"] = passes
        for fit in fits.values():
            fit(2, small)  # warm-up on one file
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
        job_times: dict = {}
        runs = {name: [] for name in fits}
        for repeat in range(repeats):
            for name, fit in fits.items():
                in_fit_only = name == "segcore-spark" and method == "infit"
                one = float("nan") if in_fit_only else timed(lambda: fit(1))
                merges.clear()
                group = f"{name}-{repeat}"
                spark.sparkContext.setJobGroup(group, f"{name} fit({1 + iters})")
                many = timed(lambda: fit(1 + iters))
                jobs = _spark_job_times(spark, group)
                if jobs and name != "segcore-spark":
                    summary = ", ".join(f"{n} {t * 1000:.0f} ms" for n, t in jobs)
                    print(f"  run {repeat + 1} {name}: jobs of fit({1 + iters}): {summary}"[:2000])
                    job_times.setdefault(name, []).append(_lloyd_jobs_seconds(jobs, 1 + iters))
                if name == "segcore-spark":
                    # passes: moments, 1 + iters Lloyd steps, final cost; keep the Lloyd steps
                    pass_times.extend(np.diff(merges)[1:-1].tolist())
                runs[name].append(((many - one) / iters, one))
                print(f"  run {repeat + 1} {name}: {runs[name][-1][0] * 1000:.1f} ms per iteration "
                      f"by difference, fit(1) {one:.2f} s, fit({1 + iters}) {many:.2f} s", flush=True)
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
        for name, values in job_times.items():
            # In-fit figure for the Spark fits: one job per Lloyd pass, timed by the engine.
            results[name]["lloyd_job_ms"] = round(float(np.median(values)) * 1000, 1)
        if pass_times and "segcore-spark" in results:
            results["segcore-spark"]["in_fit_pass_ms"] = round(float(np.median(pass_times)) * 1000, 1)
            if method == "infit":
                results["segcore-spark"]["per_iter"] = float(np.median(pass_times))
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
    parser.add_argument("--persist", default="auto", choices=["auto", "yes", "no"],
                        help="the dask libraries get the rows persisted in worker memory (auto: "
                        "when they take under a third of it)")
    parser.add_argument("--method", default="infit", choices=["infit", "difference"],
                        help="per-iteration time of the dask libraries and segcore.spark")
    parser.add_argument("--worker-memory", default="2GB")
    parser.add_argument("--path", default=os.path.join(ROOT, "target", "engines-bench"))
    parser.add_argument("--skip", default="", help="comma list of segcore, segcore-dd, dask-ml, spark (all of "
                        "Spark), spark-mllib, spark-ml, segcore-spark, segcore-spark-passes")
    parser.add_argument("--repeats", type=int, default=3, help="alternating Spark runs (median)")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    files = args.files or max(2, args.rows // 1_000_000)
    write_parquet(args.path, args.rows, args.d, args.k, files)
    init = first_rows(args.path, args.k)
    print(f"{args.rows} x {args.d} float32 in {files} Parquet files, k={args.k}, {args.iters} "
          f"iterations from the first {args.k} rows, 2 workers x {args.worker_memory}")
    from dask.utils import parse_bytes

    persist = {"yes": True, "no": False}.get(
        args.persist, args.rows * args.d * 4 < 2 * parse_bytes(args.worker_memory) / 3
    )
    results = run_dask(args.path, init, args.iters, args.worker_memory, skip, persist, args.method)
    print("dask:", results, flush=True)
    if "spark" not in skip:
        try:
            results.update(run_spark(args.path, init, args.iters, args.worker_memory, skip, args.repeats,
                                     args.method))
        except Exception as error:  # noqa: BLE001 - report and keep the dask figures
            print(f"Spark MLlib failed: {error!r}"[:500])
    for name, r in results.items():
        extra = {k: v for k, v in r.items() if k not in ("per_iter",)}
        print(f"{name:12s} {r['per_iter'] * 1000:9.1f} ms per iteration   {extra}")
    for ours, theirs in (("segcore", "dask-ml"), ("segcore-dd", "dask-ml"), ("segcore-spark", "spark-mllib"),
                         ("segcore-spark-passes", "spark-mllib"), ("segcore", "spark-mllib"),
                         ("segcore-spark", "spark-ml"), ("segcore-spark-passes", "spark-ml")):
        if ours in results and theirs in results:
            ratio = results[theirs]["per_iter"] / results[ours]["per_iter"]
            print(f"{ours} is {ratio:.2f}x faster per iteration than {theirs}")
    for theirs in ("spark-ml", "spark-mllib"):
        mine = results.get("segcore-spark", {}).get("in_fit_pass_ms")
        job = results.get(theirs, {}).get("lloyd_job_ms")
        if mine and job and job == job:
            print(f"in the fit: a segcore-spark pass {mine:.1f} ms, a {theirs} Lloyd job {job:.1f} ms: "
                  f"{job / mine:.2f}x")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    sys.exit(main())
