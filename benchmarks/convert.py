"""Published VRPLIB instances -> a neutral integer :class:`Problem` -> wasteopt Instance + matrices.

Both solvers of a benchmark run read the same :class:`Problem`: wasteopt through
:func:`to_wasteopt`, PyVRP through :mod:`benchmarks.peer_pyvrp`. Distances follow each set's
rounding convention (see ``benchmarks/instances/*/SOURCE.md``) and are handed to wasteopt as
metres with ``cost_per_km = 1000 x unit cost``, so that ``plan.cost`` equals the published
objective. What each conversion drops or approximates is listed in :data:`SUITE_NOTES` (and in
``Problem.notes``):

- **cvrp** (Uchoa et al. 2017 X set): nint Euclidean distances, durations = distances in
  seconds inside a 24-hour shift (never binding), one yard that is also the unload point,
  fleet ``2 * ceil(total demand / capacity)`` (never binding: two routes whose loads fit one
  truck can always be merged at no extra cost).
- **mtvrptw** (Yang 2023): DIMACS convention (distances and times truncated to 0.1, scaled by
  10); the reload depot is the unload facility; release times dropped on both sides; time
  windows widened to whole minutes (< 1 minute).
- **hfvrp** (Pessoa et al. 2018): ``round(1000 x Euclidean)`` distances (durations: nint
  Euclidean seconds, never binding), fixed cost x 1000,
  unit cost as published (both already x 100 in the files): objective = 100,000 x the paper's.
  Unlimited fleets are capped at ``2 * ceil(total demand / capacity)`` per type.
- **mdvrptw** (Vidal et al. 2013): ``round(1000 x Euclidean)`` distances; one time unit = 1 min;
  travel times rounded to the second; the maximum route duration is dropped on both sides.

wasteopt lets a truck unload and go out again; where the published problem allows one trip per
vehicle and that matters (hfvrp, mdvrptw), the conversion makes a second trip impossible with
the gate of the unload point: unloading takes :data:`GADGET_UNLOAD_MIN` minutes and the gate is
open for :data:`GADGET_GATE_MIN` minutes around closing time, too short for two unloads. Costs
are not affected (no cost per hour); plan times show the wait for the gate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import vrplib

from wasteopt.model import (
    CollectionPoint,
    Facility,
    Instance,
    InstanceSettings,
    TimeWindow,
    TravelMatrices,
    VehicleType,
    Yard,
    seconds_to_clock,
)

INSTANCES_DIR = Path(__file__).with_name("instances")
SUITE_DIRS = {"cvrp": "CVRP", "mtvrptw": "MTVRPTWR", "hfvrp": "HFVRP", "mdvrptw": "MDVRPTW"}
DAY_S = 24 * 3600
STREAM = "residual"
GADGET_UNLOAD_MIN = 60
GADGET_GATE_MIN = 90
GADGET_CLOSE_S = 23 * 3600  # closing time of the unload gate where the set has no times
LON0, LAT0, BOX_DEG = 111.45, 25.40, 0.25  # small lon/lat box near the county seat (display only)

SUITE_NOTES = {
    "cvrp": (
        "distances: nint Euclidean (published convention); durations = distances in s,"
        " 24-hour shift (not binding)",
        "the depot is the yard and the unload point; fleet 2*ceil(demand/capacity), not binding",
        "wasteopt may reload at the depot mid-route: same cost as a separate vehicle here",
    ),
    "mtvrptw": (
        "distances and times: DIMACS, truncated to 0.1 and scaled by 10 (published convention)",
        "the reload depot is the unload facility (unload time 0)",
        "release times dropped on both sides (relaxation: costs may fall below the BKS)",
        "time windows widened to whole minutes (by less than one minute)",
    ),
    "hfvrp": (
        "distances: round(1000 x Euclidean); fixed cost x 1000; objective = 1e5 x the paper's",
        "unlimited fleets capped per type at 2*ceil(demand/capacity), not binding",
        "one trip per vehicle enforced by the unload gate (wasteopt side);"
        " durations = nint Euclidean in s (not binding)",
    ),
    "mdvrptw": (
        "distances: round(1000 x Euclidean) (published convention); 1 time unit = 1 minute",
        "travel times rounded to the second (< 0.5 s per leg)",
        "maximum route duration dropped on both sides (relaxation)",
        "one trip per vehicle enforced by the unload gate (wasteopt side)",
    ),
}


@dataclass(frozen=True)
class VehicleGroup:
    """``count`` identical vehicles based at depot location ``depot``."""

    count: int
    capacity: int
    depot: int
    fixed_cost: int = 0
    unit_cost: int = 1


@dataclass(frozen=True)
class Problem:
    """One published instance in integers: the common input of both solvers.

    Locations ``0..len(depots)-1`` are depots, the rest are clients. ``distance`` is in the set's
    cost convention, ``scale`` times the published unit; ``duration_s``, ``service_s`` and
    ``windows_s`` are seconds, windows on whole minutes. ``bks_routes`` are ``(group, trips)``
    pairs, a trip being a list of client locations.
    """

    suite: str
    name: str
    coords: np.ndarray
    distance: np.ndarray
    duration_s: np.ndarray
    depots: list[int]
    demand: np.ndarray
    service_s: np.ndarray
    windows_s: np.ndarray
    groups: list[VehicleGroup]
    multi_trip: bool
    one_trip_gate: bool
    scale: int
    published_cost: float | None
    bks_routes: list[tuple[int, list[list[int]]]] | None
    notes: tuple[str, ...]

    @property
    def clients(self) -> range:
        return range(len(self.depots), len(self.coords))

    def route_cost(self, group: int, trips: list[list[int]]) -> int:
        """Fixed + unit cost x distance of a route from its depot through ``trips``."""
        g = self.groups[group]
        path = [g.depot]
        for trip in trips:
            path += [*trip, g.depot]
        travelled = int(sum(self.distance[a, b] for a, b in zip(path, path[1:], strict=False)))
        return g.fixed_cost + g.unit_cost * travelled

    def cost(self, routes: list[tuple[int, list[list[int]]]]) -> int:
        """Objective of a solution given as ``(group, trips)`` pairs (empty ones are free)."""
        return sum(self.route_cost(g, trips) for g, trips in routes if any(trips))

    @property
    def bks(self) -> int | None:
        """The best-known solution's cost in this run's convention (from its routes)."""
        return None if self.bks_routes is None else self.cost(self.bks_routes)


@dataclass(frozen=True)
class Converted:
    """A :class:`Problem` as a wasteopt instance, with the maps back to locations."""

    problem: Problem
    instance: Instance
    matrices: TravelMatrices
    type_of_group: list[str]
    facility_of_depot: dict[int, str]
    location_of_site: dict[str, int]


def euclidean(coords: np.ndarray) -> np.ndarray:
    diff = coords[:, None, :] - coords[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def _minutes_widened(windows_s: np.ndarray) -> np.ndarray:
    """Widen ``[start, end]`` second windows outward to whole minutes."""
    out = np.empty_like(windows_s, dtype=np.int64)
    out[:, 0] = np.floor(windows_s[:, 0] / 60) * 60
    out[:, 1] = np.ceil(windows_s[:, 1] / 60) * 60
    return out


def _seconds_per_unit(horizon: float, reserve_s: int = 0) -> int:
    """Largest of 60, 30, 20, 10 s per time unit that fits ``horizon`` units in one day."""
    for step in (60, 30, 20, 10):
        if horizon * step + reserve_s <= DAY_S:
            return step
    raise ValueError(f"time horizon {horizon} does not fit one day at 10 s per unit")


def _fleet_bound(demand: np.ndarray, capacity: int) -> int:
    return 2 * math.ceil(int(demand.sum()) / capacity)


def _untimed(coords: np.ndarray, close_s: int) -> dict[str, np.ndarray]:
    """Times for a set without any: one second per unit of (nint) distance, no service time,
    everything open until ``close_s``. Never binding on published routes (all far below a day),
    but it gives time-driven constructions the geometry to work with."""
    n = len(coords)
    return {
        "duration_s": np.rint(euclidean(coords)).astype(np.int64),
        "service_s": np.zeros(n, dtype=np.int64),
        "windows_s": np.tile(np.array([0, close_s], dtype=np.int64), (n, 1)),
    }


def _split_trips(route: list[int], n_depots: int) -> list[list[int]]:
    trips: list[list[int]] = [[]]
    for loc in route:
        if loc < n_depots:
            trips.append([])
        else:
            trips[-1].append(int(loc))
    return [t for t in trips if t]


def _read(path: Path) -> tuple[dict, dict | None]:
    data = vrplib.read_instance(path, compute_edge_weights=False)
    sol_path = path.with_suffix(".sol")
    sol = vrplib.read_solution(sol_path) if sol_path.exists() else None
    return data, sol


def read_cvrp(path: Path) -> Problem:
    """An X-set CVRP instance: nint Euclidean distances, one depot, a non-binding fleet."""
    data, sol = _read(path)
    coords = np.asarray(data["node_coord"], dtype=float)
    demand = np.asarray(data["demand"], dtype=np.int64)
    capacity = int(data["capacity"])
    group = VehicleGroup(_fleet_bound(demand, capacity), capacity, 0)
    routes = None if sol is None else [(0, [list(map(int, r))]) for r in sol["routes"] if r]
    return Problem(
        suite="cvrp",
        name=str(data["name"]),
        coords=coords,
        distance=np.rint(euclidean(coords)).astype(np.int64),
        depots=[0],
        demand=demand,
        groups=[group],
        multi_trip=False,
        one_trip_gate=False,
        scale=1,
        published_cost=None if sol is None else float(sol["cost"]),
        bks_routes=routes,
        notes=SUITE_NOTES["cvrp"],
        **_untimed(coords, DAY_S),
    )


def read_mtvrptw(path: Path) -> Problem:
    """A multi-trip VRPTW instance (Yang 2023) with release times dropped."""
    data, sol = _read(path)
    coords = np.asarray(data["node_coord"], dtype=float)
    n = len(coords)
    n_depots = len(data["depot"])
    tenths = (10 * euclidean(coords)).astype(np.int64)  # DIMACS: truncate to one decimal
    windows = np.asarray(data["time_window"], dtype=float)
    step = _seconds_per_unit(float(windows[:, 1].max()))
    service = np.broadcast_to(np.asarray(data["service_time"], dtype=float), (n,)).copy()
    service[:n_depots] = 0
    routes = None
    if sol is not None:
        routes = [(0, _split_trips(r, n_depots)) for r in sol["routes"] if r]
    return Problem(
        suite="mtvrptw",
        name=str(data["name"]),
        coords=coords,
        distance=tenths,
        duration_s=tenths * step // 10,
        depots=list(range(n_depots)),
        demand=np.asarray(data["demand"], dtype=np.int64),
        service_s=np.rint(service * step).astype(np.int64),
        windows_s=_minutes_widened(windows * step),
        groups=[VehicleGroup(int(data["vehicles"]), int(data["capacity"]), 0)],
        multi_trip=True,
        one_trip_gate=False,
        scale=10,
        published_cost=None if sol is None else float(sol["cost"]),
        bks_routes=routes,
        notes=(*SUITE_NOTES["mtvrptw"], f"{step} s per published time unit"),
    )


def read_hfvrp(path: Path) -> Problem:
    """A heterogeneous-fleet instance (Pessoa et al. 2018, PyVRP dialect)."""
    data, sol = _read(path)
    coords = np.asarray(data["node_coord"], dtype=float)
    demand = np.asarray(data["demand"], dtype=np.int64)
    capacities = np.asarray(data["capacity"], dtype=np.int64)
    fixed = np.asarray(data.get("vehicles_fixed_cost", np.zeros_like(capacities)), dtype=np.int64)
    unit = np.asarray(data["vehicles_unit_distance_cost"], dtype=np.int64)
    unlimited = "-FSM" in str(data["name"])
    kinds: dict[tuple[int, int, int], list[int]] = {}
    for vehicle, key in enumerate(zip(capacities, fixed, unit, strict=True)):
        kinds.setdefault(tuple(int(v) for v in key), []).append(vehicle)
    groups, group_of_vehicle = [], {}
    for g, ((cap, fix, cost), vehicles) in enumerate(kinds.items()):
        count = min(len(vehicles), _fleet_bound(demand, cap)) if unlimited else len(vehicles)
        groups.append(VehicleGroup(count, cap, 0, fixed_cost=1000 * fix, unit_cost=cost))
        group_of_vehicle.update(dict.fromkeys(vehicles, g))
    routes = None
    if sol is not None:
        routes = [(group_of_vehicle[v], [list(map(int, r))]) for v, r in enumerate(sol["routes"])]
        routes = [r for r in routes if r[1][0]]
    return Problem(
        suite="hfvrp",
        name=str(data["name"]),
        coords=coords,
        distance=np.rint(1000 * euclidean(coords)).astype(np.int64),
        depots=[0],
        demand=demand,
        groups=groups,
        multi_trip=False,
        one_trip_gate=True,
        scale=1000,
        published_cost=None if sol is None else float(sol["cost"]),
        bks_routes=routes,
        notes=SUITE_NOTES["hfvrp"],
        **_untimed(coords, GADGET_CLOSE_S),
    )


def read_mdvrptw(path: Path) -> Problem:
    """A multi-depot VRPTW instance (Vidal et al. 2013 / Cordeau), one minute per time unit."""
    data, sol = _read(path)
    coords = np.asarray(data["node_coord"], dtype=float)
    n_depots = len(data["depot"])
    exact = euclidean(coords)
    windows = np.asarray(data["time_window"], dtype=float)
    step = _seconds_per_unit(float(windows[:, 1].max()), reserve_s=GADGET_UNLOAD_MIN * 60)
    vehicle_depot = np.asarray(data["vehicles_depot"], dtype=np.int64) - 1  # file is 1-based
    groups = [
        VehicleGroup(int((vehicle_depot == d).sum()), int(data["capacity"]), d)
        for d in range(n_depots)
    ]
    routes = None
    if sol is not None:
        routes = [
            (int(vehicle_depot[v]), [list(map(int, r))])
            for v, r in enumerate(sol["routes"])
            if len(r)
        ]
    return Problem(
        suite="mdvrptw",
        name=str(data["name"]),
        coords=coords,
        distance=np.rint(1000 * exact).astype(np.int64),
        duration_s=np.rint(step * exact).astype(np.int64),
        depots=list(range(n_depots)),
        demand=np.asarray(data["demand"], dtype=np.int64),
        service_s=np.rint(np.asarray(data["service_time"], dtype=float) * step).astype(np.int64),
        windows_s=_minutes_widened(windows * step),
        groups=groups,
        multi_trip=False,
        one_trip_gate=True,
        scale=1000,
        published_cost=None if sol is None else float(sol["cost"]),
        bks_routes=routes,
        notes=(*SUITE_NOTES["mdvrptw"], f"{step} s per published time unit"),
    )


READERS = {
    "cvrp": read_cvrp,
    "mtvrptw": read_mtvrptw,
    "hfvrp": read_hfvrp,
    "mdvrptw": read_mdvrptw,
}


def read_problem(suite: str, path: str | Path) -> Problem:
    """Read one VRPLIB file (and its ``.sol`` beside it, if any) of ``suite``."""
    if suite not in READERS:
        raise ValueError(f"unknown suite {suite!r}; choose one of {', '.join(READERS)}")
    problem = READERS[suite](Path(path))
    if (problem.demand[problem.clients] <= 0).any():
        raise ValueError(f"{problem.name}: a client without demand cannot become a point")
    return problem


def _clock_window(start_s: int, end_s: int) -> TimeWindow:
    return TimeWindow(start=seconds_to_clock(start_s), end=seconds_to_clock(end_s))


def _lonlat(coords: np.ndarray) -> np.ndarray:
    low = coords.min(axis=0)
    span = max(float((coords.max(axis=0) - low).max()), 1e-9)
    return np.array([LON0, LAT0]) + BOX_DEG * (coords - low) / span


def _penalty_per_t(problem: Problem) -> float:
    """An unserved penalty above the cost of any single visit, so nothing is left out."""
    longest = int(problem.distance.max())
    worst = max(g.fixed_cost + 2 * g.unit_cost * longest for g in problem.groups)
    return float(10 * (worst + 1) / int(problem.demand[problem.clients].min()))


def gate_of(problem: Problem, depot: int) -> tuple[int, int, float]:
    """Unload gate ``(open_s, close_s)`` and unload minutes at the depot's unload point."""
    start_s, close_s = (int(v) for v in problem.windows_s[depot])
    if problem.one_trip_gate:
        return close_s - 30 * 60, close_s + GADGET_UNLOAD_MIN * 60, float(GADGET_UNLOAD_MIN)
    return start_s, close_s, 0.0


