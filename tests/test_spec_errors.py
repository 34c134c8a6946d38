"""Mistakes in a rule file are reported at their line, all at once, and stop the CLI with exit 2.

Each test writes a small ``rules/specs/inspections.yaml`` into a fresh workspace, so the line
numbers asserted below are the lines of the text written here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qsync.config import Workspace
from qsync.errors import SpecError
from qsync.spec import load_spec, load_specs

# A valid spec; each mistake below replaces exactly one line of it (line numbers in comments).
VALID = """\
# Incoming inspection, cut down to what these tests need.
kind: inspections
title: {en: Incoming inspection, zh: 来料检验}
table: inspections
key: [lot_id]
columns:
  part_no:
    type: str
    required: true
    aliases: [物料编码, Part No.]
  lot_id:
    type: str
    required: true
    aliases: [批次号, Lot No.]
  sample_size:
    type: int
    required: true
    aliases: [抽样数, Sample Size]
  defects:
    type: int
    required: true
    aliases: [不良数, Defects]
row_checks:
  - expr: defects <= sample_size
"""
# Lines: 10 part_no.aliases, 14 lot_id.aliases, 20 defects.type, 24 the row check.

SPEC = "rules/specs/inspections.yaml"
TYPES = "'str', 'int', 'float', 'date', 'datetime', 'bool' or 'enum'"


def _with(*changes: tuple[str, str]) -> str:
    text = VALID
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


TYPO_KEY = ("    aliases: [物料编码, Part No.]", "    alias: [物料编码, Part No.]")
STRING_ALIASES = ("    aliases: [批次号, Lot No.]", "    aliases: 批次号")
UNKNOWN_TYPE = ("  defects:\n    type: int", "  defects:\n    type: integer")
UNKNOWN_COLUMN = ("  - expr: defects <= sample_size", "  - expr: defects <= sample_sise")
FUNCTION_CALL = ("  - expr: defects <= sample_size", "  - expr: read_csv('x') > 0")
NAN_LIMIT = ("    aliases: [不良数, Defects]", "    aliases: [不良数, Defects]\n    max: .nan")


@pytest.fixture
def write_spec(workspace: Workspace) -> Callable[[str], Path]:
    """Replace the workspace's inspections spec with the given text."""

    def write(text: str) -> Path:
        path = workspace.rules_dir / "specs" / "inspections.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _mistakes(path: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(path, SPEC)
    return caught.value.details


def test_valid_spec_loads(write_spec: Callable[[str], Path]) -> None:
    spec = load_spec(write_spec(VALID), SPEC)
    assert spec.key == ["lot_id"]
    assert spec.required_columns == ["part_no", "lot_id", "sample_size", "defects"]
    assert spec.row_checks[0].rule == "row-check:defects<=sample_size"


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (TYPO_KEY, f"{SPEC}:10 columns.part_no.alias: unknown key (did you mean 'aliases'?)"),
        (STRING_ALIASES, f"{SPEC}:14 columns.lot_id.aliases: expected a list of strings"),
        (UNKNOWN_TYPE, f"{SPEC}:20 columns.defects.type: expected one of {TYPES}"),
        (UNKNOWN_COLUMN, f"{SPEC}:24 row_checks.0.expr: 'sample_sise' is not a declared column"),
        (
            FUNCTION_CALL,
            f"{SPEC}:24 row_checks.0.expr: function 'read_csv' is not allowed in a row check",
        ),
        (
            NAN_LIMIT,
            f"{SPEC}:23 columns.defects.max: expected a finite number (not .nan or .inf)",
        ),
    ],
    ids=[
        *("typo-key", "aliases-as-string", "unknown-type", "unknown-column", "function-call"),
        "nan-limit",
    ],
)
def test_each_mistake_is_reported_at_its_line(
    write_spec: Callable[[str], Path], change: tuple[str, str], line: str
) -> None:
    assert _mistakes(write_spec(_with(change))) == [line]


