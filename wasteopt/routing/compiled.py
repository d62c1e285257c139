"""The compiled search: one tier solved by PyVRP's iterated local search, as a start for OR-Tools.

PyVRP (Wouters et al. 2024, INFORMS Journal on Computing) evaluates relocate, swap, 2-opt* and
reload moves in constant time from concatenated route-segment data (Vidal et al. 2013,
Computers & OR 40(1); 2014, EJOR 234(3)) over granular neighbourhoods, with adaptive penalties
for load and time-window excess, and runs tens of thousands of iterations where OR-Tools'
Python-driven loop runs hundreds. The tier maps onto it as follows (:func:`engine_data`):

- depots are the yards (where trucks start and end) and the unload facilities (reload depots,
  open in their gate hours, unloading at the start of the next trip);
- one PyVRP vehicle type per (vehicle type, stream): payload, fixed cost, shift, cost per
  second on duty; a truck that may carry several streams is given to one stream beforehand
  (:func:`_stream_shares`);
- one routing profile per (stream, payload, cost per km, cost per second): its "distance" is
  the arc's cost in milli-CNY, plus, into a facility, the handling fee above the stream's
  cheapest for a full load and the facility's capacity price; jobs of other streams are out of
  reach; profiles that differ only by a rate share one matrix, each type paying its rate per
  unit (:func:`~wasteopt.routing.profiles.fold`);
- "every route ends empty": in each profile the arc from a job to a yard goes through the
  facility that makes the leg cheapest (decode writes that unload out);
- a job is optional, worth its unserved penalty;
- a battery truck's day is bounded by its range without charging (:func:`_range_limit`);
  jobs that the start serves only by charging are not required (:func:`beyond_range`).

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
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import pyvrp
import pyvrp.search

from wasteopt.model import VehicleType
from wasteopt.routing.fewer_routes import fewer_routes
from wasteopt.routing.idle_trucks import to_idle_trucks, visits
from wasteopt.routing.nodes import DAY_HORIZON_S
from wasteopt.routing.problem import (
    MILLI,
    TierProblem,
    duty_cost_milli_per_s,
    fixed_cost_milli,
)
from wasteopt.routing.profiles import Profile, fold
from wasteopt.routing.redirect import redirected, trips
from wasteopt.routing.regions import StartRoute
from wasteopt.routing.search import SearchBudget
from wasteopt.routing.truck_assignment import reassigned

log = logging.getLogger(__name__)

UNREACHABLE = 10**12  # cost of an arc no truck of the profile may take
# ... and its seconds: far past any shift, yet small enough that PyVRP's time-warp penalty
# times it stays within 64-bit integers (10**12 s overflowed there and its search never ended)
UNREACHABLE_S = 10 * DAY_HORIZON_S
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
class EngineData:
    """A tier as PyVRP data, and how to read PyVRP's routes back."""

    data: pyvrp.ProblemData
    type_vehicles: list[list[int]]  # problem.vehicles indices behind each PyVRP vehicle type
    type_profile: list[int]
    type_stream: list[str]
    facility_of_depot: dict[int, str]
    yard_depot: dict[str, int]
    final_facility: list[np.ndarray]  # per profile: [job, yard depot] -> depot of last unload
    constant_milli: int  # the cheapest fee on every kilogram, outside PyVRP's objective
    surcharge_per_kg: float = 0.0  # the largest fee gap plus capacity price of an unload
    fee_gap: dict[tuple[str, str], float] = field(default_factory=dict)  # (facility, stream):
    # its fee above the stream's cheapest, per kg, as the profiles charge it
    cost_per_metre: float = 1.0  # the dearest truck's cost of a metre (or of a second on duty)
    unreachable: list[int] = field(default_factory=list)  # per profile: an out-of-reach arc's cost


@dataclass(frozen=True)
class CompiledResult:
    """One start route per vehicle, PyVRP's statistics, and whether capacities fit."""

    routes: list[StartRoute]
    iterations: int
    rounds: int
    fits: bool
    objective_milli: int


