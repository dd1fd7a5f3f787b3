"""Static verification of a loaded rule base, beyond its schema: what ``triage check`` adds.

``load_rulebase`` already refuses findings read but asserted by no rule, cycles among
findings, unknown fields and values, and tests that would let a blank answer look safer
than every answer. ``verify`` looks at what the rules can do over every possible case:

- ``never-true`` (error): a rule whose condition no answers can make true, each field
  known within its declared domain or unknown (``satisfiability``); and an advice or
  safety-netting text whose condition can never hold (for a rule's text: together with
  the rule's own condition), so that it is never shown;
- ``subsumed`` (error unless acknowledged): a rule that fires only when another rule
  fires too, and whose effect that rule already has: the same or a higher urgency, a
  surgical flag if it has one, the same finding, its advice at the same levels, its
  safety-netting;
- ``finding-not-read`` (error unless acknowledged): a finding asserted but read by no rule;
- ``stale-acknowledgment`` (error): an acknowledgment of a check that finds nothing;
- ``unused-field`` and ``unread-question`` (warnings, when the asked fields are given): a
  case field no rule reads and no question asks; a question whose answer no rule reads.

There is no check for answers that reach no level: a case's level is the highest urgency
of the rules that fire, and self-care when none does, and ``rulebase.yaml`` must give the
text of every level (its schema), so every combination of answers reaches a level.

A rule acknowledges an intended issue in its file:
``acknowledge: [{check: subsumed, reason: "..."}]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..errors import RuleBaseError
from ..models import DOMAINS, Urgency
from .rulebook import META_FILE, LocatedRule, Rule, RuleBase, Text
from .satisfiability import Formulas, implies, satisfiable

__all__ = ["Issue", "Verification", "covers", "verify"]

WARNING_CHECKS = frozenset({"unused-field", "unread-question"})


@dataclass(frozen=True)
class Issue:
    """One thing verification found, located by file and rule id (or by case field), with its acknowledgment if any."""

    check: str
    message: str
    file: str | None = None
    rule: str | None = None
    line: int | None = None
    field: str | None = None
    acknowledged: str | None = None  # the reason given in the rule file

    @property
    def where(self) -> str:
        """``emergency.yaml:22: rule 'ces-suspected'``, ``case field 'sex'`` or the file."""
        if self.field is not None:
            return f"case field '{self.field}'"
        file = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        return f"{file}: rule '{self.rule}'" if self.rule is not None else file

    @property
    def severity(self) -> str:
        """``warning`` for checks that never fail ``triage check``, else ``error``."""
        return "warning" if self.check in WARNING_CHECKS else "error"

    def __str__(self) -> str:
        return f"{self.where}: {self.check}: {self.message}"


@dataclass(frozen=True)
class Verification:
    """Every issue ``verify`` found: errors fail ``triage check``, warnings never do, acknowledged ones pass."""

    folder: str
    issues: tuple[Issue, ...]

    @property
    def errors(self) -> list[Issue]:
        """Unacknowledged issues that fail ``triage check``."""
        return [f for f in self.issues if f.severity == "error" and f.acknowledged is None]

    @property
    def warnings(self) -> list[Issue]:
        """Issues that never fail ``triage check`` (fields no rule reads)."""
        return [f for f in self.issues if f.severity == "warning"]

    @property
    def acknowledged(self) -> list[Issue]:
        """Issues that a rule file acknowledges with a reason."""
        return [f for f in self.issues if f.acknowledged is not None]

    def raise_for_errors(self) -> None:
        """Raise ``RuleBaseError`` listing every error, located by file and rule id, if there is any."""
        if self.errors:
            noun = "problem" if len(self.errors) == 1 else "problems"
            raise RuleBaseError(f"rule base {self.folder}: {len(self.errors)} {noun}", [str(f) for f in self.errors])


def verify(rulebase: RuleBase, asked_fields: Iterable[str] | None = None) -> Verification:
    """Every issue the static checks find in ``rulebase``; the field checks only when ``asked_fields`` is given."""
    formulas = Formulas(rulebase)
    found: list[Issue] = []
    reachable = []
    for item in rulebase.located:
        if satisfiable(formulas.of(item.rule.when)):
            reachable.append(item)
        else:
            found.append(_at(item, "never-true", "no answers can make its condition true (each field within its "
                                                 "declared values or unknown, each finding as its rules assert it)"))
    found += _texts_never_shown(rulebase, reachable, formulas)
    found += _subsumed(reachable, formulas)
    found += _findings_not_read(rulebase)
    found = _acknowledge(rulebase, found)
    if asked_fields is not None:
        found += _field_issues(rulebase, set(asked_fields))
    return Verification(rulebase.folder, tuple(found))


def _at(item: LocatedRule, check: str, message: str) -> Issue:
    return Issue(check, message, file=item.file, rule=item.rule.id, line=item.line)


def covers(stronger: Rule, weaker: Rule) -> bool:
    """Whether firing ``stronger`` already has every effect of ``weaker`` on the assessment."""
    def rank(rule: Rule) -> int:
        return rule.urgency.rank if rule.urgency else -1

    shown = all(
        stronger.shows_advice_at(level) or not weaker.shows_advice_at(level) for level in Urgency
    ) if weaker.advice else True
    return (
        rank(stronger) >= rank(weaker)
        and (stronger.surgical or not weaker.surgical)
        and weaker.asserts in (None, stronger.asserts)
        and set(weaker.advice) <= set(stronger.advice) and shown
        and set(weaker.safety_netting) <= set(stronger.safety_netting)
    )


def _texts_never_shown(rulebase: RuleBase, reachable: list[LocatedRule], formulas: Formulas) -> list[Issue]:
    never = "its condition can never hold"
    found = []
    for item in reachable:
        when = formulas.of(item.rule.when)
        for key in ("advice", "safety_netting"):
            for number, text in enumerate(getattr(item.rule, key)):
                if text.when is not None and not satisfiable(("all", (when, formulas.of(text.when)))):
                    found.append(_at(item, "never-true",
                                     f"{key}[{number}] is never shown: {never} when the rule fires"))
    meta = rulebase.meta
    groups: list[tuple[str, tuple[Text, ...]]] = [("safety_netting", meta.safety_netting)]
    groups += [(f"levels.{level}.advice", text.advice) for level, text in meta.levels.items()]
    for key, texts in groups:
        for number, text in enumerate(texts):
            if text.when is not None and not satisfiable(formulas.of(text.when)):
                found.append(Issue("never-true", f"{key}[{number}] is never shown: {never}", file=META_FILE))
    return found


def _subsumed(located: list[LocatedRule], formulas: Formulas) -> list[Issue]:
    found = []
    order = {item.rule.id: number for number, item in enumerate(located)}
    for item in located:
        rule, when = item.rule, formulas.of(item.rule.when)
        by = [
            other for other in located
            if other is not item and covers(other.rule, rule) and implies(when, formulas.of(other.rule.when))
            # Two rules that subsume each other: reported once, on the later one.
            and not (order[other.rule.id] > order[rule.id] and covers(rule, other.rule)
                     and implies(formulas.of(other.rule.when), when))
        ]
        if by:
            names = ", ".join(f"'{other.rule.id}' ({other.file})" for other in by)
            verb = "fires" if len(by) == 1 else "fire"
            found.append(_at(item, "subsumed", f"whenever it fires, {names} {verb} too, with the same or a "
                                               "stronger effect: it only adds a reason"))
    return found


def _findings_not_read(rulebase: RuleBase) -> list[Issue]:
    return [
        _at(item, "finding-not-read", f"asserts finding '{item.rule.asserts}', which no rule reads")
        for item in rulebase.located
        if item.rule.asserts and item.rule.asserts not in rulebase.consumed_findings
    ]


def _acknowledge(rulebase: RuleBase, found: list[Issue]) -> list[Issue]:
    """Attach each rule's acknowledgments to its issues; an acknowledgment with nothing to acknowledge is an error."""
    reasons = {(item.file, item.rule.id, a.check): a.reason for item in rulebase.located for a in item.rule.acknowledge}
    lines = {(item.file, item.rule.id): item.line for item in rulebase.located}
    result, used = [], set()
    for issue in found:
        key = (issue.file, issue.rule, issue.check)
        if key in reasons:
            used.add(key)
            issue = replace(issue, acknowledged=reasons[key])
        result.append(issue)
    for file, rule_id, check in reasons:
        if (file, rule_id, check) not in used:
            result.append(Issue("stale-acknowledgment", f"acknowledges '{check}', but that check finds nothing "
                                  "here: remove the acknowledgment", file=file, rule=rule_id,
                                  line=lines[(file, rule_id)]))
    return result


def _field_issues(rulebase: RuleBase, asked: set[str]) -> list[Issue]:
    read = set(rulebase.fields_read)
    found = [Issue("unused-field", "no rule reads it and no question asks it", field=name)
             for name in DOMAINS if name not in read and name not in asked]
    found += [Issue("unread-question", "a question asks it, but no rule reads the answer", field=name)
              for name in DOMAINS if name in asked and name not in read]
    return found
