"""Build the Daoxian county instances from the figures documented in SOURCES.md.

Run ``python instances/daoxian/generate.py`` (optionally ``--out DIR``) after changing a figure:
it rewrites ``points.csv`` and the scenario files below, byte for byte the same for the same
figures (fixed seed). Every constant here is listed with its origin in SOURCES.md.

Scenarios written (all share ``points.csv``):

- ``instance.json``  phase 1 incinerator (600 t/day), today's mixed fleet (the shipped default);
- ``phase2.json``    phase 2 incinerator (900 t/day), mixed fleet;
- ``diesel.json``    phase 2, every vehicle diesel;
- ``electric.json``  phase 2, every vehicle battery-electric.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20231103  # the plan's date (3 Nov 2023): any fixed value makes the output reproducible

# --- county totals (seed 专栏14 items 1-3; 专栏1 item 3) -----------------------------------
RESIDUAL_T_PER_YEAR = 273_750.0  # 27.375万吨 domestic waste collected and hauled
KITCHEN_T_PER_YEAR = 29_200.0  # 2.92万吨 kitchen waste
DAYS_PER_YEAR = 365
INCINERATOR_PHASE1_T = 600.0  # 一期日处理垃圾600吨
INCINERATOR_PHASE2_T = 900.0  # 600 + 二期300吨/天
KITCHEN_CENTRE_T_PER_YEAR = 94_900.0  # 年处理规模9.49万吨
COUNTY_RESIDENTS_2020 = 621_275  # 7th census (2020), Yongzhou census bulletin

# --- assumptions (reasoning in SOURCES.md) -------------------------------------------------
INCINERATOR_EXTERNAL_T = 100.0  # neighbouring counties' daily delivery to the shared plant
# Dispatch rule: a collection route over this share of its kilometres out and back is not
# driven while a nearer yard's truck of its stream idles (the share that defines a stray route)
STRAY_SHARE = 0.4
KITCHEN_EXTERNAL_T = 120.0  # neighbouring counties' daily delivery to the kitchen centre
URBAN_GENERATION_FACTOR = 1.4  # per-capita generation, county-town residents vs rural ones
N_RESIDUAL_POINTS = 900
N_KITCHEN_SOURCES = 120
KITCHEN_TOWN_SEAT_SHARE = 0.6  # share of kitchen waste from the county town's restaurants
POINT_WEIGHT_SIGMA = 0.35  # lognormal spread of point sizes inside a township
POINT_WEIGHT_CAP = 2.5  # no point above 2.5x its township's mean (fits a 3 t truck)
SERVICE_BASE_MIN, SERVICE_PER_T_MIN = 4.0, 6.0  # residual point: position + lift bins
KITCHEN_SERVICE_BASE_MIN, KITCHEN_SERVICE_PER_T_MIN = 6.0, 6.0  # drums + pumping
KITCHEN_WINDOWS = {  # after-meal windows: canteens after lunch, restaurants after lunch/dinner
    "canteen": ("12:30", "14:30"),
    "restaurant": ("14:00", "16:30"),
    "night": ("20:00", "22:30"),
}
KITCHEN_KIND_SHARES = {"canteen": 0.3, "restaurant": 0.5, "night": 0.2}  # night: county town only
STATION_CAPACITY_MARGIN = 1.3  # station capacity = 1.3 x the tonnage of its nearest townships
STATION_MIN_CAPACITY_T = 40.0
STATION_COST_PER_T = 20.0  # CNY/t compaction and container handling
STATION_ANNUAL_FIXED_COST = 1_200_000.0  # CNY/yr for a candidate station (capex/15 yr + O&M)
INCINERATOR_COST_PER_T = 75.0  # CNY/t tipping fee
KITCHEN_CENTRE_COST_PER_T = 90.0  # CNY/t treatment fee
LANDFILL_COST_PER_T = 160.0  # CNY/t: emergency outlet, priced above incineration on purpose
LANDFILL_CAPACITY_T = 400.0
FLEET_SLACK = 1.15  # vehicles planned per vehicle strictly needed at TRIPS_PER_DAY
TRIPS_PER_DAY = 3
DIESEL_CNY_PER_L, LNG_CNY_PER_KG, POWER_CNY_PER_KWH = 7.6, 6.0, 0.75
MAINTENANCE_CNY_PER_KM = {"diesel": 0.6, "lng": 0.7, "electric": 0.3}
CREW_CNY_PER_HOUR = {"collection": 50.0, "transfer": 30.0, "kitchen": 50.0}
SERVICE_DAYS_PER_YEAR = 330  # days a vehicle is in service (depreciation divisor)
SERVICE_LIFE_YEARS = 8
ELECTRIC_KWH_PER_DIESEL_L = 3.4  # grid-side kWh replacing one litre of diesel in the same duty
LNG_KG_PER_DIESEL_L = 0.865  # (36.1 MJ/L / 48.0 MJ/kg) x 1.15 spark-ignition penalty

# Township-level units (seed (十)2: 22 乡镇（街道）). Names are official; seat coordinates are
# approximate (+-5 km); populations are assumed, scaled to COUNTY_RESIDENTS_2020.
# id, name, kind, lat, lon, assumed residents, radius of its villages around the seat (km)
TOWNSHIPS: list[tuple[str, str, str, float, float, int, float]] = [
    ("lianxi", "濂溪街道", "subdistrict", 25.522, 111.590, 85_000, 2.5),
    ("xizhou", "西洲街道", "subdistrict", 25.505, 111.595, 95_000, 2.5),
    ("shangguan", "上关街道", "subdistrict", 25.530, 111.630, 30_000, 5.0),
    ("yingjiang", "营江街道", "subdistrict", 25.505, 111.545, 28_000, 5.0),
    ("dongmen", "东门街道", "subdistrict", 25.560, 111.625, 20_000, 5.0),
    ("futang", "富塘街道", "subdistrict", 25.565, 111.570, 22_000, 5.0),
    ("wanjiazhuang", "万家庄街道", "subdistrict", 25.465, 111.600, 25_000, 5.0),
    ("meihua", "梅花镇", "town", 25.630, 111.560, 30_000, 6.0),
    ("shouyan", "寿雁镇", "town", 25.585, 111.490, 80_000, 7.0),
    ("xianzijiao", "仙子脚镇", "town", 25.550, 111.380, 35_000, 7.0),
    ("qingtang", "清塘镇", "town", 25.470, 111.450, 38_000, 7.0),
    ("xianglinpu", "祥霖铺镇", "town", 25.300, 111.550, 42_000, 7.0),
    ("gongba", "蚣坝镇", "town", 25.335, 111.430, 28_000, 7.0),
    ("simaqiao", "四马桥镇", "town", 25.420, 111.710, 40_000, 7.0),
    ("baimadu", "白马渡镇", "town", 25.560, 111.720, 34_000, 6.0),
    ("ganziyuan", "柑子园镇", "town", 25.550, 111.820, 22_000, 6.0),
    ("baimangpu", "白芒铺镇", "town", 25.470, 111.760, 25_000, 6.0),
    ("qiaotou", "桥头镇", "town", 25.750, 111.420, 43_000, 8.0),
    ("lefutang", "乐福堂乡", "township", 25.720, 111.530, 20_000, 7.0),
    ("shenzhangtang", "审章塘瑶族乡", "township", 25.430, 111.320, 12_000, 8.0),
    ("hengling", "横岭瑶族乡", "township", 25.380, 111.680, 15_000, 7.0),
    ("hongtangying", "洪塘营瑶族乡", "township", 25.330, 111.780, 10_000, 8.0),
]
COUNTY_TOWN = ("lianxi", "xizhou")  # the county seat's urban core: restaurants, night market

# Transfer stations at township seats: id suffix, township, status. 城区 serves the urban core.
STATIONS: list[tuple[str, str, str]] = [
    ("chengqu", "lianxi", "open"),
    ("shouyan", "shouyan", "open"),
    ("xianzijiao", "xianzijiao", "open"),
    ("qingtang", "qingtang", "open"),
    ("xianglinpu", "xianglinpu", "open"),
    ("gongba", "gongba", "open"),
    ("simaqiao", "simaqiao", "open"),
    ("baimadu", "baimadu", "open"),
    ("baimangpu", "baimangpu", "open"),
    ("qiaotou", "qiaotou", "open"),
    ("meihua", "meihua", "open"),
    ("yingjiang", "yingjiang", "open"),
    ("lefutang", "lefutang", "candidate"),
    ("ganziyuan", "ganziyuan", "candidate"),
    ("shenzhangtang", "shenzhangtang", "candidate"),
    ("hengling", "hengling", "candidate"),
    ("hongtangying", "hongtangying", "candidate"),
]

# Treatment sites (approximate, assumed sites): id, name, kind, lat, lon
INCINERATOR = ("incinerator", "永州南部生活垃圾焚烧发电厂", 25.455, 111.640)
KITCHEN_CENTRE = ("kitchen-centre", "永州市南部餐厨垃圾再生利用中心", 25.458, 111.646)
# The landfill lies 0.8 km beyond the plant as seen from the county seat (plants are often built
# beside the landfill they replace); tipping at its working face takes longer than at the pit.
LANDFILL = ("landfill", "假设的应急填埋场（规划未列）", 25.4495, 111.6452)
LANDFILL_UNLOAD_MIN = 20.0

# Yards: id, name, lat, lon, fleet mix key
# Listed from the most remote to the county town: the fleet is listed in this order too.
YARDS: list[tuple[str, str, float, float, str]] = [
    ("yard-north", "桥头车队", 25.745, 111.425, "rural"),
    ("yard-south", "祥霖铺车队", 25.305, 111.545, "rural"),
    ("yard-southeast", "四马桥车队", 25.415, 111.705, "rural"),
    ("yard-east", "白马渡车队", 25.555, 111.715, "rural"),
    ("yard-west", "寿雁车队", 25.580, 111.495, "rural"),
    ("yard-city", "县城环卫车队", 25.515, 111.605, "city"),
]
# Collection fleet mix: (payload t, energy, share of the yard's needed capacity)
FLEET_MIX = {
    "city": [(8.0, "diesel", 0.4), (8.0, "lng", 0.2), (5.0, "electric", 0.4)],
    "rural": [(5.0, "diesel", 0.6), (3.0, "diesel", 0.2), (3.0, "electric", 0.2)],
}
# Diesel consumption by body (L/100 km empty, full; L per stop) and vehicle price (CNY, diesel)
BODIES = {
    "compactor-3": (18.0, 24.0, 0.15, 200_000.0),
    "compactor-5": (24.0, 32.0, 0.25, 260_000.0),
    "compactor-8": (30.0, 42.0, 0.35, 350_000.0),
    "tank-3": (18.0, 24.0, 0.15, 180_000.0),
    "tank-5": (24.0, 32.0, 0.20, 240_000.0),
    "hooklift-12": (32.0, 45.0, 0.30, 400_000.0),
}
PRICE_FACTOR = {"diesel": 1.0, "lng": 1.15, "electric": 1.7}  # purchase price vs diesel
# Electric bodies' traction batteries, nameplate kWh (assumption: LFP packs of Chinese electric
# sanitation chassis of each size class; reasoning in SOURCES.md), the share the battery lets a
# truck use and the share of that kept in reserve
BATTERY_KWH = {
    "compactor-3": 110.0,
    "compactor-5": 170.0,
    "compactor-8": 280.0,
    "tank-3": 110.0,
    "tank-5": 170.0,
    "hooklift-12": 350.0,
}
BATTERY_USABLE_SHARE, BATTERY_RESERVE_SHARE = 0.9, 0.1
# Chargers (assumption): one 60 kW plug per electric truck at its yard (overnight), and two
# 120 kW plugs where electric hook-lifts and tankers unload: the plant and the kitchen centre.
# An all-electric fleet gets a plug there for every electric truck that may unload there, so
# that its plan measures how many plugs the county would need (the busiest use).
YARD_CHARGER_KW = 60.0
FACILITY_CHARGERS = {"incinerator": (120.0, 2), "kitchen-centre": (120.0, 2)}  # id: kW, plugs
SHIFTS = {
    "collection": ("06:00", "14:00"),
    "transfer": ("07:00", "19:00"),
    "kitchen-day": ("12:00", "20:00"),
    "kitchen-night": ("19:30", "24:00"),
}
TRANSFER_PAYLOAD_T = 12.0
TRANSFER_FLEET = [  # hook-lift trucks: (yard, energy, share of the transfer fleet)
    ("yard-city", "diesel", 0.5),
    ("yard-city", "lng", 0.25),
    ("yard-west", "electric", 0.25),
]
TRANSFER_TRIPS_PER_DAY = 3
KITCHEN_FLEET = [  # (yard, payload, energy, shift, count)
    ("yard-north", 3.0, "diesel", "kitchen-day", 2),
    ("yard-south", 3.0, "diesel", "kitchen-day", 2),
    ("yard-southeast", 3.0, "diesel", "kitchen-day", 1),
    ("yard-east", 3.0, "diesel", "kitchen-day", 1),
    ("yard-west", 3.0, "diesel", "kitchen-day", 2),
    ("yard-city", 5.0, "diesel", "kitchen-day", 4),
    ("yard-city", 3.0, "electric", "kitchen-day", 4),
    ("yard-city", 3.0, "electric", "kitchen-night", 4),
]
KM_PER_DEG_LAT = 110.574
# The county's western limit near 审章塘 (assumption: about 111 deg 17 min E; no boundary polygon
# is available offline). A scattered place west of it is mirrored back across it, so it lands
# as far inside as it fell outside and every other place stays where it was.
WEST_LIMIT_LON = 111.285
# Recyclables (seed (六)4: 建设规范的回收网点和分拣中心; no site or size given): an assumed
# sorting and recycling centre in the county town's east, sized above the 72 t/day that a 30 %
# recyclables sorting rate moves out of 750 t of residual waste (32 % of it recyclable material),
# delivered free (the centre sells what it sorts); 5 t box trucks (consumption as a 5 t compactor).
SORTING_CENTRE = ("sorting-centre", "可回收物分拣中心（假设）", 25.5205, 111.6150)
SORTING_CENTRE_CAPACITY_T = 100.0
RECYCLABLE_FLEET = [("yard-city", 3), ("yard-north", 1), ("yard-south", 1), ("yard-east", 1)]
RECYCLABLE_PAYLOAD_T = 5.0
# What every output of these instances repeats (Instance.assumptions).
ASSUMPTIONS = [
    "the day's tonnage (750 t residual, 80 t kitchen waste) is the collection system's design"
    " capacity (27.375万 t and 2.92万 t a year ÷ 365, county plan 专栏14 item 1), used as one"
    " day's tonnage: no day was measured",
    "collection points, their tonnages and township seats are synthetic"
    " (instances/daoxian/SOURCES.md)",
    f"dispatch rule (settings.stray_share {STRAY_SHARE}): no collection truck spends over"
    f" {STRAY_SHARE:.0%} of its kilometres driving out to its first point and back from its last"
    " unload while a nearer yard has an idle truck of its stream on shift; assumed, as"
    " dispatchers keep trucks to their yard's area, which a truck crossing the county past idle"
    " ones breaks; the county plan sets no such share",
]
STATION_ASSUMPTION = "assumed: the county plan names no transfer stations (sites, capacity)"
PLANT_ASSUMPTION = "site and 100 t/day from neighbouring counties assumed"
KITCHEN_CENTRE_ASSUMPTION = "site and 120 t/day from neighbouring counties assumed"
LANDFILL_ASSUMPTION = "assumed emergency outlet, not in the county plan (site, capacity, fee)"
SORTING_CENTRE_ASSUMPTION = (
    "assumed: the county plan asks for sorting centres ((六)4) but names none (site, capacity)"
)


def offset(lat: float, lon: float, east_km: float, north_km: float) -> tuple[float, float]:
    """A point ``east_km``/``north_km`` away from ``(lat, lon)`` (local flat-earth step)."""
    return (
        lat + north_km / KM_PER_DEG_LAT,
        lon + east_km / (111.320 * math.cos(math.radians(lat))),
    )


def apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split the integer ``total`` in proportion to ``weights`` (largest remainder), exactly."""
    weights = np.asarray(weights, dtype=float)
    rest = total - minimum * len(weights)
    raw = rest * weights / weights.sum()
    parts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - parts), kind="stable")
    parts[order[: rest - int(parts.sum())]] += 1
    return [int(p) + minimum for p in parts]


