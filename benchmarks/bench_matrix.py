"""Travel-matrix benchmark: 1,000 x 1,000 time + distance on two road networks.

Networks: the Andorra OSM extract (tests/data/osm, © OpenStreetMap contributors, ODbL) and a
generated road-like grid of 50,000 nodes (:func:`road_grid`). For each, 1,000 sites at random
places are snapped and :meth:`RoadNetworkProvider.matrices` runs with an empty cache
(``ROUNDS`` rounds after one warm-up round that compiles the numba code, if it is not in numba's
on-disk cache yet: pytest-benchmark reports their median). With 1,000 sites the matrices come
from the contraction hierarchy. Stored in ``extra_info``:

- ``scipy_dijkstra_s``: one scipy Dijkstra per site on the same site graph (the path taken
  below ``HIERARCHY_FROM_SITES`` sites), timed once in the same run; ``hierarchy_speedup`` is
  that over the median;
- ``peak_mb``: tracemalloc peak of one more run (numpy and scipy allocations included);
- ``networkx_s``: networkx's per-source Dijkstra doing the same job (``single_source_dijkstra``,
  then the length of each fastest path to 1,000 targets), timed on ``NX_SOURCES`` sources in
  the same run and scaled to 1,000 sources; ``speedup`` is that over the median;
  ``networkx_time_only_s`` / ``speedup_time_only`` the same for travel times alone
  (``single_source_dijkstra_path_length``), networkx's cheapest call;
- ``load_average_1min``: the machine's load when the run ended (it is shared: read the
  figures against it).

Run ``pytest benchmarks/bench_matrix.py --benchmark-json out.json -s``.
"""

from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from wasteopt.model import Site
from wasteopt.network import RoadNetworkProvider, load_provider
from wasteopt.network.site_matrix import SiteGraph

ANDORRA = Path(__file__).resolve().parents[1] / "tests" / "data" / "osm" / "andorra-latest.osm.pbf"
SITES = 1000
ROUNDS = 5
NX_SOURCES = 40


def road_grid(columns: int = 250, rows: int = 200, spacing_deg: float = 0.0015, seed: int = 0):
    """A jittered street grid of ``columns x rows`` nodes around Daoxian's county seat.

    Every 10th line is a secondary road, every 50th a primary one, the rest residential; 12 %
    of the residential links are missing and 6 % are one-way, so routes bend and differ by
    direction. Lengths are the straight distances times 1.1.
    """
    rng = np.random.default_rng(seed)
    graph = nx.MultiDiGraph(crs="epsg:4326")
    jitter = rng.uniform(-0.3, 0.3, size=(columns, rows, 2)) * spacing_deg
    for c in range(columns):
        for r in range(rows):
            lon = 111.40 + c * spacing_deg + jitter[c, r, 0]
            lat = 25.35 + r * spacing_deg + jitter[c, r, 1]
            graph.add_node(c * rows + r, x=lon, y=lat)

    def road_class(line: int) -> str:
        return "primary" if line % 50 == 0 else "secondary" if line % 10 == 0 else "residential"

    for c in range(columns):
        for r in range(rows):
            for dc, dr, line in ((1, 0, r), (0, 1, c)):
                if c + dc >= columns or r + dr >= rows:
                    continue
                highway = road_class(line)
                draw = rng.random()
                if highway == "residential" and draw < 0.12:
                    continue
                u, v = c * rows + r, (c + dc) * rows + r + dr
                a, b = graph.nodes[u], graph.nodes[v]
                metres = 1.1 * 111_000 * np.hypot((a["x"] - b["x"]) * 0.9, a["y"] - b["y"])
                one_way = highway == "residential" and draw < 0.18
                graph.add_edge(u, v, length=metres, highway=highway, oneway=one_way)
                if not one_way:
                    graph.add_edge(v, u, length=metres, highway=highway, oneway=False)
    return graph


