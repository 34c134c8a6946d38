"""One streaming pass over a worksheet's XML: its extent and the facts fastexcel does not expose.

The guard (:mod:`qsync.readers.guard`) feeds each worksheet part here in complete stretches
(whole rows) of about 1 MiB. :class:`SheetScan` records the extent calamine will allocate
(``max_row`` x ``max_col``) and what the reader needs beyond cell values: merged ranges, hidden
rows, formulas without a cached value, error cells and columns holding numbers fastexcel would
round.

Most sheets have none of those, so each is looked for only when a byte it cannot do without
occurs in the stretch at all (``memchr`` speed): ``hidden="`` needs an ``h``, ``<mergeCell``
a ``g``, a formula an ``f``, an exponent a ``-``. The checks that must look at every cell
reference (the extent of a regular sheet is vouched for by checking each reference against
the row tags) cost Python's ``re`` about 100 ns a reference; for large stretches one pass of
polars' regex engine (Rust, a DFA) first tells whether any of them could find anything, and
only a "yes" runs them. Every shortcut only decides whether the exact check runs, so the facts
are the same as from the plain pass.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field

MAX_FACTS = 10_000
"""Most merged ranges, hidden rows, uncalculated formulas or error cells recorded per sheet;
a hostile sheet could hold millions, and a supplier needs the first few to fix the rest."""
MAX_PENDING = 4 << 20
"""Longest run of XML without a row end held before it is cut at a cell (or tag) end."""
FAST_REGEX_ABOVE = 256 << 10
"""Stretches at least this long check their cell references with polars' regex engine."""

_DIMENSION = re.compile(rb'dimension\s[^<>]*?\bref="([^"<>]{1,40})"')
_MERGE = re.compile(rb'mergeCell\s[^<>]*?\bref="([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)"')
_ROW_R = re.compile(rb'\br="([0-9]{1,7})"')
_CELL_R = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_CELL_T = re.compile(rb'\bt="([A-Za-z]+)"')
_LONG_DECIMALS = re.compile(rb"\.[0-9]{10}")
_EXPONENT = re.compile(rb"-(?<=[0-9][Ee]-)[0-9]")
"""``E-`` or ``e-`` between two digits; searched from the ``-``, which most sheets lack."""
_TWO_LETTER_COLUMN = re.compile(rb'r="([A-Z]{2})[0-9]')
_ANY_REF = re.compile(rb'r="([A-Za-z]{1,4})0*([0-9]{1,9})"')
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]")
_REF = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")
_ERROR_TYPE = re.compile(rb't="e"')


def column_letter(number: int) -> str:
    """Excel column letters of a 1-based column number.

    >>> column_letter(1), column_letter(28), column_letter(16384)
    ('A', 'AB', 'XFD')
    """
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """1-based column number of Excel column letters (``"AB"`` is 28)."""
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def split_ref(ref: str) -> tuple[int, int]:
    """``(row, column)``, both 1-based, of a cell reference.

    >>> split_ref("AB12")
    (12, 28)
    """
    match = _REF.match(ref)
    if not match:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(match.group(2)), column_number(match.group(1))


@dataclass
class SheetFacts:
    """What one sheet's XML says beyond its cell values (all coordinates 1-based)."""

    member: str
    name: str = ""
    state: str = "visible"
    dimension: str | None = None
    max_row: int = 0
    max_col: int = 0
    hidden_rows: list[int] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    formulas_without_value: dict[tuple[int, int], str] = field(default_factory=dict)
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)
    long_number_columns: set[int] = field(default_factory=set)
    """Columns holding a number with more than 9 decimals, which fastexcel rounds away."""

    @property
    def cells(self) -> int:
        """Cells of the rectangle from A1 to the last non-empty cell."""
        return self.max_row * self.max_col

    @property
    def used_range(self) -> str:
        """``A1:XFD1048576`` style range from A1 to the last non-empty cell."""
        if not self.cells:
            return "A1"
        return f"A1:{column_letter(self.max_col)}{self.max_row}"


def _has_long_number(data: bytes) -> bool:
    """A number with more than 9 decimals: ``0.3333333333`` or a negative exponent."""
    if b"-" in data and _EXPONENT.search(data) is not None:
        return True
    return b"." in data and _LONG_DECIMALS.search(data) is not None


def _above(limit: int) -> bytes:
    """Regex alternatives matching a decimal number above ``limit`` (no leading zeros)."""
    digits = str(limit)
    options = [rb"[1-9][0-9]{%d,}" % len(digits)]
    for i, ch in enumerate(digits):
        if ch != "9":
            rest = len(digits) - i - 1
            options.append(digits[:i].encode() + b"[%d-9][0-9]{%d}" % (int(ch) + 1, rest))
    return b"|".join(options)


