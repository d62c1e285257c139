"""Shared fixtures: the shipped example instance and small builders."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasteopt.io import load_instance
from wasteopt.model import Instance

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "instances" / "examples" / "small.json"


@pytest.fixture(scope="session")
def example_path() -> Path:
    return EXAMPLE


@pytest.fixture(scope="session")
def example() -> Instance:
    return load_instance(EXAMPLE)
