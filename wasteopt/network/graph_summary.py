"""What a road graph holds: size, km of road by class, what was dropped."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from wasteopt.network.load import DropReport
from wasteopt.network.roads import road_arrays
from wasteopt.network.speeds import road_classes
from wasteopt.units import m_to_km, s_to_hours


@dataclass(frozen=True)
class GraphSummary:
    """Counts of the routable network (``km_by_class`` counts each two-way road once)."""

    nodes: int
    edges: int
    km_by_class: dict[str, float]
    hours_by_class: dict[str, float]
    dropped: DropReport


def summarize(graph: nx.MultiDiGraph, dropped: DropReport) -> GraphSummary:
    """Summarize a routable graph (with travel times) and the report of what was dropped."""
    roads = road_arrays(graph)
    km: dict[str, float] = {}
    hours: dict[str, float] = {}
    for i, (*_, data) in enumerate(graph.edges(data=True)):
        share = 0.5 if roads.reverse[i] >= 0 else 1.0
        road_class = "+".join(sorted(set(road_classes(data)))) or "unknown"
        km[road_class] = km.get(road_class, 0.0) + share * m_to_km(roads.length_m[i])
        hours[road_class] = hours.get(road_class, 0.0) + share * s_to_hours(roads.time_s[i])
    order = sorted(km, key=km.get, reverse=True)
    return GraphSummary(
        nodes=len(graph),
        edges=len(graph.edges),
        km_by_class={c: km[c] for c in order},
        hours_by_class={c: hours[c] for c in order},
        dropped=dropped,
    )
