"""Ingest: every row lands in exactly one place, the same file twice writes nothing, a
corrected file supersedes rows by natural key with the old values readable by time travel,
and a stored row leads back to the raw file it came from."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from conftest import store_workspace

import qsync.cli.store  # noqa: F401  (registers ingest, history and show)
from qsync.cli import main
from qsync.config import Workspace, init_workspace
from qsync.errors import StoreError
from qsync.ingest import ingest_paths
from qsync.spec import Spec, load_specs
from qsync.store import Store, history, open_store, read_table, show
from qsync.store.lock import LockHolder
from qsync.submission import check_file

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data" / "csv"
DEMO = sorted(SAMPLES.glob("*.csv"))
ACME = SAMPLES / "iqc_oct_acme.csv"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A workspace whose rules are the inspections and deliveries specs only."""
    return store_workspace(tmp_path / "ws")


@pytest.fixture
def specs(ws: Workspace) -> dict[str, Spec]:
    """The specs of :func:`ws`."""
    return load_specs(ws.rules_dir)


def corrected_acme(folder: Path) -> Path:
    """The ACME file re-sent: lot AC2610-001 now has 2 defects, lot AC2610-008 is fixed."""
    text = ACME.read_bytes().decode("utf-8-sig")
    text = text.replace(
        'AC2610-001,2026-10-02,"2,500",125,1,', 'AC2610-001,2026-10-02,"2,500",125,2,'
    )
    text = text.replace("125,N/A,NG", "125,0,OK")
    path = folder / "iqc_oct_acme_v2.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path


def counts_by_submission(store: Store, table: str) -> dict[str, int]:
    """Stored rows per submission sha256."""
    frame = read_table(store, table).group_by("_submission").len()
    return dict(zip(frame["_submission"], frame["len"], strict=True))


# -- every row in exactly one place ----------------------------------------------------------


def test_rows_read_equal_rows_stored_plus_rows_quarantined_per_file(
    ws: Workspace, specs: dict[str, Spec]
) -> None:
    report = ingest_paths(DEMO, ws, specs)
    store = open_store(ws)
    log = store.submissions()
    stored = counts_by_submission(store, "inspections") | counts_by_submission(store, "deliveries")
    quarantined = counts_by_submission(store, "quarantine")
    assert [(Path(f.file).name, f.status) for f in report.files] == [
        ("deliveries_oct_delta.csv", "partial"),
        ("iqc_2026-10_华东精密.csv", "partial"),
        ("iqc_oct_acme.csv", "partial"),
    ]
    for path in DEMO:
        result, _, _ = check_file(path, specs)
        row = log.filter(pl.col("sha256") == result.sha256).row(0, named=True)
        assert row["rows_read"] == result.rows
        assert row["rows_read"] == row["rows_accepted"] + row["rows_rejected"]
        assert row["rows_rejected"] == result.invalid_rows
        assert stored[row["sha256"]] == row["rows_accepted"]
        assert quarantined[row["sha256"]] == row["rows_rejected"]
        assert row["file_name"] == path.name
    assert log.select("file_name", "rows_read", "rows_accepted", "rows_rejected").sort(
        "file_name"
    ).rows() == [
        ("deliveries_oct_delta.csv", 30, 28, 2),
        ("iqc_2026-10_华东精密.csv", 40, 34, 6),
        ("iqc_oct_acme.csv", 30, 27, 3),
    ]


def test_quarantined_row_keeps_its_values_as_written_and_its_issues(
    ws: Workspace, specs: dict[str, Spec]
) -> None:
    ingest_paths([ACME], ws, specs)
    quarantine = read_table(open_store(ws), "quarantine").sort("_row")
    assert quarantine["_row"].to_list() == [9, 16, 24]
    first = quarantine.row(0, named=True)
    assert json.loads(first["values"]) == {
        "Supplier Code": "S0107",
        "Part No.": "P-2101",
        "Lot No.": "AC2610-008",
        "Received Date": "Oct 8, 2026",
        "Lot Size": "2,500",
        "Sample Size": "125",
        "Defects": "N/A",
        "Result": "NG",
        "Inspector": "K. Brown",
    }
    issues = json.loads(first["issues"])
    assert [(i["rule"], i["column"], i["value"]) for i in issues] == [
        ("not-an-integer", "Defects", "N/A")
    ]
    assert (first["kind"], first["table"], first["_file"]) == (
        "inspections",
        "inspections",
        "iqc_oct_acme.csv",
    )


