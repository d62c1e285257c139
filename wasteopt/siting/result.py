"""What a configuration costs and moves, and the answer handed back to the caller."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wasteopt.siting.options import Status
from wasteopt.siting.problem import LocationProblem
from wasteopt.units import ROUNDING_TOL, kg_to_tonnes


@dataclass(frozen=True)
class AnnualCost:
    """Annualised cost by component, CNY/yr."""

    station_fixed: float
    collection: float
    transfer: float
    handling: float
    carbon: float

    @property
    def total(self) -> float:
        return self.station_fixed + self.collection + self.transfer + self.handling + self.carbon


@dataclass(frozen=True)
class Evaluation:
    """What an assignment costs and moves; see :func:`evaluate`."""

    cost: AnnualCost
    station_load_t: np.ndarray
    trips: dict[tuple[int, int], int]
    vehicle_km_per_day: float
    co2e_t_per_year: float


@dataclass(frozen=True)
class SitingResult:
    """The chosen configuration, its estimated cost and how it was found.

    ``assignment`` maps each point id to the facility id it sends waste to (an open station or,
    for direct haul, its plant). ``objective`` and ``bound`` are the solver's cost and proven
    lower bound (whole CNY/yr); ``gap`` is (objective - bound) / objective. ``status`` says why
    the search ended: ``"optimal"`` (gap 0), ``"gap_limit"``, ``"time_limit"`` or
    ``"stopped"`` (``should_stop`` said so). ``names`` gives each candidate's name (may be
    Chinese, may be empty); ``open_today`` the candidates open in the instance, and
    ``closes_today`` those of them the answer closes.
    """

    candidates: list[str]
    names: dict[str, str]
    open_today: list[str]
    closes_today: list[str]
    open_stations: list[str]
    closed_stations: list[str]
    assignment: dict[str, str]
    station_load_t: dict[str, float]
    transfer_trips_per_day: dict[str, int]
    cost: AnnualCost
    vehicle_km_per_day: float
    co2e_t_per_year: float
    status: Status
    objective: float
    bound: float
    gap: float
    seconds: float


def evaluate(
    problem: LocationProblem,
    chosen: Sequence[int | None],
    opened: Sequence[int] | None = None,
) -> Evaluation:
    """Annual cost of sending unit ``u`` to station ``chosen[u]`` (None = direct haul).

    ``opened`` defaults to the stations that receive waste. Every station sends the fewest
    full containers its load needs.
    """
    days = problem.days_per_year
    price = problem.carbon_price_per_t
    load = np.zeros(problem.container_t.shape)
    parts = np.zeros(4)  # transport, handling, km, co2e kg (collection tier)
    for u, j in enumerate(chosen):
        legs, at = (problem.direct, u) if j is None else (problem.assign, (u, j))
        parts += [legs.transport[at], legs.handling[at], legs.km[at], legs.co2e_kg[at]]
        if j is not None:
            load[j, problem.stream_index(u)] += problem.unit_tonnes[u]
    trips = {
        (j, s): math.ceil(t / problem.container_t[j, s] - ROUNDING_TOL)
        for (j, s), t in np.ndenumerate(load)
        if t > 0
    }
    tr = np.zeros(3)  # transport, km, co2e kg (transfer tier)
    for (j, s), n in trips.items():
        tr += n * np.array(
            [problem.trip.transport[j, s], problem.trip.km[j, s], problem.trip.co2e_kg[j, s]]
        )
    if opened is None:
        opened = sorted({j for j in chosen if j is not None})
    co2e_kg = parts[3] + tr[2]
    cost = AnnualCost(
        station_fixed=float(problem.fixed_cost[list(opened)].sum()),
        collection=float(parts[0] * days),
        transfer=float(tr[0] * days),
        handling=float(parts[1] * days),
        carbon=float(price * kg_to_tonnes(co2e_kg) * days),
    )
    return Evaluation(
        cost=cost,
        station_load_t=load.sum(axis=1),
        trips=trips,
        vehicle_km_per_day=float(parts[2] + tr[1]),
        co2e_t_per_year=float(kg_to_tonnes(co2e_kg) * days),
    )


def siting_result(
    problem: LocationProblem,
    chosen: Sequence[int | None],
    opened: Sequence[int],
    evaluation: Evaluation,
    status: Status,
    objective: float,
    bound: float,
    seconds: float,
) -> SitingResult:
    ids = [st.id for st in problem.stations]
    assignment = {}
    for u, j in enumerate(chosen):
        for pid in problem.units[u]:
            assignment[pid] = problem.point_plant[pid] if j is None else ids[j]
    trips: dict[str, int] = {}
    for (j, _), n in evaluation.trips.items():
        trips[ids[j]] = trips.get(ids[j], 0) + n
    today = [st.id for st in problem.stations if st.status == "open"]
    return SitingResult(
        candidates=ids,
        names={st.id: st.name for st in problem.stations},
        open_today=today,
        closes_today=[i for i in today if i not in {ids[j] for j in opened}],
        open_stations=[ids[j] for j in opened],
        closed_stations=[i for j, i in enumerate(ids) if j not in opened],
        assignment=assignment,
        station_load_t={ids[j]: float(evaluation.station_load_t[j]) for j in opened},
        transfer_trips_per_day={i: trips.get(i, 0) for i in (ids[j] for j in opened)},
        cost=evaluation.cost,
        vehicle_km_per_day=evaluation.vehicle_km_per_day,
        co2e_t_per_year=evaluation.co2e_t_per_year,
        status=status,
        objective=objective,
        bound=bound,
        gap=max(0.0, (objective - bound) / max(abs(objective), 1.0)),
        seconds=seconds,
    )
