"""What a plan means for the county's carbon office: energy, CO2e, power, bricks and targets.

``assess(instance, plan)`` integrates each route's energy leg by leg from the load carried on
that leg, converts it to CO2e, follows the tonnes into the incinerator, the kitchen-waste centre
and the landfill, and checks the county plan's 2025 targets. Every factor is a named constant in
:mod:`wasteopt.factors` with its source. Figures are per plan day; ``per_year`` is x365.
What is not counted is listed in :data:`NOT_COUNTED` and printed with every report.
"""

from __future__ import annotations

import io
from collections import defaultdict

from wasteopt import csv_cells
from wasteopt import factors as F
from wasteopt._text import display_width, pad
from wasteopt.charging import charging_figures, format_charging
from wasteopt.errors import WasteoptError
from wasteopt.model import (
    FacilityIntake,
    Figures,
    GridFactor,
    ImpactReport,
    Instance,
    Kpi,
    Plan,
    Route,
    RouteEnergy,
    VehicleType,
    titled_name,
)
from wasteopt.summary import facility_intake
from wasteopt.units import KG_PER_TONNE, ROUNDING_TOL, kg_to_tonnes

NATIONAL_GRID = GridFactor(kg_co2_per_kwh=F.GRID_KG_CO2_PER_KWH, source=F.GRID_SOURCE)
NOT_COUNTED = (
    "the kitchen-waste centre's process emissions and digestate",
    "fly-ash treatment; sorting residue (sent for incineration outside the plan)",
    "the building of plants and vehicles",
)


UNITS: dict[str, str] = {
    "distance_km": "km",
    "tonne_km": "t·km",
    "diesel_l": "L",
    "lng_kg": "kg",
    "electricity_kwh": "kWh",
    "wte_electricity_kwh": "kWh",
    "biogas_electricity_kwh": "kWh",
    "bricks_potential": "bricks",
    "bricks_capped": "bricks",
}
LABELS: dict[str, str] = {
    "distance_km": "vehicle distance",
    "tonne_km": "tonne-km carried",
    "diesel_l": "diesel",
    "lng_kg": "LNG",
    "electricity_kwh": "fleet electricity (grid)",
    "transport_co2e_t": "transport CO2e",
    "generated_t": "waste generated (all points)",
    "collected_t": "waste collected",
    "unserved_t": "waste left uncollected",
    "incinerated_t": "incinerated (plan's deliveries)",
    "kitchen_treated_t": "kitchen waste treated",
    "sorted_t": "recyclables received for sorting",
    "recycled_t": "recyclables recycled",
    "landfilled_t": "landfilled (emergency outlet)",
    "backlog_t": "left at transfer stations",
    "overflow_t": "residual not incinerated",
    "wte_electricity_kwh": "incinerator electricity exported",
    "biogas_electricity_kwh": "biogas electricity exported",
    "avoided_grid_co2_t": "avoided grid CO2",
    "incineration_fossil_co2_t": "incineration fossil CO2",
    "incineration_n2o_co2e_t": "incineration N2O",
    "incineration_ch4_co2e_t": "incineration CH4",
    "landfill_ch4_co2e_t": "landfill methane (lifetime)",
    "net_co2e_t": "net CO2e (transport + incineration + landfill - avoided)",
    "bottom_ash_t": "bottom ash",
    "bricks_potential": "slag bricks (from this ash)",
    "bricks_capped": "slag bricks (line capacity share)",
    "grease_t": "grease recovered",
}


def unit_of(field: str) -> str:
    """Display unit of a :class:`Figures` field."""
    return UNITS.get(field, "t CO2e" if "co2" in field else "t")


def route_energy(route: Route, vehicle: VehicleType) -> tuple[float, float]:
    """Energy (vehicle's unit) and tonne-km of a route, integrated leg by leg.

    Each leg uses the load on board when it starts: per 100 km,
    ``empty + (full - empty) * load / payload``; every collect, unload and pickup stop adds
    ``per_stop`` (:meth:`VehicleType.leg_energy`, :meth:`VehicleType.stop_energy`). Break and
    charge stops carry no distance.
    """
    energy = tonne_km = 0.0
    load = 0.0
    for stop in route.stops:
        if stop.action == "break":
            continue
        energy += vehicle.leg_energy(stop.distance_from_prev_km, load)
        energy += vehicle.stop_energy(stop.action)
        tonne_km += stop.distance_from_prev_km * load
        load = stop.load_after_t
    return energy, tonne_km


