"""The mutants of the mutation gate: each a named, deliberate bug the suite must catch.

A mutant is one or a few exact text edits (each pattern must occur exactly once in its
file, so that a mutant whose code has moved fails loudly instead of testing nothing) and
the tests run against it, in order, stopping at the first failure. The tests are chosen
per mutant so that the gate stays fast: the most direct test of the behaviour first, the
broad ones (golden cases, the independent oracle, the properties) after it.

Patterns are kept to a line or a few tokens, so that when code moves the pattern is easy
to find again; ``python -m tests.mutation.run --check`` tells which ones no longer apply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace ``old``, which must occur exactly once in ``path``, with ``new``."""

    path: str
    old: str
    new: str


@dataclass(frozen=True)
class Mutant:
    """A named bug: its edits, the pytest arguments (files or test ids) run against it, and what it breaks."""

    name: str
    group: str
    edits: tuple[Edit, ...]
    tests: tuple[str, ...]
    breaks: str


MODELS = "triage/models.py"
COMPLETENESS = "triage/assess/completeness.py"
ASSESSOR = "triage/assess/assessor.py"
TEXTS = "triage/assess/texts.py"
OPERATORS = "triage/language/operators.py"
EVALUATION = "triage/language/evaluation.py"
DURABLE = "triage/engines/durable.py"
CODEGEN = "triage/language/codegen.py"
RULES = "triage/data/rules/"

#: Groups run by ``--fast`` (CI): the completeness logic and the operators of the rule language.
FAST_GROUPS = ("completeness", "operators")

# Test selections, most direct first. Every argument is a file or a test id under tests/.
T_COMPLETENESS = ("tests/test_completeness.py", "tests/test_assessment.py", "tests/test_golden.py",
                  "tests/test_oracle.py", "tests/test_properties.py")
T_ENGINES_AGREE = ("tests/test_engine.py::test_negation_and_unknowns_compile_to_the_same_meaning",
                   "tests/test_engine.py::test_random_conditions_compile_to_the_same_meaning",
                   "tests/test_engines_agree.py")
T_OPERATORS = ("tests/test_engine.py::test_each_operator_plain_and_negated_means_what_the_oracle_says", *T_ENGINES_AGREE, "tests/test_golden.py", "tests/test_oracle.py", "tests/test_texts.py")
T_ORACLE_PYTHON = ("tests/test_oracle.py::test_the_product_agrees_with_the_oracle_on_random_cases[python]",)
T_ORACLE_DURABLE = ("tests/test_oracle.py::test_the_product_agrees_with_the_oracle_on_random_cases[durable]",)
T_RULES = ("tests/test_golden.py", "tests/test_completeness.py", "tests/test_assessment.py", "tests/test_rulebook.py")
T_TEXTS = ("tests/test_assessment.py", "tests/test_texts.py", "tests/test_views.py", "tests/test_readme.py")


def one(name: str, group: str, path: str, old: str, new: str, tests: tuple[str, ...], breaks: str) -> Mutant:
    """A mutant of a single edit."""
    return Mutant(name, group, (Edit(path, old, new),), tests, breaks)


def enumerated_without(name: str, field: str, value: str, breaks: str) -> Mutant:
    """A mutant that never tries one class of answers of a field without a severity order."""
    return one(name, "completeness", COMPLETENESS, "representatives(name, tests[name], unknown=False)",
               f"[v for v in representatives(name, tests[name], unknown=False) if (name, v) != ({field!r}, {value})]",
               T_COMPLETENESS, breaks)


def lowered(name: str, file: str, rule_line: str, level: str, lower: str, criterion: str, breaks: str) -> Mutant:
    """A mutant that lowers a criterion's level, in its rule and in the criteria list of rulebase.yaml alike
    (the loader refuses a rule below its criterion, which would kill the mutant for the wrong reason)."""
    return Mutant(name, "rules", (
        Edit(RULES + file, f"{rule_line}\n    urgency: {level}", f"{rule_line}\n    urgency: {lower}"),
        Edit(RULES + "rulebase.yaml", f"  {criterion}: {{level: {level},", f"  {criterion}: {{level: {lower},"),
    ), T_RULES, breaks)


