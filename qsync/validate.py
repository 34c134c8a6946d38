"""Validation of a normalised table against its spec: pandera plus what pandera does not do.

pandera (the only module importing it) checks types, required values, limits and patterns on
the typed frame. qsync adds natural-key duplicates inside the file (the later row is the error
and its message names the first), row checks written as Polars SQL expressions, and cells a
spreadsheet would run as formulas. Every failure becomes an :class:`Issue` at the supplier's
own row and column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qsync.model import Issue, Severity
from qsync.normalise import FORMULA_START, NormalisedTable
from qsync.readers.base import PAGE, ROW

if TYPE_CHECKING:
    import pandera.polars as pa
    import polars as pl

    from qsync.spec import Spec

_DTYPES = {
    "str": "String",
    "enum": "String",
    "int": "Int64",
    "float": "Float64",
    "date": "Date",
    "datetime": "Datetime",
    "bool": "Boolean",
}


def build_schema(spec: Spec, present: list[str]) -> pa.DataFrameSchema:
    """A pandera schema for the columns of ``spec`` that are present in a file."""
    import pandera.polars as pa
    import polars as pl

    columns: dict[str, pa.Column] = {}
    for name in present:
        col = spec.columns[name]
        checks: list[pa.Check] = []
        if col.min is not None and col.type in ("int", "float"):
            checks.append(pa.Check.ge(col.min))
        if col.max is not None and col.type in ("int", "float"):
            checks.append(pa.Check.le(col.max))
        if col.pattern is not None and col.type == "str":
            checks.append(pa.Check.str_matches(col.pattern))
        dtype = getattr(pl, _DTYPES[col.type])
        columns[name] = pa.Column(dtype, checks=checks, nullable=not col.required)
    return pa.DataFrameSchema(columns, strict=False, coerce=False)


def _rule_of(check: str, spec: Spec, field: str) -> tuple[str, dict[str, Any]]:
    col = spec.columns[field]
    if check == "not_nullable":
        return "missing-value", {}
    if check.startswith("greater_than_or_equal_to") and col.min is not None:
        return "out-of-range", {"bound": "min", "limit": f"{col.min:g}"}
    if check.startswith("less_than_or_equal_to") and col.max is not None:
        return "out-of-range", {"bound": "max", "limit": f"{col.max:g}"}
    if check.startswith("str_matches"):
        return "pattern-mismatch", {"pattern": col.pattern, "example": col.example or ""}
    return "type-error", {"check": check}


def _pandera_issues(table: NormalisedTable, schema: pa.DataFrameSchema) -> list[Issue]:
    import pandera.polars as pa

    frame = table.frame
    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases: pl.DataFrame = exc.failure_cases
    rows = frame[ROW]
    pages = frame[PAGE] if PAGE in frame.columns else None
    # Quote the cell as the supplier wrote it ("2000", not the parsed "2000.0"), except where
    # a unit in the header converted it: then the limit is in the canonical unit, as is the value.
    written = {
        name: str(position)
        for position, name in table.match.fields.items()
        if position not in table.match.units
    }
    issues: list[Issue] = []
    for case in cases.iter_rows(named=True):
        field, index = case["column"], case["index"]
        if index is None or field not in table.spec.columns:
            continue
        row = int(rows[index])
        if row in table.failed.get(field, ()):
            continue
        rule, params = _rule_of(str(case["check"]), table.spec, field)
        value = case["failure_case"]
        if field in written:
            cell = table.raw.frame[written[field]][index]
            value = cell.strip() if isinstance(cell, str) and cell.strip() else value
        issues.append(
            table.issue(
                rule,
                row=row,
                field=field,
                value=value,
                page=None if pages is None else pages[index],
                params=params,
            )
        )
    return issues


def _duplicate_issues(table: NormalisedTable) -> list[Issue]:
    import polars as pl

    key = [k for k in table.spec.key if k in table.frame.columns]
    if not key or len(key) < len(table.spec.key):
        return []
    # Sorting is far cheaper than hashing a million keys: after a sort by key and row, a
    # duplicate is a row whose key equals the previous one, and its first row leads the run.
    ordered = table.frame.select(*key, ROW).drop_nulls(key).sort([*key, ROW])
    repeat = pl.all_horizontal(pl.col(k) == pl.col(k).shift(1) for k in key).fill_null(False)
    later = (
        ordered.with_columns(
            pl.when(~repeat).then(pl.col(ROW)).forward_fill().alias("_first"), repeat.alias("_rep")
        )
        .filter(pl.col("_rep"))
        .sort(ROW)
    )
    issues = []
    for rec in later.iter_rows(named=True):
        value = " / ".join(str(rec[k]) for k in key)
        issues.append(
            table.issue(
                "duplicate-key",
                row=rec[ROW],
                field=key[0],
                value=value,
                params={"first_row": rec["_first"], "key_fields": key},
            )
        )
    return issues


def _row_check_issues(table: NormalisedTable) -> list[Issue]:
    import polars as pl

    issues: list[Issue] = []
    for check in table.spec.row_checks:
        expr = pl.sql_expr(check.expr)
        refs = list(dict.fromkeys(expr.meta.root_names()))
        if not all(r in table.frame.columns for r in refs):
            continue
        broken = table.frame.filter(expr.not_()).select(ROW, *refs)
        for rec in broken.iter_rows(named=True):
            shown = ", ".join(f"{r}={rec[r]}" for r in refs)
            issues.append(
                table.issue(
                    check.rule,
                    row=rec[ROW],
                    field=refs[0],
                    value=shown,
                    severity=check.severity,
                    params={"expr": check.expr, "check": check, "row_values": rec},
                )
            )
    return issues


def _formula_issues(table: NormalisedTable) -> list[Issue]:
    import polars as pl

    if table.spec.formula_text == "allow":
        return []
    severity: Severity = "error" if table.spec.formula_text == "error" else "warning"
    issues: list[Issue] = []
    for name, col in table.spec.columns.items():
        if col.type != "str" or name not in table.frame.columns:
            continue
        hits = table.frame.filter(pl.col(name).str.contains(FORMULA_START.pattern)).select(
            ROW, name
        )
        for row, value in hits.iter_rows():
            issues.append(
                table.issue("formula-text", row=row, field=name, value=value, severity=severity)
            )
    return issues


def check_table(table: NormalisedTable) -> list[Issue]:
    """Every issue of a normalised table, in supplier row order.

    Includes reading and parsing issues already collected on ``table``, missing required
    columns (one issue each, not one per row), pandera's checks, duplicates, row checks and
    formula text.
    """
    issues = list(table.raw.issues) + list(table.issues)
    for name in table.match.missing_required:
        issues.append(
            table.issue("missing-column", row=table.raw.header_row, field=name, value=None)
        )
    present = [c for c in table.frame.columns if c in table.spec.columns]
    issues += _pandera_issues(table, build_schema(table.spec, present))
    issues += _duplicate_issues(table)
    issues += _row_check_issues(table)
    issues += _formula_issues(table)
    return issues
