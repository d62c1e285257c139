"""``wasteopt graph build|info`` through a real subprocess, on the West Oakland OSM extract."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import osmnx as ox
import pytest
from osmnx._errors import InsufficientResponseError

from wasteopt.cli import main

OAKLAND = Path(__file__).parent / "data" / "osm" / "West-Oakland.osm.bz2"


def wasteopt(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from wasteopt.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def km_of(output: str, road_class: str) -> float:
    match = re.search(rf"^\s+{road_class}\s+([\d.]+) km\s+([\d.]+) h", output, re.MULTILINE)
    assert match, output
    return float(match.group(1))


def test_build_writes_graphml_with_truck_times_and_info_reads_it(tmp_path: Path) -> None:
    out = tmp_path / "oakland.graphml"
    built = wasteopt("graph", "build", "--osm", str(OAKLAND), "--out", str(out))
    assert built.returncode == 0, built.stderr
    graph = ox.load_graphml(out)
    assert all(d["travel_time"] > 0 for *_, d in graph.edges(data=True))
    assert {d["highway"] for *_, d in graph.edges(data=True)} >= {"residential", "secondary"}
    assert not {"footway", "cycleway"} & {d["highway"] for *_, d in graph.edges(data=True)}

    info = wasteopt("graph", "info", str(out))
    assert info.returncode == 0, info.stderr
    assert re.search(r"22 nodes, 51 directed edges routable", info.stdout)
    assert "dropped 8 component(s)" in info.stdout
    assert km_of(info.stdout, "residential") == pytest.approx(km_of(built.stdout, "residential"))
    assert 4.0 < km_of(info.stdout, "residential") < 5.0


def test_speed_file_changes_the_hours(tmp_path: Path) -> None:
    speeds = tmp_path / "speeds.csv"
    speeds.write_text("highway,speed_kmh\nresidential,10\n", encoding="utf-8")
    default = wasteopt("graph", "info", str(OAKLAND))
    slow = wasteopt("graph", "info", str(OAKLAND), "--speeds", str(speeds))
    assert default.returncode == slow.returncode == 0, slow.stderr

    def hours(output: str) -> float:
        return float(re.search(r"^\s+residential\s+[\d.]+ km\s+([\d.]+) h", output, re.M)[1])

    assert hours(slow.stdout) > 1.5 * hours(default.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["graph", "info", "missing.graphml"], "missing.graphml: GraphML file not found"),
        (["graph", "build", "--osm", str(OAKLAND), "--out", "x.txt"], "must end in .graphml"),
        (["graph", "build", "--bbox", "1,2,3", "--out", "x.graphml"], "four numbers"),
    ],
)
def test_user_mistakes_are_one_line_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    stderr = capsys.readouterr().err
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "error",
    [
        InsufficientResponseError("Nominatim geocoder returned 0 results for query 'Nowhere'."),
        TypeError("Nominatim did not geocode query 'Nowhere' to a geometry of type Polygon."),
    ],
)
def test_a_place_openstreetmap_does_not_know_is_one_line(
    error: Exception,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """osmnx's answers for an unknown place (no result; a point, not an area), offline."""

    def unknown(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(ox, "graph_from_place", unknown)
    out = tmp_path / "x.graphml"
    assert main(["graph", "build", "--place", "Nowhere", "--out", str(out)]) == 2
    stderr = capsys.readouterr().err.strip().splitlines()
    assert len(stderr) == 1 and "place 'Nowhere': OpenStreetMap knows no area" in stderr[0]
    assert "--osm FILE" in stderr[0]
    assert not out.exists()
