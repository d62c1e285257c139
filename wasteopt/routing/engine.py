"""A tier as PyVRP data, and PyVRP's routes read back as start routes.

The mapping (:func:`engine_data`):

- depots are the yards (where trucks start and end) and the unload facilities (reload depots,
  open in their gate hours, unloading at the start of the next trip);
- one PyVRP vehicle type per (vehicle type, stream): payload, fixed cost, shift, cost per
  second on duty; a truck that may carry several streams is given to one stream beforehand
  (:func:`_stream_shares`);
- one routing profile per (stream, payload, cost per km, cost per second, barred jobs): its
  "distance" is the arc's cost in milli-CNY, plus, into a facility, the handling fee above the
  stream's cheapest for a full load and the facility's capacity price; jobs of other streams,
  and jobs barred from the type's yard (``TierProblem.barred``), are out of reach; profiles
  that differ only by a rate share one matrix, each type paying its rate per unit
  (:func:`~wasteopt.routing.profiles.fold`);
- "every route ends empty": in each profile the arc from a job to a yard goes through the
  facility that makes the leg cheapest (decode writes that unload out);
- a job is optional, worth its unserved penalty;
- a battery truck's day is bounded by its range without charging (:func:`_range_limit`);
  jobs that the start serves only by charging are not required (:func:`beyond_range`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
import pyvrp

from wasteopt.model import VehicleType
from wasteopt.routing.nodes import DAY_HORIZON_S
from wasteopt.routing.problem import (
    MILLI,
    TierProblem,
    duty_cost_milli_per_s,
    fixed_cost_milli,
)
from wasteopt.routing.profiles import Profile, fold
from wasteopt.routing.regions import StartRoute

UNREACHABLE = 10**12  # cost of an arc no truck of the profile may take
# ... and its seconds: far past any shift, yet small enough that PyVRP's time-warp penalty
# times it stays within 64-bit integers (10**12 s overflowed there and its search never ended)
UNREACHABLE_S = 10 * DAY_HORIZON_S


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
    job_index = {job.id: k for k, job in enumerate(jobs)}
    barred_by_yard: dict[str, list[int]] = {}
    for job_id, yard in problem.barred:
        barred_by_yard.setdefault(yard, []).append(job_index[job_id])
    barred_jobs = {yard: tuple(sorted(ks)) for yard, ks in barred_by_yard.items()}
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
        barred = barred_jobs.get(vt.yard, ())
        key = (stream, payload, vt.cost_per_km, duty, unreachable, barred)
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
            other = first_job + np.union1d(
                np.flatnonzero(job_stream != s), np.array(barred, dtype=np.int64)
            )
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


def with_required(engine: EngineData, required: frozenset[str]) -> EngineData:
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
