"""Scenario sweeps on a local Dask cluster of two worker processes (CI has two cores).

Cells use solution limits, so a cell's plan depends only on its inputs and seed: the rows of a
sweep can be compared with the same cells run one by one in this process.
"""

from __future__ import annotations

import csv
import json
import os
import signal
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE
from wasteopt.check import check_plan
from wasteopt.cli import main
from wasteopt.electrify import ElectricVariant, electric_fleet_share, electrify
from wasteopt.errors import InstanceError, NetworkError
from wasteopt.io import load_plan
from wasteopt.matrix import GreatCircleProvider
from wasteopt.sweep.cells import prepare
from wasteopt.sweep.cluster import open_client
from wasteopt.sweep.run import run_cell, run_sweep
from wasteopt.sweep.spec import load_spec
from wasteopt.sweep.store import COLUMNS, ResultStore

# what differs between two runs of the same cell: where and how long it ran
RUN_COLUMNS = {"seconds", "cpu_s", "worker", "finished_at"}
EV3 = {
    "streams": ["residual"],
    "payload_t": 3,
    "energy": {"type": "electric", "empty_per_100km": 61.2, "full_per_100km": 81.6},
    "fixed_cost_per_day": 128.8,
    "cost_per_km": 0.84,
    "battery": {"capacity_kwh": 110},
}


def write_spec(folder: Path, **changes: object) -> Path:
    """A 6-cell spec on the small example: electric share 0, 1/2, 1 x seeds 0, 1."""
    spec = {
        "name": "test sweep",
        "instance": str(EXAMPLE),
        "axes": {"electric_share": [0.0, 0.5, 1.0], "seed": [0, 1], "time_limit_s": [60]},
        "solution_limit": 1,
        "electric_variants": [EV3],
    }
    spec.update(changes)
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def prepared(folder: Path, **changes: object):
    path = write_spec(folder, **changes)
    return prepare(load_spec(path), path)


def as_text(row: dict) -> dict[str, str]:
    return {c: "" if row.get(c) is None else str(row.get(c)) for c in COLUMNS}


def without_run(row: dict[str, str]) -> dict[str, str]:
    return {c: v for c, v in row.items() if c not in RUN_COLUMNS}


@pytest.fixture(scope="module")
def client():
    with open_client(local_workers=2) as dask_client:
        yield dask_client


# ------------------------------------------------------------------------ cells and levers


def test_electrify_converts_a_share_of_each_collection_type(example):
    variant = ElectricVariant.model_validate(EV3)
    half = electrify(example, 0.5, [variant])
    counts = {vt.id: (vt.count, vt.energy.type) for vt in half.vehicle_types}
    assert counts["CT3"] == (1, "diesel")  # 3 trucks: 1.5 rounds up to 2 converted
    assert counts["CT3-ev"] == (2, "electric")
    assert counts["HL8"] == (1, "diesel")  # transfer tier unchanged
    ev = half.vehicle_type("CT3-ev")
    assert (ev.yard, ev.shift, ev.payload_t, ev.cost_per_km) == (
        "Y1",
        example.vehicle_type("CT3").shift,
        3,
        0.84,
    )
    assert ev.battery.capacity_kwh == 110  # the variant's battery bounds its range
    yard = next(y for y in half.yards if y.id == "Y1")
    assert yard.charger.count >= 2  # and the yard charges both overnight
    whole = electrify(example, 1.0, [variant])
    assert "CT3" not in {vt.id for vt in whole.vehicle_types}
    assert electric_fleet_share(whole) == 1.0
    with pytest.raises(InstanceError, match="no electric variant for 3 t residual"):
        electrify(example, 0.5, [])


def test_an_electric_variant_without_a_battery_is_refused_by_name(tmp_path):
    spec = write_spec(
        tmp_path, electric_variants=[{k: v for k, v in EV3.items() if k != "battery"}]
    )
    with pytest.raises(InstanceError, match="battery"):
        load_spec(spec)


