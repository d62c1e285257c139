"""What-if scenarios: a named set of changes to an instance, kept in a JSON file.

A scenario opens or closes transfer stations (adding new sites if needed), changes plant
capacity or inflow (e.g. incinerator phase 2: 600 -> 900 t/day, DOMAIN.md 专栏14 item 3),
changes fleet energy type, size or rates, scales the day's waste, and lets households sort
food waste and recyclables out of residual waste at given rates (:mod:`wasteopt.sorting`). With
``grow`` set, comparing it adds trucks and chargers until every point is served
(:mod:`wasteopt.fleet_growth`).
Applying one never edits the instance in place: :func:`apply_scenario` returns a changed copy.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from wasteopt import csv_cells
from wasteopt._text import table
from wasteopt.bounds import changed_problems
from wasteopt.electrify import ElectricVariant, electrify
from wasteopt.errors import InstanceError
from wasteopt.export import write_outputs
from wasteopt.fleet_growth import FleetGrowth, Growth, grow
from wasteopt.headers import Language
from wasteopt.io import dump_json, validation_problems, write_text_atomic
from wasteopt.matrix import MatrixProvider
from wasteopt.model import (
    Charger,
    EnergyModel,
    Facility,
    ImpactReport,
    Instance,
    InstanceSettings,
    Plan,
    TariffPeriod,
    Yard,
)
from wasteopt.planning import DayResult, PlanOptions, Progress, plan_day_full
from wasteopt.sorting import SortingRates, sort_at_source
from wasteopt.units import TONNE_TOL, minutes_to_hours

if TYPE_CHECKING:
    from wasteopt.siting import SitingResult

log = logging.getLogger(__name__)

Id = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FacilityChange(_Strict):
    """New values for an existing facility (plant phase, capacity, inflow, fee, charger)."""

    id: Id
    capacity_t_per_day: float | None = Field(default=None, gt=0)
    external_inflow_t_per_day: float | None = Field(default=None, ge=0)
    cost_per_t: float | None = Field(default=None, ge=0)
    charger: Charger | None = Field(default=None, description="a charger to build or replace")


class FleetChange(_Strict):
    """New values for a vehicle type: energy model (e.g. electric), count, rates."""

    vehicle_type: Id
    energy: EnergyModel | None = None
    count: int | None = Field(default=None, ge=1)
    fixed_cost_per_day: float | None = Field(default=None, ge=0)
    cost_per_km: float | None = Field(default=None, ge=0)
    cost_per_hour: float | None = Field(default=None, ge=0)


class SitingEstimate(_Strict):
    """The location model's annual estimate for this configuration, CNY/yr."""

    station_fixed: float
    collection: float
    transfer: float
    handling: float
    carbon: float
    total: float
    status: str
    gap: float
    seconds: float


TODAY = "today"


class Scenario(_Strict):
    """A named set of changes to an instance; the empty scenario is "today"."""

    name: Id
    description: str = ""
    add_stations: list[Facility] = Field(
        default_factory=list, description="new transfer-station sites (open them below)"
    )
    open_stations: list[Id] = Field(default_factory=list)
    close_stations: list[Id] = Field(default_factory=list)
    facilities: list[FacilityChange] = Field(default_factory=list)
    fleet: list[FleetChange] = Field(default_factory=list)
    tonnes_factor: float = Field(default=1.0, gt=0, description="scales every point's tonnes")
    sorting: SortingRates | None = Field(
        default=None, description="sorting at source: shares moved out of residual waste"
    )
    electric_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="share of each non-electric collection type's trucks made battery-electric"
        " like the instance's electric type of the same payload and streams (battery included);"
        " their yards get a plug per battery truck",
    )
    tariff: list[TariffPeriod] | None = Field(
        default=None,
        description="a time-of-use electricity tariff (分时电价) for charging, in place of the"
        " instance's settings.tariff",
    )
    electric_variants: list[ElectricVariant] = Field(
        default_factory=list,
        description="what a converted truck of a payload and streams the instance has no"
        " electric type for costs and uses, battery included (as a sweep's)",
    )
    grow: FleetGrowth | None = Field(
        default=None,
        description="compare adds trucks and chargers until every point is served, and reports"
        " what it added",
    )
    estimate: SitingEstimate | None = None