def random_sites(provider: RoadNetworkProvider, count: int, seed: int = 1) -> list[Site]:
    rng = np.random.default_rng(seed)
    lon, lat = provider.roads.lon, provider.roads.lat
    picks = rng.choice(len(lon), count, replace=False)
    return [
        Site(id=f"s{i}", lon=lon[k] + rng.normal(0, 2e-4), lat=lat[k] + rng.normal(0, 2e-4))
        for i, k in enumerate(picks)
    ]


def networkx_seconds(provider: RoadNetworkProvider, sources: int) -> tuple[float, float]:
    """Seconds networkx needs for ``SITES`` single-source Dijkstras, timed on ``sources``.

    First the same job (travel time, and distance along each fastest path to ``SITES``
    targets), then travel times alone, networkx's cheapest call.
    """
    simple = nx.DiGraph()
    for u, v, data in provider.graph.edges(data=True):
        if not simple.has_edge(u, v) or simple[u][v]["w"] > data["travel_time"]:
            simple.add_edge(u, v, w=data["travel_time"], m=data["length"])
    nodes = list(simple.nodes)
    rng = np.random.default_rng(2)
    picks = rng.choice(len(nodes), sources, replace=False)
    targets = [nodes[k] for k in rng.choice(len(nodes), SITES, replace=False)]
    started = time.perf_counter()
    for k in picks:
        _, paths = nx.single_source_dijkstra(simple, nodes[k], weight="w")
        for target in targets:
            path = paths[target]
            sum(simple[a][b]["m"] for a, b in zip(path, path[1:], strict=False))
    both = (time.perf_counter() - started) / sources * SITES
    started = time.perf_counter()
    for k in picks:
        nx.single_source_dijkstra_path_length(simple, nodes[k], weight="w")
    return both, (time.perf_counter() - started) / sources * SITES


def peak_mb(provider: RoadNetworkProvider, sites: list[Site], cache: Path) -> float:
    provider.cache_dir = cache
    tracemalloc.start()
    provider.matrices(sites)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


@pytest.fixture(scope="module", params=["andorra", "grid50k"])
def network(request: pytest.FixtureRequest) -> RoadNetworkProvider:
    if request.param == "andorra":
        return load_provider(ANDORRA)
    return RoadNetworkProvider(road_grid())


def test_matrix_1000x1000(benchmark, network: RoadNetworkProvider, tmp_path: Path) -> None:
    sites = random_sites(network, SITES)
    caches = iter(tmp_path / f"round{k}" for k in range(ROUNDS + 2))

    def fresh_cache() -> None:
        network.cache_dir = next(caches)

    result = benchmark.pedantic(
        network.matrices, args=(sites,), setup=fresh_cache, rounds=ROUNDS, warmup_rounds=1
    )
    assert result.duration_s.shape == (SITES, SITES)
    median = statistics.median(benchmark.stats.stats.data)
    site_graph = SiteGraph(network.roads, network.snap_report(sites))
    started = time.perf_counter()
    site_graph._packed_dijkstra()
    scipy_s = time.perf_counter() - started
    nx_s, nx_time_only_s = networkx_seconds(network, NX_SOURCES)
    benchmark.extra_info.update(
        {
            "nodes": len(network.graph),
            "edges": len(network.graph.edges),
            "sites": SITES,
            "scipy_dijkstra_s": round(scipy_s, 2),
            "hierarchy_speedup": round(scipy_s / median, 1),
            "peak_mb": round(peak_mb(network, sites, tmp_path / "peak"), 1),
            "networkx_s": round(nx_s, 2),
            "speedup": round(nx_s / median, 1),
            "networkx_time_only_s": round(nx_time_only_s, 2),
            "speedup_time_only": round(nx_time_only_s / median, 1),
            "load_average_1min": os.getloadavg()[0],
        }
    )
    print(f"\n{benchmark.name}: median {median:.3f} s over {ROUNDS} rounds, {benchmark.extra_info}")
