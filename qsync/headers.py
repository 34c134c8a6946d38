"""Matching suppliers' headers to canonical columns, and guessing a file's kind.

Headers are compared after Unicode NFKC, case-folding and trimming, so ``Ｌｏｔ　Ｎｏ．``,
``lot no.`` and ``LOT NO`` are the same header. A unit in brackets (``直径(mm)``, ``Weight (g)``)
is split off, and a bilingual header (``批次号 Lot No.``) matches on either half.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from qsync.spec import Spec

_UNIT = re.compile(r"^(?P<base>.*?)\s*[\(\[]\s*(?P<unit>[^()\[\]]{1,12})\s*[\)\]]\s*$")
_CJK_OR_NOT = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\u3400-\u9fff\uf900-\ufaff]+")
_TRIM = " \t\r\n:：.。*＊"


def normalise_header(text: str) -> str:
    """Comparable form of a header: NFKC, case-folded, trimmed, inner spaces collapsed.

    >>> normalise_header(" Ｌｏｔ　Ｎｏ． ")
    'lot no'
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", folded).strip(_TRIM)


def split_unit(header: str) -> tuple[str, str | None]:
    """Split ``直径(mm)`` into ``("直径", "mm")``; headers without a unit give ``None``.

    >>> split_unit("Weight (g)")
    ('Weight', 'g')
    """
    match = _UNIT.match(unicodedata.normalize("NFKC", header).strip())
    if not match or not match.group("base").strip():
        return header, None
    return match.group("base"), match.group("unit").strip()


def _variants(header: str) -> list[str]:
    """Comparable forms to try, most specific first."""
    base, _ = split_unit(header)
    forms = [normalise_header(header), normalise_header(base)]
    parts = [p for p in _CJK_OR_NOT.findall(unicodedata.normalize("NFKC", base)) if p.strip()]
    if len(parts) > 1:
        forms.extend(normalise_header(p) for p in parts)
    return [f for f in dict.fromkeys(forms) if f]


@dataclass
class AliasIndex:
    """Every alias of one spec, normalised, pointing at its canonical column."""

    spec: Spec
    lookup: dict[str, str] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)
    """Normalised alias → the alias as the rule file writes it (for "did you mean")."""

    @classmethod
    def build(cls, spec: Spec) -> AliasIndex:
        """Index a spec's canonical names (``lot_id``, ``lot id``) and aliases."""
        index = cls(spec)
        for name, col in spec.columns.items():
            for alias in (name, name.replace("_", " "), *col.aliases):
                index.lookup.setdefault(normalise_header(alias), name)
            for alias in (*col.aliases, name, name.replace("_", " ")):
                index.shown.setdefault(normalise_header(alias), alias)
        return index

    def match(self, header: str) -> str | None:
        """Canonical column for a header as written, or ``None``."""
        for form in _variants(header):
            hit = self.lookup.get(form)
            if hit:
                return hit
        return None

    def suggest(self, header: str) -> str | None:
        """The closest alias as the rule file writes it, for "did you mean" on an unknown header.

        >>> from qsync.resources import default_rules_dir
        >>> from qsync.spec import load_spec
        >>> spec = load_spec(default_rules_dir() / "specs" / "inspections.yaml")
        >>> AliasIndex.build(spec).suggest("Inspektor")
        'Inspector'
        """
        close = difflib.get_close_matches(normalise_header(header), self.lookup, n=1, cutoff=0.6)
        return self.shown.get(close[0], close[0]) if close else None


@dataclass
class HeaderMatch:
    """How a table's headers map onto a spec."""

    spec: Spec
    fields: dict[int, str]
    units: dict[int, str]
    unknown: list[int]

    @property
    def missing_required(self) -> list[str]:
        """Required canonical columns no header matched."""
        found = set(self.fields.values())
        return [c for c in self.spec.required_columns if c not in found]

    @property
    def score(self) -> tuple[int, int]:
        """(required columns found, columns found): higher is a better fit."""
        found = set(self.fields.values())
        return (sum(1 for c in self.spec.required_columns if c in found), len(found))


def match_headers(headers: list[str], index: AliasIndex) -> HeaderMatch:
    """Map each header position to a canonical column; the first header wins a column."""
    fields: dict[int, str] = {}
    units: dict[int, str] = {}
    unknown: list[int] = []
    taken: set[str] = set()
    for position, header in enumerate(headers):
        name = index.match(header) if header.strip() else None
        if name is None or name in taken:
            if header.strip():
                unknown.append(position)
            continue
        taken.add(name)
        fields[position] = name
        _, unit = split_unit(header)
        if unit is not None and index.spec.columns[name].units:
            units[position] = unit
    return HeaderMatch(index.spec, fields, units, unknown)


def best_match(headers: list[str], indexes: list[AliasIndex]) -> HeaderMatch | None:
    """The spec whose columns the headers fit best, or ``None`` when nothing matches."""
    matches = [match_headers(headers, index) for index in indexes]
    best = max(matches, key=lambda m: m.score, default=None)
    return best if best is not None and best.score[1] > 0 else None


def header_score(line: str, indexes: list[AliasIndex]) -> int:
    """How many cells of a raw header line any spec recognises (decoding evidence).

    When the line has non-ASCII cells only those count: Big5 bytes decoded as GB18030 give
    nonsense Chinese beside intact English headers, and the English alone proves nothing.
    """
    cells = [c.strip().strip('"') for c in re.split(r"[,;\t|]", line)]
    cells = [c for c in cells if c]
    wide = [c for c in cells if not c.isascii()]
    evidence = wide or cells
    return max((sum(1 for c in evidence if i.match(c)) for i in indexes), default=0)
