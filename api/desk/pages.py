"""The desk's pages (``/``, ``/print``), its static files, and ``/docs`` and ``/redoc`` served
from the vendored Swagger UI and ReDoc instead of a CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/desk/static"
VENDOR_URL = f"{STATIC_URL}/vendor"
FAVICON_URL = f"{STATIC_URL}/favicon.svg"
HTML = "text/html; charset=utf-8"
# The API docs load only what this server serves: ReDoc's side menu otherwise fetches its
# maker's logo from cdn.redoc.ly, and no option turns that off. Inline code is the docs' own
# (FastAPI's start-up script, the styles the bundles inject).
DOCS_POLICY = "default-src 'self' 'unsafe-inline' data: blob:"


def desk_page() -> FileResponse:
    """The dispatch desk."""
    return FileResponse(STATIC_DIR / "index.html", media_type=HTML)


def print_page() -> FileResponse:
    """Printable A4 dispatch sheets, one page per truck (``?job=<id>[&vehicle=<id>]``)."""
    return FileResponse(STATIC_DIR / "print.html", media_type=HTML)


def _docs_only_from_here(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_POLICY
    return page


def install(app: FastAPI) -> None:
    """Serve the desk, its static files and the offline API docs from ``app``.

    ``app`` must be created with ``docs_url=None, redoc_url=None``: these replace them.
    """
    openapi_url = app.openapi_url or "/openapi.json"

    def swagger_ui() -> HTMLResponse:
        return _docs_only_from_here(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} — Swagger UI",
                swagger_js_url=f"{VENDOR_URL}/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url=f"{VENDOR_URL}/swagger-ui/swagger-ui.css",
                swagger_favicon_url=FAVICON_URL,
            )
        )

    def redoc() -> HTMLResponse:
        return _docs_only_from_here(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} — ReDoc",
                redoc_js_url=f"{VENDOR_URL}/redoc/redoc.standalone.js",
                redoc_favicon_url=FAVICON_URL,
                with_google_fonts=False,
            )
        )

    router = APIRouter(include_in_schema=False)
    router.add_api_route("/", desk_page, response_class=FileResponse)
    router.add_api_route("/print", print_page, response_class=FileResponse)
    router.add_api_route("/docs", swagger_ui, response_class=HTMLResponse)
    router.add_api_route("/redoc", redoc, response_class=HTMLResponse)
    app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="desk-static")
