"""The workspace: where settings, rules, templates, inbox, store and outbox live.

A workspace is a folder holding ``qsync.yaml``. It is found from ``--workspace``, then the
``QSYNC_WORKSPACE`` environment variable, then the current folder and its parents. With none,
commands use the packaged default rules and templates (and say so).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qsync.errors import ConfigError
from qsync.resources import default_rules_dir, default_templates_dir
from qsync.yamlsource import load_yaml

SETTINGS_FILE = "qsync.yaml"
ENV_VAR = "QSYNC_WORKSPACE"

DEFAULT_SETTINGS = """\
# qsync workspace settings. Every key is optional; these are the defaults.
lang: zh            # language of messages and reports: zh or en
limits:
  max_file_mb: 512  # supplier files above this size are refused, never read whole
paths:
  inbox: inbox
  store: store      # a folder, or later an object-store URI such as s3://bucket/qsync
  outbox: outbox
ingest:
  move_done: false  # move each stored inbox file to inbox/done/ after its commit
"""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """Safety limits for supplier files."""

    max_file_mb: float = Field(default=512, gt=0)


class Paths(_Strict):
    """Folders of the workspace, relative to its root."""

    inbox: str = "inbox"
    store: str = "store"
    outbox: str = "outbox"


class Ingest(_Strict):
    """How ``qsync ingest`` treats the inbox."""

    move_done: bool = False


class Settings(_Strict):
    """Contents of ``qsync.yaml``."""

    lang: Literal["zh", "en"] = "zh"
    limits: Limits = Field(default_factory=Limits)
    paths: Paths = Field(default_factory=Paths)
    ingest: Ingest = Field(default_factory=Ingest)


@dataclass(frozen=True)
class Workspace:
    """A resolved workspace, or the packaged defaults when ``root`` is ``None``."""

    root: Path | None
    settings: Settings

    @property
    def rules_dir(self) -> Path:
        """The rules folder in use."""
        return self.root / "rules" if self.root else default_rules_dir()

    @property
    def templates_dir(self) -> Path:
        """The templates folder in use."""
        return self.root / "templates" if self.root else default_templates_dir()

    def folder(self, name: Literal["inbox", "store", "outbox"]) -> Path:
        """A workspace folder (inside the current folder when no workspace is in use)."""
        base = self.root or Path.cwd()
        return base / getattr(self.settings.paths, name)

    @property
    def max_bytes(self) -> int:
        """The file size limit in bytes."""
        return int(self.settings.limits.max_file_mb * 1024 * 1024)


def load_settings(path: Path) -> Settings:
    """Read and check ``qsync.yaml``; every mistake is reported with its line."""
    from qsync.rulefile import describe_error

    try:
        source = load_yaml(path, str(path))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read settings: {exc}", location=str(path)) from None
    try:
        return Settings.model_validate(source.data or {})
    except ValidationError as exc:
        details = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            key = ".".join(map(str, loc))
            details.append(f"{path}:{source.line_of(loc)} {key}: {describe_error(dict(error))}")
        raise ConfigError("invalid settings", location=str(path), details=details) from None


def find_workspace(explicit: Path | None = None, cwd: Path | None = None) -> Workspace:
    """Resolve the workspace from ``explicit``, ``$QSYNC_WORKSPACE``, or ``cwd`` and its parents."""
    chosen = explicit or (Path(os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else None)
    if chosen is not None:
        if not (chosen / SETTINGS_FILE).is_file():
            raise ConfigError(
                f"no {SETTINGS_FILE} in {chosen}",
                reference="no-workspace",
                hint=f"Create one with `qsync init {chosen}`.",
            )
        return Workspace(chosen.resolve(), load_settings(chosen / SETTINGS_FILE))
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS_FILE).is_file():
            return Workspace(folder, load_settings(folder / SETTINGS_FILE))
    return Workspace(None, Settings())


def init_workspace(target: Path, *, force: bool = False) -> Workspace:
    """Create a workspace: settings, a copy of the default rules and templates, and folders.

    Existing rules or templates are kept unless ``force`` is set.
    """
    target.mkdir(parents=True, exist_ok=True)
    settings = target / SETTINGS_FILE
    if not settings.exists() or force:
        settings.write_text(DEFAULT_SETTINGS, encoding="utf-8")
    for name, source in (("rules", default_rules_dir()), ("templates", default_templates_dir())):
        destination = target / name
        if destination.exists() and not force:
            continue
        shutil.copytree(source, destination, dirs_exist_ok=True)
    workspace = Workspace(target.resolve(), load_settings(settings))
    for name in ("inbox", "store", "outbox"):
        workspace.folder(name).mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
    return workspace
