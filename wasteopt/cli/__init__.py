"""The ``wasteopt`` command line: one module per command in :mod:`wasteopt.cli.commands`.

Each command module defines ``register(subparsers)`` which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit code. A
:class:`~wasteopt.errors.WasteoptError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

import wasteopt
from wasteopt.errors import WasteoptError

# exit code of a command whose reader went away, as a shell reports a tool ended by SIGPIPE
BROKEN_PIPE_EXIT = 128 + 13


class HelpFormatter(argparse.HelpFormatter):
    """Wraps prose like argparse; lines that start with a space (the examples) stay as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks: list[str] = []
        prose: list[str] = []
        for line in text.splitlines():
            if line.startswith(" "):
                if prose:
                    blocks.append(super()._fill_text(" ".join(prose), width, indent))
                    prose = []
                blocks.append(indent + line)
            else:
                prose.append(line)
        if prose:
            blocks.append(super()._fill_text(" ".join(prose), width, indent))
        return "\n".join(blocks)


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose help keeps the examples' lines; sub-parsers inherit it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def version() -> str:
    """The installed distribution's version (the package's own when run from a source tree)."""
    try:
        return importlib.metadata.version("wasteopt")
    except importlib.metadata.PackageNotFoundError:
        return wasteopt.__version__


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every command module's sub-parser registered."""
    parser = ArgumentParser(
        prog="wasteopt",
        description="Waste-collection routing, impact and siting. "
        "`wasteopt COMMAND --help` describes a command, with examples.",
        epilog="examples:\n"
        "  wasteopt validate instances/daoxian/instance.json\n"
        "  wasteopt plan instances/daoxian/instance.json --graph graphs/daoxian.graphml"
        " --out out/daoxian\n"
        "  wasteopt report out/daoxian/plan.json | head",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    package = importlib.import_module(f"{__name__}.commands")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            module.register(subparsers)
    return parser


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except WasteoptError as exc:
        print(f"wasteopt: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wasteopt: interrupted", file=sys.stderr)
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wasteopt`` console script.

    When the reader of standard output goes away (``wasteopt report PLAN | head``), the command
    stops quietly with exit code 141, as a Unix tool ended by SIGPIPE does.
    """
    try:
        try:
            return _run(argv)
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit: send what is left to /dev/null instead
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_EXIT


if __name__ == "__main__":
    sys.exit(main())
