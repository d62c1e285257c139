"""The sweep's figures with matplotlib's object API (no display needed): PNG and SVG.

``pareto``: each configuration's annual cost against its net CO2e, the Pareto front joined
and labelled. ``axes``: for every axis with more than one value, each cell's daily cost and
trucks used against the axis's values, the mean over the other axes joined.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

AXES = {
    "scenario": "scenario",
    "tonnes_factor": "waste growth factor",
    "electric_share": "electric share converted",
    "phase": "incinerator phase",
    "seed": "seed",
    "time_limit_s": "time limit (s)",
}
FORMATS = ("png", "svg")


def _save(figure: Figure, out: Path, stem: str) -> list[Path]:
    paths = []
    for fmt in FORMATS:
        path = out / f"{stem}.{fmt}"
        tmp = path.with_name(f".{path.name}.tmp")
        figure.savefig(tmp, format=fmt, dpi=120, bbox_inches="tight")
        tmp.replace(path)
        paths.append(path)
    return paths


def pareto_figure(summary: pd.DataFrame, title: str) -> Figure:
    """Annual cost (million CNY) against net CO2e (kt/yr), one point per configuration."""
    planned = summary[summary["annual_cost"].notna()]
    figure = Figure(figsize=(7, 5))
    ax = figure.add_subplot()
    cost = planned["annual_cost"] / 1e6
    co2e = planned["net_co2e_t_per_yr"] / 1e3
    ax.scatter(co2e, cost, color="0.6", label="configurations")
    front = planned[planned["pareto"]].sort_values("net_co2e_t_per_yr")
    ax.plot(
        front["net_co2e_t_per_yr"] / 1e3,
        front["annual_cost"] / 1e6,
        "o-",
        color="tab:red",
        label="Pareto front",
    )
    for _, line in front.iterrows():
        ax.annotate(
            _label(line),
            (line["net_co2e_t_per_yr"] / 1e3, line["annual_cost"] / 1e6),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=7,
        )
    ax.set_xlabel("net CO2e (kt/yr)")
    ax.set_ylabel("annual cost, routing-validated (million CNY/yr)")
    ax.set_title(f"{title}: cost and CO2e")
    ax.legend()
    ax.grid(alpha=0.3)
    return figure


def _label(line: pd.Series) -> str:
    parts = [str(line["scenario"]), f"×{line['tonnes_factor']:g}"]
    parts.append(f"ev {line['electric_share']:.0%}")
    if pd.notna(line["phase"]):
        parts.append(f"p{int(line['phase'])}")
    return " ".join(parts)


def axes_figure(table: pd.DataFrame, title: str) -> Figure | None:
    """Cost per day and trucks per cell along each axis that varies; None if none varies."""
    ok = table[table["status"] == "ok"]
    varying = [a for a in AXES if a in ok and ok[a].nunique(dropna=False) > 1]
    if ok.empty or not varying:
        return None
    figure = Figure(figsize=(3.2 * len(varying), 5.5))
    grid = figure.subplots(2, len(varying), squeeze=False, sharey="row")
    for col, axis in enumerate(varying):
        values = sorted(ok[axis].dropna().unique(), key=lambda v: (isinstance(v, str), v))
        position = {v: k for k, v in enumerate(values)}
        x = ok[axis].map(position)
        for row, (column, ylabel) in enumerate(
            [("cost_per_day", "cost (CNY/day)"), ("trucks", "trucks used")]
        ):
            ax = grid[row][col]
            ax.scatter(x, ok[column], color="tab:blue", alpha=0.6, s=18)
            means = ok.groupby(x)[column].mean()
            ax.plot(means.index, means.values, "-", color="tab:orange")
            ax.set_xticks(range(len(values)), [_tick(v) for v in values], fontsize=8)
            ax.grid(alpha=0.3)
            if col == 0:
                ax.set_ylabel(ylabel)
            if row == 1:
                ax.set_xlabel(AXES[axis])
    figure.suptitle(f"{title}: cost and trucks along each axis")
    return figure


def _tick(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def write_figures(summary: pd.DataFrame, table: pd.DataFrame, out: Path, title: str) -> list[Path]:
    """pareto.png/.svg and axes.png/.svg in ``out``; the files written."""
    paths: list[Path] = []
    if summary["annual_cost"].notna().any():
        paths += _save(pareto_figure(summary, title), out, "pareto")
    figure = axes_figure(table, title)
    if figure is not None:
        paths += _save(figure, out, "axes")
    return paths
