"""Former home of the DataFrame column conversions, kept as re-exports for modules written
against it: they live in :mod:`segcore._frames`."""

from __future__ import annotations

from ._frames import as_labels, shared_labels, table_columns

__all__ = ["as_labels", "shared_labels", "table_columns"]
