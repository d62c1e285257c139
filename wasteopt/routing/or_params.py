"""OR-Tools' search parameters for one tier: strategies, operators, limits."""

from __future__ import annotations

from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_parameters_pb2
from ortools.util import optional_boolean_pb2

from wasteopt.errors import InstanceError
from wasteopt.routing.search import SearchOptions

# Local-search operators kept where ruin and recreate drives the search: each of its iterations
# ends in a full scan of the neighbourhood, and without OR-Tools' other default operators
# (Lin-Kernighan, shortest-path and chain moves, the insertion LNS) that scan is about a third
# as long, so the loop runs more iterations (benchmarks/HISTORY.md).
RUIN_RECREATE_OPERATORS = frozenset(
    {
        "use_relocate",
        "use_exchange",
        "use_cross",
        "use_two_opt",
        "use_or_opt",
        "use_make_active",
        "use_make_inactive",
        "use_swap_active",
        "use_relocate_expensive_chain",
        "use_exchange_subtrip",
        "use_relocate_subtrip",
    }
)
FIRST_SOLUTION_STRATEGIES = {  # besides "greedy", our own construction
    "path_cheapest_arc": routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC,
    "parallel_cheapest_insertion": (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    ),
    "local_cheapest_insertion": routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION,
    "savings": routing_enums_pb2.FirstSolutionStrategy.SAVINGS,
    "automatic": routing_enums_pb2.FirstSolutionStrategy.AUTOMATIC,
}
METAHEURISTICS = {
    "guided_local_search": routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH,
    "simulated_annealing": routing_enums_pb2.LocalSearchMetaheuristic.SIMULATED_ANNEALING,
    "tabu_search": routing_enums_pb2.LocalSearchMetaheuristic.TABU_SEARCH,
    "greedy_descent": routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT,
    "ruin_recreate": routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT,
}


def search_parameters(
    options: SearchOptions, seconds: float, recreate_drives: bool
) -> routing_parameters_pb2.RoutingSearchParameters:
    """The first search's parameters: ``options``' strategy and metaheuristic within
    ``seconds``; where ruin and recreate drives the search, its operator set, and the checked
    descent gets a tenth of the time (ruin and recreate's unchecked descent, much faster per
    move, goes on)."""
    if (
        options.first_solution != "greedy"
        and options.first_solution not in FIRST_SOLUTION_STRATEGIES
    ):
        known = ", ".join(["greedy", *FIRST_SOLUTION_STRATEGIES])
        raise InstanceError(f"unknown first solution {options.first_solution!r} (one of {known})")
    if options.metaheuristic not in METAHEURISTICS:
        known = ", ".join(METAHEURISTICS)
        raise InstanceError(f"unknown metaheuristic {options.metaheuristic!r} (one of {known})")
    params = pywrapcp.DefaultRoutingSearchParameters()
    if options.first_solution != "greedy":
        params.first_solution_strategy = FIRST_SOLUTION_STRATEGIES[options.first_solution]
    params.local_search_metaheuristic = METAHEURISTICS[options.metaheuristic]
    if recreate_drives:
        operators = params.local_search_operators
        for field in operators.DESCRIPTOR.fields:
            keep = field.name in RUIN_RECREATE_OPERATORS
            setattr(
                operators,
                field.name,
                optional_boolean_pb2.BOOL_TRUE if keep else optional_boolean_pb2.BOOL_FALSE,
            )
    params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    if options.solution_limit:
        params.solution_limit = options.solution_limit
    elif recreate_drives:
        params.time_limit.FromMilliseconds(max(1, int(seconds * 100)))
    return params


def unlimited(params: routing_parameters_pb2.RoutingSearchParameters):
    """``params`` without their solution limit."""
    copy = routing_parameters_pb2.RoutingSearchParameters()
    copy.CopyFrom(params)
    copy.solution_limit = pywrapcp.DefaultRoutingSearchParameters().solution_limit
    return copy


def with_time_limit(params: routing_parameters_pb2.RoutingSearchParameters, seconds: float):
    """A copy of ``params`` with a time limit of ``seconds``."""
    copy = routing_parameters_pb2.RoutingSearchParameters()
    copy.CopyFrom(params)
    copy.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    return copy
