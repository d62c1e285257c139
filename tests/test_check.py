"""The independent checker: a hand-computed valid plan is clean; each broken rule is reported.

The instance lies on a line: site ``s`` sits ``POS[s]`` minutes from the origin, trucks drive
1 minute and 500 m per unit, so every time and distance below can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wasteopt.check import (
    BACKLOG,
    BREAK,
    COVERAGE,
    STATION_BALANCE,
    TIER,
    TRAVEL,
    UNKNOWN_SITE,
    VIOLATION_KINDS,
    WINDOW,
    Violation,
    check_plan,
)
from wasteopt.model import (
    Backlog,
    Break,
    Charger,
    Instance,
    Plan,
    Route,
    Stop,
    TimeWindow,
    TravelMatrices,
    Unserved,
    VehicleType,
)

POS = {
    "Y": 0,
    "TS": 10,
    "KC": 20,
    "INC": 40,
    "P1": 5,
    "P2": 8,
    "P3": 12,
    "P4": 30,
    "K1": 18,
    "K2": 25,
}

VALID_COST = 1139.0  # routes 169 + 200 + 390, handling 55 (TS) + 75 (KC) + 250 (INC)


def _site(site_id: str) -> dict:
    return {"id": site_id, "lon": 111.6 + POS[site_id] * 0.001, "lat": 25.5}


def make_instance() -> Instance:
    window = {"start": "06:00", "end": "18:00"}
    return Instance.model_validate(
        {
            "name": "check-fixture",
            "yards": [_site("Y")],
            "facilities": [
                {
                    **_site("TS"),
                    "kind": "transfer_station",
                    "streams": ["residual"],
                    "capacity_t_per_day": 20,
                    "gate": window,
                    "unload_min": 10,
                    "cost_per_t": 10,
                },
                {
                    **_site("INC"),
                    "kind": "incinerator",
                    "streams": ["residual"],
                    "capacity_t_per_day": 100,
                    "external_inflow_t_per_day": 94,
                    "gate": {"start": "08:00", "end": "17:00"},
                    "unload_min": 15,
                    "cost_per_t": 50,
                },
                {
                    **_site("KC"),
                    "kind": "kitchen_centre",
                    "streams": ["kitchen"],
                    "capacity_t_per_day": 10,
                    "gate": {"start": "08:00", "end": "16:00"},
                    "unload_min": 10,
                    "cost_per_t": 30,
                },
            ],
            "points": [
                {**_site("P1"), "stream": "residual", "tonnes_per_day": 2.0},
                {
                    **_site("P2"),
                    "stream": "residual",
                    "tonnes_per_day": 1.5,
                    "window": {"start": "06:00", "end": "06:15"},
                },
                {**_site("P3"), "stream": "residual", "tonnes_per_day": 2.0},
                {**_site("P4"), "stream": "residual", "tonnes_per_day": 3.0},
                {
                    **_site("K1"),
                    "stream": "kitchen",
                    "tonnes_per_day": 1.0,
                    "window": {"start": "08:00", "end": "09:00"},
                },
                {
                    **_site("K2"),
                    "stream": "kitchen",
                    "tonnes_per_day": 1.5,
                    "window": {"start": "09:00", "end": "10:00"},
                },
            ],
            "vehicle_types": [
                {
                    "id": "CT",
                    "streams": ["residual", "kitchen"],
                    "payload_t": 4,
                    "count": 2,
                    "yard": "Y",
                    "shift": {"start": "06:00", "end": "14:00"},
                    "break": {"window": {"start": "06:30", "end": "09:00"}, "duration_min": 30},
                    "fixed_cost_per_day": 100,
                    "cost_per_km": 2,
                    "cost_per_hour": 30,
                },
                {
                    "id": "HL",
                    "tier": "transfer",
                    "streams": ["residual"],
                    "payload_t": 10,
                    "count": 1,
                    "yard": "Y",
                    "shift": window,
                    "fixed_cost_per_day": 200,
                    "cost_per_km": 3,
                    "cost_per_hour": 40,
                },
            ],
        }
    )


def make_matrices() -> TravelMatrices:
    ids = list(POS)
    x = np.array([POS[i] for i in ids], dtype=np.int64)
    gap = np.abs(x[:, None] - x[None, :])
    return TravelMatrices(ids, gap * 500, gap * 60)


def _stop(action, site, arrive, depart, tonnes=0.0, load=0.0, km=0.0) -> Stop:
    return Stop(
        action=action,
        site_id=site,
        arrive=arrive,
        depart=depart,
        tonnes=tonnes,
        load_after_t=load,
        distance_from_prev_km=km,
    )


def make_plan() -> Plan:
    ct1 = Route(
        vehicle_id="CT-1",
        vehicle_type="CT",
        stream="residual",
        distance_km=12.0,
        duration_min=90,
        stops=[
            _stop("start", "Y", "06:00", "06:00"),
            _stop("collect", "P1", "06:05", "06:10", 2.0, 2.0, 2.5),
            _stop("collect", "P2", "06:13", "06:18", 1.5, 3.5, 1.5),
            _stop("unload", "TS", "06:20", "06:30", 3.5, 0.0, 1.0),
            _stop("collect", "P3", "06:32", "06:37", 2.0, 2.0, 1.0),
            _stop("break", "P3", "06:40", "07:10", 0.0, 2.0),
            _stop("unload", "TS", "07:10", "07:20", 2.0, 0.0, 1.0),
            _stop("end", "Y", "07:30", "07:30", km=5.0),
        ],
    )
    ct2 = Route(
        vehicle_id="CT-2",
        vehicle_type="CT",
        stream="kitchen",
        distance_km=25.0,
        duration_min=100,
        stops=[
            _stop("start", "Y", "08:00", "08:00"),
            _stop("collect", "K1", "08:18", "08:23", 1.0, 1.0, 9.0),
            _stop("break", "K1", "08:23", "08:53", 0.0, 1.0),
            _stop("collect", "K2", "09:00", "09:05", 1.5, 2.5, 3.5),
            _stop("unload", "KC", "09:10", "09:20", 2.5, 0.0, 2.5),
            _stop("end", "Y", "09:40", "09:40", km=10.0),
        ],
    )
    hl1 = Route(
        vehicle_id="HL-1",
        vehicle_type="HL",
        tier="transfer",
        stream="residual",
        distance_km=40.0,
        duration_min=105,
        stops=[
            _stop("start", "Y", "07:15", "07:15"),
            _stop("pickup", "TS", "07:25", "07:35", 5.0, 5.0, 5.0),
            _stop("unload", "INC", "08:05", "08:20", 5.0, 0.0, 15.0),
            _stop("end", "Y", "09:00", "09:00", km=20.0),
        ],
    )
    return Plan(
        instance_name="check-fixture",
        routes=[ct1, ct2, hl1],
        unserved=[Unserved(point_id="P4", tonnes=3.0, reason="no truck time left")],
        backlog=[Backlog(facility_id="TS", tonnes=0.5, reason="left for tomorrow")],
        cost=VALID_COST,
    )


# --- mutation helpers: one change to a frozen model ------------------------------------------

Case = Callable[[Instance, Plan], tuple[Instance, Plan]]


def _route(plan: Plan, vehicle_id: str) -> int:
    return next(i for i, r in enumerate(plan.routes) if r.vehicle_id == vehicle_id)


def with_route(plan: Plan, vehicle_id: str, /, **changes) -> Plan:
    k = _route(plan, vehicle_id)
    routes = list(plan.routes)
    routes[k] = routes[k].model_copy(update=changes)
    return plan.model_copy(update={"routes": routes})


def with_stop(plan: Plan, vehicle_id: str, index: int, /, **changes) -> Plan:
    stops = list(plan.routes[_route(plan, vehicle_id)].stops)
    stops[index] = stops[index].model_copy(update=changes)
    return with_route(plan, vehicle_id, stops=stops)


def with_item(instance: Instance, group: str, item_id: str, **changes) -> Instance:
    items = [
        item.model_copy(update=changes) if item.id == item_id else item
        for item in getattr(instance, group)
    ]
    return instance.model_copy(update={group: items})


def _plan_only(change: Callable[[Plan], Plan]) -> Case:
    return lambda instance, plan: (instance, change(plan))


def _instance_only(change: Callable[[Instance], Instance]) -> Case:
    return lambda instance, plan: (change(instance), plan)


def _extra_empty_route(instance: Instance, plan: Plan) -> tuple[Instance, Plan]:
    idle = Route(
        vehicle_id="CT-3",
        vehicle_type="CT",
        stream="residual",
        distance_km=0.0,
        duration_min=60,
        stops=[
            _stop("start", "Y", "06:00", "06:00"),
            _stop("break", "Y", "06:30", "07:00"),
            _stop("end", "Y", "07:00", "07:00"),
        ],
    )
    instance = with_item(instance, "vehicle_types", "CT", count=3)
    plan = plan.model_copy(update={"routes": [*plan.routes, idle], "cost": VALID_COST + 130})
    return instance, plan


def _skip_kitchen_unload(plan: Plan) -> Plan:
    """CT-2 drives home full: K2 -> Y is 12.5 km, as K2 -> KC -> Y was."""
    stops = list(plan.routes[1].stops)
    del stops[4]
    stops[-1] = stops[-1].model_copy(update={"load_after_t": 2.5, "distance_from_prev_km": 12.5})
    return with_route(plan, "CT-2", stops=stops).model_copy(update={"cost": VALID_COST - 75})


def _pick_up_more_than_delivered(plan: Plan) -> Plan:
    plan = with_stop(plan, "HL-1", 1, tonnes=6.0, load_after_t=6.0)
    plan = with_stop(plan, "HL-1", 2, tonnes=6.0)
    return plan.model_copy(update={"backlog": [], "cost": VALID_COST + 50})


def _pick_up_too_early(plan: Plan) -> Plan:
    """HL-1 reaches TS at 07:15, before CT-1's second load (gone at 07:20) is there."""
    plan = with_stop(plan, "HL-1", 0, arrive="07:05", depart="07:05")
    plan = with_stop(plan, "HL-1", 1, arrive="07:15")
    plan = with_route(plan, "HL-1", duration_min=115)
    return plan.model_copy(update={"cost": VALID_COST + 40 * 10 / 60})


