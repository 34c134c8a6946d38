"""Scoring the store: read the canonical tables, score a month, keep the scorecards.

The bridge between :mod:`qsync.store` and the scoring library. Re-scoring a month replaces
that month's stored scorecards (never appends twice); earlier months feed the trend factor of
the risk portrait.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from qsync.score.period import Month
from qsync.score.rules import ScorecardRules
from qsync.score.scorecard import MonthlyScorecards, score_month

if TYPE_CHECKING:
    import polars as pl

    from qsync.store import Store

SCORECARDS_TABLE = "scorecards"
SCORED_TABLES = (
    "suppliers",
    "parts",
    "deliveries",
    "inspections",
    "measurements",
    "complaints",
    "audits",
    "price_reductions",
    "ppap",
    "certificates",
    "esg",
)


def default_month(today: date | None = None) -> str:
    """The last complete month: scorecards are final once their month has ended.

    >>> default_month(date(2026, 11, 25))
    '2026-10'
    """
    today = today or date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def store_tables(store: Store) -> dict[str, pl.LazyFrame]:
    """Lazy scans of the canonical tables the store has (absent tables mean "no data")."""
    from qsync.store import delta

    return {name: delta.scan(store.target(name)) for name in store.present(SCORED_TABLES)}


def stored_scorecards(store: Store) -> pl.DataFrame | None:
    """Every stored scorecard row (all months), or ``None`` before the first scoring."""
    if not store.has_table(SCORECARDS_TABLE):
        return None
    from qsync.store import delta

    return delta.read(store.target(SCORECARDS_TABLE))


@dataclass
class ScoringRun:
    """A scored month and where it was kept."""

    cards: MonthlyScorecards
    version: int | None


def score_store(
    store: Store, month: str, rules: ScorecardRules, *, save: bool = True
) -> ScoringRun:
    """Score ``month`` from the store and (unless ``save`` is false) replace its scorecards."""
    import polars as pl

    Month.parse(month)
    previous = stored_scorecards(store)
    if previous is not None:
        previous = previous.filter(pl.col("month") < month)
    cards = score_month(store_tables(store), month, rules, previous=previous)
    version = None
    if save:
        from qsync.store import delta

        version = delta.replace_where(
            store.target(SCORECARDS_TABLE),
            cards.to_frame(),
            f"month = '{month}'",
            {"qsync.operation": "score", "qsync.month": month},
        )
    return ScoringRun(cards, version)


@dataclass
class SupplierGrade:
    """A supplier's latest scorecard figures and its grades over recent months."""

    supplier_id: str
    name: str | None
    month: str | None
    score: float | None
    grade: str | None
    grades: list[str | None]
    months: list[str]
    """The months of ``grades``, oldest first (the same for every supplier of a listing)."""


def latest_grades(store: Store, months: int = 6) -> list[SupplierGrade]:
    """Each supplier's latest scorecard and its grades over the last ``months`` months.

    Suppliers from master data without any scorecard are listed with empty figures.
    """
    import polars as pl

    cards = stored_scorecards(store)
    names: dict[str, str | None] = {}
    if store.has_table("suppliers"):
        from qsync.store import delta

        master = delta.read(store.target("suppliers"))
        name_col = "name" if "name" in master.columns else None
        for row in master.iter_rows(named=True):
            names[row["supplier_id"]] = row[name_col] if name_col else None
    recent: list[str] = []
    if cards is not None and cards.height:
        recent = sorted(cards["month"].unique().to_list())[-months:]
    rows = {
        s: SupplierGrade(s, n, None, None, None, [None] * len(recent), list(recent))
        for s, n in names.items()
    }
    if cards is not None and cards.height:
        ordered = cards.filter(pl.col("month").is_in(recent)).sort(["supplier_id", "month"])
        for supplier, group in ordered.group_by("supplier_id", maintain_order=True):
            sid = str(supplier[0])
            last = group.row(group.height - 1, named=True)
            by_month = dict(zip(group["month"].to_list(), group["grade"].to_list(), strict=True))
            grades = [by_month.get(m) for m in recent]
            rows[sid] = SupplierGrade(
                sid,
                names.get(sid),
                last["month"],
                last["score"],
                last["grade"],
                grades,
                list(recent),
            )
    return [rows[k] for k in sorted(rows)]


@dataclass
class Series:
    """A measurement series with the part's specification limits, for capability."""

    values: list[float]
    subgroups: list[str] | None
    lsl: float | None
    usl: float | None


def measurement_series(store: Store, supplier: str, part: str, characteristic: str) -> Series:
    """Stored measurements of one supplier-part-characteristic, in measured order."""
    import polars as pl

    from qsync.errors import UsageError
    from qsync.store import delta

    if not store.has_table("measurements"):
        raise UsageError("the store has no measurements yet", reference="no-measurements")
    frame = delta.read(
        store.target("measurements"),
        lambda lazy: lazy.filter(
            (pl.col("supplier_id") == supplier)
            & (pl.col("part_no") == part)
            & (pl.col("characteristic") == characteristic)
        ).sort(["measured_at", "lot_id", "subgroup", "sample_no"], nulls_last=True),
    )
    if frame.is_empty():
        raise UsageError(
            f"no measurements of {supplier} {part} {characteristic}", reference="no-measurements"
        )
    lsl = usl = None
    if store.has_table("parts"):
        limits = delta.read(
            store.target("parts"),
            lambda lazy: lazy.filter(
                (pl.col("part_no") == part) & (pl.col("characteristic") == characteristic)
            ),
        )
        if limits.height:
            lsl, usl = limits["lsl"][0], limits["usl"][0]
    groups = (frame["lot_id"] + "/" + frame["subgroup"].cast(pl.String)).to_list()
    return Series(frame["value"].to_list(), groups, lsl, usl)


def read_series(
    path: Path, value: str, subgroup: str | None
) -> tuple[list[float], list[str] | None]:
    """Values (and subgroup labels) of a measurement CSV or Parquet file."""
    import polars as pl

    from qsync.errors import UsageError

    try:
        frame = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise UsageError(f"cannot read {path}: {exc}", reference="unreadable-file") from None
    missing = [c for c in (value, subgroup) if c and c not in frame.columns]
    if missing:
        raise UsageError(
            f"{path} has no column {missing[0]!r}; columns: {', '.join(frame.columns)}",
            reference="no-such-column",
        )
    values = frame[value].cast(pl.Float64, strict=False)
    if values.null_count():
        raise UsageError(f"{path}: column {value!r} has empty or non-numeric values")
    groups = frame[subgroup].cast(pl.String).to_list() if subgroup else None
    return values.to_list(), groups
