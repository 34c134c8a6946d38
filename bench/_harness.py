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
from typing import Any


def child_measure(work: Callable[[], object]) -> None:
    """In a child: time ``work`` once; print ``{"seconds", "cpu_s", "max_rss_mb"}`` as JSON.

    ``cpu_s`` is the CPU time of every thread (user and system): it counts the work done
    whatever a busy neighbour does to the wall clock.
    """
    import resource
    import time

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    cpu_before = cpu()
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    cpu_s = cpu() - cpu_before
    # Readers may work in a child process of their own: count the larger of the two peaks.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rss_mb = max(own, children) / 1024
    print(json.dumps({"seconds": seconds, "cpu_s": cpu_s, "max_rss_mb": rss_mb}))


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


def interleaved(
    script: Path, modes: tuple[str, ...], args: list[str], repeats: int
) -> dict[str, list[dict[str, float]]]:
    """:func:`measure` each mode ``repeats`` times, alternating the modes run by run, so a
    busy neighbour slows every side alike."""
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    for _ in range(repeats):
        for mode in modes:
            runs[mode].extend(measure(script, mode, args, 1))
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
    if all("cpu_s" in r for r in [*qsync_runs, *bare_runs]):
        q_cpu = statistics.median(r["cpu_s"] for r in qsync_runs)
        b_cpu = statistics.median(r["cpu_s"] for r in bare_runs)
        figures["cpu_ratio"] = round(q_cpu / b_cpu, 2)
    print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    return figures


def parse(description: str | None, size: str, default_size: int, repeats: int) -> Any:
    """The common options: ``--<size> N``, ``--repeats R``, and ``--child MODE FILE``."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(f"--{size}", type=int, default=default_size, dest="size")
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"))
    return parser.parse_args()


def prepared(name: str, make: Callable[[Path], object]) -> Path:
    """``bench/out/<name>``, made once by ``make(path)``."""
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    path = out / name
    if not path.exists():
        make(path)
    return path


def measure_check_file(path: Path, kind: str, before: Callable[[], object] | None = None) -> None:
    """In a child: time ``qsync.submission.check_file`` on ``path`` (set-up excluded)."""
    from pandera.backends.polars.register import register_polars_backends

    from qsync.resources import default_rules_dir
    from qsync.spec import load_specs
    from qsync.submission import check_file

    specs = load_specs(default_rules_dir())
    # Start-up, not work: pandera registers its Polars backend (and imports its optional
    # strategies) on first use. Both sides have their imports done before the clock starts.
    register_polars_backends()
    if before is not None:
        before()

    def work() -> None:
        result, _, _ = check_file(path, specs)
        assert result.kind == kind and result.rows > 0, result

    child_measure(work)
