"""Re-plan the rest of the day with the routing core, from the state at a clock time.

The collection tier's rest is searched from the revised plan's stops still to do (OR-Tools
from that start; the compiled search is left out, its depots being the yards), the transfer
tier's from scratch on the containers not hauled yet, and again from its own plan while that
leaves containers at the stations. Frozen stops are kept verbatim in front of each truck's new
rest; the whole day is then verified by the independent checker (frozen legs against the
matrices they were driven on).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial

from wasteopt.charging import charge_premium
from wasteopt.check import BACKLOG, STATION_BALANCE, STATION_ORDER, check_plan
from wasteopt.errors import InfeasibleError, PlanCheckError
from wasteopt.impact import assess
from wasteopt.matrix import MatrixProvider
from wasteopt.model import (
    Instance,
    Plan,
    ReplanStep,
    Route,
    SolveStats,
    Stop,
    TravelMatrices,
    Unserved,
    seconds_to_clock,
)
from wasteopt.planning import (
    Progress,
    _backlog,
    _container_jobs,
    _deliveries,
    _Diagnosis,
    _plan_cost,
    solver_tariff,
)
from wasteopt.replan.day import Day
from wasteopt.replan.diff import PlanDiff, plan_diff
from wasteopt.replan.events import Breakdown, TruckWithdrawn
from wasteopt.replan.position import with_positions
from wasteopt.replan.remainder import Remainder, remainder_tier
from wasteopt.replan.roads import replan_steps, roads_over_the_day
from wasteopt.replan.standing import standing_routes
from wasteopt.replan.state import VehicleState
from wasteopt.replan.stitch import (
    breakdown_route,
    joined,
    load_site,
    unload_and_home,
    whole_route,
)
from wasteopt.routing import Job, SearchOptions, TierProblem, TierSolution, kg_down
from wasteopt.routing.decode import decode_route
from wasteopt.routing.driver import solve_model
from wasteopt.routing.regions import StartRoute
from wasteopt.routing.search import RawRoute, RawSolution
from wasteopt.validate import ensure_valid

log = logging.getLogger(__name__)
STATION_RULES = frozenset({STATION_BALANCE, STATION_ORDER, BACKLOG})
# idle collection trucks of a type offered at a yard near the points left when most plans stand
# (assumption: two per type, enough for a broken truck's rest; all idle trucks made Daoxian's
# model slow). The transfer tier gets every idle hauler: with two per yard, Daoxian's stations
# kept 12-48 t after a 10:30 breakdown while idle haulers stood at the yard.
IDLE_PER_YARD = 2

# CNY per point given to another truck than the one that had it (assumption: about half an
# hour of a compactor's duty and driving cost on Daoxian, what calling a driver about a change
# and the confusion it brings are worth to a dispatcher)
DEFAULT_MOVE_PENALTY = 50.0

# searches of the transfer tier's rest from a plan that leaves containers at the stations, and
# the least time each is given (s)
COMPLETION_ROUNDS = 2
MIN_COMPLETION_S = 1.0


@dataclass(frozen=True)
class ReplanOptions:
    """Search budget of the collection tier's rest (the transfer tier's gets a quarter, at
    least 1 s) and the price of each point moved to another truck (0: no stability)."""

    time_limit_s: float = 10.0
    seed: int = 0
    solution_limit: int | None = None
    move_penalty: float = DEFAULT_MOVE_PENALTY
    metaheuristic: str = "ruin_recreate"  # "greedy_descent" with solution_limit 1: a first plan

    def search(self, seconds: float, compiled: bool) -> SearchOptions:
        return SearchOptions(
            time_limit_s=seconds, seed=self.seed, solution_limit=self.solution_limit,
            compiled=compiled, metaheuristic=self.metaheuristic,
        )  # fmt: skip


@dataclass(frozen=True)
class ReplanResult:
    """The checked whole-day plan, the day's instance it is checked against, the roads after
    any road event and their matrices, and the diff against the plan it revises. ``kept`` says
    the plan as it stood was kept: no re-plan saved more than the price of its changes."""

    plan: Plan
    instance: Instance
    network: MatrixProvider
    matrices: TravelMatrices
    diff: PlanDiff
    kept: bool


@dataclass(frozen=True)
class _Solved:
    remainder: Remainder
    rests: dict[str, Route]  # real vehicle id -> solved rest
    dropped: list[Job]
    stats: SolveStats


def _trim(routes: list[RawRoute]) -> tuple[list[RawRoute], list[str]]:
    """Cut the jobs after a route's last unload (the core prices "ends empty" softly)."""
    kept, cut = [], []
    for route in routes:
        unloads = [k for k, v in enumerate(route.visits) if v.kind == "unload"]
        end = unloads[-1] + 1 if unloads else 0
        if all(v.kind == "charge" for v in route.visits[end:]):
            end = len(route.visits)  # a charge on the way home stays
        cut += [v.ref for v in route.visits[end:] if v.kind == "job"]
        kept.append(replace(route, visits=route.visits[:end]))
    return kept, cut


