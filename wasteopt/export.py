"""What a plan looks like to people: plan.json, per-truck dispatch sheets, GeoJSON routes."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wasteopt import csv_cells
from wasteopt.headers import LABELS, Language, word
from wasteopt.io import dump_json, write_text_atomic
from wasteopt.matrix import MatrixProvider
from wasteopt.model import Instance, Plan, Route, Site
from wasteopt.provenance import road_network

# the stop table's columns, as keys of wasteopt.headers.LABELS
SHEET_COLUMNS = (
    "seq",
    "site_id",
    "place",
    "action",
    "arrive",
    "leave",
    "tonnes",
    "load_after_t",
    "km_from_prev",
    "soc_kwh",
    "charged_kwh",
)
# The names a plan's files take wherever they are written (a folder, an API job's files).
PLAN_FILE = "plan.json"
GEOJSON_FILE = "routes.geojson"
SHEETS_DIR = "sheets"


def _sites(instance: Instance) -> dict[str, Site]:
    return {site.id: site for site in instance.sites}


def place_names(instance: Instance) -> dict[str, str]:
    """Site id -> its name as people see it, an assumed facility's marked ``(assumed)``."""
    return {
        site.id: site.name + (" (assumed)" if getattr(site, "assumption", "") else "")
        for site in instance.sites
    }


def sheet_csv(
    instance: Instance,
    route: Route,
    date: str | None = None,
    caveats: Sequence[str] = (),
    language: Language = "zh",
    names: dict[str, str] | None = None,
) -> str:
    """One truck's dispatch sheet as CSV text, headers in ``language`` (Chinese by default).

    A header names the truck and the day and notes what the times and distances rest on that
    is assumed or approximate (``caveats``); a blank row, then one row per stop. The text
    starts with a BOM in either language, to be written as UTF-8: Excel on a Chinese Windows
    reads a CSV without one in the system's code page (GBK) and garbles the Chinese headers
    and place names. ``names`` are :func:`place_names` of ``instance``, where the caller has
    them already.
    """
    label = LABELS[language]
    if names is None:
        names = place_names(instance)
    buffer = io.StringIO()
    writer = csv_cells.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [label["vehicle"], route.vehicle_id, route.vehicle_type, label["date"], date or ""]
    )
    for caveat in caveats:
        writer.writerow([label["note"], caveat])
    writer.writerow([])
    writer.writerow([label[column] for column in SHEET_COLUMNS])
    for seq, stop in enumerate(route.stops, start=1):
        writer.writerow(
            [
                seq,
                stop.site_id,
                names.get(stop.site_id, ""),
                word(language, stop.action),
                stop.arrive,
                stop.depart,
                f"{stop.tonnes:.3f}",
                f"{stop.load_after_t:.3f}",
                f"{stop.distance_from_prev_km:.2f}",
                "" if stop.soc_kwh is None else f"{stop.soc_kwh:.1f}",
                f"{stop.charged_kwh:.1f}" if stop.action == "charge" else "",
            ]
        )
    return "\ufeff" + buffer.getvalue()


def sheets_csv(instance: Instance, plan: Plan, language: Language = "zh") -> dict[str, str]:
    """Vehicle id -> dispatch sheet CSV text, for every route of the plan."""
    names = place_names(instance)
    return {
        route.vehicle_id: sheet_csv(instance, route, plan.date, plan.caveats, language, names)
        for route in plan.routes
    }


def routes_geojson(instance: Instance, plan: Plan, provider: MatrixProvider) -> dict[str, Any]:
    """A FeatureCollection: one LineString per route drawn along ``provider``'s legs, and
    one Point per site with its role.

    Route lines carry ``road_network`` (what their shape and length rest on), an assumed
    facility's point its ``assumed``, and the collection the plan's ``caveats``.
    """
    sites = _sites(instance)
    roads = road_network(provider)
    features: list[dict[str, Any]] = []
    for route in plan.routes:
        moves = [s for s in route.stops if s.action != "break"]
        line: list[tuple[float, float]] = []
        for a, b in zip(moves, moves[1:], strict=False):
            if a.site_id == b.site_id:
                continue
            leg = provider.leg_path(sites[a.site_id], sites[b.site_id])
            line.extend(leg if not line else leg[1:])
        if len(line) < 2:
            site = sites[route.stops[0].site_id]
            line = [(site.lon, site.lat), (site.lon, site.lat)]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [list(p) for p in line]},
                "properties": {
                    "vehicle_id": route.vehicle_id,
                    "vehicle_type": route.vehicle_type,
                    "tier": route.tier,
                    "stream": route.stream,
                    "distance_km": route.distance_km,
                    "trips": route.trips,
                    "stops": [s.site_id for s in moves],
                    "road_network": roads,
                },
            }
        )
    roles = {y.id: "yard" for y in instance.yards}
    roles.update({f.id: f.kind for f in instance.facilities})
    roles.update({p.id: f"point:{p.stream}" for p in instance.points})
    unserved = {u.point_id for u in plan.unserved}
    for site in instance.sites:
        properties: dict[str, Any] = {"id": site.id, "name": site.name, "role": roles[site.id]}
        if site.id in unserved:
            properties["unserved"] = True
        if getattr(site, "assumption", ""):
            properties["assumed"] = site.assumption
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "caveats": plan.caveats, "features": features}


def write_outputs(
    instance: Instance,
    plan: Plan,
    out_dir: str | Path,
    provider: MatrixProvider,
    language: Language = "zh",
) -> list[Path]:
    """Write plan.json, routes.geojson and sheets/<vehicle>.csv (headers in ``language``);
    each file atomically."""
    out = Path(out_dir)
    geojson = json.dumps(routes_geojson(instance, plan, provider), ensure_ascii=False)
    files = {out / PLAN_FILE: dump_json(plan), out / GEOJSON_FILE: geojson}
    for vehicle_id, text in sheets_csv(instance, plan, language).items():
        files[out / SHEETS_DIR / f"{vehicle_id}.csv"] = text
    for path, text in files.items():
        write_text_atomic(path, text)
    for stale in (out / SHEETS_DIR).glob("*.csv"):
        if stale not in files:
            stale.unlink()
    return list(files)
