"""Download headers: a file name any client can read, however the name is written.

``Content-Disposition`` carries an ASCII ``filename`` (other characters, quotes, backslashes
and control codes replaced by ``_``) for old clients, and the exact name, UTF-8 and
percent-encoded, as ``filename*`` (RFC 6266 with RFC 5987 encoding) for the rest. A vehicle
id in Chinese, or one holding a quote or a line break, can then neither fail the response
nor inject a header.
"""

from __future__ import annotations

from urllib.parse import quote


def _ascii_fallback(filename: str) -> str:
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)


def attachment(filename: str) -> dict[str, str]:
    """The ``Content-Disposition`` header offering ``filename`` as a download."""
    encoded = quote(filename, safe="")
    return {
        "Content-Disposition": (
            f"attachment; filename=\"{_ascii_fallback(filename)}\"; filename*=UTF-8''{encoded}"
        )
    }
