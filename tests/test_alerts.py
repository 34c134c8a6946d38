"""Alerts end to end on a real store: raise once, never re-send, escalate once, lifecycle.

The plant: one workspace from :func:`qsync.config.init_workspace` (its ``rules/risk.yaml`` is
the packaged one: class A Cpk streak → purchasing 2 h, quality 4 h, engineering 24 h;
escalation to the department manager at the deadline, to the plant quality manager 24 h
later). Supplier S1 (Chinese) sent three lots of class-A part P1 in October with Cpk below
1.33, so the nightly run of 2026-10-31 22:00 (plant time, Asia/Shanghai) raises one alert.
No SMTP is configured here: mail goes to the outbox folder (SMTP: ``test_alert_mail.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import qsync.cli.alerts  # noqa: F401  (registers the commands, as qsync/cli/__init__.py will)
from qsync.alerts.journal import load_alerts, read_events
from qsync.alerts.model import Flag
from qsync.alerts.nightly import NightlyResult, nightly
from qsync.alerts.state import fold, person_event, raised_event
from qsync.alerts.stats import response_stats
from qsync.config import Workspace, init_workspace
from qsync.store import delta, open_store

D = date
MONTH = "2026-10"
NIGHT = datetime(2026, 10, 31, 22, 0)  # plant time (naive: nightly reads it in plant time)
NIGHT_UTC = datetime(2026, 10, 31, 14, 0, tzinfo=UTC)
Cli = Callable[..., Any]


def put(ws: Workspace, name: str, frame: pl.DataFrame) -> None:
    """Append ``frame`` to the store table ``name`` (created on first use)."""
    store = open_store(ws)
    target = store._ensure(name, frame.schema, f"test: {name}")
    delta.append(target, frame, {"qsync.operation": "test"}, evolve=False)


def inspections(*lots: tuple[str, date, float | None, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "supplier_id": ["S1"] * len(lots),
            "part_no": ["P1"] * len(lots),
            "lot_id": [lot[0] for lot in lots],
            "received_date": [lot[1] for lot in lots],
            "qty_received": [1000] * len(lots),
            "defects": [0] * len(lots),
            "decision": [lot[3] for lot in lots],
            "cpk": [lot[2] for lot in lots],
        },
        schema_overrides={"cpk": pl.Float64},
    )


STREAK = inspections(
    ("L1", D(2026, 10, 2), 1.2, "accept"),
    ("L2", D(2026, 10, 9), 1.1, "accept"),
    ("L3", D(2026, 10, 16), 1.0, "accept"),
)


@pytest.fixture
def plant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    for name in ("QSYNC_SMTP_HOST", "QSYNC_MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)
    ws = init_workspace(tmp_path / "plant")
    put(
        ws,
        "suppliers",
        pl.DataFrame(
            {
                "supplier_id": ["S1"],
                "name": ["苏州华东精密机械有限公司"],
                "name_en": ["Suzhou Huadong Precision"],
                "status": ["approved"],
                "lang": ["zh"],
                "quality_email": ["qa@s1.example.cn"],
                "purchasing_email": ["sales@s1.example.cn"],
                "engineering_email": [None],
                "manager_email": ["gm@s1.example.cn"],
            },
            schema_overrides={"engineering_email": pl.String},
        ),
    )
    put(
        ws,
        "parts",
        pl.DataFrame({"part_no": ["P1"], "characteristic": ["OD"], "material_class": ["A"]}),
    )
    put(ws, "inspections", STREAK)
    return ws


def night(ws: Workspace, at: datetime, **options: Any) -> NightlyResult:
    return nightly(ws, MONTH, now=at, environ={}, **options)


def outbox_files(ws: Workspace) -> list[str]:
    return sorted(p.name.split("-", 2)[2] for p in ws.folder("outbox").glob("*.eml"))


def the_alert(ws: Workspace) -> Any:
    [alert] = load_alerts(open_store(ws)).values()
    return alert


# --- raising --------------------------------------------------------------------------------
def test_nightly_raises_the_alert_with_its_tasks_and_mails_each_department(
    plant: Workspace,
) -> None:
    result = night(plant, NIGHT)
    [raised] = result.raised
    assert (raised.rule, raised.supplier_id, raised.part_no, raised.window) == (
        "cpk_streak", "S1", "P1", "L1",
    )  # fmt: skip
    tasks = [(t.department, t.action, t.due_at.isoformat()) for t in raised.tasks]
    assert tasks == [
        ("purchasing", "contact_supplier", "2026-10-31T16:00:00+00:00"),  # 2 h, class A
        ("quality", "root_cause", "2026-10-31T18:00:00+00:00"),  # 4 h
        ("engineering", "review", "2026-11-01T14:00:00+00:00"),  # 24 h
    ]
    # the supplier's contact in Chinese and the plant mailbox per department; S1 has no
    # engineering address, so engineering is told through its plant mailbox only
    assert outbox_files(plant) == [
        f"{raised.id}.engineering.L0.plant.eml",
        f"{raised.id}.purchasing.L0.plant.eml",
        f"{raised.id}.purchasing.L0.supplier.eml",
        f"{raised.id}.quality.L0.plant.eml",
        f"{raised.id}.quality.L0.supplier.eml",
    ]
    stored = the_alert(plant)
    assert stored.id == raised.id and stored.status == "open"
    assert stored.task("quality").notified == ["qa@s1.example.cn", "sqe@plant.example.com"]
    assert result.delivery is not None and result.delivery.via == "outbox"


def test_a_second_run_raises_and_sends_nothing_new(plant: Workspace) -> None:
    night(plant, NIGHT)
    files = outbox_files(plant)
    events = read_events(open_store(plant)).height
    for later in (NIGHT, NIGHT + timedelta(minutes=90)):
        again = night(plant, later)
        assert (again.raised, again.messages, again.events_written) == ([], [], 0)
        assert again.plan.still_open == [the_alert(plant).id]
    assert outbox_files(plant) == files
    assert read_events(open_store(plant)).height == events


def test_dry_run_shows_what_would_be_sent_and_writes_nothing(plant: Workspace) -> None:
    result = night(plant, NIGHT, dry_run=True)
    assert len(result.raised) == 1 and len(result.messages) == 5
    assert result.delivery is None and result.events_written == 0
    assert outbox_files(plant) == []
    assert "alert_events" not in open_store(plant).tables()


def test_a_growing_streak_updates_the_evidence_of_the_same_alert(plant: Workspace) -> None:
    first = night(plant, NIGHT).raised[0]
    put(plant, "inspections", inspections(("L4", D(2026, 10, 23), 0.9, "accept")))
    again = night(plant, NIGHT + timedelta(minutes=30))
    assert (again.raised, again.messages, again.plan.updated) == ([], [], [first.id])
    alert = the_alert(plant)
    assert alert.evidence["streak"] == 4 and alert.raised_at == first.raised_at


# --- escalation -----------------------------------------------------------------------------
def escalations(result: NightlyResult) -> list[tuple[str, int, tuple[str, ...]]]:
    return [(m.department, m.level, m.to) for m in result.messages]


def test_an_overdue_task_escalates_once_per_step(plant: Workspace) -> None:
    night(plant, NIGHT)
    # 01:00: purchasing (due 00:00) goes to its manager
    assert escalations(night(plant, NIGHT + timedelta(hours=3))) == [
        ("purchasing", 1, ("purchasing.manager@plant.example.com",))
    ]
    assert escalations(night(plant, NIGHT + timedelta(hours=3, minutes=30))) == []
    # 03:00: quality (due 02:00) too
    assert escalations(night(plant, NIGHT + timedelta(hours=5))) == [
        ("quality", 1, ("sqe.manager@plant.example.com",))
    ]
    # a day after its deadline purchasing reaches the plant quality manager, with the
    # supplier's general manager in copy (in the supplier's language: a message of its own)
    later = night(plant, NIGHT + timedelta(hours=26, minutes=30))
    assert escalations(later) == [
        ("purchasing", 2, ("quality.manager@plant.example.com",)),
        ("purchasing", 2, ("gm@s1.example.cn",)),
        ("engineering", 1, ("engineering.manager@plant.example.com",)),
    ]
    assert escalations(night(plant, NIGHT + timedelta(hours=26, minutes=40))) == []
    levels = {t.department: t.escalation_level for t in the_alert(plant).tasks}
    assert levels == {"purchasing": 2, "quality": 1, "engineering": 1}


def test_a_late_run_sends_every_step_that_fell_due(plant: Workspace) -> None:
    night(plant, NIGHT)
    result = night(plant, NIGHT + timedelta(days=3))
    assert [(d, level) for d, level, _ in escalations(result)] == [
        ("purchasing", 1), ("purchasing", 2), ("purchasing", 2),
        ("quality", 1), ("quality", 2), ("quality", 2),
        ("engineering", 1), ("engineering", 2), ("engineering", 2),
    ]  # fmt: skip
    assert escalations(night(plant, NIGHT + timedelta(days=4))) == []


def test_a_done_task_and_a_closed_alert_are_not_escalated(plant: Workspace, cli: Cli) -> None:
    alert = night(plant, NIGHT).raised[0]
    done = cli(
        "-w", plant.root, "alerts", "ack", alert.id, "--department", "purchasing", "--done",
        "--note", "called the supplier", "--now", "2026-10-31T23:00",
    )  # fmt: skip
    assert done.code == 0, done.err
    assert [m.department for m in night(plant, NIGHT + timedelta(hours=5)).messages] == ["quality"]
    closed = cli("-w", plant.root, "alerts", "close", alert.id, "--note", "8D closed")
    assert closed.code == 0, closed.err
    assert night(plant, NIGHT + timedelta(days=5)).messages == []


# --- lifecycle ------------------------------------------------------------------------------
def test_ack_then_close_with_notes(plant: Workspace, cli: Cli) -> None:
    alert_id = night(plant, NIGHT).raised[0].id
    ack = cli(
        "-w", plant.root, "alerts", "ack", alert_id[:9], "--department", "quality",
        "--note", "8D started", "--now", "2026-10-31T23:00", "--lang", "en",
    )  # fmt: skip
    assert (ack.code, ack.out.strip()) == (0, f"Alert {alert_id} acknowledged for Quality.")
    alert = the_alert(plant)
    assert alert.status == "acknowledged"
    assert alert.task("quality").acknowledged_at == datetime(2026, 10, 31, 15, tzinfo=UTC)
    assert alert.task("purchasing").acknowledged_at is None
    assert [(n.kind, n.note, n.department) for n in alert.notes] == [
        ("acknowledged", "8D started", "quality")
    ]

    no_note = cli("-w", plant.root, "alerts", "close", alert_id, "--lang", "en")
    assert no_note.code == 2 and "closing an alert needs a note (--note)" in no_note.err
    closed = cli(
        "-w", plant.root, "alerts", "close", alert_id, "--note", "tool replaced; Cpk 1.8",
        "--now", "2026-11-02T09:00", "--lang", "en",
    )  # fmt: skip
    assert (closed.code, closed.out.strip()) == (0, f"Alert {alert_id} closed.")
    alert = the_alert(plant)
    assert (alert.status, alert.closed_at) == ("closed", datetime(2026, 11, 2, 1, tzinfo=UTC))
    assert alert.notes[-1].note == "tool replaced; Cpk 1.8"

    again = cli("-w", plant.root, "alerts", "ack", alert_id, "--lang", "en")
    assert again.code == 2 and f"alert {alert_id} is closed and cannot change" in again.err


def test_ack_without_department_acknowledges_every_task(plant: Workspace, cli: Cli) -> None:
    alert_id = night(plant, NIGHT).raised[0].id
    assert cli("-w", plant.root, "alerts", "ack", alert_id, "--note", "seen").code == 0
    alert = the_alert(plant)
    assert all(t.acknowledged_at is not None and t.done_at is None for t in alert.tasks)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ack", "AL-000000"], 'no alert "AL-000000"'),
        (["ack", "{id}", "--department", "legal"], 'has no task for "legal"'),
        (["ack", "{id}", "--done"], "--done needs --department"),
        (["--status", "pending"], 'unknown status "pending"'),
        (["--format", "xml"], 'unknown format "xml"'),
        (["ack", "{id}", "--now", "tomorrow"], 'cannot read the time "tomorrow"'),
    ],
)
def test_bad_usage_exits_2(plant: Workspace, cli: Cli, args: list[str], message: str) -> None:
    alert_id = night(plant, NIGHT).raised[0].id
    argv = [a.replace("{id}", alert_id) for a in args]
    result = cli("-w", plant.root, "alerts", *argv, "--lang", "en")
    assert result.code == 2 and message in result.err


def test_a_closed_alert_is_not_raised_again_but_a_new_streak_is(plant: Workspace) -> None:
    from qsync.alerts.lifecycle import close

    first = night(plant, NIGHT).raised[0]
    close(open_store(plant), first.id, now=NIGHT_UTC + timedelta(hours=1), note="contained")
    again = night(plant, NIGHT + timedelta(hours=2))
    assert (again.raised, again.plan.after_close, again.messages) == ([], [first.id], [])
    put(
        plant,
        "inspections",
        inspections(
            ("L4", D(2026, 10, 20), 1.7, "accept"),  # a good lot ends the streak
            ("L5", D(2026, 10, 22), 1.2, "accept"),
            ("L6", D(2026, 10, 26), 1.1, "accept"),
            ("L7", D(2026, 10, 29), 1.0, "accept"),
        ),
    )
    recurred = night(plant, NIGHT + timedelta(hours=3))
    [second] = recurred.raised
    assert second.window == "L5" and second.id != first.id
    assert len(recurred.messages) == 5


# --- JSON and table output ------------------------------------------------------------------
def test_json_lists_alerts_with_their_tasks(plant: Workspace, cli: Cli) -> None:
    night(plant, NIGHT)
    result = cli("-w", plant.root, "alerts", "--format", "json", "--now", "2026-11-01T01:00")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert list(data) == ["alerts"]
    [alert] = data["alerts"]
    required = {"id", "rule", "supplier_id", "part_no", "status", "raised_at", "evidence", "tasks"}
    assert required <= set(alert)
    assert (alert["rule"], alert["status"], alert["raised_at"]) == (
        "cpk_streak", "open", "2026-10-31T14:00:00+00:00",
    )  # fmt: skip
    assert alert["evidence"]["lots"][0] == {
        "lot_id": "L1", "received_date": "2026-10-02", "cpk": 1.2, "characteristic": None,
    }  # fmt: skip
    task = alert["tasks"][0]
    assert {"department", "action", "due_at", "escalation_level"} <= set(task)
    assert (task["department"], task["due_at"], task["escalation_level"]) == (
        "purchasing", "2026-10-31T16:00:00+00:00", 0,
    )  # fmt: skip
    closed = cli("-w", plant.root, "alerts", "--status", "closed", "--format", "json")
    assert json.loads(closed.out) == {"alerts": []}


def test_table_shows_tasks_and_overdue_ones(plant: Workspace, cli: Cli) -> None:
    alert_id = night(plant, NIGHT).raised[0].id
    result = cli("-w", plant.root, "alerts", "--now", "2026-11-01T01:00", "--lang", "en")
    assert result.code == 0, result.err
    assert alert_id in result.out
    assert "Purchasing: due 11-01 00:00 — OVERDUE" in result.out
    assert "Quality: due 11-01 02:00" in result.out


# --- response times -------------------------------------------------------------------------
def test_stats_give_median_and_worst_response_against_the_deadline(
    plant: Workspace, cli: Cli
) -> None:
    from qsync.alerts.lifecycle import acknowledge

    alert_id = night(plant, NIGHT).raised[0].id
    store = open_store(plant)
    acknowledge(store, alert_id, now=NIGHT_UTC + timedelta(hours=1), department="quality", note="")
    acknowledge(
        store,
        alert_id,
        now=NIGHT_UTC + timedelta(hours=6),
        department="quality",
        done=True,
        note="",
    )
    acknowledge(
        store, alert_id, now=NIGHT_UTC + timedelta(hours=1, minutes=30), department="purchasing",
        done=True, note="",
    )  # fmt: skip
    rows = response_stats(
        load_alerts(store).values(), datetime(2026, 11, 2, tzinfo=UTC), month=MONTH
    )
    by_department = {r.department: r for r in rows}
    quality = by_department["quality"]
    assert (quality.respond_median_h, quality.done_median_h, quality.deadline_h) == (1.0, 6.0, 4.0)
    assert (quality.on_time, quality.late, quality.waiting) == (0, 1, 0)
    purchasing = by_department["purchasing"]
    assert (purchasing.respond_worst_h, purchasing.on_time, purchasing.late) == (1.5, 1, 0)
    engineering = by_department["engineering"]
    assert (engineering.respond_median_h, engineering.late, engineering.waiting) == (None, 1, 1)
    assert response_stats(load_alerts(store).values(), NIGHT, month="2026-09") == []

    result = cli("-w", plant.root, "alerts", "--stats", "--month", MONTH, "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["month"] == MONTH
    assert {r["department"] for r in data["stats"]} == {"purchasing", "quality", "engineering"}
    table = cli("-w", plant.root, "alerts", "--stats", "--lang", "en")
    assert "Quality" in table.out and "Cpk below the limit" in table.out


# --- folding --------------------------------------------------------------------------------
def test_fold_keeps_the_first_raise_and_ignores_events_after_closing() -> None:
    flag = Flag("audit_overdue", "S1", None, None, "2026-09-16", None, {"days_overdue": 45})
    t0 = datetime(2026, 10, 31, 14, tzinfo=UTC)
    first = raised_event(flag, [], MONTH, t0)
    twin = raised_event(flag, [], MONTH, t0 + timedelta(minutes=1))  # a concurrent run
    alert = fold([first, twin])[flag.id]
    closed = person_event("closed", alert, t0 + timedelta(hours=1), actor="li", note="done")
    late_ack = person_event("acknowledged", alert, t0 + timedelta(hours=2), actor="wang", note="")
    state = fold([late_ack, twin, closed, first])[flag.id]
    assert state.raised_at == t0
    assert (state.status, [n.actor for n in state.notes]) == ("closed", ["li"])


def test_day_counts_alone_do_not_update_an_open_alert(plant: Workspace) -> None:
    put(
        plant,
        "certificates",
        pl.DataFrame(
            {
                "supplier_id": ["S1"],
                "cert_type": ["IATF16949"],
                "cert_no": ["C1"],
                "expiry_date": [D(2026, 11, 18)],
            }
        ),
    )
    first = night(plant, NIGHT)
    [cert] = [a for a in first.raised if a.rule == "certificate_expiring"]
    assert cert.evidence["days_left"] == 18
    tomorrow = night(plant, NIGHT + timedelta(days=1))
    assert tomorrow.plan.updated == [] and cert.id in tomorrow.plan.still_open