def _pickup_at_incinerator(instance: Instance, plan: Plan) -> tuple[Instance, Plan]:
    instance = with_item(instance, "facilities", "TS", kind="incinerator")
    return instance, plan.model_copy(update={"backlog": []})


def _drop_stop(plan: Plan, vehicle_id: str, index: int) -> Plan:
    stops = list(plan.routes[_route(plan, vehicle_id)].stops)
    del stops[index]
    return with_route(plan, vehicle_id, stops=stops)


def _electric(instance: Instance, plan: Plan) -> tuple[Instance, Plan]:
    """HL runs on a 50 kWh battery (45 usable, 4.5 reserve), chargers at Y and INC (60 kW).

    HL-1's state of charge: 45 at Y; 39 after TS (5 km empty at 1 kWh/km, 1 kWh to pick up);
    19.25 after INC (15 km half full at 1.25 kWh/km, 1 to unload); 29.25 after 10 min of
    charging at 60 kW; 9.25 at Y (20 km empty). Without the charge it would end at -0.75.
    """
    charger = {"power_kw": 60, "count": 2}
    instance = with_item(instance, "yards", "Y", charger=Charger(**charger))
    instance = with_item(instance, "facilities", "INC", charger=Charger(**charger))
    hl = instance.vehicle_types[1].model_dump(by_alias=True)
    hl["energy"] = {"type": "electric", "empty_per_100km": 100, "full_per_100km": 150,
                    "per_stop": 1.0}  # fmt: skip
    hl["battery"] = {"capacity_kwh": 50}
    instance = instance.model_copy(
        update={"vehicle_types": [instance.vehicle_types[0], VehicleType.model_validate(hl)]}
    )
    stops = list(plan.routes[_route(plan, "HL-1")].stops)
    stops.insert(3, _stop("charge", "INC", "08:20", "08:30").model_copy(update={"charged_kwh": 10}))
    stops[-1] = stops[-1].model_copy(update={"arrive": "09:10", "depart": "09:10"})
    socs = [45.0, 39.0, 19.25, 29.25, 9.25]
    stops = [s.model_copy(update={"soc_kwh": soc}) for s, soc in zip(stops, socs, strict=True)]
    plan = plan.model_copy(update={"cost": plan.cost + 40 * 10 / 60})  # HL-1 home 10 min later
    return instance, with_route(plan, "HL-1", stops=stops, duration_min=115)


