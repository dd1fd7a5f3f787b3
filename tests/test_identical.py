"""Speed-ups change nothing: every output of 20,000 recorded cases is byte-identical, with either engine."""

from __future__ import annotations

import json

import pytest

from triage.assess.assessor import Assessor

from .corpus import CORPUS_SIZE, case_data, digest, outputs, recorded


@pytest.mark.parametrize("engine", ["assessor", "reference"])
def test_every_corpus_case_gives_the_recorded_outputs(engine: str, request: pytest.FixtureRequest) -> None:
    """The batch line and the assessment JSON of each corpus case hash to what was recorded (tests/corpus.py)."""
    assessor: Assessor = request.getfixturevalue(engine)
    expected = recorded()
    assert len(expected) == CORPUS_SIZE
    wrong = []
    for number in range(CORPUS_SIZE):
        line, model = outputs(assessor, number)
        if digest(line, model) != expected[number]:
            wrong.append(number)
            if len(wrong) == 1:
                first = f"case {number}: {json.dumps(case_data(number))}\nline: {line}\nmodel: {model}"
    assert not wrong, f"{len(wrong)} case(s) differ from the recording, the first: {first}"


def test_the_batch_line_is_the_assessment_model_and_its_source(assessor: Assessor) -> None:
    """The batch line holds exactly the assessment model's JSON, plus the case's source."""
    for number in range(0, CORPUS_SIZE, 97):
        line, model = outputs(assessor, number)
        data = json.loads(line)
        assert data.pop("source") == f"corpus:{number}"
        assert data == json.loads(model), number
