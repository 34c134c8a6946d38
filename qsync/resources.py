"""Where the packaged default ``rules/`` and ``templates/`` live.

In a wheel they are shipped under ``qsync/_defaults/``; in a source checkout they are the
top-level ``rules/`` and ``templates/`` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _default_dir(name: str) -> Path:
    shipped = _PACKAGE / "_defaults" / name
    return shipped if shipped.is_dir() else _PACKAGE.parent / name


def default_rules_dir() -> Path:
    """The packaged default rules folder."""
    return _default_dir("rules")


def default_templates_dir() -> Path:
    """The packaged default templates folder."""
    return _default_dir("templates")


def sample_data_dir() -> Path:
    """The bundled sample supplier files used by ``qsync demo``."""
    return _default_dir("sample_data")
