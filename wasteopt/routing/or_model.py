"""The OR-Tools routing model of one tier: a multi-depot, heterogeneous, time-windowed VRP
with intermediate facilities (unload stops), daily facility capacities and driver breaks.

Modelling choices:

- every facility gets optional *copies* (one node per possible unload visit); a copy's demand is
  ``-BIG`` with a slack in ``[0, BIG]`` tied to ``BIG - load`` so that every unload empties the
  truck; the route's end cumul is 0, so every route ends empty;
- a facility's daily capacity is hard: the loads arriving at its active copies sum to at most
  its free capacity (a constraint added only when the compatible waste could exceed it);
- a vehicle that may carry several streams becomes one *virtual* vehicle per stream, at most
  one of which is used (a truck carries one sorted stream all day);
- a job may be dropped only against ``unserved_penalty_per_t`` x its tonnes;
- costs are integers in milli-CNY: distance x cost_per_km (CNY/km = milli-CNY/m), the
  handling fee as a per-kg soft bound on the load at each copy (CNY/t = milli-CNY/kg), fixed
  cost per vehicle, duty time x cost_per_hour through the span cost, a nominal price on
  a detour to a charger (:data:`~wasteopt.routing.or_energy.DETOUR_PRICE_MILLI`) and, under a
  time-of-use tariff, each charging session's price at the time it is taken
  (:mod:`~wasteopt.routing.or_tariff`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp

from wasteopt.routing.nodes import DAY_HORIZON_S, NodeData, NodeTable
from wasteopt.routing.or_energy import DETOUR_PRICE_MILLI, add_energy, has_batteries
from wasteopt.routing.or_tariff import add_session_prices, session_prices
from wasteopt.routing.problem import (
    MILLI,
    TierProblem,
    duty_cost_milli_per_s,
    fixed_cost_milli,
)


@dataclass
class OrModel:
    """A built routing model and what the search needs of it.

    ``index_node[i]`` is the node of solver index ``i``; ``step_s`` is the node x node time of
    a step (service at a node, then travel to the next); ``capacity_bound`` says whether a
    daily facility capacity could bind (the local-search filters cannot see it).
    """

    problem: TierProblem
    nodes: NodeTable
    data: NodeData
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    clock: pywrapcp.RoutingDimension
    index_node: np.ndarray
    step_s: np.ndarray
    capacity_bound: bool
    # Callbacks reach the model through this holder, emptied by :meth:`release`: a callback
    # that held the model itself would form a cycle through OR-Tools' C++ side, which Python's
    # garbage collector cannot see, and every solve would keep its whole model alive.
    holder: dict = field(default_factory=dict)

    def of_node(self, node_routes: list[list[int]]) -> list[list[int]]:
        """Node routes as solver indices."""
        return [[self.manager.NodeToIndex(n) for n in route] for route in node_routes]

    def release(self) -> None:
        self.holder.clear()


def build_model(
    problem: TierProblem, nodes: NodeTable, data: NodeData, ruin_and_recreate: bool
) -> OrModel:
    """The routing model of ``nodes`` (see the module docstring for its modelling choices)."""
    vehicles = problem.vehicles
    facility_by_id = {f.id: f for f in problem.facilities}
    big, service, demand, travel = data.big, data.service, data.demand, data.travel
    manager = pywrapcp.RoutingIndexManager(len(nodes), len(vehicles), data.starts, data.starts)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    size = routing.Size()
    index_node = np.array(
        [manager.IndexToNode(i) for i in range(size + len(vehicles))], dtype=np.int64
    )

    # --- arc costs, per vehicle cost class -------------------------------------------------
    detour_nodes = [node for detours in nodes.detours.values() for node in detours]
    prices = session_prices(problem, nodes, data)  # empty without a time-of-use tariff
    priced = list(prices)
    cost_callbacks: dict[float, int] = {}
    for v, vehicle in enumerate(vehicles):
        per_km = vehicle.vehicle_type.cost_per_km
        if per_km not in cost_callbacks:
            arc_cost = np.rint(data.dist * per_km).astype(np.int64)
            arc_cost[:, detour_nodes] += DETOUR_PRICE_MILLI
            arc_cost[:, priced] += np.array([prices[n].constant for n in priced], dtype=np.int64)
            cost_callbacks[per_km] = routing.RegisterTransitMatrix(arc_cost.tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_callbacks[per_km], v)
        routing.SetFixedCostOfVehicle(fixed_cost_milli(vehicle.vehicle_type), v)

    # --- load ------------------------------------------------------------------------------
    load_cb = routing.RegisterUnaryTransitVector(demand.tolist())
    routing.AddDimensionWithVehicleCapacity(
        load_cb, big, [v.payload_kg for v in vehicles], True, "load"
    )
    load = routing.GetDimensionOrDie("load")
    # "Ends empty" is soft inside the search (so insertion can open a route with one point before
    # its final unload exists) and priced above any detour; decode rejects a route that still
    # ends loaded, and the checker enforces it independently. For ruin and recreate it is half
    # the unserved penalty, so that putting a removed job at a route's end already pays and
    # the unload after it pays the rest; the plans it accepts serve no job after a route's
    # last unload (see ruin_recreate), so the discount never reaches a plan.
    unserved_per_kg = max(1, int(problem.unserved_penalty_per_t))  # milli-CNY per kg
    end_load_coefficient = max(1, unserved_per_kg // 2) if ruin_and_recreate else unserved_per_kg
    for v in range(len(vehicles)):
        load.SetCumulVarSoftUpperBound(routing.End(v), 0, end_load_coefficient)
    for node in range(len(nodes.jobs)):
        load.SlackVar(manager.NodeToIndex(node)).SetValue(0)
    for v in range(len(vehicles)):
        load.SlackVar(routing.Start(v)).SetValue(0)

    # --- time ------------------------------------------------------------------------------
    # A Python callable rather than RegisterTransitMatrix: OR-Tools copies a dimension's
    # transit evaluator in hot paths (once per vehicle in every break propagation, and in
    # local search), and the matrix evaluator owns its whole index x index table, so at 2,000
    # points each copy moved ~40 MB and finalising one solution took seconds. The callable
    # is copied by reference; its table is laid out by routing index.
    step_s = travel + service[:, None]  # service at a node, then travel to the next
    time_table = memoryview(step_s[np.ix_(index_node, index_node)])
    time_cb = routing.RegisterTransitCallback(lambda i, j: time_table[i, j])
    routing.AddDimension(time_cb, DAY_HORIZON_S, DAY_HORIZON_S, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for i, job in enumerate(nodes.jobs):
        if job.window is not None:
            clock.CumulVar(manager.NodeToIndex(i)).SetRange(*job.window)

    capacity_bound = False  # a daily capacity the local-search filters cannot see
    for facility_id, copies in nodes.facility_copies.items():
        facility = facility_by_id[facility_id]
        latest = facility.gate.end_s - int(service[copies[0]])
        for node in copies:
            index = manager.NodeToIndex(node)
            clock.CumulVar(index).SetRange(
                facility.gate.start_s, max(facility.gate.start_s, latest)
            )
            routing.AddDisjunction([index], 0)
            load.CumulVar(index).SetMin(1)  # no empty unload visits
            solver.Add(load.SlackVar(index) + load.CumulVar(index) == big)
            fee = facility.cost_per_t  # CNY/t == milli-CNY/kg
            if fee > 0:
                load.SetCumulVarSoftUpperBound(index, 0, int(round(fee)))
        compatible = [j for j in nodes.jobs if j.stream in facility.streams]
        free = problem.free_capacity_kg[facility_id]
        if sum(j.kg for j in compatible) > free:
            capacity_bound = True
            solver.Add(
                solver.Sum(
                    [
                        load.CumulVar(manager.NodeToIndex(n))
                        * routing.ActiveVar(manager.NodeToIndex(n))
                        for n in copies
                    ]
                )
                <= free
            )

    node_visit_transit = [int(service[index_node[i]]) for i in range(size)]
    for v, vehicle in enumerate(vehicles):
        vt = vehicle.vehicle_type
        start, end = routing.Start(v), routing.End(v)
        clock.CumulVar(start).SetRange(vt.shift.start_s, vt.shift.end_s)
        clock.CumulVar(end).SetRange(vt.shift.start_s, vt.shift.end_s)
        span_coefficient = duty_cost_milli_per_s(vt)
        if span_coefficient:
            clock.SetSpanCostCoefficientForVehicle(span_coefficient, v)
        routing.AddVariableMaximizedByFinalizer(clock.CumulVar(start))
        routing.AddVariableMinimizedByFinalizer(clock.CumulVar(end))
        if vt.break_ is not None:
            duration = int(round(vt.break_.duration_min * 60))
            rest = solver.FixedDurationIntervalVar(
                vt.break_.window.start_s,
                vt.break_.window.end_s - duration,
                duration,
                False,
                f"break {v}",
            )
            # OR-Tools may place the break before the start or after the end of the route;
            # decode then shows it at the yard (before leaving, or after coming back).
            clock.SetBreakIntervalsOfVehicle([rest], v, node_visit_transit)

    add_session_prices(manager, clock, prices)

    if has_batteries(problem):
        add_energy(routing, manager, problem, nodes, data, index_node, clock)
        capacity_bound = True  # a full battery and the plugs are CP constraints too

    # --- compatibility and one stream per physical vehicle -------------------------------------
    by_stream: dict[str, list[int]] = {}
    by_physical: dict[str, list[int]] = {}
    for v, vehicle in enumerate(vehicles):
        by_stream.setdefault(vehicle.stream, []).append(v)
        by_physical.setdefault(vehicle.vehicle_id, []).append(v)
    for virtual in by_physical.values():
        if len(virtual) > 1:
            solver.Add(solver.Sum([routing.ActiveVehicleVar(v) for v in virtual]) <= 1)
    for i, job in enumerate(nodes.jobs):
        index = manager.NodeToIndex(i)
        allowed = [
            v
            for v in by_stream.get(job.stream, [])
            if (job.id, vehicles[v].vehicle_type.yard) not in problem.barred
        ]
        routing.VehicleVar(index).SetValues([-1, *allowed])
        penalty = int(round(problem.unserved_penalty_per_t * job.tonnes * MILLI))
        routing.AddDisjunction([index], max(penalty, 1))
    for facility_id, copies in nodes.facility_copies.items():
        allowed = sorted(
            v for s in facility_by_id[facility_id].streams for v in by_stream.get(s, [])
        )
        for node in copies:
            routing.VehicleVar(manager.NodeToIndex(node)).SetValues([-1, *allowed])
    if problem.keep_with and problem.move_penalty > 0:
        _price_moves(routing, problem, nodes)

    return OrModel(
        problem=problem,
        nodes=nodes,
        data=data,
        manager=manager,
        routing=routing,
        clock=clock,
        index_node=index_node,
        step_s=step_s,
        capacity_bound=capacity_bound,
    )


def _price_moves(routing: pywrapcp.RoutingModel, problem: TierProblem, nodes: NodeTable) -> None:
    """Each job of ``problem.keep_with`` that another vehicle serves costs
    ``problem.move_penalty``: a dimension counts them along each route, and its soft bound of 0
    at the route's end prices every one."""
    kept = [
        (node, problem.keep_with[job.id])
        for node, job in enumerate(nodes.jobs)
        if job.id in problem.keep_with
    ]
    owners = {owner for _, owner in kept}
    evaluators: dict[str, int] = {}
    per_vehicle = []
    for vehicle in problem.vehicles:
        owner = vehicle.vehicle_id if vehicle.vehicle_id in owners else ""
        if owner not in evaluators:
            moved = [0] * len(nodes)
            for node, keeper in kept:
                moved[node] = int(keeper != owner)
            evaluators[owner] = routing.RegisterUnaryTransitVector(moved)
        per_vehicle.append(evaluators[owner])
    capacity = [len(kept)] * len(problem.vehicles)
    routing.AddDimensionWithVehicleTransitAndCapacity(per_vehicle, 0, capacity, True, "moved")
    moved_jobs = routing.GetDimensionOrDie("moved")
    price = int(round(problem.move_penalty * MILLI))
    for v in range(len(problem.vehicles)):
        moved_jobs.SetCumulVarSoftUpperBound(routing.End(v), 0, price)
