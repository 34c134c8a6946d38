"""The built wheel carries the default rules and templates and works in a fresh environment.

The fast test builds the wheel (about a second with a warm uv cache) and reads its file list;
the slow one installs it into a new virtual environment and runs ``qsync`` from there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# ``uv run`` names itself in $UV, so the tests find uv even when CI runs it as ``python3 -m uv``.
# uv is the project's one prerequisite: without it these tests fail, saying so.
UV = os.environ.get("UV") or shutil.which("uv")

HEADER = "供应商代码,物料编码,批次号,到货日期,来料数量,抽样数,不良数,判定\n"
GOOD = HEADER + "S0042,P-1001,L1,2026-10-05,1200,80,0,合格\n"
BAD = HEADER + "S0042,P-1001,L1,2026-10-05,1200,80,-1,合格\n"


def _env() -> dict[str, str]:
    """The environment without this test run's virtualenv or workspace."""
    drop = {"VIRTUAL_ENV", "QSYNC_WORKSPACE", "PYTHONPATH"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _build_wheel(out: Path) -> Path:
    assert UV is not None, "uv not found: neither $UV (set by uv run) nor uv on the PATH"
    done = _run(UV, "build", "--wheel", "--quiet", "--out-dir", out, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("qsync-*.whl")
    return wheel


def test_wheel_ships_default_rules_templates_and_the_entry_point(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = archive.read(entry_points).decode()
        shipped = archive.read("qsync/_defaults/rules/specs/inspections.yaml")
    assert {
        "qsync/_defaults/rules/specs/inspections.yaml",
        "qsync/_defaults/templates/i18n/zh.yaml",
        "qsync/_defaults/templates/i18n/en.yaml",
        "qsync/__main__.py",
    } <= names
    assert "qsync = qsync.cli:main" in scripts
    assert shipped == (ROOT / "rules" / "specs" / "inspections.yaml").read_bytes()


@pytest.mark.slow
def test_wheel_installed_in_a_fresh_venv_runs_init_and_validate(
    tmp_path: Path, csv_file: Callable[..., Path]
) -> None:
    assert UV is not None, "uv not found: neither $UV (set by uv run) nor uv on the PATH"
    wheel = _build_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    done = _run(UV, "venv", "--quiet", "--python", sys.executable, venv, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    done = _run(UV, "pip", "install", "--quiet", "--python", python, wheel, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    qsync = python.parent / "qsync"

    init = _run(qsync, "init", tmp_path / "plant1", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    ws = tmp_path / "plant1"
    assert sorted(p.name for p in ws.iterdir()) == [
        "inbox",
        "outbox",
        "qsync.yaml",
        "rules",
        "store",
        "templates",
    ]
    good, bad = csv_file("good.csv", GOOD, "gbk"), csv_file("bad.csv", BAD)

    valid = _run(qsync, "-w", ws, "validate", good, cwd=tmp_path)
    assert valid.returncode == 0, valid.stdout + valid.stderr

    invalid = _run(qsync, "-w", ws, "validate", bad, "-f", "json", "--lang", "en", cwd=tmp_path)
    assert invalid.returncode == 1, invalid.stderr
    (result,) = json.loads(invalid.stdout)["files"]
    assert [(i["row"], i["field"], i["message"]) for i in result["issues"]] == [
        (2, "defects", '"-1" must be 0 or more')
    ]

    # No workspace: the rules and templates packaged inside the wheel are used.
    defaults = _run(python, "-m", "qsync", "validate", good, cwd=tmp_path)
    assert defaults.returncode == 0, defaults.stdout + defaults.stderr
    assert "未找到工作区" in defaults.stderr
