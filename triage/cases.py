"""Reading one case from a JSON or YAML file (or standard input) into a validated ``Case``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from .errors import CaseError
from .files import SyntaxProblem, TooLarge, decode, has_lone_surrogate, parse_by_suffix, read_capped
from .models import ANSWER_FIELDS, DOMAINS, Case, Urgency
from .validation import MAX_PROBLEMS, capped, format_location, located_messages, shortened, suggest

STDIN = "-"


def case_from_data(data: Any, source: str, default_id: str | None = None) -> Case:
    """Validate parsed data as one case, reporting every problem at once.

    ``source`` names where the data came from (a file name, ``file:line``) in messages;
    ``default_id`` is used when the case carries no ``id``.
    """
    if not isinstance(data, dict):
        kind = "nothing" if data is None else f"a {type(data).__name__}"
        raise CaseError(
            f"{source}: cannot read this case",
            [f"a case is a mapping of question names to answers, but the file holds {kind}"],
            case_id=default_id,
        )
    bad_text = _surrogate_problems(data)
    if bad_text:
        raise CaseError(f"{source}: cannot read this case", capped(bad_text), case_id=default_id)
    if _blank_id(data):  # an empty id is no id, as an empty CSV cell is: the case is named by where it was found
        data = {k: v for k, v in data.items() if k != "id"}
    case_id = data["id"] if isinstance(data.get("id"), str) else default_id
    case_label = f" (case '{shortened(data['id'])}')" if isinstance(data.get("id"), str) else ""
    # Unknown fields are named here, not by pydantic: a case with a million of them is refused
    # in a second, with the first few named, rather than after minutes and gigabytes.
    unknown = [key for key in data if key not in Case.model_fields]
    problems: list[str] = [
        f"field '{format_location((str(key),))}': unknown field{suggest(str(key), Case.model_fields)}"
        for key in unknown[:MAX_PROBLEMS]
    ]
    try:
        case = Case.model_validate({k: v for k, v in data.items() if k in Case.model_fields} if unknown else data)
    except ValidationError as exc:
        problems = [
            f"field '{format_location(loc)}': {reason}"
            for loc, reason in located_messages(exc, known_fields=Case.model_fields)
        ] + problems
    if problems:
        count = len(problems) + max(len(unknown) - MAX_PROBLEMS, 0)
        noun = "problem" if count == 1 else "problems"
        listed = capped(problems, MAX_PROBLEMS, more=count - len(problems))
        raise CaseError(f"{source}{case_label}: {count:,} {noun} in this case", listed, case_id) from None
    if case.id is None and default_id is not None:
        case = case.model_copy(update={"id": default_id})
    return case


def _surrogate_problems(data: dict[Any, Any]) -> list[str]:
    """Every key and text, at any depth, holding a lone surrogate (a JSON escape such as \\ud800: not Unicode)."""
    problems: list[str] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((key,), value) for key, value in data.items()]
    seen: set[int] = set()  # a YAML alias repeats one list: look at it once (a "billion laughs" is exponential)
    while stack and len(problems) <= MAX_PROBLEMS:
        loc, value = stack.pop()
        key = loc[-1]
        if (isinstance(key, str) and has_lone_surrogate(key)) or (isinstance(value, str) and has_lone_surrogate(value)):
            problems.append(f"field '{format_location(loc)}': contains an invalid character (a lone surrogate)")
        elif isinstance(value, dict | list):
            if id(value) in seen:
                continue
            seen.add(id(value))
        if isinstance(value, dict):
            stack += [((*loc, k), v) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [((*loc, n), v) for n, v in enumerate(value)]
    return sorted(problems)


class ValidCase(NamedTuple):
    """What scoring needs of a valid case: its known answers (in case-format order), id and expectations."""

    answers: dict[str, Any]
    case_id: str | None
    expected_urgency: Urgency | None
    expected_surgical: bool | None


_YES_NO, _NUMBER, _CHOICE, _TEXT, _TEXTS = range(5)
#: How the quick check reads each field of ``Case``: a kind, and the choices or the bounds of a number.
_QUICK: dict[str, tuple[int, Any, Any]] = {
    "id": (_TEXT, None, None), "description": (_TEXT, None, None),
    "expected_urgency": (_CHOICE, frozenset(level.value for level in Urgency), None),
    "expected_surgical": (_YES_NO, None, None), "expected_rules": (_TEXTS, None, None),
    "expected_complete": (_YES_NO, None, None), "expected_unanswered": (_TEXTS, None, None),
}
for _name, _domain in DOMAINS.items():
    if _domain.kind == "yes_no":
        _QUICK[_name] = (_YES_NO, None, None)
    elif _domain.kind == "integer":
        _QUICK[_name] = (_NUMBER, _domain.minimum, _domain.maximum)
    elif _domain.kind == "choice":
        _QUICK[_name] = (_CHOICE, frozenset(_domain.choices), None)


def _blank_id(data: dict[str, Any]) -> bool:
    """Whether the case's ``id`` is text with nothing in it ("" or spaces): like a missing id (docs/case-files.md)."""
    case_id = data.get("id")
    return isinstance(case_id, str) and not case_id.strip()


