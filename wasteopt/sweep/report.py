"""The end of a sweep: the summary table printed and written, the figures, failed cells named."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TextIO

import pandas as pd

from wasteopt import csv_cells
from wasteopt._text import table
from wasteopt.io import write_text_atomic
from wasteopt.sweep.cells import Sweep
from wasteopt.sweep.plots import write_figures
from wasteopt.sweep.store import ResultStore
from wasteopt.sweep.summary import frame, summarise

SHOWN = [
    ("scenario", "scenario", "<"),
    ("tonnes_factor", "growth", ">"),
    ("electric_share", "ev", ">"),
    ("phase", "phase", ">"),
    ("seeds", "seeds", ">"),
    ("annual_cost", "CNY/yr", ">"),
    ("cost_spread_pct", "spread %", ">"),
    ("trucks", "trucks", ">"),
    ("net_co2e_t_per_yr", "net CO2e t/yr", ">"),
    ("overflow_t_per_day", "overflow t/d", ">"),
    ("pareto", "Pareto", "<"),
]


def _text(column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if column == "electric_share":
        return f"{value:.0%}"
    if column == "pareto":
        return "*" if value else ""
    if column in ("phase", "seeds", "trucks"):
        return f"{int(value)}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def format_summary(summary: pd.DataFrame) -> str:
    """The summary as aligned text, cheapest configuration first."""
    header = [label for _, label, _ in SHOWN]
    lines = [[_text(c, line[c]) for c, _, _ in SHOWN] for _, line in summary.iterrows()]
    return "\n".join(table([header, *lines], "".join(a for _, _, a in SHOWN), indent=""))


def summary_page(title: str, summary: pd.DataFrame, figures: list[Path], failed: int) -> str:
    """A self-contained HTML page: the summary table and the SVG figures beside it."""
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in SHOWN)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(_text(c, line[c]))}</td>" for c, _, _ in SHOWN)
        + "</tr>"
        for _, line in summary.iterrows()
    )
    images = "".join(
        f'<img src="{html.escape(path.name)}" alt="{html.escape(path.stem)}">'
        for path in figures
        if path.suffix == ".svg"
    )
    note = f"<p>{failed} cell(s) failed: see the error column of results.csv.</p>" if failed else ""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}img{max-width:100%}"
        f"</style></head><body><h1>{html.escape(title)}</h1>{note}"
        "<p>One line per configuration, its cheapest seed standing for it; * marks the Pareto"
        " front of annual cost and net CO2e. Every cell: results.csv and cells/&lt;key&gt;/.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{images}"
        "</body></html>\n"
    )


def write_report(sweep: Sweep, store: ResultStore, stream: TextIO) -> int:
    """Print the summary of ``sweep``'s cells; write summary.csv, the figures and index.html
    (the table and figures on one page for a browser).

    Returns the exit code: 1 when a cell of the sweep has a failed row, else 0.
    """
    keys = {c.key for c in sweep.cells}
    rows = [r for r in store.rows() if r["key"] in keys]
    cells = frame(rows)
    summary = summarise(cells)
    csv_text = summary.map(csv_cells.neutralise).to_csv(index=False, lineterminator="\r\n")
    write_text_atomic(store.out / "summary.csv", "\ufeff" + csv_text)
    figures = write_figures(summary, cells, store.out, sweep.spec.name) if rows else []
    print(format_summary(summary), file=stream)
    failed = [r for r in rows if r["status"] != "ok"]
    page = summary_page(sweep.spec.name, summary, figures, len(failed))
    write_text_atomic(store.out / "index.html", page)
    for row in failed:
        print(f"  failed cell {row['key']} ({row['scenario']}): {row['error']}", file=stream)
    others = len(store.rows()) - len(rows)
    if others:
        print(f"  {others} row(s) of results.csv belong to other sweeps; kept", file=stream)
    written = ", ".join(p.name for p in figures)
    print(
        f"  wrote {store.path}, summary.csv, index.html{', ' + written if written else ''}",
        file=stream,
    )
    return 1 if failed else 0
