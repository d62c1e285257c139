"""Many-to-many travel time and distance on a road network with compiled Dijkstra.

The road graph and the snapped sites become one CSR matrix, built once per site list: each
site is a node inserted into the edge(s) it lies on (both directions of a two-way road).
Time and distance travel together in one exact integer weight,
``time_units << shift | distance_units``, kept below 2**53 so float64 sums stay exact: one
``scipy.sparse.csgraph.dijkstra`` pass per source then finds the fastest path and, among equally
fast ones, the shortest, and the low bits carry the distance along it. For many sites a
contraction hierarchy (:mod:`wasteopt.network.hierarchy`) does the same job exactly and faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from wasteopt.errors import NetworkError
from wasteopt.network.roads import RoadArrays
from wasteopt.network.snap import Snap

# (metres per distance unit, seconds per time unit), finest first
_RESOLUTIONS = ((0.1, 0.001), (1.0, 0.001), (0.1, 0.01), (1.0, 0.01), (1.0, 0.1), (1.0, 1.0))
_EXACT_LIMIT = 2**52
AT_NODE_M = 0.5  # a site this close to a node joins the network at the node itself
_BLOCK_ENTRIES = 8_000_000  # sources x nodes per Dijkstra call: about 64 MB of float64
# from this many sites on, building a contraction hierarchy beats one Dijkstra per site
# (measured on Andorra and the 50k-node grid: see benchmarks/HISTORY.md)
HIERARCHY_FROM_SITES = 200


@dataclass(frozen=True)
class Arcs:
    """Directed arcs of the site graph; each is the part ``[g0, g1]`` of one road edge."""

    tail: np.ndarray
    head: np.ndarray
    time_s: np.ndarray
    length_m: np.ndarray
    edge: np.ndarray
    g0: np.ndarray
    g1: np.ndarray

    def take(self, order: np.ndarray) -> Arcs:
        return Arcs(*(getattr(self, f)[order] for f in self.__dataclass_fields__))


def _site_arcs(roads: RoadArrays, snaps: Sequence[Snap]) -> Arcs:
    """Arcs that join each site to the network.

    A site at a node (within ``AT_NODE_M``) is tied to it both ways at no cost; any other is
    threaded into the edge it lies on and into the opposite edge of a two-way road, in order
    along them.
    """
    on_edge: dict[int, list[tuple[float, int]]] = {}
    columns: list[list[float]] = [[] for _ in range(5)]

    def add(tail: int, head: int, edge: int, g0: float, g1: float) -> None:
        for column, value in zip(columns, (tail, head, edge, g0, g1), strict=True):
            column.append(value)

    for k, snap in enumerate(snaps):
        node, edge = roads.n_nodes + k, snap.edge
        offset = snap.fraction * roads.length_m[edge]
        if min(offset, roads.length_m[edge] - offset) <= AT_NODE_M:
            end = 0.0 if offset <= AT_NODE_M else 1.0
            at = int(roads.tail[edge] if end == 0.0 else roads.head[edge])
            add(at, node, edge, end, end)
            add(node, at, edge, end, end)
            continue
        on_edge.setdefault(edge, []).append((snap.fraction, node))
        back = int(roads.reverse[edge])
        if back >= 0:
            on_edge.setdefault(back, []).append((1.0 - snap.fraction, node))
    for edge, stops in on_edge.items():
        stops.sort()
        fractions = [0.0, *(f for f, _ in stops), 1.0]
        nodes = [int(roads.tail[edge]), *(n for _, n in stops), int(roads.head[edge])]
        for i in range(len(nodes) - 1):
            add(nodes[i], nodes[i + 1], edge, fractions[i], fractions[i + 1])
    tail, head, edge, g0, g1 = (np.asarray(c) for c in columns)
    edge = edge.astype(np.int64)
    share = g1 - g0
    return Arcs(
        tail.astype(np.int64),
        head.astype(np.int64),
        roads.time_s[edge] * share,
        roads.length_m[edge] * share,
        edge,
        g0,
        g1,
    )


def _concat(a: Arcs, b: Arcs) -> Arcs:
    return Arcs(*(np.concatenate([getattr(a, f), getattr(b, f)]) for f in a.__dataclass_fields__))


def _resolution(times: csr_matrix, arcs: Arcs) -> tuple[float, float, int]:
    """The finest units in which every fastest path's time and length fit ``_EXACT_LIMIT``.

    Any fastest time is at most ``out + back`` through node 0 (one Dijkstra each way); its
    length is at most that time at the fastest arc speed. Tentative labels exceed settled ones
    by at most one arc; each rounded arc adds at most half a unit.
    """
    out = dijkstra(times, directed=True, indices=0)
    back = dijkstra(times.T.tocsr(), directed=True, indices=0)
    time_bound = float(out.max() + back.max() + arcs.time_s.max())
    moving = arcs.time_s > 0
    top_speed = float((arcs.length_m[moving] / arcs.time_s[moving]).max()) if moving.any() else 0
    length_bound = time_bound * top_speed + float(arcs.length_m.max())
    slack = times.shape[0]  # rounding: at most half a unit for each of fewer than n arcs
    for metres, seconds in _RESOLUTIONS:
        shift = (int(length_bound / metres) + slack).bit_length()
        if (int(time_bound / seconds) + slack) << shift < _EXACT_LIMIT:
            return metres, seconds, shift
    raise NetworkError(
        "the road graph is too large for exact travel matrices: clip it to the study area"
    )


class SiteGraph:
    """The road graph with a list of sites threaded in, as one CSR matrix for Dijkstra."""

    def __init__(self, roads: RoadArrays, snaps: Sequence[Snap]):
        self.roads = roads
        self.site_ids = [s.site_id for s in snaps]
        self.site_nodes = np.arange(roads.n_nodes, roads.n_nodes + len(snaps), dtype=np.int64)
        n_edges = len(roads.tail)
        base = Arcs(
            roads.tail,
            roads.head,
            roads.time_s,
            roads.length_m,
            np.arange(n_edges, dtype=np.int64),
            np.zeros(n_edges),
            np.ones(n_edges),
        )
        arcs = _concat(base, _site_arcs(roads, snaps)) if snaps else base
        # keep the fastest (then shortest) of parallel arcs: CSR would otherwise add them up
        order = np.lexsort((arcs.length_m, arcs.time_s, arcs.head, arcs.tail))
        tail, head = arcs.tail[order], arcs.head[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        self.arcs = arcs.take(order[first])
        n = roads.n_nodes + len(snaps)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.arcs.tail, minlength=n), out=indptr[1:])
        times = csr_matrix((self.arcs.time_s, self.arcs.head, indptr), shape=(n, n))
        self.metres_per_unit, self.seconds_per_unit, self.shift = _resolution(times, self.arcs)
        self.weight = self._encode(self.arcs)  # packed, int64, one per arc
        self.csr = csr_matrix((self.weight.astype(np.float64), self.arcs.head, indptr), (n, n))

    def _encode(self, arcs: Arcs) -> np.ndarray:
        time_units = np.rint(arcs.time_s / self.seconds_per_unit).astype(np.int64)
        length_units = np.rint(arcs.length_m / self.metres_per_unit).astype(np.int64)
        return (time_units << self.shift) | length_units

    def matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """Distance (m, along the fastest path) and time (s) between all sites, int64."""
        if len(self.site_nodes) >= HIERARCHY_FROM_SITES:
            packed = self._packed_hierarchy()
        else:
            packed = self._packed_dijkstra()
        rows, cols = np.nonzero(packed < 0)
        if len(rows):
            pairs = [
                f"{self.site_ids[r]!r} -> {self.site_ids[c]!r}"
                for r, c in zip(rows[:5].tolist(), cols[:5].tolist(), strict=True)
            ]
            raise NetworkError(
                f"no road path for {len(rows)} site pair(s), e.g. {', '.join(pairs)}:"
                " check that these sites lie on the connected road network"
            )
        duration = np.rint((packed >> self.shift) * self.seconds_per_unit).astype(np.int64)
        distance = np.rint((packed & ((1 << self.shift) - 1)) * self.metres_per_unit)
        return distance.astype(np.int64), duration

    def _packed_hierarchy(self) -> np.ndarray:
        """Packed fastest-path weights between all sites (-1: no path), by the hierarchy."""
        from wasteopt.network.hierarchy import Hierarchy  # noqa: PLC0415 (numba loads slowly)

        hierarchy = Hierarchy(self.csr.shape[0], self.arcs.tail, self.arcs.head, self.weight)
        return hierarchy.many_to_many(self.site_nodes, self.site_nodes)

    def _packed_dijkstra(self) -> np.ndarray:
        """Packed fastest-path weights between all sites (-1: no path), one Dijkstra a site."""
        m = len(self.site_nodes)
        packed = np.empty((m, m), dtype=np.int64)
        block = max(1, _BLOCK_ENTRIES // self.csr.shape[0])
        for start in range(0, m, block):
            rows = slice(start, min(m, start + block))
            found = dijkstra(self.csr, directed=True, indices=self.site_nodes[rows])
            found = found[:, self.site_nodes]
            packed[rows] = np.where(np.isfinite(found), found, -1)
        return packed

    def path_arcs(self, origin: int, destination: int) -> Arcs:
        """The arcs of the fastest path between two sites (by their position in the list)."""
        source, target = int(self.site_nodes[origin]), int(self.site_nodes[destination])
        _, predecessors = dijkstra(
            self.csr, directed=True, indices=source, return_predecessors=True
        )
        chosen: list[int] = []
        node = target
        while node != source:
            previous = int(predecessors[node])
            if previous < 0:
                raise NetworkError(
                    f"no road path from {self.site_ids[origin]!r} to {self.site_ids[destination]!r}"
                )
            row = slice(self.csr.indptr[previous], self.csr.indptr[previous + 1])
            chosen.append(row.start + int(np.flatnonzero(self.csr.indices[row] == node)[0]))
            node = previous
        return self.arcs.take(np.array(chosen[::-1], dtype=np.int64))
