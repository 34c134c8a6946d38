"""The one error tree and exit-code table of qsync.

This module imports nothing from qsync, so any module can raise these errors and the CLI
boundary can turn them into a message and an exit code. Bad supplier *data* is not an error
here: it is a validation report. These exceptions are for things qsync cannot work with at all
(an unusable rule file, an unreadable input file, a bad option, a broken store).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class ExitCode(IntEnum):
    """Documented process exit codes (see README, "Exit codes")."""

    OK = 0
    INVALID_DATA = 1
    USAGE = 2
    INTERNAL = 70
    INTERRUPTED = 130


@dataclass
class QsyncError(Exception):
    """Base of every expected qsync failure.

    Each error has a stable kebab-case ``reference`` (for docs and scripts), a ``message``
    saying what went wrong, an optional ``location`` (file, line, key), a ``note`` saying whose
    problem it is and a ``hint`` saying what to do.

    >>> str(QsyncError("cannot read", reference="x", location="a.csv"))
    'a.csv: cannot read'
    """

    message: str
    reference: str = "qsync-error"
    location: str | None = None
    note: str | None = None
    hint: str | None = None
    details: list[str] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)
    exit_code: ExitCode = ExitCode.INTERNAL

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


@dataclass
class UsageError(QsyncError):
    """A bad command-line usage: wrong option, missing file, unknown kind (exit 2)."""

    reference: str = "bad-usage"
    exit_code: ExitCode = ExitCode.USAGE


@dataclass
class ConfigError(QsyncError):
    """A workspace, settings or rule file that qsync cannot use (exit 2)."""

    reference: str = "bad-configuration"
    exit_code: ExitCode = ExitCode.USAGE


@dataclass
class SpecError(ConfigError):
    """Mistakes in a rule file; ``details`` lists each as ``file:line key: message``."""

    reference: str = "invalid-rule-file"


@dataclass
class StoreError(ConfigError):
    """A store folder that is missing, corrupted or cannot be written (exit 2)."""

    reference: str = "store-unusable"


@dataclass
class SupplierFileError(QsyncError):
    """A supplier file that cannot be read at all: not a table, hostile, encrypted (exit 1).

    ``reference`` is a rule id of the message catalogue and ``params`` fill its message, so
    the supplier reads it in their language; ``message`` is the English fallback for logs.
    """

    reference: str = "unreadable-file"
    exit_code: ExitCode = ExitCode.INVALID_DATA
