"""The cells of a sweep: the cross product of its axes (or its chosen cells), each with a key.

A cell's key hashes its parameters (scenario contents, growth, electric share and the variants
used, plant capacity, seed, time and solution limits) together with the base instance and road
graph, so a rerun recognises the cells already done and a changed input is a new cell.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from wasteopt.bounds import changed_problems
from wasteopt.electrify import ElectricVariant, electrify
from wasteopt.errors import InstanceError
from wasteopt.io import load_instance
from wasteopt.matrix import MatrixProvider
from wasteopt.model import Instance
from wasteopt.planning import resolve_provider
from wasteopt.scenario import Scenario, apply_scenario, load_scenario
from wasteopt.sweep import levers
from wasteopt.sweep.spec import TODAY, SweepSpec
from wasteopt.validate import ensure_valid

KEY_DIGITS = 16


@dataclass(frozen=True)
class Cell:
    """One point of the grid: the values of every lever, and the key that names its result."""

    key: str
    scenario: str
    tonnes_factor: float
    electric_share: float
    phase: int | None
    incinerator_t_per_day: float | None
    seed: int
    time_limit_s: float
    solution_limit: int | None

    def params(self) -> dict[str, Any]:
        """The cell's values as a row's leading columns (the key first)."""
        return asdict(self)

    @property
    def label(self) -> str:
        """A short name for plots and messages."""
        parts = [self.scenario, f"×{self.tonnes_factor:g}", f"ev {self.electric_share:.0%}"]
        if self.phase is not None:
            parts.append(f"phase {self.phase}")
        return " ".join([*parts, f"seed {self.seed}"])


@dataclass(frozen=True)
class SweepContext:
    """What every cell shares: scattered once to the workers."""

    instance: Instance
    provider: MatrixProvider
    scenarios: dict[str, Scenario]
    incinerator: str | None
    variants: tuple[ElectricVariant, ...]

    def cell_instance(self, cell: Cell) -> Instance:
        """The base instance with ``cell``'s scenario and levers applied."""
        changed = apply_scenario(self.instance, self.scenarios[cell.scenario])
        changed = levers.grow(changed, cell.tonnes_factor)
        changed = electrify(changed, cell.electric_share, self.variants)
        if cell.incinerator_t_per_day is not None and self.incinerator is not None:
            changed = levers.set_capacity(changed, self.incinerator, cell.incinerator_t_per_day)
        return changed


@dataclass(frozen=True)
class Sweep:
    """A checked sweep: its context and cells, ready to run."""

    spec: SweepSpec
    context: SweepContext
    cells: list[Cell]