def _irregular_pattern(top_row: int) -> bytes:
    """A cell reference the fast extent cannot vouch for: below row ``top_row``, beyond
    column ZZ, or in lower case."""
    return rb'r="(?:[A-Za-z]{3,}|[A-Z]{0,2}[a-z]|[A-Z]{1,2}0*(?:' + _above(top_row) + rb')")'


@functools.lru_cache(maxsize=64)
def _irregular_ref(top_row: int) -> re.Pattern[bytes]:
    """:func:`_irregular_pattern`, compiled."""
    return re.compile(_irregular_pattern(top_row))


@functools.lru_cache(maxsize=4)
def _cell_without_ref(cell: bytes) -> re.Pattern[bytes]:
    """A cell start tag whose first attribute is not ``r`` (or that has none)."""
    return re.compile(re.escape(cell) + rb'(?:>| (?!r="))')


def _quiet_in_rust(data: bytes, pattern: str) -> bool:
    """True when polars' regex engine finds no ``pattern`` in ``data``; False when it finds
    one, or cannot say (the stretch is not UTF-8)."""
    try:
        import polars as pl

        text = pl.Series([data], dtype=pl.Binary).cast(pl.String, strict=False)
        return not text.null_count() and not text.str.contains(pattern).item()
    except Exception:  # whatever it is, the Python checks decide instead
        return False


