"""graphs/build_daoxian.py: the schematic network links every site of an instance by road."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from wasteopt.io import instance_from_dict
from wasteopt.matrix import great_circle_m
from wasteopt.model import Instance
from wasteopt.network import RoadNetworkProvider, load_provider

SCRIPT = Path(__file__).resolve().parents[1] / "graphs" / "build_daoxian.py"


def _script():
    spec = importlib.util.spec_from_file_location("build_daoxian", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def small_county(example: Instance) -> Instance:
    """Three townships of eight villages each around the example's yard and facilities."""
    rng = np.random.default_rng(11)
    data = example.model_dump(mode="json", by_alias=True)
    towns = {"甲镇": (111.50, 25.60), "乙街道": (111.60, 25.52), "丙乡": (111.70, 25.42)}
    data["points"] = [
        {
            "id": f"{name}-{k:02d}",
            "lon": lon + rng.normal(0, 0.03),
            "lat": lat + rng.normal(0, 0.03),
            "stream": "residual",
            "tonnes_per_day": 1.0,
            "township": name,
        }
        for name, (lon, lat) in towns.items()
        for k in range(8)
    ]
    return instance_from_dict(data)


@pytest.fixture(scope="module")
def county(example: Instance) -> Instance:
    return small_county(example)


def test_every_site_is_a_node_of_one_connected_network(county: Instance, tmp_path: Path) -> None:
    script = _script()
    graph = script.build(county)
    assert nx.is_strongly_connected(graph)
    assert sorted(d["site_id"] for _, d in graph.nodes(data=True)) == sorted(
        s.id for s in county.sites
    )
    classes = {d["highway"] for *_, d in graph.edges(data=True)}
    assert classes <= set(script.CIRCUITY)
    assert {"tertiary", "residential", "unclassified"} <= classes
    assert classes & {"primary", "secondary"}
    for u, v, data in graph.edges(data=True):
        a, b = graph.nodes[u], graph.nodes[v]
        straight = great_circle_m(a["x"], a["y"], b["x"], b["y"])
        assert straight * 1.09 <= data["length"] <= straight * 1.21 + 0.1
        assert graph.has_edge(v, u)
    provider = RoadNetworkProvider(graph, cache_dir=tmp_path)
    assert provider.drop_report.components == 0
    assert max(s.distance_m for s in provider.snap_report(county.sites)) < 0.5


def test_script_writes_the_same_graphml_twice(county: Instance, tmp_path: Path) -> None:
    instance_path = tmp_path / "instance.json"
    instance_path.write_text(county.model_dump_json(by_alias=True), encoding="utf-8")
    outputs = []
    for name in ("a.graphml", "b.graphml"):
        out = tmp_path / name
        run = subprocess.run(
            [sys.executable, str(SCRIPT), str(instance_path), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    provider = load_provider(tmp_path / "a.graphml", cache_dir=tmp_path / "cache")
    m = provider.matrices(county.sites)
    assert (m.duration_s[~np.eye(len(county.sites), dtype=bool)] > 0).all()
