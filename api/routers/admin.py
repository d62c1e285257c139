"""``POST /v1/purge``: an admin purges old finished jobs now, beyond the hourly retention."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep, StoreDep
from api.errors import problem_responses
from api.retention import purge_older_than

router = APIRouter(tags=["admin"])


class PurgeResult(BaseModel):
    jobs_deleted: int = Field(description="finished jobs deleted with their results")
    storage_bytes: int = Field(description="size of the database after the purge")


@router.post("/v1/purge", response_model=PurgeResult, responses=problem_responses(401, 403, 422))
async def purge(
    store: StoreDep,
    settings: SettingsDep,
    older_than_days: Annotated[
        float | None,
        Query(
            ge=0, le=36500, description="default: the server's retention (WASTEOPT_RETENTION_DAYS)"
        ),
    ] = None,
) -> PurgeResult:
    """Delete jobs finished more than ``older_than_days`` ago, their results and unused
    instance snapshots, and give the space back (incremental vacuum)."""
    if older_than_days is None and settings.retention_days == 0:  # the server keeps all
        return PurgeResult(jobs_deleted=0, storage_bytes=store.storage_bytes())
    days = settings.retention_days if older_than_days is None else older_than_days
    deleted = await run_in_threadpool(purge_older_than, store, days)
    return PurgeResult(jobs_deleted=deleted, storage_bytes=store.storage_bytes())
