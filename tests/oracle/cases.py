"""Random cases, complete and partial, from one seed per test session that can be set to re-run a failure.

The seed is ``TRIAGE_TEST_SEED`` when it is set, else a fresh one; pytest prints it in its
header and every failure message names it, so ``TRIAGE_TEST_SEED=<seed> pytest ...``
repeats a failing run exactly.

Three kinds of case, so that every level, complete and incomplete, occurs often:

- *near the baseline*: every question answered "no" or with its least severe answer,
  then a few answered yes, a few choices raised, some numbers set near the thresholds
  the rules test, and often a few questions blanked;
- *random*: every question answered at random (mostly "no"), some left blank;
- *sparse*: only a handful of questions answered, as early in an interview.
"""

from __future__ import annotations

import os
import random
from typing import Any

from triage.models import ANSWER_FIELDS, DOMAINS

from .evaluator import SEVERITY_ORDERS, Oracle

SEED_VARIABLE = "TRIAGE_TEST_SEED"


def session_seed() -> int:
    """``TRIAGE_TEST_SEED`` if set, else a fresh random seed."""
    given = os.environ.get(SEED_VARIABLE, "").strip()
    return int(given) if given else random.SystemRandom().randrange(2**32)


SEED = session_seed()


def rerun_hint(seed: int = SEED) -> str:
    """How to repeat this session's random cases."""
    return f"re-run with {SEED_VARIABLE}={seed}"


#: The least severe answer of each choice question (safety property 1, read the other way).
LEAST_SEVERE_CHOICE = {name: order[0] for name, order in SEVERITY_ORDERS.items()}
YES_NO = tuple(name for name in ANSWER_FIELDS if DOMAINS[name].kind == "yes_no")
CHOICES = tuple(name for name in ANSWER_FIELDS if DOMAINS[name].kind == "choice")
NUMBERS = tuple(name for name in ANSWER_FIELDS if DOMAINS[name].kind == "integer")
#: Values the criteria table names for each number (docs/criteria.md), besides the rules' own thresholds.
TABLE_NUMBERS = {
    "age": (0, 4, 5, 15, 16, 39, 40, 49, 50, 69, 70, 120),
    "duration_days": (0, 7, 8, 28, 29, 41, 42, 400),
    "pain_score": (0, 3, 6, 7, 10),
    "ces_symptoms_days": (0, 14, 15, 400),
    "conservative_care_weeks": (0, 5, 6, 11, 12, 60),
}


class CaseMaker:
    """Draws random answers for one rule base: numbers near every threshold its rules test."""

    def __init__(self, oracle: Oracle):
        thresholds = oracle.thresholds()
        self.numbers: dict[str, tuple[int, ...]] = {}
        for name in NUMBERS:
            domain = DOMAINS[name]
            low = domain.minimum or 0
            high = domain.maximum if domain.maximum is not None else 1000
            values = set(TABLE_NUMBERS.get(name, ())) | {low, high}
            for threshold in thresholds.get(name, ()):
                values |= {threshold - 1, threshold, threshold + 1}
            self.numbers[name] = tuple(sorted(v for v in values if low <= v <= high))

    def value(self, rng: random.Random, name: str, yes_rate: float = 0.5) -> Any:
        """A random answer to one question."""
        domain = DOMAINS[name]
        if domain.kind == "yes_no":
            return rng.random() < yes_rate
        if domain.kind == "choice":
            return rng.choice(domain.choices)
        return rng.choice(self.numbers[name])

    def baseline(self, rng: random.Random) -> dict[str, Any]:
        """Every question answered "no" or least severe: a complete self-care case (region and sex at random)."""
        answers: dict[str, Any] = dict.fromkeys(YES_NO, False)
        for name in CHOICES:
            answers[name] = LEAST_SEVERE_CHOICE.get(name) or rng.choice(DOMAINS[name].choices)
        answers.update(age=rng.choice((25, 40, 45)), duration_days=rng.choice((1, 3, 5)), pain_score=rng.choice((2, 4)),
                       ces_symptoms_days=0, conservative_care_weeks=0)
        return answers

    def near_baseline(self, rng: random.Random) -> dict[str, Any]:
        """The baseline with a few yes answers, raised choices and threshold numbers, often with blanks."""
        answers = self.baseline(rng)
        for name in rng.sample(YES_NO, rng.choice((0, 1, 1, 1, 2, 2, 3))):
            answers[name] = True
        for name in rng.sample(CHOICES, rng.choice((0, 0, 1, 2))):
            answers[name] = rng.choice(DOMAINS[name].choices)
        for name in NUMBERS:
            if rng.random() < 0.3:
                answers[name] = rng.choice(self.numbers[name])
        if rng.random() < 0.65:
            for name in rng.sample(ANSWER_FIELDS, rng.choice((1, 1, 2, 3, 5, 8))):
                answers.pop(name, None)
        return answers

    def scattered(self, rng: random.Random) -> dict[str, Any]:
        """Every question answered at random (mostly no), some left blank."""
        blank_rate = rng.choice((0.0, 0.0, 0.05, 0.3, 0.7))
        yes_rate = rng.choice((0.02, 0.05, 0.15))
        return {name: self.value(rng, name, yes_rate) for name in ANSWER_FIELDS if rng.random() >= blank_rate}

    def sparse(self, rng: random.Random) -> dict[str, Any]:
        """Only a handful of questions answered."""
        names = rng.sample(ANSWER_FIELDS, rng.randrange(0, 12))
        return {name: self.value(rng, name, rng.choice((0.1, 0.5))) for name in names}

    def case(self, rng: random.Random) -> dict[str, Any]:
        """One random case of any kind."""
        kind = rng.random()
        if kind < 0.55:
            return self.near_baseline(rng)
        if kind < 0.85:
            return self.scattered(rng)
        return self.sparse(rng)
