"""YAML loading that remembers where each key came from.

Rule files are written by quality engineers, so a mistake must be reported at its line:
``rules/specs/inspections.yaml:14 columns.lot_id.aliases: expected a list of strings``.
This module parses YAML into plain Python data plus a map from key path to line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that reads ``yes``/``no``/``on``/``off`` and dates as text.

    Suppliers' enum aliases include ``OK``, ``NO`` and ``Y``; YAML 1.1 would silently turn
    some of them into booleans. Only ``true``/``false`` are booleans here, and ``2026-10-05``
    stays the text it is (rules compare it with supplier text, never with a Python date).
    """


_DROPPED_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
_StrictLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED_TAGS]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass
class YamlSource:
    """Parsed YAML data with the line (1-based) of every mapping key and sequence item."""

    path: Path
    display: str
    data: Any
    lines: dict[Path_, int]

    def line_of(self, loc: Path_) -> int:
        """Line of the deepest known prefix of ``loc`` (1 when nothing matches).

        >>> src = YamlSource(Path("x"), "x", {}, {("a",): 3, ("a", "b"): 4})
        >>> src.line_of(("a", "b", 0)), src.line_of(("a", "c")), src.line_of(("z",))
        (4, 3, 1)
        """
        for cut in range(len(loc), 0, -1):
            line = self.lines.get(tuple(loc[:cut]))
            if line is not None:
                return line
        return 1


def _walk(node: yaml.Node, prefix: Path_, lines: dict[Path_, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            path = (*prefix, key)
            lines[path] = key_node.start_mark.line + 1
            _walk(value_node, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            path = (*prefix, i)
            lines[path] = item.start_mark.line + 1
            _walk(item, path, lines)


def load_yaml(path: Path, display: str | None = None) -> YamlSource:
    """Parse a YAML file, keeping line numbers.

    Raises ``yaml.YAMLError`` (with its own line) on syntax errors; callers turn that into a
    configuration error.
    """
    text = path.read_text(encoding="utf-8")
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return YamlSource(path=path, display=display or str(path), data=data, lines=lines)