def _solve(
    remainder: Remainder,
    options: SearchOptions,
    warm: bool,
    progress: Callable[[float, float], None] | None,
    should_stop: Callable[[], bool] | None,
) -> _Solved:
    problem, matrices = remainder.problem, remainder.matrices
    base = {"time_limit_s": options.time_limit_s, "seed": options.seed}
    if not problem.jobs or not problem.vehicles:
        return _Solved(remainder, {}, list(problem.jobs), SolveStats(**base))
    index = matrices.index()
    raw = solve_model(
        problem,
        matrices.distance_m,
        matrices.duration_s,
        index,
        options,
        progress,
        should_stop,
        start=remainder.start if warm else None,
    )
    if raw is None:
        raise InfeasibleError(
            f"the {problem.tier} tier's rest found no solution within {options.time_limit_s:g} s;"
            " give it more time"
        )
    if problem.tier == "transfer":
        raw = _complete(remainder, raw, options, progress, should_stop)
    routes, cut = _trim(raw.routes)
    rests = {}
    for route in routes:
        if route.visits:
            rest = decode_route(problem, route, matrices, index)
            rests[remainder.owner[rest.vehicle_id].vehicle_id] = rest
    jobs = {job.id: job for job in problem.jobs}
    stats = SolveStats(
        solver=f"replan:{problem.tier}",
        seconds=round(raw.seconds, 3),
        first_feasible_s=raw.first_feasible_s,
        objective=raw.objective / 1000.0,
        history=raw.history,
        iterations=raw.stats.iterations,
        stopped_early=raw.stats.stopped_early,
        time_limited=raw.stats.time_limited,
        **base,
    )
    return _Solved(remainder, rests, [*raw.dropped, *(jobs[ref] for ref in cut)], stats)


def _later(progress: Callable[[float, float], None], offset: float, s: float, c: float) -> None:
    """Progress of a search that began ``offset`` seconds into the tier's."""
    progress(offset + s, c)


def _left_out(problem: TierProblem, raw: RawSolution) -> float:
    """Tonnes a solution leaves out: its dropped jobs and those after a route's last unload."""
    tonnes = {job.id: job.tonnes for job in problem.jobs}
    _, cut = _trim(raw.routes)
    return round(sum(job.tonnes for job in raw.dropped) + sum(tonnes[ref] for ref in cut), 6)


def _complete(
    remainder: Remainder,
    raw: RawSolution,
    options: SearchOptions,
    progress: Callable[[float, float], None] | None,
    should_stop: Callable[[], bool] | None,
) -> RawSolution:
    """Search the transfer tier again from ``raw`` while it leaves containers at the stations
    and a search from it leaves fewer.

    The transfer tier's first search gets a quarter of the budget, and its plan often leaves
    containers out, or ends a route loaded (a last trip the search prices at half the unserved
    penalty, cut by :func:`_trim`), while trucks still have time for them: on Daoxian after a
    breakdown at 10:30, 12-48 t stayed at the stations with five hauler trucks unused. Ruin and
    recreate from that plan, its unfinished trips cut so that their containers are to be
    inserted, places them; each round gets a quarter of the tier's budget, at least
    :data:`MIN_COMPLETION_S`.
    """
    problem, matrices = remainder.problem, remainder.matrices
    again = replace(
        options,
        time_limit_s=max(MIN_COMPLETION_S, options.time_limit_s / 4),
        solution_limit=None,
        compiled=False,
        metaheuristic="ruin_recreate",
    )
    left = _left_out(problem, raw)
    for _ in range(COMPLETION_ROUNDS):
        if left <= 0 or (should_stop is not None and should_stop()):
            break
        start: list[StartRoute] = [[] for _ in problem.vehicles]
        for route in _trim(raw.routes)[0]:
            start[route.vehicle_index] = [(v.kind, v.ref) for v in route.visits]
        report = None if progress is None else partial(_later, progress, raw.seconds)
        better = solve_model(
            problem, matrices.distance_m, matrices.duration_s, matrices.index(), again,
            report, should_stop, start=start,
        )  # fmt: skip
        if better is None or _left_out(problem, better) >= left:
            break
        left = _left_out(problem, better)
        raw = replace(
            better,
            seconds=raw.seconds + better.seconds,
            first_feasible_s=raw.first_feasible_s,
            history=[*raw.history, *((raw.seconds + t, c) for t, c in better.history)],
            stats=raw.stats.plus(better.stats),
        )
    return raw


