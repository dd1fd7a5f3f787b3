"""From a case to an ``Assessment``: level, completeness, reasons, advice and safety-netting.

The safety properties of clinical-criteria.md are enforced here:

1. Unknown is not no. The case is chained a second time with every unanswered yes/no
   field set to yes, every unanswered choice to its most severe value and every unanswered
   severity number to its worst (``worst_case``). An unanswered question that makes an
   urgency rule fire there *could change the assessment*. The case is incomplete when such
   a question could raise the level, or when age or region is unknown; below ``soon`` any
   such question holds the case at ``soon``, so that answering a question "yes" can never
   lower the level (property 2). An emergency is always complete.
2. Monotone: the rules only read answers positively (rule-base checks), and the floor
   above depends on answered questions monotonically.
3. Highest wins, every fired criterion reported with its source.
4. Explained: each reason names the answers that made its condition true.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Literal, Optional, Union

from pydantic import ValidationError

from .chaining import ChainResult, Evaluator, ReferenceEvaluator
from .errors import CaseError
from .models import (
    ANSWER_FIELDS, DOMAINS, SEVERE_INTEGER_FILL, SEVERITY_ORDER, URGENCY_RANK, Assessment, Case, Reason,
)
from .rulebook import Rule, RuleBase, load_rulebase
from .validation import located_messages

#: Fields that must be known for a case below emergency to be complete (safety property 1).
REQUIRED_FOR_COMPLETE = ("age", "region")
FLOOR = "soon"

#: Callbacks told of every assessment this process makes (``assess_answers``) or receives from a
#: worker process (``batch.score_records``): the rule coverage of the pytest plugin. Empty by default.
OBSERVERS: list[Callable[[Assessment], None]] = []


def notify(assessment: Assessment) -> None:
    """Tell every observer of one assessment."""
    for observer in OBSERVERS:
        observer(assessment)


def worst_case(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers with every unanswered question given its most severe value (safety property 1)."""
    filled = dict(answers)
    for name, domain in DOMAINS.items():
        if name in answers:
            continue
        if domain.kind == "yes_no":
            filled[name] = True
        elif name in SEVERITY_ORDER:
            filled[name] = SEVERITY_ORDER[name][-1]
        elif name in SEVERE_INTEGER_FILL:
            filled[name] = SEVERE_INTEGER_FILL[name]
    return filled


def _ordered_fields(names: Iterable[str]) -> list[str]:
    wanted = set(names)
    return [name for name in ANSWER_FIELDS if name in wanted]


