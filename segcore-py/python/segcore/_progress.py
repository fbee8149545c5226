"""Progress reporting for long core runs: a tqdm bar when tqdm is installed, else one stderr line.

``progress=None`` (the default of the estimators that take it) means automatic: shown only in an
interactive session (a terminal or Jupyter) and only for work large enough to take a while, so
scripts, CI logs and tests stay quiet. ``True`` forces it on, ``False`` off, and a callable
``progress(done, total)`` receives the raw counts.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional

from ._typing import Progress


def _interactive() -> bool:
    if "ipykernel" in sys.modules:
        return True
    stream = getattr(sys, "stderr", None)
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


class _Bar:
    """``callback(done, total)`` drawing a bar; ``close()`` ends the line."""

    def __init__(self, description: str) -> None:
        self.description = description
        self._tqdm: Any = None
        self._last_percent = -1
        self._stage: Optional[str] = None
        self._started: Optional[float] = None
        try:
            from tqdm.auto import tqdm

            self._tqdm_class = tqdm
        except ImportError:
            self._tqdm_class = None

    def __call__(self, done: int, total: int, stage: Optional[str] = None) -> None:
        if self._started is None:
            self._started = time.perf_counter()
        if self._tqdm_class is not None:
            if self._tqdm is None:
                self._tqdm = self._tqdm_class(total=total, desc=self.description, leave=False)
            if stage is not None and stage != self._stage:
                self._stage = stage
                self._tqdm.set_postfix_str(stage, refresh=False)
            self._tqdm.update(done - self._tqdm.n)
            return
        percent = 100 * done // max(total, 1)
        if percent != self._last_percent or (stage is not None and stage != self._stage):
            self._last_percent = percent
            self._stage = stage
            elapsed = time.perf_counter() - self._started
            left = f", ~{elapsed * (total - done) / done:.0f}s left" if 0 < done < total else ""
            where = f" {stage}" if stage else ""
            sys.stderr.write(f"\r{self.description}: {percent:3d}% ({done}/{total}{left}){where}    ")
            sys.stderr.flush()

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
        elif self._last_percent >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()


def progress_callback(
    progress: Progress, description: str, work: int, threshold: int = 20_000, stages: bool = False
) -> tuple[Optional[Callable[..., object]], Callable[[], None]]:
    """``(callback or None, close)`` for the estimator's ``progress`` parameter.

    ``work`` is the size of the job (e.g. rows); automatic mode shows a bar only from
    ``threshold`` on. ``stages``: the core reports ``(stage, fraction done)`` (each phase
    weighted by its expected cost, so the bar's rate estimates the time left) instead of counts.
    """
    if callable(progress) and not isinstance(progress, bool):
        return progress, lambda: None
    if progress is None:
        progress = _interactive() and work >= threshold
    if not progress:
        return None, lambda: None
    bar = _Bar(description)
    if stages:
        return lambda stage, fraction: bar(int(round(min(max(fraction, 0.0), 1.0) * 1000)), 1000, stage), bar.close
    return bar, bar.close
