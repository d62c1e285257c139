"""A live progress line for the terminal: best cost over time, one line per tier."""

from __future__ import annotations

import time
from typing import TextIO

from wasteopt.planning import Progress


class ProgressLine:
    """Rewrites one line on a terminal; elsewhere prints at most one line a second."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.is_tty = stream.isatty()
        self._last_print = 0.0
        self._tier: str | None = None

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.is_tty and self._tier is not None:
            self.stream.write("\n")
            self.stream.flush()

    def update(self, progress: Progress) -> None:
        text = f"[{progress.tier}] {progress.elapsed_s:6.1f} s  best {progress.best_cost:,.2f} CNY"
        now = time.monotonic()
        if self.is_tty:
            prefix = "\n" if self._tier not in (None, progress.tier) else "\r"
            self.stream.write(f"{prefix}{text}\033[K")
            self.stream.flush()
        elif progress.tier != self._tier or now - self._last_print >= 1.0:
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last_print = now
        self._tier = progress.tier
