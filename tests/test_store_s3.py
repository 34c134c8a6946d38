"""The store on object storage: ``paths.store: s3://bucket/prefix`` against moto's S3 server on
127.0.0.1, credentials from the AWS environment variables; the raw archive lives in the same
bucket, and a second engine (DuckDB) reads the tables as they are.

moto's ThreadedMotoServer runs in a child process: deltalake's object-store file handler (used
for the raw archive) keeps the GIL while it waits on the network, so a server thread in the
test process could never answer it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import polars as pl
import pytest
from conftest import store_workspace

from qsync.config import Workspace
from qsync.ingest import ingest_paths
from qsync.spec import load_specs
from qsync.store import history, open_store, read_table, show

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data" / "csv"
ACME = SAMPLES / "iqc_oct_acme.csv"
BUCKET = "qsync-test"
# start() returns once the server listens; the server lives until the test closes its stdin.
SERVER = (
    "import sys\n"
    "from moto.server import ThreadedMotoServer\n"
    "server = ThreadedMotoServer(ip_address='127.0.0.1', port=int(sys.argv[1]), verbose=False)\n"
    "server.start()\n"
    "print('up', flush=True)\n"
    "sys.stdin.read()\n"
)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 with an empty bucket."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "up"
        url = f"http://127.0.0.1:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=BUCKET)
        yield url
    finally:
        server.kill()
        server.wait(10)


@pytest.fixture
def s3_workspace(
    endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Workspace:
    """A workspace whose store is a fresh prefix of the moto bucket."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
    }.items():
        monkeypatch.setenv(name, value)
    ws = store_workspace(tmp_path / "ws")
    assert ws.root is not None
    settings = ws.root / "qsync.yaml"
    prefix = f"s3://{BUCKET}/{request.node.name}/store"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("store: store", f"store: {prefix}"),
        encoding="utf-8",
    )
    from qsync.config import find_workspace

    return find_workspace(ws.root)


def s3_client(endpoint: str) -> object:
    """A boto3 S3 client for the moto server."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )


def test_ingest_into_s3_archives_the_raw_file_in_the_bucket(
    s3_workspace: Workspace, endpoint: str
) -> None:
    specs = load_specs(s3_workspace.rules_dir)
    report = ingest_paths(sorted(SAMPLES.glob("*.csv")), s3_workspace, specs)
    assert [(f.status, f.rows_accepted, f.rows_rejected) for f in report.files] == [
        ("partial", 28, 2),
        ("partial", 34, 6),
        ("partial", 27, 3),
    ]
    store = open_store(s3_workspace)
    assert not store.location.is_local
    assert read_table(store, "inspections").height == 61
    assert read_table(store, "quarantine").height == 11
    again = ingest_paths([ACME], s3_workspace, specs)
    assert again.files[0].status == "already-ingested"

    record = show(store, "inspections", {"lot_id": "AC2610-001"})
    assert record is not None
    sha = record.provenance["_submission"]
    assert record.raw_path == f"{store.location.root}/raw/{sha}"
    key = record.raw_path.removeprefix(f"s3://{BUCKET}/")
    body = s3_client(endpoint).get_object(Bucket=BUCKET, Key=key)["Body"].read()  # type: ignore[attr-defined]
    assert body == ACME.read_bytes()
    assert store.raw.read(sha) == ACME.read_bytes()


def test_supersede_and_history_on_s3(s3_workspace: Workspace, tmp_path: Path) -> None:
    specs = load_specs(s3_workspace.rules_dir)
    [first] = ingest_paths([ACME], s3_workspace, specs).files
    before, after = b',"2,500",125,1,Pass,K. Brown', b',"2,500",125,2,Pass,K. Brown'
    text = ACME.read_bytes().replace(before, after, 1)
    corrected = tmp_path / "iqc_oct_acme_v2.csv"
    corrected.write_bytes(text)
    [second] = ingest_paths([corrected], s3_workspace, specs).files
    store = open_store(s3_workspace)
    changes = history(store, "inspections", {"lot_id": "AC2610-001"})
    found = [(c.change, (c.values or {})["defects"]) for c in changes]
    assert found == [("update", 2), ("insert", 1)]
    old = read_table(store, "inspections", as_of=first.table_version)
    assert old.filter(pl.col("lot_id") == "AC2610-001")["defects"].to_list() == [1]
    assert second.table_version is not None and second.table_version > (first.table_version or 0)


def test_duckdb_reads_the_same_tables_as_they_are(s3_workspace: Workspace) -> None:
    import duckdb
    from deltalake import DeltaTable

    specs = load_specs(s3_workspace.rules_dir)
    ingest_paths(sorted(SAMPLES.glob("*.csv")), s3_workspace, specs)
    store = open_store(s3_workspace)
    location = store.location
    table = DeltaTable(location.join("inspections"), storage_options=location.storage_options)
    inspections = table.to_pyarrow_dataset()  # noqa: F841  (DuckDB finds it by name)
    relation = duckdb.sql(
        "SELECT supplier_id, count(*) AS lots, sum(defects) AS defects "
        "FROM inspections GROUP BY supplier_id ORDER BY supplier_id"
    )
    assert relation is not None
    found = relation.fetchall()
    expected = (
        read_table(store, "inspections")
        .group_by("supplier_id")
        .agg(pl.len().alias("lots"), pl.col("defects").sum())
        .sort("supplier_id")
    )
    assert found == expected.rows()
    assert found == [("S0012", 34, 9), ("S0107", 27, 7)]


def test_scoring_an_s3_store_reads_its_tables_as_a_local_store_does(
    s3_workspace: Workspace, tmp_path: Path
) -> None:
    from qsync.score import load_scorecard_rules
    from qsync.score.run import score_store, stored_scorecards

    local = store_workspace(tmp_path / "local")
    rules = load_scorecard_rules()
    runs = {}
    for name, ws in (("s3", s3_workspace), ("local", local)):
        ingest_paths(sorted(SAMPLES.glob("*.csv")), ws, load_specs(ws.rules_dir))
        runs[name] = score_store(open_store(ws), "2026-10", rules)
    s3_cards, local_cards = runs["s3"].cards, runs["local"].cards
    # S0023 only has deliveries in the samples: active, with no lots received.
    assert [c.supplier_id for c in s3_cards.scorecards] == ["S0012", "S0023", "S0107"]
    assert [c.value("lots") for c in s3_cards.scorecards] == [34, 0, 27]
    assert s3_cards.frame.equals(local_cards.frame)
    stored = stored_scorecards(open_store(s3_workspace))
    assert stored is not None
    assert stored.equals(local_cards.to_frame())
