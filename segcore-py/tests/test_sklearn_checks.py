"""scikit-learn's own estimator checks, run on every segcore estimator with its default input.

The only checks expected to fail are the ones scikit-learn itself expects its KMeans,
MiniBatchKMeans and GaussianMixture to fail (integer sample weights are not the same as repeated
rows for a randomly initialised fit: the weighted k-means++ draw differs), and Ward's, which
refuses zero weights instead of dropping those rows (every customer keeps a segment)."""

from __future__ import annotations

import warnings

import pytest

sklearn_checks = pytest.importorskip("sklearn.utils.estimator_checks")
import segcore  # noqa: E402

WEIGHTS_ARE_NOT_REPEATS = (
    "sample_weight is not equivalent to removing/repeating samples for a randomly initialised "
    "fit (scikit-learn expects the same failure of its own estimator)"
)

ESTIMATORS = [
    segcore.KMeans(n_clusters=3, random_state=0),
    segcore.MiniBatchKMeans(n_clusters=3, random_state=0),
    segcore.GaussianMixture(n_components=2, random_state=0),
    segcore.PCA(n_components=2),
    segcore.Ward(n_clusters=3),
    segcore.StandardScaler(),
    # Default constructor: no column specs, so every column of a plain array is numeric.
    segcore.FeaturePipeline(),
]


def expected_failures(estimator):
    name = type(estimator).__name__
    if name in ("KMeans", "MiniBatchKMeans", "GaussianMixture"):
        return {"check_sample_weight_equivalence_on_dense_data": WEIGHTS_ARE_NOT_REPEATS}
    if name == "Ward":
        return {
            "check_sample_weight_equivalence_on_dense_data": (
                "a zero weight is refused with a clear error: a zero-weight row has no size in "
                "Ward's criterion, and dropping it would leave a customer without a segment"
            )
        }
    return {}


@sklearn_checks.parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)
