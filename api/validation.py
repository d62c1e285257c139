"""Instance documents from clients, validated as the CLI validates them, plus server limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from api.bounds import size_problems
from api.errors import instance_error, invalid
from api.settings import Settings
from wasteopt.bounds import changed_problems
from wasteopt.errors import InstanceError
from wasteopt.io import instance_from_dict
from wasteopt.model import Instance
from wasteopt.validate import find_problems


def parse_json(body: bytes) -> Any:
    """Decode a JSON request body, or answer ``422`` saying where it breaks."""
    try:
        return json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise invalid([("body", "is not UTF-8 text")]) from None
    except json.JSONDecodeError as exc:
        raise invalid(
            [("body", f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
        ) from None


def validate_instance(data: Any, settings: Settings, prefix: str = "") -> Instance:
    """An Instance from a client's document, or ``422`` with every problem's field path.

    The checks and messages are those of ``wasteopt validate``. Beyond them, a document over
    HTTP may not name server files (``points_csv``), must keep within the server's size
    limits (checked first, on the raw document: :mod:`api.bounds`), and may only name a
    ``.graphml`` road graph inside the graphs folder ``settings.data_dir``.
    """
    where = prefix or "instance"
    if isinstance(data, dict) and "points_csv" in data:
        raise invalid(
            [
                (
                    f"{prefix}.points_csv" if prefix else "points_csv",
                    "server files cannot be named over HTTP; list the points in 'points'"
                    " or upload them as CSV to POST /v1/instances?base=<instance id>",
                )
            ],
            "invalid instance",
        )
    too_large = size_problems(data, settings, prefix)
    if too_large:
        raise invalid(too_large, "instance too large")
    try:
        instance = instance_from_dict(data)
        problems = find_problems(instance)
    except InstanceError as exc:
        raise instance_error(exc, prefix) from None
    if problems:
        raise instance_error(InstanceError(problems), prefix)
    if instance.settings.graph is not None:
        _check_graph(instance.settings.graph, settings.data_dir, where)
    return instance


def applied_problems(instance: Instance, settings: Settings, loc: str) -> list[tuple[str, str]]:
    """Where an instance that ``loc`` (a scenario, say) made from a valid one passes this
    server's size limits or the physical ranges: its changes are model copies, which
    pydantic does not validate, so a fleet of 10^20 trucks would reach the solver."""
    sizes = size_problems(instance.model_dump(mode="json", by_alias=True), settings)
    return [
        *((loc, f"the changed instance's {where}: {message}") for where, message in sizes),
        *changed_problems(instance, loc),
    ]


def _check_graph(graph: str, data_dir: Path, where: str) -> None:
    root = data_dir.resolve()
    path = (root / graph).resolve()
    loc = f"{where}.settings.graph" if where != "instance" else "settings.graph"
    if not path.is_relative_to(root):
        raise invalid([(loc, "must be a relative path inside the server's graphs folder")])
    if path.suffix.lower() != ".graphml":
        raise invalid([(loc, "must name a .graphml road graph")])
    if not path.is_file():
        message = f"no road graph {graph!r} on the server; ask its operator which graphs it holds"
        raise invalid([(loc, message)])


def instance_document(instance: Instance) -> str:
    """The stored form of a validated instance: complete JSON, Chinese kept readable."""
    return json.dumps(instance.model_dump(mode="json", by_alias=True), ensure_ascii=False)
