"""The improvement driver of one tier: the compiled search, then OR-Tools' check and search.

The default search ("ruin_recreate") builds the greedy construction, improves it with the
compiled search (:mod:`wasteopt.routing.compiled`) for :data:`COMPILED_SHARE` of the budget
and hands the plan to OR-Tools (:mod:`wasteopt.routing.or_model`), the model of record: its CP
model checks what the compiled search does not model (daily capacities, drivers' breaks, the
fee on part loads) and ruin and recreate (:mod:`wasteopt.routing.ruin_recreate`) improves the
plan for the rest of the budget. Should OR-Tools reject the plan, it constructs and searches on
its own in the time left, large windowless tiers region by region
(:mod:`wasteopt.routing.regions`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
from ortools.constraint_solver import pywrapcp

from wasteopt.routing.compiled import solve_compiled, within_capacities
from wasteopt.routing.insertion import SolverIndices, insertion_model
from wasteopt.routing.nodes import NodeData, NodeTable, node_data
from wasteopt.routing.or_detours import hand_out_unserved, with_detours
from wasteopt.routing.or_extract import extract
from wasteopt.routing.or_model import OrModel, build_model
from wasteopt.routing.or_params import (
    FIRST_SOLUTION_STRATEGIES,
    search_parameters,
    unlimited,
    with_time_limit,
)
from wasteopt.routing.problem import MILLI, Job, TierProblem
from wasteopt.routing.regions import StartRoute, WholeTier, improve_by_regions, searched_by_regions
from wasteopt.routing.ruin_recreate import (
    RuinRecreateModel,
    improve,
    nearest_jobs,
    read_routes,
    vehicle_routes,
)
from wasteopt.routing.search import (
    ProgressCallback,
    RawRoute,
    RawSolution,
    SearchBudget,
    SearchOptions,
    SearchStats,
    StopCallback,
)
from wasteopt.routing.warmstart import (
    greedy_routes,
    greedy_start,
    shrink_to_start,
    spread_trips,
    table_for_routes,
    table_for_starts,
)

log = logging.getLogger(__name__)

# Share of the default search's budget that the compiled search gets; OR-Tools checks its plan
# and improves it for the rest (assumption, not tuned: the rest is for what PyVRP does not
# price, such as the fee on part loads, and for the CP check of a large plan)
COMPILED_SHARE = 0.9
# With a solution limit N, the compiled search runs N x this many iterations (deterministic)
COMPILED_ITERATIONS_PER_SOLUTION = 20
# Share of the OR-Tools search's time left, after the regions, to ruin and recreate on the
# whole tier (moves between regions; assumption: 0.4 and 0 measured no better on the
# 200-500-point instances, benchmarks/HISTORY.md)
REGION_FINAL_SHARE = 0.2


@dataclass(frozen=True)
class _Searched:
    routes: list[RawRoute]
    dropped: list[Job]
    objective: int
    stats: SearchStats
    out_of_range: frozenset[str]


def solve_model(
    problem: TierProblem,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    options: SearchOptions,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
    start: list[StartRoute] | None = None,
) -> RawSolution | None:
    """Solve one tier (see the module docstring); ``None`` when no solution was found in time.

    ``start`` (one list of visits per vehicle) replaces the first solution and OR-Tools
    searches alone from it (as region solves do). A search stopped by ``should_stop`` returns
    its best checked plan so far, marked ``stats.stopped_early``.
    """
    began = time.perf_counter()
    history: list[tuple[float, float]] = []

    def record(objective: int) -> None:
        elapsed = time.perf_counter() - began
        cost = objective / MILLI
        if not history or cost < history[-1][1]:
            history.append((round(elapsed, 3), cost))
            if on_progress is not None:
                on_progress(elapsed, cost)

    budget = SearchBudget.starting_now(options, should_stop, record)
    args = (problem, distance_m, duration_s, site_index, options)
    compiled_stats = SearchStats()
    if start is not None or not options.compiled or options.metaheuristic != "ruin_recreate":
        searched = _solve_ortools(*args, budget, start)
    else:
        greedy = greedy_start(problem, distance_m, duration_s, site_index, options.seed)
        compiled_budget = budget.until(began + COMPILED_SHARE * options.time_limit_s)
        compiled = solve_compiled(
            problem,
            distance_m,
            duration_s,
            site_index,
            compiled_budget,
            options.seed,
            max_iterations=(
                options.solution_limit * COMPILED_ITERATIONS_PER_SOLUTION
                if options.solution_limit
                else None
            ),
            start=greedy,
        )
        searched = None
        if compiled_budget.cut_short():
            compiled_stats = SearchStats(time_limited=True)
        if compiled is not None:
            compiled_stats = compiled_stats.plus(
                SearchStats(
                    compiled_iterations=compiled.iterations, compiled_rounds=compiled.rounds
                )
            )
            # the model of record keeps the compiled search's bars against stray routes
            problem = replace(problem, barred=compiled.barred)
            args = (problem, distance_m, duration_s, site_index, options)
            routes = compiled.routes
            if not compiled.fits:
                routes = within_capacities(problem, routes)
            searched = _solve_ortools(
                *args,
                budget,
                routes,
                strict_start=True,
                regions=False,
                complete_start=True,
                rival=greedy if _drops_served_jobs(routes, greedy) else None,
            )
            if searched is None:
                log.warning("OR-Tools rejected the compiled search's plan; searching alone")
                compiled_stats = compiled_stats.plus(SearchStats(starts_rejected=1))
        if searched is None and (budget.seconds_left() <= 0 or budget.stopped()):
            # no time is left to search alone: the greedy start is the plan, if CP takes it
            searched = _solve_ortools(*args, budget, greedy, strict_start=True, regions=False)
            if searched is None:
                compiled_stats = compiled_stats.plus(SearchStats(starts_rejected=1))
        if searched is None:
            searched = _solve_ortools(*args, budget)
    if searched is None:
        return None
    stats = searched.stats.plus(compiled_stats)
    if budget.stopped():
        stats = stats.plus(SearchStats(stopped_early=True))
    if budget.cut_short():
        stats = stats.plus(SearchStats(time_limited=True))
    return RawSolution(
        routes=searched.routes,
        dropped=searched.dropped,
        objective=searched.objective,
        seconds=time.perf_counter() - began,
        first_feasible_s=history[0][0] if history else None,
        history=history,
        stats=stats,
        out_of_range=searched.out_of_range,
    )


def _drops_served_jobs(routes: list[StartRoute], start: list[StartRoute]) -> bool:
    """Whether ``routes`` leave out a job that ``start`` serves (a compiled plan may, where a
    battery truck's range cut what the start serves by charging)."""
    served = {ref for route in routes for kind, ref in route if kind == "job"}
    return any(kind == "job" and ref not in served for route in start for kind, ref in route)


def _spread_and_charged(
    problem: TierProblem, nodes: NodeTable, data: NodeData, routes: list[list[int]]
) -> list[list[int]]:
    """A greedy start with later trips on idle trucks (:func:`spread_trips`), then each battery
    truck taking the detours to a charger its range needs."""
    return with_detours(problem, nodes, data, spread_trips(problem, nodes, data, routes))


def _solve_ortools(
    problem: TierProblem,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    options: SearchOptions,
    budget: SearchBudget,
    start: list[StartRoute] | None = None,
    strict_start: bool = False,
    regions: bool = True,
    complete_start: bool = False,
    rival: list[StartRoute] | None = None,
) -> _Searched | None:
    """OR-Tools' construction (or ``start``), first search and, for "ruin_recreate", ruin and
    recreate; ``None`` when no solution was found in time, or, with ``strict_start``, when CP
    rejects ``start`` (and ``rival``). With ``complete_start``, battery trucks in ``start``
    first take the detours to a charger their range needs, and idle trucks the jobs it leaves
    out (:func:`~wasteopt.routing.or_detours.hand_out_unserved`). A ``rival`` start (the
    greedy one, its trips spread and charged) is read beside ``start``, and the search goes on
    from the one the model of record prices lower."""
    greedy: list[list[int]] | None = None
    other: list[list[int]] | None = None
    if start is not None and rival is not None:
        nodes, (greedy, other) = table_for_starts(problem, [start, rival], options.seed)
    elif start is not None:
        nodes, greedy = table_for_routes(problem, start, options.seed)
    else:
        copies = {
            f.id: problem.copies_needed(f)
            for f in problem.facilities
            if problem.free_capacity_kg.get(f.id, 0) > 0
        }
        nodes = NodeTable(problem, options.seed, copies)
        if options.first_solution == "greedy":
            full = node_data(problem, nodes, distance_m, duration_s, site_index)
            greedy = greedy_routes(problem, nodes, full, options.seed)
            nodes, greedy = shrink_to_start(problem, nodes, greedy, options.seed)
    data = node_data(problem, nodes, distance_m, duration_s, site_index)
    if start is None and greedy is not None:
        greedy = _spread_and_charged(problem, nodes, data, greedy)
    elif complete_start and greedy is not None:
        # the compiled search's range is approximate: a battery truck it leaves short takes a
        # detour to a charger, and idle trucks take the jobs it left out where they reach them
        greedy = hand_out_unserved(problem, nodes, data, with_detours(problem, nodes, data, greedy))
    if other is not None:
        other = _spread_and_charged(problem, nodes, data, other)
    ruin_and_recreate = options.metaheuristic == "ruin_recreate"
    model = build_model(problem, nodes, data, ruin_and_recreate)
    try:
        return _search(
            model, options, budget, greedy, strict_start, regions, distance_m, duration_s,
            site_index, other,
        )  # fmt: skip
    finally:
        model.release()


def _search(
    model: OrModel,
    options: SearchOptions,
    budget: SearchBudget,
    greedy: list[list[int]] | None,
    strict_start: bool,
    regions: bool,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    rival: list[list[int]] | None = None,
) -> _Searched | None:
    routing = model.routing
    ruin_and_recreate = options.metaheuristic == "ruin_recreate"
    # Ruin and recreate drives the search unless a daily capacity binds: the unchecked descent
    # (whose filters do not see capacities) overfilled the incinerator on Daoxian phase 1, so
    # there the checked descent keeps the whole budget, with OR-Tools' full operator set (it
    # found better plans there than the reduced one).
    recreate_drives = ruin_and_recreate and not model.capacity_bound
    seconds = budget.seconds_left()
    params = search_parameters(options, seconds, recreate_drives)
    model.holder["routing"] = routing
    holder = model.holder

    def at_solution() -> None:
        held = holder["routing"]
        budget.report(held.CostVar().Value())
        if budget.stopped():
            held.CancelSearch()

    routing.AddAtSolutionCallback(at_solution)
    # Closing fixes the limit under which CP later restores (checks) a plan: with the few
    # seconds left after the compiled search, restoring a large model (1,482 trucks on
    # X420-FSMD) ran out of time and a valid plan looked rejected. Checks get the tier's budget.
    routing.CloseModelWithParameters(with_time_limit(params, options.time_limit_s))
    initial = None
    if greedy is not None:
        read_started = time.perf_counter()
        initial = read_routes(routing, model.of_node(greedy))
        # Local search schedules its start once more, and each neighbour it accepts, within
        # the per-neighbour lns_time_limit (100 ms by default), which a large start outgrows:
        # allow it twice what scheduling the start took here. Under a solution limit no
        # setting may depend on a timing (a seed gives one plan): there the tier's time limit
        # bounds it, as it bounds the whole search.
        if budget.counts_iterations:
            lns_ms = int(1000 * options.time_limit_s)
        else:
            lns_ms = int(2000 * (time.perf_counter() - read_started))
        if lns_ms > params.lns_time_limit.ToMilliseconds():
            params.lns_time_limit.FromMilliseconds(lns_ms)
    if rival is not None:
        other = read_routes(routing, model.of_node(rival))
        if other is not None and (
            initial is None or other.ObjectiveValue() < initial.ObjectiveValue()
        ):
            log.info("the greedy start, charged, is priced lower than the compiled plan")
            initial = other
    if strict_start and initial is None:
        return None
    if initial is not None and budget.stopped():
        solution = initial
    elif initial is not None:
        # out of time before the first descent finished: the start, checked, is the plan
        solution = routing.SolveFromAssignmentWithParameters(initial, params) or initial
    else:
        solution = None
    rejected = 0
    if solution is None:
        if greedy:
            log.warning("the greedy start was not usable; falling back to path_cheapest_arc")
            params.first_solution_strategy = FIRST_SOLUTION_STRATEGIES["path_cheapest_arc"]
            rejected = 1
        solution = routing.SolveWithParameters(params)
    stats = SearchStats()
    # with no time left ruin and recreate would make no iteration, yet its neighbour lists and
    # insertion model cost seconds on thousands of points (4.8 s at 7,000)
    if (
        solution is not None
        and ruin_and_recreate
        and not budget.stopped()
        and budget.seconds_left() > 0
    ):
        solution, stats = _ruin_and_recreate(
            model, solution, options, budget, params, recreate_drives and regions, seconds,
            (distance_m, duration_s, site_index),
        )  # fmt: skip
    if solution is None:
        return None
    routes, dropped, out_of_range = extract(model, solution)
    stats = stats.plus(SearchStats(starts_rejected=rejected))
    return _Searched(routes, dropped, solution.ObjectiveValue(), stats, out_of_range)


def _ruin_and_recreate(
    model: OrModel,
    solution: pywrapcp.Assignment,
    options: SearchOptions,
    budget: SearchBudget,
    params,
    by_regions: bool,
    seconds: float,
    matrices: tuple[np.ndarray, np.ndarray, dict[str, int]],
) -> tuple[pywrapcp.Assignment, SearchStats]:
    """Regions (where ``by_regions`` and the tier qualifies), then ruin and recreate."""
    routing, manager, nodes, data = model.routing, model.manager, model.nodes, model.data
    problem = model.problem
    job_nodes = np.arange(len(nodes.jobs))
    # nearest jobs by node; ``job_index[node]`` is the job's solver index
    job_neighbours = nearest_jobs(job_nodes.tolist(), data.dist[np.ix_(job_nodes, job_nodes)])
    job_index = np.array([manager.NodeToIndex(n) for n in job_nodes.tolist()], dtype=np.int64)
    unload_indices = frozenset(
        manager.NodeToIndex(n) for c in nodes.facility_copies.values() for n in c
    )
    stats = SearchStats()
    if by_regions and not budget.counts_iterations and searched_by_regions(nodes.jobs):

        def objective(node_routes: list[list[int]]) -> int | None:
            checked = read_routes(routing, model.of_node(node_routes))
            return None if checked is None else checked.ObjectiveValue()

        def solve_region(
            region: TierProblem, region_start: list[StartRoute], region_s: float, seed: int
        ) -> RawSolution | None:
            region_options = SearchOptions(time_limit_s=region_s, seed=seed)
            return solve_model(region, *matrices, region_options, start=region_start)

        node_routes, stats = improve_by_regions(
            WholeTier(problem, nodes, job_neighbours, objective),
            [[int(model.index_node[i]) for i in r] for r in vehicle_routes(routing, solution)],
            budget.until(budget.deadline - REGION_FINAL_SHARE * seconds),
            options.seed,
            solve_region,
        )
        solution = read_routes(routing, model.of_node(node_routes)) or solution
    improved, loop_stats = improve(
        RuinRecreateModel(
            routing=routing,
            params=unlimited(params),
            job_indices=job_index.tolist(),
            unload_indices=unload_indices,
            neighbours=job_index[job_neighbours],
            insertion=insertion_model(
                problem,
                nodes,
                data,
                model.step_s,
                SolverIndices(
                    node=model.index_node,
                    of_node=manager.NodeToIndex,
                    starts=[routing.Start(v) for v in range(len(problem.vehicles))],
                    ends=[routing.End(v) for v in range(len(problem.vehicles))],
                    unloads=unload_indices,
                ),
            ),
        ),
        solution,
        budget,
        options.seed,
    )
    return improved, stats.plus(loop_stats)
