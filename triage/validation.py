"""Reading YAML and JSON safely, and turning pydantic errors into located plain-language messages."""

from __future__ import annotations

import difflib
import json
from typing import Any, Iterable

import yaml
from pydantic import ValidationError


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a mapping with the same key twice (PyYAML keeps the last silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)  # resolve merge keys (<<: *anchor) before looking for duplicates
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
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


class SyntaxProblem(ValueError):
    """The text is not valid JSON or YAML; the message says where."""


def parse_yaml(text: str) -> Any:
    """Parse YAML with safe loading only, refusing duplicate keys."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except (RecursionError, ValueError, TypeError) as exc:  # too deep, or a number too long to convert
        raise SyntaxProblem(f"not valid YAML: {_limit_reason(exc)}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SyntaxProblem(f"not valid YAML: {where}{problem}") from None


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
        raise SyntaxProblem(f"not valid JSON: {_limit_reason(exc)}") from None


def _limit_reason(exc: BaseException) -> str:
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


def suggest(name: str, candidates: Iterable[str]) -> str:
    """A "did you mean" hint for a misspelt name, or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return str(value)
    return type(value).__name__


def describe_error(error: dict[str, Any], known_fields: Iterable[str] = ()) -> str:
    """One pydantic error as a plain-language reason (without its location)."""
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx", {})
    if kind == "extra_forbidden":
        name = str(error["loc"][-1]) if error["loc"] else ""
        return f"unknown field{suggest(name, known_fields)}"
    if kind == "missing":
        return "required, but missing"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected a yes/no answer written true or false, got {_describe_value(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {_describe_value(value)}"
    if kind in ("string_type", "str_type"):
        return f"expected text, got {_describe_value(value)}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        if isinstance(value, bool):  # YAML reads an unquoted yes/no as true/false
            return f"expected one of {expected}, got a yes/no answer ({_describe_value(value)})"
        hint = suggest(value.lower(), expected.replace("'", "").replace(" or ", ", ").split(", ")) \
            if isinstance(value, str) else ""
        return f"{_describe_value(value)} is not one of {expected}{hint}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = {"greater_than_equal": "at least", "less_than_equal": "at most",
                 "greater_than": "more than", "less_than": "less than"}[kind]
        limit = next(iter(ctx.values()), "")
        return f"{_describe_value(value)} is out of range: must be {bound} {limit}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping of names to values, got {_describe_value(value)}"
    if kind in ("tuple_type", "list_type"):
        return f"expected a list, got {_describe_value(value)}"
    if kind in ("too_short", "string_too_short"):
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return f"{_describe_value(value)} does not match the pattern {ctx.get('pattern', '')}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "union_tag_invalid":
        return f"unknown kind of condition {_describe_value(value)}"
    return str(error["msg"])


def located_messages(
    exc: ValidationError, known_fields: Iterable[str] = (), skip: Iterable[str] = ()
) -> list[tuple[tuple[Any, ...], str]]:
    """Every error of a pydantic validation as (location, reason), without discriminator tags."""
    skip = set(skip)
    known = list(known_fields)
    result = []
    for error in exc.errors(include_url=False):
        loc = tuple(part for part in error["loc"] if part not in skip)
        result.append((loc, describe_error(error, known)))
    return result


def format_location(loc: Iterable[Any]) -> str:
    """``('when', 'all', 1, 'gte')`` as ``when.all[1].gte``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
