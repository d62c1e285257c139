"""The location model in OR-Tools CP-SAT, solved to proven optimality or a reported gap.

Costs inside the solver are whole CNY per year and tonnes are kilograms.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

import numpy as np
from ortools.sat.python import cp_model

from wasteopt.errors import InfeasibleError, WasteoptError
from wasteopt.planning import Progress
from wasteopt.siting.options import SitingOptions
from wasteopt.siting.problem import LocationProblem
from wasteopt.siting.result import SitingResult, evaluate, siting_result
from wasteopt.units import TONNE_TOL, tonnes_to_kg

log = logging.getLogger(__name__)


def kept_open(problem: LocationProblem, options: SitingOptions) -> frozenset[str]:
    """Station ids that must be open: ``force_open``, and with ``keep_existing`` every
    station open today."""
    today = {st.id for st in problem.stations if st.status == "open"}
    return options.force_open | (today if options.keep_existing else frozenset())


def _station_states(
    problem: LocationProblem, options: SitingOptions
) -> tuple[list[int], list[int], list[int]]:
    """Indices of stations forced open, forced closed and free; raises on unknown ids."""
    ids = [st.id for st in problem.stations]
    for label, wanted in (
        ("forced open", options.force_open),
        ("forced closed", options.force_closed),
    ):
        unknown = sorted(set(wanted) - set(ids))
        if unknown:
            raise WasteoptError(
                f"{label}: unknown transfer station(s) {', '.join(unknown)};"
                f" known: {', '.join(ids)}"
            )
    must_open = kept_open(problem, options)
    both = sorted(must_open & options.force_closed)
    if both:
        raise WasteoptError(
            f"station(s) {', '.join(both)} are open today, kept open and forced closed;"
            " drop one of the two"
        )
    forced_open = [j for j, i in enumerate(ids) if i in must_open]
    forced_closed = [
        j
        for j, st in enumerate(problem.stations)
        if st.id in options.force_closed or (st.status == "closed" and st.id not in must_open)
    ]
    free = [j for j in range(len(ids)) if j not in forced_open and j not in forced_closed]
    return forced_open, forced_closed, free


def _count_bounds(options: SitingOptions, usable: int, forced: int) -> tuple[int, int]:
    low, high = options.count_range()
    high = usable if high is None else high
    if low > usable:
        raise WasteoptError(
            f"asked for {low} station(s) but only {usable} candidate site(s) can open;"
            " lower the number or add candidate sites"
        )
    if high < forced:
        raise WasteoptError(
            f"{forced} station(s) are forced open but at most {high} may open;"
            " allow more stations or force fewer open"
        )
    return low, min(high, usable)


def _check_request(
    problem: LocationProblem, options: SitingOptions
) -> tuple[list[int], list[int], int, int]:
    """Catch requests that cannot be met before the solver does, naming what to change."""
    forced_open, forced_closed, free = _station_states(problem, options)
    usable = forced_open + free
    low, high = _count_bounds(options, len(usable), len(forced_open))
    if options.budget is not None:
        extra = max(0, low - len(forced_open))
        need = (
            problem.fixed_cost[forced_open].sum() + np.sort(problem.fixed_cost[free])[:extra].sum()
        )
        if options.budget < need:
            raise WasteoptError(
                f"budget {options.budget:,.0f} CNY/yr is below {need:,.0f} CNY/yr, the fixed cost"
                " of the forced-open stations and the cheapest ones to reach the minimum number;"
                " raise the budget or force fewer stations open"
            )
    no_direct = np.isnan(problem.direct.transport)
    for u in np.flatnonzero(no_direct):
        if problem.unit_stream[u] not in problem.streams:
            raise WasteoptError(
                f"point {problem.units[u][0]} ({problem.unit_stream[u]}) may not haul direct and"
                " no transfer station takes that stream; allow direct haul"
            )
    for s, stream in enumerate(problem.streams):
        must = [u for u in np.flatnonzero(no_direct) if problem.unit_stream[u] == stream]
        must_t = float(problem.unit_tonnes[must].sum())
        takers = [j for j in usable if not np.isnan(problem.trip.transport[j, s])]
        most = float(np.sort(problem.capacity_t[takers])[::-1][:high].sum())
        if must_t > most + TONNE_TOL:
            raise WasteoptError(
                f"{must_t:.1f} t/day of {stream} waste must go through transfer stations (no"
                f" direct haul) but the {min(high, len(takers))} largest usable station(s) take"
                f" only {most:.1f} t/day; add candidate sites or capacity, allow more stations,"
                " or allow direct haul (raise the direct-haul distance limit)"
            )
    return forced_open, forced_closed, low, high


def _annual(daily: float, days: int) -> int:
    """Whole CNY per year of a daily figure."""
    return int(round(daily * days))


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Passes every improving configuration's cost to ``progress``."""

    def __init__(self, progress: Callable[[Progress], None], started: float):
        super().__init__()
        self._progress = progress
        self._started = started

    def on_solution_callback(self) -> None:
        elapsed = time.perf_counter() - self._started
        self._progress(Progress("siting", elapsed, self.objective_value))


