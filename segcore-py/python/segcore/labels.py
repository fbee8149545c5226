"""Feature labels and units: what a person reads instead of a column name.

Every built-in feature (behaviour, value, channel shares, tenure of a date column) has a label
and a unit in English and German, computed by the core (``segcore::profile::labels``); any other
column name is made readable (``annual_revenue_eur`` -> ``"annual revenue eur"``). Segment names
and descriptions use the same labels, and ``Segmenter(labels={...})`` sets your own.
"""

from __future__ import annotations

from typing import Optional

from . import _segcore

__all__ = ["feature_label", "feature_unit"]


def feature_label(name: str, language: str = "en") -> str:
    """The label of feature ``name`` in ``language`` (``"en"`` or ``"de"``).

    >>> import segcore
    >>> segcore.feature_label("interpurchase_std_days")
    'days between orders (spread)'
    >>> segcore.feature_label("monetary", language="de")
    'Nettoumsatz'
    """
    return _segcore.feature_label(str(name), str(language))[0]


def feature_unit(name: str, language: str = "en", currency: str = "EUR") -> Optional[str]:
    """The unit of feature ``name`` in words (``"days"``, ``"%"``, the ``currency`` for money), or
    None when it has none (a column segcore does not know).

    >>> import segcore
    >>> segcore.feature_unit("recency_days", language="de")
    'Tage'
    >>> segcore.feature_unit("monetary", currency="GBP")
    'GBP'
    """
    return _segcore.feature_label(str(name), str(language), str(currency))[1]
