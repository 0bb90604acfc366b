"""YAML with line numbers: load a document and remember where each value was written.

PyYAML's composer keeps a *mark* (line, column) on every node; the plain loaders
drop them when they build Python objects. :func:`load` builds the objects as
``yaml.safe_load`` does and returns, next to them, the line of every mapping key
and sequence item by its path (``("jurisdictions", 0, "mac", "slope")``), so a
pydantic error's ``loc`` can be turned into "line 12" (:func:`line_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

Path = tuple[str | int, ...]


def load(text: str) -> tuple[Any, dict[Path, int]]:
    """The document and ``{path: line}`` (1-based). Raises ``yaml.YAMLError``."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    marks: dict[Path, int] = {(): node.start_mark.line + 1}
    _walk(node, (), marks)
    return data, marks


def _walk(node: yaml.Node, path: Path, marks: dict[Path, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                # ``<<: *anchor``: the merged keys were written at the anchor
                for merged in _merged(value_node):
                    _walk(merged, path, marks)
                continue
            key = key_node.value
            for k in _keys(key):
                marks.setdefault((*path, k), key_node.start_mark.line + 1)
                _walk(value_node, (*path, k), marks)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            marks[(*path, i)] = item.start_mark.line + 1
            _walk(item, (*path, i), marks)


def _merged(node: yaml.Node) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else [node]


def _keys(key: str) -> list[str | int]:
    """A key as pydantic reports it: YAML ``2030:`` is the int 2030 in the data."""
    keys: list[str | int] = [key]
    if key.lstrip("-").isdigit():
        keys.append(int(key))
    return keys


def line_of(loc: Sequence[str | int], marks: dict[Path, int]) -> int | None:
    """The line of the longest prefix of ``loc`` that was written in the file.

    Pydantic inserts names of union members or validators into ``loc`` (e.g.
    ``("mac", "linear", "slope")``); those are skipped."""
    path: Path = ()
    best = marks.get(())
    for part in loc:
        candidate = (*path, part)
        if candidate in marks:
            path = candidate
            best = marks[path]
    return best


_TYPE_TAGS = {"float", "int", "str", "bool", "list", "dict", "tuple", "none"}


def written(loc: Sequence[str | int], marks: dict[Path, int]) -> list[str | int]:
    """The parts of ``loc`` a reader of the file recognises: keys and indexes that
    were written, and a last key that is missing (not a pydantic union tag)."""
    path: Path = ()
    for part in loc:
        if (*path, part) in marks:
            path = (*path, part)
    parts: list[str | int] = list(path)
    last = loc[-1] if loc else None
    if (
        isinstance(last, str)
        and last not in parts
        and last.isidentifier()
        and last.lower() not in _TYPE_TAGS
        and not last[0].isupper()
    ):
        parts.append(last)
    return parts
