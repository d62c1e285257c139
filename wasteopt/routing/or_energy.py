"""Battery range in the OR-Tools model: an energy dimension that charging at facilities refills.

The electric-VRP pattern with recharging: each battery truck's cumul at a node is its state of
charge above the reserve, in Wh, plus an offset; it starts at the battery's usable energy less
the reserve (plus the offset) and every arc lowers it by its consumption. Falling below the
offset, into the reserve, is priced (a soft lower bound at every node, each kWh worth
:data:`DEFICIT_TONNES_PER_KWH` tonnes left unserved) rather than forbidden, so that a start that
knows no range (the greedy construction) is still a plan the search can repair; whatever deficit
the search leaves is cut off when the plan is read back (:func:`in_range_prefix`: the route ends
at the last unload from which it gets home).

Charging: a facility with a charger has *charge copies* (:class:`~wasteopt.routing.nodes.NodeTable`)
whose service is the unload and then one charging session (the charger's ``session_min``), and
every charger site, yard or facility, has *detours*: optional nodes that only charge, for a
session, between trips (the truck empty; only battery trucks may visit them, a yard's only the
trucks based there). A battery truck takes in up to the session's energy (power x session)
at either: the dimension's slack there, at most that much and never more than fills the
battery (elsewhere the slack is 0). A session holds a plug: where more battery trucks could
charge at a site than it has plugs, a cumulative constraint keeps the sessions within the
count. (A session of fixed length keeps the model one that OR-Tools' cumul optimisers schedule
quickly; tying the charging time to the clock's slack made checking one plan of Daoxian take
30 s.)

Consumption per arc comes from :meth:`wasteopt.model.VehicleType.leg_energy`, the formula the
impact and the checker use, at the load the arc is driven with as far as a transit callback can
know it: empty from the yard, an unload or a detour, full from a job (an upper bound: the load
on board is unknown there); the work at a job or unload (``per_stop``) counts on the arc into
it.
The exact state of charge, at the real loads, is computed when the plan is decoded
(:mod:`wasteopt.routing.decode`) and checked by :mod:`wasteopt.check`; it is never lower than
the solver's.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.constraint_solver import pywrapcp

from wasteopt.model import Site, VehicleType
from wasteopt.routing.nodes import NodeData, NodeTable, session_s
from wasteopt.routing.problem import TierProblem

WH_PER_KWH = 1000
# A kWh below the reserve costs as much as this many tonnes left unserved (assumption: far above
# anything a route gains by it, so the search always prefers to leave jobs out)
DEFICIT_TONNES_PER_KWH = 10
DEFICIT_ROOM = 4  # a start may overdraw a battery by up to 4 times its reach
# A detour to a charger costs this much besides its kilometres (assumption: a tie-break of
# 1 CNY, so that a detour that charges nothing, such as one at the yard as the day begins, is
# never free to keep)
DETOUR_PRICE_MILLI = 1000


def has_batteries(problem: TierProblem) -> bool:
    """Whether any vehicle of ``problem`` has a battery (its range is then planned)."""
    return any(v.vehicle_type.battery is not None for v in problem.vehicles)


def reach_wh(vt: VehicleType) -> int:
    """Energy a battery truck may use between full and its reserve, Wh (rounded down)."""
    if vt.battery is None:
        return 0
    return math.floor((vt.battery.usable_kwh - vt.battery.reserve_kwh) * WH_PER_KWH)


def energy_offset(problem: TierProblem) -> int:
    """The cumul of a state of charge exactly at the reserve: room below it for a deficit of
    up to :data:`DEFICIT_ROOM` times the largest battery's reach."""
    return DEFICIT_ROOM * max(reach_wh(v.vehicle_type) for v in problem.vehicles)


def consumption_wh(vt: VehicleType, nodes: NodeTable, dist_m: np.ndarray) -> np.ndarray:
    """Node x node Wh of the arcs of ``vt``: the leg empty or fully loaded (see the module
    docstring), rounded up, plus the work at the arc's head."""
    empty_wh_per_m = vt.leg_energy(1.0, 0.0)  # kWh per km == Wh per m
    full_wh_per_m = vt.leg_energy(1.0, vt.payload_t)
    kinds = np.array(nodes.kind)
    rate = np.where(kinds == "job", full_wh_per_m, empty_wh_per_m)
    actions = [job.action for job in nodes.jobs] + nodes.kind[len(nodes.jobs) :]  # unload, ...
    work = np.array([math.ceil(vt.stop_energy(a) * WH_PER_KWH) for a in actions], dtype=np.int64)
    return np.ceil(dist_m * rate[:, None]).astype(np.int64) + work[None, :]


def session_wh(site: Site) -> int:
    """Wh one charging session at ``site`` puts into a battery (rounded down; 0 without a
    charger)."""
    charger = getattr(site, "charger", None)
    if charger is None:
        return 0
    return math.floor(charger.power_kw * session_s(site) / 3.6)  # kW x s -> Wh


