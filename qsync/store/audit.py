"""The audit trail: versions of a table, the history of one key, a table as of a version or
time, and one stored record traced back to the raw file it came from.

Delta time travel is the audit trail: every ingest commits new versions and keeps the old
ones. Key history reads the change data feed, which names the version, time and submission of
every insert and update of that key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from qsync.errors import UsageError
from qsync.store import delta
from qsync.store.core import Store
from qsync.store.schema import PROVENANCE, SUBMISSION

if TYPE_CHECKING:
    import polars as pl

_CHANGE = {"insert": "insert", "update_postimage": "update", "delete": "delete"}


@dataclass
class HistoryEntry:
    """One version of a table, or one change of a key (``change`` set, with its values)."""

    version: int
    timestamp: datetime
    operation: str
    submission: str | None = None
    file: str | None = None
    metrics: dict[str, int] = field(default_factory=dict)
    change: str | None = None
    values: dict[str, Any] | None = None
    changed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO text)."""
        data = {
            "version": self.version,
            "timestamp": self.timestamp.isoformat(),
            "operation": self.operation,
            "submission": self.submission,
            "file": self.file,
        }
        if self.change is None:
            data["metrics"] = self.metrics
        else:
            data |= {"change": self.change, "changed": self.changed, "values": _json(self.values)}
        return data


@dataclass
class StoredRecord:
    """A stored row with its provenance and where its raw file is archived."""

    table: str
    version: int
    values: dict[str, Any]
    provenance: dict[str, Any]
    raw_path: str
    submission: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "table": self.table,
            "version": self.version,
            "values": _json(self.values),
            "provenance": _json(self.provenance),
            "raw_path": self.raw_path,
            "submission": _json(self.submission),
        }


def _json(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


def parse_as_of(text: str) -> int | datetime:
    """A version number, or an ISO date/time (local time when no zone is given).

    >>> parse_as_of("3")
    3
    >>> parse_as_of("2026-10-05T08:00:00+00:00").isoformat()
    '2026-10-05T08:00:00+00:00'
    """
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"'{text}' is neither a version number nor an ISO date and time",
            reference="bad-as-of",
            hint="Use e.g. --as-of 3 or --as-of 2026-10-05T08:00.",
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


def parse_key(columns: list[str], text: str) -> dict[str, str]:
    """The natural key from text: the value itself for a one-column key, else the values in
    key order separated by ``/``.

    >>> parse_key(["po_no", "po_line", "lot_id"], "4500012306/10/DL261026-01")
    {'po_no': '4500012306', 'po_line': '10', 'lot_id': 'DL261026-01'}
    """
    if len(columns) == 1:
        return {columns[0]: text}
    parts = text.split("/")
    if len(parts) != len(columns):
        raise UsageError(
            f"the key has {len(columns)} parts ({' / '.join(columns)}), found {len(parts)}",
            reference="bad-key",
            hint="Give the values in key order separated by /, e.g. 4500012306/10/L2610-01.",
        )
    return dict(zip(columns, parts, strict=True))


def _typed(store: Store, table: str, key: dict[str, Any]) -> dict[str, Any]:
    import polars as pl

    schema = delta.schema(store.existing(table))
    typed: dict[str, Any] = {}
    for name, value in key.items():
        if name not in schema:
            raise UsageError(f"'{name}' is not a column of {table}", reference="bad-key")
        try:
            typed[name] = pl.Series([value]).cast(schema[name], strict=True)[0]
        except pl.exceptions.PolarsError:
            raise UsageError(
                f"'{value}' is not a valid {name} ({schema[name]})", reference="bad-key"
            ) from None
    return typed


def _sql(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _when(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)


def history(store: Store, table: str, key: dict[str, Any] | None = None) -> list[HistoryEntry]:
    """Versions of a table, newest first; with ``key``, only the changes of that key.

    Each entry names the submission (sha256) and file that made it.
    """
    target = store.existing(table)
    commits = {c["version"]: c for c in delta.history(target)}
    if key is None:
        return [
            HistoryEntry(
                version=v,
                timestamp=_when(c.get("timestamp", 0)),
                operation=_operation(c),
                submission=c.get("qsync.submission"),
                file=c.get("qsync.file"),
                metrics=_metrics(c),
            )
            for v, c in sorted(commits.items(), reverse=True)
        ]
    typed = _typed(store, table, key)
    predicate = " AND ".join(f"{k} = {_sql(v)}" for k, v in typed.items())
    feed = delta.changes(target, predicate)
    return _key_entries(feed, commits)


def _metrics(commit: dict[str, Any]) -> dict[str, int]:
    """Rows a commit added and updated, whatever the operation called them."""
    found = commit.get("operationMetrics") or {}
    inserted = found.get("num_target_rows_inserted", found.get("num_added_rows", 0))
    return {
        "inserted": int(inserted or 0),
        "updated": int(found.get("num_target_rows_updated") or 0),
    }


def _operation(commit: dict[str, Any]) -> str:
    if commit.get("qsync.operation") == "create":
        return "CREATE TABLE"
    return str(commit.get("operation", ""))


def _key_entries(feed: pl.DataFrame, commits: dict[int, dict[str, Any]]) -> list[HistoryEntry]:
    import polars as pl

    entries = []
    feed = feed.sort("_commit_version", descending=True)
    data_columns = [c for c in feed.columns if not c.startswith("_")]
    for (version,), rows in feed.group_by("_commit_version", maintain_order=True):
        before = rows.filter(pl.col("_change_type") == "update_preimage")
        for row in rows.filter(pl.col("_change_type").is_in(list(_CHANGE))).iter_rows(named=True):
            changed = []
            if row["_change_type"] == "update_postimage" and before.height:
                old = before.row(0, named=True)
                changed = [c for c in data_columns if old.get(c) != row.get(c)]
            commit = commits.get(int(version), {})
            entries.append(
                HistoryEntry(
                    version=int(version),
                    timestamp=row["_commit_timestamp"].replace(tzinfo=UTC),
                    operation=_operation(commit),
                    submission=row.get(SUBMISSION),
                    file=row.get("_file"),
                    change=_CHANGE[row["_change_type"]],
                    values={c: row[c] for c in data_columns},
                    changed=changed,
                )
            )
    return entries


def read_table(store: Store, table: str, as_of: int | datetime | None = None) -> pl.DataFrame:
    """A table as it is, or as it was ``as_of`` a version number or a time."""
    return store.read(table, as_of)


def show(
    store: Store, table: str, key: dict[str, Any], as_of: int | datetime | None = None
) -> StoredRecord | None:
    """The stored row with this natural key (``None`` when there is none), its provenance,
    the submission it came from and the path of its raw file in the archive."""
    import polars as pl

    target = store.existing(table)
    typed = _typed(store, table, key)
    condition = pl.all_horizontal(pl.col(k) == v for k, v in typed.items())
    found = delta.read(target, lambda lazy: lazy.filter(condition), as_of=as_of)
    if found.height == 0:
        return None
    row = found.row(0, named=True)
    read_version = (
        as_of if isinstance(as_of, int) else int(delta.open_table(target, as_of).version())
    )
    sha = row[SUBMISSION]
    return StoredRecord(
        table=table,
        version=read_version,
        values={k: v for k, v in row.items() if not k.startswith("_")},
        provenance={k: row.get(k) for k in PROVENANCE},
        raw_path=store.raw.path_of(sha),
        submission=store.submission(sha),
    )
