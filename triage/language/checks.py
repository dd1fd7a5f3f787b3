"""The cross-file checks of a rule base: what a schema alone cannot see.

Unknown fields and values outside a field's answers (in rules' conditions and in the
conditions of advice and safety-netting texts), duplicate ids, findings no rule asserts,
findings under ``not`` or in a text's condition, cycles among findings, a rule below its
criterion's level, a source that names no listed document, a criterion no rule encodes — and the precondition
of the completeness test (``unknown_safety_problem``): a blank answer must never come out
safer than every answer would.
"""

from __future__ import annotations

from ..files import Lines
from ..models import DOMAINS, SEVERITY_ORDER, most_severe
from ..validation import suggest
from .conditions import FieldTest, FindingTest, findings_read, leaves, negates_finding, signed_leaves
from .evaluation import holds_for
from .operators import KNOWNNESS, negated_direction
from .rulebook import META_FILE, LocatedRule, RuleBaseMeta, Text

_KIND_WORDS = {"yes_no": "a yes/no", "choice": "a choice", "text": "a text"}


def unknown_safety_problem(test: FieldTest, negated: bool) -> str | None:
    """Why a test could let a blank answer come out lower than every answer would, if it could.

    The completeness test (``assess.completeness``) gives each unanswered question ordered by
    severity its most severe answer (and its least severe one), which finds everything a blank
    could hide only if every test on such a question holds for more severe answers whenever
    it holds for less severe ones, or else holds for an unknown answer too. Questions whose
    answers have no severity order (age, region, the duration of cauda equina symptoms) are
    tried with every answer the rules tell apart, so any test on them is safe.
    ``negated``: the test sits under an odd number of ``not``.
    """
    domain = DOMAINS[test.field]
    if test.operator == KNOWNNESS:
        return None if test.value != negated else "the test holds only once the question is answered"
    if test.or_unknown != negated or most_severe(test.field) is None:  # holds for unknown, or is enumerated
        return None
    if domain.kind == "yes_no" or test.field in SEVERITY_ORDER:
        order = (False, True) if domain.kind == "yes_no" else SEVERITY_ORDER[test.field]
        holding = [holds_for(test, value) != negated for value in order]
        if holding != sorted(holding):  # true for a less severe answer, false for a more severe one
            return "the test holds for a less severe answer but not for an unknown one"
        return None
    if domain.kind == "integer" and negated_direction(test.op, negated) != "up":
        return "only 'more than' tests are safe on a number whose worst value is the largest"
    return None


def field_test_problems(test: FieldTest) -> list[str]:
    """Problems of one field test against the case format: unknown field, wrong kind of field or value."""
    domain = DOMAINS.get(test.field)
    if domain is None:
        return [f"field '{test.field}' is not a case field{suggest(test.field, DOMAINS)}"]
    operator = test.op
    if operator.name == KNOWNNESS:
        return []
    if operator.numbers_only:
        if domain.kind != "integer":
            return [f"field '{test.field}' is {_KIND_WORDS[domain.kind]} field; '{operator.name}' needs a number field"]
        return []
    values = test.value if operator.operand == "values" else (test.value,)
    problems = []
    for item in values:
        if domain.kind == "yes_no" and not isinstance(item, bool):
            problems.append(f"field '{test.field}' is yes/no; {item!r} is not true or false")
        elif domain.kind == "choice" and item not in domain.choices:
            problems.append(f"field '{test.field}': {item!r} is not one of {', '.join(domain.choices)}")
        elif domain.kind == "integer" and (isinstance(item, bool) or not isinstance(item, int)):
            problems.append(f"field '{test.field}' is a whole number; {item!r} is not")
    return problems


