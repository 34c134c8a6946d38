"""The ``trace`` command: lot genealogy backward, forward, and the mock recall workbook.

Exit codes: 0 the lot (or complaint) was found and traced, even when the trace reports cycles
or missing links; 1 the lot or complaint is not in the store, or the complaint names no lot
(the message names it and the closest ids); 2 bad usage, or a store without genealogy.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qsync.cli.app import LangOption, app, current_workspace, stderr, stdout
from qsync.errors import ExitCode, QsyncError, UsageError

if TYPE_CHECKING:
    from qsync.config import Workspace
    from qsync.i18n import Catalogue
    from qsync.trace.model import TraceDirection, TraceResult

FORMATS = ("tree", "table", "json", "csv", "mermaid", "dot")
_LOCALISED = ("unknown-lot", "unknown-complaint", "complaint-without-lot", "no-genealogy")


@app.command()
def trace(
    lot: Annotated[str | None, typer.Argument(help="Lot to trace backward.")] = None,
    backward: Annotated[
        str | None, typer.Option("--backward", help="Trace this lot backward to supplier lots.")
    ] = None,
    forward: Annotated[
        str | None,
        typer.Option("--forward", help="Trace this lot forward to customers (recall scope)."),
    ] = None,
    complaint: Annotated[
        str | None, typer.Option("--complaint", help="Trace the product lot of a complaint.")
    ] = None,
    both: Annotated[bool, typer.Option("--both", help="Trace backward and forward.")] = False,
    depth: Annotated[
        int | None, typer.Option("--depth", min=1, help="Follow at most this many levels.")
    ] = None,
    output: Annotated[
        str, typer.Option("--format", "-f", help="tree, json, csv, mermaid or dot.")
    ] = "tree",
    recall: Annotated[
        bool,
        typer.Option("--recall", help="Mock recall: write the forward scope as a workbook."),
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the recall workbook (default: .).")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Trace a lot through the genealogy: what it is made of, and where it went.

    Backward (the default) lists every consumed lot down to the supplier lots, with supplier,
    inspection decision, Cpk, work orders and operators. Forward lists every lot it went
    into, the shipments and the quantity per customer. Exit 0 when traced, 1 when the lot or
    complaint is unknown (the closest ids are named), 2 on bad usage.

    Example: qsync trace --forward L2610-0001 --recall --out recall/
    """
    from qsync.i18n import Catalogue

    ws = current_workspace()
    catalogue = Catalogue.load(ws.templates_dir, lang or ws.settings.lang)
    words = _Words(catalogue)
    if output not in FORMATS:
        raise UsageError(
            words("bad-format", value=output), hint=words("bad-format-hint"), reference="bad-format"
        )
    given = [value for value in (lot, backward, forward) if value is not None]
    if len(given) + (complaint is not None) != 1:
        raise UsageError(words("one-lot"), hint=words("one-lot-hint"), reference="one-lot")
    direction: TraceDirection = "both" if both else "forward" if forward else "backward"
    if recall and direction == "backward":
        raise UsageError(words("recall-forward"), hint=words("recall-forward-hint"))
    try:
        start = given[0] if given else None
        result = _run(ws, catalogue, start, complaint, direction, depth, recall, out)
    except QsyncError as exc:
        if exc.reference in _LOCALISED:
            _localise(exc, catalogue)
        raise
    if result.store.get("index_rebuilt"):
        parts = ", ".join(result.store["index_rebuilt"])
        stderr.print(f"[dim]{words('index-rebuilt', parts=parts)}[/]", highlight=False)
    _show(result, output, catalogue)
    raise typer.Exit(ExitCode.OK)


def _run(
    ws: Workspace,
    catalogue: Catalogue,
    lot: str | None,
    complaint: str | None,
    direction: TraceDirection,
    depth: int | None,
    recall: bool,
    out: Path | None,
) -> TraceResult:
    if not recall:
        from qsync.trace import trace as run_trace

        return run_trace(ws, lot, complaint=complaint, direction=direction, max_depth=depth)
    from qsync.trace.recall import mock_recall

    run = mock_recall(
        ws,
        lot,
        out_dir=out or Path.cwd(),
        catalogue=catalogue,
        complaint=complaint,
        direction=direction,
        max_depth=depth,
    )
    stderr.print(
        catalogue.text(
            "trace", "recall-written", path=run.workbook, seconds=run.audit["trace_seconds"]
        ),
        markup=False,
        highlight=False,
    )
    return run.result


def _show(result: TraceResult, output: str, catalogue: Catalogue) -> None:
    from qsync.trace import output as formats

    if output == "json":
        sys.stdout.write(formats.to_json(result) + "\n")
    elif output == "csv":
        sys.stdout.write(formats.to_csv(result))
    elif output == "mermaid":
        sys.stdout.write(formats.to_mermaid(result))
    elif output == "dot":
        sys.stdout.write(formats.to_dot(result))
    else:
        from qsync.trace.tree import render_trace

        stdout.print(render_trace(result, catalogue))


def _localise(exc: QsyncError, catalogue: Catalogue) -> None:
    """Reword an expected trace failure in the reader's language."""
    params = dict(exc.params)
    found = params.pop("closest", None)
    closest = [str(c) for c in found] if isinstance(found, list) else []
    exc.message = catalogue.text("trace", exc.reference, **params)
    hint_key = f"{exc.reference}-hint"
    if exc.reference in ("unknown-lot", "unknown-complaint"):
        hint_key = "closest-hint" if closest else "no-closest-hint"
    exc.hint = catalogue.text("trace", hint_key, closest=", ".join(closest), **params)


class _Words:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def __call__(self, key: str, **params: object) -> str:
        return self.catalogue.text("trace", key, **params)
