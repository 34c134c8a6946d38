"""Building the index parts from store tables with Polars (the only trace module that needs it).

The genealogy part is a compressed sparse row (CSR) graph over integer lot codes:

* ``lots``: every lot id of the table, sorted (a :mod:`~qsync.trace.strings` table); a lot's
  code is its position.
* ``edges``: one 40-byte record per genealogy row (:data:`EDGE_RECORD`), sorted by (parent
  code, child code) and in table order within a pair: parent and child codes, then
  ``work_order``, ``operator``, ``part_no``, ``parent_part_no`` as int32 codes into sorted
  dictionaries (``dict.<name>``, -1 for none), ``qty`` float64 (NaN for none) and
  ``consumed_at`` int64 microseconds (:data:`NO_TIME` for none). One record per edge keeps
  everything a query reads about an edge on one page.
* ``down.offsets`` (int64, lots + 1): the edges where lot *i* is the parent (what *i*
  consumed) are ``down.offsets[i]:down.offsets[i + 1]``.
* ``up.offsets`` and ``up.edges``: the edges where lot *i* is the child (who consumed it) are
  ``up.edges[up.offsets[i]:up.offsets[i + 1]]``.

A lookup part (inspections, shipments, complaints) maps a sorted key to the JSON rows of that
key. Both record the Delta version they were built from, which is how staleness is decided.
"""

from __future__ import annotations

import struct
import time
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsync.trace.source import scan_table
from qsync.trace.strings import encode_strings

if TYPE_CHECKING:
    import polars as pl

    from qsync.trace.packfile import Section

LAYOUT = 2
"""Version of what the parts hold; a part of another layout is stale."""
NO_TIME = -(2**63)
EDGE_TEXT = ("work_order", "operator", "part_no", "parent_part_no")
EDGE_RECORD = struct.Struct("=iiiiiidq")
"""parent, child, work_order, operator, part_no, parent_part_no, qty, consumed_at."""


@dataclass(frozen=True)
class BuildInfo:
    """What one part build did: which table and version, how many rows, how long."""

    table: str
    version: int | None
    rows: int
    seconds: float


@dataclass
class Built:
    """A part ready to write: its header metadata and its sections."""

    meta: dict[str, Any]
    sections: dict[str, Section]

    @property
    def info(self) -> BuildInfo:
        """The summary of this build."""
        meta = self.meta
        return BuildInfo(meta["table"], meta["version"], meta["rows"], meta["seconds"])


