"""The multi-depot generator writes instances the benchmark reads, each customer servable."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.convert import read_problem
from benchmarks.mdlike import DAY, MANY_DEPOTS, SPARE_TRUCKS, Spec, main, vrp_text


def _read(tmp_path, spec: Spec):
    path = tmp_path / f"{spec.name}.vrp"
    path.write_text(vrp_text(spec))
    return read_problem("mdvrptw", path)


def test_depots_fleet_and_capacity(tmp_path):
    spec = Spec(240, 6, 40, 300, 5)
    problem = _read(tmp_path, spec)
    assert len(problem.clients) == 240
    assert len(problem.depots) == 6
    assert [g.count for g in problem.groups] == [1 + SPARE_TRUCKS] * 6
    assert sorted(g.depot for g in problem.groups) == list(range(6))
    routes_by_load = problem.demand.sum() / problem.groups[0].capacity
    assert abs(routes_by_load - 240 / 40) < 0.05 * 240 / 40


def test_every_customer_can_be_served_from_its_nearest_depot_within_the_day():
    spec = Spec(300, 9, 50, 200, 8)
    lines = vrp_text(spec).splitlines()

    def section(name: str, width: int) -> np.ndarray:
        start = lines.index(name) + 1
        rows = [line.split("\t") for line in lines[start : start + spec.depots + spec.customers]]
        return np.array([[float(v) for v in row[1 : 1 + width]] for row in rows])

    coords = section("NODE_COORD_SECTION", 2)
    service = section("SERVICE_TIME_SECTION", 1)[spec.depots :, 0]
    windows = section("TIME_WINDOW_SECTION", 2)[spec.depots :]
    depots, customers = coords[: spec.depots], coords[spec.depots :]
    reach = np.hypot(*(customers[:, None, :] - depots[None, :, :]).transpose(2, 0, 1)).min(axis=1)
    assert (windows[:, 1] > windows[:, 0]).all()
    assert (windows[:, 1] - windows[:, 0] <= spec.width).all()
    start = np.maximum(reach, windows[:, 0])  # leave the depot at 0, wait for the window
    assert (start <= windows[:, 1]).all()
    assert (start + service + reach <= DAY + 1).all()  # windows are whole units


def test_a_bad_spec_names_its_field():
    with pytest.raises(ValueError, match="width"):
        Spec(100, 4, 20, 0, 1)


def test_same_spec_same_instance_and_seeds_differ():
    spec = Spec(100, 4, 20, 300, 1)
    assert vrp_text(spec) == vrp_text(spec)
    assert vrp_text(spec) != vrp_text(Spec(100, 4, 20, 300, 2))


def test_cli_writes_the_many_depot_set(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.vrp"))
    assert written == sorted(f"{spec.name}.vrp" for spec in MANY_DEPOTS)
    assert len(capsys.readouterr().out.splitlines()) == len(MANY_DEPOTS)
