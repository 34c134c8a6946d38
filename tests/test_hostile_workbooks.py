"""Hostile and broken workbooks: each is refused with its reference, at bounded memory.

The files are read by one subprocess (``read_excel`` with the inspections spec) that reports,
per file, the reference raised and its own peak RSS so far; the reader worker's peak comes
from ``RUSAGE_CHILDREN`` once it is stopped. The isolation tests at the end drive
:func:`run_isolated` into an abort, a ``MemoryError``, a timeout and calamine's dense-grid
abort.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from qsync.config import Workspace
from qsync.errors import SupplierFileError
from qsync.headers import AliasIndex
from qsync.readers import guard
from qsync.readers.excel import read_checked_workbook
from qsync.readers.guard import SheetFacts, WorkbookInfo, check_workbook, run_isolated
from qsync.spec import load_spec

PEAK_RSS_MB = 500
GROWTH_MB = 50  # over the runner's RSS after importing qsync and polars (about 250 MB)
SECRET = "TOP-SECRET-4f1c9e"
SHEET = "xl/worksheets/sheet1.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RUNNER = """
import json, resource, sys
from pathlib import Path
from qsync.errors import SupplierFileError
from qsync.headers import AliasIndex
from qsync.readers import guard
from qsync.readers.excel import read_excel
from qsync.spec import load_spec

def peak_mb():
    # VmHWM starts afresh at exec; ru_maxrss would carry pytest's size over from the fork.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

indexes = [AliasIndex.build(load_spec(Path(sys.argv[1])))]
results = {"baseline": {"rss_mb": peak_mb()}}
for name in sys.argv[2:]:
    try:
        tables = read_excel(Path(name), indexes)
        outcome = {"reference": None, "rows": sum(t.frame.height for t in tables)}
    except SupplierFileError as exc:
        outcome = {"reference": exc.reference, "params": {k: str(v) for k, v in exc.params.items()}}
    outcome["rss_mb"] = peak_mb()
    results[Path(name).name] = outcome
