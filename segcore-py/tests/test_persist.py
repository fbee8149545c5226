"""Fitted models pickle through segcore model documents: versioned, validated, never code."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest

import segcore
from segcore.exceptions import ModelFormatError


def fitted_models(x: np.ndarray) -> dict:
    return {
        "kmeans-f64": segcore.KMeans(n_clusters=3, random_state=0).fit(x),
        "kmeans-f32": segcore.KMeans(n_clusters=3, random_state=0).fit(x.astype(np.float32)),
        "ward": segcore.Ward(n_clusters=3).fit(x),
        "standard-scaler-f64": segcore.StandardScaler().fit(x),
    }


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(c, 0.3, size=(40, 3)) for c in (0.0, 3.0, 6.0)])


def test_documents_are_versioned_envelopes(x: np.ndarray) -> None:
    for kind, estimator in fitted_models(x).items():
        document = json.loads(estimator._model.to_json())
        assert document["format"] == "segcore-model"
        assert document["format_version"] == 1
        assert document["segcore_version"] == segcore.__version__
        assert document["kind"] == kind
        assert set(document) == {"format", "format_version", "segcore_version", "kind", "model"}


def test_pickle_roundtrip_is_exact(x: np.ndarray) -> None:
    models = fitted_models(x)
    for kind in ("kmeans-f64", "kmeans-f32", "ward"):
        restored = pickle.loads(pickle.dumps(models[kind]))
        np.testing.assert_array_equal(restored.predict(x), models[kind].predict(x))
        assert restored._model.to_json() == models[kind]._model.to_json()
    scaler = pickle.loads(pickle.dumps(models["standard-scaler-f64"]))
    np.testing.assert_array_equal(scaler.transform(x), models["standard-scaler-f64"].transform(x))


def test_tampered_documents_are_refused(x: np.ndarray) -> None:
    ward = fitted_models(x)["ward"]
    document = ward._model.to_json()
    model_class = type(ward._model)
    cases = {
        "not a segcore model document": document[: len(document) // 2],
        "upgrade segcore": document.replace('"format_version":1', '"format_version":2'),
        "unknown field": document.replace("{", '{"__reduce__":"os.system",', 1),
        'not "ward"': document.replace('"kind":"ward"', '"kind":"kmeans-f64"'),
    }
    for message, bad in cases.items():
        with pytest.raises(ModelFormatError, match=message):
            model_class.from_json(bad)
    # A k-means document does not load as Ward, and the error is also a ValueError.
    kmeans_document = fitted_models(x)["kmeans-f64"]._model.to_json()
    with pytest.raises(ValueError, match="holds a \"kmeans-f64\" model"):
        model_class.from_json(kmeans_document)


HUGE_DOCUMENT_SCRIPT = """
import resource, sys
import numpy as np
import segcore
from segcore.exceptions import SegcoreError

rng = np.random.default_rng(0)
ward = segcore.Ward(n_clusters=2).fit(rng.normal(size=(50, 2)))
document = ward._model.to_json()
head, tail = document.split('"labels":{', 1)
n = 150_000_000
huge = (head + '"labels":{"v":1,"dim":[%d],"data":[' % n + "0," * (n - 1) + "0]"
        + tail[tail.index("}"):])
del head, tail
# The address space the process holds now plus 1.5 GiB (at most 4 GiB in all): room for the
# worker threads, not for the 1.2 GB of labels and their Vec's doubling growth.
held = next(int(line.split()[1]) << 10 for line in open("/proc/self/status") if line.startswith("VmSize:"))
limit = min(held + (3 << 29), 4 << 30)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
print("loading", len(huge), "under", limit >> 20, "MiB", flush=True)
try:
    type(ward._model).from_json(huge)
except SegcoreError as err:
    print("refused:", type(err).__name__, str(err)[:300], flush=True)
    raise SystemExit(0)
print("loaded", flush=True)
raise SystemExit(1)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS limits the address space on Linux")
def test_a_huge_document_under_a_memory_limit_is_an_error_not_an_abort() -> None:
    # 150 million labels: 300 MB of JSON that would take 1.2-2.4 GB parsed. Under an
    # address-space limit 1.5 GiB above what the process holds, parsing would abort the process on
    # allocation failure; the load must instead refuse it, before parsing, with a segcore error.
    proc = subprocess.run(
        [sys.executable, "-c", HUGE_DOCUMENT_SCRIPT], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr[-2000:])
    assert "refused: ModelFormatError" in proc.stdout, proc.stdout
    assert "more than can be allocated" in proc.stdout, proc.stdout
