"""The compiled search: one tier solved by PyVRP's iterated local search, as a start for OR-Tools.

PyVRP (Wouters et al. 2024, INFORMS Journal on Computing) evaluates relocate, swap, 2-opt* and
reload moves in constant time from concatenated route-segment data (Vidal et al. 2013,
Computers & OR 40(1); 2014, EJOR 234(3)) over granular neighbourhoods, with adaptive penalties
for load and time-window excess, and runs tens of thousands of iterations where OR-Tools'
Python-driven loop runs hundreds. The tier maps onto it as
:mod:`wasteopt.routing.engine` describes.

What PyVRP does not see — daily facility capacities, the fee on a part load, drivers' breaks
(the shift is shortened by the break), charging — OR-Tools' CP model checks on the decoded
plan, which it then improves for the rest of the budget. Capacities are priced
(:func:`solve_compiled`): a facility that the plan overfills gets a price per kilogram that
grows each round until the plan fits, the subgradient rule of Lagrangian relaxation; a round's
plan that overfills is made to fit by sending trips where there is room
(:func:`~wasteopt.routing.redirect.redirected`), and the next round goes on from it. Where a
facility may overfill, progress hears only of the plans that fit, at their cost without prices.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pyvrp
import pyvrp.search

from wasteopt.routing.engine import (
    UNREACHABLE,
    EngineData,
    beyond_range,
    decode,
    encode,
    engine_data,
    reload_territories,
    single_trip_groups,
    with_required,
)
from wasteopt.routing.fewer_routes import fewer_routes
from wasteopt.routing.idle_trucks import to_idle_trucks, visits
from wasteopt.routing.problem import TierProblem
from wasteopt.routing.redirect import redirected, trips
from wasteopt.routing.regions import StartRoute
from wasteopt.routing.search import SearchBudget
from wasteopt.routing.truck_assignment import reassigned

log = logging.getLogger(__name__)

PENALTY_CEILING_FACTOR = 1000.0  # penalties may grow to this many times their start
ROUND_SHARE = 0.5  # a round that may change prices gets half the time left
STOP_POLL_S = 0.05  # how often the caller's stop is asked (a stop takes effect well within 1 s)
MAX_ROUNDS = 12  # a cap on rounds (each one halves the time left anyway)
# Iterations timed before late acceptance's history is sized (a fraction of a second on Daoxian)
CALIBRATION_ITERATIONS = 20
# The history holds one entry per this many of the iterations a run affords, at most PyVRP's
# 300. The whole development set at 10 CPU-s, seeds 0-2, beside 50 (which matched PyVRP's 300
# at X-n502-k39's ~15,000 iterations in 30 s): CVRP 0.723 against 0.786 %, heterogeneous
# fleet 1.209 against 1.460 %, multi-trip -1.337 against -1.184 %, multi-depot -0.417 against
# 0.704 %; Daoxian's collection tier, 30 CPU-s: 56,722 against 57,168 CNY (benchmarks/RESULTS.md)
ITERATIONS_PER_HISTORY_SLOT = 150
MIN_PRICE_STEP = 0.05  # a price rises by at least this share of the plan's mean cost per kg
# A client's granular neighbourhood where its proximity is the distance alone and the fleet one
# type, or every type may reload: HGS-CVRP's size (Vidal 2022, Computers & OR 140, parameter
# nbGranular); PyVRP's default otherwise (granular_neighbours).
DISTANCE_ONLY_NEIGHBOURS = 20
# PyVRP's perturbation applies between 1 and this many moves an iteration where every truck
# type may reload (perturbation_params); PyVRP's default, 25, elsewhere
RELOADING_MAX_PERTURBATIONS = 10


@dataclass(frozen=True)
class CompiledResult:
    """One start route per vehicle, PyVRP's statistics, and whether capacities fit."""

    routes: list[StartRoute]
    iterations: int
    rounds: int
    fits: bool
    objective_milli: int


def _intake(problem: TierProblem, routes: list[StartRoute]) -> Counter:
    """Kilograms each facility takes from ``routes``."""
    kg = {job.id: job.kg for job in problem.jobs}
    intake: Counter = Counter()
    for route in routes:
        for trip in trips(route, kg):
            intake[trip.facility] += trip.kg
    return intake


def _overfilled(problem: TierProblem, intake: Counter) -> dict[str, int]:
    """Kilograms over each facility's free capacity that ``intake`` overfills."""
    free = problem.free_capacity_kg
    return {fid: load - free.get(fid, 0) for fid, load in intake.items() if load > free.get(fid, 0)}


