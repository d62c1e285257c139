"""A plan's headline figures for dispatchers: vehicles, trips, km, hours, tonnes per facility."""

from __future__ import annotations

from collections import defaultdict

from wasteopt._text import table
from wasteopt.model import Instance, Plan
from wasteopt.units import minutes_to_hours


def facility_intake(plan: Plan) -> dict[str, float]:
    """Tonnes unloaded at each facility by this plan (both tiers)."""
    intake: dict[str, float] = defaultdict(float)
    for route in plan.routes:
        for stop in route.stops:
            if stop.action == "unload":
                intake[stop.site_id] += stop.tonnes
    return dict(intake)


def format_summary(instance: Instance, plan: Plan) -> str:
    """Plain-text summary of ``plan``: a table of the tiers, then facilities and leftovers."""
    lines = [f"Plan for {instance.display_name}" + (f" on {plan.date}" if plan.date else "")]
    tiers = [["tier", "vehicles", "unload trips", "distance km", "duty hours"]]
    for tier in ("collection", "transfer"):
        routes = [r for r in plan.routes if r.tier == tier]
        if routes:
            km = sum(r.distance_km for r in routes)
            hours = minutes_to_hours(sum(r.duration_min for r in routes))
            trips = sum(r.trips for r in routes)
            tiers.append([tier, str(len(routes)), str(trips), f"{km:.1f}", f"{hours:.1f}"])
    lines += table(tiers, "<>>>>")
    intake = facility_intake(plan)
    lines.append("  tonnes unloaded per facility today:")
    facilities = [["facility", "name", "unloaded t", "incl. outside inflow t", "capacity t/day"]]
    for facility in instance.facilities:
        if facility.id not in intake and facility.status != "open":
            continue
        received = intake.get(facility.id, 0.0)
        total = received + facility.external_inflow_t_per_day
        facilities.append(
            [
                facility.id,
                facility.name + (" (assumed)" if facility.assumption else ""),
                f"{received:.2f}",
                f"{total:.1f}",
                f"{facility.capacity_t_per_day:g}",
            ]
        )
    lines += table(facilities, "<<>>>", indent="    ")
    unserved_t = sum(u.tonnes for u in plan.unserved)
    lines.append(f"  unserved points: {len(plan.unserved)} ({unserved_t:.2f} t)")
    for item in plan.unserved[:10]:
        lines.append(f"    {item.point_id}: {item.tonnes:.2f} t — {item.reason}")
    if len(plan.unserved) > 10:
        lines.append(f"    … and {len(plan.unserved) - 10} more (see plan.json)")
    for item in plan.backlog:
        lines.append(
            f"  left at {item.facility_id}: {item.tonnes:.2f} t not hauled today — {item.reason}"
        )
    lines.append(f"  cost: {plan.cost:,.2f} CNY (fixed + distance + duty time + handling fees)")
    if plan.caveats:
        lines.append("  assumed or approximate:")
        lines += [f"    - {caveat}" for caveat in plan.caveats]
    return "\n".join(lines)
