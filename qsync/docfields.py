"""Document-level fields: values printed above or around a table, such as ``供应商代码：S0042``.

A spec's ``document_fields`` name the labels to look for; readers collect the text lines of a
file outside its table (:attr:`~qsync.readers.base.RawTable.document_text`). A field is a
label, a colon (ASCII or full-width) and a value on the same line; labels are compared like
headers (:func:`~qsync.headers.normalise_header`), so ``SUPPLIER CODE`` and ``Supplier Code``
are the same label, and a bilingual label (``供应商代码 Supplier Code``) matches on either half.
"""

from __future__ import annotations

import re
import unicodedata

from qsync.headers import normalise_header, split_unit
from qsync.spec import Spec

_SEGMENTS = re.compile(r"\t|\s{2,}|[|｜;；]")
_CJK_OR_NOT = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\u3400-\u9fff\uf900-\ufaff]+")
# The start of a next "Label: value" pair inside a value: one word, a colon, then a space.
_NEXT_PAIR = re.compile(r"\s+[^\s:]+\s*:(?=\s|$)")


def _label_forms(label: str) -> list[str]:
    """Comparable forms of a label as written: whole, without a bracketed part, each half."""
    base, _ = split_unit(label)
    forms = [normalise_header(label), normalise_header(base)]
    forms += [normalise_header(part) for part in _CJK_OR_NOT.findall(base) if part.strip()]
    return [f for f in forms if f]


def _pairs(segment: str, known: list[str]) -> list[tuple[str, str]]:
    """``(label, value)`` pairs of one segment, cutting a value where a next label starts."""
    label, colon, rest = segment.partition(":")
    if not colon or not label.strip():
        return []
    cut = len(rest)
    for other in known:
        match = re.search(r"\s" + re.escape(other) + r"\s*:", rest, re.IGNORECASE)
        if match:
            cut = min(cut, match.start())
    if cut == len(rest) and (generic := _NEXT_PAIR.search(rest)):
        cut = generic.start()
    value = rest[:cut].strip()
    return [(label, value), *_pairs(rest[cut:], known)]


def extract_document_fields(lines: list[str], spec: Spec) -> dict[str, str]:
    """Values of ``spec.document_fields`` found in text lines; the first occurrence wins.

    >>> from qsync.resources import default_rules_dir
    >>> from qsync.spec import load_spec
    >>> spec = load_spec(default_rules_dir() / "specs" / "inspections.yaml")
    >>> extract_document_fields(["来料检验报告", "供应商代码：S0042  日期：2026-10-05"], spec)
    {'supplier_id': 'S0042'}
    >>> extract_document_fields(["Supplier Code: S0043 Date: 2026-10-05"], spec)
    {'supplier_id': 'S0043'}
    """
    labels = {
        normalise_header(label): name
        for name, fields in spec.document_fields.items()
        for label in fields.labels
    }
    known = sorted(
        {label for fields in spec.document_fields.values() for label in fields.labels},
        key=len,
        reverse=True,
    )
    found: dict[str, str] = {}
    for line in lines:
        text = unicodedata.normalize("NFKC", line)
        for segment in _SEGMENTS.split(text):
            for label, value in _pairs(segment, known):
                name = next((labels[f] for f in _label_forms(label) if f in labels), None)
                if name is not None and value and name not in found:
                    found[name] = value
    return found