def _stream_shares(problem: TierProblem) -> list[int]:
    """The indices of ``problem.vehicles`` in use: a truck with several streams keeps one.

    The trucks of a multi-stream type are shared out between its streams in proportion to
    their tonnes (largest remainders), so that PyVRP's fleet counts never exceed the yard's.
    """
    demand = Counter()
    for job in problem.jobs:
        demand[job.stream] += job.kg
    by_type: dict[str, list[int]] = {}
    for k, vehicle in enumerate(problem.vehicles):
        by_type.setdefault(vehicle.vehicle_type.id, []).append(k)
    kept: list[int] = []
    for indices in by_type.values():
        streams = sorted({problem.vehicles[k].stream for k in indices})
        if len(streams) == 1:
            kept += indices
            continue
        physical = sorted({problem.vehicles[k].vehicle_id for k in indices})
        total = sum(demand[s] for s in streams) or 1
        exact = [len(physical) * demand[s] / total for s in streams]
        quota = [math.floor(x) for x in exact]
        for s in sorted(range(len(streams)), key=lambda s: quota[s] - exact[s]):
            if sum(quota) >= len(physical):
                break
            quota[s] += 1
        at = 0
        for s, stream in enumerate(streams):
            for vehicle_id in physical[at : at + quota[s]]:
                kept += [
                    k
                    for k in indices
                    if problem.vehicles[k].vehicle_id == vehicle_id
                    and problem.vehicles[k].stream == stream
                ]
            at += quota[s]
    return sorted(kept)


def _range_limit(vt: VehicleType) -> dict[str, int]:
    """PyVRP's ``max_distance`` for a battery truck (none for others): the kilometres its
    energy above the reserve drives at full-load consumption, in the profile's cost units.

    The compiled search plans no charging (OR-Tools' model of record adds charge stops). A
    stop's energy is counted by :func:`_stop_charge_milli` on the arc into it. Every kilometre
    at full load (the model drives empty out of a yard or an unload) and unloads' work left
    out make the bound an approximation: the driver hands the jobs it leaves out to idle trucks
    that reach them (:func:`~wasteopt.routing.or_detours.hand_out_unserved`), and OR-Tools'
    energy check prices what it misses. A profile's cost of a metre is at least the truck's
    cost per km in milli-CNY (fees only add), so a cost bound bounds the kilometres.
    """
    battery, full_per_km = vt.battery, vt.energy.full_per_100km / 100
    if battery is None or full_per_km <= 0:
        return {}
    km = (battery.usable_kwh - battery.reserve_kwh) / full_per_km
    return {"max_distance": int(km * 1000 * vt.cost_per_km)}


def _stop_charge_milli(types: list[VehicleType]) -> int:
    """What every arc into a job adds in every profile, in cost units, so that a battery
    truck's range (:func:`_range_limit`) counts its stops: the largest among ``types`` of a
    collect's energy as kilometres at full load, at the type's cost per km (0 without a
    battery type). The same for every profile and paid back in every job's prize, it is a
    constant of the objective (taken off ``constant_milli``) and steers no choice; only the
    range sees it, at least the stop's own energy for every type.

    A range that spread the stops' energy over every kilometre, at the median gap between
    neighbouring points, charged a township's two kitchen points 400 m apart as if the 60 km
    drive there and back held a stop every 400 m: single trips that take 55-80 % of a battery
    were twice the range (Daoxian phase 2, every collection truck electric).
    """
    charges = [
        vt.stop_energy("collect") / (vt.energy.full_per_100km / 100) * vt.cost_per_km * MILLI
        for vt in types
        if vt.battery is not None and vt.energy.full_per_100km > 0
    ]
    return math.ceil(max(charges, default=0.0))


