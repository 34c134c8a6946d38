"""One supplier file from bytes to a checked, typed table: read → match → normalise → validate.

This is the library entry point behind ``qsync validate`` (and later ``qsync ingest``): it
returns plain results and never prints.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qsync.errors import SupplierFileError, UsageError
from qsync.fastpath import FileBytes
from qsync.headers import AliasIndex, HeaderMatch, best_match, header_score, match_headers
from qsync.model import FileResult, Issue, ValidationReport
from qsync.normalise import NormalisedTable, normalise
from qsync.readers.base import PAGE, ROW, RawTable
from qsync.spec import Spec
from qsync.validate import check_table

if TYPE_CHECKING:
    import polars as pl

SUPPORTED = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".ods": "excel",
    ".xlsb": "excel",
    ".pdf": "pdf",
}


@dataclass
class CheckedTable:
    """A normalised table with its issues and, per row, whether it has an error."""

    table: NormalisedTable
    issues: list[Issue]
    rejected: pl.Series

    @property
    def invalid_rows(self) -> int:
        """How many rows have at least one error."""
        return int(self.rejected.sum())


@dataclass
class CheckOptions:
    """Options of a check: forced kind, encoding, size limit."""

    kind: str | None = None
    encoding: str | None = None
    max_bytes: int = 512 * 1024 * 1024


def file_sha256(path: Path) -> str:
    """Content hash of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _indexes(specs: dict[str, Spec], kind: str | None) -> list[AliasIndex]:
    if kind is None:
        return [AliasIndex.build(s) for s in specs.values()]
    if kind not in specs:
        raise UsageError(
            f"unknown kind '{kind}'",
            reference="unknown-kind",
            hint=f"Known kinds: {', '.join(sorted(specs))}.",
        )
    return [AliasIndex.build(specs[kind])]


