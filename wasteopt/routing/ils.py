"""One run of PyVRP's iterated local search on a tier's data, as the compiled search
(:mod:`wasteopt.routing.compiled`) makes it each capacity round.

The run starts from a local optimum under the largest penalties, sizes late acceptance's
history to the iterations its budget affords, eliminates routes, polishes a new best only when
bests come rarely, and moves work to idle trucks and routes between trucks, moves that PyVRP's
operators do not make. :class:`SearchStop` carries the caller's deadline, iteration limit, stop
and progress into PyVRP's loop.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from functools import partial

import numpy as np
import pyvrp
import pyvrp.search

from wasteopt.routing.engine import UNREACHABLE, EngineData
from wasteopt.routing.fewer_routes import fewer_routes
from wasteopt.routing.idle_trucks import to_idle_trucks, visits
from wasteopt.routing.truck_assignment import reassigned

log = logging.getLogger(__name__)

PENALTY_CEILING_FACTOR = 1000.0  # penalties may grow to this many times their start
STOP_POLL_S = 0.05  # how often the caller's stop is asked (a stop takes effect well within 1 s)
# Iterations timed before late acceptance's history is sized (a fraction of a second on Daoxian)
CALIBRATION_ITERATIONS = 20
# The history holds one entry per this many of the iterations a run affords, at most PyVRP's
# 300. The whole development set at 10 CPU-s, seeds 0-2, beside 50 (which matched PyVRP's 300
# at X-n502-k39's ~15,000 iterations in 30 s): CVRP 0.723 against 0.786 %, heterogeneous
# fleet 1.209 against 1.460 %, multi-trip -1.337 against -1.184 %, multi-depot -0.417 against
# 0.704 %; Daoxian's collection tier, 30 CPU-s: 56,722 against 57,168 CNY (benchmarks/RESULTS.md)
ITERATIONS_PER_HISTORY_SLOT = 150
# A client's granular neighbourhood where its proximity is the distance alone and the fleet one
# type, or every type may reload: HGS-CVRP's size (Vidal 2022, Computers & OR 140, parameter
# nbGranular); PyVRP's default otherwise (granular_neighbours).
DISTANCE_ONLY_NEIGHBOURS = 20
# PyVRP's perturbation applies between 1 and this many moves an iteration where every truck
# type may reload (perturbation_params); PyVRP's default, 25, elsewhere
RELOADING_MAX_PERTURBATIONS = 10
UNPENALISED = pyvrp.CostEvaluator([0], 0, 0)  # a feasible solution's cost
INFEASIBLE_COST = np.iinfo(np.int64).max  # PyVRP's cost of an infeasible solution


def carry_over(previous: pyvrp.Solution, data: pyvrp.ProblemData) -> pyvrp.Solution:
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


def iterated_search(
    engine: EngineData,
    stop: SearchStop,
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
        stop.offer(UNPENALISED.cost(current))
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
        stop.offer(UNPENALISED.cost(fewer))
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
    stop.offer(UNPENALISED.cost(best))
    while (
        not stop.requested
        and best.is_feasible()
        and (moved := _truck_moves(data, reassign, best)) is not None
    ):
        best = _polished(search, manager, moved)  # moves keep a plan feasible
        stop.offer(UNPENALISED.cost(best))
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
            UNPENALISED.cost(best),
            UNPENALISED.cost(swapped),
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
    if polished.is_feasible() and UNPENALISED.cost(polished) < UNPENALISED.cost(best):
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


class SearchStop:
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