def _nearby(
    states: list[VehicleState], jobs: list[Job], matrices: TravelMatrices
) -> list[VehicleState]:
    """The trucks offered to the jobs left when most plans stand: every truck already on the
    road or with a planned route of its own, and of the others, up to :data:`IDLE_PER_YARD` of
    each type at the yard nearest to each job among those with one that carries its stream."""
    index = matrices.index()
    offered = [s for s in states if s.started or s.morning is not None]
    idle = [s for s in states if not (s.started or s.morning is not None)]
    chosen: set[tuple[str, str]] = set()
    for job in jobs:
        able = [s for s in idle if job.stream in s.vehicle_type.streams]
        if able:
            nearest = min(
                able,
                key=lambda s: matrices.duration_s[index[s.vehicle_type.yard], index[job.site_id]],
            )
            chosen.add((nearest.vehicle_type.yard, job.stream))
    count: dict[tuple[str, str], int] = {}
    for state in idle:
        vt = state.vehicle_type
        if any((vt.yard, stream) in chosen for stream in vt.streams):
            count[(vt.yard, vt.id)] = count.get((vt.yard, vt.id), 0) + 1
            if count[(vt.yard, vt.id)] <= IDLE_PER_YARD:
                offered.append(state)
    return offered


def _within_room(rests: dict[str, list[Stop]], room_t: dict[str, float]) -> None:
    """Leave out of ``rests`` the latest ones unloading at a facility until what they unload
    there fits its room (each rest holds on its own; together they may not)."""
    while True:
        load: dict[str, float] = {}
        for rest in rests.values():
            for stop in rest:
                if stop.action == "unload":
                    load[stop.site_id] = load.get(stop.site_id, 0.0) + stop.tonnes
        full = [f for f, tonnes in load.items() if tonnes > room_t.get(f, 0.0) + 1e-6]
        if not full:
            return
        last = max(
            (stop.depart, vehicle_id)
            for vehicle_id, rest in rests.items()
            for stop in rest
            if stop.action == "unload" and stop.site_id == full[0]
        )
        del rests[last[1]]


