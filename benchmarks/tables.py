"""Render runner CSVs (:mod:`benchmarks.published`) as the Markdown tables of RESULTS.md.

``python -m benchmarks.tables cvrp.csv [more.csv ...]`` prints one table per suite with a
geometric-mean row; rows of the same suite and instance found in several files are all shown.
``--seed N`` keeps the rows of one seed; ``--by-seed`` prints instead one row per instance with
its gap for each seed, their mean and the peer's gap (of the lowest seed it was run with).
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


def render_by_seed(rows: list[dict[str, str]]) -> str:
    """Markdown tables, one per suite: each instance's gap per seed, their mean, the peer's
    gap (of its lowest seed); closed by the geometric means of each column over the instances
    that have it."""
    out = []
    for suite in dict.fromkeys(r["suite"] for r in rows):
        block = [r for r in rows if r["suite"] == suite]
        seeds = sorted({int(r["seed"]) for r in block})
        gaps: dict[str, dict[int, str]] = {}
        peer: dict[str, str] = {}
        for r in sorted(block, key=lambda r: -int(r["seed"])):  # the lowest seed's peer wins
            gaps.setdefault(r["instance"], {})[int(r["seed"])] = r["gap_pct"]
            if r.get("peer_gap_pct"):
                peer[r["instance"]] = r["peer_gap_pct"]
        columns: dict[str, list[dict[str, str]]] = {"mean": [], "peer": []}
        lines = []
        for name, by_seed in gaps.items():
            found = [float(g) for g in by_seed.values() if g]
            mean = str(sum(found) / len(found)) if found else ""
            for s in seeds:
                columns.setdefault(str(s), []).append({"gap_pct": by_seed.get(s, "")})
            columns["mean"].append({"gap_pct": mean})
            columns["peer"].append({"gap_pct": peer.get(name, "")})
            cells = [_num(by_seed.get(s, ""), 2) for s in seeds]
            lines.append(
                f"| {name} | "
                + " | ".join([*cells, _num(mean, 2), _num(peer.get(name, ""), 2)])
                + " |"
            )
        means = []
        for key in [*map(str, seeds), "mean", "peer"]:
            value = geometric_mean_gap(columns[key], "gap_pct")
            means.append("–" if value is None else f"**{value:.2f}**")
        header = "| instance | " + " | ".join(f"seed {s}" for s in seeds) + " | mean | PyVRP |"
        separator = "|" + "---|" * (len(seeds) + 3)
        total = "| **geometric mean** | " + " | ".join(means) + " |"
        out += [f"**{suite}** (gap %)", "", header, separator, *lines, total, ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tables", description=__doc__)
    parser.add_argument("csv", nargs="+", type=Path)
    parser.add_argument("--seed", type=int, help="only the rows of this seed")
    parser.add_argument("--by-seed", action="store_true", help="one column per seed")
    args = parser.parse_args(argv)
    rows: list[dict[str, str]] = []
    for path in args.csv:
        with path.open(encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    if args.seed is not None:
        rows = [r for r in rows if int(r["seed"]) == args.seed]
    print(render_by_seed(rows) if args.by_seed else render(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
