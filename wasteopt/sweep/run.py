"""Running a sweep: each missing cell as a Dask task, rows written by the client as cells finish.

Workers plan and return; only the client writes (:class:`~wasteopt.sweep.store.ResultStore`),
so workers need no access to the output folder and a row is written once per finished task.
A task whose worker dies is run again by Dask; a cell that keeps killing its workers (Dask's
``allowed-failures``, 3 by default) and a cell whose planning raises leave a failed row.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wasteopt.electrify import electric_fleet_share
from wasteopt.errors import WasteoptError
from wasteopt.export import routes_geojson
from wasteopt.io import dump_json
from wasteopt.planning import PlanOptions, plan_day_full
from wasteopt.scenario import Outcome
from wasteopt.sweep.cells import Cell, Sweep, SweepContext
from wasteopt.sweep.cluster import cap_solver_threads, worker_name
from wasteopt.sweep.store import ResultStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CellOutcome:
    """A finished cell: its row, and its plan and routes as text (``None`` when it failed)."""

    row: dict[str, Any]
    plan_json: str | None = None
    routes_geojson: str | None = None


@dataclass(frozen=True)
class SweepProgress:
    """Cells of this run finished so far (``failed`` among them) out of ``total``."""

    done: int
    failed: int
    total: int
    elapsed_s: float


@dataclass(frozen=True)
class SweepRun:
    """What one run did: cells run and failed now, cells found done before, wall seconds."""

    ran: int
    failed: int
    skipped: int
    seconds: float


def _planned(context: SweepContext, cell: Cell) -> CellOutcome:
    """The cell planned: its figures (without the run's timing) and its files' text."""
    instance = context.cell_instance(cell)
    options = PlanOptions(
        time_limit_s=cell.time_limit_s, seed=cell.seed, solution_limit=cell.solution_limit
    )
    result = plan_day_full(instance, context.provider, options)
    plan, impact = result.plan, result.impact
    outcome = Outcome(context.scenarios[cell.scenario], instance, plan, impact)
    per_day, per_year = impact.per_day, impact.per_year
    collection = sum(1 for r in plan.routes if r.tier == "collection")
    row = {
        "electric_share_fleet": round(electric_fleet_share(instance), 4),
        "cost_per_day": plan.cost,
        "annual_cost": round(outcome.annual_cost, 2),
        "collection_trucks": collection,
        "transfer_trucks": len(plan.routes) - collection,
        "distance_km": round(per_day.distance_km, 3),
        "diesel_l": round(per_day.diesel_l, 3),
        "lng_kg": round(per_day.lng_kg, 3),
        "electricity_kwh": round(per_day.electricity_kwh, 3),
        "transport_co2e_t_per_yr": round(per_year.transport_co2e_t, 3),
        "net_co2e_t_per_yr": round(per_year.net_co2e_t, 3),
        "overflow_t_per_day": round(per_day.overflow_t, 3),
        "unserved_t_per_day": round(per_day.unserved_t, 3),
        "backlog_t_per_day": round(per_day.backlog_t, 3),
    }
    geojson = routes_geojson(instance, plan, context.provider)
    return CellOutcome(row, dump_json(plan), json.dumps(geojson, ensure_ascii=False))


def run_cell(context: SweepContext, cell: Cell) -> CellOutcome:
    """Plan one cell (checked like every plan) and measure it; a failure is a row with its error.

    The row holds the cell's parameters, its costs, trucks, energy and CO2e, the wall and CPU
    seconds the task took and the worker it ran on.
    """
    cap_solver_threads(1)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        planned = _planned(context, cell)
        status = {"status": "ok", "error": ""}
    except Exception as exc:  # every failure of a cell is reported in its row, never lost
        log.warning("cell %s (%s) failed: %s", cell.key, cell.label, exc)
        planned = CellOutcome({})
        status = {"status": "failed", "error": _error_text(exc)}
    row = {
        **cell.params(),
        **status,
        **planned.row,
        "seconds": round(time.perf_counter() - started, 3),
        "cpu_s": round(time.process_time() - cpu_started, 3),
        "worker": worker_name(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return CellOutcome(row, planned.plan_json, planned.routes_geojson)


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _lost_cell(cell: Cell, exc: BaseException) -> CellOutcome:
    row = {**cell.params(), "status": "failed", "error": _error_text(exc)}
    row.update(seconds=None, cpu_s=None, worker="", finished_at=datetime.now(UTC).isoformat())
    return CellOutcome(row)


def run_sweep(
    sweep: Sweep,
    store: ResultStore,
    client: Any,
    progress: Callable[[SweepProgress], None] | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> SweepRun:
    """Run the cells of ``sweep`` that ``store`` does not hold yet on ``client``'s cluster.

    The shared context is scattered to every worker once; each cell is one task. Rows are
    appended to ``store`` as tasks finish, then ``on_row`` and ``progress`` are called. On an
    exception (Ctrl-C included) the remaining tasks are cancelled and the rows written stay.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    started = time.perf_counter()
    done_before = store.done_keys()
    todo = [c for c in sweep.cells if c.key not in done_before]
    if not todo:
        return SweepRun(0, 0, len(sweep.cells), 0.0)
    context = client.scatter(sweep.context, broadcast=True, hash=False)
    run_id = uuid.uuid4().hex[:8]
    futures = {
        client.submit(run_cell, context, cell, key=f"cell-{cell.key}-{run_id}", retries=0): cell
        for cell in todo
    }
    done = failed = 0
    try:
        for future in as_completed(futures):
            cell = futures[future]
            try:
                outcome = future.result()
            except KilledWorker as exc:
                outcome = _lost_cell(cell, exc)
            except Exception as exc:
                raise WasteoptError(
                    f"the Dask cluster lost cell {cell.key} ({_error_text(exc)}); rerun the same"
                    " command to finish the missing cells"
                ) from None
            store.append(outcome)
            done += 1
            failed += outcome.row["status"] != "ok"
            if on_row is not None:
                on_row(outcome.row)
            if progress is not None:
                progress(SweepProgress(done, failed, len(todo), time.perf_counter() - started))
    finally:
        pending: Sequence = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
    return SweepRun(done, failed, len(sweep.cells) - len(todo), time.perf_counter() - started)
