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
from .features import (
    Concentration,
    abc_classes,
    behaviour_features,
    concentration,
    default_rfm_rules,
    lifecycle_stages,
    rfm,
    rfm_scores,
    segmentation_features,
)
from .preprocessing import StandardScaler
from .profile import SegmentProfile, profile_segments

__all__ = [
    "__version__",
    "KMeans",
    "Ward",
    "ward_linkage",
    "StandardScaler",
    "SegmentProfile",
    "profile_segments",
    "behaviour_features",
    "segmentation_features",
    "rfm",
    "rfm_scores",
    "default_rfm_rules",
    "abc_classes",
    "concentration",
    "Concentration",
    "lifecycle_stages",
    "SegcoreError",
    "datasets",
    "exceptions",
    "plot",
]
