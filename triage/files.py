"""Reading and writing files safely: text decoding, YAML and JSON parsing, atomic output.

YAML is read with safe loading only (a ``SafeLoader`` subclass), refusing duplicate keys;
``parse_yaml_lines`` also records the line of every key and list item, so that problems
found later can name their line. JSON refuses duplicate keys too; numbers too long to
convert and nesting too deep are refused naming the field or line. Output files are written
to a temporary file beside them and renamed over them only when complete, under a lock
that makes a second writer refuse (``atomic_output``, ``output_lock``).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from typing import IO, Any

import yaml


class SyntaxProblem(ValueError):
    """The text is not valid JSON or YAML (or not text at all); the message says where."""


MiB = 1024 * 1024
#: The largest case file (or session file, or questionnaire) read: far more than any case needs,
#: little enough that ``/dev/zero`` or a wrong file is refused at once instead of filling memory.
CASE_FILE_LIMIT = 10 * MiB
#: The largest rule file read (the bundled rule files are tens of kilobytes each).
RULE_FILE_LIMIT = 64 * MiB


class TooLarge(ValueError):
    """A file larger than triage reads for its kind (``read_capped``); the message gives the limit."""


def read_capped(file: str | os.PathLike[str] | IO[bytes], limit: int = CASE_FILE_LIMIT,
                what: str = "case file") -> bytes:
    """The bytes of a file (a path, or an open binary stream), reading at most ``limit`` + 1 of them.

    Raises ``TooLarge`` for a file larger than ``limit`` (``/dev/zero`` among them) and
    ``OSError`` as reading does.
    """
    if isinstance(file, str | os.PathLike):
        with open(file, "rb") as handle:
            raw = handle.read(limit + 1)
    else:
        raw = file.read(limit + 1)
    if len(raw) > limit:
        raise TooLarge(f"the file is larger than {limit // MiB} MiB, the most triage reads for a {what} "
                       "(is it the right file?)")
    return raw


def decode(raw: bytes, line: int | None = None) -> str:
    """Bytes of a file as text; UTF-8 (with or without a byte-order mark) only.

    A NUL byte or a byte that is not UTF-8 is refused naming its line (``line``: the number of
    the one line ``raw`` is, for a line of JSON Lines or CSV) and, for UTF-8, its column.
    """
    nul = raw.find(b"\x00")
    if nul >= 0:
        at = line if line is not None else raw.count(b"\n", 0, nul) + 1
        raise SyntaxProblem(f"this is not a text file: a NUL byte on line {at}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = raw.rfind(b"\n", 0, exc.start) + 1
        at = line if line is not None else raw.count(b"\n", 0, exc.start) + 1
        raise SyntaxProblem(f"not UTF-8 text: line {at}, column {exc.start - start + 1}: the byte "
                            f"0x{raw[exc.start]:02x} cannot be decoded") from None


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


#: The most digits Python converts to a number (``sys.get_int_max_str_digits``, 4,300 by default).
MAX_DIGITS = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 4300
_INT_TAG = "tag:yaml.org,2002:int"


def parse_yaml_lines(text: str) -> tuple[Any, Lines]:
    """Parse YAML like ``parse_yaml``, and record the line of every key and list item."""
    try:
        loader = _UniqueKeyLoader(text)  # the reader refuses control characters here, at once
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(text, exc) from None
    try:
        node = loader.get_single_node()
        _lines(node)  # refuses a number too long to convert, naming its field, before construction fails on it
        data = loader.construct_document(node) if node is not None else None
        lines = _lines(node)  # after construction, which resolves merge keys (<<) in the nodes
    except SyntaxProblem:
        raise
    except RecursionError:  # nested deeper than the parser can follow
        place = _deep_yaml_place(text) or f"line {loader.line + 1}: "
        raise SyntaxProblem(f"not valid YAML: {place}lists or mappings nested too deeply") from None
    except (ValueError, TypeError) as exc:
        raise SyntaxProblem(f"not valid YAML: {limit_reason(exc)}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or re.sub(r'\s*in "<unicode string>",?', "", str(exc))
        raise SyntaxProblem(f"not valid YAML: {where}{problem}") from None
    finally:
        loader.dispose()
    return data, lines


def _reader_problem(text: str, exc: yaml.reader.ReaderError) -> SyntaxProblem:
    """A character YAML does not allow, located (the reader gives its position in characters)."""
    line, column = _line_and_column(text, exc.position)
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    shown = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return SyntaxProblem(f"not valid YAML: line {line}, column {column}: the character {shown} is not allowed "
                         "(a control character)")


#: Quoted scalars (skipped), flow brackets, and a line indented by more than 100 spaces (a block nested that deep).
_YAML_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[\[\]{}]|(?m:^[ ]{101,})""")
_TOP_KEY = re.compile(r"(?m)^([^\s#:'\"][^:\n]*):")


