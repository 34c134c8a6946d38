"""Which rows of each table belong to a supplier-month: the filters every metric starts from.

The same functions feed the metric queries and the explanation of a scorecard, so the rows
shown as a metric's sources are exactly the rows it was computed from. Each function takes
and returns a LazyFrame and filters on a date column first, so Polars pushes the month
predicate down to the scan.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from qsync.score.period import Month
from qsync.score.rules import ScorecardRules


def in_month(expr: pl.Expr, month: Month) -> pl.Expr:
    """``start <= expr < end`` of the month."""
    return expr.is_between(pl.lit(month.start), pl.lit(month.end), closed="left")


def month_inspections(inspections: pl.LazyFrame, month: Month) -> pl.LazyFrame:
    """Inspections of lots received in the month (by ``received_date``)."""
    return inspections.filter(in_month(pl.col("received_date"), month))


def lot_accepted(rules: ScorecardRules) -> pl.Expr:
    """True for an inspected lot that counts as accepted (``lots`` in ``scorecard.yaml``).

    >>> from qsync.score.rules import load_scorecard_rules
    >>> frame = pl.DataFrame({"decision": ["accept", "conditional", "reject"]})
    >>> frame.select(lot_accepted(load_scorecard_rules()))["decision"].to_list()
    [True, False, False]
    """
    decision = pl.col("decision")
    if rules.lots.conditional_counts_as_accepted:
        return decision.is_in(["accept", "conditional"])
    return decision == "accept"


def month_reported_cpk(inspections: pl.LazyFrame, month: Month) -> pl.LazyFrame:
    """Inspections of the month's lots that report a Cpk.

    One filter node with both conditions, so that (collected with
    :func:`qsync.score.metrics.collect_metrics`) the scan reads only the rows and the three
    columns the Cpk statistics need rather than a cached copy of the whole month.
    """
    return inspections.filter(
        in_month(pl.col("received_date"), month) & pl.col("cpk").is_not_null()
    )


def month_deliveries(deliveries: pl.LazyFrame, month: Month, rules: ScorecardRules) -> pl.LazyFrame:
    """Deliveries promised in the month, with ``on_time``.

    On time: ``delivered_date <= promised_date + tolerance_days`` (early counts as on time).
    """
    promised = pl.col("promised_date")
    tolerance = rules.delivery.tolerance_days
    # Date + duration converts every row to a datetime and back (~18x slower than comparing
    # dates): skip it for the default tolerance of 0 days.
    late_after = promised + pl.duration(days=tolerance) if tolerance else promised
    return deliveries.filter(in_month(promised, month)).with_columns(
        on_time=(pl.col("delivered_date") <= late_after).fill_null(False)
    )


def month_complaints(complaints: pl.LazyFrame, month: Month, rules: ScorecardRules) -> pl.LazyFrame:
    """Complaints received in the month or with an 8D deadline falling due in it.

    Adds ``received_in_month``, ``containment_due``/``containment_met`` (containment
    deadline in the month; met when contained, or closed, by the deadline) and
    ``closure_due``/``closure_met``. Complaints without a supplier and those whose status is
    excluded (by default ``rejected``: not the supplier's) are left out.
    """
    cfg = rules.complaints
    received = pl.col("received_date")
    containment_by = received + pl.duration(days=cfg.containment_days)
    closure_by = received + pl.duration(days=cfg.closure_days)
    contained_on = pl.coalesce(pl.col("containment_date"), pl.col("closed_date"))
    earliest = month.start - timedelta(days=max(cfg.containment_days, cfg.closure_days))
    return (
        complaints.filter(received.is_between(pl.lit(earliest), pl.lit(month.end), closed="left"))
        .filter(pl.col("supplier_id").is_not_null() & ~pl.col("status").is_in(cfg.excluded_status))
        .with_columns(
            received_in_month=in_month(received, month),
            containment_due=in_month(containment_by, month),
            closure_due=in_month(closure_by, month),
        )
        .with_columns(
            containment_met=pl.col("containment_due") & (contained_on <= containment_by),
            closure_met=pl.col("closure_due") & (pl.col("closed_date") <= closure_by),
        )
        .with_columns(pl.col("containment_met", "closure_met").fill_null(False))
        .filter(pl.col("received_in_month") | pl.col("containment_due") | pl.col("closure_due"))
    )


def latest_audits(audits: pl.LazyFrame, month: Month, rules: ScorecardRules) -> pl.LazyFrame:
    """Each supplier's latest audit up to the month's end, with ``next_due`` and ``overdue``.

    ``next_due`` is ``next_audit_due``, or ``audits.interval_months`` after the audit when
    empty; the audit is overdue when that date is before the first day after the month.
    """
    interval = f"{rules.audits.interval_months}mo"
    done = audits.filter(
        (pl.col("audit_date") < pl.lit(month.end)) & pl.col("audit_type").is_in(rules.audits.types)
    )
    latest = done.filter(pl.col("audit_date") == pl.col("audit_date").max().over("supplier_id"))
    latest = latest.filter(
        pl.col("audit_id") == pl.col("audit_id").max().over("supplier_id", "audit_date")
    )
    next_due = pl.coalesce(pl.col("next_audit_due"), pl.col("audit_date").dt.offset_by(interval))
    return latest.with_columns(next_due=next_due).with_columns(
        overdue=pl.col("next_due") < pl.lit(month.end)
    )


def _covering_periods(month: Month) -> dict[str, int]:
    """Price-reduction periods that contain the month, narrowest first (rank 0)."""
    number = month.start.month
    return {f"Q{(number - 1) // 3 + 1}": 0, "H1" if number <= 6 else "H2": 1, "FY": 2}


def month_price_reductions(price_reductions: pl.LazyFrame, month: Month) -> pl.LazyFrame:
    """Price-reduction targets that apply to the month: one row per supplier-part.

    Of the rows of the month's year whose period contains the month (its quarter, its half,
    the full year) and whose target is above 0, the narrowest period is kept.
    """
    ranks = _covering_periods(month)
    rank = pl.col("period").replace_strict(ranks, default=None, return_dtype=pl.Int64)
    return (
        price_reductions.filter(
            (pl.col("year") == month.start.year) & pl.col("period").is_in(list(ranks))
        )
        .filter(pl.col("target_pct") > 0)
        .with_columns(_rank=rank)
        .filter(pl.col("_rank") == pl.col("_rank").min().over("supplier_id", "part_no"))
        .drop("_rank")
    )


def month_ppap(ppap: pl.LazyFrame, month: Month) -> pl.LazyFrame:
    """PPAP submissions approved in the month, with ``cycle_days`` (submission to approval)."""
    return ppap.filter(
        in_month(pl.col("approved_date"), month) & (pl.col("status") != "rejected")
    ).with_columns(cycle_days=(pl.col("approved_date") - pl.col("submitted_date")).dt.total_days())


def month_esg(esg: pl.LazyFrame, month: Month) -> pl.LazyFrame:
    """ESG figures reported for the month (``period == "YYYY-MM"``)."""
    return esg.filter(pl.col("period") == month.label)


def certificate_status(
    certificates: pl.LazyFrame, month: Month, rules: ScorecardRules
) -> pl.LazyFrame:
    """Each supplier's certificate per type (the latest expiry), with its status.

    Status as of the first day after the month: ``expired`` when the certificate ended
    before it, ``expiring`` when it ends within ``certificates.expiring_within_days``,
    otherwise ``valid``. Certificates issued after the month are not considered.
    """
    soon = month.end + timedelta(days=rules.certificates.expiring_within_days)
    issued = pl.col("issued_date")
    return (
        certificates.filter(issued.is_null() | (issued < pl.lit(month.end)))
        .group_by("supplier_id", "cert_type")
        .agg(pl.col("expiry_date").max(), pl.col("cert_no").sort_by("expiry_date").last())
        .with_columns(
            status=pl.when(pl.col("expiry_date") < pl.lit(month.end))
            .then(pl.lit("expired"))
            .when(pl.col("expiry_date") < pl.lit(soon))
            .then(pl.lit("expiring"))
            .otherwise(pl.lit("valid"))
        )
    )
