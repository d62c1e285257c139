"""Retention: finished jobs and their results older than ``retention_days`` are purged, and
expired desk sessions with them.

A background thread purges once at start and then every hour; admins may purge at once
with ``POST /v1/purge``. A purge frees the database's pages with an incremental vacuum.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from api.store import Store, now_utc

logger = logging.getLogger(__name__)

PURGE_EVERY_S = 3600.0
SECONDS_PER_DAY = 86_400.0


def cutoff(days: float) -> str:
    """The ISO UTC time ``days`` ago, in the store's timestamp format."""
    return now_utc(-days * SECONDS_PER_DAY)


def purge_older_than(store: Store, days: float) -> int:
    """Purge jobs finished more than ``days`` ago; returns how many were deleted."""
    deleted = store.purge(cutoff(days))
    if deleted:
        logger.info("purged %d job(s) finished more than %g days ago", deleted, days)
    return deleted


class RetentionSweeper:
    """Purges on a timer while the server runs (nothing when ``days`` is 0)."""

    def __init__(self, store: Store, days: float, every_s: float = PURGE_EVERY_S):
        self._store = store
        self._days = days
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._days <= 0:
            return
        self._thread = threading.Thread(target=self._loop, name="wasteopt-retention", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        while True:
            try:
                purge_older_than(self._store, self._days)
            except sqlite3.Error:  # a busy or full disk: try again at the next tick
                logger.exception("retention purge failed; retrying in %s s", self._every_s)
            if self._stop.wait(self._every_s):
                return
