"""Solver routes (seconds, node refs) to model Routes (clock times, tonnes, km).

A battery truck's stops carry its state of charge (:mod:`wasteopt.soc`, at the real loads).
After an unload that the search planned with a charging session (a charge copy), and on a
detour to a charger, it charges up to a full battery within the session: a ``charge`` stop
(after the unload, or on its own). After its last unload it charges only what it needs to get
home above its reserve (it charges overnight at its yard).
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

    chargers = {
        site.id: site.charger
        for site in (*problem.yards.values(), *problem.facilities)
        if site.charger is not None
    }
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

    def charge(site: str, soc_before: float, session: int, last: bool) -> tuple[float, int]:
        """kWh a session at ``site`` puts in from ``soc_before`` (after its last unload only
        what the way home needs), and the seconds it takes."""
        charger = chargers.get(site)
        if battery is None or charger is None or session <= 0:
            return 0.0, 0
        most = min(battery.usable_kwh - soc_before, charger.power_kw * session / 3600)
        if last:
            need = battery.reserve_kwh + vt.leg_energy(km(site, vt.yard), 0.0) - soc_before
            most = min(most, math.ceil(need * 1000) / 1000)
        charged = max(0.0, math.floor(most * 1000 + 1e-6) / 1000)
        return charged, min(session, math.ceil(charged * 3600 / charger.power_kw))

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
        elif visit.kind == "charge":  # a detour: the leg there at the load carried, then charge
            arrived_soc = soc - vt.leg_energy(leg_km, carried) if battery is not None else 0.0
            session = getattr(visit, "session_s", 0)
            charged, seconds = charge(site, arrived_soc, session, visits[k + 1] is None)
            if charged <= 0:
                continue  # a detour that charges nothing is left out: the truck drives on
            depart = arrive + seconds
            add(_stop("charge", site, arrive, depart, 0.0, load, leg_km, charged))
        else:
            depart = arrive + unload_s[visit.ref]
            add(_stop("unload", site, arrive, depart, load, 0.0, leg_km))
            load = 0.0
            session = getattr(visit, "session_s", 0)
            charged, seconds = charge(site, soc, session, visits[k + 1] is None)
            if charged > 0:
                add(_stop("charge", site, depart, depart + seconds, 0.0, 0.0, 0.0, charged))
                depart += seconds
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
