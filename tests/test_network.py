"""Road-network matrices on real OSM data (tests/data/osm, © OpenStreetMap contributors, ODbL)."""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest

from wasteopt.check import check_plan
from wasteopt.errors import NetworkError
from wasteopt.io import instance_from_dict
from wasteopt.matrix import great_circle_m
from wasteopt.model import Site
from wasteopt.network import RoadNetworkProvider, load_provider
from wasteopt.network.load import read_osm
from wasteopt.planning import PlanOptions, plan_day

OSM = Path(__file__).parent / "data" / "osm"
ANDORRA = OSM / "andorra-latest.osm.pbf"
OAKLAND = OSM / "West-Oakland.osm.bz2"


@pytest.fixture(scope="module")
def andorra(tmp_path_factory: pytest.TempPathFactory) -> RoadNetworkProvider:
    return load_provider(ANDORRA, cache_dir=tmp_path_factory.mktemp("cache"))


def node_sites(provider: RoadNetworkProvider, count: int, seed: int) -> list[Site]:
    """Sites placed exactly on randomly chosen nodes of the routable network."""
    nodes = list(provider.graph.nodes)
    chosen = np.random.default_rng(seed).choice(len(nodes), count, replace=False)
    return [
        Site(
            id=f"n{nodes[k]}",
            lon=provider.graph.nodes[nodes[k]]["x"],
            lat=provider.graph.nodes[nodes[k]]["y"],
        )
        for k in chosen
    ]


def off_road_sites(provider: RoadNetworkProvider, count: int, seed: int) -> list[Site]:
    """Sites a few tens of metres off randomly chosen nodes (they snap mid-edge)."""
    rng = np.random.default_rng(seed)
    return [
        Site(id=f"s{i}", lon=s.lon + rng.normal(0, 3e-4), lat=s.lat + rng.normal(0, 3e-4))
        for i, s in enumerate(node_sites(provider, count, seed))
    ]


def fastest_path_on(graph: nx.MultiDiGraph, source, target) -> tuple[float, float]:
    """Travel time and length of the fastest path, computed by networkx."""
    path = nx.dijkstra_path(graph, source, target, weight="travel_time")
    time = length = 0.0
    for u, v in itertools.pairwise(path):
        edge = min(graph[u][v].values(), key=lambda d: d["travel_time"])
        time += edge["travel_time"]
        length += edge["length"]
    return time, length


def test_matrix_equals_networkx_shortest_paths(andorra: RoadNetworkProvider) -> None:
    sites = node_sites(andorra, 30, seed=1)
    m = andorra.matrices(sites)
    pairs = np.random.default_rng(2).choice(len(sites), size=(60, 2))
    checked = 0
    for i, j in pairs:
        if i == j:
            continue
        source, target = int(sites[i].id[1:]), int(sites[j].id[1:])
        time, length = fastest_path_on(andorra.graph, source, target)
        assert abs(m.duration_s[i, j] - time) <= 1, (sites[i].id, sites[j].id)
        assert abs(m.distance_m[i, j] - length) <= 1 + 1e-4 * length, (sites[i].id, sites[j].id)
        checked += 1
    assert checked > 40
    assert m.distance_m.dtype == np.int64 and m.duration_s.dtype == np.int64
    assert (np.diag(m.duration_s) == 0).all()


def test_one_way_edges_give_asymmetric_times(andorra: RoadNetworkProvider) -> None:
    graph = andorra.graph
    one_way = [
        (u, v, d)
        for u, v, d in graph.edges(data=True)
        if d.get("oneway") in (True, "True") and not graph.has_edge(v, u) and d["length"] > 50
    ]
    assert one_way, "the Andorra extract has one-way streets"
    u, v, data = max(one_way, key=lambda e: fastest_path_on(graph, e[1], e[0])[0])
    a = Site(id="a", lon=graph.nodes[u]["x"], lat=graph.nodes[u]["y"])
    b = Site(id="b", lon=graph.nodes[v]["x"], lat=graph.nodes[v]["y"])
    m = andorra.matrices([a, b])
    forward, backward = fastest_path_on(graph, u, v)[0], fastest_path_on(graph, v, u)[0]
    assert m.duration_s[0, 1] == pytest.approx(forward, abs=1)
    assert m.duration_s[1, 0] == pytest.approx(backward, abs=1)
    assert m.duration_s[0, 1] <= round(data["travel_time"]) + 1
    assert m.duration_s[1, 0] > m.duration_s[0, 1] + 10


def test_triangle_inequality_for_sites_off_the_road(andorra: RoadNetworkProvider) -> None:
    sites = off_road_sites(andorra, 25, seed=3)
    t = andorra.matrices(sites).duration_s
    n = len(sites)
    via = t[:, :, None] + t[None, :, :]  # via[i, j, k] = t[i, j] + t[j, k]
    direct = np.broadcast_to(t[:, None, :], (n, n, n))
    assert (direct <= via + 2).all()  # 2 s: each entry is rounded to whole seconds