def _run(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    started: float,
    progress: Callable[[Progress], None] | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[int, bool]:
    """Solve, polling ``should_stop`` every 0.1 s from this thread; (status, stopped)."""
    callback = _Reporter(progress, started) if progress is not None else None
    if should_stop is None:
        return solver.solve(model, callback), False
    outcome: list[int] = []
    worker = threading.Thread(target=lambda: outcome.append(solver.solve(model, callback)))
    worker.start()
    stopped = False
    while worker.is_alive():
        worker.join(0.1)
        if not stopped and worker.is_alive() and should_stop():
            solver.stop_search()
            stopped = True
    return outcome[0], stopped


def solve_problem(
    problem: LocationProblem,
    options: SitingOptions = SitingOptions(),
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SitingResult:
    """Choose stations and assignments with CP-SAT.

    ``progress`` receives each improving configuration's cost (tier ``"siting"``, CNY/yr);
    ``should_stop`` is polled every 0.1 s and ends the search with the best answer so far.
    Raises WasteoptError for a request that cannot be met and InfeasibleError when the solver
    proves none exists or finds none in time.
    """
    forced_open, forced_closed, low, high = _check_request(problem, options)
    days, price = problem.days_per_year, problem.carbon_price_per_t
    n_units, n_st = problem.assign.transport.shape
    assign_cost = problem.assign.cost(price)
    direct_cost = problem.direct.cost(price)
    trip_cost = problem.trip.cost(price)
    model = cp_model.CpModel()
    y = [model.new_bool_var(f"open[{st.id}]") for st in problem.stations]
    for j in forced_open:
        model.add(y[j] == 1)
    for j in forced_closed:
        model.add(y[j] == 0)
    model.add(sum(y) >= low)
    model.add(sum(y) <= high)
    if options.budget is not None:
        fixed = [int(math.ceil(c)) for c in problem.fixed_cost]
        model.add(sum(c * v for c, v in zip(fixed, y, strict=True)) <= int(options.budget))
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    terms = [_annual(c, 1) * v for c, v in zip(problem.fixed_cost, y, strict=True)]
    # Without a minimum number of stations, sending a unit to a station that costs at least as
    # much as direct haul (before container trips) never pays: direct haul has no capacity.
    with np.errstate(invalid="ignore"):
        dominated = (assign_cost >= direct_cost[:, None]) & (low == 0)
    for u in range(n_units):
        choices = []
        for j in range(n_st):
            if not np.isnan(assign_cost[u, j]) and j not in forced_closed and not dominated[u, j]:
                x[u, j] = model.new_bool_var(f"x[{u},{j}]")
                model.add_implication(x[u, j], y[j])
                choices.append(x[u, j])
                terms.append(_annual(assign_cost[u, j], days) * x[u, j])
        if not np.isnan(direct_cost[u]):
            haul = model.new_bool_var(f"direct[{u}]")
            choices.append(haul)
            terms.append(_annual(direct_cost[u], days) * haul)
        model.add_exactly_one(choices)
    kg = [tonnes_to_kg(t) for t in problem.unit_tonnes]
    trips: dict[tuple[int, int], cp_model.IntVar] = {}
    for j in range(n_st):
        mine = [u for u in range(n_units) if (u, j) in x]
        if not mine:
            model.add(y[j] == int(j in forced_open))
            continue
        cap = tonnes_to_kg(problem.capacity_t[j])
        model.add(sum(kg[u] * x[u, j] for u in mine) <= cap * y[j])
        if j not in forced_open:  # a station opens only to receive waste
            model.add(y[j] <= sum(x[u, j] for u in mine))
        for s in range(len(problem.streams)):
            flow = [u for u in mine if problem.stream_index(u) == s]
            if flow:
                box = tonnes_to_kg(problem.container_t[j, s])
                most = -(-min(cap, sum(kg[u] for u in flow)) // box)
                trips[j, s] = model.new_int_var(0, most, f"trips[{j},{s}]")
                model.add(trips[j, s] * box >= sum(kg[u] * x[u, j] for u in flow))
                for u in flow:  # any waste at all takes a whole container trip
                    model.add(trips[j, s] >= x[u, j])
                terms.append(_annual(trip_cost[j, s], days) * trips[j, s])
    model.minimize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = options.time_limit_s
    solver.parameters.random_seed = options.seed
    solver.parameters.num_workers = options.workers
    solver.parameters.relative_gap_limit = options.gap_limit
    started = time.perf_counter()
    status, stopped = _run(solver, model, started, progress, should_stop)
    seconds = time.perf_counter() - started
    if status == cp_model.INFEASIBLE:
        raise InfeasibleError(
            "no station configuration meets the request (station count, budget, capacities and"
            " forced stations together); relax the count or budget, or add capacity"
        )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if stopped:
            raise InfeasibleError("siting was stopped before any station configuration was found")
        raise InfeasibleError(
            f"no station configuration found within {options.time_limit_s:g} s;"
            " raise the time limit"
        )
    chosen = [
        next((j for j in range(n_st) if (u, j) in x and solver.value(x[u, j])), None)
        for u in range(n_units)
    ]
    opened = [j for j in range(n_st) if solver.value(y[j])]
    evaluation = evaluate(problem, chosen, opened)  # the fewest full containers per station
    objective, bound = solver.objective_value, solver.best_objective_bound
    log.info(
        "siting: %s cost %.0f bound %.0f in %.1f s",
        solver.status_name(status),
        objective,
        bound,
        seconds,
    )
    if objective - bound < 0.5:
        ended = "optimal"
    elif status == cp_model.OPTIMAL:
        ended = "gap_limit"
    else:
        ended = "stopped" if stopped else "time_limit"
    return siting_result(problem, chosen, opened, evaluation, ended, objective, bound, seconds)
