"""The routing prices charging at the time-of-use tariff, so a session moves to cheaper hours.

The electric line of ``test_soc``: Y at 0 (30 kW charger, 30 min sessions), the incinerator F
at 10 (60 kW, 45 min sessions: 45 kWh, after a 10 min unload), points P0-P3 at 25-28, 1 km and
1 minute per unit. The truck's two trips need a charge at F between them. P2 and P3 open at
10:00, so the truck may charge after its first unload early (from 07:02) or late. The tariff:
valley 0.3 CNY/kWh until 07:00, flat 0.6 to 10:00, peak 1.0 to 12:00, flat 0.6 after.
"""

from __future__ import annotations

import pytest
from test_soc import make_instance, make_matrices

from wasteopt.charging import mean_price
from wasteopt.check import check_plan
from wasteopt.impact import assess
from wasteopt.matrix import ExplicitMatrixProvider
from wasteopt.model import Instance, Plan, clock_to_seconds
from wasteopt.planning import PlanOptions, _collection_problem, plan_day_full
from wasteopt.routing.nodes import NodeTable, node_data
from wasteopt.routing.or_tariff import SessionPrice, session_premium, session_prices
from wasteopt.routing.problem import TierProblem, premium_periods

TOU = [
    {"window": {"start": "00:00", "end": "07:00"}, "cny_per_kwh": 0.3},
    {"window": {"start": "07:00", "end": "10:00"}, "cny_per_kwh": 0.6},
    {"window": {"start": "10:00", "end": "12:00"}, "cny_per_kwh": 1.0},
    {"window": {"start": "12:00", "end": "24:00"}, "cny_per_kwh": 0.6},
]
FLAT = [{"window": {"start": "00:00", "end": "24:00"}, "cny_per_kwh": 0.6}]
PEAK = (clock_to_seconds("10:00"), clock_to_seconds("12:00"))


def _instance(tariff: list[dict]) -> Instance:
    data = make_instance().model_dump(by_alias=True)
    for point in data["points"][2:]:
        point["window"] = {"start": "10:00", "end": "12:00"}
    data["settings"]["tariff"] = tariff
    return Instance.model_validate(data)


def _nodes(instance: Instance) -> tuple[TierProblem, NodeTable, dict[int, SessionPrice]]:
    problem = _collection_problem(instance)  # the tier as planning builds it, tariff and all
    nodes = NodeTable(problem, 0, {"F": 2})
    matrices = make_matrices(instance)
    data = node_data(problem, nodes, matrices.distance_m, matrices.duration_s, matrices.index())
    return problem, nodes, session_prices(problem, nodes, data)


def _plan(instance: Instance) -> Plan:
    matrices = make_matrices(instance)
    options = PlanOptions(time_limit_s=5.0, solution_limit=60)
    plan = plan_day_full(instance, ExplicitMatrixProvider(matrices), options).plan
    assert not plan.unserved and check_plan(instance, plan, matrices) == []
    return plan


def _session(plan: Plan) -> tuple[int, int]:
    [charge] = [s for s in plan.routes[0].stops if s.action == "charge"]
    assert charge.site_id == "F"
    return clock_to_seconds(charge.arrive), clock_to_seconds(charge.depart)


def test_a_charge_copy_is_priced_by_hand_in_its_period_and_never_below_the_tariff():
    """Above the valley the periods cost 0, 300, 700 and 300 milli-CNY/kWh: a 45 kWh session
    at F, starting 600 s after the cumul t there, costs 0, 13,500, 31,500 and 13,500 milli-CNY
    wholly inside one. The shift (06:00-18:00) meets four periods, so F has four charge copies,
    one at home in each. The valley copy's price rises beyond t = 06:05 (the session reaching
    07:00) by 13,500 over 2,700 s, 5 a second; the first flat copy's into the peak by 18,000
    over 2,700 s, 6.67 rounded up to 7; the peak copy is flat; the second flat copy's falls
    from the peak (to t = 11:50) at 7 a second."""
    instance = _instance(TOU)
    problem, nodes, prices = _nodes(instance)
    copies = sorted(nodes.charge_copies)
    assert len(copies) == 4
    assert [prices[n] for n in copies] == [
        SessionPrice(0, 21600, 0, 21900, 5),
        SessionPrice(13500, 24600, 0, 32700, 7),
        SessionPrice(31500, 35400, 0, 39900, 0),
        SessionPrice(13500, 42600, 7, 64800, 0),
    ]
    # the search's price is charging.py's cost above the valley, for the whole session
    session = 45.0
    for t in (21600, 25000, 36000, 50000):
        start, end = t + 600, t + 600 + 2700
        paid = session * (mean_price(instance.settings.tariff, start, end) - 0.3) * 1000
        assert min(prices[n].at(t) for n in copies) == pytest.approx(paid)
    # never below the tariff, and exactly it in the valley and on the ramp out of it
    periods = premium_periods(problem.tariff, 2 * 86400)
    for t in range(21600, 64801, 60):
        exact = session_premium(periods, 45000, t + 600, 2700)
        cheapest = min(prices[n].at(t) for n in copies)
        assert cheapest >= exact - 1e-6
        if t <= 24600:
            assert cheapest == pytest.approx(exact)


def test_without_a_tariff_of_two_prices_the_model_is_the_one_without_a_tariff():
    _, plain, none = _nodes(_instance([]))
    _, flat, flat_prices = _nodes(_instance(FLAT))
    assert none == flat_prices == {}
    assert (flat.kind, flat.ref, flat.charge_copies) == (plain.kind, plain.ref, plain.charge_copies)


def test_under_the_tariff_the_truck_charges_before_the_peak_and_pays_less():
    """Priced at one price (or none), the search charges at 10:52, in what the tariff makes
    the peak; priced at the tariff it charges from 07:02 at the flat price, and the day's
    charging at the tariff costs less."""
    flat = _plan(_instance(FLAT))
    assert flat.routes == _plan(_instance([])).routes  # one price: the same model, same plan
    start, end = _session(flat)
    assert start < PEAK[1] and end > PEAK[0]  # unpriced, this day charges in the peak
    tou = _instance(TOU)
    priced = _plan(tou)
    start, end = _session(priced)
    assert end <= PEAK[0] or start >= PEAK[1]
    cheaper = assess(tou, priced).charging.cost_cny
    assert cheaper < assess(tou, flat).charging.cost_cny
