"""Decoding supplier text files: encoding chosen by evidence, never guessed silently.

Generic detectors mislabel short GBK files (see STACK.md), so the order is: an encoding given
by the user or the spec; a BOM; strict UTF-8; strict GB18030; Big5. A candidate is accepted
only when its decoded header line looks like a header some spec knows (``header_score``).
When no candidate decodes cleanly, the best one is used with replacement characters and each
line holding a bad byte is reported, so one bad byte does not hide every other error.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field

from qsync.errors import UsageError

HeaderScore = Callable[[str], int]
CANDIDATES = ("utf-8", "gb18030", "big5")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass
class Decoded:
    """Text of a file and how it was obtained."""

    text: str
    encoding: str
    certain: bool
    bad_lines: list[int] = field(default_factory=list)
    reason: str = ""


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _bad_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.split("\n"), start=1) if "\ufffd" in line]


HEAD_BYTES = 1 << 16


def utf8_head(data: bytes, header_score: HeaderScore) -> str | None:
    """The decoded start of ``data`` when it is UTF-8 with a recognised header, else ``None``.

    Lets a UTF-8 file skip decoding as a whole in Python: the CSV parser validates the rest,
    and only when it finds an invalid sequence does the full :func:`decode` run.
    """
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    try:
        head = codecs.getincrementaldecoder("utf-8")().decode(data[:HEAD_BYTES], final=False)
    except UnicodeDecodeError:
        return None
    return head if header_score(_first_line(head)) > 0 else None


def decode(data: bytes, header_score: HeaderScore, *, declared: str | None = None) -> Decoded:
    """Decode ``data`` following the evidence order described in the module docstring.

    >>> decode("批次号,数量\\n".encode("gbk"), lambda h: 2 if "批次号" in h else 0).encoding
    'gb18030'
    """
    if declared:
        try:
            name = codecs.lookup(declared).name
        except LookupError:
            raise UsageError(
                f"unknown encoding '{declared}'",
                reference="unknown-encoding",
                hint="Use an encoding such as utf-8, gb18030, big5 or utf-16.",
            ) from None
        text = data.decode(name, errors="replace")
        return Decoded(text, name, True, _bad_lines(text), "declared")
    for bom, name in _BOMS:
        if data.startswith(bom):
            text = data.decode(name, errors="replace")
            return Decoded(text.lstrip("\ufeff"), name, True, _bad_lines(text), "bom")
    fallback: Decoded | None = None
    for name in CANDIDATES:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        first = _first_line(text)
        if header_score(first) > 0:
            # An ASCII header proves nothing about the GB18030 or Big5 bytes further on.
            proven = name == "utf-8" or not first.isascii()
            return Decoded(text, name, proven, [], "header-matched")
        fallback = fallback or Decoded(text, name, False, [], "decoded-no-header-match")
    if fallback is not None:
        return fallback
    # Nothing decodes cleanly: keep the candidate whose header matches best, then fewest bad bytes.
    best: tuple[int, int, Decoded] | None = None
    for name in CANDIDATES:
        text = data.decode(name, errors="replace")
        bad = _bad_lines(text)
        score = header_score(_first_line(text))
        rank = (score, -len(bad))
        if best is None or rank > best[:2]:
            best = (*rank, Decoded(text, name, False, bad, "bad-bytes"))
    assert best is not None
    return best[2]
