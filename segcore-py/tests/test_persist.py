"""Fitted models pickle through segcore model documents: versioned, validated, never code."""

from __future__ import annotations

import json
import pickle

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
