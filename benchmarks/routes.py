"""Known routes (a published ``.sol`` file, PyVRP's answer) -> a wasteopt :class:`Plan`.

Each route leaves its yard at shift start, serves its trips in order, waits where a window or
the unload gate is not yet open, unloads at the depot's unload point after every trip and ends
at the yard. The plan is built without judging it: the independent checker does that.
"""

from __future__ import annotations

from benchmarks.convert import Converted, gate_of
from wasteopt.model import Plan, Route, SolveStats, Stop, seconds_to_clock


def _stop(action: str, site: str, arrive: int, depart: int, **values: float) -> Stop:
    return Stop(
        action=action,
        site_id=site,
        arrive=seconds_to_clock(arrive),
        depart=seconds_to_clock(depart),
        **values,
    )


def _route(conv: Converted, group: int, vehicle_id: str, trips: list[list[int]]) -> Route:
    problem, instance = conv.problem, conv.instance
    vtype = instance.vehicle_type(conv.type_of_group[group])
    depot = problem.groups[group].depot
    facility = conv.facility_of_depot[depot]
    gate_open, _, unload_min = gate_of(problem, depot)
    clock = vtype.shift.start_s
    stops = [_stop("start", vtype.yard, clock, clock)]
    here, load, metres = depot, 0, 0

    def travel(to: int) -> float:
        nonlocal clock, here, metres
        clock += int(problem.duration_s[here, to])
        leg = int(problem.distance[here, to])
        metres += leg
        here = to
        return leg / 1000

    for trip in trips:
        for c in trip:
            km = travel(c)
            arrive = max(clock, int(problem.windows_s[c][0]))
            clock = arrive + int(problem.service_s[c])
            load += int(problem.demand[c])
            stops.append(
                _stop(
                    "collect",
                    f"c{c}",
                    arrive,
                    clock,
                    tonnes=float(problem.demand[c]),
                    load_after_t=float(load),
                    distance_from_prev_km=km,
                )
            )
        km = travel(depot)
        arrive = max(clock, gate_open)
        clock = arrive + int(round(unload_min * 60))
        stops.append(
            _stop(
                "unload",
                facility,
                arrive,
                clock,
                tonnes=float(load),
                load_after_t=0.0,
                distance_from_prev_km=km,
            )
        )
        load = 0
    stops.append(_stop("end", vtype.yard, clock, clock))
    return Route(
        vehicle_id=vehicle_id,
        vehicle_type=vtype.id,
        stream=vtype.streams[0],
        stops=stops,
        distance_km=metres / 1000,
        duration_min=(clock - vtype.shift.start_s) / 60,
    )


def plan_cost(conv: Converted, routes: list[Route]) -> float:
    """``plan.cost`` as the plan contract defines it (fixed + per km + per hour + per tonne)."""
    instance = conv.instance
    cost = 0.0
    for route in routes:
        vtype = instance.vehicle_type(route.vehicle_type)
        cost += vtype.fixed_cost_per_day + vtype.cost_per_km * route.distance_km
        cost += vtype.cost_per_hour * route.duration_min / 60
        for stop in route.stops:
            if stop.action == "unload":
                cost += instance.site(stop.site_id).cost_per_t * stop.tonnes
    return cost


def plan_from_routes(
    conv: Converted, routes: list[tuple[int, list[list[int]]]], solver: str = "bks"
) -> Plan:
    """A plan that drives ``routes`` (``(group, trips)`` pairs) with the instance's trucks.

    Raises
    ------
    ValueError
        When a group is given more routes than it has vehicles.
    """
    used: dict[int, int] = {}
    built = []
    for group, trips in routes:
        trips = [t for t in trips if t]
        if not trips:
            continue
        used[group] = used.get(group, 0) + 1
        vtype = conv.instance.vehicle_type(conv.type_of_group[group])
        if used[group] > vtype.count:
            raise ValueError(f"{conv.problem.name}: more routes than vehicles of type {vtype.id}")
        built.append(_route(conv, group, vtype.vehicle_ids()[used[group] - 1], trips))
    cost = plan_cost(conv, built)
    return Plan(
        instance_name=conv.instance.name,
        routes=built,
        cost=cost,
        stats=[SolveStats(solver=solver, objective=cost)],
    )
