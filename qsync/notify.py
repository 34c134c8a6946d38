"""Email messages: standard ``.eml`` files (text and HTML parts, attachments) in the outbox.

Writing to the outbox is the default delivery: a person or a mail gateway picks the files up.
Files are written atomically (temporary name, then rename) so a crash never leaves half a
message for a gateway to send.
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

DEFAULT_SENDER = "qsync@localhost"


def build_message(
    *,
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    attachments: Sequence[Path] = (),
    sent_at: datetime | None = None,
) -> EmailMessage:
    """A multipart message with a plain-text part, an HTML alternative and attachments."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to) if to else "undisclosed-recipients:;"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent_at or datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "qsync.local")
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    for path in attachments:
        kind, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (kind or "application/octet-stream").split("/", 1)
        msg.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return msg


def write_outbox(msg: EmailMessage, outbox: Path, name_hint: str) -> Path:
    """Write ``msg`` as ``<outbox>/<timestamp>-<hint>.eml`` atomically; returns the path."""
    outbox.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^\w.-]+", "-", name_hint, flags=re.UNICODE).strip("-")[:60] or "message"
    target = outbox / f"{datetime.now():%Y%m%d-%H%M%S}-{slug}.eml"
    counter = 1
    while target.exists():
        target = outbox / f"{datetime.now():%Y%m%d-%H%M%S}-{slug}-{counter}.eml"
        counter += 1
    temp = target.with_suffix(".eml.tmp")
    with temp.open("wb") as handle:
        handle.write(msg.as_bytes())
        handle.flush()
        os.fsync(handle.fileno())
    temp.replace(target)
    return target
