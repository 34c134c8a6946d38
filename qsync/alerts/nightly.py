"""The nightly run: raise what the data flags, escalate what is overdue, send what is due.

:func:`plan` is the pure part: from tonight's flags and the alerts already in the journal it
decides the new events (raised, updated, escalated) and composes the messages. Nothing is
raised twice: a flag whose alert exists is never raised or sent again, whether the alert is
open, acknowledged or closed — a recurrence after closing is a new window, hence a new id.

:func:`nightly` runs it on a workspace, in this order, so that a crash at any point loses
nothing and doubles nothing:

1. queue every composed message in ``outbox/queue/`` (keyed; a key already queued or sent
   is skipped);
2. append the events to ``alert_events`` (one commit) — from now on the alerts exist and
   their escalations are recorded;
3. deliver the queue (this run's messages and any left by an earlier failed run).

A crash between 1 and 2 recomposes the same keys on the next run (queued once); a crash
between 2 and 3 leaves the messages queued for the next run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsync.alerts.contacts import Directory, escalation_audiences, task_audiences
from qsync.alerts.delivery import Delivery, MailQueue, SmtpSettings, mail_sender
from qsync.alerts.escalation import Escalation, due_escalations
from qsync.alerts.mail import MailContext, Outgoing, compose_escalation, compose_task
from qsync.alerts.model import Alert, Flag
from qsync.alerts.rules import RiskRules, workspace_risk_rules
from qsync.alerts.state import (
    escalated_event,
    fold,
    planned_tasks,
    raised_event,
    updated_event,
    utc,
)

if TYPE_CHECKING:
    from qsync.config import Workspace
    from qsync.score.materials import MaterialRules
    from qsync.score.rules import ScorecardRules
    from qsync.score.scorecard import MonthlyScorecards


@dataclass
class Plan:
    """What tonight's run decided: events to append and messages to send."""

    events: list[dict[str, Any]] = field(default_factory=list)
    raised: list[Alert] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    still_open: list[str] = field(default_factory=list)
    after_close: list[str] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    messages: list[Outgoing] = field(default_factory=list)


VOLATILE = frozenset({"days_left", "days_overdue", "days_waiting", "centre", "sigma", "subgroups"})
"""Evidence that changes every night by itself (day counts, a control chart's running
limits): a change in these alone is not news, and writes no ``updated`` event."""


