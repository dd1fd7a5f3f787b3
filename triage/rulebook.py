"""Rule files -> validated, cross-checked ``RuleBase``.

The rule base is a folder: ``rulebase.yaml`` (version, sources, criteria, level texts,
safety-netting) and any number of rule files ``*.yaml`` each holding ``rules: [...]``.
Everything is loaded with ``yaml.safe_load`` semantics and validated by pydantic with
unknown keys as errors. Every problem in every file is reported at once, located by
file, rule id and field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .conditions import (
    COMPARISONS, NODE_TAGS, NUMERIC_OPERATORS, Compiled, Condition, FieldTest, compile_condition, fields_read,
    findings_read, leaves, negates_finding, polarity_leaves,
)
from .errors import RuleBaseError
from .models import DOMAINS, SEVERE_INTEGER_FILL, SEVERITY_ORDER, URGENCY_ORDER, URGENCY_RANK, Urgency
from .validation import SyntaxProblem, format_location, located_messages, parse_yaml, suggest

META_FILE = "rulebase.yaml"
RULE_FILE_PATTERNS = ("*.yaml", "*.yml")
# Rule ids start with a letter or digit: names starting with '_' are the engine's own.
ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
FINDING_PATTERN = r"^[a-z][a-z0-9_]*$"


class Acknowledgment(BaseModel):
    """An issue that ``triage check``'s verification (triage/verify.py) reports on this rule, intended, and why."""

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
    urgency: Optional[Urgency] = None
    surgical: bool = False
    asserts: Optional[str] = Field(None, pattern=FINDING_PATTERN)
    advice: tuple[str, ...] = ()
    advice_levels: Optional[tuple[Urgency, ...]] = None
    safety_netting: tuple[str, ...] = ()
    source: str = Field(min_length=1)
    note: Optional[str] = None
    acknowledge: tuple[Acknowledgment, ...] = ()

    @model_validator(mode="after")
    def _has_effect(self) -> "Rule":
        if self.urgency is None and self.asserts is None and not self.advice:
            raise ValueError("a rule needs an effect: urgency, asserts or advice")
        if self.surgical and self.urgency is None:
            raise ValueError("surgical: true needs an urgency on the same rule")
        if self.advice_levels is not None and not self.advice:
            raise ValueError("advice_levels without advice")
        if self.safety_netting and self.urgency is None:
            raise ValueError("safety_netting needs an urgency on the same rule")
        return self

    def shows_advice_at(self, level: str) -> bool:
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
    advice: tuple[str, ...] = ()


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
    safety_netting: tuple[str, ...] = Field(min_length=1)
    incomplete: IncompleteText

    @model_validator(mode="after")
    def _every_level(self) -> "RuleBaseMeta":
        missing = [level for level in URGENCY_ORDER if level not in self.levels]
        if missing:
            raise ValueError(f"levels is missing {', '.join(missing)}")
        return self


@dataclass(frozen=True)
class LocatedRule:
    """A rule and the file it came from."""

    rule: Rule
    file: str


@dataclass(frozen=True)
class RuleBase:
    """A validated, consistent set of rules with its version and content hash."""

    meta: RuleBaseMeta
    located: tuple[LocatedRule, ...]
    content_hash: str
    folder: str = ""

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
    def findings_read(self) -> dict[str, tuple[str, ...]]:
        """The findings each rule reads, by rule id."""
        return {rule.id: tuple(findings_read(rule.when)) for rule in self.rules}

    @cached_property
    def answers_behind(self) -> dict[str, frozenset[str]]:
        """Every case field each rule depends on, directly or through the findings it reads, by rule id."""
        asserting: dict[str, list[Rule]] = {}
        for rule in self.rules:
            if rule.asserts:
                asserting.setdefault(rule.asserts, []).append(rule)
        result: dict[str, frozenset[str]] = {}

        def behind(rule: Rule) -> frozenset[str]:
            # Findings form no cycles (checked on load), so the recursion ends.
            if rule.id not in result:
                fields = set(fields_read(rule.when))
                for finding in self.findings_read[rule.id]:
                    for source in asserting.get(finding, ()):
                        fields |= behind(source)
                result[rule.id] = frozenset(fields)
            return result[rule.id]

        for rule in self.rules:
            behind(rule)
        return result

    @cached_property
    def consumed_findings(self) -> frozenset[str]:
        """Findings that some rule reads (only these need to reach the engine)."""
        return frozenset(f for rule in self.rules for f in findings_read(rule.when))

    @cached_property
    def fields_read(self) -> tuple[str, ...]:
        """Every case field some rule reads, in case-format order."""
        read = {f for rule in self.rules for f in fields_read(rule.when)}
        return tuple(name for name in DOMAINS if name in read)


def bundled_rules_dir() -> Path:
    """The rule folder shipped with the package (installed), or the repository's ``rules/`` (source tree)."""
    installed = resources.files("triage") / "_data" / "rules"
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parent.parent / "rules"


