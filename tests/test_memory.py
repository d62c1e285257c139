"""Planning many times in one process keeps its memory: each solve releases its models."""

from __future__ import annotations

import gc
import os

from wasteopt.planning import PlanOptions, plan_day_full

PLANS = 25  # a leak of the size once seen (~9 MB a plan) shows as +200 MB here


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def test_memory_stays_flat_over_many_plans(example):
    """Resident memory after 25 more plans stays within 10 % of that after the first."""
    options = PlanOptions(time_limit_s=30, solution_limit=5)
    plan_day_full(example, options=options)
    gc.collect()
    first = _rss_mb()
    for seed in range(PLANS):
        plan_day_full(example, options=PlanOptions(time_limit_s=30, seed=seed, solution_limit=5))
    gc.collect()
    assert _rss_mb() <= 1.10 * first
