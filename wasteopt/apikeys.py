"""API keys of a wasteopt server: who may call it, with which role, within which quotas.

Keys live in the server's SQLite database (table ``api_keys``) so ``wasteopt keys`` and
``wasteopt serve`` share them without a second file. Only a salted scrypt hash of each key's
secret is stored (standard-library :func:`hashlib.scrypt`, RFC 7914 parameters N=2^14, r=8,
p=1); the key itself is shown once, when it is made.

A key reads ``wo_<id>_<secret>``: the public ``id`` finds the row at once, so checking a key
costs one scrypt, never a scan of every hash.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from wasteopt.errors import WasteoptError

ROLES = ("viewer", "dispatcher", "planner", "admin")
ROLE_DUTIES = {
    "viewer": "reads instances, jobs and plans",
    "dispatcher": "also uploads instances, plans and cancels its own jobs",
    "planner": "also runs sitings and comparisons",
    "admin": "also manages keys, cancels any job and purges old data",
}
KEY_PREFIX = "wo"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_TOKEN = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    salt BLOB NOT NULL,
    hash BLOB NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    max_jobs INTEGER,
    cpu_s_per_day REAL,
    max_stored_bytes INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_active_name ON api_keys (name)
    WHERE revoked_at IS NULL;
"""
_COLUMNS = "id, name, role, created_at, revoked_at, max_jobs, cpu_s_per_day, max_stored_bytes"


@dataclass(frozen=True)
class KeyRecord:
    """A key as stored, without its hash. ``None`` quotas mean the server's defaults."""

    id: str
    name: str
    role: str
    created_at: str
    revoked_at: str | None
    max_jobs: int | None
    cpu_s_per_day: float | None
    max_stored_bytes: int | None

    def may(self, role: str) -> bool:
        """Whether this key's role includes ``role`` (roles are ordered viewer < ... < admin)."""
        return ROLES.index(self.role) >= ROLES.index(role)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_open_bind(host: str, ring: KeyRing) -> None:
    """Raise WasteoptError when a server would listen beyond this machine with no key."""
    if not is_loopback(host) and not ring.any_active():
        raise WasteoptError(
            f"refusing to listen on {host} without API keys; make one with"
            " 'wasteopt keys add NAME --role admin' or listen on 127.0.0.1"
        )


def parse_token(token: str) -> tuple[str, str] | None:
    """A well-formed key's public id and secret, else None."""
    match = _TOKEN.match(token)
    return None if match is None else (match.group(1), match.group(2))


def secret_matches(secret: str, salt: bytes, stored: bytes) -> bool:
    """Whether ``secret`` hashes to ``stored`` (one scrypt: about 16 MB and 0.1 s of CPU)."""
    return hmac.compare_digest(_hash(secret, salt), stored)


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("ascii"), salt=salt, **_SCRYPT)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class KeyRing:
    """The keys of the database at ``path`` (the table is created when missing).

    The connection opens on first use and again after :meth:`close`.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        try:
            self._conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise WasteoptError(f"cannot use database {self.path.name}: {exc}") from None

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            try:
                self._connection = sqlite3.connect(
                    self.path, timeout=30.0, isolation_level=None, check_same_thread=False
                )
                self._connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError as exc:
                raise WasteoptError(f"cannot use database {self.path.name}: {exc}") from None
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def add(
        self,
        name: str,
        role: str,
        *,
        max_jobs: int | None = None,
        cpu_s_per_day: float | None = None,
        max_stored_bytes: int | None = None,
    ) -> tuple[KeyRecord, str]:
        """A new key for ``name``: its record and the key itself (shown once, never stored)."""
        if not _NAME.match(name):
            raise WasteoptError(
                f"key name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-'"
                " (starting with a letter or digit)"
            )
        if role not in ROLES:
            raise WasteoptError(f"role {role!r} is not one of {', '.join(ROLES)}")
        for label, value in (
            ("max jobs", max_jobs),
            ("CPU seconds per day", cpu_s_per_day),
            ("max stored bytes", max_stored_bytes),
        ):
            if value is not None and not value > 0:
                raise WasteoptError(f"{label} must be positive (got {value})")
        key_id, secret, salt = (
            secrets.token_hex(6),
            secrets.token_urlsafe(32),
            secrets.token_bytes(16),
        )
        try:
            self._conn.execute(
                f"INSERT INTO api_keys ({_COLUMNS}, salt, hash) VALUES (?, ?, ?, ?, NULL, ?, ?, ?,"
                " ?, ?)",
                (
                    key_id,
                    name,
                    role,
                    _now(),
                    max_jobs,
                    cpu_s_per_day,
                    max_stored_bytes,
                    salt,
                    _hash(secret, salt),
                ),
            )
        except sqlite3.IntegrityError:
            raise WasteoptError(
                f"an active key named {name!r} exists; revoke it first or choose another name"
            ) from None
        record = self.get(key_id)
        assert record is not None
        return record, f"{KEY_PREFIX}_{key_id}_{secret}"

    def list(self, include_revoked: bool = False) -> list[KeyRecord]:
        where = "" if include_revoked else "WHERE revoked_at IS NULL"
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM api_keys {where} ORDER BY created_at")
        return [KeyRecord(*row) for row in rows]

    def get(self, key_id: str) -> KeyRecord | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?", (key_id,)
        ).fetchone()
        return None if row is None else KeyRecord(*row)

    def revoke(self, name_or_id: str) -> KeyRecord:
        """Revoke the active key with this name or id; it stops working at once."""
        row = self._conn.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE revoked_at IS NULL AND (name = ? OR id = ?)"
            " RETURNING id",
            (_now(), name_or_id, name_or_id),
        ).fetchone()
        if row is None:
            raise WasteoptError(f"no active key named {name_or_id!r}; see wasteopt keys list")
        record = self.get(row[0])
        assert record is not None
        return record

    def any_active(self) -> bool:
        row = self._conn.execute("SELECT 1 FROM api_keys WHERE revoked_at IS NULL LIMIT 1")
        return row.fetchone() is not None

    def credentials(self, key_id: str) -> tuple[bytes, bytes] | None:
        """The salt and hash of the active key ``key_id`` (None: unknown or revoked)."""
        row = self._conn.execute(
            "SELECT salt, hash FROM api_keys WHERE id = ? AND revoked_at IS NULL", (key_id,)
        ).fetchone()
        return None if row is None else (row[0], row[1])
