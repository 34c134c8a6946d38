"""Checks a workbook must pass before any reader touches it, and a crash-proof way to read it.

calamine (under fastexcel) builds a dense grid, so a 5 KB workbook with one cell at A1 and one
at XFD1048576 asks for 512 GiB and aborts the process; a zip bomb takes gigabytes; an XML
``DOCTYPE`` is the door to entity expansion. :func:`check_workbook` refuses such files using
the zip's central directory and one streaming pass over its XML parts that holds a few MiB at
most. On the way it records what the reader needs from the sheet XML and fastexcel does not
expose: merged ranges, hidden rows, formulas without a cached value, error cells.

Whatever still goes wrong inside a reader is contained by :func:`run_isolated`: the reader runs
in a worker process with an address-space limit and a timeout, so an abort, a ``MemoryError``
or a hang becomes a :class:`SupplierFileError` naming the file, never a dead qsync.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import html
import os
import pickle
import posixpath
import re
import selectors
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from qsync.errors import QsyncError, SupplierFileError

MAX_UNCOMPRESSED_BYTES = 200 * 2**20
"""Sum of the declared uncompressed sizes of all zip members (200 MiB).

A 200k-row supplier sheet is about 60 MiB of XML; the 2.7 MB zip bomb of STACK.md declared
gigabytes. Checked from the central directory before anything is decompressed, and again
while streaming, since the declared sizes may lie.
"""
MAX_MEMBER_RATIO = 100
"""Largest uncompressed/compressed ratio of one member above :data:`RATIO_CHECKED_ABOVE`.

Real sheet XML compresses 5-30 times; OWASP's rule of thumb for zip bombs is 100.
"""
RATIO_CHECKED_ABOVE = 2**20
"""Members up to 1 MiB uncompressed may compress any amount (tiny styles parts do)."""
MAX_MEMBERS = 10_000
"""Most zip members a workbook may have (Excel writes a few dozen)."""
MAX_PARSED_PART = 16 * 2**20
"""Largest workbook or relationships part parsed in qsync's own process (Excel's are KBs)."""
MAX_SHEET_CELLS = 10_000_000
"""Largest grid one sheet may span, counted from A1 to its last non-empty cell.

calamine allocates the full rectangle, about 50 bytes per cell even when empty (measured:
1,048,576 x 10 empty cells took 0.55 GB), so 10M cells is about 0.5 GB: a 400k-row x 25-column
submission fits, and 16,384 columns fit for up to 610 rows.
"""
MAX_FACTS = 10_000
"""Most merged ranges, hidden rows, uncalculated formulas or error cells recorded per sheet;
a hostile sheet could hold millions, and a supplier needs the first few to fix the rest."""
DEFAULT_MEMORY_LIMIT_MB = 4096
"""Address space of the reader worker (``RLIMIT_AS``), which counts about 1 GiB of thread
stacks and allocator reservations once polars is imported."""
DEFAULT_TIMEOUT_S = 120.0
"""Wall time one isolated read may take (a 1M-cell sheet reads in about 1 s)."""

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_BINARY_SUFFIXES = (
    *(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf"),
    *(".bin", ".wdp", ".jfif", ".svg", ".ico"),
)
_CHUNK = 1 << 20
_MAX_PENDING = 4 << 20
_ENTITY_DECL = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]")
_DIMENSION = re.compile(rb'dimension\s[^<>]*?\bref="([^"<>]{1,40})"')
_MERGE = re.compile(rb'mergeCell\s[^<>]*?\bref="([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)"')
_ROW_R = re.compile(rb'\br="([0-9]{1,7})"')
_CELL_R = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_CELL_T = re.compile(rb'\bt="([A-Za-z]+)"')
_LONG_DECIMALS = re.compile(rb"\.[0-9]{10}")
_TWO_LETTER_COLUMN = re.compile(rb'r="([A-Z]{2})[0-9]')
_ANY_REF = re.compile(rb'r="([A-Za-z]{1,4})0*([0-9]{1,9})"')
_REF = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")


def column_letter(number: int) -> str:
    """Excel column letters of a 1-based column number.

    >>> column_letter(1), column_letter(28), column_letter(16384)
    ('A', 'AB', 'XFD')
    """
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def split_ref(ref: str) -> tuple[int, int]:
    """``(row, column)``, both 1-based, of a cell reference.

    >>> split_ref("AB12")
    (12, 28)
    """
    match = _REF.match(ref)
    if not match:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(match.group(2)), _column_number(match.group(1))


@dataclass
class SheetFacts:
    """What one sheet's XML says beyond its cell values (all coordinates 1-based)."""

    member: str
    name: str = ""
    state: str = "visible"
    dimension: str | None = None
    max_row: int = 0
    max_col: int = 0
    hidden_rows: list[int] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    formulas_without_value: dict[tuple[int, int], str] = field(default_factory=dict)
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)
    long_number_columns: set[int] = field(default_factory=set)
    """Columns holding a number with more than 9 decimals, which fastexcel rounds away."""

    @property
    def cells(self) -> int:
        """Cells of the rectangle from A1 to the last non-empty cell."""
        return self.max_row * self.max_col

    @property
    def used_range(self) -> str:
        """``A1:XFD1048576`` style range from A1 to the last non-empty cell."""
        if not self.cells:
            return "A1"
        return f"A1:{column_letter(self.max_col)}{self.max_row}"