def _fitting_cost(
    problem: TierProblem, engine: EngineData, prices: dict[str, float], solution: pyvrp.Solution
) -> int | None:
    """The objective (milli-CNY, :func:`_true_cost`) of ``solution`` where it unloads no more
    at any facility than its free capacity, else ``None``."""
    routes = decode(problem, engine, solution)
    if _overfilled(problem, _intake(problem, routes)):
        return None
    return _true_cost(problem, engine, solution, routes, prices)


def _route_fits(problem: TierProblem, engine: EngineData, v: int, route: StartRoute) -> bool:
    """Whether vehicle ``v`` may drive ``route`` in PyVRP's terms (windows, shift, payload,
    range), its last unload where the route says."""
    only: list[StartRoute] = [[] for _ in problem.vehicles]
    only[v] = route
    solution = encode(problem, engine, only, keep_last_unload=True)
    return solution is not None and all(r.is_feasible() for r in solution.routes())


def _true_cost(
    problem: TierProblem,
    engine: EngineData,
    solution: pyvrp.Solution,
    routes: list[StartRoute],
    prices: dict[str, float],
) -> int:
    """The objective (milli-CNY) of ``solution`` (decoded as ``routes``) without the capacity
    prices and with the fees outside PyVRP's objective."""
    cost = int(_UNPENALISED.cost(solution)) + engine.constant_milli
    return cost - _prices_paid(problem, engine, routes, prices)


def within_capacities(problem: TierProblem, routes: list[StartRoute]) -> list[StartRoute]:
    """``routes`` (one per vehicle) without the trips that overfill a facility's free
    capacity: the trips into each overfilled facility are cut, the day's last trips first,
    until its intake fits (their jobs left out). A plan the capacity prices did not settle in
    time is then still a start for OR-Tools, whose model holds the capacities: searching alone
    from the greedy start in the seconds left, Daoxian's grown all-electric fleet left 100
    points unserved."""
    over = _overfilled(problem, _intake(problem, routes))
    if not over:
        return routes
    kg = {job.id: job.kg for job in problem.jobs}
    # the day's last trips first: by their place in their route, then by vehicle, last first
    latest = sorted(
        (
            (position, v, trip)
            for v, route in enumerate(routes)
            for position, trip in enumerate(trips(route, kg))
        ),
        key=lambda entry: (entry[0], entry[1], entry[2].first),
        reverse=True,
    )
    cut: dict[int, set[int]] = {}
    for _, v, trip in latest:
        if over.get(trip.facility, 0) > 0 and trip.kg > 0:
            over[trip.facility] -= trip.kg
            cut.setdefault(v, set()).update(range(trip.first, trip.unload + 1))
    return [
        [visit for k, visit in enumerate(route) if k not in cut.get(v, ())]
        for v, route in enumerate(routes)
    ]


_UNPENALISED = pyvrp.CostEvaluator([0], 0, 0)  # a feasible solution's cost
INFEASIBLE_COST = np.iinfo(np.int64).max  # PyVRP's cost of an infeasible solution


def _price_resolution(mean_per_kg: float) -> float:
    """The smallest price difference the capacity rounds tell apart: :data:`MIN_PRICE_STEP` of
    the plan's mean cost per kg (``mean_per_kg``, in its units)."""
    return MIN_PRICE_STEP * mean_per_kg


def _reprice(
    prices: dict[str, float],
    below: dict[str, float],
    above: dict[str, float],
    over: dict[str, int],
    intake: Counter,
    problem: TierProblem,
    mean_per_kg: float,
) -> bool:
    """The next round's capacity prices, in place; whether any price changed.

    An overfilled facility's price rises by the plan's mean cost per kg times its relative
    overflow (between :data:`MIN_PRICE_STEP` and once the mean) until one is found at which
    it fits; from then on a bisection between the highest price that overfilled it and the
    lowest that did not, while the facility is left with room, until the two are within
    :data:`MIN_PRICE_STEP` of the mean cost per kg. Too high a price empties a facility that
    should take what it can (a subgradient step overshoots on whole truckloads).
    """
    changed = False
    for fid in set(prices) | set(over):
        price = prices.get(fid, 0.0)
        free = problem.free_capacity_kg[fid]
        if fid in over:
            below[fid] = max(below.get(fid, 0.0), price)
            if fid in above:
                prices[fid] = (below[fid] + above[fid]) / 2
            else:
                step = min(1.0, max(MIN_PRICE_STEP, over[fid] / max(1, free)))
                prices[fid] = price + mean_per_kg * step
            changed = True
        elif price > 0:
            above[fid] = min(above.get(fid, math.inf), price)
            room = intake.get(fid, 0) < free
            gap = above[fid] - below.get(fid, 0.0)
            if room and gap > _price_resolution(mean_per_kg):
                prices[fid] = (below.get(fid, 0.0) + above[fid]) / 2
                changed = True
    return changed


