"""Turning pydantic validation errors into located, plain-language messages, with "did you mean" hints."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # messages are needed where pydantic is not (the command line's first lines)
    from pydantic import ValidationError

#: How many characters of a value or name a message shows before cutting it short.
SHOWN_CHARACTERS = 80
#: How many problems of one item (a case, a rule) a message lists before saying how many more there are.
MAX_PROBLEMS = 20

#: Characters a terminal or a reader could be fooled by: C0 and C1 controls, DEL, lone surrogates
#: (not Unicode; they cannot even be encoded) and the bidirectional overrides ("Trojan source").
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character, lone surrogate and bidi override written as an escape (``\\x1b``).

    Applied to everything of the user's that a message, a terminal or a CSV cell shows, so
    that no escape sequence reaches a terminal raw and every message can be encoded.
    """
    return text if text.isprintable() else _UNPRINTABLE.sub(_escape, text)


def display_path(path: str | os.PathLike[str]) -> str:
    """A file name as it can be shown: bytes that are not UTF-8 as ``\\xff``, control characters escaped."""
    return printable(os.fsencode(path).decode("utf-8", "backslashreplace"))


def shortened(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """``text`` cut to ``limit`` characters with its length said (``'xxxx…' (10,000,000 characters)``), printable."""
    if len(text) <= limit:
        return printable(text)
    return f"{printable(text[:limit])}… ({len(text):,} characters)"


def quoted(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """A user's text quoted for a message (``'lumbr'``), escaped, and cut short when long."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def capped(problems: list[str], limit: int = MAX_PROBLEMS, more: int = 0) -> list[str]:
    """The first ``limit`` problems, the last saying how many more there are (``more`` counts others not listed)."""
    more += max(len(problems) - limit, 0)
    if not more:
        return problems
    shown = problems[:limit]
    return [*shown[:-1], f"{shown[-1]} (and {more:,} more problems)"] if shown else []


def suggest(name: str, candidates: Iterable[str]) -> str:
    """A "did you mean" hint for a misspelt name, or an empty string."""
    if len(name) > 2 * SHOWN_CHARACTERS:  # no name is that long; difflib's time grows with the length
        return ""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 10**SHOWN_CHARACTERS else f"a number of {len(str(abs(value))):,} digits"
    if isinstance(value, float):
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
            name = shortened(str(part))
            text += f".{name}" if text else name
    return text