@dataclass
class WorkbookInfo:
    """A workbook that passed :func:`check_workbook`: its worksheets in workbook order."""

    path: str
    sheets: list[SheetFacts]


def _refuse(path: Path, message: str, reference: str, **params: object) -> SupplierFileError:
    hints = {
        "old-xls": "Open it in Excel and save it as .xlsx (Excel Workbook).",
        "encrypted-workbook": "Remove the password (File > Info > Protect Workbook) and resend.",
        "unsupported-format": "Save it as .xlsx (Excel Workbook) or export the table as CSV.",
        "truncated-workbook": "The file is damaged or was cut off in transfer; send it again.",
        "zip-bomb": "Open the file in Excel, save it as a new .xlsx and send that.",
        "workbook-unpacked-too-large": "Split the data into smaller files (by month).",
        "xml-entities": "Open the file in Excel, save it as a new .xlsx and send that.",
        "workbook-too-large": "Delete the unused rows and columns (Ctrl+End shows the last "
        "used cell), save and send again.",
    }
    return SupplierFileError(
        message,
        reference=reference,
        location=str(path),
        hint=hints.get(reference),
        params=dict(params),
    )


def _looks_like(head: bytes) -> str:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"%pdf"):
        return "pdf"
    if start.startswith((b"<html", b"<!doctype html", b"<table")) or b"<html" in start[:512]:
        return "html"
    if start.startswith(b"<?xml"):
        return "xml"
    if head and b"\x00" not in head[:4096]:
        return "text"
    return "unknown"


def _ole_is_encrypted(fp: BinaryIO) -> bool:
    """An encrypted .xlsx is an OLE2 file holding an ``EncryptedPackage`` stream."""
    needle = "EncryptedPackage".encode("utf-16-le")
    fp.seek(0)
    head = fp.read(65536)
    if needle in head:
        return True
    if len(head) < 0x34:
        return False
    sector_size = 1 << struct.unpack_from("<H", head, 0x1E)[0]
    first_dir = struct.unpack_from("<I", head, 0x30)[0]
    if sector_size > 65536 or first_dir >= 0xFFFFFFFA:
        return False
    fp.seek((first_dir + 1) * sector_size)
    return needle in fp.read(sector_size * 4)


def _refuse_non_zip(path: Path, fp: BinaryIO, head: bytes) -> None:
    if not head:
        raise _refuse(path, "the file is empty", "empty-file")
    if head.startswith(OLE_MAGIC):
        if _ole_is_encrypted(fp):
            raise _refuse(path, "the workbook is password-protected", "encrypted-workbook")
        raise _refuse(path, "this is an old Excel .xls file", "old-xls")
    if not head.startswith(_ZIP_MAGICS):
        what = _looks_like(head)
        raise _refuse(path, f"this is not an Excel workbook ({what})", "not-a-workbook", what=what)


