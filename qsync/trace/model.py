"""What a trace returns: plain dataclasses with a stable JSON form, and the trace errors."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from qsync.errors import ExitCode, QsyncError
from qsync.trace.graph import Edge

TraceDirection = Literal["backward", "forward", "both"]


@dataclass
class Lot:
    """One lot reached: its distance from the root and its genealogy neighbours in the trace.

    ``parents`` are the traced lots that consumed it, ``children`` the traced lots it consumed;
    ``side`` says which walk reached it (``root`` for the start). ``cut`` marks a lot at the
    ``--depth`` limit that has further links not followed.
    """

    lot_id: str
    depth: int
    side: Literal["root", "backward", "forward"]
    part_no: str | None = None
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    cut: bool = False


@dataclass
class SupplierLot:
    """A traced lot with an incoming-inspection record, and who consumed it in the trace."""

    lot_id: str
    supplier_id: str | None
    part_no: str | None
    decision: str | None
    cpk: float | None
    received_date: str | None
    work_orders: list[str]
    operators: list[str]


@dataclass
class Shipment:
    """One traced lot on one delivery note."""

    shipment_id: str
    lot_id: str
    customer: str | None
    qty: int | None
    shipped_date: str | None
    ship_to: str | None
    part_no: str | None


@dataclass
class CustomerTotal:
    """What one customer received of the traced lots."""

    customer: str
    qty: int
    lots: list[str]
    shipments: list[str]


@dataclass
class Missing:
    """A link the store cannot follow: a lot with no further record.

    ``reason`` is ``no-inspection`` (a consumed lot neither produced here nor received with an
    inspection record) or ``no-genealogy`` (the root has no genealogy record in that direction
    and no inspection record).
    """

    lot_id: str
    reason: str
    via: list[str]


@dataclass
class TraceResult:
    """The answer of one trace. ``to_dict`` is the documented JSON form."""

    root: str
    direction: TraceDirection
    max_depth: int | None
    lots: list[Lot]
    edges: list[Edge]
    supplier_lots: list[SupplierLot]
    work_orders: list[str]
    operators: list[str]
    shipments: list[Shipment]
    customers: list[CustomerTotal]
    in_plant: list[str]
    cycles: list[list[str]]
    missing: list[Missing]
    complaint: dict[str, Any] | None = None
    store: dict[str, Any] = field(default_factory=dict)

    def lot(self, lot_id: str) -> Lot | None:
        """The traced lot ``lot_id``, if reached."""
        return next((lot for lot in self.lots if lot.lot_id == lot_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, documented in :mod:`qsync.trace.output`."""
        data = asdict(self)
        if data["complaint"] is None:
            del data["complaint"]
        return data


@dataclass
class TraceError(QsyncError):
    """Nothing to trace: an unknown lot or complaint (exit 1).

    ``reference`` is a key of the ``trace`` section of the message catalogue and ``params``
    fill it; ``message`` is the English fallback.
    """

    reference: str = "unknown-lot"
    exit_code: ExitCode = ExitCode.INVALID_DATA
