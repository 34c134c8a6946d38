"""A trace for scripts and diagrams: JSON, CSV, Mermaid and Graphviz DOT text.

JSON (``to_json``) is :meth:`TraceResult.to_dict`:

* ``root``, ``direction`` (backward, forward, both), ``max_depth`` (null when unlimited);
* ``lots``: ``{lot_id, depth, side, part_no, parents, children, cut}``, root first, then by
  side, depth and id. ``parents`` consumed the lot, ``children`` were consumed by it (traced
  lots only); ``side`` is root, backward or forward; ``cut`` marks a lot at the depth limit
  with links not followed;
* ``edges``: every genealogy row crossed ``{parent, child, work_order, operator, part_no,
  parent_part_no, qty, consumed_at}``;
* ``supplier_lots``: traced lots with an inspection record ``{lot_id, supplier_id, part_no,
  decision, cpk, received_date, work_orders, operators}``;
* ``work_orders``, ``operators``: sorted ids over the edges crossed;
* ``shipments``: ``{shipment_id, lot_id, customer, qty, shipped_date, ship_to, part_no}``;
  ``customers``: ``{customer, qty, lots, shipments}``, largest quantity first;
* ``in_plant``: forward end lots never shipped; ``cycles``: lists of lots, each consuming the
  next, first repeated last; ``missing``: ``{lot_id, reason, via}``;
* ``complaint`` (only when traced from one) and ``store`` (``genealogy_version``,
  ``index_rebuilt``).

Diagrams draw material flow: an arrow goes from the consumed lot to the lot made from it,
labelled with the work order.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from qsync.safety import neutralise
from qsync.trace.model import Shipment, TraceResult

CSV_FIELDS = (
    "lot_id",
    "side",
    "depth",
    "part_no",
    "parents",
    "children",
    "supplier_id",
    "decision",
    "cpk",
    "work_orders",
    "operators",
    "shipped_qty",
    "customers",
    "shipments",
    "in_plant",
    "missing",
)
_SEPARATOR = "|"


def to_json(result: TraceResult) -> str:
    """The documented JSON form (UTF-8 text, indented)."""
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)


def to_csv(result: TraceResult) -> str:
    """One line per traced lot (:data:`CSV_FIELDS`), lists joined with ``|``, cells neutralised.

    ``work_orders`` and ``operators`` are those that consumed the lot in the trace.
    """
    suppliers = {s.lot_id: s for s in result.supplier_lots}
    missing = {m.lot_id: m.reason for m in result.missing}
    in_plant = set(result.in_plant)
    consumed_by: dict[str, list[tuple[str | None, str | None]]] = {}
    for edge in result.edges:
        consumed_by.setdefault(edge.child, []).append((edge.work_order, edge.operator))
    shipments: dict[str, list[Shipment]] = {}
    for shipment in result.shipments:
        shipments.setdefault(shipment.lot_id, []).append(shipment)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for lot in result.lots:
        supplier = suppliers.get(lot.lot_id)
        shipped = shipments.get(lot.lot_id, [])
        uses = consumed_by.get(lot.lot_id, [])
        row = [
            lot.lot_id,
            lot.side,
            lot.depth,
            lot.part_no,
            _join(lot.parents),
            _join(lot.children),
            supplier.supplier_id if supplier else None,
            supplier.decision if supplier else None,
            supplier.cpk if supplier else None,
            _join(w for w, _ in uses),
            _join(o for _, o in uses),
            sum(s.qty or 0 for s in shipped) if shipped else None,
            _join(s.customer for s in shipped),
            _join(s.shipment_id for s in shipped),
            "yes" if lot.lot_id in in_plant else None,
            missing.get(lot.lot_id),
        ]
        writer.writerow([neutralise("" if v is None else v) for v in row])
    return out.getvalue()


def _join(values: Iterable[object]) -> str:
    return _SEPARATOR.join(sorted({str(v) for v in values if v}))


def _node_ids(result: TraceResult) -> dict[str, str]:
    return {lot.lot_id: f"n{number}" for number, lot in enumerate(result.lots)}


def to_mermaid(result: TraceResult) -> str:
    """A Mermaid flowchart; supplier lots, the root, missing and unshipped lots are styled."""

    def quoted(text: str) -> str:
        return '"' + text.replace('"', "#quot;") + '"'

    ids = _node_ids(result)
    lines = ["flowchart LR"]
    for lot in result.lots:
        label = lot.lot_id if not lot.part_no else f"{lot.lot_id}<br/>{lot.part_no}"
        lines.append(f"  {ids[lot.lot_id]}[{quoted(label)}]")
    for edge in result.edges:
        link = f"-->|{quoted(edge.work_order)}|" if edge.work_order else "-->"
        lines.append(f"  {ids[edge.child]} {link} {ids[edge.parent]}")
    styles = {
        "root": [result.root],
        "supplier": [s.lot_id for s in result.supplier_lots],
        "missing": [m.lot_id for m in result.missing],
        "inplant": result.in_plant,
    }
    lines += [
        "  classDef root stroke-width:3px",
        "  classDef supplier fill:#e8f1fb",
        "  classDef missing stroke:#c00,stroke-dasharray:4",
        "  classDef inplant fill:#fff4d6",
    ]
    for style, members in styles.items():
        if members:
            lines.append(f"  class {','.join(ids[m] for m in members)} {style}")
    return "\n".join(lines) + "\n"


def to_dot(result: TraceResult) -> str:
    """A Graphviz digraph (``dot -Tsvg``); the root is bold, supplier lots filled."""

    def quoted(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return '"' + escaped + '"'

    suppliers = {s.lot_id for s in result.supplier_lots}
    missing = {m.lot_id for m in result.missing}
    lines = ["digraph trace {", "  rankdir=LR;", "  node [shape=box];"]
    for lot in result.lots:
        label = lot.lot_id if not lot.part_no else f"{lot.lot_id}\n{lot.part_no}"
        attributes = [f"label={quoted(label)}"]
        if lot.lot_id == result.root:
            attributes.append("style=bold")
        elif lot.lot_id in suppliers:
            attributes.append('style=filled, fillcolor="#e8f1fb"')
        elif lot.lot_id in missing:
            attributes.append("style=dashed, color=red")
        lines.append(f"  {quoted(lot.lot_id)} [{', '.join(attributes)}];")
    for edge in result.edges:
        label = f" [label={quoted(edge.work_order)}]" if edge.work_order else ""
        lines.append(f"  {quoted(edge.child)} -> {quoted(edge.parent)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"