def _vehicle(instance: Instance, route: Route) -> VehicleType:
    try:
        return instance.vehicle_type(route.vehicle_type)
    except KeyError:
        raise WasteoptError(
            f"route of {route.vehicle_id}: vehicle type {route.vehicle_type!r} is not in instance"
            f" {instance.name!r}; assess the plan against the instance it was made for"
        ) from None


def kg_co2e_per_unit(energy_type: str, grid: GridFactor) -> float:
    """kg CO2e per litre of diesel, kg of LNG, or kWh drawn from ``grid``."""
    if energy_type == "electric":
        return grid.kg_co2_per_kwh
    return F.KG_CO2E_PER_UNIT[energy_type]


def _routes(instance: Instance, plan: Plan, grid: GridFactor) -> list[RouteEnergy]:
    result = []
    for route in plan.routes:
        vehicle = _vehicle(instance, route)
        energy, tonne_km = route_energy(route, vehicle)
        result.append(
            RouteEnergy(
                vehicle_id=route.vehicle_id,
                vehicle_type=route.vehicle_type,
                tier=route.tier,
                stream=route.stream,
                energy_type=vehicle.energy.type,
                unit=vehicle.energy.unit,
                distance_km=route.distance_km,
                tonne_km=tonne_km,
                energy=energy,
                co2e_kg=energy * kg_co2e_per_unit(vehicle.energy.type, grid),
            )
        )
    return result


def _intakes(instance: Instance, plan: Plan) -> list[FacilityIntake]:
    delivered = facility_intake(plan)
    result = []
    for facility in instance.facilities:
        if facility.kind == "transfer_station":
            continue
        plan_t = delivered.get(facility.id, 0.0)
        intake = plan_t + facility.external_inflow_t_per_day
        result.append(
            FacilityIntake(
                facility_id=facility.id,
                name=facility.name,
                kind=facility.kind,
                plan_t=plan_t,
                external_t=facility.external_inflow_t_per_day,
                capacity_t=facility.capacity_t_per_day,
                utilisation=intake / facility.capacity_t_per_day,
            )
        )
    return result


def _kind_total(intakes: list[FacilityIntake], kind: str, field: str = "plan_t") -> float:
    return sum(getattr(i, field) for i in intakes if i.kind == kind)


