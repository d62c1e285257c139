"""Errors as HTTP problem documents; a stack trace never reaches a client.

``422`` carries every problem as ``{"loc": "points[3].lat", "msg": ...}`` with the same
locations and messages as the CLI; anything unexpected becomes a ``500`` naming no internals.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import Problem
from wasteopt.errors import InstanceError, WasteoptError

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer other than success, raised from a route.

    Parameters
    ----------
    status, title, detail:
        HTTP status, a short summary, and what happened and what to do.
    errors:
        ``(location, message)`` pairs, for ``422``.
    headers:
        Extra response headers (``Retry-After``, ``Location``).
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})


_SERVER_PATH = re.compile(r"(?<![\w/:.])/(?:[^\s'\"/]+/)+([^\s'\"/]*)")


def without_paths(message: str) -> str:
    """``message`` with each absolute server path cut to its last part (a file's name): no
    answer reveals where the server keeps its files."""
    return _SERVER_PATH.sub(lambda match: match.group(1) or ".", message)


def not_found(kind: str, item_id: str) -> ApiError:
    return ApiError(404, f"{kind} not found", f"no {kind} with id {item_id!r}; list them first")


def invalid(problems: Sequence[tuple[str, str]], title: str = "invalid request") -> ApiError:
    first_loc, first_msg = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return ApiError(422, title, f"{first_loc}: {first_msg}{more}", problems)


def instance_error(exc: InstanceError, prefix: str = "") -> ApiError:
    """An InstanceError as ``422``, locations optionally under ``prefix`` (``instance``)."""
    problems = [(_join(prefix, loc), msg) for loc, msg in exc.problems]
    return invalid(problems, "invalid instance")


def _join(prefix: str, loc: str) -> str:
    if not prefix or loc == "instance":
        return prefix or loc
    return f"{prefix}{loc}" if loc.startswith("[") else f"{prefix}.{loc}"


def problem_response(error: ApiError) -> JSONResponse:
    body = Problem(
        title=error.title,
        status=error.status,
        detail=error.detail,
        errors=[{"loc": loc, "msg": msg} for loc, msg in error.errors],
    )
    return JSONResponse(body.model_dump(), status_code=error.status, headers=error.headers or None)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem answers for ``statuses``."""
    return {status: {"model": Problem} for status in statuses}


def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for item in exc.errors():
        loc = _request_loc(tuple(item["loc"]))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but missing"
        elif item["type"] == "extra_forbidden":
            message = "is not a known field; check its spelling"
        elif item["type"] == "json_invalid":
            message = "the body is not valid JSON"
        problems.append((loc, message))
    return problem_response(invalid(problems or [("body", "invalid request")]))


def _request_loc(parts: tuple[Any, ...]) -> str:
    """``("body", "instance", 0)`` -> ``instance[0]``; ``("query", "limit")`` -> its name."""
    if parts and parts[0] in ("query", "path", "header"):
        return f"{parts[0]} parameter {'.'.join(str(p) for p in parts[1:])}"
    text = ""
    for part in parts[1:] if parts and parts[0] == "body" else parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem_response(exc)


def _wasteopt_error(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, InstanceError):
        return problem_response(instance_error(exc))
    return problem_response(ApiError(422, "cannot process the request", without_paths(str(exc))))


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # FastAPI could not decode the body (not UTF-8, say)
        return problem_response(invalid([("body", "cannot be read as UTF-8 JSON")]))
    titles = {404: "not found", 405: "method not allowed", 413: "request too large"}
    title = titles.get(exc.status_code, "request refused")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
    return problem_response(ApiError(exc.status_code, title, str(exc.detail), (), headers))


def _allowed_methods(request: Request) -> set[str]:
    """Every method some route serves at this path (Starlette names only the first route's),
    found among the routes of included routers too."""
    allowed: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        methods, pattern = getattr(route, "methods", None), getattr(route, "path_regex", None)
        if methods and pattern is not None and pattern.match(request.scope["path"]):
            allowed |= methods
    return allowed


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        ApiError(500, "internal error", "the server failed; the details are in its log")
    )


def install(app: FastAPI) -> None:
    """Register the problem-document handlers on ``app``."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(WasteoptError, _wasteopt_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
