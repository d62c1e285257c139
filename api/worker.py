"""What runs inside a solver process: one job, from its stored input to its stored result.

The process reads the job's instance snapshot from the database, runs the task of its kind
(:mod:`api.tasks`) with progress written back to the database (at most twice a second) and
stops the search when the server sends ``"stop"``. Its final write is
compare-and-set on status ``running``: after a cancellation, an overrun or a restart it
changes nothing. When the server dies, the control pipe closes and the process exits at once.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from api.errors import without_paths
from api.store import Store
from api.tasks import TASKS, TaskInput
from wasteopt.errors import WasteoptError
from wasteopt.io import instance_from_dict
from wasteopt.planning import Progress, resolve_provider

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.5
# Solves are batch work: at a lower CPU priority they leave the server's event loop
# responsive when every core is solving (measured in benchmarks/bench_api.py).
SOLVER_NICENESS = 10
SERVER_GONE_EXIT_CODE = 75
INTERNAL_ERROR = "internal error in the solver; the server log has the details"


def run_job(db_path: str, data_dir: str, job_id: str, control: Connection) -> None:
    """Solve job ``job_id`` of the database at ``db_path`` (the target of a solver process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(SOLVER_NICENESS)
    stop = threading.Event()
    threading.Thread(
        target=_follow_server, args=(control, stop), name="wasteopt-control", daemon=True
    ).start()
    store = Store(db_path)
    try:
        _solve(store, Path(data_dir), job_id, stop)
    finally:
        try:  # CPU time of all the solver's threads, for the key's daily quota
            store.record_cpu(job_id, time.process_time())
        except sqlite3.Error as exc:
            logger.warning("job %s: CPU time not recorded: %s", job_id, exc)
        store.close()


def _follow_server(control: Connection, stop: threading.Event) -> None:
    try:
        while True:
            if control.recv() == "stop":
                stop.set()
    except (EOFError, OSError):
        logger.warning("the server is gone; abandoning the job")
        os._exit(SERVER_GONE_EXIT_CODE)


class _ProgressWriter:
    """Writes solver progress to the job's row, throttled, never failing the solve."""

    def __init__(self, store: Store, job_id: str):
        self._store = store
        self._job_id = job_id
        self._last_tier = ""
        self._last_write = 0.0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if progress.tier == self._last_tier and now - self._last_write < PROGRESS_INTERVAL_S:
            return
        self._last_tier, self._last_write = progress.tier, now
        try:
            self._store.record_progress(
                self._job_id, progress.tier, progress.elapsed_s, progress.best_cost
            )
        except sqlite3.Error as exc:
            logger.warning("job %s: progress not recorded: %s", self._job_id, exc)


def _solve(store: Store, data_dir: Path, job_id: str, stop: threading.Event) -> None:
    job = store.job_input(job_id)
    if job is None:
        return
    try:
        instance = instance_from_dict(json.loads(job.instance), data_dir)
        if job.date is not None:
            instance = instance.model_copy(update={"date": job.date})
        provider = resolve_provider(instance, data_dir)
        task = TaskInput(instance, job, provider, _ProgressWriter(store, job_id), stop.is_set)
        result = TASKS[job.kind](task)
    except WasteoptError as exc:
        store.finish(job_id, "failed", without_paths(str(exc)), ("running",))
        return
    except Exception:
        logger.exception("job %s: solver error", job_id)
        store.finish(job_id, "failed", INTERNAL_ERROR, ("running",))
        return
    store.finish_done(job_id, result.cost, result.document, result.files)
