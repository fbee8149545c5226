"""segcore: B2B customer segmentation with a fast Rust core.

Features from firmographics and transactions, k-means / Ward / Gaussian mixtures, PCA and
segment profiles. Estimators follow scikit-learn's interface (``fit``, ``predict``,
``cluster_centers_``, ``labels_``...), so existing code and habits carry over.
"""

from __future__ import annotations

from . import datasets, exceptions, metrics, plot
from ._segcore import __version__
from ._categorical import CA, MCA, KPrototypes, LatentClass, latent_class_table
from .clv import BetaGeo, GammaGamma, ParetoNBD, clv_summary
from .cluster import KMeans, MiniBatchKMeans, Ward, align_labels, ward_linkage
from .decomposition import PCA
from .exceptions import SegcoreError
from .mixture import GaussianMixture, MixtureSelection, select_mixture
from .labels import feature_label, feature_unit
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
from .pipeline import FeaturePipeline
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
from .select import SelectKResult, select_k
from .segmenter import Segmenter, SegmenterSpec

__all__ = [
    "__version__",
    "KMeans",
    "Ward",
    "ward_linkage",
    "MiniBatchKMeans",
    "align_labels",
    "GaussianMixture",
    "MixtureSelection",
    "select_mixture",
    "StandardScaler",
    "SegmentProfile",
    "profile_segments",
    "profile",
    "Profile",
    "explain",
    "feature_label",
    "feature_unit",
    "Explanation",
    "migration",
    "Migration",
    "segment_rules",
    "pseudonymise",
    "behaviour_features",
    "segmentation_features",
    "FeaturePipeline",
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
    "PCA",
    "metrics",
    "select_k",
    "SelectKResult",
    "Segmenter",
    "SegmenterSpec",
    "KPrototypes",
    "LatentClass",
    "latent_class_table",
    "CA",
    "MCA",
    "clv_summary",
    "BetaGeo",
    "ParetoNBD",
    "GammaGamma",
]