class SheetScan:
    """Facts from complete stretches of one worksheet's XML (``prefix`` is e.g. ``b"x:"``).

    The extent is cheap when the file is regular (cells carry ``r`` and sit inside their
    row): rows come from the row tags, checked against the cells with one regex search, and
    columns are bounded by the widest letter class present (26, or exactly when wider). An
    irregular stretch is measured cell by cell.

    With ``fast_regex``, one pass of polars' regex engine per large stretch tells whether it
    holds anything the costlier Python checks could find (an irregular reference, a cell
    without ``r``, an error cell, a two-letter column); only a "yes" runs them.
    """

    def __init__(
        self, member: str, prefix: bytes, *, exact: bool = False, fast_regex: bool = False
    ) -> None:
        self.facts = SheetFacts(member)
        self.prefix = prefix
        self.exact = exact
        self.fast_regex = fast_regex
        self._wide = False
        self._tags = {name: b"<" + prefix + name for name in (b"c", b"row", b"f", b"v")}
        self._row_numbers = re.compile(re.escape(self._tags[b"row"]) + rb' r="([0-9]{1,7})"')
        f, v = re.escape(prefix + b"f"), re.escape(prefix + b"v")
        f_close, c_close = b"</" + prefix + b"f>", b"</" + prefix + b"c>"
        v_tag = b"<" + prefix + b"v"
        # (ending, is an empty <v></v>): Excel, openpyxl and xlsxwriter write no blanks here.
        self._uncalculated = (
            (f_close + c_close, False),
            (f_close + v_tag + b"/>" + c_close, False),
            (f_close + v_tag + b" />" + c_close, False),
            (f_close + v_tag + b"></" + prefix + b"v>" + c_close, True),
            (b"/>" + c_close, False),
        )
        formula = rb"(?:<" + f + rb"\b[^<>]*?(?:/>|>[^<]*</" + f + rb">)\s*)?"
        # More than 9 decimals, unless they are float noise (0.9399999999999999); or E-n.
        long_value = rb"-?[0-9]*\.[0-9]{9}(?!(?:0{3,}|9{3,})[0-9]{0,4}<)[0-9]|[^<]*[Ee]-[0-9]"
        self._long_number = re.compile(
            rb'r="([A-Z]{1,3})[0-9]{1,7}"[^<>]*>\s*'
            + formula
            + rb"<"
            + v
            + rb">(?:"
            + long_value
            + rb")"
        )

    def feed(self, data: bytes) -> None:
        """Take in one stretch of complete rows (or, in a huge row, complete cells)."""
        facts = self.facts
        rows = [] if self.exact else self._row_numbers.findall(data)
        top = max(map(int, rows), default=0)
        quiet, narrow = self._rust_checks(data, top)
        if facts.dimension is None and b"m" in data and (dim := _DIMENSION.search(data)):
            facts.dimension = dim.group(1).decode("ascii", "replace")
        if b"h" in data:  # hidden="
            self._hidden_rows(data)
        if b"g" in data and b"mergeCell " in data and len(facts.merged) < MAX_FACTS:
            facts.merged.extend(m.decode() for m in _MERGE.findall(data)[:MAX_FACTS])
        if b"f" in data and self._tags[b"f"] in data:  # every formula fact needs its <f
            self._formulas(data)
        if not quiet and _ERROR_TYPE.search(data) is not None:
            self._errors(data)
        if _has_long_number(data):
            self._long_numbers(data)
        if self.exact:
            self._exact_extent(data)
        else:
            self._extent(data, len(rows), top, quiet, narrow)

    def _rust_checks(self, data: bytes, top: int) -> tuple[bool, bool]:
        """``(quiet, narrow)``: whether the stretch is proved to hold no irregular reference,
        no cell without ``r`` and no error cell (``quiet``), and no two-letter column.

        One pass of Rust's regex engine answers for all of them at once; only a "yes" runs
        the Python checks one by one. Once a sheet shows two-letter columns (wider than Z),
        they are left out of the pass, which would otherwise never come back quiet.
        """
        if not self.fast_regex or self.exact or len(data) < FAST_REGEX_ABOVE:
            return False, False
        if not self._wide:
            if _quiet_in_rust(data, self._narrow_pattern(top)):
                return True, True
            if _TWO_LETTER_COLUMN.search(data) is None:
                return False, True
            self._wide = True
        return _quiet_in_rust(data, self._rare_pattern(top)), False

    def _narrow_pattern(self, top: int) -> str:
        """A pattern matching whatever :meth:`_rare_pattern` matches and two-letter columns:
        after ``r="`` a lower-case letter, a second letter, or one letter and a row number
        above ``top``."""
        above = _above(top).decode("ascii")
        refs = f'r="(?:[a-z]|[A-Z][A-Za-z]|[A-Z]0*(?:{above})")'
        return f"{refs}|{self._rare_tail()}"

    def _rare_pattern(self, top: int) -> str:
        """:func:`_irregular_ref`, :func:`_cell_without_ref` (without its look-ahead) and
        ``t="e"`` as one pattern for Rust's regex engine (all ASCII)."""
        return f"{_irregular_pattern(top).decode('ascii')}|{self._rare_tail()}"

    def _rare_tail(self) -> str:
        cell = re.escape(self._tags[b"c"]).decode("ascii")
        return cell + r'(?:>| (?:[^r]|r(?:[^=]|$)|r=(?:[^"]|$)|$))|t="e"'

    def _extent(self, data: bytes, rows: int, top: int, quiet: bool, narrow: bool) -> None:
        facts, cell = self.facts, self._tags[b"c"]
        if not quiet and (_irregular_ref(top).search(data) or _cell_without_ref(cell).search(data)):
            self._exact_extent(data)
            return
        facts.max_row = max(facts.max_row, top, rows)
        if not narrow and (two := set(_TWO_LETTER_COLUMN.findall(data))):
            facts.max_col = max(facts.max_col, *(column_number(c.decode()) for c in two))
        elif cell + b" " in data:
            facts.max_col = max(facts.max_col, 26)

    def _long_numbers(self, data: bytes) -> None:
        """Columns with a number that fastexcel's 9 decimals render less exactly than Excel's
        15 significant digits (``1/3``, ``3E-10``), float noise like ``0.9399999999999999``
        (shown 0.94) aside."""
        letters = set(self._long_number.findall(data))
        self.facts.long_number_columns.update(column_number(c.decode()) for c in letters)

    def _exact_extent(self, data: bytes) -> None:
        facts, cell, row = self.facts, self._tags[b"c"], self._tags[b"row"]
        for letters, digits in _ANY_REF.findall(data):
            facts.max_col = max(facts.max_col, column_number(letters.upper().decode()))
            facts.max_row = max(facts.max_row, int(digits))
        # Cells and rows without a reference are placed one after another: bound them.
        facts.max_row = max(facts.max_row, data.count(row + b" ") + data.count(row + b">"))
        facts.max_col = max(facts.max_col, data.count(cell + b" ") - data.count(cell + b' r="'))

    def _tag_at(self, data: bytes, pos: int, name: bytes) -> bytes | None:
        """The start tag ``<name ...>`` that contains position ``pos``, if it is one."""
        start = data.rfind(b"<", 0, pos)
        end = data.find(b">", pos)
        tag = data[start : end + 1]
        return tag if start >= 0 and tag.startswith(self._tags[name] + b" ") else None

    def _hidden_rows(self, data: bytes) -> None:
        pos = data.find(b'hidden="')
        while pos >= 0:
            tag = self._tag_at(data, pos, b"row")
            hidden = data[pos + 8 : data.find(b'"', pos + 8)] in (b"1", b"true")
            if hidden and tag is not None and (ref := _ROW_R.search(tag)):
                if len(self.facts.hidden_rows) >= MAX_FACTS:
                    return
                self.facts.hidden_rows.append(int(ref.group(1)))
            pos = data.find(b'hidden="', pos + 1)

    def _cell_key(self, tag: bytes) -> tuple[tuple[int, int], bytes] | None:
        ref, kind = _CELL_R.search(tag), _CELL_T.search(tag)
        if ref is None:
            return None
        key = (int(ref.group(2)), column_number(ref.group(1).decode()))
        return key, kind.group(1) if kind else b"n"

    def _value(self, data: bytes, pos: int) -> bytes | None:
        """Text of the ``<v>`` element starting at ``pos`` (after blanks), or ``None``."""
        while pos < len(data) and data[pos] in b" \t\r\n":
            pos += 1
        v = self._tags[b"v"]
        if not data.startswith(v, pos) or data[pos + len(v) : pos + len(v) + 1] not in b" />":
            return None
        end = data.find(b">", pos)
        if data[end - 1 : end] == b"/":
            return b""
        close = data.find(b"</" + v[1:] + b">", end)
        return data[end + 1 : close] if close >= 0 else None

    def _formulas(self, data: bytes) -> None:
        """Formula cells whose ``<v>`` is missing or empty (never calculated)."""
        for ending, empty_string in self._uncalculated:
            pos = data.find(ending)
            while pos >= 0 and len(self.facts.formulas_without_value) < MAX_FACTS:
                self._uncalculated_at(data, pos, ending, empty_string)
                pos = data.find(ending, pos + 1)

    def _uncalculated_at(self, data: bytes, pos: int, ending: bytes, empty_string: bool) -> None:
        f_open = self._tags[b"f"]
        f_close = b"</" + f_open[1:] + b">"
        start = data.rfind(f_open, 0, pos)
        if start < 0:
            return
        if ending.startswith(f_close):  # <f>text</f> must end right here
            closes, text = data.find(f_close, start) == pos, data[data.find(b">", start) + 1 : pos]
        else:  # <f .../> must end right here
            closes, text = data.find(b">", start) == pos + 1, b""
        tag = self._tag_at(data, start - 1, b"c") if closes else None
        cell = self._cell_key(tag) if tag is not None else None
        # An empty <v></v> is a calculated empty string when the cell type is "str".
        if cell is None or cell[1] == b"e" or (empty_string and cell[1] == b"str"):
            return
        formula = html.unescape(text.decode("utf-8", "replace"))
        self.facts.formulas_without_value[cell[0]] = "=" + formula[:200]

    def _errors(self, data: bytes) -> None:
        pos = data.find(b't="e"')
        while pos >= 0 and len(self.facts.error_cells) < MAX_FACTS:
            tag = self._tag_at(data, pos, b"c")
            cell = self._cell_key(tag) if tag is not None and not tag.endswith(b"/>") else None
            if cell is not None:
                start = data.find(self._tags[b"v"], pos)
                close = data.find(b"</" + self._tags[b"c"][1:] + b">", pos)
                if 0 <= start < close:
                    value = self._value(data, start)
                    text = html.unescape((value or b"").decode("utf-8", "replace"))
                    self.facts.error_cells[cell[0]] = text
            pos = data.find(b't="e"', pos + 1)