def test_file_level_error_is_attached_to_every_rejected_row(
    ws: Workspace, specs: dict[str, Spec], tmp_path: Path
) -> None:
    no_sample = tmp_path / "no_sample.csv"
    no_sample.write_text(
        "Supplier Code,Part No.,Lot No.,Received Date,Qty Received,Defects,Decision\n"
        "S0042,P-1,L-1,2026-10-01,100,0,OK\n"
        "S0042,P-1,L-2,2026-10-01,100,0,OK\n",
        encoding="utf-8",
    )
    [done] = ingest_paths([no_sample], ws, specs).files
    assert (done.status, done.rows_read, done.rows_accepted, done.rows_rejected) == (
        "rejected",
        2,
        0,
        2,
    )
    quarantine = read_table(open_store(ws), "quarantine")
    for issues in quarantine["issues"]:
        assert [i["rule"] for i in json.loads(issues)] == ["missing-column"]


def test_catalogue_messages_are_quarantined_with_the_issues(
    ws: Workspace, specs: dict[str, Spec]
) -> None:
    from qsync.i18n import Catalogue

    catalogue = Catalogue.load(ws.templates_dir, "en")
    ingest_paths([ACME], ws, specs, catalogue=catalogue)
    row = read_table(open_store(ws), "quarantine").sort("_row").row(0, named=True)
    assert json.loads(row["issues"])[0]["message"] == '"N/A" is not a whole number'


