"""The ``wasteopt`` command line: one module per command in :mod:`wasteopt.cli.commands`.

Each command module defines ``register(subparsers)`` which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit code. A
:class:`~wasteopt.errors.WasteoptError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from wasteopt.errors import WasteoptError


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every command module's sub-parser registered."""
    parser = argparse.ArgumentParser(
        prog="wasteopt", description="Waste-collection routing, impact and siting."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    package = importlib.import_module(f"{__name__}.commands")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wasteopt`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
