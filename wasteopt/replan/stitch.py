"""Whole-day routes from the frozen stops and the re-planned rest, and the short ways home
of trucks the search does not route (withdrawn, or with nothing left to do)."""

from __future__ import annotations

from wasteopt.errors import InfeasibleError
from wasteopt.model import (
    Facility,
    Route,
    Stop,
    StopAction,
    TravelMatrices,
    clock_to_seconds,
    seconds_to_clock,
)
from wasteopt.replan.state import VehicleState
from wasteopt.soc import soc_walk


def start_site(vehicle_id: str) -> str:
    """The start site standing for a truck on the road."""
    return f"~{vehicle_id}"


def load_site(vehicle_id: str) -> str:
    """The site (and job id) of what a truck on the road carries."""
    return f"~load:{vehicle_id}"


def whole_route(state: VehicleState, stops: list[Stop]) -> Route | None:
    """The truck's route made of ``stops`` (None when there are none); a battery truck's
    stops after its done ones carry the state of charge its whole day gives."""
    if not stops:
        return None
    vt = state.vehicle_type
    morning = state.morning
    route = Route(
        vehicle_id=state.vehicle_id,
        vehicle_type=vt.id,
        tier=vt.tier,
        stream=morning.stream if morning is not None else state.stream or vt.streams[0],
        stops=stops,
        distance_km=round(sum(s.distance_from_prev_km for s in stops), 3),
        duration_min=round(
            (clock_to_seconds(stops[-1].arrive) - clock_to_seconds(stops[0].depart)) / 60.0, 1
        ),
    )
    if vt.battery is None:
        return route
    walk = soc_walk(route, vt)
    done = len(state.done)
    charged = [
        stop if k < done else stop.model_copy(update={"soc_kwh": round(walk[k], 3)})
        for k, stop in enumerate(route.stops)
    ]
    return route.model_copy(update={"stops": charged})


def joined(state: VehicleState, rest: Route) -> Route:
    """The frozen stops, then the solved rest (its start and carried load left out, its start
    site read as where the truck is and its end as its yard)."""
    if not state.started:
        return rest.model_copy(
            update={"vehicle_id": state.vehicle_id, "vehicle_type": state.vehicle_type.id}
        )
    here, home = state.site_id, state.vehicle_type.yard
    where = {start_site(state.vehicle_id): here, load_site(state.vehicle_id): here}
    stops = list(state.done)
    for stop in rest.stops[1:]:
        if stop.site_id == load_site(state.vehicle_id) and stop.action != "break":
            continue
        site = home if stop.action == "end" else where.get(stop.site_id, stop.site_id)
        update = {"site_id": site}
        if stop.action == "break":  # a break before it took on its load carries the load
            update["load_after_t"] = stops[-1].load_after_t
        stops.append(stop.model_copy(update=update))
    route = whole_route(state, stops)
    assert route is not None
    return route.model_copy(update={"stream": rest.stream})


def breakdown_route(state: VehicleState, matrices: TravelMatrices) -> Route | None:
    """A broken-down truck's day: its done stops, then the breakdown where it stands, handing
    over its load (already its last done stop when it broke down before an earlier re-plan)."""
    if not state.done:
        return None
    if state.done[-1].action == "breakdown":
        return whole_route(state, state.done)
    index = matrices.index()
    metres = matrices.distance_m[index[state.done[-1].site_id], index[state.site_id]]
    stop = stop_here(state, "breakdown", float(metres), tonnes=state.load_t)
    return whole_route(state, [*state.done, stop])


def stop_here(
    state: VehicleState,
    action: StopAction,
    metres: float,
    tonnes: float = 0.0,
    load_after_t: float = 0.0,
) -> Stop:
    """A stop of no duration where the truck stands, when it is free, ``metres`` after its
    last stop."""
    clock = seconds_to_clock(state.ready_s)
    return Stop(
        action=action,
        site_id=state.site_id,
        arrive=clock,
        depart=clock,
        tonnes=round(tonnes, 6),
        load_after_t=round(load_after_t, 6),
        distance_from_prev_km=round(metres / 1000, 3),
    )


