"""The clock a benchmark's time limits are read on.

On a shared machine a wall-clock limit gives each solver whatever share of a core the load
leaves it, so two runs of the same code differ by the load. ``cpu`` reads both solvers' limits
on the process's CPU time instead: each gets the same processor seconds however loaded the
machine is. Both wasteopt's budget and PyVRP's ``MaxRuntime`` read ``time.perf_counter``, so
that is the function replaced. OR-Tools' own limits are kept in C++ on the wall clock and are
not affected (the last tenth of wasteopt's budget).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

CLOCKS = ("wall", "cpu")


@contextmanager
def solver_clock(kind: str) -> Iterator[None]:
    """Within the block, ``time.perf_counter`` reads CPU time when ``kind`` is ``"cpu"``."""
    if kind not in CLOCKS:
        raise ValueError(f"clock is one of {', '.join(CLOCKS)} (got {kind!r})")
    if kind == "wall":
        yield
        return
    wall = time.perf_counter
    time.perf_counter = time.process_time
    try:
        yield
    finally:
        time.perf_counter = wall
