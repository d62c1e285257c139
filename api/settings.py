"""Server configuration, read once from ``WASTEOPT_*`` environment variables.

A plain dataclass rather than pydantic-settings: a score of scalars do not justify another
dependency, and a bad value still gets a message naming the variable and what to change.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from wasteopt.apikeys import is_loopback
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
        The allow-listed folder of road graphs: an instance's ``settings.graph`` names a
        ``.graphml`` file inside it, relative to it, and nothing else on the server.
    sweeps_dir:
        The folder whose sub-folders are ``wasteopt sweep --out`` results the API and desk show
        (read only; sweeps run from the command line on a Dask cluster).
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
    host:
        The address the server listens on. Only on a loopback address may it run without API
        keys; elsewhere it refuses to start until ``wasteopt keys add`` has made one.
    max_vehicles, max_facilities, max_model_size:
        Bounds on one instance, checked before it is fully validated: vehicles of all types,
        facilities plus candidate sites, and points x vehicles (the size of the routing model).
    quota_jobs, quota_cpu_s_per_day, quota_stored_bytes:
        Per-key defaults (a key may carry its own): running plus queued jobs, solver
        CPU-seconds in any 24 hours, and bytes of instances, job inputs and results stored.
    retention_days:
        Finished jobs and their results older than this are purged (0 keeps them forever).
    cors_origins:
        Comma-separated origins allowed to call the API from a browser; empty keeps CORS closed.
    """

    db: Path = Path("wasteopt-api.db")
    data_dir: Path = Path("graphs")
    sweeps_dir: Path = Path("sweeps")
    workers: int = 2
    queue_size: int = 16
    max_time_limit_s: float = 600.0
    default_time_limit_s: float = 30.0
    max_points: int = 5000
    max_body_bytes: int = 10_000_000
    cancel_grace_s: float = 5.0
    host: str = "127.0.0.1"
    max_vehicles: int = 2000
    max_facilities: int = 1000
    max_model_size: int = 2_000_000
    quota_jobs: int = 4
    quota_cpu_s_per_day: float = 36_000.0
    quota_stored_bytes: int = 1_000_000_000
    retention_days: float = 30.0
    cors_origins: str = ""

    def __post_init__(self) -> None:
        positive = ("workers", "max_time_limit_s", "default_time_limit_s", "max_points")
        bounds = ("max_vehicles", "max_facilities", "max_model_size")
        quotas = ("quota_jobs", "quota_cpu_s_per_day", "quota_stored_bytes")
        for name in (*positive, *bounds, *quotas, "max_body_bytes"):
            if getattr(self, name) <= 0:
                value = getattr(self, name)
                raise WasteoptError(f"{_env_name(name)} must be positive (got {value})")
        for name in ("queue_size", "cancel_grace_s", "retention_days"):
            if getattr(self, name) < 0:
                raise WasteoptError(f"{_env_name(name)} must not be negative")
        for name in ("db", "data_dir", "sweeps_dir"):
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser().resolve())
        if self.default_time_limit_s > self.max_time_limit_s:
            object.__setattr__(self, "default_time_limit_s", self.max_time_limit_s)

    @property
    def loopback(self) -> bool:
        """Whether ``host`` is a loopback address (the server may then run without keys)."""
        return is_loopback(self.host)

    @property
    def allowed_origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``WASTEOPT_DB``, ``WASTEOPT_WORKERS``, ... (defaults where unset)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = environ.get(_env_name(field.name))
            if raw is None or not raw.strip():
                continue
            convert: Callable[[str], Any] = {"Path": Path, "int": int, "float": float, "str": str}[
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
