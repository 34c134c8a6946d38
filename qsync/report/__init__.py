"""Reports: the month's supplier quality report and each supplier's scorecard.

HTML pages that work offline (inline SVG charts, no script, nothing loaded from the network)
and Excel workbooks with the same content as tables, in Chinese or English. Figures come
from the scoring library (:mod:`qsync.score`), alerts through
:mod:`qsync.report.alerts_adapter`.

Rooms: :mod:`~qsync.report.data` gathers the figures (:mod:`~.trends`, :mod:`~.control`,
:mod:`~.suppliers`), :mod:`~.charts` draws SVG, :mod:`~.figures` and :mod:`~.views` write
them in one language (:mod:`~.fmt`), :mod:`~.html` and :mod:`~.workbook` (:mod:`~.sheets`)
render the files, :mod:`~.month` and :mod:`~.supplier` write them for a workspace.

Example::

    from qsync.config import find_workspace
    from qsync.report import write_month_report, write_supplier_scorecard

    ws = find_workspace(None)
    write_month_report(ws, "2026-10", "en", Path("out"))       # report-2026-10.en.html/.xlsx
    write_supplier_scorecard(ws, "S0012", "2026-10", email=True)
"""

from qsync.report.month import write_month_report
from qsync.report.supplier import write_supplier_scorecard

__all__ = ["write_month_report", "write_supplier_scorecard"]
