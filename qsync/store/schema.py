"""The schemas of stored tables, and the strict cast every write goes through.

Delta Lake silently truncates a value to the table's column type (3.9 appended to an integer
column is stored as 3). So nothing is written before it has been cast to the exact schema the
spec declares, and a cast that would change any value is an error naming the column and the
value, never a quiet truncation. The same check runs against the schema of an existing table,
so a spec whose column type changed cannot corrupt the data already stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsync.errors import StoreError

if TYPE_CHECKING:
    import polars as pl

    from qsync.spec import Spec

SUBMISSION = "_submission"
FILE = "_file"
SHEET = "_sheet"
PAGE = "_page"
ROW = "_row"
RECEIVED = "_received_at"
PROVENANCE = (SUBMISSION, FILE, SHEET, PAGE, ROW, RECEIVED)
"""Provenance columns carried by every stored row, in this order, after the spec's columns."""
ROW_IDENTITY = (SUBMISSION, SHEET, PAGE, ROW)
"""What identifies one source row of one received file."""

SUBMISSIONS_TABLE = "submissions"
QUARANTINE_TABLE = "quarantine"
RESERVED = frozenset({SUBMISSIONS_TABLE, QUARANTINE_TABLE, "raw"})


def _dtype(name: str) -> pl.DataType:
    import polars as pl

    return {
        "str": pl.String(),
        "enum": pl.String(),
        "int": pl.Int64(),
        "float": pl.Float64(),
        "date": pl.Date(),
        "datetime": pl.Datetime("us"),
        "bool": pl.Boolean(),
    }[name]


def provenance_schema() -> pl.Schema:
    """Types of the provenance columns."""
    import polars as pl

    return pl.Schema(
        {
            SUBMISSION: pl.String(),
            FILE: pl.String(),
            SHEET: pl.String(),
            PAGE: pl.Int64(),
            ROW: pl.Int64(),
            RECEIVED: pl.Datetime("us", "UTC"),
        }
    )


def spec_schema(spec: Spec) -> pl.Schema:
    """The stored schema of a spec's table: its columns in spec order, then provenance.

    >>> from qsync.resources import default_rules_dir
    >>> from qsync.spec import load_spec
    >>> spec = load_spec(default_rules_dir() / "specs" / "inspections.yaml")
    >>> schema = spec_schema(spec)
    >>> str(schema["qty_received"]), str(schema["received_date"]), list(schema)[-6:]
    ('Int64', 'Date', ['_submission', '_file', '_sheet', '_page', '_row', '_received_at'])
    """
    import polars as pl

    columns = {name: _dtype(col.type) for name, col in spec.columns.items()}
    return pl.Schema({**columns, **provenance_schema()})


def submissions_schema() -> pl.Schema:
    """One row per file received (see :mod:`qsync.ingest`)."""
    import polars as pl

    utc = pl.Datetime("us", "UTC")
    return pl.Schema(
        {
            "sha256": pl.String(),
            "file_name": pl.String(),
            "source": pl.String(),
            "format": pl.String(),
            "kind": pl.String(),
            "table": pl.String(),
            "supplier": pl.String(),
            "encoding": pl.String(),
            "received_at": utc,
            "ingested_at": utc,
            "rows_read": pl.Int64(),
            "rows_accepted": pl.Int64(),
            "rows_rejected": pl.Int64(),
            "status": pl.String(),
            "table_version": pl.Int64(),
            "issues": pl.String(),
        }
    )


def quarantine_schema() -> pl.Schema:
    """Rejected rows: the values as written (JSON), their issues (JSON) and provenance."""
    import polars as pl

    return pl.Schema(
        {
            "kind": pl.String(),
            "table": pl.String(),
            "values": pl.String(),
            "issues": pl.String(),
            **provenance_schema(),
        }
    )


def _lossless(series: pl.Series, dtype: pl.DataType, table: str) -> pl.Series:
    """``series`` cast to ``dtype``; a :class:`StoreError` if any value would change."""
    import polars as pl

    if series.dtype == dtype:
        return series
    if series.dtype == pl.Null:
        return series.cast(dtype)
    problem = f"column '{series.name}' holds {series.dtype}, the table needs {dtype}"
    try:
        cast = series.cast(dtype, strict=True)
        back = cast.cast(series.dtype, strict=False)
    except pl.exceptions.PolarsError:
        raise StoreError(f"{problem}: values would not fit", location=table) from None
    changed = series.is_not_null() & (cast.is_null() | (back != series).fill_null(True))
    if series.dtype.is_float():
        changed = changed & ~series.is_nan()
    if changed.any():
        examples = ", ".join(repr(v) for v in series.filter(changed).head(3).to_list())
        raise StoreError(
            f"{problem}: {changed.sum()} value(s) would change, e.g. {examples}",
            reference="store-value-would-not-fit",
            location=table,
            note="qsync never truncates a value to fit a column.",
            hint="Check the column's type in the spec and in the stored table.",
        )
    return cast


def conform(frame: pl.DataFrame, schema: pl.Schema, table: str) -> pl.DataFrame:
    """``frame`` with exactly the columns of ``schema``, in order, cast without any loss.

    Columns missing from ``frame`` become nulls; a column ``schema`` does not know is an error.

    >>> import polars as pl
    >>> schema = pl.Schema({"lot": pl.String(), "qty": pl.Int64()})
    >>> conform(pl.DataFrame({"qty": [3.0]}), schema, "t").to_dicts()
    [{'lot': None, 'qty': 3}]
    >>> conform(pl.DataFrame({"qty": [3.9]}), schema, "t")
    Traceback (most recent call last):
    qsync.errors.StoreError: t: column 'qty' holds Float64, the table needs Int64: 1 value(s) would change, e.g. 3.9
    """  # noqa: E501
    import polars as pl

    unknown = [name for name in frame.columns if name not in schema]
    if unknown:
        raise StoreError(
            f"column(s) {', '.join(unknown)} are not part of the table", location=table
        )
    columns = [
        _lossless(frame[name], dtype, table)
        if name in frame.columns
        else pl.repeat(None, frame.height, dtype=dtype, eager=True).alias(name)
        for name, dtype in schema.items()
    ]
    return pl.DataFrame(columns, schema=schema)


def align(frame: pl.DataFrame, stored: pl.Schema, table: str) -> tuple[pl.DataFrame, bool]:
    """``frame`` adapted to an existing table; also whether the table needs new columns.

    A column the table has and the frame lacks is added as nulls; a column both have must
    have the same type (else a :class:`StoreError`); a column only the frame has (a column
    added to the spec) asks for schema evolution.
    """
    import polars as pl

    for name, dtype in frame.schema.items():
        if name in stored and stored[name] != dtype:
            raise StoreError(
                f"column '{name}' is {stored[name]} in the stored table but {dtype} in the spec",
                reference="store-schema-mismatch",
                location=table,
                note="Writing would convert values to the stored type and could lose data.",
                hint="Restore the column's previous type in the spec, or migrate the table.",
            )
    missing = [pl.lit(None, dtype=dtype).alias(n) for n, dtype in stored.items() if n not in frame]
    evolve = any(name not in stored for name in frame.columns)
    return (frame.with_columns(missing) if missing else frame), evolve
