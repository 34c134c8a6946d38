"""Sorted string tables inside a pack: position → text, and text → position by bisection.

A table is two sections: ``<name>.offsets`` (int64, one more than the strings) and
``<name>.blob`` (the UTF-8 bytes, concatenated). Lot and key tables are sorted in byte order,
which for UTF-8 is code-point order; dictionaries of values need not be (they are read by
position only). Looking a lot up among two million costs about twenty slices of the mapped
file. :func:`qsync.trace.build.string_table` writes a table.
"""

from __future__ import annotations

from dataclasses import dataclass

from qsync.trace.packfile import Pack


@dataclass
class StringTable:
    """A read-only view of a string table; sorted tables also support :meth:`find`."""

    _offsets: memoryview
    _blob: memoryview

    @classmethod
    def open(cls, pack: Pack, name: str) -> StringTable:
        """The table ``name`` of ``pack``."""
        return cls(pack.ints(f"{name}.offsets"), pack.raw(f"{name}.blob"))

    def __len__(self) -> int:
        return max(len(self._offsets) - 1, 0)

    def _bytes(self, position: int) -> bytes:
        return bytes(self._blob[self._offsets[position] : self._offsets[position + 1]])

    def get(self, position: int) -> str:
        """The string at ``position``."""
        return self._bytes(position).decode("utf-8")

    def bisect(self, text: str) -> int:
        """Where ``text`` is, or would be inserted, in a sorted table."""
        key = text.encode("utf-8")
        low, high = 0, len(self)
        while low < high:
            middle = (low + high) // 2
            if self._bytes(middle) < key:
                low = middle + 1
            else:
                high = middle
        return low

    def find(self, text: str) -> int | None:
        """The position of ``text`` in a sorted table, or ``None``."""
        position = self.bisect(text)
        if position < len(self) and self.get(position) == text:
            return position
        return None

    def around(self, text: str, width: int) -> list[str]:
        """Up to ``2 * width`` strings that sort next to ``text`` (for "did you mean")."""
        position = self.bisect(text)
        start, stop = max(position - width, 0), min(position + width, len(self))
        return [self.get(i) for i in range(start, stop)]

    def all(self) -> list[str]:
        """Every string, in table order (for small tables)."""
        return [self.get(i) for i in range(len(self))]