def test_electrify_uses_the_instances_own_electric_type(example):
    own = example.vehicle_type("CT3").model_copy(
        update={
            "id": "CT3E",
            "count": 1,
            "energy": example.vehicle_type("KT2").energy,
            "cost_per_km": 0.9,
        }
    )
    instance = example.model_copy(update={"vehicle_types": [*example.vehicle_types, own]})
    changed = electrify(instance, 1.0)
    assert changed.vehicle_type("CT3-ev").cost_per_km == 0.9
    assert changed.vehicle_type("CT3-ev").count == 3


def test_cell_keys_are_stable_and_follow_their_inputs(tmp_path):
    first = prepared(tmp_path)
    again = prepared(tmp_path)
    assert [c.key for c in first.cells] == [c.key for c in again.cells]
    assert len({c.key for c in first.cells}) == 6
    longer = prepared(tmp_path, solution_limit=2)
    assert not {c.key for c in first.cells} & {c.key for c in longer.cells}
    # a chosen cell is the same cell as in the cross product
    chosen = prepared(tmp_path, cells=[{"electric_share": 0.5, "seed": 1}])
    assert chosen.cells[0].key in {c.key for c in first.cells}


def test_retrying_failed_cells_drops_only_their_rows(tmp_path):
    from wasteopt.sweep.run import CellOutcome

    store = ResultStore(tmp_path / "out")
    store.append(CellOutcome({"key": "a", "status": "ok", "scenario": "今天"}))
    store.append(CellOutcome({"key": "b", "status": "failed", "error": "NetworkError: x"}))
    assert store.drop_failed() == 1
    assert [(r["key"], r["scenario"]) for r in store.rows()] == [("a", "今天")]
    assert store.done_keys() == {"a"}
    assert store.path.read_bytes().startswith("\ufeff".encode())


def test_the_summary_marks_the_pareto_front_and_survives_only_failures():
    from wasteopt.sweep.summary import frame, summarise

    def row(key: str, factor: float, seed: int, cost: float, co2e: float) -> dict[str, str]:
        values = {"key": key, "status": "ok", "error": "", "scenario": "today", "phase": ""}
        values.update(tonnes_factor=factor, electric_share=0, seed=seed, time_limit_s=60)
        values.update(annual_cost=cost, net_co2e_t_per_yr=co2e, collection_trucks=2)
        values.update(transfer_trucks=1, transport_co2e_t_per_yr=1, overflow_t_per_day=0)
        values.update(unserved_t_per_day=0)
        return {k: str(v) for k, v in values.items()}

    rows = [
        row("a", 1.0, 0, 100, 50),
        row("b", 1.0, 1, 90, 55),  # the cheaper seed stands for configuration 1.0
        row("c", 1.1, 0, 95, 40),
        row("d", 1.2, 0, 120, 60),  # dominated by both others
    ]
    summary = summarise(frame(rows)).set_index("tonnes_factor")
    assert summary.loc[1.0, "best_seed"] == 1 and summary.loc[1.0, "seeds"] == 2
    assert summary.loc[1.0, "cost_spread_pct"] == pytest.approx(100 * 10 / 90)
    assert list(summary["pareto"]) == [True, True, False]
    failed = [{**rows[0], "status": "failed", "annual_cost": "", "net_co2e_t_per_yr": ""}]
    only_failed = summarise(frame(failed))
    assert only_failed.loc[0, "failed"] == 1 and not only_failed.loc[0, "pareto"]


# ------------------------------------------------------------------------ on the cluster


def test_sweep_rows_equal_cells_run_one_by_one(tmp_path, client):
    sweep = prepared(tmp_path)
    store = ResultStore(tmp_path / "out")
    run = run_sweep(sweep, store, client)
    assert (run.ran, run.failed, run.skipped) == (6, 0, 0)
    rows = {r["key"]: without_run(r) for r in store.rows()}
    alone = {c.key: without_run(as_text(run_cell(sweep.context, c).row)) for c in sweep.cells}
    assert rows == alone
    assert {r["status"] for r in rows.values()} == {"ok"}
    assert {r["worker"] for r in store.rows()} - {"local"}  # ran on the cluster's workers
    cell = sweep.cells[-1]
    plan = load_plan(store.cell_dir(cell.key) / "plan.json")
    instance = sweep.context.cell_instance(cell)
    matrices = GreatCircleProvider.for_instance(instance).matrices(instance.sites)
    assert check_plan(instance, plan, matrices) == []
    routes = json.loads((store.cell_dir(cell.key) / "routes.geojson").read_text("utf-8"))
    assert routes["type"] == "FeatureCollection"


