"""Re-planning during the day: the state at a clock time, events, the re-planned rest, the diff.

Every re-plan here is a whole-day plan that ``replan_day`` has already passed through the
independent checker (it raises otherwise); the tests state what a dispatcher relies on beyond
that. Searches use solution limits, so each run gives one plan.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from test_soc import _stop, make_matrices
from test_tariff_routing import PEAK as TARIFF_PEAK
from test_tariff_routing import TOU as TARIFF
from test_tariff_routing import _instance as tariff_instance

import wasteopt.replan.replan as replan_module
from wasteopt.charging import charge_premium, charging_figures
from wasteopt.check import BREAKDOWN, check_plan
from wasteopt.cli import main
from wasteopt.errors import InstanceError
from wasteopt.io import load_instance
from wasteopt.matrix import ExplicitMatrixProvider, great_circle_m
from wasteopt.model import (
    Instance,
    Plan,
    Route,
    TravelMatrices,
    clock_to_seconds,
    seconds_to_clock,
)
from wasteopt.network import RoadNetworkProvider, load_provider
from wasteopt.planning import PlanOptions, plan_day, resolve_provider
from wasteopt.replan import (
    Actuals,
    ReplanOptions,
    ReplanResult,
    build_day,
    events_from_data,
    load_actuals,
    load_events,
    replan_day,
)
from wasteopt.replan.day import recovery_point_id

SMALL = Path(__file__).parents[1] / "instances" / "examples" / "small.json"
OPTIONS = ReplanOptions(time_limit_s=5, solution_limit=5)
MORNING = PlanOptions(time_limit_s=5, solution_limit=5)


@pytest.fixture(scope="module")
def small() -> Instance:
    return load_instance(SMALL)


@pytest.fixture(scope="module")
def morning(small: Instance) -> Plan:
    return plan_day(small, resolve_provider(small), MORNING)


def replan(
    instance: Instance,
    plan: Plan,
    at: str,
    events: list[dict],
    actuals: Actuals | None = None,
    options: ReplanOptions = OPTIONS,
    provider=None,
) -> ReplanResult:
    day = build_day(instance, plan, clock_to_seconds(at), events_from_data(events), actuals)
    return replan_day(instance, plan, day, provider or resolve_provider(instance), options)


def busiest(plan: Plan) -> Route:
    collection = [r for r in plan.routes if r.tier == "collection"]
    return max(collection, key=lambda r: sum(s.action == "collect" for s in r.stops))


def loaded_moment(route: Route) -> tuple[int, str]:
    """A stop after which the truck is loaded and collects again next, and when it leaves."""
    stops = route.stops
    k = max(
        i
        for i in range(1, len(stops) - 1)
        if stops[i].action == "collect" and stops[i + 1].action == "collect"
    )
    return k, stops[k].depart


def routes_of(plan: Plan) -> dict[str, Route]:
    return {r.vehicle_id: r for r in plan.routes}


def frozen_prefixes_kept(before: Plan, after: Plan, at_s: int) -> None:
    """Every stop reached by ``at_s`` is in the re-plan byte for byte, at the same place."""
    new = routes_of(after)
    for route in before.routes:
        reached = [s for s in route.stops if clock_to_seconds(s.arrive) <= at_s]
        if reached:
            kept = new[route.vehicle_id].stops[: len(reached)]
            assert [s.model_dump_json() for s in kept] == [s.model_dump_json() for s in reached]


def test_breakdown_freezes_the_day_so_far_and_its_load_is_recovered_or_reported(small, morning):
    route = busiest(morning)
    k, at = loaded_moment(route)
    result = replan(small, morning, at, [{"type": "breakdown", "vehicle": route.vehicle_id}])
    frozen_prefixes_kept(morning, result.plan, clock_to_seconds(at))
    broken = routes_of(result.plan)[route.vehicle_id]
    assert broken.stops[:-1] == route.stops[: k + 1]
    last = broken.stops[-1]
    assert (last.action, last.site_id, last.arrive) == ("breakdown", route.stops[k].site_id, at)
    assert last.tonnes == pytest.approx(route.stops[k].load_after_t) and last.tonnes > 0
    assert all(clock_to_seconds(s.arrive) <= clock_to_seconds(at) for s in broken.stops)
    recovery = recovery_point_id(route.vehicle_id)
    collectors = [
        (r.vehicle_id, s)
        for r in result.plan.routes
        for s in r.stops
        if s.action == "collect" and s.site_id == recovery
    ]
    reasons = [u.reason for u in result.plan.unserved if u.point_id == recovery]
    assert len(collectors) + len(reasons) == 1
    if collectors:
        vehicle, stop = collectors[0]
        assert vehicle != route.vehicle_id and clock_to_seconds(stop.arrive) >= clock_to_seconds(at)
    else:
        assert reasons[0].strip()
    # everything the broken truck had still to do is someone else's now, or reported
    rest = {s.site_id for s in route.stops[k + 1 :] if s.action == "collect"}
    served = {s.site_id for r in result.plan.routes for s in r.stops if s.action == "collect"}
    assert rest <= served | {u.point_id for u in result.plan.unserved}
    assert check_plan(result.instance, result.plan, result.matrices) == []


def test_the_checker_holds_a_breakdown_to_its_load(small, morning):
    route = busiest(morning)
    _, at = loaded_moment(route)
    result = replan(small, morning, at, [{"type": "breakdown", "vehicle": route.vehicle_id}])
    routes = list(result.plan.routes)
    k = next(i for i, r in enumerate(routes) if r.vehicle_id == route.vehicle_id)
    stops = list(routes[k].stops)
    stops[-1] = stops[-1].model_copy(update={"tonnes": stops[-1].tonnes + 0.5})
    routes[k] = routes[k].model_copy(update={"stops": stops})
    wrong = check_plan(
        result.instance, result.plan.model_copy(update={"routes": routes}), result.matrices
    )
    assert {v.kind for v in wrong} == {BREAKDOWN}
    early = [
        p.model_copy(update={"window": None}) if p.left_by else p for p in result.instance.points
    ]
    instance = result.instance.model_copy(update={"points": early})
    assert BREAKDOWN in {v.kind for v in check_plan(instance, result.plan, result.matrices)}


def test_an_extra_pickup_is_served_or_reported(small, morning):
    extra = {
        "id": "canteen",
        "name": "学校食堂",
        "lon": 111.599,
        "lat": 25.522,
        "stream": "kitchen",
        "tonnes_per_day": 0.5,
        "window": {"start": "13:00", "end": "15:00"},
    }
    result = replan(small, morning, "10:30", [{"type": "point_added", "point": extra}])
    served = [
        s
        for r in result.plan.routes
        for s in r.stops
        if s.action == "collect" and s.site_id == "canteen"
    ]
    unserved = [u for u in result.plan.unserved if u.point_id == "canteen"]
    assert len(served) + len(unserved) == 1
    assert [c.point_id for c in result.diff.added] == (["canteen"] if served else [])


def test_no_events_with_stability_changes_nothing(small, morning):
    result = replan(small, morning, "10:30", [])
    assert result.kept and result.plan.routes == morning.routes
    assert result.diff.affected == [] and result.diff.moved == []
    assert result.plan.cost == morning.cost


def test_without_stability_the_day_so_far_still_stands(small, morning):
    options = ReplanOptions(time_limit_s=5, solution_limit=5, move_penalty=0)
    result = replan(small, morning, "10:30", [], options=options)
    assert not result.kept
    frozen_prefixes_kept(morning, result.plan, clock_to_seconds("10:30"))


def test_intake_before_the_time_counts_against_the_capacity(small, morning):
    at = "10:30"
    day = build_day(small, morning, clock_to_seconds(at), [])
    before = day.state.intake_t["TS1"]
    done = [s for v in day.state.vehicles.values() for s in v.done]
    assert before > 0
    assert before == pytest.approx(
        sum(s.tonnes for s in done if s.action == "unload" and s.site_id == "TS1")
    )
    tight = small.model_copy(
        update={
            "facilities": [
                f.model_copy(update={"capacity_t_per_day": before + 1.0}) if f.id == "TS1" else f
                for f in small.facilities
            ]
        }
    )
    result = replan(tight, morning, at, [])
    after = sum(
        s.tonnes
        for r in result.plan.routes
        for s in r.stops[len(day.state.vehicles[r.vehicle_id].done) :]
        if s.action == "unload" and s.site_id == "TS1"
    )
    assert after <= 1.0 + 1e-6
    assert check_plan(tight, result.plan, result.matrices) == []


def test_a_withdrawn_truck_unloads_and_goes_home(small, morning):
    route = busiest(morning)
    _, at = loaded_moment(route)
    events = [{"type": "truck_withdrawn", "vehicle": route.vehicle_id}]
    state = build_day(small, morning, clock_to_seconds(at), events_from_data(events)).state
    truck = state.vehicles[route.vehicle_id]
    result = replan(small, morning, at, events)
    rest = routes_of(result.plan)[route.vehicle_id].stops[len(truck.done) :]
    assert [s.action for s in rest if s.action != "break"] == ["unload", "end"]
    unload = next(s for s in rest if s.action == "unload")
    assert truck.load_t > 0 and unload.tonnes == pytest.approx(truck.load_t)


def test_facility_closed_and_gate_delayed(small, morning):
    at = "10:30"
    events = [
        {"type": "facility_closed", "facility": "TS1"},
        {"type": "gate_delayed", "facility": "INC", "opens": "11:30"},
        {"type": "truck_added", "vehicle_type": "CT3", "ready": "11:00"},
    ]
    state = build_day(small, morning, clock_to_seconds(at), events_from_data(events)).state
    result = replan(small, morning, at, events)
    for route in result.plan.routes:
        done = len(state.vehicles[route.vehicle_id].done)
        after = {s.site_id for s in route.stops[done:] if s.action != "break"}
        assert "TS1" not in after  # closed once the trucks there are done
        for stop in route.stops:
            if stop.site_id == "INC" and stop.action in ("unload", "pickup"):
                assert clock_to_seconds(stop.arrive) >= clock_to_seconds("11:30")
    added = routes_of(result.plan).get("CT3-4")
    assert added is None or clock_to_seconds(added.stops[0].depart) >= clock_to_seconds("11:00")


def test_reported_times_replace_the_plans(small, morning):
    route = busiest(morning)
    k, at = loaded_moment(route)
    late = [
        {
            "site": s.site_id,
            "arrive": seconds_to_clock(clock_to_seconds(s.arrive) + (600 if i else 0)),
            "depart": seconds_to_clock(clock_to_seconds(s.depart) + (600 if i else 0)),
        }
        for i, s in enumerate(route.stops[:k])
    ]
    actuals = Actuals.model_validate({"vehicles": {route.vehicle_id: late}})
    at = seconds_to_clock(clock_to_seconds(at) + 600)
    result = replan(small, morning, at, [], actuals)
    new = routes_of(result.plan)[route.vehicle_id]
    assert [(s.arrive, s.depart) for s in new.stops[1:k]] == [
        (a["arrive"], a["depart"]) for a in late[1:]
    ]
    assert not result.kept


def between_stops(instance: Instance, route: Route) -> tuple[int, str, dict]:
    """The stop before the route's longest leg from a collect to a collect, a time just past
    halfway along that leg and the truck's position then: halfway between the two points."""
    matrices = resolve_provider(instance).matrices(instance.sites)
    rows = matrices.index()
    stops = route.stops

    def leg_s(i: int) -> int:
        return int(matrices.duration_s[rows[stops[i].site_id], rows[stops[i + 1].site_id]])

    k = max(
        (
            i
            for i in range(1, len(stops) - 1)
            if stops[i].action == stops[i + 1].action == "collect"
        ),
        key=leg_s,
    )
    at = seconds_to_clock(clock_to_seconds(stops[k].depart) + leg_s(k) // 2 + 120)
    assert clock_to_seconds(at) < clock_to_seconds(stops[k + 1].arrive)
    sites = {site.id: site for site in instance.sites}
    a, b = sites[stops[k].site_id], sites[stops[k + 1].site_id]
    return k, at, {"lon": (a.lon + b.lon) / 2, "lat": (a.lat + b.lat) / 2}


def test_a_truck_reported_between_stops_starts_its_rest_there(small, morning):
    """Its done stops stay, a position stop follows at the re-plan time with the load it
    reports, and its next leg is measured from there; a report the roads cannot explain (it
    could not be there yet) is refused."""
    route = busiest(morning)
    k, at, here = between_stops(small, route)
    reported = {"positions": {route.vehicle_id: {**here, "time": at, "load_t": 1.25}}}
    result = replan(small, morning, at, [], Actuals.model_validate(reported))
    site = f"{route.vehicle_id}@{at}"
    yard = next(y for y in result.instance.yards if y.id == site)
    assert (yard.lon, yard.lat) == (here["lon"], here["lat"])
    new = routes_of(result.plan)[route.vehicle_id]
    assert new.stops[: k + 1] == route.stops[: k + 1]
    position = new.stops[k + 1]
    assert (position.action, position.site_id, position.arrive) == ("position", site, at)
    assert position.load_after_t == 1.25
    rows = result.matrices.index()
    after = [s for s in new.stops[k + 2 :] if s.action != "break"]
    metres = result.matrices.distance_m[rows[site], rows[after[0].site_id]]
    assert after[0].distance_from_prev_km == pytest.approx(metres / 1000, abs=0.001)
    first_unload = next(s for s in after if s.action == "unload")
    collected = sum(s.tonnes for s in after[: after.index(first_unload)])
    assert first_unload.tonnes == pytest.approx(1.25 + collected)
    too_soon = seconds_to_clock(clock_to_seconds(route.stops[k].depart) + 60)
    far_away = {route.vehicle_id: {**here, "lon": here["lon"] + 0.2}}
    with pytest.raises(InstanceError) as error:
        replan(small, morning, too_soon, [], Actuals.model_validate({"positions": far_away}))
    [(where, message)] = error.value.problems
    assert where == f"actual.positions.{route.vehicle_id}" and "at the earliest" in message


@pytest.mark.parametrize(
    ("truck", "change", "where", "words"),
    [
        ("CT9-1", {}, "actual.positions.CT9-1", "unknown truck"),
        (None, {"lon": 118.0}, "actual.positions.{truck}", "km from the middle of the points"),
        (None, {"time": "10:00"}, "actual.positions.{truck}.time", "not the re-plan time"),
        (None, {"load_t": 30}, "actual.positions.{truck}.load_t", "payload"),
        ("KT2-1", {}, "actual.positions.KT2-1", "at its yard"),
    ],
)
def test_each_bad_position_is_named(small, morning, truck, change, where, words):
    route = busiest(morning)
    _, at, here = between_stops(small, route)
    truck = truck or route.vehicle_id
    reported = Actuals.model_validate({"positions": {truck: {**here, **change}}})
    with pytest.raises(InstanceError) as error:
        build_day(small, morning, clock_to_seconds(at), [], reported)
    [(loc, message)] = error.value.problems
    assert loc == where.format(truck=truck) and words in message


def test_a_truck_at_a_stop_is_not_reported_on_the_road(small, morning):
    route = busiest(morning)
    _, _, here = between_stops(small, route)
    at_a_stop = clock_to_seconds(route.stops[1].arrive) + 60
    reported = Actuals.model_validate({"positions": {route.vehicle_id: here}})
    with pytest.raises(InstanceError) as error:
        build_day(small, morning, at_a_stop, [], reported)
    [(loc, message)] = error.value.problems
    assert loc == f"actual.positions.{route.vehicle_id}" and "report the stops" in message


@pytest.mark.parametrize(
    ("event", "where", "words"),
    [
        ({"type": "breakdown", "vehicle": "CT9-1"}, "events[0].vehicle", "unknown truck"),
        (
            {"type": "breakdown", "vehicle": "CT3-1", "time": "23:30"},
            "events[0].time",
            "outside the day",
        ),
        ({"type": "point_cancelled", "point": "FIRST"}, "events[0].point", "already collected"),
        ({"type": "tonnes_changed", "point": "NOPE", "tonnes": 1}, "events[0].point", "unknown"),
        ({"type": "gate_delayed", "facility": "NOPE", "opens": "09:00"}, "events[0].facility", ""),
    ],
)
def test_each_bad_event_is_named(small, morning, event, where, words):
    if event.get("point") == "FIRST":
        first = next(s for s in busiest(morning).stops if s.action == "collect")
        event = {**event, "point": first.site_id}
    with pytest.raises(InstanceError) as error:
        build_day(small, morning, clock_to_seconds("10:30"), events_from_data([event]))
    [(loc, message)] = error.value.problems
    assert loc == where and words in message


def test_malformed_events_name_the_field():
    with pytest.raises(InstanceError) as error:
        events_from_data([{"type": "road_slowed", "between": ["A", "B"], "factor": 0.5}])
    assert error.value.problems[0][0] == "events[0].factor"


def test_cli_writes_the_changed_trucks_sheets_and_refuses_bad_events(
    small, morning, tmp_path, capsys
):
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(morning.model_dump_json(), encoding="utf-8")
    route = busiest(morning)
    events = tmp_path / "events.json"
    events.write_text(json.dumps([{"type": "breakdown", "vehicle": route.vehicle_id}]))
    args = [
        "replan", str(plan_path), "--at", "10:30", "--events", str(events),
        "--instance", str(SMALL), "--solution-limit", "5", "--time-limit", "5",
    ]  # fmt: skip
    out = tmp_path / "out"
    assert main([*args, "--out", str(out)]) == 0
    diff = json.loads((out / "diff.json").read_text(encoding="utf-8"))
    sheets = sorted(p.stem for p in (out / "sheets").glob("*.csv"))
    assert sheets == sorted(diff["affected"]) and route.vehicle_id in sheets
    assert main(["check", str(out / "instance.json"), str(out / "plan.json")]) == 0
    everything = tmp_path / "all"
    assert main([*args, "--out", str(everything), "--all-sheets", "--lang", "en"]) == 0
    routes = json.loads((everything / "plan.json").read_text(encoding="utf-8"))["routes"]
    written = sorted(p.stem for p in (everything / "sheets").glob("*.csv"))
    assert written == sorted(r["vehicle_id"] for r in routes)
    chinese = (out / "sheets" / f"{route.vehicle_id}.csv").read_text(encoding="utf-8-sig")
    english = (everything / "sheets" / f"{route.vehicle_id}.csv").read_text(encoding="utf-8-sig")
    assert chinese.startswith(f"车辆,{route.vehicle_id},{route.vehicle_type},日期,{morning.date}")
    assert english.startswith("Vehicle,") and "\nNote," in english  # with the plan's caveats
    capsys.readouterr()
    first = next(s for s in route.stops if s.action == "collect")
    bad = tmp_path / "bad"
    for event, words in (
        ({"type": "breakdown", "vehicle": "CT9-9"}, ("events[0].vehicle", "CT9-9")),
        ({"type": "breakdown", "vehicle": "CT3-1", "time": "23:30"}, ("events[0].time",)),
        ({"type": "point_cancelled", "point": first.site_id}, ("events[0].point", "collected")),
    ):
        events.write_text(json.dumps([event]))
        assert main([*args, "--out", str(bad)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and all(word in err[0] for word in words)
        assert not bad.exists()
    actual = tmp_path / "actual.json"
    actual.write_text(json.dumps({"positions": {"CT9-9": {"lon": 111.6, "lat": 25.5}}}))
    events.write_text("[]")
    assert main([*args, "--actual", str(actual), "--out", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "actual.positions.CT9-9" in err[0] and not bad.exists()
    # the re-plan is re-planned: its own instance.json is found beside it
    extra = {"id": "canteen", "lon": 111.6, "lat": 25.52, "stream": "kitchen", "tonnes_per_day": 1}
    events.write_text(json.dumps([{"type": "point_added", "point": extra}]))
    again = [
        "replan", str(out / "plan.json"), "--events", str(events), "--solution-limit", "5",
        "--time-limit", "5",
    ]  # fmt: skip
    later = tmp_path / "later"
    assert main([*again, "--at", "12:00", "--out", str(later)]) == 0
    plan = json.loads((later / "plan.json").read_text(encoding="utf-8"))
    assert [step["at"] for step in plan["replans"]] == ["10:30", "12:00"]
    assert main(["check", str(later / "instance.json"), str(later / "plan.json")]) == 0
    capsys.readouterr()
    assert main([*again, "--at", "10:00", "--out", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "before 10:30" in err[0] and not bad.exists()


# --- a closed road, on a small road graph of straight roads between every pair of sites -----


def complete_graph(instance: Instance) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    sites = instance.sites
    for n, site in enumerate(sites):
        graph.add_node(n, x=site.lon, y=site.lat)
    for a, one in enumerate(sites):
        for b, other in enumerate(sites):
            if a != b:
                metres = float(
                    great_circle_m(
                        np.array([one.lon]), np.array([one.lat]), np.array([other.lon]),
                        np.array([other.lat]),
                    )[0]
                )  # fmt: skip
                graph.add_edge(a, b, length=max(metres, 1.0), highway="secondary")
    return graph


def graphml(instance: Instance, tmp_path: Path) -> Path:
    """:func:`complete_graph` written as OSM's GraphML is (every attribute a string)."""
    roads = complete_graph(instance)
    for *_, data in [*roads.nodes(data=True), *roads.edges(data=True)]:
        data.update({key: str(value) for key, value in data.items()})
    graph = tmp_path / "roads.graphml"
    nx.write_graphml(roads, graph)
    return graph


def test_a_closed_road_is_not_used_after_the_time(small, tmp_path, capsys):
    graph = graphml(small, tmp_path)
    provider = load_provider(graph, cache_dir=tmp_path)
    morning = plan_day(small, provider, MORNING)
    at = "10:30"
    events = [{"type": "road_closed", "between": ["TS1", "Y1"]}]
    result = replan(small, morning, at, events, provider=provider)
    before = provider.matrices(result.instance.sites)
    rows = result.matrices.index()
    ts1, y1 = rows["TS1"], rows["Y1"]
    assert result.matrices.distance_m[ts1, y1] > before.distance_m[ts1, y1]
    legs_after = [
        (a.site_id, b.site_id, b.distance_from_prev_km)
        for r in result.plan.routes
        for a, b in zip(r.stops, r.stops[1:], strict=False)
        if b.action != "break" and clock_to_seconds(a.depart) > clock_to_seconds(at)
    ]
    between = [km for o, d, km in legs_after if {o, d} == {"TS1", "Y1"}]
    direct = before.distance_m[ts1, y1] / 1000
    assert between and all(km > direct + 0.001 for km in between)  # the way round
    assert (
        check_plan(result.instance, result.plan, result.matrices, [(clock_to_seconds(at), before)])
        == []
    )
    # the re-plan records its road events: `wasteopt check` holds each leg to its time's roads
    out = tmp_path / "out"
    plan, closure = tmp_path / "plan.json", tmp_path / "events.json"
    plan.write_text(morning.model_dump_json(), encoding="utf-8")
    closure.write_text(json.dumps(events), encoding="utf-8")
    args = [
        "replan", str(plan), "--at", at, "--events", str(closure), "--instance", str(SMALL),
        "--graph", str(graph), "--solution-limit", "5", "--out", str(out),
    ]  # fmt: skip
    assert main(args) == 0
    capsys.readouterr()
    checked = main(["check", str(out / "instance.json"), str(out / "plan.json")])
    assert checked == 0, capsys.readouterr().out


def test_check_holds_a_replan_to_the_speeds_it_was_made_with(small, tmp_path, capsys):
    """A re-plan records no provenance: `wasteopt check --speeds` gives its truck speeds."""
    graph = graphml(small, tmp_path)
    speeds = tmp_path / "speeds.json"
    speeds.write_text(json.dumps({"secondary": 60}), encoding="utf-8")
    morning = plan_day(small, load_provider(graph, speeds={"secondary": 60}), MORNING)
    plan, events, out = tmp_path / "plan.json", tmp_path / "events.json", tmp_path / "out"
    plan.write_text(morning.model_dump_json(), encoding="utf-8")
    events.write_text(json.dumps([{"type": "breakdown", "vehicle": busiest(morning).vehicle_id}]))
    assert main([
        "replan", str(plan), "--at", "10:30", "--events", str(events), "--instance", str(SMALL),
        "--graph", str(graph), "--speeds", str(speeds), "--solution-limit", "5",
        "--out", str(out),
    ]) == 0  # fmt: skip
    files = [str(out / "instance.json"), str(out / "plan.json")]
    capsys.readouterr()
    assert main(["check", *files]) == 1  # at the default 40 km/h its legs take longer
    assert "travel" in capsys.readouterr().out
    assert main(["check", *files, "--speeds", str(speeds)]) == 0


def station_stock(plan: Plan, stations: set[str]) -> dict[str, float]:
    """Tonnes each station received over the day less what was hauled from it."""
    stock = dict.fromkeys(stations, 0.0)
    for route in plan.routes:
        for stop in route.stops:
            if stop.site_id in stations and stop.action in ("unload", "pickup"):
                stock[stop.site_id] += stop.tonnes if stop.action == "unload" else -stop.tonnes
    return stock


def test_what_the_stations_receive_is_hauled_or_reported(small, morning, monkeypatch):
    """The transfer tier hauls what the frozen prefix and the new collection rest deliver,
    even when its first search ends a route loaded (a last trip the core prices softly and
    the re-plan cuts): it searches again from that plan while containers are left."""
    solve = replan_module.solve_model
    spoiled: list[str] = []

    def first_ends_loaded(problem, *args, **kwargs):
        raw = solve(problem, *args, **kwargs)
        if problem.tier != "transfer" or spoiled or raw is None:
            return raw
        k, route = max(enumerate(raw.routes), key=lambda kr: len(kr[1].visits))
        spoiled.append(route.visits[-2].ref)
        routes = list(raw.routes)
        routes[k] = replace(route, visits=route.visits[:-1])  # its last unload left out
        return replace(raw, routes=routes)

    monkeypatch.setattr(replan_module, "solve_model", first_ends_loaded)
    route = busiest(morning)
    _, at = loaded_moment(route)
    result = replan(small, morning, at, [{"type": "breakdown", "vehicle": route.vehicle_id}])
    assert spoiled, "no transfer rest was searched"
    stations = {f.id for f in small.facilities if f.kind == "transfer_station"}
    backlog = {b.facility_id: b for b in result.plan.backlog}
    for station, tonnes in station_stock(result.plan, stations).items():
        assert tonnes == pytest.approx(backlog[station].tonnes if station in backlog else 0.0)
        assert station not in backlog or backlog[station].reason.strip()
    assert not morning.backlog and not result.plan.backlog  # the morning hauls it all: so here


def test_a_replan_is_replanned_with_its_frozen_stops_and_roads(small, tmp_path):
    """A re-plan of a re-plan keeps every stop done by the later time, the truck that broke
    down earlier stays where it stopped, and the road closed earlier stays closed."""
    provider = RoadNetworkProvider(complete_graph(small), cache_dir=tmp_path)
    morning = plan_day(small, provider, MORNING)
    route = busiest(morning)
    _, first = loaded_moment(route)
    closed = {"type": "road_closed", "between": ["TS1", "Y1"]}
    events = [{"type": "breakdown", "vehicle": route.vehicle_id}, closed]
    one = replan(small, morning, first, events, provider=provider)
    second = seconds_to_clock(clock_to_seconds(first) + 3600)
    extra = {"id": "canteen", "lon": 111.599, "lat": 25.522, "stream": "kitchen"}
    added = [{"type": "point_added", "point": {**extra, "tonnes_per_day": 0.4}}]
    two = replan(one.instance, one.plan, second, added, provider=provider)
    frozen_prefixes_kept(one.plan, two.plan, clock_to_seconds(second))
    assert routes_of(two.plan)[route.vehicle_id] == routes_of(one.plan)[route.vehicle_id]
    assert [(s.at, s.road_events) for s in two.plan.replans] == [(first, [closed]), (second, [])]
    before = provider.matrices(two.instance.sites)
    direct = before.distance_m[before.index()["TS1"], before.index()["Y1"]] / 1000
    for r in two.plan.routes:
        for a, b in zip(r.stops, r.stops[1:], strict=False):
            if {a.site_id, b.site_id} == {"TS1", "Y1"} and b.action != "break":
                assert clock_to_seconds(a.depart) <= clock_to_seconds(first) or (
                    b.distance_from_prev_km > direct + 0.001
                )
    earlier = [(clock_to_seconds(first), before)]
    assert check_plan(two.instance, two.plan, two.matrices, earlier) == []
    refused = [
        (seconds_to_clock(clock_to_seconds(first) - 60), [], "at"),
        (second, [{"type": "breakdown", "vehicle": route.vehicle_id}], "events[0].vehicle"),
    ]
    for at, bad, where in refused:
        with pytest.raises(InstanceError) as error:
            build_day(one.instance, one.plan, clock_to_seconds(at), events_from_data(bad))
        assert [loc for loc, _ in error.value.problems] == [where]


def test_trucks_out_of_service_get_no_work_in_a_later_replan(small, morning):
    """A truck withdrawn, or broken down at its yard, in a re-plan has no route there to say
    so: the re-plan records it, and a later re-plan gives it no work (the example's morning
    plan leaves CT3-3 at the yard and KT2-1 starts after noon)."""
    out = [
        {"type": "truck_withdrawn", "vehicle": "KT2-1"},
        {"type": "breakdown", "vehicle": "CT3-3"},
    ]
    one = replan(small, morning, "10:30", out)
    assert [(s.withdrawn, s.broken_down) for s in one.plan.replans] == [(["KT2-1"], ["CT3-3"])]
    extra = {"id": "depot-bins", "lon": 111.6, "lat": 25.52, "stream": "residual"}
    more = [{"type": "point_added", "point": {**extra, "tonnes_per_day": 0.5}}]
    two = replan(one.instance, one.plan, "11:00", more, options=replace(OPTIONS, move_penalty=0))
    assert {"KT2-1", "CT3-3"}.isdisjoint(routes_of(two.plan))
    assert {u.point_id for u in two.plan.unserved} >= {"K1", "K2", "K3", "K4"}
    for event in out:
        with pytest.raises(InstanceError) as error:
            build_day(one.instance, one.plan, clock_to_seconds("11:00"), events_from_data([event]))
        [(where, message)] = error.value.problems
        assert where == "events[0].vehicle" and "already" in message


def test_the_shipped_examples_apply_to_the_example_day(small, morning):
    """instances/examples/small_events.json and small_actual.json (CT3-1, broken down at 10:15
    on its way from the station to its next point, stands there) re-plan the example's plan at
    10:30."""
    events = load_events(SMALL.with_name("small_events.json"))
    actuals = load_actuals(SMALL.with_name("small_actual.json"))
    day = build_day(small, morning, clock_to_seconds("10:30"), events, actuals)
    points = {p.id for p in day.instance.points}
    assert "school-2" in points and "K2" not in points
    result = replan_day(small, morning, day, resolve_provider(small), OPTIONS)
    stops = routes_of(result.plan)["CT3-1"].stops
    assert [s.site_id for s in stops if s.action == "position"] == ["CT3-1@10:30"]


# The electric line of test_soc and test_tariff_routing under its time-of-use tariff (valley
# 0.3 CNY/kWh to 07:00, flat 0.6 to 10:00, peak 1.0 to 12:00, flat 0.6 after; P2 and P3 open
# 10:00-12:00). The morning plan, made by hand, leaves at 09:50 and charges at F between its
# trips from 10:52 to 11:37, in the peak: 45 kWh of a 45 min session at 60 kW. SoC after each
# stop: 1 kWh/km empty, 1.25 at 1 t, 1.5 at 2 t, 0.5 a stop; 72 usable.
PEAK_CHARGE = [
    _stop("start", "Y", "09:50", "09:50", 0, 0, 0, 72.0),
    _stop("collect", "P0", "10:15", "10:20", 1, 1, 25, 46.5),  # 25 km empty
    _stop("collect", "P1", "10:21", "10:26", 1, 2, 1, 44.75),  # 1 km at 1 t
    _stop("unload", "F", "10:42", "10:52", 2, 0, 16, 20.25),  # 16 km at 2 t
    _stop("charge", "F", "10:52", "11:37", 0, 0, 0, 65.25, 45.0),
    _stop("collect", "P2", "11:54", "11:59", 1, 1, 17, 47.75),
    _stop("collect", "P3", "12:00", "12:05", 1, 2, 1, 46.0),
    _stop("unload", "F", "12:23", "12:33", 2, 0, 18, 18.5),
    _stop("end", "Y", "12:43", "12:43", 0, 0, 10, 8.5),
]


def peak_charging_day(tariff: list[dict]) -> tuple[Instance, Plan, TravelMatrices]:
    instance = tariff_instance(tariff)
    route = Route(
        vehicle_id="E-1",
        vehicle_type="E",
        stream="residual",
        stops=PEAK_CHARGE,
        distance_km=88.0,
        duration_min=173.0,
    )
    plan = Plan(instance_name=instance.name, routes=[route], cost=88.0)  # 88 km at 1 CNY
    matrices = make_matrices(instance)
    assert check_plan(instance, plan, matrices) == []
    return instance, plan, matrices


def test_a_replan_moves_a_peak_charge_off_peak_and_counts_the_saving():
    """Re-planned at 07:00 with every rest re-optimised, the truck, idle at its yard, charges
    between its trips outside the peak, and the re-plan is chosen over the plan that stands
    (the morning's) for its charging alone: both drive 88 km for 88 CNY.

    By hand, the morning's charging: 45 kWh in the peak at 1.0, and the yard refills
    72 - 8.5 = 63.5 kWh at 0.3: 45 + 19.05 = 64.05 CNY; above the valley 45 x 0.7 = 31.5.
    The re-plan's session (09:15-10:00 at seed 0) takes 45 kWh at 0.6 and ends the day at
    9.0 kWh: 27 + 63.0 x 0.3 = 45.9 CNY; above the valley 45 x 0.3 = 13.5, 18 CNY less."""
    instance, plan, matrices = peak_charging_day(TARIFF)
    before = charging_figures(instance, plan)
    assert before.cost_cny == pytest.approx(64.05)
    day = build_day(instance, plan, clock_to_seconds("07:00"), [])
    # a solution limit (the budget only a backstop) makes one plan per run
    options = ReplanOptions(time_limit_s=60, solution_limit=100, move_penalty=0)
    result = replan_day(instance, plan, day, ExplicitMatrixProvider(matrices), options)
    [charge] = [s for s in result.plan.routes[0].stops if s.action == "charge"]
    start, end = clock_to_seconds(charge.arrive), clock_to_seconds(charge.depart)
    assert end <= TARIFF_PEAK[0] or start >= TARIFF_PEAK[1]
    after = charging_figures(result.instance, result.plan)
    assert after.cost_cny < before.cost_cny
    assert result.plan.cost == pytest.approx(plan.cost)  # the saving is the charging's
    # the comparison counts each plan's charging above the valley: 88 + 13.5 against 88 + 31.5
    assert replan_module._value(result.plan, instance) < replan_module._value(plan, instance)
    assert replan_module._value(plan, instance) == pytest.approx(88.0 + 31.5)


def test_without_a_tariff_or_a_battery_the_comparison_prices_no_charging(small, morning):
    """The charging premium of a plan is 0 without a tariff (the peak charge above) and for a
    diesel fleet under a tariff (the example's): a plan's value is its cost."""
    instance, plan, _ = peak_charging_day([])
    assert charge_premium(instance, plan.routes) == 0.0
    assert replan_module._value(plan, instance) == plan.cost
    tariff = small.settings.model_copy(update={"tariff": tariff_instance(TARIFF).settings.tariff})
    diesel = small.model_copy(update={"settings": tariff})
    assert diesel.settings.tariff and charge_premium(diesel, morning.routes) == 0.0
    penalty = diesel.settings.unserved_penalty_per_t * sum(u.tonnes for u in morning.unserved)
    assert replan_module._value(morning, diesel) == morning.cost + penalty