def _overcharge(instance: Instance, plan: Plan) -> tuple[Instance, Plan]:
    """15 kWh in 10 min from a 60 kW charger (at most 10, 11 with a minute's tolerance)."""
    instance, plan = _electric(instance, plan)
    plan = with_stop(plan, "HL-1", 3, charged_kwh=15.0, soc_kwh=34.25)
    return instance, with_stop(plan, "HL-1", 4, soc_kwh=14.25)


def _skip_charge(instance: Instance, plan: Plan) -> tuple[Instance, Plan]:
    instance, plan = _electric(instance, plan)
    return instance, _drop_stop(plan, "HL-1", 3)


def _charge_together(instance: Instance, plan: Plan) -> tuple[Instance, Plan]:
    """HL-2 hauls the backlog's 0.5 t and charges at INC 08:15-08:25, while HL-1 charges
    08:20-08:30, at a charger with one plug. HL-2 costs 200 + 40 km x 3 + 125 min at 40 CNY/h
    + 0.5 t x 50;
    its state of charge: 45, 39, 22.625 (15 km at 1.025 kWh/km), 32.625, 12.625."""
    instance, plan = _electric(instance, plan)
    instance = with_item(instance, "facilities", "INC", charger=Charger(power_kw=60, count=1))
    instance = with_item(instance, "vehicle_types", "HL", count=2)
    stops = [
        _stop("start", "Y", "07:00", "07:00"),
        _stop("pickup", "TS", "07:10", "07:20", 0.5, 0.5, 5.0),
        _stop("unload", "INC", "08:00", "08:15", 0.5, 0.0, 15.0),
        _stop("charge", "INC", "08:15", "08:25").model_copy(update={"charged_kwh": 10}),
        _stop("end", "Y", "09:05", "09:05", km=20.0),
    ]
    socs = [45.0, 39.0, 22.625, 32.625, 12.625]
    hl2 = Route(
        vehicle_id="HL-2",
        vehicle_type="HL",
        tier="transfer",
        stream="residual",
        distance_km=40.0,
        duration_min=125,
        stops=[s.model_copy(update={"soc_kwh": soc}) for s, soc in zip(stops, socs, strict=True)],
    )
    cost = plan.cost + 200 + 40 * 3 + 125 * 40 / 60 + 0.5 * 50
    update = {"routes": [*plan.routes, hl2], "backlog": [], "cost": cost}
    return instance, plan.model_copy(update=update)


