"""``wasteopt keys``: add, list and revoke the API keys of a server's database."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from wasteopt.apikeys import ROLE_DUTIES, ROLES, KeyRecord, KeyRing
from wasteopt.errors import WasteoptError

DEFAULT_DB = Path("wasteopt-api.db")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "keys",
        help="manage the HTTP API's keys and roles",
        description="Keys are stored hashed (scrypt) in the server's database; a new key is "
        "shown once. Clients send it as 'Authorization: Bearer KEY'. Roles: "
        + "; ".join(f"{role} {duty}" for role, duty in ROLE_DUTIES.items())
        + ". Quotas left unset take the server's defaults (WASTEOPT_QUOTA_*).",
        epilog="examples:\n"
        "  wasteopt keys add desk-1 --role dispatcher\n"
        "  wasteopt keys list\n"
        "  wasteopt keys revoke desk-1",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        metavar="PATH",
        help="the server's SQLite database (default $WASTEOPT_DB or ./wasteopt-api.db)",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="make a key and print it once",
        description="Make a key for NAME with a role and, optionally, quotas of its own.",
        epilog="examples:\n  wasteopt keys add desk-1 --role dispatcher\n"
        "  wasteopt keys add li.wei --role planner --cpu-hours-per-day 4 --max-jobs 2",
    )
    add.add_argument("name", help="who holds the key, e.g. desk-1 or li.wei")
    add.add_argument("--role", choices=ROLES, required=True, help="what the key may do")
    add.add_argument("--max-jobs", type=int, metavar="N", help="running + queued jobs at once")
    add.add_argument(
        "--cpu-hours-per-day", type=float, metavar="H", help="solver time in any 24 hours"
    )
    add.add_argument("--max-stored-mb", type=float, metavar="MB", help="instances, jobs, results")
    add.set_defaults(func=run_add)
    listing = actions.add_parser(
        "list",
        help="the keys (never their secrets)",
        epilog="example:\n  wasteopt keys list --all",
    )
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    listing.set_defaults(func=run_list)
    revoke = actions.add_parser(
        "revoke",
        help="stop a key working, at once",
        epilog="example:\n  wasteopt keys revoke desk-1",
    )
    revoke.add_argument("name", help="the key's name or id")
    revoke.set_defaults(func=run_revoke)


def _ring(args: argparse.Namespace) -> KeyRing:
    db = args.db or Path(os.environ.get("WASTEOPT_DB") or DEFAULT_DB)
    if not db.parent.is_dir():
        raise WasteoptError(f"--db {db}: directory {db.parent} does not exist")
    return KeyRing(db)


def _quotas(record: KeyRecord) -> str:
    parts = []
    if record.max_jobs is not None:
        parts.append(f"{record.max_jobs} jobs")
    if record.cpu_s_per_day is not None:
        parts.append(f"{record.cpu_s_per_day / 3600:g} CPU h/day")
    if record.max_stored_bytes is not None:
        parts.append(f"{record.max_stored_bytes / 1e6:g} MB")
    return ", ".join(parts) or "server defaults"


def run_add(args: argparse.Namespace) -> int:
    ring = _ring(args)
    try:
        record, token = ring.add(
            args.name,
            args.role,
            max_jobs=args.max_jobs,
            cpu_s_per_day=None if args.cpu_hours_per_day is None else args.cpu_hours_per_day * 3600,
            max_stored_bytes=None if args.max_stored_mb is None else int(args.max_stored_mb * 1e6),
        )
    finally:
        ring.close()
    print(f"key {record.name} ({record.role}, id {record.id}; quotas: {_quotas(record)}):")
    print(token)
    print("store it now: it is not shown again. Send it as 'Authorization: Bearer <key>'.")
    return 0


def run_list(args: argparse.Namespace) -> int:
    ring = _ring(args)
    try:
        records = ring.list(include_revoked=args.all)
    finally:
        ring.close()
    if not records:
        print("no keys: the server answers only on a loopback address, without keys")
        return 0
    for r in records:
        state = f"revoked {r.revoked_at}" if r.revoked_at else "active"
        print(f"{r.id}  {r.name:<20} {r.role:<10} created {r.created_at}  {state}  {_quotas(r)}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    ring = _ring(args)
    try:
        record = ring.revoke(args.name)
    finally:
        ring.close()
    print(f"revoked key {record.name} ({record.id})")
    return 0
