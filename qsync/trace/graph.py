"""The mapped genealogy graph: neighbours of a lot code and the attributes of an edge.

See :mod:`qsync.trace.build` for the layout. Lots are integer codes here; only the lots a
walk reaches are ever turned back into text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from qsync.trace.build import EDGE_RECORD, EDGE_TEXT, NO_TIME
from qsync.trace.packfile import Pack
from qsync.trace.strings import StringTable

_EPOCH = datetime(1970, 1, 1)
_STRIDE = EDGE_RECORD.size // 4  # int32 slots per edge record: parent at 0, child at 1


@dataclass(frozen=True)
class Edge:
    """One genealogy row: ``parent`` (the lot produced) consumed ``child`` on a work order."""

    parent: str
    child: str
    work_order: str | None
    operator: str | None
    part_no: str | None
    parent_part_no: str | None
    qty: float | None
    consumed_at: str | None


class Genealogy:
    """Read access to the genealogy part of the index."""

    def __init__(self, pack: Pack) -> None:
        self.meta = pack.meta
        self.lots = StringTable.open(pack, "lots")
        self._records = pack.raw("edges")
        self._slots = self._records.cast("i")
        self._down = pack.ints("down.offsets")
        self._up = pack.ints("up.offsets")
        self._up_edges = pack.ints("up.edges")
        self._dicts = [StringTable.open(pack, f"dict.{name}") for name in EDGE_TEXT]

    @property
    def edge_count(self) -> int:
        """Number of genealogy rows indexed."""
        return len(self._records) // EDGE_RECORD.size

    def code(self, lot: str) -> int | None:
        """The code of ``lot``, or ``None`` when no genealogy row names it."""
        return self.lots.find(lot)

    def consumed(self, code: int) -> Iterator[tuple[int, int]]:
        """``(edge, child code)`` for every lot that lot ``code`` consumed (one level down)."""
        slots = self._slots
        for edge in range(self._down[code], self._down[code + 1]):
            yield edge, slots[edge * _STRIDE + 1]

    def consumers(self, code: int) -> Iterator[tuple[int, int]]:
        """``(edge, parent code)`` for every lot that consumed lot ``code`` (one level up)."""
        slots, edges = self._slots, self._up_edges
        for position in range(self._up[code], self._up[code + 1]):
            edge = edges[position]
            yield edge, slots[edge * _STRIDE]

    def has_consumed(self, code: int) -> bool:
        """Whether lot ``code`` consumed anything."""
        return bool(self._down[code + 1] > self._down[code])

    def has_consumers(self, code: int) -> bool:
        """Whether anything consumed lot ``code``."""
        return bool(self._up[code + 1] > self._up[code])

    def _word(self, field: int, code: int) -> str | None:
        return None if code < 0 else self._dicts[field].get(code)

    def edge(self, edge: int) -> Edge:
        """The attributes of one edge, as text."""
        parent, child, *codes, qty, stamp = EDGE_RECORD.unpack_from(
            self._records, edge * EDGE_RECORD.size
        )
        when = None
        if stamp != NO_TIME:
            when = (_EPOCH + timedelta(microseconds=stamp)).isoformat(sep=" ")
        work_order, operator, part_no, parent_part_no = (
            self._word(field, code) for field, code in enumerate(codes)
        )
        return Edge(
            parent=self.lots.get(parent),
            child=self.lots.get(child),
            work_order=work_order,
            operator=operator,
            part_no=part_no,
            parent_part_no=parent_part_no,
            qty=None if math.isnan(qty) else qty,
            consumed_at=when,
        )


@dataclass(frozen=True)
class _Column:
    """One column of a lookup part: JSON texts, per row or through dictionary codes."""

    name: str
    values: StringTable
    codes: memoryview | None

    @classmethod
    def open(cls, pack: Pack, name: str) -> _Column:
        section = f"col.{name}"
        codes = pack.ints(f"{section}.codes") if pack.has(f"{section}.codes") else None
        return cls(name, StringTable.open(pack, f"{section}.values"), codes)

    def value(self, row: int) -> Any:
        """The value of ``row``, decoded from its JSON text."""
        position = row if self.codes is None else self.codes[row]
        return None if position < 0 else json.loads(self.values.get(position))


class Lookup:
    """Read access to a lookup part: the rows of a key (none when the table is absent).

    See :mod:`qsync.trace.build` for the layout: a row is assembled from its columns only when
    a key is asked for.
    """

    def __init__(self, pack: Pack) -> None:
        self.meta = pack.meta
        self.keys = StringTable.open(pack, "keys")
        self._starts = pack.ints("rows.start") if pack.has("rows.start") else None
        self._columns = [_Column.open(pack, name) for name in self.meta["columns"]]

    def rows(self, key: str) -> list[dict[str, Any]]:
        """Every row stored under ``key`` (in table order); ``[]`` when none."""
        position = self.keys.find(key)
        if position is None:
            return []
        starts = self._starts
        span = [position] if starts is None else range(starts[position], starts[position + 1])
        return [{column.name: column.value(row) for column in self._columns} for row in span]

    def __contains__(self, key: str) -> bool:
        return self.keys.find(key) is not None
