"""Road events on the road graph: the network the trucks drive after the re-plan time.

A closure or slowdown names two places (site ids or ``[lon, lat]``); the roads along the
fastest path between the road nodes nearest to them, both ways, are removed or take
``factor`` times as long (their posted truck limit is lowered accordingly).
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import numpy as np

from wasteopt.errors import InstanceError, NetworkError
from wasteopt.matrix import MatrixProvider, great_circle_m
from wasteopt.model import Plan, Site, TravelMatrices, clock_to_seconds
from wasteopt.network import RoadNetworkProvider
from wasteopt.replan.events import Event, RoadClosed, events_from_data


def _node(graph: nx.MultiDiGraph, place: tuple[float, float]) -> object:
    nodes = list(graph.nodes)
    lon = np.array([graph.nodes[n]["x"] for n in nodes])
    lat = np.array([graph.nodes[n]["y"] for n in nodes])
    metres = great_circle_m(np.full(len(nodes), place[0]), np.full(len(nodes), place[1]), lon, lat)
    return nodes[int(np.argmin(metres))]


def _coordinates(place: str | tuple[float, float], sites: dict[str, Site], where: str):
    if isinstance(place, str):
        if place not in sites:
            raise InstanceError([(where, f"unknown site {place!r}; give a site id or [lon, lat]")])
        return sites[place].lon, sites[place].lat
    return place


def road_edges(
    graph: nx.MultiDiGraph, event: Event, sites: dict[str, Site], where: str
) -> list[tuple[object, object]]:
    """The directed road pieces ``(u, v)`` an event closes or slows, both ways."""
    ends = [_node(graph, _coordinates(p, sites, where)) for p in event.between]
    if ends[0] == ends[1]:
        raise InstanceError(
            [(where, "both places are nearest the same road junction; name places farther apart")]
        )
    try:
        path = nx.shortest_path(graph, ends[0], ends[1], weight="travel_time")
    except nx.NetworkXNoPath:
        raise InstanceError([(where, "no road joins the two places")]) from None
    pieces = []
    for u, v in zip(path, path[1:], strict=False):
        pieces += [(u, v), (v, u)]
    return [(u, v) for u, v in pieces if graph.has_edge(u, v)]


def day_network(
    provider: MatrixProvider,
    events: list[Event],
    sites: dict[str, Site],
    speeds: Mapping[str, float] | None = None,
) -> MatrixProvider:
    """The provider of the roads as they are after ``events`` (the same one without events);
    ``speeds`` are the truck speed overrides ``provider`` was built with.

    Raises InstanceError naming the event for places it cannot resolve, and for road events
    without a road graph.
    """
    if not events:
        return provider
    if not isinstance(provider, RoadNetworkProvider):
        raise InstanceError(
            [("events", "road closures and slowdowns need a road graph: give --graph")]
        )
    graph = provider.graph.copy()
    for k, event in enumerate(events):
        where = f"road events[{k}].between"
        edges = road_edges(graph, event, sites, where)
        for u, v in edges:
            if isinstance(event, RoadClosed):
                graph.remove_edges_from([(u, v, key) for key in list(graph[u][v])])
            else:
                for data in graph[u][v].values():
                    data["maxspeed:hgv"] = f"{data['speed_kph'] / event.factor:.4f}"
    try:
        return RoadNetworkProvider(graph, speeds=speeds, cache_dir=provider.cache_dir)
    except NetworkError as exc:
        raise InstanceError([("events", f"after the road events: {exc}")]) from None


def replan_steps(plan: Plan) -> list[tuple[int, list[Event]]]:
    """Each re-plan ``plan`` went through: its time (s) and the road events it applied."""
    return [
        (clock_to_seconds(step.at), events_from_data(step.road_events)) for step in plan.replans
    ]


def roads_over_the_day(
    steps: list[tuple[int, list[Event]]],
    sites: list[Site],
    provider: MatrixProvider,
    speeds: Mapping[str, float] | None = None,
) -> tuple[MatrixProvider, TravelMatrices, list[tuple[int, TravelMatrices]]]:
    """The roads after every step's road events (a step: a re-plan's time and its events,
    in time order), their matrices, and the matrices of the legs that left before each step
    that changed the roads (``check_plan``'s ``earlier``)."""
    by_id = {site.id: site for site in sites}
    roads, matrices = provider, provider.matrices(sites)
    earlier: list[tuple[int, TravelMatrices]] = []
    events: list[Event] = []
    for at_s, more in steps:
        if more:
            earlier.append((at_s, matrices))
            events += more
            roads = day_network(provider, events, by_id, speeds)
            matrices = roads.matrices(sites)
    return roads, matrices, earlier
