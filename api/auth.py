"""Authentication: who is calling, from a Bearer key or the desk's session cookie.

One dependency, :func:`authorize`, runs before every API route. It finds the caller, checks
the route's rule (:mod:`api.roles`) and the ownership of the job or instance the route
names, and makes the caller available to the code that stores objects
(:func:`current_key`), so every object records the key that created it.

- With no active key, a server bound to a loopback address lets every local caller act as
  admin (one person on one machine); bound elsewhere it refuses to start.
- A key is checked with scrypt once; afterwards its SHA-256 is remembered, and each request
  costs one read by primary key, which also sees a revocation at once.
- The desk logs in with ``POST /v1/session`` and then holds an HttpOnly, SameSite=Strict
  cookie. The session lives in the server's store (:mod:`api.store`), by the SHA-256 of its
  token, so a restart keeps it; it ends at logout, at its expiry or when its key is revoked.
  A state-changing request authenticated by that cookie must carry the header
  ``X-Requested-With`` (a browser cannot send it cross-origin without a CORS preflight,
  which this server refuses unless configured) and, when the browser sends ``Origin``, an
  origin equal to the server's own.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
import time
import weakref
from contextvars import ContextVar
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from api.roles import PUBLIC, rule_for
from api.settings import Settings
from api.store import Store
from wasteopt.apikeys import ROLES, KeyRecord, KeyRing, parse_token, secret_matches

SESSION_COOKIE = "wasteopt_session"
CSRF_HEADER = "X-Requested-With"
SESSION_TTL_S = 12 * 3600
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_VERIFIED_CACHE = 4096
SCRYPT_AT_ONCE = 2  # each takes a core and 16 MB for about 0.1 s
_KEYS_DEFINED_TTL_S = 1.0


@dataclass(frozen=True)
class Caller:
    """Who is calling: a key, the local user of a keyless loopback server, or nobody."""

    key: KeyRecord | None
    local: bool = False
    via_cookie: bool = False

    @property
    def role(self) -> str:
        if self.local:
            return "admin"
        return self.key.role if self.key is not None else PUBLIC

    @property
    def name(self) -> str:
        if self.local:
            return "local user"
        return f"key {self.key.name}" if self.key is not None else "an anonymous caller"

    def may(self, role: str) -> bool:
        if role == PUBLIC:
            return True
        return self.role != PUBLIC and ROLES.index(self.role) >= ROLES.index(role)


_caller: ContextVar[Caller | None] = ContextVar("wasteopt_caller", default=None)


def current_key() -> KeyRecord | None:
    """The key of the request being served (None: keyless local use, or outside a request)."""
    caller = _caller.get()
    return None if caller is None else caller.key


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


class Authenticator:
    """Checks keys against the key table of the server's database, and desk sessions."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.ring = KeyRing(settings.db)
        self._lock = threading.Lock()
        self._verified: dict[bytes, str] = {}
        self._keys_defined: tuple[bool, float] = (False, -1.0)
        self._pending: dict[bytes, asyncio.Future[bool]] = {}
        self._scrypt_slots: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()

    def close(self) -> None:
        self.ring.close()

    def keys_defined(self) -> bool:
        defined, checked = self._keys_defined
        now = time.monotonic()
        if now - checked > _KEYS_DEFINED_TTL_S:
            with self._lock:
                defined = self.ring.any_active()
            self._keys_defined = (defined, now)
        return defined

    def _active(self, key_id: str) -> KeyRecord | None:
        with self._lock:
            record = self.ring.get(key_id)
        return record if record is not None and record.revoked_at is None else None

    async def key_for_token(self, token: str) -> KeyRecord | None:
        """The active key ``token`` is (scrypt on first sight, then a cached digest).

        Concurrent first requests with one key share one scrypt, and at most
        :data:`SCRYPT_AT_ONCE` run at a time, each in a worker thread (it releases the GIL).
        """
        digest = hashlib.sha256(token.encode("utf-8", "replace")).digest()
        key_id = self._verified.get(digest)
        if key_id is not None:
            return self._active(key_id)
        parts = parse_token(token)
        if parts is None:
            return None
        pending = self._pending.get(digest)
        if pending is None:
            pending = asyncio.ensure_future(self._check(parts[0], parts[1]))
            self._pending[digest] = pending
            pending.add_done_callback(lambda _: self._pending.pop(digest, None))
        matched = await asyncio.shield(pending)
        if not matched:
            return None
        if len(self._verified) >= _VERIFIED_CACHE:
            self._verified.clear()
        self._verified[digest] = parts[0]
        return self._active(parts[0])

    async def _check(self, key_id: str, secret: str) -> bool:
        with self._lock:
            stored = self.ring.credentials(key_id)
        if stored is None:
            return False

        # waiting happens on the event loop, so queued checks hold no worker thread
        loop = asyncio.get_running_loop()
        slots = self._scrypt_slots.setdefault(loop, asyncio.Semaphore(SCRYPT_AT_ONCE))
        async with slots:
            return await run_in_threadpool(secret_matches, secret, *stored)

    def session_key(self, store: Store, token: str) -> KeyRecord | None:
        """The active key of the unexpired session ``token`` in ``store``, else None."""
        key_id = store.session_key_id(_session_digest(token))
        return None if key_id is None else self._active(key_id)

    async def identify(self, request: Request) -> Caller:
        """The caller of ``request``; ``401`` for a wrong, revoked or malformed key."""
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise unauthorized("send the key as 'Authorization: Bearer <key>'")
            key = await self.key_for_token(token.strip())
            if key is None:
                raise unauthorized("this key is unknown or revoked; ask an admin for a key")
            return Caller(key)
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            key = self.session_key(request.app.state.store, cookie)
            if key is None:
                raise unauthorized("the session has ended; log in again (POST /v1/session)")
            return Caller(key, via_cookie=True)
        if not self.keys_defined() and self.settings.loopback:
            return Caller(None, local=True)
        return Caller(None)