def inside_county(lat: float, lon: float) -> tuple[float, float]:
    """``(lat, lon)``, mirrored east across WEST_LIMIT_LON if it lies west of the county."""
    return (lat, 2 * WEST_LIMIT_LON - lon) if lon < WEST_LIMIT_LON else (lat, lon)


def scatter(rng: np.random.Generator, lat: float, lon: float, radius_km: float, n: int):
    """``n`` places uniformly spread over a disc of ``radius_km`` around ``(lat, lon)``, inside
    the county."""
    r = radius_km * np.sqrt(rng.random(n))
    theta = 2 * math.pi * rng.random(n)
    return [
        inside_county(*offset(lat, lon, float(x), float(y)))
        for x, y in zip(r * np.cos(theta), r * np.sin(theta), strict=True)
    ]


def township_weights() -> dict[str, float]:
    """Residual-waste weight of each township: residents x urban generation factor."""
    scale = COUNTY_RESIDENTS_2020 / sum(t[5] for t in TOWNSHIPS)
    return {
        tid: pop * scale * (URBAN_GENERATION_FACTOR if kind == "subdistrict" else 1.0)
        for tid, _, kind, _, _, pop, _ in TOWNSHIPS
    }


def residual_points(rng: np.random.Generator) -> list[dict]:
    """Village/community collection points; tonnages sum to exactly the residual total."""
    weights = township_weights()
    counts = apportion(N_RESIDUAL_POINTS, [t[5] for t in TOWNSHIPS], minimum=15)
    rows, point_weights = [], []
    for (tid, name, _, lat, lon, _, radius), n in zip(TOWNSHIPS, counts, strict=True):
        local = np.minimum(rng.lognormal(0.0, POINT_WEIGHT_SIGMA, n), POINT_WEIGHT_CAP)
        point_weights.extend(weights[tid] * local / local.sum())
        for k, (plat, plon) in enumerate(scatter(rng, lat, lon, radius, n), start=1):
            rows.append(
                {"id": f"{tid}-{k:03d}", "name": f"{name}收集点{k:03d}", "lat": plat, "lon": plon}
            )
    kg = apportion(round(RESIDUAL_T_PER_YEAR / DAYS_PER_YEAR * 1000), point_weights)
    for row, township, point_kg in zip(rows, _township_of(counts), kg, strict=True):
        tonnes = point_kg / 1000
        row.update(
            stream="residual",
            tonnes_per_day=tonnes,
            service_min=round(SERVICE_BASE_MIN + SERVICE_PER_T_MIN * tonnes, 1),
            township=township,
        )
    return rows


