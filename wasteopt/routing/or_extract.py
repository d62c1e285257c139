"""Reading a solved OR-Tools assignment back as raw routes in solver units."""

from __future__ import annotations

from ortools.constraint_solver import pywrapcp

from wasteopt.routing.or_model import OrModel
from wasteopt.routing.problem import Job
from wasteopt.routing.ruin_recreate import vehicle_routes
from wasteopt.routing.search import RawRoute, Visit


def extract(model: OrModel, solution: pywrapcp.Assignment) -> tuple[list[RawRoute], list[Job]]:
    """The used vehicles' routes (with service starts and breaks) and the jobs left out."""
    routes: list[RawRoute] = []
    intervals = solution.IntervalVarContainer()
    break_of_vehicle: dict[int, tuple[int, int]] = {}
    for k in range(intervals.Size()):
        element = intervals.Element(k)
        if element.PerformedValue():
            v = int(element.Var().Name().removeprefix("break "))
            break_of_vehicle[v] = (element.StartValue(), element.EndValue())
    for v, route in enumerate(vehicle_routes(model.routing, solution)):
        if not route:
            continue
        visits = [
            Visit(
                kind=model.nodes.kind[node],
                ref=model.nodes.ref[node],
                site_id=model.nodes.site[node],
                start_s=solution.Value(model.clock.CumulVar(index)),
            )
            for index, node in zip(route, model.index_node[route].tolist(), strict=True)
        ]
        routes.append(
            RawRoute(
                vehicle_index=v,
                start_s=solution.Value(model.clock.CumulVar(model.routing.Start(v))),
                end_s=solution.Value(model.clock.CumulVar(model.routing.End(v))),
                visits=visits,
                break_s=break_of_vehicle.get(v),
            )
        )
    dropped = [
        job
        for i, job in enumerate(model.nodes.jobs)
        if solution.Value(model.routing.NextVar(model.manager.NodeToIndex(i)))
        == model.manager.NodeToIndex(i)
    ]
    return routes, dropped
