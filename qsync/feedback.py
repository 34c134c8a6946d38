"""Validation feedback to a supplier: an email in their language with the annotated workbook."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from qsync.annotate import annotate
from qsync.config import Workspace
from qsync.i18n import Catalogue
from qsync.model import FileResult
from qsync.notify import DEFAULT_SENDER, build_message, write_outbox
from qsync.render import render
from qsync.spec import Spec
from qsync.submission import FileCheck


@dataclass
class Recipient:
    """Who receives the feedback: the supplier's quality contact, when master data has one."""

    supplier_name: str
    emails: list[str]
    lang: str


def feedback_email(
    result: FileResult,
    spec: Spec | None,
    recipient: Recipient,
    templates_dir: Path,
    *,
    attachment: Path | None = None,
    sender: str = DEFAULT_SENDER,
) -> EmailMessage:
    """The feedback message for one checked file, rendered from ``templates/email/``.

    ``result.issues`` must already carry messages in ``recipient.lang``.
    """
    catalogue = Catalogue.load(templates_dir, recipient.lang)
    counts = {
        "rows": result.rows,
        "valid_rows": result.valid_rows,
        "invalid_rows": result.invalid_rows,
        "errors": len(result.errors),
        "warnings": len(result.issues) - len(result.errors),
    }
    names = {
        "file_name": Path(result.file).name,
        "kind_title": spec.title.in_lang(recipient.lang) if spec else "?",
        "supplier_name": recipient.supplier_name,
        "attachment": attachment.name if attachment else "",
    }
    context = {
        **counts,
        **names,
        "issues": result.issues,
        "intro": catalogue.text("email", "feedback-intro", **names),
        "summary": catalogue.text("email", "feedback-summary", **counts),
        "attachment_note": catalogue.text("email", "feedback-attachment", **names),
        "closing": catalogue.text("email", "feedback-closing"),
    }
    base = f"email/validation_feedback.{recipient.lang}"
    subject_key = "feedback-subject" if result.issues else "feedback-subject-ok"
    return build_message(
        sender=sender,
        to=recipient.emails,
        subject=catalogue.text("email", subject_key, **counts, **names),
        text=render(templates_dir, f"{base}.txt.j2", **context),
        html=render(templates_dir, f"{base}.html.j2", **context),
        attachments=[attachment] if attachment else [],
    )


def hand_back(
    check: FileCheck,
    workspace: Workspace,
    catalogue: Catalogue,
    *,
    annotate_dir: Path | None,
    email: bool,
    to: list[str] | None = None,
) -> list[str]:
    """Annotate a checked file and/or write its feedback email; returns lines to show.

    With ``email`` and no ``annotate_dir`` the annotated workbook goes to the outbox folder's
    ``attachments/`` so the message can carry it.
    """
    zh = Catalogue.load(workspace.templates_dir, "zh")
    en = Catalogue.load(workspace.templates_dir, "en")
    lines: list[str] = []
    attachment: Path | None = None
    target_dir = annotate_dir or (workspace.folder("outbox") / "attachments" if email else None)
    if target_dir is not None and check.result.issues:
        attachment = annotate(
            check.path, check.result, check.tables, check.spec, (zh, en), target_dir
        )
        lines.append(catalogue.text("email", "annotated-written", path=attachment))
    if email:
        recipient = Recipient(
            supplier_name=_supplier_of(check) or catalogue.text("email", "unknown-supplier"),
            emails=list(to or []),
            lang=catalogue.lang,
        )
        message = feedback_email(
            check.result, check.spec, recipient, workspace.templates_dir, attachment=attachment
        )
        path = write_outbox(message, workspace.folder("outbox"), check.path.stem)
        lines.append(catalogue.text("email", "email-written", path=path))
    return lines


def _supplier_of(check: FileCheck) -> str | None:
    """The supplier code of a submission: its first non-empty ``supplier_id``."""
    for table in check.tables:
        frame = table.table.frame
        if "supplier_id" in frame.columns:
            codes = frame["supplier_id"].drop_nulls()
            if len(codes):
                return str(codes[0])
    return None
