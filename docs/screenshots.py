"""Regenerate ``docs/report.png`` and ``docs/scorecard.png`` from the demo data.

Builds a throw-away workspace from ``sample_data/workspace`` (ingest, score the twelve
months in order, raise the alerts of 2026-10-31 22:00), writes the 2026-10 report and the
scorecard of S0012 with the same library functions as ``qsync report``, and photographs
the top of each page with headless Chromium (Debian: ``apt-get install -y chromium
fonts-noto-cjk``; the fonts draw the Chinese supplier data).

    uv run python docs/screenshots.py [--lang en|zh] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from qsync.config import Workspace, init_workspace
from qsync.ingest import ingest_paths
from qsync.report import write_month_report, write_supplier_scorecard
from qsync.score import load_scorecard_rules
from qsync.score.run import score_store
from qsync.spec import load_specs
from qsync.store import open_store

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_data" / "workspace"
MONTH = "2026-10"
MONTHS = ["2025-11", "2025-12"] + [f"2026-{m:02d}" for m in range(1, 11)]
NIGHT = datetime(2026, 10, 31, 22, 0)  # plant time: the nightly run of the demo's "today"
NOW = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)  # the report is written the next morning
SIZE = "1280,2000"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def build(root: Path) -> Workspace:
    """A workspace with the demo data ingested, every month scored and the alerts raised."""
    ws = init_workspace(root)
    ingest_paths(sorted(SAMPLES.glob("*.csv")), ws, load_specs(ws.rules_dir))
    store = open_store(ws)
    rules = load_scorecard_rules(ws.rules_dir / "scorecard.yaml")
    for month in MONTHS:
        score_store(store, month, rules)
    try:
        from qsync.alerts.nightly import nightly
    except ImportError:
        return ws
    nightly(ws, MONTH, now=NIGHT, environ={})
    return ws


def screenshot(browser: str, page: Path, target: Path) -> None:
    """Photograph the top 1280 x 2000 pixels of ``page`` into ``target`` (PNG)."""
    with tempfile.TemporaryDirectory(prefix="qsync-shot-") as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--user-data-dir={profile}",
                f"--window-size={SIZE}",
                f"--screenshot={target}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main(argv: list[str] | None = None) -> int:
    """Build the demo, write the two pages, photograph them into ``docs/``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="en", choices=["en", "zh"])
    parser.add_argument("--keep", type=Path, help="keep the demo workspace in this folder")
    args = parser.parse_args(argv)
    browser = next((b for name in BROWSERS if (b := shutil.which(name))), None)
    if browser is None:
        print("Chromium not found: apt-get install -y chromium fonts-noto-cjk", file=sys.stderr)
        return 1
    base = args.keep or Path(tempfile.mkdtemp(prefix="qsync-screenshots-"))
    try:
        ws = build(base / "ws")
        out = base / "reports"
        report = write_month_report(ws, MONTH, args.lang, out, now=NOW)[0]
        card = write_supplier_scorecard(ws, "S0012", MONTH, args.lang, out, now=NOW)[0]
        for page, name in ((report, "report.png"), (card, "scorecard.png")):
            target = ROOT / "docs" / name
            screenshot(browser, page, target)
            print(f"{target} ({target.stat().st_size // 1024} KB)")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
