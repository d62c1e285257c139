"""The planner's table: one line per configuration (a cell's levers, over its seeds).

For each configuration the seed with the cheapest plan stands for it (the plan a planner
would adopt); the spread of cost over seeds says how far the search's luck goes. A
configuration is on the Pareto front when no other is at most as costly and as emitting and
better in one of the two (annual cost, net CO2e).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

CONFIG = ["scenario", "tonnes_factor", "electric_share", "phase", "time_limit_s"]
NUMERIC = [
    "tonnes_factor",
    "electric_share",
    "electric_share_fleet",
    "phase",
    "incinerator_t_per_day",
    "seed",
    "time_limit_s",
    "cost_per_day",
    "annual_cost",
    "collection_trucks",
    "transfer_trucks",
    "net_co2e_t_per_yr",
    "transport_co2e_t_per_yr",
    "overflow_t_per_day",
    "unserved_t_per_day",
]
SUMMARY_COLUMNS = [
    *CONFIG,
    "seeds",
    "failed",
    "best_seed",
    "annual_cost",
    "cost_spread_pct",
    "trucks",
    "net_co2e_t_per_yr",
    "transport_co2e_t_per_yr",
    "overflow_t_per_day",
    "unserved_t_per_day",
    "pareto",
]


def frame(rows: Sequence[dict[str, str]]) -> pd.DataFrame:
    """Rows as read from results.csv, with numbers as numbers."""
    table = pd.DataFrame(list(rows))
    for column in NUMERIC:
        if column in table:
            table[column] = pd.to_numeric(table[column], errors="coerce")
    if "collection_trucks" in table:
        table["trucks"] = table["collection_trucks"] + table["transfer_trucks"]
    return table


def pareto_mask(cost: pd.Series, co2e: pd.Series) -> list[bool]:
    """Which points no other point dominates (lower or equal in both, lower in one)."""
    points = list(zip(cost, co2e, strict=True))
    return [
        not any((c2 <= c and e2 <= e) and (c2 < c or e2 < e) for c2, e2 in points)
        for c, e in points
    ]


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """One line per configuration, cheapest first (see the module's docstring)."""
    if table.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    lines = []
    for config, group in table.groupby(CONFIG, dropna=False, sort=False):
        ok = group[group["status"] == "ok"]
        line = dict(zip(CONFIG, config, strict=True))
        line.update(seeds=len(group), failed=len(group) - len(ok))
        if not ok.empty:
            best = ok.loc[ok["annual_cost"].idxmin()]
            low, high = ok["annual_cost"].min(), ok["annual_cost"].max()
            line.update(
                best_seed=int(best["seed"]),
                annual_cost=best["annual_cost"],
                cost_spread_pct=100 * (high - low) / low if low else 0.0,
                trucks=int(best["trucks"]),
                net_co2e_t_per_yr=best["net_co2e_t_per_yr"],
                transport_co2e_t_per_yr=best["transport_co2e_t_per_yr"],
                overflow_t_per_day=best["overflow_t_per_day"],
                unserved_t_per_day=best["unserved_t_per_day"],
            )
        lines.append(line)
    summary = pd.DataFrame(lines).reindex(columns=SUMMARY_COLUMNS)
    planned = summary["annual_cost"].notna()
    summary["pareto"] = False
    if planned.any():
        summary.loc[planned, "pareto"] = pareto_mask(
            summary.loc[planned, "annual_cost"], summary.loc[planned, "net_co2e_t_per_yr"]
        )
    return summary.sort_values("annual_cost", na_position="last").reset_index(drop=True)
