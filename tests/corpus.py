"""A recorded corpus of assessments: 20,000 seeded random cases and a digest of every output, to prove changes exact.

    python -m tests.corpus            # re-record tests/fixtures/assessment-digests.txt (after a deliberate change)

Each case is generated from its own seed (``case_answers``), so a mismatch names the case
and its answers. For each case the digest covers the batch output line (``score_record``:
the JSON Lines line ``triage score`` writes) and the assessment model
(``Assessment.model_dump_json``: what ``triage assess --format json`` and the library
give), with the durable_rules engine; ``test_identical`` checks both engines against it.

Re-record only when an output is meant to change (a rule text, a new field), and say so
in the commit: the corpus is what proves that a speed-up changed nothing.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.assess.assessor import Assessor
from triage.batch.inputs import Record
from triage.batch.scoring import score_record
from triage.models import DOMAINS

CORPUS_SIZE = 20_000
DIGESTS = Path(__file__).resolve().parent / "fixtures" / "assessment-digests.txt"

_NUMBERS: dict[str, tuple[int, ...]] = {  # near the thresholds the criteria use, and the domain edges
    "age": (0, 3, 15, 16, 39, 40, 49, 50, 69, 70, 120),
    "duration_days": (0, 7, 8, 41, 42, 90, 400),
    "pain_score": (0, 4, 6, 7, 8, 10),
    "ces_symptoms_days": (0, 13, 14, 15, 200),
    "conservative_care_weeks": (0, 5, 6, 11, 12, 30),
}


def case_answers(number: int) -> dict[str, Any]:
    """The answers of corpus case ``number`` (its own seed): complete, or with 5-90% of questions unknown."""
    rng = random.Random(f"corpus-{number}")
    unknown_rate = rng.choice((0.0, 0.0, 0.05, 0.1, 0.1, 0.3, 0.6, 0.9))
    yes_rate = rng.choice((0.01, 0.03, 0.08, 0.2))
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


def case_data(number: int) -> dict[str, Any]:
    """Corpus case ``number`` as a case file holds it: an id on every other case, and now and then an expected level."""
    data = case_answers(number)
    if number % 2:
        data = {"id": f"corpus-{number}", **data}
    if number % 7 == 0:
        data["expected_urgency"] = "soon"
    return data


def outputs(assessor: Assessor, number: int) -> tuple[str, str]:
    """The batch output line and the assessment model JSON of corpus case ``number``."""
    data = case_data(number)
    record = Record(source=f"corpus:{number}", default_id=f"corpus:{number}", text=json.dumps(data), suffix=".jsonl")
    line = score_record(assessor, record).json_line
    model = assessor.assess_answers(case_answers(number), data.get("id", record.default_id)).model_dump_json()
    return line, model


def digest(line: str, model: str) -> str:
    """A short digest of both outputs of one case."""
    return hashlib.blake2b(f"{line}\n{model}".encode(), digest_size=6).hexdigest()


def recorded() -> list[str]:
    """The recorded digests, in case order."""
    return DIGESTS.read_text().split()


def digests(assessor: Assessor, numbers: range) -> Iterator[str]:
    """The digest of each corpus case."""
    for number in numbers:
        yield digest(*outputs(assessor, number))


def main() -> None:
    """Record the digests of every corpus case with the durable_rules engine."""
    assessor = Assessor(engine="durable")
    DIGESTS.parent.mkdir(exist_ok=True)
    found = list(digests(assessor, range(CORPUS_SIZE)))
    lines = [" ".join(found[start:start + 10]) for start in range(0, len(found), 10)]
    DIGESTS.write_text("\n".join(lines) + "\n")
    print(f"recorded {len(found):,} digests in {DIGESTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