def _daily(
    instance: Instance,
    plan: Plan,
    routes: list[RouteEnergy],
    intakes: list[FacilityIntake],
    grid: GridFactor,
) -> Figures:
    by_type = defaultdict(float)
    for r in routes:
        by_type[r.energy_type] += r.energy
    generated = sum(p.tonnes_per_day for p in instance.points)
    streams = {p.id: p.stream for p in instance.points}
    unserved = sum(u.tonnes for u in plan.unserved)
    unserved_residual = sum(
        u.tonnes for u in plan.unserved if streams.get(u.point_id) == "residual"
    )
    collected = sum(s.tonnes for r in plan.routes for s in r.stops if s.action == "collect")
    incinerated = _kind_total(intakes, "incinerator")
    kitchen = _kind_total(intakes, "kitchen_centre")
    landfilled = _kind_total(intakes, "landfill")
    backlog = sum(b.tonnes for b in plan.backlog)
    wte_kwh = incinerated * F.WTE_EXPORT_KWH_PER_T
    biogas_kwh = kitchen * F.BIOGAS_EXPORT_KWH_PER_T
    avoided = kg_to_tonnes((wte_kwh + biogas_kwh) * grid.kg_co2_per_kwh)
    composition = residual_composition(instance)
    fossil = incinerated * F.fossil_co2_t_per_t(composition)
    n2o = incinerated * F.INCINERATION_N2O_CO2E_T_PER_T
    ch4 = incinerated * F.INCINERATION_CH4_CO2E_T_PER_T
    sorted_t = _kind_total(intakes, "sorting_centre")
    methane = landfilled * F.landfill_ch4_t_per_t(composition) * F.GWP_CH4
    transport = kg_to_tonnes(sum(r.co2e_kg for r in routes))
    ash = incinerated * F.BOTTOM_ASH_FRACTION
    bricks = ash * KG_PER_TONNE / F.ASH_PER_BRICK_KG
    plant_ash = (incinerated + _kind_total(intakes, "incinerator", "external_t")) * (
        F.BOTTOM_ASH_FRACTION
    )
    line_bricks = plant_ash * KG_PER_TONNE / F.ASH_PER_BRICK_KG
    line_cap = F.BRICK_LINE_BRICKS_PER_YEAR / F.DAYS_PER_YEAR
    capped = bricks * min(1.0, line_cap / line_bricks) if line_bricks > 0 else 0.0
    return Figures(
        distance_km=sum(r.distance_km for r in routes),
        tonne_km=sum(r.tonne_km for r in routes),
        diesel_l=by_type["diesel"],
        lng_kg=by_type["lng"],
        electricity_kwh=by_type["electric"],
        transport_co2e_t=transport,
        generated_t=generated,
        collected_t=collected,
        unserved_t=unserved,
        incinerated_t=incinerated,
        kitchen_treated_t=kitchen,
        landfilled_t=landfilled,
        backlog_t=backlog,
        overflow_t=landfilled + backlog + unserved_residual,
        wte_electricity_kwh=wte_kwh,
        biogas_electricity_kwh=biogas_kwh,
        avoided_grid_co2_t=avoided,
        incineration_fossil_co2_t=fossil,
        incineration_n2o_co2e_t=n2o,
        incineration_ch4_co2e_t=ch4,
        landfill_ch4_co2e_t=methane,
        net_co2e_t=transport + fossil + n2o + ch4 + methane - avoided,
        bottom_ash_t=ash,
        bricks_potential=bricks,
        bricks_capped=capped,
        grease_t=kitchen * F.GREASE_RECOVERY_SHARE,
        sorted_t=sorted_t,
        recycled_t=sorted_t * F.SORTING_RECOVERY_SHARE,
    )


def _kpis(day: Figures, intakes: list[FacilityIntake]) -> list[Kpi]:
    generated = day.generated_t or 1.0
    treated = day.incinerated_t + day.kitchen_treated_t + day.landfilled_t + day.sorted_t
    harmless = treated / generated
    recovered = (day.incinerated_t + day.kitchen_treated_t + day.recycled_t) / generated
    kpis = [
        Kpi(
            key="harmless_treatment_rate",
            label="harmless-treatment rate",
            value=harmless,
            target=F.HARMLESS_TREATMENT_TARGET,
            comparison=">=",
            met=harmless >= F.HARMLESS_TREATMENT_TARGET - ROUNDING_TOL,
            source="seed (六)4",
        ),
        Kpi(
            key="resource_recovery_share",
            label="resource-recovery share",
            value=recovered,
            target=F.RESOURCE_RECOVERY_TARGET,
            comparison=">=",
            met=recovered >= F.RESOURCE_RECOVERY_TARGET - ROUNDING_TOL,
            source="seed (六)4; incineration with power, kitchen waste and recyclables recycled",
        ),
    ]
    for intake in intakes:
        kpis.append(
            Kpi(
                key=f"utilisation:{intake.facility_id}",
                label=f"{intake.facility_id} utilisation (incl. outside inflow)",
                value=intake.utilisation,
                target=1.0,
                comparison="<=",
                met=intake.utilisation <= 1.0 + ROUNDING_TOL,
            )
        )
    line_share = day.bricks_capped / (F.BRICK_LINE_BRICKS_PER_YEAR / F.DAYS_PER_YEAR)
    kpis.append(
        Kpi(
            key="brick_line_share",
            label="brick line share from this plan's ash",
            value=line_share,
            source="seed 专栏12",
        )
    )
    return kpis


def plant_shortfall_t(instance: Instance) -> float:
    """Residual tonnes of the day beyond the incinerators' free capacity (after outside inflow)."""
    residual = sum(p.tonnes_per_day for p in instance.points if p.stream == "residual")
    free = sum(f.free_capacity_t for f in instance.open_facilities() if f.kind == "incinerator")
    return max(0.0, residual - free)


