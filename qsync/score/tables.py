"""Input tables of scoring: one Polars LazyFrame per canonical table, any of them missing.

The store hands scoring a mapping ``{"inspections": LazyFrame, "deliveries": ...}`` whose
columns are the canonical names of ``rules/specs/<table>.yaml``. A table that is absent means
"no data" for the metrics built on it. Optional spec columns that a frame lacks are read as
nulls; a frame without a required column is refused. The store's provenance columns
(``_submission``, ``_file``, ``_sheet``, ``_page``, ``_row``, ``_received_at``) are optional
everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from qsync.errors import StoreError

Tables = Mapping[str, pl.LazyFrame | pl.DataFrame]
PROVENANCE: tuple[str, ...] = ("_submission", "_file", "_sheet", "_page", "_row", "_received_at")

_S, _I, _F, _D = pl.String(), pl.Int64(), pl.Float64(), pl.Date()

# Columns scoring reads: (required, optional), with their Polars types.
COLUMNS: dict[str, tuple[dict[str, pl.DataType], dict[str, pl.DataType]]] = {
    "inspections": (
        {
            "supplier_id": _S,
            "part_no": _S,
            "lot_id": _S,
            "received_date": _D,
            "qty_received": _I,
            "defects": _I,
            "decision": _S,
        },
        {"inspection_date": _D, "cpk": _F},
    ),
    "deliveries": (
        {"supplier_id": _S, "part_no": _S, "promised_date": _D, "delivered_date": _D},
        {"po_no": _S, "po_line": _I, "lot_id": _S},
    ),
    "measurements": (
        {
            "supplier_id": _S,
            "part_no": _S,
            "lot_id": _S,
            "characteristic": _S,
            "subgroup": _I,
            "sample_no": _I,
            "value": _F,
        },
        {},
    ),
    "parts": (
        {"part_no": _S, "characteristic": _S, "material_class": _S},
        {"lsl": _F, "usl": _F},
    ),
    "complaints": (
        {"complaint_id": _S, "received_date": _D, "status": _S},
        {"supplier_id": _S, "containment_date": _D, "closed_date": _D},
    ),
    "audits": (
        {"audit_id": _S, "supplier_id": _S, "audit_date": _D, "audit_type": _S, "score": _F},
        {"next_audit_due": _D},
    ),
    "price_reductions": (
        {"supplier_id": _S, "part_no": _S, "year": _I, "period": _S, "target_pct": _F},
        {"achieved_pct": _F},
    ),
    "ppap": (
        {"ppap_id": _S, "supplier_id": _S, "part_no": _S, "submitted_date": _D, "status": _S},
        {"approved_date": _D},
    ),
    "certificates": (
        {"supplier_id": _S, "cert_type": _S, "cert_no": _S, "expiry_date": _D},
        {"issued_date": _D},
    ),
    "esg": (
        {"supplier_id": _S, "period": _S},
        {
            "energy_kwh": _F,
            "co2_t": _F,
            "water_m3": _F,
            "waste_t": _F,
            "recycled_pct": _F,
            "incidents": _I,
        },
    ),
}


def get_table(tables: Tables, name: str) -> pl.LazyFrame | None:
    """The table ``name`` as a LazyFrame with every column scoring reads, or None if absent.

    Missing optional columns are added as typed nulls; a missing required column is a
    :class:`~qsync.errors.StoreError`.

    >>> esg = pl.DataFrame({"supplier_id": ["S0001"], "period": ["2026-10"]})
    >>> get_table({"esg": esg}, "esg").collect_schema()["incidents"]
    Int64
    """
    frame = tables.get(name)
    if frame is None:
        return None
    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    required, optional = COLUMNS[name]
    present = set(lazy.collect_schema().names())
    missing = [c for c in required if c not in present]
    if missing:
        raise StoreError(
            f"table '{name}' has no column {', '.join(repr(c) for c in missing)}",
            hint="The store's tables must carry the canonical columns of rules/specs.",
        )
    extra = [pl.lit(None, dtype).alias(c) for c, dtype in optional.items() if c not in present]
    return lazy.with_columns(extra) if extra else lazy


def provenance_columns(lf: pl.LazyFrame) -> list[str]:
    """The store's provenance columns present in ``lf``."""
    names = set(lf.collect_schema().names())
    return [c for c in PROVENANCE if c in names]
