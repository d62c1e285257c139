"""The contraction hierarchy gives exactly the lengths of plain Dijkstra."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from wasteopt.model import Site
from wasteopt.network import RoadNetworkProvider, load_provider, site_matrix
from wasteopt.network.hierarchy import Hierarchy
from wasteopt.network.site_matrix import SiteGraph

ANDORRA = Path(__file__).parent / "data" / "osm" / "andorra-latest.osm.pbf"


def dijkstra_lengths(n: int, tail, head, weight) -> np.ndarray:
    """All-pairs lengths by scipy, -1 where there is no path (the hierarchy's convention).

    scipy would drop zero-weight arcs from a sparse matrix: they get a negligible weight.
    """
    weight = np.maximum(np.asarray(weight, dtype=float), 1e-300)
    graph = csr_matrix((weight, (tail, head)), shape=(n, n))
    found = dijkstra(graph, directed=True)
    return np.where(np.isfinite(found), found, -1).astype(np.int64)


@st.composite
def digraphs(draw: st.DrawFn) -> tuple[int, list[int], list[int], list[int]]:
    """Small directed graphs with one-way arcs, zero weights, ties and unreachable parts."""
    n = draw(st.integers(1, 30))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
            unique=True,
            max_size=4 * n,
        )
    )
    weights = draw(st.lists(st.integers(0, 4), min_size=len(pairs), max_size=len(pairs)))
    return n, [p[0] for p in pairs], [p[1] for p in pairs], weights


@settings(max_examples=300, deadline=None)
@given(digraphs())
def test_hierarchy_equals_dijkstra_on_random_digraphs(graph) -> None:
    n, tail, head, weight = graph
    everyone = np.arange(n)
    got = Hierarchy(n, np.array(tail, int), np.array(head, int), np.array(weight, int))
    assert np.array_equal(got.many_to_many(everyone, everyone), dijkstra_lengths(*graph))


def test_hierarchy_takes_sources_and_targets_apart() -> None:
    rng = np.random.default_rng(3)
    n = 60
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, n, (200, 2)) if a != b}
    tail, head = (np.array(side) for side in zip(*sorted(pairs), strict=True))
    weight = rng.integers(0, 50, len(tail))  # zero-weight arcs too
    expected = dijkstra_lengths(n, tail, head, weight)
    sources, targets = np.array([5, 0, 59, 5]), np.array([7, 7, 1])
    got = Hierarchy(n, tail, head, weight).many_to_many(sources, targets)
    assert np.array_equal(got, expected[np.ix_(sources, targets)])


@pytest.fixture(scope="module")
def andorra(tmp_path_factory: pytest.TempPathFactory) -> RoadNetworkProvider:
    return load_provider(ANDORRA, cache_dir=tmp_path_factory.mktemp("cache"))


def scattered_sites(provider: RoadNetworkProvider, count: int) -> list[Site]:
    """Sites near random nodes, most of them snapping mid-edge, some onto the same edge."""
    rng = np.random.default_rng(11)
    lon, lat = provider.roads.lon, provider.roads.lat
    picks = rng.choice(len(lon), count, replace=False)
    return [
        Site(id=f"s{i}", lon=lon[k] + rng.normal(0, 1e-4), lat=lat[k] + rng.normal(0, 1e-4))
        for i, k in enumerate(picks)
    ]


def test_site_matrices_are_the_same_either_way(andorra: RoadNetworkProvider) -> None:
    graph = SiteGraph(andorra.roads, andorra.snap_report(scattered_sites(andorra, 260)))
    by_hierarchy, by_dijkstra = graph._packed_hierarchy(), graph._packed_dijkstra()
    assert (by_dijkstra >= 0).all()
    assert np.array_equal(by_hierarchy, by_dijkstra)


def test_many_sites_use_the_hierarchy(andorra: RoadNetworkProvider, monkeypatch) -> None:
    sites = scattered_sites(andorra, 40)
    expected = andorra.matrices(sites)

    def no_dijkstra(graph: SiteGraph) -> np.ndarray:
        raise AssertionError("the per-site Dijkstra ran although the hierarchy should")

    monkeypatch.setattr(site_matrix, "HIERARCHY_FROM_SITES", 2)
    monkeypatch.setattr(SiteGraph, "_packed_dijkstra", no_dijkstra)
    monkeypatch.setattr(andorra, "cache_dir", andorra.cache_dir / "hierarchy")
    got = andorra.matrices(sites)
    assert np.array_equal(got.duration_s, expected.duration_s)
    assert np.array_equal(got.distance_m, expected.distance_m)
