"""The store on its own: strict casts, schema drift, locations, the writer lock, and damaged or
missing store folders (a clear StoreError, exit 2 on the command line)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import polars as pl
import pytest
from conftest import store_workspace

import qsync.cli.store  # noqa: F401  (registers ingest, history and show)
from qsync.cli import main
from qsync.config import Workspace
from qsync.errors import ExitCode, StoreError
from qsync.ingest import ingest_paths
from qsync.spec import Spec, load_specs
from qsync.store import Store, StoreLocation, open_store, read_table
from qsync.store.lock import LockHolder, store_lock
from qsync.store.schema import align, conform

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data" / "csv"
ACME = SAMPLES / "iqc_oct_acme.csv"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A workspace whose rules are the inspections and deliveries specs only."""
    return store_workspace(tmp_path / "ws")


@pytest.fixture
def specs(ws: Workspace) -> dict[str, Spec]:
    """The specs of :func:`ws`."""
    return load_specs(ws.rules_dir)


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run the command line in-process; exit code, stdout, stderr."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- strict casts ----------------------------------------------------------------------------


def test_conform_casts_without_loss_and_adds_missing_columns_as_null() -> None:
    schema = pl.Schema({"lot": pl.String(), "qty": pl.Int64(), "cpk": pl.Float64()})
    frame = pl.DataFrame({"qty": [3.0, None], "cpk": [1, 2]})
    assert conform(frame, schema, "t").to_dicts() == [
        {"lot": None, "qty": 3, "cpk": 1.0},
        {"lot": None, "qty": None, "cpk": 2.0},
    ]


def test_conform_refuses_a_value_that_would_be_truncated() -> None:
    schema = pl.Schema({"qty": pl.Int64()})
    with pytest.raises(StoreError, match=r"1 value\(s\) would change, e.g. 3.9") as caught:
        conform(pl.DataFrame({"qty": [3.0, 3.9]}), schema, "inspections")
    assert caught.value.reference == "store-value-would-not-fit"
    assert caught.value.exit_code == ExitCode.USAGE


def test_conform_refuses_an_integer_too_large_for_a_float_exactly() -> None:
    schema = pl.Schema({"qty": pl.Float64()})
    with pytest.raises(StoreError, match="would change"):
        conform(pl.DataFrame({"qty": [2**53 + 1]}), schema, "t")


def test_align_refuses_a_column_whose_type_changed() -> None:
    stored = pl.Schema({"qty": pl.Int64(), "lot": pl.String()})
    with pytest.raises(StoreError, match="'qty' is Int64 in the stored table but Float64"):
        align(pl.DataFrame({"qty": [1.5]}), stored, "inspections")


def test_align_fills_dropped_columns_and_asks_for_new_ones() -> None:
    stored = pl.Schema({"lot": pl.String(), "old": pl.Int64()})
    frame, evolve = align(pl.DataFrame({"lot": ["a"], "new": [1]}), stored, "t")
    assert frame.to_dicts() == [{"lot": "a", "new": 1, "old": None}]
    assert evolve


def test_a_spec_type_change_is_refused_before_anything_is_written(
    ws: Workspace, specs: dict[str, Spec], tmp_path: Path
) -> None:
    ingest_paths([ACME], ws, specs)
    assert ws.root is not None
    spec_file = ws.root / "rules" / "specs" / "inspections.yaml"
    text = spec_file.read_text(encoding="utf-8")
    spec_file.write_text(
        text.replace("  qty_received:\n    type: int", "  qty_received:\n    type: float"),
        encoding="utf-8",
    )
    second = tmp_path / "iqc_nov_acme.csv"
    second.write_bytes(ACME.read_bytes().replace(b"AC2610-", b"AC2611-"))
    with pytest.raises(StoreError, match="'qty_received' is Int64 in the stored table"):
        ingest_paths([second], ws, load_specs(ws.rules_dir))
    stored = read_table(open_store(ws), "inspections")
    assert stored.height == 27
    assert stored["lot_id"].str.starts_with("AC2610-").all()


# -- locations -------------------------------------------------------------------------------


def test_location_of_a_relative_folder_is_resolved_against_the_workspace(tmp_path: Path) -> None:
    location = StoreLocation.parse("store", tmp_path)
    assert location.is_local
    assert location.path == (tmp_path / "store").resolve()


def test_s3_location_takes_credentials_from_the_aws_environment() -> None:
    environ = {
        "AWS_ACCESS_KEY_ID": "id",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_ALLOW_HTTP": "true",
        "HOME": "/root",
    }
    location = StoreLocation.parse("s3://plant1/qsync/", environ=environ)
    assert not location.is_local
    assert location.join("inspections") == "s3://plant1/qsync/inspections"
    assert location.storage_options == {
        "AWS_ACCESS_KEY_ID": "id",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_ALLOW_HTTP": "true",
    }


# -- the writer lock -------------------------------------------------------------------------


