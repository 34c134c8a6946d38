"""Walking the genealogy from one lot, breadth first, with a depth limit; finding cycles.

A walk visits each lot once (a lot reached by two paths, a diamond, appears once at its
shortest depth) but keeps every edge it crosses, so that every consumed batch and every work
order is listed. An edge back to a lot already visited never re-enters it: cycles cannot loop,
and are reported afterwards from the edges walked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from qsync.trace.graph import Genealogy

Direction = Literal["backward", "forward"]


@dataclass
class Walk:
    """Lot codes reached with their depth, the edges crossed, and where the limit cut."""

    direction: Direction
    root: int
    depth: dict[int, int] = field(default_factory=dict)
    edges: list[tuple[int, int, int]] = field(default_factory=list)
    """``(edge, from code, to code)`` in walk order: ``to`` is one step further from the root."""
    cut: set[int] = field(default_factory=set)
    """Lots at the depth limit that have further neighbours not walked."""


def _step(graph: Genealogy, direction: Direction, code: int) -> Iterator[tuple[int, int]]:
    return graph.consumed(code) if direction == "backward" else graph.consumers(code)


def _more(graph: Genealogy, direction: Direction, code: int) -> bool:
    return graph.has_consumed(code) if direction == "backward" else graph.has_consumers(code)


def walk(graph: Genealogy, root: int, direction: Direction, max_depth: int | None) -> Walk:
    """Every lot reachable from ``root`` in ``direction``, up to ``max_depth`` steps.

    Backward follows what each lot consumed (down to supplier lots); forward follows what
    consumed it (up to finished lots).
    """
    result = Walk(direction, root, {root: 0})
    frontier, level = [root], 0
    while frontier:
        if max_depth is not None and level >= max_depth:
            result.cut = {code for code in frontier if _more(graph, direction, code)}
            break
        following = []
        for code in frontier:
            for edge, other in _step(graph, direction, code):
                result.edges.append((edge, code, other))
                if other not in result.depth:
                    result.depth[other] = level + 1
                    following.append(other)
        frontier, level = following, level + 1
    return result


def find_cycles(edges: list[tuple[int, int, int]], root: int) -> list[list[int]]:
    """The cycles among walked ``edges``: each as its lots in order, first lot repeated last.

    Depth-first search from ``root`` without recursion; an edge to a lot still on the search
    path closes a cycle. Each cycle is reported once, starting from its smallest code.

    >>> find_cycles([(0, 1, 2), (1, 2, 3), (2, 3, 1), (3, 1, 4)], 1)
    [[1, 2, 3, 1]]
    """
    following: dict[int, list[int]] = {}
    for _, start, end in edges:
        following.setdefault(start, []).append(end)
    on_path: dict[int, int] = {}
    done: set[int] = set()
    path: list[int] = []
    found: dict[tuple[int, ...], list[int]] = {}
    stack: list[tuple[int, Iterator[int]]] = [(root, iter(following.get(root, ())))]
    on_path[root], path = 0, [root]
    while stack:
        code, successors = stack[-1]
        nxt = next(successors, None)
        if nxt is None:
            stack.pop()
            path.pop()
            del on_path[code]
            done.add(code)
        elif nxt in on_path:
            loop = path[on_path[nxt] :]
            turn = loop.index(min(loop))
            ordered = loop[turn:] + loop[:turn]
            found.setdefault(tuple(ordered), [*ordered, ordered[0]])
        elif nxt not in done:
            on_path[nxt] = len(path)
            path.append(nxt)
            stack.append((nxt, iter(following.get(nxt, ()))))
    return list(found.values())