# One case per violation kind: the valid fixture broken in exactly one way.
SINGLE_KIND_CASES: dict[str, Case] = {
    "unknown_site": _plan_only(
        lambda p: p.model_copy(
            update={"unserved": [*p.unserved, Unserved(point_id="GHOST", tonnes=1, reason="x")]}
        )
    ),
    "unknown_vehicle": _plan_only(lambda p: with_route(p, "CT-2", vehicle_id="CT-7")),
    "duplicate_vehicle": _plan_only(lambda p: with_route(p, "CT-2", vehicle_id="CT-1")),
    "tier": _plan_only(lambda p: with_route(p, "HL-1", tier="collection")),
    "vehicle_stream": _instance_only(
        lambda i: with_item(i, "vehicle_types", "CT", streams=["residual"])
    ),
    "route_shape": _plan_only(lambda p: with_stop(p, "CT-1", 0, action="end")),
    "empty_route": _extra_empty_route,
    "stop_time": _plan_only(lambda p: with_stop(p, "CT-2", 0, arrive="08:10")),
    "shift": _instance_only(
        lambda i: with_item(i, "vehicle_types", "CT", shift=TimeWindow(start="06:00", end="09:30"))
    ),
    "travel": _plan_only(lambda p: with_stop(p, "CT-1", 1, arrive="06:03")),
    "window": _instance_only(
        lambda i: with_item(i, "points", "P2", window=TimeWindow(start="06:00", end="06:10"))
    ),
    "service_time": _plan_only(lambda p: with_stop(p, "CT-1", 1, depart="06:08")),
    "gate": _instance_only(
        lambda i: with_item(i, "facilities", "TS", gate=TimeWindow(start="06:25", end="18:00"))
    ),
    "break": _plan_only(lambda p: with_stop(p, "CT-2", 2, depart="08:43")),
    "action_site": _pickup_at_incinerator,
    "facility_status": _instance_only(lambda i: with_item(i, "facilities", "KC", status="closed")),
    "stream": _instance_only(lambda i: with_item(i, "points", "K2", stream="residual")),
    "tonnes": _plan_only(lambda p: with_stop(p, "CT-1", 1, tonnes=2.5)),
    "load": _plan_only(lambda p: with_stop(p, "CT-1", 1, load_after_t=2.5)),
    "payload": _instance_only(lambda i: with_item(i, "vehicle_types", "CT", payload_t=3)),
    "ends_empty": _plan_only(_skip_kitchen_unload),
    "coverage": _plan_only(lambda p: p.model_copy(update={"unserved": []})),
    "unserved": _plan_only(
        lambda p: p.model_copy(
            update={"unserved": [p.unserved[0].model_copy(update={"tonnes": 2})]}
        )
    ),
    "capacity": _instance_only(
        lambda i: with_item(i, "facilities", "INC", external_inflow_t_per_day=96)
    ),
    "station_balance": _plan_only(_pick_up_more_than_delivered),
    "station_order": _plan_only(_pick_up_too_early),
    "backlog": _plan_only(
        lambda p: p.model_copy(
            update={"backlog": [p.backlog[0].model_copy(update={"tonnes": 0.4})]}
        )
    ),
    "distance": _plan_only(lambda p: with_stop(p, "CT-1", 1, distance_from_prev_km=3.0)),
    "duration": _plan_only(lambda p: with_route(p, "CT-1", duration_min=80)),
    "cost": _plan_only(lambda p: p.model_copy(update={"cost": VALID_COST + 10})),
    # a recovery point for a truck that does not break down in the plan
    "breakdown": lambda i, p: (with_item(i, "points", "P4", left_by="CT-1"), p),
    "soc": _skip_charge,
    "charge": _overcharge,
    "charger_count": _charge_together,
}

