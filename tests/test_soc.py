"""Battery trucks: the state of charge walked by hand, and charging planned where a day needs it.

The sites lie on a line, 1 km and 1 minute per unit: Y at 0, the incinerator F at 10 (60 kW
charger), points P0-P3 at 25-28 (1 t each). The truck carries 2 t and uses 1 kWh/km empty,
1.5 full (1.25 half full) and 0.5 kWh per stop; its 80 kWh battery gives 72 usable, 7.2 reserve.
Two trips out and back need about 100 kWh, so the day needs a charge at F.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from wasteopt.charging import charge_off_peak
from wasteopt.check import SOC, check_plan
from wasteopt.export import sheet_csv
from wasteopt.fleet_growth import FleetGrowth, _could_serve, _with_trucks
from wasteopt.headers import LABELS
from wasteopt.impact import assess
from wasteopt.matrix import ExplicitMatrixProvider
from wasteopt.model import (
    EnergyModel,
    Instance,
    InstanceSettings,
    Plan,
    Route,
    Stop,
    TimeWindow,
    TravelMatrices,
    clock_to_seconds,
)
from wasteopt.planning import PlanOptions, plan_day_full
from wasteopt.routing.nodes import NodeData, NodeTable, node_data
from wasteopt.routing.or_detours import hand_out_unserved, with_detours
from wasteopt.routing.problem import Job, TierProblem
from wasteopt.scenario import Scenario, apply_scenario, compare_scenarios, comparison_rows
from wasteopt.soc import soc_walk

POS = {"Y": 0, "F": 10, "P0": 25, "P1": 26, "P2": 27, "P3": 28}


def _site(site_id: str) -> dict:
    return {"id": site_id, "lon": 111.6 + POS[site_id] * 0.001, "lat": 25.5}


def make_instance() -> Instance:
    return Instance.model_validate(
        {
            "name": "electric-line",
            "yards": [{**_site("Y"), "charger": {"power_kw": 30}}],
            "facilities": [
                {
                    **_site("F"),
                    "kind": "incinerator",
                    "streams": ["residual"],
                    "capacity_t_per_day": 100,
                    "unload_min": 10,
                    "charger": {"power_kw": 60, "session_min": 45},
                }
            ],
            "vehicle_types": [
                {
                    "id": "E",
                    "streams": ["residual"],
                    "payload_t": 2,
                    "count": 1,
                    "yard": "Y",
                    "shift": {"start": "06:00", "end": "18:00"},
                    "cost_per_km": 1.0,
                    "energy": {
                        "type": "electric",
                        "empty_per_100km": 100,
                        "full_per_100km": 150,
                        "per_stop": 0.5,
                    },
                    "battery": {"capacity_kwh": 80},
                }
            ],
            "points": [
                {**_site(p), "stream": "residual", "tonnes_per_day": 1.0, "service_min": 5}
                for p in ("P0", "P1", "P2", "P3")
            ],
        }
    )


def make_matrices(instance: Instance) -> TravelMatrices:
    ids = [s.id for s in instance.sites]
    x = np.array([POS[i] for i in ids])
    gap = np.abs(x[:, None] - x[None, :])
    return TravelMatrices(ids, gap * 1000, gap * 60)


def _stop(action, site, arrive, depart, tonnes, load, km, soc, charged=0.0) -> Stop:
    return Stop(
        action=action,
        site_id=site,
        arrive=arrive,
        depart=depart,
        tonnes=tonnes,
        load_after_t=load,
        distance_from_prev_km=km,
        soc_kwh=soc,
        charged_kwh=charged,
    )


# (stop, SoC after it by hand)
TWO_TRIPS = [
    _stop("start", "Y", "06:00", "06:00", 0, 0, 0, 72.0),
    _stop("collect", "P0", "06:25", "06:30", 1, 1, 25, 46.5),  # 25 km empty, 0.5 at the stop
    _stop("collect", "P1", "06:31", "06:36", 1, 2, 1, 44.75),  # 1 km at 1 t: 1.25
    _stop("unload", "F", "06:52", "07:02", 2, 0, 16, 20.25),  # 16 km full: 24
    _stop("charge", "F", "07:02", "07:52", 0, 0, 0, 70.25, 50.0),  # 50 min at 60 kW
    _stop("collect", "P2", "08:09", "08:14", 1, 1, 17, 52.75),  # 17 km empty
    _stop("collect", "P3", "08:15", "08:20", 1, 2, 1, 51.0),
    _stop("unload", "F", "08:38", "08:48", 2, 0, 18, 23.5),  # 18 km full: 27
    _stop("end", "Y", "08:58", "08:58", 0, 0, 10, 13.5),  # 10 km empty; reserve 7.2
]


TARIFF = [
    {"window": {"start": "00:00", "end": "07:30"}, "cny_per_kwh": 0.3},
    {"window": {"start": "07:30", "end": "22:00"}, "cny_per_kwh": 1.0},
    {"window": {"start": "22:00", "end": "24:00"}, "cny_per_kwh": 0.3},
]


def _plan(stops: list[Stop]) -> Plan:
    km = sum(s.distance_from_prev_km for s in stops)
    minutes = (clock_to_seconds(stops[-1].arrive) - clock_to_seconds(stops[0].depart)) / 60
    route = Route(
        vehicle_id="E-1",
        vehicle_type="E",
        stream="residual",
        stops=stops,
        distance_km=km,
        duration_min=minutes,
    )
    return Plan(instance_name="electric-line", routes=[route], cost=km * 1.0)


def test_two_trip_walk_matches_the_hand_figures_and_is_clean():
    instance = make_instance()
    plan = _plan(TWO_TRIPS)
    walk = soc_walk(plan.routes[0], instance.vehicle_types[0])
    assert walk == pytest.approx([s.soc_kwh for s in TWO_TRIPS])
    assert check_plan(instance, plan, make_matrices(instance)) == []


def test_a_day_without_enough_charge_is_rejected():
    """20 min less at the charger, 20 kWh less: the truck reaches F the second time with 3.5 kWh,
    below its 7.2 kWh reserve."""
    instance = make_instance()
    stops = [
        stop.model_copy(update={"soc_kwh": stop.soc_kwh - (20 if k >= 4 else 0)})
        for k, stop in enumerate(TWO_TRIPS)
    ]
    stops[4] = stops[4].model_copy(update={"depart": "07:32", "charged_kwh": 30.0})
    violations = check_plan(instance, _plan(stops), make_matrices(instance))
    assert [(v.kind, v.site_id) for v in violations] == [(SOC, "F")]
    assert "3.50 kWh" in violations[0].message


def test_the_sheet_shows_the_state_of_charge_and_the_charge():
    instance = make_instance()
    rows = list(csv.reader(io.StringIO(sheet_csv(instance, _plan(TWO_TRIPS).routes[0]))))
    keys = {label: key for key, label in LABELS["zh"].items()}
    header = next(k for k, row in enumerate(rows) if row[:1] == [LABELS["zh"]["seq"]])
    columns = [keys[label] for label in rows[header]]
    table = [dict(zip(columns, row, strict=True)) for row in rows[header + 1 :]]
    assert [row["soc_kwh"] for row in table][:5] == ["72.0", "46.5", "44.8", "20.2", "70.2"]
    assert [(row["action"], row["charged_kwh"]) for row in table if row["charged_kwh"]] == [
        ("充电", "50.0")  # the action in the sheet's language, as the workbook writes it
    ]


def test_a_day_that_needs_a_charge_gets_one_and_fails_without_it():
    instance = make_instance()
    matrices = make_matrices(instance)
    options = PlanOptions(time_limit_s=5.0, solution_limit=60)
    plan = plan_day_full(instance, ExplicitMatrixProvider(matrices), options).plan
    assert not plan.unserved
    [route] = plan.routes
    charges = [k for k, s in enumerate(route.stops) if s.action == "charge"]
    assert charges and check_plan(instance, plan, matrices) == []
    reserve = instance.vehicle_types[0].battery.reserve_kwh
    assert min(soc_walk(route, instance.vehicle_types[0])) >= reserve
    without = [s for k, s in enumerate(route.stops) if k not in charges]
    unplugged = plan.model_copy(update={"routes": [route.model_copy(update={"stops": without})]})
    assert SOC in {v.kind for v in check_plan(instance, unplugged, matrices)}


def test_charging_energy_and_its_time_of_use_cost_by_hand():
    """The charge stop 07:02-07:52 (50 kWh) spans 28 min of the 0.3 CNY valley and 22 min of
    the 1.0 CNY peak: 50 x (28 x 0.3 + 22 x 1.0) / 50 = 30.4 CNY; the yard refills the
    72 - 13.5 = 58.5 kWh used beyond it at the valley price, 17.55 CNY. Together 108.5 kWh, the
    day's consumption as the impact integrates it."""
    instance = make_instance()
    settings = InstanceSettings.model_validate({"tariff": TARIFF})
    instance = instance.model_copy(update={"settings": settings})
    report = assess(instance, _plan(TWO_TRIPS))
    charging = report.charging
    assert (charging.en_route_kwh, charging.overnight_kwh) == pytest.approx((50.0, 58.5))
    assert charging.cost_cny == pytest.approx(30.4 + 17.55)
    assert report.per_day.electricity_kwh == pytest.approx(charging.total_kwh)
    [use] = charging.chargers
    assert (use.site_id, use.sessions, use.busiest, use.plugs) == ("F", 1, 1, 1)


