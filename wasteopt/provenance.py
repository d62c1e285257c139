"""Where a plan came from, and what in it is assumed or approximate.

:func:`describe` records a plan's inputs (instance and road graph with their SHA-256, speed
table, options, seed, grid factor, software version); :func:`locate_inputs` finds them again
from the plan file alone, for ``wasteopt check PLAN`` and ``wasteopt report PLAN``.
:func:`caveats` says in words what a plan's figures rest on that is not measured: a schematic
or estimated road network, assumed facilities, the instance's own assumptions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import wasteopt
from wasteopt.errors import WasteoptError
from wasteopt.matrix import GreatCircleProvider, MatrixProvider
from wasteopt.model import GridFactor, InputFile, Instance, Plan, Provenance


def software_version() -> str:
    """``wasteopt <version>`` of the installed distribution (or of the source tree)."""
    try:
        version = importlib.metadata.version("wasteopt")
    except importlib.metadata.PackageNotFoundError:
        version = wasteopt.__version__
    return f"wasteopt {version}"


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def instance_sha256(instance: Instance) -> str:
    """SHA-256 of the validated instance (points read from its CSV included), fields left at
    their defaults left out (so a newer version with more optional fields hashes the same)."""
    text = instance.model_dump_json(by_alias=True, exclude_defaults=True)
    return hashlib.sha256(text.encode()).hexdigest()


def input_file(path: str | Path) -> InputFile:
    """The file at ``path`` as a plan records it: absolute path and SHA-256."""
    path = Path(path).resolve()
    return InputFile(path=str(path), sha256=file_sha256(path))


def road_network(provider: MatrixProvider) -> str:
    """What a provider's travel times come from, in words, saying when they are approximate."""
    if isinstance(provider, GreatCircleProvider):
        return (
            f"no road network: great-circle distance x {provider.circuity:g} at"
            f" {provider.speed_kmh:g} km/h (estimates)"
        )
    graph = getattr(provider, "graph", None)
    if graph is None:
        return "travel matrices given directly"
    name = str(graph.graph.get("name", "")).strip()
    if "schematic" in name.lower():
        return f"SCHEMATIC road network, not surveyed ({name}): distances and times approximate"
    return f"road network {name or 'from a graph file'}; truck speeds by road class assumed"


def describe(
    instance: Instance,
    provider: MatrixProvider,
    options: Any,
    grid: GridFactor,
    *,
    instance_path: str | Path | None = None,
    graph_path: str | Path | None = None,
    speeds: Mapping[str, float] | None = None,
) -> Provenance:
    """The provenance of a plan about to be made from these inputs.

    ``options`` is a :class:`~wasteopt.planning.PlanOptions`; ``speeds`` the truck speed
    overrides given (the full table used is recorded when there is a road graph).
    """
    speeds_kmh = None
    if graph_path is not None or speeds:
        from wasteopt.network import speed_table

        speeds_kmh = speed_table(speeds)
    fields = dataclasses.asdict(options)
    return Provenance(
        software=software_version(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        instance=input_file(instance_path) if instance_path is not None else None,
        instance_sha256=instance_sha256(instance),
        graph=input_file(graph_path) if graph_path is not None else None,
        road_network=road_network(provider),
        speeds_kmh=speeds_kmh,
        options={k: v for k, v in fields.items() if k != "seed"},
        seed=fields.get("seed", 0),
        grid=grid,
    )


def grid_factor(data: Mapping[str, Any] | None) -> GridFactor:
    """The grid factor ``data`` describes (``kg_co2_per_kwh``, ``source``), else China's 2022
    national average."""
    from wasteopt.impact import NATIONAL_GRID

    return NATIONAL_GRID if data is None else GridFactor.model_validate(data)


def caveats(instance: Instance, provider: MatrixProvider) -> list[str]:
    """What a plan of ``instance`` on ``provider`` rests on that is assumed or approximate."""
    words = road_network(provider)
    notes = [words] if "approximate" in words or "estimates" in words else []
    notes += instance.assumptions
    by_text: dict[str, list[str]] = {}
    for facility in instance.facilities:
        if facility.assumption and facility.status == "open":
            by_text.setdefault(facility.assumption, []).append(facility.id)
    for text, ids in by_text.items():
        notes.append(f"{', '.join(ids)}: {text}")
    return notes


def _candidates(recorded: str, plan_path: Path) -> list[Path]:
    """Where a recorded input may be: where it was, else beside the plan, else one up."""
    name = Path(recorded).name
    found = [Path(recorded), plan_path.parent / name, plan_path.parent.parent / name]
    return list(dict.fromkeys(found))


def find_input(kind: str, recorded: InputFile, plan_path: Path) -> Path:
    """A plan's recorded input file, with its recorded hash (WasteoptError saying where it
    looked when it is missing or changed)."""
    looked: list[str] = []
    for path in _candidates(recorded.path, plan_path):
        if not path.is_file():
            looked.append(f"{path} (missing)")
        elif file_sha256(path) != recorded.sha256:
            looked.append(f"{path} (changed since the plan was made)")
        else:
            return path
    raise WasteoptError(
        f"{plan_path}: its {kind} {Path(recorded.path).name} was not found; looked at "
        + ", ".join(looked)
        + f"; pass the {kind} the plan was made from"
        + (" with --graph FILE" if kind == "road graph" else " as INSTANCE before PLAN")
    )


def locate_inputs(plan: Plan, plan_path: str | Path) -> tuple[Path, Path | None]:
    """The instance file and road graph (None: great-circle estimates) a plan was made from.

    Each is looked for where the plan records it, then beside the plan file and in its parent
    directory, and must have the recorded SHA-256. Raises WasteoptError saying which file is
    missing and where it looked.
    """
    plan_path = Path(plan_path)
    provenance = plan.provenance
    if provenance is None or provenance.instance is None:
        why = "records no provenance" if provenance is None else "was made from no instance file"
        raise WasteoptError(
            f"{plan_path} {why}; give the instance it was made from as INSTANCE before PLAN"
        )
    instance = find_input("instance", provenance.instance, plan_path)
    graph = find_input("road graph", provenance.graph, plan_path) if provenance.graph else None
    return instance, graph
