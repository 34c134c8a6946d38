"""From checked supplier tables to the rows the store keeps: accepted rows for their table,
rejected rows for quarantine, every one with its provenance. Every source row goes to exactly
one of the two, so ``rows_read == rows_accepted + rows_rejected`` for every file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from qsync.model import Issue
from qsync.store.schema import (
    FILE,
    PAGE,
    RECEIVED,
    ROW,
    SHEET,
    SUBMISSION,
    conform,
    quarantine_schema,
    spec_schema,
)

if TYPE_CHECKING:
    import polars as pl

    from qsync.spec import Spec
    from qsync.submission import CheckedTable


@dataclass
class Provenance:
    """Where the rows of one file came from."""

    sha256: str
    file_name: str
    received_at: datetime


@dataclass
class Batch:
    """Accepted rows of one canonical table, conformed to the spec's schema."""

    spec: Spec
    frame: pl.DataFrame


@dataclass
class Rows:
    """Everything one file contributes to the store.

    The accepted rows (``batches``) and the counts are ready at once; the quarantine rows,
    the file-level issues and the supplier codes are assembled by :meth:`finish` (which
    :meth:`quarantine`, :attr:`file_issues` and :attr:`suppliers` call), so that a caller
    can run it while the accepted rows are written.
    """

    batches: dict[str, Batch] = field(default_factory=dict)
    rows_read: int = 0
    rows_rejected: int = 0
    """Rows going to quarantine."""
    _suppliers: set[str] = field(default_factory=set)
    _rejected: list[pl.DataFrame] = field(default_factory=list)
    _file_issues: list[str] = field(default_factory=list)
    _pending: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def rows_accepted(self) -> int:
        """Rows going to canonical tables."""
        return sum(b.frame.height for b in self.batches.values())

    def finish(self) -> None:
        """Assemble the quarantine rows and file-level issues (once; thread-safe)."""
        with self._lock:
            while self._pending:
                self._pending.pop(0)()

    @property
    def suppliers(self) -> set[str]:
        """The supplier codes of the file's rows."""
        self.finish()
        return self._suppliers

    @property
    def file_issues(self) -> list[str]:
        """File-level issues (not at a data row), as JSON objects."""
        self.finish()
        return self._file_issues

    def quarantine(self) -> pl.DataFrame:
        """All rejected rows, conformed to the quarantine schema."""
        import polars as pl

        self.finish()
        if not self._rejected:
            return pl.DataFrame(schema=quarantine_schema())
        return pl.concat(self._rejected, how="vertical")


_ISSUE_FIELDS = (
    *("rule", "severity", "row", "column", "field", "value", "sheet", "page", "cell"),
    "message",
)


def issue_json(issue: Issue) -> str:
    """One issue as a JSON object: its coordinates, rule, value, message and parameters.

    >>> issue_json(Issue("a.csv", "not-a-number", row=5, column="不良数", value="N/A"))
    '{"rule": "not-a-number", "severity": "error", "row": 5, "column": "不良数", "value": "N/A"}'
    """
    data = {k: v for k in _ISSUE_FIELDS if (v := getattr(issue, k)) not in (None, "")}
    params = {
        k: v for k, v in issue.params.items() if isinstance(v, str | int | float | bool | list)
    }
    if params:
        data["params"] = params
    return json.dumps(data, ensure_ascii=False, default=str)


def split_rows(checked: list[CheckedTable], origin: Provenance) -> Rows:
    """Accepted and rejected rows of every checked table of one file."""
    rows = Rows()
    for table in checked:
        _split_one(table, origin, rows)
    return rows


def _provenance(frame: pl.DataFrame, origin: Provenance, sheet: str | None) -> pl.DataFrame:
    import polars as pl

    return frame.with_columns(
        pl.lit(origin.sha256, pl.String).alias(SUBMISSION),
        pl.lit(origin.file_name, pl.String).alias(FILE),
        pl.lit(sheet, pl.String).alias(SHEET),
        (pl.col(PAGE) if PAGE in frame.columns else pl.lit(None, pl.Int64)).alias(PAGE),
        pl.lit(origin.received_at, pl.Datetime("us", "UTC")).alias(RECEIVED),
    )


def _split_one(checked: CheckedTable, origin: Provenance, rows: Rows) -> None:
    import polars as pl

    normalised = checked.table
    spec, raw = normalised.spec, normalised.raw
    frame = _provenance(normalised.frame, origin, raw.sheet)
    rows.rows_read += frame.height
    rejected = checked.rejected
    earlier = rows.batches.get(spec.table)
    rejected, guard_issues = _key_guard(checked, frame, rejected, earlier)
    stored = conform(frame.filter(~rejected), spec_schema(spec), spec.table)
    rows.batches[spec.table] = Batch(
        spec, stored if earlier is None else pl.concat([earlier.frame, stored])
    )
    rows.rows_rejected += int(rejected.sum())
    rows._pending.append(partial(_suppliers, frame, stored, rows))
    rows._pending.append(partial(_quarantine_one, checked, frame, rejected, guard_issues, rows))


def _suppliers(frame: pl.DataFrame, stored: pl.DataFrame, rows: Rows) -> None:
    """The supplier codes of a table: the valid ones, else whatever the file says."""
    if "supplier_id" in frame.columns:
        codes = stored["supplier_id"] if stored.height else frame["supplier_id"]
        rows._suppliers.update(codes.drop_nulls().unique().to_list())


