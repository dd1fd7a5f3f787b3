"""durable_rules against an independent plain-Python chainer of the same rule files, on random cases."""

from __future__ import annotations

import random

from triage.assess.assessor import Assessor
from triage.assess.completeness import worst_case

from .synthetic import random_answers

RANDOM_CASES = 10_000


def test_durable_engine_agrees_with_the_reference_on_random_cases(assessor: Assessor, reference: Assessor) -> None:
    """On 10,000 random complete and partial cases both give the same fired rules, findings and assessment."""
    seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    for number in range(RANDOM_CASES):
        unknown_rate = rng.choice((0.0, 0.0, 0.05, 0.3, 0.7))
        answers = random_answers(rng, unknown_rate, yes_rate=rng.choice((0.02, 0.05, 0.15)))
        where = f"seed {seed}, case {number}: {answers}"
        ours, theirs = assessor.engine.chain(answers), reference.engine.chain(answers)
        assert set(ours.fired) == set(theirs.fired), where
        assert len(ours.fired) == len(set(ours.fired)), f"a rule fired twice: {where}"
        assert ours.findings == theirs.findings, where
        if number % 10 == 0:  # the full assessment also runs the worst-case chain
            assert assessor.assess_answers(answers) == reference.assess_answers(answers), where
        worst = worst_case(answers)
        assert set(assessor.engine.chain(worst).fired) == set(reference.engine.chain(worst).fired), where
