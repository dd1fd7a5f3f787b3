"""The safety properties of docs/criteria.md, over cases near the all-no baseline (hypothesis).

Each case starts from the all-no baseline (a complete self-care case), then gets a few yes
answers, a few raised choices, numbers at the thresholds the rules test and a blanked
subset, so every level occurs, complete and incomplete. Each property counts the
examples where it *could* have failed and asserts at the end that there were enough of
them; the counts are printed in pytest's terminal summary ("examples checked by the
safety tests"). Hypothesis draws from the session seed (``TRIAGE_TEST_SEED``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from triage.assess.assessor import Assessor
from triage.cases import load_case
from triage.models import ANSWER_FIELDS, DOMAINS

from .conftest import CASES_DIR, RULES_DIR, all_no_answers, report_counts
from .oracle.cases import NUMBERS, SEED, YES_NO, CaseMaker
from .oracle.completions import Completions
from .oracle.evaluator import RANK, SEVERITY_ORDERS, Oracle

ORACLE = Oracle(RULES_DIR)
NUMBERS_TESTED = CaseMaker(ORACLE).numbers
COMPLETIONS = Completions(ORACLE)
READ = ORACLE.fields_read()
EXHAUSTIVE_LIMIT = 64


def routine_flags() -> tuple[str, ...]:
    """Yes/no questions that only rules at routine or below depend on: a way to reach routine often."""
    levels: dict[str, set[str]] = {}
    for rule in ORACLE.rules:
        if rule.urgency:
            for name in COMPLETIONS.fields_behind(rule.when):
                levels.setdefault(name, set()).add(rule.urgency)
    return tuple(name for name in YES_NO if levels.get(name) and max(RANK[lv] for lv in levels[name]) <= RANK["routine"])


ROUTINE_FLAGS = routine_flags()


def settings_for(examples: int) -> Callable[[Any], Any]:
    """Hypothesis settings for one property: the session seed, no deadline."""
    def apply(test: Any) -> Any:
        return seed(SEED)(settings(max_examples=examples, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow])(test))
    return apply


@st.composite
def cases(draw: st.DrawFn, min_blanks: int = 0, max_blanks: int = 4, required_blank: bool = False) -> dict[str, Any]:
    """The all-no baseline with a few yes answers, raised choices, threshold numbers and blanks.

    ``required_blank``: also blank age or region (or both) in about half the cases.
    """
    answers = all_no_answers(region=draw(st.sampled_from(("lumbar", "cervical", "thoracic"))))
    for name in draw(st.lists(st.sampled_from(YES_NO), max_size=4, unique=True)):
        answers[name] = True
    for name in draw(st.lists(st.sampled_from(ROUTINE_FLAGS), max_size=1)):
        answers[name] = True
    for name in draw(st.lists(st.sampled_from(sorted(SEVERITY_ORDERS)), max_size=2, unique=True)):
        answers[name] = draw(st.sampled_from(SEVERITY_ORDERS[name][1:]))
    for name in NUMBERS:
        answers[name] = draw(st.one_of(st.just(answers[name]), st.sampled_from(NUMBERS_TESTED[name])))
    for name in draw(st.lists(st.sampled_from(ANSWER_FIELDS), min_size=min_blanks, max_size=max_blanks, unique=True)):
        answers.pop(name, None)
    if required_blank:
        for name in draw(st.sampled_from(((), (), ("age",), ("region",), ("age", "region")))):
            answers.pop(name, None)
    return answers


def rank(assessor: Assessor, answers: dict[str, Any]) -> int:
    """The rank of the level of some answers (0 self-care ... 4 emergency)."""
    return RANK[assessor.assess_answers(answers).urgency]


def blanks_read(answers: dict[str, Any]) -> list[str]:
    """The unanswered questions that some rule reads."""
    return [name for name in ANSWER_FIELDS if name not in answers and name in READ]


def test_unknown_is_not_no(assessor: Assessor) -> None:
    """A complete case cannot be raised by any answers to its unanswered questions (property 1)."""
    counts: Counter[str] = Counter()

    @settings_for(2000)
    @given(answers=cases(min_blanks=1, max_blanks=3), fill=st.randoms(use_true_random=False))
    def check(answers: dict[str, Any], fill: Any) -> None:
        result = assessor.assess_answers(answers)
        if not result.complete or result.urgency == "emergency" or not blanks_read(answers):
            return
        counts["complete non-emergency cases with a blank a rule reads"] += 1
        completions = COMPLETIONS.all_completions(answers, EXHAUSTIVE_LIMIT)
        if completions is None:
            counts["sampled"] += 1
            open_fields = blanks_read(answers)
            completions = [{**answers, **{n: fill.choice(COMPLETIONS.candidates(n)) for n in open_fields}}
                           for _ in range(EXHAUSTIVE_LIMIT)]
        else:
            counts["every completion tried"] += 1
        for completed in completions:
            counts["completions assessed"] += 1
            assert rank(assessor, completed) <= RANK[result.urgency], \
                {name: completed[name] for name in blanks_read(answers)}

    check()
    report_counts("unknown is not no", counts)
    assert counts["complete non-emergency cases with a blank a rule reads"] >= 200


def test_golden_cases_with_one_answer_withdrawn_keep_properties_1_and_2(assessor: Assessor) -> None:
    """Each golden case with any one answer a rule reads withdrawn: complete only if no answer to it raises the level,
    never lower than every answer to it, and at least soon when incomplete."""
    counts: Counter[str] = Counter()
    for path in sorted(CASES_DIR.glob("*.yaml")):
        full = load_case(path).answers()
        for name in [n for n in full if n in READ]:
            answers = {k: v for k, v in full.items() if k != name}
            result = assessor.assess_answers(answers)
            answered = [rank(assessor, {**answers, name: value}) for value in COMPLETIONS.candidates(name)]
            where = f"{path.name} without {name}"
            counts["withdrawn answers"] += 1
            counts["whose every answer is above self-care"] += min(answered) > 0
            assert RANK[result.urgency] >= min(answered), where
            if result.complete and result.urgency != "emergency":
                counts["complete non-emergency"] += 1
                assert max(answered) <= RANK[result.urgency], where
            if not result.complete:
                assert RANK[result.urgency] >= RANK["soon"], where
                if len(full) == len(ANSWER_FIELDS):  # the only blank is the one withdrawn
                    assert result.unanswered == [name], where
    report_counts("golden cases with one answer withdrawn", counts)
    assert counts["complete non-emergency"] >= 200 and counts["whose every answer is above self-care"] >= 500


def raised_answers(answers: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every one-step change that property 2 says can never lower the level: a no to yes, a choice one step up."""
    changes: list[tuple[str, Any]] = [(name, True) for name in YES_NO if answers.get(name) is False]
    for name, order in SEVERITY_ORDERS.items():
        if name in answers and answers[name] != order[-1]:
            changes.append((name, order[order.index(answers[name]) + 1]))
    return changes


