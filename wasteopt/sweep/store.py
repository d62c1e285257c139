"""Durable sweep results: one CSV row per finished cell, and each cell's plan files.

``DIR/results.csv`` (UTF-8 with BOM, for Excel) gets one row per finished cell, appended,
flushed and synced to disk as the cell finishes; ``DIR/cells/<key>/plan.json`` and
``routes.geojson`` are written (atomically) before their row, so a row always has its files.
A text cell a spreadsheet would run as a formula is written with a leading apostrophe
(:mod:`wasteopt.csv_cells`) and read back with it.
A row cut short by a crash of the client has no line end; it is dropped when the store is
opened and its cell runs again. CSV rather than Parquet: a Parquet file cannot take one more
row without being rewritten, and a 300-cell table is under 100 KB. ``DIR/sweep.json`` names
the sweep and its cells' keys, for readers such as the API.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wasteopt import csv_cells
from wasteopt.errors import WasteoptError
from wasteopt.io import write_text_atomic

if TYPE_CHECKING:
    from wasteopt.sweep.run import CellOutcome

COLUMNS = (
    "key",
    "status",
    "error",
    "scenario",
    "tonnes_factor",
    "electric_share",
    "electric_share_fleet",
    "phase",
    "incinerator_t_per_day",
    "seed",
    "time_limit_s",
    "solution_limit",
    "cost_per_day",
    "annual_cost",
    "collection_trucks",
    "transfer_trucks",
    "distance_km",
    "diesel_l",
    "lng_kg",
    "electricity_kwh",
    "transport_co2e_t_per_yr",
    "net_co2e_t_per_yr",
    "overflow_t_per_day",
    "unserved_t_per_day",
    "backlog_t_per_day",
    "seconds",
    "cpu_s",
    "worker",
    "finished_at",
)
RESULTS = "results.csv"
MANIFEST = "sweep.json"
BOM = "\ufeff"


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


class ResultStore:
    """The results of one output folder: read what is done, append what finishes."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.path = self.out / RESULTS

    def write_manifest(self, name: str, keys: list[str]) -> None:
        """``sweep.json``: the sweep's name and its cells' keys (what a row counts towards)."""
        text = json.dumps({"name": name, "keys": keys}, ensure_ascii=False, indent=1)
        write_text_atomic(self.out / MANIFEST, text + "\n")

    def cell_dir(self, key: str) -> Path:
        return self.out / "cells" / key

    def rows(self) -> list[dict[str, str]]:
        """Every complete row, in the order written (a cut-off last row is dropped on disk)."""
        if not self.path.exists():
            return []
        self._drop_partial_tail()
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise WasteoptError(
                    f"{self.path} has other columns than this version writes; move it away or"
                    " give another --out"
                )
            return list(reader)

    def done_keys(self) -> set[str]:
        """Keys of the cells that have a row (finished or failed)."""
        return {row["key"] for row in self.rows()}

    def append(self, outcome: CellOutcome) -> None:
        """Write the cell's files, then append its row and sync it to disk."""
        key = outcome.row["key"]
        if outcome.plan_json is not None:
            write_text_atomic(self.cell_dir(key) / "plan.json", outcome.plan_json)
        if outcome.routes_geojson is not None:
            write_text_atomic(self.cell_dir(key) / "routes.geojson", outcome.routes_geojson)
        self.out.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        text = io.StringIO()
        writer = csv_cells.writer(text, lineterminator="\r\n")
        if new:
            text.write(BOM)
            writer.writerow(COLUMNS)
        writer.writerow([_cell(outcome.row.get(c)) for c in COLUMNS])
        with self.path.open("a", encoding="utf-8", newline="") as handle:
            handle.write(text.getvalue())
            handle.flush()
            os.fsync(handle.fileno())

    def drop_failed(self) -> int:
        """Remove the failed rows (so their cells run again); returns how many."""
        rows = self.rows()
        kept = [r for r in rows if r["status"] == "ok"]
        if len(kept) < len(rows):
            text = io.StringIO()
            text.write(BOM)
            writer = csv_cells.SafeDictWriter(text, COLUMNS, lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(kept)
            write_text_atomic(self.path, text.getvalue())
        return len(rows) - len(kept)

    def _drop_partial_tail(self) -> None:
        with self.path.open("rb+") as handle:
            data = handle.read()
            if data and not data.endswith(b"\n"):
                handle.truncate(data.rfind(b"\n") + 1)
