"""Ctrl-C during a search: the first one asks the search to stop with its best plan so far,
a second one aborts."""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import TextIO

ABORTED_EXIT_CODE = 130  # 128 + SIGINT, as a shell reports a process ended by Ctrl-C


class StopOnInterrupt:
    """While active, the first SIGINT sets :attr:`requested` (and says so on ``stream``); a
    second one ends the process at once with exit code 130. Nothing has been written then:
    the context covers the search only. (A KeyboardInterrupt raised inside a solver's
    callback can be swallowed by the native code that called it.)"""

    def __init__(self, stream: TextIO = sys.stderr):
        self.stream = stream
        self._requested = threading.Event()
        self._previous: object = None

    def __enter__(self) -> StopOnInterrupt:
        self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        self._requested.set()
        signal.signal(signal.SIGINT, self._abort)
        self.stream.write(
            "\nwasteopt: stopping with the best plan so far (Ctrl-C again to abort)\n"
        )
        self.stream.flush()

    def _abort(self, signum: int, frame: FrameType | None) -> None:
        self.stream.write("\nwasteopt: interrupted\n")
        self.stream.flush()
        os._exit(ABORTED_EXIT_CODE)

    def requested(self) -> bool:
        return self._requested.is_set()
