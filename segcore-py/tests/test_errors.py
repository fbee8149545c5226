"""Bad input gives a clear, typed error in Python, with the core's message; never a panic."""

from __future__ import annotations

import numpy as np
import pytest

import segcore
from segcore.exceptions import (
    DataError,
    InvalidParameterError,
    NotFittedError,
    SegcoreError,
)

X = np.array([[0.0, 1.0], [1.0, 0.0], [5.0, 5.0], [6.0, 5.0]])


def test_exception_hierarchy_is_catchable_the_usual_way():
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, SegcoreError)
    assert issubclass(DataError, ValueError)
    assert issubclass(NotFittedError, AttributeError)


@pytest.mark.parametrize("k", [0, -1])
def test_bad_n_clusters(k):
    with pytest.raises(InvalidParameterError, match="n_clusters"):
        segcore.KMeans(n_clusters=k, random_state=0).fit(X)


def test_more_clusters_than_samples():
    with pytest.raises(ValueError, match="n_clusters = 5"):
        segcore.KMeans(n_clusters=5, random_state=0).fit(X)


def test_non_finite_values_name_row_and_column():
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(DataError, match="row 2, column 1"):
        segcore.KMeans(n_clusters=2, random_state=0).fit(bad)
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"non-finite value \(inf\) at row 2, column 1"):
        segcore.KMeans(n_clusters=2, random_state=0).fit(bad)


def test_empty_input():
    with pytest.raises(DataError, match=r"0 sample\(s\)"):
        segcore.KMeans(n_clusters=2).fit(np.empty((0, 3)))


def test_wrong_number_of_features_at_predict():
    km = segcore.KMeans(n_clusters=2, random_state=0).fit(X)
    with pytest.raises(DataError, match="expected 2, got 3"):
        km.predict(np.zeros((1, 3)))


def test_one_dimensional_input():
    with pytest.raises(ValueError, match="Expected 2D array"):
        segcore.KMeans(n_clusters=2).fit(np.arange(4.0))


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError):
        segcore.KMeans(n_clusters=2).fit(np.array([["a", "b"], ["c", "d"]]))


@pytest.mark.parametrize(
    "weights, pattern",
    [
        ([1.0, -1.0, 1.0, 1.0], "row 1"),
        ([1.0, np.nan, 1.0, 1.0], "row 1"),
        ([0.0, 0.0, 0.0, 0.0], "all weights are zero"),
        ([1.0, 1.0], "sample_weight"),
    ],
)
def test_bad_sample_weight(weights, pattern):
    with pytest.raises(DataError, match=pattern):
        segcore.KMeans(n_clusters=2, random_state=0).fit(X, sample_weight=np.array(weights))


def test_bad_parameters_are_checked_at_fit():
    with pytest.raises(InvalidParameterError, match="tol"):
        segcore.KMeans(n_clusters=2, tol=-1.0).fit(X)
    with pytest.raises(InvalidParameterError, match="algorithm"):
        segcore.KMeans(n_clusters=2, algorithm="magic").fit(X)
    with pytest.raises(InvalidParameterError, match="n_clusters"):
        segcore.KMeans(n_clusters=2.5).fit(X)  # type: ignore[arg-type]


def test_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted"):
        segcore.KMeans().predict(X)


def test_model_document_errors_are_typed():
    with pytest.raises(segcore.exceptions.ModelFormatError):
        segcore._segcore.KMeansModel.from_json('{"Float64": {"truncated": ')


def test_messages_name_the_value_given_not_a_truncated_or_debug_form() -> None:
    """Messages a user reads quote their own input: no Rust debug text (``Fixed(3)``,
    ``Auto { min: 4, max: 8 }``) and no value narrowed by a cast (``n_scores=1000`` is not 255)."""
    x = np.arange(10.0)
    with pytest.raises(segcore.SegcoreError, match="1000") as caught:
        segcore.rfm_scores(x, x, x, n_scores=1000)
    assert "255" not in str(caught.value)
    customers, transactions, _ = segcore.datasets.make_b2b(300, random_state=0)
    for bad in [(9, 3), 1000, "x", 0]:
        with pytest.raises(segcore.SegcoreError) as caught:
            segcore.Segmenter(n_clusters=bad).fit(customers, transactions)
        message = str(caught.value)
        assert not any(debug in message for debug in ("Fixed(", "Auto {", "Some(", "None)")), message


def test_every_unfitted_estimator_raises_not_fitted() -> None:
    x = np.zeros((4, 2))
    for estimator in [segcore.GaussianMixture(2), segcore.KMeans(2), segcore.PCA(1), segcore.Ward(2),
                      segcore.StandardScaler(), segcore.MiniBatchKMeans(2)]:
        method = getattr(estimator, "predict", None) or estimator.transform
        with pytest.raises(NotFittedError):
            method(x)