def stretch_end(buffer: bytes) -> int:
    """End of the last complete row (or cell, for huge rows) in ``buffer``; 0 for none yet."""
    for name in (b"row>", b"c>") if len(buffer) > MAX_PENDING else (b"row>",):
        at = max(buffer.rfind(b"</" + name), buffer.rfind(b":" + name))
        if at >= 0:
            return at + len(name) + (2 if buffer[at : at + 2] == b"</" else 1)
    if len(buffer) > MAX_PENDING:
        return buffer.rfind(b">") + 1
    return 0


def row_end_in(pending: bytes, data: bytes) -> int:
    """Where :func:`stretch_end` of ``pending + data`` falls in ``data`` (-1: nowhere), without
    joining them, for a ``pending`` that holds no row end (the tail of the last stretch) and
    a buffer no longer than :data:`MAX_PENDING`."""
    at = data.rfind(b"</row>")
    at = max(at, data.rfind(b":row>", max(at, 0)))  # a prefixed row end after it, if any
    if at >= 0:
        return at + (6 if data[at : at + 2] == b"</" else 5)
    tail = pending[-5:]
    window = tail + data[:5]  # a row end tag across the seam
    at = max(window.rfind(b"</row>"), window.rfind(b":row>"))
    if at >= 0:
        return at + (6 if window[at : at + 2] == b"</" else 5) - len(tail)
    return -1


def utf16(first: bytes) -> str | None:
    """The UTF-16 codec a part starting with ``first`` is written in, if it is."""
    if first.startswith((b"\xff\xfe", b"<\x00")):
        return "utf-16-le"
    if first.startswith((b"\xfe\xff", b"\x00<")):
        return "utf-16-be"
    return None


def worksheet_prefix(first: bytes) -> bytes | None:
    """Namespace prefix of a worksheet's root element (``b""`` or ``b"x:"``); else ``None``."""
    match = _ROOT.search(first)
    if match is None or match.group(2) != b"worksheet":
        return None
    return match.group(1) or b""
