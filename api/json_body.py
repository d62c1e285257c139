"""JSON request bodies checked before any route sees them, in a worker thread.

A body that is not UTF-8, not JSON (the answer names its line and column), uses the
non-standard constants ``NaN`` or ``Infinity``, or nests deeper than :data:`MAX_DEPTH` levels
is answered ``422`` here. Python's parser recurses, so a body nested a thousand levels deep
would otherwise end in a ``RecursionError`` and a ``500``; and parsing a large body on the
event loop would stall every other request meanwhile (5 MB take a third of a second on a
loaded 2-core machine). Routes of :class:`ParsedJsonRoute` then read the document parsed
here instead of parsing the body again on the event loop.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, invalid, problem_response

MAX_DEPTH = 64
PARSED_KEY = "wasteopt.json_body"
LARGE_BODY_BYTES = 1_000_000
_CHECKED_METHODS = (b"POST", b"PUT", b"PATCH")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows; send a finite number")


def _depth(document: Any) -> int:
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def parse_body(body: bytes, max_depth: int = MAX_DEPTH) -> tuple[Any, str | None]:
    """``body`` as a JSON document, or what is wrong with it as a request body."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "is not UTF-8 text"
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    except RecursionError:
        return None, f"nests deeper than {max_depth} levels of objects and arrays"
    except ValueError as exc:
        return None, str(exc)
    if _depth(document) > max_depth:
        return None, f"nests deeper than {max_depth} levels of objects and arrays"
    return document, None


class _ParsedJsonRequest(Request):
    async def json(self) -> Any:
        if PARSED_KEY in self.scope:
            return self.scope[PARSED_KEY]
        return await super().json()


class ParsedJsonRoute(APIRoute):
    """A route whose JSON body is the document :class:`JsonBodyGuard` parsed off the loop."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def parsed_json_handler(request: Request) -> Response:
            return await handler(_ParsedJsonRequest(request.scope, request.receive))

        return parsed_json_handler


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media = value.split(b";")[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class JsonBodyGuard:
    """ASGI middleware: read a JSON body whole, check it off the event loop, then pass it on.

    Place it inside :class:`api.limits.BodySizeLimit`, which bounds what it reads.
    """

    def __init__(self, app: ASGIApp, max_depth: int = MAX_DEPTH):
        self.app = app
        self.max_depth = max_depth
        self._large: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._large = weakref.WeakKeyDictionary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"].encode() not in _CHECKED_METHODS
            or not _is_json(scope)
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except HTTPException as exc:  # the size limit, raised while reading
            error = ApiError(exc.status_code, "request too large", str(exc.detail))
            await problem_response(error)(scope, receive, send)
            return
        body = b"".join(chunks)
        if len(body) < LARGE_BODY_BYTES:
            await self._handle(body, scope, receive, send)
            return
        # one large body at a time: each holds the GIL while it is parsed and validated in a
        # worker thread, and the event loop waits its turn behind every such thread
        loop = asyncio.get_running_loop()
        async with self._large.setdefault(loop, asyncio.Semaphore(1)):
            await self._handle(body, scope, receive, send)

    async def _handle(self, body: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        if body:
            document, problem = await run_in_threadpool(parse_body, body, self.max_depth)
            if problem is not None:
                await problem_response(invalid([("body", problem)]))(scope, receive, send)
                return
            scope[PARSED_KEY] = document
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