def _deep_yaml_place(text: str) -> str:
    """Where a YAML text nests too deeply (flow brackets, or indentation), with its top-level field; or ""."""
    depth = 0
    for token in _YAML_TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
        elif mark in "]}":
            depth -= 1
        if depth > _SHALLOW or mark.startswith(" "):  # flow nesting, or a line indented past any case's depth
            line, column = _line_and_column(text, token.start())
            keys = [m.group(1) for m in _TOP_KEY.finditer(text, 0, token.start())]
            field = f"field '{_path_text((keys[-1].strip(),))}', " if keys else ""
            return f"{field}line {line}, column {column}: "
    return ""


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    """The 1-based line and column of a character position in ``text``."""
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def _lines(root: yaml.Node | None) -> Lines:
    """The line of every key and list item; refuses, located, a number too long to convert."""
    found: dict[tuple[Any, ...], int] = {}
    visited: set[int] = set()  # an alias is the same node: visit it once (a YAML bomb would be exponential)
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, path = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG and _int_digits(node.value) > MAX_DIGITS:
            where = f"field '{_path_text(path)}' (line {node.start_mark.line + 1})" if path else \
                f"line {node.start_mark.line + 1}"
            raise SyntaxProblem(f"not valid YAML: {where}: {_long_number(_int_digits(node.value))}")
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


#: Decimal digits per digit of a YAML integer written in base 16, 8 or 2 (0x, 0o or 0, 0b: YAML 1.1).
_DIGITS_PER = {"0x": math.log10(16), "0o": math.log10(8), "0b": math.log10(2)}


def _int_digits(text: str) -> int:
    """How many decimal digits the YAML integer ``text`` has (at least): hexadecimal, octal, binary and
    underscores included, which pass a count of characters but not Python's conversion to text."""
    body = text.strip().lstrip("+-").replace("_", "").lower()
    per = _DIGITS_PER.get(body[:2])
    if per is None:
        return len(body.replace(":", ""))  # decimal, old octal (0777), or base 60 (1:30:00): never more digits
    return math.ceil((len(body) - 2) * per)


def _path_text(path: tuple[Any, ...]) -> str:
    """``('a', 0, 'b')`` as ``a[0].b``, each name shown escaped and cut short."""
    from .validation import format_location  # validation imports pydantic: only on this error path

    return format_location(path)


def _long_number(digits: int) -> str:
    return f"a number of {digits:,} digits is too long (at most {MAX_DIGITS:,})"


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            from .validation import quoted

            raise SyntaxProblem(f"not valid JSON: the key {quoted(key)} appears twice in one object")
        result[key] = value
    return result


class _LongNumber:
    """Stands for an integer with more digits than Python converts, so that its field can be named."""

    def __init__(self, digits: int):
        self.digits = digits


def _parse_int(text: str) -> int | _LongNumber:
    return int(text) if len(text) <= MAX_DIGITS else _LongNumber(len(text.lstrip("-")))


def parse_json(text: str) -> Any:
    """Parse JSON, refusing duplicate keys; a number too long or nesting too deep is refused, located."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_pairs, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        # json's words end in "at" where it appends the place ("Unterminated string starting at"): the place is ours.
        words = exc.msg.removesuffix(" starting at").removesuffix(" at")
        raise SyntaxProblem(f"not valid JSON: line {exc.lineno}, column {exc.colno}: {words}") from None
    except SyntaxProblem:
        raise
    except RecursionError:
        raise SyntaxProblem(f"not valid JSON: {_deep_place(text)}lists or objects nested too deeply") from None
    except ValueError as exc:
        raise SyntaxProblem(f"not valid JSON: {limit_reason(exc)}") from None
    if len(text) > MAX_DIGITS:  # a long number needs a long text: look for one only then
        _refuse_long_numbers(data)
    return data


def _refuse_long_numbers(data: Any) -> None:
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, _LongNumber):
            where = f"field '{_path_text(path)}'" if path else "the whole document"
            raise SyntaxProblem(f"not valid JSON: {where}: {_long_number(value.digits)}")
        if isinstance(value, dict):
            stack += [((*path, k), v) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [((*path, n), v) for n, v in enumerate(value)]


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"\s*:?|[\[\]{}]')
_SHALLOW = 100  # no case nests this deep; a document that does is reported where it passes this depth


def _deep_place(text: str) -> str:
    """Where a JSON text nests too deeply: the top-level field holding it, and the line and column."""
    depth, key = 0, None
    for token in _JSON_TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > _SHALLOW:
                line, column = _line_and_column(text, token.start())
                field = f"field '{_path_text((key,))}', " if key is not None else ""
                return f"{field}line {line}, column {column}: "
        elif mark in "]}":
            depth -= 1
        elif mark.endswith(":") and depth == 1:
            key = json.loads(mark[:-1].rstrip())
    return ""


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


# Output files live in output_files; imported here, where they always were.
from .output_files import OutputTarget, atomic_output, output_lock, output_target  # noqa: E402

__all__ = ["CASE_FILE_LIMIT", "RULE_FILE_LIMIT", "Lines", "OutputTarget", "SyntaxProblem", "TooLarge",
           "atomic_output", "decode", "has_lone_surrogate", "output_lock", "output_target", "parse_by_suffix",
           "parse_json", "parse_yaml", "parse_yaml_lines", "read_capped"]
