"""Reading road graphs: GraphML, OSM XML (.osm, .osm.bz2), OSM PBF, or OSM online via osmnx.

Every OSM source goes through one path: pyosmium streams the file (XML, bz2 or PBF alike),
keeps the ways a refuse truck may drive (:func:`truck_way`) and writes them with their nodes
to a temporary OSM XML file, which ``osmnx.graph_from_xml`` turns into a simplified
MultiDiGraph. pyosmium is the reader because it is maintained by the libosmium authors, reads
every OSM format with bounded memory in C++, and is already a dependency; pyrosm would add a
second, Cython-built reader for the PBF case only.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import osmium
import osmnx as ox
from osmnx._errors import InsufficientResponseError  # osmnx exports no public name for it

from wasteopt.errors import NetworkError
from wasteopt.network.speeds import add_truck_travel_times, speed_table

log = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".xml")
EXTRA_WAY_TAGS = ("maxspeed:hgv", "hgv")
# highway values no truck uses (the exclusions of osmnx's "drive_service" filter, exact match)
NOT_FOR_TRUCKS = frozenset(
    {
        "abandoned", "bridleway", "bus_guideway", "construction", "corridor", "cycleway",
        "elevator", "escalator", "footway", "no", "path", "pedestrian", "planned", "platform",
        "proposed", "raceway", "razed", "rest_area", "services", "steps", "track",
        "via_ferrata", "busway", "bus_stop", "emergency_bay", "escape",
    }
)  # fmt: skip
NO_SERVICE = frozenset({"emergency_access", "parking", "parking_aisle", "private"})
NO_ACCESS = frozenset({"no", "private"})


def truck_way(tags: Mapping[str, str]) -> bool:
    """Whether an OSM way with these tags is a road a refuse truck may drive.

    Follows osmnx's ``drive_service`` network (service roads are kept: plants and transfer
    stations are reached by them) and also drops ``hgv=no``: refuse trucks are heavy goods
    vehicles.
    """
    highway = tags.get("highway")
    return not (
        highway is None
        or highway in NOT_FOR_TRUCKS
        or tags.get("area") == "yes"
        or tags.get("access") in NO_ACCESS
        or tags.get("service") in NO_SERVICE
        or "no" in (tags.get("motor_vehicle"), tags.get("motorcar"), tags.get("hgv"))
    )


def _filter_osm(source: Path, target: Path) -> int:
    """Write the truck ways of ``source`` and their located nodes to ``target`` (OSM XML)."""
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    nodes: dict[int, tuple[float, float]] = {}
    try:
        processor = (
            osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            tags = dict(way.tags)
            located = [n for n in way.nodes if n.location.valid()]
            if len(located) > 1 and truck_way(tags):
                nodes.update((n.ref, (n.lon, n.lat)) for n in located)
                ways.append((way.id, [n.ref for n in located], tags))
        with osmium.SimpleWriter(str(target), overwrite=True) as out:
            for node_id, location in nodes.items():
                out.add_node(osmium.osm.mutable.Node(id=node_id, location=location))
            for way_id, refs, tags in ways:
                out.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags))
    except RuntimeError as exc:
        raise NetworkError(f"{source}: not a readable OSM file ({exc})") from None
    return len(ways)


@contextmanager
def _truck_tags() -> Iterator[None]:
    """Let osmnx keep the truck tags (``maxspeed:hgv``, ``hgv``) on edges while building."""
    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = saved + [t for t in EXTRA_WAY_TAGS if t not in saved]
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


def read_osm(path: str | Path) -> nx.MultiDiGraph:
    """A simplified MultiDiGraph of the truck roads in an OSM file (XML, XML.bz2 or PBF)."""
    path = Path(path)
    if not path.is_file():
        raise NetworkError(f"{path}: OSM file not found")
    with tempfile.TemporaryDirectory(prefix="wasteopt-osm-") as tmp:
        filtered = Path(tmp) / "roads.osm"
        ways = _filter_osm(path, filtered)
        if ways == 0:
            raise NetworkError(f"{path}: no drivable roads (OSM ways tagged highway) in this file")
        with _truck_tags():
            graph = ox.graph_from_xml(filtered, retain_all=True)
    log.info("%s: %d truck ways -> %d nodes, %d edges", path, ways, len(graph), len(graph.edges))
    return graph


def read_graphml(path: str | Path) -> nx.MultiDiGraph:
    """A road graph saved by ``wasteopt graph build`` or ``osmnx.save_graphml``."""
    path = Path(path)
    if not path.is_file():
        raise NetworkError(f"{path}: GraphML file not found")
    try:
        graph = ox.load_graphml(path)
    except Exception as exc:  # networkx/lxml raise many types for a malformed file
        raise NetworkError(f"{path}: not a readable GraphML road graph ({exc})") from None
    if not len(graph):
        raise NetworkError(f"{path}: the graph has no nodes")
    missing = [n for n, d in graph.nodes(data=True) if "x" not in d or "y" not in d][:3]
    if missing:
        raise NetworkError(f"{path}: node(s) {missing} lack x/y (lon/lat) attributes")
    if any("length" not in d for *_, d in graph.edges(data=True)):
        raise NetworkError(f"{path}: every edge needs a 'length' attribute in metres")
    return graph


def read_graph(path: str | Path) -> nx.MultiDiGraph:
    """Read a road graph by its file type: GraphML, or OSM XML / bz2 / PBF."""
    name = Path(path).name.lower()
    if name.endswith(".graphml"):
        return read_graphml(path)
    if name.endswith(OSM_SUFFIXES):
        return read_osm(path)
    raise NetworkError(
        f"{path}: unknown road graph type; use .graphml or OSM ({', '.join(OSM_SUFFIXES)})"
    )


def download_graph(
    place: str | None = None, bbox: tuple[float, float, float, float] | None = None
) -> nx.MultiDiGraph:
    """Download the truck road network from OpenStreetMap via osmnx (needs internet access).

    Parameters
    ----------
    place
        A geocodable place name, e.g. ``"Daoxian, Yongzhou, Hunan, China"``.
    bbox
        ``(west, south, east, north)`` in degrees, used when ``place`` is not given.
    """
    if place is None and bbox is None:
        raise NetworkError("give a place name or a bounding box to download a road network")
    filters = dict(network_type="drive_service", retain_all=True)
    with _truck_tags():
        if place is not None:
            graph = _from_place(place, filters)
        else:
            graph = ox.graph_from_bbox(bbox, **filters)
    # osmnx's drive_service network still holds ways closed to heavy goods vehicles
    closed = [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True) if d.get("hgv") == "no"]
    graph.remove_edges_from(closed)
    return graph


def _from_place(place: str, filters: dict) -> nx.MultiDiGraph:
    """``osmnx.graph_from_place``; a name OpenStreetMap's geocoder does not know as an area is
    a NetworkError saying how to name it instead."""
    try:
        return ox.graph_from_place(place, **filters)
    except (InsufficientResponseError, TypeError) as exc:
        # osmnx raises TypeError when the name geocodes to a point or line, not an area
        if isinstance(exc, TypeError) and "geocode" not in str(exc):
            raise
        raise NetworkError(
            f"place {place!r}: OpenStreetMap knows no area by that name; give the county with"
            ' its province and country (e.g. "Daoxian, Yongzhou, Hunan, China"), a --bbox,'
            " or a downloaded OSM file with --osm FILE"
        ) from None


@dataclass(frozen=True)
class DropReport:
    """What was left out when keeping the largest strongly connected component."""

    components: int
    nodes: int
    edges: int
    dropped: nx.MultiDiGraph

    def summary(self) -> str:
        if not self.components:
            return "no components dropped"
        return (
            f"dropped {self.components} component(s) not strongly connected to the main"
            f" network: {self.nodes} node(s), {self.edges} edge(s)"
        )


def keep_largest_component(graph: nx.MultiDiGraph) -> DropReport:
    """Remove, in place, all but the largest strongly connected component; report the rest.

    A truck on any other piece could not reach, or could not come back from, the main network.
    """
    components = sorted(nx.strongly_connected_components(graph), key=len, reverse=True)
    dropped_nodes = set().union(*components[1:])
    dropped = graph.subgraph(dropped_nodes).copy()
    edges_before = len(graph.edges)
    graph.remove_nodes_from(dropped_nodes)
    report = DropReport(
        components=len(components) - 1,
        nodes=len(dropped_nodes),
        edges=edges_before - len(graph.edges),
        dropped=dropped,
    )
    if report.components:
        log.info("road graph: %s", report.summary())
    return report


def prepare_graph(graph: nx.MultiDiGraph, speeds: Mapping[str, float] | None = None) -> DropReport:
    """Set truck travel times on every edge and keep the largest strongly connected component.

    ``graph`` is changed in place (copy it first to keep the original).
    """
    if not len(graph):
        raise NetworkError("the road graph has no nodes")
    add_truck_travel_times(graph, speed_table(speeds))
    return keep_largest_component(graph)
