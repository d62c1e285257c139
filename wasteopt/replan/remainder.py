"""The rest of the day as one routing tier, for the unchanged routing core.

A truck already on the road becomes a vehicle of its own type whose shift starts when it is
free and whose fixed cost is already paid. Its "yard" is a start site ``~V`` placed where it
is: leaving ``~V`` costs what leaving its position costs, arriving at ``~V`` what arriving at
its home yard costs, so the core's route from yard to yard is the truck's way from where it is
back home. What it carries is a job ``~load:V`` at its position that only its own start site
reaches (every other arc into it takes :data:`UNREACHABLE_S`), so the route takes it on first
or not at all. Idle trucks start from their yards as usual.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from wasteopt.model import Facility, Site, TimeWindow, TravelMatrices, VehicleType, Yard
from wasteopt.replan.state import VehicleState
from wasteopt.replan.stitch import load_site, start_site, whole_route
from wasteopt.routing import Job, TierProblem
from wasteopt.routing.problem import Tariff
from wasteopt.routing.regions import StartRoute
from wasteopt.soc import soc_walk

UNREACHABLE_S = 20 * 86400  # beyond any shift: the arc can never be driven
UNREACHABLE_M = 10_000_000


def _clock(seconds: int) -> str:
    minutes = seconds // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Remainder:
    """The tier to solve, its matrices (the day's sites and the start and load sites), the
    state behind each of its vehicles (by the core's vehicle id) and a start per vehicle."""

    problem: TierProblem
    matrices: TravelMatrices
    owner: dict[str, VehicleState]
    start: list[StartRoute]


def _vehicle_type(state: VehicleState) -> VehicleType | None:
    """The truck's own type for the rest of its shift; None when its shift is over."""
    vt = state.vehicle_type
    if state.ready_s >= vt.shift.end_s:
        return None
    rest = None
    if vt.break_ is not None and not state.break_taken:
        opens = max(vt.break_.window.start_s, state.ready_s)
        closes = max(vt.break_.window.end_s, opens + round(vt.break_.duration_min * 60))
        window = TimeWindow(start=_clock(opens), end=_clock(closes))
        rest = vt.break_.model_copy(update={"window": window})
    battery = vt.battery
    if battery is not None and state.started:  # what is left of the charge is its battery now
        left = soc_walk(whole_route(state, state.done), vt)[-1]
        battery = battery.model_copy(
            update={
                "capacity_kwh": max(left, 1e-3) / battery.usable_share,
                "reserve_share": min(0.99, battery.reserve_kwh / max(left, 1e-3)),
            }
        )
    return vt.model_copy(
        update={
            "battery": battery,
            "id": state.vehicle_id,
            "count": 1,
            "yard": start_site(state.vehicle_id) if state.started else vt.yard,
            "streams": [state.stream] if state.started else list(vt.streams),
            "shift": TimeWindow(start=_clock(state.ready_s), end=vt.shift.end),
            "break_": rest,
            "fixed_cost_per_day": 0.0 if state.started else vt.fixed_cost_per_day,
        }
    )


def _matrices(
    base: TravelMatrices, on_road: list[VehicleState], loaded: list[VehicleState]
) -> TravelMatrices:
    index = base.index()
    n0 = len(base.site_ids)
    ids = [*base.site_ids, *(start_site(s.vehicle_id) for s in on_road)]
    ids += [load_site(s.vehicle_id) for s in loaded]
    row = {site: k for k, site in enumerate(ids)}
    arrays = []
    for matrix, far in ((base.distance_m, UNREACHABLE_M), (base.duration_s, UNREACHABLE_S)):
        full = np.full((len(ids), len(ids)), far, dtype=matrix.dtype)
        full[:n0, :n0] = matrix
        for state in on_road:
            here, home = index[state.site_id], index[state.vehicle_type.yard]
            a = row[start_site(state.vehicle_id)]
            full[a, :n0] = matrix[here]
            full[:n0, a] = matrix[:, home]
            full[a, a] = matrix[here, home]
        for state in loaded:
            here, home = index[state.site_id], index[state.vehicle_type.yard]
            a, b = row[start_site(state.vehicle_id)], row[load_site(state.vehicle_id)]
            full[b, :n0] = matrix[here]
            full[b, a] = matrix[here, home]
            full[a, b] = full[b, b] = 0
        arrays.append(full)
    return TravelMatrices(ids, arrays[0], arrays[1])


def remainder_tier(
    tier: str,
    states: list[VehicleState],
    jobs: list[Job],
    facilities: list[Facility],
    free_kg: dict[str, int],
    yards: dict[str, Yard],
    places: dict[str, Site],
    matrices: TravelMatrices,
    unserved_penalty_per_t: float,
    keep_with: dict[str, str] | None = None,
    move_penalty: float = 0.0,
    tariff: Tariff = (),
) -> Remainder:
    """The tier of ``jobs`` for the trucks in ``states`` (idle or working), see the module
    docstring. ``keep_with`` maps a job to the vehicle id that had it in the morning plan;
    with ``move_penalty`` (CNY) > 0 giving it to another vehicle costs that much. ``tariff``
    (solver units, :func:`~wasteopt.planning.solver_tariff`) prices charging as the day's
    plan does."""
    types: list[VehicleType] = []
    owner: dict[str, VehicleState] = {}
    for state in states:
        vt = _vehicle_type(state)
        if vt is not None:
            types.append(vt)
            owner[vt.vehicle_ids()[0]] = state
    on_road = [owner[vt.vehicle_ids()[0]] for vt in types if vt.yard.startswith("~")]
    loaded = [s for s in on_road if s.load_t > 0]
    action = "collect" if tier == "collection" else "pickup"
    carried = [
        Job(load_site(s.vehicle_id), load_site(s.vehicle_id), s.stream, s.load_t, 0, None, action)
        for s in loaded
    ]
    all_yards = dict(yards)
    for state in on_road:
        here = places[state.site_id]
        all_yards[start_site(state.vehicle_id)] = Yard(
            id=start_site(state.vehicle_id), lon=here.lon, lat=here.lat
        )
    ids = {real: synthetic for synthetic, real in ((k, s.vehicle_id) for k, s in owner.items())}
    problem = TierProblem(
        tier=tier,
        jobs=[*carried, *jobs],
        vehicle_types=types,
        facilities=facilities,
        free_capacity_kg=free_kg,
        yards=all_yards,
        unserved_penalty_per_t=unserved_penalty_per_t,
        keep_with={
            job: ids[vehicle] for job, vehicle in (keep_with or {}).items() if vehicle in ids
        },
        move_penalty=move_penalty,
        tariff=tariff,
    )
    return Remainder(
        problem, _matrices(matrices, on_road, loaded), owner, _start(problem, owner, jobs)
    )


def _start(
    problem: TierProblem, owner: dict[str, VehicleState], jobs: list[Job]
) -> list[StartRoute]:
    """Each vehicle's morning stops still to do, as a start for the search: what it carries
    first, then the jobs still open, with the unloads between them that still unload something
    (and no more unload visits of a facility than the core offers)."""
    job_ids = {job.id for job in jobs}
    offered = {
        f.id: problem.copies_needed(f)
        for f in problem.facilities
        if problem.free_capacity_kg.get(f.id, 0) > 0
    }
    streams = {f.id: f.streams for f in problem.facilities}
    used: Counter[str] = Counter()
    routes: list[StartRoute] = []
    for vehicle in problem.vehicles:
        state = owner[vehicle.vehicle_id]
        route: StartRoute = []
        if state.load_t > 0 and state.started:
            route.append(("job", load_site(state.vehicle_id)))
        morning = state.morning
        if morning is not None and morning.stream == vehicle.stream:
            for stop in morning.stops[state.planned_done :]:
                if stop.action in ("collect", "pickup") and stop.site_id in job_ids:
                    route.append(("job", stop.site_id))
                elif (
                    stop.action == "unload"
                    and route
                    and route[-1][0] == "job"
                    and used[stop.site_id] < offered.get(stop.site_id, 0)
                    and vehicle.stream in streams[stop.site_id]
                ):
                    used[stop.site_id] += 1
                    route.append(("unload", stop.site_id))
        routes.append(route)
    return routes
