"""The examples in segcore's Python docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import segcore

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(segcore.__path__, prefix="segcore.")
    if not info.name.startswith("segcore._segcore")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
