"""Server configuration, read once from ``WASTEOPT_*`` environment variables.

A plain dataclass rather than pydantic-settings: eight scalars do not justify another
dependency, and a bad value still gets a message naming the variable and what to change.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from wasteopt.errors import WasteoptError

ENV_PREFIX = "WASTEOPT_"


@dataclass(frozen=True)
class Settings:
    """Limits and resources of one API server.

    Attributes
    ----------
    db:
        SQLite database file holding instances, jobs and plans (created when missing).
    data_dir:
        Directory against which an instance's relative ``settings.graph`` path resolves;
        instances may only name road graphs inside it.
    workers:
        Solver processes running at once (the bounded pool).
    queue_size:
        Jobs that may wait for a worker; one more is answered ``429`` with ``Retry-After``.
    max_time_limit_s:
        The longest search a client may ask for; longer requests are answered ``422``.
    default_time_limit_s:
        Search time when a request gives none (never above ``max_time_limit_s``).
    max_points:
        Collection points allowed in one instance.
    max_body_bytes:
        Largest request body accepted; a larger one is answered ``413``.
    cancel_grace_s:
        How long a cancelled or overrunning solve may take to stop before its process is killed.
    """

    db: Path = Path("wasteopt-api.db")
    data_dir: Path = Path(".")
    workers: int = 2
    queue_size: int = 16
    max_time_limit_s: float = 600.0
    default_time_limit_s: float = 30.0
    max_points: int = 5000
    max_body_bytes: int = 10_000_000
    cancel_grace_s: float = 5.0

    def __post_init__(self) -> None:
        positive = ("workers", "max_time_limit_s", "default_time_limit_s", "max_points")
        for name in (*positive, "max_body_bytes"):
            if getattr(self, name) <= 0:
                value = getattr(self, name)
                raise WasteoptError(f"{_env_name(name)} must be positive (got {value})")
        for name in ("queue_size", "cancel_grace_s"):
            if getattr(self, name) < 0:
                raise WasteoptError(f"{_env_name(name)} must not be negative")
        for name in ("db", "data_dir"):
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser().resolve())
        if self.default_time_limit_s > self.max_time_limit_s:
            object.__setattr__(self, "default_time_limit_s", self.max_time_limit_s)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``WASTEOPT_DB``, ``WASTEOPT_WORKERS``, ... (defaults where unset)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = environ.get(_env_name(field.name))
            if raw is None or not raw.strip():
                continue
            convert: Callable[[str], Any] = {"Path": Path, "int": int, "float": float}[
                str(field.type)
            ]
            try:
                values[field.name] = convert(raw.strip())
            except ValueError:
                raise WasteoptError(
                    f"{_env_name(field.name)}={raw!r} is not a valid {field.type}"
                ) from None
        return cls(**values)


def _env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()
