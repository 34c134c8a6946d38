"""The risk rule file ``rules/risk.yaml``: flags, tasks and deadlines, contacts, escalation.

Checked when loaded like every rule file (pydantic with unknown keys forbidden, then
cross-checks), and every mistake is reported at once as
``rules/risk.yaml:14 flags.cpk_streak.limit: expected a number`` (see :mod:`qsync.rulefile`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, field_validator

from qsync.resources import default_rules_dir
from qsync.rulefile import Problem, RuleModel, load_rule_file, suggest
from qsync.spec import I18nText
from qsync.yamlsource import Path_

__all__ = [
    "SUPPLIER_LEVEL",
    "Contacts",
    "Department",
    "EscalationStep",
    "FlagRule",
    "RiskRules",
    "TaskRule",
    "load_risk_rules",
    "parse_duration",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)\s*$")
_UNITS = {"m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
CLASS_KEYS = ("A", "B", "C", "default")
SUPPLIER_LEVEL = frozenset(
    {"otd_below_target", "audit_overdue", "certificate_expiring", "grade_drop", "complaints"}
)
"""Flags about a whole supplier: no part, so no material class (``within`` uses ``default``)."""
SUPPLIER_COLUMNS = ("quality_email", "purchasing_email", "engineering_email", "manager_email")


def parse_duration(value: object) -> timedelta:
    """``"2h"`` → 2 hours; minutes (``m``), hours (``h``) and days (``d``), decimals allowed.

    >>> parse_duration("1.5d"), parse_duration("30m")
    (datetime.timedelta(days=1, seconds=43200), datetime.timedelta(seconds=1800))
    """
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a duration such as 30m, 2h or 3d, got {value!r}")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def _within(value: object) -> object:
    """One duration, or a mapping of durations (each checked), for ``TaskRule.within``."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            try:
                out[key] = parse_duration(item)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return out
    return parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Within = Annotated[timedelta | dict[str, timedelta], BeforeValidator(_within)]


class Person(RuleModel):
    """A plant contact: a name to greet and an e-mail address."""

    name: str
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")


class Department(RuleModel):
    """A department that receives tasks.

    ``supplier_contact`` names the suppliers-table column with the supplier's contact for
    this department; ``mailbox`` lists plant addresses told when an alert is raised;
    ``manager`` is the first step of the escalation chain.
    """

    name: I18nText
    supplier_contact: (
        Literal["quality_email", "purchasing_email", "engineering_email", "manager_email"] | None
    ) = None
    mailbox: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(default_factory=list)
    manager: Person


class Contacts(RuleModel):
    """The plant's side: language and time zone of its messages, departments, quality manager."""

    lang: Literal["zh", "en"] = "zh"
    timezone: str = "Asia/Shanghai"
    plant_quality_manager: Person
    departments: dict[str, Department] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        _zone_of(value)
        return value

    @cached_property
    def zone(self) -> tzinfo:
        """The plant's time zone."""
        return _zone_of(self.timezone)

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the plant's time zone (a naive time is taken as plant time)."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.zone)
        return moment.astimezone(self.zone)


def _zone_of(name: str) -> tzinfo:
    match = _OFFSET.match(name.strip())
    if match:
        sign = 1 if match.group(1) == "+" else -1
        minutes = int(match.group(2)) * 60 + int(match.group(3))
        return timezone(sign * timedelta(minutes=minutes)) if minutes else UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use a name such as Asia/Shanghai or an offset +08:00"
        ) from None


class EscalationStep(RuleModel):
    """One step of the escalation chain, sent ``after`` the task's deadline has passed."""

    to: Literal["department_manager", "plant_quality_manager"]
    after: Duration = timedelta(0)
    supplier_manager: bool = False


