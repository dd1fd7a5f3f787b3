"""An assessment as plain data (``Outcome``), and its two forms: the ``Assessment`` model, and its JSON text.

Batch scoring writes the JSON of an assessment for every case; building the pydantic
model and dumping it cost more than the rules. ``encode`` writes the same bytes as
``json.dumps(Assessment.model_dump(mode="json") | {"source": ...}, ensure_ascii=False)``
straight from the plain data, with the parts that are the same for every case (each rule's
reason but its answers, each level's meaning, each open question) encoded once.
``tests/test_identical.py`` holds both forms to a recorded corpus.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..models import Assessment, OpenQuestion, Reason, Urgency

_dumps = partial(json.dumps, ensure_ascii=False)


@dataclass(slots=True)
class ReasonData:
    """A reason as plain data (the fields of ``models.Reason``)."""

    rule: str
    criterion: str
    title: str
    urgency: Urgency
    surgical: bool
    because: dict[str, Any]
    source: str
    assumed: dict[str, Any]


@dataclass(slots=True)
class Outcome:
    """An assessment as plain data (the fields of ``models.Assessment``; open questions as (field, level) pairs)."""

    case_id: str | None
    urgency: Urgency
    urgency_meaning: str
    surgical_consultation: bool
    complete: bool
    findings: list[str]
    reasons: list[ReasonData]
    advice: list[str]
    safety_netting: list[str]
    unanswered: list[str]
    rules_version: str
    rules_hash: str
    fired_rules: list[str]
    certain: Urgency
    possible: Urgency
    open_questions: list[tuple[str, Urgency]]

    def model(self) -> Assessment:
        """The ``Assessment`` model of this outcome (every value is already of its declared type)."""
        return Assessment.model_construct(
            case_id=self.case_id, urgency=self.urgency, urgency_meaning=self.urgency_meaning,
            surgical_consultation=self.surgical_consultation, complete=self.complete, findings=self.findings,
            reasons=[Reason.model_construct(
                rule=r.rule, criterion=r.criterion, title=r.title, urgency=r.urgency, surgical=r.surgical,
                because=r.because, source=r.source, assumed=r.assumed) for r in self.reasons],
            advice=self.advice, safety_netting=self.safety_netting, unanswered=self.unanswered,
            rules_version=self.rules_version, rules_hash=self.rules_hash, fired_rules=self.fired_rules,
            certain=self.certain, possible=self.possible,
            open_questions=[OpenQuestion.model_construct(field=name, could_reach=level)
                            for name, level in self.open_questions],
        )


class Encoder:
    """Writes outcomes as JSON text, byte for byte as ``json.dumps`` of the model's JSON dump would."""

    def __init__(self) -> None:
        self._reason_heads: dict[tuple[str, str, str, str, bool], str] = {}
        self._sources: dict[str, str] = {}
        self._questions: dict[tuple[str, str], str] = {}
        self._texts: dict[str, str] = {}

    def _text(self, value: str) -> str:
        encoded = self._texts.get(value)
        if encoded is None:
            encoded = self._texts[value] = _dumps(value)
        return encoded

    def _reason(self, reason: ReasonData) -> str:
        key = (reason.rule, reason.criterion, reason.title, reason.urgency.value, reason.surgical)
        head = self._reason_heads.get(key)
        if head is None:
            head = self._reason_heads[key] = (
                f'{{"rule": {_dumps(reason.rule)}, "criterion": {_dumps(reason.criterion)}, '
                f'"title": {_dumps(reason.title)}, "urgency": {_dumps(reason.urgency.value)}, '
                f'"surgical": {"true" if reason.surgical else "false"}, "because": ')
        source = self._sources.get(reason.source)
        if source is None:
            source = self._sources[reason.source] = f', "source": {_dumps(reason.source)}, "assumed": '
        return f"{head}{_dumps(reason.because)}{source}{_dumps(reason.assumed)}}}"

    def _question(self, name: str, level: Urgency) -> str:
        key = (name, level.value)
        encoded = self._questions.get(key)
        if encoded is None:
            encoded = self._questions[key] = _dumps({"field": name, "could_reach": level.value})
        return encoded

    def encode(self, outcome: Outcome, source: str | None = None) -> str:
        """The JSON text of an outcome (with ``"source"`` last when given), on one line."""
        text = self._text
        parts = [
            '{"case_id": ', "null" if outcome.case_id is None else _dumps(outcome.case_id),
            ', "urgency": "', outcome.urgency.value,
            '", "urgency_meaning": ', text(outcome.urgency_meaning),
            ', "surgical_consultation": ', "true" if outcome.surgical_consultation else "false",
            ', "complete": ', "true" if outcome.complete else "false",
            ', "findings": ', _dumps(outcome.findings),
            ', "reasons": [', ", ".join([self._reason(reason) for reason in outcome.reasons]),
            '], "advice": [', ", ".join([text(item) for item in outcome.advice]),
            '], "safety_netting": [', ", ".join([text(item) for item in outcome.safety_netting]),
            '], "unanswered": ', _dumps(outcome.unanswered),
            ', "rules_version": ', text(outcome.rules_version),
            ', "rules_hash": ', text(outcome.rules_hash),
            ', "fired_rules": ', _dumps(outcome.fired_rules),
            ', "certain": "', outcome.certain.value,
            '", "possible": "', outcome.possible.value,
            '", "open_questions": [', ", ".join([self._question(*question) for question in outcome.open_questions]),
            "]",
        ]
        if source is not None:
            parts += [', "source": ', _dumps(source)]
        parts.append("}")
        return "".join(parts)
