"""Terminal columns of text: Chinese characters take two, so tables align by display width.

``unicodedata`` gives each character's East Asian width (Unicode Standard Annex #11): wide
(W) and fullwidth (F) characters take two columns, combining marks and format characters
none, everything else one. Ambiguous (A) characters take one, as in a terminal with a
Western or Chinese UTF-8 locale.
"""

from __future__ import annotations

import unicodedata


def char_width(char: str) -> int:
    """Columns ``char`` takes on a terminal: 0, 1 or 2."""
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal."""
    return sum(char_width(char) for char in text)


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` with spaces to fill ``width`` columns, after it (``<``) or before it (``>``)."""
    fill = " " * max(0, width - display_width(text))
    return text + fill if align == "<" else fill + text


def table(rows: list[list[str]], align: str, indent: str = "  ") -> list[str]:
    """``rows`` of cells as lines of aligned columns, each as wide as its widest cell.

    ``align`` holds one ``<`` (left) or ``>`` (right) per column; columns are two spaces apart.
    """
    widths = [max(display_width(row[c]) for row in rows) for c in range(len(align))]
    return [
        indent + "  ".join(pad(cell, w, a) for cell, w, a in zip(row, widths, align, strict=True))
        for row in rows
    ]