def _max_reloads(problem: TierProblem, facility_ids: list[str], unload_s: dict[str, int]) -> int:
    """How many unloads a day can hold beyond the last one, from the gates' opening hours."""
    facilities = {f.id: f for f in problem.facilities}
    slots = 0
    for fid in facility_ids:
        gate = facilities[fid].gate
        if unload_s[fid] <= 0:
            return np.iinfo(np.uint64).max
        slots += max(0, (gate.end_s - gate.start_s) // unload_s[fid])
    return int(max(0, slots - 1))


def _trip_may_follow_unload(
    depots: list[pyvrp.Depot],
    client_times: np.ndarray,
    stream_jobs: np.ndarray,
    reloads: list[int],
    travel: np.ndarray,
    yard: int,
    shift: tuple[int, int],
) -> bool:
    """Whether a truck on shift ``shift`` (start, end) from depot ``yard`` could serve one of
    the ``stream_jobs`` (client indices) after an unload at one of ``reloads`` and get home by
    the shift's end: each unload at its gate's opening at the earliest, then ``travel``
    (seconds between PyVRP's locations), the point's window and service (``client_times``: a
    row per client of its window's start and end and its service seconds), and the drive home.

    A relaxation of the plan's constraints (no break, no last unload, no other stops), so a
    ``False`` holds for the real day too, and no start route can have made such a trip. Where
    it is ``False`` (a gate that opens only at the end of the day, as the benchmark's one-trip
    conversions have it), a reload is never part of a feasible plan and PyVRP need not try
    one: :func:`_max_reloads`, summed over many facilities' gates, allows reloads no route
    can make.
    """
    leave = np.array(
        [max(depots[d].tw_early, shift[0]) + depots[d].service_duration for d in reloads]
    )
    at = len(depots) + stream_jobs
    tw_early, tw_late, service = client_times[stream_jobs].T
    arrive = leave[:, None] + travel[np.ix_(reloads, at)]
    home = np.maximum(arrive, tw_early) + service + travel[at, yard]
    return bool(((arrive <= tw_late) & (home <= shift[1])).any())


def engine_data(
    problem: TierProblem,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    prices_milli_per_kg: dict[str, float] | None = None,
    single_trip: frozenset[tuple[str, str]] = frozenset(),
    required: frozenset[str] = frozenset(),
) -> EngineData:
    """``problem`` as PyVRP data (see the module docstring); ``prices_milli_per_kg`` are the
    facilities' capacity prices; the (vehicle type, stream) groups in ``single_trip`` may not
    reload (:func:`single_trip_groups`); the jobs in ``required`` must be served, the others
    are worth their unserved penalty.

    PyVRP's search with optional clients runs slower and finds worse plans (X-n261-k13 in
    10 s: 2,969 iterations and a 3.5 % gap against 6,818 and 2.0 %), so the jobs that a
    feasible start serves are made required."""
    prices = prices_milli_per_kg or {}
    vehicles = problem.vehicles
    in_use = _stream_shares(problem)
    yards = sorted({vehicles[k].vehicle_type.yard for k in in_use})
    streams = sorted({vehicles[k].stream for k in in_use})
    facilities = [
        f
        for f in problem.facilities
        if problem.free_capacity_kg.get(f.id, 0) > 0 and set(f.streams) & set(streams)
    ]
    jobs = problem.jobs
    n_yards, n_fac = len(yards), len(facilities)
    first_job = n_yards + n_fac
    sites = [*yards, *(f.id for f in facilities), *(job.site_id for job in jobs)]
    rows = np.array([site_index[s] for s in sites], dtype=np.int64)
    dist = distance_m[np.ix_(rows, rows)].astype(np.int64)
    travel = duration_s[np.ix_(rows, rows)].astype(np.int64)
    unload_s = {f.id: int(round(f.unload_min * 60)) for f in facilities}
    min_fee = {
        s: min((f.cost_per_t for f in facilities if s in f.streams), default=0.0) for s in streams
    }
    job_stream = np.array([streams.index(j.stream) if j.stream in streams else -1 for j in jobs])

    depots = [
        pyvrp.Depot(k, tw_early=0, tw_late=DAY_HORIZON_S, name=y) for k, y in enumerate(yards)
    ]
    for k, f in enumerate(facilities):
        latest = max(f.gate.start_s, f.gate.end_s - unload_s[f.id])
        depots.append(
            pyvrp.Depot(
                n_yards + k,
                tw_early=f.gate.start_s,
                tw_late=latest,
                service_duration=unload_s[f.id],
                name=f.id,
            )
        )
    stop_charge = _stop_charge_milli([vehicles[k].vehicle_type for k in in_use])
    clients = [
        pyvrp.Client(
            first_job + k,
            pickup=[job.kg],
            service_duration=job.service_s,
            tw_early=job.window[0] if job.window else 0,
            tw_late=job.window[1] if job.window else DAY_HORIZON_S,
            # an unserved job pays its penalty but not the fee in ``constant_milli``
            prize=max(
                1,
                int(round(problem.unserved_penalty_per_t * job.tonnes * MILLI))
                - int(round(min_fee.get(job.stream, 0.0) * job.kg)),
            )
            + stop_charge,
            required=job.id in required,
            name=job.id,
        )
        for k, job in enumerate(jobs)
    ]
    client_times = np.array(
        [(c.tw_early, c.tw_late, c.service_duration) for c in clients], dtype=np.int64
    ).reshape(-1, 3)

    profiles: dict[tuple, int] = {}
    built: list[Profile] = []
    vehicle_types: list[pyvrp.VehicleType] = []
    type_vehicles: list[list[int]] = []
    type_profile: list[int] = []
    type_stream: list[str] = []
    groups: dict[tuple[str, str], list[int]] = {}
    for k in in_use:
        groups.setdefault((vehicles[k].vehicle_type.id, vehicles[k].stream), []).append(k)
    for (_, stream), members in groups.items():
        vt = vehicles[members[0]].vehicle_type
        payload = vehicles[members[0]].payload_kg
        duty = duty_cost_milli_per_s(vt)
        allowed = [k for k, f in enumerate(facilities) if stream in f.streams]
        limit = _range_limit(vt)
        # a range-bound profile's arcs out of reach cost just past its range: over it, a route
        # is infeasible anyway, and PyVRP's distance penalty times 10**12 would overflow
        unreachable = 2 * limit["max_distance"] + 1 if limit else UNREACHABLE
        key = (stream, payload, vt.cost_per_km, duty, unreachable)
        if key not in profiles:
            profiles[key] = len(built)
            s = streams.index(stream)
            cost = np.rint(dist * vt.cost_per_km).astype(np.int64)
            secs = travel.copy()
            for k in allowed:
                f = facilities[k]
                surcharge = (f.cost_per_t - min_fee[stream] + prices.get(f.id, 0.0)) * payload
                cost[:, n_yards + k] += int(round(surcharge))
            # the last leg home: through the unload that makes it cheapest
            best = np.full((len(jobs), n_yards), -1, dtype=np.int64)
            if allowed:
                fac = np.array([n_yards + k for k in allowed])
                job_rows = np.arange(first_job, len(sites))
                via_cost = (
                    cost[np.ix_(job_rows, fac)][:, :, None]
                    + cost[np.ix_(fac, range(n_yards))][None]
                )
                via_secs = (
                    travel[np.ix_(job_rows, fac)][:, :, None]
                    + np.array([unload_s[facilities[k].id] for k in allowed])[None, :, None]
                    + travel[np.ix_(fac, range(n_yards))][None]
                )
                total = via_cost + duty * via_secs
                choice = total.argmin(axis=1)
                best = fac[choice]
                take = np.take_along_axis
                cost[first_job:, :n_yards] = take(via_cost, choice[:, None, :], 1)[:, 0, :]
                secs[first_job:, :n_yards] = take(via_secs, choice[:, None, :], 1)[:, 0, :]
            else:
                cost[first_job:, :n_yards] = unreachable
                secs[first_job:, :n_yards] = UNREACHABLE_S
            cost[:, first_job:] += stop_charge
            other = first_job + np.flatnonzero(job_stream != s)
            cost[other, :] = unreachable
            cost[:, other] = unreachable
            secs[other, :] = UNREACHABLE_S
            secs[:, other] = UNREACHABLE_S
            np.fill_diagonal(cost, 0)
            np.fill_diagonal(secs, 0)
            built.append(Profile(cost, secs, best, unreachable, foldable=not limit))
        shortened = vt.shift.end_s
        if vt.break_ is not None:
            shortened -= int(round(vt.break_.duration_min * 60))
        depot = yards.index(vt.yard)
        reloads = [n_yards + k for k in allowed]
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=len(members),
                capacity=[payload],
                start_depot=depot,
                end_depot=depot,
                fixed_cost=fixed_cost_milli(vt),
                tw_early=vt.shift.start_s,
                tw_late=max(vt.shift.start_s, shortened),
                unit_duration_cost=duty,
                reload_depots=reloads,
                max_reloads=0
                if not reloads
                or (vt.id, stream) in single_trip
                or not _trip_may_follow_unload(
                    depots,
                    client_times,
                    np.flatnonzero(job_stream == streams.index(stream)),
                    reloads,
                    travel,
                    depot,
                    (vt.shift.start_s, vt.shift.end_s),
                )
                else _max_reloads(problem, [facilities[k].id for k in allowed], unload_s),
                name=f"{vt.id}/{stream}",
                **limit,
            )
        )
        type_vehicles.append(members)
        type_profile.append(profiles[key])
        type_stream.append(stream)

    folded = fold(built)  # each type's profile and rate per unit are set here
    vehicle_types = [
        vt.replace(profile=folded.index[p], unit_distance_cost=folded.rate[p])
        for vt, p in zip(vehicle_types, type_profile, strict=True)
    ]
    locations = [pyvrp.Location(0.0, 0.0) for _ in sites]
    data = pyvrp.ProblemData(
        locations,
        clients,
        depots,
        vehicle_types,
        [profile.cost for profile in folded.profiles],
        [profile.secs for profile in folded.profiles],
    )
    constant = sum(int(round(min_fee.get(j.stream, 0.0) * j.kg)) for j in jobs)
    constant -= stop_charge * len(jobs)  # every job pays it, served (arc) or not (prize)
    surcharge = max(
        (
            f.cost_per_t - min_fee[s] + prices.get(f.id, 0.0)
            for f in facilities
            for s in f.streams
            if s in min_fee
        ),
        default=0.0,
    )
    return EngineData(
        data=data,
        type_vehicles=type_vehicles,
        type_profile=[folded.index[p] for p in type_profile],
        type_stream=type_stream,
        facility_of_depot={n_yards + k: f.id for k, f in enumerate(facilities)},
        yard_depot={y: k for k, y in enumerate(yards)},
        final_facility=[profile.final_facility for profile in folded.profiles],
        constant_milli=constant,
        surcharge_per_kg=surcharge,
        fee_gap={
            (f.id, stream): f.cost_per_t - min_fee[stream]
            for f in facilities
            for stream in f.streams
            if stream in min_fee
        },
        cost_per_metre=max(
            1.0,
            max((v.vehicle_type.cost_per_km for v in vehicles), default=1.0),
            max((duty_cost_milli_per_s(v.vehicle_type) for v in vehicles), default=1.0),
        ),
        unreachable=[profile.unreachable for profile in folded.profiles],
    )


