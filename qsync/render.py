"""Jinja rendering: the one module that imports Jinja.

Templates live in the workspace's ``templates/`` folder (copied from the packaged defaults by
``qsync init``). HTML templates are autoescaped; an undefined variable is an error, never a
blank, so a template and its data cannot silently drift apart.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from qsync.errors import ConfigError


@cache
def _environment(templates_dir: Path) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=escapes,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = format_number
    return env


MARKUP_SUFFIXES = (".html", ".htm", ".xml", ".svg")


def escapes(name: str | None) -> bool:
    """Whether a template is markup (autoescaped): ``report.html.j2`` is, ``mail.txt.j2`` is not.

    >>> escapes("email/feedback.zh.html.j2"), escapes("email/feedback.zh.txt.j2")
    (True, False)
    """
    return bool(name) and str(name).removesuffix(".j2").endswith(MARKUP_SUFFIXES)


def format_number(value: float | int | None, digits: int = 0, lang: str = "en") -> str:
    """A number for people: thousands separators, fixed digits; missing data as a dash.

    >>> format_number(1234567.891, 2), format_number(None)
    ('1,234,567.89', '—')
    """
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def render(templates_dir: Path, name: str, **context: Any) -> str:
    """Render template ``name`` (a path inside ``templates_dir``) with ``context``.

    Raises :class:`ConfigError` naming the template when it is missing or uses a variable
    the caller did not supply.
    """
    from jinja2 import TemplateError, TemplateNotFound

    env = _environment(templates_dir.resolve())
    try:
        return str(env.get_template(name).render(**context))
    except TemplateNotFound:
        raise ConfigError(f"template not found: {name}", location=str(templates_dir)) from None
    except TemplateError as exc:
        raise ConfigError(f"template {name}: {exc}", location=str(templates_dir / name)) from None