def _check_size(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if size > max_bytes:
        raise SupplierFileError(
            f"file is {size / 2**20:,.1f} MiB, above the {max_bytes / 2**20:,.1f} MiB limit",
            reference="file-too-large",
            location=str(path),
            params={"size_mb": f"{size / 2**20:,.1f}", "limit_mb": f"{max_bytes / 2**20:,.1f}"},
        )


def read_tables(
    path: Path,
    indexes: list[AliasIndex],
    options: CheckOptions,
    content: FileBytes | None = None,
) -> list[RawTable]:
    """Read every table of a supplier file with the reader for its format.

    ``content``: the file's bytes, already read and hashed by the caller (CSV reads them
    from there; other formats read the file themselves).
    """
    fmt = SUPPORTED.get(path.suffix.lower(), "csv")
    if fmt == "csv":
        from qsync.readers.csv import read_csv

        table = read_csv(
            path,
            lambda line: header_score(line, indexes),
            encoding=options.encoding,
            max_bytes=options.max_bytes,
            content=content,
        )
        return [table]
    _check_size(path, options.max_bytes)
    if fmt == "excel":
        from qsync.readers.excel import read_excel

        return read_excel(path, indexes)
    from qsync.readers.pdf import read_pdf

    return read_pdf(path, indexes)


def _closest_spec(headers: list[str], indexes: list[AliasIndex]) -> HeaderMatch:
    def closeness(index: AliasIndex) -> int:
        return sum(1 for h in headers if h and index.suggest(h))

    index = max(indexes, key=closeness)
    return match_headers(headers, index)


def _unknown_column_issues(raw: RawTable, match: HeaderMatch, index: AliasIndex) -> list[Issue]:
    issues = []
    for position in match.unknown:
        header = raw.headers[position]
        suggestion = index.suggest(header)
        issues.append(
            Issue(
                raw.file,
                "unknown-column",
                "warning",
                row=raw.header_row,
                column=header,
                sheet=raw.sheet,
                params={"suggest": suggestion} if suggestion else {},
            )
        )
    return issues


def apply_document_fields(raw: RawTable, match: HeaderMatch) -> list[Issue]:
    """Add the spec's document fields found above the table as columns of every row.

    A value printed above the table (``供应商代码：S0042``) fills that column for every row
    when the table has no such column, and fills its empty cells when it has. A required
    document field found neither above the table nor in it is one issue.
    """
    import polars as pl

    spec = match.spec
    if not spec.document_fields:
        return []
    from qsync.docfields import extract_document_fields

    found = extract_document_fields(raw.document_text, spec)
    issues: list[Issue] = []
    positions = {name: pos for pos, name in match.fields.items()}
    for name, declared in spec.document_fields.items():
        value = found.get(name)
        if value is None:
            if declared.required and name not in positions:
                issues.append(
                    Issue(raw.file, "missing-document-field", row=None, field=name, sheet=raw.sheet)
                )
            continue
        if name in positions:
            column = str(positions[name])
            raw.frame = raw.frame.with_columns(pl.col(column).fill_null(value))
            continue
        position = len(raw.headers)
        raw.headers.append(declared.labels[0] if declared.labels else name)
        raw.frame = raw.frame.with_columns(pl.lit(value, dtype=pl.String).alias(str(position)))
        match.fields[position] = name
    return issues


def check_raw(
    raw: RawTable, indexes: list[AliasIndex], match: HeaderMatch | None = None
) -> tuple[Spec, CheckedTable | None, list[Issue]]:
    """Match a raw table to a spec (unless given) and validate it; ``None`` when none fits."""
    match = match or best_match(raw.headers, indexes)
    if match is None:
        closest = _closest_spec(raw.headers, indexes)
        issue = Issue(
            raw.file,
            "unknown-kind",
            row=raw.header_row,
            sheet=raw.sheet,
            params={"missing": ", ".join(closest.missing_required)},
        )
        return closest.spec, None, [*raw.issues, issue]
    index = next(i for i in indexes if i.spec is match.spec)
    doc_issues = apply_document_fields(raw, match)
    from qsync.validate import start_checks

    # A long table's settled columns are checked while its other columns are still parsed.
    table = normalise(raw, match, on_settled=lambda settled: start_checks(match.spec, settled))
    issues = doc_issues + check_table(table)
    issues += _unknown_column_issues(raw, match, index)
    order = {name: pos for pos, name in match.fields.items()}
    issues.sort(key=lambda i: (i.page or 0, i.row or 0, order.get(i.field or "", -1)))
    if table.frame.height == 0:
        issues.append(Issue(raw.file, "no-data-rows", row=raw.header_row, sheet=raw.sheet))
    errors = [i for i in issues if i.severity == "error"]
    return match.spec, CheckedTable(table, issues, _rejected(table, errors)), issues


def _rejected(table: NormalisedTable, errors: list[Issue]) -> pl.Series:
    """Per row of the typed frame: does it have an error? Rows are told apart by page too."""
    import polars as pl

    frame = table.frame
    if any(i.rule == "missing-column" for i in errors):
        return pl.repeat(True, frame.height, dtype=pl.Boolean, eager=True).alias("rejected")
    if PAGE in frame.columns:
        bad = pl.DataFrame(
            {PAGE: [i.page for i in errors], ROW: [i.row for i in errors]},
            schema={PAGE: frame.schema[PAGE], ROW: frame.schema[ROW]},
        )
        keys = frame.select(PAGE, ROW).with_row_index("_i")
        hit = keys.join(bad.unique(), on=[PAGE, ROW], how="semi")["_i"]
        flags = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).alias("rejected")
        return flags.scatter(hit, True)
    rows = {i.row for i in errors if i.row is not None}
    column = frame[ROW]
    if column.null_count() == 0 and column.is_sorted():
        # Rows in order: find each erroneous row by binary search instead of hashing them all.
        wanted = pl.Series(sorted(rows), dtype=column.dtype)
        firsts = column.search_sorted(wanted, side="left").to_list()
        ends = column.search_sorted(wanted, side="right").to_list()
        at = [i for first, end in zip(firsts, ends, strict=True) for i in range(first, end)]
        flags = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).alias("rejected")
        return flags.scatter(at, True) if at else flags
    return column.is_in(list(rows)).fill_null(False).alias("rejected")


