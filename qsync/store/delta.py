"""The one module that talks to Delta Lake (``deltalake``), reading and writing through Polars.

Every table qsync creates keeps its whole history: the change data feed is on (so "which
version changed this key" is a read of the feed, not a scan of every version), expired log
cleanup is off and deleted files are kept for ten years, so time travel is the audit trail.
Nothing here vacuums.

Every failure of the engine becomes a :class:`~qsync.errors.StoreError` naming the table,
except a commit conflict between concurrent writers, which :func:`merge` retries with backoff.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from qsync.errors import StoreError, UsageError

if TYPE_CHECKING:
    import polars as pl
    from deltalake import DeltaTable

TABLE_PROPERTIES = {
    "delta.enableChangeDataFeed": "true",
    "delta.enableExpiredLogCleanup": "false",
    "delta.logRetentionDuration": "interval 3650 days",
    "delta.deletedFileRetentionDuration": "interval 3650 days",
}
MAX_ATTEMPTS = 40
AsOf = int | datetime


@dataclass(frozen=True)
class Target:
    """A Delta table: its URI and the storage options to reach it."""

    uri: str
    options: dict[str, str] | None = None
    name: str = ""

    @property
    def label(self) -> str:
        """How the table is named in messages."""
        return self.name or self.uri


@contextmanager
def engine_errors(target: Target, doing: str) -> Iterator[None]:
    """Turn a failure of the Delta engine (or of reading its files) into a StoreError."""
    import polars as pl
    from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError

    try:
        yield
    except (StoreError, UsageError):
        raise
    except CommitFailedError:
        raise
    except TableNotFoundError as exc:
        raise StoreError(
            f"cannot {doing}: no readable Delta table ({_first_line(exc)})",
            reference="store-table-unreadable",
            location=target.uri,
            note="The store folder is missing, or its transaction log (_delta_log) is damaged.",
            hint="Check paths.store in qsync.yaml; restore the folder from a backup if damaged.",
        ) from None
    except (DeltaError, OSError, pl.exceptions.PolarsError) as exc:
        raise StoreError(
            f"cannot {doing}: {_first_line(exc)}",
            reference="store-corrupted",
            location=target.uri,
            note="The stored table or its transaction log (_delta_log) cannot be read.",
            hint="Restore the table folder from a backup; other tables are not affected.",
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def exists(target: Target) -> bool:
    """True when there is a Delta table (possibly damaged) at the target."""
    from deltalake import DeltaTable

    with engine_errors(target, "look for the table"):
        return bool(DeltaTable.is_deltatable(target.uri, storage_options=target.options))


def open_table(target: Target, as_of: AsOf | None = None) -> DeltaTable:
    """The table, at its latest version or ``as_of`` a version number or a time."""
    from deltalake import DeltaTable

    with engine_errors(target, f"read {target.label}"):
        table = DeltaTable(target.uri, storage_options=target.options)
        if as_of is not None:
            _check_as_of(table, as_of, target)
            table.load_as_version(as_of)
        return table


def _check_as_of(table: DeltaTable, as_of: AsOf, target: Target) -> None:
    """A clear error for a version or time the table does not have."""
    latest = table.version()
    if isinstance(as_of, int):
        if 0 <= as_of <= latest:
            return
        problem = f"{target.label} has no version {as_of}"
    else:
        first = min(c["timestamp"] for c in table.history())
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
        if moment.timestamp() * 1000 >= first:
            return
        when = moment.astimezone().isoformat(timespec="seconds")
        problem = f"{target.label} did not exist yet at {when}"
    raise UsageError(
        problem,
        reference="no-such-version",
        location=target.uri,
        hint=f"Versions run from 0 to {latest}; `qsync history {target.label}` lists them.",
    )


def create(
    target: Target,
    schema: pl.Schema,
    description: str,
    rows: pl.DataFrame | None = None,
    metadata: dict[str, str] | None = None,
) -> bool:
    """Create the table, empty or holding its first ``rows`` (one commit, with ``metadata``).

    Returns False, writing nothing, when another writer created it first.
    """
    import polars as pl
    from deltalake.exceptions import CommitFailedError, DeltaError

    first = pl.DataFrame(schema=schema) if rows is None else rows
    try:
        with engine_errors(target, f"create {target.label}"):
            first.write_delta(
                target.uri,
                mode="error",
                storage_options=target.options,
                credential_provider=None,
                delta_write_options={
                    "configuration": TABLE_PROPERTIES,
                    "description": description,
                    "commit_properties": _commit(metadata or {"qsync.operation": "create"}),
                },
            )
    except (CommitFailedError, DeltaError, StoreError):
        if not exists(target):
            raise
        return False
    return True


def schema(target: Target) -> pl.Schema:
    """The Polars schema of the table's latest version."""
    import polars as pl

    with engine_errors(target, f"read {target.label}"):
        return pl.scan_delta(open_table(target)).collect_schema()


