"""Reports on the demo workspace: the month's report and a supplier's scorecard.

The demo data (``sample_data/workspace``: a year of a plant's supplier data, see its README)
is ingested once, every month is scored in order, and the alerts of 2026-10-31 22:00 are
raised (when :mod:`qsync.alerts` is installed). Figures in the files are checked against the
scoring library, charts by counting their SVG points, workbooks by reading them back, and
the supplier scorecard by looking for every other supplier in every file part.
"""

from __future__ import annotations

import atexit
import email
import functools
import io
import shutil
import statistics
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from email import policy
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from openpyxl import load_workbook

from qsync import spc
from qsync.config import Workspace, init_workspace
from qsync.errors import ConfigError
from qsync.i18n import Catalogue
from qsync.ingest import ingest_paths
from qsync.report import write_month_report, write_supplier_scorecard
from qsync.report.alerts_adapter import AlertsOverview, alerts_overview
from qsync.report.control import ChartSettings
from qsync.report.data import ReportData, gather, gather_tables
from qsync.report.fmt import Formats
from qsync.report.html import month_html
from qsync.report.workbook import month_workbook
from qsync.resources import default_templates_dir
from qsync.score import load_scorecard_rules
from qsync.score.run import score_store, store_tables
from qsync.spec import load_specs
from qsync.store import open_store

SAMPLES = Path(__file__).resolve().parents[1] / "sample_data" / "workspace"
MONTH = "2026-10"
MONTHS = [f"2025-{m:02d}" for m in (11, 12)] + [f"2026-{m:02d}" for m in range(1, 11)]
NIGHT = datetime(2026, 10, 31, 22, 0)  # plant time, as the alerts tests use
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # when the reports are written
PLANT = timezone(timedelta(hours=8))


def alerts_installed() -> bool:
    """Whether the alerts room can be imported (the report then shows its data)."""
    try:
        import qsync.alerts.nightly  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Demo:
    """The demo workspace, scored for every month, and the reports written from it."""

    ws: Workspace
    out: Path
    files: dict[str, list[Path]] = field(default_factory=dict)

    def month(self, lang: str) -> list[Path]:
        key = f"month-{lang}"
        if key not in self.files:
            self.files[key] = write_month_report(self.ws, MONTH, lang, self.out / key, now=NOW)
        return self.files[key]

    def scorecard(self, supplier: str, lang: str, *, mail: bool = False) -> list[Path]:
        key = f"{supplier}-{lang}-{mail}"
        if key not in self.files:
            self.files[key] = write_supplier_scorecard(
                self.ws, supplier, MONTH, lang, self.out / key, email=mail, now=NOW
            )
        return self.files[key]


@functools.cache
def demo() -> Demo:
    """Build the demo workspace once per test session (shared with the browser tests)."""
    base = Path(tempfile.mkdtemp(prefix="qsync-report-test-"))
    atexit.register(shutil.rmtree, base, True)
    ws = init_workspace(base / "ws")
    ingest_paths(sorted(SAMPLES.glob("*.csv")), ws, load_specs(ws.rules_dir))
    store = open_store(ws)
    rules = load_scorecard_rules(ws.rules_dir / "scorecard.yaml")
    for month in MONTHS:
        score_store(store, month, rules)
    if alerts_installed():
        from qsync.alerts.journal import load_alerts
        from qsync.alerts.lifecycle import acknowledge
        from qsync.alerts.nightly import nightly

        nightly(ws, MONTH, now=NIGHT, environ={})
        streak = next(a for a in load_alerts(store).values() if a.rule == "cpk_streak")
        at = datetime(2026, 10, 31, 23, 30, tzinfo=PLANT)
        acknowledge(store, streak.id, now=at, department="purchasing", actor="sqe")
        acknowledge(store, streak.id, now=at, department="purchasing", done=True, actor="sqe")
    return Demo(ws, base / "out")


@pytest.fixture(scope="module")
def shown() -> Demo:
    return demo()


# -- reading the files back ---------------------------------------------------------------


