"""The store: one Delta table per canonical table, ``submissions``, ``quarantine``, ``raw/``.

Writes are upserts keyed on what identifies a row, so that writing the same rows twice (a
re-run after a crash, or two processes ingesting the same file) changes nothing:

* canonical tables are keyed on the spec's natural key; a matched row is replaced only by a row
  of a *different* submission received no earlier (so a corrected file supersedes, and an
  interrupted older file resumed later does not overwrite a newer correction);
* ``quarantine`` is keyed on the source row (submission, sheet, page, row), insert only;
* ``submissions`` is keyed on the file's sha256.

When the caller holds the writer lock (``exclusive``), rows whose key is not yet in the table
are appended (cheap) and only the others are merged; both steps are idempotent. Without the
lock everything goes through MERGE, whose commit conflicts Delta detects and :mod:`delta`
retries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qsync.errors import StoreError
from qsync.store import delta
from qsync.store.archive import RawArchive
from qsync.store.location import StoreLocation
from qsync.store.schema import (
    QUARANTINE_TABLE,
    RECEIVED,
    RESERVED,
    ROW_IDENTITY,
    SUBMISSION,
    SUBMISSIONS_TABLE,
    align,
    conform,
    quarantine_schema,
    submissions_schema,
)

if TYPE_CHECKING:
    import polars as pl

    from qsync.store.lock import LockHolder

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SUPERSEDES = f"t.{SUBMISSION} <> s.{SUBMISSION} AND s.{RECEIVED} >= t.{RECEIVED}"
"""When a stored row is replaced by an incoming row with the same natural key."""


@dataclass
class Store:
    """A store opened at a location. ``retries`` counts commit conflicts retried."""

    location: StoreLocation
    retries: int = 0
    raw: RawArchive = field(init=False)

    def __post_init__(self) -> None:
        self.raw = RawArchive(self.location)

    @classmethod
    def open(cls, location: StoreLocation) -> Store:
        """Open an existing store; a missing local folder is a StoreError (never created
        silently, so a typo in ``paths.store`` cannot start a second, empty store)."""
        if location.is_local and not location.path.is_dir():
            raise StoreError(
                "no store folder here",
                reference="store-missing",
                location=location.root,
                note="The store folder is created by `qsync init`.",
                hint="Check paths.store in qsync.yaml, or run `qsync init` for this workspace.",
            )
        return cls(location)

    # -- tables -------------------------------------------------------------------------

    def target(self, table: str) -> delta.Target:
        """The Delta table of a canonical (or internal) table name."""
        if not _NAME.match(table):
            raise StoreError(f"'{table}' is not a table name", reference="store-bad-table")
        return delta.Target(self.location.join(table), self.location.storage_options, table)

    def has_table(self, table: str) -> bool:
        """True when the table exists in the store."""
        return delta.exists(self.target(table))

    def tables(self) -> list[str]:
        """Canonical tables present (local stores only; empty for object stores, whose
        prefixes are not listed: ask :meth:`present` about the tables you need)."""
        if not self.location.is_local:
            return []
        return sorted(
            p.name
            for p in self.location.path.iterdir()
            if (p / "_delta_log").is_dir() and p.name not in RESERVED
        )

    def present(self, tables: Iterable[str]) -> list[str]:
        """Those of ``tables`` that exist in the store, in the order given.

        Works on object storage too, where :meth:`tables` cannot list: each table is looked
        for by name.
        """
        if self.location.is_local:
            here = {p.name for p in self.location.path.iterdir() if (p / "_delta_log").is_dir()}
            return [t for t in tables if t in here]
        return [t for t in tables if self.has_table(t)]

    def _ensure(self, table: str, schema: pl.Schema, description: str) -> delta.Target:
        target = self.target(table)
        if not delta.exists(target):
            delta.create(target, schema, description)
        return target

    # -- writing ------------------------------------------------------------------------

    def writer(self, exclusive: bool, on_wait: Callable[[LockHolder], None] | None = None) -> Any:
        """Context for one file's writes: the workspace lock when ``exclusive``."""
        if not exclusive:
            return nullcontext()
        if not self.location.is_local:
            raise StoreError(
                "a lock file cannot protect a store on object storage",
                reference="store-lock-unsupported",
                location=self.location.root,
            )
        from qsync.store.lock import store_lock

        return store_lock(self.location.path, on_wait)

    def upsert(
        self,
        table: str,
        frame: pl.DataFrame,
        key: list[str],
        *,
        update: str | bool,
        metadata: dict[str, str],
        exclusive: bool,
        description: str = "",
    ) -> int:
        """Write ``frame`` to ``table`` keyed on ``key`` (see the module docstring); returns
        the table's version afterwards. ``frame`` must already be conformed to its schema."""
        target = self.target(table)
        # The first rows of a table create it: one commit, and nothing to match against.
        first = exclusive and frame.height > 0 and not delta.exists(target)
        if first and delta.create(target, frame.schema, description, frame, metadata):
            return 0
        target = self._ensure(table, frame.schema, description)
        frame, evolve = align(frame, delta.schema(target), table)
        if frame.height == 0:
            return delta.version(target)
        # Null-safe equality only where the source has nulls (it is slower), each clause in
        # parentheses (delta-rs parses "a IS NOT DISTINCT FROM b AND c" wrongly).
        clauses = [
            f"(t.{k} IS NOT DISTINCT FROM s.{k})" if frame[k].null_count() else f"(t.{k} = s.{k})"
            for k in key
        ]
        only = _single_submission(frame, key)
        if only is not None:  # a literal lets the engine skip files of other submissions
            clauses.append(f"(t.{SUBMISSION} = '{only}')")
        on = " AND ".join(clauses)
        pending = frame
        if exclusive and delta.is_empty(target):
            delta.append(target, frame, metadata, evolve)
            return delta.version(target)
        if exclusive:
            present = self._present_keys(target, frame, key)
            new = frame.join(present, on=key, how="anti", nulls_equal=True)
            if new.height:
                delta.append(target, new, metadata, evolve)
                evolve = False
            pending = frame.join(present, on=key, how="semi", nulls_equal=True)
        if pending.height:
            delta.merge(
                target, pending, on, update=update, metadata=metadata, evolve=evolve,
                on_retry=self._count_retry,
            )  # fmt: skip
        return delta.version(target)

    def _present_keys(
        self, target: delta.Target, frame: pl.DataFrame, key: list[str]
    ) -> pl.DataFrame:
        """The keys of ``frame`` already in the table."""
        import polars as pl

        incoming = frame.select(key).lazy()
        only = _single_submission(frame, key)

        def query(lazy: pl.LazyFrame) -> pl.LazyFrame:
            if only is not None:
                lazy = lazy.filter(pl.col(SUBMISSION) == only)
            return lazy.select(key).join(incoming, on=key, how="semi", nulls_equal=True)

        return delta.read(target, query).unique()

    def _count_retry(self, attempt: int) -> None:
        self.retries += 1

    def quarantine(self, frame: pl.DataFrame, metadata: dict[str, str], exclusive: bool) -> None:
        """Add rejected rows (insert only: a row already quarantined stays as it was)."""
        rows = conform(frame, quarantine_schema(), QUARANTINE_TABLE)
        self.upsert(
            QUARANTINE_TABLE, rows, list(ROW_IDENTITY), update=False, metadata=metadata,
            exclusive=exclusive, description="qsync: rejected rows of supplier files",
        )  # fmt: skip

    def record_submission(
        self, record: dict[str, Any], metadata: dict[str, str], exclusive: bool
    ) -> None:
        """Write (or replace) the submissions row of one file: the commit marker of an
        ingest. Written last, so its presence means everything before it is stored."""
        import polars as pl

        row = conform(pl.DataFrame([record]), submissions_schema(), SUBMISSIONS_TABLE)
        self.upsert(
            SUBMISSIONS_TABLE, row, ["sha256"], update=True, metadata=metadata,
            exclusive=exclusive, description="qsync: one row per file received",
        )  # fmt: skip

    # -- reading ------------------------------------------------------------------------

    def submission(self, sha256: str) -> dict[str, Any] | None:
        """The submissions row of a file, or None when it was never (completely) ingested."""
        import polars as pl

        target = self.target(SUBMISSIONS_TABLE)
        if not delta.exists(target):
            return None
        found = delta.read(target, lambda lazy: lazy.filter(pl.col("sha256") == sha256))
        return found.row(0, named=True) if found.height else None

    def submissions(self) -> pl.DataFrame:
        """Every submissions row (empty frame with the schema before the first ingest)."""
        import polars as pl

        target = self.target(SUBMISSIONS_TABLE)
        if not delta.exists(target):
            return pl.DataFrame(schema=submissions_schema())
        return delta.read(target)

    def read(self, table: str, as_of: delta.AsOf | None = None) -> pl.DataFrame:
        """A whole table, at its latest version or ``as_of`` a version number or time."""
        return delta.read(self.existing(table), as_of=as_of)

    def existing(self, table: str) -> delta.Target:
        """The target of a table that must exist (else a StoreError listing the tables)."""
        target = self.target(table)
        if not delta.exists(target):
            known = ", ".join(self.tables()) or "none yet"
            raise StoreError(
                f"no table '{table}' in the store",
                reference="store-no-such-table",
                location=self.location.root,
                hint=f"Tables in this store: {known}.",
            )
        return target


def _single_submission(frame: pl.DataFrame, key: list[str]) -> str | None:
    """The one submission (sha256, hex) all rows keyed on it belong to, if so."""
    if SUBMISSION not in key or frame[SUBMISSION].n_unique() != 1:
        return None
    value = frame[SUBMISSION][0]
    return value if isinstance(value, str) and value.isalnum() else None