def scan(target: Target, as_of: AsOf | None = None) -> pl.LazyFrame:
    """A lazy scan of the table (at ``as_of``); errors surface on ``collect`` via :func:`read`."""
    import polars as pl

    table = open_table(target, as_of)
    with engine_errors(target, f"read {target.label}"):
        return pl.scan_delta(table)


def read(
    target: Target,
    query: Callable[[pl.LazyFrame], pl.LazyFrame] | None = None,
    as_of: AsOf | None = None,
) -> pl.DataFrame:
    """Collect ``query`` over a scan of the table, with engine errors as StoreError."""
    lazy = scan(target, as_of)
    with engine_errors(target, f"read {target.label}"):
        return (query(lazy) if query else lazy).collect()


def is_empty(target: Target) -> bool:
    """True when the table's latest version has no data file (no rows)."""
    with engine_errors(target, f"read {target.label}"):
        return not open_table(target).file_uris()


def version(target: Target) -> int:
    """The latest version number of the table."""
    with engine_errors(target, f"read {target.label}"):
        return int(open_table(target).version())


def _commit(metadata: dict[str, str]) -> Any:
    from deltalake import CommitProperties

    return CommitProperties(custom_metadata=metadata)


def append(target: Target, frame: pl.DataFrame, metadata: dict[str, str], evolve: bool) -> None:
    """Append rows (one commit). Only safe for idempotence when the caller holds the lock."""
    options: dict[str, Any] = {"commit_properties": _commit(metadata)}
    if evolve:
        options["schema_mode"] = "merge"
    with engine_errors(target, f"write to {target.label}"):
        frame.write_delta(
            target.uri,
            mode="append",
            storage_options=target.options,
            credential_provider=None,
            delta_write_options=options,
        )


