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
_MOST_TEXTS = 20_000


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
    """Writes outcomes as JSON text, byte for byte as ``json.dumps`` of the model's JSON dump would.

    Texts are encoded once each (rule-base texts, field names, rule ids and choice answers
    recur in every case); numbers, yes/no and null are written directly.
    """

    def __init__(self) -> None:
        self._reason_heads: dict[tuple[str, str, str, str, bool], str] = {}
        self._sources: dict[str, str] = {}
        self._texts: dict[str, str] = {}
        self._keys: dict[str, str] = {}
        self._lists: dict[tuple[str, ...], str] = {}

    def _text(self, value: str) -> str:
        encoded = self._texts.get(value)
        if encoded is None:
            encoded = _dumps(value)
            if len(self._texts) < _MOST_TEXTS:  # texts recur; a stream of distinct ones is not kept
                self._texts[value] = encoded
        return encoded

    def _texts_list(self, values: list[str]) -> str:
        key = tuple(values)  # lists of advice, findings and rules recur from case to case
        encoded = self._lists.get(key)
        if encoded is None:
            text = self._text
            encoded = f"[{', '.join([text(value) for value in values])}]"
            if len(self._lists) < _MOST_TEXTS:
                self._lists[key] = encoded
        return encoded

    def _value(self, value: Any) -> str:
        cls = type(value)
        if cls is bool:
            return "true" if value else "false"
        if value is None:
            return "null"
        if cls is int:
            return int.__repr__(value)
        if cls is str:
            return self._text(value)  # answers that are texts are choices: few distinct ones
        return _dumps(value)

    def _answers(self, answers: dict[str, Any]) -> str:
        """A mapping of field names to answers."""
        if not answers:
            return "{}"
        keys, value = self._keys, self._value
        parts = []
        for name, answer in answers.items():
            key = keys.get(name)
            if key is None:
                key = keys[name] = f"{_dumps(name)}: "
            parts.append(key + value(answer))
        return f"{{{', '.join(parts)}}}"

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
        return f"{head}{self._answers(reason.because)}{source}{self._answers(reason.assumed)}}}"

    def encode(self, outcome: Outcome, source: str | None = None) -> str:
        """The JSON text of an outcome (with ``"source"`` last when given), on one line."""
        text, texts = self._text, self._texts_list
        parts = [
            '{"case_id": ', "null" if outcome.case_id is None else _dumps(outcome.case_id),
            ', "urgency": "', outcome.urgency.value,
            '", "urgency_meaning": ', text(outcome.urgency_meaning),
            ', "surgical_consultation": ', "true" if outcome.surgical_consultation else "false",
            ', "complete": ', "true" if outcome.complete else "false",
            ', "findings": ', texts(outcome.findings),
            ', "reasons": [', ", ".join([self._reason(reason) for reason in outcome.reasons]),
            '], "advice": ', texts(outcome.advice),
            ', "safety_netting": ', texts(outcome.safety_netting),
            ', "unanswered": ', texts(outcome.unanswered),
            ', "rules_version": ', text(outcome.rules_version),
            ', "rules_hash": ', text(outcome.rules_hash),
            ', "fired_rules": ', texts(outcome.fired_rules),
            ', "certain": "', outcome.certain.value,
            '", "possible": "', outcome.possible.value,
            '", "open_questions": [', ", ".join([f'{{"field": {text(name)}, "could_reach": "{level.value}"}}'
                                                 for name, level in outcome.open_questions]),
            "]",
        ]
        if source is not None:
            parts += [', "source": ', _dumps(source)]
        parts.append("}")
        return "".join(parts)
