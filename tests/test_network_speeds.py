"""Truck speed table: overrides, speed files, OSM maxspeed caps, the truck road filter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wasteopt.errors import NetworkError
from wasteopt.network.load import truck_way
from wasteopt.network.speeds import (
    DEFAULT_TRUCK_SPEEDS_KMH,
    edge_speed_kmh,
    maxspeed_kmh,
    read_speed_file,
    speed_table,
)


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("30 mph", 30 * 1.609344),
        ("30;50", 30.0),
        (["60", "40"], 40.0),
        ("['70', '90']", 70.0),
        ("none", None),
        ("AD:urban", None),
        (None, None),
    ],
)
def test_maxspeed_values(value: object, kmh: float | None) -> None:
    assert maxspeed_kmh(value) == (pytest.approx(kmh) if kmh else None)


def test_posted_limits_cap_the_table_and_the_slowest_class_wins() -> None:
    table = speed_table()
    assert edge_speed_kmh({"highway": "primary"}, table) == DEFAULT_TRUCK_SPEEDS_KMH["primary"]
    assert edge_speed_kmh({"highway": "primary", "maxspeed": "30"}, table) == 30.0
    assert edge_speed_kmh({"highway": "primary", "maxspeed": "90"}, table) == 50.0
    assert edge_speed_kmh({"highway": "trunk", "maxspeed:hgv": "40", "maxspeed": "80"}, table) == 40
    assert edge_speed_kmh({"highway": ["primary", "residential"]}, table) == 20.0
    assert edge_speed_kmh({"highway": "busway_new"}, table) == table["default"]


def test_speed_files_override_part_of_the_table(tmp_path: Path) -> None:
    as_json = tmp_path / "speeds.json"
    as_json.write_text(json.dumps({"residential": 12, "farm_road": 8}), encoding="utf-8")
    as_csv = tmp_path / "speeds.csv"
    as_csv.write_text("highway,speed_kmh\nresidential,12\nfarm_road,8\n", encoding="utf-8")
    for path in (as_json, as_csv):
        table = read_speed_file(path)
        assert table["residential"] == 12 and table["farm_road"] == 8
        assert table["primary"] == DEFAULT_TRUCK_SPEEDS_KMH["primary"]


@pytest.mark.parametrize("bad", [0, -5, "fast", None])
def test_bad_speeds_name_the_class(bad: object) -> None:
    with pytest.raises(NetworkError, match="tertiary"):
        speed_table({"tertiary": bad})


def test_speed_csv_needs_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "speeds.csv"
    path.write_text("class,kmh\nprimary,40\n", encoding="utf-8")
    with pytest.raises(NetworkError, match="highway,speed_kmh"):
        read_speed_file(path)


@pytest.mark.parametrize(
    ("tags", "drivable"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "service"}, True),
        ({"highway": "footway"}, False),
        ({"highway": "track"}, False),
        ({"highway": "primary", "hgv": "no"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "service", "service": "parking_aisle"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_truck_roads(tags: dict[str, str], drivable: bool) -> None:
    assert truck_way(tags) is drivable
