"""The ``alert_events`` table in the store: read every event, append new ones.

A small layer on :mod:`qsync.store.delta`: the table is created on first write with the
schema of :func:`qsync.alerts.state.event_schema`, and each batch of events is one Delta
append (one commit), which concurrent writers may do safely. Events are never updated or
deleted, so Delta time travel shows what the journal said at any moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from qsync.alerts.model import Alert
from qsync.alerts.state import EVENTS_TABLE, event_schema, events_frame, fold

if TYPE_CHECKING:
    import polars as pl

    from qsync.store import Store


def read_events(store: Store) -> pl.DataFrame:
    """Every alert event (an empty frame with the schema before the first one)."""
    import polars as pl

    from qsync.store import delta

    target = store.target(EVENTS_TABLE)
    if not delta.exists(target):
        return pl.DataFrame(schema=event_schema())
    return delta.read(target)


def load_alerts(store: Store) -> dict[str, Alert]:
    """The state of every alert in the store, by id."""
    return fold(read_events(store))


def append_events(
    store: Store, events: Iterable[Mapping[str, Any]], metadata: Mapping[str, str]
) -> int:
    """Append ``events`` in one commit; returns how many were written (0: no commit)."""
    from qsync.store import delta

    frame = events_frame(events)
    if frame.height == 0:
        return 0
    target = store._ensure(EVENTS_TABLE, event_schema(), "qsync: alert events (append-only)")
    delta.append(target, frame, {"qsync.operation": "alerts", **metadata}, evolve=False)
    return frame.height
