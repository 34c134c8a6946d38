"""Where trace reads the store: table folders, their Delta versions, and one scan function.

Every read of a store table by the trace package goes through :func:`scan_table` (the store's
own :func:`qsync.store.delta.scan`, whose engine failures are StoreErrors naming the table).
:func:`table_version` reads the Delta log folder listing only (no Polars, no deltalake): it
runs on every one-shot ``qsync trace`` to decide whether the index is stale.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from qsync.errors import StoreError

if TYPE_CHECKING:
    import polars as pl

    from qsync.config import Workspace
    from qsync.store.delta import Target

GENEALOGY = "genealogy"
INSPECTIONS = "inspections"
SHIPMENTS = "shipments"
COMPLAINTS = "complaints"
_COMMIT = re.compile(r"^(\d{20})\.(?:json|checkpoint\.parquet|checkpoint\.\d+\.\d+\.parquet)$")


def store_folder(workspace: Workspace) -> Path:
    """The local store folder of ``workspace`` (Delta tables at ``<store>/<table>``).

    The trace index is memory-mapped, so it needs the store on this machine; a store on
    object storage is a StoreError for trace.
    """
    from qsync.store.location import workspace_location

    location = workspace_location(workspace)
    if not location.is_local:
        raise StoreError(
            "trace needs a store folder on this machine",
            reference="trace-remote-store",
            location=location.root,
            hint="Trace a local copy of the store, or set paths.store to a folder.",
        )
    return location.path


def store_of(where: Workspace | Path) -> Path:
    """The store folder: ``where`` itself when it is a path, else the workspace's store."""
    return where if isinstance(where, Path) else store_folder(where)


def table_version(path: Path) -> int | None:
    """The latest committed Delta version of the table at ``path``; ``None`` when absent.

    The newest commit file (``_delta_log/<version>.json``, or a checkpoint when older commit
    files were cleaned up) names the version, as Delta readers resolve it.

    >>> import tempfile
    >>> table_version(Path(tempfile.mkdtemp()) / "genealogy") is None
    True
    """
    try:
        names = [entry.name for entry in (path / "_delta_log").iterdir()]
    except OSError:
        return None
    versions = [int(m.group(1)) for m in map(_COMMIT.match, names) if m]
    return max(versions) if versions else None


def _target(path: Path) -> Target:
    from qsync.store.delta import Target

    return Target(str(path), None, path.name)


def scan_table(path: Path, version: int | None) -> pl.LazyFrame:
    """A lazy scan of one store table as of ``version`` (the latest when ``None``)."""
    from qsync.store.delta import scan

    return scan(_target(path), as_of=version)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Failures while reading the table at ``path`` become StoreErrors naming it."""
    from qsync.store.delta import engine_errors

    with engine_errors(_target(path), f"index {path.name} for trace"):
        yield