class TaskRule(RuleModel):
    """What a department must do when the flag is raised, and within how long.

    ``within`` is one duration, or a mapping from material class (A, B, C, and ``default``
    for supplier-level flags) to a duration; a class missing from it gets no task.
    """

    department: str
    action: str
    within: Within

    def deadline(self, material_class: str | None) -> timedelta | None:
        """How long the department has for a subject of ``material_class`` (None: no task).

        >>> TaskRule(department="q", action="a", within={"A": "2h"}).deadline("B") is None
        True
        """
        if isinstance(self.within, timedelta):
            return self.within
        return self.within.get(material_class or "default")


class FlagRule(RuleModel):
    """Common settings of a flag: whether it is on, and the tasks its alerts carry."""

    enabled: bool = True
    tasks: list[TaskRule] = Field(default_factory=list)


class CpkStreakRule(FlagRule):
    """``consecutive`` lots in a row with a Cpk below ``limit``."""

    limit: float = 1.33
    consecutive: int = Field(default=3, ge=1)
    lookback_months: int = Field(default=6, ge=1)


class LotsRejectedRule(FlagRule):
    """``rejected`` of the last ``last`` lots rejected."""

    rejected: int = Field(default=2, ge=1)
    last: int = Field(default=5, ge=1)
    count_conditional: bool = False
    lookback_months: int = Field(default=6, ge=1)


class PpmRule(FlagRule):
    """The month's PPM of a supplier-part above its material class's limit."""

    min_lots: int = Field(default=1, ge=1)
    lookback_months: int = Field(default=6, ge=1)


class OtdRule(FlagRule):
    """The month's on-time delivery below ``target``."""

    target: float = Field(default=0.9, ge=0, le=1)
    min_deliveries: int = Field(default=1, ge=1)
    lookback_months: int = Field(default=6, ge=1)


class CertificateRule(FlagRule):
    """A certificate expiring within ``within_days`` days, or expired."""

    within_days: int = Field(default=30, ge=0)


class GradeDropRule(FlagRule):
    """The grade fell by at least ``by_at_least`` grades since the previous month."""

    by_at_least: int = Field(default=1, ge=1)


class NelsonRule(FlagRule):
    """Nelson rules checked on subgroup means of each measurement series."""

    rules: list[int] = Field(default_factory=lambda: [1, 2], min_length=1)
    lookback_months: int = Field(default=6, ge=1)
    min_subgroups: int = Field(default=20, ge=2)

    @field_validator("rules")
    @classmethod
    def _known(cls, value: list[int]) -> list[int]:
        bad = [r for r in value if not 1 <= r <= 8]
        if bad:
            raise ValueError(f"Nelson rules are numbered 1 to 8, got {bad[0]}")
        return value


class ComplaintsRule(FlagRule):
    """More than ``more_than`` complaints received in the month."""

    more_than: int = Field(default=0, ge=0)


class PpapRule(FlagRule):
    """A PPAP with one of ``statuses`` still not approved ``after_days`` after submission."""

    after_days: int = Field(default=60, ge=0)
    statuses: list[Literal["submitted", "interim", "rejected"]] = Field(
        default_factory=lambda: ["submitted"]  # type: ignore[arg-type]
    )


class Flags(RuleModel):
    """Every flag qsync knows; a flag left out of the file keeps its defaults (no tasks)."""

    cpk_streak: CpkStreakRule = Field(default_factory=CpkStreakRule)
    lots_rejected: LotsRejectedRule = Field(default_factory=LotsRejectedRule)
    ppm_over_limit: PpmRule = Field(default_factory=PpmRule)
    otd_below_target: OtdRule = Field(default_factory=OtdRule)
    audit_overdue: FlagRule = Field(default_factory=FlagRule)
    certificate_expiring: CertificateRule = Field(default_factory=CertificateRule)
    grade_drop: GradeDropRule = Field(default_factory=GradeDropRule)
    nelson: NelsonRule = Field(default_factory=NelsonRule)
    complaints: ComplaintsRule = Field(default_factory=ComplaintsRule)
    ppap_overdue: PpapRule = Field(default_factory=PpapRule)

    def get(self, rule_id: str) -> FlagRule:
        """The settings of one flag by id."""
        found: FlagRule = getattr(self, rule_id)
        return found


