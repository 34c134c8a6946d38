"""Alert e-mail over a real SMTP server (aiosmtpd, started by each test on 127.0.0.1).

Never lost, never doubled: a message that cannot be sent stays in ``outbox/queue/`` and goes
on the next run, exactly once (the ledger ``outbox/sent.jsonl`` records each Message-ID).
The plant is the one of ``test_alerts.py`` in miniature: supplier S1 with three lots of a
class-A part below Cpk 1.33, raised on 2026-10-31 22:00 plant time (five messages: supplier
and plant for purchasing and quality, plant only for engineering).
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from qsync.alerts.delivery import MailQueue, SmtpSettings
from qsync.alerts.nightly import NightlyResult, nightly
from qsync.config import Workspace, init_workspace
from qsync.errors import ConfigError
from qsync.notify import build_message
from qsync.store import delta, open_store

NIGHT = datetime(2026, 10, 31, 22, 0)


class Inbox:
    """An aiosmtpd handler that keeps every message and can refuse chosen recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self.logins: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"

    def ids(self) -> list[str]:
        return sorted(str(m["Message-ID"]) for m in self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def put(ws: Workspace, name: str, frame: pl.DataFrame) -> None:
    store = open_store(ws)
    target = store._ensure(name, frame.schema, f"test: {name}")
    delta.append(target, frame, {"qsync.operation": "test"}, evolve=False)


def make_plant(root: Path, *, lang: str = "zh", name_en: str = "Huadong Precision") -> Workspace:
    ws = init_workspace(root)
    put(
        ws,
        "suppliers",
        pl.DataFrame(
            {
                "supplier_id": ["S1"],
                "name": ["苏州华东精密机械有限公司"],
                "name_en": [name_en],
                "status": ["approved"],
                "lang": [lang],
                "quality_email": ["qa@s1.example.cn"],
                "purchasing_email": ["sales@s1.example.cn"],
                "manager_email": ["gm@s1.example.cn"],
            }
        ),
    )
    put(
        ws,
        "parts",
        pl.DataFrame({"part_no": ["P1"], "characteristic": ["OD"], "material_class": ["A"]}),
    )
    put(
        ws,
        "inspections",
        pl.DataFrame(
            {
                "supplier_id": ["S1"] * 3,
                "part_no": ["P1"] * 3,
                "lot_id": ["L1", "L2", "L3"],
                "received_date": [date(2026, 10, d) for d in (2, 9, 16)],
                "qty_received": [1000] * 3,
                "defects": [0] * 3,
                "decision": ["accept"] * 3,
                "cpk": [1.2, 1.1, 1.0],
            }
        ),
    )
    return ws


@pytest.fixture
def plant(tmp_path: Path) -> Workspace:
    return make_plant(tmp_path / "plant")


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    """A port to send to, and the handler that will receive once the server is started."""
    yield Inbox(), free_port()


def smtp_env(port: int, **extra: str) -> dict[str, str]:
    return {"QSYNC_SMTP_HOST": "127.0.0.1", "QSYNC_SMTP_PORT": str(port), **extra}


def ledger(ws: Workspace) -> list[dict[str, Any]]:
    path = ws.folder("outbox") / "sent.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run(ws: Workspace, at: datetime, env: dict[str, str]) -> NightlyResult:
    return nightly(ws, "2026-10", now=at, environ=env)


def test_smtp_down_then_up_delivers_each_message_exactly_once(
    plant: Workspace, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    env = smtp_env(port)
    down = run(plant, NIGHT, env)  # nothing listens on the port yet
    assert down.delivery is not None
    assert (down.delivery.via, down.delivery.delivered) == ("smtp", [])
    assert sorted(down.delivery.queued) == sorted(down.queued) and len(down.queued) == 5
    assert all("ConnectionRefusedError" in e for e in down.delivery.errors.values())
    queue = plant.folder("outbox") / "queue"
    assert len(list(queue.glob("*.eml"))) == 5
    assert len(down.raised) == 1  # the alert is recorded: the next run will not re-raise it

    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        up = run(plant, NIGHT + timedelta(minutes=30), env)
        assert (up.raised, up.messages) == ([], [])  # nothing new, only the retries
        assert up.delivery is not None and sorted(up.delivery.delivered) == sorted(down.queued)
        assert sorted(up.retried) == sorted(down.queued)
        again = run(plant, NIGHT + timedelta(minutes=40), env)
        assert again.delivery is not None and again.delivery.delivered == []
    finally:
        controller.stop()
    assert len(handler.messages) == 5 and len(set(handler.ids())) == 5
    assert sorted(r["message_id"] for r in ledger(plant)) == handler.ids()
    assert list(queue.glob("*.eml")) == []
    assert len(list((plant.folder("outbox") / "sent").glob("*.eml"))) == 5


def test_messages_have_text_and_html_parts_in_each_readers_language(
    tmp_path: Path, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    ws = make_plant(tmp_path / "plant", lang="en", name_en="Huadong <Precision> & Co.")
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = run(ws, NIGHT, smtp_env(port, QSYNC_MAIL_FROM="sqe-alerts@plant.example.com"))
    finally:
        controller.stop()
    assert result.delivery is not None and len(result.delivery.delivered) == 5
    by_to = {str(m["To"]): m for m in handler.messages}
    supplier = by_to["qa@s1.example.cn"]
    assert supplier["From"] == "sqe-alerts@plant.example.com"
    assert str(supplier["Subject"]).startswith(
        f"[{result.raised[0].id}] Cpk below the limit on consecutive lots: "
        "S1 Huadong <Precision> & Co. · P1 — please answer by 2026-11-01 02:00"
    )
    assert supplier.get_content_type() == "multipart/alternative"
    text = supplier.get_body(("plain",))
    html = supplier.get_body(("html",))
    assert text is not None and html is not None
    assert (
        "3 lots in a row with Cpk below 1.33 (from L1 to L3; worst Cpk 1.0)." in text.get_content()
    )
    assert "Huadong &lt;Precision&gt; &amp; Co." in html.get_content()  # autoescaped
    plant_mail = by_to["sqe@plant.example.com"]  # the plant reads Chinese (risk.yaml)
    assert "连续批次Cpk低于下限" in str(plant_mail["Subject"])
    assert "qsync alerts ack" in plant_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_refused_recipient_stays_queued_and_the_others_go(
    plant: Workspace, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    handler.refuse = {"sqe@plant.example.com"}
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        first = run(plant, NIGHT, smtp_env(port))
        assert first.delivery is not None
        [stuck] = first.delivery.queued
        assert stuck.endswith(".quality.L0.plant")
        assert "SMTPRecipientsRefused" in first.delivery.errors[stuck]
        assert len(handler.messages) == 4
        handler.refuse = set()
        second = run(plant, NIGHT + timedelta(minutes=30), smtp_env(port))
        assert second.delivery is not None and second.delivery.delivered == [stuck]
    finally:
        controller.stop()
    assert len(handler.messages) == 5 and len(set(handler.ids())) == 5


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA) and its key, written as PEM files."""
    from cryptography import x509  # installed with pdfminer.six, a dependency of qsync
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_starttls_and_login_from_the_environment(
    plant: Workspace, inbox: tuple[Inbox, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = inbox
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this certificate only
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"qsync",
            b"s3cret",
        )
        if ok:
            handler.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=server_tls,
        require_starttls=True, authenticator=authenticator, auth_required=True,
    )  # fmt: skip
    controller.start()
    try:
        wrong = smtp_env(
            port, QSYNC_SMTP_STARTTLS="yes", QSYNC_SMTP_USER="qsync", QSYNC_SMTP_PASSWORD="nope"
        )
        refused = run(plant, NIGHT, wrong)
        assert refused.delivery is not None and len(refused.delivery.queued) == 5
        assert "SMTPAuthenticationError" in next(iter(refused.delivery.errors.values()))
        right = dict(wrong, QSYNC_SMTP_PASSWORD="s3cret")
        sent = run(plant, NIGHT + timedelta(minutes=5), right)
        assert sent.delivery is not None and len(sent.delivery.delivered) == 5
    finally:
        controller.stop()
    assert handler.logins == ["qsync"] and len(handler.messages) == 5


def message(key: str) -> EmailMessage:
    msg = build_message(sender="q@plant", to=["a@b"], subject=key, text="t", html="<p>t</p>")
    msg.replace_header("Message-ID", f"<{key}@plant>")
    return msg


def test_a_message_recorded_as_sent_is_never_sent_again(
    tmp_path: Path, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    queue = MailQueue(tmp_path / "outbox")
    assert queue.enqueue("k1", message("k1")) and queue.enqueue("k2", message("k2"))
    assert not queue.enqueue("k1", message("k1"))  # already queued
    # a crash after the ledger line of k1 was written, before its file left the queue
    queue.ledger.write_text(json.dumps({"key": "k1"}) + "\n", encoding="utf-8")
    assert queue.pending() == ["k2"]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = queue.deliver(SmtpSettings("127.0.0.1", port))
    finally:
        controller.stop()
    assert result.delivered == ["k2"] and [m["Subject"] for m in handler.messages] == ["k2"]
    assert sorted(p.name for p in queue.sent_dir.glob("*.eml")) == ["k1.eml", "k2.eml"]
    assert not queue.enqueue("k2", message("k2"))  # delivered: never queued again


def test_without_smtp_messages_go_to_the_outbox_folder(tmp_path: Path) -> None:
    queue = MailQueue(tmp_path / "outbox")
    queue.enqueue("k1", message("k1"))
    result = queue.deliver(None)
    assert (result.via, result.delivered) == ("outbox", ["k1"])
    [written] = (tmp_path / "outbox").glob("*.eml")
    assert written.name.endswith("-k1.eml")
    assert queue.deliver(None).delivered == []


def test_smtp_settings_from_the_environment() -> None:
    assert SmtpSettings.from_env({}) is None
    plain = SmtpSettings.from_env({"QSYNC_SMTP_HOST": "mail.plant"})
    assert plain == SmtpSettings("mail.plant", 25)
    tls = SmtpSettings.from_env(
        {"QSYNC_SMTP_HOST": "mail", "QSYNC_SMTP_STARTTLS": "true", "QSYNC_SMTP_USER": "u",
         "QSYNC_SMTP_PASSWORD": "p"}
    )  # fmt: skip
    assert tls is not None and (tls.port, tls.starttls, tls.user, tls.password) == (
        587,
        True,
        "u",
        "p",
    )
    assert "'p'" not in repr(tls)  # the password is never shown
    with pytest.raises(ConfigError, match="QSYNC_SMTP_PORT must be a port number"):
        SmtpSettings.from_env({"QSYNC_SMTP_HOST": "mail", "QSYNC_SMTP_PORT": "smtp"})
