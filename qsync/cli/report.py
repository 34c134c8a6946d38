"""The ``report`` command: the month's supplier quality report, or one supplier's scorecard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qsync.cli.app import LangOption, app, current_workspace, stdout
from qsync.errors import UsageError


@app.command()
def report(
    month: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: last month).")] = None,
    supplier: Annotated[
        str | None, typer.Option(help="Only this supplier's scorecard, e.g. S0012.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the files (default: reports/<month>).")
    ] = None,
    email: Annotated[
        bool,
        typer.Option("--email", help="With --supplier: also an e-mail to the supplier (outbox)."),
    ] = False,
    lang: LangOption = None,
) -> None:
    """Write the month's report (HTML with charts, and an Excel workbook), or with --supplier
    that supplier's scorecard, which shows that supplier's data only.

    The HTML works offline: charts are inline SVG, nothing is loaded from the network.

    Example: qsync report --month 2026-10 --lang en
    """
    from qsync.i18n import Catalogue
    from qsync.score.run import default_month

    ws = current_workspace()
    catalogue = Catalogue.load(ws.templates_dir, lang or ws.settings.lang)
    chosen = month or default_month()
    if email and supplier is None:
        raise UsageError(
            catalogue.text("report", "email-needs-supplier"),
            reference="email-needs-supplier",
            hint=catalogue.text("report", "email-needs-supplier-hint"),
        )
    if supplier is None:
        from qsync.report import write_month_report

        paths = write_month_report(ws, chosen, lang, out)
    else:
        from qsync.report import write_supplier_scorecard

        paths = write_supplier_scorecard(ws, supplier, chosen, lang, out, email=email)
    for path in paths:
        key = "email-written" if path.suffix == ".eml" else "written"
        stdout.print(catalogue.text("report", key, path=path), markup=False, highlight=False)