COMPLETENESS_MUTANTS = (
    one("worst-case-yes-no-filled-no", "completeness", MODELS, '"yes_no":\n        return True',
        '"yes_no":\n        return False', T_COMPLETENESS,
        "the worst-case completion answers a blank yes/no question 'no'"),
    one("worst-case-choice-filled-least-severe", "completeness", MODELS, "return SEVERITY_ORDER[name][-1]",
        "return SEVERITY_ORDER[name][0]", T_COMPLETENESS,
        "the worst-case completion gives a blank choice its least severe answer"),
    one("worst-case-choice-filled-one-below-worst", "completeness", MODELS, "return SEVERITY_ORDER[name][-1]",
        "return SEVERITY_ORDER[name][-2]", T_COMPLETENESS,
        "the worst-case completion gives a blank choice its second most severe answer (stable weakness, one leg)"),
    one("worst-case-pain-filled-6", "completeness", MODELS, '"pain_score": 10', '"pain_score": 6', T_COMPLETENESS,
        "a blank pain score is filled as 6 in the worst case, below the 7 of U6 and S9"),
    one("worst-case-duration-filled-41-days", "completeness", MODELS, '"duration_days": 365', '"duration_days": 41',
        T_COMPLETENESS, "a blank duration is filled as 41 days in the worst case, below R2's 6 weeks"),
    one("worst-case-care-filled-11-weeks", "completeness", MODELS, '"conservative_care_weeks": 52',
        '"conservative_care_weeks": 11', T_COMPLETENESS,
        "a blank length of conservative care is filled as 11 weeks in the worst case, below R1's 12"),
    one("best-case-yes-no-filled-yes", "completeness", MODELS, '"yes_no":\n        return False',
        '"yes_no":\n        return True', T_COMPLETENESS,
        "the best-case completion answers a blank yes/no question 'yes'"),
    one("best-case-choice-filled-one-above-least", "completeness", MODELS, "return SEVERITY_ORDER[name][0]",
        "return SEVERITY_ORDER[name][1]", T_COMPLETENESS,
        "the best-case completion gives a blank choice its second least severe answer"),
    one("best-case-number-filled-maximum", "completeness", MODELS, "(domain.minimum or 0)", "(domain.maximum or 0)",
        T_COMPLETENESS, "the best-case completion gives a blank number its largest value"),
    one("worst-case-uses-the-best-fill", "completeness", COMPLETENESS, "fills = self._most if worst else",
        "fills = self._least if worst else", T_COMPLETENESS,
        "the worst-case completion fills blanks with their least severe answers"),
    one("best-case-uses-the-worst-fill", "completeness", COMPLETENESS, "if worst else self._least\n",
        "if worst else self._most\n", T_COMPLETENESS,
        "the best-case completion fills blanks with their most severe answers"),
    enumerated_without("age-70-and-over-never-tried", "age", "70", "a blank age is never tried as 70 or over"),
    enumerated_without("age-under-16-never-tried", "age", "0", "a blank age is never tried as a child's"),
    enumerated_without("region-mid-back-never-tried", "region", "'thoracic'", "a blank region is never tried as the mid back"),
    enumerated_without("ces-duration-over-14-days-never-tried", "ces_symptoms_days", "15",
                       "a blank duration of cauda equina symptoms is never tried as long-standing"),
    one("age-not-required", "completeness", COMPLETENESS, 'REQUIRED_FOR_COMPLETE = ("age", "region")',
        'REQUIRED_FOR_COMPLETE = ("region",)', T_COMPLETENESS, "a case without its age can be complete"),
    one("region-not-required", "completeness", COMPLETENESS, 'REQUIRED_FOR_COMPLETE = ("age", "region")',
        'REQUIRED_FOR_COMPLETE = ("age",)', T_COMPLETENESS, "a case without its region can be complete"),
    one("floor-lowered-to-routine", "completeness", COMPLETENESS, "FLOOR = Urgency.SOON", "FLOOR = Urgency.ROUTINE",
        T_COMPLETENESS, "an incomplete case is held at routine, not soon"),
    one("floor-of-questions-that-could-change-removed", "completeness", COMPLETENESS,
        "(could_raise if level >= _FLOOR else could_change)", "could_raise", T_COMPLETENESS,
        "below soon, only questions that could raise the level hold the case (answering yes could lower it)"),
    one("certain-level-does-not-raise-the-level", "completeness", COMPLETENESS,
        "level = max(given_rank, certain)", "level = given_rank", T_COMPLETENESS,
        "the level every completion reaches does not raise the level of the answers as given"),
    one("reasons-of-given-and-completion-swapped", "completeness", COMPLETENESS,
        "if given_rank >= certain or bests is None:", "if given_rank < certain or bests is None:", T_COMPLETENESS,
        "the reasons shown are the completion's when the answers as given set the level, and the reverse"),
    one("open-questions-not-sorted-most-serious-first", "completeness", COMPLETENESS,
        "reach = sorted([(-potential.get(name, level), _ORDER[name], name) for name in listed])",
        "reach = sorted([(-potential.get(name, level), _ORDER[name], name) for name in listed], key=lambda r: r[1])",
        T_COMPLETENESS,
        "the open questions are listed in questionnaire order, not most serious first"),
    one("emergency-with-blanks-incomplete", "completeness", COMPLETENESS, "if level == _EMERGENCY:",
        "if False:", T_COMPLETENESS, "an emergency with unanswered questions is reported incomplete"),
    one("question-that-cannot-raise-listed-as-raising", "completeness", COMPLETENESS, "raises = rank > level_rank",
        "raises = rank >= level_rank", T_COMPLETENESS,
        "a question that could only confirm the level is listed as one that could raise it"),
    one("could-reach-the-lowest-level", "completeness", COMPLETENESS,
        "if potential.get(name, -1) < rank:", "if True:", T_COMPLETENESS,
        "an open question says the lowest level its answer could lead to, not the highest"),
)

