"""Generated VRP-with-unloading instances for the routing benchmarks (any number of points).

Each instance has ``n`` collection points in a 50 x 50 km box around Daoxian's county seat
(about 2,450 km², DOMAIN.md), two yards, two streams and three facilities: an incinerator and a
transfer station for residual waste, a kitchen-waste centre. Hook-lift trucks haul the transfer
station's containers to the incinerator (the transfer tier). The waste per point and the
fleet scale with ``n``; 2,000 points carry about the county's 750 t/day residual and 80 t/day
kitchen waste (seed 专栏14 item 1). Everything else is an *assumption* chosen to give a
realistic shape, not data:

- points cluster around 22 township centres (seed (十)2: 22 township-level units), normal
  spread 3 km; one point in ten is a kitchen-waste source with an after-lunch window;
- compactor trucks 8 t, kitchen tank trucks 5 t, hook-lift trucks 10 t, each type sized for
  1.25 x its waste at 2 trips a day (kitchen: 1), at least 2 trucks; shift 06:00-18:00 with a
  30-minute break between 11:00 and 13:30 (unless ``breaks=False``); service 3 min (kitchen
  6 min), unloading 10 min;
- facility capacities 1.5 x the waste that can reach them, so nothing is turned away.

The same ``n`` and ``seed`` always give the same instance. Run
``python -m benchmarks.generate 1000 --seed 1 --out generated-1000.json`` to write one.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from wasteopt.io import dump_json, write_text_atomic
from wasteopt.model import (
    Break,
    CollectionPoint,
    Facility,
    Instance,
    TimeWindow,
    VehicleType,
    Yard,
)

SEAT_LON, SEAT_LAT = 111.60, 25.53  # county seat, approximate
HALF_BOX_KM = 25.0
KM_PER_DEG_LAT = 111.2
TOWNSHIPS = 22
SPREAD_KM = 3.0
KITCHEN_SHARE = 0.1
RESIDUAL_T_PER_POINT = 750.0 / 1800  # 2,000 points: 1,800 residual ones carry 750 t
KITCHEN_T_PER_POINT = 80.0 / 200  # ... and 200 kitchen ones 80 t
COMPACTOR_T, TANKER_T, HOOKLIFT_T = 8.0, 5.0, 10.0
TRIPS_PER_DAY = 2  # planning figure for sizing the fleet (long rural trips)
SHIFT = TimeWindow(start="06:00", end="18:00")
BREAK = Break(window=TimeWindow(start="11:00", end="13:30"), duration_min=30)
KITCHEN_WINDOW = TimeWindow(start="13:00", end="16:30")
# km east/north of the seat: yard-seat, yard-east, incinerator, kitchen centre, transfer station
SITES_KM = np.array([[0.0, 0.0], [14.0, -10.0], [-18.0, 12.0], [3.0, -4.0], [15.0, -12.0]])


def _offset(km_east: np.ndarray, km_north: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = SEAT_LAT + km_north / KM_PER_DEG_LAT
    lon = SEAT_LON + km_east / (KM_PER_DEG_LAT * math.cos(math.radians(SEAT_LAT)))
    return lon, lat


def _fleet(tonnes: float, payload_t: float, trips: int = TRIPS_PER_DAY) -> int:
    return max(2, math.ceil(1.25 * tonnes / (payload_t * trips)))


def generate(n: int, seed: int = 0, breaks: bool = True) -> Instance:
    """A VRP-with-unloading instance of ``n`` points (``n >= 2``), reproducible from ``seed``;
    ``breaks=False`` drops the drivers' break."""
    if n < 2:
        raise ValueError("a generated instance needs at least 2 points")
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-0.85 * HALF_BOX_KM, 0.85 * HALF_BOX_KM, size=(TOWNSHIPS, 2))
    centres[0] = (0.0, 0.0)  # the county seat
    township = rng.integers(0, TOWNSHIPS, size=n)
    km = centres[township] + rng.normal(0.0, SPREAD_KM, size=(n, 2))
    km = np.clip(km, -HALF_BOX_KM, HALF_BOX_KM)
    lon, lat = _offset(km[:, 0], km[:, 1])
    n_kitchen = max(1, round(KITCHEN_SHARE * n))
    kitchen = np.zeros(n, dtype=bool)
    kitchen[rng.choice(n, size=n_kitchen, replace=False)] = True
    share = rng.uniform(0.4, 1.6, size=n)
    points = []
    for i in range(n):
        per_point = KITCHEN_T_PER_POINT if kitchen[i] else RESIDUAL_T_PER_POINT
        points.append(
            CollectionPoint(
                id=f"p{i + 1:04d}",
                lon=round(float(lon[i]), 6),
                lat=round(float(lat[i]), 6),
                stream="kitchen" if kitchen[i] else "residual",
                tonnes_per_day=round(float(share[i] * per_point), 3),
                service_min=6.0 if kitchen[i] else 3.0,
                window=KITCHEN_WINDOW if kitchen[i] else None,
                township=f"T{int(township[i]) + 1:02d}",
            )
        )
    residual_t = sum(p.tonnes_per_day for p in points if p.stream == "residual")
    kitchen_t = sum(p.tonnes_per_day for p in points if p.stream == "kitchen")
    site_lon, site_lat = _offset(SITES_KM[:, 0], SITES_KM[:, 1])

    def at(k: int) -> dict[str, float]:
        return {"lon": round(float(site_lon[k]), 6), "lat": round(float(site_lat[k]), 6)}

    yards = [Yard(id="yard-seat", **at(0)), Yard(id="yard-east", **at(1))]
    facilities = [
        Facility(
            id="incinerator",
            kind="incinerator",
            streams=["residual"],
            capacity_t_per_day=round(1.5 * residual_t + 1, 1),
            gate=TimeWindow(start="06:00", end="22:00"),
            **at(2),
        ),
        Facility(
            id="transfer-east",
            kind="transfer_station",
            streams=["residual"],
            capacity_t_per_day=round(1.5 * residual_t + 1, 1),
            **at(4),
        ),
        Facility(
            id="kitchen-centre",
            kind="kitchen_centre",
            streams=["kitchen"],
            capacity_t_per_day=round(1.5 * kitchen_t + 1, 1),
            **at(3),
        ),
    ]
    compactors = _fleet(residual_t, COMPACTOR_T)
    common = {"shift": SHIFT, "break": BREAK if breaks else None}
    vehicle_types = [
        VehicleType(
            id="compactor-seat",
            streams=["residual"],
            payload_t=COMPACTOR_T,
            count=max(1, compactors // 2),
            yard="yard-seat",
            fixed_cost_per_day=300.0,
            cost_per_km=3.0,
            cost_per_hour=40.0,
            **common,
        ),
        VehicleType(
            id="compactor-east",
            streams=["residual"],
            payload_t=COMPACTOR_T,
            count=max(1, compactors - compactors // 2),
            yard="yard-east",
            fixed_cost_per_day=300.0,
            cost_per_km=3.0,
            cost_per_hour=40.0,
            **common,
        ),
        VehicleType(
            id="tanker",
            streams=["kitchen"],
            payload_t=TANKER_T,
            count=_fleet(kitchen_t, TANKER_T, trips=1),
            yard="yard-seat",
            fixed_cost_per_day=250.0,
            cost_per_km=2.5,
            cost_per_hour=40.0,
            **common,
        ),
        VehicleType(
            id="hooklift",
            tier="transfer",
            streams=["residual"],
            payload_t=HOOKLIFT_T,
            count=_fleet(residual_t, HOOKLIFT_T, trips=6),
            yard="yard-east",
            fixed_cost_per_day=350.0,
            cost_per_km=4.0,
            cost_per_hour=40.0,
            shift=TimeWindow(start="07:00", end="21:00"),
        ),
    ]
    return Instance(
        name=f"generated-{n}-s{seed}",
        description="benchmarks.generate: synthetic VRP with unloading (assumptions in its doc)",
        yards=yards,
        facilities=facilities,
        vehicle_types=vehicle_types,
        points=points,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__)
    parser.add_argument("n", type=int, help="number of collection points")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-breaks", action="store_true", help="no drivers' break")
    parser.add_argument("--out", type=Path, required=True, help="instance JSON to write")
    args = parser.parse_args(argv)
    instance = generate(args.n, args.seed, breaks=not args.no_breaks)
    write_text_atomic(args.out, dump_json(instance) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