# Further breaks of one rule, each reported as exactly the kind named.
MORE_CASES: list[tuple[str, str, Case]] = [
    (
        "route distance",
        "distance",
        _plan_only(lambda p: with_route(p, "CT-2", distance_km=26.0)),
    ),
    ("break missing", "break", _plan_only(lambda p: _drop_stop(p, "CT-1", 5))),
    ("break elsewhere", "break", _plan_only(lambda p: with_stop(p, "CT-1", 5, site_id="TS"))),
    (
        "break out of its window",
        "break",
        _instance_only(
            lambda i: with_item(
                i,
                "vehicle_types",
                "CT",
                break_=Break(window=TimeWindow(start="07:00", end="09:00"), duration_min=30),
            )
        ),
    ),
    ("collected twice", "coverage", _plan_only(lambda p: _unserve_and_keep(p, "P1"))),
    ("backlog missing", "backlog", _plan_only(lambda p: p.model_copy(update={"backlog": []}))),
    (
        "backlog at a plant",
        "backlog",
        _plan_only(
            lambda p: p.model_copy(
                update={"backlog": [*p.backlog, Backlog(facility_id="INC", tonnes=1, reason="x")]}
            )
        ),
    ),
    (
        "unserved without reason",
        "unserved",
        _plan_only(
            lambda p: p.model_copy(
                update={"unserved": [p.unserved[0].model_copy(update={"reason": " "})]}
            )
        ),
    ),
    (
        "kitchen centre refuses kitchen waste",
        "stream",
        _instance_only(lambda i: with_item(i, "facilities", "KC", streams=["recyclable"])),
    ),
    (
        "plant gate not yet open",
        "gate",
        _instance_only(
            lambda i: with_item(i, "facilities", "INC", gate=TimeWindow(start="08:10", end="17:00"))
        ),
    ),
    (
        "kitchen window",
        "window",
        _instance_only(
            lambda i: with_item(i, "points", "K2", window=TimeWindow(start="09:30", end="10:00"))
        ),
    ),
    ("unload leaves cargo", "tonnes", _plan_only(lambda p: with_stop(p, "CT-1", 3, tonnes=3.0))),
    (
        "hook-lift unloads at a transfer station",
        "tier",
        _instance_only(lambda i: with_item(i, "facilities", "INC", kind="transfer_station")),
    ),
]


