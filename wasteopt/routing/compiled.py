"""The compiled search: one tier solved by PyVRP's iterated local search, as a start for OR-Tools.

PyVRP (Wouters et al. 2024, INFORMS Journal on Computing) evaluates relocate, swap, 2-opt* and
reload moves in constant time from concatenated route-segment data (Vidal et al. 2013,
Computers & OR 40(1); 2014, EJOR 234(3)) over granular neighbourhoods, with adaptive penalties
for load and time-window excess, and runs tens of thousands of iterations where OR-Tools'
Python-driven loop runs hundreds. The tier maps onto it as
:mod:`wasteopt.routing.engine` describes; each round's run of the search is
:func:`~wasteopt.routing.ils.iterated_search`.

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
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pyvrp

from wasteopt.routing.engine import (
    EngineData,
    beyond_range,
    decode,
    encode,
    engine_data,
    reload_territories,
    single_trip_groups,
    with_required,
)
from wasteopt.routing.ils import UNPENALISED, SearchStop, carry_over, iterated_search
from wasteopt.routing.problem import TierProblem
from wasteopt.routing.redirect import redirected, refilled, trips
from wasteopt.routing.regions import StartRoute
from wasteopt.routing.search import SearchBudget
from wasteopt.routing.strays import barred_after, strays, without_barred

log = logging.getLogger(__name__)

ROUND_SHARE = 0.5  # a round that may change prices gets half the time left
MAX_ROUNDS = 12  # a cap on rounds (each one halves the time left anyway)
MIN_PRICE_STEP = 0.05  # a price rises by at least this share of the plan's mean cost per kg


@dataclass(frozen=True)
class CompiledResult:
    """One start route per vehicle, PyVRP's statistics, and whether capacities fit."""

    routes: list[StartRoute]
    iterations: int
    rounds: int
    fits: bool
    objective_milli: int
    barred: frozenset[tuple[str, str]] = frozenset()  # the (job, yard) bars it was found under


@dataclass(frozen=True)
class _Best:
    """A plan the rounds found: whether it fits the capacities, its cost, its stray routes and
    the bars it was found under."""

    routes: list[StartRoute]
    fits: bool
    cost: int
    strays: int
    barred: frozenset[tuple[str, str]] = frozenset()

    def better_than(self, other: _Best) -> bool:
        """A plan that fits beats one that does not; then fewer strays, then a lower cost."""
        if self.fits != other.fits:
            return self.fits
        return (self.strays, self.cost) < (other.strays, other.cost)


def _stray_count(
    problem: TierProblem,
    engine: EngineData,
    routes: list[StartRoute],
    distance_m: np.ndarray,
    site_index: dict[str, int],
) -> int:
    """How many of ``routes`` (found on ``engine``) stray (:mod:`wasteopt.routing.strays`)."""
    if problem.stray_share is None:
        return 0
    solution = encode(problem, engine, routes)
    return len(strays(problem, engine, solution, distance_m, site_index)) if solution else 0


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


def _refills(
    problem: TierProblem,
    engine: EngineData,
    plans: list[tuple[list[StartRoute], int]],
    prices: dict[str, float],
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
) -> list[tuple[list[StartRoute], int]]:
    """Each of ``plans`` (routes that fit, and their objective) with trips sent to cheaper
    facilities that have room (:func:`~wasteopt.routing.redirect.refilled`), where any trip
    moves, at its objective (:func:`_true_cost`)."""
    fits_route = partial(_route_fits, problem, engine)
    out = []
    for routes, _ in plans:
        refill = refilled(problem, routes, distance_m, duration_s, site_index, fits_route)
        if refill is None:
            continue
        solution = encode(problem, engine, refill, keep_last_unload=True)
        if solution is not None and solution.is_feasible():
            out.append((refill, _true_cost(problem, engine, solution, refill, prices)))
    return out


