"""The fast path gives exactly what the slow path gives, cell for cell and issue for issue.

Checking a million-row CSV quickly relies on shortcuts (see ``qsync.normalise``,
``qsync.fastpath`` and ``qsync.validate``): one cheap parse per column with a slow pass only
on the cells it cannot read; that slow pass run once per distinct text; text cells compared
against ``"A"`` instead of a regex in files free of whitespace and full-width bytes; columns
parsed and checked in worker threads, pandera started early on the columns already final;
the line count taken by Polars; formula cells remembered instead of searched again.

None of that may show. These tests feed tricky cells (full-width digits, ``1,200``,
``98.5%``, dates in every supported style, enum aliases in other cases and widths, blank and
whitespace cells, formula text) through the fast path and through the plain slow path — the
per-cell parse applied to each cell alone, and the whole pipeline with every shortcut turned
off — and require identical typed values and issues. A future optimisation that changes a
result fails here.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qsync.normalise as normalise_module
import qsync.validate as validate_module
from qsync.fastpath import NOT_PLAIN, is_plain, sha256_and_plain
from qsync.headers import HeaderMatch
from qsync.normalise import _FAILURE_RULE, _TEXT_FLAG, normalise, parse_column
from qsync.readers.base import ROW, RawTable
from qsync.readers.csv import _count_records, _line_count
from qsync.spec import ColumnSpec, I18nText, Spec
from qsync.submission import check_file
from qsync.validate import _formula_issues, check_table

VALUES = {
    "accept": ["合格", "接收", "OK", "pass", "passed", "ACC"],
    "reject": ["不合格", "拒收", "NG", "fail", "REJ"],
    "conditional": ["特采", "让步接收", "conditional", "concession"],
}
SPEC = Spec(
    kind="perf",
    table="perf",
    title=I18nText(en="Performance check", zh="性能检查"),
    key=["lot"],
    columns={
        "lot": ColumnSpec(type="str", required=True, aliases=["批次号", "Lot"]),
        "code": ColumnSpec(type="str", pattern=r"^S\d{4}$", aliases=["供应商代码", "Code"]),
        "note": ColumnSpec(type="str", aliases=["备注", "Note"]),
        "qty": ColumnSpec(type="int", required=True, min=1, aliases=["数量", "Qty"]),
        "rate": ColumnSpec(type="float", unit="%", max=100, aliases=["合格率", "Rate"]),
        "share": ColumnSpec(type="float", aliases=["占比", "Share"]),
        "size": ColumnSpec(type="float", units={"mm": 1, "cm": 10}, aliases=["尺寸", "Size"]),
        "day": ColumnSpec(type="date", required=True, aliases=["日期", "Day"]),
        "at": ColumnSpec(type="datetime", aliases=["时间", "At"]),
        "result": ColumnSpec(type="enum", required=True, values=VALUES, aliases=["判定"]),
        "flag": ColumnSpec(type="bool", aliases=["标记", "Flag"]),
    },
)
HEADERS = {
    "lot": "批次号",
    "code": "供应商代码",
    "note": "备注",
    "qty": "数量",
    "rate": "合格率",
    "share": "占比",
    "size": "尺寸(cm)",
    "day": "日期",
    "at": "时间",
    "result": "判定",
    "flag": "标记",
}
BLANKS = ["", " ", "\u3000", "\t", " \u00a0 "]
FORMULAS = ["=SUM(A1)", "@x", "+A1", "-B2", "\tx", '=HYPERLINK("http://x","click")']
NUMBERS = [
    "1200", "1,200", "１２００", "１,２００", " 80 ", "0", "-1", "+5", "1.0", "1.5", "98.5%",
    "5 %", "1e3", "1,000.5", "１.５", "-0", ".5", "5.", "1_000", "0x10", "9" * 30, "1e309",
    "nan", "inf", "-inf", "N/A", "—", "=1+1", "12,34", "1,2345",
]  # fmt: skip
DATES = [
    "2026-10-05", "2026/10/5", "2026/10/05", "2026.10.05", "20261005", "5-Oct-2026",
    "5 Oct 2026", "Oct 5, 2026", "05.10.2026", "05/10/2026", "2026年10月5日",
    "2026 年 10 月 5 日", "２０２６-１０-０５", " 2026-10-05 ", "2026-1-5", "46300", "46300.7",
    "20000", "19999", "80001", "2026-13-45", "2026-02-30", "yesterday", "N/A",
]  # fmt: skip
DATETIMES = [
    "2026-10-05 08:00:00", "2026-10-05 08:00", "2026/10/05 08:00:00", "2026/10/05 08:00",
    "2026-10-05T08:00:00", "2026-10-05", "２０２６-10-05 08:00", "2026-10-32 08:00", "46300",
    "2026年10月5日", "08:00", "later",
]  # fmt: skip
RESULTS = [
    "合格", "不合格", "特采", "OK", "ok", "ＯＫ", "Ok.", " NG ", "ng。", "pass", "PASSED",
    "Ｐａｓｓ", "fail", "REJ", "让步接收", "Conditional", "ＣＯＮＤＩＴＩＯＮＡＬ", "concession.",
    "accept", "ACCEPT", "待定", "maybe",
]  # fmt: skip
FLAGS = [
    "是", "否", "TRUE", "false", "Y", "n", "1", "0", "√", "×", "✓", "✗", "T", "ｙｅｓ", "maybe",
]  # fmt: skip
TEXTS = [
    "S0042", " S0042", "S0042 ", "Ｓ００４２", "S００42", "s0042", "X12", "L1", "L2", "批次Ａ",
    "a\u3000b", "normal text", "P-1001",
]  # fmt: skip
TRICKY: dict[str, list[str]] = {
    "lot": TEXTS + FORMULAS,
    "code": TEXTS + FORMULAS,
    "note": TEXTS + FORMULAS + NUMBERS[:6],
    "qty": NUMBERS,
    "rate": NUMBERS,
    "share": NUMBERS,
    "size": NUMBERS,
    "day": DATES,
    "at": DATETIMES,
    "result": RESULTS,
    "flag": FLAGS,
}
FIELDS = list(HEADERS)


def _unit_factor(name: str) -> float:
    return 10.0 if name == "size" else 1.0


def _raw(columns: dict[str, list[str | None]]) -> tuple[RawTable, HeaderMatch]:
    """A raw table of text columns (in :data:`FIELDS` order) and its match to :data:`SPEC`."""
    names = [n for n in FIELDS if n in columns]
    height = len(columns[names[0]])
    frame = pl.DataFrame(
        {str(i): pl.Series(columns[n], dtype=pl.String) for i, n in enumerate(names)}
    ).with_columns(pl.int_range(2, height + 2, dtype=pl.Int64).alias(ROW))
    raw = RawTable("perf.csv", frame, [HEADERS[n] for n in names], "csv")
    units = {i: "cm" for i, n in enumerate(names) if n == "size"}
    return raw, HeaderMatch(SPEC, dict(enumerate(names)), units, [])


@contextmanager
def shortcuts(on: bool, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every shortcut taken even on tiny tables (``on``), or none taken at all."""
    with monkeypatch.context() as patch:
        never = 10**12
        patch.setattr(normalise_module, "_PARALLEL_ROWS", 1 if on else never)
        patch.setattr(validate_module, "_PARALLEL_ROWS", 1 if on else never)
        patch.setattr(normalise_module, "_DISTINCT_MIN", 1 if on else never)
        if not on:
            patch.setattr(normalise_module, "is_plain", lambda frame: False)
        yield