@dataclass
class Chart:
    """One ``<svg class="chart">`` of a page: its name, label and what it draws."""

    name: str
    label: str
    points: int = 0
    flagged: int = 0
    bars: int = 0
    segments: int = 0


class Page(HTMLParser):
    """The tables of each ``<section id>`` (rows of cell texts) and every chart of a page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[list[str]]]] = {}
        self.charts: list[Chart] = []
        self.section = ""
        self.cell: list[str] | None = None
        self.foot = False
        self.svg = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "section":
            self.section = a.get("id") or ""
        elif tag == "table":
            self.tables.setdefault(self.section, []).append([])
        elif tag == "tfoot":
            self.foot = True
        elif tag == "tr" and not self.foot:
            self.tables[self.section][-1].append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag in ("br", "div", "li") and self.cell is not None:
            self.cell.append(" ")
        elif tag == "svg":
            self.svg += 1
            if "chart" in classes:
                self.charts.append(Chart(a.get("data-chart") or "", a.get("aria-label") or ""))
        elif tag == "circle" and "point" in classes:
            self.charts[-1].points += 1
            self.charts[-1].flagged += "flagged" in classes
        elif tag == "rect" and "bar" in classes:
            self.charts[-1].bars += 1
        elif tag == "rect" and "segment" in classes:
            self.charts[-1].segments += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tfoot":
            self.foot = False
        elif tag in ("td", "th") and self.cell is not None and not self.foot:
            self.tables[self.section][-1][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag in ("td", "th"):
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def rows(self, section: str, table: int = 0) -> list[list[str]]:
        """Body rows of one table of a section (header and footer rows left out)."""
        return self.tables[section][table][1:]

    def chart(self, name: str, label: str | None = None) -> Chart:
        found = [c for c in self.charts if c.name == name and label in (None, c.label)]
        assert len(found) == 1, (name, label, [c.name for c in self.charts])
        return found[0]


def page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def by_suffix(paths: list[Path], suffix: str) -> list[Path]:
    return [p for p in paths if p.name.endswith(suffix)]


def fresh_cards(ws: Workspace) -> dict[str, dict[str, Any]]:
    """The month's scorecards as ``qsync score --dry-run`` computes them, by supplier."""
    rules = load_scorecard_rules(ws.rules_dir / "scorecard.yaml")
    run = score_store(open_store(ws), MONTH, rules, save=False)
    return {c.supplier_id: c.to_dict() for c in run.cards.scorecards}


def month_data(ws: Workspace, supplier: str | None = None) -> ReportData:
    rules = load_scorecard_rules(ws.rules_dir / "scorecard.yaml")
    return gather(open_store(ws), MONTH, rules, supplier_id=supplier)


# -- the month's report -------------------------------------------------------------------


def test_month_report_writes_an_html_page_and_a_workbook_per_language(shown: Demo) -> None:
    assert [p.name for p in shown.month("en")] == [
        "report-2026-10.en.html",
        "report-2026-10.en.xlsx",
    ]
    assert [p.name for p in shown.month("zh")] == [
        "report-2026-10.zh.html",
        "report-2026-10.zh.xlsx",
    ]


def test_ranking_shows_every_scorecard_with_the_scoring_librarys_figures(shown: Demo) -> None:
    cards = fresh_cards(shown.ws)
    rows = page(shown.month("en")[0]).rows("ranking")
    assert {r[1] for r in rows} == set(cards)
    fmt = Formats.of(Catalogue.load(default_templates_dir(), "en"))
    for row in rows:
        card = cards[row[1]]
        assert row[3] == fmt.num(card["score"], 1)
        assert row[4] == card["grade"]
        assert row[7] == fmt.num(card["ppm"])
        assert row[8] == fmt.pct(card["otd"])
    s0012 = next(r for r in rows if r[1] == "S0012")
    assert s0012[2:5] == ["Suzhou Huadong Precision Machinery Co., Ltd.", "27.0", "D"]


