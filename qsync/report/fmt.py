"""Numbers, percentages, dates and months written the way a reader of the report's language
expects, with the patterns taken from the ``report`` section of the message catalogue.

Missing data is always a dash, never a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qsync.i18n import Catalogue

SECTION = "report"
MISSING = "—"


@dataclass(frozen=True)
class Formats:
    """How one language writes figures; built from a catalogue with :meth:`of`.

    >>> from qsync.i18n import Catalogue
    >>> from qsync.resources import default_templates_dir
    >>> en = Formats.of(Catalogue.load(default_templates_dir(), "en"))
    >>> zh = Formats.of(Catalogue.load(default_templates_dir(), "zh"))
    >>> en.num(25333.3), en.pct(0.6667), en.date(date(2026, 10, 5)), en.month("2026-10")
    ('25,333', '66.7%', '5 Oct 2026', 'October 2026')
    >>> zh.date(date(2026, 10, 5)), zh.month("2026-10"), zh.month_short("2026-10")
    ('2026年10月5日', '2026年10月', '26年10月')
    """

    catalogue: Catalogue

    @classmethod
    def of(cls, catalogue: Catalogue) -> Formats:
        """The formats of ``catalogue``'s language."""
        return cls(catalogue)

    @property
    def lang(self) -> str:
        """The language code (``zh`` or ``en``)."""
        return self.catalogue.lang

    def _text(self, key: str, **params: object) -> str:
        return self.catalogue.text(SECTION, key, **params)

    def num(self, value: float | int | None, digits: int = 0) -> str:
        """A number with thousands separators and ``digits`` decimals."""
        if value is None:
            return MISSING
        plain = f"{float(value):,.{digits}f}"
        group, point = self._text("fmt-thousands"), self._text("fmt-decimal")
        return plain.replace(",", "\x00").replace(".", point).replace("\x00", group)

    def pct(self, fraction: float | None, digits: int = 1) -> str:
        """A fraction (0.975) as a percentage (97.5%)."""
        if fraction is None:
            return MISSING
        return self._text("fmt-percent", value=self.num(fraction * 100, digits))

    def date(self, value: date | datetime | None) -> str:
        """A calendar date."""
        if value is None:
            return MISSING
        return self._text(
            "fmt-date",
            yyyy=value.year,
            m=value.month,
            d=value.day,
            mon=self._text(f"mon-{value.month}"),
        )

    def datetime(self, value: datetime | None) -> str:
        """A date with hours and minutes (as given: callers pass plant time)."""
        if value is None:
            return MISSING
        return self._text(
            "fmt-datetime", date=self.date(value), hh=f"{value.hour:02d}", mm=f"{value.minute:02d}"
        )

    def month(self, label: str) -> str:
        """``2026-10`` as ``October 2026`` / ``2026年10月``."""
        year, month = (int(p) for p in label.split("-"))
        return self._text("fmt-month", yyyy=year, m=month, month_name=self._text(f"month-{month}"))

    def month_short(self, label: str) -> str:
        """``2026-10`` for a chart axis: ``Oct 26`` / ``26年10月``."""
        year, month = (int(p) for p in label.split("-"))
        return self._text(
            "fmt-month-short", yy=f"{year % 100:02d}", m=month, mon=self._text(f"mon-{month}")
        )

    def hours(self, value: float | None) -> str:
        """A duration in hours (one decimal at most)."""
        if value is None:
            return MISSING
        digits = 0 if float(value).is_integer() else 1
        return self._text("fmt-hours", value=self.num(value, digits))

    def yes_no(self, value: bool | None) -> str:
        """Yes or no in the language."""
        if value is None:
            return MISSING
        return self._text("yes" if value else "no")
