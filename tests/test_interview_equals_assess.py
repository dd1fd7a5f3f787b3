"""``triage interview --answers CASE`` against ``triage assess CASE``: every golden case, 10,000 random ones in CI.

The interview gives the same level, surgical flag and completeness as ``triage assess``
whenever the answers that reached its engine are the case's own: the answers of questions
it left out (skip logic) were dropped, which the questionnaire promises changes nothing.
When it filled in an answer the questionnaire implies ("no weakness" answers foot drop),
or replaced one that contradicts it, the result is never more urgent than assess's. When it
stopped early, the level is an emergency.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from triage.assess.assessor import Assessor
from triage.cases import case_from_data, load_case
from triage.interview.logic import Logic
from triage.interview.questionnaire import load_questionnaire
from triage.interview.runner import InterviewResult, InterviewState, ScriptedAnswers, run_interview
from triage.interview.sessions import scripted_case
from triage.models import Assessment, Case

from .conftest import CASES_DIR, ROOT
from .oracle.cases import SEED
from .synthetic import iter_random_case_dicts

QUESTIONNAIRE = load_questionnaire()
LOGIC = Logic(QUESTIONNAIRE)
#: 10,000 in CI (CI=true), as issue 10 asks; 1,000 on a developer's machine, where each interview re-assesses
#: after every answer (about 45 ms an interview, 2026-12); TRIAGE_INTERVIEW_RANDOM_CASES sets any number.
RANDOM_CASES = int(os.environ.get("TRIAGE_INTERVIEW_RANDOM_CASES") or (10_000 if os.environ.get("CI") else 1_000))
GOLDEN = sorted(CASES_DIR.glob("*.yaml"))
IMPLIED = {q.id for q in QUESTIONNAIRE.questions if q.hidden_answer is not None}
COMPARED = ("urgency", "surgical_consultation", "complete", "unanswered")


def interview(case: Case, assessor: Assessor) -> InterviewResult:
    """What ``triage interview --answers CASE`` does, in this process."""
    script = scripted_case(case, QUESTIONNAIRE)
    return run_interview(LOGIC, assessor, ScriptedAnswers(script.answers), InterviewState(case_id=case.id),
                         carried=script.carried)


def compare(case: Case, result: InterviewResult, assessed: Assessment) -> str:
    """Check one case; say which rule applied: 'equal', 'implied' or 'stopped'."""
    ours = result.assessment
    if result.stopped_early:  # only when the emergency is settled, which the whole case cannot undo
        assert ours.urgency == "emergency" and assessed.urgency == "emergency"
        return "stopped"
    given = case.answers()
    differs = {k for k, v in result.case_answers.items() if given.get(k) != v}
    if not differs:
        assert [getattr(ours, k) for k in COMPARED] == [getattr(assessed, k) for k in COMPARED]
        return "equal"
    assert differs <= IMPLIED, differs  # only answers the questionnaire implies are ever filled in
    assert ours.urgency <= assessed.urgency  # implied answers are "no": they never raise the level
    return "implied"


def random_cases(seed: int, count: int = RANDOM_CASES) -> list[Case]:
    """Random partial cases (every one leaves some questions unanswered)."""
    return [case_from_data(data, f"random case {n}") for n, data in
            enumerate(iter_random_case_dicts(count, seed, partial_share=1.0))]


def test_every_golden_case_through_the_interview_equals_assess(assessor: Assessor) -> None:
    """Every golden case: the interview's level, surgical flag and completeness are triage assess's (durable_rules)."""
    seen: Counter[str] = Counter()
    for path in GOLDEN:
        case = load_case(path)
        result = interview(case, assessor)
        try:
            seen[compare(case, result, assessor.assess(case))] += 1
        except AssertionError as exc:
            raise AssertionError(f"{path.name}: {exc}") from exc
    assert seen["equal"] >= len(GOLDEN) // 2, seen  # most goldens are compared in full, not excused


def test_random_partial_cases_through_the_interview_equal_assess(reference: Assessor) -> None:
    """10,000 random partial cases in CI (seeded; the seed is printed on failure), on the plain-Python engine."""
    seed = SEED
    seen: Counter[str] = Counter()
    for number, case in enumerate(random_cases(seed)):
        try:
            seen[compare(case, interview(case, reference), reference.assess(case))] += 1
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}, case {number}: {case.answers()}: {exc}") from exc
    assert seen["equal"] > RANDOM_CASES // 4 and seen["stopped"] > 0 and seen["implied"] > 0, seen


def test_an_early_stop_is_never_contradicted_by_assess(assessor: Assessor, reference: Assessor) -> None:
    """When the interview stops early, triage assess of the whole case is an emergency too (goldens, 500 random).

    Four goldens (ces-longstanding-stable and three more: saddle or bladder symptoms for weeks, not getting
    worse, are urgent, U5) failed it while the interview stopped at any emergency, before asking how long.
    """
    seed = SEED
    cases = [(path.name, load_case(path), assessor) for path in GOLDEN]
    cases += [(f"seed {seed}, case {n}", case, reference) for n, case in enumerate(random_cases(seed, 500))]
    wrong = [name for name, case, engine in cases
             if interview(case, engine).stopped_early and engine.assess(case).urgency != "emergency"]
    assert wrong == []


def test_a_question_the_interview_leaves_out_never_changes_the_result(assessor: Assessor) -> None:
    """Answers to questions the skip logic leaves out are dropped; the questionnaire promises no rule needs them."""
    data = {"id": "gap", "region": "lumbar", "age": 40, "leg_pain": "one_leg", "pain_score": 8,
            "pain_disrupts_sleep_and_life": True, "otc_ineffective": False, "conservative_care_weeks": 0,
            "conservative_care_response": "no_change"}
    case = case_from_data(data, "gap")
    result, assessed = interview(case, assessor), assessor.assess(case)
    assert "conservative_care_response" not in result.case_answers  # left out: no treatment, no response
    assert (result.assessment.urgency, result.assessment.unanswered) == (assessed.urgency, assessed.unanswered)


def _run(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "triage", *args, "--format", "json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_through_the_real_command_interview_answers_equal_assess(tmp_path: Path, assessor: Assessor) -> None:
    """A few cases through the real command: interview --answers prints assess's assessment (or, having stopped
    early, an emergency), and its kind of result is the one found in this process."""
    chosen = [CASES_DIR / "acute-severe-leg-pain.fires.yaml", CASES_DIR / "ces-suspected.fires.yaml",
              CASES_DIR / "advice-neck.near-miss.yaml"]
    for number, data in enumerate(iter_random_case_dicts(3, 11, partial_share=1.0)):
        path = tmp_path / f"random-{number}.json"
        path.write_text(json.dumps(data))
        chosen.append(path)
    kinds: Counter[str] = Counter()
    extra = {"questions_asked", "stopped_early", "answers_not_used"}
    for path in chosen:
        case = load_case(path)
        kind = compare(case, interview(case, assessor), assessor.assess(case))
        kinds[kind] += 1
        ours, theirs = _run("interview", "--answers", str(path)), _run("assess", str(path))
        assert set(ours) - set(theirs) == extra and ours["case_id"] == theirs["case_id"] == case.id
        assert ours["stopped_early"] is (kind == "stopped"), path.name
        if kind == "equal":
            assert [ours[k] for k in COMPARED] == [theirs[k] for k in COMPARED], path.name
        elif kind == "stopped":
            assert ours["urgency"] == "emergency"
    assert kinds["equal"] >= 2 and kinds["stopped"] >= 1, kinds