def _quarantine_one(
    checked: CheckedTable,
    frame: pl.DataFrame,
    rejected: pl.Series,
    guard_issues: list[Issue],
    rows: Rows,
) -> None:
    """The quarantine rows of one table (with their issues) and its file-level issues."""
    import polars as pl

    spec, raw = checked.table.spec, checked.table.raw
    located, file_level = _issue_frames([*checked.issues, *guard_issues], frame)
    rows._file_issues += file_level["json"].to_list()
    if not rejected.any():
        return
    per_row = located.group_by(PAGE, ROW).agg(pl.col("json").str.join(",").alias("row_issues"))
    common = ",".join(file_level.filter(pl.col("error"))["json"].to_list()) or None
    bad = frame.filter(rejected).select(SUBMISSION, FILE, SHEET, PAGE, ROW, RECEIVED)
    bad = bad.join(per_row, on=[PAGE, ROW], how="left", nulls_equal=True, maintain_order="left")
    issues = pl.concat_str(
        [pl.col("row_issues"), pl.lit(common, pl.String)], separator=",", ignore_nulls=True
    )
    quarantined = bad.with_columns(
        pl.lit(spec.kind).alias("kind"),
        pl.lit(spec.table).alias("table"),
        _values_json(raw.frame.filter(rejected), raw.headers).alias("values"),
        ("[" + issues.fill_null("") + "]").alias("issues"),
    ).drop("row_issues")
    rows._rejected.append(conform(quarantined, quarantine_schema(), "quarantine"))


def _issue_frames(issues: list[Issue], frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Issues at a data row (``located``) and the others (``file_level``), as JSON text."""
    import polars as pl

    table = pl.DataFrame(
        {
            PAGE: [i.page for i in issues],
            ROW: [i.row for i in issues],
            "json": [issue_json(i) for i in issues],
            "error": [i.severity == "error" for i in issues],
        },
        schema={PAGE: pl.Int64, ROW: pl.Int64, "json": pl.String, "error": pl.Boolean},
    )
    mentioned = table[ROW].drop_nulls().unique()
    keys = frame.filter(pl.col(ROW).is_in(mentioned.implode())).select(PAGE, ROW).unique()
    located = table.join(keys, on=[PAGE, ROW], how="semi", nulls_equal=True)
    file_level = table.join(keys, on=[PAGE, ROW], how="anti", nulls_equal=True)
    return located, file_level


def _key_guard(
    checked: CheckedTable, frame: pl.DataFrame, rejected: pl.Series, earlier: Batch | None
) -> tuple[pl.Series, list[Issue]]:
    """Reject rows that cannot be stored by natural key: a key cell empty, or a key already
    accepted from another table of this file (another sheet). Within one table validation
    refuses both already (and checking duplicates again would cost a hash of every key)."""
    import polars as pl

    key = checked.table.spec.key
    if any(k not in frame.columns for k in key):
        return rejected, []  # a key column is missing: validation rejected every row
    empty_key = pl.any_horizontal(pl.col(key).is_null()) & ~pl.lit(rejected)
    if earlier is None and not frame.select(empty_key.any()).item():
        return rejected, []  # one table, no empty key: validation already refused duplicates
    candidates = frame.with_row_index("_i").filter(~rejected)
    if earlier is not None:
        first = earlier.frame.select(*key, pl.col(ROW).alias("_first"))
    else:
        first = pl.DataFrame(schema={**{k: frame.schema[k] for k in key}, "_first": pl.Int64})
    candidates = candidates.join(first, on=key, how="left", maintain_order="left").with_columns(
        pl.coalesce("_first", pl.col(ROW).first().over(key)).alias("_first")
    )
    missing = pl.any_horizontal(pl.col(k).is_null() for k in key)
    dropped = candidates.filter(missing | (pl.col("_first") != pl.col(ROW)))
    if dropped.height == 0:
        return rejected, []
    issues = []
    for row in dropped.iter_rows(named=True):
        empty = [k for k in key if row[k] is None]
        value = "/".join(str(row[k]) for k in key)
        issues.append(
            checked.table.issue(
                "missing-value" if empty else "duplicate-key",
                row=row[ROW],
                field=empty[0] if empty else key[0],
                value=None if empty else value,
                page=row[PAGE],
                params={} if empty else {"key_fields": key, "first_row": row["_first"]},
            )
        )
    marked = rejected.scatter(dropped["_i"].to_list(), True)
    return marked, issues


def _values_json(raw: pl.DataFrame, headers: list[str]) -> pl.Series:
    """Each row's cells as written, as a JSON object keyed by the supplier's header."""
    import polars as pl

    positions = [str(i) for i in range(len(headers)) if str(i) in raw.columns]
    counts: dict[str, int] = {}
    for header in headers:
        counts[header] = counts.get(header, 0) + 1
    labels = [
        headers[int(p)] if headers[int(p)] and counts[headers[int(p)]] == 1 else f"#{int(p) + 1}"
        for p in positions
    ]
    if not positions:
        return pl.Series([{}] * raw.height, dtype=pl.String).fill_null("{}")
    fields = [pl.col(p).alias(label) for p, label in zip(positions, labels, strict=True)]
    return raw.select(pl.struct(fields).struct.json_encode()).to_series()