def _repair_suffices(extra_milli: int, moved_kg: int, mean_per_kg: float) -> bool:
    """Whether a repair that sent ``moved_kg`` away from overfilled facilities for
    ``extra_milli`` implies a price within the prices' resolution (:func:`_price_resolution`). A
    price of ``extra_milli / moved_kg`` per kg into those facilities is the lowest at which the
    search itself would prefer the repaired plan; at or below the resolution the bisection would
    call it settled, so the capacity is worth next to nothing and pricing it would only split
    the time left into rounds. On Daoxian's collection tier a first round that overfilled a
    station by 3.6-19.7 t was made to fit for 39 CNY less to 8 CNY more (benchmarks/HISTORY.md);
    on its transfer tier, sending containers from the incinerator to the landfill implies
    85.8 CNY/t against a resolution of about 5, and is priced."""
    return extra_milli <= _price_resolution(mean_per_kg) * moved_kg


def _prices_paid(
    problem: TierProblem, engine: EngineData, routes: list[StartRoute], prices: dict[str, float]
) -> int:
    """What the capacity prices added to the cost of ``routes``: each unload's price per kg
    times the truck's payload, as the profiles charge it (rounded the same way)."""
    paid = 0
    for vehicle, route in zip(problem.vehicles, routes, strict=True):
        for kind, ref in route:
            if kind == "unload" and ref in prices:
                gap, payload = engine.fee_gap[(ref, vehicle.stream)], vehicle.payload_kg
                paid += int(round((gap + prices[ref]) * payload)) - int(round(gap * payload))
    return paid


def _carry_over(previous: pyvrp.Solution, data: pyvrp.ProblemData) -> pyvrp.Solution:
    """``previous`` on new data of the same shape (other prices)."""
    routes = [pyvrp.Route(data, visits(route), route.vehicle_type()) for route in previous.routes()]
    return pyvrp.Solution(data, routes)


def initial_penalties(engine: EngineData) -> tuple[list[float], float, float]:
    """PyVRP's starting penalties per kilogram of excess load and per second of time warp.

    Load: PyVRP's default (the midpoint of 0.1 and 100,000) per kilogram, or, where dearer, the
    mean arc's cost per mean job's kilograms plus the largest fee gap and capacity price an
    unload may save, so that a kilogram over never costs less than carrying it would. Scaled
    by cost alone, as the time warp is, X157-HD's load penalty (costs to 1e12) stood a
    thousand times above its peer's in the same units (5.4 % against 0.04 %, 10 s); the mean
    arc's cost alone was too weak a start on Daoxian, whose plans then stayed overloaded.
    Time warp: PyVRP's default per second, scaled by the dearest truck's cost per metre (our
    costs are milli-CNY per metre). A battery range's excess (in cost units): PyVRP's default;
    at one unit per unit a search from a start beyond the range found no feasible plan.
    """
    data = engine.data
    first = data.vehicle_type(0)
    cost = data.distance_matrix(first.profile)
    reachable = cost < (engine.unreachable[first.profile] if engine.unreachable else UNREACHABLE)
    np.fill_diagonal(reachable, False)
    mean_cost = first.unit_distance_cost * float(cost[reachable].mean()) if reachable.any() else 1.0
    pickups = [client.pickup[0] for client in data.clients()]
    mean_kg = float(np.mean(pickups)) if pickups else 1.0
    default = pyvrp.PenaltyParams()
    midpoint = (default.min_penalty + default.max_penalty) / 2
    per_kg = max(midpoint, mean_cost / max(1.0, mean_kg) + engine.surcharge_per_kg)
    per_second = midpoint * engine.cost_per_metre
    return [per_kg], per_second, midpoint


