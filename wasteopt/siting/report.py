"""A siting answer as people read it: the terminal summary and the point assignment CSV."""

from __future__ import annotations

import io
from collections.abc import Sequence

from wasteopt import csv_cells
from wasteopt._text import table
from wasteopt.model import Facility, Instance
from wasteopt.siting.result import SitingResult

ASSIGNMENT_FILE = "assignment.csv"
SCENARIO_FILE = "scenario.json"
TODAY_FILE = "today.json"


def _stop_reason(result: SitingResult) -> str:
    if result.status == "optimal":
        return "proven optimal"
    stop = {"gap_limit": "gap limit", "time_limit": "time limit", "stopped": "stopped"}
    return (
        f"{stop[result.status]}: within {result.gap:.3%}"
        f" ({result.objective - result.bound:,.0f} CNY/yr) of the proven optimum"
    )


def siting_summary(result: SitingResult) -> str:
    """The answer as plain text: each open station with its name, load and container trips
    (new or kept), the stations open today that it closes, the direct hauls and the annual
    cost by component."""
    lines = [
        f"Siting over {len(result.candidates)} candidate station(s): {_stop_reason(result)},"
        f" {result.seconds:.1f} s",
        f"  open ({len(result.open_stations)}):",
    ]
    rows = [["station", "name", "load t/day", "container trips/day", "today"]]
    for sid in result.open_stations:
        rows.append(
            [
                sid,
                result.names.get(sid, ""),
                f"{result.station_load_t[sid]:.1f}",
                str(result.transfer_trips_per_day[sid]),
                "kept open" if sid in result.open_today else "new",
            ]
        )
    lines += table(rows, "<<>><", indent="    ")
    if result.closes_today:
        closed = ", ".join(f"{sid} {result.names[sid]}".rstrip() for sid in result.closes_today)
        lines.append(f"  closes today's station(s) ({len(result.closes_today)}): {closed}")
    else:
        lines.append("  closes none of today's stations")
    direct = sum(1 for d in result.assignment.values() if d not in result.station_load_t)
    cost = result.cost
    lines += [
        f"  points hauled direct to the plant: {direct} of {len(result.assignment)}",
        "  estimated annual cost (CNY/yr):",
        *table(
            [
                ["stations", f"{cost.station_fixed:,.0f}", "collection", f"{cost.collection:,.0f}"],
                ["transfer", f"{cost.transfer:,.0f}", "handling", f"{cost.handling:,.0f}"],
                ["carbon", f"{cost.carbon:,.0f}", "total", f"{cost.total:,.0f}"],
            ],
            "<><>",
            indent="    ",
        ),
        f"  line-haul {result.vehicle_km_per_day:,.0f} vehicle-km/day,"
        f" {result.co2e_t_per_year:,.0f} t CO2e/yr",
    ]
    return "\n".join(lines)


def versus_today(result: SitingResult, today: SitingResult) -> str:
    """One line: today's stations costed by the same model, and what the choice saves (or
    that the difference lies within the two solves' proven gaps)."""
    saving = today.cost.total - result.cost.total
    slack = (result.objective - result.bound) + (today.objective - today.bound)
    note = " (within the solvers' gaps: no real difference)" if abs(saving) <= slack else ""
    return (
        f"today's stations, same model: {today.cost.total:,.0f} CNY/yr;"
        f" the choice saves {saving:,.0f} CNY/yr{note}"
    )


def assignment_csv(instance: Instance, result: SitingResult, added: Sequence[Facility] = ()) -> str:
    """Each point's destination (station or plant, with names) as CSV with a UTF-8 BOM."""
    names = {s.id: s.name for s in [*instance.sites, *added]}
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv_cells.writer(out, lineterminator="\r\n")
    writer.writerow(["point_id", "name", "stream", "tonnes_per_day", "destination", "dest_name"])
    for p in instance.points:
        dest = result.assignment[p.id]
        writer.writerow([p.id, p.name, p.stream, f"{p.tonnes_per_day:.3f}", dest, names[dest]])
    return out.getvalue()
