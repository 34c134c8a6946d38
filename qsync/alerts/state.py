"""Alert events and how they fold into the state of each alert.

Alerts are never updated in place. Everything that happens to an alert is an *event*, a row
appended to the store's ``alert_events`` table (a Delta append, safe for several writers at
once), and the state of every alert is the fold of its events in time order:

============  =================================================================  ==========
kind          what happened                                                       written by
============  =================================================================  ==========
raised        a flag was found whose alert did not exist: rule, subject, window,  nightly
              evidence, and the tasks with their deadlines (frozen at raise time)
updated       the same flag was found again with different evidence (a streak     nightly
              grew): the evidence is replaced, nothing is sent
escalated     a task was overdue and escalation step ``level`` was sent           nightly
acknowledged  a person acknowledged the alert (or one department's task)          alerts ack
done          a department finished its task                                      alerts ack --done
closed        a person closed the alert with a note                               alerts close
============  =================================================================  ==========

Columns: ``event_id`` (unique), ``alert_id``, ``kind``, ``at`` (when it happened, UTC; the
injectable ``now``), ``recorded_at`` (wall clock of the write), ``rule``, ``supplier_id``,
``part_no``, ``department``, ``level``, ``actor``, ``note`` and ``data`` (JSON: for
``raised`` the subject, window, month, material class, evidence and tasks).

Folding rules: the first ``raised`` event of an id creates the alert (a second one, from a
concurrent run, is ignored); other events apply in ``at`` order and events of a closed alert
are ignored, so a late acknowledgement cannot reopen it. Status: ``open`` until acknowledged
(or a task is done), ``acknowledged`` until ``closed``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from qsync.alerts.model import Alert, Flag, Note, Task
from qsync.alerts.rules import RiskRules

EVENTS_TABLE = "alert_events"
KINDS = ("raised", "updated", "escalated", "acknowledged", "done", "closed")


def event_schema() -> pl.Schema:
    """The schema of the ``alert_events`` table."""
    return pl.Schema(
        {
            "event_id": pl.String(),
            "alert_id": pl.String(),
            "kind": pl.String(),
            "at": pl.Datetime("us", "UTC"),
            "recorded_at": pl.Datetime("us", "UTC"),
            "rule": pl.String(),
            "supplier_id": pl.String(),
            "part_no": pl.String(),
            "department": pl.String(),
            "level": pl.Int64(),
            "actor": pl.String(),
            "note": pl.String(),
            "data": pl.String(),
        }
    )


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive time is taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _event(
    kind: str,
    alert_id: str,
    at: datetime,
    *,
    rule: str | None = None,
    supplier_id: str | None = None,
    part_no: str | None = None,
    department: str | None = None,
    level: int | None = None,
    actor: str = "qsync",
    note: str = "",
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "alert_id": alert_id,
        "kind": kind,
        "at": utc(at),
        "recorded_at": datetime.now(UTC),
        "rule": rule,
        "supplier_id": supplier_id,
        "part_no": part_no,
        "department": department,
        "level": level,
        "actor": actor,
        "note": note,
        "data": json.dumps(data or {}, ensure_ascii=False),
    }


def planned_tasks(flag: Flag, rules: RiskRules, raised_at: datetime) -> list[Task]:
    """The tasks a flag's alert carries: its rule's tasks whose deadline applies to the
    subject's material class, each due ``within`` after ``raised_at``."""
    tasks = []
    for rule in rules.flags.get(flag.rule).tasks:
        within = rule.deadline(flag.material_class)
        if within is None:
            continue
        tasks.append(Task(rule.department, rule.action, within, utc(raised_at) + within))
    return tasks


def raised_event(
    flag: Flag, tasks: list[Task], month: str, at: datetime, actor: str = "qsync"
) -> dict[str, Any]:
    """The event that creates the alert of ``flag`` with ``tasks`` (and who they notified)."""
    data = {
        "subject": flag.subject,
        "window": flag.window,
        "material_class": flag.material_class,
        "month": month,
        "evidence": flag.evidence,
        "tasks": [
            {
                "department": t.department,
                "action": t.action,
                "within_s": t.within.total_seconds(),
                "due_at": t.due_at.isoformat(),
                "notified": t.notified,
            }
            for t in tasks
        ],
    }
    return _event(
        "raised", flag.id, at, rule=flag.rule, supplier_id=flag.supplier_id,
        part_no=flag.part_no, actor=actor, data=data,
    )  # fmt: skip