def _rests(
    tier: str,
    day: Day,
    matrices: TravelMatrices,
    jobs: list[Job],
    room_t: dict[str, float],
    options: ReplanOptions,
    keep_with: dict[str, str],
    warm: bool,
    progress: Callable[[Progress], None] | None,
    should_stop: Callable[[], bool] | None,
    kept: dict[str, list[Stop]],
) -> tuple[list[Route], _Solved]:
    """The tier's trucks' whole days: frozen stops, then the ``kept`` rest (trucks whose plan
    stands), the re-planned rest or the way home. ``room_t`` is each facility's room left
    today; it loses what withdrawn and kept trucks unload."""
    instance = day.instance
    states = [s for s in day.state.vehicles.values() if s.vehicle_type.tier == tier]
    facilities = [
        f
        for f in instance.open_facilities()
        if tier == "collection" or f.kind != "transfer_station"
    ]
    routes: dict[str, Route | None] = {}
    for state in states:
        if state.status == "broken":
            routes[state.vehicle_id] = breakdown_route(state, matrices)
        elif state.status == "withdrawn" and state.started:
            routes[state.vehicle_id] = unload_and_home(state, facilities, room_t, matrices)
        elif state.status == "finished":
            routes[state.vehicle_id] = whole_route(state, state.done)
    planned = [s for s in states if s.status in ("idle", "working")]
    for vehicle_id, rest in kept.items():
        state = day.state.vehicles[vehicle_id]
        routes[vehicle_id] = whole_route(state, [*state.done, *rest])
        for stop in rest:
            if stop.action == "unload":
                room_t[stop.site_id] = room_t.get(stop.site_id, 0.0) - stop.tonnes
    planned = [s for s in planned if s.vehicle_id not in kept]
    taken = {stop.site_id for rest in kept.values() for stop in rest}
    jobs = [job for job in jobs if job.id not in taken]
    if kept and tier == "collection":  # the transfer tier, a few dozen containers, gets all
        planned = _nearby(planned, jobs, matrices)
    seconds = options.time_limit_s if tier == "collection" else max(1.0, options.time_limit_s / 4)
    remainder = remainder_tier(
        tier,
        planned,
        jobs,
        facilities,
        {f.id: kg_down(max(0.0, room_t.get(f.id, 0.0))) for f in facilities},
        {y.id: y for y in instance.yards},
        {s.id: s for s in instance.sites},
        matrices,
        instance.settings.unserved_penalty_per_t,
        keep_with,
        options.move_penalty,
        solver_tariff(instance),
    )
    report = None if progress is None else lambda s, c: progress(Progress(tier, s, c))
    # a warm start is searched by OR-Tools alone; without one the compiled search starts
    solved = _solve(remainder, options.search(seconds, not warm), warm, report, should_stop)
    dropped = {job.id for job in solved.dropped}
    lost: list[Job] = []
    by_id = {job.id: job for job in jobs}
    for state in planned:
        rest = solved.rests.get(state.vehicle_id)
        if rest is not None and state.started and load_site(state.vehicle_id) in dropped:
            # the search left its load on board: it unloads and goes home, its rest undone
            lost += [by_id[s.site_id] for s in rest.stops if s.site_id in by_id]
            rest = None
        if rest is not None:
            routes[state.vehicle_id] = joined(state, rest)
        elif state.started:  # nothing left for it (or its shift is over): home
            routes[state.vehicle_id] = unload_and_home(state, facilities, room_t, matrices)
    if lost:
        solved = replace(solved, dropped=[*solved.dropped, *lost])
    return [route for route in routes.values() if route is not None], solved


def _at(deliveries: dict[tuple[str, str], list[tuple[int, float]]], station: str) -> list:
    return sorted(v for (s, _), events in deliveries.items() if s == station for v in events)


def _unpicked(events: list[tuple[int, float]], picked: float) -> list[tuple[int, float]]:
    """Deliveries in time order less the first ``picked`` tonnes, already hauled away."""
    left = []
    for time_s, tonnes in events:
        taken = min(tonnes, picked)
        picked -= taken
        if tonnes - taken > 1e-9:
            left.append((time_s, tonnes - taken))
    return left


def _kept(
    tier: str,
    day: Day,
    matrices: TravelMatrices,
    earlier: list[tuple[int, TravelMatrices]],
    room_t: dict[str, float],
) -> dict[str, list[Stop]]:
    """The planned rest of each truck of ``tier`` whose plan stands, within the room left."""
    states = [
        s
        for s in day.state.vehicles.values()
        if s.vehicle_type.tier == tier and s.status in ("idle", "working")
    ]
    standing = standing_routes(day.instance, states, matrices, earlier)
    rests = {
        vehicle_id: route.stops[len(day.state.vehicles[vehicle_id].done) :]
        for vehicle_id, route in standing.items()
    }
    _within_room(rests, room_t)
    return rests


def _containers(day: Day, collection_routes: list[Route], kept: dict[str, list[Stop]]) -> list[Job]:
    """The containers at the stations not hauled yet (nor by the ``kept`` transfer rests),
    released as they fill."""
    picked = dict(day.state.picked_t)
    for vehicle_id, rest in kept.items():
        stream = day.state.vehicles[vehicle_id].stream or ""
        for stop in rest:
            if stop.action == "pickup":
                picked[(stop.site_id, stream)] = picked.get((stop.site_id, stream), 0) + stop.tonnes
    instance = day.instance
    haulers = [vt for vt in instance.vehicle_types if vt.tier == "transfer"]
    stations = {f.id: f for f in instance.open_facilities() if f.kind == "transfer_station"}
    jobs: list[Job] = []
    for (station, stream), events in sorted(_deliveries(collection_routes).items()):
        left = _unpicked(events, picked.get((station, stream), 0.0))
        if station not in stations or not left:
            continue
        payloads = [vt.payload_t for vt in haulers if stream in vt.streams]
        container_t = min(payloads) if payloads else sum(t for _, t in left)
        gate_end = stations[station].gate.end_s
        # a container filled after the gate closed stays for tomorrow (backlog)
        jobs += [
            job
            for job in _container_jobs(stations[station], stream, left, container_t)
            if job.window is None or job.window[0] + job.service_s <= gate_end
        ]
    return jobs