def test_monotone(assessor: Assessor) -> None:
    """Changing a no to yes, or a choice (weakness above all) one step more severe, never lowers the level."""
    counts: Counter[str] = Counter()

    @settings_for(300)
    @given(answers=cases())
    def check(answers: dict[str, Any]) -> None:
        before = rank(assessor, answers)
        for name, value in raised_answers(answers):
            if before > 0 and name in READ:
                counts["changes that could lower a level"] += 1
                counts["of them weakness"] += name == "weakness"
            assert rank(assessor, {**answers, name: value}) >= before, (name, value)

    check()
    report_counts("monotone", counts)
    assert counts["changes that could lower a level"] >= 500 and counts["of them weakness"] >= 50


def test_an_incomplete_case_is_at_least_soon_and_self_care_is_complete(assessor: Assessor) -> None:
    """Incomplete means at least soon with its open questions listed; self-care and emergency are complete."""
    counts: Counter[str] = Counter()

    @settings_for(1000)
    @given(answers=cases(min_blanks=1, max_blanks=6, required_blank=True))
    def check(answers: dict[str, Any]) -> None:
        result = assessor.assess_answers(answers)
        unknown = set(DOMAINS) - set(answers)
        if not result.complete:
            counts["incomplete"] += 1
            assert RANK[result.urgency] >= RANK["soon"]
            assert result.unanswered and set(result.unanswered) <= unknown
        if all(reason.rule not in ORACLE.by_id for reason in result.reasons):
            counts["partial cases whose answers fire no criterion"] += 1  # only completeness keeps them up
        if result.urgency == "self_care":
            assert result.complete and not {"age", "region"} & unknown
        if result.urgency == "emergency":
            counts["emergency with a blank"] += bool(unknown)
            assert result.complete and result.unanswered == []
        if {"age", "region"} & unknown:
            counts["age or region blank"] += 1
            assert result.urgency == "emergency" or not result.complete

    check()
    report_counts("incomplete is at least soon", counts)
    assert counts["incomplete"] >= 200 and counts["emergency with a blank"] >= 20
    assert counts["partial cases whose answers fire no criterion"] >= 40 and counts["age or region blank"] >= 100


