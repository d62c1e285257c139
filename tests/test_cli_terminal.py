"""The command line at a terminal: --version, help with examples, no traceback when offline."""

from __future__ import annotations

import argparse
import importlib.metadata

import pytest
import requests

import wasteopt.network.load
from wasteopt.cli import build_parser, main


def subcommand_parsers(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every (sub-)command's parser by its words, e.g. ``("graph", "build")``."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[(*prefix, name)] = sub
                found.update(subcommand_parsers(sub, (*prefix, name)))
    return found


def test_version_is_the_installed_distributions(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"wasteopt {importlib.metadata.version('wasteopt')}\n"


COMMANDS = sorted(subcommand_parsers(build_parser()))


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_every_command_help_shows_an_example_of_itself(words):
    text = subcommand_parsers(build_parser())[words].format_help()
    command = "wasteopt " + " ".join(words)
    examples = [line.strip() for line in text.splitlines() if line.startswith("  wasteopt ")]
    assert any(line.startswith(command) for line in examples), text


def test_site_help_describes_forced_stations_and_the_out_default():
    text = " ".join(subcommand_parsers(build_parser())[("site",)].format_help().split())
    assert "--force-open IDS comma-separated station ids that must be open" in text
    assert "--force-closed IDS comma-separated station ids that must stay closed" in text
    assert "--out OUT output directory (default ./out)" in text


@pytest.mark.parametrize("area", [("--place", "Daoxian, China"), ("--bbox", "111,25,112,26")])
def test_graph_build_offline_suggests_an_osm_file(area, monkeypatch, capsys, tmp_path):
    def offline(**_area):
        raise requests.ConnectionError("Max retries exceeded with url: nominatim")

    monkeypatch.setattr(wasteopt.network.load, "download_graph", offline)
    out = tmp_path / "g.graphml"
    assert main(["graph", "build", *area, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert area[0] in err and "--osm FILE" in err and "Traceback" not in err
    assert not out.exists()