def test_site_mid_edge_joins_the_road_between_its_ends(andorra: RoadNetworkProvider) -> None:
    graph = andorra.graph
    u, v, data = next(
        (u, v, d)
        for u, v, d in graph.edges(data=True)
        if "geometry" in d and d["length"] > 300 and graph.has_edge(v, u)
    )
    ends = [Site(id=f"node{n}", lon=graph.nodes[n]["x"], lat=graph.nodes[n]["y"]) for n in (u, v)]
    point = data["geometry"].interpolate(0.25, normalized=True)
    middle = Site(id="mid", lon=point.x, lat=point.y)
    m = andorra.matrices([*ends, middle])
    tolerance = 2 + 0.01 * data["length"]
    assert m.duration_s[0, 2] + m.duration_s[2, 1] == pytest.approx(m.duration_s[0, 1], abs=2)
    assert m.distance_m[0, 2] == pytest.approx(0.25 * data["length"], abs=tolerance)
    assert m.distance_m[2, 1] == pytest.approx(0.75 * data["length"], abs=tolerance)
    (snap,) = andorra.snap_report([middle])
    assert snap.distance_m < 1.0


def test_leg_path_follows_roads(andorra: RoadNetworkProvider) -> None:
    sites = off_road_sites(andorra, 6, seed=4)
    m = andorra.matrices(sites)
    snaps = {s.site_id: s.distance_m for s in andorra.snap_report(sites)}
    for i, j in [(0, 1), (2, 3), (4, 5), (5, 0)]:
        line = andorra.leg_path(sites[i], sites[j])
        assert line[0] == (sites[i].lon, sites[i].lat)
        assert line[-1] == (sites[j].lon, sites[j].lat)
        lon, lat = np.array(line).T
        drawn = great_circle_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum()
        links = snaps[sites[i].id] + snaps[sites[j].id]
        assert drawn == pytest.approx(m.distance_m[i, j] + links, rel=0.01, abs=5)
        assert len(line) > 2


def test_far_site_is_warned_about(
    andorra: RoadNetworkProvider, caplog: pytest.LogCaptureFixture
) -> None:
    far = Site(id="far-away-farm", lon=1.30, lat=42.40)  # ~9 km west of Andorra's roads
    near = node_sites(andorra, 1, seed=5)[0]
    with caplog.at_level(logging.WARNING, logger="wasteopt.network"):
        far_snap, near_snap = andorra.snap_report([far, near])
    assert far_snap.distance_m > 5000
    assert near_snap.distance_m < 1
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "far-away-farm" in warned[0]
    expected = great_circle_m(far.lon, far.lat, far_snap.lon, far_snap.lat)
    assert far_snap.distance_m == pytest.approx(expected, rel=0.01)


def oakland_with_island() -> nx.MultiDiGraph:
    """West Oakland plus a two-way lane 3 km east that no road connects to the rest."""
    graph = read_osm(OAKLAND)
    graph.add_node("i1", x=-122.265, y=37.808)
    graph.add_node("i2", x=-122.263, y=37.808)
    for a, b in [("i1", "i2"), ("i2", "i1")]:
        graph.add_edge(a, b, length=176.0, highway="residential", oneway=False)
    return graph


def test_site_on_a_disconnected_island_is_a_clear_error(tmp_path: Path) -> None:
    provider = RoadNetworkProvider(oakland_with_island(), cache_dir=tmp_path)
    assert "i1" not in provider.graph and provider.drop_report.components >= 1
    yard = Site(id="yard", lon=-122.2995, lat=37.8075)
    island = Site(id="island-village", lon=-122.264, lat=37.8081)
    with pytest.raises(NetworkError, match="island-village") as error:
        provider.matrices([yard, island])
    assert "yard" not in str(error.value)
    assert provider.matrices([yard]).duration_s.shape == (1, 1)


def test_graphml_round_trip_keeps_the_matrices(
    andorra: RoadNetworkProvider, tmp_path: Path
) -> None:
    path = tmp_path / "andorra.graphml"
    ox.save_graphml(andorra.graph, path)
    reloaded = load_provider(path, cache_dir=tmp_path / "cache")
    assert len(reloaded.graph) == len(andorra.graph)
    assert len(reloaded.graph.edges) == len(andorra.graph.edges)
    sites = off_road_sites(andorra, 15, seed=6)
    before, after = andorra.matrices(sites), reloaded.matrices(sites)
    np.testing.assert_array_equal(before.distance_m, after.distance_m)
    np.testing.assert_array_equal(before.duration_s, after.duration_s)


