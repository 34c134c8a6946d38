"""The ``alerts`` commands: list alerts, acknowledge and close them, response-time statistics,
and the nightly alert run on its own.

Exit codes: 0 done; 2 bad usage (unknown alert, status or format, a closed alert, a note
missing) or an unusable rule file or store.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qsync.cli.app import LangOption, app, current_workspace, stderr, stdout
from qsync.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from qsync.alerts.model import Alert
    from qsync.alerts.nightly import NightlyResult
    from qsync.alerts.rules import RiskRules
    from qsync.alerts.stats import ResponseStats
    from qsync.config import Workspace
    from qsync.i18n import Catalogue

alerts_app = typer.Typer(
    rich_markup_mode=None,
    add_completion=False,
)
app.add_typer(alerts_app, name="alerts", invoke_without_command=True)

NowOption = Annotated[
    str | None,
    typer.Option("--now", help="Time to act at, ISO 8601 (naive: plant time). Default: now."),
]
_LOCALISED = (
    "unknown-alert",
    "ambiguous-alert",
    "alert-closed",
    "unknown-task",
    "done-needs-department",
    "close-needs-note",
    "bad-status",
)


class Words:
    """Phrases of the ``alerts`` section of the catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def __call__(self, key: str, **params: Any) -> str:
        return self.catalogue.text("alerts", key, **params)


def _setup(lang: str | None) -> tuple[Workspace, RiskRules, Catalogue]:
    from qsync.alerts.rules import workspace_risk_rules
    from qsync.i18n import Catalogue

    ws = current_workspace()
    rules = workspace_risk_rules(ws.rules_dir, ws.root)
    return ws, rules, Catalogue.load(ws.templates_dir, lang or ws.settings.lang)


def _now(text: str | None, rules: RiskRules, words: Words) -> datetime:
    from qsync.alerts.nightly import aware

    if text is None:
        return aware(None, rules)
    try:
        return aware(datetime.fromisoformat(text.strip()), rules)
    except ValueError:
        raise UsageError(
            words("bad-now", value=text), reference="bad-now", hint=words("bad-now-hint")
        ) from None


def _localised(exc: UsageError, words: Words) -> UsageError:
    if exc.reference not in _LOCALISED:
        return exc
    key = "bad-status" if exc.reference == "bad-status" else f"error-{exc.reference}"
    hint = words("bad-status-hint") if exc.reference == "bad-status" else None
    return UsageError(words(key, **exc.params), reference=exc.reference, hint=hint)


@alerts_app.callback(invoke_without_command=True)
def alerts(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option("--status", help="open, acknowledged, closed or all (default: not closed)."),
    ] = None,
    output: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    stats: Annotated[
        bool, typer.Option("--stats", help="Response times per department and flag.")
    ] = False,
    month: Annotated[
        str | None, typer.Option("--month", help="With --stats: alerts raised in YYYY-MM.")
    ] = None,
    now: NowOption = None,
    lang: LangOption = None,
) -> None:
    """Risk alerts: list them with their tasks and deadlines, acknowledge and close them, and
    see how fast each department responds (--stats).

    Example: qsync alerts --status open --format json
    """
    if ctx.invoked_subcommand is not None:
        return
    from qsync.alerts.journal import load_alerts
    from qsync.alerts.lifecycle import select
    from qsync.store import open_store

    ws, rules, catalogue = _setup(lang)
    words = Words(catalogue)
    if output not in ("table", "json"):
        raise UsageError(
            words("bad-format", value=output), reference="bad-format", hint=words("bad-format-hint")
        )
    moment = _now(now, rules, words)
    alerts_by_id = load_alerts(open_store(ws))
    if stats:
        _show_stats(alerts_by_id.values(), moment, month, rules, output, words)
        return
    try:
        chosen = select(alerts_by_id, status)
    except UsageError as exc:
        raise _localised(exc, words) from None
    if output == "json":
        print(json.dumps({"alerts": [a.to_dict() for a in chosen]}, ensure_ascii=False, indent=2))
        return
    _print_alerts(chosen, moment, rules, words)


