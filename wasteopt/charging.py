"""What a plan's battery trucks draw from chargers, when, at what price, and how busy the
chargers are.

A battery truck's day ends with what its stops say (:mod:`wasteopt.soc`): it took in each
``charge`` stop's energy at that stop's charger, and its yard refills what it used beyond that
overnight, so what the chargers deliver over the day is what the trucks used. With a time-of-use
tariff (``settings.tariff``, 分时电价, county plan 三(三)) a charge stop pays the prices of the
hours it spans (its energy spread evenly over them) and the overnight refill the cheapest
period's price (*assumption*: yard chargers are timed to the valley hours, as time-of-use
tariffs intend). Under a tariff a plan buys no more than it must above that price: a charge stop
dearer than the cheapest period takes only what the rest of the day needs above the reserve
(:func:`charge_off_peak`; a stop left with nothing goes, and the detour to it where the direct
way allows), and the yard refills the rest overnight. A day's charging thus costs its energy at
the cheapest price plus each charge stop's kWh times its price above it (:func:`charge_premium`):
that premium is what the routing search prices (:mod:`wasteopt.routing.or_tariff`) and a
re-plan compares.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from wasteopt.model import (
    Charger,
    ChargerUse,
    ChargingFigures,
    Instance,
    Plan,
    Route,
    Stop,
    TariffPeriod,
    TravelMatrices,
    VehicleType,
    clock_to_seconds,
    seconds_to_clock,
)
from wasteopt.soc import soc_walk

DAY_S = 86400
YARD_CHARGER_KW = 60.0  # a yard plug where a yard has none yet (assumption: a common DC rating)


def charging_figures(instance: Instance, plan: Plan) -> ChargingFigures | None:
    """The day's charging by ``plan``'s battery trucks; None when none of them has a battery."""
    types = {vt.id: vt for vt in instance.vehicle_types}
    routes = [r for r in plan.routes if r.vehicle_type in types and types[r.vehicle_type].battery]
    if not routes:
        return None
    tariff = instance.settings.tariff
    en_route = overnight = 0.0
    stays: dict[str, list[tuple[int, int]]] = {}
    for route in routes:
        vt = types[route.vehicle_type]
        overnight += vt.battery.usable_kwh - soc_walk(route, vt)[-1]
        for stop in route.stops:
            if stop.action != "charge":
                continue
            arrive, depart = clock_to_seconds(stop.arrive), clock_to_seconds(stop.depart)
            en_route += stop.charged_kwh
            stays.setdefault(stop.site_id, []).append((arrive, depart))
    valley = min((p.cny_per_kwh for p in tariff), default=0.0)
    cost = (overnight + en_route) * valley + charge_premium(instance, routes)
    plugs = {s.id: s.charger.count for s in (*instance.yards, *instance.facilities) if s.charger}
    return ChargingFigures(
        battery_trucks=len(routes),
        charge_stops=sum(len(times) for times in stays.values()),
        en_route_kwh=en_route,
        overnight_kwh=overnight,
        cost_cny=cost if tariff else None,
        chargers=[
            ChargerUse(
                site_id=site,
                sessions=len(times),
                plugged_hours=sum(d - a for a, d in times) / 3600,
                busiest=busiest(times),
                plugs=plugs.get(site, 0),
            )
            for site, times in sorted(stays.items())
        ],
    )


def charge_premium(instance: Instance, routes: Iterable[Route]) -> float:
    """CNY the charge stops of ``routes``' battery trucks pay above the tariff's cheapest price:
    each stop's kWh times its mean price (:func:`mean_price`) less the cheapest. With the day's
    energy at the cheapest price it makes the day's charging cost (:func:`charging_figures`);
    0 without a tariff or without battery trucks."""
    tariff = instance.settings.tariff
    if not tariff:
        return 0.0
    valley = min(p.cny_per_kwh for p in tariff)
    battery = {vt.id for vt in instance.vehicle_types if vt.battery is not None}
    return sum(
        stop.charged_kwh
        * (
            mean_price(tariff, clock_to_seconds(stop.arrive), clock_to_seconds(stop.depart))
            - valley
        )
        for route in routes
        if route.vehicle_type in battery
        for stop in route.stops
        if stop.action == "charge"
    )


def mean_price(tariff: list[TariffPeriod], start_s: int, end_s: int) -> float:
    """CNY/kWh of energy drawn evenly from ``start_s`` to ``end_s`` (clock seconds, which may
    pass midnight) under ``tariff``: 0 without one; an instant pays the price of its period."""
    if not tariff:
        return 0.0
    end_s = max(end_s, start_s + 1)
    paid = 0.0
    for period in tariff:
        begin, finish = period.window.start_s, period.window.end_s
        for day in range(start_s // DAY_S, (end_s - 1) // DAY_S + 1):
            overlap = min(end_s, finish + day * DAY_S) - max(start_s, begin + day * DAY_S)
            paid += max(0, overlap) * period.cny_per_kwh
    return paid / (end_s - start_s)


def charge_off_peak(
    instance: Instance, routes: list[Route], matrices: TravelMatrices
) -> list[Route]:
    """``routes`` with each battery truck's charge stops dearer than the tariff's cheapest
    period cut to what its day needs (the unchanged ``routes`` without a tariff); a stop cut
    to nothing goes, and so does the detour to it where ``matrices`` allow (:func:`_off_peak`)."""
    tariff = instance.settings.tariff
    if not tariff:
        return routes
    valley = min(p.cny_per_kwh for p in tariff)
    chargers = {s.id: s.charger for s in (*instance.yards, *instance.facilities) if s.charger}
    types = {vt.id: vt for vt in instance.vehicle_types}
    out = []
    index = matrices.index()
    for route in routes:
        vt = types.get(route.vehicle_type)
        if vt is not None and vt.battery is not None:
            route = _off_peak(route, vt, valley, tariff, chargers, matrices, index)
        out.append(route)
    return out


def _off_peak(
    route: Route,
    vt: VehicleType,
    valley: float,
    tariff: list[TariffPeriod],
    chargers: dict[str, Charger],
    matrices: TravelMatrices,
    index: dict[str, int],
) -> Route:
    """``route`` with each charge stop above ``valley`` cut by the least margin its later
    stops keep above the reserve, its time shortened to the kWh left, the stops charging
    nothing dropped (:func:`_without_empty_charges`), and every stop's SoC written again."""
    stops = list(route.stops)
    reserve = vt.battery.reserve_kwh
    for i in range(len(stops)):
        stop = stops[i]
        arrive, depart = clock_to_seconds(stop.arrive), clock_to_seconds(stop.depart)
        if stop.action != "charge" or mean_price(tariff, arrive, depart) <= valley:
            continue
        walk = soc_walk(route.model_copy(update={"stops": stops}), vt)
        spare = math.floor((min(walk[i:]) - reserve) * 1000) / 1000
        charged = round(max(0.0, stop.charged_kwh - max(0.0, spare)), 3)
        if charged >= stop.charged_kwh:
            continue
        minutes = math.ceil(charged * 60 / chargers[stop.site_id].power_kw)  # plans show minutes
        seconds = 60 * minutes
        stops[i] = stop.model_copy(
            update={"charged_kwh": charged, "depart": seconds_to_clock(arrive + seconds)}
        )
    stops = _without_empty_charges(stops, matrices, index)
    walk = soc_walk(route.model_copy(update={"stops": stops}), vt)
    update: dict[str, object] = {
        "stops": [
            s.model_copy(update={"soc_kwh": round(soc, 3)})
            for s, soc in zip(stops, walk, strict=True)
        ]
    }
    if len(stops) < len(route.stops):
        update["distance_km"] = round(sum(s.distance_from_prev_km for s in stops), 3)
    return route.model_copy(update=update)


