"""The scoring month: ``"2026-10"`` parsed once into the dates every query filters on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from qsync.errors import UsageError

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Month:
    """A calendar month: ``start`` (first day), ``end`` (first day of the next month).

    Rows belong to the month when ``start <= date < end``; "as of the month" means at the
    end of its ``last_day``.

    >>> m = Month.parse("2026-12")
    >>> (m.label, m.start, m.end, m.last_day)
    ('2026-12', datetime.date(2026, 12, 1), datetime.date(2027, 1, 1), datetime.date(2026, 12, 31))
    """

    start: date

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM``; anything else is a usage error (exit 2)."""
        match = _MONTH.match(str(text).strip())
        if match is None:
            raise UsageError(
                f"month must be written YYYY-MM (for example 2026-10), got {text!r}",
                hint="Pass the month as year-month, e.g. --month 2026-10.",
            )
        return cls(date(int(match.group(1)), int(match.group(2)), 1))

    @property
    def label(self) -> str:
        """``YYYY-MM``."""
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def end(self) -> date:
        """First day of the next month (exclusive bound)."""
        year, month = divmod(self.start.month, 12)
        return date(self.start.year + year, month + 1, 1)

    @property
    def last_day(self) -> date:
        """Last day of the month."""
        return self.end - timedelta(days=1)

    def shift(self, months: int) -> Month:
        """The month ``months`` later (negative for earlier).

        >>> Month.parse("2026-01").shift(-1).label
        '2025-12'
        """
        index = self.start.year * 12 + self.start.month - 1 + months
        return Month(date(index // 12, index % 12 + 1, 1))
