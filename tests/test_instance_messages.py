"""Messages about instance input: clock times in words, far sites, CSV encodings."""

from __future__ import annotations

import pytest

from wasteopt.errors import InstanceError
from wasteopt.io import instance_from_dict, read_csv_text
from wasteopt.model import Instance
from wasteopt.validate import far_sites, find_problems


def test_a_bad_clock_time_is_described_in_words_not_as_a_regex(example):
    data = example.model_dump(by_alias=True)
    data["points"][0]["window"] = {"start": "25:00", "end": "7:5"}
    with pytest.raises(InstanceError) as error:
        instance_from_dict(data)
    assert error.value.problems == [
        ("points[0].window.start", "must be a clock time HH:MM, 00:00–24:00 (got '25:00')"),
        ("points[0].window.end", "must be a clock time HH:MM, 00:00–24:00 (got '7:5')"),
    ]


def moved(instance: Instance, group: str, index: int, lon: float, lat: float) -> Instance:
    sites = list(getattr(instance, group))
    sites[index] = sites[index].model_copy(update={"lon": lon, "lat": lat})
    return instance.model_copy(update={group: sites})


def test_a_point_hundreds_of_km_away_is_named(example):
    stray = moved(example, "points", 4, example.points[4].lon, example.points[4].lat + 4.5)
    problems = far_sites(stray)
    assert [loc for loc, _ in problems] == [f"points[4] ({example.points[4].id})"]
    assert problems[0][1].startswith(f"{example.points[4].id} ({example.points[4].name}) at lon")
    assert problems[0] in find_problems(stray)


def test_a_plant_in_the_next_county_is_not_far(example):
    # 74 km east of the middle of the example's points: farther than any of them, under 100 km
    plant = next(i for i, f in enumerate(example.facilities) if f.kind == "incinerator")
    assert far_sites(moved(example, "facilities", plant, 112.3, 25.5)) == []


def test_over_a_wide_area_the_limit_grows_with_the_spread(example):
    # points spread over about 600 km east-west: those at either end, 300 km from the middle,
    # belong to the area; a yard 1,200 km away does not
    points = [
        p.model_copy(update={"lon": 110.0 + 6.0 * k / (len(example.points) - 1)})
        for k, p in enumerate(example.points)
    ]
    wide = example.model_copy(update={"points": points})
    assert far_sites(wide) == []
    assert [loc for loc, _ in far_sites(moved(wide, "yards", 0, 125.0, 25.5))] == [
        f"yards[0] ({example.yards[0].id})"
    ]


def test_a_csv_in_neither_utf8_nor_gbk_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "points.csv"
    path.write_bytes("id,name\nA,上关村\n".encode("utf-16"))
    with pytest.raises(InstanceError, match="points.csv: is neither UTF-8 nor GBK/GB18030"):
        read_csv_text(path)


def test_a_utf8_csv_with_bom_is_read_as_utf8(tmp_path, caplog):
    path = tmp_path / "points.csv"
    path.write_bytes("\ufeffid,name\nA,上关村\n".encode())
    with caplog.at_level("INFO", logger="wasteopt.io"):
        assert read_csv_text(path) == "id,name\nA,上关村\n"
    assert "read as UTF-8" in caplog.text
