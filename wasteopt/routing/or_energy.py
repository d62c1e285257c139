"""Battery range in the OR-Tools model: an energy dimension that charging at facilities refills.

The classic electric-VRP pattern with recharging: each battery truck's cumul at a node is its
state of charge above the reserve, in Wh; it starts at the battery's usable energy less the
reserve, every arc lowers it by its consumption, and it may never go below 0. Trucks charge
while they are at a facility with a charger: the dimension's slack at that facility's unload
copies is the energy taken in (elsewhere it is 0), never more than fills the battery, and it
takes time, at least ``slack x 3600 / power`` seconds of the clock's slack at the copy. A truck
that waits at a charger is plugged in, so the whole wait counts against the site's plugs: where
more battery trucks could charge there than it has plugs, a cumulative constraint keeps them
within the count.

Consumption per arc comes from :meth:`wasteopt.model.VehicleType.leg_energy`, the formula the
impact and the checker use, at the load the arc is driven with as far as a transit callback can
know it: empty from the yard and from an unload, full from a job (an upper bound: the load on
board is unknown there); the work at a job or unload (``per_stop``) counts on the arc into it.
The exact state of charge, at the real loads, is computed when the plan is decoded
(:mod:`wasteopt.routing.decode`) and checked by :mod:`wasteopt.check`; it is never lower than
the solver's.
"""

from __future__ import annotations

import math

import numpy as np
from ortools.constraint_solver import pywrapcp

from wasteopt.model import VehicleType
from wasteopt.routing.nodes import DAY_HORIZON_S, NodeData, NodeTable
from wasteopt.routing.problem import TierProblem

WH_PER_KWH = 1000


def has_batteries(problem: TierProblem) -> bool:
    """Whether any vehicle of ``problem`` has a battery (its range is then planned)."""
    return any(v.vehicle_type.battery is not None for v in problem.vehicles)


def reach_wh(vt: VehicleType) -> int:
    """Energy a battery truck may use between full and its reserve, Wh (rounded down)."""
    if vt.battery is None:
        return 0
    return math.floor((vt.battery.usable_kwh - vt.battery.reserve_kwh) * WH_PER_KWH)


def consumption_wh(vt: VehicleType, nodes: NodeTable, dist_m: np.ndarray) -> np.ndarray:
    """Node x node Wh of the arcs of ``vt``: the leg empty or fully loaded (see the module
    docstring), rounded up, plus the work at the arc's head."""
    empty_wh_per_m = vt.leg_energy(1.0, 0.0)  # kWh per km == Wh per m
    full_wh_per_m = vt.leg_energy(1.0, vt.payload_t)
    kinds = np.array(nodes.kind)
    rate = np.where(kinds == "job", full_wh_per_m, empty_wh_per_m)
    actions = [job.action for job in nodes.jobs] + nodes.kind[len(nodes.jobs) :]  # unload, yard
    work = np.array([math.ceil(vt.stop_energy(a) * WH_PER_KWH) for a in actions], dtype=np.int64)
    return np.ceil(dist_m * rate[:, None]).astype(np.int64) + work[None, :]


def add_energy(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: TierProblem,
    nodes: NodeTable,
    data: NodeData,
    index_node: np.ndarray,
    clock: pywrapcp.RoutingDimension,
) -> None:
    """Add the energy dimension, charging and the plug counts to ``routing`` (module docstring)."""
    solver = routing.solver()
    vehicles = problem.vehicles
    reach = [reach_wh(v.vehicle_type) for v in vehicles]
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
    routing.AddDimensionWithVehicleTransitAndCapacity(
        evaluators, max(reach), reach, False, "energy"
    )
    energy = routing.GetDimensionOrDie("energy")
    for v in range(len(vehicles)):
        energy.CumulVar(routing.Start(v)).SetValue(reach[v])
        energy.SlackVar(routing.Start(v)).SetValue(0)
    facility_by_id = {f.id: f for f in problem.facilities}
    charging: dict[str, list[int]] = {}
    for node in range(len(nodes)):
        if nodes.kind[node] == "yard":
            continue
        index = manager.NodeToIndex(node)
        charger = facility_by_id[nodes.ref[node]].charger if nodes.kind[node] == "unload" else None
        if charger is None:
            energy.SlackVar(index).SetValue(0)
        else:
            charging.setdefault(nodes.ref[node], []).append(index)
    reach_of = [0, *reach]  # by vehicle + 1 (an inactive copy's vehicle is -1)
    battery_of = [0, *(int(v.vehicle_type.battery is not None) for v in vehicles)]
    battery_vehicles = sum(battery_of)
    for facility_id, indices in charging.items():
        charger = facility_by_id[facility_id].charger
        power_w = int(round(charger.power_kw * 1000))
        plugs: list[pywrapcp.IntervalVar] = []
        for index in indices:
            vehicle_plus_one = (routing.VehicleVar(index) + 1).Var()
            taken_in, soc = energy.SlackVar(index), energy.CumulVar(index)
            solver.Add(soc + taken_in <= solver.Element(reach_of, vehicle_plus_one))
            solver.Add(clock.SlackVar(index) * power_w >= taken_in * 3600)
            if battery_vehicles > charger.count:
                stay = solver.IntervalVar(
                    0, 2 * DAY_HORIZON_S, 0, DAY_HORIZON_S, 0, 3 * DAY_HORIZON_S, False,
                    f"charge {index}",
                )  # fmt: skip
                service = int(data.service[index_node[index]])
                solver.Add(stay.StartExpr() == clock.CumulVar(index) + service)
                plugged = solver.Element(battery_of, vehicle_plus_one)
                solver.Add(stay.DurationExpr() == clock.SlackVar(index) * plugged)
                plugs.append(stay)
        if plugs:
            solver.Add(solver.Cumulative(plugs, [1] * len(plugs), charger.count, facility_id))
