"""``/v1/keys``: an admin lists, makes and revokes API keys (as ``wasteopt keys`` does)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep
from api.errors import ApiError, invalid, problem_responses
from api.json_body import ParsedJsonRoute
from wasteopt.apikeys import KeyRecord, KeyRing
from wasteopt.errors import WasteoptError

router = APIRouter(prefix="/v1/keys", tags=["keys"], route_class=ParsedJsonRoute)
T = TypeVar("T")


class KeyInfo(BaseModel):
    """A key without its secret; quotas of ``null`` take the server's defaults."""

    id: str
    name: str
    role: str
    created_at: str
    revoked_at: str | None
    max_jobs: int | None
    cpu_s_per_day: float | None
    max_stored_bytes: int | None


class NewKey(BaseModel):
    """A key to make: who holds it, its role and optional quotas of its own."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, description="e.g. desk-1 or li.wei")
    role: Literal["viewer", "dispatcher", "planner", "admin"]
    max_jobs: int | None = Field(default=None, ge=1, le=1000)
    cpu_s_per_day: float | None = Field(default=None, gt=0, le=86_400 * 64)
    max_stored_bytes: int | None = Field(default=None, ge=1, le=10**13)


class MadeKey(KeyInfo):
    key: str = Field(description="the key itself, shown this once: send it as a Bearer token")


def _info(record: KeyRecord) -> KeyInfo:
    return KeyInfo(**record.__dict__)


def _with_ring(db: Path, action: Callable[[KeyRing], T]) -> T:
    ring = KeyRing(db)
    try:
        return action(ring)
    finally:
        ring.close()


@router.get("", response_model=list[KeyInfo], responses=problem_responses(401, 403, 422))
async def list_keys(settings: SettingsDep, include_revoked: bool = False) -> list[KeyInfo]:
    """Every active key (and the revoked ones with ``include_revoked``), oldest first."""
    records = await run_in_threadpool(
        _with_ring, settings.db, lambda ring: ring.list(include_revoked)
    )
    return [_info(r) for r in records]


@router.post(
    "", status_code=201, response_model=MadeKey, responses=problem_responses(401, 403, 422)
)
async def make_key(new: NewKey, settings: SettingsDep) -> MadeKey:
    """Make a key; the answer holds the key itself, which is stored only as a scrypt hash."""

    def add(ring: KeyRing) -> tuple[KeyRecord, str]:
        return ring.add(
            new.name,
            new.role,
            max_jobs=new.max_jobs,
            cpu_s_per_day=new.cpu_s_per_day,
            max_stored_bytes=new.max_stored_bytes,
        )

    try:
        record, token = await run_in_threadpool(_with_ring, settings.db, add)
    except WasteoptError as exc:
        raise invalid([("name", str(exc))]) from None
    return MadeKey(**_info(record).model_dump(), key=token)


@router.delete("/{name}", response_model=KeyInfo, responses=problem_responses(401, 403, 404))
async def revoke_key(name: str, settings: SettingsDep) -> KeyInfo:
    """Revoke the active key with this name or id: it stops working at once."""
    try:
        record = await run_in_threadpool(_with_ring, settings.db, lambda ring: ring.revoke(name))
    except WasteoptError:
        raise ApiError(
            404, "key not found", f"no active key named {name!r}; list them first"
        ) from None
    return _info(record)
