"""The one bridge from reports to :mod:`qsync.alerts`: open alerts and the month's response
times, as plain rows a report can show.

``qsync.alerts`` is imported lazily, inside :func:`alerts_overview`. When it is missing
(an installation without the alerts room, or one of the names used here renamed), the
report says "no alerts data" instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qsync.config import Workspace
    from qsync.store import Store


@dataclass(frozen=True)
class TaskRow:
    """One department's task on an alert; times are plant time (naive).

    ``state`` is ``done``, ``overdue`` (not done, deadline passed), ``acknowledged`` or
    ``open``.
    """

    department: str
    action: str
    due_at: datetime
    state: str
    escalation_level: int


@dataclass(frozen=True)
class AlertRow:
    """An alert that is not closed, with its tasks (earliest deadline first)."""

    alert_id: str
    rule: str
    supplier_id: str
    part_no: str | None
    subject: str | None
    status: str
    raised_at: datetime
    tasks: tuple[TaskRow, ...]

    @property
    def next_due(self) -> datetime | None:
        """The earliest deadline of a task not yet done."""
        due = [t.due_at for t in self.tasks if t.state != "done"]
        return min(due) if due else None


@dataclass(frozen=True)
class ResponseRow:
    """Response times of one department to one rule's alerts raised in the month (hours)."""

    department: str
    rule: str
    tasks: int
    deadline_h: float
    respond_median_h: float | None
    done_median_h: float | None
    done_worst_h: float | None
    on_time: int
    late: int
    waiting: int


@dataclass(frozen=True)
class AlertsOverview:
    """Open alerts and response times; ``available`` is False when there is no alerts data."""

    available: bool
    timezone: str = ""
    open_alerts: tuple[AlertRow, ...] = ()
    responses: tuple[ResponseRow, ...] = field(default_factory=tuple)


def alerts_overview(
    workspace: Workspace,
    store: Store,
    month: str,
    lang: str,
    *,
    supplier_id: str | None = None,
    now: datetime | None = None,
) -> AlertsOverview:
    """Alerts not closed (of ``supplier_id`` only, when given) and the response times of the
    alerts raised in ``month`` (plant time zone of ``rules/risk.yaml``), as of ``now``.

    Department and action names are in ``lang``, from ``risk.yaml``. Returns
    ``AlertsOverview(available=False)`` when :mod:`qsync.alerts` cannot be imported.
    """
    try:
        from qsync.alerts.journal import load_alerts
        from qsync.alerts.lifecycle import select
        from qsync.alerts.rules import workspace_risk_rules
        from qsync.alerts.stats import response_stats
    except ImportError:
        return AlertsOverview(available=False)
    rules = workspace_risk_rules(workspace.rules_dir, workspace.root)
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=rules.contacts.zone)
    alerts = load_alerts(store)
    if supplier_id is not None:
        alerts = {k: a for k, a in alerts.items() if a.supplier_id == supplier_id}

    def local(at: datetime) -> datetime:
        return rules.contacts.local(at).replace(tzinfo=None)

    rows = []
    for alert in select(alerts, None):
        tasks = []
        for task in alert.tasks:
            if task.done_at is not None:
                state = "done"
            elif task.overdue(moment):
                state = "overdue"
            else:
                state = "acknowledged" if task.acknowledged_at else "open"
            tasks.append(
                TaskRow(
                    rules.department_name(task.department, lang),
                    rules.action_text(task.action, lang),
                    local(task.due_at),
                    state,
                    task.escalation_level,
                )
            )
        rows.append(
            AlertRow(
                alert.id,
                alert.rule,
                alert.supplier_id,
                alert.part_no,
                alert.subject,
                alert.status,
                local(alert.raised_at),
                tuple(sorted(tasks, key=lambda t: t.due_at)),
            )
        )
    rows.sort(key=lambda a: (a.next_due or datetime.max, a.alert_id))
    stats = response_stats(alerts.values(), moment, month=month, zone=rules.contacts.zone)
    responses = tuple(
        ResponseRow(
            rules.department_name(s.department, lang),
            s.rule,
            s.tasks,
            s.deadline_h,
            s.respond_median_h,
            s.done_median_h,
            s.done_worst_h,
            s.on_time,
            s.late,
            s.waiting,
        )
        for s in stats
    )
    return AlertsOverview(True, rules.contacts.timezone, tuple(rows), responses)