def _history_length(iterations: float) -> int:
    """Late acceptance's history for a run of about ``iterations`` iterations: a
    :data:`ITERATIONS_PER_HISTORY_SLOT`-th of them, at most PyVRP's default."""
    default = pyvrp.IteratedLocalSearchParams().history_length
    return int(min(default, max(1, iterations // ITERATIONS_PER_HISTORY_SLOT)))


def _every_type_reloads(types: list[pyvrp.VehicleType]) -> bool:
    """Whether every one of the vehicle ``types`` may unload and go on (a reload depot and at
    least one reload allowed)."""
    return all(vt.max_reloads > 0 and vt.reload_depots for vt in types)


def granular_neighbours(
    data: pyvrp.ProblemData, params: pyvrp.search.NeighbourhoodParams
) -> dict[pyvrp.Activity, list[pyvrp.Activity]]:
    """Each client's granular neighbourhood: PyVRP's (``params``), cut to the
    :data:`DISTANCE_ONLY_NEIGHBOURS` nearest for a client open for every truck's whole shift
    where the fleet is of one type (the capacitated VRP that HGS-CVRP's size was set for) or
    every type may reload (as on Daoxian's collection tier).

    PyVRP ranks a client's neighbours by proximity: their distance plus the wait time and time
    warp between the two windows. For a client open all day those terms vanish and the ranking
    is the distance alone. On the X set (34 instances, 10 CPU-s, seeds 0-2, beside PyVRP's 50)
    the nearest 20 gave a geometric-mean gap of 0.735 % against 0.940 % (72 runs better, 24
    worse), from more iterations (PyVRP alone ran 1.7 times as many on X-n502-k39). On
    Daoxian's collection tier (26 truck types, all reloading; 30 CPU-s, seeds 0-5, the whole
    day planned) they gave a mean of 56,741 against 57,469 CNY (5 seeds of 6 cheaper); at
    60 CPU-s, seeds 0-2, 55,431 against 56,296 (every seed cheaper). The multi-depot VRPTW
    set's types may not reload (its unload gates open at the end of the day,
    :func:`~wasteopt.routing.engine._trip_may_follow_unload`), so it keeps PyVRP's list.
    Elsewhere the wider list stays: with windows it ranks time-compatible clients first (cut to
    20, the multi-depot VRPTW set came out worse on 20 of 21 runs), and on the heterogeneous-
    fleet set, whose trucks make one trip each, it came out worse (1.688 % against 1.232 %;
    X157-HD near 5 % on every seed).
    """
    neighbours = pyvrp.search.compute_neighbours(data, params)
    types = data.vehicle_types()
    if len(types) > 1 and not _every_type_reloads(types):
        return neighbours
    day_start = min(vt.tw_early for vt in types)
    day_end = max(vt.tw_late for vt in types)
    clients = data.clients()
    for activity, nearest in neighbours.items():
        client = clients[activity.idx]
        if client.tw_early <= day_start and client.tw_late >= day_end:
            neighbours[activity] = nearest[:DISTANCE_ONLY_NEIGHBOURS]
    return neighbours


def perturbation_params(data: pyvrp.ProblemData) -> pyvrp.search.PerturbationParams:
    """PyVRP's perturbation parameters, with at most :data:`RELOADING_MAX_PERTURBATIONS` moves
    an iteration where every truck type may reload (Daoxian's tiers, the multi-trip set).

    There a local-search call costs most: each perturbed client's moves are re-evaluated on
    long routes of several trips, and PyVRP's reload move tries every reload depot of the
    route's type (2.6 ms a call on Daoxian's collection tier against 0.34 ms on X-n502-k39,
    whose trucks make one trip). With 1 to 10 moves instead of 1 to 25, that tier ran 2.2-3.4
    times the iterations in 60 CPU-s and came out cheaper on all seven seeds (0-6: mean 54,486
    against 54,769 CNY). Of the bounds 5, 10, 15 and 25 (seeds 0-3), 10 was cheapest: 5 ran
    twice its iterations and 15 two thirds of them, both dearer. On the multi-trip set (one
    type, reloading; 30 CPU-s, seeds 0-2, side by side) the geometric-mean gap went from -1.835
    to -2.553 %, 30 runs of 33 cheaper; on ten multi-trip instances outside the development
    set, from -4.561 to -4.961 %, 22 of 30 (benchmarks/HISTORY.md). Elsewhere PyVRP's default
    stays: the CVRP, heterogeneous-fleet and multi-depot sets' trucks make one trip each.
    """
    default = pyvrp.search.PerturbationParams()
    if _every_type_reloads(data.vehicle_types()):
        return pyvrp.search.PerturbationParams(
            default.min_perturbations, RELOADING_MAX_PERTURBATIONS
        )
    return default


def _search(
    engine: EngineData,
    stop: _Stop,
    seed: int,
    initial: pyvrp.Solution | None,
    fitting_cost: Callable[[pyvrp.Solution], int | None] | None = None,
    report_fitting: Callable[[int], None] | None = None,
) -> tuple[pyvrp.Solution, int, pyvrp.Solution | None]:
    """The best solution of PyVRP's iterated local search (its default operators) with
    penalties scaled to the data (:func:`initial_penalties`), its iteration count, and, where
    ``fitting_cost`` is given, the last of the run's new bests that fit (``fitting_cost`` not
    ``None``; ``None`` if none did), each of whose costs goes to ``report_fitting`` where given.

    The search starts from a local optimum of ``initial`` (or of a random solution) under the
    largest penalties, as PyVRP's own ``solve`` does: late acceptance compares candidates with
    the start until its history fills, and an unimproved greedy start let poor candidates in.
    Under the starting penalties that local optimum was infeasible in 7 of 9 greedy starts on
    the heterogeneous-fleet set (X157-HD, X204-FSMD, X627-HVRP, seeds 0-2), and the battery
    trucks' greedy routes on Daoxian exceed the range the search bounds them by. The history
    is sized to the iterations the budget affords (:func:`_history_length`), timed over the first
    :data:`CALIBRATION_ITERATIONS`: where a run affords a few thousand iterations (Daoxian's
    collection tier, about 3,500 in 30 CPU-s), shorter histories found cheaper plans (see
    :data:`ITERATIONS_PER_HISTORY_SLOT`).
    Routes are eliminated (:func:`~wasteopt.routing.fewer_routes.fewer_routes`) twice: from
    the calibration's best, and from the run's; the run ends early by the time the first
    elimination took, so that the second fits the budget. Whole routes, trips or halves of
    routes then move to idle trucks where that pays
    (:func:`~wasteopt.routing.idle_trucks.to_idle_trucks`), then routes change trucks where
    that pays (:func:`~wasteopt.routing.truck_assignment.reassigned`), and the plan is searched
    once more after each move; not after the caller asked the search to stop (they took 0.5 s
    of the 0.7 s a stopped search of Daoxian's collection tier ran on).

    PyVRP sees no daily capacity, so a run's best may overfill a facility that an earlier
    best of the same run did not: on Daoxian (seed 1, 60 s) the second round's best overfilled
    a station by 2.2 t and its whole half of the budget was lost to the first round's plan.
    """
    data = engine.data
    params = pyvrp.SolveParams(perturbation=perturbation_params(data))
    penalties = initial_penalties(engine)
    ceiling = PENALTY_CEILING_FACTOR * max(penalties[0][0], penalties[1])
    penalty_params = pyvrp.PenaltyParams(max_penalty=max(ceiling, params.penalty.min_penalty))
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    neighbours = granular_neighbours(data, params.neighbourhood)
    search = pyvrp.search.LocalSearch(
        data, rng, neighbours, pyvrp.search.PerturbationManager(params.perturbation)
    )
    for operator in params.operators:
        if operator.supports(data):
            search.add_operator(operator(data))
    manager = pyvrp.PenaltyManager(penalties, penalty_params)
    start = initial if initial is not None else pyvrp.Solution.make_random(data, rng)
    current = search(start, manager.max_cost_evaluator(), True)
    reassign = partial(reassigned, data, kinds=engine.type_stream)
    searched = _RarePolish(search, search.statistics.num_moves, reassign)
    fitting = _LastFitting(fitting_cost, report_fitting)
    if current.is_feasible():
        stop.offer(_UNPENALISED.cost(current))
        fitting.on_best(current)

    def run(solution: pyvrp.Solution, history: int) -> pyvrp.Result:
        ils = pyvrp.IteratedLocalSearchParams(history_length=history, callbacks=fitting)
        algorithm = pyvrp.IteratedLocalSearch(data, manager, searched, solution, ils)
        return algorithm.run(stop, collect_stats=False)

    began = time.perf_counter()
    stop.pause_after(CALIBRATION_ITERATIONS)
    calibration = run(current, _history_length(math.inf))
    stop.pause_after(None)
    per_iteration = (time.perf_counter() - began) / max(1, calibration.num_iterations)

    def eliminate(solution: pyvrp.Solution) -> pyvrp.Solution:
        evaluator = manager.max_cost_evaluator()
        fewer = fewer_routes(
            data, solution, neighbours, evaluator, rng, params, stop.deadline, stop.should_stop
        )
        if fewer is None:
            return solution
        fewer = _polished(search, manager, fewer)
        log.info(
            "compiled search: route elimination, %d -> %d routes",
            solution.num_routes(),
            fewer.num_routes(),
        )
        stop.offer(_UNPENALISED.cost(fewer))
        return fewer

    eliminating = time.perf_counter()
    current = eliminate(calibration.best)
    # the last elimination gets the time the first took (no time under an iteration limit)
    reserve = time.perf_counter() - eliminating if stop.max_iterations is None else 0.0
    affordable = stop.iterations_left()
    if affordable is None:
        affordable = max(0.0, stop.deadline - reserve - time.perf_counter()) / per_iteration
    stop.deadline -= reserve
    result = run(current, _history_length(calibration.num_iterations + affordable))
    stop.deadline += reserve
    best = eliminate(_polished(search, manager, result.best))
    stop.offer(_UNPENALISED.cost(best))
    while (
        not stop.requested
        and best.is_feasible()
        and (moved := _truck_moves(data, reassign, best)) is not None
    ):
        best = _polished(search, manager, moved)  # moves keep a plan feasible
        stop.offer(_UNPENALISED.cost(best))
    fitting.on_best(best)
    return best, calibration.num_iterations + result.num_iterations, fitting.solution


def _truck_moves(
    data: pyvrp.ProblemData,
    reassign: Callable[[pyvrp.Solution], pyvrp.Solution | None],
    best: pyvrp.Solution,
) -> pyvrp.Solution | None:
    """``best`` after work moves to idle trucks where that pays, else after its routes change
    trucks of their stream where that pays (``reassign``,
    :func:`~wasteopt.routing.truck_assignment.reassigned`); ``None`` when neither does."""
    moved = to_idle_trucks(data, best)
    if moved is not None:
        return moved
    swapped = reassign(best)
    if swapped is not None:
        log.info(
            "compiled search: trucks reassigned, %d -> %d",
            _UNPENALISED.cost(best),
            _UNPENALISED.cost(swapped),
        )
    return swapped


class _LastFitting(pyvrp.IteratedLocalSearchCallbacks):
    """Keeps the last new best that fits (``fitting_cost`` not ``None``; nothing without
    ``fitting_cost``), and hands each such best's cost to ``report`` where given."""

    def __init__(
        self,
        fitting_cost: Callable[[pyvrp.Solution], int | None] | None,
        report: Callable[[int], None] | None = None,
    ):
        super().__init__()
        self.fitting_cost = fitting_cost
        self.report = report
        self.solution: pyvrp.Solution | None = None

    def on_best(self, best: pyvrp.Solution) -> None:
        if self.fitting_cost is None or not best.is_feasible():
            return
        cost = self.fitting_cost(best)
        if cost is not None:
            self.solution = best
            if self.report is not None:
                self.report(cost)


def _polished(
    search: pyvrp.search.LocalSearch, manager: pyvrp.PenaltyManager, best: pyvrp.Solution
) -> pyvrp.Solution:
    """``best`` after one exhaustive local search (every client's neighbourhood), where that
    gives a cheaper feasible plan: the run's last new best may not have had one
    (:class:`_RarePolish`), nor a plan whose routes moved to idle trucks."""
    if not best.is_feasible():
        return best
    polished = search(best, manager.cost_evaluator(), True)
    if polished.is_feasible() and _UNPENALISED.cost(polished) < _UNPENALISED.cost(best):
        return polished
    return best


class _RarePolish:
    """PyVRP's local search as its iterated local search calls it, where the exhaustive search
    of a new best runs only if the searches since the previous new best evaluated at least as
    many moves as the last exhaustive search did: a best is polished for no more than it took
    to find (moves, not seconds, so that a run under an iteration limit repeats).

    PyVRP polishes every new best. Where bests come often, that is most of the search: on
    Daoxian's collection tier, a best every 7 iterations, it took 63 % of a 20 CPU-s search
    (42 exhaustive searches of 0.31 s against 285 iterations of 19 ms); on X-n502-k39, a best
    every 75 iterations, 11 %; on PR12A, every 37, 21 %. Those two keep PyVRP's polish by the
    rule; Daoxian's young search skips it until bests grow rare.

    A polished best that is feasible also has its routes' trucks reassigned where that pays
    (:func:`~wasteopt.routing.truck_assignment.reassigned`), a move none of PyVRP's operators
    makes, and the search goes on from there. On the multi-depot set (10 CPU-s, seeds 0-2)
    that took the geometric-mean gap from 0.30 to -0.04 %, 16 of 21 runs cheaper, against
    reassigning only the run's last best; on Daoxian's day (30 CPU-s, seeds 0-5) the
    collection tier came out level (56,130 against 56,143 CNY on average).
    """

    def __init__(
        self,
        search: pyvrp.search.LocalSearch,
        polish_moves: int,
        reassign: Callable[[pyvrp.Solution], pyvrp.Solution | None],
    ):
        self.search = search
        self.polish_moves = polish_moves  # moves the last exhaustive search evaluated
        self.since_best = 0  # moves evaluated since the last new best
        self.reassign = reassign  # a feasible polished best's trucks, where that pays

    def __call__(
        self, solution: pyvrp.Solution, evaluator: pyvrp.CostEvaluator, exhaustive: bool = False
    ) -> pyvrp.Solution:
        if not exhaustive:
            found = self.search(solution, evaluator, False)
            self.since_best += self.search.statistics.num_moves
            return found
        spent, self.since_best = self.since_best, 0
        if spent < self.polish_moves:
            return solution
        polished = self.search(solution, evaluator, True)
        self.polish_moves = self.search.statistics.num_moves
        if not polished.is_feasible():
            return polished
        swapped = self.reassign(polished)
        return polished if swapped is None else swapped


def _offset(on_best: Callable[[int], None], constant: int) -> Callable[[float], None]:
    """``on_best`` of PyVRP's cost plus the fees outside PyVRP's objective."""
    return lambda cost: on_best(int(cost) + constant)


class _Stop:
    """PyVRP's stopping criterion: a deadline, an iteration count, a caller's stop, progress;
    it may also pause a run after a number of iterations (:meth:`pause_after`)."""

    def __init__(
        self,
        deadline: float,
        max_iterations: int | None,
        should_stop: Callable[[], bool] | None,
        on_best: Callable[[float], None] | None,
    ):
        self.deadline = deadline
        self.max_iterations = max_iterations
        self.should_stop = should_stop
        self.on_best = on_best
        self.best = math.inf
        self.asked_at = -math.inf
        self.iterations = 0
        self.pause_at: int | None = None
        self.requested = False  # the caller asked the search to stop

    def offer(self, cost: float) -> None:
        """Report ``cost`` as the best so far if it is lower than the best seen (PyVRP's cost
        of an infeasible solution is the largest 64-bit integer: not a plan)."""
        if cost < min(self.best, INFEASIBLE_COST):
            self.best = cost
            if self.on_best is not None:
                self.on_best(cost)

    def pause_after(self, iterations: int | None) -> None:
        """End the current run after ``iterations`` more (``None``: no pause)."""
        self.pause_at = None if iterations is None else self.iterations + iterations

    def iterations_left(self) -> int | None:
        """The iterations left under the iteration limit (``None``: no limit)."""
        if self.max_iterations is None:
            return None
        return max(0, self.max_iterations - self.iterations)

    def __call__(self, best_cost: float) -> bool:
        self.offer(best_cost)
        if self.requested:
            return True
        if self.pause_at is not None and self.iterations >= self.pause_at:
            return True
        if self.max_iterations is not None and self.iterations >= self.max_iterations:
            return True
        now = time.perf_counter()
        if now >= self.deadline:
            return True
        if self.should_stop is not None and now - self.asked_at >= STOP_POLL_S:
            self.asked_at = now  # the caller's check may cost (the API's reads a pipe flag)
            if self.should_stop():
                self.requested = True
                return True
        self.iterations += 1
        return False


def solve_compiled(
    problem: TierProblem,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    budget: SearchBudget,
    seed: int,
    max_iterations: int | None = None,
    start: list[StartRoute] | None = None,
) -> CompiledResult | None:
    """PyVRP's best plan of ``problem`` within ``budget`` (and ``max_iterations`` per round,
    where given), from ``start`` where given (one route per vehicle); ``None`` when it found
    no feasible plan.

    Capacity pricing: while the plan overfills a facility, that facility's price per kilogram
    rises by the plan's mean cost per kilogram times its relative overflow (at most once the
    mean cost, at least :data:`MIN_PRICE_STEP` of it), and the search goes
    on from the plan under the new prices, each round with half the time left; once a plan
    fits, the search goes on at the same prices for the rest of the time. A round whose plan
    overfills offers two plans that fit: its plan with trips sent to facilities with room
    (:func:`~wasteopt.routing.redirect.redirected`; the next round goes on from it), and its
    last new best that fitted. Where sending the overflow elsewhere cost next to nothing
    (:func:`_repair_suffices`), the repaired plan counts as the round's and no price rises. The
    cheapest plan that fits is returned, else the last one found (``fits`` False).
    """
    started = time.perf_counter()
    deadline, should_stop, on_best = budget.deadline, budget.should_stop, budget.on_best
    if not problem.jobs or not problem.vehicles:
        return None
    if any(v.vehicle_type.battery and not v.vehicle_type.cost_per_km for v in problem.vehicles):
        return None  # a range bounds a battery truck's cost only where kilometres cost
    prices: dict[str, float] = {}
    may_overfill = any(
        sum(job.kg for job in problem.jobs if job.stream in f.streams)
        > problem.free_capacity_kg.get(f.id, 0)
        for f in problem.facilities
        if problem.free_capacity_kg.get(f.id, 0) > 0
    )
    total_kg = sum(job.kg for job in problem.jobs) or 1
    previous: pyvrp.Solution | None = None
    best: tuple[list[StartRoute], bool, int] | None = None
    iterations = rounds = 0
    below: dict[str, float] = {}  # per facility, the highest price that still overfilled it
    above: dict[str, float] = {}  # and the lowest at which it fitted
    best_prices: dict[str, float] = {}
    single_trip = (
        frozenset() if start is None else single_trip_groups(problem, distance_m, site_index, start)
    )
    served = frozenset(ref for route in start or [] for kind, ref in route if kind == "job")
    first: EngineData | None = None  # the first round's, where built to check the ranges
    if served and any(v.vehicle_type.battery for v in problem.vehicles):
        first = engine_data(problem, distance_m, duration_s, site_index, {}, single_trip, served)
        cut = beyond_range(problem, first, start or [])
        if cut:
            served -= cut
            first = with_required(first, served)
    unsettled = may_overfill
    while rounds < MAX_ROUNDS:
        if rounds == 0 and first is not None:
            engine = first
        else:
            engine = engine_data(
                problem, distance_m, duration_s, site_index, prices, single_trip, served
            )
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        # Rounds split the time in halves while capacity prices change the plan.
        share = 1.0
        if unsettled and rounds < MAX_ROUNDS - 1:
            share = ROUND_SHARE if not max_iterations else 1.0
        round_deadline = time.perf_counter() + share * left
        stop = _Stop(
            round_deadline,
            max_iterations,
            should_stop,
            _offset(on_best, engine.constant_milli) if on_best and not may_overfill else None,
        )
        if previous is not None:
            initial = _carry_over(previous, engine.data)
        else:
            initial = None if start is None else encode(problem, engine, start)
            if start is not None and initial is None:
                log.info("compiled search: the start uses a truck given to another stream")
                return None  # OR-Tools searches alone
            if initial is not None and initial.is_feasible():
                # the start is a plan already, before PyVRP builds its neighbourhoods
                stop.offer(_UNPENALISED.cost(initial))
        searched = reload_territories(engine, initial)
        if initial is not None and searched is not engine:
            initial = _carry_over(initial, searched.data)
        fitting_cost = partial(_fitting_cost, problem, engine, prices) if may_overfill else None
        # where a plan may overfill, progress hears only of the bests that fit, at their cost
        # without prices: PyVRP's costs hold the prices, and its plans may overfill (on the
        # example of the tests, a first round's best of 1,252 CNY against 4,565 for the plan)
        report = on_best if may_overfill else None
        found, count, fitting = _search(
            searched, stop, seed + rounds, initial, fitting_cost, report
        )
        rounds += 1
        iterations += count
        if not found.is_feasible():
            if previous is None:
                break
            continue  # the next round goes on from the last feasible plan
        routes = decode(problem, engine, found)
        cleaned = encode(problem, engine, routes)  # without the empty trips decode leaves out
        previous = cleaned if cleaned is not None and cleaned.is_feasible() else found
        intake = _intake(problem, routes)
        over = _overfilled(problem, intake)
        cost = _true_cost(problem, engine, previous, routes, prices)
        fitting_plans = [] if over else [(routes, cost)]
        if over:
            # the round's plan with trips sent where there is room, and its last best that fitted
            fits_route = partial(_route_fits, problem, engine)
            repaired = redirected(problem, routes, distance_m, duration_s, site_index, fits_route)
            solution = None
            if repaired is not None:
                solution = encode(problem, engine, repaired, keep_last_unload=True)
            if solution is not None and solution.is_feasible():
                previous = solution  # the next round goes on from a plan that fits
                repaired_cost = _true_cost(problem, engine, solution, repaired, prices)
                fitting_plans.append((repaired, repaired_cost))
                repaired_intake = _intake(problem, repaired)
                moved_kg = sum(intake[fid] - repaired_intake[fid] for fid in over)
                if _repair_suffices(repaired_cost - cost, moved_kg, cost / total_kg):
                    log.info("compiled search: round %d's plan fits once repaired", rounds)
                    over = {}  # the repair is the round's plan; prices stay as they are
            if fitting is not None:
                fitting_routes = decode(problem, engine, fitting)
                fitting_plans.append(
                    (fitting_routes, _true_cost(problem, engine, fitting, fitting_routes, prices))
                )
        for plan, plan_cost in fitting_plans:
            if best is None or not best[1] or plan_cost < best[2]:
                best, best_prices = (plan, True, plan_cost), dict(prices)
        if best is None:
            best = (routes, False, cost)
        if should_stop is not None and should_stop():
            break
        unsettled = _reprice(prices, below, above, over, intake, problem, cost / total_kg)
        if not unsettled and not over and best[1] and prices != best_prices:
            prices, previous = dict(best_prices), None  # the rest from the best plan that fits
            start = best[0]
        if not unsettled and (share == 1.0 or budget.counts_iterations):
            break
        log.info("compiled search: round %d overfills %s; prices %s", rounds, over, prices)
    if best is None:
        return None
    routes, fits, objective = best
    log.info(
        "compiled search: %d iterations in %d rounds, %.1f s, fits capacities: %s",
        iterations,
        rounds,
        time.perf_counter() - started,
        fits,
    )
    return CompiledResult(routes, iterations, rounds, fits, objective)
