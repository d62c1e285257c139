"""The routing core: one tier of the day (collection or transfer) solved with OR-Tools.

OR-Tools objects never leave this package; callers speak :mod:`wasteopt.model`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from wasteopt.errors import InfeasibleError
from wasteopt.model import Route, SolveStats, TravelMatrices
from wasteopt.routing.decode import decode_route
from wasteopt.routing.multistart import solve_multistart
from wasteopt.routing.problem import Job, TierProblem, kg_down
from wasteopt.routing.search import RawRoute, SearchOptions, SearchStats

log = logging.getLogger(__name__)

__all__ = [
    "Job",
    "SearchOptions",
    "SearchStats",
    "TierProblem",
    "TierSolution",
    "kg_down",
    "solve_tier",
]


@dataclass(frozen=True)
class TierSolution:
    """Routes of one tier, the jobs left undone, and how the search went."""

    routes: list[Route]
    dropped: list[Job]
    stats: SolveStats
    search: SearchStats = field(default_factory=SearchStats)
    out_of_range: frozenset[str] = frozenset()  # dropped jobs cut for a battery truck's range


def solve_tier(
    problem: TierProblem,
    matrices: TravelMatrices,
    options: SearchOptions = SearchOptions(),
    on_progress: Callable[[float, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TierSolution:
    """Solve one tier; raises InfeasibleError when the search finds no solution at all."""
    stats_base = {"time_limit_s": options.time_limit_s, "seed": options.seed}
    if not problem.jobs:
        return TierSolution([], [], SolveStats(first_feasible_s=0.0, **stats_base))
    if not problem.vehicles:
        return TierSolution([], list(problem.jobs), SolveStats(**stats_base))
    index = matrices.index()
    raw = solve_multistart(
        problem,
        matrices.distance_m,
        matrices.duration_s,
        index,
        options,
        on_progress,
        should_stop,
    )
    if raw is None:
        raise InfeasibleError(
            f"the {problem.tier} tier found no solution within {options.time_limit_s:g} s;"
            " give it more time or check shifts, windows and gate hours"
        )
    finished, unfinished = _trim_unfinished_trips(raw.routes)
    routes = [
        decode_route(problem, route, matrices, index)
        for route in finished
        if any(v.kind == "job" for v in route.visits)
    ]
    stats = SolveStats(
        seconds=round(raw.seconds, 3),
        first_feasible_s=raw.first_feasible_s,
        objective=raw.objective / 1000.0,
        history=raw.history,
        iterations=raw.stats.compiled_iterations + raw.stats.iterations,
        starts_rejected=raw.stats.starts_rejected,
        stopped_early=raw.stats.stopped_early,
        time_limited=raw.stats.time_limited,
        **stats_base,
    )
    jobs = {job.id: job for job in problem.jobs}
    dropped = [*raw.dropped, *(jobs[ref] for ref in unfinished)]
    return TierSolution(routes, dropped, stats, raw.stats, raw.out_of_range)


def _trim_unfinished_trips(routes: list[RawRoute]) -> tuple[list[RawRoute], list[str]]:
    """Cut the jobs after a route's last unload (the search priced "ends empty" softly).

    The vehicle then drives from its last unload straight home, which is never longer than
    the detour it replaces, so every time stays feasible. Returns the routes and the job ids
    cut, which are reported unserved.
    """
    trimmed, cut = [], []
    for route in routes:
        unloads = [k for k, v in enumerate(route.visits) if v.kind == "unload"]
        keep = unloads[-1] + 1 if unloads else 0
        if any(v.kind == "job" for v in route.visits[keep:]):  # (a charge on the way home stays)
            log.warning(
                "route of vehicle %d ended loaded; its last trip is dropped", route.vehicle_index
            )
            cut += [v.ref for v in route.visits[keep:] if v.kind == "job"]
            route = replace(route, visits=route.visits[:keep])
        trimmed.append(route)
    return trimmed, cut
