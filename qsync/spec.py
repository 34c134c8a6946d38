"""The declared data spec: one YAML file per submission kind, checked when loaded.

A spec names its canonical table, natural key and columns (type, required, header aliases,
limits, allowed values with aliases, units, date formats), row checks that span columns as
Polars SQL expressions, and document-level fields printed above a table. Every mistake in a
rule file is reported at once, each as ``file:line key.path: what is wrong``.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError

from qsync.errors import SpecError
from qsync.rulefile import RuleModel, describe_error, known_keys, read_rule_file, suggest
from qsync.yamlsource import Path_, YamlSource

ColumnType = Literal["str", "int", "float", "date", "datetime", "bool", "enum"]
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
# Functions a row check may call; anything else (table functions that read files) is refused.
ROW_CHECK_FUNCTIONS = frozenset(
    {"abs", "coalesce", "lower", "upper", "length", "round", "floor", "ceil", "nullif"}
)
# Keywords that may stand before a bracket without being a function call: `a AND (b OR c)`.
SQL_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "between", "like", "when", "then", "else"}
)
DEFAULT_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%d.%m.%Y",
    "%d/%m/%Y",
)


def _str_list(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return value


StrList = Annotated[list[str], BeforeValidator(_str_list)]


class I18nText(RuleModel):
    """A phrase in English and Chinese."""

    en: str
    zh: str

    def in_lang(self, lang: str) -> str:
        """The phrase in ``lang`` (``zh`` or ``en``)."""
        return self.zh if lang == "zh" else self.en


class ColumnSpec(RuleModel):
    """One canonical column: its type, constraints and the headers suppliers use for it."""

    type: ColumnType = "str"
    required: bool = False
    aliases: StrList = Field(default_factory=list)
    description: I18nText | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    values: dict[str, StrList] | None = None
    unit: str | None = None
    units: dict[str, float] = Field(default_factory=dict)
    formats: StrList = Field(default_factory=list)
    example: str | None = None

    @property
    def date_formats(self) -> tuple[str, ...]:
        """Declared date formats, falling back to the common supplier styles."""
        return tuple(self.formats) or DEFAULT_DATE_FORMATS


class RowCheck(RuleModel):
    """A check spanning columns, written as a Polars SQL expression that must hold per row."""

    expr: str
    id: str | None = None
    message: I18nText | None = None
    severity: Literal["error", "warning"] = "error"

    @property
    def rule(self) -> str:
        """Stable rule id, e.g. ``row-check:defects<=sample_size``."""
        return "row-check:" + (self.id or re.sub(r"\s+", "", self.expr))


class DocumentField(RuleModel):
    """A value printed above the table (``供应商代码：S0042``) that applies to every row."""

    labels: StrList
    required: bool = False


class Spec(RuleModel):
    """One submission kind: the canonical table it fills and how suppliers write it."""

    kind: str
    table: str
    title: I18nText
    key: StrList
    columns: dict[str, ColumnSpec]
    row_checks: list[RowCheck] = Field(default_factory=list)
    document_fields: dict[str, DocumentField] = Field(default_factory=dict)
    formula_text: Literal["allow", "warning", "error"] = "warning"
    encoding: str | None = None
    source: str = ""

    @cached_property
    def required_columns(self) -> list[str]:
        """Canonical names of the columns every file must have."""
        return [name for name, col in self.columns.items() if col.required]


# The Polars dtype (by name, so that this module need not import Polars) of each column type.
POLARS_TYPES = {
    "str": "String",
    "enum": "String",
    "int": "Int64",
    "float": "Float64",
    "date": "Date",
    "datetime": "Datetime",
    "bool": "Boolean",
}


def _row_check_problems(
    checks: list[tuple[int, str]], types: dict[str, str | None]
) -> list[tuple[Path_, str]]:
    """Mistakes in row-check expressions, given the declared columns and their types.

    Each expression is evaluated on an empty frame of the declared types, so a subquery, a
    type mismatch or a non-boolean result is a rule-file mistake now, not a crash later.
    A column whose type is unknown (because its own declaration is wrong) is not evaluated.
    """
    import polars as pl

    problems: list[tuple[Path_, str]] = []
    for i, text in checks:
        where: Path_ = ("row_checks", i, "expr")
        words = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", text)
        calls = {m.lower() for m in words} - SQL_KEYWORDS
        banned = sorted(calls - ROW_CHECK_FUNCTIONS)
        if banned:
            problems.append((where, f"function '{banned[0]}' is not allowed in a row check"))
            continue
        if re.search(r"\bselect\b", text, re.IGNORECASE):
            problems.append((where, "a row check cannot contain a query (SELECT)"))
            continue
        try:
            expr = pl.sql_expr(text)
            names = expr.meta.root_names()
        except Exception as exc:  # polars raises several types for bad SQL
            problems.append((where, f"not a valid expression: {str(exc).splitlines()[0]}"))
            continue
        unknown = [ref for ref in names if ref not in types]
        for ref in unknown:
            problems.append((where, f"'{ref}' is not a declared column"))
        if unknown or any(types[ref] not in POLARS_TYPES for ref in names):
            continue
        empty = pl.DataFrame(
            schema={ref: getattr(pl, POLARS_TYPES[str(types[ref])]) for ref in names}
        )
        try:
            dtype = empty.select(expr).to_series().dtype
        except Exception as exc:  # polars raises several types for bad operand types
            problems.append((where, f"cannot be evaluated: {str(exc).splitlines()[0]}"))
            continue
        if dtype != pl.Boolean:
            problems.append((where, "must be a comparison that is true or false for each row"))
    return problems


def _raw_row_check_problems(data: dict[str, Any]) -> list[tuple[Path_, str]]:
    """Row-check mistakes of a spec that failed validation, so all are reported at once."""
    columns = data.get("columns")
    checks = data.get("row_checks")
    if not isinstance(columns, dict) or not isinstance(checks, list):
        return []
    types: dict[str, str | None] = {}
    for name, col in columns.items():
        declared = col.get("type", "str") if isinstance(col, dict) else None
        types[str(name)] = declared if isinstance(declared, str) else None
    exprs = [
        (i, check["expr"])
        for i, check in enumerate(checks)
        if isinstance(check, dict) and isinstance(check.get("expr"), str)
    ]
    return _row_check_problems(exprs, types)


def _cross_checks(spec: Spec) -> list[tuple[Path_, str]]:
    problems: list[tuple[Path_, str]] = []
    for i, name in enumerate(spec.key):
        if name not in spec.columns:
            problems.append((("key", i), f"'{name}' is not a declared column"))
    for name, col in spec.columns.items():
        where: Path_ = ("columns", name)
        if not SNAKE.match(name):
            problems.append((where, "canonical column names are snake_case English"))
        if col.type == "enum" and not col.values:
            problems.append(((*where, "type"), "an enum column needs 'values'"))
        if col.values and col.type != "enum":
            problems.append(((*where, "values"), "'values' is only for enum columns"))
        if col.min is not None and col.max is not None and col.min > col.max:
            problems.append(((*where, "min"), f"min {col.min:g} is above max {col.max:g}"))
        if col.pattern is not None:
            try:
                re.compile(col.pattern)
            except re.error as exc:
                problems.append(((*where, "pattern"), f"not a valid regular expression: {exc}"))
        if col.units and col.unit is None:
            problems.append(((*where, "units"), "'units' needs the canonical 'unit'"))
        if col.units and col.unit is not None and col.unit not in col.units:
            problems.append(((*where, "units"), f"must include the canonical unit '{col.unit}'"))
    types: dict[str, str | None] = {name: col.type for name, col in spec.columns.items()}
    problems.extend(_row_check_problems(list(enumerate(c.expr for c in spec.row_checks)), types))
    for name in spec.document_fields:
        if name not in spec.columns:
            problems.append((("document_fields", name), f"'{name}' is not a declared column"))
    return problems


def parse_spec(source: YamlSource) -> Spec:
    """Validate parsed YAML as a spec, raising one :class:`SpecError` listing every mistake."""
    problems: list[tuple[Path_, str]] = []
    spec: Spec | None = None
    if not isinstance(source.data, dict):
        problems.append(((), "expected a mapping of spec keys"))
    else:
        try:
            spec = Spec.model_validate({**source.data, "source": source.display})
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                message = describe_error(dict(error))
                if error["type"] == "extra_forbidden":
                    keys = [k for k in known_keys(Spec, loc) if k != "source"]
                    message += suggest(str(loc[-1]), keys)
                problems.append((loc, message))
            problems.extend(_raw_row_check_problems(source.data))
    if spec is not None:
        problems.extend(_cross_checks(spec))
    if problems:
        details = [
            f"{source.display}:{source.line_of(loc)} {'.'.join(map(str, loc)) or '(top)'}: {msg}"
            for loc, msg in problems
        ]
        raise SpecError(
            f"{len(details)} mistake(s) in rule file",
            location=source.display,
            details=details,
            note="This is a problem in the rule file, not in supplier data.",
            hint="Fix the lines listed above; run `qsync spec --check` to re-check.",
        )
    assert spec is not None
    return spec


def load_spec(path: Path, display: str | None = None) -> Spec:
    """Load and check one spec file.

    >>> from qsync.resources import default_rules_dir
    >>> load_spec(default_rules_dir() / "specs" / "inspections.yaml").table
    'inspections'
    """
    return parse_spec(read_rule_file(path, display or str(path)))


def load_specs(rules_dir: Path) -> dict[str, Spec]:
    """Load every ``specs/*.yaml`` under ``rules_dir``; all mistakes of all files at once."""
    specs: dict[str, Spec] = {}
    details: list[str] = []
    for path in sorted((rules_dir / "specs").glob("*.yaml")):
        display = f"rules/specs/{path.name}"
        try:
            spec = load_spec(path, display)
        except SpecError as exc:
            details.extend(exc.details or [str(exc)])
            continue
        specs[spec.kind] = spec
    if details:
        raise SpecError(
            f"{len(details)} mistake(s) in rule files",
            location=str(rules_dir),
            details=details,
            note="This is a problem in the rule files, not in supplier data.",
            hint="Fix the lines listed above.",
        )
    if not specs:
        raise SpecError("no spec files found", location=str(rules_dir / "specs"))
    return specs
