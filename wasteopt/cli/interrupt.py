"""Ctrl-C during a search: the first one asks the search to stop with its best plan so far,
a second one aborts."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import TextIO


class StopOnInterrupt:
    """While active, the first SIGINT sets :attr:`requested` (and says so on ``stream``); the
    handler then steps aside, so that a second SIGINT raises KeyboardInterrupt as usual."""

    def __init__(self, stream: TextIO = sys.stderr):
        self.stream = stream
        self._requested = threading.Event()
        self._previous: object = None

    def __enter__(self) -> StopOnInterrupt:
        self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
        return self

    def __exit__(self, *exc: object) -> None:
        if signal.getsignal(signal.SIGINT) == self._on_interrupt:
            signal.signal(signal.SIGINT, self._previous)

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        self._requested.set()
        signal.signal(signal.SIGINT, self._previous)
        self.stream.write(
            "\nwasteopt: stopping with the best plan so far (Ctrl-C again to abort)\n"
        )
        self.stream.flush()

    def requested(self) -> bool:
        return self._requested.is_set()