def _points_left(day: Day) -> list[Job]:
    return [
        Job(
            id=p.id,
            site_id=p.id,
            stream=p.stream,
            tonnes=p.tonnes_per_day,
            service_s=round(p.service_min * 60),
            window=(p.window.start_s, p.window.end_s) if p.window else None,
        )
        for p in day.instance.points
        if p.id not in day.state.collected
    ]


def _unserved(day: Day, solved: _Solved) -> list[Unserved]:
    points = {p.id: p for p in day.instance.points}
    diagnosis = _Diagnosis(
        solved.remainder.problem,
        TierSolution(list(solved.rests.values()), solved.dropped, solved.stats),
        solved.remainder.matrices,
    )
    return sorted(
        (
            Unserved(
                point_id=job.id, tonnes=points[job.id].tonnes_per_day, reason=diagnosis.reason(job)
            )
            for job in solved.dropped
            if job.id in points
        ),
        key=lambda u: u.point_id,
    )


def _value(plan: Plan, instance: Instance) -> float:
    """A plan's cost, its unserved tonnes priced as the search prices them, and what its charge
    stops pay above the tariff's cheapest price (:func:`~wasteopt.charging.charge_premium`), the
    part of its charging the search prices."""
    penalty_per_t = instance.settings.unserved_penalty_per_t
    unserved = penalty_per_t * sum(u.tonnes for u in plan.unserved)
    return plan.cost + unserved + charge_premium(instance, plan.routes)


