"""``qsync demo`` stops at the first step that is interrupted or fails unexpectedly.

The tour's steps run through a stand-in for ``qsync.cli.main`` that answers scripted exit
codes, so these tests run no real command; one test runs the real command line with an ingest
that is interrupted. That the whole tour exits 0 is ``test_sample_documents``'s demo test.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

import qsync.demo
import qsync.ingest
from qsync.cli import main
from qsync.demo import run_demo
from qsync.errors import ExitCode
from qsync.resources import sample_data_dir

VALIDATE = "validate inbox --annotate feedback --email"
INGEST = f"ingest {sample_data_dir() / 'workspace'}"
QUARANTINE = "ingest inbox"
INGEST_TITLE = "2. Ingest twelve months of supplier data into the store"


class Script:
    """Stands in for ``qsync.cli.main``: the n-th call returns (or raises) the n-th answer."""

    def __init__(self, *answers: int | type[BaseException]) -> None:
        self.answers = answers
        self.commands: list[str] = []

    def __call__(self, argv: list[str]) -> int:
        assert argv[-2] == "--lang"
        self.commands.append(" ".join(argv[2:-2]))  # without "-w ROOT" and "--lang LANG"
        answer = self.answers[len(self.commands) - 1]
        if isinstance(answer, type):
            raise answer
        return answer


def _console() -> Console:
    return Console(file=io.StringIO(), width=200, soft_wrap=True)


def _text(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def _tour(tmp_path: Path, script: Script, lang: str = "en") -> tuple[qsync.demo.DemoRun, str, str]:
    """Run the demo with ``script``: its result, what it printed, what it reported as errors."""
    screen, errors = _console(), _console()
    result = run_demo(screen, script, tmp_path / "demo", lang, errors=errors)
    return result, _text(screen), _text(errors)


@pytest.mark.parametrize(
    "interrupted",
    [KeyboardInterrupt, ExitCode.INTERRUPTED],
    ids=["raises-KeyboardInterrupt", "returns-130"],
)
def test_an_interrupted_step_stops_the_tour_with_exit_130(
    tmp_path: Path, interrupted: int | type[BaseException]
) -> None:
    script = Script(ExitCode.INVALID_DATA, interrupted)
    result, shown, errors = _tour(tmp_path, script)
    assert (result.exit_code, result.stopped_at) == (130, "demo-step-ingest")
    assert result.root == tmp_path / "demo"
    assert script.commands == [VALIDATE, INGEST]  # step 3 and later never ran
    assert errors == (
        f'Interrupted during step "{INGEST_TITLE}": the demo stopped there. '
        f"What it built so far is in {tmp_path / 'demo'}\n"
    )
    assert f"$ qsync {INGEST}" in shown
    assert f"$ qsync {QUARANTINE}" not in shown
    assert "Everything above is in" not in shown


def test_an_interrupt_while_scoring_the_earlier_months_stops_before_step_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(_workspace: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(qsync.demo, "_score_earlier_months", interrupted)
    script = Script(ExitCode.INVALID_DATA, ExitCode.OK, ExitCode.INVALID_DATA)
    result, shown, errors = _tour(tmp_path, script)
    assert (result.exit_code, result.stopped_at) == (130, "demo-step-score")
    assert script.commands == [VALIDATE, INGEST, QUARANTINE]
    assert errors.startswith('Interrupted during step "4. The nightly run: score every supplier')
    assert "$ qsync score" not in shown


@pytest.mark.parametrize(
    ("answers", "command", "title", "code"),
    [
        # a step that stores data must not report bad data
        ((ExitCode.INVALID_DATA, ExitCode.INVALID_DATA), INGEST, INGEST_TITLE, 1),
        ((ExitCode.INVALID_DATA, ExitCode.USAGE), INGEST, INGEST_TITLE, 2),
        # a step meant to show bad data (exit 1) still stops on any other failure
        (
            (ExitCode.OK, ExitCode.OK, ExitCode.INTERNAL),
            QUARANTINE,
            "3. Ingest the inbox: valid rows are stored, bad rows quarantined with their reasons",
            70,
        ),
    ],
    ids=["ingest-exits-1", "ingest-exits-2", "quarantine-exits-70"],
)
def test_a_step_failing_unexpectedly_stops_the_tour_with_its_exit_code(
    tmp_path: Path, answers: tuple[int, ...], command: str, title: str, code: int
) -> None:
    script = Script(*answers)
    result, shown, errors = _tour(tmp_path, script)
    assert result.exit_code == code
    assert script.commands == [VALIDATE, INGEST, QUARANTINE][: len(answers)]
    assert errors == (
        f'The demo stopped at step "{title}": qsync {command} exited with code {code}. '
        f"What it built so far is in {tmp_path / 'demo'}\n"
    )
    assert "Everything above is in" not in shown


def test_the_stop_is_reported_in_the_chosen_language(tmp_path: Path) -> None:
    script = Script(ExitCode.INVALID_DATA, ExitCode.USAGE)
    result, _, errors = _tour(tmp_path, script, lang="zh")
    assert (result.exit_code, result.stopped_at) == (2, "demo-step-ingest")
    assert errors == (
        f"演示在步骤“2. 将十二个月的供应商数据导入数据库”停止：qsync {INGEST} 的退出码为 2。"
        f"已生成的内容在 {tmp_path / 'demo'}\n"
    )


def test_qsync_demo_exits_130_when_its_ingest_is_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real command line: Ctrl-C inside ``qsync ingest`` ends ``qsync demo`` with 130."""

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(qsync.ingest, "ingest_paths", interrupted)
    root = tmp_path / "demo"
    assert main(["demo", "--keep", str(root), "--lang", "en"]) == ExitCode.INTERRUPTED
    captured = capsys.readouterr()
    assert f'Interrupted during step "{INGEST_TITLE}": the demo stopped there.' in captured.err
    assert f"$ qsync {INGEST}" in captured.out
    assert f"$ qsync {QUARANTINE}" not in captured.out
    assert "Everything above is in" not in captured.out
    assert len(list((root / "feedback").glob("*.annotated.xlsx"))) == 5  # step 1 did run
    assert not (root / "store" / "inspections").exists()  # nothing was ingested
