"""Delivering alert e-mails: a durable queue in the outbox, SMTP when configured, a ledger.

Layout of the workspace's outbox folder::

    outbox/queue/<key>.eml   composed, not yet delivered (survives a crash or a dead server)
    outbox/sent/<key>.eml    delivered over SMTP
    outbox/<time>-<key>.eml  delivered to the outbox (no SMTP configured): a person or a
                             mail gateway picks these up
    outbox/sent.jsonl        the ledger: one line per delivered message (key, Message-ID,
                             recipients, subject, how, when)

A message is *queued* atomically (temporary name, then rename) before the nightly run
records its events, and *delivered* by :meth:`MailQueue.deliver`, which holds an exclusive
lock on ``outbox/queue/.lock`` so two runs never send the same file. After each successful
send the ledger line is written (and fsynced) first, then the file moves to ``sent/``; a
queued file whose key is already in the ledger is never sent again. A failed send leaves the
file queued for the next run. The only window left is a crash between the server's "250 OK"
and the ledger write, which would send that one message again on the next run (SMTP has no
way to ask a server whether it already has a message; the stable Message-ID lets a mail
client merge the two).

SMTP settings come from the environment: ``QSYNC_SMTP_HOST`` (unset: deliver to the outbox
folder), ``QSYNC_SMTP_PORT`` (default 587 with STARTTLS, else 25), ``QSYNC_SMTP_USER``,
``QSYNC_SMTP_PASSWORD``, ``QSYNC_SMTP_STARTTLS`` (1/true/yes) and ``QSYNC_MAIL_FROM``.
"""

from __future__ import annotations

import email
import email.policy
import fcntl
import json
import os
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from qsync.errors import ConfigError
from qsync.notify import DEFAULT_SENDER, write_outbox

_TRUE = {"1", "true", "yes", "on"}


