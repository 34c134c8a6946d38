"""Who the suppliers are (master data), and the store's tables narrowed to one supplier.

A supplier's scorecard is built from :func:`only_supplier` tables: every table is filtered to
that supplier before anything is computed, so the scorecard cannot show another supplier's
data, whatever a chart or a table does later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from qsync.score.tables import Tables

_SPLIT = re.compile(r"[;,，；\s]+")


@dataclass(frozen=True)
class Supplier:
    """A supplier from the suppliers table: names, language and quality e-mail addresses."""

    supplier_id: str
    name: str | None = None
    name_en: str | None = None
    lang: str | None = None
    quality_emails: tuple[str, ...] = ()

    def display_name(self, lang: str) -> str:
        """The name a reader of ``lang`` knows: the English name in English when there is one.

        >>> Supplier("S0007", "阿克米紧固件", "ACME Fasteners GmbH").display_name("en")
        'ACME Fasteners GmbH'
        """
        first, second = (self.name_en, self.name) if lang == "en" else (self.name, self.name_en)
        return first or second or ""


def read_suppliers(tables: Tables) -> dict[str, Supplier]:
    """Every supplier of the master data by id (empty without a suppliers table)."""
    frame = tables.get("suppliers")
    if frame is None:
        return {}
    lazy = frame.lazy()
    names = lazy.collect_schema().names()
    wanted = [c for c in ("supplier_id", "name", "name_en", "lang", "quality_email") if c in names]
    out: dict[str, Supplier] = {}
    for row in lazy.select(wanted).collect().iter_rows(named=True):
        emails = tuple(e for e in _SPLIT.split(row.get("quality_email") or "") if "@" in e)
        out[str(row["supplier_id"])] = Supplier(
            str(row["supplier_id"]), row.get("name"), row.get("name_en"), row.get("lang"), emails
        )
    return out


def only_supplier(tables: Tables, supplier_id: str) -> dict[str, pl.LazyFrame]:
    """The tables with only ``supplier_id``'s rows; a table without a supplier column is
    left out (it cannot be attributed, so it is not shown)."""
    out: dict[str, pl.LazyFrame] = {}
    for name, frame in tables.items():
        lazy = frame.lazy()
        if "supplier_id" in lazy.collect_schema().names():
            out[name] = lazy.filter(pl.col("supplier_id") == supplier_id)
    return out
