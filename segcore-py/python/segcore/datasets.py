"""Synthetic B2B customer bases (filled when the generator lands)."""
