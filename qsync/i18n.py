"""The message catalogue: every word a user reads, in English and Chinese.

Catalogues are YAML files under ``templates/i18n/`` (``en.yaml``, ``zh.yaml``), so a
workspace can adjust the wording without touching code. Issue messages are looked up by the
issue's stable rule id and filled from its parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from qsync.errors import ConfigError
from qsync.model import FileResult, Issue
from qsync.resources import default_templates_dir
from qsync.spec import Spec

LANGS = ("en", "zh")
_CJK = re.compile(r"[\u3400-\u9fff]")


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@cache
def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot load message catalogue: {exc}", location=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("message catalogue is not a mapping", location=str(path))
    return data


def field_label(spec: Spec, field: str, lang: str) -> str:
    """How a canonical column is named to a supplier: its first alias in their language.

    >>> from qsync.resources import default_rules_dir
    >>> from qsync.spec import load_spec
    >>> spec = load_spec(default_rules_dir() / "specs" / "inspections.yaml")
    >>> field_label(spec, "lot_id", "zh"), field_label(spec, "lot_id", "en")
    ('批次号', 'Lot No.')
    """
    col = spec.columns.get(field)
    if col is None:
        return field
    wanted = [a for a in col.aliases if bool(_CJK.search(a)) == (lang == "zh")]
    return wanted[0] if wanted else field


def allowed_values(spec: Spec, field: str, lang: str) -> str:
    """Allowed values of an enum column as a supplier would write them in ``lang``.

    >>> from qsync.resources import default_rules_dir
    >>> from qsync.spec import load_spec
    >>> spec = load_spec(default_rules_dir() / "specs" / "inspections.yaml")
    >>> allowed_values(spec, "decision", "zh")
    '合格, 不合格, 特采'
    """
    shown = []
    for value, aliases in (spec.columns[field].values or {}).items():
        native = [a for a in aliases if bool(_CJK.search(a)) == (lang == "zh")]
        shown.append(native[0] if native and lang == "zh" else value)
    return ", ".join(shown)


@dataclass(frozen=True)
class Catalogue:
    """Messages of one language."""

    lang: str
    data: dict[str, Any]

    @classmethod
    def load(cls, templates_dir: Path, lang: str) -> Catalogue:
        """Load ``templates_dir/i18n/<lang>.yaml`` over the packaged catalogue.

        A workspace's catalogue overrides the packaged wording phrase by phrase; phrases it
        lacks (a workspace created before a feature existed) come from the packaged one.
        An unknown language is a usage error.
        """
        if lang not in LANGS:
            raise ConfigError(f"unknown language '{lang}'; expected one of: {', '.join(LANGS)}")
        packaged = _load(default_templates_dir() / "i18n" / f"{lang}.yaml")
        own = templates_dir / "i18n" / f"{lang}.yaml"
        if own.resolve() == (default_templates_dir() / "i18n" / f"{lang}.yaml").resolve():
            return cls(lang, packaged)
        local = _load(own) if own.is_file() else {}
        merged = {
            section: {**packaged.get(section, {}), **local.get(section, {})}
            for section in {*packaged, *local}
        }
        return cls(lang, merged)

    def text(self, section: str, key: str, /, **params: Any) -> str:
        """The phrase ``section.key`` filled with ``params`` (unknown names left visible)."""
        template = self.data.get(section, {}).get(key)
        if template is None:
            return key
        return str(template).format_map(_Defaults(params))

    def ui(self, key: str, /, **params: Any) -> str:
        """A phrase of the user interface."""
        return self.text("ui", key, **params)

    def issue_message(self, issue: Issue, spec: Spec | None) -> str:
        """The supplier-facing message of an issue in this language."""
        params: dict[str, Any] = {"value": issue.value or "", "column": issue.column or ""}
        params.update(issue.params)
        key = issue.rule
        if key.startswith("row-check:"):
            check = params.pop("check", None)
            message = getattr(check, "message", None)
            params["check_message"] = message.in_lang(self.lang) if message else params.get("expr")
            if spec is not None and "row_values" in params:
                params["value"] = ", ".join(
                    f"{field_label(spec, f, self.lang)}={v}"
                    for f, v in params["row_values"].items()
                    if f in spec.columns
                )
            key = "row-check"
        if key == "out-of-range":
            key = f"out-of-range-{params.get('bound', 'min')}"
        for name, section in (("what", "what"), ("reason", "reasons")):
            if name in params and str(params[name]) in self.data.get(section, {}):
                params[name] = self.text(section, str(params[name]))
        if spec is not None:
            params["kind_title"] = spec.title.in_lang(self.lang)
            if issue.field:
                params["field_label"] = field_label(spec, issue.field, self.lang)
                params["aliases"] = ", ".join(spec.columns[issue.field].aliases[:4])
        if spec is not None and "key_fields" in params:
            params["key"] = " / ".join(
                field_label(spec, f, self.lang) for f in params["key_fields"]
            )
        if spec is not None and key == "unknown-value" and issue.field:
            params["allowed"] = allowed_values(spec, issue.field, self.lang)
        if key == "unknown-column":
            suggest = params.get("suggest")
            params["suggestion"] = (
                self.text("issues", "unknown-column-suggestion", suggest=suggest) if suggest else ""
            )
        return self.text("issues", key, **params)

    def fill(self, issues: list[Issue], spec: Spec | None) -> None:
        """Set ``message`` on each issue."""
        for issue in issues:
            issue.message = self.issue_message(issue, spec)

    def fill_result(self, result: FileResult, spec: Spec | None) -> None:
        """Set ``message`` on every issue and note of one file's result."""
        self.fill(result.issues, spec)
        self.fill(result.notes, spec)
