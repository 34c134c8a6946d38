"""Lot genealogy: backward to supplier lots, forward to customers (the recall scope).

``trace`` answers one query from the memory-mapped index of :mod:`qsync.trace.index`, which it
rebuilds when missing or stale; ``rebuild_index`` lets ingest refresh it after writing.
Importing this package does not import Polars: only a rebuild does.
"""

from qsync.trace.index import rebuild_index
from qsync.trace.model import TraceError, TraceResult
from qsync.trace.query import trace

__all__ = ["TraceError", "TraceResult", "rebuild_index", "trace"]