def text_condition_problems(item: Text, where: str) -> list[str]:
    """Problems of the condition of one advice or safety-netting text, each prefixed by ``where``.

    A text's condition reads answers only: the assessor shows texts by the person's
    answers, and the engine asserts only the findings that some rule reads.
    """
    problems = []
    for leaf in leaves(item.when) if item.when is not None else ():
        if isinstance(leaf, FindingTest):
            problems.append(f"{where}: finding '{leaf.finding}': a text's condition tests answers only "
                            "(put the finding in the rule's own condition)")
        else:
            problems += [f"{where}: {p}" for p in field_test_problems(leaf)]
    return problems


def _meta_text_problems(meta: RuleBaseMeta, meta_lines: Lines) -> list[str]:
    groups: list[tuple[tuple[str, ...], tuple[Text, ...]]] = [(("safety_netting",), meta.safety_netting)]
    groups += [(("levels", str(level), "advice"), text.advice) for level, text in meta.levels.items()]
    problems = []
    for path, items in groups:
        for number, item in enumerate(items):
            line = meta_lines.of((*path, number))
            where = f"{META_FILE}{f':{line}' if line else ''}: {'.'.join(path)}[{number}].when"
            problems += text_condition_problems(item, where)
    return problems


def cross_checks(meta: RuleBaseMeta, located: list[LocatedRule], meta_lines: Lines,
                 every_rule_valid: bool) -> list[str]:
    """Every problem among valid rules and their meta file, each located by file, line and rule id."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    asserted = {item.rule.asserts for item in located if item.rule.asserts}
    for item in located:
        rule, where = item.rule, item.where
        if rule.id in seen:
            problems.append(f"{where}: the id is already used by a rule in {seen[rule.id]}")
        seen.setdefault(rule.id, item.file)
        for leaf in leaves(rule.when):
            if isinstance(leaf, FieldTest):
                problems += [f"{where}: when: {p}" for p in field_test_problems(leaf)]
            elif leaf.finding not in asserted and every_rule_valid:
                problems.append(
                    f"{where}: when: finding '{leaf.finding}' is asserted by no rule"
                    f"{suggest(leaf.finding, asserted)}"
                )
        for test, negated in signed_leaves(rule.when):
            if isinstance(test, FindingTest) or test.field not in DOMAINS:
                continue
            reason = unknown_safety_problem(test, negated)
            if reason:
                # Unknown is not no: a blank answer must never be safer than every answer.
                problems.append(f"{where}: when: field '{test.field}': {reason}; add or_unknown: true "
                                "(or test the more severe answers)")
        for key in ("advice", "safety_netting"):
            for number, text in enumerate(getattr(rule, key)):
                problems += text_condition_problems(text, f"{where}: {key}[{number}].when")
        if negates_finding(rule.when):
            problems.append(
                f"{where}: when: a finding under 'not' is not supported "
                "(findings are derived during chaining; negate the answers instead)"
            )
        criterion = meta.criteria.get(rule.criterion)
        if criterion is None:
            problems.append(f"{where}: criterion '{rule.criterion}' is not listed in {META_FILE}"
                            f"{suggest(rule.criterion, meta.criteria)}")
        elif rule.urgency and rule.urgency < criterion.level:
            problems.append(
                f"{where}: urgency {rule.urgency} is below its criterion {rule.criterion} ({criterion.level})"
            )
        if not any(key in rule.source for key in meta.sources):
            problems.append(f"{where}: source names none of the sources listed in {META_FILE}")
    problems += _meta_text_problems(meta, meta_lines)
    problems += _cycle_problems(located)
    encoded = {item.rule.criterion for item in located}
    for name in meta.criteria:
        if name not in encoded and every_rule_valid:
            line = meta_lines.of(("criteria", name))
            problems.append(f"{META_FILE}{f':{line}' if line else ''}: criterion {name} is encoded by no rule")
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
            cycle = [*path[path.index(name):], name]
            problems.append(f"findings form a cycle: {' -> '.join(cycle)}")
            return
        state[name] = 1
        for nxt in sorted(depends.get(name, ())):
            visit(nxt, [*path, name])
        state[name] = 2

    for name in sorted(depends):
        visit(name, [])
    return problems
