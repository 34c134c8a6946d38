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

A lookup part (inspections, shipments, complaints) holds the rows that have a key, sorted by
key (in table order within a key), column by column:

* ``keys``: every key, sorted and unique (a string table); ``rows.start`` (int64, keys + 1):
  the rows of key *i* are ``rows.start[i]:rows.start[i + 1]``. Without ``rows.start`` (when
  every key has one row), row *i* is key *i*'s.
* per column (``meta["columns"]``, in order), the JSON text of each value as Polars'
  ``struct.json_encode`` writes it (NaN as ``null``), either dictionary-encoded, as
  ``col.<name>.codes`` (int8, int16 or int32 per row, -1 for null) into the string table
  ``col.<name>.values`` of the distinct values in order of first appearance, or, when most
  values are distinct, as ``col.<name>.values`` with one text per row.

Both kinds record the Delta version they were built from, which is how staleness is decided.
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

if TYPE_CHECKING:
    import polars as pl

    from qsync.trace.packfile import Section

LAYOUT = 3
"""Version of what the parts hold; a part of another layout is stale."""
NO_TIME = -(2**63)
EDGE_TEXT = ("work_order", "operator", "part_no", "parent_part_no")
EDGE_RECORD = struct.Struct("=iiiiiidq")
"""parent, child, work_order, operator, part_no, parent_part_no, qty, consumed_at."""
DICTIONARY_SHARE = 0.5
"""A lookup column with more distinct values than this share of its rows is stored as text."""
_TYPES = {"b": "Int8", "h": "Int16", "i": "Int32", "q": "Int64", "d": "Float64"}


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


def _array(series: pl.Series, typecode: str) -> array[Any]:
    """A numeric Series without nulls as an ``array(typecode)``, copied from its buffers."""
    import polars as pl

    from qsync.trace.arrowc import to_array

    return to_array(series.cast(getattr(pl, _TYPES[typecode])), typecode)


def string_table(name: str, values: pl.Series) -> dict[str, Section]:
    """Sections of a :class:`~qsync.trace.strings.StringTable` of ``values`` (kept in order).

    >>> import polars as pl
    >>> sections = string_table("lots", pl.Series(["A1", "B22", "é"]))
    >>> sections["lots.offsets"].tolist(), bytes(sections["lots.blob"])
    ([0, 2, 5, 7], b'A1B22\\xc3\\xa9')
    """
    import polars as pl

    if values.null_count():
        raise ValueError(f"string table {name} cannot hold nulls")
    ends = values.str.len_bytes().cast(pl.Int64).cum_sum()
    offsets = _array(pl.concat([pl.Series([0], dtype=pl.Int64), ends]), "q")
    blob: bytes = values.str.join("").cast(pl.Binary).item()  # UTF-8 already: no re-encoding
    return {f"{name}.offsets": offsets, f"{name}.blob": blob}


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


def _codes(values: pl.Series, name: str) -> tuple[array[Any], dict[str, Section]]:
    """Dictionary-encode a text column: int32 codes (-1 for null) and the sorted dictionary."""

    dictionary = values.drop_nulls().unique().sort()
    return _array(_positions(values, dictionary), "i"), string_table(name, dictionary)


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
    edges = frame.with_columns(  # a lot's code is its position among the sorted lots
        parent=_positions(frame["parent_lot"], lots),
        child=_positions(frame["child_lot"], lots),
    ).sort(_pair("parent", "child"), maintain_order=True)
    boundaries = pl.int_range(0, len(lots) + 1, eager=True)
    up_key = pl.arg_sort_by(_pair("child", "parent"), maintain_order=True)
    up_order = edges.select(up_key).to_series()
    sections: dict[str, Section] = {
        **string_table("lots", lots),
        "down.offsets": _array(edges["parent"].search_sorted(boundaries, side="left"), "q"),
        "up.edges": _array(up_order, "i"),
        "up.offsets": _array(
            edges["child"].gather(up_order).search_sorted(boundaries, side="left"), "q"
        ),
    }
    fields: list[array[int] | array[float]] = [
        _array(edges["parent"], "i"),
        _array(edges["child"], "i"),
    ]
    for name in EDGE_TEXT:
        codes, dictionary = _codes(edges[name], f"dict.{name}")
        fields.append(codes)
        sections.update(dictionary)
    fields.append(_array(edges["qty_consumed"].fill_null(float("nan")), "d"))
    fields.append(_array(edges["consumed_at"].fill_null(NO_TIME), "q"))
    sections["edges"] = interleave(fields)
    meta = _meta("genealogy", version, len(edges), started)
    meta["lots"] = len(lots)
    return Built(meta, sections)


def _json(values: pl.Series) -> pl.Series:
    """The JSON text of each of ``values``, as ``struct.json_encode`` writes it in a row."""
    import polars as pl

    encoded = pl.struct(pl.col("v")).struct.json_encode()
    return values.alias("v").to_frame().select(encoded.str.head(-1).str.slice(len('{"v":')))["v"]


