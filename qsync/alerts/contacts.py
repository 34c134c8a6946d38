"""Who is told: the supplier's contacts from master data and the plant's from ``risk.yaml``.

When an alert is raised, each task goes to its department: the supplier's contact for that
department (the suppliers-table column named by ``supplier_contact``, in the supplier's
language) and the department's plant ``mailbox`` (in the plant's language). A department
with neither is told through its manager, so no task goes unseen. Escalations go to the
plant: the department's manager, then the plant quality manager, with the supplier's
``manager_email`` in copy where the step says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from qsync.alerts.model import Alert
from qsync.alerts.rules import EscalationStep, RiskRules
from qsync.score.tables import Tables

_SPLIT = re.compile(r"[;,，；\s]+")
COLUMNS = ("quality_email", "purchasing_email", "engineering_email", "manager_email")


@dataclass(frozen=True)
class SupplierContact:
    """A supplier as master data describes it: names, language, e-mail per department."""

    supplier_id: str
    name: str | None = None
    name_en: str | None = None
    lang: str | None = None
    emails: dict[str, list[str]] = field(default_factory=dict)

    def display_name(self, lang: str) -> str:
        """The supplier's name for a reader of ``lang`` (the code when master data has none)."""
        if lang == "en":
            return self.name_en or self.name or self.supplier_id
        return self.name or self.name_en or self.supplier_id


@dataclass(frozen=True)
class Directory:
    """The suppliers' contacts by supplier id."""

    suppliers: dict[str, SupplierContact]

    @classmethod
    def from_tables(cls, tables: Tables) -> Directory:
        """Read the ``suppliers`` table (an empty directory without one)."""
        frame = tables.get("suppliers")
        if frame is None:
            return cls({})
        present = set(frame.lazy().collect_schema().names())
        wanted = [c for c in ("supplier_id", "name", "name_en", "lang", *COLUMNS) if c in present]
        out = {}
        for row in frame.lazy().select(wanted).collect().iter_rows(named=True):
            emails = {
                column: [a for a in _SPLIT.split(str(row[column])) if "@" in a]
                for column in COLUMNS
                if row.get(column)
            }
            supplier = str(row["supplier_id"])
            out[supplier] = SupplierContact(
                supplier, row.get("name"), row.get("name_en"), row.get("lang"), emails
            )
        return cls(out)

    def get(self, supplier_id: str) -> SupplierContact:
        """A supplier's contact record (empty for a supplier missing from master data)."""
        return self.suppliers.get(supplier_id) or SupplierContact(supplier_id)


@dataclass(frozen=True)
class Audience:
    """One message's readers: all in one language, on one side (plant or supplier)."""

    side: Literal["plant", "supplier"]
    lang: str
    to: tuple[str, ...]
    greeting: str
    fallback: bool = False


def task_audiences(
    department: str, alert: Alert, rules: RiskRules, directory: Directory
) -> list[Audience]:
    """Who is told about a new task of ``department`` (see the module docstring)."""
    dept = rules.contacts.departments[department]
    plant_lang = rules.contacts.lang
    name = dept.name.in_lang(plant_lang)
    out: list[Audience] = []
    supplier = directory.get(alert.supplier_id)
    if dept.supplier_contact and supplier.emails.get(dept.supplier_contact):
        lang = supplier.lang if supplier.lang in ("zh", "en") else plant_lang
        out.append(
            Audience(
                "supplier",
                lang,
                tuple(supplier.emails[dept.supplier_contact]),
                supplier.display_name(lang),
            )
        )
    if dept.mailbox:
        out.append(Audience("plant", plant_lang, tuple(dept.mailbox), name))
    if not out:
        out.append(
            Audience("plant", plant_lang, (dept.manager.email,), dept.manager.name, fallback=True)
        )
    return out


def escalation_audiences(
    step: EscalationStep, department: str, alert: Alert, rules: RiskRules, directory: Directory
) -> list[Audience]:
    """Who is told when a department's task reaches escalation ``step``."""
    contacts = rules.contacts
    person = (
        contacts.departments[department].manager
        if step.to == "department_manager"
        else contacts.plant_quality_manager
    )
    out = [Audience("plant", contacts.lang, (person.email,), person.name)]
    supplier = directory.get(alert.supplier_id)
    if step.supplier_manager and supplier.emails.get("manager_email"):
        lang = supplier.lang if supplier.lang in ("zh", "en") else contacts.lang
        out.append(
            Audience(
                "supplier", lang, tuple(supplier.emails["manager_email"]),
                supplier.display_name(lang),
            )
        )  # fmt: skip
    return out
