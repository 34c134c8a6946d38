"""The month's supplier quality report: an HTML page and an Excel workbook for a workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qsync.report.control import ChartSettings

if TYPE_CHECKING:
    from qsync.config import Workspace
    from qsync.i18n import Catalogue
    from qsync.report.alerts_adapter import AlertsOverview
    from qsync.report.data import ReportData
    from qsync.score.rules import ScorecardRules
    from qsync.store import Store


@dataclass(frozen=True)
class Inputs:
    """What every report of a workspace starts from: rules, store, the time of the run."""

    workspace: Workspace
    store: Store
    rules: ScorecardRules
    now: datetime

    @classmethod
    def of(cls, workspace: Workspace, now: datetime | None = None) -> Inputs:
        """The workspace's scorecard rules and store; ``now`` defaults to the clock."""
        from qsync.score import load_scorecard_rules
        from qsync.store import open_store

        path = workspace.rules_dir / "scorecard.yaml"
        rules = load_scorecard_rules(path, "rules/scorecard.yaml") if path.is_file() else None
        return cls(
            workspace,
            open_store(workspace),
            rules or load_scorecard_rules(),
            now or datetime.now(UTC),
        )

    def catalogue(self, lang: str | None) -> Catalogue:
        """The message catalogue of ``lang`` (default: the workspace's language)."""
        from qsync.i18n import Catalogue

        return Catalogue.load(self.workspace.templates_dir, lang or self.workspace.settings.lang)

    def local_now(self) -> datetime:
        """The time of the run as the reader's clock shows it (naive local time)."""
        moment = self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)
        return moment.astimezone().replace(tzinfo=None)

    def alerts(self, month: str, lang: str, supplier_id: str | None = None) -> AlertsOverview:
        """Open alerts and the month's response times (see the adapter)."""
        from qsync.report.alerts_adapter import alerts_overview

        return alerts_overview(
            self.workspace, self.store, month, lang, supplier_id=supplier_id, now=self.now
        )


def default_out_dir(workspace: Workspace, month: str) -> Path:
    """``reports/<month>/`` in the workspace (in the current folder without one)."""
    return (workspace.root or Path.cwd()) / "reports" / month


def write_month_report(
    workspace: Workspace,
    month: str,
    lang: str | None = None,
    out_dir: Path | None = None,
    *,
    now: datetime | None = None,
    settings: ChartSettings | None = None,
) -> list[Path]:
    """Write the month's report as ``report-<month>.<lang>.html`` and ``.xlsx``; returns the
    paths written.

    ``lang`` defaults to the workspace's language, ``out_dir`` to ``reports/<month>/`` of the
    workspace; ``now`` is the time alerts are judged at (default: the clock).

    Example::

        write_month_report(find_workspace(None), "2026-10", "en", Path("out"))
    """
    from qsync.report.data import gather

    inputs = Inputs.of(workspace, now)
    settings = settings or ChartSettings()
    catalogue = inputs.catalogue(lang)
    data = gather(inputs.store, month, inputs.rules, settings=settings)
    alerts = inputs.alerts(data.month, catalogue.lang)
    return write_month_files(
        data, alerts, catalogue, inputs, out_dir or default_out_dir(workspace, data.month), settings
    )


def write_month_files(
    data: ReportData,
    alerts: AlertsOverview,
    catalogue: Catalogue,
    inputs: Inputs,
    out_dir: Path,
    settings: ChartSettings,
) -> list[Path]:
    """Render the month's HTML and workbook into ``out_dir``."""
    from qsync.report.html import month_html
    from qsync.report.workbook import month_workbook

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"report-{data.month}.{catalogue.lang}"
    html = month_html(
        data,
        alerts,
        catalogue,
        inputs.workspace.templates_dir,
        settings=settings,
        generated=inputs.local_now(),
    )
    page = out_dir / f"{stem}.html"
    page.write_text(html, encoding="utf-8")
    book = month_workbook(
        data,
        alerts,
        catalogue,
        out_dir / f"{stem}.xlsx",
        settings=settings,
        generated=inputs.local_now(),
    )
    return [page, book]
