"""Transfer-station siting: optimality against brute force, constraints kept, clear refusals."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from tests.builders import build_instance, facility, point, station, truck
from wasteopt.errors import InfeasibleError, InstanceError, OptionsError, WasteoptError
from wasteopt.io import load_instance
from wasteopt.matrix import ExplicitMatrixProvider
from wasteopt.model import Instance, TravelMatrices
from wasteopt.siting import (
    SitingOptions,
    build_problem,
    candidates_from_csv_text,
    choose_stations,
    evaluate,
    solve_problem,
)
from wasteopt.siting.report import siting_summary

CO2E = {"compactor": 0.9, "hooklift": 1.3}  # kg CO2e/km, test values


def make_instance(
    n_points: int,
    n_candidates: int,
    seed: int,
    capacity: tuple[float, float] = (20.0, 60.0),
    tonnes: tuple[float, float] = (1.0, 6.0),
) -> Instance:
    """A random county-like instance: plant in the middle, candidates and points around it."""
    rng = np.random.default_rng(seed)

    def spot(radius_deg: float) -> dict:
        return {
            "lon": round(111.6 + rng.uniform(-radius_deg, radius_deg), 5),
            "lat": round(25.5 + rng.uniform(-radius_deg, radius_deg), 5),
        }

    stations = [
        station(
            f"TS{j}",
            0.0,
            **spot(0.25),  # drawn before the capacity: the order fixes each seed's instance
            capacity=round(float(rng.uniform(*capacity)), 1),
            annual_fixed_cost=round(float(rng.uniform(2e5, 9e5)), -3),
            cost_per_t=8.0,
            status="open" if j == 0 else "candidate",
        )
        for j in range(n_candidates)
    ]
    points = [
        point(
            f"P{i}",
            0.0,
            **spot(0.3),
            tonnes=round(float(rng.uniform(*tonnes)), 3),
            township=f"T{i % 4}",
        )
        for i in range(n_points)
    ]
    return build_instance(
        name=f"siting-{seed}",
        facilities=[facility("PLANT", 0.0, cost_per_t=60.0), *stations],
        points=points,
        vehicle_types=[
            truck("compactor", count=10, shift={"start": "06:00", "end": "16:00"},
                  fixed_cost_per_day=300, cost_per_km=3.0, cost_per_hour=60),
            truck("hooklift", tier="transfer", payload=10, count=3, fixed_cost_per_day=400,
                  cost_per_km=5.0, cost_per_hour=80),
        ],
    )  # fmt: skip


def options(**kw) -> SitingOptions:
    return SitingOptions(
        **{"co2e_kg_per_km": CO2E, "time_limit_s": 20, "gap_limit": 0.0, "workers": 1, **kw}
    )


def brute_force(problem, opts: SitingOptions) -> float:
    """Cheapest total over every set of open stations and every assignment (numpy enumeration).

    Stations forced closed are left out; counts, budget, forced-open stations, capacities and
    "a station not forced open opens only to receive waste" are checked for each combination.
    """
    ids = [st.id for st in problem.stations]
    usable = [j for j, i in enumerate(ids) if i not in opts.force_closed]
    forced = {ids.index(i) for i in opts.force_open}
    direct_ok = ~np.isnan(problem.direct.transport)
    best = np.inf
    for k in range(len(usable) + 1):
        if opts.open_exactly is not None and k != opts.open_exactly:
            continue
        if opts.min_open is not None and k < opts.min_open:
            continue
        if opts.max_open is not None and k > opts.max_open:
            continue
        for subset in itertools.combinations(usable, k):
            if not forced <= set(subset):
                continue
            fixed = problem.fixed_cost[list(subset)].sum()
            if opts.budget is not None and fixed > opts.budget:
                continue
            # every assignment of units to the subset's stations or to direct haul (-1)
            choices = [-1, *subset]
            grid = np.array(list(itertools.product(choices, repeat=len(problem.units))))
            ok = np.all(np.where(grid == -1, direct_ok[None, :], True), axis=1)
            for j in subset:
                load = ((grid == j) * problem.unit_tonnes[None, :]).sum(axis=1)
                ok &= load <= problem.capacity_t[j] + 1e-9
                if j not in forced:  # an open station receives waste
                    ok &= load > 0
            for row in grid[ok]:
                chosen = [None if j == -1 else int(j) for j in row]
                total = evaluate(problem, chosen, list(subset)).cost.total
                best = min(best, total)
    return best


@pytest.mark.parametrize(
    ("seed", "n_points", "n_cand", "kw"),
    [
        (1, 7, 4, {}),
        (2, 7, 4, {"open_exactly": 2}),
        (3, 6, 5, {"max_open": 2, "carbon_price_per_t": 200.0}),
        (4, 7, 4, {"min_open": 1, "budget": 1.2e6}),
        (5, 6, 5, {"force_open": frozenset({"TS1"}), "force_closed": frozenset({"TS0"})}),
    ],
)
def test_solver_matches_brute_force_optimum(seed, n_points, n_cand, kw):
    # tight capacities so that capacity, single sourcing and whole containers all bind
    inst = make_instance(n_points, n_cand, seed, capacity=(6.0, 14.0), tonnes=(1.0, 5.0))
    opts = options(**kw)
    problem = build_problem(inst, options=opts)
    result = solve_problem(problem, opts)
    assert result.status == "optimal"
    expected = brute_force(problem, opts)
    # CP-SAT works in whole CNY per coefficient: allow half a yuan per cost term
    assert result.cost.total == pytest.approx(expected, abs=0.5 * (n_points * 2 + n_cand * 2))


def test_cost_components_by_hand():
    # one point 10 km from a station, station 20 km from the plant, point 25 km from the plant
    inst = make_instance(1, 1, seed=0)
    inst = inst.model_copy(
        update={"points": [inst.points[0].model_copy(update={"tonnes_per_day": 5.0})]}
    )
    ids = ["P0", "TS0", "PLANT"]
    km = np.array([[0, 10, 25], [10, 0, 20], [25, 20, 0]]) * 1000
    provider = ExplicitMatrixProvider(TravelMatrices(ids, km, km * 0.12))  # 30 km/h
    opts = options(force_open=frozenset({"TS0"}), allow_direct=False, carbon_price_per_t=100.0)
    result = choose_stations(inst, provider, opts)
    # collection: 5 t / 5 t payload = 1 line-haul trip of 20 km, 2/3 h; hourly rate 60 + 300/10
    collection = (20 * 3.0 + (20 / 30) * 90) * 365
    # transfer: 5 t in one 10 t container, 40 km round trip, 4/3 h at 80 + 400/12 CNY/h
    transfer = (40 * 5.0 + (40 / 30) * (80 + 400 / 12)) * 365
    handling = 5 * (8.0 + 60.0) * 365
    carbon = 100.0 * (20 * 0.9 + 40 * 1.3) / 1000 * 365
    station_fixed = inst.facilities[1].annual_fixed_cost
    assert result.cost.collection == pytest.approx(collection)
    assert result.cost.transfer == pytest.approx(transfer)
    assert result.cost.handling == pytest.approx(handling)
    assert result.cost.carbon == pytest.approx(carbon)
    assert result.cost.station_fixed == station_fixed
    assert result.vehicle_km_per_day == pytest.approx(60.0)
    assert result.transfer_trips_per_day == {"TS0": 1}
    assert result.assignment == {"P0": "TS0"}


def test_capacity_never_exceeded_and_forced_stations_respected():
    inst = make_instance(40, 8, seed=11, capacity=(25.0, 45.0))
    opts = options(
        force_open=frozenset({"TS3"}), force_closed=frozenset({"TS0", "TS5"}), direct_max_km=12
    )
    result = choose_stations(inst, options=opts)
    assert "TS3" in result.open_stations
    assert not {"TS0", "TS5"} & set(result.open_stations)
    tonnes = {p.id: p.tonnes_per_day for p in inst.points}
    capacity = {f.id: f.capacity_t_per_day for f in inst.facilities}
    loads: dict[str, float] = {}
    for pid, dest in result.assignment.items():
        loads[dest] = loads.get(dest, 0.0) + tonnes[pid]
    for sid in result.open_stations:
        assert loads.get(sid, 0.0) <= capacity[sid] + 1e-6
        assert result.station_load_t[sid] == pytest.approx(loads.get(sid, 0.0))
    assert set(result.assignment) == set(tonnes)
    assert set(result.assignment.values()) <= {*result.open_stations, "PLANT"}


def test_township_clusters_go_to_one_destination():
    inst = make_instance(24, 5, seed=7, capacity=(40.0, 80.0))
    result = choose_stations(inst, options=options(by_township=True, open_exactly=2))
    by_township: dict[str, set[str]] = {}
    for p in inst.points:
        by_township.setdefault(p.township, set()).add(result.assignment[p.id])
    assert all(len(dests) == 1 for dests in by_township.values())
    assert len(result.open_stations) == 2


def test_status_closed_station_stays_closed_unless_forced_open():
    inst = make_instance(12, 3, seed=5)
    closed = inst.facilities[2].model_copy(update={"status": "closed", "annual_fixed_cost": 0.0})
    inst = inst.model_copy(
        update={"facilities": [*inst.facilities[:2], closed, inst.facilities[3]]}
    )
    assert closed.id not in choose_stations(inst, options=options()).open_stations
    forced = choose_stations(inst, options=options(force_open=frozenset({closed.id})))
    assert closed.id in forced.open_stations


def test_keep_existing_keeps_today_open_stations_and_the_answer_names_what_it_closes():
    inst = make_instance(12, 3, seed=5)
    named = [
        f.model_copy(update={"name": "城区站"}) if f.id == "TS0" else f for f in inst.facilities
    ]
    inst = inst.model_copy(update={"facilities": named})
    today = [f.id for f in inst.facilities if f.kind == "transfer_station" and f.status == "open"]
    assert today == ["TS0"]
    kept = choose_stations(inst, options=options(keep_existing=True, max_open=1))
    assert kept.open_stations == ["TS0"] and kept.closes_today == []
    moved = choose_stations(inst, options=options(force_closed=frozenset({"TS0"})))
    assert moved.open_today == ["TS0"] and moved.closes_today == ["TS0"]
    assert moved.names == {"TS0": "城区站", "TS1": "", "TS2": ""}
    assert "closes today's station(s) (1): TS0 城区站" in siting_summary(moved)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"open_exactly": 2, "min_open": 1}, "open_exactly"),
        ({"min_open": 3, "max_open": 2}, "min_open"),
        ({"max_open": -1}, "max_open"),
        ({"force_open": {"A"}, "force_closed": {"A"}}, "force_open"),
        ({"time_limit_s": 0}, "time_limit_s"),
        ({"gap_limit": 2.0}, "gap_limit"),
        ({"budget": -5.0}, "budget"),
        ({"workers": 0}, "workers"),
        ({"direct_max_km": 0.0}, "direct_max_km"),
    ],
)
def test_options_are_checked_when_built_naming_the_field(kw, field):
    with pytest.raises(OptionsError) as err:
        SitingOptions(**kw)
    assert [loc for loc, _ in err.value.problems] == [field]


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"open_exactly": 5}, ["asked for 5", "only 4 candidate"]),
        ({"min_open": 3, "max_open": 2}, ["minimum", "above the maximum"]),
        ({"open_exactly": 2, "max_open": 3}, ["either an exact number"]),
        ({"budget": 1000.0, "force_open": frozenset({"TS1"})}, ["budget", "raise the budget"]),
        ({"force_open": frozenset({"TS9"})}, ["unknown transfer station", "TS9"]),
        ({"force_open": frozenset({"TS1"}), "force_closed": frozenset({"TS1"})}, ["both"]),
        ({"force_open": frozenset({"TS1", "TS2"}), "max_open": 1}, ["forced open", "at most 1"]),
        ({"allow_direct": False}, ["must go through transfer stations", "add candidate sites"]),
        ({"direct_max_km": 1.0, "max_open": 1}, ["largest usable station"]),
    ],
)
def test_impossible_requests_are_refused_with_what_to_change(kw, words):
    inst = make_instance(30, 4, seed=3, capacity=(10.0, 20.0))  # ~100 t/day, 4 x <=20 t/day
    with pytest.raises(WasteoptError) as err:
        choose_stations(inst, options=options(**kw))
    for word in words:
        assert word in str(err.value)


def test_instance_without_stations_or_transfer_fleet_is_refused():
    inst = make_instance(5, 2, seed=1)
    no_stations = inst.model_copy(update={"facilities": inst.facilities[:1]})
    with pytest.raises(WasteoptError, match="no transfer stations"):
        choose_stations(no_stations, options=options())
    no_compactor = inst.model_copy(update={"vehicle_types": inst.vehicle_types[1:]})
    with pytest.raises(WasteoptError, match="no collection-tier vehicle type"):
        choose_stations(no_compactor, options=options())


def test_candidates_csv_adds_sites_and_reports_bad_rows():
    inst = make_instance(20, 2, seed=9)
    text = (
        "\ufeffid,name,lon,lat,capacity_t_per_day,annual_fixed_cost,streams\n"
        "NEW1,白马渡,111.62,25.52,50,100000,residual\n"
        "NEW2,,111.55,25.45,50,120000,\n"
    )
    extra = candidates_from_csv_text(text)
    assert [c.name for c in extra] == ["白马渡", ""]
    result = choose_stations(inst, options=options(), candidates=extra)
    assert {"NEW1", "NEW2"} <= set(result.candidates)
    with pytest.raises(InstanceError, match="line 2.*capacity_t_per_day"):
        candidates_from_csv_text("id,lon,lat,capacity_t_per_day,annual_fixed_cost\nA,1,2,-5,0\n")
    with pytest.raises(InstanceError, match="missing column"):
        candidates_from_csv_text("id,lon,lat\nA,1,2\n")
    with pytest.raises(InstanceError, match="already used"):
        choose_stations(
            inst, options=options(), candidates=candidates_from_csv_text(text.replace("NEW1", "P3"))
        )


def test_a_higher_carbon_price_never_raises_the_optimum_co2e():
    inst = make_instance(30, 5, seed=21, capacity=(20.0, 50.0))
    co2e = [
        choose_stations(inst, options=options(carbon_price_per_t=price)).co2e_t_per_year
        for price in (0.0, 500.0, 5000.0, 50000.0)
    ]
    assert all(b <= a + 1e-6 for a, b in zip(co2e, co2e[1:], strict=False))
    assert co2e[-1] < co2e[0]


def test_waste_goes_to_the_cheapest_plant_not_the_nearest():
    inst = make_instance(6, 2, seed=8)
    landfill = inst.facilities[0].model_copy(
        update={"id": "LANDFILL", "kind": "landfill", "cost_per_t": 400.0, "lon": 111.9}
    )
    near = inst.points[0].model_copy(update={"id": "NEAR", "lon": 111.9, "lat": 25.5})
    inst = inst.model_copy(
        update={"facilities": [*inst.facilities, landfill], "points": [*inst.points, near]}
    )
    result = choose_stations(inst, options=options(force_closed=frozenset({"TS0", "TS1"})))
    assert result.assignment["NEAR"] == "PLANT"  # 30 km haul beats a 340 CNY/t higher fee
    cheap = landfill.model_copy(update={"cost_per_t": 60.0})
    inst = inst.model_copy(update={"facilities": [*inst.facilities[:-1], cheap]})
    result = choose_stations(inst, options=options(force_closed=frozenset({"TS0", "TS1"})))
    assert result.assignment["NEAR"] == "LANDFILL"


def test_progress_reports_and_a_stop_request_end_the_search_with_the_best_so_far():
    # Daoxian (1,020 points, 17 stations) takes CP-SAT far longer than a moment to prove
    inst = load_instance(Path(__file__).parents[1] / "instances" / "daoxian" / "instance.json")
    reports: list = []
    result = choose_stations(
        inst,
        options=options(time_limit_s=120),
        progress=reports.append,
        should_stop=lambda: bool(reports),
    )
    assert result.status == "stopped"
    assert reports and all(r.tier == "siting" for r in reports)
    assert reports[-1].best_cost == result.objective
    assert [r.best_cost for r in reports] == sorted((r.best_cost for r in reports), reverse=True)
    with pytest.raises(InfeasibleError, match="stopped before any station configuration"):
        choose_stations(inst, options=options(), should_stop=lambda: True)
