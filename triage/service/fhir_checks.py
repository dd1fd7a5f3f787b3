"""The structural checks of a QuestionnaireResponse before its answers are read (pure).

- The FHIR R4B model's own problems (required elements, one ``value[x]``, types), worded
  for a person: an element of the wrong JSON type says which type it wanted and got
  (pydantic's "Invalid JSON" would suggest the body is not JSON).
- ``contained`` resources must be FHIR resources (an unknown ``resourceType`` is a located
  problem, not an internal error).
- Modifiers: FHIR says a reader must not ignore a modifier it does not understand. This
  service understands none, so ``implicitRules`` and every ``modifierExtension`` on the
  resource, an item or an answer are refused, each located.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", bool: "true or false", int: "a number",
               float: "a number", type(None): "null"}


@dataclass(frozen=True)
class Problem:
    """One located problem of a request: the field (case field or linkId), where it is, and why."""

    field: Optional[str]
    reason: str
    location: Optional[str] = None

    def message(self) -> str:
        """The problem as one line, as the command line prints it."""
        where = f"field '{self.field}'" if self.field else ""
        if self.location:
            where = f"{where} ({self.location})" if where else self.location
        return f"{where}: {self.reason}" if where else self.reason


def structure_problems(data: dict[str, Any]) -> list[Problem]:
    """Every structural problem of a QuestionnaireResponse (JSON already parsed), each located."""
    problems = _contained_problems(data)
    if not problems:
        problems = _model_problems(data)
    return problems + modifier_problems(data)


def _contained_problems(data: dict[str, Any]) -> list[Problem]:
    from fhir.resources.R4B import get_fhir_model_class

    contained = data.get("contained")
    if not isinstance(contained, list):
        return []
    problems = []
    for number, resource in enumerate(contained):
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        try:
            known = isinstance(kind, str) and get_fhir_model_class(kind) is not None
        except (KeyError, ValueError):
            known = False
        if not known:
            what = f"{kind!r} is not" if isinstance(kind, str) else "not"
            problems.append(Problem(None, f"{what} a FHIR R4 resource type", f"contained[{number}]"))
    return problems


def _model_problems(data: dict[str, Any]) -> list[Problem]:
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
    from pydantic import ValidationError

    try:
        QuestionnaireResponse.model_validate(data)
    except ValidationError as exc:
        return [Problem(None, _reason(error), _location(error["loc"]) or "resource")
                for error in exc.errors(include_url=False)]
    except (KeyError, TypeError, ValueError) as exc:  # fhir_core's own lookups, on shapes its models do not expect
        return [Problem(None, f"cannot be read as a FHIR R4 QuestionnaireResponse ({type(exc).__name__})",
                        "resource")]
    return []


def _reason(error: Any) -> str:
    if error.get("type") == "json_invalid":  # the model wanted an object and tried to read the value as JSON text
        given = _JSON_TYPES.get(type(error.get("input")), "another type")
        return f"wrong type: expected an object, got {given}"
    return str(error["msg"]).removeprefix("Value error, ")


def _location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def modifier_problems(data: dict[str, Any]) -> list[Problem]:
    """``implicitRules`` and every ``modifierExtension`` of the resource, its items and their answers."""
    problems = []
    if data.get("implicitRules") is not None:
        problems.append(Problem("implicitRules", "this service does not know these rules, and FHIR says a "
                                "resource with rules it does not know must not be used", "implicitRules"))
    problems += _modifiers(data, "", None)
    return problems


def _modifiers(element: dict[str, Any], where: str, field: Optional[str]) -> list[Problem]:
    problems = []
    link_id = element.get("linkId")
    field = link_id if isinstance(link_id, str) else field
    modifiers = element.get("modifierExtension")
    if modifiers:
        urls = [m.get("url") for m in modifiers if isinstance(m, dict)] if isinstance(modifiers, list) else []
        named = ", ".join(str(url) for url in urls if url) or "no url"
        problems.append(Problem(field, f"a modifier extension this service does not understand ({named}) changes the "
                                "meaning of this element, so it cannot be read", f"{where}modifierExtension"))
    for key in ("item", "answer"):
        children = element.get(key)
        if isinstance(children, list):
            for number, child in enumerate(children):
                if isinstance(child, dict):
                    problems += _modifiers(child, f"{where}{key}[{number}].", field)
    return problems
