"""The declared data spec: one YAML file per submission kind, checked when loaded.

A spec names its canonical table, natural key and columns (type, required, header aliases,
limits, allowed values with aliases, units, date formats), row checks that span columns as
Polars SQL expressions, and document-level fields printed above a table. Every mistake in a
rule file is reported at once, each as ``file:line key.path: what is wrong``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from qsync.errors import SpecError
from qsync.yamlsource import Path_, YamlSource, load_yaml

ColumnType = Literal["str", "int", "float", "date", "datetime", "bool", "enum"]
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
# Functions a row check may call; anything else (table functions that read files) is refused.
ROW_CHECK_FUNCTIONS = frozenset(
    {"abs", "coalesce", "lower", "upper", "length", "round", "floor", "ceil", "nullif"}
)
DEFAULT_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%d/%m/%Y",
)


def _str_list(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return value


StrList = Annotated[list[str], BeforeValidator(_str_list)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class I18nText(_Model):
    """A phrase in English and Chinese."""

    en: str
    zh: str

    def in_lang(self, lang: str) -> str:
        """The phrase in ``lang`` (``zh`` or ``en``)."""
        return self.zh if lang == "zh" else self.en


class ColumnSpec(_Model):
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


class RowCheck(_Model):
    """A check spanning columns, written as a Polars SQL expression that must hold per row."""

    expr: str
    id: str | None = None
    message: I18nText | None = None
    severity: Literal["error", "warning"] = "error"

    @property
    def rule(self) -> str:
        """Stable rule id, e.g. ``row-check:defects<=sample_size``."""
        return "row-check:" + (self.id or re.sub(r"\s+", "", self.expr))


class DocumentField(_Model):
    """A value printed above the table (``供应商代码：S0042``) that applies to every row."""

    labels: StrList
    required: bool = False


class Spec(_Model):
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


def _describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"expected one of {expected}"
    phrases = {
        "string_type": "expected text",
        "int_type": "expected a whole number",
        "int_parsing": "expected a whole number",
        "float_type": "expected a number",
        "float_parsing": "expected a number",
        "bool_type": "expected true or false",
        "bool_parsing": "expected true or false",
        "dict_type": "expected a mapping",
        "model_type": "expected a mapping",
        "list_type": "expected a list",
    }
    return phrases.get(kind, str(error["msg"]).lower())


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _fields_at(loc: Path_) -> Iterable[str]:
    """Known keys of the model that contains ``loc`` (for "did you mean")."""
    model: Any = Spec
    for part in loc[:-1]:
        if model is Spec and part == "columns":
            model = "columns"
        elif model == "columns":
            model = ColumnSpec
        elif model is Spec and part == "document_fields":
            model = "document_fields"
        elif model == "document_fields":
            model = DocumentField
        elif model is Spec and part == "row_checks":
            model = "row_checks"
        elif model == "row_checks":
            model = RowCheck
        elif isinstance(model, type) and issubclass(model, BaseModel):
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f for f in model.model_fields if f != "source"]
    return []


def _cross_checks(spec: Spec) -> list[tuple[Path_, str]]:
    import polars as pl

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
    for i, check in enumerate(spec.row_checks):
        where = ("row_checks", i, "expr")
        calls = {m.lower() for m in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", check.expr)}
        banned = sorted(calls - ROW_CHECK_FUNCTIONS)
        if banned:
            problems.append((where, f"function '{banned[0]}' is not allowed in a row check"))
            continue
        try:
            names = pl.sql_expr(check.expr).meta.root_names()
        except Exception as exc:  # polars raises several types for bad SQL
            problems.append((where, f"not a valid expression: {str(exc).splitlines()[0]}"))
            continue
        for ref in names:
            if ref not in spec.columns:
                problems.append((where, f"'{ref}' is not a declared column"))
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
                message = _describe(error)
                if error["type"] == "extra_forbidden":
                    message += _suggest(str(loc[-1]), _fields_at(loc))
                problems.append((loc, message))
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
    shown = display or str(path)
    try:
        source = load_yaml(path, shown)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise SpecError(
            "not valid YAML",
            location=shown,
            details=[f"{shown}{line} {getattr(exc, 'problem', exc)}"],
        ) from None
    except OSError as exc:
        raise SpecError(f"cannot read rule file: {exc.strerror}", location=shown) from None
    return parse_spec(source)


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