def _township_of(counts: Sequence[int]) -> list[str]:
    return [t[1] for t, n in zip(TOWNSHIPS, counts, strict=True) for _ in range(n)]


def kitchen_sources(rng: np.random.Generator) -> list[dict]:
    """Restaurants and canteens in town centres; tonnages sum to exactly the kitchen total."""
    others = [t for t in TOWNSHIPS if t[0] not in COUNTY_TOWN]
    n_town = round(N_KITCHEN_SOURCES * KITCHEN_TOWN_SEAT_SHARE)
    seat_counts = apportion(n_town, [1.0] * len(COUNTY_TOWN))
    other_counts = apportion(N_KITCHEN_SOURCES - n_town, [t[5] for t in others], minimum=2)
    seat = {t[0]: t for t in TOWNSHIPS}
    groups = [(seat[tid], n, True) for tid, n in zip(COUNTY_TOWN, seat_counts, strict=True)]
    groups += [(t, n, False) for t, n in zip(others, other_counts, strict=True)]
    other_residents = sum(t[5] for t in others)
    rows, weights = [], []
    for (tid, name, _, lat, lon, residents, _), n, urban in groups:
        if urban:
            share = KITCHEN_TOWN_SEAT_SHARE / len(COUNTY_TOWN)
        else:
            share = (1 - KITCHEN_TOWN_SEAT_SHARE) * residents / other_residents
        local = np.minimum(rng.lognormal(0.0, POINT_WEIGHT_SIGMA, n), POINT_WEIGHT_CAP)
        weights.extend(share * local / local.sum())
        kinds = list(KITCHEN_KIND_SHARES) if urban else ["canteen", "restaurant"]
        probs = np.array([KITCHEN_KIND_SHARES[k] for k in kinds])
        places = scatter(rng, lat, lon, 2.0 if urban else 1.0, n)
        for k, (plat, plon) in enumerate(places, start=1):
            kind = kinds[int(rng.choice(len(kinds), p=probs / probs.sum()))]
            label = {"canteen": "食堂", "restaurant": "餐馆", "night": "夜宵店"}[kind]
            start, end = KITCHEN_WINDOWS[kind]
            rows.append(
                {
                    "id": f"{tid}-k{k:02d}",
                    "name": f"{name}{label}{k:02d}",
                    "lat": plat,
                    "lon": plon,
                    "window_start": start,
                    "window_end": end,
                    "township": name,
                }
            )
    kg = apportion(round(KITCHEN_T_PER_YEAR / DAYS_PER_YEAR * 1000), weights)
    for row, point_kg in zip(rows, kg, strict=True):
        tonnes = point_kg / 1000
        row.update(
            stream="kitchen",
            tonnes_per_day=tonnes,
            service_min=round(KITCHEN_SERVICE_BASE_MIN + KITCHEN_SERVICE_PER_T_MIN * tonnes, 1),
        )
    return rows


