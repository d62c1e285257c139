"""Iterations per second of the default search on one tier.

    python -m benchmarks.bench_iterations X-n502-k39 10     # a CVRP instance, 10 s
    python -m benchmarks.bench_iterations 1000 10           # a generated 1,000-point day

Prints the compiled search's and ruin and recreate's iterations (the tier's returned
statistics), the rate, the time to the first feasible plan and the objective.
"""

from __future__ import annotations

import sys
import time

from benchmarks.convert import read_problem, suite_files, to_wasteopt
from benchmarks.generate import generate
from benchmarks.published import select
from wasteopt.planning import _collection_problem, resolve_provider
from wasteopt.routing import SearchOptions, solve_tier


def main(argv: list[str]) -> int:
    which, seconds = argv[0], float(argv[1])
    if which.isdigit():
        instance = generate(int(which), 1)
        matrices = resolve_provider(instance).matrices(instance.sites)
    else:
        converted = to_wasteopt(read_problem("cvrp", select(suite_files("cvrp"), which)[0]))
        instance, matrices = converted.instance, converted.matrices
    started = time.perf_counter()
    solution = solve_tier(
        _collection_problem(instance), matrices, SearchOptions(time_limit_s=seconds)
    )
    elapsed = time.perf_counter() - started
    search = solution.search
    total = search.compiled_iterations + search.iterations
    print(
        f"{which}: {total} iterations ({search.compiled_iterations} compiled,"
        f" {search.iterations} ruin and recreate) in {elapsed:.1f} s = {total / elapsed:.0f}/s;"
        f" first feasible {solution.stats.first_feasible_s} s;"
        f" objective {solution.stats.objective:,.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
