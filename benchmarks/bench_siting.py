"""Siting benchmark on Daoxian: solve time and proven gap with 10, 20 and 30 new candidate sites,
then the recommended configuration against today's, validated by routing.

The 12 existing stations of ``instances/daoxian/instance.json`` may stay or close; the new
candidates are the instance's 5 plus sites generated at k-means centres of the residual
collection points (each moved to its nearest point, so it lies on the road network), with the
instance's candidate capacity (40 t/day) and annual fixed cost (1.2 M CNY/yr; both
*assumptions*, see ``instances/daoxian/SOURCES.md``). Distances come from
``graphs/daoxian.graphml``.

Run ``python -m benchmarks.bench_siting [--runs 3] [--time-limit 60] [--route-time 60]
[--route-runs 3]``; it prints Markdown tables (medians over seeds) for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np
from scipy.cluster.vq import kmeans2

from wasteopt.io import load_instance
from wasteopt.matrix import MatrixProvider
from wasteopt.model import Facility, Instance
from wasteopt.network import load_provider
from wasteopt.planning import PlanOptions
from wasteopt.scenario import compare_scenarios, comparison_rows, scenario_from_siting
from wasteopt.siting import (
    SitingOptions,
    SitingResult,
    choose_stations,
    estimate_today,
    with_candidates,
)

ROOT = Path(__file__).resolve().parents[1]
INSTANCE = ROOT / "instances" / "daoxian" / "instance.json"
GRAPH = ROOT / "graphs" / "daoxian.graphml"
SIZES = (10, 20, 30)


def candidate_instance(instance: Instance, n_new: int, seed: int = 1) -> Instance:
    """Daoxian with ``n_new`` candidate sites: the instance's own, then k-means centres."""
    own = [f for f in instance.facilities if f.status == "candidate"]
    extra = n_new - len(own)
    if extra <= 0:
        return instance
    residual = [p for p in instance.points if p.stream == "residual"]
    xy = np.array([[p.lon, p.lat] for p in residual])
    centres, _ = kmeans2(xy, extra, seed=seed, minit="++")
    template = own[0]
    added = []
    for k, centre in enumerate(centres):
        near = residual[int(np.argmin(((xy - centre) ** 2).sum(axis=1)))]
        added.append(
            Facility(
                id=f"ts-gen-{k + 1:02d}",
                name=f"候选站{k + 1:02d}（{near.township or near.id}）",
                lon=near.lon,
                lat=near.lat,
                kind="transfer_station",
                streams=template.streams,
                capacity_t_per_day=template.capacity_t_per_day,
                gate=template.gate,
                unload_min=template.unload_min,
                cost_per_t=template.cost_per_t,
                status="candidate",
                annual_fixed_cost=template.annual_fixed_cost,
            )
        )
    return with_candidates(instance, added)


def solve_table(
    instance: Instance, provider: MatrixProvider, runs: int, time_limit: float
) -> tuple[Instance, SitingResult]:
    """Print solve time and gap per candidate count; return the largest size's best answer."""
    print(
        "| new candidates | stations in model | gap limit | solve s (median)"
        " | proven gap (median) | open | est. CNY/yr |"
    )
    print("|---|---|---|---|---|---|---|")
    best: tuple[Instance, SitingResult] | None = None
    for size in SIZES:
        inst = candidate_instance(instance, size)
        n_st = sum(f.kind == "transfer_station" for f in inst.facilities)
        for gap_limit in (1e-3, 0.0):
            options = [
                SitingOptions(time_limit_s=time_limit, gap_limit=gap_limit, seed=seed)
                for seed in range(runs)
            ]
            results = [choose_stations(inst, provider, o) for o in options]
            seconds = statistics.median(r.seconds for r in results)
            gap = statistics.median(r.gap for r in results)
            top = min(results, key=lambda r: r.cost.total)
            print(
                f"| {size} | {n_st} | {gap_limit:g} | {seconds:.1f} | {gap:.3%} |"
                f" {len(top.open_stations)} | {top.cost.total:,.0f} |"
            )
            if size == SIZES[-1] and gap_limit == 0.0:
                best = (inst, top)
    assert best is not None
    return best


def validate_by_routing(
    inst: Instance, chosen: SitingResult, provider: MatrixProvider, route_time: float, runs: int
) -> None:
    """Route today and the recommended configuration with ``runs`` seeds; print the table of
    the first seed and the median (min-max) annual costs over all seeds."""
    today = estimate_today(inst, provider, SitingOptions(time_limit_s=60))
    scenarios = [
        scenario_from_siting(inst, today, "today", ()),
        scenario_from_siting(inst, chosen, "recommended", ()),
    ]
    annual: dict[str, list[float]] = {s.name: [] for s in scenarios}
    for seed in range(runs):
        options = PlanOptions(time_limit_s=route_time, seed=seed)
        outcomes = compare_scenarios(inst, scenarios, provider, options)
        for o in outcomes:
            annual[o.scenario.name].append(o.annual_cost)
        if seed == 0:
            print()
            print("| metric | unit | today | recommended |")
            print("|---|---|---|---|")
            for row in comparison_rows(outcomes):
                cells = [f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row.values]
                print(f"| {row.metric} | {row.unit} | {' | '.join(cells)} |")
    print()
    print(
        f"| scenario | model estimate CNY/yr | routed CNY/yr, median of {runs} seeds (min-max)"
        " | model vs routing |"
    )
    print("|---|---|---|---|")
    for s in scenarios:
        costs = annual[s.name]
        median = statistics.median(costs)
        estimate = s.estimate.total - s.estimate.carbon
        print(
            f"| {s.name} | {estimate:,.0f} | {median:,.0f} ({min(costs):,.0f}-{max(costs):,.0f})"
            f" | {(estimate - median) / median:+.1%} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--route-time", type=float, default=60.0)
    parser.add_argument("--route-runs", type=int, default=3)
    args = parser.parse_args()
    instance = load_instance(INSTANCE)
    provider = load_provider(GRAPH)
    inst, chosen = solve_table(instance, provider, args.runs, args.time_limit)
    validate_by_routing(inst, chosen, provider, args.route_time, args.route_runs)


if __name__ == "__main__":
    main()
