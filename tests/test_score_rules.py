"""Scoring rule files load with their defaults, and every mistake is reported at its line.

Each test writes a small ``scorecard.yaml`` or ``materials.yaml`` into ``tmp_path``; the line
numbers asserted are the lines of the text written here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qsync.errors import ExitCode, SpecError
from qsync.score.materials import load_material_rules
from qsync.score.rules import load_scorecard_rules

SCORECARD = "rules/scorecard.yaml"
MATERIALS = "rules/materials.yaml"

VALID_SCORECARD = """\
groups:
  quality: {en: Quality, zh: 质量}
metrics:
  lots: {name: {en: Lots, zh: 批次数}, group: quality}
  ppm:
    name: {en: PPM, zh: PPM}
    group: quality
    weight: 40
    points:
      bands:
        - {at_most: 100, points: 100}
        - {points: 0}
  otd:
    name: {en: OTD, zh: 准时交货率}
    group: quality
    weight: 60
    points:
      linear: {zero_at: 0.8, full_at: 1.0}
grades:
  - {grade: A, min_score: 80, name: {en: Good, zh: 好}}
  - {grade: D, min_score: 0, name: {en: Bad, zh: 差}, actions: [{en: Stop, zh: 暂停}]}
risk_portrait:
  quality: {name: {en: Quality, zh: 质量}, weight: 1, metrics: [ppm]}
  delivery: {name: {en: Delivery, zh: 交付}, weight: 1, metrics: [otd]}
  complaints: {name: {en: Complaints, zh: 投诉}, weight: 0, metrics: [ppm]}
  audits: {name: {en: Audits, zh: 审核}, weight: 0, metrics: [ppm]}
  certificates: {name: {en: Certificates, zh: 证书}, weight: 0}
  trend: {name: {en: Trend, zh: 趋势}, weight: 0}
  levels:
    - {level: high, min_risk: 0.5, name: {en: High, zh: 高}}
    - {level: low, min_risk: 0, name: {en: Low, zh: 低}}
"""
# Lines: 8 ppm.weight, 9 ppm.points, 13 otd, 18 otd linear, 20 grades.0, 21 grades.1, 23 quality.


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _with(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _scorecard_mistakes(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_scorecard_rules(_write(tmp_path, "scorecard.yaml", text), SCORECARD)
    assert caught.value.exit_code == ExitCode.USAGE
    return caught.value.details


def test_shipped_rule_files_load() -> None:
    rules = load_scorecard_rules()
    materials = load_material_rules()
    assert [g.grade for g in rules.grades] == ["A", "B", "C", "D"]
    assert sum(rule.weight for rule in rules.weighted.values()) == 100
    assert rules.missing_data.policy == "redistribute"
    assert rules.delivery.tolerance_days == 0
    assert (rules.complaints.containment_days, rules.complaints.closure_days) == (1, 30)
    assert sorted(materials.classes) == ["A", "B", "C"]
    assert materials.classes["A"].aql == 0.065
    assert materials.classes["A"].conditional_release[0].id == "quality_manager"


def test_every_user_facing_phrase_is_in_english_and_chinese() -> None:
    rules = load_scorecard_rules()
    phrases = [m.name for m in rules.metrics.values()] + list(rules.groups.values())
    phrases += [g.name for g in rules.grades] + [a for g in rules.grades for a in g.actions]
    phrases += [lv.name for lv in rules.risk_portrait.levels]
    materials = load_material_rules()
    phrases += [c.name for c in materials.classes.values()]
    phrases += [r.name for c in materials.classes.values() for r in c.conditional_release]
    assert all(p.en.strip() and p.zh.strip() for p in phrases)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p.zh) or p.zh == p.en for p in phrases)


def test_valid_scorecard_loads_with_defaults(tmp_path: Path) -> None:
    rules = load_scorecard_rules(_write(tmp_path, "scorecard.yaml", VALID_SCORECARD), SCORECARD)
    assert list(rules.weighted) == ["ppm", "otd"]
    assert rules.activity == ["lots", "deliveries"]
    assert rules.complaints.excluded_status == ["rejected"]
    assert rules.grades[1].actions[0].zh == "暂停"


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        (
            "    weight: 40",
            "    wieght: 40",
            f"{SCORECARD}:8 metrics.ppm.wieght: unknown key (did you mean 'weight'?)",
        ),
        (
            "    weight: 40",
            "    weight: heavy",
            f"{SCORECARD}:8 metrics.ppm.weight: expected a number",
        ),
        (
            "        - {points: 0}",
            "        - {at_most: 500, points: 0}",
            f"{SCORECARD}:9 metrics.ppm.points: the last band must have no bound,"
            " so every value gets points",
        ),
        (
            "  - {grade: A, min_score: 80,",
            "  - {grade: A, min_score: -5,",
            f"{SCORECARD}:20 grades.0.min_score: input should be greater than or equal to 0",
        ),
        (
            "metrics: [ppm]}\n  delivery",
            "metrics: [lots]}\n  delivery",
            f"{SCORECARD}:23 risk_portrait.quality.metrics.0: 'lots' is not a metric with points",
        ),
        (
            "        - {at_most: 100, points: 100}",
            "        - {at_most: .nan, points: 100}",
            f"{SCORECARD}:11 metrics.ppm.points.bands.0.at_most:"
            " expected a finite number (not .nan or .inf)",
        ),
        (
            "    weight: 60",
            "    weight: .inf",
            f"{SCORECARD}:16 metrics.otd.weight: expected a finite number (not .nan or .inf)",
        ),
    ],
    ids=["typo-key", "weight-not-a-number", "no-catch-all", "negative", "factor", "nan", "inf"],
)
def test_each_scorecard_mistake_is_reported_at_its_line(
    tmp_path: Path, old: str, new: str, line: str
) -> None:
    assert _scorecard_mistakes(tmp_path, _with(VALID_SCORECARD, old, new)) == [line]


def test_unknown_metric_is_reported_where_declared_and_where_used(tmp_path: Path) -> None:
    text = _with(VALID_SCORECARD, "  otd:\n", "  odt:\n")
    assert _scorecard_mistakes(tmp_path, text) == [
        f"{SCORECARD}:13 metrics.odt: unknown metric (did you mean 'otd'?)",
        f"{SCORECARD}:24 risk_portrait.delivery.metrics.0: 'otd' is not a metric with points",
    ]


def test_grades_out_of_order_and_not_reaching_zero(tmp_path: Path) -> None:
    text = _with(VALID_SCORECARD, "min_score: 0, name: {en: Bad", "min_score: 85, name: {en: Bad")
    assert _scorecard_mistakes(tmp_path, text) == [
        f"{SCORECARD}:21 grades.1.min_score: grades must be listed from the highest score down",
        f"{SCORECARD}:21 grades.1.min_score: the last grade must start at 0",
    ]


def test_every_scorecard_mistake_is_reported_at_once(tmp_path: Path) -> None:
    text = _with(VALID_SCORECARD, "    weight: 40", "    wieght: 40")
    text = _with(text, "zero_at: 0.8, full_at: 1.0", "zero_at: 0.8, full_at: 0.8")
    text = _with(text, "  - {grade: A, min_score: 80,", "  - {grade: A, min_score: 180,")
    assert _scorecard_mistakes(tmp_path, text) == [
        f"{SCORECARD}:8 metrics.ppm.wieght: unknown key (did you mean 'weight'?)",
        f"{SCORECARD}:18 metrics.otd.points.linear: 'zero_at' and 'full_at' must differ",
        f"{SCORECARD}:20 grades.0.min_score: input should be less than or equal to 100",
    ]


def test_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    text = _with(VALID_SCORECARD, "    weight: 40", "    weight: 40: heavy")
    assert _scorecard_mistakes(tmp_path, text) == [
        f"{SCORECARD}:8 mapping values are not allowed here"
    ]


VALID_MATERIALS = """\
default_class: B
classes:
  A:
    name: {en: Critical, zh: 关键件}
    inspection_level: II
    aql: 0.065
    ppm_limit: 50
    reduced_permitted: false
    conditional_release:
      - {id: quality_manager, name: {en: Quality manager, zh: 质量经理}}
  B:
    name: {en: Important, zh: 重要件}
    inspection_level: II
    aql: 0.65
    ppm_limit: 500
    conditional_release:
      - {id: quality_manager, name: {en: Quality manager, zh: 质量经理}}
  C:
    name: {en: General, zh: 一般件}
    inspection_level: I
    aql: 2.5
    ppm_limit: 2000
    conditional_release:
      - {id: sqe, name: {en: SQE, zh: 供应商质量工程师}}