def test_under_a_tariff_a_dear_charge_takes_only_what_the_day_needs():
    """The charge stop at 07:02 is dearer than the valley: the day ends 6.3 kWh above the
    reserve (13.5 - 7.2), so it takes 50 - 6.3 = 43.7 kWh, 44 min at 60 kW (07:02-07:46), and
    the day ends at the reserve. It pays (28 x 0.3 + 16 x 1.0) / 44 CNY/kWh for 43.7 kWh and
    the yard refills 64.8 kWh at 0.3: 24.23 + 19.44 CNY, against 30.4 + 17.55 before."""
    instance = make_instance()
    settings = InstanceSettings.model_validate({"tariff": TARIFF})
    instance = instance.model_copy(update={"settings": settings})
    [route] = charge_off_peak(instance, _plan(TWO_TRIPS).routes, make_matrices(instance))
    charge = route.stops[4]
    assert (charge.charged_kwh, charge.depart) == (pytest.approx(43.7), "07:46")
    assert [s.soc_kwh for s in route.stops][4:] == pytest.approx([63.95, 46.45, 44.7, 17.2, 7.2])
    plan = _plan(route.stops)
    assert check_plan(instance, plan, make_matrices(instance)) == []
    cost = assess(instance, plan).charging.cost_cny
    assert cost == pytest.approx(43.7 * (28 * 0.3 + 16 * 1.0) / 44 + 64.8 * 0.3)