OPERATOR_MUTANTS = (
    one("python-lt-as-lte", "operators", OPERATORS, "op.lt, negation=", "op.le, negation=", T_OPERATORS,
        "lt is read as 'at most' in Python"),
    one("python-lte-as-lt", "operators", OPERATORS, "op.le, negation=", "op.lt, negation=", T_OPERATORS,
        "lte is read as 'less than' in Python (E1's 14 days)"),
    one("python-gt-as-gte", "operators", OPERATORS, "op.gt, negation=", "op.ge, negation=", T_OPERATORS,
        "gt is read as 'at least' in Python"),
    one("python-gte-as-gt", "operators", OPERATORS, "op.ge, negation=", "op.gt, negation=", T_OPERATORS,
        "gte is read as 'more than' in Python (U7's 70, U6's 7)"),
    one("python-is-as-ne", "operators", OPERATORS, "op.eq, negation=", "op.ne, negation=", T_OPERATORS,
        "is is read as 'is not' in Python"),
    one("python-ne-as-is", "operators", OPERATORS, "op.ne, negation=", "op.eq, negation=", T_OPERATORS,
        "ne is read as 'is' in Python"),
    one("python-in-as-not-in", "operators", OPERATORS, "return value in values", "return value not in values",
        T_OPERATORS, "in is read as 'not in' in Python"),
    one("durable-lt-as-lte", "operators", OPERATORS, 'durable="$lt"', 'durable="$lte"', T_OPERATORS,
        "lt compiles to durable_rules' $lte"),
    one("durable-lte-as-lt", "operators", OPERATORS, 'durable="$lte"', 'durable="$lt"', T_OPERATORS,
        "lte compiles to durable_rules' $lt (E1's 14 days)"),
    one("durable-gt-as-gte", "operators", OPERATORS, 'durable="$gt"', 'durable="$gte"', T_OPERATORS,
        "gt compiles to durable_rules' $gte (U5's 14 days)"),
    one("durable-gte-as-gt", "operators", OPERATORS, 'durable="$gte"', 'durable="$gt"', T_OPERATORS,
        "gte compiles to durable_rules' $gt"),
    one("durable-is-as-neq", "operators", OPERATORS, 'negation="ne", durable=""', 'negation="ne", durable="$neq"',
        T_OPERATORS, "is compiles to durable_rules' $neq"),
    one("durable-ne-as-equality", "operators", OPERATORS, 'durable="$neq"', 'durable=""', T_OPERATORS,
        "ne compiles to durable_rules' equality"),
    one("durable-in-as-all-of", "operators", DURABLE, 'compared = _join("$or", [_compare(field, each.name',
        'compared = _join("$and", [_compare(field, each.name', T_OPERATORS,
        "in compiles to 'equal to every listed value'"),
    one("durable-negated-in-as-any-of", "operators", DURABLE, 'compared = _join("$and", [_compare(field, each.negation',
        'compared = _join("$or", [_compare(field, each.negation', T_OPERATORS,
        "not-in compiles to 'differs from one listed value'"),
    one("negation-of-is-is", "operators", OPERATORS, 'op.eq, negation="ne"', 'op.eq, negation="is"', T_OPERATORS,
        "the negation table says not-is is is (durable_rules compiles 'not' with it)"),
    one("negation-of-lt-is-gt", "operators", OPERATORS, 'negation="gte", durable="$lt"',
        'negation="gt", durable="$lt"', T_OPERATORS, "the negation table says not-lt is gt"),
    one("negation-of-lte-is-gte", "operators", OPERATORS, 'negation="gt", durable="$lte"',
        'negation="gte", durable="$lte"', T_OPERATORS, "the negation table says not-lte is gte"),
    one("negation-of-gt-is-lt", "operators", OPERATORS, 'negation="lte", durable="$gt"',
        'negation="lt", durable="$gt"', T_OPERATORS, "the negation table says not-gt is lt"),
    one("negation-of-gte-is-lte", "operators", OPERATORS, 'negation="lt", durable="$gte"',
        'negation="lte", durable="$gte"', T_OPERATORS, "the negation table says not-gte is lte"),
    one("python-or-unknown-ignored", "operators", EVALUATION, "return or_unknown if value is None",
        "return False if value is None", T_OPERATORS, "or_unknown is ignored in Python: a test on a blank is false"),
    one("python-or-unknown-inverted", "operators", EVALUATION, "return or_unknown if value is None",
        "return not or_unknown if value is None", T_OPERATORS, "or_unknown is inverted in Python"),
    one("durable-or-unknown-ignored", "operators", DURABLE, "if test.or_unknown != negate:", "if negate:",
        T_OPERATORS, "or_unknown is ignored by the durable_rules compiler"),
    one("durable-or-unknown-inverted", "operators", DURABLE, "if test.or_unknown != negate:",
        "if test.or_unknown == negate:", T_OPERATORS, "or_unknown is inverted by the durable_rules compiler"),
    one("python-unknown-inverted", "operators", EVALUATION, "(answers.get(field) is None) == wanted",
        "(answers.get(field) is None) != wanted", T_OPERATORS, "'unknown: true' holds for a known answer in Python"),
    one("durable-unknown-inverted", "operators", DURABLE, "return unknown if test.value != negate else known",
        "return known if test.value != negate else unknown", T_OPERATORS,
        "'unknown: true' compiles to 'known' for durable_rules"),
)