def _unserve_and_keep(plan: Plan, point_id: str) -> Plan:
    extra = Unserved(point_id=point_id, tonnes=2.0, reason="x")
    return plan.model_copy(update={"unserved": [*plan.unserved, extra]})


def kinds(instance: Instance, plan: Plan) -> set[str]:
    return {v.kind for v in check_plan(instance, plan, make_matrices())}


def test_hand_computed_plan_is_clean():
    assert check_plan(make_instance(), make_plan(), make_matrices()) == []


def test_hand_computed_electric_day_is_clean():
    """The two-trip electric walk of :func:`_electric`, and HL-2 beside it at a two-plug INC."""
    assert check_plan(*_electric(make_instance(), make_plan()), make_matrices()) == []
    instance, plan = _charge_together(make_instance(), make_plan())
    instance = with_item(instance, "facilities", "INC", charger=Charger(power_kw=60, count=2))
    assert check_plan(instance, plan, make_matrices()) == []


def test_skipped_charge_names_the_stop_below_the_reserve():
    violations = check_plan(*_skip_charge(make_instance(), make_plan()), make_matrices())
    below = [v for v in violations if "reserve" in v.message]
    assert [(v.vehicle_id, v.site_id) for v in below] == [("HL-1", "Y")]
    assert "-0.75 kWh" in below[0].message


def test_every_violation_kind_has_a_breaking_case():
    assert set(SINGLE_KIND_CASES) == set(VIOLATION_KINDS)
    assert len(VIOLATION_KINDS) == len(set(VIOLATION_KINDS))


@pytest.mark.parametrize("kind", list(SINGLE_KIND_CASES))
def test_one_break_reports_exactly_its_kind(kind):
    instance, plan = SINGLE_KIND_CASES[kind](make_instance(), make_plan())
    assert kinds(instance, plan) == {kind}


@pytest.mark.parametrize(("label", "kind", "case"), MORE_CASES, ids=[c[0] for c in MORE_CASES])
def test_more_breaks_report_exactly_their_kind(label, kind, case):
    instance, plan = case(make_instance(), make_plan())
    assert kinds(instance, plan) == {kind}


