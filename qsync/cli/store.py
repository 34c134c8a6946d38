"""Commands over the store: ``ingest``, ``history`` and ``show`` (the audit trail)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from qsync.cli.app import LangOption, app, current_workspace, stderr, stdout
from qsync.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from qsync.i18n import Catalogue
    from qsync.ingest import FileIngest, IngestReport
    from qsync.spec import Spec
    from qsync.store import HistoryEntry, StoredRecord
    from qsync.store.lock import LockHolder

FormatOption = Annotated[str, typer.Option("--format", "-f", help="Output: table or json.")]


def _check_format(output: str) -> None:
    if output not in ("table", "json"):
        raise UsageError(f"unknown format '{output}'", hint="Use table or json.")


def _catalogue(lang: str | None) -> Catalogue:
    from qsync.i18n import Catalogue

    ws = current_workspace()
    return Catalogue.load(ws.templates_dir, lang or ws.settings.lang)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Supplier files or folders.")],
    kind: Annotated[
        str | None, typer.Option(help="Submission kind (default: from headers).")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Force a text encoding.")] = None,
    move_done: Annotated[
        bool,
        typer.Option(
            "--move-done", help="Move stored inbox files to inbox/done/ (setting ingest.move_done)."
        ),
    ] = False,
    output: FormatOption = "table",
    lang: LangOption = None,
) -> None:
    """Validate supplier files and store them: accepted rows in their table, rejected rows in
    quarantine, the file in the raw archive. A file already ingested is skipped.

    Exit 0 when every row of every file was stored, 1 when any file had rejected rows or
    could not be read.

    Example: qsync ingest inbox/ --format json
    """
    from qsync.ingest import ingest_paths
    from qsync.spec import load_specs
    from qsync.submission import CheckOptions

    _check_format(output)
    ws = current_workspace()
    catalogue = _catalogue(lang)
    specs = load_specs(ws.rules_dir)

    def waiting(holder: LockHolder) -> None:
        if holder.pid is None:
            stderr.print(catalogue.text("store", "waiting-unknown"), markup=False)
        else:
            stderr.print(catalogue.text("store", "waiting", **vars(holder)), markup=False)

    options = CheckOptions(kind=kind, encoding=encoding, max_bytes=ws.max_bytes)
    report = ingest_paths(
        paths,
        ws,
        specs,
        options=options,
        move_done=move_done or ws.settings.ingest.move_done,
        on_wait=waiting,
        catalogue=catalogue,
    )
    if output == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_ingest(report, catalogue)
    raise typer.Exit(ExitCode.OK if report.ok else ExitCode.INVALID_DATA)


def _print_ingest(report: IngestReport, catalogue: Catalogue) -> None:
    from qsync.ingest import summary

    for done in report.files:
        mark = "[green]✓[/]" if not done.failed else "[red]✗[/]"
        if done.status == "already-ingested":
            mark = "[dim]·[/]"
        stdout.print(f"{mark} {escape(_file_line(done, catalogue))}", highlight=False)
        if done.moved_to is not None:
            line = catalogue.text("store", "moved", path=done.moved_to)
            stdout.print(f"  {escape(line)}", highlight=False)
    totals = summary(report)
    style = "green" if report.ok else "red"
    total = escape(catalogue.text("store", "total", **totals))
    stdout.print(f"[{style}]{total}[/]", highlight=False)


def _file_line(done: FileIngest, catalogue: Catalogue) -> str:
    status = catalogue.text("store", f"status-{done.status}")
    if done.status == "already-ingested":
        previous = done.previous or {}
        when = previous.get("ingested_at")
        return catalogue.text(
            "store",
            "file-already",
            file=done.file,
            when=when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "?",
            previous=catalogue.text("store", f"status-{previous.get('status')}"),
        )
    if done.status == "unreadable":
        issues = done.result.errors if done.result else []
        reason = issues[0].message or issues[0].rule if issues else "?"
        return catalogue.text("store", "file-unreadable", file=done.file, reason=reason)
    title = done.spec.title.in_lang(catalogue.lang) if done.spec else done.kind
    return catalogue.text(
        "store",
        "file-summary",
        file=done.file,
        status=status,
        kind_title=title,
        table=done.table,
        rows_read=done.rows_read,
        rows_accepted=done.rows_accepted,
        rows_rejected=done.rows_rejected,
    )


def _spec_of(table: str, specs: dict[str, Spec]) -> Spec:
    for spec in specs.values():
        if spec.table == table:
            return spec
    known = ", ".join(sorted({s.table for s in specs.values()}))
    raise UsageError(f"no spec fills a table named '{table}'", hint=f"Tables: {known}.")


@app.command()
def history(
    table: Annotated[str, typer.Argument(help="Canonical table, e.g. inspections.")],
    key: Annotated[
        str | None,
        typer.Option(help="Only versions that changed this natural key (parts joined by /)."),
    ] = None,
    output: FormatOption = "table",
    lang: LangOption = None,
) -> None:
    """List the versions of a stored table, newest first, with the file behind each; with
    --key, every change of one record.

    Example: qsync history inspections --key L2610-0001
    """
    from qsync.spec import load_specs
    from qsync.store import history as table_history
    from qsync.store import open_store, parse_key

    _check_format(output)
    ws = current_workspace()
    catalogue = _catalogue(lang)
    wanted = None
    if key is not None:
        wanted = parse_key(list(_spec_of(table, load_specs(ws.rules_dir)).key), key)
    entries = table_history(open_store(ws), table, wanted)
    if output == "json":
        print(json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=2))
        return
    if not entries and key is not None:
        stdout.print(catalogue.text("store", "no-history", table=table, key=key), markup=False)
        return
    _print_history(entries, catalogue, table, key)


def _print_history(
    entries: list[HistoryEntry], catalogue: Catalogue, table: str, key: str | None
) -> None:
    def t(name: str, **params: Any) -> str:
        return catalogue.text("store", name, **params)

    title = t("history-key-title", table=table, key=key) if key else t("history-title", table=table)
    grid = Table(title=escape(title), title_justify="left")
    for column in ("version", "time", "operation", "file", "submission"):
        grid.add_column(t(column))
    grid.add_column(t("changed") if key else t("rows"))
    for entry in entries:
        if key:
            detail = t(f"change-{entry.change}")
            if entry.changed:
                detail += ": " + ", ".join(entry.changed)
        else:
            detail = t("rows-changed", **entry.metrics)
        grid.add_row(
            str(entry.version),
            entry.timestamp.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            entry.operation,
            escape(entry.file or ""),
            (entry.submission or "")[:12],
            escape(detail),
        )
    stdout.print(grid)


@app.command()
def show(
    table: Annotated[str, typer.Argument(help="Canonical table, e.g. inspections.")],
    key: Annotated[str, typer.Argument(help="Natural key; parts of a composite key joined by /.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="A version number or an ISO date and time (local time)."),
    ] = None,
    output: FormatOption = "table",
    lang: LangOption = None,
) -> None:
    """Show one stored record, where it came from (file, row, submission) and the path of
    the raw file in the archive. Exit 1 when there is no such record.

    Example: qsync show deliveries 4500012306/10/DL261026-01 --as-of 2026-10-31T18:00
    """
    from qsync.spec import load_specs
    from qsync.store import open_store, parse_as_of, parse_key
    from qsync.store import show as show_record

    _check_format(output)
    ws = current_workspace()
    catalogue = _catalogue(lang)
    wanted = parse_key(list(_spec_of(table, load_specs(ws.rules_dir)).key), key)
    when = parse_as_of(as_of) if as_of is not None else None
    record = show_record(open_store(ws), table, wanted, when)
    if output == "json":
        print(json.dumps(record.to_dict() if record else None, ensure_ascii=False, indent=2))
    elif record is None:
        suffix = catalogue.text("store", "as-of", as_of=as_of) if as_of else ""
        line = catalogue.text("store", "not-found", table=table, key=key, when=suffix)
        stderr.print(line, markup=False)
    else:
        _print_record(record, catalogue, key)
    if record is None:
        raise typer.Exit(ExitCode.INVALID_DATA)


def _print_record(record: StoredRecord, catalogue: Catalogue, key: str) -> None:
    def t(name: str, **params: Any) -> str:
        return catalogue.text("store", name, **params)

    title = t("show-title", table=record.table, key=key, version=record.version)
    grid = Table(title=escape(title), title_justify="left", show_header=True)
    grid.add_column(t("field"))
    grid.add_column(t("value"))
    for name, value in record.values.items():
        grid.add_row(escape(name), escape("" if value is None else str(value)))
    grid.add_section()
    for name, value in record.provenance.items():
        grid.add_row(f"[dim]{escape(name)}[/]", escape("" if value is None else str(value)))
    submission = record.submission or {}
    grid.add_section()
    grid.add_row(t("file"), escape(str(submission.get("source") or record.provenance["_file"])))
    grid.add_row(t("received"), escape(str(submission.get("received_at") or "")))
    grid.add_row(t("raw-file"), escape(record.raw_path))
    stdout.print(grid)
