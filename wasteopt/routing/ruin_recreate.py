"""Ruin-and-recreate iterated local search around OR-Tools' own local search.

Each iteration removes a few strings of close-by jobs from neighbouring routes (the string
removal of Christiaens & Vanden Berghe, "Slack Induction by String Removals for Vehicle Routing
Problems", Transportation Science 54(2), 2020), drops the unload stops left with nothing to
unload and the jobs after a route's last unload, puts the removed jobs back at their cheapest
feasible positions (:mod:`wasteopt.routing.insertion`; where a truck takes a break, or a job
fits nowhere, OR-Tools' search does it instead) and hands the plan to OR-Tools' unchecked local
search (greedy descent on its filters only), which improves it. OR-Tools' CP model then checks
the outcome (the filters see neither "an unload empties the truck" nor daily capacities), and a
simulated-annealing rule whose temperature falls from ``T0`` to ``T1`` (both scaled to the best
plan's cost per job) over the budget decides whether it replaces the current plan; the best
plan is kept.

OR-Tools 9.15 has an iterated local search of its own (``use_iterated_local_search``) but in
this build it stops at the first local optimum (benchmarks/HISTORY.md), hence this loop.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp

from wasteopt.routing.insertion import InsertionModel, recreate
from wasteopt.routing.search import SearchBudget, SearchStats

log = logging.getLogger(__name__)

MAX_STRING = 10  # L_max of the paper: the longest string removed from one route
MEAN_REMOVED = 10  # c-bar of the paper: jobs removed per iteration on average
NEIGHBOURS = 100  # nearest jobs scanned for the routes to ruin
T0_PER_JOB_COST = 0.1  # initial temperature / cost per job (assumption: OR-Tools' automatic
# temperatures use the same scale; not tuned)
T1_PER_JOB_COST = 0.001  # final temperature / mean cost per job


@dataclass(frozen=True)
class RuinRecreateModel:
    """What the loop needs of a closed routing model.

    ``job_indices`` are the solver indices of the jobs, ``unload_indices`` those of the unload
    copies, ``neighbours[k]`` the solver indices of the jobs nearest to ``job_indices[k]``;
    ``insertion``, where given, puts removed jobs back before OR-Tools' descent
    (:mod:`wasteopt.routing.insertion`).
    """

    routing: pywrapcp.RoutingModel
    params: object  # RoutingSearchParameters: greedy descent, no solution limit
    job_indices: list[int]
    unload_indices: frozenset[int]
    neighbours: np.ndarray
    insertion: InsertionModel | None = None


def nearest_jobs(job_indices: list[int], dist: np.ndarray, count: int = NEIGHBOURS) -> np.ndarray:
    """For each job (rows of ``dist``, a job x job matrix), the indices of its nearest jobs."""
    count = min(count, len(job_indices) - 1)
    if count <= 0:
        return np.zeros((len(job_indices), 0), dtype=np.int64)
    symmetric = dist + dist.T
    np.fill_diagonal(symmetric, np.iinfo(np.int64).max)
    order = np.argsort(symmetric, axis=1, kind="stable")[:, :count]
    return np.asarray(job_indices, dtype=np.int64)[order]


def ruin(
    routes: list[list[int]],
    model: RuinRecreateModel,
    rng: random.Random,
) -> list[list[int]]:
    """Remove strings of jobs around a random job; unloads left empty go with them."""
    position = {index: (r, k) for r, route in enumerate(routes) for k, index in enumerate(route)}
    served_rows = [k for k, i in enumerate(model.job_indices) if i in position]
    if not served_rows:
        return routes
    job_count = [sum(1 for i in route if i not in model.unload_indices) for route in routes]
    used = [c for c in job_count if c]
    max_string = min(MAX_STRING, sum(used) / len(used))
    max_routes = 4 * MEAN_REMOVED / (1 + max_string) - 1
    routes_to_ruin = int(rng.uniform(1, max(1.0, max_routes) + 1))
    seed_row = rng.choice(served_rows)
    seed = model.job_indices[seed_row]
    removed: set[int] = set()
    ruined: set[int] = set()
    for index in (seed, *model.neighbours[seed_row].tolist()):
        if len(ruined) >= routes_to_ruin:
            break
        if index not in position or index in removed:
            continue
        r, _ = position[index]
        if r in ruined:
            continue
        ruined.add(r)
        jobs = [i for i in routes[r] if i not in model.unload_indices]
        length = int(rng.uniform(1, min(len(jobs), max_string) + 1))
        at = jobs.index(index)
        first = rng.randint(max(0, at - length + 1), min(at, len(jobs) - length))
        removed.update(jobs[first : first + length])
    return [_without(route, removed, model.unload_indices) for route in routes]


def _without(route: list[int], removed: set[int], unloads: frozenset[int]) -> list[int]:
    """``route`` less ``removed``, less every unload that no longer has a job before it, and
    less the jobs after its last unload (a route ends empty: those jobs are not served)."""
    kept: list[int] = []
    loaded = False
    for index in route:
        if index in removed:
            continue
        if index in unloads:
            if loaded:
                kept.append(index)
            loaded = False
        else:
            kept.append(index)
            loaded = True
    while kept and kept[-1] not in unloads:
        kept.pop()
    return kept


def _ruined_and_recreated(
    routes: list[list[int]], model: RuinRecreateModel, rng: random.Random
) -> pywrapcp.Assignment | None:
    """``routes`` ruined and, with an insertion model, the removed jobs put back; CP-checked.
    Should CP reject the recreated plan, the ruined one (a subset of a checked plan)."""
    ruined = ruin(routes, model, rng)
    if model.insertion is not None:
        kept = {i for route in ruined for i in route}
        # only jobs go back: a detour to a charger the ruin took out is the descent's to restore
        removed = [
            i for route in routes for i in route if i not in kept and i in model.insertion.job_row
        ]
        recreated = read_routes(model.routing, recreate(model.insertion, ruined, removed, rng))
        if recreated is not None:
            return recreated
    return read_routes(model.routing, ruined)


def vehicle_routes(
    routing: pywrapcp.RoutingModel, assignment: pywrapcp.Assignment
) -> list[list[int]]:
    """Each vehicle's visits (solver indices, start and end left out)."""
    routes = []
    for vehicle in range(routing.vehicles()):
        route = []
        index = assignment.Value(routing.NextVar(routing.Start(vehicle)))
        while not routing.IsEnd(index):
            route.append(index)
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    return routes


