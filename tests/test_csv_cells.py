"""CSV cells a spreadsheet would run as formulas are neutralised; numbers stay as written."""

from __future__ import annotations

import csv
import io

import pytest

from wasteopt.csv_cells import SafeDictWriter, neutralise, writer


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil.example","x")',
        "=cmd|' /C calc'!A0",
        "+A1",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
    ],
)
def test_formula_cells_get_an_apostrophe(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.5", "+3", "-1e5", "0", "-", "上关村", "", 7, -2.5, None])
def test_numbers_dashes_and_plain_text_are_unchanged(cell) -> None:
    assert neutralise(cell) == cell


def test_writers_neutralise_every_cell() -> None:
    out = io.StringIO()
    writer(out).writerow(["=1+1", -4.5, "-4.5"])
    SafeDictWriter(out, ["name"]).writerow({"name": "@evil"})
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "-4.5", "-4.5"], ["'@evil"]]
