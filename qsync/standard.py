"""The supplier data submission standard, generated from a spec.

One standard instead of every supplier's dialect: ``qsync template KIND`` writes an Excel
template (header row in the supplier's language, a drop-down for every enumerated field, input
hints and number formats, a sheet describing each field), and ``qsync spec KIND`` writes the
same description as Markdown or HTML. Both are generated from the rule file, so they can never
disagree with what ``qsync validate`` checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qsync.i18n import Catalogue, allowed_values, field_label
from qsync.render import render
from qsync.spec import ColumnSpec, Spec

if TYPE_CHECKING:
    from openpyxl.workbook import Workbook

TEMPLATE_ROWS = 500
_NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "int": "0",
    "float": "0.00##",
}


@dataclass
class FieldRow:
    """One field of the standard, described in one language."""

    header: str
    name: str
    meaning: str
    type: str
    required: bool
    unit: str
    limits: str
    allowed: str
    example: str


def _limits(col: ColumnSpec) -> str:
    parts = []
    if col.min is not None:
        parts.append(f"≥ {col.min:g}")
    if col.max is not None:
        parts.append(f"≤ {col.max:g}")
    if col.pattern:
        parts.append(col.pattern)
    return ", ".join(parts)


def field_rows(spec: Spec, catalogue: Catalogue) -> list[FieldRow]:
    """Every column of ``spec`` described for a supplier in the catalogue's language."""
    lang = catalogue.lang
    rows = []
    for name, col in spec.columns.items():
        units = col.unit or ""
        if col.units:
            others = [u for u in col.units if u != col.unit]
            units = f"{col.unit} ({', '.join(others)})" if others else units
        rows.append(
            FieldRow(
                header=field_label(spec, name, lang),
                name=name,
                meaning=col.description.in_lang(lang) if col.description else "",
                type=catalogue.text("types", col.type),
                required=col.required,
                unit=units,
                limits=_limits(col),
                allowed=allowed_values(spec, name, lang) if col.values else "",
                example=col.example or "",
            )
        )
    return rows


def write_template(spec: Spec, catalogue: Catalogue, target: Path) -> Path:
    """Write the Excel submission template for ``spec`` in the catalogue's language."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.worksheet.datavalidation import DataValidation

    from qsync.xlsx import HEADER_FONT, column_letter, put_text

    lang = catalogue.lang
    rows = field_rows(spec, catalogue)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = spec.title.in_lang(lang)[:31]
    for position, (row, col) in enumerate(zip(rows, spec.columns.values(), strict=True)):
        letter = column_letter(position)
        header = put_text(ws.cell(row=1, column=position + 1), row.header)
        header.font = HEADER_FONT
        hint = " · ".join(
            p
            for p in (
                row.meaning,
                row.type,
                catalogue.ui("required") if row.required else "",
                row.unit,
                row.limits,
                row.allowed,
            )
            if p
        )
        header.comment = Comment(hint, "qsync")
        ws.column_dimensions[letter].width = max(12, len(row.header) * 2 + 2)
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        validation: DataValidation | None = None
        if col.type == "enum":
            choices = row.allowed.replace(", ", ",")
            validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        elif col.type in ("int", "float") and (col.min is not None or col.max is not None):
            kind = "whole" if col.type == "int" else "decimal"
            low = col.min if col.min is not None else -1e15
            high = col.max if col.max is not None else 1e15
            validation = DataValidation(
                type=kind, operator="between", formula1=f"{low:g}", formula2=f"{high:g}"
            )
        if validation is not None:
            validation.promptTitle = row.header[:32]
            validation.prompt = hint[:255]
            validation.error = catalogue.text("standard", "invalid-entry", hint=hint)[:255]
            validation.showInputMessage = True
            validation.showErrorMessage = True
            ws.add_data_validation(validation)
            validation.add(cells)
        fmt = _NUMBER_FORMATS.get(col.type)
        if fmt:
            for (cell,) in ws.iter_rows(
                min_row=2, max_row=TEMPLATE_ROWS + 1, min_col=position + 1, max_col=position + 1
            ):
                cell.number_format = fmt
    ws.freeze_panes = "A2"
    _describe_fields(wb, rows, catalogue)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def _describe_fields(wb: Workbook, rows: list[FieldRow], catalogue: Catalogue) -> None:
    from qsync.xlsx import HEADER_FONT, put_text

    ws = wb.create_sheet(catalogue.text("standard", "fields-sheet"))
    keys = ("header", "name", "meaning", "type", "required", "unit", "limits", "allowed", "example")
    for position, key in enumerate(keys, start=1):
        put_text(
            ws.cell(row=1, column=position), catalogue.text("standard", key)
        ).font = HEADER_FONT
    for line, row in enumerate(rows, start=2):
        values = [getattr(row, k) for k in keys]
        values[4] = catalogue.ui("yes") if row.required else ""
        for position, value in enumerate(values, start=1):
            put_text(ws.cell(row=line, column=position), value)
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHI", (18, 18, 40, 10, 8, 14, 20, 30, 16), strict=True):
        ws.column_dimensions[letter].width = width


def spec_document(spec: Spec, catalogue: Catalogue, templates_dir: Path, fmt: str) -> str:
    """The submission standard of ``spec`` as Markdown (``md``) or HTML (``html``)."""
    labels = {k: catalogue.text("standard", k) for k in FieldRow.__dataclass_fields__}
    return render(
        templates_dir,
        f"standard/spec.{fmt}.j2",
        title=spec.title.in_lang(catalogue.lang),
        kind=spec.kind,
        key=[field_label(spec, k, catalogue.lang) for k in spec.key],
        rows=field_rows(spec, catalogue),
        labels=labels,
        intro=catalogue.text("standard", "intro", title=spec.title.in_lang(catalogue.lang)),
        key_label=catalogue.text("standard", "key"),
        yes=catalogue.ui("yes"),
        lang=catalogue.lang,
    )