def _print_alerts(chosen: list[Alert], now: datetime, rules: RiskRules, words: Words) -> None:
    from rich.markup import escape
    from rich.table import Table

    from qsync.alerts import wording

    if not chosen:
        stdout.print(words("none"))
        return
    lang = words.catalogue.lang
    table = Table(expand=False)
    for key in (
        "head-id",
        "head-status",
        "head-rule",
        "head-supplier",
        "head-part",
        "head-raised",
        "head-tasks",
    ):
        table.add_column(words(key), overflow="fold", no_wrap=key == "head-id")
    for alert in chosen:
        lines = []
        for task in alert.tasks:
            state = ""
            if task.done_at:
                state = words("task-done")
            elif task.overdue(now):
                state = words("task-overdue")
            elif task.acknowledged_at:
                state = words("task-acknowledged")
            if task.escalation_level:
                state += words("task-escalated", level=task.escalation_level)
            due = f"{rules.contacts.local(task.due_at):%m-%d %H:%M}"
            name = rules.department_name(task.department, lang)
            lines.append(words("task-line", department=name, due=due, state=state))
        about = " · ".join(x for x in (alert.part_no, alert.subject) if x)
        table.add_row(
            alert.id,
            words(f"status-{alert.status}"),
            escape(wording.title(alert, words.catalogue)),
            escape(alert.supplier_id),
            escape(about),
            f"{rules.contacts.local(alert.raised_at):%Y-%m-%d %H:%M}",
            escape("\n".join(lines)),
        )
    stdout.print(table)


def _show_stats(
    alerts: Any, now: datetime, month: str | None, rules: RiskRules, output: str, words: Words
) -> None:
    from qsync.alerts.stats import response_stats
    from qsync.score.period import Month

    if month is not None:
        Month.parse(month)
    rows = response_stats(alerts, now, month=month, zone=rules.contacts.zone)
    if output == "json":
        print(
            json.dumps(
                {"month": month, "stats": [r.to_dict() for r in rows]}, ensure_ascii=False, indent=2
            )
        )
        return
    _print_stats(rows, rules, words)


def _print_stats(rows: list[ResponseStats], rules: RiskRules, words: Words) -> None:
    from rich.table import Table

    if not rows:
        stdout.print(words("none-stats"))
        return
    lang = words.catalogue.lang
    table = Table(expand=False)
    for key in ("head-department", "head-rule", "head-count", "head-deadline", "head-respond",
                "head-done", "head-on-time", "head-late", "head-waiting"):  # fmt: skip
        table.add_column(words(key))

    def pair(median: float | None, worst: float | None) -> str:
        return "—" if median is None else f"{median:g} / {worst:g}"

    for row in rows:
        table.add_row(
            rules.department_name(row.department, lang),
            words(f"rule-{row.rule}"),
            str(row.tasks),
            f"{row.deadline_h:g}",
            pair(row.respond_median_h, row.respond_worst_h),
            pair(row.done_median_h, row.done_worst_h),
            str(row.on_time),
            f"[red]{row.late}[/]" if row.late else "0",
            str(row.waiting),
        )
    stdout.print(table)