def _alone(cell: str | None, col: ColumnSpec, factor: float) -> tuple[Any, bool]:
    """The slow path on one cell by itself: (typed value, whether it is an issue)."""
    source = pl.Series([cell], dtype=pl.String)
    value = parse_column(source.clone(), col, factor)[0]
    if col.type == "str" or cell is None or value is not None:
        return value, False
    blank = source.str.strip_chars().str.len_chars()[0] == 0
    return None, not blank


def _issues(issues: list[Any]) -> list[tuple[Any, ...]]:
    return [(i.rule, i.row, i.field, i.column, i.value, i.severity, i.params) for i in issues]


@pytest.mark.parametrize("name", FIELDS)
def test_every_tricky_cell_reads_as_it_reads_alone(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    col = SPEC.columns[name]
    factor = _unit_factor(name)
    cells: list[str | None] = [*TRICKY[name], *BLANKS, None]
    # Long enough, and repetitive enough, for every shortcut of the fast path to apply.
    column = cells * 40
    random.Random(name).shuffle(column)
    raw, match = _raw({name: column})
    with shortcuts(True, monkeypatch):
        table = normalise(raw, match)
    alone = {cell: _alone(cell, col, factor) for cell in cells}
    got = table.frame[name].to_list()
    expected = [alone[cell][0] for cell in column]
    assert got == expected
    failures = [i for i in table.issues if i.rule == _FAILURE_RULE.get(col.type)]
    wanted = [(row, cell) for row, cell in enumerate(column, start=2) if alone[cell][1]]
    assert [(i.row, i.value) for i in failures] == wanted


@pytest.mark.parametrize("on", [True, False])
def test_normalise_matches_the_whole_column_slow_path(
    on: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(7)
    height = 3000
    columns: dict[str, list[str | None]] = {
        n: [rng.choice([*TRICKY[n], *BLANKS, None]) for _ in range(height)] for n in FIELDS
    }
    raw, match = _raw(columns)
    with shortcuts(on, monkeypatch):
        table = normalise(raw, match)
    for position, name in match.fields.items():
        col = SPEC.columns[name]
        source = raw.frame[str(position)].clone()
        parsed = parse_column(source, col, _unit_factor(name))
        bad = parsed.is_null() & source.is_not_null()
        blank = bad & (source.str.strip_chars().str.len_chars() == 0)
        parsed = pl.select(pl.when(~blank).then(parsed)).to_series()
        assert table.frame[name].to_list() == parsed.to_list(), name
        rows = raw.frame[ROW].filter(bad & ~blank).to_list()
        assert sorted(table.failed.get(name, ())) == rows, name


def _write(tmp_path: Path, name: str, rows: list[list[str]], newline: str = "\n") -> Path:
    def cell(value: str) -> str:
        if any(c in value for c in (",", '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [",".join(HEADERS[n] for n in FIELDS), *(",".join(map(cell, r)) for r in rows)]
    path = tmp_path / name
    path.write_bytes((newline.join(lines) + newline).encode())
    return path


def _checked(path: Path) -> tuple[dict[str, Any], list[Any], list[Any]]:
    result, tables, _ = check_file(path, {"perf": SPEC})
    frames = [
        (t.table.frame.to_dicts(), t.rejected.to_list(), sorted(t.table.failed.items()))
        for t in tables
    ]
    return result.to_dict(), _issues(result.issues), frames


def _rows(rng: random.Random, height: int, plain: bool) -> list[list[str]]:
    rows = []
    for i in range(height):
        row = []
        for name in FIELDS:
            choices = [*TRICKY[name], *BLANKS[:2]]
            if plain:
                choices = [c for c in choices if not any(b in c.encode() for b in NOT_PLAIN)]
            repeated_lot = name == "lot" and rng.random() < 0.7
            row.append(f"L{i // 3}" if repeated_lot else rng.choice(choices))
        rows.append(row)
    return rows


@pytest.mark.parametrize("plain", [True, False])
def test_check_file_gives_the_same_result_with_and_without_shortcuts(
    plain: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _rows(random.Random(11), 2500, plain)
    path = _write(tmp_path, "perf.csv", rows, "\n" if plain else "\r\n")
    with shortcuts(False, monkeypatch):
        slow = _checked(path)
    with shortcuts(True, monkeypatch):
        fast = _checked(path)
    assert fast == slow
    rules = {issue[0] for issue in fast[1]}
    assert {"formula-text", "duplicate-key", "not-an-integer", "not-a-date"} <= rules


PLAIN_ROW = ["L1", "S0042", "=x", "5", "1", "1", "2", "2026-10-05", "", "OK", "是"]


def test_a_plain_file_takes_the_prefix_shortcut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "plain.csv", [PLAIN_ROW])
    seen: list[bool] = []

    def spy(frame: pl.DataFrame) -> bool:
        seen.append(is_plain(frame))
        return seen[-1]

    monkeypatch.setattr(normalise_module, "is_plain", spy)
    result, _, _ = check_file(path, {"perf": SPEC})
    assert seen == [True]
    assert [i.rule for i in result.issues] == ["formula-text"]


TEXT_CELLS = st.one_of(
    st.sampled_from([c for cells in TRICKY.values() for c in cells] + BLANKS),
    st.text(alphabet=st.sampled_from('aZ09,.-+=@%"年月日Ｓ０\u3000 \t'), max_size=10),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(TEXT_CELLS, min_size=len(FIELDS), max_size=len(FIELDS)), max_size=40),
    crlf=st.booleans(),
)
def test_random_files_give_the_same_result_with_and_without_shortcuts(
    rows: list[list[str]], crlf: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "random.csv", rows, "\r\n" if crlf else "\n")
    with shortcuts(False, monkeypatch):
        slow = _checked(path)
    with shortcuts(True, monkeypatch):
        fast = _checked(path)
    assert fast == slow


def test_formula_hints_match_a_full_search(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    cells: dict[str, list[str | None]] = {
        n: [rng.choice([*TRICKY[n], *BLANKS]) for _ in range(2000)] for n in FIELDS
    }
    raw, match = _raw(cells)
    with shortcuts(True, monkeypatch):
        table = normalise(raw, match)
    hinted = _issues(_formula_issues(table))
    table.formula_rows = None
    assert hinted == _issues(_formula_issues(table)) and hinted
    assert _issues(check_table(table))  # the rest of the checks still run without the hint


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(
        st.sampled_from([b"a", b",", b'"', b"\n", b"\r", b"\r\n", b" ", b"\xe5\x90\x88", b""]),
        max_size=60,
    ).map(b"".join)
)
def test_the_parallel_line_count_is_the_python_line_count(data: bytes) -> None:
    assert _line_count(data) == _count_records(data, None)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), at=st.integers(0, 3))
def test_hash_and_plain_scan(data: bytes, at: int) -> None:
    # Blocks are 64 KiB: put the bytes at either side of a block boundary too.
    data = b"x" * (at * 32768) + data
    digest, plain = sha256_and_plain(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert plain == (not any(byte in data for byte in NOT_PLAIN))


PLAIN_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\n"),
    max_size=8,
).filter(lambda s: not any(b in s.encode() for b in NOT_PLAIN))


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(PLAIN_TEXT, min_size=1, max_size=20))
def test_in_plain_text_a_cell_needing_a_look_sorts_before_A(cells: list[str]) -> None:
    # The prefix shortcut of plain files: the regex can only match cells below "A".
    column = pl.Series(cells, dtype=pl.String)
    flagged = column.str.contains(_TEXT_FLAG)
    assert not (flagged & ~(column < "A")).any()


