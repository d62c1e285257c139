"""The peer solver: PyVRP on the same :class:`~benchmarks.convert.Problem` as wasteopt.

PyVRP (Wouters et al. 2024, "PyVRP: a high-performance VRP solver package", INFORMS Journal on
Computing) gets the very integer matrices, windows and fleet wasteopt gets; its best solution
is rebuilt as a wasteopt plan (:func:`benchmarks.routes.plan_from_routes`) so the same checker
judges both. wasteopt's compiled search uses the same library on its own conversion of a tier
(:mod:`wasteopt.routing.compiled`); the peer is PyVRP as its users run it on the benchmark.

PyVRP runs with its default parameters except one: its penalty ceiling
(``PenaltyParams.max_penalty``, default 1e5) is multiplied by ``Problem.scale``, the factor by
which the set's convention scales distances (1 cvrp, 10 mtvrptw, 1000 hfvrp and mdvrptw).
Without it PyVRP found no feasible solution of any hfvrp instance in 3 s (measured here),
and PyVRP's own warning recommends raising the ceiling in that case.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyvrp
from pyvrp.stop import MaxRuntime

from benchmarks.convert import Converted, Problem
from benchmarks.routes import plan_from_routes
from wasteopt.model import Plan

DEFAULT_MAX_PENALTY = 100_000.0


@dataclass(frozen=True)
class PeerResult:
    """PyVRP's best plan, whether PyVRP itself deems it feasible, and its timings."""

    plan: Plan
    feasible: bool
    pyvrp_cost: int
    first_feasible_s: float | None
    seconds: float


def problem_data(problem: Problem) -> pyvrp.ProblemData:
    """``problem`` as PyVRP data: depots first, then clients, as in the VRPLIB file."""
    windows = problem.windows_s
    locations = [pyvrp.Location(float(x), float(y)) for x, y in problem.coords]
    depots = [
        pyvrp.Depot(d, tw_early=int(windows[d][0]), tw_late=int(windows[d][1]))
        for d in problem.depots
    ]
    clients = [
        pyvrp.Client(
            c,
            delivery=[int(problem.demand[c])],
            service_duration=int(problem.service_s[c]),
            tw_early=int(windows[c][0]),
            tw_late=int(windows[c][1]),
        )
        for c in problem.clients
    ]
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=g.count,
            capacity=[g.capacity],
            start_depot=problem.depots.index(g.depot),
            end_depot=problem.depots.index(g.depot),
            fixed_cost=g.fixed_cost,
            tw_early=int(windows[g.depot][0]),
            tw_late=int(windows[g.depot][1]),
            unit_distance_cost=g.unit_cost,
            reload_depots=[problem.depots.index(g.depot)] if problem.multi_trip else [],
        )
        for g in problem.groups
    ]
    return pyvrp.ProblemData(
        locations,
        clients,
        depots,
        vehicle_types,
        [problem.distance],
        [problem.duration_s],
    )


def _routes(problem: Problem, solution: pyvrp.Solution) -> list[tuple[int, list[list[int]]]]:
    first_client = len(problem.depots)
    routes = []
    for route in solution.routes():
        trips: list[list[int]] = [[]]
        for activity in list(route)[1:-1]:
            if activity.is_depot():
                trips.append([])
            else:
                trips[-1].append(first_client + activity.idx)
        routes.append((route.vehicle_type(), [t for t in trips if t]))
    return routes


def _first_feasible_s(result: pyvrp.Result) -> float | None:
    elapsed = 0.0
    for runtime, datum in zip(result.stats.runtimes, result.stats.data, strict=False):
        elapsed += runtime
        if datum.best_feas:
            return elapsed
    return None


def solve(conv: Converted, time_limit_s: float, seed: int = 0) -> PeerResult:
    """Run PyVRP's iterated local search for ``time_limit_s`` seconds on ``conv.problem``.

    ``first_feasible_s`` counts from the call: set-up (data, initial solution) plus the search
    iterations until the best solution was first feasible.
    """
    started = time.perf_counter()
    data = problem_data(conv.problem)
    penalty = pyvrp.PenaltyParams(max_penalty=DEFAULT_MAX_PENALTY * conv.problem.scale)
    result = pyvrp.solve(
        data,
        MaxRuntime(time_limit_s),
        seed=seed,
        display=False,
        params=pyvrp.SolveParams(penalty=penalty),
    )
    seconds = time.perf_counter() - started
    search_s = _first_feasible_s(result)
    setup_s = max(0.0, seconds - result.runtime)
    plan = plan_from_routes(conv, _routes(conv.problem, result.best), solver="pyvrp")
    return PeerResult(
        plan=plan,
        feasible=bool(result.is_feasible()),
        pyvrp_cost=int(result.cost()) if result.is_feasible() else -1,
        first_feasible_s=None if search_s is None else setup_s + search_s,
        seconds=seconds,
    )
