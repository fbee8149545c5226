"""Former home of the input conversions and parameter readers, kept as re-exports for modules
written against it: conversions live in :mod:`segcore._frames`, scikit-learn's parameter
conventions in :mod:`segcore._base`."""

from __future__ import annotations

from ._base import check_is_fitted, float_param, int_param, seed_from
from ._frames import as_float_matrix, as_sample_weight, check_feature_names, feature_names_of

__all__ = [
    "as_float_matrix",
    "as_sample_weight",
    "check_feature_names",
    "check_is_fitted",
    "feature_names_of",
    "float_param",
    "int_param",
    "seed_from",
]
