"""A plan as one Excel workbook: an overview sheet, then one dispatch sheet per truck.

Headers come in Chinese (the default: Daoxian's dispatchers read Chinese) or English. Each
truck's sheet names its vehicle type as the instance names it (``5吨柴油压缩式垃圾车``), the
date, and totals of tonnes, km and duty time.
"""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from wasteopt.headers import LABELS, Language, word
from wasteopt.model import Instance, Plan, Route

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_BOLD = Font(bold=True)


def _collected(route: Route) -> float:
    return sum(s.tonnes for s in route.stops if s.action in ("collect", "pickup"))


def _type_name(instance: Instance, route: Route) -> str:
    """The vehicle type as the instance names it (its id when it has no name)."""
    for vt in instance.vehicle_types:
        if vt.id == route.vehicle_type:
            return vt.name or vt.id
    return route.vehicle_type


def _as_text(sheet: Worksheet) -> None:
    """Keep every cell a value: openpyxl would store a name beginning with ``=`` as a formula."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _sheet_name(vehicle_id: str, taken: set[str]) -> str:
    """An Excel sheet name for ``vehicle_id``: at most 31 characters, none of []:*?/\\."""
    base = _SHEET_NAME_FORBIDDEN.sub("_", vehicle_id)[:31] or "_"
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base[: 31 - len(str(n)) - 1]}~{n}"
    taken.add(name.lower())
    return name


def _fit_columns(sheet: Worksheet) -> None:
    """Widen each column to its longest cell (a Chinese character counts twice)."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            text = str(cell.value)
            width = sum(2 if ord(c) > 0x2E80 else 1 for c in text)
            widths[cell.column] = max(widths.get(cell.column, 0), width)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(60, width + 2)


def _header(sheet: Worksheet, values: list[str]) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
        cell.alignment = Alignment(horizontal="center")


def _overview(sheet: Worksheet, instance: Instance, plan: Plan, language: Language) -> None:
    label = LABELS[language]
    sheet.append([label["title"]])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([label["area"], instance.display_name])
    sheet.append([label["date"], plan.date or instance.date or ""])
    sheet.append([label["cost"], round(plan.cost, 2)])
    sheet.append([])
    columns = ("vehicle", "vehicle_type", "tier", "stream", "start", "end", "trips")
    _header(sheet, [label[c] for c in (*columns, "collected_t", "distance_km", "duration_min")])
    for route in plan.routes:
        sheet.append(
            [
                route.vehicle_id,
                _type_name(instance, route),
                word(language, route.tier),
                word(language, route.stream),
                route.stops[0].depart,
                route.stops[-1].arrive,
                route.trips,
                round(_collected(route), 3),
                round(route.distance_km, 2),
                round(route.duration_min, 1),
            ]
        )
    sheet.append(
        [
            label["total"],
            len(plan.routes),
            "",
            "",
            "",
            "",
            sum(r.trips for r in plan.routes),
            round(sum(_collected(r) for r in plan.routes), 3),
            round(sum(r.distance_km for r in plan.routes), 2),
            round(sum(r.duration_min for r in plan.routes), 1),
        ]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
    names = {site.id: site.name for site in instance.sites}
    for title, key, items in (
        ("unserved", "point", [(u.point_id, u.tonnes, u.reason) for u in plan.unserved]),
        ("backlog", "station", [(b.facility_id, b.tonnes, b.reason) for b in plan.backlog]),
    ):
        sheet.append([])
        sheet.append([label[title]])
        sheet[sheet.max_row][0].font = _BOLD
        if not items:
            sheet.append([label["none"]])
            continue
        _header(sheet, [label[key], label["place"], label["tonnes"], label["reason"]])
        for site_id, tonnes, reason in items:
            sheet.append([site_id, names.get(site_id, ""), round(tonnes, 3), reason])
    if plan.caveats:  # what the plan's figures rest on that is assumed or approximate
        sheet.append([])
        sheet.append([label["caveats"]])
        sheet[sheet.max_row][0].font = _BOLD
        for caveat in plan.caveats:
            sheet.append([caveat])


def _truck_sheet(
    sheet: Worksheet, instance: Instance, plan: Plan, route: Route, language: Language
) -> None:
    label = LABELS[language]
    names = {site.id: site.name for site in instance.sites}
    sheet.append([label["vehicle"], route.vehicle_id])
    sheet.append([label["vehicle_type"], _type_name(instance, route)])
    sheet.append([label["date"], plan.date or instance.date or ""])
    sheet.append([label["stream"], word(language, route.stream)])
    for row in range(1, 5):
        sheet.cell(row=row, column=1).font = _BOLD
    sheet.append([])
    keys = ("seq", "site_id", "place", "action", "arrive", "leave", "tonnes", "load_after_t")
    battery = route.stops[0].soc_kwh is not None  # a battery truck: its charge after each stop
    _header(sheet, [label[k] for k in (*keys, "km_from_prev", *(["soc_kwh"] if battery else []))])
    for seq, stop in enumerate(route.stops, start=1):
        sheet.append(
            [
                seq,
                stop.site_id,
                names.get(stop.site_id, ""),
                word(language, stop.action),
                stop.arrive,
                stop.depart,
                round(stop.tonnes, 3),
                round(stop.load_after_t, 3),
                round(stop.distance_from_prev_km, 2),
                *([round(stop.soc_kwh or 0.0, 1)] if battery else []),
            ]
        )
    sheet.append(
        [
            label["total"],
            "",
            "",
            "",
            route.stops[0].depart,
            route.stops[-1].arrive,
            round(_collected(route), 3),
            "",
            round(route.distance_km, 2),
        ]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
    sheet.freeze_panes = "A7"


def plan_workbook(instance: Instance, plan: Plan, language: Language = "zh") -> bytes:
    """The ``.xlsx`` file of ``plan``: overview sheet, then one sheet per truck in route order."""
    book = Workbook()
    overview = book.active
    assert overview is not None
    overview.title = LABELS[language]["overview"]
    _overview(overview, instance, plan, language)
    _as_text(overview)
    _fit_columns(overview)
    taken = {overview.title.lower()}
    for route in plan.routes:
        sheet = book.create_sheet(_sheet_name(route.vehicle_id, taken))
        _truck_sheet(sheet, instance, plan, route, language)
        _as_text(sheet)
        _fit_columns(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
