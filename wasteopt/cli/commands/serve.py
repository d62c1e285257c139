"""``wasteopt serve``: run the HTTP API (``api.main:app``) with uvicorn.

The API package is named to uvicorn as a string, so the library never imports it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from wasteopt.apikeys import KeyRing, is_loopback, refuse_open_bind
from wasteopt.errors import WasteoptError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP API for dispatchers and planners",
        description="Serve the wasteopt API (docs at /docs). Instances, jobs and plans are kept "
        "in the SQLite file --db. Other limits come from WASTEOPT_* environment variables: "
        "WASTEOPT_WORKERS, WASTEOPT_QUEUE_SIZE, WASTEOPT_MAX_TIME_LIMIT_S, "
        "WASTEOPT_DEFAULT_TIME_LIMIT_S, WASTEOPT_MAX_POINTS, WASTEOPT_MAX_BODY_BYTES, "
        "WASTEOPT_CANCEL_GRACE_S, WASTEOPT_DATA_DIR (the folder of road graphs), "
        "WASTEOPT_RETENTION_DAYS, WASTEOPT_QUOTA_JOBS, WASTEOPT_QUOTA_CPU_S_PER_DAY, "
        "WASTEOPT_QUOTA_STORED_BYTES, WASTEOPT_CORS_ORIGINS. Off a loopback address the "
        "server needs API keys (wasteopt keys add).",
        epilog="example:\n  wasteopt serve --db wasteopt-api.db --port 8000",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; any other needs API keys)",
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        metavar="PATH",
        help="SQLite database file (default $WASTEOPT_DB or ./wasteopt-api.db)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    if not 0 < args.port < 65536:
        raise WasteoptError(f"--port {args.port} is not a TCP port; give 1-65535")
    if args.db is not None:
        if not args.db.parent.is_dir():
            raise WasteoptError(f"--db {args.db}: directory {args.db.parent} does not exist")
        os.environ["WASTEOPT_DB"] = str(args.db)
    os.environ["WASTEOPT_HOST"] = args.host
    if not is_loopback(args.host):  # checked here too, to refuse before uvicorn starts
        ring = KeyRing(Path(os.environ.get("WASTEOPT_DB") or "wasteopt-api.db"))
        try:
            refuse_open_bind(args.host, ring)
        finally:
            ring.close()
    uvicorn.run("api.main:app", host=args.host, port=args.port, workers=1)
    return 0
