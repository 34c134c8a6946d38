"""What people do to alerts: acknowledge them (or one department's task), mark a task done,
close them with a note. Each is one event appended to the journal.

Lifecycle: ``open`` → ``acknowledged`` → ``closed``. Acknowledging without a department
acknowledges every task not yet acknowledged; ``done`` marks one department's task finished
(which stops its escalation); closing needs a note and stops every escalation. A closed
alert accepts nothing more: if its condition comes back in a new window, the nightly run
raises a new alert.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from qsync.alerts.model import Alert
from qsync.alerts.state import fold, person_event
from qsync.errors import UsageError

if TYPE_CHECKING:
    from qsync.store import Store

MIN_PREFIX = 6


def current_user() -> str:
    """Who is acting: the login name (``unknown`` when it cannot be found)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def find_alert(alerts: Mapping[str, Alert], wanted: str) -> Alert:
    """The alert with id ``wanted``, or the only one starting with it (at least 6 characters).

    Raises a UsageError (``unknown-alert`` or ``ambiguous-alert``) naming the id.
    """
    key = wanted.strip()
    if key in alerts:
        return alerts[key]
    if not key.upper().startswith("AL-"):
        key = f"AL-{key}"
    matches = [a for i, a in alerts.items() if len(key) >= MIN_PREFIX and i.startswith(key)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(
            f"'{wanted}' matches {len(matches)} alerts",
            reference="ambiguous-alert",
            params={"id": wanted, "count": len(matches)},
            hint="Give more characters of the id.",
        )
    raise UsageError(
        f"no alert '{wanted}'",
        reference="unknown-alert",
        params={"id": wanted},
        hint="`qsync alerts --status all` lists every alert.",
    )


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone (e.g. datetime.now(UTC))")
    return now


def _check_open(alert: Alert) -> None:
    if alert.status == "closed":
        raise UsageError(
            f"alert {alert.id} is closed",
            reference="alert-closed",
            params={"id": alert.id},
            hint="If the problem is back, tonight's run raises a new alert.",
        )


def _check_department(alert: Alert, department: str | None) -> None:
    if department is None or alert.task(department) is not None:
        return
    known = ", ".join(t.department for t in alert.tasks) or "—"
    raise UsageError(
        f"alert {alert.id} has no task for '{department}'",
        reference="unknown-task",
        params={"id": alert.id, "department": department, "known": known},
        hint=f"Its departments: {known}.",
    )


def acknowledge(
    store: Store,
    alert_id: str,
    *,
    now: datetime,
    note: str = "",
    department: str | None = None,
    done: bool = False,
    actor: str | None = None,
) -> Alert:
    """Acknowledge an alert (or ``department``'s task), or with ``done`` mark the task done.

    Returns the alert's state afterwards. ``done`` needs a department; ``now`` must carry
    a time zone.
    """
    from qsync.alerts.journal import append_events, read_events

    if done and department is None:
        raise UsageError(
            "--done needs --department", reference="done-needs-department",
            hint="Say whose task is done, e.g. --department quality.",
        )  # fmt: skip
    events = read_events(store)
    alert = find_alert(fold(events), alert_id)
    _check_open(alert)
    _check_department(alert, department)
    kind = "done" if done else "acknowledged"
    event = person_event(
        kind, alert, _aware(now), actor=actor or current_user(), note=note, department=department
    )
    append_events(store, [event], {"qsync.alert": alert.id, "qsync.event": kind})
    return fold([*events.to_dicts(), event])[alert.id]


def close(
    store: Store, alert_id: str, *, now: datetime, note: str, actor: str | None = None
) -> Alert:
    """Close an alert with a note saying how it was resolved; returns its final state.

    ``now`` must carry a time zone.
    """
    from qsync.alerts.journal import append_events, read_events

    if not note.strip():
        raise UsageError(
            "closing an alert needs a note", reference="close-needs-note",
            hint='Say how it was resolved, e.g. --note "8D closed, Cpk back above 1.67".',
        )  # fmt: skip
    events = read_events(store)
    alert = find_alert(fold(events), alert_id)
    _check_open(alert)
    event = person_event("closed", alert, _aware(now), actor=actor or current_user(), note=note)
    append_events(store, [event], {"qsync.alert": alert.id, "qsync.event": "closed"})
    return fold([*events.to_dicts(), event])[alert.id]


STATUS_CHOICES = ("open", "acknowledged", "closed", "all")


def select(alerts: Mapping[str, Alert], status: str | None = None) -> list[Alert]:
    """Alerts with ``status`` (``open``, ``acknowledged``, ``closed``, ``all``; default: not
    closed), oldest first.

    >>> select({}, "open")
    []
    """
    if status is not None and status not in STATUS_CHOICES:
        raise UsageError(
            f"unknown status '{status}'",
            reference="bad-status",
            params={"value": status},
            hint="Use open, acknowledged, closed or all.",
        )
    wanted = {
        None: {"open", "acknowledged"},
        "all": {"open", "acknowledged", "closed"},
    }.get(status, {status})
    chosen = [a for a in alerts.values() if a.status in wanted]
    return sorted(chosen, key=lambda a: (a.raised_at, a.id))
