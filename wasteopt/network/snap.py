"""Snapping sites onto the nearest road edge, in a local metric projection (UTM).

A site is placed on the nearest edge of the routable network at the point closest to it; the
straight distance from the site to that point is its snap distance. osmnx's own nearest-edge
search works in degrees for unprojected graphs, and its nearest-node search needs
scikit-learn, so the search here projects once to UTM and uses a shapely STRtree.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from wasteopt.errors import NetworkError
from wasteopt.model import Site
from wasteopt.network.roads import RoadArrays

log = logging.getLogger(__name__)

DEFAULT_SNAP_WARN_M = 500.0


@dataclass(frozen=True)
class Snap:
    """Where a site joins the road network.

    ``edge`` is the index of the directed edge it lies on, ``fraction`` how far along that
    edge (0 at its tail, 1 at its head); ``lon``/``lat`` the snapped point.
    """

    site_id: str
    distance_m: float
    edge: int
    fraction: float
    lon: float
    lat: float


def _utm(lon: float, lat: float) -> pyproj.Transformer:
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    epsg = (32600 if lat >= 0 else 32700) + zone
    return pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)


class EdgeIndex:
    """Nearest-edge search over the routable edges, and over dropped islands for diagnosis."""

    def __init__(self, roads: RoadArrays, dropped_lines: Sequence[shapely.LineString] = ()):
        self.roads = roads
        self._to_xy = _utm(float(np.mean(roads.lon)), float(np.mean(roads.lat)))
        self._lines = self._project(roads.lines)
        self._tree = shapely.STRtree(self._lines)
        dropped = self._project(np.array(list(dropped_lines), dtype=object))
        self._dropped_tree = shapely.STRtree(dropped) if len(dropped) else None

    def _project(self, lines: np.ndarray) -> np.ndarray:
        return shapely.transform(lines, lambda xy: np.column_stack(self._to_xy.transform(*xy.T)))

    def snap(self, sites: Sequence[Site], warn_m: float = DEFAULT_SNAP_WARN_M) -> list[Snap]:
        """Snap every site; warn above ``warn_m``; raise for sites stranded on a dropped island.

        Raises
        ------
        NetworkError
            Naming every site whose nearest road cannot reach or be reached from the routable
            network, and whose nearest routable road is farther than ``warn_m``.
        """
        x, y = self._to_xy.transform([s.lon for s in sites], [s.lat for s in sites])
        points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        _, nearest = self._tree.query_nearest(points, all_matches=False)
        lines = self._lines[nearest]
        distance = shapely.distance(lines, points)
        fraction = np.clip(shapely.line_locate_point(lines, points, normalized=True), 0.0, 1.0)
        self._refuse_islands(sites, points, distance, warn_m)
        on_road = shapely.line_interpolate_point(
            self.roads.lines[nearest], fraction, normalized=True
        )
        snaps = [
            Snap(site.id, float(d), int(e), float(f), float(p.x), float(p.y))
            for site, d, e, f, p in zip(sites, distance, nearest, fraction, on_road, strict=True)
        ]
        for snap in snaps:
            if snap.distance_m > warn_m:
                log.warning(
                    "site %r is %.0f m from the nearest road of the network (over %.0f m):"
                    " check its coordinates",
                    snap.site_id,
                    snap.distance_m,
                    warn_m,
                )
        return snaps

    def _refuse_islands(
        self, sites: Sequence[Site], points: np.ndarray, distance: np.ndarray, warn_m: float
    ) -> None:
        if self._dropped_tree is None:
            return
        _, island_distance = self._dropped_tree.query_nearest(
            points, return_distance=True, all_matches=False
        )
        stranded = [
            f"{site.id!r} ({d_island:.0f} m from an unconnected road, {d_main:.0f} m from the"
            " network)"
            for site, d_island, d_main in zip(sites, island_distance, distance, strict=True)
            if d_island < d_main and d_main > warn_m
        ]
        if stranded:
            raise NetworkError(
                f"site(s) {', '.join(stranded)} lie on a road piece that cannot reach or be"
                " reached from the rest of the network (dropped at load): move the site onto a"
                " connected road or add the missing road link"
            )