# A 200 kWh battery (180 usable, 18 reserve) on the line: after its first trip the truck drives
# from F to its yard's 30 kW charger for 15 kWh (07:12-07:42, 18 min at 0.3 and 12 at 1.0 CNY,
# dearer than the valley) and on to its second trip, 108 km in all. SoC after each stop by hand.
YARD_DETOUR = [
    _stop("start", "Y", "06:00", "06:00", 0, 0, 0, 180.0),
    _stop("collect", "P0", "06:25", "06:30", 1, 1, 25, 154.5),
    _stop("collect", "P1", "06:31", "06:36", 1, 2, 1, 152.75),
    _stop("unload", "F", "06:52", "07:02", 2, 0, 16, 128.25),
    _stop("charge", "Y", "07:12", "07:42", 0, 0, 10, 133.25, 15.0),  # 10 km empty, +15
    _stop("collect", "P2", "08:09", "08:14", 1, 1, 27, 105.75),  # 27 km empty
    _stop("collect", "P3", "08:15", "08:20", 1, 2, 1, 104.0),
    _stop("unload", "F", "08:38", "08:48", 2, 0, 18, 76.5),
    _stop("end", "Y", "08:58", "08:58", 0, 0, 10, 66.5),
]


def _big_battery_instance() -> Instance:
    data = make_instance().model_dump(by_alias=True)
    data["vehicle_types"][0]["battery"]["capacity_kwh"] = 200
    data["settings"]["tariff"] = TARIFF
    return Instance.model_validate(data)


