"""Compiled numba code is cached in the user cache directory, never inside the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import wasteopt

PACKAGE = Path(wasteopt.__file__).resolve().parent

# Imports every wasteopt module that uses numba, compiles one function, and prints the cache
# directory of every cached numba function it defines.
PROBE = """
import importlib, json, sys
import numpy as np
from numba.core.registry import CPUDispatcher
paths = {}
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    for attr, value in vars(module).items():
        if isinstance(value, CPUDispatcher) and value._cache.cache_path is not None:
            paths[f"{name}.{attr}"] = value._cache.cache_path
from wasteopt.network.hierarchy import _heap_push
_heap_push(np.zeros(2, np.int64), np.zeros(2, np.int64), 0, 5, 1)
print(json.dumps(paths))
"""


def numba_modules() -> list[str]:
    """Every module of the package that compiles with numba."""
    return sorted(
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for path in PACKAGE.rglob("*.py")
        if "numba.njit" in path.read_text(encoding="utf-8")
    )


def probe(env: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *numba_modules()],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_numba_caches_in_the_user_cache_directory(tmp_path):
    paths = probe({"WASTEOPT_CACHE_DIR": str(tmp_path)})
    assert "wasteopt.network.hierarchy._heap_push" in paths
    for name, path in paths.items():
        assert Path(path).is_relative_to(tmp_path / "numba"), (name, path)
    assert list((tmp_path / "numba").rglob("*_heap_push*.nbi"))
    assert not list(PACKAGE.rglob("*.nbi")) and not list(PACKAGE.rglob("*.nbc"))


def test_numba_cache_dir_from_the_environment_wins(tmp_path):
    paths = probe({"WASTEOPT_CACHE_DIR": str(tmp_path / "w"), "NUMBA_CACHE_DIR": str(tmp_path)})
    assert paths and all(Path(p).is_relative_to(tmp_path) for p in paths.values())
    assert not any(Path(p).is_relative_to(tmp_path / "w") for p in paths.values())