def _true_cost(
    problem: TierProblem,
    engine: EngineData,
    solution: pyvrp.Solution,
    routes: list[StartRoute],
    prices: dict[str, float],
) -> int:
    """The objective (milli-CNY) of ``solution`` (decoded as ``routes``) without the capacity
    prices and with the fees outside PyVRP's objective."""
    cost = int(UNPENALISED.cost(solution)) + engine.constant_milli
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


def _offset(on_best: Callable[[int], None], constant: int) -> Callable[[float], None]:
    """``on_best`` of PyVRP's cost plus the fees outside PyVRP's objective."""
    return lambda cost: on_best(int(cost) + constant)


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
    (:func:`_repair_suffices`), the repaired plan counts as the round's and no price rises.
    Where the tier has a stray rule (``problem.stray_share``) and several yards, the first
    round, too, gets half the time, and a round whose plan has stray routes bars their far
    points from their yards (:mod:`wasteopt.routing.strays`) for the rounds after it. The
    cheapest plan that fits with the fewest strays is returned, with the bars it was found
    under, else the last one found (``fits`` False).
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
    best: _Best | None = None
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
    stray_rule = (
        problem.stray_share is not None and len({v.vehicle_type.yard for v in problem.vehicles}) > 1
    )
    unsettled = may_overfill or stray_rule
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
        stop = SearchStop(
            round_deadline,
            max_iterations,
            should_stop,
            _offset(on_best, engine.constant_milli) if on_best and not may_overfill else None,
        )
        if previous is not None:
            initial = without_barred(problem, engine, previous)
        else:
            initial = None if start is None else encode(problem, engine, start)
            if start is not None and initial is None:
                log.info("compiled search: the start uses a truck given to another stream")
                return None  # OR-Tools searches alone
            if initial is not None and initial.is_feasible():
                # the start is a plan already, before PyVRP builds its neighbourhoods
                stop.offer(UNPENALISED.cost(initial))
        searched = reload_territories(engine, initial)
        if initial is not None and searched is not engine:
            initial = carry_over(initial, searched.data)
        fitting_cost = partial(_fitting_cost, problem, engine, prices) if may_overfill else None
        # where a plan may overfill, progress hears only of the bests that fit, at their cost
        # without prices: PyVRP's costs hold the prices, and its plans may overfill (on the
        # example of the tests, a first round's best of 1,252 CNY against 4,565 for the plan)
        report = on_best if may_overfill else None
        found, count, fitting = iterated_search(
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
        round_strays = strays(problem, engine, previous, distance_m, site_index)
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
        if may_overfill:
            fitting_plans += _refills(
                problem, engine, fitting_plans, prices, distance_m, duration_s, site_index
            )
        for plan, plan_cost in fitting_plans:
            candidate = _Best(
                plan,
                True,
                plan_cost,
                _stray_count(problem, engine, plan, distance_m, site_index),
                problem.barred,
            )
            if best is None or candidate.better_than(best):
                best, best_prices = candidate, dict(prices)
        if best is None:
            best = _Best(routes, False, cost, len(round_strays), problem.barred)
        if should_stop is not None and should_stop():
            break
        unsettled = _reprice(prices, below, above, over, intake, problem, cost / total_kg)
        if round_strays:
            problem = replace(problem, barred=barred_after(problem, round_strays))
            unsettled = True
            log.info("compiled search: round %d's plan has %d strays", rounds, len(round_strays))
        if not unsettled and not over and best.fits and prices != best_prices:
            prices, previous = dict(best_prices), None  # the rest from the best plan that fits
            start = best.routes
        if not unsettled and (share == 1.0 or budget.counts_iterations):
            break
        log.info("compiled search: round %d overfills %s; prices %s", rounds, over, prices)
    if best is None:
        return None
    log.info(
        "compiled search: %d iterations in %d rounds, %.1f s, fits capacities: %s, strays: %d",
        iterations,
        rounds,
        time.perf_counter() - started,
        best.fits,
        best.strays,
    )
    return CompiledResult(best.routes, iterations, rounds, best.fits, best.cost, best.barred)