def _identity(values: pl.Series) -> pl.Series:
    """What tells values apart in a dictionary: floats by their bits, because -0.0 equals 0.0
    but is written differently; other values as they are."""
    import polars as pl

    if values.dtype in (pl.Float32, pl.Float64):
        return values.reinterpret(dtype=pl.UInt32 if values.dtype == pl.Float32 else pl.UInt64)
    return values


def _codable(dtype: pl.DataType) -> bool:
    """Whether a lookup column of ``dtype`` may be dictionary-encoded (else it is kept as text)."""
    import polars as pl

    if dtype.is_decimal():
        return False
    return dtype.is_numeric() or dtype.is_temporal() or dtype in (pl.String, pl.Boolean)


def _distinct(values: pl.Series) -> int:
    """About how many distinct values ``values`` holds (HyperLogLog, a few ms per million)."""
    import polars as pl

    count: int = values.alias("v").to_frame().select(pl.col("v").approx_n_unique()).item()
    return count


def _positions(values: pl.Series, dictionary: pl.Series) -> pl.Series:
    """Where each of ``values`` is in ``dictionary`` (distinct, no nulls), as int32; -1 for
    null. A hash join: several times faster than a binary search of each string."""
    import polars as pl

    table = dictionary.to_frame("value").with_row_index("code")
    found = values.to_frame("value").join(table, on="value", how="left", maintain_order="left")
    return found["code"].cast(pl.Int32).fill_null(-1)


def _code_type(distinct: int) -> str:
    """The narrowest signed typecode for codes ``-1 .. distinct - 1``."""
    return "b" if distinct <= 2**7 else "h" if distinct <= 2**15 else "i"


def _dictionary(name: str, values: pl.Series) -> dict[str, Section]:
    """``values`` as a code per row (-1 for null) into the JSON texts of its distinct values."""
    ids = _identity(values)
    distinct = ids.unique(maintain_order=True).drop_nulls()
    texts = _json(distinct.reinterpret(dtype=values.dtype) if values.dtype.is_float() else distinct)
    codes = _array(_positions(ids, distinct), _code_type(len(distinct)))
    return {f"{name}.codes": codes, **string_table(f"{name}.values", texts)}


def _keyed_rows(table: Path, version: int | None, key: str, columns: list[str]) -> pl.DataFrame:
    """The rows with a ``key``: the key as text, then the ``columns`` the table has, sorted by
    key and in table order within a key."""
    import polars as pl

    if version is None:
        return pl.DataFrame(schema={key: pl.String})
    lf = scan_table(table, version)
    schema = lf.collect_schema()
    kept = [c for c in columns if c in schema and c != key]
    floats = [c for c in kept if schema[c] in (pl.Float32, pl.Float64)]
    frame = (
        lf.select(pl.col(key).cast(pl.String), *kept)
        .filter(pl.col(key).is_not_null())
        .with_columns(pl.col(floats).fill_nan(None))
        .collect(engine="in-memory")
    )
    # Tables are often written in key order already: checking is cheaper than sorting.
    return frame if frame[key].is_sorted() else frame.sort(key, maintain_order=True)


def _key_sections(keyed: pl.Series) -> tuple[int, dict[str, Section]]:
    """How many keys, and the sections of the sorted unique keys and of where the rows of each
    start (left out when every key has one row)."""
    import polars as pl

    first = (keyed != keyed.shift()).fill_null(True)
    keys = keyed.filter(first)
    sections = string_table("keys", keys)
    if len(keys) < len(keyed):
        ends = pl.Series([len(keyed)], dtype=pl.Int64)
        sections["rows.start"] = _array(pl.concat([first.arg_true().cast(pl.Int64), ends]), "q")
    return len(keys), sections


def _column(name: str, values: pl.Series) -> dict[str, Section]:
    """One lookup column: dictionary-encoded when it has few distinct values, else as text.

    The estimate of distinct values decides only the size of the part, never its answers.
    """
    if _codable(values.dtype) and _distinct(values) <= len(values) * DICTIONARY_SHARE:
        return _dictionary(f"col.{name}", values)
    return string_table(f"col.{name}.values", _json(values))


def build_lookup(
    table: Path, version: int | None, *, name: str, key: str, columns: list[str]
) -> Built:
    """A lookup part: each ``key`` of the table → its rows (``columns``), see the module doc."""
    from concurrent.futures import ThreadPoolExecutor  # not on the one-shot trace path

    started = time.perf_counter()
    frame = _keyed_rows(table, version, key, columns)
    values = frame.columns[1:]
    # Polars releases the GIL while it works: encoding columns side by side uses every core.
    with ThreadPoolExecutor(max_workers=3) as pool:
        keyed = pool.submit(_key_sections, frame[key])
        encoded = list(pool.map(_column, values, frame.get_columns()[1:]))
    keys, sections = keyed.result()
    for part in encoded:
        sections.update(part)
    meta = _meta(name, version, keys, started)
    meta.update(columns=values, records=frame.height)
    return Built(meta, sections)
