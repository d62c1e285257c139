"""Transfer-station siting: capacitated facility location over candidate sites.

Which transfer stations to open, and where each collection point (or township cluster) sends
its waste: to one open station, or straight to the plant ("direct haul"). Minimises the
annualised cost of open stations' fixed cost, the collection and transfer tiers' haul, handling
fees and optionally carbon (see :mod:`wasteopt.siting.problem`), with OR-Tools CP-SAT
(:mod:`wasteopt.siting.cpsat`). Distances and times come from any
:class:`~wasteopt.matrix.MatrixProvider`.

Modules: ``options`` (the request), ``candidates`` (sites from CSV), ``rates`` (fleet cost
rates), ``problem`` (the model's data), ``cpsat`` (the model and its solve), ``result`` (cost
of a configuration and the answer), ``report`` (the summary and the assignment CSV).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from wasteopt.matrix import MatrixProvider
from wasteopt.model import Facility, Instance
from wasteopt.planning import Progress
from wasteopt.siting.candidates import (
    CANDIDATE_CSV_COLUMNS,
    candidates_from_csv_text,
    read_candidates_csv,
    with_candidates,
)
from wasteopt.siting.cpsat import solve_problem
from wasteopt.siting.options import SitingOptions, Status
from wasteopt.siting.problem import LocationProblem, build_problem
from wasteopt.siting.result import AnnualCost, SitingResult, evaluate

__all__ = [
    "CANDIDATE_CSV_COLUMNS",
    "AnnualCost",
    "LocationProblem",
    "SitingOptions",
    "SitingResult",
    "Status",
    "build_problem",
    "candidates_from_csv_text",
    "choose_stations",
    "estimate_today",
    "evaluate",
    "read_candidates_csv",
    "solve_problem",
    "with_candidates",
]


def choose_stations(
    instance: Instance,
    provider: MatrixProvider | None = None,
    options: SitingOptions = SitingOptions(),
    candidates: Sequence[Facility] = (),
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SitingResult:
    """Choose transfer stations for ``instance`` (plus extra ``candidates``).

    Parameters
    ----------
    instance
        The day's instance; its ``transfer_station`` facilities are the candidates, whatever
        their status (``"closed"`` ones only when forced open).
    provider
        Road distances and times; default great-circle x circuity from the instance settings.
    options
        Counts, budget, forced stations, carbon price, time limit.
    candidates
        Extra candidate stations (e.g. from :func:`read_candidates_csv`).
    progress, should_stop
        Progress reports and a stop request, as for :func:`solve_problem`.

    Returns
    -------
    SitingResult
        Open stations, assignments, annual cost by component, and the proven gap.
    """
    if candidates:
        instance = with_candidates(instance, candidates)
    problem = build_problem(instance, provider, options)
    return solve_problem(problem, options, progress, should_stop)


def today_options(instance: Instance, options: SitingOptions) -> SitingOptions:
    """``options`` with the stations fixed as they are today: those open stay open, every
    other station stays closed, and no count or budget applies."""
    stations = [f for f in instance.facilities if f.kind == "transfer_station"]
    return replace(
        options,
        open_exactly=None,
        min_open=None,
        max_open=None,
        budget=None,
        keep_existing=False,
        force_open=frozenset(f.id for f in stations if f.status == "open"),
        force_closed=frozenset(f.id for f in stations if f.status != "open"),
    )


def estimate_today(
    instance: Instance, provider: MatrixProvider | None, options: SitingOptions
) -> SitingResult:
    """The location model's estimate of today's configuration under ``options``' rates, the
    baseline a choice is measured against. Raises WasteoptError when today's stations cannot
    serve the request (e.g. no direct haul and too little station capacity)."""
    return choose_stations(instance, provider, today_options(instance, options))
