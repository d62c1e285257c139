"""Build graphs/daoxian.graphml: a SCHEMATIC road network for the Daoxian instance.

Not surveyed. No OpenStreetMap download is possible where this project is built, so this script
links the instance's own sites by plausible roads; every choice below is an *assumption*
(see graphs/README.md). With internet access, replace it by the real network:

    wasteopt graph build --place "Daoxian, Yongzhou, Hunan, China" --out graphs/daoxian.graphml

Layout, deterministic (no random numbers; the same instance gives the same file):

* township seat: the collection point of each township nearest to the mean position of the
  township's points; the county seat is the township seat nearest to the point-weighted mean
  of all seats;
* seats are joined by the edges of their Delaunay triangulation up to ``SEAT_LINK_MAX_KM``
  plus its minimum spanning tree; links on the county seat's shortest way to at least
  ``TRUNK_MIN_TOWNSHIPS`` seats are ``primary``, the others ``secondary``;
* points are joined by their minimum spanning tree and two in three of the short edges of
  their Delaunay triangulation (loops, as village roads have): ``residential`` between points
  of subdistricts (街道), else ``unclassified``;
* every yard and facility is joined to its two nearest points and its nearest seat by a
  ``tertiary`` road;
* each road is two-way, ``CIRCUITY[class]`` times longer than the straight line, and drawn
  as a bent line of that length.

Usage: ``python graphs/build_daoxian.py [INSTANCE] [--out GRAPHML]``.
"""

from __future__ import annotations

import argparse
import itertools
import zlib
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay

from wasteopt.io import load_instance
from wasteopt.matrix import great_circle_m
from wasteopt.model import Instance, Site

HERE = Path(__file__).resolve().parent
DEFAULT_INSTANCE = HERE.parent / "instances" / "daoxian" / "instance.json"
DEFAULT_OUT = HERE / "daoxian.graphml"
# road km per straight km of one link, by class: *assumption* (main roads straighter). The
# network's layout adds its own detours on top, so that a trip's road km per straight km
# comes out near the 1.35 of the no-network provider (wasteopt.matrix.GreatCircleProvider)
CIRCUITY = {
    "primary": 1.1,
    "secondary": 1.15,
    "tertiary": 1.15,
    "unclassified": 1.2,
    "residential": 1.1,
}
SEAT_LINK_MAX_KM = 15.0  # *assumption*: seats farther apart are linked only through others
TRUNK_MIN_TOWNSHIPS = 2  # *assumption*: a seat link on the way to 2+ seats is a primary road
VILLAGE_LOOP_FACTOR = 4.0  # *assumption*: village links up to 4 x the median tree link
SUBDISTRICT = "街道"


KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON_EQUATOR = 111.32
COUNTY_LAT = 25.5  # Daoxian lies near 25.5 N (DOMAIN.md); scales longitude to km


def _km_per_deg_lon() -> float:
    return KM_PER_DEG_LON_EQUATOR * float(np.cos(np.radians(COUNTY_LAT)))


def _xy(sites: list[Site]) -> np.ndarray:
    """Local metric coordinates (km) good enough for choosing neighbours and drawing bends."""
    lon = np.array([s.lon for s in sites])
    lat = np.array([s.lat for s in sites])
    return np.column_stack([lon * _km_per_deg_lon(), lat * KM_PER_DEG_LAT])


def _delaunay_pairs(xy: np.ndarray) -> set[tuple[int, int]]:
    if len(xy) < 3:
        return {(i, j) for i in range(len(xy)) for j in range(i + 1, len(xy))}
    pairs: set[tuple[int, int]] = set()
    for simplex in Delaunay(xy).simplices:
        for a, b in ((0, 1), (1, 2), (0, 2)):
            i, j = sorted((int(simplex[a]), int(simplex[b])))
            pairs.add((i, j))
    return pairs


