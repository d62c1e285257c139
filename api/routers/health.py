"""``GET /health``: is the server up, and how busy are its solvers."""

from __future__ import annotations

from fastapi import APIRouter, Request

import wasteopt
from api.deps import RunnerDep, SettingsDep, StoreDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
async def health(
    request: Request, store: StoreDep, settings: SettingsDep, runner: RunnerDep
) -> Health:
    """Answers ``ok`` once the database is reachable; counts running and queued jobs.

    Admins also see ``storage_bytes``, the size of the database."""
    return Health(
        status="ok",
        version=wasteopt.__version__,
        workers=settings.workers,
        running=runner.running_count(),
        queued=store.count_waiting(),
        queue_size=settings.queue_size,
        storage_bytes=store.storage_bytes() if request.state.caller.may("admin") else None,
    )
