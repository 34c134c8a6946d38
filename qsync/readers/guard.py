"""Checks a workbook must pass before any reader touches it.

calamine (under fastexcel) builds a dense grid, so a 5 KB workbook with one cell at A1 and one
at XFD1048576 asks for 512 GiB and aborts the process; a zip bomb takes gigabytes; an XML
``DOCTYPE`` is the door to entity expansion. :func:`check_workbook` refuses such files using
the zip's central directory and one streaming pass over its XML parts that holds a few MiB at
most. On the way it records what the reader needs from the sheet XML and fastexcel does not
expose: merged ranges, hidden rows, formulas without a cached value, error cells (the scan of
a worksheet's XML is :mod:`qsync.readers.sheetscan`).

Whatever still goes wrong inside a reader is contained by :func:`run_isolated`
(:mod:`qsync.readers.isolate`, re-exported here): the reader runs in a worker process with an
address-space limit and a timeout, so an abort, a ``MemoryError`` or a hang becomes a
:class:`SupplierFileError` naming the file, never a dead qsync.
"""

from __future__ import annotations

import codecs
import contextlib
import posixpath
import queue
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from qsync.errors import SupplierFileError
from qsync.readers.isolate import (
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_TIMEOUT_S,
    run_isolated,
    shutdown_worker,
    start_worker,
)
from qsync.readers.sheetscan import (
    MAX_FACTS,
    MAX_PENDING,
    SheetFacts,
    SheetScan,
    column_letter,
    row_end_in,
    split_ref,
    stretch_end,
    utf16,
    worksheet_prefix,
)

__all__ = [
    "DEFAULT_MEMORY_LIMIT_MB",
    "DEFAULT_TIMEOUT_S",
    "MAX_FACTS",
    "SheetFacts",
    "WorkbookInfo",
    "check_workbook",
    "column_letter",
    "run_isolated",
    "shutdown_worker",
    "split_ref",
    "start_worker",
]

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

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_BINARY_SUFFIXES = (
    *(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf"),
    *(".bin", ".wdp", ".jfif", ".svg", ".ico"),
)
_CHUNK = 1 << 20
_ENTITY_DECL = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_READ_AHEAD_ABOVE = 8 << 20
"""Members this large (uncompressed) are inflated on a thread ahead of the scan."""
_FAST_REGEX_ABOVE = 4 << 20
"""Worksheets this large check their cell references with polars' regex engine."""


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


class _ReadAhead:
    """Chunks of an iterator produced on a thread, a few ahead of their consumer.

    zlib and file reads release the GIL, so a large member inflates while the scan of the
    previous chunk runs. Exceptions reach the consumer in order; :meth:`close` stops the
    thread (the iterator is not touched after it returns).
    """

    _END = object()

    def __init__(self, chunks: Iterator[bytes], depth: int = 3) -> None:
        self.chunks = chunks
        self.queue: queue.Queue[Any] = queue.Queue(depth)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._produce, daemon=True)
        self.thread.start()

    def _put(self, item: Any) -> bool:
        while not self.stopped.is_set():
            with contextlib.suppress(queue.Full):
                self.queue.put(item, timeout=0.05)
                return True
        return False

    def _produce(self) -> None:
        try:
            for chunk in self.chunks:
                if not self._put(chunk):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put((self._END, exc))
            return
        self._put((self._END, None))

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self.queue.get()
            if type(item) is tuple and item[0] is self._END:
                if item[1] is not None:
                    raise item[1]
                return
            yield item

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.chunks.close()  # type: ignore[attr-defined]


def _scan_member(
    path: Path, fp: BinaryIO, info: zipfile.ZipInfo, *, exact: bool = False
) -> SheetFacts | None:
    """Refuse DTDs and entities; a worksheet's facts. Holds a few MiB at most.

    A large member is inflated on a thread of its own, a few chunks ahead of the scan (zlib
    releases the GIL).
    """
    chunks = _member_chunks(path, fp, info)
    if info.file_size < _READ_AHEAD_ABOVE:
        return _scan_chunks(path, info, chunks, exact=exact)
    ahead = _ReadAhead(chunks)
    try:
        return _scan_chunks(path, info, iter(ahead), exact=exact)
    finally:
        ahead.close()


def _scan_chunks(
    path: Path, info: zipfile.ZipInfo, chunks: Iterator[bytes], *, exact: bool
) -> SheetFacts | None:
    scan: SheetScan | None = None
    decoder: codecs.IncrementalDecoder | None = None
    pending = overlap = b""
    first = True
    for raw in chunks:
        if first:
            encoding = utf16(raw[:4])
            decoder = codecs.getincrementaldecoder(encoding)("replace") if encoding else None
        data = decoder.decode(raw).encode() if decoder is not None else raw
        # The declaration needs a "!": most parts have none, so the regex rarely runs.
        if (b"!" in data or b"!" in overlap) and _ENTITY_DECL.search(overlap + data):
            raise _refuse(
                path,
                f"part {info.filename} declares a DOCTYPE or XML entities",
                "xml-entities",
                member=info.filename,
            )
        if first:
            prefix = worksheet_prefix(data[:4096])
            fast = info.file_size >= _FAST_REGEX_ABOVE
            scan = (
                None
                if prefix is None
                else SheetScan(info.filename, prefix, exact=exact, fast_regex=fast)
            )
            first = False
        overlap = data[-32:]
        if scan is None:
            continue
        if len(pending) + len(data) > MAX_PENDING:  # a huge row: cut it at a cell end
            pending += data
            end = stretch_end(pending)
            if end:
                scan.feed(pending[:end])
                pending = pending[end:]
            continue
        cut = row_end_in(pending, data)  # one copy of the stretch, not two
        if cut < 0:
            pending += data
        else:
            scan.feed(b"".join((pending, memoryview(data)[:cut])))
            pending = data[cut:]
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