class Drive:
    """A truck's way from where it is, leg by leg on the day's matrices, its break taken as
    soon as its window allows."""

    def __init__(self, state: VehicleState, matrices: TravelMatrices):
        self.state = state
        self.matrices = matrices
        self.index = matrices.index()
        self.stops = list(state.done)
        self.site, self.clock, self.load = state.site_id, state.ready_s, state.load_t
        self.rested = state.break_taken

    def arrival(self, site: str) -> int:
        """When the truck would arrive at ``site`` if it left now."""
        return self.clock + int(self.matrices.duration_s[self.index[self.site], self.index[site]])

    def rest(self) -> None:
        rule = self.state.vehicle_type.break_
        if rule is None or self.rested:
            return
        begin = max(self.clock, rule.window.start_s)
        end = begin + round(rule.duration_min * 60)
        self.stops.append(
            Stop(
                action="break",
                site_id=self.site,
                arrive=seconds_to_clock(begin),
                depart=seconds_to_clock(end),
                load_after_t=round(self.load, 6),
            )
        )
        self.clock, self.rested = end, True

    def to(self, site: str, action: str, not_before: int = 0, stay_s: int = 0) -> None:
        km = float(self.matrices.distance_m[self.index[self.site], self.index[site]]) / 1000
        arrive = max(self.arrival(site), not_before)
        tonnes = self.load if action == "unload" else 0.0
        if action == "unload":
            self.load = 0.0
        self.stops.append(
            Stop(
                action=action,
                site_id=site,
                arrive=seconds_to_clock(arrive),
                depart=seconds_to_clock(arrive + stay_s),
                tonnes=round(tonnes, 6),
                load_after_t=round(self.load, 6),
                distance_from_prev_km=round(km, 3),
            )
        )
        self.site, self.clock = site, arrive + stay_s

    def route(self) -> Route:
        route = whole_route(self.state, self.stops)
        assert route is not None
        return route


def unload_and_home(
    state: VehicleState,
    facilities: list[Facility],
    room_t: dict[str, float],
    matrices: TravelMatrices,
) -> Route:
    """A truck with no more work (withdrawn, or left without any): it takes its break if its
    window is open, unloads what it carries at the facility it reaches first that takes its
    stream, is open then and has room and lets it be home within its shift, takes its break
    if still due, and goes home. ``room_t`` loses what it unloads."""
    drive = Drive(state, matrices)
    rule, vt = state.vehicle_type.break_, state.vehicle_type
    if rule is not None and drive.clock >= rule.window.start_s:
        drive.rest()
    if state.load_t > 0:
        choices = []
        home = drive.index[vt.yard]
        for facility in facilities:
            unload_s = round(facility.unload_min * 60)
            arrive = max(drive.arrival(facility.id), facility.gate.start_s)
            back = int(matrices.duration_s[drive.index[facility.id], home])
            if (
                state.stream in facility.streams
                and room_t.get(facility.id, 0.0) >= state.load_t
                and arrive + unload_s <= facility.gate.end_s
                and arrive + unload_s + back <= vt.shift.end_s
            ):
                choices.append((arrive, facility.id, unload_s, facility.gate.start_s))
        if not choices:
            raise InfeasibleError(
                f"{state.vehicle_id} carries {state.load_t:.3f} t of {state.stream} and no open"
                " facility with room can take it within its shift; open one or extend the shift"
            )
        _, facility_id, unload_s, opens = min(choices)
        room_t[facility_id] -= state.load_t
        drive.to(facility_id, "unload", not_before=opens, stay_s=unload_s)
    drive.rest()
    drive.to(state.vehicle_type.yard, "end")
    return drive.route()
