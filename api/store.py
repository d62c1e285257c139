"""Durable state of the API in one SQLite file: instances, jobs, their results, desk sessions.

Standard-library :mod:`sqlite3`, not SQLAlchemy: three tables and a dozen statements need no
ORM, and the file works with nothing to install or start. The database runs in WAL mode so
the pollers' reads never wait for a solver process writing progress, with
``synchronous=FULL`` so a committed plan survives a crash of the machine, not only of the
server. Every change is one transaction; a job's result (a plan, say, with its sheets and
GeoJSON) and its ``done`` status are committed together, so a reader sees either no result
or the whole result.

Job status moves ``queued -> running -> done | failed | cancelled`` (or ``queued ->
cancelled``); a job found ``running`` when a server starts is marked ``interrupted``. The
transitions out of ``running`` are compare-and-set: a solver process whose job was
cancelled or interrupted meanwhile cannot overwrite that status.

A desk session is stored by the SHA-256 of its token (the token itself lives only in the
browser's cookie) with its key and expiry, so it outlives a restart of the server. Expired
sessions are deleted at every login, whatever the retention, and by the purge.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wasteopt.errors import WasteoptError

ACTIVE = ("queued", "running")
_INCREMENTAL = 2
KINDS = ("plan", "siting", "comparison")
STATUSES = ("queued", "running", "done", "failed", "cancelled", "interrupted")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    date TEXT,
    n_points INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    document TEXT NOT NULL,
    owner TEXT
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ({", ".join(repr(k) for k in KINDS)})),
    options TEXT NOT NULL,
    instance_id TEXT,
    instance_name TEXT NOT NULL,
    instance TEXT NOT NULL,
    date TEXT,
    time_limit_s REAL NOT NULL,
    budget_s REAL NOT NULL,
    seed INTEGER NOT NULL,
    solution_limit INTEGER,
    resubmitted_from TEXT,
    status TEXT NOT NULL CHECK (status IN ({", ".join(repr(s) for s in STATUSES)})),
    submitted_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    progress_tier TEXT,
    progress_elapsed_s REAL,
    best_cost REAL,
    cost REAL,
    error TEXT,
    owner TEXT,
    snapshot TEXT,
    cpu_s REAL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_kind ON jobs (kind, seq);
CREATE TABLE IF NOT EXISTS results (
    job_id TEXT PRIMARY KEY REFERENCES jobs (id),
    document TEXT NOT NULL,
    files TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    digest TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    digest BLOB PRIMARY KEY,
    key_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"""
# columns added after the first release, for databases made before them
_ADDED_COLUMNS = {
    "instances": ("owner TEXT",),
    "jobs": ("owner TEXT", "snapshot TEXT", "cpu_s REAL"),
}

_DELETE_EXPIRED_SESSIONS = "DELETE FROM sessions WHERE expires_at <= ?"

_JOB_COLUMNS = (
    "id, kind, instance_id, instance_name, date, time_limit_s, seed, solution_limit,"
    " resubmitted_from, status, submitted_at, started_at, finished_at, progress_tier,"
    " progress_elapsed_s, best_cost, cost, error"
)


def now_utc(after_s: float = 0.0) -> str:
    """The time ``after_s`` seconds from now as ISO 8601 UTC with a ``Z``, to the millisecond
    (fixed width, so these strings sort as the times do)."""
    moment = datetime.now(UTC) + timedelta(seconds=after_s)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class InstanceRow:
    id: str
    name: str
    date: str | None
    n_points: int
    created_at: str


@dataclass(frozen=True)
class JobRow:
    """A job as stored, without its instance snapshot and result."""

    id: str
    kind: str
    instance_id: str | None
    instance_name: str
    date: str | None
    time_limit_s: float
    seed: int
    solution_limit: int | None
    resubmitted_from: str | None
    status: str
    submitted_at: str
    started_at: str | None
    finished_at: str | None
    progress_tier: str | None
    progress_elapsed_s: float | None
    best_cost: float | None
    cost: float | None
    error: str | None


