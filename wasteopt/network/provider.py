"""The road-network travel-matrix provider: what ``plan_day`` and ``wasteopt plan --graph`` use."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import networkx as nx
import numpy as np

from wasteopt._user_cache import default_cache_dir
from wasteopt.model import Site, TravelMatrices
from wasteopt.network.cache import cache_key, load_cached, store
from wasteopt.network.geometry import leg_polyline
from wasteopt.network.load import prepare_graph, read_graph
from wasteopt.network.roads import road_arrays
from wasteopt.network.site_matrix import SiteGraph
from wasteopt.network.snap import DEFAULT_SNAP_WARN_M, EdgeIndex, Snap

log = logging.getLogger(__name__)


def _site_key(sites: Sequence[Site]) -> tuple[tuple[str, float, float], ...]:
    return tuple((s.id, s.lon, s.lat) for s in sites)


class RoadNetworkProvider:
    """Travel matrices and leg paths along a road graph, at truck speeds.

    Parameters
    ----------
    graph
        An osmnx-style MultiDiGraph: nodes with ``x``/``y`` (lon/lat), edges with ``length``
        (m), ``highway`` and optionally ``maxspeed`` and ``geometry``. It is changed in place:
        travel times are set from the truck speed table and only its largest strongly
        connected component is kept (see ``drop_report``).
    speeds
        Road class -> km/h overrides of :data:`~wasteopt.network.speeds.DEFAULT_TRUCK_SPEEDS_KMH`.
    cache_dir
        Where matrices are cached (default :func:`~wasteopt._user_cache.default_cache_dir`).
    snap_warn_m
        Snap distance above which a site gets a logged warning.
    """

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        *,
        speeds: Mapping[str, float] | None = None,
        cache_dir: Path | None = None,
        snap_warn_m: float = DEFAULT_SNAP_WARN_M,
    ):
        self.graph = graph
        self.drop_report = prepare_graph(graph, speeds)
        self.roads = road_arrays(self.graph)
        dropped_lines = (
            road_arrays(self.drop_report.dropped).lines if self.drop_report.edges else ()
        )
        self._index = EdgeIndex(self.roads, dropped_lines)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.snap_warn_m = snap_warn_m
        self._fingerprint = self.roads.fingerprint()
        self._sites: tuple[Site, ...] = ()
        self._site_graph: SiteGraph | None = None

    def snap_report(self, sites: Sequence[Site]) -> list[Snap]:
        """Where each site joins the network and how far it is from it (warns over the limit).

        Raises
        ------
        NetworkError
            For sites that lie on road pieces unconnected to the routable network.
        """
        return self._index.snap(sites, self.snap_warn_m) if sites else []

    def matrices(self, sites: Sequence[Site]) -> TravelMatrices:
        """Distance (m, along the fastest path) and truck travel time (s) among ``sites``.

        Raises
        ------
        NetworkError
            Naming any site that cannot reach, or be reached from, the others.
        """
        snaps = self.snap_report(sites)
        ids = [s.id for s in sites]
        self._sites, self._site_graph = tuple(sites), None
        key = cache_key(self._fingerprint, sites)
        cached = load_cached(self.cache_dir, key)
        if cached is not None and cached["site_ids"].tolist() == ids:
            log.info("travel matrices for %d sites read from the cache", len(ids))
            return TravelMatrices(ids, cached["distance_m"], cached["duration_s"])
        self._site_graph = SiteGraph(self.roads, snaps)
        distance, duration = self._site_graph.matrices()
        store(self.cache_dir, key, site_ids=np.array(ids), distance_m=distance, duration_s=duration)
        return TravelMatrices(ids, distance, duration)

    def leg_path(self, origin: Site, destination: Site) -> list[tuple[float, float]]:
        """The ``(lon, lat)`` road polyline of the fastest path between two sites."""
        graph, sites = self._graph_with(origin, destination)
        position = {site.id: i for i, site in enumerate(sites)}
        arcs = graph.path_arcs(position[origin.id], position[destination.id])
        return leg_polyline(self.roads, arcs, origin, destination)

    def _graph_with(self, origin: Site, destination: Site) -> tuple[SiteGraph, list[Site]]:
        """The site graph of the last matrices if it holds both sites, else one of the two."""
        sites = list(self._sites)
        if set(_site_key([origin, destination])) <= set(_site_key(sites)):
            if self._site_graph is None:
                self._site_graph = SiteGraph(self.roads, self.snap_report(sites))
            return self._site_graph, sites
        same = _site_key([origin]) == _site_key([destination])
        pair = [origin] if same else [origin, destination]
        return SiteGraph(self.roads, self.snap_report(pair)), pair


def load_provider(
    graph_path: str | Path,
    *,
    speeds: Mapping[str, float] | None = None,
    cache_dir: Path | None = None,
    snap_warn_m: float = DEFAULT_SNAP_WARN_M,
) -> RoadNetworkProvider:
    """A :class:`RoadNetworkProvider` for a GraphML, OSM XML (.osm, .osm.bz2) or PBF file.

    For the network of a place when online, use
    ``RoadNetworkProvider(download_graph(place="Daoxian, Yongzhou, Hunan, China"))``.
    """
    return RoadNetworkProvider(
        read_graph(graph_path), speeds=speeds, cache_dir=cache_dir, snap_warn_m=snap_warn_m
    )
