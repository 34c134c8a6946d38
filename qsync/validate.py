"""Validation of a normalised table against its spec: pandera plus what pandera does not do.

pandera (the only module importing it) checks types, required values, limits and patterns on
the typed frame. qsync adds natural-key duplicates inside the file (the later row is the error
and its message names the first), row checks written as Polars SQL expressions, and cells a
spreadsheet would run as formulas. Every failure becomes an :class:`Issue` at the supplier's
own row and column.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

# Imported with this module, which exists to validate: a file's first check should not pay
# for loading pandera's Polars API (tens of milliseconds without cached bytecode).
import pandera.polars as pa

from qsync.model import Issue, Severity
from qsync.normalise import FORMULA_START, NormalisedTable
from qsync.readers.base import PAGE, ROW
from qsync.spec import POLARS_TYPES, Spec

if TYPE_CHECKING:
    import polars as pl

# Tables at least this long check duplicates in a thread while pandera runs.
_PARALLEL_ROWS = 100_000


def build_schema(spec: Spec, present: list[str]) -> pa.DataFrameSchema:
    """A pandera schema for the columns of ``spec`` that are present in a file."""
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
        dtype = getattr(pl, POLARS_TYPES[col.type])
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


def _pandera_failures(frame: pl.DataFrame, schema: pa.DataFrameSchema) -> pl.DataFrame | None:
    """pandera's failure cases of ``frame`` (lazy validation), or ``None`` when it passes.

    pandera validates the frame as a LazyFrame, at the depth it would use for the DataFrame
    itself (schema and data, unless configured otherwise): the same checks and failure
    cases, without collecting the whole frame back between steps.
    """
    from pandera.api.polars.utils import get_validation_depth
    from pandera.config import config_context

    try:
        with config_context(validation_depth=get_validation_depth(frame)):
            schema.validate(frame.lazy(), lazy=True)
        return None
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases


def _in_column_order(parts: list[pl.DataFrame | None], present: list[str]) -> pl.DataFrame | None:
    """Failure cases of schemas over disjoint columns, ordered as one schema orders them.

    pandera reports a schema's failures column by column, in the schema's column order; each
    column's cases stay together, so a stable sort by column position rebuilds that order.
    """
    import polars as pl

    found = [part for part in parts if part is not None]
    if len(found) < 2:
        return found[0] if found else None
    order = {name: i for i, name in enumerate(present)}
    merged = pl.concat(found, how="vertical_relaxed")
    position = pl.col("column").replace_strict(order, default=-1, return_dtype=pl.Int64)
    return merged.sort(position, maintain_order=True)


def _pandera_issues(
    table: NormalisedTable,
    schema: pa.DataFrameSchema | None,
    cases: pl.DataFrame | None = None,
) -> list[Issue]:
    frame = table.frame
    if schema is not None:
        cases = _pandera_failures(frame, schema)
    if cases is None:
        return []
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


def _duplicate_keys(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame | None:
    """Rows repeating an earlier row's key: their row, key and first row (``_first``), by row.

    ``None`` when no row repeats one.
    """
    import polars as pl

    rows = frame[ROW]
    repeat = pl.all_horizontal(pl.col(k) == pl.col(k).shift(1) for k in key).fill_null(False)
    if rows.null_count() or not rows.is_sorted():
        # Sorting is far cheaper than hashing a million keys: after a sort by key and row, a
        # duplicate is a row whose key equals the previous one, and its first row leads the run.
        ordered = frame.select(*key, ROW).drop_nulls(key).sort([*key, ROW])
        later = (
            ordered.with_columns(
                pl.when(~repeat).then(pl.col(ROW)).forward_fill().alias("_first"),
                repeat.alias("_rep"),
            )
            .filter(pl.col("_rep"))
            .sort(ROW)
        )
        return later if later.height else None
    # Rows already in order: a stable sort by key alone orders each key's rows by row, as
    # sorting by key and row would, and is far cheaper. After it a duplicate is a row whose
    # key equals the previous one, and the first row of its run is the one it repeats.
    ordered = frame.select(*key, ROW)
    if any(ordered[k].null_count() for k in key):
        ordered = ordered.drop_nulls(key)
    if len(key) == 1:
        # A file listed by its key, as many are, is its own stable sort: no sort needed.
        values = ordered[key[0]]
        if not values.is_sorted():
            ordered = ordered.sort(key, maintain_order=True)
            values = ordered[key[0]]
        at = (values == values.shift(1)).fill_null(False).arg_true().to_list()
    else:
        ordered = ordered.sort(key, maintain_order=True)
        at = ordered.select(repeat).to_series().arg_true().to_list()
    if not at:
        return None
    firsts, start, previous = [], 0, -2
    for position in at:
        start = start if position == previous + 1 else position - 1
        firsts.append(start)
        previous = position
    first_rows = ordered[ROW].gather(firsts).to_list()
    found = ordered[at].with_columns(pl.Series("_first", first_rows, dtype=ordered[ROW].dtype))
    return found.sort(ROW)


def _duplicate_key(table: NormalisedTable) -> list[str] | None:
    key = [k for k in table.spec.key if k in table.frame.columns]
    return key if key and len(key) == len(table.spec.key) else None


def _duplicate_issues(table: NormalisedTable) -> list[Issue]:
    key = _duplicate_key(table)
    if key is None:
        return []
    return _duplicate_issue_list(table, key, _duplicate_keys(table.frame, key))


def _duplicate_issue_list(
    table: NormalisedTable, key: list[str], found: pl.DataFrame | None
) -> list[Issue]:
    if found is None:
        return []
    issues = []
    for rec in found.iter_rows(named=True):
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
    # normalise() already found the formula-looking cells while it cleaned the text columns;
    # the hint holds while the frame is the one it was computed for.
    hinted = table.formula_rows if table.formula_frame is table.frame else None
    issues: list[Issue] = []
    for name, col in table.spec.columns.items():
        if col.type != "str" or name not in table.frame.columns:
            continue
        if hinted is not None and name in hinted:
            hits = table.frame.select(ROW, name)[hinted[name]]
        else:
            hits = table.frame.filter(pl.col(name).str.contains(FORMULA_START.pattern)).select(
                ROW, name
            )
        for row, value in hits.iter_rows():
            issues.append(
                table.issue("formula-text", row=row, field=name, value=value, severity=severity)
            )
    return issues


@dataclass
class EarlyChecks:
    """pandera and duplicate checks started on the columns normalise settled first.

    Long tables are checked while normalise still runs its slow pass on the other columns:
    those columns' values are final, so these checks give what they would give later.
    """

    columns: list[str]
    pool: ThreadPoolExecutor
    pandera: Future[pl.DataFrame | None] | None
    duplicates: Future[pl.DataFrame | None] | None


def start_checks(spec: Spec, settled: pl.DataFrame) -> EarlyChecks:
    """Start checking ``settled`` (row numbers and some final columns) in worker threads."""
    columns = [c for c in settled.columns if c in spec.columns]
    pool = ThreadPoolExecutor(max_workers=2)
    schema = build_schema(spec, columns)
    pandera = pool.submit(_pandera_failures, settled, schema) if columns else None
    keyed = bool(spec.key) and all(k in settled.columns for k in spec.key)
    duplicates = pool.submit(_duplicate_keys, settled, list(spec.key)) if keyed else None
    return EarlyChecks(columns, pool, pandera, duplicates)


def _checked_early(table: NormalisedTable, present: list[str]) -> list[Issue] | None:
    """pandera's and the duplicate issues, finishing checks normalise started; else ``None``."""
    early = table.early
    if not isinstance(early, EarlyChecks) or table.formula_frame is not table.frame:
        return None
    try:
        late = [c for c in present if c not in early.columns]
        mine = _pandera_failures(table.frame, build_schema(table.spec, late)) if late else None
        theirs = early.pandera.result() if early.pandera is not None else None
        issues = _pandera_issues(table, None, _in_column_order([theirs, mine], present))
        key = _duplicate_key(table)
        if key is not None:
            found = (
                early.duplicates.result()
                if early.duplicates is not None
                else _duplicate_keys(table.frame, key)
            )
            issues += _duplicate_issue_list(table, key, found)
        return issues
    finally:
        early.pool.shutdown(wait=False)


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
    early = _checked_early(table, present)
    if early is not None:
        issues += early
    elif table.frame.height < _PARALLEL_ROWS:
        issues += _pandera_issues(table, build_schema(table.spec, present))
        issues += _duplicate_issues(table)
    else:
        # pandera runs its checks one after another, mostly on one core: on a long table,
        # look for duplicates on the other meanwhile. The issues keep their order.
        with ThreadPoolExecutor(max_workers=1) as pool:
            duplicates = pool.submit(_duplicate_issues, table)
            issues += _pandera_issues(table, build_schema(table.spec, present))
            issues += duplicates.result()
    issues += _row_check_issues(table)
    issues += _formula_issues(table)
    return issues
