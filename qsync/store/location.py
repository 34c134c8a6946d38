"""Where the store lives: a local folder (the embedded default) or an object-store URI.

``paths.store`` in ``qsync.yaml`` is either a folder, relative to the workspace, or a URI such
as ``s3://bucket/prefix``. Credentials for S3 come from the usual ``AWS_*`` environment
variables (``AWS_ENDPOINT_URL`` for a custom endpoint, ``AWS_ALLOW_HTTP=true`` for plain HTTP);
they are passed to the Delta Lake engine explicitly, never written anywhere.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qsync.config import Workspace

_URI = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# Environment variables forwarded to the object store for s3:// locations.
_AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ALLOW_HTTP",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
    "AWS_CONDITIONAL_PUT",
    "AWS_S3_ALLOW_UNSAFE_RENAME",
)


@dataclass(frozen=True)
class StoreLocation:
    """The root of a store: a local folder or an object-store URI, with its storage options.

    >>> StoreLocation.parse("/srv/qsync/store").join("inspections")
    '/srv/qsync/store/inspections'
    >>> StoreLocation.parse("s3://plant1/qsync/", environ={}).join("raw", "ab12")
    's3://plant1/qsync/raw/ab12'
    """

    root: str
    storage_options: dict[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def parse(
        cls, text: str, base: Path | None = None, environ: dict[str, str] | None = None
    ) -> StoreLocation:
        """A location from a settings value: a URI as is, a folder resolved against ``base``."""
        if _URI.match(text):
            scheme = text.split("://", 1)[0].lower()
            options = _aws_options(os.environ if environ is None else environ)
            return cls(text.rstrip("/"), options if scheme in ("s3", "s3a") else {})
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        return cls(str(path.resolve()))

    @property
    def is_local(self) -> bool:
        """True for a folder on this machine (file locks and atomic renames work)."""
        return not _URI.match(self.root)

    @property
    def path(self) -> Path:
        """The local folder; only for local locations."""
        if not self.is_local:
            raise ValueError(f"{self.root} is not a local folder")
        return Path(self.root)

    def join(self, *parts: str) -> str:
        """The location of something inside the store."""
        return "/".join((self.root.rstrip("/"), *parts))

    def __str__(self) -> str:
        return self.root


def _aws_options(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    options = {name: environ[name] for name in _AWS_ENV if environ.get(name)}
    if "AWS_REGION" not in options and environ.get("AWS_DEFAULT_REGION"):
        options["AWS_REGION"] = environ["AWS_DEFAULT_REGION"]
    if "AWS_ENDPOINT_URL" not in options and environ.get("AWS_ENDPOINT_URL_S3"):
        options["AWS_ENDPOINT_URL"] = environ["AWS_ENDPOINT_URL_S3"]
    return options


def workspace_location(workspace: Workspace) -> StoreLocation:
    """The store of a workspace, from ``paths.store`` in its settings."""
    base = workspace.root or Path.cwd()
    return StoreLocation.parse(workspace.settings.paths.store, base)