FACTORS: dict[str, float] = {
    "diesel_kg_co2e_per_l": F.DIESEL_KG_CO2E_PER_L,
    "lng_kg_co2e_per_kg": F.LNG_KG_CO2E_PER_KG,
    "grid_kg_co2_per_kwh": F.GRID_KG_CO2_PER_KWH,
    "wte_export_kwh_per_t": F.WTE_EXPORT_KWH_PER_T,
    "incineration_fossil_co2_t_per_t": F.INCINERATION_FOSSIL_CO2_T_PER_T,
    "incineration_n2o_kg_per_t": F.INCINERATION_N2O_KG_PER_T,
    "incineration_ch4_kg_per_t": F.INCINERATION_CH4_KG_PER_T,
    "sorting_recovery_share": F.SORTING_RECOVERY_SHARE,
    "landfill_co2e_t_per_t": F.LANDFILL_CO2E_T_PER_T,
    "bottom_ash_fraction": F.BOTTOM_ASH_FRACTION,
    "ash_per_brick_kg": F.ASH_PER_BRICK_KG,
    "brick_mass_kg": F.BRICK_MASS_KG,
    "brick_line_bricks_per_year": F.BRICK_LINE_BRICKS_PER_YEAR,
    "biogas_export_kwh_per_t": F.BIOGAS_EXPORT_KWH_PER_T,
    "grease_recovery_share": F.GREASE_RECOVERY_SHARE,
}


def residual_composition(instance: Instance) -> dict[str, tuple[float, float, float, float]]:
    """The residual waste's composition (WF, dm, CF, FCF per material) once households have
    sorted out ``settings.residual_sorted_out``: the fossil CO2 and landfill methane per tonne
    follow it."""
    return F.sorted_composition(instance.settings.residual_sorted_out)


def plan_grid(plan: Plan) -> GridFactor:
    """The grid factor a plan was made with (its provenance), else the national average."""
    return plan.provenance.grid if plan.provenance is not None else NATIONAL_GRID


def _composition_factors(instance: Instance) -> dict[str, float]:
    composition = residual_composition(instance)
    return {
        "incineration_fossil_co2_t_per_t": F.fossil_co2_t_per_t(composition),
        "landfill_co2e_t_per_t": F.landfill_ch4_t_per_t(composition) * F.GWP_CH4,
    }