def _without_empty_charges(
    stops: list[Stop], matrices: TravelMatrices, index: dict[str, int]
) -> list[Stop]:
    """``stops`` without the charge stops that take in nothing. One reached without driving
    (after an unload at its charger) just goes. A detour goes where the direct leg from the
    stop before it to the one after is no longer and, leaving when the truck left the stop
    before, still arrives by the time the stop after says: that stop then gets the direct leg,
    its clock unchanged (the truck waits before it, as a plan shows a wait), so nothing after
    it moves, and with the load it carried on the detour it uses no more energy. A detour the
    direct leg would make longer or late stays, taking in nothing."""
    out = list(stops)
    i = 0
    while i < len(out):
        stop = out[i]
        if stop.action != "charge" or stop.charged_kwh > 0:
            i += 1
            continue
        if not stop.distance_from_prev_km:
            del out[i]
            continue
        prev = max(k for k in range(i) if out[k].action != "break")  # a route starts first
        after = [k for k in range(i + 1, len(out)) if out[k].action != "break"]
        if not after:
            i += 1
            continue
        nxt = after[0]
        a, b = index[out[prev].site_id], index[out[nxt].site_id]
        km = round(float(matrices.distance_m[a, b]) / 1000, 3)
        breaks_s = sum(
            clock_to_seconds(out[k].depart) - clock_to_seconds(out[k].arrive)
            for k in range(prev + 1, nxt)
            if out[k].action == "break"
        )
        arrive = clock_to_seconds(out[prev].depart) + float(matrices.duration_s[a, b]) + breaks_s
        detour_km = stop.distance_from_prev_km + out[nxt].distance_from_prev_km
        if km > detour_km or arrive > clock_to_seconds(out[nxt].arrive):
            i += 1
            continue
        out[nxt] = out[nxt].model_copy(update={"distance_from_prev_km": km})
        del out[i]
    return out