def content_hash(files: dict[str, str]) -> str:
    """SHA-256 of the rule files' names and contents, independent of the folder they live in."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()


def _read(folder: Path) -> tuple[dict[str, str], list[str]]:
    problems: list[str] = []
    if not folder.is_dir():
        return {}, [f"{folder}: not a folder of rule files"]
    texts = {}
    for path in sorted(p for pattern in RULE_FILE_PATTERNS for p in folder.glob(pattern)):
        try:
            texts[path.name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path.name}: cannot read: {exc}")
    if META_FILE not in texts and not problems:
        problems.append(f"{META_FILE}: missing (it holds the version, sources, criteria and level texts)")
    if len(texts) <= 1 and not problems:
        problems.append(f"{folder}: no rule files (*.yaml besides {META_FILE})")
    return texts, problems


#: Every key a rule file or rulebase.yaml may use, for "did you mean" hints.
_KNOWN_KEYS = sorted(
    {"all", "any", "not", "finding", "field", "is", "in", "ne", "lt", "lte", "gt", "gte", "unknown", "or_unknown",
     "rules"}
    | set(Rule.model_fields) | set(RuleBaseMeta.model_fields) | set(LevelText.model_fields)
    | set(IncompleteText.model_fields) | set(Acknowledgment.model_fields)
)


def _validate(model: type[BaseModel], data: Any, file: str, label: str = "") -> tuple[Any, list[str]]:
    """Validate data against a model; each problem names the file, the rule (when given) and the field."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for loc, reason in located_messages(exc, skip=NODE_TAGS):
            if reason == "must not be empty" and _value_at(data, loc):
                continue  # pydantic's echo on a list whose items failed: the items' own errors say why
            if loc and reason.startswith("unknown field"):
                reason = f"unknown key{suggest(str(loc[-1]), _KNOWN_KEYS)}"
            parts = [file, label, format_location(loc)]
            problems.append(": ".join(p for p in parts if p) + f": {reason}")
        return None, problems


def _rule_file(data: Any, file: str) -> tuple[list["LocatedRule"], list[str]]:
    """The valid rules of one file, and a located problem for each invalid one (rules are checked one by one)."""
    if not isinstance(data, dict) or set(data) != {"rules"} or not isinstance(data["rules"], list) or not data["rules"]:
        return [], [f"{file}: a rule file holds one key, 'rules', with a list of rules"]
    located, problems = [], []
    for number, item in enumerate(data["rules"], 1):
        rule_id = item.get("id") if isinstance(item, dict) else None
        label = f"rule '{rule_id}'" if isinstance(rule_id, str) else f"rule #{number}"
        rule, found = _validate(Rule, item, file, label)
        problems += found
        if rule is not None:
            located.append(LocatedRule(rule, file))
    return located, problems


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    """The raw value at a location, or None when the location does not exist."""
    for part in loc:
        if not isinstance(data, (dict, list)) or not _has(data, part):
            return None
        data = data[part]
    return data


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


_NEGATED_OPERATOR = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}


def _polarity_problem(test: FieldTest, negated: bool) -> Optional[str]:
    """Why a test could let a blank answer come out lower than every answer would, if it could.

    The completeness test fills each unanswered question with its most severe answer, which
    finds everything a blank could hide only if every test holds for more severe answers
    whenever it holds for less severe ones, or else holds for an unknown answer too.
    """
    domain = DOMAINS[test.field]
    holds_if_unknown = test.or_unknown != negated
    if test.operator == "unknown":
        return None if test.unknown != negated else "the test holds only once the question is answered"
    if holds_if_unknown:
        return None
    if domain.kind == "yes_no" or test.field in SEVERITY_ORDER:
        order = (False, True) if domain.kind == "yes_no" else SEVERITY_ORDER[test.field]
        compare = COMPARISONS[test.operator]
        holding = [compare(value, test.value) != negated for value in order]
        if holding != sorted(holding):  # true for a less severe answer, false for a more severe one
            return "the test holds for a less severe answer but not for an unknown one"
        return None
    if domain.kind == "integer":
        operator = _NEGATED_OPERATOR.get(test.operator, test.operator) if negated else test.operator
        if test.field not in SEVERE_INTEGER_FILL:
            return "an unknown answer is left unknown by the completeness test, so the test must hold for it"
        if operator not in ("gt", "gte"):
            return "only 'more than' tests are safe on a number whose worst value is the largest"
    return None