def test_every_mistake_of_a_file_is_reported_at_once(write_spec: Callable[[str], Path]) -> None:
    text = _with(TYPO_KEY, STRING_ALIASES, UNKNOWN_TYPE, UNKNOWN_COLUMN) + (
        "  - expr: read_csv('x') > 0\n"
    )
    assert _mistakes(write_spec(text)) == [
        f"{SPEC}:10 columns.part_no.alias: unknown key (did you mean 'aliases'?)",
        f"{SPEC}:14 columns.lot_id.aliases: expected a list of strings",
        f"{SPEC}:20 columns.defects.type: expected one of {TYPES}",
        f"{SPEC}:24 row_checks.0.expr: 'sample_sise' is not a declared column",
        f"{SPEC}:25 row_checks.1.expr: function 'read_csv' is not allowed in a row check",
    ]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("defects <= (SELECT 1)", "a row check cannot contain a query (SELECT)"),
        (
            "defects <= lower(sample_size)",
            "cannot be evaluated: invalid series dtype: expected `String`, got `i64` "
            "for series with name `sample_size`",
        ),
        ("defects + sample_size", "must be a comparison that is true or false for each row"),
        ("defects <=", "not a valid expression: unable to parse 'defects <=' as Expr"),
    ],
    ids=["subquery", "wrong-operand-type", "not-boolean", "syntax"],
)
def test_row_check_that_would_fail_on_data_is_refused_on_load(
    write_spec: Callable[[str], Path], expr: str, message: str
) -> None:
    text = _with(("  - expr: defects <= sample_size", f"  - expr: {expr}"))
    assert _mistakes(write_spec(text)) == [f"{SPEC}:24 row_checks.0.expr: {message}"]


def test_yaml_syntax_error_names_its_line(write_spec: Callable[[str], Path]) -> None:
    text = _with(("  defects:\n    type: int", "  defects:\n    type: int: whole"))
    assert _mistakes(write_spec(text)) == [f"{SPEC}:20 mapping values are not allowed here"]


def test_mistakes_of_every_rule_file_are_reported_together(
    workspace: Workspace, write_spec: Callable[[str], Path]
) -> None:
    write_spec(_with(UNKNOWN_TYPE))
    other = workspace.rules_dir / "specs" / "receipts.yaml"
    other.write_text(VALID.replace("kind: inspections", "kind: receipts").replace("key:", "keys:"))
    with pytest.raises(SpecError) as caught:
        load_specs(workspace.rules_dir)
    assert str(caught.value) == f"{workspace.rules_dir}: 3 mistake(s) in rule files"
    assert caught.value.details == [
        f"{SPEC}:20 columns.defects.type: expected one of {TYPES}",
        "rules/specs/receipts.yaml:1 key: required key is missing",
        "rules/specs/receipts.yaml:5 keys: unknown key (did you mean 'key'?)",
    ]


@pytest.mark.parametrize("command", [["validate", "{file}"], ["spec", "--check"]])
def test_cli_exits_2_listing_every_mistake_on_stderr(
    workspace: Workspace,
    write_spec: Callable[[str], Path],
    csv_file: Callable[..., Path],
    cli: Callable[..., Any],
    command: list[str],
) -> None:
    write_spec(_with(TYPO_KEY, STRING_ALIASES, UNKNOWN_TYPE, UNKNOWN_COLUMN))
    supplier = csv_file("iqc.csv", "Part No.,Lot No.\nP-1,L1\n")
    argv = [c.replace("{file}", str(supplier)) for c in command]
    run = cli("--workspace", workspace.root, *argv)
    assert run.code == 2
    assert run.out == ""
    assert run.err.splitlines() == [
        f"error [invalid-rule-file] {workspace.rules_dir}: 4 mistake(s) in rule files",
        f"  {SPEC}:10 columns.part_no.alias: unknown key (did you mean 'aliases'?)",
        f"  {SPEC}:14 columns.lot_id.aliases: expected a list of strings",
        f"  {SPEC}:20 columns.defects.type: expected one of {TYPES}",
        f"  {SPEC}:24 row_checks.0.expr: 'sample_sise' is not a declared column",
        "  note: This is a problem in the rule files, not in supplier data.",
        "  hint: Fix the lines listed above.",
    ]
    assert "Traceback" not in run.err


@pytest.mark.parametrize(
    "expr",
    [
        "defects <= sample_size AND (defects >= 0 OR defects IS NULL)",
        "NOT (defects IN (1, 2))",
        "defects BETWEEN 0 AND sample_size",
    ],
)
def test_row_check_keywords_before_brackets_are_not_function_calls(
    write_spec: Callable[[str], Path], expr: str
) -> None:
    text = _with(("  - expr: defects <= sample_size", f"  - expr: {expr}"))
    assert load_spec(write_spec(text), SPEC).row_checks[0].expr == expr
