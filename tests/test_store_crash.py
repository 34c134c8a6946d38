"""Crash safety, for real: a process ingesting is killed with SIGKILL at a random moment (once
or twice), the store must still be readable and consistent, and re-running the same ingest
must finish it with the same content as an ingest that was never interrupted.

Three trials run by default; ``pytest -m slow`` runs 24 more.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest
from conftest import store_workspace

from qsync.config import Workspace
from qsync.ingest import ingest_paths
from qsync.spec import load_specs
from qsync.store import Store, open_store, read_table
from qsync.submission import check_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data" / "csv"
TABLES = ("inspections", "deliveries", "quarantine", "submissions")
CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from qsync.config import find_workspace
    from qsync.ingest import ingest_paths
    from qsync.spec import load_specs
    from qsync.submission import check_file
    ws = find_workspace(Path(sys.argv[1]))
    specs = load_specs(ws.rules_dir)
    check_file(sorted(Path(sys.argv[2]).iterdir())[-1], specs)  # warm up: first use is slow
    print("ready", flush=True)
    ingest_paths([Path(sys.argv[2])], ws, specs)
    print("done", flush=True)
    """
)


def new_workspace(folder: Path) -> Workspace:
    """A workspace with the inspections and deliveries specs only."""
    return store_workspace(folder)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files of every trial: the demo CSVs, a 40k-row file with bad rows, and a corrected
    ACME file (sorted last, so it supersedes the original)."""
    folder = tmp_path_factory.mktemp("inputs")
    for sample in SAMPLES.glob("*.csv"):
        shutil.copy(sample, folder / sample.name)
    generator = ROOT / "sample_data" / "generate.py"
    big = folder / "iqc_large.csv"
    command = [sys.executable, str(generator), "large", str(big), "--rows", "40000"]
    subprocess.run([*command, "--bad-fraction", "0.01"], check=True, capture_output=True)
    text = (SAMPLES / "iqc_oct_acme.csv").read_bytes().decode("utf-8-sig")
    text = text.replace(',"2,500",125,1,Pass,K. Brown', ',"2,500",125,2,Pass,K. Brown', 1)
    (folder / "zz_iqc_oct_acme_v2.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return folder


def snapshot(store: Store) -> dict[str, pl.DataFrame]:
    """Every table, sorted, without the columns that depend on when the ingest ran."""
    tables = {}
    for name in TABLES:
        frame = read_table(store, name)
        drop = [c for c in ("_received_at", "received_at", "ingested_at", "source") if c in frame]
        frame = frame.drop(drop)
        if name == "submissions":
            frame = frame.drop("table_version")
        tables[name] = frame.sort(frame.columns)
    return tables


@pytest.fixture(scope="module")
def reference(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    """The store after an ingest that was never interrupted."""
    ws = new_workspace(tmp_path_factory.mktemp("reference") / "ws")
    report = ingest_paths([inputs], ws, load_specs(ws.rules_dir))
    assert len(report.files) == 5
    return snapshot(open_store(ws))


@pytest.fixture(scope="module")
def duration(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> float:
    """Seconds an uninterrupted child takes from "ready" to "done"."""
    ws = new_workspace(tmp_path_factory.mktemp("timing") / "ws")
    child = start(ws, inputs)
    began = time.monotonic()
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "done"
    seconds = time.monotonic() - began
    child.wait(60)
    return seconds


def start(ws: Workspace, inputs: Path) -> subprocess.Popen[str]:
    """A child that ingests ``inputs``; returns once it has imported everything."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ws.root), str(inputs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    return child


def kill_at_random(ws: Workspace, inputs: Path, rng: random.Random, longest: float) -> float:
    """Start an ingest and SIGKILL it at a random moment, unless it is done by then; returns
    the moment (seconds after the child was ready)."""
    child = start(ws, inputs)
    delay = rng.uniform(0, longest)
    try:
        child.wait(timeout=delay)  # the child's end, or the moment chosen: whichever is first
    except subprocess.TimeoutExpired:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    return delay


def check_consistent(store: Store, inputs: Path) -> None:
    """What must hold at any moment: readable tables, no doubled key, and for each committed
    file, its quarantine rows and counts complete."""
    specs = load_specs(Path(store.location.root).parent / "rules")
    present = [t for t in TABLES if store.has_table(t)]
    frames = {name: read_table(store, name) for name in present}
    for name, keys in (("inspections", ["lot_id"]), ("deliveries", ["po_no", "po_line", "lot_id"])):
        if name in frames:
            assert not frames[name].select(keys).is_duplicated().any(), name
    if "quarantine" in frames:
        identity = ["_submission", "_sheet", "_page", "_row"]
        assert not frames["quarantine"].select(identity).is_duplicated().any()
    log = frames.get("submissions")
    if log is None:
        return
    assert log["sha256"].n_unique() == log.height
    rows_by_file = {check_file(p, specs)[0].sha256: p for p in sorted(inputs.iterdir())}
    for row in log.iter_rows(named=True):
        assert row["sha256"] in rows_by_file
        assert row["rows_read"] == row["rows_accepted"] + row["rows_rejected"]
        quarantined = frames["quarantine"].filter(pl.col("_submission") == row["sha256"]).height
        assert quarantined == row["rows_rejected"]
        raw = Path(store.raw.path_of(row["sha256"])).read_bytes()
        assert raw == rows_by_file[row["sha256"]].read_bytes()


def one_trial(
    seed: int,
    folder: Path,
    inputs: Path,
    reference: dict[str, pl.DataFrame],
    longest: float,
) -> None:
    """Kill once or twice at random, check, re-run to completion, compare with the reference."""
    rng = random.Random(seed)
    ws = new_workspace(folder / f"trial{seed}")
    store = open_store(ws)
    for _ in range(rng.choice((1, 1, 2))):
        delay = kill_at_random(ws, inputs, rng, longest)
        try:
            check_consistent(store, inputs)
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}: inconsistent after kill at {delay:.3f}s") from exc
    report = ingest_paths([inputs], ws, load_specs(ws.rules_dir))
    assert len(report.files) == 5
    check_consistent(store, inputs)
    after = snapshot(store)
    for name in TABLES:
        assert after[name].equals(reference[name]), f"seed {seed}: {name} differs"
    inspections = after["inspections"]
    lot1 = inspections.filter(pl.col("lot_id") == "AC2610-001").row(0, named=True)
    assert (lot1["defects"], lot1["_file"]) == (2, "zz_iqc_oct_acme_v2.csv")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_ingest_leaves_a_consistent_store_and_a_rerun_completes_it(
    seed: int,
    tmp_path: Path,
    inputs: Path,
    reference: dict[str, pl.DataFrame],
    duration: float,
) -> None:
    one_trial(seed, tmp_path, inputs, reference, duration * 1.1)


@pytest.mark.slow
def test_killed_ingest_many_times(
    tmp_path: Path, inputs: Path, reference: dict[str, pl.DataFrame], duration: float
) -> None:
    for seed in range(100, 124):
        one_trial(seed, tmp_path, inputs, reference, duration * 1.1)
