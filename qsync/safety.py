"""Neutralising text that a spreadsheet would run as a formula (OWASP CSV injection)."""

from __future__ import annotations

from typing import Any

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix an apostrophe to text starting with ``= + - @``, tab or CR; other values pass.

    Applied to every cell of every export qsync writes (CSV, workbooks), so that a supplier's
    ``=HYPERLINK(...)`` never runs when a colleague opens the export.

    >>> neutralise('=HYPERLINK("http://x")'), neutralise("-12"), neutralise("ok"), neutralise(5)
    ('\\'=HYPERLINK("http://x")', "'-12", 'ok', 5)
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_START):
        return "'" + value
    return value