ENGINE_MUTANTS = (
    one("durable-drops-a-fired-rule", "engines", DURABLE, "if rule_id != CATCH_ALL and rule_id not in seen:",
        'if rule_id != CATCH_ALL and rule_id not in seen and rule_id != "night-pain":',
        ("tests/test_golden.py", *T_ORACLE_DURABLE), "durable_rules' action skips the night-pain rule (S3)"),
    one("python-drops-a-fired-rule", "engines", CODEGEN,
        "targets=[ast.Name(id=fired[rule.id], ctx=ast.Store())], value=condition))",
        'targets=[ast.Name(id=fired[rule.id], ctx=ast.Store())], value=condition if rule.id != "night-pain" '
        "else ast.Constant(value=False)))",
        (*T_ENGINES_AGREE, *T_ORACLE_PYTHON), "the Python engine skips the night-pain rule (S3)"),
    one("durable-drops-a-finding", "engines", DURABLE, "if finding in self._consumed:",
        'if finding in self._consumed and finding != "ces_symptom":', ("tests/test_golden.py", *T_ORACLE_DURABLE),
        "durable_rules never asserts the cauda equina symptom finding (E1 cannot fire)"),
    one("python-drops-a-finding", "engines", CODEGEN,
        "value = sources[0] if len(sources) == 1 else ast.BoolOp(op=ast.Or(), values=sources)",
        "value = (sources[0] if len(sources) == 1 else ast.BoolOp(op=ast.Or(), values=sources)) "
        'if rule.asserts != "infection_risk" else ast.Constant(value=False)',
        (*T_ENGINES_AGREE, *T_ORACLE_PYTHON), "the Python engine never asserts the infection-risk finding (E5)"),
    one("python-engine-ignores-the-order-findings-need", "engines", CODEGEN,
        "for rule in firing_order(rulebase):", "for rule in rulebase.rules:",
        (*T_ENGINES_AGREE, *T_ORACLE_PYTHON),
        "the compiled engine evaluates the rules in file order, not after the rules asserting what they read"),
    one("lowest-level-wins", "engines", COMPLETENESS,
        "given_rank = max([ranks[rule.id] for rule in given.rules], default=0)",
        "given_rank = min([ranks[rule.id] for rule in given.rules], default=0)", ("tests/test_golden.py", *T_ORACLE_DURABLE),
        "the lowest level among the fired rules is reported"),
    one("surgical-only-when-every-reason-is", "engines", ASSESSOR,
        "surgical_consultation=any(rule.surgical", "surgical_consultation=all(rule.surgical",
        ("tests/test_golden.py", *T_ORACLE_DURABLE), "surgical consultation only when every reason is surgical"),
    one("reasons-lowest-first", "engines", ASSESSOR, "key=_urgency_rank, reverse=True)", "key=_urgency_rank)",
        ("tests/test_assessment.py", "tests/test_views.py", "tests/test_interview.py", "tests/test_readme.py"),
        "the reasons are listed least urgent first"),
)