def updated_event(flag: Flag, at: datetime) -> dict[str, Any]:
    """New evidence for an existing alert (the same condition, seen again)."""
    return _event(
        "updated", flag.id, at, rule=flag.rule, supplier_id=flag.supplier_id,
        part_no=flag.part_no, data={"evidence": flag.evidence},
    )  # fmt: skip


def escalated_event(
    alert: Alert, department: str, level: int, step: str, notified: list[str], at: datetime
) -> dict[str, Any]:
    """Escalation step ``level`` (1-based) of a department's task was sent."""
    return _event(
        "escalated", alert.id, at, rule=alert.rule, supplier_id=alert.supplier_id,
        part_no=alert.part_no, department=department, level=level,
        data={"to": step, "notified": notified},
    )  # fmt: skip


def person_event(
    kind: str,
    alert: Alert,
    at: datetime,
    *,
    actor: str,
    note: str,
    department: str | None = None,
) -> dict[str, Any]:
    """An ``acknowledged``, ``done`` or ``closed`` event written for a person."""
    if kind not in ("acknowledged", "done", "closed"):
        raise ValueError(f"not a person's event: {kind!r}")
    return _event(
        kind, alert.id, at, rule=alert.rule, supplier_id=alert.supplier_id,
        part_no=alert.part_no, department=department, actor=actor, note=note,
    )  # fmt: skip


def events_frame(events: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Events as a frame with the table's exact schema."""
    rows = list(events)
    return pl.DataFrame(rows, schema=event_schema(), orient="row" if not rows else None)


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return utc(value)
    return utc(datetime.fromisoformat(str(value)))


def _new_alert(row: Mapping[str, Any]) -> Alert:
    data = json.loads(row["data"] or "{}")
    tasks = [
        Task(
            department=t["department"],
            action=t["action"],
            within=timedelta(seconds=float(t["within_s"])),
            due_at=_time(t["due_at"]),
            notified=list(t.get("notified", [])),
        )
        for t in data.get("tasks", [])
    ]
    return Alert(
        id=row["alert_id"],
        rule=row["rule"],
        supplier_id=row["supplier_id"],
        part_no=row["part_no"],
        subject=data.get("subject"),
        window=data.get("window", ""),
        material_class=data.get("material_class"),
        month=data.get("month"),
        raised_at=_time(row["at"]),
        evidence=data.get("evidence", {}),
        tasks=tasks,
    )


def _apply(alert: Alert, row: Mapping[str, Any]) -> None:
    kind, at = row["kind"], _time(row["at"])
    department = row["department"]
    if alert.status == "closed":
        return
    if kind == "updated":
        alert.evidence = json.loads(row["data"] or "{}").get("evidence", alert.evidence)
        alert.updated_at = at
    elif kind == "escalated":
        task = alert.task(department)
        if task is not None and row["level"] is not None:
            task.escalation_level = max(task.escalation_level, int(row["level"]))
    elif kind in ("acknowledged", "done"):
        targets = [alert.task(department)] if department else alert.tasks
        for task in targets:
            if task is None:
                continue
            task.acknowledged_at = task.acknowledged_at or at
            if kind == "done":
                task.done_at = task.done_at or at
        alert.status = "acknowledged"
        alert.acknowledged_at = alert.acknowledged_at or at
    elif kind == "closed":
        alert.status = "closed"
        alert.closed_at = at
    if kind in ("acknowledged", "done", "closed"):
        alert.notes.append(Note(at, kind, row["actor"] or "", row["note"] or "", department))


def fold(events: pl.DataFrame | Iterable[Mapping[str, Any]]) -> dict[str, Alert]:
    """The state of every alert from its events (see the module docstring), by id.

    >>> from datetime import datetime, UTC
    >>> from qsync.alerts.model import Flag
    >>> flag = Flag("audit_overdue", "S1", None, None, "2026-09-16", None, {})
    >>> at = datetime(2026, 10, 31, tzinfo=UTC)
    >>> alert = fold([raised_event(flag, [], "2026-10", at)])[flag.id]
    >>> alert.status, alert.raised_at.isoformat()
    ('open', '2026-10-31T00:00:00+00:00')
    """
    rows = events.to_dicts() if isinstance(events, pl.DataFrame) else list(events)
    rows.sort(key=lambda r: (_time(r["at"]), _time(r["recorded_at"]), r["event_id"]))
    alerts: dict[str, Alert] = {}
    for row in rows:
        if row["kind"] == "raised" and row["alert_id"] not in alerts:
            alerts[row["alert_id"]] = _new_alert(row)
    for row in rows:
        alert = alerts.get(row["alert_id"])
        if alert is not None and row["kind"] != "raised":
            _apply(alert, row)
    return alerts