def test_gathered_scorecards_equal_the_scoring_library(shown: Demo) -> None:
    data = month_data(shown.ws)
    assert {c.supplier_id: c.to_dict() for c in data.cards.scorecards} == fresh_cards(shown.ws)


def test_grade_distribution_counts_the_grades(shown: Demo) -> None:
    cards = fresh_cards(shown.ws)
    counts = Counter(c["grade"] for c in cards.values())
    view = page(shown.month("en")[0])
    assert [(r[0], r[2]) for r in view.rows("grades")] == [
        (g, str(counts[g])) for g in ("A", "B", "C", "D")
    ]
    assert view.chart("grades").bars == 4


def test_trends_cover_twelve_months_and_october_adds_up_the_scorecards(shown: Demo) -> None:
    cards = fresh_cards(shown.ws)
    metrics = [c["metrics"] for c in cards.values()]
    defects = sum(m["defects"]["value"] for m in metrics)
    qty = sum(m["qty_received"]["value"] for m in metrics)
    due = sum(m["deliveries"]["value"] for m in metrics)
    on_time = sum(m["deliveries_on_time"]["value"] for m in metrics)
    data = month_data(shown.ws)
    assert [p.month for p in data.trend] == MONTHS
    october = data.trend[-1]
    assert (october.defects, october.qty_received) == (defects, qty)
    assert october.ppm == pytest.approx(defects * 1e6 / qty)
    assert october.otd == pytest.approx(on_time / due)
    view = page(shown.month("en")[0])
    assert view.chart("ppm-trend").points == 12
    assert view.chart("otd-trend").points == 12
    assert len(view.rows("trends")) == 12


def test_worst_suppliers_come_with_their_risk_portraits(shown: Demo) -> None:
    cards = fresh_cards(shown.ws)
    lowest = sorted(cards.values(), key=lambda c: c["score"])[:5]
    view = page(shown.month("en")[0])
    portraits = [c for c in view.charts if c.name.startswith("portrait-")]
    assert [c.name for c in portraits] == [f"portrait-{c['supplier_id']}" for c in lowest]
    assert portraits[0].name == "portrait-S0012"
    first = view.rows("worst", 0)
    risk = cards["S0012"]["risk"]["contributions"]
    assert [r[3] for r in first] == [f"{risk[f]['contribution']:.3f}" for f in risk]


def test_pareto_shares_the_months_defects_between_the_types(shown: Demo) -> None:
    cards = fresh_cards(shown.ws)
    data = month_data(shown.ws)
    assert sum(d.defects for d in data.defects) == sum(
        c["metrics"]["defects"]["value"] for c in cards.values()
    )
    assert [d.defects for d in data.defects] == sorted(
        (d.defects for d in data.defects), reverse=True
    )
    assert data.defects[-1].cumulative == pytest.approx(1.0)
    # L2610-0098 (S0012) names two types, 外径超差;毛刺, for its 8 defects: 4 each
    outer = next(d for d in data.defects if d.defect_type == "外径超差")
    assert (outer.defects, outer.lots) == (5 + 4, 2)
    chart = page(shown.month("en")[0]).chart("defect-pareto")
    assert chart.bars == chart.points == len(data.defects)


def test_spend_share_by_grade_adds_up_the_goods_received(shown: Demo) -> None:
    deliveries = store_tables(open_store(shown.ws))["deliveries"].collect()
    received = deliveries.filter(
        pl.col("delivered_date").is_between(date(2026, 10, 1), date(2026, 10, 31))
    )
    data = month_data(shown.ws)
    assert sum(s.amount for s in data.spend) == pytest.approx(received["amount"].sum())
    assert sum(s.share for s in data.spend) == pytest.approx(1.0)
    grades = {c.supplier_id: c.grade for c in data.cards.scorecards}
    d_spend = received.filter(
        pl.col("supplier_id").is_in([s for s, g in grades.items() if g == "D"])
    )
    assert next(s for s in data.spend if s.grade == "D").amount == pytest.approx(
        d_spend["amount"].sum()
    )
    assert page(shown.month("en")[0]).chart("spend-share").segments == len(data.spend)


