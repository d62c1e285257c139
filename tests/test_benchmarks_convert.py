"""Published VRPLIB instances become wasteopt instances that keep their meaning and their costs.

The best-known routes of each set, driven as a wasteopt plan, must pass the independent
checker at the published cost; the same routes bent out of shape (overloaded, out of their
windows, two trips where one is allowed) must not. The runner's CSV has its documented columns.
"""

from __future__ import annotations

import csv
import math

import pytest
import vrplib

from benchmarks.convert import INSTANCES_DIR, SUITE_DIRS, read_problem, to_wasteopt
from benchmarks.routes import plan_from_routes
from wasteopt.check import check_plan

CASES = [
    ("cvrp", "X-n101-k25", 1),
    ("mtvrptw", "C201R0.5", 1),
    ("hfvrp", "X110-HD", 100_000),
    ("hfvrp", "X115-HVRP", 100_000),
    ("mdvrptw", "PR11A", 1),
]


def _load(suite: str, name: str):
    problem = read_problem(suite, INSTANCES_DIR / SUITE_DIRS[suite] / f"{name}.vrp")
    return problem, to_wasteopt(problem)


def _kinds(conv, plan) -> set[str]:
    return {v.kind for v in check_plan(conv.instance, plan, conv.matrices)}


@pytest.mark.parametrize(("suite", "name", "factor"), CASES)
def test_best_known_routes_pass_the_checker_at_the_published_cost(suite, name, factor):
    problem, conv = _load(suite, name)
    # HFVRP papers round to 0.01 of their unit: 1000 units here.
    assert problem.bks == pytest.approx(problem.published_cost * factor, abs=factor / 100)
    plan = plan_from_routes(conv, problem.bks_routes)
    assert check_plan(conv.instance, plan, conv.matrices) == []
    assert plan.cost == pytest.approx(problem.bks, rel=1e-12)
    served = sorted(s.site_id for r in plan.routes for s in r.stops if s.action == "collect")
    assert served == sorted(p.id for p in conv.instance.points)


def test_two_cvrp_routes_in_one_trip_overload_the_truck():
    problem, conv = _load("cvrp", "X-n101-k25")
    (g, [first]), (_, [second]), *rest = problem.bks_routes
    plan = plan_from_routes(conv, [(g, [first + second]), *rest])
    assert "payload" in _kinds(conv, plan)


def test_multi_trip_routes_keep_their_reloads_and_windows():
    problem, conv = _load("mtvrptw", "C201R0.5")
    assert any(len(trips) > 1 for _, trips in problem.bks_routes)
    plan = plan_from_routes(conv, problem.bks_routes)
    assert max(r.trips for r in plan.routes) == max(len(t) for _, t in problem.bks_routes)
    reversed_routes = [(g, [list(reversed(t)) for t in trips]) for g, trips in problem.bks_routes]
    assert "window" in _kinds(conv, plan_from_routes(conv, reversed_routes))


def test_mtvrptw_windows_are_widened_by_less_than_a_minute():
    problem, _ = _load("mtvrptw", "C2_2_01R0.5")
    raw = vrplib.read_instance(INSTANCES_DIR / "MTVRPTWR" / "C2_2_01R0.5.vrp")
    step = int(problem.duration_s[0, 1] * 10 // problem.distance[0, 1])
    published = raw["time_window"] * step
    assert (problem.windows_s[:, 0] <= published[:, 0]).all()
    assert (problem.windows_s[:, 1] >= published[:, 1]).all()
    assert abs(problem.windows_s - published).max() < 60
    assert (problem.windows_s % 60 == 0).all()


@pytest.mark.parametrize(("suite", "name"), [("hfvrp", "X110-HD"), ("mdvrptw", "PR11A")])
def test_one_trip_sets_refuse_a_second_trip(suite, name):
    problem, conv = _load(suite, name)
    (g, [first]), (_, [second]), *rest = problem.bks_routes
    plan = plan_from_routes(conv, [(g, [first, second]), *rest])
    assert "gate" in _kinds(conv, plan)


def test_limited_fleet_is_kept_and_unlimited_fleet_is_bounded():
    limited, _ = _load("hfvrp", "X110-HD")
    assert sum(g.count for g in limited.groups) == 13  # VEHICLES: 13 in the file
    unlimited, conv = _load("hfvrp", "X101-FSMFD")
    demand = int(unlimited.demand.sum())
    for group, vtype in zip(unlimited.groups, conv.instance.vehicle_types, strict=True):
        assert group.count * group.capacity >= 2 * demand - group.capacity
        assert vtype.count == group.count


def test_runner_writes_the_documented_columns(tmp_path):
    from benchmarks.published import COLUMNS, run, select, suite_files
    from wasteopt.planning import PlanOptions

    out = tmp_path / "rows.csv"
    files = select(suite_files("cvrp"), "X-n101-k25")
    options = PlanOptions(time_limit_s=1.0)
    run("cvrp", files, options, "pyvrp", out, echo=lambda _: None, clock="cpu")
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == COLUMNS
    row = rows[0]
    assert (row["suite"], row["instance"], row["n"], row["bks"]) == (
        "cvrp",
        "X-n101-k25",
        "100",
        "27591",
    )
    assert row["checker_ok"] == "True" and row["peer_checker_ok"] == "True"
    assert row["clock"] == "cpu"
    # X-n101-k25's best-known cost is proven optimal: no checked plan can beat it.
    assert float(row["cost"]) >= 27591 and float(row["peer_cost"]) >= 27591
    assert float(row["gap_pct"]) == pytest.approx(100 * (float(row["cost"]) / 27591 - 1), abs=1e-3)


def test_cpu_clock_replaces_perf_counter_only_within_the_block():
    import time

    from benchmarks.clock import solver_clock

    wall = time.perf_counter
    with solver_clock("cpu"):
        assert time.perf_counter is time.process_time
    assert time.perf_counter is wall
    with solver_clock("wall"):
        assert time.perf_counter is wall
    with pytest.raises(ValueError, match="clock is one of wall, cpu"), solver_clock("gpu"):
        pass


def test_the_by_seed_table_has_each_seeds_gap_their_mean_and_the_peers():
    from benchmarks.tables import render_by_seed

    rows = [
        {"suite": "cvrp", "instance": "A", "seed": "0", "gap_pct": "1.0", "peer_gap_pct": "2.0"},
        {"suite": "cvrp", "instance": "A", "seed": "1", "gap_pct": "3.0", "peer_gap_pct": "9.0"},
        {"suite": "cvrp", "instance": "B", "seed": "0", "gap_pct": "0.0", "peer_gap_pct": "0.0"},
    ]
    lines = render_by_seed(rows).splitlines()
    assert "| A | 1.00 | 3.00 | 2.00 | 2.00 |" in lines
    assert "| B | 0.00 | – | 0.00 | 0.00 |" in lines
    # geometric means of 1 % and 0 % for seed 0; seed 1 has one instance
    seed0 = 100 * (math.sqrt(1.01 * 1.00) - 1)
    assert lines[-1].startswith(f"| **geometric mean** | **{seed0:.2f}** | **3.00** |")