def _tree_pairs(xy: np.ndarray, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The minimum spanning tree over candidate ``pairs`` (Delaunay contains the Euclidean MST)."""
    rows, cols = zip(*sorted(pairs), strict=True)
    weight = np.linalg.norm(xy[list(rows)] - xy[list(cols)], axis=1) + 1e-9
    tree = minimum_spanning_tree(coo_matrix((weight, (rows, cols)), shape=(len(xy),) * 2)).tocoo()
    return {tuple(sorted((int(i), int(j)))) for i, j in zip(tree.row, tree.col, strict=True)}


def _stable(a: str, b: str) -> int:
    return zlib.crc32(f"{a}|{b}".encode())


class SchematicNetwork:
    """The graph under construction: one node per site, two-way bent roads between them."""

    def __init__(self, instance: Instance):
        self.graph = nx.MultiDiGraph(
            crs="epsg:4326",
            name=f"schematic road network for instance {instance.name!r} (not surveyed)",
        )
        self.node: dict[str, int] = {}
        for number, site in enumerate(instance.sites, start=1):
            self.node[site.id] = number
            self.graph.add_node(number, x=site.lon, y=site.lat, site_id=site.id)
        self.sites = {s.id: s for s in instance.sites}

    def road(self, a: str, b: str, highway: str) -> None:
        """Add a two-way road between sites ``a`` and ``b`` unless they are already linked."""
        u, v = self.node[a], self.node[b]
        if u == v or self.graph.has_edge(u, v):
            return
        sa, sb = self.sites[a], self.sites[b]
        straight = float(great_circle_m(sa.lon, sa.lat, sb.lon, sb.lat))
        circuity = CIRCUITY[highway]
        # bend the line at its middle so the drawn length equals the road length
        lift = 0.5 * np.sqrt(circuity**2 - 1.0) * (1 if _stable(a, b) % 2 else -1)
        aspect = KM_PER_DEG_LAT / _km_per_deg_lon()
        mid = (
            (sa.lon + sb.lon) / 2 - lift * (sb.lat - sa.lat) * aspect,
            (sa.lat + sb.lat) / 2 + lift * (sb.lon - sa.lon) / aspect,
        )
        line = [(sa.lon, sa.lat), mid, (sb.lon, sb.lat)]
        way = self.graph.number_of_edges() // 2 + 1
        for tail, head, points, flipped in ((u, v, line, False), (v, u, line[::-1], True)):
            self.graph.add_edge(
                tail,
                head,
                osmid=way,
                highway=highway,
                length=round(straight * circuity, 1),
                oneway=False,
                reversed=flipped,
                geometry=shapely.LineString(points),
                source="schematic",
            )


def _seats(instance: Instance) -> tuple[dict[str, str], str]:
    """Township -> id of its seat point, and the id of the county seat."""
    by_township: dict[str, list[Site]] = {}
    for point in sorted(instance.points, key=lambda p: p.id):
        by_township.setdefault(point.township or "(none)", []).append(point)
    seats: dict[str, str] = {}
    for township, points in sorted(by_township.items()):
        xy = _xy(points)
        seats[township] = points[int(np.argmin(np.linalg.norm(xy - xy.mean(axis=0), axis=1)))].id
    sizes = Counter(p.township or "(none)" for p in instance.points)
    seat_sites = [instance.site(seats[t]) for t in sorted(seats)]
    xy = _xy(seat_sites)
    centre = np.average(xy, axis=0, weights=[sizes[t] for t in sorted(seats)])
    county = seat_sites[int(np.argmin(np.linalg.norm(xy - centre, axis=1)))].id
    return seats, county


def build(instance: Instance) -> nx.MultiDiGraph:
    """The schematic road network of ``instance`` (see the module docstring)."""
    net = SchematicNetwork(instance)
    seats, county = _seats(instance)

    seat_ids = [seats[t] for t in sorted(seats)]
    xy = _xy([instance.site(s) for s in seat_ids])
    candidates = _delaunay_pairs(xy)
    tree = _tree_pairs(xy, candidates)
    links = nx.Graph()
    for i, j in sorted(candidates):
        km = float(np.linalg.norm(xy[i] - xy[j]))
        if (i, j) in tree or km <= SEAT_LINK_MAX_KM:
            links.add_edge(i, j, km=km)
    # links that carry the county seat's traffic to several townships are the main roads
    carried: Counter[tuple[int, int]] = Counter()
    paths = nx.single_source_dijkstra_path(links, seat_ids.index(county), weight="km")
    for path in paths.values():
        carried.update(tuple(sorted(pair)) for pair in itertools.pairwise(path))
    for i, j in sorted(links.edges):
        trunk = carried[(min(i, j), max(i, j))] >= TRUNK_MIN_TOWNSHIPS
        highway = "primary" if trunk else "secondary"
        net.road(seat_ids[i], seat_ids[j], highway)

    points = sorted(instance.points, key=lambda p: p.id)
    xy = _xy(points)
    candidates = _delaunay_pairs(xy)
    tree = _tree_pairs(xy, candidates)
    median = float(np.median([np.linalg.norm(xy[i] - xy[j]) for i, j in tree]))
    for i, j in sorted(candidates):
        a, b = points[i], points[j]
        short = np.linalg.norm(xy[i] - xy[j]) <= VILLAGE_LOOP_FACTOR * median
        if (i, j) in tree or (short and _stable(a.id, b.id) % 3 != 0):
            urban = all((p.township or "").endswith(SUBDISTRICT) for p in (a, b))
            net.road(a.id, b.id, "residential" if urban else "unclassified")

    points = sorted(instance.points, key=lambda p: p.id)
    point_xy = _xy(points)
    seat_xy = _xy([instance.site(s) for s in seat_ids])
    for site in [*instance.yards, *instance.facilities]:
        here = _xy([site])[0]
        for k in np.argsort(np.linalg.norm(point_xy - here, axis=1))[:2]:
            net.road(site.id, points[int(k)].id, "tertiary")
        seat = seat_ids[int(np.argmin(np.linalg.norm(seat_xy - here, axis=1)))]
        net.road(site.id, seat, "tertiary")
    return net.graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", nargs="?", type=Path, default=DEFAULT_INSTANCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    instance = load_instance(args.instance)
    if not instance.points:
        raise SystemExit(f"{args.instance}: the instance has no points to link")
    graph = build(instance)
    if not nx.is_strongly_connected(graph):
        raise SystemExit("the schematic network is not connected: report this as a bug")
    ox.save_graphml(graph, args.out)
    km = Counter()
    for *_, data in graph.edges(data=True):
        km[data["highway"]] += data["length"] / 2000.0
    print(f"{args.out}: {len(graph)} nodes, {len(graph.edges)} directed edges (schematic)")
    for highway, total in km.most_common():
        print(f"  {highway:<14} {total:8.1f} km")


if __name__ == "__main__":
    main()
