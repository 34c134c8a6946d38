"""Normalising a supplier table: headers to canonical columns, text to typed values.

Each column is parsed in two passes. The fast pass is a plain Polars cast, which handles the
vast majority of cells; only cells it could not read go through the slow pass (full-width
digits, thousands separators, ``98.5%``, ``2026年10月5日``, ``5-Oct-2026``, Excel serials, enum
aliases). A cell that still does not parse becomes an issue showing the value — never a
silent null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

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
    text = pl.select(_number_text(pl.lit(raw.filter(todo)))).to_series()
    is_pct = text.str.ends_with("%")
    value = text.str.strip_suffix("%").cast(pl.Float64, strict=False)
    scale = 1.0 if percent_points else 0.01
    value = pl.select(
        pl.when(is_pct)
        .then(value * scale)
        .otherwise(value)
        .pipe(lambda e: pl.when(e.is_finite()).then(e))
    ).to_series()
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


def _excel_serial_dates(text: pl.Series) -> pl.Series:
    import polars as pl

    serial = text.cast(pl.Float64, strict=False)
    low, high = EXCEL_EPOCH_SERIALS
    ok = serial.is_between(low, high)
    days = pl.select(pl.when(ok).then(serial.floor().cast(pl.Int64, strict=False))).to_series()
    return pl.select(
        (pl.lit(EXCEL_EPOCH) + pl.duration(days=pl.lit(days))).cast(pl.Date)
    ).to_series()


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
    text = _chinese_date(pl.select(_nfkc(pl.lit(raw.filter(todo)))).to_series())
    result = pl.Series([None] * len(text), dtype=pl.Date)
    for fmt in (*formats, "%Y-%m-%d"):
        result = result.fill_null(text.str.to_date(fmt, strict=False))
    result = result.fill_null(_excel_serial_dates(text))
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
    text = pl.select(_nfkc(pl.lit(raw.filter(todo)))).to_series().str.replace("T", " ")
    result = pl.Series([None] * len(text), dtype=pl.Datetime("us"))
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        result = result.fill_null(text.str.to_datetime(fmt, strict=False, time_unit="us"))
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


def normalise(raw: RawTable, match: HeaderMatch) -> NormalisedTable:
    """Rename matched columns to canonical names and parse every value to its type."""
    import polars as pl

    spec = match.spec
    frame = raw.frame
    # One fused select runs the cheap parse of every column in parallel, and counts the cells
    # each column must send to the slow pass; most columns of most files send none.
    text_fields = {p: n for p, n in match.fields.items() if spec.columns[n].type == "str"}
    fast = frame.select(
        *(
            _fast_expr(pl.col(str(p)), spec.columns[n].type, spec.columns[n]).alias(n)
            for p, n in match.fields.items()
        ),
        *(
            pl.col(str(p)).str.contains(_NEEDS_CLEANING).alias(f"?{n}")
            for p, n in text_fields.items()
        ),
    )
    pending = {
        n: fast[f"?{n}"].any()
        if n in text_fields.values()
        else fast[n].null_count() > frame[str(p)].null_count()
        for p, n in match.fields.items()
    }
    columns: list[pl.Series] = [frame[ROW]]
    if PAGE in frame.columns:
        columns.append(frame[PAGE])
    result = NormalisedTable(raw, match, pl.DataFrame(), {})
    for position, name in match.fields.items():
        col = spec.columns[name]
        header = raw.headers[position]
        result.source_headers[name] = header
        source = frame[str(position)]
        factor = 1.0
        unit = match.units.get(position)
        if unit is not None:
            known = {u.casefold(): f for u, f in col.units.items()}
            if unit.casefold() in known:
                factor = known[unit.casefold()]
            else:
                result.issues.append(
                    Issue(
                        raw.file,
                        "unknown-unit",
                        row=raw.header_row,
                        column=header,
                        field=name,
                        value=unit,
                        sheet=raw.sheet,
                        params={"units": ", ".join(col.units)},
                    )
                )
        if not pending[name] and factor == 1.0:
            columns.append((source if col.type == "str" else fast[name]).alias(name))
            continue
        parsed = parse_column(source, col, factor, fast[name]).alias(name)
        bad = parsed.is_null() & source.is_not_null()
        if bad.any():
            # Cells holding only spaces are empty, not unparseable: blank them.
            blank = bad & (source.str.strip_chars().str.len_chars() == 0)
            if blank.any():
                parsed = pl.select(pl.when(~blank).then(parsed)).to_series().alias(name)
                bad = bad & ~blank
        columns.append(parsed)
        if bad.any():
            rows = frame[ROW].filter(bad)
            values = source.filter(bad)
            pages = frame[PAGE].filter(bad) if PAGE in frame.columns else None
            result.failed[name] = set(rows.to_list())
            for i, (row, value) in enumerate(zip(rows.to_list(), values.to_list(), strict=True)):
                params = {"allowed": ", ".join(col.values)} if col.values else {}
                result.issues.append(
                    result.issue(
                        _FAILURE_RULE[col.type],
                        row=row,
                        field=name,
                        value=value,
                        page=None if pages is None else pages[i],
                        params=params,
                    )
                )
    result.frame = pl.DataFrame(columns)
    return result
