"""The material classes of ``rules/materials.yaml``: sampling, PPM limit, 特采 approvers.

For each class A (critical), B (important), C (general): the ISO 2859-1 inspection level and
AQL used for sampling plans, the PPM limit, whether reduced inspection may be used, and the
roles who must approve a conditional release (特采). Checked when loaded like every rule
file: each mistake is reported as ``rules/materials.yaml:6 classes.A.aql: ...``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from qsync.resources import default_rules_dir
from qsync.rulefile import Problem, RuleModel, load_rule_file
from qsync.sampling import AQL_VALUES, INSPECTION_LEVELS
from qsync.spec import I18nText

__all__ = ["MATERIAL_CLASSES", "MaterialClass", "MaterialRules", "Role", "load_material_rules"]

MATERIAL_CLASSES = ("A", "B", "C")


class Role(RuleModel):
    """A role that signs off a decision, with a stable id and its name in both languages."""

    id: str
    name: I18nText


class MaterialClass(RuleModel):
    """Rules of one material class: sampling, PPM limit, who approves a conditional release."""

    name: I18nText
    inspection_level: str
    aql: float
    ppm_limit: float = Field(ge=0)
    reduced_permitted: bool = True
    conditional_release: list[Role] = Field(min_length=1)

    @field_validator("inspection_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.strip().upper() not in INSPECTION_LEVELS:
            raise ValueError(f"expected one of {', '.join(INSPECTION_LEVELS)}")
        return value.strip().upper()

    @field_validator("aql")
    @classmethod
    def _aql(cls, value: float) -> float:
        for tabulated in AQL_VALUES:
            if math.isclose(value, tabulated, rel_tol=1e-9):
                return tabulated
        raise ValueError(f"{value:g} is not an AQL of ISO 2859-1 (0.010, 0.015, ... 1000)")


class MaterialRules(RuleModel):
    """Contents of ``rules/materials.yaml``: classes A, B, C and the class of unclassed parts."""

    default_class: Literal["A", "B", "C"] = "A"
    classes: dict[str, MaterialClass]


def _material_checks(rules: MaterialRules) -> list[Problem]:
    problems: list[Problem] = []
    for name in rules.classes:
        if name not in MATERIAL_CLASSES:
            problems.append((("classes", name), "unknown material class (expected A, B or C)"))
    for name in MATERIAL_CLASSES:
        if name not in rules.classes:
            problems.append((("classes",), f"class '{name}' is missing"))
    return problems


def load_material_rules(path: Path | None = None, display: str | None = None) -> MaterialRules:
    """Load and check ``materials.yaml`` (the packaged default when ``path`` is None).

    >>> load_material_rules().classes["A"].aql
    0.065
    """
    if path is None:
        path, display = default_rules_dir() / "materials.yaml", display or "rules/materials.yaml"
    return load_rule_file(path, MaterialRules, display=display, checks=_material_checks)