def test_a_detour_cut_to_nothing_is_dropped_with_its_legs():
    """The day ends 48.5 kWh above the reserve (66.5 - 18), so the dear 15 kWh are cut to
    nothing, and the detour goes: F to P2 directly, 17 km for 10 + 27, P2 still at 08:09 (the
    truck waits before it). SoC from P2 on 5 kWh higher (20 km less, 15 kWh less charged): the
    day ends at 71.5, 88 km. Charging: 180 - 71.5 = 108.5 kWh at the yard overnight, 0.3:
    32.55 CNY, against 15 x 0.58 + 113.5 x 0.3 = 8.7 + 34.05 = 42.75 with the detour."""
    instance = _big_battery_instance()
    matrices = make_matrices(instance)
    plan = _plan(YARD_DETOUR)
    assert check_plan(instance, plan, matrices) == []
    assert assess(instance, plan).charging.cost_cny == pytest.approx(42.75)
    [route] = charge_off_peak(instance, plan.routes, matrices)
    assert "charge" not in [s.action for s in route.stops]
    p2 = route.stops[4]
    assert (p2.site_id, p2.arrive, p2.distance_from_prev_km) == ("P2", "08:09", 17.0)
    assert route.distance_km == 88.0 and route.duration_min == plan.routes[0].duration_min
    assert [s.soc_kwh for s in route.stops] == pytest.approx(
        [180.0, 154.5, 152.75, 128.25, 110.75, 109.0, 81.5, 71.5]
    )
    trimmed = _plan(route.stops)
    assert check_plan(instance, trimmed, matrices) == []
    charging = assess(instance, trimmed).charging
    assert (charging.charge_stops, charging.cost_cny) == (0, pytest.approx(32.55))


@pytest.mark.parametrize("matrix, value", [("distance_m", 50_000), ("duration_s", 7200)])
def test_a_detour_the_direct_leg_would_lengthen_or_make_late_stays_at_nothing(matrix, value):
    """Where the roads make F to P2 longer than by the yard (50 km) or too slow for P2 at 08:09
    (2 h from 07:02), the detour stays, cut to 0 kWh, and the day is still clean."""
    instance = _big_battery_instance()
    matrices = make_matrices(instance)
    index = matrices.index()
    getattr(matrices, matrix)[index["F"], index["P2"]] = value
    [route] = charge_off_peak(instance, _plan(YARD_DETOUR).routes, matrices)
    [charge] = [s for s in route.stops if s.action == "charge"]
    assert (charge.charged_kwh, charge.arrive, charge.depart) == (0.0, "07:12", "07:12")
    assert route.distance_km == 108.0
    assert check_plan(instance, _plan(route.stops), matrices) == []


def test_a_tariff_must_cover_the_day_once():
    gap = [{"window": {"start": "00:00", "end": "08:00"}, "cny_per_kwh": 0.3}]
    with pytest.raises(ValueError, match="nothing from 08:00 to 24:00"):
        InstanceSettings.model_validate({"tariff": gap})


def test_an_electric_share_converts_trucks_with_batteries_and_plugs_at_their_yard():
    instance = make_instance()
    diesel = instance.vehicle_types[0].model_copy(
        update={"id": "D", "count": 2, "battery": None, "energy": EnergyModel()}
    )
    instance = instance.model_copy(update={"vehicle_types": [*instance.vehicle_types, diesel]})
    changed = apply_scenario(instance, Scenario(name="all electric", electric_share=1.0))
    types = {vt.id: vt for vt in changed.vehicle_types}
    assert sorted(types) == ["D-ev", "E"]
    assert types["D-ev"].count == 2 and types["D-ev"].battery == types["E"].battery
    [yard] = changed.yards
    assert (yard.charger.power_kw, yard.charger.count) == (30, 3)  # a plug per battery truck


def test_a_scenario_sets_a_tariff_and_converts_trucks_by_its_own_variants():
    """A 2 t diesel type has no electric type of its payload in the instance: the scenario's
    variant gives the converted trucks their battery."""
    instance = make_instance()
    diesel = instance.vehicle_types[0].model_copy(
        update={"id": "D", "payload_t": 4.0, "battery": None, "energy": EnergyModel()}
    )
    instance = instance.model_copy(update={"vehicle_types": [diesel]})
    variant = {
        "streams": ["residual"],
        "payload_t": 4,
        "energy": {"type": "electric", "empty_per_100km": 100, "full_per_100km": 150},
        "battery": {"capacity_kwh": 200},
        "fixed_cost_per_day": 0,
        "cost_per_km": 1,
    }
    scenario = Scenario(name="e", electric_share=1, electric_variants=[variant], tariff=TARIFF)
    changed = apply_scenario(instance, scenario)
    [converted] = changed.vehicle_types
    assert (converted.id, converted.battery.capacity_kwh) == ("D-ev", 200)
    assert [p.cny_per_kwh for p in changed.settings.tariff] == [0.3, 1.0, 0.3]


