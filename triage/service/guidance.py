"""An assessment as a FHIR R4 ``GuidanceResponse`` (pure: no HTTP).

Design: ``status`` is ``success``; ``moduleUri`` names the rule base; ``subject`` is the
QuestionnaireResponse's; the whole assessment is in a contained ``Parameters`` resource
referenced by ``outputParameters``, one parameter per key of the assessment JSON:

- ``urgency`` (valueCoding in the urgency code system, display = the level's label),
  ``urgency-meaning``, ``surgical-consultation``, ``complete``, ``case-id``, ``certain`` and
  ``possible`` (valueCode: the level every way of answering the unanswered questions
  reaches, and the highest some way reaches);
- ``finding`` (valueCode), ``advice``, ``safety-netting``, ``unanswered`` (the case field of
  each unanswered question that could change the level), ``fired-rule``: repeated, in order;
- ``reason``, repeated: parts ``rule``, ``criterion``, ``title``, ``urgency``, ``surgical``,
  ``source``, one ``because`` per answer behind it (parts ``field`` and ``answer``; no
  ``answer`` part when the question was not answered) and one ``assumed`` per unanswered
  question it holds on (parts ``field`` and ``answer``, the answer it assumes);
- ``open-question``, repeated, most serious first: parts ``field`` and ``could-reach``;
- ``rules-version`` and ``rules-hash``;
- ``inferred``, repeated, for a QuestionnaireResponse: parts ``field`` and ``answer``, an
  answer the response does not give but the assessment uses, because the earlier answers
  settle it (no weakness, so no foot drop); a ``note`` lists them in words too.

Nothing is lost: the tests rebuild the assessment JSON from these parameters.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Optional

from triage.models import Assessment, Urgency

from . import fhir_terms as terms
from .fhir import ParsedResponse


def guidance_response(assessment: Assessment, labels: Mapping[Urgency, str], response: Optional[ParsedResponse] = None,
                      now: Optional[datetime] = None) -> dict[str, Any]:
    """The assessment as a GuidanceResponse (JSON); ``labels`` maps each level to its label."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    resource: dict[str, Any] = {
        "resourceType": "GuidanceResponse",
        "id": str(uuid.uuid4()),
        "contained": [{"resourceType": "Parameters", "id": "assessment", "parameter": parameters(assessment, labels)}],
        "requestIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "moduleUri": terms.RULES_URI,
        "status": "success",
    }
    if response is not None and response.subject:
        resource["subject"] = response.subject
    resource["occurrenceDateTime"] = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    resource["outputParameters"] = {"reference": "#assessment"}
    notes = []
    if response is not None and response.response_id:
        notes.append(f"Assessment of QuestionnaireResponse/{response.response_id} with triage rules "
                     f"{assessment.rules_version}.")
    if response is not None and response.inferred:
        resource["contained"][0]["parameter"] += [
            {"name": "inferred", "part": [{"name": "field", "valueString": name},
                                          {"name": "answer", **answer_value(value)}]}
            for name, value in response.inferred.items()]
        notes.append("\n".join([INFERRED, *(f"- {words}" for words in inferred_words(response.inferred))]))
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource


INFERRED = "Taken from other answers (not asked, because the earlier answers settle them):"


def inferred_words(inferred: Mapping[str, Any]) -> list[str]:
    """Each answer taken from other answers, in words ("what was asked: answer")."""
    from triage.assess.render import answer_text

    return [answer_text(name, value) for name, value in inferred.items()]


def parameters(assessment: Assessment, labels: Mapping[Urgency, str]) -> list[dict[str, Any]]:
    """The assessment as ``Parameters.parameter`` entries (see the module docstring)."""
    a = assessment
    found: list[dict[str, Any]] = []
    if a.case_id is not None:
        found.append({"name": "case-id", "valueString": a.case_id})
    found += [
        {"name": "urgency", "valueCoding": {"system": terms.URGENCY_SYSTEM, "code": a.urgency,
                                            "display": labels.get(a.urgency, a.urgency)}},
        {"name": "urgency-meaning", "valueString": a.urgency_meaning},
        {"name": "surgical-consultation", "valueBoolean": a.surgical_consultation},
        {"name": "complete", "valueBoolean": a.complete},
    ]
    found += [{"name": "finding", "valueCode": finding} for finding in a.findings]
    for reason in a.reasons:
        parts: list[dict[str, Any]] = [
            {"name": "rule", "valueString": reason.rule},
            {"name": "criterion", "valueString": reason.criterion},
            {"name": "title", "valueString": reason.title},
            {"name": "urgency", "valueCode": reason.urgency},
            {"name": "surgical", "valueBoolean": reason.surgical},
            {"name": "source", "valueString": reason.source},
        ]
        for name, value in reason.because.items():
            because: list[dict[str, Any]] = [{"name": "field", "valueString": name}]
            if value is not None:
                because.append({"name": "answer", **answer_value(value)})
            parts.append({"name": "because", "part": because})
        for name, value in reason.assumed.items():
            parts.append({"name": "assumed", "part": [{"name": "field", "valueString": name},
                                                      {"name": "answer", **answer_value(value)}]})
        found.append({"name": "reason", "part": parts})
    found += [{"name": "advice", "valueString": text} for text in a.advice]
    found += [{"name": "safety-netting", "valueString": text} for text in a.safety_netting]
    found += [{"name": "unanswered", "valueString": name} for name in a.unanswered]
    found += [{"name": "open-question", "part": [{"name": "field", "valueString": q.field},
                                                 {"name": "could-reach", "valueCode": q.could_reach}]}
              for q in a.open_questions]
    found += [{"name": "rules-version", "valueString": a.rules_version},
              {"name": "rules-hash", "valueString": a.rules_hash}]
    found += [{"name": "fired-rule", "valueString": rule} for rule in a.fired_rules]
    found += [{"name": "certain", "valueCode": a.certain}, {"name": "possible", "valueCode": a.possible}]
    return found


def answer_value(value: Any) -> dict[str, Any]:
    """One case answer as a FHIR ``value[x]``."""
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    return {"valueString": str(value)}