def _meta(table: str, version: int | None, rows: int, started: float) -> dict[str, Any]:
    return {
        "layout": LAYOUT,
        "table": table,
        "version": version,
        "rows": rows,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _ints(series: pl.Series, typecode: str) -> array[int]:
    return array(typecode, series.to_list())


def _columns(schema: pl.Schema, wanted: dict[str, pl.DataType]) -> list[pl.Expr]:
    """``wanted`` columns, cast; a column the table lacks is all null."""
    import polars as pl

    return [
        (pl.col(name).cast(dtype, strict=False) if name in schema else pl.lit(None, dtype)).alias(
            name
        )
        for name, dtype in wanted.items()
    ]


def _timestamps(schema: pl.Schema) -> pl.Expr:
    """``consumed_at`` as microseconds since the epoch, whatever type the table holds."""
    import polars as pl

    dtype = schema.get("consumed_at")
    column = pl.col("consumed_at")
    if dtype is None:
        return pl.lit(None, pl.Int64).alias("consumed_at")
    if dtype == pl.String:
        column = column.str.to_datetime(strict=False)
    elif dtype == pl.Date:
        column = column.cast(pl.Datetime("us"))
    return column.dt.epoch("us").alias("consumed_at")


def interleave(columns: list[array[int] | array[float]]) -> bytearray:
    """Columns of equal length as one array of records (row-major), in native byte order.

    Fields are int32, int64 or float64, each starting at a multiple of its own size, as in
    :data:`EDGE_RECORD`.

    >>> records = interleave([array("i", [1, 2]), array("i", [3, 4]), array("d", [0.5, 1.5])])
    >>> list(struct.iter_unpack("=iid", records))
    [(1, 3, 0.5), (2, 4, 1.5)]
    """
    width = sum(column.itemsize for column in columns)
    out = bytearray(width * len(columns[0]))
    start = 0
    for column in columns:
        size = column.itemsize
        assert start % size == 0 and width % size == 0, "misaligned record field"
        view = memoryview(out)
        step = slice(start // size, None, width // size)
        if column.typecode == "d":
            view.cast("d")[step] = column
        else:
            view.cast("q" if size == 8 else "i")[step] = column
        start += size
    return out


def _pair(high: str, low: str) -> pl.Expr:
    """One int64 sort key for two int32 codes: sorting on it sorts on (high, low)."""
    import polars as pl

    return pl.col(high).cast(pl.Int64) * 2**32 + pl.col(low).cast(pl.Int64)


def _codes(values: pl.Series, name: str) -> tuple[array[int], dict[str, array[int] | bytes]]:
    """Dictionary-encode a text column: int32 codes (-1 for null) and the sorted dictionary."""
    import polars as pl

    dictionary = values.drop_nulls().unique().sort()
    codes = dictionary.search_sorted(values).cast(pl.Int32)
    codes = pl.select(pl.when(values.is_null()).then(-1).otherwise(codes)).to_series()
    return _ints(codes, "i"), encode_strings(name, dictionary.to_list())


def build_genealogy(table: Path, version: int | None) -> Built:
    """The genealogy CSR part of ``table`` as of ``version``."""
    import polars as pl

    started = time.perf_counter()
    lf = scan_table(table, version)
    schema = lf.collect_schema()
    names = ("parent_lot", "child_lot", *EDGE_TEXT)
    wanted: dict[str, pl.DataType] = {name: pl.String() for name in names}
    wanted["qty_consumed"] = pl.Float64()
    frame = (
        lf.select(*_columns(schema, wanted), _timestamps(schema))
        .filter(pl.col("parent_lot").is_not_null() & pl.col("child_lot").is_not_null())
        .collect()
    )
    lots = pl.concat([frame["parent_lot"], frame["child_lot"]]).unique().sort()
    as_code = pl.Enum(lots)  # a hash lookup per row, codes in sorted order
    edges = frame.with_columns(
        parent=pl.col("parent_lot").cast(as_code).to_physical().cast(pl.Int32),
        child=pl.col("child_lot").cast(as_code).to_physical().cast(pl.Int32),
    ).sort(_pair("parent", "child"), maintain_order=True)
    boundaries = pl.int_range(0, len(lots) + 1, eager=True)
    up_key = pl.arg_sort_by(_pair("child", "parent"), maintain_order=True)
    up_order = edges.select(up_key).to_series()
    sections: dict[str, Section] = {
        **encode_strings("lots", lots.to_list()),
        "down.offsets": _ints(edges["parent"].search_sorted(boundaries, side="left"), "q"),
        "up.edges": _ints(up_order, "i"),
        "up.offsets": _ints(
            edges["child"].gather(up_order).search_sorted(boundaries, side="left"), "q"
        ),
    }
    fields: list[array[int] | array[float]] = [
        _ints(edges["parent"], "i"),
        _ints(edges["child"], "i"),
    ]
    for name in EDGE_TEXT:
        codes, dictionary = _codes(edges[name], f"dict.{name}")
        fields.append(codes)
        sections.update(dictionary)
    fields.append(array("d", edges["qty_consumed"].fill_null(float("nan")).to_list()))
    fields.append(_ints(edges["consumed_at"].fill_null(NO_TIME), "q"))
    sections["edges"] = interleave(fields)
    meta = _meta("genealogy", version, len(edges), started)
    meta["lots"] = len(lots)
    return Built(meta, sections)


def build_lookup(
    table: Path, version: int | None, *, name: str, key: str, columns: list[str]
) -> Built:
    """A lookup part: each ``key`` of the table → its rows (``columns``) as JSON."""
    import polars as pl

    started = time.perf_counter()
    if version is None:
        keys: list[str] = []
        rows: list[str] = []
    else:
        lf = scan_table(table, version)
        schema = lf.collect_schema()
        kept = [c for c in columns if c in schema and c != key]
        floats = [c for c in kept if schema[c] in (pl.Float32, pl.Float64)]
        grouped = (
            lf.select(pl.col(key).cast(pl.String), *kept)
            .filter(pl.col(key).is_not_null())
            .with_columns(pl.col(floats).fill_nan(None))
            .select(key, row=pl.struct(kept).struct.json_encode() if kept else pl.lit("{}"))
            .group_by(key, maintain_order=True)
            .agg(pl.format("[{}]", pl.col("row").str.join(",")).alias("rows"))
            .sort(key)
            .collect()
        )
        keys, rows = grouped[key].to_list(), grouped["rows"].to_list()
    sections: dict[str, Section] = {**encode_strings("keys", keys), **encode_strings("rows", rows)}
    return Built(_meta(name, version, len(keys), started), sections)
