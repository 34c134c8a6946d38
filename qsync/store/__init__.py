"""The store: Delta Lake tables, the submissions log, quarantine and the raw file archive.

A folder (or object-store prefix) holding one Delta table per canonical table, plus
``submissions`` (one row per file received), ``quarantine`` (rejected rows with their values
and issues) and ``raw/<sha256>`` (every file received, byte for byte). Every stored row carries
its provenance: ``_submission`` (the file's sha256), ``_file``, ``_sheet``, ``_page``, ``_row``
and ``_received_at``.

Only :mod:`qsync.store.delta` imports ``deltalake``; importing this package imports neither
it nor Polars, so the command line stays fast.

>>> from qsync.store import StoreLocation
>>> StoreLocation.parse("s3://plant1/qsync", environ={}).is_local
False
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsync.store.audit import (
    HistoryEntry,
    StoredRecord,
    history,
    parse_as_of,
    parse_key,
    read_table,
    show,
)
from qsync.store.core import Store
from qsync.store.location import StoreLocation, workspace_location

if TYPE_CHECKING:
    from qsync.config import Workspace

__all__ = [
    "HistoryEntry",
    "Store",
    "StoreLocation",
    "StoredRecord",
    "history",
    "open_store",
    "parse_as_of",
    "parse_key",
    "read_table",
    "show",
    "workspace_location",
]


def open_store(workspace: Workspace) -> Store:
    """The store of a workspace (``paths.store``); a missing local folder is a StoreError.

    >>> from qsync.config import init_workspace
    >>> import tempfile, pathlib
    >>> ws = init_workspace(pathlib.Path(tempfile.mkdtemp()) / "ws")
    >>> open_store(ws).tables()
    []
    """
    return Store.open(workspace_location(workspace))