def busiest(stays: list[tuple[int, int]]) -> int:
    """Most stays ``(arrive, depart)`` at once (half-open: one leaving as another comes is 1)."""
    events = sorted([(a, 1) for a, _ in stays] + [(d, -1) for _, d in stays])
    now = most = 0
    for _, change in events:
        now += change
        most = max(most, now)
    return most


def format_charging(figures: ChargingFigures) -> list[str]:
    """The charging block of the impact report, as lines of text."""
    cost = "" if figures.cost_cny is None else f", {figures.cost_cny:,.0f} CNY at the tariff"
    lines = [
        f"Charging ({figures.battery_trucks} battery trucks): {figures.total_kwh:,.0f} kWh/day"
        f" = {figures.en_route_kwh:,.0f} at {figures.charge_stops} charge stops"
        f" + {figures.overnight_kwh:,.0f} overnight at the yards{cost}"
    ]
    for use in figures.chargers:
        full = " (every plug busy at once)" if use.busiest >= use.plugs else ""
        lines.append(
            f"  {use.site_id}: {use.sessions} sessions, {use.plugged_hours:.1f} h plugged,"
            f" at most {use.busiest} of {use.plugs} plugs at once{full}"
        )
    return lines


def yard_plugs_needed(instance: Instance) -> dict[str, int]:
    """Yard id -> plugs it lacks for one per battery truck based there (overnight charging)."""
    trucks: dict[str, int] = {}
    for vt in instance.vehicle_types:
        if vt.battery is not None:
            trucks[vt.yard] = trucks.get(vt.yard, 0) + vt.count
    have = {y.id: y.charger.count if y.charger else 0 for y in instance.yards}
    return {yard: n - have[yard] for yard, n in sorted(trucks.items()) if n > have[yard]}


def with_yard_plugs(instance: Instance) -> Instance:
    """``instance`` with a plug per battery truck at each yard (:func:`yard_plugs_needed`);
    a yard without a charger gets :data:`YARD_CHARGER_KW` plugs."""
    lacking = yard_plugs_needed(instance)
    if not lacking:
        return instance
    yards = []
    for yard in instance.yards:
        if yard.id in lacking:
            have = yard.charger or Charger(power_kw=YARD_CHARGER_KW, count=1)
            count = (yard.charger.count if yard.charger else 0) + lacking[yard.id]
            yard = yard.model_copy(update={"charger": have.model_copy(update={"count": count})})
        yards.append(yard)
    return instance.model_copy(update={"yards": yards})
