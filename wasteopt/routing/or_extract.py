"""Reading a solved OR-Tools assignment back as raw routes in solver units.

A battery truck's unload at a charge copy, and its detour to a charger (a visit of kind
``"charge"``), come back as a :class:`ChargingVisit` with its session. Its route, should the
search have left its state of charge below the reserve, is cut after its last unload from which
it gets home (:func:`wasteopt.routing.or_energy.in_range_prefix`); the jobs cut are left out,
and the truck leaves that unload when it would have left it anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp

from wasteopt.routing.nodes import session_s
from wasteopt.routing.or_energy import charges_at, has_batteries, in_range_prefix
from wasteopt.routing.or_model import OrModel
from wasteopt.routing.problem import Job
from wasteopt.routing.ruin_recreate import vehicle_routes
from wasteopt.routing.search import RawRoute, Visit


@dataclass(frozen=True)
class ChargingVisit(Visit):
    """An unload after which a battery truck charges, or a detour to charge, for ``session_s``
    seconds."""

    session_s: int = 0


def extract(
    model: OrModel, solution: pywrapcp.Assignment
) -> tuple[list[RawRoute], list[Job], frozenset[str]]:
    """The used vehicles' routes (with service starts and breaks), the jobs left out, and the
    ids of those among them cut from a battery truck's route for its range."""
    routes: list[RawRoute] = []
    intervals = solution.IntervalVarContainer()
    break_of_vehicle: dict[int, tuple[int, int]] = {}
    for k in range(intervals.Size()):
        element = intervals.Element(k)
        if element.PerformedValue():
            v = int(element.Var().Name().removeprefix("break "))
            break_of_vehicle[v] = (element.StartValue(), element.EndValue())
    cut: set[int] = set()
    for v, route in enumerate(vehicle_routes(model.routing, solution)):
        end_s = solution.Value(model.clock.CumulVar(model.routing.End(v)))
        if route and has_batteries(model.problem):
            route, end_s = _in_range(model, solution, v, route, end_s, cut)
        if not route:
            continue
        battery = model.problem.vehicles[v].vehicle_type.battery is not None
        visits = [
            _visit(model, node, solution.Value(model.clock.CumulVar(index)), battery)
            for index, node in zip(route, model.index_node[route].tolist(), strict=True)
        ]
        routes.append(
            RawRoute(
                vehicle_index=v,
                start_s=solution.Value(model.clock.CumulVar(model.routing.Start(v))),
                end_s=end_s,
                visits=visits,
                break_s=break_of_vehicle.get(v),
            )
        )
    dropped, out_of_range = [], []
    for i, job in enumerate(model.nodes.jobs):
        index = model.manager.NodeToIndex(i)
        if index in cut:
            out_of_range.append(job.id)
        if index in cut or solution.Value(model.routing.NextVar(index)) == index:
            dropped.append(job)
    return routes, dropped, frozenset(out_of_range)


def _visit(model: OrModel, node: int, start_s: int, battery: bool) -> Visit:
    nodes = model.nodes
    kind, ref, site_id = nodes.kind[node], nodes.ref[node], nodes.site[node]
    if battery and charges_at(nodes, node):
        problem = model.problem
        site = problem.yards.get(ref) or next(f for f in problem.facilities if f.id == ref)
        return ChargingVisit(kind, ref, site_id, start_s, session_s(site))
    return Visit(kind, ref, site_id, start_s)


def _in_range(
    model: OrModel,
    solution: pywrapcp.Assignment,
    vehicle: int,
    route: list[int],
    end_s: int,
    cut: set[int],
) -> tuple[list[int], int]:
    """``route`` (solver indices) cut to what keeps ``vehicle`` above its reserve, and its end;
    the indices cut go into ``cut``."""
    routing, energy = model.routing, model.routing.GetDimensionOrDie("energy")
    soc = [solution.Value(energy.CumulVar(i)) for i in (*route, routing.End(vehicle))]
    node_route = model.index_node[route].tolist()
    charged = [
        solution.Value(energy.SlackVar(i)) if charges_at(model.nodes, n) else 0
        for i, n in zip(route, node_route, strict=True)
    ]
    keep = in_range_prefix(
        model.problem, model.nodes, model.data, vehicle, node_route, soc, charged
    )
    if keep == len(route):
        return route, end_s
    cut.update(route[keep:])
    if keep == 0:
        return [], end_s
    last, following, yard = node_route[keep - 1], node_route[keep], model.data.starts[vehicle]
    # the truck leaves its last unload when it left it for the next stop, and drives home
    leave = solution.Value(model.clock.CumulVar(route[keep])) - int(
        model.data.travel[last, following]
    )
    return route[:keep], leave + int(model.data.travel[last, yard])
