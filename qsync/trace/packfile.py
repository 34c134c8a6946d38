"""One index part as one memory-mapped file: a JSON header and aligned raw arrays.

Layout: ``QSTRACE1`` magic, the header length (8 bytes, little-endian), the UTF-8 JSON header,
then each section padded to 8 bytes. The header holds caller metadata (``meta``) and where
each section lies and what it holds (``q`` int64, ``i`` int32, ``h`` int16, ``b`` int8,
``d`` float64, ``B`` bytes).

A pack is written to a temporary file and renamed into place, so a reader sees the old file
or the new one, never half of one, and a process that has the old one mapped keeps it. Reading
maps the file and slices it: nothing is loaded before it is touched, so opening a pack of
hundreds of megabytes costs a few microseconds and memory stays bounded by what a query visits.

This module needs only the standard library: a one-shot ``qsync trace`` never imports Polars.
"""

from __future__ import annotations

import json
import mmap
import os
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import TypeAlias

    Section: TypeAlias = "array[int] | array[float] | bytes | bytearray"

MAGIC = b"QSTRACE1"
FORMAT = 1
_ALIGN = 8


def _pad(size: int) -> int:
    return -size % _ALIGN


def write_pack(path: Path, meta: dict[str, Any], sections: dict[str, Section]) -> None:
    """Write ``sections`` and ``meta`` to ``path`` atomically (temporary file, then rename).

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "demo.pack"
    >>> write_pack(target, {"version": 3}, {"ids": array("i", [4, 5]), "blob": b"ab"})
    >>> pack = Pack.open(target)
    >>> pack.meta["version"], pack.ints("ids").tolist(), bytes(pack.raw("blob"))
    (3, [4, 5], b'ab')
    """
    layout: dict[str, dict[str, Any]] = {}
    offset = 0
    for name, data in sections.items():
        kind = data.typecode if isinstance(data, array) else "B"
        size = len(data) * data.itemsize if isinstance(data, array) else len(data)
        layout[name] = {"offset": offset, "bytes": size, "type": kind}
        offset += size + _pad(size)
    header = {"format": FORMAT, "byteorder": sys.byteorder, "meta": meta, "sections": layout}
    head = json.dumps(header, ensure_ascii=False).encode("utf-8")
    head += b" " * _pad(len(MAGIC) + 8 + len(head))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as out:
            out.write(MAGIC + len(head).to_bytes(8, "little") + head)
            for data in sections.values():
                raw = data.tobytes() if isinstance(data, array) else data
                out.write(raw)
                out.write(b"\0" * _pad(len(raw)))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read_meta(path: Path) -> dict[str, Any] | None:
    """The ``meta`` of a pack without mapping its sections; ``None`` when missing or unusable."""
    header = _read_header(path)
    return None if header is None else dict(header["meta"])


def _read_header(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as src:
            start = src.read(len(MAGIC) + 8)
            if len(start) < len(MAGIC) + 8 or not start.startswith(MAGIC):
                return None
            size = int.from_bytes(start[len(MAGIC) :], "little")
            header: dict[str, Any] = json.loads(src.read(size))
    except (OSError, ValueError):
        return None
    if header.get("format") != FORMAT or header.get("byteorder") != sys.byteorder:
        return None
    header["_data_start"] = len(MAGIC) + 8 + size
    return header


@dataclass
class Pack:
    """A mapped pack: its ``meta`` and typed views of its sections."""

    meta: dict[str, Any]
    _view: memoryview
    _sections: dict[str, dict[str, Any]]
    _start: int

    @classmethod
    def open(cls, path: Path) -> Pack:
        """Map ``path``; raises ``ValueError`` when it is not a pack of this format."""
        header = _read_header(path)
        if header is None:
            raise ValueError(f"not a qsync trace index part: {path}")
        with path.open("rb") as src:
            mapped = mmap.mmap(src.fileno(), 0, access=mmap.ACCESS_READ)
            mapped.madvise(mmap.MADV_RANDOM)
        return cls(header["meta"], memoryview(mapped), header["sections"], header["_data_start"])

    def raw(self, name: str) -> memoryview[int]:
        """The bytes of one section."""
        section = self._sections[name]
        start = self._start + section["offset"]
        return self._view[start : start + section["bytes"]]

    def ints(self, name: str) -> memoryview[int]:
        """An integer section (``q``, ``i``, ``h`` or ``b``) as a read-only sequence of ints."""
        return self.raw(name).cast(self._sections[name]["type"])

    def floats(self, name: str) -> memoryview[float]:
        """A float64 section."""
        return self.raw(name).cast("d")

    def has(self, name: str) -> bool:
        """Whether the pack holds section ``name``."""
        return name in self._sections
