"""Ctrl-C during ``wasteopt plan``: the first stops the search with its best checked plan, a
second aborts and writes nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE


def _planning(out: Path) -> subprocess.Popen:
    """``wasteopt plan`` on the example with a 10-minute budget, once it reports progress."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wasteopt", "plan", str(EXAMPLE), "--time-limit", "600",
         "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    for line in process.stderr:
        if line.startswith("[collection]"):
            return process
    raise AssertionError(f"no progress line; exit {process.wait()}")


def test_ctrl_c_returns_the_best_plan_so_far(tmp_path):
    out = tmp_path / "out"
    process = _planning(out)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert "stopping with the best plan so far" in stderr
    assert "stopped early (Ctrl-C)" in stdout
    checked = subprocess.run(
        [sys.executable, "-m", "wasteopt", "check", str(EXAMPLE), str(out / "plan.json")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_second_ctrl_c_aborts_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    process = _planning(out)
    process.send_signal(signal.SIGINT)
    for line in process.stderr:
        if "stopping with the best plan so far" in line:
            break
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=300)
    assert process.returncode == 130
    assert not out.exists()
