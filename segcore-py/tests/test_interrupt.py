"""Ctrl-C reaches long fits: the core checks a cancellation flag at every loop boundary, the
binding raises it when Python sees SIGINT, and the estimator stays unfitted."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")

SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import segcore

    rng = np.random.default_rng(0)
    case = sys.argv[1]
    model, fitted_attribute = None, "labels_"
    if case == "kmeans_n_init":
        x = rng.normal(size=(20_000, 4))
        model = segcore.KMeans(n_clusters=8, n_init=10**9, random_state=0)
        run = lambda: model.fit(x)
    elif case == "ward":
        x = rng.normal(size=(60_000, 4))
        model = segcore.Ward(n_clusters=4, micro_clusters=None)
        run = lambda: model.fit(x)
    elif case == "segmenter":
        customers, transactions, _ = segcore.datasets.make_b2b(60_000, random_state=0)
        model = segcore.Segmenter(progress=False)
        run = lambda: model.fit(customers, transactions)
    elif case == "pca_power_iterations":
        x = rng.normal(size=(2_000, 60))
        model = segcore.PCA(n_components=2, svd_solver="randomized", iterated_power=10**8)
        run, fitted_attribute = (lambda: model.fit(x)), "components_"
    elif case == "pareto_nbd":
        n = 3_000_000
        T = rng.uniform(10.0, 60.0, n)
        frequency = rng.poisson(2.0, n).astype(float)
        recency = np.where(frequency > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
        model = segcore.clv.ParetoNBD()
        run, fitted_attribute = (lambda: model.fit(frequency, recency, T)), "params_"
    elif case == "silhouette":
        x = rng.normal(size=(120_000, 4))
        labels = rng.integers(0, 4, 120_000)
        run = lambda: segcore.metrics.silhouette_score(x, labels)
    else:
        raise SystemExit(f"unknown case {case}")
    print("fitting", flush=True)
    started = time.perf_counter()
    try:
        run()
    except KeyboardInterrupt:
        fitted = model is not None and hasattr(model, fitted_attribute)
        print(f"interrupted after {time.perf_counter() - started:.1f}s fitted={fitted}", flush=True)
        raise SystemExit(0)
    print("finished without interruption", flush=True)
    raise SystemExit(1)
    """
)


@pytest.mark.parametrize(
    "case", ["kmeans_n_init", "ward", "segmenter", "pca_power_iterations", "pareto_nbd", "silhouette"]
)
def test_ctrl_c_stops_a_long_fit_and_leaves_it_unfitted(case: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, case], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "fitting"
    import time

    time.sleep(1.5)  # well inside the fit (minutes without the interrupt)
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{case}: SIGINT did not stop the fit")
    assert proc.returncode == 0, (out, err)
    assert "interrupted" in out and "fitted=False" in out, (out, err)
