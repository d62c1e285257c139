"""``/v1/instances``: upload (JSON, or CSV of points onto a base instance), list, get, delete."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.auth import current_key
from api.bounds import csv_points_problems
from api.deps import SettingsDep, StoreDep
from api.errors import ApiError, instance_error, invalid, not_found, problem_responses
from api.quotas import storage_admission
from api.schemas import InstanceList, InstanceRecord, InstanceSummary, UploadedInstance
from api.settings import Settings
from api.store import InstanceRow, Store
from api.validation import instance_document, parse_json, validate_instance
from wasteopt.errors import InstanceError
from wasteopt.io import decode_csv, points_from_csv_text

router = APIRouter(prefix="/v1/instances", tags=["instances"])

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Instance"}},
            "text/csv": {
                "schema": {
                    "type": "string",
                    "description": "collection points, one a row, with the CLI's columns"
                    " (id, lon, lat, stream, tonnes_per_day required); needs ?base=",
                }
            },
        },
    }
}


def summary(row: InstanceRow) -> InstanceSummary:
    return InstanceSummary(
        id=row.id,
        name=row.name,
        date=row.date,
        points=row.n_points,
        created_at=row.created_at,
        href=f"/v1/instances/{row.id}",
    )


@router.post(
    "",
    status_code=201,
    response_model=UploadedInstance,
    openapi_extra=_UPLOAD_BODY,
    responses=problem_responses(404, 413, 415, 422),
    summary="Upload an instance (JSON), or points (CSV) onto a base instance",
)
async def upload_instance(
    request: Request,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
    base: Annotated[
        str | None,
        Query(description="CSV only: id of the instance giving yards, facilities and fleet"),
    ] = None,
    name: Annotated[
        str | None, Query(min_length=1, max_length=200, description="CSV only: new name")
    ] = None,
) -> UploadedInstance:
    """Store a validated instance and answer its summary with a ``Location``.

    JSON: the instance document the CLI reads (``points_csv`` is not accepted). CSV: the
    day's collection points, which replace the points of instance ``base``; UTF-8, or GBK as
    Excel saves CSV on a Chinese-language Windows (``csv_encoding`` says which was read).
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media_type == "application/json":
        given = [key for key, value in (("base", base), ("name", name)) if value is not None]
        if given:
            raise invalid(
                [(f"query parameter {key}", "only applies to a CSV upload") for key in given]
            )
        row = await run_in_threadpool(_store_json, body, settings, store)
        encoding = None
    elif media_type == "text/csv":
        if base is None:
            raise invalid(
                [("query parameter base", "is required for a CSV upload: the instance id")]
            )
        row, encoding = await run_in_threadpool(_store_csv, body, base, name, settings, store)
    else:
        raise ApiError(
            415,
            "unsupported media type",
            f"send the instance as application/json or its points as text/csv, not {media_type!r}",
        )
    response.headers["Location"] = f"/v1/instances/{row.id}"
    return UploadedInstance(**summary(row).model_dump(), csv_encoding=encoding)


def _store_json(body: bytes, settings: Settings, store: Store) -> InstanceRow:
    return _store_document(parse_json(body), settings, store)


def _store_document(data: object, settings: Settings, store: Store) -> InstanceRow:
    instance = validate_instance(data, settings)
    document = instance_document(instance)
    key = current_key()
    instance_id = store.add_instance(
        instance.name,
        instance.date,
        len(instance.points),
        document,
        owner=None if key is None else key.id,
        admit=storage_admission(key, settings, len(document.encode("utf-8"))),
    )
    stored = store.get_instance(instance_id)
    assert stored is not None
    return stored[0]


def _store_csv(
    body: bytes, base: str, name: str | None, settings: Settings, store: Store
) -> tuple[InstanceRow, str]:
    """Points read from ``body`` (UTF-8, or GBK/GB18030 as Excel saves CSV in Chinese) onto
    instance ``base``; the stored row and the encoding read."""
    found = store.get_instance(base)
    if found is None:
        raise not_found("instance", base)
    try:
        text, encoding = decode_csv(body, "body")
        too_many = csv_points_problems(text, "points.csv", settings)
        if too_many:
            raise invalid(too_many, "instance too large")
        points = points_from_csv_text(text, "points.csv")
    except InstanceError as exc:
        raise instance_error(exc) from None
    document = json.loads(found[1])
    document["points"] = [p.model_dump(mode="json", by_alias=True) for p in points]
    if name is not None:
        document["name"] = name
    return _store_document(document, settings, store), encoding


@router.get("", response_model=InstanceList, responses=problem_responses(422))
def list_instances(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> InstanceList:
    """Stored instances, oldest first."""
    rows = store.list_instances(limit, offset)
    return InstanceList(items=[summary(r) for r in rows], limit=limit, offset=offset)


@router.get("/{instance_id}", response_model=InstanceRecord, responses=problem_responses(404))
def get_instance(instance_id: str, store: StoreDep) -> InstanceRecord:
    """One instance with its full document."""
    found = store.get_instance(instance_id)
    if found is None:
        raise not_found("instance", instance_id)
    row, document = found
    return InstanceRecord(**summary(row).model_dump(), instance=json.loads(document))


@router.delete("/{instance_id}", status_code=204, responses=problem_responses(404))
def delete_instance(instance_id: str, store: StoreDep) -> Response:
    """Delete an instance; plans made from it keep their own copy and stay available."""
    if not store.delete_instance(instance_id):
        raise not_found("instance", instance_id)
    return Response(status_code=204)
