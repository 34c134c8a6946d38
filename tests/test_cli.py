"""The command line: output formats, exit codes, hostile files, and finding the workspace.

Commands run in-process through :func:`qsync.cli.main`; a real process is used only where the
process itself is the point (``python -m qsync``, which modules ``--help`` imports).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import qsync.config
from qsync.config import Workspace, find_workspace
from qsync.resources import default_rules_dir

Cli = Callable[..., Any]
MakeCsv = Callable[..., Path]

HEADER = "Supplier Code,Part No.,Lot No.,Received Date,Qty Received,Sample Size,Defects,Decision"
GOOD = (
    HEADER + "\nS0042,P-1001,L1,2026-10-05,1200,80,0,OK\nS0042,P-1001,L2,2026-10-06,500,50,1,NG\n"
)
BAD = (
    HEADER + "\nS0042,P-1001,L1,2026-10-05,1200,80,0,OK\nS0042,P-1001,L2,2026-10-06,500,50,-1,NG\n"
)


def _json(run: Any) -> dict[str, Any]:
    assert run.err == ""
    data: dict[str, Any] = json.loads(run.out)
    return data


# JSON and CSV output


def test_json_output_schema_and_values(workspace: Workspace, csv_file: MakeCsv, cli: Cli) -> None:
    good, bad = csv_file("good.csv", GOOD), csv_file("bad.csv", BAD)
    run = cli("-w", workspace.root, "validate", good, bad, "--format", "json", "--lang", "en")
    assert run.code == 1
    data = _json(run)
    assert (data["version"], data["valid"]) == (1, False)
    assert [f["file"] for f in data["files"]] == [str(good), str(bad)]
    first, second = data["files"]
    assert set(first) == {
        "file", "kind", "format", "encoding", "sha256", "valid",
        "rows", "valid_rows", "invalid_rows", "issues", "notes",
    }  # fmt: skip
    wanted = ("kind", "encoding", "valid", "rows", "valid_rows", "invalid_rows", "issues")
    assert [first[k] for k in wanted] == ["inspections", "utf-8", True, 2, 2, 0, []]
    assert [second[k] for k in wanted[:-1]] == ["inspections", "utf-8", False, 2, 1, 1]
    assert second["issues"] == [
        {
            "file": str(bad),
            "sheet": None,
            "page": None,
            "cell": None,
            "row": 3,
            "column": "Defects",
            "field": "defects",
            "value": "-1",
            "rule": "out-of-range",
            "severity": "error",
            "message": '"-1" must be 0 or more',
        }
    ]


def test_json_messages_follow_the_workspace_language(
    workspace: Workspace, csv_file: MakeCsv, cli: Cli
) -> None:
    run = cli("-w", workspace.root, "validate", csv_file("bad.csv", BAD), "-f", "json")
    assert [i["message"] for i in _json(run)["files"][0]["issues"]] == ["“-1”必须大于或等于 0"]


def test_csv_output_neutralises_formula_cells(
    workspace: Workspace, csv_file: MakeCsv, cli: Cli
) -> None:
    text = HEADER + ",Defect Type,=cmd|' /C calc'!A0\n"
    text += 'S0042,P-1001,L1,2026-10-05,1200,80,0,OK,"=HYPERLINK(""http://x.example"")",x\n'
    run = cli("-w", workspace.root, "validate", csv_file("formula.csv", text), "-f", "csv")
    assert run.code == 0  # formula text and an unknown column are warnings
    rows = list(csv.reader(io.StringIO(run.out)))
    assert rows[0] == [
        "file", "sheet", "page", "row", "column", "field", "value", "rule", "severity", "message",
    ]  # fmt: skip
    assert [(r[3], r[4], r[6], r[7]) for r in rows[1:]] == [
        ("1", "'=cmd|' /C calc'!A0", "", "unknown-column"),
        ("2", "Defect Type", '\'=HYPERLINK("http://x.example")', "formula-text"),
    ]


# Exit codes


def test_exit_0_when_every_file_is_valid(workspace: Workspace, csv_file: MakeCsv, cli: Cli) -> None:
    run = cli("-w", workspace.root, "validate", csv_file("good.csv", GOOD), "--lang", "en")
    assert run.code == 0
    assert "All 1 file(s) are valid." in run.out


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["--kind", "audits"], "error [unknown-kind] unknown kind 'audits'"),
        (["--format", "xml"], "error [bad-usage] unknown format 'xml'"),
        (["--encoding", "klingon"], "error [unknown-encoding] unknown encoding 'klingon'"),
        (
            ["--lang", "fr"],
            "error [bad-configuration] unknown language 'fr'; expected one of: en, zh",
        ),
    ],
)
def test_exit_2_for_bad_usage(
    workspace: Workspace, csv_file: MakeCsv, cli: Cli, args: list[str], stderr: str
) -> None:
    run = cli("-w", workspace.root, "validate", csv_file("good.csv", GOOD), *args)
    assert run.code == 2
    assert run.err.splitlines()[0] == stderr
    assert run.out == ""


def test_ctrl_c_in_a_command_exits_130_and_says_interrupted(
    workspace: Workspace, csv_file: MakeCsv, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal

    import qsync.submission

    def interrupted(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the files are being checked

    monkeypatch.setattr(qsync.submission, "validate_paths", interrupted)
    run = cli("-w", workspace.root, "validate", csv_file("good.csv", GOOD))
    assert (run.code, run.err.strip(), run.out) == (130, "interrupted", "")


def test_exit_2_for_a_missing_file(workspace: Workspace, tmp_path: Path, cli: Cli) -> None:
    missing = tmp_path / "nowhere.csv"
    run = cli("-w", workspace.root, "validate", missing)
    assert run.code == 2
    assert run.err == f"error [no-such-file] no such file or folder: {missing}\n"


def test_exit_2_for_a_workspace_without_settings(
    tmp_path: Path, csv_file: MakeCsv, cli: Cli
) -> None:
    run = cli("-w", tmp_path, "validate", csv_file("good.csv", GOOD))
    assert run.code == 2
    assert run.err.splitlines()[0] == f"error [no-workspace] no qsync.yaml in {tmp_path}"


def test_exit_2_for_a_mistake_in_workspace_settings(
    workspace: Workspace, csv_file: MakeCsv, cli: Cli
) -> None:
    assert workspace.root is not None
    settings = workspace.root / "qsync.yaml"
    settings.write_text("lang: fr\nlimit:\n  max_file_mb: 5\n", encoding="utf-8")
    run = cli("-w", workspace.root, "validate", csv_file("good.csv", GOOD))
    assert run.code == 2
    assert run.err.splitlines() == [
        f"error [bad-configuration] {settings}: invalid settings",
        f"  {settings}:1 lang: expected one of 'zh' or 'en'",
        f"  {settings}:2 limit: unknown key",
    ]


def test_click_usage_errors_exit_2(cli: Cli) -> None:
    assert cli("validate").code == 2
    assert cli("no-such-command").code == 2


# Hostile and broken files: each one clear issue naming the file; the other files still checked.

HOSTILE = [
    ("empty.csv", b"", "empty-file", "the file is empty"),
    ("blank-lines-only.csv", b"\r\n \n\t\n", "empty-file", "the file is empty"),
    (
        "binary-junk.csv",
        bytes(range(256)) * 8,
        "binary-file",
        "the file holds binary data, not a text table; ask the supplier for a CSV or Excel export",
    ),
    (
        "pdf-renamed.csv",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n",
        "not-a-csv",
        "this is a PDF, not a CSV text file; rename it with its real extension or export "
        "the sheet as CSV",
    ),
    (
        "zip-renamed.csv",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(40),
        "not-a-csv",
        "this is an Excel or zip file, not a CSV text file; rename it with its real extension "
        "or export the sheet as CSV",
    ),
    (
        "old-xls-renamed.csv",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64),
        "not-a-csv",
        "this is an old Excel .xls file, not a CSV text file; rename it with its real "
        "extension or export the sheet as CSV",
    ),
]


@pytest.mark.parametrize(("name", "data", "rule", "message"), HOSTILE)
def test_unreadable_file_is_one_issue_and_other_files_are_still_validated(
    workspace: Workspace,
    csv_file: MakeCsv,
    bytes_file: Callable[[str, bytes], Path],
    cli: Cli,
    name: str,
    data: bytes,
    rule: str,
    message: str,
) -> None:
    hostile, good = bytes_file(name, data), csv_file("good.csv", GOOD)
    run = cli("-w", workspace.root, "validate", hostile, good, "-f", "json", "--lang", "en")
    assert run.code == 1
    first, second = _json(run)["files"]
    assert (first["file"], first["kind"], first["rows"]) == (str(hostile), None, 0)
    assert [(i["file"], i["rule"], i["severity"], i["message"]) for i in first["issues"]] == [
        (str(hostile), rule, "error", message)
    ]
    assert (second["valid"], second["rows"]) == (True, 2)


def test_renamed_file_is_described_in_the_suppliers_language(
    workspace: Workspace, bytes_file: Callable[[str, bytes], Path], cli: Cli
) -> None:
    pdf = bytes_file("report.csv", HOSTILE[3][1])
    xls = bytes_file("book.csv", HOSTILE[5][1])
    run = cli("-w", workspace.root, "validate", pdf, xls, "-f", "json")
    assert run.code == 1
    assert _messages(run) == [
        "这是PDF 文件，不是 CSV 文本文件；请改用正确的扩展名，或将工作表导出为 CSV",
        "这是旧版 Excel .xls 文件，不是 CSV 文本文件；请改用正确的扩展名，或将工作表导出为 CSV",
    ]


def test_unreadable_file_in_the_table_output_is_named_without_a_traceback(
    workspace: Workspace, csv_file: MakeCsv, bytes_file: Callable[[str, bytes], Path], cli: Cli
) -> None:
    junk = bytes_file("junk.csv", bytes(range(256)) * 4)
    run = cli("-w", workspace.root, "validate", junk, csv_file("good.csv", GOOD), "--lang", "en")
    assert run.code == 1
    assert f"✗ {junk}: cannot be read" in run.out
    assert "1 of 2 file(s) have problems." in run.out
    assert "Traceback" not in run.out + run.err


def test_header_only_file(workspace: Workspace, csv_file: MakeCsv, cli: Cli) -> None:
    path = csv_file("header-only.csv", HEADER + "\n")
    run = cli("-w", workspace.root, "validate", path, "-f", "json", "--lang", "en")
    assert run.code == 1
    (result,) = _json(run)["files"]
    assert (result["kind"], result["rows"]) == ("inspections", 0)
    assert [(i["row"], i["rule"], i["message"]) for i in result["issues"]] == [
        (1, "no-data-rows", "the file has a header but no data rows")
    ]


@pytest.mark.parametrize("cut", [1, 2], ids=["mid-character", "mid-character-2"])
def test_truncated_file_reports_its_last_line(
    workspace: Workspace, bytes_file: Callable[[str, bytes], Path], cli: Cli, cut: int
) -> None:
    data = ("批次号,供应商代码,物料编码,到货日期,来料数量,抽样数,不良数,判定\n"
            "L1,S0042,P-1,2026-10-05,1200,80,0,合格\n"
            "L2,S0042,P-1,2026-10-05,1200,80,0,合格\n").encode()  # fmt: skip
    path = bytes_file("truncated.csv", data[: -1 - cut])  # 格 is 3 bytes, then the newline
    run = cli("-w", workspace.root, "validate", path, "-f", "json", "--lang", "en")
    assert run.code == 1
    (result,) = _json(run)["files"]
    assert [(i["row"], i["rule"], i["value"]) for i in result["issues"]] == [
        (3, "encoding-error", None),
        (3, "unknown-value", "合\ufffd"),
    ]
    assert result["issues"][0]["message"] == (
        "this line has bytes that are not valid utf-8; re-save the file as UTF-8"
    )
    assert (result["rows"], result["valid_rows"]) == (2, 1)


def test_truncated_inside_a_quoted_cell(workspace: Workspace, csv_file: MakeCsv, cli: Cli) -> None:
    path = csv_file("truncated-in-quotes.csv", GOOD + 'S0042,P-1001,"L3,2026-1')
    run = cli("-w", workspace.root, "validate", path, "-f", "json")
    assert run.code == 1
    (result,) = _json(run)["files"]
    assert [(i["row"], i["field"], i["rule"]) for i in result["issues"]] == [
        (4, "received_date", "missing-value"),
        (4, "qty_received", "missing-value"),
        (4, "sample_size", "missing-value"),
        (4, "defects", "missing-value"),
        (4, "decision", "missing-value"),
    ]


def test_file_over_the_size_limit_is_refused_unread(
    workspace: Workspace, csv_file: MakeCsv, cli: Cli
) -> None:
    assert workspace.root is not None
    (workspace.root / "qsync.yaml").write_text("limits:\n  max_file_mb: 0.0005\n", "utf-8")
    big = csv_file("big.csv", BAD + "S0042,P-1001,L3,2026-10-06,500,50,1,NG\n" * 10)
    small = csv_file("small.csv", HEADER + "\nS0042,P-1,L1,2026-10-05,1,1,0,OK\n")
    assert (big.stat().st_size, small.stat().st_size) == (557, 120)  # the limit is 524 bytes
    run = cli("-w", workspace.root, "validate", big, small, "-f", "json", "--lang", "en")
    assert run.code == 1
    first, second = _json(run)["files"]
    assert [(i["file"], i["rule"], i["message"]) for i in first["issues"]] == [
        (
            str(big),
            "file-too-large",
            "the file is 0.000531 MiB, above the 0.0005 MiB limit; split it by month or "
            "raise limits.max_file_mb",
        )
    ]
    assert (second["valid"], second["rows"]) == (True, 1)


# Workspace


def test_init_creates_the_workspace(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "plant1"
    run = cli("init", target)
    assert run.code == 0
    assert run.out == f"已在 {target.resolve()} 创建工作区\n"
    assert sorted(p.name for p in target.iterdir()) == [
        "inbox", "outbox", "qsync.yaml", "rules", "store", "templates",
    ]  # fmt: skip
    assert (target / "rules" / "specs" / "inspections.yaml").is_file()
    assert (target / "templates" / "i18n" / "zh.yaml").is_file()
    ws = find_workspace(target)
    assert (ws.root, ws.settings.lang, ws.max_bytes) == (target.resolve(), "zh", 512 * 2**20)


def _english_workspace(workspace: Workspace) -> Path:
    """Mark the workspace by its language, so a run shows which settings it used."""
    assert workspace.root is not None
    (workspace.root / "qsync.yaml").write_text("lang: en\n", encoding="utf-8")
    return workspace.root


def _messages(run: Any) -> list[str]:
    return [i["message"] for f in _json(run)["files"] for i in f["issues"]]


def test_workspace_from_option(workspace: Workspace, csv_file: MakeCsv, cli: Cli) -> None:
    root = _english_workspace(workspace)
    run = cli("--workspace", root, "validate", csv_file("bad.csv", BAD), "-f", "json")
    assert _messages(run) == ['"-1" must be 0 or more']


def test_workspace_from_environment(
    workspace: Workspace, csv_file: MakeCsv, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QSYNC_WORKSPACE", str(_english_workspace(workspace)))
    run = cli("validate", csv_file("bad.csv", BAD), "-f", "json")
    assert _messages(run) == ['"-1" must be 0 or more']


def test_workspace_found_from_a_subfolder(
    workspace: Workspace, csv_file: MakeCsv, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _english_workspace(workspace)
    path = csv_file("bad.csv", BAD)
    deep = root / "inbox" / "2026-10"
    deep.mkdir()
    monkeypatch.chdir(deep)
    run = cli("validate", path, "-f", "json")
    assert _messages(run) == ['"-1" must be 0 or more']
    assert find_workspace(cwd=deep).root == root


def test_option_wins_over_environment(
    workspace: Workspace,
    tmp_path: Path,
    csv_file: MakeCsv,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QSYNC_WORKSPACE", str(tmp_path / "not-a-workspace"))
    root = _english_workspace(workspace)
    run = cli("-w", root, "validate", csv_file("bad.csv", BAD), "-f", "json")
    assert _messages(run) == ['"-1" must be 0 or more']


def test_without_a_workspace_packaged_defaults_are_used_and_a_note_says_so(
    tmp_path: Path, csv_file: MakeCsv, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The packaged rules folder holds specs other people are editing; give the defaults only
    # the shipped inspections spec so this test is about the fallback, not about their files.
    rules = tmp_path / "packaged-rules"
    (rules / "specs").mkdir(parents=True)
    shipped = (default_rules_dir() / "specs" / "inspections.yaml").read_text("utf-8")
    (rules / "specs" / "inspections.yaml").write_text(shipped, "utf-8")
    monkeypatch.setattr(qsync.config, "default_rules_dir", lambda: rules)
    assert find_workspace(cwd=Path.cwd()).root is None
    run = cli("validate", csv_file("good.csv", GOOD))
    assert run.code == 0
    assert run.err == "未找到工作区；使用内置规则（运行 `qsync init 目录` 创建工作区）。\n"
    assert "全部 1 个文件有效。" in run.out


def test_spec_check_lists_the_kinds_in_use(workspace: Workspace, cli: Cli) -> None:
    run = cli("-w", workspace.root, "spec", "--check")
    assert (run.code, run.err) == (0, "")
    assert [line.split()[0] for line in run.out.splitlines()][:1] == ["inspections"]


# Real processes


def _python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QSYNC_WORKSPACE"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_python_dash_m_qsync_help(tmp_path: Path) -> None:
    done = _python("-m", "qsync", "--help", cwd=tmp_path)
    assert done.returncode == 0
    assert "Usage: python -m qsync [OPTIONS] COMMAND [ARGS]..." in done.stdout
    for command in ("init", "validate", "spec"):
        assert command in done.stdout


def test_help_does_not_import_polars_or_pandera(tmp_path: Path) -> None:
    code = (
        "import sys; from qsync.cli import main; code = main(['--help']); "
        "print(code, 'polars' in sys.modules, 'pandera' in sys.modules)"
    )
    done = _python("-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 False False"
