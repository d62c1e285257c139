"""Render runner CSVs (:mod:`benchmarks.published`) as the Markdown tables of RESULTS.md.

``python -m benchmarks.tables cvrp.csv [more.csv ...]`` prints one table per suite with a
geometric-mean row; rows of the same suite and instance found in several files are all shown.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from benchmarks.published import geometric_mean_gap

HEADER = (
    "| instance | n | BKS | wasteopt | gap % | first s | ok | CPU s "
    "| PyVRP | gap % | first s | ok | CPU s | load |"
)


def _num(value: str, digits: int) -> str:
    if value in ("", None):
        return "–"
    number = float(value)
    return f"{number:,.{digits}f}" if digits else f"{number:,.0f}"


def _ok(value: str) -> str:
    return {"True": "yes", "False": "**no**"}.get(value, "–")


def _row(r: dict[str, str]) -> str:
    unserved = f" ({r['unserved']} unserved)" if r["unserved"] not in ("", "0") else ""
    cells = [
        r["instance"],
        r["n"],
        _num(r["bks"], 0),
        _num(r["cost"], 0),
        _num(r["gap_pct"], 2),
        _num(r["first_feasible_s"], 2),
        _ok(r["checker_ok"]) + unserved,
        _num(r["cpu_s"], 1),
        _num(r["peer_cost"], 0),
        _num(r["peer_gap_pct"], 2),
        _num(r["peer_first_feasible_s"], 2),
        _ok(r["peer_checker_ok"]),
        _num(r["peer_cpu_s"], 1),
        _num(r["load1"], 1),
    ]
    return "| " + " | ".join(cells) + " |"


def render(rows: list[dict[str, str]]) -> str:
    """Markdown tables, one per suite, each closed by a geometric-mean gap row."""
    out = []
    for suite in dict.fromkeys(r["suite"] for r in rows):
        block = [r for r in rows if r["suite"] == suite]
        ours = geometric_mean_gap(block, "gap_pct")
        peer = geometric_mean_gap(block, "peer_gap_pct")
        mean = (
            f"| **geometric mean** | | | | **{_num(str(ours), 2) if ours is not None else '–'}**"
            f" | | | | | **{_num(str(peer), 2) if peer is not None else '–'}** | | | | |"
        )
        separator = "|" + "---|" * 14
        out += [f"**{suite}**", "", HEADER, separator, *map(_row, block), mean, ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tables", description=__doc__)
    parser.add_argument("csv", nargs="+", type=Path)
    args = parser.parse_args(argv)
    rows: list[dict[str, str]] = []
    for path in args.csv:
        with path.open(encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    print(render(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
