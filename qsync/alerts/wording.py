"""How an alert reads to people: its title, a one-sentence summary, its evidence table.

Every phrase comes from the ``alerts`` section of the message catalogue
(``templates/i18n/<lang>.yaml``): ``rule-<rule>`` is the title, ``summary-<rule>`` (or
``summary-<rule>-<variant>``) the sentence, filled from the alert's evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qsync.alerts.model import Alert
from qsync.i18n import Catalogue

SECTION = "alerts"
TABLE_KEYS = ("lots", "points")


def _pct(value: Any) -> str:
    return f"{float(value) * 100:.1f} %" if isinstance(value, int | float) else "—"


def summary_params(evidence: Mapping[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    """The evidence plus derived phrases (percentages, lists, a Nelson rule's meaning)."""
    params = {k: v for k, v in evidence.items() if not isinstance(v, list | dict)}
    if "otd" in evidence:
        params["otd_pct"] = _pct(evidence["otd"])
        params["target_pct"] = _pct(evidence.get("target"))
    if "complaints" in evidence:
        params["complaints_list"] = ", ".join(map(str, evidence["complaints"]))
    if "nelson_rule" in evidence:
        params["nelson_text"] = catalogue.text(SECTION, f"nelson-{evidence['nelson_rule']}")
    if "days_left" in evidence:
        params["days_ago"] = -int(evidence["days_left"])
    return params


def title(alert: Alert, catalogue: Catalogue) -> str:
    """The rule's name, e.g. "Cpk below the limit on consecutive lots"."""
    return catalogue.text(SECTION, f"rule-{alert.rule}")


def summary(alert: Alert, catalogue: Catalogue) -> str:
    """One sentence saying what the data shows, from the evidence."""
    params = summary_params(alert.evidence, catalogue)
    variant = alert.evidence.get("state")
    key = f"summary-{alert.rule}"
    if variant and f"{key}-{variant}" in catalogue.data.get(SECTION, {}):
        key = f"{key}-{variant}"
    return catalogue.text(SECTION, key, **params)


def evidence_table(alert: Alert, catalogue: Catalogue) -> tuple[list[str], list[list[str]]]:
    """The evidence's list of lots or points as column labels and rows (may be empty)."""
    for key in TABLE_KEYS:
        items = alert.evidence.get(key)
        if isinstance(items, list) and items and isinstance(items[0], dict):
            names = list(items[0])
            labels = [catalogue.text(SECTION, f"col-{n}") for n in names]
            rows = [
                ["" if item.get(n) is None else str(item.get(n)) for n in names] for item in items
            ]
            return labels, rows
    return [], []


def subject_line(alert: Alert, catalogue: Catalogue, supplier_name: str) -> str:
    """What the alert is about: supplier, part and subject, e.g. ``S0012 苏州… · P-1056``."""
    parts = [f"{alert.supplier_id} {supplier_name}".strip()]
    if alert.part_no:
        parts.append(alert.part_no)
    if alert.subject:
        parts.append(alert.subject)
    return " · ".join(parts)
