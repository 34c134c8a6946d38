"""Deadlines and escalation: which overdue tasks must be escalated now, and to which step.

A task is overdue when it is not done by its ``due_at`` (and its alert is not closed).
Step *k* of ``escalation`` in ``risk.yaml`` becomes due ``after`` the deadline; it is sent
once: the ``escalated`` event it leaves raises the task's ``escalation_level`` to *k*, and a
step at or below that level is never sent again. A run that comes late sends every step
that has fallen due, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from qsync.alerts.model import Alert, Task
from qsync.alerts.rules import EscalationStep, RiskRules
from qsync.alerts.state import utc


@dataclass(frozen=True)
class Escalation:
    """Escalation step ``level`` (1-based) of one task, due since ``due_at``."""

    alert: Alert
    task: Task
    level: int
    step: EscalationStep
    due_at: datetime


def due_escalations(alerts: Iterable[Alert], rules: RiskRules, now: datetime) -> list[Escalation]:
    """Every escalation step due at ``now`` and not yet sent, by alert and department.

    >>> from datetime import UTC, datetime, timedelta
    >>> from qsync.alerts.rules import load_risk_rules
    >>> from qsync.alerts.model import Alert, Task
    >>> t0 = datetime(2026, 10, 31, 22, tzinfo=UTC)
    >>> task = Task("purchasing", "contact_supplier", timedelta(hours=2), t0 + timedelta(hours=2))
    >>> alert = Alert("AL-1", "cpk_streak", "S1", "P1", None, "L1", "A", "2026-10", t0, {}, [task])
    >>> [e.level for e in due_escalations([alert], load_risk_rules(), t0 + timedelta(hours=3))]
    [1]
    """
    now = utc(now)
    chain = rules.escalation
    out = []
    for alert in alerts:
        if alert.status == "closed":
            continue
        for task in alert.tasks:
            if task.done_at is not None:
                continue
            for level in range(task.escalation_level + 1, len(chain) + 1):
                step = chain[level - 1]
                when = task.due_at + step.after
                if now <= when:
                    break
                out.append(Escalation(alert, task, level, step, when))
    return out


def overdue_tasks(alerts: Iterable[Alert], now: datetime) -> list[tuple[Alert, Task]]:
    """Tasks of open or acknowledged alerts that are not done and past their deadline."""
    now = utc(now)
    return [
        (alert, task)
        for alert in alerts
        if alert.status != "closed"
        for task in alert.tasks
        if task.overdue(now)
    ]
