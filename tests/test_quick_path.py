"""Batch scoring's quick read of a JSON case (orjson and a plain check) decides exactly as the full validation does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.assess.assessor import Assessor
from triage.batch import scoring
from triage.batch.inputs import Record
from triage.batch.scoring import Scored, score_record
from triage.cases import _QUICK, case_from_data, valid_case
from triage.errors import CaseError
from triage.models import Case

from .conftest import all_no_answers

#: JSON lines that must be refused or read exactly as the full path reads them: every kind of problem.
TRICKY_LINES = [
    '{"age": 40,', "", "   ", "[1, 2]", '"text"', "null", "42",
    '{"age": 40, "age": 41}', '{"age": 40, "region": "lumbar", "age": 40}',
    '{"id": "a:b", "age": 40}', '{"id": "x", "description": "time: 10:30", "age": 40}',
    '{"id": "x", "description": "a \\"quoted\\": colon"}',
    '{"id": "\\ud800"}', '{"description": "\\udc00"}', '{"id": "ok", "description": "caf\\u00e9 \\ud83d\\ude00"}',
    '{"age": NaN}', '{"age": Infinity}', '{"age": 1e400}', '{"age": 40.0}', '{"age": 30.5}',
    '{"age": ' + "9" * 30 + "}", '{"age": ' + "9" * 5000 + "}", '{"age": -1}', '{"age": 121}', '{"age": 120}',
    '{"age": true}', '{"fever": 1}', '{"fever": "yes"}', '{"fever": null}', '{"fever": false}',
    '{"region": "Lumbar"}', '{"region": "leg"}', '{"weakness": true}', '{"weakness": 1}',
    '{"agee": 40}', '{"age": 40, "notes": "x"}', '{"id": null, "age": 40}', '{"id": 7}', '{"id": ["x"]}',
    '{"expected_urgency": "soon"}', '{"expected_urgency": "SOON"}', '{"expected_urgency": 1}',
    '{"expected_surgical": true}', '{"expected_surgical": "yes"}',
    '{"expected_rules": ["night-pain"]}', '{"expected_rules": "night-pain"}', '{"expected_rules": [1]}',
    '{"expected_rules": ["\\ud800"]}', '{"age": {"years": 40}}', '{"age": [40]}',
    "[" * 5000 + "]" * 5000, '{"age": 40} trailing', '\ufeff{"age": 40}', '{"age": 40}\n',
    json.dumps(all_no_answers()), json.dumps({"id": "c", **all_no_answers(fever=None, age=None)}),
]


def slow(assessor: Assessor, record: Record, monkeypatch: pytest.MonkeyPatch) -> Scored:
    """The scored line with the quick path turned off: everything through ``to_case`` and the full validation."""
    with monkeypatch.context() as patched:
        patched.setattr(scoring, "_quick_case", lambda record: None)
        return score_record(assessor, record)


def test_the_quick_check_knows_every_case_field() -> None:
    """The quick check reads exactly the fields of ``Case``: a field added to one must be added to the other."""
    assert set(_QUICK) == set(Case.model_fields)


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
@pytest.mark.parametrize("text", TRICKY_LINES)
def test_tricky_lines_score_as_the_full_path_scores_them(assessor: Assessor, text: str, suffix: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Each tricky line gives byte for byte the line (and the summary fields) the full validation gives."""
    record = Record("cases.jsonl:3", "cases:3", text=text, suffix=suffix)
    assert score_record(assessor, record) == slow(assessor, record, monkeypatch)


def test_ordinary_cases_take_the_quick_path() -> None:
    """A valid case, with or without id and expectations, is read by the quick path (else it would be slow)."""
    for data in ({"id": "a", **all_no_answers()}, all_no_answers(fever=None), {},
                 {"expected_urgency": "soon", "expected_surgical": False, "expected_rules": [], "age": 3}):
        record = Record("f:1", "f:1", text=json.dumps(data), suffix=".jsonl")
        assert scoring._quick_case(record) is not None, data


_ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 130), st.integers(), st.floats(allow_nan=False),
    st.sampled_from(["", "yes", "Lumbar", "lumbar", "cervical", "none", "stable", "progressive", "one_leg",
                     "soon", "emergency", "improving", "worse", "female", "a:b", "\ud800"]),
    st.text(max_size=5), st.lists(st.text(max_size=3), max_size=2), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
)
_KEYS = st.sampled_from([*Case.model_fields, "agee", "notes", "ID"])


@settings(max_examples=400, deadline=None)
@given(data=st.dictionaries(_KEYS, _ODD_VALUES, max_size=8), good=st.sampled_from([{}, all_no_answers()]))
def test_the_quick_check_accepts_only_what_the_full_validation_accepts(data: dict[str, Any],
                                                                       good: dict[str, Any]) -> None:
    """On random data of every type, a case the quick check accepts is valid, with the same answers, id and
    expectations as the full validation gives."""
    case_data = {**good, **data}
    quick = valid_case(case_data, "default")
    try:
        case = case_from_data(case_data, "test", "default")
    except CaseError:
        assert quick is None, case_data
        return
    if quick is not None:
        assert quick.answers == case.answers() and list(quick.answers) == list(case.answers())
        assert (quick.case_id, quick.expected_urgency, quick.expected_surgical) == \
            (case.id, case.expected_urgency, case.expected_surgical)
