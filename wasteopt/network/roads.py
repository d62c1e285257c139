"""A road graph as flat arrays: the one conversion from networkx that routing code reads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import networkx as nx
import numpy as np
import shapely


@dataclass(frozen=True)
class RoadArrays:
    """Nodes and directed edges of a road graph.

    ``tail``/``head`` index into the node arrays; ``lines`` holds each edge's drawn geometry
    in lon/lat (a straight segment where the graph stores none); ``reverse`` is the index of
    the opposite edge along the same road (two-way roads), or -1.
    """

    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    lines: np.ndarray
    reverse: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    def fingerprint(self) -> str:
        """A hash of all that routing reads: coordinates, edges and their lines, lengths, times."""
        digest = hashlib.sha256()
        for array in (self.lon, self.lat, self.tail, self.head, self.length_m, self.time_s):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(b"".join(shapely.to_wkb(self.lines)))
        return digest.hexdigest()


def _reverse_edges(tail: np.ndarray, head: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Pair each edge u->v with an edge v->u of the same length (the same road, other way)."""
    keys = list(zip(tail.tolist(), head.tolist(), np.round(length, 1).tolist(), strict=True))
    by_key: dict[tuple[int, int, float], list[int]] = {}
    for i, key in enumerate(keys):
        by_key.setdefault(key, []).append(i)
    reverse = np.full(len(tail), -1, dtype=np.int64)
    for i, (u, v, length_key) in enumerate(keys):
        partners = by_key.get((v, u, length_key))
        if partners and u != v:
            reverse[i] = partners[0]
    return reverse


def road_arrays(graph: nx.MultiDiGraph) -> RoadArrays:
    """Flatten a MultiDiGraph with ``x``/``y`` nodes and ``length``/``travel_time`` edges."""
    node_ids = np.array(list(graph.nodes), dtype=object)
    index = {node: i for i, node in enumerate(graph.nodes)}
    lon = np.array([d["x"] for _, d in graph.nodes(data=True)], dtype=float)
    lat = np.array([d["y"] for _, d in graph.nodes(data=True)], dtype=float)
    edges = list(graph.edges(data=True))
    tail = np.array([index[u] for u, _, _ in edges], dtype=np.int64)
    head = np.array([index[v] for _, v, _ in edges], dtype=np.int64)
    length = np.array([float(d["length"]) for *_, d in edges], dtype=float)
    time = np.array([float(d.get("travel_time", np.nan)) for *_, d in edges], dtype=float)
    ends = np.stack([lon[tail], lat[tail], lon[head], lat[head]], axis=1).reshape(-1, 2, 2)
    lines = shapely.linestrings(ends) if len(edges) else np.empty(0, dtype=object)
    for i, (*_, data) in enumerate(edges):
        if "geometry" in data:
            lines[i] = data["geometry"]
    return RoadArrays(
        node_ids, lon, lat, tail, head, length, time, lines, _reverse_edges(tail, head, length)
    )