def test_matrices_are_cached_per_graph_sites_and_speeds(tmp_path: Path) -> None:
    sites = [Site(id="a", lon=-122.2995, lat=37.8075), Site(id="b", lon=-122.2990, lat=37.8085)]
    first = RoadNetworkProvider(read_osm(OAKLAND), cache_dir=tmp_path).matrices(sites)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    again = RoadNetworkProvider(read_osm(OAKLAND), cache_dir=tmp_path).matrices(sites)
    np.testing.assert_array_equal(first.duration_s, again.duration_s)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    slow = RoadNetworkProvider(
        read_osm(OAKLAND), speeds={"residential": 5, "secondary": 5}, cache_dir=tmp_path
    ).matrices(sites)
    assert len(list(tmp_path.glob("*.npz"))) == 2
    assert slow.duration_s[0, 1] > first.duration_s[0, 1]


def test_unknown_file_type_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "roads.shp"
    path.write_text("not a graph")
    with pytest.raises(NetworkError, match=r"roads\.shp.*graphml"):
        load_provider(path)


def test_a_plan_on_the_andorra_network_passes_the_checker(
    andorra: RoadNetworkProvider, example_path: Path
) -> None:
    data = json.loads(example_path.read_text(encoding="utf-8"))
    data["settings"]["graph"] = None
    places = iter(node_sites(andorra, 1 + len(data["facilities"]) + len(data["points"]), seed=7))
    for group in ("yards", "facilities", "points"):
        for site in data[group]:
            place = next(places)
            site["lon"], site["lat"] = place.lon, place.lat
    instance = instance_from_dict(data)
    plan = plan_day(instance, provider=andorra, options=PlanOptions(time_limit_s=3, seed=1))
    assert check_plan(instance, plan, andorra.matrices(instance.sites)) == []
    served = sum(s.tonnes for r in plan.routes for s in r.stops if s.action == "collect")
    assert served > 0
    road = andorra.matrices(instance.sites)
    index = road.index()
    for route in plan.routes:
        legs = itertools.pairwise(s.site_id for s in route.stops)
        metres = sum(road.distance_m[index[a], index[b]] for a, b in legs)
        assert route.distance_km == pytest.approx(metres / 1000, abs=0.01 * len(route.stops))


def test_an_unusable_cache_never_stops_the_matrices(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sites = [Site(id="a", lon=-122.2995, lat=37.8075), Site(id="b", lon=-122.2990, lat=37.8085)]
    expected = RoadNetworkProvider(read_osm(OAKLAND), cache_dir=tmp_path / "ok").matrices(sites)
    (cached,) = (tmp_path / "ok").glob("*.npz")
    cached.write_bytes(b"truncated")
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    with caplog.at_level(logging.WARNING, logger="wasteopt.network"):
        for cache_dir in (tmp_path / "ok", not_a_dir):
            got = RoadNetworkProvider(read_osm(OAKLAND), cache_dir=cache_dir).matrices(sites)
            np.testing.assert_array_equal(got.duration_s, expected.duration_s)
    assert any("unreadable matrix cache" in r.getMessage() for r in caplog.records)
    assert any("could not write the matrix cache" in r.getMessage() for r in caplog.records)


def test_distance_is_along_the_fastest_path_and_the_shortest_of_equally_fast_ones(
    tmp_path: Path,
) -> None:
    graph = nx.MultiDiGraph(crs="epsg:4326")
    for node, lon in (("a", 111.60), ("fast", 111.605), ("slow", 111.605), ("b", 111.61)):
        graph.add_node(node, x=lon, y=25.5 + (0.001 if node == "slow" else 0.0))

    def road(u: str, v: str, metres: float, highway: str) -> None:
        graph.add_edge(u, v, length=metres, highway=highway)
        graph.add_edge(v, u, length=metres, highway=highway)

    road("a", "fast", 1000.0, "primary")  # 50 km/h: 72 s
    road("fast", "b", 1000.0, "primary")
    road("a", "slow", 400.0, "residential")  # 20 km/h: 72 s, but 600 m shorter
    road("slow", "b", 400.0, "residential")
    sites = [Site(id=n, lon=graph.nodes[n]["x"], lat=graph.nodes[n]["y"]) for n in ("a", "b")]
    tie = RoadNetworkProvider(graph.copy(), cache_dir=tmp_path).matrices(sites)
    assert tie.duration_s[0, 1] == 144 and tie.distance_m[0, 1] == 800
    quicker = RoadNetworkProvider(graph, speeds={"primary": 60}, cache_dir=tmp_path)
    m = quicker.matrices(sites)
    assert m.duration_s[0, 1] == 120 and m.distance_m[0, 1] == 2000