def _session_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


def open_session(store: Store, key: KeyRecord) -> str:
    """A new session token for ``key``, valid :data:`SESSION_TTL_S`; ``store`` keeps only its
    SHA-256."""
    token = secrets.token_urlsafe(32)
    store.add_session(_session_digest(token), key.id, SESSION_TTL_S)
    return token


def close_session(store: Store, token: str) -> None:
    """End the session ``token`` (nothing happens for an unknown one)."""
    store.delete_session(_session_digest(token))


def _check_csrf(request: Request) -> None:
    if request.headers.get(CSRF_HEADER) is None:
        raise ApiError(
            403,
            "forbidden",
            f"a request changing data with the session cookie must carry the {CSRF_HEADER}"
            " header (cross-site request protection)",
        )
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin != own:
        raise ApiError(403, "forbidden", f"requests from origin {origin!r} are not accepted")


def _check_owner(request: Request, store: Store, table: str, caller: Caller) -> None:
    if caller.may("admin"):
        return
    item_id = request.path_params.get("job_id" if table == "jobs" else "instance_id")
    if item_id is None:
        return
    exists, owner = store.owner(table, item_id)
    if exists and (caller.key is None or owner != caller.key.id):
        noun = "job" if table == "jobs" else "instance"
        raise ApiError(
            403,
            "forbidden",
            f"{noun} {item_id} was created by another key; only its creator or an admin may"
            " change it",
        )


async def authorize(request: Request) -> Caller:
    """The dependency before every API route: authenticate, then apply the route's rule."""
    auth: Authenticator = request.app.state.auth
    caller = await auth.identify(request)
    request.state.caller = caller
    _caller.set(caller)
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    rule = rule_for(request.method, path)
    needed = rule.role if rule is not None else "admin"
    if not caller.may(needed):
        if caller.key is None and not caller.local:
            raise unauthorized(f"{request.method} {path} needs a key with role {needed} or above")
        raise ApiError(
            403,
            "forbidden",
            f"{caller.name} has role {caller.role}; {request.method} {path} needs {needed}",
        )
    if caller.via_cookie and request.method not in SAFE_METHODS:
        _check_csrf(request)
    if rule is not None and rule.owned is not None:
        _check_owner(request, request.app.state.store, rule.owned, caller)
    return caller