def read_routes(
    routing: pywrapcp.RoutingModel, routes: list[list[int]]
) -> pywrapcp.Assignment | None:
    """The plan of ``routes`` (each vehicle's solver indices, start and end left out; every
    other index inactive) as checked by OR-Tools' CP model, or ``None`` if CP rejects it.

    ``ReadAssignmentFromRoutes`` sets only the next variables of the model's own assignment.
    With vehicle-dependent costs that assignment also holds every index's vehicle, from the last
    solution a search stored, so after a search it rejected any plan that leaves a job out or
    gives it to another vehicle (seen on the heterogeneous fleets and Daoxian's transfer tier).
    Here the vehicles and activities come with the nexts.
    """
    assignment = routing.solver().Assignment()
    vehicle_of: dict[int, int] = {}
    for vehicle, route in enumerate(routes):
        path = [routing.Start(vehicle), *route, routing.End(vehicle)]
        for index, following in zip(path, path[1:], strict=False):
            assignment.Add(routing.NextVar(index))
            assignment.SetValue(routing.NextVar(index), following)
        vehicle_of.update(dict.fromkeys(path[:-1], vehicle))
    for index in range(routing.Size()):
        if index not in vehicle_of:
            assignment.Add(routing.NextVar(index))
            assignment.SetValue(routing.NextVar(index), index)
        assignment.Add(routing.VehicleVar(index))
        assignment.SetValue(routing.VehicleVar(index), vehicle_of.get(index, -1))
        assignment.Add(routing.ActiveVar(index))
        assignment.SetValue(routing.ActiveVar(index), int(index in vehicle_of))
    return routing.RestoreAssignment(assignment)