def test_interrupted_sweep_reruns_only_missing_cells(tmp_path, client):
    sweep = prepared(tmp_path)
    store = ResultStore(tmp_path / "out")
    written: list[str] = []

    def interrupt_after_two(row: dict) -> None:
        written.append(row["key"])
        if len(written) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, store, client, on_row=interrupt_after_two)
    assert [r["key"] for r in store.rows()] == written
    # a row cut short by a crash while it was written does not count
    with store.path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(next(c.key for c in sweep.cells if c.key not in written) + ",ok,,tod")
    rerun = run_sweep(sweep, store, client)
    assert (rerun.ran, rerun.skipped) == (4, 2)
    keys = [r["key"] for r in store.rows()]
    assert sorted(keys) == sorted(c.key for c in sweep.cells)
    assert run_sweep(sweep, store, client).ran == 0


class UnreachableStation(GreatCircleProvider):
    """Great-circle travel, except that station ``TS-X`` cannot be reached (as on a road graph
    where a site snaps to a cut-off road): planning a cell with it raises."""

    def matrices(self, sites):
        if any(site.id == "TS-X" for site in sites):
            raise NetworkError("site 'TS-X' cannot be reached on the road network")
        return super().matrices(sites)


def test_a_cell_that_fails_leaves_a_row_with_its_error(tmp_path, client, example):
    station = example.facilities[0].model_dump() | {"id": "TS-X", "lon": 111.59}
    new_station = {"name": "new station", "add_stations": [station], "open_stations": ["TS-X"]}
    sweep = prepared(tmp_path, axes={"scenarios": ["today", new_station], "time_limit_s": [60]})
    sweep = replace(sweep, context=replace(sweep.context, provider=UnreachableStation()))
    store = ResultStore(tmp_path / "out")
    run = run_sweep(sweep, store, client)
    assert (run.ran, run.failed) == (2, 1)
    rows = {r["scenario"]: r for r in store.rows()}
    assert rows["today"]["status"] == "ok"
    assert rows["new station"]["status"] == "failed"
    assert rows["new station"]["error"] == (
        "NetworkError: site 'TS-X' cannot be reached on the road network"
    )
    assert not store.cell_dir(rows["new station"]["key"]).exists()
    assert run_sweep(sweep, store, client).ran == 0  # a failed cell has its row


def test_the_command_on_a_running_scheduler_writes_the_planners_answer(tmp_path, client, capsys):
    spec = write_spec(tmp_path, axes={"tonnes_factor": [1.0, 1.3], "time_limit_s": [60]})
    out = tmp_path / "out"
    args = ["sweep", str(spec), "--out", str(out), "--scheduler", client.scheduler.address]
    assert main(args) == 0
    printed = capsys.readouterr()
    assert "2/2 cells" in printed.err and "ETA" in printed.err
    assert "test sweep: 2 cells, 2 to run" in printed.out
    for name in ("summary.csv", "index.html", "pareto.png", "pareto.svg", "axes.png", "axes.svg"):
        assert (out / name).stat().st_size > 0, name
    with (out / "summary.csv").open(encoding="utf-8-sig") as handle:
        summary = list(csv.DictReader(handle))
    assert sorted(float(line["tonnes_factor"]) for line in summary) == [1.0, 1.3]
    assert main(args) == 0  # nothing left to run; the answer is written again
    assert "2 cells, 0 to run" in capsys.readouterr().out