def scenario_from_dict(data: Any, source: str = "scenario") -> Scenario:
    """Validate a parsed JSON document into a Scenario (errors name the field)."""
    if not isinstance(data, dict):
        raise InstanceError([(source, "must be a JSON object")])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InstanceError(validation_problems(exc, prefix=source)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario JSON file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InstanceError([(str(path), "file not found")]) from None
    except UnicodeDecodeError:
        raise InstanceError([(str(path), "is not UTF-8 text")]) from None
    except json.JSONDecodeError as exc:
        raise InstanceError(
            [(str(path), f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
        ) from None
    return scenario_from_dict(data, str(path))


def with_today(scenarios: Sequence[Scenario], include: bool = True) -> list[Scenario]:
    """``scenarios`` with the unchanged instance, named ``today``, first: unless ``include``
    is false or a scenario already carries that name."""
    if include and all(s.name != TODAY for s in scenarios):
        return [Scenario(name=TODAY), *scenarios]
    return list(scenarios)


def save_scenario(scenario: Scenario, path: str | Path) -> None:
    """Write ``scenario`` as UTF-8 JSON (atomically)."""
    write_text_atomic(path, dump_json(scenario) + "\n")


def apply_scenario(instance: Instance, scenario: Scenario) -> Instance:
    """The instance with ``scenario``'s changes made; raises InstanceError naming each problem.

    Opened stations get status ``"open"``, closed ones ``"closed"``; unknown ids, a station
    both opened and closed, or a non-station opened are errors.
    """
    where = f"scenario {scenario.name!r}"
    problems: list[tuple[str, str]] = []
    known = {s.id for s in instance.sites}
    for k, st in enumerate(scenario.add_stations):
        if st.id in known:
            problems.append(
                (f"{where}.add_stations[{k}].id", f"{st.id!r} is already in the instance")
            )
        if st.kind != "transfer_station":
            problems.append((f"{where}.add_stations[{k}].kind", "must be 'transfer_station'"))
    facilities = [*instance.facilities, *scenario.add_stations]
    stations = {f.id for f in facilities if f.kind == "transfer_station"}
    for field in ("open_stations", "close_stations"):
        for k, sid in enumerate(getattr(scenario, field)):
            if sid not in stations:
                problems.append(
                    (
                        f"{where}.{field}[{k}]",
                        f"unknown transfer station {sid!r}; known: {', '.join(sorted(stations))}",
                    )
                )
    for sid in sorted(set(scenario.open_stations) & set(scenario.close_stations)):
        problems.append((where, f"station {sid!r} is both opened and closed; keep one"))
    changes = {}
    for k, change in enumerate(scenario.facilities):
        if change.id not in {f.id for f in facilities}:
            problems.append((f"{where}.facilities[{k}].id", f"unknown facility {change.id!r}"))
        changes[change.id] = {
            name: getattr(change, name)
            for name in change.model_fields_set - {"id"}
            if getattr(change, name) is not None
        }
    fleet = {}
    type_ids = [vt.id for vt in instance.vehicle_types]
    for k, change in enumerate(scenario.fleet):
        if change.vehicle_type not in type_ids:
            problems.append(
                (
                    f"{where}.fleet[{k}].vehicle_type",
                    f"unknown vehicle type {change.vehicle_type!r}; known: {', '.join(type_ids)}",
                )
            )
        fleet[change.vehicle_type] = {
            key: getattr(change, key)
            for key in change.model_fields_set - {"vehicle_type"}
            if getattr(change, key) is not None
        }
    if problems:
        raise InstanceError(problems)
    opened, closed = set(scenario.open_stations), set(scenario.close_stations)
    new_facilities = []
    for f in facilities:
        update = dict(changes.get(f.id, {}))
        if f.id in opened:
            update["status"] = "open"
        elif f.id in closed:
            update["status"] = "closed"
        new_facilities.append(f.model_copy(update=update))
    vehicle_types = [vt.model_copy(update=fleet.get(vt.id, {})) for vt in instance.vehicle_types]
    points = instance.points
    if scenario.tonnes_factor != 1.0:
        points = [
            p.model_copy(update={"tonnes_per_day": p.tonnes_per_day * scenario.tonnes_factor})
            for p in points
        ]
    changed = instance.model_copy(
        update={
            "name": f"{instance.name} / {scenario.name}",
            "facilities": new_facilities,
            "vehicle_types": vehicle_types,
            "points": points,
        }
    )
    if scenario.tariff is not None:
        settings = InstanceSettings.model_validate(
            {**changed.settings.model_dump(), "tariff": scenario.tariff}
        )
        changed = changed.model_copy(update={"settings": settings})
    if scenario.electric_share > 0:
        changed = electrify(changed, scenario.electric_share, scenario.electric_variants)
    return changed if scenario.sorting is None else sort_at_source(changed, scenario.sorting)


def scenario_from_siting(
    instance: Instance,
    result: SitingResult,
    name: str,
    added: Sequence[Facility] = (),
    description: str = "",
) -> Scenario:
    """The configuration a siting run chose, as a scenario for ``instance``.

    Opens the chosen stations, closes every other station open today, and carries the new
    sites in ``added`` that were chosen, plus the location model's estimate.
    """
    chosen = set(result.open_stations)
    cost = result.cost
    return Scenario(
        name=name,
        description=description,
        add_stations=[st for st in added if st.id in chosen],
        open_stations=result.open_stations,
        close_stations=[
            f.id
            for f in instance.facilities
            if f.kind == "transfer_station" and f.status == "open" and f.id not in chosen
        ],
        estimate=SitingEstimate(
            station_fixed=cost.station_fixed,
            collection=cost.collection,
            transfer=cost.transfer,
            handling=cost.handling,
            carbon=cost.carbon,
            total=cost.total,
            status=result.status,
            gap=result.gap,
            seconds=result.seconds,
        ),
    )


# ---------------------------------------------------------------- comparing scenarios by routing


@dataclass(frozen=True)
class Outcome:
    """One scenario routed: the changed instance, its checked plan and its impact, and what a
    fleet growth added to the scenario (None without ``grow``)."""

    scenario: Scenario
    instance: Instance
    plan: Plan
    impact: ImpactReport
    growth: Growth | None = None

    @property
    def open_stations(self) -> list[str]:
        return [f.id for f in self.instance.open_facilities() if f.kind == "transfer_station"]

    @property
    def station_fixed_per_year(self) -> float:
        ids = set(self.open_stations)
        return sum(f.annual_fixed_cost for f in self.instance.facilities if f.id in ids)

    @property
    def annual_cost(self) -> float:
        """Routing-validated annual cost: the plan day x days per year + station fixed cost."""
        return self.plan.cost * self.impact.days_per_year + self.station_fixed_per_year


def compare_scenarios(
    instance: Instance,
    scenarios: Sequence[Scenario],
    provider: MatrixProvider | None = None,
    options: PlanOptions = PlanOptions(),
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[Outcome]:
    """Apply each scenario to ``instance``, plan its day and assess the impact.

    Every scenario is applied (and so checked) before any routing starts, so a bad scenario
    file fails at once. Include ``Scenario(name="today")`` for today's configuration.
    ``progress`` and ``should_stop`` go to each :func:`~wasteopt.planning.plan_day_full`; the tier
    names in progress reports are prefixed with the scenario name. A scenario with ``grow``
    is planned until every point is served or its rounds run out; its outcome is the last.
    """
    names = [s.name for s in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InstanceError([(f"scenario {twice[0]!r}", "name used twice; rename one")])
    changed = [apply_scenario(instance, s) for s in scenarios]
    out_of_range = [
        problem
        for scenario, made in zip(scenarios, changed, strict=True)
        for problem in changed_problems(made, f"scenario {scenario.name!r}")
    ]
    if out_of_range:
        raise InstanceError(out_of_range)
    outcomes = []
    for scenario, inst in zip(scenarios, changed, strict=True):
        log.info("routing scenario %r", scenario.name)

        def plan(day: Instance, name: str = scenario.name) -> DayResult:
            return plan_day_full(day, provider, options, _prefixed(progress, name), should_stop)

        if scenario.grow is None:
            result = plan(inst)
            outcomes.append(Outcome(scenario, inst, result.plan, result.impact))
            continue
        inst, result, growth = grow(inst, plan, scenario.grow)
        outcomes.append(Outcome(scenario, inst, result.plan, result.impact, growth))
    return outcomes


def _prefixed(
    progress: Callable[[Progress], None] | None, name: str
) -> Callable[[Progress], None] | None:
    if progress is None:
        return None
    return lambda p: progress(replace(p, tier=f"{name}: {p.tier}"))


Section = Literal["configuration", "per day", "charging", "per year", "shares of the day"]
SECTIONS: tuple[Section, ...] = (
    "configuration",
    "per day",
    "charging",
    "per year",
    "shares of the day",
)


@dataclass(frozen=True)
class Row:
    """One line of the comparison table: a metric, its unit and one value per scenario.

    ``section`` says which period the values cover: the configuration itself, the planned
    day, a year (the day x days per year, plus station fixed cost), or shares of the day.
    """

    metric: str
    unit: str
    values: list[float | str | None]
    section: Section = "per day"


def _battery_trucks(o: Outcome) -> int:
    return sum(vt.count for vt in o.instance.vehicle_types if vt.battery is not None)


def _plugs(sites: Sequence[Yard | Facility]) -> int:
    return sum(site.charger.count for site in sites if site.charger is not None)


def _charging(o: Outcome, field: str) -> float | None:
    return None if o.impact.charging is None else getattr(o.impact.charging, field)


def _busiest_site(o: Outcome) -> str | None:
    charging = o.impact.charging
    if charging is None or not charging.chargers:
        return None
    use = max(charging.chargers, key=lambda c: (c.busiest / max(c.plugs, 1), c.plugged_hours))
    return f"{use.site_id} {use.busiest}/{use.plugs}"


def _added_trucks(o: Outcome) -> int | None:
    return None if o.growth is None else sum(o.growth.trucks_added.values())


def _added_plugs(o: Outcome) -> int | None:
    return None if o.growth is None else sum(o.growth.plugs_added.values())


def _added_where(o: Outcome) -> str | None:
    if o.growth is None:
        return None
    trucks = [f"{vt} +{n}" for vt, n in o.growth.trucks_added.items()]
    plugs = [f"{site} +{n} plugs" for site, n in o.growth.plugs_added.items()]
    idle = [f"{stream} trucks stood idle" for stream in o.growth.idle_streams]
    return "; ".join(trucks + plugs + idle) or "nothing"


def _growth_left(o: Outcome) -> int | None:
    return None if o.growth is None else o.growth.rounds[-1].unserved_points


def comparison_rows(outcomes: Sequence[Outcome]) -> list[Row]:
    """The side-by-side table: stations, fleet, km, hours, energy, CO2e, intake, cost."""

    def row(
        section: Section, metric: str, unit: str, value: Callable[[Outcome], float | str | None]
    ) -> Row:
        return Row(metric, unit, [value(o) for o in outcomes], section)

    def tier(o: Outcome, name: str) -> list:
        return [r for r in o.plan.routes if r.tier == name]

    def estimate(o: Outcome) -> float | None:
        est = o.scenario.estimate
        return None if est is None else est.total - est.carbon

    def estimate_gap(o: Outcome) -> float | None:
        value = estimate(o)
        return None if value is None else (value - o.annual_cost) / o.annual_cost

    rows = [
        row("configuration", "transfer stations open", "count", lambda o: len(o.open_stations)),
        row("configuration", "transfer stations", "ids", lambda o: " ".join(o.open_stations)),
        row("per day", "collection trucks used", "count", lambda o: len(tier(o, "collection"))),
        row("per day", "transfer trucks used", "count", lambda o: len(tier(o, "transfer"))),
        row("per day", "unload trips", "count", lambda o: o.impact.trips),
        row("per day", "vehicle distance", "km/day", lambda o: o.impact.per_day.distance_km),
        row(
            "per day",
            "driver hours",
            "h/day",
            lambda o: minutes_to_hours(sum(r.duration_min for r in o.plan.routes)),
        ),
        row("per day", "diesel", "L/day", lambda o: o.impact.per_day.diesel_l),
        row("per day", "LNG", "kg/day", lambda o: o.impact.per_day.lng_kg),
        row("per day", "fleet electricity", "kWh/day", lambda o: o.impact.per_day.electricity_kwh),
        row("charging", "battery trucks in the fleet", "count", _battery_trucks),
        row("charging", "yard plugs", "count", lambda o: _plugs(o.instance.yards)),
        row("charging", "plugs at facilities", "count", lambda o: _plugs(o.instance.facilities)),
        row("charging", "charge stops", "count", lambda o: _charging(o, "charge_stops")),
        row("charging", "charged en route", "kWh/day", lambda o: _charging(o, "en_route_kwh")),
        row(
            "charging", "charging cost at the tariff", "CNY/day", lambda o: _charging(o, "cost_cny")
        ),
        row("charging", "busiest charging site", "trucks at once / plugs", _busiest_site),
        row("charging", "trucks added to serve every point", "count", _added_trucks),
        row("charging", "plugs added to serve every point", "count", _added_plugs),
        row("charging", "added (fleet growth)", "where", _added_where),
        row("charging", "unserved after fleet growth", "points", _growth_left),
    ]
    plants: dict[str, str] = {}
    for o in outcomes:
        for f in o.impact.facilities:
            if f.kind != "transfer_station":
                plants.setdefault(f.facility_id, f"{f.facility_id} {f.name}".strip())
    for fid, label in plants.items():

        def intake(o: Outcome, fid: str = fid) -> float | None:
            hit = [f for f in o.impact.facilities if f.facility_id == fid]
            return hit[0].plan_t + hit[0].external_t if hit else None

        def capacity(o: Outcome, fid: str = fid) -> float | None:
            hit = [f for f in o.impact.facilities if f.facility_id == fid]
            return hit[0].capacity_t if hit else None

        rows.append(row("per day", f"{label}: intake incl. outside inflow", "t/day", intake))
        rows.append(row("per day", f"{label}: capacity", "t/day", capacity))
    rows += [
        row("per day", "left uncollected", "t/day", lambda o: o.impact.per_day.unserved_t),
        row("per day", "left at transfer stations", "t/day", lambda o: o.impact.per_day.backlog_t),
        row(
            "per day",
            "residual not incinerated (overflow)",
            "t/day",
            lambda o: o.impact.per_day.overflow_t,
        ),
        row("per day", "routing cost", "CNY/day", lambda o: o.plan.cost),
        row("per year", "transport CO2e", "t/yr", lambda o: o.impact.per_year.transport_co2e_t),
        row("per year", "net CO2e", "t/yr", lambda o: o.impact.per_year.net_co2e_t),
        row("per year", "slag bricks", "bricks/yr", lambda o: o.impact.per_year.bricks_capped),
        row("per year", "station fixed cost", "CNY/yr", lambda o: o.station_fixed_per_year),
        row("per year", "annual cost (routing-validated)", "CNY/yr", lambda o: o.annual_cost),
        row("per year", "annual cost (location model, excl. carbon)", "CNY/yr", estimate),
        row("per year", "location model vs routing", "share", estimate_gap),
    ]
    for kpi in outcomes[0].impact.kpis if outcomes else []:
        if not kpi.key.startswith("utilisation:"):

            def value(o: Outcome, key: str = kpi.key) -> float | None:
                hit = [k.value for k in o.impact.kpis if k.key == key]
                return hit[0] if hit else None

            rows.append(row("shares of the day", kpi.label, "share", value))
    return sorted(rows, key=lambda r: SECTIONS.index(r.section))


def _decimals(unit: str) -> int:
    """Decimals a value of ``unit`` is shown and saved with."""
    if unit in ("count", "bricks/yr"):
        return 0
    return 4 if unit == "share" else 2


def _rounded(value: float, unit: str) -> float | int:
    places = _decimals(unit)
    return int(round(value)) if places == 0 else round(value, places)


def _cell(value: float | str | None, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if unit == "share":
        return f"{value:.1%}"
    return f"{value:,.0f}" if abs(value) >= 100 or unit == "count" else f"{value:,.1f}"


def _difference(value: float | str | None, base: float | str | None, unit: str) -> str:
    """``value - base`` with its sign; percentage points for shares; blank for text."""
    if isinstance(value, str) or isinstance(base, str) or unit == "ids":
        return ""
    if value is None or base is None:
        return "-"
    delta = value - base
    if unit == "share":
        text = f"{delta * 100:+.1f} pp"
    elif abs(delta) >= 100 or unit == "count":
        text = f"{delta:+,.0f}"
    else:
        text = f"{delta:+,.1f}"
    return "0" if float(text.removesuffix(" pp").replace(",", "")) == 0 else text


def _differences(row: Row) -> list[float | str | None]:
    """Each later scenario's value minus the first's, rounded as the row's unit is saved."""
    base = row.values[0]
    out: list[float | str | None] = []
    for value in row.values[1:]:
        if isinstance(value, str) or isinstance(base, str) or value is None or base is None:
            out.append(None)
        else:
            out.append(_rounded(value - base, row.unit))
    return out


def format_comparison(outcomes: Sequence[Outcome], rows: Sequence[Row]) -> str:
    """The table as aligned plain text, grouped by section, with each scenario's difference
    from the first (station id lists left out: see the CSV)."""
    names = [o.scenario.name for o in outcomes]
    header = ["", *names, *(f"{name} vs {names[0]}" for name in names[1:])]
    lines = [header]
    for section in SECTIONS:
        shown = [r for r in rows if r.section == section and r.unit != "ids"]
        if not shown:
            continue
        lines.append([f"{section}:", *([""] * (len(header) - 1))])
        for r in shown:
            diffs = [_difference(v, r.values[0], r.unit) for v in r.values[1:]]
            lines.append(
                [f"  {r.metric} ({r.unit})", *(_cell(v, r.unit) for v in r.values), *diffs]
            )
    return "\n".join(table(lines, "<" + ">" * (len(header) - 1), indent=""))


def comparison_verdict(outcomes: Sequence[Outcome]) -> str:
    """One line: which scenario costs least a year (routing-validated) and by how much
    against the first, and which leave waste the first does not (not like for like)."""
    if len(outcomes) < 2:
        return "verdict: one scenario only, nothing to compare"
    base = outcomes[0]
    best = min(outcomes, key=lambda o: o.annual_cost)
    if best is base:
        runner_up = min(outcomes[1:], key=lambda o: o.annual_cost)
        extra = runner_up.annual_cost - base.annual_cost
        text = (
            f"verdict: {base.scenario.name} stays the cheapest; the next, "
            f"{runner_up.scenario.name}, costs {extra:,.0f} CNY/yr more"
            f" ({extra / base.annual_cost:+.1%})"
            if round(extra) > 0
            else f"verdict: {runner_up.scenario.name} costs the same a year as {base.scenario.name}"
        )
    else:
        saving = base.annual_cost - best.annual_cost
        text = (
            f"verdict: {best.scenario.name} costs the least, {saving:,.0f} CNY/yr"
            f" ({saving / base.annual_cost:.1%}) below {base.scenario.name}"
        )

    def left(o: Outcome) -> float:
        return o.impact.per_day.unserved_t + o.impact.per_day.overflow_t

    worse = [o.scenario.name for o in outcomes[1:] if left(o) > left(base) + TONNE_TOL]
    if worse:
        text += (
            f"; but {', '.join(worse)} leave(s) more waste uncollected or unburnt than"
            f" {base.scenario.name}: not like for like"
        )
    return text + " (routing is a time-limited search: check close calls with other seeds)"


def comparison_csv(outcomes: Sequence[Outcome], rows: Sequence[Row]) -> str:
    """The table as CSV text with a UTF-8 BOM (for Excel): section, metric, unit, one column
    per scenario and one per difference from the first, rounded as each unit needs."""
    names = [o.scenario.name for o in outcomes]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv_cells.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["section", "metric", "unit", *names, *(f"{name} vs {names[0]}" for name in names[1:])]
    )
    for r in rows:
        values = [
            "" if v is None else v if isinstance(v, str) else _rounded(v, r.unit) for v in r.values
        ]
        diffs = ["" if d is None else d for d in _differences(r)]
        writer.writerow([r.section, r.metric, r.unit, *values, *diffs])
    return out.getvalue()


def scenario_dir(name: str, taken: set[str]) -> str:
    """A directory name for scenario ``name`` (letters, digits, Chinese, ``.-_`` kept; the
    rest become ``_``), made unique among ``taken``, which it joins."""
    base = re.sub(r"[^\w.-]+", "_", name).strip("._") or "scenario"
    candidate, k = base, 1
    while candidate in taken:
        k += 1
        candidate = f"{base}-{k}"
    taken.add(candidate)
    return candidate


COMPARISON_FILE = "comparison.csv"


def write_comparison(
    outcomes: Sequence[Outcome],
    rows: Sequence[Row],
    out_dir: str | Path,
    provider: MatrixProvider,
    language: Language = "zh",
) -> list[Path]:
    """Write the table as ``comparison.csv`` and each scenario's plan (plan.json,
    routes.geojson, dispatch sheets with headers in ``language``) to a directory of its own
    under ``out_dir``."""
    out = Path(out_dir)
    write_text_atomic(out / COMPARISON_FILE, comparison_csv(outcomes, rows))
    written = [out / COMPARISON_FILE]
    taken: set[str] = set()
    for o in outcomes:
        folder = out / scenario_dir(o.scenario.name, taken)
        written += write_outputs(o.instance, o.plan, folder, provider, language)
    return written