def replan_day(
    instance: Instance,
    plan: Plan,
    day: Day,
    provider: MatrixProvider,
    options: ReplanOptions = ReplanOptions(),
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    speeds: Mapping[str, float] | None = None,
) -> ReplanResult:
    """Re-plan the rest of ``day`` (see :func:`~wasteopt.replan.day.build_day`) and return
    the checked whole-day plan with its diff against ``plan``.

    ``provider`` gives the roads as in the morning (built with truck ``speeds``); road events
    change them for every leg that leaves after the re-plan time. With
    ``options.move_penalty`` > 0 and no events, the plan as it stands is kept unless a
    re-plan saves more than the price of its moved points and one more; with it 0, the cheaper
    of the plan where every truck whose plan holds keeps it and the one where every rest is
    re-optimised (each searched for the time limit). Raises InstanceError
    for bad events, InfeasibleError when a truck's load cannot be unloaded, PlanCheckError if
    the checker rejects the result.
    """
    ensure_valid(day.instance)
    steps = [*replan_steps(plan), (day.state.at_s, day.road_events)]
    roads, matrices, earlier = roads_over_the_day(steps, day.instance.sites, provider, speeds)
    day = with_positions(day, matrices, earlier)
    state = day.state
    step = ReplanStep(
        at=seconds_to_clock(state.at_s),
        road_events=[
            event.model_dump(mode="json", by_alias=True, exclude_none=True)
            for event in day.road_events
        ],
        withdrawn=sorted(e.vehicle for e in day.events if isinstance(e, TruckWithdrawn)),
        broken_down=sorted(e.vehicle for e in day.events if isinstance(e, Breakdown)),
    )
    keep_with = {
        stop.site_id: route.vehicle_id
        for route in plan.routes
        for stop in route.stops
        if stop.action == "collect"
    }

    def attempt(stable: bool) -> Plan:
        """The whole day, trucks whose plan stands keeping it (``stable``) or every rest
        re-optimised; checked."""
        room = {
            f.id: f.free_capacity_t - state.intake_t.get(f.id, 0.0)
            for f in day.instance.open_facilities()
        }
        kept = _kept("collection", day, matrices, earlier, room) if stable else {}
        collection_routes, collection = _rests(
            "collection", day, matrices, _points_left(day), room, options, keep_with, True,
            progress, should_stop, kept,
        )  # fmt: skip

        def whole_day(keep_transfer: bool, dropped: set[str]) -> Plan:
            room = {
                f.id: f.free_capacity_t - state.intake_t.get(f.id, 0.0)
                for f in day.instance.open_facilities()
            }
            for route in collection_routes:
                for stop in route.stops[len(state.vehicles[route.vehicle_id].done) :]:
                    if stop.action == "unload":
                        room[stop.site_id] = room.get(stop.site_id, 0.0) - stop.tonnes
            kept = _kept("transfer", day, matrices, earlier, room) if keep_transfer else {}
            kept = {
                vehicle_id: rest for vehicle_id, rest in kept.items() if vehicle_id not in dropped
            }
            containers = _containers(day, collection_routes, kept)
            transfer_routes, transfer = _rests(
                "transfer", day, matrices, containers, room, options, {}, False, progress,
                should_stop, kept,
            )  # fmt: skip
            routes = [*collection_routes, *transfer_routes]
            transfer_solution = TierSolution(transfer_routes, transfer.dropped, transfer.stats)
            diagnosis = _Diagnosis(
                transfer.remainder.problem,
                TierSolution(list(transfer.rests.values()), transfer.dropped, transfer.stats),
                transfer.remainder.matrices,
            )
            return plan.model_copy(
                update={
                    "instance_name": day.instance.name,
                    "routes": routes,
                    "unserved": _unserved(day, collection),
                    "backlog": _backlog(
                        day.instance, _deliveries(collection_routes), transfer_solution, diagnosis
                    ),
                    "cost": _plan_cost(day.instance, routes),
                    "stats": [collection.stats, transfer.stats],
                    "impact": None,
                    "provenance": None,  # the morning's inputs are not its own
                    "replans": [*plan.replans, step],
                }
            )

        # hauls from stations whose deliveries the re-plan changed cannot stand as they were
        before = _deliveries([r for r in plan.routes if r.tier == "collection"])
        after = _deliveries(collection_routes)
        changed = {station for station, _ in before.keys() | after.keys()}
        changed = {s for s in changed if _at(before, s) != _at(after, s)}
        dropped = {
            r.vehicle_id
            for r in plan.routes
            if r.tier == "transfer" and changed & {s.site_id for s in r.stops}
        }
        replanned = whole_day(stable, dropped)
        violations = check_plan(day.instance, replanned, matrices, earlier)
        while stable and violations and {v.kind for v in violations} <= STATION_RULES:
            # kept hauls no longer match what their stations receive: re-plan those stations' hauls
            stations = {v.site_id for v in violations}
            more = {
                r.vehicle_id
                for r in replanned.routes
                if r.tier == "transfer" and stations & {s.site_id for s in r.stops}
            } - dropped
            if not more:
                break
            dropped |= more
            replanned = whole_day(stable, dropped)
            violations = check_plan(day.instance, replanned, matrices, earlier)
        if violations:
            for violation in violations:
                log.error("checker: %s", violation)
            raise PlanCheckError(violations)
        return replanned

    replanned = attempt(True)
    if options.move_penalty <= 0:
        # every rest re-optimised: the core restores the morning's stops as a start unreliably
        # where windows are tight and may then construct on its own, so the cheaper of that
        # and the plan where the standing plans stand is kept
        try:
            whole = attempt(False)
        except InfeasibleError as error:
            log.warning(
                "re-optimising every rest found no plan (%s); the standing plans stand", error
            )
        else:
            if _value(whole, day.instance) < _value(replanned, day.instance):
                replanned = whole
    diff = plan_diff(plan, replanned, day.instance)
    stands = (
        options.move_penalty > 0
        and not day.events
        and day.actuals is None
        and _value(replanned, day.instance) + options.move_penalty * (len(diff.moved) + 1)
        >= _value(plan, day.instance)
        and not check_plan(day.instance, plan, matrices, earlier)
    )
    if stands:
        replanned, diff = plan, plan_diff(plan, plan, day.instance)
    impact = assess(day.instance, replanned)
    return ReplanResult(
        replanned.model_copy(update={"impact": impact}), day.instance, roads, matrices, diff, stands
    )