def mail_sender(environ: Mapping[str, str] | None = None) -> str:
    """The From address: ``QSYNC_MAIL_FROM`` or qsync's default."""
    env = os.environ if environ is None else environ
    return env.get("QSYNC_MAIL_FROM") or DEFAULT_SENDER


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send (the password is never shown)."""

    host: str
    port: int
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """Settings from ``QSYNC_SMTP_*``, or None when ``QSYNC_SMTP_HOST`` is not set.

        >>> SmtpSettings.from_env({"QSYNC_SMTP_HOST": "mail", "QSYNC_SMTP_STARTTLS": "yes"})
        SmtpSettings(host='mail', port=587, starttls=True, user=None, timeout=30.0)
        """
        env = os.environ if environ is None else environ
        host = env.get("QSYNC_SMTP_HOST", "").strip()
        if not host:
            return None
        starttls = env.get("QSYNC_SMTP_STARTTLS", "").strip().lower() in _TRUE
        port_text = env.get("QSYNC_SMTP_PORT", "").strip()
        try:
            port = int(port_text) if port_text else (587 if starttls else 25)
        except ValueError:
            raise ConfigError(
                f"QSYNC_SMTP_PORT must be a port number, got {port_text!r}",
                reference="bad-smtp-port",
                hint="Set QSYNC_SMTP_PORT to a number such as 25 or 587.",
            ) from None
        return cls(
            host=host,
            port=port,
            starttls=starttls,
            user=env.get("QSYNC_SMTP_USER") or None,
            password=env.get("QSYNC_SMTP_PASSWORD") or None,
        )


@dataclass
class Delivery:
    """What one delivery pass did: keys delivered, keys still queued, and why."""

    via: str
    delivered: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "via": self.via,
            "delivered": self.delivered,
            "queued": self.queued,
            "errors": self.errors,
        }


def _write_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temp.replace(path)


class MailQueue:
    """The outbox queue, the sent folder and the ledger of one workspace (see module doc)."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        self.queue_dir = outbox / "queue"
        self.sent_dir = outbox / "sent"
        self.ledger = outbox / "sent.jsonl"

    def delivered_keys(self) -> set[str]:
        """Keys of every message delivered so far (from the ledger)."""
        if not self.ledger.is_file():
            return set()
        keys = set()
        for line in self.ledger.read_text(encoding="utf-8").splitlines():
            try:
                keys.add(json.loads(line)["key"])
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line from a crash: that message was not recorded
        return keys

    def pending(self) -> list[str]:
        """Keys queued and not yet delivered, oldest first."""
        if not self.queue_dir.is_dir():
            return []
        files = sorted(self.queue_dir.glob("*.eml"), key=lambda p: (p.stat().st_mtime, p.name))
        done = self.delivered_keys()
        return [p.stem for p in files if p.stem not in done]

    def known(self, key: str) -> bool:
        """Queued or already delivered."""
        return (self.queue_dir / f"{key}.eml").is_file() or key in self.delivered_keys()

    def enqueue(self, key: str, message: EmailMessage) -> bool:
        """Queue a message under ``key``; False (nothing written) when the key is known."""
        if self.known(key):
            return False
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.queue_dir / f"{key}.eml", message.as_bytes())
        return True

    def load(self, key: str) -> EmailMessage:
        """A queued message."""
        data = (self.queue_dir / f"{key}.eml").read_bytes()
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        with (self.queue_dir / ".lock").open("a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _record(self, key: str, message: EmailMessage, via: str, path: Path) -> None:
        line = json.dumps(
            {
                "key": key,
                "message_id": message["Message-ID"],
                "to": message["To"],
                "subject": message["Subject"],
                "via": via,
                "path": path.name,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            ensure_ascii=False,
        )
        with self.ledger.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _tidy(self, key: str) -> None:
        """Move a delivered message out of the queue (a no-op when already moved)."""
        source = self.queue_dir / f"{key}.eml"
        if source.is_file():
            self.sent_dir.mkdir(parents=True, exist_ok=True)
            source.replace(self.sent_dir / source.name)

    def deliver(self, smtp: SmtpSettings | None) -> Delivery:
        """Deliver every pending message: over SMTP, or into the outbox folder without it."""
        with self._lock():
            done = self.delivered_keys()
            for stray in self.queue_dir.glob("*.eml"):
                if stray.stem in done:  # recorded, but a crash came before the move
                    self._tidy(stray.stem)
            keys = self.pending()
            if smtp is None:
                return self._to_outbox(keys)
            return self._over_smtp(keys, smtp)

    def _to_outbox(self, keys: list[str]) -> Delivery:
        result = Delivery("outbox")
        for key in keys:
            message = self.load(key)
            path = write_outbox(message, self.outbox, key)
            self._record(key, message, "outbox", path)
            (self.queue_dir / f"{key}.eml").unlink(missing_ok=True)
            result.delivered.append(key)
        return result

    def _over_smtp(self, keys: list[str], smtp: SmtpSettings) -> Delivery:
        result = Delivery("smtp")
        if not keys:
            return result
        try:
            client = _connect(smtp)
        except (OSError, smtplib.SMTPException) as exc:
            result.queued = list(keys)
            result.errors = {key: _reason(exc) for key in keys}
            return result
        try:
            for key in keys:
                message = self.load(key)
                try:
                    client.send_message(message)
                except (OSError, smtplib.SMTPException) as exc:
                    result.queued.append(key)
                    result.errors[key] = _reason(exc)
                    # SMTPException is an OSError: only a lost connection stops the pass.
                    lost = not isinstance(exc, smtplib.SMTPException)
                    if lost or isinstance(exc, smtplib.SMTPServerDisconnected):
                        rest = keys[keys.index(key) + 1 :]
                        result.queued.extend(rest)
                        result.errors.update({k: _reason(exc) for k in rest})
                        break
                    continue
                self._record(key, message, "smtp", self.sent_dir / f"{key}.eml")
                self._tidy(key)
                result.delivered.append(key)
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        return result


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        client.ehlo()
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
    except BaseException:
        client.close()
        raise
    return client


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
