"""The Typer app, shared options, and the one error boundary of the qsync command line.

Commands live in sibling modules, one per area, and register themselves on ``app``. No
business rule lives in the CLI, and heavy libraries (polars, pandera, deltalake) are imported
inside the commands that need them so that ``qsync --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qsync.errors import ExitCode, QsyncError

if TYPE_CHECKING:
    from rich.console import Console

    from qsync.config import Workspace

app = typer.Typer(
    name="qsync",
    help="Supplier quality data bridge: validate, normalise and store supplier submissions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help: Typer's Rich help formatter imports Markdown and Pygments (~0.15 s), which
    # would break the 0.3 s budget of `qsync --help`.
    rich_markup_mode=None,
)


class _LazyConsole:
    """A Rich console created on first use, so that importing the CLI does not import Rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console as RichConsole

            self._console = RichConsole(**self._options)
        return getattr(self._console, name)


stdout: Console = _LazyConsole(soft_wrap=False)  # type: ignore[assignment]
stderr: Console = _LazyConsole(stderr=True, soft_wrap=True)  # type: ignore[assignment]


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


@app.callback()
def _root(
    workspace: WorkspaceOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    state.workspace = workspace
    state.debug = debug


def current_workspace() -> Workspace:
    """The workspace chosen by ``--workspace``, ``$QSYNC_WORKSPACE`` or the current folder."""
    from qsync.config import find_workspace

    return find_workspace(state.workspace)


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


class _CtrlC:
    """While active, notes whether SIGINT (Ctrl-C) arrived; it still interrupts as usual.

    Only in the main thread, where Python delivers signals; a nested :func:`main` (the demo
    runs commands through it) notes its own and restores the outer one's on exit.
    """

    def __init__(self) -> None:
        self.pressed = False
        self._installed = False
        self._previous: Any = None

    def __enter__(self) -> _CtrlC:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._installed:  # None: the previous handler was not Python's; restore the default
            signal.signal(signal.SIGINT, self._previous or signal.default_int_handler)

    def _on_sigint(self, signum: int, frame: object) -> None:
        self.pressed = True
        raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the CLI: the one error boundary that turns failures into messages and exit codes."""
    from typer._click.exceptions import ClickException

    ctrl_c = _CtrlC()
    try:
        with ctrl_c:
            returned = app(args=argv, standalone_mode=False)
        code: int = returned if isinstance(returned, int) else ExitCode.OK
        if ctrl_c.pressed:  # Typer turns Ctrl-C inside a command into a quiet exit code 130
            stderr.print("interrupted")
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