def replace_where(
    target: Target, frame: pl.DataFrame, predicate: str, metadata: dict[str, str]
) -> int:
    """Replace the rows matching ``predicate`` by ``frame`` in one commit (creating the table
    when missing); returns the new version. Used for derived tables such as a month's
    scorecards, where re-running a computation must replace, never append twice."""
    from deltalake.exceptions import CommitFailedError

    options: dict[str, Any] = {"commit_properties": _commit(metadata)}
    if exists(target):
        options["predicate"] = predicate
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with engine_errors(target, f"write to {target.label}"):
                frame.write_delta(
                    target.uri,
                    mode="overwrite",
                    storage_options=target.options,
                    credential_provider=None,
                    delta_write_options=options,
                )
            return version(target)
        except CommitFailedError:
            if attempt == MAX_ATTEMPTS:
                raise
            time.sleep(min(2.0, 0.02 * 2**attempt) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def merge(
    target: Target,
    frame: pl.DataFrame,
    on: str,
    *,
    update: str | bool,
    metadata: dict[str, str],
    evolve: bool,
    on_retry: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """MERGE ``frame`` (alias ``s``) into the table (alias ``t``) on predicate ``on``: rows not
    matched are inserted; matched rows are updated when ``update`` is True or holds (a
    predicate), and left alone when ``update`` is False. One commit.

    A commit that conflicts with a concurrent writer is retried (the merge is recomputed
    against the new version) with exponential backoff and jitter, up to ``MAX_ATTEMPTS``.
    """
    from deltalake.exceptions import CommitFailedError

    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with engine_errors(target, f"merge into {target.label}"):
                merger = frame.write_delta(
                    target.uri,
                    mode="merge",
                    storage_options=target.options,
                    credential_provider=None,
                    delta_merge_options={
                        "predicate": on,
                        "source_alias": "s",
                        "target_alias": "t",
                        "merge_schema": evolve,
                        "commit_properties": _commit(metadata),
                    },
                )
                if update is True:
                    merger = merger.when_matched_update_all()
                elif update:
                    merger = merger.when_matched_update_all(predicate=update)
                return dict(merger.when_not_matched_insert_all().execute())
        except CommitFailedError as exc:
            if attempt == MAX_ATTEMPTS:
                raise StoreError(
                    f"gave up after {attempt} conflicting commits: {_first_line(exc)}",
                    reference="store-busy",
                    location=target.uri,
                    hint="Another writer is busy with this table; run the ingest again.",
                ) from None
            if on_retry is not None:
                on_retry(attempt)
            time.sleep(min(2.0, 0.02 * 2**attempt) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def history(target: Target) -> list[dict[str, Any]]:
    """Commit infos, newest first, each with its ``version``."""
    with engine_errors(target, f"read the history of {target.label}"):
        return list(open_table(target).history())


def changes(target: Target, predicate: str) -> pl.DataFrame:
    """Rows of the change data feed matching ``predicate``, with ``_change_type``,
    ``_commit_version`` and ``_commit_timestamp``."""
    import polars as pl

    table = open_table(target)
    if table.metadata().configuration.get("delta.enableChangeDataFeed") != "true":
        raise StoreError(
            "the table keeps no change data feed, so key history is not available",
            reference="store-no-change-feed",
            location=target.uri,
        )
    with engine_errors(target, f"read the changes of {target.label}"):
        data = pl.DataFrame(table.load_cdf(starting_version=0, predicate=predicate))
    return data


def put_object(root: str, options: dict[str, str], path: str, chunks: Iterator[bytes]) -> None:
    """Write an object in an object store (visible whole or not at all once closed)."""
    from deltalake._internal import DeltaFileSystemHandler

    target = Target(root, options)
    with engine_errors(target, f"write {path}"):
        handler = DeltaFileSystemHandler(root, options)
        stream = handler.open_output_stream(path)
        for chunk in chunks:
            stream.write(chunk)
        stream.close()  # type: ignore[attr-defined]  # exists; missing from the stub


def object_info(root: str, options: dict[str, str], path: str) -> tuple[bool, datetime | None]:
    """Whether an object exists, and when it was written (when the store can tell)."""
    from deltalake._internal import DeltaFileSystemHandler

    handler = DeltaFileSystemHandler(root, options)
    with engine_errors(Target(root, options), f"look for {path}"):
        try:
            info = handler.get_file_info([path])[0]
        except ImportError:  # the file info type comes from pyarrow when it is installed
            try:
                handler.open_input_file(path).size()
            except FileNotFoundError:
                return False, None
            return True, None
    found = getattr(info.type, "name", str(info.type)) != "NotFound"
    return found, getattr(info, "mtime", None) if found else None


def get_object(root: str, options: dict[str, str], path: str) -> bytes:
    """The bytes of an object."""
    from deltalake._internal import DeltaFileSystemHandler

    with engine_errors(Target(root, options), f"read {path}"):
        handle = DeltaFileSystemHandler(root, options).open_input_file(path)
        return bytes(handle.read(handle.size()))
