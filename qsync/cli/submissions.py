"""Commands for supplier submissions: ``init``, ``validate``, ``spec`` and ``demo``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qsync.cli.app import LangOption, app, current_workspace, stderr, stdout
from qsync.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from qsync.spec import Spec


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    force: Annotated[bool, typer.Option(help="Overwrite rules and templates.")] = False,
) -> None:
    """Create a workspace: qsync.yaml, default rules/ and templates/, inbox/, store/, outbox/.

    Example: qsync init plant1
    """
    from qsync.config import init_workspace
    from qsync.i18n import Catalogue

    ws = init_workspace(directory, force=force)
    catalogue = Catalogue.load(ws.templates_dir, ws.settings.lang)
    stdout.print(catalogue.ui("workspace-created", path=ws.root))


@app.command()
def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="Supplier files or folders.", metavar="PATH...")
    ],
    kind: Annotated[
        str | None, typer.Option(help="Submission kind (default: from headers).")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Force a text encoding.")] = None,
    output: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    annotate: Annotated[
        Path | None, typer.Option(help="Write an annotated copy of each file into this folder.")
    ] = None,
    email: Annotated[
        bool, typer.Option("--email", help="Write a feedback email per file to the outbox.")
    ] = False,
    to: Annotated[
        list[str] | None, typer.Option("--to", help="Feedback recipient (default: master data).")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Check supplier files against the submission standard and list every problem.

    Exit 0 when every file is valid, 1 when any file has errors or cannot be read.

    Example: qsync validate inbox/*.csv --annotate feedback/ --email
    """
    from qsync import console
    from qsync.i18n import Catalogue
    from qsync.spec import load_specs
    from qsync.submission import CheckOptions, as_report, expand_paths, validate_paths

    if output not in ("table", "json", "csv"):
        raise UsageError(f"unknown format '{output}'", hint="Use table, json or csv.")
    ws = current_workspace()
    catalogue = Catalogue.load(ws.templates_dir, lang or ws.settings.lang)
    if ws.root is None and output == "table":
        stderr.print(f"[dim]{catalogue.ui('defaults-used')}[/]")
    specs = load_specs(ws.rules_dir)
    options = CheckOptions(kind=kind, encoding=encoding, max_bytes=ws.max_bytes)
    files = expand_paths(paths)
    if not files:
        raise UsageError(
            "no supplier files found",
            reference="no-files",
            location=", ".join(map(str, paths)),
            hint="Give .csv, .xlsx, .xlsm or .pdf files, or folders holding them.",
        )
    checks = validate_paths(files, specs, options)
    for check in checks:
        catalogue.fill_result(check.result, check.spec)
    report = as_report(checks)
    if output == "json":
        print(console.report_json(report))
    elif output == "csv":
        sys.stdout.write(console.report_csv(report))
    else:
        console.print_report(stdout, checks, catalogue)
    if annotate is not None or email:
        from qsync.feedback import hand_back

        for check in checks:
            for line in hand_back(check, ws, catalogue, annotate_dir=annotate, email=email, to=to):
                stderr.print(line, markup=False, highlight=False)
    raise typer.Exit(ExitCode.OK if report.valid else ExitCode.INVALID_DATA)


@app.command()
def spec(
    kind: Annotated[str | None, typer.Argument(help="Submission kind to document.")] = None,
    output: Annotated[str, typer.Option("--format", "-f", help="md or html.")] = "md",
    out: Annotated[Path | None, typer.Option(help="Write to this file (default: print).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Only check the rule files.")] = False,
    lang: LangOption = None,
) -> None:
    """Document the submission standard of a kind; without a kind, list the kinds.

    Every rule file is checked first; a mistake is reported with its file and line (exit 2).

    Example: qsync spec inspections --format html --out 来料检验标准.html
    """
    from qsync.i18n import Catalogue
    from qsync.spec import load_specs
    from qsync.standard import spec_document

    ws = current_workspace()
    specs = load_specs(ws.rules_dir)
    catalogue = Catalogue.load(ws.templates_dir, lang or ws.settings.lang)
    if check or kind is None:
        for name, item in sorted(specs.items()):
            title = item.title.in_lang(catalogue.lang)
            stdout.print(f"{name:22} {title}", markup=False, highlight=False)
        raise typer.Exit(ExitCode.OK)
    if output not in ("md", "html"):
        raise UsageError(f"unknown format '{output}'", hint="Use md or html.")
    document = spec_document(_known(specs, kind), catalogue, ws.templates_dir, output)
    if out is None:
        sys.stdout.write(document)
    else:
        out.write_text(document, encoding="utf-8")


@app.command()
def template(
    kind: Annotated[str, typer.Argument(help="Submission kind, e.g. inspections.")],
    out: Annotated[Path | None, typer.Option(help="Workbook to write.")] = None,
    lang: LangOption = None,
) -> None:
    """Write the Excel submission template of a kind, to hand to suppliers.

    Example: qsync template inspections --lang zh --out 来料检验模板.xlsx
    """
    from qsync.i18n import Catalogue
    from qsync.spec import load_specs
    from qsync.standard import write_template

    ws = current_workspace()
    specs = load_specs(ws.rules_dir)
    catalogue = Catalogue.load(ws.templates_dir, lang or ws.settings.lang)
    target = out or Path(f"{kind}_template_{catalogue.lang}.xlsx")
    path = write_template(_known(specs, kind), catalogue, target)
    stdout.print(catalogue.text("standard", "template-written", path=path), markup=False)


def _known(specs: dict[str, Spec], kind: str) -> Spec:
    if kind not in specs:
        raise UsageError(
            f"unknown kind '{kind}'",
            reference="unknown-kind",
            hint=f"Known kinds: {', '.join(sorted(specs))}.",
        )
    return specs[kind]


@app.command()
def demo(
    keep: Annotated[
        Path | None, typer.Option(help="Build the demo workspace here instead of a temp folder.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Run qsync on the bundled sample data and show what to look at.

    Stops at the first step that is interrupted (exit 130) or fails unexpectedly, with that
    step's exit code.

    Example: qsync demo --lang en
    """
    from qsync.cli.app import main
    from qsync.demo import run_demo

    raise typer.Exit(run_demo(stdout, main, keep, lang, errors=stderr).exit_code)
