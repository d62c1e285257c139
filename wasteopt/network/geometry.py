"""The drawn road path of a leg: edge geometries (or parts of them) joined end to end."""

from __future__ import annotations

from shapely.ops import substring

from wasteopt.model import Site
from wasteopt.network.roads import RoadArrays
from wasteopt.network.site_matrix import Arcs


def leg_polyline(
    roads: RoadArrays, arcs: Arcs, origin: Site, destination: Site
) -> list[tuple[float, float]]:
    """``(lon, lat)`` points from ``origin`` along ``arcs`` to ``destination``.

    The sites themselves open and close the line, so the short link from a site to the road
    it was snapped to is drawn too.
    """
    points: list[tuple[float, float]] = [(origin.lon, origin.lat)]
    for edge, g0, g1 in zip(arcs.edge.tolist(), arcs.g0.tolist(), arcs.g1.tolist(), strict=True):
        line = roads.lines[edge]
        if g0 > 0.0 or g1 < 1.0:
            line = substring(line, g0, g1, normalized=True)
        points.extend((float(x), float(y)) for x, y, *_ in line.coords)
    points.append((destination.lon, destination.lat))
    line = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    return line if len(line) > 1 else [points[0], points[-1]]
