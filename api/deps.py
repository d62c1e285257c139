"""Dependencies injected into the routes: settings, the store and the job runner.

They are coroutines so that FastAPI resolves them on the event loop: a plain function would
cost a hop to the thread pool on every request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.jobs import JobRunner
from api.settings import Settings
from api.store import Store


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_store(request: Request) -> Store:
    return request.app.state.store


async def get_runner(request: Request) -> JobRunner:
    return request.app.state.runner


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]
