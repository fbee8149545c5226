"""StandardScaler against scikit-learn's, and the segment profile."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler as SkStandardScaler

import segcore


def test_standard_scaler_matches_sklearn(wholesale_spending):
    x = wholesale_spending * np.array([1.0, 10.0, 100.0, 1e3, 1e4, 1e5]) + 7.0
    ours = segcore.StandardScaler().fit(x)
    ref = SkStandardScaler().fit(x)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.scale_, ref.scale_, rtol=1e-12)
    np.testing.assert_allclose(ours.transform(x), ref.transform(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(x)), x, rtol=1e-12)


def test_constant_column_is_centred_like_sklearn():
    x = np.array([[1.0, 3.0], [2.0, 3.0], [4.0, 3.0]])
    ours = segcore.StandardScaler().fit(x)
    ref = SkStandardScaler().fit(x)
    np.testing.assert_allclose(ours.transform(x), ref.transform(x))
    assert ours.scale_[1] == 1.0


def test_profile_sizes_shares_and_means():
    x = np.array([[1.0, 10.0], [3.0, np.nan], [10.0, 30.0], [30.0, 50.0]])
    profile = segcore.profile_segments(x, [0, 0, 1, 1], feature_names=["orders", "revenue"])
    frame = profile.to_frame()
    assert list(frame["size"]) == [2, 2]
    assert frame.loc[0, "revenue"] == 10.0  # NaN is missing, not zero
    assert frame.loc[1, "orders"] == 20.0
    np.testing.assert_allclose(profile.overall_mean, [11.0, 30.0])
    assert "revenue" in str(profile)


def test_profile_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="labels"):
        segcore.profile_segments(np.ones((3, 1)), [0, 1])


def test_standard_scaler_sample_weight_matches_sklearn(wholesale_spending):
    x = wholesale_spending * np.array([1.0, 10.0, 100.0, 1e3, 1e4, 1e5]) + 7.0
    w = (np.arange(len(x)) * 7 % 5).astype(np.float64) * 0.75
    ours = segcore.StandardScaler().fit(x, sample_weight=w)
    ref = SkStandardScaler().fit(x, sample_weight=w)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.var_, ref.var_, rtol=1e-9)
    np.testing.assert_allclose(ours.scale_, ref.scale_, rtol=1e-9)
    np.testing.assert_allclose(ours.transform(x), ref.transform(x), rtol=1e-9, atol=1e-12)