def _field_test_problems(test: FieldTest) -> list[str]:
    domain = DOMAINS.get(test.field)
    if domain is None:
        return [f"field '{test.field}' is not a case field{suggest(test.field, DOMAINS)}"]
    op, value = test.operator, test.value
    if op == "unknown":
        return []

    if op in NUMERIC_OPERATORS:
        if domain.kind != "integer":
            kind = {"yes_no": "a yes/no", "choice": "a choice", "text": "a text"}[domain.kind]
            return [f"field '{test.field}' is {kind} field; '{op}' needs a number field"]
        return []
    values = value if op == "in" else (value,)
    problems = []
    for item in values:
        if domain.kind == "yes_no" and not isinstance(item, bool):
            problems.append(f"field '{test.field}' is yes/no; {item!r} is not true or false")
        elif domain.kind == "choice" and item not in domain.choices:
            problems.append(f"field '{test.field}': {item!r} is not one of {', '.join(domain.choices)}")
        elif domain.kind == "integer" and (isinstance(item, bool) or not isinstance(item, int)):
            problems.append(f"field '{test.field}' is a whole number; {item!r} is not")
    return problems


def _cross_checks(meta: RuleBaseMeta, located: list[LocatedRule], every_rule_valid: bool) -> list[str]:
    problems: list[str] = []
    seen: dict[str, str] = {}
    asserted = {item.rule.asserts for item in located if item.rule.asserts}
    for item in located:
        rule, where = item.rule, f"{item.file}: rule '{item.rule.id}'"
        if rule.id in seen:
            problems.append(f"{where}: the id is already used by a rule in {seen[rule.id]}")
        seen.setdefault(rule.id, item.file)
        for leaf in leaves(rule.when):
            if isinstance(leaf, FieldTest):
                problems += [f"{where}: when: {p}" for p in _field_test_problems(leaf)]
            elif leaf.finding not in asserted and every_rule_valid:
                problems.append(
                    f"{where}: when: finding '{leaf.finding}' is asserted by no rule"
                    f"{suggest(leaf.finding, asserted)}"
                )
        for test, negated in polarity_leaves(rule.when):
            reason = _polarity_problem(test, negated) if test.field in DOMAINS else None
            if reason:
                # Unknown is not no: a blank answer must never be safer than every answer.
                problems.append(f"{where}: when: field '{test.field}': {reason}; add or_unknown: true "
                                "(or test the more severe answers)")
        if negates_finding(rule.when):
            problems.append(
                f"{where}: when: a finding under 'not' is not supported "
                "(findings are derived during chaining; negate the answers instead)"
            )
        criterion = meta.criteria.get(rule.criterion)
        if criterion is None:
            problems.append(f"{where}: criterion '{rule.criterion}' is not listed in {META_FILE}"
                            f"{suggest(rule.criterion, meta.criteria)}")
        elif rule.urgency and URGENCY_RANK[rule.urgency] < URGENCY_RANK[criterion.level]:
            problems.append(
                f"{where}: urgency {rule.urgency} is below its criterion {rule.criterion} ({criterion.level})"
            )
        if not any(key in rule.source for key in meta.sources):
            problems.append(f"{where}: source names none of the sources listed in {META_FILE}")
    problems += _cycle_problems(located)
    encoded = {item.rule.criterion for item in located}
    for name in meta.criteria:
        if name not in encoded and every_rule_valid:
            problems.append(f"{META_FILE}: criterion {name} is encoded by no rule")
    return problems


def _cycle_problems(located: list[LocatedRule]) -> list[str]:
    """Findings that depend on themselves through the rules that assert them."""
    depends: dict[str, set[str]] = {}
    for item in located:
        if item.rule.asserts:
            depends.setdefault(item.rule.asserts, set()).update(findings_read(item.rule.when))
    problems = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            problems.append(f"findings form a cycle: {' -> '.join(cycle)}")
            return
        state[name] = 1
        for nxt in sorted(depends.get(name, ())):
            visit(nxt, path + [name])
        state[name] = 2

    for name in sorted(depends):
        visit(name, [])
    return problems


def load_rulebase(folder: str | Path | None = None) -> RuleBase:
    """Load and check the rule files in ``folder`` (default: the bundled rules).

    Raises ``RuleBaseError`` listing every problem found, each located by file, rule id and field.
    """
    folder = Path(folder) if folder is not None else bundled_rules_dir()
    texts, problems = _read(folder)
    meta: Optional[RuleBaseMeta] = None
    located: list[LocatedRule] = []
    for name, text in texts.items():
        try:
            data = parse_yaml(text)
        except SyntaxProblem as exc:
            problems.append(f"{name}: {exc}")
            continue
        if name == META_FILE:
            meta, found = _validate(RuleBaseMeta, data, name)
        else:
            valid, found = _rule_file(data, name)
            located += valid
        problems += found
    if meta is not None:
        # After schema errors some rules are missing: skip the checks that need all of them.
        problems += _cross_checks(meta, located, every_rule_valid=not problems)
    if problems or meta is None:
        noun = "problem" if len(problems) == 1 else "problems"
        raise RuleBaseError(f"rule base {folder}: {len(problems)} {noun}", problems)
    return RuleBase(meta=meta, located=tuple(located), content_hash=content_hash(texts), folder=str(folder))

