"""The clients of some routes of a plan as a PyVRP problem of their own, and its routes back."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyvrp

from wasteopt.routing.idle_trucks import visits

_CLIENT = pyvrp.ActivityType.CLIENT


class SubProblem:
    """The clients of some routes as PyVRP data of their own, with the same depots, profiles
    and vehicle types, each type available as often as those routes use it."""

    def __init__(self, data: pyvrp.ProblemData, routes: list[pyvrp.Route], extra: list[int]):
        self.clients = sorted(
            {a.idx for route in routes for a in visits(route) if not a.is_depot()} | set(extra)
        )
        self.sub_of = {c: i for i, c in enumerate(self.clients)}
        full_clients = data.clients()
        depots = data.num_depots
        locations = [*range(depots), *(full_clients[c].location for c in self.clients)]
        clients = [
            pyvrp.Client(
                depots + i,
                delivery=full_clients[c].delivery,
                pickup=full_clients[c].pickup,
                service_duration=full_clients[c].service_duration,
                tw_early=full_clients[c].tw_early,
                tw_late=full_clients[c].tw_late,
                release_time=full_clients[c].release_time,
                prize=full_clients[c].prize,
                required=full_clients[c].required,
                name=full_clients[c].name,
            )
            for i, c in enumerate(self.clients)
        ]
        counts = Counter(route.vehicle_type() for route in routes)
        self.full_type = sorted(counts)
        types = [data.vehicle_type(t).replace(num_available=counts[t]) for t in self.full_type]
        rows = np.asarray(locations)
        grid = np.ix_(rows, rows)
        all_locations = data.locations()
        self.data = pyvrp.ProblemData(
            [all_locations[k] for k in locations],
            clients,
            data.depots(),
            types,
            [np.asarray(data.distance_matrix(p))[grid] for p in range(data.num_profiles)],
            [np.asarray(data.duration_matrix(p))[grid] for p in range(data.num_profiles)],
        )

    def route(self, route: pyvrp.Route) -> pyvrp.Route:
        """``route`` (of the whole data) in the sub-problem."""
        activities = [
            a if a.is_depot() else pyvrp.Activity(_CLIENT, self.sub_of[a.idx])
            for a in visits(route)
        ]
        return pyvrp.Route(self.data, activities, self.full_type.index(route.vehicle_type()))

    def back(self, data: pyvrp.ProblemData, route: pyvrp.Route) -> pyvrp.Route:
        """A sub-problem route in the whole data."""
        activities = [
            a if a.is_depot() else pyvrp.Activity(_CLIENT, self.clients[a.idx])
            for a in visits(route)
        ]
        return pyvrp.Route(data, activities, self.full_type[route.vehicle_type()])
