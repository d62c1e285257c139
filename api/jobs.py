"""The bounded solver pool: at most ``workers`` solver processes, fed from the stored queue.

Each job runs in its own process, forked from a ``forkserver`` that has the solver already
imported, so a job starts in milliseconds, a crash in native solver code fails one job and
not the server, and a solve that will not stop can be killed without touching the others.
The queue itself is the ``jobs`` table: it survives restarts, and its bound is checked in
the same transaction that adds a job.

The parent talks to each solver through a one-way pipe: ``"stop"`` asks it to end its search
(cancellation, or a job past its time limit); when the server dies the pipe closes and the
solver exits on its own, leaving its job to be marked interrupted by the next server.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
import time
from dataclasses import dataclass, field
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from api.settings import Settings
from api.store import Store
from api.worker import run_job

logger = logging.getLogger(__name__)

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["api.worker"])

INTERRUPTED_AT_START = (
    "the server stopped while this job was running; POST to its resubmit link to run it again"
)
INTERRUPTED_AT_SHUTDOWN = (
    "the server was shut down while this job was running; POST to its resubmit link to run it again"
)
EXPECTED_OVERHEAD_S = 2.0
RETRY_AFTER_ERROR_S = 5.0
OVERRUN_FACTOR = 2.5
OVERRUN_SLACK_S = 60.0


@dataclass
class _Running:
    process: BaseProcess
    control: Connection
    expected_end: float
    deadline: float
    stop_sent_at: float | None = None
    reason: str = field(default="")


class JobRunner:
    """Starts queued jobs while fewer than ``settings.workers`` run, and watches them.

    ``start()`` marks jobs left running by a previous server as interrupted, then starts a
    dispatcher thread; ``close()`` stops every solver and marks its job interrupted.
    """

    def __init__(self, store: Store, settings: Settings):
        self._store = store
        self._settings = settings
        self._running: dict[str, _Running] = {}
        self._wake = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        interrupted = self._store.interrupt_running(INTERRUPTED_AT_START)
        if interrupted:
            logger.warning("marked %d job(s) interrupted: %s", len(interrupted), interrupted)
        self._thread = threading.Thread(target=self._loop, name="wasteopt-jobs", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Wake the dispatcher (a job was queued or cancelled)."""
        with self._wake:
            self._wake.notify()

    def cancel(self, job_id: str) -> None:
        """Ask the solver of ``job_id`` to stop; it is killed if it has not after the grace."""
        with self._wake:
            running = self._running.get(job_id)
            if running is not None:
                self._send_stop(running, "cancelled")
            self._wake.notify()

    def stop_early(self, job_id: str) -> bool:
        """Ask the solver of a running ``job_id`` to finish now with its best plan so far (it is
        killed if it has not after the grace); False when the job is not running here."""
        with self._wake:
            running = self._running.get(job_id)
            if running is None:
                return False
            self._send_stop(running, "a request to stop early")
            return True

    def seconds_until_free(self) -> float:
        """A guess of when a worker frees up: the soonest expected end of a running job."""
        with self._wake:
            ends = [r.expected_end for r in self._running.values()]
        if not ends:
            return 1.0
        return max(1.0, min(ends) - time.monotonic())

    def running_count(self) -> int:
        with self._wake:
            return len(self._running)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the dispatcher and every solver; their jobs are marked interrupted."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join()
        running = dict(self._running)
        for job_id, job in running.items():
            self._store.finish(job_id, "interrupted", INTERRUPTED_AT_SHUTDOWN, ("running",))
            self._send_stop(job, "shutdown")
        deadline = time.monotonic() + timeout_s
        for job in running.values():
            job.process.join(max(0.0, deadline - time.monotonic()))
            if job.process.is_alive():
                job.process.kill()
                job.process.join()
            job.control.close()
        self._running.clear()

    # dispatcher ------------------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._wake:
                if self._closing:
                    return
                try:
                    forkserver.ensure_running()
                    self._reap()
                    self._enforce_limits()
                    self._start_queued()
                except Exception:  # a locked or full disk must not end the dispatcher
                    logger.exception("job dispatcher: error; retrying in %s s", RETRY_AFTER_ERROR_S)
                    self._wake.wait(timeout=RETRY_AFTER_ERROR_S)
                self._wake.wait(timeout=0.2)

    def _start_queued(self) -> None:
        while len(self._running) < self._settings.workers and not self._closing:
            job = self._store.claim_next()
            if job is None:
                return
            receiver, sender = _CONTEXT.Pipe(duplex=False)
            process = _CONTEXT.Process(
                target=run_job,
                args=(str(self._store.path), str(self._settings.data_dir), job.id, receiver),
                name=f"wasteopt-job-{job.id}",
                daemon=True,
            )
            try:
                process.start()
            except OSError as exc:
                logger.error("cannot start a solver process for job %s: %s", job.id, exc)
                self._store.finish(
                    job.id, "failed", "the server could not start a solver process", ("running",)
                )
                sender.close()
                return
            finally:
                receiver.close()
            now = time.monotonic()
            expected_end = now + job.budget_s + EXPECTED_OVERHEAD_S
            deadline = now + OVERRUN_FACTOR * job.budget_s + OVERRUN_SLACK_S
            self._running[job.id] = _Running(process, sender, expected_end, deadline)
            logger.info("job %s started in process %s", job.id, process.pid)

    def _reap(self) -> None:
        for job_id, job in list(self._running.items()):
            if job.process.is_alive():
                continue
            job.process.join()
            job.control.close()
            del self._running[job_id]
            code = job.process.exitcode
            if self._store.finish(
                job_id,
                "failed",
                f"the solver process ended without a result (exit code {code})",
                ("running",),
            ):
                logger.error("job %s: solver process exited with code %s", job_id, code)

    def _enforce_limits(self) -> None:
        now = time.monotonic()
        for job_id, job in self._running.items():
            if job.stop_sent_at is None and now > job.deadline:
                self._store.finish(
                    job_id,
                    "failed",
                    f"the solver ran past {OVERRUN_FACTOR:g} x its time budget"
                    f" + {OVERRUN_SLACK_S:g} s and was stopped",
                    ("running",),
                )
                self._send_stop(job, "overrun")
            elif (
                job.stop_sent_at is not None
                and now - job.stop_sent_at > self._settings.cancel_grace_s
                and job.process.is_alive()
            ):
                logger.warning("job %s did not stop after %s; killing it", job_id, job.reason)
                job.process.kill()

    @staticmethod
    def _send_stop(job: _Running, reason: str) -> None:
        if job.stop_sent_at is not None:
            return
        job.stop_sent_at = time.monotonic()
        job.reason = reason
        with contextlib.suppress(BrokenPipeError, OSError):
            job.control.send("stop")
