"""The README Quickstart's two installs, in order, in a fresh virtual environment: a regular
install that then compiles (and caches) numba code as ``wasteopt plan`` does on a road graph,
then the editable install. After both, the package must come from the source tree, nothing of
the first install may be left in site-packages (leftover numba cache files there once shadowed
the editable install), and every module must import and every subcommand print its help.

The environment sees the system's site-packages (pip included, so the venv is made without
its own, 20 s less) and pip installs with ``--no-deps --no-build-isolation --no-index``: the
dependencies are those the test command installed, nothing is fetched, and the two installs of
wasteopt itself are the ones exercised.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Compiles and caches a numba function of the package, as planning on a road graph does.
COMPILE = """
import numpy as np
from wasteopt.network.hierarchy import _heap_push
_heap_push(np.zeros(2, np.int64), np.zeros(2, np.int64), 0, 5, 1)
"""

# Imports every module, then prints every (sub)command's help; prints the package's folder.
EVERY_HELP = """
import argparse, contextlib, importlib, io, pkgutil, runpy, sys
script = sys.argv[1]  # the console script the install wrote
import wasteopt
from wasteopt.cli import build_parser, main
for info in pkgutil.walk_packages(wasteopt.__path__, "wasteopt."):
    if info.name != "wasteopt.__main__":  # it runs the command line
        importlib.import_module(info.name)

def commands(parser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name)
                yield from commands(sub, (*path, name))

helped = []
for path in [(), *commands(build_parser())]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main([*path, "--help"])
    assert out.getvalue().startswith("usage: wasteopt"), (path, out.getvalue())
    helped.append(" ".join(path))
print(wasteopt.__path__[0])
print(";".join(helped))
sys.argv = [script, "--version"]
with contextlib.redirect_stdout(out := io.StringIO()), contextlib.suppress(SystemExit):
    runpy.run_path(script, run_name="__main__")
print(out.getvalue().strip())
"""


def test_both_quickstart_installs_in_a_fresh_venv_then_every_subcommand_helps(tmp_path):
    src, venv, cache = tmp_path / "src", tmp_path / "venv", tmp_path / "cache"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ("wasteopt", "api"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    unset = ("WASTEOPT_CACHE_DIR", "NUMBA_CACHE_DIR", "PYTHONPATH")  # as on a fresh clone
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env |= {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(cache), "PIP_NO_INDEX": "1"}

    def run(*args: object) -> str:
        """Run a command away from any source tree (``python -c`` imports from its folder)."""
        done = subprocess.run(
            [str(a) for a in args], capture_output=True, text=True, env=env, cwd=tmp_path
        )
        assert done.returncode == 0, f"{args[:4]}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv)
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site_packages = Path(run(python, "-c", purelib).strip())
    pip = (python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation")

    run(*pip, src)  # the Quickstart's first line, then code compiled as its plan compiles it
    run(python, "-c", COMPILE)
    assert list((cache / "wasteopt" / "numba").rglob("*.nbi"))
    run(*pip, "-e", src)  # the second line
    left = sorted(str(p.relative_to(site_packages)) for p in site_packages.glob("wasteopt/**/*"))
    assert left == [], f"left in site-packages by the first install: {left[:5]}"
    package, helped, version = run(python, "-c", EVERY_HELP, venv / "bin" / "wasteopt").split("\n")[
        :3
    ]
    assert Path(package).resolve() == (src / "wasteopt").resolve()
    commands = set(helped.split(";"))
    assert {"plan", "site", "compare", "graph", "graph build", "graph info"} <= commands
    assert version.startswith("wasteopt ")