def test_published_benchmarks_run_instances_times_seeds_on_the_cluster(tmp_path, client):
    from benchmarks.published import COLUMNS as BENCH_COLUMNS
    from benchmarks.published import run, select, suite_files
    from wasteopt.planning import PlanOptions

    out = tmp_path / "rows.csv"
    files = select(suite_files("cvrp"), "X-n101-k25")
    options = PlanOptions(time_limit_s=5.0, solution_limit=1)
    run("cvrp", files, options, None, out, echo=lambda _: None, seeds=[0, 1], client=client)
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == BENCH_COLUMNS
    assert sorted(r["seed"] for r in rows) == ["0", "1"]
    assert all(r["worker"].startswith("tcp://") and r["checker_ok"] == "True" for r in rows)
    assert all(float(r["cpu_s"]) > 0 for r in rows)


def test_a_worker_killed_mid_sweep_leaves_every_row_once(tmp_path, client):
    sweep = prepared(tmp_path)
    store = ResultStore(tmp_path / "out")
    pids = client.run(os.getpid)
    killed: list[int] = []

    def kill_a_busy_worker(_: dict) -> None:
        if killed:
            return
        busy = [address for address, keys in client.processing().items() if keys]
        assert busy, "no task left running when the first row arrived"
        killed.append(pids[busy[0]])
        os.kill(pids[busy[0]], signal.SIGKILL)

    run = run_sweep(sweep, store, client, on_row=kill_a_busy_worker)
    assert killed
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)
    keys = [r["key"] for r in store.rows()]
    assert Counter(keys) == Counter(c.key for c in sweep.cells)
    assert {r["status"] for r in store.rows()} == {"ok"}
    assert run.ran == 6


# ------------------------------------------------------------------------ bad specs


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"axes": {"electric_share": [1.5]}}, "axes.electric_share[0]: Input should be less"),
        ({"axes": {"seeds": [0]}}, "axes.seeds: is not a known field"),
        ({"instance": "missing.json"}, "missing.json: file not found"),
        ({"electric_variants": []}, "no electric variant for 3 t residual trucks"),
        ({"axes": {"phase": [3]}}, "phase 3 has no capacity in phases"),
        ({"cells": [{"scenario": "2030"}]}, "cells[0].scenario: unknown scenario '2030'"),
        ({"axes": {"scenarios": ["nowhere.json"]}}, "nowhere.json: file not found"),
    ],
)
def test_a_bad_spec_gets_one_line_exit_2_and_nothing_written(tmp_path, capsys, changes, message):
    spec = write_spec(tmp_path, **changes)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("wasteopt: error:")
    assert message in err
    assert not out.exists()


def test_a_scenario_that_makes_a_fleet_out_of_range_is_refused_before_any_cell(tmp_path, capsys):
    huge = tmp_path / "huge.json"
    huge.write_text(
        json.dumps({"name": "huge", "fleet": [{"vehicle_type": "CT3", "count": 10**20}]}),
        encoding="utf-8",
    )
    spec = write_spec(tmp_path, axes={"scenarios": [str(huge)], "time_limit_s": [60]})
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "vehicle_types[0].count" in err
    assert not out.exists()


def test_a_spec_that_is_not_yaml_is_named_with_its_line(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text("instance: small.json\naxes: [seed: 0\n", encoding="utf-8")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "malformed YAML at line" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("seconds", "bound"),
    [(1e-9, "greater than or equal to 0.1"), (1e9, "less than or equal to 86400")],
)
def test_a_sweeps_time_limits_keep_to_the_shared_physical_range(tmp_path, seconds, bound):
    """The same 0.1 s to one day as `plan`, `site` and the API, on an axis and a chosen cell."""
    axis = write_spec(tmp_path, axes={"time_limit_s": [seconds]})
    with pytest.raises(InstanceError, match=rf"axes\.time_limit_s\[0\]: Input should be {bound}"):
        load_spec(axis)
    cell = write_spec(tmp_path, cells=[{"time_limit_s": seconds}])
    with pytest.raises(InstanceError, match=rf"cells\[0\]\.time_limit_s: Input should be {bound}"):
        load_spec(cell)