def test_pickup_before_delivery_names_the_truck_and_station():
    instance, plan = SINGLE_KIND_CASES["station_order"](make_instance(), make_plan())
    [violation] = check_plan(instance, plan, make_matrices())
    assert (violation.vehicle_id, violation.site_id) == ("HL-1", "TS")
    assert "07:15" in violation.message


def test_pickup_exactly_when_delivery_is_there_is_clean():
    """Arriving at 07:20, when CT-1's second load has just been dropped, is on time."""
    plan = with_stop(make_plan(), "HL-1", 0, arrive="07:10", depart="07:10")
    plan = with_stop(plan, "HL-1", 1, arrive="07:20")
    plan = with_route(plan, "HL-1", duration_min=110)
    plan = plan.model_copy(update={"cost": VALID_COST + 40 * 5 / 60})
    assert check_plan(make_instance(), plan, make_matrices()) == []


def test_unknown_stop_site_is_reported_not_raised():
    plan = with_stop(make_plan(), "CT-1", 4, site_id="NOWHERE")
    found = kinds(make_instance(), plan)
    assert UNKNOWN_SITE in found
    assert COVERAGE in found  # P3 is no longer collected


def test_site_missing_from_matrices_is_unknown():
    full = make_matrices()
    keep = [i for i, s in enumerate(full.site_ids) if s != "P3"]
    matrices = TravelMatrices(
        [full.site_ids[i] for i in keep],
        full.distance_m[np.ix_(keep, keep)],
        full.duration_s[np.ix_(keep, keep)],
    )
    violations = check_plan(make_instance(), make_plan(), matrices)
    assert {v.kind for v in violations} == {UNKNOWN_SITE}
    assert {v.site_id for v in violations} == {"P3"}


def test_violation_reads_like_a_dispatch_note():
    instance, plan = SINGLE_KIND_CASES["window"](make_instance(), make_plan())
    [violation] = check_plan(instance, plan, make_matrices())
    assert str(violation) == "[window] CT-1 at P2: arrives 06:13 after window end 06:10"
    assert str(Violation(COVERAGE, "missing", site_id="P9")) == "[coverage] P9: missing"


def test_late_arrival_reports_when_the_truck_could_be_there():
    """The break between P3 and TS counts: leaving P3 at 06:40, TS is reached at 07:12."""
    plan = with_stop(make_plan(), "CT-1", 4, depart="06:40")
    [violation] = check_plan(make_instance(), plan, make_matrices())
    assert (violation.kind, violation.site_id) == (TRAVEL, "TS")
    assert "07:12" in violation.message


def test_break_may_not_overlap_a_service():
    plan = with_stop(make_plan(), "CT-2", 2, arrive="08:20", depart="08:50")
    assert kinds(make_instance(), plan) == {BREAK}


def test_station_balance_holds_per_stream():
    """TS, INC and the hook-lift take recyclables too, but TS received only residual waste."""
    both = ["residual", "recyclable"]
    instance = with_item(make_instance(), "facilities", "TS", streams=both)
    instance = with_item(instance, "facilities", "INC", streams=both)
    instance = with_item(instance, "vehicle_types", "HL", streams=both)
    assert check_plan(instance, make_plan(), make_matrices()) == []
    plan = with_route(make_plan(), "HL-1", stream="recyclable")
    violations = check_plan(instance, plan, make_matrices())
    [balance] = [v for v in violations if v.kind == STATION_BALANCE]
    assert balance.site_id == "TS" and "'recyclable'" in balance.message
    # the residual 5.5 t now all stay at TS, so the stated 0.5 t backlog is wrong too
    assert {(v.kind, v.site_id) for v in violations} == {(STATION_BALANCE, "TS"), (BACKLOG, "TS")}


def test_compactor_may_not_pick_up_containers():
    plan = with_stop(make_plan(), "CT-1", 3, action="pickup", tonnes=0.1, load_after_t=3.6)
    tier = [v for v in check_plan(make_instance(), plan, make_matrices()) if v.kind == TIER]
    assert [(v.vehicle_id, v.site_id) for v in tier] == [("CT-1", "TS")]


