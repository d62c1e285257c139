"""Collect ``bench_*.py`` as test modules when pytest is pointed at ``benchmarks/``.

The regular test run (``pytest``, testpaths = tests) never enters this folder; run the suites
with ``pytest benchmarks/`` (pytest-benchmark comes with the ``bench`` extra).
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    named = file_path.suffix == ".py" and file_path.name.startswith("bench_")
    # A file named on the command line is collected by pytest itself.
    if named and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
