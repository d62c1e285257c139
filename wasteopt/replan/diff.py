"""What a re-plan changes against the plan it revises: points moved, stops added or removed,
km, cost and finishing times, per truck and for the day."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, computed_field

from wasteopt.model import Instance, Plan, Route, clock_to_seconds, seconds_to_clock
from wasteopt.planning import route_cost


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class MovedPoint(_Out):
    """A point another truck collects now."""

    point_id: str
    from_vehicle: str
    to_vehicle: str


class StopChange(_Out):
    """A point collected now but not before (``added``), or the reverse (``removed``)."""

    point_id: str
    vehicle_id: str


class VehicleDiff(_Out):
    """One truck's day before and after: km, cost (CNY, as the plan's cost counts it),
    finishing time (its last stop) and whether its stops changed (its sheet must be handed out
    again)."""

    vehicle_id: str
    changed: bool
    km_before: float
    km_after: float
    cost_before: float
    cost_after: float
    finish_before: str | None
    finish_after: str | None


class PlanDiff(_Out):
    """The re-plan against the plan it revises."""

    moved: list[MovedPoint]
    added: list[StopChange]
    removed: list[StopChange]
    vehicles: list[VehicleDiff]
    km_before: float
    km_after: float
    cost_before: float
    cost_after: float
    finish_before: str | None
    finish_after: str | None
    unserved_before: int
    unserved_after: int

    @computed_field
    @property
    def affected(self) -> list[str]:
        """The trucks whose stops changed."""
        return [v.vehicle_id for v in self.vehicles if v.changed]

    def summary(self) -> str:
        """A few lines for the dispatcher."""
        lines = [
            f"  changes: {len(self.affected)} truck(s), {len(self.moved)} point(s) moved,"
            f" {len(self.added)} added, {len(self.removed)} removed;"
            f" unserved {self.unserved_before} -> {self.unserved_after}",
            f"  km {self.km_before:,.1f} -> {self.km_after:,.1f};"
            f" cost {self.cost_before:,.2f} -> {self.cost_after:,.2f} CNY;"
            f" last truck home {self.finish_before} -> {self.finish_after}",
        ]
        lines += [f"    {m.point_id}: {m.from_vehicle} -> {m.to_vehicle}" for m in self.moved[:20]]
        if len(self.moved) > 20:
            lines.append(f"    ... and {len(self.moved) - 20} more moved")
        return "\n".join(lines)


def _collectors(plan: Plan) -> dict[str, str]:
    return {
        stop.site_id: route.vehicle_id
        for route in plan.routes
        for stop in route.stops
        if stop.action == "collect"
    }


def _finish(route: Route | None) -> str | None:
    return route.stops[-1].arrive if route is not None and route.stops else None


def _latest(plan: Plan) -> str | None:
    ends = [clock_to_seconds(r.stops[-1].arrive) for r in plan.routes if r.stops]
    return seconds_to_clock(max(ends)) if ends else None


def _cost(instance: Instance, route: Route | None) -> float:
    return round(route_cost(instance, route), 2) if route is not None else 0.0


def plan_diff(before: Plan, after: Plan, instance: Instance) -> PlanDiff:
    """The changes from ``before`` to ``after``, each truck priced by ``instance`` (the day's:
    its vehicle types and fees are the morning's)."""
    was, now = _collectors(before), _collectors(after)
    moved = [
        MovedPoint(point_id=p, from_vehicle=was[p], to_vehicle=now[p])
        for p in sorted(was.keys() & now.keys())
        if was[p] != now[p]
    ]
    added = [StopChange(point_id=p, vehicle_id=now[p]) for p in sorted(now.keys() - was.keys())]
    removed = [StopChange(point_id=p, vehicle_id=was[p]) for p in sorted(was.keys() - now.keys())]
    routes_before = {r.vehicle_id: r for r in before.routes}
    routes_after = {r.vehicle_id: r for r in after.routes}
    vehicles = []
    for vehicle_id in sorted(routes_before.keys() | routes_after.keys()):
        old, new = routes_before.get(vehicle_id), routes_after.get(vehicle_id)
        vehicles.append(
            VehicleDiff(
                vehicle_id=vehicle_id,
                changed=(old.stops if old else None) != (new.stops if new else None),
                km_before=old.distance_km if old else 0.0,
                km_after=new.distance_km if new else 0.0,
                cost_before=_cost(instance, old),
                cost_after=_cost(instance, new),
                finish_before=_finish(old),
                finish_after=_finish(new),
            )
        )
    return PlanDiff(
        moved=moved,
        added=added,
        removed=removed,
        vehicles=vehicles,
        km_before=round(sum(r.distance_km for r in before.routes), 3),
        km_after=round(sum(r.distance_km for r in after.routes), 3),
        cost_before=before.cost,
        cost_after=after.cost,
        finish_before=_latest(before),
        finish_after=_latest(after),
        unserved_before=len(before.unserved),
        unserved_after=len(after.unserved),
    )