def subgroup_means(ws: Workspace, supplier: str, part: str, characteristic: str) -> list[float]:
    """Subgroup means of one series over May-October 2026, in measured order (by hand)."""
    frame = (
        store_tables(open_store(ws))["measurements"]
        .filter(
            (pl.col("supplier_id") == supplier)
            & (pl.col("part_no") == part)
            & (pl.col("characteristic") == characteristic)
            & (pl.col("measured_at") >= datetime(2026, 5, 1))
        )
        .group_by("lot_id", "subgroup")
        .agg(pl.col("value"), at=pl.col("measured_at").min())
        .sort("at", "lot_id", "subgroup")
        .collect()
    )
    return frame["value"].to_list()


def test_control_charts_show_the_flagged_characteristics_and_the_points_that_broke_a_rule(
    shown: Demo,
) -> None:
    data = month_data(shown.ws)
    assert [(c.supplier_id, c.part_no, c.characteristic, c.reasons) for c in data.charts] == [
        ("S0005", "P-1021", "长度L45", ("nelson-2",)),
        ("S0012", "P-1056", "外径Ø10", ("cpk", "nelson-1", "nelson-2")),
    ]
    chart = data.charts[1]
    assert chart.month_cpk == pytest.approx(0.63, abs=0.005)  # the README's story
    groups = subgroup_means(shown.ws, "S0012", "P-1056", "外径Ø10")
    centre = statistics.fmean(v for g in groups for v in g)
    sigma = spc.sigma_within(groups) / 5**0.5
    assert (chart.center, chart.ucl) == pytest.approx((centre, centre + 3 * sigma))
    broken = spc.nelson_rules([statistics.fmean(g) for g in groups], centre, sigma)
    flagged = set(broken[1]) | set(broken[2])
    assert {i for i, p in enumerate(chart.points) if p.rules} == flagged
    drawn = page(shown.month("en")[0]).chart("control", "S0012 · P-1056 · 外径Ø10")
    assert (drawn.points, drawn.flagged) == (len(groups), len(flagged)) == (60, 32)


def test_open_alerts_and_the_months_response_times_come_from_the_alerts_room(
    shown: Demo,
) -> None:
    from qsync.alerts.journal import load_alerts
    from qsync.alerts.stats import response_stats

    store = open_store(shown.ws)
    alerts = load_alerts(store)
    view = page(shown.month("en")[0])
    rows = view.rows("alerts", 0)
    assert len(rows) == sum(a.status != "closed" for a in alerts.values()) > 0
    streak = next(r for r in rows if r[0].startswith("Cpk below the limit"))
    assert "Purchasing 1 Nov 2026 00:00 done" in streak[4]
    assert "Quality 1 Nov 2026 02:00 OVERDUE" in streak[4]
    stats = response_stats(alerts.values(), NOW, month=MONTH, zone=PLANT)
    responses = view.rows("alerts", 1)
    assert len(responses) == len(stats)
    purchasing = next(r for r in responses if r[:2] == ["Purchasing", streak[0].split(" AL-")[0]])
    assert purchasing[2:6] == ["1", "2 h", "1.5 h", "1.5 h"]


def test_without_the_alerts_room_the_report_says_there_is_no_alerts_data(
    shown: Demo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "qsync.alerts.journal", None)
    overview = alerts_overview(shown.ws, open_store(shown.ws), MONTH, "en")
    assert overview == AlertsOverview(available=False)
    html, book = write_month_report(shown.ws, MONTH, "en", tmp_path, now=NOW)
    text = html.read_text(encoding="utf-8")
    assert text.count("No alerts data: the alerts module is not available.") == 2
    sheet = load_workbook(book)["Open alerts"]
    assert sheet["A2"].value == "No alerts data: the alerts module is not available."


