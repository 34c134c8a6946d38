"""Flags over dates, as of the day of the run: overdue audit, expiring or expired
certificate, overdue PPAP.

These look at ``today`` rather than the scoring month: a certificate that expires next week
matters tonight whichever month is being scored.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from qsync.alerts.model import Flag
from qsync.alerts.rules import CertificateRule, PpapRule
from qsync.score.rules import ScorecardRules
from qsync.score.tables import Tables, get_table


def audits_overdue(tables: Tables, today: date, scorecard: ScorecardRules) -> list[Flag]:
    """Suppliers whose latest audit (of the types in ``scorecard.yaml``) is past its next due
    date: ``next_audit_due``, or ``audits.interval_months`` after the audit when empty.

    The window is the due date, so a new audit with a new due date starts afresh.
    """
    audits = get_table(tables, "audits")
    if audits is None:
        return []
    interval = f"{scorecard.audits.interval_months}mo"
    done = audits.filter(
        (pl.col("audit_date") <= pl.lit(today)) & pl.col("audit_type").is_in(scorecard.audits.types)
    )
    latest = (
        done.sort("audit_date", "audit_id")
        .group_by("supplier_id")
        .last()
        .with_columns(
            next_due=pl.coalesce(
                pl.col("next_audit_due"), pl.col("audit_date").dt.offset_by(interval)
            )
        )
        .filter(pl.col("next_due") < pl.lit(today))
        .sort("supplier_id")
        .collect()
    )
    return [
        Flag(
            rule="audit_overdue",
            supplier_id=row["supplier_id"],
            part_no=None,
            subject=None,
            window=row["next_due"].isoformat(),
            material_class=None,
            evidence={
                "audit_id": row["audit_id"],
                "audit_date": row["audit_date"].isoformat(),
                "audit_type": row["audit_type"],
                "next_due": row["next_due"].isoformat(),
                "days_overdue": (today - row["next_due"]).days,
            },
        )
        for row in latest.iter_rows(named=True)
    ]


def certificates_expiring(tables: Tables, today: date, rule: CertificateRule) -> list[Flag]:
    """Each supplier's certificate per type (the latest expiry among those issued by today)
    that has expired, or expires within ``rule.within_days`` days.

    The window is the certificate number, its expiry and its state (expiring, expired):
    a renewed certificate is a new alert, and so is a certificate that expires after the
    "expiring" alert was closed.
    """
    certificates = get_table(tables, "certificates")
    if certificates is None:
        return []
    soon = today + timedelta(days=rule.within_days)
    issued = pl.col("issued_date")
    latest = (
        certificates.filter(issued.is_null() | (issued <= pl.lit(today)))
        .sort("expiry_date", "cert_no")
        .group_by("supplier_id", "cert_type")
        .last()
        .filter(pl.col("expiry_date") <= pl.lit(soon))
        .sort("supplier_id", "cert_type")
        .collect()
    )
    flags = []
    for row in latest.iter_rows(named=True):
        expiry: date = row["expiry_date"]
        state = "expired" if expiry < today else "expiring"
        flags.append(
            Flag(
                rule="certificate_expiring",
                supplier_id=row["supplier_id"],
                part_no=None,
                subject=row["cert_type"],
                window=f"{row['cert_no']}@{expiry.isoformat()}:{state}",
                material_class=None,
                evidence={
                    "cert_type": row["cert_type"],
                    "cert_no": row["cert_no"],
                    "expiry_date": expiry.isoformat(),
                    "state": state,
                    "days_left": (expiry - today).days,
                    "within_days": rule.within_days,
                },
            )
        )
    return flags


def ppap_overdue(
    tables: Tables, today: date, rule: PpapRule, classes: dict[str, str]
) -> list[Flag]:
    """PPAP submissions with one of ``rule.statuses``, no approval date, submitted more than
    ``rule.after_days`` days ago. The window is the submission date."""
    ppap = get_table(tables, "ppap")
    if ppap is None:
        return []
    waiting = (
        ppap.filter(
            pl.col("status").is_in(rule.statuses)
            & pl.col("approved_date").is_null()
            & (pl.col("submitted_date") < pl.lit(today - timedelta(days=rule.after_days)))
        )
        .sort("supplier_id", "ppap_id")
        .collect()
    )
    return [
        Flag(
            rule="ppap_overdue",
            supplier_id=row["supplier_id"],
            part_no=row["part_no"],
            subject=row["ppap_id"],
            window=row["submitted_date"].isoformat(),
            material_class=classes.get(row["part_no"]),
            evidence={
                "ppap_id": row["ppap_id"],
                "status": row["status"],
                "submitted_date": row["submitted_date"].isoformat(),
                "days_waiting": (today - row["submitted_date"]).days,
                "after_days": rule.after_days,
            },
        )
        for row in waiting.iter_rows(named=True)
    ]