def _check_directory(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Declared sizes, ratios and flags, from the central directory alone."""
    if len(infos) > MAX_MEMBERS:
        raise _refuse(
            path, f"a zip of {len(infos)} parts is not a workbook", "not-a-workbook", what="zip"
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(path, "the workbook is password-protected", "encrypted-workbook")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECKED_ABOVE and ratio > MAX_MEMBER_RATIO:
            raise _refuse(
                path,
                f"part {info.filename} expands {ratio:,.0f} times, above {MAX_MEMBER_RATIO}",
                "zip-bomb",
                member=info.filename,
                ratio=f"{ratio:,.0f}",
                limit=MAX_MEMBER_RATIO,
            )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _refuse(
            path,
            f"the workbook unpacks to {total / 2**20:,.0f} MiB, above the "
            f"{MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MiB limit",
            "workbook-unpacked-too-large",
            size_mb=f"{total / 2**20:,.0f}",
            limit_mb=f"{MAX_UNCOMPRESSED_BYTES / 2**20:,.0f}",
        )


def _member_chunks(path: Path, fp: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Decompressed chunks of one member, never more than its declared size."""
    damaged = _refuse(path, f"part {info.filename} is damaged", "truncated-workbook")
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise damaged
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _refuse(path, "unusual zip compression", "not-a-workbook", what="unknown")
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left, produced, crc = info.compress_size, 0, 0
    while left > 0 or (inflater is not None and inflater.unconsumed_tail):
        if inflater is not None and inflater.unconsumed_tail:
            data = inflater.unconsumed_tail
        else:
            data = fp.read(min(left, 1 << 16))
            if not data:
                raise damaged
            left -= len(data)
        try:
            out = inflater.decompress(data, _CHUNK) if inflater is not None else data
        except zlib.error:
            raise damaged from None
        produced += len(out)
        if produced > info.file_size:
            raise damaged  # more data than declared: a bomb hiding behind a small size
        crc = zlib.crc32(out, crc)
        if out:
            yield out
    if produced != info.file_size or crc != info.CRC:
        raise damaged


def _has_long_number(data: bytes) -> bool:
    """A number with more than 9 decimals: ``0.3333333333`` or a negative exponent."""
    for marker in (b"E-", b"e-"):
        pos = data.find(marker)
        while pos >= 0:
            if data[pos - 1 : pos].isdigit() and data[pos + 2 : pos + 3].isdigit():
                return True
            pos = data.find(marker, pos + 2)
    return _LONG_DECIMALS.search(data) is not None


def _above(limit: int) -> bytes:
    """Regex alternatives matching a decimal number above ``limit`` (no leading zeros)."""
    digits = str(limit)
    options = [rb"[1-9][0-9]{%d,}" % len(digits)]
    for i, ch in enumerate(digits):
        if ch != "9":
            rest = len(digits) - i - 1
            options.append(digits[:i].encode() + b"[%d-9][0-9]{%d}" % (int(ch) + 1, rest))
    return b"|".join(options)


@functools.lru_cache(maxsize=64)
def _irregular_ref(top_row: int) -> re.Pattern[bytes]:
    """A cell reference the fast extent cannot vouch for: below row ``top_row``, beyond
    column ZZ, or in lower case."""
    return re.compile(
        rb'r="(?:[A-Za-z]{3,}|[A-Z]{0,2}[a-z]|[A-Z]{1,2}0*(?:' + _above(top_row) + rb')")'
    )


@functools.lru_cache(maxsize=4)
def _cell_without_ref(cell: bytes) -> re.Pattern[bytes]:
    """A cell start tag whose first attribute is not ``r`` (or that has none)."""
    return re.compile(re.escape(cell) + rb'(?:>| (?!r="))')


class _SheetScan:
    """Facts from complete stretches of one worksheet's XML (``prefix`` is e.g. ``b"x:"``).

    The extent is cheap when the file is regular (cells carry ``r`` and sit inside their
    row): rows come from the row tags, checked against the cells with one regex search, and
    columns are bounded by the widest letter class present (26, or exactly when wider). An
    irregular stretch is measured cell by cell.
    """

    def __init__(self, member: str, prefix: bytes, *, exact: bool = False) -> None:
        self.facts = SheetFacts(member)
        self.prefix = prefix
        self.exact = exact
        self._tags = {name: b"<" + prefix + name for name in (b"c", b"row", b"f", b"v")}
        f, v = re.escape(prefix + b"f"), re.escape(prefix + b"v")
        f_close, c_close = b"</" + prefix + b"f>", b"</" + prefix + b"c>"
        v_tag = b"<" + prefix + b"v"
        # (ending, is an empty <v></v>): Excel, openpyxl and xlsxwriter write no blanks here.
        self._uncalculated = (
            (f_close + c_close, False),
            (f_close + v_tag + b"/>" + c_close, False),
            (f_close + v_tag + b" />" + c_close, False),
            (f_close + v_tag + b"></" + prefix + b"v>" + c_close, True),
            (b"/>" + c_close, False),
        )
        formula = rb"(?:<" + f + rb"\b[^<>]*?(?:/>|>[^<]*</" + f + rb">)\s*)?"
        # More than 9 decimals, unless they are float noise (0.9399999999999999); or E-n.
        long_value = rb"-?[0-9]*\.[0-9]{9}(?!(?:0{3,}|9{3,})[0-9]{0,4}<)[0-9]|[^<]*[Ee]-[0-9]"
        self._long_number = re.compile(
            rb'r="([A-Z]{1,3})[0-9]{1,7}"[^<>]*>\s*'
            + formula
            + rb"<"
            + v
            + rb">(?:"
            + long_value
            + rb")"
        )

    def feed(self, data: bytes) -> None:
        facts = self.facts
        if facts.dimension is None and (dim := _DIMENSION.search(data)):
            facts.dimension = dim.group(1).decode("ascii", "replace")
        self._extent(data)
        self._hidden_rows(data)
        if b"mergeCell " in data and len(facts.merged) < MAX_FACTS:
            facts.merged.extend(m.decode() for m in _MERGE.findall(data)[:MAX_FACTS])
        self._formulas(data)
        self._errors(data)
        if _has_long_number(data):
            self._long_numbers(data)

    def _extent(self, data: bytes) -> None:
        facts, cell, row = self.facts, self._tags[b"c"], self._tags[b"row"]
        rows = [int(r) for r in re.findall(re.escape(row) + rb' r="([0-9]{1,7})"', data)]
        top = max(rows, default=0)
        if self.exact or _irregular_ref(top).search(data) or _cell_without_ref(cell).search(data):
            self._exact_extent(data)
            return
        facts.max_row = max(facts.max_row, top, len(rows))
        if two := set(_TWO_LETTER_COLUMN.findall(data)):
            facts.max_col = max(facts.max_col, *(_column_number(c.decode()) for c in two))
        elif cell + b" " in data:
            facts.max_col = max(facts.max_col, 26)

    def _long_numbers(self, data: bytes) -> None:
        """Columns with a number that fastexcel's 9 decimals render less exactly than Excel's
        15 significant digits (``1/3``, ``3E-10``), float noise like ``0.9399999999999999``
        (shown 0.94) aside."""
        letters = set(self._long_number.findall(data))
        self.facts.long_number_columns.update(_column_number(c.decode()) for c in letters)

    def _exact_extent(self, data: bytes) -> None:
        facts, cell, row = self.facts, self._tags[b"c"], self._tags[b"row"]
        for letters, digits in _ANY_REF.findall(data):
            facts.max_col = max(facts.max_col, _column_number(letters.upper().decode()))
            facts.max_row = max(facts.max_row, int(digits))
        # Cells and rows without a reference are placed one after another: bound them.
        facts.max_row = max(facts.max_row, data.count(row + b" ") + data.count(row + b">"))
        facts.max_col = max(facts.max_col, data.count(cell + b" ") - data.count(cell + b' r="'))

    def _tag_at(self, data: bytes, pos: int, name: bytes) -> bytes | None:
        """The start tag ``<name ...>`` that contains position ``pos``, if it is one."""
        start = data.rfind(b"<", 0, pos)
        end = data.find(b">", pos)
        tag = data[start : end + 1]
        return tag if start >= 0 and tag.startswith(self._tags[name] + b" ") else None

    def _hidden_rows(self, data: bytes) -> None:
        pos = data.find(b'hidden="')
        while pos >= 0:
            tag = self._tag_at(data, pos, b"row")
            hidden = data[pos + 8 : data.find(b'"', pos + 8)] in (b"1", b"true")
            if hidden and tag is not None and (ref := _ROW_R.search(tag)):
                if len(self.facts.hidden_rows) >= MAX_FACTS:
                    return
                self.facts.hidden_rows.append(int(ref.group(1)))
            pos = data.find(b'hidden="', pos + 1)

    def _cell_key(self, tag: bytes) -> tuple[tuple[int, int], bytes] | None:
        ref, kind = _CELL_R.search(tag), _CELL_T.search(tag)
        if ref is None:
            return None
        key = (int(ref.group(2)), _column_number(ref.group(1).decode()))
        return key, kind.group(1) if kind else b"n"

    def _value(self, data: bytes, pos: int) -> bytes | None:
        """Text of the ``<v>`` element starting at ``pos`` (after blanks), or ``None``."""
        while pos < len(data) and data[pos] in b" \t\r\n":
            pos += 1
        v = self._tags[b"v"]
        if not data.startswith(v, pos) or data[pos + len(v) : pos + len(v) + 1] not in b" />":
            return None
        end = data.find(b">", pos)
        if data[end - 1 : end] == b"/":
            return b""
        close = data.find(b"</" + v[1:] + b">", end)
        return data[end + 1 : close] if close >= 0 else None

    def _formulas(self, data: bytes) -> None:
        """Formula cells whose ``<v>`` is missing or empty (never calculated)."""
        for ending, empty_string in self._uncalculated:
            pos = data.find(ending)
            while pos >= 0 and len(self.facts.formulas_without_value) < MAX_FACTS:
                self._uncalculated_at(data, pos, ending, empty_string)
                pos = data.find(ending, pos + 1)

    def _uncalculated_at(self, data: bytes, pos: int, ending: bytes, empty_string: bool) -> None:
        f_open = self._tags[b"f"]
        f_close = b"</" + f_open[1:] + b">"
        start = data.rfind(f_open, 0, pos)
        if start < 0:
            return
        if ending.startswith(f_close):  # <f>text</f> must end right here
            closes, text = data.find(f_close, start) == pos, data[data.find(b">", start) + 1 : pos]
        else:  # <f .../> must end right here
            closes, text = data.find(b">", start) == pos + 1, b""
        tag = self._tag_at(data, start - 1, b"c") if closes else None
        cell = self._cell_key(tag) if tag is not None else None
        # An empty <v></v> is a calculated empty string when the cell type is "str".
        if cell is None or cell[1] == b"e" or (empty_string and cell[1] == b"str"):
            return
        formula = html.unescape(text.decode("utf-8", "replace"))
        self.facts.formulas_without_value[cell[0]] = "=" + formula[:200]

    def _errors(self, data: bytes) -> None:
        pos = data.find(b't="e"')
        while pos >= 0 and len(self.facts.error_cells) < MAX_FACTS:
            tag = self._tag_at(data, pos, b"c")
            cell = self._cell_key(tag) if tag is not None and not tag.endswith(b"/>") else None
            if cell is not None:
                start = data.find(self._tags[b"v"], pos)
                close = data.find(b"</" + self._tags[b"c"][1:] + b">", pos)
                if 0 <= start < close:
                    value = self._value(data, start)
                    text = html.unescape((value or b"").decode("utf-8", "replace"))
                    self.facts.error_cells[cell[0]] = text
            pos = data.find(b't="e"', pos + 1)


def _stretch_end(buffer: bytes) -> int:
    """End of the last complete row (or cell, for huge rows) in ``buffer``; 0 for none yet."""
    for name in (b"row>", b"c>") if len(buffer) > _MAX_PENDING else (b"row>",):
        at = max(buffer.rfind(b"</" + name), buffer.rfind(b":" + name))
        if at >= 0:
            return at + len(name) + (2 if buffer[at : at + 2] == b"</" else 1)
    if len(buffer) > _MAX_PENDING:
        return buffer.rfind(b">") + 1
    return 0


def _utf16(first: bytes) -> str | None:
    if first.startswith((b"\xff\xfe", b"<\x00")):
        return "utf-16-le"
    if first.startswith((b"\xfe\xff", b"\x00<")):
        return "utf-16-be"
    return None


def _worksheet_prefix(first: bytes) -> bytes | None:
    """Namespace prefix of a worksheet's root element (``b""`` or ``b"x:"``); else ``None``."""
    match = _ROOT.search(first)
    if match is None or match.group(2) != b"worksheet":
        return None
    return match.group(1) or b""


def _scan_member(
    path: Path, fp: BinaryIO, info: zipfile.ZipInfo, *, exact: bool = False
) -> SheetFacts | None:
    """Refuse DTDs and entities; a worksheet's facts. Holds a few MiB at most."""
    import codecs

    scan: _SheetScan | None = None
    decoder: codecs.IncrementalDecoder | None = None
    pending = overlap = b""
    first = True
    for raw in _member_chunks(path, fp, info):
        if first:
            encoding = _utf16(raw[:4])
            decoder = codecs.getincrementaldecoder(encoding)("replace") if encoding else None
        data = decoder.decode(raw).encode() if decoder is not None else raw
        if _ENTITY_DECL.search(overlap + data):
            raise _refuse(
                path,
                f"part {info.filename} declares a DOCTYPE or XML entities",
                "xml-entities",
                member=info.filename,
            )
        if first:
            prefix = _worksheet_prefix(data[:4096])
            scan = None if prefix is None else _SheetScan(info.filename, prefix, exact=exact)
            first = False
        overlap = data[-32:]
        if scan is None:
            continue
        pending += data
        end = _stretch_end(pending)
        if end:
            scan.feed(pending[:end])
            pending = pending[end:]
    if scan is None:
        return None
    if pending:
        scan.feed(pending)
    return scan.facts


def _parse_part(path: Path, zf: zipfile.ZipFile, name: str) -> Any:
    """A small XML part as an element tree (DTDs were refused by the scan already)."""
    from defusedxml import ElementTree

    if zf.getinfo(name).file_size > MAX_PARSED_PART:
        raise _refuse(path, f"part {name} is too large", "not-a-workbook", what="zip")
    return ElementTree.fromstring(zf.read(name))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _relationships(path: Path, zf: zipfile.ZipFile, part: str) -> dict[str, str]:
    """``Id -> member path`` of a part's relationships (``xl/_rels/workbook.xml.rels``)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    try:
        root = _parse_part(path, zf, rels)
    except KeyError:
        return {}
    targets = {}
    for rel in root:
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        full = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        targets[rel.get("Id", "")] = posixpath.normpath(full)
    return targets


def _workbook_part(path: Path, zf: zipfile.ZipFile, names: set[str]) -> str | None:
    for target in _relationships(path, zf, "").values():
        if target in names and target.endswith((".xml", ".bin")):
            return target
    return "xl/workbook.xml" if "xl/workbook.xml" in names else None


def _sheets(path: Path, zf: zipfile.ZipFile, names: set[str]) -> list[tuple[str, str, str]]:
    """``(name, member, state)`` of each worksheet in workbook order."""
    if "mimetype" in names and zf.read("mimetype").startswith(b"application/vnd.oasis"):
        raise _refuse(
            path, "this is an OpenDocument spreadsheet", "unsupported-format", format="ods"
        )
    part = _workbook_part(path, zf, names)
    if part is None:
        raise _refuse(path, "this zip file holds no Excel workbook", "not-a-workbook", what="zip")
    if part.endswith(".bin"):
        raise _refuse(path, "this is an Excel binary workbook", "unsupported-format", format="xlsb")
    targets = _relationships(path, zf, part)
    sheets = []
    for element in _parse_part(path, zf, part).iter():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
        member = targets.get(rid, "")
        if member in names:
            sheets.append((element.get("name", ""), member, element.get("state", "visible")))
    return sheets


def check_workbook(path: Path) -> WorkbookInfo:
    """Refuse a hostile or unreadable .xlsx/.xlsm; return its sheets and their XML facts.

    Raises :class:`SupplierFileError` with reference ``not-a-workbook``, ``old-xls``,
    ``encrypted-workbook``, ``unsupported-format``, ``truncated-workbook``, ``zip-bomb``,
    ``workbook-unpacked-too-large``, ``xml-entities`` or ``workbook-too-large``.

    >>> check_workbook(Path("missing.xlsx"))
    Traceback (most recent call last):
    ...
    FileNotFoundError: [Errno 2] No such file or directory: 'missing.xlsx'
    """
    if path.suffix.lower() in (".ods", ".fods"):
        raise _refuse(
            path, "this is an OpenDocument spreadsheet", "unsupported-format", format="ods"
        )
    with path.open("rb") as fp:
        head = fp.read(8192)
        _refuse_non_zip(path, fp, head)
        try:
            zf = zipfile.ZipFile(fp)
        except (zipfile.BadZipFile, EOFError, OSError):
            raise _refuse(
                path, "the workbook is damaged or incomplete", "truncated-workbook"
            ) from None
        with zf:
            infos = zf.infolist()
            _check_directory(path, infos)
            scanned = {
                info.filename: _scan_member(path, fp, info)
                for info in infos
                if not info.is_dir() and not info.filename.lower().endswith(_BINARY_SUFFIXES)
            }
            sheets = _sheets(path, zf, {info.filename for info in infos})
            for _, member, _ in sheets:
                if member not in scanned:  # a worksheet hiding behind an image's extension
                    scanned[member] = _scan_member(path, fp, zf.getinfo(member))
            facts = {name: f for name, f in scanned.items() if f is not None}
            for name, sheet_facts in facts.items():
                if sheet_facts.cells > MAX_SHEET_CELLS:
                    # The fast pass may bound the columns by 26: measure exactly before refusing.
                    exact = _scan_member(path, fp, zf.getinfo(name), exact=True)
                    facts[name] = exact or sheet_facts
    for member, sheet_facts in facts.items():
        if sheet_facts.cells > MAX_SHEET_CELLS:
            sheet = next((n for n, m, _ in sheets if m == member), member)
            used = sheet_facts.used_range
            raise _refuse(
                path,
                f"sheet {sheet} spans {used} ({sheet_facts.cells:,} cells), above "
                f"the limit of {MAX_SHEET_CELLS:,}",
                "workbook-too-large",
                sheet=sheet,
                range=used,
                cells=f"{sheet_facts.cells:,}",
                limit=f"{MAX_SHEET_CELLS:,}",
            )
    result = []
    for name, member, state in sheets:
        found = facts.get(member) or SheetFacts(member)
        found.name, found.state = name, state
        result.append(found)
    return WorkbookInfo(str(path), result)


# --- isolation -------------------------------------------------------------------------------

T = TypeVar("T")
_BOOT = "from qsync.readers.guard import _worker_main; _worker_main()"
_LENGTH = struct.Struct("<Q")
_PRELOAD = ("polars", "fastexcel")  # imported by the worker while the parent checks the file


class _WorkerGone(Exception):
    """The worker closed its pipe (it died) before answering."""


def _frame(obj: object) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


class _Worker:
    """One reader process, reused across files until something goes wrong in it."""

    def __init__(self) -> None:
        import qsync

        root = str(Path(qsync.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        # Fewer threads and malloc arenas: each reserves address space that RLIMIT_AS counts.
        env.setdefault("POLARS_MAX_THREADS", str(min(4, os.cpu_count() or 1)))
        env.setdefault("MALLOC_ARENA_MAX", "2")
        env["RUST_BACKTRACE"] = "0"  # one line saying why, not 50 lines of frames
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the worker)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
            close_fds=True,
        )
        os.set_blocking(self.proc.stdin.fileno(), False)  # type: ignore[union-attr]
        self.pending = _frame(("init", list(sys.path)))

    def exchange(self, request: object, deadline: float) -> Any:
        """Send one request and wait for its answer until ``deadline`` (monotonic)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        out = self.pending + _frame(request)
        self.pending = b""
        answer = bytearray()
        needed: int | None = None
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            if out:
                selector.register(self.proc.stdin, selectors.EVENT_WRITE)
            while needed is None or len(answer) < needed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                for key, _ in selector.select(remaining):
                    if key.fileobj is self.proc.stdin:
                        try:
                            sent = os.write(self.proc.stdin.fileno(), out)
                        except BrokenPipeError:
                            raise _WorkerGone from None
                        out = out[sent:]
                        if not out:
                            selector.unregister(self.proc.stdin)
                        continue
                    chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
                    if not chunk:
                        raise _WorkerGone
                    answer += chunk
                    if needed is None and len(answer) >= _LENGTH.size:
                        needed = _LENGTH.size + _LENGTH.unpack_from(answer)[0]
        return pickle.loads(answer[_LENGTH.size :])

    def stop(self) -> str:
        """Kill the worker; the tail of what it wrote to stderr."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.stderr.seek(0, os.SEEK_END)
        self.stderr.seek(max(0, self.stderr.tell() - 2000))
        tail = self.stderr.read().decode("utf-8", "replace")
        self.stderr.close()
        return tail

    def close(self) -> None:
        """Ask the worker to exit (end of its input) and wait for it."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


_lock = threading.Lock()
_worker: _Worker | None = None


def start_worker() -> None:
    """Start the reader worker now, so its start-up overlaps the caller's own checks."""
    global _worker
    with _lock:
        if _worker is None or _worker.proc.poll() is not None:
            _worker = _Worker()


def shutdown_worker() -> None:
    """Stop the reader worker if one is running (also done at exit)."""
    global _worker
    with _lock:
        if _worker is not None:
            _worker.close()
            _worker = None


atexit.register(shutdown_worker)


def _crashed(location: str | None, reason: str, message: str, tail: str = "") -> SupplierFileError:
    return SupplierFileError(
        f"the reader stopped: {message}",
        reference="reader-crashed",
        location=location,
        note="qsync stopped reading this file to protect itself; the file is probably hostile "
        "or far larger than a supplier submission.",
        hint="Open the file in Excel, check it, save it as a new .xlsx and send that.",
        details=[line for line in tail.splitlines()[-5:] if line.strip()],
        params={"reason": reason},
    )


def run_isolated(
    func: Callable[..., T],
    *args: Any,
    memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    location: str | None = None,
) -> T:
    """Call ``func(*args)`` in a worker process with a memory limit and a timeout.

    ``func`` must be importable by name (a module-level function) and ``args`` and its result
    picklable. A :class:`~qsync.errors.QsyncError` raised by ``func`` is re-raised here. An
    abort, a ``MemoryError``, any other exception or a timeout raises
    :class:`SupplierFileError` with reference ``reader-crashed`` (``params["reason"]`` is
    ``memory``, ``timeout`` or ``crash``) located at ``location``. The worker is reused for
    the next call unless something went wrong in it.

    >>> run_isolated(divmod, 7, 2)
    (3, 1)
    """
    global _worker
    limit = memory_limit_mb * 2**20 if memory_limit_mb else None
    with _lock:
        worker = _worker if _worker is not None and _worker.proc.poll() is None else None
        worker = _worker = worker or _Worker()
        try:
            status, payload = worker.exchange(
                ("call", func, args, limit), time.monotonic() + timeout_s
            )
        except TimeoutError:
            _worker = None
            worker.stop()
            raise _crashed(location, "timeout", f"no result after {timeout_s:g} s") from None
        except (_WorkerGone, OSError, pickle.UnpicklingError, EOFError):
            _worker = None
            tail = worker.stop()
            code = worker.proc.returncode
            raise _crashed(
                location, "crash", f"the reader process died (exit {code})", tail
            ) from None
        except BaseException:  # interrupted mid-request: its answer must not reach the next
            _worker = None
            worker.stop()
            raise
        if status == "ok":
            return payload
        if status == "qsync-error":
            cls, values = payload
            raise cls(**values)
        _worker = None
        worker.stop()
        if status == "memory":
            raise _crashed(location, "memory", f"out of memory (limit {memory_limit_mb} MiB)")
        raise _crashed(location, "crash", "the reader failed", payload)


def _worker_main() -> None:
    """Body of the worker process: answer framed pickled requests on stdin until EOF."""
    import resource
    import traceback

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() must not corrupt the answers
    for module in _PRELOAD:
        with contextlib.suppress(ImportError):
            __import__(module)
    inp = sys.stdin.buffer
    while True:
        header = inp.read(_LENGTH.size)
        if len(header) < _LENGTH.size:
            return
        request = pickle.loads(inp.read(_LENGTH.unpack(header)[0]))
        if request[0] == "init":
            sys.path[:] = request[1]
            continue
        _, func, args, limit = request
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if limit:
            capped = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (capped, hard))
        answer: tuple[str, Any]
        try:
            answer = ("ok", func(*args))
        except QsyncError as exc:
            values = {f.name: getattr(exc, f.name) for f in fields(exc)}
            answer = ("qsync-error", (type(exc), values))
        except MemoryError:
            answer = ("memory", None)
        except Exception:
            answer = ("crash", traceback.format_exc(limit=-8))
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        try:
            framed = _frame(answer)
        except Exception:
            answer = ("crash", traceback.format_exc(limit=-8))
            framed = _frame(answer)
        out.write(framed)
        out.flush()
        if answer[0] in ("memory", "crash"):
            return