def test_highest_wins_and_every_reason_is_explained(assessor: Assessor) -> None:
    """The level is the highest reason's; every fired level rule is a reason, with its answers and source."""
    counts: Counter[str] = Counter()

    @settings_for(500)
    @given(answers=cases())
    def check(answers: dict[str, Any]) -> None:
        result = assessor.assess_answers(answers)
        levels = {RANK[reason.urgency] for reason in result.reasons}
        counts["reasons at two or more levels"] += len(levels) >= 2
        counts[f"level {result.urgency}"] += 1
        assert RANK[result.urgency] == max(levels, default=0)
        fired_level_rules = {r for r in result.fired_rules if assessor.rulebase.rule(r).urgency}
        assert fired_level_rules <= {reason.rule for reason in result.reasons}
        assert result.surgical_consultation == any(reason.surgical for reason in result.reasons)
        for reason in result.reasons:
            assert reason.because and reason.source
            assert all(answers.get(name) == value for name, value in reason.because.items())

    check()
    report_counts("highest wins, explained", counts)
    assert counts["reasons at two or more levels"] >= 100
    assert all(counts[f"level {level}"] >= 20 for level in RANK), "the cases must reach every level"


def test_deterministic_and_isolated(assessor: Assessor) -> None:
    """The same case gives the same JSON every time, whatever was assessed before it."""
    counts: Counter[str] = Counter()

    @settings_for(300)
    @given(answers=cases(), other=cases())
    def check(answers: dict[str, Any], other: dict[str, Any]) -> None:
        first = assessor.assess_answers(answers, "c")
        between = assessor.assess_answers(other, "other")
        counts["pairs at different levels"] += between.urgency != first.urgency
        assert assessor.assess_answers(answers, "c").model_dump_json() == first.model_dump_json()

    check()
    report_counts("deterministic and isolated", counts)
    assert counts["pairs at different levels"] >= 100


def test_a_blank_is_never_lower_than_every_answer(assessor: Assessor) -> None:
    """Leaving one question blank gives at least the lowest level any answer to it would give."""
    counts: Counter[str] = Counter()

    @settings_for(400)
    @given(answers=cases(min_blanks=1, max_blanks=3, required_blank=True))
    def check(answers: dict[str, Any]) -> None:
        level = rank(assessor, answers)
        for name in blanks_read(answers):
            lowest = min(rank(assessor, {**answers, name: v}) for v in COMPLETIONS.candidates(name))
            counts["blanks whose every answer is above self-care"] += lowest > 0
            assert level >= lowest, name

    check()
    report_counts("a blank is never lower than every answer", counts)
    assert counts["blanks whose every answer is above self-care"] >= 200


def test_the_level_is_at_least_the_best_case_completions(assessor: Assessor) -> None:
    """The level is at least *certain*: the best-case completion's level (the lowest over age and region)."""
    counts: Counter[str] = Counter()

    @settings_for(400)
    @given(answers=cases(min_blanks=1, max_blanks=5, required_blank=True))
    def check(answers: dict[str, Any]) -> None:
        certain = min(rank(assessor, completed) for completed in COMPLETIONS.best_case_completions(answers))
        counts["partial cases whose certain level is above self-care"] += certain > 0
        assert rank(assessor, answers) >= certain

    check()
    report_counts("at least the best case", counts)
    assert counts["partial cases whose certain level is above self-care"] >= 200


@st.composite
def cases_resting_on_blanks(draw: st.DrawFn) -> dict[str, Any]:
    """A few yes answers, then blanks among the other questions the rules reading them also read (and often age
    or region): cases whose reasons are likely to rest on unanswered questions."""
    answers = draw(cases(max_blanks=0))
    for name in draw(st.lists(st.sampled_from(YES_NO), min_size=2, max_size=4, unique=True)):
        answers[name] = True
    flags = [name for name in YES_NO if answers.get(name) is True]
    companions = sorted({name for rule in ORACLE.rules if rule.urgency and set(flags) & COMPLETIONS.fields_behind(rule.when)
                         for name in COMPLETIONS.fields_behind(rule.when)} - set(flags))
    if companions:
        for name in draw(st.lists(st.sampled_from(companions), min_size=1, max_size=3, unique=True)):
            answers.pop(name, None)
    for name in draw(st.sampled_from(((), ("age",), ("region",), ("age", "region"), ("ces_symptoms_days",)))):
        answers.pop(name, None)
    return answers


def test_the_reasons_shown_are_jointly_possible(assessor: Assessor) -> None:
    """Some single completion of the unanswered questions makes every reason shown hold at once."""
    counts: Counter[str] = Counter()

    @settings_for(700)
    @given(answers=cases_resting_on_blanks())
    def check(answers: dict[str, Any]) -> None:
        result = assessor.assess_answers(answers)
        shown = [reason.rule for reason in result.reasons if reason.rule in ORACLE.by_id]
        involved = set().union(*(COMPLETIONS.fields_behind(ORACLE.by_id[r].when) for r in shown)) if shown else set()
        counts["two or more reasons resting on a blank"] += len(shown) >= 2 and bool(involved - set(answers))
        assert COMPLETIONS.jointly_possible(shown, answers), shown

    check()
    report_counts("reasons jointly possible", counts)
    assert counts["two or more reasons resting on a blank"] >= 200