@alerts_app.command("ack")
def ack(
    alert_id: Annotated[str, typer.Argument(help="Alert id (or its first characters).")],
    note: Annotated[str, typer.Option("--note", help="What you are doing about it.")] = "",
    department: Annotated[
        str | None, typer.Option("--department", help="Acknowledge only this department's task.")
    ] = None,
    done: Annotated[
        bool, typer.Option("--done", help="The department's task is done (needs --department).")
    ] = False,
    now: NowOption = None,
    lang: LangOption = None,
) -> None:
    """Acknowledge an alert, or one department's task; with --done, mark that task done.

    Example: qsync alerts ack AL-5244c8f115 --department quality --note "8D started"
    """
    from qsync.alerts.lifecycle import acknowledge
    from qsync.store import open_store

    ws, rules, catalogue = _setup(lang)
    words = Words(catalogue)
    moment = _now(now, rules, words)
    try:
        alert = acknowledge(
            open_store(ws), alert_id, now=moment, note=note, department=department, done=done
        )
    except UsageError as exc:
        raise _localised(exc, words) from None
    if done and department is not None:
        name = rules.department_name(department, catalogue.lang)
        stdout.print(words("done", id=alert.id, department=name), markup=False)
    else:
        suffix = (
            words("for-department", department=rules.department_name(department, catalogue.lang))
            if department
            else ""
        )
        stdout.print(words("acknowledged", id=alert.id, department=suffix), markup=False)
    raise typer.Exit(ExitCode.OK)


@alerts_app.command("close")
def close(
    alert_id: Annotated[str, typer.Argument(help="Alert id (or its first characters).")],
    note: Annotated[str, typer.Option("--note", help="How it was resolved (required).")] = "",
    now: NowOption = None,
    lang: LangOption = None,
) -> None:
    """Close an alert with a note saying how it was resolved.

    Example: qsync alerts close AL-5244c8f115 --note "8D closed; Cpk 1.71 on the last 5 lots"
    """
    from qsync.alerts import lifecycle
    from qsync.store import open_store

    ws, rules, catalogue = _setup(lang)
    words = Words(catalogue)
    moment = _now(now, rules, words)
    try:
        alert = lifecycle.close(open_store(ws), alert_id, now=moment, note=note)
    except UsageError as exc:
        raise _localised(exc, words) from None
    stdout.print(words("closed", id=alert.id), markup=False)
    raise typer.Exit(ExitCode.OK)


@alerts_app.command("run")
def run(
    month: Annotated[
        str | None, typer.Option("--month", help="Month to check, YYYY-MM (default: last month).")
    ] = None,
    now: NowOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be raised and sent; write nothing.")
    ] = False,
    output: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    lang: LangOption = None,
) -> None:
    """Run the nightly alert step on its own: raise, escalate, send (qsync score runs it too).

    Example: qsync alerts run --month 2026-10 --dry-run
    """
    from qsync.alerts.nightly import nightly
    from qsync.score.run import default_month

    ws, rules, catalogue = _setup(lang)
    words = Words(catalogue)
    if output not in ("table", "json"):
        raise UsageError(
            words("bad-format", value=output), reference="bad-format", hint=words("bad-format-hint")
        )
    moment = _now(now, rules, words)
    label = month or default_month(rules.contacts.local(moment).date())
    result = nightly(ws, label, now=moment, dry_run=dry_run)
    if output == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    print_nightly(result, ws, words)


def print_nightly(result: NightlyResult, ws: Workspace, words: Words) -> None:
    """Summarise a nightly run: flags found, alerts raised, messages sent or queued."""
    label, dry_run = result.month, result.dry_run
    plan = result.plan
    stdout.print(
        words(
            "nightly-summary", month=label, flags=len(result.flags), raised=len(plan.raised),
            open=len(plan.still_open), escalations=len(plan.escalations),
            messages=len(plan.messages),
        ),
        markup=False,
    )  # fmt: skip
    for message in plan.messages:
        stdout.print(f"  {', '.join(message.to)}: {message.subject}", markup=False, highlight=False)
    if dry_run:
        stderr.print(words("nightly-dry-run"), markup=False)
        return
    delivery = result.delivery
    if delivery is not None and delivery.delivered:
        stdout.print(words("nightly-delivered", count=len(delivery.delivered), via=delivery.via))
    if delivery is not None and delivery.queued:
        reason = next(iter(delivery.errors.values()), "")
        path = ws.folder("outbox") / "queue"
        stderr.print(
            words("nightly-queued", count=len(delivery.queued), path=path, reason=reason),
            markup=False,
        )
