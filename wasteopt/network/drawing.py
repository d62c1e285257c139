"""A road graph drawn for a map: each road once, as GeoJSON lines in lon/lat."""

from __future__ import annotations

from typing import Any

from wasteopt.network.roads import RoadArrays

COORDINATE_DECIMALS = 5  # about 1 m: finer than a map can show, half the text of full floats


def roads_geojson(roads: RoadArrays) -> dict[str, Any]:
    """A FeatureCollection with one LineString per road: a two-way road's two directed edges
    are drawn once."""
    features: list[dict[str, Any]] = []
    for edge, line in enumerate(roads.lines):
        partner = int(roads.reverse[edge])
        if 0 <= partner < edge:
            continue
        coordinates = [
            [round(x, COORDINATE_DECIMALS), round(y, COORDINATE_DECIMALS)]
            for x, y, *_ in line.coords
        ]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coordinates},
                "properties": {"oneway": partner < 0},
            }
        )
    return {"type": "FeatureCollection", "features": features}
