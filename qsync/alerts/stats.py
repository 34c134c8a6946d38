"""Response times: how fast each department answers each kind of alert, against its deadline.

For every task: time to respond (raised → acknowledged) and time to finish (raised → done),
in hours. Per department and rule: the median and worst of each, the median deadline, how
many tasks were done within their deadline, how many were late (done after it, or still not
done past it) and how many are still waiting for an answer.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, tzinfo
from typing import Any

from qsync.alerts.model import Alert
from qsync.alerts.state import utc


@dataclass(frozen=True)
class ResponseStats:
    """Response figures of one department for one rule (hours; None without data)."""

    department: str
    rule: str
    tasks: int
    deadline_h: float
    respond_median_h: float | None
    respond_worst_h: float | None
    done_median_h: float | None
    done_worst_h: float | None
    on_time: int
    late: int
    waiting: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def _hours(seconds: list[float]) -> tuple[float | None, float | None]:
    if not seconds:
        return None, None
    return round(statistics.median(seconds) / 3600, 2), round(max(seconds) / 3600, 2)


def response_stats(
    alerts: Iterable[Alert], now: datetime, *, month: str | None = None, zone: tzinfo | None = None
) -> list[ResponseStats]:
    """Figures per department and rule, over the tasks of alerts raised in ``month``
    (``YYYY-MM`` in time zone ``zone``; every alert when None), sorted by department and rule.

    >>> response_stats([], datetime(2026, 11, 1))
    []
    """
    now = utc(now)
    groups: dict[tuple[str, str], list[tuple[Alert, Any]]] = {}
    for alert in alerts:
        raised = alert.raised_at.astimezone(zone) if zone else alert.raised_at
        if month is not None and f"{raised:%Y-%m}" != month:
            continue
        for task in alert.tasks:
            groups.setdefault((task.department, alert.rule), []).append((alert, task))
    out = []
    for (department, rule), items in sorted(groups.items()):
        respond = [
            (t.acknowledged_at - a.raised_at).total_seconds()
            for a, t in items
            if t.acknowledged_at is not None
        ]
        done = [(t.done_at - a.raised_at).total_seconds() for a, t in items if t.done_at]
        on_time = sum(1 for _, t in items if t.done_at is not None and t.done_at <= t.due_at)
        late = sum(
            1
            for a, t in items
            if (t.done_at is not None and t.done_at > t.due_at)
            or (t.done_at is None and a.status != "closed" and now > t.due_at)
        )
        waiting = sum(1 for a, t in items if t.acknowledged_at is None and a.status != "closed")
        deadline = statistics.median(t.within.total_seconds() for _, t in items) / 3600
        out.append(
            ResponseStats(
                department,
                rule,
                len(items),
                round(deadline, 2),
                *_hours(respond),
                *_hours(done),
                on_time,
                late,
                waiting,
            )
        )
    return out
