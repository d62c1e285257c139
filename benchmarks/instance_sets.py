"""Writing a generated set of VRPLIB instances (:mod:`benchmarks.xlike`,
:mod:`benchmarks.mdlike`) to a folder, from code or the command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from wasteopt.io import write_text_atomic


class NamedSpec(Protocol):
    @property
    def name(self) -> str: ...


def write_set(specs: Sequence[NamedSpec], text: Callable[[Any], str], out: Path) -> list[Path]:
    """One ``.vrp`` file per spec in ``out``, holding ``text(spec)``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in specs:
        path = out / f"{spec.name}.vrp"
        write_text_atomic(path, text(spec))
        paths.append(path)
    return paths


def main(
    prog: str,
    description: str | None,
    specs: Sequence[NamedSpec],
    text: Callable[[Any], str],
    argv: list[str] | None,
) -> int:
    """``prog --out DIR``: write ``specs`` there and print each file's path."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    args = parser.parse_args(argv)
    for path in write_set(specs, text, args.out):
        print(path)
    return 0
