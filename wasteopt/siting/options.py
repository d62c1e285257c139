"""What the planner asks of the location model, checked when it is built."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from wasteopt.bounds import time_limit_problem
from wasteopt.errors import OptionsError
from wasteopt.factors import DAYS_PER_YEAR

Status = Literal["optimal", "gap_limit", "time_limit", "stopped"]


@dataclass(frozen=True)
class SitingOptions:
    """What the planner asks of the location model.

    Parameters
    ----------
    open_exactly, min_open, max_open
        Number of transfer stations open in the answer (existing and new together): an exact
        number, or a range (either bound optional), not both.
    budget
        Ceiling on the open stations' summed ``annual_fixed_cost``, CNY/yr.
    force_open, force_closed
        Station ids that must (not) be open. Stations whose status is ``"closed"`` stay closed
        unless forced open.
    keep_existing
        Every station open today stays open (as if each were in ``force_open``).
    allow_direct
        Whether collection trucks may haul straight to the plant.
    direct_max_km
        Points farther than this road distance from their plant may not haul direct.
    by_township
        Assign whole townships (points sharing ``township`` and stream) to one destination.
    carbon_price_per_t
        CNY per tonne CO2e added to the objective.
    co2e_kg_per_km
        kg CO2e per vehicle-km by vehicle type id; types not listed use their energy model
        and the emission factors of :mod:`wasteopt.factors`.
    time_limit_s, gap_limit, seed, workers
        CP-SAT search limits: stop at ``time_limit_s`` (within
        :data:`wasteopt.bounds.TIME_LIMIT`) or once (cost - proven lower bound) /
        cost <= ``gap_limit`` (0 proves optimality). The default 0.1 % is *assumption*: far
        below the uncertainty of the cost rates, and on Daoxian a few tens of thousands of CNY
        a year against 1.2 million for one station. Same instance, options and seed give the
        same answer when the search ends by a gap rather than the clock.

    Raises
    ------
    OptionsError
        Naming each option out of range or in conflict with another.
    """

    open_exactly: int | None = None
    min_open: int | None = None
    max_open: int | None = None
    budget: float | None = None
    force_open: frozenset[str] = frozenset()
    force_closed: frozenset[str] = frozenset()
    keep_existing: bool = False
    allow_direct: bool = True
    direct_max_km: float | None = None
    by_township: bool = False
    carbon_price_per_t: float = 0.0
    co2e_kg_per_km: Mapping[str, float] = field(default_factory=dict)
    days_per_year: int = DAYS_PER_YEAR
    time_limit_s: float = 30.0
    gap_limit: float = 1e-3
    seed: int = 0
    workers: int = 2

    def __post_init__(self) -> None:
        for name in ("force_open", "force_closed"):
            ids: Iterable[str] = getattr(self, name)
            object.__setattr__(self, name, frozenset(ids))
        problems = _problems(self)
        if problems:
            raise OptionsError(problems)

    def count_range(self) -> tuple[int, int | None]:
        """The least and the most stations to open (None: no upper bound asked)."""
        if self.open_exactly is not None:
            return self.open_exactly, self.open_exactly
        return self.min_open or 0, self.max_open


def _problems(options: SitingOptions) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if options.open_exactly is not None and (
        options.min_open is not None or options.max_open is not None
    ):
        problems.append(
            ("open_exactly", "give either an exact number of stations or a min/max range, not both")
        )
    for name in ("open_exactly", "min_open", "max_open"):
        value = getattr(options, name)
        if value is not None and value < 0:
            problems.append((name, f"must be zero or more (got {value})"))
    low, high = options.min_open, options.max_open
    if low is not None and high is not None and low > high:
        problems.append(
            (
                "min_open",
                f"minimum number of stations ({low}) is above the maximum ({high});"
                " lower the minimum or raise the maximum",
            )
        )
    both = sorted(options.force_open & options.force_closed)
    if both:
        problems.append(
            (
                "force_open",
                f"station(s) {', '.join(both)} are forced both open and closed;"
                " drop one of the two",
            )
        )
    positive = {
        "time_limit_s": options.time_limit_s,
        "days_per_year": options.days_per_year,
        "workers": options.workers,
        "direct_max_km": options.direct_max_km,
    }
    for name, value in positive.items():
        if value is not None and not value > 0:
            problems.append((name, f"must be positive (got {value})"))
    seconds = options.time_limit_s
    if seconds > 0 and (problem := time_limit_problem(seconds)) is not None:
        problems.append(("time_limit_s", problem))
    for name in ("budget", "carbon_price_per_t"):
        value = getattr(options, name)
        if value is not None and not value >= 0:
            problems.append((name, f"must be zero or more (got {value})"))
    if not 0 <= options.gap_limit <= 1:
        problems.append(("gap_limit", f"must be a share between 0 and 1 (got {options.gap_limit})"))
    for vt, rate in options.co2e_kg_per_km.items():
        if not rate >= 0:
            problems.append((f"co2e_kg_per_km.{vt}", f"must be zero or more (got {rate})"))
    return problems