def decode(problem: TierProblem, engine: EngineData, solution: pyvrp.Solution) -> list[StartRoute]:
    """PyVRP's routes as one start route per vehicle of ``problem`` (empty where unused).

    A reload with nothing collected since the start or the last unload is left out: PyVRP may
    route an empty truck through a reload depot, which the model of record has no reason to
    visit."""
    routes: list[StartRoute] = [[] for _ in problem.vehicles]
    free = [list(members) for members in engine.type_vehicles]
    jobs = problem.jobs
    for route in solution.routes():
        t = route.vehicle_type()
        vehicle_index = free[t].pop(0)
        visits: StartRoute = []
        last_job: int | None = None
        for activity in list(route)[1:-1]:
            if activity.is_depot():
                if last_job is not None:
                    visits.append(("unload", engine.facility_of_depot[activity.idx]))
                last_job = None
            else:
                visits.append(("job", jobs[activity.idx].id))
                last_job = activity.idx
        if last_job is not None:
            yard = engine.yard_depot[problem.vehicles[vehicle_index].vehicle_type.yard]
            depot = int(engine.final_facility[engine.type_profile[t]][last_job, yard])
            visits.append(("unload", engine.facility_of_depot[depot]))
        routes[vehicle_index] = visits
    return routes


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


def single_trip_groups(
    problem: TierProblem,
    distance_m: np.ndarray,
    site_index: dict[str, int],
    start: list[StartRoute],
) -> frozenset[tuple[str, str]]:
    """The (vehicle type, stream) groups whose reloads PyVRP need not search: handing a trip
    to another truck of the group costs the same (no fixed or hourly cost, no break, every
    unload at the yard's own site) and the group has a truck for every trip of ``start``.

    PyVRP's multi-trip moves search a larger space than its single-trip ones; where a reload
    buys nothing (a CVRP whose depot is also its unload point) they only slow it down.
    """
    trips: Counter = Counter()
    members: Counter = Counter()
    in_use = set(_stream_shares(problem))  # a multi-stream truck counts for one stream
    for k, (vehicle, route) in enumerate(zip(problem.vehicles, start, strict=True)):
        key = (vehicle.vehicle_type.id, vehicle.stream)
        members[key] += k in in_use
        trips[key] += sum(1 for kind, _ in route if kind == "unload")
    groups = set()
    for vehicle in problem.vehicles:
        vt, key = vehicle.vehicle_type, (vehicle.vehicle_type.id, vehicle.stream)
        if vt.fixed_cost_per_day or vt.cost_per_hour or vt.break_ is not None:
            continue
        yard = site_index[vt.yard]
        at_yard = all(
            distance_m[yard, site_index[f.id]] == 0 and distance_m[site_index[f.id], yard] == 0
            for f in problem.facilities_for(vehicle.stream)
        )
        if at_yard and members[key] >= trips[key]:
            groups.add(key)
    return frozenset(groups)


