"""Ingest supplier files: validate each as ``qsync validate`` does, then store it.

Accepted rows go to their canonical table, rejected rows to ``quarantine``, the file itself to
the raw archive, and one row per file to ``submissions``, whose counts prove that every row
read landed in exactly one place (``rows_read == rows_accepted + rows_rejected``).

Write order, and why a crash (even ``kill -9``) at any moment is safe
----------------------------------------------------------------------
For each file:

1. hash the file (a CSV is read once, and hashed while it is parsed); a sha256 that already
   has a ``submissions`` row was ingested: skip it;
2. archive the bytes at ``raw/<sha256>`` (temp file, fsync, atomic rename) — in parallel
   with validation, but always finished before anything below;
3. under the writer lock: look for the ``submissions`` row again (another process may have
   finished the same file meanwhile), then
4. write accepted rows to their table (upsert on the natural key),
5. write rejected rows to ``quarantine`` (insert-only on submission + sheet + page + row),
6. write the ``submissions`` row, LAST: it is the commit marker of the file;
7. only then, if asked, move the file to ``inbox/done/``.

Each step is one atomic Delta commit (or one atomic rename), so a reader always sees a
consistent store: a killed writer leaves at most a Parquet file no version references (never
read; only a vacuum would remove it). A file whose marker is missing is re-done in full on the
next run, and every step is idempotent, so a half-done earlier attempt cannot double a row:
the table upsert finds its rows already there, from the same submission, and leaves them;
quarantine finds its source rows already there; the marker is keyed on the sha256. A matched
row is replaced only by a *different* submission received no earlier than it (``received_at``
is when the raw file was first archived), so resuming an old interrupted file never overwrites
a correction that arrived in between. A crash after step 6 and before 7 leaves the file in
the inbox; the next run says "already ingested" and moves it.

Concurrency: on a local store the writes of each file (steps 3–6) hold ``store/.lock``
(validation runs outside it, in parallel). On an object store there is no lock; every write
is a MERGE, and Delta's commit conflicts are retried (see :mod:`qsync.store.delta`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsync.fastpath import FileBytes
from qsync.model import FileResult, Issue
from qsync.store.core import SUPERSEDES
from qsync.store.rows import Provenance, Rows, issue_json, split_rows
from qsync.submission import (
    SUPPORTED,
    CheckOptions,
    check_read,
    expand_paths,
    file_sha256,
    read_file,
)

if TYPE_CHECKING:
    from qsync.config import Workspace
    from qsync.i18n import Catalogue
    from qsync.spec import Spec
    from qsync.store import Store
    from qsync.store.lock import LockHolder
    from qsync.trace.build import BuildInfo

JSON_VERSION = 1
ALREADY = "already-ingested"
FAILED = frozenset({"partial", "rejected", "empty", "unreadable"})


@dataclass
class FileIngest:
    """What happened to one file.

    ``status`` is ``accepted`` (every row stored), ``partial`` (some rows quarantined),
    ``rejected`` (every row quarantined), ``empty`` (no data rows), ``unreadable`` (no table
    could be read; the file is archived and retried on the next run) or ``already-ingested``
    (same content seen before: nothing written; ``previous`` is its submissions row).
    """

    file: str
    sha256: str | None
    status: str
    kind: str | None = None
    table: str | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    table_version: int | None = None
    result: FileResult | None = None
    spec: Spec | None = None
    previous: dict[str, Any] | None = None
    moved_to: Path | None = None

    @property
    def failed(self) -> bool:
        """True when this run found rejected rows or could not read the file."""
        return self.status in FAILED

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form of one file."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "status": self.status,
            "kind": self.kind,
            "table": self.table,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "table_version": self.table_version,
            "moved_to": str(self.moved_to) if self.moved_to else None,
            "issues": [i.to_dict() for i in self.result.issues] if self.result else [],
        }


@dataclass
class IngestReport:
    """Results for every file of one ingest run."""

    files: list[FileIngest] = field(default_factory=list)
    trace_index: dict[str, BuildInfo] = field(default_factory=dict)
    """The trace index parts rebuilt after the files were stored, by table."""

    @property
    def ok(self) -> bool:
        """False when any file had rejected rows or could not be read."""
        return not any(f.failed for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        """``{"version": 1, "ok": bool, "files": [...]}``."""
        return {
            "version": JSON_VERSION,
            "ok": self.ok,
            "files": [f.to_dict() for f in self.files],
        }


def ingest_paths(
    paths: list[Path],
    workspace: Workspace,
    specs: dict[str, Spec],
    *,
    options: CheckOptions | None = None,
    store: Store | None = None,
    move_done: bool = False,
    lock: bool | None = None,
    on_wait: Callable[[LockHolder], None] | None = None,
    catalogue: Catalogue | None = None,
    refresh_index: bool = True,
) -> IngestReport:
    """Validate and store supplier files (and the files inside given folders).

    ``store`` defaults to the workspace's; ``lock`` (default: when the store is local)
    serialises writers on ``store/.lock``, calling ``on_wait`` when another process holds
    it; ``catalogue`` fills issue messages before they are quarantined; ``move_done`` moves
    each stored file found directly in the inbox to ``inbox/done/`` after its commit.
    ``refresh_index`` rebuilds, once at the end, the trace index parts of the tables the run
    wrote (``report.trace_index`` says what that did); without it the next ``qsync trace``
    rebuilds them when it first needs them.

    >>> from qsync.config import init_workspace
    >>> from qsync.resources import sample_data_dir
    >>> from qsync.spec import load_specs
    >>> import tempfile, pathlib
    >>> ws = init_workspace(pathlib.Path(tempfile.mkdtemp()) / "ws")
    >>> sample = sample_data_dir() / "csv" / "iqc_oct_acme.csv"
    >>> [(f.status, f.rows_read, f.rows_accepted, f.rows_rejected)
    ...  for f in ingest_paths([sample], ws, load_specs(ws.rules_dir)).files]
    [('partial', 30, 27, 3)]
    """
    from qsync.store import open_store

    store = store or open_store(workspace)
    options = options or CheckOptions(max_bytes=workspace.max_bytes)
    exclusive = store.location.is_local if lock is None else lock
    inbox = workspace.folder("inbox").resolve()
    report = IngestReport()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qsync-archive") as pool:
        for path in expand_paths(paths):
            done = _ingest_file(path, store, specs, options, pool, exclusive, on_wait, catalogue)
            if move_done and done.status != "unreadable" and path.parent.resolve() == inbox:
                done.moved_to = _move_done(path, inbox / "done", done.sha256)
            report.files.append(done)
    if refresh_index:
        report.trace_index = _refresh_trace_index(store, report)
    return report


def _refresh_trace_index(store: Store, report: IngestReport) -> dict[str, BuildInfo]:
    """Rebuild the parts of the trace index whose tables this run wrote, so that the next
    ``qsync trace`` answers at once instead of rebuilding first."""
    if not store.location.is_local:
        return {}  # the trace index is a local file; traces need a local store
    from qsync.trace.index import PARTS, rebuild_index

    touched = {f.table for f in report.files if f.table and f.rows_accepted}
    parts = sorted(touched & set(PARTS))
    return rebuild_index(store.location.path, tables=parts) if parts else {}


def _ingest_file(
    path: Path,
    store: Store,
    specs: dict[str, Spec],
    options: CheckOptions,
    pool: ThreadPoolExecutor,
    exclusive: bool,
    on_wait: Callable[[LockHolder], None] | None,
    catalogue: Catalogue | None,
) -> FileIngest:
    try:
        size = path.stat().st_size
        content = _read_csv_bytes(path, size, options.max_bytes, pool)
        read = read_file(path, specs, options, content) if content else None
        sha = (read.result.sha256 if read else None) or file_sha256(path)
    except OSError as exc:
        issue = Issue(str(path), "unreadable-file", params={"reason": exc.strerror})
        return FileIngest(
            str(path), None, "unreadable", result=FileResult(str(path), issues=[issue])
        )
    previous = store.submission(sha)
    if previous is not None and previous["status"] != "unreadable":
        return _already(path, sha, previous)
    data = content.data if content is not None else None
    received = store.raw.received_at(sha)
    archiving = (
        pool.submit(store.raw.put, path, sha, data, received) if size <= options.max_bytes else None
    )
    del content, data  # the archive holds the bytes while it needs them
    result, checked, spec = check_read(read or read_file(path, specs, options))
    if received is None:  # an object store: known once the object is written
        received = archiving.result().received_at if archiving else datetime.now(UTC)
    if catalogue is not None:
        catalogue.fill(result.issues, spec)
    rows = split_rows(checked, Provenance(sha, path.name, received))
    quarantine = pool.submit(rows.finish)  # on the other core while the accepted rows are written
    done = _outcome(path, sha, result, spec if checked else None, rows)
    metadata = {"qsync.operation": "ingest", "qsync.submission": sha, "qsync.file": path.name}
    if archiving is not None:
        archiving.result()  # the raw file is durable before any row of it is written
    with store.writer(exclusive, on_wait):
        previous = store.submission(sha)
        if previous is not None and previous["status"] != "unreadable":
            return _already(path, sha, previous)
        for table, batch in rows.batches.items():
            version = store.upsert(
                table,
                batch.frame,
                list(batch.spec.key),
                update=SUPERSEDES,
                metadata=metadata,
                exclusive=exclusive,
                description=f"qsync: {batch.spec.title.en}",
            )
            done.table_version = version if done.table_version is None else done.table_version
        quarantine.result()
        if rows.rows_rejected:
            store.quarantine(rows.quarantine(), metadata, exclusive)
        record = _record(done, path, result, rows, received)
        store.record_submission(record, metadata, exclusive)
    return done


def _read_csv_bytes(
    path: Path, size: int, max_bytes: int, pool: ThreadPoolExecutor
) -> FileBytes | None:
    """A CSV's bytes for the reader, hashed on ``pool`` while it parses them; ``None`` for
    other formats (hashed first, their readers do not need the bytes in memory) and for
    files over the size limit."""
    if SUPPORTED.get(path.suffix.lower(), "csv") != "csv" or size > max_bytes:
        return None
    return FileBytes.load(path, pool)


def _already(path: Path, sha: str, previous: dict[str, Any]) -> FileIngest:
    return FileIngest(
        str(path),
        sha,
        ALREADY,
        kind=previous.get("kind"),
        table=previous.get("table"),
        rows_read=previous.get("rows_read") or 0,
        rows_accepted=previous.get("rows_accepted") or 0,
        rows_rejected=previous.get("rows_rejected") or 0,
        table_version=previous.get("table_version"),
        previous=previous,
    )


def _outcome(path: Path, sha: str, result: FileResult, spec: Spec | None, rows: Rows) -> FileIngest:
    accepted, rejected = rows.rows_accepted, rows.rows_rejected
    if spec is None:
        status = "unreadable"
    elif rejected == 0:
        status = "accepted" if accepted else "empty"
    else:
        status = "partial" if accepted else "rejected"
    return FileIngest(
        str(path),
        sha,
        status,
        kind=result.kind,
        table=",".join(rows.batches) or (spec.table if spec else None),
        rows_read=rows.rows_read,
        rows_accepted=accepted,
        rows_rejected=rejected,
        result=result,
        spec=spec,
    )


def _record(
    done: FileIngest, path: Path, result: FileResult, rows: Rows, received: datetime
) -> dict[str, Any]:
    file_issues = rows.file_issues
    if done.status == "unreadable":
        file_issues = [issue_json(i) for i in result.issues]
    return {
        "sha256": done.sha256,
        "file_name": path.name,
        "source": str(path.resolve()),
        "format": result.format,
        "kind": done.kind,
        "table": done.table,
        "supplier": ",".join(sorted(rows.suppliers)) or None,
        "encoding": result.encoding,
        "received_at": received,
        "ingested_at": datetime.now(UTC),
        "rows_read": done.rows_read,
        "rows_accepted": done.rows_accepted,
        "rows_rejected": done.rows_rejected,
        "status": done.status,
        "table_version": done.table_version,
        "issues": "[" + ",".join(file_issues) + "]",
    }


def _move_done(path: Path, folder: Path, sha: str | None) -> Path:
    """Move a stored file to ``folder``; a different file of the same name keeps both."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        if sha is not None and file_sha256(target) == sha:
            path.unlink()
            return target
        target = folder / f"{path.stem}.{(sha or 'x')[:12]}{path.suffix}"
    os.replace(path, target)
    return target


def summary(report: IngestReport) -> dict[str, int]:
    """Totals of a run: files, rows stored and quarantined, files skipped."""
    new = [f for f in report.files if f.status != ALREADY]
    return {
        "files": len(report.files),
        "accepted": sum(f.rows_accepted for f in new),
        "rejected": sum(f.rows_rejected for f in new),
        "skipped": len(report.files) - len(new),
    }