def points_csv(points: list[dict]) -> str:
    """The points as CSV text in the column order :mod:`wasteopt.io` reads."""
    columns = ["id", "name", "lon", "lat", "stream", "tonnes_per_day", "service_min"]
    columns += ["window_start", "window_end", "township"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for p in points:
        row = dict(p, lon=f"{p['lon']:.6f}", lat=f"{p['lat']:.6f}")
        row["tonnes_per_day"] = f"{p['tonnes_per_day']:.3f}"
        writer.writerow({c: row.get(c, "") for c in columns})
    return out.getvalue()


def _nearest(lat: float, lon: float, places: dict[str, tuple[float, float]]) -> str:
    def dist2(item: tuple[str, tuple[float, float]]) -> float:
        plat, plon = item[1]
        return (plat - lat) ** 2 + ((plon - lon) * math.cos(math.radians(lat))) ** 2

    return min(places.items(), key=dist2)[0]


def township_tonnes(points: list[dict]) -> dict[str, float]:
    names = {t[1]: t[0] for t in TOWNSHIPS}
    totals = {t[0]: 0.0 for t in TOWNSHIPS}
    for p in points:
        if p["stream"] == "residual":
            totals[names[p["township"]]] += p["tonnes_per_day"]
    return totals


def round_up(value: float, step: float) -> float:
    return float(math.ceil(value / step) * step)


def facilities(points: list[dict], phase: int) -> list[dict]:
    """Transfer stations, the shared plants and the emergency landfill."""
    seat = {t[0]: (t[3], t[4]) for t in TOWNSHIPS}
    tonnes = township_tonnes(points)
    open_sites = {s[0]: seat[s[1]] for s in STATIONS if s[2] == "open"}
    load = dict.fromkeys(open_sites, 0.0)
    for tid, (lat, lon) in seat.items():
        load[_nearest(lat, lon, open_sites)] += tonnes[tid]
    result = []
    for sid, tid, status in STATIONS:
        lat, lon = offset(*seat[tid], 0.6, -0.4)  # stations sit just outside the seat
        own = load[sid] if status == "open" else tonnes[tid]
        capacity = max(STATION_MIN_CAPACITY_T, round_up(STATION_CAPACITY_MARGIN * own, 10.0))
        name = dict((t[0], t[1]) for t in TOWNSHIPS)[tid]
        station = {
            "id": f"ts-{sid}",
            "name": "城区垃圾转运站" if sid == "chengqu" else f"{name}垃圾转运站",
            "lon": round(lon, 6),
            "lat": round(lat, 6),
            "kind": "transfer_station",
            "streams": ["residual"],
            "capacity_t_per_day": capacity,
            "gate": {"start": "06:00", "end": "19:00"},
            "unload_min": 10.0,
            "cost_per_t": STATION_COST_PER_T,
            "status": status,
            "assumption": STATION_ASSUMPTION,
        }
        if status == "candidate":
            station["annual_fixed_cost"] = STATION_ANNUAL_FIXED_COST
        result.append(station)
    plant_id, plant_name, plat, plon = INCINERATOR
    kc_id, kc_name, klat, klon = KITCHEN_CENTRE
    lf_id, lf_name, llat, llon = LANDFILL
    sc_id, sc_name, slat, slon = SORTING_CENTRE
    capacity = INCINERATOR_PHASE1_T if phase == 1 else INCINERATOR_PHASE2_T
    result += [
        {
            "id": plant_id,
            "name": plant_name,
            "lon": plon,
            "lat": plat,
            "kind": "incinerator",
            "streams": ["residual"],
            "capacity_t_per_day": capacity,
            "external_inflow_t_per_day": INCINERATOR_EXTERNAL_T,
            "gate": {"start": "05:00", "end": "23:00"},
            "unload_min": 12.0,
            "cost_per_t": INCINERATOR_COST_PER_T,
            "assumption": PLANT_ASSUMPTION,
        },
        {
            "id": kc_id,
            "name": kc_name,
            "lon": klon,
            "lat": klat,
            "kind": "kitchen_centre",
            "streams": ["kitchen"],
            "capacity_t_per_day": round(KITCHEN_CENTRE_T_PER_YEAR / DAYS_PER_YEAR, 1),
            "external_inflow_t_per_day": KITCHEN_EXTERNAL_T,
            "gate": {"start": "06:00", "end": "24:00"},
            "unload_min": 15.0,
            "cost_per_t": KITCHEN_CENTRE_COST_PER_T,
            "assumption": KITCHEN_CENTRE_ASSUMPTION,
        },
        {
            "id": lf_id,
            "name": lf_name,
            "lon": llon,
            "lat": llat,
            "kind": "landfill",
            "streams": ["residual"],
            "capacity_t_per_day": LANDFILL_CAPACITY_T,
            "gate": {"start": "06:00", "end": "22:00"},
            "unload_min": LANDFILL_UNLOAD_MIN,
            "cost_per_t": LANDFILL_COST_PER_T,
            "assumption": LANDFILL_ASSUMPTION,
        },
        {
            "id": sc_id,
            "name": sc_name,
            "lon": slon,
            "lat": slat,
            "kind": "sorting_centre",
            "streams": ["recyclable"],
            "capacity_t_per_day": SORTING_CENTRE_CAPACITY_T,
            "gate": {"start": "07:00", "end": "18:00"},
            "unload_min": 15.0,
            "cost_per_t": 0.0,
            "assumption": SORTING_CENTRE_ASSUMPTION,
        },
    ]
    return result


def energy_model(body: str, energy: str) -> dict:
    """Consumption per 100 km (empty, full) and per stop, converted from the diesel figures."""
    empty, full, per_stop, _ = BODIES[body]
    factor = {"diesel": 1.0, "lng": LNG_KG_PER_DIESEL_L, "electric": ELECTRIC_KWH_PER_DIESEL_L}
    f = factor[energy]
    return {
        "type": energy,
        "empty_per_100km": round(empty * f, 2),
        "full_per_100km": round(full * f, 2),
        "per_stop": round(per_stop * f, 3),
    }


def vehicle_type(
    type_id: str, name: str, stream: str, body: str, payload: float, count: int, yard: str,
    energy: str, shift: str,
) -> dict:  # fmt: skip
    """One vehicle type with costs derived from its price, energy use and crew.

    ``shift`` names an entry of SHIFTS; its first word is the tier's crew ("kitchen" trucks are
    collection-tier vehicles with their own crew rate).
    """
    crew = shift.split("-")[0]
    tier = "transfer" if crew == "transfer" else "collection"
    model = energy_model(body, energy)
    price = {"diesel": DIESEL_CNY_PER_L, "lng": LNG_CNY_PER_KG, "electric": POWER_CNY_PER_KWH}
    mean_per_km = (model["empty_per_100km"] + model["full_per_100km"]) / 200
    start, end = SHIFTS[shift]
    return {
        "id": type_id,
        "name": name,
        "tier": tier,
        "streams": [stream],
        "payload_t": payload,
        "count": count,
        "yard": yard,
        "shift": {"start": start, "end": end},
        "fixed_cost_per_day": round(
            BODIES[body][3] * PRICE_FACTOR[energy] / (SERVICE_LIFE_YEARS * SERVICE_DAYS_PER_YEAR),
            1,
        ),
        "cost_per_km": round(mean_per_km * price[energy] + MAINTENANCE_CNY_PER_KM[energy], 2),
        "cost_per_hour": CREW_CNY_PER_HOUR[crew],
        "energy": model,
        **({"battery": battery(body)} if energy == "electric" else {}),
    }


def battery(body: str) -> dict:
    """The traction battery of an electric ``body``."""
    return {
        "capacity_kwh": BATTERY_KWH[body],
        "usable_share": BATTERY_USABLE_SHARE,
        "reserve_share": BATTERY_RESERVE_SHARE,
    }


def with_chargers(
    yards: list[dict], sites: list[dict], types: list[dict], all_electric: bool
) -> None:
    """Chargers at the yards that base electric trucks (a plug each) and at FACILITY_CHARGERS
    (with ``all_electric``, a plug for every electric truck that may unload there)."""
    electric: dict[str, int] = {}
    for vt in types:
        if "battery" in vt:
            electric[vt["yard"]] = electric.get(vt["yard"], 0) + vt["count"]
    for yard in yards:
        if yard["id"] in electric:
            yard["charger"] = {"power_kw": YARD_CHARGER_KW, "count": electric[yard["id"]]}
    for site in sites:
        if site["id"] in FACILITY_CHARGERS:
            power_kw, plugs = FACILITY_CHARGERS[site["id"]]
            if all_electric:
                plugs = sum(
                    vt["count"]
                    for vt in types
                    if "battery" in vt and set(vt["streams"]) & set(site["streams"])
                )
            site["charger"] = {"power_kw": power_kw, "count": plugs}


ENERGY_NAMES = {"diesel": "柴油", "lng": "LNG", "electric": "纯电动"}


def fleet(points: list[dict], fleet_energy: str | None) -> list[dict]:
    """Collection, kitchen and transfer vehicles; ``fleet_energy`` overrides every energy type."""
    yards = {y[0]: (y[2], y[3]) for y in YARDS}
    tonnes = township_tonnes(points)
    demand = dict.fromkeys(yards, 0.0)
    for tid, _, _, lat, lon, _, _ in TOWNSHIPS:
        demand[_nearest(lat, lon, yards)] += tonnes[tid]
    collection: dict[tuple[str, float, str], int] = {}
    for yard_id, _, _, _, mix in YARDS:
        for payload, energy, share in FLEET_MIX[mix]:
            key = (yard_id, payload, fleet_energy or energy)
            need = demand[yard_id] * FLEET_SLACK * share / (payload * TRIPS_PER_DAY)
            collection[key] = collection.get(key, 0) + math.ceil(need)
    types = []
    for (yard_id, payload, energy), count in collection.items():
        tag = f"{yard_id.removeprefix('yard-')}-c{payload:g}-{energy}"
        name = f"{payload:g}吨{ENERGY_NAMES[energy]}压缩式垃圾车"
        types.append(
            vehicle_type(
                tag,
                name,
                "residual",
                f"compactor-{payload:g}",
                payload,
                count,
                yard_id,
                energy,
                "collection",
            )
        )
    for yard_id, payload, energy, shift, count in KITCHEN_FLEET:
        energy = fleet_energy or energy
        tag = f"{yard_id.removeprefix('yard-')}-k{payload:g}-{energy}-{shift.split('-')[1]}"
        name = f"{payload:g}吨{ENERGY_NAMES[energy]}餐厨垃圾车"
        types.append(
            vehicle_type(
                tag, name, "kitchen", f"tank-{payload:g}", payload, count, yard_id, energy, shift
            )
        )
    for yard_id, count in RECYCLABLE_FLEET:
        energy = fleet_energy or "diesel"
        tag = f"{yard_id.removeprefix('yard-')}-r{RECYCLABLE_PAYLOAD_T:g}-{energy}"
        name = f"{RECYCLABLE_PAYLOAD_T:g}吨{ENERGY_NAMES[energy]}可回收物收集车"
        types.append(
            vehicle_type(
                tag, name, "recyclable", f"compactor-{RECYCLABLE_PAYLOAD_T:g}",
                RECYCLABLE_PAYLOAD_T, count, yard_id, energy, "collection",
            )
        )  # fmt: skip
    trips = RESIDUAL_T_PER_YEAR / DAYS_PER_YEAR / TRANSFER_PAYLOAD_T * FLEET_SLACK
    total = math.ceil(trips / TRANSFER_TRIPS_PER_DAY)
    transfer: dict[tuple[str, str], int] = {}
    shares = [share for _, _, share in TRANSFER_FLEET]
    for (yard_id, energy, _), count in zip(TRANSFER_FLEET, apportion(total, shares), strict=True):
        key = (yard_id, fleet_energy or energy)
        transfer[key] = transfer.get(key, 0) + count
    for (yard_id, energy), count in transfer.items():
        tag = f"{yard_id.removeprefix('yard-')}-h12-{energy}"
        name = f"12吨{ENERGY_NAMES[energy]}勾臂车"
        types.append(
            vehicle_type(
                tag,
                name,
                "residual",
                "hooklift-12",
                TRANSFER_PAYLOAD_T,
                count,
                yard_id,
                energy,
                "transfer",
            )
        )
    return types


SCENARIOS = {  # file -> (instance name, incinerator phase, fleet energy override, label)
    "instance.json": ("daoxian", 1, None, "phase 1 incinerator (600 t/day), mixed fleet"),
    "phase2.json": ("daoxian-phase2", 2, None, "phase 2 incinerator (900 t/day), mixed fleet"),
    "diesel.json": ("daoxian-diesel", 2, "diesel", "phase 2 incinerator, all-diesel fleet"),
    "electric.json": ("daoxian-electric", 2, "electric", "phase 2 incinerator, all-electric fleet"),
}


def instance(
    points: list[dict], name: str, phase: int, fleet_energy: str | None, label: str
) -> dict:
    """One scenario's instance document (points are referenced through points.csv)."""
    yards = [{"id": yid, "name": name, "lon": lon, "lat": lat} for yid, name, lat, lon, _ in YARDS]
    sites = facilities(points, phase)
    types = fleet(points, fleet_energy)
    with_chargers(yards, sites, types, fleet_energy == "electric")
    return {
        "name": name,
        "title": "道县",
        "description": f"Daoxian county (道县), Hunan: one day of domestic and kitchen waste, "
        f"{label}. Figures and their sources: instances/daoxian/SOURCES.md.",
        "assumptions": ASSUMPTIONS,
        "settings": {
            "circuity_factor": 1.35,
            "average_speed_kmh": 30.0,
            "stray_share": STRAY_SHARE,
        },
        "yards": yards,
        "facilities": sites,
        "vehicle_types": types,
        "points_csv": "points.csv",
    }


def build() -> dict[str, str]:
    """File name -> text of every generated file."""
    rng = np.random.default_rng(SEED)
    points = residual_points(rng) + kitchen_sources(rng)
    files = {"points.csv": points_csv(points)}
    for file_name, scenario in SCENARIOS.items():
        doc = instance(points, *scenario)
        files[file_name] = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory to write (default: here)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for file_name, text in build().items():
        (args.out / file_name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
