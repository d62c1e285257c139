"""Sweep specifications: a base instance and the axes of a planner's grid, read from YAML or JSON.

The schema is :class:`SweepSpec`; README "Scenario sweeps" documents it with an example.
Everything a sweep needs (instance, scenario files, electric variants, incinerator phases)
is read and checked here, before any cell runs or any file is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from wasteopt.bounds import MAX_TIME_LIMIT_S, MIN_TIME_LIMIT_S
from wasteopt.electrify import ElectricVariant
from wasteopt.errors import InstanceError
from wasteopt.io import validation_problems
from wasteopt.scenario import Scenario

Name = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
# a search's seconds, in the physical range the CLI and the API apply (wasteopt.bounds)
SearchSeconds = Annotated[float, Field(ge=MIN_TIME_LIMIT_S, le=MAX_TIME_LIMIT_S)]
TODAY = "today"

# Southern Yongzhou incinerator: phase 1 600 t/day, phase 2 adds 300 t/day (DOMAIN.md; county
# plan 专栏14 item 3 and 专栏1 item 3)
DEFAULT_PHASE_CAPACITY_T = {1: 600.0, 2: 900.0}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Axes(_Strict):
    """The values each lever takes; a sweep's cells are their cross product."""

    scenarios: list[Name | Scenario] = Field(
        default=[TODAY],
        min_length=1,
        description="'today', a scenario JSON file (e.g. from `wasteopt site`) relative to the"
        " spec, or a scenario written inline",
    )
    tonnes_factor: list[Annotated[float, Field(gt=0)]] = Field(
        default=[1.0], min_length=1, description="waste growth: every point's tonnes x factor"
    )
    electric_share: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        default=[0.0],
        min_length=1,
        description="share of each non-electric collection vehicle type converted to electric",
    )
    phase: list[int | None] = Field(
        default=[None],
        min_length=1,
        description="incinerator phase (a key of phases.capacity_t_per_day); null: as in the"
        " instance",
    )
    seed: list[Annotated[int, Field(ge=0)]] = Field(default=[0], min_length=1)
    time_limit_s: list[SearchSeconds] = Field(
        default=[30.0], min_length=1, description="collection tier's search seconds per cell"
    )


class ChosenCell(_Strict):
    """One cell named by its values; a value left out is the first of that axis."""

    scenario: Name | None = Field(default=None, description="a scenario's name")
    tonnes_factor: float | None = Field(default=None, gt=0)
    electric_share: float | None = Field(default=None, ge=0, le=1)
    phase: int | None = None
    seed: int | None = Field(default=None, ge=0)
    time_limit_s: SearchSeconds | None = None


class Phases(_Strict):
    """The incinerator's daily capacity by phase."""

    incinerator: Name | None = Field(
        default=None, description="facility id; may be left out when there is one incinerator"
    )
    capacity_t_per_day: dict[int, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: dict(DEFAULT_PHASE_CAPACITY_T)
    )


class SweepSpec(_Strict):
    """A sweep: the base instance, its axes or chosen cells, and how cells are planned."""

    name: Name = "sweep"
    instance: Name = Field(description="base instance JSON, relative to the spec file")
    graph: Name | None = Field(
        default=None, description="road graph relative to the spec (default: the instance's own)"
    )
    axes: Axes = Axes()
    cells: list[ChosenCell] | None = Field(
        default=None, min_length=1, description="run these cells instead of the cross product"
    )
    solution_limit: int | None = Field(
        default=None, ge=1, description="per cell; with a seed, cells are deterministic"
    )
    phases: Phases = Phases()
    electric_variants: list[ElectricVariant] = Field(default_factory=list)


def _parse(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InstanceError([(str(path), "file not found")]) from None
    except UnicodeDecodeError:
        raise InstanceError([(str(path), "is not UTF-8 text")]) from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno} column {exc.colno}"
            raise InstanceError([(str(path), f"malformed JSON at {where}: {exc.msg}")]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not YAML"
        raise InstanceError([(str(path), f"malformed YAML{where}: {problem}")]) from None


def load_spec(path: str | Path) -> SweepSpec:
    """Read a sweep spec from YAML (``.yaml``/``.yml``) or JSON; errors name the field."""
    path = Path(path)
    data = _parse(path)
    if not isinstance(data, dict):
        raise InstanceError([(str(path), "must be a mapping with at least 'instance'")])
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise InstanceError(validation_problems(exc, prefix=str(path))) from None
