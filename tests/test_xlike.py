"""The X-like generator writes instances the benchmark reads, with the route length asked for."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.convert import read_problem
from benchmarks.xlike import GRID, LONG_ROUTES, Spec, main, vrp_text


def _read(tmp_path, spec: Spec):
    path = tmp_path / f"{spec.name}.vrp"
    path.write_text(vrp_text(spec))
    return read_problem("cvrp", path)


def _nearest_mean(coords: np.ndarray) -> float:
    gaps = np.hypot(*(coords[:, None, :] - coords[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(gaps, np.inf)
    return float(gaps.min(axis=1).mean())


@pytest.mark.parametrize("r", [10, 60, 150])
def test_capacity_gives_the_mean_route_size(tmp_path, r):
    problem = _read(tmp_path, Spec(300, r, "R", "R", 7))
    assert len(problem.clients) == 300
    capacity = problem.groups[0].capacity
    routes_needed = problem.demand.sum() / capacity
    assert 300 / routes_needed == pytest.approx(r, rel=0.01)


def test_depot_placement(tmp_path):
    centre = _read(tmp_path, Spec(50, 10, "C", "R", 1))
    corner = _read(tmp_path, Spec(50, 10, "E", "R", 1))
    assert list(centre.coords[0]) == [GRID // 2, GRID // 2]
    assert list(corner.coords[0]) == [0, 0]


def test_clustered_customers_lie_closer_together_than_random_ones(tmp_path):
    random = _read(tmp_path, Spec(200, 20, "R", "R", 3)).coords[1:]
    clustered = _read(tmp_path, Spec(200, 20, "R", "C", 3)).coords[1:]
    mixed = _read(tmp_path, Spec(200, 20, "R", "RC", 3)).coords[1:]
    assert ((clustered >= 0) & (clustered <= GRID)).all()
    assert _nearest_mean(clustered) < _nearest_mean(mixed) < _nearest_mean(random)


@pytest.mark.parametrize(
    ("fields", "named"), [((0, 10, "R", "R"), "customers"), ((50, 10, "X", "R"), "depot")]
)
def test_a_bad_spec_names_its_field(fields, named):
    with pytest.raises(ValueError, match=named):
        Spec(*fields, 1)


def test_same_spec_same_instance_and_seeds_differ():
    spec = Spec(120, 30, "R", "RC", 11)
    assert vrp_text(spec) == vrp_text(spec)
    assert vrp_text(spec) != vrp_text(Spec(120, 30, "R", "RC", 12))


def test_cli_writes_the_long_route_set(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.vrp"))
    assert written == sorted(f"{spec.name}.vrp" for spec in LONG_ROUTES)
    assert len(capsys.readouterr().out.splitlines()) == len(LONG_ROUTES)