def test_chinese_report_reads_in_chinese_with_chinese_dates(shown: Demo) -> None:
    text = shown.month("zh")[0].read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text
    assert "<title>供应商质量月报 · 2026年10月</title>" in text
    assert "2026年10月" in text and "October" not in text
    view = Page(text)
    assert view.rows("trends")[0][0] == "2025年11月"
    assert view.rows("ranking")[0][11] == "低风险"
    en = Catalogue.load(default_templates_dir(), "en").data["report"]
    zh = Catalogue.load(default_templates_dir(), "zh").data["report"]
    assert set(en) == set(zh)
    for phrase in ("Supplier quality report", "Grade distribution", "On-time delivery"):
        assert phrase not in text


def test_page_is_self_contained(shown: Demo) -> None:
    text = shown.month("en")[0].read_text(encoding="utf-8")
    assert "default-src 'none'" in text
    assert "<script" not in text
    for ref in ("http://", "https://", "src=", "@import", "url("):
        assert ref not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_a_month_without_data_says_so_instead_of_showing_zeros(shown: Demo, tmp_path: Path) -> None:
    html, book = write_month_report(shown.ws, "2024-01", "en", tmp_path, now=NOW)
    text = html.read_text(encoding="utf-8")
    for phrase in ("No supplier was active this month.", "No defects were found this month."):
        assert phrase in text
    view = Page(text)
    assert view.chart("ppm-trend").points == 0
    assert [r[5] for r in view.rows("trends")] == ["—"] * 12
    assert load_workbook(book)["Ranking"]["A2"].value == "No supplier was active this month."


# -- the month's workbook -----------------------------------------------------------------