def test_a_second_writer_waits_and_is_told_who_holds_the_lock(tmp_path: Path) -> None:
    seen: list[LockHolder] = []
    order: list[str] = []
    waiting = threading.Event()

    def told(holder: LockHolder) -> None:
        seen.append(holder)
        waiting.set()

    def second() -> None:
        with store_lock(tmp_path, told):
            order.append("second")

    with store_lock(tmp_path):
        thread = threading.Thread(target=second)
        thread.start()
        assert waiting.wait(5), "the second writer was never told to wait"
        order.append("first done")
    thread.join(5)
    assert order == ["first done", "second"]
    assert len(seen) == 1
    assert seen[0].pid == os.getpid()
    assert seen[0].host and seen[0].since


def test_lock_wait_can_time_out(tmp_path: Path) -> None:
    with (
        store_lock(tmp_path),
        pytest.raises(StoreError, match="stayed locked"),
        store_lock(tmp_path, timeout=0.2),
    ):
        pass


# -- damaged or missing stores ---------------------------------------------------------------


def test_missing_store_folder_is_a_store_error(ws: Workspace, specs: dict[str, Spec]) -> None:
    shutil.rmtree(ws.folder("store"))
    with pytest.raises(StoreError) as caught:
        ingest_paths([ACME], ws, specs)
    assert caught.value.reference == "store-missing"
    assert caught.value.exit_code == ExitCode.USAGE


def _truncate_first_log_entry(table: Path) -> None:
    log = sorted((table / "_delta_log").glob("*.json"))[0]
    data = log.read_bytes()
    log.write_bytes(data[: len(data) // 2])


def test_truncated_delta_log_is_a_store_error_not_a_traceback(
    ws: Workspace, specs: dict[str, Spec]
) -> None:
    ingest_paths([ACME], ws, specs)
    _truncate_first_log_entry(ws.folder("store") / "inspections")
    with pytest.raises(StoreError) as caught:
        read_table(open_store(ws), "inspections")
    assert caught.value.reference == "store-corrupted"
    assert "inspections" in str(caught.value)


def test_cli_on_a_corrupted_store_exits_2_with_a_message(
    ws: Workspace, specs: dict[str, Spec], capsys: pytest.CaptureFixture[str]
) -> None:
    ingest_paths([ACME], ws, specs)
    _truncate_first_log_entry(ws.folder("store") / "submissions")
    other = ws.folder("inbox") / "deliveries.csv"
    shutil.copy(SAMPLES / "deliveries_oct_delta.csv", other)
    code, _, err = run_cli(capsys, "-w", ws.root, "ingest", other)
    assert code == 2
    assert "[store-corrupted]" in err
    assert "Traceback" not in err
    code, _, err = run_cli(capsys, "-w", ws.root, "history", "submissions")
    assert code == 2


def test_cli_history_of_a_missing_store_exits_2(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(ws.folder("store"))
    code, _, err = run_cli(capsys, "-w", ws.root, "show", "inspections", "AC2610-001")
    assert code == 2
    assert "[store-missing]" in err


def test_unknown_table_names_the_tables_there_are(ws: Workspace, specs: dict[str, Spec]) -> None:
    ingest_paths([ACME], ws, specs)
    with pytest.raises(StoreError, match="no table 'deliveries'") as caught:
        read_table(open_store(ws), "deliveries")
    assert caught.value.hint == "Tables in this store: inspections."


def test_table_names_are_checked(ws: Workspace) -> None:
    with pytest.raises(StoreError, match="not a table name"):
        Store.open(StoreLocation.parse(str(ws.folder("store")))).target("../etc")


def test_as_of_a_version_or_time_the_table_does_not_have_is_a_usage_error(
    ws: Workspace, specs: dict[str, Spec]
) -> None:
    from datetime import UTC, datetime

    from qsync.errors import UsageError

    ingest_paths([ACME], ws, specs)
    store = open_store(ws)
    with pytest.raises(UsageError, match="inspections has no version 9") as caught:
        read_table(store, "inspections", as_of=9)
    assert caught.value.hint == (
        "Versions run from 0 to 0; `qsync history inspections` lists them."
    )
    with pytest.raises(UsageError, match="inspections did not exist yet at"):
        read_table(store, "inspections", as_of=datetime(2000, 1, 1, tzinfo=UTC))
    assert read_table(store, "inspections", as_of=datetime.now(UTC)).height == 27


# -- the raw archive ---------------------------------------------------------------------------


def test_archive_keeps_the_bytes_the_caller_hashed(tmp_path: Path) -> None:
    import hashlib

    from qsync.store.archive import RawArchive

    archive = RawArchive(StoreLocation.parse(str(tmp_path / "store"), tmp_path))
    source = tmp_path / "iqc.csv"
    source.write_bytes("批次号,不良数\nL1,0\n".encode())
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    source.write_bytes(b"changed after hashing")
    received = archive.received_at(sha)
    assert received is not None
    stored = archive.put(source, sha, data, received)
    assert stored.created and archive.read(sha) == data
    # The time given before the copy is the archived file's own: a re-run finds the same.
    assert stored.received_at == received == archive.received_at(sha)
    with pytest.raises(StoreError) as refused:
        RawArchive(StoreLocation.parse(str(tmp_path / "other"), tmp_path)).put(source, sha)
    assert refused.value.reference == "file-changed"
    assert not (tmp_path / "other" / "raw" / sha).exists()