@dataclass
class ReadFile:
    """A supplier file read, not yet checked: its result so far and its raw tables."""

    path: Path
    result: FileResult
    tables: list[RawTable]
    indexes: list[AliasIndex]


def read_file(
    path: Path,
    specs: dict[str, Spec],
    options: CheckOptions | None = None,
    content: FileBytes | None = None,
) -> ReadFile:
    """The first half of :func:`check_file`: read the tables (and the file's sha256).

    An unreadable file gives a result with one issue and no table. ``content`` is the file's
    bytes when the caller has read them already (their scan may still be running).
    """
    options = options or CheckOptions()
    indexes = _indexes(specs, options.kind)
    result = FileResult(file=str(path), format=SUPPORTED.get(path.suffix.lower(), "csv"))
    try:
        tables = read_tables(path, indexes, options, content)
        read_sha = tables[0].sha256 if tables else None
        result.sha256 = read_sha or (content.sha256 if content else file_sha256(path))
    except (SupplierFileError, OSError) as exc:
        if isinstance(exc, SupplierFileError):
            issue = Issue(str(path), exc.reference, params=dict(exc.params))
        else:
            issue = Issue(str(path), "unreadable-file", params={"reason": exc.strerror})
        result.issues.append(issue)
        try:
            result.sha256 = content.sha256 if content else file_sha256(path)
        except OSError:
            result.sha256 = None
        return ReadFile(path, result, [], indexes)
    return ReadFile(path, result, tables, indexes)


def check_read(read: ReadFile) -> tuple[FileResult, list[CheckedTable], Spec | None]:
    """The second half of :func:`check_file`: match, normalise and validate the tables read."""
    result, indexes = read.result, read.indexes
    checked: list[CheckedTable] = []
    spec: Spec | None = None
    matches = [(raw, best_match(raw.headers, indexes)) for raw in read.tables]
    several = len(read.tables) > 1 and any(m is not None and is_table_of(m) for _, m in matches)
    for raw, match in matches:
        result.encoding = raw.encoding
        result.notes.extend(raw.notes)
        if several and (match is None or not is_table_of(match)):
            # A workbook's other sheets (instructions, a field list) are not data tables.
            params = {"sheet": raw.sheet, "reason": "no-header"}
            result.notes.append(
                Issue(str(read.path), "sheet-skipped", "info", sheet=raw.sheet, params=params)
            )
            continue
        table_spec, table, issues = check_raw(raw, indexes, match)
        result.issues.extend(issues)
        if table is not None:
            spec = spec or table_spec
            result.kind = result.kind or table_spec.kind
            checked.append(table)
            result.rows += table.table.frame.height
            result.invalid_rows += table.invalid_rows
    return result, checked, spec


def check_file(
    path: Path,
    specs: dict[str, Spec],
    options: CheckOptions | None = None,
    content: FileBytes | None = None,
) -> tuple[FileResult, list[CheckedTable], Spec | None]:
    """Validate one supplier file; unreadable files become a result with one issue.

    ``content`` is the file's bytes when the caller has read them already.
    """
    return check_read(read_file(path, specs, options, content))


def is_table_of(match: HeaderMatch) -> bool:
    """Whether headers look like a table of the matched kind: half its required columns."""
    required = len(match.spec.required_columns)
    return match.score[0] * 2 >= required and match.score[1] > 0


@dataclass
class FileCheck:
    """Everything known about one checked file: its result, typed tables and matched spec."""

    path: Path
    result: FileResult
    tables: list[CheckedTable]
    spec: Spec | None


def validate_paths(
    paths: list[Path], specs: dict[str, Spec], options: CheckOptions | None = None
) -> list[FileCheck]:
    """Validate many files, one result each; a bad file never stops the others."""
    checks = []
    for path in paths:
        result, tables, spec = check_file(path, specs, options)
        checks.append(FileCheck(path, result, tables, spec))
    return checks


def as_report(checks: list[FileCheck]) -> ValidationReport:
    """The validation report of checked files (the documented JSON schema)."""
    return ValidationReport(files=[c.result for c in checks])


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, and the supported files inside given folders (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in SUPPORTED))
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}", reference="no-such-file")
    return files
