"""``qsync demo``: a guided tour on the bundled sample data, in a throw-away workspace.

Each step runs a real ``qsync`` command (printed first, so a newcomer can type it again) on a
workspace built from ``sample_data/``: validate messy supplier files and hand them back
annotated, ingest twelve months of supplier data, score the month, trace the demo complaint.

Every step must end as expected: 0, or 1 for the steps that show bad supplier data on purpose.
An interrupted step (Ctrl-C: exit 130) or any other exit code stops the tour at once; the
demo says which step, and its exit code is that step's.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from qsync.config import Workspace, init_workspace
from qsync.errors import ExitCode
from qsync.i18n import Catalogue
from qsync.resources import sample_data_dir

DEMO_MONTH = "2026-10"
DEMO_COMPLAINT = "C-2026-017"
DEMO_SUPPLIER = "S0012"
DEMO_SUPPLIER_LOT = "L2609-0092"
DEMO_NIGHT = "2026-10-31T22:00"  # the nightly run after the month closed
NEXT_NIGHT = "2026-11-01T22:00"  # a day later: deadlines of the first tasks have passed
TREND_MONTHS = 12


def _months_before(month: str, count: int) -> list[str]:
    year, number = map(int, month.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{number:02d}")
        year, number = (year, number - 1) if number > 1 else (year - 1, 12)
    return sorted(out)


@dataclass(frozen=True)
class DemoRun:
    """How a demo tour ended: its workspace, its exit code and the step it stopped at."""

    root: Path
    exit_code: int = ExitCode.OK
    stopped_at: str | None = None  # catalogue key of the step that stopped the tour


class _StepFailed(Exception):
    """A step ended with an exit code it is not meant to show."""

    def __init__(self, code: int, command: str) -> None:
        super().__init__(code, command)
        self.code = code
        self.command = command


def run_demo(
    screen: Console,
    run: Callable[[list[str]], int],
    keep: Path | None = None,
    lang: str | None = None,
    errors: Console | None = None,
) -> DemoRun:
    """Build the demo workspace (in ``keep`` or a temp folder) and run the tour.

    ``run`` executes one command line (``qsync.cli.main``) and returns its exit code. The tour
    stops at the first step that is interrupted (exit 130 or ``KeyboardInterrupt``) or ends
    with a code it is not meant to show; ``errors`` (default ``screen``) then says which.
    """
    root = keep or Path(tempfile.mkdtemp(prefix="qsync-demo-"))
    workspace = init_workspace(root)
    catalogue = Catalogue.load(workspace.templates_dir, lang or workspace.settings.lang)
    chosen = catalogue.lang
    inbox = workspace.folder("inbox")
    for folder in ("csv", "xlsx", "pdf"):
        for sample in sorted((sample_data_dir() / folder).iterdir()):
            shutil.copy2(sample, inbox / sample.name)
    screen.print(catalogue.ui("demo-workspace", path=root))
    stage = "demo-step-validate"  # the step running (or being prepared), named if interrupted

    def step(title: str, *argv: str, shows_bad_data: bool = False) -> None:
        nonlocal stage
        stage = title
        screen.print(Rule(catalogue.ui(title)))
        screen.print(f"[bold]$ qsync {' '.join(argv)}[/]", highlight=False)
        with contextlib.chdir(root):  # paths in the commands are the workspace's, as typed there
            code = run(["-w", str(root), *argv, "--lang", chosen])
        if code == ExitCode.INTERRUPTED:  # the command caught Ctrl-C; the tour stops with it
            raise KeyboardInterrupt
        if code != ExitCode.OK and not (shows_bad_data and code == ExitCode.INVALID_DATA):
            raise _StepFailed(code, " ".join(argv))

    def stop(key: str, code: int, command: str = "") -> DemoRun:
        message = catalogue.ui(key, step=catalogue.ui(stage), command=command, code=code, path=root)
        (errors or screen).print(message, markup=False, highlight=False)
        return DemoRun(root, code, stage)

    try:
        step(
            "demo-step-validate",
            "validate",
            "inbox",
            "--annotate",
            "feedback",
            "--email",
            shows_bad_data=True,
        )
        step("demo-step-ingest", "ingest", str(sample_data_dir() / "workspace"))
        step("demo-step-quarantine", "ingest", "inbox", shows_bad_data=True)
        stage = "demo-step-score"  # the earlier months are scored for step 4's trends
        _score_earlier_months(workspace)
        step("demo-step-score", "score", "--month", DEMO_MONTH, "--now", DEMO_NIGHT)
        step("demo-step-alerts", "alerts", "--status", "open", "--now", DEMO_NIGHT)
        step("demo-step-again", "alerts", "run", "--month", DEMO_MONTH, "--now", NEXT_NIGHT)
        step(
            "demo-step-explain",
            "score",
            "--month",
            DEMO_MONTH,
            "--explain",
            DEMO_SUPPLIER,
            "--no-alerts",
        )
        step("demo-step-trace", "trace", "--complaint", DEMO_COMPLAINT)
        step(
            "demo-step-recall",
            "trace",
            "--forward",
            DEMO_SUPPLIER_LOT,
            "--recall",
            "--out",
            "recall",
        )
        step("demo-step-report", "report", "--month", DEMO_MONTH)
        step("demo-step-scorecard", "report", "--supplier", DEMO_SUPPLIER, "--month", DEMO_MONTH)
    except KeyboardInterrupt:
        return stop("demo-interrupted", ExitCode.INTERRUPTED)
    except _StepFailed as failed:
        return stop("demo-step-failed", failed.code, failed.command)
    screen.print(Rule())
    screen.print(catalogue.ui("demo-next", path=root))
    return DemoRun(root)


def _score_earlier_months(workspace: Workspace) -> None:
    """Keep the scorecards of the year before the demo month, for trends and the portrait."""
    from qsync.score import load_scorecard_rules
    from qsync.score.run import score_store
    from qsync.store import open_store

    store = open_store(workspace)
    rules = load_scorecard_rules(workspace.rules_dir / "scorecard.yaml", "rules/scorecard.yaml")
    for month in _months_before(DEMO_MONTH, TREND_MONTHS)[:-1]:
        score_store(store, month, rules)
