"""``wasteopt plan --workers N``: the best of N searches with consecutive seeds, the same plan
as the best of those searches run one by one (a solution limit makes each seed one plan)."""

from __future__ import annotations

import subprocess
import sys

from wasteopt.io import load_instance, load_plan
from wasteopt.planning import PlanOptions, plan_day

LIMITS = ("--time-limit", "120", "--solution-limit", "1")


def wasteopt(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wasteopt", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_two_workers_return_the_better_of_seeds_three_and_four(tmp_path, example_path):
    example = load_instance(example_path)
    one_by_one = [
        plan_day(example, options=PlanOptions(time_limit_s=120, solution_limit=1, seed=seed))
        for seed in (3, 4)
    ]
    objectives = [p.stats[0].objective for p in one_by_one]
    assert objectives[0] != objectives[1]  # the seeds differ, so the test can tell
    done = wasteopt("plan", example_path, *LIMITS, "--seed", 3, "--workers", 2, "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "checked: no violations" in done.stdout
    plan = load_plan(tmp_path / "plan.json")
    assert plan.stats[0].objective == min(objectives)
    best = one_by_one[objectives.index(min(objectives))]
    assert [r.stops for r in plan.routes if r.tier == "collection"] == [
        r.stops for r in best.routes if r.tier == "collection"
    ]
