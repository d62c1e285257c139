"""Reading and writing instances and plans (JSON, CSV), turning every problem into InstanceError."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wasteopt.bounds import bound_problems
from wasteopt.errors import InstanceError
from wasteopt.model import CollectionPoint, Instance, Plan

POINT_CSV_COLUMNS = (
    "id",
    "name",
    "lon",
    "lat",
    "stream",
    "tonnes_per_day",
    "service_min",
    "window_start",
    "window_end",
    "township",
)
REQUIRED_POINT_COLUMNS = ("id", "lon", "lat", "stream", "tonnes_per_day")

log = logging.getLogger(__name__)


def _loc(parts: tuple[Any, ...]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "instance"


def validation_problems(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Pydantic errors as ``(dotted.path[index], human message)`` pairs."""
    problems = []
    for item in error.errors():
        loc = _loc(tuple(p for p in item["loc"] if not str(p).startswith("function-after")))
        if prefix:
            loc = f"{prefix}.{loc}" if loc != "instance" else prefix
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but missing"
        elif item["type"] == "extra_forbidden":
            message = "is not a known field; check its spelling"
        elif "input" in item and not isinstance(item["input"], dict | list):
            message = f"{message} (got {item['input']!r})"
        problems.append((loc, message))
    return problems


def _is_points_csv(raw: bytes) -> bool:
    """Whether ``raw`` starts with a points CSV header (one that names id, lon and lat)."""
    header = raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    return {"id", "lon", "lat"} <= {column.strip() for column in header.split(",")}


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InstanceError([(str(path), "file not found")]) from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        if _is_points_csv(raw):
            raise InstanceError(
                [
                    (
                        str(path),
                        "is a points CSV, not JSON; name it in an instance JSON's points_csv"
                        f' field, e.g. {{"name": "my-county", "points_csv": "{path.name}",'
                        ' "yards": [...], "facilities": [...], "vehicle_types": [...]}'
                        " (as instances/daoxian/instance.json does), and pass that JSON",
                    )
                ]
            ) from None
        if isinstance(exc, UnicodeDecodeError):
            raise InstanceError([(str(path), "is not UTF-8 text")]) from None
        raise InstanceError(
            [(str(path), f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
        ) from None


def instance_from_dict(data: Any, base_dir: Path | None = None) -> Instance:
    """Validate a parsed JSON document into an Instance; ``points_csv`` is resolved on disk.

    Beyond the schema, numbers must be finite and physical, the date ISO and ids printable
    (:func:`wasteopt.bounds.bound_problems`)."""
    if not isinstance(data, dict):
        raise InstanceError([("instance", "must be a JSON object")])
    data = dict(data)
    csv_name = data.pop("points_csv", None)
    if csv_name is not None:
        csv_path = Path(csv_name)
        if base_dir is not None and not csv_path.is_absolute():
            csv_path = base_dir / csv_path
        points = [p.model_dump(by_alias=True) for p in read_points_csv(csv_path)]
        data["points"] = [*data.get("points", []), *points]
    try:
        instance = Instance.model_validate(data)
    except ValidationError as exc:
        raise InstanceError(validation_problems(exc)) from None
    problems = bound_problems(instance)
    if problems:
        raise InstanceError(problems)
    return instance


def load_instance(path: str | Path) -> Instance:
    """Read and validate an instance JSON file (with optional ``points_csv`` beside it)."""
    path = Path(path)
    return instance_from_dict(_read_json(path), path.parent)


def csv_records(
    text: str, source: str, columns: Sequence[str], required: Sequence[str]
) -> list[tuple[str, dict[str, str]]]:
    """CSV text's rows as ``(where, record)``; ``where`` names the file and line.

    The header must hold every ``required`` column and only known ``columns``; a record keeps
    the non-empty cells, stripped. A leading BOM is dropped.
    """
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    if missing:
        raise InstanceError([(source, f"missing column(s) {', '.join(missing)}")])
    unknown = [c for c in header if c not in columns]
    if unknown:
        known = ", ".join(columns)
        raise InstanceError([(source, f"unknown column(s) {', '.join(unknown)}; known: {known}")])
    return [
        (f"{source} line {n}", {k: v.strip() for k, v in row.items() if k and v and v.strip()})
        for n, row in enumerate(reader, start=2)
    ]


def pop_pair(record: dict[str, Any], first: str, second: str) -> tuple[Any, Any] | None:
    """Remove ``first`` and ``second`` from ``record``: both values, or None if neither is
    given; ValueError naming the two when only one is."""
    a, b = record.pop(first, None), record.pop(second, None)
    if (a is None) != (b is None):
        raise ValueError(f"give both {first} and {second}, or neither")
    return None if a is None else (a, b)


def points_from_csv_text(text: str, source: str = "points.csv") -> list[CollectionPoint]:
    """Parse collection points from CSV text (UTF-8, optional BOM, Chinese names welcome)."""
    problems: list[tuple[str, str]] = []
    points: list[CollectionPoint] = []
    for where, record in csv_records(text, source, POINT_CSV_COLUMNS, REQUIRED_POINT_COLUMNS):
        try:
            window = pop_pair(record, "window_start", "window_end")
        except ValueError as exc:
            problems.append((where, str(exc)))
            continue
        if window is not None:
            record["window"] = {"start": window[0], "end": window[1]}
        try:
            points.append(CollectionPoint.model_validate(record))
        except ValidationError as exc:
            problems.extend(validation_problems(exc, prefix=where))
    if problems:
        raise InstanceError(problems)
    return points


UTF8 = "UTF-8"
GB18030 = "GB18030"


def decode_csv(raw: bytes, source: str) -> tuple[str, str]:
    """CSV bytes as text and the encoding read: UTF-8 (BOM optional) or else GB18030.

    GB18030 extends GBK, the encoding Excel saves "CSV" in on a Chinese-language Windows.
    Bytes in neither encoding are an InstanceError naming ``source``.
    """
    try:
        return raw.decode("utf-8-sig"), UTF8
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), GB18030
    except UnicodeDecodeError:
        raise InstanceError(
            [(source, "is neither UTF-8 nor GBK/GB18030 text; save the CSV as UTF-8")]
        ) from None


def read_csv_text(path: str | Path) -> str:
    """A CSV file's text (see :func:`decode_csv`); logs which encoding it read.

    A missing file is an InstanceError naming it.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InstanceError([(str(path), "file not found")]) from None
    text, encoding = decode_csv(raw, str(path))
    if encoding == UTF8:
        log.info("%s: read as UTF-8", path)
    else:
        log.warning("%s: not UTF-8; read as GBK/GB18030 (as Excel saves CSV in Chinese)", path)
    return text


def read_points_csv(path: str | Path) -> list[CollectionPoint]:
    """Read collection points from a CSV file; see ``POINT_CSV_COLUMNS``."""
    return points_from_csv_text(read_csv_text(path), str(path))


def load_plan(path: str | Path) -> Plan:
    """Read a plan JSON file written by ``wasteopt plan``."""
    path = Path(path)
    try:
        return Plan.model_validate(_read_json(path))
    except ValidationError as exc:
        raise InstanceError(validation_problems(exc, prefix=str(path))) from None


def _new_temp_file(directory: Path, name: str) -> tuple[int, Path]:
    """A new file beside ``name`` in ``directory``, opened for writing with mode 0666 less the
    umask, as any new file (``tempfile.mkstemp`` makes it 0600, and a rename keeps that)."""
    while True:
        tmp = directory / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half-written.

    The file gets the permissions of any new file (0644 under umask 022).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _new_temp_file(path.parent, path.name)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def dump_json(model: Any) -> str:
    """Pretty UTF-8 JSON of a pydantic model (Chinese kept readable)."""
    return json.dumps(model.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=1)
