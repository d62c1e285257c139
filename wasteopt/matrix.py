"""Travel-matrix providers: the one door through which solvers learn distances and times.

A provider turns a list of sites into :class:`~wasteopt.model.TravelMatrices`. The road
network provider lives in :mod:`wasteopt.network`; this module holds the protocol and the
no-network fallback (great-circle distance x circuity factor at an average speed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from wasteopt.model import Instance, Site, TravelMatrices

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius


class MatrixProvider(Protocol):
    """Anything that can compute travel matrices among sites and draw a leg's path."""

    def matrices(self, sites: Sequence[Site]) -> TravelMatrices:
        """Distance (m) and travel time (s) for every ordered pair of ``sites``."""
        ...

    def leg_path(self, origin: Site, destination: Site) -> list[tuple[float, float]]:
        """The ``(lon, lat)`` polyline a vehicle follows from ``origin`` to ``destination``."""
        ...


def great_circle_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray):
    """Haversine distance in metres (broadcasting over numpy arrays)."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class GreatCircleProvider:
    """Great-circle distance x ``circuity`` at ``speed_kmh``: the provider without a network.

    The circuity factor turns crow-fly into road distance; 1.35 is an *assumption* in the
    range reported for rural road networks (Ballou, Rahardja & Sakai 2002, "Selected country
    circuity factors for road travel distance estimation", Transportation Research A 36).
    """

    def __init__(self, circuity: float = 1.35, speed_kmh: float = 30.0):
        if circuity < 1.0 or speed_kmh <= 0:
            raise ValueError("circuity must be >= 1 and speed_kmh > 0")
        self.circuity = circuity
        self.speed_kmh = speed_kmh

    @classmethod
    def for_instance(cls, instance: Instance) -> GreatCircleProvider:
        return cls(instance.settings.circuity_factor, instance.settings.average_speed_kmh)

    def matrices(self, sites: Sequence[Site]) -> TravelMatrices:
        lon = np.array([s.lon for s in sites], dtype=float)
        lat = np.array([s.lat for s in sites], dtype=float)
        metres = great_circle_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
        distance = np.rint(metres * self.circuity).astype(np.int64)
        duration = np.rint(distance / (self.speed_kmh / 3.6)).astype(np.int64)
        return TravelMatrices([s.id for s in sites], distance, duration)

    def leg_path(self, origin: Site, destination: Site) -> list[tuple[float, float]]:
        return [(origin.lon, origin.lat), (destination.lon, destination.lat)]


class ExplicitMatrixProvider:
    """Matrices given up front (published benchmark instances, tests, cached results).

    Sites are looked up by id in ``matrices.site_ids``; legs are drawn as straight lines.
    """

    def __init__(self, matrices: TravelMatrices):
        self._matrices = matrices
        self._index = matrices.index()

    def matrices(self, sites: Sequence[Site]) -> TravelMatrices:
        missing = [s.id for s in sites if s.id not in self._index]
        if missing:
            raise KeyError(f"no travel data for site(s) {', '.join(missing[:5])}")
        rows = np.array([self._index[s.id] for s in sites], dtype=np.int64)
        return TravelMatrices(
            [s.id for s in sites],
            self._matrices.distance_m[np.ix_(rows, rows)],
            self._matrices.duration_s[np.ix_(rows, rows)],
        )

    def leg_path(self, origin: Site, destination: Site) -> list[tuple[float, float]]:
        return [(origin.lon, origin.lat), (destination.lon, destination.lat)]