def test_a_frame_replaced_after_reading_is_not_plain(tmp_path: Path) -> None:
    from qsync.readers.csv import read_csv

    raw = read_csv(_write(tmp_path, "p.csv", [PLAIN_ROW]), lambda line: 1)
    assert is_plain(raw.frame)
    assert not is_plain(raw.frame.with_columns(pl.lit(" x").alias("0")))


def _repeats_by_hand(keys: list[tuple[Any, ...]], rows: list[int]) -> list[tuple[int, int]]:
    """(row, first row with the same key) for each row repeating an earlier key, by row."""
    first: dict[tuple[Any, ...], int] = {}
    found = []
    for row, key in sorted(zip(rows, keys, strict=True)):
        if any(part is None for part in key):
            continue
        if key in first:
            found.append((row, first[key]))
        else:
            first[key] = row
    return found


@settings(max_examples=300, deadline=None)
@given(
    lots=st.lists(
        st.one_of(st.none(), st.sampled_from(["L1", "L2", "L3", "L10", "M"])), max_size=30
    ),
    parts=st.lists(st.sampled_from(["P-1", "P-2"]), min_size=30, max_size=30),
    order=st.sampled_from(["rows", "lots", "shuffled"]),
    seed=st.integers(0, 1000),
)
def test_duplicate_keys_match_a_search_by_hand(
    lots: list[str | None], parts: list[str], order: str, seed: int
) -> None:
    # Every path of the duplicate finder (rows in order or not, a key listed in order or
    # not, one key column or two, keys with nulls) gives the repeats found by hand.
    from qsync.validate import _duplicate_keys

    rows = list(range(2, 2 + len(lots)))
    if order == "lots":
        lots = sorted(lots, key=lambda lot: (lot is not None, lot or ""))
    elif order == "shuffled":
        random.Random(seed).shuffle(rows)
    for key in (["lot"], ["lot", "part"]):
        frame = pl.DataFrame(
            {"lot": lots, "part": parts[: len(lots)], ROW: rows},
            schema={"lot": pl.String, "part": pl.String, ROW: pl.Int64},
        )
        keys = list(frame.select(key).iter_rows())
        found = _duplicate_keys(frame, key)
        got = [] if found is None else list(found.select(ROW, "_first").iter_rows())
        assert got == _repeats_by_hand(keys, rows)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.sampled_from([None, float("nan"), -0.0, 0.0, 1.5, float("inf"), -1.0]), max_size=25
    ),
    ordered=st.booleans(),
)
def test_duplicate_float_keys_match_a_search_by_hand(
    values: list[float | None], ordered: bool
) -> None:
    # Polars compares keys by total equality: NaN repeats NaN, and -0.0 repeats 0.0.
    from qsync.validate import _duplicate_keys

    if ordered:
        # Polars' order: NaN above every number (so the in-order branch runs).
        values = sorted(values, key=lambda v: (v is not None, v != v, v if v == v else 0.0))
    rows = list(range(2, 2 + len(values)))
    frame = pl.DataFrame({"key": values, ROW: rows}, schema={"key": pl.Float64, ROW: pl.Int64})
    keys = [(None,) if v is None else ("nan",) if v != v else (v + 0.0,) for v in values]
    found = _duplicate_keys(frame, ["key"])
    got = [] if found is None else list(found.select(ROW, "_first").iter_rows())
    assert got == _repeats_by_hand(keys, rows)
