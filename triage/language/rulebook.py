"""The rule base as data: rules, criteria, level texts, and ``RuleBase`` with the indexes everything shares.

The rule base is a folder: ``rulebase.yaml`` (version, sources, criteria, level texts,
safety-netting) and any number of rule files ``*.yaml`` each holding ``rules: [...]``.
``loading.load_rulebase`` reads and validates it; ``checks`` holds the cross-file checks.

Advice and safety-netting are ``Text`` items: a plain string, shown whenever its rule or
level applies, or ``{text: "...", when: CONDITION}``, shown only when the condition holds
for the person's answers (the rule language over answers; findings are for rules). That is
how the words fit the region and the answers (clinical-criteria.md, "What the person
reads"): E1's advice names the bottom of the spine only for low-back pain.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..models import DOMAINS, Urgency
from .conditions import Condition, fields_read, findings_read
from .evaluation import Compiled, Holds, compile_condition

META_FILE = "rulebase.yaml"
# Rule ids start with a letter or digit: names starting with '_' are the engine's own.
ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
FINDING_PATTERN = r"^[a-z][a-z0-9_]*$"


class Text(BaseModel):
    """A text shown to the person, with the condition on their answers under which it is shown (none: always)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    when: Condition | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_string(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data


@dataclass(frozen=True, slots=True)
class TextChoice:
    """A text and its condition compiled (``holds``; None: always shown), ready to be chosen for many cases."""

    text: str
    holds: Holds | None

    @classmethod
    def of(cls, item: Text) -> TextChoice:
        """The text with its condition compiled."""
        return cls(item.text, compile_condition(item.when).holds if item.when is not None else None)


def choices(items: Iterable[Text]) -> tuple[TextChoice, ...]:
    """Texts with their conditions compiled, in order."""
    return tuple(TextChoice.of(item) for item in items)


_NO_FINDINGS: frozenset[str] = frozenset()


def texts_for(items: Iterable[TextChoice], answers: dict[str, Any]) -> list[str]:
    """The texts that fit the answers (known answers only; an unknown one is absent), in order."""
    return [item.text for item in items if item.holds is None or item.holds(answers, _NO_FINDINGS)]


@dataclass(frozen=True)
class TextChoices:
    """Every advice and safety-netting text of a rule base, compiled: by rule id, by level, and the general ones."""

    advice: dict[str, tuple[TextChoice, ...]]
    safety_netting: dict[str, tuple[TextChoice, ...]]
    level_advice: dict[Urgency, tuple[TextChoice, ...]]
    general_safety_netting: tuple[TextChoice, ...]


class Acknowledgment(BaseModel):
    """An issue that ``triage check``'s verification (``verify``) reports on this rule, intended, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: Literal["subsumed", "finding-not-read"]
    reason: str = Field(min_length=1)


class Rule(BaseModel):
    """One rule: when its condition holds, it asserts a finding, sets a level, flags surgery or adds advice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    criterion: str = Field(min_length=1)
    title: str = Field(min_length=1)
    when: Condition
    urgency: Urgency | None = None
    surgical: bool = False
    asserts: str | None = Field(None, pattern=FINDING_PATTERN)
    advice: tuple[Text, ...] = ()
    advice_levels: tuple[Urgency, ...] | None = None
    safety_netting: tuple[Text, ...] = ()
    source: str = Field(min_length=1)
    note: str | None = None
    acknowledge: tuple[Acknowledgment, ...] = ()

    @model_validator(mode="after")
    def _has_effect(self) -> Rule:
        if self.urgency is None and self.asserts is None and not self.advice:
            raise ValueError("a rule needs an effect: urgency, asserts or advice")
        if self.surgical and self.urgency is None:
            raise ValueError("surgical: true needs an urgency on the same rule")
        if self.advice_levels is not None and not self.advice:
            raise ValueError("advice_levels without advice")
        if self.safety_netting and self.urgency is None:
            raise ValueError("safety_netting needs an urgency on the same rule")
        return self

    def shows_advice_at(self, level: Urgency) -> bool:
        """Whether this rule's advice is shown when the case's level is ``level``.

        By default a level-setting rule's advice is written for its own level (advice to
        "book" does not belong to an emergency), and an advice rule's for every level.
        """
        if self.advice_levels is not None:
            return level in self.advice_levels
        return self.urgency is None or self.urgency == level


class Criterion(BaseModel):
    """A criterion of clinical-criteria.md that rules encode."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Urgency
    title: str


class LevelText(BaseModel):
    """What a level means for the person, and the advice every case at that level gets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    meaning: str
    advice: tuple[Text, ...] = ()


class IncompleteText(BaseModel):
    """The reason shown when unanswered questions hold a case at the ``soon`` floor."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    criterion: str
    title: str
    source: str


class RuleBaseMeta(BaseModel):
    """The contents of ``rulebase.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    sources: dict[str, str] = Field(min_length=1)
    criteria: dict[str, Criterion] = Field(min_length=1)
    levels: dict[Urgency, LevelText]
    safety_netting: tuple[Text, ...] = Field(min_length=1)
    incomplete: IncompleteText

    @model_validator(mode="after")
    def _every_level(self) -> RuleBaseMeta:
        missing = [level for level in reversed(Urgency) if level not in self.levels]
        if missing:
            raise ValueError(f"levels is missing {', '.join(missing)}")
        return self


@dataclass(frozen=True)
class LocatedRule:
    """A rule, the file it came from and the line of its id there."""

    rule: Rule
    file: str
    line: int = 1

    @property
    def where(self) -> str:
        """``soon.yaml:23: rule 'night-pain'``: how problems with this rule are located."""
        return f"{self.file}:{self.line}: rule '{self.rule.id}'"


@dataclass(frozen=True)
class RuleBase:
    """A validated, consistent set of rules with its version and content hash."""

    meta: RuleBaseMeta
    located: tuple[LocatedRule, ...]
    content_hash: str
    folder: str = ""

    @property
    def location(self) -> str:
        """The rule folder as an absolute path (what outputs name), or "" for a rule base made in memory."""
        return os.path.abspath(self.folder) if self.folder else ""

    @property
    def version(self) -> str:
        """The version written in ``rulebase.yaml``."""
        return self.meta.version

    @property
    def rules(self) -> tuple[Rule, ...]:
        """All rules in file order (files sorted by name)."""
        return tuple(item.rule for item in self.located)

    @cached_property
    def _index(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id."""
        return self._index[rule_id]

    @cached_property
    def compiled(self) -> dict[str, Compiled]:
        """Each rule's condition compiled to closures, by rule id."""
        return {rule.id: compile_condition(rule.when) for rule in self.rules}

    @cached_property
    def text_choices(self) -> TextChoices:
        """Every advice and safety-netting text with its condition compiled (chosen for every case: compiled once)."""
        return TextChoices(
            advice={rule.id: choices(rule.advice) for rule in self.rules},
            safety_netting={rule.id: choices(rule.safety_netting) for rule in self.rules},
            level_advice={level: choices(text.advice) for level, text in self.meta.levels.items()},
            general_safety_netting=choices(self.meta.safety_netting),
        )

    @cached_property
    def findings_read(self) -> dict[str, tuple[str, ...]]:
        """The findings each rule reads, by rule id."""
        return {rule.id: tuple(findings_read(rule.when)) for rule in self.rules}

    @cached_property
    def asserting(self) -> dict[str, tuple[Rule, ...]]:
        """The rules that assert each finding, in rule-base order."""
        found: dict[str, list[Rule]] = {}
        for rule in self.rules:
            if rule.asserts:
                found.setdefault(rule.asserts, []).append(rule)
        return {finding: tuple(rules) for finding, rules in found.items()}

    @cached_property
    def answers_behind(self) -> dict[str, frozenset[str]]:
        """Every case field each rule depends on, directly or through the findings it reads, by rule id."""
        result: dict[str, frozenset[str]] = {}

        def behind(rule: Rule) -> frozenset[str]:
            # Findings form no cycles (checked on load), so the recursion ends.
            if rule.id not in result:
                fields = set(fields_read(rule.when))
                for finding in self.findings_read[rule.id]:
                    for source in self.asserting.get(finding, ()):
                        fields |= behind(source)
                result[rule.id] = frozenset(fields)
            return result[rule.id]

        for rule in self.rules:
            behind(rule)
        return result

    @cached_property
    def consumed_findings(self) -> frozenset[str]:
        """Findings that some rule reads (only these need to reach the engine)."""
        return frozenset(f for read in self.findings_read.values() for f in read)

    @cached_property
    def fields_read(self) -> tuple[str, ...]:
        """Every case field some rule reads, in case-format order."""
        read = {f for rule in self.rules for f in fields_read(rule.when)}
        return tuple(name for name in DOMAINS if name in read)

    @cached_property
    def labels(self) -> dict[Urgency, str]:
        """The headline label of each level (``EMERGENCY``, ``SEE A DOCTOR SOON`` ...)."""
        return {level: text.label for level, text in self.meta.levels.items()}


