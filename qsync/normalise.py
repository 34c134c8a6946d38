"""Normalising a supplier table: headers to canonical columns, text to typed values.

Each column is parsed in two passes. The fast pass is a plain Polars cast, which handles the
vast majority of cells; only cells it could not read go through the slow pass (full-width
digits, thousands separators, ``98.5%``, ``2026年10月5日``, ``5-Oct-2026``, Excel serials, enum
aliases). A cell that still does not parse becomes an issue showing the value — never a
silent null.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from qsync.chunks import chunked_like
from qsync.fastpath import is_plain
from qsync.headers import HeaderMatch
from qsync.model import Issue, Severity
from qsync.readers.base import PAGE, ROW, RawTable
from qsync.spec import ColumnSpec, Spec

if TYPE_CHECKING:
    import polars as pl

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0, given its 1900 leap-year bug
EXCEL_EPOCH_SERIALS = (20000, 80000)  # 1954-10-03 .. 2119-01-10: plausible business dates
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
_TRUE = ("true", "yes", "y", "1", "是", "有", "√", "✓", "t")
_FALSE = ("false", "no", "n", "0", "否", "无", "×", "✗", "f")
_NEEDS_CLEANING = r"^\s|\s$|[\u3000\uff01-\uff5e]"
FORMULA_START = re.compile(r"^(?:[=@\t\r]|[+-][^0-9.])")
# Text cells worth a second look: those needing cleaning, and those that may be formulas.
_TEXT_FLAG = f"{FORMULA_START.pattern}|{_NEEDS_CLEANING}"


@dataclass
class NormalisedTable:
    """A typed table with canonical columns, its provenance, and what went wrong on the way.

    ``frame`` has the canonical columns present in the file (typed), plus ``_row`` (and
    ``_page``). ``failed`` holds, per canonical column, the row numbers whose cell did not
    parse (already reported), so later checks do not report them again.
    """

    raw: RawTable
    match: HeaderMatch
    frame: pl.DataFrame
    source_headers: dict[str, str]
    issues: list[Issue] = field(default_factory=list)
    failed: dict[str, set[int]] = field(default_factory=dict)
    formula_rows: dict[str, pl.Series] | None = field(default=None, repr=False)
    """Per text column, positions in ``frame`` of cells that look like formulas (a hint)."""
    formula_frame: pl.DataFrame | None = field(default=None, repr=False)
    """The frame ``formula_rows`` was computed for: the hint holds only while it is ``frame``."""
    early: object = field(default=None, repr=False)
    """What ``on_settled`` returned (checks started early), valid while ``formula_frame`` is."""

    @property
    def spec(self) -> Spec:
        """The spec this table was matched to."""
        return self.match.spec

    def issue(
        self,
        rule: str,
        *,
        row: int | None,
        field: str | None,
        value: object,
        severity: Severity = "error",
        page: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> Issue:
        """An issue at a supplier row and canonical field, with the header as written."""
        column = self.source_headers.get(field) if field else None
        cell = None
        letters = self.raw.column_letters
        if letters and field and row is not None:
            position = next((p for p, f in self.match.fields.items() if f == field), None)
            if position is not None and position < len(letters):
                cell = f"{letters[position]}{row}"
        return Issue(
            self.raw.file,
            rule,
            severity,
            row=row,
            column=column,
            field=field,
            value=None if value is None else str(value),
            sheet=self.raw.sheet,
            page=page,
            cell=cell,
            params=params or {},
        )


def _nfkc(expr: pl.Expr) -> pl.Expr:
    return expr.str.normalize("NFKC").str.strip_chars()


def _nfkc_series(text: pl.Series) -> pl.Series:
    """:func:`_nfkc` of a series; plain ASCII (which NFKC leaves alone) is only trimmed."""
    import polars as pl

    if text.str.len_bytes().equals(text.str.len_chars()):
        return text.str.strip_chars()
    return pl.select(_nfkc(pl.lit(text))).to_series()


def _number_text_series(raw: pl.Series) -> pl.Series:
    """:func:`_number_text` of a series, with the clean-up computed once."""
    import polars as pl

    clean = _nfkc_series(raw).str.replace_all(r"\s", "")
    return pl.select(
        pl.when(clean.str.contains(_THOUSANDS))
        .then(clean.str.replace_all(",", ""))
        .otherwise(clean)
    ).to_series()


def _nulls(length: int, dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
    import polars as pl

    return pl.repeat(None, length, dtype=dtype, eager=True)


def _number_text(expr: pl.Expr) -> pl.Expr:
    """Slow-pass clean-up of numeric text: NFKC, thousands separators, spaces."""
    import polars as pl

    clean = _nfkc(expr).str.replace_all(r"\s", "")
    return (
        pl.when(clean.str.contains(_THOUSANDS))
        .then(clean.str.replace_all(",", ""))
        .otherwise(clean)
    )


def _parse_float(raw: pl.Series, percent_points: bool, fast: pl.Series | None = None) -> pl.Series:
    import polars as pl

    if fast is None:
        fast = pl.select(_fast_expr(pl.lit(raw), "float")).to_series()
    todo = fast.is_null() & raw.is_not_null()
    if not todo.any():
        return fast
    text = _number_text_series(raw.filter(todo))
    scale = 1.0 if percent_points else 0.01
    cell, number = pl.col("text"), pl.col("number")
    value = (
        pl.DataFrame({"text": text})
        .with_columns(number=cell.str.strip_suffix("%").cast(pl.Float64, strict=False))
        .select(
            pl.when(cell.str.ends_with("%"))
            .then(number * scale)
            .otherwise(number)
            .pipe(lambda e: pl.when(e.is_finite()).then(e))
        )
        .to_series()
    )
    return fast.scatter(todo.arg_true(), value)


def _parse_int(raw: pl.Series, fast: pl.Series | None = None) -> pl.Series:
    import polars as pl

    if fast is None:
        fast = pl.select(_fast_expr(pl.lit(raw), "int")).to_series()
    todo = fast.is_null() & raw.is_not_null()
    if not todo.any():
        return fast
    as_float = _parse_float(raw.filter(todo), percent_points=True)
    whole = pl.select(
        pl.when(as_float == as_float.round(0)).then(as_float).cast(pl.Int64, strict=False)
    ).to_series()
    return fast.scatter(todo.arg_true(), whole)


def _excel_serial_expr(text: pl.Expr) -> pl.Expr:
    import polars as pl

    serial = text.cast(pl.Float64, strict=False)
    low, high = EXCEL_EPOCH_SERIALS
    days = pl.when(serial.is_between(low, high)).then(serial.floor().cast(pl.Int64, strict=False))
    return (pl.lit(EXCEL_EPOCH) + pl.duration(days=days)).cast(pl.Date)


def _excel_serial_dates(text: pl.Series) -> pl.Series:
    import polars as pl

    return pl.DataFrame({"text": text}).select(_excel_serial_expr(pl.col("text"))).to_series()


def _chinese_date(text: pl.Series) -> pl.Series:
    """``2026年10月5日`` → ``2026-10-5``."""
    return text.str.replace(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*$", "$1-$2-$3")


def _parse_date(
    raw: pl.Series, formats: tuple[str, ...], fast: pl.Series | None = None
) -> pl.Series:
    import polars as pl

    if fast is None:
        fast = raw.str.to_date(formats[0], strict=False)
    todo = fast.is_null() & raw.is_not_null()
    if not todo.any():
        return fast
    text = _nfkc_series(raw.filter(todo))
    if text.str.contains("年", literal=True).any():
        text = _chinese_date(text)
    # The first format that reads a cell wins, then an Excel serial day: one query.
    cell = pl.col("text")
    result = (
        pl.DataFrame({"text": text})
        .select(
            pl.coalesce(
                *(cell.str.to_date(fmt, strict=False) for fmt in (*formats, "%Y-%m-%d")),
                _excel_serial_expr(cell),
            )
        )
        .to_series()
    )
    return fast.scatter(todo.arg_true(), result)


def _parse_datetime(
    raw: pl.Series, formats: tuple[str, ...], fast: pl.Series | None = None
) -> pl.Series:
    import polars as pl

    if fast is None:
        fast = pl.select(_fast_expr(pl.lit(raw), "datetime")).to_series()
    todo = fast.is_null() & raw.is_not_null()
    if not todo.any():
        return fast
    text = _nfkc_series(raw.filter(todo)).str.replace("T", " ")
    cell = pl.col("text")
    formats_seen = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
    result = (
        pl.DataFrame({"text": text})
        .select(
            pl.coalesce(
                *(cell.str.to_datetime(fmt, strict=False, time_unit="us") for fmt in formats_seen)
            )
        )
        .to_series()
    )
    dates = _parse_date(text, formats)
    result = result.fill_null(dates.cast(pl.Datetime("us")))
    return fast.scatter(todo.arg_true(), result)


def _parse_bool(raw: pl.Series) -> pl.Series:
    import polars as pl

    key = pl.select(_nfkc(pl.lit(raw)).str.to_lowercase()).to_series()
    return pl.select(
        pl.when(key.is_in(_TRUE)).then(True).when(key.is_in(_FALSE)).then(False).otherwise(None)
    ).to_series()


def enum_lookup(col: ColumnSpec) -> dict[str, str]:
    """Normalised alias → canonical value, canonical values included."""
    from qsync.headers import normalise_header

    lookup: dict[str, str] = {}
    for value, aliases in (col.values or {}).items():
        for alias in (value, *aliases):
            lookup.setdefault(normalise_header(alias), value)
    return lookup


def _exact_enum(col: ColumnSpec) -> dict[str, str]:
    return {a: v for v, aliases in (col.values or {}).items() for a in (v, *aliases)}


def _parse_enum(raw: pl.Series, col: ColumnSpec, fast: pl.Series | None = None) -> pl.Series:
    import polars as pl

    if fast is None:
        fast = raw.replace_strict(_exact_enum(col), default=None, return_dtype=pl.String)
    todo = fast.is_null() & raw.is_not_null()
    if not todo.any():
        return fast
    key = pl.select(
        _nfkc(pl.lit(raw.filter(todo)))
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars(".。")
    ).to_series()
    slow = key.replace_strict(enum_lookup(col), default=None, return_dtype=pl.String)
    return fast.scatter(todo.arg_true(), slow)


_FAILURE_RULE = {
    "int": "not-an-integer",
    "float": "not-a-number",
    "date": "not-a-date",
    "datetime": "not-a-datetime",
    "bool": "not-a-bool",
    "enum": "unknown-value",
}


def _fast_expr(src: pl.Expr, type_: str, col: ColumnSpec | None = None) -> pl.Expr:
    """The cheap parse that handles clean cells; ``None`` results go to the slow pass."""
    import polars as pl

    if type_ == "int":
        return src.cast(pl.Int64, strict=False)
    if type_ == "float":
        value = src.cast(pl.Float64, strict=False)
        return pl.when(value.is_finite()).then(value)
    if type_ == "date":
        fmt = col.date_formats[0] if col else "%Y-%m-%d"
        return src.str.to_date(fmt, strict=False)
    if type_ == "datetime":
        return src.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
    if type_ == "enum" and col is not None:
        return src.replace_strict(_exact_enum(col), default=None, return_dtype=pl.String)
    if type_ == "bool":
        key = src.str.to_lowercase()
        return pl.when(key.is_in(_TRUE)).then(True).when(key.is_in(_FALSE)).then(False)
    return src


def parse_column(
    raw: pl.Series, col: ColumnSpec, unit_factor: float = 1.0, fast: pl.Series | None = None
) -> pl.Series:
    """Text → the column's type; cells that do not parse become null (the caller reports them).

    >>> import polars as pl
    >>> from qsync.spec import ColumnSpec, Spec
    >>> parse_column(pl.Series(["1,200", "１２", "7"]), ColumnSpec(type="int")).to_list()
    [1200, 12, 7]
    """
    import polars as pl

    if col.type == "int":
        parsed = _parse_int(raw, fast)
        if unit_factor != 1.0:
            parsed = (parsed * unit_factor).round(0).cast(pl.Int64)
        return parsed
    if col.type == "float":
        parsed = _parse_float(raw, col.unit == "%", fast)
        return parsed * unit_factor if unit_factor != 1.0 else parsed
    if col.type == "date":
        return _parse_date(raw, col.date_formats, fast)
    if col.type == "datetime":
        return _parse_datetime(raw, col.date_formats, fast)
    if col.type == "bool":
        return _parse_bool(raw)
    if col.type == "enum":
        return _parse_enum(raw, col, fast)
    return _clean_text(raw)


def _clean_text(raw: pl.Series) -> pl.Series:
    """Text cells trimmed; NFKC only for cells with full-width forms (``Ｓ００４２``)."""
    import polars as pl

    padded = raw.str.contains(_NEEDS_CLEANING)
    if not padded.any():
        return raw
    fixed = pl.select(_nfkc(pl.lit(raw.filter(padded)))).to_series()
    fixed = pl.select(pl.when(fixed.str.len_chars() > 0).then(fixed)).to_series()
    return raw.scatter(padded.arg_true(), fixed)


def _unit_factor(raw: RawTable, match: HeaderMatch, position: int, name: str) -> Issue | float:
    """The factor a unit in the header asks for (``1.0`` when none), or the unknown-unit issue."""
    col = match.spec.columns[name]
    unit = match.units.get(position)
    if unit is None:
        return 1.0
    known = {u.casefold(): f for u, f in col.units.items()}
    if unit.casefold() in known:
        return known[unit.casefold()]
    return Issue(
        raw.file,
        "unknown-unit",
        row=raw.header_row,
        column=raw.headers[position],
        field=name,
        value=unit,
        sheet=raw.sheet,
        params={"units": ", ".join(col.units)},
    )


@dataclass
class _Parsed:
    """One canonical column after both passes, with the cells that did not parse."""

    column: pl.Series
    issues: list[Issue] = field(default_factory=list)
    failed: set[int] | None = None
    formula_rows: pl.Series | None = None


def _failures(
    result: NormalisedTable,
    name: str,
    col: ColumnSpec,
    bad: pl.Series,
    rows: pl.Series,
    values: pl.Series,
    pages: pl.Series | None,
) -> tuple[list[Issue], set[int]]:
    """One issue per cell that did not parse, in row order, and the rows they are on."""
    rows = rows.filter(bad)
    values = values.filter(bad)
    pages = pages.filter(bad) if pages is not None else None
    params = {"allowed": ", ".join(col.values)} if col.values else {}
    issues = [
        result.issue(
            _FAILURE_RULE[col.type],
            row=row,
            field=name,
            value=value,
            page=None if pages is None else pages[i],
            params=dict(params),
        )
        for i, (row, value) in enumerate(zip(rows.to_list(), values.to_list(), strict=True))
    ]
    return issues, set(rows.to_list())


def _blank_out(parsed: pl.Series, source: pl.Series, name: str) -> tuple[pl.Series, pl.Series]:
    """Cells that did not parse, except those holding only spaces: those are blanked."""
    import polars as pl

    bad = parsed.is_null() & source.is_not_null()
    if bad.any():
        # Cells holding only spaces are empty, not unparseable: blank them.
        blank = bad & (source.str.strip_chars().str.len_chars() == 0)
        if blank.any():
            parsed = pl.select(pl.when(~blank).then(parsed)).to_series().alias(name)
            bad = bad & ~blank
    return parsed, bad


def _whole_column(
    result: NormalisedTable, name: str, source: pl.Series, fast: pl.Series, factor: float
) -> _Parsed:
    """Both passes over every cell: a unit factor (or a boolean parse) applies to each."""
    col = result.spec.columns[name]
    frame = result.raw.frame
    parsed, bad = _blank_out(parse_column(source, col, factor, fast), source, name)
    done = _Parsed(parsed.alias(name))
    if bad.any():
        pages = frame[PAGE] if PAGE in frame.columns else None
        done.issues, done.failed = _failures(result, name, col, bad, frame[ROW], source, pages)
    return done


def _some_cells(
    result: NormalisedTable,
    name: str,
    source: pl.Series,
    fast: pl.Series | None,
    todo: pl.Series,
    plain: bool,
) -> _Parsed:
    """The slow pass on the cells at ``todo`` only; every other cell keeps its fast value.

    Every step of the slow pass is per cell, so running it on just those cells gives what
    it gives on the whole column. Text cells come here when flagged for a second look.
    """
    col = result.spec.columns[name]
    frame = result.raw.frame
    cells = source.gather(todo)
    if col.type == "str":
        if plain:
            exact = cells.str.contains(_TEXT_FLAG)
            todo, cells = todo.filter(exact), cells.filter(exact)
        if not cells.str.contains(_NEEDS_CLEANING).any():
            # Only formula-looking cells: cleaning would leave the column as it is.
            hits = cells.str.contains(FORMULA_START.pattern)
            return _Parsed(source.alias(name), formula_rows=todo.filter(hits))
    if fast is None:
        parsed = parse_column(cells, col, 1.0)
    else:
        start = _nulls_like
        parsed = _per_distinct(cells, lambda text: parse_column(text, col, 1.0, start(text, fast)))
    parsed, bad = _blank_out(parsed.alias(name), cells, name)
    if fast is None:
        done = _Parsed(source.clone().scatter(todo, parsed).alias(name))
    elif parsed.null_count() == len(parsed):
        done = _Parsed(fast.alias(name))  # nothing read: the cells stay null, as they are
    else:
        done = _Parsed(fast.scatter(todo, parsed).alias(name))
    if col.type == "str":
        done.formula_rows = todo.filter(parsed.str.contains(FORMULA_START.pattern).fill_null(False))
    if bad.any():
        pages = frame[PAGE].gather(todo) if PAGE in frame.columns else None
        rows = frame[ROW].gather(todo)
        done.issues, done.failed = _failures(result, name, col, bad, rows, cells, pages)
    return done


def _nulls_like(text: pl.Series, fast: pl.Series) -> pl.Series:
    """A fast-pass result for ``text`` that read none of it (the slow pass's starting point)."""
    return _nulls(len(text), fast.dtype)


# Slow passes over at least this many cells parse each distinct text once.
_DISTINCT_MIN = 1024


def _per_distinct(cells: pl.Series, parse: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """``parse(cells)`` for a per-cell ``parse``, run once per distinct cell when they repeat.

    Suppliers repeat their odd formats (``1,200``, ``2026/1/5``): parsing each distinct text
    once and mapping the results back gives the same values for a fraction of the work.
    """
    if len(cells) < _DISTINCT_MIN:
        return parse(cells)
    distinct = cells.unique(maintain_order=True)
    if len(distinct) * 2 > len(cells):
        return parse(cells)
    parsed = parse(distinct)
    return cells.replace_strict(distinct, parsed, return_dtype=parsed.dtype)


# Tables at least this long run the slow passes of their columns in parallel.
_PARALLEL_ROWS = 100_000


def normalise(
    raw: RawTable,
    match: HeaderMatch,
    *,
    on_settled: Callable[[pl.DataFrame], object] | None = None,
) -> NormalisedTable:
    """Rename matched columns to canonical names and parse every value to its type.

    One fused select runs the cheap parse of every typed column and flags, in text columns,
    the cells that need cleaning or look like a formula, all columns in parallel. Only the
    cells the cheap parse could not read (or flagged) go through the slow pass, which is the
    same per-cell code as :func:`parse_column` applied to just those cells.

    On a long table, ``on_settled`` is called with the row numbers and the columns whose
    values are final before the slow pass (to start checking them meanwhile); what it
    returns is kept as ``early`` on the result.
    """
    import polars as pl

    spec = match.spec
    frame = raw.frame
    # In a plain file (see qsync.fastpath) a text cell can only need a second look when its
    # first byte sorts before "A": compare prefixes, and run the regex on those cells only.
    plain = is_plain(frame)
    fast = frame.select(
        *(
            _fast_expr(pl.col(str(p)), spec.columns[n].type, spec.columns[n]).alias(n)
            for p, n in match.fields.items()
            if spec.columns[n].type != "str"
        ),
        *(
            (pl.col(str(p)) < "A" if plain else pl.col(str(p)).str.contains(_TEXT_FLAG)).alias(
                f"?{n}"
            )
            for p, n in match.fields.items()
            if spec.columns[n].type == "str"
        ),
    )
    result = NormalisedTable(raw, match, pl.DataFrame(), {})
    empty = pl.Series(dtype=pl.get_index_type())
    # Per column, in order: its unit issue, and its parse (done, or a slow pass to run).
    plan: list[tuple[str, Issue | None, _Parsed | Callable[[], _Parsed]]] = []
    for position, name in match.fields.items():
        col = spec.columns[name]
        result.source_headers[name] = raw.headers[position]
        source = frame[str(position)]
        factor = _unit_factor(raw, match, position, name)
        unit_issue = factor if isinstance(factor, Issue) else None
        factor = 1.0 if isinstance(factor, Issue) else factor
        step: _Parsed | Callable[[], _Parsed]
        if col.type == "str":
            flagged = fast[f"?{name}"]
            if flagged.any():
                step = partial(_some_cells, result, name, source, None, flagged.arg_true(), plain)
            else:
                step = _Parsed(source.alias(name), formula_rows=empty)
        elif fast[name].null_count() == source.null_count() and factor == 1.0:
            step = _Parsed(fast[name])
        elif col.type == "bool" or factor != 1.0:
            step = partial(_whole_column, result, name, source, fast[name], factor)
        else:
            todo = (fast[name].is_null() & source.is_not_null()).arg_true()
            step = partial(_some_cells, result, name, source, fast[name], todo, False)
        plan.append((name, unit_issue, step))
    steps = [step for _, _, step in plan if not isinstance(step, _Parsed)]
    if on_settled is not None and steps and frame.height >= _PARALLEL_ROWS:
        settled = [frame[ROW], *([frame[PAGE]] if PAGE in frame.columns else [])]
        settled += [step.column for _, _, step in plan if isinstance(step, _Parsed)]
        result.early = on_settled(pl.DataFrame([chunked_like(c, frame[ROW]) for c in settled]))
    if len(steps) > 1 and frame.height >= _PARALLEL_ROWS:
        # Polars releases the GIL: columns' slow passes overlap on the other core.
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = iter(list(pool.map(lambda step: step(), steps)))
    else:
        done = iter([step() for step in steps])
    columns: list[pl.Series] = [frame[ROW]]
    if PAGE in frame.columns:
        columns.append(frame[PAGE])
    formula_rows: dict[str, pl.Series] = {}
    for name, unit_issue, step in plan:
        parsed = step if isinstance(step, _Parsed) else next(done)
        if unit_issue is not None:
            result.issues.append(unit_issue)
        result.issues.extend(parsed.issues)
        if parsed.failed is not None:
            result.failed[name] = parsed.failed
        if parsed.formula_rows is not None:
            formula_rows[name] = parsed.formula_rows
        columns.append(parsed.column)
    # Columns the slow pass rewrote come back in one piece: cut them like the others.
    result.frame = pl.DataFrame([chunked_like(c, frame[ROW]) for c in columns])
    result.formula_rows = formula_rows
    result.formula_frame = result.frame
    return result
