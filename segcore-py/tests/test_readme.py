"""The Python examples in README.md run as written (a fresh user copies them first)."""

from __future__ import annotations

import re

from conftest import REPO_ROOT


def test_readme_python_blocks_run() -> None:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README.md has no ```python example"
    for i, block in enumerate(blocks):
        exec(compile(block, f"README.md python block {i + 1}", "exec"), {"__name__": "readme"})
