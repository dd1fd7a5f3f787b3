"""Reading and writing files safely: text decoding, YAML and JSON parsing, atomic output.

YAML is read with safe loading only (a ``SafeLoader`` subclass), refusing duplicate keys;
``parse_yaml_lines`` also records the line of every key and list item, so that problems
found later can name their line. JSON refuses duplicate keys too. Output files are
written to a temporary file beside them and renamed over them only when complete.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml


class SyntaxProblem(ValueError):
    """The text is not valid JSON or YAML (or not text at all); the message says where."""


def decode(raw: bytes) -> str:
    """Bytes of a file as text; UTF-8 (with or without a byte-order mark) only."""
    if b"\x00" in raw:
        raise SyntaxProblem("this is not a text file (it contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SyntaxProblem(
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at position {exc.start} cannot be decoded"
        ) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a mapping with the same key twice (PyYAML keeps the last silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)  # resolve merge keys (<<: *anchor) before looking for duplicates
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a name, not a list or mapping", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice in one mapping", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class Lines:
    """The line (1-based) of each key and list item of a YAML document, by its path of keys and indexes."""

    by_path: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def of(self, path: tuple[Any, ...]) -> int | None:
        """The line of ``path``, or of its longest prefix that exists; None when not even the first part does."""
        for end in range(len(path), 0, -1):
            line = self.by_path.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def parse_yaml(text: str) -> Any:
    """Parse YAML with safe loading only, refusing duplicate keys."""
    return parse_yaml_lines(text)[0]


def parse_yaml_lines(text: str) -> tuple[Any, Lines]:
    """Parse YAML like ``parse_yaml``, and record the line of every key and list item."""
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        lines = _lines(node)
    except (RecursionError, ValueError, TypeError) as exc:  # too deep, or a number too long to convert
        raise SyntaxProblem(f"not valid YAML: {limit_reason(exc)}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SyntaxProblem(f"not valid YAML: {where}{problem}") from None
    finally:
        loader.dispose()
    return data, lines


def _lines(root: yaml.Node | None) -> Lines:
    found: dict[tuple[Any, ...], int] = {}
    visited: set[int] = set()  # an alias is the same node: visit it once (a YAML bomb would be exponential)
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, path = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key_path = (*path, key_node.value)
                    found.setdefault(key_path, key_node.start_mark.line + 1)
                    stack.append((value_node, key_path))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                found.setdefault((*path, index), item.start_mark.line + 1)
                stack.append((item, (*path, index)))
    return Lines(found)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise SyntaxProblem(f"not valid JSON: the key {key!r} appears twice in one object")
        result[key] = value
    return result


def parse_json(text: str) -> Any:
    """Parse JSON, refusing duplicate keys."""
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs)
    except json.JSONDecodeError as exc:
        raise SyntaxProblem(f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except SyntaxProblem:
        raise
    except (RecursionError, ValueError) as exc:  # too deep, or a number too long to convert
        raise SyntaxProblem(f"not valid JSON: {limit_reason(exc)}") from None


def limit_reason(exc: BaseException) -> str:
    """Why a parser gave up on pathological input, in plain words."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if "digits" in str(exc):
        return "a number has too many digits"
    return str(exc)


def has_lone_surrogate(text: str) -> bool:
    """Whether text holds a lone surrogate (from a JSON escape such as \\ud800), which is not valid Unicode."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_by_suffix(text: str, suffix: str) -> Any:
    """Parse JSON for ``.json``, YAML for ``.yaml``/``.yml``; guess from the first character otherwise."""
    suffix = suffix.lower()
    if suffix == ".json" or (suffix not in (".yaml", ".yml") and text.lstrip().startswith(("{", "["))):
        return parse_json(text)
    return parse_yaml(text)


@contextmanager
def atomic_output(path: str | Path | None, mode: int | None = None) -> Iterator[IO[str]]:
    """A text stream that replaces ``path`` only when the block ends without error.

    The data goes to a temporary file beside ``path`` and is renamed over it at the end,
    so an interrupt or crash never leaves a half-written file where a good one was.
    ``None`` or ``-`` writes to standard output. ``mode`` (e.g. ``0o600`` for a file of
    health answers) is set on the temporary file before anything is written to it, so the
    data is never readable by others, not even for a moment.
    """
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, before the rename
        "w", encoding="utf-8", newline="", dir=target.parent or ".", prefix=f".{target.name}.", suffix=".partial",
        delete=False,
    )
    try:
        with handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
