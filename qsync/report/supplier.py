"""A supplier's scorecard to share with that supplier: HTML, workbook, and an e-mail.

Everything is computed from the store narrowed to the one supplier (see
:func:`qsync.report.data.gather`), so no other supplier's id, name or figure can appear in
the files. The e-mail goes to the supplier's ``quality_email`` in the supplier's ``lang``
(both from the suppliers table), with the scorecard in that language attached.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from qsync.errors import UsageError
from qsync.i18n import LANGS
from qsync.report.control import ChartSettings
from qsync.report.month import Inputs, default_out_dir

if TYPE_CHECKING:
    from qsync.config import Workspace
    from qsync.i18n import Catalogue
    from qsync.report.data import ReportData


def _files(
    data: ReportData, inputs: Inputs, catalogue: Catalogue, out_dir: Path, settings: ChartSettings
) -> list[Path]:
    from qsync.report.html import scorecard_html
    from qsync.report.scorecard_book import supplier_workbook

    assert data.supplier_id is not None
    alerts = inputs.alerts(data.month, catalogue.lang, data.supplier_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"scorecard-{data.supplier_id}-{data.month}.{catalogue.lang}"
    generated = inputs.local_now()
    page = out_dir / f"{stem}.html"
    page.write_text(
        scorecard_html(
            data,
            alerts,
            catalogue,
            inputs.workspace.templates_dir,
            settings=settings,
            generated=generated,
        ),
        encoding="utf-8",
    )
    book = supplier_workbook(
        data, alerts, catalogue, out_dir / f"{stem}.xlsx", settings=settings, generated=generated
    )
    return [page, book]


def scorecard_email(
    data: ReportData, catalogue: Catalogue, templates_dir: Path, attachments: list[Path]
) -> EmailMessage:
    """The message to the supplier's quality contact, in ``catalogue``'s language, with the
    scorecard files attached; raises UsageError when there is no address to send it to."""
    from qsync.notify import DEFAULT_SENDER, build_message
    from qsync.render import render
    from qsync.report.fmt import Formats
    from qsync.report.html import templates_for
    from qsync.report.views import phrases

    assert data.supplier_id is not None
    t = phrases(catalogue)
    fmt = Formats.of(catalogue)
    supplier = data.supplier(data.supplier_id)
    if not supplier.quality_emails:
        raise UsageError(
            t("no-address", supplier=data.supplier_id),
            reference="no-quality-email",
            hint=t("no-address-hint"),
        )
    card = data.card
    name = supplier.display_name(catalogue.lang) or data.supplier_id
    month = fmt.month(data.month)
    grade = card.grade if card and card.grade else t("no-grade")
    if card is not None and card.score is not None:
        grade_name = card.grade_name.in_lang(catalogue.lang) if card.grade_name else ""
        summary = t("email-score", score=fmt.num(card.score, 1), grade=grade, grade_name=grade_name)
    else:
        summary = t("email-no-score", month=month)
    actions = [a.in_lang(catalogue.lang) for a in card.actions] if card else []
    greeting = t("email-greeting", name=name)
    intro = t("email-intro", month=month)
    actions_title = t("email-actions") if actions else ""
    closing = t("email-closing")
    listed = "\n".join([actions_title, *(f"- {a}" for a in actions)]).strip()
    text = "\n\n".join(p for p in (greeting, intro, summary, listed, closing) if p)
    name_tpl = "report/scorecard_email.html.j2"
    html = render(
        templates_for(templates_dir, name_tpl),
        name_tpl,
        html_lang=t("html-lang"),
        greeting=greeting,
        intro=intro,
        summary=summary,
        actions_title=actions_title,
        actions=actions,
        closing=closing,
    )
    return build_message(
        sender=DEFAULT_SENDER,
        to=list(supplier.quality_emails),
        subject=t("email-subject", month=month, supplier_id=data.supplier_id, grade=grade),
        text=text + "\n",
        html=html,
        attachments=attachments,
    )


def write_supplier_scorecard(
    workspace: Workspace,
    supplier_id: str,
    month: str,
    lang: str | None = None,
    out_dir: Path | None = None,
    *,
    email: bool = False,
    now: datetime | None = None,
    settings: ChartSettings | None = None,
) -> list[Path]:
    """Write ``supplier_id``'s scorecard of ``month`` as HTML and a workbook; with ``email``
    also an ``.eml`` to the supplier's quality contact in the outbox. Returns the paths.

    The files are in ``lang`` (default: the workspace's language); the e-mail and the files
    it carries are in the supplier's own language (``lang`` of the suppliers table), written
    alongside when that differs. An unknown supplier, or ``email`` without a quality address,
    is a usage error.

    Example::

        write_supplier_scorecard(find_workspace(None), "S0012", "2026-10", email=True)
    """
    from qsync.notify import write_outbox
    from qsync.report.data import gather

    inputs = Inputs.of(workspace, now)
    settings = settings or ChartSettings()
    catalogue = inputs.catalogue(lang)
    data = gather(inputs.store, month, inputs.rules, supplier_id=supplier_id, settings=settings)
    if supplier_id not in data.suppliers and data.card is None:
        raise UsageError(
            catalogue.text("report", "unknown-supplier", supplier=supplier_id),
            reference="unknown-supplier",
            hint=catalogue.text("report", "unknown-supplier-hint"),
        )
    supplier = data.supplier(supplier_id)
    if email and not supplier.quality_emails:
        raise UsageError(
            catalogue.text("report", "no-address", supplier=supplier_id),
            reference="no-quality-email",
            hint=catalogue.text("report", "no-address-hint"),
        )
    target = out_dir or default_out_dir(workspace, data.month)
    written = _files(data, inputs, catalogue, target, settings)
    if not email:
        return written
    own = supplier.lang
    mail_lang = own if own in LANGS else catalogue.lang
    mail_catalogue = inputs.catalogue(mail_lang)
    attachments = written
    if mail_lang != catalogue.lang:
        attachments = _files(data, inputs, mail_catalogue, target, settings)
        written += attachments
    message = scorecard_email(data, mail_catalogue, workspace.templates_dir, attachments)
    written.append(
        write_outbox(message, workspace.folder("outbox"), f"scorecard-{supplier_id}-{data.month}")
    )
    return written