def digest(value: Any) -> str:
    """SHA-256 hex of ``value`` as canonical JSON."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _scenarios(spec: SweepSpec, base_dir: Path) -> dict[str, Scenario]:
    scenarios: dict[str, Scenario] = {}
    for k, item in enumerate(spec.axes.scenarios):
        if isinstance(item, Scenario):
            scenario = item
        elif item == TODAY:
            scenario = Scenario(name=TODAY)
        else:
            path = Path(item) if Path(item).is_absolute() else base_dir / item
            scenario = load_scenario(path)
        if scenario.name in scenarios:
            raise InstanceError(
                [(f"axes.scenarios[{k}]", f"scenario name {scenario.name!r} is used twice")]
            )
        scenarios[scenario.name] = scenario
    return scenarios


def _grid(spec: SweepSpec, names: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """Each cell's values as given, with where it was given: the chosen cells, else every
    combination of the axes."""
    if spec.cells is not None:
        return [
            (f"cells[{k}]", chosen.model_dump(exclude_unset=True))
            for k, chosen in enumerate(spec.cells)
        ]
    axes = spec.axes
    combos = itertools.product(
        names,
        axes.tonnes_factor,
        axes.electric_share,
        axes.phase,
        axes.seed,
        axes.time_limit_s,
    )
    fields = ("scenario", "tonnes_factor", "electric_share", "phase", "seed", "time_limit_s")
    return [("axes", dict(zip(fields, combo, strict=True))) for combo in combos]


def prepare(spec: SweepSpec, spec_path: str | Path) -> Sweep:
    """Load what ``spec`` names (relative to ``spec_path``), build its cells and apply each
    cell's levers once, so every problem is reported before anything runs."""
    base_dir = Path(spec_path).parent
    instance = load_instance(base_dir / spec.instance)
    graph = base_dir / spec.graph if spec.graph is not None else None
    provider = resolve_provider(instance, base_dir / Path(spec.instance).parent, graph)
    graph_file = graph or (
        base_dir / Path(spec.instance).parent / instance.settings.graph
        if instance.settings.graph
        else None
    )
    scenarios = _scenarios(spec, base_dir)
    names = list(scenarios)
    phases = spec.phases.capacity_t_per_day
    grid = _grid(spec, names)
    uses_phase = any(_value(spec, given, "phase") is not None for _, given in grid)
    incinerator = levers.incinerator_id(instance, spec.phases.incinerator) if uses_phase else None
    context = SweepContext(
        instance, provider, scenarios, incinerator, tuple(spec.electric_variants)
    )
    base_hash = digest(
        {
            "instance": instance.model_dump(mode="json", by_alias=True),
            "graph": _file_digest(graph_file) if graph_file is not None else None,
        }
    )
    cells: list[Cell] = []
    seen: dict[str, str] = {}
    checked: set[tuple] = set()
    for where, given in grid:
        cell = _cell(spec, given, scenarios, phases, base_hash, where)
        if cell.key in seen:
            twice = "a value listed twice" if where == "axes" else f"same cell as {seen[cell.key]}"
            raise InstanceError([(where, f"{twice} ({cell.label}); keep one")])
        seen[cell.key] = where
        levers_used = (cell.scenario, cell.tonnes_factor, cell.electric_share, cell.phase)
        if levers_used not in checked:
            checked.add(levers_used)
            try:
                made = context.cell_instance(cell)
                out_of_range = changed_problems(made, "the cell's instance")
                if out_of_range:
                    raise InstanceError(out_of_range)
                ensure_valid(made)
            except InstanceError as exc:
                loc, msg = exc.problems[0]
                raise InstanceError([(f"{where} ({cell.label}): {loc}", msg)]) from None
        cells.append(cell)
    return Sweep(spec, context, cells)


def _value(spec: SweepSpec, given: dict[str, Any], name: str) -> Any:
    """A cell's value of axis ``name``: as given, else the axis's first value."""
    if name in given:
        return given[name]
    return getattr(spec.axes, name)[0]


def _cell(
    spec: SweepSpec,
    given: dict[str, Any],
    scenarios: dict[str, Scenario],
    phases: dict[int, float],
    base_hash: str,
    where: str,
) -> Cell:
    scenario = given.get("scenario", next(iter(scenarios)))
    if scenario not in scenarios:
        known = ", ".join(scenarios)
        raise InstanceError(
            [(f"{where}.scenario", f"unknown scenario {scenario!r}; known: {known}")]
        )
    phase = _value(spec, given, "phase")
    if phase is not None and phase not in phases:
        known = ", ".join(str(p) for p in phases)
        raise InstanceError(
            [(f"{where}.phase", f"phase {phase} has no capacity in phases; known: {known}")]
        )
    values = {
        "scenario": scenario,
        "tonnes_factor": float(_value(spec, given, "tonnes_factor")),
        "electric_share": float(_value(spec, given, "electric_share")),
        "phase": phase,
        "incinerator_t_per_day": phases[phase] if phase is not None else None,
        "seed": int(_value(spec, given, "seed")),
        "time_limit_s": float(_value(spec, given, "time_limit_s")),
        "solution_limit": spec.solution_limit,
    }
    variants = spec.electric_variants if values["electric_share"] > 0 else []
    identity = {
        **values,
        "scenario": scenarios[scenario].model_dump(mode="json", exclude={"description"}),
        "variants": [v.model_dump(mode="json") for v in variants],
        "base": base_hash,
    }
    return Cell(key=digest(identity)[:KEY_DIGITS], **values)
