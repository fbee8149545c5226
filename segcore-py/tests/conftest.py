"""Shared fixtures: real datasets from ../shared/data (or $SEGCORE_DATA), skipped with a reason when absent."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path | None:
    """The shared data folder, or None (tests that need it skip)."""
    env = os.environ.get("SEGCORE_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "data")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


def require_data(relative: str) -> Path:
    base = data_dir()
    if base is None or not (base / relative).exists():
        pytest.skip(
            f"real dataset {relative} not found: set SEGCORE_DATA or place shared/data beside the repo "
            "(CI always has it)"
        )
    return base / relative


@pytest.fixture(scope="session")
def wholesale_spending() -> np.ndarray:
    """UCI Wholesale customers: log1p of the 6 annual spending columns, standardised (440 x 6)."""
    import pandas as pd

    path = require_data("wholesale_customers/wholesale_customers.csv")
    frame = pd.read_csv(path)
    columns = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    x = np.log1p(frame[columns].to_numpy(dtype=np.float64))
    return (x - x.mean(axis=0)) / x.std(axis=0)


@pytest.fixture(scope="session")
def mclust_oracle() -> Callable[..., str]:
    """Runs an R script with mclust (the mixture models' oracle) on a matrix written as CSV:
    ``run(script, x, *args)`` returns its stdout; the script reads the CSV path as its first
    argument, then ``args``. Skips with a reason when Rscript or mclust is absent (CI installs
    both)."""
    exe = shutil.which("Rscript")
    if exe is None:
        pytest.skip("Rscript not found: install r-base-core and r-cran-mclust (CI does)")
    probe = subprocess.run([exe, "-e", "library(mclust)"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("R package mclust not installed: apt-get install r-cran-mclust (CI does)")

    def run(script: str, x: np.ndarray, *args: str) -> str:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "x.csv"
            np.savetxt(data, x, delimiter=",", fmt="%.17g")
            path = Path(tmp) / "oracle.R"
            path.write_text(script)
            return subprocess.run(
                [exe, str(path), str(data), *args], capture_output=True, text=True, check=True, timeout=600
            ).stdout

    return run


@pytest.fixture(scope="session")
def blobs() -> np.ndarray:
    from sklearn.datasets import make_blobs

    x, _ = make_blobs(n_samples=3000, n_features=5, centers=6, cluster_std=1.5, random_state=7)
    return x


@pytest.fixture(scope="session", autouse=True)
def single_threaded_oracles():
    """scikit-learn/scipy (the oracles) run on one OpenMP/BLAS thread during the tests.

    On small test data their thread pools cost more than they save, and on a busy 2-core CI
    machine OpenMP's spinning made one KMeans fit ~18x slower (73 ms vs 4 ms). segcore's own
    threads (rayon) are not affected: the thread-count determinism tests still run.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def client():
    """A real dask.distributed cluster of 2 worker processes x 1 thread x 2 GB, one per test module
    that asks for it (the Dask tests skip with a reason before, when Dask is absent)."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        memory_limit="2GB",
    )
    with Client(cluster) as c:
        yield c
    cluster.close()
