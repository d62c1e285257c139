"""The solver pool's watchdog: a solver that overruns its budget is failed, asked to stop and
killed after the grace; a solver process that dies without a result fails its job with its
exit code. Driven by the runner's own clock fields and real child processes, no waiting on
wall-clock deadlines."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Iterator

import pytest

from api.jobs import JobRunner, _Running
from api.settings import Settings
from api.store import Store

_FORK = multiprocessing.get_context("fork")


def _deaf() -> None:
    """A solver that ignores every stop request (as a hung native solve would)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(60)


def _crash(code: int) -> None:
    os._exit(code)


@pytest.fixture
def runner(tmp_path) -> Iterator[JobRunner]:
    settings = Settings(db=tmp_path / "api.db", workers=1, cancel_grace_s=3)
    runner = JobRunner(Store(settings.db), settings)
    yield runner
    for running in runner._running.values():  # a failed test leaves no solver behind
        running.process.kill()
        running.process.join()


def _running_job(runner: JobRunner, target, *args) -> tuple[str, _Running]:
    store = runner._store
    job_id = store.submit_job(
        instance_id=None,
        instance_name="town",
        instance="{}",
        date=None,
        time_limit_s=1.0,
        budget_s=1.0,
        seed=0,
        solution_limit=None,
        queue_size=10,
    )
    assert store.claim_next().id == job_id
    receiver, sender = _FORK.Pipe(duplex=False)
    process = _FORK.Process(target=target, args=args, daemon=True)
    process.start()
    receiver.close()
    now = time.monotonic()
    running = _Running(process, sender, expected_end=now + 1, deadline=now + 100)
    runner._running[job_id] = running
    return job_id, running


def test_an_overrunning_solver_is_failed_then_killed_after_the_grace(runner):
    job_id, running = _running_job(runner, _deaf)
    runner._enforce_limits()  # within its deadline: left alone
    assert runner._store.get_job(job_id).status == "running" and running.stop_sent_at is None
    running.deadline = time.monotonic() - 1  # the overrun deadline has passed
    runner._enforce_limits()
    job = runner._store.get_job(job_id)
    assert job.status == "failed" and "ran past" in job.error
    assert running.stop_sent_at is not None and running.reason == "overrun"
    running.stop_sent_at -= runner._settings.cancel_grace_s + 1  # the grace is over
    runner._enforce_limits()
    running.process.join(10)
    assert running.process.exitcode == -signal.SIGKILL
    runner._reap()
    assert job_id not in runner._running
    assert runner._store.get_job(job_id).error == job.error  # the overrun stays the reason


def test_a_solver_that_dies_without_a_result_fails_its_job_with_the_exit_code(runner):
    job_id, running = _running_job(runner, _crash, 3)
    running.process.join(30)
    runner._reap()
    job = runner._store.get_job(job_id)
    assert job.status == "failed"
    assert job.error == "the solver process ended without a result (exit code 3)"
    assert job_id not in runner._running