guard.shutdown_worker()
results["worker"] = {"rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
print(json.dumps(results))
"""


def sheet_xml(rows: str, dimension: str = "A1") -> bytes:
    body = f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData>'
    return f"<worksheet {NS}>{body}</worksheet>".encode()


def cell(ref: str, text: str, extra: str = "") -> str:
    return f'<c r="{ref}" t="inlineStr"{extra}><is><t>{text}</t></is></c>'


def base_parts(tmp: Path) -> dict[str, bytes]:
    """The members of a real one-sheet workbook written by openpyxl."""
    wb = openpyxl.Workbook()
    wb.active.append(["Lot No.", "Defects"])  # type: ignore[union-attr]
    wb.save(tmp / "base.xlsx")
    with zipfile.ZipFile(tmp / "base.xlsx") as zf:
        return {info.filename: zf.read(info.filename) for info in zf.infolist()}


def write_zip(path: Path, parts: dict[str, bytes], stored: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data, zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED)
    return path


def declare_sizes(path: Path, sizes: dict[str, int]) -> Path:
    """Patch the uncompressed sizes a zip declares (local and central headers): a zip may lie."""
    data = bytearray(path.read_bytes())
    for signature, offset, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        pos = data.find(signature)
        while pos >= 0:
            name_len = struct.unpack_from("<H", data, pos + (26 if name_at == 30 else 28))[0]
            name = data[pos + name_at : pos + name_at + name_len].decode()
            if name in sizes:
                struct.pack_into("<I", data, pos + offset, sizes[name])
            pos = data.find(signature, pos + 4)
    path.write_bytes(bytes(data))
    return path


def ole2(stream_name: str) -> bytes:
    """A minimal OLE2 compound file whose directory names one stream."""
    header = bytearray(512)
    header[:8] = guard.OLE_MAGIC
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<II", header, 0x2C, 1, 1)  # one FAT sector, directory at sector 1
    fat = bytearray(b"\xff" * 512)
    directory = bytearray(512)
    name = stream_name.encode("utf-16-le") + b"\x00\x00"
    directory[: len(name)] = name
    struct.pack_into("<H", directory, 64, len(name))
    return bytes(header + fat + directory)


def hostile_files(tmp: Path) -> dict[str, Path]:
    """Every hostile case, by name."""
    parts = base_parts(tmp)
    files: dict[str, Path] = {}

    def add(name: str, path_or_data: Path | bytes) -> None:
        if isinstance(path_or_data, bytes):
            (tmp / name).write_bytes(path_or_data)
            path_or_data = tmp / name
        files[name] = path_or_data

    add("csv_named.xlsx", b"Lot No.,Defects\nL1,0\n")
    add("pdf_named.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    add("empty.xlsx", b"")
    whole = write_zip(tmp / "whole.xlsx", parts).read_bytes()
    add("truncated.xlsx", whole[: len(whole) // 2])
    add("bomb_ratio.xlsx", write_zip(tmp / "bomb_ratio.xlsx", {**parts, SHEET: b" " * (8 << 20)}))
    # 201 parts each claiming 1 MiB (small parts are not ratio-checked): 201 MiB in all.
    many = {f"xl/pad{i}.xml": b"<a/>" for i in range(201)}
    total = write_zip(tmp / "bomb_total.xlsx", {**parts, **many})
    add("bomb_total.xlsx", declare_sizes(total, {name: 1 << 20 for name in many}))
    lying = write_zip(tmp / "bomb_lying.xlsx", {**parts, SHEET: sheet_xml(cell("A1", "x" * 5000))})
    add("bomb_lying.xlsx", declare_sizes(lying, {SHEET: 100}))
    secret = tmp / "secret.txt"
    secret.write_text(SECRET)
    dtd = f'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
    xxe = dtd.encode() + sheet_xml(f'<row r="1">{cell("A1", "&xxe;")}</row>')
    add("xxe.xlsx", write_zip(tmp / "xxe.xlsx", {**parts, SHEET: xxe}))
    utf16 = xxe.decode().replace('<?xml version="1.0"?>', "").encode("utf-16")
    add("xxe_utf16.xlsx", write_zip(tmp / "xxe_utf16.xlsx", {**parts, SHEET: utf16}))
    laughs = '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    workbook = laughs.encode() + parts["xl/workbook.xml"]
    add("laughs.xlsx", write_zip(tmp / "laughs.xlsx", {**parts, "xl/workbook.xml": workbook}))
    far = f'<row r="1">{cell("A1", "a")}</row><row r="1048576">{cell("XFD1048576", "b")}</row>'
    add("corner.xlsx", write_zip(tmp / "corner.xlsx", {**parts, SHEET: sheet_xml(far)}))
    styled = f'<row r="1">{cell("A1", "a")}</row><row r="1048576"><c r="XFD1048576" s="0"/></row>'
    add(
        "styled_corner.xlsx",
        write_zip(tmp / "styled_corner.xlsx", {**parts, SHEET: sheet_xml(styled)}),
    )
    hidden = f'<row r="1">{cell("A1", "a")}</row><row r="2">{cell("XFD1048576", "b")}</row>'
    add(
        "cell_outside_row.xlsx",
        write_zip(tmp / "cell_outside_row.xlsx", {**parts, SHEET: sheet_xml(hidden)}),
    )
    claimed = sheet_xml(
        f'<row r="1">{cell("A1", "Lot No.")}{cell("B1", "Defects")}</row>', "A1:XFD1048576"
    )
    add("dimension_only.xlsx", write_zip(tmp / "dimension_only.xlsx", {**parts, SHEET: claimed}))
    add("encrypted.xlsx", ole2("EncryptedPackage"))
    add("old.xls", ole2("Workbook"))
    add("old_renamed.xlsx", ole2("Workbook"))
    ods = {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<a/>"}
    add("sheet.ods", write_zip(tmp / "sheet.ods", ods, stored=("mimetype",)))
    add("ods_renamed.xlsx", write_zip(tmp / "ods_renamed.xlsx", ods, stored=("mimetype",)))
    docx = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}
    add("docx_renamed.xlsx", write_zip(tmp / "docx_renamed.xlsx", docx))
    return files


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory, shared_workspace: Workspace
) -> dict[str, dict[str, Any]]:
    """What reading each hostile file gave, from one subprocess (with its peak RSS)."""
    tmp = tmp_path_factory.mktemp("hostile")
    files = hostile_files(tmp)
    spec = shared_workspace.rules_dir / "specs" / "inspections.yaml"
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(spec), *map(str, files.values())],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert SECRET not in done.stdout + done.stderr
    results: dict[str, dict[str, Any]] = json.loads(done.stdout)
    return results


def refused(outcomes: dict[str, dict[str, Any]], name: str) -> tuple[str | None, dict[str, str]]:
    outcome = outcomes[name]
    assert outcome["rss_mb"] < PEAK_RSS_MB
    assert outcome["rss_mb"] - outcomes["baseline"]["rss_mb"] < GROWTH_MB
    assert outcomes["worker"]["rss_mb"] < PEAK_RSS_MB
    return outcome["reference"], outcome.get("params", {})


def test_hostile_csv_named_xlsx(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "csv_named.xlsx") == ("not-a-workbook", {"what": "text"})


def test_hostile_pdf_named_xlsx(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "pdf_named.xlsx") == ("not-a-workbook", {"what": "pdf"})


def test_hostile_empty_file(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "empty.xlsx") == ("empty-file", {})


def test_hostile_truncated_xlsx(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "truncated.xlsx") == ("truncated-workbook", {})


def test_hostile_zip_bomb_compression_ratio(outcomes: dict[str, dict[str, Any]]) -> None:
    reference, params = refused(outcomes, "bomb_ratio.xlsx")
    assert reference == "zip-bomb"
    assert params["member"] == SHEET and params["limit"] == "100"


def test_hostile_zip_bomb_total_size(outcomes: dict[str, dict[str, Any]]) -> None:
    reference, params = refused(outcomes, "bomb_total.xlsx")
    assert (reference, params["limit_mb"]) == ("workbook-unpacked-too-large", "200")


def test_hostile_zip_member_larger_than_declared(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "bomb_lying.xlsx") == ("truncated-workbook", {})


def test_hostile_external_entity_refused_unread(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "xxe.xlsx") == ("xml-entities", {"member": SHEET})
    assert SECRET not in json.dumps(outcomes)


def test_hostile_external_entity_in_utf16_refused(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "xxe_utf16.xlsx") == ("xml-entities", {"member": SHEET})


def test_hostile_billion_laughs_refused(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "laughs.xlsx") == ("xml-entities", {"member": "xl/workbook.xml"})


def test_hostile_cells_at_far_corners(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "corner.xlsx") == (
        "workbook-too-large",
        {
            "sheet": "Sheet",
            "range": "A1:XFD1048576",
            "cells": "17,179,869,184",
            "limit": "10,000,000",
        },
    )


def test_hostile_styled_empty_cell_at_far_corner(outcomes: dict[str, dict[str, Any]]) -> None:
    reference, params = refused(outcomes, "styled_corner.xlsx")
    assert (reference, params["range"]) == ("workbook-too-large", "A1:XFD1048576")


def test_hostile_cell_reference_outside_its_row(outcomes: dict[str, dict[str, Any]]) -> None:
    reference, params = refused(outcomes, "cell_outside_row.xlsx")
    assert (reference, params["range"]) == ("workbook-too-large", "A1:XFD1048576")


def test_hostile_dimension_claim_alone_is_read_safely(outcomes: dict[str, dict[str, Any]]) -> None:
    # calamine sizes its grid from the cells, not from <dimension>: the claim costs nothing.
    assert refused(outcomes, "dimension_only.xlsx") == (None, {})
    assert outcomes["dimension_only.xlsx"]["rows"] == 0


def test_hostile_encrypted_workbook(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "encrypted.xlsx") == ("encrypted-workbook", {})


def test_hostile_old_xls(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "old.xls") == ("old-xls", {})
    assert refused(outcomes, "old_renamed.xlsx") == ("old-xls", {})


def test_hostile_ods(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "sheet.ods") == ("unsupported-format", {"format": "ods"})
    assert refused(outcomes, "ods_renamed.xlsx") == ("unsupported-format", {"format": "ods"})


def test_hostile_zip_without_workbook(outcomes: dict[str, dict[str, Any]]) -> None:
    assert refused(outcomes, "docx_renamed.xlsx") == ("not-a-workbook", {"what": "zip"})


def test_hostile_refusal_messages_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(ole2("Workbook"))
    with pytest.raises(SupplierFileError) as caught:
        check_workbook(path)
    assert str(caught.value) == f"{path}: this is an old Excel .xls file"
    assert caught.value.hint == "Open it in Excel and save it as .xlsx (Excel Workbook)."


@pytest.mark.slow
def test_hostile_gigabyte_zip_bomb(tmp_path: Path) -> None:
    path = tmp_path / "gigabomb.xlsx"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open(SHEET, "w", force_zip64=True) as out,
    ):
        block = b"\0" * (1 << 24)
        for _ in range(64):
            out.write(block)
    assert path.stat().st_size < 2 << 20
    with pytest.raises(SupplierFileError) as caught:
        check_workbook(path)
    assert caught.value.reference == "zip-bomb"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 < PEAK_RSS_MB


# --- isolation ---------------------------------------------------------------------------


def crash(reference_holder: pytest.ExceptionInfo[SupplierFileError]) -> tuple[str, object]:
    return reference_holder.value.reference, reference_holder.value.params["reason"]


def test_isolated_result_comes_back_from_a_reused_worker() -> None:
    assert run_isolated(divmod, 7, 2) == (3, 1)
    worker_pid = run_isolated(os.getpid)
    assert worker_pid != os.getpid()
    assert run_isolated(os.getpid) == worker_pid


def test_isolated_supplier_error_crosses_the_process_boundary(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"Lot,Defects\n")
    with pytest.raises(SupplierFileError) as caught:
        run_isolated(check_workbook, path)
    assert (caught.value.reference, caught.value.params) == ("not-a-workbook", {"what": "text"})
    assert caught.value.location == str(path)


def test_isolated_abort_is_reader_crashed() -> None:
    with pytest.raises(SupplierFileError) as caught:
        run_isolated(os.abort, location="a.xlsx")
    assert crash(caught) == ("reader-crashed", "crash")
    assert str(caught.value).startswith("a.xlsx: the reader stopped")
    assert run_isolated(divmod, 1, 1) == (1, 0)  # a fresh worker takes over


def test_isolated_memory_error_is_reader_crashed() -> None:
    with pytest.raises(SupplierFileError) as caught:
        run_isolated(bytearray, 8 << 30, memory_limit_mb=2048)
    assert crash(caught) == ("reader-crashed", "memory")


def test_isolated_timeout_is_reader_crashed() -> None:
    start = time.monotonic()
    with pytest.raises(SupplierFileError) as caught:
        run_isolated(time.sleep, 60, timeout_s=1)
    assert crash(caught) == ("reader-crashed", "timeout")
    assert time.monotonic() - start < 10


def test_calamine_dense_grid_abort_is_contained(
    tmp_path: Path, shared_workspace: Workspace
) -> None:
    far = f'<row r="1">{cell("A1", "a")}</row><row r="1048576">{cell("XFD1048576", "b")}</row>'
    path = write_zip(tmp_path / "corner.xlsx", {**base_parts(tmp_path), SHEET: sheet_xml(far)})
    spec = load_spec(shared_workspace.rules_dir / "specs" / "inspections.yaml")
    unchecked = WorkbookInfo(str(path), [SheetFacts(SHEET, name="Sheet")])
    with pytest.raises(SupplierFileError) as caught:
        run_isolated(
            read_checked_workbook, path, [AliasIndex.build(spec)], unchecked, location=str(path)
        )
    assert crash(caught) == ("reader-crashed", "crash")
    assert any("memory allocation" in line for line in caught.value.details)


WORKER_PEAK = """
import resource
from qsync.errors import SupplierFileError
from qsync.readers import guard
try:
    guard.run_isolated(bytearray, 8 << 30, memory_limit_mb=2048)
except SupplierFileError as exc:
    print(exc.reference, exc.params["reason"])
guard.shutdown_worker()
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def test_isolated_worker_peak_memory_stays_bounded() -> None:
    # A fresh, small parent: a child's ru_maxrss starts from its parent's size at the fork.
    done = subprocess.run(
        [sys.executable, "-c", WORKER_PEAK], capture_output=True, text=True, check=True
    )
    verdict, peak = done.stdout.split("\n")[:2]
    assert verdict == "reader-crashed memory"
    assert float(peak) < PEAK_RSS_MB
