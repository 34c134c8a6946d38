"""Whatever bytes a supplier sends, checking a CSV gives a result with issues, never a crash.

Two kinds of input: arbitrary bytes, and CSV-shaped text (known headers, messy cells, quotes,
blank lines, any delimiter and encoding, sometimes a damaged byte) that reaches deeper into
normalising and validation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qsync.config import Workspace
from qsync.model import FileResult
from qsync.spec import Spec, load_specs
from qsync.submission import CheckOptions, check_file

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADERS = [
    "供应商代码", "Supplier Code", "物料编码", "Part No.", "批次号", "Lot No.", "到货日期",
    "Received Date", "来料数量", "Qty", "抽样数", "Sample Size", "不良数", "Defects", "判定",
    "Decision", "AQL", "Cpk", "检验日期", "不良类型", "Inspector", "直径(cm)", "", "Remarks",
    "Ｌｏｔ　Ｎｏ．",
]  # fmt: skip
CELLS = st.one_of(
    st.sampled_from(
        ["S0042", "P-1", "L1", "L1", "2026-10-05", "2026年10月5日", "46300", "1,200", "１２００",
         "-1", "0", "80", "98.5%", "OK", "特采", "NG", "=SUM(A1)", "@x", "", " ", "nan", "inf",
         "1e309", "9" * 30, '"', '""', "a\nb", "\t", "\ufeff", "\x00"]
    ),
    st.text(max_size=12),
)  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_specs(shared_workspace: Workspace) -> dict[str, Spec]:
    return load_specs(shared_workspace.rules_dir)


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-files") / "supplier.csv"


def _assert_is_a_result(result: FileResult, path: Path, lines: int | None = None) -> None:
    assert result.file == str(path)
    assert 0 <= result.invalid_rows <= result.rows
    for issue in result.issues + result.notes:
        assert issue.file == str(path)
        assert issue.severity in ("error", "warning", "info")
        assert isinstance(issue.rule, str) and issue.rule
        if issue.row is not None:
            assert 1 <= issue.row <= (lines or issue.row), issue
    if result.kind is None:
        assert result.errors, "a file matching no kind must say why"


@SETTINGS
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_give_a_result(
    data: bytes, fuzz_file: Path, fuzz_specs: dict[str, Spec]
) -> None:
    fuzz_file.write_bytes(data)
    result, _, _ = check_file(fuzz_file, fuzz_specs, CheckOptions())
    _assert_is_a_result(result, fuzz_file)


@st.composite
def csv_shaped(draw: st.DrawFn) -> tuple[bytes, int]:
    """CSV-like bytes and the number of lines a text editor shows for them."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    headers = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=10))
    width = len(headers)
    rows = draw(
        st.lists(st.lists(CELLS, min_size=max(0, width - 2), max_size=width + 2), max_size=8)
    )

    def cell(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [delimiter.join(cell(h) for h in headers)]
    for row in rows:
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append("")
        lines.append(delimiter.join(cell(v) for v in row))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "big5"]))
    data = text.encode(encoding, errors="replace")
    if data and draw(st.booleans()):
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0x80, 0xFF))]) + data[at + 1 :]
    editor_lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    return data, editor_lines


@SETTINGS
@given(sample=csv_shaped())
def test_csv_shaped_input_gives_a_result_with_rows_inside_the_file(
    sample: tuple[bytes, int], fuzz_file: Path, fuzz_specs: dict[str, Spec]
) -> None:
    data, lines = sample
    fuzz_file.write_bytes(data)
    result, _, _ = check_file(fuzz_file, fuzz_specs, CheckOptions())
    _assert_is_a_result(result, fuzz_file, lines)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=600), csv_shaped().map(lambda s: s[0])))
def test_cli_reports_any_input_as_json_with_exit_0_or_1(
    data: bytes,
    fuzz_file: Path,
    shared_workspace: Workspace,
    run_cli: Callable[[list[str]], Any],
) -> None:
    fuzz_file.write_bytes(data)
    argv = ["-w", str(shared_workspace.root), "validate", str(fuzz_file), "-f", "json"]
    run = run_cli(argv)
    assert run.code in (0, 1), run.err
    report = json.loads(run.out)
    assert [f["file"] for f in report["files"]] == [str(fuzz_file)]
    assert report["valid"] == (run.code == 0)
