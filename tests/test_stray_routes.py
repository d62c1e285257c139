"""The Daoxian benchmark's stray routes (issue 15's definition), on hand-made routes."""

from __future__ import annotations

import pytest

from benchmarks.daoxian import stray_routes
from wasteopt.model import Instance, Plan, Route, Stop, TravelMatrices, Yard
from wasteopt.planning import resolve_provider


def _with_yards(example: Instance) -> Instance:
    """``example`` with two more yards, each with one kitchen truck like KT2: "north" 2.4 km
    from the kitchen points, "plant" beside the kitchen-waste centre, 14 km from them (great
    circle x 1.35)."""
    kitchen = next(vt for vt in example.vehicle_types if "kitchen" in vt.streams)
    yards = [
        Yard(id="north", name="north", lon=111.600, lat=25.550),
        Yard(id="plant", name="plant", lon=111.661, lat=25.451),
    ]
    trucks = [
        kitchen.model_copy(update={"id": f"K-{yard.id}", "yard": yard.id, "count": 1})
        for yard in yards
    ]
    return example.model_copy(
        update={
            "yards": [*example.yards, *yards],
            "vehicle_types": [*example.vehicle_types, *trucks],
        }
    )


def _route(
    matrices: TravelMatrices, vehicle_type: str, visits: list[tuple[str, str, str]]
) -> Route:
    """A route of ``vehicle_type`` through ``visits`` (action, site, arrival clock), its
    kilometres from ``matrices``; each collect takes one tonne, an unload empties the truck."""
    index = matrices.index()
    stops, load, previous = [], 0.0, None
    for action, site, clock in visits:
        km = 0.0 if previous is None else matrices.distance_m[index[previous], index[site]] / 1000
        load = load + 1.0 if action == "collect" else 0.0
        stops.append(
            Stop(
                action=action,
                site_id=site,
                arrive=clock,
                depart=clock,
                tonnes=1.0 if action in ("collect", "unload") else 0.0,
                load_after_t=load,
                distance_from_prev_km=km,
            )
        )
        previous = site
    return Route(
        vehicle_id=f"{vehicle_type}-1",
        vehicle_type=vehicle_type,
        stream="kitchen",
        stops=stops,
        distance_km=sum(s.distance_from_prev_km for s in stops),
        duration_min=0.0,
    )


@pytest.fixture
def county(example, tmp_path) -> tuple[Instance, TravelMatrices]:
    instance = _with_yards(example)
    matrices = resolve_provider(instance, tmp_path, None, None).matrices(instance.sites)
    return instance, matrices


def _plan(instance: Instance, matrices: TravelMatrices, *routes: Route) -> Plan:
    """A plan of ``routes`` in which the example's own kitchen truck (KT2, at Y1 beside the
    kitchen points) is busy."""
    kt2 = _route(
        matrices,
        "KT2",
        [("start", "Y1", "12:00"), ("collect", "K4", "13:00"), ("end", "Y1", "14:00")],
    )
    return Plan(instance_name=instance.name, routes=[*routes, kt2])


def _from_north(matrices: TravelMatrices, last_arrival: str) -> Route:
    """The north truck: two kitchen points, the kitchen-waste centre, home."""
    visits = [
        ("start", "north", "12:00"),
        ("collect", "K1", "12:05"),
        ("collect", "K2", last_arrival),
        ("unload", "KC", "15:45"),
        ("end", "north", "16:20"),
    ]
    return _route(matrices, "K-north", visits)


def test_a_route_whose_day_is_mostly_the_drive_out_and_back_is_a_stray_beside_an_idle_truck(
    county,
):
    instance, matrices = county
    route = _from_north(matrices, "13:20")
    # the plant yard's truck would drive less out and back: it is next to the centre
    plan = _plan(instance, matrices, route)
    assert stray_routes(instance, plan, matrices) == [route.vehicle_id]
    # ... and for less, as the route stands: the same truck, fewer kilometres, windows met
    assert stray_routes(instance, plan, matrices, True) == [route.vehicle_id]


def test_an_idle_truck_that_would_miss_a_window_would_not_drive_it_for_less(county):
    instance, matrices = county
    # the plant yard's truck leaves at noon too but is 14 km from K1, not 2.4: with K2 reached
    # at 15:20, it would arrive after K2's window closes at 15:30
    route = _from_north(matrices, "15:20")
    assert stray_routes(instance, _plan(instance, matrices, route), matrices) == [route.vehicle_id]
    assert stray_routes(instance, _plan(instance, matrices, route), matrices, True) == []


def test_no_stray_without_an_idle_truck_of_the_stream_whose_shift_covers_the_route(county):
    instance, matrices = county
    route = _from_north(matrices, "13:20")
    busy = _route(
        matrices,
        "K-plant",
        [("start", "plant", "12:00"), ("collect", "K3", "13:00"), ("end", "plant", "14:00")],
    )
    assert stray_routes(instance, _plan(instance, matrices, route, busy), matrices) == []
    late_shift = [
        vt.model_copy(update={"shift": vt.shift.model_copy(update={"start": "13:00"})})
        if vt.id == "K-plant"
        else vt
        for vt in instance.vehicle_types
    ]
    later = instance.model_copy(update={"vehicle_types": late_shift})
    assert stray_routes(later, _plan(later, matrices, route), matrices) == []