RULE_MUTANTS = (
    lowered("E2-lowered-to-urgent", "emergency.yaml", "        - {field: bowel_change, is: true}", "emergency",
            "urgent", "E2", "late cauda equina signs (retention, incontinence, bowel) are urgent, not an emergency"),
    lowered("U2-lowered-to-soon", "urgent.yaml", "    when: {field: fever, is: true}", "urgent", "soon", "U2",
            "fever with spinal pain is 'soon', not urgent"),
    lowered("S3-lowered-to-routine", "soon.yaml", "    when: {field: night_pain, is: true}", "soon", "routine", "S3",
            "night pain is routine, not 'soon'"),
    one("E1-14-days-becomes-13", "rules", RULES + "emergency.yaml", "{field: ces_symptoms_days, lte: 14,",
        "{field: ces_symptoms_days, lte: 13,", T_RULES, "cauda equina symptoms of exactly 14 days are not 'recent'"),
    one("U5-more-than-14-days-becomes-15", "rules", RULES + "urgent.yaml", "{field: ces_symptoms_days, gt: 14}",
        "{field: ces_symptoms_days, gt: 15}", T_RULES, "cauda equina symptoms of 15 days fall between E1 and U5"),
    one("U7-age-70-becomes-71", "rules", RULES + "urgent.yaml", "{field: age, gte: 70}", "{field: age, gte: 71}",
        T_RULES, "a minor strain at 70 is no longer urgent"),
    one("U6-pain-7-becomes-8", "rules", RULES + "urgent.yaml", "{field: pain_score, gte: 7}",
        "{field: pain_score, gte: 8}", T_RULES, "severe leg pain scored 7 is no longer urgent"),
    one("R1-12-weeks-becomes-13", "rules", RULES + "routine.yaml", "{field: conservative_care_weeks, gte: 12}",
        "{field: conservative_care_weeks, gte: 13}", T_RULES, "12 weeks of failed conservative care is not enough"),
    one("safety-netting-bowel-line-removed", "rules", RULES + "rulebase.yaml",
        '  - "Go straight away, too, if you lose control of your bowels or cannot feel when your bowel is full."\n',
        "", T_TEXTS, "the general safety-netting no longer names loss of bowel control"),
    one("U2-safety-netting-removed", "rules", RULES + "urgent.yaml",
        '    safety_netting:\n      - "If you get any weakness in an arm or leg, or feel very unwell, go to an emergency '
        'department at once."\n', "", T_TEXTS,
        "fever with spinal pain no longer says to go to the emergency department if weakness comes"),
    one("emergency-advice-do-not-drive-removed", "rules", RULES + "rulebase.yaml",
        '      - "Do not wait to see if it gets better, and do not drive yourself."\n', "", T_TEXTS,
        "an emergency is no longer told not to wait and not to drive"),
    one("E4-advice-removed", "rules", RULES + "emergency.yaml",
        '    advice:\n      - "Tell the staff about your cancer: you need an MRI scan of the whole spine within 24 hours."\n',
        "", T_TEXTS, "cancer with nerve symptoms is no longer told to ask for a whole-spine MRI within 24 hours"),
)

TEXT_MUTANTS = (
    one("advice-of-any-level-shown", "texts", TEXTS, "if rule.advice and rule.shows_advice_at(level):",
        "if rule.advice:", T_TEXTS, "a rule's advice is shown at every level, 'book an appointment' at an emergency"),
    one("text-conditions-ignored", "texts", "triage/language/rulebook.py",
        "item.holds is None or item.holds(answers, _NO_FINDINGS)", "True", T_TEXTS,
        "every text is shown whatever the answers: the neck's signs for low-back pain"),
    one("rule-safety-netting-at-an-emergency", "texts", TEXTS, "if level != Urgency.EMERGENCY:", "if True:", T_TEXTS,
        "an emergency is also told what would make it an emergency"),
)

MUTANTS: tuple[Mutant, ...] = (*COMPLETENESS_MUTANTS, *OPERATOR_MUTANTS, *ENGINE_MUTANTS, *RULE_MUTANTS, *TEXT_MUTANTS)

#: A mutant that changes nothing the suite can see: the gate must report it SURVIVED (``--include-sanity``).
SANITY = one("sanity-comment-only", "sanity", COMPLETENESS,
             "#: The lowest level of a case that unanswered questions could change.",
             "#: The lowest level of a case that its unanswered questions could change (a comment edit).",
             T_COMPLETENESS, "nothing: a comment changes, so the suite must pass and the gate report SURVIVED")