def test_a_scenario_builds_a_charger_at_a_facility():
    change = {"id": "F", "charger": {"power_kw": 150, "count": 4}}
    changed = apply_scenario(make_instance(), Scenario(name="plugs", facilities=[change]))
    [plant] = changed.facilities
    assert (plant.charger.power_kw, plant.charger.count, plant.capacity_t_per_day) == (150, 4, 100)


def test_points_left_for_want_of_charge_say_so_with_the_energy_figures():
    """Without the plant's charger the truck cannot make a second trip; the points it leaves
    are out of charge, and the trip each would take is the hand figure: yard to the point
    empty (1 kWh/km), on to the plant with 1 t of 2 t (1.25 kWh/km), home empty, and 0.5 kWh
    at each of the two stops."""
    data = make_instance().model_dump()
    del data["facilities"][0]["charger"]
    instance = Instance.model_validate(data)
    matrices = make_matrices(instance)
    options = PlanOptions(time_limit_s=5.0, solution_limit=60)
    plan = plan_day_full(instance, ExplicitMatrixProvider(matrices), options).plan
    assert plan.unserved
    for unserved in plan.unserved:
        out = POS[unserved.point_id]
        trip = out * 1.0 + (out - POS["F"]) * 1.25 + POS["F"] * 1.0 + 2 * 0.5
        assert unserved.reason.startswith("out of charge")
        assert f"takes at least {trip:.1f} kWh" in unserved.reason


def _detour_instance() -> tuple[Instance, TravelMatrices]:
    """The line with the points at 20-23 and the only charger at the yard (60 kW, 45 min)."""
    data = make_instance().model_dump(by_alias=True)
    del data["facilities"][0]["charger"]
    data["yards"][0]["charger"] = {"power_kw": 60, "session_min": 45}
    for point, x in zip(data["points"], (20, 21, 22, 23), strict=True):
        point["lon"] = 111.6 + x * 0.001
    instance = Instance.model_validate(data)
    ids = [s.id for s in instance.sites]
    x = np.array([round((s.lon - 111.6) * 1000) for s in instance.sites])
    gap = np.abs(x[:, None] - x[None, :])
    return instance, TravelMatrices(ids, gap * 1000, gap * 60)


def test_a_day_that_needs_a_detour_to_a_charger_gets_one_and_fails_without_it():
    """No charger where the truck unloads: after its first trip (39.25 kWh: 20 km empty, 1 km
    at 1 t, 11 km full, three stops) it has 32.75 kWh, and the second trip and home take
    44.25 kWh. It drives home (10 kWh), charges 45 kWh in the 45 min session, and ends the
    day with 13.5 kWh, above its 7.2 kWh reserve."""
    instance, matrices = _detour_instance()
    options = PlanOptions(time_limit_s=5.0, solution_limit=60)
    plan = plan_day_full(instance, ExplicitMatrixProvider(matrices), options).plan
    assert not plan.unserved
    [route] = plan.routes
    assert [(s.action, s.site_id) for s in route.stops][3:5] == [("unload", "F"), ("charge", "Y")]
    detour = route.stops[4]
    assert (detour.distance_from_prev_km, detour.charged_kwh) == (10, 45)
    assert (detour.soc_kwh, route.stops[-1].soc_kwh) == pytest.approx((67.75, 13.5))
    assert check_plan(instance, plan, matrices) == []
    without = [s for s in route.stops if s.action != "charge"]
    unplugged = plan.model_copy(update={"routes": [route.model_copy(update={"stops": without})]})
    assert SOC in {v.kind for v in check_plan(instance, unplugged, matrices)}


