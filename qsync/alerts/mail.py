"""Alert e-mails: a new task for a department, or an escalation of an overdue task.

Each message is rendered from ``templates/email/alert_task.<lang>.{txt,html}.j2`` or
``alert_escalation.<lang>.{txt,html}.j2`` (a workspace without them uses the packaged ones)
and built by :func:`qsync.notify.build_message` (plain text + HTML). Its ``key`` —
``<alert>.<department>.L<level>.<side>`` — names it in the outbox queue and the sent
ledger, and its Message-ID is derived from the key, so composing it again (a re-run after
a crash) gives the same message identity and it is never sent twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from qsync.alerts import wording
from qsync.alerts.contacts import Audience, Directory
from qsync.alerts.escalation import Escalation
from qsync.alerts.model import Alert, Task
from qsync.alerts.rules import RiskRules
from qsync.i18n import Catalogue
from qsync.notify import build_message
from qsync.render import render
from qsync.resources import default_templates_dir


@dataclass(frozen=True)
class Outgoing:
    """A composed message, with what it is for."""

    key: str
    alert_id: str
    department: str
    level: int
    side: str
    lang: str
    to: tuple[str, ...]
    subject: str
    message: EmailMessage

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the body)."""
        return {
            "key": self.key,
            "alert_id": self.alert_id,
            "department": self.department,
            "level": self.level,
            "side": self.side,
            "lang": self.lang,
            "to": list(self.to),
            "subject": self.subject,
            "message_id": self.message["Message-ID"],
        }


def message_key(alert_id: str, department: str, level: int, side: str) -> str:
    """The key of one message: safe as a file name.

    >>> message_key("AL-5244c8f115", "quality", 0, "plant")
    'AL-5244c8f115.quality.L0.plant'
    """
    dept = re.sub(r"[^A-Za-z0-9_-]+", "-", department)
    return f"{alert_id}.{dept}.L{level}.{side}"


def message_id(key: str, sender: str) -> str:
    """A Message-ID derived from the key (the same key always gives the same id)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    domain = sender.rpartition("@")[2].strip(">") or "qsync.local"
    return f"<{key}.{digest}@{domain}>"


def _templates(templates_dir: Path, name: str) -> Path:
    """The workspace's templates folder when it has ``name``, else the packaged one."""
    return templates_dir if (templates_dir / name).is_file() else default_templates_dir()


def _hours(task: Task) -> str:
    hours = task.within.total_seconds() / 3600
    return f"{hours:g}"


@dataclass(frozen=True)
class MailContext:
    """What every alert message needs besides the alert: rules, directory, templates."""

    rules: RiskRules
    directory: Directory
    templates_dir: Path
    sender: str

    def local(self, moment: datetime | None) -> str:
        """A time as the plant reads it: ``2026-10-31 23:00 (Asia/Shanghai)``."""
        if moment is None:
            return "—"
        contacts = self.rules.contacts
        return f"{contacts.local(moment):%Y-%m-%d %H:%M} ({contacts.timezone})"


def _common(
    alert: Alert, task: Task, audience: Audience, ctx: MailContext, catalogue: Catalogue
) -> dict[str, Any]:
    lang = audience.lang
    supplier = ctx.directory.get(alert.supplier_id)
    name = supplier.display_name(lang)
    columns, rows = wording.evidence_table(alert, catalogue)
    return {
        "greeting": audience.greeting,
        "side": audience.side,
        "alert_id": alert.id,
        "title": wording.title(alert, catalogue),
        "summary": wording.summary(alert, catalogue),
        "about": wording.subject_line(alert, catalogue, "" if name == alert.supplier_id else name),
        "supplier_id": alert.supplier_id,
        "supplier_name": name,
        "part_no": alert.part_no or "",
        "subject": alert.subject or "",
        "material_class": alert.material_class or "",
        "department_name": ctx.rules.department_name(task.department, lang),
        "department": task.department,
        "action": ctx.rules.action_text(task.action, lang),
        "within_hours": _hours(task),
        "due": ctx.local(task.due_at),
        "raised": ctx.local(alert.raised_at),
        "columns": columns,
        "rows": rows,
    }


def _build(
    kind: str,
    context: dict[str, Any],
    audience: Audience,
    ctx: MailContext,
    subject: str,
    key: str,
    now: datetime,
) -> EmailMessage:
    base = f"email/{kind}.{audience.lang}"
    folder = _templates(ctx.templates_dir, f"{base}.txt.j2")
    message = build_message(
        sender=ctx.sender,
        to=list(audience.to),
        subject=subject,
        text=render(folder, f"{base}.txt.j2", **context),
        html=render(folder, f"{base}.html.j2", **context),
        sent_at=now,
    )
    message.replace_header("Message-ID", message_id(key, ctx.sender))
    message["X-Qsync-Alert"] = context["alert_id"]
    message["X-Qsync-Key"] = key
    return message


def compose_task(
    alert: Alert, task: Task, audience: Audience, ctx: MailContext, now: datetime
) -> Outgoing:
    """The message telling ``audience`` about a new task of ``alert``."""
    catalogue = Catalogue.load(ctx.templates_dir, audience.lang)
    context = _common(alert, task, audience, ctx, catalogue)
    context["fallback"] = audience.fallback
    subject_key = (
        "mail-subject-task-supplier" if audience.side == "supplier" else "mail-subject-task"
    )
    subject = catalogue.text("alerts", subject_key, **context)
    key = message_key(alert.id, task.department, 0, audience.side)
    message = _build("alert_task", context, audience, ctx, subject, key, now)
    return Outgoing(
        key, alert.id, task.department, 0, audience.side, audience.lang, audience.to, subject,
        message,
    )  # fmt: skip


def compose_escalation(
    escalation: Escalation, audience: Audience, ctx: MailContext, now: datetime
) -> Outgoing:
    """The message telling ``audience`` that a task is overdue (escalation step ``level``)."""
    alert, task = escalation.alert, escalation.task
    catalogue = Catalogue.load(ctx.templates_dir, audience.lang)
    context = _common(alert, task, audience, ctx, catalogue)
    context.update(
        level=escalation.level,
        levels=len(ctx.rules.escalation),
        notified=", ".join(task.notified) or "—",
        acknowledged=ctx.local(task.acknowledged_at) if task.acknowledged_at else "",
    )
    subject = catalogue.text("alerts", "mail-subject-escalation", **context)
    key = message_key(alert.id, task.department, escalation.level, audience.side)
    message = _build("alert_escalation", context, audience, ctx, subject, key, now)
    return Outgoing(
        key, alert.id, task.department, escalation.level, audience.side, audience.lang,
        audience.to, subject, message,
    )  # fmt: skip