def _same(evidence: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    def normal(data: Mapping[str, Any]) -> Any:
        kept = {k: v for k, v in data.items() if k not in VOLATILE}
        return json.loads(json.dumps(kept, sort_keys=True))

    return bool(normal(evidence) == normal(other))


def plan(
    flags: list[Flag],
    alerts: Mapping[str, Alert],
    *,
    rules: RiskRules,
    month: str,
    now: datetime,
    ctx: MailContext,
) -> Plan:
    """Decide tonight's events and messages (pure apart from rendering templates).

    New flags raise alerts whose tasks are told at once (escalation level 0); flags of
    open or acknowledged alerts only refresh their evidence; flags of closed alerts are
    left alone (same window); overdue tasks of every alert not closed are escalated.
    """
    now = utc(now)
    out = Plan()
    for flag in flags:
        existing = alerts.get(flag.id)
        if existing is not None:
            (out.after_close if existing.status == "closed" else out.still_open).append(flag.id)
            if existing.status != "closed" and not _same(existing.evidence, flag.evidence):
                out.events.append(updated_event(flag, now))
                out.updated.append(flag.id)
            continue
        tasks = planned_tasks(flag, rules, now)
        draft = fold([raised_event(flag, tasks, month, now)])[flag.id]
        for task in draft.tasks:
            for audience in task_audiences(task.department, draft, rules, ctx.directory):
                out.messages.append(compose_task(draft, task, audience, ctx, now))
                task.notified.extend(audience.to)
        event = raised_event(flag, draft.tasks, month, now)
        out.events.append(event)
        out.raised.append(fold([event])[flag.id])
    for escalation in due_escalations(alerts.values(), rules, now):
        notified: list[str] = []
        for audience in escalation_audiences(
            escalation.step, escalation.task.department, escalation.alert, rules, ctx.directory
        ):
            out.messages.append(compose_escalation(escalation, audience, ctx, now))
            notified.extend(audience.to)
        out.escalations.append(escalation)
        out.events.append(
            escalated_event(
                escalation.alert,
                escalation.task.department,
                escalation.level,
                escalation.step.to,
                notified,
                now,
            )
        )
    return out


@dataclass
class NightlyResult:
    """What a nightly run found, raised, escalated and sent (or would, with ``dry_run``)."""

    month: str
    now: datetime
    dry_run: bool
    flags: list[Flag]
    plan: Plan
    queued: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    delivery: Delivery | None = None
    events_written: int = 0

    @property
    def raised(self) -> list[Alert]:
        """Alerts raised tonight."""
        return self.plan.raised

    @property
    def messages(self) -> list[Outgoing]:
        """Messages composed tonight (new tasks and escalations)."""
        return self.plan.messages

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary of the run."""
        return {
            "month": self.month,
            "now": self.now.isoformat(timespec="seconds"),
            "dry_run": self.dry_run,
            "flags": [
                {"id": f.id, "rule": f.rule, "supplier_id": f.supplier_id, "part_no": f.part_no}
                for f in self.flags
            ],
            "raised": [a.id for a in self.plan.raised],
            "updated": self.plan.updated,
            "still_open": self.plan.still_open,
            "after_close": self.plan.after_close,
            "escalations": [
                {"alert_id": e.alert.id, "department": e.task.department, "level": e.level}
                for e in self.plan.escalations
            ],
            "messages": [m.to_dict() for m in self.plan.messages],
            "queued": self.queued,
            "retried": self.retried,
            "delivery": self.delivery.to_dict() if self.delivery else None,
            "events_written": self.events_written,
        }


def _rule_file(rules_dir: Path, name: str) -> tuple[Path | None, str | None]:
    path = rules_dir / name
    return (path, f"rules/{name}") if path.is_file() else (None, None)


def _scoring_rules(workspace: Workspace) -> tuple[ScorecardRules, MaterialRules]:
    from qsync.score import load_material_rules, load_scorecard_rules

    return (
        load_scorecard_rules(*_rule_file(workspace.rules_dir, "scorecard.yaml")),
        load_material_rules(*_rule_file(workspace.rules_dir, "materials.yaml")),
    )


def aware(now: datetime | None, rules: RiskRules) -> datetime:
    """``now`` as an aware time (a naive time is plant time); the clock when None."""
    if now is None:
        return datetime.now(UTC)
    return rules.contacts.local(now)


def nightly(
    workspace: Workspace,
    month: str,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    environ: Mapping[str, str] | None = None,
    scorecards: tuple[MonthlyScorecards, MonthlyScorecards] | None = None,
) -> NightlyResult:
    """Raise tonight's alerts for ``month``, escalate overdue tasks, deliver the mail queue.

    ``now`` is the time of the run (injectable; a naive time is plant time, see
    ``contacts.timezone``); dated flags (audits, certificates, PPAP) are judged on its date.
    ``dry_run`` evaluates and composes everything but writes nothing and sends nothing.
    ``environ`` replaces ``os.environ`` for the SMTP settings. ``scorecards`` may pass the
    month's and the previous month's scorecards when the caller has just computed them (the
    grade-drop flag needs both; else they are scored here).

    Example (a workspace whose store has data)::

        result = nightly(workspace, "2026-10", now=datetime(2026, 10, 31, 22, 0))
        [a.id for a in result.raised]
    """
    from qsync.alerts.flags import evaluate
    from qsync.alerts.journal import append_events, load_alerts
    from qsync.score.period import Month
    from qsync.score.run import store_tables
    from qsync.store import open_store

    env = os.environ if environ is None else environ
    Month.parse(month)
    rules = workspace_risk_rules(workspace.rules_dir, workspace.root)
    scorecard, materials = _scoring_rules(workspace)
    smtp = SmtpSettings.from_env(env)
    moment = aware(now, rules)
    store = open_store(workspace)
    tables = store_tables(store)
    today = rules.contacts.local(moment).date()
    flags = evaluate(
        tables, month, rules, today=today, scorecard=scorecard, materials=materials,
        scorecards=scorecards,
    )  # fmt: skip
    ctx = MailContext(
        rules, Directory.from_tables(tables), workspace.templates_dir, mail_sender(env)
    )
    decided = plan(flags, load_alerts(store), rules=rules, month=month, now=moment, ctx=ctx)
    queue = MailQueue(workspace.folder("outbox"))
    result = NightlyResult(month, moment, dry_run, flags, decided)
    if dry_run:
        result.retried = queue.pending()
        return result
    result.queued = [m.key for m in decided.messages if queue.enqueue(m.key, m.message)]
    result.events_written = append_events(
        store, decided.events, {"qsync.month": month, "qsync.now": moment.isoformat()}
    )
    result.retried = [k for k in queue.pending() if k not in set(result.queued)]
    result.delivery = queue.deliver(smtp)
    return result
