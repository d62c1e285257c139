"""Finding a plan's instance and road graph for ``wasteopt check`` and ``wasteopt report``.

Both take ``PLAN`` alone (its provenance names the instance and graph) or, as before,
``INSTANCE PLAN``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from wasteopt.errors import NetworkError, WasteoptError
from wasteopt.io import load_instance, load_plan
from wasteopt.matrix import GreatCircleProvider, MatrixProvider
from wasteopt.model import Instance, Plan
from wasteopt.planning import resolve_provider
from wasteopt.provenance import find_input, instance_sha256, locate_inputs


def add_plan_files(parser: argparse.ArgumentParser) -> None:
    """The positional ``[INSTANCE] PLAN``."""
    parser.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="[INSTANCE] PLAN",
        help="plan.json written by 'wasteopt plan' (it names its instance and road graph);"
        " or the instance JSON file, then the plan",
    )


@dataclass(frozen=True)
class PlanInputs:
    """A plan read from ``plan_path`` with the instance it was made for."""

    plan: Plan
    plan_path: Path
    instance: Instance
    instance_path: Path


def plan_inputs(files: list[Path], instance_path: Path | None = None) -> PlanInputs:
    """The plan and its instance: the one given, else the one its provenance names."""
    if len(files) > 2:
        raise WasteoptError(f"give PLAN or INSTANCE PLAN, not {len(files)} files")
    if len(files) == 2:
        if instance_path is not None:
            raise WasteoptError("give the instance once: as INSTANCE PLAN or with --instance")
        instance_path = files[0]
    plan_path = files[-1]
    plan = load_plan(plan_path)
    if instance_path is not None:
        return PlanInputs(plan, plan_path, load_instance(instance_path), instance_path)
    found, _ = locate_inputs(plan, plan_path)
    instance = load_instance(found)
    assert plan.provenance is not None  # locate_inputs found it
    if instance_sha256(instance) != plan.provenance.instance_sha256:
        raise WasteoptError(
            f"{found}: the instance or its points CSV changed since {plan_path} was made;"
            " pass the instance the plan was made from as INSTANCE before PLAN"
        )
    return PlanInputs(plan, plan_path, instance, found)


def plan_provider(
    inputs: PlanInputs, graph: Path | None, speeds: dict[str, float] | None = None
) -> tuple[MatrixProvider, dict[str, float] | None]:
    """Travel times as the plan was made, and the truck speeds they use: ``graph`` and
    ``speeds`` if given, else the plan's recorded graph and speed table, else what the instance
    names (a re-plan records no provenance: its speeds are to be given)."""
    provenance = inputs.plan.provenance
    if graph is not None or provenance is None:
        base = inputs.instance_path.parent
        return resolve_provider(inputs.instance, base, graph, speeds), speeds
    if provenance.graph is None:
        if speeds:
            raise NetworkError(f"{inputs.plan_path} was made without a road graph: drop --speeds")
        return GreatCircleProvider.for_instance(inputs.instance), None
    path = find_input("road graph", provenance.graph, inputs.plan_path)
    speeds = speeds or provenance.speeds_kmh
    return resolve_provider(inputs.instance, None, path, speeds), speeds
