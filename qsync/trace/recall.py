"""Mock recall: the forward scope of a lot as a workbook, with an audit trail of the run.

IATF 16949 (and food-safety schemes) ask for periodic mock recalls: from one suspect supplier
lot, find every customer, delivery note and quantity, and every lot still in the plant, and
record when that was done and how long it took. :func:`mock_recall` runs the trace, writes the
workbook (customers, shipments, lots in the plant, every lot, and an audit sheet) and appends
one JSON line to ``<store>/trace_log.jsonl``.
"""

from __future__ import annotations

import getpass
import json
import platform
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsync.i18n import Catalogue
from qsync.trace.model import TraceDirection, TraceResult
from qsync.trace.query import trace
from qsync.trace.source import store_of
from qsync.trace.tree import decision_text

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from qsync.config import Workspace

LOG_FILE = "trace_log.jsonl"


@dataclass
class RecallRun:
    """A finished mock recall: the trace, the workbook written and the audit record logged."""

    result: TraceResult
    workbook: Path
    audit: dict[str, Any]


def mock_recall(
    where: Workspace | Path,
    lot: str | None,
    *,
    out_dir: Path,
    catalogue: Catalogue,
    complaint: str | None = None,
    direction: TraceDirection = "forward",
    max_depth: int | None = None,
) -> RecallRun:
    """Trace ``lot`` forward, write the recall workbook into ``out_dir`` and log the run.

    Example: ``mock_recall(ws, "L2610-0001", out_dir=Path("recall"), catalogue=cat).workbook``
    """
    if direction == "backward":
        raise ValueError("a mock recall traces forward (direction forward or both)")
    started_at = datetime.now().astimezone()
    clock = time.perf_counter()
    result = trace(where, lot, complaint=complaint, direction=direction, max_depth=max_depth)
    audit = _audit(result, started_at, time.perf_counter() - clock, store_of(where))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"mock_recall_{_safe(result.root)}_{started_at:%Y%m%d-%H%M%S}.xlsx"
    write_workbook(result, audit, catalogue, path)
    audit["total_seconds"] = round(time.perf_counter() - clock, 3)
    audit["workbook"] = str(path.resolve())
    append_log(store_of(where), audit)
    return RecallRun(result, path, audit)


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)[:60] or "lot"


def _audit(
    result: TraceResult, started_at: datetime, seconds: float, store: Path
) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        qsync_version = version("qsync")
    except PackageNotFoundError:  # running from a source tree that is not installed
        qsync_version = "unknown"
    return {
        "ran_at": started_at.isoformat(timespec="seconds"),
        "trace_seconds": round(seconds, 3),
        "root": result.root,
        "complaint": (result.complaint or {}).get("complaint_id"),
        "direction": result.direction,
        "max_depth": result.max_depth,
        "lots": len(result.lots),
        "in_plant": len(result.in_plant),
        "shipments": len(result.shipments),
        "customers": len(result.customers),
        "qty_shipped": sum(c.qty for c in result.customers),
        "genealogy_version": result.store.get("genealogy_version"),
        "index_rebuilt": result.store.get("index_rebuilt", []),
        "store": str(store.resolve()),
        "user": getpass.getuser(),
        "host": platform.node(),
        "qsync": qsync_version,
    }


def append_log(store: Path, audit: dict[str, Any]) -> Path:
    """Append ``audit`` as one JSON line to ``<store>/trace_log.jsonl`` (one write, O_APPEND)."""
    path = store / LOG_FILE
    line = json.dumps(audit, ensure_ascii=False) + "\n"
    with path.open("a", encoding="utf-8") as log:
        log.write(line)
    return path


def write_workbook(
    result: TraceResult, audit: dict[str, Any], catalogue: Catalogue, path: Path
) -> Path:
    """Write the recall workbook: customers, shipments, lots in the plant, lots, audit."""
    from openpyxl import Workbook

    t = _Words(catalogue)
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    _sheet(
        book.create_sheet(t("sheet-customers")),
        t.columns("col-customer", "col-qty", "col-shipments", "col-lots"),
        [[c.customer, c.qty, ", ".join(c.shipments), ", ".join(c.lots)] for c in result.customers],
    )
    _sheet(
        book.create_sheet(t("sheet-shipments")),
        t.columns(
            "col-shipment",
            "col-customer",
            "col-lot",
            "col-part",
            "col-qty",
            "col-shipped-date",
            "col-ship-to",
        ),
        [
            [s.shipment_id, s.customer, s.lot_id, s.part_no, s.qty, s.shipped_date, s.ship_to]
            for s in result.shipments
        ],
    )
    lots = {lot.lot_id: lot for lot in result.lots}
    _sheet(
        book.create_sheet(t("sheet-in-plant")),
        t.columns("col-lot", "col-part", "col-depth", "col-children"),
        [
            [name, lots[name].part_no, lots[name].depth, ", ".join(lots[name].children)]
            for name in result.in_plant
        ],
    )
    suppliers = {s.lot_id: s for s in result.supplier_lots}
    _sheet(
        book.create_sheet(t("sheet-lots")),
        t.columns(
            "col-lot",
            "col-depth",
            "col-part",
            "col-parents",
            "col-children",
            "col-supplier",
            "col-decision",
            "col-cpk",
        ),
        [
            [
                lot.lot_id,
                lot.depth,
                lot.part_no,
                ", ".join(lot.parents),
                ", ".join(lot.children),
                suppliers[lot.lot_id].supplier_id if lot.lot_id in suppliers else None,
                decision_text(catalogue, suppliers[lot.lot_id].decision)
                if lot.lot_id in suppliers
                else None,
                suppliers[lot.lot_id].cpk if lot.lot_id in suppliers else None,
            ]
            for lot in result.lots
        ],
    )
    _sheet(
        book.create_sheet(t("sheet-audit")),
        t.columns("col-item", "col-value"),
        [[t(f"audit-{key.replace('_', '-')}"), _cell(value)] for key, value in audit.items()],
    )
    book.save(path)
    return path


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return value


def _sheet(sheet: Worksheet, header: list[str], rows: list[list[Any]]) -> None:
    from qsync.xlsx import HEADER_FONT, column_letter, put_text

    for column, title in enumerate(header):
        put_text(sheet.cell(row=1, column=column + 1), title).font = HEADER_FONT
    widths = [len(title) + 2 for title in header]
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row):
            put_text(sheet.cell(row=number, column=column + 1), value)
            widths[column] = max(widths[column], min(len(str(value or "")) + 2, 60))
    for column, width in enumerate(widths):
        sheet.column_dimensions[column_letter(column)].width = width
    sheet.freeze_panes = "A2"


@dataclass
class _Words:
    catalogue: Catalogue

    def __call__(self, key: str) -> str:
        return self.catalogue.text("trace", key)

    def columns(self, *keys: str) -> list[str]:
        return [self(key) for key in keys]
