"""From a case to an ``Assessment``: level, completeness, reasons, advice and safety-netting.

The safety properties of clinical-criteria.md are enforced here and in ``completeness``:

1. Unknown is not no: the unanswered questions that could raise the level make the case
   incomplete, and hold a case below ``soon`` at ``soon`` (``completeness``). An emergency
   is always complete.
2. Monotone: the rules only read answers positively (rule-base checks), and the floor
   depends on answered questions monotonically.
3. Highest wins, every fired criterion reported with its source.
4. Explained: each reason names the answers that made its condition true (``explain``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import ValidationError

from ..engines import Engine, EngineName, create_engine
from ..errors import CaseError
from ..language.loading import load_rulebase
from ..language.rulebook import Rule, RuleBase
from ..models import DOMAINS, Assessment, Case, Urgency, least_severe
from ..validation import located_messages
from . import completeness
from .explain import Derivation, Deriver, assumed_answers
from .outcome import Outcome, ReasonData
from .texts import advice_and_safety_netting


@dataclass(frozen=True)
class Observation:
    """What an observer of assessments is told of each one."""

    case_id: str | None
    rules_hash: str
    fired_rules: tuple[str, ...]
    urgency: Urgency


class Assessor:
    """Assesses cases against one rule base with one engine (durable_rules by default); not thread-safe."""

    #: Told of every assessment made in this process, and of those batch scoring receives from
    #: its worker processes, when set: ``pytest --rule-coverage`` sets it. None by default.
    observer: ClassVar[Callable[[Observation], None] | None] = None

    def __init__(self, rulebase: RuleBase | None = None, engine: EngineName | Engine = "durable"):
        self.rulebase = rulebase or load_rulebase()
        self.engine: Engine = create_engine(engine, self.rulebase) if isinstance(engine, str) else engine
        self._deriver = Deriver(self.rulebase, self.engine)
        self._completer = completeness.Completer(self.rulebase, self._deriver.derive)
        self._meta = self.rulebase.meta

    def close(self) -> None:
        """Free the engine (durable_rules holds C memory until then)."""
        self.engine.close()

    def session(self, case_id: str | None = None) -> Session:
        """A session that takes answers one at a time and gives the assessment after each."""
        return Session(self, case_id)

    def assess(self, case: Case) -> Assessment:
        """The assessment of one case."""
        return self.assess_answers(case.answers(), case.id)

    def derive(self, answers: dict[str, Any]) -> Derivation:
        """Chain some answers and explain the result (no level, completeness or advice)."""
        return self._deriver.derive(answers)

    def assess_answers(self, answers: dict[str, Any], case_id: str | None = None) -> Assessment:
        """The assessment of known answers (already validated; unknown answers absent)."""
        return self.outcome(answers, case_id).model()

    def outcome(self, answers: dict[str, Any], case_id: str | None = None) -> Outcome:
        """The assessment of known answers as plain data (``outcome.Outcome``): what batch scoring encodes."""
        given = self._deriver.derive(answers)
        settled = self._completer.settle(answers, given)
        shown, level, completed = settled.shown, settled.level, settled.shown is not given
        setting = settled.reasons
        if len(setting) > 1:
            setting.sort(key=_urgency_rank, reverse=True)  # stable: file order within a level
        reasons = [_reason(rule, shown.because(rule), assumed_answers(rule, shown, answers, completed))
                   for rule in setting]
        if settled.floored or settled.held:
            reasons.append(self._unanswered_reason(settled, answers))
        fired = settled.fired
        advice, safety_netting = advice_and_safety_netting(self.rulebase, fired, level, answers)
        fired_rules = [rule.id for rule in fired]
        result = Outcome(
            case_id=case_id,
            urgency=level,
            urgency_meaning=self._meta.levels[level].meaning,
            surgical_consultation=any(rule.surgical for rule in setting),
            complete=not settled.open_questions,
            findings=list(dict.fromkeys([rule.asserts for rule in fired if rule.asserts])),
            reasons=reasons,
            advice=advice,
            safety_netting=safety_netting,
            unanswered=[question.field for question in settled.open_questions],
            rules_version=self.rulebase.version,
            rules_hash=self.rulebase.content_hash,
            fired_rules=fired_rules,
            certain=settled.certain,
            possible=settled.possible,
            open_questions=[(question.field, question.could_reach) for question in settled.open_questions],
        )
        if Assessor.observer is not None:
            Assessor.observer(Observation(case_id, result.rules_hash, tuple(fired_rules), level))
        return result

    def lowest_level(self, answers: dict[str, Any], open_fields: Iterable[str]) -> Urgency:
        """The lowest level the answers can reach once each of ``open_fields`` is answered, in any way.

        The answers not in ``open_fields`` stay as they are, unknown ones unknown: the
        interview asks whether the questions it has still to ask could lower the level.
        Each open field is tried at its least severe answer (the best case of
        ``completeness``), a field without a severity order at each answer the rules tell apart.
        """
        read = self.rulebase.fields_read
        fill: dict[str, Any] = {}
        enumerated: list[str] = []
        for name in open_fields:
            if name in answers or name not in read:
                continue
            least = least_severe(name)
            if least is None:
                enumerated.append(name)
            else:
                fill[name] = least
        lowest = Urgency.EMERGENCY
        for combo in itertools.product(*(self._completer.enumerated[name] for name in enumerated)):
            filled = {**answers, **fill, **dict(zip(enumerated, combo, strict=True))}
            level = self._completer.settle(filled, self._deriver.derive(filled)).level
            if level.rank < lowest.rank:
                lowest = level
        return lowest

    def _unanswered_reason(self, settled: completeness.Completeness, answers: dict[str, Any]) -> ReasonData:
        """Why unanswered questions hold the case at its level: the floor, or a level every way of answering
        them reaches but for different reasons (then the questions without a severity order are named)."""
        text = self._meta.incomplete
        if settled.floored:
            fields = [question.field for question in settled.open_questions]
        else:
            fields = [name for name in self._completer.enumerated if name not in answers]
        return ReasonData(text.id, text.criterion, text.title, settled.level, False, dict.fromkeys(fields),
                          text.source, {})


def _reason(rule: Rule, because: dict[str, Any], assumed: dict[str, Any]) -> ReasonData:
    """A fired rule as a reason; an answer it only assumes is shown unanswered in ``because``."""
    if assumed:
        because = {name: None if name in assumed else value for name, value in because.items()}
    return ReasonData(rule.id, rule.criterion, rule.title, rule.urgency or Urgency.SELF_CARE, rule.surgical,
                      because, rule.source, assumed)


def _urgency_rank(rule: Any) -> int:
    urgency = rule.urgency
    return _RANKS[urgency] if urgency else 0  # advice-only rules rank with self-care


_RANKS = {level: level.rank for level in Urgency}


class Session:
    """Answers given one at a time (an interview), with the current assessment after each.

    Answers can be changed or withdrawn (``forget``); every change re-derives the
    assessment from the answers, so nothing concluded from an old answer survives it.
    """

    def __init__(self, assessor: Assessor, case_id: str | None = None):
        self.assessor = assessor
        self.case_id = case_id
        self._answers: dict[str, Any] = {}
        self._current: Assessment | None = None

    @property
    def answers(self) -> dict[str, Any]:
        """The known answers so far."""
        return dict(self._answers)

    def answer(self, field: str, value: Any) -> Assessment:
        """Record one answer (``None`` means "not sure": unknown) and return the assessment now."""
        if value is None:
            return self.forget(field)
        return self.replace_answers({**self._answers, field: value}, f"answer to '{field}' not accepted")

    def forget(self, field: str) -> Assessment:
        """Withdraw an answer (it becomes unknown) and return the assessment now."""
        return self.replace_answers({k: v for k, v in self._answers.items() if k != field},
                                    f"answer to '{field}' not accepted")

    def replace_answers(self, answers: dict[str, Any], summary: str = "answers not accepted") -> Assessment:
        """Make the known answers exactly ``answers`` (several may change at once, e.g. after Back) and assess.

        Every answer is checked against the case format first; on any problem nothing changes.
        """
        problems = [f"field '{field}': not a question" for field in answers if field not in DOMAINS]
        if not problems:
            try:
                Case.model_validate(answers)
            except ValidationError as exc:
                problems = [f"field '{loc[0]}': {reason}" for loc, reason in located_messages(exc, Case.model_fields)]
        if problems:
            raise CaseError(summary, problems)
        if answers != self._answers:
            self._answers = dict(answers)
            self._current = None
        return self.assessment()

    def assessment(self) -> Assessment:
        """The assessment of the answers given so far."""
        if self._current is None:
            self._current = self.assessor.assess_answers(self._answers, self.case_id)
        return self._current

    @property
    def level(self) -> Urgency:
        """The current urgency level."""
        return self.assessment().urgency

