"""Shared fixtures: tiny supplier files written inside each test, and isolated workspaces.

Workspaces are created with :func:`qsync.config.init_workspace` in ``tmp_path`` and keep only
``rules/specs/inspections.yaml``: the other shipped specs are edited by other people, and a
test about CSV reading must not fail because someone saved a half-written audit spec.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from qsync.config import Workspace, init_workspace
from qsync.model import FileResult
from qsync.spec import Spec, load_specs
from qsync.submission import CheckedTable, CheckOptions, check_file

ZH_HEADER = "供应商代码,物料编码,批次号,到货日期,来料数量,抽样数,不良数,判定"
EN_HEADER = "Supplier Code,Part No.,Lot No.,Received Date,Qty Received,Sample Size,Defects,Decision"


def write_csv(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``tmp_path/name`` in ``encoding``, line endings exactly as given."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    """Write raw bytes to ``tmp_path/name``."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def keep_only_specs(root: Path, names: Iterable[str]) -> None:
    """Remove every rule spec of a workspace but the files ``names``."""
    kept = set(names)
    for spec in (root / "rules" / "specs").glob("*.yaml"):
        if spec.name not in kept:
            spec.unlink()


def keep_only_inspections(root: Path) -> None:
    """Remove every rule spec but ``inspections.yaml`` from a workspace."""
    keep_only_specs(root, ["inspections.yaml"])


def store_workspace(folder: Path) -> Workspace:
    """A workspace in ``folder`` whose rules are the inspections and deliveries specs only
    (what the store tests ingest)."""
    workspace = init_workspace(folder)
    assert workspace.root is not None
    keep_only_specs(workspace.root, ["inspections.yaml", "deliveries.yaml"])
    return workspace


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[..., Path]:
    """``csv_file(name, text, encoding="utf-8")`` writes a supplier file into ``tmp_path``."""

    def make(name: str, text: str, encoding: str = "utf-8") -> Path:
        return write_csv(tmp_path, name, text, encoding)

    return make


@pytest.fixture
def bytes_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """``bytes_file(name, data)`` writes raw bytes into ``tmp_path``."""

    def make(name: str, data: bytes) -> Path:
        return write_bytes(tmp_path, name, data)

    return make


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A fresh workspace in ``tmp_path/ws`` whose only rule spec is ``inspections.yaml``."""
    ws = init_workspace(tmp_path / "ws")
    assert ws.root is not None
    keep_only_inspections(ws.root)
    return ws


@pytest.fixture(scope="session")
def shared_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One inspections-only workspace for tests that must not write to it (hypothesis)."""
    ws = init_workspace(tmp_path_factory.mktemp("shared") / "ws")
    assert ws.root is not None
    keep_only_inspections(ws.root)
    return ws


@pytest.fixture
def specs(workspace: Workspace) -> dict[str, Spec]:
    """The specs of the :func:`workspace` fixture."""
    return load_specs(workspace.rules_dir)


@dataclass
class Checked:
    """What :func:`qsync.submission.check_file` returned for one file."""

    result: FileResult
    tables: list[CheckedTable]
    spec: Spec | None

    def column(self, name: str) -> list[object]:
        """The normalised values of one canonical column (first table)."""
        return self.tables[0].table.frame[name].to_list()

    def flat(self, *fields: str) -> list[tuple[object, ...]]:
        """Issues projected onto ``fields``, in report order."""
        return [tuple(getattr(i, f) for f in fields) for i in self.result.issues]


@pytest.fixture
def check(specs: dict[str, Spec]) -> Callable[..., Checked]:
    """``check(path, **CheckOptions)`` runs the library check of one file."""

    def run(path: Path, **options: object) -> Checked:
        return Checked(*check_file(path, specs, CheckOptions(**options)))  # type: ignore[arg-type]

    return run


@dataclass
class CliResult:
    """Exit code and captured output of one in-process CLI run."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., CliResult]:
    """``cli("validate", path, ...)`` runs :func:`qsync.cli.main` in-process.

    The environment variable is cleared and the current folder is an empty folder without a
    workspace, so only what the test passes selects a workspace.
    """
    from qsync.cli import main

    monkeypatch.delenv("QSYNC_WORKSPACE", raising=False)
    cwd = tmp_path / "cwd"
    cwd.mkdir(exist_ok=True)
    monkeypatch.chdir(cwd)

    def run(*args: object) -> CliResult:
        return run_main(main, [str(a) for a in args])

    return run


@pytest.fixture(scope="session")
def run_cli() -> Callable[[list[str]], CliResult]:
    """``run_cli(argv)``: :func:`qsync.cli.main` in-process, without function-scoped state."""
    from qsync.cli import main

    return lambda argv: run_main(main, argv)


def run_main(main: Callable[[list[str]], int], argv: list[str]) -> CliResult:
    """Run ``main(argv)`` capturing stdout and stderr (usable inside hypothesis tests)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _columns(200):
        code = main(argv)
    return CliResult(int(code), out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    """Wide rich output, so table cells are not folded mid-word."""
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = before
