"""A plan's headline figures for dispatchers: vehicles, trips, km, hours, tonnes per facility."""

from __future__ import annotations

from collections import defaultdict

from wasteopt.model import Instance, Plan


def facility_intake(plan: Plan) -> dict[str, float]:
    """Tonnes unloaded at each facility by this plan (both tiers)."""
    intake: dict[str, float] = defaultdict(float)
    for route in plan.routes:
        for stop in route.stops:
            if stop.action == "unload":
                intake[stop.site_id] += stop.tonnes
    return dict(intake)


def format_summary(instance: Instance, plan: Plan) -> str:
    """Plain-text summary of ``plan`` (one block per tier, then facilities and leftovers)."""
    lines = [f"Plan for {plan.instance_name}" + (f" on {plan.date}" if plan.date else "")]
    for tier in ("collection", "transfer"):
        routes = [r for r in plan.routes if r.tier == tier]
        if not routes:
            continue
        km = sum(r.distance_km for r in routes)
        hours = sum(r.duration_min for r in routes) / 60
        trips = sum(r.trips for r in routes)
        lines.append(
            f"  {tier:<10} vehicles {len(routes):>3}  trips {trips:>4}  {km:>9.1f} km"
            f"  {hours:>7.1f} h"
        )
    intake = facility_intake(plan)
    lines.append("  tonnes unloaded per facility (t/day, incl. external inflow / capacity):")
    for facility in instance.facilities:
        if facility.id not in intake and facility.status != "open":
            continue
        received = intake.get(facility.id, 0.0)
        total = received + facility.external_inflow_t_per_day
        lines.append(
            f"    {facility.id:<12} {facility.name[:16]:<16} {received:>8.2f}"
            f"  ({total:.1f} / {facility.capacity_t_per_day:g})"
        )
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
    return "\n".join(lines)
