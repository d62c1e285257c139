"""What one tier's search is given and what it returns: options, budget, raw routes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wasteopt.routing.problem import Job

ProgressCallback = Callable[[float, float], None]
StopCallback = Callable[[], bool]


@dataclass(frozen=True)
class SearchOptions:
    """How long and how to search.

    ``metaheuristic`` "ruin_recreate" (the default) runs the compiled search
    (:mod:`wasteopt.routing.compiled`) from the greedy construction and hands its plan to
    OR-Tools, which checks it and improves it with ruin and recreate
    (:mod:`wasteopt.routing.ruin_recreate`); the others are OR-Tools' own metaheuristics alone.
    With ``solution_limit`` N the compiled search runs a number of iterations proportional to
    N, OR-Tools' first search stops after N solutions and ruin and recreate after N iterations,
    so a seed gives one plan. ``compiled`` False leaves the compiled search out: OR-Tools
    constructs and searches alone (large windowless tiers region by region).
    ``seed`` permutes the node order and perturbs the greedy construction deterministically;
    ``workers`` > 1 runs that many searches with consecutive seeds on separate cores.
    """

    time_limit_s: float = 30.0
    solution_limit: int | None = None
    seed: int = 0
    first_solution: str = "greedy"
    metaheuristic: str = "ruin_recreate"
    workers: int = 1
    compiled: bool = True


@dataclass(frozen=True)
class SearchBudget:
    """How long a search may run, who may stop it and who hears of each better plan.

    ``deadline`` is a ``time.perf_counter`` instant; with an ``iteration_limit`` the searches
    count iterations instead of seconds, so that a seed gives one plan whatever the machine's
    speed, and the deadline is only a safety net. ``on_best`` gets each new best objective in
    solver units (milli-CNY).
    """

    deadline: float
    iteration_limit: int | None = None
    should_stop: StopCallback | None = None
    on_best: Callable[[int], None] | None = None

    @classmethod
    def starting_now(
        cls,
        options: SearchOptions,
        should_stop: StopCallback | None = None,
        on_best: Callable[[int], None] | None = None,
    ) -> SearchBudget:
        """The budget of ``options`` (time limit and solution limit) from this instant."""
        deadline = time.perf_counter() + options.time_limit_s
        return cls(deadline, options.solution_limit, should_stop, on_best)

    @property
    def counts_iterations(self) -> bool:
        return self.iteration_limit is not None

    def seconds_left(self) -> float:
        return max(0.0, self.deadline - time.perf_counter())

    def stopped(self) -> bool:
        return self.should_stop is not None and self.should_stop()

    def cut_short(self) -> bool:
        """Whether the deadline has passed under an iteration limit: the safety net, not the
        count, ended the search, so its plan may not repeat."""
        return self.counts_iterations and self.seconds_left() <= 0

    def until(self, deadline: float) -> SearchBudget:
        """The same budget ending at ``deadline`` instead (never later than its own)."""
        return replace(self, deadline=min(deadline, self.deadline))

    def report(self, objective: int) -> None:
        if self.on_best is not None:
            self.on_best(objective)


@dataclass(frozen=True)
class SearchStats:
    """How a search went: iterations and capacity-pricing rounds of the compiled search,
    regions solved and accepted, ruin-and-recreate iterations and how many of their candidates
    were accepted and improved the best; the starts OR-Tools' CP check refused (the compiled
    search's plan or the greedy construction); whether the caller stopped it early; and, under
    a solution limit, whether the time limit ended it first (its plan may then not repeat)."""

    compiled_iterations: int = 0
    compiled_rounds: int = 0
    regions: int = 0
    regions_accepted: int = 0
    iterations: int = 0
    accepted: int = 0
    improved: int = 0
    starts_rejected: int = 0
    stopped_early: bool = False
    time_limited: bool = False

    def plus(self, other: SearchStats) -> SearchStats:
        """The counts added, the flags (the boolean fields) either's."""
        merged = {}
        for name in self.__dataclass_fields__:
            mine, theirs = getattr(self, name), getattr(other, name)
            merged[name] = (mine or theirs) if isinstance(mine, bool) else mine + theirs
        return SearchStats(**merged)


@dataclass(frozen=True)
class Visit:
    """A node on a solved route: a job or an unload at a facility, with its service start."""

    kind: str  # "job" | "unload"
    ref: str  # job id or facility id
    site_id: str
    start_s: int


@dataclass(frozen=True)
class RawRoute:
    """A solved route in solver units."""

    vehicle_index: int
    start_s: int
    end_s: int
    visits: list[Visit]
    break_s: tuple[int, int] | None


@dataclass(frozen=True)
class RawSolution:
    """A tier's solved routes, the jobs left out, the objective and how the search went."""

    routes: list[RawRoute]
    dropped: list[Job]
    objective: int
    seconds: float
    first_feasible_s: float | None
    history: list[tuple[float, float]]
    stats: SearchStats = field(default_factory=SearchStats)
    # ids of dropped jobs cut from a battery truck's route where its charge ran short
    out_of_range: frozenset[str] = frozenset()