def improve(
    model: RuinRecreateModel,
    start: pywrapcp.Assignment,
    budget: SearchBudget,
    seed: int,
) -> tuple[pywrapcp.Assignment, SearchStats]:
    """The best assignment found from ``start`` within ``budget``; ``start`` itself when
    nothing better was found; and the loop's statistics.

    With an iteration limit the loop and its temperature run on the iteration count instead of
    the clock, so that a seed gives the same plan whatever the machine's speed (the deadline
    still ends it).
    """
    routing = model.routing
    start = routing.solver().Assignment(start)  # later solves may reuse the model's own
    if not model.job_indices:
        return start, SearchStats()
    max_iterations, deadline = budget.iteration_limit, budget.deadline
    accepted = improved = 0
    best_checked = start
    best_cost = current_cost = start.ObjectiveValue()
    best = current = vehicle_routes(routing, start)
    rng = random.Random(seed)
    began = time.perf_counter()
    iteration = 0
    while True:
        now = time.perf_counter()
        if now >= deadline or (max_iterations is not None and iteration >= max_iterations):
            break
        if max_iterations is not None:
            progress = iteration / max_iterations
        else:
            progress = (now - began) / max(1e-9, deadline - began)
        if budget.stopped():
            break
        # Iteration 0 descends from the start itself (where the checked descent stopped),
        # every later one from a ruined and recreated plan.
        partial = start if iteration == 0 else _ruined_and_recreated(current, model, rng)
        iteration += 1
        if partial is None:
            continue
        model.params.time_limit.FromMilliseconds(_milliseconds_until(deadline, now))
        candidate = routing.FastSolveFromAssignmentWithParameters(partial, model.params, True)
        if candidate is None:
            continue
        per_job = max(1.0, best_cost / len(model.job_indices))
        temperature = per_job * T0_PER_JOB_COST * (T1_PER_JOB_COST / T0_PER_JOB_COST) ** progress
        threshold = current_cost - temperature * math.log(1.0 - rng.random())
        if candidate.ObjectiveValue() >= threshold:
            continue
        # The filtered search knows neither "an unload empties the truck" nor the facilities'
        # daily capacity, and may end a route loaded (priced softly): drop the unloads it left
        # with nothing to unload and the jobs it did not unload, then let CP judge the rest.
        routes = [
            _without(route, set(), model.unload_indices)
            for route in vehicle_routes(routing, candidate)
        ]
        checked = read_routes(routing, routes)
        if checked is None and iteration == 1:
            # the unchecked descent broke a constraint it cannot see: descend checked instead,
            # in the time that is left
            left_ms = _milliseconds_until(deadline, time.perf_counter())
            model.params.time_limit.FromMilliseconds(left_ms)
            checked = routing.SolveFromAssignmentWithParameters(partial, model.params)
            routes = vehicle_routes(routing, checked) if checked is not None else routes
        if checked is None or checked.ObjectiveValue() >= threshold:
            continue
        current, current_cost = routes, checked.ObjectiveValue()
        accepted += 1
        if current_cost < best_cost:
            improved += 1
            best, best_cost = current, current_cost
            best_checked = routing.solver().Assignment(checked)
            budget.report(current_cost)
    log.info(
        "ruin and recreate: %d iterations in %.1f s, objective %d from %d",
        iteration,
        time.perf_counter() - began,
        best_cost,
        start.ObjectiveValue(),
    )
    stats = SearchStats(iterations=iteration, accepted=accepted, improved=improved)
    if best_cost >= start.ObjectiveValue():
        return start, stats
    # The fast search's assignments hold the routes, not the times: let CP fix those again.
    # Restoring applies the finalizers (latest start, earliest end); the checked copy is the
    # same plan with the times CP first found, should restoring fail.
    restored = read_routes(routing, best)
    return (restored if restored is not None else best_checked), stats


def _milliseconds_until(deadline: float, now: float) -> int:
    """OR-Tools' time limit for a search that must end by ``deadline`` (at most a day)."""
    return max(1, int(min(deadline - now, 86400.0) * 1000))