def encode(
    problem: TierProblem,
    engine: EngineData,
    routes: list[StartRoute],
    keep_last_unload: bool = False,
) -> pyvrp.Solution | None:
    """``routes`` (one per vehicle of ``problem``) as a PyVRP solution; ``None`` when a route
    uses a truck that the stream shares gave to another stream. A route's last unload is left
    out: PyVRP's leg home includes it (``keep_last_unload``: unless the leg home passes another
    facility; it is then a reload, and the way home an empty trip). Where a type may not
    reload, each trip goes to a truck of its own (:func:`single_trip_groups` made sure there
    are enough)."""
    job_index = {job.id: k for k, job in enumerate(problem.jobs)}
    depot_of = {fid: d for d, fid in engine.facility_of_depot.items()}
    type_of = {v: t for t, members in enumerate(engine.type_vehicles) for v in members}
    encoded = []
    for v, route in enumerate(routes):
        if not route:
            continue
        if v not in type_of:
            return None
        t = type_of[v]
        single = engine.data.vehicle_type(t).max_reloads == 0
        trips: list[list[pyvrp.Activity]] = [[]]
        for kind, ref in route:
            if kind == "job":
                trips[-1].append(pyvrp.Activity(pyvrp.ActivityType.CLIENT, job_index[ref]))
            elif single:
                trips.append([])
            else:
                trips[-1].append(pyvrp.Activity(pyvrp.ActivityType.DEPOT, depot_of[ref]))
        trips = [trip for trip in trips if trip]
        if not single:
            last = trips[-1]
            keep = False
            if keep_last_unload and len(last) > 1 and last[-1].is_depot() and last[-2].is_client():
                yard = engine.yard_depot[problem.vehicles[v].vehicle_type.yard]
                home = engine.final_facility[engine.type_profile[t]][last[-2].idx, yard]
                keep = int(home) != last[-1].idx
            while not keep and last and last[-1].is_depot():
                last.pop()
        encoded += [pyvrp.Route(engine.data, trip, t) for trip in trips if trip]
    return pyvrp.Solution(engine.data, encoded)