def test_unreadable_file_is_archived_logged_and_tried_again(
    ws: Workspace, specs: dict[str, Spec], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_text("colour,flavour\nred,sweet\n", encoding="utf-8")
    [done] = ingest_paths([junk], ws, specs).files
    assert (done.status, done.rows_read) == ("unreadable", 0)
    store = open_store(ws)
    row = store.submission(hashlib.sha256(junk.read_bytes()).hexdigest())
    assert row is not None and row["status"] == "unreadable"
    assert [i["rule"] for i in json.loads(row["issues"])] == ["unknown-kind"]
    assert Path(store.raw.path_of(row["sha256"])).read_bytes() == junk.read_bytes()
    [again] = ingest_paths([junk], ws, specs).files
    assert again.status == "unreadable"
    assert store.submissions().height == 1


# -- idempotence -----------------------------------------------------------------------------


def test_the_same_content_again_is_already_ingested_and_writes_nothing(
    ws: Workspace, specs: dict[str, Spec], tmp_path: Path
) -> None:
    ingest_paths(DEMO, ws, specs)
    store = open_store(ws)
    tables = ("inspections", "deliveries", "quarantine", "submissions")
    versions = {t: history(store, t)[0].version for t in tables}
    renamed = tmp_path / "same_bytes_other_name.csv"
    shutil.copy(ACME, renamed)
    report = ingest_paths([*DEMO, renamed], ws, specs)
    assert {f.status for f in report.files} == {"already-ingested"}
    assert report.ok
    assert {t: history(store, t)[0].version for t in tables} == versions
    assert read_table(store, "inspections").height == 34 + 27
    assert store.submissions().height == 3


# -- supersede and history -------------------------------------------------------------------


def test_corrected_file_supersedes_by_key_and_old_values_stay_readable(
    ws: Workspace, specs: dict[str, Spec], tmp_path: Path
) -> None:
    store = open_store(ws)
    [first] = ingest_paths([ACME], ws, specs).files
    [second] = ingest_paths([corrected_acme(tmp_path)], ws, specs).files
    assert (second.status, second.rows_accepted, second.rows_rejected) == ("partial", 28, 2)
    now = read_table(store, "inspections")
    assert now.height == 28
    assert now["lot_id"].n_unique() == 28
    lot1 = now.filter(pl.col("lot_id") == "AC2610-001").row(0, named=True)
    assert (lot1["defects"], lot1["_submission"]) == (2, second.sha256)
    assert first.table_version is not None
    before = read_table(store, "inspections", as_of=first.table_version)
    assert before.filter(pl.col("lot_id") == "AC2610-001")["defects"].to_list() == [1]
    assert before.height == 27

    changes = history(store, "inspections", {"lot_id": "AC2610-001"})
    assert [(c.change, c.submission, (c.values or {})["defects"]) for c in changes] == [
        ("update", second.sha256, 2),
        ("insert", first.sha256, 1),
    ]
    assert "defects" in changes[0].changed
    assert changes[0].version == second.table_version

    fixed = history(store, "inspections", {"lot_id": "AC2610-008"})
    assert [(c.change, c.submission) for c in fixed] == [("insert", second.sha256)]
    old = show(store, "inspections", {"lot_id": "AC2610-001"}, as_of=first.table_version)
    assert old is not None and old.values["defects"] == 1


def test_unchanged_rows_of_a_resubmission_are_updated_to_the_new_submission(
    ws: Workspace, specs: dict[str, Spec], tmp_path: Path
) -> None:
    ingest_paths([ACME], ws, specs)
    [second] = ingest_paths([corrected_acme(tmp_path)], ws, specs).files
    row = show(open_store(ws), "inspections", {"lot_id": "AC2610-002"})
    assert row is not None and row.provenance["_submission"] == second.sha256
    assert row.provenance["_file"] == "iqc_oct_acme_v2.csv"


def test_resumed_older_file_does_not_overwrite_a_newer_correction(
    ws: Workspace, specs: dict[str, Spec], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(Store, "record_submission", crash)
        with pytest.raises(KeyboardInterrupt):
            ingest_paths([ACME], ws, specs)
    store = open_store(ws)
    assert read_table(store, "inspections").height == 27
    assert store.submissions().height == 0
    [newer] = ingest_paths([corrected_acme(tmp_path)], ws, specs).files
    [resumed] = ingest_paths([ACME], ws, specs).files
    assert resumed.status == "partial"
    lot1 = show(store, "inspections", {"lot_id": "AC2610-001"})
    assert lot1 is not None
    assert (lot1.values["defects"], lot1.provenance["_submission"]) == (2, newer.sha256)
    assert read_table(store, "inspections").height == 28
    quarantined = counts_by_submission(store, "quarantine")
    assert quarantined[str(resumed.sha256)] == 3


# -- provenance back to the raw file ---------------------------------------------------------


def test_stored_row_leads_back_to_identical_raw_bytes(
    ws: Workspace, specs: dict[str, Spec]
) -> None:
    path = SAMPLES / "iqc_2026-10_华东精密.csv"
    ingest_paths([path], ws, specs)
    store = open_store(ws)
    some_lot = read_table(store, "inspections")["lot_id"][5]
    record = show(store, "inspections", {"lot_id": some_lot})
    assert record is not None
    raw = Path(record.raw_path).read_bytes()
    assert raw == path.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == record.provenance["_submission"]
    assert record.submission is not None
    assert record.submission["file_name"] == path.name
    line = raw.decode("gb18030").splitlines()[record.provenance["_row"] - 1]
    assert some_lot in line


# -- moving processed files ------------------------------------------------------------------


def test_processed_inbox_files_move_to_done_after_the_commit(
    ws: Workspace, specs: dict[str, Spec]
) -> None:
    inbox = ws.folder("inbox")
    for path in DEMO:
        shutil.copy(path, inbox / path.name)
    junk = inbox / "junk.csv"
    junk.write_text("a,b\n1,2\n", encoding="utf-8")
    report = ingest_paths([inbox], ws, specs, move_done=True)
    moved = sorted(p.name for p in (inbox / "done").iterdir())
    assert moved == sorted(p.name for p in DEMO)
    assert sorted(p.name for p in inbox.glob("*.csv")) == ["junk.csv"]
    assert all(f.moved_to is not None for f in report.files if f.status != "unreadable")


def test_files_outside_the_inbox_are_never_moved(
    ws: Workspace, specs: dict[str, Spec], tmp_path: Path
) -> None:
    mine = tmp_path / ACME.name
    shutil.copy(ACME, mine)
    [done] = ingest_paths([mine], ws, specs, move_done=True).files
    assert done.moved_to is None and mine.exists()


# -- concurrency -----------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from qsync.config import find_workspace
    from qsync.ingest import ingest_paths
    from qsync.spec import load_specs
    ws = find_workspace(Path(sys.argv[1]))
    specs = load_specs(ws.rules_dir)
    print("ready", flush=True)
    sys.stdin.readline()  # the test starts both writers at once
    report = ingest_paths([Path(p) for p in sys.argv[2:]], ws, specs)
    print(" ".join(f"{f.status}:{f.rows_accepted}" for f in report.files))
    """
)


def write_lots(path: Path, prefix: str, rows: int) -> None:
    """A valid inspections CSV with lots ``<prefix>-<n>``."""
    lines = [
        "Supplier Code,Part No.,Lot No.,Received Date,Qty Received,Sample Size,Defects,Decision"
    ]
    lines += [f"S0042,P-1001,{prefix}-{n:05d},2026-10-05,500,50,0,OK" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_two_concurrent_ingests_lose_and_double_nothing(ws: Workspace, tmp_path: Path) -> None:
    groups: list[list[str]] = [[], []]
    for process in range(2):
        for n in range(4):
            path = tmp_path / f"p{process}_{n}.csv"
            write_lots(path, f"L{process}{n}", 500)
            groups[process].append(str(path))
    shared = tmp_path / "shared.csv"
    shutil.copy(ACME, shared)
    for group in groups:
        group.append(str(shared))  # both processes also ingest the very same file
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(ws.root), *group],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for group in groups
    ]
    try:
        # Both writers have their imports done before either starts writing.
        for child in children:
            assert child.stdout is not None and child.stderr is not None
            ready = child.stdout.readline()
            assert ready == "ready\n", ready + (
                child.stderr.read() if child.poll() is not None else ""
            )
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=300) for child in children]
    finally:
        for child in children:
            child.kill()  # nothing left behind when the test fails early
            child.wait(30)
    assert [child.returncode for child in children] == [0, 0], outputs
    store = open_store(ws)
    table = read_table(store, "inspections")
    assert table.height == 2 * 4 * 500 + 27
    assert table["lot_id"].n_unique() == table.height
    log = store.submissions()
    assert log.height == 9
    assert log["sha256"].n_unique() == 9
    assert read_table(store, "quarantine").height == 3
    results = [item.split(":") for out, _ in outputs for item in out.split()]
    written = [(status, int(rows)) for status, rows in results if status != "already-ingested"]
    assert len(written) == 9  # the shared file was written by one process only
    assert sum(rows for _, rows in written) == 2 * 4 * 500 + 27


def test_waiting_writer_is_told_through_the_callback(ws: Workspace, specs: dict[str, Spec]) -> None:
    import threading

    from qsync.store.lock import store_lock

    seen: list[LockHolder] = []
    release = threading.Event()

    def hold() -> None:
        with store_lock(ws.folder("store")):
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    timer = threading.Timer(0.5, release.set)
    timer.start()
    report = ingest_paths([ACME], ws, specs, on_wait=seen.append)
    holder.join()
    assert len(seen) == 1 and seen[0].pid is not None
    assert report.files[0].status == "partial"


# -- command line ----------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run the command line in-process; exit code, stdout, stderr."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_ingest_summarises_each_file_and_exits_1_on_rejected_rows(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "-w", ws.root, "ingest", ACME, "--lang", "en")
    assert code == 1
    assert (
        f"{ACME}: partly stored — Incoming inspection: 30 rows read, 27 stored in inspections,"
        " 3 quarantined"
    ) in " ".join(out.split())
    code, out, _ = run_cli(capsys, "-w", ws.root, "ingest", ACME, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True
    assert [(f["status"], f["rows_read"]) for f in data["files"]] == [("already-ingested", 30)]


def test_cli_ingest_of_a_clean_file_exits_0(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = tmp_path / "clean.csv"
    write_lots(clean, "C", 3)
    code, out, _ = run_cli(capsys, "-w", ws.root, "ingest", clean, "--format", "json")
    assert code == 0
    [file] = json.loads(out)["files"]
    assert (file["status"], file["rows_accepted"], file["table"]) == ("accepted", 3, "inspections")


def _instant_between() -> str:
    """A local time to the millisecond, as people type it, after all done so far and before
    anything done next: the next millisecond, once the clock has passed it."""
    from datetime import datetime, timedelta

    now = datetime.now()
    instant = now.replace(microsecond=now.microsecond // 1000 * 1000) + timedelta(milliseconds=1)
    while datetime.now() < instant + timedelta(milliseconds=1):
        pass  # at most two milliseconds
    return instant.isoformat(timespec="milliseconds")


def test_cli_history_and_show_read_the_audit_trail(
    ws: Workspace, specs: dict[str, Spec], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [first] = ingest_paths([ACME], ws, specs).files
    between = _instant_between()
    ingest_paths([corrected_acme(tmp_path)], ws, specs)
    code, out, _ = run_cli(
        capsys, "-w", ws.root, "show", "inspections", "AC2610-001", "--as-of", between, "-f", "json"
    )
    assert code == 0
    assert json.loads(out)["values"]["defects"] == 1
    code, out, _ = run_cli(
        capsys, "-w", ws.root, "history", "inspections", "--key", "AC2610-001", "-f", "json"
    )
    assert code == 0
    assert [(e["change"], e["values"]["defects"]) for e in json.loads(out)] == [
        ("update", 2),
        ("insert", 1),
    ]
    code, out, _ = run_cli(
        capsys, "-w", ws.root, "show", "inspections", "AC2610-001", "--as-of",
        first.table_version, "-f", "json",
    )  # fmt: skip
    assert code == 0
    record = json.loads(out)
    assert record["values"]["defects"] == 1
    assert record["raw_path"].endswith(f"raw/{first.sha256}")
    code, out, _ = run_cli(
        capsys, "-w", ws.root, "show", "inspections", "AC2610-001", "--lang", "en"
    )
    assert code == 0
    assert "Raw file" in out and "iqc_oct_acme_v2.csv" in out
    code, _, err = run_cli(capsys, "-w", ws.root, "show", "inspections", "NOPE", "--lang", "en")
    assert code == 1
    assert "No record NOPE in inspections." in err


def test_cli_show_with_a_composite_key_and_a_bad_as_of(
    ws: Workspace, specs: dict[str, Spec], capsys: pytest.CaptureFixture[str]
) -> None:
    ingest_paths([SAMPLES / "deliveries_oct_delta.csv"], ws, specs)
    key = "4500012306/10/DL261026-01"
    code, out, _ = run_cli(capsys, "-w", ws.root, "show", "deliveries", key, "-f", "json")
    assert code == 0
    assert json.loads(out)["values"]["po_line"] == 10
    code, _, err = run_cli(capsys, "-w", ws.root, "show", "deliveries", "4500012306/10")
    assert code == 2 and "[bad-key]" in err
    code, _, err = run_cli(capsys, "-w", ws.root, "show", "deliveries", key, "--as-of", "soon")
    assert code == 2 and "[bad-as-of]" in err


def test_cli_ingest_needs_a_store(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(ws.folder("store"))
    code, _, err = run_cli(capsys, "-w", ws.root, "ingest", ACME)
    assert code == 2
    assert "[store-missing]" in err


def test_store_error_type_for_missing_table_history(ws: Workspace) -> None:
    with pytest.raises(StoreError, match="no table 'inspections'"):
        history(open_store(ws), "inspections")


def test_move_done_setting_moves_stored_inbox_files(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    assert ws.root is not None
    settings = ws.root / "qsync.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("move_done: false", "move_done: true"),
        encoding="utf-8",
    )
    sample = ws.folder("inbox") / "iqc.csv"
    sample.write_text(
        "供应商代码,物料编码,批次号,到货日期,来料数量,抽样数,不良数,判定\n"
        "S0001,P-1,L1,2026-10-02,1000,80,0,合格\n",
        encoding="utf-8",
    )
    assert main(["-w", str(ws.root), "ingest", str(ws.folder("inbox"))]) == 0
    assert not sample.exists()
    assert [p.name for p in (ws.folder("inbox") / "done").iterdir()] != []


# -- reading and hashing a file once -----------------------------------------------------------


def test_bytes_read_and_hashed_by_ingest_check_exactly_as_the_file(
    ws: Workspace, specs: dict[str, Spec]
) -> None:
    from qsync.fastpath import FileBytes

    for path in DEMO:
        content = FileBytes.load(path)
        assert content.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        given, given_tables, _ = check_file(path, specs, content=content)
        read, read_tables, _ = check_file(path, specs)
        assert given.to_dict() == read.to_dict()
        [given_table], [read_table_] = given_tables, read_tables
        assert given_table.table.frame.equals(read_table_.table.frame)


def test_trace_index_refreshed_after_ingest_unless_asked_not_to(
    ws: Workspace, specs: dict[str, Spec]
) -> None:
    from qsync.trace.index import is_stale

    store_dir = open_store(ws).location.path
    skipped = ingest_paths([ACME], ws, specs, refresh_index=False)
    assert skipped.trace_index == {}
    assert is_stale(store_dir, "inspections")
    refreshed = ingest_paths([corrected_acme(ws.folder("inbox"))], ws, specs)
    info = refreshed.trace_index["inspections"]
    lots = read_table(open_store(ws), "inspections")["lot_id"].n_unique()
    written = refreshed.files[0].table_version
    assert (info.table, info.rows, info.version) == ("inspections", lots, written)
    assert not is_stale(store_dir, "inspections")
