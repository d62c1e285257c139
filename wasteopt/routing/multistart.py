"""Parallel multi-start: the same tier solved by a portfolio of searches on several cores.

Worker 0 runs in this process with the options as given (it reports progress and honours
``should_stop``); worker k runs in a forked process with seed ``seed + k`` (another node order,
construction and ruin sequence) until the same wall-clock deadline. The cheapest solution wins.
Every worker runs the same search: on the CVRP set two seeds of ruin and recreate beat one seed
beside guided local search, which no set needs any more (benchmarks/HISTORY.md).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from dataclasses import replace

import numpy as np

from wasteopt.routing.driver import solve_model
from wasteopt.routing.problem import TierProblem
from wasteopt.routing.search import ProgressCallback, RawSolution, SearchOptions, StopCallback

log = logging.getLogger(__name__)
SPAWN_GRACE_S = 30.0


def _worker(
    problem: TierProblem,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    options: SearchOptions,
    deadline: float,
) -> RawSolution | None:
    remaining = deadline - time.time()
    if remaining < 0.5:
        return None
    options = replace(options, time_limit_s=remaining, workers=1)
    return solve_model(problem, distance_m, duration_s, site_index, options)


def solve_multistart(
    problem: TierProblem,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    options: SearchOptions,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
) -> RawSolution | None:
    """Best of ``options.workers`` searches: seeds ``seed``, ``seed + 1``, ..., see above."""
    if options.workers <= 1:
        return solve_model(
            problem, distance_m, duration_s, site_index, options, on_progress, should_stop
        )
    deadline = time.time() + options.time_limit_s
    # fork: no re-import of the caller's main module and no start-up cost; OR-Tools has not
    # started any thread yet at this point
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = context.Pool(options.workers - 1)
    try:
        pending = [
            pool.apply_async(
                _worker,
                (
                    problem,
                    distance_m,
                    duration_s,
                    site_index,
                    replace(options, seed=options.seed + k),
                    deadline,
                ),
            )
            for k in range(1, options.workers)
        ]
        results = [
            solve_model(
                problem,
                distance_m,
                duration_s,
                site_index,
                replace(options, workers=1),
                on_progress,
                should_stop,
            )
        ]
        if should_stop is None or not should_stop():
            for job in pending:
                try:
                    results.append(job.get(max(0.0, deadline - time.time()) + SPAWN_GRACE_S))
                except Exception as exc:  # a worker's failure must not lose our own result
                    log.warning("multi-start worker failed: %s", exc)
    finally:
        pool.terminate()
    found = [r for r in results if r is not None]
    if not found:
        return None
    best = min(found, key=lambda r: r.objective)
    log.info("multi-start: objectives %s", [r.objective for r in found])
    return best
