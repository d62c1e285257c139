"""Overflow is residual waste that no incinerator takes today: what is landfilled, left at
transfer stations or left uncollected of the residual stream; unserved kitchen waste is left
uncollected but is not overflow (it never goes to the incinerator)."""

from __future__ import annotations

import pytest

from tests.builders import build_instance, facility, point, truck
from wasteopt.impact import assess
from wasteopt.model import Plan, Route, Stop, Unserved


def test_unserved_kitchen_waste_is_uncollected_but_not_overflow():
    town = build_instance(
        facilities=[
            facility("INC", 0.0),
            facility("KC", 0.0, "kitchen_centre", ("kitchen",), 50.0),
        ],
        points=[
            point("R1", 2.0, tonnes=2.0),
            point("R2", 4.0, tonnes=3.0),
            point("K1", 3.0, tonnes=1.5, stream="kitchen"),
            point("K2", 5.0, tonnes=0.5, stream="kitchen"),
        ],
        vehicle_types=[truck("C", ("residual", "kitchen"))],
    )
    route = Route(
        vehicle_id="C-1",
        vehicle_type="C",
        stream="residual",
        distance_km=4.0,
        duration_min=30,
        stops=[
            Stop(action="start", site_id="Y", arrive="06:00", depart="06:00"),
            Stop(
                action="collect",
                site_id="R1",
                arrive="06:05",
                depart="06:10",
                tonnes=2.0,
                load_after_t=2.0,
                distance_from_prev_km=2.0,
            ),
            Stop(
                action="unload",
                site_id="INC",
                arrive="06:15",
                depart="06:25",
                tonnes=2.0,
                distance_from_prev_km=2.0,
            ),
            Stop(action="end", site_id="Y", arrive="06:30", depart="06:30"),
        ],
    )
    plan = Plan(
        instance_name=town.name,
        routes=[route],
        unserved=[
            Unserved(point_id="R2", tonnes=3.0, reason="no truck time left"),
            Unserved(point_id="K1", tonnes=1.5, reason="no truck time left"),
            Unserved(point_id="K2", tonnes=0.5, reason="no truck time left"),
        ],
    )
    day = assess(town, plan).per_day
    assert day.unserved_t == pytest.approx(3.0 + 1.5 + 0.5)  # every stream left behind
    assert day.overflow_t == pytest.approx(3.0)  # only R2's residual: no landfill, no backlog
    assert day.incinerated_t == pytest.approx(2.0)