def test_unreadable_clock_is_a_violation():
    plan = with_stop(make_plan(), "CT-1", 2, arrive="6h13")
    assert "stop_time" in kinds(make_instance(), plan)


def test_plan_with_window_break_and_travel_combined_reports_each():
    instance = with_item(
        make_instance(), "points", "P2", window=TimeWindow(start="06:00", end="06:10")
    )
    plan = with_stop(make_plan(), "CT-1", 1, arrive="06:03")
    plan = with_stop(plan, "CT-2", 2, depart="08:43")
    assert kinds(instance, plan) == {WINDOW, TRAVEL, BREAK}


# --- robustness: any parseable plan is checked, never crashes --------------------------------

_IDS = [*POS, "GHOST"]
_CLOCKS = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 30), st.integers(0, 59))
_FIELDS = {
    "action": st.sampled_from(["start", "collect", "unload", "pickup", "break", "end"]),
    "site_id": st.sampled_from(_IDS),
    "arrive": _CLOCKS,
    "depart": _CLOCKS,
    "tonnes": st.floats(-2, 12, allow_nan=False),
    "load_after_t": st.floats(-2, 12, allow_nan=False),
    "distance_from_prev_km": st.floats(0, 50, allow_nan=False),
}
_ROUTE_FIELDS = {
    "vehicle_id": st.sampled_from(["CT-1", "CT-2", "CT-3", "HL-1", "X-1"]),
    "vehicle_type": st.sampled_from(["CT", "HL", "X"]),
    "tier": st.sampled_from(["collection", "transfer"]),
    "stream": st.sampled_from(["residual", "kitchen", "recyclable"]),
}
_EDIT = st.tuples(
    st.sampled_from(["set", "drop", "copy", "drop_route", "set_route"]),
    st.integers(0, 20),
    st.integers(0, 20),
    st.sampled_from(sorted(_FIELDS)),
    st.data(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_EDIT, min_size=1, max_size=5))
def test_checker_never_raises_on_a_parseable_plan(edits):
    data = make_plan().model_dump(mode="json", by_alias=True)
    for op, r, s, name, draw in edits:
        routes = data["routes"]
        if not routes:
            break
        route = routes[r % len(routes)]
        stops = route["stops"]
        if op == "drop_route":
            routes.remove(route)
        elif op == "set_route":
            field = sorted(_ROUTE_FIELDS)[s % len(_ROUTE_FIELDS)]
            route[field] = draw.draw(_ROUTE_FIELDS[field])
        elif op == "drop" and stops:
            stops.pop(s % len(stops))
        elif op == "copy" and stops:
            stops.insert(s % len(stops), dict(stops[s % len(stops)]))
        elif op == "set" and stops:
            stops[s % len(stops)][name] = draw.draw(_FIELDS[name])
    plan = Plan.model_validate(data)
    violations = check_plan(make_instance(), plan, make_matrices())
    assert all(v.kind in VIOLATION_KINDS for v in violations)


@pytest.mark.parametrize(
    ("closes", "reported"), [("08:10", True), ("08:18", True), ("08:20", False), ("17:00", False)]
)
def test_a_truck_still_unloading_when_the_gate_closes_is_reported(closes, reported):
    """HL-1 is at INC from 08:05 to 08:20 (by hand): a gate closing before it leaves (more
    than the minute of clock rounding) is a gate violation, one closing at 08:20 is not."""
    instance = with_item(
        make_instance(), "facilities", "INC", gate=TimeWindow(start="08:00", end=closes)
    )
    gate = [v for v in check_plan(instance, make_plan(), make_matrices()) if v.kind == "gate"]
    assert [(v.vehicle_id, v.site_id) for v in gate] == ([("HL-1", "INC")] if reported else [])
    assert all("after the gate closes" in v.message for v in gate)
