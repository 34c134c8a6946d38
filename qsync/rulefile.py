"""Load a rule file into a pydantic model, reporting every mistake at its line.

:mod:`qsync.spec` does this for the data specs; this module is the same pattern for any other
rule file (``rules/scorecard.yaml``, ``rules/materials.yaml``): parse with
:func:`qsync.yamlsource.load_yaml`, validate with a model that forbids unknown keys, run the
file's own cross-checks, and raise one :class:`~qsync.errors.SpecError` whose ``details`` list
each mistake as ``file:line key.path: what is wrong``.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from qsync.errors import SpecError
from qsync.yamlsource import Path_, YamlSource, load_yaml

M = TypeVar("M", bound=BaseModel)
Problem = tuple[Path_, str]
CrossCheck = Callable[[M], list[Problem]]

_PHRASES = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "list_type": "expected a list",
    "finite_number": "expected a finite number (not .nan or .inf)",
}


class RuleModel(BaseModel):
    """Base of every rule-file model: an unknown key, ``.nan`` or ``.inf`` is a mistake in the
    file (a NaN limit would compare false everywhere, silently), and values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def describe_error(error: dict[str, Any]) -> str:
    """Turn one pydantic error into the short phrase a rule-file author reads.

    >>> describe_error({"type": "missing", "msg": "Field required"})
    'required key is missing'
    >>> describe_error({"type": "greater_than_equal", "msg": "Input should be >= 0"})
    'input should be >= 0'
    """
    kind = error["type"]
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "literal_error":
        return f"expected one of {error.get('ctx', {}).get('expected', '')}"
    return _PHRASES.get(kind, str(error["msg"]).lower())


def suggest(word: str, choices: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix for a misspelt key, or ``""``.

    >>> suggest("wieght", ["weight", "points"])
    " (did you mean 'weight'?)"
    """
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _inner(annotation: Any, part: str | int) -> Any:
    """The annotation one step further along a key path (model field, dict value, list item)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _inner(typing.get_args(annotation)[0], part)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _inner(arg, part)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field is not None else None
    if origin is dict and isinstance(part, str):
        return typing.get_args(annotation)[1]
    if origin in (list, tuple) and isinstance(part, int):
        return typing.get_args(annotation)[0]
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if typing.get_origin(annotation) is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [m for m in map(_model_in, typing.get_args(annotation)) if m is not None]
        return models[0] if models else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def known_keys(model: type[BaseModel], loc: Path_) -> list[str]:
    """Keys allowed next to the last part of ``loc`` (for "did you mean").

    >>> from qsync.score.rules import ScorecardRules
    >>> known_keys(ScorecardRules, ("metrics", "ppm", "wieght"))
    ['name', 'group', 'weight', 'points']
    """
    annotation: Any = model
    for part in loc[:-1]:
        annotation = _inner(annotation, part)
        if annotation is None:
            return []
    found = _model_in(annotation)
    return list(found.model_fields) if found is not None else []


def validation_problems(exc: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Every error of a pydantic validation as ``(key path, message)``."""
    problems: list[Problem] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        message = describe_error(dict(error))
        if error["type"] == "extra_forbidden":
            message += suggest(str(loc[-1]), known_keys(model, loc))
        problems.append((loc, message))
    return problems


def format_problems(source: YamlSource, problems: list[Problem]) -> list[str]:
    """``file:line key.path: message`` for each problem, in the order given."""
    return [
        f"{source.display}:{source.line_of(loc)} {'.'.join(map(str, loc)) or '(top)'}: {msg}"
        for loc, msg in problems
    ]


def rule_file_error(location: str, details: list[str]) -> SpecError:
    """The one error raised for a rule file with mistakes (exit code 2)."""
    return SpecError(
        f"{len(details)} mistake(s) in rule file",
        location=location,
        details=details,
        note="This is a problem in the rule file, not in supplier data.",
        hint="Fix the lines listed above.",
    )


def parse_rule_file(
    source: YamlSource, model: type[M], checks: Callable[[M], list[Problem]] | None = None
) -> M:
    """Validate parsed YAML against ``model``, then ``checks``; raise listing every mistake."""
    if not isinstance(source.data, dict):
        raise rule_file_error(source.display, format_problems(source, [((), "expected a mapping")]))
    try:
        parsed = model.model_validate(source.data)
    except ValidationError as exc:
        details = format_problems(source, validation_problems(exc, model))
        raise rule_file_error(source.display, details) from None
    problems = checks(parsed) if checks is not None else []
    if problems:
        raise rule_file_error(source.display, format_problems(source, problems))
    return parsed


def read_rule_file(path: Path, display: str | None = None) -> YamlSource:
    """Parse a rule file keeping line numbers; unreadable or malformed YAML is a SpecError."""
    shown = display or str(path)
    try:
        return load_yaml(path, shown)
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


def load_rule_file(
    path: Path,
    model: type[M],
    *,
    display: str | None = None,
    checks: Callable[[M], list[Problem]] | None = None,
) -> M:
    """Load ``path`` as ``model``; every mistake is reported as ``file:line key.path: message``.

    >>> from qsync.resources import default_rules_dir
    >>> from qsync.score.rules import ScorecardRules
    >>> rules = load_rule_file(default_rules_dir() / "scorecard.yaml", ScorecardRules)
    >>> rules.grades[0].grade
    'A'
    """
    return parse_rule_file(read_rule_file(path, display), model, checks)
