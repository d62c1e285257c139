"""The node table of one tier's routing model and its arrays in solver units.

Nodes are jobs first (in a seed-dependent order), then each facility's optional unload
*copies*, then one node per yard. Where battery trucks plan their range, a facility with a
charger has *charge copies* before its unload copies (:data:`SESSIONS_PER_TRUCK` per battery
truck that may unload there): a battery truck that unloads at one also charges for a session
(:mod:`wasteopt.routing.or_energy`), and every truck spends the session's time there (a truck
without a battery waits), so that constructions and insertions, which take a facility's copies
in order and know no range, offer charging first and still time it right.

Battery trucks may also drive to a charger only to charge: *detour* nodes (kind ``"charge"``,
after the copies), one per battery truck at its yard when the yard has a charger, and
:data:`DETOURS_PER_FACILITY` at each facility with one (for a truck whose unloads pass no
charger, or that has nothing to unload). A detour's service is one charging session, taken
between trips, empty.

Under a time-of-use tariff each charger site offers at least one charge copy and one detour per
tariff period its battery trucks' shifts overlap: the model prices each charging node exactly
in one period (:mod:`wasteopt.routing.or_tariff`), so every period needs a node of its own.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import numpy as np

from wasteopt.model import Facility, Site
from wasteopt.routing.problem import TierProblem, premium_periods

DAY_HORIZON_S = 2 * 86400
SESSIONS_PER_TRUCK = 2  # charge copies of a facility per battery truck that may unload there
# Detours to one facility's charger per day the model offers, shared by the tier's battery
# trucks (assumption: a detour is for a day its unloads cannot cover; more nodes would slow
# every search on a tier with many chargers, such as Daoxian's stations)
DETOURS_PER_FACILITY = 2


class NodeTable:
    """Which job, facility copy or yard each node is, and at which site."""

    def __init__(
        self,
        problem: TierProblem,
        seed: int,
        copies: dict[str, int],
        detours: dict[str, int] | None = None,
    ):
        jobs = list(problem.jobs)
        if seed:
            random.Random(seed).shuffle(jobs)
        self.jobs = jobs
        self.site: list[str] = [job.site_id for job in jobs]
        self.kind: list[str] = ["job"] * len(jobs)
        self.ref: list[str] = [job.id for job in jobs]
        self.facility_copies: dict[str, list[int]] = {}
        self.charge_copies: set[int] = set()  # copies where a battery truck also charges
        for facility in problem.facilities:
            count = copies.get(facility.id, 0)
            if count <= 0:
                continue
            first = len(self.site)
            charging = _charge_copies(problem, facility)
            self.facility_copies[facility.id] = list(range(first, first + count + charging))
            self.charge_copies.update(range(first, first + charging))
            count += charging
            self.site += [facility.id] * count
            self.kind += ["unload"] * count
            self.ref += [facility.id] * count
        self.detours: dict[str, list[int]] = {}  # charger site -> its detour nodes
        for site_id, count in _detours(problem).items():
            count = max(count, (detours or {}).get(site_id, 0))
            first = len(self.site)
            self.detours[site_id] = list(range(first, first + count))
            self.site += [site_id] * count
            self.kind += ["charge"] * count
            self.ref += [site_id] * count
        self.yard_node: dict[str, int] = {}
        for yard_id in sorted({v.vehicle_type.yard for v in problem.vehicles}):
            self.yard_node[yard_id] = len(self.site)
            self.site.append(yard_id)
            self.kind.append("yard")
            self.ref.append(yard_id)

    def __len__(self) -> int:
        return len(self.site)


def _charge_copies(problem: TierProblem, facility: Facility) -> int:
    if facility.charger is None:
        return 0
    trucks = {
        v.vehicle_id
        for v in problem.vehicles
        if v.vehicle_type.battery is not None and v.stream in facility.streams
    }
    if not trucks:
        return 0
    return max(SESSIONS_PER_TRUCK * len(trucks), tariff_periods(problem))


def _detours(problem: TierProblem) -> dict[str, int]:
    """Detour nodes by charger site: a yard's battery trucks, each facility's share."""
    trucks = {v.vehicle_id: v.vehicle_type.yard for v in problem.vehicles if v.vehicle_type.battery}
    if not trucks:
        return {}
    at_yard = Counter(trucks.values())
    periods = tariff_periods(problem)
    counts = {
        y: max(n, periods)
        for y, n in sorted(at_yard.items())
        if problem.yards[y].charger is not None
    }
    for facility in problem.facilities:
        if facility.charger is not None:
            counts[facility.id] = max(min(DETOURS_PER_FACILITY, len(trucks)), periods)
    return counts


def tariff_periods(problem: TierProblem) -> int:
    """How many priced periods of ``problem``'s tariff the battery trucks' shifts overlap (0
    without a tariff, or with one of a single price)."""
    shifts = [v.vehicle_type.shift for v in problem.vehicles if v.vehicle_type.battery]
    if not shifts:
        return 0
    first, last = min(s.start_s for s in shifts), max(s.end_s for s in shifts)
    periods = premium_periods(problem.tariff, DAY_HORIZON_S)
    return sum(1 for start, end, _ in periods if start < last and end > first)


def session_s(site: Site) -> int:
    """Seconds of one charging session at ``site`` (0 without a charger)."""
    charger = getattr(site, "charger", None)
    return 0 if charger is None else int(round(charger.session_min * 60))


@dataclass(frozen=True)
class NodeData:
    """Per-node arrays: metres and seconds between nodes, service, demand, windows."""

    dist: np.ndarray
    travel: np.ndarray
    service: np.ndarray
    demand: np.ndarray  # kg; a copy carries -big so that it can empty any truck
    window_start: np.ndarray
    window_end: np.ndarray  # for copies: the latest unload start inside the gate hours
    starts: list[int]  # yard node of each vehicle
    big: int


def node_data(
    problem: TierProblem,
    nodes: NodeTable,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
) -> NodeData:
    """The arrays of ``nodes`` from the site matrices."""
    rows = np.array([site_index[s] for s in nodes.site], dtype=np.int64)
    facility_by_id = {f.id: f for f in problem.facilities}
    big = max(v.payload_kg for v in problem.vehicles)
    size = len(nodes)
    service = np.zeros(size, dtype=np.int64)
    demand = np.zeros(size, dtype=np.int64)
    window_start = np.zeros(size, dtype=np.int64)
    window_end = np.full(size, DAY_HORIZON_S, dtype=np.int64)
    for i, job in enumerate(nodes.jobs):
        service[i] = job.service_s
        demand[i] = job.kg
        if job.window is not None:
            window_start[i], window_end[i] = job.window
    for facility_id, copies in nodes.facility_copies.items():
        facility = facility_by_id[facility_id]
        unload_s = int(round(facility.unload_min * 60))
        service[copies] = unload_s
        for node in nodes.charge_copies.intersection(copies):
            service[node] += session_s(facility)
        demand[copies] = -big
        window_start[copies] = facility.gate.start_s
        window_end[copies] = max(facility.gate.start_s, facility.gate.end_s - unload_s)
    for site_id, detours in nodes.detours.items():
        site = facility_by_id.get(site_id) or problem.yards[site_id]
        service[detours] = session_s(site)
        if isinstance(site, Facility):  # a facility's charger is reached in its gate hours
            window_start[detours] = site.gate.start_s
            window_end[detours] = max(site.gate.start_s, site.gate.end_s - session_s(site))
    return NodeData(
        dist=distance_m[np.ix_(rows, rows)].astype(np.int64),
        travel=duration_s[np.ix_(rows, rows)].astype(np.int64),
        service=service,
        demand=demand,
        window_start=window_start,
        window_end=window_end,
        starts=[nodes.yard_node[v.vehicle_type.yard] for v in problem.vehicles],
        big=big,
    )
