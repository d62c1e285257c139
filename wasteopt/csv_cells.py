"""CSV for spreadsheets: cells that Excel would run as formulas are neutralised.

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel
and LibreOffice as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). As the OWASP
"CSV Injection" page advises, such a text cell gets a leading apostrophe, which the
spreadsheet shows as text. A cell that is a number (``-12.5``, ``+3``) or only dashes is left
as written.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise(value: Any) -> Any:
    """``value``, with an apostrophe before it when it is text a spreadsheet would run."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and value.strip("-")  # a dash alone marks an empty value; it is no formula
        and not _is_number(value)
    ):
        return "'" + value
    return value


class SafeWriter:
    """A :func:`csv.writer` whose every cell passes through :func:`neutralise`."""

    def __init__(self, stream: Any, **options: Any):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """A :class:`csv.DictWriter` whose every cell passes through :func:`neutralise`."""

    def writerow(self, rowdict: dict[str, Any]) -> Any:
        return super().writerow({key: neutralise(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[dict[str, Any]]) -> None:
        # csv.DictWriter.writerows writes through its inner writer, not through writerow
        for rowdict in rowdicts:
            self.writerow(rowdict)


def writer(stream: Any, **options: Any) -> SafeWriter:
    """A CSV writer for files people open in a spreadsheet (``csv.writer``'s options)."""
    return SafeWriter(stream, **options)
