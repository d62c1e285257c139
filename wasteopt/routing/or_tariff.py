"""Time-of-use charging prices in the OR-Tools model: a session costs what the tariff asks at
the hours it is taken, so the search moves charging to cheaper hours where the day allows.

What is priced. :mod:`wasteopt.charging` costs a charge stop at the prices of the hours it spans
and the yard's overnight refill at the tariff's cheapest price. A kWh charged during the day
therefore costs its price *above the cheapest* more than the yard would have paid for it, and
that premium is what the search prices (a tariff of one price adds nothing: the model is the
one without a tariff). A session at a charging node (a charge copy or a detour) begins
``before`` seconds after the time cumul ``t`` there (after the unload, at a copy) and lasts
its charger's session; drawing the session's energy ``E`` (:func:`~wasteopt.routing.or_energy.
session_wh`) evenly, it costs ``P(t) = E x`` the mean premium over the session: flat while the
session lies in one period, linear in ``t`` while it straddles a change of price.

How. OR-Tools' Python API has no piecewise-linear cumul cost (``RoutingDimension`` offers one
soft lower and one soft upper bound per node, ortools 9.15), so each node carries a convex
piece ``constant + below x max(0, low - t) + above x max(0, t - high)``: the constant on the
arcs into the node, the slopes as soft bounds on the time cumul (which OR-Tools' filters and
cumul optimisers see, so a truck may also wait for a cheaper hour). Each node has a *home*
period, a charger site's nodes taken in turn through the periods its trucks' hours overlap
(:mod:`~wasteopt.routing.nodes` gives every period a node); a session wholly inside it, ``t``
in ``[low, high]``, pays exactly its premium, and the slopes are the least that keep the piece
at or above ``P`` over the node's whole window. Beside a dearer period the slope is therefore
``P``'s own ramp, so the cheapest node of a site prices a session exactly when it lies in one
period or straddles into a dearer neighbour whose ramp is the steepest rise the cheaper
period's window sees (true of the shipped tariffs); anywhere else the price is above ``P``,
never below.

Approximations (each an upper bound on what :mod:`wasteopt.charging` reports above the
cheapest price):

- the whole session's energy is priced; a truck whose battery fills sooner, or whose dear
  session :func:`~wasteopt.charging.charge_off_peak` cuts to what its day needs, pays less;
- a price is the node's, whoever visits it: a truck without a battery that unloads at a charge
  copy (it waits out the session) pays it too, which only steers it to a plain copy;
- a site has about as many nodes at home in a period as its nodes divided by its periods
  (at least one): further sessions there take a node at home elsewhere, at its higher price;
- constants and slopes are rounded up to whole milli-CNY (per second for a slope).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp

from wasteopt.model import Site
from wasteopt.routing.nodes import DAY_HORIZON_S, NodeData, NodeTable, session_s
from wasteopt.routing.or_energy import WH_PER_KWH, session_wh
from wasteopt.routing.problem import TierProblem, premium_periods

_EPS = 1e-9  # float noise allowed below a whole milli-CNY before rounding up


@dataclass(frozen=True)
class SessionPrice:
    """A charging node's price, milli-CNY, as a function of the time cumul ``t`` there:
    ``constant + below * max(0, low - t) + above * max(0, t - high)``."""

    constant: int
    low: int
    below: int
    high: int
    above: int

    def at(self, t: int) -> int:
        """The price of a session whose node is reached at ``t``."""
        return (
            self.constant + self.below * max(0, self.low - t) + self.above * max(0, t - self.high)
        )


def session_premium(
    periods: list[tuple[int, int, int]], wh: int, start_s: int, length_s: int
) -> float:
    """Milli-CNY above the cheapest price of ``wh`` drawn evenly from ``start_s`` for
    ``length_s`` seconds, under ``periods`` (:func:`~wasteopt.routing.problem.premium_periods`)."""
    end_s = start_s + length_s
    paid = sum(max(0, min(end_s, b) - max(start_s, a)) * price for a, b, price in periods)
    return wh / WH_PER_KWH * paid / length_s


def session_prices(
    problem: TierProblem, nodes: NodeTable, data: NodeData
) -> dict[int, SessionPrice]:
    """Each charging node's price (module docstring); empty without a tariff of two prices or
    more, or without battery trucks."""
    periods = premium_periods(problem.tariff, 2 * DAY_HORIZON_S)  # sessions may pass the horizon
    battery = [v.vehicle_type for v in problem.vehicles if v.vehicle_type.battery is not None]
    if not periods or not battery:
        return {}
    first = min(vt.shift.start_s for vt in battery)
    last = max(vt.shift.end_s for vt in battery)
    sites: dict[str, Site] = {**problem.yards, **{f.id: f for f in problem.facilities}}
    groups = [
        (facility_id, [n for n in copies if n in nodes.charge_copies])
        for facility_id, copies in nodes.facility_copies.items()
    ]
    groups += list(nodes.detours.items())
    prices: dict[int, SessionPrice] = {}
    for site_id, group in groups:
        site = sites[site_id]
        length, wh = session_s(site), session_wh(site)
        if not group or length <= 0 or wh <= 0:
            continue
        before = int(data.service[group[0]]) - length  # the unload at a copy, 0 on a detour
        lo = max(int(data.window_start[group[0]]), first)
        hi = min(int(data.window_end[group[0]]), last)
        if hi < lo:
            continue  # no battery truck can be there

        def cost(t: int, before: int = before, length: int = length, wh: int = wh) -> float:
            return session_premium(periods, wh, t + before, length)

        homes = [
            (max(a - before, lo), min(b - length - before, hi))
            for a, b, _ in periods
            if max(a - before, lo) <= min(b - length - before, hi)
        ]
        # the times where the session's start or end meets a change of price: P bends there
        bends = {x - before - d for a, b, _ in periods for x in (a, b) for d in (0, length)}
        values = [(t, cost(t)) for t in sorted({lo, hi, *(t for t in bends if lo <= t <= hi)})]
        for k, node in enumerate(group):
            home = homes[k % len(homes)] if homes else None
            prices[node] = _piece(cost, values, home, lo, hi)
    return prices


def _piece(
    cost: Callable[[int], float],
    values: list[tuple[int, float]],
    home: tuple[int, int] | None,
    lo: int,
    hi: int,
) -> SessionPrice:
    """The convex piece at or above ``cost`` over ``[lo, hi]`` (piecewise linear, its
    ``values`` at the times it bends and at both ends) that equals it on ``home``; without a
    home, its highest value."""
    if home is None:
        return SessionPrice(math.ceil(max(v for _, v in values) - _EPS), lo, 0, hi, 0)
    low, high = home
    constant = math.ceil(cost(low) - _EPS)
    below = max([(v - constant) / (low - t) for t, v in values if t < low], default=0.0)
    above = max([(v - constant) / (t - high) for t, v in values if t > high], default=0.0)
    return SessionPrice(
        constant,
        low,
        max(0, math.ceil(below - _EPS)),
        high,
        max(0, math.ceil(above - _EPS)),
    )


def add_session_prices(
    manager: pywrapcp.RoutingIndexManager,
    clock: pywrapcp.RoutingDimension,
    prices: dict[int, SessionPrice],
) -> None:
    """The slopes of ``prices`` as soft bounds on the time cumul (the constants are on the
    arcs, :func:`~wasteopt.routing.or_model.build_model`)."""
    for node, price in prices.items():
        index = manager.NodeToIndex(node)
        if price.below:
            clock.SetCumulVarSoftLowerBound(index, price.low, price.below)
        if price.above:
            clock.SetCumulVarSoftUpperBound(index, price.high, price.above)
