"""Document-level fields read from the text lines above or around a table."""

from __future__ import annotations

import pytest

from qsync.docfields import extract_document_fields
from qsync.spec import Spec


@pytest.fixture
def spec(specs: dict[str, Spec]) -> Spec:
    """The inspections spec: one document field, ``supplier_id``."""
    return specs["inspections"]


@pytest.mark.parametrize(
    "line",
    [
        "供应商代码：S0042",
        "供应商代码:S0042",
        "Supplier Code: S0042",
        "SUPPLIER CODE ： S0042",
        "Ｓｕｐｐｌｉｅｒ　Ｃｏｄｅ：Ｓ００４２",
        "供应商代码 Supplier Code: S0042",
        "Supplier Code (供应商代码): S0042",
    ],
)
def test_docfields_label_colon_value(spec: Spec, line: str) -> None:
    assert extract_document_fields(["来料检验报告", line], spec) == {"supplier_id": "S0042"}


def test_docfields_value_stops_at_next_label_on_the_line(spec: Spec) -> None:
    lines = ["Supplier Code: S0042 Date: 2026-10-05 14:30", "供应商代码：S0043  日期：2026-10-05"]
    assert extract_document_fields(lines, spec) == {"supplier_id": "S0042"}
    assert extract_document_fields(lines[1:], spec) == {"supplier_id": "S0043"}


def test_docfields_several_fields_of_a_certificate() -> None:
    labels = {
        "cert_no": ["证书编号", "Certificate No."],
        "issued_date": ["发证日期", "Date of Issue"],
        "expiry_date": ["有效期至", "Valid Until"],
    }
    certificates = Spec.model_validate(
        {
            "kind": "certificates",
            "table": "certificates",
            "title": {"en": "Certificates", "zh": "证书"},
            "key": ["cert_no"],
            "columns": {name: {} for name in labels},
            "document_fields": {name: {"labels": value} for name, value in labels.items()},
        }
    )
    lines = ["证书编号：CN-2026-01 发证日期：2026-01-05", "Valid Until: 2029-01-04"]
    assert extract_document_fields(lines, certificates) == {
        "cert_no": "CN-2026-01",
        "issued_date": "2026-01-05",
        "expiry_date": "2029-01-04",
    }


def test_docfields_first_occurrence_wins(spec: Spec) -> None:
    lines = ["Supplier Code: S0042", "Supplier Code: S0099"]
    assert extract_document_fields(lines, spec) == {"supplier_id": "S0042"}


@pytest.mark.parametrize(
    "line",
    ["Supplier Code S0042", "Supplier Code:", "Supplier: S0042", "Approved by: Zhang", ""],
)
def test_docfields_no_label_colon_value_no_field(spec: Spec, line: str) -> None:
    assert extract_document_fields([line], spec) == {}
