"""The Python examples in README.md run as written (a fresh user copies them first)."""

from __future__ import annotations

import re

from conftest import REPO_ROOT


def test_readme_python_blocks_run(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the examples write files (the report) where they run
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README.md has no ```python example"
    for i, block in enumerate(blocks):
        exec(compile(block, f"README.md python block {i + 1}", "exec"), {"__name__": "readme"})


def test_python_names_in_the_readme_table_exist() -> None:
    """Every Python name the README's capability table lists is importable (a user who reads
    `Segmenter.load` there must find it)."""
    import importlib

    import segcore

    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## What is in it", 1)[1].split("\n## ", 1)[0]
    missing = []
    for row in table.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[2].startswith("`"):
            continue
        for code in re.findall(r"`([^`]+)`", cells[2]):
            for name in re.split(r"/", code):
                name = name.split("(", 1)[0].strip()
                if name.endswith("_") or not re.fullmatch(r"[A-Za-z_][\w.]*", name):
                    continue  # fitted attributes and call examples
                if name.startswith("segcore."):
                    name = name[len("segcore."):]
                stem, _, rest = name.partition(".")
                if rest.startswith("{"):
                    continue
                obj = getattr(segcore, stem, None)
                if obj is None:
                    try:  # optional submodules (segcore.dask, segcore.spark) import on demand
                        obj = importlib.import_module(f"segcore.{stem}")
                    except ImportError:
                        continue  # its engine is not installed here; the engine tests say so
                for part in rest.split(".") if rest and rest != "*" else []:
                    obj = getattr(obj, part, None)
                if obj is None:
                    missing.append(name)
    assert not missing, f"README names Python objects that do not exist: {missing}"
