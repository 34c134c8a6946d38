"""The demo reports in a real browser: headless Chromium loads them and logs nothing.

How console errors are caught: Chromium runs with ``--enable-logging=stderr --v=0`` and
``--dump-dom``; every message a page writes to the console (``console.error``, an uncaught
exception, a blocked resource) appears on stderr as a line with ``:CONSOLE``. The reports
carry a Content-Security-Policy of ``default-src 'none'``, so anything that would need the
network or a script (an external image, font or style sheet, any ``<script>``) is blocked
*and* logged as a console message. A report page must log no console message at all; a
control page that does log proves the detection works. The dumped DOM shows the charts
were parsed as SVG.

Chromium is Debian's ``chromium`` package. Without it the tests are skipped, except when the
environment variable ``CI`` is set: then a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_report import demo  # the demo workspace, built once per test session

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)


def chromium() -> str | None:
    """The browser to use: ``$QSYNC_CHROMIUM``, else the first candidate on the PATH."""
    names = [os.environ.get("QSYNC_CHROMIUM", ""), *CANDIDATES]
    return next((found for name in names if name and (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser() -> str:
    found = chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but Chromium was not found (apt-get install -y chromium)")
        pytest.skip("Chromium not installed (apt-get install -y chromium)")
    return found


@dataclass
class Loaded:
    """What the browser made of a page: the DOM after loading, and the console messages."""

    dom: str
    console: list[str]


def load(browser: str, page: Path) -> Loaded:
    """Open ``page`` in headless Chromium with a throw-away profile."""
    with tempfile.TemporaryDirectory(prefix="qsync-chromium-") as profile:
        done = subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [m.group(1) for m in map(CONSOLE.search, done.stderr.splitlines()) if m]
    return Loaded(done.stdout, console)


def test_a_page_that_logs_is_caught(browser: str, tmp_path: Path) -> None:
    page = tmp_path / "noisy.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'"></head>'
        '<body><img src="https://example.com/logo.png"><script>console.error("x")</script>'
        "</body></html>",
        encoding="utf-8",
    )
    loaded = load(browser, page)
    assert len(loaded.console) == 2, loaded.console
    assert "Content Security Policy" in loaded.console[0]


def test_month_report_loads_without_console_messages(browser: str) -> None:
    html = demo().month("zh")[0]
    loaded = load(browser, html)
    assert loaded.console == []
    assert loaded.dom.count(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart"'
    ) == html.read_text(encoding="utf-8").count("<svg ")
    assert 'data-chart="control"' in loaded.dom


def test_supplier_scorecard_loads_without_console_messages(browser: str) -> None:
    html = next(p for p in demo().scorecard("S0012", "en") if p.suffix == ".html")
    loaded = load(browser, html)
    assert loaded.console == []
    assert 'data-chart="score-trend"' in loaded.dom