def test_a_battery_truck_takes_its_break_as_a_diesel_one_does():
    data = make_instance().model_dump(by_alias=True)
    rest = {"window": {"start": "07:00", "end": "10:00"}, "duration_min": 30}
    data["vehicle_types"][0]["break"] = rest
    instance = Instance.model_validate(data)
    matrices = make_matrices(instance)
    options = PlanOptions(time_limit_s=5.0, solution_limit=60)
    plan = plan_day_full(instance, ExplicitMatrixProvider(matrices), options).plan
    assert not plan.unserved
    [route] = plan.routes
    actions = [s.action for s in route.stops]
    assert actions.count("break") == 1 and "charge" in actions
    assert check_plan(instance, plan, matrices) == []
    no_break = [s for s in route.stops if s.action != "break"]
    skipped = plan.model_copy(update={"routes": [route.model_copy(update={"stops": no_break})]})
    assert "break" in {v.kind for v in check_plan(instance, skipped, matrices)}


def _grown(instance: Instance, matrices: TravelMatrices) -> tuple:
    """The one outcome of a scenario that grows ``instance``'s fleet, and its table's rows."""
    provider = ExplicitMatrixProvider(matrices)
    scenario = Scenario(name="grown", grow=FleetGrowth(max_rounds=2))
    options = PlanOptions(time_limit_s=5.0, solution_limit=60)
    [outcome] = compare_scenarios(instance, [scenario], provider, options)
    rows = {row.metric: row.values[0] for row in comparison_rows([outcome])}
    return outcome, rows


def test_a_fleet_short_of_charge_grows_a_charger_where_it_unloads():
    """Without the plant's charger P2 and P3 are left for want of charge; the growth builds
    a charger (120 kW, 2 plugs) at F, the residual facility nearest them, and the day is
    served with a charge there."""
    data = make_instance().model_dump()
    del data["facilities"][0]["charger"]
    instance = Instance.model_validate(data)
    outcome, rows = _grown(instance, make_matrices(instance))
    growth = outcome.growth
    assert [r.unserved_points for r in growth.rounds] == [2, 0]
    assert (growth.trucks_added, growth.plugs_added, growth.idle_streams) == ({}, {"F": 2}, [])
    assert not outcome.plan.unserved and outcome.instance.facilities[0].charger.power_kw == 120
    assert "charge" in {s.action for s in outcome.plan.routes[0].stops}
    assert (rows["plugs added to serve every point"], rows["added (fleet growth)"]) == (
        2,
        "F +2 plugs",
    )


def test_a_fleet_short_of_time_grows_a_truck_and_its_yard_plug():
    """On the detour line with a 160 kWh battery (charge is not what is short), a shift of
    90 min leaves time for one trip (06:00-07:02): the second trip's 2 t take one more truck
    (2 t in two trips of 2 t each, rounded up), and its yard a plug for it."""
    instance, matrices = _detour_instance()
    data = instance.model_dump(by_alias=True)
    data["vehicle_types"][0]["shift"] = {"start": "06:00", "end": "07:30"}
    data["vehicle_types"][0]["battery"]["capacity_kwh"] = 160
    outcome, rows = _grown(Instance.model_validate(data), matrices)
    growth = outcome.growth
    assert [r.unserved_points for r in growth.rounds] == [2, 0]
    assert (growth.trucks_added, growth.plugs_added) == ({"E": 1}, {"Y": 1})
    assert len(outcome.plan.routes) == 2 and rows["unserved after fleet growth"] == 0


def test_a_start_hands_a_trip_beyond_range_to_an_idle_truck():
    """On the detour line with two trucks and a two-hour shift, a start giving both trips to
    one truck runs its battery flat on the second (32.75 kWh left, 44.25 needed) and leaves
    no time for a detour home to charge: the second trip goes to the idle truck, which drives
    it on a full battery (54.25 kWh of 64.8)."""
    problem, nodes, table, job = _two_trucks_on_the_detour_line()
    first, second = nodes.facility_copies["F"][:2]
    both = [job["P0"], job["P1"], first, job["P2"], job["P3"], second]
    routes = with_detours(problem, nodes, table, [both, []])
    assert routes == [both[:3], both[3:]]


