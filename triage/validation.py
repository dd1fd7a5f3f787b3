"""Turning pydantic validation errors into located, plain-language messages, with "did you mean" hints."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError


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
    if kind in ("literal_error", "enum"):
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
        result.append((loc, describe_error(dict(error), known)))
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
