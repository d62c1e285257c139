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
    SafeDictWriter(out, ["name"]).writerows([{"name": "+evil"}])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=1+1", "-4.5", "-4.5"],
        ["'@evil"],
        ["'+evil"],
    ]


def _sweep_row(key: str, scenario: str, status: str, error: str = "") -> dict[str, str]:
    values = {"key": key, "status": status, "error": error, "scenario": scenario, "phase": ""}
    values.update(tonnes_factor=1.0, electric_share=0, seed=0, time_limit_s=60)
    values.update(annual_cost=1.5e6, net_co2e_t_per_yr=-1234.5, collection_trucks=2)
    values.update(transfer_trucks=1, transport_co2e_t_per_yr=1, overflow_t_per_day=0)
    values.update(unserved_t_per_day=0)
    return {k: str(v) for k, v in values.items()}


def test_a_sweeps_results_and_summary_neutralise_formulas_and_keep_numbers(tmp_path) -> None:
    from types import SimpleNamespace

    from wasteopt.sweep.report import write_report
    from wasteopt.sweep.run import CellOutcome
    from wasteopt.sweep.store import ResultStore

    store = ResultStore(tmp_path / "out")
    store.append(CellOutcome(_sweep_row("a", '=HYPERLINK("http://evil.example","x")', "ok")))
    store.append(CellOutcome(_sweep_row("b", "@SUM(A1)", "failed", "-cmd|' /C calc'!A0")))
    store.append(CellOutcome(_sweep_row("c", "+A1", "failed", "=1+1")))
    assert store.drop_failed() == 2  # the rewritten file is neutralised as well
    store.append(CellOutcome(_sweep_row("d", "-2+3", "failed", "\t=1")))
    sweep = SimpleNamespace(
        cells=[SimpleNamespace(key=k) for k in "ad"], spec=SimpleNamespace(name="formulas")
    )
    write_report(sweep, store, io.StringIO())
    for name in ("results.csv", "summary.csv"):
        text = (tmp_path / "out" / name).read_text(encoding="utf-8-sig")
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        formulas = [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
        assert formulas == [], name
        assert all(float(c) < 0 for c in cells if c.startswith("-")), name
        assert "-1234.5" in cells, name
        assert '\'=HYPERLINK("http://evil.example","x")' in cells, name
        assert "'-2+3" in cells, name