def beyond_range(
    problem: TierProblem, engine: EngineData, routes: list[StartRoute]
) -> frozenset[str]:
    """The jobs of ``routes`` (one per vehicle) on a route that runs past its truck's range,
    as PyVRP's ``max_distance`` bounds it (none when a route uses a truck given to another
    stream).

    The greedy start counts on charging, which the compiled search does not plan. Required,
    such jobs left PyVRP no feasible plan on an all-electric day (68 of 70 start routes past
    their range on Daoxian phase 2 with every collection truck electric), and the tier went to
    OR-Tools alone."""
    encoded = encode(problem, engine, routes)
    if encoded is None:
        return frozenset()
    return frozenset(
        problem.jobs[activity.idx].id
        for route in encoded.routes()
        if route.excess_distance() > 0
        for activity in list(route)[1:-1]
        if not activity.is_depot()
    )


def _with_required(engine: EngineData, required: frozenset[str]) -> EngineData:
    """``engine`` with only the jobs (by id, PyVRP's client name) in ``required`` required:
    what :func:`engine_data` builds with that ``required``, without building the rest again
    (0.6 CPU-s on Daoxian's collection tier)."""
    clients = [
        pyvrp.Client(
            client.location,
            delivery=client.delivery,
            pickup=client.pickup,
            service_duration=client.service_duration,
            tw_early=client.tw_early,
            tw_late=client.tw_late,
            release_time=client.release_time,
            prize=client.prize,
            required=client.name in required,
            group=client.group,
            name=client.name,
        )
        for client in engine.data.clients()
    ]
    return replace(engine, data=engine.data.replace(clients=clients))


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


