"""The FastAPI application: routers, error handlers, limits, and the job runner's lifetime."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

import wasteopt
from api import desk, errors
from api.auth import Authenticator, authorize
from api.jobs import JobRunner
from api.json_body import JsonBodyGuard
from api.limits import BodySizeLimit
from api.retention import RetentionSweeper
from api.routers import (
    admin,
    comparisons,
    dispatch,
    graphs,
    health,
    instances,
    keys,
    plans,
    replans,
    session,
    sitings,
    sweeps,
)
from api.settings import Settings
from api.store import Store
from wasteopt.apikeys import refuse_open_bind
from wasteopt.errors import WasteoptError
from wasteopt.model import ImpactReport, Instance, Plan

logger = logging.getLogger(__name__)

DESCRIPTION = """Plans for the county's waste-collection trucks, over HTTP.

Upload an instance, start a plan (`POST /v1/plans`, answered `202` with the job's URL),
poll the job until its status is `done`, then fetch the plan, per-truck CSV sheets and
GeoJSON routes. Instances, jobs and plans are kept in SQLite and survive restarts; a job
running when the server stopped is marked `interrupted` and can be resubmitted.
Errors are problem documents; `422` lists every offending field path.
"""


def lock_database(db: Path) -> IO[bytes]:
    """Hold an exclusive lock beside the database: one server per database file."""
    handle = open(db.with_name(db.name + ".lock"), "wb")  # noqa: SIM115 - held for the app's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise WasteoptError(
            f"another wasteopt server is using {db}; stop it or give this one another --db"
        ) from None
    return handle


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API over ``settings`` (default: from ``WASTEOPT_*`` environment variables).

    The database is opened here; solver processes start with the app's lifespan, which first
    marks jobs left running by a previous server as interrupted.
    """
    settings = settings or Settings.from_env()
    store = Store(settings.db)
    auth = Authenticator(settings)
    refuse_open_bind(settings.host, auth.ring)
    runner = JobRunner(store, settings)
    sweeper = RetentionSweeper(store, settings.retention_days)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        lock = lock_database(settings.db)
        runner.start()
        sweeper.start()
        try:
            yield
        finally:
            sweeper.close()
            runner.close()
            auth.close()
            store.close()
            lock.close()

    app = FastAPI(
        title="wasteopt API",
        version=wasteopt.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(authorize)],  # every route's role: api.roles
        docs_url=None,  # served offline by the desk (api.desk), not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.runner = runner
    app.state.auth = auth
    app.add_middleware(JsonBodyGuard)  # runs inside the size limit, added after it
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    errors.install(app)
    for module in (session, admin, keys):
        app.include_router(module.router)
    routers = (health, instances, graphs, plans, replans, sitings, comparisons, dispatch, sweeps)
    for module in routers:
        app.include_router(module.router)
    desk.install(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the domain documents (Instance, Plan) the routes exchange raw."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        _, domain = models_json_schema(
            [(Instance, "validation"), (Plan, "serialization"), (ImpactReport, "serialization")],
            ref_template="#/components/schemas/{model}",
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        # a domain model the API also uses in a request (GridFactor) appears in both, alike
        clashes = {
            name
            for name in set(components) & set(domain["$defs"])
            if components[name] != domain["$defs"][name]
        }
        if clashes:
            raise RuntimeError(f"API schema names clash with the domain model: {clashes}")
        components.update(domain["$defs"])
        # the API key (api.auth), so the docs' "Authorize" sends it; a keyless loopback
        # server and the public routes need none, hence the empty alternative
        schema["components"]["securitySchemes"] = {
            "apiKey": {"type": "http", "scheme": "bearer", "description": "wasteopt keys add"}
        }
        schema["security"] = [{"apiKey": []}, {}]
        app.openapi_schema = schema
    return app.openapi_schema
