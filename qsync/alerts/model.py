"""Plain data of the alerts room: a flag (a condition seen in the data), an alert, its tasks.

A :class:`Flag` is what the rules find tonight; an :class:`Alert` is what the event journal
says about it (see :mod:`qsync.alerts.state`). A flag and its alert share one id, derived
from the rule, the subject and the window, so finding the same condition again is finding
the same alert.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

Status = Literal["open", "acknowledged", "closed"]
STATUSES: tuple[Status, ...] = ("open", "acknowledged", "closed")


def alert_id(
    rule: str, supplier_id: str, part_no: str | None, subject: str | None, window: str
) -> str:
    """The stable id of an alert: ``AL-`` and 10 hex digits of a hash of what identifies it.

    The same rule, supplier, part, subject (a characteristic, a certificate type, a PPAP id)
    and window always give the same id; the window is what makes a recurrence a new alert.

    >>> alert_id("cpk_streak", "S0012", "P-1056", None, "L2609-0092")
    'AL-5244c8f115'
    """
    key = "\x1f".join((rule, supplier_id, part_no or "", subject or "", window))
    return "AL-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


@dataclass(frozen=True)
class Flag:
    """A condition one rule found in the data.

    ``subject`` narrows the supplier or supplier-part (characteristic, certificate type,
    PPAP id); ``window`` is where this occurrence starts (a streak's first lot, the first
    month of a run, a due date); ``evidence`` is JSON-ready data behind the flag.
    """

    rule: str
    supplier_id: str
    part_no: str | None
    subject: str | None
    window: str
    material_class: str | None
    evidence: dict[str, Any]

    @property
    def id(self) -> str:
        """The id of the alert this flag raises (see :func:`alert_id`)."""
        return alert_id(self.rule, self.supplier_id, self.part_no, self.subject, self.window)


@dataclass
class Task:
    """What one department must do for an alert, by when, and what happened since.

    ``escalation_level`` counts the escalation steps already sent (0: none).
    """

    department: str
    action: str
    within: timedelta
    due_at: datetime
    escalation_level: int = 0
    notified: list[str] = field(default_factory=list)
    acknowledged_at: datetime | None = None
    done_at: datetime | None = None

    def overdue(self, now: datetime) -> bool:
        """Not done and past its deadline."""
        return self.done_at is None and now > self.due_at

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601 with offset)."""
        return {
            "department": self.department,
            "action": self.action,
            "within_hours": round(self.within.total_seconds() / 3600, 4),
            "due_at": _iso(self.due_at),
            "escalation_level": self.escalation_level,
            "notified": list(self.notified),
            "acknowledged_at": _iso(self.acknowledged_at),
            "done_at": _iso(self.done_at),
        }


@dataclass(frozen=True)
class Note:
    """Something a person did to an alert: ``kind`` acknowledged, done or closed."""

    at: datetime
    kind: str
    actor: str
    note: str
    department: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "at": _iso(self.at),
            "kind": self.kind,
            "actor": self.actor,
            "note": self.note,
            "department": self.department,
        }


@dataclass
class Alert:
    """The state of one alert, folded from its events."""

    id: str
    rule: str
    supplier_id: str
    part_no: str | None
    subject: str | None
    window: str
    material_class: str | None
    month: str | None
    raised_at: datetime
    evidence: dict[str, Any]
    tasks: list[Task]
    status: Status = "open"
    acknowledged_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    notes: list[Note] = field(default_factory=list)

    def task(self, department: str) -> Task | None:
        """The task of one department, if the alert has one."""
        return next((t for t in self.tasks if t.department == department), None)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON form of an alert (see ``qsync alerts --format json``)."""
        return {
            "id": self.id,
            "rule": self.rule,
            "supplier_id": self.supplier_id,
            "part_no": self.part_no,
            "subject": self.subject,
            "window": self.window,
            "material_class": self.material_class,
            "month": self.month,
            "status": self.status,
            "raised_at": _iso(self.raised_at),
            "acknowledged_at": _iso(self.acknowledged_at),
            "closed_at": _iso(self.closed_at),
            "updated_at": _iso(self.updated_at),
            "evidence": self.evidence,
            "tasks": [t.to_dict() for t in self.tasks],
            "notes": [n.to_dict() for n in self.notes],
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")
