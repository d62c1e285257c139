"""Candidate search settings for the routing core, measured from outside it.

The core (``wasteopt/routing``) takes OR-Tools' default search parameters and sets the first
solution, metaheuristic and time limit. To measure a candidate change before it is proposed for
the core, :func:`applied` wraps ``pywrapcp.DefaultRoutingSearchParameters`` for the duration of
a run so that every parameter set the core starts from carries the change. Nothing here is used
by the product; the winners are listed in ``benchmarks/RESULTS.md`` for the core to adopt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

Tweak = Callable[[object], None]
TRUE = 3  # OptionalBoolean.BOOL_TRUE


def _gls_lambda(value: float) -> Tweak:
    def tweak(params) -> None:
        params.guided_local_search_lambda_coefficient = value

    return tweak


def _neighbours(count: int) -> Tweak:
    def tweak(params) -> None:
        params.ls_operator_neighbors_ratio = 1e-9  # the minimum below takes over
        params.ls_operator_min_neighbors = count

    return tweak


def _ils(avg_removed: int) -> Tweak:
    """Iterated local search with SISR ruin (Christiaens & Vanden Berghe 2020) and recreate."""

    def tweak(params) -> None:
        params.use_iterated_local_search = True
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        )
        ils = params.iterated_local_search_parameters
        rr = ils.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        sisr.max_removed_sequence_size = 10
        sisr.avg_num_removed_visits = avg_removed
        sisr.bypass_factor = 0.01
        rr.recreate_strategy.heuristic = (
            routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
        )
        annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
        annealing.automatic_temperatures = True

    return tweak


def _insertion_lns(params) -> None:
    ops = params.local_search_operators
    for name in (
        "use_global_cheapest_insertion_expensive_chain_lns",
        "use_local_cheapest_insertion_expensive_chain_lns",
        "use_global_cheapest_insertion_close_nodes_lns",
        "use_local_cheapest_insertion_close_nodes_lns",
    ):
        setattr(ops, name, TRUE)


def _operator_bandit(params) -> None:
    """Choose local-search operators by a multi-armed bandit on their recent success."""
    params.use_multi_armed_bandit_concatenate_operators = True


def _both(first: Tweak, second: Tweak) -> Tweak:
    def tweak(params) -> None:
        first(params)
        second(params)

    return tweak


VARIANTS: dict[str, Tweak] = {
    "gls-lambda-0.05": _gls_lambda(0.05),
    "gls-lambda-0.3": _gls_lambda(0.3),
    "neighbours-20": _neighbours(20),
    "insertion-lns": _insertion_lns,
    "operator-bandit": _operator_bandit,
    "bandit-lambda-0.3": _both(_operator_bandit, _gls_lambda(0.3)),
    "ils-sisr-10": _ils(10),
}


@contextmanager
def applied(name: str | None) -> Iterator[None]:
    """Run the enclosed solves with variant ``name`` (``None``: the core's own settings)."""
    if name is None:
        yield
        return
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
    original = pywrapcp.DefaultRoutingSearchParameters

    def patched():
        params = original()
        VARIANTS[name](params)
        return params

    pywrapcp.DefaultRoutingSearchParameters = patched
    try:
        yield
    finally:
        pywrapcp.DefaultRoutingSearchParameters = original