def test_month_workbook_has_the_same_content_as_tables(shown: Demo) -> None:
    book = load_workbook(shown.month("en")[1])
    assert book.sheetnames == [
        "Summary",
        "Grades",
        "Trend",
        "Ranking",
        "Risk portraits",
        "Defects",
        "Spend",
        "Open alerts",
        "Response times",
        "Control charts",
    ]
    for sheet in book:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
        assert all(c.font.bold for c in sheet[1] if c.value is not None)
    cards = fresh_cards(shown.ws)
    ranking = book["Ranking"]
    rows = list(ranking.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(cards)
    for row in rows:
        card = cards[row[1]]
        assert (row[3], row[4]) == (card["score"], card["grade"])
        assert (row[7], row[8]) == pytest.approx((card["ppm"], card["otd"]))
    assert ranking["G2"].number_format == "0.0%"
    grades = {ranking.cell(r, 5).value: ranking.cell(r, 5).fill.start_color.rgb for r in (2, 39)}
    assert grades["A"] == "00C6EFCE"
    trend = book["Trend"]
    assert trend["A2"].value == datetime(2025, 11, 1) and trend["A2"].number_format == "mmm yyyy"
    assert trend.max_row == 13
    control = book["Control charts"]
    assert control.max_row == 1 + 60 + 60
    assert sum(1 for r in control.iter_rows(min_row=2, values_only=True) if r[12]) == 2 + 32


def test_zh_workbook_has_chinese_headers_and_date_formats(shown: Demo) -> None:
    book = load_workbook(shown.month("zh")[1])
    assert book.sheetnames[:3] == ["概要", "等级分布", "趋势"]
    assert book["趋势"]["A1"].value == "月份"
    assert book["趋势"]["A2"].number_format == 'yyyy"年"m"月"'


def test_no_cell_of_a_workbook_is_a_formula(shown: Demo) -> None:
    for path in (shown.month("en")[1], *by_suffix(shown.scorecard("S0012", "en"), ".xlsx")):
        for sheet in load_workbook(path):
            for row in sheet.iter_rows():
                assert all(cell.data_type != "f" for cell in row)


# -- hostile text, strict templates -------------------------------------------------------


def tiny_tables(name: str) -> dict[str, pl.DataFrame]:
    """One supplier with one lot and one delivery in October, named ``name``."""
    return {
        "suppliers": pl.DataFrame({"supplier_id": ["S9001"], "name": [name], "lang": ["en"]}),
        "inspections": pl.DataFrame(
            {
                "supplier_id": ["S9001"],
                "part_no": ["P-1"],
                "lot_id": ["L1"],
                "received_date": [date(2026, 10, 5)],
                "qty_received": [1000],
                "defects": [2],
                "decision": ["accept"],
                "defect_type": ['=HYPERLINK("http://x")'],
            }
        ),
        "deliveries": pl.DataFrame(
            {
                "supplier_id": ["S9001"],
                "part_no": ["P-1"],
                "promised_date": [date(2026, 10, 6)],
                "delivered_date": [date(2026, 10, 5)],
                "amount": [100.0],
                "currency": ["CNY"],
            }
        ),
    }


def test_hostile_names_are_escaped_in_html_and_inert_in_the_workbook(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script>'
    data = gather_tables(tiny_tables(hostile), MONTH, load_scorecard_rules())
    catalogue = Catalogue.load(default_templates_dir(), "en")
    settings = ChartSettings()
    none = AlertsOverview(available=False)
    html = month_html(
        data, none, catalogue, default_templates_dir(), settings=settings, generated=datetime.now()
    )
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "=HYPERLINK(&#34;http://x&#34;)" in html
    book = load_workbook(
        month_workbook(data, none, catalogue, tmp_path / "b.xlsx", settings=settings)
    )
    cell = book["Defects"]["A2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ('=HYPERLINK("http://x")', "s", True)
    assert book["Ranking"]["C2"].value == hostile


def test_a_template_variable_missing_from_the_data_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "month.html.j2").write_text("{{ t('title-month') }} {{ nothing }}")
    data = gather_tables(tiny_tables("x"), MONTH, load_scorecard_rules())
    with pytest.raises(ConfigError, match="'nothing' is undefined"):
        month_html(
            data,
            AlertsOverview(available=False),
            Catalogue.load(default_templates_dir(), "en"),
            tmp_path,
            settings=ChartSettings(),
            generated=datetime.now(),
        )


def test_numbers_and_dates_are_written_for_the_language() -> None:
    en = Formats.of(Catalogue.load(default_templates_dir(), "en"))
    zh = Formats.of(Catalogue.load(default_templates_dir(), "zh"))
    moment = datetime(2026, 11, 1, 6, 5)
    assert (en.num(1234567.891, 2), en.pct(0.8662), en.num(None)) == ("1,234,567.89", "86.6%", "—")
    assert (en.datetime(moment), zh.datetime(moment)) == ("1 Nov 2026 06:05", "2026年11月1日 06:05")
    assert (en.month_short("2025-11"), zh.month_short("2025-11")) == ("Nov 25", "25年11月")
    assert (en.hours(1.5), zh.hours(24.0)) == ("1.5 h", "24 小时")


# -- a supplier's scorecard ---------------------------------------------------------------


def every_text(paths: list[Path]) -> dict[str, str]:
    """Every text a person or program could read from the files: HTML, every part of every
    workbook, every part of every e-mail (decoded) and of its attachments."""
    out: dict[str, str] = {}

    def add(name: str, data: bytes) -> None:
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for part in archive.namelist():
                    out[f"{name}:{part}"] = archive.read(part).decode("utf-8", "replace")
        else:
            out[name] = data.decode("utf-8", "replace")

    for path in paths:
        raw = path.read_bytes()
        add(path.name, raw)
        if path.suffix == ".eml":
            message = email.message_from_bytes(raw, policy=policy.default)
            for i, part in enumerate(message.walk()):
                if not part.is_multipart():
                    add(f"{path.name}#{i}", part.get_payload(decode=True))
    return out


def test_a_suppliers_scorecard_shows_no_other_supplier(shown: Demo) -> None:
    paths = shown.scorecard("S0012", "en", mail=True)
    assert sorted(p.suffix for p in paths) == [".eml", ".html", ".html", ".xlsx", ".xlsx"]
    texts = every_text(paths)
    assert len([k for k in texts if k.endswith(".xml")]) > 20
    master = store_tables(open_store(shown.ws))["suppliers"].collect()
    others = [
        value
        for row in master.iter_rows(named=True)
        if row["supplier_id"] != "S0012"
        for value in (row["supplier_id"], row["name"], row["name_en"])
        if value
    ]
    assert len(others) == 39 * 3
    leaks = [(name, other) for name, text in texts.items() for other in others if other in text]
    assert leaks == []
    assert any("苏州华东精密机械有限公司" in t for t in texts.values())
    assert any("Suzhou Huadong Precision Machinery Co., Ltd." in t for t in texts.values())


def test_scorecard_figures_are_the_scoring_librarys(shown: Demo) -> None:
    data = month_data(shown.ws, "S0012")
    assert [c.supplier_id for c in data.cards.scorecards] == ["S0012"]
    assert data.card is not None
    assert data.card.to_dict() == fresh_cards(shown.ws)["S0012"]
    assert data.trend[-1].ppm == pytest.approx(data.card.value("ppm"))  # type: ignore[arg-type]
    assert [p.grade for p in data.scores][-3:] == ["A", "C", "D"]
    view = page(by_suffix(shown.scorecard("S0012", "en"), ".html")[0])
    assert view.chart("score-trend").points == 12
    assert view.chart("ppm-trend").points == 12
    assert view.chart("control").flagged == 32
    weighted = {r[1]: r for r in view.rows("metrics", 0)}
    assert weighted["Incoming PPM"][2:4] == ["1,310", "30.0"]


def test_scorecard_email_goes_to_the_quality_contact_in_the_suppliers_language(
    shown: Demo,
) -> None:
    paths = shown.scorecard("S0007", "zh", mail=True)
    [eml] = by_suffix(paths, ".eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "acme.quality@example.com"
    assert message["Subject"] == "Supplier scorecard October 2026: S0007, grade A"
    names = [p.get_filename() for p in message.iter_attachments()]
    assert names == ["scorecard-S0007-2026-10.en.html", "scorecard-S0007-2026-10.en.xlsx"]
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().startswith("Dear ACME Fasteners GmbH quality team,")
    assert {p.name for p in paths} >= {"scorecard-S0007-2026-10.zh.html", *names}


def test_a_supplier_without_activity_gets_a_scorecard_saying_so(shown: Demo) -> None:
    html = by_suffix(shown.scorecard("S0038", "en"), ".html")[0]  # suspended since 2026-06
    text = html.read_text(encoding="utf-8")
    assert "No scorecard for October 2026: no lots were received" in text
    assert Page(text).chart("score-trend").points == 7  # scored 2025-11 to 2026-05


def test_scorecard_workbook_reads_back(shown: Demo) -> None:
    [path] = by_suffix(shown.scorecard("S0012", "en"), ".xlsx")
    book = load_workbook(path)
    assert book.sheetnames == [
        "Summary",
        "Metrics",
        "Risk portraits",
        "Trend",
        "Defects",
        "Control charts",
        "Open alerts",
    ]
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert (summary["Supplier"], summary["Score"], summary["Grade"]) == ("S0012", 26.97, "D")
    trend = list(book["Trend"].iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in trend][-3:] == ["A", "C", "D"]
    assert book["Trend"]["C13"].fill.start_color.rgb == "00FFC7CE"


# -- the command --------------------------------------------------------------------------


def test_cli_writes_the_report_and_says_where(shown: Demo, cli: Any, tmp_path: Path) -> None:
    import qsync.cli.report  # noqa: F401  (registers the command)

    result = cli(
        "--workspace", shown.ws.root, "report", "--month", MONTH, "--lang", "en", "--out", tmp_path
    )
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"Written: {tmp_path / 'report-2026-10.en.html'}",
        f"Written: {tmp_path / 'report-2026-10.en.xlsx'}",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email"], "--email needs --supplier"),
        (["--supplier", "S0099"], 'unknown supplier "S0099"'),
        (["--month", "2026-13"], "month must be written YYYY-MM"),
    ],
)
def test_cli_usage_errors_exit_2(shown: Demo, cli: Any, args: list[str], message: str) -> None:
    import qsync.cli.report  # noqa: F401

    result = cli("--workspace", shown.ws.root, "report", "--lang", "en", "--month", MONTH, *args)
    assert result.code == 2
    assert message in result.err