def reload_territories(engine: EngineData, initial: pyvrp.Solution | None) -> EngineData:
    """``engine`` with each vehicle type's reload depots cut to its yard's territory.

    A yard's territory, per stream, is the jobs nearest to it (in its type's cost) in the number
    its trucks' share of the stream's payload would collect; a type may reload at the facility
    nearest its yard, at each territory job's nearest facility (out and back), and wherever
    ``initial`` has it reload. PyVRP's reload move tries every reload depot of a route's type
    for every pair of neighbours (two fifths of its time on Daoxian's residual tier, 14 depots
    a type); with territories PyVRP alone ran 1.6-3.2 times the iterations there and its 20 s
    plans were 2.4 and 4.4 % cheaper (seeds 0 and 1). The final leg home still goes through the
    cheapest facility.
    """
    data = engine.data
    types = data.vehicle_types()
    if all(len(vt.reload_depots) <= 1 or vt.max_reloads == 0 for vt in types):
        return engine
    first_job = data.num_depots
    payload_of: Counter = Counter()
    for t, vt in enumerate(types):
        payload_of[(vt.start_depot, engine.type_stream[t])] += vt.num_available * vt.capacity[0]
    stream_payload: Counter = Counter()
    for (_, stream), kg in payload_of.items():
        stream_payload[stream] += kg
    used: dict[int, set[int]] = {}
    for route in initial.routes() if initial is not None else []:
        depots = {a.idx for a in list(route)[1:-1] if a.is_depot()}
        used.setdefault(route.vehicle_type(), set()).update(depots)
    restricted = []
    for t, vt in enumerate(types):
        reloads = list(vt.reload_depots)
        if len(reloads) <= 1 or vt.max_reloads == 0:
            restricted.append(vt)
            continue
        cost = data.distance_matrix(vt.profile)
        yard, stream = vt.start_depot, engine.type_stream[t]
        from_yard = cost[yard, first_job:]
        reach = np.flatnonzero(from_yard < engine.unreachable[vt.profile])
        share = payload_of[(yard, stream)] / max(1, stream_payload[stream])
        territory = first_job + reach[np.argsort(from_yard[reach])][: math.ceil(share * len(reach))]
        out_and_back = cost[np.ix_(territory, reloads)] + cost[np.ix_(reloads, territory)].T
        keep = {reloads[int(np.argmin(cost[yard, reloads]))], *used.get(t, ())}
        keep.update(reloads[k] for k in np.unique(out_and_back.argmin(axis=1)))
        restricted.append(vt.replace(reload_depots=sorted(keep)))
    return replace(engine, data=data.replace(vehicle_types=restricted))


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
    :func:`_trip_may_follow_unload`), so it keeps PyVRP's list.
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
            first = _with_required(first, served)
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
