"""Monthly metrics per supplier and per supplier-part, as Polars lazy queries.

Each table is filtered to the month first (so the predicate reaches the scan), then
aggregated with one ``group_by``; the per-table results are joined on the supplier (or
supplier-part) key. Inspections are read twice: once for the lot counts, and once, narrowly
(three columns, rows reporting a Cpk), for the Cpk statistics, whose grain is the lot and
characteristic and whose exact median needs the values themselves.

Metric ids and meanings are in :mod:`qsync.score.catalog`. A metric whose table is missing
is null ("no data"); a count whose table is present but has no rows for the supplier is 0;
a rate with a zero denominator is null. Only suppliers with activity in the month
(``activity`` in ``rules/scorecard.yaml``: by default lots received or deliveries promised)
appear.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from qsync.score import cpk as cpk_mod
from qsync.score import sources
from qsync.score.catalog import BY_ID, METRICS
from qsync.score.materials import MaterialRules
from qsync.score.period import Month
from qsync.score.rules import ScorecardRules, load_scorecard_rules
from qsync.score.tables import Tables, get_table

SUPPLIER = ("supplier_id",)
SUPPLIER_PART = ("supplier_id", "part_no")

_DTYPES: dict[str, pl.DataType] = {
    "count": pl.Int64(),
    "rate": pl.Float64(),
    "number": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "text": pl.String(),
}


def _count(expr: pl.Expr) -> pl.Expr:
    return expr.sum().cast(pl.Int64)


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    den = pl.col(denominator)
    return pl.when(den > 0).then(pl.col(numerator) / den).cast(pl.Float64)


def _inspections(
    month_rows: pl.LazyFrame, keys: Sequence[str], rules: ScorecardRules
) -> pl.LazyFrame:
    decision = pl.col("decision")
    return month_rows.group_by(*keys).agg(
        lots=pl.len().cast(pl.Int64),
        lots_accepted=_count(sources.lot_accepted(rules)),
        lots_rejected=_count(decision == "reject"),
        lots_conditional=_count(decision == "conditional"),
        defects=pl.col("defects").sum().cast(pl.Int64),
        qty_received=pl.col("qty_received").sum().cast(pl.Int64),
    )


def _cpk(lot_cpk: pl.LazyFrame, keys: Sequence[str]) -> pl.LazyFrame:
    # The streaming engine runs a median as a non-partitioned aggregation; grouping on
    # categorical codes instead of text makes it measurably cheaper (bench/score.py).
    values = lot_cpk.filter(pl.col("cpk").is_not_null()).select(
        *(pl.col(k).cast(pl.Categorical) for k in keys), "cpk"
    )
    return (
        values.group_by(*keys)
        .agg(
            cpk_worst=pl.col("cpk").min(),
            cpk_median=pl.col("cpk").median(),
            cpk_values=pl.len().cast(pl.Int64),
        )
        .with_columns(pl.col(k).cast(pl.String) for k in keys)
    )


def _deliveries(month_rows: pl.LazyFrame, keys: Sequence[str]) -> pl.LazyFrame:
    return month_rows.group_by(*keys).agg(
        deliveries=pl.len().cast(pl.Int64), deliveries_on_time=_count(pl.col("on_time"))
    )


def _complaints(month_rows: pl.LazyFrame, keys: Sequence[str]) -> pl.LazyFrame:
    return month_rows.group_by(*keys).agg(
        complaints=_count(pl.col("received_in_month")),
        containment_due=_count(pl.col("containment_due")),
        containment_met=_count(pl.col("containment_met")),
        closure_due=_count(pl.col("closure_due")),
        closure_met=_count(pl.col("closure_met")),
    )


def _price(month_rows: pl.LazyFrame, keys: Sequence[str]) -> pl.LazyFrame:
    reported = pl.col("achieved_pct").is_not_null()
    return month_rows.group_by(*keys).agg(
        price_reduction_parts=pl.col("part_no").n_unique().cast(pl.Int64),
        _achieved=pl.col("achieved_pct").filter(reported).sum(),
        _target=pl.col("target_pct").filter(reported).sum(),
    )


def _audits(latest: pl.LazyFrame) -> pl.LazyFrame:
    return latest.select(
        "supplier_id",
        audit_id=pl.col("audit_id"),
        audit_date=pl.col("audit_date"),
        audit_score=pl.col("score").cast(pl.Float64),
        audit_next_due=pl.col("next_due"),
        audit_overdue=pl.col("overdue"),
    )


def _ppap(month_rows: pl.LazyFrame, keys: Sequence[str]) -> pl.LazyFrame:
    return month_rows.group_by(*keys).agg(
        ppap_approved=pl.len().cast(pl.Int64),
        ppap_cycle_days=pl.col("cycle_days").mean().cast(pl.Float64),
    )


def _esg(month_rows: pl.LazyFrame) -> pl.LazyFrame:
    figures = ["energy_kwh", "co2_t", "water_m3", "waste_t", "recycled_pct"]
    return month_rows.group_by("supplier_id").agg(
        *(pl.col(c).max().cast(pl.Float64) for c in figures),
        esg_incidents=pl.col("incidents").max().cast(pl.Float64),
    )


def _certificates(status: pl.LazyFrame) -> pl.LazyFrame:
    state = pl.col("status")
    return status.group_by("supplier_id").agg(
        certificates_valid=_count(state == "valid"),
        certificates_expiring=_count(state == "expiring"),
        certificates_expired=_count(state == "expired"),
        cert_next_expiry=pl.col("expiry_date").filter(state != "expired").min(),
    )


def _lot_cpk(tables: Tables, inspections: pl.LazyFrame, month: Month) -> pl.LazyFrame:
    measurements = get_table(tables, "measurements")
    measured = None
    if measurements is not None:
        lots = sources.month_inspections(inspections, month).select("supplier_id", "lot_id")
        measured = cpk_mod.measured_cpk(measurements, get_table(tables, "parts"), lots)
    return cpk_mod.lot_cpk(sources.month_reported_cpk(inspections, month), measured)


def month_lot_cpk(tables: Tables, month: Month | str) -> pl.LazyFrame | None:
    """The month's Cpk values per lot and characteristic (see :mod:`qsync.score.cpk`).

    None without an inspections table. Measurements are read only for the month's lots.

    >>> month_lot_cpk({}, "2026-10") is None
    True
    """
    month = month if isinstance(month, Month) else Month.parse(month)
    inspections = get_table(tables, "inspections")
    return None if inspections is None else _lot_cpk(tables, inspections, month)


def _parts(
    tables: Tables, month: Month, rules: ScorecardRules, keys: Sequence[str]
) -> dict[str, pl.LazyFrame | None]:
    """Per-table aggregates, None for a missing table (part-level tables only)."""
    inspections = get_table(tables, "inspections")
    deliveries = get_table(tables, "deliveries")
    price = get_table(tables, "price_reductions")
    ppap = get_table(tables, "ppap")
    if inspections is None:
        lots = cpk = None
    else:
        lots = _inspections(sources.month_inspections(inspections, month), keys, rules)
        cpk = _cpk(_lot_cpk(tables, inspections, month), keys)
    return {
        "inspections": lots,
        "lot_cpk": cpk,
        "deliveries": None
        if deliveries is None
        else _deliveries(sources.month_deliveries(deliveries, month, rules), keys),
        "price_reductions": None
        if price is None
        else _price(sources.month_price_reductions(price, month), keys),
        "ppap": None if ppap is None else _ppap(sources.month_ppap(ppap, month), keys),
    }


def _supplier_only(
    tables: Tables, month: Month, rules: ScorecardRules
) -> dict[str, pl.LazyFrame | None]:
    complaints = get_table(tables, "complaints")
    audits = get_table(tables, "audits")
    esg = get_table(tables, "esg")
    certificates = get_table(tables, "certificates")
    return {
        "complaints": None
        if complaints is None
        else _complaints(sources.month_complaints(complaints, month, rules), SUPPLIER),
        "audits": None if audits is None else _audits(sources.latest_audits(audits, month, rules)),
        "esg": None if esg is None else _esg(sources.month_esg(esg, month)),
        "certificates": None
        if certificates is None
        else _certificates(sources.certificate_status(certificates, month, rules)),
    }


def _derived(have: set[str]) -> list[pl.Expr]:
    """Rates and PPM computed from the joined counts of the tables present."""
    out = []
    if "inspections" in have:
        out.append(_ratio("lots_accepted", "lots").alias("lot_acceptance_rate"))
        ppm = pl.col("defects") * 1_000_000 / pl.col("qty_received")
        out.append(pl.when(pl.col("qty_received") > 0).then(ppm).alias("ppm"))
    if "deliveries" in have:
        out.append(_ratio("deliveries_on_time", "deliveries").alias("otd"))
    if "price_reductions" in have:
        out.append(_ratio("_achieved", "_target").alias("price_reduction_attainment"))
    if "complaints" in have:
        due = pl.col("containment_due") + pl.col("closure_due")
        met = pl.col("containment_met") + pl.col("closure_met")
        out.append(pl.when(due > 0).then(met / due).alias("eightd_timeliness"))
    return out


def _assemble(
    parts: dict[str, pl.LazyFrame | None],
    keys: Sequence[str],
    rules: ScorecardRules,
    metric_ids: Sequence[str],
) -> pl.LazyFrame:
    """Join the per-table aggregates, fill counts of present tables, derive rates, select."""
    have = {table for table, frame in parts.items() if frame is not None}
    present = [frame for frame in parts.values() if frame is not None]
    if not present:
        joined = pl.LazyFrame(schema={k: pl.String for k in keys})
    else:
        joined = present[0]
        for frame in present[1:]:
            joined = joined.join(frame, on=list(keys), how="full", coalesce=True)
    available = [m for m in metric_ids if BY_ID[m].table in have]
    counts = [pl.col(m).fill_null(0) for m in available if BY_ID[m].kind == "count"]
    if counts:
        joined = joined.with_columns(counts)
    derived = _derived(have)
    if derived:
        joined = joined.with_columns(derived)
    signals = [pl.col(c) > 0 for c in rules.activity if c in available]
    active = pl.any_horizontal(signals) if signals else pl.lit(False)
    columns = [
        (pl.col(m) if m in available else pl.lit(None)).cast(_DTYPES[BY_ID[m].kind]).alias(m)
        for m in metric_ids
    ]
    return joined.filter(active).select(*keys, *columns).sort(*keys)


def collect_metrics(query: pl.LazyFrame) -> pl.DataFrame:
    """Collect a metrics query the way it runs fastest: without common-subplan elimination.

    The lot counts and the Cpk statistics both read the month's inspections. With the
    default optimisations Polars caches that shared scan, which was measured to cost more
    (time and memory) than scanning the month twice, once for the counts and once, narrowly,
    for the rows reporting a Cpk (see ``bench/score.py``). Results are identical.

    >>> collect_metrics(supplier_metrics({}, "2026-10")).height
    0
    """
    return query.collect(optimizations=pl.QueryOptFlags(comm_subplan_elim=False))


def supplier_metrics(
    tables: Tables, month: Month | str, rules: ScorecardRules | None = None
) -> pl.LazyFrame:
    """One row per active supplier with every metric of the month (ids: see the catalogue).

    ``tables`` maps canonical table names to LazyFrames (or DataFrames); ``month`` is
    ``"YYYY-MM"``. Missing tables give null metrics. Nothing is read until the query is
    collected (best with :func:`collect_metrics`), except the measurements of the month's
    lots, which are collected here to compute their Cpk.

    >>> import polars as pl
    >>> from datetime import date
    >>> insp = pl.DataFrame({"supplier_id": ["S0001"] * 2, "part_no": ["P-1"] * 2,
    ...     "lot_id": ["L1", "L2"], "received_date": [date(2026, 10, 1)] * 2,
    ...     "qty_received": [1000, 1000], "defects": [1, 0], "decision": ["accept", "conditional"]})
    >>> row = supplier_metrics({"inspections": insp}, "2026-10").collect().row(0, named=True)
    >>> (row["lots"], row["lot_acceptance_rate"], row["ppm"], row["otd"])
    (2, 0.5, 500.0, None)
    """
    month = month if isinstance(month, Month) else Month.parse(month)
    rules = rules or load_scorecard_rules()
    parts = {**_parts(tables, month, rules, SUPPLIER), **_supplier_only(tables, month, rules)}
    return _assemble(parts, SUPPLIER, rules, [m.id for m in METRICS])


def _material_classes(tables: Tables) -> pl.LazyFrame | None:
    """The most critical class declared for each part (A before B before C)."""
    parts = get_table(tables, "parts")
    if parts is None:
        return None
    return parts.group_by("part_no").agg(material_class=pl.col("material_class").drop_nulls().min())


def supplier_part_metrics(
    tables: Tables,
    month: Month | str,
    rules: ScorecardRules | None = None,
    materials: MaterialRules | None = None,
) -> pl.LazyFrame:
    """One row per active supplier-part with the part-level metrics of the month.

    Part-level metrics are those of inspections, Cpk, deliveries, price reductions and PPAP.
    With ``materials`` the row also carries the part's ``material_class`` (the most critical
    class declared in the parts table, else ``default_class``), its ``ppm_limit`` and
    ``ppm_over_limit``.
    """
    month = month if isinstance(month, Month) else Month.parse(month)
    rules = rules or load_scorecard_rules()
    ids = [m.id for m in METRICS if m.part_level]
    frame = _assemble(_parts(tables, month, rules, SUPPLIER_PART), SUPPLIER_PART, rules, ids)
    if materials is None:
        return frame
    classes = _material_classes(tables)
    if classes is not None:
        frame = frame.join(classes, on="part_no", how="left")
    else:
        frame = frame.with_columns(material_class=pl.lit(None, pl.String))
    limits = {name: cls.ppm_limit for name, cls in materials.classes.items()}
    frame = frame.with_columns(pl.col("material_class").fill_null(materials.default_class))
    limit = pl.col("material_class").replace_strict(limits, default=None, return_dtype=pl.Float64)
    return frame.with_columns(ppm_limit=limit, ppm_over_limit=pl.col("ppm") > limit).sort(
        *SUPPLIER_PART
    )
