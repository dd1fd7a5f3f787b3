"""The two engines agree: durable_rules and the compiled Python engine, on 100,000 random cases, and the textbook chainer."""

from __future__ import annotations

import random

from triage.assess.assessor import Assessor
from triage.assess.completeness import worst_case
from triage.language.rulebook import RuleBase

from .oracle.cases import SEED
from .reference import NaiveEngine
from .synthetic import random_answers

RANDOM_CASES = 100_000
ASSESSED_EVERY = 100  # the full assessment (every completion) of one case in this many
NAIVE_EVERY = 10  # the textbook chainer on one case in this many


def test_the_engines_agree_on_random_cases(assessor: Assessor, reference: Assessor, rulebase: RuleBase) -> None:
    """On 100,000 random complete and partial cases (and their worst-case completions) durable_rules and the
    compiled Python engine fire the same rules, each once, and assert the same findings; the full assessments
    of one case in a hundred are identical; the textbook chainer agrees on one case in ten."""
    seed = SEED
    rng = random.Random(f"{seed}-engines")
    naive = NaiveEngine(rulebase)
    for number in range(RANDOM_CASES):
        unknown_rate = rng.choice((0.0, 0.0, 0.05, 0.1, 0.3, 0.7))
        answers = random_answers(rng, unknown_rate, yes_rate=rng.choice((0.02, 0.05, 0.15)))
        where = f"seed {seed}, case {number}: {answers}"
        for case in (answers, worst_case(answers)):
            ours, theirs = assessor.engine.chain(case), reference.engine.chain(case)
            assert set(ours.fired) == set(theirs.fired), where
            assert len(ours.fired) == len(set(ours.fired)) and len(theirs.fired) == len(set(theirs.fired)), where
            assert ours.findings == theirs.findings, where
            if number % NAIVE_EVERY == 0:
                textbook = naive.chain(case)
                assert (set(textbook.fired), textbook.findings) == (set(theirs.fired), theirs.findings), where
        if number % ASSESSED_EVERY == 0:  # every completion, explanation and text
            assert assessor.assess_answers(answers).model_dump_json() == \
                reference.assess_answers(answers).model_dump_json(), where