RULE_IDS: tuple[str, ...] = tuple(Flags.model_fields)


class RiskRules(RuleModel):
    """Contents of ``rules/risk.yaml``."""

    version: Literal[1] = 1
    supplier_statuses: list[str] = Field(
        default_factory=lambda: ["approved", "conditional", "potential"]
    )
    contacts: Contacts
    escalation: list[EscalationStep] = Field(default_factory=list)
    actions: dict[str, I18nText] = Field(default_factory=dict)
    flags: Flags = Field(default_factory=Flags)

    def action_text(self, action: str, lang: str) -> str:
        """What a task asks for, in ``lang``."""
        text = self.actions.get(action)
        return text.in_lang(lang) if text else action

    def department_name(self, department: str, lang: str) -> str:
        """A department's name in ``lang``."""
        found = self.contacts.departments.get(department)
        return found.name.in_lang(lang) if found else department


def _task_checks(rules: RiskRules) -> list[Problem]:
    problems: list[Problem] = []
    departments = list(rules.contacts.departments)
    for rule_id in RULE_IDS:
        for i, task in enumerate(rules.flags.get(rule_id).tasks):
            at: Path_ = ("flags", rule_id, "tasks", i)
            if task.department not in rules.contacts.departments:
                hint = suggest(task.department, departments)
                problems.append(((*at, "department"), f"unknown department{hint}"))
            if task.action not in rules.actions:
                hint = suggest(task.action, list(rules.actions))
                problems.append(((*at, "action"), f"'{task.action}' is not one of 'actions'{hint}"))
            if isinstance(task.within, dict):
                for key in task.within:
                    if key not in CLASS_KEYS:
                        problems.append(
                            ((*at, "within", key), "expected a material class A, B, C or default")
                        )
                if rule_id in SUPPLIER_LEVEL and "default" not in task.within:
                    problems.append(
                        (
                            (*at, "within"),
                            "this flag is about a whole supplier (no material class): "
                            "give one duration or a 'default'",
                        )
                    )
    return problems


def _risk_checks(rules: RiskRules) -> list[Problem]:
    problems = _task_checks(rules)
    seen: set[str] = set()
    for i, step in enumerate(rules.escalation):
        if step.to in seen:
            problems.append((("escalation", i, "to"), f"'{step.to}' appears twice"))
        seen.add(step.to)
        if i and step.after < rules.escalation[i - 1].after:
            problems.append((("escalation", i, "after"), "steps must be listed in time order"))
    rejected = rules.flags.lots_rejected
    if rejected.rejected > rejected.last:
        problems.append((("flags", "lots_rejected", "rejected"), "cannot be more than 'last' lots"))
    return problems


def load_risk_rules(path: Path | None = None, display: str | None = None) -> RiskRules:
    """Load and check ``risk.yaml`` (the packaged default when ``path`` is None).

    >>> rules = load_risk_rules()
    >>> rules.flags.cpk_streak.limit, rules.flags.cpk_streak.consecutive
    (1.33, 3)
    """
    if path is None:
        path, display = default_rules_dir() / "risk.yaml", display or "rules/risk.yaml"
    return load_rule_file(path, RiskRules, display=display, checks=_risk_checks)


def workspace_risk_rules(rules_dir: Path, root: Path | None = None) -> RiskRules:
    """The workspace's ``risk.yaml``, or the packaged default when the workspace has none.

    Mistakes are reported with the file's path relative to the workspace root when possible.
    """
    path = rules_dir / "risk.yaml"
    if not path.is_file():
        return load_risk_rules()
    shown: Any = path
    if root is not None:
        try:
            shown = path.resolve().relative_to(root.resolve())
        except ValueError:
            shown = path
    return load_risk_rules(path, str(shown))
