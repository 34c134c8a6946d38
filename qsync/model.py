"""Plain data passed between qsync's steps: validation issues and per-file results.

Bad supplier data is a *result*, not an exception: every problem becomes an :class:`Issue`
with its coordinates (file, sheet, page, row, column) and a stable ``rule`` id. Messages are
rendered from the message catalogue in the reader's language.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
JSON_VERSION = 1


@dataclass
class Issue:
    """One problem in a supplier file, precise enough for the supplier to fix it.

    ``row`` is the row number the supplier sees (text-editor line for CSV with the header on
    line 1, the Excel row number, or the table row on a PDF page); ``column`` is the header as
    the supplier wrote it and ``field`` the canonical column name. ``params`` fill the message
    template of ``rule`` in the message catalogue.
    """

    file: str
    rule: str
    severity: Severity = "error"
    row: int | None = None
    column: str | None = None
    field: str | None = None
    value: str | None = None
    sheet: str | None = None
    page: int | None = None
    cell: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (see docs/validate-json.md)."""
        data = asdict(self)
        data.pop("params")
        return data


@dataclass
class FileResult:
    """What qsync found in one supplier file (possibly several tables: sheets or pages)."""

    file: str
    kind: str | None = None
    format: str = "csv"
    encoding: str | None = None
    sha256: str | None = None
    rows: int = 0
    invalid_rows: int = 0
    issues: list[Issue] = dataclasses.field(default_factory=list)
    notes: list[Issue] = dataclasses.field(default_factory=list)

    @property
    def valid_rows(self) -> int:
        """Rows with no error-level issue."""
        return self.rows - self.invalid_rows

    @property
    def errors(self) -> list[Issue]:
        """Issues of severity ``error``."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def valid(self) -> bool:
        """True when the file could be read and has no error-level issue."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form of one file."""
        return {
            "file": self.file,
            "kind": self.kind,
            "format": self.format,
            "encoding": self.encoding,
            "sha256": self.sha256,
            "valid": self.valid,
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "invalid_rows": self.invalid_rows,
            "issues": [i.to_dict() for i in self.issues],
            "notes": [i.to_dict() for i in self.notes],
        }


@dataclass
class ValidationReport:
    """Results for every file of one ``qsync validate`` run."""

    files: list[FileResult] = dataclasses.field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when every file is valid."""
        return all(f.valid for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        """``{"version": 1, "valid": bool, "files": [...]}``: the documented JSON schema."""
        return {
            "version": JSON_VERSION,
            "valid": self.valid,
            "files": [f.to_dict() for f in self.files],
        }
