"""Solver routes (seconds, node refs) to model Routes (clock times, tonnes, km).

A battery truck's stops carry its state of charge (:mod:`wasteopt.soc`, at the real loads).
Where it unloads at a facility with a charger and has time before it must leave for the next
stop, it charges for that whole time (its plug is held while it waits, as the routing model
counts it), up to a full battery: a ``charge`` stop after the unload.
"""

from __future__ import annotations

import math

from wasteopt.model import Route, Stop, TravelMatrices, seconds_to_clock
from wasteopt.routing.problem import Job, TierProblem
from wasteopt.routing.search import RawRoute, Visit
from wasteopt.soc import soc_after


def _stop(
    action: str,
    site_id: str,
    arrive_s: float,
    depart_s: float,
    tonnes: float,
    load: float,
    km: float,
    charged_kwh: float = 0.0,
) -> Stop:
    return Stop(
        action=action,
        site_id=site_id,
        arrive=seconds_to_clock(arrive_s),
        depart=seconds_to_clock(depart_s),
        tonnes=round(tonnes, 6),
        load_after_t=round(load, 6),
        distance_from_prev_km=round(km, 3),
        charged_kwh=charged_kwh,
    )


def decode_route(
    problem: TierProblem, raw: RawRoute, matrices: TravelMatrices, index: dict[str, int]
) -> Route:
    """One solved route as a dispatcher reads it: stops with times, tonnes, load and distance."""
    vehicle = problem.vehicles[raw.vehicle_index]
    vt = vehicle.vehicle_type
    jobs: dict[str, Job] = {job.id: job for job in problem.jobs}
    unload_s = {f.id: round(f.unload_min * 60) for f in problem.facilities}

    def km(a: str, b: str) -> float:
        return float(matrices.distance_m[index[a], index[b]]) / 1000.0

    def travel_s(a: str, b: str) -> int:
        return int(matrices.duration_s[index[a], index[b]])

    chargers = {f.id: f.charger for f in problem.facilities if f.charger is not None}
    battery = vt.battery
    soc = battery.usable_kwh if battery is not None else 0.0
    carried = 0.0  # the load on the leg into the stop being added

    def add(stop: Stop) -> None:
        nonlocal soc, carried
        if battery is not None:
            soc = soc_after(vt, soc, carried, stop)
            stop = stop.model_copy(update={"soc_kwh": round(soc, 3)})
        carried = stop.load_after_t
        stops.append(stop)

    start_s, end_s, pending_break = raw.start_s, raw.end_s, raw.break_s
    if pending_break is not None and pending_break[1] <= start_s:
        start_s = pending_break[0]  # the break is taken at the yard before leaving
    if pending_break is not None and pending_break[0] >= end_s:
        end_s = pending_break[1]  # ... or at the last stop's end, back at the yard
    stops: list[Stop] = []
    add(_stop("start", vt.yard, start_s, start_s, 0.0, 0.0, 0.0))
    previous_site, previous_depart, load = vt.yard, start_s, 0.0
    visits: list[Visit | None] = [*raw.visits, None]
    for k, visit in enumerate(visits):
        site = vt.yard if visit is None else visit.site_id
        arrive = end_s if visit is None else visit.start_s
        if pending_break is not None and (pending_break[0] < arrive or visit is None):
            brk_start = max(pending_break[0], previous_depart)
            brk_end = brk_start + (pending_break[1] - pending_break[0])
            add(_stop("break", previous_site, brk_start, brk_end, 0.0, load, 0.0))
            pending_break = None
        leg_km = km(previous_site, site)
        if visit is None:
            add(_stop("end", site, arrive, arrive, 0.0, load, leg_km))
            break
        if visit.kind == "job":
            job = jobs[visit.ref]
            load += job.tonnes
            depart = arrive + job.service_s
            add(_stop(job.action, site, arrive, depart, job.tonnes, load, leg_km))
        else:
            depart = arrive + unload_s[visit.ref]
            add(_stop("unload", site, arrive, depart, load, 0.0, leg_km))
            load = 0.0
            following = visits[k + 1]
            next_site = vt.yard if following is None else following.site_id
            leave = (end_s if following is None else following.start_s) - travel_s(site, next_site)
            charger = chargers.get(site)
            if battery is not None and charger is not None and leave > depart:
                room = battery.usable_kwh - soc
                charged = math.floor(min(room, charger.power_kw * (leave - depart) / 3600) * 1000)
                if charged > 0:
                    add(_stop("charge", site, depart, leave, 0.0, 0.0, 0.0, charged / 1000))
                    depart = leave
        previous_site, previous_depart = site, depart
    return Route(
        vehicle_id=vehicle.vehicle_id,
        vehicle_type=vt.id,
        tier=problem.tier,
        stream=vehicle.stream,
        stops=stops,
        distance_km=round(sum(s.distance_from_prev_km for s in stops), 3),
        duration_min=round((end_s - start_s) / 60.0, 1),
    )
