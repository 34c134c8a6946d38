"""The qsync command line: parse options, call the library, print, return an exit code.

No business rule lives here. Heavy libraries (polars, pandera) are imported inside the
commands that need them so that ``qsync --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console

from qsync.errors import ExitCode, QsyncError, UsageError

if TYPE_CHECKING:
    from qsync.config import Workspace

app = typer.Typer(
    name="qsync",
    help="Supplier quality data bridge: validate, normalise and store supplier submissions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
stdout = Console(soft_wrap=False)
stderr = Console(stderr=True, soft_wrap=True)


class _State:
    workspace: Path | None = None
    debug: bool = False


state = _State()

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: $QSYNC_WORKSPACE or cwd)."),
]
LangOption = Annotated[
    str | None, typer.Option("--lang", help="Language of messages: zh or en (default: settings).")
]
OutputFormat = Literal["table", "json", "csv"]


@app.callback()
def _root(
    workspace: WorkspaceOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    state.workspace = workspace
    state.debug = debug


def _workspace() -> Workspace:
    from qsync.config import find_workspace

    return find_workspace(state.workspace)


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
    paths: Annotated[list[Path], typer.Argument(help="Supplier files or folders.")],
    kind: Annotated[
        str | None, typer.Option(help="Submission kind (default: from headers).")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Force a text encoding.")] = None,
    output: Annotated[
        str, typer.Option("--format", "-f", help="Output: table, json or csv.")
    ] = "table",
    lang: LangOption = None,
) -> None:
    """Check supplier files against the submission standard and list every problem.

    Exit 0 when every file is valid, 1 when any file has errors or cannot be read.

    Example: qsync validate inbox/*.csv --format json
    """
    from qsync import console
    from qsync.i18n import Catalogue
    from qsync.spec import load_specs
    from qsync.submission import CheckOptions, expand_paths, validate_paths

    if output not in ("table", "json", "csv"):
        raise UsageError(f"unknown format '{output}'", hint="Use table, json or csv.")
    ws = _workspace()
    catalogue = Catalogue.load(ws.templates_dir, lang or ws.settings.lang)
    if ws.root is None and output == "table":
        stderr.print(f"[dim]{catalogue.ui('defaults-used')}[/]")
    specs = load_specs(ws.rules_dir)
    options = CheckOptions(kind=kind, encoding=encoding, max_bytes=ws.max_bytes)
    report, matched = validate_paths(expand_paths(paths), specs, options)
    for result in report.files:
        catalogue.fill(result.issues, matched.get(result.file))
        catalogue.fill(result.notes, matched.get(result.file))
    if output == "json":
        print(console.report_json(report))
    elif output == "csv":
        sys.stdout.write(console.report_csv(report))
    else:
        console.print_report(stdout, report, catalogue, matched)
    raise typer.Exit(ExitCode.OK if report.valid else ExitCode.INVALID_DATA)


@app.command()
def spec(
    check: Annotated[bool, typer.Option("--check", help="Only check the rule files.")] = False,
) -> None:
    """List the submission kinds of the rule specs in use (and check every rule file).

    Example: qsync spec --check
    """
    from qsync.spec import load_specs

    ws = _workspace()
    specs = load_specs(ws.rules_dir)
    for name, item in sorted(specs.items()):
        stdout.print(f"{name:22} {item.title.en} / {item.title.zh}  key: {', '.join(item.key)}")
    if check:
        stdout.print(f"[green]{len(specs)} rule file(s) OK[/]")


@app.command()
def demo(
    keep: Annotated[
        Path | None, typer.Option(help="Build the demo workspace here instead of a temp folder.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Run qsync on the bundled sample data and show what to look at.

    Example: qsync demo --lang en
    """
    from qsync.demo import run_demo

    run_demo(stdout, keep, lang)


def _crash_log(exc: BaseException) -> Path:
    import tempfile
    import traceback
    from datetime import datetime

    folder = Path(tempfile.gettempdir()) / "qsync-crash"
    try:
        from qsync.config import find_workspace

        ws = find_workspace(state.workspace)
        if ws.root is not None:
            folder = ws.root / "logs"
    except Exception:  # the crash log must be written even when the workspace is the problem
        pass
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-{datetime.now():%Y%m%d-%H%M%S}.log"
    path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return path


def _show_error(exc: QsyncError) -> None:
    from rich.markup import escape

    stderr.print(f"[red]error[/] {escape(f'[{exc.reference}] {exc}')}", highlight=False)
    for line in exc.details:
        stderr.print(f"  {line}", markup=False, highlight=False)
    if exc.note:
        stderr.print(f"  note: {exc.note}", markup=False)
    if exc.hint:
        stderr.print(f"  hint: {exc.hint}", markup=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI: the one error boundary that turns failures into messages and exit codes."""
    from typer._click.exceptions import ClickException

    try:
        returned = app(args=argv, standalone_mode=False)
        code: int = returned if isinstance(returned, int) else ExitCode.OK
    except typer.Exit as exc:
        code = exc.exit_code
    except ClickException as exc:
        exc.show()
        code = ExitCode.USAGE
    except (KeyboardInterrupt, typer.Abort):
        stderr.print("interrupted")
        code = ExitCode.INTERRUPTED
    except QsyncError as exc:
        if state.debug:
            raise
        _show_error(exc)
        code = exc.exit_code
    except Exception as exc:
        if state.debug:
            raise
        log = _crash_log(exc)
        stderr.print(f"[red]unexpected error[/]: {type(exc).__name__}. Details in {log}")
        code = ExitCode.INTERNAL
    if argv is None:
        sys.exit(code)
    return code