def to_wasteopt(problem: Problem) -> Converted:
    """The wasteopt instance and explicit matrices of ``problem`` (cost = published objective)."""
    lonlat = _lonlat(problem.coords)
    total_t = float(problem.demand.sum())
    yards, facilities, facility_of_depot, location_of_site = [], [], {}, {}
    for d in problem.depots:
        lon, lat = lonlat[d]
        yard_id, facility_id = f"depot-{d}", f"unload-{d}"
        gate_open, gate_close, unload_min = gate_of(problem, d)
        yards.append(Yard(id=yard_id, name=f"{problem.name} depot {d}", lon=lon, lat=lat))
        facilities.append(
            Facility(
                id=facility_id,
                name=f"unload point at depot {d}",
                lon=lon,
                lat=lat,
                kind="incinerator",
                streams=[STREAM],
                capacity_t_per_day=total_t + 1.0,
                gate=_clock_window(gate_open, gate_close),
                unload_min=unload_min,
            )
        )
        facility_of_depot[d] = facility_id
        location_of_site[yard_id] = location_of_site[facility_id] = d
    points = []
    for c in problem.clients:
        window = None
        if problem.suite in ("mtvrptw", "mdvrptw"):
            window = _clock_window(*(int(v) for v in problem.windows_s[c]))
        points.append(
            CollectionPoint(
                id=f"c{c}",
                lon=lonlat[c][0],
                lat=lonlat[c][1],
                stream=STREAM,
                tonnes_per_day=float(problem.demand[c]),
                service_min=float(problem.service_s[c]) / 60,
                window=window,
            )
        )
        location_of_site[f"c{c}"] = c
    types = []
    for g, group in enumerate(problem.groups):
        shift_start, shift_end = (int(v) for v in problem.windows_s[group.depot])
        if problem.one_trip_gate:
            shift_end = gate_of(problem, group.depot)[1]
        types.append(
            VehicleType(
                id=f"g{g + 1}",
                name=f"capacity {group.capacity}",
                streams=[STREAM],
                payload_t=float(group.capacity),
                count=group.count,
                yard=f"depot-{group.depot}",
                shift=_clock_window(shift_start, shift_end),
                fixed_cost_per_day=float(group.fixed_cost),
                cost_per_km=1000.0 * group.unit_cost,
            )
        )
    instance = Instance(
        name=problem.name,
        description=f"{problem.suite} benchmark; " + "; ".join(problem.notes),
        settings=InstanceSettings(unserved_penalty_per_t=_penalty_per_t(problem)),
        yards=yards,
        facilities=facilities,
        vehicle_types=types,
        points=points,
    )
    order = np.array([location_of_site[s.id] for s in instance.sites], dtype=np.int64)
    matrices = TravelMatrices(
        [s.id for s in instance.sites],
        problem.distance[np.ix_(order, order)],
        problem.duration_s[np.ix_(order, order)],
    )
    return Converted(
        problem=problem,
        instance=instance,
        matrices=matrices,
        type_of_group=[t.id for t in types],
        facility_of_depot=facility_of_depot,
        location_of_site=location_of_site,
    )


def suite_files(suite: str, directory: str | Path | None = None) -> list[Path]:
    """The ``.vrp`` files of ``suite`` in ``directory`` (default: the copies in the repo)."""
    if suite not in SUITE_DIRS:
        raise ValueError(f"unknown suite {suite!r}; choose one of {', '.join(SUITE_DIRS)}")
    folder = Path(directory) if directory else INSTANCES_DIR / SUITE_DIRS[suite]
    return sorted(folder.glob("*.vrp"), key=lambda p: (len(p.stem), p.stem))
