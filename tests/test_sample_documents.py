"""The bundled sample submissions hold exactly the planted problems, and the demo shows them."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsync.cli import main
from qsync.resources import default_rules_dir, sample_data_dir
from qsync.spec import Spec, load_specs
from qsync.submission import check_file


@pytest.fixture(scope="module")
def specs() -> dict[str, Spec]:
    return load_specs(default_rules_dir())


def _found(path: Path, specs: dict[str, Spec]) -> list[tuple[str | None, int | None, str]]:
    result, _, _ = check_file(path, specs)
    return [(i.sheet or (f"p{i.page}" if i.page else None), i.row, i.rule) for i in result.issues]


def test_excel_sample_has_its_three_planted_errors(specs: dict[str, Spec]) -> None:
    path = sample_data_dir() / "xlsx" / "iqc_2026-10_东莞精工.xlsx"
    assert _found(path, specs) == [
        ("来料检验", 9, "out-of-range"),
        ("来料检验", 13, "unknown-value"),
        ("来料检验", 15, "row-check:defects<=sample_size"),
    ]
    result, tables, _ = check_file(path, specs)
    assert (result.rows, result.invalid_rows) == (9, 3)
    assert set(tables[0].table.frame["supplier_id"].to_list()) == {"S0031"}
    assert [n.rule for n in result.notes] == ["totals-row-skipped"]


def test_pdf_sample_spans_two_pages_with_its_two_planted_errors(specs: dict[str, Spec]) -> None:
    path = sample_data_dir() / "pdf" / "coa_S0017_L2610-0042.pdf"
    assert _found(path, specs) == [("p1", 14, "not-a-number"), ("p2", 5, "not-a-datetime")]
    result, tables, _ = check_file(path, specs)
    frame = tables[0].table.frame
    assert (result.kind, result.rows) == ("measurements", 40)
    assert set(frame["lot_id"].to_list()) == {"L2610-0042"}
    assert sorted(set(frame["_page"].to_list())) == [1, 2]


def test_demo_validates_and_hands_back_every_sample(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    assert main(["demo", "--keep", str(root), "--lang", "en"]) == 0
    annotated = sorted(p.name for p in (root / "feedback").glob("*.xlsx"))
    assert "iqc_2026-10_东莞精工.annotated.xlsx" in annotated
    assert "coa_S0017_L2610-0042.annotated.xlsx" in annotated
    stems = {name.removesuffix(".annotated.xlsx") for name in annotated}
    feedback = [p for p in (root / "outbox").glob("*.eml") if p.stem.split("-", 2)[2] in stems]
    assert len(feedback) == len(annotated)
    alerts = [p for p in (root / "outbox").glob("*.eml") if "AL-" in p.name]
    assert alerts  # the nightly run raised the demo's risk alerts and wrote their emails
