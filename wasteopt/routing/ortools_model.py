"""The OR-Tools routing model of one tier: a multi-depot, heterogeneous, time-windowed VRP
with intermediate facilities (unload stops), daily facility capacities and driver breaks.

Modelling choices:

- every facility gets optional *copies* (one node per possible unload visit); a copy's demand is
  ``-BIG`` with a slack in ``[0, BIG]`` tied to ``BIG - load`` so that every unload empties the
  truck; the route's end cumul is 0, so every route ends empty;
- a facility's daily capacity is hard: the loads arriving at its active copies sum to at most
  its free capacity (a constraint added only when the compatible waste could exceed it);
- a vehicle that may carry several streams becomes one *virtual* vehicle per stream, at most
  one of which is used (a truck carries one sorted stream all day);
- a job may be dropped only against ``unserved_penalty_per_t`` x its tonnes;
- costs are integers in milli-CNY: distance x cost_per_km (CNY/km = milli-CNY/m), the
  handling fee as a per-kg soft bound on the load at each copy (CNY/t = milli-CNY/kg), fixed
  cost per vehicle, and duty time x cost_per_hour through the span cost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_parameters_pb2
from ortools.util import optional_boolean_pb2

from wasteopt.routing.compiled import solve_compiled
from wasteopt.routing.insertion import SolverIndices, insertion_model
from wasteopt.routing.nodes import DAY_HORIZON_S, NodeTable, node_data
from wasteopt.routing.problem import (
    MILLI,
    Job,
    TierProblem,
    duty_cost_milli_per_s,
    fixed_cost_milli,
)
from wasteopt.routing.regions import (
    StartRoute,
    WholeTier,
    improve_by_regions,
    searched_by_regions,
)
from wasteopt.routing.ruin_recreate import (
    RuinRecreateModel,
    improve,
    nearest_jobs,
    read_routes,
    vehicle_routes,
)
from wasteopt.routing.warmstart import (
    greedy_routes,
    greedy_start,
    shrink_to_start,
    spread_trips,
    table_for_routes,
)

log = logging.getLogger(__name__)

# Share of the budget left, after the regions, to ruin and recreate on the whole tier (moves
# between regions; assumption: 0.4 and 0 measured no better on the 200-500-point instances,
# benchmarks/RESULTS.md)
REGION_FINAL_SHARE = 0.2
# Local-search operators kept where ruin and recreate drives the search: each of its iterations
# ends in a full scan of the neighbourhood, and without OR-Tools' other default operators
# (Lin-Kernighan, shortest-path and chain moves, the insertion LNS) that scan is about a third
# as long, so the loop runs more iterations (benchmarks/RESULTS.md, fourth session, item 5).
RUIN_RECREATE_OPERATORS = frozenset(
    {
        "use_relocate",
        "use_exchange",
        "use_cross",
        "use_two_opt",
        "use_or_opt",
        "use_make_active",
        "use_make_inactive",
        "use_swap_active",
        "use_relocate_expensive_chain",
        "use_exchange_subtrip",
        "use_relocate_subtrip",
    }
)
# Share of the default search's budget that the compiled search gets; OR-Tools checks its plan
# and improves it for the rest (assumption: the rest is for what PyVRP does not price, such as
# the fee on part loads; benchmarks/RESULTS.md)
COMPILED_SHARE = 0.9
# With a solution limit N, the compiled search runs N x this many iterations (deterministic)
COMPILED_ITERATIONS_PER_SOLUTION = 20
FIRST_SOLUTION_STRATEGIES = {  # besides "greedy", our own construction
    "path_cheapest_arc": routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC,
    "parallel_cheapest_insertion": (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    ),
    "local_cheapest_insertion": routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION,
    "savings": routing_enums_pb2.FirstSolutionStrategy.SAVINGS,
    "automatic": routing_enums_pb2.FirstSolutionStrategy.AUTOMATIC,
}
METAHEURISTICS = {
    "guided_local_search": routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH,
    "simulated_annealing": routing_enums_pb2.LocalSearchMetaheuristic.SIMULATED_ANNEALING,
    "tabu_search": routing_enums_pb2.LocalSearchMetaheuristic.TABU_SEARCH,
    "greedy_descent": routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT,
    "ruin_recreate": routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT,
}


@dataclass(frozen=True)
class SearchOptions:
    """How long and how to search.

    ``metaheuristic`` "ruin_recreate" (the default, :mod:`wasteopt.routing.ruin_recreate`)
    runs greedy descent to a first local optimum, then string-removal ruin and recreate; the
    others are OR-Tools' own metaheuristics; where ruin and recreate drives the search, large
    tiers without time windows are first improved region by region
    (:func:`~wasteopt.routing.regions.searched_by_regions`). With ``solution_limit``
    N the first search stops after N solutions and ruin and recreate after N iterations (no
    regions), so a seed gives one plan.
    ``seed`` permutes the node order and perturbs the greedy construction deterministically;
    ``workers`` > 1 runs that many searches with consecutive seeds on separate cores.
    """

    time_limit_s: float = 30.0
    solution_limit: int | None = None
    seed: int = 0
    first_solution: str = "greedy"
    metaheuristic: str = "ruin_recreate"
    workers: int = 1


@dataclass(frozen=True)
class Visit:
    """A node on a solved route: a job or an unload at a facility, with its service start."""

    kind: str  # "job" | "unload"
    ref: str  # job id or facility id
    site_id: str
    start_s: int


@dataclass(frozen=True)
class RawRoute:
    """A solved route in solver units."""

    vehicle_index: int
    start_s: int
    end_s: int
    visits: list[Visit]
    break_s: tuple[int, int] | None


@dataclass(frozen=True)
class RawSolution:
    routes: list[RawRoute]
    dropped: list[Job]
    objective: int
    seconds: float
    first_feasible_s: float | None
    history: list[tuple[float, float]]
    iterations: int = 0  # of the compiled search


ProgressCallback = Callable[[float, float], None]
StopCallback = Callable[[], bool]


def _unlimited(params: routing_parameters_pb2.RoutingSearchParameters):
    """``params`` without their solution limit."""
    copy = routing_parameters_pb2.RoutingSearchParameters()
    copy.CopyFrom(params)
    copy.solution_limit = pywrapcp.DefaultRoutingSearchParameters().solution_limit
    return copy


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
    """Solve one tier; ``None`` when no solution was found in time.

    ``start`` (one list of visits per vehicle) replaces the first solution. Without one, the
    default search ("ruin_recreate") first runs the compiled search
    (:mod:`wasteopt.routing.compiled`) for :data:`COMPILED_SHARE` of the budget and hands its
    plan to OR-Tools, which checks it and improves it for the rest; should OR-Tools reject it,
    its own construction and search take the time left.
    """
    if start is not None or options.metaheuristic != "ruin_recreate":
        return _solve_ortools(
            problem, distance_m, duration_s, site_index, options, on_progress, should_stop, start
        )
    began = time.perf_counter()
    history: list[tuple[float, float]] = []

    def record(objective: int) -> None:
        elapsed = time.perf_counter() - began
        cost = objective / MILLI
        if not history or cost < history[-1][1]:
            history.append((round(elapsed, 3), cost))
            if on_progress is not None:
                on_progress(elapsed, cost)

    greedy = greedy_start(problem, distance_m, duration_s, site_index, options.seed)
    compiled = solve_compiled(
        problem,
        distance_m,
        duration_s,
        site_index,
        seconds=None if options.solution_limit else COMPILED_SHARE * options.time_limit_s,
        seed=options.seed,
        max_iterations=(
            options.solution_limit * COMPILED_ITERATIONS_PER_SOLUTION
            if options.solution_limit
            else None
        ),
        on_best=record,
        should_stop=should_stop,
        start=greedy,
    )
    offset = time.perf_counter() - began

    def shifted(elapsed: float, cost: float) -> None:
        record(int(round(cost * MILLI)))

    rest = replace(options, time_limit_s=max(0.0, options.time_limit_s - offset))
    raw = None
    if compiled is not None and compiled.fits and not (should_stop and should_stop()):
        raw = _solve_ortools(
            problem,
            distance_m,
            duration_s,
            site_index,
            rest,
            shifted,
            should_stop,
            compiled.routes,
            strict_start=True,
        )
        if raw is None:
            log.warning("OR-Tools rejected the compiled search's plan; searching without it")
    if raw is None:
        raw = _solve_ortools(
            problem, distance_m, duration_s, site_index, rest, shifted, should_stop
        )
    if raw is None:
        return None
    return replace(
        raw,
        seconds=time.perf_counter() - began,
        first_feasible_s=history[0][0] if history else raw.first_feasible_s,
        history=history,
        iterations=raw.iterations + (compiled.iterations if compiled else 0),
    )


def _solve_ortools(
    problem: TierProblem,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    options: SearchOptions,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
    start: list[StartRoute] | None = None,
    strict_start: bool = False,
) -> RawSolution | None:
    """Build and solve the OR-Tools model; ``None`` when no solution was found in time, or,
    with ``strict_start``, when CP rejects ``start``."""
    vehicles = problem.vehicles
    greedy: list[list[int]] | None = None
    if start is not None:
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
        greedy = spread_trips(problem, nodes, data, greedy)
    facility_by_id = {f.id: f for f in problem.facilities}
    big, service, demand, travel = data.big, data.service, data.demand, data.travel

    ruin_and_recreate = options.metaheuristic == "ruin_recreate"
    manager = pywrapcp.RoutingIndexManager(len(nodes), len(vehicles), data.starts, data.starts)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    size = routing.Size()
    index_node = np.array(
        [manager.IndexToNode(i) for i in range(size + len(vehicles))], dtype=np.int64
    )

    # --- arc costs, per vehicle cost class -------------------------------------------------
    cost_callbacks: dict[float, int] = {}
    for v, vehicle in enumerate(vehicles):
        per_km = vehicle.vehicle_type.cost_per_km
        if per_km not in cost_callbacks:
            arc_cost = np.rint(data.dist * per_km).astype(np.int64)
            cost_callbacks[per_km] = routing.RegisterTransitMatrix(arc_cost.tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_callbacks[per_km], v)
        routing.SetFixedCostOfVehicle(fixed_cost_milli(vehicle.vehicle_type), v)

    # --- load ------------------------------------------------------------------------------
    load_cb = routing.RegisterUnaryTransitVector(demand.tolist())
    routing.AddDimensionWithVehicleCapacity(
        load_cb, big, [v.payload_kg for v in vehicles], True, "load"
    )
    load = routing.GetDimensionOrDie("load")
    # "Ends empty" is soft inside the search (so insertion can open a route with one point before
    # its final unload exists) and priced above any detour; decode rejects a route that still
    # ends loaded, and the checker enforces it independently. For ruin and recreate it is half
    # the unserved penalty, so that putting a removed job at a route's end already pays and
    # the unload after it pays the rest; the plans it accepts serve no job after a route's
    # last unload (see ruin_recreate), so the discount never reaches a plan.
    unserved_per_kg = max(1, int(problem.unserved_penalty_per_t))  # milli-CNY per kg
    end_load_coefficient = max(1, unserved_per_kg // 2) if ruin_and_recreate else unserved_per_kg
    for v in range(len(vehicles)):
        load.SetCumulVarSoftUpperBound(routing.End(v), 0, end_load_coefficient)
    for node in range(len(nodes.jobs)):
        load.SlackVar(manager.NodeToIndex(node)).SetValue(0)
    for v in range(len(vehicles)):
        load.SlackVar(routing.Start(v)).SetValue(0)

    # --- time ------------------------------------------------------------------------------
    # A Python callable rather than RegisterTransitMatrix: OR-Tools copies a dimension's
    # transit evaluator in hot paths (once per vehicle in every break propagation, and in
    # local search), and the matrix evaluator owns its whole index x index table, so at 2,000
    # points each copy moved ~40 MB and finalising one solution took seconds. The callable
    # is copied by reference; its table is laid out by routing index.
    step_s = travel + service[:, None]  # service at a node, then travel to the next
    time_table = memoryview(step_s[np.ix_(index_node, index_node)])
    time_cb = routing.RegisterTransitCallback(lambda i, j: time_table[i, j])
    routing.AddDimension(time_cb, DAY_HORIZON_S, DAY_HORIZON_S, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for i, job in enumerate(nodes.jobs):
        if job.window is not None:
            clock.CumulVar(manager.NodeToIndex(i)).SetRange(*job.window)

    capacity_bound = False  # a daily capacity the local-search filters cannot see
    for facility_id, copies in nodes.facility_copies.items():
        facility = facility_by_id[facility_id]
        latest = facility.gate.end_s - int(service[copies[0]])
        for node in copies:
            index = manager.NodeToIndex(node)
            clock.CumulVar(index).SetRange(
                facility.gate.start_s, max(facility.gate.start_s, latest)
            )
            routing.AddDisjunction([index], 0)
            load.CumulVar(index).SetMin(1)  # no empty unload visits
            solver.Add(load.SlackVar(index) + load.CumulVar(index) == big)
            fee = facility.cost_per_t  # CNY/t == milli-CNY/kg
            if fee > 0:
                load.SetCumulVarSoftUpperBound(index, 0, int(round(fee)))
        compatible = [j for j in nodes.jobs if j.stream in facility.streams]
        free = problem.free_capacity_kg[facility_id]
        if sum(j.kg for j in compatible) > free:
            capacity_bound = True
            solver.Add(
                solver.Sum(
                    [
                        load.CumulVar(manager.NodeToIndex(n))
                        * routing.ActiveVar(manager.NodeToIndex(n))
                        for n in copies
                    ]
                )
                <= free
            )

    node_visit_transit = [int(service[index_node[i]]) for i in range(size)]
    for v, vehicle in enumerate(vehicles):
        vt = vehicle.vehicle_type
        start, end = routing.Start(v), routing.End(v)
        clock.CumulVar(start).SetRange(vt.shift.start_s, vt.shift.end_s)
        clock.CumulVar(end).SetRange(vt.shift.start_s, vt.shift.end_s)
        span_coefficient = duty_cost_milli_per_s(vt)
        if span_coefficient:
            clock.SetSpanCostCoefficientForVehicle(span_coefficient, v)
        routing.AddVariableMaximizedByFinalizer(clock.CumulVar(start))
        routing.AddVariableMinimizedByFinalizer(clock.CumulVar(end))
        if vt.break_ is not None:
            duration = int(round(vt.break_.duration_min * 60))
            rest = solver.FixedDurationIntervalVar(
                vt.break_.window.start_s,
                vt.break_.window.end_s - duration,
                duration,
                False,
                f"break {v}",
            )
            # OR-Tools may place the break before the start or after the end of the route;
            # decode then shows it at the yard (before leaving, or after coming back).
            clock.SetBreakIntervalsOfVehicle([rest], v, node_visit_transit)

    # --- compatibility and one stream per physical vehicle -------------------------------------
    by_stream: dict[str, list[int]] = {}
    by_physical: dict[str, list[int]] = {}
    for v, vehicle in enumerate(vehicles):
        by_stream.setdefault(vehicle.stream, []).append(v)
        by_physical.setdefault(vehicle.vehicle_id, []).append(v)
    for virtual in by_physical.values():
        if len(virtual) > 1:
            solver.Add(solver.Sum([routing.ActiveVehicleVar(v) for v in virtual]) <= 1)
    for i, job in enumerate(nodes.jobs):
        index = manager.NodeToIndex(i)
        routing.VehicleVar(index).SetValues([-1, *by_stream.get(job.stream, [])])
        penalty = int(round(problem.unserved_penalty_per_t * job.tonnes * MILLI))
        routing.AddDisjunction([index], max(penalty, 1))
    for facility_id, copies in nodes.facility_copies.items():
        allowed = sorted(
            v for s in facility_by_id[facility_id].streams for v in by_stream.get(s, [])
        )
        for node in copies:
            routing.VehicleVar(manager.NodeToIndex(node)).SetValues([-1, *allowed])

    # --- search --------------------------------------------------------------------------------
    params = pywrapcp.DefaultRoutingSearchParameters()
    if options.first_solution != "greedy":
        params.first_solution_strategy = FIRST_SOLUTION_STRATEGIES[options.first_solution]
    params.local_search_metaheuristic = METAHEURISTICS[options.metaheuristic]
    # Ruin and recreate drives the search unless a daily capacity binds: the unchecked descent
    # (whose filters do not see capacities) overfilled the incinerator on Daoxian phase 1, so
    # there the checked descent keeps the whole budget, with OR-Tools' full operator set (it
    # found better plans there than the reduced one).
    recreate_drives = ruin_and_recreate and not capacity_bound
    if recreate_drives:
        operators = params.local_search_operators
        for field in operators.DESCRIPTOR.fields:
            keep = field.name in RUIN_RECREATE_OPERATORS
            setattr(
                operators,
                field.name,
                optional_boolean_pb2.BOOL_TRUE if keep else optional_boolean_pb2.BOOL_FALSE,
            )
    params.time_limit.FromMilliseconds(max(1, int(options.time_limit_s * 1000)))
    if options.solution_limit:
        params.solution_limit = options.solution_limit
    elif recreate_drives:
        # The checked descent gets a tenth of the budget; on large instances, where it would
        # take all of it, ruin and recreate's unchecked descent (much faster per move) goes on.
        params.time_limit.FromMilliseconds(max(1, int(options.time_limit_s * 100)))

    started = time.perf_counter()
    history: list[tuple[float, float]] = []

    def record(objective: int) -> None:
        elapsed = time.perf_counter() - started
        cost = objective / MILLI
        if not history or cost < history[-1][1]:
            history.append((round(elapsed, 3), cost))
            if on_progress is not None:
                on_progress(elapsed, cost)

    def at_solution() -> None:
        record(routing.CostVar().Value())
        if should_stop is not None and should_stop():
            routing.CancelSearch()

    routing.AddAtSolutionCallback(at_solution)
    routing.CloseModelWithParameters(params)
    initial = None
    if greedy is not None:
        read_started = time.perf_counter()
        initial = read_routes(
            routing, [[manager.NodeToIndex(n) for n in route] for route in greedy]
        )
        # Local search schedules its start once more, but within the per-neighbour
        # lns_time_limit (100 ms by default), which a large start outgrows: allow it twice
        # what scheduling the start took here.
        scheduling_ms = int(2000 * (time.perf_counter() - read_started))
        if scheduling_ms > params.lns_time_limit.ToMilliseconds():
            params.lns_time_limit.FromMilliseconds(scheduling_ms)
    if strict_start and initial is None:
        return None
    solution = routing.SolveFromAssignmentWithParameters(initial, params) if initial else None
    if solution is None:
        if greedy:
            log.warning("the greedy start was not usable; falling back to path_cheapest_arc")
            params.first_solution_strategy = FIRST_SOLUTION_STRATEGIES["path_cheapest_arc"]
        solution = routing.SolveWithParameters(params)
    if solution is not None and ruin_and_recreate:
        deadline = started + options.time_limit_s
        job_nodes = np.arange(len(nodes.jobs))
        # nearest jobs by node; ``job_index[node]`` is the job's solver index
        job_neighbours = nearest_jobs(job_nodes.tolist(), data.dist[np.ix_(job_nodes, job_nodes)])
        job_index = np.array([manager.NodeToIndex(n) for n in job_nodes.tolist()], dtype=np.int64)

        unload_indices = frozenset(
            manager.NodeToIndex(n) for c in nodes.facility_copies.values() for n in c
        )

        def indices(node_routes: list[list[int]]) -> list[list[int]]:
            return [[manager.NodeToIndex(n) for n in route] for route in node_routes]

        if recreate_drives and not options.solution_limit and searched_by_regions(nodes.jobs):

            def objective(node_routes: list[list[int]]) -> int | None:
                checked = read_routes(routing, indices(node_routes))
                return None if checked is None else checked.ObjectiveValue()

            def solve_region(
                region: TierProblem, region_start: list[StartRoute], seconds: float, seed: int
            ) -> RawSolution | None:
                region_options = SearchOptions(time_limit_s=seconds, seed=seed)
                return solve_model(
                    region, distance_m, duration_s, site_index, region_options, start=region_start
                )

            node_routes = improve_by_regions(
                WholeTier(problem, nodes, job_neighbours, objective),
                [[int(index_node[i]) for i in r] for r in vehicle_routes(routing, solution)],
                deadline=deadline - REGION_FINAL_SHARE * options.time_limit_s,
                seed=options.seed,
                solve_region=solve_region,
                on_best=record,
                should_stop=should_stop,
            )
            solution = read_routes(routing, indices(node_routes)) or solution
        solution = improve(
            RuinRecreateModel(
                routing=routing,
                params=_unlimited(params),
                job_indices=job_index.tolist(),
                unload_indices=unload_indices,
                neighbours=job_index[job_neighbours],
                insertion=insertion_model(
                    problem,
                    nodes,
                    data,
                    step_s,
                    SolverIndices(
                        node=index_node,
                        of_node=manager.NodeToIndex,
                        starts=[routing.Start(v) for v in range(len(vehicles))],
                        ends=[routing.End(v) for v in range(len(vehicles))],
                        unloads=unload_indices,
                    ),
                ),
            ),
            solution,
            deadline=deadline,
            seed=options.seed,
            on_best=record,
            should_stop=should_stop,
            max_iterations=options.solution_limit,
        )
    seconds = time.perf_counter() - started
    if solution is None:
        return None

    routes: list[RawRoute] = []
    intervals = solution.IntervalVarContainer()
    break_of_vehicle: dict[int, tuple[int, int]] = {}
    for k in range(intervals.Size()):
        element = intervals.Element(k)
        if element.PerformedValue():
            v = int(element.Var().Name().removeprefix("break "))
            break_of_vehicle[v] = (element.StartValue(), element.EndValue())
    for v, route in enumerate(vehicle_routes(routing, solution)):
        if not route:
            continue
        visits = [
            Visit(
                kind=nodes.kind[node],
                ref=nodes.ref[node],
                site_id=nodes.site[node],
                start_s=solution.Value(clock.CumulVar(index)),
            )
            for index, node in zip(route, index_node[route].tolist(), strict=True)
        ]
        routes.append(
            RawRoute(
                vehicle_index=v,
                start_s=solution.Value(clock.CumulVar(routing.Start(v))),
                end_s=solution.Value(clock.CumulVar(routing.End(v))),
                visits=visits,
                break_s=break_of_vehicle.get(v),
            )
        )
    dropped = [
        job
        for i, job in enumerate(nodes.jobs)
        if solution.Value(routing.NextVar(manager.NodeToIndex(i))) == manager.NodeToIndex(i)
    ]
    return RawSolution(
        routes=routes,
        dropped=dropped,
        objective=solution.ObjectiveValue(),
        seconds=seconds,
        first_feasible_s=history[0][0] if history else None,
        history=history,
    )
