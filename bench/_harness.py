"""Shared benchmark harness: run a measured function in a fresh process, several times.

Each measurement runs in its own child process so that its peak RSS is its own. The child
imports what it needs first, then times only the work. Results are reported as the ratio of
medians against the bare library doing the same work in the same run.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def child_measure(work: Callable[[], object]) -> None:
    """In a child: time ``work`` once and print ``{"seconds", "max_rss_mb"}`` as JSON."""
    import resource
    import time

    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    # Readers may work in a child process of their own: count the larger of the two peaks.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rss_mb = max(own, children) / 1024
    print(json.dumps({"seconds": seconds, "max_rss_mb": rss_mb}))


def measure(script: Path, mode: str, args: list[str], repeats: int) -> list[dict[str, float]]:
    """Run ``script --child MODE args`` ``repeats`` times; return each child's figures."""
    runs = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, str(script), "--child", mode, *args],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs


def summarise(
    name: str, qsync_runs: list[dict[str, float]], bare_runs: list[dict[str, float]]
) -> dict[str, float]:
    """Print and return median seconds, the ratio and the peak RSS of both sides."""
    q = statistics.median(r["seconds"] for r in qsync_runs)
    b = statistics.median(r["seconds"] for r in bare_runs)
    figures = {
        "qsync_s": round(q, 3),
        "bare_s": round(b, 3),
        "ratio": round(q / b, 2),
        "qsync_peak_rss_mb": round(max(r["max_rss_mb"] for r in qsync_runs)),
        "bare_peak_rss_mb": round(max(r["max_rss_mb"] for r in bare_runs)),
    }
    print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    return figures
