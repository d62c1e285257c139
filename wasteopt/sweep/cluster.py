"""A Dask client: a local cluster of worker processes by default, or any scheduler's address.

Every worker runs one task at a time (one thread) and its native libraries one thread each:
the nanny sets ``OMP_NUM_THREADS`` and its kin to 1 before it starts a worker
(``distributed.nanny.pre-spawn-environ``), and :func:`cap_solver_threads` caps numba inside
each task, so N workers use N cores and cells never compete inside a worker.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from wasteopt.errors import WasteoptError

CONNECT_TIMEOUT_S = 10


def default_local_workers() -> int:
    """One worker process per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def open_client(scheduler: str | None = None, local_workers: int | None = None) -> Iterator:
    """A ``distributed.Client`` on ``scheduler`` (``tcp://HOST:8786``), else on a new
    ``LocalCluster`` of ``local_workers`` processes (default: one per core); closed on exit."""
    from distributed import Client, LocalCluster

    if not logging.getLogger().isEnabledFor(logging.INFO):
        # the scheduler's and nannies' INFO lines (workers registered, closing) drown the
        # progress line; a worker lost or restarted still shows as a warning
        logging.getLogger("distributed").setLevel(logging.WARNING)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise WasteoptError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with"
                " `dask scheduler` and workers with `dask worker`, or drop --scheduler"
            ) from None
        with client:
            yield client
        return
    workers = local_workers or default_local_workers()
    if workers < 1:
        raise WasteoptError("--local-workers must be at least 1")
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            env={"NUMBA_NUM_THREADS": "1"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def cap_solver_threads(threads: int = 1) -> None:
    """Limit numba's parallel regions to ``threads`` in this process (a worker on any cluster)."""
    try:
        import numba
    except ImportError:
        return
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def worker_name() -> str:
    """The Dask worker running this code (its address), or ``local`` outside a worker."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"