class Assessor:
    """Assesses cases against one rule base with one evaluator (durable_rules by default)."""

    def __init__(
        self,
        rulebase: Optional[RuleBase] = None,
        evaluator: Union[Literal["durable", "reference"], Evaluator] = "durable",
    ):
        self.rulebase = rulebase or load_rulebase()
        if evaluator == "durable":
            from .engine import DurableEngine

            self.evaluator: Evaluator = DurableEngine(self.rulebase)
        elif evaluator == "reference":
            self.evaluator = ReferenceEvaluator(self.rulebase)
        else:
            self.evaluator = evaluator  # type: ignore[assignment]
        self._order = {rule.id: index for index, rule in enumerate(self.rulebase.rules)}
        self._compiled = self.rulebase.compiled
        self._findings_read = self.rulebase.findings_read
        self._answers_behind = self.rulebase.answers_behind
        self._meta = self.rulebase.meta

    def session(self, case_id: Optional[str] = None) -> "Session":
        """A session that takes answers one at a time and gives the assessment after each."""
        return Session(self, case_id)

    def assess(self, case: Case) -> Assessment:
        """The assessment of one case."""
        return self.assess_answers(case.answers(), case.id)

    def assess_answers(self, answers: dict[str, Any], case_id: Optional[str] = None) -> Assessment:
        """The assessment of known answers (already validated; unknown answers absent)."""
        chain, rules, because_of = self._derive(answers)
        level_rules = [rule for rule in rules if rule.urgency]
        level = max((rule.urgency for rule in level_rules), key=URGENCY_RANK.__getitem__, default="self_care")
        reasons = [  # built from validated rules: no need to validate again (hot path)
            Reason.model_construct(
                rule=rule.id, criterion=rule.criterion, title=rule.title, urgency=rule.urgency,
                surgical=rule.surgical, because=self._because(rule, answers, chain.findings, because_of),
                source=rule.source,
            )
            for rule in sorted(level_rules, key=lambda r: -URGENCY_RANK[r.urgency])  # stable: file order
        ]
        complete, unanswered = True, []
        if level != "emergency":
            could_raise, could_change = self._open_questions(answers, level)
            if URGENCY_RANK[level] >= URGENCY_RANK[FLOOR]:
                unanswered = could_raise
            else:
                unanswered = could_change
                if unanswered:
                    level = FLOOR
                    reasons.append(self._floor_reason(unanswered))
            complete = not unanswered
        level_text = self._meta.levels[level]
        advice = list(level_text.advice)
        by_level = sorted(rules, key=lambda r: -URGENCY_RANK[r.urgency or "self_care"])
        for rule in by_level:
            if rule.advice and rule.shows_advice_at(level):
                advice += rule.advice
        # What to watch for that would make it an emergency: meaningless once it is one.
        specific_netting = [] if level == "emergency" else [n for r in by_level for n in r.safety_netting]
        result = Assessment.model_construct(  # every value below is already of its declared type
            case_id=case_id,
            urgency=level,
            urgency_meaning=level_text.meaning,
            surgical_consultation=any(rule.surgical for rule in level_rules),
            complete=complete,
            findings=list(dict.fromkeys(rule.asserts for rule in rules if rule.asserts)),
            reasons=reasons,
            advice=list(dict.fromkeys(advice)),
            safety_netting=list(dict.fromkeys([*specific_netting, *self._meta.safety_netting])),
            unanswered=unanswered,
            rules_version=self.rulebase.version,
            rules_hash=self.rulebase.content_hash,
            fired_rules=[rule.id for rule in rules],
        )
        if OBSERVERS:
            notify(result)
        return result

    def _derive(self, answers: dict[str, Any]) -> tuple[ChainResult, list[Rule], dict[str, dict[str, Any]]]:
        """Chain the answers: the result, the fired rules in rule-base order, and the answers behind each finding."""
        chain = self.evaluator.chain(answers)
        rules = [self.rulebase.rule(rule_id) for rule_id in sorted(chain.fired, key=self._order.__getitem__)]
        return chain, rules, self._finding_explainer(rules, answers, chain)

    def _finding_explainer(self, rules: list[Rule], answers: dict[str, Any], chain: ChainResult) -> dict[str, dict[str, Any]]:
        """The answers behind each finding: the union of the explanations of the rules that asserted it."""
        asserting: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.asserts:
                asserting.setdefault(rule.asserts, []).append(rule)
        because_of: dict[str, dict[str, Any]] = {}

        def resolve(finding: str) -> None:
            # Findings form no cycles (a rule-base check), so this recursion ends.
            if finding in because_of:
                return
            merged: dict[str, Any] = {}
            for rule in asserting[finding]:
                for needed in self._findings_read[rule.id]:
                    if needed in asserting:
                        resolve(needed)
                merged.update(self._compiled[rule.id].because(answers, chain.findings, because_of))
            because_of[finding] = merged

        for finding in asserting:
            resolve(finding)
        return because_of

    def _because(self, rule: Rule, answers: dict[str, Any], findings: frozenset[str],
                 because_of: dict[str, dict[str, Any]]) -> dict[str, Any]:
        found = self._compiled[rule.id].because(answers, findings, because_of)
        return {name: found[name] for name in ANSWER_FIELDS if name in found}

    def _open_questions(self, answers: dict[str, Any], level: str) -> tuple[list[str], list[str]]:
        """Unanswered questions that could raise the level, and those that could change the assessment."""
        missing_required = [name for name in REQUIRED_FOR_COMPLETE if name not in answers]
        if all(name in answers for name in self.rulebase.fields_read):
            return missing_required, missing_required  # nothing unanswered that a rule reads
        worst = worst_case(answers)
        chain, rules, because_of = self._derive(worst)
        raise_, change = set(missing_required), set(missing_required)
        unanswered = set(DOMAINS).difference(answers)  # including those worst_case leaves unknown
        at_floor = URGENCY_RANK[level] >= URGENCY_RANK[FLOOR]
        for rule in rules:
            if not rule.urgency or not (self._answers_behind[rule.id] & unanswered):
                continue  # sets no level, or cannot involve an unanswered question
            if at_floor and URGENCY_RANK[rule.urgency] <= URGENCY_RANK[level]:
                continue  # at or above the floor only questions that could raise the level matter
            opened = {name for name in self._compiled[rule.id].because(worst, chain.findings, because_of)
                      if name not in answers}
            change |= opened
            if URGENCY_RANK[rule.urgency] > URGENCY_RANK[level]:
                raise_ |= opened
        return _ordered_fields(raise_), _ordered_fields(change)

    def _floor_reason(self, unanswered: list[str]) -> Reason:
        text = self._meta.incomplete
        return Reason(
            rule=text.id, criterion=text.criterion, title=text.title, urgency=FLOOR, surgical=False,
            because={name: None for name in unanswered}, source=text.source,
        )


class Session:
    """Answers given one at a time (an interview), with the current assessment after each.

    Answers can be changed or withdrawn (``forget``); every change re-derives the
    assessment from the answers, so nothing concluded from an old answer survives it.
    """

    def __init__(self, assessor: Assessor, case_id: Optional[str] = None):
        self.assessor = assessor
        self.case_id = case_id
        self._answers: dict[str, Any] = {}
        self._current: Optional[Assessment] = None

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
    def level(self) -> str:
        """The current urgency level."""
        return self.assessment().urgency

