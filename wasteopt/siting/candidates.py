"""Candidate transfer-station sites: read from CSV, added to an instance."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from wasteopt.errors import InstanceError
from wasteopt.io import csv_records, pop_pair, read_csv_text, validation_problems
from wasteopt.model import Facility, Instance, TimeWindow

CANDIDATE_CSV_COLUMNS = (
    "id",
    "name",
    "lon",
    "lat",
    "capacity_t_per_day",
    "annual_fixed_cost",
    "streams",
    "cost_per_t",
    "gate_start",
    "gate_end",
    "unload_min",
    "status",
)
REQUIRED_CANDIDATE_COLUMNS = ("id", "lon", "lat", "capacity_t_per_day", "annual_fixed_cost")


def candidates_from_csv_text(text: str, source: str = "candidates.csv") -> list[Facility]:
    """Parse candidate transfer stations from CSV text; see ``CANDIDATE_CSV_COLUMNS``.

    ``streams`` is a ``;``-separated list (default ``residual``); ``status`` defaults to
    ``candidate``; gate hours need both ``gate_start`` and ``gate_end``.
    """
    problems: list[tuple[str, str]] = []
    stations: list[Facility] = []
    records = csv_records(text, source, CANDIDATE_CSV_COLUMNS, REQUIRED_CANDIDATE_COLUMNS)
    for where, record in records:
        fields: dict[str, object] = dict(record)
        fields["kind"] = "transfer_station"
        fields["streams"] = [s.strip() for s in record.get("streams", "residual").split(";")]
        fields.setdefault("status", "candidate")
        try:
            gate = pop_pair(fields, "gate_start", "gate_end")
        except ValueError as exc:
            problems.append((where, str(exc)))
            continue
        try:
            if gate is not None:
                fields["gate"] = TimeWindow(start=gate[0], end=gate[1])
            stations.append(Facility.model_validate(fields))
        except ValidationError as exc:
            problems.extend(validation_problems(exc, prefix=where))
    if problems:
        raise InstanceError(problems)
    if not stations:
        raise InstanceError([(source, "has no candidate rows")])
    return stations


def read_candidates_csv(path: str | Path) -> list[Facility]:
    """Read candidate transfer stations from a CSV file (UTF-8, or GBK/GB18030)."""
    return candidates_from_csv_text(read_csv_text(path), str(path))


def with_candidates(instance: Instance, candidates: Sequence[Facility]) -> Instance:
    """The instance with extra candidate stations appended (ids must be new)."""
    known = {s.id for s in instance.sites}
    clash = [c.id for c in candidates if c.id in known]
    if clash:
        raise InstanceError(
            [(f"candidate {cid!r}", "id already used in the instance; rename it") for cid in clash]
        )
    bad = [c.id for c in candidates if c.kind != "transfer_station"]
    if bad:
        raise InstanceError([(f"candidate {bad[0]!r}", "kind must be 'transfer_station'")])
    return instance.model_copy(update={"facilities": [*instance.facilities, *candidates]})
