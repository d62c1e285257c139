"""Per-key quotas: jobs at once, solver CPU-seconds in any 24 hours, bytes stored.

Each check runs inside the transaction that stores the new job or instance (see
:data:`api.store.Admit`), so two requests racing cannot both take the last unit. Over a
quota the answer is ``429`` naming the quota, with a ``Retry-After`` for when it frees up.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta

from api.errors import ApiError
from api.settings import Settings
from api.store import Admit
from wasteopt.apikeys import KeyRecord

DAY = timedelta(days=1)

_STORED_BYTES = """
SELECT
  (SELECT coalesce(sum(length(CAST(document AS BLOB))), 0) FROM instances WHERE owner = :o)
+ (SELECT coalesce(sum(length(CAST(options AS BLOB)) + length(CAST(instance AS BLOB))), 0)
     FROM jobs WHERE owner = :o)
+ (SELECT coalesce(sum(length(CAST(document AS BLOB))), 0) FROM snapshots
     WHERE digest IN (SELECT snapshot FROM jobs WHERE owner = :o))
+ (SELECT coalesce(sum(length(CAST(r.document AS BLOB)) + length(CAST(r.files AS BLOB))), 0)
     FROM results r JOIN jobs j ON j.id = r.job_id WHERE j.owner = :o)
"""
# solver time charged to a job: what its process measured, else (killed, or not yet ended)
# its whole budget once it has started
_CPU_SINCE = """
SELECT coalesce(sum(coalesce(cpu_s, CASE WHEN started_at IS NOT NULL OR status = 'queued'
                                         THEN budget_s ELSE 0 END)), 0),
       min(submitted_at)
FROM jobs WHERE owner = ? AND submitted_at >= ?
"""


class QuotaExceeded(ApiError):
    """``429``: the key's ``quota`` is used up; retry after ``retry_after_s``."""

    def __init__(self, quota: str, detail: str, retry_after_s: float):
        wait = max(1, math.ceil(retry_after_s))
        super().__init__(
            429,
            f"quota exceeded: {quota}",
            f"{detail}; retry in about {wait} s or ask an admin for a larger quota",
            headers={"Retry-After": str(wait), "X-Quota": quota},
        )
        self.quota = quota


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _limits(key: KeyRecord, settings: Settings) -> tuple[int, float, int]:
    return (
        key.max_jobs if key.max_jobs is not None else settings.quota_jobs,
        key.cpu_s_per_day if key.cpu_s_per_day is not None else settings.quota_cpu_s_per_day,
        key.max_stored_bytes if key.max_stored_bytes is not None else settings.quota_stored_bytes,
    )


def stored_bytes(conn: sqlite3.Connection, owner: str) -> int:
    """Bytes of instances, job inputs and results stored by key ``owner``."""
    return int(conn.execute(_STORED_BYTES, {"o": owner}).fetchone()[0])


def _check_storage(
    conn: sqlite3.Connection, key: KeyRecord, limit: int, adding: int, settings: Settings
) -> None:
    used = stored_bytes(conn, key.id)
    if used + adding > limit:
        retry = settings.retention_days * 86400 if settings.retention_days else 86400
        raise QuotaExceeded(
            "stored_bytes",
            f"key {key.name} stores {used:,} bytes; {adding:,} more would pass its quota of"
            f" {limit:,} (delete instances, or wait for old jobs to be purged)",
            retry,
        )


def job_admission(key: KeyRecord | None, settings: Settings, budget_s: float) -> Admit | None:
    """The quota check for a new job of ``budget_s`` solver seconds by ``key`` (None: no key,
    no quota)."""
    if key is None:
        return None
    max_jobs, cpu_per_day, max_bytes = _limits(key, settings)

    def admit(conn: sqlite3.Connection) -> None:
        now = datetime.now(UTC)
        active = conn.execute(
            "SELECT count(*), min(started_at), min(budget_s) FROM jobs"
            " WHERE owner = ? AND status IN ('queued', 'running')",
            (key.id,),
        ).fetchone()
        if active[0] >= max_jobs:
            retry = active[2] or 1.0
            if active[1] is not None:
                retry = (_parse(active[1]) + timedelta(seconds=active[2]) - now).total_seconds()
            raise QuotaExceeded(
                "jobs",
                f"key {key.name} already has {active[0]} jobs queued or running, its quota",
                retry,
            )
        used, oldest = conn.execute(_CPU_SINCE, (key.id, _iso(now - DAY))).fetchone()
        if used + budget_s > cpu_per_day:
            retry = (_parse(oldest) + DAY - now).total_seconds() if oldest else DAY.seconds
            raise QuotaExceeded(
                "cpu_s_per_day",
                f"key {key.name} has used {used:,.0f} of its {cpu_per_day:,.0f} solver"
                f" CPU-seconds in the last 24 hours and this job may take {budget_s:,.0f}",
                retry,
            )
        _check_storage(conn, key, max_bytes, 0, settings)

    return admit


def storage_admission(key: KeyRecord | None, settings: Settings, adding: int) -> Admit | None:
    """The quota check for storing ``adding`` more bytes for ``key`` (None: no quota)."""
    if key is None:
        return None
    max_bytes = _limits(key, settings)[2]
    return lambda conn: _check_storage(conn, key, max_bytes, adding, settings)
