"""Turning what a person typed into a lot: complaint ids, unknown lots and the closest ids."""

from __future__ import annotations

import difflib
import unicodedata
from typing import Any

from qsync.trace.index import TraceIndex
from qsync.trace.model import TraceError
from qsync.trace.source import COMPLAINTS, INSPECTIONS, SHIPMENTS
from qsync.trace.strings import StringTable

SMALL = 5_000
"""Tables up to this size are compared in full for suggestions; larger ones around the id."""
_WINDOW = 40
_CUTOFF = 0.6


def _variants(text: str) -> list[str]:
    """The typed id and the forms it was probably meant in (trimmed, full-width, case)."""
    plain = unicodedata.normalize("NFKC", text).strip()
    return list(dict.fromkeys([text, plain, plain.upper(), plain.lower()]))


def _candidates(table: StringTable, text: str) -> list[str]:
    if len(table) <= SMALL:
        return table.all()
    found: list[str] = []
    for variant in _variants(text):
        found += table.around(variant, _WINDOW)
    return found


def closest(tables: list[StringTable], text: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` ids of ``tables`` most like ``text``, best first (ties in id order).

    Small tables are compared in full; in large ones only the ids that sort next to ``text``
    (and to its trimmed, half-width, upper- and lower-case forms) are compared, so that an
    unknown lot costs milliseconds over millions of ids.
    """
    pool = dict.fromkeys(c for table in tables for c in _candidates(table, text))
    pool.pop(text, None)
    folded = _variants(text)[1].casefold()
    exact = [c for c in pool if c.casefold() == folded]
    matcher = difflib.SequenceMatcher(b=text)
    scored = []
    for candidate in pool:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() >= _CUTOFF and matcher.quick_ratio() >= _CUTOFF:
            ratio = matcher.ratio()
            if ratio >= _CUTOFF:
                scored.append((-ratio, candidate))
    ranked = [candidate for _, candidate in sorted(scored)]
    return list(dict.fromkeys(exact + ranked))[:limit]


def known_lot(index: TraceIndex, lot: str) -> bool:
    """Whether any of genealogy, inspections or shipments names ``lot``."""
    return (
        index.genealogy().code(lot) is not None
        or lot in index.lookup(INSPECTIONS)
        or lot in index.lookup(SHIPMENTS)
    )


def require_lot(index: TraceIndex, lot: str) -> None:
    """Raise ``unknown-lot`` (exit 1) naming ``lot`` and the closest lot ids when it is unknown."""
    if known_lot(index, lot):
        return
    tables = [
        index.genealogy().lots,
        index.lookup(INSPECTIONS).keys,
        index.lookup(SHIPMENTS).keys,
    ]
    near = closest(tables, lot)
    raise TraceError(
        f'lot "{lot}" is not in the store',
        reference="unknown-lot",
        hint=f"Closest lot ids: {', '.join(near)}." if near else None,
        params={"lot": lot, "closest": near},
    )


def resolve_complaint(index: TraceIndex, complaint_id: str) -> dict[str, Any]:
    """The complaint row of ``complaint_id`` (with its product ``lot_id``), or ``TraceError``."""
    complaints = index.lookup(COMPLAINTS)
    rows = complaints.rows(complaint_id)
    if not rows:
        near = closest([complaints.keys], complaint_id)
        raise TraceError(
            f'complaint "{complaint_id}" is not in the store',
            reference="unknown-complaint",
            hint=f"Closest complaint ids: {', '.join(near)}." if near else None,
            params={"complaint": complaint_id, "closest": near},
        )
    row = {"complaint_id": complaint_id, **rows[-1]}
    if not row.get("lot_id"):
        raise TraceError(
            f'complaint "{complaint_id}" names no product lot',
            reference="complaint-without-lot",
            hint="Add the product lot to the complaint record, then trace that lot.",
            params={"complaint": complaint_id, "closest": []},
        )
    return row
