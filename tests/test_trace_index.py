"""The trace index encoding: lookup parts answer exactly what a row's JSON said, in both the
dictionary and the text encoding of a column; string tables and raw column copies are exact.

The reference for a lookup is the row as ``struct.json_encode`` writes it (what the parts held
before they became columnar), read back with ``json.loads``.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from qsync.trace import build
from qsync.trace.arrowc import to_array
from qsync.trace.build import LAYOUT, build_lookup, string_table
from qsync.trace.graph import Lookup
from qsync.trace.index import is_stale, part_path, rebuild_index
from qsync.trace.packfile import Pack, write_pack

KEY = "lot_id"
COLUMNS = ["supplier_id", "cpk", "received_date", "qty_received", "inspected_at", "urgent"]
TABLE = pl.DataFrame(
    {
        "lot_id": ["L2", "批次-1", None, "L1", "L2", "Lé", "L2"],
        "supplier_id": ["S1", '供应商 "甲"', "S9", None, "S1", "S1", "S2"],
        "cpk": [1.5, -0.0, 3.0, float("nan"), 0.0, None, 1.5],
        "received_date": [date(2026, 9, 28)] * 6 + [None],
        "qty_received": [100, 5, 7, None, 100, 2**40, 100],
        "inspected_at": [datetime(2026, 9, 29, 8, 15, 0, 6)] * 7,
        "urgent": [False, True, None, False, False, False, True],
        "ignored": ["x"] * 7,
    }
)


def part(table: Path, *, key: str = KEY, columns: list[str] = COLUMNS) -> tuple[Lookup, Any]:
    """Build, write and open the lookup part of the Delta table at ``table``."""
    built = build_lookup(table, 0, name="inspections", key=key, columns=columns)
    target = table.with_suffix(".pack")
    write_pack(target, built.meta, built.sections)
    return Lookup(Pack.open(target)), built


def row_json(frame: pl.DataFrame, key: str, columns: list[str]) -> dict[str, list[Any]]:
    """The reference: each key's rows as ``json.loads`` of the row's ``struct.json_encode``."""
    floats = [c for c in columns if frame.schema[c] in (pl.Float32, pl.Float64)]
    encoded = (
        frame.filter(pl.col(key).is_not_null())
        .with_columns(pl.col(floats).fill_nan(None))
        .select(pl.col(key).cast(pl.String), pl.struct(columns).struct.json_encode().alias("j"))
    )
    rows: dict[str, list[Any]] = {}
    for value, text in encoded.iter_rows():
        rows.setdefault(value, []).append(json.loads(text))
    return rows


@pytest.mark.parametrize("share", [0.0, 2.0], ids=["text", "dictionary"])
def test_lookup_rows_are_the_rows_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    monkeypatch.setattr(build, "DICTIONARY_SHARE", share)
    TABLE.write_delta(tmp_path / "inspections")
    lookup, built = part(tmp_path / "inspections")
    coded = {name for name in COLUMNS if f"col.{name}.codes" in built.sections}
    assert coded == (set(COLUMNS) if share else set())
    assert lookup.keys.all() == ["L1", "L2", "Lé", "批次-1"]  # UTF-8 byte order
    assert (built.meta["rows"], built.meta["records"]) == (4, 6)
    assert lookup.rows("L2") == [
        {"supplier_id": "S1", "cpk": 1.5, "received_date": "2026-09-28", "qty_received": 100,
         "inspected_at": "2026-09-29 08:15:00.000006", "urgent": False},
        {"supplier_id": "S1", "cpk": 0.0, "received_date": "2026-09-28", "qty_received": 100,
         "inspected_at": "2026-09-29 08:15:00.000006", "urgent": False},
        {"supplier_id": "S2", "cpk": 1.5, "received_date": None, "qty_received": 100,
         "inspected_at": "2026-09-29 08:15:00.000006", "urgent": True},
    ]  # fmt: skip
    [chinese] = lookup.rows("批次-1")
    assert chinese["supplier_id"] == '供应商 "甲"'
    assert math.copysign(1.0, chinese["cpk"]) == -1.0  # -0.0 stays -0.0, though -0.0 == 0.0
    assert lookup.rows("L1")[0]["cpk"] is None  # NaN, as before
    assert lookup.rows("Lé")[0]["qty_received"] == 2**40
    assert lookup.rows("L9") == [] and "L9" not in lookup and "L2" in lookup
    assert {k: lookup.rows(k) for k in lookup.keys.all()} == row_json(TABLE, KEY, COLUMNS)


def test_lookup_of_many_rows_matches_the_rows_json(tmp_path: Path) -> None:
    n = 5_000
    frame = pl.select(
        lot_id=pl.format("L-{}", pl.int_range(n) % 3_100),
        supplier_id=pl.format("供应商{}", pl.int_range(n).hash(1) % 40),
        cpk=pl.when(pl.int_range(n) % 97 == 0)
        .then(None)
        .otherwise((pl.int_range(n).hash(2) % 300).cast(pl.Float64) / 100 - 1),
        received_date=pl.date(2026, 1, 1) + pl.duration(days=pl.int_range(n) % 200),
        qty_received=pl.int_range(n).hash(3) % 100_000,  # mostly distinct: kept as text
    )
    frame.write_delta(tmp_path / "inspections")
    columns = ["supplier_id", "cpk", "received_date", "qty_received"]
    lookup, built = part(tmp_path / "inspections", columns=columns)
    assert "col.supplier_id.codes" in built.sections
    assert "col.qty_received.codes" not in built.sections
    assert {k: lookup.rows(k) for k in lookup.keys.all()} == row_json(frame, KEY, columns)


def test_unique_keys_need_no_row_starts(tmp_path: Path) -> None:
    TABLE.filter(pl.col(KEY) != "L2").write_delta(tmp_path / "inspections")
    lookup, built = part(tmp_path / "inspections")
    assert "rows.start" not in built.sections
    assert [len(lookup.rows(k)) for k in lookup.keys.all()] == [1, 1, 1]


def test_lookup_of_an_empty_or_absent_table_has_no_keys(tmp_path: Path) -> None:
    TABLE.clear().write_delta(tmp_path / "inspections")
    empty, built = part(tmp_path / "inspections")
    assert (empty.keys.all(), empty.rows("L1"), built.meta["rows"]) == ([], [], 0)
    absent = build_lookup(tmp_path / "none", None, name="x", key=KEY, columns=COLUMNS)
    write_pack(tmp_path / "none.pack", absent.meta, absent.sections)
    lookup = Lookup(Pack.open(tmp_path / "none.pack"))
    assert (lookup.keys.all(), lookup.rows("L1"), "L1" in lookup) == ([], [], False)


def test_a_part_of_the_previous_layout_is_rebuilt(tmp_path: Path) -> None:
    store = tmp_path / "store"
    TABLE.write_delta(store / "inspections")
    rebuild_index(store, ["inspections"])
    assert not is_stale(store, "inspections")
    write_pack(part_path(store, "inspections"), {"layout": LAYOUT - 1, "version": 0}, {})
    assert is_stale(store, "inspections")


def test_string_table_offsets_count_utf8_bytes() -> None:
    sections = string_table("keys", pl.Series(["A1", "", "批次", "é"]))
    assert sections["keys.offsets"].tolist() == [0, 2, 2, 8, 10]  # type: ignore[union-attr]
    assert sections["keys.blob"] == "A1批次é".encode()
    with pytest.raises(ValueError, match="nulls"):
        string_table("keys", pl.Series(["A1", None]))


def test_to_array_copies_every_chunk_exactly() -> None:
    values = pl.Series([-(2**63), -1, 0, 7, 2**63 - 1], dtype=pl.Int64)
    chunked = pl.concat([values.slice(1, 3), values], rechunk=False)
    assert chunked.n_chunks() == 2
    assert to_array(chunked, "q").tolist() == [-1, 0, 7, *values.to_list()]
    assert to_array(pl.Series([0.5, -0.0, math.inf]), "d").tolist() == [0.5, -0.0, math.inf]
    assert to_array(pl.Series([-128, 127], dtype=pl.Int8), "b").tolist() == [-128, 127]
    assert to_array(pl.Series([], dtype=pl.Int32), "i").tolist() == []


@pytest.mark.parametrize(
    ("series", "typecode", "message"),
    [
        (pl.Series([1, None]), "q", "without nulls"),
        (pl.Series([1]), "i", "format"),
        (pl.Series(["a"]), "q", "format"),
    ],
)
def test_to_array_refuses_what_it_cannot_read_exactly(
    series: pl.Series, typecode: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        to_array(series, typecode)