@dataclass(frozen=True)
class JobInput:
    """What a solver process needs: the instance snapshot and the options of its kind."""

    id: str
    kind: str
    options: str
    instance: str
    date: str | None
    time_limit_s: float
    budget_s: float
    seed: int
    solution_limit: int | None


# a job's instance is its content-addressed snapshot (jobs made before snapshots hold a copy)
_SELECT_INPUT = (
    "SELECT j.id, j.kind, j.options, COALESCE(s.document, j.instance), j.date, j.time_limit_s,"
    " j.budget_s, j.seed, j.solution_limit FROM jobs j LEFT JOIN snapshots s"
    " ON s.digest = j.snapshot"
)


@dataclass(frozen=True)
class ResultRow:
    """A finished job's result document and its files (name -> text)."""

    document: str
    files: dict[str, str]


class QueueFull(Exception):
    """The bounded queue of waiting jobs has no room."""


Admit = Callable[[sqlite3.Connection], None]
"""A check run inside the transaction that stores a new object; it raises to refuse it."""


class Store:
    """The SQLite database at ``path``; one connection per thread (WAL readers run in parallel).

    Raises
    ------
    WasteoptError
        When the file cannot be opened or is not a wasteopt database.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            conn = self._connect()
            if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != _INCREMENTAL:
                # purges hand pages back to the file system (incremental vacuum); a database
                # made without it is rebuilt once to turn it on
                conn.execute(f"PRAGMA auto_vacuum={_INCREMENTAL}")
                conn.execute("VACUUM")
            conn.executescript(_SCHEMA)
            _add_missing_columns(conn)
        except sqlite3.DatabaseError as exc:
            raise WasteoptError(
                f"cannot use database {self.path}: {exc}; give a writable path to a new file"
                " or to a database this server created"
            ) from None

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (no lock upgrade deadlock), all or nothing."""
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this store opened (call once no thread uses it)."""
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # instances -------------------------------------------------------------------------------

    def add_instance(
        self,
        name: str,
        date: str | None,
        n_points: int,
        document: str,
        owner: str | None = None,
        admit: Admit | None = None,
    ) -> str:
        """Store an instance made by key ``owner``, if ``admit`` (run in the same
        transaction) lets it."""
        instance_id = new_id()
        with self._write() as conn:
            if admit is not None:
                admit(conn)
            conn.execute(
                "INSERT INTO instances (id, name, date, n_points, created_at, document, owner)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (instance_id, name, date, n_points, now_utc(), document, owner),
            )
        return instance_id

    def list_instances(self, limit: int, offset: int) -> list[InstanceRow]:
        rows = self._connect().execute(
            "SELECT id, name, date, n_points, created_at FROM instances"
            " ORDER BY rowid LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [InstanceRow(*row) for row in rows]

    def get_instance(self, instance_id: str) -> tuple[InstanceRow, str] | None:
        row = (
            self._connect()
            .execute(
                "SELECT id, name, date, n_points, created_at, document FROM instances WHERE id = ?",
                (instance_id,),
            )
            .fetchone()
        )
        return None if row is None else (InstanceRow(*row[:5]), row[5])

    def delete_instance(self, instance_id: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute("DELETE FROM instances WHERE id = ?", (instance_id,))
        return cursor.rowcount == 1

    # jobs ------------------------------------------------------------------------------------

    def submit_job(
        self,
        *,
        kind: str = "plan",
        options: str = "{}",
        instance_id: str | None,
        instance_name: str,
        instance: str,
        date: str | None,
        time_limit_s: float,
        budget_s: float,
        seed: int,
        solution_limit: int | None,
        queue_size: int,
        resubmitted_from: str | None = None,
        owner: str | None = None,
        admit: Admit | None = None,
    ) -> str:
        """Queue a job, unless ``queue_size`` jobs already wait (then raise QueueFull) or
        ``admit``, run in the same transaction, refuses it.

        ``budget_s`` is the search time the whole job should take (a comparison runs several
        plans); the runner stops a job that overruns it by far. The instance is stored once
        per distinct document (its SHA-256), however many jobs share it.
        """
        job_id = new_id()
        digest = hashlib.sha256(instance.encode("utf-8")).hexdigest()
        with self._write() as conn:
            (waiting,) = conn.execute(
                "SELECT count(*) FROM jobs WHERE status = 'queued'"
            ).fetchone()
            if waiting >= queue_size:
                raise QueueFull
            if admit is not None:
                admit(conn)
            conn.execute(
                "INSERT OR IGNORE INTO snapshots (digest, document) VALUES (?, ?)",
                (digest, instance),
            )
            conn.execute(
                "INSERT INTO jobs (id, kind, options, instance_id, instance_name, instance, date,"
                " time_limit_s, budget_s, seed, solution_limit, resubmitted_from, status,"
                " submitted_at, owner, snapshot)"
                " VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)",
                (
                    job_id,
                    kind,
                    options,
                    instance_id,
                    instance_name,
                    date,
                    time_limit_s,
                    budget_s,
                    seed,
                    solution_limit,
                    resubmitted_from,
                    now_utc(),
                    owner,
                    digest,
                ),
            )
        return job_id

    def get_job(self, job_id: str, kind: str | None = None) -> JobRow | None:
        """The job ``job_id`` (None if unknown, or if it is not of ``kind``)."""
        row = (
            self._connect()
            .execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
            .fetchone()
        )
        job = None if row is None else JobRow(*row)
        return None if job is None or kind not in (None, job.kind) else job

    def list_jobs(self, kind: str, status: str | None, limit: int, offset: int) -> list[JobRow]:
        where, params = ("AND status = ?", (status,)) if status else ("", ())
        rows = self._connect().execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE kind = ? {where}"
            " ORDER BY seq DESC LIMIT ? OFFSET ?",
            (kind, *params, limit, offset),
        )
        return [JobRow(*row) for row in rows]

    def job_input(self, job_id: str) -> JobInput | None:
        row = self._connect().execute(f"{_SELECT_INPUT} WHERE j.id = ?", (job_id,)).fetchone()
        return None if row is None else JobInput(*row)

    def claim_next(self) -> JobInput | None:
        """Mark the oldest queued job running and return it (None when none waits)."""
        with self._write() as conn:
            claimed = conn.execute(
                "UPDATE jobs SET status = 'running', started_at = ?"
                " WHERE seq = (SELECT min(seq) FROM jobs WHERE status = 'queued')"
                " RETURNING id",
                (now_utc(),),
            ).fetchone()
            if claimed is None:
                return None
            row = conn.execute(f"{_SELECT_INPUT} WHERE j.id = ?", claimed).fetchone()
        return JobInput(*row)

    def count_waiting(self) -> int:
        (waiting,) = (
            self._connect().execute("SELECT count(*) FROM jobs WHERE status = 'queued'").fetchone()
        )
        return int(waiting)

    def record_progress(self, job_id: str, tier: str, elapsed_s: float, best_cost: float) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE jobs SET progress_tier = ?, progress_elapsed_s = ?, best_cost = ?"
                " WHERE id = ? AND status = 'running'",
                (tier, elapsed_s, best_cost, job_id),
            )

    def finish_done(
        self, job_id: str, cost: float | None, document: str, files: dict[str, str]
    ) -> bool:
        """Store the result and mark the job done, both or neither; False if not running."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET status = 'done', finished_at = ?, cost = ?, best_cost = ?"
                " WHERE id = ? AND status = 'running'",
                (now_utc(), cost, cost, job_id),
            )
            if cursor.rowcount != 1:
                return False
            conn.execute(
                "INSERT INTO results (job_id, document, files) VALUES (?, ?, ?)",
                (job_id, document, json.dumps(files, ensure_ascii=False)),
            )
        return True

    def finish(self, job_id: str, status: str, error: str, from_statuses: tuple[str, ...]) -> bool:
        """Move a job from one of ``from_statuses`` to a final ``status`` with ``error``."""
        marks = ", ".join("?" for _ in from_statuses)
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE jobs SET status = ?, finished_at = ?, error = ?"
                f" WHERE id = ? AND status IN ({marks})",
                (status, now_utc(), error, job_id, *from_statuses),
            )
        return cursor.rowcount == 1

    def interrupt_running(self, error: str) -> list[str]:
        """Mark every ``running`` job interrupted (at start-up: their solver is gone)."""
        with self._write() as conn:
            rows = conn.execute(
                "UPDATE jobs SET status = 'interrupted', finished_at = ?, error = ?"
                " WHERE status = 'running' RETURNING id",
                (now_utc(), error),
            ).fetchall()
        return [row[0] for row in rows]

    def get_result(self, job_id: str) -> ResultRow | None:
        row = (
            self._connect()
            .execute("SELECT document, files FROM results WHERE job_id = ?", (job_id,))
            .fetchone()
        )
        return None if row is None else ResultRow(row[0], json.loads(row[1]))

    def job_instance(self, job_id: str) -> str | None:
        job = self.job_input(job_id)
        return None if job is None else job.instance

    # owners, usage and retention -------------------------------------------------------------

    def owner(self, table: str, item_id: str) -> tuple[bool, str | None]:
        """Whether ``item_id`` exists in ``table`` (instances or jobs), and its owner key."""
        if table not in ("instances", "jobs"):
            raise ValueError(table)
        row = (
            self._connect()
            .execute(f"SELECT owner FROM {table} WHERE id = ?", (item_id,))  # noqa: S608
            .fetchone()
        )
        return (False, None) if row is None else (True, row[0])

    def record_cpu(self, job_id: str, cpu_s: float) -> None:
        """The solver CPU-seconds a job's process used (for the per-key daily quota)."""
        with self._write() as conn:
            conn.execute("UPDATE jobs SET cpu_s = ? WHERE id = ?", (cpu_s, job_id))

    def purge(self, finished_before: str) -> int:
        """Delete jobs finished before ``finished_before`` (ISO UTC) with their results, the
        snapshots no job uses any more and the expired desk sessions, then give the freed
        pages back; returns the number of jobs deleted."""
        with self._write() as conn:
            conn.execute(_DELETE_EXPIRED_SESSIONS, (now_utc(),))
            conn.execute(
                "DELETE FROM results WHERE job_id IN (SELECT id FROM jobs"
                " WHERE finished_at < ? AND status NOT IN ('queued', 'running'))",
                (finished_before,),
            )
            deleted = conn.execute(
                "DELETE FROM jobs WHERE finished_at < ? AND status NOT IN ('queued', 'running')",
                (finished_before,),
            ).rowcount
            conn.execute(
                "DELETE FROM snapshots WHERE digest NOT IN"
                " (SELECT snapshot FROM jobs WHERE snapshot IS NOT NULL)"
            )
        self._connect().execute("PRAGMA incremental_vacuum")
        return deleted

    # desk sessions ---------------------------------------------------------------------------

    def add_session(self, digest: bytes, key_id: str, ttl_s: float) -> None:
        """Store a session of key ``key_id`` by its token's SHA-256, valid for ``ttl_s``, and
        delete the expired ones, so that they do not pile up on a server whose retention
        purge is off."""
        with self._write() as conn:
            conn.execute(_DELETE_EXPIRED_SESSIONS, (now_utc(),))
            conn.execute(
                "INSERT INTO sessions (digest, key_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                (digest, key_id, now_utc(), now_utc(ttl_s)),
            )

    def session_key_id(self, digest: bytes) -> str | None:
        """The key of the unexpired session whose token hashes to ``digest``, else None."""
        row = (
            self._connect()
            .execute(
                "SELECT key_id FROM sessions WHERE digest = ? AND expires_at > ?",
                (digest, now_utc()),
            )
            .fetchone()
        )
        return None if row is None else row[0]

    def delete_session(self, digest: bytes) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM sessions WHERE digest = ?", (digest,))

    def storage_bytes(self) -> int:
        """Bytes the database file holds (pages in use and free)."""
        conn = self._connect()
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
        return int(pages) * int(size)


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for column in columns:
            if column.split()[0] not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
