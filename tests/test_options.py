"""Planning options: checked when built, strategy names that exist, one budget rule."""

from __future__ import annotations

from typing import get_args

import pytest

from wasteopt.errors import OptionsError
from wasteopt.planning import FirstSolution, Metaheuristic, PlanOptions
from wasteopt.routing.or_params import FIRST_SOLUTION_STRATEGIES, METAHEURISTICS


def test_every_strategy_name_the_options_accept_is_one_the_solver_knows():
    assert set(get_args(FirstSolution)) == {"greedy", *FIRST_SOLUTION_STRATEGIES}
    assert set(get_args(Metaheuristic)) == set(METAHEURISTICS)


@pytest.mark.parametrize(
    ("kw", "field", "words"),
    [
        ({"metaheuristic": "tabu"}, "metaheuristic", ["'tabu'", "tabu_search"]),
        ({"first_solution": "saving"}, "first_solution", ["'saving'", "savings"]),
        ({"time_limit_s": 0}, "time_limit_s", ["positive"]),
        ({"solution_limit": 0}, "solution_limit", ["1 or more"]),
        ({"workers": 0}, "workers", ["1 or more"]),
    ],
)
def test_a_typo_or_a_bad_value_is_named_when_the_options_are_built(kw, field, words):
    with pytest.raises(OptionsError) as err:
        PlanOptions(**kw)
    (loc, message), *_ = err.value.problems
    assert loc == field
    assert all(word in message for word in words)


@pytest.mark.parametrize(("limit", "transfer"), [(1.0, 1.0), (2.0, 1.0), (20.0, 5.0)])
def test_the_transfer_tier_gets_a_quarter_of_the_collection_time_at_least_a_second(limit, transfer):
    options = PlanOptions(time_limit_s=limit)
    assert options.transfer_time_limit_s == transfer
    assert options.day_time_limit_s == limit + transfer
