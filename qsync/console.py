"""Rendering results for people (Rich) and scripts (JSON, CSV). The CLI calls these."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from qsync.i18n import Catalogue
from qsync.model import ValidationReport
from qsync.safety import neutralise
from qsync.submission import FileCheck, as_report

ISSUE_FIELDS = (
    "file",
    "sheet",
    "page",
    "row",
    "column",
    "field",
    "value",
    "rule",
    "severity",
    "message",
)


def report_json(report: ValidationReport) -> str:
    """The documented JSON form of a validation report."""
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def report_csv(report: ValidationReport) -> str:
    """One CSV line per issue, every cell neutralised against formula injection."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ISSUE_FIELDS)
    for result in report.files:
        for issue in result.issues:
            data = issue.to_dict()
            writer.writerow([neutralise(data[f]) for f in ISSUE_FIELDS])
    return out.getvalue()


def print_report(console: Console, checks: list[FileCheck], catalogue: Catalogue) -> None:
    """A Rich table of issues per file, then a summary line per file and overall."""
    ui = catalogue.ui
    report = as_report(checks)
    for check in checks:
        result, spec = check.result, check.spec
        if result.issues:
            table = Table(title=escape(result.file), title_justify="left", expand=False)
            for key in ("row", "column", "value", "rule", "message"):
                table.add_column(ui(key), overflow="fold")
            for issue in result.issues:
                where = str(issue.row or "")
                if issue.sheet:
                    where = f"{issue.sheet} › {where}"
                if issue.page:
                    where = f"p{issue.page} › {where}"
                style = "red" if issue.severity == "error" else "yellow"
                table.add_row(
                    escape(where),
                    escape(issue.column or ""),
                    escape(issue.value or ""),
                    f"[{style}]{escape(issue.rule)}[/]",
                    escape(issue.message),
                )
            console.print(table)
        for note in result.notes:
            console.print(f"[dim]  {escape(note.message)}[/]")
        if result.kind is None and result.rows == 0 and result.errors:
            console.print(f"[red]✗[/] {escape(ui('summary-unreadable', file=result.file))}")
            continue
        mark = "[green]✓[/]" if result.valid else "[red]✗[/]"
        counts = {
            "errors": len(result.errors),
            "warnings": len(result.issues) - len(result.errors),
        }
        title = spec.title.in_lang(catalogue.lang) if spec else "?"
        summary = ui(
            "summary",
            file=result.file,
            kind_title=title,
            rows=result.rows,
            valid_rows=result.valid_rows,
            invalid_rows=result.invalid_rows,
            **counts,
        )
        if result.encoding:
            summary += ui("summary-encoding", encoding=result.encoding)
        console.print(f"{mark} {escape(summary)}")
    bad = sum(1 for r in report.files if not r.valid)
    if bad:
        console.print(f"[red]{ui('total-invalid', bad=bad, files=len(report.files))}[/]")
    else:
        console.print(f"[green]{ui('total-valid', files=len(report.files))}[/]")
