"""segcore: B2B customer segmentation with a fast Rust core.

Features from firmographics and transactions, k-means / Ward / Gaussian mixtures, PCA and
segment profiles. Estimators follow scikit-learn's interface (``fit``, ``predict``,
``cluster_centers_``, ``labels_``...), so existing code and habits carry over.
"""

from __future__ import annotations

from . import datasets, exceptions, plot
from ._segcore import __version__
from .cluster import KMeans, Ward, ward_linkage
from .exceptions import SegcoreError
from .features import behaviour_features, segmentation_features
from .preprocessing import StandardScaler
from .explain import Explanation, explain
from .profile import (
    Migration,
    Profile,
    SegmentProfile,
    migration,
    profile,
    profile_segments,
    pseudonymise,
    segment_rules,
)

__all__ = [
    "__version__",
    "KMeans",
    "Ward",
    "ward_linkage",
    "StandardScaler",
    "SegmentProfile",
    "profile_segments",
    "profile",
    "Profile",
    "explain",
    "Explanation",
    "migration",
    "Migration",
    "segment_rules",
    "pseudonymise",
    "behaviour_features",
    "segmentation_features",
    "SegcoreError",
    "datasets",
    "exceptions",
    "plot",
]
