"""Request and response bodies of the API, kept apart from the domain model.

Instance and plan documents travel as the same JSON the CLI reads and writes (their schemas
are the domain model's, published under ``components/schemas``); everything around them —
summaries, job status, errors — is described here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from wasteopt.bounds import MIN_TIME_LIMIT_S
from wasteopt.model import GridFactor

JobStatusName = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]


class FieldProblem(BaseModel):
    """One problem with the request: where it is and what to change."""

    loc: str = Field(description="dotted path of the offending field, e.g. points[3].lat")
    msg: str = Field(description="what is wrong and what to change")


class Problem(BaseModel):
    """An error answer in the shape of RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)


class InstanceSummary(BaseModel):
    """A stored instance, without its document."""

    id: str
    name: str
    date: str | None
    points: int = Field(description="number of collection points")
    created_at: str = Field(description="ISO 8601 UTC")
    href: str


class UploadedInstance(InstanceSummary):
    """The answer to an upload: the stored instance, and for a CSV the encoding read."""

    csv_encoding: Literal["UTF-8", "GB18030"] | None = Field(
        default=None,
        description="CSV uploads: the encoding the points were read in (GB18030 covers GBK,"
        " as Excel saves CSV on a Chinese-language Windows)",
    )


class InstanceRecord(InstanceSummary):
    """A stored instance with its document (as the CLI reads it)."""

    instance: dict[str, Any] = Field(description="the instance document; see schema Instance")


class InstanceList(BaseModel):
    items: list[InstanceSummary]
    limit: int
    offset: int


class PlanRequest(BaseModel):
    """Start a plan: name a stored instance or send one inline (exactly one of the two)."""

    model_config = ConfigDict(extra="forbid")

    instance_id: str | None = Field(default=None, description="id of a stored instance")
    instance: dict[str, Any] | None = Field(
        default=None, description="an inline instance document; see schema Instance"
    )
    date: dt.date | None = Field(default=None, description="service date, overrides the instance")
    time_limit_s: float | None = Field(
        default=None,
        ge=MIN_TIME_LIMIT_S,
        description="search time of the collection tier, s (the transfer tier gets a quarter);"
        " the server's default applies when absent and its maximum may not be exceeded",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    solution_limit: int | None = Field(default=None, ge=1, le=1_000_000)
    grid: GridFactor | None = Field(
        default=None,
        description="grid emission factor for charging and avoided generation, e.g. a regional"
        " or provincial figure with its source (default: China's 2022 national average)",
    )


class JobProgress(BaseModel):
    tier: str = Field(description="collection or transfer")
    elapsed_s: float
    best_cost: float = Field(description="best solver objective so far, CNY")


class JobStatus(BaseModel):
    """A job: its inputs, where it stands, and where to fetch its results (``links``)."""

    id: str
    kind: Literal["plan", "siting", "comparison"]
    status: JobStatusName
    instance_id: str | None
    instance_name: str
    date: str | None
    time_limit_s: float
    seed: int
    solution_limit: int | None
    resubmitted_from: str | None
    submitted_at: str
    started_at: str | None
    finished_at: str | None
    progress: JobProgress | None
    cost: float | None = Field(
        description="the result's cost: a plan's CNY/day, a siting's CNY/yr (none for a"
        " comparison, whose table has the costs)"
    )
    error: str | None = Field(description="why the job failed, or was cancelled or interrupted")
    links: dict[str, str] = Field(description="self, result, resubmit and the kind's own files")


class JobList(BaseModel):
    items: list[JobStatus]
    limit: int
    offset: int


class SheetList(BaseModel):
    """Per-vehicle CSV sheets of a finished plan (UTF-8 with BOM, for Excel)."""

    vehicles: dict[str, str] = Field(description="vehicle id -> URL of its sheet")


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    workers: int
    running: int
    queued: int
    queue_size: int
    storage_bytes: int | None = Field(
        default=None, description="size of the database, bytes (shown to admins only)"
    )


class SitingRequest(BaseModel):
    """Choose transfer stations for an instance (stored or inline), as ``wasteopt site`` does.

    Candidates are the instance's transfer stations plus ``candidates`` (facility documents)
    and ``candidates_csv`` (CSV text with the CLI's columns).
    """

    model_config = ConfigDict(extra="forbid")

    instance_id: str | None = None
    instance: dict[str, Any] | None = Field(default=None, description="see schema Instance")
    candidates: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)
    candidates_csv: str | None = None
    open_exactly: int | None = Field(default=None, ge=0)
    min_open: int | None = Field(default=None, ge=0)
    max_open: int | None = Field(default=None, ge=0)
    budget: float | None = Field(default=None, ge=0, description="CNY/yr of station fixed cost")
    force_open: list[str] = Field(default_factory=list)
    force_closed: list[str] = Field(default_factory=list)
    keep_existing: bool = Field(default=False, description="keep every station open today open")
    allow_direct: bool = Field(default=True, description="points may haul straight to a plant")
    direct_max_km: float | None = Field(default=None, gt=0)
    by_township: bool = False
    carbon_price_per_t: float = Field(default=0.0, ge=0, description="CNY per t CO2e")
    time_limit_s: float | None = Field(default=None, ge=MIN_TIME_LIMIT_S)
    gap_limit: float = Field(default=1e-4, ge=0, le=1)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    name: str = Field(default="sited", min_length=1, max_length=100, description="scenario name")


class ComparisonRequest(BaseModel):
    """Route an instance under several scenarios and compare them, as ``wasteopt compare``."""

    model_config = ConfigDict(extra="forbid")

    instance_id: str | None = None
    instance: dict[str, Any] | None = Field(default=None, description="see schema Instance")
    scenarios: list[dict[str, Any]] = Field(
        min_length=1, max_length=8, description="scenario documents, as `wasteopt compare` reads"
    )
    include_today: bool = Field(default=True, description="add the unchanged instance, 'today'")
    time_limit_s: float | None = Field(
        default=None, ge=MIN_TIME_LIMIT_S, description="per scenario's plan"
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    solution_limit: int | None = Field(default=None, ge=1, le=1_000_000)
