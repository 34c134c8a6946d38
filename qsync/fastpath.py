"""Facts a reader learns about a file's bytes for free, that let later steps skip work.

The CSV reader hashes the file in blocks; while each block is in the cache it also checks
whether the file holds any byte that could start whitespace or a full-width character
(:data:`NOT_PLAIN`). A table read from a file with none of them, and with no cell spanning
lines, is *plain*: none of its cells can have leading or trailing whitespace or full-width
forms, so a text cell can only need a second look (cleaning, or a formula check) when its
first byte sorts before ``A`` — a comparison Polars makes on the inline prefix of each
string, far cheaper than running a regex over every cell.

The fact is kept per frame object: a frame that is replaced (``with_columns``) loses it.
"""

from __future__ import annotations

import hashlib
import weakref
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

# Bytes that start every character the text clean-up or ``\\s`` looks for: ASCII spaces and
# tabs, CR, and the UTF-8 lead bytes of U+0085, U+00A0 (C2), U+1680 (E1), U+2000-U+205F
# (E2), U+3000 (E3) and the full-width forms U+FF01-U+FF5E (EF). LF is handled separately:
# a cell can hold one only inside a quoted field spanning lines.
NOT_PLAIN = (b" ", b"\t", b"\x0b", b"\x0c", b"\r", b"\xc2", b"\xe1", b"\xe2", b"\xe3", b"\xef")
_BLOCK = 1 << 16

_plain: weakref.WeakValueDictionary[int, pl.DataFrame] = weakref.WeakValueDictionary()


def sha256_and_plain(data: bytes) -> tuple[str, bool]:
    """The SHA-256 of ``data`` (hex) and whether ``data`` holds none of :data:`NOT_PLAIN`.

    Hashing block by block keeps each block in the cache for the byte checks, which then
    cost little; hashlib releases the GIL on each block, so this suits a worker thread.
    """
    digest = hashlib.sha256()
    view = memoryview(data)
    plain = True
    for start in range(0, len(data), _BLOCK):
        end = start + _BLOCK
        digest.update(view[start:end])
        if plain:
            plain = all(data.find(byte, start, end) < 0 for byte in NOT_PLAIN)
    return digest.hexdigest(), plain


class FileBytes:
    """A file's bytes, with their SHA-256 and plainness computed once (possibly meanwhile).

    ``qsync ingest`` reads a file, starts scanning it on a worker thread and hands it to the
    reader, which parses while the scan runs and asks for the result only at the end: the
    file is read and hashed once, and the hash costs no time of its own.
    """

    def __init__(self, data: bytes, pool: Executor | None = None) -> None:
        self.data = data
        self._scan: Future[tuple[str, bool]]
        if pool is None:
            self._scan = Future()
            self._scan.set_result(sha256_and_plain(data))
        else:
            self._scan = pool.submit(sha256_and_plain, data)

    @classmethod
    def load(cls, path: Path, pool: Executor | None = None) -> FileBytes:
        """Read ``path`` whole (raises ``OSError`` as ``read_bytes`` does); scan it on ``pool``
        (a worker thread) or, without one, at once."""
        return cls(path.read_bytes(), pool)

    def fingerprint(self) -> tuple[str, bool]:
        """The SHA-256 (hex) and plainness of the bytes, waiting for the scan if needed."""
        return self._scan.result()

    @property
    def sha256(self) -> str:
        """The SHA-256 of the bytes (hex)."""
        return self.fingerprint()[0]


def mark_plain(frame: pl.DataFrame) -> None:
    """Record that no cell of ``frame`` holds a :data:`NOT_PLAIN` byte or a line break."""
    _plain[id(frame)] = frame


def is_plain(frame: pl.DataFrame) -> bool:
    """Whether :func:`mark_plain` was called for this very frame object."""
    return _plain.get(id(frame)) is frame