"""
# Lines: 5 A.inspection_level, 6 A.aql, 11 B, 18 C.


def _material_mistakes(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_material_rules(_write(tmp_path, "materials.yaml", text), MATERIALS)
    return caught.value.details


def test_valid_materials_load(tmp_path: Path) -> None:
    rules = load_material_rules(_write(tmp_path, "materials.yaml", VALID_MATERIALS), MATERIALS)
    assert rules.default_class == "B"
    assert rules.classes["C"].inspection_level == "I"
    assert rules.classes["B"].reduced_permitted is True


def test_material_mistakes_are_reported_at_their_lines(tmp_path: Path) -> None:
    text = _with(VALID_MATERIALS, "    aql: 0.065", "    aql: 0.07")
    text = _with(
        text, "    inspection_level: II\n    aql: 0.07", "    inspection_level: IV\n    aql: 0.07"
    )
    text = _with(text, "  C:\n", "  D:\n")
    assert _material_mistakes(tmp_path, text) == [
        f"{MATERIALS}:5 classes.A.inspection_level: expected one of S-1, S-2, S-3, S-4, I, II, III",
        f"{MATERIALS}:6 classes.A.aql: 0.07 is not an AQL of ISO 2859-1 (0.010, 0.015, ... 1000)",
    ]
    text = _with(VALID_MATERIALS, "  C:\n", "  D:\n")
    assert _material_mistakes(tmp_path, text) == [
        f"{MATERIALS}:18 classes.D: unknown material class (expected A, B or C)",
        f"{MATERIALS}:2 classes: class 'C' is missing",
    ]


def test_conditional_release_needs_an_approver(tmp_path: Path) -> None:
    text = _with(
        VALID_MATERIALS,
        "    conditional_release:\n      - {id: sqe, name: {en: SQE, zh: 供应商质量工程师}}\n",
        "    conditional_release: []\n",
    )
    assert _material_mistakes(tmp_path, text) == [
        f"{MATERIALS}:23 classes.C.conditional_release: list should have at least 1 item"
        " after validation, not 0"
    ]
