"""``/v1/session``: the desk's login with a key (an HttpOnly session cookie) and logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import (
    SESSION_COOKIE,
    SESSION_TTL_S,
    Authenticator,
    Caller,
    close_session,
    open_session,
    unauthorized,
)
from api.deps import StoreDep
from api.errors import problem_responses
from api.json_body import ParsedJsonRoute

router = APIRouter(prefix="/v1/session", tags=["session"], route_class=ParsedJsonRoute)


class Login(BaseModel):
    """The API key to log in with (as ``wasteopt keys add`` printed it)."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=200)


class Identity(BaseModel):
    """Who the request is from and what it may do."""

    name: str = Field(description="the key's name, or 'local user' on a keyless server")
    role: str = Field(description="viewer, dispatcher, planner or admin")


def _identity(caller: Caller) -> Identity:
    name = caller.key.name if caller.key is not None else "local user"
    return Identity(name=name, role=caller.role)


@router.post("", response_model=Identity, responses=problem_responses(401, 422))
async def log_in(login: Login, request: Request, response: Response, store: StoreDep) -> Identity:
    """Check the key and set the session cookie (HttpOnly, SameSite=Strict, 12 hours).

    Requests with the cookie that change data must also send ``X-Requested-With``.
    """
    auth: Authenticator = request.app.state.auth
    key = await auth.key_for_token(login.key.strip())
    if key is None:
        raise unauthorized("this key is unknown or revoked; ask an admin for a key")
    response.set_cookie(
        SESSION_COOKIE,
        await run_in_threadpool(open_session, store, key),
        max_age=SESSION_TTL_S,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return _identity(Caller(key))


@router.get("", response_model=Identity, responses=problem_responses(401, 403))
async def who_am_i(request: Request) -> Identity:
    """The key (or local user) the request is authenticated as."""
    return _identity(request.state.caller)


@router.delete("", status_code=204)
async def log_out(request: Request, store: StoreDep) -> Response:
    """End the session: the cookie is cleared and stops working."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(close_session, store, token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
