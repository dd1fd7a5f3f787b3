"""Random cases, complete and partial, for the test oracle and the benchmarks.

Values are drawn near the thresholds the criteria use (ages 15/16, 39/40, 49/50, 69/70;
7/8 and 41/42 days; 5/6 and 11/12 weeks; 14/15 days of cauda equina symptoms), so random
cases exercise the edges of the rules rather than their middles.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from triage.models import DOMAINS

_NUMBERS: dict[str, tuple[int, ...]] = {
    "age": (3, 10, 15, 16, 25, 39, 40, 45, 49, 50, 60, 69, 70, 85, 120),
    "duration_days": (0, 1, 7, 8, 20, 41, 42, 90, 400),
    "pain_score": (0, 2, 4, 6, 7, 8, 10),
    "ces_symptoms_days": (0, 1, 13, 14, 15, 30, 200),
    "conservative_care_weeks": (0, 2, 5, 6, 11, 12, 30),
}


def random_answers(rng: random.Random, unknown_rate: float = 0.0, yes_rate: float = 0.08) -> dict[str, Any]:
    """Known answers of one random case; each question is left unknown with probability ``unknown_rate``.

    Yes/no questions are "yes" with probability ``yes_rate`` (most real answers are "no").
    """
    answers: dict[str, Any] = {}
    for name, domain in DOMAINS.items():
        if rng.random() < unknown_rate:
            continue
        if domain.kind == "yes_no":
            answers[name] = rng.random() < yes_rate
        elif domain.kind == "choice":
            answers[name] = rng.choice(domain.choices)
        elif domain.kind == "integer":
            answers[name] = rng.choice(_NUMBERS.get(name, (0, 1, 10)))
    return answers


def iter_random_case_dicts(count: int, seed: int, partial_share: float = 0.5) -> Iterator[dict[str, Any]]:
    """``count`` random cases as dicts with ids, one at a time; about ``partial_share`` leave questions unknown."""
    rng = random.Random(seed)
    for number in range(count):
        unknown_rate = rng.choice((0.05, 0.2, 0.5)) if rng.random() < partial_share else 0.0
        yes_rate = rng.choice((0.01, 0.03, 0.08))
        yield {"id": f"random-{number}", **random_answers(rng, unknown_rate, yes_rate)}


def random_case_dicts(count: int, seed: int, partial_share: float = 0.5) -> list[dict[str, Any]]:
    """``count`` random cases as a list (see ``iter_random_case_dicts``)."""
    return list(iter_random_case_dicts(count, seed, partial_share))