def test_jobs_a_start_leaves_out_go_to_an_idle_truck_that_reaches_them():
    """On the detour line with two trucks, a start serving P0 and P1 leaves P2 and P3 out.
    The idle truck takes P2 on a trip of its own: 22 km out empty, 12 km full to F and 10
    home, at 1 and 1.5 kWh/km, and 0.5 kWh at each stop: 51 of its 64.8 kWh. P3 would take
    43.5 kWh more after that trip's unload (13 km out, 13 back full, 10 home, two stops), and
    23.8 are left: it stays out."""
    problem, nodes, table, job = _two_trucks_on_the_detour_line()
    first, second = nodes.facility_copies["F"][:2]
    routes = hand_out_unserved(problem, nodes, table, [[job["P0"], job["P1"], first], []])
    assert routes == [[job["P0"], job["P1"], first], [job["P2"], second]]
    # with room for the start's 2 t at F and no more, P2 stays out too
    problem, nodes, table, job = _two_trucks_on_the_detour_line(free_kg=2_000)
    start = [[job["P0"], job["P1"], nodes.facility_copies["F"][0]], []]
    assert hand_out_unserved(problem, nodes, table, start) == start


def _two_trucks_on_the_detour_line(
    free_kg: int = 100_000,
) -> tuple[TierProblem, NodeTable, NodeData, dict[str, int]]:
    """The detour line's collection tier with two trucks on a two-hour shift, three copies
    of F taking ``free_kg`` today: the problem, its nodes and their data, and each job's
    node."""
    instance, matrices = _detour_instance()
    data = instance.model_dump(by_alias=True)
    data["vehicle_types"][0].update(count=2, shift={"start": "06:00", "end": "08:00"})
    instance = Instance.model_validate(data)
    problem = TierProblem(
        tier="collection",
        jobs=[Job(p.id, p.id, p.stream, p.tonnes_per_day, 300, None) for p in instance.points],
        vehicle_types=instance.vehicle_types,
        facilities=instance.facilities,
        free_capacity_kg={"F": free_kg},
        yards={y.id: y for y in instance.yards},
        unserved_penalty_per_t=20_000,
    )
    nodes = NodeTable(problem, 0, {"F": 3})
    index = matrices.index()
    table = node_data(problem, nodes, matrices.distance_m, matrices.duration_s, index)
    return problem, nodes, table, {j.id: n for n, j in enumerate(nodes.jobs)}


def test_an_idle_truck_holds_the_growth_back_only_where_it_could_serve_the_point():
    """P3 lies 28 km out, F 18 km back towards the yard at 10: a trip of its own takes 28 kWh
    out empty, 22.5 with its tonne of a 2 t payload (1.25 kWh/km), 10 home and 1 at the two
    stops, 61.5 of the 64.8 above the reserve: an idle truck could serve it. With a 70 kWh
    battery (56.7) it could not; nor before a window that closes at 06:20 (it arrives at
    06:28), nor on a night shift for a point open until noon."""
    instance = make_instance()
    matrices = make_matrices(instance)
    [truck] = instance.vehicle_types
    [plant] = instance.facilities
    p3 = next(p for p in instance.points if p.id == "P3")
    small = truck.model_copy(
        update={"battery": truck.battery.model_copy(update={"capacity_kwh": 70})}
    )
    night = truck.model_copy(update={"shift": TimeWindow(start="19:30", end="24:00")})
    early = p3.model_copy(update={"window": TimeWindow(start="06:00", end="06:20")})
    by_noon = p3.model_copy(update={"window": TimeWindow(start="08:00", end="12:00")})
    index = matrices.index()
    assert _could_serve(truck, p3, [plant], matrices, index)
    assert not _could_serve(small, p3, [plant], matrices, index)
    assert not _could_serve(truck, early, [plant], matrices, index)
    assert not _could_serve(night, by_noon, [plant], matrices, index)
    assert _could_serve(truck, by_noon, [plant], matrices, index)


def test_points_left_at_both_ends_grow_trucks_at_both_ends():
    """Yards at 0 and 60 km, a residual type at each; 3 t left at 1 km and 1 t at 59 km get
    one truck at each yard (5 t in two trips holds either), none in between."""
    from tests.builders import at, build_instance, point, station, truck

    instance = build_instance(
        [station("S", 30)],
        [point("P1", 1), point("P59", 59)],
        [truck("VA", yard="A"), truck("VB", yard="B")],
        yards=[at("A", 0), at("B", 60)],
    )
    points = {p.id: p for p in instance.points}
    grown = _with_trucks(instance, "residual", [(points["P1"], 3.0), (points["P59"], 1.0)])
    assert {vt.id: vt.count for vt in grown.vehicle_types} == {"VA": 2, "VB": 2}