def valid_case(data: Any, default_id: str | None = None) -> ValidCase | None:
    """The case in ``data`` when it certainly is valid, checked quickly; None when only ``case_from_data`` can tell.

    Accepts nothing that ``case_from_data`` refuses and gives the same answers and id (tests/test_caseio.py
    checks both on every error case and on random data); anything unusual is left to ``case_from_data``,
    which names every problem.
    """
    if type(data) is not dict or not _QUICK.keys() >= data.keys():
        return None
    for name, value in data.items():
        if value is None:
            continue
        kind, first, second = _QUICK[name]
        cls = type(value)
        if kind == _YES_NO:
            if cls is not bool:
                return None
        elif kind == _NUMBER:
            if cls is not int or (first is not None and value < first) or (second is not None and value > second):
                return None
        elif kind == _CHOICE:
            if cls is not str or value not in first:
                return None
        elif kind == _TEXT:
            if cls is not str or has_lone_surrogate(value):
                return None
        elif cls is not list or any(type(item) is not str for item in value):
            return None
    answers = {name: data[name] for name in ANSWER_FIELDS if data.get(name) is not None}
    case_id = None if _blank_id(data) else data.get("id")
    level = data.get("expected_urgency")
    return ValidCase(answers, default_id if case_id is None else case_id, None if level is None else Urgency(level),
                     data.get("expected_surgical"))


def case_from_text(text: str, source: str, suffix: str = "", default_id: str | None = None) -> Case:
    """Parse JSON or YAML text (chosen by ``suffix``, else by its first character) as one case."""
    if not text.strip():
        raise CaseError(f"{source}: cannot read this case", ["the file is empty"], default_id)
    try:
        data = parse_by_suffix(text, suffix)
    except SyntaxProblem as exc:
        raise CaseError(f"{source}: cannot read this case", [str(exc)], default_id) from None
    return case_from_data(data, source, default_id)


def read_case_text(path: str | Path) -> tuple[str, str, str, str]:
    """The text of a case file, or of standard input for ``-``: (text, source, suffix, default id)."""
    if str(path) == STDIN:
        source, suffix, default_id = "<stdin>", "", "stdin"
        try:
            raw = read_capped(sys.stdin.buffer)
        except TooLarge as exc:
            raise CaseError(f"{source}: cannot read this case", [str(exc)]) from None
    else:
        file = Path(path)
        source, suffix, default_id = str(file), file.suffix, file.stem
        try:
            raw = read_capped(file)
        except TooLarge as exc:
            raise CaseError(f"{source}: cannot read this case", [str(exc)]) from None
        except OSError as exc:
            raise CaseError(f"{source}: cannot read this case", [exc.strerror or str(exc)]) from None
    try:
        text = decode(raw)
    except SyntaxProblem as exc:
        raise CaseError(f"{source}: cannot read this case", [str(exc)]) from None
    return text, source, suffix, default_id


def load_case(path: str | Path) -> Case:
    """Load one case from a ``.json``/``.yaml``/``.yml`` file, or from standard input for ``-``."""
    return case_from_text(*read_case_text(path))