def assess(instance: Instance, plan: Plan, grid: GridFactor | None = None) -> ImpactReport:
    """The impact of ``plan`` on ``instance``'s county: energy, CO2e, power, bricks, KPIs.

    Parameters
    ----------
    instance
        The instance the plan was made for (vehicle types, facilities, points).
    plan
        A plan that passed the checker.
    grid
        The grid emission factor for charging and avoided generation; default: the plan's own
        (:func:`plan_grid`).

    Returns
    -------
    ImpactReport
        JSON-able (``model_dump(mode="json")``); per-day figures and the same x365.
    """
    if plan.instance_name != instance.name:
        raise WasteoptError(
            f"plan was made for instance {plan.instance_name!r}, not {instance.name!r};"
            " pass the instance it was made for"
        )
    grid = grid or plan_grid(plan)
    routes = _routes(instance, plan, grid)
    intakes = _intakes(instance, plan)
    day = _daily(instance, plan, routes, intakes, grid)
    return ImpactReport(
        instance_name=instance.name,
        instance_title=instance.title,
        days_per_year=F.DAYS_PER_YEAR,
        vehicles_used=len(plan.routes),
        trips=sum(r.trips for r in plan.routes),
        routes=routes,
        facilities=intakes,
        per_day=day,
        per_year=day.scaled(F.DAYS_PER_YEAR),
        plant_shortfall_t=plant_shortfall_t(instance),
        kpis=_kpis(day, intakes),
        factors={
            **FACTORS,
            **_composition_factors(instance),
            "grid_kg_co2_per_kwh": grid.kg_co2_per_kwh,
        },
        grid=grid,
        caveats=plan.caveats,
        not_counted=list(NOT_COUNTED),
        charging=charging_figures(instance, plan),
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def format_impact(report: ImpactReport, caveats: bool = True) -> str:
    """The impact block as plain text for a terminal (per day, and per year = x365), with
    what the plan assumes or approximates unless ``caveats`` is False (the summary has it)."""
    lines = [
        f"Impact of the plan for {titled_name(report.instance_name, report.instance_title)}"
        f" (per day; per year = day x {report.days_per_year})",
        f"  vehicles used {report.vehicles_used}, unload trips {report.trips}",
    ]
    width = max(len(label) for label in LABELS.values())
    year = report.per_year.model_dump()
    for field, value in report.per_day.model_dump().items():
        unit = unit_of(field)
        lines.append(
            f"  {LABELS[field]:<{width}}  {_number(value):>12} {unit:<6}/day"
            f"  {_number(year[field]):>14} {unit}/yr"
        )
    if report.plant_shortfall_t > 0:
        lines.append(
            f"  incinerator shortfall: {report.plant_shortfall_t:,.1f} t/day of residual waste"
            " exceed the plant's free capacity (capacity - outside inflow)"
        )
    if report.charging is not None:
        lines += format_charging(report.charging)
    lines.append("Targets and utilisation")
    width = max(display_width(kpi.label) for kpi in report.kpis)
    for kpi in report.kpis:
        target = ""
        if kpi.target is not None:
            verdict = "met" if kpi.met else "NOT met"
            target = f"  target {kpi.comparison} {kpi.target:.0%}: {verdict}"
        lines.append(f"  {pad(kpi.label, width)} {kpi.value:7.1%}{target}")
    lines.append(f"  grid factor {report.grid.kg_co2_per_kwh:g} kg CO2/kWh: {report.grid.source}")
    lines.append("  not counted:")
    lines += [f"    - {item}" for item in report.not_counted]
    if report.caveats and caveats:
        lines.append("  assumed or approximate:")
        lines += [f"    - {caveat}" for caveat in report.caveats]
    return "\n".join(lines)


CSV_COLUMNS = ("section", "item", "metric", "unit", "per_day", "per_year", "target", "met")


def _csv_rows(report: ImpactReport) -> list[list]:
    days = report.days_per_year
    year = report.per_year.model_dump()
    rows: list[list] = [
        ["total", report.instance_name, field, unit_of(field), value, year[field], "", ""]
        for field, value in report.per_day.model_dump().items()
    ]
    shortfall = report.plant_shortfall_t
    rows.append(["total", report.instance_name, "plant_shortfall_t", "t", shortfall,
                 shortfall * days, "", ""])  # fmt: skip
    for kpi in report.kpis:
        met = "" if kpi.met is None else ("yes" if kpi.met else "no")
        target = "" if kpi.target is None else f"{kpi.comparison}{kpi.target}"
        rows.append(["kpi", kpi.key, kpi.label, "share", kpi.value, kpi.value, target, met])
    for f in report.facilities:
        for metric, value in (("plan_t", f.plan_t), ("external_t", f.external_t)):
            rows.append(["facility", f.facility_id, metric, "t", value, value * days, "", ""])
    for r in report.routes:
        for metric, unit, value in (
            ("distance", "km", r.distance_km),
            ("energy", r.unit, r.energy),
            ("co2e", "kg CO2e", r.co2e_kg),
        ):
            rows.append(["route", r.vehicle_id, metric, unit, value, value * days, "", ""])
    grid = report.grid.kg_co2_per_kwh
    rows.append(["factor", report.grid.source, "grid_kg_co2_per_kwh", "kg CO2/kWh", grid, grid,
                 "", ""])  # fmt: skip
    rows += [["not counted", item, "", "", "", "", "", ""] for item in report.not_counted]
    rows += [["approximate", caveat, "", "", "", "", "", ""] for caveat in report.caveats]
    return rows


def impact_csv(report: ImpactReport) -> str:
    """The report as CSV text, floats rounded to 6 decimals (write it UTF-8 with BOM for Excel)."""
    out = io.StringIO()
    writer = csv_cells.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in _csv_rows(report):
        writer.writerow([round(v, 6) if isinstance(v, float) else v for v in row])
    return out.getvalue()
