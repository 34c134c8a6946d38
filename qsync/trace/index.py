"""The trace index: one pack per store table, rebuilt when missing or stale.

The index lives in ``<store>/_trace_index/`` as ``genealogy.pack``, ``inspections.pack``,
``shipments.pack`` and ``complaints.pack``. Each records the Delta version of the table it was
built from; a part is *stale* when that version differs from the table's current version (or
the file is missing, unreadable or of another format), and is then rebuilt before use. Ingest
calls :func:`rebuild_index` after writing genealogy so that the next trace finds it fresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from qsync.errors import StoreError
from qsync.trace.build import LAYOUT, BuildInfo, Built, build_genealogy, build_lookup
from qsync.trace.graph import Genealogy, Lookup
from qsync.trace.packfile import Pack, read_meta, write_pack
from qsync.trace.source import (
    COMPLAINTS,
    GENEALOGY,
    INSPECTIONS,
    SHIPMENTS,
    reading,
    store_of,
    table_version,
)

if TYPE_CHECKING:
    from qsync.config import Workspace

INDEX_FOLDER = "_trace_index"
Builder = Callable[[Path, "int | None"], Built]

_LOOKUPS: dict[str, tuple[str, list[str]]] = {
    INSPECTIONS: (
        "lot_id",
        ["supplier_id", "part_no", "decision", "cpk", "received_date", "qty_received"],
    ),
    SHIPMENTS: (
        "lot_id",
        ["shipment_id", "customer", "qty", "shipped_date", "ship_to", "part_no"],
    ),
    COMPLAINTS: (
        "complaint_id",
        ["lot_id", "customer", "part_no", "received_date", "status", "defect_description"],
    ),
}
PARTS: dict[str, Builder] = {
    GENEALOGY: build_genealogy,
    **{
        name: partial(build_lookup, name=name, key=key, columns=columns)
        for name, (key, columns) in _LOOKUPS.items()
    },
}


def part_path(store: Path, name: str) -> Path:
    """The pack file of index part ``name`` in ``store``."""
    return store / INDEX_FOLDER / f"{name}.pack"


def is_stale(store: Path, name: str) -> bool:
    """Whether part ``name`` is missing, of another layout, or built from another version of
    its table (the staleness rule: Delta version recorded in the part ≠ the table's now)."""
    meta = read_meta(part_path(store, name))
    if meta is None or meta.get("layout") != LAYOUT:
        return True
    return bool(meta.get("version") != table_version(store / name))


def no_genealogy(store: Path) -> StoreError:
    """The error for a store without a genealogy table (nothing to trace)."""
    return StoreError(
        "the store has no genealogy table",
        reference="no-genealogy",
        location=str(store / GENEALOGY),
        hint="Load the MES lot genealogy with `qsync ingest` first.",
    )


def build_part(store: Path, name: str) -> BuildInfo:
    """(Re)build one part from the current version of its table, and write it."""
    table, target = store / name, part_path(store, name)
    version = table_version(table)
    if version is None and name == GENEALOGY:
        raise no_genealogy(store)
    if version is None:
        built = PARTS[name](table, None)
    else:
        with reading(table):
            built = PARTS[name](table, version)
    try:
        write_pack(target, built.meta, built.sections)
    except OSError as exc:
        raise StoreError(
            f"cannot write the trace index: {exc}",
            reference="trace-index-unwritable",
            location=str(target),
            hint="Check that the store folder is writable, then run the trace again.",
        ) from None
    return built.info


def rebuild_index(
    workspace: Workspace | Path, tables: Iterable[str] | None = None
) -> dict[str, BuildInfo]:
    """Rebuild the trace index of ``workspace`` (or of a store folder): every part, or ``tables``.

    Call it after writing genealogy (or inspections, shipments, complaints) so that the next
    ``qsync trace`` does not pay for the rebuild. Returns what each part build did.

    Example: ``rebuild_index(find_workspace(), tables=["genealogy"])``
    """
    store = store_of(workspace)
    chosen = list(PARTS) if tables is None else list(tables)
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        raise ValueError(f"unknown trace index parts: {unknown}; expected some of {list(PARTS)}")
    return {name: build_part(store, name) for name in chosen}


@dataclass
class TraceIndex:
    """The fresh parts of a store's trace index, opened on first use."""

    store: Path
    rebuilt: dict[str, BuildInfo] = field(default_factory=dict)
    _open: dict[str, Pack] = field(default_factory=dict)
    _graph: Genealogy | None = None

    def _pack(self, name: str) -> Pack:
        if name not in self._open:
            if is_stale(self.store, name):
                self.rebuilt[name] = build_part(self.store, name)
            self._open[name] = Pack.open(part_path(self.store, name))
        return self._open[name]

    def genealogy(self) -> Genealogy:
        """The genealogy graph; a store without a genealogy table is a :class:`StoreError`."""
        if self._graph is None:
            self._graph = Genealogy(self._pack(GENEALOGY))
        return self._graph

    def lookup(self, name: str) -> Lookup:
        """A lookup part (inspections, shipments or complaints); empty when the table is absent."""
        return Lookup(self._pack(name))

    def version(self, name: str) -> int | None:
        """The table version the opened part ``name`` was built from."""
        version = self._pack(name).meta.get("version")
        return None if version is None else int(version)
