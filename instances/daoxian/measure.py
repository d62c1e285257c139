"""Plan every Daoxian scenario once and print the planners' figures as a Markdown table.

Usage: ``python instances/daoxian/measure.py [--time-limit 60] [--graph graphs/daoxian.graphml]
[--save DIR]`` (one run per scenario; timings depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from wasteopt.impact import assess
from wasteopt.io import dump_json, load_instance, write_text_atomic
from wasteopt.planning import PlanOptions, plan_day, resolve_provider

HERE = Path(__file__).resolve().parent
SCENARIOS = ("instance.json", "phase2.json", "diesel.json", "electric.json")
COLUMNS = (
    "scenario", "provider", "first feasible s", "wall s", "cost CNY", "trucks", "vehicle-km",
    "diesel L", "LNG kg", "fleet kWh", "transport t CO2e", "net t CO2e", "to landfill t",
    "bricks/day (capped)", "harmless %", "recovery %", "plant use %",
)  # fmt: skip


def measure(path: Path, graph: Path | None, time_limit_s: float, save: Path | None) -> list[str]:
    """One scenario's row of the table; the plan is written to ``save/<name>.plan.json``."""
    instance = load_instance(path)
    provider = resolve_provider(instance, path.parent, graph)
    started = time.perf_counter()
    plan = plan_day(instance, provider, PlanOptions(time_limit_s=time_limit_s))
    wall = time.perf_counter() - started
    if save is not None:
        write_text_atomic(save / f"{instance.name}.plan.json", dump_json(plan))
    report = assess(instance, plan)
    day = report.per_day
    kpis = {k.key: k.value for k in report.kpis}
    plant = next(f for f in report.facilities if f.kind == "incinerator")
    first = plan.stats[0].first_feasible_s
    return [
        instance.name,
        "network" if graph else "great-circle",
        "-" if first is None else f"{first:.1f}",
        f"{wall:.0f}",
        f"{plan.cost:,.0f}",
        str(report.vehicles_used),
        f"{day.distance_km:,.0f}",
        f"{day.diesel_l:,.0f}",
        f"{day.lng_kg:,.0f}",
        f"{day.electricity_kwh:,.0f}",
        f"{day.transport_co2e_t:.2f}",
        f"{day.net_co2e_t:.1f}",
        f"{day.landfilled_t:.1f}",
        f"{day.bricks_potential:,.0f} ({day.bricks_capped:,.0f})",
        f"{100 * kpis['harmless_treatment_rate']:.1f}",
        f"{100 * kpis['resource_recovery_share']:.1f}",
        f"{100 * (plant.plan_t + plant.external_t) / plant.capacity_t:.1f}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--graph", type=Path, default=None)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    parser.add_argument("--save", type=Path, default=None, help="directory for the plans")
    args = parser.parse_args()
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for name in args.scenario or SCENARIOS:
        print(
            "| " + " | ".join(measure(HERE / name, args.graph, args.time_limit, args.save)) + " |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
