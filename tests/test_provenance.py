"""A plan records where it came from; ``check`` and ``report`` then need only the plan file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from wasteopt.cli import main
from wasteopt.io import load_plan, write_text_atomic

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(capsys):
    """``wasteopt ARGS`` in this process: its exit code, stdout and stderr."""

    def call(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return call


def run_installed(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python ARGS`` in ``cwd`` with no PYTHONPATH: only what is installed is importable."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env
    )


@pytest.fixture(scope="module")
def planned(tmp_path_factory, example_path) -> Path:
    """The example instance copied into a work folder and planned there, under umask 022."""
    work = tmp_path_factory.mktemp("work")
    instance = work / "small.json"
    shutil.copy(example_path, instance)
    old = os.umask(0o022)
    try:
        code = main(
            ["plan", str(instance), "--time-limit", "2", "--solution-limit", "5", "--seed", "3",
             "--date", "2025-03-01", "--out", str(work / "out")]
        )  # fmt: skip
    finally:
        os.umask(old)
    assert code == 0
    return work


def test_plan_records_its_inputs_options_seed_date_and_version(planned):
    plan = load_plan(planned / "out" / "plan.json")
    provenance = plan.provenance
    assert provenance is not None and plan.date == "2025-03-01"
    instance = planned / "small.json"
    assert provenance.instance.path == str(instance.resolve())
    assert provenance.instance.sha256 == hashlib.sha256(instance.read_bytes()).hexdigest()
    assert provenance.graph is None and provenance.speeds_kmh is None
    assert "great-circle" in provenance.road_network
    assert provenance.seed == 3
    assert provenance.options["solution_limit"] == 5
    assert provenance.options["time_limit_s"] == 2.0
    assert provenance.software.startswith("wasteopt ")
    assert provenance.grid.kg_co2_per_kwh == 0.5703
    assert any("great-circle" in caveat for caveat in plan.caveats)


def test_output_files_are_0644_under_umask_022(planned):
    out = planned / "out"
    files = [out / "plan.json", out / "routes.geojson", *(out / "sheets").glob("*.csv")]
    assert len(files) > 2
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o644}


def test_atomic_write_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_text_atomic(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temporary file left


def test_check_and_report_need_only_the_plan(planned, run):
    plan = planned / "out" / "plan.json"
    checked = run("check", plan)
    assert checked.returncode == 0, checked.stderr
    assert "no violations" in checked.stdout
    assert run("check", planned / "small.json", plan).returncode == 0  # the old form
    report = run("report", plan)
    assert report.returncode == 0, report.stderr
    assert "grid factor 0.5703 kg CO2/kWh: China national grid average 2022" in report.stdout
    assert "great-circle" in report.stdout
    regional = run("report", plan, "--grid-factor", "0.5", "--grid-source", "华中区域电网")
    assert "grid factor 0.5 kg CO2/kWh: 华中区域电网" in regional.stdout


def test_a_missing_or_changed_instance_is_named_with_where_it_was_looked_for(
    planned, tmp_path, run
):
    plan = tmp_path / "plan.json"
    shutil.copy(planned / "out" / "plan.json", plan)
    moved = tmp_path / "elsewhere.json"
    shutil.move(planned / "small.json", moved)
    try:
        result = run("check", plan)
        assert result.returncode == 2
        [line] = result.stderr.splitlines()
        assert str((planned / "small.json").resolve()) in line and "(missing)" in line
        assert str(tmp_path / "small.json") in line
        shutil.copy(moved, tmp_path / "small.json")  # a copy beside the plan is found
        assert run("report", plan).returncode == 0
        data = json.loads(moved.read_text(encoding="utf-8"))
        data["points"][0]["tonnes_per_day"] += 1
        (tmp_path / "small.json").write_text(json.dumps(data), encoding="utf-8")
        result = run("check", plan)
        assert result.returncode == 2 and "changed since the plan was made" in result.stderr
    finally:
        shutil.move(moved, planned / "small.json")


def test_check_and_report_from_a_non_editable_install(planned, tmp_path):
    """A wheel installed in a fresh environment (dependencies from the system's site-packages)
    checks and reports a plan given only the plan file, outside the source tree.

    About 5 s of CPU (building the wheel, installing it, two interpreter starts that import the
    solvers), 25-40 s of wall time on the 2-core machine at load 10; none of it can be shared.
    """
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("wasteopt", "api"):
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--no-index", "-q", "-w", wheels, source]  # fmt: skip
    subprocess.run(build, check=True, capture_output=True, timeout=300)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    install = [python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
               "-q", *wheels.glob("*.whl")]  # fmt: skip
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    away = tmp_path / "elsewhere"
    away.mkdir()
    plan = away / "plan.json"
    shutil.copy(planned / "out" / "plan.json", plan)
    # where the package is imported from, then the check, in one interpreter start
    check = "import sys, wasteopt, wasteopt.cli; print(wasteopt.__file__);"
    check += " sys.exit(wasteopt.cli.main(['check', 'plan.json']))"
    checked = run_installed(python, "-c", check, cwd=away)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(str(env_dir)) and "no violations" in checked.stdout
    report = run_installed(python, "-m", "wasteopt", "report", str(plan), cwd=away)
    assert report.returncode == 0, report.stderr
    assert "resource-recovery share" in report.stdout