def add_energy(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: TierProblem,
    nodes: NodeTable,
    data: NodeData,
    index_node: np.ndarray,
    clock: pywrapcp.RoutingDimension,
) -> None:
    """Add the energy dimension, charging, the detours and the plug counts to ``routing``
    (module docstring)."""
    solver = routing.solver()
    vehicles = problem.vehicles
    site_by_id: dict[str, Site] = {**problem.yards, **{f.id: f for f in problem.facilities}}
    offset = energy_offset(problem)
    full = [offset + reach_wh(v.vehicle_type) for v in vehicles]  # non-battery trucks: offset
    zero = routing.RegisterUnaryTransitVector([0] * len(nodes))
    evaluators: list[int] = []
    by_type: dict[str, int] = {}
    for vehicle in vehicles:
        vt = vehicle.vehicle_type
        if vt.battery is None:
            evaluators.append(zero)
            continue
        if vt.id not in by_type:
            used = consumption_wh(vt, nodes, data.dist)[np.ix_(index_node, index_node)]
            table = memoryview(-used)  # the callback holds the table, not the model
            by_type[vt.id] = routing.RegisterTransitCallback(lambda i, j, t=table: t[i, j])
        evaluators.append(by_type[vt.id])
    most = max((session_wh(site) for site in site_by_id.values()), default=0)
    routing.AddDimensionWithVehicleTransitAndCapacity(evaluators, most, full, False, "energy")
    energy = routing.GetDimensionOrDie("energy")
    deficit_per_wh = max(1, int(round(DEFICIT_TONNES_PER_KWH * problem.unserved_penalty_per_t)))
    for v in range(len(vehicles)):
        energy.CumulVar(routing.Start(v)).SetValue(full[v])
        energy.SlackVar(routing.Start(v)).SetValue(0)
        energy.SetCumulVarSoftLowerBound(routing.End(v), offset, deficit_per_wh)
        routing.AddToAssignment(energy.CumulVar(routing.End(v)))  # read by or_extract
    _detours_allowed(routing, manager, problem, nodes, data, clock)
    full_of = [max(full), *full]  # by vehicle + 1 (an inactive copy's vehicle is -1)
    battery_of = [0, *(int(v.vehicle_type.battery is not None) for v in vehicles)]
    sessions: dict[str, list[pywrapcp.IntervalVar]] = {}
    for node in range(len(nodes)):
        if nodes.kind[node] == "yard":
            continue
        index = manager.NodeToIndex(node)
        energy.SetCumulVarSoftLowerBound(index, offset, deficit_per_wh)
        routing.AddToAssignment(energy.CumulVar(index))
        taken_in = energy.SlackVar(index)
        if not charges_at(nodes, node):
            taken_in.SetValue(0)
            continue
        site = site_by_id[nodes.ref[node]]
        taken_in.SetMax(session_wh(site))
        routing.AddToAssignment(taken_in)
        vehicle_plus_one = (routing.VehicleVar(index) + 1).Var()
        solver.Add(energy.CumulVar(index) + taken_in <= solver.Element(full_of, vehicle_plus_one))
        plugged = solver.Element(battery_of, vehicle_plus_one).Var()
        before = int(data.service[node]) - session_s(site)  # an unload, or nothing on a detour
        starts = (clock.CumulVar(index) + before).Var()
        sessions.setdefault(site.id, []).append(
            solver.FixedDurationIntervalVar(starts, session_s(site), plugged, f"charge {index}")
        )
    battery_vehicles = sum(battery_of)
    for site_id, stays in sessions.items():
        plugs = site_by_id[site_id].charger.count
        if battery_vehicles > plugs:
            solver.Add(solver.Cumulative(stays, [1] * len(stays), plugs, site_id))


def charges_at(nodes: NodeTable, node: int) -> bool:
    """Whether a battery truck charges at ``node``: a charge copy or a detour."""
    return node in nodes.charge_copies or nodes.kind[node] == "charge"


def _detours_allowed(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: TierProblem,
    nodes: NodeTable,
    data: NodeData,
    clock: pywrapcp.RoutingDimension,
) -> None:
    """Detours are optional at no price, for battery trucks only (a yard's for the trucks based
    there), within their site's hours, and taken empty."""
    load = routing.GetDimensionOrDie("load")
    battery = [v for v, vehicle in enumerate(problem.vehicles) if vehicle.vehicle_type.battery]
    for site_id, detours in nodes.detours.items():
        allowed = [
            v
            for v in battery
            if site_id not in problem.yards or problem.vehicles[v].vehicle_type.yard == site_id
        ]
        for node in detours:
            index = manager.NodeToIndex(node)
            routing.AddDisjunction([index], 0)
            routing.VehicleVar(index).SetValues([-1, *allowed])
            load.CumulVar(index).SetMax(0)
            load.SlackVar(index).SetValue(0)
            clock.CumulVar(index).SetRange(int(data.window_start[node]), int(data.window_end[node]))


def in_range_prefix(
    problem: TierProblem,
    nodes: NodeTable,
    data: NodeData,
    vehicle: int,
    route: list[int],
    soc: list[int],
    charged: list[int],
) -> int:
    """How many visits of ``vehicle``'s ``route`` (nodes) to keep so that it stays above its
    reserve: all of them when no cumul ``soc`` (one per visit, then the end) falls below the
    offset, else up to the last unload from which it gets home with what it holds after that
    unload's charge (``charged``, Wh per visit); 0 when there is no such unload."""
    vt = problem.vehicles[vehicle].vehicle_type
    offset = energy_offset(problem)
    short = [k for k, have in enumerate(soc) if have < offset]
    if vt.battery is None or not short:
        return len(route)
    yard = data.starts[vehicle]
    for k in range(short[0] - 1, -1, -1):
        node = route[k]
        home = math.ceil(data.dist[node, yard] * vt.leg_energy(1.0, 0.0))
        if nodes.kind[node] == "unload" and soc[k] + charged[k] - home >= offset:
            return k + 1
    return 0
